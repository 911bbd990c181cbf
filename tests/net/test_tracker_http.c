/* test_tracker_http.c - sp_tracker against an in-process evhttp tracker on
 * 127.0.0.1 (port picked by the kernel): peers delivered, events sent,
 * BEP 12 failover and promotion, hostile answers (garbage, huge, bad peer
 * list, HTTP errors, silence) reported and retried, intervals clamped,
 * scrape, and the fire-and-forget `stopped` that outlives the tracker. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/clock.h"
#include "harness.h"
#include "net/curlev.h"
#include "net/tracker.h"

/* ---- the fake tracker ---- */

enum { M_OK, M_FAIL, M_GARBAGE, M_HUGE, M_SLOW, M_404, M_BADPEERS, M_BIGINTERVAL, M_OKHOUR,
       M_NMODES };
static const char *const mode_names[] = {"ok", "fail", "garbage", "huge", "slow",
					 "404", "badpeers", "biginterval", "okhour"};

struct srv {
	struct evhttp *http;
	uint16_t port;
	int hits[M_NMODES];
	int started, stopped, completed, scrapes;
	char last_query[2048];
};

static void reply(struct evhttp_request *req, int code, const void *body, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Error", b);
	evbuffer_free(b);
}

#define PEERS12 "5:peers12:\x7f\x00\x00\x01\x1a\xe1\x7f\x00\x00\x02\x1a\xe2"
#define PEERS_BODY "d8:intervali1e12:min intervali0e" PEERS12 "e"
#define PEERS_HOUR "d8:intervali3600e12:min intervali0e" PEERS12 "e"

static void answer(struct srv *s, struct evhttp_request *req, int mode, bool scrape)
{
	static const char fail[] = "d14:failure reason11:not welcomee";
	static const char badpeers[] = "d8:intervali60e5:peers5:abcdee";
	static const char big[] = "d8:intervali99999999999e5:peers0:e";
	if (scrape) {
		char b[256];
		int n = snprintf(b, sizeof(b), "d5:filesd20:%sd8:completei3e10:downloadedi9e"
				 "10:incompletei4eeee", "IIIIIIIIIIIIIIIIIIII");
		reply(req, 200, b, (size_t)n);
		return;
	}
	switch (mode) {
	case M_OK: reply(req, 200, PEERS_BODY, sizeof(PEERS_BODY) - 1); break;
	case M_OKHOUR: reply(req, 200, PEERS_HOUR, sizeof(PEERS_HOUR) - 1); break;
	case M_FAIL: reply(req, 200, fail, sizeof(fail) - 1); break;
	case M_GARBAGE: reply(req, 200, "<html>oops</html>", 17); break;
	case M_HUGE: {
		size_t n = 3 << 20;
		char *b = malloc(n);
		memset(b, 'x', n);
		reply(req, 200, b, n);
		free(b);
		break;
	}
	case M_SLOW: break; /* never answers */
	case M_404: reply(req, 404, "nope", 4); break;
	case M_BADPEERS: reply(req, 200, badpeers, sizeof(badpeers) - 1); break;
	case M_BIGINTERVAL: reply(req, 200, big, sizeof(big) - 1); break;
	}
}

static void srv_on_request(struct evhttp_request *req, void *arg)
{
	struct srv *s = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(uri);
	const char *q = evhttp_uri_get_query(uri);
	snprintf(s->last_query, sizeof(s->last_query), "%s", q ? q : "");
	if (q && strstr(q, "event=started"))
		s->started++;
	if (q && strstr(q, "event=stopped"))
		s->stopped++;
	if (q && strstr(q, "event=completed"))
		s->completed++;
	bool scrape = path && strstr(path, "/scrape");
	s->scrapes += scrape;
	for (int m = 0; m < M_NMODES; m++) {
		size_t n = strlen(mode_names[m]);
		if (path && !strncmp(path + 1, mode_names[m], n) && path[1 + n] == '/') {
			s->hits[m]++;
			answer(s, req, m, scrape);
			return;
		}
	}
	reply(req, 500, "?", 1);
}

static void srv_start(struct srv *s, struct event_base *base)
{
	memset(s, 0, sizeof(*s));
	s->http = evhttp_new(base);
	struct evhttp_bound_socket *h = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
	SP_CHECK(h);
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	SP_CHECK_INT(getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	evhttp_set_gencb(s->http, srv_on_request, s);
}

static void srv_stop(struct srv *s)
{
	evhttp_free(s->http);
}

/* ---- the announcing side ---- */

static struct sp_metainfo mi;
static char *tier_urls[3][4];
static char **tiers[3];

#include "tracker_fixture.h"

/* Short intervals and retries so that a test sees several announces; a
 * long HTTP timeout so that only a tracker that really never answers
 * times out, however slow the machine (the "slow" cases set their own). */
static void fast_timing(struct sp_tracker_timing *tm)
{
	sp_tracker_timing_default(tm);
	tm->http_timeout_ms = 10000;
	tm->interval_min_ms = 150;
	tm->interval_max_ms = 400;
	tm->retry_min_ms = 100;
	tm->retry_max_ms = 200;
}

/* tiers given as "mode,mode|mode": '|' separates tiers. */
static void ctx_init(struct ctx *c, const char *spec)
{
	ctx_open(c);
	srv_start(&c->srv, c->base);
	memset(&mi, 0, sizeof(mi));
	memset(mi.info_hash, 'I', 20);
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", spec);
	size_t nt = 0;
	char *save1;
	for (char *tier = strtok_r(buf, "|", &save1); tier && nt < 3;
	     tier = strtok_r(NULL, "|", &save1), nt++) {
		size_t nu = 0;
		char *save2;
		for (char *m = strtok_r(tier, ",", &save2); m && nu < 3;
		     m = strtok_r(NULL, ",", &save2), nu++) {
			char u[256];
			snprintf(u, sizeof(u), "http://127.0.0.1:%u/%s/announce", c->srv.port, m);
			tier_urls[nt][nu] = strdup(u);
		}
		tier_urls[nt][nu] = NULL;
		tiers[nt] = tier_urls[nt];
	}
	mi.tiers = tiers;
	mi.num_tiers = nt;
	struct sp_tracker_timing tm;
	fast_timing(&tm);
	ctx_tracker(c, &tm);
}

SP_TEST(announce_delivers_peers_and_events)
{
	struct ctx c;
	ctx_init(&c, "ok");
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	SP_CHECK_UINT(c.npeers, 2);
	SP_CHECK_UINT(c.first_port, 6881);
	SP_CHECK_INT(c.srv.started, 1);
	SP_CHECK(strstr(c.srv.last_query, "info_hash=IIIIIIIIIIIIIIIIIIII"));
	SP_CHECK(strstr(c.srv.last_query, "peer_id=PPPPPPPPPPPPPPPPPPPP"));
	SP_CHECK(strstr(c.srv.last_query, "&port=6881&uploaded=10&downloaded=20&left=1000"));
	SP_CHECK(strstr(c.srv.last_query, "compact=1"));
	/* interval 1 s from the tracker (clamped to 400 ms): a re-announce
	 * without event */
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 2, WAIT_MS), 2);
	SP_CHECK(!strstr(c.srv.last_query, "event="));
	c.left = 0;
	sp_tracker_completed(c.t);
	SP_CHECK_INT(run_until(&c, &c.srv.completed, 1, WAIT_MS), 1);
	SP_CHECK_INT(c.errors, 0);
	/* stopped goes out even though the tracker is freed at once */
	sp_tracker_stop(c.t);
	sp_tracker_free(c.t);
	c.t = NULL;
	SP_CHECK_INT(run_until(&c, &c.srv.stopped, 1, WAIT_MS), 1);
	SP_CHECK_INT(run_until(&c, &c.srv.stopped, 2, 300), 1); /* and only once */
	ctx_fini(&c);
}

SP_TEST(tiers_fail_over_and_promote)
{
	struct ctx c;
	ctx_init(&c, "fail,garbage|ok");
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	SP_CHECK_INT(c.errors, 2);
	SP_CHECK_INT(c.srv.hits[M_FAIL], 1);
	SP_CHECK_INT(c.srv.hits[M_GARBAGE], 1);
	SP_CHECK(strstr(c.err_log, "not welcome"));
	SP_CHECK(strstr(c.err_log, "malformed"));
	ctx_fini(&c);

	/* within a tier, the URL that answered moves to the front (the
	 * failed one rests only 100-200 ms: it would be asked first again
	 * if it had not moved back) */
	ctx_init(&c, "fail,ok");
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 3, WAIT_MS), 3);
	SP_CHECK_CMP(c.srv.hits[M_FAIL], <=, 1);
	SP_CHECK_INT(c.srv.hits[M_OK], 3);
	/* the failover tracker got `started` of its own */
	SP_CHECK_INT(c.srv.started, c.srv.hits[M_FAIL] + 1);
	ctx_fini(&c);

	/* a dead first tier rests after failing: re-announces go straight
	 * to the tier that works */
	ctx_init(&c, "fail|ok");
	struct sp_tracker_timing tm;
	fast_timing(&tm);
	tm.interval_max_ms = 300;
	tm.retry_min_ms = tm.retry_max_ms = 3600000;
	sp_tracker_set_timing(c.t, &tm);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 3, WAIT_MS), 3);
	SP_CHECK_INT(c.srv.hits[M_FAIL], 1);
	SP_CHECK_INT(c.srv.hits[M_OK], 3);
	ctx_fini(&c);
}

static void hostile(const char *mode, const char *expect)
{
	struct ctx c;
	ctx_init(&c, mode);
	if (!strcmp(mode, "slow")) { /* the timeout is what is tested */
		struct sp_tracker_timing tm;
		fast_timing(&tm);
		tm.http_timeout_ms = 400;
		sp_tracker_set_timing(c.t, &tm);
	}
	expect_failure_and_retry(&c, mode, expect);
	ctx_fini(&c);
}

SP_TEST(hostile_answers_are_reported_and_retried)
{
	hostile("huge", "too large");
	hostile("slow", "unreachable");
	hostile("404", "HTTP 404");
	hostile("badpeers", "multiple of 6");
	hostile("nosuchmode", "HTTP 500");
}

SP_TEST(enormous_interval_is_clamped)
{
	struct ctx c;
	ctx_init(&c, "biginterval");
	sp_tracker_start(c.t);
	/* interval_max_ms is 400 in this test: three announces come (the
	 * tracker's own interval is three years) */
	SP_CHECK_INT(run_until(&c, &c.srv.hits[M_BIGINTERVAL], 3, WAIT_MS), 3);
	SP_CHECK_INT(c.errors, 0);
	ctx_fini(&c);
}

SP_TEST(want_peers_respects_min_interval_and_back_off)
{
	struct ctx c;
	/* "ok" answers interval 1 s and min interval 0: with the interval
	 * ceiling an hour, the next announce is due in 1 s at the earliest;
	 * the test's wait is stretched instead by how slow the machine is,
	 * so the interval is made an hour and the re-announce asked for
	 * must come long before it */
	ctx_init(&c, "okhour");
	struct sp_tracker_timing tm;
	fast_timing(&tm);
	tm.interval_min_ms = 150; /* the tracker's min interval 0 becomes 150 ms */
	tm.interval_max_ms = 3600000; /* its interval of an hour stays an hour */
	sp_tracker_set_timing(c.t, &tm);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, WAIT_MS), 1);
	int64_t t0 = sp_now_us();
	sp_tracker_want_peers(c.t);
	sp_tracker_want_peers(c.t);
	SP_CHECK_INT(run_until(&c, &c.srv.hits[M_OKHOUR], 2, WAIT_MS), 2);
	int64_t dt = (sp_now_us() - t0) / 1000;
	SP_CHECK_CMP(dt, >=, 100); /* not before the min interval */
	SP_CHECK_CMP(dt, <, WAIT_MS); /* long before the hour */
	/* two asks, one announce */
	SP_CHECK_INT(run_until(&c, &c.srv.hits[M_OKHOUR], 3, 500), 2);
	ctx_fini(&c);

	/* a tracker that failed rests (an hour here) whatever is asked */
	ctx_init(&c, "fail");
	fast_timing(&tm);
	tm.retry_min_ms = tm.retry_max_ms = 3600000;
	sp_tracker_set_timing(c.t, &tm);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.errors, 1, WAIT_MS), 1);
	for (int i = 0; i < 20; i++) {
		sp_tracker_want_peers(c.t);
		event_base_loop(c.base, EVLOOP_NONBLOCK);
	}
	run_until(&c, &c.srv.hits[M_FAIL], 2, 300);
	SP_CHECK_INT(c.srv.hits[M_FAIL], 1);
	ctx_fini(&c);
}

SP_TEST(scrape)
{
	struct ctx c;
	ctx_init(&c, "ok");
	SP_CHECK_INT(sp_tracker_scrape(c.t), 0);
	SP_CHECK_INT(sp_tracker_scrape(c.t), -EAGAIN);
	SP_CHECK_INT(run_until(&c, &c.scrapes, 1, WAIT_MS), 1);
	SP_CHECK_INT(c.seeders, 3);
	ctx_fini(&c);
}

SP_TEST(free_while_announcing)
{
	struct ctx c;
	ctx_init(&c, "slow"); /* never answers; the 10 s timeout keeps it in flight */
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.srv.hits[M_SLOW], 1, WAIT_MS), 1);
	SP_CHECK_UINT(sp_curlev_count(c.curl), 1);
	sp_tracker_free(c.t);
	c.t = NULL;
	SP_CHECK_UINT(sp_curlev_count(c.curl), 0);
	ctx_fini(&c);
}

SP_TEST_MAIN()
