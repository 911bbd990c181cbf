/* maketorrent.h - making a .tstream: scan the input, choose the piece
 * size, hash the pieces on worker threads, encode, write atomically.
 *
 * Pure of FFmpeg: the caller (swarmplay create) probes durations and
 * fills sp_mk_file.duration between sp_mk_scan() and sp_mk_encode(). The
 * output is deterministic: files sorted by path, keys sorted, no creation
 * date unless asked for. Functions run on the caller's thread, except
 * that sp_mk_hash() runs worker threads and calls progress from the
 * caller's thread. */
#ifndef SP_MAKETORRENT_H
#define SP_MAKETORRENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

struct sp_mk_file {
	char *path;      /* '/'-separated path below the input directory; for a
			    single file, its base name */
	char *abs;       /* what to open */
	uint64_t length;
	double duration; /* seconds, 0 when unknown (the caller probes) */
};

struct sp_mk_list {
	char *name;      /* base name of the input */
	bool multi;      /* the input was a directory */
	struct sp_mk_file *files;
	size_t num_files;
	uint64_t total;
};

struct sp_mk_opts {
	char **trackers;       /* first is `announce`; all in announce-list, one tier each */
	size_t num_trackers;
	char **web_seeds;      /* url-list */
	size_t num_web_seeds;
	const char *comment;
	const char *title;     /* azureus_properties.Content.Title */
	const char *created_by;
	bool private_flag;
	bool with_date;
	int64_t date;          /* creation date when with_date */
};

/* List a file, or a directory's regular files recursively (sorted by
 * path, '/' first; symlinks and special files are skipped). */
int sp_mk_scan(const char *input, struct sp_mk_list *out, struct sp_error **err);
void sp_mk_list_fini(struct sp_mk_list *l);

/* Bytes per second of the list's main video (largest file with a known
 * duration), 0 when no duration is known. */
double sp_mk_bitrate(const struct sp_mk_list *l, size_t *main_index);
/* Piece length: a power of two of about half a second of video, larger
 * (up to 1-2 s of video) for files that would have over 4096 pieces,
 * 16 KiB..4 MiB; Tribler's table by total size when the bitrate is 0. */
uint32_t sp_mk_choose_piece_length(uint64_t total, double bytes_per_sec);

/* SHA-1 of every piece with `threads` workers (0: all cores), each
 * hashing a contiguous range of pieces with pread. *hashes gets
 * 20 * pieces bytes (caller frees). progress may be NULL. */
int sp_mk_hash(const struct sp_mk_list *l, uint32_t piece_length, int threads,
	       void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx,
	       uint8_t **hashes, struct sp_error **err);

/* Encode the .tstream (keys sorted as bencode requires). */
int sp_mk_encode(const struct sp_mk_list *l, const struct sp_mk_opts *o,
		 uint32_t piece_length, const uint8_t *hashes, struct sp_buf *out,
		 struct sp_error **err);

/* Format seconds as "[h:]mm:ss[.fff]" (the .tstream playtime). */
void sp_mk_format_playtime(double secs, char *out, size_t n);

/* Write data to path atomically: a temporary file in the same directory,
 * fsync, rename. */
int sp_mk_write_atomic(const char *path, const void *data, size_t len, struct sp_error **err);

#endif
