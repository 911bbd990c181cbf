/* kiosk_status.c - the kiosk's status page and remote control: evhttp
 * on the kiosk's event loop (kiosk_loop.c), beside the control socket.
 *
 *   GET  /              the status page (kiosk_page.c), which polls
 *   GET  /status.json   JSON (also /status): the item playing and its
 *                       position, the list (version, last fetch and its
 *                       result, bad lines), every item's cache state and
 *                       last error, uptime, what control asked
 *   POST /next, /prev   end the play now, go to the next / previous item
 *   POST /reload        fetch the playlist now
 *   POST /play, /pause  as the control socket's (kiosk_ctl_apply.c)
 *
 * Safety (as serve): loopback without a token, and then the Host header
 * must be an address (no DNS rebinding); elsewhere --http-token, carried
 * as ?token= or Authorization: Bearer, compared in constant time. A POST
 * whose Origin is not the page's own is refused (another site's page in
 * a browser here). No request body; 8 KiB of headers; idle connections
 * time out.
 *
 * Threads: new/free on the main thread (the loop stopped); requests on
 * the loop thread, which reads the kiosk under its mutex and the
 * torrents' figures through the public API (which posts to the net
 * thread). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "app/buf.h"
#include "app/clock.h"
#include "app/http_parse.h"
#include "app/kiosk.h"
#include "app/kiosk_ctl_proto.h"
#include "swarmplay/swarmplay.h"

#define STATUS_MAX (1u << 20)

struct kiosk_status {
	struct kiosk *k;
	struct evhttp *http;
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

/* The sums over the listed torrents (status "totals"). */
struct totals {
	int peers, seeds;
	double down_rate, up_rate;
	uint64_t from[SP_FROM_COUNT], uploaded, have, total;
};

static int item_json(struct app_buf *b, const struct kiosk *k, size_t i, struct totals *tot)
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
		tot->peers += st.peers;
		tot->seeds += st.seeds;
		tot->down_rate += st.down_rate;
		tot->up_rate += st.up_rate;
		for (int f = 0; f < SP_FROM_COUNT; f++)
			tot->from[f] += st.downloaded[f];
		tot->uploaded += st.uploaded;
		tot->have += st.verified_bytes;
		tot->total += st.total_length;
		r |= app_buf_appendf(b, ", \"down_rate\": %.0f, \"up_rate\": %.0f", st.down_rate,
				    st.up_rate);
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
	r |= app_buf_appendf(b, "], \"uptime_s\": %.1f, \"paused\": %s, \"volume\": %d",
			    (double)(sp_app_now_us() - k->started_us) / 1e6,
			    k->paused ? "true" : "false", k->volume);
	r |= app_buf_appendf(b, ", \"plays\": %u, \"current\": ", k->plays);
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
	struct totals t = {0};
	for (size_t i = 0; i < k->n; i++)
		r |= item_json(b, k, i, &t);
	return r | app_buf_appendf(b, "], \"totals\": {\"peers\": %d, \"seeds\": %d, "
				     "\"down_rate\": %.0f, \"up_rate\": %.0f, \"from_peers\": %llu, "
				     "\"from_webseed\": %llu, \"from_cache\": %llu, \"uploaded\": %llu, "
				     "\"cache_have\": %llu, \"cache_total\": %llu}}\n",
				  t.peers, t.seeds, t.down_rate, t.up_rate,
				  (unsigned long long)t.from[SP_FROM_PEERS],
				  (unsigned long long)t.from[SP_FROM_WEBSEED],
				  (unsigned long long)t.from[SP_FROM_CACHE],
				  (unsigned long long)t.uploaded, (unsigned long long)t.have,
				  (unsigned long long)t.total);
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
	static const struct { const char *path; enum sp_kctl_cmd cmd; } posts[] = {
		{"/next", SP_KCTL_NEXT}, {"/prev", SP_KCTL_PREV}, {"/reload", SP_KCTL_RELOAD},
		{"/play", SP_KCTL_PLAY}, {"/pause", SP_KCTL_PAUSE},
	};
	struct sp_kctl_req r = {0};
	char why[256], self[300];
	size_t i = 0;
	/* a page of another site in a browser on this machine may post here
	 * too (a simple request, no preflight): it says where it comes from */
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(in, "Origin"), *host = evhttp_find_header(in, "Host");
	snprintf(self, sizeof(self), "http://%s", host ? host : "");
	if (origin && strcmp(origin, self)) {
		reply_text(req, 403, "Forbidden", "another site's page\n");
		return;
	}
	while (i < sizeof(posts) / sizeof(posts[0]) && strcmp(path, posts[i].path))
		i++;
	if (i == sizeof(posts) / sizeof(posts[0])) {
		reply_text(req, 404, "Not Found", "not found\n");
		return;
	}
	r.cmd = posts[i].cmd;
	if (sp_kiosk_ctl_apply(st->k, &r, why, sizeof(why)) < 0)
		reply_text(req, 409, "Conflict", why);
	else
		reply_text(req, 202, "Accepted", "ok\n");
}

char *sp_kiosk_status_dup(struct kiosk *k, size_t *len)
{
	struct app_buf b;
	app_buf_init(&b, STATUS_MAX);
	pthread_mutex_lock(&k->mu);
	int r = status_json(&b, k);
	pthread_mutex_unlock(&k->mu);
	char *out = r < 0 ? NULL : malloc(b.len + 1);
	if (out) {
		memcpy(out, b.data, b.len);
		out[b.len] = 0;
		*len = b.len;
	}
	app_buf_fini(&b);
	return out;
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
	if (!strcmp(path, "/")) {
		size_t len;
		const char *html = sp_kiosk_page_html(&len);
		reply(req, 200, "OK", "text/html; charset=utf-8", html, len);
		return;
	}
	if (strcmp(path, "/status.json") && strcmp(path, "/status")) {
		reply_text(req, 404, "Not Found", "not found\n");
		return;
	}
	size_t len;
	char *json = sp_kiosk_status_dup(st->k, &len);
	if (!json)
		reply_text(req, 500, "Internal Server Error", "status too large\n");
	else
		reply(req, 200, "OK", "application/json", json, len);
	free(json);
}

static void status_free_parts(struct kiosk_status *st)
{
	if (st->http)
		evhttp_free(st->http);
	free(st->token);
	free(st);
}

struct kiosk_status *sp_kiosk_status_new(struct kiosk *k, struct event_base *base,
					 const char *host, uint16_t port, const char *token,
					 char *why, size_t whylen)
{
	struct kiosk_status *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		return NULL;
	}
	st->k = k;
	st->token = token ? strdup(token) : NULL;
	st->http = evhttp_new(base);
	if (!st->http || (token && !st->token)) {
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
	return st;
}

uint16_t sp_kiosk_status_port(const struct kiosk_status *st)
{
	return st->port;
}

void sp_kiosk_status_free(struct kiosk_status *st)
{
	if (st)
		status_free_parts(st);
}
