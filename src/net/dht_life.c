/* dht_life.c - the DHT node's start and stop (its sockets: IPv4, and IPv6
 * on [::] with IPV6_V6ONLY when the session listens on every address,
 * best effort), and its table outliving the process: cfg.dht_state_file
 * (dht.dat, see dht_state.h) is read at start (our id and the IPv4 and
 * IPv6 nodes: the first PING_AT_START of each family get a find_node,
 * and enter the table when they answer; IPv6 ones only with an IPv6
 * socket) and written atomically (temporary file, fsync,
 * rename) by dht.c's timer and at stop, unless the table is empty, so a
 * run without a network never wipes a good file. Net thread only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "net/dht_int.h"
#include "net/dht_state.h"

#define MOD "dht"
#define PING_AT_START 64

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_file(const char *path, const struct sp_buf *b)
{
	char tmp[4200];
	int fd = -1, r = 0;
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp))
		r = -ENAMETOOLONG;
	if (r == 0 &&
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		r = -errno;
	if (r == 0)
		r = write_all(fd, b->data, b->len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -EIO;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0 && fd >= 0)
		unlink(tmp);
	return r;
}

void sp_dht_save(struct sp_dht *d)
{
	if (!d->state_path || !d->table.count)
		return;
	struct sp_dht_saved *saved = calloc(SP_DHT_TABLE_MAX, sizeof(*saved)); /* one each */
	if (!saved)
		return;
	size_t n = 0;
	for (int i = 0; i < d->table.count; i++) {
		const struct sp_dht_node *nd = &d->table.n[i];
		if (nd->fails || (nd->addr.len != 4 && nd->addr.len != 16))
			continue;
		memcpy(saved[n].id, nd->id, 20);
		memcpy(saved[n].addr, nd->addr.ip, nd->addr.len);
		saved[n].len = nd->addr.len;
		saved[n++].port = nd->addr.port;
	}
	struct sp_buf b;
	sp_buf_init(&b, SP_DHT_STATE_MAX_FILE);
	int r = sp_dht_state_build(&b, d->id, saved, n);
	if (r == 0)
		r = write_file(d->state_path, &b);
	if (r < 0)
		SP_WARN(MOD, "cannot save the routing table to %s: %s", d->state_path,
			strerror(-r));
	else
		SP_DEBUG(MOD, "saved %zu nodes to %s", n, d->state_path);
	sp_buf_fini(&b);
	free(saved);
}

/* Our id and the nodes of the saved table; a bad file is reported and
 * ignored (it is rewritten at the next save). */
void sp_dht_load(struct sp_dht *d)
{
	int fd = d->state_path ? open(d->state_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	if (fd < 0)
		return;
	const size_t cap = SP_DHT_STATE_MAX_FILE + 1; /* one more: too long is seen */
	uint8_t *buf = malloc(cap);
	struct sp_dht_saved *saved = calloc(SP_DHT_TABLE_MAX, sizeof(*saved));
	size_t len = 0, n = 0;
	ssize_t r;
	while (buf && saved && len < cap && (r = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)r;
	close(fd);
	uint8_t id[20];
	bool have_id = false;
	int pr = buf && saved
		     ? sp_dht_state_parse(buf, len, id, &have_id, saved, SP_DHT_TABLE_MAX, &n)
		     : -ENOMEM;
	free(buf);
	if (pr < 0) {
		SP_WARN(MOD, "ignoring the routing table in %s: %s", d->state_path, strerror(-pr));
		free(saved);
		return;
	}
	if (have_id) {
		memcpy(d->id, id, 20);
		sp_dht_table_set_self(&d->table, id);
	}
	/* saved nodes are asked, not trusted: they enter the table when
	 * they answer */
	size_t n6 = 0, asked4 = 0, asked6 = 0;
	for (size_t i = 0; i < n; i++) {
		struct sp_dht_addr a = {.len = saved[i].len, .port = saved[i].port};
		memcpy(a.ip, saved[i].addr, saved[i].len);
		n6 += a.len == 16;
		size_t *asked = a.len == 16 ? &asked6 : &asked4;
		if (*asked >= PING_AT_START)
			continue;
		(*asked)++;
		sp_dht_find_self(d, &a);
	}
	free(saved);
	SP_INFO(MOD, "%zu nodes from %s (%zu IPv6)", n, d->state_path, n6);
}

static int open_socket(int family, const char *bind_addr, uint16_t port)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int one = 1, r = 0;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		if (bind_addr && inet_pton(AF_INET, bind_addr, &in->sin_addr) != 1)
			r = -EINVAL;
		sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr = in6addr_any;
		sl = sizeof(*in6);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
			r = -errno;
	}
	if (r == 0 && bind(fd, (struct sockaddr *)&ss, sl) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static void free_dht(struct sp_dht *d)
{
	if (d->ev4)
		event_free(d->ev4);
	if (d->ev6)
		event_free(d->ev6);
	if (d->fd4 >= 0)
		close(d->fd4);
	if (d->fd6 >= 0)
		close(d->fd6);
	free(d->state_path);
	free(d);
}

static int start_events(struct sp_session *s, struct sp_dht *d)
{
	if (d->fd4 >= 0 &&
	    (!(d->ev4 = event_new(s->base, d->fd4, EV_READ | EV_PERSIST, sp_dht_on_readable, d)) ||
	     event_add(d->ev4, NULL) < 0))
		return -ENOMEM;
	if (d->fd6 >= 0 &&
	    (!(d->ev6 = event_new(s->base, d->fd6, EV_READ | EV_PERSIST, sp_dht_on_readable, d)) ||
	     event_add(d->ev6, NULL) < 0))
		return -ENOMEM;
	s->dht_timer = event_new(s->base, -1, EV_PERSIST, sp_dht_on_timer, d);
	static const struct timeval half = {0, 500000};
	if (!s->dht_timer || event_add(s->dht_timer, &half) < 0)
		return -ENOMEM;
	return 0;
}

int sp_dht_start(struct sp_session *s, const char *bind_addr)
{
	struct sp_dht *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->s = s;
	d->fd4 = d->fd6 = -1;
	uint8_t secret[SP_DHT_SECRET_LEN];
	uint16_t tid0;
	if (getrandom(d->id, sizeof(d->id), 0) != (ssize_t)sizeof(d->id) ||
	    getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret) ||
	    getrandom(&tid0, sizeof(tid0), 0) != (ssize_t)sizeof(tid0)) {
		free(d);
		return -EIO;
	}
	int64_t now = sp_now_us();
	sp_dht_tokens_init(&d->tokens, secret, now);
	sp_dht_rl_init(&d->rl, now);
	sp_dht_table_init(&d->table, d->id);
	d->pend.next = tid0;
	d->ping_budget = SP_DHT_PING_BUDGET;
	d->fd4 = open_socket(AF_INET, bind_addr, s->port);
	if (d->fd4 < 0) {
		int e = d->fd4;
		d->fd4 = -1;
		free_dht(d);
		return e;
	}
	if (!bind_addr) {
		d->fd6 = open_socket(AF_INET6, NULL, s->port);
		if (d->fd6 < 0) {
			SP_DEBUG(MOD, "no IPv6 DHT: %s", strerror(-d->fd6));
			d->fd6 = -1;
		}
	}
	if (s->cfg.dht_state_file && !(d->state_path = strdup(s->cfg.dht_state_file))) {
		free_dht(d);
		return -ENOMEM;
	}
	d->saved_us = d->boot_period_us = now;
	int r = start_events(s, d);
	if (r < 0) {
		if (s->dht_timer)
			event_free(s->dht_timer);
		s->dht_timer = NULL;
		free_dht(d);
		return r;
	}
	sp_dht_load(d);
	s->dht = d;
	sp_dht_fit_id(d);
	return 0;
}

void sp_dht_stop(struct sp_session *s)
{
	struct sp_dht *d = s->dht;
	if (!d)
		return;
	sp_dht_save(d);
	if (s->dht_timer)
		event_free(s->dht_timer);
	s->dht_timer = NULL;
	free_dht(d);
	s->dht = NULL;
}
