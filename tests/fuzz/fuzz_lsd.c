/* fuzz_lsd.c - libFuzzer target for BEP 14 datagrams (src/net/lsd_parse.c):
 * anything anyone on the local network multicasts to port 6771. The input
 * is the datagram, in a buffer of its exact size (no terminator: the
 * parser must not need one).
 *
 * Invariants, besides "no crash, no sanitizer report, no leak":
 * - an accepted datagram starts "BT-SEARCH * HTTP/1." and is within the
 *   ceiling; its port is 1..65535;
 * - at most SP_LSD_MAX_HASHES hashes, each 40 lower-case hex digits that
 *   appear (in some case) in the datagram;
 * - the cookie is NUL-ended within its buffer. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/lsd_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	struct sp_lsd_msg m;
	if (sp_lsd_parse(buf, size, &m) == 0) {
		if (size > SP_LSD_MAX_DGRAM || size < 19 || memcmp(buf, "BT-SEARCH * HTTP/1.", 19))
			abort();
		if (m.port == 0 || m.nhashes < 0 || m.nhashes > SP_LSD_MAX_HASHES)
			abort();
		if (strnlen(m.cookie, sizeof(m.cookie)) == sizeof(m.cookie))
			abort();
		for (int i = 0; i < m.nhashes; i++) {
			if (strlen(m.hashes[i]) != 40 || strspn(m.hashes[i], "0123456789abcdef") != 40)
				abort();
			bool seen = false;
			for (size_t at = 0; !seen && at + 40 <= size; at++)
				seen = !strncasecmp(buf + at, m.hashes[i], 40);
			if (!seen)
				abort();
		}
	}
	free(buf);
	return 0;
}
