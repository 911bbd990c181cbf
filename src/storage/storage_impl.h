/* storage_impl.h - storage's private state, shared by storage.c (pieces,
 * verified set), files.c (paths and byte I/O), resume.c (resume file and
 * check) and reader.c. Not for other modules: they use storage.h.
 *
 * Locks, never nested except vlock inside nothing and fd_lock inside
 * nothing (no function holds two):
 *   fd_lock   opening files (fds stay valid until the last unref);
 *   vlock     the verified set, its condition variable, the rate samples;
 *   save_lock serializes resume writes (held during disk I/O, so no reader
 *             or cancel path ever takes it).
 * `bufs` and `buffered` belong to the owner's thread only. */
#ifndef SP_STORAGE_IMPL_H
#define SP_STORAGE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "storage/hashpool.h"
#include "storage/storage.h"

#define SP_STORAGE_RESUME_DIR SP_MI_RESERVED_NAME /* no torrent is named so */
#define SP_STORAGE_RATE_SAMPLES 24

struct sp_sfile {
	const struct sp_mi_file *mf;
	int fd;        /* -1 until opened (under fd_lock); then stable */
	bool writable; /* fd was opened O_RDWR */
	atomic_bool dirty; /* written since the last resume fsync */
};

struct sp_range {
	uint32_t start, end;
};

/* A piece being assembled from blocks (owner's thread), then handed to a
 * worker whole (hashing = true) until its completion comes back. */
struct sp_pbuf {
	uint32_t piece;
	uint32_t size;
	uint8_t *data;
	struct sp_range *ranges; /* received byte ranges, sorted, merged */
	uint32_t nranges, cap_ranges;
	bool hashing;
};

struct sp_rate_sample {
	int64_t t_us;
	uint64_t bytes;
};

struct sp_storage {
	atomic_int refs; /* owner + in-flight jobs + readers */
	atomic_bool closed;
	const struct sp_metainfo *mi;
	char *dir;
	int dirfd;
	struct sp_storage_hooks hooks;
	struct sp_hashpool *pool;

	pthread_mutex_t fd_lock;
	struct sp_sfile *files;

	pthread_mutex_t vlock;
	pthread_cond_t vcond;
	struct sp_bitfield have;
	uint64_t verified_total; /* bytes downloaded and verified (rate) */
	uint64_t gen;            /* bumped on every change of `have` */
	uint64_t saved_gen;      /* gen of the last resume write (save_lock) */
	struct sp_rate_sample rate[SP_STORAGE_RATE_SAMPLES];
	unsigned rate_head;

	/* owner's thread */
	struct sp_pbuf **bufs; /* num_pieces slots */
	uint64_t buffered, buffer_cap;
	int64_t rate_mark_us; /* last rate point set by write_block */
	uint32_t verified_since_save;
	int64_t last_save_us;

	struct sp_storage_check_stats check_stats;
	atomic_bool save_pending;
	atomic_bool checking, checked; /* sp_storage_check running / done once */
	pthread_mutex_t save_lock;
	uint8_t zero_hash[20], zero_hash_last[20]; /* SHA-1 of an all-zero piece */
};

/* Size of piece p (the last one may be short). Our own copy so storage
 * does not depend on the metainfo parser's object file. */
static inline uint32_t sp_st_piece_size(const struct sp_metainfo *mi, uint32_t p)
{
	if (p + 1 < mi->num_pieces)
		return mi->piece_length;
	return (uint32_t)(mi->total_length - (uint64_t)p * mi->piece_length);
}

void sp_storage_ref(struct sp_storage *st);
void sp_storage_unref(struct sp_storage *st);

/* files.c */
void sp_sfiles_close(struct sp_storage *st);
/* Index of the file holding torrent byte off (skips empty files). */
size_t sp_sfile_at(const struct sp_storage *st, uint64_t off);
/* fd of file i, opening it (write: O_RDWR|O_CREAT, else read-only, no
 * create). -errno on failure. */
int sp_sfile_fd(struct sp_storage *st, size_t i, bool write);
/* Read torrent bytes; pad files read as zeros. 0 or -errno (-ENODATA if a
 * file is missing or too short); msg (may be NULL) gets path + reason. */
int sp_storage_io_read(struct sp_storage *st, uint64_t off, void *buf, size_t len, char *msg,
		       size_t msglen);
/* Write torrent bytes; pad files are skipped. 0 or -errno with msg. */
int sp_storage_io_write(struct sp_storage *st, uint64_t off, const void *buf, size_t len,
			char *msg, size_t msglen);
/* Could [off, off+len) hold data on disk? false if a file is missing, too
 * short or has a hole there (a sparse region we never wrote). */
bool sp_storage_io_has_data(struct sp_storage *st, uint64_t off, uint64_t len);
/* fdatasync every dirty file. 0 or the first -errno. */
int sp_sfiles_sync(struct sp_storage *st);
/* stat file i without creating it. 0 or -errno. */
struct stat;
int sp_sfile_stat(struct sp_storage *st, size_t i, struct stat *sb);
/* Create the torrent's empty files (best effort). */
void sp_sfiles_touch_empty(struct sp_storage *st);

/* storage.c */
/* Mark piece verified (any thread): sets the bit, wakes readers, and if
 * it was downloaded (not found by a check) counts it in the rate. */
void sp_storage_mark_verified(struct sp_storage *st, uint32_t piece, bool downloaded);
/* Hash piece from disk into out; false on read error. */
bool sp_storage_hash_from_disk(struct sp_storage *st, uint32_t piece, uint8_t *scratch,
			       uint8_t out[20]);
bool sp_storage_piece_hash_ok(const struct sp_storage *st, uint32_t piece, const uint8_t h[20]);

/* pieces.c: save the resume file on a worker if enough has changed. */
void sp_storage_maybe_save(struct sp_storage *st);

/* Owner's thread, on every block: a rate point at the start of a burst. */
void sp_storage_rate_mark(struct sp_storage *st);

/* resume.c */
int sp_resume_save(struct sp_storage *st);

#endif
