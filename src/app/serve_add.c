/* serve_add.c - `POST /add` of `swarmplay serve --allow-add`: a magnet
 * link or a .torrent in the body joins the served torrents.
 *
 * Why a worker per addition: a magnet's metadata comes from peers (up to
 * a minute) and adding a torrent waits for the session, neither of which
 * may hold up the server's loop. The request is parsed (pure) on the
 * server thread and answered at once: 202 with the info-hash (the torrent
 * shows in / when it is in), 200 if it is served already or on its way.
 * The worker calls cfg.add (cmd_serve.c: the data directory, the session)
 * and hands the torrent back through `done` under `mu`; the server thread
 * appends it to the list that pages and files read, so that list is only
 * ever touched by the server thread.
 *
 * Safety: only with --allow-add (else 403); the body is bounded by evhttp
 * (SP_SERVE_ADD_MAX, else 413); a body that is not a magnet link or a
 * bencoded torrent is 400 and never taken for a path; a request that a
 * web page sent from another origin (Origin: not us) is 403, so a page
 * cannot make a loopback server download; at most ADD_JOBS at once (503),
 * and SP_SERVE_MAX_TORRENTS in all (507).
 *
 * Threads: the server thread, but for add_main (a worker). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "app/serve_int.h"

#define ADD_JOBS 4

struct sp_serve_add {
	struct sp_serve *sv;
	struct sp_serve_add *next;
	struct sp_metainfo *mi; /* the worker's, then cfg.add's */
	char hex[41];
	struct sp_torrent *t; /* the result, under sv->add_mu */
	pthread_t thread;
	bool done;
};

static void *add_main(void *arg)
{
	struct sp_serve_add *a = arg;
	struct sp_serve *sv = a->sv;
	struct sp_error *err = NULL;
	struct sp_torrent *t = sv->cfg.add(sv->cfg.add_arg, a->mi, &err);
	a->mi = NULL;
	if (!t)
		sp_serve_log(false, "cannot add %s: %s", a->hex, sp_error_msg(err));
	sp_error_free(err);
	pthread_mutex_lock(&sv->add_mu);
	a->t = t;
	a->done = true;
	pthread_mutex_unlock(&sv->add_mu);
	event_active(sv->add_ev, EV_READ, 0);
	return NULL;
}

/* Joins the finished workers; appends their torrents unless stopping. */
static void reap(struct sp_serve *sv, bool keep)
{
	struct sp_serve_add **pp = &sv->adds;
	while (*pp) {
		struct sp_serve_add *a = *pp;
		pthread_mutex_lock(&sv->add_mu);
		bool done = a->done;
		pthread_mutex_unlock(&sv->add_mu);
		if (!done) {
			pp = &a->next;
			continue;
		}
		*pp = a->next;
		pthread_join(a->thread, NULL);
		if (a->t && keep && sv->cfg.ntorrents < SP_SERVE_MAX_TORRENTS) {
			sv->cfg.torrents[sv->cfg.ntorrents++] = a->t;
			sp_serve_log(false, "serving %s", a->hex);
		}
		sv->nadds--;
		free(a);
	}
}

static void on_added(evutil_socket_t fd, short what, void *arg)
{
	reap(arg, true);
}

static void reply_json(struct evhttp_request *req, int code, const char *reason, const char *hex,
		       const char *status)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	struct evbuffer *b = evbuffer_new();
	if (b && hex)
		evbuffer_add_printf(b, "{\"info_hash\": \"%s\", \"status\": \"%s\"}\n", hex,
				    status);
	else if (b)
		evbuffer_add_printf(b, "{\"error\": \"%s\"}\n", status);
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

/* The request came from a page of another origin than us. */
static bool cross_origin(struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(in, "Origin");
	const char *host = evhttp_find_header(in, "Host");
	if (!origin)
		return false;
	return !host || strncmp(origin, "http://", 7) || strcmp(origin + 7, host);
}

/* The body as a magnet link or a torrent; NULL if neither. */
static struct sp_metainfo *parse_body(const struct sp_serve *sv, struct evbuffer *body,
				      struct sp_error **err)
{
	size_t n = evbuffer_get_length(body);
	unsigned char *p = n ? evbuffer_pullup(body, (ev_ssize_t)n) : NULL;
	if (!p)
		return NULL;
	if (n > 8 && !memcmp(p, "magnet:?", 8)) {
		while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		char *uri = malloc(n + 1);
		if (!uri || memchr(p, 0, n)) {
			free(uri);
			return NULL;
		}
		memcpy(uri, p, n);
		uri[n] = 0;
		struct sp_metainfo *mi = sp_metainfo_load(uri, err); /* "magnet:": never a path */
		free(uri);
		return mi;
	}
	if (p[0] != 'd' || !sv->cfg.parse)
		return NULL;
	return sv->cfg.parse(p, n, err);
}

static bool serving(const struct sp_serve *sv, const char *hex)
{
	if (sp_serve_find(sv, hex))
		return true;
	for (const struct sp_serve_add *a = sv->adds; a; a = a->next)
		if (!strcmp(a->hex, hex))
			return true;
	return false;
}

void sp_serve_add_request(struct sp_serve *sv, struct evhttp_request *req)
{
	if (!sv->cfg.allow_add || !sv->cfg.add || cross_origin(req)) {
		reply_json(req, 403, "Forbidden", NULL,
			   sv->cfg.allow_add ? "another origin" : "serve without --allow-add");
		return;
	}
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = parse_body(sv, evhttp_request_get_input_buffer(req), &err);
	if (!mi) {
		sp_serve_log(false, "POST /add: %s", err ? sp_error_msg(err) : "not a torrent");
		sp_error_free(err);
		reply_json(req, 400, "Bad Request", NULL, "not a magnet link or a torrent");
		return;
	}
	reap(sv, true);
	struct sp_serve_add *a = NULL;
	const char *hex = sp_metainfo_info_hash(mi);
	if (serving(sv, hex)) {
		reply_json(req, 200, "OK", hex, "served");
	} else if (sv->cfg.ntorrents + sv->nadds >= SP_SERVE_MAX_TORRENTS) {
		reply_json(req, 507, "Insufficient Storage", NULL, "too many torrents");
	} else if (sv->nadds >= ADD_JOBS || !(a = calloc(1, sizeof(*a)))) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
		reply_json(req, 503, "Service Unavailable", NULL, "busy adding torrents");
	} else {
		a->sv = sv;
		a->mi = mi;
		snprintf(a->hex, sizeof(a->hex), "%s", hex);
		if (pthread_create(&a->thread, NULL, add_main, a) != 0) {
			free(a);
			reply_json(req, 503, "Service Unavailable", NULL, "cannot start a thread");
		} else {
			mi = NULL;
			a->next = sv->adds;
			sv->adds = a;
			sv->nadds++;
			reply_json(req, 202, "Accepted", a->hex, "adding");
		}
	}
	sp_metainfo_free(mi);
}

int sp_serve_add_init(struct sp_serve *sv)
{
	sv->add_ev = event_new(sv->base, -1, 0, on_added, sv);
	return sv->add_ev ? 0 : -ENOMEM;
}

void sp_serve_add_stop(struct sp_serve *sv)
{
	while (sv->adds) { /* a magnet may still wait for its metadata */
		struct sp_serve_add *a = sv->adds;
		sv->adds = a->next;
		pthread_join(a->thread, NULL);
		sv->nadds--;
		free(a); /* its torrent, if any, stays the session's */
	}
}

void sp_serve_add_fini(struct sp_serve *sv)
{
	if (sv->add_ev)
		event_free(sv->add_ev);
	pthread_mutex_destroy(&sv->add_mu);
}
