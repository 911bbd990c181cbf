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

enum { M_OK, M_FAIL, M_GARBAGE, M_HUGE, M_SLOW, M_404, M_BADPEERS, M_BIGINTERVAL, M_NMODES };
static const char *const mode_names[] = {"ok", "fail", "garbage", "huge", "slow",
					 "404", "badpeers", "biginterval"};

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

#define PEERS_BODY "d8:intervali1e12:min intervali0e5:peers12:\x7f\x00\x00\x01\x1a\xe1\x7f\x00\x00\x02\x1a\xe2" "e"

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

/* ---- the announcing side ---- */

struct ctx {
	struct event_base *base;
	struct sp_curlev *curl;
	struct sp_tracker *t;
	struct srv srv;
	int peer_calls;
	size_t npeers;
	uint16_t first_port;
	int errors, infos, scrapes;
	int64_t seeders;
	char last_err[512];
	char err_log[4096];
	uint64_t left;
};

static void on_peers(void *arg, const struct sp_tracker_peer *p, size_t n)
{
	struct ctx *c = arg;
	c->peer_calls++;
	c->npeers = n;
	c->first_port = ntohs(((const struct sockaddr_in *)&p[0].addr)->sin_port);
}

static void on_status(void *arg, const char *url, const char *msg, bool is_error)
{
	struct ctx *c = arg;
	if (is_error) {
		c->errors++;
		snprintf(c->last_err, sizeof(c->last_err), "%s", msg);
		size_t l = strlen(c->err_log);
		snprintf(c->err_log + l, sizeof(c->err_log) - l, "%s | ", msg);
	} else {
		c->infos++;
	}
}

static void get_stats(void *arg, uint64_t *up, uint64_t *down, uint64_t *left)
{
	struct ctx *c = arg;
	*up = 10;
	*down = 20;
	*left = c->left;
}

static void on_scrape(void *arg, const char *url, int64_t s, int64_t l, int64_t d)
{
	struct ctx *c = arg;
	c->scrapes++;
	c->seeders = s;
}

static struct sp_metainfo mi;
static char *tier_urls[3][4];
static char **tiers[3];

/* tiers given as "mode,mode|mode": '|' separates tiers. */
static void ctx_init(struct ctx *c, const char *spec)
{
	memset(c, 0, sizeof(*c));
	c->left = 1000;
	c->base = event_base_new();
	c->curl = sp_curlev_new(c->base);
	SP_CHECK(c->curl);
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
	uint8_t pid[20];
	memset(pid, 'P', 20);
	struct sp_tracker_callbacks cb = {.ctx = c, .on_peers = on_peers, .on_status = on_status,
					  .get_stats = get_stats, .on_scrape = on_scrape};
	c->t = sp_tracker_new(c->base, c->curl, &mi, pid, 6881, &cb);
	SP_CHECK(c->t);
	struct sp_tracker_timing tm;
	sp_tracker_timing_default(&tm);
	tm.http_timeout_ms = 400;
	tm.interval_min_ms = 150;
	tm.interval_max_ms = 400;
	tm.retry_min_ms = 100;
	tm.retry_max_ms = 200;
	sp_tracker_set_timing(c->t, &tm);
}

static void on_tick(evutil_socket_t fd, short w, void *arg)
{
}

/* Run the loop until *flag >= want or ms pass; returns the flag. */
static int run_until(struct ctx *c, const int *flag, int want, int ms)
{
	struct event *tick = event_new(c->base, -1, EV_PERSIST, on_tick, NULL);
	struct timeval tv = {0, 10000};
	event_add(tick, &tv);
	int64_t end = sp_now_us() + ms * 1000LL;
	while (*flag < want && sp_now_us() < end)
		event_base_loop(c->base, EVLOOP_ONCE);
	event_free(tick);
	return *flag;
}

static void ctx_fini(struct ctx *c)
{
	sp_tracker_free(c->t);
	sp_curlev_free(c->curl);
	evhttp_free(c->srv.http);
	event_base_free(c->base);
}

SP_TEST(announce_delivers_peers_and_events)
{
	struct ctx c;
	ctx_init(&c, "ok");
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, 3000), 1);
	SP_CHECK_UINT(c.npeers, 2);
	SP_CHECK_UINT(c.first_port, 6881);
	SP_CHECK_INT(c.srv.started, 1);
	SP_CHECK(strstr(c.srv.last_query, "info_hash=IIIIIIIIIIIIIIIIIIII"));
	SP_CHECK(strstr(c.srv.last_query, "peer_id=PPPPPPPPPPPPPPPPPPPP"));
	SP_CHECK(strstr(c.srv.last_query, "&port=6881&uploaded=10&downloaded=20&left=1000"));
	SP_CHECK(strstr(c.srv.last_query, "compact=1"));
	/* interval 1 s from the tracker: a re-announce without event */
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 2, 3000), 2);
	SP_CHECK(!strstr(c.srv.last_query, "event="));
	c.left = 0;
	sp_tracker_completed(c.t);
	SP_CHECK_INT(run_until(&c, &c.srv.completed, 1, 3000), 1);
	SP_CHECK_INT(c.errors, 0);
	/* stopped goes out even though the tracker is freed at once */
	sp_tracker_stop(c.t);
	sp_tracker_free(c.t);
	c.t = NULL;
	SP_CHECK_INT(run_until(&c, &c.srv.stopped, 1, 3000), 1);
	SP_CHECK_INT(run_until(&c, &c.srv.stopped, 2, 300), 1);
	ctx_fini(&c);
}

SP_TEST(tiers_fail_over_and_promote)
{
	struct ctx c;
	ctx_init(&c, "fail,garbage|ok");
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, 3000), 1);
	SP_CHECK_INT(c.errors, 2);
	SP_CHECK_INT(c.srv.hits[M_FAIL], 1);
	SP_CHECK_INT(c.srv.hits[M_GARBAGE], 1);
	SP_CHECK(strstr(c.err_log, "not welcome"));
	SP_CHECK(strstr(c.err_log, "malformed"));
	ctx_fini(&c);

	/* within a tier, the URL that answered moves to the front */
	ctx_init(&c, "fail,ok");
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 3, 5000), 3);
	SP_CHECK_CMP(c.srv.hits[M_FAIL], <=, 1);
	SP_CHECK_INT(c.srv.hits[M_OK], 3);
	/* the failover tracker got `started` of its own */
	SP_CHECK_INT(c.srv.started, c.srv.hits[M_FAIL] + 1);
	ctx_fini(&c);

	/* a dead first tier rests after failing: re-announces go straight
	 * to the tier that works */
	ctx_init(&c, "fail|ok");
	struct sp_tracker_timing tm;
	sp_tracker_timing_default(&tm);
	tm.interval_min_ms = 150;
	tm.interval_max_ms = 300;
	tm.retry_min_ms = 10000;
	sp_tracker_set_timing(c.t, &tm);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 3, 5000), 3);
	SP_CHECK_INT(c.srv.hits[M_FAIL], 1);
	SP_CHECK_INT(c.srv.hits[M_OK], 3);
	ctx_fini(&c);
}

static void hostile(const char *mode, const char *expect)
{
	struct ctx c;
	ctx_init(&c, mode);
	sp_tracker_start(c.t);
	/* each failure is reported, and the tracker is retried later */
	SP_CHECK_INT(run_until(&c, &c.errors, 2, 4000), 2);
	if (!strstr(c.last_err, expect))
		SP_FAIL("%s: \"%s\" lacks \"%s\"", mode, c.last_err, expect);
	SP_CHECK_INT(c.peer_calls, 0);
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
	/* interval_max_ms is 400 in this test: three announces within 2 s */
	SP_CHECK_INT(run_until(&c, &c.srv.hits[M_BIGINTERVAL], 3, 2500), 3);
	SP_CHECK_INT(c.errors, 0);
	ctx_fini(&c);
}

SP_TEST(want_peers_respects_min_interval_and_back_off)
{
	struct ctx c;
	ctx_init(&c, "ok");
	struct sp_tracker_timing tm;
	sp_tracker_timing_default(&tm);
	tm.interval_min_ms = 150; /* the tracker's min interval 0 becomes 150 ms */
	tm.interval_max_ms = 5000; /* its interval 1 s stays 1 s */
	sp_tracker_set_timing(c.t, &tm);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.peer_calls, 1, 3000), 1);
	int64_t t0 = sp_now_us();
	sp_tracker_want_peers(c.t);
	sp_tracker_want_peers(c.t);
	SP_CHECK_INT(run_until(&c, &c.srv.hits[M_OK], 2, 3000), 2);
	int64_t dt = (sp_now_us() - t0) / 1000;
	SP_CHECK_CMP(dt, >=, 100);
	SP_CHECK_CMP(dt, <, 900); /* sooner than the 1 s interval */
	ctx_fini(&c);

	ctx_init(&c, "fail");
	sp_tracker_timing_default(&tm);
	tm.retry_min_ms = 5000;
	sp_tracker_set_timing(c.t, &tm);
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.errors, 1, 3000), 1);
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
	SP_CHECK_INT(run_until(&c, &c.scrapes, 1, 3000), 1);
	SP_CHECK_INT(c.seeders, 3);
	ctx_fini(&c);
}

SP_TEST(free_while_announcing)
{
	struct ctx c;
	ctx_init(&c, "slow");
	sp_tracker_start(c.t);
	SP_CHECK_INT(run_until(&c, &c.srv.hits[M_SLOW], 1, 3000), 1);
	SP_CHECK_UINT(sp_curlev_count(c.curl), 1);
	sp_tracker_free(c.t);
	c.t = NULL;
	SP_CHECK_UINT(sp_curlev_count(c.curl), 0);
	ctx_fini(&c);
}

SP_TEST_MAIN()
