/* loop_wait.h - for the net tests that drive an event_base by hand: run
 * the loop until a counter reaches a value, or a ceiling passes.
 *
 * The ceiling is there only so that a broken build fails instead of
 * hanging: tests wait for the real condition and return as soon as it
 * holds, so the ceiling is generous (WAIT_MS) — CI machines run other
 * suites beside this one, and a loop may lose the CPU for seconds. A
 * short ceiling belongs only where a test proves that something does
 * NOT happen (the wait can only get safer under load). Header-only:
 * every function is static, each test file gets its own copy. */
#ifndef SP_TEST_LOOP_WAIT_H
#define SP_TEST_LOOP_WAIT_H

#include <event2/event.h>
#include <stdbool.h>

#include "core/clock.h"

#define WAIT_MS 30000

static void loop_wait_on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Turn base until *flag >= want or ms pass (a 10 ms tick keeps the
 * clock checked when nothing happens); returns *flag. */
static inline int loop_until(struct event_base *base, const int *flag, int want, int ms)
{
	struct event *tick = event_new(base, -1, EV_PERSIST, loop_wait_on_tick, NULL);
	struct timeval tv = {0, 10000};
	event_add(tick, &tv);
	int64_t end = sp_now_us() + ms * 1000LL;
	while (*flag < want && sp_now_us() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
	return *flag;
}

/* The same for a condition of the caller's: until done(arg) is true. */
static inline bool loop_until_fn(struct event_base *base, bool (*done)(void *), void *arg,
				 int ms)
{
	struct event *tick = event_new(base, -1, EV_PERSIST, loop_wait_on_tick, NULL);
	struct timeval tv = {0, 10000};
	event_add(tick, &tv);
	int64_t end = sp_now_us() + ms * 1000LL;
	bool ok;
	while (!(ok = done(arg)) && sp_now_us() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
	return ok;
}

#endif
