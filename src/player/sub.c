/* sub.c - subtitles: SubRip, ASS/SSA, mov_text and WebVTT streams
 * decoded with libavcodec (every text stream, so that switching tracks
 * needs no seek) and an external file (--sub, or the torrent's own .srt
 * beside the video) decoded whole before playback starts; drawn with
 * libass at the master clock's time, so pauses and seeks need nothing of
 * their own: events carry their times, libass drops duplicates by their
 * ReadOrder. Bitmap streams (PGS, DVB, VobSub) are decoded on the same
 * thread into pictures that bitsub.c keeps and draws.
 *
 * Threads: the demux thread routes packets to p->sq and opens the
 * external file; the sub thread decodes p->sq into events (under
 * p->sub_mu); the main thread takes the events into libass tracks and
 * the --subhash file, draws, and answers the keys. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ass/ass.h>

#include "core/i18n.h"
#include "core/log.h"
#include "core/subtext.h"
#include "player/player_int.h"
#include "player/text.h"

#define SUB_EXTERNAL_PACKETS_MAX 200000
#define SUB_TEXT_MAX 4096

static bool text_codec(const AVCodecParameters *par)
{
	const AVCodecDescriptor *d = avcodec_descriptor_get(par->codec_id);
	return par->codec_type == AVMEDIA_TYPE_SUBTITLE && d && (d->props & AV_CODEC_PROP_TEXT_SUB);
}

static bool bitmap_codec(const AVCodecParameters *par)
{
	const AVCodecDescriptor *d = avcodec_descriptor_get(par->codec_id);
	return par->codec_type == AVMEDIA_TYPE_SUBTITLE && d &&
	       (d->props & AV_CODEC_PROP_BITMAP_SUB);
}

/* --sub-codepage goes to FFmpeg (iconv, before decoding) for the plain
 * text formats; mov_text says its own charset. */
static AVCodecContext *open_decoder(struct player *p, AVStream *st)
{
	const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
	AVCodecContext *c = codec ? avcodec_alloc_context3(codec) : NULL;
	if (!c)
		return NULL;
	if (avcodec_parameters_to_context(c, st->codecpar) < 0)
		goto fail;
	c->pkt_timebase = st->time_base;
	if (p->cfg->sub_codepage && c->codec_id != AV_CODEC_ID_MOV_TEXT &&
	    text_codec(st->codecpar) && !(c->sub_charenc = av_strdup(p->cfg->sub_codepage)))
		goto fail;
	if (avcodec_open2(c, codec, NULL) < 0) {
		if (p->cfg->sub_codepage)
			fprintf(stderr, _("swarmplay: cannot read subtitles as %s\n"),
				p->cfg->sub_codepage);
		goto fail;
	}
	return c;
fail:
	avcodec_free_context(&c);
	return NULL;
}

static struct sp_subtrack *add_track(struct player *p, AVStream *st, AVCodecContext *dec)
{
	if (p->nsubs >= SP_SUB_TRACKS_MAX)
		return NULL;
	struct sp_subtrack *t = &p->subs[p->nsubs++];
	*t = (struct sp_subtrack){.stream = -1, .dec = dec};
	if (dec->subtitle_header && dec->subtitle_header_size > 0) {
		t->header = malloc((size_t)dec->subtitle_header_size + 1);
		if (t->header) {
			memcpy(t->header, dec->subtitle_header, (size_t)dec->subtitle_header_size);
			t->header[dec->subtitle_header_size] = 0;
		}
	}
	const AVDictionaryEntry *l = av_dict_get(st->metadata, "language", NULL, 0);
	if (l)
		snprintf(t->lang, sizeof(t->lang), "%s", l->value);
	return t;
}

/* Takes pic (when line is NULL). */
static void push_event(struct player *p, int track, int64_t start, int64_t dur, const char *line,
		       struct sp_bitpic *pic)
{
	struct sp_subevent *e = calloc(1, sizeof(*e));
	if (!e || (line && !(e->line = strdup(line)))) {
		free(e);
		sp_bitsub_pic_free(pic);
		return;
	}
	e->track = track;
	e->start_ms = start;
	e->dur_ms = dur;
	e->pic = pic;
	pthread_mutex_lock(&p->sub_mu);
	if (p->sub_last)
		p->sub_last->next = e;
	else
		p->sub_first = e;
	p->sub_last = e;
	pthread_mutex_unlock(&p->sub_mu);
}

/* A plain-text subtitle whose bytes are not UTF-8 is taken as
 * Windows-1252, as mpv guesses for legacy .srt files. NULL: use pkt as it
 * is (mov_text and bitmaps are binary: never). */
static AVPacket *to_utf8(const AVCodecContext *dec, const AVPacket *pkt)
{
	const AVCodecDescriptor *d = avcodec_descriptor_get(dec->codec_id);
	if (dec->codec_id == AV_CODEC_ID_MOV_TEXT || !d || !(d->props & AV_CODEC_PROP_TEXT_SUB) ||
	    dec->sub_charenc || !pkt->data || pkt->size <= 0 ||
	    sp_subtext_is_utf8(pkt->data, (size_t)pkt->size))
		return NULL;
	AVPacket *u = av_packet_alloc();
	if (!u || av_new_packet(u, pkt->size * 3 + 1) < 0) {
		av_packet_free(&u);
		return NULL;
	}
	av_packet_copy_props(u, pkt);
	u->size = (int)sp_subtext_cp1252_to_utf8(pkt->data, (size_t)pkt->size, (char *)u->data,
						 (size_t)pkt->size * 3 + 1);
	return u;
}

/* A bitmap subtitle: its picture from start to its end, else its
 * packet's duration, else until the next one. */
static void push_bitmap(struct player *p, int ti, const AVSubtitle *sub, int64_t base,
			const AVPacket *pkt, int serial)
{
	const AVCodecContext *dec = p->subs[ti].dec;
	int64_t start = base + sub->start_display_time, end = INT64_MAX;
	if (sub->end_display_time > sub->start_display_time && sub->end_display_time != UINT32_MAX)
		end = base + sub->end_display_time;
	else if (pkt->duration > 0)
		end = start + av_rescale_q(pkt->duration, p->ic->streams[pkt->stream_index]->time_base,
					   (AVRational){1, 1000});
	struct sp_bitpic *pic = sp_bitsub_picture(sub, start, end, serial, dec->width, dec->height);
	if (pic)
		push_event(p, ti, start, 0, NULL, pic);
}

/* One packet of track ti into events (serial: its queue's). */
static void decode_packet(struct player *p, int ti, AVCodecContext *dec, AVPacket *pkt,
			  int serial)
{
	AVSubtitle sub;
	int got = 0;
	AVPacket *u = to_utf8(dec, pkt);
	int r = avcodec_decode_subtitle2(dec, &sub, &got, u ? u : pkt);
	av_packet_free(&u);
	if (r < 0 || !got)
		return;
	if (sub.pts != AV_NOPTS_VALUE) {
		int64_t base = sub.pts / 1000 - llround(p->subs[ti].t0 * 1000);
		int64_t start = base + sub.start_display_time;
		int64_t dur = sub.end_display_time > sub.start_display_time
				      ? (int64_t)sub.end_display_time - sub.start_display_time
				      : 5000; /* no end: a few seconds, as players do */
		if (p->subs[ti].bitmap)
			push_bitmap(p, ti, &sub, base, pkt, serial);
		for (unsigned i = 0; !p->subs[ti].bitmap && i < sub.num_rects; i++)
			if (sub.rects[i]->type == SUBTITLE_ASS && sub.rects[i]->ass)
				push_event(p, ti, start, dur, sub.rects[i]->ass, NULL);
	}
	avsubtitle_free(&sub);
}

/* The external file, read and decoded whole (it is small; a torrent's
 * has the earliest deadlines). A file that cannot be read is a warning. */
static void read_external(struct player *p, AVFormatContext *ic)
{
	int si = av_find_best_stream(ic, AVMEDIA_TYPE_SUBTITLE, -1, -1, NULL, 0);
	if (si < 0 || !text_codec(ic->streams[si]->codecpar)) {
		SP_WARN("player", "%s: no text subtitles", p->sub_src->name);
		return;
	}
	AVCodecContext *dec = open_decoder(p, ic->streams[si]);
	struct sp_subtrack *t = dec ? add_track(p, ic->streams[si], dec) : NULL;
	if (!t) {
		avcodec_free_context(&dec);
		return;
	}
	t->dec = NULL; /* decoded here, now: the sub thread never sees it */
	int ti = (int)(t - p->subs);
	if (!t->lang[0])
		sp_subtext_name_lang(p->sub_src->name, t->lang, sizeof(t->lang));
	AVPacket *pkt = av_packet_alloc();
	for (int n = 0; pkt && n < SUB_EXTERNAL_PACKETS_MAX && !atomic_load(&p->abort); n++) {
		if (av_read_frame(ic, pkt) < 0)
			break;
		if (pkt->stream_index == si)
			decode_packet(p, ti, dec, pkt, 0);
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	avcodec_free_context(&dec);
	SP_INFO("player", "external subtitles: %s", p->sub_src->name);
}

void sp_sub_open_external(struct player *p)
{
	if (!p->sub_src)
		return;
	AVIOContext *pb = sp_source_avio_new(p->sub_src, NULL);
	AVFormatContext *ic = pb ? avformat_alloc_context() : NULL;
	if (!ic) {
		sp_source_avio_free(&pb);
		return;
	}
	ic->pb = pb;
	ic->flags |= AVFMT_FLAG_CUSTOM_IO;
	int r = avformat_open_input(&ic, p->sub_src->name, NULL, NULL);
	if (r >= 0 && avformat_find_stream_info(ic, NULL) >= 0)
		read_external(p, ic);
	else if (!atomic_load(&p->abort))
		fprintf(stderr, _("swarmplay: cannot read the subtitles %s\n"), p->sub_src->name);
	avformat_close_input(&ic);
	sp_source_avio_free(&pb);
}

bool sp_sub_route(struct player *p, AVPacket *pkt)
{
	for (int i = 0; i < p->nsubs; i++) {
		if (p->subs[i].stream == pkt->stream_index && p->subs[i].dec) {
			AVPacket *copy = av_packet_alloc();
			if (copy) {
				av_packet_move_ref(copy, pkt);
				sp_pktq_put(&p->sq, copy);
			}
			return true;
		}
	}
	return false;
}

/* After a seek, the bitmap decoders forget the half-read subtitle they
 * may hold (text decoders hold nothing). */
static void flush_bitmap_decoders(struct player *p)
{
	for (int i = 0; i < p->nsubs; i++)
		if (p->subs[i].bitmap && p->subs[i].dec)
			avcodec_flush_buffers(p->subs[i].dec);
}

static void *sub_thread(void *arg)
{
	struct player *p = arg;
	int last_serial = -1;
	for (;;) {
		AVPacket *pkt = NULL;
		int serial;
		if (sp_pktq_get(&p->sq, &pkt, &serial, true) < 0)
			break;
		if (serial != last_serial && last_serial >= 0)
			flush_bitmap_decoders(p);
		last_serial = serial;
		if (!pkt) {
			atomic_store(&p->sub_finished, serial);
			continue;
		}
		for (int i = 0; i < p->nsubs; i++)
			if (p->subs[i].stream == pkt->stream_index && p->subs[i].dec)
				decode_packet(p, i, p->subs[i].dec, pkt, serial);
		av_packet_free(&pkt);
	}
	return NULL;
}

/* --slang's best, else an external file, else a stream marked default. */
static int choose_track(struct player *p)
{
	int best = -1, best_rank = 1 << 30;
	for (int i = 0; i < p->nsubs; i++) {
		int r = sp_subtext_lang_rank(p->cfg->slang, p->subs[i].lang);
		if (r >= 0 && r < best_rank) {
			best = i;
			best_rank = r;
		}
	}
	if (best >= 0)
		return best;
	for (int i = 0; i < p->nsubs; i++)
		if (p->subs[i].stream < 0)
			return i;
	for (int i = 0; i < p->nsubs; i++)
		if (p->ic->streams[p->subs[i].stream]->disposition & AV_DISPOSITION_DEFAULT)
			return i;
	return -1;
}

static void make_ass_tracks(struct player *p)
{
	ASS_Library *lib = sp_text_library(p->text);
	for (int i = 0; lib && i < p->nsubs; i++) {
		struct sp_subtrack *t = &p->subs[i];
		if (t->bitmap)
			continue;
		t->ass = ass_new_track(lib);
		if (t->ass && t->header)
			ass_process_codec_private(t->ass, t->header, (int)strlen(t->header));
	}
}

int sp_sub_setup(struct player *p, struct sp_error **err)
{
	AVFormatContext *ic = p->ic;
	for (unsigned i = 0; i < ic->nb_streams; i++) {
		AVStream *st = ic->streams[i];
		bool bitmap = bitmap_codec(st->codecpar);
		if (!text_codec(st->codecpar) && !bitmap)
			continue;
		AVCodecContext *dec = open_decoder(p, st);
		struct sp_subtrack *t = dec ? add_track(p, st, dec) : NULL;
		if (!t) {
			avcodec_free_context(&dec);
			continue;
		}
		t->stream = (int)i;
		t->bitmap = bitmap;
		t->t0 = p->start_time;
	}
	p->sub_cur = p->sub_hash_track = choose_track(p);
	if (p->cfg->subhash_path) {
		p->subhash = fopen(p->cfg->subhash_path, "w");
		if (!p->subhash)
			return sp_error_set(err, -errno, _("cannot write %s: %s"),
					    p->cfg->subhash_path, strerror(errno));
	}
	if (p->sub_cur >= 0)
		SP_INFO("player", "subtitles: track %d of %d (%s)", p->sub_cur + 1, p->nsubs,
			p->subs[p->sub_cur].lang[0] ? p->subs[p->sub_cur].lang : "?");
	for (int i = 0; i < p->nsubs; i++) {
		if (p->subs[i].stream < 0)
			continue;
		if (pthread_create(&p->sub_thread, NULL, sub_thread, p) != 0)
			return sp_error_set(err, -EAGAIN, _("cannot start a thread"));
		p->sub_started = true;
		break;
	}
	return 0;
}

bool sp_sub_done(struct player *p)
{
	return !p->sub_started || atomic_load(&p->sub_finished) == sp_pktq_serial(&p->sq);
}

/* --subhash: the events of the chosen track as SubRip, text as shown and
 * normalized (subtext.h); a seek's repeats are left out. */
static void hash_event(struct player *p, const struct sp_subevent *e)
{
	char plain[SUB_TEXT_MAX], norm[SUB_TEXT_MAX], t1[32], t2[32];
	sp_subtext_ass_plain(sp_subtext_ass_text(e->line), plain, sizeof(plain));
	sp_subtext_normalize(plain, norm, sizeof(norm));
	uint64_t h = 1469598103934665603ull;
	for (const char *c = norm; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	if (!norm[0] || e->start_ms < p->subhash_last_ms ||
	    (e->start_ms == p->subhash_last_ms && h == p->subhash_last_h))
		return;
	p->subhash_last_ms = e->start_ms;
	p->subhash_last_h = h;
	sp_subtext_srt_time(e->start_ms, t1, sizeof(t1));
	sp_subtext_srt_time(e->start_ms + e->dur_ms, t2, sizeof(t2));
	fprintf(p->subhash, "%d\n%s --> %s\n%s\n\n", ++p->subhash_n, t1, t2, norm);
}

void sp_sub_poll(struct player *p)
{
	/* libass's tracks wait for its fonts (text.h): so do the events */
	if (p->text && !p->sub_tracks_made) {
		if (!sp_text_ready(p->text))
			return;
		make_ass_tracks(p);
		p->sub_tracks_made = true;
	}
	pthread_mutex_lock(&p->sub_mu);
	struct sp_subevent *e = p->sub_first;
	p->sub_first = p->sub_last = NULL;
	pthread_mutex_unlock(&p->sub_mu);
	while (e) {
		struct sp_subevent *next = e->next;
		struct sp_subtrack *t = &p->subs[e->track];
		if (e->pic) {
			bool shown = p->ren || p->cfg->sub_pictures; /* a renderer's or a host's */
			double pos = shown ? sp_player_position(p) : NAN;
			if (shown)
				sp_bitsub_add(t, e->pic, isnan(pos) ? 0 : llround(pos * 1000));
			else
				sp_bitsub_pic_free(e->pic);
			free(e);
			e = next;
			continue;
		}
		if (t->ass)
			ass_process_chunk(t->ass, e->line, (int)strlen(e->line), e->start_ms,
					  e->dur_ms);
		if (p->subhash && e->track == p->sub_hash_track)
			hash_event(p, e);
		free(e->line);
		free(e);
		e = next;
	}
}

void sp_sub_draw(struct player *p, int w, int h, SDL_Rect video)
{
	if (p->sub_cur < 0 || p->sub_hidden || !p->opened)
		return;
	struct sp_subtrack *t = &p->subs[p->sub_cur];
	double pos = sp_player_position(p);
	if (isnan(pos))
		return;
	if (t->bitmap)
		sp_bitsub_draw(p, t, llround(pos * 1000), video);
	else if (t->ass)
		sp_text_draw_track(p->text, t->ass, llround(pos * 1000), 0, 0, w, h);
}

int sp_sub_argb(struct player *p, int w, int h, uint32_t **px, SDL_Rect *box, int *fw, int *fh)
{
	*px = NULL;
	*fw = w;
	*fh = h;
	if (p->sub_cur < 0 || p->sub_hidden || !p->opened)
		return -1;
	double pos = sp_player_position(p);
	if (isnan(pos))
		return 0;
	struct sp_subtrack *t = &p->subs[p->sub_cur];
	if (t->bitmap)
		return sp_bitsub_argb(p, t, llround(pos * 1000), px, box, fw, fh);
	return sp_text_track_argb(p->text, t->ass, llround(pos * 1000), w, h, px, box);
}

void sp_sub_cycle(struct player *p)
{
	char msg[64];
	if (!p->nsubs) {
		sp_osd_message(p, _("no subtitles"));
		return;
	}
	p->sub_cur = p->sub_cur + 1 >= p->nsubs ? -1 : p->sub_cur + 1;
	p->sub_hidden = false;
	if (p->sub_cur < 0) {
		sp_osd_message(p, _("subtitles off"));
		return;
	}
	const char *lang = p->subs[p->sub_cur].lang;
	snprintf(msg, sizeof(msg), _("subtitles %d/%d %s"), p->sub_cur + 1, p->nsubs, lang);
	sp_osd_message(p, msg);
}

void sp_sub_set_track(struct player *p, int n)
{
	if (n < 0 || n > p->nsubs)
		return;
	p->sub_cur = n - 1;
	if (n > 0)
		p->sub_hidden = false;
	sp_text_forget(p->text);
	for (int i = 0; i < p->nsubs; i++)
		sp_bitsub_forget(&p->subs[i]);
}

void sp_sub_toggle(struct player *p)
{
	p->sub_hidden = !p->sub_hidden;
	sp_osd_message(p, p->sub_hidden ? _("subtitles hidden") : _("subtitles shown"));
}

void sp_sub_stop(struct player *p)
{
	sp_pktq_abort(&p->sq);
	if (p->sub_src)
		sp_source_cancel(p->sub_src);
	if (p->sub_started)
		pthread_join(p->sub_thread, NULL);
	p->sub_started = false;
}

void sp_sub_fini(struct player *p)
{
	if (p->text)
		sp_text_wait(p->text);
	sp_sub_poll(p); /* the last events still go to --subhash */
	if (p->subhash)
		fclose(p->subhash);
	p->subhash = NULL;
	for (int i = 0; i < p->nsubs; i++) {
		avcodec_free_context(&p->subs[i].dec);
		free(p->subs[i].header);
		p->subs[i].header = NULL;
	}
}

void sp_sub_fini_tracks(struct player *p)
{
	for (int i = 0; i < p->nsubs; i++) {
		if (p->subs[i].ass)
			ass_free_track(p->subs[i].ass);
		p->subs[i].ass = NULL;
		sp_bitsub_free(&p->subs[i]);
	}
}
