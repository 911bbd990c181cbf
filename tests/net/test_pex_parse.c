/* test_pex_parse.c - ut_pex messages (BEP 11) and the handshake's
 * "yourip" (BEP 10) parsed: "added" and "added6" round trip, and the hostile values: lengths not a multiple of
 * the entry, addresses no peer can have (::, multicast, IPv4-mapped,
 * 0.0.0.0), port 0, more entries than SP_PEX_MAX, wrong types. */
#include "net/ext_parse.h"
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/bencode.h"

static int parse(const void *added, size_t alen, const void *added6, size_t a6len,
		 struct sp_pex_msg *m)
{
	struct sp_buf b;
	sp_buf_init(&b, 1 << 16);
	sp_benc_dict_begin(&b);
	if (added) {
		sp_benc_put_cstr(&b, "added");
		sp_benc_put_str(&b, added, alen);
	}
	if (added6) {
		sp_benc_put_cstr(&b, "added6");
		sp_benc_put_str(&b, added6, a6len);
	}
	sp_benc_end(&b);
	int r = sp_pex_parse(b.data, b.len, m);
	sp_buf_fini(&b);
	return r;
}

static void entry6(uint8_t *e, const char *addr, uint16_t port)
{
	inet_pton(AF_INET6, addr, e);
	e[16] = (uint8_t)(port >> 8);
	e[17] = (uint8_t)port;
}

SP_TEST(added6_round_trip)
{
	uint8_t a6[3 * 18], a4[6] = {10, 0, 0, 1, 0x1a, 0xe1};
	entry6(a6, "2001:db8::1", 6881);
	entry6(a6 + 18, "::1", 51413);
	entry6(a6 + 36, "fe80::2", 1);
	struct sp_pex_msg m;
	SP_CHECK_INT(parse(a4, 6, a6, sizeof(a6), &m), 0);
	SP_CHECK_UINT(m.n, 1);
	SP_CHECK_UINT(m.seen6, 3);
	SP_CHECK_UINT(m.n6, 3);
	char s[64];
	inet_ntop(AF_INET6, &m.added6[0].sin6_addr, s, sizeof(s));
	SP_CHECK_STR(s, "2001:db8::1");
	SP_CHECK_INT(ntohs(m.added6[0].sin6_port), 6881);
	SP_CHECK_INT(m.added6[1].sin6_family, AF_INET6);
	SP_CHECK_INT(ntohs(m.added6[1].sin6_port), 51413);
	/* added6 alone */
	SP_CHECK_INT(parse(NULL, 0, a6, 18, &m), 0);
	SP_CHECK_UINT(m.n, 0);
	SP_CHECK_UINT(m.n6, 1);
}

SP_TEST(added6_hostile)
{
	uint8_t a6[5 * 18];
	entry6(a6, "::", 6881);              /* unspecified */
	entry6(a6 + 18, "ff02::1", 6881);    /* multicast */
	entry6(a6 + 36, "::ffff:1.2.3.4", 1); /* IPv4-mapped: that is "added"'s job */
	entry6(a6 + 54, "2001:db8::9", 0);   /* no port */
	entry6(a6 + 72, "2001:db8::a", 80);  /* the one good entry */
	struct sp_pex_msg m;
	SP_CHECK_INT(parse(NULL, 0, a6, sizeof(a6), &m), 0);
	SP_CHECK_UINT(m.seen6, 5);
	SP_CHECK_UINT(m.n6, 1);
	/* a length not a multiple of 18 */
	SP_CHECK_INT(parse(NULL, 0, a6, 17, &m), -EBADMSG);
	SP_CHECK_INT(parse(NULL, 0, a6, 19, &m), -EBADMSG);
	SP_CHECK_UINT(m.n6, 0);
	/* more than SP_PEX_MAX: only SP_PEX_MAX looked at */
	static uint8_t many[(SP_PEX_MAX + 30) * 18];
	for (int i = 0; i < SP_PEX_MAX + 30; i++) {
		char s[48];
		snprintf(s, sizeof(s), "2001:db8::%x", i + 1);
		entry6(many + 18 * i, s, 6881);
	}
	SP_CHECK_INT(parse(NULL, 0, many, sizeof(many), &m), 0);
	SP_CHECK_UINT(m.seen6, SP_PEX_MAX);
	SP_CHECK_UINT(m.n6, SP_PEX_MAX);
	/* wrong types are not entries */
	const char *odd = "d6:added6i5ee";
	SP_CHECK_INT(sp_pex_parse((const uint8_t *)odd, strlen(odd), &m), 0);
	SP_CHECK_UINT(m.seen6 + m.n6, 0);
	const char *bad = "d6:added63:abce";
	SP_CHECK_INT(sp_pex_parse((const uint8_t *)bad, strlen(bad), &m), -EBADMSG);
}

/* BEP 10 "yourip": 4 or 16 bytes kept, any other length or type is none */
SP_TEST(handshake_yourip)
{
	static const struct {
		const char *msg;
		size_t len;
		int want;
	} cases[] = {
	    {"d6:yourip4:\x01\x02\x03\x04" "e", 16, 4},
	    {"d6:yourip16:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" "e", 29, 16},
	    {"d6:yourip5:abcdee", 17, 0},
	    {"d6:yourip0:e", 12, 0},
	    {"d6:youripi4ee", 13, 0},
	    {"de", 2, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sp_ext_hs hs;
		SP_CHECK_INT(sp_ext_parse_handshake((const uint8_t *)cases[i].msg, cases[i].len, &hs),
			     0);
		SP_CHECK_INT(hs.yourip_len, cases[i].want);
	}
	struct sp_ext_hs hs;
	sp_ext_parse_handshake((const uint8_t *)cases[0].msg, cases[0].len, &hs);
	SP_CHECK(!memcmp(hs.yourip, "\x01\x02\x03\x04", 4));
	sp_ext_parse_handshake((const uint8_t *)cases[1].msg, cases[1].len, &hs);
	SP_CHECK(hs.yourip[0] == 0x20 && hs.yourip[3] == 0xb8 && hs.yourip[15] == 1);
}

SP_TEST_MAIN()
