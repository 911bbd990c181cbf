/* test_sim.c - short runs of the simulator (bench/sim) as unit tests: the
 * properties a whole play-through must have, driven by the real picker.
 * Deterministic; a few hundred milliseconds in all (more under
 * sanitizers). */
#include "harness.h"
#include "picker/picker.h"
#include "sim.h"
#include "viewers.h"

static void scenario(const char *name, struct sim_scenario *sc)
{
	if (sim_scenario_find(name, sc) < 0)
		SP_FAIL("no scenario %s", name);
}

/* The property: with aggregate capacity >= 1.25 x bitrate and
 * churn, a whole play-through has no stall (ten seeds). */
SP_TEST(no_stall_at_1_25x_with_churn)
{
	struct sim_scenario sc;
	scenario("churn-1.25x", &sc);
	for (uint64_t k = 0; k < 10; k++) {
		struct sim_result r;
		sc.seed = 100 + k;
		SP_CHECK_INT(sim_run(&sc, SP_PICKER_DEADLINE, &r), 0);
		SP_CHECK(r.finished);
		SP_CHECK_UINT(r.stalls, 0);
		SP_CHECK_CMP(r.ttff_s, >, 0);
		SP_CHECK_CMP(r.ttff_s, <, 6);
		SP_CHECK_UINT(r.choked_requests, 0);
		SP_CHECK_CMP(r.max_copies, <=, 2);
	}
}

/* Every scenario, one seed: never a request to a choked peer, never more
 * than two copies of a block, duplicates a small share. */
SP_TEST(bookkeeping_in_every_scenario)
{
	struct sim_scenario sc;
	for (unsigned i = 0; i < sim_scenario_count(); i++) {
		SP_CHECK_INT(sim_scenario_build(i, &sc), 0);
		struct sim_result r;
		SP_CHECK_INT(sim_run(&sc, SP_PICKER_DEADLINE, &r), 0);
		if (r.choked_requests || r.max_copies > 2)
			SP_FAIL("%s: %llu requests to choked peers, %llu copies", sc.name,
				(unsigned long long)r.choked_requests,
				(unsigned long long)r.max_copies);
		SP_CHECK_CMP((double)r.dup_bytes, <, 0.05 * (double)r.delivered);
	}
}

/* Issue 9: on a tight swarm whose seeds commit 0.3 s of sends before a
 * CANCEL can stop them, no stall and duplicates under 1 % of what came
 * (2.5 % at 1.1 x before hedges were paid from spare capacity only); the
 * picker's invariants hold after every call. */
SP_TEST(tight_swarm_wastes_little)
{
	static const char *const names[] = {"tight-1.05x", "tight-1.1x", "tight-1.25x",
					    "tight-2x"};
	struct sim_scenario sc;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		scenario(names[i], &sc);
		sc.check_invariants = true;
		for (uint64_t k = 0; k < 3; k++) {
			struct sim_result r;
			sc.seed = 100 + k;
			SP_CHECK_INT(sim_run(&sc, SP_PICKER_DEADLINE, &r), 0);
			if (r.invariant)
				SP_FAIL("%s: invariant %d broken", names[i], r.invariant);
			SP_CHECK(r.finished);
			SP_CHECK_UINT(r.stalls, 0);
			uint64_t sum = 0;
			for (int w = 0; w < 6; w++)
				sum += r.wasted[w];
			SP_CHECK_UINT(sum, r.dup_bytes);
			if ((double)r.dup_bytes > 0.01 * (double)r.delivered)
				SP_FAIL("%s seed %llu: %llu of %llu bytes wasted", names[i],
					(unsigned long long)sc.seed, (unsigned long long)r.dup_bytes,
					(unsigned long long)r.delivered);
		}
	}
}

/* Issue 6: no stall wherever a server exists; the fallback server sends at
 * most 10 % of the bytes once the swarm has 1.5 x the bitrate. */
SP_TEST(webseed_fallback_and_always)
{
	static const char *const names[] = {"ws-0.5x-fallback", "ws-1.0x-fallback",
					    "ws-1.5x-fallback", "ws-3.0x-fallback",
					    "ws-0.5x-always", "ws-1.5x-always"};
	struct sim_scenario sc;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		scenario(names[i], &sc);
		struct sim_result r;
		SP_CHECK_INT(sim_run(&sc, SP_PICKER_DEADLINE, &r), 0);
		if (r.stalls)
			SP_FAIL("%s: %u stalls", names[i], r.stalls);
		double share = (double)r.server_bytes / (double)r.delivered;
		if (sc.webseed_mode == 0 && strstr(names[i], "1.5x") && share > 0.10)
			SP_FAIL("%s: server share %.3f", names[i], share);
		if (sc.webseed_mode == 0 && strstr(names[i], "3.0x") && share > 0.10)
			SP_FAIL("%s: server share %.3f", names[i], share);
	}
	scenario("ws-1.5x-never", &sc);
	struct sim_result r;
	SP_CHECK_INT(sim_run(&sc, SP_PICKER_DEADLINE, &r), 0);
	SP_CHECK_UINT(r.server_bytes, 0);
}

/* Against the baselines: no more stalls than either, a first frame sooner
 * than SwarmPlayer's, seeks served faster. */
SP_TEST(beats_baselines)
{
	static const char *const names[] = {"one-fast", "seek-storm", "moov-at-end"};
	struct sim_scenario sc;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		scenario(names[i], &sc);
		struct sim_result us, seq, spl;
		SP_CHECK_INT(sim_run(&sc, SP_PICKER_DEADLINE, &us), 0);
		SP_CHECK_INT(sim_run(&sc, SP_PICKER_SEQUENTIAL, &seq), 0);
		SP_CHECK_INT(sim_run(&sc, SP_PICKER_SWARMPLAYER, &spl), 0);
		SP_CHECK_CMP(us.stalls, <=, seq.stalls);
		SP_CHECK_CMP(us.stalls, <=, spl.stalls);
		SP_CHECK_CMP(us.ttff_s, <, spl.ttff_s);
		if (sc.nseeks)
			SP_CHECK_CMP(us.seek_mean_s, <, spl.seek_mean_s);
	}
}

/* Same scenario, same result: the simulator is deterministic. */
SP_TEST(deterministic)
{
	struct sim_scenario sc;
	scenario("churn", &sc);
	struct sim_result a, b;
	SP_CHECK_INT(sim_run(&sc, SP_PICKER_DEADLINE, &a), 0);
	SP_CHECK_INT(sim_run(&sc, SP_PICKER_DEADLINE, &b), 0);
	SP_CHECK_UINT(a.delivered, b.delivered);
	SP_CHECK_UINT(a.next_calls, b.next_calls);
	SP_CHECK_CMP(a.ttff_s, ==, b.ttff_s);
	SP_CHECK_CMP(a.end_s, ==, b.end_s);
}

/* Issue 10: four viewers 3 s apart behind a source at 1.2 x the bitrate
 * that serves requests as they come (no hand-out: a libtorrent seeder),
 * its connections taking turns, the viewers' uplinks at 2 x. The model
 * reproduces the measurement of the code before rule 13 (3.58
 * copies, 75-84 s of stalls per viewer); rule 13 alone does better but
 * cannot make such a source send each piece once (the hand-out does: the
 * next test). The pickers' invariants hold after every call, and nobody
 * asks a choked peer. */
SP_TEST(viewers_behind_a_plain_source)
{
	struct sim_vswarm sc;
	sim_vswarm_default(&sc, 1.2, 2.0, 4);
	sc.choke = SIM_VCHOKE_ALL;
	sc.check_invariants = true;
	for (uint64_t k = 0; k < 2; k++) {
		struct sim_vresult r, b;
		sc.seed = 100 + k;
		sc.picker_norelay = true;
		SP_CHECK_INT(sim_vswarm_run(&sc, &b), 0);
		SP_CHECK_INT(b.invariant, 0);
		SP_CHECK_CMP(b.source_copies, >, 3.3);
		for (uint32_t i = 0; i < 4; i++)
			SP_CHECK_CMP(b.v[i].stall_s, >, 50.0);
		sc.picker_norelay = false;
		SP_CHECK_INT(sim_vswarm_run(&sc, &r), 0);
		SP_CHECK_INT(r.invariant, 0);
		SP_CHECK_UINT(r.choked_requests, 0);
		for (uint32_t i = 0; i < 4; i++)
			SP_CHECK(r.v[i].finished);
		SP_CHECK_CMP(r.source_copies, <, b.source_copies - 0.2);
	}
}

/* Issue 10's goals with the source handing out (src/net/peer_up.c's rule)
 * and the VoD choker: source 1.2 x, four viewers with uplinks of 2 x:
 * no viewer stalls 0.5 s or more, the source sends at most 1.3 copies;
 * uplinks of 1 x: at most 2 copies. Without the hand-out the same swarms
 * cost 2.2-2.5 copies (bench/sim/README.md), so these bounds can fail. */
SP_TEST(viewers_source_hands_out_about_one_copy)
{
	static const double view_x[] = {2.0, 1.0}, max_copies[] = {1.3, 2.0};
	for (int c = 0; c < 2; c++)
		for (uint64_t k = 0; k < 3; k++) {
			struct sim_vswarm sc;
			struct sim_vresult r;
			sim_vswarm_default(&sc, 1.2, view_x[c], 4);
			sc.choke = SIM_VCHOKE_VOD;
			sc.source_handout = true;
			sc.check_invariants = k == 0;
			sc.seed = 100 + k;
			SP_CHECK_INT(sim_vswarm_run(&sc, &r), 0);
			SP_CHECK_INT(r.invariant, 0);
			SP_CHECK_UINT(r.choked_requests, 0);
			SP_CHECK_CMP(r.source_copies, <=, max_copies[c]);
			for (uint32_t i = 0; i < 4; i++) {
				SP_CHECK(r.v[i].finished);
				if (c == 0)
					SP_CHECK_CMP(r.v[i].stall_s, <, 0.5);
			}
		}
}

/* The same goals for eight viewers, once they tell where they play
 * (sp_playpos: the hand-out and the choker rank by it, a viewer serves
 * the request needed soonest first): source 1.2 x, uplinks of 2 x: no
 * viewer stalls 0.5 s or more, at most 1.3 copies; 1 x: at most 2
 * copies. Without sp_playpos the early viewers stall (9 s and more per
 * run for the second): checked too, so these bounds can fail. */
SP_TEST(viewers_eight_tell_where_they_play)
{
	static const double view_x[] = {2.0, 1.0}, max_copies[] = {1.3, 2.0};
	for (int c = 0; c < 2; c++)
		for (uint64_t k = 0; k < 3; k++) {
			struct sim_vswarm sc;
			struct sim_vresult r, b;
			sim_vswarm_default(&sc, 1.2, view_x[c], 8);
			sc.choke = SIM_VCHOKE_VOD;
			sc.source_handout = true;
			sc.playpos = true;
			sc.check_invariants = k == 0;
			sc.seed = 100 + k;
			SP_CHECK_INT(sim_vswarm_run(&sc, &r), 0);
			SP_CHECK_INT(r.invariant, 0);
			SP_CHECK_UINT(r.choked_requests, 0);
			SP_CHECK_CMP(r.source_copies, <=, max_copies[c]);
			for (uint32_t i = 0; i < 8; i++) {
				SP_CHECK(r.v[i].finished);
				if (c == 0)
					SP_CHECK_CMP(r.v[i].stall_s, <, 0.5);
			}
			if (c)
				continue;
			sc.playpos = false;
			sc.check_invariants = false;
			SP_CHECK_INT(sim_vswarm_run(&sc, &b), 0);
			SP_CHECK_CMP(b.v[1].stall_s, >, 0.5);
		}
}

SP_TEST_MAIN()
