/* fuzz_dht_state.c - libFuzzer target for the DHT's saved routing table
 * (src/net/dht_state.c, parsed as dht.c loads it): a file on disk that
 * anything with the user's rights may have written. Only this file is
 * added: dht.c is not touched.
 *
 * Invariants, besides "no crash, no sanitizer report, no leak":
 * - at most `max` nodes, each with an address and port a node can have
 *   (IPv4 from "nodes", IPv6 from "nodes6", every IPv4 one first);
 * - what was parsed, built again, parses back to the same id and nodes. */
#include <stdlib.h>
#include <string.h>

#include "net/dht_state.h"

#define MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[20], id2[20];
	bool have_id = false, have2 = false;
	struct sp_dht_saved nodes[MAX], again[MAX];
	size_t n = 0, n2 = 0;
	if (sp_dht_state_parse(data, size, id, &have_id, nodes, MAX, &n) < 0)
		return 0;
	if (n > MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((nodes[i].len != 4 && nodes[i].len != 16) || nodes[i].zero ||
		    !sp_dht_state_addr_ok(nodes[i].addr, nodes[i].len, nodes[i].port))
			abort();
	for (size_t i = 1; i < n; i++)
		if (nodes[i - 1].len > nodes[i].len)
			abort();
	if (!have_id)
		return 0;
	struct sp_buf b;
	sp_buf_init(&b, SP_DHT_STATE_MAX_FILE);
	if (sp_dht_state_build(&b, id, nodes, n) == 0) {
		if (sp_dht_state_parse(b.data, b.len, id2, &have2, again, MAX, &n2) < 0 || !have2 ||
		    memcmp(id, id2, 20) || n2 != n || memcmp(nodes, again, n * sizeof(*nodes)))
			abort();
	}
	sp_buf_fini(&b);
	return 0;
}
