/* kiosk_screen.c - the kiosk's one window (media.h: screen_*), in the
 * media module because it needs SDL2, which the program does not link.
 * The kiosk owns it across plays: black (its own clear) between items,
 * the pointer hidden, each play's video drawn into it with the public
 * player's sp_player_draw. The player draws no on-screen display of its
 * own: with --osd the kiosk shows the pointer and draws the position as a
 * bar along the bottom edge. Main thread (SDL's rule). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include <SDL2/SDL.h>

#include "app/media.h"
#include "app/i18n.h"
#include "swarmplay/player.h"

struct sp_screen {
	SDL_Window *win;
	SDL_Renderer *ren;
	bool osd;
};

struct sp_screen *sp_screen_new(const char *title, bool fullscreen, bool osd, struct sp_error **err)
{
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1"); /* SIGTERM is the kiosk's */
	if (!SDL_WasInit(SDL_INIT_VIDEO) && SDL_InitSubSystem(SDL_INIT_VIDEO) < 0) {
		sp_error_set(err, -ENODEV, _("cannot open a window: %s"), SDL_GetError());
		return NULL;
	}
	struct sp_screen *s = calloc(1, sizeof(*s));
	if (!s) {
		sp_error_set(err, -ENOMEM, _("out of memory"));
		return NULL;
	}
	Uint32 flags = SDL_WINDOW_RESIZABLE | (fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
	s->win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 640, 360,
				  flags);
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	if (s->win)
		s->ren = SDL_CreateRenderer(s->win, -1,
					    SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
	if (s->win && !s->ren)
		s->ren = SDL_CreateRenderer(s->win, -1, SDL_RENDERER_SOFTWARE);
	if (!s->ren) {
		sp_error_set(err, -ENODEV, _("cannot open a window: %s"), SDL_GetError());
		if (s->win)
			SDL_DestroyWindow(s->win);
		free(s);
		return NULL;
	}
	s->osd = osd;
	SDL_ShowCursor(osd ? SDL_ENABLE : SDL_DISABLE); /* signage: no pointer */
	SDL_SetRenderDrawColor(s->ren, 0, 0, 0, 255);
	return s;
}

void sp_screen_title(struct sp_screen *s, const char *title)
{
	if (s)
		SDL_SetWindowTitle(s->win, title);
}

void sp_screen_show(struct sp_screen *s, struct sp_player *p, int wait_ms)
{
	Uint32 start = SDL_GetTicks();
	SDL_Event ev;
	while (SDL_PollEvent(&ev)) {
		/* unattended: keys, clicks and closing do nothing */
	}
	SDL_SetRenderDrawColor(s->ren, 0, 0, 0, 255);
	SDL_RenderClear(s->ren);
	int w = 0, h = 0;
	SDL_GetRendererOutputSize(s->ren, &w, &h);
	if (p && w > 0 && h > 0)
		sp_player_draw(p, s->ren, 0, 0, w, h);
	double dur, pos = p && s->osd ? sp_player_get_position(p, &dur) : 0;
	if (p && s->osd && dur > 0) { /* --osd: where the play is */
		int bar = h / 90 > 2 ? h / 90 : 2;
		double f = pos / dur > 1 ? 1 : pos / dur;
		SDL_SetRenderDrawColor(s->ren, 60, 60, 60, 255);
		SDL_RenderFillRect(s->ren, &(SDL_Rect){0, h - bar, w, bar});
		SDL_SetRenderDrawColor(s->ren, 230, 230, 230, 255);
		SDL_RenderFillRect(s->ren, &(SDL_Rect){0, h - bar, (int)(w * f), bar});
	}
	SDL_RenderPresent(s->ren);
	int left = wait_ms - (int)(SDL_GetTicks() - start); /* vsync may have waited */
	if (left > 0) {
		struct pollfd pfd = {.fd = p ? sp_player_event_fd(p) : -1, .events = POLLIN};
		poll(&pfd, 1, left);
	}
}

void sp_screen_free(struct sp_screen *s)
{
	if (!s)
		return;
	SDL_DestroyRenderer(s->ren);
	SDL_DestroyWindow(s->win);
	free(s);
	SDL_Quit(); /* the last SDL user: its D-Bus connection goes too */
}
