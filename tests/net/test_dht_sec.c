/* test_dht_sec.c - the DHT's pure defences: BEP 42 ids against the BEP's
 * own test vectors, token secrets that rotate (a token good for one to
 * two rotations, never after, never for another address), and the rate
 * limit on answers (per address, in total, a spoofed-address flood
 * bounded, recovery with time). */
#include "net/dht_sec.h"
#include "harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static void v4(const char *s, uint8_t ip[4])
{
	SP_CHECK_INT(inet_pton(AF_INET, s, ip), 1);
}

SP_TEST(crc32c_check_value)
{
	SP_CHECK_UINT(sp_crc32c((const uint8_t *)"123456789", 9), 0xe3069283u);
	SP_CHECK_UINT(sp_crc32c(NULL, 0), 0);
}

static const struct {
	const char *ip;
	unsigned rnd;
	const char *id;
} vectors[] = {
    /* BEP 42, "test vectors" */
    {"124.31.75.21", 1, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401"},
    {"21.75.31.124", 86, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256"},
    {"65.23.51.170", 22, "a5d43220bc8f112a3d426c84764f8c2a1150e616"},
    {"84.124.73.14", 65, "1b0321dd1bb1fe518101ceef99462b947a01ff41"},
    {"43.213.53.83", 90, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a"},
};

SP_TEST(bep42_vectors_check)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		uint8_t ip[4], id[20];
		v4(vectors[i].ip, ip);
		hex(vectors[i].id, id, 20);
		if (!sp_bep42_ok(id, ip, 4))
			SP_FAIL("vector %zu (%s) not accepted", i, vectors[i].ip);
		/* another address, the same id: refused (the 21 bits differ) */
		ip[3] ^= 0x01;
		SP_CHECK(!sp_bep42_ok(id, ip, 4));
		ip[3] ^= 0x01;
		/* a changed prefix bit or a changed r: refused */
		id[2] ^= 0x08;
		SP_CHECK(!sp_bep42_ok(id, ip, 4));
		id[2] ^= 0x08;
		id[19] ^= 0x01;
		SP_CHECK(!sp_bep42_ok(id, ip, 4));
		id[19] ^= 0x01;
		/* bits BEP 42 leaves free: still accepted */
		id[2] ^= 0x07;
		id[10] ^= 0xff;
		id[19] ^= 0x80;
		SP_CHECK(sp_bep42_ok(id, ip, 4));
	}
}

SP_TEST(bep42_vectors_make)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		uint8_t ip[4], want[20], id[20], rnd[18];
		v4(vectors[i].ip, ip);
		hex(vectors[i].id, want, 20);
		memset(rnd, 0x5a, sizeof(rnd));
		rnd[0] = (uint8_t)vectors[i].rnd;
		sp_bep42_make(ip, 4, rnd, id);
		SP_CHECK_UINT(id[0], want[0]);
		SP_CHECK_UINT(id[1], want[1]);
		SP_CHECK_UINT(id[2] & 0xf8, want[2] & 0xf8);
		SP_CHECK_UINT(id[19], want[19]);
		SP_CHECK(sp_bep42_ok(id, ip, 4));
	}
}

SP_TEST(bep42_ipv6_and_exempt)
{
	uint8_t ip6[16], id[20], rnd[18];
	SP_CHECK_INT(inet_pton(AF_INET6, "2001:db8:1234:5678::1", ip6), 1);
	for (unsigned r = 0; r < 8; r++) {
		memset(rnd, (int)(r * 37), sizeof(rnd));
		rnd[0] = (uint8_t)r;
		sp_bep42_make(ip6, 16, rnd, id);
		SP_CHECK(sp_bep42_ok(id, ip6, 16));
		ip6[5] ^= 0x01; /* inside the 64 bits that count */
		SP_CHECK(!sp_bep42_ok(id, ip6, 16));
		ip6[5] ^= 0x01;
		ip6[12] ^= 0x01; /* the interface half does not count */
		SP_CHECK(sp_bep42_ok(id, ip6, 16));
		ip6[12] ^= 0x01;
	}
	/* local addresses are exempt: any id fits */
	const char *local[] = {"10.1.2.3",   "127.0.0.1",   "172.16.0.1",
			       "172.31.9.9", "192.168.1.1", "169.254.3.4"};
	memset(id, 0, sizeof(id));
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		uint8_t ip[4];
		v4(local[i], ip);
		SP_CHECK(sp_bep42_exempt(ip, 4));
		SP_CHECK(sp_bep42_ok(id, ip, 4));
	}
	uint8_t pub[4];
	v4("172.32.0.1", pub);
	SP_CHECK(!sp_bep42_exempt(pub, 4));
	SP_CHECK_INT(inet_pton(AF_INET6, "::1", ip6), 1);
	SP_CHECK(sp_bep42_exempt(ip6, 16));
	SP_CHECK_INT(inet_pton(AF_INET6, "fe80::1", ip6), 1);
	SP_CHECK(sp_bep42_exempt(ip6, 16));
}

SP_TEST(tokens_rotate)
{
	struct sp_dht_tokens t;
	uint8_t s1[SP_DHT_SECRET_LEN], s2[SP_DHT_SECRET_LEN], s3[SP_DHT_SECRET_LEN];
	memset(s1, 1, sizeof(s1));
	memset(s2, 2, sizeof(s2));
	memset(s3, 3, sizeof(s3));
	uint8_t a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 5}, tok[SP_DHT_TOKEN_LEN];
	int64_t now = 1000;
	sp_dht_tokens_init(&t, s1, now);
	sp_dht_token_make(&t, a, 4, tok);
	SP_CHECK(sp_dht_token_ok(&t, a, 4, tok, sizeof(tok)));
	SP_CHECK(!sp_dht_token_ok(&t, b, 4, tok, sizeof(tok)));	    /* another asker */
	SP_CHECK(!sp_dht_token_ok(&t, a, 4, tok, sizeof(tok) - 1)); /* cut */
	SP_CHECK(!sp_dht_token_ok(&t, a, 4, NULL, 0));
	SP_CHECK(!sp_dht_tokens_due(&t, now + SP_DHT_SECRET_US - 1));
	SP_CHECK(sp_dht_tokens_due(&t, now + SP_DHT_SECRET_US));
	sp_dht_tokens_rotate(&t, s2, now + SP_DHT_SECRET_US);
	/* one rotation later: still good (the previous secret) */
	SP_CHECK(sp_dht_token_ok(&t, a, 4, tok, sizeof(tok)));
	uint8_t tok2[SP_DHT_TOKEN_LEN];
	sp_dht_token_make(&t, a, 4, tok2);
	SP_CHECK(memcmp(tok, tok2, sizeof(tok)));
	sp_dht_tokens_rotate(&t, s3, now + 2 * SP_DHT_SECRET_US);
	/* two rotations: the old token is refused, the newer one is good */
	SP_CHECK(!sp_dht_token_ok(&t, a, 4, tok, sizeof(tok)));
	SP_CHECK(sp_dht_token_ok(&t, a, 4, tok2, sizeof(tok2)));
	/* IPv6 askers: 16 bytes count */
	uint8_t v6a[16] = {0x20, 0x01, [15] = 1}, v6b[16] = {0x20, 0x01, [15] = 2};
	sp_dht_token_make(&t, v6a, 16, tok);
	SP_CHECK(sp_dht_token_ok(&t, v6a, 16, tok, sizeof(tok)));
	SP_CHECK(!sp_dht_token_ok(&t, v6b, 16, tok, sizeof(tok)));
}

SP_TEST(ratelimit_per_ip)
{
	static struct sp_dht_ratelimit rl;
	int64_t now = 5000000;
	sp_dht_rl_init(&rl, now);
	uint8_t a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
	int ok = 0;
	for (int i = 0; i < 100; i++)
		ok += sp_dht_rl_allow(&rl, a, 4, 6881, now);
	SP_CHECK_INT(ok, 2 * SP_DHT_RL_PER_IP);		 /* the burst, then nothing */
	SP_CHECK(sp_dht_rl_allow(&rl, b, 4, 6881, now)); /* others are not punished */
	/* one second later: SP_DHT_RL_PER_IP more */
	now += 1000000;
	ok = 0;
	for (int i = 0; i < 100; i++)
		ok += sp_dht_rl_allow(&rl, a, 4, 6881, now);
	SP_CHECK_INT(ok, SP_DHT_RL_PER_IP);
	SP_CHECK_UINT(rl.dropped, 100 - 2 * SP_DHT_RL_PER_IP + 100 - SP_DHT_RL_PER_IP);
	/* a steady querier at the rate is always answered */
	sp_dht_rl_init(&rl, now);
	for (int i = 0; i < 1000; i++) {
		now += 1000000 / SP_DHT_RL_PER_IP;
		SP_CHECK(sp_dht_rl_allow(&rl, a, 4, 6881, now));
	}
}

SP_TEST(ratelimit_total_and_spoofed_flood)
{
	static struct sp_dht_ratelimit rl;
	int64_t now = 5000000;
	sp_dht_rl_init(&rl, now);
	/* 100 000 queries from as many (spoofed) addresses in one instant:
	 * no more than the total burst answered, the table does not grow */
	int ok = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		uint8_t ip[4] = {(uint8_t)(11 + (i >> 16)), (uint8_t)(i >> 8), (uint8_t)i, 1};
		ok += sp_dht_rl_allow(&rl, ip, 4, (uint16_t)i, now);
	}
	SP_CHECK_INT(ok, 2 * SP_DHT_RL_TOTAL);
	/* a second later the total allows SP_DHT_RL_TOTAL again */
	now += 1000000;
	ok = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		uint8_t ip[4] = {99, (uint8_t)(i >> 8), (uint8_t)i, 2};
		ok += sp_dht_rl_allow(&rl, ip, 4, (uint16_t)i, now);
	}
	SP_CHECK_INT(ok, SP_DHT_RL_TOTAL);
}

SP_TEST(ratelimit_ports_count_on_local_addresses_only)
{
	static struct sp_dht_ratelimit rl;
	int64_t now = 5000000;
	sp_dht_rl_init(&rl, now);
	/* a public address: another port is the same asker */
	uint8_t pub[4] = {45, 1, 2, 3}, lo[4] = {127, 0, 0, 1};
	int ok = 0;
	for (int i = 0; i < 100; i++)
		ok += sp_dht_rl_allow(&rl, pub, 4, (uint16_t)(1000 + i), now);
	SP_CHECK_INT(ok, 2 * SP_DHT_RL_PER_IP);
	/* loopback: many nodes on one host, each with its own budget */
	ok = 0;
	for (int i = 0; i < 20; i++)
		ok += sp_dht_rl_allow(&rl, lo, 4, (uint16_t)(1000 + i), now);
	SP_CHECK_INT(ok, 20);
}

SP_TEST_MAIN()
