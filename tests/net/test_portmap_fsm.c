/* test_portmap_fsm.c - the port mapping's schedule as a pure function:
 * map at start, renew at half the lease, retry with a doubling delay
 * when no gateway answers, keep a mapping through a failed renewal until
 * its lease ends, delete at stop only what was mapped, and the line
 * people read. */
#include "net/portmap_fsm.h"
#include "harness.h"

#include <string.h>

#define S 1000000LL

static struct sp_pm_result ok_upnp(uint32_t lease)
{
	struct sp_pm_result r = {.ok = true, .method = SP_PM_UPNP, .ext_port = 6881,
				 .lease_s = lease};
	strcpy(r.ext_addr, "203.0.113.7");
	return r;
}

static const struct sp_pm_result none = {.ok = false};

SP_TEST(maps_at_start_then_renews_at_half_lease)
{
	struct sp_pm_fsm f;
	sp_pm_fsm_init(&f);
	char line[160];
	sp_pm_fsm_describe(&f, 0, line, sizeof(line));
	SP_CHECK_STR(line, "checking the router");
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 0), SP_PM_ACT_MAP);
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 1 * S), SP_PM_ACT_NONE); /* one request at a time */
	struct sp_pm_result r = ok_upnp(3600);
	sp_pm_fsm_result(&f, 2 * S, &r);
	SP_CHECK(sp_pm_fsm_reachable(&f, 3 * S));
	sp_pm_fsm_describe(&f, 3 * S, line, sizeof(line));
	SP_CHECK_STR(line, "203.0.113.7:6881 via UPnP");
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 1801 * S), SP_PM_ACT_NONE);
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 1802 * S), SP_PM_ACT_MAP);
	SP_CHECK(sp_pm_fsm_reachable(&f, 1802 * S)); /* still mapped while renewing */
	sp_pm_fsm_result(&f, 1803 * S, &r);
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 3602 * S), SP_PM_ACT_NONE);
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 3603 * S), SP_PM_ACT_MAP);
}

SP_TEST(short_and_permanent_leases)
{
	struct sp_pm_fsm f;
	sp_pm_fsm_init(&f);
	sp_pm_fsm_tick(&f, 0);
	struct sp_pm_result r = ok_upnp(10); /* a router's 10 s: not a busy loop */
	sp_pm_fsm_result(&f, 0, &r);
	SP_CHECK_INT(sp_pm_fsm_tick(&f, (SP_PM_MIN_RENEW_S - 1) * S), SP_PM_ACT_NONE);
	SP_CHECK_INT(sp_pm_fsm_tick(&f, SP_PM_MIN_RENEW_S * S), SP_PM_ACT_MAP);
	r = ok_upnp(0);
	sp_pm_fsm_result(&f, 100 * S, &r);
	SP_CHECK(sp_pm_fsm_reachable(&f, 1000000 * S)); /* permanent */
	SP_CHECK_INT(sp_pm_fsm_tick(&f, (100 + SP_PM_PERMANENT_RENEW_S) * S), SP_PM_ACT_MAP);
}

SP_TEST(no_gateway_retries_with_backoff)
{
	struct sp_pm_fsm f;
	sp_pm_fsm_init(&f);
	int64_t t = 0;
	int64_t want = SP_PM_RETRY_S;
	for (int i = 0; i < 8; i++) {
		SP_CHECK_INT(sp_pm_fsm_tick(&f, t), SP_PM_ACT_MAP);
		sp_pm_fsm_result(&f, t, &none);
		SP_CHECK(!sp_pm_fsm_reachable(&f, t));
		SP_CHECK_INT(sp_pm_fsm_tick(&f, t + want * S - 1), SP_PM_ACT_NONE);
		t += want * S;
		want = want * 2 > SP_PM_RETRY_MAX_S ? SP_PM_RETRY_MAX_S : want * 2;
	}
	char line[160];
	sp_pm_fsm_describe(&f, t, line, sizeof(line));
	SP_CHECK_STR(line, "not reachable from outside: no gateway answered");
	/* the gateway comes back: mapped, and the backoff starts over */
	SP_CHECK_INT(sp_pm_fsm_tick(&f, t), SP_PM_ACT_MAP);
	struct sp_pm_result r = ok_upnp(3600);
	sp_pm_fsm_result(&f, t, &r);
	SP_CHECK(sp_pm_fsm_reachable(&f, t));
	SP_CHECK_INT(f.retry_s, SP_PM_RETRY_S);
	SP_CHECK_INT(sp_pm_fsm_stop(&f), SP_PM_ACT_UNMAP);
}

/* Bounds of the shell's own (SWARMPLAY_PORT_MAPPING_RETRY): every retry
 * 2 s apart, and after a mapping and a failure, 2 s again; bad bounds
 * are ignored. */
SP_TEST(retry_bounds_set)
{
	struct sp_pm_fsm f;
	sp_pm_fsm_init(&f);
	sp_pm_fsm_set_retry(&f, 0, 5);
	sp_pm_fsm_set_retry(&f, 9, 3);
	SP_CHECK_INT(f.retry_s, SP_PM_RETRY_S);
	SP_CHECK_INT(f.retry_max_s, SP_PM_RETRY_MAX_S);
	sp_pm_fsm_set_retry(&f, 2, 2);
	int64_t t = 0;
	for (int i = 0; i < 6; i++, t += 2 * S) {
		SP_CHECK_INT(sp_pm_fsm_tick(&f, t), SP_PM_ACT_MAP);
		sp_pm_fsm_result(&f, t, &none);
		SP_CHECK_INT(sp_pm_fsm_tick(&f, t + 2 * S - 1), SP_PM_ACT_NONE);
	}
	SP_CHECK_INT(sp_pm_fsm_tick(&f, t), SP_PM_ACT_MAP);
	struct sp_pm_result r = ok_upnp(60); /* renewal at 30 s fails: retry in 2 s */
	sp_pm_fsm_result(&f, t, &r);
	SP_CHECK_INT(f.retry_s, 2);
	t += 30 * S;
	SP_CHECK_INT(sp_pm_fsm_tick(&f, t), SP_PM_ACT_MAP);
	sp_pm_fsm_result(&f, t, &none);
	SP_CHECK(sp_pm_fsm_reachable(&f, t)); /* the lease holds */
	SP_CHECK_INT(sp_pm_fsm_tick(&f, t + 2 * S - 1), SP_PM_ACT_NONE);
	SP_CHECK_INT(sp_pm_fsm_tick(&f, t + 2 * S), SP_PM_ACT_MAP);
}

SP_TEST(failed_renewal_keeps_the_lease_then_lapses)
{
	struct sp_pm_fsm f;
	sp_pm_fsm_init(&f);
	sp_pm_fsm_tick(&f, 0);
	struct sp_pm_result r = ok_upnp(600);
	sp_pm_fsm_result(&f, 0, &r);
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 300 * S), SP_PM_ACT_MAP);
	struct sp_pm_result refused = {.ok = false};
	strcpy(refused.why, "the router refused (UPnP: ConflictInMappingEntry)");
	sp_pm_fsm_result(&f, 301 * S, &refused);
	SP_CHECK(sp_pm_fsm_reachable(&f, 400 * S)); /* the old lease holds */
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 361 * S), SP_PM_ACT_MAP);
	sp_pm_fsm_result(&f, 362 * S, &refused);
	SP_CHECK(sp_pm_fsm_reachable(&f, 599 * S));
	SP_CHECK(!sp_pm_fsm_reachable(&f, 600 * S));
	/* the retry comes before the lease ends */
	SP_CHECK_CMP(f.next_us, <=, 600 * S + S);
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 601 * S), SP_PM_ACT_MAP);
	sp_pm_fsm_result(&f, 601 * S, &refused);
	SP_CHECK(!sp_pm_fsm_reachable(&f, 601 * S));
	char line[160];
	sp_pm_fsm_describe(&f, 601 * S, line, sizeof(line));
	SP_CHECK_STR(line, "not reachable from outside: the router refused (UPnP: "
			   "ConflictInMappingEntry)");
	SP_CHECK_INT(sp_pm_fsm_stop(&f), SP_PM_ACT_NONE); /* nothing left to delete */
}

SP_TEST(stop)
{
	struct sp_pm_fsm f;
	sp_pm_fsm_init(&f);
	SP_CHECK_INT(sp_pm_fsm_stop(&f), SP_PM_ACT_NONE); /* never mapped */
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 0), SP_PM_ACT_NONE);
	sp_pm_fsm_init(&f);
	sp_pm_fsm_tick(&f, 0);
	struct sp_pm_result r = ok_upnp(3600);
	r.method = SP_PM_NATPMP;
	sp_pm_fsm_result(&f, 0, &r);
	char line[160];
	sp_pm_fsm_describe(&f, 0, line, sizeof(line));
	SP_CHECK_STR(line, "203.0.113.7:6881 via NAT-PMP");
	SP_CHECK_INT(sp_pm_fsm_stop(&f), SP_PM_ACT_UNMAP);
	SP_CHECK_INT(sp_pm_fsm_stop(&f), SP_PM_ACT_NONE); /* once */
	/* an answer that comes after the stop changes nothing */
	sp_pm_fsm_result(&f, 1 * S, &r);
	SP_CHECK(!sp_pm_fsm_reachable(&f, 1 * S));
	SP_CHECK_INT(sp_pm_fsm_tick(&f, 10000 * S), SP_PM_ACT_NONE);
}

SP_TEST_MAIN()
