/* webseed_http.c - one web seed Range transfer on the session's sp_curlev,
 * and the BEP 19 URL mapping.
 *
 * Before the first byte is used the answer is checked: 206 with exactly
 * the Content-Range asked for (and the file's length when the server
 * says it), or 200 only when the whole file was asked for. More bytes than
 * asked abort the transfer (the write callback refuses them, and
 * CURLOPT_MAXFILESIZE stops a declared oversize early); fewer are a short
 * answer. No compression is asked for, so byte offsets are the file's.
 * The checks themselves are pure, in webseed_parse.c.
 * Net thread only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/buf.h"
#include "core/i18n.h"
#include "core/log.h"
#include "net/webseed_int.h"
#include "net/webseed_parse.h"

#define URL_MAX 8192

static int put_component(struct sp_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		char e[3] = {'%', hex[c >> 4], hex[c & 15]};
		int r = plain ? sp_buf_append(b, &c, 1) : sp_buf_append(b, e, 3);
		if (r < 0)
			return r;
	}
	return 0;
}

char *sp_webseed_file_url(const char *base, const struct sp_metainfo *mi, size_t i)
{
	size_t bl = strlen(base);
	bool dir = bl && base[bl - 1] == '/';
	if (!mi->multi_file && !dir)
		return strdup(base); /* the URL is the file itself */
	struct sp_buf b;
	sp_buf_init(&b, URL_MAX);
	int r = sp_buf_append(&b, base, bl);
	if (!r && !dir)
		r = sp_buf_append(&b, "/", 1);
	/* files[i].path is "name/dir/file" (multi) or "name" (single) */
	const char *p = mi->files[i].path;
	while (!r && *p) {
		size_t n = strcspn(p, "/");
		r = put_component(&b, p, n);
		p += n;
		if (!r && *p == '/') {
			r = sp_buf_append(&b, "/", 1);
			p++;
		}
	}
	if (r < 0) {
		sp_buf_fini(&b);
		return NULL;
	}
	size_t len;
	return (char *)sp_buf_steal(&b, &len);
}

/* Is this the answer we asked for? Sets x->fail when not. */
static bool check_answer(struct wxfer *x)
{
	const struct sp_mi_file *f = &x->ws->mi->files[x->file];
	unsigned long long a = x->start - f->offset, b = x->end - 1 - f->offset;
	long code = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	x->checked = true;
	struct sp_ws_check c = sp_webseed_check(code, x->content_range, x->ws->httpseed, a, b,
						f->length);
	x->file_fault = c.file_fault;
	switch (c.verdict) {
	case SP_WS_OK:
		return true;
	case SP_WS_BUSY:
		snprintf(x->fail, sizeof(x->fail), _("web seed is busy (HTTP 503)"));
		break;
	case SP_WS_OTHER_RANGE:
		snprintf(x->fail, sizeof(x->fail),
			 _("web seed answered another range (asked %llu-%llu, got \"%s\")"), a, b,
			 x->content_range);
		break;
	case SP_WS_FILE_SIZE:
		snprintf(x->fail, sizeof(x->fail), _("web seed's file has %llu bytes instead of %llu"),
			 (unsigned long long)c.total, (unsigned long long)f->length);
		break;
	case SP_WS_NO_RANGE:
		snprintf(x->fail, sizeof(x->fail), _("web seed ignores Range requests"));
		break;
	case SP_WS_NOT_FOUND:
		snprintf(x->fail, sizeof(x->fail), _("file not found on the web seed (HTTP 404)"));
		break;
	case SP_WS_HTTP:
		snprintf(x->fail, sizeof(x->fail), _("web seed answered HTTP %ld"), code);
		break;
	}
	return false;
}

static size_t webseed_on_write(char *p, size_t size, size_t n, void *arg)
{
	struct wxfer *x = arg;
	struct sp_webseed *ws = x->ws;
	if (!x->checked && !check_answer(x)) {
		if (ws->httpseed && !x->retry_ms)
			x->retry_ms = sp_webseed_retry_after(p, n);
		return 0;
	}
	if (n > x->end - x->pos) {
		snprintf(x->fail, sizeof(x->fail), _("web seed sent more than asked"));
		return 0;
	}
	const uint8_t *src = (const uint8_t *)p;
	size_t left = n;
	while (left) {
		struct wblock *b = x->blk[x->cur];
		uint64_t bend = b->start + b->len < x->end ? b->start + b->len : x->end;
		size_t take = left < bend - x->pos ? left : (size_t)(bend - x->pos);
		memcpy(b->data + (x->pos - b->start), src, take);
		b->got += (uint32_t)take;
		x->pos += take;
		src += take;
		left -= take;
		if (b->got == b->len && !b->dead)
			sp_webseed_deliver(ws, b);
		if (x->pos == bend)
			x->cur++;
	}
	sp_webseed_rate_add(ws, n);
	return n;
}

static size_t webseed_on_header(char *p, size_t size, size_t n, void *arg)
{
	struct wxfer *x = arg;
	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		x->content_range[0] = 0; /* a new answer (after a redirect) */
	} else {
		sp_webseed_content_range(p, n, x->content_range, sizeof(x->content_range));
	}
	return n;
}

static void webseed_on_done(void *ctx, CURL *easy, CURLcode res)
{
	struct wxfer *x = ctx;
	struct sp_webseed *ws = x->ws;
	char why[sizeof(x->fail) + CURL_ERROR_SIZE];
	why[0] = 0;
	long code = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	if (!x->checked && !x->fail[0] && code &&
	    (res == CURLE_OK || res == CURLE_FILESIZE_EXCEEDED))
		check_answer(x); /* the status says more than "too large" */
	if (x->fail[0])
		snprintf(why, sizeof(why), "%s", x->fail);
	else if (res == CURLE_FILESIZE_EXCEEDED)
		snprintf(why, sizeof(why), _("web seed sent more than asked"));
	else if (res == CURLE_OPERATION_TIMEDOUT)
		snprintf(why, sizeof(why), _("web seed too slow or silent"));
	else if (res == CURLE_TOO_MANY_REDIRECTS)
		snprintf(why, sizeof(why), _("web seed redirects too many times"));
	else if (res != CURLE_OK)
		snprintf(why, sizeof(why), _("web seed unreachable: %s"),
			 x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
	else if (!x->checked)
		snprintf(why, sizeof(why), _("web seed sent no answer"));
	else if (x->pos < x->end)
		snprintf(why, sizeof(why), _("short answer from the web seed (%llu of %llu bytes)"),
			 (unsigned long long)(x->pos - x->start),
			 (unsigned long long)(x->end - x->start));
	uint32_t retry_ms = x->retry_ms;
	bool file_fault = x->file_fault && x->fail[0];
	size_t file = x->file;
	sp_webseed_xfer_release(ws, x);
	if (why[0] && file_fault)
		sp_webseed_fail_file(ws, file, why);
	else if (why[0])
		sp_webseed_fail(ws, why, retry_ms);
	else
		sp_webseed_xfer_done(ws);
}

/* BEP 17: url?info_hash=..&piece=N&ranges=A-B (inclusive, in the piece). */
static char *httpseed_url(struct sp_webseed *ws, const struct wxfer *x)
{
	const struct sp_metainfo *mi = ws->mi;
	uint32_t piece = x->blk[0]->piece;
	uint64_t p0 = (uint64_t)piece * mi->piece_length;
	struct sp_buf b;
	sp_buf_init(&b, URL_MAX);
	size_t n = strcspn(ws->url, "#");
	const char *q = memchr(ws->url, '?', n);
	int r = sp_buf_append(&b, ws->url, n);
	if (!r)
		r = sp_buf_append(&b, q ? "&info_hash=" : "?info_hash=", 11);
	if (!r)
		r = put_component(&b, (const char *)mi->info_hash, SP_INFOHASH_LEN);
	if (!r)
		r = sp_buf_appendf(&b, "&piece=%u&ranges=%llu-%llu", piece,
				   (unsigned long long)(x->start - p0),
				   (unsigned long long)(x->end - 1 - p0));
	if (r < 0) {
		sp_buf_fini(&b);
		return NULL;
	}
	size_t len;
	return (char *)sp_buf_steal(&b, &len);
}

int sp_webseed_xfer_start(struct sp_webseed *ws, struct wxfer *x)
{
	const struct sp_mi_file *f = &ws->mi->files[x->file];
	char *hs_url = NULL;
	if (ws->httpseed ? !(hs_url = httpseed_url(ws, x))
			 : !ws->file_urls[x->file] &&
				   !(ws->file_urls[x->file] =
					     sp_webseed_file_url(ws->url, ws->mi, x->file)))
		return -ENOMEM;
	CURL *e = curl_easy_init();
	if (!e) {
		free(hs_url);
		return -ENOMEM;
	}
	x->easy = e;
	char range[64];
	snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)(x->start - f->offset),
		 (unsigned long long)(x->end - 1 - f->offset));
	/* curl copies the URL string */
	curl_easy_setopt(e, CURLOPT_URL, hs_url ? hs_url : ws->file_urls[x->file]);
	if (!hs_url)
		curl_easy_setopt(e, CURLOPT_RANGE, range);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)ws->cfg.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)ws->cfg.low_speed_bytes);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)ws->cfg.low_speed_s);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)ws->cfg.max_redirects);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "swarmplay/" SP_VERSION);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(x->end - x->start));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, webseed_on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, webseed_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	if (getenv("SP_CURL_VERBOSE"))
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	SP_DEBUG("webseed", "GET %s bytes %s", hs_url ? hs_url : ws->file_urls[x->file],
		 hs_url ? "(BEP 17)" : range);
	free(hs_url);
	return sp_curlev_add(ws->curl, e, webseed_on_done, x);
}
