/* st_helpers.h - shared by the storage tests: metainfo built by hand (the
 * tests do not depend on the .torrent parser), deterministic piece data,
 * temp directories, and hooks that record what storage reported. The
 * owner's thread is the test's main thread, which drains an sp_postq. */
#ifndef SP_TEST_ST_HELPERS_H
#define SP_TEST_ST_HELPERS_H

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/metainfo.h"
#include "core/sha1.h"
#include "harness.h"
#include "storage/postq.h"
#include "storage/storage.h"

struct tfile {
	const char *path;
	uint64_t length;
	bool pad;
};

struct tmi {
	struct sp_metainfo mi;
	uint8_t *data; /* the torrent's bytes (pads are zeros) */
	uint8_t *hashes;
};

static inline uint64_t tmi_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline struct tmi *tmi_new(uint32_t piece_len, const struct tfile *files, size_t n,
				  uint64_t seed)
{
	struct tmi *t = calloc(1, sizeof(*t));
	struct sp_metainfo *mi = &t->mi;
	mi->files = calloc(n, sizeof(*mi->files));
	mi->num_files = n;
	mi->multi_file = n > 1;
	mi->name = strdup("t");
	for (size_t i = 0; i < n; i++) {
		mi->files[i].path = strdup(files[i].path);
		mi->files[i].length = files[i].length;
		mi->files[i].offset = mi->total_length;
		mi->files[i].is_pad = files[i].pad;
		mi->total_length += files[i].length;
	}
	mi->piece_length = piece_len;
	mi->num_pieces = (uint32_t)((mi->total_length + piece_len - 1) / piece_len);
	t->data = malloc(mi->total_length ? mi->total_length : 1);
	uint64_t s = seed | 1;
	for (uint64_t k = 0; k < mi->total_length; k++)
		t->data[k] = (uint8_t)tmi_rand(&s);
	for (size_t i = 0; i < n; i++)
		if (files[i].pad)
			memset(t->data + mi->files[i].offset, 0, files[i].length);
	t->hashes = malloc((size_t)mi->num_pieces * SP_SHA1_LEN + 1);
	for (uint32_t p = 0; p < mi->num_pieces; p++) {
		uint64_t a = (uint64_t)p * piece_len;
		uint64_t len = mi->total_length - a < piece_len ? mi->total_length - a : piece_len;
		sp_sha1(t->data + a, len, t->hashes + (size_t)p * SP_SHA1_LEN);
	}
	mi->piece_hashes = t->hashes;
	for (int k = 0; k < SP_INFOHASH_LEN; k++)
		mi->info_hash[k] = (uint8_t)tmi_rand(&s);
	sp_hex(mi->info_hash, SP_INFOHASH_LEN, mi->info_hash_hex);
	return t;
}

static inline void tmi_free(struct tmi *t)
{
	for (size_t i = 0; i < t->mi.num_files; i++)
		free(t->mi.files[i].path);
	free(t->mi.files);
	free(t->mi.name);
	free(t->data);
	free(t->hashes);
	free(t);
}

static inline uint32_t tmi_psize(const struct tmi *t, uint32_t p)
{
	uint64_t a = (uint64_t)p * t->mi.piece_length;
	return (uint32_t)(t->mi.total_length - a < t->mi.piece_length ? t->mi.total_length - a
								       : t->mi.piece_length);
}

/* ---- temp dirs ---- */

static inline int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	remove(p);
	return 0;
}

static inline char *tdir_new(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *d = malloc(strlen(base) + 32);
	if (!d)
		SP_FAIL("out of memory");
	sprintf(d, "%s/sp-storage-XXXXXX", base);
	if (!mkdtemp(d))
		SP_FAIL("mkdtemp: %s", strerror(errno));
	return d;
}

static inline void tdir_free(char *d)
{
	nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
}

/* ---- recording hooks ---- */

#define REC_MAX 4096
struct rec {
	struct sp_postq *q;
	int verified, failed, errors, lost;
	uint32_t verified_list[REC_MAX];
	uint32_t failed_list[REC_MAX];
	int last_code;
	char last_msg[512];
};

static inline void rec_verified(void *ctx, uint32_t p)
{
	struct rec *r = ctx;
	if (r->verified < REC_MAX)
		r->verified_list[r->verified] = p;
	r->verified++;
}

static inline void rec_failed(void *ctx, uint32_t p)
{
	struct rec *r = ctx;
	if (r->failed < REC_MAX)
		r->failed_list[r->failed] = p;
	r->failed++;
}

static inline void rec_error(void *ctx, int code, const char *msg)
{
	struct rec *r = ctx;
	r->errors++;
	r->last_code = code;
	snprintf(r->last_msg, sizeof(r->last_msg), "%s", msg);
}

static inline void rec_lost(void *ctx, uint32_t p, int code)
{
	struct rec *r = ctx;
	(void)p, (void)code;
	r->lost++;
}

static inline void rec_post(void *ctx, void (*fn)(void *), void *arg)
{
	sp_postq_post(((struct rec *)ctx)->q, fn, arg);
}

static inline struct sp_storage_hooks rec_hooks(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->q = sp_postq_new();
	return (struct sp_storage_hooks){.ctx = r,
					 .post = rec_post,
					 .on_piece_verified = rec_verified,
					 .on_piece_failed = rec_failed,
					 .on_error = rec_error,
					 .on_piece_lost = rec_lost};
}

/* Drain completions until *count reaches want (or 10 s pass). */
static inline void rec_wait(struct rec *r, const int *count, int want)
{
	for (int i = 0; i < 200 && *count < want; i++)
		sp_postq_run(r->q, 50);
	if (*count < want)
		SP_FAIL("timed out: %d of %d events", *count, want);
}

/* Drain until nothing arrives for a moment (all jobs done). */
static inline void rec_settle(struct rec *r)
{
	while (sp_postq_run(r->q, 100) > 0)
		;
}

/* Feed piece p in blocks of blk bytes (last may be short). */
static inline void feed_piece(struct sp_storage *st, const struct tmi *t, uint32_t p, uint32_t blk)
{
	uint32_t size = tmi_psize(t, p);
	const uint8_t *d = t->data + (uint64_t)p * t->mi.piece_length;
	for (uint32_t off = 0; off < size; off += blk) {
		uint32_t n = size - off < blk ? size - off : blk;
		SP_CHECK_INT(sp_storage_write_block(st, p, off, d + off, n), 0);
	}
}

static inline uint8_t *read_file(const char *dir, const char *rel, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(n ? (size_t)n : 1);
	*len = fread(b, 1, (size_t)n, f);
	fclose(f);
	return b;
}

#endif
