/* queue.c - packet queues, frame rings and clocks for the player threads.
 *
 * Invariants: a queue's counters (npackets, bytes, duration) always match
 * its list; frames in the ring are referenced until sp_frameq_next or
 * clear unrefs them; no function holds a lock while calling out. Any
 * thread. */
#include <math.h>
#include <stdlib.h>

#include <libavcodec/packet.h>
#include <libavutil/frame.h>

#include "player/queue.h"

void sp_pktq_init(struct sp_pktq *q)
{
	*q = (struct sp_pktq){0};
	q->serial = 1; /* 0 means "none" to the decoders */
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cond, NULL);
}

static void drop_all(struct sp_pktq *q)
{
	struct sp_pktq_entry *e = q->first;
	while (e) {
		struct sp_pktq_entry *nx = e->next;
		av_packet_free(&e->pkt);
		free(e);
		e = nx;
	}
	q->first = q->last = NULL;
	q->npackets = 0;
	q->bytes = 0;
	q->duration = 0;
}

void sp_pktq_fini(struct sp_pktq *q)
{
	drop_all(q);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cond);
}

int sp_pktq_put(struct sp_pktq *q, struct AVPacket *pkt)
{
	struct sp_pktq_entry *e = calloc(1, sizeof(*e));
	if (!e) {
		av_packet_free(&pkt);
		return -1;
	}
	e->pkt = pkt;
	pthread_mutex_lock(&q->mu);
	if (q->abort) {
		pthread_mutex_unlock(&q->mu);
		av_packet_free(&pkt);
		free(e);
		return -1;
	}
	e->serial = q->serial;
	if (q->last)
		q->last->next = e;
	else
		q->first = e;
	q->last = e;
	q->npackets++;
	if (pkt) {
		q->bytes += pkt->size + (int64_t)sizeof(*e);
		q->duration += pkt->duration;
	}
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

void sp_pktq_flush(struct sp_pktq *q)
{
	pthread_mutex_lock(&q->mu);
	drop_all(q);
	q->serial++;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

void sp_pktq_abort(struct sp_pktq *q)
{
	pthread_mutex_lock(&q->mu);
	q->abort = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->mu);
}

int sp_pktq_get(struct sp_pktq *q, struct AVPacket **pkt, int *serial, bool block)
{
	int ret;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->abort) {
			ret = -1;
			break;
		}
		struct sp_pktq_entry *e = q->first;
		if (e) {
			q->first = e->next;
			if (!q->first)
				q->last = NULL;
			q->npackets--;
			if (e->pkt) {
				q->bytes -= e->pkt->size + (int64_t)sizeof(*e);
				q->duration -= e->pkt->duration;
			}
			*pkt = e->pkt;
			if (serial)
				*serial = e->serial;
			free(e);
			ret = 1;
			break;
		}
		if (!block) {
			ret = 0;
			break;
		}
		pthread_cond_wait(&q->cond, &q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return ret;
}

int sp_pktq_serial(struct sp_pktq *q)
{
	pthread_mutex_lock(&q->mu);
	int s = q->serial;
	pthread_mutex_unlock(&q->mu);
	return s;
}

void sp_pktq_sizes(struct sp_pktq *q, int *npackets, int64_t *bytes, int64_t *duration)
{
	pthread_mutex_lock(&q->mu);
	if (npackets)
		*npackets = q->npackets;
	if (bytes)
		*bytes = q->bytes;
	if (duration)
		*duration = q->duration;
	pthread_mutex_unlock(&q->mu);
}

int sp_frameq_init(struct sp_frameq *f, int size)
{
	*f = (struct sp_frameq){0};
	if (size < 1 || size > SP_FRAMEQ_MAX)
		return -1;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->size = size;
	for (int i = 0; i < size; i++) {
		f->items[i].frame = av_frame_alloc();
		if (!f->items[i].frame)
			return -1;
	}
	return 0;
}

void sp_frameq_fini(struct sp_frameq *f)
{
	for (int i = 0; i < f->size; i++)
		av_frame_free(&f->items[i].frame);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cond);
}

void sp_frameq_abort(struct sp_frameq *f)
{
	pthread_mutex_lock(&f->mu);
	f->abort = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->mu);
}

struct sp_frameq_item *sp_frameq_writable(struct sp_frameq *f)
{
	pthread_mutex_lock(&f->mu);
	while (f->count >= f->size && !f->abort)
		pthread_cond_wait(&f->cond, &f->mu);
	bool ab = f->abort;
	pthread_mutex_unlock(&f->mu);
	return ab ? NULL : &f->items[f->windex];
}

void sp_frameq_push(struct sp_frameq *f)
{
	pthread_mutex_lock(&f->mu);
	f->windex = (f->windex + 1) % f->size;
	f->count++;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->mu);
}

struct sp_frameq_item *sp_frameq_peek(struct sp_frameq *f)
{
	pthread_mutex_lock(&f->mu);
	struct sp_frameq_item *it = f->count > 0 ? &f->items[f->rindex] : NULL;
	pthread_mutex_unlock(&f->mu);
	return it;
}

struct sp_frameq_item *sp_frameq_peek_next(struct sp_frameq *f)
{
	pthread_mutex_lock(&f->mu);
	struct sp_frameq_item *it =
		f->count > 1 ? &f->items[(f->rindex + 1) % f->size] : NULL;
	pthread_mutex_unlock(&f->mu);
	return it;
}

void sp_frameq_next(struct sp_frameq *f)
{
	pthread_mutex_lock(&f->mu);
	if (f->count > 0) {
		av_frame_unref(f->items[f->rindex].frame);
		f->rindex = (f->rindex + 1) % f->size;
		f->count--;
		pthread_cond_signal(&f->cond);
	}
	pthread_mutex_unlock(&f->mu);
}

int sp_frameq_count(struct sp_frameq *f)
{
	pthread_mutex_lock(&f->mu);
	int n = f->count;
	pthread_mutex_unlock(&f->mu);
	return n;
}

void sp_frameq_clear(struct sp_frameq *f)
{
	while (sp_frameq_count(f) > 0)
		sp_frameq_next(f);
}

void sp_clock_init(struct sp_clock *c)
{
	*c = (struct sp_clock){0};
	pthread_mutex_init(&c->mu, NULL);
	c->pts = NAN;
}

void sp_clock_fini(struct sp_clock *c)
{
	pthread_mutex_destroy(&c->mu);
}

void sp_clock_set(struct sp_clock *c, double pts, int64_t now_us)
{
	pthread_mutex_lock(&c->mu);
	c->pts = pts;
	c->last_us = now_us;
	c->set = !isnan(pts);
	pthread_mutex_unlock(&c->mu);
}

double sp_clock_get(struct sp_clock *c, int64_t now_us)
{
	pthread_mutex_lock(&c->mu);
	double v = NAN;
	if (c->set)
		v = c->paused ? c->pts : c->pts + (double)(now_us - c->last_us) / 1e6;
	pthread_mutex_unlock(&c->mu);
	return v;
}

void sp_clock_pause(struct sp_clock *c, bool paused, int64_t now_us)
{
	pthread_mutex_lock(&c->mu);
	if (c->set && paused != c->paused) {
		if (paused)
			c->pts += (double)(now_us - c->last_us) / 1e6;
		c->last_us = now_us;
	}
	c->paused = paused;
	pthread_mutex_unlock(&c->mu);
}
