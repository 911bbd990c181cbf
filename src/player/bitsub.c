/* bitsub.c - bitmap subtitles (PGS, DVB, VobSub): libavcodec decodes them
 * into palettized rectangles; the sub thread composes each subtitle's
 * rectangles into one ARGB picture (their bounding box), the main thread
 * keeps a track's recent pictures and draws the one due at the clock,
 * scaled from the subtitle's canvas to the video's rectangle.
 *
 * Times: a picture shows from its start until its end, or, without one
 * (PGS says none), until the next picture of its track starts; a picture
 * with no rectangle is such a clear. Pictures carry the serial of their
 * packet: a seek (a new serial of p->sq) hides what was before it, and
 * the first picture of the new serial drops the old ones.
 *
 * Threads: sp_bitsub_picture on the sub thread; the rest on the main
 * thread (the texture belongs to the renderer). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "player/player_int.h"

#define BITSUB_PICS_MAX 16
#define BITSUB_SIDE_MAX 8192	      /* a rectangle's width or height */
#define BITSUB_AREA_MAX (4096 * 4096) /* the composed picture's pixels */

struct sp_bitpic {
	int64_t start_ms, end_ms; /* end INT64_MAX: until the next picture */
	int serial;
	int canvas_w, canvas_h; /* the rectangles' frame; 0: the video's size */
	int x, y, w, h;		/* the bounding box; w == 0: a clear */
	uint32_t *argb;		/* w * h, 0xAARRGGBB */
};

struct sp_bitsubs {
	struct sp_bitpic *pics[BITSUB_PICS_MAX]; /* by start */
	int n;
	int serial;
	SDL_Texture *tex;
	const struct sp_bitpic *tex_pic; /* what tex holds */
	const struct sp_bitpic *given;	 /* what sp_bitsub_argb gave last */
	bool given_set;
};

static bool rect_ok(const AVSubtitleRect *r)
{
	return r->type == SUBTITLE_BITMAP && r->data[0] && r->data[1] && r->w > 0 && r->h > 0 &&
	       r->w <= BITSUB_SIDE_MAX && r->h <= BITSUB_SIDE_MAX && r->x >= 0 && r->y >= 0 &&
	       r->x <= BITSUB_SIDE_MAX && r->y <= BITSUB_SIDE_MAX && r->linesize[0] >= r->w &&
	       r->nb_colors > 0 && r->nb_colors <= 256;
}

static void blit(struct sp_bitpic *pic, const AVSubtitleRect *r)
{
	const uint32_t *pal = (const uint32_t *)r->data[1];
	for (int y = 0; y < r->h; y++) {
		const uint8_t *src = r->data[0] + (size_t)y * r->linesize[0];
		uint32_t *dst = pic->argb + (size_t)(r->y - pic->y + y) * pic->w + (r->x - pic->x);
		for (int x = 0; x < r->w; x++)
			dst[x] = src[x] < r->nb_colors ? pal[src[x]] : 0;
	}
}

void sp_bitsub_pic_free(struct sp_bitpic *pic)
{
	if (pic)
		free(pic->argb);
	free(pic);
}

struct sp_bitpic *sp_bitsub_picture(const AVSubtitle *sub, int64_t start_ms, int64_t end_ms,
				    int serial, int canvas_w, int canvas_h)
{
	struct sp_bitpic *pic = calloc(1, sizeof(*pic));
	if (!pic)
		return NULL;
	*pic = (struct sp_bitpic){.start_ms = start_ms,
				  .end_ms = end_ms,
				  .serial = serial,
				  .canvas_w = canvas_w,
				  .canvas_h = canvas_h};
	int x0 = INT_MAX, y0 = INT_MAX, x1 = 0, y1 = 0;
	for (unsigned i = 0; i < sub->num_rects; i++) {
		const AVSubtitleRect *r = sub->rects[i];
		if (!rect_ok(r))
			continue;
		x0 = r->x < x0 ? r->x : x0;
		y0 = r->y < y0 ? r->y : y0;
		x1 = r->x + r->w > x1 ? r->x + r->w : x1;
		y1 = r->y + r->h > y1 ? r->y + r->h : y1;
	}
	if (x1 <= x0 || y1 <= y0)
		return pic; /* a clear */
	if ((int64_t)(x1 - x0) * (y1 - y0) > BITSUB_AREA_MAX) {
		SP_WARN("player", "a bitmap subtitle of %dx%d pixels left out", x1 - x0, y1 - y0);
		return pic;
	}
	pic->argb = calloc((size_t)(x1 - x0) * (y1 - y0), sizeof(uint32_t));
	if (!pic->argb)
		return pic;
	pic->x = x0;
	pic->y = y0;
	pic->w = x1 - x0;
	pic->h = y1 - y0;
	for (unsigned i = 0; i < sub->num_rects; i++)
		if (rect_ok(sub->rects[i]))
			blit(pic, sub->rects[i]);
	return pic;
}

static void drop_first(struct sp_bitsubs *b, int k)
{
	for (int i = 0; i < k; i++) {
		if (b->tex_pic == b->pics[i])
			b->tex_pic = NULL;
		if (b->given == b->pics[i])
			b->given_set = false;
		sp_bitsub_pic_free(b->pics[i]);
	}
	memmove(b->pics, b->pics + k, (size_t)(b->n - k) * sizeof(b->pics[0]));
	b->n -= k;
}

void sp_bitsub_add(struct sp_subtrack *t, struct sp_bitpic *pic, int64_t pos_ms)
{
	if (!t->bits && !(t->bits = calloc(1, sizeof(*t->bits)))) {
		sp_bitsub_pic_free(pic);
		return;
	}
	struct sp_bitsubs *b = t->bits;
	if (pic->serial < b->serial) {
		sp_bitsub_pic_free(pic);
		return;
	}
	if (pic->serial > b->serial || b->n == 0) {
		drop_first(b, b->n);
		b->serial = pic->serial;
	}
	/* the ones the clock has left behind for good go */
	int k = 0;
	while (k + 1 < b->n && b->pics[k + 1]->start_ms <= pos_ms)
		k++;
	if (b->n - k >= BITSUB_PICS_MAX)
		k = b->n - BITSUB_PICS_MAX + 1;
	drop_first(b, k);
	int i = b->n;
	while (i > 0 && b->pics[i - 1]->start_ms > pic->start_ms) {
		b->pics[i] = b->pics[i - 1];
		i--;
	}
	b->pics[i] = pic;
	b->n++;
}

/* The picture due at ms, or NULL. */
static const struct sp_bitpic *due(const struct sp_bitsubs *b, int64_t ms)
{
	const struct sp_bitpic *cur = NULL;
	for (int i = 0; i < b->n && b->pics[i]->start_ms <= ms; i++)
		cur = b->pics[i];
	return cur && ms < cur->end_ms && cur->w > 0 ? cur : NULL;
}

static SDL_Texture *texture(struct player *p, struct sp_bitsubs *b, const struct sp_bitpic *pic)
{
	if (b->tex && b->tex_pic == pic)
		return b->tex;
	if (b->tex)
		SDL_DestroyTexture(b->tex);
	b->tex_pic = NULL;
	b->tex = SDL_CreateTexture(p->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STATIC,
				   pic->w, pic->h);
	if (!b->tex)
		return NULL;
	SDL_SetTextureBlendMode(b->tex, SDL_BLENDMODE_BLEND);
	if (SDL_UpdateTexture(b->tex, NULL, pic->argb, pic->w * 4) < 0)
		return NULL;
	b->tex_pic = pic;
	return b->tex;
}

void sp_bitsub_draw(struct player *p, struct sp_subtrack *t, int64_t ms, SDL_Rect video)
{
	struct sp_bitsubs *b = t->bits;
	if (!b || b->serial != sp_pktq_serial(&p->sq) || video.w <= 0 || video.h <= 0)
		return;
	const struct sp_bitpic *pic = due(b, ms);
	if (!pic)
		return;
	int cw = pic->canvas_w > 0 ? pic->canvas_w : p->tex_w;
	int ch = pic->canvas_h > 0 ? pic->canvas_h : p->tex_h;
	SDL_Texture *tex = cw > 0 && ch > 0 ? texture(p, b, pic) : NULL;
	if (!tex)
		return;
	SDL_Rect dst = {video.x + (int)((int64_t)pic->x * video.w / cw),
			video.y + (int)((int64_t)pic->y * video.h / ch),
			(int)((int64_t)pic->w * video.w / cw),
			(int)((int64_t)pic->h * video.h / ch)};
	SDL_RenderCopy(p->ren, tex, NULL, &dst);
}

void sp_bitsub_forget(struct sp_subtrack *t)
{
	if (t->bits)
		t->bits->given_set = false;
}

int sp_bitsub_argb(struct player *p, struct sp_subtrack *t, int64_t ms, uint32_t **px,
		   SDL_Rect *box, int *cw, int *ch)
{
	*px = NULL;
	struct sp_bitsubs *b = t->bits;
	if (!b)
		return 0;
	const struct sp_bitpic *pic = b->serial == sp_pktq_serial(&p->sq) ? due(b, ms) : NULL;
	if (b->given_set && pic == b->given)
		return 0;
	b->given = pic;
	b->given_set = true;
	*cw = pic && pic->canvas_w > 0 ? pic->canvas_w : p->vst ? p->vst->codecpar->width : 0;
	*ch = pic && pic->canvas_h > 0 ? pic->canvas_h : p->vst ? p->vst->codecpar->height : 0;
	if (!pic || *cw <= 0 || *ch <= 0)
		return 1;
	*px = malloc((size_t)pic->w * pic->h * 4);
	if (*px) {
		memcpy(*px, pic->argb, (size_t)pic->w * pic->h * 4);
		*box = (SDL_Rect){pic->x, pic->y, pic->w, pic->h};
	}
	return 1;
}

void sp_bitsub_free(struct sp_subtrack *t)
{
	struct sp_bitsubs *b = t->bits;
	if (!b)
		return;
	drop_first(b, b->n);
	if (b->tex)
		SDL_DestroyTexture(b->tex);
	free(b);
	t->bits = NULL;
}
