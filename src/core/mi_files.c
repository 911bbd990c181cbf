/* mi_files.c - the file list of a torrent's info dict, and path safety.
 *
 * Every path that leaves this file is a relative '/'-separated path made
 * of safe components: not empty, not "." or "..", no '/', no NUL, at most
 * 255 bytes, at most 4096 bytes in all, and no two real (non-pad) files
 * share a path or sit one inside the other. The torrent's name (the top
 * of its files in the download folder) is never SP_MI_RESERVED_NAME,
 * where storage keeps its resume files. Storage joins these paths to
 * its download directory and may trust them: nothing can escape it.
 * A bad path rejects the whole torrent with a message naming the file,
 * rather than being silently rewritten (as some clients do), because a
 * .tstream with such paths is either broken or hostile. Pure; any thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/i18n.h"
#include "core/mi_private.h"

char *sp_mi_display(const uint8_t *s, size_t len)
{
	size_t n = len > 200 ? 200 : len;
	char *out = malloc(n + 4);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
	strcpy(out + n, len > n ? "..." : "");
	return out;
}

char **sp_mi_strv_dup(char *const *v, size_t n)
{
	char **out = calloc(n + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			sp_mi_strv_free(out, i);
			return NULL;
		}
	}
	return out;
}

void sp_mi_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Why a path component is unsafe, or NULL when it is fine. */
static const char *component_problem(const uint8_t *s, size_t len)
{
	if (len == 0)
		return _("empty path component");
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return _("'.' or '..' path component");
	if (s[0] == '/')
		return _("absolute path");
	if (memchr(s, 0, len))
		return _("NUL byte in a name");
	if (memchr(s, '/', len))
		return _("'/' inside a name");
	if (len > SP_MI_MAX_COMPONENT)
		return _("name longer than 255 bytes");
	return NULL;
}

/* Names the file by its path components joined with '/', made printable. */
static int bad_path(struct sp_error **err, size_t idx, const struct sp_benc *list,
		    const char *why)
{
	struct sp_buf b;
	sp_buf_init(&b, 400);
	for (const struct sp_benc *c = sp_benc_first(list); c; c = sp_benc_next(list, c)) {
		if (c->type != SP_BENC_STR)
			continue;
		char *part = sp_mi_display(c->s, c->len);
		if (part && (b.len == 0 || sp_buf_append(&b, "/", 1) == 0))
			sp_buf_append(&b, part, strlen(part));
		free(part);
	}
	sp_error_set(err, -EBADMSG, _("unsafe path in file %zu (\"%s\"): %s"), idx,
		     b.data ? (char *)b.data : "", why);
	sp_buf_fini(&b);
	return -EBADMSG;
}

/* The preferred UTF-8 variant of a key when it has the right type. */
static const struct sp_benc *utf8_or_plain(const struct sp_benc *d, const char *key,
					   const char *key_utf8, enum sp_benc_type type)
{
	const struct sp_benc *v = sp_benc_dict_get_type(d, key_utf8, type);
	if (v && (type != SP_BENC_LIST || v->len > 0))
		return v;
	return sp_benc_dict_get_type(d, key, type);
}

static void apply_attr(struct sp_mi_file *f, const struct sp_benc *attr)
{
	if (!attr)
		return;
	for (size_t i = 0; i < attr->len; i++) {
		switch (attr->s[i]) {
		case 'p': f->is_pad = true; break;
		case 'x': f->executable = true; break;
		case 'h': f->hidden = true; break;
		case 'l': f->symlink = true; break;
		default: break; /* unknown attributes are ignored (BEP 47) */
		}
	}
}

static double file_playtime(const struct sp_benc *d)
{
	const struct sp_benc *pt = sp_benc_dict_get_type(d, "playtime", SP_BENC_STR);
	double v = pt ? sp_parse_playtime((const char *)pt->s, pt->len) : -1;
	return v > 0 ? v : 0;
}

/* path = name "/" comp "/" comp... with each component checked. */
static int build_path(const struct sp_metainfo *mi, const struct sp_benc *list, size_t idx,
		      char **out, struct sp_error **err)
{
	struct sp_buf b;
	sp_buf_init(&b, SP_MI_MAX_PATH);
	int r = sp_buf_append(&b, mi->name, strlen(mi->name));
	for (const struct sp_benc *c = sp_benc_first(list); c && r == 0;
	     c = sp_benc_next(list, c)) {
		if (c->type != SP_BENC_STR) {
			r = sp_error_set(err, -EBADMSG, _("file %zu: path is not a list of strings"),
					 idx);
			break;
		}
		const char *why = component_problem(c->s, c->len);
		if (why) {
			r = bad_path(err, idx, list, why);
			break;
		}
		r = sp_buf_append(&b, "/", 1);
		if (r == 0)
			r = sp_buf_append(&b, c->s, c->len);
		if (r == -EOVERFLOW)
			r = bad_path(err, idx, list,
				     _("path longer than 4096 bytes"));
	}
	if (r < 0) {
		if (r == -ENOMEM)
			sp_error_set(err, r, _("out of memory"));
		sp_buf_fini(&b);
		return r;
	}
	*out = (char *)sp_buf_steal(&b, NULL);
	return *out ? 0 : sp_error_set(err, -ENOMEM, _("out of memory"));
}

static int parse_entry(struct sp_metainfo *mi, const struct sp_benc *d, size_t idx,
		       struct sp_error **err)
{
	struct sp_mi_file *f = &mi->files[idx];
	if (d->type != SP_BENC_DICT)
		return sp_error_set(err, -EBADMSG, _("file %zu is not a dictionary"), idx);
	const struct sp_benc *len = sp_benc_dict_get_type(d, "length", SP_BENC_INT);
	if (!len || len->i < 0)
		return sp_error_set(err, -EBADMSG, _("file %zu: missing or negative length"), idx);
	const struct sp_benc *path = utf8_or_plain(d, "path", "path.utf-8", SP_BENC_LIST);
	if (!path || path->len == 0)
		return sp_error_set(err, -EBADMSG, _("file %zu: missing or empty path"), idx);
	apply_attr(f, sp_benc_dict_get_type(d, "attr", SP_BENC_STR));
	f->length = (uint64_t)len->i;
	f->offset = mi->total_length;
	if (f->length > SP_MI_MAX_TOTAL || mi->total_length > SP_MI_MAX_TOTAL - f->length)
		return sp_error_set(err, -EOVERFLOW, _("total length is too large"));
	mi->total_length += f->length;
	f->playtime = file_playtime(d);
	return build_path(mi, path, idx, &f->path, err);
}

/* Order paths so that '/' sorts before every other byte: then a file's
 * children, if any, come right after it. */
static int path_cmp(const void *a, const void *b)
{
	const unsigned char *x = *(const unsigned char *const *)a;
	const unsigned char *y = *(const unsigned char *const *)b;
	for (;; x++, y++) {
		unsigned cx = *x == '/' ? 1 : *x, cy = *y == '/' ? 1 : *y;
		if (cx != cy || !cx)
			return (int)cx - (int)cy;
	}
}

static int check_duplicates(const struct sp_metainfo *mi, struct sp_error **err)
{
	const char **v = malloc(mi->num_files * sizeof(*v));
	if (!v)
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	size_t n = 0;
	for (size_t i = 0; i < mi->num_files; i++)
		if (!mi->files[i].is_pad)
			v[n++] = mi->files[i].path;
	qsort(v, n, sizeof(*v), path_cmp);
	int r = 0;
	for (size_t i = 0; i + 1 < n && r == 0; i++) {
		size_t l = strlen(v[i]);
		char *shown = sp_mi_display((const uint8_t *)v[i], l);
		if (!strcmp(v[i], v[i + 1]))
			r = sp_error_set(err, -EBADMSG, _("duplicate path \"%s\""), shown);
		else if (!strncmp(v[i], v[i + 1], l) && v[i + 1][l] == '/')
			r = sp_error_set(err, -EBADMSG,
					 _("\"%s\" is both a file and a directory"), shown);
		free(shown);
	}
	free(v);
	return r;
}

static int parse_name(struct sp_metainfo *mi, const struct sp_benc *info,
		      struct sp_error **err)
{
	const struct sp_benc *name = utf8_or_plain(info, "name", "name.utf-8", SP_BENC_STR);
	if (name && name->len == 0)
		name = sp_benc_dict_get_type(info, "name", SP_BENC_STR);
	if (!name)
		return sp_error_set(err, -EBADMSG, _("the info dictionary has no name"));
	const char *why = component_problem(name->s, name->len);
	/* the download folder's own: resume files and the play cache's */
	if (!why && name->len == sizeof(SP_MI_RESERVED_NAME) - 1 &&
	    !memcmp(name->s, SP_MI_RESERVED_NAME, name->len))
		why = _("the name is reserved for swarmplay's own files");
	if (why) {
		char *shown = sp_mi_display(name->s, name->len);
		sp_error_set(err, -EBADMSG, _("unsafe torrent name \"%s\": %s"),
			     shown ? shown : "", why);
		free(shown);
		return -EBADMSG;
	}
	mi->name = sp_benc_strdup(name);
	return mi->name ? 0 : sp_error_set(err, -ENOMEM, _("out of memory"));
}

int sp_mi_parse_files(struct sp_metainfo *mi, const struct sp_benc *info,
		      struct sp_error **err)
{
	int r = parse_name(mi, info, err);
	if (r < 0)
		return r;
	const struct sp_benc *files = sp_benc_dict_get_type(info, "files", SP_BENC_LIST);
	if (!files) {
		const struct sp_benc *len = sp_benc_dict_get_type(info, "length", SP_BENC_INT);
		if (!len || len->i < 0)
			return sp_error_set(err, -EBADMSG,
					    _("the info dictionary has neither files nor a length"));
		if ((uint64_t)len->i > SP_MI_MAX_TOTAL)
			return sp_error_set(err, -EOVERFLOW, _("total length is too large"));
		mi->files = calloc(1, sizeof(*mi->files));
		if (!mi->files || !(mi->files[0].path = strdup(mi->name)))
			return sp_error_set(err, -ENOMEM, _("out of memory"));
		mi->num_files = 1;
		mi->files[0].length = mi->total_length = (uint64_t)len->i;
		mi->files[0].playtime = file_playtime(info);
		apply_attr(&mi->files[0], sp_benc_dict_get_type(info, "attr", SP_BENC_STR));
		return 0;
	}
	mi->multi_file = true;
	if (files->len == 0)
		return sp_error_set(err, -EBADMSG, _("the file list is empty"));
	if (files->len > SP_MI_MAX_FILES)
		return sp_error_set(err, -EOVERFLOW, _("too many files (%zu)"), files->len);
	mi->files = calloc(files->len, sizeof(*mi->files));
	if (!mi->files)
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	size_t i = 0;
	for (const struct sp_benc *f = sp_benc_first(files); f; f = sp_benc_next(files, f)) {
		mi->num_files = i + 1; /* so that free() sees the paths made so far */
		r = parse_entry(mi, f, i++, err);
		if (r < 0)
			return r;
	}
	return check_duplicates(mi, err);
}
