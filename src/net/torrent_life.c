/* torrent_life.c - a torrent's life on the session: allocation (storage,
 * picker), attachment to the net thread's list, the check on a thread of
 * its own, the start (bitfield from storage, tracker, web seeds, first
 * connects), the stop (announce `stopped`, close peers) and the free.
 *
 * Threads: sp_session_add_torrent runs on the caller's thread and waits
 * for the attachment; the check runs on its own thread and posts the
 * start; everything else here runs on the net thread, or after it ended. */
#include "net/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "net/peer.h"
#include "net/tracker.h"
#include "picker/picker.h"
#include "storage/storage.h"

#define MOD "torrent"
#define TICK_US 100000

/* ---- lifecycle ---- */

static void start_on_loop(void *arg)
{
	struct sp_torrent *t = arg;
	if (t->s->stopping || t->stopping)
		return;
	uint32_t np = t->mi->num_pieces;
	uint8_t *bits = calloc(sp_bitfield_bytes(np) + 1, 1);
	if (bits) {
		sp_storage_copy_bitfield(t->storage, bits, sp_bitfield_bytes(np));
		for (uint32_t i = 0; i < np; i++)
			if (bits[i >> 3] & (0x80u >> (i & 7)))
				sp_bitfield_set(&t->have, i);
		free(bits);
	}
	for (uint32_t i = 0; i < np; i++) {
		if (sp_bitfield_get(&t->have, i)) {
			sp_picker_have_piece(t->picker, i);
			t->from_cache += sp_metainfo_piece_size(t->mi, i);
		}
	}
	t->pieces_at_start = t->have.count;
	SP_INFO(MOD, "%s: %u of %u pieces verified at start", t->mi->name, t->have.count, np);
	t->started = true;
	int64_t now = sp_now_us();
	t->last_rate_us = t->last_resume_us = now;
	if (sp_bitfield_full(&t->have))
		t->complete_at_us = now;
	static const struct timeval tick = {0, TICK_US};
	event_add(t->tick_ev, &tick);
	sp_torrent_start_tracker(t);
	if (!sp_bitfield_full(&t->have) && !t->seed_only)
		sp_torrent_ws_start(t);
	sp_torrent_connect_candidates(t, now);
	sp_torrent_publish_stats(t);
}

static void *check_main(void *arg)
{
	struct sp_torrent *t = arg;
	int r = sp_storage_check(t->storage, false, NULL, NULL);
	if (r < 0)
		SP_WARN(MOD, "%s: check failed: %d", t->mi->name, r);
	if (sp_session_post(t->s, start_on_loop, t) < 0)
		SP_ERROR(MOD, "cannot post the torrent start");
	return NULL;
}

struct attach_job {
	struct sp_torrent *t;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done, duplicate;
};

static void attach_on_loop(void *arg)
{
	struct attach_job *job = arg;
	struct sp_torrent *t = job->t;
	struct sp_session *s = t->s;
	for (struct sp_torrent *o = s->torrents; o && !t->meta_only; o = o->next)
		job->duplicate |= !o->meta_only && !o->stopping &&
				  !memcmp(o->mi->info_hash, t->mi->info_hash, 20);
	if (job->duplicate) {
		pthread_mutex_lock(&job->lock);
		job->done = true;
		pthread_cond_signal(&job->cond);
		pthread_mutex_unlock(&job->lock);
		return;
	}
	t->pump_ev = event_new(s->base, -1, 0, sp_torrent_on_pump, t);
	t->tick_ev = event_new(s->base, -1, EV_PERSIST, sp_torrent_on_tick, t);
	t->next = s->torrents;
	s->torrents = t;
	/* peers found while fetching this magnet's metadata */
	if (s->meta_cands && !memcmp(s->meta_cands_ih, t->mi->info_hash, 20) && !t->meta_only) {
		t->candidates = s->meta_cands;
		s->meta_cands = NULL;
	}
	pthread_mutex_lock(&job->lock);
	job->done = true;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&job->lock);
}

int sp_torrent_attach(struct sp_torrent *t)
{
	struct attach_job job = {.t = t, .done = false};
	pthread_mutex_init(&job.lock, NULL);
	pthread_cond_init(&job.cond, NULL);
	if (sp_session_post(t->s, attach_on_loop, &job) == 0) {
		pthread_mutex_lock(&job.lock);
		while (!job.done)
			pthread_cond_wait(&job.cond, &job.lock);
		pthread_mutex_unlock(&job.lock);
	}
	pthread_mutex_destroy(&job.lock);
	pthread_cond_destroy(&job.cond);
	return job.duplicate ? -EEXIST : job.done ? 0 : -ENOMEM;
}

static struct sp_torrent *torrent_alloc(struct sp_session *s, struct sp_metainfo *mi,
					const char *dir, bool seed_only, struct sp_error **err)
{
	struct sp_torrent *t = calloc(1, sizeof(*t));
	if (!t || !(t->dir = strdup(dir)) || sp_bitfield_init(&t->have, mi->num_pieces) < 0 ||
	    !(t->senders = calloc(mi->num_pieces, sizeof(*t->senders)))) {
		sp_error_set(err, -ENOMEM, _("out of memory"));
		goto fail;
	}
	t->s = s;
	t->mi = mi;
	t->seed_only = seed_only;
	pthread_mutex_init(&t->stats_lock, NULL);
	t->stats.checking = true;
	t->stats.num_pieces = mi->num_pieces;
	t->stats.total_length = mi->total_length;
	struct sp_picker_config pc = {
		.total_length = mi->total_length,
		.piece_length = mi->piece_length,
		.num_pieces = mi->num_pieces,
		.hedge_budget = 0.05,
		.webseed_mode = s->cfg.webseed_mode,
		.start_buffer_s = s->cfg.start_buffer_s,
	};
	/* LSD on (the kiosk): the picker's share mode, this client's own
	 * order (picker.c, rule 15) */
	if (s->cfg.lsd)
		pc.share_seed = sp_picker_share_key(s->peer_id, mi->info_hash);
	t->picker = sp_picker_new(&pc);
	if (!t->picker) {
		sp_error_set(err, -ENOMEM, _("out of memory"));
		goto fail;
	}
	mkdir(dir, 0755);
	struct sp_storage_hooks hooks;
	sp_torrent_storage_hooks(t, &hooks);
	t->storage = sp_storage_new(mi, dir, &hooks, 2, err);
	if (!t->storage)
		goto fail;
	return t;
fail:
	if (t) {
		sp_picker_free(t->picker);
		free(t->senders);
	free(t->file_unwanted);
		sp_bitfield_fini(&t->have);
		free(t->dir);
		free(t);
	}
	return NULL;
}

struct sp_torrent *sp_session_add_torrent(struct sp_session *s, struct sp_metainfo *mi,
					  const char *dir, bool seed_only, struct sp_error **err)
{
	if (!s || !mi || !dir || mi->is_magnet || !mi->num_pieces) {
		sp_error_set(err, -EINVAL, _("cannot add a magnet link before its metadata is "
					     "fetched (sp_session_fetch_metadata)"));
		return NULL;
	}
	struct sp_torrent *t = torrent_alloc(s, mi, dir, seed_only, err);
	if (!t)
		return NULL;
	int r = sp_torrent_attach(t);
	if (r < 0) {
		if (r == -EEXIST)
			sp_error_set(err, r, _("this torrent is already in the session"));
		else
			sp_error_set(err, r, _("out of memory"));
		t->mi = NULL; /* still the caller's */
		sp_torrent_free_now(t);
		return NULL;
	}
	/* Checking runs on its own thread so add_torrent returns at once. */
	if (pthread_create(&t->check_thread, NULL, check_main, t) == 0)
		t->check_thread_started = true;
	else
		check_main(t);
	return t;
}

/* Stop on the loop: announce `stopped`, close peers, save resume. */
void sp_torrent_stop_loop(struct sp_torrent *t)
{
	t->stopping = true;
	sp_dht_forget(t);
	if (t->tracker)
		sp_tracker_stop(t->tracker);
	while (t->peers) {
		struct sp_peer *p = t->peers;
		sp_torrent_peer_gone(t, p);
		sp_peer_free(p);
	}
	if (t->tick_ev)
		event_del(t->tick_ev);
	sp_torrent_ws_free(t);
	sp_torrent_publish_stats(t);
}

void sp_torrent_join_check(struct sp_torrent *t)
{
	if (t->check_thread_started)
		pthread_join(t->check_thread, NULL);
	t->check_thread_started = false;
}

/* After the loop stopped (sp_session_free): this thread owns t. */
void sp_torrent_free_now(struct sp_torrent *t)
{
	sp_torrent_join_check(t);
	while (t->peers) {
		struct sp_peer *p = t->peers;
		t->peers = p->next;
		sp_peer_free(p);
	}
	sp_tracker_free(t->tracker);
	sp_torrent_ws_free(t);
	if (t->storage) {
		sp_storage_save_resume(t->storage);
		sp_storage_free(t->storage);
	}
	sp_meta_free(t->meta);
	sp_picker_free(t->picker);
	while (t->sources) {
		struct sp_blocksrc *src = t->sources;
		t->sources = src->next;
		free(src);
	}
	while (t->candidates) {
		struct sp_candidate *c = t->candidates;
		t->candidates = c->next;
		free(c);
	}
	while (t->strikes) {
		struct sp_strike *sk = t->strikes;
		t->strikes = sk->next;
		free(sk);
	}
	for (uint32_t i = 0; t->senders && t->mi && i < t->mi->num_pieces; i++)
		free(t->senders[i]);
	free(t->senders);
	free(t->lost);
	if (t->pump_ev)
		event_free(t->pump_ev);
	if (t->tick_ev)
		event_free(t->tick_ev);
	sp_bitfield_fini(&t->have);
	sp_metainfo_free(t->mi);
	pthread_mutex_destroy(&t->stats_lock);
	free(t->dir);
	free(t);
}
