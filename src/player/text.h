/* text.h - text through libass: the OSD's lines (UTF-8, any script
 * fontconfig has a font for) and the subtitle tracks' pictures, both as
 * SDL textures.
 *
 * One ASS_Library and one ASS_Renderer (fonts come from fontconfig,
 * "DejaVu Sans" first). OSD lines are rendered once per (text, size) and
 * kept as textures until a draw no longer uses them (sp_text_gc).
 * fontconfig takes some 40 ms to start: a thread of its own sets the
 * fonts up while the first frame is on its way; until then there is no
 * text (lines are NULL, widths 0) and libass's library must not be used
 * (sp_text_ready). Main thread only (the textures belong to the
 * renderer). */
#ifndef SP_PLAYER_TEXT_H
#define SP_PLAYER_TEXT_H

#include <stdbool.h>

#include <SDL2/SDL.h>
#include <ass/ass.h>

#define SP_TEXT_FONT "DejaVu Sans"

struct sp_text;

/* The rendered line: draw tex at (x + dx, y + dy) for a line whose top
 * left is (x, y); w is the advance from x to the right edge of the ink. */
struct sp_text_line {
	SDL_Texture *tex;
	int dx, dy, tw, th; /* the texture's place and size */
	int w;
};

/* NULL (and a warning) when libass cannot start; the OSD then shows no
 * text. */
struct sp_text *sp_text_new(SDL_Renderer *ren);
void sp_text_free(struct sp_text *t);
/* The library, once the fonts are set up; NULL before. */
ASS_Library *sp_text_library(struct sp_text *t);
bool sp_text_ready(struct sp_text *t);
/* Wait for the fonts (tests). */
void sp_text_wait(struct sp_text *t);

/* One line of white text with a black outline, px pixels high. NULL when
 * it cannot be rendered. The line lives until the sp_text_gc after the
 * draw that last asked for it. */
const struct sp_text_line *sp_text_line(struct sp_text *t, const char *utf8, int px);
/* Width in pixels (0 when it cannot be rendered). */
int sp_text_width(struct sp_text *t, const char *utf8, int px);
/* Draw at (x, y), the line's top left. Returns the width. */
int sp_text_draw(struct sp_text *t, const char *utf8, int px, int x, int y);
/* End of a draw: lines not asked for since the last call go. */
void sp_text_gc(struct sp_text *t);

/* A subtitle track's picture at time ms in a w x h area whose top left is
 * (x, y) of the window; drawn when it has any ink. */
void sp_text_draw_track(struct sp_text *t, ASS_Track *track, long long ms, int x, int y, int w,
			int h);

/* The same picture for a host that draws it itself (embed.c): in a
 * w x h frame, as straight ARGB pixels (SDL_PIXELFORMAT_ARGB8888, box->w
 * a row) covering *box. 1 when the picture changed since the last call
 * (*px is then the new one, malloc'd, or NULL when there is no ink), 0
 * when not, -1 when there is no text yet. No SDL call: any one thread. */
int sp_text_track_argb(struct sp_text *t, ASS_Track *track, long long ms, int w, int h,
		       uint32_t **px, SDL_Rect *box);
/* The next sp_text_track_argb or sp_text_draw_track renders afresh, as
 * if the track or the area had changed (another track chosen). */
void sp_text_forget(struct sp_text *t);
/* libass's images blended into straight ARGB pixels over their union
 * (*box); NULL without ink. */
uint32_t *sp_text_images_argb(const ASS_Image *img, SDL_Rect *box);
/* Such pixels as a static blending texture of ren (host's thread). */
SDL_Texture *sp_text_argb_texture(SDL_Renderer *ren, const uint32_t *px, int w, int h);

#endif
