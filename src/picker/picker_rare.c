/* picker_rare.c - outside the windows: partial pieces first, then rarest
 * first (rule 6 of picker.c), and the endgame (rule 10). Partial pieces
 * are walked from a rotating start, at most PK_PARTIAL_SCAN of them per
 * source and call.
 *
 * Rarest first walks p->order, the pieces sorted by availability among
 * peers, kept sorted in O(1) per have/leave by swapping a piece to the edge
 * of its bucket; a walk stops after PK_RARE_SCAN pieces so that a call
 * stays cheap with 100k pieces. Owner's thread. */
#include "picker/picker_int.h"


/* Request up to *left free blocks of piece from s. */
static bool take_blocks(struct sp_picker *p, struct pk_source *s, uint32_t piece, int64_t now,
			uint32_t *left)
{
	uint32_t nb = pk_nblocks(p, piece);
	if (!pk_src_may(p, s, piece))
		return true;
	for (uint32_t b = 0; b < nb && *left; b++) {
		if (pk_blk_state(p, piece, b))
			continue;
		if (!pk_issue(p, s, piece, b, now, PK_ORIG_NORMAL))
			return false;
		(*left)--;
		s->room--;
		if (s->rare_room)
			s->rare_room--;
	}
	return true;
}

static bool outside(const struct sp_picker *p, uint32_t piece)
{
	return p->win_stamp[piece] != p->win_gen;
}

/* A peer that is not a seed, usable this call (rule 15). */
static bool usable_peer(const struct sp_picker *p)
{
	for (uint32_t k = 0; k < p->nsrc; k++) {
		const struct pk_source *s = p->src[k];
		if (s->kind == SP_SOURCE_PEER && !s->have_all && s->c_usable)
			return true;
	}
	return false;
}

/* A piece no peer has that s may be asked for outside the windows. */
static bool seed_piece(const struct sp_picker *p, const struct pk_source *s, uint32_t pc)
{
	return !p->avail[pc] && pk_piece_open(p, pc) && outside(p, pc) && pk_src_has(s, pc) &&
	       !pk_unwanted(p, pc);
}

/* The lowest piece of slice t (of m) above which a helper may take pieces
 * of it: its owner walks it upwards and may have asked for its
 * PK_SHARE_KEEP lowest pieces that no peer has yet. */
static uint32_t keep_below(const struct sp_picker *p, uint32_t t, uint32_t m)
{
	uint32_t n = p->cfg.num_pieces, kept = 0, i = t;
	for (uint32_t scanned = 0; i < n && scanned < PK_RARE_SCAN; i += m, scanned++)
		if (p->state[i] == PS_NEED && !p->avail[i] && ++kept == PK_SHARE_KEEP)
			return i + 1;
	return i; /* all of the slice's rest: the owner's */
}

/* Rule 15 with partners (picker_share.c): of the pieces no peer has, a
 * seed or web seed is asked for our slice's, in piece order; once none
 * is left, for the other slices' from their last piece down, the next
 * rank's slice first (each slice has one helper), but never the
 * PK_SHARE_KEEP lowest ones its owner may be fetching, unless our seeds
 * have had nothing to do for PK_SHARE_WAIT_US: a screen gone quiet
 * stalls nobody. */
static void fill_slices(struct sp_picker *p, struct pk_source *s, int64_t now, uint32_t *left)
{
	uint32_t n = p->cfg.num_pieces, m = p->sh_m, k = p->sh_k, scanned = 0;
	if (s->nreq || !p->sh_busy_known)
		p->sh_busy_us = now;
	p->sh_busy_known = true;
	while (p->sh_next < n && p->state[p->sh_next] != PS_NEED)
		p->sh_next++;
	uint32_t i = p->sh_next + (k + m - p->sh_next % m) % m;
	for (; *left && i < n && scanned < PK_RARE_SCAN; i += m, scanned++)
		if (seed_piece(p, s, i) && !take_blocks(p, s, i, now, left))
			return;
	if (i < n)
		return; /* our slice is not walked to its end: more of it later */
	bool late = now - p->sh_busy_us >= PK_SHARE_WAIT_US;
	for (uint32_t d = 1; d < m && *left; d++) {
		uint32_t t = (k + d) % m;
		if (t >= n)
			continue;
		uint32_t low = late ? t : keep_below(p, t, m);
		uint32_t top = t + (n - 1 - t) / m * m;
		for (uint32_t j = top; j >= low; j -= m) {
			if (seed_piece(p, s, j) && !take_blocks(p, s, j, now, left))
				return;
			if (!*left || j < m || ++scanned >= PK_RARE_SCAN)
				break;
		}
	}
}

void pk_fill_rare(struct sp_picker *p, struct pk_source *s, int64_t now, uint32_t limit)
{
	uint32_t left = limit > s->room ? s->room : limit;
	/* seeds and web seeds can serve pieces no partial peer has; in share
	 * mode (rule 15) only those, while a usable peer may bring the rest,
	 * and few at a time, even before a peer of the site comes (for
	 * PK_SHARE_LONE_US; with partners, always): what we asked and have not
	 * received yet is invisible to the others, who might ask it too */
	bool source = s->have_all || s->kind == SP_SOURCE_WEBSEED;
	bool share = source && p->cfg.share_seed;
	if (share && !p->sh_first_known) {
		p->sh_first_known = true;
		p->sh_first_us = now;
	}
	/* a client alone (no partner after the time screens take to find
	 * each other: a lone `download --lsd`) is not held to the cap */
	bool capped = share && (p->sh_m > 1 || now - p->sh_first_us < PK_SHARE_LONE_US);
	if (capped) {
		uint32_t cap = s->nreq < PK_SHARE_SEED_OUT ? PK_SHARE_SEED_OUT - s->nreq : 0;
		left = left < cap ? left : cap;
	}
	/* with partners, a piece a peer has comes from it, even while it
	 * chokes us: a screen of the site unchokes its LAN peers first, and
	 * the windows do not wait */
	bool slices = share && p->sh_m > 1;
	/* partial pieces first, from a rotating start so that sources spread
	 * over them; a bounded walk: there can be thousands */
	uint32_t n = p->nact, start = n ? (p->rr * 7919u + s->id) % n : 0;
	for (uint32_t j = 0; j < n && j < PK_PARTIAL_SCAN && left; j++) {
		uint32_t pc = p->act[(start + j) % n];
		if (pk_piece_open(p, pc) && outside(p, pc) && pk_src_has(s, pc) &&
		    !pk_unwanted(p, pc) && !(slices && p->avail[pc]) &&
		    !take_blocks(p, s, pc, now, &left))
			return;
	}
	if (slices) {
		fill_slices(p, s, now, &left);
		return;
	}
	uint32_t i = source ? 0 : p->bstart[1], end = p->nneed;
	if (share && usable_peer(p))
		end = p->bstart[1];
	for (uint32_t scanned = 0; left && i < end && scanned < PK_RARE_SCAN;
	     i++, scanned++) {
		uint32_t pc = p->order[i];
		if (!pk_piece_open(p, pc) || !outside(p, pc) || !pk_src_has(s, pc) ||
		    pk_unwanted(p, pc))
			continue;
		if (!take_blocks(p, s, pc, now, &left))
			return;
	}
}

/* Rule 10, at the real end only (every needed block is asked for): a
 * source with room duplicates a block whose holder would bring it clearly
 * later than it would, within the duplicate budget and spare capacity.
 * With a reader, only pieces outside every window: late window blocks are
 * rule 4's, and one on time needs no copy. */
void pk_endgame(struct sp_picker *p, int64_t now)
{
	/* A duplicate goes to a source other than the one block's only
	 * requester: with one source there is none, and the scan below
	 * (blocks x that source's requests) is the picker's top CPU cost. */
	if (p->free_blocks || p->nsrc < 2 || !pk_may_duplicate(p, SP_PICKER_BLOCK))
		return;
	for (uint32_t k = 0; k < p->nsrc; k++) {
		struct pk_source *s = p->src[k];
		if (s->kind == SP_SOURCE_WEBSEED && !p->ws_ordinary)
			continue;
		/* rule 15: with partners, a copy from outside the site costs
		 * the WAN; a slow holder's request times out instead */
		if (p->sh_m > 1 && (s->have_all || s->kind == SP_SOURCE_WEBSEED))
			continue;
		for (uint32_t i = 0; i < p->nact && s->room; i++) {
			uint32_t pc = p->act[i];
			if (p->state[pc] != PS_NEED || !pk_src_has(s, pc) || p->parole[pc] ||
			    (p->nrd && !outside(p, pc)))
				continue;
			const struct pk_piece_dl *d = p->dl[pc];
			for (uint32_t b = 0; b < pk_nblocks(p, pc) && s->room; b++) {
				uint8_t st = d->blk[b];
				uint32_t len = pk_block_len(p, pc, b);
				if ((st & BLK_GOT) || (st & BLK_NREQ) != 1 || d->holder[b] == s->id ||
				    !pk_may_duplicate(p, len))
					continue;
				const struct pk_source *h = pk_find(p, d->holder[b]);
				int64_t eta = h ? pk_blk_eta(p, pc, b, h, h->erate, now) : now;
				int64_t ts = now + (int64_t)((s->c_rtt + (s->vq + len) / s->erate) * 1e6);
				int64_t gain = (eta - now) / 4;
				if (ts >= eta - (gain > 200000 ? gain : 200000))
					continue; /* the copy would not win clearly */
				if (pk_req_find(s, pc, b) >= 0)
					continue;
				if (!pk_issue(p, s, pc, b, now, PK_ORIG_ENDGAME))
					return;
				s->room--;
				s->vq += len;
			}
		}
	}
}
