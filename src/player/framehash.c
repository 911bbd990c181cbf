/* framehash.c - per-frame MD5 in ffmpeg framemd5's packing.
 *
 * ffmpeg's framemd5 muxer receives rawvideo packets: the frame's planes
 * copied with av_image_copy_to_buffer(align 1), so the digest depends
 * only on the pixels, not on the decoder's line padding. We do the same,
 * with libavutil's MD5, on the video decode thread before any frame is
 * dropped for display. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/md5.h>
#include <libavutil/mem.h>

#include "core/i18n.h"
#include "player/framehash.h"

#define FRAME_BYTES_MAX ((size_t)512 << 20)

struct sp_framehash {
	FILE *f;
	unsigned char *buf;
	size_t cap;
	int err;
};

int sp_framehash_digest(const struct AVFrame *frame, unsigned char **buf, size_t *cap,
			char hex[33])
{
	int size = av_image_get_buffer_size(frame->format, frame->width, frame->height, 1);
	if (size <= 0)
		return -EINVAL;
	if ((size_t)size > FRAME_BYTES_MAX)
		return -EOVERFLOW;
	if ((size_t)size > *cap) {
		unsigned char *nb = av_realloc(*buf, (size_t)size);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = (size_t)size;
	}
	int n = av_image_copy_to_buffer(*buf, size, (const uint8_t *const *)frame->data,
					frame->linesize, frame->format, frame->width,
					frame->height, 1);
	if (n < 0)
		return -EINVAL;
	uint8_t md5[16];
	av_md5_sum(md5, *buf, n);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md5[i]);
	return 0;
}

struct sp_framehash *sp_framehash_open(const char *path, bool append, struct sp_error **err)
{
	struct sp_framehash *fh = calloc(1, sizeof(*fh));
	if (!fh) {
		sp_error_set(err, -ENOMEM, _("out of memory"));
		return NULL;
	}
	fh->f = fopen(path, append ? "a" : "w");
	if (!fh->f) {
		sp_error_set(err, -errno, _("cannot open %s: %s"), path, strerror(errno));
		free(fh);
		return NULL;
	}
	return fh;
}

int sp_framehash_add(struct sp_framehash *fh, const struct AVFrame *frame)
{
	char hex[33];
	int r = sp_framehash_digest(frame, &fh->buf, &fh->cap, hex);
	if (r < 0) {
		/* keep the line count right so a comparison shows where */
		snprintf(hex, sizeof(hex), "error%d", -r);
	}
	if (fprintf(fh->f, "%s\n", hex) < 0 && !fh->err)
		fh->err = -EIO;
	return r;
}

int sp_framehash_close(struct sp_framehash *fh)
{
	if (!fh)
		return 0;
	int r = fh->err;
	if (fclose(fh->f) != 0 && !r)
		r = -EIO;
	av_free(fh->buf);
	free(fh);
	return r;
}
