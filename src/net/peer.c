/* peer.c - one BitTorrent wire connection on a bufferevent: handshake,
 * message dispatch (BEP 3 + BEP 6 fast + BEP 10), our requests to it and
 * its requests to us. Net thread only.
 *
 * Invariants: a message's length is checked from its header by the wire
 * codec before its body is awaited, so the input buffer never holds more
 * than one maximal message beyond what has been parsed. Any protocol
 * violation closes this peer with a logged reason. Every request we send
 * is in `sent` until its block arrives, it is rejected, we cancel it, or
 * the peer chokes us without the fast extension; the picker is told the
 * same. Uploads are served from `upq` only while the output buffer is
 * short, so cancels still bite and the rate limit group paces them. */
#include "net/peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "core/clock.h"
#include "core/log.h"
#include "net/lan_addr.h"
#include "net/mse.h"
#include "net/wire.h"
#include "picker/picker.h"
#include "storage/storage.h"

#define MOD "peer"
#define HANDSHAKE_TIMEOUT_S 20
#define IDLE_TIMEOUT_US (180 * 1000000LL)
#define KEEPALIVE_US (90 * 1000000LL)
#define SNUB_US (45 * 1000000LL)

static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

/* ---- sending ---- */

void sp_peer_send_buf(struct sp_peer *p, struct sp_buf *b)
{
	if (b->len && !p->closing) {
		sp_peer_write(p, b->data, b->len);
		p->last_send_us = sp_now_us();
	}
	sp_buf_fini(b);
}

static void send_simple(struct sp_peer *p, enum sp_wire_type type)
{
	struct sp_buf b;
	sp_buf_init(&b, 64);
	sp_wire_build_simple(&b, type);
	sp_peer_send_buf(p, &b);
}

void sp_peer_send_req(struct sp_peer *p, int type, uint32_t piece,
			  uint32_t off, uint32_t len)
{
	struct sp_buf b;
	sp_buf_init(&b, 64);
	sp_wire_build_request(&b, type, piece, off, len);
	sp_peer_send_buf(p, &b);
}

void sp_peer_send_have(struct sp_peer *p, uint32_t piece)
{
	struct sp_buf b;
	sp_buf_init(&b, 64);
	sp_wire_build_index(&b, SP_WIRE_HAVE, piece);
	sp_peer_send_buf(p, &b);
}

static void send_our_pieces(struct sp_peer *p)
{
	struct sp_torrent *t = p->t;
	if (p->fast && t->have.count == 0) {
		send_simple(p, SP_WIRE_HAVE_NONE);
		return;
	}
	if (p->fast && sp_bitfield_full(&t->have)) {
		send_simple(p, SP_WIRE_HAVE_ALL);
		return;
	}
	if (t->have.count == 0)
		return; /* BEP 3: a peer with nothing may skip the bitfield */
	struct sp_buf b;
	sp_buf_init(&b, sp_bitfield_bytes(t->have.nbits) + 16);
	sp_wire_build_bitfield(&b, t->have.bits, sp_bitfield_bytes(t->have.nbits));
	sp_peer_send_buf(p, &b);
}

void sp_peer_set_choke(struct sp_peer *p, bool choke)
{
	if (p->am_choking == choke || !p->handshaked)
		return;
	p->am_choking = choke;
	send_simple(p, choke ? SP_WIRE_CHOKE : SP_WIRE_UNCHOKE);
	if (choke) {
		/* BEP 6: with the fast extension every pending request is
		 * rejected explicitly; without it the choke discards them. */
		size_t kept = 0;
		for (size_t i = 0; i < p->upq_len; i++) {
			if (sp_peer_allowed_fast(p, p->upq[i].piece)) {
				p->upq[kept++] = p->upq[i];
				continue;
			}
			if (p->fast)
				sp_peer_send_req(p, SP_WIRE_REJECT, p->upq[i].piece,
					      p->upq[i].offset, p->upq[i].length);
		}
		p->upq_len = kept;
	} else {
		p->unchoked_us = sp_now_us();
		p->choked_reqs = 0;
	}
}

void sp_peer_set_interested(struct sp_peer *p, bool interested)
{
	if (p->am_interested == interested || !p->handshaked)
		return;
	p->am_interested = interested;
	send_simple(p, interested ? SP_WIRE_INTERESTED : SP_WIRE_NOT_INTERESTED);
}

void sp_peer_update_interest(struct sp_peer *p)
{
	if (!p->t || !p->source_id)
		return;
	bool want = !p->t->seed_only && sp_picker_source_interesting(p->t->picker, p->source_id);
	sp_peer_set_interested(p, want);
}

bool sp_peer_is_seed(const struct sp_peer *p)
{
	return p->handshaked && p->have.nbits && sp_bitfield_full(&p->have);
}

/* ---- source ops: the picker's requests go out here ---- */

static void src_request(void *obj, uint32_t piece, uint32_t off, uint32_t len)
{
	struct sp_peer *p = obj;
	if (p->closing)
		return;
	if (p->num_sent == p->cap_sent) {
		size_t cap = p->cap_sent ? p->cap_sent * 2 : 32;
		if (cap > SP_PEER_MAX_SENT_REQ) {
			sp_picker_block_rejected(p->t->picker, p->source_id, piece, off);
			return;
		}
		struct sp_sent_req *n = realloc(p->sent, cap * sizeof(*n));
		if (!n) {
			sp_picker_block_rejected(p->t->picker, p->source_id, piece, off);
			return;
		}
		p->sent = n;
		p->cap_sent = cap;
	}
	int64_t now = sp_now_us();
	if (p->num_sent == 0)
		p->last_block_us = now; /* the snub clock starts with the first request */
	p->sent[p->num_sent++] = (struct sp_sent_req){piece, off, len, now};
	sp_peer_send_req(p, SP_WIRE_REQUEST, piece, off, len);
}

static bool take_sent(struct sp_peer *p, uint32_t piece, uint32_t off, struct sp_sent_req *out)
{
	for (size_t i = 0; i < p->num_sent; i++) {
		if (p->sent[i].piece == piece && p->sent[i].offset == off) {
			if (out)
				*out = p->sent[i];
			p->sent[i] = p->sent[--p->num_sent];
			return true;
		}
	}
	return false;
}

static void src_cancel(void *obj, uint32_t piece, uint32_t off, uint32_t len)
{
	struct sp_peer *p = obj;
	struct sp_sent_req rq;
	if (take_sent(p, piece, off, &rq) && !p->closing) {
		p->cancelled[p->num_cancelled++ % SP_PEER_CANCEL_RING] = rq;
		sp_peer_send_req(p, SP_WIRE_CANCEL, piece, off, len);
	}
}

/* Did we cancel this block lately? (then forget it: one copy is owed) */
static bool take_cancelled(struct sp_peer *p, uint32_t piece, uint32_t off, uint32_t len)
{
	for (unsigned i = 0; i < SP_PEER_CANCEL_RING; i++) {
		struct sp_sent_req *c = &p->cancelled[i];
		if (c->length && c->piece == piece && c->offset == off && c->length == len) {
			c->length = 0;
			return true;
		}
	}
	return false;
}

static const struct sp_blocksrc_ops peer_source_ops = {
	.request = src_request,
	.cancel = src_cancel,
};

/* ---- downloads ---- */

static int on_piece(struct sp_peer *p, const struct sp_wire_msg *m)
{
	struct sp_torrent *t = p->t;
	if (m->index >= t->mi->num_pieces || m->data_len == 0 ||
	    (uint64_t)m->begin + m->data_len > sp_metainfo_piece_size(t->mi, m->index))
		return -EPROTO;
	int64_t now = sp_now_us();
	p->last_block_us = now;
	p->snubbed = false;
	p->downloaded += m->data_len;
	p->down_window += m->data_len;
	struct sp_sent_req rq;
	if (!take_sent(p, m->index, m->begin, &rq) || rq.length != m->data_len) {
		/* after our CANCEL: the picker may still want it, or counts why
		 * not; never asked: waste of no cause of ours */
		if (take_cancelled(p, m->index, m->begin, (uint32_t)m->data_len))
			sp_torrent_block_in(t, p->source_id, &p->host, false, m->index, m->begin,
					    m->data, (uint32_t)m->data_len);
		else
			sp_torrent_waste(t, SP_WASTE_OTHER, m->data_len);
		return 0;
	}
	double sample = (double)(now - rq.sent_us) / 1e6;
	/* The lowest recent latency approximates the path's RTT; queueing
	 * behind our own pipeline would only inflate it. */
	if (p->rtt_s <= 0 || sample < p->rtt_s)
		p->rtt_s = sample;
	else
		p->rtt_s = 0.98 * p->rtt_s + 0.02 * sample;
	sp_torrent_block_in(t, p->source_id, &p->host, false, m->index, m->begin, m->data,
			    (uint32_t)m->data_len);
	return 0;
}

static void peer_choked_us(struct sp_peer *p, bool choked)
{
	p->peer_choking = choked;
	if (!p->source_id)
		return;
	/* Without the fast extension a choke drops our requests; with it,
	 * rejects will come one by one. */
	bool drop = choked && !p->fast;
	sp_picker_source_choke(p->t->picker, p->source_id, choked, drop);
	if (drop)
		p->num_sent = 0;
	sp_torrent_pump(p->t);
}

static void learn_have(struct sp_peer *p, uint32_t piece)
{
	sp_bitfield_set(&p->have, piece);
	p->new_piece_us = sp_now_us();
	sp_picker_source_have(p->t->picker, p->source_id, piece);
	sp_choker_have(p->t, p, piece);
}

/* A bitfield after the first adds what it shows, as HAVEs would: aria2
 * sends one instead of twenty HAVEs or more. A peer never loses a piece,
 * so nothing is cleared, and the work over the connection's life is one
 * pass per message (its own length) plus one HAVE per piece at most. */
static int merge_bitfield(struct sp_peer *p, const uint8_t *bits, size_t len)
{
	uint32_t n = p->have.nbits;
	if (len != sp_bitfield_bytes(n) || ((n & 7) && (bits[len - 1] & (0xffu >> (n & 7)))))
		return -EPROTO;
	for (size_t i = 0; i < len; i++) {
		uint8_t add = (uint8_t)(bits[i] & ~p->have.bits[i]);
		for (uint32_t b = 0; add; b++, add = (uint8_t)(add << 1))
			if (add & 0x80u)
				learn_have(p, (uint32_t)(i * 8 + b));
	}
	return 0;
}

static int on_have_like(struct sp_peer *p, const struct sp_wire_msg *m)
{
	struct sp_torrent *t = p->t;
	switch (m->type) {
	case SP_WIRE_HAVE:
		if (m->index >= t->mi->num_pieces)
			return -EPROTO;
		if (sp_bitfield_get(&p->have, m->index))
			return 0;
		learn_have(p, m->index);
		break;
	case SP_WIRE_BITFIELD:
		/* BEP 3 wants it first, but some clients send a have before it:
		 * the first bitfield replaces what we knew, later ones add. */
		if (p->piece_set) {
			int r = merge_bitfield(p, m->data, m->data_len);
			if (r < 0)
				return r;
			break;
		}
		if (sp_bitfield_load(&p->have, m->data, m->data_len) < 0)
			return -EPROTO;
		p->piece_set = true;
		sp_picker_source_bitfield(t->picker, p->source_id, p->have.bits);
		break;
	case SP_WIRE_HAVE_ALL:
	case SP_WIRE_HAVE_NONE:
		if (!p->fast)
			return -EPROTO;
		if (p->piece_set || p->have.count) {
			/* Late: HAVE_ALL (aria2, on finishing) once more is a
			 * no-op; HAVE_NONE would take back pieces, which no
			 * honest peer does (toggling both cost a pass over
			 * every piece each, before issue 11). */
			if (m->type == SP_WIRE_HAVE_NONE)
				return -EALREADY;
			if (sp_bitfield_full(&p->have))
				return 0;
		}
		p->piece_set = true;
		if (m->type == SP_WIRE_HAVE_ALL) {
			sp_bitfield_set_all(&p->have);
			sp_picker_source_have_all(t->picker, p->source_id);
		}
		break;
	default:
		return 0;
	}
	p->bitfield_seen = true;
	if (sp_bitfield_full(&p->have) && sp_bitfield_full(&t->have)) {
		sp_peer_close(p, "both seeds");
		return 0;
	}
	sp_peer_update_interest(p);
	sp_torrent_pump(t);
	return 0;
}

static int dispatch(struct sp_peer *p, const struct sp_wire_msg *m)
{
	struct sp_torrent *t = p->t;
	/* Fetching a magnet's metadata: no pieces yet, only the extension
	 * protocol matters. */
	if (t->meta_only && m->type != SP_WIRE_EXTENDED && m->type != SP_WIRE_CHOKE &&
	    m->type != SP_WIRE_UNCHOKE)
		return 0;
	switch (m->type) {
	case SP_WIRE_KEEPALIVE:
		return 0;
	case SP_WIRE_CHOKE:
		peer_choked_us(p, true);
		return 0;
	case SP_WIRE_UNCHOKE:
		peer_choked_us(p, false);
		return 0;
	case SP_WIRE_INTERESTED:
		p->peer_interested = true;
		sp_choker_interested(t, p);
		return 0;
	case SP_WIRE_NOT_INTERESTED:
		p->peer_interested = false;
		return 0;
	case SP_WIRE_HAVE:
	case SP_WIRE_BITFIELD:
	case SP_WIRE_HAVE_ALL:
	case SP_WIRE_HAVE_NONE:
		return on_have_like(p, m);
	case SP_WIRE_REQUEST:
		return sp_peer_on_request(p, m);
	case SP_WIRE_PIECE:
		return on_piece(p, m);
	case SP_WIRE_CANCEL:
		sp_peer_on_cancel(p, m);
		return 0;
	case SP_WIRE_REJECT:
		if (!p->fast)
			return -EPROTO;
		if (take_sent(p, m->index, m->begin, NULL)) {
			sp_picker_block_rejected(t->picker, p->source_id, m->index, m->begin);
			sp_torrent_pump(t);
		}
		return 0;
	case SP_WIRE_EXTENDED:
		return p->ext ? sp_ext_on_message(p, m->ext_id, m->data, m->data_len) : -EPROTO;
	case SP_WIRE_PORT:
		if (p->s->dht && m->port && !p->t->mi->private_flag) {
			struct sockaddr_storage node = p->addr;
			if (node.ss_family == AF_INET)
				((struct sockaddr_in *)&node)->sin_port = htons(m->port);
			else if (node.ss_family == AF_INET6)
				((struct sockaddr_in6 *)&node)->sin6_port = htons(m->port);
			sp_dht_add_node(p->s, (struct sockaddr *)&node);
		}
		return 0;
	default: /* port, suggest, allowed fast, unknown: nothing to do */
		return 0;
	}
}

/* ---- handshake ---- */

static void after_handshake(struct sp_peer *p)
{
	struct sp_torrent *t = p->t;
	p->handshaked = true;
	t->peers_seen++;
	event_del(p->timeout_ev);
	if (sp_bitfield_init(&p->have, t->mi->num_pieces) < 0 ||
	    sp_bitfield_init(&p->handed, t->mi->num_pieces) < 0 ||
	    sp_bitfield_init(&p->refused, t->mi->num_pieces) < 0) {
		sp_peer_close(p, "out of memory");
		return;
	}
	p->source_id = t->meta_only ? 0 : sp_torrent_add_source(t, SP_SOURCE_PEER,
								 &peer_source_ops, p);
	if (!p->source_id && !t->meta_only) {
		sp_peer_close(p, "out of memory");
		return;
	}
	/* rule 15: a screen of the site (LSD on, a LAN address, our client) */
	if (p->source_id && p->s->cfg.lsd && !memcmp(p->peer_id, "-SP", 3) &&
	    sp_addr_is_lan((const struct sockaddr *)&p->addr))
		sp_picker_source_partner(t->picker, p->source_id,
					 sp_picker_share_key(p->peer_id, t->mi->info_hash));
	if (p->ext)
		sp_ext_send_handshake(p);
	if (p->s->dht && p->peer_dht && !p->t->mi->private_flag) { /* BEP 5: our node */
		struct sp_buf b;
		sp_buf_init(&b, 16);
		sp_wire_build_port(&b, p->s->port);
		sp_peer_send_buf(p, &b);
	}
	send_our_pieces(p);
	sp_peer_send_allowed_fast(p);
	SP_INFO(MOD, "%s: connected (%s%s%s)", p->name, p->fast ? "fast " : "", p->ext ? "ext " : "",
		p->via_mse ? (p->rc4_in ? "mse-rc4" : "mse") : "");
}

void sp_peer_build_handshake(struct sp_peer *p, uint8_t hs[SP_WIRE_HANDSHAKE_LEN])
{
	uint8_t reserved[8] = {0};
	reserved[SP_WIRE_RESERVED_EXT_BYTE] |= SP_WIRE_RESERVED_EXT_BIT;
	reserved[SP_WIRE_RESERVED_FAST_BYTE] |= SP_WIRE_RESERVED_FAST_BIT;
	if (p->s->dht && !p->t->mi->private_flag)
		reserved[7] |= 0x01; /* BEP 5: we have a DHT node (never said for BEP 27) */
	sp_wire_build_handshake(hs, reserved, p->t->mi->info_hash, p->s->peer_id);
}

static void send_handshake(struct sp_peer *p)
{
	uint8_t hs[SP_WIRE_HANDSHAKE_LEN];
	sp_peer_build_handshake(p, hs);
	sp_peer_write(p, hs, sizeof(hs));
}

static struct sp_peer *dup_of(struct sp_torrent *t, struct sp_peer *p)
{
	for (struct sp_peer *q = t->peers; q; q = q->next)
		if (q != p && q->handshaked && !memcmp(q->peer_id, p->peer_id, 20))
			return q;
	return NULL;
}

static void half_open_remove(struct sp_session *s, struct sp_peer *p)
{
	for (struct sp_peer **pp = &s->half_open; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

/* Returns 1 when done, 0 if more bytes are needed, <0 to close. */
static int read_handshake(struct sp_peer *p)
{
	struct evbuffer *in = sp_peer_input(p);
	if (!p->t || p->mse) {
		int r = sp_peer_read_mse(p, in);
		if (r <= 0)
			return r;
		in = sp_peer_input(p);
	}
	size_t avail = evbuffer_get_length(in);
	uint8_t buf[SP_WIRE_HANDSHAKE_LEN];
	size_t n = avail < sizeof(buf) ? avail : sizeof(buf);
	evbuffer_copyout(in, buf, n);
	struct sp_wire_handshake hs;
	int r = sp_wire_parse_handshake(buf, n, &hs);
	if (r == -EAGAIN)
		return 0;
	if (r < 0)
		return -EPROTONOSUPPORT;
	evbuffer_drain(in, SP_WIRE_HANDSHAKE_LEN);
	if (!memcmp(hs.peer_id, p->s->peer_id, 20)) {
		/* an address of ours: never dialled again (the inbound side of
		 * such a connection usually sees the handshake first) */
		p->self = true;
		sp_session_note_self(p->s, (const struct sockaddr *)&p->addr);
		return -ELOOP;
	}
	memcpy(p->peer_id, hs.peer_id, 20);
	p->fast = sp_wire_hs_fast(&hs);
	p->ext = sp_wire_hs_ext(&hs);
	p->peer_dht = hs.reserved[7] & 0x01;
	if (!p->t) { /* inbound: find the torrent, answer */
		struct sp_torrent *t = sp_session_find_torrent(p->s, hs.info_hash);
		if (!t)
			return -ENOENT;
		if (sp_slots_host_full(t, &p->addr, p))
			return -EADDRINUSE;
		if (sp_slots_turned_out(t, &p->addr))
			return -EMFILE;
		if (!sp_torrent_can_accept(t) && (!sp_slots_make_room(t) || !sp_torrent_can_accept(t)))
			return -EMFILE;
		half_open_remove(p->s, p);
		sp_torrent_attach_peer(t, p);
		send_handshake(p);
	} else if (memcmp(hs.info_hash, p->t->mi->info_hash, 20)) {
		return -ENOENT;
	}
	if (dup_of(p->t, p))
		return -EEXIST;
	after_handshake(p);
	return 1;
}

static const char *close_reason(int r)
{
	switch (r) {
	case -ELOOP: return "connected to ourselves";
	case -ENOENT: return "unknown info-hash";
	case -EPROTONOSUPPORT: return "not a BitTorrent handshake";
	case -ENOTSUP: return "encrypted handshake offering no method we know";
	case -EMFILE: return "too many peers";
	case -EADDRINUSE: return "too many connections from its address";
	case -EEXIST: return "duplicate connection";
	case -EALREADY: return "took back pieces it said it had";
	case -EDQUOT: return "too many requests while choked";
	case -ENOBUFS: return "repeats its requests";
	case -EOVERFLOW: return "message too long";
	case -EPROTO: return "protocol violation";
	case -EBADMSG: return "malformed message";
	default: return "error";
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct sp_peer *p = arg;
	p->last_recv_us = sp_now_us();
	p->got_bytes = true;
	if (!p->handshaked) {
		int r = read_handshake(p);
		if (r < 0) {
			sp_peer_close(p, close_reason(r));
			return;
		}
		if (r == 0 || p->closing)
			return;
	}
	if (!p->in_paused)
		sp_peer_read_more(p);
	sp_peer_parse_input(p);
}

/* Every message buffered is parsed and dispatched, unless what we owe
 * the peer (its output) is over its cap: then its input waits, unread,
 * until the output drains (peer_io.c). */
void sp_peer_parse_input(struct sp_peer *p)
{
	struct evbuffer *in = sp_peer_input(p);
	uint32_t np = p->t->mi->num_pieces;
	while (!p->closing) {
		if (sp_peer_out_full(p)) {
			sp_peer_pause_input(p);
			return;
		}
		uint8_t hdr[5];
		size_t avail = evbuffer_get_length(in);
		evbuffer_copyout(in, hdr, avail < 5 ? avail : 5);
		long size = sp_wire_frame_size(hdr, avail < 5 ? avail : 5, np);
		if (size == -EAGAIN || (size > 0 && (size_t)size > avail)) {
			sp_peer_set_rcvlowat(p, size > 0 ? size - (long)avail : 1);
			return;
		}
		if (size < 0) {
			SP_WARN(MOD, "%s: closing: %s (id %d)", p->name, close_reason((int)size),
				avail >= 5 ? hdr[4] : -1);
			sp_peer_close(p, close_reason((int)size));
			return;
		}
		const uint8_t *msg = evbuffer_pullup(in, size);
		struct sp_wire_msg m;
		long used = msg ? sp_wire_parse(msg, (size_t)size, np, &m) : -ENOMEM;
		int r = used < 0 ? (int)used : dispatch(p, &m);
		evbuffer_drain(in, (size_t)size);
		if (r < 0) {
			SP_WARN(MOD, "%s: closing: %s in %s", p->name, close_reason(r),
				used < 0 ? "?" : sp_wire_type_name(m.type));
			sp_peer_close(p, close_reason(r));
			return;
		}
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct sp_peer *p = arg;
	if (!p->handshaked || p->closing)
		return;
	sp_peer_serve_uploads(p);
	sp_meta_serve(p);
	sp_peer_out_drained(p);
}

/* No delay for our small messages; and at most SP_PEER_NOTSENT_LOWAT of
 * what we send waits unsent in the kernel (what is in flight is not
 * limited): otherwise autotuning parks megabytes per socket there when
 * the uplink is the bottleneck, every upload is committed seconds before
 * it leaves, the hand-out (peer_up.c) cannot see the bottleneck and our
 * CANCELs and choices come late. */
static void tune_socket(int fd)
{
	int one = 1, lowat = SP_PEER_NOTSENT_LOWAT;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct sp_peer *p = arg;
	if (what & BEV_EVENT_CONNECTED) {
		p->connected = true;
		tune_socket(bufferevent_getfd(bev));
		if (p->mse_out)
			sp_peer_start_mse(p);
		else
			send_handshake(p);
		return;
	}
	if (what & BEV_EVENT_EOF)
		sp_peer_close(p, "closed by peer");
	else if (what & BEV_EVENT_ERROR)
		sp_peer_close(p, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if (what & BEV_EVENT_TIMEOUT)
		sp_peer_close(p, "timeout");
}

/* ---- lifecycle ---- */

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	sp_peer_close(arg, "handshake timeout");
}

static void on_free(evutil_socket_t fd, short what, void *arg)
{
	struct sp_peer *p = arg;
	for (struct sp_peer **pp = &p->s->zombies; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	sp_peer_free(p);
}

static struct sp_peer *peer_new(struct sp_session *s, int fd, const struct sockaddr *sa,
				socklen_t len)
{
	if (len > sizeof(struct sockaddr_storage))
		return NULL;
	struct sp_peer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->s = s;
	memcpy(&p->addr, sa, len);
	p->addr_len = len;
	p->host = sp_host_of(sa);
	char host[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		p->ip4 = in->sin_addr.s_addr;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	snprintf(p->name, sizeof(p->name), "%s:%u", host, port);
	p->am_choking = p->peer_choking = true;
	p->connected_us = p->last_recv_us = p->last_send_us = sp_now_us();
	p->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	p->timeout_ev = evtimer_new(s->base, on_timeout, p);
	p->free_ev = event_new(s->base, -1, 0, on_free, p);
	if (!p->bev || !p->timeout_ev || !p->free_ev) {
		if (p->bev)
			bufferevent_free(p->bev);
		if (p->timeout_ev)
			event_free(p->timeout_ev);
		if (p->free_ev)
			event_free(p->free_ev);
		free(p);
		return NULL;
	}
	bufferevent_setcb(p->bev, on_read, on_write, on_event, p);
	sp_peer_io_init(p);
	bufferevent_setwatermark(p->bev, EV_WRITE, SP_PEER_OUT_LOW_WATER / 2, 0);
	bufferevent_setwatermark(p->bev, EV_READ, 0, SP_WIRE_MAX_MSG * 4);
	/* Fewer, larger reads: libevent's default is 16 KiB per read(). */
	bufferevent_set_max_single_read(p->bev, 256 * 1024);
	bufferevent_set_max_single_write(p->bev, 256 * 1024);
	if (s->up_group)
		bufferevent_add_to_rate_limit_group(p->bev, s->up_group);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	static const struct timeval hs_timeout = {HANDSHAKE_TIMEOUT_S, 0};
	evtimer_add(p->timeout_ev, &hs_timeout);
	s->total_peers++;
	return p;
}

struct sp_peer *sp_peer_connect(struct sp_torrent *t, const struct sockaddr *sa, socklen_t len,
				bool mse)
{
	sp_session_assert_loop(t->s);
	struct sp_peer *p = peer_new(t->s, -1, sa, len);
	if (!p)
		return NULL;
	p->outbound = true;
	p->mse_out = mse;
	sp_torrent_attach_peer(t, p);
	if (bufferevent_socket_connect(p->bev, (struct sockaddr *)&p->addr, (int)len) < 0) {
		sp_peer_close(p, "connect failed");
		return NULL;
	}
	SP_DEBUG(MOD, "%s: connecting", p->name);
	return p;
}

struct sp_peer *sp_peer_accept(struct sp_session *s, int fd, const struct sockaddr *sa,
			       socklen_t len)
{
	struct sp_peer *p = peer_new(s, fd, sa, len);
	if (!p)
		return NULL;
	p->connected = true;
	tune_socket(fd);
	p->next = s->half_open;
	s->half_open = p;
	SP_DEBUG(MOD, "%s: accepted", p->name);
	return p;
}

void sp_peer_close(struct sp_peer *p, const char *why)
{
	sp_session_assert_loop(p->s);
	if (p->closing)
		return;
	p->closing = true;
	SP_INFO(MOD, "%s: closed: %s (down %llu, up %llu)", p->name, why,
		(unsigned long long)p->downloaded, (unsigned long long)p->uploaded);
	bufferevent_disable(p->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(p->bev, NULL, NULL, NULL, NULL);
	event_del(p->timeout_ev);
	if (p->t) {
		p->t->uploaded += p->uploaded;
		p->uploaded = 0;
		sp_torrent_peer_gone(p->t, p);
	} else {
		half_open_remove(p->s, p);
	}
	/* Callers iterating a peer list must have saved p->next already. */
	p->next = p->s->zombies;
	p->s->zombies = p;
	event_active(p->free_ev, EV_TIMEOUT, 0);
}

void sp_peer_free(struct sp_peer *p)
{
	if (!p)
		return;
	if (!p->closing && p->t) {
		p->t->uploaded += p->uploaded;
		p->uploaded = 0;
	}
	sp_peer_io_fini(p);
	bufferevent_free(p->bev);
	event_free(p->timeout_ev);
	event_free(p->free_ev);
	sp_bitfield_fini(&p->have);
	sp_bitfield_fini(&p->handed);
	sp_bitfield_fini(&p->refused);
	sp_mse_free(p->mse);
	free(p->rc4_in);
	free(p->rc4_out);
	if (p->plain)
		evbuffer_free(p->plain);
	free(p->sent);
	free(p->upq);
	free(p->allowed_fast);
	free(p->meta_owed);
	p->s->total_peers--;
	free(p);
}

void sp_peer_tick(struct sp_peer *p, int64_t now, double dt)
{
	if (p->closing)
		return;
	p->down_rate = 0.5 * p->down_rate + 0.5 * (double)p->down_window / dt;
	p->up_rate = 0.5 * p->up_rate + 0.5 * (double)p->up_window / dt;
	p->down_window = p->up_window = 0;
	if (!p->handshaked)
		return;
	if (p->source_id)
		sp_picker_source_rate(p->t->picker, p->source_id, p->down_rate, p->rtt_s);
	if (p->num_sent && now - p->last_block_us > SNUB_US && !p->snubbed) {
		p->snubbed = true;
		SP_INFO(MOD, "%s: snubbed us (%zu requests unanswered)", p->name, p->num_sent);
	}
	if (sp_peer_io_tick(p, now) < 0)
		return;
	sp_meta_serve(p);
	if (now - p->last_recv_us > IDLE_TIMEOUT_US && !p->in_paused) {
		sp_peer_close(p, "idle");
		return;
	}
	if (now - p->last_send_us > KEEPALIVE_US) {
		struct sp_buf b;
		sp_buf_init(&b, 8);
		sp_wire_build_keepalive(&b);
		sp_peer_send_buf(p, &b);
	}
}
