/* source.h - the byte source the player reads its container from.
 *
 * One interface over a plain local file and over a torrent's stream
 * reader (sp_reader), so that the demuxer never knows where bytes come
 * from. The contract is mpv's stream_cb one: read blocks until at least
 * one byte is there, short reads are allowed, 0 means end of file, and
 * cancel (from any thread, never blocking) makes a blocked read return
 * -ECANCELED until resume.
 *
 * Threads: read/size/available are called by the demux thread (and the
 * main thread for available/ready); cancel/resume from any thread. */
#ifndef SP_PLAYER_SOURCE_H
#define SP_PLAYER_SOURCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

struct sp_reader;
struct AVIOContext;

struct sp_source_ops {
	ssize_t (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	int64_t (*size)(void *ctx);
	void (*cancel)(void *ctx);
	void (*resume)(void *ctx);
	/* optional: NULL means "everything is here" */
	bool (*available)(void *ctx, uint64_t off, uint64_t len);
	bool (*ready)(void *ctx, uint64_t off, double ahead_s);
	void (*set_bitrate)(void *ctx, double bytes_per_sec);
	void (*set_lead)(void *ctx, double seconds); /* optional */
	void (*set_waiting)(void *ctx, bool waiting); /* optional */
	void (*close)(void *ctx);
};

struct sp_source {
	const struct sp_source_ops *ops;
	void *ctx;
	char *name; /* for logs and the URL the demuxer sees */
};

/* A local file, read with pread. */
struct sp_source *sp_source_file_new(const char *path, struct sp_error **err);
/* A torrent's stream reader; the source owns it (closes it) when
 * own is true. */
struct sp_source *sp_source_reader_new(struct sp_reader *r, const char *name, bool own);
void sp_source_free(struct sp_source *s);

ssize_t sp_source_read(struct sp_source *s, uint64_t off, void *buf, size_t len);
int64_t sp_source_size(struct sp_source *s);
void sp_source_cancel(struct sp_source *s);
void sp_source_resume(struct sp_source *s);
bool sp_source_available(struct sp_source *s, uint64_t off, uint64_t len);
bool sp_source_ready(struct sp_source *s, uint64_t off, double ahead_s);
void sp_source_set_bitrate(struct sp_source *s, double bytes_per_sec);
/* Seconds of media read but not played yet (sp_reader_set_lead). */
void sp_source_set_lead(struct sp_source *s, double seconds);
/* The player waits for its first start, or plays (sp_reader_set_waiting). */
void sp_source_set_waiting(struct sp_source *s, bool waiting);

/* The AVIOContext bridge: blocking reads at the context's position,
 * seeks including AVSEEK_SIZE. The source is borrowed and must outlive
 * the context. st (may be NULL): pos mirrors the read position (the
 * start rule), blocked_us adds up the time reads waited (the stats file).
 * Free with sp_source_avio_free. */
struct sp_avio_stats {
	_Atomic uint64_t pos;
	_Atomic int64_t blocked_us;
};
struct AVIOContext *sp_source_avio_new(struct sp_source *s, struct sp_avio_stats *st);
void sp_source_avio_free(struct AVIOContext **pb);

#endif
