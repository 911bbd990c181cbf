/* dht_state.h - the DHT's saved routing table (dht.dat), built and parsed:
 * the pure half of dht.c's load and save.
 *
 * The file is one bencoded dictionary: "id" (our 20-byte node id),
 * "nodes" (26-byte compact IPv4 node infos: id, address, port) and
 * "nodes6" (38-byte compact IPv6 node infos, BEP 32; absent when there
 * are none, so files of IPv4 only read as before). It comes from disk,
 * where anyone with the user's rights may have written anything: the
 * parser takes at most SP_DHT_STATE_MAX_FILE bytes, at most `max` nodes
 * (IPv4 first, then IPv6), and drops entries no DHT node can have (port
 * 0, the unspecified address, multicast, IPv4 broadcast, IPv4-mapped
 * IPv6, duplicates, our own id). Any thread; nothing kept. */
#ifndef SP_DHT_STATE_H
#define SP_DHT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SP_DHT_STATE_MAX_FILE 65536

/* No padding: entries compare with memcmp. */
struct sp_dht_saved {
	uint8_t id[20];
	uint8_t addr[16]; /* network order; the first 4 bytes for IPv4, the rest 0 */
	uint16_t port;	  /* host order */
	uint8_t len;	  /* 4 or 16 */
	uint8_t zero;	  /* always 0 */
};

/* 0 with *n nodes in out[0..max) (every IPv4 one before every IPv6 one)
 * and, when the file has a 20-byte id, *have_id and id; -EBADMSG when it
 * is not such a dictionary, -EOVERFLOW over SP_DHT_STATE_MAX_FILE. */
int sp_dht_state_parse(const uint8_t *buf, size_t len, uint8_t id[20], bool *have_id,
		       struct sp_dht_saved *out, size_t max, size_t *n);
/* Appends the file's bytes to b (nodes of either family, in any order);
 * 0 or a negative errno (b's ceiling; -EINVAL for a len other than 4 or
 * 16). */
int sp_dht_state_build(struct sp_buf *b, const uint8_t id[20], const struct sp_dht_saved *nodes,
		       size_t n);
/* Could a node live at this address (network order, alen 4 or 16) and
 * port? */
bool sp_dht_state_addr_ok(const uint8_t *addr, size_t alen, uint16_t port);

#endif
