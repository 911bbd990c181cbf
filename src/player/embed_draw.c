/* embed_draw.c - frames to the embedding host: to its on_frame callback
 * (the player's thread, during present), or into its SDL renderer: the
 * player's thread keeps a reference to the frame shown last, and
 * sp_player_draw, on the host's thread, uploads it to a texture of the
 * host's renderer (IYUV; other formats through swscale) and copies it
 * letterboxed into the host's rectangle. The subtitle shown is made a
 * picture on the player's thread each loop turn it changes (sub.c's
 * sp_sub_argb: libass's or a bitmap's ARGB pixels) and kept under mu;
 * sp_player_draw makes it a blending texture over the picture, and
 * sp_player_screenshot blends it into its PNG. SDL is only ever called on
 * the host's thread, as SDL requires; the decoders never wait for the host. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <SDL2/SDL.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "player/embed_int.h"
#include "player/text.h"

/* The picture's width with its sample aspect ratio applied. */
static int display_width(const AVFrame *f)
{
	AVRational sar = f->sample_aspect_ratio;
	if (sar.num > 0 && sar.den > 0 && sar.num != sar.den)
		return (int)((int64_t)f->width * sar.num / sar.den);
	return f->width;
}

/* The planes' geometry as ffmpeg's framemd5 packs them
 * (av_image_copy_to_buffer with alignment 1). */
static void fill_planes(struct sp_video_frame *out, const AVFrame *f)
{
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
	int planes = av_pix_fmt_count_planes(f->format);
	int bytes[4] = {0};
	if (!d || planes <= 0 || planes > 4 ||
	    av_image_fill_linesizes(bytes, f->format, f->width) < 0)
		planes = 0;
	out->planes = planes;
	for (int i = 0; i < planes; i++) {
		bool chroma = (i == 1 || i == 2) && !(d->flags & AV_PIX_FMT_FLAG_RGB);
		out->data[i] = f->data[i];
		out->stride[i] = f->linesize[i];
		out->row_bytes[i] = bytes[i];
		out->rows[i] = chroma ? AV_CEIL_RSHIFT(f->height, d->log2_chroma_h) : f->height;
	}
}

void sp_embed_on_frame(void *ctx, const AVFrame *f, double pts)
{
	struct sp_player *e = ctx;
	if (e->cfg.video == SP_PLAYER_VIDEO_CALLBACK) {
		struct sp_video_frame out = {.width = f->width,
					     .height = f->height,
					     .format = f->format,
					     .pts = pts,
					     .number = e->frames++};
		out.format_name = av_get_pix_fmt_name(f->format);
		fill_planes(&out, f);
		e->cfg.on_frame(e->cfg.ctx, &out);
		return;
	}
	if (e->cfg.video != SP_PLAYER_VIDEO_RENDERER)
		return;
	AVFrame *ref = av_frame_alloc();
	if (!ref || av_frame_ref(ref, f) < 0) {
		av_frame_free(&ref);
		return;
	}
	e->vid_w = display_width(f);
	e->vid_h = f->height;
	pthread_mutex_lock(&e->mu);
	av_frame_free(&e->latest);
	e->latest = ref;
	e->latest_new = true;
	pthread_mutex_unlock(&e->mu);
	e->frames++;
}

void sp_embed_sub_tick(struct sp_player *e, struct player *p)
{
	if (e->cfg.video != SP_PLAYER_VIDEO_RENDERER || e->vid_w <= 0 || e->vid_h <= 0 ||
	    e->vid_w > 8192 || e->vid_h > 8192)
		return;
	uint32_t *px = NULL;
	SDL_Rect box = {0, 0, 0, 0};
	int fw, fh;
	int r = sp_sub_argb(p, e->vid_w, e->vid_h, &px, &box, &fw, &fh);
	if (r == 0 || (r < 0 && !e->sub_any))
		return;
	e->sub_any = px != NULL;
	pthread_mutex_lock(&e->mu);
	free(e->sub.px);
	e->sub = (struct sp_embed_sub){px, box.x, box.y, box.w, box.h, fw, fh};
	e->sub_new = true;
	pthread_mutex_unlock(&e->mu);
}

/* The subtitle over the video's rectangle dst: its texture remade on the
 * host's thread when the player's thread made a new picture. */
static void draw_sub(struct sp_player *e, SDL_Renderer *ren, SDL_Rect dst, bool new_ren)
{
	pthread_mutex_lock(&e->mu);
	if (e->sub_new || new_ren) {
		if (e->sub_tex)
			SDL_DestroyTexture(e->sub_tex);
		e->sub_tex = NULL;
		e->sub_at = e->sub;
		if (e->sub.px)
			e->sub_tex = sp_text_argb_texture(ren, e->sub.px, e->sub.w, e->sub.h);
		e->sub_new = false;
	}
	pthread_mutex_unlock(&e->mu);
	const struct sp_embed_sub *s = &e->sub_at;
	if (!e->sub_tex || s->fw <= 0 || s->fh <= 0)
		return;
	double sx = (double)dst.w / s->fw, sy = (double)dst.h / s->fh;
	SDL_Rect r = {dst.x + (int)lrint(s->x * sx), dst.y + (int)lrint(s->y * sy),
		      (int)lrint(s->w * sx), (int)lrint(s->h * sy)};
	SDL_RenderCopy(ren, e->sub_tex, NULL, &r);
}

/* The texture for a w x h picture, on the host's renderer. */
static int ensure_texture(struct sp_player *e, SDL_Renderer *ren, int w, int h)
{
	if (e->tex && (e->ren != ren || e->tex_w != w || e->tex_h != h)) {
		SDL_DestroyTexture(e->tex);
		e->tex = NULL;
	}
	e->ren = ren;
	if (!e->tex) {
		e->tex =
		    SDL_CreateTexture(ren, SDL_PIXELFORMAT_IYUV, SDL_TEXTUREACCESS_STREAMING, w, h);
		if (!e->tex)
			return -ENOMEM;
		e->tex_w = w;
		e->tex_h = h;
	}
	return 0;
}

static int upload(struct sp_player *e, SDL_Renderer *ren, const AVFrame *f)
{
	if (ensure_texture(e, ren, f->width, f->height) < 0)
		return -ENOMEM;
	const AVFrame *y = f;
	if (f->format != AV_PIX_FMT_YUV420P) {
		e->sws = sws_getCachedContext(e->sws, f->width, f->height, f->format, f->width,
					      f->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL,
					      NULL, NULL);
		if (!e->sws)
			return -ENOMEM;
		if (!e->conv || e->conv->width != f->width || e->conv->height != f->height) {
			av_frame_free(&e->conv);
			e->conv = av_frame_alloc();
			if (!e->conv)
				return -ENOMEM;
			e->conv->format = AV_PIX_FMT_YUV420P;
			e->conv->width = f->width;
			e->conv->height = f->height;
			if (av_frame_get_buffer(e->conv, 0) < 0) {
				av_frame_free(&e->conv);
				return -ENOMEM;
			}
		}
		sws_scale(e->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
			  e->conv->data, e->conv->linesize);
		y = e->conv;
	}
	SDL_UpdateYUVTexture(e->tex, NULL, y->data[0], y->linesize[0], y->data[1], y->linesize[1],
			     y->data[2], y->linesize[2]);
	return 0;
}

/* The largest rectangle of the picture's shape inside the host's. */
static SDL_Rect fit(const AVFrame *f, int x, int y, int w, int h)
{
	double sar = f->sample_aspect_ratio.num > 0 ? av_q2d(f->sample_aspect_ratio) : 1;
	double aspect = f->width * sar / f->height;
	int dw = w, dh = (int)lrint(w / aspect);
	if (dh > h) {
		dh = h;
		dw = (int)lrint(h * aspect);
	}
	return (SDL_Rect){x + (w - dw) / 2, y + (h - dh) / 2, dw, dh};
}

int sp_embed_draw(struct sp_player *e, void *renderer, int x, int y, int w, int h)
{
	SDL_Renderer *ren = renderer;
	if (!e || !ren || e->cfg.video != SP_PLAYER_VIDEO_RENDERER || w <= 0 || h <= 0)
		return -EINVAL;
	pthread_mutex_lock(&e->mu);
	bool fresh = e->latest_new && e->latest;
	if (fresh) {
		av_frame_free(&e->shown);
		e->shown = e->latest;
		e->latest = NULL;
		e->latest_new = false;
	}
	pthread_mutex_unlock(&e->mu);
	Uint8 r, g, b, a;
	SDL_GetRenderDrawColor(ren, &r, &g, &b, &a);
	SDL_SetRenderDrawColor(ren, 0, 0, 0, 255);
	SDL_RenderFillRect(ren, &(SDL_Rect){x, y, w, h});
	SDL_SetRenderDrawColor(ren, r, g, b, a);
	if (!e->shown)
		return 0;
	bool new_ren = e->ren != ren;
	if ((fresh || new_ren) && upload(e, ren, e->shown) < 0)
		return -ENOMEM;
	SDL_Rect dst = fit(e->shown, x, y, w, h);
	SDL_RenderCopy(ren, e->tex, NULL, &dst);
	draw_sub(e, ren, dst, new_ren);
	return 0;
}

void sp_embed_draw_fini(struct sp_player *e)
{
	if (e->tex)
		SDL_DestroyTexture(e->tex);
	if (e->sub_tex)
		SDL_DestroyTexture(e->sub_tex);
	free(e->sub.px);
	sws_freeContext(e->sws);
	av_frame_free(&e->conv);
	av_frame_free(&e->shown);
	av_frame_free(&e->latest);
}

/* The subtitle's straight-alpha pixels over a w x h RGB24 picture, from
 * its fw x fh frame (nearest pixel). */
static void blend_sub(uint8_t *rgb, int w, int h, const struct sp_embed_sub *s)
{
	if (!s->px || s->fw <= 0 || s->fh <= 0)
		return;
	int x0 = (int)((int64_t)s->x * w / s->fw), y0 = (int)((int64_t)s->y * h / s->fh);
	int x1 = (int)((int64_t)(s->x + s->w) * w / s->fw);
	int y1 = (int)((int64_t)(s->y + s->h) * h / s->fh);
	for (int y = y0 < 0 ? 0 : y0; y < y1 && y < h; y++) {
		int sy = (int)((int64_t)(y - y0) * s->h / (y1 - y0));
		for (int x = x0 < 0 ? 0 : x0; x < x1 && x < w; x++) {
			int sx = (int)((int64_t)(x - x0) * s->w / (x1 - x0));
			uint32_t c = s->px[(size_t)sy * s->w + sx], a = c >> 24;
			uint8_t *d = rgb + ((size_t)y * w + x) * 3;
			for (int k = 0; a && k < 3; k++) {
				uint32_t v = (c >> (16 - 8 * k)) & 255;
				d[k] = (uint8_t)((v * a + d[k] * (255 - a)) / 255);
			}
		}
	}
}

/* The frame shown last (not drawn yet, or in the texture: this is the
 * drawing thread) as a PNG at the video's display size. */
int sp_embed_screenshot(struct sp_player *e, const char *path)
{
	if (!e || !path || !*path || e->cfg.video != SP_PLAYER_VIDEO_RENDERER)
		return -EINVAL;
	pthread_mutex_lock(&e->mu);
	const AVFrame *last = e->latest ? e->latest : e->shown;
	AVFrame *f = last ? av_frame_clone(last) : NULL;
	pthread_mutex_unlock(&e->mu);
	if (!f)
		return -ENODATA;
	int w = display_width(f), h = f->height;
	int r = -EINVAL;
	struct SwsContext *sws = NULL;
	uint8_t *rgb = NULL;
	if (w <= 0 || h <= 0 || w > 8192 || h > 8192)
		goto out;
	r = -ENOMEM;
	sws = sws_getContext(f->width, f->height, f->format, w, h, AV_PIX_FMT_RGB24, SWS_BICUBIC,
			     NULL, NULL, NULL);
	rgb = sws ? malloc((size_t)w * h * 3) : NULL;
	if (!rgb)
		goto out;
	uint8_t *dst[4] = {rgb, NULL, NULL, NULL};
	int stride[4] = {w * 3, 0, 0, 0};
	sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, stride);
	pthread_mutex_lock(&e->mu);
	blend_sub(rgb, w, h, &e->sub);
	pthread_mutex_unlock(&e->mu);
	r = sp_shot_png(path, rgb, w, h);
out:
	free(rgb);
	sws_freeContext(sws);
	av_frame_free(&f);
	return r;
}
