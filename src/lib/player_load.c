/* player_load.c - libswarmplay's sp_player_* (swarmplay/player.h): they
 * load the player module (FFmpeg, SDL2, libass: some 135 shared objects)
 * on the first sp_player_new and forward to its table, so that a program
 * that only downloads or seeds never maps them.
 *
 * Where the module is: swarmplay/swarmplay-player.so beside this library
 * (found with dladdr), in the build tree and once installed alike, and
 * under a packager's DESTDIR too; never through the environment or the
 * working folder. RTLD_NOW so that a module that does not fit fails here,
 * with the loader's reason, not during playback. The module takes the
 * core from this library (its private symbols, libswarmplay.map): one
 * session, one log callback per process. Any thread (pthread_once). */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/i18n.h"
#include "player/embed.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const struct sp_player_module *mod;
static char load_error[PATH_MAX + 256];

static void load(void)
{
	Dl_info info;
	char path[PATH_MAX + 64];
	if (!dladdr((void *)load, &info) || !info.dli_fname) {
		snprintf(load_error, sizeof(load_error), "dladdr failed");
		return;
	}
	const char *slash = strrchr(info.dli_fname, '/');
	int dirlen = slash ? (int)(slash - info.dli_fname) : 1;
	snprintf(path, sizeof(path), "%.*s/swarmplay/%s", dirlen, slash ? info.dli_fname : ".",
		 SP_PLAYER_MODULE_FILE);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		snprintf(load_error, sizeof(load_error), "%s", why ? why : path);
		return;
	}
	const struct sp_player_module *m = dlsym(h, SP_PLAYER_MODULE_SYMBOL);
	if (!m || m->abi != SP_PLAYER_MODULE_ABI || !m->version || strcmp(m->version, SP_VERSION)) {
		snprintf(load_error, sizeof(load_error), "%s is not swarmplay %s's", path,
			 SP_VERSION);
		dlclose(h);
		return;
	}
	mod = m; /* never unloaded: players' threads run its code */
}

int sp_player_preload(struct sp_error **err)
{
	pthread_once(&once, load);
	if (!mod)
		return sp_error_set(err, -ENOTSUP,
				    _("cannot load the media module that playing and "
				      "probing videos need (%s)"),
				    load_error);
	return 0;
}

struct sp_player *sp_player_new(const struct sp_player_config *cfg, struct sp_error **err)
{
	if (sp_player_preload(err) < 0)
		return NULL;
	return mod->create(cfg, err);
}

/* A player exists only once the module is loaded: mod is set. */
void sp_player_free(struct sp_player *p)
{
	if (p)
		mod->destroy(p);
}

int sp_player_open_reader(struct sp_player *p, struct sp_reader *r, const char *name,
			  struct sp_error **err)
{
	if (!p) {
		if (r)
			sp_reader_close(r);
		return sp_error_set(err, -EINVAL, "%s", _("invalid player configuration"));
	}
	return mod->open_reader(p, r, name, err);
}

int sp_player_open_file(struct sp_player *p, const char *path, struct sp_error **err)
{
	if (!p)
		return sp_error_set(err, -EINVAL, "%s", _("invalid player configuration"));
	return mod->open_file(p, path, err);
}

int sp_player_run_reader(struct sp_player *p, struct sp_reader *r, const char *name,
			 struct sp_error **err)
{
	if (!p) {
		if (r)
			sp_reader_close(r);
		return sp_error_set(err, -EINVAL, "%s", _("invalid player configuration"));
	}
	return mod->run_reader(p, r, name, err);
}

int sp_player_run_file(struct sp_player *p, const char *path, struct sp_error **err)
{
	if (!p)
		return sp_error_set(err, -EINVAL, "%s", _("invalid player configuration"));
	return mod->run_file(p, path, err);
}

int sp_player_set_sub_reader(struct sp_player *p, struct sp_reader *r, const char *name,
			     struct sp_error **err)
{
	if (!p) {
		if (r)
			sp_reader_close(r);
		return sp_error_set(err, -EINVAL, "%s", _("invalid player configuration"));
	}
	return mod->set_sub_reader(p, r, name, err);
}

int sp_player_set_netinfo_callback(struct sp_player *p,
				   void (*netinfo)(void *ctx, struct sp_player_netinfo *out),
				   void (*position)(void *ctx, double pos_s, double duration_s),
				   void *ctx)
{
	return p ? mod->set_netinfo(p, netinfo, position, ctx) : -EINVAL;
}

int sp_player_set_quit_flag(struct sp_player *p, const volatile sig_atomic_t *flag)
{
	return p ? mod->set_quit_flag(p, flag) : -EINVAL;
}

int sp_player_get_result(struct sp_player *p, struct sp_player_result *out)
{
	return p ? mod->get_result(p, out) : -EINVAL;
}

int sp_player_set_option(struct sp_player *p, const char *name, const char *value,
			 struct sp_error **err)
{
	if (!p)
		return sp_error_set(err, -EINVAL, "%s", _("invalid player configuration"));
	return mod->set_option(p, name, value, err);
}

int sp_player_play(struct sp_player *p)
{
	return p ? mod->command(p, SP_CMD_PLAY, 0, 0) : -EINVAL;
}

int sp_player_pause(struct sp_player *p)
{
	return p ? mod->command(p, SP_CMD_PAUSE, 0, 0) : -EINVAL;
}

int sp_player_seek(struct sp_player *p, double seconds, enum sp_player_seek_mode mode)
{
	if (!p || (mode != SP_PLAYER_SEEK_KEYFRAME && mode != SP_PLAYER_SEEK_EXACT))
		return -EINVAL;
	return mod->command(p, SP_CMD_SEEK, seconds, (int)mode);
}

int sp_player_set_volume(struct sp_player *p, int volume)
{
	return p ? mod->command(p, SP_CMD_VOLUME, 0, volume) : -EINVAL;
}

int sp_player_set_mute(struct sp_player *p, bool mute)
{
	return p ? mod->command(p, SP_CMD_MUTE, 0, mute) : -EINVAL;
}

int sp_player_set_audio_track(struct sp_player *p, int n)
{
	return p ? mod->command(p, SP_CMD_AUDIO, 0, n) : -EINVAL;
}

int sp_player_set_sub_track(struct sp_player *p, int n)
{
	return p ? mod->command(p, SP_CMD_SUB, 0, n) : -EINVAL;
}

double sp_player_get_position(struct sp_player *p, double *duration_s)
{
	if (!p) {
		if (duration_s)
			*duration_s = 0;
		return 0;
	}
	return mod->get_position(p, duration_s);
}

int sp_player_screenshot(struct sp_player *p, const char *path)
{
	return p ? mod->screenshot(p, path) : -EINVAL;
}

int sp_player_draw(struct sp_player *p, void *renderer, int x, int y, int w, int h)
{
	return p ? mod->draw(p, renderer, x, y, w, h) : -EINVAL;
}

int sp_player_event_fd(const struct sp_player *p)
{
	return p ? mod->event_fd(p) : -EINVAL;
}

bool sp_player_next_event(struct sp_player *p, struct sp_player_event *ev)
{
	return p ? mod->next_event(p, ev) : false;
}

size_t sp_player_audio_read(struct sp_player *p, int16_t *buf, size_t frames)
{
	if (!p) {
		if (buf)
			memset(buf, 0, frames * 4);
		return 0;
	}
	return mod->audio_read(p, buf, frames);
}

size_t sp_player_stats_json(struct sp_player *p, char *buf, size_t len)
{
	if (!p) {
		if (buf && len)
			buf[0] = 0;
		return 0;
	}
	return mod->stats_json(p, buf, len);
}
