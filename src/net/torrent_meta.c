/* torrent_meta.c - sp_session_fetch_metadata: a magnet becomes a full
 * metainfo. A temporary torrent with no storage and no picker (meta_only)
 * connects to the magnet's peers (x.pe) and trackers, fetches the info
 * dictionary by BEP 9 (metadata.c), and is destroyed; the peers it found
 * are handed to the next torrent added with that info-hash.
 *
 * Threads: the caller blocks on a condition variable; everything about
 * the temporary torrent happens on the net thread. */
#include "net/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "net/peer.h"
#include "net/tracker.h"

struct fetch_job {
	struct sp_torrent *t;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done, destroyed;
	struct sp_metainfo *result;
	int code;
};

static void fetch_done(void *ctx, struct sp_metainfo *mi, int err)
{
	struct fetch_job *job = ctx;
	pthread_mutex_lock(&job->lock);
	job->result = mi;
	job->code = err;
	job->done = true;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&job->lock);
}

static void start_on_loop(void *arg)
{
	struct sp_torrent *t = arg;
	if (t->s->stopping)
		return;
	t->started = true;
	static const struct timeval tick = {0, 100000};
	event_add(t->tick_ev, &tick);
	sp_torrent_start_tracker(t);
	sp_torrent_connect_candidates(t, sp_now_us());
}

static void destroy_on_loop(void *arg)
{
	struct fetch_job *job = arg;
	struct sp_torrent *t = job->t;
	struct sp_session *s = t->s;
	sp_meta_keep_candidates(t);
	sp_torrent_stop_loop(t);
	for (struct sp_torrent **pp = &s->torrents; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	sp_torrent_free_now(t); /* frees the magnet metainfo too */
	pthread_mutex_lock(&job->lock);
	job->destroyed = true;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&job->lock);
}

static struct sp_torrent *meta_torrent(struct sp_session *s, struct sp_metainfo *magnet,
				       struct fetch_job *job)
{
	struct sp_torrent *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->s = s;
	t->mi = magnet;
	t->meta_only = true;
	pthread_mutex_init(&t->stats_lock, NULL);
	if (sp_bitfield_init(&t->have, 0) < 0 || !(t->meta = sp_meta_new(t, fetch_done, job))) {
		sp_bitfield_fini(&t->have);
		pthread_mutex_destroy(&t->stats_lock);
		free(t);
		return NULL;
	}
	return t;
}

/* Until *flag, the deadline (0: none) or, with s, a cancel; the 100 ms
 * steps are how a cancel (a flag a signal handler may set, never a
 * signal on the condition) is seen. */
static void wait_until(struct fetch_job *job, bool *flag, int64_t deadline_us,
		       struct sp_session *s)
{
	pthread_mutex_lock(&job->lock);
	while (!*flag && !(s && atomic_load(&s->fetch_cancel))) {
		int64_t left = deadline_us - sp_now_us();
		if (deadline_us && left <= 0)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t step = deadline_us && left < 100000 ? left : 100000;
		ts.tv_nsec += (long)(step * 1000);
		ts.tv_sec += ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&job->cond, &job->lock, &ts);
	}
	pthread_mutex_unlock(&job->lock);
}

void sp_session_cancel_fetches(struct sp_session *s)
{
	if (s)
		atomic_store(&s->fetch_cancel, true);
}

struct sp_metainfo *sp_session_fetch_metadata(struct sp_session *s, struct sp_metainfo *magnet,
					      int timeout_ms, struct sp_error **err)
{
	if (!s || !magnet || !magnet->is_magnet) {
		sp_metainfo_free(magnet);
		sp_error_set(err, -EINVAL, _("not a magnet link"));
		return NULL;
	}
	struct fetch_job job = {0};
	pthread_mutex_init(&job.lock, NULL);
	pthread_cond_init(&job.cond, NULL);
	job.t = meta_torrent(s, magnet, &job);
	if (!job.t || sp_torrent_attach(job.t) < 0) {
		if (job.t)
			sp_torrent_free_now(job.t);
		else
			sp_metainfo_free(magnet);
		sp_error_set(err, -ENOMEM, _("out of memory"));
		return NULL;
	}
	for (size_t i = 0; i < magnet->num_initial_peers; i++)
		sp_torrent_add_peer(job.t, magnet->initial_peers[i].host,
				    magnet->initial_peers[i].port);
	sp_session_post(s, start_on_loop, job.t);
	wait_until(&job, &job.done, sp_now_us() + (int64_t)timeout_ms * 1000, s);
	if (sp_session_post(s, destroy_on_loop, &job) == 0)
		wait_until(&job, &job.destroyed, 0, NULL);
	pthread_mutex_destroy(&job.lock);
	pthread_cond_destroy(&job.cond);
	if (!job.result) {
		if (job.done)
			sp_error_set(err, job.code ? job.code : -EBADMSG,
				     _("the metadata received from peers is not valid"));
		else if (atomic_load(&s->fetch_cancel))
			sp_error_set(err, -ECANCELED, _("stopped before the metadata came"));
		else
			sp_error_set(err, -ETIMEDOUT,
				     _("no peer sent the torrent's metadata within %d s"),
				     timeout_ms / 1000);
	}
	return job.result;
}
