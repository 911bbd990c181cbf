/* serve_conn.c - the connections of `swarmplay serve`, counted and capped.
 *
 * Why: libevent 2.1's evhttp accepts every connection it can and keeps
 * each until its client goes or a read times out, so a flood of idle or
 * slowloris clients would cost a descriptor and a buffer each, without
 * bound. evhttp tells us of a new connection only through the
 * bufferevent callback (evhttp_set_bevcb): we make each connection's
 * bufferevent there, hold a reference to it, and once evhttp has built
 * the connection around it (the same loop turn, before any byte is read)
 * we find the connection as the bufferevent's callback argument and set
 * our close callback on it ("adopt"). The close callback is the one way
 * a connection leaves the count.
 *
 * Rules: at most cfg.max_connections at once. One beyond takes the place
 * of the connection that has waited longest without a stream (an idle
 * keep-alive or a client still sending its request: the cheapest to
 * lose, and what slow-header attackers hold); if every connection
 * streams, the new one is closed as soon as it is adopted (cheap:
 * nothing read, nothing sent). A
 * connection that has no stream must produce a whole request within
 * cfg.timeout_s of its last one (or of its accept), however slowly it
 * trickles bytes: a sweep each second closes the others, so slow headers
 * cannot keep a slot for ever.
 *
 * Threads: the server thread only. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "app/serve_int.h"

struct sp_serve_conn {
	struct sp_serve *sv;
	struct sp_serve_conn *prev, *next;
	struct bufferevent *bev;	 /* held until adopted */
	struct evhttp_connection *evcon; /* NULL until adopted */
	struct sp_serve_stream *stream;	 /* the response streaming on it */
	int64_t since;			 /* accept, or its last request (ms) */
	bool refuse;			 /* over the cap: closed once adopted */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void unlink_conn(struct sp_serve_conn *c)
{
	struct sp_serve *sv = c->sv;
	if (c->prev)
		c->prev->next = c->next;
	else
		sv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	atomic_fetch_sub(&sv->nconns, 1);
	free(c);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	struct sp_serve_conn *c = arg;
	if (c->stream)
		sp_serve_stream_gone(c->stream); /* it lets go of c */
	unlink_conn(c);
}

/* evhttp's bufferevent callback: a connection was accepted. */
static struct bufferevent *on_accept(struct event_base *base, void *arg)
{
	struct sp_serve *sv = arg;
	struct sp_serve_conn *c = calloc(1, sizeof(*c));
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!c || !bev) {
		free(c);
		return bev; /* evhttp goes on without us counting: out of memory anyway */
	}
	c->sv = sv;
	c->bev = bev;
	c->since = now_ms();
	c->refuse = atomic_load(&sv->nconns) >= sv->cfg.max_connections;
	bufferevent_incref(bev);
	c->next = sv->conns;
	if (sv->conns)
		sv->conns->prev = c;
	sv->conns = c;
	atomic_fetch_add(&sv->nconns, 1);
	event_active(sv->adopt_ev, EV_READ, 0);
	return bev;
}

/* At the cap: closes the connection without a stream that has waited
 * longest for its request, for c. *next (the caller's iterator) moves on
 * if it was that one. */
static bool make_room(struct sp_serve *sv, struct sp_serve_conn *c, struct sp_serve_conn **next)
{
	struct sp_serve_conn *v = NULL;
	for (struct sp_serve_conn *x = sv->conns; x; x = x->next)
		if (x != c && x->evcon && !x->stream && (!v || x->since <= v->since))
			v = x;
	if (!v)
		return false;
	if (v == *next)
		*next = v->next;
	sv->evicted++;
	sp_serve_log(true, "at %d connections: one without a stream makes room",
		     sv->cfg.max_connections);
	evhttp_connection_free(v->evcon); /* on_close frees v */
	return true;
}

/* A response is written in chunks of up to 64 KiB, each once the last
 * is in the kernel: with Nagle's algorithm the short tail of a chunk (and
 * of the headers) would wait for the client's ACK of what went before,
 * up to its delayed-ACK time (40 ms and more on a LAN), at the start of
 * every response. */
static void no_delay(struct bufferevent *bev)
{
	int one = 1;
	evutil_socket_t fd = bufferevent_getfd(bev);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Takes over one connection evhttp built since the last turn. */
static void adopt_one(struct sp_serve *sv, struct sp_serve_conn *c, struct sp_serve_conn **next)
{
	void *arg = NULL;
	bufferevent_getcb(c->bev, NULL, NULL, NULL, &arg);
	struct evhttp_connection *evcon = arg;
	bool built = evcon && evhttp_connection_get_bufferevent(evcon) == c->bev;
	struct bufferevent *bev = c->bev;
	c->bev = NULL;
	bool kept = false; /* c is freed in the other branches */
	if (!built) { /* evhttp failed and let it go */
		unlink_conn(c);
	} else if (c->refuse && make_room(sv, c, next)) {
		c->evcon = evcon;
		evhttp_connection_set_closecb(evcon, on_close, c);
		kept = true;
	} else if (c->refuse) {
		if (!sv->refused++ || sv->refused % 1000 == 0)
			sp_serve_log(false, "%d connections: refusing more (%llu so far)",
				     sv->cfg.max_connections, (unsigned long long)sv->refused);
		unlink_conn(c);
		evhttp_connection_free(evcon);
	} else {
		c->evcon = evcon;
		evhttp_connection_set_closecb(evcon, on_close, c);
		kept = true;
	}
	if (kept)
		no_delay(bev);
	bufferevent_decref(bev);
}

/* Finds the connections evhttp built since the last turn: those within
 * the cap first, then those past it, so that when many were accepted in
 * one turn (a slow loop, a burst) the ones past the cap find the older
 * idle ones already adopted and can take their place. */
static void adopt_all(struct sp_serve *sv)
{
	struct sp_serve_conn *next;
	for (int past_cap = 0; past_cap < 2; past_cap++)
		for (struct sp_serve_conn *c = sv->conns; c; c = next) {
			next = c->next;
			if (c->bev && c->refuse == (past_cap == 1))
				adopt_one(sv, c, &next);
		}
}

static void on_adopt(evutil_socket_t fd, short what, void *arg)
{
	adopt_all(arg);
}

/* Each second: connections without a stream that have not sent a whole
 * request in time go. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct sp_serve *sv = arg;
	int64_t now = now_ms();
	struct sp_serve_conn *next;
	for (struct sp_serve_conn *c = sv->conns; c; c = next) {
		next = c->next;
		if (c->evcon && !c->stream && now - c->since > (int64_t)sv->cfg.timeout_s * 1000) {
			sp_serve_log(true, "a connection sent no whole request in %d s",
				     sv->cfg.timeout_s);
			evhttp_connection_free(c->evcon); /* on_close frees c */
		}
	}
}

int sp_serve_conns_init(struct sp_serve *sv)
{
	sv->adopt_ev = event_new(sv->base, -1, 0, on_adopt, sv);
	sv->sweep_ev = event_new(sv->base, -1, EV_PERSIST, on_sweep, sv);
	struct timeval tv = {1, 0};
	if (!sv->adopt_ev || !sv->sweep_ev || event_add(sv->sweep_ev, &tv) < 0)
		return -ENOMEM;
	evhttp_set_bevcb(sv->http, on_accept, sv);
	return 0;
}

struct sp_serve_conn *sp_serve_conn_of(struct sp_serve *sv, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	for (struct sp_serve_conn *c = sv->conns; c && evcon; c = c->next)
		if (c->evcon == evcon)
			return c;
	return NULL;
}

void sp_serve_conn_request(struct sp_serve_conn *c)
{
	if (c)
		c->since = now_ms();
}

void sp_serve_conn_set_stream(struct sp_serve_conn *c, struct sp_serve_stream *s)
{
	if (!c)
		return;
	c->stream = s;
	c->since = now_ms();
}

void sp_serve_conns_stop(struct sp_serve *sv)
{
	adopt_all(sv); /* no bufferevent is held past here */
	if (sv->sweep_ev)
		event_del(sv->sweep_ev);
}

void sp_serve_conns_fini(struct sp_serve *sv)
{
	while (sv->conns) /* a connection evhttp_free closed without telling */
		unlink_conn(sv->conns);
	if (sv->adopt_ev)
		event_free(sv->adopt_ev);
	if (sv->sweep_ev)
		event_free(sv->sweep_ev);
}
