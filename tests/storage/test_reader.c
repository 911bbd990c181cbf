/* test_reader.c - the stream reader: blocking reads that wake when a piece
 * verifies, short reads, end of file, cancel from another thread (looped
 * to shake out races), several readers, cursor reports, the start rule.
 * The main thread is storage's owner; readers run on their own threads. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/clock.h"
#include "st_helpers.h"
#include "storage/reader.h"

static const struct tfile layout[] = {
	{"v/intro.bin", 10000, false}, /* pieces 0-2 */
	{"v/movie.bin", 30000, false}, /* pieces 2-9 */
	{"v/tail.txt", 5, false},
};

struct fixture {
	struct tmi *t;
	char *dir;
	struct rec rec;
	struct sp_storage_hooks hooks;
	struct sp_storage *st;
};

static void fx_init(struct fixture *fx, uint64_t seed)
{
	fx->t = tmi_new(4096, layout, 3, seed);
	fx->dir = tdir_new();
	fx->hooks = rec_hooks(&fx->rec);
	struct sp_error *err = NULL;
	fx->st = sp_storage_new(&fx->t->mi, fx->dir, &fx->hooks, 2, &err);
	if (!fx->st)
		SP_FAIL("sp_storage_new: %s", sp_error_msg(err));
}

static void fx_fini(struct fixture *fx)
{
	sp_storage_free(fx->st);
	rec_settle(&fx->rec);
	sp_postq_free(fx->rec.q);
	tdir_free(fx->dir);
	tmi_free(fx->t);
}

static void give(struct fixture *fx, uint32_t p)
{
	int want = fx->rec.verified + 1;
	feed_piece(fx->st, fx->t, p, 4096);
	rec_wait(&fx->rec, &fx->rec.verified, want);
}

/* ---- cursor recording ---- */

struct cursors {
	atomic_int n, closed;
	_Atomic uint64_t last;
	_Atomic int lead_ms; /* the lead of the last report */
	atomic_int waiting;  /* whether its consumer waited, then */
};

static void on_cursor(void *ctx, struct sp_reader *r, uint64_t off, double br, double lead)
{
	struct cursors *c = ctx;
	(void)br;
	atomic_store(&c->lead_ms, (int)(lead * 1000 + 0.5));
	atomic_store(&c->waiting, sp_reader_waiting(r));
	atomic_store(&c->last, off);
	atomic_fetch_add(&c->n, 1);
}

static void on_close(void *ctx, struct sp_reader *r)
{
	struct cursors *c = ctx;
	(void)r;
	atomic_fetch_add(&c->closed, 1);
}

/* ---- a reading thread ---- */

struct job {
	struct sp_reader *r;
	uint64_t off;
	size_t len;
	uint8_t *buf;
	ssize_t ret;
	int64_t took_us;
	atomic_int done;
};

static void *read_main(void *arg)
{
	struct job *j = arg;
	int64_t t0 = sp_now_us();
	j->ret = sp_reader_read(j->r, j->off, j->buf, j->len);
	j->took_us = sp_now_us() - t0;
	atomic_store(&j->done, 1);
	return NULL;
}

/* Until r's read has found its piece missing and waits (up to 10 s: a
 * loaded machine may start the thread late), and a moment more for it to
 * block. */
static void wait_waiting(struct sp_reader *r)
{
	struct sp_reader_stats rs = {0};
	for (int i = 0; i < 10000 && !rs.waits; i++) {
		usleep(1000);
		sp_reader_get_stats(r, &rs);
	}
	SP_CHECK(rs.waits >= 1);
	usleep(20000);
}

SP_TEST(blocking_read_wakes_on_verify)
{
	struct fixture fx = {0};
	fx_init(&fx, 1);
	struct cursors cur = {0};
	struct sp_reader_hooks h = {.ctx = &cur, .on_cursor = on_cursor, .on_close = on_close};
	struct sp_reader *r = sp_reader_new(fx.st, 1, 1000, &h);
	SP_CHECK(r != NULL);
	SP_CHECK(sp_reader_id(r) != 0);
	SP_CHECK_INT(sp_reader_size(r), 30000);
	uint8_t buf[100];
	struct job j = {.r = r, .off = 5000, .len = sizeof(buf), .buf = buf};
	pthread_t th;
	pthread_create(&th, NULL, read_main, &j);
	/* The read is waiting and has told the picker where it is (up to
	 * 10 s: a loaded machine may start the thread late). */
	for (int i = 0; i < 10000 && atomic_load(&cur.n) == 0; i++)
		usleep(1000);
	SP_CHECK_INT(atomic_load(&cur.n), 1);
	SP_CHECK_UINT(atomic_load(&cur.last), 10000 + 5000);
	usleep(50000);
	SP_CHECK_INT(atomic_load(&j.done), 0);
	give(&fx, 3); /* torrent bytes 12288..16383 hold file offset 5000 */
	pthread_join(th, NULL);
	SP_CHECK_INT(j.ret, 100);
	SP_CHECK_MEM(buf, fx.t->data + 15000, 100);
	struct sp_reader_stats rs;
	sp_reader_get_stats(r, &rs);
	SP_CHECK_UINT(rs.served, 100);
	SP_CHECK_UINT(rs.from_cache, 0);
	SP_CHECK_UINT(rs.waits, 1);
	sp_reader_close(r);
	SP_CHECK_INT(atomic_load(&cur.closed), 1);
	fx_fini(&fx);
}

SP_TEST(short_reads_and_eof)
{
	struct fixture fx = {0};
	fx_init(&fx, 2);
	give(&fx, 0);
	give(&fx, 1);
	give(&fx, 9);
	struct sp_reader *r = sp_reader_new(fx.st, 0, 0, NULL);
	uint8_t buf[20000];
	/* Pieces 0-1 verified: a read of the whole file stops at 8192. */
	SP_CHECK_INT(sp_reader_read(r, 0, buf, sizeof(buf)), 8192);
	SP_CHECK_MEM(buf, fx.t->data, 8192);
	SP_CHECK_INT(sp_reader_read(r, 8000, buf, 10), 10);
	SP_CHECK_INT(sp_reader_read(r, 10000, buf, 10), 0); /* EOF */
	SP_CHECK_INT(sp_reader_read(r, 99999, buf, 10), 0);
	SP_CHECK_INT(sp_reader_read(r, 0, buf, 0), 0);
	SP_CHECK(sp_reader_available(r, 0, 8192));
	SP_CHECK(!sp_reader_available(r, 0, 8193));
	SP_CHECK(sp_reader_available(r, 9000, 0));
	SP_CHECK(!sp_reader_available(r, 10001, 1));
	sp_reader_close(r);
	/* The last file: 5 bytes, read stops at its end, not the torrent's. */
	r = sp_reader_new(fx.st, 2, 0, NULL);
	SP_CHECK_INT(sp_reader_read(r, 0, buf, sizeof(buf)), 5);
	SP_CHECK_MEM(buf, fx.t->data + 40000, 5);
	SP_CHECK_INT(sp_reader_read(r, 5, buf, sizeof(buf)), 0);
	sp_reader_close(r);
	SP_CHECK(sp_reader_new(fx.st, 3, 0, NULL) == NULL);
	SP_CHECK(sp_reader_new(fx.st, -1, 0, NULL) == NULL);
	fx_fini(&fx);
}

SP_TEST(cancel_is_prompt_and_never_deadlocks)
{
	struct fixture fx = {0};
	fx_init(&fx, 3);
	struct sp_reader *r = sp_reader_new(fx.st, 1, 0, NULL);
	uint8_t buf[64];
	int64_t worst = 0;
	int slow = 0;
	for (int i = 0; i < 300; i++) {
		struct job j = {.r = r, .off = 0, .len = sizeof(buf), .buf = buf};
		pthread_t th;
		pthread_create(&th, NULL, read_main, &j);
		/* Cancel at varying moments: before the wait, during it. */
		if (i % 3)
			usleep((useconds_t)(i % 7) * 100);
		int64_t t0 = sp_now_us();
		sp_reader_cancel(r);
		int64_t cancel_us = sp_now_us() - t0;
		pthread_join(th, NULL);
		int64_t late = sp_now_us() - t0;
		SP_CHECK_INT(j.ret, -ECANCELED);
		SP_CHECK_CMP(cancel_us, <, 50000); /* cancel itself never blocks */
		if (late > worst)
			worst = late;
		slow += late > 150000;
		SP_CHECK_INT(sp_reader_read(r, 0, buf, sizeof(buf)), -ECANCELED);
		sp_reader_resume(r);
	}
	/* Woken by the broadcast, not by the 200 ms slice (a loaded machine
	 * may delay a few), and never stuck. */
	SP_CHECK_CMP(slow, <=, 10);
	SP_CHECK_CMP(worst, <, 2000000);
	/* After resume, reads work again. */
	give(&fx, 2);
	SP_CHECK_INT(sp_reader_read(r, 0, buf, sizeof(buf)), 64);
	SP_CHECK_MEM(buf, fx.t->data + 10000, 64);
	sp_reader_close(r);
	fx_fini(&fx);
}

SP_TEST(two_readers_at_once)
{
	struct fixture fx = {0};
	fx_init(&fx, 4);
	struct sp_reader *a = sp_reader_new(fx.st, 0, 0, NULL);
	struct sp_reader *b = sp_reader_new(fx.st, 1, 0, NULL);
	SP_CHECK(sp_reader_id(a) != sp_reader_id(b));
	uint8_t ba[4000], bb[4000];
	struct job ja = {.r = a, .off = 1000, .len = sizeof(ba), .buf = ba};
	struct job jb = {.r = b, .off = 20000, .len = sizeof(bb), .buf = bb};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, read_main, &ja);
	pthread_create(&tb, NULL, read_main, &jb);
	wait_waiting(a);
	wait_waiting(b);
	give(&fx, 7); /* b's bytes: torrent 30000 -> piece 7 */
	pthread_join(tb, NULL);
	SP_CHECK_INT(atomic_load(&ja.done), 0);
	give(&fx, 0);
	pthread_join(ta, NULL);
	SP_CHECK_INT(ja.ret, 3096); /* up to the end of piece 0 */
	SP_CHECK_MEM(ba, fx.t->data + 1000, 3096);
	SP_CHECK_INT(jb.ret, 32768 - 30000);
	SP_CHECK_MEM(bb, fx.t->data + 30000, 32768 - 30000);
	sp_reader_close(a);
	sp_reader_close(b);
	fx_fini(&fx);
}

SP_TEST(cursor_reports_on_seeks_and_boundaries)
{
	struct fixture fx = {0};
	fx_init(&fx, 5);
	for (uint32_t p = 0; p < fx.t->mi.num_pieces; p++)
		give(&fx, p);
	struct cursors cur = {0};
	struct sp_reader_hooks h = {.ctx = &cur, .on_cursor = on_cursor};
	struct sp_reader *r = sp_reader_new(fx.st, 0, 0, &h);
	uint8_t buf[512];
	/* Sequential 512-byte reads over 10000 bytes: first read + each of
	 * the two piece boundaries crossed. */
	uint64_t off = 0;
	for (;;) {
		ssize_t n = sp_reader_read(r, off, buf, sizeof(buf));
		SP_CHECK(n >= 0);
		if (!n)
			break;
		SP_CHECK_MEM(buf, fx.t->data + off, (size_t)n);
		off += (uint64_t)n;
	}
	SP_CHECK_UINT(off, 10000);
	SP_CHECK_INT(atomic_load(&cur.n), 3);
	/* A seek inside the same piece is still reported. */
	SP_CHECK_INT(sp_reader_read(r, 100, buf, 10), 10);
	SP_CHECK_INT(atomic_load(&cur.n), 4);
	SP_CHECK_UINT(atomic_load(&cur.last), 100);
	SP_CHECK_INT(sp_reader_read(r, 110, buf, 10), 10); /* contiguous: no report */
	SP_CHECK_INT(atomic_load(&cur.n), 4);
	sp_reader_set_bitrate(r, 5000);
	SP_CHECK_INT(atomic_load(&cur.n), 5);
	SP_CHECK_CMP(sp_reader_bitrate(r), ==, 5000);
	/* The consumer's lead goes with the cursor, once it moved enough. */
	SP_CHECK_INT(atomic_load(&cur.lead_ms), 0);
	sp_reader_set_lead(r, 2.0);
	SP_CHECK_INT(atomic_load(&cur.n), 6);
	SP_CHECK_INT(atomic_load(&cur.lead_ms), 2000);
	SP_CHECK_UINT(atomic_load(&cur.last), 120); /* where the reading is now */
	sp_reader_set_lead(r, 2.1); /* a small step: no report */
	SP_CHECK_INT(atomic_load(&cur.n), 6);
	SP_CHECK_CMP(sp_reader_lead(r), ==, 2.1);
	SP_CHECK_INT(sp_reader_read(r, 5000, buf, 10), 10); /* a seek carries it */
	SP_CHECK_INT(atomic_load(&cur.n), 7);
	SP_CHECK_INT(atomic_load(&cur.lead_ms), 2100);
	sp_reader_set_lead(r, 0); /* back to nothing played: always said */
	SP_CHECK_INT(atomic_load(&cur.n), 8);
	SP_CHECK_INT(atomic_load(&cur.lead_ms), 0);
	sp_reader_set_lead(r, NAN); /* nonsense is nothing */
	SP_CHECK_INT(atomic_load(&cur.n), 8);
	SP_CHECK_CMP(sp_reader_lead(r), ==, 0);
	/* Its consumer waits to begin, then plays: each change is said once,
	 * where the reading is. */
	SP_CHECK(!sp_reader_waiting(r)); /* a reader that never says plays */
	uint64_t at = atomic_load(&cur.last);
	sp_reader_set_waiting(r, true);
	SP_CHECK_INT(atomic_load(&cur.n), 9);
	SP_CHECK_INT(atomic_load(&cur.waiting), 1);
	SP_CHECK_UINT(atomic_load(&cur.last), at);
	sp_reader_set_waiting(r, true);
	SP_CHECK_INT(atomic_load(&cur.n), 9);
	sp_reader_set_waiting(r, false);
	SP_CHECK_INT(atomic_load(&cur.n), 10);
	SP_CHECK_INT(atomic_load(&cur.waiting), 0);
	sp_reader_set_waiting(NULL, true); /* no reader: nothing */
	struct sp_reader_stats rs;
	sp_reader_get_stats(r, &rs);
	SP_CHECK_UINT(rs.seeks, 2);
	SP_CHECK_UINT(rs.from_cache, rs.served); /* all verified before open */
	sp_reader_close(r);
	fx_fini(&fx);
}

SP_TEST(start_rule)
{
	struct fixture fx = {0};
	fx_init(&fx, 6);
	/* 1000 bytes/s stream: 4 s ahead is 4000 bytes. */
	struct sp_reader *r = sp_reader_new(fx.st, 1, 1000, NULL);
	SP_CHECK(!sp_reader_ready_to_start(r, 0, 4));
	give(&fx, 2); /* file 1 starts at 10000: piece 2 covers 0..2287 */
	/* The first bytes are here; 1712 bytes missing arrive at the recent
	 * rate (4096 bytes just now, counted over at least 0.1 s) well
	 * within 4 s. */
	SP_CHECK_CMP(sp_storage_rate(fx.st), >, 4000);
	SP_CHECK_CMP(sp_storage_rate(fx.st), <=, 40960);
	SP_CHECK(sp_reader_ready_to_start(r, 0, 4));
	/* The demuxer says 100 kB/s: 2 s ahead is the whole file, 27712
	 * bytes missing, more than 0.5 s at the rate (at most 40 kB/s). */
	sp_reader_set_bitrate(r, 100000);
	SP_CHECK(!sp_reader_ready_to_start(r, 0, 0.5));
	/* All of what is needed is here: ready whatever the rate. */
	SP_CHECK(sp_reader_ready_to_start(r, 0, 0.02));
	SP_CHECK(sp_reader_ready_to_start(r, 30000, 2)); /* at the end */
	sp_reader_close(r);
	fx_fini(&fx);
}

SP_TEST(start_rule_ignores_checked_data)
{
	/* Pieces found on disk by a check are not a download rate: with the
	 * first pieces cached and nothing arriving, do not start early. */
	struct fixture fx = {0};
	fx_init(&fx, 16);
	for (uint32_t p = 2; p < 5; p++)
		give(&fx, p);
	sp_storage_free(fx.st);
	rec_settle(&fx.rec);
	struct sp_error *err = NULL;
	fx.st = sp_storage_new(&fx.t->mi, fx.dir, &fx.hooks, 2, &err);
	SP_CHECK(fx.st != NULL);
	SP_CHECK_INT(sp_storage_check(fx.st, false, NULL, NULL), 3);
	SP_CHECK_CMP(sp_storage_rate(fx.st), ==, 0);
	struct sp_reader *r = sp_reader_new(fx.st, 1, 1000, NULL);
	SP_CHECK(sp_reader_ready_to_start(r, 0, 4));   /* 4000 of 10480 cached */
	SP_CHECK(!sp_reader_ready_to_start(r, 0, 20)); /* needs a rate */
	sp_reader_close(r);
	fx_fini(&fx);
}

static bool say_no(void *ctx, struct sp_reader *r, uint64_t off, double ahead)
{
	(void)r, (void)ahead;
	*(uint64_t *)ctx = off;
	return false;
}

SP_TEST(start_rule_hook)
{
	struct fixture fx = {0};
	fx_init(&fx, 7);
	for (uint32_t p = 0; p < fx.t->mi.num_pieces; p++)
		give(&fx, p);
	uint64_t asked = 0;
	struct sp_reader_hooks h = {.ctx = &asked, .ready_to_start = say_no};
	struct sp_reader *r = sp_reader_new(fx.st, 1, 1000, &h);
	SP_CHECK(!sp_reader_ready_to_start(r, 5, 4));
	SP_CHECK_UINT(asked, 10005);
	sp_reader_close(r);
	fx_fini(&fx);
}

SP_TEST(reader_outlives_storage)
{
	struct fixture fx = {0};
	fx_init(&fx, 8);
	give(&fx, 0);
	struct sp_reader *r = sp_reader_new(fx.st, 0, 0, NULL);
	uint8_t buf[100];
	struct job j = {.r = r, .off = 9000, .len = sizeof(buf), .buf = buf};
	pthread_t th;
	pthread_create(&th, NULL, read_main, &j);
	wait_waiting(r);
	sp_storage_free(fx.st); /* wakes the waiting read */
	pthread_join(th, NULL);
	SP_CHECK_INT(j.ret, -ECANCELED);
	SP_CHECK_INT(sp_reader_read(r, 0, buf, sizeof(buf)), 100);
	SP_CHECK_MEM(buf, fx.t->data, 100);
	sp_reader_close(r);
	rec_settle(&fx.rec);
	sp_postq_free(fx.rec.q);
	tdir_free(fx.dir);
	tmi_free(fx.t);
}

/* ---- readers racing the download ---- */

struct racer {
	struct sp_reader *r;
	const uint8_t *data; /* the file's expected bytes */
	uint64_t size;
	uint64_t seed;
	bool seeks;
	uint64_t got;
};

static void *race_main(void *arg)
{
	struct racer *rc = arg;
	uint8_t *buf = malloc(9000);
	uint64_t off = 0, s = rc->seed;
	while (off < rc->size) {
		uint64_t at = off;
		if (rc->seeks && tmi_rand(&s) % 4 == 0)
			at = tmi_rand(&s) % rc->size; /* a seek, then back */
		size_t want = 1 + tmi_rand(&s) % 9000;
		ssize_t n = sp_reader_read(rc->r, at, buf, want);
		if (n <= 0 || (size_t)n > want)
			SP_FAIL("read %zu at %llu: %zd", want, (unsigned long long)at, n);
		if (memcmp(buf, rc->data + at, (size_t)n))
			SP_FAIL("wrong bytes at %llu", (unsigned long long)at);
		if (at == off)
			off += (uint64_t)n;
		rc->got += (uint64_t)n;
	}
	SP_CHECK_INT(sp_reader_read(rc->r, off, buf, 10), 0);
	free(buf);
	return NULL;
}

SP_TEST(readers_race_the_download)
{
	static const struct tfile big[] = {{"x/head.bin", 3000, false},
					   {"x/movie.bin", 300000, false}};
	struct fixture fx = {0};
	fx.t = tmi_new(4096, big, 2, 9);
	fx.dir = tdir_new();
	fx.hooks = rec_hooks(&fx.rec);
	fx.st = sp_storage_new(&fx.t->mi, fx.dir, &fx.hooks, 2, NULL);
	SP_CHECK(fx.st != NULL);
	struct racer rc[3];
	pthread_t th[3];
	for (int i = 0; i < 3; i++) {
		rc[i] = (struct racer){.r = sp_reader_new(fx.st, 1, 0, NULL),
				       .data = fx.t->data + 3000,
				       .size = 300000,
				       .seed = (uint64_t)i + 1,
				       .seeks = i == 2};
		pthread_create(&th[i], NULL, race_main, &rc[i]);
	}
	/* Pieces arrive in a scrambled order while they read. */
	uint32_t np = fx.t->mi.num_pieces;
	for (uint32_t k = 0; k < np; k++) {
		feed_piece(fx.st, fx.t, (k * 31) % np, 1024);
		sp_postq_run(fx.rec.q, 0);
		if (k % 8 == 0)
			usleep(1000);
	}
	rec_wait(&fx.rec, &fx.rec.verified, (int)np);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		SP_CHECK_CMP(rc[i].got, >=, 300000);
		sp_reader_close(rc[i].r);
	}
	fx_fini(&fx);
}

SP_TEST_MAIN()
