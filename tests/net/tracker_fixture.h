/* tracker_fixture.h - the announcing side shared by the HTTP and UDP
 * tracker tests: an event_base with its curl glue, an sp_tracker for the
 * file's `mi` whose callbacks count into struct ctx, and the loop runner.
 *
 * The including file defines, before including this: `struct srv` (its
 * fake tracker, embedded in the ctx), `srv_stop(struct srv *)`, and
 * `static struct sp_metainfo mi` filled with its tiers. Header-only:
 * every function is static. */
#ifndef SP_TEST_TRACKER_FIXTURE_H
#define SP_TEST_TRACKER_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>

#include "harness.h"
#include "loop_wait.h"
#include "net/curlev.h"
#include "net/tracker.h"

struct ctx {
	struct event_base *base;
	struct sp_curlev *curl;
	struct sp_tracker *t;
	struct srv srv;
	int peer_calls, errors, infos, scrapes;
	size_t npeers;
	int family0;         /* address family of the first peer */
	uint16_t first_port; /* and its port */
	int64_t seeders;     /* from the last scrape */
	uint64_t left;       /* what get_stats reports */
	char last_err[512];
	char err_log[4096]; /* every error, " | "-separated */
};

static void on_peers(void *arg, const struct sp_tracker_peer *p, size_t n)
{
	struct ctx *c = arg;
	c->peer_calls++;
	c->npeers = n;
	if (n == 0)
		return;
	c->family0 = p[0].addr.ss_family;
	if (c->family0 == AF_INET)
		c->first_port = ntohs(((const struct sockaddr_in *)&p[0].addr)->sin_port);
}

static void on_status(void *arg, const char *url, const char *msg, bool is_error)
{
	struct ctx *c = arg;
	(void)url;
	if (!is_error) {
		c->infos++;
		return;
	}
	c->errors++;
	snprintf(c->last_err, sizeof(c->last_err), "%s", msg);
	size_t l = strlen(c->err_log);
	snprintf(c->err_log + l, sizeof(c->err_log) - l, "%s | ", msg);
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
	(void)url;
	(void)l;
	(void)d;
	c->scrapes++;
	c->seeders = s;
}

/* The loop and curl glue; the caller starts its server next. */
static void ctx_open(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->left = 1000;
	c->base = event_base_new();
	SP_CHECK(c->base);
	c->curl = sp_curlev_new(c->base);
	SP_CHECK(c->curl);
}

/* (Re)make c->t for the tiers in `mi` (peer id "PPP...", port 6881). */
static void ctx_tracker(struct ctx *c, const struct sp_tracker_timing *tm)
{
	sp_tracker_free(c->t);
	uint8_t pid[20];
	memset(pid, 'P', 20);
	struct sp_tracker_callbacks cb = {.ctx = c, .on_peers = on_peers, .on_status = on_status,
					  .get_stats = get_stats, .on_scrape = on_scrape};
	c->t = sp_tracker_new(c->base, c->curl, &mi, pid, 6881, &cb);
	SP_CHECK(c->t);
	sp_tracker_set_timing(c->t, tm);
}

static int run_until(struct ctx *c, const int *flag, int want, int ms)
{
	return loop_until(c->base, flag, want, ms);
}

/* Start c->t against a tracker that only fails: the failure is
 * reported, then reported again when the tracker is retried, the last
 * message naming `expect`, and no peer ever comes. */
static void expect_failure_and_retry(struct ctx *c, const char *what, const char *expect)
{
	sp_tracker_start(c->t);
	SP_CHECK_INT(run_until(c, &c->errors, 2, WAIT_MS), 2);
	if (!strstr(c->last_err, expect))
		SP_FAIL("%s: \"%s\" lacks \"%s\"", what, c->last_err, expect);
	SP_CHECK_INT(c->peer_calls, 0);
}

static void ctx_fini(struct ctx *c)
{
	sp_tracker_free(c->t);
	c->t = NULL;
	sp_curlev_free(c->curl);
	srv_stop(&c->srv);
	event_base_free(c->base);
}

#endif
