/* sim.h - a deterministic discrete-event simulator of one viewer in a
 * swarm: simulated peers (rates, RTTs, churn, choking, liars), an optional
 * web seed, and a player consuming at the bitrate, driving the real picker
 * (src/picker). Same inputs and seed, same result, on any machine.
 *
 * Not thread-safe; one run at a time per thread. */
#ifndef SP_SIM_H
#define SP_SIM_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_MAX_PEERS 64
#define SIM_MAX_SEEKS 16

enum sim_liar { SIM_HONEST = 0, SIM_SILENT, SIM_CORRUPT };

struct sim_peer_spec {
	double rate_x;   /* upload rate to us, x bitrate */
	double rtt_s;
	double have;     /* fraction of pieces it has; >= 1: a seed */
	int liar;        /* enum sim_liar */
	double join_s;   /* when it connects */
};

struct sim_scenario {
	const char *name;
	const char *note;
	double bitrate;       /* bytes/s */
	double duration_s;    /* of the video */
	uint32_t piece_length;
	uint64_t seed;
	uint32_t npeers;
	struct sim_peer_spec peers[SIM_MAX_PEERS];
	double churn_life_s;  /* mean connection lifetime (0: none); a peer that
				 leaves is replaced by a like one 2 s later */
	double choke_every_s; /* mean time between a peer choking us (0: never) */
	double choke_len_s;
	double webseed_x;     /* web seed rate x bitrate (0: none) */
	double webseed_rtt_s;
	int webseed_mode;     /* 0 fallback, 1 always, 2 never */
	uint32_t nseeks;
	double seek_at_s[SIM_MAX_SEEKS];
	double seek_to[SIM_MAX_SEEKS]; /* fraction of the file */
	bool moov_at_end;     /* a second reader wants the last 1% before start */
	double start_ahead_s; /* the start rule's horizon (default 4) */
	bool give_rates;      /* tell the picker true rates (else it measures) */
	double sndbuf_s;      /* a peer commits this much of its rate ahead of
				 sending (its send buffer and the socket's, as
				 libtorrent does): a CANCEL for a committed block
				 comes too late; 0 = only the block in service */
	bool check_invariants; /* sp_picker_check() after every call (slow) */
};

struct sim_result {
	double ttff_s;        /* time to first frame (-1: never) */
	uint32_t stalls;
	double stall_s;       /* total time stalled */
	double seek_mean_s, seek_max_s; /* seek to play */
	uint64_t delivered;   /* bytes that reached us */
	uint64_t dup_bytes;   /* of which unwanted (duplicates) */
	uint64_t server_bytes;/* of which from the web seed */
	uint64_t failed_pieces;
	uint64_t timeouts;
	uint64_t choked_requests; /* requests to a choked source: must be 0 */
	uint64_t max_copies;  /* most outstanding copies seen of one block */
	double end_s;         /* simulated time when playback ended */
	bool finished;        /* played to the end within the time limit */
	double wall_ms;       /* real time the run took */
	uint64_t next_calls;
	double idle_bytes;    /* capacity unused by unchoked honest peers */
	uint64_t wasted[6];   /* dup_bytes by cause (enum sp_picker_waste) */
	uint64_t hedges, moves;
	int invariant;        /* the first picker invariant broken (0: none) */
};

/* policy: enum sp_picker_policy. Returns 0, or -EINVAL / -ENOMEM. */
int sim_run(const struct sim_scenario *sc, int policy, struct sim_result *res);

/* The scenario table (scenarios.c): build scenario i (0 <= i < count) or
 * the one named name into *sc; -ENOENT past the end or for no such name. */
unsigned sim_scenario_count(void);
int sim_scenario_build(unsigned i, struct sim_scenario *sc);
int sim_scenario_find(const char *name, struct sim_scenario *sc);
/* Build a swarm of n peers with total capacity cap_x x bitrate, RTTs
 * 20-200 ms, half seeds, half holding 60-90 %; deterministic from seed. */
void sim_make_swarm(struct sim_scenario *sc, uint32_t n, double cap_x, uint64_t seed);

#endif
