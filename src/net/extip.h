/* extip.h - our external address, as others report it: votes from DHT
 * answers (BEP 42's "ip"), peers' extended handshakes (BEP 10 "yourip")
 * and the router's port mapping. One struct per address family.
 *
 * A voter counts once among the last SP_EXTIP_VOTERS voters (on a public
 * address, its address; on a local one, where many nodes share one host,
 * its address and port), so one host cannot carry the vote. An address
 * is ours once it has SP_EXTIP_MIN_VOTES and more than any other; the
 * router's answer counts as that many at once unless it is a private
 * address (a router behind another NAT). Counts are halved when one
 * reaches SP_EXTIP_CAP, so a new address (a new lease) wins in time.
 * Fixed sizes: a vote flood costs nothing but the vote. Pure; any
 * thread (the session's: the net thread). */
#ifndef SP_EXTIP_H
#define SP_EXTIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_EXTIP_CANDS 8
#define SP_EXTIP_VOTERS 64
#define SP_EXTIP_MIN_VOTES 3
#define SP_EXTIP_CAP 64

enum sp_extip_source { SP_EXTIP_DHT, SP_EXTIP_PEER, SP_EXTIP_ROUTER };

struct sp_extip_key {
	uint8_t a[18]; /* address, then the port on local voters */
	uint8_t len;
};

struct sp_extip {
	uint8_t len; /* 4 or 16: the family */
	struct {
		uint8_t ip[16];
		int votes;
	} cand[SP_EXTIP_CANDS];
	int ncand;
	struct sp_extip_key voters[SP_EXTIP_VOTERS];
	unsigned nvoters;
	int best; /* index into cand of the decided address, -1 none */
	uint64_t changes;
};

void sp_extip_init(struct sp_extip *e, size_t family_len);
/* One vote that ip (e->len bytes) is ours, from voter (same family,
 * voter_port host order; ignored for the router). True when the decided
 * address changed (became known, or another). */
bool sp_extip_vote(struct sp_extip *e, enum sp_extip_source src, const uint8_t *ip,
		   const uint8_t *voter, uint16_t voter_port);
/* The decided address (e->len bytes) or NULL. */
const uint8_t *sp_extip_get(const struct sp_extip *e);

#endif
