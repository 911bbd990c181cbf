/* demux.c - the demux thread: opens the container through the source's
 * AVIOContext, then reads packets into one queue per stream until the end,
 * serving seeks.
 *
 * Invariants: a seek is requested under p->mu with the source cancelled
 * in the same critical section, and served under p->mu with the source
 * resumed there, so a cancel always precedes its resume and never hits the
 * seek's own reads. After a seek every queue is flushed (serial bumped)
 * before new packets go in. The thread never calls SDL. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libavutil/time.h>

#include "core/clock.h"
#include "core/log.h"
#include "player/player_int.h"

static int interrupt_cb(void *opaque)
{
	struct player *p = opaque;
	return atomic_load(&p->abort);
}

static void timed_wait(struct player *p, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&p->cond, &p->mu, &ts);
}

static void open_failed(struct player *p, const char *what, int averr)
{
	char e[AV_ERROR_MAX_STRING_SIZE] = "";
	av_strerror(averr, e, sizeof(e));
	pthread_mutex_lock(&p->mu);
	snprintf(p->open_error, sizeof(p->open_error), "%s: %s", what, e);
	p->open_state = averr < 0 ? averr : -EINVAL;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
}

/* Open, probe, apply --start. Returns 0 or an AVERROR. */
static int demux_open(struct player *p)
{
	AVFormatContext *ic = avformat_alloc_context();
	if (!ic)
		return AVERROR(ENOMEM);
	ic->pb = p->pb;
	ic->flags |= AVFMT_FLAG_CUSTOM_IO;
	ic->interrupt_callback.callback = interrupt_cb;
	ic->interrupt_callback.opaque = p;
	int r = avformat_open_input(&ic, p->src->name, NULL, NULL);
	if (r < 0) {
		open_failed(p, "open", r);
		return r;
	}
	p->ic = ic;
	SP_INFO("player", "container open (%s)", ic->iformat->name);
	r = avformat_find_stream_info(ic, NULL);
	if (r < 0) {
		open_failed(p, "probe", r);
		return r;
	}
	SP_INFO("player", "streams probed");
	sp_sub_open_external(p);
	/* the main thread reads these only after the open handshake */
	double duration = ic->duration > 0 ? ic->duration / (double)AV_TIME_BASE : 0;
	p->start_time = ic->start_time != AV_NOPTS_VALUE ? ic->start_time / (double)AV_TIME_BASE : 0;
	int64_t size = sp_source_size(p->src);
	if (duration > 0 && size > 0)
		sp_source_set_bitrate(p->src, (double)size / duration);
	if (p->cfg->start_s > 0) {
		int64_t ts = (int64_t)((p->cfg->start_s + p->start_time) * AV_TIME_BASE);
		r = avformat_seek_file(ic, -1, INT64_MIN, ts, ts, 0);
		if (r < 0)
			SP_WARN("player", "cannot seek to %.3f s", p->cfg->start_s);
	}
	pthread_mutex_lock(&p->mu);
	p->probed_duration = duration;
	p->open_state = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* The audio stream the demuxer reads (demux thread). */
static AVStream *audio_stream(struct player *p)
{
	return p->ic->streams[atomic_load(&p->a_stream)];
}

static void do_seek(struct player *p, double target, int audio_switch)
{
	AVFormatContext *ic = p->ic;
	if (audio_switch >= 0 && p->aidx >= 0) {
		/* before the flush: the new serial's packets are the new track's */
		audio_stream(p)->discard = AVDISCARD_ALL;
		ic->streams[audio_switch]->discard = AVDISCARD_DEFAULT;
		atomic_store(&p->a_stream, audio_switch);
	}
	/* the queues go: what the new position's reads ask for is due now */
	sp_source_set_lead(p->src, 0);
	/* a cancelled read left the context in error: clear it first */
	ic->pb->error = 0;
	ic->pb->eof_reached = 0;
	int64_t ts = (int64_t)((target + p->start_time) * AV_TIME_BASE);
	int r = avformat_seek_file(ic, -1, INT64_MIN, ts, ts, 0);
	if (r < 0)
		r = avformat_seek_file(ic, -1, INT64_MIN, ts, INT64_MAX, 0);
	if (r < 0)
		SP_WARN("player", "seek to %.3f s failed", target);
	if (p->vidx >= 0)
		sp_pktq_flush(&p->vq);
	if (p->aidx >= 0)
		sp_pktq_flush(&p->aq);
	sp_pktq_flush(&p->sq);
	atomic_store(&p->eof, 0);
}

double sp_player_queued_s(struct sp_pktq *q, AVStream *st)
{
	int n;
	int64_t bytes, dur;
	sp_pktq_sizes(q, &n, &bytes, &dur);
	double s = dur * av_q2d(st->time_base);
	if (s <= 0 && n > 0) {
		double fps = av_q2d(st->avg_frame_rate);
		s = n / (fps > 0 ? fps : 25.0);
	}
	return s;
}

static bool stream_enough(struct sp_pktq *q, AVStream *st)
{
	int n;
	sp_pktq_sizes(q, &n, NULL, NULL);
	return n > SP_QUEUE_ENOUGH_PACKETS && sp_player_queued_s(q, st) >= SP_QUEUE_ENOUGH_S;
}

/* Seconds of media queued ahead of playback: the least over the streams
 * played (the one to run dry first). The picker's deadlines follow it. */
static double queued_lead(struct player *p)
{
	double lead = -1;
	if (p->vidx >= 0)
		lead = sp_player_queued_s(&p->vq, p->vst);
	if (p->aidx >= 0) {
		double a = sp_player_queued_s(&p->aq, audio_stream(p));
		lead = lead < 0 || a < lead ? a : lead;
	}
	return lead > 0 ? lead : 0;
}

static bool queues_full(struct player *p)
{
	int64_t vb = 0, ab = 0;
	if (p->vidx >= 0)
		sp_pktq_sizes(&p->vq, NULL, &vb, NULL);
	if (p->aidx >= 0)
		sp_pktq_sizes(&p->aq, NULL, &ab, NULL);
	if (vb + ab > SP_QUEUE_MAX_BYTES)
		return true;
	return (p->vidx < 0 || stream_enough(&p->vq, p->vst)) &&
	       (p->aidx < 0 || stream_enough(&p->aq, audio_stream(p)));
}

/* One step of the read loop; returns false to leave the thread. */
static bool demux_step(struct player *p, AVPacket *pkt)
{
	pthread_mutex_lock(&p->mu);
	if (p->seek_req) {
		double t = p->seek_target;
		int sw = p->audio_switch;
		p->seek_req = false;
		p->audio_switch = -1;
		sp_source_resume(p->src);
		pthread_mutex_unlock(&p->mu);
		do_seek(p, t, sw);
		return true;
	}
	sp_source_set_lead(p->src, queued_lead(p));
	if (atomic_load(&p->eof) || queues_full(p)) {
		timed_wait(p, 10);
		pthread_mutex_unlock(&p->mu);
		return true;
	}
	pthread_mutex_unlock(&p->mu);

	int r = av_read_frame(p->ic, pkt);
	if (r < 0) {
		if (atomic_load(&p->abort))
			return false;
		if (r == AVERROR_EXIT)
			return true; /* cancelled for a seek: served next step */
		if (r != AVERROR_EOF)
			SP_WARN("player", "read error (%s), treating as the end", av_err2str(r));
		if (p->vidx >= 0)
			sp_pktq_put(&p->vq, NULL);
		if (p->aidx >= 0)
			sp_pktq_put(&p->aq, NULL);
		sp_pktq_put(&p->sq, NULL);
		atomic_store(&p->eof, 1);
		return true;
	}
	/* a seek cancelled this read: the packet may be cut short, and is
	 * from before the seek anyway */
	pthread_mutex_lock(&p->mu);
	bool stale = p->seek_req;
	pthread_mutex_unlock(&p->mu);
	if (stale) {
		av_packet_unref(pkt);
		return true;
	}
	struct sp_pktq *q = NULL;
	if (pkt->stream_index == p->vidx)
		q = &p->vq;
	else if (p->aidx >= 0 && pkt->stream_index == atomic_load(&p->a_stream))
		q = &p->aq;
	else if (sp_sub_route(p, pkt))
		return true;
	if (!q) {
		av_packet_unref(pkt);
		return true;
	}
	AVPacket *copy = av_packet_alloc();
	if (!copy) {
		av_packet_unref(pkt);
		return true;
	}
	av_packet_move_ref(copy, pkt);
	sp_pktq_put(q, copy);
	return true;
}

void *sp_demux_thread(void *arg)
{
	struct player *p = arg;
	if (demux_open(p) < 0)
		return NULL;
	pthread_mutex_lock(&p->mu);
	while (!p->go && !atomic_load(&p->abort))
		pthread_cond_wait(&p->cond, &p->mu);
	pthread_mutex_unlock(&p->mu);
	AVPacket *pkt = av_packet_alloc();
	while (pkt && !atomic_load(&p->abort) && demux_step(p, pkt))
		;
	av_packet_free(&pkt);
	return NULL;
}

void sp_demux_seek(struct player *p, double target_s)
{
	if (target_s < 0)
		target_s = 0;
	if (p->duration > 0 && target_s > p->duration)
		target_s = p->duration;
	/* read before asking: the demux thread may serve the seek (and bump
	 * the serial) before this function returns */
	p->seek_from_serial = sp_pktq_serial(p->vidx >= 0 ? &p->vq : &p->aq);
	pthread_mutex_lock(&p->mu);
	p->seek_req = true;
	p->seek_target = target_s;
	sp_source_cancel(p->src);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mu);
	p->awaiting_seek = true;
	p->seek_req_us = sp_now_us();
	p->seek_req_target = target_s;
	p->ended = false;
}
