/* font.h - a tiny built-in 5x7 bitmap font for the OSD (SDL2 has no text
 * and SDL2_ttf is not a dependency). Digits, Latin letters (lower case is
 * drawn as upper case, accented letters as their base letter) and a few
 * signs; anything else is a box. Pure; any thread. */
#ifndef SP_PLAYER_FONT_H
#define SP_PLAYER_FONT_H

#include <stdint.h>

#define SP_FONT_W 5
#define SP_FONT_H 7
#define SP_FONT_ADVANCE 6 /* glyph width + one column of spacing */

/* Seven rows, bit 4 is the leftmost column. */
const uint8_t *sp_font_glyph(uint32_t codepoint);
/* Width in pixels of a UTF-8 string at the given scale. */
int sp_font_text_width(const char *utf8, int scale);
/* Calls fill(ctx, x, y, w, h) for every horizontal run of lit pixels. */
void sp_font_draw(const char *utf8, int x, int y, int scale,
		  void (*fill)(void *ctx, int x, int y, int w, int h), void *ctx);

#endif
