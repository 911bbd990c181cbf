/* storage.c - pieces in memory, the verified set, and the storage's life.
 *
 * A piece's blocks are copied into a buffer on the owner's (net) thread.
 * When its byte ranges cover the piece, the buffer is handed whole to a
 * worker, which hashes it and, only if the hash matches, pwrites it (pad
 * files skipped) and marks the piece verified. So unverified bytes never
 * reach the disk and a verified bit always means "on disk and correct".
 * The worker posts the outcome back through hooks->post; on_piece_* then
 * run on the owner's thread, which frees the buffer.
 *
 * Memory: the total of buffered pieces is capped (buffer_cap); beyond it
 * write_block says -ENOBUFS and the caller drops the block.
 *
 * Lifetime: the storage is reference counted. The owner holds one, each
 * job and each posted completion holds one, and each reader holds one.
 * sp_storage_free() closes the storage (waiters wake, queued jobs still
 * run so a verified piece is written), saves the resume file and drops
 * the owner's reference; a completion that runs after that only frees
 * itself. Threads: see storage.h. */
#include "storage/storage_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/sha1.h"

#define DEFAULT_BUFFER_CAP (64u << 20)

void sp_storage_ref(struct sp_storage *st)
{
	atomic_fetch_add(&st->refs, 1);
}

static void pbuf_free(struct sp_pbuf *pb)
{
	if (!pb)
		return;
	free(pb->data);
	free(pb->ranges);
	free(pb);
}

void sp_storage_unref(struct sp_storage *st)
{
	if (!st || atomic_fetch_sub(&st->refs, 1) != 1)
		return;
	sp_sfiles_close(st);
	if (st->dirfd >= 0)
		close(st->dirfd);
	if (st->bufs) {
		for (uint32_t i = 0; i < st->mi->num_pieces; i++)
			pbuf_free(st->bufs[i]);
		free(st->bufs);
	}
	sp_bitfield_fini(&st->have);
	pthread_mutex_destroy(&st->fd_lock);
	pthread_mutex_destroy(&st->vlock);
	pthread_mutex_destroy(&st->save_lock);
	pthread_cond_destroy(&st->vcond);
	free(st->files);
	free(st->dir);
	free(st);
}

/* mkdir -p, for the download directory itself (the user's choice, so
 * symlinks in it are followed). */
static int mkdir_p(const char *dir)
{
	char *p = strdup(dir);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			return -e;
		}
		*s = '/';
	}
	int rc = mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
	free(p);
	return rc;
}

static void zero_hashes(struct sp_storage *st)
{
	const struct sp_metainfo *mi = st->mi;
	uint8_t *z = calloc(1, mi->piece_length ? mi->piece_length : 1);
	if (!z)
		return;
	sp_sha1(z, mi->piece_length, st->zero_hash);
	sp_sha1(z, sp_st_piece_size(mi, mi->num_pieces - 1), st->zero_hash_last);
	free(z);
}

static int init_locks(struct sp_storage *st)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&st->vcond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&st->fd_lock, NULL);
	pthread_mutex_init(&st->vlock, NULL);
	pthread_mutex_init(&st->save_lock, NULL);
	return rc ? -rc : 0;
}

/* The parser guarantees this; storage's offsets rely on it, so check. */
static bool geometry_ok(const struct sp_metainfo *mi)
{
	if (mi->is_magnet || !mi->num_pieces || !mi->piece_length || !mi->piece_hashes ||
	    (mi->num_files && !mi->files))
		return false;
	uint64_t full = (uint64_t)mi->num_pieces * mi->piece_length;
	if (mi->total_length > full || mi->total_length <= full - mi->piece_length)
		return false;
	uint64_t off = 0;
	for (size_t i = 0; i < mi->num_files; i++) {
		if (mi->files[i].offset != off || !mi->files[i].path)
			return false;
		off += mi->files[i].length;
	}
	return off == mi->total_length;
}

/* Every file we touch keeps its fd (pread/pwrite from any thread without a
 * lock), so a torrent of many files needs the hard limit, not the soft
 * default of 1024. */
static void raise_fd_limit(size_t files)
{
	struct rlimit rl;
	if (files < 256 || getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		SP_WARN("storage", "cannot raise the open-file limit: %s", strerror(errno));
}

struct sp_storage *sp_storage_new(const struct sp_metainfo *mi, const char *dir,
				  const struct sp_storage_hooks *hooks, int workers,
				  struct sp_error **err)
{
	if (!mi || !dir || !*dir || !hooks || !hooks->post || !geometry_ok(mi)) {
		sp_error_set(err, -EINVAL, "%s", _("storage: invalid arguments"));
		return NULL;
	}
	struct sp_storage *st = calloc(1, sizeof(*st));
	if (!st || init_locks(st) < 0) {
		free(st);
		sp_error_set(err, -ENOMEM, "%s", _("out of memory"));
		return NULL;
	}
	atomic_init(&st->refs, 1);
	st->mi = mi;
	st->hooks = *hooks;
	st->dirfd = -1;
	st->saved_gen = UINT64_MAX;
	/* Room for at least 8 partial pieces even when pieces are big. */
	st->buffer_cap = DEFAULT_BUFFER_CAP;
	if (st->buffer_cap < 8ull * mi->piece_length)
		st->buffer_cap = 8ull * mi->piece_length;
	st->last_save_us = sp_now_us();
	st->dir = strdup(dir);
	st->files = calloc(mi->num_files ? mi->num_files : 1, sizeof(*st->files));
	st->bufs = calloc(mi->num_pieces, sizeof(*st->bufs));
	if (!st->dir || !st->files || !st->bufs || sp_bitfield_init(&st->have, mi->num_pieces)) {
		sp_error_set(err, -ENOMEM, "%s", _("out of memory"));
		goto fail;
	}
	for (size_t i = 0; i < mi->num_files; i++) {
		st->files[i].mf = &mi->files[i];
		st->files[i].fd = -1;
	}
	int rc = mkdir_p(dir);
	if (rc == 0) {
		st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rc = st->dirfd < 0 ? -errno : 0;
	}
	if (rc < 0) {
		sp_error_set(err, rc, _("cannot use download directory %s: %s"), dir,
			     strerror(-rc));
		goto fail;
	}
	st->pool = sp_hashpool_new(workers);
	if (!st->pool) {
		sp_error_set(err, -ENOMEM, "%s", _("cannot start hashing threads"));
		goto fail;
	}
	zero_hashes(st);
	raise_fd_limit(mi->num_files);
	sp_sfiles_touch_empty(st);
	return st;
fail:
	sp_hashpool_free(st->pool);
	st->pool = NULL;
	sp_storage_unref(st);
	return NULL;
}

void sp_storage_free(struct sp_storage *st)
{
	if (!st)
		return;
	atomic_store(&st->closed, true);
	sp_storage_wake(st);
	/* Runs every queued job: a piece that hashed fine is still written. */
	sp_hashpool_free(st->pool);
	st->pool = NULL;
	int rc = sp_resume_save(st);
	if (rc < 0)
		SP_WARN("storage", "saving resume state failed: %s", strerror(-rc));
	sp_storage_unref(st);
}

void sp_storage_set_buffer_cap(struct sp_storage *st, uint64_t bytes)
{
	st->buffer_cap = bytes;
}

uint64_t sp_storage_buffered(const struct sp_storage *st)
{
	return st->buffered;
}

/* ---- the verified set (any thread) ---- */

/* The rate is read off a ring of (time, bytes verified so far) points.
 * Points come at most every 250 ms: when a piece verifies (the total
 * before it), and when blocks start arriving after a quiet spell, so the
 * first piece's rate counts from its first block, not from its hash.
 * Under vlock. */
static void push_sample(struct sp_storage *st, int64_t now)
{
	const struct sp_rate_sample *last =
		&st->rate[(st->rate_head + SP_STORAGE_RATE_SAMPLES - 1) % SP_STORAGE_RATE_SAMPLES];
	if (last->t_us && now - last->t_us < 250000)
		return;
	st->rate[st->rate_head] = (struct sp_rate_sample){now, st->verified_total};
	st->rate_head = (st->rate_head + 1) % SP_STORAGE_RATE_SAMPLES;
}

void sp_storage_rate_mark(struct sp_storage *st)
{
	int64_t now = sp_now_us();
	if (now - st->rate_mark_us < 1000000)
		return;
	st->rate_mark_us = now;
	pthread_mutex_lock(&st->vlock);
	push_sample(st, now);
	pthread_mutex_unlock(&st->vlock);
}

void sp_storage_mark_verified(struct sp_storage *st, uint32_t piece, bool downloaded)
{
	uint32_t size = sp_st_piece_size(st->mi, piece);
	int64_t now = sp_now_us();
	pthread_mutex_lock(&st->vlock);
	if (!sp_bitfield_get(&st->have, piece)) {
		sp_bitfield_set(&st->have, piece);
		st->gen++;
	} else {
		downloaded = false;
	}
	/* Only downloads count towards the rate the start rule uses: data
	 * found on disk by a check says nothing about the swarm. */
	if (downloaded) {
		push_sample(st, now);
		st->verified_total += size;
	}
	pthread_cond_broadcast(&st->vcond);
	pthread_mutex_unlock(&st->vlock);
}

bool sp_storage_have(struct sp_storage *st, uint32_t piece)
{
	pthread_mutex_lock(&st->vlock);
	bool r = sp_bitfield_get(&st->have, piece);
	pthread_mutex_unlock(&st->vlock);
	return r;
}

uint32_t sp_storage_have_count(struct sp_storage *st)
{
	pthread_mutex_lock(&st->vlock);
	uint32_t n = st->have.count;
	pthread_mutex_unlock(&st->vlock);
	return n;
}

void sp_storage_copy_bitfield(struct sp_storage *st, uint8_t *bits, size_t len)
{
	size_t n = sp_bitfield_bytes(st->mi->num_pieces);
	pthread_mutex_lock(&st->vlock);
	memcpy(bits, st->have.bits, n < len ? n : len);
	pthread_mutex_unlock(&st->vlock);
	if (len > n)
		memset(bits + n, 0, len - n);
}

double sp_storage_rate(struct sp_storage *st)
{
	int64_t now = sp_now_us();
	double rate = 0;
	pthread_mutex_lock(&st->vlock);
	/* Oldest sample within the last ~6 s against the current total. */
	for (unsigned k = 0; k < SP_STORAGE_RATE_SAMPLES; k++) {
		const struct sp_rate_sample *s =
			&st->rate[(st->rate_head + k) % SP_STORAGE_RATE_SAMPLES];
		if (!s->t_us || now - s->t_us > 6000000)
			continue;
		int64_t dt = now - s->t_us;
		if (dt < 100000) /* one piece in no time is not a rate */
			dt = 100000;
		rate = (double)(st->verified_total - s->bytes) * 1e6 / (double)dt;
		break;
	}
	pthread_mutex_unlock(&st->vlock);
	return rate;
}

void sp_storage_wake(struct sp_storage *st)
{
	pthread_mutex_lock(&st->vlock);
	pthread_cond_broadcast(&st->vcond);
	pthread_mutex_unlock(&st->vlock);
}

int sp_storage_wait_piece(struct sp_storage *st, uint32_t piece, atomic_int *cancel,
			  int timeout_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	int rc = 0;
	pthread_mutex_lock(&st->vlock);
	while (!sp_bitfield_get(&st->have, piece)) {
		if ((cancel && atomic_load(cancel)) || atomic_load(&st->closed)) {
			rc = -ECANCELED;
			break;
		}
		if (pthread_cond_timedwait(&st->vcond, &st->vlock, &ts) == ETIMEDOUT) {
			rc = sp_bitfield_get(&st->have, piece) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&st->vlock);
	return rc;
}

/* Bytes from piece p on that are verified and contiguous (capped). */
static uint64_t contiguous_from(struct sp_storage *st, uint64_t off, uint64_t max)
{
	const struct sp_metainfo *mi = st->mi;
	uint64_t n = 0;
	pthread_mutex_lock(&st->vlock);
	uint32_t p = (uint32_t)(off / mi->piece_length);
	while (n < max && p < mi->num_pieces && sp_bitfield_get(&st->have, p)) {
		uint64_t end = (uint64_t)p * mi->piece_length + sp_st_piece_size(mi, p);
		n = end - off;
		p++;
	}
	pthread_mutex_unlock(&st->vlock);
	return n < max ? n : max;
}

ssize_t sp_storage_pread(struct sp_storage *st, uint64_t off, void *buf, size_t len)
{
	if (off >= st->mi->total_length)
		return 0;
	if (len > st->mi->total_length - off)
		len = (size_t)(st->mi->total_length - off);
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	uint64_t n = contiguous_from(st, off, len);
	if (!n)
		return -EAGAIN;
	char msg[512];
	int rc = sp_storage_io_read(st, off, buf, (size_t)n, msg, sizeof(msg));
	if (rc < 0) {
		SP_WARN("storage", "%s", msg);
		return rc == -ENODATA ? -EIO : rc;
	}
	return (ssize_t)n;
}

/* The first file in [off, off + len) that is shorter on disk than in the
 * torrent (or missing): its index, and how much of it is there. */
static bool find_short_file(struct sp_storage *st, uint64_t off, uint64_t len, size_t *file,
			    uint64_t *on_disk)
{
	for (size_t i = sp_sfile_at(st, off);
	     i < st->mi->num_files && st->mi->files[i].offset < off + len; i++) {
		const struct sp_mi_file *mf = st->files[i].mf;
		struct stat sb;
		if (mf->is_pad || !mf->length)
			continue;
		uint64_t size = sp_sfile_stat(st, i, &sb) < 0 ? 0 : (uint64_t)sb.st_size;
		if (size < mf->length) {
			*file = i;
			*on_disk = size;
			return true;
		}
	}
	return false;
}

/* A read came short: the pieces past the end of the file are not ours
 * any more (see sp_storage_read_block in storage.h). */
static void lose_cut_pieces(struct sp_storage *st, uint32_t piece, uint32_t offset, uint32_t len)
{
	uint64_t pl = st->mi->piece_length;
	size_t i;
	uint64_t on_disk;
	uint32_t first = piece, last = piece;
	bool cut = find_short_file(st, (uint64_t)piece * pl + offset, len, &i, &on_disk);
	if (cut) {
		const struct sp_mi_file *mf = st->files[i].mf;
		first = (uint32_t)((mf->offset + on_disk) / pl);
		last = (uint32_t)((mf->offset + mf->length - 1) / pl);
	}
	uint32_t lost = 0;
	pthread_mutex_lock(&st->vlock);
	for (uint32_t p = first; p <= last && p < st->mi->num_pieces; p++)
		if (sp_bitfield_get(&st->have, p)) {
			sp_bitfield_clear(&st->have, p);
			lost++;
		}
	if (lost)
		st->gen++;
	pthread_mutex_unlock(&st->vlock);
	if (!lost)
		return;
	if (cut)
		SP_WARN("storage", "%s/%s has %llu of its %llu bytes: %u pieces missing now", st->dir,
			st->files[i].mf->path, (unsigned long long)on_disk,
			(unsigned long long)st->files[i].mf->length, lost);
	else
		SP_WARN("storage", "piece %u cannot be read: missing now", piece);
	if (st->hooks.on_pieces_missing)
		st->hooks.on_pieces_missing(st->hooks.ctx, first, last);
}

int sp_storage_read_block(struct sp_storage *st, uint32_t piece, uint32_t offset, void *buf,
			  uint32_t len)
{
	if (piece >= st->mi->num_pieces ||
	    (uint64_t)offset + len > sp_st_piece_size(st->mi, piece))
		return -EINVAL;
	if (!sp_storage_have(st, piece))
		return -EAGAIN;
	char msg[512];
	int rc = sp_storage_io_read(st, (uint64_t)piece * st->mi->piece_length + offset, buf, len,
				    msg, sizeof(msg));
	if (rc == -ENODATA) {
		lose_cut_pieces(st, piece, offset, len);
		return -EIO;
	}
	if (rc < 0) {
		SP_WARN("storage", "%s", msg);
		return rc;
	}
	return 0;
}

const struct sp_metainfo *sp_storage_metainfo(const struct sp_storage *st)
{
	return st->mi;
}

int sp_storage_save_resume(struct sp_storage *st)
{
	st->verified_since_save = 0;
	st->last_save_us = sp_now_us();
	return sp_resume_save(st);
}
