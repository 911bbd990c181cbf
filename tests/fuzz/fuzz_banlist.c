/* fuzz_banlist.c - libFuzzer target for the ban list (src/net/banlist.c):
 * the addresses of peers that lied, IPv4 or IPv6, chosen by whoever
 * connects. The input is a sequence of 17-byte records: an operation
 * byte (even: ban, odd: ask) and a 16-byte host (a mapped IPv4 address
 * when the operation's bit 1 is set).
 *
 * Invariants, besides "no crash, no sanitizer report, no leak":
 * - a host just banned (1 or 2 returned) is banned from then on;
 * - the unspecified address is never banned; no /64 rule for IPv4;
 * - the list never grows past SP_BAN_MAX. */
#include <stdlib.h>
#include <string.h>

#include "net/banlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_banlist b;
	sp_banlist_init(&b);
	struct sp_host zero = {{0}};
	for (size_t at = 0; at + 17 <= size; at += 17) {
		struct sp_host h;
		memcpy(h.a, data + at + 1, 16);
		if (data[at] & 2) { /* ::ffff:a.b.c.d */
			memset(h.a, 0, 10);
			h.a[10] = h.a[11] = 0xff;
		}
		if (data[at] & 1) {
			(void)sp_banlist_has(&b, &h);
			continue;
		}
		int r = sp_banlist_add(&b, &h);
		if (r > 0 && !sp_banlist_has(&b, &h))
			abort();
		if (r > 0 && !sp_host_is_set(&h))
			abort();
		if (r == 2 && sp_host_is_v4(&h))
			abort();
		if (b.n + b.np > SP_BAN_MAX || sp_banlist_has(&b, &zero))
			abort();
	}
	sp_banlist_fini(&b);
	return 0;
}
