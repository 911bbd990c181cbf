/* picker_base.c - the two baselines the simulator measures us against,
 * on the same bookkeeping as the deadline picker (timeouts, cancels on
 * seek, endgame) so that only the choice of blocks differs:
 *
 *  - sequential: every source with room asks for the first free blocks it
 *    can serve from the earliest cursor on, in piece order (then wraps to
 *    the start so that the torrent completes);
 *  - SwarmPlayer (doc/tstream-format.md): the high range (max(10 s, 5
 *    pieces), at most 50 pieces, as computed by pk_compute_windows) in
 *    order; then the mid range (4 x the high range) rarest first; then the
 *    rest rarest first. A source that once delivered a high-range block
 *    after its deadline (or let one time out) gets only mid and low pieces.
 *
 * Owner's thread. */
#include "picker/picker_int.h"

#define SCAN_MAX 8192

static bool take(struct sp_picker *p, struct pk_source *s, uint32_t piece, int64_t now)
{
	uint32_t nb = pk_nblocks(p, piece);
	if (!pk_src_may(p, s, piece))
		return true;
	for (uint32_t b = 0; b < nb && s->room; b++) {
		if (pk_blk_state(p, piece, b))
			continue;
		if (!pk_issue(p, s, piece, b, now, PK_ORIG_NORMAL))
			return false;
		s->room--;
	}
	return true;
}

static uint32_t first_cursor_piece(const struct sp_picker *p)
{
	uint64_t off = UINT64_MAX;
	for (uint32_t k = 0; k < p->nrd; k++)
		if (p->rd[k].offset < off)
			off = p->rd[k].offset;
	return off == UINT64_MAX ? 0 : (uint32_t)(off / p->cfg.piece_length);
}

void pk_next_sequential(struct sp_picker *p, int64_t now)
{
	uint32_t n = p->cfg.num_pieces, start = first_cursor_piece(p);
	for (uint32_t j = 0; j < p->nsrc; j++) {
		struct pk_source *s = p->src[(j + p->rr) % p->nsrc];
		if (s->kind == SP_SOURCE_WEBSEED && !p->ws_ordinary)
			continue; /* no deadline notion: a fallback server stays idle */
		for (uint32_t i = 0; i < n && i < SCAN_MAX && s->room; i++) {
			uint32_t pc = (start + i) % n;
			if (pk_piece_open(p, pc) && pk_src_has(s, pc) && !take(p, s, pc, now))
				return;
		}
	}
	p->rr++;
	pk_endgame(p, now);
}

/* Mid range: the 4 x high range after the high range, rarest first. */
static bool mid_range(struct sp_picker *p, struct pk_source *s, int64_t now)
{
	for (uint32_t k = 0; k < p->nrd && s->room; k++) {
		uint32_t hi_end = (uint32_t)((p->rd[k].win_end + p->cfg.piece_length - 1) /
					     p->cfg.piece_length);
		uint32_t hi_len = hi_end - (uint32_t)(p->rd[k].offset / p->cfg.piece_length);
		uint32_t end = hi_end + 4 * hi_len;
		if (end > p->cfg.num_pieces)
			end = p->cfg.num_pieces;
		while (s->room) {
			uint32_t best = UINT32_MAX;
			for (uint32_t pc = hi_end; pc < end; pc++)
				if (pk_piece_open(p, pc) && pk_src_has(s, pc) && pk_src_may(p, s, pc) &&
				    (best == UINT32_MAX || p->avail[pc] < p->avail[best]))
					best = pc;
			if (best == UINT32_MAX)
				break;
			if (!take(p, s, best, now))
				return false;
		}
	}
	return true;
}

void pk_next_swarmplayer(struct sp_picker *p, int64_t now)
{
	for (uint32_t j = 0; j < p->nsrc; j++) {
		struct pk_source *s = p->src[(j + p->rr) % p->nsrc];
		if (s->kind == SP_SOURCE_WEBSEED && !p->ws_ordinary)
			continue;
		/* high range in order, unless it missed a deadline once */
		for (uint32_t i = 0; i < p->nwin && s->room && !s->missed; i++) {
			uint32_t pc = p->wlist[i];
			if (pk_piece_open(p, pc) && pk_src_has(s, pc) && !take(p, s, pc, now))
				return;
		}
		if (!mid_range(p, s, now))
			return;
		if (s->room)
			pk_fill_rare(p, s, now, s->room);
	}
	p->rr++;
	pk_endgame(p, now);
}
