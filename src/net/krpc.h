/* krpc.h - parsing of one BEP 5 KRPC datagram (the DHT's queries and
 * responses), the pure half of dht.c.
 *
 * Bytes in, views out: every pointer in struct sp_krpc points into the
 * datagram (which must outlive it); nothing is allocated once
 * sp_krpc_parse returns. The datagram is bencode-parsed with hard limits
 * (depth 6, 512 nodes, strings up to one datagram). Returns 0, or
 * -EBADMSG when it is not a KRPC message dht.c acts on: not a bencoded
 * dictionary, "y" not "q" or "r", no "t" (a query's at most 8 bytes,
 * since we echo it), a query without a method name of at most 16 bytes,
 * either without a 20-byte node id ("a.id" / "r.id"). Errors ("y" "e")
 * are -EBADMSG too: we never act on them. Any thread. */
#ifndef SP_KRPC_H
#define SP_KRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_KRPC_MAX_DGRAM 1500
/* More 6-byte values than fit in one datagram is impossible. */
#define SP_KRPC_MAX_VALUES (SP_KRPC_MAX_DGRAM / 8)
#define SP_KRPC_MAX_VALUES6 (SP_KRPC_MAX_DGRAM / 20)

struct sp_krpc {
	char y;		    /* 'q' or 'r' */
	const uint8_t *tid; /* "t" */
	size_t tid_len;
	char q[17];	   /* a query's method, NUL-ended; "" in a response */
	const uint8_t *id; /* the sender's node id, 20 bytes */
	/* Query arguments ("a"); NULL / 0 when absent. */
	const uint8_t *target; /* "target", else "info_hash": any length */
	size_t target_len;
	const uint8_t *info_hash; /* "info_hash": any length */
	size_t info_hash_len;
	uint16_t port;	   /* "port" in 1..65535, else 0 */
	bool implied_port; /* "implied_port" present and non-zero */
	bool want4, want6; /* BEP 32 "want" holds "n4" / "n6" */
	/* Query ("a") or response ("r") */
	const uint8_t *token;
	size_t token_len;
	/* Response only. */
	const uint8_t *ip; /* BEP 42 "ip" (top level) when 6 or 18 bytes */
	size_t ip_len;
	const uint8_t *nodes; /* compact node infos; the caller reads whole 26-byte entries */
	size_t nodes_len;
	const uint8_t *nodes6; /* BEP 32: 38-byte entries (id, IPv6 address, port) */
	size_t nodes6_len;
	const uint8_t *values[SP_KRPC_MAX_VALUES]; /* 6-byte compact peers of "values" */
	size_t nvalues;
	const uint8_t *values6[SP_KRPC_MAX_VALUES6]; /* 18-byte ones (BEP 32) */
	size_t nvalues6;
};

int sp_krpc_parse(const uint8_t *buf, size_t len, struct sp_krpc *m);

#endif
