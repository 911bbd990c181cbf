/* portmap.c - the listen port mapped on the home router (UPnP IGD through
 * libminiupnpc, else NAT-PMP through libnatpmp), so that peers outside
 * can connect in: TCP for the wire, UDP for the DHT.
 *
 * Threads: the schedule (portmap_fsm.c) and a 1 s timer live on the net
 * thread; every blocking call (SSDP discovery, SOAP, NAT-PMP's retries)
 * runs on one worker thread of ours, which takes one job at a time under
 * `lock` and posts each result back to the loop (sp_session_post). The
 * worker alone knows what it mapped, so it alone deletes it: at stop it
 * is told to quit, deletes the mapping (bounded by the libraries'
 * timeouts and NATPMP_WAIT_MS), and is joined. `status` (under `lock`)
 * is what any thread may read (sp_session_get_reachability).
 *
 * Off unless cfg.port_mapping; SWARMPLAY_PORT_MAPPING=off (the tests'
 * environment) turns it off in the app, since discovery multicasts on
 * the local network. SWARMPLAY_PORT_MAPPING_RETRY=S (seconds, 1..900)
 * makes every retry after a failure come S seconds later instead of a
 * minute doubling up to 15: the router test brings a gateway back and
 * waits for the mapping, not for minutes. */
#include "net/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/clock.h"
#include "core/log.h"
#include "net/portmap_fsm.h"

#if SP_HAVE_MINIUPNPC
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#endif
#if SP_HAVE_NATPMP
#include <natpmp.h>
#endif

#define MOD "portmap"
#define DISCOVER_MS 2000
#define NATPMP_WAIT_MS 3000

struct sp_portmap {
	struct sp_session *s;
	struct sp_pm_fsm fsm; /* net thread */
	struct event *timer;  /* net thread */
	uint16_t port;
	pthread_t worker;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum sp_pm_action job;          /* under lock */
	bool quit;                      /* under lock */
	struct sp_reachability status;  /* under lock */
	/* the worker's own */
	enum sp_pm_method mapped_with;
#if SP_HAVE_MINIUPNPC
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lanaddr[64];
	bool have_igd;
#endif
};

struct pm_result_job {
	struct sp_portmap *pm;
	struct sp_pm_result r;
};

/* ---- the worker ---- */

#if SP_HAVE_MINIUPNPC
static void upnp_forget(struct sp_portmap *pm)
{
	if (pm->have_igd)
		FreeUPNPUrls(&pm->urls);
	pm->have_igd = false;
}

static bool upnp_find(struct sp_portmap *pm)
{
	if (pm->have_igd)
		return true;
	int err = 0;
	struct UPNPDev *devs = upnpDiscover(DISCOVER_MS, NULL, NULL, 0, 0, 2, &err);
	if (!devs)
		return false;
	int st = UPNP_GetValidIGD(devs, &pm->urls, &pm->data, pm->lanaddr, sizeof(pm->lanaddr));
	freeUPNPDevlist(devs);
	if (st == 1) {
		pm->have_igd = true;
		return true;
	}
	if (st)
		FreeUPNPUrls(&pm->urls);
	return false;
}

static int upnp_add(struct sp_portmap *pm, const char *proto, uint32_t *lease)
{
	char port[8], ls[16];
	snprintf(port, sizeof(port), "%u", pm->port);
	snprintf(ls, sizeof(ls), "%u", (unsigned)*lease);
	int r = UPNP_AddPortMapping(pm->urls.controlURL, pm->data.first.servicetype, port, port,
				    pm->lanaddr, "swarmplay", proto, NULL, ls);
	if (r == 725) { /* OnlyPermanentLeasesSupported */
		*lease = 0;
		r = UPNP_AddPortMapping(pm->urls.controlURL, pm->data.first.servicetype, port, port,
					pm->lanaddr, "swarmplay", proto, NULL, "0");
	}
	return r;
}

static bool upnp_map(struct sp_portmap *pm, struct sp_pm_result *r)
{
	if (!upnp_find(pm))
		return false;
	uint32_t lease = SP_PM_LEASE_S;
	int e = upnp_add(pm, "TCP", &lease);
	if (e) {
		snprintf(r->why, sizeof(r->why), "the router refused (UPnP: %s)", strupnperror(e));
		upnp_forget(pm); /* ask afresh next time: it may have rebooted */
		return false;
	}
	if (upnp_add(pm, "UDP", &lease))
		SP_INFO(MOD, "the router mapped TCP but not UDP: the DHT stays unreachable");
	r->ok = true;
	r->method = SP_PM_UPNP;
	r->ext_port = pm->port;
	r->lease_s = lease;
	if (UPNP_GetExternalIPAddress(pm->urls.controlURL, pm->data.first.servicetype,
				      r->ext_addr) != 0)
		r->ext_addr[0] = 0;
	return true;
}

static void upnp_unmap(struct sp_portmap *pm)
{
	char port[8];
	snprintf(port, sizeof(port), "%u", pm->port);
	UPNP_DeletePortMapping(pm->urls.controlURL, pm->data.first.servicetype, port, "TCP", NULL);
	UPNP_DeletePortMapping(pm->urls.controlURL, pm->data.first.servicetype, port, "UDP", NULL);
}
#endif

#if SP_HAVE_NATPMP
/* One request and its answer within NATPMP_WAIT_MS (libnatpmp alone
 * would retry for a minute). 0 or -1. */
static int natpmp_ask(natpmp_t *n, natpmpresp_t *resp)
{
	int64_t end = sp_now_us() + NATPMP_WAIT_MS * 1000LL;
	for (;;) {
		struct timeval tv;
		if (getnatpmprequesttimeout(n, &tv) < 0)
			return -1;
		int64_t left = (end - sp_now_us()) / 1000;
		int wait = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
		if (left <= 0)
			return -1;
		struct pollfd p = {.fd = n->s, .events = POLLIN};
		poll(&p, 1, wait < left ? wait : (int)left);
		int r = readnatpmpresponseorretry(n, resp);
		if (r == 0)
			return 0;
		if (r != NATPMP_TRYAGAIN)
			return -1;
	}
}

static int natpmp_map_proto(natpmp_t *n, int proto, uint16_t port, uint32_t lease,
			    natpmpresp_t *resp)
{
	if (sendnewportmappingrequest(n, proto, port, port, lease) < 0)
		return -1;
	return natpmp_ask(n, resp);
}

static bool natpmp_map(struct sp_portmap *pm, struct sp_pm_result *r)
{
	natpmp_t n;
	natpmpresp_t resp;
	if (initnatpmp(&n, 0, 0) < 0)
		return false;
	bool ok = false;
	if (sendpublicaddressrequest(&n) >= 0 && natpmp_ask(&n, &resp) == 0 &&
	    resp.type == NATPMP_RESPTYPE_PUBLICADDRESS)
		inet_ntop(AF_INET, &resp.pnu.publicaddress.addr, r->ext_addr, sizeof(r->ext_addr));
	if (natpmp_map_proto(&n, NATPMP_PROTOCOL_TCP, pm->port, SP_PM_LEASE_S, &resp) == 0) {
		ok = true;
		r->ok = true;
		r->method = SP_PM_NATPMP;
		r->ext_port = resp.pnu.newportmapping.mappedpublicport;
		r->lease_s = resp.pnu.newportmapping.lifetime;
		natpmp_map_proto(&n, NATPMP_PROTOCOL_UDP, pm->port, SP_PM_LEASE_S, &resp);
	}
	closenatpmp(&n);
	return ok;
}

static void natpmp_unmap(struct sp_portmap *pm)
{
	natpmp_t n;
	natpmpresp_t resp;
	if (initnatpmp(&n, 0, 0) < 0)
		return;
	natpmp_map_proto(&n, NATPMP_PROTOCOL_TCP, pm->port, 0, &resp); /* lifetime 0: delete */
	natpmp_map_proto(&n, NATPMP_PROTOCOL_UDP, pm->port, 0, &resp);
	closenatpmp(&n);
}
#endif

static void do_map(struct sp_portmap *pm, struct sp_pm_result *r)
{
	memset(r, 0, sizeof(*r));
	bool ok = false;
#if SP_HAVE_MINIUPNPC
	ok = upnp_map(pm, r);
#endif
#if SP_HAVE_NATPMP
	if (!ok) {
		char why[sizeof(r->why)];
		memcpy(why, r->why, sizeof(why));
		ok = natpmp_map(pm, r);
		if (!ok)
			memcpy(r->why, why, sizeof(why));
	}
#endif
	pm->mapped_with = ok ? r->method : SP_PM_NONE;
}

static void do_unmap(struct sp_portmap *pm)
{
#if SP_HAVE_MINIUPNPC
	if (pm->mapped_with == SP_PM_UPNP && pm->have_igd)
		upnp_unmap(pm);
#endif
#if SP_HAVE_NATPMP
	if (pm->mapped_with == SP_PM_NATPMP)
		natpmp_unmap(pm);
#endif
	if (pm->mapped_with != SP_PM_NONE)
		SP_INFO(MOD, "port %u: mapping deleted", pm->port);
	pm->mapped_with = SP_PM_NONE;
}

static void result_on_loop(void *arg);

static void *worker_main(void *arg)
{
	struct sp_portmap *pm = arg;
	pthread_mutex_lock(&pm->lock);
	for (;;) {
		while (!pm->quit && pm->job == SP_PM_ACT_NONE)
			pthread_cond_wait(&pm->cond, &pm->lock);
		if (pm->quit)
			break;
		pm->job = SP_PM_ACT_NONE;
		pthread_mutex_unlock(&pm->lock);
		struct pm_result_job *j = calloc(1, sizeof(*j));
		struct sp_pm_result r;
		do_map(pm, &r);
		if (j) {
			j->pm = pm;
			j->r = r;
			if (sp_session_post(pm->s, result_on_loop, j) < 0)
				free(j);
		}
		pthread_mutex_lock(&pm->lock);
	}
	pthread_mutex_unlock(&pm->lock);
	do_unmap(pm);
#if SP_HAVE_MINIUPNPC
	upnp_forget(pm);
#endif
	return NULL;
}

/* ---- the net thread ---- */

static void publish(struct sp_portmap *pm)
{
	struct sp_reachability st = {.mapping_on = true};
	int64_t now = sp_now_us();
	st.reachable = sp_pm_fsm_reachable(&pm->fsm, now);
	st.checking = !st.reachable && pm->fsm.attempts <= 1 &&
		      (pm->fsm.state == SP_PM_START || pm->fsm.state == SP_PM_ASKING);
	if (st.reachable) {
		snprintf(st.address, sizeof(st.address), "%s", pm->fsm.last.ext_addr);
		st.port = pm->fsm.last.ext_port;
		snprintf(st.method, sizeof(st.method), "%s", sp_pm_method_name(pm->fsm.last.method));
	} else {
		snprintf(st.why, sizeof(st.why), "%s",
			 pm->fsm.why[0] ? pm->fsm.why : "no gateway answered");
	}
	pthread_mutex_lock(&pm->lock);
	pm->status = st;
	pthread_mutex_unlock(&pm->lock);
}

static void result_on_loop(void *arg)
{
	struct pm_result_job *j = arg;
	struct sp_portmap *pm = j->pm;
	if (!pm->s->stopping) {
		sp_pm_fsm_result(&pm->fsm, sp_now_us(), &j->r);
		char line[160];
		sp_pm_fsm_describe(&pm->fsm, sp_now_us(), line, sizeof(line));
		SP_INFO(MOD, "port %u: %s", pm->port, line);
		publish(pm);
		/* the router's external address: a vote for ours (BEP 42 id) */
		uint8_t ip[16];
		if (j->r.ok && inet_pton(AF_INET, j->r.ext_addr, ip) == 1)
			sp_dht_vote_extip(pm->s, SP_EXTIP_ROUTER, ip, 4, NULL);
		else if (j->r.ok && inet_pton(AF_INET6, j->r.ext_addr, ip) == 1)
			sp_dht_vote_extip(pm->s, SP_EXTIP_ROUTER, ip, 16, NULL);
	}
	free(j);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sp_portmap *pm = arg;
	if (sp_pm_fsm_tick(&pm->fsm, sp_now_us()) != SP_PM_ACT_MAP)
		return;
	pthread_mutex_lock(&pm->lock);
	pm->job = SP_PM_ACT_MAP;
	pthread_cond_signal(&pm->cond);
	pthread_mutex_unlock(&pm->lock);
	publish(pm);
}

int sp_portmap_start(struct sp_session *s)
{
#if !SP_HAVE_MINIUPNPC && !SP_HAVE_NATPMP
	return -ENOTSUP;
#else
	struct sp_portmap *pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pm->s = s;
	pm->port = s->port;
	sp_pm_fsm_init(&pm->fsm);
	const char *retry = getenv("SWARMPLAY_PORT_MAPPING_RETRY");
	long rs = retry ? strtol(retry, NULL, 10) : 0;
	if (rs >= 1 && rs <= SP_PM_RETRY_MAX_S)
		sp_pm_fsm_set_retry(&pm->fsm, rs, rs);
	pm->status.mapping_on = pm->status.checking = true;
	pthread_mutex_init(&pm->lock, NULL);
	pthread_cond_init(&pm->cond, NULL);
	pm->timer = event_new(s->base, -1, EV_PERSIST, on_tick, pm);
	static const struct timeval sec = {1, 0};
	if (!pm->timer || pthread_create(&pm->worker, NULL, worker_main, pm)) {
		if (pm->timer)
			event_free(pm->timer);
		pthread_cond_destroy(&pm->cond);
		pthread_mutex_destroy(&pm->lock);
		free(pm);
		return -EAGAIN;
	}
	event_add(pm->timer, &sec);
	event_active(pm->timer, EV_TIMEOUT, 0); /* the first attempt at once */
	s->portmap = pm;
	return 0;
#endif
}

void sp_portmap_stop(struct sp_session *s)
{
	struct sp_portmap *pm = s->portmap;
	if (!pm)
		return;
	sp_pm_fsm_stop(&pm->fsm);
	pthread_mutex_lock(&pm->lock);
	pm->quit = true;
	pthread_cond_signal(&pm->cond);
	pthread_mutex_unlock(&pm->lock);
	pthread_join(pm->worker, NULL); /* it deletes what it mapped */
	event_free(pm->timer);
	pthread_cond_destroy(&pm->cond);
	pthread_mutex_destroy(&pm->lock);
	free(pm);
	s->portmap = NULL;
}

void sp_session_get_reachability(struct sp_session *s, struct sp_reachability *r)
{
	memset(r, 0, sizeof(*r));
	struct sp_portmap *pm = s ? s->portmap : NULL;
	if (!pm)
		return;
	pthread_mutex_lock(&pm->lock);
	*r = pm->status;
	pthread_mutex_unlock(&pm->lock);
}
