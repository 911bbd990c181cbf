/* test_tracker_udp.c - sp_tracker against an in-process BEP 15 tracker on
 * 127.0.0.1 (and ::1 when the host has IPv6): connect + announce, the
 * connection id reused, retransmission with backoff, every kind of bad
 * packet reported and retried, datagrams of another transaction ignored
 * (a stray one before the answer costs nothing; only strays: the
 * tracker "did not answer"), silence, ICMP refusal, scrape, IPv6 peer
 * records, and the fire-and-forget `stopped`. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "harness.h"
#include "net/curlev.h"
#include "net/tracker.h"

enum mode { M_OK, M_STRAY, M_WRONG_TXID, M_SHORT, M_WRONG_ACTION, M_ERROR, M_SILENT, M_BAD_CONNID };

struct srv {
	int fd;
	struct event *ev;
	enum mode mode;
	int drop;            /* datagrams to ignore first */
	int connects, announces, scrapes, stopped, started;
	int bad_connid;
	char urldata[600]; /* BEP 41 URLData of the last announce */
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static const uint8_t conn_id[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static size_t answer(struct srv *s, const uint8_t *in, size_t n, uint8_t *out, bool v6)
{
	uint32_t action = get32(in + 8), txid = get32(in + 12);
	if (s->mode == M_WRONG_TXID)
		txid++;
	if (s->mode == M_SHORT) {
		memcpy(out, "\0\0\0", 3);
		return 3;
	}
	if (s->mode == M_ERROR) {
		put32(out, 3);
		put32(out + 4, txid);
		memcpy(out + 8, "go away", 7);
		return 15;
	}
	put32(out + 4, txid);
	if (action == 0 && n >= 16) {
		s->connects++;
		put32(out, s->mode == M_WRONG_ACTION ? 2 : 0);
		memcpy(out + 8, conn_id, 8);
		return 16;
	}
	if (memcmp(in, conn_id, 8)) {
		s->bad_connid++;
		return 0;
	}
	if (action == 2) {
		s->scrapes++;
		put32(out, 2);
		put32(out + 8, 11);
		put32(out + 12, 12);
		put32(out + 16, 13);
		return 20;
	}
	if (action != 1 || n < 98)
		return 0;
	s->announces++;
	s->urldata[0] = 0;
	for (size_t at = 98; at < n && in[at] != 0;) { /* options until EndOfOptions */
		if (in[at] == 1) {
			at++;
			continue;
		}
		if (at + 2 > n || at + 2 + in[at + 1] > n)
			break;
		size_t l = strlen(s->urldata);
		if (in[at] == 2 && l + in[at + 1] < sizeof(s->urldata)) {
			memcpy(s->urldata + l, in + at + 2, in[at + 1]);
			s->urldata[l + in[at + 1]] = 0;
		}
		at += 2 + in[at + 1];
	}
	uint32_t ev = get32(in + 80);
	s->stopped += ev == 3;
	s->started += ev == 2;
	put32(out, 1);
	put32(out + 8, 1); /* interval */
	put32(out + 12, 5);
	put32(out + 16, 6);
	size_t rec = v6 ? 18 : 6;
	for (int i = 0; i < 2; i++) {
		uint8_t *p = out + 20 + i * rec;
		memset(p, 0, rec);
		p[v6 ? 15 : 0] = v6 ? 1 : 127;
		if (!v6)
			p[3] = (uint8_t)(i + 1);
		p[rec - 2] = 0x1a;
		p[rec - 1] = (uint8_t)(0xe1 + i);
	}
	return 20 + 2 * rec;
}

static void srv_on_read(evutil_socket_t fd, short w, void *arg)
{
	struct srv *s = arg;
	uint8_t in[2048], out[2048];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
	if (n < 16 || s->mode == M_SILENT)
		return;
	if (s->drop > 0) {
		s->drop--;
		return;
	}
	size_t len = answer(s, in, (size_t)n, out, from.ss_family == AF_INET6);
	if (len && s->mode == M_STRAY) { /* a late or forged datagram first */
		uint8_t stray[2048];
		memcpy(stray, out, len);
		put32(stray + 4, get32(out + 4) ^ 0x5a5a5a5a);
		sendto(fd, stray, len, 0, (struct sockaddr *)&from, fl);
	}
	if (len)
		sendto(fd, out, len, 0, (struct sockaddr *)&from, fl);
}

/* Bind a UDP socket on addr:0; returns the port, 0 if the family is
 * missing here. */
static uint16_t srv_start(struct srv *s, struct event_base *base, int family)
{
	memset(s, 0, sizeof(*s));
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_storage a = {0};
	socklen_t al;
	if (family == AF_INET) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&a;
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		al = sizeof(*a4);
	} else {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		al = sizeof(*a6);
	}
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, al) < 0)
		return 0;
	getsockname(s->fd, (struct sockaddr *)&a, &al);
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, srv_on_read, s);
	event_add(s->ev, NULL);
	return ntohs(family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port
				       : ((struct sockaddr_in6 *)&a)->sin6_port);
}

static void srv_stop(struct srv *s)
{
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);
}

static struct sp_metainfo mi;
static char url_buf[128];
static char *tier0[2] = {url_buf, NULL};
static char **tiers[1] = {tier0};

#include "tracker_fixture.h"

/* Short intervals and retries so that a test sees several announces. A
 * datagram is retransmitted after udp_base_ms: the base is long (2 s),
 * so that only a lost datagram is sent again, not one whose answer is
 * late because the machine is busy — the counts of connects and
 * announces below stay exact. Tests of loss and silence set their own. */
static void fast_timing(struct sp_tracker_timing *tm)
{
	sp_tracker_timing_default(tm);
	tm->udp_base_ms = 2000;
	tm->udp_max_retries = 2;
	tm->interval_min_ms = 100;
	tm->interval_max_ms = 200;
	tm->retry_min_ms = 100;
	tm->retry_max_ms = 200;
}

/* port 0: the fake tracker's port; else that port (for refusals). */
static const char *host_name; /* instead of the numeric address */
static const char *url_suffix = ""; /* path and query after host:port */

static void ctx_init(struct ctx *c, int family, uint16_t port)
{
	ctx_open(c);
	uint16_t p = srv_start(&c->srv, c->base, family);
	if (!p)
		SP_SKIP("no %s loopback here", family == AF_INET6 ? "IPv6" : "IPv4");
	snprintf(url_buf, sizeof(url_buf), family == AF_INET6 ? "UDP://[::1]:%u/announce"
							      : "udp://127.0.0.1:%u%s",
		 port ? port : p, url_suffix);
	if (host_name)
		snprintf(url_buf, sizeof(url_buf), "udp://%s:%u", host_name, p);
	memset(&mi, 0, sizeof(mi));
	memset(mi.info_hash, 'I', 20);
	tier0[0] = url_buf;
	mi.tiers = tiers;
	mi.num_tiers = 1;
	struct sp_tracker_timing tm;
	fast_timing(&tm);
	ctx_tracker(c, &tm);
}

SP_TEST(connect_announce_reuse_stop)
{
	struct ctx c;
	ctx_init(&c, AF_INET, 0);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	SP_CHECK_UINT(c.npeers, 2);
	SP_CHECK_INT(c.family0, AF_INET);
	SP_CHECK_INT(c.srv.started, 1);
	/* interval (clamped to 200 ms): the connection id is reused */
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 3, WAIT_MS), 3);
	SP_CHECK_INT(c.srv.connects, 1);
	SP_CHECK_INT(c.srv.bad_connid, 0);
	SP_CHECK_INT(c.errors, 0);
	sp_tracker_stop(c.t);
	SP_CHECK_INT(run_until(&c, &c.srv.stopped, 1, WAIT_MS), 1);
	ctx_fini(&c);
}

SP_TEST(url_path_sent_as_bep41_urldata)
{
	struct ctx c;
	url_suffix = "/announce?passkey=0123456789abcdef0123456789abcdef&x=%41";
	ctx_init(&c, AF_INET, 0);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	SP_CHECK_STR(c.srv.urldata, url_suffix);
	ctx_fini(&c);
	url_suffix = "";
	ctx_init(&c, AF_INET, 0);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	SP_CHECK_STR(c.srv.urldata, "");
	ctx_fini(&c);
}

SP_TEST(retransmits_after_loss)
{
	struct ctx c;
	ctx_init(&c, AF_INET, 0);
	struct sp_tracker_timing tm;
	fast_timing(&tm);
	tm.udp_base_ms = 40;
	tm.udp_max_retries = 8; /* 40 ms x (2^9 - 1) = 20 s before giving up */
	sp_tracker_set_timing(c.t, &tm);
	c.srv.drop = 2; /* the connect and its first retransmission */
	int64_t t0 = sp_now_us();
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	/* 40 ms then 80 ms of backoff before the third try */
	SP_CHECK_CMP((sp_now_us() - t0) / 1000, >=, 110);
	SP_CHECK_CMP(c.srv.connects, >=, 1);
	SP_CHECK_INT(c.errors, 0);
	ctx_fini(&c);
}

static void bad(enum mode m, const char *expect)
{
	struct ctx c;
	ctx_init(&c, AF_INET, 0);
	c.srv.mode = m;
	if (m == M_SILENT || m == M_WRONG_TXID) { /* the timeout: 40 + 80 + 160 ms */
		struct sp_tracker_timing tm;
		fast_timing(&tm);
		tm.udp_base_ms = 40;
		sp_tracker_set_timing(c.t, &tm);
	}
	char what[32];
	snprintf(what, sizeof(what), "mode %d", m);
	expect_failure_and_retry(&c, what, expect);
	ctx_fini(&c);
}

SP_TEST(bad_packets_are_reported)
{
	bad(M_WRONG_TXID, "did not answer"); /* ignored, not an abort */
	bad(M_SHORT, "malformed");
	bad(M_WRONG_ACTION, "action 2 instead of 0");
	bad(M_ERROR, "go away");
	bad(M_SILENT, "did not answer");
}

SP_TEST(stray_transaction_ignored)
{
	struct ctx c;
	ctx_init(&c, AF_INET, 0);
	c.srv.mode = M_STRAY;
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	SP_CHECK_UINT(c.npeers, 2);
	SP_CHECK_INT(c.errors, 0);
	SP_CHECK_INT(c.srv.connects, 1); /* the stray did not restart it */
	ctx_fini(&c);
}

SP_TEST(refused_port_fails_fast)
{
	/* a port nobody listens on: take one and close it */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	bind(fd, (struct sockaddr *)&a, al);
	getsockname(fd, (struct sockaddr *)&a, &al);
	close(fd);
	struct ctx c;
	ctx_init(&c, AF_INET, ntohs(a.sin_port));
	struct sp_tracker_timing tm;
	sp_tracker_timing_default(&tm); /* a 15 s first timeout */
	sp_tracker_set_timing(c.t, &tm);
	int64_t t0 = sp_now_us();
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.errors, 1, WAIT_MS), 1);
	/* the ICMP refusal, not a timeout ("did not answer") */
	SP_CHECK(strstr(c.last_err, "refused"));
	SP_CHECK_CMP((sp_now_us() - t0) / 1000, <, tm.udp_base_ms); /* before any timeout */
	ctx_fini(&c);
}

SP_TEST(silent_tracker_fails_over_quickly)
{
	struct ctx c;
	ctx_init(&c, AF_INET, 0);
	c.srv.mode = M_SILENT;
	struct srv ok;
	uint16_t ok_port = srv_start(&ok, c.base, AF_INET);
	static char url2[128];
	snprintf(url2, sizeof(url2), "udp://127.0.0.1:%u", ok_port);
	static char *tier1[2] = {url2, NULL};
	static char **two[2] = {tier0, tier1};
	mi.tiers = two;
	mi.num_tiers = 2;
	struct sp_tracker_timing tm;
	sp_tracker_timing_default(&tm);
	tm.udp_base_ms = 40;
	tm.udp_max_retries = 10;     /* alone, 40 ms x (2^11 - 1) = 82 s */
	tm.udp_failover_retries = 1; /* with a next tier: 40 + 80 ms */
	ctx_tracker(&c, &tm);
	int64_t t0 = sp_now_us();
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	SP_CHECK_CMP((sp_now_us() - t0) / 1000, <, WAIT_MS); /* far from 82 s */
	SP_CHECK_INT(c.errors, 1);
	SP_CHECK(strstr(c.last_err, "did not answer"));
	/* the second tier answered (more than once if a busy machine made
	 * the 40 ms retransmission fire before its answer was read) */
	SP_CHECK_CMP(ok.announces, >=, 1);
	srv_stop(&ok);
	ctx_fini(&c);
}

SP_TEST(scrape)
{
	struct ctx c;
	ctx_init(&c, AF_INET, 0);
	SP_CHECK_INT(sp_tracker_scrape(c.t), 0);
	SP_CHECK_INT(run_until(&c, &c.scrapes, 1, WAIT_MS), 1);
	SP_CHECK_INT(c.seeders, 11);
	ctx_fini(&c);
}

SP_TEST(host_name_resolved_without_blocking)
{
	struct ctx c;
	host_name = "localhost"; /* evdns reads /etc/hosts */
	ctx_init(&c, AF_INET, 0);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	SP_CHECK_INT(c.errors, 0);
	ctx_fini(&c);
	/* a name nobody knows: a quick NXDOMAIN, or a dead name server cut
	 * short by the base timeout (300 ms here) */
	host_name = "no-such-host.invalid";
	ctx_init(&c, AF_INET, 0);
	struct sp_tracker_timing tm;
	sp_tracker_timing_default(&tm);
	tm.udp_base_ms = 300;
	sp_tracker_set_timing(c.t, &tm);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.errors, 1, WAIT_MS), 1);
	SP_CHECK(strstr(c.last_err, "resolve"));
	ctx_fini(&c);
	host_name = NULL;
}

SP_TEST(ipv6_tracker_gives_ipv6_peers)
{
	struct ctx c;
	ctx_init(&c, AF_INET6, 0);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	SP_CHECK_UINT(c.npeers, 2);
	SP_CHECK_INT(c.family0, AF_INET6);
	ctx_fini(&c);
}

SP_TEST_MAIN()
