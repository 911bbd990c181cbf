/* serve_pages.c - the pages of `swarmplay serve` other than the files:
 * the index (HTML for people, JSON for programs), a torrent's playlist
 * (m3u, video files in natural order) and the session's figures
 * (stats.json).
 *
 * Invariants: every name from a torrent is escaped for where it goes
 * (HTML text, JSON string, URL path); pages are built in a ceilinged
 * buffer (-EOVERFLOW past it, never a partial page sent); the token, when
 * the server asks for one, is appended to every link so that a page
 * opened with it keeps working.
 *
 * Threads: the server thread; reads torrents only through the public API
 * (thread-safe) and their immutable metainfo. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app/serve_int.h"
#include "core/metainfo.h"
#include "net/http_parse.h"

struct sp_torrent *sp_serve_find(const struct sp_serve *sv, const char *hex)
{
	for (int i = 0; i < sv->cfg.ntorrents; i++)
		if (!strcmp(sp_torrent_metainfo(sv->cfg.torrents[i])->info_hash_hex, hex))
			return sv->cfg.torrents[i];
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int sp_serve_file_path(struct sp_buf *b, struct sp_torrent *t, int file)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	int r = sp_buf_appendf(b, "/%s/%d/", mi->info_hash_hex, file);
	return r < 0 ? r : sp_http_escape(b, base_name(mi->files[file].path), SP_HTTP_ESC_PATH);
}

/* base + path + ?token=...: a whole URL, escaped again for where it goes
 * (mode: HTML attribute, JSON string; PATH for none). */
static int append_url(struct sp_buf *b, const char *base, struct sp_torrent *t, int file,
		      const char *suffix, const char *token, enum sp_http_escape_mode mode)
{
	struct sp_buf u;
	sp_buf_init(&u, 8192);
	int r = sp_buf_appendf(&u, "%s", base);
	if (!r && file >= 0)
		r = sp_serve_file_path(&u, t, file);
	if (!r && suffix)
		r = sp_buf_appendf(&u, "/%s%s", sp_torrent_metainfo(t)->info_hash_hex, suffix);
	if (!r && token)
		r = sp_buf_appendf(&u, "?token=");
	if (!r && token)
		r = sp_http_escape(&u, token, SP_HTTP_ESC_PATH);
	if (!r)
		r = sp_buf_append(&u, "", 1);
	if (!r && mode == SP_HTTP_ESC_PATH)
		r = sp_buf_appendf(b, "%s", (char *)u.data);
	else if (!r)
		r = sp_http_escape(b, (char *)u.data, mode);
	sp_buf_fini(&u);
	return r;
}

static double progress(struct sp_torrent *t)
{
	struct sp_torrent_stats st;
	sp_torrent_get_stats(t, &st);
	return st.total_length ? (double)st.verified_bytes / (double)st.total_length : 0;
}

static int index_json_torrent(struct sp_buf *b, struct sp_torrent *t, const char *base,
			      const char *token)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	int r = sp_buf_appendf(b, "{\"info_hash\": \"%s\", \"name\": \"", mi->info_hash_hex);
	r = r ? r : sp_http_escape(b, mi->name ? mi->name : "", SP_HTTP_ESC_JSON);
	r = r ? r : sp_buf_appendf(b, "\", \"progress\": %.4f, \"m3u\": \"", progress(t));
	r = r ? r : append_url(b, base, t, -1, ".m3u", token, SP_HTTP_ESC_JSON);
	r = r ? r : sp_buf_appendf(b, "\", \"files\": [");
	bool first = true;
	for (size_t i = 0; !r && i < mi->num_files; i++) {
		const struct sp_mi_file *f = &mi->files[i];
		if (f->is_pad)
			continue;
		r = sp_buf_appendf(b, "%s{\"index\": %zu, \"path\": \"", first ? "" : ", ", i);
		r = r ? r : sp_http_escape(b, f->path, SP_HTTP_ESC_JSON);
		r = r ? r : sp_buf_appendf(b, "\", \"length\": %" PRIu64 ", \"type\": \"%s\", "
					      "\"url\": \"", f->length, sp_http_content_type(f->path));
		r = r ? r : append_url(b, base, t, (int)i, NULL, token, SP_HTTP_ESC_JSON);
		r = r ? r : sp_buf_appendf(b, "\"}");
		first = false;
	}
	return r ? r : sp_buf_appendf(b, "]}");
}

static int index_html_torrent(struct sp_buf *b, struct sp_torrent *t, const char *base,
			      const char *token)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	int r = sp_buf_appendf(b, "<h2>");
	r = r ? r : sp_http_escape(b, mi->name ? mi->name : mi->info_hash_hex, SP_HTTP_ESC_HTML);
	r = r ? r : sp_buf_appendf(b, "</h2>\n<p><code>%s</code> %.1f %% <a href=\"",
				   mi->info_hash_hex, 100 * progress(t));
	r = r ? r : append_url(b, base, t, -1, ".m3u", token, SP_HTTP_ESC_HTML);
	r = r ? r : sp_buf_appendf(b, "\">playlist (m3u)</a></p>\n<ul>\n");
	for (size_t i = 0; !r && i < mi->num_files; i++) {
		const struct sp_mi_file *f = &mi->files[i];
		if (f->is_pad)
			continue;
		r = sp_buf_appendf(b, "<li><a href=\"");
		r = r ? r : append_url(b, base, t, (int)i, NULL, token, SP_HTTP_ESC_HTML);
		r = r ? r : sp_buf_appendf(b, "\">");
		r = r ? r : sp_http_escape(b, f->path, SP_HTTP_ESC_HTML);
		r = r ? r : sp_buf_appendf(b, "</a> (%.1f MB)</li>\n", (double)f->length / 1e6);
	}
	return r ? r : sp_buf_appendf(b, "</ul>\n");
}

int sp_serve_page_index(struct sp_buf *b, const struct sp_serve *sv, bool json,
			const char *base, const char *token)
{
	int r = json ? sp_buf_appendf(b, "{\"torrents\": [")
		     : sp_buf_appendf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
					 "<title>swarmplay</title></head><body>\n"
					 "<h1>swarmplay</h1>\n");
	for (int i = 0; !r && i < sv->cfg.ntorrents; i++) {
		if (json && i)
			r = sp_buf_appendf(b, ", ");
		if (!r)
			r = json ? index_json_torrent(b, sv->cfg.torrents[i], base, token)
				 : index_html_torrent(b, sv->cfg.torrents[i], base, token);
	}
	return r ? r : sp_buf_appendf(b, json ? "]}\n" : "</body></html>\n");
}

static const struct sp_metainfo *sort_mi;

static int cmp_files(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return sp_http_natural_cmp(sort_mi->files[x].path, sort_mi->files[y].path);
}

int sp_serve_page_m3u(struct sp_buf *b, struct sp_torrent *t, const char *base,
		      const char *token)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	size_t *idx = calloc(mi->num_files ? mi->num_files : 1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < mi->num_files; i++)
		if (!mi->files[i].is_pad && sp_metainfo_is_video_path(mi->files[i].path))
			idx[n++] = i;
	sort_mi = mi; /* one server thread: qsort has no context argument */
	qsort(idx, n, sizeof(*idx), cmp_files);
	int r = sp_buf_appendf(b, "#EXTM3U\n");
	for (size_t k = 0; !r && k < n; k++) {
		const struct sp_mi_file *f = &mi->files[idx[k]];
		double len = f->playtime > 0 ? f->playtime : -1;
		r = sp_buf_appendf(b, "#EXTINF:%.0f,", len);
		for (const char *p = base_name(f->path); !r && *p; p++)
			r = sp_buf_append(b, (unsigned char)*p < 0x20 ? " " : p, 1);
		r = r ? r : sp_buf_appendf(b, "\n");
		r = r ? r : append_url(b, base, t, (int)idx[k], NULL, token, SP_HTTP_ESC_PATH);
		r = r ? r : sp_buf_appendf(b, "\n");
	}
	free(idx);
	return r;
}

static int stats_torrent(struct sp_buf *b, struct sp_torrent *t)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	struct sp_torrent_stats st;
	sp_torrent_get_stats(t, &st);
	int r = sp_buf_appendf(b, "{\"info_hash\": \"%s\", \"name\": \"", mi->info_hash_hex);
	r = r ? r : sp_http_escape(b, mi->name ? mi->name : "", SP_HTTP_ESC_JSON);
	r = r ? r : sp_buf_appendf(b,
		"\", \"num_pieces\": %" PRIu32 ", \"have_pieces\": %" PRIu32
		", \"total_length\": %" PRIu64 ", \"verified_bytes\": %" PRIu64
		", \"complete\": %s, \"checking\": %s, \"peers\": %d, \"seeds\": %d"
		", \"down_rate\": %.0f, \"up_rate\": %.0f, \"downloaded_peers\": %" PRIu64
		", \"downloaded_webseed\": %" PRIu64 ", \"downloaded_cache\": %" PRIu64
		", \"uploaded\": %" PRIu64 ", \"wasted\": %" PRIu64 "}",
		st.num_pieces, st.have_pieces, st.total_length, st.verified_bytes,
		st.complete ? "true" : "false", st.checking ? "true" : "false", st.peers, st.seeds,
		st.down_rate, st.up_rate, st.downloaded[SP_FROM_PEERS],
		st.downloaded[SP_FROM_WEBSEED], st.downloaded[SP_FROM_CACHE], st.uploaded,
		st.wasted);
	return r;
}

int sp_serve_page_stats(struct sp_buf *b, const struct sp_serve *sv)
{
	int r = sp_buf_appendf(b,
			       "{\"streams\": %d, \"connections\": %d, \"connections_refused\": "
			       "%llu, \"connections_evicted\": %llu, \"torrents\": [",
			       atomic_load(&sv->nstreams), atomic_load(&sv->nconns), sv->refused,
			       sv->evicted);
	for (int i = 0; !r && i < sv->cfg.ntorrents; i++) {
		if (i)
			r = sp_buf_appendf(b, ", ");
		r = r ? r : stats_torrent(b, sv->cfg.torrents[i]);
	}
	return r ? r : sp_buf_appendf(b, "]}\n");
}
