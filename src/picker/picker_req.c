/* picker_req.c - the picker's requests: issuing, arrivals, rejects,
 * cancels, timeouts, piece completion, and the per-source rate and RTT
 * measured from arrivals (used when the caller gives none).
 *
 * Invariant: a REQUEST action is appended only together with its pk_req
 * record; a pk_req leaves only through pk_drop_req (which may queue a
 * CANCEL) or an arrival. CANCELs that do not fit in the caller's array
 * wait in p->pending and go out first in the next call. Owner's thread. */
#include "picker/picker_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int pending_push(struct sp_picker *p, const struct sp_picker_action *a)
{
	if (p->npending == p->cappending) {
		uint32_t nc = p->cappending ? p->cappending * 2 : 64;
		struct sp_picker_action *np = realloc(p->pending, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		p->pending = np;
		p->cappending = nc;
	}
	p->pending[p->npending++] = *a;
	return 0;
}

int pk_emit(struct sp_picker *p, enum sp_action_type type, uint32_t src, uint32_t piece,
	    uint32_t block)
{
	struct sp_picker_action a = {
		.type = type,
		.source = src,
		.piece = piece,
		.offset = block * SP_PICKER_BLOCK,
		.length = pk_block_len(p, piece, block),
	};
	if (type == SP_ACTION_CANCEL)
		p->st.cancels++;
	if (p->out && p->nout < p->maxout) {
		p->out[p->nout++] = a;
		return 0;
	}
	/* requests are only made with room (pk_issue checks); cancels wait */
	return type == SP_ACTION_CANCEL ? pending_push(p, &a) : -ENOSPC;
}

double pk_dup_allowance(const struct sp_picker *p)
{
	if (p->cfg.hedge_budget < 0)
		return 0;
	return p->cfg.hedge_budget * (double)p->st.received_bytes + PK_HEDGE_FLOOR;
}

/* How long a source may stay quiet with requests out: max(2 s, 4 blocks'
 * time), a never measured one counting as slow. */
static int64_t quiet_limit(const struct pk_source *s)
{
	bool known = s->rate_in > 0 || s->rate_est > 0;
	double blk = pk_src_rtt(s) + SP_PICKER_BLOCK / (known ? pk_src_rate(s) : PK_UNKNOWN_CHOOSE_RATE);
	int64_t q = (int64_t)(PK_TIMEOUT_FACTOR * blk * 1e6);
	return q > PK_TIMEOUT_MIN_US ? q : PK_TIMEOUT_MIN_US;
}

bool pk_issue(struct sp_picker *p, struct pk_source *s, uint32_t piece, uint32_t block,
	      int64_t now, enum pk_origin origin)
{
	bool dup = origin == PK_ORIG_HEDGE || origin == PK_ORIG_ENDGAME;
	if (!p->out || p->nout >= p->maxout)
		return false;
	struct pk_piece_dl *d = pk_dl_get(p, piece);
	if (!d)
		return false;
	if (s->nreq == s->capreq) {
		uint32_t nc = s->capreq ? s->capreq * 2 : 16;
		struct pk_req *nr = realloc(s->reqs, nc * sizeof(*nr));
		if (!nr)
			return false;
		s->reqs = nr;
		s->capreq = nc;
	}
	uint32_t len = pk_block_len(p, piece, block);
	uint64_t ahead = pk_src_queued(p, s);
	double t = pk_src_rtt(s) + (double)(ahead + len) / pk_src_rate(s);
	struct pk_req *r = &s->reqs[s->nreq++];
	int64_t lim = (int64_t)(PK_TIMEOUT_FACTOR * t * 1e6), quiet = quiet_limit(s);
	*r = (struct pk_req){.piece = piece, .block = block, .sent_us = now,
			     .expect_us = now + (int64_t)(t * 1e6),
			     .tmo_us = now + (lim > quiet ? lim : quiet),
			     .deadline_us = p->win_stamp[piece] == p->win_gen ? p->deadline[piece]
									      : INT64_MAX,
			     .ahead = ahead > UINT32_MAX ? UINT32_MAX : (uint32_t)ahead,
			     .before = s->issued,
			     .dup = dup,
			     .origin = (uint8_t)origin};
	if (s->nreq == 1) {
		s->meas_start_us = s->progress_us = now;
		if (s->idle_since) {
			s->idle_us += now - s->idle_since;
			s->idle_since = 0;
		}
	}
	if (!(d->blk[block] & BLK_NREQ) && !(d->blk[block] & BLK_GOT)) {
		d->nfree--;
		p->free_blocks--;
	}
	d->holder[block] = s->id;
	d->sent[block] = now;
	d->before[block] = s->issued;
	d->ahead[block] = r->ahead;
	d->tmo[block] = pk_req_timeout(r);
	s->issued += len;
	if (p->parole[piece] && (!d->owned || d->owner != s->id)) {
		d->owned = true;
		d->owner = s->id;
	}
	d->blk[block]++;
	if (dup) {
		p->st.hedges++;
		p->dup_allowance_used += len;
	}
	if (origin == PK_ORIG_MOVED)
		p->st.moves++;
	p->st.requested_bytes += len;
	if (s->kind == SP_SOURCE_WEBSEED)
		p->st.webseed_requested_bytes += len;
	p->st.outstanding++;
	s->vq += len;
	pk_emit(p, SP_ACTION_REQUEST, s->id, piece, block);
	return true;
}

/* The block's latest request is gone but another copy is out: make that
 * one the block's holder. */
static void rehold(struct sp_picker *p, struct pk_piece_dl *d, uint32_t piece, uint32_t block)
{
	for (uint32_t k = 0; k < p->nsrc; k++) {
		const struct pk_source *s = p->src[k];
		for (uint32_t i = 0; i < s->nreq; i++) {
			const struct pk_req *r = &s->reqs[i];
			if (r->piece != piece || r->block != block)
				continue;
			d->holder[block] = s->id;
			d->sent[block] = r->sent_us;
			d->before[block] = r->before;
			d->ahead[block] = r->ahead;
			d->tmo[block] = pk_req_timeout(r);
			return;
		}
	}
}

static void remember_cancel(struct pk_source *s, const struct pk_req *r, uint32_t ahead,
			    int cause)
{
	struct pk_cancel *c = &s->cring[s->ncancel++ % PK_CANCEL_RING];
	*c = (struct pk_cancel){.piece = r->piece, .block = r->block, .ahead = ahead,
				.cause = (uint8_t)cause};
}

/* Bytes queued at s ahead of its request i (it serves in order). */
static uint64_t ahead_of(const struct sp_picker *p, const struct pk_source *s, uint32_t i)
{
	uint64_t a = 0;
	for (uint32_t k = 0; k < i; k++)
		a += pk_block_len(p, s->reqs[k].piece, s->reqs[k].block);
	return a;
}

bool pk_req_committed(const struct sp_picker *p, const struct pk_source *s, uint32_t i)
{
	return i == 0 || (double)ahead_of(p, s, i) < s->commit;
}

void pk_drop_req(struct sp_picker *p, struct pk_source *s, uint32_t i, int cause)
{
	struct pk_req r = s->reqs[i];
	if (cause >= 0) {
		uint64_t a = ahead_of(p, s, i);
		remember_cancel(s, &r, a > UINT32_MAX ? UINT32_MAX : (uint32_t)a, cause);
	}
	memmove(&s->reqs[i], &s->reqs[i + 1], (s->nreq - i - 1) * sizeof(*s->reqs));
	s->nreq--;
	s->done += pk_block_len(p, r.piece, r.block);
	p->st.outstanding--;
	struct pk_piece_dl *d = p->dl[r.piece];
	if (d && (d->blk[r.block] & BLK_NREQ)) {
		d->blk[r.block]--;
		if (!d->blk[r.block] && p->state[r.piece] == PS_NEED) {
			d->nfree++;
			p->free_blocks++;
		}
		if ((d->blk[r.block] & BLK_NREQ) && d->holder[r.block] == s->id)
			rehold(p, d, r.piece, r.block);
	}
	if (cause >= 0)
		pk_emit(p, SP_ACTION_CANCEL, s->id, r.piece, r.block);
}

int pk_req_find(const struct pk_source *s, uint32_t piece, uint32_t block)
{
	for (uint32_t i = 0; i < s->nreq; i++)
		if (s->reqs[i].piece == piece && s->reqs[i].block == block)
			return (int)i;
	return -1;
}

/* What a copy cancelled because another came counts as if it comes
 * anyway: the excess copy's cause, whichever of the two it is. */
static int copy_cause(uint8_t loser, uint8_t winner)
{
	uint8_t o = loser != PK_ORIG_NORMAL ? loser : winner;
	switch (o) {
	case PK_ORIG_HEDGE: return SP_PICKER_WASTE_HEDGE;
	case PK_ORIG_ENDGAME: return SP_PICKER_WASTE_ENDGAME;
	case PK_ORIG_MOVED: return SP_PICKER_WASTE_RESCUE;
	default: return SP_PICKER_WASTE_CANCELLED;
	}
}

/* Cancel every outstanding copy of a block (it arrived, or its piece is
 * done); winner is the origin of the copy that came (PK_ORIG_NORMAL if
 * none did). */
static void cancel_copies(struct sp_picker *p, uint32_t piece, uint32_t block, uint8_t winner)
{
	struct pk_piece_dl *d = p->dl[piece];
	for (uint32_t k = 0; k < p->nsrc && d && (d->blk[block] & BLK_NREQ); k++) {
		int i = pk_req_find(p->src[k], piece, block);
		if (i >= 0)
			pk_drop_req(p, p->src[k], (uint32_t)i,
				    copy_cause(p->src[k]->reqs[i].origin, winner));
	}
}

static void measure(struct sp_picker *p, struct pk_source *s, const struct pk_req *r,
		    uint32_t len, int64_t now)
{
	/* RTT: the time it took, minus what was queued ahead at the rate */
	double rate = pk_src_rate(s);
	double rtt = (double)(now - r->sent_us) / 1e6 - (double)(r->ahead + len) / rate;
	if (rtt < 0.001)
		rtt = 0.001;
	s->rtt_est = s->rtt_est > 0 ? 0.8 * s->rtt_est + 0.2 * rtt : rtt;
	/* rate: bytes over busy time, in periods of at least 300 ms */
	s->meas_bytes += len;
	int64_t dt = now - s->meas_start_us;
	if (dt >= 300000) {
		double sample = (double)s->meas_bytes * 1e6 / (double)dt;
		s->rate_est = s->rate_est > 0 ? 0.6 * s->rate_est + 0.4 * sample : sample;
		s->meas_bytes = 0;
		s->meas_start_us = now;
	}
	if (s->nreq == 0) {
		/* idle: close the period (a source that drains its pipeline
		 * between our calls must be measured too); the next one starts
		 * at the next request */
		if (s->meas_bytes && dt >= 5000) {
			double sample = (double)s->meas_bytes * 1e6 / (double)dt;
			s->rate_est = s->rate_est > 0 ? 0.6 * s->rate_est + 0.4 * sample : sample;
		}
		s->meas_bytes = 0;
	}
}

static void piece_done(struct sp_picker *p, uint32_t piece)
{
	uint32_t nb = pk_nblocks(p, piece);
	for (uint32_t b = 0; b < nb; b++)
		cancel_copies(p, piece, b, PK_ORIG_NORMAL);
	p->state[piece] = PS_READY;
}

/* The aggregate rate, measured directly: bytes per 250 ms slot over the
 * last two seconds (the sum of per-source rates misses the sources not
 * measured yet). */
static void agg_add(struct sp_picker *p, uint32_t len, int64_t now)
{
	int64_t slot = now / 250000;
	for (int64_t s = p->agg_slot + 1; s <= slot && s <= p->agg_slot + 8; s++)
		p->agg_bytes[s & 7] = 0;
	if (slot > p->agg_slot)
		p->agg_slot = slot;
	if (slot > p->agg_slot - 8)
		p->agg_bytes[slot & 7] += len;
}

/* A block s sent after we cancelled it: learn how deep s commits, and
 * what the copy counts as if unwanted. Forgets the cancel. */
static int late_block(struct pk_source *s, uint32_t piece, uint32_t block, uint32_t len)
{
	uint32_t n = s->ncancel < PK_CANCEL_RING ? s->ncancel : PK_CANCEL_RING;
	for (uint32_t k = 1; k <= n; k++) {
		struct pk_cancel *c = &s->cring[(s->ncancel - k) % PK_CANCEL_RING];
		if (c->piece != piece || c->block != block)
			continue;
		double depth = (double)c->ahead + len;
		if (depth > s->commit)
			s->commit = depth < PK_COMMIT_MAX ? depth : PK_COMMIT_MAX;
		c->piece = UINT32_MAX;
		return c->cause;
	}
	return SP_PICKER_WASTE_OTHER;
}

bool sp_picker_block_in(struct sp_picker *p, uint32_t id, uint32_t piece, uint32_t offset,
			int64_t now_us, enum sp_picker_waste *why)
{
	if (why)
		*why = SP_PICKER_WASTE_OTHER;
	if (piece >= p->cfg.num_pieces || offset % SP_PICKER_BLOCK ||
	    offset >= pk_piece_len(p, piece))
		return false;
	uint32_t block = offset / SP_PICKER_BLOCK, len = pk_block_len(p, piece, block);
	struct pk_source *s = pk_find(p, id);
	int cause = SP_PICKER_WASTE_OTHER;
	uint8_t origin = PK_ORIG_NORMAL;
	if (s) {
		int i = pk_req_find(s, piece, block);
		if (i >= 0) {
			struct pk_req r = s->reqs[i];
			origin = r.origin;
			pk_drop_req(p, s, (uint32_t)i, PK_NO_CANCEL);
			measure(p, s, &r, len, now_us);
			s->snubbed = false;
			s->progress_us = now_us;
			if (!s->nreq)
				s->idle_since = now_us;
			/* SwarmPlayer's bad peer: late for a high-range block (and
			 * slow: deadlines before playback are all "now") */
			if (p->cfg.policy == SP_PICKER_SWARMPLAYER && r.deadline_us != INT64_MAX &&
			    now_us > r.deadline_us && now_us - r.sent_us > 2000000)
				s->missed = true;
		} else {
			cause = late_block(s, piece, block, len);
		}
	}
	struct pk_piece_dl *d = p->state[piece] == PS_NEED ? p->dl[piece] : NULL;
	if (p->state[piece] == PS_NEED && !d)
		d = pk_dl_get(p, piece); /* unrequested but wanted: keep it */
	if (!d || (d->blk[block] & BLK_GOT)) {
		p->st.duplicate_bytes += len;
		p->st.wasted[cause] += len;
		if (why)
			*why = (enum sp_picker_waste)cause;
		return false;
	}
	if (!(d->blk[block] & BLK_NREQ)) {
		d->nfree--;
		p->free_blocks--;
	}
	d->blk[block] |= BLK_GOT;
	d->from[block] = id;
	agg_add(p, len, now_us);
	d->got++;
	p->st.received_bytes += len;
	cancel_copies(p, piece, block, origin);
	if (d->got == pk_nblocks(p, piece))
		piece_done(p, piece);
	return true;
}

bool sp_picker_block_arrived(struct sp_picker *p, uint32_t id, uint32_t piece, uint32_t offset,
			     int64_t now_us)
{
	return sp_picker_block_in(p, id, piece, offset, now_us, NULL);
}

const char *sp_picker_waste_name(enum sp_picker_waste w)
{
	static const char *const names[SP_PICKER_WASTE_COUNT] = {
		"hedge", "endgame", "rescue", "cancelled", "hash", "other"};
	return (unsigned)w < SP_PICKER_WASTE_COUNT ? names[w] : "?";
}

void sp_picker_block_rejected(struct sp_picker *p, uint32_t id, uint32_t piece, uint32_t offset)
{
	struct pk_source *s = pk_find(p, id);
	if (!s || piece >= p->cfg.num_pieces)
		return;
	int i = pk_req_find(s, piece, offset / SP_PICKER_BLOCK);
	if (i >= 0)
		pk_drop_req(p, s, (uint32_t)i, PK_NO_CANCEL);
}

bool sp_picker_piece_ready(const struct sp_picker *p, uint32_t piece)
{
	return piece < p->cfg.num_pieces && p->state[piece] == PS_READY;
}

/* Count a failure against each source that sent blocks of the piece.
 * Returns how many sources sent blocks, *first one of them. */
static uint32_t discredit(struct sp_picker *p, const struct pk_piece_dl *d, uint32_t nb,
			  uint32_t *first)
{
	uint32_t distinct = 0;
	for (uint32_t b = 0; b < nb; b++) {
		if (!(d->blk[b] & BLK_GOT))
			continue;
		bool seen = false;
		for (uint32_t c = 0; c < b && !seen; c++)
			seen = (d->blk[c] & BLK_GOT) && d->from[c] == d->from[b];
		if (seen)
			continue;
		if (!distinct++)
			*first = d->from[b];
		struct pk_source *s = pk_find(p, d->from[b]);
		if (s)
			s->hashfails++;
	}
	return distinct;
}

void sp_picker_have_piece(struct sp_picker *p, uint32_t piece)
{
	if (piece >= p->cfg.num_pieces || p->state[piece] == PS_HAVE)
		return;
	uint32_t nb = pk_nblocks(p, piece);
	for (uint32_t b = 0; b < nb; b++)
		cancel_copies(p, piece, b, PK_ORIG_NORMAL);
	struct pk_piece_dl *d = p->dl[piece];
	if (p->state[piece] == PS_NEED)
		p->free_blocks -= d ? d->nfree : nb;
	pk_dl_drop(p, piece);
	p->state[piece] = PS_HAVE;
	p->parole[piece] = 0;
	p->have_count++;
	pk_want_adjust(p, piece, -1);
	pk_order_have(p, piece, true);
}

/* Each source that sent a block of a failed piece is suspect; one that
 * sent all of it is guilty (rule 12). */
static void ban(struct sp_picker *p, struct pk_source *s)
{
	s->banned = true;
	while (s->nreq)
		pk_drop_req(p, s, s->nreq - 1, SP_PICKER_WASTE_CANCELLED);
	pk_release_parole(p, s->id);
}

/* Each source that sent a block of a failed piece is suspect; one that
 * sent all of it is guilty (rule 12). */
static void blame(struct sp_picker *p, const struct pk_piece_dl *d, uint32_t nb)
{
	uint32_t first = 0;
	uint32_t distinct = discredit(p, d, nb, &first);
	p->fails++;
	struct pk_source *s = distinct == 1 ? pk_find(p, first) : NULL;
	if (s) {
		ban(p, s);
		return;
	}
	/* the one source that sent a block of every failed piece so far (three
	 * at least) is the liar: honest ones are only sometimes beside it */
	struct pk_source *all = NULL;
	uint32_t nall = 0;
	for (uint32_t k = 0; k < p->nsrc; k++)
		if (!p->src[k]->banned && p->src[k]->hashfails == p->fails) {
			all = p->src[k];
			nall++;
		}
	if (nall == 1 && p->fails >= 3)
		ban(p, all);
}

void sp_picker_piece_failed(struct sp_picker *p, uint32_t piece)
{
	if (piece >= p->cfg.num_pieces)
		return;
	struct pk_piece_dl *d = p->dl[piece];
	uint32_t nb = pk_nblocks(p, piece);
	if (p->state[piece] == PS_HAVE) {
		p->have_count--;
		pk_want_adjust(p, piece, +1);
		pk_order_have(p, piece, false);
	} else if (d) {
		blame(p, d, nb);
		p->st.wasted[SP_PICKER_WASTE_HASH] +=
			d->got == nb ? pk_piece_len(p, piece) : (uint64_t)d->got * SP_PICKER_BLOCK;
		for (uint32_t b = 0; b < nb; b++)
			cancel_copies(p, piece, b, PK_ORIG_NORMAL);
		if (p->state[piece] == PS_NEED)
			p->free_blocks -= d->nfree;
		pk_dl_drop(p, piece);
	} else if (p->state[piece] == PS_NEED) {
		return; /* nothing of it was here */
	}
	p->state[piece] = PS_NEED;
	if (p->sh_next > piece)
		p->sh_next = piece; /* rule 15: needed again */
	p->parole[piece] = 1;
	p->free_blocks += nb;
}

void sp_picker_piece_lost(struct sp_picker *p, uint32_t piece)
{
	if (piece >= p->cfg.num_pieces || p->state[piece] != PS_READY)
		return;
	struct pk_piece_dl *d = p->dl[piece];
	uint32_t nb = pk_nblocks(p, piece);
	for (uint32_t b = 0; d && b < nb; b++)
		cancel_copies(p, piece, b, PK_ORIG_NORMAL);
	pk_dl_drop(p, piece);
	p->state[piece] = PS_NEED;
	if (p->sh_next > piece)
		p->sh_next = piece; /* rule 15: needed again */
	p->free_blocks += nb;
}

bool sp_picker_complete(const struct sp_picker *p)
{
	return p->have_count == p->cfg.num_pieces;
}

void sp_picker_get_stats(const struct sp_picker *p, struct sp_picker_stats *st)
{
	*st = p->st;
}

int64_t pk_req_timeout(const struct pk_req *r)
{
	return r->tmo_us;
}


/* Requests outstanding far beyond their expected time are lost (rule 8). */
void pk_timeouts(struct sp_picker *p, int64_t now)
{
	for (uint32_t k = 0; k < p->nsrc; k++) {
		struct pk_source *s = p->src[k];
		/* a slow source that keeps delivering loses nothing: only one
		 * quiet for a while does */
		if (now - s->progress_us <= quiet_limit(s))
			continue;
		for (uint32_t i = 0; i < s->nreq;) {
			if (now > pk_req_timeout(&s->reqs[i])) {
				pk_drop_req(p, s, i, SP_PICKER_WASTE_CANCELLED);
				p->st.timeouts++;
				s->snubbed = true;
				s->missed = true;
				pk_release_parole(p, s->id);
				continue;
			}
			i++;
		}
	}
}
