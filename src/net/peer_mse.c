/* peer_mse.c - a peer connection's encryption layer: the MSE handshake
 * both ways (mse.c does the protocol; this file feeds it from and to the
 * bufferevent), and, when MSE chose RC4, the stream cipher on every byte
 * in (sp_peer_input) and out (sp_peer_write). Net thread only.
 *
 * Invariant: once a handshake is done, the plaintext it carried is put in
 * front of whatever the socket delivers next, so the wire parser sees one
 * continuous plaintext stream whichever way the peer opened. */
#include "net/peer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "net/mse.h"
#include "net/wire.h"

void sp_peer_write(struct sp_peer *p, const void *data, size_t len)
{
	if (!p->rc4_out) {
		bufferevent_write(p->bev, data, len);
		return;
	}
	uint8_t buf[16384];
	for (size_t off = 0; off < len; off += sizeof(buf)) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		memcpy(buf, (const uint8_t *)data + off, n);
		sp_rc4_crypt(p->rc4_out, buf, n);
		bufferevent_write(p->bev, buf, n);
	}
}

/* The bytes to parse: the socket's input, or its decryption. */
struct evbuffer *sp_peer_input(struct sp_peer *p)
{
	struct evbuffer *raw = bufferevent_get_input(p->bev);
	if (!p->rc4_in)
		return raw;
	uint8_t buf[16384];
	int n;
	while ((n = evbuffer_remove(raw, buf, sizeof(buf))) > 0) {
		sp_rc4_crypt(p->rc4_in, buf, (size_t)n);
		evbuffer_add(p->plain, buf, (size_t)n);
	}
	return p->plain;
}

static bool mse_lookup(void *ctx, const uint8_t req2[20], uint8_t info_hash[20])
{
	struct sp_session *s = ctx;
	for (struct sp_torrent *t = s->torrents; t; t = t->next) {
		uint8_t h[20];
		if (!t->started || t->stopping)
			continue;
		sp_mse_hash("req2", t->mi->info_hash, 20, NULL, 0, h);
		if (!memcmp(h, req2, 20)) {
			memcpy(info_hash, t->mi->info_hash, 20);
			return true;
		}
	}
	return false;
}

/* Inbound only: an encrypted (MSE) opening is answered here; once done,
 * the plaintext it carried goes back in front of the input. Returns 1 to
 * go on with a plain handshake, 0 to wait, <0 to close. */
int sp_peer_read_mse(struct sp_peer *p, struct evbuffer *in)
{
	static const char pstr[] = "\x13" "BitTorrent protocol";
	if (!p->mse && !p->plain_checked && !p->t) { /* inbound: which protocol? */
		uint8_t head[20];
		size_t n = evbuffer_copyout(in, head, sizeof(head)) > 0 ? evbuffer_get_length(in) : 0;
		n = n < sizeof(head) ? n : sizeof(head);
		if (!memcmp(head, pstr, n)) {
			if (n < sizeof(head))
				return 0;
			p->plain_checked = true;
			return 1;
		}
		p->mse = sp_mse_new(mse_lookup, p->s);
		if (!p->mse)
			return -ENOMEM;
	}
	if (!p->mse)
		return 1;
	struct sp_buf out;
	sp_buf_init(&out, 4096);
	int r = 0;
	while (evbuffer_get_length(in) > 0 && r == 0) {
		uint8_t buf[4096];
		int n = evbuffer_remove(in, buf, sizeof(buf));
		if (n <= 0)
			break;
		r = sp_mse_feed(p->mse, buf, (size_t)n, &out);
	}
	if (out.len)
		bufferevent_write(p->bev, out.data, out.len);
	sp_buf_fini(&out);
	if (r <= 0)
		return r == -EPROTO ? -EPROTONOSUPPORT : r;
	size_t len;
	const uint8_t *rest = sp_mse_rest(p->mse, &len);
	struct sp_rc4 enc, dec;
	if (sp_mse_streams(p->mse, &enc, &dec)) {
		/* RC4 for the whole stream: rest is decrypted already, what is
		 * still in the socket's buffer is not (input_of does it) */
		p->rc4_in = malloc(sizeof(*p->rc4_in));
		p->rc4_out = malloc(sizeof(*p->rc4_out));
		p->plain = evbuffer_new();
		if (!p->rc4_in || !p->rc4_out || !p->plain)
			return -ENOMEM;
		*p->rc4_in = dec;
		*p->rc4_out = enc;
		evbuffer_add(p->plain, rest, len);
	} else {
		evbuffer_prepend(in, rest, len);
	}
	sp_mse_free(p->mse);
	p->mse = NULL;
	p->plain_checked = p->via_mse = true;
	return 1;
}

/* Outbound to a peer that refused our plain handshake: MSE, with our
 * handshake as its initial payload. */
void sp_peer_start_mse(struct sp_peer *p)
{
	uint8_t hs[SP_WIRE_HANDSHAKE_LEN];
	sp_peer_build_handshake(p, hs);
	struct sp_buf out;
	sp_buf_init(&out, 1024);
	p->mse = sp_mse_new_initiator(p->t->mi->info_hash, hs, sizeof(hs), &out);
	if (p->mse)
		bufferevent_write(p->bev, out.data, out.len);
	sp_buf_fini(&out);
	if (!p->mse)
		sp_peer_close(p, "out of memory");
}

