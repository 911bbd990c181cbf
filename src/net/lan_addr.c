/* lan_addr.c - the local-network address ranges (lan_addr.h). Pure. */
#include "net/lan_addr.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

static bool v4_lan(const uint8_t a[4])
{
	return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	       (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254);
}

bool sp_addr_is_lan(const struct sockaddr *sa)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		uint8_t a[4];
		memcpy(a, &in->sin_addr, 4);
		return v4_lan(a);
	}
	if (sa->sa_family != AF_INET6)
		return false;
	const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	if (!memcmp(a, mapped, 12))
		return v4_lan(a + 12);
	return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
	       !memcmp(a, loop, 16);
}
