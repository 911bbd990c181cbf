/* postq.c - a mutex-protected FIFO of posted functions, drained by its
 * owner's thread. Invariant: functions run outside the lock, in the order
 * posted, so a function may post again. Any thread posts. */
#include "storage/postq.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/log.h"

struct item {
	struct item *next;
	void (*fn)(void *arg);
	void *arg;
};

struct sp_postq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct item *head, *tail;
	size_t n;
};

struct sp_postq *sp_postq_new(void)
{
	struct sp_postq *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&q->lock, NULL);
	return q;
}

void sp_postq_free(struct sp_postq *q)
{
	if (!q)
		return;
	while (sp_postq_run(q, 0) > 0)
		;
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

void sp_postq_post(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct sp_postq *q = ctx;
	struct item *it = malloc(sizeof(*it));
	if (!it) {
		/* Nowhere to queue it: losing a completion would leak, running
		 * it here would break the thread rule. Say so loudly. */
		SP_ERROR("postq", "out of memory: a posted function is lost");
		return;
	}
	it->next = NULL;
	it->fn = fn;
	it->arg = arg;
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->n++;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

int sp_postq_run(struct sp_postq *q, int timeout_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	while (!q->head && timeout_ms > 0)
		if (pthread_cond_timedwait(&q->cond, &q->lock, &ts) == ETIMEDOUT)
			break;
	struct item *list = q->head;
	q->head = q->tail = NULL;
	q->n = 0;
	pthread_mutex_unlock(&q->lock);
	int ran = 0;
	while (list) {
		struct item *it = list;
		list = it->next;
		it->fn(it->arg);
		free(it);
		ran++;
	}
	return ran;
}

size_t sp_postq_pending(struct sp_postq *q)
{
	pthread_mutex_lock(&q->lock);
	size_t n = q->n;
	pthread_mutex_unlock(&q->lock);
	return n;
}
