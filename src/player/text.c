/* text.c - libass for the OSD and the subtitles (text.h).
 *
 * OSD lines are events of a private track whose PlayRes is its frame
 * size, so one script pixel is one window pixel; each is rendered alone
 * and its images (glyphs, outline) are blended into an ARGB texture the
 * size of their bounding box. Subtitle tracks are rendered into the area
 * the OSD gives them; their texture is remade only when libass says the
 * picture changed. Main thread only. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "player/text.h"

#define CACHE_LINES 48
#define LINE_FRAME_W 4096
#define LINE_FRAME_H 256
#define LINE_MARGIN 8 /* the outline must not touch the frame's edge */
#define TEXT_MAX 512
/* libass keeps every bitmap it rendered up to 128 + 64 MiB by default, and
 * the OSD renders a new line whenever a figure changes (the bytes
 * uploaded never repeat): a kiosk grew without end (bench/soak). Lines and
 * subtitles need a few of them, and our own CACHE_LINES textures keep the
 * OSD's hot ones. */
#define ASS_CACHE_MB 4

struct cached_line {
	char *text;
	int px;
	unsigned used; /* the generation that last asked for it */
	struct sp_text_line line;
};

struct sub_picture {
	SDL_Texture *tex;
	ASS_Track *track;
	int x, y, w, h;
	SDL_Rect dst;
};

struct sp_text {
	SDL_Renderer *ren;
	ASS_Library *lib;
	ASS_Renderer *ass;
	ASS_Track *osd;
	pthread_t fonts_thread;
	bool fonts_started, fonts_joined;
	atomic_bool ready;      /* the fonts are set up: libass may be used */
	unsigned gen;
	struct cached_line lines[CACHE_LINES];
	struct sub_picture sub;
};

static const char osd_header[] =
	"[Script Info]\nScriptType: v4.00+\nPlayResX: 4096\nPlayResY: 256\nWrapStyle: 2\n"
	"ScaledBorderAndShadow: yes\n\n[V4+ Styles]\n"
	"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
	"BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
	"BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
	"Style: OSD," SP_TEXT_FONT ",20,&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,0,0,0,0,"
	"100,100,0,0,1,1,0,7,0,0,0,1\n\n[Events]\n"
	"Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n";

static void ass_log(int level, const char *fmt, va_list va, void *data)
{
	if (level > 2)
		return; /* libass's chatter (font lookups, cache) stays quiet */
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, va);
	SP_DEBUG("player", "libass: %s", msg);
}

static void *fonts_main(void *arg)
{
	struct sp_text *t = arg;
	ass_set_fonts(t->ass, SP_TEXT_FONT, "sans-serif", ASS_FONTPROVIDER_AUTODETECT, NULL, 1);
	atomic_store(&t->ready, true);
	return NULL;
}

void sp_text_wait(struct sp_text *t)
{
	if (t && t->fonts_started && !t->fonts_joined) {
		pthread_join(t->fonts_thread, NULL);
		t->fonts_joined = true;
	}
}

bool sp_text_ready(struct sp_text *t)
{
	if (!t || !atomic_load(&t->ready))
		return false;
	sp_text_wait(t); /* done: the join is immediate */
	return true;
}

struct sp_text *sp_text_new(SDL_Renderer *ren)
{
	struct sp_text *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ren = ren;
	t->lib = ass_library_init();
	if (t->lib) {
		ass_set_message_cb(t->lib, ass_log, NULL);
		t->ass = ass_renderer_init(t->lib);
	}
	if (t->ass)
		ass_set_cache_limits(t->ass, 0, ASS_CACHE_MB);
	if (t->ass)
		t->osd = ass_new_track(t->lib);
	if (t->osd)
		ass_process_codec_private(t->osd, (char *)osd_header, (int)sizeof(osd_header) - 1);
	if (t->osd && pthread_create(&t->fonts_thread, NULL, fonts_main, t) == 0)
		t->fonts_started = true;
	if (!t->fonts_started) {
		SP_WARN("player", "libass did not start: the OSD shows no text");
		sp_text_free(t);
		return NULL;
	}
	return t;
}

static void drop_line(struct cached_line *c)
{
	if (c->line.tex)
		SDL_DestroyTexture(c->line.tex);
	free(c->text);
	memset(c, 0, sizeof(*c));
}

void sp_text_free(struct sp_text *t)
{
	if (!t)
		return;
	sp_text_wait(t);
	for (int i = 0; i < CACHE_LINES; i++)
		drop_line(&t->lines[i]);
	if (t->sub.tex)
		SDL_DestroyTexture(t->sub.tex);
	if (t->osd)
		ass_free_track(t->osd);
	if (t->ass)
		ass_renderer_done(t->ass);
	if (t->lib)
		ass_library_done(t->lib);
	free(t);
}

ASS_Library *sp_text_library(struct sp_text *t)
{
	return sp_text_ready(t) ? t->lib : NULL;
}

/* The images' union, in frame pixels. False when there is no ink. */
static bool images_box(const ASS_Image *img, SDL_Rect *box)
{
	int x0 = 1 << 30, y0 = 1 << 30, x1 = -(1 << 30), y1 = -(1 << 30);
	for (; img; img = img->next) {
		if (img->w <= 0 || img->h <= 0)
			continue;
		x0 = SDL_min(x0, img->dst_x);
		y0 = SDL_min(y0, img->dst_y);
		x1 = SDL_max(x1, img->dst_x + img->w);
		y1 = SDL_max(y1, img->dst_y + img->h);
	}
	if (x1 <= x0 || y1 <= y0)
		return false;
	*box = (SDL_Rect){x0, y0, x1 - x0, y1 - y0};
	return true;
}

/* "Over" compositing of one alpha bitmap of one colour into straight
 * ARGB pixels (what SDL_BLENDMODE_BLEND expects). */
static void blend(uint32_t *px, int pitch, const SDL_Rect *box, const ASS_Image *img)
{
	uint32_t r = img->color >> 24, g = (img->color >> 16) & 255, b = (img->color >> 8) & 255;
	uint32_t opacity = 255 - (img->color & 255);
	for (int y = 0; y < img->h; y++) {
		const uint8_t *src = img->bitmap + (size_t)y * img->stride;
		uint32_t *row = px + (size_t)(img->dst_y - box->y + y) * pitch + (img->dst_x - box->x);
		for (int x = 0; x < img->w; x++) {
			uint32_t a = src[x] * opacity / 255;
			if (!a)
				continue;
			uint32_t d = row[x], da = d >> 24;
			uint32_t oa = a + da * (255 - a) / 255;
			if (!oa)
				continue;
			uint32_t dr = (d >> 16) & 255, dg = (d >> 8) & 255, db = d & 255;
			uint32_t k = da * (255 - a) / 255;
			uint32_t nr = (r * a + dr * k) / oa, ng = (g * a + dg * k) / oa,
				 nb = (b * a + db * k) / oa;
			row[x] = oa << 24 | nr << 16 | ng << 8 | nb;
		}
	}
}

uint32_t *sp_text_images_argb(const ASS_Image *img, SDL_Rect *box)
{
	if (!images_box(img, box))
		return NULL;
	uint32_t *px = calloc((size_t)box->w * box->h, 4);
	if (!px)
		return NULL;
	for (; img; img = img->next)
		if (img->w > 0 && img->h > 0)
			blend(px, box->w, box, img);
	return px;
}

SDL_Texture *sp_text_argb_texture(SDL_Renderer *ren, const uint32_t *px, int w, int h)
{
	SDL_Texture *tex =
	    SDL_CreateTexture(ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STATIC, w, h);
	if (tex) {
		SDL_UpdateTexture(tex, NULL, px, w * 4);
		SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_BLEND);
	}
	return tex;
}

static SDL_Texture *images_texture(SDL_Renderer *ren, const ASS_Image *img, SDL_Rect *box)
{
	uint32_t *px = sp_text_images_argb(img, box);
	SDL_Texture *tex = px ? sp_text_argb_texture(ren, px, box->w, box->h) : NULL;
	free(px);
	return tex;
}

/* Our text as event text: braces would open override blocks and a
 * backslash before N, n or h would break the line. */
static void escape(const char *in, char *out, size_t n)
{
	size_t o = 0;
	for (; *in && o + 4 < n; in++) {
		char c = *in;
		if (c == '{' || c == '}') {
			out[o++] = c == '{' ? '(' : ')';
		} else if (c == '\\') {
			out[o++] = c;
			out[o++] = '\xe2'; /* U+2060 word joiner: "\N" stays two letters */
			out[o++] = '\x81';
			out[o++] = '\xa0';
		} else if (c != '\n' && c != '\r') {
			out[o++] = c;
		}
	}
	out[o] = 0;
}

static int render_line(struct sp_text *t, const char *utf8, int px, struct sp_text_line *out)
{
	char esc[TEXT_MAX * 4], ev[TEXT_MAX * 4 + 64];
	escape(utf8, esc, sizeof(esc));
	snprintf(ev, sizeof(ev), "{\\an7\\pos(%d,%d)\\fs%d\\bord%.1f}%s", LINE_MARGIN, LINE_MARGIN,
		 px, px >= 24 ? px / 16.0 : 1.0, esc);
	int id = ass_alloc_event(t->osd);
	if (id < 0)
		return -1;
	ASS_Event *e = &t->osd->events[id];
	e->Start = 0;
	e->Duration = 1000;
	e->Style = 0;
	e->Text = strdup(ev);
	ass_set_frame_size(t->ass, LINE_FRAME_W, LINE_FRAME_H);
	ass_set_storage_size(t->ass, LINE_FRAME_W, LINE_FRAME_H);
	ASS_Image *img = e->Text ? ass_render_frame(t->ass, t->osd, 0, NULL) : NULL;
	SDL_Rect box;
	*out = (struct sp_text_line){0};
	if (img && (out->tex = images_texture(t->ren, img, &box))) {
		out->dx = box.x - LINE_MARGIN;
		out->dy = box.y - LINE_MARGIN;
		out->tw = box.w;
		out->th = box.h;
		out->w = box.x + box.w - LINE_MARGIN;
	}
	ass_flush_events(t->osd);
	return 0;
}

const struct sp_text_line *sp_text_line(struct sp_text *t, const char *utf8, int px)
{
	if (!sp_text_ready(t) || !utf8 || !utf8[0])
		return NULL;
	struct cached_line *victim = &t->lines[0];
	for (int i = 0; i < CACHE_LINES; i++) {
		struct cached_line *c = &t->lines[i];
		if (c->text && c->px == px && !strcmp(c->text, utf8)) {
			c->used = t->gen;
			return &c->line;
		}
		if (!c->text || (victim->text && c->used < victim->used))
			victim = c;
	}
	drop_line(victim);
	victim->text = strdup(utf8);
	if (!victim->text || render_line(t, utf8, px, &victim->line) < 0) {
		drop_line(victim);
		return NULL;
	}
	victim->px = px;
	victim->used = t->gen;
	return &victim->line;
}

int sp_text_width(struct sp_text *t, const char *utf8, int px)
{
	const struct sp_text_line *l = sp_text_line(t, utf8, px);
	return l ? l->w : 0;
}

int sp_text_draw(struct sp_text *t, const char *utf8, int px, int x, int y)
{
	const struct sp_text_line *l = sp_text_line(t, utf8, px);
	if (!l || !l->tex)
		return 0;
	SDL_RenderCopy(t->ren, l->tex, NULL, &(SDL_Rect){x + l->dx, y + l->dy, l->tw, l->th});
	return l->w;
}

void sp_text_gc(struct sp_text *t)
{
	if (!t)
		return;
	for (int i = 0; i < CACHE_LINES; i++)
		if (t->lines[i].text && t->lines[i].used != t->gen)
			drop_line(&t->lines[i]);
	t->gen++;
}

void sp_text_draw_track(struct sp_text *t, ASS_Track *track, long long ms, int x, int y, int w,
			int h)
{
	if (!sp_text_ready(t) || !track || w <= 0 || h <= 0)
		return;
	struct sub_picture *s = &t->sub;
	bool same_area = s->track == track && s->x == x && s->y == y && s->w == w && s->h == h;
	ass_set_frame_size(t->ass, w, h);
	ass_set_storage_size(t->ass, w, h);
	ass_set_pixel_aspect(t->ass, 1.0);
	int change = 0;
	ASS_Image *img = ass_render_frame(t->ass, track, ms, &change);
	if (!same_area || change || !img) {
		if (s->tex)
			SDL_DestroyTexture(s->tex);
		s->tex = NULL;
		SDL_Rect box;
		if (img && (s->tex = images_texture(t->ren, img, &box)))
			s->dst = (SDL_Rect){x + box.x, y + box.y, box.w, box.h};
		s->track = track;
		s->x = x;
		s->y = y;
		s->w = w;
		s->h = h;
	}
	if (s->tex)
		SDL_RenderCopy(t->ren, s->tex, NULL, &s->dst);
}

void sp_text_forget(struct sp_text *t)
{
	if (t)
		t->sub.track = NULL;
}

int sp_text_track_argb(struct sp_text *t, ASS_Track *track, long long ms, int w, int h,
		       uint32_t **px, SDL_Rect *box)
{
	*px = NULL;
	if (!sp_text_ready(t) || !track || w <= 0 || h <= 0)
		return -1;
	struct sub_picture *s = &t->sub;
	bool same_area = s->track == track && s->w == w && s->h == h;
	ass_set_frame_size(t->ass, w, h);
	ass_set_storage_size(t->ass, w, h);
	ass_set_pixel_aspect(t->ass, 1.0);
	int change = 0;
	ASS_Image *img = ass_render_frame(t->ass, track, ms, &change);
	if (same_area && !change)
		return 0;
	s->track = track;
	s->w = w;
	s->h = h;
	if (img)
		*px = sp_text_images_argb(img, box);
	return 1;
}
