/* picker_check.c - the picker's bookkeeping invariants, checked in full.
 *
 * O(pieces x blocks + requests): for the unit tests and the simulator,
 * which call it after every event and sp_picker_next(); the session never
 * does. Returns 0 or the number of the first invariant broken, so that a
 * failing test names it. Owner's thread. */
#include "picker/picker_int.h"

#include <stdlib.h>

/* 1-2: per piece, free and received block counts match the block states. */
static int check_pieces(const struct sp_picker *p, uint64_t *free_sum)
{
	for (uint32_t pc = 0; pc < p->cfg.num_pieces; pc++) {
		const struct pk_piece_dl *d = p->dl[pc];
		uint32_t nb = pk_nblocks(p, pc);
		if (p->state[pc] == PS_HAVE && d)
			return 1; /* a piece we have keeps no download state */
		if (!d) {
			if (p->state[pc] == PS_NEED)
				*free_sum += nb;
			continue;
		}
		uint32_t nfree = 0, got = 0;
		for (uint32_t b = 0; b < nb; b++) {
			nfree += d->blk[b] == 0;
			got += (d->blk[b] & BLK_GOT) != 0;
		}
		if (got != d->got)
			return 2;
		if (p->state[pc] == PS_NEED) {
			if (nfree != d->nfree)
				return 2;
			*free_sum += nfree;
		}
	}
	return 0;
}

/* 4-7: every request is counted once in its block's state; no source
 * asks twice for one block; at most PK_MAX_COPIES copies; none for a
 * piece we have; a banned source holds none. */
static int check_requests(const struct sp_picker *p)
{
	uint32_t total = 0;
	for (uint32_t k = 0; k < p->nsrc; k++) {
		const struct pk_source *s = p->src[k];
		total += s->nreq;
		if (s->banned && s->nreq)
			return 7;
		for (uint32_t i = 0; i < s->nreq; i++) {
			const struct pk_req *r = &s->reqs[i];
			if (r->piece >= p->cfg.num_pieces || p->state[r->piece] == PS_HAVE ||
			    !p->dl[r->piece])
				return 6;
			uint8_t st = p->dl[r->piece]->blk[r->block];
			if ((st & BLK_NREQ) == 0 || (st & BLK_NREQ) > PK_MAX_COPIES)
				return 5;
			for (uint32_t j = i + 1; j < s->nreq; j++)
				if (s->reqs[j].piece == r->piece && s->reqs[j].block == r->block)
					return 5;
		}
	}
	if (total != p->st.outstanding)
		return 4;
	/* each block's count is exactly its requests */
	for (uint32_t i = 0; i < p->nact; i++) {
		uint32_t pc = p->act[i];
		const struct pk_piece_dl *d = p->dl[pc];
		if (!d)
			return 6;
		for (uint32_t b = 0; b < pk_nblocks(p, pc); b++) {
			uint32_t n = 0;
			for (uint32_t k = 0; k < p->nsrc; k++)
				for (uint32_t j = 0; j < p->src[k]->nreq; j++)
					n += p->src[k]->reqs[j].piece == pc &&
					     p->src[k]->reqs[j].block == b;
			if (n != (d->blk[b] & BLK_NREQ))
				return 5;
		}
	}
	return 0;
}

/* 8-9: the availability order: a permutation, the needed part first,
 * sorted by availability within it. */
static int check_order(const struct sp_picker *p)
{
	uint32_t need = 0;
	for (uint32_t i = 0; i < p->cfg.num_pieces; i++) {
		uint32_t pc = p->order[i];
		if (p->pos[pc] != i)
			return 8;
		need += p->state[i] != PS_HAVE;
	}
	if (need != p->nneed)
		return 8;
	for (uint32_t i = 1; i < p->nneed; i++)
		if (p->avail[p->order[i - 1]] > p->avail[p->order[i]])
			return 9;
	return 0;
}

int pk_check_invariants(const struct sp_picker *p)
{
	uint64_t free_sum = 0;
	int r = check_pieces(p, &free_sum);
	if (r)
		return r;
	if (free_sum != p->free_blocks)
		return 3;
	r = check_requests(p);
	return r ? r : check_order(p);
}

int sp_picker_check(const struct sp_picker *p)
{
	return p ? pk_check_invariants(p) : 0;
}
