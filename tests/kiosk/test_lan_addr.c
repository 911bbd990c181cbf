/* test_lan_addr.c - which peer addresses are the local network's (the
 * choker serves them first when LSD is on, the kiosk's mode). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "harness.h"
#include "net/lan_addr.h"

static bool lan(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			SP_FAIL("bad test address %s", ip);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1)
			SP_FAIL("bad test address %s", ip);
	}
	return sp_addr_is_lan((struct sockaddr *)&ss);
}

SP_TEST(lan_ranges)
{
	static const char *const yes[] = {
		"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.20",
		"169.254.3.4", "127.0.0.1", "127.0.0.3", "::1", "fd12:3456::1", "fc00::1",
		"fe80::1", "febf::1", "::ffff:192.168.0.7", "::ffff:10.1.2.3",
	};
	static const char *const no[] = {
		"8.8.8.8", "172.15.255.255", "172.32.0.1", "192.169.0.1", "11.0.0.1",
		"169.253.0.1", "2001:db8::1", "fec0::1", "::", "::2", "::ffff:8.8.8.8",
		"100.64.0.1",
	};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!lan(yes[i]))
			SP_FAIL("%s is on the local network", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (lan(no[i]))
			SP_FAIL("%s is not on the local network", no[i]);
	SP_CHECK(!sp_addr_is_lan(NULL));
}

SP_TEST_MAIN()
