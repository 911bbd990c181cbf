/* metainfo.c - .torrent / .tstream parsing into struct sp_metainfo.
 *
 * The file is copied into mi->raw and decoded once; every view (piece
 * hashes, thumbnail, the info bytes) points into that copy, so the struct
 * owns everything it refers to. The info-hash is SHA-1 over the exact
 * bytes of the `info` value as they sit in the file, never a re-encoding:
 * unknown keys, unsorted keys and odd encodings are all covered by it.
 *
 * Strictness: the structure BitTorrent needs (name, piece length, pieces,
 * lengths, paths) is checked hard and rejects the file; optional extras
 * (trackers, web seeds, .tstream keys) of the wrong type are ignored, as
 * unknown keys are. File list and path safety live in mi_files.c.
 * Pure apart from sp_metainfo_load (reads a file). Any thread. */
#include "core/metainfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/magnet.h"
#include "core/mi_private.h"
#include "core/sha1.h"

#define MAX_TORRENT_FILE (64u << 20)
#define MAX_TIERS 64
#define MAX_URLS 256
#define MAX_PEERS 1024

/* A NULL-terminated vector of the string items of a list (or one string),
 * skipping other types and empty strings, at most max entries. */
static char **string_list(const struct sp_benc *v, size_t max, size_t *count)
{
	*count = 0;
	size_t n = v && v->type == SP_BENC_LIST ? v->len : 1;
	char **out = calloc((n < max ? n : max) + 1, sizeof(*out));
	if (!out || !v)
		return out;
	if (v->type == SP_BENC_STR) {
		if (v->len && (out[0] = sp_benc_strdup(v)))
			*count = 1;
		return out;
	}
	if (v->type != SP_BENC_LIST)
		return out;
	for (const struct sp_benc *c = sp_benc_first(v); c && *count < max;
	     c = sp_benc_next(v, c)) {
		if (c->type == SP_BENC_STR && c->len && (out[*count] = sp_benc_strdup(c)))
			(*count)++;
	}
	return out;
}

/* BEP 12: announce-list wins when it has any URL; else announce alone. */
static int parse_trackers(struct sp_metainfo *mi, const struct sp_benc *root)
{
	const struct sp_benc *al = sp_benc_dict_get_type(root, "announce-list", SP_BENC_LIST);
	size_t n = al ? (al->len < MAX_TIERS ? al->len : MAX_TIERS) : 0;
	mi->tiers = calloc(n + 1, sizeof(*mi->tiers));
	if (!mi->tiers)
		return -ENOMEM;
	for (const struct sp_benc *t = al ? sp_benc_first(al) : NULL;
	     t && mi->num_tiers < n; t = sp_benc_next(al, t)) {
		if (t->type != SP_BENC_LIST)
			continue;
		size_t count;
		char **urls = string_list(t, MAX_URLS, &count);
		if (!urls)
			return -ENOMEM;
		if (!count) {
			free(urls);
			continue;
		}
		mi->tiers[mi->num_tiers++] = urls;
	}
	if (mi->num_tiers)
		return 0;
	const struct sp_benc *a = sp_benc_dict_get_type(root, "announce", SP_BENC_STR);
	if (!a || !a->len)
		return 0;
	size_t count;
	char **urls = string_list(a, 1, &count);
	if (!urls)
		return -ENOMEM;
	if (!count) {
		free(urls);
		return 0;
	}
	char ***t = realloc(mi->tiers, 2 * sizeof(*t));
	if (!t) {
		sp_mi_strv_free(urls, count);
		return -ENOMEM;
	}
	mi->tiers = t;
	t[0] = urls;
	t[1] = NULL;
	mi->num_tiers = 1;
	return 0;
}

static int parse_peers(struct sp_metainfo *mi, const struct sp_benc *root)
{
	const struct sp_benc *l = sp_benc_dict_get_type(root, "initial peers", SP_BENC_LIST);
	if (!l || !l->len)
		return 0;
	mi->initial_peers = calloc(l->len < MAX_PEERS ? l->len : MAX_PEERS,
				   sizeof(*mi->initial_peers));
	if (!mi->initial_peers)
		return -ENOMEM;
	for (const struct sp_benc *p = sp_benc_first(l); p && mi->num_initial_peers < MAX_PEERS;
	     p = sp_benc_next(l, p)) {
		const struct sp_benc *host = sp_benc_list_at(p, 0), *port = sp_benc_list_at(p, 1);
		if (!host || host->type != SP_BENC_STR || !host->len || host->len >= 64 ||
		    memchr(host->s, 0, host->len) || !port || port->type != SP_BENC_INT ||
		    port->i <= 0 || port->i > 65535)
			continue; /* a malformed entry is ignored, not fatal */
		struct sp_mi_peer *dst = &mi->initial_peers[mi->num_initial_peers++];
		memcpy(dst->host, host->s, host->len);
		dst->host[host->len] = 0;
		dst->port = (uint16_t)port->i;
	}
	return 0;
}

static char *dup_str(const struct sp_benc *d, const char *key)
{
	return sp_benc_strdup(sp_benc_dict_get_type(d, key, SP_BENC_STR));
}

static double playtime_of(const struct sp_benc *d)
{
	const struct sp_benc *pt = sp_benc_dict_get_type(d, "playtime", SP_BENC_STR);
	double v = pt ? sp_parse_playtime((const char *)pt->s, pt->len) : -1;
	return v > 0 ? v : 0;
}

/* The .tstream extras (doc/tstream-format.md); wrong types are ignored. */
static int parse_tstream(struct sp_metainfo *mi, const struct sp_benc *root,
			 const struct sp_benc *info)
{
	mi->info_playtime = playtime_of(info);
	mi->top_playtime = playtime_of(root);
	const struct sp_benc *az = sp_benc_dict_get_type(root, "azureus_properties", SP_BENC_DICT);
	const struct sp_benc *c = sp_benc_dict_get_type(az, "Content", SP_BENC_DICT);
	if (c) {
		const struct sp_benc *bps = sp_benc_dict_get_type(c, "Speed Bps", SP_BENC_INT);
		if (bps && bps->i > 0)
			mi->speed_bps = bps->i;
		mi->title = dup_str(c, "Title");
		mi->description = dup_str(c, "Description");
		mi->publisher = dup_str(c, "Publisher");
		const struct sp_benc *th = sp_benc_dict_get_type(c, "Thumbnail", SP_BENC_STR);
		if (th && th->len) {
			mi->thumbnail = th->s;
			mi->thumbnail_len = th->len;
		}
	}
	const struct sp_benc *live = sp_benc_dict_get_type(info, "live", SP_BENC_DICT);
	if (live) {
		mi->live = true;
		mi->live_authmethod = dup_str(live, "authmethod");
	}
	return parse_peers(mi, root);
}

static int parse_extras(struct sp_metainfo *mi, const struct sp_benc *root,
			const struct sp_benc *info)
{
	const struct sp_benc *priv = sp_benc_dict_get_type(info, "private", SP_BENC_INT);
	mi->private_flag = priv && priv->i == 1;
	mi->comment = dup_str(root, "comment.utf-8");
	if (!mi->comment)
		mi->comment = dup_str(root, "comment");
	mi->created_by = dup_str(root, "created by");
	const struct sp_benc *cd = sp_benc_dict_get_type(root, "creation date", SP_BENC_INT);
	mi->creation_date = cd ? cd->i : 0;
	if (parse_trackers(mi, root) < 0)
		return -ENOMEM;
	mi->web_seeds = string_list(sp_benc_dict_get(root, "url-list"), MAX_URLS,
				    &mi->num_web_seeds);
	/* libtorrent writes a single httpseeds entry as a plain string */
	mi->http_seeds = string_list(sp_benc_dict_get(root, "httpseeds"),
				     MAX_URLS, &mi->num_http_seeds);
	if (!mi->web_seeds || !mi->http_seeds)
		return -ENOMEM;
	return parse_tstream(mi, root, info);
}

/* piece length, pieces, and BEP 52's meta version. */
static int parse_pieces(struct sp_metainfo *mi, const struct sp_benc *info,
			struct sp_error **err)
{
	const struct sp_benc *mv = sp_benc_dict_get_type(info, "meta version", SP_BENC_INT);
	const struct sp_benc *pieces = sp_benc_dict_get_type(info, "pieces", SP_BENC_STR);
	if (mv && mv->i >= 2) {
		if (!pieces)
			return sp_error_set(err, -ENOTSUP,
					    _("BitTorrent v2-only torrents are not supported "
					      "(no v1 piece hashes)"));
		mi->hybrid_v2 = true;
	}
	const struct sp_benc *pl = sp_benc_dict_get_type(info, "piece length", SP_BENC_INT);
	if (!pl)
		return sp_error_set(err, -EBADMSG, _("the info dictionary has no piece length"));
	if (pl->i <= 0 || pl->i > SP_MI_MAX_PIECE_LEN)
		return sp_error_set(err, -EBADMSG,
				    _("piece length %lld is out of range (1 byte to 64 MiB)"),
				    (long long)pl->i);
	if (!pieces)
		return sp_error_set(err, -EBADMSG, _("the info dictionary has no piece hashes"));
	mi->piece_length = (uint32_t)pl->i;
	uint64_t n = (mi->total_length + mi->piece_length - 1) / mi->piece_length;
	if (n > SP_MI_MAX_PIECES)
		return sp_error_set(err, -EOVERFLOW,
				    _("too many pieces: %llu (at most %u, what one bitfield "
				      "message can announce)"),
				    (unsigned long long)n, SP_MI_MAX_PIECES);
	if (pieces->len != n * SP_SHA1_LEN)
		return sp_error_set(err, -EBADMSG,
				    _("piece hashes are %zu bytes, expected %llu (20 for each of "
				      "%llu pieces)"),
				    pieces->len, (unsigned long long)n * SP_SHA1_LEN,
				    (unsigned long long)n);
	mi->num_pieces = (uint32_t)n;
	mi->piece_hashes = pieces->s;
	return 0;
}

static int parse_doc(struct sp_metainfo *mi, const struct sp_benc *root, struct sp_error **err)
{
	if (root->type != SP_BENC_DICT)
		return sp_error_set(err, -EBADMSG, _("the file is not a bencoded dictionary"));
	const struct sp_benc *info = sp_benc_dict_get(root, "info");
	if (!info || info->type != SP_BENC_DICT)
		return sp_error_set(err, -EBADMSG, _("no info dictionary"));
	mi->info_raw = info->raw;
	mi->info_raw_len = info->raw_len;
	sp_sha1(info->raw, info->raw_len, mi->info_hash);
	sp_hex(mi->info_hash, SP_INFOHASH_LEN, mi->info_hash_hex);
	const struct sp_benc *mv = sp_benc_dict_get_type(info, "meta version", SP_BENC_INT);
	if (mv && mv->i >= 2 && !sp_benc_dict_get(info, "pieces"))
		return parse_pieces(mi, info, err); /* v2-only: say so before anything else */
	int r = sp_mi_parse_files(mi, info, err);
	if (r < 0)
		return r;
	if (mi->total_length == 0)
		return sp_error_set(err, -EBADMSG, _("the torrent holds no data (total length 0)"));
	r = parse_pieces(mi, info, err);
	if (r < 0)
		return r;
	if (parse_extras(mi, root, info) < 0)
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	return 0;
}

struct sp_metainfo *sp_metainfo_parse(const uint8_t *buf, size_t len, struct sp_error **err)
{
	if (len > MAX_TORRENT_FILE) {
		sp_error_set(err, -EOVERFLOW, _("metainfo larger than %u MiB"),
			     MAX_TORRENT_FILE >> 20);
		return NULL;
	}
	struct sp_metainfo *mi = calloc(1, sizeof(*mi));
	if (!mi || !(mi->raw = malloc(len ? len : 1))) {
		free(mi);
		sp_error_set(err, -ENOMEM, _("out of memory"));
		return NULL;
	}
	if (len)
		memcpy(mi->raw, buf, len);
	mi->raw_len = len;
	struct sp_benc_doc doc;
	/* depth as libtorrent allows (v2 file trees nest per directory); about
	 * 6 nodes a file: room for ~300k files, at most ~110 MB of nodes */
	const struct sp_benc_limits lim = {.max_depth = 100, .max_nodes = 1u << 21};
	int r = sp_benc_parse(mi->raw, len, &lim, &doc, err);
	if (r == 0) {
		r = parse_doc(mi, &doc.nodes[0], err);
		sp_benc_doc_free(&doc);
	}
	if (r < 0) {
		sp_metainfo_free(mi);
		return NULL;
	}
	return mi;
}

static int read_file(const char *path, uint8_t **out, size_t *len, struct sp_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return sp_error_set(err, -e, _("%s: %s"), path, strerror(e));
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_TORRENT_FILE) {
		close(fd);
		return sp_error_set(err, -EOVERFLOW, _("%s: not a regular file of at most %u MiB"),
				    path, MAX_TORRENT_FILE >> 20);
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *b = malloc(n ? n : 1);
	while (b && got < n) {
		ssize_t r = read(fd, b + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!b || got != n) {
		free(b);
		return sp_error_set(err, -EIO, _("%s: read failed"), path);
	}
	*out = b;
	*len = n;
	return 0;
}

struct sp_metainfo *sp_metainfo_load(const char *src, struct sp_error **err)
{
	if (!strncasecmp(src, "magnet:", 7))
		return sp_magnet_parse(src, err);
	uint8_t *b = NULL;
	size_t n = 0;
	if (read_file(src, &b, &n, err) < 0)
		return NULL;
	struct sp_error *e = NULL;
	struct sp_metainfo *mi = sp_metainfo_parse(b, n, &e);
	free(b);
	if (!mi) {
		/* prefix the message with the file it is about */
		sp_error_set(err, e ? e->code : -EBADMSG, "%s: %s", src, sp_error_msg(e));
		sp_error_free(e);
	}
	return mi;
}

static int copy_from_magnet(struct sp_metainfo *mi, const struct sp_metainfo *mg)
{
	if (!mi->num_tiers && mg->num_tiers) {
		char ***t = calloc(mg->num_tiers + 1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		free(mi->tiers);
		mi->tiers = t;
		for (size_t i = 0; i < mg->num_tiers; i++) {
			size_t n = 0;
			while (mg->tiers[i][n])
				n++;
			if (!(t[i] = sp_mi_strv_dup(mg->tiers[i], n)))
				return -ENOMEM;
			mi->num_tiers = i + 1;
		}
	}
	if (!mi->num_web_seeds && mg->num_web_seeds) {
		free(mi->web_seeds);
		mi->web_seeds = sp_mi_strv_dup(mg->web_seeds, mg->num_web_seeds);
		if (!mi->web_seeds)
			return -ENOMEM;
		mi->num_web_seeds = mg->num_web_seeds;
	}
	if (!mi->num_initial_peers && mg->num_initial_peers) {
		free(mi->initial_peers);
		mi->initial_peers = malloc(mg->num_initial_peers * sizeof(*mi->initial_peers));
		if (!mi->initial_peers)
			return -ENOMEM;
		memcpy(mi->initial_peers, mg->initial_peers,
		       mg->num_initial_peers * sizeof(*mi->initial_peers));
		mi->num_initial_peers = mg->num_initial_peers;
	}
	return 0;
}

struct sp_metainfo *sp_metainfo_from_info(const uint8_t *info, size_t len,
					  const struct sp_metainfo *magnet,
					  struct sp_error **err)
{
	uint8_t h[SP_INFOHASH_LEN];
	sp_sha1(info, len, h);
	if (magnet && memcmp(h, magnet->info_hash, sizeof(h))) {
		sp_error_set(err, -EBADMSG, _("metadata does not match the info-hash"));
		return NULL;
	}
	/* wrap it as a torrent so one parser handles both */
	struct sp_buf b;
	sp_buf_init(&b, (size_t)MAX_TORRENT_FILE);
	if (sp_buf_append(&b, "d4:info", 7) < 0 || sp_buf_append(&b, info, len) < 0 ||
	    sp_buf_append(&b, "e", 1) < 0) {
		sp_buf_fini(&b);
		sp_error_set(err, -EOVERFLOW, _("metadata is too large"));
		return NULL;
	}
	struct sp_metainfo *mi = sp_metainfo_parse(b.data, b.len, err);
	sp_buf_fini(&b);
	if (mi && mi->info_raw_len != len) { /* the info value did not fill it */
		sp_error_set(err, -EBADMSG, _("metadata is not a single bencoded dictionary"));
		sp_metainfo_free(mi);
		return NULL;
	}
	if (mi && magnet && copy_from_magnet(mi, magnet) < 0) {
		sp_error_set(err, -ENOMEM, _("out of memory"));
		sp_metainfo_free(mi);
		return NULL;
	}
	return mi;
}

void sp_metainfo_free(struct sp_metainfo *mi)
{
	if (!mi)
		return;
	free(mi->name);
	for (size_t i = 0; i < mi->num_files; i++)
		free(mi->files[i].path);
	free(mi->files);
	for (size_t t = 0; mi->tiers && t < mi->num_tiers; t++) {
		size_t n = 0;
		while (mi->tiers[t][n])
			n++;
		sp_mi_strv_free(mi->tiers[t], n);
	}
	free(mi->tiers);
	sp_mi_strv_free(mi->web_seeds, mi->num_web_seeds);
	sp_mi_strv_free(mi->http_seeds, mi->num_http_seeds);
	free(mi->initial_peers);
	free(mi->title);
	free(mi->description);
	free(mi->publisher);
	free(mi->live_authmethod);
	free(mi->comment);
	free(mi->created_by);
	free(mi->raw);
	free(mi);
}
