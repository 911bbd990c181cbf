/* embed.c - the player module's side of the public player API
 * (swarmplay/player.h): one sp_player runs sp_player_run (player.c) on a
 * thread of its own, with no window (the host owns windows), and hooks
 * into its loop (struct sp_play_hooks):
 *   - commands from the host wait in a small queue under mu; the loop's
 *     tick applies them on the player's thread, where the player's state
 *     lives (so no new locking inside the player);
 *   - events go to a ring under mu and wake the eventfd, and to the
 *     host's on_event;
 *   - frames go to on_frame or to the latest-frame slot that
 *     sp_player_draw takes on the host's thread (embed_draw.c), and the
 *     subtitle shown to its picture slot (each tick: embed_draw.c);
 *   - the stats JSON is copied under mu for sp_player_stats_json.
 * Threads: the host's (any) for the API; the player's for the hooks. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "player/embed.h"
#include "player/embed_int.h"

#define CMDS_MAX 64

static void push_event(struct sp_player *e, const struct sp_player_event *ev)
{
	pthread_mutex_lock(&e->mu);
	if (e->ev_count == SP_EMBED_EVENTS) { /* the host is not reading: drop the oldest */
		e->ev_head = (e->ev_head + 1) % SP_EMBED_EVENTS;
		e->ev_count--;
	}
	e->evq[(e->ev_head + e->ev_count) % SP_EMBED_EVENTS] = *ev;
	e->ev_count++;
	uint64_t one = 1;
	if (write(e->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow at 256 events: nothing to do */
	}
	pthread_mutex_unlock(&e->mu);
	if (e->cfg.on_event)
		e->cfg.on_event(e->cfg.ctx, ev);
}

static void on_event(void *ctx, enum sp_play_event kind, int arg, double pos, double dur)
{
	struct sp_player_event ev = {.position_s = pos, .duration_s = dur};
	switch (kind) {
	case SP_PLAY_EV_FIRST_FRAME:
		ev.type = SP_PLAYER_EVENT_FIRST_FRAME;
		break;
	case SP_PLAY_EV_BUFFERING_START:
		ev.type = SP_PLAYER_EVENT_BUFFERING_START;
		ev.reason = arg;
		break;
	case SP_PLAY_EV_BUFFERING_END:
		ev.type = SP_PLAYER_EVENT_BUFFERING_END;
		break;
	case SP_PLAY_EV_POSITION:
		ev.type = SP_PLAYER_EVENT_POSITION;
		break;
	case SP_PLAY_EV_END:
		ev.type = SP_PLAYER_EVENT_END;
		break;
	default:
		return;
	}
	push_event(ctx, &ev);
}

static void on_stats(void *ctx, const char *json)
{
	struct sp_player *e = ctx;
	size_t n = strlen(json);
	pthread_mutex_lock(&e->mu);
	if (n + 1 > e->stats_cap) {
		char *s = realloc(e->stats, n + 1);
		if (s) {
			e->stats = s;
			e->stats_cap = n + 1;
		}
	}
	if (n + 1 <= e->stats_cap)
		memcpy(e->stats, json, n + 1);
	pthread_mutex_unlock(&e->mu);
}

static void apply(struct player *p, const struct sp_embed_cmd *c)
{
	switch (c->cmd) {
	case SP_CMD_PLAY:
		sp_player_set_paused(p, false);
		break;
	case SP_CMD_PAUSE:
		sp_player_set_paused(p, true);
		break;
	case SP_CMD_SEEK: {
		/* the flush bumps the audio serial by one; the audio callback
		 * must know the target before frames of that serial exist */
		bool exact = c->b == SP_PLAYER_SEEK_EXACT;
		atomic_store(&p->exact_a_target, exact ? c->a : -INFINITY);
		atomic_store(&p->exact_a_serial, exact ? sp_pktq_serial(&p->aq) + 1 : 0);
		sp_demux_seek(p, c->a);
		p->exact_target = exact ? c->a : NAN;
		break;
	}
	case SP_CMD_VOLUME:
		atomic_store(&p->volume, c->b);
		break;
	case SP_CMD_MUTE:
		atomic_store(&p->muted, c->b != 0);
		break;
	case SP_CMD_AUDIO:
		sp_tracks_set_audio(p, c->b);
		break;
	}
}

/* The loop's turn: the host's commands, once the container is open (a
 * seek or a track before that waits for it). */
static void on_tick(void *ctx, struct player *p)
{
	struct sp_player *e = ctx;
	if (!p->opened)
		return;
	double pos = p->first_shown ? sp_player_position(p) : 0;
	pthread_mutex_lock(&e->mu);
	e->pos_s = isfinite(pos) && pos > 0 ? pos : 0;
	e->dur_s = p->duration;
	pthread_mutex_unlock(&e->mu);
	if (e->pc.sub_pictures)
		sp_embed_sub_tick(e, p);
	if (!e->live && e->pc.audio_pull) { /* its audio is set up: pulls may start */
		pthread_mutex_lock(&e->audio_mu);
		e->live = p;
		pthread_mutex_unlock(&e->audio_mu);
	}
	struct sp_embed_cmd cmds[CMDS_MAX];
	pthread_mutex_lock(&e->mu);
	int n = e->ncmds;
	memcpy(cmds, e->cmds, (size_t)n * sizeof(cmds[0]));
	e->ncmds = 0;
	pthread_mutex_unlock(&e->mu);
	for (int i = 0; i < n; i++)
		apply(p, &cmds[i]);
}

/* The player's state is about to go: a pull under way finishes first. */
static void on_closing(void *ctx)
{
	struct sp_player *e = ctx;
	pthread_mutex_lock(&e->audio_mu);
	e->live = NULL;
	pthread_mutex_unlock(&e->audio_mu);
}

static size_t audio_read(struct sp_player *e, int16_t *buf, size_t frames)
{
	if (!e || !buf || e->cfg.audio != SP_PLAYER_AUDIO_PULL) {
		if (buf)
			memset(buf, 0, frames * 4);
		return 0;
	}
	size_t done = 0;
	pthread_mutex_lock(&e->audio_mu);
	while (done < frames) {
		size_t n = frames - done < 65536 ? frames - done : 65536;
		if (e->live && e->live->aidx >= 0)
			sp_audio_pull(e->live, (uint8_t *)(buf + 2 * done), (int)(n * 4));
		else
			memset(buf + 2 * done, 0, n * 4);
		done += n;
	}
	pthread_mutex_unlock(&e->audio_mu);
	return frames;
}

static int command(struct sp_player *e, enum sp_player_cmd cmd, double a, int b)
{
	if (!e || (cmd == SP_CMD_SEEK && !(a >= 0)) ||
	    (cmd == SP_CMD_VOLUME && (b < 0 || b > 100)) || (cmd == SP_CMD_AUDIO && b < 1))
		return -EINVAL;
	pthread_mutex_lock(&e->mu);
	int r = 0;
	if (e->ncmds == CMDS_MAX)
		r = -EAGAIN;
	else
		e->cmds[e->ncmds++] = (struct sp_embed_cmd){cmd, a, b};
	pthread_mutex_unlock(&e->mu);
	return r;
}

static void *run(void *arg)
{
	struct sp_player *e = arg;
	struct sp_error *err = NULL;
	int r = sp_player_run(e->src, &e->pc, &err);
	if (r < 0) {
		struct sp_player_event ev = {.type = SP_PLAYER_EVENT_ERROR, .error = r};
		snprintf(ev.message, sizeof(ev.message), "%s", sp_error_msg(err));
		push_event(e, &ev);
	}
	sp_error_free(err);
	return NULL;
}

static struct sp_player *create(const struct sp_player_config *cfg, struct sp_error **err)
{
	if (!cfg || cfg->video > SP_PLAYER_VIDEO_CALLBACK || cfg->audio > SP_PLAYER_AUDIO_PULL ||
	    (cfg->video == SP_PLAYER_VIDEO_CALLBACK && !cfg->on_frame)) {
		sp_error_set(err, -EINVAL, _("invalid player configuration"));
		return NULL;
	}
	struct sp_player *e = calloc(1, sizeof(*e));
	if (!e) {
		sp_error_set(err, -ENOMEM, _("out of memory"));
		return NULL;
	}
	e->cfg = *cfg;
	e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (cfg->audio == SP_PLAYER_AUDIO_DEVICE && cfg->audio_device)
		e->audio_device = strdup(cfg->audio_device);
	if (e->efd < 0 ||
	    (cfg->audio_device && cfg->audio == SP_PLAYER_AUDIO_DEVICE && !e->audio_device)) {
		sp_error_set(err, -errno, _("cannot make the player's event descriptor"));
		if (e->efd >= 0)
			close(e->efd);
		free(e->audio_device);
		free(e);
		return NULL;
	}
	pthread_mutex_init(&e->mu, NULL);
	pthread_mutex_init(&e->audio_mu, NULL);
	e->hooks = (struct sp_play_hooks){.ctx = e,
					  .frame = sp_embed_on_frame,
					  .event = on_event,
					  .tick = on_tick,
					  .stats = on_stats,
					  .closing = on_closing};
	sp_play_config_init(&e->pc);
	e->pc.no_video = true; /* the host owns every window */
	e->pc.no_audio = cfg->audio == SP_PLAYER_AUDIO_NONE;
	e->pc.audio_pull = cfg->audio == SP_PLAYER_AUDIO_PULL;
	e->pc.fast = cfg->unpaced;
	e->pc.start_s = cfg->start_s;
	e->pc.volume = cfg->volume < 0 ? 0 : cfg->volume > 100 ? 100 : cfg->volume;
	e->pc.loop = cfg->loop < 0 ? 1 : cfg->loop;
	e->pc.t0_us = sp_now_us();
	e->pc.quit_flag = &e->quit;
	e->pc.hooks = &e->hooks;
	e->pc.audio_device = e->audio_device;
	e->pc.sub_pictures = cfg->video == SP_PLAYER_VIDEO_RENDERER; /* sub-visibility */
	return e;
}

static int start(struct sp_player *e, struct sp_source *src, struct sp_error **err)
{
	e->src = src;
	e->pc.t0_us = sp_now_us();
	if (pthread_create(&e->thread, NULL, run, e) != 0) {
		e->src = NULL;
		sp_source_free(src);
		return sp_error_set(err, -EAGAIN, _("cannot start a thread"));
	}
	e->started = true;
	return 0;
}

static int open_reader(struct sp_player *e, struct sp_reader *r, const char *name,
		       struct sp_error **err)
{
	if (!e || !r || e->src) {
		if (r)
			sp_reader_close(r);
		return sp_error_set(err, -EINVAL, _("invalid player configuration"));
	}
	struct sp_source *src = sp_source_reader_new(r, name ? name : "", true);
	if (!src) {
		sp_reader_close(r);
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	}
	return start(e, src, err);
}

static int open_file(struct sp_player *e, const char *path, struct sp_error **err)
{
	if (!e || !path || e->src)
		return sp_error_set(err, -EINVAL, _("invalid player configuration"));
	struct sp_source *src = sp_source_file_new(path, err);
	if (!src)
		return -ENOENT;
	return start(e, src, err);
}

/* sp_player_set_option's names: a string kept in e->opt[row] and pointed
 * to from the player's configuration, or a number of seconds. */
enum opt_kind { OPT_PATH, OPT_LIST, OPT_HWDEC, OPT_SECONDS, OPT_YESNO };
static const struct {
	const char *name;
	enum opt_kind kind;
} options[] = {
	{"framehash", OPT_PATH},  {"subhash", OPT_PATH},    {"sub-file", OPT_PATH},
	{"slang", OPT_LIST},      {"alang", OPT_LIST},      {"sub-codepage", OPT_LIST},
	{"hwdec", OPT_HWDEC},     {"stop-at", OPT_SECONDS}, {"start-buffer", OPT_SECONDS},
	{"sub-visibility", OPT_YESNO},
};
_Static_assert(sizeof(options) / sizeof(options[0]) <= SP_EMBED_OPT_STRINGS, "e->opt rows");

static void point_option(struct sp_player *e, int row, const char *v, double secs)
{
	switch (row) {
	case 0: e->pc.framehash_path = v; break;
	case 1: e->pc.subhash_path = v; break;
	case 2: e->pc.sub_path = v; break;
	case 3: e->pc.slang = v; break;
	case 4: e->pc.alang = v; break;
	case 5: e->pc.sub_codepage = v; break;
	case 6: e->pc.hwdec = v; break;
	case 7: e->pc.stop_at_s = secs; break;
	case 8: e->pc.start_buffer_s = secs; break;
	case 9:
		e->pc.sub_pictures = e->cfg.video == SP_PLAYER_VIDEO_RENDERER &&
				     !(v && !strcmp(v, "no"));
		break;
	}
}

static int set_option(struct sp_player *e, const char *name, const char *value,
		      struct sp_error **err)
{
	if (!e || !name)
		return sp_error_set(err, -EINVAL, _("invalid player configuration"));
	if (e->src)
		return sp_error_set(err, -EBUSY, _("option %s: the player has already opened its "
						   "source"), name);
	int row = -1;
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (!strcmp(options[i].name, name))
			row = (int)i;
	if (row < 0)
		return sp_error_set(err, -ENOENT, _("unknown player option %s"), name);
	double secs = 0;
	if (value && options[row].kind == OPT_SECONDS) {
		char *end;
		secs = strtod(value, &end);
		if (end == value || *end || !(secs >= 0) || secs > 1e9)
			return sp_error_set(
			    err, -EINVAL, _("option %s: not a number of seconds: %s"), name, value);
	}
	if (value && options[row].kind == OPT_HWDEC && strcmp(value, "no") &&
	    strcmp(value, "auto") && strcmp(value, "vaapi") && strcmp(value, "vdpau"))
		return sp_error_set(err, -EINVAL, _("option %s: not no, auto, vaapi or vdpau: %s"),
				    name, value);
	if (value && options[row].kind == OPT_YESNO && strcmp(value, "yes") &&
	    strcmp(value, "no"))
		return sp_error_set(err, -EINVAL, _("option %s: not yes or no: %s"), name, value);
	if (value && options[row].kind == OPT_PATH && !*value)
		return sp_error_set(err, -EINVAL, _("option %s: an empty path"), name);
	char *copy = NULL;
	bool string = options[row].kind != OPT_SECONDS;
	if (value && string && !(copy = strdup(value)))
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	if (string) {
		free(e->opt[row]);
		e->opt[row] = copy;
	}
	point_option(e, row, copy, secs);
	return 0;
}

static void destroy(struct sp_player *e)
{
	if (!e)
		return;
	e->quit = 1;
	if (e->started)
		pthread_join(e->thread, NULL);
	sp_source_free(e->src);
	sp_embed_draw_fini(e);
	close(e->efd);
	pthread_mutex_destroy(&e->mu);
	pthread_mutex_destroy(&e->audio_mu);
	free(e->stats);
	free(e->audio_device);
	for (int i = 0; i < SP_EMBED_OPT_STRINGS; i++)
		free(e->opt[i]);
	free(e);
}

static int event_fd(const struct sp_player *e)
{
	return e ? e->efd : -EINVAL;
}

static bool next_event(struct sp_player *e, struct sp_player_event *ev)
{
	if (!e || !ev)
		return false;
	pthread_mutex_lock(&e->mu);
	bool got = e->ev_count > 0;
	if (got) {
		*ev = e->evq[e->ev_head];
		e->ev_head = (e->ev_head + 1) % SP_EMBED_EVENTS;
		e->ev_count--;
	}
	if (e->ev_count == 0) { /* not readable any more */
		uint64_t n;
		if (read(e->efd, &n, sizeof(n)) < 0) {
			/* EAGAIN: already reset */
		}
	}
	pthread_mutex_unlock(&e->mu);
	return got;
}

static double get_position(struct sp_player *e, double *duration_s)
{
	pthread_mutex_lock(&e->mu);
	double pos = e->pos_s;
	if (duration_s)
		*duration_s = e->dur_s;
	pthread_mutex_unlock(&e->mu);
	return pos;
}

static size_t stats_json(struct sp_player *e, char *buf, size_t len)
{
	if (!e)
		return 0;
	pthread_mutex_lock(&e->mu);
	size_t n = e->stats ? strlen(e->stats) : 0;
	if (buf && len) {
		size_t c = n < len - 1 ? n : len - 1;
		if (c)
			memcpy(buf, e->stats, c);
		buf[c] = 0;
	}
	pthread_mutex_unlock(&e->mu);
	return n;
}

/* The one symbol the library asks the module for. */
extern const struct sp_player_module sp_player_module;
const struct sp_player_module sp_player_module = {
    .abi = SP_PLAYER_MODULE_ABI,
    .version = SP_VERSION,
    .create = create,
    .destroy = destroy,
    .open_reader = open_reader,
    .open_file = open_file,
    .command = command,
    .draw = sp_embed_draw,
    .event_fd = event_fd,
    .next_event = next_event,
    .stats_json = stats_json,
    .audio_read = audio_read,
    .set_option = set_option,
    .screenshot = sp_embed_screenshot,
    .get_position = get_position,
};
