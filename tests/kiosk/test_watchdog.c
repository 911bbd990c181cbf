/* test_watchdog.c - the kiosk's watchdog rule without systemd: WATCHDOG=1
 * only while both the player's loop and the net thread make progress.
 * A simulated run: the pinger looks every 100 ms, the player and the net
 * thread report progress as given, and systemd's side is modelled (it
 * restarts the kiosk once WatchdogSec passes without a ping). */
#include "harness.h"
#include "app/kiosk_watchdog.h"

#define MS 1000LL
#define S 1000000LL
#define T0 (100 * MS) /* the kiosk starts */

struct run {
	struct sp_kiosk_wd w;
	int64_t player_at, net_at, last_ping;
	int pings;
	bool restarted; /* what systemd would do */
};

/* From..to (µs), the pinger every 100 ms; the player (the net thread)
 * makes progress every player_every (net_every) µs, 0: frozen. */
static void advance(struct run *r, int64_t from, int64_t to, int64_t player_every,
		    int64_t net_every)
{
	for (int64_t t = from; t < to; t += 100 * MS) {
		if (player_every && t % player_every == 0)
			r->player_at = t;
		if (net_every && t % net_every == 0)
			r->net_at = t;
		if (sp_kiosk_wd_due(&r->w, t, r->player_at, r->net_at)) {
			SP_CHECK(t - r->last_ping >= r->w.period_us / 2 || !r->pings);
			r->last_ping = t;
			r->pings++;
		}
		if (t - r->last_ping > r->w.period_us)
			r->restarted = true;
	}
}

static struct run start(int64_t period)
{
	return (struct run){.w = {.period_us = period}, .last_ping = T0};
}

SP_TEST(both_progress_pings_every_half_period)
{
	struct run r = start(4 * S);
	advance(&r, T0, 60 * S, 40 * MS, 200 * MS);
	SP_CHECK(!r.restarted);
	SP_CHECK_CMP(r.pings, >=, 29); /* every 2 s */
	SP_CHECK_CMP(r.pings, <=, 31);
}

SP_TEST(player_frozen_stops_the_pings)
{
	/* kill -STOP of the player's progress (the net thread still turns):
	 * no ping after the freeze, systemd restarts within WatchdogSec */
	struct run r = start(4 * S);
	advance(&r, T0, 20 * S, 40 * MS, 200 * MS);
	SP_CHECK(!r.restarted);
	int before = r.pings;
	int64_t frozen_at = 20 * S;
	advance(&r, frozen_at, 40 * S, 0, 200 * MS);
	/* at most one more ping, for progress made before the freeze */
	SP_CHECK(r.restarted);
	SP_CHECK_CMP(r.last_ping, <=, frozen_at + r.w.period_us / 2);
	SP_CHECK_CMP(r.pings, <=, before + 1);
}

SP_TEST(net_frozen_stops_the_pings)
{
	/* the player plays from its buffer, the net thread hangs */
	struct run r = start(4 * S);
	advance(&r, T0, 20 * S, 40 * MS, 200 * MS);
	int before = r.pings;
	advance(&r, 20 * S, 40 * S, 40 * MS, 0);
	SP_CHECK(r.restarted);
	SP_CHECK_CMP(r.pings, <=, before + 1);
}

SP_TEST(a_timer_alone_is_not_progress)
{
	/* neither side ever progressed: never a ping, however long */
	struct run r = start(4 * S);
	advance(&r, T0, 30 * S, 0, 0);
	SP_CHECK_INT(r.pings, 0);
	/* a progress time from before the last ping does not count again */
	struct sp_kiosk_wd w = {.period_us = 4 * S};
	SP_CHECK(sp_kiosk_wd_due(&w, 10 * S, 9 * S, 9 * S));
	SP_CHECK(!sp_kiosk_wd_due(&w, 13 * S, 9 * S, 12 * S));
	SP_CHECK(!sp_kiosk_wd_due(&w, 13 * S, 12 * S, 9 * S));
	SP_CHECK(sp_kiosk_wd_due(&w, 13 * S, 12 * S, 11 * S));
}

SP_TEST(slow_progress_within_the_period_keeps_it_alive)
{
	/* a player that shows progress every 1.5 s (a long blank slice, a
	 * prepare) under a 4 s watchdog: pings go on, never late */
	struct run r = start(4 * S);
	advance(&r, T0, 60 * S, 1500 * MS, 1000 * MS);
	SP_CHECK(!r.restarted);
	SP_CHECK_CMP(r.pings, >=, 15);
}

SP_TEST(recovers_after_a_stall_shorter_than_the_period)
{
	struct run r = start(10 * S);
	advance(&r, T0, 10 * S, 100 * MS, 100 * MS);
	int before = r.pings;
	advance(&r, 10 * S, 13 * S, 0, 100 * MS); /* 3 s stall < 10 s */
	advance(&r, 13 * S, 30 * S, 100 * MS, 100 * MS);
	SP_CHECK(!r.restarted);
	SP_CHECK_CMP(r.pings, >, before + 2);
}

SP_TEST(off_without_a_period)
{
	struct sp_kiosk_wd w = {0};
	SP_CHECK(!sp_kiosk_wd_due(&w, 100 * S, 99 * S, 99 * S));
}

SP_TEST_MAIN()
