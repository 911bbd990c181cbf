/* storage.h - the torrent's files on disk: mapping, piece buffers,
 * hashing pool, resume state. Only verified pieces are ever readable.
 *
 * Threads: everything is called on the owner's thread (the net thread)
 * except sp_storage_have() and the wait/read functions the reader uses,
 * which take storage's verified-set mutex. Hashing and disk writes run on
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
};

/* Opens (creates) the files under dir as sparse files. Does not check. */
struct sp_storage *sp_storage_new(const struct sp_metainfo *mi, const char *dir,
				  const struct sp_storage_hooks *hooks, int workers,
				  struct sp_error **err);
void sp_storage_free(struct sp_storage *st);

/* Check existing data: pieces listed in the resume file whose files are
 * unchanged (size, mtime) are trusted after a cheap check; others are
 * hashed (on the workers). full_check hashes everything. Blocks until
 * done; progress(ctx, done, total) may be NULL. Returns verified count. */
int sp_storage_check(struct sp_storage *st, bool full_check,
		     void (*progress)(void *ctx, uint32_t done, uint32_t total), void *ctx);

/* Store a received block (copied). -EINVAL out of range, -EEXIST if the
 * piece is verified already. When the piece's last block arrives it is
 * hashed and written on a worker. */
int sp_storage_write_block(struct sp_storage *st, uint32_t piece, uint32_t offset,
			   const void *data, uint32_t len);
/* Forget a partial piece's buffered blocks. */
void sp_storage_drop_piece(struct sp_storage *st, uint32_t piece);
/* Read verified bytes (uploads). -EAGAIN if the piece is not verified. */
int sp_storage_read_block(struct sp_storage *st, uint32_t piece, uint32_t offset, void *buf,
			  uint32_t len);

/* Verified-piece set. sp_storage_have is callable from any thread. */
bool sp_storage_have(struct sp_storage *st, uint32_t piece);
uint32_t sp_storage_have_count(struct sp_storage *st);
/* Copy of the verified bitfield (wire order); any thread. */
void sp_storage_copy_bitfield(struct sp_storage *st, uint8_t *bits, size_t len);

/* Save resume state now (also done periodically and by free). */
int sp_storage_save_resume(struct sp_storage *st);

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
