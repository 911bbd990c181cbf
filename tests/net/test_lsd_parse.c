/* test_lsd_parse.c - BEP 14 datagrams read (pure): an announce with two
 * info-hashes (upper case folded), the cookie, and what is refused: no
 * port, a port out of range or with junk, a hash not 40 hex digits, more
 * hashes than the ceiling, an over-long datagram, another method; the
 * tests' SWARMPLAY_LSD values (loopback, loopback:PORT, junk). */
#include "net/lsd_parse.h"
#include "harness.h"

#include <errno.h>
#include <string.h>

#define H1 "0123456789abcdef0123456789abcdef01234567"
#define H2 "89ABCDEF0123456789abcdef0123456789abcdef"

static int parse(const char *s, struct sp_lsd_msg *m)
{
	return sp_lsd_parse(s, strlen(s), m);
}

SP_TEST(announce)
{
	struct sp_lsd_msg m;
	SP_CHECK_INT(parse("BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n"
			   "Infohash: " H1 "\r\nInfohash: " H2 "\r\ninfohash: 12\r\n"
			   "cookie: abc\r\n\r\n\r\n", &m), 0);
	SP_CHECK_UINT(m.port, 6881);
	SP_CHECK_INT(m.nhashes, 2);
	SP_CHECK_STR(m.hashes[0], H1);
	SP_CHECK_STR(m.hashes[1], "89abcdef0123456789abcdef0123456789abcdef");
	SP_CHECK_STR(m.cookie, "abc");
	/* no terminator needed: the last line ends the buffer */
	const char tail[] = "BT-SEARCH * HTTP/1.1\nPort: 7";
	SP_CHECK_INT(sp_lsd_parse(tail, sizeof(tail) - 1, &m), 0);
	SP_CHECK_UINT(m.port, 7);
}

SP_TEST(refused)
{
	struct sp_lsd_msg m;
	SP_CHECK_INT(parse("BT-SEARCH * HTTP/1.1\r\nInfohash: " H1 "\r\n", &m), -EBADMSG);
	SP_CHECK_INT(parse("BT-SEARCH * HTTP/1.1\r\nPort: 0\r\n", &m), -EBADMSG);
	SP_CHECK_INT(parse("BT-SEARCH * HTTP/1.1\r\nPort: 65536\r\n", &m), -EBADMSG);
	SP_CHECK_INT(parse("BT-SEARCH * HTTP/1.1\r\nPort: 68x1\r\n", &m), -EBADMSG);
	SP_CHECK_INT(parse("BT-SEARCH * HTTP/1.1\r\nPort: -1\r\n", &m), -EBADMSG);
	SP_CHECK_INT(parse("NOTIFY * HTTP/1.1\r\nPort: 6881\r\n", &m), -EBADMSG);
	SP_CHECK_INT(parse("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: " H1 "0\r\n"
			   "Infohash: g123456789abcdef0123456789abcdef01234567\r\n", &m), 0);
	SP_CHECK_INT(m.nhashes, 0);
	char big[SP_LSD_MAX_DGRAM + 64] = "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n";
	size_t at = strlen(big);
	while (at + 60 < sizeof(big)) {
		memcpy(big + at, "Infohash: " H1 "\r\n", 52);
		at += 52;
	}
	SP_CHECK_INT(sp_lsd_parse(big, at, &m), -EBADMSG); /* over the ceiling */
	SP_CHECK_INT(sp_lsd_parse(big, 1300, &m), 0);
	SP_CHECK_INT(m.nhashes, SP_LSD_MAX_HASHES);
}

SP_TEST(env)
{
	uint16_t port = 6771;
	SP_CHECK_INT(sp_lsd_env_parse(NULL, &port), 0);
	SP_CHECK_INT(sp_lsd_env_parse("", &port), 0);
	SP_CHECK_INT(sp_lsd_env_parse("loopback", &port), 1);
	SP_CHECK_UINT(port, 6771);
	SP_CHECK_INT(sp_lsd_env_parse("loopback:23456", &port), 1);
	SP_CHECK_UINT(port, 23456);
	port = 6771;
	SP_CHECK_INT(sp_lsd_env_parse("loopback:0", &port), -EINVAL);
	SP_CHECK_INT(sp_lsd_env_parse("loopback:65536", &port), -EINVAL);
	SP_CHECK_INT(sp_lsd_env_parse("loopback:12x", &port), -EINVAL);
	SP_CHECK_INT(sp_lsd_env_parse("loopback:-1", &port), -EINVAL);
	SP_CHECK_INT(sp_lsd_env_parse("loopback:", &port), -EINVAL);
	SP_CHECK_INT(sp_lsd_env_parse("lan", &port), -EINVAL);
	SP_CHECK_UINT(port, 6771);
}

SP_TEST_MAIN()
