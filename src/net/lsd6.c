/* lsd6.c - BEP 14 local service discovery over IPv6: the group
 * [ff15::efc0:988f]:6771 joined on every interface that is up, has
 * multicast and an IPv6 address (at most SP_LSD6_MAX_IFS), announces sent
 * on each of them, datagrams read into lsd.c's parser (same rules: our
 * own cookie ignored, a ceiling on the datagram, a source address
 * trusted for nothing but "this peer claims this port"). A host without
 * IPv6 or multicast simply has none of it. Net thread only. */
#include "net/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"

#define MOD "lsd"
#define LSD_PORT 6771
#define LSD_MAX_DGRAM 1400

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct sp_session *s = arg;
	for (int i = 0; i < 32; i++) {
		char buf[LSD_MAX_DGRAM + 1];
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, LSD_MAX_DGRAM, 0, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			return;
		if (from.sin6_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&from.sin6_addr))
			sp_lsd_on_datagram(s, buf, (size_t)n, (struct sockaddr *)&from);
	}
}

static bool have_if(const struct sp_session *s, unsigned idx)
{
	for (int i = 0; i < s->lsd6_nif; i++)
		if (s->lsd6_if[i] == idx)
			return true;
	return false;
}

/* Join the group on each interface up with multicast and IPv6. */
static void join_all(struct sp_session *s, int fd)
{
	struct ifaddrs *ifs = NULL;
	if (getifaddrs(&ifs) < 0)
		return;
	for (struct ifaddrs *i = ifs; i && s->lsd6_nif < SP_LSD6_MAX_IFS; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 ||
		    (i->ifa_flags & (IFF_UP | IFF_MULTICAST)) != (IFF_UP | IFF_MULTICAST))
			continue;
		unsigned idx = if_nametoindex(i->ifa_name);
		if (!idx || have_if(s, idx))
			continue;
		struct ipv6_mreq mr = {.ipv6mr_interface = idx};
		inet_pton(AF_INET6, SP_LSD6_GROUP, &mr.ipv6mr_multiaddr);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) == 0)
			s->lsd6_if[s->lsd6_nif++] = idx;
		else
			SP_DEBUG(MOD, "IPv6 group on %s: %s", i->ifa_name, strerror(errno));
	}
	freeifaddrs(ifs);
}

int sp_lsd6_start(struct sp_session *s)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof(one));
	struct sockaddr_in6 sin6 = {
	    .sin6_family = AF_INET6, .sin6_port = htons(LSD_PORT), .sin6_addr = IN6ADDR_ANY_INIT};
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	s->lsd6_nif = 0;
	join_all(s, fd);
	s->lsd6_ev =
	    s->lsd6_nif ? event_new(s->base, fd, EV_READ | EV_PERSIST, on_readable, s) : NULL;
	if (!s->lsd6_ev || event_add(s->lsd6_ev, NULL) < 0) {
		if (s->lsd6_ev)
			event_free(s->lsd6_ev);
		s->lsd6_ev = NULL;
		close(fd);
		return -ENODEV;
	}
	s->lsd6_fd = fd;
	SP_DEBUG(MOD, "IPv6 group joined on %d interfaces", s->lsd6_nif);
	return 0;
}

void sp_lsd6_send(struct sp_session *s, const char *msg, size_t len)
{
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(LSD_PORT)};
	inet_pton(AF_INET6, SP_LSD6_GROUP, &to.sin6_addr);
	for (int i = 0; i < s->lsd6_nif; i++) {
		unsigned idx = s->lsd6_if[i];
		setsockopt(s->lsd6_fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof(idx));
		if (sendto(s->lsd6_fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			SP_DEBUG(MOD, "IPv6 announce on interface %u: %s", idx, strerror(errno));
	}
}

void sp_lsd6_stop(struct sp_session *s)
{
	if (!s->lsd6_ev)
		return;
	event_free(s->lsd6_ev);
	s->lsd6_ev = NULL;
	close(s->lsd6_fd);
	s->lsd6_fd = -1;
	s->lsd6_nif = 0;
}
