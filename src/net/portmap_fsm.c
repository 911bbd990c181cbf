/* portmap_fsm.c - the port mapping's schedule (see portmap_fsm.h for the
 * rules). Pure: time in, actions out; any thread. */
#include "net/portmap_fsm.h"

#include <stdio.h>
#include <string.h>

#define S 1000000LL

void sp_pm_fsm_init(struct sp_pm_fsm *f)
{
	memset(f, 0, sizeof(*f));
	f->state = SP_PM_START;
	f->retry_s = f->retry_first_s = SP_PM_RETRY_S;
	f->retry_max_s = SP_PM_RETRY_MAX_S;
}

void sp_pm_fsm_set_retry(struct sp_pm_fsm *f, int64_t first_s, int64_t max_s)
{
	if (first_s < 1 || max_s < first_s)
		return;
	f->retry_s = f->retry_first_s = first_s;
	f->retry_max_s = max_s;
}

enum sp_pm_action sp_pm_fsm_tick(struct sp_pm_fsm *f, int64_t now)
{
	switch (f->state) {
	case SP_PM_START: break;
	case SP_PM_MAPPED:
	case SP_PM_UNMAPPED:
		if (now < f->next_us)
			return SP_PM_ACT_NONE;
		break;
	default: return SP_PM_ACT_NONE; /* asking, stopped */
	}
	f->state = SP_PM_ASKING;
	f->attempts++;
	return SP_PM_ACT_MAP;
}

void sp_pm_fsm_result(struct sp_pm_fsm *f, int64_t now, const struct sp_pm_result *r)
{
	if (f->state != SP_PM_ASKING)
		return; /* stopped meanwhile: the shell deletes what it got */
	if (r->ok) {
		f->state = SP_PM_MAPPED;
		f->last = *r;
		f->have_mapping = true;
		f->retry_s = f->retry_first_s;
		f->why[0] = 0;
		int64_t renew = r->lease_s ? r->lease_s / 2 : SP_PM_PERMANENT_RENEW_S;
		if (renew < SP_PM_MIN_RENEW_S)
			renew = SP_PM_MIN_RENEW_S;
		f->next_us = now + renew * S;
		f->lease_end_us = r->lease_s ? now + (int64_t)r->lease_s * S : 0;
		return;
	}
	snprintf(f->why, sizeof(f->why), "%s", r->why[0] ? r->why : "no gateway answered");
	bool still = f->have_mapping && (!f->lease_end_us || now < f->lease_end_us);
	f->state = still ? SP_PM_MAPPED : SP_PM_UNMAPPED;
	if (!still)
		f->have_mapping = false;
	int64_t wait = f->retry_s;
	if (still && f->lease_end_us && f->lease_end_us - now < wait * S)
		wait = (f->lease_end_us - now) / S + 1; /* once more before it lapses */
	f->next_us = now + wait * S;
	f->retry_s = f->retry_s * 2 > f->retry_max_s ? f->retry_max_s : f->retry_s * 2;
}

enum sp_pm_action sp_pm_fsm_stop(struct sp_pm_fsm *f)
{
	bool del = f->state != SP_PM_STOPPED && f->have_mapping;
	f->state = SP_PM_STOPPED;
	f->have_mapping = false;
	return del ? SP_PM_ACT_UNMAP : SP_PM_ACT_NONE;
}

bool sp_pm_fsm_reachable(const struct sp_pm_fsm *f, int64_t now)
{
	return f->state != SP_PM_STOPPED && f->have_mapping &&
	       (!f->lease_end_us || now < f->lease_end_us);
}

const char *sp_pm_method_name(enum sp_pm_method m)
{
	return m == SP_PM_UPNP ? "UPnP" : m == SP_PM_NATPMP ? "NAT-PMP" : "none";
}

void sp_pm_fsm_describe(const struct sp_pm_fsm *f, int64_t now, char *out, size_t len)
{
	if (sp_pm_fsm_reachable(f, now))
		snprintf(out, len, "%s:%u via %s", f->last.ext_addr[0] ? f->last.ext_addr : "?",
			 f->last.ext_port, sp_pm_method_name(f->last.method));
	else if ((f->state == SP_PM_START || f->state == SP_PM_ASKING) && f->attempts <= 1)
		snprintf(out, len, "checking the router");
	else
		snprintf(out, len, "not reachable from outside: %s",
			 f->why[0] ? f->why : "no gateway answered");
}
