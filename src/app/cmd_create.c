/* cmd_create.c - swarmplay create INPUT -o OUT.tstream [options].
 *
 * The options of sp_create (swarmplay.h), which scans the input (a file
 * or a directory), chooses the piece size from the bitrate, hashes on all
 * cores, encodes, checks that our own parser reads the result back, and
 * writes it atomically; each video's duration is probed here with
 * libavformat (through the media module, loaded only when the input holds
 * a video: media.h). The output depends only on the input and the
 * options (no creation date unless --date). Main thread; hashing threads
 * live inside sp_create. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/cmd.h"
#include "app/clock.h"
#include "app/i18n.h"
#include "app/media.h"
#include "swarmplay/swarmplay.h"

#define MAX_URLS 64

struct create_opts {
	const char *input, *output;
	char *trackers[MAX_URLS], *web_seeds[MAX_URLS];
	size_t num_trackers, num_web_seeds;
	uint32_t piece_length;
	const char *comment, *title;
	bool private_flag, with_date, quiet;
	int threads;
};

static void usage(FILE *f)
{
	fprintf(f, _("Usage: swarmplay create INPUT -o OUT.tstream [OPTIONS]\n"
		     "Make a .tstream from a video file or a directory.\n"
		     "  -o, --output FILE     where to write the .tstream (required)\n"
		     "  -t, --tracker URL     tracker; repeat for more (the first is 'announce',\n"
		     "                        each one is its own tier in 'announce-list')\n"
		     "  -w, --web-seed URL    web seed (BEP 19 url-list); repeatable\n"
		     "  --piece-size N        piece size in bytes (K and M suffixes allowed),\n"
		     "                        a power of two from 16K to 64M; default: about\n"
		     "                        half a second of video\n"
		     "  --comment TEXT        comment\n"
		     "  --title TEXT          title (azureus_properties Content Title)\n"
		     "  --private             private torrent (BEP 27)\n"
		     "  --date                write a creation date (SOURCE_DATE_EPOCH or now)\n"
		     "  --no-date             write no creation date (the default)\n"
		     "  --threads N           hashing threads (default: all cores)\n"
		     "  -q, --quiet           no progress bar and no summary\n"));
}

static int parse_size(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	if (*end || v < (16u << 10) || v > (64u << 20) || (v & (v - 1)))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

enum { OPT_PIECE = 256, OPT_COMMENT, OPT_TITLE, OPT_PRIVATE, OPT_DATE, OPT_NODATE, OPT_THREADS };

static int apply_opt(struct create_opts *o, int c, char *arg)
{
	char *end;
	switch (c) {
	case 'o': o->output = arg; return 0;
	case 't':
		if (o->num_trackers >= MAX_URLS)
			return -EINVAL;
		o->trackers[o->num_trackers++] = arg;
		return 0;
	case 'w':
		if (o->num_web_seeds >= MAX_URLS)
			return -EINVAL;
		o->web_seeds[o->num_web_seeds++] = arg;
		return 0;
	case 'q': o->quiet = true; return 0;
	case OPT_PIECE: return parse_size(arg, &o->piece_length);
	case OPT_COMMENT: o->comment = arg; return 0;
	case OPT_TITLE: o->title = arg; return 0;
	case OPT_PRIVATE: o->private_flag = true; return 0;
	case OPT_DATE: o->with_date = true; return 0;
	case OPT_NODATE: o->with_date = false; return 0;
	case OPT_THREADS:
		o->threads = (int)strtol(arg, &end, 10);
		return *end || o->threads < 1 || o->threads > 64 ? -EINVAL : 0;
	default: return -EINVAL;
	}
}

/* 0 ok, 100 for --help, -1 usage error (already reported). */
static int parse_args(int argc, char **argv, struct create_opts *o)
{
	static const struct option longs[] = {
		{"output", required_argument, NULL, 'o'},
		{"tracker", required_argument, NULL, 't'},
		{"web-seed", required_argument, NULL, 'w'},
		{"quiet", no_argument, NULL, 'q'},
		{"piece-size", required_argument, NULL, OPT_PIECE},
		{"comment", required_argument, NULL, OPT_COMMENT},
		{"title", required_argument, NULL, OPT_TITLE},
		{"private", no_argument, NULL, OPT_PRIVATE},
		{"date", no_argument, NULL, OPT_DATE},
		{"no-date", no_argument, NULL, OPT_NODATE},
		{"threads", required_argument, NULL, OPT_THREADS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:t:w:qh", longs, NULL)) != -1) {
		if (c == 'h')
			return 100;
		if (c == '?' || apply_opt(o, c, optarg) < 0) {
			if (c != '?')
				fprintf(stderr, _("swarmplay create: bad value '%s'\n"), optarg);
			return -1;
		}
	}
	if (optind + 1 != argc || !o->output) {
		fprintf(stderr, _("swarmplay create: need one INPUT and -o OUT.tstream\n"));
		return -1;
	}
	o->input = argv[optind];
	return 0;
}

/* What the callbacks of sp_create share. */
struct create_run {
	const struct sp_media *media;
	int64_t t0; /* when hashing started */
};

static int probe(void *ctx, const char *path, double *seconds, struct sp_error **err)
{
	struct create_run *run = ctx;
	if (!run->media && !(run->media = sp_media_load(err)))
		return -ENOTSUP;
	*seconds = run->media->probe_duration(path);
	return 0;
}

static void progress_bar(void *ctx, uint64_t done, uint64_t total)
{
	struct create_run *run = ctx;
	int64_t now = sp_app_now_us();
	if (!run->t0)
		run->t0 = now;
	double secs = (double)(now - run->t0) / 1e6;
	int pct = total ? (int)(done * 100 / total) : 100, width = 30, fill = pct * width / 100;
	char bar[64];
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(width - fill));
	bar[width] = 0;
	fputc('\r', stderr);
	fprintf(stderr, _("hashing [%s] %3d%%  %.0f MiB/s "), bar, pct,
		secs > 0 ? (double)done / secs / (1 << 20) : 0.0);
	if (done == total)
		fputc('\n', stderr);
}

static int64_t creation_date(void)
{
	const char *e = getenv("SOURCE_DATE_EPOCH"); /* reproducible builds' convention */
	return e && *e ? strtoll(e, NULL, 10) : (int64_t)time(NULL);
}

static void summary(const struct create_opts *o, const struct sp_metainfo *mi, double secs)
{
	double rate = sp_metainfo_bitrate(mi, -1, NULL);
	uint64_t total = sp_metainfo_total_length(mi);
	uint32_t plen = sp_metainfo_piece_length(mi);
	printf(_("%s: info-hash %s, %zu file(s), %llu bytes, %u pieces of %u KiB\n"),
	       o->output, sp_metainfo_info_hash(mi), (size_t)sp_metainfo_num_files(mi),
	       (unsigned long long)total, sp_metainfo_num_pieces(mi), plen >> 10);
	if (rate > 0)
		printf(_("bitrate %.0f bytes/s: one piece is %.2f s of video\n"), rate,
		       plen / rate);
	printf(_("hashed in %.2f s (%.0f MiB/s)\n"), secs,
	       secs > 0 ? (double)total / secs / (1 << 20) : 0.0);
}

int sp_cmd_create(int argc, char **argv)
{
	struct create_opts o = {0};
	int a = parse_args(argc, argv, &o);
	if (a == 100) {
		usage(stdout);
		return SP_EXIT_OK;
	}
	if (a < 0) {
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	struct sp_error *err = NULL;
	struct create_run run = {0};
	double secs = 0;
	struct sp_create_config cfg = {
		.trackers = (const char *const *)o.trackers, .num_trackers = o.num_trackers,
		.web_seeds = (const char *const *)o.web_seeds, .num_web_seeds = o.num_web_seeds,
		.piece_length = o.piece_length, .comment = o.comment, .title = o.title,
		.created_by = "swarmplay " SP_VERSION, .private_flag = o.private_flag,
		.with_date = o.with_date, .date = o.with_date ? creation_date() : 0,
		.threads = o.threads, .probe_duration = probe, .ctx = &run,
		.progress = !o.quiet && isatty(STDERR_FILENO) ? progress_bar : NULL,
		.hash_seconds = &secs,
	};
	struct sp_metainfo *mi = sp_create(o.input, o.output, &cfg, &err);
	if (mi && !o.quiet)
		summary(&o, mi, secs);
	int code = sp_error_code(err);
	if (!mi)
		fprintf(stderr, _("swarmplay create: %s\n"), sp_error_msg(err));
	sp_error_free(err);
	sp_metainfo_free(mi);
	if (code == -ENOTSUP)
		return SP_EXIT_UNSUPPORTED;
	return !mi ? SP_EXIT_FAILURE : SP_EXIT_OK;
}
