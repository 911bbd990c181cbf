/* fuzz_storage.c - libFuzzer target for piece assembly in storage
 * (src/storage/pieces.c and the rest of storage): blocks as peers send
 * them, overlapping, out of order, out of range, junk or true, for a
 * 4-piece torrent (16 KiB pieces, a short last one) in a folder on
 * /dev/shm, with the real hash workers; completions are run on this
 * thread as the net thread would.
 *
 * Input: 6-byte records: op, piece (any byte: out of range too), offset
 * (2 bytes), length (2 bytes). op bit 0: junk (the true bytes flipped);
 * bit 1: drop the piece's buffered blocks instead; bit 2: wait for the
 * workers and run their completions now.
 *
 * Invariants, besides "no crash, no sanitizer report, no leak":
 * - write_block answers only 0 or one of its documented errors;
 * - a piece is verified only with the true bytes: read back, it is the
 *   truth (junk never reaches the disk as verified data); a piece not
 *   verified cannot be read (-EAGAIN);
 * - on_piece_verified comes once per piece and only for verified pieces. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bencode.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/metainfo.h"
#include "core/sha1.h"
#include "storage/storage.h"

#define PL 16384u
#define NP 4u
#define TOTAL (3 * PL + 1000)

struct posted {
	void (*fn)(void *);
	void *arg;
	struct posted *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct posted *queue;
static uint8_t truth[TOTAL + 65536], junk[TOTAL + 65536];
static struct sp_metainfo *mi;
static char dir[64];
static int verified_calls[NP];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void post(void *ctx, void (*fn)(void *), void *arg)
{
	struct posted *p = malloc(sizeof(*p));
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_lock(&lock);
	p->next = queue;
	queue = p;
	pthread_mutex_unlock(&lock);
}

static void run_posted(void)
{
	for (;;) {
		pthread_mutex_lock(&lock);
		struct posted *p = queue;
		queue = NULL;
		pthread_mutex_unlock(&lock);
		if (!p)
			return;
		while (p) {
			struct posted *nx = p->next;
			p->fn(p->arg);
			free(p);
			p = nx;
		}
	}
}

static void on_verified(void *ctx, uint32_t piece)
{
	if (piece >= NP || ++verified_calls[piece] > 1)
		abort();
}

/* Until no piece is being hashed, running completions meanwhile. */
static void settle(struct sp_storage *st)
{
	for (;;) {
		run_posted();
		bool busy = false;
		for (uint32_t p = 0; p < NP; p++)
			busy |= sp_storage_piece_pending(st, p);
		if (!busy)
			return;
		usleep(50);
	}
}

static void setup(void)
{
	for (size_t i = 0; i < sizeof(truth); i++) {
		truth[i] = (uint8_t)(i * 17 + (i >> 9));
		junk[i] = (uint8_t)~truth[i];
	}
	struct sp_buf b, info;
	sp_buf_init(&b, 4096);
	sp_buf_init(&info, 4096);
	sp_benc_dict_begin(&info);
	sp_benc_put_cstr(&info, "length");
	sp_benc_put_int(&info, TOTAL);
	sp_benc_put_cstr(&info, "name");
	sp_benc_put_cstr(&info, "f.bin");
	sp_benc_put_cstr(&info, "piece length");
	sp_benc_put_int(&info, PL);
	sp_benc_put_cstr(&info, "pieces");
	uint8_t h[NP * 20];
	for (uint32_t p = 0; p < NP; p++)
		sp_sha1(truth + p * PL, p == NP - 1 ? TOTAL - p * PL : PL, h + 20 * p);
	sp_benc_put_str(&info, h, sizeof(h));
	sp_benc_end(&info);
	sp_buf_appendf(&b, "d4:info");
	sp_buf_append(&b, info.data, info.len);
	sp_buf_appendf(&b, "e");
	mi = sp_metainfo_parse(b.data, b.len, NULL);
	sp_buf_fini(&b);
	sp_buf_fini(&info);
	snprintf(dir, sizeof(dir), "/dev/shm/sp-fuzz-storage-%d", (int)getpid());
	if (!mi)
		abort();
	sp_log_set_level(SP_LOG_NONE);
}

static uint32_t plen(uint32_t p)
{
	return p == NP - 1 ? TOTAL - p * PL : PL;
}

static void check(struct sp_storage *st)
{
	static uint8_t buf[PL];
	for (uint32_t p = 0; p < NP; p++) {
		int r = sp_storage_read_block(st, p, 0, buf, plen(p));
		if (sp_storage_have(st, p)) {
			if (r < 0 || memcmp(buf, truth + p * PL, plen(p)))
				abort(); /* verified, yet not the truth */
			if (verified_calls[p] != 1)
				abort();
		} else if (r != -EAGAIN || verified_calls[p]) {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mi)
		setup();
	memset(verified_calls, 0, sizeof(verified_calls));
	struct sp_storage_hooks hooks = {.post = post, .on_piece_verified = on_verified};
	struct sp_storage *st = sp_storage_new(mi, dir, &hooks, 2, NULL);
	if (!st)
		abort();
	for (size_t at = 0; at + 6 <= size; at += 6) {
		uint8_t op = data[at];
		uint32_t piece = data[at + 1] < 250 ? data[at + 1] % (NP + 1) : data[at + 1];
		uint32_t off = (uint32_t)(data[at + 2] << 8 | data[at + 3]) % (PL + 64);
		uint32_t len = (uint32_t)(data[at + 4] << 8 | data[at + 5]) % (PL + 64);
		if (op & 2) {
			sp_storage_drop_piece(st, piece);
		} else {
			const uint8_t *src = op & 1 ? junk : truth;
			size_t from = (size_t)(piece < NP ? piece : 0) * PL + off;
			int r = sp_storage_write_block(st, piece, off, src + from, len);
			if (r != 0 && r != -EINVAL && r != -EEXIST && r != -EBUSY && r != -ENOBUFS)
				abort();
		}
		if (op & 4) {
			settle(st);
			check(st);
		}
	}
	settle(st);
	check(st);
	sp_storage_free(st);
	run_posted();
	/* the next input starts from nothing on disk */
	char path[128];
	snprintf(path, sizeof(path), "%s/f.bin", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.swarmplay/%s.resume", dir, mi->info_hash_hex);
	unlink(path);
	return 0;
}
