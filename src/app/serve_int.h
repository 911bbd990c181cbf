/* serve_int.h - inside `swarmplay serve`'s HTTP server: the server's
 * state, the streamed responses (serve_stream.c) and the pages
 * (serve_pages.c). Everything here runs on the server's thread unless it
 * says otherwise. */
#ifndef SP_APP_SERVE_INT_H
#define SP_APP_SERVE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/serve.h"
#include "app/buf.h"

struct event;
struct event_base;
struct evhttp;
struct evhttp_request;
struct sp_serve_add;
struct sp_serve_conn;
struct sp_serve_stream;

struct sp_serve {
	struct sp_serve_config cfg;
	char *token;               /* our copy of cfg.token */
	struct event_base *base;   /* the server thread's own loop */
	struct evhttp *http;
	struct event *stop_ev;     /* activated by sp_serve_free */
	struct event *resume_ev;   /* re-enables accepting after EMFILE */
	struct evconnlistener *listener;
	uint16_t port;
	pthread_t thread;
	struct sp_serve_stream *streams; /* open responses (a list) */
	atomic_int nstreams;
	struct sp_serve_conn *conns;     /* open connections (a list) */
	atomic_int nconns;
	unsigned long long refused;      /* connections over the cap, closed */
	unsigned long long evicted;      /* idle ones closed to make room */
	struct event *adopt_ev, *sweep_ev;
	struct sp_serve_add *adds; /* POST /add workers (serve_add.c) */
	int nadds;
	pthread_mutex_t add_mu;    /* their `done` and result */
	struct event *add_ev;      /* a worker is done */
};

/* ---- serve_add.c ---- */
int sp_serve_add_init(struct sp_serve *sv);
/* POST /add: answers req (202, 200, 4xx, 503). */
void sp_serve_add_request(struct sp_serve *sv, struct evhttp_request *req);
/* Joins every worker (a magnet's may wait for its metadata). */
void sp_serve_add_stop(struct sp_serve *sv);
void sp_serve_add_fini(struct sp_serve *sv);

/* ---- serve.c ---- */
/* A log line of module "serve" (info, or debug), for the files of serve
 * that are on the public API. */
void sp_serve_log(bool debug, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- serve_conn.c ---- */
/* Counts and caps the connections (evhttp's bufferevent callback), and
 * closes those too slow to send a request. 0 or -ENOMEM. */
int sp_serve_conns_init(struct sp_serve *sv);
/* The connection a request came on, or NULL (not counted). */
struct sp_serve_conn *sp_serve_conn_of(struct sp_serve *sv, struct evhttp_request *req);
/* A whole request arrived on c (NULL ok): its time limit starts again. */
void sp_serve_conn_request(struct sp_serve_conn *c);
/* The stream answering on c, NULL when it ends; c's close tells it
 * (sp_serve_stream_gone). NULL c ok. */
void sp_serve_conn_set_stream(struct sp_serve_conn *c, struct sp_serve_stream *s);
/* Before evhttp_free: no bufferevent is held, the sweep stops. */
void sp_serve_conns_stop(struct sp_serve *sv);
/* After the loop ends: frees what is left. */
void sp_serve_conns_fini(struct sp_serve *sv);

/* ---- serve_stream.c ---- */
/* Streams bytes [first, last] of file `file` of t as the body of req,
 * whose status line and headers are set (Content-Length included): opens
 * a reader, starts a worker that reads it, sends what it reads as the
 * socket drains. 0, or -errno (nothing was sent: the caller answers). */
int sp_serve_stream_start(struct sp_serve *sv, struct evhttp_request *req, int code,
			  struct sp_torrent *t, int file, uint64_t first, uint64_t last);
/* s's connection closed (the client went, a timeout, the server stops). */
void sp_serve_stream_gone(struct sp_serve_stream *s);
/* Cuts every open response (the server stops). */
void sp_serve_stream_stop_all(struct sp_serve *sv);

/* ---- serve_pages.c ---- (no libevent: they fill a buffer) */
/* base: "http://host:port" as the client reached us; token: appended to
 * the links when the server asks for one (NULL otherwise). */
int sp_serve_page_index(struct app_buf *b, const struct sp_serve *sv, bool json,
			const char *base, const char *token);
int sp_serve_page_m3u(struct app_buf *b, struct sp_torrent *t, const char *base,
		      const char *token);
int sp_serve_page_stats(struct app_buf *b, const struct sp_serve *sv);
/* The torrent whose info-hash is hex (lower case), or NULL. */
struct sp_torrent *sp_serve_find(const struct sp_serve *sv, const char *hex);

#endif
