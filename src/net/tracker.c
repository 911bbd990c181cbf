/* tracker.c - one torrent's trackers: tiers, announce schedule, events.
 *
 * BEP 12 rules: each tier is shuffled once at creation; an announce tries
 * the URLs of the first tier in order, then the next tier; the first URL
 * that answers is moved to the front of its tier so the next announce
 * starts there. A URL that fails rests (retry_min_ms, doubling per
 * failure in a row up to retry_max_ms) and later walks pass it by; when
 * no URL answered, the walk starts again as the first rest ends.
 *
 * Events: a URL gets `started` in its first announce (so a failover
 * tracker learns about us properly), `completed` once after completed()
 * (or nothing if it already saw left=0), and `stopped` best-effort from
 * stop(): fire-and-forget, it may outlive the sp_tracker.
 *
 * Intervals from trackers are clamped to [interval_min_ms,
 * interval_max_ms] (defaults 30 s and 1 h): a tracker cannot make us hammer
 * it nor go silent for days. want_peers() announces early, but never
 * sooner than the tracker's `min interval` (clamped the same way).
 *
 * Invariants: at most one announce job and one scrape job run at a time;
 * t->ajob is NULL iff no announce is in flight. Net thread only; the
 * callbacks run on it and must not free or stop the tracker. */
#include "net/tracker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "net/tracker_int.h"

struct tier {
	struct turl **urls;
	size_t n;
};

struct sp_tracker {
	struct event_base *base;
	struct sp_curlev *curl;
	struct sp_tracker_callbacks cb;
	struct sp_tracker_timing tm;
	uint8_t info_hash[20];
	uint8_t peer_id[20];
	uint16_t port;
	uint32_t key;
	int32_t numwant;
	struct tier *tiers;
	size_t num_tiers;
	struct tjob *ajob, *sjob;
	size_t cur_tier, cur_idx; /* the URL the announce walk is at */
	struct event *timer;
	int64_t timer_at_us;  /* when the timer fires, 0 if idle */
	int64_t last_ok_us;   /* last answered announce */
	int64_t min_interval_ms;
	bool running;         /* between start() and stop() */
	bool want_completed;
	bool backing_off;     /* every tracker failed: wait for the retry timer */
};

void sp_tracker_timing_default(struct sp_tracker_timing *tm)
{
	*tm = (struct sp_tracker_timing){
		.udp_base_ms = 15000,
		.udp_max_retries = 8,
		.http_timeout_ms = 30000,
		.interval_def_ms = 1800 * 1000,
		.interval_min_ms = 30 * 1000,
		.interval_max_ms = 3600 * 1000,
		.retry_min_ms = 30 * 1000,
		.retry_max_ms = 1800 * 1000,
		.udp_failover_retries = 2,
	};
}

uint32_t sp_tracker_random32(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)sp_now_us() * 2654435761u; /* never fails in practice */
	return v;
}

struct event_base *sp_tracker_base(struct sp_tracker *t)
{
	return t->base;
}

struct sp_curlev *sp_tracker_curl(struct sp_tracker *t)
{
	return t->curl;
}

const struct sp_tracker_timing *sp_tracker_get_timing(struct sp_tracker *t)
{
	return &t->tm;
}

static void status(struct sp_tracker *t, const char *url, const char *msg, bool is_error)
{
	if (is_error)
		SP_INFO("tracker", "%s: %s", url, msg);
	else
		SP_DEBUG("tracker", "%s: %s", url, msg);
	if (t->cb.on_status)
		t->cb.on_status(t->cb.ctx, url, msg, is_error);
}

static void arm(struct sp_tracker *t, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(t->timer, &tv);
	t->timer_at_us = sp_now_us() + ms * 1000;
}

static struct turl *turl_new(const char *url)
{
	struct turl *u = calloc(1, sizeof(*u));
	if (!u || !(u->url = strdup(url))) {
		free(u);
		return NULL;
	}
	if (!strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8))
		u->kind = TURL_HTTP;
	else if (!strncasecmp(url, "udp://", 6) && sp_tracker_udp_parse_url(u) == 0)
		u->kind = TURL_UDP;
	else
		u->kind = TURL_BAD;
	return u;
}

static void turl_free(struct turl *u)
{
	if (!u)
		return;
	free(u->url);
	free(u->tracker_id);
	free(u);
}

static int copy_tiers(struct sp_tracker *t, const struct sp_metainfo *mi)
{
	t->tiers = calloc(mi->num_tiers ? mi->num_tiers : 1, sizeof(*t->tiers));
	if (!t->tiers)
		return -ENOMEM;
	for (size_t i = 0; i < mi->num_tiers; i++) {
		size_t n = 0;
		while (mi->tiers[i] && mi->tiers[i][n])
			n++;
		if (!n)
			continue;
		struct tier *tr = &t->tiers[t->num_tiers];
		tr->urls = calloc(n, sizeof(*tr->urls));
		if (!tr->urls)
			return -ENOMEM;
		t->num_tiers++;
		for (size_t k = 0; k < n; k++) {
			if (!(tr->urls[tr->n] = turl_new(mi->tiers[i][k])))
				return -ENOMEM;
			tr->n++;
		}
		/* BEP 12: shuffle once, then keep the order (working URLs
		 * move to the front). */
		for (size_t k = tr->n; k > 1; k--) {
			size_t j = sp_tracker_random32() % k;
			struct turl *tmp = tr->urls[k - 1];
			tr->urls[k - 1] = tr->urls[j];
			tr->urls[j] = tmp;
		}
	}
	return 0;
}

static void tracker_on_timer(evutil_socket_t fd, short what, void *arg);

struct sp_tracker *sp_tracker_new(struct event_base *base, struct sp_curlev *curl,
				  const struct sp_metainfo *mi, const uint8_t peer_id[20],
				  uint16_t port, const struct sp_tracker_callbacks *cb)
{
	struct sp_tracker *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->base = base;
	t->curl = curl;
	if (cb)
		t->cb = *cb;
	sp_tracker_timing_default(&t->tm);
	memcpy(t->info_hash, mi->info_hash, 20);
	memcpy(t->peer_id, peer_id, 20);
	t->port = port;
	t->key = sp_tracker_random32();
	t->numwant = 50;
	t->timer = evtimer_new(base, tracker_on_timer, t);
	if (!t->timer || copy_tiers(t, mi) < 0) {
		sp_tracker_free(t);
		return NULL;
	}
	return t;
}

static void job_free(struct tjob *j)
{
	if (!j)
		return;
	if (j->u->kind == TURL_HTTP)
		sp_tracker_http_cleanup(j);
	else
		sp_tracker_udp_cleanup(j);
	free(j);
}

void sp_tracker_free(struct sp_tracker *t)
{
	if (!t)
		return;
	job_free(t->ajob);
	job_free(t->sjob);
	if (t->timer)
		event_free(t->timer);
	for (size_t i = 0; i < t->num_tiers; i++) {
		for (size_t k = 0; k < t->tiers[i].n; k++)
			turl_free(t->tiers[i].urls[k]);
		free(t->tiers[i].urls);
	}
	free(t->tiers);
	free(t);
}

void sp_tracker_set_timing(struct sp_tracker *t, const struct sp_tracker_timing *tm)
{
	t->tm = *tm;
}

void sp_tracker_set_numwant(struct sp_tracker *t, int32_t numwant)
{
	t->numwant = numwant;
}

static void fill_req(struct sp_tracker *t, struct turl *u, enum sp_tracker_event ev,
		     struct sp_announce_req *req)
{
	memset(req, 0, sizeof(*req));
	memcpy(req->info_hash, t->info_hash, 20);
	memcpy(req->peer_id, t->peer_id, 20);
	req->port = t->port;
	if (t->cb.get_stats)
		t->cb.get_stats(t->cb.ctx, &req->uploaded, &req->downloaded, &req->left);
	req->event = ev;
	req->numwant = ev == SP_TRACKER_EV_STOPPED ? 0 : t->numwant;
	req->key = t->key;
	req->tracker_id = u->tracker_id;
}

/* Does the announce walk have URLs after the current one? */
static bool more_to_try(const struct sp_tracker *t)
{
	if (t->cur_tier >= t->num_tiers)
		return false;
	return t->cur_idx + 1 < t->tiers[t->cur_tier].n || t->cur_tier + 1 < t->num_tiers;
}

static int job_start(struct sp_tracker *t, struct turl *u, enum job_kind kind,
		     struct tjob **out)
{
	struct tjob *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->t = t;
	j->u = u;
	j->kind = kind;
	j->fd = -1;
	enum sp_tracker_event ev = !u->started_sent ? SP_TRACKER_EV_STARTED
				   : t->want_completed ? SP_TRACKER_EV_COMPLETED
						       : SP_TRACKER_EV_NONE;
	fill_req(t, u, ev, &j->req);
	j->max_retries = t->tm.udp_max_retries;
	if ((kind == JOB_SCRAPE || more_to_try(t)) && t->tm.udp_failover_retries < j->max_retries)
		j->max_retries = t->tm.udp_failover_retries;
	int r = u->kind == TURL_HTTP ? sp_tracker_http_start(j) : sp_tracker_udp_start(j);
	if (r < 0) {
		job_free(j);
		return r;
	}
	*out = j;
	return 0;
}

/* A URL that failed is left alone for retry_min_ms, doubling with each
 * failure in a row up to retry_max_ms: later announces walk past it (the
 * BEP 12 order stands, but a dead first tier must not delay every
 * re-announce by its timeouts). */
static void url_failed(struct sp_tracker *t, struct turl *u)
{
	u->fails++;
	unsigned shift = u->fails - 1 < 16 ? u->fails - 1 : 16;
	uint64_t ms = (uint64_t)t->tm.retry_min_ms << shift;
	if (ms > t->tm.retry_max_ms)
		ms = t->tm.retry_max_ms;
	u->retry_at_us = sp_now_us() + (int64_t)ms * 1000;
}

/* Nothing answered: walk again when the first URL's rest is over. */
static void all_failed(struct sp_tracker *t)
{
	int64_t now = sp_now_us(), first = 0;
	for (size_t i = 0; i < t->num_tiers; i++)
		for (size_t k = 0; k < t->tiers[i].n; k++) {
			struct turl *u = t->tiers[i].urls[k];
			if (u->kind != TURL_BAD && (!first || u->retry_at_us < first))
				first = u->retry_at_us;
		}
	if (!first)
		return; /* no usable URL at all: nothing to retry */
	int64_t ms = first > now ? (first - now + 999) / 1000 : 0;
	SP_INFO("tracker", "every tracker failed; retrying in %lld ms", (long long)ms);
	t->backing_off = true;
	arm(t, ms);
}

/* Walk from (cur_tier, cur_idx) to the first URL that starts, past the
 * ones resting after a failure. */
static void try_current(struct sp_tracker *t)
{
	int64_t now = sp_now_us();
	for (; t->cur_tier < t->num_tiers; t->cur_tier++, t->cur_idx = 0) {
		struct tier *tr = &t->tiers[t->cur_tier];
		for (; t->cur_idx < tr->n; t->cur_idx++) {
			struct turl *u = tr->urls[t->cur_idx];
			if (u->kind == TURL_BAD) {
				if (!u->fails++)
					status(t, u->url, _("unsupported tracker address"), true);
				continue;
			}
			if (u->retry_at_us > now)
				continue;
			int r = job_start(t, u, JOB_ANNOUNCE, &t->ajob);
			if (r == 0)
				return;
			url_failed(t, u);
			status(t, u->url, _("cannot contact the tracker"), true);
		}
	}
	all_failed(t);
}

static void announce_now(struct sp_tracker *t)
{
	if (!t->running || t->ajob || !t->num_tiers)
		return;
	evtimer_del(t->timer);
	t->timer_at_us = 0;
	t->cur_tier = t->cur_idx = 0;
	try_current(t);
}

static void tracker_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sp_tracker *t = arg;
	t->timer_at_us = 0;
	announce_now(t);
}

/* BEP 12: the URL that answered goes to the front of its tier. */
static void promote(struct sp_tracker *t, struct turl *u)
{
	struct tier *tr = &t->tiers[t->cur_tier];
	for (size_t k = 0; k < tr->n; k++) {
		if (tr->urls[k] == u) {
			memmove(tr->urls + 1, tr->urls, k * sizeof(*tr->urls));
			tr->urls[0] = u;
			return;
		}
	}
}

static void scrape_done(struct tjob *j, int st, const struct sp_scrape_info *sc,
			const char *msg)
{
	struct sp_tracker *t = j->t;
	t->sjob = NULL;
	if (st == 0 && t->cb.on_scrape)
		t->cb.on_scrape(t->cb.ctx, j->u->url, sc->complete, sc->incomplete,
				sc->downloaded);
	else if (st < 0)
		status(t, j->u->url, msg, true);
	job_free(j);
}

static void announce_ok(struct sp_tracker *t, struct tjob *j, struct sp_announce_resp *resp)
{
	struct turl *u = j->u;
	u->started_sent = true;
	u->fails = 0;
	u->retry_at_us = 0;
	if (j->req.event == SP_TRACKER_EV_COMPLETED || j->req.left == 0)
		t->want_completed = false;
	if (resp->tracker_id) {
		free(u->tracker_id);
		u->tracker_id = resp->tracker_id;
		resp->tracker_id = NULL;
	}
	promote(t, u);
	t->last_ok_us = sp_now_us();
	t->backing_off = false;
	int64_t iv = sp_tracker_clamp_interval_ms(resp->interval, t->tm.interval_def_ms,
						  t->tm.interval_min_ms, t->tm.interval_max_ms);
	t->min_interval_ms = sp_tracker_clamp_interval_ms(
		resp->min_interval, t->tm.interval_min_ms, t->tm.interval_min_ms, iv);
	arm(t, t->want_completed ? 0 : iv);
	if (resp->warning)
		status(t, u->url, resp->warning, false);
	char msg[128];
	snprintf(msg, sizeof(msg), _("announced, %zu peers"), resp->num_peers);
	status(t, u->url, msg, false);
	if (resp->num_peers && t->cb.on_peers)
		t->cb.on_peers(t->cb.ctx, resp->peers, resp->num_peers);
}

void sp_tracker_job_done(struct tjob *j, int st, struct sp_announce_resp *resp,
			 const struct sp_scrape_info *sc, const char *msg)
{
	struct sp_tracker *t = j->t;
	if (j->kind == JOB_SCRAPE) {
		scrape_done(j, st, sc, msg);
		return;
	}
	t->ajob = NULL;
	if (st == 0 && !resp->failure) {
		announce_ok(t, j, resp);
		job_free(j);
		return;
	}
	char buf[SP_TRACKER_MAX_MSG + 64];
	if (st == 0)
		snprintf(buf, sizeof(buf), _("tracker refused: %s"), resp->failure);
	url_failed(t, j->u);
	status(t, j->u->url, st == 0 ? buf : msg, true);
	job_free(j);
	if (!t->running)
		return;
	t->cur_idx++;
	try_current(t);
}

void sp_tracker_start(struct sp_tracker *t)
{
	if (t->running)
		return;
	t->running = true;
	t->backing_off = false;
	if (!t->num_tiers)
		return;
	announce_now(t);
}

void sp_tracker_completed(struct sp_tracker *t)
{
	t->want_completed = true;
	if (t->running && !t->ajob)
		announce_now(t);
}

void sp_tracker_want_peers(struct sp_tracker *t)
{
	/* failing trackers are not asked again before their back-off ends,
	 * however often the session wants peers */
	if (!t->running || t->ajob || t->backing_off)
		return;
	int64_t now = sp_now_us();
	int64_t wait_ms = t->last_ok_us ? t->min_interval_ms - (now - t->last_ok_us) / 1000 : 0;
	if (wait_ms <= 0) {
		announce_now(t);
		return;
	}
	if (!t->timer_at_us || t->timer_at_us > now + wait_ms * 1000)
		arm(t, wait_ms);
}

void sp_tracker_stop(struct sp_tracker *t)
{
	if (!t->running)
		return;
	t->running = false;
	evtimer_del(t->timer);
	t->timer_at_us = 0;
	job_free(t->ajob);
	t->ajob = NULL;
	for (size_t i = 0; i < t->num_tiers; i++) {
		for (size_t k = 0; k < t->tiers[i].n; k++) {
			struct turl *u = t->tiers[i].urls[k];
			if (!u->started_sent)
				continue;
			struct sp_announce_req req;
			fill_req(t, u, SP_TRACKER_EV_STOPPED, &req);
			if (u->kind == TURL_HTTP)
				sp_tracker_http_fire(t, u, &req);
			else if (u->kind == TURL_UDP)
				sp_tracker_udp_fire(t, u, &req);
			u->started_sent = false;
		}
	}
}

int sp_tracker_scrape(struct sp_tracker *t)
{
	if (t->sjob)
		return -EAGAIN;
	for (size_t i = 0; i < t->num_tiers; i++) {
		for (size_t k = 0; k < t->tiers[i].n; k++) {
			struct turl *u = t->tiers[i].urls[k];
			struct sp_buf tmp;
			sp_buf_init(&tmp, 4096);
			bool ok = u->kind == TURL_UDP ||
				  (u->kind == TURL_HTTP &&
				   sp_tracker_scrape_url(&tmp, u->url, t->info_hash) == 0);
			sp_buf_fini(&tmp);
			if (ok && job_start(t, u, JOB_SCRAPE, &t->sjob) == 0)
				return 0;
		}
	}
	return -ENOTSUP;
}
