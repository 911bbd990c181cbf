/* test_picker.c - the picker's properties, deterministic: bookkeeping,
 * choke, hedging budget, seeks, fastest sources for urgent blocks, web
 * seed modes, timeouts, pipelines. Pure; runs under sanitizers. */
#include "harness.h"
#include "picker/picker.h"
#include "picker/picker_int.h" /* white-box checks of the rarity order */
#include <string.h>

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
	SP_CHECK_INT(sp_picker_check(p), 0);
	size_t n = sp_picker_next(p, now, a, max);
	SP_CHECK_INT(sp_picker_check(p), 0);
	return n;
}

/* The requests the test believes outstanding, from the actions. */
#define MAXOUT 4096
struct track {
	struct sp_picker_action r[MAXOUT];
	size_t n;
	uint64_t req_bytes, cancels;
	/* requests the test dropped itself (arrived, rejected...): a CANCEL
	 * the picker decided just before may still name them */
	struct sp_picker_action gone[256];
	size_t ngone;
};

static bool same_req(const struct sp_picker_action *a, const struct sp_picker_action *b)
{
	return a->source == b->source && a->piece == b->piece && a->offset == b->offset;
}

static bool was_gone(struct track *t, const struct sp_picker_action *a)
{
	for (size_t g = 0; g < t->ngone && g < 256; g++)
		if (same_req(&t->gone[g], a)) {
			t->gone[g].source = UINT32_MAX;
			return true;
		}
	return false;
}

static void track_apply(struct track *t, const struct sp_picker_action *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].type == SP_ACTION_REQUEST) {
			SP_CHECK(t->n < MAXOUT);
			t->r[t->n++] = a[i];
			t->req_bytes += a[i].length;
			continue;
		}
		t->cancels++;
		size_t k = 0;
		while (k < t->n && !same_req(&t->r[k], &a[i]))
			k++;
		if (k == t->n && was_gone(t, &a[i]))
			continue;
		if (k == t->n)
			SP_FAIL("cancel of a request never made: src %u piece %u off %u", a[i].source,
				a[i].piece, a[i].offset);
		t->r[k] = t->r[--t->n];
	}
}

/* Drop the tracked request k (it arrived, or its source went away). */
static void track_drop(struct track *t, size_t k)
{
	t->gone[t->ngone++ % 256] = t->r[k];
	t->r[k] = t->r[--t->n];
}

static size_t step(struct sp_picker *p, struct track *t, int64_t now)
{
	struct sp_picker_action a[256];
	size_t n, total = 0;
	do {
		n = next(p, now, a, 256);
		track_apply(t, a, n);
		total += n;
	} while (n == 256);
	return total;
}

static unsigned copies(const struct track *t, uint32_t piece, uint32_t off)
{
	unsigned c = 0;
	for (size_t k = 0; k < t->n; k++)
		c += t->r[k].piece == piece && t->r[k].offset == off;
	return c;
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


SP_TEST(no_request_to_choked_peer)
{
	struct sp_picker *p = mk(40, 0, 0);
	struct track t = {0};
	sp_picker_source_add(p, 1, SP_SOURCE_PEER);
	sp_picker_source_have_all(p, 1);
	sp_picker_cursor_set(p, 0, 0, 200000, 0);
	SP_CHECK_UINT(step(p, &t, 0), 0); /* a new source is choked */
	sp_picker_source_choke(p, 1, false, false);
	SP_CHECK_CMP(step(p, &t, 1000), >, 0);
	sp_picker_source_choke(p, 1, true, true);
	SP_CHECK_UINT(sp_picker_source_outstanding(p, 1), 0);
	t.n = 0; /* BEP 3: a choke drops them on both sides */
	for (int64_t now = 2000; now < 3 * SEC; now += 50 * MS)
		SP_CHECK_UINT(step(p, &t, now), 0);
	/* fast extension: requests kept until rejected one by one */
	sp_picker_source_choke(p, 1, false, false);
	SP_CHECK_CMP(step(p, &t, 4 * SEC), >, 0);
	uint32_t before = sp_picker_source_outstanding(p, 1);
	sp_picker_source_choke(p, 1, true, false);
	SP_CHECK_UINT(sp_picker_source_outstanding(p, 1), before);
	SP_CHECK_UINT(step(p, &t, 4 * SEC + 10), 0);
	sp_picker_block_rejected(p, 1, t.r[0].piece, t.r[0].offset);
	SP_CHECK_UINT(sp_picker_source_outstanding(p, 1), before - 1);
	sp_picker_free(p);
}

/* Urgent blocks go to the source expected soonest; the slow one gets
 * later blocks (or nothing urgent). */
SP_TEST(urgent_blocks_go_to_fastest)
{
	struct sp_picker *p = mk(200, 0, 0);
	struct track t = {0};
	seed(p, 1, 20000, 0.3);   /* slow, far away */
	seed(p, 2, 2000000, 0.02); /* fast, near */
	seed(p, 3, 15000, 0.2);
	sp_picker_cursor_set(p, 0, 0, 400000, 0);
	step(p, &t, 0);
	/* the first two pieces: all from the fast one */
	for (size_t k = 0; k < t.n; k++)
		if (t.r[k].piece < 2)
			SP_CHECK_UINT(t.r[k].source, 2);
	SP_CHECK_UINT(copies(&t, 0, 0) + copies(&t, 0, SP_PICKER_BLOCK), 2);
	/* slow sources got something, but only later pieces */
	uint32_t min_slow = UINT32_MAX;
	for (size_t k = 0; k < t.n; k++)
		if (t.r[k].source != 2 && t.r[k].piece < min_slow)
			min_slow = t.r[k].piece;
	SP_CHECK_CMP(min_slow, >=, 2);
	sp_picker_free(p);
}

/* A driven download with slow and stuck peers: duplicates stay within the
 * hedge budget and never exceed two copies of a block. */
SP_TEST(duplicates_within_budget)
{
	struct sp_picker_config c = {.total_length = 300 * PLEN, .piece_length = PLEN,
				     .num_pieces = 300, .hedge_budget = 0.02};
	struct sp_picker *p = sp_picker_new(&c);
	struct track t = {0};
	double rates[4] = {300000, 30000, 10000, 0}; /* the last never answers */
	for (uint32_t i = 0; i < 4; i++)
		seed(p, i + 1, 0, 0);
	sp_picker_cursor_set(p, 0, 0, 250000, 0);
	double credit[4] = {0};
	uint64_t got = 0;
	for (int64_t now = 0; now < 60 * SEC && !sp_picker_complete(p); now += 20 * MS) {
		step(p, &t, now);
		for (size_t k = 0; k < t.n; k++)
			SP_CHECK_CMP(copies(&t, t.r[k].piece, t.r[k].offset), <=, 2);
		/* each source delivers its oldest request as its rate allows */
		for (uint32_t i = 0; i < 4; i++) {
			credit[i] += rates[i] * 0.02;
			for (size_t k = 0; k < t.n && credit[i] >= SP_PICKER_BLOCK; k++) {
				if (t.r[k].source != i + 1)
					continue;
				struct sp_picker_action a = t.r[k];
				track_drop(&t, k);
				credit[i] -= SP_PICKER_BLOCK;
				if (sp_picker_block_arrived(p, a.source, a.piece, a.offset, now))
					got += a.length;
				if (sp_picker_piece_ready(p, a.piece))
					sp_picker_have_piece(p, a.piece);
				k = (size_t)-1; /* restart: the order changed */
			}
		}
		sp_picker_cursor_set(p, 0, (uint64_t)(now / 1e6 * 250000), 250000, now);
	}
	SP_CHECK(sp_picker_complete(p));
	struct sp_picker_stats st;
	sp_picker_get_stats(p, &st);
	SP_CHECK_UINT(st.received_bytes, c.total_length);
	SP_CHECK_CMP(st.hedges, >, 0); /* the stuck source was hedged or moved */
	SP_CHECK_CMP(st.timeouts, >, 0);
	/* duplicates asked: within budget x received + the 256 KiB floor */
	double dup_req = (double)st.requested_bytes - (double)c.total_length -
			 (double)(st.cancels * SP_PICKER_BLOCK);
	SP_CHECK_CMP((double)st.hedges * SP_PICKER_BLOCK, <=, 0.02 * (double)got + 262144);
	SP_CHECK_CMP(st.duplicate_bytes, <=, 0.02 * (double)got + 262144);
	(void)dup_req;
	sp_picker_free(p);
}

/* Plays a 40-piece file at bitrate with measured sources delivering their
 * requests in order at the given rates (the second slowing down after
 * 3 s); the picker's stats at the end. */
static void drive_measured(const double *rates, uint32_t n, double bitrate,
			   struct sp_picker_stats *st)
{
	struct sp_picker_config c = {.total_length = 40 * PLEN, .piece_length = PLEN,
				     .num_pieces = 40};
	struct sp_picker *p = sp_picker_new(&c);
	struct track t = {0};
	double credit[8] = {0};
	for (uint32_t i = 0; i < n; i++)
		seed(p, i + 1, rates[i], 0.02);
	sp_picker_cursor_set(p, 0, 0, bitrate, 0);
	for (int64_t now = 0; now < 120 * SEC && !sp_picker_complete(p); now += 20 * MS) {
		step(p, &t, now);
		for (uint32_t i = 0; i < n; i++) {
			/* the second source slows to a tenth after 3 s, its
			 * reported rate unchanged: its queue turns late */
			credit[i] += rates[i] * 0.02 * (i == 1 && now > 3 * SEC ? 0.1 : 1);
			for (size_t k = 0; k < t.n && credit[i] >= SP_PICKER_BLOCK; k++) {
				if (t.r[k].source != i + 1)
					continue;
				struct sp_picker_action a = t.r[k];
				track_drop(&t, k);
				credit[i] -= SP_PICKER_BLOCK;
				sp_picker_block_arrived(p, a.source, a.piece, a.offset, now);
				if (sp_picker_piece_ready(p, a.piece))
					sp_picker_have_piece(p, a.piece);
				k = (size_t)-1;
			}
		}
		uint64_t pos = (uint64_t)((double)now / 1e6 * bitrate);
		sp_picker_cursor_set(p, 0, pos < c.total_length ? pos : c.total_length - 1, bitrate,
				     now);
	}
	SP_CHECK(sp_picker_complete(p));
	sp_picker_get_stats(p, st);
	sp_picker_free(p);
}

/* Issue 9: on a tight swarm (the measured peers bring 1.1 x the bitrate)
 * a block a slow peer will bring late is not asked twice: a copy would
 * take a block's time from a distinct block. With spare capacity the same
 * late block is rescued (moved or hedged). */
SP_TEST(no_duplicate_on_a_tight_swarm)
{
	const double bitrate = 250000;
	double tight[3] = {150000, 100000, 25000}; /* 1.1 x */
	struct sp_picker_stats st;
	drive_measured(tight, 3, bitrate, &st);
	SP_CHECK_UINT(st.hedges, 0);
	SP_CHECK_UINT(st.duplicate_bytes, 0);
	double spare[3] = {600000, 100000, 25000}; /* 2.9 x */
	drive_measured(spare, 3, bitrate, &st);
	SP_CHECK_CMP(st.hedges + st.moves, >, 0);
}

/* Every wasted byte has a cause, and the causes add up to the duplicates
 * plus the failed pieces. A block that comes after its cancel teaches the
 * picker its source's committed depth. */
SP_TEST(waste_by_cause)
{
	struct sp_picker *p = mk(40, 0, 0);
	struct track t = {0};
	seed(p, 1, 1e6, 0.01);
	sp_picker_cursor_set(p, 0, 0, 100000, 0);
	step(p, &t, 0);
	SP_CHECK_CMP(t.n, >=, 3);
	/* a seek away cancels what is out; the third request comes anyway */
	struct sp_picker_action late = t.r[2];
	sp_picker_cursor_set(p, 0, 30 * PLEN, 100000, MS);
	step(p, &t, MS);
	SP_CHECK_UINT(copies(&t, late.piece, late.offset), 0);
	/* still needed: kept, not waste */
	SP_CHECK(sp_picker_block_arrived(p, 1, late.piece, late.offset, 2 * MS));
	/* a block never asked of this source, once we have it: other */
	enum sp_picker_waste why = SP_PICKER_WASTE_COUNT;
	SP_CHECK(!sp_picker_block_in(p, 1, late.piece, late.offset, 3 * MS, &why));
	SP_CHECK_INT(why, SP_PICKER_WASTE_OTHER);
	struct sp_picker_stats st;
	sp_picker_get_stats(p, &st);
	uint64_t sum = 0;
	for (int w = 0; w < SP_PICKER_WASTE_COUNT; w++)
		sum += st.wasted[w];
	SP_CHECK_UINT(sum, st.duplicate_bytes);
	SP_CHECK_UINT(st.wasted[SP_PICKER_WASTE_OTHER], SP_PICKER_BLOCK);
	SP_CHECK_STR(sp_picker_waste_name(SP_PICKER_WASTE_HEDGE), "hedge");
	sp_picker_free(p);
}

/* After a seek, every outstanding request is in the new window or was
 * cancelled, and the new window is requested in the same call. */
SP_TEST(seek_cancels_outside_new_window)
{
	struct sp_picker *p = mk(400, 0, 0);
	struct track t = {0};
	for (uint32_t i = 1; i <= 6; i++)
		seed(p, i, 200000, 0.05);
	sp_picker_cursor_set(p, 0, 0, 300000, 0);
	for (int64_t now = 0; now < SEC; now += 100 * MS)
		step(p, &t, now);
	SP_CHECK_CMP(t.n, >, 10);
	/* playing on (under 1 MB ahead) is no seek: nothing cancelled */
	sp_picker_cursor_set(p, 0, 10 * PLEN, 300000, SEC - 1000);
	step(p, &t, SEC - 1000);
	SP_CHECK_UINT(t.cancels, 0);
	uint64_t to = 300ull * PLEN + 1234;
	sp_picker_cursor_set(p, 0, to, 300000, SEC);
	uint64_t before_cancels = t.cancels;
	step(p, &t, SEC);
	SP_CHECK_CMP(t.cancels, >, before_cancels);
	uint64_t end = sp_picker_window_end(p, 0);
	SP_CHECK_CMP(end, >, to);
	bool first = false;
	for (size_t k = 0; k < t.n; k++) {
		uint64_t start = (uint64_t)t.r[k].piece * PLEN;
		SP_CHECK_CMP(start + PLEN, >, to);
		SP_CHECK_CMP(start, <, end);
		first |= t.r[k].piece == 300;
	}
	SP_CHECK(first);
	SP_CHECK_UINT(sp_picker_source_outstanding(p, 1) + sp_picker_source_outstanding(p, 2) +
			      sp_picker_source_outstanding(p, 3) + sp_picker_source_outstanding(p, 4) +
			      sp_picker_source_outstanding(p, 5) + sp_picker_source_outstanding(p, 6),
		      t.n);
	sp_picker_free(p);
}

/* Two readers (a demuxer reading the moov at the end while playing from
 * the start): both cursors get their first pieces at once. */
SP_TEST(several_readers_each_get_deadlines)
{
	struct sp_picker *p = mk(300, 0, 0);
	struct track t = {0};
	for (uint32_t i = 1; i <= 4; i++)
		seed(p, i, 0, 0); /* rates unknown: the shortest windows */
	sp_picker_cursor_set(p, 0, 0, 200000, 0);
	sp_picker_cursor_set(p, 1, 299ull * PLEN, 200000, 0);
	step(p, &t, 0);
	SP_CHECK(copies(&t, 0, 0) == 1);
	SP_CHECK(copies(&t, 299, 0) == 1);
	SP_CHECK_CMP(sp_picker_piece_deadline(p, 299), <=, sp_picker_piece_deadline(p, 1));
	SP_CHECK_INT(sp_picker_piece_deadline(p, 150), INT64_MAX);
	sp_picker_cursor_remove(p, 1);
	sp_picker_free(p);
}

SP_TEST(webseed_modes)
{
	struct sp_picker_action a[64];
	/* fallback, no peer: the web seed takes the first blocks */
	struct sp_picker *p = mk(100, 0, 0);
	sp_picker_source_add(p, 9, SP_SOURCE_WEBSEED);
	sp_picker_cursor_set(p, 0, 0, 200000, 0);
	size_t n = next(p, 0, a, 64);
	SP_CHECK_CMP(n, >, 0);
	SP_CHECK_UINT(a[0].source, 9);
	SP_CHECK_UINT(a[0].piece, 0);
	sp_picker_free(p);
	/* fallback with a fast peer that makes every deadline: nothing (the
	 * peer delivers at once, the video plays from 2 s on) */
	p = mk(100, 0, 0);
	sp_picker_source_add(p, 9, SP_SOURCE_WEBSEED);
	sp_picker_source_rate(p, 9, 1e6, 0.05);
	seed(p, 1, 5e6, 0.01);
	for (int64_t now = 0; now < 3 * SEC; now += 10 * MS) {
		uint64_t pos = now < 2 * SEC ? 0 : (uint64_t)((now - 2 * SEC) / 1e6 * 200000);
		sp_picker_cursor_set(p, 0, pos, 200000, now < 2 * SEC ? 2 * SEC : now);
		n = next(p, now, a, 64);
		for (size_t i = 0; i < n; i++) {
			SP_CHECK_UINT(a[i].source, 1);
			SP_CHECK(sp_picker_block_arrived(p, 1, a[i].piece, a[i].offset, now));
			if (sp_picker_piece_ready(p, a[i].piece))
				sp_picker_have_piece(p, a[i].piece);
		}
	}
	struct sp_picker_stats st;
	sp_picker_get_stats(p, &st);
	SP_CHECK_UINT(st.webseed_requested_bytes, 0);
	sp_picker_free(p);
	/* never: nothing even alone; always: an ordinary source */
	p = mk(100, 0, 2);
	sp_picker_source_add(p, 9, SP_SOURCE_WEBSEED);
	sp_picker_cursor_set(p, 0, 0, 200000, 0);
	SP_CHECK_UINT(next(p, 0, a, 64), 0);
	sp_picker_free(p);
	p = mk(100, 0, 1);
	sp_picker_source_add(p, 9, SP_SOURCE_WEBSEED);
	sp_picker_source_rate(p, 9, 1e6, 0.05);
	seed(p, 1, 1e6, 0.05);
	sp_picker_cursor_set(p, 0, 0, 200000, 0);
	bool ws = false, peer = false;
	n = next(p, 0, a, 64);
	for (size_t i = 0; i < n; i++) {
		ws |= a[i].source == 9;
		peer |= a[i].source == 1;
	}
	SP_CHECK(ws && peer);
	sp_picker_free(p);
}

/* A request far beyond its expected time is lost: cancelled, asked of
 * someone else, its source snubbed until it delivers. */
SP_TEST(timeout_rerequests_and_snubs)
{
	struct sp_picker *p = mk(50, 0, 0);
	struct track t = {0};
	seed(p, 1, 100000, 0.05);
	sp_picker_cursor_set(p, 0, 0, 50000, 0);
	step(p, &t, 0);
	SP_CHECK_CMP(t.n, >, 0);
	struct sp_picker_action first = t.r[0];
	seed(p, 2, 100000, 0.05);
	step(p, &t, 5 * SEC); /* source 1 said nothing for 5 s */
	SP_CHECK(sp_picker_source_snubbed(p, 1));
	SP_CHECK(!sp_picker_source_snubbed(p, 2));
	SP_CHECK_UINT(copies(&t, first.piece, first.offset), 1);
	bool moved = false;
	for (size_t k = 0; k < t.n; k++)
		moved |= t.r[k].piece == first.piece && t.r[k].offset == first.offset &&
			 t.r[k].source == 2;
	SP_CHECK(moved);
	struct sp_picker_stats st;
	sp_picker_get_stats(p, &st);
	SP_CHECK_CMP(st.timeouts, >, 0);
	/* a late block it still sends is taken if still needed */
	size_t k = 0;
	while (k < t.n && t.r[k].source != 1)
		k++;
	if (k < t.n) {
		SP_CHECK(sp_picker_block_arrived(p, 1, t.r[k].piece, t.r[k].offset, 5 * SEC + 1));
		SP_CHECK(!sp_picker_source_snubbed(p, 1));
	}
	sp_picker_free(p);
}

SP_TEST(pipeline_depth_from_bdp)
{
	struct sp_picker *p = mk(50, 0, 0);
	seed(p, 1, 0, 0);
	SP_CHECK_UINT(sp_picker_source_depth(p, 1), 6); /* unknown: small */
	sp_picker_source_rate(p, 1, 1e6, 0.1);
	/* ceil(1 MB/s x (0.1 + 0.35 s) / 16 KiB) + 1 */
	SP_CHECK_UINT(sp_picker_source_depth(p, 1), 29);
	sp_picker_source_max_requests(p, 1, 10);
	SP_CHECK_UINT(sp_picker_source_depth(p, 1), 10);
	sp_picker_source_max_requests(p, 1, 0);
	sp_picker_source_rate(p, 1, 1000, 0.1);
	SP_CHECK_UINT(sp_picker_source_depth(p, 1), 2); /* at least 2 */
	sp_picker_source_rate(p, 1, 1e9, 1);
	SP_CHECK_UINT(sp_picker_source_depth(p, 1), 128); /* default reqq */
	sp_picker_free(p);
}

/* Without sp_picker_source_rate, the picker measures arrivals itself and
 * grows the pipeline of a fast source. */
SP_TEST(measures_rate_from_arrivals)
{
	struct sp_picker *p = mk(400, 0, 0);
	struct track t = {0};
	seed(p, 1, 0, 0);
	sp_picker_cursor_set(p, 0, 0, 500000, 0);
	int64_t now = 0;
	for (int i = 0; i < 200; i++, now += 10 * MS) {
		step(p, &t, now);
		/* everything asked arrives 10 ms later */
		for (size_t k = 0; k < t.n;) {
			struct sp_picker_action a = t.r[k];
			track_drop(&t, k);
			SP_CHECK(sp_picker_block_arrived(p, 1, a.piece, a.offset, now + 10 * MS));
			if (sp_picker_piece_ready(p, a.piece))
				sp_picker_have_piece(p, a.piece);
		}
	}
	SP_CHECK_CMP(sp_picker_rate(p), >, 500000);
	SP_CHECK_CMP(sp_picker_source_depth(p, 1), >, 6);
	sp_picker_free(p);
}

/* A piece that fails its hash is needed again, then comes from a single
 * source; a source that alone sent a failed piece is never asked again. */
SP_TEST(failed_piece_parole_and_ban)
{
	struct sp_picker *p = mk(20, 0, 0);
	struct track t = {0};
	seed(p, 1, 1e6, 0.01);
	sp_picker_cursor_set(p, 0, 0, 100000, 0);
	step(p, &t, 0);
	for (uint32_t off = 0; off < PLEN; off += SP_PICKER_BLOCK)
		SP_CHECK(sp_picker_block_arrived(p, 1, 0, off, 1000));
	SP_CHECK(sp_picker_piece_ready(p, 0));
	sp_picker_piece_failed(p, 0);
	SP_CHECK(!sp_picker_piece_ready(p, 0));
	/* source 1 alone sent it: banned, its requests cancelled */
	SP_CHECK_UINT(sp_picker_source_outstanding(p, 1), 0);
	seed(p, 2, 1e6, 0.01);
	seed(p, 3, 1e6, 0.01);
	t.n = 0;
	struct sp_picker_action a[256];
	size_t n = next(p, 2000, a, 256);
	unsigned from[4] = {0};
	for (size_t i = 0; i < n; i++) {
		SP_CHECK(a[i].source != 1 || a[i].type == SP_ACTION_CANCEL);
		if (a[i].type == SP_ACTION_REQUEST && a[i].piece == 0)
			from[a[i].source]++;
	}
	/* piece 0 on parole: all of its blocks from one of 2 and 3 */
	SP_CHECK_UINT(from[2] + from[3], 4);
	SP_CHECK(from[2] == 0 || from[3] == 0);
	sp_picker_free(p);
}

/* Outside the window: the rarest piece first. */
SP_TEST(rarest_first_outside_window)
{
	struct sp_picker *p = mk(400, 0, 0);
	uint8_t bits[50];
	for (uint32_t id = 1; id <= 3; id++) {
		sp_picker_source_add(p, id, SP_SOURCE_PEER);
		memset(bits, 0xff, sizeof(bits));
		if (id != 1)
			bits[370 / 8] &= (uint8_t) ~(0x80u >> (370 % 8)); /* only 1 has 370 */
		sp_picker_source_bitfield(p, id, bits);
	}
	sp_picker_source_choke(p, 1, false, false);
	sp_picker_source_rate(p, 1, 1e6, 0.05);
	for (uint32_t i = 0; i < 30; i++)
		sp_picker_have_piece(p, i);
	sp_picker_cursor_set(p, 0, 0, 10000, 0); /* slow video: a short window */
	struct sp_picker_action a[256];
	size_t n = next(p, 0, a, 256);
	bool rare = false;
	for (size_t i = 0; i < n; i++)
		rare |= a[i].piece == 370;
	SP_CHECK(rare);
	SP_CHECK(sp_picker_source_interesting(p, 1));
	sp_picker_free(p);
}

/* Rule 14: pieces no wanted file holds are not fetched outside the
 * windows (a player's other files), but a window still gets them. */
SP_TEST(unwanted_pieces_only_in_a_window)
{
	struct sp_picker *p = mk(400, 0, 0);
	seed(p, 1, 1e6, 0.05);
	for (uint32_t i = 100; i < 400; i++)
		sp_picker_set_wanted(p, i, false);
	SP_CHECK(!sp_picker_wanted(p, 200) && sp_picker_wanted(p, 99));
	sp_picker_set_wanted(p, 150, true);
	SP_CHECK(sp_picker_wanted(p, 150));
	sp_picker_cursor_set(p, 0, 0, 10000, 0); /* slow video: a short window */
	struct sp_picker_action a[4096];
	bool any_past = false, cursor = false, got150 = false;
	for (int round = 0; round < 20; round++) {
		size_t n = next(p, round * 100 * MS, a, 4096);
		for (size_t i = 0; i < n; i++) {
			if (a[i].type != SP_ACTION_REQUEST)
				continue;
			cursor |= a[i].piece == 0;
			got150 |= a[i].piece == 150;
			any_past |= a[i].piece >= 100 && a[i].piece != 150;
			sp_picker_block_arrived(p, 1, a[i].piece, a[i].offset, round * 100 * MS);
		}
	}
	SP_CHECK(cursor && got150);
	SP_CHECK(!any_past);
	/* a reader in the unwanted part: its window is fetched */
	sp_picker_cursor_set(p, 1, 300ull * PLEN, 10000, 2 * SEC);
	size_t n = next(p, 2 * SEC, a, 4096);
	bool at300 = false;
	for (size_t i = 0; i < n; i++)
		at300 |= a[i].type == SP_ACTION_REQUEST && a[i].piece == 300;
	SP_CHECK(at300);
	sp_picker_free(p);
}

/* Rule 15, share mode (no reader: a kiosk's prefetch): two clients of a
 * site asking one seed beyond the WAN start on different pieces (each
 * its own shuffled order; without share mode both ask the same ones),
 * and a piece a usable LAN peer has is asked of that peer, never of the
 * seed. */
static uint32_t first_pieces(uint64_t share_seed, uint32_t *pieces, size_t max)
{
	struct sp_picker_config c = {.total_length = 200ull * PLEN, .piece_length = PLEN,
				     .num_pieces = 200, .share_seed = share_seed};
	struct sp_picker *p = sp_picker_new(&c);
	SP_CHECK(p != NULL);
	seed(p, 1, 1e6, 0.05);
	struct sp_picker_action a[64];
	size_t n = next(p, 0, a, 64), k = 0;
	for (size_t i = 0; i < n && k < max; i++)
		if (a[i].type == SP_ACTION_REQUEST && (!k || pieces[k - 1] != a[i].piece))
			pieces[k++] = a[i].piece;
	sp_picker_free(p);
	return (uint32_t)k;
}

static size_t common(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t c = 0;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			c += a[i] == b[j];
	return c;
}

SP_TEST(share_mode_spreads_and_prefers_peers)
{
	uint32_t a[16], b[16], c[16], d[16];
	size_t na = first_pieces(0x1234, a, 16), nb = first_pieces(0xbeef5, b, 16);
	size_t nc = first_pieces(0, c, 16), nd = first_pieces(0, d, 16);
	SP_CHECK(na > 0 && nb > 0 && nc > 0);
	SP_CHECK_INT(common(c, nc, d, nd), nc);  /* off: the same pieces */
	SP_CHECK_CMP(common(a, na, b, nb), <=, 1); /* on: different ones */

	struct sp_picker_config cfg = {.total_length = 40ull * PLEN, .piece_length = PLEN,
				       .num_pieces = 40, .share_seed = 7};
	struct sp_picker *p = sp_picker_new(&cfg);
	seed(p, 1, 1e6, 0.05);                 /* the seed beyond the WAN */
	sp_picker_source_add(p, 2, SP_SOURCE_PEER); /* a screen of the site */
	for (uint32_t i = 0; i < 40; i += 2)
		sp_picker_source_have(p, 2, i);
	sp_picker_source_choke(p, 2, false, false);
	sp_picker_source_rate(p, 2, 1e6, 0.01);
	struct sp_picker_action act[512];
	size_t n = next(p, 0, act, 512);
	size_t from_seed = 0, from_peer = 0;
	for (size_t i = 0; i < n; i++) {
		if (act[i].type != SP_ACTION_REQUEST)
			continue;
		if (act[i].source == 1) {
			SP_CHECK_INT(act[i].piece % 2, 1); /* only what the peer has not */
			from_seed++;
		} else {
			SP_CHECK_INT(act[i].piece % 2, 0);
			from_peer++;
		}
	}
	SP_CHECK(from_seed > 0 && from_peer > 0);
	sp_picker_free(p);
}

/* Rule 15 alone: a share-mode client with no partner holds a seed to
 * PK_SHARE_SEED_OUT blocks only while the screens could still be finding
 * each other; after PK_SHARE_LONE_US it asks as without share mode (a lone
 * `download --lsd` is not throttled to 6 blocks a round trip). */
SP_TEST(share_mode_alone_uncapped_after_discovery)
{
	struct sp_picker_config c = {.total_length = 200ull * PLEN, .piece_length = PLEN,
				     .num_pieces = 200, .share_seed = 77};
	struct sp_picker *p = sp_picker_new(&c);
	SP_CHECK(p != NULL);
	seed(p, 1, 1e7, 0.1); /* room for ~60 blocks */
	struct sp_picker_action a[512];
	size_t n = next(p, 0, a, 512), early = 0, late = 0;
	for (size_t i = 0; i < n; i++)
		if (a[i].type == SP_ACTION_REQUEST) {
			early++; /* delivered, so that the seed is not snubbed */
			sp_picker_block_arrived(p, 1, a[i].piece, a[i].offset, 11 * SEC);
		}
	n = next(p, 11 * SEC, a, 512);
	for (size_t i = 0; i < n; i++)
		late += a[i].type == SP_ACTION_REQUEST;
	SP_CHECK(early > 0 && early <= 6);
	SP_CHECK(late >= 20);
	sp_picker_free(p);
}

/* Rule 15's slices: one screen (share key own) with two partners (keys
 * p1, p2) asks the seed for the pieces of 30 that no peer has; have_mod3
 * gives the partners every piece of that slice (3: none). */
static size_t slice_pieces(uint64_t own, uint64_t p1, uint64_t p2, uint32_t have_mod3,
			   uint32_t *pieces, size_t max)
{
	struct sp_picker_config cfg = {.total_length = 30ull * PLEN, .piece_length = PLEN,
				       .num_pieces = 30, .share_seed = own};
	struct sp_picker *p = sp_picker_new(&cfg);
	SP_CHECK(p != NULL);
	seed(p, 1, 1e6, 0.05);
	uint64_t keys[2] = {p1, p2};
	for (uint32_t k = 0; k < 2; k++) {
		sp_picker_source_add(p, 2 + k, SP_SOURCE_PEER);
		sp_picker_source_partner(p, 2 + k, keys[k]);
		for (uint32_t i = 0; i < 30; i++)
			if (i % 3 == have_mod3)
				sp_picker_source_have(p, 2 + k, i);
	}
	struct sp_picker_action a[256];
	size_t n = next(p, 0, a, 256), k = 0;
	for (size_t i = 0; i < n && k < max; i++)
		if (a[i].type == SP_ACTION_REQUEST && a[i].source == 1 &&
		    (!k || pieces[k - 1] != a[i].piece))
			pieces[k++] = a[i].piece;
	sp_picker_free(p);
	return k;
}

SP_TEST(share_mode_slices)
{
	/* three screens that see each other take disjoint slices */
	uint64_t key[3] = {0x11, 0x5501, 0x9999};
	uint32_t got[3][32];
	size_t n[3];
	for (int i = 0; i < 3; i++) {
		n[i] = slice_pieces(key[i], key[(i + 1) % 3], key[(i + 2) % 3], 3, got[i], 32);
		SP_CHECK_CMP(n[i], >, 0);
		for (size_t j = 0; j < n[i]; j++)
			SP_CHECK_UINT(got[i][j] % 3, (uint32_t)i); /* rank i, slice i */
	}
	SP_CHECK_INT(common(got[0], n[0], got[1], n[1]), 0);
	SP_CHECK_INT(common(got[1], n[1], got[2], n[2]), 0);
	SP_CHECK_UINT(got[1][0], 1); /* its own slice from the start */
	/* the partners have all of ours (rank 1): the next rank's slice, from its
	 * last piece down, with no piece a partner has */
	n[1] = slice_pieces(key[1], key[0], key[2], 1, got[1], 32);
	SP_CHECK_CMP(n[1], >, 0);
	SP_CHECK_UINT(got[1][0], 29);
	for (size_t j = 0; j < n[1]; j++)
		SP_CHECK_CMP(got[1][j] % 3, !=, 1);
	for (size_t j = 1; j < n[1]; j++)
		SP_CHECK_CMP(got[1][j], <, got[1][j - 1]);
	for (size_t j = 0; j < n[1]; j++) /* the owner's next 4 are left to it */
		SP_CHECK(got[1][j] > 11);
	/* only the owner's last 4 are left: they wait for it, then for our
	 * seed to have been idle 4 s (an owner gone quiet stalls nobody) */
	{
		struct sp_picker_config c2 = {.total_length = 30ull * PLEN, .piece_length = PLEN,
					      .num_pieces = 30, .share_seed = key[1]};
		struct sp_picker *q = sp_picker_new(&c2);
		seed(q, 1, 1e6, 0.05);
		sp_picker_source_add(q, 2, SP_SOURCE_PEER);
		sp_picker_source_partner(q, 2, key[0]);
		sp_picker_source_add(q, 3, SP_SOURCE_PEER);
		sp_picker_source_partner(q, 3, key[2]);
		for (uint32_t i = 0; i < 30; i++)
			if (i % 3 != 2 || i > 11)
				sp_picker_source_have(q, 2, i);
		struct sp_picker_action qa[256];
		size_t qn = next(q, 0, qa, 256), from_seed = 0;
		for (size_t i = 0; i < qn; i++)
			from_seed += qa[i].type == SP_ACTION_REQUEST && qa[i].source == 1;
		SP_CHECK_UINT(from_seed, 0);
		qn = next(q, 5000000, qa, 256);
		for (size_t i = 0; i < qn; i++)
			if (qa[i].type == SP_ACTION_REQUEST && qa[i].source == 1) {
				SP_CHECK(qa[i].piece == 11 || qa[i].piece == 8); /* top down */
				from_seed++;
			}
		SP_CHECK_CMP(from_seed, >, 0);
		sp_picker_free(q);
	}
	/* partners that are seeds already do not count: no slices */
	uint32_t all[32];
	struct sp_picker_config cfg = {.total_length = 30ull * PLEN, .piece_length = PLEN,
				       .num_pieces = 30, .share_seed = key[0]};
	struct sp_picker *p = sp_picker_new(&cfg);
	seed(p, 1, 1e6, 0.05);
	seed(p, 2, 1e6, 0.01);
	sp_picker_source_partner(p, 2, key[1]);
	struct sp_picker_action a[256];
	size_t na = next(p, 0, a, 256), k = 0;
	for (size_t i = 0; i < na && k < 32; i++)
		if (a[i].type == SP_ACTION_REQUEST)
			all[k++] = a[i].piece;
	bool other = false;
	for (size_t j = 0; j < k; j++)
		other |= all[j] % 3 != 0;
	SP_CHECK(other);
	sp_picker_free(p);
	/* the key is what share_seed is made of, never 0 */
	uint8_t id[20] = {0}, ih[20] = {0};
	SP_CHECK_UINT(sp_picker_share_key(id, ih), 1);
	id[19] = 0x80;
	SP_CHECK_UINT(sp_picker_share_key(id, ih), 0x81);
}

/* Endgame: with every block requested, an idle source duplicates the
 * last ones; the loser is cancelled when the first copy lands. */
SP_TEST(endgame_and_loser_cancel)
{
	struct sp_picker *p = mk(2, 0, 0);
	struct track t = {0};
	seed(p, 1, 30000, 0.1);
	sp_picker_cursor_set(p, 0, 0, 10000, 0);
	step(p, &t, 0);
	size_t mine = t.n;
	SP_CHECK_CMP(mine, >, 0);
	seed(p, 2, 1e6, 0.01);
	step(p, &t, 10 * MS);
	SP_CHECK_CMP(t.n, >, mine);
	struct sp_picker_action d = {0};
	for (size_t k = 0; k < t.n; k++)
		if (t.r[k].source == 2 && copies(&t, t.r[k].piece, t.r[k].offset) == 2)
			d = t.r[k];
	SP_CHECK_UINT(d.source, 2);
	SP_CHECK(sp_picker_block_arrived(p, 2, d.piece, d.offset, 20 * MS));
	for (size_t k = 0; k < t.n; k++)
		if (t.r[k].source == 2 && t.r[k].piece == d.piece && t.r[k].offset == d.offset)
			track_drop(&t, k);
	uint64_t c0 = t.cancels;
	step(p, &t, 30 * MS);
	SP_CHECK_UINT(t.cancels, c0 + 1);
	SP_CHECK_UINT(copies(&t, d.piece, d.offset), 0);
	/* the loser's copy arriving anyway is a counted duplicate */
	SP_CHECK(!sp_picker_block_arrived(p, 1, d.piece, d.offset, 40 * MS));
	struct sp_picker_stats st;
	sp_picker_get_stats(p, &st);
	SP_CHECK_UINT(st.duplicate_bytes, SP_PICKER_BLOCK);
	/* and counted as the excess copy's cause */
	SP_CHECK_UINT(st.wasted[SP_PICKER_WASTE_HEDGE] + st.wasted[SP_PICKER_WASTE_ENDGAME],
		      SP_PICKER_BLOCK);
	sp_picker_free(p);
}

/* Cancels that do not fit in the caller's array wait for the next call. */
SP_TEST(small_output_array_loses_nothing)
{
	struct sp_picker *p = mk(100, 0, 0);
	struct track t = {0};
	seed(p, 1, 1e6, 0.05);
	sp_picker_cursor_set(p, 0, 0, 300000, 0);
	step(p, &t, 0);
	size_t before = t.n;
	SP_CHECK_CMP(before, >, 3);
	sp_picker_cursor_set(p, 0, 90ull * PLEN, 300000, 10);
	struct sp_picker_action a[1];
	for (int i = 0; i < 1000; i++) {
		size_t n = next(p, 10, a, 1);
		track_apply(&t, a, n);
		if (!n)
			break;
	}
	for (size_t k = 0; k < t.n; k++)
		SP_CHECK_CMP(t.r[k].piece, >=, 90);
	SP_CHECK_UINT(sp_picker_source_outstanding(p, 1), t.n);
	sp_picker_free(p);
}

SP_TEST(ready_to_start_rule)
{
	struct sp_picker *p = mk(100, 0, 0);
	seed(p, 1, 120000, 0.05); /* 1.2 x the bitrate: the whole start buffer */
	sp_picker_cursor_set(p, 0, 0, 100000, 0);
	SP_CHECK(!sp_picker_ready_to_start(p, 0, 4, 1e6)); /* cursor piece missing */
	sp_picker_have_piece(p, 0);
	/* one piece = 0.66 s < the 1 s start buffer */
	SP_CHECK(!sp_picker_ready_to_start(p, 0, 4, 1e6));
	/* peers 10 x the bitrate refill a loss at once: a quarter of it will do */
	sp_picker_source_rate(p, 1, 1e6, 0.05);
	SP_CHECK(sp_picker_ready_to_start(p, 0, 4, 1e6));
	sp_picker_source_rate(p, 1, 120000, 0.05);
	sp_picker_have_piece(p, 1);
	SP_CHECK(sp_picker_ready_to_start(p, 0, 4, 1e6));
	SP_CHECK(!sp_picker_ready_to_start(p, 0, 4, 1000)); /* 400 kB at 1 kB/s: no */
	SP_CHECK(!sp_picker_ready_to_start(p, 7, 4, 1e6));  /* no such reader */
	for (uint32_t i = 2; i < 100; i++)
		sp_picker_have_piece(p, i);
	SP_CHECK(sp_picker_ready_to_start(p, 0, 1e9, 1)); /* nothing missing */
	SP_CHECK(sp_picker_complete(p));
	SP_CHECK_UINT(sp_picker_buffered(p, 0), 100 * PLEN - 1000);
	sp_picker_free(p);
}

/* Issue 9: a player's demuxer reads up to the piece it waits for, with
 * the packets it has read (its lead) still to play: that queue counts as
 * buffer, and the piece at the cursor need only come within the lead. */
SP_TEST(ready_to_start_counts_the_lead)
{
	struct sp_picker *p = mk(100, 0, 0);
	seed(p, 1, 1e6, 0.05);
	for (uint32_t i = 0; i < 3; i++)
		sp_picker_have_piece(p, i);
	/* read up to piece 3, which is missing, with nothing queued: no */
	sp_picker_cursor_set_lead(p, 0, 3 * PLEN, 100000, 0, 0);
	SP_CHECK(!sp_picker_ready_to_start(p, 0, 4, 1e6));
	/* 2 s queued: piece 3 and the next are due in 2 s and more, 64 KiB
	 * each at 1 MB/s: yes */
	sp_picker_cursor_set_lead(p, 0, 3 * PLEN, 100000, 2.0, 0);
	SP_CHECK(sp_picker_ready_to_start(p, 0, 4, 1e6));
	/* the same queue, a swarm too slow for the bitrate: no */
	SP_CHECK(!sp_picker_ready_to_start(p, 0, 4, 50000));
	/* a queue shorter than the time the cursor's piece takes: no */
	sp_picker_cursor_set_lead(p, 0, 3 * PLEN, 100000, 0.05, 0);
	SP_CHECK(!sp_picker_ready_to_start(p, 0, 4, 200000));
	sp_picker_free(p);
}

/* A piece that came whole but could not be stored (disk full) is needed
 * again, from anyone: no parole, no blame. */
SP_TEST(lost_piece_is_needed_again_without_blame)
{
	struct sp_picker *p = mk(4, 0, 0);
	struct track t = {0};
	seed(p, 1, 1e6, 0.01);
	sp_picker_cursor_set(p, 0, 0, 100000, 0);
	step(p, &t, 0);
	for (size_t k = t.n; k-- > 0;)
		if (t.r[k].piece == 0) {
			SP_CHECK(sp_picker_block_arrived(p, 1, 0, t.r[k].offset, MS));
			track_drop(&t, k);
		}
	SP_CHECK(sp_picker_piece_ready(p, 0));
	sp_picker_piece_lost(p, 0);
	SP_CHECK(!sp_picker_piece_ready(p, 0));
	SP_CHECK_INT(sp_picker_check(p), 0);
	step(p, &t, 2 * MS);
	SP_CHECK_UINT(copies(&t, 0, 0), 1); /* asked again */
	SP_CHECK(!sp_picker_source_snubbed(p, 1));
	struct sp_picker_stats st;
	sp_picker_get_stats(p, &st);
	SP_CHECK_UINT(st.wasted[SP_PICKER_WASTE_HASH], 0);
	sp_picker_piece_lost(p, 3); /* not ready: nothing happens */
	SP_CHECK_INT(sp_picker_check(p), 0);
	sp_picker_free(p);
}

/* interested: does the source have a piece we still need? */
SP_TEST(interesting_follows_haves)
{
	struct sp_picker *p = mk(20, 0, 0);
	sp_picker_source_add(p, 1, SP_SOURCE_PEER);
	SP_CHECK(!sp_picker_source_interesting(p, 1));
	sp_picker_source_have(p, 1, 3);
	SP_CHECK(sp_picker_source_interesting(p, 1));
	sp_picker_have_piece(p, 3);
	SP_CHECK(!sp_picker_source_interesting(p, 1));
	sp_picker_piece_failed(p, 3); /* a verified piece lost again */
	SP_CHECK(sp_picker_source_interesting(p, 1));
	uint8_t bits[3] = {0x10, 0, 0}; /* piece 3 only */
	sp_picker_have_piece(p, 3);
	sp_picker_source_bitfield(p, 1, bits);
	SP_CHECK(!sp_picker_source_interesting(p, 1));
	sp_picker_source_have_all(p, 1);
	SP_CHECK(sp_picker_source_interesting(p, 1));
	SP_CHECK(!sp_picker_source_interesting(p, 99));
	sp_picker_free(p);
}

/* The rarity order stays a sorted permutation through haves, leaves,
 * verified and failed pieces (white box). */
static void check_order(const struct sp_picker *p)
{
	uint32_t n = p->cfg.num_pieces;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pc = p->order[i];
		SP_CHECK_UINT(p->pos[pc], i);
		if (i >= p->nneed) {
			SP_CHECK_INT(p->state[pc], PS_HAVE);
			continue;
		}
		SP_CHECK(p->state[pc] != PS_HAVE);
		uint32_t a = p->avail[pc];
		SP_CHECK_CMP(p->bstart[a], <=, i);
		uint32_t end = a + 1 < p->nbuckets ? p->bstart[a + 1] : p->nneed;
		SP_CHECK_CMP(i, <, end);
	}
}

SP_TEST(rarity_order_invariants)
{
	struct sp_picker *p = mk(300, 0, 0);
	uint64_t x = 12345;
	uint8_t bits[38];
	for (int round = 0; round < 3000; round++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(x >> 33), id = 1 + r % 12, pc = (r >> 4) % 300;
		switch (r % 7) {
		case 0:
			sp_picker_source_add(p, id, SP_SOURCE_PEER);
			break;
		case 1:
			sp_picker_source_remove(p, id);
			break;
		case 2:
		case 3:
			sp_picker_source_have(p, id, pc);
			break;
		case 4:
			for (size_t i = 0; i < sizeof(bits); i++)
				bits[i] = (uint8_t)(x >> (i % 56));
			bits[37] &= 0xf0; /* 300 bits: the spare ones clear */
			sp_picker_source_bitfield(p, id, bits);
			break;
		case 5:
			sp_picker_have_piece(p, pc);
			break;
		case 6:
			sp_picker_piece_failed(p, pc);
			break;
		}
		if (round % 50 == 0)
			check_order(p);
	}
	check_order(p);
	sp_picker_free(p);
}

/* With a healthy buffer a share of each pipeline goes to rare pieces
 * even though the window still has free blocks; without, none does. */
SP_TEST(rare_share_once_buffered)
{
	for (int healthy = 0; healthy < 2; healthy++) {
		struct sp_picker *p = mk(2000, 0, 0);
		seed(p, 1, 2e6, 0.1); /* depth 57: room for a rare share */
		sp_picker_cursor_set(p, 0, 0, 100000, 0);
		if (healthy)
			for (uint32_t i = 0; i < 12; i++) /* 7.9 s of video */
				sp_picker_have_piece(p, i);
		struct sp_picker_action a[256];
		size_t n = next(p, 0, a, 256);
		uint64_t end = sp_picker_window_end(p, 0);
		size_t outside = 0;
		for (size_t i = 0; i < n; i++)
			outside += (uint64_t)a[i].piece * PLEN >= end;
		SP_CHECK_CMP(end, <, 2000ull * PLEN);
		if (healthy)
			SP_CHECK_CMP(outside, >=, 5);
		else
			SP_CHECK_UINT(outside, 0);
		sp_picker_free(p);
	}
}

/* A plain download (no reader) from a fallback web seed alone still
 * progresses, after the grace given to peers; once a peer unchokes us and
 * delivers, the web seed rests. */
SP_TEST(webseed_fallback_without_reader)
{
	struct sp_picker *p = mk(50, 0, 0);
	struct sp_picker_action a[64];
	sp_picker_source_add(p, 9, SP_SOURCE_WEBSEED);
	sp_picker_source_add(p, 1, SP_SOURCE_PEER);
	sp_picker_source_have_all(p, 1); /* connected, still choking us */
	SP_CHECK_UINT(next(p, 0, a, 64), 0); /* the peers' grace */
	SP_CHECK_UINT(next(p, 2900 * MS, a, 64), 0);
	size_t n = next(p, 3 * SEC, a, 64);
	SP_CHECK_CMP(n, >, 0);
	for (size_t i = 0; i < n; i++)
		SP_CHECK_UINT(a[i].source, 9);
	for (size_t i = 0; i < n; i++)
		sp_picker_block_arrived(p, 9, a[i].piece, a[i].offset, 3 * SEC + 1000);
	sp_picker_source_choke(p, 1, false, false);
	/* unchoked but silent so far: the server stays an ordinary source */
	n = next(p, 5 * SEC, a, 64);
	bool ws_too = false;
	for (size_t i = 0; i < n; i++)
		ws_too |= a[i].type == SP_ACTION_REQUEST && a[i].source == 9;
	SP_CHECK(ws_too);
	/* the peer delivers: now it is the source, the server rests */
	sp_picker_source_rate(p, 1, 1e6, 0.01);
	n = next(p, 5100 * MS, a, 64);
	SP_CHECK_CMP(n, >, 0);
	size_t to_peer = 0;
	for (size_t i = 0; i < n; i++) {
		if (a[i].type == SP_ACTION_REQUEST) {
			SP_CHECK_UINT(a[i].source, 1);
			to_peer++;
		} else {
			SP_CHECK_UINT(a[i].source, 9); /* its queue given back */
		}
	}
	SP_CHECK_CMP(to_peer, >, 0);
	sp_picker_free(p);
}

/* The reader's lead (media read but not yet played) pushes its deadlines
 * out by as much: they follow playback, not the demuxer. */
SP_TEST(lead_moves_deadlines)
{
	struct sp_picker *p = mk(100, 0, 0);
	struct sp_picker_action a[64];
	seed(p, 1, 1e6, 0.01);
	sp_picker_cursor_set_lead(p, 0, 10ull * PLEN, 200000, 2.5, 1 * SEC);
	next(p, 1 * SEC, a, 64);
	SP_CHECK_INT(sp_picker_piece_deadline(p, 10), 3500 * MS);
	SP_CHECK_INT(sp_picker_piece_deadline(p, 11), 3500 * MS + (int64_t)PLEN * SEC / 200000);
	sp_picker_cursor_set(p, 0, 10ull * PLEN, 200000, 2 * SEC); /* lead gone */
	next(p, 2 * SEC, a, 64);
	SP_CHECK_INT(sp_picker_piece_deadline(p, 10), 2 * SEC);
	sp_picker_free(p);
}

/* A reader blocked on its piece reminds the picker every second with the
 * lead it measured before it blocked: the deadline stays where that lead
 * put it (playback went on meanwhile), it does not slide a second out
 * with each reminder. A new lead, or a new place, dates it anew. */
SP_TEST(lead_repeated_keeps_its_time)
{
	struct sp_picker *p = mk(100, 0, 0);
	struct sp_picker_action a[64];
	seed(p, 1, 1e6, 0.01);
	sp_picker_cursor_set_lead(p, 0, 10ull * PLEN, 200000, 2.0, 1 * SEC);
	next(p, 1 * SEC, a, 64);
	SP_CHECK_INT(sp_picker_piece_deadline(p, 10), 3 * SEC);
	for (int64_t now = 2 * SEC; now <= 5 * SEC; now += SEC) {
		sp_picker_cursor_set_lead(p, 0, 10ull * PLEN, 200000, 2.0, now);
		next(p, now, a, 64);
		SP_CHECK_INT(sp_picker_piece_deadline(p, 10), 3 * SEC);
	}
	sp_picker_cursor_set_lead(p, 0, 10ull * PLEN, 200000, 1.0, 6 * SEC); /* measured anew */
	next(p, 6 * SEC, a, 64);
	SP_CHECK_INT(sp_picker_piece_deadline(p, 10), 7 * SEC);
	sp_picker_cursor_set_lead(p, 0, 11ull * PLEN, 200000, 1.0, 8 * SEC); /* read on */
	next(p, 8 * SEC, a, 64);
	SP_CHECK_INT(sp_picker_piece_deadline(p, 11), 9 * SEC);
	sp_picker_free(p);
}

/* Fallback at the start: while the peers are unknown (no rate measured)
 * the web seed gets only what is due within PK_WS_START_S; the peers the
 * rest. Once a peer is measured fast, the web seed gets nothing more. */
SP_TEST(webseed_fallback_start)
{
	struct sp_picker *p = mk(100, 0, 0);
	struct sp_picker_action a[256];
	sp_picker_source_add(p, 9, SP_SOURCE_WEBSEED);
	sp_picker_source_rate(p, 9, 5e6, 0.01);
	seed(p, 1, 0, 0); /* unchoked us, rate unknown */
	sp_picker_cursor_set(p, 0, 0, 200000, 0);
	size_t n = next(p, 0, a, 256);
	size_t ws = 0, peer = 0;
	for (size_t i = 0; i < n; i++) {
		SP_CHECK(a[i].type == SP_ACTION_REQUEST);
		if (a[i].source == 9) {
			ws++;
			SP_CHECK_CMP(sp_picker_piece_deadline(p, a[i].piece), <=,
				     (int64_t)(PK_WS_START_S * SEC));
		} else {
			peer++;
		}
		SP_CHECK(sp_picker_block_arrived(p, a[i].source, a[i].piece, a[i].offset, 5 * MS));
		if (sp_picker_piece_ready(p, a[i].piece))
			sp_picker_have_piece(p, a[i].piece);
	}
	SP_CHECK_CMP(ws, >, 0);
	SP_CHECK_CMP(peer, >, 0);
	/* measured: the peer makes every deadline */
	sp_picker_source_rate(p, 1, 5e6, 0.01);
	struct sp_picker_stats st0, st1;
	sp_picker_get_stats(p, &st0);
	for (int64_t now = 10 * MS; now < 2 * SEC; now += 10 * MS) {
		sp_picker_cursor_set_lead(p, 0, (uint64_t)(now / 1e6 * 200000), 200000, 0.5, now);
		n = next(p, now, a, 256);
		for (size_t i = 0; i < n; i++) {
			SP_CHECK_UINT(a[i].source, 1);
			SP_CHECK(sp_picker_block_arrived(p, 1, a[i].piece, a[i].offset, now));
			if (sp_picker_piece_ready(p, a[i].piece))
				sp_picker_have_piece(p, a[i].piece);
		}
	}
	sp_picker_get_stats(p, &st1);
	SP_CHECK_UINT(st1.webseed_requested_bytes, st0.webseed_requested_bytes);
	sp_picker_free(p);
}

/* A fallback web seed that was all we had (the grace passed) gives back
 * what it still has queued once a fast peer unchokes us: cancelled at the
 * server, asked of the peer; what it is already sending it keeps. */
SP_TEST(webseed_gives_back_queued_blocks)
{
	struct sp_picker *p = mk(100, 0, 0);
	struct sp_picker_action a[256];
	sp_picker_source_add(p, 9, SP_SOURCE_WEBSEED);
	sp_picker_source_rate(p, 9, 100000, 0.05);
	sp_picker_cursor_set_lead(p, 0, 0, 200000, 5.0, 0);
	SP_CHECK_UINT(next(p, 0, a, 256), 0); /* nothing due within 1 s */
	int64_t t = 3100 * MS;
	sp_picker_cursor_set_lead(p, 0, 0, 200000, 2.0, t);
	size_t n = next(p, t, a, 256);
	SP_CHECK_CMP(n, >=, 4);
	for (size_t i = 0; i < n; i++)
		SP_CHECK_UINT(a[i].source, 9);
	uint32_t asked = sp_picker_source_outstanding(p, 9);
	seed(p, 1, 5e6, 0.01);
	n = next(p, t + 1 * MS, a, 256);
	size_t cancels = 0, moved = 0;
	for (size_t i = 0; i < n; i++) {
		if (a[i].type == SP_ACTION_CANCEL) {
			SP_CHECK_UINT(a[i].source, 9);
			cancels++;
			for (size_t j = 0; j < n; j++)
				moved += a[j].type == SP_ACTION_REQUEST && a[j].source == 1 &&
					 a[j].piece == a[i].piece && a[j].offset == a[i].offset;
		} else {
			SP_CHECK_UINT(a[i].source, 1);
		}
	}
	SP_CHECK_CMP(cancels, >, 0);
	SP_CHECK_UINT(moved, cancels);
	SP_CHECK_CMP(sp_picker_source_outstanding(p, 9), >, 0); /* the first ones stay */
	SP_CHECK_UINT(sp_picker_source_outstanding(p, 9) + cancels, asked);
	struct sp_picker_stats st;
	sp_picker_get_stats(p, &st);
	SP_CHECK_UINT(st.ws_reclaimed, cancels);
	sp_picker_free(p);
}


enum { RNP = 64, RNS = 8 };
struct rnd_world {
	struct sp_picker *p;
	struct track t;
	bool present[RNS + 1], choked[RNS + 1], has[RNS + 1][RNP];
	int64_t now;
};

static void rnd_forget(struct rnd_world *w, uint32_t id)
{
	for (size_t k = w->t.n; k-- > 0;)
		if (w->t.r[k].source == id)
			track_drop(&w->t, k);
}

/* One source event: join, leave, have, choke, rate. */
static void rnd_source_event(struct rnd_world *w, uint32_t r, uint32_t id, uint32_t pc)
{
	struct sp_picker *p = w->p;
	switch ((r >> 16) % 6) {
	case 0:
		if (w->present[id])
			break;
		sp_picker_source_add(p, id, id == RNS ? SP_SOURCE_WEBSEED : SP_SOURCE_PEER);
		w->present[id] = true;
		w->choked[id] = id != RNS;
		memset(w->has[id], id == RNS, sizeof(w->has[id]));
		break;
	case 1:
		sp_picker_source_remove(p, id);
		w->present[id] = false;
		rnd_forget(w, id);
		break;
	case 2:
	case 3:
		sp_picker_source_have(p, id, pc);
		if (w->present[id] && pc < RNP)
			w->has[id][pc] = true;
		break;
	case 4:
		if (!w->present[id] || id == RNS)
			break;
		w->choked[id] = !w->choked[id];
		sp_picker_source_choke(p, id, w->choked[id], true);
		if (w->choked[id])
			rnd_forget(w, id);
		break;
	default:
		sp_picker_source_rate(p, id, (r % 5) * 50000.0, 0.01 * (r % 7));
		break;
	}
}

/* One block event: an arrival (real or bogus), a reject, a cursor move. */
static void rnd_block_event(struct rnd_world *w, uint32_t r, uint32_t id, uint32_t pc)
{
	struct sp_picker *p = w->p;
	size_t k = w->t.n ? r % w->t.n : 0;
	switch ((r >> 16) % 4) {
	case 0:
		if (w->t.n) {
			struct sp_picker_action a = w->t.r[k];
			track_drop(&w->t, k);
			if (sp_picker_block_arrived(p, a.source, a.piece, a.offset, w->now) &&
			    sp_picker_piece_ready(p, a.piece)) {
				if (r % 9)
					sp_picker_have_piece(p, a.piece);
				else
					sp_picker_piece_failed(p, a.piece);
			}
		}
		break;
	case 1:
		sp_picker_block_arrived(p, id, pc, (r % 7) * 5000, w->now); /* bogus */
		break;
	case 2:
		if (w->t.n) {
			sp_picker_block_rejected(p, w->t.r[k].source, w->t.r[k].piece,
						 w->t.r[k].offset);
			track_drop(&w->t, k);
		}
		break;
	default:
		sp_picker_cursor_set(p, r % 2, (uint64_t)(r % (RNP + 3)) * PLEN, r % 3 * 1e5, w->now);
		break;
	}
}

static void rnd_next(struct rnd_world *w)
{
	struct sp_picker_action a[16];
	size_t n = next(w->p, w->now, a, 16);
	for (size_t i = 0; i < n; i++) {
		if (a[i].type != SP_ACTION_REQUEST)
			continue;
		SP_CHECK(w->present[a[i].source] && !w->choked[a[i].source]);
		SP_CHECK(w->has[a[i].source][a[i].piece] || a[i].source == RNS);
		SP_CHECK_UINT(a[i].offset % SP_PICKER_BLOCK, 0);
	}
	track_apply(&w->t, a, n);
	for (size_t i = 0; i < n; i++)
		SP_CHECK_CMP(copies(&w->t, a[i].piece, a[i].offset), <=, 2);
}

/* Random events, bogus ones included (pieces and offsets out of range,
 * unknown sources, blocks nobody asked for): the bookkeeping stays
 * consistent, requests go only to unchoked sources that have the piece,
 * never more than two copies of a block are out. */
SP_TEST(random_events_keep_bookkeeping)
{
	struct sp_picker_config c = {.total_length = RNP * PLEN - 5000, .piece_length = PLEN,
				     .num_pieces = RNP, .webseed_mode = 1};
	static struct rnd_world w;
	w.p = sp_picker_new(&c);
	uint64_t x = 99;
	for (int round = 0; round < 20000; round++, w.now += 7 * MS) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(x >> 32), id = 1 + r % RNS, pc = (r >> 8) % (RNP + 2);
		switch ((r >> 24) % 3) {
		case 0:
			rnd_source_event(&w, r, id, pc);
			break;
		case 1:
			rnd_block_event(&w, r, id, pc);
			break;
		default:
			rnd_next(&w);
			break;
		}
		struct sp_picker_stats st;
		sp_picker_get_stats(w.p, &st);
		uint32_t sum = 0;
		for (uint32_t i = 1; i <= RNS; i++)
			sum += sp_picker_source_outstanding(w.p, i);
		SP_CHECK_UINT(st.outstanding, sum);
	}
	sp_picker_free(w.p);
}

/* The one source that sent a block of every failed piece is the liar,
 * even though it never sent a whole piece alone. */
SP_TEST(liar_in_every_failed_piece_is_banned)
{
	struct sp_picker *p = mk(20, 0, 0);
	for (uint32_t id = 1; id <= 4; id++)
		seed(p, id, 1e6, 0.01);
	/* pieces 0, 1, 2: blocks from {1, 4}, {2, 4}, {3, 4}; all fail */
	for (uint32_t pc = 0; pc < 3; pc++) {
		for (uint32_t b = 0; b < 4; b++)
			SP_CHECK(sp_picker_block_arrived(p, b < 2 ? pc + 1 : 4, pc,
							 b * SP_PICKER_BLOCK, 1000));
		SP_CHECK(sp_picker_piece_ready(p, pc));
		sp_picker_piece_failed(p, pc);
	}
	sp_picker_cursor_set(p, 0, 10 * PLEN, 100000, 0);
	struct sp_picker_action a[256];
	size_t n = next(p, 2000, a, 256);
	bool honest[5] = {0};
	for (size_t i = 0; i < n; i++) {
		SP_CHECK(a[i].source != 4);
		honest[a[i].source] = true;
	}
	SP_CHECK(honest[1] && honest[2] && honest[3]);
	sp_picker_free(p);
}

SP_TEST_MAIN()

/* Source id: a viewer ahead of us, unchoking us, with pieces [0, n). */
static void viewer_ahead(struct sp_picker *p, uint32_t id, uint32_t n)
{
	sp_picker_source_add(p, id, SP_SOURCE_PEER);
	for (uint32_t i = 0; i < n; i++)
		sp_picker_source_have(p, id, i);
	sp_picker_source_choke(p, id, false, false);
}

/* The first call's requests for pieces below end, counted by whom they
 * go to: source 1 (the seed) or another (the relay); frees p. */
static void first_split(struct sp_picker *p, uint32_t end, size_t *from_seed,
			size_t *from_relay)
{
	struct sp_picker_action act[512];
	size_t n = next(p, 0, act, 512);
	*from_seed = *from_relay = 0;
	for (size_t i = 0; i < n; i++) {
		if (act[i].type != SP_ACTION_REQUEST || act[i].piece >= end)
			continue;
		(*(act[i].source == 1 ? from_seed : from_relay))++;
	}
	sp_picker_free(p);
}

/* Rule 13's trusted relay: a viewer that told us it plays ahead
 * (sp_picker_source_trust) counts at its bitrate before we have measured
 * it, so the blocks it has are asked of it rather than of the source
 * (measured, the source shared by the viewers brings less than the
 * stream: without trust no relay is seen to carry it, the source is not
 * patient and takes most blocks, being faster than an unknown peer); the
 * source keeps only what the relay would bring too late. Counts of
 * the first call's requests for the pieces both have. */
static void trust_split(bool trust, size_t *from_seed, size_t *from_relay)
{
	const double br = 135000;
	struct sp_picker *p = mk(40, SP_PICKER_DEADLINE, 0);
	for (uint32_t i = 0; i < 10; i++) /* we play at 0 with 10 pieces buffered */
		sp_picker_have_piece(p, i);
	seed(p, 1, 0.6 * br, 0.02); /* the source, shared: measured at 0.6 x */
	viewer_ahead(p, 2, 30);
	if (trust)
		sp_picker_source_trust(p, 2, br);
	sp_picker_cursor_set(p, 0, 0, br, 0);
	first_split(p, 30, from_seed, from_relay);
}

SP_TEST(trusted_relay_before_the_source)
{
	size_t seed_u, relay_u, seed_t, relay_t;
	trust_split(false, &seed_u, &relay_u);
	trust_split(true, &seed_t, &relay_t);
	SP_CHECK_CMP(seed_u, >, 0);  /* unknown, the viewer waits for a measure */
	SP_CHECK_INT(seed_t, 0);     /* trusted, it brings them in time */
	SP_CHECK_CMP(relay_t, >=, relay_u);
	SP_CHECK_CMP(relay_t, >, 0);
}

/* Rule 13's other half: a seed that hands out holds our request for a
 * piece another viewer has (it waits for us to get it there). A block
 * the seed has not sent well past its time, of a piece a trusted relay
 * now has and brings before the deadline, is asked of the relay instead
 * (cancelled at the seed). Without the relay's piece, or before the
 * seed's time is past, nothing moves. (In a real swarm the viewer right
 * behind the first waited out the seed's 2 s hold and stalled.) */
static void held_run(bool relay_gets_it, uint32_t *moved)
{
	const double br = PLEN; /* a piece a second */
	struct sp_picker *p = mk(40, SP_PICKER_DEADLINE, 0);
	for (uint32_t i = 0; i < 3; i++)
		sp_picker_have_piece(p, i);
	seed(p, 1, 2 * br, 0.02); /* the source */
	viewer_ahead(p, 2, 3);
	sp_picker_source_trust(p, 2, 2 * br);
	sp_picker_source_rate(p, 2, 2 * br, 0.02);
	sp_picker_cursor_set_lead(p, 0, 0, br, 1.0, 0);
	static struct track tr;
	memset(&tr, 0, sizeof(tr));
	/* the first piece asked of the seed, which then sends nothing */
	uint32_t piece = UINT32_MAX;
	int64_t now = 0;
	for (; now < 3 * SEC && piece == UINT32_MAX; now += 50 * MS) {
		step(p, &tr, now);
		for (size_t k = 0; k < tr.n && piece == UINT32_MAX; k++)
			if (tr.r[k].source == 1)
				piece = tr.r[k].piece;
	}
	SP_CHECK(piece != UINT32_MAX);
	if (relay_gets_it)
		sp_picker_source_have(p, 2, piece); /* the first viewer got it */
	struct sp_picker_stats st;
	*moved = 0;
	for (int64_t got = now, end = now + 3 * SEC; now < end; now += 50 * MS) {
		step(p, &tr, now);
		sp_picker_get_stats(p, &st);
		if (now - got < 250 * MS) /* the seed's time is not past yet */
			SP_CHECK_UINT(st.seed_reclaimed, 0);
	}
	sp_picker_get_stats(p, &st);
	for (size_t k = 0; k < tr.n; k++)
		if (tr.r[k].piece == piece)
			SP_CHECK_UINT(tr.r[k].source, relay_gets_it ? 2 : 1);
	*moved = (uint32_t)st.seed_reclaimed;
	sp_picker_free(p);
}

SP_TEST(a_block_the_seed_holds_goes_to_the_relay_that_has_it)
{
	uint32_t moved;
	held_run(true, &moved);
	SP_CHECK_CMP(moved, >, 0);
	held_run(false, &moved);
	SP_CHECK_UINT(moved, 0);
}


/* Rule 13's expectation: a piece only the seed has is left to a viewer
 * that plays far enough ahead of us to pass it on in time
 * (sp_picker_source_plays): it asks the seed first, and a seed that hands
 * out would hold our request for it (in a real swarm the viewer right
 * behind the first waited out that hold and stalled). The seed is asked
 * only once our deadline is near (the viewer's time to pass it on, never
 * less than the seed's own time for the piece, and PK_SEED_LEAD_SLACK_S).
 * ahead: how far the viewer plays ahead of us in seconds (0: no word of
 * it); waits: it waits to begin (its pieces are not due: no
 * expectation); measured: we have seen it deliver (else what it says of
 * itself is not waited for). have_at_us: when the viewer gets the piece
 * (0: never). When the seed was first asked for the piece (INT64_MAX:
 * never), and who was asked first. */
static void leader_run(double ahead, bool waits, bool measured, int64_t have_at_us,
		       int64_t *seed_at, uint32_t *first)
{
	const double br = PLEN; /* a piece a second */
	const uint32_t front = 6;
	struct sp_picker *p = mk(40, SP_PICKER_DEADLINE, 0);
	for (uint32_t i = 0; i < front; i++) /* we play from 0, 1 s of read-ahead */
		sp_picker_have_piece(p, i);
	seed(p, 1, 2 * br, 0.02); /* the source */
	viewer_ahead(p, 2, front);
	sp_picker_source_trust(p, 2, 8 * br); /* passes a piece on in 0.145 s */
	if (measured)
		sp_picker_source_rate(p, 2, 8 * br, 0.02);
	if (ahead > 0) /* we play at t - 1 s: it at piece 0 at 1 s - ahead */
		sp_picker_source_plays(p, 2, 0, br, waits, (int64_t)((1 - ahead) * SEC));
	static struct track tr;
	memset(&tr, 0, sizeof(tr));
	*seed_at = INT64_MAX;
	*first = 0;
	for (int64_t now = 0; now <= 7 * SEC; now += 50 * MS) {
		/* the read-ahead drains while the reader waits for the piece */
		double t = (double)now / SEC, at = t < front ? t : front;
		sp_picker_cursor_set_lead(p, 0, (uint64_t)(at * br), br, 1.0 - (t - at), now);
		if (have_at_us && now == have_at_us)
			sp_picker_source_have(p, 2, front);
		step(p, &tr, now);
		for (size_t k = 0; k < tr.n && *seed_at == INT64_MAX; k++)
			if (tr.r[k].source == 1 && tr.r[k].piece == front)
				*seed_at = now;
		for (size_t k = 0; k < tr.n && !*first; k++)
			if (tr.r[k].piece == front)
				*first = tr.r[k].source;
	}
	sp_picker_free(p);
}

SP_TEST(a_frontier_piece_is_left_to_the_viewer_that_plays_it_first)
{
	int64_t none, plays, waits, near, given;
	uint32_t first;
	int64_t unmeasured;
	leader_run(0, false, true, 0, &none, &first); /* piece 6 is due at 7 s */
	SP_CHECK_CMP(none, <, 5300 * MS); /* 2 s and the seed's time before */
	SP_CHECK_UINT(first, 1);
	/* the seed's time for the piece (0.52 s at 2 x) and 0.3 s before;
	 * not its time to pass it on (0.145 s): no later than the seed
	 * could still bring it */
	leader_run(1.0, false, true, 0, &plays, &first);
	SP_CHECK_CMP(plays, >=, 6150 * MS);
	SP_CHECK_CMP(plays, <, 6300 * MS);
	leader_run(1.0, true, true, 0, &waits, &first);
	SP_CHECK_CMP(waits, ==, none);
	leader_run(0.3, false, true, 0, &near, &first); /* too near to pass it on */
	SP_CHECK_CMP(near, ==, none);
	leader_run(1.0, false, false, 0, &unmeasured, &first); /* has sent us nothing */
	SP_CHECK_CMP(unmeasured, ==, none);
	leader_run(1.0, false, true, 5300 * MS, &given, &first);
	SP_CHECK_UINT(first, 2); /* it got the piece: asked there */
}

/* Where we play, as sp_playpos tells the peers: the earliest reader's
 * cursor less the read-ahead its consumer has still to play, used up at
 * the bitrate once it plays, never past the cursor (near a swarm's
 * frontier every reader waits at the same piece, and only this tells
 * who needs it sooner); a consumer that waits to begin plays nothing
 * yet, and we wait only while every reader does. */
SP_TEST(where_we_play_is_the_cursor_less_the_read_ahead)
{
	struct sp_picker *p = mk(40, SP_PICKER_DEADLINE, 0);
	double br;
	SP_CHECK(sp_picker_play_offset(p, 0, &br) == UINT64_MAX);
	SP_CHECK(!sp_picker_play_waiting(p));
	/* at 1 s it reads at piece 10 with 2 s read ahead, a piece a second */
	sp_picker_cursor_set_lead(p, 1, 10 * PLEN, PLEN, 2.0, 1 * SEC);
	SP_CHECK_UINT(sp_picker_play_offset(p, 1 * SEC, &br), 8 * PLEN);
	SP_CHECK_CMP(br, ==, PLEN);
	SP_CHECK_UINT(sp_picker_play_offset(p, 2 * SEC, &br), 9 * PLEN);
	SP_CHECK_UINT(sp_picker_play_offset(p, 6 * SEC, &br), 10 * PLEN);
	sp_picker_cursor_waiting(p, 1, true, 6 * SEC);
	SP_CHECK(sp_picker_play_waiting(p));
	SP_CHECK_UINT(sp_picker_play_offset(p, 6 * SEC, &br), 8 * PLEN);
	sp_picker_cursor_set_lead(p, 2, 20 * PLEN, PLEN, 0, 6 * SEC); /* another plays */
	SP_CHECK(!sp_picker_play_waiting(p));
	SP_CHECK_UINT(sp_picker_play_offset(p, 6 * SEC, &br), 8 * PLEN);
	sp_picker_cursor_waiting(p, 9, true, 6 * SEC); /* no such reader: nothing */
	sp_picker_cursor_remove(p, 2);
	SP_CHECK(sp_picker_play_waiting(p));
	/* it begins to play at 7 s, its queue as it was (the same report,
	 * which keeps its time: the lead was measured at 1 s, but none of
	 * it was played while it waited): from 8 pieces at 7 s, 9 at 8 s */
	sp_picker_cursor_set_lead(p, 1, 10 * PLEN, PLEN, 2.0, 7 * SEC);
	sp_picker_cursor_waiting(p, 1, false, 7 * SEC);
	SP_CHECK(!sp_picker_play_waiting(p));
	SP_CHECK_UINT(sp_picker_play_offset(p, 7 * SEC, &br), 8 * PLEN);
	SP_CHECK_UINT(sp_picker_play_offset(p, 8 * SEC, &br), 9 * PLEN);
	sp_picker_free(p);
}
