/* pex.c - BEP 11 peer exchange (ut_pex): tell each peer the addresses of
 * the others we are connected to, and learn theirs. Net thread only.
 *
 * Rules: never for a private torrent (BEP 27); the first message some
 * seconds after the handshake, then at most once per PEX_INTERVAL_US (the
 * BEP's once a minute); at most PEX_MAX addresses each way; IPv4 compact
 * form only. What we learn only becomes connect candidates: the usual
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

/* The address others can reach q at: outbound, the one we dialled;
 * inbound, its IP and the listen port its handshake announced. */
static bool reachable(const struct sp_peer *q, uint8_t out[6])
{
	if (!q->handshaked || q->closing || q->addr.ss_family != AF_INET)
		return false;
	const struct sockaddr_in *in = (const void *)&q->addr;
	uint16_t port = q->outbound ? ntohs(in->sin_port) : q->listen_port;
	if (!port)
		return false;
	memcpy(out, &in->sin_addr, 4);
	out[4] = (uint8_t)(port >> 8);
	out[5] = (uint8_t)port;
	return true;
}

/* Already connected to that address (either way)? */
static bool known(struct sp_torrent *t, const struct sockaddr_in *a)
{
	uint8_t addr[6];
	memcpy(addr, &a->sin_addr, 4);
	memcpy(addr + 4, &a->sin_port, 2);
	for (struct sp_peer *q = t->peers; q; q = q->next) {
		uint8_t mine[6];
		if (reachable(q, mine) && !memcmp(mine, addr, 6))
			return true;
	}
	return false;
}

static void send_pex(struct sp_peer *p)
{
	uint8_t added[PEX_MAX * 6], flags[PEX_MAX];
	size_t n = 0;
	for (struct sp_peer *q = p->t->peers; q && n < PEX_MAX; q = q->next) {
		if (q == p || !reachable(q, added + 6 * n))
			continue;
		flags[n++] = sp_peer_is_seed(q) ? 0x02 : 0x00;
	}
	struct sp_buf d, msg;
	sp_buf_init(&d, sizeof(added) + sizeof(flags) + 64);
	sp_buf_init(&msg, sizeof(added) + sizeof(flags) + 128);
	sp_benc_dict_begin(&d);
	sp_benc_put_cstr(&d, "added");
	sp_benc_put_str(&d, added, 6 * n);
	sp_benc_put_cstr(&d, "added.f");
	sp_benc_put_str(&d, flags, n);
	sp_benc_put_cstr(&d, "dropped");
	sp_benc_put_str(&d, "", 0);
	int r = sp_benc_end(&d);
	if (r == 0)
		r = sp_wire_build_extended(&msg, p->ut_pex, d.data, d.len);
	if (r == 0)
		sp_peer_write(p, msg.data, msg.len);
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
	if (!m.seen) /* no "added" (or an empty one): nothing to learn */
		return 0;
	for (size_t i = 0; i < m.n; i++)
		if (!known(p->t, &m.added[i]))
			sp_torrent_add_candidate(p->t, (struct sockaddr *)&m.added[i],
						 sizeof(m.added[i]));
	SP_DEBUG(MOD, "%s: %zu peers", p->name, m.seen);
	sp_torrent_connect_candidates(p->t, sp_now_us());
	return 0;
}
