/* pex.c - BEP 11 peer exchange (ut_pex): tell each peer the addresses of
 * the others we are connected to, and learn theirs. Net thread only.
 *
 * Rules: never for a private torrent (BEP 27); the first message some
 * seconds after the handshake, then at most once per PEX_INTERVAL_US (the
 * BEP's once a minute); at most PEX_MAX addresses each way and family,
 * IPv4 in "added", IPv6 in "added6" (compact forms). What we learn only becomes connect candidates: the usual
 * limits, bans and retries apply. */
#include "net/peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>

#include "core/bencode.h"
#include "core/clock.h"
#include "core/log.h"
#include "net/ext_parse.h"
#include "net/wire.h"

#define MOD "pex"
#define PEX_FIRST_US 3000000
#define PEX_INTERVAL_US 60000000
#define PEX_MAX SP_PEX_MAX /* ext_parse.h: what we read of theirs */

bool sp_pex_allowed(const struct sp_torrent *t)
{
	return !t->mi->private_flag && !t->meta_only;
}

/* The address others can reach q at, compact (6 bytes for IPv4, 18 for
 * IPv6; 0 if none): outbound, the one we dialled; inbound, its IP and the
 * listen port its handshake announced. */
static size_t reachable(const struct sp_peer *q, uint8_t out[18])
{
	if (!q->handshaked || q->closing)
		return 0;
	uint16_t port = 0;
	size_t alen = 0;
	if (q->addr.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&q->addr;
		port = ntohs(in->sin_port);
		memcpy(out, &in->sin_addr, alen = 4);
	} else if (q->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&q->addr;
		port = ntohs(in6->sin6_port);
		memcpy(out, &in6->sin6_addr, alen = 16);
	}
	if (!q->outbound)
		port = q->listen_port;
	if (!alen || !port)
		return 0;
	out[alen] = (uint8_t)(port >> 8);
	out[alen + 1] = (uint8_t)port;
	return alen + 2;
}

/* Already connected to that address (either way)? */
static bool known(struct sp_torrent *t, const uint8_t *compact, size_t len)
{
	for (struct sp_peer *q = t->peers; q; q = q->next) {
		uint8_t mine[18];
		if (reachable(q, mine) == len && !memcmp(mine, compact, len))
			return true;
	}
	return false;
}

static void send_pex(struct sp_peer *p)
{
	uint8_t added[PEX_MAX * 6], flags[PEX_MAX], added6[PEX_MAX * 18], flags6[PEX_MAX];
	size_t n = 0, n6 = 0;
	for (struct sp_peer *q = p->t->peers; q && (n < PEX_MAX || n6 < PEX_MAX); q = q->next) {
		uint8_t c[18];
		size_t cl = q == p ? 0 : reachable(q, c);
		uint8_t f = sp_peer_is_seed(q) ? 0x02 : 0x00;
		if (cl == 6 && n < PEX_MAX) {
			memcpy(added + 6 * n, c, 6);
			flags[n++] = f;
		} else if (cl == 18 && n6 < PEX_MAX) {
			memcpy(added6 + 18 * n6, c, 18);
			flags6[n6++] = f;
		}
	}
	struct sp_buf d, msg;
	size_t room = sizeof(added) + sizeof(flags) + sizeof(added6) + sizeof(flags6);
	sp_buf_init(&d, room + 96);
	sp_buf_init(&msg, room + 160);
	sp_benc_dict_begin(&d); /* keys in order: added, added.f, added6, added6.f, dropped */
	sp_benc_put_cstr(&d, "added");
	sp_benc_put_str(&d, added, 6 * n);
	sp_benc_put_cstr(&d, "added.f");
	sp_benc_put_str(&d, flags, n);
	if (n6) {
		sp_benc_put_cstr(&d, "added6");
		sp_benc_put_str(&d, added6, 18 * n6);
		sp_benc_put_cstr(&d, "added6.f");
		sp_benc_put_str(&d, flags6, n6);
	}
	sp_benc_put_cstr(&d, "dropped");
	sp_benc_put_str(&d, "", 0);
	int r = sp_benc_end(&d);
	if (r == 0)
		r = sp_wire_build_extended(&msg, p->ut_pex, d.data, d.len);
	if (r == 0)
		sp_peer_write(p, msg.data, msg.len);
	SP_DEBUG(MOD, "%s: told of %zu peers, %zu IPv6", p->name, n, n6);
	sp_buf_fini(&d);
	sp_buf_fini(&msg);
}

void sp_pex_tick(struct sp_torrent *t, int64_t now)
{
	if (!sp_pex_allowed(t))
		return;
	for (struct sp_peer *p = t->peers; p; p = p->next) {
		if (!p->handshaked || p->closing || !p->ut_pex)
			continue;
		int64_t due = p->pex_sent_us ? p->pex_sent_us + PEX_INTERVAL_US
					     : p->connected_us + PEX_FIRST_US;
		if (now < due)
			continue;
		p->pex_sent_us = now;
		send_pex(p);
	}
}

int sp_pex_on_message(struct sp_peer *p, const uint8_t *data, size_t len)
{
	if (!sp_pex_allowed(p->t))
		return 0;
	struct sp_pex_msg m;
	if (sp_pex_parse(data, len, &m) < 0)
		return -EBADMSG;
	if (!m.seen && !m.seen6) /* no "added"/"added6" (or empty ones): nothing to learn */
		return 0;
	for (size_t i = 0; i < m.n; i++) {
		uint8_t c[6];
		memcpy(c, &m.added[i].sin_addr, 4);
		memcpy(c + 4, &m.added[i].sin_port, 2);
		if (!known(p->t, c, sizeof(c)))
			sp_torrent_add_candidate(p->t, (struct sockaddr *)&m.added[i],
						 sizeof(m.added[i]));
	}
	for (size_t i = 0; i < m.n6; i++) {
		uint8_t c[18];
		memcpy(c, &m.added6[i].sin6_addr, 16);
		memcpy(c + 16, &m.added6[i].sin6_port, 2);
		if (!known(p->t, c, sizeof(c)))
			sp_torrent_add_candidate(p->t, (struct sockaddr *)&m.added6[i],
						 sizeof(m.added6[i]));
	}
	SP_DEBUG(MOD, "%s: %zu peers, %zu IPv6", p->name, m.seen, m.seen6);
	sp_torrent_connect_candidates(p->t, sp_now_us());
	return 0;
}
