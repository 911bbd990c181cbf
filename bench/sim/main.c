/* main.c - swarmplay-sim: runs the scenario table against swarmplay's
 * picker and the two baselines and prints a Markdown table (the one in
 * bench/sim/README.md), or one scenario, or the picker's cost per call on a
 * large torrent (--perf). Developer output: not translated.
 *
 *   swarmplay-sim [--scenario NAME] [--policy 0|1|2] [--seeds N] [--seed FIRST] [--perf] [--check]
 *                 [--waste] (unwanted bytes by cause under each row)
 *   swarmplay-sim --viewers [--seeds N] [--choke all|tft|vod] [--norelay]
 *                 [--handout | --handout-idle] [--playpos]
 *                 (issue 10: a source and N viewers relaying; per viewer
 *                 first frame, stalls, up/down, and the source's copies)
 *
 * Each scenario runs with N seeds from FIRST (default 50 from 100: the
 * README's table): the figures are the mean time to first frame, and sums
 * of stalls and stalled time.
 *
 * --check exits 1 if swarmplay stalls more than a baseline anywhere, or
 * stalls at all where a web seed exists (fallback or always). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "picker/picker.h"
#include "sim.h"
#include "viewers.h"

static const char *const pol_name[] = {"swarmplay", "sequential", "swarmplayer"};

/* Sums over the seeds of one scenario and policy. */
struct agg {
	double ttff, stall_s, seek_mean, seek_max, wall;
	uint32_t stalls, never, unfinished, runs, choked;
	uint64_t delivered, dup, server;
	uint64_t wasted[6];
};

static void add(struct agg *a, const struct sim_result *r)
{
	a->runs++;
	if (r->ttff_s < 0)
		a->never++;
	else
		a->ttff += r->ttff_s;
	a->stalls += r->stalls;
	a->stall_s += r->stall_s;
	a->seek_mean += r->seek_mean_s;
	if (r->seek_max_s > a->seek_max)
		a->seek_max = r->seek_max_s;
	a->wall += r->wall_ms;
	a->unfinished += !r->finished;
	a->choked += r->choked_requests > 0;
	a->delivered += r->delivered;
	a->dup += r->dup_bytes;
	a->server += r->server_bytes;
	for (int w = 0; w < 6; w++)
		a->wasted[w] += r->wasted[w];
}

static bool show_waste;

static void row(const struct sim_scenario *sc, int pol, const struct agg *a)
{
	double dup = a->delivered ? 100.0 * (double)a->dup / (double)a->delivered : 0;
	double srv = a->delivered ? 100.0 * (double)a->server / (double)a->delivered : 0;
	char ttff[32], seek[32];
	if (a->never == a->runs)
		snprintf(ttff, sizeof(ttff), "never");
	else
		snprintf(ttff, sizeof(ttff), "%.2f%s", a->ttff / (a->runs - a->never),
			 a->never ? " (some never)" : "");
	if (sc->nseeks)
		snprintf(seek, sizeof(seek), "%.2f / %.2f", a->seek_mean / a->runs, a->seek_max);
	else
		snprintf(seek, sizeof(seek), "-");
	printf("| %s | %s | %s | %u | %.1f | %s | %.2f | %.1f | %u/%u | %.0f |\n", sc->name,
	       pol_name[pol], ttff, a->stalls, a->stall_s, seek, dup, srv, a->runs - a->unfinished,
	       a->runs, a->wall / a->runs);
	if (show_waste && a->delivered) {
		printf("|   | waste %% by cause |");
		for (int w = 0; w < 6; w++)
			printf(" %s %.2f", sp_picker_waste_name((enum sp_picker_waste)w),
			       100.0 * (double)a->wasted[w] / (double)a->delivered);
		printf(" | | | | | | | |\n");
	}
}

static int only_policy = -1;
static unsigned nseeds = 50;
static long seed_base = 100;

static int run_one(struct sim_scenario *sc, bool check)
{
	struct agg a[3] = {{0}};
	int npol = sc->webseed_x > 0 ? 1 : 3;
	uint64_t seed0 = seed_base >= 0 ? (uint64_t)seed_base : sc->seed;
	for (int pol = 0; pol < npol; pol++) {
		if (only_policy >= 0 && pol != only_policy) {
			a[pol].stalls = UINT32_MAX;
			continue;
		}
		for (unsigned k = 0; k < nseeds; k++) {
			struct sim_result r;
			sc->seed = seed0 + k;
			if (sim_run(sc, pol, &r) < 0) {
				fprintf(stderr, "%s: cannot run\n", sc->name);
				return 1;
			}
			add(&a[pol], &r);
		}
		row(sc, pol, &a[pol]);
	}
	/* swarmplay stalls no more than a baseline, unless the viewer still
	 * waits less in all (first frame + every stall, issue 9): a baseline
	 * that starts later to stall less does not win */
	int bad = 0;
	for (int pol = 1; pol < npol; pol++) {
		double mine = a[0].ttff + a[0].stall_s, theirs = a[pol].ttff + a[pol].stall_s;
		if (a[pol].stalls != UINT32_MAX && a[0].stalls > a[pol].stalls && mine > theirs) {
			fprintf(stderr, "CHECK %s: swarmplay %u stalls, %.1f s of waits vs %s %u, "
				"%.1f s\n", sc->name, a[0].stalls, mine, pol_name[pol],
				a[pol].stalls, theirs);
			bad = 1;
		}
	}
	if (a[0].choked) {
		fprintf(stderr, "CHECK %s: requests to a choked peer\n", sc->name);
		bad = 1;
	}
	if (sc->webseed_x > 0 && sc->webseed_mode != 2 && a[0].stalls) {
		fprintf(stderr, "CHECK %s: stalls with a server\n", sc->name);
		bad = 1;
	}
	return check ? bad : 0;
}

/* The picker's cost on a large torrent: 100k pieces of 256 KiB, 200 peers
 * holding half of the pieces each, 50-250 kB/s, a 1 MB/s video; one call
 * every 50 ms for 20 s. lossy: every other request never arrives (the
 * sources time out and get snubbed). deep: 5 MB/s peers with 250-request
 * pipelines (25 000 requests out) and a 10 MB/s video. */
static void perf(bool lossy, bool deep)
{
	struct sp_picker_config c = {.total_length = 100000ull * 262144, .piece_length = 262144,
				     .num_pieces = 100000};
	struct sp_picker *p = sp_picker_new(&c);
	uint8_t *bits = malloc(c.num_pieces / 8);
	uint64_t x = 7;
	if (!p || !bits)
		exit(1);
	for (uint32_t id = 1; id <= 200; id++) {
		sp_picker_source_add(p, id, SP_SOURCE_PEER);
		for (uint32_t i = 0; i < c.num_pieces / 8; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			bits[i] = (uint8_t)(x >> 56);
		}
		sp_picker_source_bitfield(p, id, bits);
		sp_picker_source_choke(p, id, false, false);
		sp_picker_source_rate(p, id, deep ? 5e6 : 50000 + 1000.0 * id, 0.05);
		sp_picker_source_max_requests(p, id, 250);
	}
	double br = deep ? 1e7 : 1e6;
	struct sp_picker_action a[256];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int calls = 0;
	uint64_t acts = 0;
	for (int64_t now = 0; now < 20000000; now += 50000) {
		sp_picker_cursor_set(p, 0, 5000ull * 262144 + (uint64_t)(now * br / 1e6), br, now);
		size_t n;
		do {
			n = sp_picker_next(p, now, a, 256);
			calls++;
			acts += n;
			for (size_t i = 0; i < n; i += lossy ? 2 : 1)
				if (a[i].type == SP_ACTION_REQUEST &&
				    sp_picker_block_arrived(p, a[i].source, a[i].piece, a[i].offset,
							    now + 40000) &&
				    sp_picker_piece_ready(p, a[i].piece))
					sp_picker_have_piece(p, a[i].piece);
		} while (n == 256);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3);
	printf("perf%s: 100000 pieces, 200 peers: %d calls, %.0f us per sp_picker_next, "
	       "%llu actions, %.1f s of video buffered at the end\n",
	       lossy ? " (half the requests lost)" : deep ? " (deep pipelines)" : "", calls,
	       us / calls, (unsigned long long)acts, (double)sp_picker_buffered(p, 0) / br);
	free(bits);
	sp_picker_free(p);
}


/* The viewer swarms (issue 10): a source at 1.2 x and 2 x the bitrate,
 * viewers' uplinks at 1 x and 2 x, 4 and 8 viewers 3 s apart. Per viewer
 * (in join order) the mean first frame, stalled seconds (sum over the
 * runs) and up / down; the source's copies sent (mean). */
static int viewers_table(int choke, bool norelay, int handout, bool playpos, bool check)
{
	static const double src_x[] = {1.2, 2.0}, view_x[] = {1.0, 2.0};
	static const uint32_t nv[] = {4, 8};
	const char *only = getenv("SIM_VIEWERS_ONLY"); /* "A B C": one row, by index */
	int oa = -1, ob = -1, oc = -1;
	if (only && sscanf(only, "%d %d %d", &oa, &ob, &oc) != 3)
		oa = -1;
	static const char *const choke_name[] = {"all", "tft", "vod"};
	int bad = 0;
	printf("| source | viewers' uplink | N | choker | picker | first frame s (per viewer) | "
	       "stalled s (per viewer, sum of %u runs) | up/down | source copies |\n", nseeds);
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++)
			for (int c = 0; c < 2; c++) {
				struct sim_vswarm sc;
				if (oa >= 0 && (a != oa || b != ob || c != oc))
					continue;
				sim_vswarm_default(&sc, src_x[a], view_x[b], nv[c]);
				/* joins: SIM_JOIN_EVERY s apart (3), plus up to
				 * SIM_JOIN_JITTER s at random (0): "0 20" is
				 * bench/viewers' JOIN_SPREAD=20 */
				if (getenv("SIM_JOIN_EVERY"))
					sc.join_every_s = atof(getenv("SIM_JOIN_EVERY"));
				if (getenv("SIM_JOIN_JITTER"))
					sc.join_jitter_s = atof(getenv("SIM_JOIN_JITTER"));
				/* bench/viewers' clip: SIM_BITRATE=135371
				 * SIM_PIECE=65536; SIM_RTT in s (0.02) */
				if (getenv("SIM_BITRATE"))
					sc.bitrate = atof(getenv("SIM_BITRATE"));
				if (getenv("SIM_PIECE"))
					sc.piece_length = (uint32_t)atoi(getenv("SIM_PIECE"));
				if (getenv("SIM_RTT"))
					sc.rtt_s = atof(getenv("SIM_RTT"));
				sc.choke = choke;
				sc.picker_norelay = norelay;
				sc.source_handout = handout > 0;
				sc.handout_nospare = handout > 1;
				sc.playpos = playpos;
				double ttff[SIM_MAX_VIEWERS] = {0}, st[SIM_MAX_VIEWERS] = {0};
				double copies = 0, up = 0, down = 0;
				uint32_t unfinished = 0;
				for (unsigned k = 0; k < nseeds; k++) {
					struct sim_vresult r;
					sc.seed = (uint64_t)seed_base + k;
					int rc = sim_vswarm_run(&sc, &r);
					if (rc < 0) {
						fprintf(stderr, "swarmplay-sim: %s (SIM_PIECE a "
							"multiple of 16384 up to 16 MiB, "
							"SIM_BITRATE > 0, SIM_RTT 0-10 s)\n",
							strerror(-rc));
						return 1;
					}
					copies += r.source_copies;
					for (uint32_t i = 0; i < sc.nviewers; i++) {
						ttff[i] += r.v[i].ttff_s;
						st[i] += r.v[i].stall_s;
						up += (double)r.v[i].up;
						down += (double)r.v[i].down;
						unfinished += !r.v[i].finished;
					}
					bad |= r.choked_requests > 0 || r.invariant;
				}
				char f[256] = "", g[256] = "";
				for (uint32_t i = 0; i < sc.nviewers; i++) {
					size_t lf = strlen(f), lg = strlen(g);
					snprintf(f + lf, sizeof(f) - lf, "%s%.1f", i ? " / " : "",
						 ttff[i] / nseeds);
					snprintf(g + lg, sizeof(g) - lg, "%s%.1f", i ? " / " : "", st[i]);
				}
				printf("| %.1f x | %.0f x | %u | %s | %s | %s | %s%s | %.2f | %.2f |\n",
				       src_x[a], view_x[b], sc.nviewers, choke_name[choke],
				       norelay ? (handout ? "no relay, hand-out" : "before")
					       : playpos ? (handout ? "relay, hand-out, playpos" : "relay, playpos")
					       : (handout > 1 ? "relay, hand-out (idle)" : handout ? "relay, hand-out" : "relay"), f, g,
				       unfinished ? " (some unfinished)" : "", down > 0 ? up / down : 0,
				       copies / nseeds);
			}
	return check ? bad : 0;
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	bool check = false, do_perf = false, viewers = false, norelay = false;
	int handout = 0;
	bool playpos = false;
	int choke = SIM_VCHOKE_TFT;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed_base = atol(argv[++i]);
		else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
			nseeds = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--policy") && i + 1 < argc)
			only_policy = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--check"))
			check = true;
		else if (!strcmp(argv[i], "--waste"))
			show_waste = true;
		else if (!strcmp(argv[i], "--perf"))
			do_perf = true;
		else if (!strcmp(argv[i], "--viewers"))
			viewers = true;
		else if (!strcmp(argv[i], "--norelay"))
			norelay = true;
		else if (!strcmp(argv[i], "--handout"))
			handout = 1;
		else if (!strcmp(argv[i], "--handout-idle"))
			handout = 2;
		else if (!strcmp(argv[i], "--playpos"))
			playpos = true;
		else if (!strcmp(argv[i], "--choke") && i + 1 < argc) {
			const char *m = argv[++i];
			choke = !strcmp(m, "all") ? SIM_VCHOKE_ALL
				: !strcmp(m, "vod") ? SIM_VCHOKE_VOD : SIM_VCHOKE_TFT;
		}
		else {
			fprintf(stderr, "usage: %s [--scenario NAME] [--policy 0|1|2] [--seeds N] [--seed FIRST] [--check] [--perf] [--waste]\n", argv[0]);
			return 2;
		}
	}
	if (viewers)
		return viewers_table(choke, norelay, handout, playpos, check);
	if (do_perf) {
		perf(false, false);
		perf(true, false);
		perf(false, true);
		return 0;
	}
	printf("| scenario | picker | first frame s | stalls | stalled s | seek s mean / max "
	       "| dup %% | server %% | played | wall ms per run |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	int bad = 0;
	struct sim_scenario sc;
	for (unsigned i = 0; i < sim_scenario_count(); i++) {
		if (sim_scenario_build(i, &sc) < 0 || (only && strcmp(sc.name, only)))
			continue;
		bad |= run_one(&sc, check);
	}
	return bad;
}
