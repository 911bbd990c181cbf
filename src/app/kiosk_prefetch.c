/* kiosk_prefetch.c - the kiosk's background downloads: every listed
 * torrent, in list order after the item playing, one at a time, and only
 * while the item playing needs nothing more from the network (a local
 * file, or its torrent complete): the prefetch never takes bandwidth
 * from a play that still downloads.
 *
 * The main thread polls during a play (sp_kiosk_prefetch_poll, from the
 * player's position callback); preparing an item (loading or fetching
 * its metainfo, adding its torrent to the session) may block on the
 * network, so it runs on the prefetch thread. The item array changes
 * only on the main thread between plays, after sp_kiosk_prefetch_idle:
 * while a job runs, the array stands still. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "app/kiosk.h"
#include "app/clock.h"
#include "swarmplay/swarmplay.h"

#define POLL_PERIOD_US 1000000LL

struct kiosk_prefetch {
	struct kiosk *k;
	int (*prepare)(void *ctx, size_t index);
	void *ctx;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	long job;      /* [mu] the item to prepare, -1 none */
	bool busy;     /* [mu] a job posted or running */
	bool stop;     /* [mu] */
	int64_t polled_us; /* main thread */
};

static void *prefetch_main(void *arg)
{
	struct kiosk_prefetch *pf = arg;
	pthread_mutex_lock(&pf->mu);
	while (!pf->stop) {
		if (pf->job < 0) {
			pthread_cond_wait(&pf->cond, &pf->mu);
			continue;
		}
		size_t i = (size_t)pf->job;
		pthread_mutex_unlock(&pf->mu);
		pf->prepare(pf->ctx, i);
		pthread_mutex_lock(&pf->mu);
		pf->job = -1;
		pf->busy = false;
		pthread_cond_broadcast(&pf->cond);
	}
	pthread_mutex_unlock(&pf->mu);
	return NULL;
}

struct kiosk_prefetch *sp_kiosk_prefetch_new(struct kiosk *k, int (*prepare)(void *, size_t),
					     void *ctx)
{
	struct kiosk_prefetch *pf = calloc(1, sizeof(*pf));
	if (!pf)
		return NULL;
	*pf = (struct kiosk_prefetch){.k = k, .prepare = prepare, .ctx = ctx, .job = -1};
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->cond, NULL);
	if (pthread_create(&pf->thread, NULL, prefetch_main, pf) != 0) {
		pthread_mutex_destroy(&pf->mu);
		pthread_cond_destroy(&pf->cond);
		free(pf);
		return NULL;
	}
	return pf;
}

/* The first listed item after playing that still needs the network:
 * its index to prepare, or -1 when one downloads already (it goes on
 * alone) or all are here. Main thread, the item array standing still. */
static long first_missing(struct kiosk *k, size_t playing, int64_t now)
{
	for (size_t step = 1; step < k->n; step++) {
		size_t j = (playing + step) % k->n;
		struct kiosk_item *it = &k->items[j];
		pthread_mutex_lock(&k->mu);
		struct sp_torrent *t = it->t;
		bool skip = it->opt.kind == SP_ITEM_MEDIA || it->retry_at_us > now;
		pthread_mutex_unlock(&k->mu);
		if (skip)
			continue;
		if (!t)
			return (long)j;
		struct sp_torrent_stats st;
		sp_torrent_get_stats(t, &st);
		if (!st.complete)
			return -1;
	}
	return -1;
}

void sp_kiosk_prefetch_poll(struct kiosk_prefetch *pf, size_t playing, bool playing_complete)
{
	int64_t now = sp_app_now_us();
	if (!pf || !playing_complete || now - pf->polled_us < POLL_PERIOD_US)
		return;
	pf->polled_us = now;
	pthread_mutex_lock(&pf->mu);
	bool busy = pf->busy;
	pthread_mutex_unlock(&pf->mu);
	if (busy)
		return;
	long j = first_missing(pf->k, playing, now);
	if (j < 0)
		return;
	pthread_mutex_lock(&pf->mu);
	pf->job = j;
	pf->busy = true;
	pthread_cond_broadcast(&pf->cond);
	pthread_mutex_unlock(&pf->mu);
}

void sp_kiosk_prefetch_idle(struct kiosk_prefetch *pf)
{
	if (!pf)
		return;
	pthread_mutex_lock(&pf->mu);
	while (pf->busy)
		pthread_cond_wait(&pf->cond, &pf->mu);
	pthread_mutex_unlock(&pf->mu);
}

void sp_kiosk_prefetch_free(struct kiosk_prefetch *pf)
{
	if (!pf)
		return;
	pthread_mutex_lock(&pf->mu);
	pf->stop = true;
	pthread_cond_broadcast(&pf->cond);
	pthread_mutex_unlock(&pf->mu);
	pthread_join(pf->thread, NULL);
	pthread_mutex_destroy(&pf->mu);
	pthread_cond_destroy(&pf->cond);
	free(pf);
}
