/* test_dht_state.c - dht.dat: a table built and parsed back, and the
 * hostile files a user's state folder may hold (truncated, oversized,
 * not bencode, deep, wrong types, entries no node can have, duplicates,
 * more nodes than the caller's room, random bytes). */
#include "net/dht_state.h"
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sp_dht_saved node(int i)
{
	struct sp_dht_saved n;
	memset(&n, 0, sizeof(n));
	memset(n.id, i, 20);
	n.len = 4;
	n.addr[0] = 10;
	n.addr[1] = 0;
	n.addr[2] = (uint8_t)(i >> 8);
	n.addr[3] = (uint8_t)i;
	n.port = (uint16_t)(6881 + i);
	return n;
}

/* 2001:db8::i, port 7000 + i */
static struct sp_dht_saved node6(int i)
{
	struct sp_dht_saved n;
	memset(&n, 0, sizeof(n));
	memset(n.id, 0x80 | i, 20);
	n.len = 16;
	n.addr[0] = 0x20;
	n.addr[1] = 0x01;
	n.addr[2] = 0x0d;
	n.addr[3] = 0xb8;
	n.addr[14] = (uint8_t)(i >> 8);
	n.addr[15] = (uint8_t)i;
	n.port = (uint16_t)(7000 + i);
	return n;
}

static int parse_str(const char *s, size_t *n)
{
	uint8_t id[20];
	bool have;
	struct sp_dht_saved out[8];
	return sp_dht_state_parse((const uint8_t *)s, strlen(s), id, &have, out, 8, n);
}

static size_t parse_entries(const struct sp_dht_saved *in, size_t k, struct sp_dht_saved *out)
{
	uint8_t id[20] = {0x77}, id2[20];
	struct sp_buf b;
	sp_buf_init(&b, SP_DHT_STATE_MAX_FILE);
	sp_dht_state_build(&b, id, in, k);
	bool have;
	size_t n = 0;
	sp_dht_state_parse(b.data, b.len, id2, &have, out, 16, &n);
	sp_buf_fini(&b);
	return n;
}

SP_TEST(round_trip)
{
	uint8_t id[20], id2[20];
	memset(id, 0xab, 20);
	struct sp_dht_saved in[100], out[100];
	for (int i = 0; i < 100; i++)
		in[i] = node(i + 1);
	struct sp_buf b;
	sp_buf_init(&b, SP_DHT_STATE_MAX_FILE);
	SP_CHECK_INT(sp_dht_state_build(&b, id, in, 100), 0);
	bool have;
	size_t n;
	SP_CHECK_INT(sp_dht_state_parse(b.data, b.len, id2, &have, out, 100, &n), 0);
	SP_CHECK(have);
	SP_CHECK(!memcmp(id, id2, 20));
	SP_CHECK_UINT(n, 100);
	SP_CHECK(!memcmp(in, out, sizeof(in)));
	/* the caller's room is a ceiling */
	SP_CHECK_INT(sp_dht_state_parse(b.data, b.len, id2, &have, out, 7, &n), 0);
	SP_CHECK_UINT(n, 7);
	/* every truncation is refused or yields fewer nodes, never more */
	for (size_t cut = 0; cut < b.len; cut++) {
		int r = sp_dht_state_parse(b.data, cut, id2, &have, out, 100, &n);
		SP_CHECK(r == -EBADMSG || (r == 0 && n < 100));
	}
	sp_buf_fini(&b);
}

SP_TEST(build_respects_ceiling)
{
	uint8_t id[20] = {1};
	static struct sp_dht_saved in[4000];
	for (int i = 0; i < 4000; i++)
		in[i] = node(i + 1);
	struct sp_buf b;
	sp_buf_init(&b, SP_DHT_STATE_MAX_FILE);
	SP_CHECK(sp_dht_state_build(&b, id, in, 4000) < 0); /* 104 kB > 64 kB */
	sp_buf_fini(&b);
	/* a node of neither family is a caller's bug, refused */
	sp_buf_init(&b, SP_DHT_STATE_MAX_FILE);
	in[0].len = 6;
	SP_CHECK_INT(sp_dht_state_build(&b, id, in, 1), -EINVAL);
	sp_buf_fini(&b);
}

/* BEP 32: IPv6 nodes in "nodes6" beside the IPv4 ones; mixed in, they
 * come back IPv4 first, each family in its order. A file of IPv4 only
 * has no "nodes6" (older files read the same). */
SP_TEST(ipv6_round_trip)
{
	uint8_t id[20], id2[20];
	memset(id, 0xcd, 20);
	struct sp_dht_saved in[60], out[60];
	for (int i = 0; i < 60; i++)
		in[i] = i % 3 ? node6(i + 1) : node(i + 1);
	struct sp_buf b;
	sp_buf_init(&b, SP_DHT_STATE_MAX_FILE);
	SP_CHECK_INT(sp_dht_state_build(&b, id, in, 60), 0);
	bool have;
	size_t n;
	SP_CHECK_INT(sp_dht_state_parse(b.data, b.len, id2, &have, out, 60, &n), 0);
	SP_CHECK_UINT(n, 60);
	for (int i = 0; i < 20; i++)
		SP_CHECK(!memcmp(&out[i], &in[3 * i], sizeof(out[i])));
	size_t k = 20;
	for (int i = 0; i < 60; i++)
		if (i % 3)
			SP_CHECK(!memcmp(&out[k++], &in[i], sizeof(in[i])));
	/* the room is shared: IPv4 first */
	SP_CHECK_INT(sp_dht_state_parse(b.data, b.len, id2, &have, out, 25, &n), 0);
	SP_CHECK_UINT(n, 25);
	SP_CHECK_UINT(out[19].len, 4);
	SP_CHECK_UINT(out[20].len, 16);
	/* every truncation is refused or yields fewer nodes */
	for (size_t cut = 0; cut < b.len; cut++) {
		int r = sp_dht_state_parse(b.data, cut, id2, &have, out, 60, &n);
		SP_CHECK(r == -EBADMSG || (r == 0 && n < 60));
	}
	sp_buf_fini(&b);
	sp_buf_init(&b, SP_DHT_STATE_MAX_FILE);
	SP_CHECK_INT(sp_dht_state_build(&b, id, in, 1), 0); /* one IPv4 node */
	SP_CHECK(!memmem(b.data, b.len, "nodes6", 6));
	sp_buf_fini(&b);
}

/* Hostile IPv6 entries: what no node can have is dropped, the rest kept. */
SP_TEST(impossible_ipv6_nodes_dropped)
{
	struct sp_dht_saved in[9], out[16];
	for (int i = 0; i < 9; i++)
		in[i] = node6(i + 1);
	in[0].port = 0;                       /* no port */
	memset(in[1].addr, 0, 16);            /* :: */
	in[2].addr[0] = 0xff;                 /* multicast ff02::... */
	in[2].addr[1] = 0x02;
	memset(in[3].addr, 0, 16);            /* ::ffff:10.0.0.1, IPv4-mapped */
	in[3].addr[10] = in[3].addr[11] = 0xff;
	in[3].addr[12] = 10;
	in[3].addr[15] = 1;
	in[4] = in[5];                        /* duplicate address and port */
	in[6].port = in[5].port;              /* the same port, another address: kept */
	in[7].id[0] = 0x77;                   /* our own id */
	memset(in[7].id + 1, 0, 19);
	SP_CHECK_UINT(parse_entries(in, 9, out), 3); /* 4 (= 5), 6, 8 */
	SP_CHECK(!memcmp(&out[0], &in[5], sizeof(out[0])));
	SP_CHECK(!memcmp(&out[2], &in[8], sizeof(out[0])));
	/* a nodes6 string not a multiple of 38: whole entries only */
	static const uint8_t e6[18] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1, [16] = 0x1b, [17] = 0x58};
	uint8_t s[80];
	memcpy(s, "d6:nodes640:AAAAAAAAAAAAAAAAAAAA", 32);
	memcpy(s + 32, e6, 18);
	memcpy(s + 50, "zze", 3);
	uint8_t id[20];
	bool have;
	size_t n;
	SP_CHECK_INT(sp_dht_state_parse(s, 53, id, &have, out, 16, &n), 0);
	SP_CHECK_UINT(n, 1);
	SP_CHECK_UINT(out[0].len, 16);
	SP_CHECK_UINT(out[0].port, 7000);
	SP_CHECK(!memcmp(out[0].addr, e6, 16));
	/* of the wrong type, or empty */
	SP_CHECK_INT(parse_str("d6:nodes6i5ee", &n), 0);
	SP_CHECK_UINT(n, 0);
	SP_CHECK_INT(parse_str("d6:nodes60:e", &n), 0);
	SP_CHECK_UINT(n, 0);
}

SP_TEST(oversized_file)
{
	size_t len = SP_DHT_STATE_MAX_FILE + 1;
	uint8_t *big = calloc(1, len);
	uint8_t id[20];
	bool have;
	size_t n = 99;
	struct sp_dht_saved out[4];
	SP_CHECK_INT(sp_dht_state_parse(big, len, id, &have, out, 4, &n), -EOVERFLOW);
	SP_CHECK_UINT(n, 0);
	free(big);
}

SP_TEST(not_a_table)
{
	size_t n;
	SP_CHECK_INT(parse_str("", &n), -EBADMSG);
	SP_CHECK_INT(parse_str("garbage", &n), -EBADMSG);
	SP_CHECK_INT(parse_str("le", &n), -EBADMSG);
	SP_CHECK_INT(parse_str("i42e", &n), -EBADMSG);
	SP_CHECK_INT(parse_str("d2:id20:", &n), -EBADMSG);
	SP_CHECK_INT(parse_str("d5:nodes999999:xe", &n), -EBADMSG);
	SP_CHECK_INT(parse_str("d1:adddddddddddddddee", &n), -EBADMSG); /* depth */
	/* wrong types are ignored, not trusted */
	SP_CHECK_INT(parse_str("d2:idi5e5:nodesi7ee", &n), 0);
	SP_CHECK_UINT(n, 0);
	SP_CHECK_INT(parse_str("d2:id3:abc5:nodeslee", &n), 0);
	SP_CHECK_UINT(n, 0);
	SP_CHECK_INT(parse_str("de", &n), 0);
	SP_CHECK_UINT(n, 0);
}

SP_TEST(impossible_nodes_dropped)
{
	struct sp_dht_saved in[8], out[16];
	for (int i = 0; i < 8; i++)
		in[i] = node(i + 1);
	in[0].port = 0;                          /* no port */
	memset(in[1].addr, 0, 4);                /* 0.0.0.0 */
	in[2].addr[0] = 239;                     /* multicast */
	memset(in[3].addr, 255, 4);              /* broadcast */
	in[4] = in[5];                           /* duplicate address */
	memset(in[6].id, 0, 20);                 /* near our id, not ours: kept */
	in[6].id[0] = 0x77;
	in[6].id[19] = 1;
	SP_CHECK_UINT(parse_entries(in, 8, out), 3); /* 4 (= 5), 6, 7 */
	SP_CHECK(!memcmp(&out[0], &in[5], sizeof(out[0])));
	/* our own id, as a node, is dropped */
	in[7].id[0] = 0x77;
	memset(in[7].id + 1, 0, 19);
	SP_CHECK_UINT(parse_entries(in, 8, out), 2);
	/* a nodes string not a multiple of 26: whole entries only */
	size_t n;
	char s[128];
	snprintf(s, sizeof(s), "d5:nodes30:%s%se", "AAAAAAAAAAAAAAAAAAAA\x0a\x01\x02\x03\x1a\xe1",
		 "zzzz");
	SP_CHECK_INT(parse_str(s, &n), 0);
	SP_CHECK_UINT(n, 1);
}

SP_TEST(random_bytes)
{
	srand(14);
	uint8_t buf[600], id[20];
	struct sp_dht_saved out[16];
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand() % (int)sizeof(buf));
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(rand() % 4 ? "d5:nodes6:2:ide0123456789:"[rand() % 26] : rand());
		bool have;
		size_t n = 0;
		int r = sp_dht_state_parse(buf, len, id, &have, out, 16, &n);
		SP_CHECK(r == 0 || r == -EBADMSG);
		SP_CHECK_CMP(n, <=, 16);
		for (size_t i = 0; i < n; i++)
			SP_CHECK(sp_dht_state_addr_ok(out[i].addr, out[i].len, out[i].port));
	}
}

SP_TEST_MAIN()
