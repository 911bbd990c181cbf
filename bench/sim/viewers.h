/* viewers.h - a deterministic simulator of a swarm of swarmplay viewers
 * (issue 10): one source with the whole file and a capped uplink, and N
 * viewers that join one after another, each running its own real picker
 * (src/picker) and its own player, each uploading to the others through
 * its own capped uplink. Same inputs, same result, on any machine.
 *
 * Not thread-safe; one run at a time per thread. */
#ifndef SP_SIM_VIEWERS_H
#define SP_SIM_VIEWERS_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_MAX_VIEWERS 16

/* Who a node uploads to when its uplink is shared (the choker's model). */
enum sim_vchoke {
	SIM_VCHOKE_ALL = 0,  /* everybody unchoked, requests served in order */
	SIM_VCHOKE_TFT,      /* BEP 3: the slots best at giving to us (a seed: taking
				from us), one optimistic slot rotating every 30 s */
	SIM_VCHOKE_VOD,      /* src/net/choker's VoD ranking (sp_choker_rank) */
};

struct sim_vswarm {
	const char *name;
	double bitrate;        /* bytes/s */
	double duration_s;
	uint32_t piece_length;
	uint64_t seed;
	double source_x;       /* the source's uplink, x bitrate */
	double viewer_x;       /* each viewer's uplink, x bitrate */
	uint32_t nviewers;
	double join_every_s;   /* viewer i joins at i x this */
	double join_jitter_s;  /* plus a random 0..this */
	double rtt_s;
	int choke;             /* enum sim_vchoke */
	uint32_t slots;        /* upload slots (TFT, VOD); 0: 4 */
	bool picker_norelay;   /* the picker without rule 13 (the "before") */
	bool source_handout;   /* the source hands out (src/net/peer_up.c): new
				  pieces first, a request for a piece a viewer
				  has or is being sent held HANDOUT_HOLD_S, then
				  rejected once per piece and viewer; when
				  every request waits, the one needed soonest
				  is served (spare capacity) */
	bool handout_nospare;  /* ... but idle rather than that (BEP 16) */
	bool playpos;          /* sp_playpos: every node knows where the others
				  play (src/net/playpos.c): the hand-out ranks
				  by it instead of the first gap, the choker
				  ranks the nearest behind first */
	bool check_invariants; /* sp_picker_check() after every call (slow) */
};

struct sim_viewer_result {
	double ttff_s;         /* first frame, from its join (-1: never) */
	uint32_t stalls;
	double stall_s;
	uint64_t up, down;     /* bytes it sent / received (duplicates included) */
	uint64_t from_source;  /* of down, from the source */
	bool finished;
};

struct sim_vresult {
	uint32_t nviewers;
	struct sim_viewer_result v[SIM_MAX_VIEWERS];
	uint64_t source_sent;
	double source_copies;  /* source_sent / file size */
	uint64_t dup_bytes;    /* unwanted bytes, all viewers */
	uint64_t choked_requests;
	int invariant;         /* the first picker invariant broken (0: none) */
	double end_s;
	double wall_ms;
};

int sim_vswarm_run(const struct sim_vswarm *sc, struct sim_vresult *res);
/* The swarm: 40 s at 400 kB/s in 128 KiB pieces, joins 3 s apart. */
void sim_vswarm_default(struct sim_vswarm *sc, double source_x, double viewer_x, uint32_t n);

#endif
