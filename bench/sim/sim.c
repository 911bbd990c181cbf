/* sim.c - the discrete-event simulator behind bench/sim (see sim.h).
 *
 * Model. Each peer serves our requests one block at a time, in order, at
 * its upload rate: a request reaches it half an RTT after we send it, the
 * block reaches us half an RTT after it finishes. A CANCEL reaching it
 * before it commits the block removes the request; a block already
 * committed (in service, or within the scenario's sndbuf_s of its send
 * buffer) still arrives (and counts as a duplicate if unwanted). A choke drops
 * its queue (BEP 3). A silent liar advertises everything and never sends; a
 * corrupt one sends garbage, so pieces it contributed fail their hash. The
 * web seed is one more source, serving in order at its rate.
 *
 * The player starts (and resumes after a stall or a seek) when the policy's
 * start rule holds, then consumes bytes at the bitrate; it stalls when the
 * next byte is not in a verified piece. It reports its read position to
 * the picker every 50 ms tick; the picker is asked for actions on every
 * tick and after every block, as the session does.
 *
 * Time is integer microseconds; events at the same time run in the order
 * they were scheduled, and every random draw comes from one seeded
 * generator: a run is a pure function of its scenario. */
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "picker/picker.h"

#define TICK_US 50000
#define SEC 1000000.0
#define NACT 256

enum ev_type { EV_TICK, EV_SERVE, EV_DELIVER, EV_JOIN, EV_LEAVE, EV_CHOKE, EV_UNCHOKE, EV_SEEK };

struct ev {
	int64_t t;
	uint64_t seq;
	int type;
	uint32_t slot, gen, piece, block, len;
	uint64_t serial;
};

struct sreq {
	uint32_t piece, block, len;
	int64_t arrive;
	int64_t cancel_at;  /* when a CANCEL reaches the peer (INT64_MAX: none) */
	uint64_t serial;
	bool counted;       /* an outstanding copy in the picker's eyes */
};

struct speer {
	const struct sim_peer_spec *spec;
	bool alive, webseed, choking;
	uint32_t gen, id;
	double rate;
	int64_t half_rtt;
	struct sreq *q;
	uint32_t head, nq, capq;
	struct sreq *fl;    /* sent by the peer, not yet arrived */
	uint32_t nfl, capfl;
	bool serving;
	uint8_t *has;
};

enum pl_state { PL_PREBUF, PL_PLAYING, PL_STALLED, PL_SEEKING, PL_DONE };

struct sim {
	const struct sim_scenario *sc;
	int policy;
	struct sp_picker *pk;
	uint64_t total;
	uint32_t npieces;
	uint8_t *have, *bad;
	uint32_t *from_slot;        /* per piece x block: deliverer slot */
	uint32_t bpp;               /* blocks per piece */
	struct speer peer[SIM_MAX_PEERS + 1];
	uint32_t nslots, next_id;
	struct ev *heap;
	uint32_t nheap, capheap;
	uint64_t seq, rng, serial;
	int64_t now;
	/* player */
	int state;
	double pos;
	int64_t t_last, stall_start, seek_start;
	double seek_sum;
	uint32_t seeks_done;
	bool moov_wanted;
	struct sim_result *res;
	uint32_t *copies;           /* outstanding copies per block */
};

static int trace_on = -1;

/* SIM_TRACE=1 prints what happens (for whoever tunes the picker). */
__attribute__((format(printf, 2, 3))) static void trace(const struct sim *s, const char *fmt, ...)
{
	if (trace_on < 0)
		trace_on = getenv("SIM_TRACE") != NULL;
	if (!trace_on)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%8.3f ", (double)s->now / 1e6);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- random (splitmix64) ---- */

static uint64_t rnd(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double urand(struct sim *s)
{
	return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static double exprand(struct sim *s, double mean)
{
	return -mean * log(1.0 - urand(s));
}

/* ---- event heap ---- */

static bool ev_less(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int push(struct sim *s, struct ev e)
{
	if (s->nheap == s->capheap) {
		uint32_t nc = s->capheap ? s->capheap * 2 : 1024;
		struct ev *nh = realloc(s->heap, nc * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		s->heap = nh;
		s->capheap = nc;
	}
	e.seq = s->seq++;
	uint32_t i = s->nheap++;
	while (i && ev_less(&e, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = e;
	return 0;
}

static struct ev pop(struct sim *s)
{
	struct ev top = s->heap[0], last = s->heap[--s->nheap];
	uint32_t i = 0;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && ev_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

static void at(struct sim *s, int64_t t, int type, uint32_t slot)
{
	push(s, (struct ev){.t = t, .type = type, .slot = slot, .gen = s->peer[slot].gen});
}

/* ---- peers ---- */

static struct speer *by_id(struct sim *s, uint32_t id, uint32_t *slot)
{
	for (uint32_t i = 0; i < s->nslots; i++)
		if (s->peer[i].alive && s->peer[i].id == id) {
			*slot = i;
			return &s->peer[i];
		}
	return NULL;
}

/* Start serving the next live request, if idle. */
static void kick(struct sim *s, uint32_t slot)
{
	struct speer *p = &s->peer[slot];
	if (p->serving || !p->alive || p->spec->liar == SIM_SILENT)
		return;
	while (p->head < p->nq) {
		struct sreq *r = &p->q[p->head];
		int64_t start = r->arrive > s->now ? r->arrive : s->now;
		/* it left the peer's queue for its send buffer sndbuf_s before
		 * it goes on the wire: a CANCEL must come before that */
		int64_t commit = start - (int64_t)(s->sc->sndbuf_s * SEC);
		if (commit < r->arrive)
			commit = r->arrive;
		if (r->cancel_at <= commit) {
			p->head++;
			continue;
		}
		p->serving = true;
		int64_t fin = start + (int64_t)(r->len / p->rate * SEC);
		push(s, (struct ev){.t = fin, .type = EV_SERVE, .slot = slot, .gen = p->gen});
		return;
	}
	p->head = p->nq = 0;
}

static void enqueue(struct sim *s, uint32_t slot, const struct sp_picker_action *a)
{
	struct speer *p = &s->peer[slot];
	if (p->nq == p->capq) {
		uint32_t nc = p->capq ? p->capq * 2 : 64;
		struct sreq *nq = realloc(p->q, nc * sizeof(*nq));
		if (!nq)
			return;
		p->q = nq;
		p->capq = nc;
	}
	p->q[p->nq++] = (struct sreq){.piece = a->piece, .block = a->offset / SP_PICKER_BLOCK,
				      .len = a->length, .arrive = s->now + p->half_rtt,
				      .cancel_at = INT64_MAX, .serial = ++s->serial,
				      .counted = true};
	kick(s, slot);
}

static void uncount(struct sim *s, struct sreq *r)
{
	uint32_t bi = r->piece * s->bpp + r->block;
	if (r->counted && s->copies[bi])
		s->copies[bi]--;
	r->counted = false;
}

static void cancel(struct sim *s, uint32_t slot, const struct sp_picker_action *a)
{
	struct speer *p = &s->peer[slot];
	uint32_t blk = a->offset / SP_PICKER_BLOCK;
	for (uint32_t i = p->head; i < p->nq; i++) {
		struct sreq *r = &p->q[i];
		if (r->piece == a->piece && r->block == blk && r->counted) {
			uncount(s, r);
			/* the one in service (q[head]) is on the wire already */
			if (i > p->head || !p->serving)
				r->cancel_at = s->now + p->half_rtt;
			return;
		}
	}
	for (uint32_t i = 0; i < p->nfl; i++)
		if (p->fl[i].piece == a->piece && p->fl[i].block == blk && p->fl[i].counted) {
			uncount(s, &p->fl[i]);
			return;
		}
}

static void apply(struct sim *s, const struct sp_picker_action *a)
{
	uint32_t slot;
	struct speer *p = by_id(s, a->source, &slot);
	uint32_t bi = a->piece * s->bpp + a->offset / SP_PICKER_BLOCK;
	if (a->type == SP_ACTION_REQUEST) {
		if (p && p->choking)
			s->res->choked_requests++;
		if (++s->copies[bi] > s->res->max_copies)
			s->res->max_copies = s->copies[bi];
		if (p && !p->choking)
			enqueue(s, slot, a);
	} else if (p) {
		cancel(s, slot, a);
	}
}

static void ask(struct sim *s)
{
	struct sp_picker_action a[NACT];
	size_t n;
	do {
		n = sp_picker_next(s->pk, s->now, a, NACT);
		s->res->next_calls++;
		if (s->sc->check_invariants && !s->res->invariant)
			s->res->invariant = sp_picker_check(s->pk);
		for (size_t i = 0; i < n; i++)
			apply(s, &a[i]);
	} while (n == NACT);
}

static void drop_queue(struct speer *p)
{
	/* keep only the block in service: it is on the wire */
	if (p->serving) {
		p->q[0] = p->q[p->head];
		p->head = 0;
		p->nq = 1;
	} else {
		p->head = p->nq = 0;
	}
}

/* The picker forgets these requests (choke, leave): so does our count. */
static void forget_copies(struct sim *s, struct speer *p)
{
	for (uint32_t i = p->head; i < p->nq; i++) {
		uncount(s, &p->q[i]);
		if (i > p->head || !p->serving)
			p->q[i].cancel_at = s->now;
	}
	for (uint32_t i = 0; i < p->nfl; i++)
		uncount(s, &p->fl[i]);
}

/* ---- the player ---- */

static uint64_t verified_end(const struct sim *s, uint64_t pos)
{
	uint32_t plen = s->sc->piece_length;
	uint64_t end = pos;
	for (uint32_t i = (uint32_t)(pos / plen); i < s->npieces && s->have[i]; i++)
		end = (uint64_t)(i + 1) * plen;
	return end > s->total ? s->total : end;
}

static bool range_have(const struct sim *s, uint64_t from, uint64_t to)
{
	uint32_t plen = s->sc->piece_length;
	for (uint64_t i = from / plen; i * plen < to && i < s->npieces; i++)
		if (!s->have[i])
			return false;
	return true;
}

static bool start_ok(struct sim *s)
{
	const struct sim_scenario *sc = s->sc;
	if (s->moov_wanted) {
		uint64_t moov = s->total - s->total / 100;
		if (!range_have(s, moov, s->total))
			return false;
		sp_picker_cursor_remove(s->pk, 1);
		s->moov_wanted = false;
	}
	if (s->policy != SP_PICKER_SWARMPLAYER)
		return sp_picker_ready_to_start(s->pk, 0, sc->start_ahead_s > 0 ? sc->start_ahead_s : 4,
						0);
	/* SwarmPlayer: the high range complete, and the rest expected in time */
	uint64_t hi = sp_picker_window_end(s->pk, 0);
	if (!range_have(s, (uint64_t)s->pos, hi))
		return false;
	double missing = 0;
	uint32_t plen = sc->piece_length;
	for (uint64_t i = hi / plen; i < s->npieces; i++)
		if (!s->have[i])
			missing += plen;
	double rate = sp_picker_rate(s->pk);
	if (missing <= 0)
		return true;
	return rate > 0 && missing / rate <= (double)(s->total - hi) / sc->bitrate;
}

static void player_update(struct sim *s)
{
	double br = s->sc->bitrate;
	double dt = (double)(s->now - s->t_last) / SEC;
	s->t_last = s->now;
	if (s->state == PL_PLAYING) {
		double np = s->pos + br * dt;
		uint64_t end = verified_end(s, (uint64_t)s->pos);
		if (np >= (double)s->total) {
			s->state = PL_DONE;
			s->res->end_s = (double)s->now / SEC;
			s->res->finished = true;
			return;
		}
		if (np >= (double)end) {
			s->stall_start = s->now - (int64_t)((np - (double)end) / br * SEC);
			s->pos = (double)end;
			s->state = PL_STALLED;
			s->res->stalls++;
			trace(s, "STALL at %.0f (piece %u), delivered %llu, idle %.0f", s->pos,
			      (unsigned)(s->pos / s->sc->piece_length),
			      (unsigned long long)s->res->delivered, s->res->idle_bytes);
		} else {
			s->pos = np;
		}
	}
	sp_picker_cursor_set(s->pk, 0, (uint64_t)s->pos, br, s->now);
	if (s->state != PL_PLAYING && start_ok(s)) {
		double t = (double)s->now / SEC;
		if (s->state == PL_PREBUF)
			s->res->ttff_s = t;
		else if (s->state == PL_STALLED)
			s->res->stall_s += (double)(s->now - s->stall_start) / SEC;
		else {
			double lat = (double)(s->now - s->seek_start) / SEC;
			s->seek_sum += lat;
			s->seeks_done++;
			if (lat > s->res->seek_max_s)
				s->res->seek_max_s = lat;
		}
		s->state = PL_PLAYING;
		trace(s, "PLAY at %.0f rate %.0f buffered %llu", s->pos, sp_picker_rate(s->pk),
		      (unsigned long long)sp_picker_buffered(s->pk, 0));
	}
}

static void player_seek(struct sim *s, double to)
{
	if (s->state == PL_DONE)
		return;
	player_update(s);
	if (s->state == PL_STALLED)
		s->res->stall_s += (double)(s->now - s->stall_start) / SEC;
	if (s->state != PL_PREBUF) {
		s->state = PL_SEEKING;
		s->seek_start = s->now;
	}
	s->pos = to * (double)(s->total - 1);
	sp_picker_cursor_set(s->pk, 0, (uint64_t)s->pos, s->sc->bitrate, s->now);
	player_update(s);
}

/* ---- events ---- */

static void on_piece_ready(struct sim *s, uint32_t piece)
{
	if (s->bad[piece]) {
		s->bad[piece] = 0;
		s->res->failed_pieces++;
		trace(s, "piece %u failed", piece);
		sp_picker_piece_failed(s->pk, piece);
		return;
	}
	s->have[piece] = 1;
	sp_picker_have_piece(s->pk, piece);
	trace(s, "have %u (playing at piece %u)", piece, (unsigned)(s->pos / s->sc->piece_length));
	player_update(s);
}

static void on_serve(struct sim *s, const struct ev *e)
{
	struct speer *p = &s->peer[e->slot];
	if (!p->alive || e->gen != p->gen || !p->serving)
		return;
	struct sreq r = p->q[p->head++];
	p->serving = false;
	if (p->nfl == p->capfl) {
		uint32_t nc = p->capfl ? p->capfl * 2 : 32;
		struct sreq *nf = realloc(p->fl, nc * sizeof(*nf));
		if (!nf)
			return;
		p->fl = nf;
		p->capfl = nc;
	}
	p->fl[p->nfl++] = r;
	push(s, (struct ev){.t = s->now + p->half_rtt, .type = EV_DELIVER, .slot = e->slot,
			    .gen = p->gen, .piece = r.piece, .block = r.block, .len = r.len,
			    .serial = r.serial});
	kick(s, e->slot);
}

static void on_deliver(struct sim *s, const struct ev *e)
{
	struct speer *p = &s->peer[e->slot];
	if (!p->alive || e->gen != p->gen)
		return; /* it left: what was on the wire is lost */
	for (uint32_t i = 0; i < p->nfl; i++)
		if (p->fl[i].serial == e->serial) {
			uncount(s, &p->fl[i]);
			p->fl[i] = p->fl[--p->nfl];
			break;
		}
	s->res->delivered += e->len;
	if (p->webseed)
		s->res->server_bytes += e->len;
	if (sp_picker_block_arrived(s->pk, p->id, e->piece, e->block * SP_PICKER_BLOCK, s->now)) {
		if (p->spec->liar == SIM_CORRUPT)
			s->bad[e->piece] = 1;
		if (sp_picker_piece_ready(s->pk, e->piece))
			on_piece_ready(s, e->piece);
	}
	ask(s);
}

static void on_join(struct sim *s, uint32_t slot)
{
	const struct sim_scenario *sc = s->sc;
	struct speer *p = &s->peer[slot];
	p->gen++;
	p->id = s->next_id++;
	p->alive = true;
	p->serving = false;
	p->head = p->nq = p->nfl = 0;
	p->rate = (p->webseed ? sc->webseed_x : p->spec->rate_x) * sc->bitrate;
	double rtt = p->webseed ? sc->webseed_rtt_s : p->spec->rtt_s;
	p->half_rtt = (int64_t)(rtt * SEC / 2);
	if (p->webseed) {
		sp_picker_source_add(s->pk, p->id, SP_SOURCE_WEBSEED);
		p->choking = false;
	} else {
		sp_picker_source_add(s->pk, p->id, SP_SOURCE_PEER);
		p->choking = true;
		if (p->spec->have >= 1 || p->spec->liar != SIM_HONEST) {
			sp_picker_source_have_all(s->pk, p->id);
		} else {
			memset(p->has, 0, (s->npieces + 7) / 8);
			for (uint32_t i = 0; i < s->npieces; i++)
				if (urand(s) < p->spec->have)
					p->has[i >> 3] |= (uint8_t)(0x80u >> (i & 7));
			sp_picker_source_bitfield(s->pk, p->id, p->has);
		}
		at(s, s->now + (int64_t)((0.2 + urand(s)) * SEC), EV_UNCHOKE, slot);
		if (sc->churn_life_s > 0)
			at(s, s->now + (int64_t)(exprand(s, sc->churn_life_s) * SEC), EV_LEAVE, slot);
	}
	if (sc->give_rates)
		sp_picker_source_rate(s->pk, p->id, p->rate, rtt);
	ask(s);
}

static void on_peer_event(struct sim *s, const struct ev *e)
{
	const struct sim_scenario *sc = s->sc;
	struct speer *p = &s->peer[e->slot];
	if (!p->alive || e->gen != p->gen)
		return;
	trace(s, "peer %u %s", p->id, e->type == EV_LEAVE ? "leaves" : e->type == EV_CHOKE ? "chokes" : "unchokes");
	switch (e->type) {
	case EV_LEAVE:
		forget_copies(s, p);
		p->alive = false;
		sp_picker_source_remove(s->pk, p->id);
		at(s, s->now + 2000000, EV_JOIN, e->slot);
		break;
	case EV_CHOKE:
		forget_copies(s, p);
		drop_queue(p);
		p->choking = true;
		sp_picker_source_choke(s->pk, p->id, true, true);
		at(s, s->now + (int64_t)(sc->choke_len_s * SEC), EV_UNCHOKE, e->slot);
		break;
	case EV_UNCHOKE:
		p->choking = false;
		sp_picker_source_choke(s->pk, p->id, false, false);
		if (sc->choke_every_s > 0)
			at(s, s->now + (int64_t)(exprand(s, sc->choke_every_s) * SEC), EV_CHOKE,
			   e->slot);
		break;
	}
	ask(s);
}

static int setup(struct sim *s, const struct sim_scenario *sc, int policy, struct sim_result *res)
{
	static const struct sim_peer_spec ws_spec = {.have = 1};
	memset(s, 0, sizeof(*s));
	memset(res, 0, sizeof(*res));
	res->ttff_s = -1;
	s->sc = sc;
	s->policy = policy;
	s->res = res;
	s->rng = sc->seed * 0x2545f4914f6cdd1dull + 1;
	s->total = (uint64_t)(sc->bitrate * sc->duration_s);
	if (!sc->piece_length || sc->piece_length % SP_PICKER_BLOCK || !s->total ||
	    sc->npeers > SIM_MAX_PEERS)
		return -EINVAL;
	s->npieces = (uint32_t)((s->total + sc->piece_length - 1) / sc->piece_length);
	s->bpp = sc->piece_length / SP_PICKER_BLOCK;
	struct sp_picker_config cfg = {.total_length = s->total, .piece_length = sc->piece_length,
				       .num_pieces = s->npieces, .policy = policy,
				       .webseed_mode = sc->webseed_mode};
	s->pk = sp_picker_new(&cfg);
	s->have = calloc(s->npieces, 1);
	s->bad = calloc(s->npieces, 1);
	s->copies = calloc((size_t)s->npieces * s->bpp, sizeof(uint32_t));
	if (!s->pk || !s->have || !s->bad || !s->copies)
		return -ENOMEM;
	s->nslots = sc->npeers + (sc->webseed_x > 0);
	for (uint32_t i = 0; i < s->nslots; i++) {
		struct speer *p = &s->peer[i];
		p->webseed = i == sc->npeers;
		p->spec = p->webseed ? &ws_spec : &sc->peers[i];
		p->has = calloc((s->npieces + 7) / 8, 1);
		if (!p->has)
			return -ENOMEM;
		at(s, p->webseed ? 0 : (int64_t)(p->spec->join_s * SEC), EV_JOIN, i);
	}
	s->next_id = 1;
	s->state = PL_PREBUF;
	if (sc->moov_at_end) {
		s->moov_wanted = true;
		sp_picker_cursor_set(s->pk, 1, s->total - s->total / 100, sc->bitrate, 0);
	}
	sp_picker_cursor_set(s->pk, 0, 0, sc->bitrate, 0);
	at(s, 0, EV_TICK, 0);
	for (uint32_t i = 0; i < sc->nseeks && i < SIM_MAX_SEEKS; i++)
		push(s, (struct ev){.t = (int64_t)(sc->seek_at_s[i] * SEC), .type = EV_SEEK,
				    .slot = i});
	return 0;
}

static void teardown(struct sim *s)
{
	for (uint32_t i = 0; i < s->nslots; i++) {
		free(s->peer[i].q);
		free(s->peer[i].fl);
		free(s->peer[i].has);
	}
	sp_picker_free(s->pk);
	free(s->have);
	free(s->bad);
	free(s->copies);
	free(s->heap);
}

/* Capacity left unused: unchoked peers with nothing to send. */
static void account_idle(struct sim *s, int64_t t)
{
	double dt = (double)(t - s->now) / SEC;
	for (uint32_t i = 0; i < s->nslots; i++) {
		const struct speer *p = &s->peer[i];
		if (p->alive && !p->choking && !p->serving && p->spec->liar == SIM_HONEST)
			s->res->idle_bytes += p->rate * dt;
	}
}

int sim_run(const struct sim_scenario *sc, int policy, struct sim_result *res)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct sim s;
	int rc = setup(&s, sc, policy, res);
	int64_t limit = (int64_t)((sc->duration_s * 8 + 60) * SEC);
	while (rc == 0 && s.nheap && s.state != PL_DONE) {
		struct ev e = pop(&s);
		if (e.t > limit)
			break;
		account_idle(&s, e.t);
		s.now = e.t;
		switch (e.type) {
		case EV_TICK:
			player_update(&s);
			ask(&s);
			at(&s, s.now + TICK_US, EV_TICK, 0);
			break;
		case EV_SERVE:
			on_serve(&s, &e);
			break;
		case EV_DELIVER:
			on_deliver(&s, &e);
			break;
		case EV_JOIN:
			on_join(&s, e.slot);
			break;
		case EV_SEEK:
			player_seek(&s, sc->seek_to[e.slot]);
			ask(&s);
			break;
		default:
			on_peer_event(&s, &e);
			break;
		}
	}
	if (rc == 0) {
		if (s.state == PL_STALLED || s.state == PL_SEEKING)
			res->stall_s += (double)(s.now - (s.state == PL_STALLED ? s.stall_start
										: s.seek_start)) /
					SEC;
		if (!res->finished)
			res->end_s = (double)s.now / SEC;
		struct sp_picker_stats st;
		sp_picker_get_stats(s.pk, &st);
		res->dup_bytes = st.duplicate_bytes;
		for (int w = 0; w < 6 && w < SP_PICKER_WASTE_COUNT; w++)
			res->wasted[w] = st.wasted[w];
		res->hedges = st.hedges;
		res->moves = st.moves;
		res->timeouts = st.timeouts;
		res->seek_mean_s = s.seeks_done ? s.seek_sum / s.seeks_done : 0;
	}
	trace(&s, "end: delivered %llu, idle capacity %.0f bytes",
	      (unsigned long long)res->delivered, res->idle_bytes);
	teardown(&s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->wall_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	return rc;
}
