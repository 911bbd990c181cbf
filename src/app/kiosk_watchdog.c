/* kiosk_watchdog.c - the watchdog's rule (kiosk_watchdog.h). Pure. */
#include "app/kiosk_watchdog.h"

bool sp_kiosk_wd_due(struct sp_kiosk_wd *w, int64_t now, int64_t player_at, int64_t net_at)
{
	if (w->period_us <= 0 || now - w->pinged_us < w->period_us / 2)
		return false;
	/* progress since the last ping, on both sides (a time from before
	 * the ping was already counted for it) */
	if (player_at <= 0 || net_at <= 0 || player_at <= w->pinged_us || net_at <= w->pinged_us)
		return false;
	w->pinged_us = now;
	return true;
}
