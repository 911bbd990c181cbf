/* cmd_download.c - `swarmplay download` and `swarmplay seed`: run a
 * session for one torrent and show its progress.
 *
 * Main thread. The session runs its own net thread; this thread only
 * polls the stats snapshot and owns the signals: SIGINT/SIGTERM set a
 * flag, and the loop below then frees the session, which announces
 * `stopped` and saves the resume state. A progress bar is drawn on a
 * terminal; otherwise one plain line about every second. --stats-json
 * writes the counters (pieces verified at start, bytes by source, the
 * state and the error) for tests and scripts.
 *
 * Storage faults are states, not exits (issue 11): while the disk is full
 * the torrent asks for the pieces it could not write again after a
 * back-off and the error clears once a write succeeds, so the download
 * pauses with the error on its progress line and in the stats file and
 * goes on by itself when there is room. Other write errors (EIO, EROFS,
 * EACCES) give up after STORAGE_GIVE_UP_US; a stop while in error exits
 * non-zero, as any stop before the end. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/cmd.h"
#include "app/swarm_cmd.h"
#include "app/swarm_opts.h"
#include "app/clock.h"
#include "app/i18n.h"
#include "swarmplay/swarmplay.h"

#define STORAGE_GIVE_UP_US (60 * 1000000LL)

struct opts {
	const char *src, *stats_json;
	struct sp_swarm_opts sw; /* -d, --peer, --port... */
	bool seed, seed_cmd;
	double exit_after;
};

/* set by the handler on whichever thread the signal lands (the net thread,
 * a worker): an atomic, lock-free and so async-signal-safe, not a
 * volatile, which is safe only on the thread that reads it */
static atomic_int stop_flag;
/* the session whose magnet fetch a signal ends, while main waits in it */
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

static void usage(FILE *f, bool seed_cmd)
{
	if (seed_cmd)
		fprintf(f, _("Usage: swarmplay seed SRC DIR [--port N] [--peer HOST:PORT]...\n"
			     "       [--upload-limit KBPS] [--max-peers N] [--no-tracker] [--lsd]\n"
			     "       [--no-dht] [--dht-node HOST:PORT]... [--no-port-mapping]\n"
			     "       [--exit-after SECONDS] [--stats-json FILE]\n"
			     "Check the data of SRC (.torrent or .tstream) in DIR, then seed it\n"
			     "until interrupted.\n"));
	else
		fprintf(f, _("Usage: swarmplay download SRC [-d DIR] [--peer HOST:PORT]... [--seed]\n"
			     "       [--port N] [--max-peers N] [--upload-limit KBPS] [--no-tracker] [--lsd]\n"
			     "       [--no-dht] [--dht-node HOST:PORT]... [--no-port-mapping]\n"
			     "       [--exit-after SECONDS] [--stats-json FILE] [--webseed always|fallback|never]\n"
			     "Download SRC (.torrent, .tstream or magnet link) into DIR (default:\n"
			     "the current directory). Exits when complete, or keeps seeding with\n"
			     "--seed.\n"));
}

enum { OPT_SEED = SP_SWARM_OPT_END, OPT_EXIT, OPT_JSON };

static int parse_opt(struct opts *o, int c, const char *arg)
{
	int r = sp_swarm_opt_parse(&o->sw, c, arg);
	if (r <= 0)
		return r;
	switch (c) {
	case OPT_SEED: o->seed = true; return 0;
	case OPT_EXIT: return sp_parse_num(arg, 1e-3, 1e9, &o->exit_after);
	case OPT_JSON: o->stats_json = arg; return 0;
	default: return -EINVAL;
	}
}

/* Returns 0, SP_EXIT_OK + 100 for --help, or -1 on a usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		SP_SWARM_LONGOPTS,
		{"seed", no_argument, NULL, OPT_SEED},
		{"exit-after", required_argument, NULL, OPT_EXIT},
		{"stats-json", required_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, o->seed_cmd ? "h" : "d:h", longs, NULL)) != -1) {
		if (c == 'h')
			return 100;
		if (c == '?' || parse_opt(o, c, optarg) < 0) {
			if (c != '?')
				fprintf(stderr, _("swarmplay: bad value for an option: %s\n"),
					optarg ? optarg : "");
			return -1;
		}
	}
	int rest = argc - optind;
	if (rest != (o->seed_cmd ? 2 : 1))
		return -1;
	o->src = argv[optind];
	if (o->seed_cmd)
		o->sw.dir = argv[optind + 1];
	else if (!o->sw.dir)
		o->sw.dir = ".";
	return 0;
}

static void human_rate(double bps, char *out, size_t n)
{
	if (bps >= 1e6)
		snprintf(out, n, "%.1f MB/s", bps / 1e6);
	else
		snprintf(out, n, "%.0f kB/s", bps / 1e3);
}

static bool space_error(int code)
{
	return code == -ENOSPC || code == -EDQUOT;
}

/* What a paused download waits for, for people (translated). */
static const char *error_label(const struct sp_torrent_stats *st)
{
	return space_error(st->error_code) ? _("disk full") : st->error;
}

static const char *state_name(const struct sp_torrent_stats *st, bool seed_cmd)
{
	if (st->checking)
		return "checking";
	if (st->error[0])
		return "error";
	if (st->complete)
		return seed_cmd ? "seeding" : "complete";
	return "downloading";
}

static void show_progress(const struct sp_torrent_stats *st, bool tty, bool final)
{
	double pct = st->total_length ? 100.0 * (double)st->verified_bytes /
						(double)st->total_length
				      : 0;
	char down[32], up[32], eta[32] = "-";
	/* what we uploaded in copies of the file: a source's cost (issue 10) */
	double copies = st->total_length ? (double)st->uploaded / (double)st->total_length : 0;
	human_rate(st->down_rate, down, sizeof(down));
	human_rate(st->up_rate, up, sizeof(up));
	if (st->error[0])
		snprintf(eta, sizeof(eta), _("paused: %s"), error_label(st));
	else if (st->down_rate > 1 && !st->complete) {
		long s = (long)((double)(st->total_length - st->verified_bytes) / st->down_rate);
		snprintf(eta, sizeof(eta), "%ld:%02ld", s / 60, s % 60);
	}
	if (st->checking) {
		fprintf(stderr, "%s%s%s", tty ? "\r" : "", _("checking existing data..."),
			tty ? "" : "\n");
		return;
	}
	if (tty) {
		char bar[31];
		int fill = (int)(pct * 30 / 100);
		for (int i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[30] = 0;
		fputc('\r', stderr);
		fprintf(stderr, _("[%s] %5.1f%%  down %s  up %s (%.2f copies)  peers %d  ETA %s   "),
			bar, pct, down, up, copies, st->peers, eta);
		if (final)
			fputc('\n', stderr);
	} else {
		fprintf(stderr, _("%.1f%% down %s up %s (%.2f copies) peers %d ETA %s\n"), pct, down,
			up, copies, st->peers, eta);
	}
	fflush(stderr);
}

/* s as a JSON string (quotes, backslashes and control bytes escaped). */
static void put_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void write_stats_json(const char *path, const struct sp_torrent_stats *st,
			     const char *reachable_json, bool seed_cmd)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f,
		"{\"num_pieces\": %" PRIu32 ", \"have_pieces\": %" PRIu32
		", \"pieces_at_start\": %" PRIu32 ", \"complete\": %s"
		", \"downloaded_peers\": %" PRIu64 ", \"downloaded_webseed\": %" PRIu64
		", \"downloaded_cache\": %" PRIu64 ", \"uploaded\": %" PRIu64
		", \"wasted\": %" PRIu64 ", \"peers_seen\": %" PRIu64 ", \"relayed\": %" PRIu64
		", \"copies_sent\": %.4f, \"wasted_by\": {",
		st->num_pieces, st->have_pieces, st->pieces_at_start, st->complete ? "true" : "false",
		st->downloaded[SP_FROM_PEERS], st->downloaded[SP_FROM_WEBSEED],
		st->downloaded[SP_FROM_CACHE], st->uploaded, st->wasted, st->peers_seen, st->relayed,
		st->total_length ? (double)st->uploaded / (double)st->total_length : 0.0);
	for (int c = 0; c < SP_WASTE_COUNT; c++)
		fprintf(f, "%s\"%s\": %" PRIu64, c ? ", " : "",
			sp_waste_cause_name((enum sp_waste_cause)c), st->wasted_by[c]);
	fprintf(f, "}, \"reachable\": %s, \"state\": \"%s\", \"error\": ", reachable_json,
		state_name(st, seed_cmd));
	if (st->error[0])
		put_json_str(f, st->error);
	else
		fputs("null", f);
	fprintf(f, ", \"error_code\": %d}\n", st->error_code < 0 ? -st->error_code : 0);
	if (fclose(f) == 0)
		rename(tmp, path);
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

/* A magnet: its --peer peers join its x.pe peers, then the info
 * dictionary is fetched from them (and its trackers). */
static struct sp_metainfo *fetch_metadata(struct sp_session *s, struct sp_metainfo *mi,
					  const struct opts *o)
{
	sp_swarm_add_initial_peers(mi, &o->sw);
	fprintf(stderr, _("fetching the torrent's metadata from peers...\n"));
	struct sp_error *err = NULL;
	atomic_store(&sig_session, s);
	if (stop_flag) /* a signal came before the store */
		sp_session_cancel_fetches(s);
	struct sp_metainfo *full = sp_session_fetch_metadata(s, mi, 60000, &err);
	atomic_store(&sig_session, NULL);
	if (!full) {
		fprintf(stderr, _("swarmplay: %s\n"), sp_error_msg(err));
		sp_error_free(err);
	}
	return full;
}

/* A line when a storage error comes or goes; true to give up (a fault
 * other than a full disk that lasted STORAGE_GIVE_UP_US). */
static bool storage_state(const struct sp_torrent_stats *st, bool tty, int64_t now,
			  int64_t *since)
{
	if (!st->error[0]) {
		if (*since) {
			*since = 0;
			fprintf(stderr, _("%sstorage: writes work again, resuming\n"), tty ? "\n" : "");
		}
		return false;
	}
	if (!*since) {
		*since = now;
		fprintf(stderr, _("%sswarmplay: %s: paused, retrying by itself\n"), tty ? "\n" : "",
			st->error);
	}
	if (space_error(st->error_code) || now - *since < STORAGE_GIVE_UP_US)
		return false;
	show_progress(st, tty, true);
	fprintf(stderr, _("swarmplay: %s: giving up after %d s\n"), st->error,
		(int)(STORAGE_GIVE_UP_US / 1000000));
	return true;
}

/* Poll the stats until done; returns the exit code. */
static int watch(struct sp_session *s, struct sp_torrent *t, const struct opts *o,
		 char *reach_json, size_t reach_len)
{
	char reach_shown[256] = "", reach[256];
	bool tty = isatty(STDERR_FILENO);
	int64_t start = sp_app_now_us(), last_line = 0, err_since = 0;
	bool announced_complete = false;
	struct sp_torrent_stats st;
	char tracker_shown[sizeof(st.tracker_status)] = "";
	for (;;) {
		struct timespec ts = {0, tty ? 250000000L : 200000000L};
		nanosleep(&ts, NULL);
		sp_torrent_get_stats(t, &st);
		int64_t now = sp_app_now_us();
		if (storage_state(&st, tty, now, &err_since))
			return SP_EXIT_FAILURE;
		if (strcmp(st.tracker_status, tracker_shown)) {
			snprintf(tracker_shown, sizeof(tracker_shown), "%s", st.tracker_status);
			if (tty)
				fputc('\n', stderr);
			fprintf(stderr, _("tracker: %s\n"), st.tracker_status);
		}
		sp_swarm_reachability_line(s, reach, sizeof(reach));
		if (strcmp(reach, reach_shown)) { /* the port mapping: a line when it changes */
			snprintf(reach_shown, sizeof(reach_shown), "%s", reach);
			if (tty)
				fputc('\n', stderr);
			if (reach[0])
				fprintf(stderr, "%s\n", reach);
		}
		sp_swarm_reachability_json(s, reach_json, reach_len);
		bool finishing = st.complete && !announced_complete && !o->seed_cmd;
		if (!finishing && (tty || now - last_line >= 1000000)) {
			show_progress(&st, tty, false);
			last_line = now;
		}
		if (o->stats_json && now - last_line < 300000)
			write_stats_json(o->stats_json, &st, reach_json, o->seed_cmd);
		if (st.complete && !announced_complete && !st.checking) {
			announced_complete = true;
			if (!o->seed_cmd) {
				show_progress(&st, tty, true);
				fprintf(stderr, _("download complete: %s\n"), o->sw.dir);
			}
			if (!o->seed && !o->seed_cmd)
				return SP_EXIT_OK;
		}
		if (stop_flag)
			return st.complete || o->seed_cmd ? SP_EXIT_OK : SP_EXIT_FAILURE;
		if (o->exit_after > 0 && (double)(now - start) / 1e6 >= o->exit_after)
			return st.complete || o->seed_cmd ? SP_EXIT_OK : SP_EXIT_FAILURE;
	}
}

int sp_cmd_swarm(int argc, char **argv, bool seed_cmd)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	o.seed_cmd = seed_cmd;
	o.sw.cfg.webseed_mode = SP_WEBSEED_ALWAYS;
	int r = parse_args(argc, argv, &o);
	if (r == 100) {
		usage(stdout, seed_cmd);
		return SP_EXIT_OK;
	}
	if (r < 0) {
		usage(stderr, seed_cmd);
		return SP_EXIT_USAGE;
	}
	struct sp_error *err = NULL;
	struct sp_metainfo *mi = sp_metainfo_load(o.src, &err);
	if (!mi) {
		fprintf(stderr, _("swarmplay: %s: %s\n"), o.src, sp_error_msg(err));
		sp_error_free(err);
		return SP_EXIT_BADINPUT;
	}
	install_signals();
	sp_swarm_prepare(&o.sw, mi);
	struct sp_session *s = sp_session_new(&o.sw.cfg, &err);
	if (!s) {
		fprintf(stderr, _("swarmplay: %s\n"), sp_error_msg(err));
		sp_error_free(err);
		sp_metainfo_free(mi);
		return SP_EXIT_FAILURE;
	}
	printf(_("listening on port %u\n"), sp_session_port(s));
	fflush(stdout);
	sp_swarm_add_dht_nodes(s, &o.sw);
	if (sp_metainfo_is_magnet(mi) && !(mi = fetch_metadata(s, mi, &o))) {
		sp_session_free(s);
		return SP_EXIT_FAILURE;
	}
	struct sp_torrent *t = sp_session_add_torrent(s, mi, o.sw.dir, seed_cmd, &err);
	if (!t) {
		fprintf(stderr, _("swarmplay: %s\n"), sp_error_msg(err));
		sp_error_free(err);
		sp_session_free(s);
		return SP_EXIT_FAILURE;
	}
	sp_swarm_add_peers(t, &o.sw);
	char reach_json[512] = "\"\"";
	int code = watch(s, t, &o, reach_json, sizeof(reach_json));
	struct sp_torrent_stats st;
	sp_torrent_get_stats(t, &st);
	sp_session_free(s); /* announces stopped, saves resume */
	if (o.stats_json)
		write_stats_json(o.stats_json, &st, reach_json, seed_cmd);
	if (seed_cmd && !st.complete)
		fprintf(stderr, _("swarmplay: warning: the data in %s was incomplete (%u of %u "
				  "pieces)\n"),
			o.sw.dir, st.have_pieces, st.num_pieces);
	return code;
}

int sp_cmd_download(int argc, char **argv)
{
	return sp_cmd_swarm(argc, argv, false);
}
