/* resume.c - the resume file and the start-up check.
 *
 * DIR/.swarmplay/<infohash-hex>.resume is a small text file:
 *   swarmplay-resume 1
 *   infohash <hex>
 *   pieces <n>
 *   have <bitfield as hex, wire order>
 *   files <n>
 *   f <size> <mtime-sec> <mtime-nsec>      one per file; size -1: missing
 *   sha1 <hex of SHA-1 of every byte before this line>
 * It is written to a temp file, fsynced and renamed over the old one, and
 * the data files are fdatasynced first, so after a crash (even kill -9 or
 * a power cut) the file on disk is either the old or the new state and
 * every piece it lists is on disk. Writes never touch a verified piece's
 * bytes, so a file whose size and mtime match what we recorded still
 * holds every piece listed; anything else is hashed again.
 *
 * Threads: sp_resume_save from the owner or a worker (save_lock
 * serializes them); sp_storage_check on the owner's thread, hashing on
 * the workers. */
#include "storage/storage_impl.h"
#include "storage/resume_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/sha1.h"

#define RESUME_MAGIC SP_RESUME_MAGIC
#define SPOT_CHECKS 3

static int open_resume_dir(struct sp_storage *st, bool create)
{
	int fd = openat(st->dirfd, SP_STORAGE_RESUME_DIR,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(st->dirfd, SP_STORAGE_RESUME_DIR, 0755) < 0 && errno != EEXIST)
			return -errno;
		fd = openat(st->dirfd, SP_STORAGE_RESUME_DIR,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

static void file_state(struct sp_storage *st, size_t i, struct sp_resume_fstate *fs)
{
	struct stat sb;
	*fs = (struct sp_resume_fstate){-1, 0, 0};
	if (st->mi->files[i].is_pad || sp_sfile_stat(st, i, &sb) < 0)
		return;
	fs->size = (int64_t)sb.st_size;
	fs->sec = (int64_t)sb.st_mtim.tv_sec;
	fs->nsec = (int64_t)sb.st_mtim.tv_nsec;
}

static int render(struct sp_storage *st, const uint8_t *bits, struct sp_buf *b)
{
	size_t nb = sp_bitfield_bytes(st->mi->num_pieces);
	char *hex = malloc(2 * nb + 1);
	if (!hex)
		return -ENOMEM;
	sp_hex(bits, nb, hex);
	int rc = sp_buf_appendf(b, RESUME_MAGIC "infohash %s\npieces %" PRIu32 "\nhave %s\nfiles %zu\n",
				st->mi->info_hash_hex, st->mi->num_pieces, hex, st->mi->num_files);
	free(hex);
	for (size_t i = 0; !rc && i < st->mi->num_files; i++) {
		struct sp_resume_fstate fs;
		file_state(st, i, &fs);
		rc = sp_buf_appendf(b, "f %" PRId64 " %" PRId64 " %" PRId64 "\n", fs.size, fs.sec,
				    fs.nsec);
	}
	uint8_t h[SP_SHA1_LEN];
	char hh[2 * SP_SHA1_LEN + 1];
	sp_sha1(b->data, b->len, h);
	sp_hex(h, SP_SHA1_LEN, hh);
	return rc ? rc : sp_buf_appendf(b, "sha1 %s\n", hh);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_atomically(struct sp_storage *st, const struct sp_buf *b)
{
	int dfd = open_resume_dir(st, true);
	if (dfd < 0)
		return dfd;
	char name[96], tmp[112];
	snprintf(name, sizeof(name), "%s.resume", st->mi->info_hash_hex);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	int rc = 0;
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		rc = -errno;
	if (!rc)
		rc = write_all(fd, b->data, b->len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0 && close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && renameat(dfd, tmp, dfd, name) < 0)
		rc = -errno;
	if (rc)
		unlinkat(dfd, tmp, 0); /* the old resume file stays as it was */
	else
		fsync(dfd);
	close(dfd);
	return rc;
}

int sp_resume_save(struct sp_storage *st)
{
	/* Before the check has loaded the old state, or while it runs, our
	 * bitfield says less than the file on disk: writing it would only
	 * throw trust away. Once a piece is downloaded the state is worth
	 * saving even without a check (what it lists is on disk). */
	if (atomic_load(&st->checking) ||
	    (!atomic_load(&st->checked) && !sp_storage_have_count(st)))
		return 0;
	size_t nb = sp_bitfield_bytes(st->mi->num_pieces);
	uint8_t *bits = malloc(nb ? nb : 1);
	if (!bits)
		return -ENOMEM;
	pthread_mutex_lock(&st->save_lock);
	/* Snapshot first, then sync: every piece in the snapshot was written
	 * before it was marked, so the sync covers it. */
	pthread_mutex_lock(&st->vlock);
	memcpy(bits, st->have.bits, nb);
	uint64_t gen = st->gen;
	pthread_mutex_unlock(&st->vlock);
	if (gen == st->saved_gen) { /* nothing new: no write, no fsync */
		pthread_mutex_unlock(&st->save_lock);
		free(bits);
		return 0;
	}
	int rc = sp_sfiles_sync(st);
	struct sp_buf b;
	sp_buf_init(&b, 64 + 2 * nb + 80 * st->mi->num_files + 256);
	if (!rc)
		rc = render(st, bits, &b);
	if (!rc)
		rc = write_atomically(st, &b);
	if (!rc)
		st->saved_gen = gen;
	pthread_mutex_unlock(&st->save_lock);
	sp_buf_fini(&b);
	free(bits);
	return rc;
}

/* ---- loading ---- */

static int read_resume(struct sp_storage *st, struct sp_buf *b)
{
	int dfd = open_resume_dir(st, false);
	if (dfd < 0)
		return dfd;
	char name[96];
	snprintf(name, sizeof(name), "%s.resume", st->mi->info_hash_hex);
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return -errno;
	uint8_t chunk[65536];
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		if ((rc = sp_buf_append(b, chunk, (size_t)n)) < 0)
			break;
	}
	close(fd);
	return rc;
}

/* Load the resume file: bits gets the pieces it lists whose files are
 * unchanged since. 0, or -errno (no usable resume file: trust nothing). */
static int load_trusted(struct sp_storage *st, uint8_t *bits)
{
	const struct sp_metainfo *mi = st->mi;
	size_t nb = sp_bitfield_bytes(mi->num_pieces);
	struct sp_buf b;
	sp_buf_init(&b, 256 + 2 * nb + 96 * mi->num_files);
	struct sp_resume_fstate *fs = calloc(mi->num_files ? mi->num_files : 1, sizeof(*fs));
	int rc = fs ? read_resume(st, &b) : -ENOMEM;
	if (!rc)
		rc = sp_resume_parse((const char *)b.data, b.len, mi->info_hash_hex, mi->num_pieces,
				     mi->num_files, bits, fs);
	sp_buf_fini(&b);
	if (rc < 0) {
		free(fs);
		memset(bits, 0, nb);
		return rc;
	}
	/* A piece is trusted only if every real file it touches is as we
	 * left it. */
	bool *same = calloc(mi->num_files ? mi->num_files : 1, sizeof(*same));
	for (size_t i = 0; same && i < mi->num_files; i++) {
		struct sp_resume_fstate now;
		file_state(st, i, &now);
		same[i] = mi->files[i].is_pad ||
			  (now.size == fs[i].size && now.sec == fs[i].sec && now.nsec == fs[i].nsec);
	}
	for (uint32_t p = 0; p < mi->num_pieces; p++) {
		if (!(bits[p >> 3] & (0x80u >> (p & 7))))
			continue;
		uint64_t a = (uint64_t)p * mi->piece_length;
		uint64_t e = a + sp_st_piece_size(mi, p);
		for (size_t i = sp_sfile_at(st, a); i < mi->num_files && mi->files[i].offset < e; i++)
			if (!same || (!same[i] && mi->files[i].length))
				bits[p >> 3] &= (uint8_t) ~(0x80u >> (p & 7));
	}
	free(same);
	free(fs);
	return 0;
}

/* ---- the check ---- */

struct check {
	struct sp_storage *st;
	const uint32_t *todo; /* pieces to hash */
	uint32_t ntodo;
	atomic_uint next;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint32_t done;    /* under lock */
	int running_jobs; /* under lock */
};

/* Worker: hash pieces from the shared list until it is empty. */
static void check_job(void *arg)
{
	struct check *c = arg;
	struct sp_storage *st = c->st;
	uint8_t *scratch = malloc(st->mi->piece_length);
	for (;;) {
		uint32_t k = atomic_fetch_add(&c->next, 1);
		if (k >= c->ntodo)
			break;
		uint8_t h[SP_SHA1_LEN];
		if (scratch && !atomic_load(&st->closed) &&
		    sp_storage_hash_from_disk(st, c->todo[k], scratch, h) &&
		    sp_storage_piece_hash_ok(st, c->todo[k], h))
			sp_storage_mark_verified(st, c->todo[k], false);
		pthread_mutex_lock(&c->lock);
		c->done++;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
	}
	free(scratch);
	pthread_mutex_lock(&c->lock);
	c->running_jobs--;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Hash a few trusted pieces: a resume file that lies about the data (the
 * directory restored from a backup, a file rewritten with the same size
 * and mtime) is caught before we serve from it. */
static bool spot_check(struct sp_storage *st, const uint8_t *bits)
{
	struct sp_storage_check_stats *cs = &st->check_stats;
	const struct sp_metainfo *mi = st->mi;
	uint32_t trusted[SPOT_CHECKS], n = 0, seen = 0;
	uint64_t rnd = (uint64_t)sp_now_us() | 1;
	for (uint32_t p = 0; p < mi->num_pieces; p++) {
		if (!(bits[p >> 3] & (0x80u >> (p & 7))))
			continue;
		/* Reservoir sampling keeps SPOT_CHECKS uniform picks. */
		seen++;
		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		if (n < SPOT_CHECKS)
			trusted[n++] = p;
		else if (rnd % seen < SPOT_CHECKS)
			trusted[rnd % SPOT_CHECKS] = p;
	}
	uint8_t *scratch = n ? malloc(mi->piece_length) : NULL;
	bool ok = !n || scratch;
	for (uint32_t i = 0; ok && i < n; i++) {
		uint8_t h[SP_SHA1_LEN];
		cs->hashed++;
		ok = sp_storage_hash_from_disk(st, trusted[i], scratch, h) &&
		     sp_storage_piece_hash_ok(st, trusted[i], h);
		if (!ok)
			SP_WARN("storage", "resume state is wrong about piece %u: rechecking all",
				trusted[i]);
	}
	free(scratch);
	return ok;
}

/* Worth hashing? A piece with a hole on disk cannot match, unless its
 * data is all zeros (a sparse file from another tool). */
static bool worth_hashing(struct sp_storage *st, uint32_t p)
{
	const struct sp_metainfo *mi = st->mi;
	uint64_t a = (uint64_t)p * mi->piece_length;
	if (sp_storage_io_has_data(st, a, sp_st_piece_size(mi, p)))
		return true;
	const uint8_t *zh = p == mi->num_pieces - 1 ? st->zero_hash_last : st->zero_hash;
	return sp_storage_piece_hash_ok(st, p, zh);
}

static void run_check(struct sp_storage *st, struct check *c, uint32_t skipped,
		      void (*progress)(void *ctx, uint32_t done, uint32_t total), void *ctx)
{
	int jobs = sp_hashpool_threads(st->pool);
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < jobs && c->ntodo; i++)
		if (sp_hashpool_submit(st->pool, check_job, c) == 0)
			c->running_jobs++;
	uint32_t reported = UINT32_MAX;
	while (c->running_jobs > 0) {
		if (progress && c->done != reported) {
			reported = c->done;
			pthread_mutex_unlock(&c->lock);
			progress(ctx, skipped + reported, st->mi->num_pieces);
			pthread_mutex_lock(&c->lock);
			continue;
		}
		pthread_cond_wait(&c->cond, &c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	/* If no job could be queued (shutting down) the pieces simply stay
	 * unverified. */
}

int sp_storage_check(struct sp_storage *st, bool full_check,
		     void (*progress)(void *ctx, uint32_t done, uint32_t total), void *ctx)
{
	const struct sp_metainfo *mi = st->mi;
	size_t nb = sp_bitfield_bytes(mi->num_pieces);
	uint8_t *bits = calloc(1, nb ? nb : 1);
	uint32_t *todo = calloc(mi->num_pieces, sizeof(*todo));
	if (!bits || !todo) {
		free(bits);
		free(todo);
		return -ENOMEM;
	}
	atomic_store(&st->checking, true);
	pthread_mutex_lock(&st->vlock);
	sp_bitfield_clear_all(&st->have);
	st->gen++;
	pthread_mutex_unlock(&st->vlock);
	struct sp_storage_check_stats *cs = &st->check_stats;
	*cs = (struct sp_storage_check_stats){0};
	if (!full_check && load_trusted(st, bits) == 0) {
		cs->resume_used = true;
		if (!spot_check(st, bits))
			memset(bits, 0, nb);
	}
	struct check c = {.st = st, .todo = todo};
	for (uint32_t p = 0; p < mi->num_pieces; p++) {
		if (bits[p >> 3] & (0x80u >> (p & 7))) {
			sp_storage_mark_verified(st, p, false);
			cs->trusted++;
		} else if (worth_hashing(st, p))
			todo[c.ntodo++] = p;
	}
	uint32_t skipped = mi->num_pieces - c.ntodo;
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.cond, NULL);
	run_check(st, &c, skipped, progress, ctx);
	pthread_cond_destroy(&c.cond);
	pthread_mutex_destroy(&c.lock);
	cs->hashed += c.done;
	cs->verified = sp_storage_have_count(st);
	free(todo);
	free(bits);
	atomic_store(&st->checking, false);
	atomic_store(&st->checked, true);
	int rc = sp_resume_save(st);
	if (rc < 0)
		SP_WARN("storage", "saving resume state failed: %s", strerror(-rc));
	if (progress)
		progress(ctx, mi->num_pieces, mi->num_pieces);
	return (int)sp_storage_have_count(st);
}

void sp_storage_get_check_stats(const struct sp_storage *st, struct sp_storage_check_stats *out)
{
	*out = st->check_stats;
}
