/* test_episodes.c - a torrent as a playlist (src/app/episodes.c): natural
 * order, samples, --file, the file after a key or an end, the prefetch. */
#include "app/episodes.h"
#include "harness.h"

#define F(p, v)                                                                                    \
	{                                                                                          \
		p, v, false                                                                        \
	}

SP_TEST(natural_order)
{
	SP_CHECK(sp_episodes_natural_cmp("Show S01E02.mkv", "Show S01E10.mkv") < 0);
	SP_CHECK(sp_episodes_natural_cmp("Show S01E10.mkv", "Show S01E02.mkv") > 0);
	SP_CHECK(sp_episodes_natural_cmp("S02E01.mkv", "S01E10.mkv") > 0);
	SP_CHECK(sp_episodes_natural_cmp("ep9.mp4", "ep10.mp4") < 0);
	SP_CHECK(sp_episodes_natural_cmp("Ep007.mp4", "ep10.mp4") < 0); /* zeros, case */
	SP_CHECK(sp_episodes_natural_cmp("a.mkv", "A.mkv") != 0);	/* still an order */
	SP_CHECK_INT(sp_episodes_natural_cmp("x1.mkv", "x1.mkv"), 0);
	SP_CHECK(sp_episodes_natural_cmp("e1.mkv", "e01.mkv") != 0);
	SP_CHECK(sp_episodes_natural_cmp("ep", "ep1") < 0);
	SP_CHECK(sp_episodes_natural_cmp("99999999999999999999", "100000000000000000000") < 0);
}

SP_TEST(samples)
{
	SP_CHECK(sp_episodes_is_sample("Movie/Sample/movie.mkv"));
	SP_CHECK(sp_episodes_is_sample("Movie/samples/a.mkv"));
	SP_CHECK(sp_episodes_is_sample("Movie/movie-sample.mkv"));
	SP_CHECK(sp_episodes_is_sample("Movie/sample.mkv"));
	SP_CHECK(sp_episodes_is_sample("Movie/SAMPLE-movie.mkv"));
	SP_CHECK(!sp_episodes_is_sample("Movie/samplers.mkv"));
	SP_CHECK(!sp_episodes_is_sample("Movie/Resample/examples.mkv"));
	SP_CHECK(!sp_episodes_is_sample("Movie/movie.mkv"));
}

SP_TEST(build_order)
{
	struct sp_episode_file f[] = {
	    F("Show/Show S01E10.mkv", true),  F("Show/Show S01E02.mkv", true),
	    F("Show/Show S01E02.srt", false), F("Show/Sample/s.mkv", true),
	    {"Show/.pad/0", true, true},      F("Show/Show S01E01.mkv", true),
	};
	int order[8];
	SP_CHECK_INT(sp_episodes_build(f, 6, 0, -1, order, 8), 3);
	SP_CHECK_INT(order[0], 5);
	SP_CHECK_INT(order[1], 1);
	SP_CHECK_INT(order[2], 0);
	SP_CHECK_INT(sp_episodes_find(order, 3, 1), 1);
	SP_CHECK_INT(sp_episodes_find(order, 3, 3), -1);
	/* --file of a video: the whole list, starting there (the caller finds
	 * it); of a file that is no video: that file alone */
	SP_CHECK_INT(sp_episodes_build(f, 6, 0, 1, order, 8), 3);
	SP_CHECK_INT(sp_episodes_build(f, 6, 0, 2, order, 8), 1);
	SP_CHECK_INT(order[0], 2);
	/* max cuts the list (the first files of the torrent, sorted) */
	SP_CHECK_INT(sp_episodes_build(f, 6, 0, -1, order, 2), 2);
	SP_CHECK_INT(order[0], 1);
	SP_CHECK_INT(order[1], 0);
}

SP_TEST(build_no_video)
{
	struct sp_episode_file f[] = {F("a.bin", false), F("b.bin", false)};
	int order[4];
	SP_CHECK_INT(sp_episodes_build(f, 2, 1, -1, order, 4), 1);
	SP_CHECK_INT(order[0], 1);
	/* only a sample: the sample (main, the metainfo's choice) */
	struct sp_episode_file g[] = {F("x/sample.mkv", true)};
	SP_CHECK_INT(sp_episodes_build(g, 1, 0, -1, order, 4), 1);
	SP_CHECK_INT(order[0], 0);
	SP_CHECK_INT(sp_episodes_build(g, 1, -1, -1, order, 4), 0);
}

SP_TEST(after)
{
	SP_CHECK_INT(sp_episodes_after(3, 0, SP_EPISODES_END), 1);
	SP_CHECK_INT(sp_episodes_after(3, 2, SP_EPISODES_END), -1);
	SP_CHECK_INT(sp_episodes_after(3, 1, SP_EPISODES_NEXT), 2);
	SP_CHECK_INT(sp_episodes_after(3, 2, SP_EPISODES_NEXT), -1);
	SP_CHECK_INT(sp_episodes_after(3, 2, SP_EPISODES_PREV), 1);
	SP_CHECK_INT(sp_episodes_after(3, 0, SP_EPISODES_PREV), 0);
	SP_CHECK_INT(sp_episodes_after(3, 1, SP_EPISODES_QUIT), -1);
	SP_CHECK_INT(sp_episodes_after(1, 0, SP_EPISODES_END), -1);
}

SP_TEST(prefetch)
{
	SP_CHECK_CMP(sp_episodes_prefetch_lead(3, 0, 10, 100), <, 0);
	SP_CHECK_CMP(sp_episodes_prefetch_lead(3, 0, 85, 100), ==, 15);
	SP_CHECK_CMP(sp_episodes_prefetch_lead(3, 0, 101, 100), ==, 0);
	SP_CHECK_CMP(sp_episodes_prefetch_lead(3, 2, 95, 100), <, 0); /* the last */
	SP_CHECK_CMP(sp_episodes_prefetch_lead(3, 0, 95, 0), <, 0);   /* unknown */
	SP_CHECK_CMP(sp_episodes_prefetch_lead(3, 0, 100 - SP_EPISODES_PREFETCH_S, 100), ==,
		     SP_EPISODES_PREFETCH_S);
}

SP_TEST_MAIN()
