/* kiosk_loop.c - the kiosk's event loop: one thread and event_base for
 * the HTTP status page (kiosk_status.c) and the control socket
 * (kiosk_ctl.c), so that both answer while the main thread plays; and
 * the two servers started on it as the options say.
 *
 * Threads: new/start/stop/free on the main thread; the loop thread runs
 * the base until stop activates its stop event (libevent's threading on:
 * event_active from another thread wakes it). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "app/i18n.h"
#include "app/kiosk.h"

struct kiosk_loop {
	struct event_base *base;
	struct event *stop_ev;
	pthread_t thread;
	bool running;
};

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct kiosk_loop *l = arg;
	(void)fd;
	(void)what;
	event_base_loopbreak(l->base);
}

static void *loop_main(void *arg)
{
	struct kiosk_loop *l = arg;
	event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

struct kiosk_loop *sp_kiosk_loop_new(char *why, size_t whylen)
{
	evthread_use_pthreads();
	struct kiosk_loop *l = calloc(1, sizeof(*l));
	if (l)
		l->base = event_base_new();
	if (l && l->base)
		l->stop_ev = event_new(l->base, -1, 0, on_stop, l);
	if (!l || !l->stop_ev) {
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		sp_kiosk_loop_free(l);
		return NULL;
	}
	return l;
}

struct event_base *sp_kiosk_loop_base(struct kiosk_loop *l)
{
	return l->base;
}

int sp_kiosk_loop_start(struct kiosk_loop *l)
{
	if (pthread_create(&l->thread, NULL, loop_main, l) != 0)
		return -EAGAIN;
	l->running = true;
	return 0;
}

void sp_kiosk_loop_stop(struct kiosk_loop *l)
{
	if (!l || !l->running)
		return;
	event_active(l->stop_ev, EV_READ, 0);
	pthread_join(l->thread, NULL);
	l->running = false;
}

void sp_kiosk_loop_free(struct kiosk_loop *l)
{
	if (!l)
		return;
	sp_kiosk_loop_stop(l);
	if (l->stop_ev)
		event_free(l->stop_ev);
	if (l->base)
		event_base_free(l->base);
	free(l);
}

/* The control socket at --control or the default path. 0, or -1 when
 * --control was given and cannot be used (the default's failure is not
 * fatal: the kiosk plays on without one). */
static int start_control(struct kiosk *k, const struct kiosk_opts *o, struct kiosk_servers *sv)
{
	char path[4096], why[256];
	int r = 0;
	if (o->control) {
		snprintf(path, sizeof(path), "%s", o->control);
	} else if ((r = sp_kiosk_ctl_default_path(path, sizeof(path))) < 0) {
		fprintf(stderr, _("swarmplay: no control socket: %s\n"),
			r == -ENOENT ? _("XDG_RUNTIME_DIR is not set (use --control PATH)")
				     : strerror(-r));
		return 0;
	}
	sv->ctl = sp_kiosk_ctl_new(k, sp_kiosk_loop_base(sv->loop), path, why, sizeof(why));
	if (!sv->ctl) {
		fprintf(stderr, _("swarmplay: no control socket at %s: %s\n"), path, why);
		return o->control ? -1 : 0;
	}
	fprintf(stderr, _("swarmplay: control socket %s\n"), path);
	return 0;
}

int sp_kiosk_servers_start(struct kiosk *k, const struct kiosk_opts *o,
			   struct kiosk_servers *sv)
{
	char why[256];
	if (!(sv->loop = sp_kiosk_loop_new(why, sizeof(why)))) {
		fprintf(stderr, "swarmplay: %s\n", why);
		return -1;
	}
	if (start_control(k, o, sv) < 0)
		return -1;
	if (o->http) {
		const char *host = o->http_host ? o->http_host : "127.0.0.1";
		sv->st = sp_kiosk_status_new(k, sp_kiosk_loop_base(sv->loop), host, o->http_port,
					     o->token, why, sizeof(why));
		if (!sv->st) {
			fprintf(stderr, _("swarmplay: cannot listen on %s port %u: %s\n"), host,
				o->http_port, why);
			return -1;
		}
		fprintf(stderr, _("swarmplay: status on http://%s:%u/status\n"), host,
			sp_kiosk_status_port(sv->st));
	}
	return sp_kiosk_loop_start(sv->loop) < 0 ? -1 : 0;
}

void sp_kiosk_servers_stop(struct kiosk_servers *sv)
{
	sp_kiosk_loop_stop(sv->loop); /* then what is on its base */
	sp_kiosk_status_free(sv->st);
	sp_kiosk_ctl_free(sv->ctl);
	sp_kiosk_loop_free(sv->loop);
	*sv = (struct kiosk_servers){0};
}
