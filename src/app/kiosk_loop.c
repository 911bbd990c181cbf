/* kiosk_loop.c - the kiosk's event loop: one thread and event_base for
 * the HTTP status page (kiosk_status.c) and the control socket
 * (kiosk_ctl.c), so that both answer while the main thread plays.
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
