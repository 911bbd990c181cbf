/* main.c - swarmplay-sim: runs the scenario table against swarmplay's
 * picker and the two baselines and prints a Markdown table (the one in
 * bench/sim/README.md), or one scenario, or the picker's cost per call on a
 * large torrent (--perf). Developer output: not translated.
 *
 *   swarmplay-sim [--scenario NAME] [--policy 0|1|2] [--perf] [--check]
 *
 * --check exits 1 if swarmplay stalls more than a baseline anywhere, or
 * stalls at all where a web seed exists (fallback or always). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "picker/picker.h"
#include "sim.h"

static const char *const pol_name[] = {"swarmplay", "sequential", "swarmplayer"};

static void row(const struct sim_scenario *sc, int pol, const struct sim_result *r)
{
	double dup = r->delivered ? 100.0 * (double)r->dup_bytes / (double)r->delivered : 0;
	double srv = r->delivered ? 100.0 * (double)r->server_bytes / (double)r->delivered : 0;
	char ttff[32], seek[32];
	if (r->ttff_s < 0)
		snprintf(ttff, sizeof(ttff), "never");
	else
		snprintf(ttff, sizeof(ttff), "%.2f", r->ttff_s);
	if (sc->nseeks)
		snprintf(seek, sizeof(seek), "%.2f / %.2f", r->seek_mean_s, r->seek_max_s);
	else
		snprintf(seek, sizeof(seek), "-");
	printf("| %s | %s | %s | %u | %.1f | %s | %.2f | %.1f | %s | %.0f |\n", sc->name,
	       pol_name[pol], ttff, r->stalls, r->stall_s, seek, dup, srv,
	       r->finished ? "yes" : "NO", r->wall_ms);
}

static int only_policy = -1;

static int run_one(const struct sim_scenario *sc, bool check)
{
	struct sim_result r[3];
	int npol = sc->webseed_x > 0 ? 1 : 3;
	for (int pol = 0; pol < npol; pol++) {
		if (only_policy >= 0 && pol != only_policy) {
			r[pol] = (struct sim_result){.stalls = UINT32_MAX};
			continue;
		}
		if (sim_run(sc, pol, &r[pol]) < 0) {
			fprintf(stderr, "%s: cannot run\n", sc->name);
			return 1;
		}
		row(sc, pol, &r[pol]);
	}
	int bad = 0;
	for (int pol = 1; pol < npol; pol++)
		if (r[0].stalls > r[pol].stalls || r[0].choked_requests) {
			fprintf(stderr, "CHECK %s: swarmplay %u stalls vs %s %u\n", sc->name,
				r[0].stalls, pol_name[pol], r[pol].stalls);
			bad = 1;
		}
	if (sc->webseed_x > 0 && sc->webseed_mode != 2 && r[0].stalls) {
		fprintf(stderr, "CHECK %s: stalls with a server\n", sc->name);
		bad = 1;
	}
	return check ? bad : 0;
}

/* The picker's cost on a large torrent: 100k pieces, 200 peers. */
static void perf(void)
{
	struct sp_picker_config c = {.total_length = 100000ull * 262144, .piece_length = 262144,
				     .num_pieces = 100000};
	struct sp_picker *p = sp_picker_new(&c);
	uint8_t *bits = malloc(c.num_pieces / 8 + 1);
	uint64_t x = 7;
	for (uint32_t id = 1; id <= 200; id++) {
		sp_picker_source_add(p, id, SP_SOURCE_PEER);
		for (uint32_t i = 0; i < c.num_pieces / 8 + 1; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			bits[i] = (uint8_t)(x >> 56);
		}
		bits[c.num_pieces / 8] &= 0; /* spare bits clear (100000 % 8 == 0) */
		sp_picker_source_bitfield(p, id, bits);
		sp_picker_source_choke(p, id, false, false);
		sp_picker_source_rate(p, id, 50000 + 1000.0 * id, 0.05);
	}
	sp_picker_cursor_set(p, 0, 5000ull * 262144, 1e6, 0);
	struct sp_picker_action a[256];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int calls = 0;
	int64_t now = 0;
	uint64_t acts = 0;
	for (int k = 0; k < 400; k++, now += 50000) {
		size_t n = sp_picker_next(p, now, a, 256);
		calls++;
		acts += n;
		/* half of the requests arrive before the next tick */
		for (size_t i = 0; i < n; i += 2)
			if (a[i].type == SP_ACTION_REQUEST)
				sp_picker_block_arrived(p, a[i].source, a[i].piece, a[i].offset, now);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3);
	printf("perf: 100000 pieces, 200 peers: %d calls, %.0f us per sp_picker_next, %llu actions\n",
	       calls, us / calls, (unsigned long long)acts);
	free(bits);
	sp_picker_free(p);
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	bool check = false, do_perf = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--scenario") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--policy") && i + 1 < argc)
			only_policy = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--check"))
			check = true;
		else if (!strcmp(argv[i], "--perf"))
			do_perf = true;
		else {
			fprintf(stderr, "usage: %s [--scenario NAME] [--policy 0|1|2] [--check] [--perf]\n", argv[0]);
			return 2;
		}
	}
	if (do_perf) {
		perf();
		return 0;
	}
	printf("| scenario | picker | first frame s | stalls | stalled s | seek s mean / max "
	       "| dup %% | server %% | played | wall ms |\n");
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
