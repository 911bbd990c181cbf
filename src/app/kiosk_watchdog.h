/* kiosk_watchdog.h - when the kiosk tells systemd it is alive (WATCHDOG=1):
 * only while the player's loop and the net thread both make progress, so
 * that a hung player, or a hung net thread under a playing one, stops the
 * pings and systemd restarts the kiosk (WatchdogSec=). Pure: fed with the
 * monotonic times (µs) at which each last showed progress. */
#ifndef SP_APP_KIOSK_WATCHDOG_H
#define SP_APP_KIOSK_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

struct sp_kiosk_wd {
	int64_t period_us; /* WatchdogSec (systemd's WATCHDOG_USEC); <= 0: off */
	int64_t pinged_us; /* the last ping; 0 none yet */
};

/* Whether to ping at now (and if so, now is the last ping): half a period
 * has passed since the last ping, and both the player (player_at) and
 * the net thread (net_at) showed progress since it. A side that stalls
 * stops the pings; systemd acts a period after the last one. 0 for a
 * time means "never". */
bool sp_kiosk_wd_due(struct sp_kiosk_wd *w, int64_t now, int64_t player_at, int64_t net_at);

#endif
