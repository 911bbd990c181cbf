/* kiosk_notify.c - the kiosk under systemd (Type=notify, WatchdogSec=):
 * READY=1 when it starts playing, STATUS= with the item playing, a
 * WATCHDOG=1 ping only while both the player's loop (or the wait for
 * something to play) and the net thread make progress (the rule:
 * kiosk_watchdog.c), STOPPING=1 at the end.
 *
 * The main thread marks its progress (sp_kiosk_watchdog); a thread of
 * this file's own asks the net thread for a snapshot
 * (sp_session_get_network, answered on the loop's next turn) a few times
 * a period, and pings when the rule says so. A hung net loop leaves that
 * thread waiting: no ping, as wanted.
 *
 * libsystemd's sd_notify does the talking. It is loaded with dlopen()
 * only by the kiosk and only when systemd asked (NOTIFY_SOCKET is set),
 * so that the other commands start without it and its libraries. Built
 * without <systemd/sd-daemon.h>, a kiosk under systemd says so once.
 * sd_notify from any thread (a datagram each). */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app/clock.h"
#include "app/i18n.h"
#include "app/kiosk.h"
#include "app/kiosk_watchdog.h"
#include "swarmplay/swarmplay.h"

#if SP_HAVE_SD_DAEMON
#include <systemd/sd-daemon.h>

static __typeof__(&sd_notify) notify_fn;
static __typeof__(&sd_watchdog_enabled) watchdog_fn;
#endif

static uint64_t watchdog_us;
static atomic_llong player_at; /* the main thread's last progress */
static struct {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool running, stop; /* stop: [mu] */
	struct sp_session *s;
} wd = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

void sp_kiosk_notify_init(void)
{
	if (!getenv("NOTIFY_SOCKET"))
		return;
#if SP_HAVE_SD_DAEMON
	void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (h) {
		notify_fn = (__typeof__(&sd_notify))dlsym(h, "sd_notify");
		watchdog_fn = (__typeof__(&sd_watchdog_enabled))dlsym(h, "sd_watchdog_enabled");
	}
	if (!notify_fn) {
		fprintf(stderr, _("swarmplay: NOTIFY_SOCKET is set but libsystemd cannot be "
				  "loaded: %s\n"), dlerror());
		return;
	}
	uint64_t us = 0;
	if (watchdog_fn && watchdog_fn(0, &us) > 0)
		watchdog_us = us;
#else
	fprintf(stderr, _("swarmplay: NOTIFY_SOCKET is set but this build has no libsystemd\n"));
#endif
}

void sp_kiosk_notify(const char *state)
{
#if SP_HAVE_SD_DAEMON
	if (notify_fn)
		notify_fn(0, state);
#else
	(void)state;
#endif
}

void sp_kiosk_watchdog(void)
{
	atomic_store(&player_at, (long long)sp_app_now_us());
}

#define WD_LOOK_MIN_US 20000LL
#define WD_LOOK_MAX_US 1000000LL

static void *watchdog_main(void *arg)
{
	(void)arg;
	struct sp_kiosk_wd w = {.period_us = (int64_t)watchdog_us};
	int64_t look = w.period_us / 8, net_at = 0;
	look = look < WD_LOOK_MIN_US ? WD_LOOK_MIN_US : look > WD_LOOK_MAX_US ? WD_LOOK_MAX_US : look;
	pthread_mutex_lock(&wd.mu);
	while (!wd.stop) {
		pthread_mutex_unlock(&wd.mu);
		struct sp_network_info ni;
		if (sp_session_get_network(wd.s, &ni) == 0) /* the net loop turned */
			net_at = sp_app_now_us();
		if (sp_kiosk_wd_due(&w, sp_app_now_us(), atomic_load(&player_at), net_at))
			sp_kiosk_notify("WATCHDOG=1");
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)look * 1000;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&wd.mu);
		if (!wd.stop)
			pthread_cond_timedwait(&wd.cond, &wd.mu, &until);
	}
	pthread_mutex_unlock(&wd.mu);
	return NULL;
}

void sp_kiosk_watchdog_start(struct sp_session *s)
{
	if (!watchdog_us || wd.running)
		return;
	wd.s = s;
	wd.stop = false;
	wd.running = pthread_create(&wd.thread, NULL, watchdog_main, NULL) == 0;
}

void sp_kiosk_watchdog_stop(void)
{
	if (!wd.running)
		return;
	pthread_mutex_lock(&wd.mu);
	wd.stop = true;
	pthread_cond_broadcast(&wd.cond);
	pthread_mutex_unlock(&wd.mu);
	pthread_join(wd.thread, NULL);
	wd.running = false;
}
