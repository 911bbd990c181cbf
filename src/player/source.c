/* source.c - byte sources (local file, torrent reader) and the
 * AVIOContext bridge the demuxer reads through.
 *
 * Invariants: the AVIO read callback never returns 0 (libavformat takes
 * that as "try again" in some paths); end of file is AVERROR_EOF and a
 * cancelled read is AVERROR_EXIT, so av_read_frame() returns at once when
 * the player cancels for a seek or quit. Reads happen on the demux thread;
 * cancel/resume on any thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avio.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "player/source.h"
#include "swarmplay/swarmplay.h"

#define AVIO_BUF_SIZE (64 * 1024)

/* ---- local file ---- */

struct file_src {
	int fd;
	int64_t size;
	atomic_int cancelled;
};

static ssize_t file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct file_src *f = ctx;
	if (atomic_load(&f->cancelled))
		return -ECANCELED;
	ssize_t n;
	do
		n = pread(f->fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int64_t file_size(void *ctx)
{
	return ((struct file_src *)ctx)->size;
}

static void file_cancel(void *ctx)
{
	atomic_store(&((struct file_src *)ctx)->cancelled, 1);
}

static void file_resume(void *ctx)
{
	atomic_store(&((struct file_src *)ctx)->cancelled, 0);
}

static void file_close(void *ctx)
{
	struct file_src *f = ctx;
	close(f->fd);
	free(f);
}

static const struct sp_source_ops file_ops = {
	.read = file_read,
	.size = file_size,
	.cancel = file_cancel,
	.resume = file_resume,
	.close = file_close,
};

struct sp_source *sp_source_file_new(const char *path, struct sp_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sp_error_set(err, -errno, _("cannot open %s: %s"), path, strerror(errno));
		return NULL;
	}
	struct stat stbuf;
	if (fstat(fd, &stbuf) < 0 || !S_ISREG(stbuf.st_mode)) {
		sp_error_set(err, -EINVAL, _("%s is not a regular file"), path);
		close(fd);
		return NULL;
	}
	struct file_src *f = calloc(1, sizeof(*f));
	struct sp_source *s = calloc(1, sizeof(*s));
	char *name = strdup(path);
	if (!f || !s || !name) {
		free(f);
		free(s);
		free(name);
		close(fd);
		sp_error_set(err, -ENOMEM, _("out of memory"));
		return NULL;
	}
	f->fd = fd;
	f->size = stbuf.st_size;
	s->ops = &file_ops;
	s->ctx = f;
	s->name = name;
	return s;
}

/* ---- torrent reader ---- */

struct reader_src {
	struct sp_reader *r;
	bool own;
};

static ssize_t reader_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	return sp_reader_read(((struct reader_src *)ctx)->r, off, buf, len);
}

static int64_t reader_size(void *ctx)
{
	return sp_reader_size(((struct reader_src *)ctx)->r);
}

static void reader_cancel(void *ctx)
{
	sp_reader_cancel(((struct reader_src *)ctx)->r);
}

static void reader_resume(void *ctx)
{
	sp_reader_resume(((struct reader_src *)ctx)->r);
}

static bool reader_available(void *ctx, uint64_t off, uint64_t len)
{
	return sp_reader_available(((struct reader_src *)ctx)->r, off, len);
}

static bool reader_ready(void *ctx, uint64_t off, double ahead_s)
{
	return sp_reader_ready_to_start(((struct reader_src *)ctx)->r, off, ahead_s);
}

static void reader_set_bitrate(void *ctx, double bps)
{
	sp_reader_set_bitrate(((struct reader_src *)ctx)->r, bps);
}

static void reader_set_lead(void *ctx, double seconds)
{
	sp_reader_set_lead(((struct reader_src *)ctx)->r, seconds);
}

static void reader_set_waiting(void *ctx, bool waiting)
{
	sp_reader_set_waiting(((struct reader_src *)ctx)->r, waiting);
}

static void reader_close(void *ctx)
{
	struct reader_src *rs = ctx;
	if (rs->own)
		sp_reader_close(rs->r);
	free(rs);
}

static const struct sp_source_ops reader_ops = {
	.read = reader_read,
	.size = reader_size,
	.cancel = reader_cancel,
	.resume = reader_resume,
	.available = reader_available,
	.ready = reader_ready,
	.set_bitrate = reader_set_bitrate,
	.set_lead = reader_set_lead,
	.set_waiting = reader_set_waiting,
	.close = reader_close,
};

struct sp_source *sp_source_reader_new(struct sp_reader *r, const char *name, bool own)
{
	struct reader_src *rs = calloc(1, sizeof(*rs));
	struct sp_source *s = calloc(1, sizeof(*s));
	char *nm = strdup(name ? name : "torrent");
	if (!rs || !s || !nm) {
		free(rs);
		free(s);
		free(nm);
		return NULL;
	}
	rs->r = r;
	rs->own = own;
	s->ops = &reader_ops;
	s->ctx = rs;
	s->name = nm;
	return s;
}

void sp_source_free(struct sp_source *s)
{
	if (!s)
		return;
	s->ops->close(s->ctx);
	free(s->name);
	free(s);
}

ssize_t sp_source_read(struct sp_source *s, uint64_t off, void *buf, size_t len)
{
	return s->ops->read(s->ctx, off, buf, len);
}

int64_t sp_source_size(struct sp_source *s)
{
	return s->ops->size(s->ctx);
}

void sp_source_cancel(struct sp_source *s)
{
	s->ops->cancel(s->ctx);
}

void sp_source_resume(struct sp_source *s)
{
	s->ops->resume(s->ctx);
}

bool sp_source_available(struct sp_source *s, uint64_t off, uint64_t len)
{
	return s->ops->available ? s->ops->available(s->ctx, off, len) : true;
}

bool sp_source_ready(struct sp_source *s, uint64_t off, double ahead_s)
{
	return s->ops->ready ? s->ops->ready(s->ctx, off, ahead_s) : true;
}

void sp_source_set_bitrate(struct sp_source *s, double bytes_per_sec)
{
	if (s->ops->set_bitrate)
		s->ops->set_bitrate(s->ctx, bytes_per_sec);
}

void sp_source_set_lead(struct sp_source *s, double seconds)
{
	if (s->ops->set_lead)
		s->ops->set_lead(s->ctx, seconds);
}

void sp_source_set_waiting(struct sp_source *s, bool waiting)
{
	if (s->ops->set_waiting)
		s->ops->set_waiting(s->ctx, waiting);
}

/* ---- AVIOContext bridge ---- */

struct avio_opaque {
	struct sp_source *src;
	struct sp_avio_stats *st;
	uint64_t pos;
	int64_t size;
};

static int avio_on_read(void *opaque, uint8_t *buf, int len)
{
	struct avio_opaque *o = opaque;
	if (o->size >= 0 && o->pos >= (uint64_t)o->size)
		return AVERROR_EOF;
	int64_t t0 = sp_now_us();
	ssize_t n = sp_source_read(o->src, o->pos, buf, (size_t)len);
	int64_t waited = sp_now_us() - t0;
	if (o->st)
		atomic_fetch_add(&o->st->blocked_us, waited);
	if (waited > 20000)
		SP_DEBUG("player", "read at %llu waited %lld ms for %zd bytes",
			 (unsigned long long)o->pos, (long long)(waited / 1000), n);
	if (n == 0)
		return AVERROR_EOF;
	if (n == -ECANCELED)
		return AVERROR_EXIT;
	if (n < 0)
		return AVERROR(-(int)n);
	o->pos += (uint64_t)n;
	if (o->st)
		atomic_store(&o->st->pos, o->pos);
	return (int)n;
}

static int64_t avio_on_seek(void *opaque, int64_t offset, int whence)
{
	struct avio_opaque *o = opaque;
	int64_t np;
	switch (whence & ~AVSEEK_FORCE) {
	case AVSEEK_SIZE:
		return o->size >= 0 ? o->size : AVERROR(ENOSYS);
	case SEEK_SET:
		np = offset;
		break;
	case SEEK_CUR:
		np = (int64_t)o->pos + offset;
		break;
	case SEEK_END:
		if (o->size < 0)
			return AVERROR(ENOSYS);
		np = o->size + offset;
		break;
	default:
		return AVERROR(EINVAL);
	}
	if (np < 0)
		return AVERROR(EINVAL);
	o->pos = (uint64_t)np;
	if (o->st)
		atomic_store(&o->st->pos, o->pos);
	return np;
}

struct AVIOContext *sp_source_avio_new(struct sp_source *s, struct sp_avio_stats *st)
{
	struct avio_opaque *o = av_mallocz(sizeof(*o));
	uint8_t *buf = av_malloc(AVIO_BUF_SIZE);
	if (!o || !buf) {
		av_free(o);
		av_free(buf);
		return NULL;
	}
	o->src = s;
	o->st = st;
	o->size = sp_source_size(s);
	AVIOContext *pb = avio_alloc_context(buf, AVIO_BUF_SIZE, 0, o, avio_on_read, NULL,
					     avio_on_seek);
	if (!pb) {
		av_free(o);
		av_free(buf);
		return NULL;
	}
	return pb;
}

void sp_source_avio_free(struct AVIOContext **pb)
{
	if (!pb || !*pb)
		return;
	av_free((*pb)->opaque);
	av_freep(&(*pb)->buffer);
	avio_context_free(pb);
}
