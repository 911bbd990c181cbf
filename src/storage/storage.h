/* storage.h - the torrent's files on disk: mapping, piece buffers,
 * hashing pool, resume state. Only verified pieces are ever readable.
 *
 * Threads: everything is called on the owner's thread (the net thread)
 * except sp_storage_have(), copy_bitfield, rate and the wait/read
 * functions the reader uses, which take storage's verified-set mutex, and
 * sp_storage_check(), which may run on a thread of its own before any
 * block is written. Hashing and disk writes run on
 * a worker pool; completions come back through hooks->post so that the
 * on_piece_* hooks run on the owner's thread.
 *
 * Blocks are held in memory until their piece is complete, hashed on a
 * worker and written with pwrite only if the hash matches: unverified
 * bytes never reach the disk. Padding files (BEP 47) are never written.
 * The resume file (DIR/.swarmplay/<infohash>.resume) is written
 * atomically (temp + rename) and checked against the data on start. */
#ifndef SP_STORAGE_H
#define SP_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "core/bitfield.h"
#include "core/error.h"
#include "core/metainfo.h"

struct sp_storage;

struct sp_storage_hooks {
	void *ctx;
	/* Run fn(arg) on the owner's thread (from a worker). Required. */
	void (*post)(void *ctx, void (*fn)(void *arg), void *arg);
	void (*on_piece_verified)(void *ctx, uint32_t piece);
	void (*on_piece_failed)(void *ctx, uint32_t piece); /* hash mismatch */
	void (*on_error)(void *ctx, int code, const char *msg); /* disk full... */
	/* Optional: the piece hashed fine but could not be written (on_error
	 * said why). It is not verified; ask for it again later, blame no
	 * peer. Owner's thread. */
	void (*on_piece_lost)(void *ctx, uint32_t piece, int code);
	/* Optional: verified pieces first..last (some of them) are gone from
	 * the disk (a file cut or removed under us, found by a read): they
	 * are no longer in the verified set. Owner's thread, synchronously
	 * from sp_storage_read_block. */
	void (*on_pieces_missing)(void *ctx, uint32_t first, uint32_t last);
};

/* Creates dir if needed and opens it; the torrent's files are opened (and
 * created, sparse) lazily, when a piece is first written. Does not check.
 * mi is borrowed: it must outlive the storage and every reader on it.
 * workers <= 0: one per core, at least 2. Errors: -EINVAL, -ENOMEM, or the
 * errno of the directory (message names the path). */
struct sp_storage *sp_storage_new(const struct sp_metainfo *mi, const char *dir,
				  const struct sp_storage_hooks *hooks, int workers,
				  struct sp_error **err);
/* Closes: waiters wake with -ECANCELED, queued hash jobs still run (and
 * write), resume state is saved. Completions posted but not yet run stay
 * valid (they hold a reference) and only free themselves when run: the
 * owner must still run everything it was posted. Readers keep the storage
 * alive until they are closed. Takes NULL. */
void sp_storage_free(struct sp_storage *st);

/* Check existing data: pieces listed in the resume file whose files are
 * unchanged (size, mtime) are trusted after a cheap check (a few random
 * ones are hashed; one mismatch distrusts the whole file); others are
 * hashed on the workers (data made by another client verifies without a
 * download; pieces with a hole on disk are skipped). full_check hashes
 * everything. Blocks until done; progress(ctx, done, total) may be NULL
 * and runs on the calling thread. Call before writing blocks; no hooks
 * are called (read the bitfield after). Saves the resume file. Returns
 * the verified count or -ENOMEM. */
int sp_storage_check(struct sp_storage *st, bool full_check,
		     void (*progress)(void *ctx, uint32_t done, uint32_t total), void *ctx);
/* What the last check did (logs, tests, the OSD). Owner's thread. */
struct sp_storage_check_stats {
	bool resume_used;  /* a valid resume file was found */
	uint32_t trusted;  /* pieces taken from it without hashing */
	uint32_t hashed;   /* pieces hashed (spot checks included) */
	uint32_t verified; /* pieces verified at the end */
};
void sp_storage_get_check_stats(const struct sp_storage *st, struct sp_storage_check_stats *out);

/* Store a received block (copied). -EINVAL out of range, -EEXIST if the
 * piece is verified already, -EBUSY if it is being hashed, -ENOBUFS if the
 * piece buffers are at their cap (sp_storage_set_buffer_cap), -ESHUTDOWN
 * after free began. Blocks may overlap and come in any order. When every
 * byte of the piece is in, it is hashed and written on a worker; then
 * on_piece_verified / on_piece_failed / on_piece_lost run via post. */
int sp_storage_write_block(struct sp_storage *st, uint32_t piece, uint32_t offset,
			   const void *data, uint32_t len);
/* Forget a partial piece's buffered blocks (no-op while it is hashed). */
void sp_storage_drop_piece(struct sp_storage *st, uint32_t piece);
/* Is the piece complete in memory and being hashed/written? */
bool sp_storage_piece_pending(const struct sp_storage *st, uint32_t piece);
/* Ceiling on bytes held in piece buffers (default 64 MiB, at least 8
 * pieces); owner's thread. A partial piece holds a whole piece's buffer,
 * so the picker should keep few pieces partial at a time. */
void sp_storage_set_buffer_cap(struct sp_storage *st, uint64_t bytes);
uint64_t sp_storage_buffered(const struct sp_storage *st);
/* Read verified bytes (uploads). -EAGAIN if the piece is not verified. */
/* A file found short (cut, removed): every verified piece past its end
 * leaves the verified set, with one warning for the file, and
 * on_pieces_missing is called; the read fails with -EIO. */
int sp_storage_read_block(struct sp_storage *st, uint32_t piece, uint32_t offset, void *buf,
			  uint32_t len);

/* Verified-piece set. sp_storage_have is callable from any thread. */
bool sp_storage_have(struct sp_storage *st, uint32_t piece);
uint32_t sp_storage_have_count(struct sp_storage *st);
/* Copy of the verified bitfield (wire order); any thread. */
void sp_storage_copy_bitfield(struct sp_storage *st, uint8_t *bits, size_t len);
/* Downloaded-and-verified bytes per second over the last few seconds
 * (pieces found on disk by a check do not count); any thread. */
double sp_storage_rate(struct sp_storage *st);
const struct sp_metainfo *sp_storage_metainfo(const struct sp_storage *st);

/* Save resume state now (also done periodically and by free). A no-op
 * (returns 0) while a check runs, and before the first check when nothing
 * has been verified (so an early free keeps the old resume file). The
 * data files are fdatasynced first. Any thread but a worker. */
int sp_storage_save_resume(struct sp_storage *st);
/* The same on a worker, so the net thread never waits for fsync; a no-op
 * if a save is already queued. Storage already does this by itself every
 * 32 verified pieces or 10 s, so the owner needs it only for events of its
 * own (e.g. 100 %). Owner's thread. */
void sp_storage_request_save(struct sp_storage *st);

/* For the reader: read verified torrent bytes [off, off+len) with pread;
 * returns bytes read or -EAGAIN if the first byte is not verified. Any
 * thread. */
ssize_t sp_storage_pread(struct sp_storage *st, uint64_t off, void *buf, size_t len);
/* Block until piece is verified, *cancel becomes true, or timeout_ms
 * passes; returns 0, -ECANCELED or -ETIMEDOUT. Any thread but the owner. */
int sp_storage_wait_piece(struct sp_storage *st, uint32_t piece, atomic_int *cancel,
			  int timeout_ms);
/* Wake every waiter (cancel). Any thread. */
void sp_storage_wake(struct sp_storage *st);

#endif
