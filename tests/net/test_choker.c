/* test_choker.c - the choker's decision as a pure function
 * (src/net/choker_rank.c): properties over random inputs (only interested
 * peers, each once, at most slots + 1, deterministic), tit-for-tat's
 * order, and the VoD ranking (issue 10): peers behind us first by what
 * they forward, or by how near behind they play (sp_playpos), a newcomer
 * gets the optimistic slot, slots sized to the uplink. */
#include "harness.h"
#include "net/choker_rank.h"

static uint64_t next(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 11;
}

static bool in(const uint32_t *v, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

SP_TEST(properties_over_random_inputs)
{
	uint64_t x = 42;
	for (int run = 0; run < 2000; run++) {
		struct sp_choker_cand c[40];
		size_t n = next(&x) % 40;
		for (size_t i = 0; i < n; i++)
			c[i] = (struct sp_choker_cand){
				.id = (uint32_t)i + 1, .interested = next(&x) % 4 != 0,
				.unchoked = next(&x) % 2, .snubbed = next(&x) % 5 == 0,
				.behind = next(&x) % 2, .down_rate = (double)(next(&x) % 1000),
				.up_rate = (double)(next(&x) % 1000),
				.forwarded = (double)(next(&x) % 50), .age_s = (double)(next(&x) % 60)};
		struct sp_choker_in ci = {.seeding = next(&x) % 2, .vod = next(&x) % 2,
					  .rotate = next(&x) % 3 == 0, .slots = (uint32_t)(next(&x) % 6),
					  .uplink = (double)(next(&x) % 2000000),
					  .bitrate = 400000, .random = next(&x)};
		uint32_t out[64], opt = n ? (uint32_t)(next(&x) % (n + 1)) : 0;
		uint32_t out2[64], opt2 = opt;
		size_t k = sp_choker_rank(&ci, c, n, out, &opt);
		size_t k2 = sp_choker_rank(&ci, c, n, out2, &opt2);
		SP_CHECK_UINT(k, k2);
		SP_CHECK_UINT(opt, opt2);
		SP_CHECK_CMP(k, <=, (size_t)sp_choker_slots(&ci) + 1);
		size_t interested = 0;
		for (size_t i = 0; i < n; i++)
			interested += c[i].interested;
		/* every slot is used while there are takers */
		size_t want = interested < sp_choker_slots(&ci) + 1 ? interested
								   : sp_choker_slots(&ci) + 1;
		SP_CHECK_UINT(k, want);
		for (size_t i = 0; i < k; i++) {
			SP_CHECK(out[i] >= 1 && out[i] <= n);
			SP_CHECK(c[out[i] - 1].interested);
			SP_CHECK(!in(out + i + 1, k - i - 1, out[i]));
			SP_CHECK_UINT(out[i], out2[i]);
		}
		if (opt)
			SP_CHECK(in(out, k, opt));
	}
}

SP_TEST(tit_for_tat_ranks_by_what_they_give)
{
	struct sp_choker_cand c[6];
	for (uint32_t i = 0; i < 6; i++)
		c[i] = (struct sp_choker_cand){.id = i + 1, .interested = true,
					       .down_rate = 100.0 * i, .up_rate = 600.0 - 100 * i};
	struct sp_choker_in ci = {.slots = 3, .rotate = true, .random = 0};
	uint32_t out[8], opt = 0;
	size_t k = sp_choker_rank(&ci, c, 6, out, &opt);
	SP_CHECK_UINT(k, 4);
	SP_CHECK_UINT(out[0], 6);
	SP_CHECK_UINT(out[1], 5);
	SP_CHECK_UINT(out[2], 4);
	SP_CHECK(opt >= 1 && opt <= 3);
	ci.seeding = true; /* a seed: by what they take */
	k = sp_choker_rank(&ci, c, 6, out, &opt);
	SP_CHECK_UINT(out[0], 1);
	SP_CHECK_UINT(out[1], 2);
}

SP_TEST(lan_peers_first_in_both_rankings)
{
	/* the kiosk (LSD on): a slow screen on the local network before the
	 * fastest stranger, in tit-for-tat, seeding and the VoD ranking */
	struct sp_choker_cand c[5];
	for (uint32_t i = 0; i < 5; i++)
		c[i] = (struct sp_choker_cand){.id = i + 1, .interested = true, .behind = true,
					       .down_rate = 100.0 * i, .up_rate = 100.0 * i,
					       .forwarded = (double)i, .lan = i == 0};
	for (int mode = 0; mode < 3; mode++) {
		struct sp_choker_in ci = {.slots = 2, .seeding = mode == 1, .vod = mode == 2,
					  .bitrate = 400000};
		uint32_t out[8], opt = 0;
		size_t k = sp_choker_rank(&ci, c, 5, out, &opt);
		SP_CHECK(k >= 2);
		SP_CHECK_UINT(out[0], 1);
		SP_CHECK_UINT(out[1], 5);
	}
}

SP_TEST(vod_serves_those_behind_by_what_they_forward)
{
	/* 1-3 are ahead of us and give us much; 4-6 are behind and give
	 * nothing, 5 forwards the most */
	struct sp_choker_cand c[6];
	for (uint32_t i = 0; i < 6; i++)
		c[i] = (struct sp_choker_cand){.id = i + 1, .interested = true, .behind = i >= 3,
					       .down_rate = i < 3 ? 1e6 : 0, .age_s = 100};
	c[3].forwarded = 2;
	c[4].forwarded = 9;
	c[5].forwarded = 5;
	struct sp_choker_in ci = {.vod = true, .slots = 2, .rotate = true, .random = 7};
	uint32_t out[8], opt = 0;
	size_t k = sp_choker_rank(&ci, c, 6, out, &opt);
	SP_CHECK_UINT(k, 3);
	SP_CHECK_UINT(out[0], 5);
	SP_CHECK_UINT(out[1], 6);
	/* tit-for-tat would have served the peers ahead of us instead */
	ci.vod = false;
	k = sp_choker_rank(&ci, c, 6, out, &opt);
	SP_CHECK(out[0] <= 3 && out[1] <= 3);
}

SP_TEST(vod_nearest_behind_in_playback_first)
{
	/* sp_playpos (issue 10): 2-5 play behind us, 8, 3, 20 and 12 s; 5
	 * forwards the most, 1 is behind in pieces only (lag unknown). The
	 * nearest behind come first, whatever they forward; then the one
	 * whose lag is unknown by what it forwards */
	static const double lag[] = {0, 8, 3, 20, 12};
	struct sp_choker_cand c[5];
	for (uint32_t i = 0; i < 5; i++)
		c[i] = (struct sp_choker_cand){.id = i + 1, .interested = true, .behind = true,
					       .lag_s = lag[i], .age_s = 100};
	c[0].forwarded = 50;
	c[4].forwarded = 40;
	struct sp_choker_in ci = {.vod = true, .slots = 4, .rotate = true, .random = 1};
	uint32_t out[8], opt = 0;
	size_t k = sp_choker_rank(&ci, c, 5, out, &opt);
	SP_CHECK_UINT(k, 5);
	SP_CHECK_UINT(out[0], 3);
	SP_CHECK_UINT(out[1], 2);
	SP_CHECK_UINT(out[2], 5);
	SP_CHECK_UINT(out[3], 4);
	SP_CHECK_UINT(opt, 1);
	/* a peer ahead of us (not behind) never outranks those behind */
	c[1].behind = false;
	c[1].down_rate = 1e9;
	k = sp_choker_rank(&ci, c, 5, out, &opt);
	SP_CHECK_UINT(out[0], 3);
	SP_CHECK_UINT(out[1], 5);
}

SP_TEST(vod_newcomer_gets_the_optimistic_slot_at_once)
{
	struct sp_choker_cand c[5];
	for (uint32_t i = 0; i < 5; i++)
		c[i] = (struct sp_choker_cand){.id = i + 1, .interested = true, .behind = true,
					       .forwarded = 10.0 - i, .age_s = 100};
	c[4].age_s = 1; /* just connected, forwarded least */
	struct sp_choker_in ci = {.vod = true, .slots = 2};
	uint32_t out[8], opt = 3; /* an old optimistic, not due to rotate */
	for (uint64_t r = 0; r < 20; r++) {
		ci.random = r;
		opt = 3;
		sp_choker_rank(&ci, c, 5, out, &opt);
		/* kept: no rotation asked for */
		SP_CHECK_UINT(opt, 3);
		ci.rotate = true;
		opt = 3;
		sp_choker_rank(&ci, c, 5, out, &opt);
		SP_CHECK_UINT(opt, 5);
		ci.rotate = false;
	}
}

/* Give-to-Get over random inputs: a regular slot goes to a peer that is
 * not behind us (a free-rider, or a peer ahead) only when every
 * interested peer behind us has one (spare capacity); among those behind,
 * one that forwards more is never left out for one that forwards less. */
SP_TEST(vod_free_riders_only_from_spare_slots)
{
	uint64_t x = 7;
	for (int run = 0; run < 2000; run++) {
		struct sp_choker_cand c[40];
		size_t n = next(&x) % 40;
		for (size_t i = 0; i < n; i++)
			c[i] = (struct sp_choker_cand){
				.id = (uint32_t)i + 1, .interested = next(&x) % 4 != 0,
				.snubbed = next(&x) % 5 == 0, .behind = next(&x) % 2,
				.down_rate = (double)(next(&x) % 1000),
				.forwarded = (double)(next(&x) % 20), .age_s = (double)(next(&x) % 60)};
		struct sp_choker_in ci = {.vod = true, .seeding = next(&x) % 2,
					  .rotate = next(&x) % 2, .uplink = (double)(next(&x) % 3000000),
					  .bitrate = 400000, .random = next(&x)};
		uint32_t out[64], opt = 0;
		size_t k = sp_choker_rank(&ci, c, n, out, &opt);
		uint32_t reg[64];
		size_t nreg = 0;
		for (size_t i = 0; i < k; i++)
			if (out[i] != opt)
				reg[nreg++] = out[i];
		bool rider = false;
		for (size_t i = 0; i < nreg; i++)
			rider |= !c[reg[i] - 1].behind;
		for (size_t i = 0; i < n; i++) {
			if (!c[i].interested || !c[i].behind || in(reg, nreg, c[i].id))
				continue;
			SP_CHECK(!rider); /* a behind peer left out: no free-rider in */
			for (size_t j = 0; j < nreg; j++)
				if (c[reg[j] - 1].behind)
					SP_CHECK_CMP(c[reg[j] - 1].forwarded, >=, c[i].forwarded);
		}
	}
}

SP_TEST(vod_slots_follow_the_uplink)
{
	struct sp_choker_in ci = {.vod = true, .bitrate = 400000};
	ci.uplink = 400000; /* 1 x: two slots of half the bitrate */
	SP_CHECK_UINT(sp_choker_slots(&ci), 2);
	ci.uplink = 1600000;
	SP_CHECK_UINT(sp_choker_slots(&ci), 8);
	ci.uplink = 1e9;
	SP_CHECK_UINT(sp_choker_slots(&ci), SP_CHOKER_MAX_SLOTS);
	ci.uplink = 0; /* unknown */
	SP_CHECK_UINT(sp_choker_slots(&ci), 4);
	ci.slots = 3; /* the user's setting wins */
	SP_CHECK_UINT(sp_choker_slots(&ci), 3);
}

SP_TEST_MAIN()
