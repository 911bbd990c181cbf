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
#include "app/http_parse.h"

struct sp_torrent *sp_serve_find(const struct sp_serve *sv, const char *hex)
{
	for (int i = 0; i < sv->cfg.ntorrents; i++)
		if (!strcmp(sp_metainfo_info_hash(sp_torrent_metainfo(sv->cfg.torrents[i])), hex))
			return sv->cfg.torrents[i];
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int sp_serve_file_path(struct app_buf *b, struct sp_torrent *t, int file)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	int r = app_buf_appendf(b, "/%s/%d/", sp_metainfo_info_hash(mi), file);
	return r < 0 ? r
		     : sp_http_escape(b, base_name(sp_metainfo_file_path(mi, file)),
				      SP_HTTP_ESC_PATH);
}

/* base + path + ?token=...: a whole URL, escaped again for where it goes
 * (mode: HTML attribute, JSON string; PATH for none). */
static int append_url(struct app_buf *b, const char *base, struct sp_torrent *t, int file,
		      const char *suffix, const char *token, enum sp_http_escape_mode mode)
{
	struct app_buf u;
	app_buf_init(&u, 8192);
	int r = app_buf_appendf(&u, "%s", base);
	if (!r && file >= 0)
		r = sp_serve_file_path(&u, t, file);
	if (!r && suffix)
		r = app_buf_appendf(&u, "/%s%s", sp_metainfo_info_hash(sp_torrent_metainfo(t)),
				    suffix);
	if (!r && token)
		r = app_buf_appendf(&u, "?token=");
	if (!r && token)
		r = sp_http_escape(&u, token, SP_HTTP_ESC_PATH);
	if (!r)
		r = app_buf_append(&u, "", 1);
	if (!r && mode == SP_HTTP_ESC_PATH)
		r = app_buf_appendf(b, "%s", (char *)u.data);
	else if (!r)
		r = sp_http_escape(b, (char *)u.data, mode);
	app_buf_fini(&u);
	return r;
}

static double progress(struct sp_torrent *t)
{
	struct sp_torrent_stats st;
	sp_torrent_get_stats(t, &st);
	return st.total_length ? (double)st.verified_bytes / (double)st.total_length : 0;
}

static int index_json_torrent(struct app_buf *b, struct sp_torrent *t, const char *base,
			      const char *token)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	int r = app_buf_appendf(b, "{\"info_hash\": \"%s\", \"name\": \"",
				sp_metainfo_info_hash(mi));
	r = r ? r : sp_http_escape(b, sp_metainfo_name(mi), SP_HTTP_ESC_JSON);
	r = r ? r : app_buf_appendf(b, "\", \"progress\": %.4f, \"m3u\": \"", progress(t));
	r = r ? r : append_url(b, base, t, -1, ".m3u", token, SP_HTTP_ESC_JSON);
	r = r ? r : app_buf_appendf(b, "\", \"files\": [");
	bool first = true;
	int nfiles = sp_metainfo_num_files(mi);
	for (int i = 0; !r && i < nfiles; i++) {
		if (sp_metainfo_file_is_pad(mi, i))
			continue;
		const char *path = sp_metainfo_file_path(mi, i);
		r = app_buf_appendf(b, "%s{\"index\": %d, \"path\": \"", first ? "" : ", ", i);
		r = r ? r : sp_http_escape(b, path, SP_HTTP_ESC_JSON);
		r = r ? r : app_buf_appendf(b, "\", \"length\": %" PRId64 ", \"type\": \"%s\", "
					      "\"url\": \"", sp_metainfo_file_length(mi, i),
					   sp_http_content_type(path));
		r = r ? r : append_url(b, base, t, i, NULL, token, SP_HTTP_ESC_JSON);
		r = r ? r : app_buf_appendf(b, "\"}");
		first = false;
	}
	return r ? r : app_buf_appendf(b, "]}");
}

static int index_html_torrent(struct app_buf *b, struct sp_torrent *t, const char *base,
			      const char *token)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	int r = app_buf_appendf(b, "<h2>");
	const char *name = sp_metainfo_name(mi);
	r = r ? r : sp_http_escape(b, *name ? name : sp_metainfo_info_hash(mi), SP_HTTP_ESC_HTML);
	r = r ? r : app_buf_appendf(b, "</h2>\n<p><code>%s</code> %.1f %% <a href=\"",
				   sp_metainfo_info_hash(mi), 100 * progress(t));
	r = r ? r : append_url(b, base, t, -1, ".m3u", token, SP_HTTP_ESC_HTML);
	r = r ? r : app_buf_appendf(b, "\">playlist (m3u)</a></p>\n<ul>\n");
	int nfiles = sp_metainfo_num_files(mi);
	for (int i = 0; !r && i < nfiles; i++) {
		if (sp_metainfo_file_is_pad(mi, i))
			continue;
		r = app_buf_appendf(b, "<li><a href=\"");
		r = r ? r : append_url(b, base, t, i, NULL, token, SP_HTTP_ESC_HTML);
		r = r ? r : app_buf_appendf(b, "\">");
		r = r ? r : sp_http_escape(b, sp_metainfo_file_path(mi, i), SP_HTTP_ESC_HTML);
		r = r ? r : app_buf_appendf(b, "</a> (%.1f MB)</li>\n",
					   (double)sp_metainfo_file_length(mi, i) / 1e6);
	}
	return r ? r : app_buf_appendf(b, "</ul>\n");
}

int sp_serve_page_index(struct app_buf *b, const struct sp_serve *sv, bool json,
			const char *base, const char *token)
{
	int r = json ? app_buf_appendf(b, "{\"torrents\": [")
		     : app_buf_appendf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
					 "<title>swarmplay</title></head><body>\n"
					 "<h1>swarmplay</h1>\n");
	for (int i = 0; !r && i < sv->cfg.ntorrents; i++) {
		if (json && i)
			r = app_buf_appendf(b, ", ");
		if (!r)
			r = json ? index_json_torrent(b, sv->cfg.torrents[i], base, token)
				 : index_html_torrent(b, sv->cfg.torrents[i], base, token);
	}
	return r ? r : app_buf_appendf(b, json ? "]}\n" : "</body></html>\n");
}

static const struct sp_metainfo *sort_mi;

static int cmp_files(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return sp_http_natural_cmp(sp_metainfo_file_path(sort_mi, x),
				   sp_metainfo_file_path(sort_mi, y));
}

int sp_serve_page_m3u(struct app_buf *b, struct sp_torrent *t, const char *base,
		      const char *token)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	int nfiles = sp_metainfo_num_files(mi);
	int *idx = calloc(nfiles ? (size_t)nfiles : 1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	size_t n = 0;
	for (int i = 0; i < nfiles; i++)
		if (!sp_metainfo_file_is_pad(mi, i) &&
		    sp_metainfo_is_video_path(sp_metainfo_file_path(mi, i)))
			idx[n++] = i;
	sort_mi = mi; /* one server thread: qsort has no context argument */
	qsort(idx, n, sizeof(*idx), cmp_files);
	int r = app_buf_appendf(b, "#EXTM3U\n");
	for (size_t k = 0; !r && k < n; k++) {
		double playtime = sp_metainfo_file_playtime(mi, idx[k]);
		double len = playtime > 0 ? playtime : -1;
		r = app_buf_appendf(b, "#EXTINF:%.0f,", len);
		for (const char *p = base_name(sp_metainfo_file_path(mi, idx[k])); !r && *p; p++)
			r = app_buf_append(b, (unsigned char)*p < 0x20 ? " " : p, 1);
		r = r ? r : app_buf_appendf(b, "\n");
		r = r ? r : append_url(b, base, t, idx[k], NULL, token, SP_HTTP_ESC_PATH);
		r = r ? r : app_buf_appendf(b, "\n");
	}
	free(idx);
	return r;
}

static int stats_torrent(struct app_buf *b, struct sp_torrent *t)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	struct sp_torrent_stats st;
	sp_torrent_get_stats(t, &st);
	int r = app_buf_appendf(b, "{\"info_hash\": \"%s\", \"name\": \"",
				sp_metainfo_info_hash(mi));
	r = r ? r : sp_http_escape(b, sp_metainfo_name(mi), SP_HTTP_ESC_JSON);
	r = r ? r : app_buf_appendf(b,
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

int sp_serve_page_stats(struct app_buf *b, const struct sp_serve *sv)
{
	int r = app_buf_appendf(b,
			       "{\"streams\": %d, \"connections\": %d, \"connections_refused\": "
			       "%llu, \"connections_evicted\": %llu, \"torrents\": [",
			       atomic_load(&sv->nstreams), atomic_load(&sv->nconns), sv->refused,
			       sv->evicted);
	for (int i = 0; !r && i < sv->cfg.ntorrents; i++) {
		if (i)
			r = app_buf_appendf(b, ", ");
		r = r ? r : stats_torrent(b, sv->cfg.torrents[i]);
	}
	return r ? r : app_buf_appendf(b, "]}\n");
}
