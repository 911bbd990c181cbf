/* shot.c - screenshots (key s, --screenshot-at): the frame on screen with
 * its subtitles, as mpv's "s" takes it (no OSD), at the video's own size
 * (its sample aspect ratio applied), as a PNG from libavcodec's encoder.
 *
 * The picture is drawn again into a render target the video's size and
 * read back, so it is what the window shows, subtitles scaled as they
 * would be in a window of that size. Main thread (the renderer's). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/i18n.h"
#include "core/log.h"
#include "player/player_int.h"
#include "player/shot_dir.h"

#define SHOT_SIDE_MAX 8192
#define SHOT_NAMES_MAX 10000

int sp_shot_png(const char *path, const uint8_t *rgb, int w, int h)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
	AVCodecContext *c = codec ? avcodec_alloc_context3(codec) : NULL;
	AVFrame *f = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	int r = -ENOMEM;
	if (!c || !f || !pkt)
		goto out;
	c->width = w;
	c->height = h;
	c->pix_fmt = AV_PIX_FMT_RGB24;
	c->time_base = (AVRational){1, 25};
	r = -ENOTSUP;
	if (avcodec_open2(c, codec, NULL) < 0)
		goto out;
	f->format = AV_PIX_FMT_RGB24;
	f->width = w;
	f->height = h;
	f->data[0] = (uint8_t *)rgb;
	f->linesize[0] = w * 3;
	r = -EIO;
	if (avcodec_send_frame(c, f) < 0 || avcodec_receive_packet(c, pkt) < 0)
		goto out;
	/* written beside it, then renamed: whoever sees path (a test, a
	 * monitor polling for it) reads a whole PNG */
	char tmp[4200];
	r = -ENAMETOOLONG;
	if (snprintf(tmp, sizeof(tmp), "%s.part", path) >= (int)sizeof(tmp))
		goto out;
	FILE *out = fopen(tmp, "wb");
	if (!out) {
		r = -errno;
		goto out;
	}
	bool ok = fwrite(pkt->data, 1, (size_t)pkt->size, out) == (size_t)pkt->size;
	r = fclose(out) == 0 && ok ? 0 : -EIO;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		remove(tmp);
out:
	av_packet_free(&pkt);
	f->data[0] = NULL;
	av_frame_free(&f);
	avcodec_free_context(&c);
	return r;
}

/* The shown frame and its subtitles, drawn w x h and read back as RGB24. */
static uint8_t *grab(struct player *p, int w, int h)
{
	SDL_Texture *target =
	    SDL_CreateTexture(p->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET, w, h);
	uint8_t *rgb = target ? malloc((size_t)w * h * 3) : NULL;
	if (!rgb || SDL_SetRenderTarget(p->ren, target) < 0) {
		free(rgb);
		rgb = NULL;
		goto out;
	}
	SDL_Rect all = {0, 0, w, h};
	SDL_SetRenderDrawColor(p->ren, 0, 0, 0, 255);
	SDL_RenderClear(p->ren);
	SDL_RenderCopy(p->ren, p->tex, NULL, &all);
	sp_sub_draw(p, w, h, all);
	if (SDL_RenderReadPixels(p->ren, NULL, SDL_PIXELFORMAT_RGB24, rgb, w * 3) < 0) {
		SP_WARN("player", "screenshot: %s", SDL_GetError());
		free(rgb);
		rgb = NULL;
	}
	SDL_SetRenderTarget(p->ren, NULL);
out:
	if (target)
		SDL_DestroyTexture(target);
	return rgb;
}

int sp_shot_write(struct player *p, const char *path)
{
	if (!p->ren || !p->tex || p->tex_w <= 0 || p->tex_h <= 0)
		return -ENODATA;
	int w = p->tex_w, h = p->tex_h;
	if (p->sar.num > 0 && p->sar.den > 0 && p->sar.num != p->sar.den)
		w = (int)((int64_t)w * p->sar.num / p->sar.den);
	if (w <= 0 || w > SHOT_SIDE_MAX || h > SHOT_SIDE_MAX)
		return -EINVAL;
	uint8_t *rgb = grab(p, w, h);
	if (!rgb)
		return -EIO;
	int r = sp_shot_png(path, rgb, w, h);
	free(rgb);
	p->last_osd_us = 0; /* the window again at once */
	return r;
}

/* Key s: swarmplay-shotNNNN.png, the first free name in --screenshot-dir,
 * $XDG_PICTURES_DIR or the current directory (sp_shot_dir), as mpv names
 * its own. */
void sp_shot_key(struct player *p)
{
	char dir[4096], name[4200], msg[4300];
	struct stat st;
	int i = 1;
	sp_shot_dir(p->cfg->shot_dir, dir, sizeof(dir));
	for (; i < SHOT_NAMES_MAX; i++) {
		snprintf(name, sizeof(name), "%s/swarmplay-shot%04d.png", dir, i);
		if (stat(name, &st) < 0 && errno == ENOENT)
			break;
	}
	if (i == SHOT_NAMES_MAX || sp_shot_write(p, name) < 0) {
		sp_osd_message(p, _("cannot take a screenshot"));
		SP_WARN("player", "screenshot: cannot write into %s", dir);
		return;
	}
	snprintf(msg, sizeof(msg), _("screenshot %s"), name);
	sp_osd_message(p, msg);
	SP_INFO("player", "screenshot: %s", name);
}

/* --screenshot-at: once a frame at or after the time is on screen. */
void sp_shot_scripted(struct player *p)
{
	int i = p->shot_at_done;
	if (i >= p->cfg->nshot_at || !p->first_shown || p->awaiting_seek ||
	    p->pos + 1e-6 < p->cfg->shot_at[i].at_s)
		return;
	p->shot_at_done++;
	int r = sp_shot_write(p, p->cfg->shot_at[i].path);
	if (r < 0)
		fprintf(stderr, _("swarmplay: cannot write the screenshot %s: %s\n"),
			p->cfg->shot_at[i].path, strerror(-r));
}
