/* sub_draw.c - subtitles through the public player: sp_player_draw into
 * an SDL software renderer (no window, no display) draws the media's
 * subtitle track over the video, and sp_player_screenshot has it too
 * (tests/lib12/sub-draw.py makes a black clip whose subtitle shows from
 * 1.0 s to 2.5 s, and checks the screenshots).
 * Usage: sub-draw CLIP SUBFILE|- yes|no SHOT_PREFIX [switch]
 * Prints, for each draw, "draw POSITION LIT" (LIT: pixels that are not
 * black, the video's colour, in the bottom third of the drawn area), and writes SHOT_PREFIX-on.png
 * at about 1.7 s and SHOT_PREFIX-off.png at about 3.2 s. With "switch",
 * sp_player_set_sub_track hides the subtitles at 1.3 s (track 0) and
 * shows track 1 again at 1.9 s ("track POSITION N" lines). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <SDL2/SDL.h>
#include <swarmplay/player.h>

#define W 640
#define H 480

static int lit_bottom(SDL_Surface *s)
{
	int n = 0;
	for (int y = H * 2 / 3; y < H; y++) {
		const Uint32 *row =
		    (const Uint32 *)((const Uint8 *)s->pixels + (size_t)y * s->pitch);
		for (int x = 0; x < W; x++) {
			Uint8 r, g, b;
			SDL_GetRGB(row[x], s->format, &r, &g, &b);
			n += r > 100 || g > 100 || b > 100;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 5 && !(argc == 6 && !strcmp(argv[5], "switch"))) {
		fprintf(stderr, "usage: sub-draw CLIP SUBFILE|- yes|no SHOT_PREFIX [switch]\n");
		return 2;
	}
	SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, W, H, 32, SDL_PIXELFORMAT_ARGB8888);
	SDL_Renderer *ren = surf ? SDL_CreateSoftwareRenderer(surf) : NULL;
	if (!ren) {
		fprintf(stderr, "no software renderer: %s\n", SDL_GetError());
		return 1;
	}
	struct sp_player_config cfg;
	sp_player_config_init(&cfg);
	cfg.audio = SP_PLAYER_AUDIO_NONE;
	struct sp_error *e = NULL;
	struct sp_player *p = sp_player_new(&cfg, &e);
	if (!p || (strcmp(argv[2], "-") && sp_player_set_option(p, "sub-file", argv[2], &e) < 0) ||
	    sp_player_set_option(p, "sub-visibility", argv[3], &e) < 0 ||
	    sp_player_open_file(p, argv[1], &e) < 0) {
		fprintf(stderr, "player: %s\n", sp_error_msg(e));
		return 1;
	}
	char on[4096], off[4096];
	snprintf(on, sizeof(on), "%s-on.png", argv[4]);
	snprintf(off, sizeof(off), "%s-off.png", argv[4]);
	bool shot_on = false, shot_off = false, ended = false;
	int switched = argc == 6 ? 0 : 2; /* set_sub_track calls made */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!ended) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 30) {
			fprintf(stderr, "no END in 30 s\n");
			return 1;
		}
		struct sp_player_event ev;
		while (sp_player_next_event(p, &ev)) {
			if (ev.type == SP_PLAYER_EVENT_ERROR) {
				fprintf(stderr, "error: %s\n", ev.message);
				return 1;
			}
			ended |= ev.type == SP_PLAYER_EVENT_END;
		}
		double pos = sp_player_get_position(p, NULL);
		if ((switched == 0 && pos >= 1.3) || (switched == 1 && pos >= 1.9)) {
			int n = switched == 0 ? 0 : 1;
			if (sp_player_set_sub_track(p, n) < 0) {
				fprintf(stderr, "sp_player_set_sub_track failed\n");
				return 1;
			}
			printf("track %.3f %d\n", pos, n);
			switched++;
		}
		SDL_SetRenderDrawColor(ren, 0, 0, 0, 255);
		SDL_RenderClear(ren);
		if (sp_player_draw(p, ren, 0, 0, W, H) < 0) {
			fprintf(stderr, "sp_player_draw failed\n");
			return 1;
		}
		SDL_RenderPresent(ren);
		printf("draw %.3f %d\n", pos, lit_bottom(surf));
		if (!shot_on && pos >= 1.7) {
			int r = sp_player_screenshot(p, on);
			printf("screenshot %.3f %s %d\n", pos, on, r);
			shot_on = true;
		}
		if (!shot_off && pos >= 3.2) {
			int r = sp_player_screenshot(p, off);
			printf("screenshot %.3f %s %d\n", pos, off, r);
			shot_off = true;
		}
		SDL_Delay(20);
	}
	sp_player_free(p);
	SDL_DestroyRenderer(ren);
	SDL_FreeSurface(surf);
	return 0;
}
