/* storage_tool.c - drives storage from the command line for script tests
 * against real clients' torrents and data (tests/storage/real-client-data.py).
 *
 *   sp-storage-tool check TORRENT DIR [full]
 *       check DIR; prints "verified N of M trusted T hashed H resume R"
 *   sp-storage-tool copy TORRENT SRC DST
 *       check SRC, then "download" every piece into DST the way the
 *       session does: 16 KiB blocks, pieces in a scrambled order, through
 *       write_block and the workers; prints "copied N of M"
 * Exit 0 on success, 1 on failure, 2 on usage errors. The main thread is
 * the storage's owner and drains its post queue. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metainfo.h"
#include "storage/postq.h"
#include "storage/storage.h"

struct ctx {
	struct sp_postq *q;
	uint32_t verified, failed, errors;
};

static void post(void *c, void (*fn)(void *), void *arg)
{
	sp_postq_post(((struct ctx *)c)->q, fn, arg);
}

static void on_verified(void *c, uint32_t p)
{
	(void)p;
	((struct ctx *)c)->verified++;
}

static void on_failed(void *c, uint32_t p)
{
	fprintf(stderr, "piece %u failed its hash\n", p);
	((struct ctx *)c)->failed++;
}

static void on_error(void *c, int code, const char *msg)
{
	fprintf(stderr, "storage error %d: %s\n", code, msg);
	((struct ctx *)c)->errors++;
}

static struct sp_storage *open_st(const struct sp_metainfo *mi, const char *dir, struct ctx *c)
{
	struct sp_storage_hooks h = {.ctx = c,
				     .post = post,
				     .on_piece_verified = on_verified,
				     .on_piece_failed = on_failed,
				     .on_error = on_error};
	struct sp_error *err = NULL;
	struct sp_storage *st = sp_storage_new(mi, dir, &h, 0, &err);
	if (!st) {
		fprintf(stderr, "%s\n", sp_error_msg(err));
		sp_error_free(err);
	}
	return st;
}

static int do_check(const struct sp_metainfo *mi, const char *dir, bool full)
{
	struct ctx c = {.q = sp_postq_new()};
	struct sp_storage *st = open_st(mi, dir, &c);
	if (!st)
		return 1;
	int n = sp_storage_check(st, full, NULL, NULL);
	struct sp_storage_check_stats cs;
	sp_storage_get_check_stats(st, &cs);
	printf("verified %d of %u trusted %u hashed %u resume %d\n", n, mi->num_pieces, cs.trusted,
	       cs.hashed, cs.resume_used);
	sp_storage_free(st);
	sp_postq_free(c.q);
	return n < 0;
}

static int copy_piece(struct sp_storage *src, struct sp_storage *dst, const struct sp_metainfo *mi,
		      uint32_t p, uint8_t *blk, struct ctx *c)
{
	uint32_t size = sp_metainfo_piece_size(mi, p);
	for (uint32_t off = 0; off < size; off += 16384) {
		uint32_t n = size - off < 16384 ? size - off : 16384;
		int rc = sp_storage_read_block(src, p, off, blk, n);
		if (rc == 0) {
			/* Wait for buffer room like a picker would. */
			while ((rc = sp_storage_write_block(dst, p, off, blk, n)) == -ENOBUFS)
				sp_postq_run(c->q, 50);
		}
		if (rc < 0) {
			fprintf(stderr, "piece %u+%u: %s\n", p, off, strerror(-rc));
			return rc;
		}
	}
	sp_postq_run(c->q, 0);
	return 0;
}

static int do_copy(const struct sp_metainfo *mi, const char *from, const char *to)
{
	struct ctx cs = {.q = sp_postq_new()}, cd = {.q = sp_postq_new()};
	struct sp_storage *src = open_st(mi, from, &cs);
	struct sp_storage *dst = src ? open_st(mi, to, &cd) : NULL;
	uint8_t *blk = malloc(16384);
	int ret = 1;
	if (!dst || !blk)
		goto out;
	if (sp_storage_check(src, false, NULL, NULL) != (int)mi->num_pieces) {
		fprintf(stderr, "source data incomplete\n");
		goto out;
	}
	/* A stride coprime with the count visits every piece once, out of
	 * order. */
	uint32_t np = mi->num_pieces, stride = 7919 % np ? 7919 : 1;
	for (uint32_t k = 0; k < np; k++)
		if (copy_piece(src, dst, mi, (uint32_t)(((uint64_t)k * stride) % np), blk, &cd) < 0)
			goto out;
	for (int i = 0; i < 600 && cd.verified + cd.failed + cd.errors < np; i++)
		sp_postq_run(cd.q, 50);
	printf("copied %u of %u failed %u errors %u\n", cd.verified, np, cd.failed, cd.errors);
	ret = cd.verified == np ? 0 : 1;
out:
	sp_storage_free(dst);
	sp_storage_free(src);
	sp_postq_free(cd.q);
	sp_postq_free(cs.q);
	free(blk);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "check") && strcmp(argv[1], "copy")) ||
	    (!strcmp(argv[1], "copy") && argc < 5)) {
		fprintf(stderr, "usage: %s check TORRENT DIR [full] | copy TORRENT SRC DST\n",
			argv[0]);
		return 2;
	}
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_metainfo_load(argv[2], &err);
	if (!mi) {
		fprintf(stderr, "%s: %s\n", argv[2], sp_error_msg(err));
		sp_error_free(err);
		return 1;
	}
	int rc = !strcmp(argv[1], "check")
			 ? do_check(mi, argv[3], argc > 4 && !strcmp(argv[4], "full"))
			 : do_copy(mi, argv[3], argv[4]);
	sp_metainfo_free(mi);
	return rc;
}
