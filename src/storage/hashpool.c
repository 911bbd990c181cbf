/* hashpool.c - worker threads for SHA-1 and disk writes.
 *
 * Invariants: the queue is a singly linked FIFO guarded by `lock`; a worker
 * sleeps on `cond` while the queue is empty and `stopping` is false. Free
 * sets `stopping`, and workers exit only once the queue is empty, so a job
 * accepted by submit always runs (a verified piece is never dropped on the
 * floor at shutdown). Threads: any thread submits; the workers run jobs. */
#include "storage/hashpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/log.h"

#define MAX_THREADS 16

struct job {
	struct job *next;
	void (*fn)(void *arg);
	void *arg;
};

struct sp_hashpool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, *tail;
	bool stopping;
	int nthreads;
	pthread_t threads[MAX_THREADS];
};

static void *worker_main(void *arg)
{
	struct sp_hashpool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		struct job *j = p->head;
		if (!j)
			break; /* stopping and drained */
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 2)
		n = 2;
	return n > MAX_THREADS ? MAX_THREADS : (int)n;
}

struct sp_hashpool *sp_hashpool_new(int threads)
{
	struct sp_hashpool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (threads <= 0)
		threads = default_threads();
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	for (int i = 0; i < threads; i++) {
		int rc = pthread_create(&p->threads[i], NULL, worker_main, p);
		if (rc) {
			SP_WARN("hashpool", "pthread_create: error %d", rc);
			break;
		}
		p->nthreads++;
	}
	if (!p->nthreads) {
		sp_hashpool_free(p);
		return NULL;
	}
	return p;
}

void sp_hashpool_free(struct sp_hashpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	/* No worker left; run nothing more. The queue is empty here unless no
	 * thread ever started. */
	while (p->head) {
		struct job *j = p->head;
		p->head = j->next;
		j->fn(j->arg);
		free(j);
	}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int sp_hashpool_submit(struct sp_hashpool *p, void (*fn)(void *arg), void *arg)
{
	struct job *j = malloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->next = NULL;
	j->fn = fn;
	j->arg = arg;
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		free(j);
		return -ESHUTDOWN;
	}
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int sp_hashpool_threads(const struct sp_hashpool *p)
{
	return p->nthreads;
}
