/* serve_stream.c - one streamed HTTP response of `swarmplay serve`: a
 * torrent file's bytes [first, last] from a stream reader to a socket.
 *
 * Why a worker thread per response: sp_reader_read blocks until the bytes
 * are SHA-1-verified, and must not run on a loop thread; the server's
 * loop keeps answering other connections meanwhile. The worker reads
 * CHUNK bytes at a time at the reader's cursor (so the picker's deadline
 * window follows the byte being sent) into `ready`, and wakes the server
 * thread with event_active. The server thread hands what is ready to
 * evhttp only once the previous chunk has been written to the socket
 * (evhttp_send_reply_chunk_with_cb's callback): back-pressure.
 *
 * Invariants: ready never holds more than HIGH bytes (the worker waits on
 * the condition variable), and at most one chunk (<= HIGH) is in evhttp's
 * output buffer, so a slow client costs at most ~2 x HIGH of memory and
 * the reader's window stays where the client is. A closed connection
 * (the connection's close callback, serve_conn.c) cancels the reader at once (its window goes
 * when the worker, woken with -ECANCELED, has been joined and the reader
 * closed). A stream is freed only after its worker is joined, and it is
 * joined only once it has said it is done, so the join never waits for a
 * read.
 *
 * Threads: the server thread owns the list, req, in_flight and sent; the
 * worker owns buf; `mu` guards ready, off, err, gone and done. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "app/serve_int.h"
#include "app/log.h"

#define CHUNK (64 * 1024)
#define HIGH (256 * 1024)
#define WRITE_TIMEOUT_S 120 /* a client that reads nothing for this long */

struct sp_serve_stream {
	struct sp_serve *sv;
	struct sp_serve_stream *prev, *next;
	struct evhttp_request *req; /* NULL once the connection is gone */
	struct evhttp_connection *evcon;
	struct sp_serve_conn *conn; /* NULL once the connection is gone */
	struct sp_reader *reader;
	struct event *ev;     /* the worker's wake-up call */
	struct evbuffer *out; /* handed to evhttp */
	uint64_t total, sent;
	bool in_flight;
	pthread_t thread;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct evbuffer *ready;
	uint64_t off, last; /* next byte to read; the last one */
	int err;            /* the read that failed */
	bool gone, done;
};

static void *worker_main(void *arg)
{
	struct sp_serve_stream *s = arg;
	uint8_t *buf = malloc(CHUNK);
	pthread_mutex_lock(&s->mu);
	if (!buf)
		s->err = -ENOMEM;
	while (buf && !s->gone && s->off <= s->last) {
		if (evbuffer_get_length(s->ready) >= HIGH) {
			pthread_cond_wait(&s->cv, &s->mu);
			continue;
		}
		uint64_t off = s->off;
		size_t want = s->last - off + 1 < CHUNK ? (size_t)(s->last - off + 1) : CHUNK;
		pthread_mutex_unlock(&s->mu);
		ssize_t n = sp_reader_read(s->reader, off, buf, want);
		pthread_mutex_lock(&s->mu);
		if (n <= 0) {
			s->err = n < 0 ? (int)n : -EIO; /* EOF before the end: the file shrank? */
			break;
		}
		if (evbuffer_add(s->ready, buf, (size_t)n) < 0) {
			s->err = -ENOMEM;
			break;
		}
		s->off += (uint64_t)n;
		event_active(s->ev, EV_READ, 0);
	}
	s->done = true;
	pthread_mutex_unlock(&s->mu);
	event_active(s->ev, EV_READ, 0);
	free(buf);
	return NULL;
}

static void unlink_stream(struct sp_serve_stream *s)
{
	struct sp_serve *sv = s->sv;
	if (s->prev)
		s->prev->next = s->next;
	else
		sv->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	atomic_fetch_sub(&sv->nstreams, 1);
}

static void stream_free(struct sp_serve_stream *s)
{
	if (s->ev)
		event_free(s->ev);
	if (s->out)
		evbuffer_free(s->out);
	if (s->ready)
		evbuffer_free(s->ready);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/* The worker has said it is done: join it, close the reader, free. */
static void finish(struct sp_serve_stream *s)
{
	pthread_join(s->thread, NULL);
	APP_DEBUG("serve", "stream %p finished", (void *)s);
	unlink_stream(s);
	sp_reader_close(s->reader); /* its window goes */
	stream_free(s);
}

void sp_serve_stream_gone(struct sp_serve_stream *s)
{
	/* A client that went away (EOF, reset, write timeout): evhttp has
	 * detached our unfinished request from the connection and leaves it
	 * to us to free. When evhttp itself frees the connection (the server
	 * stops), the request is still attached and goes with it. */
	if (s->req && !evhttp_request_get_connection(s->req))
		evhttp_request_free(s->req);
	s->req = NULL;
	s->evcon = NULL;
	s->conn = NULL;
	pthread_mutex_lock(&s->mu);
	s->gone = true;
	bool done = s->done;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	sp_reader_cancel(s->reader); /* wakes a read that waits */
	APP_DEBUG("serve", "stream %p: a client closed its connection at byte %llu of %llu",
		  (void *)s, (unsigned long long)s->sent, (unsigned long long)s->total);
	if (done)
		finish(s);
	/* else the worker's last event_active brings us to on_worker */
}

static void restore_timeouts(struct sp_serve_stream *s)
{
	struct timeval tv = {s->sv->cfg.timeout_s, 0};
	bufferevent_set_timeouts(evhttp_connection_get_bufferevent(s->evcon), &tv, &tv);
}

/* The whole body is out: the response ends, the connection lives on
 * (keep-alive) unless the client said close. */
static void end_ok(struct sp_serve_stream *s)
{
	struct evhttp_request *req = s->req;
	sp_serve_conn_set_stream(s->conn, NULL);
	restore_timeouts(s);
	s->req = NULL;
	s->evcon = NULL;
	s->conn = NULL;
	evhttp_send_reply_end(req);
	finish(s);
}

/* The body cannot be completed (a read failed): the only way to tell the
 * client is to close the connection before Content-Length is reached. */
static void end_cut(struct sp_serve_stream *s, int err)
{
	struct evhttp_connection *evcon = s->evcon;
	APP_INFO("serve", "a response stops at byte %llu of %llu: %s",
		    (unsigned long long)s->sent, (unsigned long long)s->total, strerror(-err));
	sp_serve_conn_set_stream(s->conn, NULL);
	s->req = NULL;
	s->evcon = NULL;
	s->conn = NULL;
	evhttp_connection_free(evcon); /* the connection's close callback lets it go */
	finish(s);
}

static void on_flushed(struct evhttp_connection *evcon, void *arg);

/* Hands what the worker has read to evhttp, or ends the response. */
static void pump(struct sp_serve_stream *s)
{
	if (s->in_flight || !s->req)
		return;
	pthread_mutex_lock(&s->mu);
	evbuffer_add_buffer(s->out, s->ready);
	bool done = s->done;
	int err = s->err;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	size_t n = evbuffer_get_length(s->out);
	if (n) {
		if (!s->sent)
			sp_serve_log(true, "stream %p: its first %zu bytes out", (void *)s, n);
		s->in_flight = true;
		s->sent += n;
		evhttp_send_reply_chunk_with_cb(s->req, s->out, on_flushed, s);
		return;
	}
	if (!done)
		return;
	if (s->sent == s->total)
		end_ok(s);
	else
		end_cut(s, err ? err : -EIO);
}

static void on_flushed(struct evhttp_connection *evcon, void *arg)
{
	struct sp_serve_stream *s = arg;
	s->in_flight = false;
	pump(s);
}

static void on_worker(evutil_socket_t fd, short what, void *arg)
{
	struct sp_serve_stream *s = arg;
	if (s->req) {
		pump(s);
		return;
	}
	pthread_mutex_lock(&s->mu);
	bool done = s->done;
	pthread_mutex_unlock(&s->mu);
	APP_DEBUG("serve", "stream %p: worker event, done %d", (void *)s, done);
	if (done)
		finish(s); /* the connection went first */
}

static struct sp_serve_stream *stream_new(struct sp_serve *sv, struct sp_reader *r,
					  uint64_t first, uint64_t last)
{
	struct sp_serve_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sv = sv;
	s->reader = r;
	s->off = first;
	s->last = last;
	s->total = last - first + 1;
	s->ev = event_new(sv->base, -1, 0, on_worker, s);
	s->out = evbuffer_new();
	s->ready = evbuffer_new();
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (!s->ev || !s->out || !s->ready) {
		stream_free(s);
		return NULL;
	}
	return s;
}

int sp_serve_stream_start(struct sp_serve *sv, struct evhttp_request *req, int code,
			  struct sp_torrent *t, int file, uint64_t first, uint64_t last)
{
	if (atomic_load(&sv->nstreams) >= sv->cfg.max_streams)
		return -EBUSY;
	struct sp_serve_conn *conn = sp_serve_conn_of(sv, req);
	if (!conn)
		return -ENOMEM; /* not counted (out of memory when accepted) */
	struct sp_error *err = NULL;
	struct sp_reader *r = sp_torrent_open_reader(t, file, &err);
	if (!r) {
		APP_INFO("serve", "%s", sp_error_msg(err));
		sp_error_free(err);
		return -EIO;
	}
	struct sp_serve_stream *s = stream_new(sv, r, first, last);
	if (!s) {
		sp_reader_close(r);
		return -ENOMEM;
	}
	if (pthread_create(&s->thread, NULL, worker_main, s) != 0) {
		sp_reader_close(r);
		stream_free(s);
		return -EAGAIN;
	}
	s->next = sv->streams;
	if (sv->streams)
		sv->streams->prev = s;
	sv->streams = s;
	atomic_fetch_add(&sv->nstreams, 1);
	s->req = req;
	s->evcon = evhttp_request_get_connection(req);
	s->conn = conn;
	evhttp_send_reply_start(req, code, code == 206 ? "Partial Content" : "OK");
	sp_serve_conn_set_stream(conn, s);
	/* a player may read nothing for minutes (paused): no read timeout
	 * while streaming; the write timeout still cuts a dead client */
	struct timeval wtv = {WRITE_TIMEOUT_S, 0};
	bufferevent_set_timeouts(evhttp_connection_get_bufferevent(s->evcon), NULL, &wtv);
	return 0;
}

void sp_serve_stream_stop_all(struct sp_serve *sv)
{
	for (struct sp_serve_stream *s = sv->streams; s; s = s->next) {
		pthread_mutex_lock(&s->mu);
		s->gone = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		sp_reader_cancel(s->reader);
	}
	while (sv->streams)
		finish(sv->streams); /* cancelled: the join waits for no read */
}
