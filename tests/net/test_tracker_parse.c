/* test_tracker_parse.c - the pure tracker code: announce URLs, HTTP
 * answers (compact, dictionary, IPv6, failure, warnings, hostile input)
 * and BEP 15 packets (good, short, wrong transaction, wrong action). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "harness.h"
#include "net/tracker_int.h"
#include "net/tracker_parse.h"

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1
#define STARTS(s, lit) (!strncmp((s), (lit), strlen(lit)))

static void req_init(struct sp_announce_req *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 20; i++) {
		r->info_hash[i] = (uint8_t)(i * 13 + 0x7f);
		r->peer_id[i] = (uint8_t)('A' + i);
	}
	r->info_hash[0] = ' ';
	r->info_hash[1] = '%';
	r->info_hash[2] = 'a';
	r->port = 6881;
	r->uploaded = 1;
	r->downloaded = 2;
	r->left = 3;
	r->numwant = 50;
	r->key = 0xdeadbeef;
}

static char *url_of(const char *announce, const struct sp_announce_req *r)
{
	struct sp_buf b;
	sp_buf_init(&b, 4096);
	SP_CHECK_INT(sp_tracker_announce_url(&b, announce, r), 0);
	size_t n;
	return (char *)sp_buf_steal(&b, &n);
}

SP_TEST(announce_url_escapes_every_byte)
{
	struct sp_announce_req r;
	req_init(&r);
	r.event = SP_TRACKER_EV_STARTED;
	char *u = url_of("http://t.example/announce", &r);
	SP_CHECK(STARTS(u, "http://t.example/announce?info_hash=%20%25a%A6%B3"));
	SP_CHECK(strstr(u, "&peer_id=ABCDEFGHIJKLMNOPQRST&port=6881&uploaded=1&downloaded=2"
			   "&left=3&compact=1&key=DEADBEEF&numwant=50&event=started"));
	free(u);
}

SP_TEST(announce_url_joins_existing_query)
{
	struct sp_announce_req r;
	req_init(&r);
	char *u = url_of("http://t/announce.php?passkey=abc#frag", &r);
	SP_CHECK(STARTS(u, "http://t/announce.php?passkey=abc&info_hash="));
	SP_CHECK(!strstr(u, "frag"));
	SP_CHECK(!strstr(u, "event="));
	free(u);
	u = url_of("http://t/a?", &r);
	SP_CHECK(STARTS(u, "http://t/a?info_hash="));
	free(u);
}

SP_TEST(scrape_url)
{
	uint8_t ih[20] = {0};
	struct sp_buf b;
	sp_buf_init(&b, 4096);
	SP_CHECK_INT(sp_tracker_scrape_url(&b, "http://t/x/announce.php?k=1", ih), 0);
	SP_CHECK(STARTS((char *)b.data, "http://t/x/scrape.php?k=1&info_hash=%00"));
	sp_buf_reset(&b);
	SP_CHECK_INT(sp_tracker_scrape_url(&b, "http://t/x/a", ih), -ENOTSUP);
	sp_buf_fini(&b);
}

SP_TEST(compact_peers_and_intervals)
{
	struct sp_announce_resp r;
	int ret = sp_tracker_parse_announce(
		S("d8:completei5e10:incompletei7e8:intervali1800e12:min intervali60e"
		  "5:peers12:\x7f\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x00\x50"
		  "6:peers618:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x04\x00"
		  "e"),
		&r, NULL);
	SP_CHECK_INT(ret, 0);
	SP_CHECK(!r.failure);
	SP_CHECK_INT(r.interval, 1800);
	SP_CHECK_INT(r.min_interval, 60);
	SP_CHECK_INT(r.complete, 5);
	SP_CHECK_INT(r.incomplete, 7);
	SP_CHECK_UINT(r.num_peers, 3);
	struct sockaddr_in *a = (struct sockaddr_in *)&r.peers[0].addr;
	SP_CHECK_INT(a->sin_family, AF_INET);
	SP_CHECK_UINT(ntohl(a->sin_addr.s_addr), 0x7f000001);
	SP_CHECK_UINT(ntohs(a->sin_port), 6881);
	a = (struct sockaddr_in *)&r.peers[1].addr;
	SP_CHECK_UINT(ntohs(a->sin_port), 80);
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&r.peers[2].addr;
	SP_CHECK_INT(a6->sin6_family, AF_INET6);
	SP_CHECK(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
	SP_CHECK_UINT(ntohs(a6->sin6_port), 1024);
	SP_CHECK_UINT(r.peers[2].addr_len, sizeof(struct sockaddr_in6));
	sp_announce_resp_fini(&r);
}

SP_TEST(dictionary_peers_skip_bad_entries)
{
	struct sp_announce_resp r;
	int ret = sp_tracker_parse_announce(
		S("d8:intervali900e5:peersl"
		  "d2:ip9:127.0.0.27:peer id20:aaaaaaaaaaaaaaaaaaaa4:porti7000ee"
		  "d2:ip11:example.com4:porti7000ee"   /* a host name: skipped */
		  "d2:ip3:::14:porti7001ee"            /* IPv6 text */
		  "d2:ip8:10.0.0.14:porti-5ee"         /* bad port */
		  "d2:ip8:10.0.0.14:porti70000ee"      /* bad port */
		  "i42e"                               /* not a dict */
		  "ee"),
		&r, NULL);
	SP_CHECK_INT(ret, 0);
	SP_CHECK_UINT(r.num_peers, 2);
	SP_CHECK_UINT(r.dropped_peers, 4);
	struct sockaddr_in *a = (struct sockaddr_in *)&r.peers[0].addr;
	SP_CHECK_UINT(ntohl(a->sin_addr.s_addr), 0x7f000002);
	SP_CHECK_UINT(ntohs(a->sin_port), 7000);
	SP_CHECK_INT(r.peers[1].addr.ss_family, AF_INET6);
	sp_announce_resp_fini(&r);
}

SP_TEST(failure_and_warning_are_cleaned)
{
	struct sp_announce_resp r;
	SP_CHECK_INT(sp_tracker_parse_announce(S("d14:failure reason11:bad\x1b[2Jnesse"), &r,
					       NULL),
		     0);
	SP_CHECK_STR(r.failure, "bad?[2Jness");
	sp_announce_resp_fini(&r);
	SP_CHECK_INT(sp_tracker_parse_announce(
			     S("d8:intervali60e5:peers0:15:warning message4:slowe"), &r, NULL),
		     0);
	SP_CHECK_STR(r.warning, "slow");
	SP_CHECK_UINT(r.num_peers, 0);
	sp_announce_resp_fini(&r);
}

static int parse_err(const uint8_t *p, size_t n, char *msg, size_t msz)
{
	struct sp_announce_resp r;
	struct sp_error *err = NULL;
	int ret = sp_tracker_parse_announce(p, n, &r, &err);
	snprintf(msg, msz, "%s", sp_error_msg(err));
	sp_error_free(err);
	SP_CHECK(r.peers == NULL && r.failure == NULL);
	return ret;
}

SP_TEST(hostile_answers_are_errors)
{
	char m[512];
	SP_CHECK_INT(parse_err(S("d8:intervali60e5:peers7:abcdefge"), m, sizeof(m)), -EBADMSG);
	SP_CHECK(strstr(m, "multiple of 6"));
	SP_CHECK_INT(parse_err(S("d8:intervali60e6:peers65:abcdee"), m, sizeof(m)), -EBADMSG);
	SP_CHECK(strstr(m, "peers6"));
	SP_CHECK_INT(parse_err(S("d8:intervali-60e5:peers0:e"), m, sizeof(m)), -EPROTO);
	SP_CHECK(strstr(m, "negative"));
	SP_CHECK_INT(parse_err(S("d8:interval2:605:peers0:e"), m, sizeof(m)), -EBADMSG);
	SP_CHECK_INT(parse_err(S("d8:intervali60e5:peers99999999999:xe"), m, sizeof(m)),
		     -EBADMSG);
	SP_CHECK_INT(parse_err(S("d8:intervali60e"), m, sizeof(m)), -EBADMSG);
	SP_CHECK_INT(parse_err(S("<html>hello</html>"), m, sizeof(m)), -EBADMSG);
	SP_CHECK(strstr(m, "malformed"));
	SP_CHECK_INT(parse_err(S("li1ee"), m, sizeof(m)), -EBADMSG);
	SP_CHECK_INT(parse_err(S("d3:fooi1ee"), m, sizeof(m)), -EBADMSG);
	SP_CHECK_INT(parse_err(S("d5:peersi3ee"), m, sizeof(m)), -EBADMSG);
	SP_CHECK_INT(parse_err(S(""), m, sizeof(m)), -EBADMSG);
	/* deep nesting is refused by the depth limit, not the stack */
	static uint8_t deep[20000];
	memset(deep, 'l', sizeof(deep));
	SP_CHECK_INT(parse_err(deep, sizeof(deep), m, sizeof(m)), -EBADMSG);
	uint8_t *big = calloc(1, SP_TRACKER_MAX_RESPONSE + 1);
	SP_CHECK_INT(parse_err(big, SP_TRACKER_MAX_RESPONSE + 1, m, sizeof(m)), -EOVERFLOW);
	free(big);
}

SP_TEST(peer_list_has_a_ceiling)
{
	size_t n = SP_TRACKER_MAX_PEERS + 100;
	struct sp_buf b;
	sp_buf_init(&b, SP_TRACKER_MAX_RESPONSE);
	sp_buf_appendf(&b, "d8:intervali60e5:peers%zu:", n * 6);
	for (size_t i = 0; i < n; i++)
		sp_buf_append(&b, "\x0a\x00\x00\x01\x00\x01", 6);
	sp_buf_append(&b, "e", 1);
	struct sp_announce_resp r;
	SP_CHECK_INT(sp_tracker_parse_announce(b.data, b.len, &r, NULL), 0);
	SP_CHECK_UINT(r.num_peers, SP_TRACKER_MAX_PEERS);
	SP_CHECK_UINT(r.dropped_peers, 100);
	sp_announce_resp_fini(&r);
	sp_buf_fini(&b);
}

SP_TEST(interval_clamp)
{
	SP_CHECK_INT(sp_tracker_clamp_interval_ms(-1, 1800000, 30000, 3600000), 1800000);
	SP_CHECK_INT(sp_tracker_clamp_interval_ms(1, 1800000, 30000, 3600000), 30000);
	SP_CHECK_INT(sp_tracker_clamp_interval_ms(600, 1800000, 30000, 3600000), 600000);
	SP_CHECK_INT(sp_tracker_clamp_interval_ms(INT64_MAX, 1800000, 30000, 3600000), 3600000);
	SP_CHECK_INT(sp_tracker_clamp_interval_ms(4000000000LL, 1, 30000, 3600000), 3600000);
}

SP_TEST(scrape_answer)
{
	uint8_t ih[20];
	memset(ih, 'x', 20);
	struct sp_scrape_info sc;
	SP_CHECK_INT(sp_tracker_parse_scrape(
			     S("d5:filesd20:xxxxxxxxxxxxxxxxxxxxd8:completei3e10:downloadedi9e"
			       "10:incompletei4eeee"),
			     ih, &sc, NULL),
		     0);
	SP_CHECK_INT(sc.complete, 3);
	SP_CHECK_INT(sc.incomplete, 4);
	SP_CHECK_INT(sc.downloaded, 9);
	memset(ih, 'y', 20);
	SP_CHECK_INT(sp_tracker_parse_scrape(S("d5:filesdee"), ih, &sc, NULL), -ENOENT);
	SP_CHECK_INT(sp_tracker_parse_scrape(S("d5:files"), ih, &sc, NULL), -EBADMSG);
}

static int udp_url(const char *url, struct turl *u)
{
	memset(u, 0, sizeof(*u));
	u->url = (char *)url;
	return sp_tracker_udp_parse_url(u);
}

SP_TEST(udp_url_parsing)
{
	struct turl u;
	SP_CHECK_INT(udp_url("udp://tracker.example:6969", &u), 0);
	SP_CHECK_STR(u.host, "tracker.example");
	SP_CHECK_STR(u.port, "6969");
	SP_CHECK_STR(u.path, "");
	SP_CHECK_INT(udp_url("udp://[::1]:80/announce?passkey=x#frag", &u), 0);
	SP_CHECK_STR(u.host, "::1");
	SP_CHECK_STR(u.path, "/announce?passkey=x");
	SP_CHECK_INT(udp_url("udp://10.0.0.1:1?k", &u), 0);
	SP_CHECK_STR(u.path, "?k");
	static const char *const bad[] = {
		"udp://host", "udp://host:", "udp://host:0", "udp://host:65536",
		"udp://host:99999999999", "udp://host:80x", "udp://:80", "udp://h/x:80",
		"udp://[::1]80", "udp://[::1", "udp://",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (udp_url(bad[i], &u) == 0)
			SP_FAIL("accepted %s", bad[i]);
	char longhost[400] = "udp://";
	memset(longhost + 6, 'h', 300);
	strcpy(longhost + 306, ":80");
	SP_CHECK_INT(udp_url(longhost, &u), -EINVAL);
}

/* ---- BEP 15 ---- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

SP_TEST(udp_requests_layout)
{
	uint8_t c[SP_UDP_CONNECT_LEN];
	sp_udp_connect_req(c, 0x01020304);
	SP_CHECK_MEM(c, "\x00\x00\x04\x17\x27\x10\x19\x80\x00\x00\x00\x00\x01\x02\x03\x04", 16);
	struct sp_announce_req r;
	req_init(&r);
	r.event = SP_TRACKER_EV_STOPPED;
	uint8_t a[SP_UDP_ANNOUNCE_LEN];
	sp_udp_announce_req(a, 0x1122334455667788ULL, 7, &r);
	SP_CHECK_MEM(a, "\x11\x22\x33\x44\x55\x66\x77\x88\x00\x00\x00\x01\x00\x00\x00\x07", 16);
	SP_CHECK_MEM(a + 16, r.info_hash, 20);
	SP_CHECK_MEM(a + 36, r.peer_id, 20);
	SP_CHECK_INT(a[63], 2);  /* downloaded */
	SP_CHECK_INT(a[71], 3);  /* left */
	SP_CHECK_INT(a[79], 1);  /* uploaded */
	SP_CHECK_INT(a[83], 3);  /* stopped */
	SP_CHECK_MEM(a + 88, "\xde\xad\xbe\xef\x00\x00\x00\x32\x1a\xe1", 10);
}

SP_TEST(udp_bep41_options)
{
	uint8_t o[SP_UDP_OPTIONS_MAX];
	SP_CHECK_UINT(sp_udp_url_options(o, sizeof(o), ""), 0);
	SP_CHECK_UINT(sp_udp_url_options(o, sizeof(o), "/announce?k=1"), 2 + 13 + 1);
	SP_CHECK_MEM(o, "\x02\x0d/announce?k=1\x00", 16);
	char longp[301];
	memset(longp, 'a', 300);
	longp[300] = 0;
	SP_CHECK_UINT(sp_udp_url_options(o, sizeof(o), longp), 2 + 255 + 2 + 45 + 1);
	SP_CHECK_INT(o[0], 2);
	SP_CHECK_INT(o[1], 255);
	SP_CHECK_INT(o[257], 2);
	SP_CHECK_INT(o[258], 45);
	SP_CHECK_INT(o[2 + 255 + 2 + 45], 0);
	SP_CHECK_UINT(sp_udp_url_options(o, 100, longp), 0); /* does not fit */
}

SP_TEST(udp_answers)
{
	uint8_t p[64] = {0};
	struct sp_udp_resp r;
	put32(p, 0);
	put32(p + 4, 99);
	put32(p + 8, 0xaabbccdd);
	put32(p + 12, 0x11223344);
	SP_CHECK_INT(sp_udp_parse(p, 16, 99, SP_UDP_CONNECT, false, &r, NULL), 0);
	SP_CHECK_UINT(r.conn_id, 0xaabbccdd11223344ULL);
	sp_udp_resp_fini(&r);

	put32(p, 1);
	put32(p + 8, 120);
	put32(p + 12, 2);
	put32(p + 16, 1);
	memcpy(p + 20, "\x7f\x00\x00\x01\x1a\xe1\x7f\x00\x00\x02\x1a\xe2", 12);
	SP_CHECK_INT(sp_udp_parse(p, 32, 99, SP_UDP_ANNOUNCE, false, &r, NULL), 0);
	SP_CHECK_INT(r.announce.interval, 120);
	SP_CHECK_INT(r.announce.complete, 1);
	SP_CHECK_INT(r.announce.incomplete, 2);
	SP_CHECK_UINT(r.announce.num_peers, 2);
	sp_udp_resp_fini(&r);
	/* 12 peer bytes are not a whole IPv6 record */
	SP_CHECK_INT(sp_udp_parse(p, 32, 99, SP_UDP_ANNOUNCE, true, &r, NULL), -EBADMSG);
	SP_CHECK_INT(sp_udp_parse(p, 31, 99, SP_UDP_ANNOUNCE, false, &r, NULL), -EBADMSG);
	SP_CHECK_INT(sp_udp_parse(p, 19, 99, SP_UDP_ANNOUNCE, false, &r, NULL), -EBADMSG);
	SP_CHECK_INT(sp_udp_parse(p, 7, 99, SP_UDP_ANNOUNCE, false, &r, NULL), -EBADMSG);
	SP_CHECK_INT(sp_udp_parse(p, 32, 98, SP_UDP_ANNOUNCE, false, &r, NULL), -EPROTO);
	SP_CHECK_INT(sp_udp_parse(p, 32, 99, SP_UDP_SCRAPE, false, &r, NULL), -EPROTO);
	put32(p + 8, 0x80000000u);
	SP_CHECK_INT(sp_udp_parse(p, 20, 99, SP_UDP_ANNOUNCE, false, &r, NULL), -EPROTO);

	put32(p, 3);
	memcpy(p + 8, "go away\n", 8);
	SP_CHECK_INT(sp_udp_parse(p, 16, 99, SP_UDP_ANNOUNCE, false, &r, NULL), 0);
	SP_CHECK_INT(r.action, SP_UDP_ERROR);
	SP_CHECK_STR(r.announce.failure, "go away?");
	sp_udp_resp_fini(&r);

	put32(p, 2);
	put32(p + 8, 5);
	put32(p + 12, 6);
	put32(p + 16, 7);
	SP_CHECK_INT(sp_udp_parse(p, 20, 99, SP_UDP_SCRAPE, false, &r, NULL), 0);
	SP_CHECK_INT(r.scrape.complete, 5);
	SP_CHECK_INT(r.scrape.downloaded, 6);
	SP_CHECK_INT(r.scrape.incomplete, 7);
}

/* A poor man's fuzzer that runs everywhere (and under ASan in CI):
 * mutated good answers must parse or fail cleanly, never crash. */
SP_TEST(mutated_answers_never_crash)
{
	static const char *const seeds[] = {
		"d8:completei5e10:incompletei7e8:intervali1800e12:min intervali60e"
		"5:peers12:\x7f\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x00\x50" "e",
		"d8:intervali900e5:peersld2:ip9:127.0.0.27:peer id2:ab4:porti7000eee",
		"d14:failure reason4:nope15:warning message2:hie",
	};
	uint32_t rng = 12345;
	uint8_t buf[256];
	for (int iter = 0; iter < 30000; iter++) {
		const char *seed = seeds[iter % 3];
		size_t n = strlen(seed);
		memcpy(buf, seed, n);
		for (int k = 0; k < 1 + iter % 4; k++) {
			rng = rng * 1103515245 + 12345;
			size_t at = (rng >> 8) % n;
			switch ((rng >> 4) % 4) {
			case 0: buf[at] = (uint8_t)(rng >> 16); break;
			case 1: n = at + 1; break;                         /* truncate */
			case 2: buf[at] = (uint8_t)('0' + (rng >> 16) % 10); break; /* lengths */
			default: if (n < sizeof(buf)) buf[n++] = 'e'; break;
			}
		}
		struct sp_announce_resp r;
		struct sp_error *err = NULL;
		int ret = sp_tracker_parse_announce(buf, n, &r, &err);
		if (ret == 0) {
			SP_CHECK(r.num_peers <= SP_TRACKER_MAX_PEERS);
			for (size_t i = 0; i < r.num_peers; i++)
				SP_CHECK(r.peers[i].addr.ss_family == AF_INET ||
					 r.peers[i].addr.ss_family == AF_INET6);
			SP_CHECK(!r.failure || strlen(r.failure) <= SP_TRACKER_MAX_MSG);
			sp_announce_resp_fini(&r);
		} else {
			SP_CHECK(err && err->msg[0]);
		}
		sp_error_free(err);
		struct sp_udp_resp u;
		if (sp_udp_parse(buf, n, 0x3a363a31, SP_UDP_ANNOUNCE, iter & 1, &u, NULL) == 0)
			sp_udp_resp_fini(&u);
	}
}

SP_TEST_MAIN()
