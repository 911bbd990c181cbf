/* test_banlist.c - bans for IPv4 and IPv6: by address, by /64 once two
 * addresses of it lied, never a /64 rule for IPv4 (every mapped address
 * shares its first 8 bytes), the unspecified address never, and a
 * ceiling against a liar cycling addresses. */
#include "net/banlist.h"
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static struct sp_host v6(const char *s)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, s, &a.sin6_addr);
	return sp_host_of((struct sockaddr *)&a);
}

static struct sp_host v4(const char *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	inet_pton(AF_INET, s, &a.sin_addr);
	return sp_host_of((struct sockaddr *)&a);
}

SP_TEST(ipv4_by_address)
{
	struct sp_banlist b;
	sp_banlist_init(&b);
	struct sp_host a = v4("10.0.0.1"), c = v4("10.0.0.2");
	SP_CHECK(sp_host_is_v4(&a));
	SP_CHECK_INT(sp_banlist_add(&b, &a), 1);
	SP_CHECK_INT(sp_banlist_add(&b, &a), 0);
	SP_CHECK(sp_banlist_has(&b, &a));
	SP_CHECK(!sp_banlist_has(&b, &c));
	/* many IPv4 liars: never a prefix rule that would catch everyone */
	char s[32];
	for (int i = 0; i < 50; i++) {
		snprintf(s, sizeof(s), "10.1.%d.%d", i, i + 1);
		struct sp_host h = v4(s);
		sp_banlist_add(&b, &h);
	}
	SP_CHECK_UINT(b.np, 0);
	struct sp_host honest = v4("192.0.2.9");
	SP_CHECK(!sp_banlist_has(&b, &honest));
	char str[64];
	sp_host_str(&a, str, sizeof(str));
	SP_CHECK_STR(str, "10.0.0.1");
	sp_banlist_fini(&b);
}

SP_TEST(ipv6_address_then_prefix)
{
	struct sp_banlist b;
	sp_banlist_init(&b);
	struct sp_host a = v6("2001:db8:1:2::a"), a2 = v6("2001:db8:1:2:ffff::77"),
		       other64 = v6("2001:db8:1:3::a"), fresh = v6("2001:db8:1:2:1234::1");
	SP_CHECK(!sp_host_is_v4(&a));
	SP_CHECK_INT(sp_banlist_add(&b, &a), 1);
	SP_CHECK(sp_banlist_has(&b, &a));
	SP_CHECK(!sp_banlist_has(&b, &fresh)); /* one lie: that address only */
	SP_CHECK_INT(sp_banlist_add(&b, &a2), 2); /* two in one /64: the /64 */
	SP_CHECK(sp_banlist_has(&b, &fresh));    /* reconnecting from a new address */
	SP_CHECK(!sp_banlist_has(&b, &other64));
	SP_CHECK_INT(sp_banlist_add(&b, &fresh), 0); /* already covered */
	/* IPv4 is never caught by an IPv6 prefix, even ::/64 */
	struct sp_host z1 = v6("::1:0:0:1"), z2 = v6("::2:0:0:1"), four = v4("10.9.9.9");
	sp_banlist_add(&b, &z1);
	sp_banlist_add(&b, &z2);
	SP_CHECK(sp_banlist_has(&b, &z1));
	SP_CHECK(!sp_banlist_has(&b, &four));
	char str[64];
	sp_host_str(&a, str, sizeof(str));
	SP_CHECK_STR(str, "2001:db8:1:2::a");
	sp_banlist_fini(&b);
}

SP_TEST(unset_and_ceiling)
{
	struct sp_banlist b;
	sp_banlist_init(&b);
	struct sp_host none = v6("::"), none4 = v4("0.0.0.0"), other = {{0}};
	SP_CHECK_INT(sp_banlist_add(&b, &none), 0);
	SP_CHECK_INT(sp_banlist_add(&b, &none4), 0);
	SP_CHECK_INT(sp_banlist_add(&b, &other), 0);
	SP_CHECK(!sp_banlist_has(&b, &none));
	struct sockaddr_un_like { sa_family_t f; char d[30]; } u = {.f = AF_UNIX};
	struct sp_host un = sp_host_of((struct sockaddr *)&u);
	SP_CHECK(!sp_host_is_set(&un));
	/* a liar cycling through /64s: the list stops at its ceiling */
	char s[64];
	for (int i = 0; i < SP_BAN_MAX + 500; i++) {
		snprintf(s, sizeof(s), "2001:db8:%x:%x::1", i >> 8, i & 0xff);
		struct sp_host h = v6(s);
		sp_banlist_add(&b, &h);
	}
	SP_CHECK_CMP(b.n + b.np, <=, SP_BAN_MAX);
	sp_banlist_fini(&b);
}

SP_TEST_MAIN()
