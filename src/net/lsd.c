/* lsd.c - BEP 14 local service discovery: announce our torrents to the
 * local network by multicast (239.192.152.143:6771, and over IPv6
 * [ff15::efc0:988f]:6771 in lsd6.c) and learn the peers that announce the
 * same info-hashes. Opt-in (sp_session_config.lsd):
 * kiosks on one LAN find each other without a tracker. Net thread only.
 *
 * Rules: never for a private torrent (BEP 27); each torrent is announced
 * when it starts and every LSD_INTERVAL_US; announces are sent on the
 * default interface and on loopback (so that sessions on one host find
 * each other); our own announces are recognised by their cookie and
 * ignored. A datagram is parsed (lsd_parse.c, pure) with a hard ceiling
 * and never trusted beyond "this address claims this port for this
 * info-hash". SWARMPLAY_LSD=loopback keeps it on 127.0.0.1 (the tests: no
 * multicast leaves the machine; screens of one host still find each
 * other); loopback:PORT also moves it off 6771, so that each test has an
 * LSD of its own (two tests on one machine never see each other's
 * screens). */
#include "net/session.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/sha1.h"
#include "net/lsd_parse.h"

#define MOD "lsd"
#define LSD_GROUP "239.192.152.143"
#define LSD_PORT 6771
#define LSD_INTERVAL_US (300 * 1000000LL)
#define LSD_MAX_DGRAM SP_LSD_MAX_DGRAM

static bool lsd_allowed(const struct sp_torrent *t)
{
	return !t->mi->private_flag && !t->meta_only && t->started && !t->stopping;
}

static bool loopback_only(void)
{
	uint16_t port;
	return sp_lsd_env_parse(getenv("SWARMPLAY_LSD"), &port) != 0;
}

/* 6771, or the test's own port (SWARMPLAY_LSD=loopback:PORT) */
static uint16_t lsd_port(void)
{
	uint16_t port = LSD_PORT;
	sp_lsd_env_parse(getenv("SWARMPLAY_LSD"), &port);
	return port;
}

static void send_one(struct sp_session *s, const char *msg, size_t len, const char *ifaddr)
{
	struct in_addr ifa;
	inet_pton(AF_INET, ifaddr, &ifa);
	setsockopt(s->lsd_fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa));
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(lsd_port())};
	inet_pton(AF_INET, LSD_GROUP, &to.sin_addr);
	if (sendto(s->lsd_fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		SP_DEBUG(MOD, "announce via %s: %s", ifaddr, strerror(errno));
}

static int message(char *msg, size_t len, struct sp_session *s, struct sp_torrent *t,
		   const char *host)
{
	int n = snprintf(msg, len,
			 "BT-SEARCH * HTTP/1.1\r\nHost: %s:%d\r\nPort: %u\r\nInfohash: %s\r\n"
			 "cookie: %s\r\n\r\n\r\n",
			 host, lsd_port(), s->port, t->mi->info_hash_hex, s->lsd_cookie);
	return n > 0 && (size_t)n < len ? n : -1;
}

static void announce(struct sp_session *s, struct sp_torrent *t)
{
	char msg[512];
	int n;
	if (s->lsd_ev && (n = message(msg, sizeof(msg), s, t, LSD_GROUP)) > 0) {
		if (!loopback_only())
			send_one(s, msg, (size_t)n, "0.0.0.0");
		send_one(s, msg, (size_t)n, "127.0.0.1");
	}
	if (s->lsd6_ev && (n = message(msg, sizeof(msg), s, t, "[" SP_LSD6_GROUP "]")) > 0)
		sp_lsd6_send(s, msg, (size_t)n);
	t->lsd_sent_us = sp_now_us();
}

void sp_lsd_on_datagram(struct sp_session *s, const char *buf, size_t len,
			const struct sockaddr *from)
{
	struct sp_lsd_msg msg;
	if (sp_lsd_parse(buf, len, &msg) < 0 || !strcmp(msg.cookie, s->lsd_cookie))
		return; /* not an announce, or our own */
	struct sockaddr_storage peer = {0};
	socklen_t pl;
	char a[INET6_ADDRSTRLEN] = "?";
	if (from->sa_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&peer;
		*in = *(const struct sockaddr_in *)from;
		in->sin_port = htons(msg.port);
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		pl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&peer;
		*in6 = *(const struct sockaddr_in6 *)from; /* a link-local one keeps its scope */
		in6->sin6_port = htons(msg.port);
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
		pl = sizeof(*in6);
	}
	bool v6 = from->sa_family == AF_INET6;
	for (int i = 0; i < msg.nhashes; i++) {
		for (struct sp_torrent *t = s->torrents; t; t = t->next) {
			if (!lsd_allowed(t) || strcasecmp(msg.hashes[i], t->mi->info_hash_hex))
				continue;
			SP_DEBUG(MOD, "%s: peer %s%s%s:%u", t->mi->name, v6 ? "[" : "", a,
				 v6 ? "]" : "", msg.port);
			sp_torrent_add_candidate(t, (struct sockaddr *)&peer, pl);
			sp_torrent_connect_candidates(t, sp_now_us());
		}
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct sp_session *s = arg;
	for (int i = 0; i < 32; i++) {
		char buf[LSD_MAX_DGRAM];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, LSD_MAX_DGRAM, 0, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			return;
		if (from.sin_family == AF_INET)
			sp_lsd_on_datagram(s, buf, (size_t)n, (struct sockaddr *)&from);
	}
}

static int start4(struct sp_session *s)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(lsd_port())};
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	int joined = 0;
	static const char *const ifs[] = {"0.0.0.0", "127.0.0.1"};
	for (size_t i = loopback_only() ? 1 : 0; i < 2; i++) {
		struct ip_mreq mr;
		inet_pton(AF_INET, LSD_GROUP, &mr.imr_multiaddr);
		inet_pton(AF_INET, ifs[i], &mr.imr_interface);
		joined += setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) == 0;
	}
	s->lsd_ev = joined ? event_new(s->base, fd, EV_READ | EV_PERSIST, on_readable, s) : NULL;
	if (!s->lsd_ev || event_add(s->lsd_ev, NULL) < 0) {
		if (s->lsd_ev)
			event_free(s->lsd_ev);
		s->lsd_ev = NULL;
		close(fd);
		return -ENODEV;
	}
	s->lsd_fd = fd;
	return 0;
}

int sp_lsd_start(struct sp_session *s)
{
	uint8_t rnd[8];
	char hex[17];
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = s->peer_id[12 + i];
	sp_hex(rnd, sizeof(rnd), hex);
	snprintf(s->lsd_cookie, sizeof(s->lsd_cookie), "%s", hex);
	/* SWARMPLAY_LSD=loopback (the tests): IPv4 on 127.0.0.1 only, and no
	 * IPv6 group, whose multicast does not stay on the loopback here. */
	int r4 = start4(s), r6 = loopback_only() ? -ENODEV : sp_lsd6_start(s);
	if (r6 < 0)
		SP_DEBUG(MOD, "no IPv6 local discovery: %s", strerror(-r6));
	return r4 < 0 && r6 < 0 ? r4 : 0;
}

void sp_lsd_tick(struct sp_torrent *t, int64_t now)
{
	struct sp_session *s = t->s;
	if ((!s->lsd_ev && !s->lsd6_ev) || !lsd_allowed(t))
		return;
	if (!t->lsd_sent_us || now - t->lsd_sent_us >= LSD_INTERVAL_US)
		announce(s, t);
}

void sp_lsd_stop(struct sp_session *s)
{
	sp_lsd6_stop(s);
	if (!s->lsd_ev)
		return;
	event_free(s->lsd_ev);
	s->lsd_ev = NULL;
	close(s->lsd_fd);
	s->lsd_fd = -1;
}
