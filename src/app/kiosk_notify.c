/* kiosk_notify.c - the kiosk under systemd (Type=notify, WatchdogSec=):
 * READY=1 when it starts playing, STATUS= with the item playing, a
 * WATCHDOG=1 ping while the player's loop (or the wait for something to
 * play) is alive, STOPPING=1 at the end.
 *
 * libsystemd's sd_notify does the talking. It is loaded with dlopen()
 * only by the kiosk and only when systemd asked (NOTIFY_SOCKET is set),
 * so that the other commands start without it and its libraries. Built
 * without <systemd/sd-daemon.h>, a kiosk under systemd says so once.
 * Main thread. */
#include "config.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/kiosk.h"
#include "app/clock.h"
#include "app/i18n.h"

#if SP_HAVE_SD_DAEMON
#include <systemd/sd-daemon.h>

static __typeof__(&sd_notify) notify_fn;
static __typeof__(&sd_watchdog_enabled) watchdog_fn;
#endif

static uint64_t watchdog_us;
static int64_t pinged_us;

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
	int64_t now = sp_app_now_us();
	if (!watchdog_us || now - pinged_us < (int64_t)(watchdog_us / 2))
		return;
	pinged_us = now;
	sp_kiosk_notify("WATCHDOG=1");
}
