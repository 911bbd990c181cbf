/* embed-sdl.c - an embedding example: the host owns the SDL window and
 * its loop; each frame it has the player draw the video into part of the
 * window, draws its own overlay over it (a ticker: a magenta bar that
 * grows with the position, and a blinking clock square), then presents.
 * Its loop polls the player's event descriptor: no extra thread.
 *
 *   embed-sdl FILE.tstream DIR [HOST:PORT] [--screenshot OUT.ppm]
 *
 * --screenshot: one second after the first frame, write the window's
 * pixels (SDL_RenderReadPixels) as a PPM and quit (the tests look at it). */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <SDL2/SDL.h>
#include <swarmplay/player.h>

#define W 640
#define H 400
#define BAR_H 24 /* the overlay's strip at the top */

static int screenshot(SDL_Renderer *ren, const char *path)
{
	static unsigned char px[W * H * 3];
	if (SDL_RenderReadPixels(ren, NULL, SDL_PIXELFORMAT_RGB24, px, W * 3) < 0)
		return -1;
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	fprintf(f, "P6\n%d %d\n255\n", W, H);
	size_t n = fwrite(px, 1, sizeof(px), f);
	return fclose(f) == 0 && n == sizeof(px) ? 0 : -1;
}

static void overlay(SDL_Renderer *ren, double pos, double dur)
{
	SDL_SetRenderDrawColor(ren, 40, 40, 40, 255);
	SDL_RenderFillRect(ren, &(SDL_Rect){0, 0, W, BAR_H});
	int len = dur > 0 ? (int)(W * pos / dur) : 0;
	SDL_SetRenderDrawColor(ren, 255, 0, 255, 255); /* the ticker */
	SDL_RenderFillRect(ren, &(SDL_Rect){0, 4, len > 40 ? len : 40, BAR_H - 8});
	if (time(NULL) % 2 == 0) { /* the clock's seconds */
		SDL_SetRenderDrawColor(ren, 255, 255, 0, 255);
		SDL_RenderFillRect(ren, &(SDL_Rect){W - BAR_H, 0, BAR_H, BAR_H});
	}
}

static struct sp_player *start(int argc, char **argv, struct sp_session **s)
{
	struct sp_error *e = NULL;
	struct sp_session_config sc = {.no_trackers = argc > 3 && argv[3][0] != '-'};
	struct sp_player_config cfg;
	sp_player_config_init(&cfg); /* video into our renderer, default audio */
	struct sp_metainfo *mi = sp_metainfo_load(argv[1], &e);
	*s = mi ? sp_session_new(&sc, &e) : NULL;
	struct sp_torrent *t = *s ? sp_session_add_torrent(*s, mi, argv[2], false, &e) : NULL;
	struct sp_player *p = t ? sp_player_new(&cfg, &e) : NULL;
	if (p && sc.no_trackers) {
		char host[256];
		unsigned port = 0;
		if (sscanf(argv[3], "%255[^:]:%u", host, &port) == 2)
			sp_torrent_add_peer(t, host, (uint16_t)port);
	}
	int file = p ? sp_metainfo_main_file(mi) : -1;
	struct sp_reader *r = p ? sp_torrent_open_reader(t, file, &e) : NULL;
	if (!r || sp_player_open_reader(p, r, sp_metainfo_file_path(mi, file), &e) < 0) {
		fprintf(stderr, "embed-sdl: %s\n", sp_error_msg(e));
		sp_error_free(e);
		sp_player_free(p);
		return NULL;
	}
	return p;
}

int main(int argc, char **argv)
{
	const char *shot =
	    argc > 2 && !strcmp(argv[argc - 2], "--screenshot") ? argv[argc - 1] : NULL;
	if (argc < 3)
		return fprintf(stderr, "usage: embed-sdl FILE.tstream DIR [HOST:PORT] "
				       "[--screenshot OUT.ppm]\n"),
		       2;
	if (SDL_Init(SDL_INIT_VIDEO) < 0)
		return fprintf(stderr, "embed-sdl: %s\n", SDL_GetError()), 1;
	SDL_Window *win = SDL_CreateWindow("embed-sdl", SDL_WINDOWPOS_UNDEFINED,
					   SDL_WINDOWPOS_UNDEFINED, W, H, 0);
	SDL_Renderer *ren = win ? SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE) : NULL;
	struct sp_session *s = NULL;
	struct sp_player *p = ren ? start(argc, argv, &s) : NULL;
	if (!p)
		return 1;
	struct pollfd pfd = {.fd = sp_player_event_fd(p), .events = POLLIN};
	double pos = 0, dur = 0, first_at = -1;
	int rc = -1;
	while (rc < 0) {
		poll(&pfd, 1, 15); /* the player's events, or time for a redraw */
		struct sp_player_event ev;
		while (sp_player_next_event(p, &ev)) {
			pos = ev.position_s;
			dur = ev.duration_s;
			if (ev.type == SP_PLAYER_EVENT_FIRST_FRAME)
				first_at = SDL_GetTicks() / 1000.0;
			if (ev.type == SP_PLAYER_EVENT_END)
				rc = 0;
			if (ev.type == SP_PLAYER_EVENT_ERROR)
				rc = 1, fprintf(stderr, "embed-sdl: %s\n", ev.message);
		}
		SDL_Event sev;
		while (SDL_PollEvent(&sev))
			if (sev.type == SDL_QUIT)
				rc = 0;
		SDL_SetRenderDrawColor(ren, 0, 0, 0, 255);
		SDL_RenderClear(ren);
		sp_player_draw(p, ren, 0, BAR_H, W, H - BAR_H); /* the video, below our strip */
		overlay(ren, pos, dur);
		if (shot && first_at >= 0 && SDL_GetTicks() / 1000.0 > first_at + 1) {
			rc = screenshot(ren, shot) == 0 ? 0 : 1;
			printf("embed-sdl: screenshot %s\n", shot);
		}
		SDL_RenderPresent(ren);
	}
	printf("embed-sdl: %s at %.1f s of %.1f s\n", rc ? "failed" : "done", pos, dur);
	sp_player_free(p); /* before the renderer: the video's texture is on it */
	sp_session_free(s);
	SDL_DestroyRenderer(ren);
	SDL_DestroyWindow(win);
	SDL_Quit();
	return rc;
}
