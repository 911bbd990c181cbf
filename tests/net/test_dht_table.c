/* test_dht_table.c - the DHT's routing table and transactions, pure:
 * the per-address limit, failures counted and evicting, BEP 42 ids
 * preferred (and required when asked) once our address is known, the
 * closest nodes, and replies matched to queries (an unsolicited one, a
 * wrong address, a replayed one refused; a full set drops the oldest).
 * Also the votes for our external address (extip.c). */
#include "net/dht_sec.h"
#include "net/dht_table.h"
#include "net/extip.h"
#include "harness.h"

#include <arpa/inet.h>
#include <string.h>

static struct sp_dht_addr a4(const char *s, uint16_t port)
{
	struct sp_dht_addr a = {.len = 4, .port = port};
	SP_CHECK_INT(inet_pton(AF_INET, s, a.ip), 1);
	return a;
}

static void idn(uint8_t id[20], unsigned n)
{
	memset(id, 0, 20);
	id[0] = (uint8_t)(n >> 8);
	id[1] = (uint8_t)n;
	id[19] = 0x77;
}

static struct sp_dht_table tbl; /* large: static */

SP_TEST(per_ip_limit)
{
	uint8_t self[20] = {0xff}, id[20];
	sp_dht_table_init(&tbl, self);
	struct sp_dht_addr a = a4("203.0.113.5", 1000);
	int added = 0;
	for (unsigned i = 0; i < 50; i++) {
		idn(id, i);
		a.port = (uint16_t)(1000 + i);
		enum sp_dht_add_result r = sp_dht_table_heard(&tbl, id, &a, 1000);
		added += r == SP_DHT_ADDED;
		if (i >= SP_DHT_PER_IP)
			SP_CHECK_INT(r, SP_DHT_REFUSED_PER_IP);
	}
	SP_CHECK_INT(added, SP_DHT_PER_IP);
	SP_CHECK_INT(tbl.count, SP_DHT_PER_IP);
	/* the same address and port again: an update, not a new node */
	idn(id, 999);
	a.port = 1000;
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &a, 2000), SP_DHT_UPDATED);
	SP_CHECK_INT(tbl.count, SP_DHT_PER_IP);
	/* addresses no node has, and our own id */
	struct sp_dht_addr bad = a4("0.0.0.0", 1);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &bad, 1), SP_DHT_REFUSED_ADDR);
	bad = a4("239.1.1.1", 1);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &bad, 1), SP_DHT_REFUSED_ADDR);
	bad = a4("8.8.8.8", 0);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &bad, 1), SP_DHT_REFUSED_ADDR);
	bad = a4("8.8.8.8", 53);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, self, &bad, 1), SP_DHT_REFUSED_ADDR);
	/* a local address is not limited: many nodes may share a host */
	struct sp_dht_addr lo = a4("127.0.0.1", 7000);
	for (unsigned i = 0; i < 10; i++) {
		idn(id, 100 + i);
		lo.port = (uint16_t)(7000 + i);
		SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &lo, 1), SP_DHT_ADDED);
	}
}

SP_TEST(failures_evict)
{
	uint8_t self[20] = {0xff}, id[20];
	sp_dht_table_init(&tbl, self);
	struct sp_dht_addr a = a4("198.51.100.1", 6881), b = a4("198.51.100.2", 6881);
	idn(id, 1);
	sp_dht_table_heard(&tbl, id, &a, 1);
	idn(id, 2);
	sp_dht_table_heard(&tbl, id, &b, 1);
	for (int i = 1; i < SP_DHT_MAX_FAILS; i++)
		SP_CHECK(!sp_dht_table_failed(&tbl, &a));
	/* an answer clears the count */
	idn(id, 1);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &a, 2), SP_DHT_UPDATED);
	SP_CHECK_INT(tbl.n[sp_dht_table_find(&tbl, &a)].fails, 0);
	for (int i = 1; i < SP_DHT_MAX_FAILS; i++)
		SP_CHECK(!sp_dht_table_failed(&tbl, &a));
	SP_CHECK(sp_dht_table_failed(&tbl, &a)); /* the Nth in a row */
	SP_CHECK_INT(sp_dht_table_find(&tbl, &a), -1);
	SP_CHECK_INT(tbl.count, 1);
	SP_CHECK(!sp_dht_table_failed(&tbl, &a)); /* gone: nothing to count */
	/* the closest: a node with failures only after the good ones */
	SP_CHECK(!sp_dht_table_failed(&tbl, &b));
	struct sp_dht_addr c = a4("198.51.100.3", 6881);
	idn(id, 3);
	sp_dht_table_heard(&tbl, id, &c, 1);
	int out[4];
	uint8_t target[20];
	idn(target, 2); /* b is the closest by XOR, but failed once */
	SP_CHECK_UINT(sp_dht_table_closest(&tbl, target, 0, out, 4), 2);
	SP_CHECK(sp_dht_addr_eq(&tbl.n[out[0]].addr, &c));
	SP_CHECK(sp_dht_addr_eq(&tbl.n[out[1]].addr, &b));
	SP_CHECK_UINT(sp_dht_table_closest(&tbl, target, 16, out, 4), 0);
}

SP_TEST(full_table_keeps_good_nodes)
{
	uint8_t self[20] = {0xff}, id[20];
	sp_dht_table_init(&tbl, self);
	for (unsigned i = 0; i < SP_DHT_TABLE_MAX; i++) {
		struct sp_dht_addr a = {
		    .len = 4, .ip = {100, 64, (uint8_t)(i >> 8), (uint8_t)i}, .port = 6881};
		idn(id, i);
		SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &a, 1000000), SP_DHT_ADDED);
	}
	struct sp_dht_addr n = a4("100.99.0.1", 6881);
	idn(id, 5000);
	/* everyone good and fresh: the newcomer waits */
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &n, 2000000), SP_DHT_REFUSED_FULL);
	/* one failed: it makes room */
	struct sp_dht_addr f = {.len = 4, .ip = {100, 64, 0, 7}, .port = 6881};
	sp_dht_table_failed(&tbl, &f);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &n, 2000000), SP_DHT_ADDED);
	SP_CHECK_INT(sp_dht_table_find(&tbl, &f), -1);
	SP_CHECK_INT(tbl.count, SP_DHT_TABLE_MAX);
}

/* A public address and a BEP 42 id for it (or one that does not fit). */
static struct sp_dht_addr pub(unsigned i, uint8_t id[20], bool fits)
{
	struct sp_dht_addr a = {
	    .len = 4, .ip = {45, (uint8_t)(i >> 8), (uint8_t)i, 9}, .port = 6881};
	uint8_t rnd[18];
	memset(rnd, (int)i, sizeof(rnd));
	sp_bep42_make(a.ip, 4, rnd, id);
	if (!fits)
		id[0] ^= 0x80;
	return a;
}

SP_TEST(bep42_preferred)
{
	uint8_t self[20] = {0xff}, id[20];
	sp_dht_table_init(&tbl, self);
	/* unknown external address: any id goes */
	struct sp_dht_addr a = pub(1, id, false);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &a, 1), SP_DHT_ADDED);
	SP_CHECK(!tbl.n[0].ok42);
	sp_dht_table_set_ext_known(&tbl, true);
	/* fill the table with nodes whose ids fit */
	for (unsigned i = 2; tbl.count < SP_DHT_TABLE_MAX; i++) {
		a = pub(i, id, true);
		SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &a, 1000), SP_DHT_ADDED);
	}
	/* a fitting newcomer replaces the one that does not fit, even fresh */
	struct sp_dht_addr b = pub(1000, id, true);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &b, 2000), SP_DHT_ADDED);
	struct sp_dht_addr first = pub(1, id, false);
	SP_CHECK_INT(sp_dht_table_find(&tbl, &first), -1);
	/* a misfit never replaces a fitting node, even a failing one */
	sp_dht_table_failed(&tbl, &b);
	struct sp_dht_addr c = pub(1001, id, false);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &c, 3000), SP_DHT_REFUSED_42);
	/* a local address is exempt: its id always fits */
	struct sp_dht_addr l = a4("192.168.1.20", 6881);
	idn(id, 4242);
	sp_dht_table_init(&tbl, self);
	sp_dht_table_set_ext_known(&tbl, true);
	tbl.require42 = true;
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &l, 1), SP_DHT_ADDED);
	/* required: a misfit is refused even with room */
	c = pub(7, id, false);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &c, 1), SP_DHT_REFUSED_42);
	c = pub(7, id, true);
	SP_CHECK_INT(sp_dht_table_heard(&tbl, id, &c, 1), SP_DHT_ADDED);
}

static struct sp_dht_pending pend;

SP_TEST(replies_match_queries)
{
	memset(&pend, 0, sizeof(pend));
	pend.next = 0x1234;
	struct sp_dht_addr a = a4("198.51.100.1", 6881), b = a4("198.51.100.2", 6881);
	struct sp_dht_txn x, ev;
	uint16_t t = sp_dht_pending_add(&pend, &a, 1, 2, 3, 100, &ev);
	SP_CHECK_UINT(ev.sent_us, 0);
	uint8_t tid[2] = {(uint8_t)(t >> 8), (uint8_t)t},
		other[2] = {tid[0], (uint8_t)(tid[1] + 1)};
	SP_CHECK(!sp_dht_pending_match(&pend, tid, 2, &b, &x));	  /* wrong address */
	SP_CHECK(!sp_dht_pending_match(&pend, other, 2, &a, &x)); /* wrong id */
	SP_CHECK(!sp_dht_pending_match(&pend, tid, 1, &a, &x));	  /* wrong length */
	struct sp_dht_addr a2 = a;
	a2.port++;
	SP_CHECK(!sp_dht_pending_match(&pend, tid, 2, &a2, &x)); /* wrong port */
	SP_CHECK(sp_dht_pending_match(&pend, tid, 2, &a, &x));
	SP_CHECK_UINT(x.kind, 1);
	SP_CHECK_UINT(x.lookup, 2);
	SP_CHECK_UINT(x.cand, 3);
	SP_CHECK(!sp_dht_pending_match(&pend, tid, 2, &a, &x)); /* replayed */
	/* timeouts come out once each, oldest first or not, all of them */
	sp_dht_pending_add(&pend, &a, 0, 0, 0, 1000, NULL);
	sp_dht_pending_add(&pend, &b, 0, 0, 0, 2000, NULL);
	SP_CHECK(!sp_dht_pending_expire(&pend, 2500, 2000, &x));
	SP_CHECK(sp_dht_pending_expire(&pend, 3000, 2000, &x));
	SP_CHECK(sp_dht_addr_eq(&x.addr, &a));
	SP_CHECK(!sp_dht_pending_expire(&pend, 3000, 2000, &x));
	SP_CHECK(sp_dht_pending_expire(&pend, 4000, 2000, &x));
	SP_CHECK(sp_dht_addr_eq(&x.addr, &b));
	/* full: the oldest goes, and says so */
	for (int i = 0; i < SP_DHT_PENDING_MAX; i++)
		sp_dht_pending_add(&pend, &a, 0, 0, 0, 10000 + i, NULL);
	sp_dht_pending_add(&pend, &b, 0, 0, 0, 90000, &ev);
	SP_CHECK_UINT(ev.sent_us, 10000);
}

SP_TEST(extip_votes)
{
	struct sp_extip e;
	sp_extip_init(&e, 4);
	uint8_t mine[4] = {203, 0, 113, 7}, lie[4] = {198, 51, 100, 66};
	uint8_t v1[4] = {8, 8, 8, 8}, v2[4] = {9, 9, 9, 9}, v3[4] = {1, 1, 1, 1};
	uint8_t lo[4] = {127, 0, 0, 1};
	/* one voter, however often, is one vote */
	for (int i = 0; i < 10; i++)
		SP_CHECK(!sp_extip_vote(&e, SP_EXTIP_DHT, lie, v1, (uint16_t)(1000 + i)));
	SP_CHECK(sp_extip_get(&e) == NULL);
	SP_CHECK(!sp_extip_vote(&e, SP_EXTIP_PEER, mine, v2, 1));
	SP_CHECK(!sp_extip_vote(&e, SP_EXTIP_PEER, mine, v3, 1));
	SP_CHECK(!sp_extip_vote(&e, SP_EXTIP_PEER, mine, v1, 1)); /* v1 voted already */
	/* local voters count by address and port (many nodes on one host) */
	SP_CHECK(sp_extip_vote(&e, SP_EXTIP_DHT, mine, lo, 7001));
	SP_CHECK(!memcmp(sp_extip_get(&e), mine, 4));
	/* nonsense is no vote */
	uint8_t zero[4] = {0}, mc[4] = {239, 1, 1, 1};
	SP_CHECK(!sp_extip_vote(&e, SP_EXTIP_DHT, zero, lo, 7002));
	SP_CHECK(!sp_extip_vote(&e, SP_EXTIP_DHT, mc, lo, 7003));
	/* the router's word weighs as much as SP_EXTIP_MIN_VOTES, unless private */
	struct sp_extip r;
	sp_extip_init(&r, 4);
	uint8_t priv[4] = {192, 168, 0, 2};
	SP_CHECK(!sp_extip_vote(&r, SP_EXTIP_ROUTER, priv, NULL, 0));
	SP_CHECK(sp_extip_vote(&r, SP_EXTIP_ROUTER, mine, NULL, 0));
	SP_CHECK(!memcmp(sp_extip_get(&r), mine, 4));
	/* a new address wins once it has more votes */
	bool changed = false;
	for (uint16_t p = 1; p <= SP_EXTIP_MIN_VOTES + 1; p++)
		changed |= sp_extip_vote(&r, SP_EXTIP_DHT, lie, lo, p);
	SP_CHECK(changed);
	SP_CHECK(!memcmp(sp_extip_get(&r), lie, 4));
	SP_CHECK_UINT(r.changes, 2);
}

SP_TEST_MAIN()
