/* playlist.c - the kiosk's extended M3U parser (playlist.h).
 *
 * One pass over the lines; #EXTINF and #SWARMPLAY lines fill a pending
 * title and options that the next item takes (a bad item line drops
 * them: they were about it). Every line is bounded (SP_PLAYLIST_MAX_LINE),
 * the whole input too, and the item count. Pure; any thread. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/playlist.h"

struct pending {
	char *title;
	int loops;
	double start_s, duration_s;
	int volume;
};

static void pending_reset(struct pending *p)
{
	free(p->title);
	*p = (struct pending){.loops = 1, .start_s = -1, .duration_s = 0, .volume = -1};
}

__attribute__((format(printf, 3, 4)))
static void bad(struct sp_playlist *pl, int line, const char *fmt, ...)
{
	pl->bad_lines++;
	if (pl->nerrors >= SP_PLAYLIST_MAX_ERRORS)
		return;
	struct sp_playlist_error *e = &pl->errors[pl->nerrors++];
	e->line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n >= m && !strncasecmp(s + n - m, suffix, m);
}

/* A URL's path, without its query or fragment, names a torrent. */
static bool names_torrent(const char *s)
{
	size_t n = strcspn(s, "?#");
	return has_suffix(s, n, ".torrent") || has_suffix(s, n, ".tstream");
}

/* A number in [lo, hi], the whole string. */
static bool number(const char *s, double lo, double hi, bool whole, double *out)
{
	char *end;
	if (!*s || (*s != '.' && (*s < '0' || *s > '9')))
		return false;
	double v = strtod(s, &end);
	if (*end || !(v >= lo && v <= hi) || (whole && v != (double)(long)v))
		return false;
	*out = v;
	return true;
}

static void option(struct sp_playlist *pl, struct pending *p, int line, char *kv)
{
	char *eq = strchr(kv, '=');
	double v;
	if (!eq) {
		bad(pl, line, "option without a value: %s", kv);
		return;
	}
	*eq = 0;
	const char *val = eq + 1;
	if (!strcmp(kv, "loops") && (number(val, 1, 1000, true, &v)))
		p->loops = (int)v;
	else if (!strcmp(kv, "start") && (number(val, 0, 1e7, false, &v)))
		p->start_s = v;
	else if (!strcmp(kv, "duration") && (number(val, 0, 1e7, false, &v)) && v > 0)
		p->duration_s = v;
	else if (!strcmp(kv, "volume") && (number(val, 0, 100, true, &v)))
		p->volume = (int)v;
	else if (strcmp(kv, "loops") && strcmp(kv, "start") && strcmp(kv, "duration") &&
		 strcmp(kv, "volume"))
		bad(pl, line, "unknown option: %s", kv);
	else
		bad(pl, line, "bad value for the option %s", kv);
}

static void options(struct sp_playlist *pl, struct pending *p, int line, char *s)
{
	char *save = NULL;
	for (char *tok = strtok_r(s, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save))
		option(pl, p, line, tok);
}

static int extinf(struct sp_playlist *pl, struct pending *p, int line, const char *s)
{
	const char *comma = strchr(s, ',');
	if (!comma) {
		bad(pl, line, "#EXTINF without a title");
		return 0;
	}
	comma++;
	while (*comma == ' ' || *comma == '\t')
		comma++;
	free(p->title);
	p->title = *comma ? strdup(comma) : NULL;
	return *comma && !p->title ? -ENOMEM : 0;
}

/* What an item line is: 0 with kind and remote, or -1 (reported). */
static int classify(struct sp_playlist *pl, int line, const char *s,
		    enum sp_playlist_kind *kind, bool *remote)
{
	*remote = false;
	if (!strncmp(s, "magnet:", 7)) {
		*kind = SP_ITEM_MAGNET;
		return 0;
	}
	const char *colon = strstr(s, "://");
	bool http = !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
	if (colon && !http) {
		bad(pl, line, "not a path, an http(s) URL or a magnet link: %.100s", s);
		return -1;
	}
	*remote = http;
	if (names_torrent(s)) {
		*kind = SP_ITEM_TORRENT;
		return 0;
	}
	if (http) {
		bad(pl, line, "an http(s) item must be a .torrent or .tstream: %.100s", s);
		return -1;
	}
	*kind = SP_ITEM_MEDIA;
	return 0;
}

static int item(struct sp_playlist *pl, struct pending *p, int line, const char *s)
{
	if (!strncmp(s, "file://", 7))
		s += 7;
	enum sp_playlist_kind kind;
	bool remote;
	if (!*s || classify(pl, line, s, &kind, &remote) < 0) {
		if (!*s)
			bad(pl, line, "an empty file:// item");
		pending_reset(p);
		return 0;
	}
	if (pl->n >= SP_PLAYLIST_MAX_ITEMS) {
		bad(pl, line, "too many items (the rest is skipped)");
		pending_reset(p);
		return 0;
	}
	struct sp_playlist_item *it = &pl->items[pl->n];
	*it = (struct sp_playlist_item){.kind = kind, .remote = remote, .line = line,
					.loops = p->loops, .start_s = p->start_s,
					.duration_s = p->duration_s, .volume = p->volume,
					.title = p->title};
	p->title = NULL;
	if (!(it->src = strdup(s)))
		return -ENOMEM;
	pl->n++;
	pending_reset(p);
	return 0;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return true;
	return false;
}

/* One line, trimmed, NUL-ended in place. */
static int one_line(struct sp_playlist *pl, struct pending *p, int line, char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	if (!n)
		return 0;
	if (has_control(s)) {
		bad(pl, line, "a control character in the line");
		return 0;
	}
	if (line == 1 && !strncmp(s, "#EXTM3U", 7)) {
		pl->extm3u = true;
		return 0;
	}
	if (!strncmp(s, "#EXTINF:", 8))
		return extinf(pl, p, line, s + 8);
	if (!strncmp(s, "#SWARMPLAY:", 11)) {
		options(pl, p, line, s + 11);
		return 0;
	}
	if (s[0] == '#')
		return 0;
	return item(pl, p, line, s);
}

static int parse_lines(struct sp_playlist *pl, const char *data, size_t len)
{
	struct pending p = {0};
	pending_reset(&p);
	char *buf = malloc(SP_PLAYLIST_MAX_LINE + 1);
	int r = buf ? 0 : -ENOMEM;
	size_t i = 0;
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		i = 3; /* a UTF-8 byte order mark */
	for (int line = 1; !r && i < len; line++) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - data) : len;
		size_t n = end - i;
		if (n && data[end - 1] == '\r')
			n--;
		if (n > SP_PLAYLIST_MAX_LINE)
			bad(pl, line, "line too long");
		else {
			memcpy(buf, data + i, n);
			buf[n] = 0;
			r = one_line(pl, &p, line, buf);
		}
		i = end + 1;
	}
	pending_reset(&p);
	free(p.title);
	free(buf);
	return r;
}

struct sp_playlist *sp_playlist_parse(const char *data, size_t len, struct sp_error **err)
{
	if (len > SP_PLAYLIST_MAX_BYTES) {
		sp_error_set(err, -EOVERFLOW, "the playlist is over %u bytes", SP_PLAYLIST_MAX_BYTES);
		return NULL;
	}
	if (memchr(data, 0, len)) {
		sp_error_set(err, -EBADMSG, "the playlist is not text (a NUL byte)");
		return NULL;
	}
	size_t lead = len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3) ? 3 : 0;
	while (lead < len && strchr(" \t\r\n", data[lead]))
		lead++;
	if (lead < len && data[lead] == '<') {
		sp_error_set(err, -EBADMSG, "the playlist is HTML or XML, not M3U");
		return NULL;
	}
	size_t cap = 1;
	for (size_t i = 0; i < len; i++)
		cap += data[i] == '\n';
	if (cap > SP_PLAYLIST_MAX_ITEMS)
		cap = SP_PLAYLIST_MAX_ITEMS;
	struct sp_playlist *pl = calloc(1, sizeof(*pl));
	if (pl)
		pl->items = calloc(cap, sizeof(*pl->items));
	int r = pl && pl->items ? parse_lines(pl, data, len) : -ENOMEM;
	if (r < 0) {
		sp_error_set(err, r, "out of memory");
		sp_playlist_free(pl);
		return NULL;
	}
	if (!pl->n) {
		if (pl->nerrors)
			sp_error_set(err, -EBADMSG, "no playable item (line %d: %s)",
				     pl->errors[0].line, pl->errors[0].msg);
		else
			sp_error_set(err, -EBADMSG, "no item in the playlist");
		sp_playlist_free(pl);
		return NULL;
	}
	return pl;
}

void sp_playlist_free(struct sp_playlist *pl)
{
	if (!pl)
		return;
	for (size_t i = 0; pl->items && i < pl->n; i++) {
		free(pl->items[i].src);
		free(pl->items[i].title);
	}
	free(pl->items);
	free(pl);
}

int sp_playlist_resolve(const char *base, const char *src, char *out, size_t n)
{
	bool abs = src[0] == '/' || !strncmp(src, "magnet:", 7) || strstr(src, "://");
	if (abs || !base) {
		return snprintf(out, n, "%s", src) >= (int)n ? -ENAMETOOLONG : 0;
	}
	size_t blen = strcspn(base, "?#");
	const char *scheme = strstr(base, "://");
	size_t min = scheme && scheme < base + blen ? (size_t)(scheme - base) + 3 : 0;
	size_t dir = blen;
	while (dir > min && base[dir - 1] != '/')
		dir--;
	if (dir == min && min) { /* http://host without a path */
		int w = snprintf(out, n, "%.*s/%s", (int)blen, base, src);
		return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
	}
	int w = snprintf(out, n, "%.*s%s", (int)dir, base, src);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}
