/* picker_next.c - the deadline policy (rules 3-6 and 10 of picker.c's
 * opening comment), plus sp_picker_next() itself; readers and windows are
 * picker_win.c's.
 *
 * Each call recomputes the windows and each source's pipeline room from
 * scratch; the only state carried between calls is the request
 * bookkeeping, so the result depends only on the events fed in and the
 * time given. Owner's thread. */
#include "picker/picker_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool spare_capacity(const struct sp_picker *p);

static void prepare_sources(struct sp_picker *p, int64_t now)
{
	p->healthy = pk_healthy_buffer(p, now);
	p->spare = spare_capacity(p);
	bool keep_rare = p->cfg.rare_share > 0 && p->healthy;
	struct pk_source **u = p->scratch + 2 * p->nsrc;
	p->nusable = 0;
	for (uint32_t k = 0; k < p->nsrc; k++) {
		struct pk_source *s = p->src[k];
		s->depth = pk_src_depth(s);
		s->vq = (double)pk_src_queued(p, s);
		s->erate = pk_src_crate(s, now);
		s->c_rtt = pk_src_rtt(s);
		s->c_usable = pk_src_usable(p, s);
		if (s->c_usable)
			u[p->nusable++] = s;
		s->c_patient = false;
		s->room = pk_src_usable(p, s) && s->depth > s->nreq ? s->depth - s->nreq : 0;
		s->rare_room = 0;
		if (keep_rare && s->kind == SP_SOURCE_PEER) {
			uint32_t rr = (uint32_t)lround(s->depth * p->cfg.rare_share);
			s->rare_room = rr > s->room ? s->room : rr;
		}
	}
	pk_relay_prepare(p);
	pk_share_slice(p);
}

/* Rule 4's and 10's price: a duplicate request takes a block's worth of
 * some source's time from a distinct block. With a reader, that is paid
 * for only while the peers together bring PK_HEDGE_SPARE_X times the
 * fastest reader's bitrate; on a tight swarm every pipe stays full of
 * distinct blocks instead. */
static bool spare_capacity(const struct sp_picker *p)
{
	if (!p->nrd)
		return true;
	/* at the start nothing is known: a usable peer not measured yet may
	 * be a liar or a slow one, and copies are what finds out */
	if (pk_peer_unmeasured(p))
		return true;
	double br = pk_max_bitrate(p);
	return pk_window_rate(p) >= PK_HEDGE_SPARE_X * br;
}

bool pk_may_duplicate(const struct sp_picker *p, double len)
{
	return p->spare && (double)p->dup_allowance_used + len <= pk_dup_allowance(p);
}

/* Do the peers together bring PK_WS_PATIENT_X times the fastest reader's
 * bitrate? Then a block one of them would bring late is usually a moment's
 * lag (a connection ramping up, a burst from a rate limiter): a fallback
 * server takes a free block only once it is due within the server's own
 * time plus PK_WS_MARGIN_S, not as soon as a peer looks late. Below that
 * the server carries a share anyway and is asked early. */
static bool ws_patient(const struct sp_picker *p)
{
	if (p->ws_ordinary || !p->nrd)
		return false;
	if (PK_WS_PATIENT_X <= 0)
		return true;
	/* a usable peer not measured yet is capacity still to come */
	if (pk_peer_unmeasured(p))
		return true;
	double br = pk_max_bitrate(p);
	return pk_window_rate(p) >= PK_WS_PATIENT_X * br;
}

/* When would s deliver one more block of len bytes? */
static double finish_s(const struct pk_source *s, double len)
{
	double t = s->c_rtt + (s->vq + len) / s->erate;
	return s->snubbed ? PK_SNUB_PENALTY * t + 1.0 : t;
}

struct cands {
	struct pk_source **peer, **ws, **seed;
	uint32_t npeer, nws, nseed; /* seed: patient seeds (rule 13) */
	bool frontier;       /* only seeds have the piece, a relay is near it */
	double spread;       /* rule 15: asked of a seed this much earlier */
	double leader_s;     /* rule 13: a viewer ahead passes it on in this long */
	double ws_horizon_s; /* a fallback web seed serves deadlines this near */
	bool ws_patient;     /* the peers carry the bitrate: wait before asking it */
	bool ready; /* gathered for the current piece, peers in a heap */
};

/* Rule 15: how much earlier than rule 13's margin this client asks a
 * seed for a frontier piece, its own per piece in [0, PK_SHARE_SPREAD_S]:
 * of the screens that play in step, one asks first and the others get
 * the piece from it. With partners, the piece's slice owner asks first,
 * the others at most half as early, one after the other; else a draw per
 * client and piece. 0 off share mode. */
static double share_spread(const struct sp_picker *p, uint32_t piece)
{
	if (!p->cfg.share_seed)
		return 0;
	if (p->sh_m > 1) { /* slices: the piece's owner well first, then one by one */
		uint32_t d = pk_share_dist(p, piece);
		return d ? PK_SHARE_SPREAD_S * (double)(p->sh_m - d) / (double)(2 * p->sh_m)
			 : PK_SHARE_SPREAD_S;
	}
	uint64_t z = p->cfg.share_seed ^ ((uint64_t)piece * 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return PK_SHARE_SPREAD_S * (double)(z >> 11) / (double)(1ull << 53);
}

static void gather(struct sp_picker *p, uint32_t piece, int64_t now, struct cands *c)
{
	c->npeer = c->nws = c->nseed = 0;
	c->ready = true;
	c->frontier = false;
	c->spread = 0;
	c->leader_s = INFINITY;
	struct pk_source **u = p->scratch + 2 * p->nsrc;
	bool parole = p->parole[piece];
	for (uint32_t k = 0; k < p->nusable; k++) {
		struct pk_source *s = u[k];
		if (!pk_src_has(s, piece) || (parole && !pk_src_may(p, s, piece)))
			continue;
		if (s->kind == SP_SOURCE_WEBSEED && !p->ws_ordinary)
			c->ws[c->nws++] = s;
		else if (s->c_patient)
			c->seed[c->nseed++] = s;
		else
			c->peer[c->npeer++] = s;
	}
	if (!c->npeer && c->nseed) { /* rule 13's frontier: only seeds have it */
		for (uint32_t k = 0; k < c->nseed; k++)
			c->peer[c->npeer++] = c->seed[k];
		c->nseed = 0;
		/* rule 15: in share mode every peer of the site is at that
		 * frontier (screens play the same video at the same time) */
		c->frontier = p->cfg.share_seed || pk_relay_front(p, piece);
		c->spread = share_spread(p, piece);
		c->leader_s = pk_relay_leader_s(p, piece, now);
		/* never waited for past the time a seed needs for the piece
		 * itself: a viewer that says it plays ahead and never gets
		 * it costs us no stall the seed could have spared */
		double st = INFINITY;
		for (uint32_t k = 0; k < c->npeer && c->leader_s < INFINITY; k++) {
			const struct pk_source *s = c->peer[k];
			st = fmin(st, s->c_rtt + pk_piece_len(p, piece) /
					       fmax(s->erate, PK_UNKNOWN_RATE));
		}
		if (st < INFINITY)
			c->leader_s = fmax(c->leader_s, st);
	}
}

/* The peer candidates of a piece form a min-heap on key (when each would
 * deliver one more block), so that assigning a piece's blocks one by one
 * costs O(log n) each rather than a scan of every candidate. */
static void heap_down(struct pk_source **h, uint32_t n, uint32_t i)
{
	struct pk_source *x = h[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1]->key < h[c]->key)
			c++;
		if (h[c]->key >= x->key)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void heap_build(struct pk_source **h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		h[i]->key = finish_s(h[i], SP_PICKER_BLOCK);
	for (uint32_t i = n / 2; i-- > 0;)
		heap_down(h, n, i);
}

/* The source expected to deliver the block soonest, skipping those that
 * already hold a copy when dup is set. *eta gets its time from now (s). */
static struct pk_source *best_of(struct pk_source **v, uint32_t n, double len, uint32_t piece,
				 uint32_t block, bool dup, double *eta)
{
	struct pk_source *best = NULL;
	double bt = INFINITY;
	for (uint32_t i = 0; i < n; i++) {
		double t = finish_s(v[i], len);
		if (t < bt && (!dup || pk_req_find(v[i], piece, block) < 0)) {
			bt = t;
			best = v[i];
		}
	}
	*eta = bt;
	return best;
}

/* Pick the source for a block with deadline dl_s seconds from now: peers,
 * and in fallback mode a web seed only if no peer makes the deadline. */
static struct pk_source *choose(const struct cands *c, double len, uint32_t piece, uint32_t block,
				double dl_s, bool dup, double *eta)
{
	struct pk_source *b = best_of(c->peer, c->npeer, len, piece, block, dup, eta);
	if (c->nseed && (!b || *eta > dl_s - PK_SEED_SLACK_S)) {
		double st; /* rule 13: a patient seed when no relay makes it */
		struct pk_source *sd = best_of(c->seed, c->nseed, len, piece, block, dup, &st);
		if (sd && (!b || st < *eta)) {
			b = sd;
			*eta = st;
		}
	}
	if (c->nws && dl_s <= c->ws_horizon_s && (!b || *eta > dl_s - PK_HEDGE_SLACK_US / 1e6)) {
		double wt;
		struct pk_source *w = best_of(c->ws, c->nws, len, piece, block, dup, &wt);
		if (w && (!b || wt < *eta) && dl_s <= wt + PK_WS_MARGIN_S) {
			*eta = wt;
			return w;
		}
	}
	return b;
}

static uint32_t urgent_room(const struct pk_source *s)
{
	return s->room - s->rare_room;
}

/* The candidates of a piece, gathered once per piece and call. */
static void need_cands(struct sp_picker *p, uint32_t piece, int64_t now, struct cands *c)
{
	if (!c->ready) {
		gather(p, piece, now, c);
		heap_build(c->peer, c->npeer);
	}
}

/* Move h's request i for the block to s (cancel, request again): free
 * while h has not started it. False when the output is full. */
static bool move_req(struct sp_picker *p, struct pk_source *h, uint32_t i, struct pk_source *s,
		     uint32_t piece, uint32_t b, int64_t now, double len)
{
	pk_drop_req(p, h, i, SP_PICKER_WASTE_RESCUE);
	h->vq -= len;
	if (h->room < h->depth && pk_src_usable(p, h))
		h->room++; /* its freed slot may take a later block */
	if (!pk_issue(p, s, piece, b, now, PK_ORIG_MOVED))
		return false;
	s->room--;
	return true;
}

/* Move h's request for the block to the relay (a usable peer, not a
 * seed) that would bring it soonest, if that is before by_us. 1 when it
 * did, 0 when no relay would, -1 when the output is full. */
static int to_relay(struct sp_picker *p, uint32_t piece, uint32_t b, int64_t now,
		    struct cands *c, struct pk_source *h, double len, int64_t by_us)
{
	int i = pk_req_find(h, piece, b);
	if (i < 0)
		return 0;
	need_cands(p, piece, now, c);
	double eta;
	struct pk_source *s = best_of(c->peer, c->npeer, len, piece, b, true, &eta);
	if (!s || !urgent_room(s) || now + (int64_t)(eta * 1e6) > by_us)
		return 0;
	return move_req(p, h, (uint32_t)i, s, piece, b, now, len) ? 1 : -1;
}

/* Rule 5's other half: a fallback web seed gives back a block it still
 * has queued (not yet in a transfer: expected later than
 * PK_WS_INFLIGHT_US from now) when a peer would deliver it before its
 * deadline. The server then sends only what no peer could. */
static int reclaim(struct sp_picker *p, uint32_t piece, uint32_t b, int64_t now,
		   struct cands *c, struct pk_source *h, int64_t exp, double len)
{
	if (exp <= now + PK_WS_INFLIGHT_US || p->parole[piece])
		return 0;
	int rc = to_relay(p, piece, b, now, c, h, len, p->deadline[piece] - PK_HEDGE_SLACK_US);
	if (rc > 0)
		p->st.ws_reclaimed++;
	return rc;
}

/* Rule 13's other half: a patient seed that hands out (peer_up.c) holds
 * a request for a piece a viewer already has, up to PK_SEED_HOLD_US, so
 * that the asker gets it there. A block such a seed has not sent well
 * past the time it needed for it (round trip, what was queued ahead when
 * we asked, the block itself, and PK_SEED_HELD_US), of a piece a relay
 * has, goes to that relay if it would deliver before the deadline, or
 * at least before the hold ends: the seed sends each piece about once,
 * and the asker does not wait out the hold. A block whose deadline that
 * time would leave less than PK_SEED_HELD_LATE_US goes at once, when the
 * relay's HAVE comes: two viewers in step (issue 10's draw 6) learn of
 * the piece at the other a second before the deadline, and the seed's
 * time, reckoned with what was queued there when we asked, ran past it,
 * so the hold's REJECT came 2 s late (both stalls of two traced runs).
 * PK_SEED_HOLD_US is net's SP_HANDOUT_HOLD_US, restated: the picker
 * does not see net's headers. */
static int reclaim_held(struct sp_picker *p, uint32_t piece, uint32_t b, int64_t now,
			struct cands *c, struct pk_source *h, double len)
{
	const struct pk_piece_dl *d = p->dl[piece];
	if (p->parole[piece])
		return 0;
	double rate = fmax(h->erate, PK_UNKNOWN_RATE);
	double due_s = h->c_rtt + ((double)d->ahead[b] + len) / rate + PK_SEED_HELD_US / 1e6;
	int64_t held_at = d->sent[b] + (int64_t)(due_s * 1e6);
	if (now < held_at && p->deadline[piece] - held_at >= PK_SEED_HELD_LATE_US)
		return 0;
	int64_t by = p->deadline[piece] - PK_HEDGE_SLACK_US;
	int64_t hold_end = d->sent[b] + PK_SEED_HOLD_US + (int64_t)(h->c_rtt * 1e6);
	int rc = to_relay(p, piece, b, now, c, h, len, by > hold_end ? by : hold_end);
	if (rc > 0)
		p->st.seed_reclaimed++;
	return rc;
}

/* Rule 4 for a requested block: if its request will miss the deadline and
 * another source would deliver clearly sooner, move it there (cancel and
 * re-request: free while the first source has not started it) or, if it is
 * the one the source is sending, hedge it within the budget. 1 when it
 * did, 0 when not, -1 when the output is full. */
static int rescue(struct sp_picker *p, uint32_t piece, uint32_t b, int64_t now,
		  struct cands *c, double dl_s, double len)
{
	struct pk_source *h = pk_find(p, p->dl[piece]->holder[b]);
	if (!h)
		return 0;
	if (h->c_patient) {
		int rc = reclaim_held(p, piece, b, now, c, h, len);
		if (rc)
			return rc;
	}
	int64_t exp = pk_blk_eta(p, piece, b, h, h->erate, now);
	if (exp <= p->deadline[piece] - PK_HEDGE_SLACK_US)
		return h->kind == SP_SOURCE_WEBSEED && !p->ws_ordinary
			       ? reclaim(p, piece, b, now, c, h, exp, len)
			       : 0;
	int i = pk_req_find(h, piece, b);
	if (i < 0)
		return 0;
	need_cands(p, piece, now, c);
	double eta;
	struct pk_source *s = choose(c, len, piece, b, dl_s, true, &eta);
	if (!s || s == h || !urgent_room(s))
		return 0;
	/* a race between a server and a peer: the block is due and its
	 * holder has shown nothing yet (no measure), nor has it sent this
	 * block for a while; with nothing to compare them by, whoever is
	 * faster wins and the other copy is cancelled (between two unknown
	 * peers the simulator says it only spends the budget) */
	bool race = dl_s * 1e6 <= PK_HEDGE_SLACK_US && h->kind != s->kind && h->rate_in <= 0 &&
		    h->rate_est <= 0 && now - p->dl[piece]->sent[b] >= PK_RACE_AFTER_US;
	int64_t ts = now + (int64_t)(eta * 1e6), gain = (exp - now) / 4;
	if (!race && ts >= exp - (gain > 200000 ? gain : 200000))
		return 0;
	/* a request its holder has committed (in service, or within the
	 * depth it has been seen to send after a cancel) cannot be moved for
	 * free: a second copy is a hedge, paid for only from spare capacity */
	bool dup = race || pk_req_committed(p, h, (uint32_t)i);
	/* a fallback server's time is not the peers': a copy there costs
	 * them nothing, only the budget */
	bool free_copy = race || (s->kind == SP_SOURCE_WEBSEED && !p->ws_ordinary);
	if (dup && (free_copy ? (double)p->dup_allowance_used + len > pk_dup_allowance(p)
			      : !pk_may_duplicate(p, len)))
		return 0;
	if (!dup)
		return move_req(p, h, (uint32_t)i, s, piece, b, now, len) ? 1 : -1;
	if (!pk_issue(p, s, piece, b, now, PK_ORIG_HEDGE))
		return -1;
	s->room--;
	return 1;
}

/* A piece on parole comes whole from one source: the one that would
 * deliver all of its missing blocks soonest (not just the next one). */
static struct pk_source *parole_owner(const struct sp_picker *p, uint32_t piece,
				      const struct cands *c)
{
	const struct pk_piece_dl *d = p->dl[piece];
	double missing = (double)pk_piece_len(p, piece) - (d ? (double)d->got * SP_PICKER_BLOCK : 0);
	struct pk_source *best = NULL;
	double bt = INFINITY;
	for (uint32_t i = 0; i < c->npeer; i++) {
		double t = finish_s(c->peer[i], missing);
		if (t < bt) {
			bt = t;
			best = c->peer[i];
		}
	}
	return best;
}

/* Rule 3's choice for a free block: the top of the heap, or in fallback
 * mode a web seed when no peer makes the deadline. */
static struct pk_source *choose_free(const struct cands *c, double len, double dl_s,
				      bool *defer)
{
	struct pk_source *b = c->npeer ? c->peer[0] : NULL;
	double eta = b ? b->key : INFINITY;
	*defer = false;
	/* the seed's own queue is left out: it looks slow because it is
	 * shared, and asking early for that reason is what makes it send
	 * each piece to every viewer */
	if (c->frontier && b &&
	    dl_s > b->c_rtt + len / fmax(b->erate, PK_UNKNOWN_RATE) + PK_SEED_MARGIN_S +
			   c->spread) {
		*defer = true; /* rule 13: the viewer due soonest asks the seed */
		return NULL;
	}
	/* ... and while a viewer that plays ahead of us would still pass
	 * it on in time, it is left to that viewer (it asks first) */
	if (b && dl_s > c->leader_s + PK_SEED_LEAD_SLACK_S) {
		*defer = true;
		return NULL;
	}
	if (c->nseed && (!b || eta > dl_s - PK_SEED_SLACK_S)) {
		double st;
		struct pk_source *sd = best_of(c->seed, c->nseed, len, 0, 0, false, &st);
		if (sd && (!b || st < eta)) {
			b = sd;
			eta = st;
		}
	}
	if (c->nws && dl_s <= c->ws_horizon_s && eta > dl_s - PK_HEDGE_SLACK_US / 1e6) {
		double wt;
		struct pk_source *w = best_of(c->ws, c->nws, len, 0, 0, false, &wt);
		if (w && wt < eta) {
			if (!c->ws_patient || dl_s <= wt + PK_WS_MARGIN_S)
				return w;
			/* not yet: neither the late peer nor the server takes it
			 * now; a peer that catches up will, else the server
			 * once it is due within its margin */
			*defer = true;
			return NULL;
		}
	}
	return b;
}

/* Rules 3 and 4 for one piece; false when the output is full or the
 * work ceiling is reached. */
static bool edf_piece(struct sp_picker *p, uint32_t piece, int64_t now, struct cands *c,
		      uint32_t *budget)
{
	/* candidates are gathered only when a block needs a choice: most
	 * window pieces are fully requested and on time */
	c->ready = false;
	double dl_s = (double)(p->deadline[piece] - now) / 1e6;
	bool near = dl_s <= PK_RESCUE_HORIZON_S;
	if (!near && !pk_piece_open(p, piece))
		return true; /* all asked for, and far: nothing to look at */
	uint32_t nb = pk_nblocks(p, piece);
	for (uint32_t b = 0; b < nb; b++) {
		uint8_t st = pk_blk_state(p, piece, b);
		uint32_t nreq = st & BLK_NREQ;
		if ((st & BLK_GOT) || (nreq && (!near || nreq >= PK_MAX_COPIES)))
			continue;
		if (!*budget)
			return false;
		(*budget)--;
		double len = pk_block_len(p, piece, b);
		if (nreq) { /* rule 4: move or hedge a request expected too late */
			int rc = rescue(p, piece, b, now, c, dl_s, len);
			if (rc < 0)
				return false;
			if (rc > 0)
				heap_build(c->peer, c->npeer); /* queues changed */
			continue;
		}
		need_cands(p, piece, now, c);
		bool defer = false;
		struct pk_source *s = p->parole[piece] && c->npeer > 1 ? parole_owner(p, piece, c)
									: choose_free(c, len, dl_s, &defer);
		if (defer)
			continue;
		if (!s)
			return true; /* nobody has this piece */
		if (urgent_room(s)) {
			if (!pk_issue(p, s, piece, b, now, PK_ORIG_NORMAL))
				return false;
			s->room--;
		} else {
			s->vq += len; /* reserved: it will take it when it has room */
		}
		if (p->parole[piece]) {
			gather(p, piece, now, c); /* now only its owner may take it */
			heap_build(c->peer, c->npeer);
		} else if (c->npeer && s == c->peer[0]) {
			s->key = finish_s(s, SP_PICKER_BLOCK);
			heap_down(c->peer, c->npeer, 0);
		}
	}
	return true;
}

/* Could a source with room still be chosen for a piece due at dl? A
 * fallback web seed only for the near future. */
/* A reader short of buffer: the pieces just past its window, in order
 * (a slow swarm spends everything on what is next). False when the
 * output is full. */
static bool fill_ahead(struct sp_picker *p, struct pk_source *s, int64_t now)
{
	uint64_t plen = p->cfg.piece_length;
	for (uint32_t k = 0; k < p->nrd && s->room; k++) {
		uint64_t first = (p->rd[k].win_end + plen - 1) / plen;
		for (uint64_t i = first; i < p->cfg.num_pieces && i < first + PK_AHEAD_SCAN && s->room;
		     i++) {
			uint32_t pc = (uint32_t)i;
			if (!pk_piece_open(p, pc) || p->win_stamp[pc] == p->win_gen ||
			    pk_unwanted(p, pc) || !pk_src_has(s, pc) || !pk_src_may(p, s, pc))
				continue;
			for (uint32_t b = 0; b < pk_nblocks(p, pc) && s->room; b++) {
				if (pk_blk_state(p, pc, b))
					continue;
				if (!pk_issue(p, s, pc, b, now, PK_ORIG_NORMAL))
					return false;
				s->room--;
			}
		}
	}
	return true;
}

static bool any_urgent_room(const struct sp_picker *p, int64_t dl, int64_t now)
{
	bool ws_ok = (double)(dl - now) / 1e6 <= p->ws_horizon_s;
	for (uint32_t k = 0; k < p->nsrc; k++) {
		const struct pk_source *s = p->src[k];
		/* a snubbed source with room is chosen only late: no reason
		 * to keep reserving for it */
		if (urgent_room(s) && !s->snubbed &&
		    (ws_ok || s->kind != SP_SOURCE_WEBSEED || p->ws_ordinary))
			return true;
	}
	return false;
}

void pk_next_deadline(struct sp_picker *p, int64_t now)
{
	struct cands c = {.peer = p->scratch, .ws = p->scratch + p->nsrc,
			  .seed = p->scratch + 3 * p->nsrc,
			  .ws_horizon_s = p->ws_horizon_s, .ws_patient = ws_patient(p)};
	uint32_t budget = PK_EDF_MAX_BLOCKS;
	for (uint32_t i = 0; i < p->nwin && any_urgent_room(p, p->deadline[p->wlist[i]], now); i++)
		if (!edf_piece(p, p->wlist[i], now, &c, &budget))
			break;
	if (p->nout >= p->maxout)
		return;
	/* rule 6: the rest of each pipeline goes outside the windows: in
	 * order past them while a reader is short of buffer, else rarest */
	for (uint32_t j = 0; j < p->nsrc; j++) {
		struct pk_source *s = p->src[(j + p->rr) % p->nsrc];
		if ((s->kind == SP_SOURCE_WEBSEED && !p->ws_ordinary) || s->c_patient)
			continue; /* rules 5 and 13: servers and patient seeds wait */
		if (s->room && !p->healthy && !fill_ahead(p, s, now))
			break;
		if (s->room)
			pk_fill_rare(p, s, now, s->room);
	}
	p->rr++;
	pk_endgame(p, now);
}

/* Rule 5: web seeds are ordinary sources in always mode; in fallback mode
 * when no peer could be asked for PK_WS_GRACE_US (none connected or
 * unchoked, or none of those has sent anything: a torrent served only by
 * HTTP, with or without a reader).
 * Before that, a reader gets from them only what is due within
 * PK_WS_START_S: the start, while the peers connect and unchoke us (the
 * player's reader may come a moment after the torrent: nothing goes to
 * the server meanwhile); a momentary choke of every peer changes nothing. Sets
 * p->ws_ordinary and p->ws_horizon_s. */
static void ws_policy(struct sp_picker *p, int64_t now)
{
	p->ws_horizon_s = PK_WS_HORIZON_S;
	p->ws_ordinary = p->cfg.webseed_mode == 1;
	if (p->cfg.webseed_mode != 0)
		return;
	bool usable = false, measured = false;
	for (uint32_t k = 0; k < p->nsrc; k++) {
		const struct pk_source *s = p->src[k];
		if (s->kind == SP_SOURCE_PEER && pk_src_usable(p, s)) {
			usable = true;
			measured = measured || s->rate_in > 0 || s->rate_est > 0;
		}
	}
	/* the grace runs while no peer may be asked, or none that may has
	 * sent anything yet (unchoked but silent) */
	bool none = !usable || !measured;
	if (none && !p->peerless)
		p->peerless_us = now;
	p->peerless = none;
	if (none && now - p->peerless_us >= PK_WS_GRACE_US)
		p->ws_ordinary = true;
	else if (!measured)
		p->ws_horizon_s = PK_WS_START_S; /* nothing known of the peers yet */
}

/* A fallback web seed that is no longer ordinary keeps only what it is
 * already sending and the window blocks due within its horizon; the rest
 * of its queue (asked while it was all we had) is cancelled and goes to
 * the peers. */
static void ws_trim(struct sp_picker *p, int64_t now)
{
	int64_t far = now + (int64_t)(p->ws_horizon_s * 1e6);
	for (uint32_t k = 0; k < p->nsrc; k++) {
		struct pk_source *s = p->src[k];
		if (s->kind != SP_SOURCE_WEBSEED)
			continue;
		for (uint32_t i = s->nreq; i-- > 0;) {
			const struct pk_req *q = &s->reqs[i];
			bool near = p->win_stamp[q->piece] == p->win_gen && p->deadline[q->piece] <= far;
			if (near || q->dup ||
			    pk_blk_eta(p, q->piece, q->block, s, pk_src_crate(s, now), now) <=
				    now + PK_WS_INFLIGHT_US)
				continue;
			pk_drop_req(p, s, i, SP_PICKER_WASTE_RESCUE);
			p->st.ws_reclaimed++;
		}
	}
}

/* Rule 9: after a seek, requests outside every window are cancelled. */
static void cancel_outside(struct sp_picker *p)
{
	for (uint32_t k = 0; k < p->nsrc; k++) {
		struct pk_source *s = p->src[k];
		for (uint32_t i = 0; i < s->nreq;) {
			if (p->win_stamp[s->reqs[i].piece] != p->win_gen)
				pk_drop_req(p, s, i, SP_PICKER_WASTE_CANCELLED);
			else
				i++;
		}
	}
}

size_t sp_picker_next(struct sp_picker *p, int64_t now_us, struct sp_picker_action *out,
		      size_t max)
{
	if (!p || !out || !max)
		return 0;
	p->out = out;
	p->nout = 0;
	p->maxout = max;
	/* cancels decided earlier go first */
	uint32_t k = 0;
	for (; k < p->npending && p->nout < max; k++)
		out[p->nout++] = p->pending[k];
	if (k) {
		memmove(p->pending, p->pending + k, (p->npending - k) * sizeof(*p->pending));
		p->npending -= k;
	}
	/* never NULL, even with no source: scratch + 2 * nsrc is then
	 * NULL + 0, undefined (UBSan under fuzz-peer) */
	if (!p->scratch || p->nsrc * 4 > p->capscratch) {
		uint32_t cap = p->nsrc * 4 > 4 ? p->nsrc * 4 : 4;
		struct pk_source **ns = realloc(p->scratch, cap * sizeof(*ns));
		if (!ns)
			goto out;
		p->scratch = ns;
		p->capscratch = cap;
	}
	pk_timeouts(p, now_us);
	ws_policy(p, now_us);
	pk_compute_windows(p, now_us);
	if (p->seek_pending) {
		cancel_outside(p);
		p->seek_pending = false;
	}
	if (!p->ws_ordinary && p->cfg.webseed_mode == 0)
		ws_trim(p, now_us);
	if (p->nout >= max)
		goto out;
	prepare_sources(p, now_us);
	switch (p->cfg.policy) {
	case SP_PICKER_SEQUENTIAL:
		pk_next_sequential(p, now_us);
		break;
	case SP_PICKER_SWARMPLAYER:
		pk_next_swarmplayer(p, now_us);
		break;
	default:
		pk_next_deadline(p, now_us);
		break;
	}
out:
	p->out = NULL;
	return p->nout;
}
