/* media_load.c - find and load the media module (see media.h).
 *
 * The module's folder depends on where this program runs from, not on
 * the environment: the program's own folder when that is the build tree's
 * src/app (SP_BUILD_APPDIR, compared by device and inode so that symlinks
 * in either path do not matter), SP_MODULEDIR otherwise. RTLD_NOW so that
 * a module that does not fit this program fails here, with its reason,
 * and not in the middle of playback. Main thread, or the one loader
 * thread of sp_media_load_start() (which the main thread then joins). */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/media.h"
#include "app/i18n.h"
#include "swarmplay/player.h"

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void module_path(char *out, size_t size)
{
	char exe[PATH_MAX];
	const char *dir = SP_MODULEDIR;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash && slash != exe) {
			*slash = 0;
			if (same_dir(exe, SP_BUILD_APPDIR))
				dir = exe;
		}
	}
	snprintf(out, size, "%s/%s", dir, SP_MEDIA_MODULE_FILE);
}

const struct sp_media *sp_media_load(struct sp_error **err)
{
	static const struct sp_media *_Atomic media;
	if (media)
		return media;
	char path[PATH_MAX + sizeof(SP_MEDIA_MODULE_FILE) + 1];
	module_path(path, sizeof(path));
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		sp_error_set(err, -ENOTSUP,
			     _("cannot load the media module that playing and probing videos "
			       "need (%s)"),
			     why ? why : path);
		return NULL;
	}
	const struct sp_media *m = dlsym(h, SP_MEDIA_SYMBOL);
	if (!m || m->abi != SP_MEDIA_ABI || !m->version || strcmp(m->version, SP_VERSION)) {
		sp_error_set(err, -ENOTSUP,
			     _("the media module %s does not belong to swarmplay %s"), path,
			     SP_VERSION);
		dlclose(h);
		return NULL;
	}
	media = m; /* never unloaded: the player's threads run its code */
	return media;
}

/* ---- loading on a thread ---- */

static pthread_t loader;
static bool loader_started, loader_joined, loader_player;
static const struct sp_media *loaded;
static struct sp_error *load_err;

static void *load_main(void *arg)
{
	(void)arg;
	loaded = sp_media_load(&load_err);
	if (loaded && loader_player && sp_player_preload(&load_err) < 0)
		loaded = NULL;
	return NULL;
}

int sp_media_load_start(bool player)
{
	if (loader_started)
		return 0;
	loader_player = player;
	int r = pthread_create(&loader, NULL, load_main, NULL);
	if (r)
		return -r;
	loader_started = true;
	return 0;
}

const struct sp_media *sp_media_load_join(struct sp_error **err)
{
	if (loader_joined)
		return loaded; /* its error went to the first join */
	if (!loader_started)
		return sp_media_load(err); /* never started: load here */
	pthread_join(loader, NULL);
	loader_joined = true;
	if (!loaded && err)
		*err = load_err;
	else
		sp_error_free(load_err);
	load_err = NULL;
	return loaded;
}
