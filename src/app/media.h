/* media.h - the media module: what of the swarmplay program needs FFmpeg
 * and SDL2 beyond the public player (swarmplay/player.h, which
 * libswarmplay loads on demand by itself).
 *
 * The kiosk's window and the duration probing of `create`
 * live in a module (swarmplay-media.so) that the swarmplay program loads
 * only for them, so that `download`, `seed`, `info`, `--help` and
 * `--version` start without loading FFmpeg, SDL2 and the hundred and
 * more libraries they pull in. The module takes the core (session,
 * storage, metainfo, logging...) from the program, which exports its
 * symbols for it: one copy of the core and of its state per process.
 *
 * Where the module is looked for: next to the program when the program
 * runs from its build tree (the tests do), SP_MODULEDIR (libdir/swarmplay)
 * otherwise; never through $PATH, LD_LIBRARY_PATH or the working folder.
 * Main thread. */
#ifndef SP_APP_MEDIA_H
#define SP_APP_MEDIA_H

#include <stdbool.h>

#include "swarmplay/swarmplay.h"

#define SP_MEDIA_MODULE_FILE "swarmplay-media.so"
#define SP_MEDIA_SYMBOL "sp_media_module"
/* Bump when struct sp_media or what the module expects of the program
 * changes; the program refuses a module of another ABI or version. */
#define SP_MEDIA_ABI 9

struct sp_player;
struct sp_screen;

struct sp_media {
	unsigned abi; /* SP_MEDIA_ABI */
	const char *version; /* SP_VERSION of the module's build */
	/* Duration of a media file in seconds, 0 when unknown or not media. */
	double (*probe_duration)(const char *path);
	/* The kiosk's one window (kiosk_screen.c), kept across plays: made
	 * (fullscreen or not, the pointer hidden unless osd; NULL and *err
	 * when there is no display), titled, freed after the last player (it
	 * quits SDL). screen_show reads its events, draws p's picture (black
	 * where none: between plays, p NULL), with osd a position bar, and
	 * presents, then waits up to wait_ms or until p has an event
	 * (sp_player_event_fd). Main thread. */
	struct sp_screen *(*screen_new)(const char *title, bool fullscreen, bool osd,
					struct sp_error **err);
	void (*screen_title)(struct sp_screen *s, const char *title);
	void (*screen_show)(struct sp_screen *s, struct sp_player *p, int wait_ms);
	void (*screen_free)(struct sp_screen *s);
};

/* kiosk_screen.c, in the module */
struct sp_screen *sp_screen_new(const char *title, bool fullscreen, bool osd,
				 struct sp_error **err);
void sp_screen_title(struct sp_screen *s, const char *title);
void sp_screen_show(struct sp_screen *s, struct sp_player *p, int wait_ms);
void sp_screen_free(struct sp_screen *s);

/* Load the module once (later calls return the same table). NULL with
 * *err set (-ENOTSUP: missing, unloadable or of another version) when it
 * cannot be used; the program then exits with SP_EXIT_UNSUPPORTED. */
const struct sp_media *sp_media_load(struct sp_error **err);

/* The same on a thread of its own: `play` loads FFmpeg and SDL2 (some
 * 75 ms of the time to first frame) while the session connects and asks
 * for the first pieces; with player, the thread loads the public player's
 * module too (sp_player_preload), and fails as the module does. Start
 * once; the first join returns what sp_media_load would have (NULL and
 * *err on failure), later ones the same table (or NULL); join before
 * exiting (a thread in dlopen must not meet exit()). Without a start,
 * join loads on the calling thread. */
int sp_media_load_start(bool player);
const struct sp_media *sp_media_load_join(struct sp_error **err);

#endif
