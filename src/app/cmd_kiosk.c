/* cmd_kiosk.c - swarmplay kiosk PLAYLIST: signage that plays a playlist
 * (kiosk/playlist.h) in a loop, unattended.
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
 * their torrent and state.
 *
 * Main thread: the loop and the player (SDL's rule); the fetch thread
 * and the status thread share `struct kiosk` (kiosk.h). SIGINT/SIGTERM
 * end the play and the kiosk. */
#include <errno.h>
#include <getopt.h>
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
#include "core/clock.h"
#include "core/error.h"
#include "core/i18n.h"
#include "core/metainfo.h"
#include "player/player.h"
#include "storage/cache.h"
#include "swarmplay/swarmplay.h"

#define RETRY_MIN_US (10 * 1000000LL)
#define RETRY_MAX_US (600 * 1000000LL)
#define MAGNET_TIMEOUT_MS 30000
#define CACHE_MAX_DEFAULT (10ull << 30)
#define IDLE_WAIT_US 1000000LL

struct kopts {
	struct sp_swarm_opts sw;
	int refresh_min;
	const char *http_host;
	uint16_t http_port;
	bool http;
	const char *token;
	uint64_t cache_max;
	bool windowed, no_video, no_audio, osd;
	int volume;
	const char *framehash_dir;
	const char *src;
};

static struct kiosk kio;
static volatile int quit_flag;

static void on_signal(int sig)
{
	quit_flag = sig;
	kio.stop_play = 1;
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
		     "  --cache-max SIZE     keep the cache under SIZE (K, M, G; default\n"
		     "                       10G); listed items are never removed\n"
		     "  --windowed           a window instead of the full screen\n"
		     "  --osd                show the on-screen display\n"
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
	OPT_OSD, OPT_NOVIDEO, OPT_NOAUDIO, OPT_VOLUME, OPT_NOLSD, OPT_FHDIR,
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

static int parse_http(struct kopts *o, char *arg)
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

static int parse_opt(struct kopts *o, int c, char *arg)
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
	default: return -EINVAL;
	}
}

static int parse_args(int argc, char **argv, struct kopts *o)
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
	bool loopback = !o->http_host || !strncmp(o->http_host, "127.", 4) ||
			!strcmp(o->http_host, "::1") || !strcmp(o->http_host, "localhost");
	if (o->http && !loopback && !o->token) {
		fprintf(stderr, _("swarmplay: --http on an address that is not loopback needs "
				  "--http-token\n"));
		return -1;
	}
	return 0;
}

static void item_fini(struct kiosk_item *it)
{
	if (it->hold_fd >= 0)
		close(it->hold_fd); /* unpinned: --cache-max may trim it now */
	free(it->src);
	free(it->title);
}

/* The item of the old list with the same source, for its state. */
static struct kiosk_item *find_old(struct kiosk_item *old, size_t n, const char *src)
{
	for (size_t i = 0; i < n; i++)
		if (old[i].src && !strcmp(old[i].src, src))
			return &old[i];
	return NULL;
}

static void report_bad_lines(const struct sp_playlist *pl)
{
	for (size_t i = 0; i < pl->nerrors; i++)
		fprintf(stderr, _("swarmplay: playlist line %d skipped: %s\n"), pl->errors[i].line,
			pl->errors[i].msg);
	if (pl->bad_lines > pl->nerrors)
		fprintf(stderr, _("swarmplay: and %zu more bad lines\n"),
			pl->bad_lines - pl->nerrors);
}

/* A listed torrent's cache folder, pinned as soon as the list is
 * applied (before the trim that follows), from what is here without the
 * network: a torrent file, the kept copy of a URL's, a magnet's hash.
 * The folder is made if missing (then empty: nothing to keep yet). */
static void pin_cached(const struct kiosk *k, const struct kopts *o, struct kiosk_item *it)
{
	char path[4096], dir[4096];
	const char *src = it->src;
	if (o->sw.dir || it->opt.kind == SP_ITEM_MEDIA || it->hold_fd >= 0 || it->t)
		return;
	if (it->opt.remote) {
		if (sp_kiosk_item_path(k, it->src, path, sizeof(path)) < 0 || access(path, R_OK))
			return;
		src = path;
	}
	struct sp_metainfo *mi = sp_metainfo_load(src, NULL);
	if (!mi)
		return;
	if (sp_cache_dir(mi->info_hash_hex, dir, sizeof(dir)) == 0 &&
	    (it->hold_fd = sp_cache_hold(dir)) >= 0)
		snprintf(it->hash, sizeof(it->hash), "%s", mi->info_hash_hex);
	if (it->hold_fd < 0)
		it->hold_fd = -1;
	sp_metainfo_free(mi);
}

/* A new list from the fetcher, between two plays (main thread). Items
 * that stay keep their torrent and state; the others are unpinned (their
 * torrents seed on until the kiosk restarts). 1 applied, 0 none,
 * -ENOMEM (the old list stays). */
static int apply_pending(struct kiosk *k, const struct kopts *o)
{
	pthread_mutex_lock(&k->mu);
	struct sp_playlist *pl = k->pending;
	k->pending = NULL;
	bool from_cache = k->pending_from_cache;
	pthread_mutex_unlock(&k->mu);
	if (!pl)
		return 0;
	struct kiosk_item *items = calloc(pl->n, sizeof(*items));
	if (!items) {
		sp_playlist_free(pl);
		return -ENOMEM;
	}
	report_bad_lines(pl);
	for (size_t i = 0; i < pl->n; i++) {
		char path[8192];
		struct kiosk_item *it = &items[i];
		if (sp_playlist_resolve(k->source, pl->items[i].src, path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "%s", pl->items[i].src);
		struct kiosk_item *old = find_old(k->items, k->n, path);
		if (old && old->opt.kind == pl->items[i].kind) {
			*it = *old;
			old->src = old->title = NULL;
			old->hold_fd = -1;
			free(it->title);
		} else {
			*it = (struct kiosk_item){.hold_fd = -1, .src = strdup(path)};
		}
		it->opt = pl->items[i];
		it->opt.src = it->opt.title = NULL;
		/* a relative item of a list fetched by http(s) is a URL too */
		it->opt.remote = !strncasecmp(it->src, "http://", 7) ||
				 !strncasecmp(it->src, "https://", 8);
		it->title = pl->items[i].title ? strdup(pl->items[i].title) : NULL;
		pin_cached(k, o, it);
	}
	pthread_mutex_lock(&k->mu);
	struct kiosk_item *old = k->items;
	size_t oldn = k->n;
	const char *cur_src = k->cur >= 0 && (size_t)k->cur < oldn ? old[k->cur].src : NULL;
	long cur = -1;
	for (size_t i = 0; cur_src && i < pl->n; i++)
		if (items[i].src && !strcmp(items[i].src, cur_src))
			cur = (long)i;
	k->cur = cur;
	k->items = items;
	k->n = pl->n;
	k->version++;
	k->from_cache = from_cache;
	memcpy(k->errors, pl->errors, sizeof(k->errors));
	k->nerrors = pl->nerrors;
	k->bad_lines = pl->bad_lines;
	pthread_mutex_unlock(&k->mu);
	for (size_t i = 0; i < oldn; i++)
		item_fini(&old[i]);
	free(old);
	fprintf(stderr, _("swarmplay: playlist version %u: %zu items%s\n"), k->version, pl->n,
		from_cache ? _(" (from the disk cache)") : "");
	sp_playlist_free(pl);
	return 1;
}

static void item_failed(struct kiosk *k, struct kiosk_item *it, const char *why)
{
	pthread_mutex_lock(&k->mu);
	it->fails++;
	int64_t wait = RETRY_MIN_US << (it->fails < 7 ? it->fails - 1 : 6);
	it->retry_at_us = sp_now_us() + (wait < RETRY_MAX_US ? wait : RETRY_MAX_US);
	snprintf(it->error, sizeof(it->error), "%s", why);
	pthread_mutex_unlock(&k->mu);
	fprintf(stderr, _("swarmplay: item %s skipped: %s\n"), it->src, why);
}

/* Every torrent the session has, listed or not any more (the session
 * keeps them: one that comes back to the list is found here). Main
 * thread. */
struct known {
	char hash[41];
	struct sp_torrent *t;
	int file;
};
static struct known *known;
static size_t nknown;

static struct sp_torrent *known_torrent(const char *hex, int *file)
{
	for (size_t i = 0; i < nknown; i++)
		if (!strcmp(known[i].hash, hex)) {
			*file = known[i].file;
			return known[i].t;
		}
	return NULL;
}

static void remember(const char *hex, struct sp_torrent *t, int file)
{
	struct known *n = realloc(known, (nknown + 1) * sizeof(*known));
	if (!n)
		return;
	known = n;
	snprintf(known[nknown].hash, sizeof(known[nknown].hash), "%s", hex);
	known[nknown].t = t;
	known[nknown++].file = file;
}

/* The item's metainfo: a local file, a URL (downloaded, its copy kept),
 * a magnet (its info dictionary from peers). NULL and why. */
static struct sp_metainfo *load_meta(struct kiosk *k, struct sp_session *s,
				     const struct kopts *o, struct kiosk_item *it, char *why,
				     size_t whylen)
{
	char path[4096];
	const char *src = it->src;
	if (it->opt.remote) {
		if (sp_kiosk_fetch_item(k, it->src, path, sizeof(path), why, whylen) < 0)
			return NULL;
		src = path;
	}
	struct sp_error *e = NULL;
	struct sp_metainfo *mi = sp_metainfo_load(src, &e);
	if (mi && mi->is_magnet) {
		sp_swarm_add_initial_peers(mi, &o->sw);
		mi = sp_session_fetch_metadata(s, mi, MAGNET_TIMEOUT_MS, &e);
	}
	if (!mi)
		snprintf(why, whylen, "%s", sp_error_msg(e));
	sp_error_free(e);
	return mi;
}

/* The item is ready to play: a readable file, or its torrent in the
 * session with its cache folder pinned. 0, or -1 (item_failed said why). */
static int prepare(struct kiosk *k, struct sp_session *s, const struct kopts *o,
		   struct kiosk_item *it)
{
	char why[512] = "";
	if (it->opt.kind == SP_ITEM_MEDIA) {
		if (access(it->src, R_OK) == 0)
			return 0;
		snprintf(why, sizeof(why), "%s", strerror(errno));
		item_failed(k, it, why);
		return -1;
	}
	if (it->t)
		return 0;
	struct sp_metainfo *mi = load_meta(k, s, o, it, why, sizeof(why));
	if (!mi) {
		item_failed(k, it, why);
		return -1;
	}
	int file = sp_metainfo_main_file(mi);
	struct sp_torrent *t = known_torrent(mi->info_hash_hex, &file);
	bool shared = t != NULL;
	char dir[4096];
	int hold = -1, r = 0;
	if (o->sw.dir) {
		snprintf(dir, sizeof(dir), "%s/%s", o->sw.dir, mi->info_hash_hex);
	} else { /* pinned while listed, shared or not (pin_cached may have) */
		bool pinned = it->hold_fd >= 0 && !strcmp(it->hash, mi->info_hash_hex);
		r = -ESTALE;
		for (int i = 0; i < 3 && r == -ESTALE; i++)
			if ((r = sp_cache_dir(mi->info_hash_hex, dir, sizeof(dir))) == 0)
				r = pinned ? 0 : (hold = sp_cache_hold(dir));
		if (pinned)
			hold = it->hold_fd;
	}
	char hex[41];
	snprintf(hex, sizeof(hex), "%s", mi->info_hash_hex);
	struct sp_error *e = NULL;
	if (!t && r >= 0 && file >= 0)
		t = sp_session_add_torrent(s, mi, dir, false, &e);
	if (!t) {
		snprintf(why, sizeof(why), "%s",
			 r < 0 ? strerror(-r) : file < 0 ? "no file to play" : sp_error_msg(e));
		sp_error_free(e);
		sp_metainfo_free(mi);
		if (hold >= 0 && hold != it->hold_fd)
			close(hold);
		item_failed(k, it, why);
		return -1;
	}
	if (shared) {
		sp_metainfo_free(mi);
	} else { /* the session took mi */
		remember(hex, t, file);
		sp_swarm_add_peers(t, &o->sw);
	}
	pthread_mutex_lock(&k->mu);
	if (it->hold_fd >= 0 && it->hold_fd != hold)
		close(it->hold_fd); /* pinned another version of the item */
	it->t = t;
	it->file = file;
	it->hold_fd = hold;
	snprintf(it->hash, sizeof(it->hash), "%s", hex);
	pthread_mutex_unlock(&k->mu);
	return 0;
}

/* The background downloads (kiosk_prefetch.c) and what their prepare
 * needs; set by run(). */
static struct kiosk_prefetch *prefetch;
struct prep_ctx {
	struct kiosk *k;
	struct sp_session *s;
	const struct kopts *o;
};

static int prepare_cb(void *ctx, size_t index)
{
	struct prep_ctx *c = ctx;
	return prepare(c->k, c->s, c->o, &c->k->items[index]);
}

struct play_ctx {
	struct kiosk *k;
	struct sp_torrent *t;
	size_t index;
	bool complete; /* the item's torrent (a file: true) */
};

/* The OSD's and the stats' swarm figures (no piece map: no OSD by
 * default on a kiosk). */
static void on_netinfo(void *ctx, struct sp_player_netinfo *out)
{
	struct play_ctx *c = ctx;
	if (!c->t)
		return;
	struct sp_torrent_stats st;
	sp_torrent_get_stats(c->t, &st);
	out->torrent = true;
	out->peers = st.peers;
	out->down_rate = st.down_rate;
	out->up_rate = st.up_rate;
	out->from[SP_PLAYER_FROM_PEERS] = st.downloaded[SP_FROM_PEERS];
	out->from[SP_PLAYER_FROM_WEBSEED] = st.downloaded[SP_FROM_WEBSEED];
	out->from[SP_PLAYER_FROM_CACHE] = st.downloaded[SP_FROM_CACHE];
	out->uploaded = st.uploaded;
	out->complete = c->complete = st.complete;
	out->checking = st.checking;
	out->complete_at_us = st.complete_at_us;
	out->progress = st.total_length ? (double)st.verified_bytes / (double)st.total_length : 0;
}

static void on_position(void *ctx, double pos_s, double duration_s)
{
	struct play_ctx *c = ctx;
	pthread_mutex_lock(&c->k->mu);
	c->k->pos_s = pos_s;
	c->k->dur_s = duration_s;
	pthread_mutex_unlock(&c->k->mu);
	sp_kiosk_prefetch_poll(prefetch, c->index, c->complete);
	sp_kiosk_watchdog(); /* the player's loop is alive */
}

/* One play of the item (a loop of loops=N is N of them). 0, or -1 and
 * why. */
static int play_once(struct kiosk *k, const struct kopts *o, const struct sp_media *media,
		     struct kiosk_item *it, size_t index, char *why, size_t whylen)
{
	struct sp_player_config pcfg;
	struct sp_player_result res = {0};
	struct play_ctx ctx = {.k = k, .t = it->t, .index = index, .complete = !it->t};
	char hashes[4096];
	sp_player_config_init(&pcfg);
	pcfg.fullscreen = !o->windowed;
	pcfg.no_video = o->no_video;
	pcfg.no_audio = o->no_audio;
	pcfg.exit_at_end = true;
	pcfg.signage = !o->osd;
	pcfg.keep_window = true; /* black between two items, never the desktop */
	pcfg.volume = it->opt.volume >= 0 ? it->opt.volume : o->volume;
	pcfg.start_s = it->opt.start_s;
	if (it->opt.duration_s > 0)
		pcfg.stop_at_s = (it->opt.start_s > 0 ? it->opt.start_s : 0) + it->opt.duration_s;
	pcfg.quit_flag = &k->stop_play;
	pcfg.result = &res;
	pcfg.netinfo = on_netinfo;
	pcfg.netinfo_ctx = &ctx;
	pcfg.position = on_position;
	pcfg.title = it->title ? it->title : it->src;
	if (o->framehash_dir) {
		snprintf(hashes, sizeof(hashes), "%s/%06u-%zu.md5", o->framehash_dir, k->plays + 1,
			 index);
		pcfg.framehash_path = hashes;
	}
	struct sp_error *e = NULL;
	int r;
	if (it->t) {
		struct sp_reader *rd = sp_torrent_open_reader(it->t, it->file, &e);
		const struct sp_metainfo *mi = sp_torrent_metainfo(it->t);
		r = rd ? media->play_reader(rd, mi->files[it->file].path, &pcfg, &e) : -EIO;
	} else {
		r = media->play_file(it->src, &pcfg, &e);
	}
	if (r < 0)
		snprintf(why, whylen, "%s", sp_error_msg(e));
	else if (!res.played && !k->stop_play)
		snprintf(why, whylen, "nothing could be played");
	sp_error_free(e);
	pthread_mutex_lock(&k->mu);
	k->plays++;
	k->pos_s = k->dur_s = 0;
	pthread_mutex_unlock(&k->mu);
	return r < 0 || (!res.played && !k->stop_play) ? -1 : 0;
}

/* Plays the item loops=N times. 0 played, -1 failed (item_failed). */
static int play_item(struct kiosk *k, const struct kopts *o, const struct sp_media *media,
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
			item_failed(k, it, why);
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

/* Nothing to play: wait for a list, a control request or a retry time. */
static void wait_idle(struct kiosk *k, int64_t us)
{
	sp_kiosk_watchdog(); /* nothing to play is a state, not a hang */
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
static void trim(const struct kopts *o, const struct kiosk *k)
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

static void run(struct kiosk *k, const struct kopts *o, struct sp_session *s,
		const struct sp_media *media)
{
	struct prep_ctx pc = {.k = k, .s = s, .o = o};
	prefetch = sp_kiosk_prefetch_new(k, prepare_cb, &pc);
	sp_kiosk_notify("READY=1\nSTATUS=waiting for the playlist");
	while (!quit_flag) {
		sp_kiosk_prefetch_idle(prefetch); /* the items stand still no more */
		if (apply_pending(k, o) > 0)
			trim(o, k);
		int step = atomic_exchange(&k->step, 0);
		int64_t now = sp_now_us(), wait_us;
		long i = k->n ? next_index(k, k->cur, step < 0 ? -1 : 1, now, &wait_us) : -1;
		if (i < 0) {
			wait_idle(k, k->n ? wait_us : IDLE_WAIT_US);
			continue;
		}
		set_cur(k, i);
		if (prepare(k, s, o, &k->items[i]) < 0)
			continue;
		k->stop_play = 0;
		play_item(k, o, media, (size_t)i);
		trim(o, k);
	}
	sp_kiosk_notify("STOPPING=1");
	sp_kiosk_prefetch_free(prefetch); /* waits for a job under way */
	prefetch = NULL;
}

static void kiosk_fini(struct kiosk *k)
{
	for (size_t i = 0; i < k->n; i++)
		item_fini(&k->items[i]);
	free(k->items);
	sp_playlist_free(k->pending);
	free(known);
	pthread_mutex_destroy(&k->mu);
	pthread_cond_destroy(&k->cond);
}

static int start(struct kopts *o, struct sp_session **s, struct kiosk_status **st)
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
	if (!o->http)
		return SP_EXIT_OK;
	char why[256];
	const char *host = o->http_host ? o->http_host : "127.0.0.1";
	*st = sp_kiosk_status_new(&kio, host, o->http_port, o->token, why, sizeof(why));
	if (!*st) {
		fprintf(stderr, _("swarmplay: cannot listen on %s port %u: %s\n"), host,
			o->http_port, why);
		return SP_EXIT_FAILURE;
	}
	fprintf(stderr, _("swarmplay: status on http://%s:%u/status\n"), host,
		sp_kiosk_status_port(*st));
	return SP_EXIT_OK;
}

int sp_cmd_kiosk(int argc, char **argv)
{
	struct kopts o = {.refresh_min = 5, .cache_max = CACHE_MAX_DEFAULT, .volume = 100};
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
	if ((r = sp_kiosk_cache_paths(&kio)) < 0)
		fprintf(stderr, _("swarmplay: no disk cache for the playlist: %s\n"), strerror(-r));
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sp_media_load_start();
	struct sp_session *s = NULL;
	struct kiosk_status *st = NULL;
	pthread_t fetcher;
	int code = start(&o, &s, &st);
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
	pthread_mutex_lock(&kio.mu);
	kio.stopping = true;
	pthread_cond_broadcast(&kio.cond);
	pthread_mutex_unlock(&kio.mu);
	if (fetching)
		pthread_join(fetcher, NULL);
	sp_kiosk_status_free(st);
	sp_session_free(s);
	kiosk_fini(&kio);
	return code;
}
