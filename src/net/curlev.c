/* curlev.c - libcurl's multi interface driven by a libevent loop.
 *
 * The pattern of curl's hiperfifo example: curl tells us which sockets to
 * watch (socket callback) and when to wake it (timer callback); libevent
 * events call curl_multi_socket_action() back. No thread polls, and name
 * lookups run in curl's own resolver (threaded in Debian's build), so the
 * loop never blocks.
 *
 * Invariants: every running transfer has one record in `xfers`; a record
 * leaves the list before its done callback runs, so the callback may add
 * or remove other transfers (never free the sp_curlev itself). A socket's
 * event lives in a struct sock assigned to curl with curl_multi_assign().
 *
 * Thread: the net thread (the thread running the event_base) only. */
#include "net/curlev.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>

#include "core/log.h"

struct xfer {
	struct xfer *next;
	CURL *easy;
	sp_curlev_done_fn done;
	void *ctx;
};

struct sock {
	struct event *ev;
	curl_socket_t fd;
	int what;
};

struct sp_curlev {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct xfer *xfers;
	struct evdns_base *dns;
	bool dns_failed;
	char *ca_file; /* SWARMPLAY_CA_FILE, or NULL for the system's */
	int running;
};

static void check_done(struct sp_curlev *c)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode res = msg->data.result;
		struct xfer **pp = &c->xfers;
		while (*pp && (*pp)->easy != easy)
			pp = &(*pp)->next;
		struct xfer *x = *pp;
		curl_multi_remove_handle(c->multi, easy);
		if (!x)
			continue; /* removed by its owner meanwhile */
		*pp = x->next;
		sp_curlev_done_fn done = x->done;
		void *ctx = x->ctx;
		free(x);
		if (done)
			done(ctx, easy, res);
		else
			curl_easy_cleanup(easy); /* detached: ours to clean */
	}
}

static void curlev_on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct sp_curlev *c = arg;
	int flags = 0;
	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, fd, flags, &c->running);
	/* No evtimer_del when nothing runs: a done callback may just have
	 * added a transfer, whose kick-off timer must stay armed. */
	check_done(c);
}

static void curlev_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sp_curlev *c = arg;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &c->running);
	check_done(c);
}

/* CURLMOPT_TIMERFUNCTION: -1 deletes the timer; 0 means "as soon as
 * possible", which we honour from the loop rather than recursing into
 * curl from inside its own callback. */
static int curlev_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct sp_curlev *c = userp;
	if (timeout_ms < 0) {
		evtimer_del(c->timer);
		return 0;
	}
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	evtimer_add(c->timer, &tv);
	return 0;
}

static void sock_free(struct sock *s)
{
	if (!s)
		return;
	if (s->ev)
		event_free(s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: keep one persistent event per socket matching
 * what curl waits for. */
static int curlev_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct sp_curlev *c = userp;
	struct sock *s = sockp;
	if (what == CURL_POLL_REMOVE) {
		sock_free(s);
		curl_multi_assign(c->multi, fd, NULL);
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->fd = fd;
		curl_multi_assign(c->multi, fd, s);
	}
	short kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (s->ev && s->what == what)
		return 0;
	if (s->ev)
		event_free(s->ev);
	s->what = what;
	s->ev = event_new(c->base, fd, kind, curlev_on_socket, c);
	if (!s->ev || event_add(s->ev, NULL) < 0) {
		SP_WARN("curlev", "cannot watch socket %d", (int)fd);
		return -1;
	}
	return 0;
}

struct sp_curlev *sp_curlev_new(struct event_base *base)
{
	/* Thread-safe and counted since curl 7.84 (Debian 12 has 7.88):
	 * each sp_curlev holds one reference, dropped in sp_curlev_free. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	if (!(v->features & CURL_VERSION_ASYNCHDNS))
		SP_WARN("curlev", "libcurl %s resolves names synchronously: the loop may stall",
			v->version);
	struct sp_curlev *c = calloc(1, sizeof(*c));
	if (!c) {
		curl_global_cleanup();
		return NULL;
	}
	c->base = base;
	c->multi = curl_multi_init();
	c->timer = evtimer_new(base, curlev_on_timer, c);
	if (!c->multi || !c->timer) {
		sp_curlev_free(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, curlev_socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, curlev_timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	/* Web seeds on one host share connections; a few per host keeps a
	 * slow server from being flooded by our range requests. */
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 4L);
	const char *ca = getenv("SWARMPLAY_CA_FILE");
	if (ca && *ca && !(c->ca_file = strdup(ca))) {
		sp_curlev_free(c);
		return NULL;
	}
	return c;
}

void sp_curlev_free(struct sp_curlev *c)
{
	if (!c)
		return;
	while (c->xfers) {
		struct xfer *x = c->xfers;
		c->xfers = x->next;
		curl_multi_remove_handle(c->multi, x->easy);
		curl_easy_cleanup(x->easy);
		free(x);
	}
	/* Cleaning up the multi closes its sockets through the socket
	 * callback, which frees our struct sock records. */
	if (c->multi)
		curl_multi_cleanup(c->multi);
	if (c->timer)
		event_free(c->timer);
	if (c->dns)
		evdns_base_free(c->dns, 0);
	free(c->ca_file);
	free(c);
	curl_global_cleanup();
}

int sp_curlev_add(struct sp_curlev *c, CURL *easy, sp_curlev_done_fn done, void *ctx)
{
	if (!c || !easy)
		return -EINVAL;
	struct xfer *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->easy = easy;
	x->done = done;
	x->ctx = ctx;
	if (c->ca_file)
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->ca_file);
	if (curl_multi_add_handle(c->multi, easy) != CURLM_OK) {
		free(x);
		return -EINVAL;
	}
	x->next = c->xfers;
	c->xfers = x;
	return 0;
}

void sp_curlev_remove(struct sp_curlev *c, CURL *easy)
{
	if (!c || !easy)
		return;
	for (struct xfer **pp = &c->xfers; *pp; pp = &(*pp)->next) {
		if ((*pp)->easy == easy) {
			struct xfer *x = *pp;
			*pp = x->next;
			free(x);
			curl_multi_remove_handle(c->multi, easy);
			return;
		}
	}
}

void sp_curlev_detach(struct sp_curlev *c, CURL *easy)
{
	for (struct xfer *x = c ? c->xfers : NULL; x; x = x->next) {
		if (x->easy == easy) {
			x->done = NULL;
			x->ctx = NULL;
		}
	}
}

size_t sp_curlev_count(const struct sp_curlev *c)
{
	size_t n = 0;
	for (const struct xfer *x = c ? c->xfers : NULL; x; x = x->next)
		n++;
	return n;
}

struct event_base *sp_curlev_base(const struct sp_curlev *c)
{
	return c->base;
}

struct evdns_base *sp_curlev_dns(struct sp_curlev *c)
{
	if (c->dns || c->dns_failed)
		return c->dns;
	c->dns = evdns_base_new(c->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
						 EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!c->dns) {
		/* No resolv.conf: numeric hosts and /etc/hosts still work. */
		c->dns = evdns_base_new(c->base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (c->dns)
			evdns_base_load_hosts(c->dns, NULL);
	}
	if (!c->dns)
		c->dns_failed = true;
	return c->dns;
}
