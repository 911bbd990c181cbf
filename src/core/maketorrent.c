/* maketorrent.c - scan the input, choose the piece size, encode the
 * .tstream and write it atomically (hashing is in mk_hash.c).
 *
 * Determinism: files are sorted by path with '/' ordered before every
 * other byte (a directory's files stay together), dictionary keys are
 * written in sorted order by construction, and no time or host-specific
 * value is written unless asked for (--date). The same input and options
 * give the same bytes. Caller's thread. */
#include "core/maketorrent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bencode.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/mi_private.h"

#define MAX_DEPTH 64

struct scan {
	struct sp_mk_list *l;
	size_t cap;
	struct sp_error **err;
};

static int add_file(struct scan *s, const char *rel, const char *abs, uint64_t len)
{
	struct sp_mk_list *l = s->l;
	if (l->num_files >= SP_MI_MAX_FILES)
		return sp_error_set(s->err, -EOVERFLOW, _("too many files (more than %u)"),
				    SP_MI_MAX_FILES);
	if (l->total > SP_MI_MAX_TOTAL - len || len > SP_MI_MAX_TOTAL)
		return sp_error_set(s->err, -EOVERFLOW, _("the input is too large"));
	if (l->num_files == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct sp_mk_file *f = realloc(l->files, cap * sizeof(*f));
		if (!f)
			return sp_error_set(s->err, -ENOMEM, _("out of memory"));
		l->files = f;
		s->cap = cap;
	}
	struct sp_mk_file *f = &l->files[l->num_files];
	*f = (struct sp_mk_file){.path = strdup(rel), .abs = strdup(abs), .length = len};
	if (!f->path || !f->abs) {
		free(f->path);
		free(f->abs);
		return sp_error_set(s->err, -ENOMEM, _("out of memory"));
	}
	l->num_files++;
	l->total += len;
	return 0;
}

static int scan_dir(struct scan *s, const char *abs, const char *rel, int depth)
{
	if (depth > MAX_DEPTH)
		return sp_error_set(s->err, -ELOOP, _("%s: directories nested too deeply"), abs);
	DIR *d = opendir(abs);
	if (!d)
		return sp_error_set(s->err, -errno, _("%s: %s"), abs, strerror(errno));
	int r = 0;
	struct dirent *e;
	while (r == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *a = NULL, *rl = NULL;
		if (asprintf(&a, "%s/%s", abs, e->d_name) < 0 ||
		    asprintf(&rl, "%s%s%s", rel, *rel ? "/" : "", e->d_name) < 0) {
			free(a);
			closedir(d);
			return sp_error_set(s->err, -ENOMEM, _("out of memory"));
		}
		struct stat st;
		if (lstat(a, &st) < 0)
			r = sp_error_set(s->err, -errno, _("%s: %s"), a, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			r = scan_dir(s, a, rl, depth + 1);
		else if (S_ISREG(st.st_mode))
			r = add_file(s, rl, a, (uint64_t)st.st_size);
		else
			SP_WARN("create", "skipping %s: not a regular file", a);
		free(a);
		free(rl);
	}
	closedir(d);
	return r;
}

/* '/' sorts before every other byte, so "a/b" < "a/c" < "a-b". */
static int file_cmp(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)((const struct sp_mk_file *)a)->path;
	const unsigned char *y = (const unsigned char *)((const struct sp_mk_file *)b)->path;
	for (;; x++, y++) {
		unsigned cx = *x == '/' ? 1 : *x, cy = *y == '/' ? 1 : *y;
		if (cx != cy || !cx)
			return (int)cx - (int)cy;
	}
}

static char *base_name(const char *input)
{
	size_t n = strlen(input);
	while (n > 1 && input[n - 1] == '/')
		n--;
	size_t start = n;
	while (start > 0 && input[start - 1] != '/')
		start--;
	return strndup(input + start, n - start);
}

int sp_mk_scan(const char *input, struct sp_mk_list *out, struct sp_error **err)
{
	memset(out, 0, sizeof(*out));
	struct scan s = {.l = out, .err = err};
	struct stat st;
	if (stat(input, &st) < 0)
		return sp_error_set(err, -errno, _("%s: %s"), input, strerror(errno));
	out->name = base_name(input);
	if (!out->name)
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	if (!*out->name || !strcmp(out->name, "/") || !strcmp(out->name, ".") ||
	    !strcmp(out->name, ".."))
		return sp_error_set(err, -EINVAL,
				    _("%s: cannot name a torrent after this path; give the "
				      "directory by its name"),
				    input);
	int r;
	if (S_ISDIR(st.st_mode)) {
		out->multi = true;
		r = scan_dir(&s, input, "", 0);
		if (r == 0 && !out->num_files)
			r = sp_error_set(err, -ENOENT, _("%s: no files to share"), input);
		if (r == 0)
			qsort(out->files, out->num_files, sizeof(*out->files), file_cmp);
	} else if (S_ISREG(st.st_mode)) {
		r = add_file(&s, out->name, input, (uint64_t)st.st_size);
	} else {
		r = sp_error_set(err, -EINVAL, _("%s: not a file or a directory"), input);
	}
	if (r == 0 && out->total == 0)
		r = sp_error_set(err, -EINVAL, _("%s: nothing to share (0 bytes)"), input);
	return r;
}

void sp_mk_list_fini(struct sp_mk_list *l)
{
	for (size_t i = 0; i < l->num_files; i++) {
		free(l->files[i].path);
		free(l->files[i].abs);
	}
	free(l->files);
	free(l->name);
	memset(l, 0, sizeof(*l));
}

double sp_mk_bitrate(const struct sp_mk_list *l, size_t *main_index)
{
	size_t best = SIZE_MAX;
	for (size_t i = 0; i < l->num_files; i++)
		if (l->files[i].duration > 0 &&
		    (best == SIZE_MAX || l->files[i].length > l->files[best].length))
			best = i;
	if (main_index)
		*main_index = best;
	if (best == SIZE_MAX)
		return 0;
	return (double)l->files[best].length / l->files[best].duration;
}

/* Piece size for a known bitrate. Only verified pieces are readable, so the
 * first frame waits for whole pieces: the first picture needs the header and
 * one key frame (typically a few tenths of a second of video), and a piece
 * much larger than that is waited for in vain. bench/play measured a 20 s
 * 1.3 Mbit/s stream from capped libtorrent seeders: 256 KiB pieces (1.6 s)
 * 1.1 s to the first frame, 128 KiB 0.6-0.9 s, 64 KiB 0.44-0.49 s, 32 KiB
 * no better than 64. So: the largest power of two not above TARGET_S of
 * video; then, for long files, doubled while there are more than
 * MAX_PIECES pieces (hashes in the .tstream, bitfields, haves) as long as
 * a piece stays within MAX_S of video (the .tstream rule: a second or two
 * at most). */
#define PIECE_TARGET_S 0.5
#define PIECE_MAX_S 2.0
#define PIECE_MAX_PIECES 4096
#define PIECE_MIN (16u << 10)
#define PIECE_MAX (4u << 20)

uint32_t sp_mk_choose_piece_length(uint64_t total, double bps)
{
	if (bps > 0) {
		uint32_t p = PIECE_MIN;
		while (p < PIECE_MAX && (double)p * 2 <= PIECE_TARGET_S * bps)
			p *= 2;
		while (p < PIECE_MAX && (total + p - 1) / p > PIECE_MAX_PIECES &&
		       (double)p * 2 <= PIECE_MAX_S * bps)
			p *= 2;
		return p;
	}
	/* Tribler's table (doc/tstream-format.md) */
	const uint64_t MiB = 1u << 20;
	if (total > 8192 * MiB)
		return 2u << 20;
	if (total > 2048 * MiB)
		return 1u << 20;
	if (total > 512 * MiB)
		return 512u << 10;
	if (total > 64 * MiB)
		return 256u << 10;
	if (total > 16 * MiB)
		return 128u << 10;
	if (total > 4 * MiB)
		return 64u << 10;
	return 32u << 10;
}

void sp_mk_format_playtime(double secs, char *out, size_t n)
{
	long long ms = llround(secs * 1000);
	if (ms < 0)
		ms = 0;
	long long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, f = ms % 1000;
	int k = h ? snprintf(out, n, "%lld:%02lld:%02lld", h, m, s)
		  : snprintf(out, n, "%02lld:%02lld", m, s);
	if (f && k > 0 && (size_t)k < n)
		snprintf(out + k, n - (size_t)k, ".%03lld", f);
}

/* Keys at each level are written in sorted order; the comments give it. */
static int put_kv_str(struct sp_buf *b, const char *k, const char *v)
{
	int r = sp_benc_put_cstr(b, k);
	return r ? r : sp_benc_put_cstr(b, v);
}

static int put_kv_int(struct sp_buf *b, const char *k, int64_t v)
{
	int r = sp_benc_put_cstr(b, k);
	return r ? r : sp_benc_put_int(b, v);
}

/* path list of one file: its '/'-separated relative path, split. */
static int put_path(struct sp_buf *b, const char *path)
{
	int r = sp_benc_list_begin(b);
	while (r == 0) {
		size_t n = strcspn(path, "/");
		r = sp_benc_put_str(b, path, n);
		if (!path[n])
			break;
		path += n + 1;
	}
	return r ? r : sp_benc_end(b);
}

static int put_info(struct sp_buf *b, const struct sp_mk_list *l, const struct sp_mk_opts *o,
		    uint32_t plen, const uint8_t *hashes)
{
	char pt[32];
	uint64_t pieces = (l->total + plen - 1) / plen;
	int r = sp_benc_dict_begin(b);
	if (l->multi) { /* files < name < piece length < pieces < private */
		r |= sp_benc_put_cstr(b, "files") | sp_benc_list_begin(b);
		for (size_t i = 0; i < l->num_files && r == 0; i++) {
			const struct sp_mk_file *f = &l->files[i];
			r |= sp_benc_dict_begin(b) | put_kv_int(b, "length", (int64_t)f->length);
			r |= sp_benc_put_cstr(b, "path") | put_path(b, f->path);
			if (f->duration > 0) {
				sp_mk_format_playtime(f->duration, pt, sizeof(pt));
				r |= put_kv_str(b, "playtime", pt);
			}
			r |= sp_benc_end(b);
		}
		r |= sp_benc_end(b);
	} else { /* length < name < piece length < pieces < playtime < private */
		r |= put_kv_int(b, "length", (int64_t)l->total);
	}
	r |= put_kv_str(b, "name", l->name) | put_kv_int(b, "piece length", plen);
	r |= sp_benc_put_cstr(b, "pieces") | sp_benc_put_str(b, hashes, (size_t)pieces * 20);
	if (!l->multi && l->files[0].duration > 0) {
		sp_mk_format_playtime(l->files[0].duration, pt, sizeof(pt));
		r |= put_kv_str(b, "playtime", pt);
	}
	if (o->private_flag)
		r |= put_kv_int(b, "private", 1);
	return r | sp_benc_end(b);
}

/* azureus_properties: Content: Progressive < Speed Bps < Title */
static int put_azureus(struct sp_buf *b, const struct sp_mk_list *l, const struct sp_mk_opts *o)
{
	double bps = sp_mk_bitrate(l, NULL);
	if (bps <= 0 && !o->title)
		return 0;
	int r = sp_benc_put_cstr(b, "azureus_properties") | sp_benc_dict_begin(b);
	r |= sp_benc_put_cstr(b, "Content") | sp_benc_dict_begin(b);
	if (bps > 0) {
		r |= put_kv_int(b, "Progressive", 1);
		r |= put_kv_int(b, "Speed Bps", (int64_t)llround(bps));
	}
	if (o->title)
		r |= put_kv_str(b, "Title", o->title);
	return r | sp_benc_end(b) | sp_benc_end(b);
}

int sp_mk_encode(const struct sp_mk_list *l, const struct sp_mk_opts *o,
		 uint32_t piece_length, const uint8_t *hashes, struct sp_buf *out,
		 struct sp_error **err)
{
	/* announce < announce-list < azureus_properties < comment < created by
	 * < creation date < info < url-list */
	int r = sp_benc_dict_begin(out);
	if (o->num_trackers)
		r |= put_kv_str(out, "announce", o->trackers[0]);
	if (o->num_trackers > 1) {
		r |= sp_benc_put_cstr(out, "announce-list") | sp_benc_list_begin(out);
		for (size_t i = 0; i < o->num_trackers; i++)
			r |= sp_benc_list_begin(out) | sp_benc_put_cstr(out, o->trackers[i]) |
			     sp_benc_end(out);
		r |= sp_benc_end(out);
	}
	r |= put_azureus(out, l, o);
	if (o->comment)
		r |= put_kv_str(out, "comment", o->comment);
	if (o->created_by)
		r |= put_kv_str(out, "created by", o->created_by);
	if (o->with_date)
		r |= put_kv_int(out, "creation date", o->date);
	r |= sp_benc_put_cstr(out, "info") | put_info(out, l, o, piece_length, hashes);
	if (o->num_web_seeds == 1) {
		r |= put_kv_str(out, "url-list", o->web_seeds[0]);
	} else if (o->num_web_seeds > 1) {
		r |= sp_benc_put_cstr(out, "url-list") | sp_benc_list_begin(out);
		for (size_t i = 0; i < o->num_web_seeds; i++)
			r |= sp_benc_put_cstr(out, o->web_seeds[i]);
		r |= sp_benc_end(out);
	}
	r |= sp_benc_end(out);
	/* the errors are negative errnos: OR-ing them is nonzero iff one failed */
	return r ? sp_error_set(err, -EOVERFLOW, _("the .tstream would be too large")) : 0;
}

int sp_mk_write_atomic(const char *path, const void *data, size_t len, struct sp_error **err)
{
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return sp_error_set(err, -e, _("%s: %s"), path, strerror(e));
	}
	mode_t um = umask(0);
	umask(um);
	int r = fchmod(fd, 0666 & ~um) < 0 ? -errno : 0;
	for (size_t done = 0; r == 0 && done < len;) {
		ssize_t w = write(fd, (const uint8_t *)data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			r = -errno;
		else
			done += (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		sp_error_set(err, r, _("%s: %s"), path, strerror(-r));
	}
	free(tmp);
	return r;
}
