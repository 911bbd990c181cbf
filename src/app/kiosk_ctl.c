/* kiosk_ctl.c - the kiosk's control socket: a unix socket (0600, in a
 * 0700 folder) on the kiosk's event loop, JSON lines in and out
 * (kiosk_ctl_proto.h), a bufferevent per client.
 *
 * Bounds, so that no client costs the kiosk more than a little: a
 * request line of at most SP_KCTL_LINE_MAX bytes (a longer one is
 * answered with an error and skipped to its newline); at most
 * CLIENTS_MAX clients (the next ones are told so and closed); a client
 * that asks again while OUT_MAX bytes of replies wait unread is dropped
 * (one reply is at most a status, 1 MiB: a client costs at most
 * OUT_MAX + 1 MiB).
 *
 * The socket's file: bound under a temporary name, made 0600, renamed
 * into place (never a moment open to others); a file left by a kiosk
 * that died is replaced, one that a live kiosk answers is not.
 *
 * Threads: new/free on the main thread while the loop is stopped;
 * everything else on the loop thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "app/kiosk.h"
#include "app/kiosk_ctl_proto.h"

#define CLIENTS_MAX 64
#define OUT_MAX (512u << 10)

struct client {
	struct kiosk_ctl *ctl;
	struct bufferevent *bev;
	struct client *prev, *next;
	bool skipping; /* in a line too long: its bytes up to the newline go */
};

struct kiosk_ctl {
	struct kiosk *k;
	struct evconnlistener *lis;
	struct client *clients;
	int nclients;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void client_free(struct client *c)
{
	struct kiosk_ctl *ctl = c->ctl;
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->nclients--;
	bufferevent_free(c->bev);
	free(c);
}

/* The reply to one line, appended to out. */
static void answer(struct kiosk_ctl *ctl, struct evbuffer *out, const char *line, size_t len)
{
	struct sp_kctl_req req;
	char why[256], reply[1024];
	int r = sp_kctl_parse(line, len, &req, why, sizeof(why));
	if (r == 0 && req.cmd == SP_KCTL_STATUS) {
		size_t n;
		char *json = sp_kiosk_status_dup(ctl->k, &n);
		if (json) { /* {"ok": true, "id": ..., "status": {...}} */
			evbuffer_add_printf(out, "{\"ok\": true%s%s, \"status\": ",
					    req.id[0] ? ", \"id\": " : "", req.id);
			evbuffer_add(out, json, n - 1); /* without its newline */
			evbuffer_add(out, "}\n", 2);
			free(json);
			return;
		}
		snprintf(why, sizeof(why), "the status is too large");
		r = -ENOMEM;
	} else if (r == 0) {
		r = sp_kiosk_ctl_apply(ctl->k, &req, why, sizeof(why));
	}
	int n = r < 0 ? sp_kctl_reply_error(reply, sizeof(reply), req.id, why)
		      : sp_kctl_reply_ok(reply, sizeof(reply), req.id,
					 r == 1 ? "\"pending\": true" : NULL);
	if (n > 0)
		evbuffer_add(out, reply, (size_t)n);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev), *out = bufferevent_get_output(bev);
	static char line[SP_KCTL_LINE_MAX + 1]; /* the loop thread's alone */
	for (;;) {
		struct evbuffer_ptr nl = evbuffer_search(in, "\n", 1, NULL);
		size_t have = evbuffer_get_length(in);
		if (nl.pos < 0 && have <= SP_KCTL_LINE_MAX)
			return; /* the rest of the line later */
		if (evbuffer_get_length(out) >= OUT_MAX) {
			client_free(c); /* asks and never reads: dropped */
			return;
		}
		if (nl.pos < 0 || c->skipping || (size_t)nl.pos > SP_KCTL_LINE_MAX) {
			/* too long: one error, then its bytes go up to the newline */
			char reply[256];
			int n =
			    sp_kctl_reply_error(reply, sizeof(reply), NULL, "the line is too long");
			if (!c->skipping && n > 0)
				evbuffer_add(out, reply, (size_t)n);
			c->skipping = nl.pos < 0;
			evbuffer_drain(in, nl.pos < 0 ? have : (size_t)nl.pos + 1);
			continue;
		}
		evbuffer_remove(in, line, (size_t)nl.pos + 1);
		size_t len = (size_t)nl.pos;
		if (len && line[len - 1] == '\r')
			len--;
		if (len)
			answer(c->ctl, out, line, len);
	}
}

/* The client is gone once its last replies are out. */
static void on_drained(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_free(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	/* a client that shut its side after its requests still gets the
	 * replies; an error ends it at once */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev))) {
		bufferevent_disable(bev, EV_READ);
		bufferevent_setcb(bev, NULL, on_drained, on_event, arg);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct kiosk_ctl *ctl = arg;
	(void)lis;
	(void)sa;
	(void)salen;
	struct client *c = ctl->nclients < CLIENTS_MAX ? calloc(1, sizeof(*c)) : NULL;
	struct event_base *base = evconnlistener_get_base(ctl->lis);
	if (c)
		c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c || !c->bev) {
		static const char busy[] = "{\"ok\": false, \"error\": \"too many clients\"}\n";
		if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			(void)0; /* closing anyway */
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->ctl = ctl;
	c->next = ctl->clients;
	if (c->next)
		c->next->prev = c;
	ctl->clients = c;
	ctl->nclients++;
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* A socket file at path: a live kiosk's (connect works) or a dead one's. */
static bool in_use(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live = fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	if (fd >= 0)
		close(fd);
	return live;
}

/* Bound under a temporary name, 0600, renamed onto path: the fd, or
 * -errno. */
static int bind_socket(const char *path, char *why, size_t whylen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX}, tmp = {.sun_family = AF_UNIX};
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >= (int)sizeof(sun.sun_path) ||
	    snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%ld", path, (long)getpid()) >=
		(int)sizeof(tmp.sun_path)) {
		snprintf(why, whylen, "the path is too long for a socket");
		return -ENAMETOOLONG;
	}
	struct stat sb;
	if (lstat(path, &sb) == 0 && (!S_ISSOCK(sb.st_mode) || in_use(&sun))) {
		snprintf(why, whylen,
			 S_ISSOCK(sb.st_mode) ? "another kiosk answers there"
					      : "a file that is not a socket is there");
		return -EADDRINUSE;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	unlink(tmp.sun_path);
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) < 0)
		goto fail;
	if (chmod(tmp.sun_path, 0600) < 0 || rename(tmp.sun_path, path) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		unlink(tmp.sun_path);
		errno = e;
		goto fail;
	}
	return fd;
fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	snprintf(why, whylen, "%s", strerror(e));
	return -e;
}

struct kiosk_ctl *sp_kiosk_ctl_new(struct kiosk *k, struct event_base *base, const char *path,
				   char *why, size_t whylen)
{
	struct kiosk_ctl *ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		return NULL;
	}
	ctl->k = k;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	int fd = bind_socket(path, why, whylen);
	if (fd < 0) {
		free(ctl);
		return NULL;
	}
	ctl->lis = evconnlistener_new(base, on_accept, ctl, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (!ctl->lis) {
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		close(fd);
		unlink(path);
		free(ctl);
		return NULL;
	}
	return ctl;
}

void sp_kiosk_ctl_free(struct kiosk_ctl *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_free(ctl->clients);
	evconnlistener_free(ctl->lis);
	unlink(ctl->path);
	free(ctl);
}

int sp_kiosk_ctl_default_path(char *out, size_t outlen)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	if (!run || run[0] != '/')
		return -ENOENT;
	int n = snprintf(out, outlen, "%s/swarmplay", run);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return -errno;
	n = snprintf(out, outlen, "%s/swarmplay/kiosk.sock", run);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}
