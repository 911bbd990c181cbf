/* test_dht_node.c - a real session's DHT node, driven over UDP on
 * 127.0.0.1 by raw sockets that play other nodes (issue 11):
 *   - replies nobody asked for are ignored whole: no node learnt, no
 *     "ip" vote, however many sources send them; the same replies sent
 *     as answers to its queries count, our external address is voted,
 *     and the node id is made again to fit it (BEP 42), and again when
 *     more nodes then report another address;
 *   - one asker flooding queries is answered at the per-address rate and
 *     no more, and the others still are;
 *   - IPv6 (BEP 32): a node on ::1 that answers its ping enters the table,
 *     and is given out as nodes6 to an IPv6 asker and to an IPv4 one that
 *     asks with "want"; a peer announced over IPv6 comes back as an
 *     18-byte value;
 * sp_session_get_network is the window on both. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/clock.h"
#include "harness.h"
#include "net/dht_sec.h"
#include "swarmplay/swarmplay.h"

#define WAIT_S 60
#define NFAKE 5

static int udp_socket(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	SP_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	socklen_t l = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	*port = ntohs(a.sin_port);
	return fd;
}

static void send_to(int fd, uint16_t port, const void *p, size_t n)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(fd, p, n, 0, (struct sockaddr *)&to, sizeof(to));
}

static const uint8_t EXT1[4] = {203, 0, 113, 9}, EXT2[4] = {198, 51, 100, 7};

/* A reply "from node k" with transaction id tid and "ip" ip4:6881. */
static size_t reply_ip(uint8_t *out, int k, const uint8_t tid[2], const uint8_t ip4[4])
{
	uint8_t ext[6] = {ip4[0], ip4[1], ip4[2], ip4[3], 0x1a, 0xe1};
	size_t n = 0;
	memcpy(out + n, "d2:ip6:", 7);
	n += 7;
	memcpy(out + n, ext, 6);
	n += 6;
	memcpy(out + n, "1:rd2:id20:", 11);
	n += 11;
	memset(out + n, 'A' + k, 20);
	n += 20;
	memcpy(out + n, "5:nodes0:e1:t2:", 15);
	n += 15;
	memcpy(out + n, tid, 2);
	n += 2;
	memcpy(out + n, "1:y1:re", 7);
	return n + 7;
}

static size_t reply(uint8_t *out, int k, const uint8_t tid[2])
{
	return reply_ip(out, k, tid, EXT1);
}

/* Each of the n sockets answers the session's find_node (it was given
 * them as bootstrap nodes) with "ip" ip4, as node k0 + its index. */
static int answer_find_nodes(struct sp_session *s, const int *fd, const uint16_t *port, int n,
			     int k0, const uint8_t ip4[4])
{
	uint16_t sp = sp_session_port(s);
	for (int k = 0; k < n; k++)
		SP_CHECK_INT(sp_session_add_dht_node(s, "127.0.0.1", port[k]), 0);
	int answers = 0;
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	bool done[16] = {0};
	uint8_t buf[1500];
	while (answers < n && sp_now_us() < end) {
		struct pollfd p[16];
		for (int k = 0; k < n; k++)
			p[k] = (struct pollfd){.fd = fd[k], .events = POLLIN};
		if (poll(p, (nfds_t)n, 200) <= 0)
			continue;
		for (int k = 0; k < n; k++) {
			ssize_t r;
			while ((r = recv(fd[k], buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
				/* its find_node: answer with its own transaction id */
				uint8_t *t = memmem(buf, (size_t)r, "9:find_node1:t2:", 16);
				if (!t || done[k] || t + 18 > buf + r)
					continue;
				uint8_t tid[2] = {t[16], t[17]}, out[200];
				send_to(fd[k], sp, out, reply_ip(out, k0 + k, tid, ip4));
				done[k] = true;
				answers++;
			}
		}
	}
	return answers;
}

static struct sp_session *dht_session(void)
{
	struct sp_session_config cfg = {
	    .bind_address = "127.0.0.1", .no_trackers = true, .dht = true};
	struct sp_session *s = sp_session_new(&cfg, NULL);
	SP_CHECK(s != NULL);
	return s;
}

static void get(struct sp_session *s, struct sp_network_info *n)
{
	SP_CHECK_INT(sp_session_get_network(s, n), 0);
}

SP_TEST(unsolicited_replies_count_for_nothing)
{
	struct sp_session *s = dht_session();
	uint16_t sp = sp_session_port(s), port[NFAKE];
	int fd[NFAKE];
	for (int k = 0; k < NFAKE; k++)
		fd[k] = udp_socket(&port[k]);
	/* every source sends replies with every kind of transaction id it
	 * might guess, plus a ping whose answer proves they were all read */
	uint8_t buf[1500];
	for (int k = 0; k < NFAKE; k++)
		for (int t = 0; t < 256; t++) {
			uint8_t tid[2] = {(uint8_t)t, (uint8_t)(t * 7)};
			send_to(fd[k], sp, buf, reply(buf, k, tid));
		}
	static const char ping[] = "d1:ad2:id20:"
				   "zzzzzzzzzzzzzzzzzzzz"
				   "e1:q4:ping1:t2:pp1:y1:qe";
	bool answered = false;
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	while (!answered && sp_now_us() < end) {
		send_to(fd[0], sp, ping, sizeof(ping) - 1);
		struct pollfd p = {.fd = fd[0], .events = POLLIN};
		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t r;
		while (!answered && (r = recv(fd[0], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			answered = memmem(buf, (size_t)r, "1:t2:pp1:y1:r", 13) != NULL;
	}
	SP_CHECK(answered);
	struct sp_network_info n;
	get(s, &n);
	SP_CHECK(n.dht);
	SP_CHECK_UINT(n.dht_nodes4, 0);
	SP_CHECK_UINT(n.dht_replies, 0);
	SP_CHECK(!strcmp(n.external4, ""));
	uint8_t ext[4] = {203, 0, 113, 9};
	if (sp_bep42_ok(n.dht_id, ext, 4))
		fprintf(stderr, "(the random id fits 203.0.113.9 by chance: 1 in 2^21)\n");

	/* the positive control: the same replies, now answers to its queries */
	int answers = answer_find_nodes(s, fd, port, NFAKE, 0, EXT1);
	SP_CHECK_INT(answers, NFAKE);
	end = sp_now_us() + WAIT_S * 1000000LL;
	do {
		get(s, &n);
		if (n.dht_nodes4 == NFAKE && n.external4[0])
			break;
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	} while (sp_now_us() < end);
	SP_CHECK_UINT(n.dht_replies, NFAKE);
	SP_CHECK_UINT(n.dht_nodes4, NFAKE);
	if (strcmp(n.external4, "203.0.113.9"))
		SP_FAIL("external address \"%s\", want 203.0.113.9", n.external4);
	SP_CHECK(n.dht_id_fits);
	SP_CHECK(sp_bep42_ok(n.dht_id, ext, 4));

	/* our address changes (a new lease): more nodes than voted before
	 * now say 198.51.100.7; the id is made again to fit it */
	uint8_t old_id[20];
	memcpy(old_id, n.dht_id, 20);
	int fd2[NFAKE + 1];
	uint16_t port2[NFAKE + 1];
	for (int k = 0; k <= NFAKE; k++)
		fd2[k] = udp_socket(&port2[k]);
	SP_CHECK_INT(answer_find_nodes(s, fd2, port2, NFAKE + 1, NFAKE, EXT2), NFAKE + 1);
	end = sp_now_us() + WAIT_S * 1000000LL;
	do {
		get(s, &n);
		if (!strcmp(n.external4, "198.51.100.7"))
			break;
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	} while (sp_now_us() < end);
	if (strcmp(n.external4, "198.51.100.7"))
		SP_FAIL("external address \"%s\", want 198.51.100.7", n.external4);
	SP_CHECK(n.dht_id_fits);
	SP_CHECK(sp_bep42_ok(n.dht_id, EXT2, 4));
	SP_CHECK(memcmp(old_id, n.dht_id, 20) != 0);
	for (int k = 0; k < NFAKE; k++)
		close(fd[k]);
	for (int k = 0; k <= NFAKE; k++)
		close(fd2[k]);
	sp_session_free(s);
}

SP_TEST(flooding_asker_is_rate_limited)
{
	struct sp_session *s = dht_session();
	uint16_t sp = sp_session_port(s), pf, pg;
	int flood = udp_socket(&pf), good = udp_socket(&pg);
	/* 200 pings at once from one address and port */
	char q[100];
	for (int i = 0; i < 200; i++) {
		int n = snprintf(q, sizeof(q),
				 "d1:ad2:id20:"
				 "ffffffffffffffffffff"
				 "e1:q4:ping1:t2:%c%c1:y1:qe",
				 'a' + i / 26, 'a' + i % 26);
		send_to(flood, sp, q, (size_t)n);
	}
	/* another asker is answered meanwhile: wait for it */
	static const char ping[] = "d1:ad2:id20:"
				   "gggggggggggggggggggg"
				   "e1:q4:ping1:t2:gg1:y1:qe";
	uint8_t buf[1500];
	bool answered = false;
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	while (!answered && sp_now_us() < end) {
		send_to(good, sp, ping, sizeof(ping) - 1);
		struct pollfd p = {.fd = good, .events = POLLIN};
		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t r;
		while (!answered && (r = recv(good, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			answered = memmem(buf, (size_t)r, "1:t2:gg1:y1:r", 13) != NULL;
	}
	SP_CHECK(answered);
	/* every flood datagram was read before the good ping's answer went
	 * out (one socket, in order): count the flooder's answers */
	int got = 0;
	ssize_t r;
	while ((r = recv(flood, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		got += memmem(buf, (size_t)r, "1:y1:r", 6) != NULL;
	struct sp_network_info n;
	get(s, &n);
	/* the burst (twice the rate) and what refilled while the flood was
	 * read: far fewer than 200 */
	if (got < 1 || got > 2 * SP_DHT_RL_PER_IP + 10)
		SP_FAIL("the flooder got %d answers to 200 pings", got);
	SP_CHECK_CMP(n.dht_refused, >=, 200 - 2 * SP_DHT_RL_PER_IP - 10);
	close(flood);
	close(good);
	sp_session_free(s);
}

static int udp6_socket(uint16_t *port)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		SP_SKIP("cannot bind ::1 (no IPv6 here?)");
	socklen_t l = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	*port = ntohs(a.sin6_port);
	return fd;
}

static void send6(int fd, uint16_t port, const void *p, size_t n)
{
	struct sockaddr_in6 to = {
	    .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	sendto(fd, p, n, 0, (struct sockaddr *)&to, sizeof(to));
}

/* Send q (its "t" is tt) until a datagram with "1:t2:<tt>1:y1:r" comes
 * back on fd; it is copied to out, its length returned (0: none). */
static size_t ask(int fd, bool v6, uint16_t port, const char *q, size_t ql, const char *tt,
		  uint8_t *out, size_t cap)
{
	char want[16];
	snprintf(want, sizeof(want), "1:t2:%s1:y1:r", tt);
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	while (sp_now_us() < end) {
		if (v6)
			send6(fd, port, q, ql);
		else
			send_to(fd, port, q, ql);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 300) <= 0)
			continue;
		ssize_t r;
		while ((r = recv(fd, out, cap, MSG_DONTWAIT)) > 0)
			if (memmem(out, (size_t)r, want, strlen(want)))
				return (size_t)r;
	}
	return 0;
}

SP_TEST(ipv6_nodes6_want_and_values6)
{
	struct sp_session_config cfg = {.no_trackers = true, .dht = true}; /* every address */
	struct sp_session *s = sp_session_new(&cfg, NULL);
	SP_CHECK(s != NULL);
	struct sp_network_info n;
	get(s, &n);
	if (!n.dht6)
		SP_SKIP("no IPv6 DHT socket here");
	uint16_t sp = sp_session_port(s), py, pz, p4;
	int y = udp6_socket(&py), z = udp6_socket(&pz), v4 = udp_socket(&p4);
	/* Y queries; the session pings Y back; Y answers: Y is a node */
	static const char yping[] = "d1:ad2:id20:"
				    "YYYYYYYYYYYYYYYYYYYY"
				    "e1:q4:ping1:t2:yp1:y1:qe";
	uint8_t buf[1500];
	bool in_table = false;
	int64_t end = sp_now_us() + WAIT_S * 1000000LL;
	while (!in_table && sp_now_us() < end) {
		send6(y, sp, yping, sizeof(yping) - 1);
		struct pollfd p = {.fd = y, .events = POLLIN};
		if (poll(&p, 1, 200) > 0) {
			ssize_t r;
			while ((r = recv(y, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
				uint8_t *t = memmem(buf, (size_t)r, "4:ping1:t2:", 11);
				if (!t || t + 13 > buf + r)
					continue;
				char a[80];
				int al = snprintf(a, sizeof(a), "d1:rd2:id20:%se1:t2:%c%c1:y1:re",
						  "YYYYYYYYYYYYYYYYYYYY", t[11], t[12]);
				send6(y, sp, a, (size_t)al);
			}
		}
		get(s, &n);
		in_table = n.dht_nodes6 == 1;
	}
	SP_CHECK_UINT(n.dht_nodes6, 1);
	/* an IPv6 asker gets nodes6 with Y in it */
	uint8_t entry[38];
	memset(entry, 'Y', 20);
	struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;
	memcpy(entry + 20, &lo6, 16);
	entry[36] = (uint8_t)(py >> 8);
	entry[37] = (uint8_t)py;
	static const char fz[] = "d1:ad2:id20:"
				 "ZZZZZZZZZZZZZZZZZZZZ"
				 "6:target20:"
				 "YYYYYYYYYYYYYYYYYYYX"
				 "e1:q9:find_node1:t2:fz1:y1:qe";
	size_t len = ask(z, true, sp, fz, sizeof(fz) - 1, "fz", buf, sizeof(buf));
	SP_CHECK(len > 0);
	SP_CHECK(memmem(buf, len, "6:nodes638:", 11) != NULL);
	SP_CHECK(memmem(buf, len, entry, sizeof(entry)) != NULL);
	/* an IPv4 asker: nodes6 only when it wants them */
	static const char f4[] = "d1:ad2:id20:"
				 "FFFFFFFFFFFFFFFFFFFF"
				 "6:target20:"
				 "YYYYYYYYYYYYYYYYYYYX"
				 "e1:q9:find_node1:t2:f41:y1:qe";
	len = ask(v4, false, sp, f4, sizeof(f4) - 1, "f4", buf, sizeof(buf));
	SP_CHECK(len > 0 && memmem(buf, len, "6:nodes6", 8) == NULL);
	static const char w4[] = "d1:ad2:id20:"
				 "FFFFFFFFFFFFFFFFFFFF"
				 "6:target20:"
				 "YYYYYYYYYYYYYYYYYYYX"
				 "4:wantl2:n62:n4ee1:q9:find_node1:t2:w41:y1:qe";
	len = ask(v4, false, sp, w4, sizeof(w4) - 1, "w4", buf, sizeof(buf));
	SP_CHECK(len > 0 && memmem(buf, len, entry, sizeof(entry)) != NULL);
	/* Z gets a token, announces port 7777 over IPv6; Y asks: an 18-byte value */
	static const char gz[] = "d1:ad2:id20:"
				 "ZZZZZZZZZZZZZZZZZZZZ"
				 "9:info_hash20:"
				 "IIIIIIIIIIIIIIIIIIII"
				 "e1:q9:get_peers1:t2:gz1:y1:qe";
	len = ask(z, true, sp, gz, sizeof(gz) - 1, "gz", buf, sizeof(buf));
	uint8_t *tok = len ? memmem(buf, len, "5:token8:", 9) : NULL;
	SP_CHECK(tok != NULL && tok + 17 <= buf + len);
	char an[200];
	int al = snprintf(an, sizeof(an), "d1:ad2:id20:%s9:info_hash20:%s4:porti7777e5:token8:",
			  "ZZZZZZZZZZZZZZZZZZZZ", "IIIIIIIIIIIIIIIIIIII");
	memcpy(an + al, tok + 9, 8);
	al += 8;
	al += snprintf(an + al, sizeof(an) - (size_t)al, "e1:q13:announce_peer1:t2:az1:y1:qe");
	SP_CHECK(ask(z, true, sp, an, (size_t)al, "az", buf, sizeof(buf)) > 0);
	static const char gy[] = "d1:ad2:id20:"
				 "YYYYYYYYYYYYYYYYYYYY"
				 "9:info_hash20:"
				 "IIIIIIIIIIIIIIIIIIII"
				 "e1:q9:get_peers1:t2:gy1:y1:qe";
	len = ask(y, true, sp, gy, sizeof(gy) - 1, "gy", buf, sizeof(buf));
	uint8_t v[21]; /* "18:", then ::1 and port 7777 */
	memcpy(v, "18:", 3);
	memcpy(v + 3, &lo6, 16);
	v[19] = 7777 >> 8;
	v[20] = 7777 & 0xff;
	SP_CHECK(len > 0 && memmem(buf, len, "6:valuesl", 9) && memmem(buf, len, v, sizeof(v)));
	close(y);
	close(z);
	close(v4);
	sp_session_free(s);
}

SP_TEST_MAIN()
