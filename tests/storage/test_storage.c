/* test_storage.c - storage: file mapping, piece verification, resume
 * state, path safety and disk errors. Pure disk I/O in a temp dir, a few
 * hundred KiB; the test's main thread is storage's owner thread. */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "st_helpers.h"

/* A piece spanning three real files and a pad file, a file smaller than a
 * piece, an odd last piece. Piece length 4096. */
static const struct tfile layout[] = {
	{"t/a.bin", 5000, false},         /* pieces 0-1 */
	{"t/b.bin", 100, false},          /* smaller than a piece, inside piece 1 */
	{"t/.pad/924", 924, true},        /* BEP 47 pad, inside piece 1 */
	{"t/sub/c.bin", 7000, false},     /* pieces 1-3 */
	{"t/d.bin", 3, false},            /* last piece is 3 bytes past a boundary */
	{"t/empty.txt", 0, false},
};
#define NLAYOUT (sizeof(layout) / sizeof(layout[0]))

struct fixture {
	struct tmi *t;
	char *dir;
	struct rec rec;
	struct sp_storage_hooks hooks;
	struct sp_storage *st;
};

static void fx_open(struct fixture *fx)
{
	struct sp_error *err = NULL;
	fx->hooks = rec_hooks(&fx->rec);
	fx->st = sp_storage_new(&fx->t->mi, fx->dir, &fx->hooks, 2, &err);
	if (!fx->st)
		SP_FAIL("sp_storage_new: %s", sp_error_msg(err));
}

static void fx_close(struct fixture *fx)
{
	sp_storage_free(fx->st);
	rec_settle(&fx->rec);
	sp_postq_free(fx->rec.q);
	fx->st = NULL;
}

static void fx_init(struct fixture *fx, uint64_t seed)
{
	fx->t = tmi_new(4096, layout, NLAYOUT, seed);
	fx->dir = tdir_new();
	fx_open(fx);
}

static void fx_fini(struct fixture *fx)
{
	if (fx->st)
		fx_close(fx);
	tdir_free(fx->dir);
	tmi_free(fx->t);
}

static void check_file(struct fixture *fx, size_t i)
{
	size_t len = 0;
	uint8_t *b = read_file(fx->dir, layout[i].path, &len);
	if (!b)
		SP_FAIL("%s missing", layout[i].path);
	SP_CHECK_UINT(len, layout[i].length);
	SP_CHECK_MEM(b, fx->t->data + fx->t->mi.files[i].offset, len);
	free(b);
}

static bool exists(const char *dir, const char *rel)
{
	char p[8400];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	struct stat sb;
	return lstat(p, &sb) == 0;
}

SP_TEST(geometry)
{
	struct tmi *t = tmi_new(4096, layout, NLAYOUT, 1);
	SP_CHECK_UINT(t->mi.total_length, 13027);
	SP_CHECK_UINT(t->mi.num_pieces, 4);
	SP_CHECK_UINT(tmi_psize(t, 3), 13027 - 3 * 4096);
	tmi_free(t);
}

SP_TEST(multi_file_mapping_and_pads)
{
	struct fixture fx = {0};
	fx.t = tmi_new(4096, layout, NLAYOUT, 7);
	fx.t->mi.files[4].executable = true; /* BEP 47 attr 'x' */
	fx.dir = tdir_new();
	fx_open(&fx);
	/* Out of order, odd block sizes, overlapping duplicates. */
	uint32_t order[] = {2, 0, 3, 1};
	for (int k = 0; k < 4; k++)
		feed_piece(fx.st, fx.t, order[k], 1000);
	/* Being hashed, or (if the worker was quick) verified already. */
	int rc = sp_storage_write_block(fx.st, 1, 0, fx.t->data + 4096, 10);
	SP_CHECK(rc == -EBUSY || rc == -EEXIST);
	rec_wait(&fx.rec, &fx.rec.verified, 4);
	SP_CHECK_INT(fx.rec.failed, 0);
	SP_CHECK_INT(fx.rec.errors, 0);
	SP_CHECK_UINT(sp_storage_have_count(fx.st), 4);
	SP_CHECK_UINT(sp_storage_buffered(fx.st), 0);
	for (size_t i = 0; i < NLAYOUT; i++)
		if (!layout[i].pad)
			check_file(&fx, i);
	SP_CHECK(!exists(fx.dir, "t/.pad"));
	struct stat sb;
	char xp[4200];
	snprintf(xp, sizeof(xp), "%s/t/d.bin", fx.dir);
	SP_CHECK(stat(xp, &sb) == 0 && (sb.st_mode & 0100));
	snprintf(xp, sizeof(xp), "%s/t/a.bin", fx.dir);
	SP_CHECK(stat(xp, &sb) == 0 && !(sb.st_mode & 0100));
	SP_CHECK(exists(fx.dir, "t/empty.txt"));
	/* Reads across the file boundaries, the pad reading as zeros. */
	uint8_t buf[13027];
	SP_CHECK_INT(sp_storage_pread(fx.st, 0, buf, sizeof(buf)), 13027);
	SP_CHECK_MEM(buf, fx.t->data, 13027);
	SP_CHECK_INT(sp_storage_read_block(fx.st, 1, 900, buf, 2000), 0);
	SP_CHECK_MEM(buf, fx.t->data + 4096 + 900, 2000);
	SP_CHECK_INT(sp_storage_read_block(fx.st, 3, 0, buf, 3), 0);
	SP_CHECK_MEM(buf, fx.t->data + 3 * 4096, 3);
	SP_CHECK_INT(sp_storage_read_block(fx.st, 3, 0, buf, 4000), -EINVAL);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 2, 0, buf, 16), -EEXIST);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 4, 0, buf, 16), -EINVAL);
	SP_CHECK_INT(sp_storage_pread(fx.st, 13027, buf, 10), 0);
	uint8_t bits[1];
	sp_storage_copy_bitfield(fx.st, bits, 1);
	SP_CHECK_UINT(bits[0], 0xf0);
	fx_fini(&fx);
}

SP_TEST(unverified_bytes_never_readable)
{
	struct fixture fx = {0};
	fx_init(&fx, 8);
	feed_piece(fx.st, fx.t, 1, 4096);
	rec_wait(&fx.rec, &fx.rec.verified, 1);
	uint8_t buf[8192];
	SP_CHECK_INT(sp_storage_pread(fx.st, 0, buf, 100), -EAGAIN);
	SP_CHECK_INT(sp_storage_read_block(fx.st, 0, 0, buf, 100), -EAGAIN);
	/* A short read stops at the first unverified piece. */
	SP_CHECK_INT(sp_storage_pread(fx.st, 4096 + 10, buf, 8000), 4096 - 10);
	/* Half a piece buffered: not readable, not on disk. */
	SP_CHECK_INT(sp_storage_write_block(fx.st, 0, 0, fx.t->data, 2048), 0);
	SP_CHECK_INT(sp_storage_pread(fx.st, 0, buf, 100), -EAGAIN);
	SP_CHECK_UINT(sp_storage_buffered(fx.st), 4096);
	sp_storage_drop_piece(fx.st, 0);
	SP_CHECK_UINT(sp_storage_buffered(fx.st), 0);
	fx_fini(&fx);
}

SP_TEST(corrupt_block_fails_and_writes_nothing)
{
	struct fixture fx = {0};
	fx_init(&fx, 9);
	uint8_t bad[4096];
	memcpy(bad, fx.t->data, 4096);
	bad[1234] ^= 0x40;
	SP_CHECK_INT(sp_storage_write_block(fx.st, 0, 0, bad, 2048), 0);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 0, 2048, bad + 2048, 2048), 0);
	rec_wait(&fx.rec, &fx.rec.failed, 1);
	SP_CHECK_UINT(fx.rec.failed_list[0], 0);
	SP_CHECK_INT(fx.rec.verified, 0);
	SP_CHECK(!sp_storage_have(fx.st, 0));
	SP_CHECK(!exists(fx.dir, "t/a.bin")); /* nothing reached the disk */
	SP_CHECK_UINT(sp_storage_buffered(fx.st), 0);
	/* The good copy then verifies. */
	feed_piece(fx.st, fx.t, 0, 16384);
	rec_wait(&fx.rec, &fx.rec.verified, 1);
	SP_CHECK(sp_storage_have(fx.st, 0));
	fx_fini(&fx);
}

SP_TEST(blocks_in_any_order_and_overlapping)
{
	struct fixture fx = {0};
	fx_init(&fx, 23);
	const uint8_t *d = fx.t->data + 2 * 4096;
	/* Reverse order, odd sizes, one overlap, one duplicate. */
	SP_CHECK_INT(sp_storage_write_block(fx.st, 2, 3000, d + 3000, 1096), 0);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 2, 1000, d + 1000, 500), 0);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 2, 1000, d + 1000, 500), 0);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 2, 1400, d + 1400, 1700), 0);
	SP_CHECK(!sp_storage_piece_pending(fx.st, 2));
	SP_CHECK_INT(sp_storage_write_block(fx.st, 2, 0, d, 1), 0);
	SP_CHECK(!sp_storage_piece_pending(fx.st, 2));
	SP_CHECK_INT(sp_storage_write_block(fx.st, 2, 1, d + 1, 999), 0);
	rec_wait(&fx.rec, &fx.rec.verified, 1);
	SP_CHECK_UINT(fx.rec.verified_list[0], 2);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 2, 4000, d, 97), -EINVAL);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 1, 0, d, 0), -EINVAL);
	fx_fini(&fx);
}

SP_TEST(bad_geometry_refused)
{
	struct tmi *t = tmi_new(4096, layout, NLAYOUT, 24);
	char *dir = tdir_new();
	struct rec rec;
	struct sp_storage_hooks h = rec_hooks(&rec);
	struct sp_error *err = NULL;
	t->mi.num_pieces++; /* one piece too many for the length */
	SP_CHECK(sp_storage_new(&t->mi, dir, &h, 2, &err) == NULL);
	SP_CHECK_INT(err->code, -EINVAL);
	sp_error_free(err);
	err = NULL;
	t->mi.num_pieces--;
	t->mi.files[2].offset++; /* files do not tile the torrent */
	SP_CHECK(sp_storage_new(&t->mi, dir, &h, 2, &err) == NULL);
	sp_error_free(err);
	sp_postq_free(rec.q);
	tdir_free(dir);
	tmi_free(t);
}

SP_TEST(rate_counts_from_first_block)
{
	struct fixture fx = {0};
	fx_init(&fx, 28);
	SP_CHECK_CMP(sp_storage_rate(fx.st), ==, 0);
	/* One piece in four blocks over ~300 ms: about 13.6 kB/s, not the
	 * "4 KiB in no time" of a rate counted from the hash. */
	for (uint32_t off = 0; off < 4096; off += 1024) {
		SP_CHECK_INT(sp_storage_write_block(fx.st, 0, off, fx.t->data + off, 1024), 0);
		if (off < 3072)
			usleep(100000);
	}
	rec_wait(&fx.rec, &fx.rec.verified, 1);
	double r = sp_storage_rate(fx.st);
	SP_CHECK_CMP(r, >, 0);
	SP_CHECK_CMP(r, <, 20000);
	fx_fini(&fx);
}

SP_TEST(buffer_cap)
{
	struct fixture fx = {0};
	fx_init(&fx, 10);
	sp_storage_set_buffer_cap(fx.st, 8192);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 0, 0, fx.t->data, 10), 0);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 1, 0, fx.t->data, 10), 0);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 2, 0, fx.t->data, 10), -ENOBUFS);
	sp_storage_drop_piece(fx.st, 1);
	SP_CHECK_INT(sp_storage_write_block(fx.st, 2, 0, fx.t->data, 10), 0);
	fx_fini(&fx);
}

static void feed_all(struct fixture *fx, const uint32_t *pieces, int n)
{
	for (int k = 0; k < n; k++)
		feed_piece(fx->st, fx->t, pieces[k], 4096);
	rec_wait(&fx->rec, &fx->rec.verified, n);
}

SP_TEST(resume_trusted_without_rehash)
{
	struct fixture fx = {0};
	fx_init(&fx, 11);
	uint32_t some[] = {0, 1, 3};
	feed_all(&fx, some, 3);
	fx_close(&fx); /* saves the resume file */
	char p[4200];
	snprintf(p, sizeof(p), ".swarmplay/%s.resume", fx.t->mi.info_hash_hex);
	SP_CHECK(exists(fx.dir, p));
	fx_open(&fx);
	SP_CHECK_INT(sp_storage_have_count(fx.st), 0); /* nothing before check */
	SP_CHECK_INT(sp_storage_check(fx.st, false, NULL, NULL), 3);
	struct sp_storage_check_stats cs;
	sp_storage_get_check_stats(fx.st, &cs);
	SP_CHECK(cs.resume_used);
	SP_CHECK_UINT(cs.trusted, 3);
	/* Spot checks, plus piece 2 (not in the resume file; its hole is
	 * smaller than a page here, so it is hashed and fails). */
	SP_CHECK_CMP(cs.hashed, <=, 4);
	SP_CHECK(sp_storage_have(fx.st, 3) && !sp_storage_have(fx.st, 2));
	/* The rest still downloads. */
	feed_piece(fx.st, fx.t, 2, 4096);
	rec_wait(&fx.rec, &fx.rec.verified, 1);
	SP_CHECK_UINT(sp_storage_have_count(fx.st), 4);
	fx_fini(&fx);
}

static uint32_t progress_last, progress_total;
static void on_progress(void *ctx, uint32_t done, uint32_t total)
{
	(void)ctx;
	SP_CHECK_CMP(done, >=, progress_last);
	progress_last = done;
	progress_total = total;
}

SP_TEST(modified_data_detected)
{
	struct fixture fx = {0};
	fx_init(&fx, 12);
	uint32_t all[] = {0, 1, 2, 3};
	feed_all(&fx, all, 4);
	fx_close(&fx);
	/* Another program changes a byte of c.bin (in piece 2). */
	char path[4200];
	snprintf(path, sizeof(path), "%s/t/sub/c.bin", fx.dir);
	int fd = open(path, O_WRONLY);
	SP_CHECK(fd >= 0);
	uint8_t x = fx.t->data[9000] ^ 1;
	SP_CHECK_INT(pwrite(fd, &x, 1, 9000 - 6024), 1);
	/* ...and makes sure the mtime differs even on a coarse clock. */
	struct timespec ts[2] = {{0, UTIME_OMIT}, {12345, 0}};
	futimens(fd, ts);
	close(fd);
	fx_open(&fx);
	progress_last = 0;
	SP_CHECK_INT(sp_storage_check(fx.st, false, on_progress, NULL), 3);
	SP_CHECK_UINT(progress_last, 4);
	SP_CHECK_UINT(progress_total, 4);
	SP_CHECK(!sp_storage_have(fx.st, 2));
	struct sp_storage_check_stats cs;
	sp_storage_get_check_stats(fx.st, &cs);
	/* Pieces 1-3 touch c.bin: rehashed; piece 0 trusted. */
	SP_CHECK_UINT(cs.trusted, 1);
	fx_fini(&fx);
}

SP_TEST(resume_lie_caught_by_spot_check)
{
	struct fixture fx = {0};
	fx_init(&fx, 13);
	uint32_t all[] = {0, 1, 2, 3};
	feed_all(&fx, all, 4);
	fx_close(&fx);
	/* Rewrite every piece's first byte and restore the mtimes: only the
	 * spot check can see it. */
	for (size_t i = 0; i < NLAYOUT; i++) {
		if (layout[i].pad || !layout[i].length)
			continue;
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", fx.dir, layout[i].path);
		struct stat sb;
		SP_CHECK(stat(path, &sb) == 0);
		int fd = open(path, O_WRONLY);
		uint8_t x = 0x5a;
		SP_CHECK_INT(pwrite(fd, &x, 1, 0), 1);
		struct timespec ts[2] = {sb.st_atim, sb.st_mtim};
		futimens(fd, ts);
		close(fd);
	}
	fx_open(&fx);
	int n = sp_storage_check(fx.st, false, NULL, NULL);
	/* a.bin's first byte is piece 0, b.bin's piece 1, c.bin's piece 1,
	 * d.bin's piece 3: only piece 2 is intact. */
	SP_CHECK_INT(n, 1);
	SP_CHECK(sp_storage_have(fx.st, 2));
	fx_fini(&fx);
}

SP_TEST(data_from_another_client_verifies)
{
	struct fixture fx = {0};
	fx_init(&fx, 14);
	fx_close(&fx);
	/* Write the files as another tool would, one of them incomplete. */
	for (size_t i = 0; i < NLAYOUT; i++) {
		if (layout[i].pad)
			continue;
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", fx.dir, layout[i].path);
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s/t/sub", fx.dir);
		mkdir(dir, 0755);
		FILE *f = fopen(path, "wb");
		SP_CHECK(f != NULL);
		uint64_t n = i == 4 ? 1 : layout[i].length; /* d.bin truncated */
		fwrite(fx.t->data + fx.t->mi.files[i].offset, 1, n, f);
		fclose(f);
	}
	fx_open(&fx);
	SP_CHECK_INT(sp_storage_check(fx.st, false, NULL, NULL), 3);
	SP_CHECK(!sp_storage_have(fx.st, 3));
	SP_CHECK_INT(sp_storage_check(fx.st, true, NULL, NULL), 3);
	uint8_t buf[4096];
	SP_CHECK_INT(sp_storage_read_block(fx.st, 1, 0, buf, 4096), 0);
	SP_CHECK_MEM(buf, fx.t->data + 4096, 4096);
	fx_fini(&fx);
}

/* A process killed mid-download (no free, resume file older than the
 * data) continues without downloading its verified pieces again. */
SP_TEST(restart_after_kill)
{
	struct fixture fx = {0};
	fx.t = tmi_new(4096, layout, NLAYOUT, 15);
	fx.dir = tdir_new();
	pid_t pid = fork();
	if (pid == 0) {
		fx_open(&fx); /* its worker threads live in the child */
		feed_piece(fx.st, fx.t, 0, 4096);
		rec_wait(&fx.rec, &fx.rec.verified, 1);
		SP_CHECK_INT(sp_storage_save_resume(fx.st), 0);
		feed_piece(fx.st, fx.t, 2, 4096);
		rec_wait(&fx.rec, &fx.rec.verified, 2);
		kill(getpid(), SIGKILL);
	}
	int status;
	waitpid(pid, &status, 0);
	SP_CHECK(WIFSIGNALED(status));
	fx_open(&fx);
	SP_CHECK_INT(sp_storage_check(fx.st, false, NULL, NULL), 2);
	SP_CHECK(sp_storage_have(fx.st, 0) && sp_storage_have(fx.st, 2));
	fx_fini(&fx);
}

SP_TEST(corrupt_resume_file_ignored)
{
	struct fixture fx = {0};
	fx_init(&fx, 16);
	uint32_t some[] = {1, 2};
	feed_all(&fx, some, 2);
	fx_close(&fx);
	char path[4200];
	snprintf(path, sizeof(path), "%s/.swarmplay/%s.resume", fx.dir, fx.t->mi.info_hash_hex);
	FILE *f = fopen(path, "r+b");
	SP_CHECK(f != NULL);
	fseek(f, 30, SEEK_SET);
	fputc('#', f);
	fclose(f);
	fx_open(&fx);
	SP_CHECK_INT(sp_storage_check(fx.st, false, NULL, NULL), 2);
	struct sp_storage_check_stats cs;
	sp_storage_get_check_stats(fx.st, &cs);
	SP_CHECK(!cs.resume_used);
	SP_CHECK_UINT(cs.trusted, 0);
	fx_fini(&fx);
}

/* The resume file is ours, but a disk may mangle it: any bytes there must
 * leave check working. Half the mangled files get a correct checksum so
 * the parser itself sees the garbage. */
SP_TEST(resume_garbage_never_crashes)
{
	struct fixture fx = {0};
	fx_init(&fx, 27);
	uint32_t some[] = {0, 1, 3};
	feed_all(&fx, some, 3);
	fx_close(&fx);
	char path[4200];
	snprintf(path, sizeof(path), "%s/.swarmplay/%s.resume", fx.dir, fx.t->mi.info_hash_hex);
	size_t len = 0;
	char rel[200];
	snprintf(rel, sizeof(rel), ".swarmplay/%s.resume", fx.t->mi.info_hash_hex);
	uint8_t *good = read_file(fx.dir, rel, &len);
	SP_CHECK(good && len > 100);
	fx_open(&fx);
	uint64_t seed = 99;
	uint8_t *bad = malloc(len + 64);
	for (int i = 0; i < 150; i++) {
		memcpy(bad, good, len);
		size_t n = len;
		int kind = (int)(tmi_rand(&seed) % 4);
		if (kind == 0) {
			n = tmi_rand(&seed) % len; /* truncated */
		} else if (kind == 1) {
			for (int k = 0; k < 4; k++) /* bytes flipped anywhere */
				bad[tmi_rand(&seed) % len] = (uint8_t)tmi_rand(&seed);
		}
		bool resealed = kind >= 2;
		if (resealed) {
			/* Mangle the body, then write a matching checksum. */
			char *sha = strstr((char *)bad, "\nsha1 ");
			SP_CHECK(sha != NULL);
			size_t body = (size_t)(sha + 1 - (char *)bad);
			for (int k = 0; k < 3; k++) {
				size_t at = 19 + tmi_rand(&seed) % (body - 19);
				bad[at] = kind == 2 ? (uint8_t)tmi_rand(&seed)
						    : (uint8_t)"0123456789abcdef \n-"[tmi_rand(&seed) % 19];
			}
			uint8_t h[20];
			char hex[41];
			sp_sha1(bad, body, h);
			sp_hex(h, 20, hex);
			n = body + (size_t)sprintf((char *)bad + body, "sha1 %s\n", hex);
		}
		FILE *f = fopen(path, "wb");
		SP_CHECK(f != NULL);
		fwrite(bad, 1, n, f);
		fclose(f);
		int got = sp_storage_check(fx.st, false, NULL, NULL);
		/* A resealed lie about piece 2 may slip past the spot checks
		 * (the file is ours; we trust it that far); nothing else may. */
		if (resealed)
			SP_CHECK(got == 3 || got == 4);
		else
			SP_CHECK_INT(got, 3);
	}
	free(bad);
	free(good);
	fx_fini(&fx);
}

SP_TEST(planted_symlinks_not_followed)
{
	struct fixture fx = {0};
	fx.t = tmi_new(4096, layout, NLAYOUT, 17);
	fx.dir = tdir_new();
	char *outside = tdir_new();
	char link[4200], target[4200];
	/* The torrent's top directory points outside... */
	snprintf(link, sizeof(link), "%s/t", fx.dir);
	SP_CHECK(symlink(outside, link) == 0);
	fx_open(&fx);
	feed_piece(fx.st, fx.t, 0, 4096);
	rec_wait(&fx.rec, &fx.rec.errors, 1);
	SP_CHECK(strstr(fx.rec.last_msg, "a.bin") != NULL);
	SP_CHECK(!sp_storage_have(fx.st, 0));
	SP_CHECK_INT(fx.rec.lost, 1);
	snprintf(target, sizeof(target), "%s/a.bin", outside);
	SP_CHECK(access(target, F_OK) != 0);
	fx_close(&fx);
	/* ...or a file inside is a link to a file outside. */
	SP_CHECK(unlink(link) == 0);
	SP_CHECK(mkdir(link, 0755) == 0);
	int fd = open(target, O_CREAT | O_WRONLY, 0644);
	close(fd);
	snprintf(link, sizeof(link), "%s/t/a.bin", fx.dir);
	SP_CHECK(symlink(target, link) == 0);
	fx_open(&fx);
	feed_piece(fx.st, fx.t, 0, 4096);
	rec_wait(&fx.rec, &fx.rec.errors, 1);
	struct stat sb;
	SP_CHECK(stat(target, &sb) == 0);
	SP_CHECK_UINT(sb.st_size, 0);
	/* And check does not read through it either. */
	SP_CHECK_INT(sp_storage_check(fx.st, true, NULL, NULL), 0);
	fx_fini(&fx);
	tdir_free(outside);
}

SP_TEST(planted_fifo_and_resume_link)
{
	struct fixture fx = {0};
	fx.t = tmi_new(4096, layout, NLAYOUT, 29);
	fx.dir = tdir_new();
	char *outside = tdir_new();
	char p[4200];
	snprintf(p, sizeof(p), "%s/t", fx.dir);
	SP_CHECK(mkdir(p, 0755) == 0);
	/* A FIFO where a file belongs would block a plain open forever. */
	snprintf(p, sizeof(p), "%s/t/a.bin", fx.dir);
	SP_CHECK(mkfifo(p, 0644) == 0);
	/* The resume directory points outside. */
	snprintf(p, sizeof(p), "%s/.swarmplay", fx.dir);
	SP_CHECK(symlink(outside, p) == 0);
	fx_open(&fx);
	feed_piece(fx.st, fx.t, 0, 4096);
	rec_wait(&fx.rec, &fx.rec.errors, 1);
	SP_CHECK(strstr(fx.rec.last_msg, "a.bin: not a regular file") != NULL);
	feed_piece(fx.st, fx.t, 2, 4096);
	rec_wait(&fx.rec, &fx.rec.verified, 1);
	SP_CHECK(sp_storage_save_resume(fx.st) < 0); /* refused, not followed */
	fx_close(&fx);
	snprintf(p, sizeof(p), "%s.resume", fx.t->mi.info_hash_hex);
	SP_CHECK(!exists(outside, p));
	fx_fini(&fx);
	tdir_free(outside);
}

SP_TEST(unusable_directory_is_a_clear_error)
{
	struct tmi *t = tmi_new(4096, layout, NLAYOUT, 18);
	char *dir = tdir_new();
	char file[4200], sub[4300];
	snprintf(file, sizeof(file), "%s/plain", dir);
	fclose(fopen(file, "w"));
	snprintf(sub, sizeof(sub), "%s/down", file); /* under a regular file */
	struct rec rec;
	struct sp_storage_hooks h = rec_hooks(&rec);
	struct sp_error *err = NULL;
	SP_CHECK(sp_storage_new(&t->mi, sub, &h, 2, &err) == NULL);
	SP_CHECK(err != NULL);
	SP_CHECK_INT(err->code, -ENOTDIR);
	SP_CHECK(strstr(err->msg, sub) != NULL);
	SP_CHECK(strstr(err->msg, strerror(ENOTDIR)) != NULL);
	sp_error_free(err);
	sp_postq_free(rec.q);
	tdir_free(dir);
	tmi_free(t);
}

SP_TEST(file_that_cannot_be_opened)
{
	struct fixture fx = {0};
	fx_init(&fx, 19);
	/* A directory sits where b.bin belongs: piece 1 cannot be written,
	 * the others can. */
	char p[4200];
	snprintf(p, sizeof(p), "%s/t", fx.dir);
	mkdir(p, 0755); /* may exist: storage created t/empty.txt */
	snprintf(p, sizeof(p), "%s/t/b.bin", fx.dir);
	SP_CHECK(mkdir(p, 0755) == 0);
	uint32_t ok[] = {0, 2, 3};
	for (int k = 0; k < 3; k++)
		feed_piece(fx.st, fx.t, ok[k], 4096);
	feed_piece(fx.st, fx.t, 1, 4096);
	rec_wait(&fx.rec, &fx.rec.errors, 1);
	rec_wait(&fx.rec, &fx.rec.verified, 3);
	SP_CHECK(strstr(fx.rec.last_msg, "t/b.bin") != NULL);
	SP_CHECK(strstr(fx.rec.last_msg, strerror(EISDIR)) != NULL);
	SP_CHECK_INT(fx.rec.last_code, -EISDIR);
	SP_CHECK(!sp_storage_have(fx.st, 1));
	SP_CHECK_UINT(sp_storage_have_count(fx.st), 3);
	fx_fini(&fx);
}

/* Disk full (here: the file size limit, which fails writes the same way)
 * loses nothing verified, and the resume file stays consistent. */
SP_TEST(disk_full_keeps_verified)
{
	struct fixture fx = {0};
	fx_init(&fx, 20);
	uint32_t first[] = {0, 1};
	feed_all(&fx, first, 2);
	SP_CHECK_INT(sp_storage_save_resume(fx.st), 0);
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = {4096, 4096};
	SP_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	/* Piece 3 lands in c.bin at 12288-6024 > 4096 and in d.bin. */
	feed_piece(fx.st, fx.t, 3, 4096);
	rec_wait(&fx.rec, &fx.rec.errors, 1);
	SP_CHECK_INT(fx.rec.last_code, -EFBIG);
	SP_CHECK(strstr(fx.rec.last_msg, "c.bin") != NULL);
	SP_CHECK_INT(fx.rec.lost, 1);
	SP_CHECK(!sp_storage_have(fx.st, 3));
	SP_CHECK_UINT(sp_storage_have_count(fx.st), 2);
	uint8_t buf[4096];
	SP_CHECK_INT(sp_storage_read_block(fx.st, 0, 0, buf, 4096), 0);
	SP_CHECK_MEM(buf, fx.t->data, 4096);
	fx_close(&fx); /* saving the resume file still works (it is small) */
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	setrlimit(RLIMIT_FSIZE, &rl);
	fx_open(&fx);
	SP_CHECK_INT(sp_storage_check(fx.st, false, NULL, NULL), 2);
	fx_fini(&fx);
}

static ino_t resume_ino(struct fixture *fx)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/.swarmplay/%s.resume", fx->dir, fx->t->mi.info_hash_hex);
	struct stat sb;
	return stat(p, &sb) == 0 ? sb.st_ino : 0;
}

SP_TEST(save_skipped_when_nothing_changed)
{
	struct fixture fx = {0};
	fx_init(&fx, 26);
	SP_CHECK_INT(sp_storage_save_resume(fx.st), 0);
	SP_CHECK_UINT(resume_ino(&fx), 0); /* nothing verified, never checked */
	feed_piece(fx.st, fx.t, 0, 4096);
	rec_wait(&fx.rec, &fx.rec.verified, 1);
	SP_CHECK_INT(sp_storage_save_resume(fx.st), 0);
	ino_t a = resume_ino(&fx);
	SP_CHECK(a != 0);
	SP_CHECK_INT(sp_storage_save_resume(fx.st), 0);
	SP_CHECK_UINT(resume_ino(&fx), a); /* not rewritten */
	feed_piece(fx.st, fx.t, 1, 4096);
	rec_wait(&fx.rec, &fx.rec.verified, 2);
	sp_storage_request_save(fx.st); /* on a worker */
	for (int i = 0; i < 1000 && resume_ino(&fx) == a; i++) /* 10 s: fsync on a busy disk */
		usleep(10000);
	SP_CHECK(resume_ino(&fx) != a);
	fx_fini(&fx);
}

SP_TEST(early_free_keeps_resume)
{
	struct fixture fx = {0};
	fx_init(&fx, 22);
	uint32_t all[] = {0, 1, 2, 3};
	feed_all(&fx, all, 4);
	fx_close(&fx);
	/* Opened and freed again without a check (a start that failed). */
	fx_open(&fx);
	fx_close(&fx);
	fx_open(&fx);
	SP_CHECK_INT(sp_storage_check(fx.st, false, NULL, NULL), 4);
	struct sp_storage_check_stats cs;
	sp_storage_get_check_stats(fx.st, &cs);
	SP_CHECK_UINT(cs.trusted, 4);
	fx_fini(&fx);
}

/* Does this filesystem report holes? (ext4, tmpfs, xfs do.) */
static bool fs_reports_holes(const char *dir)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/probe", dir);
	int fd = open(p, O_CREAT | O_RDWR, 0644);
	bool yes = fd >= 0 && pwrite(fd, "x", 1, 1 << 20) == 1 &&
		   lseek(fd, 0, SEEK_HOLE) == 0;
	if (fd >= 0)
		close(fd);
	unlink(p);
	return yes;
}

SP_TEST(check_skips_holes)
{
	static const struct tfile one[] = {{"sparse.bin", 1 << 20, false}};
	struct fixture fx = {0};
	fx.t = tmi_new(65536, one, 1, 25);
	fx.dir = tdir_new();
	fx_open(&fx);
	feed_piece(fx.st, fx.t, 0, 16384);
	feed_piece(fx.st, fx.t, 15, 16384);
	rec_wait(&fx.rec, &fx.rec.verified, 2);
	fx_close(&fx);
	char p[4200];
	snprintf(p, sizeof(p), "%s/.swarmplay/%s.resume", fx.dir, fx.t->mi.info_hash_hex);
	SP_CHECK(unlink(p) == 0); /* no resume: everything must be looked at */
	fx_open(&fx);
	SP_CHECK_INT(sp_storage_check(fx.st, false, NULL, NULL), 2);
	struct sp_storage_check_stats cs;
	sp_storage_get_check_stats(fx.st, &cs);
	SP_CHECK(!cs.resume_used);
	if (fs_reports_holes(fx.dir))
		SP_CHECK_UINT(cs.hashed, 2); /* the 14 holes were not read */
	else
		SP_CHECK_UINT(cs.hashed, 16);
	fx_fini(&fx);
}

SP_TEST(many_pieces_parallel)
{
	/* 256 pieces of 1 KiB through the pool, then a full check. */
	static const struct tfile one[] = {{"big.bin", 256 * 1024 - 17, false}};
	struct fixture fx = {0};
	fx.t = tmi_new(1024, one, 1, 21);
	fx.dir = tdir_new();
	fx_open(&fx);
	for (uint32_t p = 0; p < fx.t->mi.num_pieces; p++)
		feed_piece(fx.st, fx.t, (p * 37) % fx.t->mi.num_pieces, 512);
	rec_wait(&fx.rec, &fx.rec.verified, (int)fx.t->mi.num_pieces);
	/* A resume file was saved on the way (every 32 pieces), on a worker. */
	char rp[200];
	snprintf(rp, sizeof(rp), ".swarmplay/%s.resume", fx.t->mi.info_hash_hex);
	for (int i = 0; i < 1000 && !exists(fx.dir, rp); i++) /* 10 s: fsync on a busy disk */
		usleep(10000);
	SP_CHECK(exists(fx.dir, rp));
	size_t len = 0;
	uint8_t *b = read_file(fx.dir, "big.bin", &len);
	SP_CHECK(b != NULL);
	SP_CHECK_UINT(len, fx.t->mi.total_length);
	SP_CHECK_MEM(b, fx.t->data, len);
	free(b);
	SP_CHECK_INT(sp_storage_check(fx.st, true, NULL, NULL), (int)fx.t->mi.num_pieces);
	fx_fini(&fx);
}

SP_TEST_MAIN()
