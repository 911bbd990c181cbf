/* cmd_kiosk.c - swarmplay kiosk PLAYLIST: signage that plays a playlist
 * (app/playlist.h) in a loop, unattended.
 *
 * One session for the whole run, with LSD on: every listed torrent joins
 * it when first prepared and stays while listed, so a screen seeds what
 * it shows to the other screens of the site. Its data lives in the play
 * cache, held (pinned: sp_cache_hold) while listed; --cache-max trims
 * the rest, least recently played first. While the item playing needs
 * nothing more from the network, the next listed torrents download in
 * list order, one at a time (kiosk_prefetch.c).
 *
 * Items that fail (a server away, no peer with the metadata, a file that
 * does not decode) are skipped and tried again after a back-off (10 s,
 * doubling to 10 min); nothing in a playlist ends the kiosk. A new list
 * (kiosk_fetch.c) is applied between two plays; items that stay keep
 * their torrent and state (kiosk_items.c: applying, pinning, preparing).
 *
 * Main thread: the loop and the window (SDL's rule); the fetch thread
 * and the event loop's thread (status page, control socket: kiosk_loop.c)
 * share `struct kiosk` (kiosk.h). SIGINT/SIGTERM end the play and the
 * kiosk. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "app/cmd.h"
#include "app/kiosk.h"
#include "app/media.h"
#include "app/swarm_opts.h"
#include "app/clock.h"
#include "app/i18n.h"
#include "swarmplay/player.h"
#include "swarmplay/swarmplay.h"

#define CACHE_MAX_DEFAULT (10ull << 30)
#define IDLE_WAIT_US 1000000LL


static struct kiosk kio;
static atomic_int quit_flag;
/* the session whose magnet fetches a signal ends (an item's, a
 * prefetch's) */
static struct sp_session *_Atomic sig_session;

static void on_signal(int sig)
{
	int saved = errno;
	quit_flag = sig;
	kio.stop_play = 1;
	struct sp_session *s = atomic_load(&sig_session);
	if (s)
		sp_session_cancel_fetches(s); /* sets a flag: async-signal-safe */
	errno = saved;
}

static void usage(FILE *f)
{
	fprintf(f, _("Usage: swarmplay kiosk PLAYLIST [OPTIONS]\n"
		     "Play an M3U playlist (a file or an http(s) URL) in a loop, fullscreen,\n"
		     "unattended: .tstream/.torrent paths or URLs, magnet links, media files.\n\n"
		     "  --refresh MINUTES    fetch the playlist again this often (default 5)\n"
		     "  --http [ADDR:]PORT   status and remote control over HTTP\n"
		     "                       (address 127.0.0.1 unless given)\n"
		     "  --http-token TOKEN   requests must carry this token (needed when\n"
		     "                       the address is not loopback)\n"
		     "  --control PATH       the control socket (swarmplay ctl); default\n"
		     "                       $XDG_RUNTIME_DIR/swarmplay/kiosk.sock\n"
		     "  --cache-max SIZE     keep the cache under SIZE (K, M, G; default\n"
		     "                       10G); listed items are never removed\n"
		     "  --windowed           a window instead of the full screen\n"
		     "  --osd                show the pointer and the position\n"
		     "  --no-video           no window (frames still decoded and paced)\n"
		     "  --no-audio           no sound\n"
		     "  --volume N           volume 0-100 (an item's volume= wins)\n"
		     "  --no-lsd             do not look for peers on the local network\n"
		     "  --framehash-dir DIR  write the MD5s of each play's frames in DIR\n"
		     "  -d, --dir DIR, --peer HOST:PORT, --port N, --no-tracker,\n"
		     "  --max-peers N, --upload-limit KBPS, --webseed MODE, --no-dht,\n"
		     "  --dht-node HOST:PORT, --no-port-mapping: as for play\n"));
}

enum {
	OPT_REFRESH = SP_SWARM_OPT_END, OPT_HTTP, OPT_TOKEN, OPT_CACHEMAX, OPT_WINDOWED,
	OPT_OSD, OPT_NOVIDEO, OPT_NOAUDIO, OPT_VOLUME, OPT_NOLSD, OPT_FHDIR, OPT_CONTROL,
};

static int parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	int shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20
		  : *end == 'G' || *end == 'g' ? 30 : *end == 'T' || *end == 't' ? 40 : 0;
	end += shift != 0;
	if (errno || *end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_http(struct kiosk_opts *o, char *arg)
{
	static char host[256];
	double v;
	o->http = true;
	if (!strchr(arg, ':')) {
		if (sp_parse_whole(arg, 0, 65535, &v) < 0)
			return -EINVAL;
		o->http_port = (uint16_t)v;
		return 0;
	}
	if (sp_split_host_port(arg, host, sizeof(host), &o->http_port) < 0)
		return -EINVAL;
	o->http_host = host;
	return 0;
}

static int parse_opt(struct kiosk_opts *o, int c, char *arg)
{
	double v;
	int r = sp_swarm_opt_parse(&o->sw, c, arg);
	if (r <= 0)
		return r;
	switch (c) {
	case OPT_REFRESH:
		if (sp_parse_whole(arg, 1, 10080, &v) < 0)
			return -EINVAL;
		o->refresh_min = (int)v;
		return 0;
	case OPT_HTTP: return parse_http(o, arg);
	case OPT_TOKEN: o->token = arg; return 0;
	case OPT_CACHEMAX: return parse_bytes(arg, &o->cache_max);
	case OPT_WINDOWED: o->windowed = true; return 0;
	case OPT_OSD: o->osd = true; return 0;
	case OPT_NOVIDEO: o->no_video = true; return 0;
	case OPT_NOAUDIO: o->no_audio = true; return 0;
	case OPT_VOLUME:
		if (sp_parse_whole(arg, 0, 100, &v) < 0)
			return -EINVAL;
		o->volume = (int)v;
		return 0;
	case OPT_NOLSD: o->sw.cfg.lsd = false; return 0;
	case OPT_FHDIR: o->framehash_dir = arg; return 0;
	case OPT_CONTROL: o->control = arg; return 0;
	default: return -EINVAL;
	}
}

static int parse_args(int argc, char **argv, struct kiosk_opts *o)
{
	static const struct option longs[] = {
		SP_SWARM_LONGOPTS,
		{"refresh", required_argument, NULL, OPT_REFRESH},
		{"http", required_argument, NULL, OPT_HTTP},
		{"http-token", required_argument, NULL, OPT_TOKEN},
		{"cache-max", required_argument, NULL, OPT_CACHEMAX},
		{"windowed", no_argument, NULL, OPT_WINDOWED},
		{"osd", no_argument, NULL, OPT_OSD},
		{"no-video", no_argument, NULL, OPT_NOVIDEO},
		{"no-audio", no_argument, NULL, OPT_NOAUDIO},
		{"volume", required_argument, NULL, OPT_VOLUME},
		{"no-lsd", no_argument, NULL, OPT_NOLSD},
		{"framehash-dir", required_argument, NULL, OPT_FHDIR},
		{"control", required_argument, NULL, OPT_CONTROL},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", longs, NULL)) != -1) {
		if (c == 'h')
			return 100;
		if (c == '?' || parse_opt(o, c, optarg) < 0) {
			if (c != '?')
				fprintf(stderr, _("swarmplay: bad value for an option: %s\n"),
					optarg ? optarg : "");
			return -1;
		}
	}
	if (argc - optind != 1)
		return -1;
	o->src = argv[optind];
	bool loopback = !o->http_host || sp_swarm_is_loopback(o->http_host);
	if (o->http && !loopback && !o->token) {
		fprintf(stderr, _("swarmplay: --http on an address that is not loopback needs "
				  "--http-token\n"));
		return -1;
	}
	return 0;
}


/* The background downloads (kiosk_prefetch.c) and what their prepare
 * needs; set by run(). */
static struct kiosk_prefetch *prefetch;
struct prep_ctx {
	struct kiosk *k;
	struct sp_session *s;
	const struct kiosk_opts *o;
};

static int prepare_cb(void *ctx, size_t index)
{
	struct prep_ctx *c = ctx;
	return sp_kiosk_prepare(c->k, c->s, c->o, &c->k->items[index]);
}

/* The kiosk's one window (media.h), made on first need; NULL with
 * --no-video or without a display (the plays then show nothing). */
static struct sp_screen *screen;
static bool screen_tried;

static struct sp_screen *get_screen(const struct kiosk_opts *o, const struct sp_media *media)
{
	if (screen || screen_tried || o->no_video)
		return screen;
	screen_tried = true;
	struct sp_error *e = NULL;
	screen = media->screen_new("swarmplay kiosk", !o->windowed, o->osd, &e);
	if (!screen)
		fprintf(stderr, "swarmplay: %s\n", sp_error_msg(e));
	sp_error_free(e);
	return screen;
}

/* `swarmplay ctl` pause, play, seek, volume and screenshot, for this
 * play (kiosk.h's contract). */
static void control(struct kiosk *k, struct sp_player *p)
{
	struct kiosk_player_req q;
	if (!sp_kiosk_take_player_req(k, &q))
		return;
	if (q.pause_set)
		(q.paused ? sp_player_pause : sp_player_play)(p);
	if (q.seek_set)
		sp_player_seek(p, q.seek_s, SP_PLAYER_SEEK_KEYFRAME);
	if (q.volume_set)
		sp_player_set_volume(p, q.volume);
	int r = q.shot[0] ? sp_player_screenshot(p, q.shot) : 0;
	if (r < 0)
		fprintf(stderr, _("swarmplay: cannot write the screenshot %s: %s\n"), q.shot,
			strerror(-r));
}

/* A player for the item, configured; NULL and why. */
static struct sp_player *new_player(struct kiosk *k, const struct kiosk_opts *o,
				    const struct kiosk_item *it, size_t index, bool video,
				    struct sp_error **e)
{
	struct sp_player_config pc;
	sp_player_config_init(&pc);
	pc.video = video ? SP_PLAYER_VIDEO_RENDERER : SP_PLAYER_VIDEO_NONE;
	pc.audio = o->no_audio ? SP_PLAYER_AUDIO_NONE : SP_PLAYER_AUDIO_DEFAULT;
	pc.volume = it->opt.volume >= 0 ? it->opt.volume : o->volume;
	pthread_mutex_lock(&k->mu);
	if (k->volume >= 0) /* asked by `ctl volume` */
		pc.volume = k->volume;
	pthread_mutex_unlock(&k->mu);
	pc.start_s = it->opt.start_s;
	struct sp_player *p = sp_player_new(&pc, e);
	if (!p)
		return NULL;
	char v[4096];
	int r = 0;
	if (o->framehash_dir) {
		snprintf(v, sizeof(v), "%s/%06u-%zu.md5", o->framehash_dir, k->plays + 1, index);
		r = sp_player_set_option(p, "framehash", v, e);
	}
	if (r == 0 && it->opt.duration_s > 0) {
		snprintf(v, sizeof(v), "%.6f",
			 (it->opt.start_s > 0 ? it->opt.start_s : 0) + it->opt.duration_s);
		r = sp_player_set_option(p, "stop-at", v, e);
	}
	if (r < 0) {
		sp_player_free(p);
		return NULL;
	}
	return p;
}

#define FRAME_MS 10

/* Runs the opened player until its end, an error or a stop: 1 played (a
 * first frame or a position), 0 not, -1 an error (why). */
static int run_player(struct kiosk *k, const struct sp_media *media, struct sp_player *p,
		       size_t index, char *why, size_t whylen)
{
	struct sp_torrent *t = k->items[index].t;
	bool played = false, done = false, failed = false, complete = !t;
	int64_t ping_us = 0;
	while (!done && !k->stop_play) {
		if (screen)
			media->screen_show(screen, p, FRAME_MS);
		else
			poll(&(struct pollfd){.fd = sp_player_event_fd(p), .events = POLLIN}, 1,
			     FRAME_MS);
		control(k, p);
		struct sp_player_event ev;
		while (!done && sp_player_next_event(p, &ev)) {
			switch (ev.type) {
			case SP_PLAYER_EVENT_FIRST_FRAME:
			case SP_PLAYER_EVENT_POSITION:
				played = true;
				if (t) {
					struct sp_torrent_stats st;
					sp_torrent_get_stats(t, &st);
					complete = st.complete;
				}
				pthread_mutex_lock(&k->mu);
				k->pos_s = ev.position_s;
				k->dur_s = ev.duration_s;
				pthread_mutex_unlock(&k->mu);
				sp_kiosk_prefetch_poll(prefetch, index, complete);
				break;
			case SP_PLAYER_EVENT_END:
				played = true;
				done = true;
				break;
			case SP_PLAYER_EVENT_ERROR:
				snprintf(why, whylen, "%s", ev.message);
				done = failed = true;
				break;
			default:
				break;
			}
		}
		if (played && !done) { /* the status's position, not a second late */
			double dur, pos = sp_player_get_position(p, &dur);
			pthread_mutex_lock(&k->mu);
			k->pos_s = pos;
			k->dur_s = dur;
			pthread_mutex_unlock(&k->mu);
		}
		int64_t now = sp_app_now_us();
		if (now - ping_us >= 1000000) { /* the loop is alive, paused or not */
			ping_us = now;
			sp_kiosk_watchdog();
		}
	}
	return failed ? -1 : played;
}

/* One play of the item (a loop of loops=N is N of them). 0, or -1 and
 * why. */
static int play_once(struct kiosk *k, const struct kiosk_opts *o, const struct sp_media *media,
		     struct kiosk_item *it, size_t index, char *why, size_t whylen)
{
	struct kiosk_player_req stale; /* asked before this play: not for it */
	sp_kiosk_take_player_req(k, &stale);
	if (get_screen(o, media))
		media->screen_title(screen, it->title ? it->title : it->src);
	struct sp_error *e = NULL;
	struct sp_player *p = new_player(k, o, it, index, screen != NULL, &e);
	int r = p ? 0 : -1;
	pthread_mutex_lock(&k->mu);
	bool paused = k->paused; /* a play starts paused while the kiosk is */
	pthread_mutex_unlock(&k->mu);
	if (p && paused)
		sp_player_pause(p);
	if (p && it->t) {
		struct sp_reader *rd = sp_torrent_open_reader(it->t, it->file, &e);
		const struct sp_metainfo *mi = sp_torrent_metainfo(it->t);
		r = rd ? sp_player_open_reader(p, rd, sp_metainfo_file_path(mi, it->file), &e)
		       : -EIO;
	} else if (p) {
		r = sp_player_open_file(p, it->src, &e);
	}
	if (r < 0)
		snprintf(why, whylen, "%s", e ? sp_error_msg(e) : "cannot play");
	else if ((r = run_player(k, media, p, index, why, whylen)) == 0 && !k->stop_play)
		snprintf(why, whylen, "nothing could be played");
	sp_error_free(e);
	sp_player_free(p);
	pthread_mutex_lock(&k->mu);
	k->plays++;
	k->pos_s = k->dur_s = 0;
	pthread_mutex_unlock(&k->mu);
	return r < 0 || (r == 0 && !k->stop_play) ? -1 : 0;
}

/* Plays the item loops=N times. 0 played, -1 failed (item_failed). */
static int play_item(struct kiosk *k, const struct kiosk_opts *o, const struct sp_media *media,
		     size_t index)
{
	struct kiosk_item *it = &k->items[index];
	pthread_mutex_lock(&k->mu);
	k->cur = (long)index;
	pthread_mutex_unlock(&k->mu);
	fprintf(stderr, _("swarmplay: playing %s\n"), it->title ? it->title : it->src);
	char state[600];
	snprintf(state, sizeof(state), "STATUS=playing %s", it->title ? it->title : it->src);
	sp_kiosk_notify(state);
	for (int l = 0; l < it->opt.loops && !quit_flag && !k->stop_play; l++) {
		char why[512] = "";
		if (play_once(k, o, media, it, index, why, sizeof(why)) < 0) {
			sp_kiosk_item_failed(k, it, why);
			return -1;
		}
		pthread_mutex_lock(&k->mu);
		it->plays++;
		it->fails = 0;
		it->error[0] = 0;
		pthread_mutex_unlock(&k->mu);
	}
	return 0;
}

/* The item to play after from in direction dir (+1 / -1), wrapping round
 * and ending with from itself, skipping those that wait for a retry; -1
 * when none can be tried now, and *wait_us until the earliest can. */
static long next_index(const struct kiosk *k, long from, int dir, int64_t now, int64_t *wait_us)
{
	long n = (long)k->n;
	*wait_us = IDLE_WAIT_US;
	if (from < 0)
		from = dir > 0 ? -1 : 0;
	for (long step = 1; step <= n; step++) {
		long i = ((from + dir * step) % n + n) % n;
		int64_t at = k->items[i].retry_at_us;
		if (at <= now)
			return i;
		if (at - now < *wait_us)
			*wait_us = at - now;
	}
	return -1;
}

#define BLANK_SLICE_MS 250

/* Nothing to play: wait for a list, a control request or a retry time;
 * meanwhile the window is black and answers, a slice at a time. */
static void wait_idle(struct kiosk *k, const struct kiosk_opts *o, const struct sp_media *media,
		      int64_t us)
{
	sp_kiosk_watchdog(); /* nothing to play is a state, not a hang */
	if (get_screen(o, media)) {
		media->screen_title(screen, "swarmplay kiosk");
		int64_t ms = us / 1000;
		media->screen_show(screen, NULL, ms > BLANK_SLICE_MS ? BLANK_SLICE_MS : (int)ms);
		return;
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(us / 1000000);
	until.tv_nsec += (long)(us % 1000000) * 1000;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&k->mu);
	if (!k->pending && !quit_flag)
		pthread_cond_timedwait(&k->cond, &k->mu, &until);
	pthread_mutex_unlock(&k->mu);
}

/* The others in the play cache, least recently played first, until it
 * fits under --cache-max; listed items are held, never removed. */
static void trim(const struct kiosk_opts *o, const struct kiosk *k)
{
	if (o->sw.dir || !k->item_dir[0])
		return;
	char root[4096];
	snprintf(root, sizeof(root), "%s", k->item_dir);
	for (int i = 0; i < 2; i++) { /* ROOT/kiosk/items */
		char *slash = strrchr(root, '/');
		if (!slash)
			return;
		*slash = 0;
	}
	int64_t freed = sp_cache_trim(root, o->cache_max, NULL);
	if (freed > 0)
		fprintf(stderr, _("swarmplay: the play cache was over %.1f MB: removed older "
				  "plays (%.1f MB)\n"),
			(double)o->cache_max / (1 << 20), (double)freed / (1 << 20));
}

static void set_cur(struct kiosk *k, long i)
{
	pthread_mutex_lock(&k->mu);
	k->cur = i;
	pthread_mutex_unlock(&k->mu);
}

static void run(struct kiosk *k, const struct kiosk_opts *o, struct sp_session *s,
		const struct sp_media *media)
{
	struct prep_ctx pc = {.k = k, .s = s, .o = o};
	prefetch = sp_kiosk_prefetch_new(k, prepare_cb, &pc);
	sp_kiosk_watchdog_start(s);
	sp_kiosk_notify("READY=1\nSTATUS=waiting for the playlist");
	while (!quit_flag) {
		sp_kiosk_watchdog(); /* between two plays too */
		sp_kiosk_prefetch_idle(prefetch); /* the items stand still no more */
		if (sp_kiosk_apply_pending(k, o) > 0)
			trim(o, k);
		int step = atomic_exchange(&k->step, 0);
		long go_to = atomic_exchange(&k->go_to, -1); /* `ctl goto N`: now, waiting or not */
		int64_t now = sp_app_now_us(), wait_us;
		long i = k->n ? next_index(k, k->cur, step < 0 ? -1 : 1, now, &wait_us) : -1;
		if (go_to >= 0 && (size_t)go_to < k->n)
			i = go_to;
		if (i < 0) {
			wait_idle(k, o, media, k->n ? wait_us : IDLE_WAIT_US);
			continue;
		}
		set_cur(k, i);
		if (sp_kiosk_prepare(k, s, o, &k->items[i]) < 0)
			continue;
		k->stop_play = 0; /* then the step: a jump asked meanwhile is not lost */
		if (atomic_load(&k->step) || atomic_load(&k->go_to) >= 0 ||
		    sp_kiosk_wait_data(k, &k->items[i]) < 0)
			continue;
		play_item(k, o, media, (size_t)i);
		trim(o, k);
	}
	sp_kiosk_notify("STOPPING=1");
	sp_kiosk_watchdog_stop();
	sp_kiosk_prefetch_free(prefetch); /* waits for a job under way */
	prefetch = NULL;
	if (screen)
		media->screen_free(screen);
	screen = NULL;
}

static void kiosk_fini(struct kiosk *k)
{
	for (size_t i = 0; i < k->n; i++)
		sp_kiosk_item_fini(&k->items[i]);
	free(k->items);
	sp_playlist_free(k->pending);
	sp_kiosk_items_fini();
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cond);
}

static int start(struct kiosk_opts *o, struct sp_session **s, struct kiosk_servers *sv)
{
	struct sp_error *e = NULL;
	sp_swarm_prepare(&o->sw, NULL);
	*s = sp_session_new(&o->sw.cfg, &e);
	if (!*s) {
		fprintf(stderr, "swarmplay: %s\n", sp_error_msg(e));
		sp_error_free(e);
		return SP_EXIT_FAILURE;
	}
	sp_swarm_add_dht_nodes(*s, &o->sw);
	return sp_kiosk_servers_start(&kio, o, sv) < 0 ? SP_EXIT_FAILURE : SP_EXIT_OK;
}

int sp_cmd_kiosk(int argc, char **argv)
{
	struct kiosk_opts o = {.refresh_min = 5, .cache_max = CACHE_MAX_DEFAULT, .volume = 100};
	o.sw.cfg.lsd = true; /* a site's screens share their bytes */
	int r = parse_args(argc, argv, &o);
	if (r == 100) {
		usage(stdout);
		return SP_EXIT_OK;
	}
	if (r < 0) {
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	sp_kiosk_notify_init();
	pthread_mutex_init(&kio.mu, NULL);
	pthread_cond_init(&kio.cond, NULL);
	kio.source = o.src;
	kio.remote = !strncasecmp(o.src, "http://", 7) || !strncasecmp(o.src, "https://", 8);
	kio.refresh_min = o.refresh_min;
	kio.cur = -1;
	kio.go_to = -1;
	kio.volume = -1;
	kio.started_us = sp_app_now_us();
	if ((r = sp_kiosk_cache_paths(&kio)) < 0)
		fprintf(stderr, _("swarmplay: no disk cache for the playlist: %s\n"), strerror(-r));
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sp_media_load_start(false);
	struct sp_session *s = NULL;
	struct kiosk_servers sv = {0};
	pthread_t fetcher;
	int code = start(&o, &s, &sv);
	atomic_store(&sig_session, s);
	if (s && quit_flag) /* a signal came before the store */
		sp_session_cancel_fetches(s);
	bool fetching = code == SP_EXIT_OK && !pthread_create(&fetcher, NULL, sp_kiosk_fetch_main, &kio);
	struct sp_error *e = NULL;
	const struct sp_media *media = sp_media_load_join(&e);
	if (code == SP_EXIT_OK && !media) {
		fprintf(stderr, "swarmplay: %s\n", sp_error_msg(e));
		code = SP_EXIT_UNSUPPORTED;
	} else if (code == SP_EXIT_OK && !fetching) {
		code = SP_EXIT_FAILURE;
	}
	sp_error_free(e);
	if (code == SP_EXIT_OK)
		run(&kio, &o, s, media);
	if (s) /* no magnet's fetch outlives the kiosk: a prefetch's may wait */
		sp_session_cancel_fetches(s);
	pthread_mutex_lock(&kio.mu);
	kio.stopping = true;
	pthread_cond_broadcast(&kio.cond);
	pthread_mutex_unlock(&kio.mu);
	if (fetching)
		pthread_join(fetcher, NULL);
	sp_kiosk_servers_stop(&sv);
	atomic_store(&sig_session, NULL);
	sp_session_free(s);
	kiosk_fini(&kio);
	return code;
}
