/* framehash.h - MD5 of decoded video frames, packed as ffmpeg's framemd5
 * muxer packs them (planes copied with no padding, align 1), one hex
 * digest per line. The correctness oracle of the e2e tests.
 * One writer thread (the video decoder). */
#ifndef SP_PLAYER_FRAMEHASH_H
#define SP_PLAYER_FRAMEHASH_H

#include <stdbool.h>

#include "core/error.h"

struct AVFrame;
struct sp_framehash;

/* append: after what the file holds (a playlist's later plays). */
struct sp_framehash *sp_framehash_open(const char *path, bool append, struct sp_error **err);
/* Hash one frame and append its digest line. 0 or negative errno. */
int sp_framehash_add(struct sp_framehash *fh, const struct AVFrame *frame);
/* Flushes and closes; 0 or negative errno (write error). NULL is fine. */
int sp_framehash_close(struct sp_framehash *fh);

/* The digest alone: hex gets 32 chars + NUL. Uses and grows *buf up to
 * a ceiling of 512 MiB per frame. */
int sp_framehash_digest(const struct AVFrame *frame, unsigned char **buf, size_t *cap,
			char hex[33]);

#endif
