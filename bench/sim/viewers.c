/* viewers.c - the viewer-swarm simulator behind swarmplay-sim --viewers
 * (see viewers.h; issue 10).
 *
 * Model. Node 0 is the source: it has the whole file and an uplink of
 * source_x x the bitrate. Nodes 1..N are viewers: viewer i joins at
 * i x join_every_s (+ jitter), connects to every node already there, and
 * runs its own picker and player (the start rule is the player's:
 * sp_picker_ready_to_start over the next 3 s, and 1.5 s verified). Every
 * node serves the requests it gets, one 16 KiB block at a time at its
 * uplink's rate: a viewer the one needed soonest (sp_playpos) or else in
 * the order they reach it; the source its connections in turn, a block
 * each, as a real seed's share its shaped uplink (each socket refilled as
 * it drains; SIM_SOURCE_FIFO=1: one queue in arrival order instead); a
 * request reaches it half an RTT after it is sent, the block the
 * requester half an RTT after it is served; a CANCEL that reaches the
 * node before it starts the block removes it. A verified piece is
 * announced (HAVE) to every connected node half an RTT later. Who is
 * unchoked is the choke model's (viewers.h); a choke drops the queue of
 * that peer's requests but for the block in service. A source that hands
 * out (source_handout) takes from each connection in turn its first
 * request for a piece no viewer has (as far as HAVEs told it) nor is
 * being sent (nor kept for a viewer that needs it sooner), holds
 * the others up to HANDOUT_HOLD_US and then, when a viewer has the piece,
 * rejects the request (once per piece and viewer), else serves it: the
 * rule of src/net/peer_up.c. Nobody tells a
 * picker the rates: it measures them.
 *
 * Time is integer microseconds; events at the same time run in the order
 * they were scheduled, and random draws come from one seeded generator:
 * a run is a pure function of its inputs. Any thread, one run each. */
#include "viewers.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/choker_rank.h"
#include "net/upload_order.h"
#include "picker/picker.h"

#define TICK_US 50000
#define SEC 1000000.0
#define NACT 256
#define MAXN (SIM_MAX_VIEWERS + 1)
#define RECHOKE_US 10000000
#define VOD_RECHOKE_US 2000000
#define OPTIMISTIC_US 30000000
#define START_AHEAD_S 3.0
#define HANDOUT_HOLD_US 2000000 /* SP_HANDOUT_HOLD_US */
#define AMPLE_SHARE 1.0 /* SP_HANDOUT_AMPLE_SHARE */
#define SIM_MAX_PIECE (16u << 20) /* SIM_PIECE at most */
#define SIM_MAX_JOIN_S 3600.0     /* a SIM_JOINS time at most (s) */

enum { EV_TICK, EV_SERVE, EV_DELIVER, EV_JOIN, EV_HAVE, EV_UNCHOKE, EV_RECHOKE, EV_REJECT, EV_KICK };

struct ev {
	int64_t t;
	uint64_t seq;
	int type;
	uint32_t node, peer, piece, block, len;
};

struct vreq {
	uint32_t from, piece, block, len;
	int64_t arrive, cancel_at;
};

enum { PL_PREBUF, PL_PLAYING, PL_STALLED, PL_DONE };

struct node {
	bool joined;
	double rate;
	struct vreq *q;
	uint32_t head, nq, capq;
	bool serving;
	/* viewers */
	struct sp_picker *pk;
	uint8_t *have;
	uint32_t nhave;
	bool connected[MAXN];
	bool unchoked[MAXN];      /* we upload to peer j */
	uint64_t got_from[MAXN];  /* bytes received from j, this choke period */
	uint64_t sent_to[MAXN];   /* bytes sent to j, this choke period */
	uint64_t fwd[MAXN];       /* pieces j announced after we sent it pieces */
	bool sent_piece[MAXN];    /* we have sent j something */
	uint32_t optimistic;      /* 0: none */
	/* the source, handing out: per viewer, pieces it announced, pieces
	 * we sent it blocks of, pieces we rejected it once */
	uint8_t *known[MAXN], *handed[MAXN], *refused[MAXN];
	uint32_t rr; /* the source: the peer it served last (per-connection turns) */
	int64_t join_us, opt_us;
	int state;
	double pos;
	int64_t t_last, stall_start;
};

struct vsim {
	const struct sim_vswarm *sc;
	struct sim_vresult *res;
	struct node n[MAXN];
	uint32_t nn, npieces, bpp;
	uint64_t total;
	struct ev *heap;
	uint32_t nheap, capheap;
	uint64_t seq, rng;
	int64_t now;
	uint32_t done;
	bool source_fifo; /* SIM_SOURCE_FIFO: the source serves one queue */
};

static uint64_t rnd(struct vsim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double urand(struct vsim *s)
{
	return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static bool ev_less(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(struct vsim *s, struct ev e)
{
	if (s->nheap == s->capheap) {
		uint32_t nc = s->capheap ? s->capheap * 2 : 1024;
		struct ev *nh = realloc(s->heap, nc * sizeof(*nh));
		if (!nh)
			abort();
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
}

static struct ev pop(struct vsim *s)
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

static int64_t half_rtt(const struct vsim *s)
{
	return (int64_t)(s->sc->rtt_s * SEC / 2);
}

/* ---- uplinks ---- */

/* How far piece is past the first piece viewer w lacks (as its HAVEs
 * told the source): a viewer plays near that first gap, so the smaller,
 * the sooner it needs the piece. */
static uint32_t play_piece(const struct vsim *s, uint32_t w)
{
	return (uint32_t)(s->n[w].pos / s->sc->piece_length);
}

static uint32_t need_dist(const struct vsim *s, uint32_t w, uint32_t piece)
{
	uint32_t first = 0;
	if (s->sc->playpos) {
		first = play_piece(s, w); /* sp_playpos: where it plays */
	} else {
		const uint8_t *k = s->n[0].known[w];
		while (first < s->npieces && k[first])
			first++;
	}
	return piece > first ? piece - first : 0;
}

/* The source, handing out: is piece out there already for viewer v (a
 * viewer has it, or is being sent it and needs it no later than v)? */
static bool spread(const struct vsim *s, uint32_t v, uint32_t piece, bool had)
{
	const struct node *d = &s->n[0];
	for (uint32_t w = 1; w < s->nn; w++) {
		if (w == v || !s->n[w].joined)
			continue;
		if (d->known[w][piece])
			return true;
		if (!had && d->handed[w][piece] &&
		    need_dist(s, w, piece) <= need_dist(s, v, piece))
			return true;
	}
	return false;
}

/* The source, handing out: is a new piece kept for another viewer that
 * lacks it and needs it sooner, or about as soon and asked first
 * (sp_upload_kept, as peer_up.c's kept_for_other; SIM_NO_KEPT=1 leaves
 * it out)? Only with sp_playpos, as there. */
static bool kept(const struct vsim *s, const struct vreq *r)
{
	const struct node *d = &s->n[0];
	if (!s->sc->playpos || getenv("SIM_NO_KEPT"))
		return false;
	uint32_t pd = need_dist(s, r->from, r->piece);
	for (uint32_t w = 1; w < s->nn; w++) {
		if (w == r->from || !s->n[w].joined || s->n[w].state == PL_DONE ||
		    d->known[w][r->piece] || d->handed[w][r->piece])
			continue;
		uint32_t wd = need_dist(s, w, r->piece);
		if (sp_upload_kept(pd, wd, false))
			return true;
		if (!sp_upload_kept(pd, wd, true))
			continue;
		for (uint32_t j = d->head; j < d->nq; j++) {
			const struct vreq *o = &d->q[j];
			if (o->from == w && o->piece == r->piece && o->arrive < r->arrive &&
			    o->cancel_at > s->now)
				return true;
		}
	}
	return false;
}

static void to_head(struct node *d, uint32_t i)
{
	struct vreq keep = d->q[i];
	memmove(d->q + d->head + 1, d->q + d->head, (i - d->head) * sizeof(*d->q));
	d->q[d->head] = keep;
}

/* Does the source, handing out, serve request r now? An overdue one
 * for a piece a viewer has is rejected (EV_REJECT), with the viewer's
 * other requests of that piece, and is not served. */
static bool handout_serves(struct vsim *s, struct vreq *r)
{
	struct node *d = &s->n[0];
	if (d->handed[r->from][r->piece] ||
	    (!spread(s, r->from, r->piece, false) && !kept(s, r)))
		return true;
	if (s->now - r->arrive < HANDOUT_HOLD_US)
		return false;
	if (d->refused[r->from][r->piece] || !spread(s, r->from, r->piece, true))
		return true;
	d->refused[r->from][r->piece] = 1;
	for (uint32_t j = d->head; j < d->nq; j++) {
		struct vreq *o = &d->q[j];
		if (o->from != r->from || o->piece != r->piece || o->cancel_at <= s->now ||
		    o->arrive > s->now)
			continue;
		o->cancel_at = s->now;
		push(s, (struct ev){.t = s->now + half_rtt(s), .type = EV_REJECT, .node = o->from,
				    .peer = 0, .piece = o->piece, .block = o->block});
	}
	return false;
}

static bool live(const struct vsim *s, const struct vreq *r)
{
	return r->arrive <= s->now && r->cancel_at > s->now;
}

/* The request the source serves next moved to the head of its queue,
 * the others left in their order; false when all wait. The source's
 * connections take turns, a block each (a real seed's share its uplink
 * about evenly: each socket is refilled as it drains), each its first
 * request that is served (handout: handout_serves); SIM_SOURCE_FIFO=1:
 * the first of one queue in arrival order instead. */
static bool source_pick(struct vsim *s, bool handout)
{
	struct node *d = &s->n[0];
	if (s->source_fifo) {
		for (uint32_t i = d->head; i < d->nq; i++)
			if (live(s, &d->q[i]) && (!handout || handout_serves(s, &d->q[i]))) {
				to_head(d, i);
				return true;
			}
	} else {
		for (uint32_t k = 1; k <= s->nn; k++) {
			uint32_t w = (d->rr + k) % s->nn;
			for (uint32_t i = d->head; i < d->nq; i++) {
				struct vreq *r = &d->q[i];
				if (r->from != w || !live(s, r) || (handout && !handout_serves(s, r)))
					continue;
				d->rr = w;
				to_head(d, i);
				return true;
			}
		}
	}
	if (!handout)
		return false;
	/* every request is held: spare capacity goes to the one needed
	 * soonest rather than to nobody */
	if (s->sc->handout_nospare)
		return false;
	uint32_t best = UINT32_MAX, bi = 0;
	for (uint32_t i = d->head; i < d->nq; i++) {
		struct vreq *r = &d->q[i];
		if (r->arrive > s->now || r->cancel_at <= s->now)
			continue;
		uint32_t dist = need_dist(s, r->from, r->piece);
		if (dist < best) {
			best = dist;
			bi = i;
		}
	}
	if (best == UINT32_MAX)
		return false;
	to_head(d, bi);
	return true;
}

/* sp_playpos tells the source the bitrate and who plays: its uplink is
 * ample when it could carry every playing viewer's whole stream, and
 * twice the bitrate at least; the
 * hand-out is off then (peer_up.c, SP_HANDOUT_AMPLE): holding a request
 * would only delay a duplicate the source can afford. */
static bool ample(const struct vsim *s)
{
	if (!s->sc->playpos || getenv("SIM_NO_AMPLE"))
		return false;
	uint32_t playing = 0;
	for (uint32_t v = 1; v < s->nn; v++)
		playing += s->n[v].joined && s->n[v].state != PL_DONE;
	double need = AMPLE_SHARE * playing > 2.0 ? AMPLE_SHARE * playing : 2.0;
	return s->n[0].rate >= need * s->sc->bitrate;
}

/* src/net/peer_up.c's urgent_key (net/upload_order.h): a request for a
 * piece another viewer (not the asker, not us) has counts later, unless
 * that one plays behind the asker, or beyond us while we play ahead of
 * the asker (sp_upload_alternative: the chain; SIM_NO_CHAIN=1 leaves
 * that last part out). */
static bool elsewhere(const struct vsim *s, const struct node *d, uint32_t from, uint32_t piece)
{
	if (getenv("SIM_NO_ELSEWHERE"))
		return false;
	uint32_t u = (uint32_t)(d - s->n);
	uint32_t at = s->sc->playpos ? play_piece(s, from) : 0;
	uint32_t u_at = s->sc->playpos && u && d->state != PL_DONE && !getenv("SIM_NO_CHAIN")
				? play_piece(s, u)
				: SP_UPLOAD_NOWHERE;
	for (uint32_t j = 1; j < s->nn; j++)
		if (j != from && &s->n[j] != d && s->n[j].joined && d->connected[j] &&
		    s->n[j].have[piece] &&
		    (!s->sc->playpos ||
		     sp_upload_alternative(at, s->n[j].state != PL_DONE ? play_piece(s, j)
									  : SP_UPLOAD_NOWHERE,
					   u_at)))
			return true;
	return false;
}

/* sp_playpos: a viewer serves first the request needed soonest (the
 * least distance from where its asker plays, later when another viewer
 * has the piece), not the oldest. */
static void urgent_first(struct vsim *s, struct node *d)
{
	uint32_t best = UINT32_MAX, bi = 0;
	for (uint32_t i = d->head; i < d->nq; i++) {
		struct vreq *r = &d->q[i];
		if (r->arrive > s->now || r->cancel_at <= s->now)
			continue;
		uint32_t dist = sp_upload_key(need_dist(s, r->from, r->piece),
					      elsewhere(s, d, r->from, r->piece));
		if (dist < best) {
			best = dist;
			bi = i;
		}
	}
	if (best != UINT32_MAX)
		to_head(d, bi);
}

static void kick(struct vsim *s, uint32_t u)
{
	struct node *d = &s->n[u];
	if (d->serving)
		return;
	bool handing = u == 0 && s->sc->source_handout && !ample(s);
	if (handing) {
		/* the first of the queue that arrived and is not cancelled */
		while (d->head < d->nq && d->q[d->head].cancel_at <= s->now)
			d->head++;
		if (d->head == d->nq) {
			d->head = d->nq = 0;
			return;
		}
		if (!source_pick(s, true)) {
			/* held: the tick looks again; a request on its way: then */
			int64_t next = INT64_MAX;
			for (uint32_t i = d->head; i < d->nq; i++)
				if (d->q[i].arrive > s->now && d->q[i].arrive < next)
					next = d->q[i].arrive;
			if (next != INT64_MAX)
				push(s, (struct ev){.t = next, .type = EV_KICK});
			return;
		}
	}
	if (u && s->sc->playpos && !getenv("SIM_NO_URGENT"))
		urgent_first(s, d);
	else if (!u && !handing)
		source_pick(s, false);
	while (d->head < d->nq) {
		struct vreq *r = &d->q[d->head];
		int64_t start = r->arrive > s->now ? r->arrive : s->now;
		if (r->cancel_at <= start) {
			d->head++;
			continue;
		}
		d->serving = true;
		push(s, (struct ev){.t = start + (int64_t)(r->len / d->rate * SEC), .type = EV_SERVE,
				    .node = u});
		return;
	}
	d->head = d->nq = 0;
}

static void enqueue(struct vsim *s, uint32_t u, uint32_t v, const struct sp_picker_action *a)
{
	struct node *d = &s->n[u];
	if (d->nq == d->capq) {
		uint32_t nc = d->capq ? d->capq * 2 : 256;
		struct vreq *nq = realloc(d->q, nc * sizeof(*nq));
		if (!nq)
			abort();
		d->q = nq;
		d->capq = nc;
	}
	d->q[d->nq++] = (struct vreq){.from = v, .piece = a->piece,
				      .block = a->offset / SP_PICKER_BLOCK, .len = a->length,
				      .arrive = s->now + half_rtt(s), .cancel_at = INT64_MAX};
	kick(s, u);
}

static void cancel(struct vsim *s, uint32_t u, uint32_t v, uint32_t piece, uint32_t block)
{
	struct node *d = &s->n[u];
	for (uint32_t i = d->head + (d->serving ? 1 : 0); i < d->nq; i++) {
		struct vreq *r = &d->q[i];
		if (r->from == v && r->piece == piece && r->block == block &&
		    r->cancel_at == INT64_MAX) {
			r->cancel_at = s->now + half_rtt(s);
			return;
		}
	}
}

/* u chokes v: v's requests queued at u are dropped (BEP 3). */
static void drop_from(struct vsim *s, uint32_t u, uint32_t v)
{
	struct node *d = &s->n[u];
	for (uint32_t i = d->head + (d->serving ? 1 : 0); i < d->nq; i++)
		if (d->q[i].from == v)
			d->q[i].cancel_at = s->now;
}

static void ask(struct vsim *s, uint32_t v)
{
	struct node *d = &s->n[v];
	struct sp_picker_action a[NACT];
	size_t k;
	do {
		k = sp_picker_next(d->pk, s->now, a, NACT);
		if (s->sc->check_invariants && !s->res->invariant)
			s->res->invariant = sp_picker_check(d->pk);
		for (size_t i = 0; i < k; i++) {
			uint32_t u = a[i].source - 1;
			if (a[i].type == SP_ACTION_CANCEL) {
				cancel(s, u, v, a[i].piece, a[i].offset / SP_PICKER_BLOCK);
				continue;
			}
			if (u == 0 && getenv("SIM_TRACE"))
				fprintf(stderr, "%.3f v%u asks src piece %u block %u deadline %.3f\n",
					(double)s->now / SEC, v, a[i].piece, a[i].offset / SP_PICKER_BLOCK,
					(double)sp_picker_piece_deadline(d->pk, a[i].piece) / SEC);
			if (!s->n[u].unchoked[v]) {
				s->res->choked_requests++;
				continue;
			}
			enqueue(s, u, v, &a[i]);
		}
	} while (k == NACT);
}

/* ---- players ---- */

static uint64_t verified_end(const struct vsim *s, const struct node *d, uint64_t pos)
{
	uint32_t plen = s->sc->piece_length;
	uint64_t end = pos;
	for (uint32_t i = (uint32_t)(pos / plen); i < s->npieces && d->have[i]; i++)
		end = (uint64_t)(i + 1) * plen;
	return end > s->total ? s->total : end;
}

static void player_update(struct vsim *s, uint32_t v)
{
	struct node *d = &s->n[v];
	struct sim_viewer_result *r = &s->res->v[v - 1];
	double br = s->sc->bitrate, dt = (double)(s->now - d->t_last) / SEC;
	d->t_last = s->now;
	if (d->state == PL_DONE)
		return;
	if (d->state == PL_PLAYING) {
		double np = d->pos + br * dt;
		uint64_t end = verified_end(s, d, (uint64_t)d->pos);
		if (np >= (double)s->total) {
			d->state = PL_DONE;
			r->finished = true;
			s->done++;
			return;
		}
		if (np >= (double)end) {
			if (getenv("SIM_TRACE"))
				fprintf(stderr, "%.3f viewer %u stalls at piece %u\n", (double)s->now / SEC,
					v, (unsigned)(end / s->sc->piece_length));
			d->stall_start = s->now - (int64_t)((np - (double)end) / br * SEC);
			d->pos = (double)end;
			d->state = PL_STALLED;
			r->stalls++;
		} else {
			d->pos = np;
		}
	}
	sp_picker_cursor_set(d->pk, 0, (uint64_t)d->pos, br, s->now);
	if (d->state != PL_PLAYING && sp_picker_ready_to_start(d->pk, 0, START_AHEAD_S, 0)) {
		if (d->state == PL_PREBUF)
			r->ttff_s = (double)(s->now - d->join_us) / SEC;
		else
			r->stall_s += (double)(s->now - d->stall_start) / SEC;
		d->state = PL_PLAYING;
	}
}

/* ---- choking ---- */

static void set_choke(struct vsim *s, uint32_t u, uint32_t v, bool unchoke)
{
	struct node *d = &s->n[u];
	if (d->unchoked[v] == unchoke)
		return;
	d->unchoked[v] = unchoke;
	if (!unchoke)
		drop_from(s, u, v);
	sp_picker_source_choke(s->n[v].pk, u + 1, !unchoke, true);
}

/* The choke model's decision for node u: which connected viewers it
 * uploads to. */
static void rechoke(struct vsim *s, uint32_t u)
{
	struct node *d = &s->n[u];
	uint32_t slots = s->sc->slots ? s->sc->slots : 4;
	struct sp_choker_cand c[MAXN];
	uint32_t nc = 0;
	bool seed = u == 0 || d->nhave == s->npieces;
	for (uint32_t v = 1; v < s->nn; v++) {
		if (v == u || !d->connected[v] || !s->n[v].joined)
			continue;
		/* interested: it lacks a piece we have */
		bool interested = seed ? s->n[v].nhave < s->npieces : false;
		for (uint32_t i = 0; !interested && i < s->npieces; i++)
			interested = d->have[i] && !s->n[v].have[i];
		c[nc++] = (struct sp_choker_cand){
			.id = v, .interested = interested,
			.down_rate = (double)d->got_from[v] / 10.0,
			.up_rate = (double)d->sent_to[v] / 10.0,
			.forwarded = (double)d->fwd[v],
			.behind = u == 0 || (s->sc->playpos ? s->n[v].pos < d->pos
							     : s->n[v].nhave < d->nhave),
			.lag_s = s->sc->playpos && u && d->pos > s->n[v].pos
					 ? (d->pos - s->n[v].pos) / s->sc->bitrate
					 : 0,
			.age_s = (double)(s->now - s->n[v].join_us) / SEC,
			.unchoked = d->unchoked[v]};
	}
	bool keep[MAXN] = {false};
	if (s->sc->choke == SIM_VCHOKE_ALL) {
		for (uint32_t i = 0; i < nc; i++)
			keep[c[i].id] = true;
	} else {
		bool rotate = s->now - d->opt_us >= OPTIMISTIC_US || !d->optimistic;
		struct sp_choker_in in = {.seeding = seed, .slots = slots,
					  .vod = s->sc->choke == SIM_VCHOKE_VOD,
					  .uplink = d->rate, .rotate = rotate,
					  .random = rnd(s)};
		uint32_t out[MAXN], opt = d->optimistic;
		size_t k = sp_choker_rank(&in, c, nc, out, &opt);
		for (size_t i = 0; i < k; i++)
			keep[out[i]] = true;
		if (opt != d->optimistic)
			d->opt_us = s->now;
		d->optimistic = opt;
	}
	if (getenv("SIM_TRACE")) {
		fprintf(stderr, "%.3f node %u (%u pieces) unchokes", (double)s->now / SEC, u, d->nhave);
		for (uint32_t v = 1; v < s->nn; v++)
			if (keep[v])
				fprintf(stderr, " %u(%u, fwd %llu)", v, s->n[v].nhave,
					(unsigned long long)d->fwd[v]);
		fprintf(stderr, "\n");
	}
	for (uint32_t v = 1; v < s->nn; v++)
		if (v != u && d->connected[v] && s->n[v].joined)
			set_choke(s, u, v, keep[v]);
	memset(d->got_from, 0, sizeof(d->got_from));
	memset(d->sent_to, 0, sizeof(d->sent_to));
}

/* ---- events ---- */

static uint32_t unchoked_count(const struct vsim *s, uint32_t u);

static void connect_pair(struct vsim *s, uint32_t v, uint32_t u)
{
	struct node *dv = &s->n[v], *du = &s->n[u];
	dv->connected[u] = du->connected[v] = true;
	sp_picker_source_add(dv->pk, u + 1, SP_SOURCE_PEER);
	if (u == 0) {
		sp_picker_source_have_all(dv->pk, 1);
	} else {
		uint8_t *bits = calloc((s->npieces + 7) / 8, 1);
		if (!bits)
			abort();
		for (uint32_t i = 0; i < s->npieces; i++)
			if (du->have[i])
				bits[i >> 3] |= (uint8_t)(0x80u >> (i & 7));
		sp_picker_source_bitfield(dv->pk, u + 1, bits);
		/* sp_playpos: u plays ahead of the newcomer, which trusts it as
		 * a relay of the bitrate until measured (rule 13) */
		if (s->sc->playpos && !getenv("SIM_NO_TRUST"))
			sp_picker_source_trust(dv->pk, u + 1, s->sc->bitrate);
		sp_picker_source_add(du->pk, v + 1, SP_SOURCE_PEER);
		memset(bits, 0, (s->npieces + 7) / 8);
		sp_picker_source_bitfield(du->pk, v + 1, bits);
		free(bits);
	}
}

static void on_join(struct vsim *s, uint32_t v)
{
	struct node *d = &s->n[v];
	d->joined = true;
	d->join_us = d->t_last = s->now;
	for (uint32_t u = 0; u < s->nn; u++)
		if (u != v && s->n[u].joined)
			connect_pair(s, v, u);
	sp_picker_cursor_set(d->pk, 0, 0, s->sc->bitrate, s->now);
	/* a new peer is unchoked at once if a slot is free (sp_choker_interested),
	 * else by an optimistic slot or the next rechoke */
	for (uint32_t u = 0; u < s->nn; u++)
		if (u != v && s->n[u].joined)
			push(s, (struct ev){.t = s->now + 200000, .type = EV_UNCHOKE, .node = u,
					    .peer = v});
	for (uint32_t u = 1; u < s->nn; u++)
		if (u != v && s->n[u].joined)
			push(s, (struct ev){.t = s->now + 200000, .type = EV_UNCHOKE, .node = v,
					    .peer = u});
	push(s, (struct ev){.t = s->now + RECHOKE_US, .type = EV_RECHOKE, .node = v});
}

static uint32_t unchoked_count(const struct vsim *s, uint32_t u)
{
	uint32_t k = 0;
	for (uint32_t v = 1; v < s->nn; v++)
		k += s->n[u].unchoked[v];
	return k;
}

static void on_unchoke(struct vsim *s, uint32_t u, uint32_t v)
{
	struct node *d = &s->n[u];
	uint32_t slots = s->sc->slots ? s->sc->slots : 4;
	if (s->sc->choke == SIM_VCHOKE_ALL || unchoked_count(s, u) < slots + 1) {
		set_choke(s, u, v, true);
		ask(s, v);
	} else if (s->sc->choke == SIM_VCHOKE_VOD) {
		rechoke(s, u); /* a newcomer gets a fast optimistic slot */
		ask(s, v);
	}
	(void)d;
}

static void on_serve(struct vsim *s, uint32_t u)
{
	struct node *d = &s->n[u];
	struct vreq r = d->q[d->head++];
	d->serving = false;
	push(s, (struct ev){.t = s->now + half_rtt(s), .type = EV_DELIVER, .node = r.from,
			    .peer = u, .piece = r.piece, .block = r.block, .len = r.len});
	d->sent_to[r.from] += r.len;
	d->sent_piece[r.from] = true;
	if (u == 0 && getenv("SIM_TRACE"))
		fprintf(stderr, "%.3f src -> %u piece %u block %u\n", (double)s->now / SEC, r.from,
			r.piece, r.block);
	if (u == 0) {
		s->res->source_sent += r.len;
		if (d->handed[r.from])
			d->handed[r.from][r.piece] = 1;
	}
	else
		s->res->v[u - 1].up += r.len;
	kick(s, u);
}

static void on_piece(struct vsim *s, uint32_t v, uint32_t piece)
{
	struct node *d = &s->n[v];
	d->have[piece] = 1;
	d->nhave++;
	sp_picker_have_piece(d->pk, piece);
	for (uint32_t w = 1; w < s->nn; w++)
		if (w != v && d->connected[w])
			push(s, (struct ev){.t = s->now + half_rtt(s), .type = EV_HAVE, .node = w,
					    .peer = v, .piece = piece});
	/* a peer that becomes interested is unchoked at once while a slot is
	 * free (sp_choker_interested) */
	uint32_t slots = s->sc->slots ? s->sc->slots : 4;
	for (uint32_t w = 1; w < s->nn; w++)
		if (w != v && d->connected[w] && s->n[w].joined && !s->n[w].have[piece] &&
		    !d->unchoked[w] && unchoked_count(s, v) < slots + 1) {
			set_choke(s, v, w, true);
			ask(s, w);
		}
	/* the source sees HAVEs too (for its choker and super-seeding) */
	if (d->connected[0])
		push(s, (struct ev){.t = s->now + half_rtt(s), .type = EV_HAVE, .node = 0,
				    .peer = v, .piece = piece});
	player_update(s, v);
}

static void on_deliver(struct vsim *s, const struct ev *e)
{
	struct node *d = &s->n[e->node];
	struct sim_viewer_result *r = &s->res->v[e->node - 1];
	r->down += e->len;
	if (e->peer == 0)
		r->from_source += e->len;
	d->got_from[e->peer] += e->len;
	if (sp_picker_block_arrived(d->pk, e->peer + 1, e->piece, e->block * SP_PICKER_BLOCK,
				    s->now) &&
	    sp_picker_piece_ready(d->pk, e->piece))
		on_piece(s, e->node, e->piece);
	ask(s, e->node);
}

static void on_have(struct vsim *s, const struct ev *e)
{
	struct node *d = &s->n[e->node];
	/* Give-to-Get: a HAVE from a peer we did not send this piece to, once
	 * we sent it something, is what it forwards to others */
	for (uint32_t w = 0; w < s->nn; w++)
		if (w != e->node && w != e->peer && s->n[w].connected[e->peer] &&
		    s->n[w].sent_piece[e->peer])
			s->n[w].fwd[e->peer]++;
	if (e->node == 0) {
		if (d->known[e->peer])
			d->known[e->peer][e->piece] = 1;
		return;
	}
	sp_picker_source_have(d->pk, e->peer + 1, e->piece);
	ask(s, e->node);
}

static void on_reject(struct vsim *s, const struct ev *e)
{
	sp_picker_block_rejected(s->n[e->node].pk, e->peer + 1, e->piece,
				 e->block * SP_PICKER_BLOCK);
	ask(s, e->node);
}

static void tick(struct vsim *s)
{
	if (s->sc->source_handout)
		kick(s, 0); /* held requests: their hold may be over */
	for (uint32_t v = 1; v < s->nn; v++) {
		if (!s->n[v].joined)
			continue;
		player_update(s, v);
		ask(s, v);
	}
	push(s, (struct ev){.t = s->now + TICK_US, .type = EV_TICK});
}

static int setup(struct vsim *s, const struct sim_vswarm *sc, struct sim_vresult *res)
{
	memset(s, 0, sizeof(*s));
	memset(res, 0, sizeof(*res));
	s->sc = sc;
	s->res = res;
	s->rng = sc->seed * 0x2545f4914f6cdd1dull + 7;
	/* the knobs come from the environment (main.c): finite and sane */
	double bytes = sc->bitrate * sc->duration_s;
	if (!(bytes >= 1 && bytes <= 1e12) || !(sc->rtt_s >= 0 && sc->rtt_s <= 10) ||
	    !sc->piece_length || sc->piece_length % SP_PICKER_BLOCK ||
	    sc->piece_length > SIM_MAX_PIECE || sc->nviewers > SIM_MAX_VIEWERS || !sc->nviewers)
		return -EINVAL;
	s->total = (uint64_t)bytes;
	s->npieces = (uint32_t)((s->total + sc->piece_length - 1) / sc->piece_length);
	s->bpp = sc->piece_length / SP_PICKER_BLOCK;
	s->source_fifo = getenv("SIM_SOURCE_FIFO") != NULL;
	const char *joins = getenv("SIM_JOINS");
	s->nn = sc->nviewers + 1;
	res->nviewers = sc->nviewers;
	struct sp_picker_config cfg = {.total_length = s->total, .piece_length = sc->piece_length,
				       .num_pieces = s->npieces,
				       .seed_patience = sc->picker_norelay ? -1 : 0};
	for (uint32_t i = 0; i < s->nn; i++) {
		struct node *d = &s->n[i];
		d->rate = (i ? sc->viewer_x : sc->source_x) * sc->bitrate;
		d->have = calloc(s->npieces, 1);
		if (!d->have)
			return -ENOMEM;
		if (i == 0) {
			for (uint32_t w = 0; w < s->nn && sc->source_handout; w++) {
				d->known[w] = calloc(s->npieces, 1);
				d->handed[w] = calloc(s->npieces, 1);
				d->refused[w] = calloc(s->npieces, 1);
				if (!d->known[w] || !d->handed[w] || !d->refused[w])
					return -ENOMEM;
			}
			memset(d->have, 1, s->npieces);
			d->nhave = s->npieces;
			d->joined = true;
			continue;
		}
		d->pk = sp_picker_new(&cfg);
		if (!d->pk)
			return -ENOMEM;
		res->v[i - 1].ttff_s = -1;
		double t = (i - 1) * sc->join_every_s + sc->join_jitter_s * urand(s);
		if (joins && *joins) { /* SIM_JOINS: the times given, one per viewer */
			char *end;
			double g = strtod(joins, &end);
			if (end != joins && g >= 0 && g <= SIM_MAX_JOIN_S)
				t = g;
			joins = end;
		}
		push(s, (struct ev){.t = (int64_t)(t * SEC), .type = EV_JOIN, .node = i});
	}
	push(s, (struct ev){.t = 0, .type = EV_TICK});
	push(s, (struct ev){.t = RECHOKE_US, .type = EV_RECHOKE, .node = 0});
	return 0;
}

static void teardown(struct vsim *s)
{
	for (uint32_t i = 0; i < s->nn; i++) {
		free(s->n[i].q);
		free(s->n[i].have);
		for (uint32_t w = 0; w < MAXN; w++) {
			free(s->n[i].known[w]);
			free(s->n[i].handed[w]);
			free(s->n[i].refused[w]);
		}
		sp_picker_free(s->n[i].pk);
	}
	free(s->heap);
}

static void finish(struct vsim *s)
{
	struct sim_vresult *res = s->res;
	res->end_s = (double)s->now / SEC;
	res->source_copies = (double)res->source_sent / (double)s->total;
	for (uint32_t v = 1; v < s->nn; v++) {
		struct node *d = &s->n[v];
		if (d->state == PL_STALLED)
			res->v[v - 1].stall_s += (double)(s->now - d->stall_start) / SEC;
		struct sp_picker_stats st;
		sp_picker_get_stats(d->pk, &st);
		res->dup_bytes += st.duplicate_bytes;
	}
}

static void dispatch(struct vsim *s, const struct ev *e)
{
	switch (e->type) {
	case EV_TICK:
		tick(s);
		break;
	case EV_SERVE:
		on_serve(s, e->node);
		break;
	case EV_DELIVER:
		on_deliver(s, e);
		break;
	case EV_JOIN:
		on_join(s, e->node);
		break;
	case EV_HAVE:
		on_have(s, e);
		break;
	case EV_KICK:
		kick(s, 0);
		break;
	case EV_REJECT:
		on_reject(s, e);
		break;
	case EV_UNCHOKE:
		on_unchoke(s, e->node, e->peer);
		break;
	case EV_RECHOKE:
		rechoke(s, e->node);
		push(s, (struct ev){.t = s->now + (s->sc->choke == SIM_VCHOKE_VOD ? VOD_RECHOKE_US
										  : RECHOKE_US),
				    .type = EV_RECHOKE, .node = e->node});
		break;
	}
}

int sim_vswarm_run(const struct sim_vswarm *sc, struct sim_vresult *res)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct vsim *s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	int rc = setup(s, sc, res);
	double last_join = (sc->nviewers - 1) * sc->join_every_s + sc->join_jitter_s;
	int64_t limit = (int64_t)((last_join + sc->duration_s * 6 + 60) * SEC);
	while (rc == 0 && s->nheap && s->done < sc->nviewers) {
		struct ev e = pop(s);
		if (e.t > limit)
			break;
		s->now = e.t;
		dispatch(s, &e);
	}
	if (rc == 0)
		finish(s);
	teardown(s);
	free(s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->wall_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	return rc;
}

void sim_vswarm_default(struct sim_vswarm *sc, double source_x, double viewer_x, uint32_t n)
{
	memset(sc, 0, sizeof(*sc));
	sc->name = "viewers";
	sc->bitrate = 400000.0;
	sc->duration_s = 40.0;
	sc->piece_length = 128 * 1024;
	sc->seed = 100;
	sc->source_x = source_x;
	sc->viewer_x = viewer_x;
	sc->nviewers = n;
	sc->join_every_s = 3.0;
	sc->rtt_s = 0.02;
	sc->choke = SIM_VCHOKE_TFT;
	sc->slots = 4;
}
