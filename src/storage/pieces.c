/* pieces.c - assembling pieces from blocks, hashing them on the workers,
 * writing the good ones.
 *
 * Invariants: a piece's buffer lives in st->bufs[piece] from its first
 * block until its completion runs on the owner's thread; while `hashing`
 * it belongs to the worker and the owner neither writes nor frees it.
 * A piece is marked verified only after every byte of it is on disk, so a
 * write error (disk full, EIO) loses nothing that was verified before.
 * Threads: write_block/drop_piece and completions on the owner's thread;
 * verify_job on a worker. */
#include "storage/storage_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/sha1.h"

#define MAX_RANGES 4096
#define SAVE_EVERY_PIECES 32
#define SAVE_EVERY_US (10 * 1000000LL)

enum outcome { OUT_VERIFIED, OUT_FAILED, OUT_IO_ERROR };

struct job {
	struct sp_storage *st;
	struct sp_pbuf *pb;
	enum outcome outcome;
	int code;
	char msg[512];
};

static void pbuf_free(struct sp_pbuf *pb)
{
	if (!pb)
		return;
	free(pb->data);
	free(pb->ranges);
	free(pb);
}

bool sp_storage_piece_hash_ok(const struct sp_storage *st, uint32_t piece, const uint8_t h[20])
{
	return !memcmp(st->mi->piece_hashes + (size_t)piece * SP_SHA1_LEN, h, SP_SHA1_LEN);
}

bool sp_storage_hash_from_disk(struct sp_storage *st, uint32_t piece, uint8_t *scratch,
			       uint8_t out[20])
{
	uint32_t size = sp_st_piece_size(st->mi, piece);
	if (sp_storage_io_read(st, (uint64_t)piece * st->mi->piece_length, scratch, size, NULL,
			       0) < 0)
		return false;
	sp_sha1(scratch, size, out);
	return true;
}

/* Add [a, b) to the sorted, merged range list. */
static int add_range(struct sp_pbuf *pb, uint32_t a, uint32_t b)
{
	uint32_t i = 0;
	while (i < pb->nranges && pb->ranges[i].end < a)
		i++;
	uint32_t j = i;
	while (j < pb->nranges && pb->ranges[j].start <= b) {
		if (pb->ranges[j].start < a)
			a = pb->ranges[j].start;
		if (pb->ranges[j].end > b)
			b = pb->ranges[j].end;
		j++;
	}
	if (i == j) { /* insert at i */
		if (pb->nranges == pb->cap_ranges) {
			if (pb->cap_ranges >= MAX_RANGES)
				return -ENOBUFS;
			uint32_t cap = pb->cap_ranges ? 2 * pb->cap_ranges : 8;
			struct sp_range *r = realloc(pb->ranges, cap * sizeof(*r));
			if (!r)
				return -ENOMEM;
			pb->ranges = r;
			pb->cap_ranges = cap;
		}
		memmove(pb->ranges + i + 1, pb->ranges + i,
			(pb->nranges - i) * sizeof(*pb->ranges));
		pb->nranges++;
	} else if (j - i > 1) { /* ranges i..j-1 collapse into i */
		memmove(pb->ranges + i + 1, pb->ranges + j,
			(pb->nranges - j) * sizeof(*pb->ranges));
		pb->nranges -= j - i - 1;
	}
	pb->ranges[i] = (struct sp_range){a, b};
	return 0;
}

static void post_error(struct sp_storage *st, const struct job *j)
{
	SP_ERROR("storage", "piece %u: %s", j->pb->piece, j->msg);
	if (st->hooks.on_error)
		st->hooks.on_error(st->hooks.ctx, j->code, j->msg);
}

/* Owner's thread. */
static void verify_done(void *arg)
{
	struct job *j = arg;
	struct sp_storage *st = j->st;
	uint32_t piece = j->pb->piece;
	if (!atomic_load(&st->closed)) {
		st->bufs[piece] = NULL;
		st->buffered -= j->pb->size;
		switch (j->outcome) {
		case OUT_VERIFIED:
			st->verified_since_save++;
			if (st->hooks.on_piece_verified)
				st->hooks.on_piece_verified(st->hooks.ctx, piece);
			sp_storage_maybe_save(st);
			break;
		case OUT_FAILED:
			if (st->hooks.on_piece_failed)
				st->hooks.on_piece_failed(st->hooks.ctx, piece);
			break;
		case OUT_IO_ERROR:
			post_error(st, j);
			if (st->hooks.on_piece_lost)
				st->hooks.on_piece_lost(st->hooks.ctx, piece, j->code);
			break;
		}
	} else {
		st->bufs[piece] = NULL;
	}
	pbuf_free(j->pb);
	free(j);
	sp_storage_unref(st);
}

/* Worker thread. */
static void verify_job(void *arg)
{
	struct job *j = arg;
	struct sp_storage *st = j->st;
	struct sp_pbuf *pb = j->pb;
	uint8_t h[SP_SHA1_LEN];
	sp_sha1(pb->data, pb->size, h);
	if (!sp_storage_piece_hash_ok(st, pb->piece, h)) {
		j->outcome = OUT_FAILED;
	} else {
		int rc = sp_storage_io_write(st, (uint64_t)pb->piece * st->mi->piece_length,
					     pb->data, pb->size, j->msg, sizeof(j->msg));
		if (rc < 0) {
			j->outcome = OUT_IO_ERROR;
			j->code = rc;
		} else {
			j->outcome = OUT_VERIFIED;
			sp_storage_mark_verified(st, pb->piece, true);
		}
	}
	/* The buffer is not needed by the completion but freeing it here
	 * would race with the owner's bufs[] slot; free it there. */
	st->hooks.post(st->hooks.ctx, verify_done, j);
}

static int start_verify(struct sp_storage *st, struct sp_pbuf *pb)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->st = st;
	j->pb = pb;
	pb->hashing = true;
	sp_storage_ref(st);
	int rc = sp_hashpool_submit(st->pool, verify_job, j);
	if (rc < 0) {
		pb->hashing = false;
		free(j);
		sp_storage_unref(st);
	}
	return rc;
}

static struct sp_pbuf *pbuf_get(struct sp_storage *st, uint32_t piece, int *rc)
{
	struct sp_pbuf *pb = st->bufs[piece];
	if (pb)
		return pb;
	uint32_t size = sp_st_piece_size(st->mi, piece);
	if (st->buffered + size > st->buffer_cap) {
		*rc = -ENOBUFS;
		return NULL;
	}
	pb = calloc(1, sizeof(*pb));
	if (pb)
		pb->data = malloc(size);
	if (!pb || !pb->data) {
		free(pb);
		*rc = -ENOMEM;
		return NULL;
	}
	pb->piece = piece;
	pb->size = size;
	st->bufs[piece] = pb;
	st->buffered += size;
	return pb;
}

int sp_storage_write_block(struct sp_storage *st, uint32_t piece, uint32_t offset,
			   const void *data, uint32_t len)
{
	if (atomic_load(&st->closed) || !st->pool)
		return -ESHUTDOWN;
	if (piece >= st->mi->num_pieces || !len ||
	    (uint64_t)offset + len > sp_st_piece_size(st->mi, piece))
		return -EINVAL;
	if (sp_storage_have(st, piece))
		return -EEXIST;
	sp_storage_rate_mark(st);
	int rc = 0;
	struct sp_pbuf *pb = pbuf_get(st, piece, &rc);
	if (!pb)
		return rc;
	if (pb->hashing)
		return -EBUSY;
	rc = add_range(pb, offset, offset + len);
	if (rc < 0)
		return rc;
	memcpy(pb->data + offset, data, len);
	if (pb->nranges == 1 && pb->ranges[0].start == 0 && pb->ranges[0].end == pb->size)
		return start_verify(st, pb);
	return 0;
}

void sp_storage_drop_piece(struct sp_storage *st, uint32_t piece)
{
	if (piece >= st->mi->num_pieces)
		return;
	struct sp_pbuf *pb = st->bufs[piece];
	if (!pb || pb->hashing)
		return;
	st->bufs[piece] = NULL;
	st->buffered -= pb->size;
	pbuf_free(pb);
}

bool sp_storage_piece_pending(const struct sp_storage *st, uint32_t piece)
{
	return piece < st->mi->num_pieces && st->bufs[piece] && st->bufs[piece]->hashing;
}

/* ---- periodic resume saves, on a worker ---- */

static void save_job(void *arg)
{
	struct sp_storage *st = arg;
	int rc = sp_resume_save(st);
	if (rc < 0)
		SP_WARN("storage", "saving resume state failed: %s", strerror(-rc));
	atomic_store(&st->save_pending, false);
	sp_storage_unref(st);
}

void sp_storage_maybe_save(struct sp_storage *st)
{
	int64_t now = sp_now_us();
	if (!st->verified_since_save ||
	    (st->verified_since_save < SAVE_EVERY_PIECES && now - st->last_save_us < SAVE_EVERY_US))
		return;
	sp_storage_request_save(st);
}

void sp_storage_request_save(struct sp_storage *st)
{
	if (atomic_load(&st->closed) || !st->pool || atomic_exchange(&st->save_pending, true))
		return;
	st->verified_since_save = 0;
	st->last_save_us = sp_now_us();
	sp_storage_ref(st);
	if (sp_hashpool_submit(st->pool, save_job, st) < 0) {
		atomic_store(&st->save_pending, false);
		sp_storage_unref(st);
	}
}
