/* cmd_play.c - swarmplay play SRC: play a .tstream, a .torrent, a magnet
 * link or a plain local media file.
 *
 * A torrent is added to a session (the same swarm options as download);
 * without -d its data goes to the XDG cache (swarmplay/<infohash>) and is
 * kept, so a second play starts from the local cache. The player reads the
 * chosen file through the session's stream reader; a local file is read
 * directly. The player is libswarmplay's public one (swarmplay/player.h)
 * in its own window (SP_PLAYER_VIDEO_WINDOW), fed the swarm's figures for
 * its OSD; its module (FFmpeg, SDL2) loads on a thread while the session
 * starts, connects and asks for the first pieces (media.h): they take
 * some 75 ms to load, time the first frame need not wait. Main thread:
 * the player's loop runs here (sp_player_run_*, SDL's rule); the session
 * runs its own net thread. SIGINT/SIGTERM end playback cleanly. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cmd.h"
#include "app/config_file.h"
#include "app/media.h"
#include "app/play_list.h"
#include "app/swarm_opts.h"
#include "app/url_fetch.h"
#include "app/watch_later.h"
#include "app/clock.h"
#include "app/i18n.h"
#include "swarmplay/player.h"
#include "swarmplay/swarmplay.h"

#define SNIFF_BYTES 4096
#define MAGNET_TIMEOUT_MS 60000
#define SCRIPTED_MAX 8 /* --seek-at, --screenshot-at: as many as the player takes */

/* What play asks of the player (new_player): the player's configuration
 * and options (swarmplay/player.h), as the command line gives them. */
struct play_cfg {
	const char *title;
	bool no_video, no_audio, fullscreen, exit_at_end, fast, progress, muted;
	double start_buffer_s; /* 0: the player's rule; < 0: none */
	int loop;
	double start_s;        /* < 0: from the beginning */
	const char *framehash_path, *stats_path, *shot_dir, *hwdec, *slang, *sub_codepage;
	const char *alang, *sub_path, *subhash_path;
	int64_t t0_us;         /* ttff from: the command's start (sp_app_now_us) */
	int volume;
	int aid;
	const char *seek_at[SCRIPTED_MAX]; /* "POS:TARGET", checked */
	int nseek_at;
	const char *shot_at[SCRIPTED_MAX]; /* "POS:FILE", checked */
	int nshot_at;
	struct sp_reader *sub_reader;      /* the torrent's subtitle file, or NULL */
	const char *sub_reader_name;
	bool resumed, sub_hidden, has_next, has_prev, framehash_append, keep_window;
};

struct opts {
	const char *src;
	struct sp_swarm_opts sw; /* -d, --peer, --port... as download takes them */
	int file_index; /* -1: the main file */
	uint64_t cache_max; /* bytes the play cache may hold */
	int cache_fd;       /* holds our cache directory (sp_cache_hold), or -1 */
	bool no_resume;
	bool volume_given, mute_given; /* else the last quit's (watch_later.h) */
	char resume_key[96]; /* watch_later.h; empty: not resumable */
	bool all;            /* --all: download every file, not just those played */
	bool exit_at_end;    /* the user's, for the last file of the list */
	struct sp_play_list *pl; /* a torrent's files (play_list.h) */
	bool play_failed;    /* the last play_from's file could not be played */
	struct sp_player_result result;
	struct play_cfg pcfg;
};

#define CACHE_MAX_DEFAULT (10ull << 30)
#define RESUME_END_S 5.0 /* stopped this close to the end: seen, start over */
#define RESUME_MIN_S 1.0

/* the signal may land on any thread (cmd_download.c); the player watches
 * it (sp_player_set_quit_flag) */
static volatile sig_atomic_t quit_flag;
/* the session whose magnet fetch a signal ends, while main waits in it */
static struct sp_session *_Atomic sig_session;

static void on_signal(int sig)
{
	int saved = errno;
	/* atomic: SIGINT and SIGTERM may land on two threads at once */
	__atomic_store_n(&quit_flag, sig, __ATOMIC_RELAXED);
	struct sp_session *s = atomic_load(&sig_session);
	if (s)
		sp_session_cancel_fetches(s); /* sets a flag: async-signal-safe */
	errno = saved;
}

/* the signal that asked us to quit, 0 none (any thread) */
static int quit_signal(void)
{
	return __atomic_load_n(&quit_flag, __ATOMIC_RELAXED);
}

static void usage(FILE *f)
{
	fprintf(f, _("Usage: swarmplay play SRC [OPTIONS]\n"
		     "Play a .tstream, .torrent, magnet link or local media file;\n"
		     "a .tstream or .torrent may be an http(s):// or file:// URL.\n\n"
		     "  -d, --dir DIR        download into DIR (default: the cache)\n"
		     "  --peer HOST:PORT     connect to this peer (repeatable)\n"
		     "  --port N             listen port\n"
		     "  --no-tracker         do not announce\n"
		     "  --max-peers N        connect to at most N peers\n"
		     "  --upload-limit KBPS  cap what we upload while watching\n"
		     "  --webseed MODE       always, fallback (default) or never\n"
		     "  --lsd                find peers on the local network (BEP 14)\n"
		     "  --no-dht             do not use the DHT (BEP 5; on for public torrents)\n"
		     "  --dht-node HOST:PORT a DHT node to start from (repeatable)\n"
		     "  --no-port-mapping    do not map the listen port on the router\n"
		     "  --file N             start at file N of a multi-file torrent\n"
		     "                       (its video files play in name order)\n"
		     "  --all                download every file, not only those played\n"
		     "  --start SECONDS      start at this position (default: where the\n"
		     "                       last play of this file stopped)\n"
		     "  --no-resume          start from the beginning\n"
		     "  --sub FILE           show the subtitles of FILE (.srt, .ass, .vtt)\n"
		     "  --slang LANGS        subtitle languages by preference (fr,en)\n"
		     "  --sub-codepage CP    the subtitles' charset when not UTF-8\n"
		     "                       (default: Windows-1252 then; CP1251...)\n"
		     "  --aid N              play audio track N (from 1)\n"
		     "  --alang LANGS        audio languages by preference (fr,en)\n"
		     "  --fullscreen         start in fullscreen\n"
		     "  --no-video           no window (frames still decoded and paced)\n"
		     "  --no-audio           no sound\n"
		     "  --volume N           volume 0-100 (default: as the last play quit)\n"
		     "  --mute[=yes|no]      start muted (default: as the last play quit)\n"
		     "  --exit-at-end        quit at the end instead of seeding on\n"
		     "  --start-buffer SECS  video to have before playback starts (default 1)\n"
		     "  --loop N             play N times in all, 0 = forever (kiosks)\n"
		     "  --cache-max SIZE     keep the play cache under SIZE (K, M, G\n"
		     "                       suffixes; default 10G), oldest plays out first\n"
		     "  --fast               no pacing, no sound (for frame hashes)\n"
		     "  --framehash FILE     write the MD5 of every decoded frame\n"
		     "  --stats-json FILE    keep playback figures in FILE\n"
		     "  --subhash FILE       write every subtitle event shown, as SubRip\n"
		     "  --progress           print a status line every second\n"
		     "  --seek-at POS:TARGET when playback reaches POS seconds, seek to\n"
		     "                       TARGET (for scripts; repeatable)\n"
		     "  --screenshot-at POS:FILE  when playback reaches POS seconds,\n"
		     "                       write the picture as a PNG into FILE (repeatable)\n"
		     "  --screenshot-dir DIR where key s writes its PNGs (default\n"
		     "                       $XDG_PICTURES_DIR, else the current directory)\n"
		     "  --hwdec MODE         auto, vaapi, vdpau or no (default): hardware\n"
		     "                       decoding when the machine has it\n"
		     "  --no-config          do not read swarmplay.conf\n\n"
		     "Keys: space pause, left/right 10 s, up/down 60 s, f fullscreen,\n"
		     "m mute, 9/0 volume, v subtitles on/off, j next subtitles,\n"
		     "# next audio track, s screenshot, > or Enter next file,\n"
		     "< previous file, q quit.\n"));
}

enum {
	OPT_FILE = SP_SWARM_OPT_END, OPT_START, OPT_FULL, OPT_NOVIDEO, OPT_NOAUDIO, OPT_VOLUME,
	OPT_EXIT, OPT_FAST, OPT_HASH, OPT_JSON, OPT_PROGRESS, OPT_SEEKAT, OPT_LOOP, OPT_CACHEMAX,
	OPT_STARTBUF, OPT_NORESUME, OPT_SUB, OPT_SLANG, OPT_SUBHASH, OPT_AID, OPT_ALANG,
	OPT_SUBCP, OPT_SHOTAT, OPT_HWDEC, OPT_ALL, OPT_NOCONFIG,
	OPT_SHOTDIR, OPT_MUTE,
};

/* A byte count with an optional K, M, G or T suffix (powers of 1024). */
static int parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	unsigned long long v = strtoull(s, &end, 10);
	int shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: break;
	}
	if (shift)
		end++;
	if (errno || *end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_opt(struct opts *o, int c, const char *arg)
{
	double v;
	int r = sp_swarm_opt_parse(&o->sw, c, arg);
	if (r <= 0)
		return r;
	switch (c) {
	case OPT_FILE:
		if (sp_parse_whole(arg, 0, 1e6, &v) < 0)
			return -EINVAL;
		o->file_index = (int)v;
		return 0;
	case OPT_START: return sp_parse_num(arg, 0, 1e7, &o->pcfg.start_s);
	case OPT_FULL: o->pcfg.fullscreen = true; return 0;
	case OPT_NOVIDEO: o->pcfg.no_video = true; return 0;
	case OPT_NOAUDIO: o->pcfg.no_audio = true; return 0;
	case OPT_VOLUME:
		if (sp_parse_whole(arg, 0, 100, &v) < 0)
			return -EINVAL;
		o->pcfg.volume = (int)v;
		o->volume_given = true;
		return 0;
	case OPT_MUTE:
		if (arg && strcmp(arg, "yes") && strcmp(arg, "no"))
			return -EINVAL;
		o->pcfg.muted = !arg || !strcmp(arg, "yes");
		o->mute_given = true;
		return 0;
	case OPT_EXIT: o->exit_at_end = o->pcfg.exit_at_end = true; return 0;
	case OPT_ALL: o->all = true; return 0;
	case OPT_NOCONFIG: return 0; /* sp_config_file_prepend saw it */
	case OPT_STARTBUF:
		if (sp_parse_num(arg, 0, 60, &v) < 0)
			return -EINVAL;
		/* 0 on the command line means none; the configs' 0 is the default */
		o->sw.cfg.start_buffer_s = o->pcfg.start_buffer_s = v > 0 ? v : -1;
		return 0;
	case OPT_CACHEMAX: return parse_bytes(arg, &o->cache_max);
	case OPT_LOOP:
		if (sp_parse_whole(arg, 0, 1e9, &v) < 0)
			return -EINVAL;
		o->pcfg.loop = (int)v;
		return 0;
	case OPT_FAST: o->pcfg.fast = true; return 0;
	case OPT_HASH: o->pcfg.framehash_path = arg; return 0;
	case OPT_JSON: o->pcfg.stats_path = arg; return 0;
	case OPT_PROGRESS: o->pcfg.progress = true; return 0;
	case OPT_NORESUME: o->no_resume = true; return 0;
	case OPT_SUB: o->pcfg.sub_path = arg; return 0;
	case OPT_SLANG: o->pcfg.slang = arg; return 0;
	case OPT_SUBHASH: o->pcfg.subhash_path = arg; return 0;
	case OPT_ALANG: o->pcfg.alang = arg; return 0;
	case OPT_SUBCP: o->pcfg.sub_codepage = arg; return 0;
	case OPT_SHOTDIR: o->pcfg.shot_dir = arg; return 0;
	case OPT_HWDEC:
		if (strcmp(arg, "auto") && strcmp(arg, "vaapi") && strcmp(arg, "vdpau") &&
		    strcmp(arg, "no"))
			return -EINVAL;
		o->pcfg.hwdec = arg;
		return 0;
	case OPT_SHOTAT: {
		char *end;
		int i = o->pcfg.nshot_at;
		if (i >= SCRIPTED_MAX)
			return -EINVAL;
		double at = strtod(arg, &end);
		if (end == arg || *end != ':' || !end[1] || !(at >= 0))
			return -EINVAL;
		o->pcfg.shot_at[i] = arg;
		o->pcfg.nshot_at++;
		return 0;
	}
	case OPT_AID:
		if (sp_parse_whole(arg, 1, 1000, &v) < 0)
			return -EINVAL;
		o->pcfg.aid = (int)v;
		return 0;
	case OPT_SEEKAT: {
		char *end;
		int i = o->pcfg.nseek_at;
		double to;
		if (i >= SCRIPTED_MAX)
			return -EINVAL;
		double at = strtod(arg, &end);
		if (end == arg || *end != ':')
			return -EINVAL;
		if (sp_parse_num(end + 1, 0, 1e7, &to) < 0 || !(at >= 0))
			return -EINVAL;
		o->pcfg.seek_at[i] = arg;
		o->pcfg.nseek_at++;
		return 0;
	}
	default: return -EINVAL;
	}
}

/* 0, 100 for --help, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		SP_SWARM_LONGOPTS,
		{"file", required_argument, NULL, OPT_FILE},
		{"all", no_argument, NULL, OPT_ALL},
		{"no-config", no_argument, NULL, OPT_NOCONFIG},
		{"start", required_argument, NULL, OPT_START},
		{"fullscreen", no_argument, NULL, OPT_FULL},
		{"no-video", no_argument, NULL, OPT_NOVIDEO},
		{"no-audio", no_argument, NULL, OPT_NOAUDIO},
		{"volume", required_argument, NULL, OPT_VOLUME},
		{"mute", optional_argument, NULL, OPT_MUTE},
		{"exit-at-end", no_argument, NULL, OPT_EXIT},
		{"start-buffer", required_argument, NULL, OPT_STARTBUF},
		{"loop", required_argument, NULL, OPT_LOOP},
		{"cache-max", required_argument, NULL, OPT_CACHEMAX},
		{"fast", no_argument, NULL, OPT_FAST},
		{"framehash", required_argument, NULL, OPT_HASH},
		{"stats-json", required_argument, NULL, OPT_JSON},
		{"progress", no_argument, NULL, OPT_PROGRESS},
		{"seek-at", required_argument, NULL, OPT_SEEKAT},
		{"no-resume", no_argument, NULL, OPT_NORESUME},
		{"sub", required_argument, NULL, OPT_SUB},
		{"slang", required_argument, NULL, OPT_SLANG},
		{"subhash", required_argument, NULL, OPT_SUBHASH},
		{"aid", required_argument, NULL, OPT_AID},
		{"alang", required_argument, NULL, OPT_ALANG},
		{"sub-codepage", required_argument, NULL, OPT_SUBCP},
		{"screenshot-at", required_argument, NULL, OPT_SHOTAT},
		{"hwdec", required_argument, NULL, OPT_HWDEC},
		{"screenshot-dir", required_argument, NULL, OPT_SHOTDIR},
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
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcasecmp(s + n - m, suffix);
}

/* A magnet link, a .torrent/.tstream by name, or bencode that holds an
 * info dict: a torrent. Anything else goes to the demuxer. */
static bool looks_like_torrent(const char *src)
{
	if (!strncmp(src, "magnet:", 7))
		return true;
	if (has_suffix(src, ".torrent") || has_suffix(src, ".tstream"))
		return true;
	FILE *f = fopen(src, "rb");
	if (!f)
		return false;
	char buf[SNIFF_BYTES + 1];
	size_t n = fread(buf, 1, SNIFF_BYTES, f);
	fclose(f);
	buf[n] = 0;
	return n > 0 && buf[0] == 'd' && memmem(buf, n, "4:info", 6) != NULL;
}

struct net_ctx {
	struct sp_session *s;
	struct sp_torrent *t;
	const struct sp_metainfo *mi;
	int file;
	uint8_t *bits;
	size_t bits_len;
	struct sp_play_list *pl;
};

/* The player's position: near the end, the next file's reader opens. */
static void on_position(void *ctx, double pos_s, double duration_s)
{
	struct net_ctx *n = ctx;
	sp_play_list_position(n->pl, pos_s, duration_s);
}

static bool piece_have(const uint8_t *bits, uint32_t i)
{
	return bits[i >> 3] & (0x80u >> (i & 7));
}

/* How much of [from, to) of the torrent's bytes is verified, 0..255. */
static uint8_t cell_value(const struct net_ctx *n, uint64_t from, uint64_t to)
{
	uint32_t pl = sp_metainfo_piece_length(n->mi);
	if (!pl || to <= from)
		return 0;
	uint32_t a = (uint32_t)(from / pl), b = (uint32_t)((to - 1) / pl);
	uint32_t have = 0;
	for (uint32_t i = a; i <= b && i < sp_metainfo_num_pieces(n->mi); i++)
		have += piece_have(n->bits, i);
	return (uint8_t)(have * 255 / (b - a + 1));
}

static void on_netinfo(void *ctx, struct sp_player_netinfo *out)
{
	struct net_ctx *n = ctx;
	struct sp_torrent_stats st;
	sp_torrent_get_stats(n->t, &st);
	out->torrent = true;
	out->peers = st.peers;
	out->down_rate = st.down_rate;
	out->up_rate = st.up_rate;
	out->from[SP_PLAYER_FROM_PEERS] = st.downloaded[SP_FROM_PEERS];
	out->from[SP_PLAYER_FROM_WEBSEED] = st.downloaded[SP_FROM_WEBSEED];
	out->from[SP_PLAYER_FROM_CACHE] = st.downloaded[SP_FROM_CACHE];
	out->uploaded = st.uploaded;
	out->relayed = st.relayed;
	out->wasted = st.wasted;
	_Static_assert(SP_PLAYER_WASTE_N == SP_WASTE_COUNT, "one list of waste causes");
	memcpy(out->wasted_by, st.wasted_by, sizeof(out->wasted_by));
	out->complete = st.complete;
	out->checking = st.checking;
	out->complete_at_us = st.complete_at_us;
	if (st.error_code == -ENOSPC || st.error_code == -EDQUOT)
		snprintf(out->error, sizeof(out->error), "%s", _("disk full"));
	else
		snprintf(out->error, sizeof(out->error), "%s", st.error);
	sp_swarm_reachability_line(n->s, out->reachable, sizeof(out->reachable));
	sp_swarm_reachability_json(n->s, out->reachable_json, sizeof(out->reachable_json));
	if (sp_torrent_get_pieces(n->t, n->bits, n->bits_len) < 0)
		return;
	uint64_t off = (uint64_t)sp_metainfo_file_offset(n->mi, n->file);
	uint64_t len = (uint64_t)sp_metainfo_file_length(n->mi, n->file), have = 0;
	for (int i = 0; i < SP_PLAYER_MAP_CELLS; i++) {
		uint64_t a = off + len * (uint64_t)i / SP_PLAYER_MAP_CELLS;
		uint64_t b = off + len * (uint64_t)(i + 1) / SP_PLAYER_MAP_CELLS;
		out->map[i] = cell_value(n, a, b);
		have += out->map[i];
	}
	out->progress = st.complete ? 1.0 : (double)have / (255.0 * SP_PLAYER_MAP_CELLS);
}

static int fail(struct sp_error *e, int code)
{
	fprintf(stderr, "swarmplay: %s\n", sp_error_msg(e));
	sp_error_free(e);
	return code;
}

/* The other plays in the cache, least recently played first, go until it
 * fits under --cache-max (ours stays, even alone over the limit): when a
 * play starts, and again when it ends, with what it downloaded. */
static void trim_cache(const struct opts *o, const char *dir, const struct sp_metainfo *mi)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s", dir);
	char *slash = strrchr(root, '/');
	if (!slash)
		return;
	*slash = 0;
	int64_t freed = sp_cache_trim(root, o->cache_max, sp_metainfo_info_hash(mi));
	if (freed > 0)
		fprintf(stderr, _("swarmplay: the play cache was over %.1f MB: removed older "
				  "plays (%.1f MB)\n"),
			(double)o->cache_max / (1 << 20), (double)freed / (1 << 20));
}

/* The file to play and the data directory; -1 and *code on failure. */
static int choose_file(struct opts *o, const struct sp_metainfo *mi, char *dir, size_t dirlen,
		       int *code)
{
	int file = o->file_index >= 0 ? o->file_index : sp_metainfo_main_file(mi);
	if (file < 0 || file >= sp_metainfo_num_files(mi) || sp_metainfo_file_is_pad(mi, file)) {
		fprintf(stderr, _("swarmplay: no such file in the torrent: %d\n"), file);
		*code = SP_EXIT_USAGE;
		return -1;
	}
	if (o->sw.dir) {
		snprintf(dir, dirlen, "%s", o->sw.dir);
		return file;
	}
	/* ours, held while we play (a trim elsewhere may have removed it
	 * just now: then make it again) */
	int r = -ESTALE;
	for (int i = 0; i < 3 && r == -ESTALE; i++)
		if ((r = sp_cache_dir(sp_metainfo_info_hash(mi), dir, dirlen)) == 0)
			r = sp_cache_hold(dir);
	if (r < 0) {
		fprintf(stderr, _("swarmplay: cannot use the cache directory %s: %s\n"), dir,
			strerror(-r));
		*code = SP_EXIT_FAILURE;
		return -1;
	}
	o->cache_fd = r;
	futimens(r, NULL); /* played now: the last to go */
	trim_cache(o, dir, mi);
	return file;
}

/* A magnet: the --peer peers join its own (x.pe), then its info
 * dictionary comes from them. Takes mi; the full metainfo or NULL. */
static struct sp_metainfo *fetch_metadata(struct sp_session *s, struct sp_metainfo *mi,
					  const struct opts *o)
{
	sp_swarm_add_initial_peers(mi, &o->sw);
	fprintf(stderr, _("fetching the torrent's metadata from peers...\n"));
	struct sp_error *e = NULL;
	atomic_store(&sig_session, s);
	if (quit_signal()) /* a signal came before the store */
		sp_session_cancel_fetches(s);
	struct sp_metainfo *full = sp_session_fetch_metadata(s, mi, MAGNET_TIMEOUT_MS, &e);
	atomic_store(&sig_session, NULL);
	if (!full)
		fail(e, SP_EXIT_FAILURE);
	return full;
}

/* The next play starts where this one stops: unless --start or
 * --no-resume, or a scripted run (--fast), start at the saved position. */
static void resume_load(struct opts *o)
{
	double pos;
	if (o->pcfg.fast || !o->resume_key[0])
		return;
	if (o->no_resume || o->pcfg.start_s >= 0 || !sp_watch_later_load(o->resume_key, &pos))
		return;
	o->pcfg.start_s = pos;
	o->pcfg.resumed = true;
}

/* Quit before the end: remember where; played to the end: forget. */
static void resume_save(struct opts *o)
{
	const struct sp_player_result *r = &o->result;
	if (o->pcfg.fast || !o->resume_key[0] || !r->played)
		return;
	bool near_end = r->duration_s > 0 && r->pos_s > r->duration_s - RESUME_END_S;
	if (r->ended || near_end || r->pos_s < RESUME_MIN_S) {
		sp_watch_later_forget(o->resume_key);
		return;
	}
	int e = sp_watch_later_save(o->resume_key, r->pos_s);
	if (e < 0)
		fprintf(stderr, _("swarmplay: cannot save the position: %s\n"), strerror(-e));
}

/* The volume and mute the last play quit with, unless given (--volume,
 * --mute, swarmplay.conf) or a scripted run (--fast). */
static void volume_load(struct opts *o)
{
	int volume = o->pcfg.volume;
	bool muted = o->pcfg.muted;
	if (o->pcfg.fast)
		return;
	int found = sp_volume_state_load(&volume, &muted);
	if (!o->volume_given && (found & SP_VOLUME_STATE_VOLUME))
		o->pcfg.volume = volume;
	if (!o->mute_given && (found & SP_VOLUME_STATE_MUTE))
		o->pcfg.muted = muted;
}

/* The volume and mute at quit, for the next play. */
static void volume_save(const struct opts *o)
{
	if (o->pcfg.fast || !o->result.played)
		return;
	int e = sp_volume_state_save(o->result.volume, o->result.muted);
	if (e < 0)
		fprintf(stderr, _("swarmplay: cannot save the volume: %s\n"), strerror(-e));
}

/* Sets option name to value on p unless an earlier one failed (*err). */
static void option(struct sp_player *p, const char *name, const char *value,
		   struct sp_error **err)
{
	if (!*err && value)
		sp_player_set_option(p, name, value, err);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* The public player with play's configuration: its window (none with
 * --no-video), its options, the torrent's subtitle reader (which it takes
 * over), the quit flag. NULL and *err when it cannot be made. */
static struct sp_player *new_player(struct opts *o, struct sp_error **err)
{
	struct play_cfg *c = &o->pcfg;
	struct sp_reader *sub = c->sub_reader;
	c->sub_reader = NULL;
	struct sp_player_config cfg;
	sp_player_config_init(&cfg);
	cfg.video = c->no_video ? SP_PLAYER_VIDEO_NONE : SP_PLAYER_VIDEO_WINDOW;
	cfg.audio = c->no_audio ? SP_PLAYER_AUDIO_NONE : SP_PLAYER_AUDIO_DEFAULT;
	cfg.unpaced = c->fast;
	cfg.start_s = c->start_s;
	cfg.volume = c->volume;
	cfg.loop = c->loop;
	struct sp_player *p = sp_player_new(&cfg, err);
	if (!p) {
		if (sub)
			sp_reader_close(sub);
		return NULL;
	}
	char t0[32], buf[32], aid[16];
	snprintf(t0, sizeof(t0), "%lld", (long long)c->t0_us);
	snprintf(buf, sizeof(buf), "%.17g", c->start_buffer_s);
	snprintf(aid, sizeof(aid), "%d", c->aid);
	option(p, "terminal", "yes", err);
	option(p, "ttff-from", t0, err);
	option(p, "title", c->title, err);
	option(p, "fullscreen", yes_no(c->fullscreen), err);
	option(p, "exit-at-end", yes_no(c->exit_at_end), err);
	option(p, "progress", yes_no(c->progress), err);
	option(p, "mute", yes_no(c->muted), err);
	option(p, "start-buffer", c->start_buffer_s < 0 ? "none" : buf, err);
	option(p, "framehash", c->framehash_path, err);
	option(p, "framehash-append", yes_no(c->framehash_append), err);
	option(p, "stats-json", c->stats_path, err);
	option(p, "subhash", c->subhash_path, err);
	option(p, "sub-file", c->sub_path, err);
	option(p, "slang", c->slang, err);
	option(p, "alang", c->alang, err);
	option(p, "aid", aid, err);
	option(p, "sub-codepage", c->sub_codepage, err);
	option(p, "sub-visibility", yes_no(!c->sub_hidden), err);
	option(p, "hwdec", c->hwdec, err);
	option(p, "screenshot-dir", c->shot_dir, err);
	option(p, "keep-window", yes_no(c->keep_window), err);
	option(p, "resumed", yes_no(c->resumed), err);
	option(p, "playlist-next", yes_no(c->has_next), err);
	option(p, "playlist-prev", yes_no(c->has_prev), err);
	for (int i = 0; i < c->nseek_at; i++)
		option(p, "seek-at", c->seek_at[i], err);
	for (int i = 0; i < c->nshot_at; i++)
		option(p, "screenshot-at", c->shot_at[i], err);
	if (!*err && sub)
		sp_player_set_sub_reader(p, sub, c->sub_reader_name, err);
	else if (sub)
		sp_reader_close(sub);
	if (!*err)
		sp_player_set_quit_flag(p, &quit_flag);
	if (*err) {
		sp_player_free(p);
		return NULL;
	}
	return p;
}

/* The torrent's subtitle file gets its reader first, so the picker gives
 * its pieces the earliest deadlines: it is small and needed at once. */
static void open_sidecar(struct opts *o, struct sp_torrent *t, int file)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	int sf = o->pcfg.sub_path ? -1 : sp_metainfo_subtitle_file(mi, file, o->pcfg.slang);
	if (sf < 0)
		return;
	struct sp_error *e = NULL;
	o->pcfg.sub_reader = sp_torrent_open_reader(t, sf, &e);
	if (!o->pcfg.sub_reader) {
		sp_error_free(e);
		return;
	}
	o->pcfg.sub_reader_name = sp_metainfo_file_path(mi, sf);
}

/* Plays file of the torrent t (the session's); the reader is closed
 * before returning, as the session requires. */
static int play_from(struct opts *o, struct sp_session *s, struct sp_torrent *t, int file)
{
	struct sp_error *e = NULL;
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	struct net_ctx n = {.s = s, .t = t, .mi = mi, .file = file, .pl = o->pl};
	n.bits_len = ((size_t)sp_metainfo_num_pieces(mi) + 7) / 8;
	n.bits = calloc(1, n.bits_len + 1);
	open_sidecar(o, t, file);
	sp_watch_later_key_torrent(sp_metainfo_info_hash(mi), file, o->resume_key,
				   sizeof(o->resume_key));
	resume_load(o);
	/* the reader's cursor gives the first pieces their deadlines: they
	 * are asked for while the media module is still loading */
	struct sp_reader *r = n.bits ? sp_play_list_reader(o->pl, &e) : NULL;
	const struct sp_media *media = sp_media_load_join(r ? &e : NULL);
	struct sp_player *p = NULL;
	int code;
	if (r && media) {
		const char *title = sp_metainfo_text(mi, SP_METAINFO_TITLE);
		o->pcfg.title = title ? title : sp_metainfo_name(mi);
		p = new_player(o, &e);
	}
	if (p) {
		sp_player_set_netinfo_callback(p, on_netinfo, on_position, &n);
		o->play_failed =
		    sp_player_run_reader(p, r, sp_metainfo_file_path(mi, file), &e) < 0;
		sp_player_get_result(p, &o->result);
		sp_player_free(p);
		code = o->play_failed ? fail(e, SP_EXIT_FAILURE) : SP_EXIT_OK;
		resume_save(o);
	} else if (r && media) { /* the player cannot be made (its module) */
		sp_reader_close(r);
		code = fail(e, SP_EXIT_UNSUPPORTED);
	} else {
		if (r)
			sp_reader_close(r);
		if (o->pcfg.sub_reader)
			sp_reader_close(o->pcfg.sub_reader);
		code = !e ? SP_EXIT_FAILURE : fail(e, r ? SP_EXIT_UNSUPPORTED : SP_EXIT_FAILURE);
	}
	free(n.bits);
	return code;
}

/* What goes on from one file of the list to the next: the viewer's
 * volume, mute, fullscreen, subtitles shown or hidden and audio track. */
static void carry_over(struct opts *o)
{
	const struct sp_player_result *r = &o->result;
	if (!r->played)
		return; /* a file skipped: the one before's settings hold */
	o->pcfg.volume = r->volume;
	o->pcfg.muted = r->muted;
	o->pcfg.fullscreen = r->fullscreen;
	o->pcfg.sub_hidden = r->sub_hidden;
	if (r->aid > 0)
		o->pcfg.aid = r->aid;
}

/* The torrent's files one after the other (play_list.h): each play but
 * the last ends at its end; the keys > and < end it for another file; a
 * later file's first frame counts (ttff_ms) from the last one shown. A
 * file that cannot be played is skipped for the next one, as mpv does;
 * the exit status is then that failure's. */
static int play_list(struct opts *o, struct sp_session *s, struct sp_torrent *t)
{
	struct sp_play_list pl;
	/* without --file, the episode the last play stopped in */
	int first = o->file_index, last = -1;
	if (first < 0 && !o->no_resume && !o->pcfg.fast)
		last = sp_play_list_resume_file(sp_torrent_metainfo(t));
	if ((last < 0 || sp_play_list_init(&pl, t, last, o->all) < 0) &&
	    sp_play_list_init(&pl, t, first, o->all) < 0) {
		fprintf(stderr, _("swarmplay: no such file in the torrent: %d\n"), o->file_index);
		return SP_EXIT_USAGE;
	}
	o->pl = &pl;
	int code, played = 0, skipped_code = SP_EXIT_OK;
	enum sp_episodes_why why;
	do {
		if (played++) {
			o->pcfg.start_s = -1; /* --start is the first file's */
			o->pcfg.resumed = false;
			o->pcfg.framehash_append = true;
			if (o->result.last_frame_us)
				o->pcfg.t0_us = o->result.last_frame_us;
			carry_over(o);
		}
		if (played > 1 || pl.cur > 0)
			fprintf(stderr, _("swarmplay: file %d of %d: %s\n"), pl.cur + 1, pl.n,
				sp_metainfo_file_path(sp_torrent_metainfo(t), sp_play_list_file(&pl)));
		o->pcfg.has_next = sp_play_list_has_next(&pl);
		o->pcfg.has_prev = sp_play_list_has_prev(&pl);
		o->pcfg.exit_at_end = o->exit_at_end || o->pcfg.has_next;
		o->pcfg.keep_window = pl.n > 1;
		o->pcfg.sub_reader = NULL;
		struct sp_player_result before = o->result;
		o->result = (struct sp_player_result){0};
		o->play_failed = false;
		code = play_from(o, s, t, sp_play_list_file(&pl));
		if (code != SP_EXIT_OK && o->play_failed && !quit_signal() && o->pcfg.has_next) {
			fprintf(stderr, _("swarmplay: skipping file %d of %d: %s\n"), pl.cur + 1,
				pl.n,
				sp_metainfo_file_path(sp_torrent_metainfo(t), sp_play_list_file(&pl)));
			if (skipped_code == SP_EXIT_OK)
				skipped_code = code;
			code = SP_EXIT_OK;
			o->result = before; /* what the next file takes on */
			why = SP_EPISODES_NEXT;
			continue;
		}
		why = quit_signal() ? SP_EPISODES_QUIT
		      : o->result.skip > 0 ? SP_EPISODES_NEXT
		      : o->result.skip < 0 ? SP_EPISODES_PREV
		      : o->result.ended ? SP_EPISODES_END : SP_EPISODES_QUIT;
	} while (code == SP_EXIT_OK && sp_play_list_advance(&pl, why));
	if (!o->pcfg.fast && o->result.played)
		sp_play_list_resume_save(&pl, why == SP_EPISODES_END);
	sp_play_list_fini(&pl);
	o->pl = NULL;
	return code == SP_EXIT_OK ? skipped_code : code;
}

static int play_torrent(struct opts *o)
{
	struct sp_error *e = NULL;
	struct sp_metainfo *mi = sp_metainfo_load(o->src, &e);
	if (!mi)
		return fail(e, SP_EXIT_BADINPUT);
	sp_swarm_prepare(&o->sw, mi);
	struct sp_session *s = sp_session_new(&o->sw.cfg, &e);
	if (!s) {
		sp_metainfo_free(mi);
		return fail(e, SP_EXIT_FAILURE);
	}
	sp_swarm_add_dht_nodes(s, &o->sw);
	int code = SP_EXIT_FAILURE, file = -1;
	char dir[4096];
	if (sp_metainfo_is_magnet(mi) && !(mi = fetch_metadata(s, mi, o)))
		goto out;
	if ((file = choose_file(o, mi, dir, sizeof(dir), &code)) < 0) {
		sp_metainfo_free(mi);
		goto out;
	}
	struct sp_torrent *t = sp_session_add_torrent(s, mi, dir, false, &e);
	if (!t) {
		code = fail(e, SP_EXIT_FAILURE);
		goto out;
	}
	sp_swarm_add_peers(t, &o->sw);
	code = play_list(o, s, t);
	if (o->cache_fd >= 0)
		trim_cache(o, dir, mi);
out:
	sp_session_free(s);
	if (o->cache_fd >= 0)
		close(o->cache_fd);
	return code;
}

static int play_file(struct opts *o)
{
	struct sp_error *e = NULL;
	if (!sp_media_load_join(&e))
		return fail(e, SP_EXIT_UNSUPPORTED);
	const char *slash = strrchr(o->src, '/');
	o->pcfg.title = slash ? slash + 1 : o->src;
	sp_watch_later_key_file(o->src, o->resume_key, sizeof(o->resume_key));
	resume_load(o);
	struct sp_player *p = new_player(o, &e);
	if (!p)
		return fail(e, SP_EXIT_UNSUPPORTED);
	int r = sp_player_run_file(p, o->src, &e);
	sp_player_get_result(p, &o->result);
	sp_player_free(p);
	if (r == 0)
		resume_save(o);
	if (r == -ENOENT)
		return fail(e, SP_EXIT_BADINPUT);
	return r < 0 ? fail(e, SP_EXIT_FAILURE) : SP_EXIT_OK;
}

int sp_cmd_play(int argc, char **argv)
{
	struct opts o = {.file_index = -1, .cache_max = CACHE_MAX_DEFAULT, .cache_fd = -1};
	o.pcfg = (struct play_cfg){.start_s = -1, .volume = 100, .loop = 1};
	o.pcfg.t0_us = sp_app_process_start_us(); /* ttff from the spawn */
	argc = sp_config_file_prepend(argc, &argv); /* swarmplay.conf, then the command line */
	int r = parse_args(argc, argv, &o);
	if (r == 100) {
		usage(stdout);
		return SP_EXIT_OK;
	}
	if (r < 0) {
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sp_media_load_start(true); /* FFmpeg and SDL2 load while the swarm starts */
	struct sp_url_source url; /* an http(s) URL fetched, a file: URI's path */
	struct sp_error *e = NULL;
	int code;
	if (sp_url_source_open(&url, &o.src, &e) < 0) {
		code = fail(e, sp_error_code(e) == -EIO ? SP_EXIT_FAILURE : SP_EXIT_BADINPUT);
	} else {
		volume_load(&o);
		code = looks_like_torrent(o.src) ? play_torrent(&o) : play_file(&o);
		volume_save(&o);
	}
	sp_url_source_close(&url);
	sp_media_load_join(NULL); /* joined already, unless we failed early */
	return code;
}
