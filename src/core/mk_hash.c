/* mk_hash.c - SHA-1 of every piece of a new torrent, on worker threads.
 *
 * Workers take the next range of pieces (a few MiB) from an atomic
 * counter, read it with pread (no shared file position, so no locking)
 * into their own piece buffer, hash each piece and write the digest to
 * that piece's own slot of the output. Nothing else is shared but the
 * byte counter and the stop flag (atomics). Ranges taken in order keep
 * the reads nearly sequential (the kernel's readahead rewards that), and
 * taking them on demand rather than splitting the file in one half per
 * worker keeps every core busy when one worker is slowed down by the rest
 * of the machine: a static split finishes only when its slowest half does.
 * The caller's thread only waits, reporting progress every 100 ms. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/maketorrent.h"
#include "core/sha1.h"

#define MAX_WORKERS 64
#define CHUNK_BYTES (4u << 20) /* a range taken at once: small enough to balance */

struct shared {
	const struct sp_mk_list *l;
	const uint64_t *offsets; /* offsets[i]: start of file i in the stream */
	uint32_t plen;
	uint8_t *hashes;
	uint64_t pieces, chunk; /* pieces in all; pieces a worker takes at once */
	atomic_uint_least64_t next; /* first piece of the next range to take */
	atomic_uint_least64_t done;
	atomic_bool stop;
	atomic_int finished;
};

struct worker {
	pthread_t thread;
	struct shared *sh;
	int fd, fd_file;
	int err;
	char msg[300];
};

static int fail(struct worker *w, int code, const char *path, const char *why)
{
	w->err = code;
	snprintf(w->msg, sizeof(w->msg), "%s: %s", path, why);
	atomic_store(&w->sh->stop, true);
	return code;
}

/* The file holding stream offset off (zero-length files hold nothing). */
static size_t file_at(const struct shared *sh, uint64_t off)
{
	size_t lo = 0, hi = sh->l->num_files;
	while (hi - lo > 1) { /* last i with offsets[i] <= off */
		size_t mid = (lo + hi) / 2;
		if (sh->offsets[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	while (lo < sh->l->num_files && sh->l->files[lo].length == 0)
		lo++;
	return lo;
}

static int read_span(struct worker *w, uint8_t *buf, uint64_t off, size_t len)
{
	const struct shared *sh = w->sh;
	while (len) {
		size_t fi = file_at(sh, off);
		const struct sp_mk_file *f = &sh->l->files[fi];
		if (w->fd_file != (int)fi) {
			if (w->fd >= 0)
				close(w->fd);
			w->fd = open(f->abs, O_RDONLY | O_CLOEXEC);
			w->fd_file = (int)fi;
			if (w->fd < 0)
				return fail(w, -errno, f->abs, strerror(errno));
			posix_fadvise(w->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		}
		uint64_t in_file = off - sh->offsets[fi];
		size_t n = f->length - in_file < len ? (size_t)(f->length - in_file) : len;
		for (size_t got = 0; got < n;) {
			ssize_t r = pread(w->fd, buf + got, n - got, (off_t)(in_file + got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return fail(w, -errno, f->abs, strerror(errno));
			if (r == 0)
				return fail(w, -EIO, f->abs, _("the file shrank while it was hashed"));
			got += (size_t)r;
		}
		buf += n;
		off += n;
		len -= n;
	}
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	uint8_t *buf = malloc(sh->plen);
	if (!buf)
		fail(w, -ENOMEM, "hash", _("out of memory"));
	while (buf && !atomic_load(&sh->stop)) {
		uint64_t first = atomic_fetch_add(&sh->next, sh->chunk);
		if (first >= sh->pieces)
			break;
		uint64_t last = first + sh->chunk < sh->pieces ? first + sh->chunk : sh->pieces;
		for (uint64_t p = first; p < last && !atomic_load(&sh->stop); p++) {
			uint64_t off = p * sh->plen;
			size_t len = sh->l->total - off < sh->plen ? (size_t)(sh->l->total - off)
								     : sh->plen;
			if (read_span(w, buf, off, len) < 0)
				break;
			sp_sha1(buf, len, sh->hashes + p * SP_SHA1_LEN);
			atomic_fetch_add(&sh->done, len);
		}
	}
	free(buf);
	if (w->fd >= 0)
		close(w->fd);
	atomic_fetch_add(&sh->finished, 1);
	return NULL;
}

static int worker_count(int threads, uint64_t pieces)
{
	long n = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	if ((uint64_t)n > pieces)
		n = (long)pieces;
	return (int)n;
}

static void wait_all(struct shared *sh, int n,
		     void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx)
{
	while (progress && atomic_load(&sh->finished) < n) {
		progress(ctx, atomic_load(&sh->done), sh->l->total);
		nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	}
	if (progress)
		progress(ctx, atomic_load(&sh->done), sh->l->total);
}

int sp_mk_hash(const struct sp_mk_list *l, uint32_t piece_length, int threads,
	       void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx,
	       uint8_t **hashes, struct sp_error **err)
{
	uint64_t pieces = (l->total + piece_length - 1) / piece_length;
	if (!piece_length || !pieces || pieces > UINT32_MAX / SP_SHA1_LEN)
		return sp_error_set(err, -EINVAL, _("bad piece size for this input"));
	int n = worker_count(threads, pieces);
	uint64_t *offsets = malloc(l->num_files * sizeof(*offsets));
	uint8_t *out = malloc(pieces * SP_SHA1_LEN);
	struct worker *ws = calloc((size_t)n, sizeof(*ws));
	if (!offsets || !out || !ws) {
		free(offsets);
		free(out);
		free(ws);
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	}
	for (size_t i = 0, off = 0; i < l->num_files; off += l->files[i].length, i++)
		offsets[i] = off;
	struct shared sh = {.l = l, .offsets = offsets, .plen = piece_length, .hashes = out,
			    .pieces = pieces, .chunk = (CHUNK_BYTES + piece_length - 1) / piece_length};
	atomic_init(&sh.next, 0);
	atomic_init(&sh.done, 0);
	atomic_init(&sh.stop, false);
	atomic_init(&sh.finished, 0);
	int started = 0, r = 0;
	for (int i = 0; i < n; i++) {
		ws[i] = (struct worker){.sh = &sh, .fd = -1, .fd_file = -1};
		if (pthread_create(&ws[i].thread, NULL, work, &ws[i]) != 0) {
			atomic_store(&sh.stop, true);
			r = sp_error_set(err, -EAGAIN, _("cannot start a hashing thread"));
			break;
		}
		started++;
	}
	wait_all(&sh, r ? 0 : started, progress, ctx);
	for (int i = 0; i < started; i++) {
		pthread_join(ws[i].thread, NULL);
		if (ws[i].err && r == 0)
			r = sp_error_set(err, ws[i].err, "%s", ws[i].msg);
	}
	free(ws);
	free(offsets);
	if (r < 0) {
		free(out);
		return r;
	}
	*hashes = out;
	return 0;
}
