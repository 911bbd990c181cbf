/* reader.h - the stream reader's internal constructor and hooks, for the
 * session (src/net) that implements sp_torrent_open_reader().
 *
 * A reader reads one file of the torrent with file-relative offsets and
 * returns only SHA-1-verified bytes (include/swarmplay/swarmplay.h has the
 * public read/cancel/... functions). Several readers may exist on one
 * storage. The reader holds a reference on the storage, so it may outlive
 * sp_storage_free() (reads of verified data still work; waits return
 * -ECANCELED once the storage is closed). sp_reader_close() must not race
 * a read on the same reader: cancel, let the reading thread return, then
 * close.
 *
 * Threads: one thread at a time reads a reader (the demux thread); the
 * hooks on_cursor and ready_to_start run on that thread, on_close on the
 * thread that closes; sp_reader_cancel/resume/set_bitrate/available and
 * the getters below are callable from any thread. */
#ifndef SP_STORAGE_READER_H
#define SP_STORAGE_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/storage.h"
#include "swarmplay/swarmplay.h"

struct sp_reader_hooks {
	void *ctx;
	/* The read position moved (a seek, a piece boundary crossed, or a
	 * read that has waited a while for its piece) or the bitrate
	 * or lead changed. torrent_offset is a torrent byte offset; bitrate in
	 * bytes/s, 0 if unknown; lead_s the seconds of media read but not yet
	 * played (sp_reader_set_lead): the byte at torrent_offset is needed
	 * lead_s from now. Runs on the reading thread (or the one that
	 * called sp_reader_set_bitrate or sp_reader_set_waiting, which also
	 * report; sp_reader_waiting says which): post it to the net thread for
	 * sp_picker_cursor_set(); do not block. At most about once per piece
	 * of reading, plus seeks. Optional. */
	void (*on_cursor)(void *ctx, struct sp_reader *r, uint64_t torrent_offset,
			  double bitrate, double lead_s);
	/* The reader is being closed (sp_picker_cursor_remove). Optional. */
	void (*on_close)(void *ctx, struct sp_reader *r);
	/* Optional start rule from the picker's per-peer rates; NULL: the
	 * reader's own estimate from storage's verified-byte rate. */
	bool (*ready_to_start)(void *ctx, struct sp_reader *r, uint64_t torrent_offset,
			       double ahead_s);
};

/* file_index of sp_storage_metainfo(st); bitrate_hint in bytes/s (0 if
 * unknown, e.g. sp_metainfo_bitrate()); hooks copied, may be NULL.
 * Returns NULL on a bad index or no memory. */
struct sp_reader *sp_reader_new(struct sp_storage *st, int file_index, double bitrate_hint,
				const struct sp_reader_hooks *hooks);
/* A unique small id (never 0) for the picker's cursor. Any thread. */
uint32_t sp_reader_id(const struct sp_reader *r);
int sp_reader_file_index(const struct sp_reader *r);
/* Torrent offset of the file's first byte. */
uint64_t sp_reader_base(const struct sp_reader *r);
/* Current bitrate: the demuxer's, else the hint; bytes/s, 0 if unknown. */
double sp_reader_bitrate(const struct sp_reader *r);
/* The consumer's lead (sp_reader_set_lead), seconds. */
double sp_reader_lead(const struct sp_reader *r);
/* The reader's own start rule (without the hook): the bytes at offset
 * (file-relative) are here and what is missing of the next ahead_s
 * seconds arrives within ahead_s at storage's verified-byte rate. The
 * reader's thread. */
bool sp_reader_own_start_rule(struct sp_reader *r, uint64_t offset, double ahead_s);
/* Does the consumer wait for its first start (sp_reader_set_waiting)?
 * Any thread. */
bool sp_reader_waiting(const struct sp_reader *r);
/* The last position reported to on_cursor (torrent offset). */
uint64_t sp_reader_cursor(const struct sp_reader *r);

struct sp_reader_stats {
	uint64_t served;     /* bytes returned by sp_reader_read */
	uint64_t from_cache; /* of which from pieces verified before the reader opened */
	uint64_t waits;      /* reads that had to wait for a piece */
	uint64_t seeks;      /* reads not at the end of the previous one */
};
void sp_reader_get_stats(const struct sp_reader *r, struct sp_reader_stats *out);

#endif
