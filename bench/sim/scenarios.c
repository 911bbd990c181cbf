/* scenarios.c - the simulator's scenario table. One video: 90 s at
 * 400 kB/s (3.2 Mbit/s, 36 MB) in 128 KiB pieces, as Tribler would cut a
 * file of that size. Capacities are the sum of the peers' upload rates to
 * us, in multiples of the bitrate. Pure; any thread. */
#include "sim.h"

#include <errno.h>
#include <string.h>

#define BITRATE 400000.0
#define DURATION 90.0
#define PIECE (128 * 1024)

static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double u01(uint64_t *x)
{
	return (double)(mix(x) >> 11) / 9007199254740992.0;
}

void sim_make_swarm(struct sim_scenario *sc, uint32_t n, double cap_x, uint64_t seed)
{
	uint64_t x = seed;
	double w[SIM_MAX_PEERS], sum = 0;
	if (n > SIM_MAX_PEERS)
		n = SIM_MAX_PEERS;
	for (uint32_t i = 0; i < n; i++)
		sum += (w[i] = 0.5 + u01(&x));
	for (uint32_t i = 0; i < n; i++) {
		struct sim_peer_spec *p = &sc->peers[i];
		p->rate_x = cap_x * w[i] / sum;
		p->rtt_s = 0.02 + 0.18 * u01(&x);
		p->have = i % 2 ? 0.6 + 0.3 * u01(&x) : 1.0;
		p->liar = SIM_HONEST;
		p->join_s = 0.5 * u01(&x);
	}
	sc->npeers = n;
}

static void base(struct sim_scenario *sc, const char *name, const char *note)
{
	memset(sc, 0, sizeof(*sc));
	sc->name = name;
	sc->note = note;
	sc->bitrate = BITRATE;
	sc->duration_s = DURATION;
	sc->piece_length = PIECE;
	sc->seed = 42;
	sc->start_ahead_s = 1e6; /* Tribler: the whole rest of the file */
	sc->webseed_rtt_s = 0.08;
}

static void webseed(struct sim_scenario *sc, double p2p, int mode)
{
	sim_make_swarm(sc, 8, p2p, 11);
	sc->webseed_x = 2.0;
	sc->webseed_mode = mode;
}

static void seek_storm(struct sim_scenario *sc)
{
	static const double at[] = {12, 15, 18, 30, 33, 36, 55};
	static const double to[] = {0.5, 0.1, 0.8, 0.3, 0.31, 0.6, 0.2};
	base(sc, "seek-storm", "10 peers, 2x; 7 seeks, three in quick succession twice");
	sim_make_swarm(sc, 10, 2.0, 6);
	sc->nseeks = 7;
	memcpy(sc->seek_at_s, at, sizeof(at));
	memcpy(sc->seek_to, to, sizeof(to));
}

static void liars(struct sim_scenario *sc)
{
	base(sc, "liars", "8 peers 1.5x + one silent liar + one corrupt 0.3x peer");
	sim_make_swarm(sc, 10, 1.5, 7);
	sc->peers[8] = (struct sim_peer_spec){.rate_x = 1.0, .rtt_s = 0.03, .liar = SIM_SILENT};
	sc->peers[9] = (struct sim_peer_spec){.rate_x = 0.3, .rtt_s = 0.05, .liar = SIM_CORRUPT};
}

static const char *const ws_names[] = {
	"ws-0.5x-fallback", "ws-0.5x-always", "ws-0.5x-never",
	"ws-1.0x-fallback", "ws-1.0x-always", "ws-1.0x-never",
	"ws-1.5x-fallback", "ws-1.5x-always", "ws-1.5x-never",
	"ws-3.0x-fallback", "ws-3.0x-always", "ws-3.0x-never",
};

/* Issue 9's tight swarm: 4 seeds whose sum is a little above the bitrate,
 * 256 KiB pieces, each committing 0.3 s of its rate ahead (libtorrent's
 * send buffer and a 200 ms bounded queue at its tc class), so a CANCEL
 * saves nothing for the blocks it is about to send. */
static const char *const tight_names[] = {"tight-1.05x", "tight-1.1x", "tight-1.25x",
					  "tight-2x"};

static void tight(struct sim_scenario *sc, unsigned i)
{
	static const double cap[] = {1.05, 1.1, 1.25, 2.0};
	base(sc, tight_names[i], "4 seeds, 256 KiB pieces, a 0.3 s send buffer each");
	sim_make_swarm(sc, 4, cap[i], 21 + i);
	for (uint32_t k = 0; k < sc->npeers; k++) {
		sc->peers[k].have = 1.0;
		sc->peers[k].rtt_s = 0.01 + 0.01 * k;
	}
	sc->piece_length = 256 * 1024;
	sc->sndbuf_s = 0.3;
}

#define NTIGHT (sizeof(tight_names) / sizeof(tight_names[0]))
#define NBASIC 9

unsigned sim_scenario_count(void)
{
	return NBASIC + NTIGHT + sizeof(ws_names) / sizeof(ws_names[0]);
}

int sim_scenario_build(unsigned i, struct sim_scenario *sc)
{
	switch (i) {
	case 0:
		base(sc, "healthy", "10 peers, 3x bitrate");
		sim_make_swarm(sc, 10, 3.0, 1);
		return 0;
	case 1:
		base(sc, "cap-1.1x", "6 peers, 1.1x bitrate");
		sim_make_swarm(sc, 6, 1.1, 2);
		return 0;
	case 2:
		base(sc, "one-fast", "one 2x seed (40 ms) among 7 slow 0.05x peers (300 ms)");
		sim_make_swarm(sc, 8, 0.35, 3);
		for (uint32_t k = 1; k < 8; k++)
			sc->peers[k].rtt_s = 0.3;
		sc->peers[0] = (struct sim_peer_spec){.rate_x = 2.0, .rtt_s = 0.04, .have = 1};
		return 0;
	case 3:
		base(sc, "churn", "12 peers, 1.5x nominal, 1.13x on average: 25 s mean stay, "
				  "choked 4 s every ~20 s");
		sim_make_swarm(sc, 12, 1.5, 4);
		sc->churn_life_s = 25;
		sc->choke_every_s = 20;
		sc->choke_len_s = 4;
		return 0;
	case 4:
		/* 1.5x nominal; present 30/32.7 of the time and unchoked 30/33
		 * of that: 1.25x on average */
		base(sc, "churn-1.25x", "10 peers, 1.5x nominal, 1.25x on average: 30 s mean stay, "
					"choked 3 s every ~30 s");
		sim_make_swarm(sc, 10, 1.5, 5);
		sc->churn_life_s = 30;
		sc->choke_every_s = 30;
		sc->choke_len_s = 3;
		return 0;
	case 5:
		seek_storm(sc);
		return 0;
	case 6:
		liars(sc);
		return 0;
	case 7:
		base(sc, "moov-at-end", "10 peers, 2x; the demuxer needs the last 1% first");
		sim_make_swarm(sc, 10, 2.0, 8);
		sc->moov_at_end = true;
		return 0;
	case 8:
		base(sc, "many-slow", "60 peers, 1.5x: 10 kB/s each, 20-200 ms, with churn");
		sim_make_swarm(sc, 60, 1.5, 9);
		sc->churn_life_s = 40;
		return 0;
	}
	i -= NBASIC;
	if (i < NTIGHT) {
		tight(sc, i);
		return 0;
	}
	i -= NTIGHT;
	if (i >= sizeof(ws_names) / sizeof(ws_names[0]))
		return -ENOENT;
	static const double p2p[] = {0.5, 1.0, 1.5, 3.0};
	base(sc, ws_names[i], "8 peers + a 2x web seed (80 ms)");
	webseed(sc, p2p[i / 3], (int)(i % 3));
	return 0;
}

int sim_scenario_find(const char *name, struct sim_scenario *sc)
{
	for (unsigned i = 0; i < sim_scenario_count(); i++)
		if (sim_scenario_build(i, sc) == 0 && !strcmp(sc->name, name))
			return 0;
	return -ENOENT;
}
