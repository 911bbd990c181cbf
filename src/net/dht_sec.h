/* dht_sec.h - the DHT's defences that need no socket: BEP 42 node ids
 * bound to an address, the tokens we hand out (two secrets: the current
 * and the previous, so a token stays good for one to two rotations), and
 * the rate limit on answering queries (per source address and in total).
 *
 * Pure: time and randomness come in as arguments, nothing is allocated,
 * every table has a fixed size, so a flood of queries from spoofed
 * addresses costs a bounded amount of memory and CPU. Any thread; the
 * structs belong to their caller (dht.c: the net thread). */
#ifndef SP_DHT_SEC_H
#define SP_DHT_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- BEP 42 ---- */

/* CRC-32C (Castagnoli), as BEP 42 computes it. */
uint32_t sp_crc32c(const uint8_t *p, size_t len);
/* Is this address (4 or 16 bytes, network order) exempt from BEP 42: a
 * private, link-local or loopback one, where ids cannot be checked? */
bool sp_bep42_exempt(const uint8_t *ip, size_t iplen);
/* A node id for our external address ip (4 or 16 bytes): rnd[0] is the
 * last byte (its low 3 bits pick one of the 8 prefixes), rnd[1..17] fill
 * the 17 free bytes and bits. */
void sp_bep42_make(const uint8_t *ip, size_t iplen, const uint8_t rnd[18], uint8_t id[20]);
/* Does this id fit this address (its first 21 bits)? Exempt addresses
 * always fit. */
bool sp_bep42_ok(const uint8_t id[20], const uint8_t *ip, size_t iplen);

/* ---- tokens ---- */

#define SP_DHT_TOKEN_LEN 8
#define SP_DHT_SECRET_LEN 16
/* A secret serves as the current one this long, then as the previous one
 * as long again: a token is honoured 5 to 10 minutes (BEP 5: "up to ten
 * minutes"). */
#define SP_DHT_SECRET_US (300 * 1000000LL)

struct sp_dht_tokens {
	uint8_t cur[SP_DHT_SECRET_LEN], prev[SP_DHT_SECRET_LEN];
	int64_t rotated_us;
};

void sp_dht_tokens_init(struct sp_dht_tokens *t, const uint8_t secret[SP_DHT_SECRET_LEN],
			int64_t now_us);
/* True when it is time for a new secret; call sp_dht_tokens_rotate then. */
bool sp_dht_tokens_due(const struct sp_dht_tokens *t, int64_t now_us);
void sp_dht_tokens_rotate(struct sp_dht_tokens *t, const uint8_t fresh[SP_DHT_SECRET_LEN],
			  int64_t now_us);
/* The token for an asker's address (4 or 16 bytes). */
void sp_dht_token_make(const struct sp_dht_tokens *t, const uint8_t *ip, size_t iplen,
		       uint8_t out[SP_DHT_TOKEN_LEN]);
/* Is tok one we gave this address with the current or previous secret? */
bool sp_dht_token_ok(const struct sp_dht_tokens *t, const uint8_t *ip, size_t iplen,
		     const uint8_t *tok, size_t toklen);

/* ---- the rate limit on answers ---- */

/* Token buckets: SP_DHT_RL_SLOTS addresses tracked (the idlest slot is
 * taken over by a new address; on a local address, where many nodes may
 * share a host, an address and port), each allowed SP_DHT_RL_PER_IP queries a
 * second with a burst of twice that, and all together SP_DHT_RL_TOTAL a
 * second. A query over either limit is dropped unanswered. */
#define SP_DHT_RL_SLOTS 256
#define SP_DHT_RL_PER_IP 5
#define SP_DHT_RL_TOTAL 250

struct sp_dht_rl_slot {
	uint8_t ip[16];
	uint8_t iplen;
	uint16_t port; /* 0 on public addresses */
	int32_t milli; /* tokens x 1000 */
	int64_t at_us; /* last refill */
};

struct sp_dht_ratelimit {
	struct sp_dht_rl_slot slot[SP_DHT_RL_SLOTS];
	int32_t total_milli;
	int64_t total_at_us;
	uint64_t dropped; /* queries refused, for the log */
};

void sp_dht_rl_init(struct sp_dht_ratelimit *rl, int64_t now_us);
/* May a query from ip (4 or 16 bytes) and port be answered now? Counts
 * it. */
bool sp_dht_rl_allow(struct sp_dht_ratelimit *rl, const uint8_t *ip, size_t iplen, uint16_t port,
		     int64_t now_us);

#endif
