/* peer_slots.c - who gets a torrent's connection slots: at most
 * max_peers_per_ip connections from one address (one /64 for IPv6), and
 * turnover when the torrent is full: a newcomer takes the slot of the
 * peer that has been useless longest, both ways (we want nothing from
 * it, it wants nothing from us), as libtorrent's peer turnover does. So
 * connections that only send keep-alives cannot hold the slots for good.
 * An address turned over stays out for TURNED_OUT_US: else squatters that
 * reconnect at once would take every slot freed before an honest peer
 * (which backs off between tries) could. Net thread only. */
#include "net/peer.h"

#include <netinet/in.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

#define MOD "peer"
/* A peer is never turned over before it had this long to say what it
 * has and wants. */
#define TURNOVER_GRACE_US (10 * 1000000LL)
#define TURNED_OUT_US (120 * 1000000LL)

static int per_ip_limit(const struct sp_session *s)
{
	return s->cfg.max_peers_per_ip > 0 ? s->cfg.max_peers_per_ip : SP_SESSION_DEFAULT_PER_IP;
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6) /* one /64: one host, often */
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 8);
	return false;
}

/* The host part of an address: IPv4, or an IPv6 /64. */
static uint64_t host_key(const struct sockaddr_storage *a)
{
	uint64_t k = 0;
	if (a->ss_family == AF_INET)
		k = ((const struct sockaddr_in *)a)->sin_addr.s_addr;
	else if (a->ss_family == AF_INET6)
		memcpy(&k, &((const struct sockaddr_in6 *)a)->sin6_addr, 8);
	return k;
}

bool sp_slots_turned_out(const struct sp_torrent *t, const struct sockaddr_storage *addr)
{
	uint64_t k = host_key(addr);
	int64_t now = sp_now_us();
	for (unsigned i = 0; i < SP_TURNED_MAX; i++)
		if (t->turned_host[i] == k && t->turned_until_us[i] > now)
			return true;
	return false;
}

bool sp_slots_host_full(const struct sp_torrent *t, const struct sockaddr_storage *addr,
			const struct sp_peer *self)
{
	int n = 0;
	for (const struct sp_peer *q = t->peers; q; q = q->next)
		if (q != self && !q->closing && same_host(&q->addr, addr))
			n++;
	return n >= per_ip_limit(t->s);
}

/* Since when neither side has wanted anything of the other (0: it is
 * useful, or too new to judge). */
static int64_t useless_since(const struct sp_peer *q, int64_t now)
{
	if (!q->handshaked || q->closing || q->t->meta_only || q->am_interested || q->peer_interested ||
	    q->upq_len || q->num_sent || now - q->connected_us < TURNOVER_GRACE_US)
		return 0;
	int64_t since = q->connected_us;
	if (q->last_block_us > since)
		since = q->last_block_us;
	if (q->unchoked_us > since && !q->am_choking)
		since = q->unchoked_us;
	return since;
}

bool sp_slots_make_room(struct sp_torrent *t)
{
	int64_t now = sp_now_us();
	struct sp_peer *victim = NULL;
	int64_t oldest = 0;
	for (struct sp_peer *q = t->peers; q; q = q->next) {
		int64_t since = useless_since(q, now);
		if (since && (!victim || since < oldest)) {
			victim = q;
			oldest = since;
		}
	}
	if (!victim)
		return false;
	SP_INFO(MOD, "%s: making room: useless both ways for %lld s", victim->name,
		(long long)((now - oldest) / 1000000));
	unsigned i = t->turned_next++ % SP_TURNED_MAX;
	t->turned_host[i] = host_key(&victim->addr);
	t->turned_until_us[i] = now + TURNED_OUT_US;
	sp_peer_close(victim, "turned over for a new peer");
	return true;
}
