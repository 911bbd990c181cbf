/* kiosk_status.c - the kiosk's status page and remote control: evhttp
 * on a thread of its own with its own event_base (serve.c's pattern).
 *
 *   GET  /status        JSON: the item playing and its position, the
 *                       list (version, last fetch and its result, bad
 *                       lines), every item's cache state and last error
 *   POST /next, /prev   end the play now, go to the next / previous item
 *   POST /reload        fetch the playlist now
 *
 * Safety (as serve): loopback without a token, and then the Host header
 * must be an address (no DNS rebinding); elsewhere --http-token, carried
 * as ?token= or Authorization: Bearer, compared in constant time. No
 * request body; 8 KiB of headers; idle connections time out.
 *
 * Threads: new/free on the main thread; requests on the status thread,
 * which reads the kiosk under its mutex and the torrents' figures
 * through the public API (which posts to the net thread). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "app/kiosk.h"
#include "app/buf.h"
#include "app/clock.h"
#include "app/http_parse.h"
#include "swarmplay/swarmplay.h"

#define STATUS_MAX (1u << 20)

struct kiosk_status {
	struct kiosk *k;
	struct event_base *base;
	struct evhttp *http;
	struct event *stop_ev;
	pthread_t thread;
	char *token;
	uint16_t port;
};

static int str(struct app_buf *b, const char *s)
{
	int r = app_buf_append(b, "\"", 1);
	if (!r && s)
		r = sp_http_escape(b, s, SP_HTTP_ESC_JSON);
	return r ? r : app_buf_append(b, "\"", 1);
}

static const char *kind_name(enum sp_playlist_kind k)
{
	return k == SP_ITEM_TORRENT ? "torrent" : k == SP_ITEM_MAGNET ? "magnet" : "file";
}

static int item_json(struct app_buf *b, const struct kiosk *k, size_t i)
{
	const struct kiosk_item *it = &k->items[i];
	int r = app_buf_appendf(b, "%s{\"index\": %zu, \"line\": %d, \"kind\": \"%s\", \"src\": ",
			       i ? ", " : "", i, it->opt.line, kind_name(it->opt.kind));
	r |= str(b, it->src);
	r |= app_buf_appendf(b, ", \"title\": ");
	r |= it->title ? str(b, it->title) : app_buf_appendf(b, "null");
	if (it->hash[0])
		r |= app_buf_appendf(b, ", \"infohash\": \"%s\"", it->hash);
	int64_t retry = it->retry_at_us - sp_app_now_us();
	r |= app_buf_appendf(b, ", \"plays\": %u, \"fails\": %d, \"retry_in_s\": %.1f, \"error\": ",
			    it->plays, it->fails, retry > 0 ? (double)retry / 1e6 : 0.0);
	r |= str(b, it->error);
	if (it->t) {
		struct sp_torrent_stats st;
		sp_torrent_get_stats(it->t, &st);
		r |= app_buf_appendf(b,
				    ", \"cache\": {\"state\": \"%s\", \"have\": %llu, \"total\": %llu, "
				    "\"pinned\": %s, \"peers\": %d, \"from_peers\": %llu, "
				    "\"from_webseed\": %llu, \"uploaded\": %llu}",
				    st.complete ? "complete" : st.checking ? "checking" : "downloading",
				    (unsigned long long)st.verified_bytes,
				    (unsigned long long)st.total_length, it->hold_fd >= 0 ? "true" : "false",
				    st.peers, (unsigned long long)st.downloaded[SP_FROM_PEERS],
				    (unsigned long long)st.downloaded[SP_FROM_WEBSEED],
				    (unsigned long long)st.uploaded);
	} else {
		r |= app_buf_appendf(b, ", \"cache\": {\"state\": \"%s\"}",
				    it->opt.kind == SP_ITEM_MEDIA ? "local" : "not yet");
	}
	return r | app_buf_appendf(b, "}");
}

static int status_json(struct app_buf *b, struct kiosk *k)
{
	int r = app_buf_appendf(b, "{\"playlist\": ");
	r |= str(b, k->source);
	r |= app_buf_appendf(b, ", \"version\": %u, \"from_cache\": %s, \"last_fetch\": "
			       "{\"at\": %lld, \"count\": %u, \"result\": ", k->version,
			    k->from_cache ? "true" : "false", (long long)k->fetched_at, k->fetches);
	r |= str(b, k->fetch_result);
	r |= app_buf_appendf(b, ", \"last_good\": %lld}, \"bad_lines\": %zu, \"errors\": [",
			    (long long)k->good_at, k->bad_lines);
	for (size_t i = 0; i < k->nerrors; i++) {
		r |= app_buf_appendf(b, "%s{\"line\": %d, \"error\": ", i ? ", " : "",
				    k->errors[i].line);
		r |= str(b, k->errors[i].msg);
		r |= app_buf_appendf(b, "}");
	}
	r |= app_buf_appendf(b, "], \"plays\": %u, \"current\": ", k->plays);
	if (k->cur >= 0 && (size_t)k->cur < k->n) {
		const struct kiosk_item *it = &k->items[k->cur];
		r |= app_buf_appendf(b, "{\"index\": %ld, \"src\": ", k->cur);
		r |= str(b, it->src);
		r |= app_buf_appendf(b, ", \"title\": ");
		r |= it->title ? str(b, it->title) : app_buf_appendf(b, "null");
		r |= app_buf_appendf(b, ", \"position_s\": %.1f, \"duration_s\": %.1f}", k->pos_s,
				    k->dur_s);
	} else {
		r |= app_buf_appendf(b, "null");
	}
	r |= app_buf_appendf(b, ", \"items\": [");
	for (size_t i = 0; i < k->n; i++)
		r |= item_json(b, k, i);
	return r | app_buf_appendf(b, "]}\n");
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
		  const void *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	struct evbuffer *b = evbuffer_new();
	if (b)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *t)
{
	reply(req, code, reason, "text/plain; charset=utf-8", t, strlen(t));
}

static bool authorized(const struct kiosk_status *st, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	if (!st->token)
		return sp_http_host_is_literal(evhttp_find_header(in, "Host"));
	size_t n = 0;
	const char *tok = sp_http_bearer(evhttp_find_header(in, "Authorization"), &n);
	if (tok && sp_http_token_equal(st->token, tok, n))
		return true;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *q = u ? evhttp_uri_get_query(u) : NULL;
	struct evkeyvalq params = {0};
	bool ok = false;
	if (q && evhttp_parse_query_str(q, &params) == 0) {
		const char *t = evhttp_find_header(&params, "token");
		ok = t && sp_http_token_equal(st->token, t, strlen(t));
	}
	evhttp_clear_headers(&params);
	return ok;
}

static void control(struct kiosk_status *st, struct evhttp_request *req, const char *path)
{
	struct kiosk *k = st->k;
	if (!strcmp(path, "/next") || !strcmp(path, "/prev")) {
		atomic_store(&k->step, path[1] == 'n' ? 1 : -1);
		k->stop_play = 1;
		pthread_mutex_lock(&k->mu);
		pthread_cond_broadcast(&k->cond);
		pthread_mutex_unlock(&k->mu);
	} else if (!strcmp(path, "/reload")) {
		atomic_store(&k->reload, true);
		pthread_mutex_lock(&k->mu);
		pthread_cond_broadcast(&k->cond);
		pthread_mutex_unlock(&k->mu);
	} else {
		reply_text(req, 404, "Not Found", "not found\n");
		return;
	}
	reply_text(req, 202, "Accepted", "ok\n");
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct kiosk_status *st = arg;
	if (!authorized(st, req)) {
		reply_text(req, st->token ? 401 : 403, st->token ? "Unauthorized" : "Forbidden",
			   st->token ? "a token is needed\n" : "use the address\n");
		return;
	}
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	path = path && *path ? path : "/";
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd == EVHTTP_REQ_POST) {
		control(st, req, path);
		return;
	}
	if (strcmp(path, "/") && strcmp(path, "/status")) {
		reply_text(req, 404, "Not Found", "not found\n");
		return;
	}
	struct app_buf b;
	app_buf_init(&b, STATUS_MAX);
	pthread_mutex_lock(&st->k->mu);
	int r = status_json(&b, st->k);
	pthread_mutex_unlock(&st->k->mu);
	if (r < 0)
		reply_text(req, 500, "Internal Server Error", "status too large\n");
	else
		reply(req, 200, "OK", "application/json", b.data, b.len);
	app_buf_fini(&b);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct kiosk_status *st = arg;
	event_base_loopbreak(st->base);
}

static void *status_main(void *arg)
{
	struct kiosk_status *st = arg;
	event_base_dispatch(st->base);
	return NULL;
}

static void status_free_parts(struct kiosk_status *st)
{
	if (st->http)
		evhttp_free(st->http);
	if (st->stop_ev)
		event_free(st->stop_ev);
	if (st->base)
		event_base_free(st->base);
	free(st->token);
	free(st);
}

struct kiosk_status *sp_kiosk_status_new(struct kiosk *k, const char *host, uint16_t port,
					 const char *token, char *why, size_t whylen)
{
	evthread_use_pthreads();
	struct kiosk_status *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		return NULL;
	}
	st->k = k;
	st->token = token ? strdup(token) : NULL;
	st->base = event_base_new();
	st->stop_ev = st->base ? event_new(st->base, -1, 0, on_stop, st) : NULL;
	st->http = st->base ? evhttp_new(st->base) : NULL;
	if (!st->http || !st->stop_ev || (token && !st->token)) {
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		status_free_parts(st);
		return NULL;
	}
	evhttp_set_gencb(st->http, on_request, st);
	evhttp_set_allowed_methods(st->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_max_headers_size(st->http, 8192);
	evhttp_set_max_body_size(st->http, 1024);
	evhttp_set_timeout(st->http, 30);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(st->http, host, port);
	if (!bs) {
		snprintf(why, whylen, "%s", strerror(errno ? errno : EADDRINUSE));
		status_free_parts(st);
		return NULL;
	}
	struct sockaddr_storage ss;
	ev_socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0)
		st->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							  : ((struct sockaddr_in *)&ss)->sin_port);
	if (pthread_create(&st->thread, NULL, status_main, st) != 0) {
		snprintf(why, whylen, "%s", strerror(EAGAIN));
		status_free_parts(st);
		return NULL;
	}
	return st;
}

uint16_t sp_kiosk_status_port(const struct kiosk_status *st)
{
	return st->port;
}

void sp_kiosk_status_free(struct kiosk_status *st)
{
	if (!st)
		return;
	event_active(st->stop_ev, EV_READ, 0);
	pthread_join(st->thread, NULL);
	status_free_parts(st);
}
