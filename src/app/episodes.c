/* episodes.c - a multi-file torrent as a playlist (episodes.h): natural
 * order, samples left out, the file after a key or an end, the next
 * file's prefetch. Pure logic; any thread. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/episodes.h"
#include "app/http_parse.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool is_alnum(char c)
{
	int f = fold((unsigned char)c);
	return is_digit(c) || (f >= 'a' && f <= 'z');
}

/* One natural order for the program: serve's pages and m3u sort with it
 * too (app/http_parse.c). */
int sp_episodes_natural_cmp(const char *a, const char *b)
{
	return sp_http_natural_cmp(a, b);
}

static bool word_sample(const char *s, size_t n)
{
	return n >= 6 && !strncasecmp(s, "sample", 6) && (n == 6 || (n == 7 && fold(s[6]) == 's'));
}

bool sp_episodes_is_sample(const char *path)
{
	/* a folder named Sample(s), or a base name that is "sample" or
	 * starts or ends with it as a word (sample.mkv, x-sample.mkv) */
	const char *s = path;
	for (const char *slash; (slash = strchr(s, '/')); s = slash + 1)
		if (word_sample(s, (size_t)(slash - s)))
			return true;
	const char *dot = strrchr(s, '.');
	size_t n = dot ? (size_t)(dot - s) : strlen(s);
	if (n < 6)
		return false;
	bool head = !strncasecmp(s, "sample", 6) && (n == 6 || !is_alnum(s[6]));
	bool tail = !strncasecmp(s + n - 6, "sample", 6) && (n == 6 || !is_alnum(s[n - 7]));
	return head || tail;
}

struct entry {
	const char *path;
	int index;
};

static int cmp_entries(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	int r = sp_episodes_natural_cmp(a->path, b->path);
	return r ? r : (a->index > b->index) - (a->index < b->index);
}

int sp_episodes_build(const struct sp_episode_file *files, int nfiles, int main_file, int first,
		      int *order, int max)
{
	if (max <= 0)
		return 0;
	int cap = max < SP_EPISODES_MAX ? max : SP_EPISODES_MAX;
	struct entry *e = malloc((size_t)cap * sizeof(*e));
	int n = 0;
	for (int i = 0; e && i < nfiles && n < cap; i++)
		if (files[i].video && !files[i].pad && files[i].path &&
		    !sp_episodes_is_sample(files[i].path))
			e[n++] = (struct entry){files[i].path, i};
	if (e)
		qsort(e, (size_t)n, sizeof(*e), cmp_entries);
	for (int k = 0; k < n; k++)
		order[k] = e[k].index;
	free(e);
	if (first >= 0 && sp_episodes_find(order, n, first) < 0) {
		n = 0; /* asked for by number: that file alone */
		main_file = first;
	}
	if (n == 0 && main_file >= 0) {
		order[0] = main_file;
		n = 1;
	}
	return n;
}

int sp_episodes_find(const int *order, int n, int file)
{
	for (int k = 0; k < n; k++)
		if (order[k] == file)
			return k;
	return -1;
}

int sp_episodes_after(int n, int cur, enum sp_episodes_why why)
{
	int next;
	switch (why) {
	case SP_EPISODES_END:
	case SP_EPISODES_NEXT:
		next = cur + 1;
		break;
	case SP_EPISODES_PREV:
		next = cur > 0 ? cur - 1 : 0;
		break;
	default:
		return -1;
	}
	return next >= 0 && next < n ? next : -1;
}

double sp_episodes_prefetch_lead(int n, int cur, double pos_s, double duration_s)
{
	if (cur < 0 || cur + 1 >= n || !(duration_s > 0) || !(pos_s >= 0))
		return -1;
	double left = duration_s - pos_s;
	if (left > SP_EPISODES_PREFETCH_S)
		return -1;
	return left > 0 ? left : 0;
}
