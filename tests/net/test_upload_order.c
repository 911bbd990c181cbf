/* test_upload_order.c - the order of a viewer's uploads as pure functions
 * (src/net/upload_order.c, issue 10): properties over random keys (the
 * lowest key is served, held only while another peer's is needed more
 * than the slack sooner, never while the uplink idles) and the key's
 * rule: a piece another viewer has comes after one only we have, and
 * which viewers count as "another" (the chain). */
#include "harness.h"
#include "net/upload_order.h"

static uint64_t next(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 11;
}

SP_TEST(pick_properties_over_random_keys)
{
	uint64_t x = 7;
	for (int run = 0; run < 5000; run++) {
		uint32_t keys[64];
		size_t n = next(&x) % 64;
		for (size_t i = 0; i < n; i++)
			keys[i] = (uint32_t)(next(&x) % 40);
		uint32_t min_key = (uint32_t)(next(&x) % 40);
		bool spare = next(&x) % 4 == 0;
		ssize_t k = sp_upload_pick(keys, n, min_key, spare);
		if (!n) {
			SP_CHECK_INT(k, -1);
			continue;
		}
		uint32_t lo = keys[0];
		size_t first = 0;
		for (size_t i = 1; i < n; i++)
			if (keys[i] < lo) {
				lo = keys[i];
				first = i;
			}
		if (spare || lo <= min_key + SP_URGENT_SLACK) {
			SP_CHECK_INT(k, (ssize_t)first); /* the lowest, the first of equals */
		} else {
			SP_CHECK_INT(k, -1); /* another's needed sooner goes first */
		}
	}
}

SP_TEST(what_only_we_have_goes_first)
{
	/* the viewer right behind us asks a piece only we have, 5 pieces
	 * past where it plays; one far behind asks a piece the first has,
	 * 1 piece past where it plays: ours goes first */
	uint32_t near = sp_upload_key(5, false), far = sp_upload_key(1, true);
	SP_CHECK_CMP(near, <, far);
	uint32_t keys[2] = {far, near};
	SP_CHECK_INT(sp_upload_pick(keys, 2, near, false), 1);
	/* ... and the far one waits while the near one's is queued */
	uint32_t fk[1] = {far};
	SP_CHECK_INT(sp_upload_pick(fk, 1, near, false), -1);
	SP_CHECK_INT(sp_upload_pick(fk, 1, near, true), 0); /* the uplink idles */
	/* equal elsewhere: by distance; the key saturates */
	SP_CHECK_CMP(sp_upload_key(2, true), <, sp_upload_key(3, true));
	SP_CHECK_INT(sp_upload_key(UINT32_MAX - 1, true), UINT32_MAX);
	SP_CHECK_INT(sp_upload_key(9, false), 9);
}

/* a viewer waiting for its first start needs its pieces
 * SP_URGENT_STARTING_S of its stream later: 2 s of 135 kB/s in 64 KiB
 * pieces is 5 pieces (rounded up), 2 at least, bounded for a huge rate */
SP_TEST(a_viewer_still_starting_waits_behind_those_playing)
{
	SP_CHECK_INT(sp_upload_starting_pieces(135371, 65536), 5);
	SP_CHECK_INT(sp_upload_starting_pieces(65536, 65536), 2);
	SP_CHECK_INT(sp_upload_starting_pieces(1000, 1 << 20), 2);
	SP_CHECK_INT(sp_upload_starting_pieces(0, 65536), 2);
	SP_CHECK_INT(sp_upload_starting_pieces(400000, 0), 2);
	SP_CHECK_INT(sp_upload_starting_pieces(UINT32_MAX, 1), 1000000);
	/* a playing viewer's next piece 2 past its position goes before a
	 * newcomer's first piece, as far as the order is concerned */
	uint32_t keys[2] = {sp_upload_key(0 + sp_upload_starting_pieces(135371, 65536), false),
			    sp_upload_key(2, false)};
	SP_CHECK_INT(sp_upload_pick(keys, 2, 2, false), 1);
}

/* A request held a second while "elsewhere" is refused, once per piece */
SP_TEST(a_request_held_long_elsewhere_is_refused_once)
{
	SP_CHECK(sp_upload_refuse(SP_URGENT_HOLD_US, true, false));
	SP_CHECK(sp_upload_refuse(5 * SP_URGENT_HOLD_US, true, false));
	SP_CHECK(!sp_upload_refuse(SP_URGENT_HOLD_US - 1, true, false)); /* not yet */
	SP_CHECK(!sp_upload_refuse(5 * SP_URGENT_HOLD_US, false, false)); /* only we have it */
	SP_CHECK(!sp_upload_refuse(5 * SP_URGENT_HOLD_US, true, true));   /* asked again */
}

/* A seed's new piece goes to one viewer: the one that needs it soonest,
 * or of two about level, the one that asked first */
SP_TEST(a_handed_out_piece_is_kept_for_the_viewer_nearest_it)
{
	static const struct {
		uint32_t asker, other;
		bool other_first, kept;
	} cases[] = {
		{5, 1, false, true},   /* the other needs it much sooner */
		{5, 1, true, true},
		{3, 1, false, true},   /* two pieces sooner: more than the slack */
		{2, 1, false, false},  /* about level, the asker came first: its own */
		{2, 1, true, true},    /* about level, the other asked first */
		{1, 1, true, true},
		{1, 1, false, false},
		{1, 2, true, true},    /* the other a piece later, but first */
		{1, 3, true, false},   /* the asker needs it sooner */
		{0, 9, true, false},
		{UINT32_MAX, UINT32_MAX - 1, false, false},
		{UINT32_MAX, 0, false, true},
		{0, UINT32_MAX, true, false}, /* no wrap-around */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool kept = sp_upload_kept(cases[i].asker, cases[i].other, cases[i].other_first);
		if (kept != cases[i].kept)
			SP_FAIL("case %zu: asker %u, other %u, other first %d: %d", i,
				 cases[i].asker, cases[i].other, cases[i].other_first, kept);
	}
}

/* Who else could serve a viewer at 10, we at 20 (N: not known) */
SP_TEST(the_viewer_nearest_ahead_feeds_the_one_behind_it)
{
	const uint32_t N = SP_UPLOAD_NOWHERE;
	static const struct {
		uint32_t asker, other, us;
		bool alt;
	} cases[] = {
		{10, 30, 20, false}, /* beyond us: its uplink is for those between */
		{10, 21, 20, false},
		{10, 20, 20, true},  /* level with us: either */
		{10, 15, 20, true},  /* between us and the asker: nearer than we */
		{10, 10, 20, true},
		{10, 9, 20, false},  /* behind the asker: never trusted by it */
		{10, 5, N, false},
		{10, 30, N, true},   /* we play nothing (a seed): anyone ahead */
		{10, 30, 5, true},   /* we play behind the asker */
		{10, 30, 10, false}, /* level with the asker, it is still ours */
		{10, N, 20, true},   /* a viewer that does not say where it plays */
		{N, N, N, true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool alt = sp_upload_alternative(cases[i].asker, cases[i].other, cases[i].us);
		if (alt != cases[i].alt)
			SP_FAIL("case %zu: asker %u, other %u, us %u: %d", i, cases[i].asker,
				 cases[i].other, cases[i].us, alt);
	}
	/* a piece we are sending a viewer counts as one it has only while it
	 * plays between the asker and us */
	SP_CHECK(sp_upload_between(10, 15, 20));
	SP_CHECK(sp_upload_between(10, 10, 20));
	SP_CHECK(sp_upload_between(10, 20, 20));
	SP_CHECK(!sp_upload_between(10, 21, 20)); /* beyond us */
	SP_CHECK(!sp_upload_between(10, 9, 20));  /* behind the asker */
	SP_CHECK(!sp_upload_between(10, 15, 5));  /* we play behind the asker */
	SP_CHECK(!sp_upload_between(10, 15, N));
	SP_CHECK(!sp_upload_between(10, N, 20));
	SP_CHECK(!sp_upload_between(N, 15, 20));
	/* a chain of four at 40, 30, 20, 10: the last one's request is to
	 * be had elsewhere on each viewer ahead of it but the one right
	 * ahead */
	uint32_t at[4] = {40, 30, 20, 10};
	for (int u = 0; u < 3; u++) {
		bool any = false;
		for (int q = 0; q < 3; q++)
			if (q != u)
				any |= sp_upload_alternative(at[3], at[q], at[u]);
		SP_CHECK_INT(any, u != 2);
	}
}

SP_TEST_MAIN()
