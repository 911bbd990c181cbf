/* dht_table.h - the DHT's routing table and its outstanding queries, the
 * pure half of dht.c (no socket, time passed in).
 *
 * The table: at most SP_DHT_TABLE_MAX nodes, a flat list (no k-bucket
 * splitting: a client needs a good spread, not a full table), with:
 *   - SP_DHT_PER_IP nodes at most per public address (one host cannot
 *     fill the table under many ids or ports; on local addresses, which
 *     BEP 42 exempts too, many nodes may share a host);
 *   - failure counting: a query that times out counts against its node,
 *     an answer clears the count, SP_DHT_MAX_FAILS in a row evict it;
 *   - BEP 42: once our external address is known the table checks ids
 *     against addresses; a node whose id does not fit its address never
 *     replaces one that does, is the first to go when room is needed, and
 *     with `require42` is not admitted at all. Local addresses are exempt.
 *
 * The transactions: every query we send is recorded (a random 2-byte id,
 * the address, what it was for); a reply counts only when it matches one
 * by id and address: an unsolicited reply is never acted on (no node
 * learnt, no `ip` vote). SP_DHT_PENDING_MAX at most: a new query takes
 * the oldest slot when full (the caller is told which).
 *
 * Addresses are IPv4 or IPv6: `struct sp_dht_addr`. Any thread; the
 * caller's structs (dht.c: the net thread). */
#ifndef SP_DHT_TABLE_H
#define SP_DHT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_DHT_TABLE_MAX 256
#define SP_DHT_PER_IP 2
#define SP_DHT_MAX_FAILS 3
#define SP_DHT_PENDING_MAX 256

struct sp_dht_addr {
	uint8_t ip[16]; /* network order; the first 4 bytes for IPv4 */
	uint8_t len;	/* 4 or 16 */
	uint16_t port;	/* host order */
};

bool sp_dht_addr_eq(const struct sp_dht_addr *a, const struct sp_dht_addr *b);
bool sp_dht_ip_eq(const struct sp_dht_addr *a, const struct sp_dht_addr *b);

struct sp_dht_node {
	uint8_t id[20];
	struct sp_dht_addr addr;
	int64_t seen_us; /* last heard from (a query or an answer) */
	int fails;	 /* queries unanswered in a row */
	bool ok42;	 /* the id fits the address (BEP 42), or it is exempt */
};

struct sp_dht_table {
	struct sp_dht_node n[SP_DHT_TABLE_MAX];
	int count;
	uint8_t self[20]; /* our id: never in the table */
	bool know_ext;	  /* our external address is known: BEP 42 applies */
	bool require42;	  /* refuse nodes whose ids do not fit */
};

enum sp_dht_add_result {
	SP_DHT_ADDED,
	SP_DHT_UPDATED,
	SP_DHT_REFUSED_ADDR,   /* port 0, unspecified, multicast, our own id */
	SP_DHT_REFUSED_PER_IP, /* SP_DHT_PER_IP nodes of that address already */
	SP_DHT_REFUSED_42,     /* the id does not fit (require42, or nothing worse to replace) */
	SP_DHT_REFUSED_FULL,   /* full of nodes as good or better */
};

void sp_dht_table_init(struct sp_dht_table *t, const uint8_t self[20]);
/* Our id changed (BEP 42 regeneration): nodes keep their places. */
void sp_dht_table_set_self(struct sp_dht_table *t, const uint8_t self[20]);
/* Our external address became known (or unknown): re-check every id. */
void sp_dht_table_set_ext_known(struct sp_dht_table *t, bool known);
/* A node heard from at now_us (it answered us, or queried us). An
 * existing entry for the address takes the new id (once per answer) and
 * its failure count is cleared. */
enum sp_dht_add_result sp_dht_table_heard(struct sp_dht_table *t, const uint8_t id[20],
					  const struct sp_dht_addr *a, int64_t now_us);
/* A query to a timed out: its count grows, SP_DHT_MAX_FAILS evict it.
 * True when it was evicted. */
bool sp_dht_table_failed(struct sp_dht_table *t, const struct sp_dht_addr *a);
int sp_dht_table_find(const struct sp_dht_table *t, const struct sp_dht_addr *a);
/* Up to max indexes of the nodes closest to target by XOR (best first),
 * skipping nodes with failures when good ones exist; family 4 or 16
 * (0: any). Returns how many. */
size_t sp_dht_table_closest(const struct sp_dht_table *t, const uint8_t target[20], int family,
			    int *out, size_t max);
/* Is x closer to target than y? */
bool sp_dht_closer(const uint8_t target[20], const uint8_t x[20], const uint8_t y[20]);
/* Could a DHT node live at this address? */
bool sp_dht_addr_ok(const struct sp_dht_addr *a);

/* ---- outstanding queries ---- */

struct sp_dht_txn {
	uint16_t tid;
	struct sp_dht_addr addr;
	int64_t sent_us; /* 0: free */
	uint8_t kind;	 /* the caller's: what the query was for */
	uint8_t lookup, cand;
};

struct sp_dht_pending {
	struct sp_dht_txn t[SP_DHT_PENDING_MAX];
	uint16_t next; /* the caller seeds it at random */
};

/* Record a query; returns its transaction id. When every slot is busy
 * the oldest is dropped and *evicted (if not NULL) receives it, so the
 * caller can count its node as failed (sent_us 0 when none). */
uint16_t sp_dht_pending_add(struct sp_dht_pending *p, const struct sp_dht_addr *a, uint8_t kind,
			    uint8_t lookup, uint8_t cand, int64_t now_us,
			    struct sp_dht_txn *evicted);
/* The query a reply answers (tid, from): true and *out filled (and the
 * slot freed) when it is one of ours to that address; false otherwise. */
bool sp_dht_pending_match(struct sp_dht_pending *p, const uint8_t *tid, size_t tid_len,
			  const struct sp_dht_addr *from, struct sp_dht_txn *out);
/* The next query older than timeout_us, freed and copied to *out; false
 * when none is left. */
bool sp_dht_pending_expire(struct sp_dht_pending *p, int64_t now_us, int64_t timeout_us,
			   struct sp_dht_txn *out);

#endif
