/* embed.c - the player module's side of the public player API
 * (swarmplay/player.h): one sp_player runs sp_player_run (player.c) on a
 * thread of its own (sp_player_open_*) or on the caller's
 * (sp_player_run_*: the only way to the player's own window,
 * SP_PLAYER_VIDEO_WINDOW, `swarmplay play`'s), and hooks into its loop
 * (struct sp_play_hooks):
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
	case SP_CMD_SUB:
		sp_sub_set_track(p, c->b);
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
	    (cmd == SP_CMD_VOLUME && (b < 0 || b > 100)) || (cmd == SP_CMD_AUDIO && b < 1) ||
	    (cmd == SP_CMD_SUB && b < 0))
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

/* Plays e->src on the calling thread (the player's own, or the host's
 * with sp_player_run_*); the sub reader is the player's from here on. */
static int play(struct sp_player *e, struct sp_error **err)
{
	e->pc.sub_reader = e->sub_reader;
	e->pc.sub_reader_name = e->sub_name;
	e->sub_reader = NULL;
	int r = sp_player_run(e->src, &e->pc, err);
	if (r < 0) {
		struct sp_player_event ev = {.type = SP_PLAYER_EVENT_ERROR, .error = r};
		snprintf(ev.message, sizeof(ev.message), "%s", sp_error_msg(err ? *err : NULL));
		push_event(e, &ev);
	}
	pthread_mutex_lock(&e->mu);
	e->result = e->run_result;
	e->result_ready = true;
	pthread_mutex_unlock(&e->mu);
	return r;
}

static void *run(void *arg)
{
	struct sp_player *e = arg;
	struct sp_error *err = NULL;
	play(e, &err);
	sp_error_free(err);
	return NULL;
}

static struct sp_player *create(const struct sp_player_config *cfg, struct sp_error **err)
{
	if (!cfg || cfg->video > SP_PLAYER_VIDEO_WINDOW || cfg->audio > SP_PLAYER_AUDIO_PULL ||
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
	bool frames = cfg->video == SP_PLAYER_VIDEO_RENDERER ||
		      cfg->video == SP_PLAYER_VIDEO_CALLBACK;
	e->hooks = (struct sp_play_hooks){.ctx = e,
					  .frame = frames ? sp_embed_on_frame : NULL,
					  .event = on_event,
					  .tick = on_tick,
					  .stats = on_stats,
					  .closing = on_closing};
	sp_play_config_init(&e->pc);
	e->pc.no_video = cfg->video != SP_PLAYER_VIDEO_WINDOW; /* else the host owns it */
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
	e->pc.result = &e->run_result;
	return e;
}

/* here: the play runs on the calling thread (sp_player_run_*), its
 * result returned; else on a thread of the player's. */
static int start(struct sp_player *e, struct sp_source *src, bool here, struct sp_error **err)
{
	e->src = src;
	e->pc.t0_us = e->t0_given ? e->t0_us : sp_now_us();
	if (here)
		return play(e, err);
	if (pthread_create(&e->thread, NULL, run, e) != 0) {
		e->src = NULL;
		sp_source_free(src);
		return sp_error_set(err, -EAGAIN, _("cannot start a thread"));
	}
	e->started = true;
	return 0;
}

static int reader_start(struct sp_player *e, struct sp_reader *r, const char *name, bool here,
			struct sp_error **err)
{
	if (!e || !r || e->opened || (!here && e->cfg.video == SP_PLAYER_VIDEO_WINDOW)) {
		if (r)
			sp_reader_close(r);
		return sp_error_set(err, -EINVAL, _("invalid player configuration"));
	}
	e->opened = true;
	struct sp_source *src = sp_source_reader_new(r, name ? name : "", true);
	if (!src) {
		sp_reader_close(r);
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	}
	return start(e, src, here, err);
}

static int file_start(struct sp_player *e, const char *path, bool here, struct sp_error **err)
{
	if (!e || !path || e->opened || (!here && e->cfg.video == SP_PLAYER_VIDEO_WINDOW))
		return sp_error_set(err, -EINVAL, _("invalid player configuration"));
	e->opened = true;
	struct sp_source *src = sp_source_file_new(path, err);
	if (!src)
		return -ENOENT;
	return start(e, src, here, err);
}

static int open_reader(struct sp_player *e, struct sp_reader *r, const char *name,
		       struct sp_error **err)
{
	return reader_start(e, r, name, false, err);
}

static int open_file(struct sp_player *e, const char *path, struct sp_error **err)
{
	return file_start(e, path, false, err);
}

static int run_reader(struct sp_player *e, struct sp_reader *r, const char *name,
		      struct sp_error **err)
{
	return reader_start(e, r, name, true, err);
}

static int run_file(struct sp_player *e, const char *path, struct sp_error **err)
{
	return file_start(e, path, true, err);
}

static int set_sub_reader(struct sp_player *e, struct sp_reader *r, const char *name,
			  struct sp_error **err)
{
	if (!e || !r || e->opened) {
		if (r)
			sp_reader_close(r);
		return sp_error_set(err, e && e->opened ? -EBUSY : -EINVAL,
				    _("invalid player configuration"));
	}
	char *copy = strdup(name ? name : "sub.srt");
	if (!copy) {
		sp_reader_close(r);
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	}
	if (e->sub_reader)
		sp_reader_close(e->sub_reader);
	free(e->sub_name);
	e->sub_reader = r;
	e->sub_name = copy;
	return 0;
}

static int set_netinfo(struct sp_player *e,
		       void (*netinfo)(void *ctx, struct sp_player_netinfo *out),
		       void (*position)(void *ctx, double pos_s, double duration_s), void *ctx)
{
	if (!e)
		return -EINVAL;
	if (e->opened)
		return -EBUSY;
	e->pc.netinfo = netinfo;
	e->pc.position = position;
	e->pc.netinfo_ctx = ctx;
	return 0;
}

static int set_quit_flag(struct sp_player *e, const volatile sig_atomic_t *flag)
{
	if (!e)
		return -EINVAL;
	if (e->opened)
		return -EBUSY;
	e->pc.quit_signal = flag;
	return 0;
}

static int get_result(struct sp_player *e, struct sp_player_result *out)
{
	if (!e || !out)
		return -EINVAL;
	pthread_mutex_lock(&e->mu);
	bool ready = e->result_ready;
	if (ready)
		*out = e->result;
	pthread_mutex_unlock(&e->mu);
	return ready ? 0 : -EAGAIN;
}

/* sp_player_set_option's names: a string kept in e->opt[row] and pointed
 * to from the player's configuration, or a value parsed into it. */
enum opt_row {
	O_FRAMEHASH, O_SUBHASH, O_SUBFILE, O_SLANG, O_ALANG, O_SUBCP, O_HWDEC, O_STOPAT,
	O_STARTBUF, O_SUBVIS, O_AID, O_MUTE, O_STATS, O_FHAPPEND, O_T0, O_SEEKAT, O_SHOTAT,
	O_EXITEND, O_PROGRESS, O_TERMINAL, O_TITLE, O_FULL, O_SHOTDIR, O_KEEPWIN, O_RESUMED,
	O_NEXT, O_PREV, O_ROWS
};
enum opt_kind {
	OPT_PATH, OPT_LIST, OPT_HWDEC, OPT_SECONDS, OPT_BUFFER, OPT_YESNO, OPT_TRACK, OPT_US,
	OPT_SEEKAT, OPT_SHOTAT
};
static const struct {
	const char *name;
	enum opt_kind kind;
	bool yes; /* OPT_YESNO's default */
} options[O_ROWS] = {
	[O_FRAMEHASH] = {"framehash", OPT_PATH},   [O_SUBHASH] = {"subhash", OPT_PATH},
	[O_SUBFILE] = {"sub-file", OPT_PATH},      [O_SLANG] = {"slang", OPT_LIST},
	[O_ALANG] = {"alang", OPT_LIST},           [O_SUBCP] = {"sub-codepage", OPT_LIST},
	[O_HWDEC] = {"hwdec", OPT_HWDEC},          [O_STOPAT] = {"stop-at", OPT_SECONDS},
	[O_STARTBUF] = {"start-buffer", OPT_BUFFER},
	[O_SUBVIS] = {"sub-visibility", OPT_YESNO, true},
	[O_AID] = {"aid", OPT_TRACK},              [O_MUTE] = {"mute", OPT_YESNO},
	[O_STATS] = {"stats-json", OPT_PATH},      [O_FHAPPEND] = {"framehash-append", OPT_YESNO},
	[O_T0] = {"ttff-from", OPT_US},            [O_SEEKAT] = {"seek-at", OPT_SEEKAT},
	[O_SHOTAT] = {"screenshot-at", OPT_SHOTAT}, [O_EXITEND] = {"exit-at-end", OPT_YESNO},
	[O_PROGRESS] = {"progress", OPT_YESNO},    [O_TERMINAL] = {"terminal", OPT_YESNO},
	[O_TITLE] = {"title", OPT_LIST},           [O_FULL] = {"fullscreen", OPT_YESNO},
	[O_SHOTDIR] = {"screenshot-dir", OPT_PATH}, [O_KEEPWIN] = {"keep-window", OPT_YESNO},
	[O_RESUMED] = {"resumed", OPT_YESNO},      [O_NEXT] = {"playlist-next", OPT_YESNO},
	[O_PREV] = {"playlist-prev", OPT_YESNO},
};
_Static_assert((int)O_ROWS <= (int)SP_EMBED_OPT_STRINGS, "e->opt rows");

/* A parsed value: secs (seconds), num (a whole number), yes. */
struct opt_val {
	double secs;
	long long num;
	bool yes;
};

static void point_option(struct sp_player *e, enum opt_row row, const char *v,
			 const struct opt_val *x)
{
	bool window = e->cfg.video == SP_PLAYER_VIDEO_WINDOW;
	switch (row) {
	case O_FRAMEHASH: e->pc.framehash_path = v; break;
	case O_SUBHASH: e->pc.subhash_path = v; break;
	case O_SUBFILE: e->pc.sub_path = v; break;
	case O_SLANG: e->pc.slang = v; break;
	case O_ALANG: e->pc.alang = v; break;
	case O_SUBCP: e->pc.sub_codepage = v; break;
	case O_HWDEC: e->pc.hwdec = v; break;
	case O_STOPAT: e->pc.stop_at_s = x->secs; break;
	case O_STARTBUF: e->pc.start_buffer_s = x->secs; break;
	case O_SUBVIS:
		e->pc.sub_pictures = e->cfg.video == SP_PLAYER_VIDEO_RENDERER && x->yes;
		e->pc.sub_hidden = window && !x->yes;
		break;
	case O_AID: e->pc.aid = (int)x->num; break;
	case O_MUTE: e->pc.muted = x->yes; break;
	case O_STATS: e->pc.stats_path = v; break;
	case O_FHAPPEND: e->pc.framehash_append = x->yes; break;
	case O_T0:
		e->t0_given = v != NULL;
		e->t0_us = x->num;
		break;
	case O_EXITEND: e->pc.exit_at_end = x->yes; break;
	case O_PROGRESS: e->pc.progress = x->yes; break;
	case O_TERMINAL: e->pc.terminal = x->yes; break;
	case O_TITLE: e->pc.title = v; break;
	case O_FULL: e->pc.fullscreen = x->yes; break;
	case O_SHOTDIR: e->pc.shot_dir = v; break;
	case O_KEEPWIN: e->pc.keep_window = x->yes; break;
	case O_RESUMED: e->pc.resumed = x->yes; break;
	case O_NEXT: e->pc.has_next = x->yes; break;
	case O_PREV: e->pc.has_prev = x->yes; break;
	default: break;
	}
}

/* seek-at's "POS:TARGET" and screenshot-at's "POS:FILE": one more, or
 * all cleared (NULL). */
static int add_scripted(struct sp_player *e, enum opt_row row, const char *name,
			const char *value, struct sp_error **err)
{
	if (!value) {
		if (row == O_SEEKAT)
			e->pc.nseek_at = 0;
		for (int i = 0; row == O_SHOTAT && i < e->pc.nshot_at; i++) {
			free(e->shot_path[i]);
			e->shot_path[i] = NULL;
		}
		if (row == O_SHOTAT)
			e->pc.nshot_at = 0;
		return 0;
	}
	char *end;
	double at = strtod(value, &end);
	int n = row == O_SEEKAT ? e->pc.nseek_at : e->pc.nshot_at;
	if (end == value || *end != ':' || !end[1] || !(at >= 0) || at > 1e9)
		return sp_error_set(err, -EINVAL, _("option %s: not POS:%s: %s"), name,
				    row == O_SEEKAT ? "TARGET" : "FILE", value);
	if (n >= SP_PLAYER_SEEK_AT_MAX)
		return sp_error_set(err, -EINVAL, _("option %s: at most %d"), name,
				    SP_PLAYER_SEEK_AT_MAX);
	if (row == O_SEEKAT) {
		char *tend;
		double to = strtod(end + 1, &tend);
		if (*tend || !(to >= 0) || to > 1e7)
			return sp_error_set(err, -EINVAL, _("option %s: not POS:%s: %s"), name,
					    "TARGET", value);
		e->pc.seek_at[n].at_s = at;
		e->pc.seek_at[n].to_s = to;
		e->pc.nseek_at++;
		return 0;
	}
	if (!(e->shot_path[n] = strdup(end + 1)))
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	e->pc.shot_at[n].at_s = at;
	e->pc.shot_at[n].path = e->shot_path[n];
	e->pc.nshot_at++;
	return 0;
}

static int parse_value(enum opt_row row, const char *name, const char *value,
		       struct opt_val *x, struct sp_error **err)
{
	char *end;
	x->yes = options[row].yes;
	if (!value)
		return 0;
	switch (options[row].kind) {
	case OPT_BUFFER:
		if (!strcmp(value, "none")) {
			x->secs = -1;
			return 0;
		}
		/* fall through */
	case OPT_SECONDS:
		x->secs = strtod(value, &end);
		if (end == value || *end || !(x->secs >= 0) || x->secs > 1e9)
			return sp_error_set(
			    err, -EINVAL, _("option %s: not a number of seconds: %s"), name, value);
		return 0;
	case OPT_TRACK:
	case OPT_US:
		errno = 0;
		x->num = strtoll(value, &end, 10);
		if (end == value || *end || errno || x->num < 0 ||
		    (options[row].kind == OPT_TRACK && x->num > 1000))
			return sp_error_set(err, -EINVAL, _("option %s: not a whole number: %s"),
					    name, value);
		return 0;
	case OPT_HWDEC:
		if (strcmp(value, "no") && strcmp(value, "auto") && strcmp(value, "vaapi") &&
		    strcmp(value, "vdpau"))
			return sp_error_set(err, -EINVAL,
					    _("option %s: not no, auto, vaapi or vdpau: %s"), name,
					    value);
		return 0;
	case OPT_YESNO:
		if (strcmp(value, "yes") && strcmp(value, "no"))
			return sp_error_set(err, -EINVAL, _("option %s: not yes or no: %s"), name,
					    value);
		x->yes = !strcmp(value, "yes");
		return 0;
	case OPT_PATH:
		if (!*value)
			return sp_error_set(err, -EINVAL, _("option %s: an empty path"), name);
		return 0;
	default:
		return 0;
	}
}

static int set_option(struct sp_player *e, const char *name, const char *value,
		      struct sp_error **err)
{
	if (!e || !name)
		return sp_error_set(err, -EINVAL, _("invalid player configuration"));
	if (e->opened)
		return sp_error_set(err, -EBUSY, _("option %s: the player has already opened its "
						   "source"), name);
	int row = -1;
	for (int i = 0; i < O_ROWS; i++)
		if (!strcmp(options[i].name, name))
			row = i;
	if (row < 0)
		return sp_error_set(err, -ENOENT, _("unknown player option %s"), name);
	if (options[row].kind == OPT_SEEKAT || options[row].kind == OPT_SHOTAT)
		return add_scripted(e, (enum opt_row)row, name, value, err);
	struct opt_val x = {0};
	int r = parse_value((enum opt_row)row, name, value, &x, err);
	if (r < 0)
		return r;
	char *copy = NULL;
	bool string = options[row].kind == OPT_PATH || options[row].kind == OPT_LIST ||
		      options[row].kind == OPT_HWDEC || options[row].kind == OPT_US;
	if (value && string && !(copy = strdup(value)))
		return sp_error_set(err, -ENOMEM, _("out of memory"));
	if (string) {
		free(e->opt[row]);
		e->opt[row] = copy;
	}
	point_option(e, (enum opt_row)row, copy, &x);
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
	if (e->sub_reader) /* set, never played */
		sp_reader_close(e->sub_reader);
	free(e->sub_name);
	for (int i = 0; i < SP_PLAYER_SHOT_AT_MAX; i++)
		free(e->shot_path[i]);
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
    .run_reader = run_reader,
    .run_file = run_file,
    .set_sub_reader = set_sub_reader,
    .set_netinfo = set_netinfo,
    .set_quit_flag = set_quit_flag,
    .get_result = get_result,
};
