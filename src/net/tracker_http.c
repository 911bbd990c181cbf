/* tracker_http.c - HTTP(S) announce and scrape through the session's
 * sp_curlev (libcurl multi on the libevent loop).
 *
 * The body lands in a buffer with a ceiling (SP_TRACKER_MAX_RESPONSE): the
 * write callback refuses more, and CURLOPT_MAXFILESIZE stops a server that
 * declares a bigger Content-Length up front. Whole-transfer and connect
 * timeouts bound a silent server; redirects are followed a few times, to
 * http(s) only. Net thread only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/i18n.h"
#include "core/log.h"
#include "net/curlev.h"
#include "net/tracker_int.h"

#define URL_MAX 8192
#define FIRE_TIMEOUT_MS 5000

static size_t http_on_write(char *p, size_t size, size_t n, void *arg)
{
	struct tjob *j = arg;
	if (sp_buf_append(&j->body, p, n) < 0)
		return 0; /* over the ceiling: curl fails with CURLE_WRITE_ERROR */
	return n;
}

static size_t http_on_discard(char *p, size_t size, size_t n, void *arg)
{
	return n;
}

static CURL *easy_new(const char *url, long timeout_ms)
{
	CURL *e = curl_easy_init();
	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 15000 ? timeout_ms : 15000L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "swarmplay/" SP_VERSION);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)SP_TRACKER_MAX_RESPONSE);
	return e;
}

/* The answer's HTTP status was not 200: a tracker may still explain
 * itself with a bencoded failure reason. */
static void http_status_error(struct tjob *j, long code)
{
	char msg[SP_TRACKER_MAX_MSG + 64];
	if (j->kind == JOB_ANNOUNCE) {
		struct sp_announce_resp resp;
		int r = sp_tracker_parse_announce(j->body.data, j->body.len, &resp, NULL);
		if (r == 0 && resp.failure) {
			sp_tracker_job_done(j, 0, &resp, NULL, NULL);
			sp_announce_resp_fini(&resp);
			return;
		}
		sp_announce_resp_fini(&resp);
	}
	snprintf(msg, sizeof(msg), _("tracker answered HTTP %ld"), code);
	sp_tracker_job_done(j, -EPROTO, NULL, NULL, msg);
}

static void http_on_done(void *ctx, CURL *easy, CURLcode res)
{
	struct tjob *j = ctx;
	char msg[CURL_ERROR_SIZE + 64];
	if (res != CURLE_OK) {
		if (res == CURLE_WRITE_ERROR || res == CURLE_FILESIZE_EXCEEDED)
			snprintf(msg, sizeof(msg), _("tracker answer too large"));
		else
			snprintf(msg, sizeof(msg), _("tracker unreachable: %s"),
				 j->errbuf[0] ? j->errbuf : curl_easy_strerror(res));
		sp_tracker_job_done(j, res == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO, NULL,
				    NULL, msg);
		return;
	}
	long code = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		http_status_error(j, code);
		return;
	}
	struct sp_error *err = NULL;
	if (j->kind == JOB_SCRAPE) {
		struct sp_scrape_info sc;
		int r = sp_tracker_parse_scrape(j->body.data, j->body.len, j->req.info_hash, &sc,
						&err);
		sp_tracker_job_done(j, r, NULL, &sc, sp_error_msg(err));
		sp_error_free(err);
		return;
	}
	struct sp_announce_resp resp;
	int r = sp_tracker_parse_announce(j->body.data, j->body.len, &resp, &err);
	snprintf(msg, sizeof(msg), "%s", sp_error_msg(err));
	sp_error_free(err);
	sp_tracker_job_done(j, r, r == 0 ? &resp : NULL, NULL, msg);
	if (r == 0)
		sp_announce_resp_fini(&resp);
}

int sp_tracker_http_start(struct tjob *j)
{
	struct sp_buf url;
	sp_buf_init(&url, URL_MAX);
	int r = j->kind == JOB_SCRAPE ? sp_tracker_scrape_url(&url, j->u->url, j->req.info_hash)
				      : sp_tracker_announce_url(&url, j->u->url, &j->req);
	if (r < 0) {
		sp_buf_fini(&url);
		return r;
	}
	sp_buf_init(&j->body, SP_TRACKER_MAX_RESPONSE);
	j->easy = easy_new((const char *)url.data, sp_tracker_get_timing(j->t)->http_timeout_ms);
	sp_buf_fini(&url);
	if (!j->easy)
		return -ENOMEM;
	curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, http_on_write);
	curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->errbuf);
	r = sp_curlev_add(sp_tracker_curl(j->t), j->easy, http_on_done, j);
	if (r < 0)
		return r;
	SP_DEBUG("tracker", "HTTP %s to %s", j->kind == JOB_SCRAPE ? "scrape" : "announce",
		 j->u->url);
	return 0;
}

void sp_tracker_http_cleanup(struct tjob *j)
{
	if (j->easy) {
		sp_curlev_remove(sp_tracker_curl(j->t), j->easy);
		curl_easy_cleanup(j->easy);
		j->easy = NULL;
	}
	sp_buf_fini(&j->body);
}

void sp_tracker_http_fire(struct sp_tracker *t, struct turl *u, const struct sp_announce_req *req)
{
	struct sp_buf url;
	sp_buf_init(&url, URL_MAX);
	CURL *e = NULL;
	if (sp_tracker_announce_url(&url, u->url, req) == 0)
		e = easy_new((const char *)url.data, FIRE_TIMEOUT_MS);
	sp_buf_fini(&url);
	if (!e)
		return;
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_discard);
	/* No done callback: the curlev cleans the handle up when it ends,
	 * even after this tracker is gone. */
	if (sp_curlev_add(sp_tracker_curl(t), e, NULL, NULL) < 0)
		curl_easy_cleanup(e);
}
