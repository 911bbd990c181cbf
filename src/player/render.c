/* render.c - the window: video frames as YUV streaming textures, kept at
 * the video's aspect ratio (letterboxed), with the OSD drawn on top.
 *
 * SDL takes yuv420p (IYUV), nv12 and nv21 directly; any other pixel format
 * is converted to yuv420p with swscale. With keep_window (the files of
 * a torrent's playlist in `play`) the window and its renderer outlive the
 * play, cleared to black, and the next play takes them over. Main thread only (SDL's rule). */
#include <errno.h>
#include <stdlib.h>

#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "core/i18n.h"
#include "core/log.h"
#include "player/player_int.h"
#include "player/text.h"

#define DEFAULT_W 640
#define DEFAULT_H 360
#define MAX_INITIAL_W 1280
#define MAX_INITIAL_H 720

/* Signage (the kiosk): the window outlives a play, black between two, so
 * the screen never shows the desktop between items. Main thread. */
static struct {
	SDL_Window *win;
	SDL_Renderer *ren;
	bool fullscreen;
} kept;

/* At exit, the kept window and SDL go (the plays never quit SDL's video
 * while they keep it). */
static void release_kept(void)
{
	if (kept.ren)
		SDL_DestroyRenderer(kept.ren);
	if (kept.win)
		SDL_DestroyWindow(kept.win);
	kept.ren = NULL;
	kept.win = NULL;
	SDL_Quit();
}

static void keep_at_exit(void)
{
	static bool registered;
	if (!registered)
		registered = atexit(release_kept) == 0;
}

static bool reuse_kept(struct player *p)
{
	if (!p->cfg->keep_window || !kept.win)
		return false;
	p->win = kept.win;
	p->ren = kept.ren;
	kept.win = NULL;
	kept.ren = NULL;
	SDL_SetWindowTitle(p->win, p->cfg->title ? p->cfg->title : "swarmplay");
	if (kept.fullscreen != p->cfg->fullscreen)
		SDL_SetWindowFullscreen(p->win,
					p->cfg->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
	return true;
}

/* A window and its renderer (accelerated, else software). 0 or -ENODEV
 * with *err. */
static int create_window(const struct sp_play_config *cfg, SDL_Window **win,
			 SDL_Renderer **ren, struct sp_error **err)
{
	Uint32 flags = SDL_WINDOW_RESIZABLE;
	if (cfg->fullscreen)
		flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
	const char *title = cfg->title ? cfg->title : "swarmplay";
	*win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, DEFAULT_W,
				DEFAULT_H, flags);
	if (!*win)
		return sp_error_set(err, -ENODEV, _("cannot open a window: %s"), SDL_GetError());
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	*ren = SDL_CreateRenderer(*win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
	if (!*ren) {
		SP_INFO("player", "no accelerated renderer (%s), using software", SDL_GetError());
		*ren = SDL_CreateRenderer(*win, -1, SDL_RENDERER_SOFTWARE);
	}
	if (!*ren) {
		sp_error_set(err, -ENODEV, _("cannot open a window: %s"), SDL_GetError());
		SDL_DestroyWindow(*win);
		*win = NULL;
		return -ENODEV;
	}
	return 0;
}

int sp_render_init(struct player *p, struct sp_error **err)
{
	if (reuse_kept(p)) {
		p->fullscreen = p->cfg->fullscreen;
		goto ready;
	}
	int r = create_window(p->cfg, &p->win, &p->ren, err);
	if (r < 0)
		return r;
	p->fullscreen = p->cfg->fullscreen;
ready:
	SDL_SetRenderDrawBlendMode(p->ren, SDL_BLENDMODE_BLEND);
	p->text = sp_text_new(p->ren);
	SDL_SetRenderDrawColor(p->ren, 0, 0, 0, 255);
	SDL_RenderClear(p->ren);
	SDL_RenderPresent(p->ren);
	return 0;
}

void sp_render_fini(struct player *p)
{
	sp_sub_fini_tracks(p); /* libass tracks go before their library */
	sp_text_free(p->text);
	p->text = NULL;
	if (p->tex)
		SDL_DestroyTexture(p->tex);
	if (p->cfg->keep_window && p->win && p->ren && !kept.win) {
		SDL_SetRenderDrawColor(p->ren, 0, 0, 0, 255);
		SDL_RenderClear(p->ren);
		SDL_RenderPresent(p->ren);
		keep_at_exit();
		kept.win = p->win;
		kept.ren = p->ren;
		kept.fullscreen = p->fullscreen;
		p->win = NULL;
		p->ren = NULL;
	}
	if (p->ren)
		SDL_DestroyRenderer(p->ren);
	if (p->win)
		SDL_DestroyWindow(p->win);
	p->tex = NULL;
	p->ren = NULL;
	p->win = NULL;
	sws_freeContext(p->sws);
	p->sws = NULL;
	av_frame_free(&p->sws_frame);
}

void sp_render_set_video_size(struct player *p, int w, int h, AVRational sar)
{
	p->sar = sar;
	if (!p->win || p->fullscreen || w <= 0 || h <= 0)
		return;
	double aspect = (double)w / h;
	if (sar.num > 0 && sar.den > 0)
		aspect *= av_q2d(sar);
	int ww = (int)(h * aspect + 0.5), wh = h;
	if (ww > MAX_INITIAL_W) {
		ww = MAX_INITIAL_W;
		wh = (int)(ww / aspect + 0.5);
	}
	if (wh > MAX_INITIAL_H) {
		wh = MAX_INITIAL_H;
		ww = (int)(wh * aspect + 0.5);
	}
	SDL_SetWindowSize(p->win, ww, wh);
	SDL_SetWindowPosition(p->win, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
}

static Uint32 sdl_format(int pix_fmt)
{
	switch (pix_fmt) {
	case AV_PIX_FMT_YUV420P:
	case AV_PIX_FMT_YUVJ420P:
		return SDL_PIXELFORMAT_IYUV;
	case AV_PIX_FMT_NV12:
		return SDL_PIXELFORMAT_NV12;
	case AV_PIX_FMT_NV21:
		return SDL_PIXELFORMAT_NV21;
	default:
		return SDL_PIXELFORMAT_UNKNOWN;
	}
}

static int ensure_texture(struct player *p, Uint32 fmt, int w, int h)
{
	if (p->tex && p->tex_fmt == fmt && p->tex_w == w && p->tex_h == h)
		return 0;
	if (p->tex)
		SDL_DestroyTexture(p->tex);
	p->tex = SDL_CreateTexture(p->ren, fmt, SDL_TEXTUREACCESS_STREAMING, w, h);
	if (!p->tex) {
		SP_WARN("player", "cannot create a %dx%d texture: %s", w, h, SDL_GetError());
		return -1;
	}
	p->tex_fmt = fmt;
	p->tex_w = w;
	p->tex_h = h;
	return 0;
}

/* Any pixel format SDL cannot take → yuv420p. */
static const AVFrame *convert(struct player *p, const AVFrame *f)
{
	p->sws = sws_getCachedContext(p->sws, f->width, f->height, f->format, f->width,
				      f->height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
	if (!p->sws)
		return NULL;
	if (!p->sws_frame)
		p->sws_frame = av_frame_alloc();
	AVFrame *o = p->sws_frame;
	if (!o)
		return NULL;
	if (o->width != f->width || o->height != f->height) {
		av_frame_unref(o);
		o->format = AV_PIX_FMT_YUV420P;
		o->width = f->width;
		o->height = f->height;
		if (av_frame_get_buffer(o, 0) < 0)
			return NULL;
	}
	sws_scale(p->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, o->data,
		  o->linesize);
	return o;
}

int sp_render_upload(struct player *p, const AVFrame *f)
{
	if (!p->ren)
		return 0;
	Uint32 fmt = sdl_format(f->format);
	if (fmt == SDL_PIXELFORMAT_UNKNOWN) {
		f = convert(p, f);
		if (!f)
			return -1;
		fmt = SDL_PIXELFORMAT_IYUV;
	}
	if (ensure_texture(p, fmt, f->width, f->height) < 0)
		return -1;
	int r;
	if (fmt == SDL_PIXELFORMAT_IYUV) {
		if (f->linesize[0] < 0 || f->linesize[1] < 0 || f->linesize[2] < 0)
			return -1;
		r = SDL_UpdateYUVTexture(p->tex, NULL, f->data[0], f->linesize[0], f->data[1],
					 f->linesize[1], f->data[2], f->linesize[2]);
	} else {
		r = SDL_UpdateNVTexture(p->tex, NULL, f->data[0], f->linesize[0], f->data[1],
					f->linesize[1]);
	}
	return r < 0 ? -1 : 0;
}

/* The largest rectangle of the video's aspect ratio inside w x h. */
SDL_Rect sp_render_video_rect(struct player *p, int w, int h)
{
	double aspect = p->tex_h ? (double)p->tex_w / p->tex_h : 16.0 / 9;
	if (p->sar.num > 0 && p->sar.den > 0)
		aspect *= av_q2d(p->sar);
	int vw = w, vh = (int)(w / aspect + 0.5);
	if (vh > h) {
		vh = h;
		vw = (int)(h * aspect + 0.5);
	}
	return (SDL_Rect){(w - vw) / 2, (h - vh) / 2, vw, vh};
}

void sp_render_draw(struct player *p)
{
	if (!p->ren)
		return;
	int w, h;
	if (SDL_GetRendererOutputSize(p->ren, &w, &h) < 0)
		return;
	SDL_SetRenderDrawColor(p->ren, 0, 0, 0, 255);
	SDL_RenderClear(p->ren);
	if (p->tex) {
		SDL_Rect r = sp_render_video_rect(p, w, h);
		SDL_RenderCopy(p->ren, p->tex, NULL, &r);
	}
	/* subtitles under the OSD: text above its panel (as last drawn) */
	sp_sub_draw(p, w, p->osd_panel_y > 0 ? p->osd_panel_y : h, sp_render_video_rect(p, w, h));
	sp_osd_draw(p, w, h);
	sp_text_gc(p->text);
	SDL_RenderPresent(p->ren);
}

void sp_render_toggle_fullscreen(struct player *p)
{
	if (!p->win)
		return;
	p->fullscreen = !p->fullscreen;
	SDL_SetWindowFullscreen(p->win, p->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
}
