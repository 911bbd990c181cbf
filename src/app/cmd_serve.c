/* cmd_serve.c - `swarmplay serve SRC...`: the torrents' files over HTTP,
 * streamed as they download, to any player or browser (serve.c).
 *
 * Adds every SRC to one session (the swarm options of download; without
 * -d each torrent's data goes to the play cache, as for play), starts the
 * HTTP server, prints each torrent's main-file URL, then serves until
 * SIGINT/SIGTERM, or, with --open, until the player it started on the
 * first URL exits. Never loads the media module: serving decodes nothing.
 *
 * Safety rule enforced here: the server listens on loopback unless
 * --http-token is given (a token that every request must carry).
 *
 * Main thread: parses, sets up, then only waits (signals, the player's
 * exit); the session and the server run on their own threads. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/cmd.h"
#include "app/serve.h"
#include "app/swarm_opts.h"
#include "app/buf.h"
#include "app/i18n.h"
#include "swarmplay/swarmplay.h"

#define MAGNET_TIMEOUT_MS 60000
#define CACHE_MAX_DEFAULT (10ull << 30) /* as play's */
#define FD_RESERVE 512 /* the session's descriptors: peers, files, DHT, logs */

struct opts {
	const char *srcs[SP_SERVE_MAX_TORRENTS];
	int nsrcs;
	struct sp_swarm_opts sw;
	char host[64];
	uint16_t port;
	const char *token, *open;
	int max_streams, max_connections, timeout_s;
	bool allow_add;
	uint64_t cache_max; /* bytes the play cache may hold (without -d) */
	char cache_dir[4096]; /* one of ours in the cache, for the last trim */
	struct sp_session *session;
	pthread_mutex_t mu;                  /* the holds: POST /add adds from a worker */
	int hold_fds[SP_SERVE_MAX_TORRENTS]; /* our cache directories, held */
	int nholds;
};

/* an atomic: the signal may land on any thread (cmd_download.c) */
static atomic_int stop_flag;
/* the session whose magnet fetches a signal ends (main may wait in one) */
static struct sp_session *_Atomic sig_session;

static void on_signal(int sig)
{
	int saved = errno;
	stop_flag = sig;
	struct sp_session *s = atomic_load(&sig_session);
	if (s)
		sp_session_cancel_fetches(s); /* sets a flag: async-signal-safe */
	errno = saved;
}

static void usage(FILE *f)
{
	fprintf(f, _("Usage: swarmplay serve SRC... [--http ADDR:PORT] [--http-token TOKEN]\n"
		     "       [--open mpv|vlc|ffplay|CMD] [--max-streams N]\n"
		     "       [--max-connections N] [--http-timeout SECONDS] [--allow-add]\n"
		     "       [-d DIR | --cache-max SIZE]\n"
		     "       [--peer HOST:PORT]... [--port N] [--no-tracker] [--max-peers N]\n"
		     "       [--upload-limit KBPS] [--webseed always|fallback|never] [--lsd]\n"
		     "       [--no-dht] [--dht-node HOST:PORT]... [--no-port-mapping]\n"
		     "Serve the files of each SRC (.tstream, .torrent or magnet link) over\n"
		     "HTTP while they download, to any player or browser: ranges, HEAD,\n"
		     "keep-alive. Pages: / (the torrents and files; JSON with Accept:\n"
		     "application/json), /INFOHASH.m3u (the videos as a playlist),\n"
		     "/stats.json. The default address is 127.0.0.1:8888; any address that\n"
		     "is not loopback needs --http-token, and requests must then carry\n"
		     "?token=TOKEN or Authorization: Bearer TOKEN. With --open, start that\n"
		     "player on the first URL and stop serving when it exits. At most\n"
		     "--max-connections (200) connections at once, more are closed; each\n"
		     "has --http-timeout (30) seconds to send a whole request. With\n"
		     "--allow-add, POST /add with a magnet link or a .torrent as its body\n"
		     "adds a torrent (SRC may then be omitted). Without -d the data goes\n"
		     "to the play cache, kept under --cache-max (10G) as play does.\n"));
}

enum { OPT_HTTP = SP_SWARM_OPT_END, OPT_TOKEN, OPT_OPEN, OPT_STREAMS, OPT_CONNS,
       OPT_TIMEOUT, OPT_ADD, OPT_CACHEMAX };

static int parse_opt(struct opts *o, int c, const char *arg)
{
	int r = sp_swarm_opt_parse(&o->sw, c, arg);
	if (r <= 0)
		return r;
	double v;
	switch (c) {
	case OPT_HTTP: return sp_split_host_port(arg, o->host, sizeof(o->host), &o->port);
	case OPT_TOKEN:
		if (!arg[0] || strlen(arg) > 256 || strpbrk(arg, " \t\r\n"))
			return -EINVAL;
		o->token = arg;
		return 0;
	case OPT_OPEN: o->open = arg; return 0;
	case OPT_ADD: o->allow_add = true; return 0;
	case OPT_CACHEMAX: return sp_cache_parse_size(arg, &o->cache_max);
	case OPT_STREAMS:
		if (sp_parse_whole(arg, 1, 1000, &v) < 0)
			return -EINVAL;
		o->max_streams = (int)v;
		return 0;
	case OPT_CONNS:
		if (sp_parse_whole(arg, 1, 100000, &v) < 0)
			return -EINVAL;
		o->max_connections = (int)v;
		return 0;
	case OPT_TIMEOUT:
		if (sp_parse_whole(arg, 1, 3600, &v) < 0)
			return -EINVAL;
		o->timeout_s = (int)v;
		return 0;
	default: return -EINVAL;
	}
}

/* 0, 100 for --help, -1 for a usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		SP_SWARM_LONGOPTS,
		{"http", required_argument, NULL, OPT_HTTP},
		{"http-token", required_argument, NULL, OPT_TOKEN},
		{"open", required_argument, NULL, OPT_OPEN},
		{"max-streams", required_argument, NULL, OPT_STREAMS},
		{"max-connections", required_argument, NULL, OPT_CONNS},
		{"http-timeout", required_argument, NULL, OPT_TIMEOUT},
		{"allow-add", no_argument, NULL, OPT_ADD},
		{"cache-max", required_argument, NULL, OPT_CACHEMAX},
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
	if ((optind >= argc && !o->allow_add) || argc - optind > SP_SERVE_MAX_TORRENTS)
		return -1;
	for (int i = optind; i < argc; i++)
		o->srcs[o->nsrcs++] = argv[i];
	return 0;
}

/* The cache's other torrents, least recently used first, go until it
 * fits under --cache-max; those we serve are held, so they stay (even
 * over the limit). keep: the one just added (NULL at the end). Under mu. */
static void trim_cache(const struct opts *o, const char *dir, const char *keep)
{
	char root[4096];
	snprintf(root, sizeof(root), "%s", dir);
	char *slash = strrchr(root, '/');
	if (!slash)
		return;
	*slash = 0;
	int64_t freed = sp_cache_trim(root, o->cache_max, keep);
	if (freed > 0)
		fprintf(stderr, _("swarmplay: the play cache was over %.1f MB: removed older "
				  "plays (%.1f MB)\n"),
			(double)o->cache_max / (1 << 20), (double)freed / (1 << 20));
}

/* Without -d: the play cache's directory for this torrent, held while we
 * serve it (a trim by a play elsewhere leaves it alone). */
static int data_dir(struct opts *o, const struct sp_metainfo *mi, char *out, size_t n)
{
	if (o->sw.dir) {
		snprintf(out, n, "%s", o->sw.dir);
		return 0;
	}
	int r = -ESTALE;
	for (int i = 0; i < 3 && r == -ESTALE; i++)
		if ((r = sp_cache_dir(sp_metainfo_info_hash(mi), out, n)) == 0)
			r = sp_cache_hold(out);
	if (r < 0)
		return r;
	futimens(r, NULL); /* served now: the last to go */
	pthread_mutex_lock(&o->mu);
	if (o->nholds < SP_SERVE_MAX_TORRENTS)
		o->hold_fds[o->nholds++] = r;
	else
		close(r); /* not held (never: the server's limit is the same) */
	trim_cache(o, out, sp_metainfo_info_hash(mi));
	snprintf(o->cache_dir, sizeof(o->cache_dir), "%s", out);
	pthread_mutex_unlock(&o->mu);
	return 0;
}

/* A metainfo (a magnet: its metadata fetched first; taken) into the
 * session: the torrent, or NULL and err. From main or a server worker. */
static struct sp_torrent *add_metainfo(void *arg, struct sp_metainfo *mi, struct sp_error **e)
{
	struct opts *o = arg;
	if (sp_metainfo_is_magnet(mi)) {
		sp_swarm_add_initial_peers(mi, &o->sw);
		mi = sp_session_fetch_metadata(o->session, mi, MAGNET_TIMEOUT_MS, e);
		if (!mi)
			return NULL;
	}
	char dir[4096];
	int r = data_dir(o, mi, dir, sizeof(dir));
	if (r < 0) {
		sp_error_set(e, r, _("cannot use the cache directory %s: %s"), dir, strerror(-r));
		sp_metainfo_free(mi);
		return NULL;
	}
	struct sp_torrent *t = sp_session_add_torrent(o->session, mi, dir, false, e);
	if (!t) {
		sp_metainfo_free(mi);
		return NULL;
	}
	sp_swarm_add_peers(t, &o->sw);
	return t;
}

/* One SRC into the session; NULL (reported) if it cannot be served. */
static struct sp_torrent *add_source(struct opts *o, const char *src)
{
	struct sp_error *e = NULL;
	struct sp_metainfo *mi = sp_metainfo_load(src, &e);
	if (mi && sp_metainfo_is_magnet(mi))
		fprintf(stderr, _("fetching the torrent's metadata from peers...\n"));
	struct sp_torrent *t = mi ? add_metainfo(o, mi, &e) : NULL;
	if (!t) {
		fprintf(stderr, _("swarmplay: %s: %s\n"), src, sp_error_msg(e));
		sp_error_free(e);
	}
	return t;
}

/* The URL of a torrent's main file (caller frees). */
static char *file_url(const struct opts *o, uint16_t port, struct sp_torrent *t)
{
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	int file = sp_metainfo_main_file(mi);
	struct app_buf b;
	app_buf_init(&b, 16384);
	bool v6 = strchr(o->host, ':') != NULL;
	int r = app_buf_appendf(&b, v6 ? "http://[%s]:%u" : "http://%s:%u", o->host, port);
	if (!r && file >= 0)
		r = sp_serve_file_path(&b, t, file);
	if (!r && o->token)
		r = app_buf_appendf(&b, "?token=%s", o->token);
	if (!r)
		r = app_buf_append(&b, "", 1);
	if (r < 0) {
		app_buf_fini(&b);
		return NULL;
	}
	size_t len;
	return (char *)app_buf_steal(&b, &len);
}

/* --open: mpv, vlc, ffplay by name, else a shell command the URL is
 * given to as its last argument. The child's pid, or -1. */
static pid_t start_player(const char *player, const char *url)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (!strcmp(player, "mpv") || !strcmp(player, "vlc"))
		execlp(player, player, url, (char *)NULL);
	else if (!strcmp(player, "ffplay"))
		execlp(player, player, "-autoexit", "-loglevel", "warning", url, (char *)NULL);
	else
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", player, url, (char *)NULL);
	fprintf(stderr, _("swarmplay: cannot start %s: %s\n"), player, strerror(errno));
	_exit(127);
}

/* Until a signal, or the player's exit; the exit code. */
static int wait_until_done(pid_t player)
{
	int code = SP_EXIT_OK;
	while (!stop_flag) {
		struct timespec ts = {0, 100000000L};
		nanosleep(&ts, NULL);
		int status;
		if (player > 0 && waitpid(player, &status, WNOHANG) == player) {
			bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			if (!ok)
				fprintf(stderr, _("swarmplay: the player exited with an error\n"));
			code = ok ? SP_EXIT_OK : SP_EXIT_FAILURE;
			player = 0;
			break;
		}
	}
	if (player > 0) {
		kill(player, SIGTERM);
		waitpid(player, NULL, 0);
	}
	return code;
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Prints the URLs, starts the player if asked, serves until done. */
static int run(struct opts *o, struct sp_serve *sv, struct sp_serve_config *cfg)
{
	uint16_t port = sp_serve_port(sv);
	bool v6 = strchr(o->host, ':') != NULL;
	fprintf(stderr, _("serving %d torrent(s) on %s%s%s:%u/ (Ctrl-C stops)\n"), cfg->ntorrents,
		v6 ? "http://[" : "http://", o->host, v6 ? "]" : "", port);
	char *first = NULL;
	for (int i = 0; i < cfg->ntorrents; i++) {
		char *url = file_url(o, port, cfg->torrents[i]);
		if (url)
			printf("%s\n", url);
		if (!first)
			first = url;
		else
			free(url);
	}
	fflush(stdout);
	pid_t player = o->open && first ? start_player(o->open, first) : 0;
	free(first);
	if (player < 0) {
		fprintf(stderr, _("swarmplay: cannot start %s: %s\n"), o->open, strerror(errno));
		return SP_EXIT_FAILURE;
	}
	return wait_until_done(player);
}

/* The descriptors the connections may take: the soft limit raised to the
 * hard one, FD_RESERVE kept for the session (peers, files, DHT) and the
 * streams; the cap lowered to fit, with a word. */
static void fit_fd_budget(struct opts *o)
{
	int want = o->max_connections ? o->max_connections : SP_SERVE_MAX_CONNECTIONS_DEFAULT;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	rlim_t spare = rl.rlim_cur > FD_RESERVE + 2 * (rlim_t)o->max_streams
			       ? rl.rlim_cur - FD_RESERVE - 2 * (rlim_t)o->max_streams
			       : 0;
	if ((rlim_t)want <= spare)
		return;
	o->max_connections = spare > 8 ? (int)spare : 8;
	fprintf(stderr, _("swarmplay serve: %d connections would pass the limit of %llu open files; "
			  "at most %d\n"),
		want, (unsigned long long)rl.rlim_cur, o->max_connections);
}

static int serve(struct opts *o)
{
	struct sp_error *e = NULL;
	install_signals();
	fit_fd_budget(o);
	sp_swarm_prepare(&o->sw, NULL); /* a private torrent's DHT is off in the session */
	struct sp_session *s = sp_session_new(&o->sw.cfg, &e);
	if (!s) {
		fprintf(stderr, _("swarmplay: %s\n"), sp_error_msg(e));
		sp_error_free(e);
		return SP_EXIT_FAILURE;
	}
	sp_swarm_add_dht_nodes(s, &o->sw);
	o->session = s;
	atomic_store(&sig_session, s);
	struct sp_serve_config cfg = {.host = o->host, .port = o->port, .token = o->token,
				      .max_streams = o->max_streams,
				      .max_connections = o->max_connections,
				      .timeout_s = o->timeout_s,
				      .allow_add = o->allow_add,
				      .add = add_metainfo,
				      .parse = sp_metainfo_parse,
				      .add_arg = o};
	for (int i = 0; i < o->nsrcs && !stop_flag; i++) {
		struct sp_torrent *t = add_source(o, o->srcs[i]);
		if (t)
			cfg.torrents[cfg.ntorrents++] = t;
	}
	int code = SP_EXIT_FAILURE;
	struct sp_serve *sv = NULL;
	if (cfg.ntorrents == o->nsrcs && !(sv = sp_serve_new(&cfg, &e))) {
		fprintf(stderr, _("swarmplay: %s\n"), sp_error_msg(e));
		sp_error_free(e);
	}
	if (sv)
		code = run(o, sv, &cfg);
	sp_session_cancel_fetches(s); /* POST /add workers waiting for a magnet's */
	sp_serve_free(sv); /* closes its readers: before the session */
	atomic_store(&sig_session, NULL);
	sp_session_free(s);
	if (o->cache_dir[0]) /* with what we downloaded; ours are still held */
		trim_cache(o, o->cache_dir, NULL);
	for (int i = 0; i < o->nholds; i++)
		close(o->hold_fds[i]);
	return code;
}

int sp_cmd_serve(int argc, char **argv)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	snprintf(o.host, sizeof(o.host), "127.0.0.1");
	o.port = 8888;
	o.max_streams = SP_SERVE_MAX_STREAMS_DEFAULT;
	o.cache_max = CACHE_MAX_DEFAULT;
	pthread_mutex_init(&o.mu, NULL);
	o.sw.cfg.webseed_mode = SP_WEBSEED_FALLBACK;
	int r = parse_args(argc, argv, &o);
	if (r == 100) {
		usage(stdout);
		return SP_EXIT_OK;
	}
	if (r < 0) {
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	if (!strcmp(o.host, "localhost"))
		snprintf(o.host, sizeof(o.host), "127.0.0.1");
	if (!sp_swarm_is_loopback(o.host) && !o.token) {
		fprintf(stderr, _("swarmplay serve: %s is not a loopback address: anyone who can "
				  "reach it could read these torrents. Give --http-token TOKEN "
				  "(requests must then carry ?token=TOKEN or Authorization: Bearer "
				  "TOKEN), or serve on 127.0.0.1.\n"),
			o.host);
		return SP_EXIT_USAGE;
	}
	return serve(&o);
}
