/* decode.c - decoder threads: packets from a stream's queue → frames into
 * its ring. One thread per stream (video, audio).
 *
 * Invariants: a frame carries the serial of the packet that produced it;
 * when the queue's serial changes (a seek) the codec is flushed before the
 * first packet of the new serial. The video thread hashes every decoded
 * frame (--framehash) in output order, before any is dropped for display.
 * The threads never call SDL. With --hwdec, a VAAPI or VDPAU device decodes
 * when there is one (else software, silently, as mpv falls back) and its frames
 * are downloaded (av_hwframe_transfer_data) before anything else sees
 * them. */
#include <errno.h>
#include <math.h>

#include <string.h>

#include <libavutil/hwcontext.h>
#include <libavutil/time.h>

#include "core/i18n.h"
#include "core/log.h"
#include "player/player_int.h"

/* consecutive decode errors before the next packet is fed anyway */
#define SP_DECODE_ERRORS_MAX 64

static enum AVPixelFormat hw_get_format(AVCodecContext *avctx, const enum AVPixelFormat *fmts)
{
	const struct sp_decoder *d = avctx->opaque;
	for (const enum AVPixelFormat *f = fmts; *f != AV_PIX_FMT_NONE; f++)
		if ((int)*f == d->hw_fmt)
			return *f;
	return avcodec_default_get_format(avctx, fmts); /* software after all */
}

/* The codec's pixel format for a device type, or AV_PIX_FMT_NONE. */
static enum AVPixelFormat hw_format(const AVCodec *codec, enum AVHWDeviceType type)
{
	for (int i = 0;; i++) {
		const AVCodecHWConfig *hc = avcodec_get_hw_config(codec, i);
		if (!hc)
			return AV_PIX_FMT_NONE;
		if (hc->device_type == type && (hc->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX))
			return hc->pix_fmt;
	}
}

/* --hwdec auto|vaapi|vdpau: the codec's configuration and a device (auto:
 * VAAPI, then VDPAU), or nothing (software decoding). */
static void try_hwdec(struct sp_decoder *d, AVCodecContext *avctx, const AVCodec *codec)
{
	static const struct {
		const char *name, *label;
		enum AVHWDeviceType type;
	} kinds[] = {{"vaapi", "VAAPI", AV_HWDEVICE_TYPE_VAAPI},
		     {"vdpau", "VDPAU", AV_HWDEVICE_TYPE_VDPAU}};
	const char *mode = d->p->cfg->hwdec;
	d->hw_fmt = -1;
	if (!d->video || !mode || !strcmp(mode, "no"))
		return;
	bool any = !strcmp(mode, "auto");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!any && strcmp(mode, kinds[i].name))
			continue;
		enum AVPixelFormat fmt = hw_format(codec, kinds[i].type);
		AVBufferRef *dev = NULL;
		if (fmt == AV_PIX_FMT_NONE ||
		    av_hwdevice_ctx_create(&dev, kinds[i].type, NULL, NULL, 0) < 0)
			continue;
		avctx->hw_device_ctx = dev;
		avctx->opaque = d;
		avctx->get_format = hw_get_format;
		d->hw_fmt = fmt;
		SP_INFO("player", "hwdec: %s for %s", kinds[i].label, codec->name);
		return;
	}
	SP_INFO("player", "hwdec %s: no %s for %s here, decoding in software", mode,
		any ? "VAAPI or VDPAU" : !strcmp(mode, "vdpau") ? "VDPAU" : "VAAPI", codec->name);
}

int sp_decoder_open(struct player *p, struct sp_decoder *d, AVStream *st, struct sp_pktq *q,
		    struct sp_frameq *fq, bool video, struct sp_error **err)
{
	const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
	if (!codec)
		return sp_error_set(err, -ENOTSUP, _("no decoder for %s"),
				    avcodec_get_name(st->codecpar->codec_id));
	AVCodecContext *avctx = avcodec_alloc_context3(codec);
	if (!avctx)
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	int r = avcodec_parameters_to_context(avctx, st->codecpar);
	if (r >= 0) {
		avctx->pkt_timebase = st->time_base;
		avctx->thread_count = 0; /* auto; frame threading is bit-exact */
		d->p = p;
		d->video = video;
		try_hwdec(d, avctx, codec);
		r = avcodec_open2(avctx, codec, NULL);
	}
	if (r < 0) {
		avcodec_free_context(&avctx);
		return sp_error_set(err, -EINVAL, _("cannot open the %s decoder"), codec->name);
	}
	d->pkt = av_packet_alloc();
	d->sw = d->hw_fmt >= 0 ? av_frame_alloc() : NULL;
	if (!d->pkt || (d->hw_fmt >= 0 && !d->sw)) {
		av_packet_free(&d->pkt);
		avcodec_free_context(&avctx);
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	}
	d->avctx = avctx;
	d->q = q;
	d->fq = fq;
	d->st = st;
	d->p = p;
	d->video = video;
	d->pkt_serial = -1;
	return 0;
}

/* A hardware frame into system memory, in place. 0 or -1. */
static int download(struct sp_decoder *d, AVFrame *frame)
{
	av_frame_unref(d->sw);
	if (av_hwframe_transfer_data(d->sw, frame, 0) < 0 || av_frame_copy_props(d->sw, frame) < 0)
		return -1;
	av_frame_unref(frame);
	av_frame_move_ref(frame, d->sw);
	return 0;
}

/* Deliver a decoded frame to the ring. Returns -1 when aborted. */
static int output_frame(struct sp_decoder *d, AVFrame *frame)
{
	struct player *p = d->p;
	if (d->hw_fmt >= 0 && frame->format == d->hw_fmt && download(d, frame) < 0) {
		SP_WARN("player", "cannot download a decoded frame");
		av_frame_unref(frame);
		return 0;
	}
	if (d->video) {
		atomic_fetch_add(&p->frames_decoded, 1);
		if (p->fh)
			sp_framehash_add(p->fh, frame);
	}
	struct sp_frameq_item *it = sp_frameq_writable(d->fq);
	if (!it)
		return -1;
	int64_t ts = frame->best_effort_timestamp;
	double tb = av_q2d(d->st->time_base);
	it->pts = ts == AV_NOPTS_VALUE ? NAN : ts * tb - p->start_time;
	if (d->video) {
		AVRational fr = av_guess_frame_rate(p->ic, d->st, NULL);
		it->duration = fr.num && fr.den ? av_q2d((AVRational){fr.den, fr.num}) : 0.04;
	} else {
		it->duration = frame->sample_rate ? (double)frame->nb_samples / frame->sample_rate : 0;
	}
	it->serial = d->pkt_serial;
	av_frame_move_ref(it->frame, frame);
	sp_frameq_push(d->fq);
	return 0;
}

/* A new serial of the audio queue may come from another track (key #):
 * the decoder follows the stream the demuxer now reads. Decoder thread. */
static void follow_stream(struct sp_decoder *d)
{
	struct player *p = d->p;
	int want = atomic_load(&p->a_stream);
	if (d->video || want == d->st->index)
		return;
	AVStream *st = p->ic->streams[want];
	const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
	AVCodecContext *c = codec ? avcodec_alloc_context3(codec) : NULL;
	if (c && avcodec_parameters_to_context(c, st->codecpar) >= 0) {
		c->pkt_timebase = st->time_base;
		if (avcodec_open2(c, codec, NULL) >= 0) {
			avcodec_free_context(&d->avctx);
			d->avctx = c;
			d->st = st;
			SP_INFO("player", "audio: stream %d", want);
			return;
		}
	}
	avcodec_free_context(&c);
	SP_WARN("player", "cannot decode audio stream %d", want);
}

/* Feed the next packet. Returns -1 when aborted. */
static int feed(struct sp_decoder *d)
{
	if (!d->pending) {
		AVPacket *pkt = NULL;
		int serial;
		for (;;) {
			if (sp_pktq_get(d->q, &pkt, &serial, true) < 0)
				return -1;
			if (serial == sp_pktq_serial(d->q))
				break;
			av_packet_free(&pkt); /* from before a seek */
		}
		if (serial != d->pkt_serial) {
			follow_stream(d);
			avcodec_flush_buffers(d->avctx);
			atomic_store(&d->finished, 0);
			d->pkt_serial = serial;
		}
		av_packet_unref(d->pkt);
		if (pkt) {
			av_packet_move_ref(d->pkt, pkt);
			av_packet_free(&pkt);
		}
		/* an empty d->pkt is the end marker: drain the decoder */
	}
	int r = avcodec_send_packet(d->avctx, d->pkt->data || d->pkt->side_data_elems ? d->pkt
										 : NULL);
	if (r == AVERROR(EAGAIN)) {
		d->pending = true;
		return 0;
	}
	if (r < 0 && r != AVERROR_EOF)
		SP_DEBUG("player", "decoder refused a packet: %s", av_err2str(r));
	d->pending = false;
	av_packet_unref(d->pkt);
	return 0;
}

static void *decoder_thread(void *arg)
{
	struct sp_decoder *d = arg;
	AVFrame *frame = av_frame_alloc();
	int errors = 0;
	while (frame && !atomic_load(&d->p->abort)) {
		int r = AVERROR(EAGAIN);
		if (d->pkt_serial == sp_pktq_serial(d->q))
			r = avcodec_receive_frame(d->avctx, frame);
		if (r >= 0) {
			errors = 0;
			if (output_frame(d, frame) < 0)
				break;
			continue;
		}
		if (r == AVERROR_EOF) {
			atomic_store(&d->finished, d->pkt_serial);
			avcodec_flush_buffers(d->avctx);
		} else if (r != AVERROR(EAGAIN)) {
			/* a damaged frame: the decoder may still hold good ones (and
			 * the drain at the end must go on), so ask again */
			SP_DEBUG("player", "decode error: %s", av_err2str(r));
			if (++errors < SP_DECODE_ERRORS_MAX)
				continue;
		}
		errors = 0;
		if (feed(d) < 0)
			break;
	}
	av_frame_free(&frame);
	return NULL;
}

int sp_decoder_start(struct sp_decoder *d)
{
	if (pthread_create(&d->thread, NULL, decoder_thread, d) != 0)
		return -EAGAIN;
	d->started = true;
	return 0;
}

void sp_decoder_stop(struct sp_decoder *d)
{
	if (!d->started)
		return;
	pthread_join(d->thread, NULL);
	d->started = false;
}

void sp_decoder_close(struct sp_decoder *d)
{
	av_packet_free(&d->pkt);
	av_frame_free(&d->sw);
	avcodec_free_context(&d->avctx);
}
