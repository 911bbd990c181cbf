/* peer_up.c - what a peer asks of us: its requests queued and served
 * from verified pieces while its output buffer is short (so cancels
 * still bite and the rate limit paces us), and the BEP 6 allowed-fast set
 * it may fetch while choked. Net thread only.
 *
 * Invariant: only pieces we have verified are ever read for upload, and
 * a request is served only while the peer is unchoked or the piece is in
 * its allowed-fast set; otherwise it is rejected (fast extension) or
 * dropped (BEP 3). */
#include "net/peer.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "net/wire.h"
#include "storage/storage.h"

bool sp_peer_allowed_fast(const struct sp_peer *p, uint32_t piece)
{
	for (size_t i = 0; i < p->num_allowed_fast; i++)
		if (p->allowed_fast[i] == piece)
			return true;
	return false;
}

/* ---- uploads ---- */

void sp_peer_serve_uploads(struct sp_peer *p)
{
	/* per thread: each session has its own net thread */
	static _Thread_local uint8_t block[SP_PEER_MAX_REQ_LEN];
	struct evbuffer *out = bufferevent_get_output(p->bev);
	while (p->upq_len && !p->closing && evbuffer_get_length(out) < SP_PEER_OUT_LOW_WATER) {
		struct sp_upload_req rq = p->upq[0];
		memmove(p->upq, p->upq + 1, (p->upq_len - 1) * sizeof(*p->upq));
		p->upq_len--;
		int r = sp_storage_read_block(p->t->storage, rq.piece, rq.offset, block, rq.length);
		if (r < 0) {
			if (p->fast)
				sp_peer_send_req(p, SP_WIRE_REJECT, rq.piece, rq.offset, rq.length);
			continue;
		}
		struct sp_buf b;
		sp_buf_init(&b, 64);
		sp_wire_build_piece_header(&b, rq.piece, rq.offset, rq.length);
		sp_peer_write(p, b.data, b.len);
		sp_buf_fini(&b);
		sp_peer_write(p, block, rq.length);
		p->uploaded += rq.length;
		p->up_window += rq.length;
		p->last_send_us = sp_now_us();
	}
}

int sp_peer_on_request(struct sp_peer *p, const struct sp_wire_msg *m)
{
	struct sp_torrent *t = p->t;
	if (m->index >= t->mi->num_pieces || m->length == 0 || m->length > SP_PEER_MAX_REQ_LEN ||
	    (uint64_t)m->begin + m->length > sp_metainfo_piece_size(t->mi, m->index))
		return -EPROTO;
	bool ok = (!p->am_choking || sp_peer_allowed_fast(p, m->index)) &&
		  sp_bitfield_get(&t->have, m->index) && p->upq_len < SP_PEER_MAX_UPLOAD_QUEUE;
	if (!ok) {
		/* a peer that keeps asking while choked only makes us write
		 * REJECTs: libtorrent closes it too */
		if (p->am_choking && ++p->choked_reqs > SP_PEER_MAX_CHOKED_REQS)
			return -EDQUOT;
		if (p->fast)
			sp_peer_send_req(p, SP_WIRE_REJECT, m->index, m->begin, m->length);
		return 0;
	}
	if (!p->upq) {
		p->upq = calloc(SP_PEER_MAX_UPLOAD_QUEUE, sizeof(*p->upq));
		if (!p->upq)
			return -ENOMEM;
	}
	p->upq[p->upq_len++] = (struct sp_upload_req){m->index, m->begin, m->length};
	sp_peer_serve_uploads(p);
	return 0;
}

void sp_peer_on_cancel(struct sp_peer *p, const struct sp_wire_msg *m)
{
	for (size_t i = 0; i < p->upq_len; i++) {
		if (p->upq[i].piece == m->index && p->upq[i].offset == m->begin) {
			memmove(p->upq + i, p->upq + i + 1, (p->upq_len - i - 1) * sizeof(*p->upq));
			p->upq_len--;
			return;
		}
	}
}

/* BEP 6: a few pieces this peer may fetch from us even while choked, so
 * a newcomer has something to trade before its first unchoke. */
#define ALLOWED_FAST_K 8
void sp_peer_send_allowed_fast(struct sp_peer *p)
{
	struct sp_torrent *t = p->t;
	if (!p->fast || !p->ip4 || t->mi->num_pieces < 2 * ALLOWED_FAST_K || t->have.count == 0)
		return;
	p->allowed_fast = calloc(ALLOWED_FAST_K, sizeof(*p->allowed_fast));
	if (!p->allowed_fast)
		return;
	p->num_allowed_fast = sp_wire_allowed_fast((const uint8_t *)&p->ip4, t->mi->info_hash,
						   t->mi->num_pieces, ALLOWED_FAST_K,
						   p->allowed_fast);
	struct sp_buf b;
	sp_buf_init(&b, 16 * ALLOWED_FAST_K);
	for (size_t i = 0; i < p->num_allowed_fast; i++)
		if (sp_bitfield_get(&t->have, p->allowed_fast[i]))
			sp_wire_build_index(&b, SP_WIRE_ALLOWED_FAST, p->allowed_fast[i]);
	sp_peer_send_buf(p, &b);
}

