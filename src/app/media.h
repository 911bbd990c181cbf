/* media.h - the media module: what of swarmplay needs FFmpeg and SDL2.
 *
 * `play` (the player, src/player) and the duration probing of `create`
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

#include "core/error.h"

#define SP_MEDIA_MODULE_FILE "swarmplay-media.so"
#define SP_MEDIA_SYMBOL "sp_media_module"
/* Bump when struct sp_media or what the module expects of the program
 * changes; the program refuses a module of another ABI or version. */
#define SP_MEDIA_ABI 1

struct sp_media {
	unsigned abi; /* SP_MEDIA_ABI */
	const char *version; /* SP_VERSION of the module's build */
	/* `swarmplay play ARGS...` (argv[0] is "play"); returns an exit code. */
	int (*play)(int argc, char **argv);
	/* Duration of a media file in seconds, 0 when unknown or not media. */
	double (*probe_duration)(const char *path);
};

/* Load the module once (later calls return the same table). NULL with
 * *err set (-ENOTSUP: missing, unloadable or of another version) when it
 * cannot be used; the program then exits with SP_EXIT_UNSUPPORTED. */
const struct sp_media *sp_media_load(struct sp_error **err);

#endif
