/* serve.c - the HTTP server of `swarmplay serve`: evhttp on a thread of
 * its own, answering for the session's torrents.
 *
 * Design: the session's net thread owns all torrent state and must never
 * block; the server therefore runs its own event_base on its own thread
 * and touches the torrents only through the public API (stats, readers),
 * which posts to the net thread. A file's body streams from a stream
 * reader on a worker thread per response (serve_stream.c, at most
 * cfg.max_streams, else 503), so a read waiting for a piece never holds
 * up the other connections. Pages (index, m3u, stats) are built whole
 * (serve_pages.c); the request target, Range and token are parsed by the
 * pure http_parse.c.
 *
 * Safety: request lines and headers are bounded by evhttp (8 KiB of
 * headers; a body only for POST /add, SP_SERVE_ADD_MAX with --allow-add,
 * 4 KiB without: 413/400); idle and half-sent requests time out
 * (cfg.timeout_s); every path is checked before use and no path ever
 * reaches the file system (a file is named by info-hash and index); with
 * a token, every request but a CORS preflight must carry it (?token= or
 * Authorization: Bearer), else 401; without one (loopback), a request
 * must name us by address (Host: 127.0.0.1:PORT), not by a DNS name a
 * web page could rebind to 127.0.0.1, else 403. At most
 * cfg.max_connections connections at once, each given cfg.timeout_s to
 * send a whole request (serve_conn.c); running out of file descriptors
 * pauses accepting for a second instead of spinning.
 *
 * Threads: sp_serve_new/free on the caller's (main) thread; everything
 * else on the server thread. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "app/serve_int.h"
#include "app/i18n.h"
#include "app/log.h"
#include "app/http_parse.h"

#define MAX_HEADERS_SIZE 8192
#define PAGE_MAX (4u << 20)

void sp_serve_log(bool debug, const char *fmt, ...)
{
	int l = debug ? APP_LOG_DEBUG : APP_LOG_INFO;
	if (!sp_log_enabled(l))
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sp_log_write(l, "serve", "%s", line);
}

static void add_common_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Server", "swarmplay/" SP_VERSION);
	evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
	evhttp_add_header(h, "Access-Control-Expose-Headers",
			  "Content-Length, Content-Range, Accept-Ranges");
}

/* A short text answer (errors, preflight). */
static void reply_text(struct evhttp_request *req, int code, const char *reason,
		       const char *text)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	struct evbuffer *b = evbuffer_new();
	if (b && text && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add_printf(b, "%s\n", text);
	else if (text && b)
		evhttp_add_header(h, "Content-Length", "0");
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

static void reply_buf(struct evhttp_request *req, const char *type, struct app_buf *page)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	char len[32];
	snprintf(len, sizeof(len), "%zu", page->len);
	evhttp_add_header(h, "Content-Length", len);
	struct evbuffer *b = evbuffer_new();
	if (b && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(b, page->data, page->len);
	evhttp_send_reply(req, 200, "OK", b);
	if (b)
		evbuffer_free(b);
}

/* A Host header we may echo in links: a host name or address, a port. */
static bool host_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0;
	if (!n || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return false;
	}
	return true;
}

static void base_url(const struct sp_serve *sv, struct evhttp_request *req, char *out, size_t n)
{
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	if (host_ok(host))
		snprintf(out, n, "http://%s", host);
	else if (strchr(sv->cfg.host, ':'))
		snprintf(out, n, "http://[%s]:%u", sv->cfg.host, sv->port);
	else
		snprintf(out, n, "http://%s:%u", sv->cfg.host, sv->port);
}

static bool wants_json(struct evhttp_request *req, const struct sp_http_route *r)
{
	const char *acc = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
	return r->json || (acc && strstr(acc, "application/json") && !strstr(acc, "text/html"));
}

static void serve_page(struct sp_serve *sv, struct evhttp_request *req,
		       const struct sp_http_route *r)
{
	char base[300];
	base_url(sv, req, base, sizeof(base));
	const char *tok = sv->token;
	struct app_buf page;
	app_buf_init(&page, PAGE_MAX);
	int rc = 0;
	const char *type = "application/json";
	if (r->kind == SP_HTTP_INDEX) {
		bool json = wants_json(req, r);
		rc = sp_serve_page_index(&page, sv, json, base, tok);
		if (!json)
			type = "text/html; charset=utf-8";
	} else if (r->kind == SP_HTTP_STATS) {
		rc = sp_serve_page_stats(&page, sv);
	} else {
		struct sp_torrent *t = sp_serve_find(sv, r->hash_hex);
		if (!t) {
			app_buf_fini(&page);
			reply_text(req, 404, "Not Found", "no such torrent");
			return;
		}
		rc = sp_serve_page_m3u(&page, t, base, tok);
		type = "audio/x-mpegurl; charset=utf-8";
	}
	if (rc < 0)
		reply_text(req, 500, "Internal Server Error", "the page is too large");
	else
		reply_buf(req, type, &page);
	app_buf_fini(&page);
}

static void set_length(struct evkeyvalq *h, uint64_t n)
{
	char v[32];
	snprintf(v, sizeof(v), "%" PRIu64, n);
	evhttp_add_header(h, "Content-Length", v);
}

static void serve_file(struct sp_serve *sv, struct evhttp_request *req,
		       const struct sp_http_route *r)
{
	struct sp_torrent *t = sp_serve_find(sv, r->hash_hex);
	const struct sp_metainfo *mi = t ? sp_torrent_metainfo(t) : NULL;
	if (!mi || r->file_index >= (uint32_t)sp_metainfo_num_files(mi) ||
	    sp_metainfo_file_is_pad(mi, (int)r->file_index)) {
		reply_text(req, 404, "Not Found", t ? "no such file" : "no such torrent");
		return;
	}
	uint64_t length = (uint64_t)sp_metainfo_file_length(mi, (int)r->file_index);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *range = evhttp_find_header(evhttp_request_get_input_headers(req), "Range");
	uint64_t first = 0, last = length ? length - 1 : 0;
	int rc = sp_http_range_parse(range, length, &first, &last);
	char v[96];
	if (rc < 0) {
		snprintf(v, sizeof(v), "bytes */%" PRIu64, length);
		evhttp_add_header(h, "Content-Range", v);
		reply_text(req, 416, "Range Not Satisfiable", "bad range");
		return;
	}
	evhttp_add_header(h, "Content-Type",
			  sp_http_content_type(sp_metainfo_file_path(mi, (int)r->file_index)));
	evhttp_add_header(h, "Accept-Ranges", "bytes");
	int code = rc == SP_HTTP_RANGE_PART ? 206 : 200;
	if (code == 206) {
		snprintf(v, sizeof(v), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last,
			 length);
		evhttp_add_header(h, "Content-Range", v);
	}
	uint64_t len = length ? last - first + 1 : 0;
	set_length(h, len);
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD || len == 0) {
		evhttp_send_reply(req, code, code == 206 ? "Partial Content" : "OK", NULL);
		return;
	}
	rc = sp_serve_stream_start(sv, req, code, t, (int)r->file_index, first, last);
	if (rc < 0) {
		evhttp_clear_headers(h);
		add_common_headers(req);
		if (rc == -EBUSY)
			evhttp_add_header(h, "Retry-After", "2");
		reply_text(req, rc == -EBUSY ? 503 : 500,
			   rc == -EBUSY ? "Service Unavailable" : "Internal Server Error",
			   rc == -EBUSY ? "too many streams" : "cannot read the file");
	}
}

/* With a token: ?token= or Authorization: Bearer must match. */
static bool authorized(const struct sp_serve *sv, struct evhttp_request *req,
		       const struct sp_http_route *r)
{
	if (!sv->token)
		return true;
	if (r->has_token && sp_http_token_equal(sv->token, r->token, strlen(r->token)))
		return true;
	size_t n = 0;
	const char *auth =
		evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	const char *tok = sp_http_bearer(auth, &n);
	return tok && sp_http_token_equal(sv->token, tok, n);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct sp_serve *sv = arg;
	sp_serve_conn_request(sp_serve_conn_of(sv, req));
	add_common_headers(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd == EVHTTP_REQ_OPTIONS) { /* a CORS preflight */
		struct evkeyvalq *h = evhttp_request_get_output_headers(req);
		evhttp_add_header(h, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
		evhttp_add_header(h, "Access-Control-Allow-Headers", "Range, Authorization");
		evhttp_add_header(h, "Access-Control-Max-Age", "86400");
		evhttp_send_reply(req, 204, "No Content", NULL);
		return;
	}
	const char *uri = evhttp_request_get_uri(req);
	const char *range = evhttp_find_header(evhttp_request_get_input_headers(req), "Range");
	sp_serve_log(true, "request %s%s%s", uri ? uri : "?", range ? " Range: " : "",
		     range ? range : "");
	struct sp_http_route r;
	int rc = uri ? sp_http_route_parse(uri, strlen(uri), &r) : -EINVAL;
	if (rc == -ENAMETOOLONG) {
		reply_text(req, 414, "URI Too Long", "request target too long");
		return;
	}
	if (rc < 0) {
		reply_text(req, 400, "Bad Request", "malformed request target");
		return;
	}
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	if (!sv->token && !sp_http_host_is_literal(host)) {
		reply_text(req, 403, "Forbidden", "use the address, or serve with --http-token");
		return;
	}
	if (!authorized(sv, req, &r)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
				  "Bearer");
		reply_text(req, 401, "Unauthorized", "a token is needed");
		return;
	}
	if ((cmd == EVHTTP_REQ_POST) != (r.kind == SP_HTTP_ADD)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
				  r.kind == SP_HTTP_ADD ? "POST, OPTIONS" : "GET, HEAD, OPTIONS");
		reply_text(req, 405, "Method Not Allowed", "method not allowed here");
	} else if (r.kind == SP_HTTP_ADD)
		sp_serve_add_request(sv, req);
	else if (r.kind == SP_HTTP_FILE)
		serve_file(sv, req, &r);
	else if (r.kind == SP_HTTP_NOT_FOUND)
		reply_text(req, 404, "Not Found", "not found");
	else
		serve_page(sv, req, &r);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct sp_serve *sv = arg;
	evconnlistener_enable(sv->listener);
}

/* accept() failed (EMFILE...): pause a second instead of spinning. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct sp_serve *sv = arg;
	int e = EVUTIL_SOCKET_ERROR();
	APP_INFO("serve", "cannot accept a connection: %s", strerror(e));
	evconnlistener_disable(l);
	struct timeval tv = {1, 0};
	event_add(sv->resume_ev, &tv);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct sp_serve *sv = arg;
	sp_serve_conns_stop(sv);
	sp_serve_add_stop(sv);
	evhttp_free(sv->http); /* every connection: their close callbacks cancel */
	sv->http = NULL;
	sp_serve_stream_stop_all(sv);
	event_base_loopbreak(sv->base);
}

static void *server_main(void *arg)
{
	struct sp_serve *sv = arg;
	event_base_dispatch(sv->base);
	return NULL;
}

static int setup_http(struct sp_serve *sv, struct sp_error **err)
{
	sv->http = evhttp_new(sv->base);
	if (!sv->http)
		return sp_error_set(err, -ENOMEM, _("cannot start the HTTP server"));
	evhttp_set_gencb(sv->http, on_request, sv);
	evhttp_set_allowed_methods(sv->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
						     EVHTTP_REQ_OPTIONS | EVHTTP_REQ_POST);
	evhttp_set_max_headers_size(sv->http, MAX_HEADERS_SIZE);
	/* without --allow-add, room for a magnet only: its 403 says why */
	evhttp_set_max_body_size(sv->http, sv->cfg.allow_add ? SP_SERVE_ADD_MAX : 4096);
	evhttp_set_timeout(sv->http, sv->cfg.timeout_s);
	evhttp_set_default_content_type(sv->http, "text/plain; charset=utf-8");
	if (sp_serve_conns_init(sv) < 0 || sp_serve_add_init(sv) < 0)
		return sp_error_set(err, -ENOMEM, _("cannot start the HTTP server"));
	struct evhttp_bound_socket *bs =
		evhttp_bind_socket_with_handle(sv->http, sv->cfg.host, sv->cfg.port);
	if (!bs) {
		int e = errno ? errno : EADDRINUSE;
		sp_error_set(err, -e, _("cannot listen on %s port %u: %s"), sv->cfg.host,
			     sv->cfg.port, strerror(e));
		return -e;
	}
	sv->listener = evhttp_bound_socket_get_listener(bs);
	evconnlistener_set_error_cb(sv->listener, on_accept_error);
	struct sockaddr_storage ss;
	ev_socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0)
		sv->port = ntohs(ss.ss_family == AF_INET6
					 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

struct sp_serve *sp_serve_new(const struct sp_serve_config *cfg, struct sp_error **err)
{
	evthread_use_pthreads();
	struct sp_serve *sv = calloc(1, sizeof(*sv));
	if (!sv) {
		sp_error_set(err, -ENOMEM, _("out of memory"));
		return NULL;
	}
	sv->cfg = *cfg;
	pthread_mutex_init(&sv->add_mu, NULL);
	if (sv->cfg.max_streams <= 0)
		sv->cfg.max_streams = SP_SERVE_MAX_STREAMS_DEFAULT;
	if (sv->cfg.timeout_s <= 0)
		sv->cfg.timeout_s = 30;
	if (sv->cfg.max_connections <= 0)
		sv->cfg.max_connections = SP_SERVE_MAX_CONNECTIONS_DEFAULT;
	sv->token = cfg->token ? strdup(cfg->token) : NULL;
	sv->base = event_base_new();
	sv->stop_ev = sv->base ? event_new(sv->base, -1, 0, on_stop, sv) : NULL;
	sv->resume_ev = sv->base ? evtimer_new(sv->base, on_resume, sv) : NULL;
	if (!sv->stop_ev || !sv->resume_ev || (cfg->token && !sv->token)) {
		sp_error_set(err, -ENOMEM, _("cannot start the HTTP server"));
		goto fail;
	}
	if (setup_http(sv, err) < 0)
		goto fail;
	if (pthread_create(&sv->thread, NULL, server_main, sv) != 0) {
		sp_error_set(err, -EAGAIN, _("cannot start the HTTP server"));
		goto fail;
	}
	return sv;
fail:
	if (sv->http)
		evhttp_free(sv->http);
	sp_serve_conns_fini(sv);
	sp_serve_add_fini(sv);
	if (sv->stop_ev)
		event_free(sv->stop_ev);
	if (sv->resume_ev)
		event_free(sv->resume_ev);
	if (sv->base)
		event_base_free(sv->base);
	free(sv->token);
	free(sv);
	return NULL;
}

uint16_t sp_serve_port(const struct sp_serve *sv)
{
	return sv->port;
}

int sp_serve_streams(const struct sp_serve *sv)
{
	return atomic_load(&sv->nstreams);
}

void sp_serve_free(struct sp_serve *sv)
{
	if (!sv)
		return;
	event_active(sv->stop_ev, EV_READ, 0);
	pthread_join(sv->thread, NULL);
	sp_serve_conns_fini(sv);
	sp_serve_add_fini(sv);
	event_free(sv->stop_ev);
	event_free(sv->resume_ev);
	event_base_free(sv->base);
	free(sv->token);
	free(sv);
}
