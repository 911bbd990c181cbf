/* torrent.c - one torrent's swarm on the net thread: its storage, picker,
 * tracker, peers (as picker sources), connect candidates, blame for bad
 * pieces, and the stats snapshot other threads read.
 *
 * Invariants: every field is the net thread's except `stats` (under
 * stats_lock, refreshed by the loop) and the immutable metainfo. The
 * picker's outstanding requests always match what was sent: every
 * REQUEST action goes to its source at once, and a source that leaves is
 * removed from the picker before it is freed. A piece's senders are
 * remembered until it verifies or fails, so a failure can be blamed: the
 * sole sender of a bad piece (no web seed sent a block of it), or an
 * address whose trust (+1 per good piece it helped with, -2 per bad one)
 * falls to SP_TRUST_BAN, is banned for the session. Thread: net, except
 * the sp_torrent_* public functions marked "any thread" in swarmplay.h,
 * which post. */
#include "net/session.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
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
#define RESUME_EVERY_US 5000000
#define RETRY_BASE_US 2000000
#define MAX_CANDIDATES 1000

static int max_peers(const struct sp_torrent *t)
{
	return t->s->cfg.max_peers_per_torrent ? t->s->cfg.max_peers_per_torrent
					       : SP_SESSION_DEFAULT_PEERS;
}

static int max_total(const struct sp_session *s)
{
	return s->cfg.max_peers_total ? s->cfg.max_peers_total : SP_SESSION_DEFAULT_TOTAL;
}

bool sp_torrent_can_accept(const struct sp_torrent *t)
{
	return t->started && !t->stopping && t->num_peers < max_peers(t) &&
	       t->s->total_peers < max_total(t->s);
}

/* ---- sources ---- */

uint32_t sp_torrent_add_source(struct sp_torrent *t, enum sp_source_kind kind,
			       const struct sp_blocksrc_ops *ops, void *obj)
{
	sp_session_assert_loop(t->s);
	struct sp_blocksrc *src = calloc(1, sizeof(*src));
	if (!src)
		return 0;
	src->id = ++t->next_source_id;
	src->ops = ops;
	src->obj = obj;
	src->next = t->sources;
	t->sources = src;
	sp_picker_source_add(t->picker, src->id, kind);
	return src->id;
}

void sp_torrent_remove_source(struct sp_torrent *t, uint32_t id)
{
	for (struct sp_blocksrc **pp = &t->sources; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct sp_blocksrc *src = *pp;
			*pp = src->next;
			sp_picker_source_remove(t->picker, id);
			free(src);
			sp_torrent_pump(t);
			return;
		}
	}
}

static struct sp_blocksrc *find_source(struct sp_torrent *t, uint32_t id)
{
	for (struct sp_blocksrc *src = t->sources; src; src = src->next)
		if (src->id == id)
			return src;
	return NULL;
}

/* ---- the picker pump ---- */

void sp_torrent_on_pump(evutil_socket_t fd, short what, void *arg)
{
	struct sp_torrent *t = arg;
	t->pump_pending = false;
	if (!t->started || t->stopping || t->seed_only || !t->picker)
		return;
	struct sp_picker_action acts[64];
	int64_t now = sp_now_us();
	for (int rounds = 0; rounds < 64; rounds++) {
		size_t n = sp_picker_next(t->picker, now, acts, 64);
		for (size_t i = 0; i < n; i++) {
			struct sp_blocksrc *src = find_source(t, acts[i].source);
			if (!src)
				continue;
			if (sp_log_get_level() <= SP_LOG_DEBUG) {
				int64_t dl = sp_picker_piece_deadline(t->picker, acts[i].piece);
				SP_DEBUG("picker", "%s source %u piece %u+%u, due in %.0f ms",
					 acts[i].type == SP_ACTION_REQUEST ? "request" : "cancel",
					 acts[i].source, acts[i].piece, acts[i].offset,
					 dl == INT64_MAX ? -1.0 : (double)(dl - now) / 1e3);
			}
			if (acts[i].type == SP_ACTION_REQUEST)
				src->ops->request(src->obj, acts[i].piece, acts[i].offset,
						  acts[i].length);
			else
				src->ops->cancel(src->obj, acts[i].piece, acts[i].offset,
						 acts[i].length);
		}
		if (n < 64)
			break;
	}
}

void sp_torrent_pump(struct sp_torrent *t)
{
	sp_session_assert_loop(t->s);
	if (t->pump_pending || !t->pump_ev)
		return;
	t->pump_pending = true;
	event_active(t->pump_ev, EV_TIMEOUT, 0);
}

/* ---- candidates and connections ---- */

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (b->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

void sp_torrent_add_candidate(struct sp_torrent *t, const struct sockaddr *sa, socklen_t len)
{
	sp_session_assert_loop(t->s);
	if (len > sizeof(struct sockaddr_storage) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return;
	/* never ourselves */
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		if (ntohs(in->sin_port) == t->s->port &&
		    (ntohl(in->sin_addr.s_addr) >> 24) == 127)
			return;
	}
	int n = 0;
	for (struct sp_candidate *c = t->candidates; c; c = c->next, n++)
		if (same_addr(&c->addr, sa))
			return;
	if (n >= MAX_CANDIDATES)
		return;
	struct sp_candidate *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	memcpy(&c->addr, sa, len);
	c->addr_len = len;
	c->next = t->candidates;
	t->candidates = c;
}

void sp_torrent_connect_candidates(struct sp_torrent *t, int64_t now)
{
	sp_session_assert_loop(t->s);
	if (!t->started || t->stopping)
		return;
	bool need = !t->stats.complete || t->seed_only;
	for (struct sp_candidate *c = t->candidates; c; c = c->next) {
		if (!sp_torrent_can_accept(t))
			return;
		if (c->connected || c->next_try_us > now || c->fails > 8)
			continue;
		if (sp_session_is_self(t->s, (const struct sockaddr *)&c->addr)) {
			c->next_try_us = INT64_MAX;
			continue;
		}
		if (!need && t->have.count == t->have.nbits && c->fails) /* seeds wait */
			continue;
		struct sp_host h = sp_host_of((const struct sockaddr *)&c->addr);
		if (sp_session_banned(t->s, &h) || sp_slots_host_full(t, &c->addr, NULL))
			continue;
		if (sp_peer_connect(t, (struct sockaddr *)&c->addr, c->addr_len, c->try_mse)) {
			c->connected = true;
			c->next_try_us = now + RETRY_BASE_US;
		} else {
			c->fails++;
			c->next_try_us = now + RETRY_BASE_US * c->fails;
		}
	}
}

void sp_torrent_attach_peer(struct sp_torrent *t, struct sp_peer *p)
{
	p->t = t;
	p->next = t->peers;
	t->peers = p;
	t->num_peers++;
}

void sp_torrent_peer_gone(struct sp_torrent *t, struct sp_peer *p)
{
	for (struct sp_peer **pp = &t->peers; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			t->num_peers--;
			break;
		}
	}
	if (t->optimistic == p)
		t->optimistic = NULL;
	if (p->source_id && t->picker)
		/* issue 9: how long a usable source had nothing asked of it */
		SP_DEBUG(MOD, "source %u leaves: %llu bytes in, idle %lld ms", p->source_id,
			 (unsigned long long)p->downloaded,
			 (long long)sp_picker_source_idle_ms(t->picker, p->source_id, sp_now_us()));
	if (p->source_id)
		sp_torrent_remove_source(t, p->source_id);
	p->source_id = 0;
	int64_t now = sp_now_us();
	for (struct sp_candidate *c = t->candidates; c; c = c->next) {
		if (p->outbound && same_addr(&c->addr, (struct sockaddr *)&p->addr)) {
			c->connected = false;
			if (p->self) {
				/* ourselves, by an address PEX or a tracker gave */
				c->next_try_us = INT64_MAX;
				continue;
			}
			if (p->connected && !p->got_bytes && !p->mse_out) {
				/* hung up on a plain handshake: it may want
				 * encryption; retry with MSE at once */
				c->try_mse = true;
				c->next_try_us = now;
				continue;
			}
			if (!p->handshaked || !p->downloaded)
				c->fails++;
			else
				c->fails = 0;
			if (!p->handshaked && p->mse_out)
				c->try_mse = false; /* alternate */
			c->next_try_us = now + RETRY_BASE_US * (c->fails + 1);
		}
	}
}

/* ---- blocks and pieces ---- */

static void note_sender(struct sp_torrent *t, uint32_t piece, const struct sp_host *host,
			bool webseed, uint32_t len)
{
	if (piece >= t->mi->num_pieces)
		return;
	struct sp_piece_senders *ps = t->senders[piece];
	if (!ps) {
		ps = t->senders[piece] = calloc(1, sizeof(*ps));
		if (!ps)
			return;
	}
	if (webseed) {
		ps->webseed_bytes += len;
		return;
	}
	if (!host || !sp_host_is_set(host))
		return;
	for (int i = 0; i < ps->n; i++)
		if (sp_host_eq(&ps->host[i], host))
			return;
	if (ps->n < SP_MAX_SENDERS)
		ps->host[ps->n++] = *host;
}

_Static_assert((int)SP_WASTE_COUNT == (int)SP_PICKER_WASTE_COUNT &&
		       (int)SP_WASTE_RESCUE == (int)SP_PICKER_WASTE_RESCUE &&
		       (int)SP_WASTE_OTHER == (int)SP_PICKER_WASTE_OTHER,
	       "the public waste causes are the picker's");

const char *sp_waste_cause_name(enum sp_waste_cause c)
{
	return sp_picker_waste_name((enum sp_picker_waste)c);
}

void sp_torrent_waste(struct sp_torrent *t, enum sp_waste_cause cause, uint64_t len)
{
	if ((unsigned)cause >= SP_WASTE_COUNT)
		cause = SP_WASTE_OTHER;
	t->stats_wasted += len;
	t->wasted_by[cause] += len;
}

void sp_torrent_block_in(struct sp_torrent *t, uint32_t source_id, const struct sp_host *host,
			 bool webseed,
			 uint32_t piece, uint32_t offset, const uint8_t *data, uint32_t len)
{
	sp_session_assert_loop(t->s);
	int64_t now = sp_now_us();
	enum sp_picker_waste why;
	if (!sp_picker_block_in(t->picker, source_id, piece, offset, now, &why)) {
		sp_torrent_waste(t, (enum sp_waste_cause)why, len);
		return;
	}
	int r = sp_storage_write_block(t->storage, piece, offset, data, len);
	if (r < 0 && r != -EEXIST) {
		SP_WARN(MOD, "block %u+%u from source %u rejected by storage: %d", piece, offset,
			source_id, r);
		sp_torrent_waste(t, SP_WASTE_OTHER, len);
		return;
	}
	note_sender(t, piece, host, webseed, len);
	t->down_bytes_window += len;
	sp_torrent_pump(t);
}

static void broadcast_have(struct sp_torrent *t, uint32_t piece)
{
	for (struct sp_peer *p = t->peers; p; p = p->next) {
		if (!p->handshaked || p->closing)
			continue;
		sp_peer_send_have(p, piece);
		sp_peer_update_interest(p);
	}
}

static void became_complete(struct sp_torrent *t)
{
	SP_INFO(MOD, "%s: complete", t->mi->name);
	int64_t now = sp_now_us();
	for (struct sp_peer *p = t->peers; p; p = p->next)
		if (p->source_id)
			SP_DEBUG(MOD, "source %u: %llu bytes in, idle %lld ms", p->source_id,
				 (unsigned long long)p->downloaded,
				 (long long)sp_picker_source_idle_ms(t->picker, p->source_id, now));
	t->complete_at_us = sp_now_us();
	/* at once, not at the next tick: a host stopped in between (SIGTERM
	 * to `swarmplay download`) would judge by a snapshot that says 63 of
	 * 64 and report a failure (interop/mixed-swarm, under load) */
	sp_torrent_publish_stats(t);
	if (t->tracker)
		sp_tracker_completed(t->tracker);
	sp_storage_request_save(t->storage); /* fsync on a worker, not here */
	t->last_resume_us = sp_now_us();
	/* Two seeds have nothing to say to each other. */
	for (struct sp_peer *p = t->peers, *nx; p && (nx = p->next, 1); p = nx)
		if (sp_peer_is_seed(p))
			sp_peer_close(p, "both seeds");
}

static struct sp_strike *strike_of(struct sp_torrent *t, const struct sp_host *h)
{
	struct sp_strike *sk;
	for (sk = t->strikes; sk; sk = sk->next)
		if (sp_host_eq(&sk->host, h))
			return sk;
	sk = calloc(1, sizeof(*sk));
	if (!sk)
		return NULL;
	sk->host = *h;
	sk->next = t->strikes;
	t->strikes = sk;
	return sk;
}

static void credit(struct sp_torrent *t, const struct sp_piece_senders *ps)
{
	for (int i = 0; ps && i < ps->n; i++) {
		struct sp_strike *sk =
		    sp_host_is_set(&ps->host[i]) ? strike_of(t, &ps->host[i]) : NULL;
		if (sk && sk->trust < SP_TRUST_MAX)
			sk->trust++;
	}
}

static void blame(struct sp_torrent *t, const struct sp_host *h, bool sole)
{
	struct sp_strike *sk = sp_host_is_set(h) ? strike_of(t, h) : NULL;
	if (!sk)
		return;
	sk->failed_pieces++;
	sk->trust -= 2;
	if (!sole && sk->trust > SP_TRUST_BAN)
		return;
	sp_session_ban(t->s, h);
	for (struct sp_peer *p = t->peers, *nx; p && (nx = p->next, 1); p = nx)
		if (sp_session_banned(t->s, &p->host)) /* its /64 too, once banned */
			sp_peer_close(p, "banned: corrupt data");
}

static void on_verified(void *ctx, uint32_t piece)
{
	struct sp_torrent *t = ctx;
	if (piece >= t->mi->num_pieces || sp_bitfield_get(&t->have, piece))
		return;
	sp_bitfield_set(&t->have, piece);
	SP_DEBUG("torrent", "piece %u verified", piece);
	struct sp_piece_senders *ps = t->senders[piece];
	t->senders[piece] = NULL;
	credit(t, ps);
	uint32_t size = sp_metainfo_piece_size(t->mi, piece);
	uint32_t ws = ps ? (ps->webseed_bytes < size ? ps->webseed_bytes : size) : 0;
	free(ps);
	if (!t->started) /* found by the check: counted at start */
		return;
	sp_picker_have_piece(t->picker, piece);
	sp_torrent_start_rule_update(t);
	if (t->lost_backoff_us && !t->nlost) { /* writes work again */
		t->lost_backoff_us = 0;
		pthread_mutex_lock(&t->stats_lock);
		t->stats.error[0] = 0;
		t->stats.error_code = 0;
		pthread_mutex_unlock(&t->stats_lock);
	}
	t->from_webseed += ws;
	t->from_peers += size - ws;
	broadcast_have(t, piece);
	if (sp_bitfield_full(&t->have))
		became_complete(t);
	sp_torrent_pump(t);
}

static void on_failed(void *ctx, uint32_t piece)
{
	struct sp_torrent *t = ctx;
	if (piece >= t->mi->num_pieces)
		return;
	SP_WARN(MOD, "%s: piece %u failed its hash check", t->mi->name, piece);
	sp_torrent_waste(t, SP_WASTE_HASH, sp_metainfo_piece_size(t->mi, piece));
	struct sp_piece_senders *ps = t->senders[piece];
	t->senders[piece] = NULL;
	if (ps) {
		/* the sole sender only if no web seed sent a block of it: a
		 * lying web seed on the peer's address got the honest peer
		 * banned (webseed-lying, under load) */
		bool sole = ps->n == 1 && !ps->webseed_bytes;
		for (int i = 0; i < ps->n; i++)
			blame(t, &ps->host[i], sole);
		free(ps);
	}
	if (t->started) {
		sp_picker_piece_failed(t->picker, piece);
		sp_torrent_pump(t);
	}
}

/* A cut file under a seed: serve the rest, tell new peers the truth. */
/* The piece hashed right but could not be written (ENOSPC, EIO): the
 * error is in the stats; the piece is asked for again after a back-off
 * (2 s, doubling to a minute while writes keep failing), so a full disk
 * costs neither the stream (it resumes by itself once there is room)
 * nor a spin of downloads thrown away. */
#define LOST_BACKOFF_MIN_US 2000000
#define LOST_BACKOFF_MAX_US 60000000

static void on_lost(void *ctx, uint32_t piece, int code)
{
	struct sp_torrent *t = ctx;
	if (piece >= t->mi->num_pieces || !t->started)
		return;
	if (t->nlost == t->caplost) {
		size_t nc = t->caplost ? t->caplost * 2 : 16;
		uint32_t *nl = realloc(t->lost, nc * sizeof(*nl));
		if (!nl) {
			sp_picker_piece_lost(t->picker, piece); /* at once, then */
			return;
		}
		t->lost = nl;
		t->caplost = nc;
	}
	t->lost[t->nlost++] = piece;
	free(t->senders[piece]);
	t->senders[piece] = NULL;
	if (t->nlost == 1) {
		/* the first loss of a round sets the time of the next try:
		 * sooner after a success, twice as late after a failed round */
		t->lost_backoff_us = t->lost_backoff_us ? t->lost_backoff_us * 2
						       : LOST_BACKOFF_MIN_US;
		if (t->lost_backoff_us > LOST_BACKOFF_MAX_US)
			t->lost_backoff_us = LOST_BACKOFF_MAX_US;
		t->lost_retry_us = sp_now_us() + t->lost_backoff_us;
	}
	SP_WARN(MOD, "%s: piece %u not stored (%s): asked again in %lld s", t->mi->name, piece,
		strerror(code < 0 ? -code : code), (long long)(t->lost_backoff_us / 1000000));
}

/* Each tick: the lost pieces go back to the picker once their time came. */
static void lost_tick(struct sp_torrent *t, int64_t now)
{
	if (!t->nlost || now < t->lost_retry_us)
		return;
	for (size_t i = 0; i < t->nlost; i++)
		sp_picker_piece_lost(t->picker, t->lost[i]);
	t->nlost = 0;
}

static void on_missing(void *ctx, uint32_t first, uint32_t last)
{
	struct sp_torrent *t = ctx;
	for (uint32_t p = first; p <= last && p < t->mi->num_pieces; p++) {
		if (!sp_bitfield_get(&t->have, p))
			continue;
		sp_bitfield_clear(&t->have, p);
		if (t->started)
			sp_picker_piece_failed(t->picker, p);
	}
	for (struct sp_peer *p = t->peers; p; p = p->next)
		if (p->handshaked && !p->closing)
			sp_peer_update_interest(p);
}

static void on_storage_error(void *ctx, int code, const char *msg)
{
	struct sp_torrent *t = ctx;
	SP_ERROR(MOD, "%s: storage: %s", t->mi->name, msg);
	pthread_mutex_lock(&t->stats_lock);
	snprintf(t->stats.error, sizeof(t->stats.error), "%s", msg);
	t->stats.error_code = code < 0 ? code : -code;
	pthread_mutex_unlock(&t->stats_lock);
}

static void storage_post(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct sp_torrent *t = ctx;
	if (sp_session_post(t->s, fn, arg) < 0)
		SP_ERROR(MOD, "cannot post a storage completion (out of memory)");
}

/* ---- trackers ---- */

static void tracker_on_peers(void *ctx, const struct sp_tracker_peer *peers, size_t n)
{
	struct sp_torrent *t = ctx;
	for (size_t i = 0; i < n; i++)
		sp_torrent_add_candidate(t, (const struct sockaddr *)&peers[i].addr,
					 peers[i].addr_len);
	sp_torrent_connect_candidates(t, sp_now_us());
}

static void tracker_on_status(void *ctx, const char *url, const char *msg, bool is_error)
{
	struct sp_torrent *t = ctx;
	if (is_error)
		SP_WARN(MOD, "tracker %s: %s", url, msg);
	else
		SP_INFO(MOD, "tracker %s: %s", url, msg);
	snprintf(t->tracker_status, sizeof(t->tracker_status), "%s", msg);
}

static void tracker_get_stats(void *ctx, uint64_t *up, uint64_t *down, uint64_t *left)
{
	struct sp_torrent *t = ctx;
	*up = t->uploaded;
	*down = t->from_peers;
	uint64_t have = 0;
	for (uint32_t i = 0; i < t->mi->num_pieces; i++)
		if (sp_bitfield_get(&t->have, i))
			have += sp_metainfo_piece_size(t->mi, i);
	*left = t->meta_only ? 1 : t->mi->total_length - have; /* a magnet: unknown, not 0 */
}

void sp_torrent_start_tracker(struct sp_torrent *t)
{
	if (t->s->cfg.no_trackers || t->mi->num_tiers == 0 || !t->s->curl)
		return;
	struct sp_tracker_callbacks cb = {
		.ctx = t,
		.on_peers = tracker_on_peers,
		.on_status = tracker_on_status,
		.get_stats = tracker_get_stats,
	};
	t->tracker = sp_tracker_new(t->s->base, t->s->curl, t->mi, t->s->peer_id, t->s->port, &cb);
	if (t->tracker)
		sp_tracker_start(t->tracker);
}

/* ---- the tick: rates, connects, choker, resume, stats ---- */

static uint64_t verified_bytes(const struct sp_torrent *t)
{
	return t->from_cache + t->from_peers + t->from_webseed;
}

void sp_torrent_publish_stats(struct sp_torrent *t)
{
	struct sp_torrent_stats st;
	pthread_mutex_lock(&t->stats_lock);
	st = t->stats;
	pthread_mutex_unlock(&t->stats_lock);
	st.num_pieces = t->mi->num_pieces;
	st.have_pieces = t->have.count;
	st.total_length = t->mi->total_length;
	st.verified_bytes = verified_bytes(t);
	if (st.verified_bytes > st.total_length || sp_bitfield_full(&t->have))
		st.verified_bytes = st.total_length;
	st.downloaded[SP_FROM_PEERS] = t->from_peers;
	st.downloaded[SP_FROM_CACHE] = t->from_cache;
	st.downloaded[SP_FROM_WEBSEED] = t->from_webseed;
	st.uploaded = t->uploaded;
	st.relayed = t->relayed;
	for (struct sp_peer *p = t->peers; p; p = p->next)
		st.uploaded += p->uploaded;
	st.wasted = t->stats_wasted;
	memcpy(st.wasted_by, t->wasted_by, sizeof(st.wasted_by));
	st.down_rate = t->down_rate;
	st.up_rate = t->up_rate;
	st.peers = 0;
	st.seeds = 0;
	for (struct sp_peer *p = t->peers; p; p = p->next) {
		if (!p->handshaked)
			continue;
		st.peers++;
		st.seeds += sp_peer_is_seed(p);
	}
	st.checking = !t->started;
	st.complete = t->started && sp_bitfield_full(&t->have);
	st.complete_at_us = t->complete_at_us;
	st.pieces_at_start = t->pieces_at_start;
	st.peers_seen = t->peers_seen;
	snprintf(st.tracker_status, sizeof(st.tracker_status), "%s", t->tracker_status);
	pthread_mutex_lock(&t->stats_lock);
	t->stats = st;
	pthread_mutex_unlock(&t->stats_lock);
}

/* Every tick: the download rate of wanted blocks from every source (web
 * seeds included), smoothed with a ~1.5 s time constant so the OSD moves
 * at once yet stays readable. */
static void down_rate_tick(struct sp_torrent *t, int64_t now)
{
	double dt = (double)(now - t->last_stats_us) / 1e6;
	if (t->last_stats_us && dt > 0) {
		double a = dt / 1.5 < 1 ? dt / 1.5 : 1;
		t->down_rate += a * ((double)t->down_bytes_window / dt - t->down_rate);
	}
	t->down_bytes_window = 0;
	t->last_stats_us = now;
}

static void rate_tick(struct sp_torrent *t, int64_t now)
{
	down_rate_tick(t, now);
	double dt = (double)(now - t->last_rate_us) / 1e6;
	if (dt < 1.0)
		return;
	t->last_rate_us = now;
	uint64_t up = 0;
	for (struct sp_peer *p = t->peers, *nx; p && (nx = p->next, 1); p = nx) {
		up += p->up_window;
		sp_peer_tick(p, now, dt);
	}
	/* Smooth over ~3 s: the choker wants stability. */
	t->up_rate = 0.6 * t->up_rate + 0.4 * (double)up / dt;
	sp_torrent_connect_candidates(t, now);
	/* short of peers while downloading: ask the trackers again (they
	 * honour their own min interval) */
	if (t->tracker && !sp_bitfield_full(&t->have) && t->num_peers < 5 &&
	    now - t->last_want_us > 30000000) {
		t->last_want_us = now;
		sp_tracker_want_peers(t->tracker);
	}
	sp_meta_tick(t);
	sp_pex_tick(t, now);
	sp_lsd_tick(t, now);
	sp_dht_torrent_tick(t, now);
	sp_torrent_ws_tick(t);
	sp_choker_run(t, now);
}

void sp_torrent_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sp_torrent *t = arg;
	if (!t->started || t->stopping)
		return;
	int64_t now = sp_now_us();
	rate_tick(t, now);
	lost_tick(t, now);
	sp_peer_handout_tick(t);
	sp_playpos_tick(t, now);
	sp_torrent_start_rule_update(t);
	if (t->storage && now - t->last_resume_us > RESUME_EVERY_US) {
		t->last_resume_us = now;
		sp_storage_request_save(t->storage); /* fsync on a worker, not here */
	}
	sp_torrent_pump(t);
	sp_torrent_publish_stats(t);
}

void sp_torrent_storage_hooks(struct sp_torrent *t, struct sp_storage_hooks *h)
{
	*h = (struct sp_storage_hooks){
		.ctx = t,
		.post = storage_post,
		.on_piece_verified = on_verified,
		.on_piece_failed = on_failed,
		.on_error = on_storage_error,
		.on_pieces_missing = on_missing,
		.on_piece_lost = on_lost,
	};
}
