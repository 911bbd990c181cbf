/* dht_state.h - the DHT's saved routing table (dht.dat), built and parsed:
 * the pure half of dht.c's load and save.
 *
 * The file is one bencoded dictionary: "id" (our 20-byte node id) and
 * "nodes" (26-byte compact IPv4 node infos: id, address, port). It comes
 * from disk, where anyone with the user's rights may have written
 * anything: the parser takes at most SP_DHT_STATE_MAX_FILE bytes, at most
 * `max` nodes, and drops entries no DHT node can have (port 0, address
 * 0.0.0.0, multicast, broadcast, our own id). Any thread; nothing kept. */
#ifndef SP_DHT_STATE_H
#define SP_DHT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SP_DHT_STATE_MAX_FILE 65536

struct sp_dht_saved {
	uint8_t id[20];
	uint8_t addr[4]; /* network order */
	uint16_t port;   /* host order */
};

/* 0 with *n nodes in out[0..max) and, when the file has a 20-byte id,
 * *have_id and id; -EBADMSG when it is not such a dictionary, -EOVERFLOW
 * over SP_DHT_STATE_MAX_FILE. */
int sp_dht_state_parse(const uint8_t *buf, size_t len, uint8_t id[20], bool *have_id,
		       struct sp_dht_saved *out, size_t max, size_t *n);
/* Appends the file's bytes to b; 0 or a negative errno (b's ceiling). */
int sp_dht_state_build(struct sp_buf *b, const uint8_t id[20], const struct sp_dht_saved *nodes,
		       size_t n);
/* Could a node live at this address (network order) and port? */
bool sp_dht_state_addr_ok(const uint8_t addr[4], uint16_t port);

#endif
