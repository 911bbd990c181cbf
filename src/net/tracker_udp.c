/* tracker_udp.c - BEP 15 UDP trackers on the libevent loop.
 *
 * A job: resolve the host (numeric addresses directly, names through the
 * session's evdns so the loop never blocks), open a non-blocking UDP
 * socket connect()ed to the tracker (the kernel then drops datagrams from
 * anyone else, and an ICMP refusal shows up as ECONNREFUSED), get a
 * connection id unless we hold one younger than 60 s, then announce or
 * scrape. A request unanswered after base x 2^n is sent again with the
 * same transaction id, n up to udp_max_retries (udp_failover_retries
 * while other URLs remain to try), then the tracker failed.
 *
 * The URL's path and query go along as BEP 41 URLData options (private
 * trackers put a passkey there). A datagram of another transaction id
 * is ignored (a late answer, or a forgery from a spoofed address: it
 * must not abort ours); every other packet is checked (length, action)
 * before use, and an answer that does not fit ends the job with a
 * message, and tracker.c moves on and retries later. Net thread only. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/i18n.h"
#include "core/log.h"
#include "net/curlev.h"
#include "net/tracker_int.h"

#define CONN_ID_LIFETIME_US (60 * 1000000LL)

enum { ST_STARTING, ST_RESOLVING, ST_CONNECTING, ST_REQUEST };

int sp_tracker_udp_parse_url(struct turl *u)
{
	const char *h = u->url + 6; /* after udp:// */
	const char *end;
	const char *colon;
	if (*h == '[') {
		end = strchr(h, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		colon = end + 1;
		h++;
	} else {
		colon = strchr(h, ':');
		if (!colon || memchr(h, '/', (size_t)(colon - h)))
			return -EINVAL;
		end = colon;
	}
	size_t hl = (size_t)(end - h);
	size_t pl = strspn(colon + 1, "0123456789");
	if (!hl || hl >= sizeof(u->host) || !pl || pl >= sizeof(u->port))
		return -EINVAL;
	const char *rest = colon + 1 + pl;
	if (*rest && *rest != '/' && *rest != '?')
		return -EINVAL;
	size_t rl = strcspn(rest, "#");
	if (rl >= sizeof(u->path))
		return -EINVAL;
	memcpy(u->path, rest, rl);
	u->path[rl] = 0;
	memcpy(u->host, h, hl);
	u->host[hl] = 0;
	memcpy(u->port, colon + 1, pl);
	u->port[pl] = 0;
	long port = strtol(u->port, NULL, 10);
	return port > 0 && port < 65536 ? 0 : -EINVAL;
}

static void fail(struct tjob *j, int code, const char *msg)
{
	sp_tracker_job_done(j, code, NULL, NULL, msg);
}

static void arm(struct tjob *j)
{
	uint64_t ms = (uint64_t)sp_tracker_get_timing(j->t)->udp_base_ms << (j->n < 20 ? j->n : 20);
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(j->tm, &tv);
}

/* Send the packet of the current state (again, on a retransmission). */
static int send_current(struct tjob *j)
{
	uint8_t pkt[SP_UDP_ANNOUNCE_LEN + SP_UDP_OPTIONS_MAX];
	size_t len;
	if (j->state == ST_CONNECTING) {
		sp_udp_connect_req(pkt, j->txid);
		len = SP_UDP_CONNECT_LEN;
	} else if (j->kind == JOB_ANNOUNCE) {
		sp_udp_announce_req(pkt, j->u->conn_id, j->txid, &j->req);
		len = SP_UDP_ANNOUNCE_LEN;
		len += sp_udp_url_options(pkt + len, SP_UDP_OPTIONS_MAX, j->u->path);
	} else {
		sp_udp_scrape_req(pkt, j->u->conn_id, j->txid, j->req.info_hash);
		len = SP_UDP_SCRAPE_LEN;
	}
	if (send(j->fd, pkt, len, 0) < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -errno;
	arm(j);
	return 0;
}

static void next_state(struct tjob *j)
{
	bool fresh = j->u->conn_time_us &&
		     sp_now_us() - j->u->conn_time_us < CONN_ID_LIFETIME_US;
	j->state = fresh ? ST_REQUEST : ST_CONNECTING;
	j->txid = sp_tracker_random32();
}

static void udp_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tjob *j = arg;
	if (j->state == ST_RESOLVING) {
		fail(j, -ETIMEDOUT, _("cannot resolve the tracker's host name"));
		return;
	}
	if (++j->n > j->max_retries) {
		fail(j, -ETIMEDOUT, _("UDP tracker did not answer"));
		return;
	}
	SP_DEBUG("tracker", "%s: retransmission %u", j->u->url, j->n);
	if (j->state == ST_REQUEST &&
	    sp_now_us() - j->u->conn_time_us >= CONN_ID_LIFETIME_US)
		next_state(j); /* the connection id expired meanwhile */
	int r = send_current(j);
	if (r < 0)
		fail(j, r, _("UDP tracker unreachable"));
}

/* One datagram; returns true when the job ended (j is freed). */
static bool handle_packet(struct tjob *j, const uint8_t *pkt, size_t len)
{
	enum sp_udp_action want = j->state == ST_CONNECTING ? SP_UDP_CONNECT
				  : j->kind == JOB_ANNOUNCE ? SP_UDP_ANNOUNCE
							    : SP_UDP_SCRAPE;
	/* Another transaction's datagram (a late answer to a retransmission
	 * of before, or a forgery) is dropped: it says nothing about ours. */
	if (len >= 8 && ((uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 |
			 (uint32_t)pkt[6] << 8 | pkt[7]) != j->txid) {
		SP_DEBUG("tracker", "%s: a datagram of another transaction ignored", j->u->url);
		return false;
	}
	struct sp_udp_resp resp;
	struct sp_error *err = NULL;
	int r = sp_udp_parse(pkt, len, j->txid, want, j->u->addr.ss_family == AF_INET6, &resp,
			     &err);
	if (r < 0) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", sp_error_msg(err));
		sp_error_free(err);
		fail(j, r, msg);
		return true;
	}
	if (resp.action == SP_UDP_CONNECT) {
		j->u->conn_id = resp.conn_id;
		j->u->conn_time_us = sp_now_us();
		j->state = ST_REQUEST;
		j->txid = sp_tracker_random32();
		sp_udp_resp_fini(&resp);
		r = send_current(j);
		if (r < 0)
			fail(j, r, _("UDP tracker unreachable"));
		return r < 0;
	}
	if (resp.action == SP_UDP_ERROR && j->kind == JOB_SCRAPE) {
		char msg[SP_TRACKER_MAX_MSG + 64];
		snprintf(msg, sizeof(msg), _("tracker refused: %s"), resp.announce.failure);
		fail(j, -EPROTO, msg);
	} else {
		sp_tracker_job_done(j, 0, &resp.announce, &resp.scrape, NULL);
	}
	sp_udp_resp_fini(&resp);
	return true;
}

static void udp_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct tjob *j = arg;
	uint8_t buf[16384];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			fail(j, -errno,
			     errno == ECONNREFUSED ? _("UDP tracker refused the connection")
						   : _("UDP tracker unreachable"));
			return;
		}
		if ((size_t)n > sizeof(buf)) {
			fail(j, -EOVERFLOW, _("tracker answer too large"));
			return;
		}
		if (handle_packet(j, buf, (size_t)n))
			return;
	}
}

static int open_socket(struct tjob *j)
{
	struct turl *u = j->u;
	j->fd = socket(u->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (j->fd < 0)
		return -errno;
	if (connect(j->fd, (struct sockaddr *)&u->addr, u->addr_len) < 0)
		return -errno;
	struct event_base *base = sp_tracker_base(j->t);
	j->rd = event_new(base, j->fd, EV_READ | EV_PERSIST, udp_on_read, j);
	if (!j->tm)
		j->tm = evtimer_new(base, udp_on_timer, j);
	if (!j->rd || !j->tm || event_add(j->rd, NULL) < 0)
		return -ENOMEM;
	next_state(j);
	return send_current(j);
}

static void udp_on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	if (result == EVUTIL_EAI_CANCEL)
		return; /* the job is being freed */
	struct tjob *j = arg;
	j->dns = NULL;
	/* IPv4 first when a name has both: more trackers listen there */
	struct evutil_addrinfo *pick = res;
	for (struct evutil_addrinfo *a = res; a; a = a->ai_next)
		if (a->ai_family == AF_INET) {
			pick = a;
			break;
		}
	if (result == 0 && pick && pick->ai_addrlen <= sizeof(j->u->addr)) {
		memcpy(&j->u->addr, pick->ai_addr, pick->ai_addrlen);
		j->u->addr_len = (socklen_t)pick->ai_addrlen;
	}
	if (res)
		evutil_freeaddrinfo(res);
	if (j->state == ST_STARTING)
		return; /* answered synchronously: start goes on */
	int r = j->u->addr_len ? open_socket(j) : -EHOSTUNREACH;
	if (r < 0)
		fail(j, r, j->u->addr_len ? _("UDP tracker unreachable")
					  : _("cannot resolve the tracker's host name"));
}

static int resolve(struct tjob *j)
{
	struct turl *u = j->u;
	struct evutil_addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
					.ai_protocol = IPPROTO_UDP,
					.ai_flags = EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV};
	struct evutil_addrinfo *res = NULL;
	if (evutil_getaddrinfo(u->host, u->port, &hints, &res) == 0 && res) {
		/* a numeric address: no lookup, nothing blocks */
		udp_on_resolved(0, res, j);
		return 0;
	}
	struct evdns_base *dns = sp_curlev_dns(sp_tracker_curl(j->t));
	if (!dns)
		return -EHOSTUNREACH;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV | EVUTIL_AI_ADDRCONFIG;
	j->dns = evdns_getaddrinfo(dns, u->host, u->port, &hints, udp_on_resolved, j);
	return 0;
}

int sp_tracker_udp_start(struct tjob *j)
{
	j->state = ST_STARTING;
	if (!j->u->addr_len) {
		int r = resolve(j);
		if (r < 0)
			return r;
		if (j->dns) {
			/* evdns may retry an unreachable name server for long:
			 * a lookup gets one base timeout, like a request */
			j->state = ST_RESOLVING;
			j->tm = evtimer_new(sp_tracker_base(j->t), udp_on_timer, j);
			if (!j->tm)
				return -ENOMEM;
			arm(j);
			return 0;
		}
		if (!j->u->addr_len)
			return -EHOSTUNREACH;
	}
	return open_socket(j);
}

void sp_tracker_udp_cleanup(struct tjob *j)
{
	if (j->dns) {
		evdns_getaddrinfo_cancel(j->dns);
		j->dns = NULL;
	}
	if (j->rd)
		event_free(j->rd);
	if (j->tm)
		event_free(j->tm);
	j->rd = j->tm = NULL;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	/* A failed tracker may have moved: look its name up again next time. */
	if (j->u->kind == TURL_UDP && j->state != ST_REQUEST)
		j->u->addr_len = 0;
}

void sp_tracker_udp_fire(struct sp_tracker *t, struct turl *u, const struct sp_announce_req *req)
{
	if (!u->addr_len || !u->conn_time_us ||
	    sp_now_us() - u->conn_time_us >= CONN_ID_LIFETIME_US)
		return; /* best effort: no handshake for a goodbye */
	int fd = socket(u->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	uint8_t pkt[SP_UDP_ANNOUNCE_LEN + SP_UDP_OPTIONS_MAX];
	sp_udp_announce_req(pkt, u->conn_id, sp_tracker_random32(), req);
	size_t len = SP_UDP_ANNOUNCE_LEN;
	len += sp_udp_url_options(pkt + len, SP_UDP_OPTIONS_MAX, u->path);
	if (sendto(fd, pkt, len, 0, (struct sockaddr *)&u->addr, u->addr_len) < 0)
		SP_DEBUG("tracker", "%s: stopped not sent: %s", u->url, strerror(errno));
	close(fd);
}
