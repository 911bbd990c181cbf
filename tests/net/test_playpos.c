/* test_playpos.c - the sp_playpos message (issue 10): what we build
 * parses back; hostile values are bounded or refused (negative, huge or
 * missing piece, wrong types, trailing bytes, nested junk); the extended
 * handshake's m.sp_playpos id is kept only in 1..255. */
#include "net/playpos_msg.h"
#include "harness.h"

#include <errno.h>
#include <string.h>

#include "net/ext_parse.h"

static int parse(const char *s, struct sp_playpos *pp)
{
	return sp_playpos_parse((const uint8_t *)s, strlen(s), pp);
}

SP_TEST(round_trip)
{
	static const struct sp_playpos cases[] = {{0, 0, false},
						  {1, 400000, false},
						  {2, 400000, true},
						  {SP_PLAYPOS_MAX_PIECE - 1, SP_PLAYPOS_MAX_RATE, false}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sp_buf b;
		struct sp_playpos back;
		sp_buf_init(&b, 64);
		SP_CHECK_INT(sp_playpos_build(&b, &cases[i]), 0);
		SP_CHECK_INT(sp_playpos_parse(b.data, b.len, &back), 0);
		SP_CHECK_INT(back.piece, cases[i].piece);
		SP_CHECK_INT(back.rate, cases[i].rate);
		SP_CHECK_INT(back.starting, cases[i].starting);
		sp_buf_fini(&b);
	}
	/* a rate past the bound is built as the bound */
	struct sp_buf b;
	struct sp_playpos big = {7, UINT32_MAX, false}, back;
	sp_buf_init(&b, 64);
	SP_CHECK_INT(sp_playpos_build(&b, &big), 0);
	SP_CHECK_INT(sp_playpos_parse(b.data, b.len, &back), 0);
	SP_CHECK_INT(back.rate, SP_PLAYPOS_MAX_RATE);
	sp_buf_fini(&b);
}

SP_TEST(hostile_values)
{
	struct sp_playpos pp;
	SP_CHECK_INT(parse("d1:pi12e1:ri400000ee", &pp), 0);
	SP_CHECK_INT(pp.piece, 12);
	SP_CHECK_INT(pp.rate, 400000);
	/* rate absent or negative: 0; huge: bounded. "w" absent or 0: not
	 * waiting to start; any other integer: waiting */
	static const struct {
		const char *in;
		uint32_t rate;
		bool starting;
	} good[] = {
	    {"d1:pi3ee", 0, false},
	    {"d1:pi3e1:ri-5ee", 0, false},
	    {"d1:pi3e1:ri99999999999999ee", SP_PLAYPOS_MAX_RATE, false},
	    {"d1:pi3e1:ri1e1:wi0ee", 1, false},
	    {"d1:pi3e1:ri1e1:wi1ee", 1, true},
	    {"d1:pi3e1:ri1e1:wi-7ee", 1, true},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		SP_CHECK_INT(parse(good[i].in, &pp), 0);
		SP_CHECK_INT(pp.piece, 3);
		SP_CHECK_INT(pp.rate, good[i].rate);
		SP_CHECK_INT(pp.starting, good[i].starting);
	}
	/* unknown keys are ignored */
	SP_CHECK_INT(parse("d1:pi3e1:ri1e1:xld1:ai1eeee", &pp), 0);
	SP_CHECK_INT(pp.piece, 3);
	/* refused, and out zeroed */
	static const char *const bad[] = {
	    "",
	    "de",
	    "le",
	    "i3e",
	    "d1:pi-1ee",
	    "d1:pi1073741824ee",
	    "d1:pi99999999999999999999ee",
	    "d1:p1:3e",
	    "d1:pi3e1:r3:abce",
	    "d1:pi3e1:ri1e1:w1:1e",
	    "d1:pi3eeX",
	    "d1:pi3e",
	    "d1:pli3eee",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pp.piece = pp.rate = 9;
		pp.starting = true;
		SP_CHECK_INT(parse(bad[i], &pp), -EBADMSG);
		SP_CHECK_INT(pp.piece, 0);
		SP_CHECK_INT(pp.rate, 0);
		SP_CHECK_INT(pp.starting, 0);
	}
	/* deep nesting costs nothing and is refused */
	char deep[4096];
	size_t n = 0;
	memcpy(deep, "d1:pi1e1:x", 10);
	n = 10;
	while (n < 2000)
		deep[n++] = 'l';
	while (n < 3990)
		deep[n++] = 'e';
	deep[n] = 0;
	SP_CHECK_INT(parse(deep, &pp), -EBADMSG);
}

SP_TEST(handshake_id)
{
	static const struct {
		const char *msg;
		int want;
	} cases[] = {
	    {"d1:md10:sp_playposi3eee", 3},   {"d1:md10:sp_playposi255eee", 255},
	    {"d1:md10:sp_playposi256eee", 0}, {"d1:md10:sp_playposi0eee", 0},
	    {"d1:md10:sp_playposi-3eee", 0},  {"d1:md10:sp_playpos1:3ee", 0},
	    {"d1:md11:ut_metadatai2eee", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sp_ext_hs hs;
		SP_CHECK_INT(sp_ext_parse_handshake((const uint8_t *)cases[i].msg,
						    strlen(cases[i].msg), &hs),
			     0);
		SP_CHECK_INT(hs.sp_playpos, cases[i].want);
	}
}

SP_TEST_MAIN()
