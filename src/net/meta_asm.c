/* meta_asm.c - a magnet's info dictionary from BEP 9 pieces, with blame
 * (the rules are in meta_asm.h). Pure; the caller's thread.
 *
 * Invariants: got[i] means buf holds piece i as sent by from[i] in this
 * round; in round "single" every piece taken came from the host whose
 * turn it is; an ask is consumed by the answer it allows, so one request
 * lets one piece in. */
#include "net/meta_asm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha1.h"

struct ask {
	struct sp_host h;
	int64_t at_us; /* 0: empty slot */
};

struct sp_meta_asm {
	uint32_t size, npieces, ngot;
	uint8_t ih[SP_SHA1_LEN];
	uint8_t *buf, *got;
	struct sp_host *from;
	struct ask *asks;      /* npieces x SP_META_ASM_ASKS */
	int64_t *last_ask_us;  /* per piece: when last asked of anyone */
	/* the mixed round that did not match, kept to blame its senders */
	uint8_t *old;
	struct sp_host *old_from;
	/* round "single" */
	bool single, turn_set, done;
	struct sp_host turn;
	int64_t turn_us;       /* the turn began, or its last piece */
	int64_t turn_free_us;  /* nobody's turn since */
	struct sp_host tried[SP_META_ASM_TRIED];
	unsigned ntried, tried_next;
	struct sp_host liars[SP_META_ASM_LIARS];
	size_t nliars;
};

static uint32_t piece_len(const struct sp_meta_asm *a, uint32_t i)
{
	uint32_t off = i * SP_META_ASM_PIECE;
	return a->size - off < SP_META_ASM_PIECE ? a->size - off : SP_META_ASM_PIECE;
}

struct sp_meta_asm *sp_meta_asm_new(uint32_t size, const uint8_t info_hash[20])
{
	if (size == 0 || size > SP_META_ASM_MAX)
		return NULL;
	struct sp_meta_asm *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->size = size;
	a->npieces = (size + SP_META_ASM_PIECE - 1) / SP_META_ASM_PIECE;
	memcpy(a->ih, info_hash, SP_SHA1_LEN);
	a->buf = malloc(size);
	a->got = calloc(a->npieces, 1);
	a->from = calloc(a->npieces, sizeof(*a->from));
	a->asks = calloc((size_t)a->npieces * SP_META_ASM_ASKS, sizeof(*a->asks));
	a->last_ask_us = calloc(a->npieces, sizeof(*a->last_ask_us));
	if (!a->buf || !a->got || !a->from || !a->asks || !a->last_ask_us) {
		sp_meta_asm_free(a);
		return NULL;
	}
	return a;
}

void sp_meta_asm_free(struct sp_meta_asm *a)
{
	if (!a)
		return;
	free(a->buf);
	free(a->got);
	free(a->from);
	free(a->asks);
	free(a->last_ask_us);
	free(a->old);
	free(a->old_from);
	free(a);
}

uint32_t sp_meta_asm_size(const struct sp_meta_asm *a)
{
	return a->size;
}

uint32_t sp_meta_asm_npieces(const struct sp_meta_asm *a)
{
	return a->npieces;
}

bool sp_meta_asm_single(const struct sp_meta_asm *a)
{
	return a->single;
}

const uint8_t *sp_meta_asm_bytes(const struct sp_meta_asm *a)
{
	return a->done ? a->buf : NULL;
}

size_t sp_meta_asm_liars(const struct sp_meta_asm *a, struct sp_host *out, size_t max)
{
	size_t n = a->nliars < max ? a->nliars : max;
	memcpy(out, a->liars, n * sizeof(*out));
	return n;
}

/* A new round: nothing taken, nothing asked (a late answer to an ask of
 * the last round is unasked now). */
static void restart(struct sp_meta_asm *a)
{
	memset(a->got, 0, a->npieces);
	memset(a->asks, 0, (size_t)a->npieces * SP_META_ASM_ASKS * sizeof(*a->asks));
	memset(a->last_ask_us, 0, a->npieces * sizeof(*a->last_ask_us));
	a->ngot = 0;
}

static void add_liar(struct sp_meta_asm *a, const struct sp_host *h)
{
	for (size_t i = 0; i < a->nliars; i++)
		if (sp_host_eq(&a->liars[i], h))
			return;
	if (a->nliars < SP_META_ASM_LIARS)
		a->liars[a->nliars++] = *h;
}

static bool was_tried(const struct sp_meta_asm *a, const struct sp_host *h)
{
	for (unsigned i = 0; i < a->ntried; i++)
		if (sp_host_eq(&a->tried[i], h))
			return true;
	return false;
}

static void end_turn(struct sp_meta_asm *a, int64_t now_us)
{
	if (!was_tried(a, &a->turn)) {
		a->tried[a->tried_next] = a->turn;
		a->tried_next = (a->tried_next + 1) % SP_META_ASM_TRIED;
		if (a->ntried < SP_META_ASM_TRIED)
			a->ntried++;
	}
	a->turn_set = false;
	a->turn_free_us = now_us;
	restart(a);
}

/* Round "single": may h ask now? A host that had its turn gets another
 * only when nobody fresh took the free turn for a retry period. */
static bool my_turn(struct sp_meta_asm *a, const struct sp_host *h, int64_t now_us)
{
	if (a->turn_set && !sp_host_eq(&a->turn, h) && now_us - a->turn_us > SP_META_ASM_TURN_US)
		end_turn(a, now_us); /* silent: its turn is over */
	if (a->turn_set)
		return sp_host_eq(&a->turn, h);
	if (was_tried(a, h) && now_us - a->turn_free_us < SP_META_ASM_RETRY_US)
		return false;
	a->turn_set = true;
	a->turn = *h;
	a->turn_us = now_us;
	restart(a);
	return true;
}

static void note_ask(struct sp_meta_asm *a, uint32_t i, const struct sp_host *h, int64_t now_us)
{
	struct ask *s = &a->asks[(size_t)i * SP_META_ASM_ASKS], *slot = &s[0];
	for (int k = 0; k < SP_META_ASM_ASKS; k++) {
		if (sp_host_eq(&s[k].h, h) || !s[k].at_us) {
			slot = &s[k];
			break;
		}
		if (s[k].at_us < slot->at_us)
			slot = &s[k]; /* the oldest goes */
	}
	slot->h = *h;
	slot->at_us = now_us ? now_us : 1;
	a->last_ask_us[i] = slot->at_us;
}

/* Consume h's ask for piece i; false if it had none. */
static bool take_ask(struct sp_meta_asm *a, uint32_t i, const struct sp_host *h)
{
	struct ask *s = &a->asks[(size_t)i * SP_META_ASM_ASKS];
	for (int k = 0; k < SP_META_ASM_ASKS; k++)
		if (s[k].at_us && sp_host_eq(&s[k].h, h)) {
			s[k].at_us = 0;
			return true;
		}
	return false;
}

int64_t sp_meta_asm_next(struct sp_meta_asm *a, const struct sp_host *h, int64_t now_us)
{
	if (a->done || (a->single && !my_turn(a, h, now_us)))
		return -1;
	for (uint32_t i = 0; i < a->npieces; i++) {
		if (a->got[i] || (a->last_ask_us[i] && now_us - a->last_ask_us[i] < SP_META_ASM_RETRY_US))
			continue;
		note_ask(a, i, h, now_us);
		return i;
	}
	return -1;
}

void sp_meta_asm_reject(struct sp_meta_asm *a, const struct sp_host *h, int64_t piece)
{
	if (a->done || piece < 0 || (uint64_t)piece >= a->npieces || !take_ask(a, (uint32_t)piece, h))
		return;
	a->last_ask_us[piece] = 0; /* free for another host */
	if (a->single && a->turn_set && sp_host_eq(&a->turn, h))
		end_turn(a, a->turn_us); /* it lacks the whole: next host */
}

/* The whole is in and wrong: blame (see meta_asm.h) and start again. */
static void mismatch(struct sp_meta_asm *a, int64_t now_us)
{
	bool one = true;
	for (uint32_t i = 1; i < a->npieces && one; i++)
		one = sp_host_eq(&a->from[i], &a->from[0]);
	if (one) {
		add_liar(a, &a->from[0]);
		if (a->single && a->turn_set)
			end_turn(a, now_us - SP_META_ASM_RETRY_US); /* anyone next */
		restart(a);
		return;
	}
	/* mixed senders (round "mixed" only): keep them, one host at a time */
	if (!a->old)
		a->old = malloc(a->size);
	if (!a->old_from)
		a->old_from = calloc(a->npieces, sizeof(*a->old_from));
	if (a->old && a->old_from) {
		memcpy(a->old, a->buf, a->size);
		memcpy(a->old_from, a->from, a->npieces * sizeof(*a->from));
	}
	a->single = true;
	a->turn_set = false;
	a->turn_free_us = now_us - SP_META_ASM_RETRY_US;
	restart(a);
}

/* Right at last: each piece of the kept mixed round that differs names
 * its sender. */
static void blame_old(struct sp_meta_asm *a)
{
	if (!a->old || !a->old_from)
		return;
	for (uint32_t i = 0; i < a->npieces; i++) {
		size_t off = (size_t)i * SP_META_ASM_PIECE;
		if (sp_host_is_set(&a->old_from[i]) &&
		    memcmp(a->old + off, a->buf + off, piece_len(a, i)))
			add_liar(a, &a->old_from[i]);
	}
}

int sp_meta_asm_data(struct sp_meta_asm *a, const struct sp_host *h, int64_t piece,
		     const uint8_t *data, size_t len, int64_t now_us)
{
	if (a->done)
		return SP_META_ASM_UNASKED;
	if (piece < 0 || (uint64_t)piece >= a->npieces)
		return -EPROTO;
	uint32_t i = (uint32_t)piece;
	if (!take_ask(a, i, h))
		return SP_META_ASM_UNASKED;
	if (len != piece_len(a, i))
		return -EPROTO;
	if (a->got[i])
		return SP_META_ASM_MORE;
	a->nliars = 0;
	memcpy(a->buf + (size_t)i * SP_META_ASM_PIECE, data, len);
	a->got[i] = 1;
	a->from[i] = *h;
	if (a->single)
		a->turn_us = now_us;
	if (++a->ngot < a->npieces)
		return SP_META_ASM_MORE;
	uint8_t md[SP_SHA1_LEN];
	sp_sha1(a->buf, a->size, md);
	if (memcmp(md, a->ih, SP_SHA1_LEN)) {
		mismatch(a, now_us);
		return SP_META_ASM_MISMATCH;
	}
	a->done = true;
	blame_old(a);
	return SP_META_ASM_DONE;
}
