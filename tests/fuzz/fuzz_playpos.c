/* fuzz_playpos.c - libFuzzer target for the sp_playpos message a peer
 * sends (src/net/playpos_msg.c; issue 10).
 *
 * Invariants checked, besides "no crash, no sanitizer report, no leak":
 * a refused input leaves the struct zeroed; an accepted one is within
 * its bounds and re-builds to a message that parses back the same. */
#include <stdlib.h>
#include <string.h>

#include "net/playpos_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_playpos pp, again;
	if (sp_playpos_parse(data, size, &pp) < 0) {
		if (pp.piece || pp.rate || pp.starting)
			abort();
		return 0;
	}
	if (pp.piece >= SP_PLAYPOS_MAX_PIECE || pp.rate > SP_PLAYPOS_MAX_RATE)
		abort();
	struct sp_buf b;
	sp_buf_init(&b, 64);
	if (sp_playpos_build(&b, &pp) < 0 || sp_playpos_parse(b.data, b.len, &again) < 0 ||
	    memcmp(&pp, &again, sizeof(pp)))
		abort();
	sp_buf_fini(&b);
	return 0;
}
