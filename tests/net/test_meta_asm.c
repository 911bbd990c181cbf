/* test_meta_asm.c - a magnet's metadata from BEP 9 pieces with blame:
 * unasked pieces are never taken, a host that sent all of a wrong whole
 * is the liar, mixed senders are sorted out one host at a time, and an
 * honest host wins whatever the order of arrival (every interleaving of
 * a liar's and an honest host's answers over three pieces). */
#include "net/meta_asm.h"
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha1.h"

#define SIZE (2 * SP_META_ASM_PIECE + 1000) /* three pieces */
#define S 1000000LL

static uint8_t truth[SIZE], junk[SIZE], ih[20];

static void setup(void)
{
	for (size_t i = 0; i < SIZE; i++) {
		truth[i] = (uint8_t)(i * 7 + 3);
		junk[i] = (uint8_t)(i * 13 + 1);
	}
	sp_sha1(truth, SIZE, ih);
}

static struct sp_host host(uint8_t last)
{
	struct sp_host h = {{0}};
	h.a[10] = h.a[11] = 0xff;
	h.a[12] = 10;
	h.a[15] = last;
	return h;
}

static size_t plen(int64_t i)
{
	return i == 2 ? 1000 : SP_META_ASM_PIECE;
}

static int send_piece(struct sp_meta_asm *a, const struct sp_host *h, int64_t i,
		      const uint8_t *src, int64_t now)
{
	return sp_meta_asm_data(a, h, i, src + i * SP_META_ASM_PIECE, plen(i), now);
}

SP_TEST(unasked_never_taken)
{
	setup();
	struct sp_meta_asm *a = sp_meta_asm_new(SIZE, ih);
	SP_CHECK(a != NULL);
	struct sp_host h1 = host(1), h2 = host(2);
	SP_CHECK_INT(send_piece(a, &h1, 0, truth, S), SP_META_ASM_UNASKED);
	SP_CHECK_INT(sp_meta_asm_next(a, &h1, S), 0);
	SP_CHECK_INT(send_piece(a, &h2, 0, junk, S), SP_META_ASM_UNASKED); /* asked of h1 */
	SP_CHECK_INT(sp_meta_asm_data(a, &h1, 0, truth, 5, S), -EPROTO); /* wrong length */
	SP_CHECK_INT(sp_meta_asm_data(a, &h1, 3, truth, 5, S), -EPROTO); /* out of range */
	SP_CHECK_INT(sp_meta_asm_next(a, &h1, S), 1);
	SP_CHECK_INT(send_piece(a, &h1, 1, truth, S), SP_META_ASM_MORE);
	SP_CHECK_INT(send_piece(a, &h1, 1, junk, S), SP_META_ASM_UNASKED); /* one ask, one piece */
	SP_CHECK(sp_meta_asm_new(0, ih) == NULL);
	SP_CHECK(sp_meta_asm_new(SP_META_ASM_MAX + 1, ih) == NULL);
	sp_meta_asm_free(a);
}

SP_TEST(sole_sender_is_the_liar)
{
	setup();
	struct sp_meta_asm *a = sp_meta_asm_new(SIZE, ih);
	struct sp_host liar = host(6), honest = host(7), out[4];
	int r = 0;
	for (int64_t i; r == SP_META_ASM_MORE && (i = sp_meta_asm_next(a, &liar, S)) >= 0;)
		r = send_piece(a, &liar, i, junk, S);
	SP_CHECK_INT(r, SP_META_ASM_MISMATCH);
	SP_CHECK_UINT(sp_meta_asm_liars(a, out, 4), 1);
	SP_CHECK(sp_host_eq(&out[0], &liar));
	SP_CHECK(!sp_meta_asm_single(a));
	r = 0;
	for (int64_t i; r == SP_META_ASM_MORE && (i = sp_meta_asm_next(a, &honest, 2 * S)) >= 0;)
		r = send_piece(a, &honest, i, truth, 2 * S);
	SP_CHECK_INT(r, SP_META_ASM_DONE);
	SP_CHECK_UINT(sp_meta_asm_liars(a, out, 4), 0);
	SP_CHECK(!memcmp(sp_meta_asm_bytes(a), truth, SIZE));
	sp_meta_asm_free(a);
}

/* One interleaving: bit k of order says whether the liar (1) or the
 * honest host (0) asks first at step k. Each answers what it is asked at
 * once; both keep asking until DONE. */
static void run_order(unsigned order, int *steps_out)
{
	struct sp_meta_asm *a = sp_meta_asm_new(SIZE, ih);
	struct sp_host liar = host(6), honest = host(7), out[4];
	bool liar_banned = false, done = false;
	int64_t now = S;
	int steps = 0;
	for (; steps < 200 && !done; steps++, now += S / 10) {
		bool liar_first = (order >> (steps % 16)) & 1;
		for (int turn = 0; turn < 2 && !done; turn++) {
			bool is_liar = (turn == 0) == liar_first;
			if (is_liar && liar_banned)
				continue;
			const struct sp_host *h = is_liar ? &liar : &honest;
			int64_t i = sp_meta_asm_next(a, h, now);
			if (i < 0)
				continue;
			int r = send_piece(a, h, i, is_liar ? junk : truth, now);
			size_t n = sp_meta_asm_liars(a, out, 4);
			for (size_t k = 0; k < n; k++) {
				SP_CHECK(sp_host_eq(&out[k], &liar)); /* never the honest */
				liar_banned = true;
			}
			done = r == SP_META_ASM_DONE;
		}
	}
	SP_CHECK(done);
	SP_CHECK(!memcmp(sp_meta_asm_bytes(a), truth, SIZE));
	*steps_out = steps;
	sp_meta_asm_free(a);
}

SP_TEST(honest_wins_any_order)
{
	setup();
	int worst = 0;
	for (unsigned order = 0; order < 256; order++) {
		int steps;
		run_order(order * 0x0101u, &steps);
		if (steps > worst)
			worst = steps;
	}
	SP_CHECK_CMP(worst, <, 60);
}

SP_TEST(silent_turn_passes)
{
	setup();
	struct sp_meta_asm *a = sp_meta_asm_new(SIZE, ih);
	struct sp_host liar = host(6), mute = host(8), honest = host(7), out[4];
	/* mixed round: the liar's piece 0, the honest host's 1 and 2 */
	SP_CHECK_INT(sp_meta_asm_next(a, &liar, S), 0);
	SP_CHECK_INT(sp_meta_asm_next(a, &honest, S), 1);
	SP_CHECK_INT(sp_meta_asm_next(a, &honest, S), 2);
	SP_CHECK_INT(send_piece(a, &liar, 0, junk, S), SP_META_ASM_MORE);
	SP_CHECK_INT(send_piece(a, &honest, 2, truth, S), SP_META_ASM_MORE);
	SP_CHECK_INT(send_piece(a, &honest, 1, truth, S), SP_META_ASM_MISMATCH);
	SP_CHECK_UINT(sp_meta_asm_liars(a, out, 4), 0); /* not known yet */
	SP_CHECK(sp_meta_asm_single(a));
	/* a host that never answers takes the turn, then loses it */
	SP_CHECK_INT(sp_meta_asm_next(a, &mute, 2 * S), 0);
	SP_CHECK_INT(sp_meta_asm_next(a, &honest, 2 * S), -1);
	int64_t later = 2 * S + SP_META_ASM_TURN_US + 1;
	int r = 0;
	for (int64_t i; (i = sp_meta_asm_next(a, &honest, later)) >= 0;)
		r = send_piece(a, &honest, i, truth, later);
	SP_CHECK_INT(r, SP_META_ASM_DONE);
	SP_CHECK_UINT(sp_meta_asm_liars(a, out, 4), 1); /* its piece 0 differed */
	SP_CHECK(sp_host_eq(&out[0], &liar));
	SP_CHECK_INT(send_piece(a, &mute, 0, truth, later), SP_META_ASM_UNASKED);
	sp_meta_asm_free(a);
}

SP_TEST(reject_frees_the_piece)
{
	setup();
	struct sp_meta_asm *a = sp_meta_asm_new(SIZE, ih);
	struct sp_host h1 = host(1), h2 = host(2);
	SP_CHECK_INT(sp_meta_asm_next(a, &h1, S), 0);
	sp_meta_asm_reject(a, &h2, 0); /* not asked of h2: no effect */
	SP_CHECK_INT(sp_meta_asm_next(a, &h2, S), 1);
	sp_meta_asm_reject(a, &h1, 0);
	SP_CHECK_INT(sp_meta_asm_next(a, &h2, S), 0);
	SP_CHECK_INT(send_piece(a, &h1, 0, truth, S), SP_META_ASM_UNASKED);
	sp_meta_asm_free(a);
}

SP_TEST_MAIN()
