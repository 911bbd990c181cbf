/* queue.h - the player's queues and clocks (ffplay's layout, our code).
 *
 * Packet queue: demux thread → one decoder thread per stream. Each packet
 * carries the queue's serial at the time it was put; a flush (seek) bumps
 * the serial so decoders drop what came before. A NULL packet marks end of
 * stream (drain the decoder).
 *
 * Frame queue: a fixed ring of decoded frames, decoder → main thread (video)
 * or the SDL audio callback (audio). Its size is the ceiling on memory.
 *
 * Clock: a presentation clock that runs with the wall clock unless paused.
 *
 * All functions are thread-safe (one mutex per queue); abort wakes every
 * waiter and makes blocking calls return -1. */
#ifndef SP_PLAYER_QUEUE_H
#define SP_PLAYER_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct AVPacket;
struct AVFrame;

struct sp_pktq_entry {
	struct AVPacket *pkt; /* NULL: end of stream */
	int serial;
	struct sp_pktq_entry *next;
};

struct sp_pktq {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct sp_pktq_entry *first, *last;
	int npackets;
	int64_t bytes;
	int64_t duration; /* sum of packet durations, stream time base */
	int serial;
	bool abort;
};

void sp_pktq_init(struct sp_pktq *q);
void sp_pktq_fini(struct sp_pktq *q);
/* Takes ownership of pkt (NULL = end marker). -1 if aborted. */
int sp_pktq_put(struct sp_pktq *q, struct AVPacket *pkt);
/* Drop everything and bump the serial. */
void sp_pktq_flush(struct sp_pktq *q);
void sp_pktq_abort(struct sp_pktq *q);
/* 1 and *pkt (owned by caller, may be NULL for the end marker) when one
 * was there, 0 if empty and !block, -1 if aborted. */
int sp_pktq_get(struct sp_pktq *q, struct AVPacket **pkt, int *serial, bool block);
int sp_pktq_serial(struct sp_pktq *q);
void sp_pktq_sizes(struct sp_pktq *q, int *npackets, int64_t *bytes, int64_t *duration);

#define SP_FRAMEQ_MAX 16

struct sp_frameq_item {
	struct AVFrame *frame;
	int serial;
	double pts;      /* seconds, NAN if unknown */
	double duration; /* seconds */
};

struct sp_frameq {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct sp_frameq_item items[SP_FRAMEQ_MAX];
	int size, rindex, windex, count;
	bool abort;
};

int sp_frameq_init(struct sp_frameq *f, int size);
void sp_frameq_fini(struct sp_frameq *f);
void sp_frameq_abort(struct sp_frameq *f);
/* Wait for a free slot (NULL if aborted); fill it, then push. */
struct sp_frameq_item *sp_frameq_writable(struct sp_frameq *f);
void sp_frameq_push(struct sp_frameq *f);
/* The oldest / the one after it, or NULL. Never blocks. */
struct sp_frameq_item *sp_frameq_peek(struct sp_frameq *f);
struct sp_frameq_item *sp_frameq_peek_next(struct sp_frameq *f);
/* Unref the oldest and free its slot. */
void sp_frameq_next(struct sp_frameq *f);
int sp_frameq_count(struct sp_frameq *f);
/* Drop every queued frame. */
void sp_frameq_clear(struct sp_frameq *f);

struct sp_clock {
	pthread_mutex_t mu;
	double pts;        /* seconds at last_us */
	int64_t last_us;
	bool paused;
	bool set;          /* has a value */
};

void sp_clock_init(struct sp_clock *c);
void sp_clock_fini(struct sp_clock *c);
void sp_clock_set(struct sp_clock *c, double pts, int64_t now_us);
/* NAN until set. */
double sp_clock_get(struct sp_clock *c, int64_t now_us);
void sp_clock_pause(struct sp_clock *c, bool paused, int64_t now_us);

#endif
