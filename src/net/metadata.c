/* metadata.c - BEP 9 ut_metadata: fetching a magnet's info dictionary
 * from peers, and serving ours to peers that fetch it. Net thread only.
 *
 * Fetching: the first peer that announces a metadata_size (ceiling
 * SP_META_ASM_MAX) sizes an assembler (meta_asm.c, pure: it decides what
 * to ask whom, takes only asked pieces, and checks the SHA-1 of the
 * whole against the info-hash). A mismatch names liars: they are banned
 * and closed like peers that sent corrupt pieces, and the assembler asks
 * again (one peer at a time once senders were mixed), so an honest seed
 * wins whatever the order of arrival. Only a matching whole is parsed
 * (sp_metainfo_from_info) and handed to `done`.
 *
 * The size is only what one peer said, and only peers announcing that
 * size are asked, so a peer lying about it must not stall the fetch for
 * good: after a hash mismatch, or META_STALL_US without a new piece, the
 * size is dropped while some connected peer announces another one, and
 * the next size is taken from a peer that does not announce the dropped
 * one (falling back to it when every peer does).
 *
 * Serving: a torrent with metadata answers requests with its exact info
 * bytes; a magnet still fetching rejects them. Only after our extended
 * handshake, each piece owed at most once per peer, at META_SERVE_RATE,
 * and only while the peer's output is short (sp_meta_serve). */
#include "net/peer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "core/bencode.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/sha1.h"
#include "net/ext_parse.h"
#include "net/meta_asm.h"
#include "net/wire.h"

#define MOD "metadata"
#define META_PIECE SP_META_ASM_PIECE
#define META_MAX SP_META_ASM_MAX
#define META_BURST 32 /* requests per peer per round */
#define META_STALL_US 15000000
#define META_SERVE_RATE 32.0   /* answers per second to one peer */
#define META_SERVE_BURST 128.0
#define META_MAX_DROPPED 256   /* repeated requests before we close it */

enum { MSG_REQUEST = SP_META_REQUEST, MSG_DATA = SP_META_DATA, MSG_REJECT = SP_META_REJECT };

struct sp_meta {
	struct sp_torrent *t;
	void (*done)(void *ctx, struct sp_metainfo *mi, int err);
	void *ctx;
	uint32_t size;         /* 0 while no size is taken */
	struct sp_meta_asm *asm_;
	int64_t progress_us; /* sized, or the last new piece */
	uint32_t bad_size;   /* the last size dropped */
	bool finished;
};

struct sp_meta *sp_meta_new(struct sp_torrent *t,
			    void (*done)(void *ctx, struct sp_metainfo *mi, int err), void *ctx)
{
	struct sp_meta *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->t = t;
	m->done = done;
	m->ctx = ctx;
	return m;
}

void sp_meta_free(struct sp_meta *m)
{
	if (!m)
		return;
	sp_meta_asm_free(m->asm_);
	free(m);
}

static int send_msg(struct sp_peer *p, int type, uint32_t piece, uint32_t total,
		    const uint8_t *data, size_t len)
{
	struct sp_buf d, msg;
	sp_buf_init(&d, META_PIECE + 128);
	sp_buf_init(&msg, META_PIECE + 256);
	sp_benc_dict_begin(&d);
	sp_benc_put_cstr(&d, "msg_type");
	sp_benc_put_int(&d, type);
	sp_benc_put_cstr(&d, "piece");
	sp_benc_put_int(&d, piece);
	if (type == MSG_DATA) {
		sp_benc_put_cstr(&d, "total_size");
		sp_benc_put_int(&d, total);
	}
	int r = sp_benc_end(&d);
	if (r == 0 && data)
		r = sp_buf_append(&d, data, len);
	if (r == 0)
		r = sp_wire_build_extended(&msg, p->ut_metadata, d.data, d.len);
	if (r == 0 && !p->closing)
		sp_peer_write(p, msg.data, msg.len);
	sp_buf_fini(&d);
	sp_buf_fini(&msg);
	return r;
}

static int size_buffer(struct sp_meta *m, uint32_t size)
{
	if (size == 0 || size > META_MAX)
		return -EOVERFLOW;
	if (!(m->asm_ = sp_meta_asm_new(size, m->t->mi->info_hash)))
		return -ENOMEM;
	m->size = size;
	m->progress_us = sp_now_us();
	return 0;
}

/* Forget the size (and what was fetched for it): see the top comment. */
static void drop_size(struct sp_meta *m)
{
	sp_meta_asm_free(m->asm_);
	m->asm_ = NULL;
	m->bad_size = m->size;
	m->size = 0;
}

/* Does a connected peer offer the metadata with a size other than this? */
static bool other_size(struct sp_torrent *t, uint32_t size)
{
	for (struct sp_peer *q = t->peers; q; q = q->next)
		if (q->handshaked && !q->closing && q->ut_metadata && q->metadata_size &&
		    q->metadata_size <= META_MAX && q->metadata_size != size)
			return true;
	return false;
}

static void request_from(struct sp_meta *m, struct sp_peer *p)
{
	if (m->finished || !m->size || !p->ut_metadata || p->metadata_size != m->size ||
	    p->closing)
		return;
	int64_t now = sp_now_us(), i;
	for (int sent = 0; sent < META_BURST && (i = sp_meta_asm_next(m->asm_, &p->host, now)) >= 0;
	     sent++)
		send_msg(p, MSG_REQUEST, (uint32_t)i, 0, NULL, 0);
}

void sp_meta_peer_ready(struct sp_peer *p)
{
	struct sp_meta *m = p->t ? p->t->meta : NULL;
	if (!m || m->finished || !p->ut_metadata)
		return;
	if (!m->size) {
		if (p->metadata_size == m->bad_size && other_size(p->t, m->bad_size))
			return; /* another peer's size first */
		if (size_buffer(m, p->metadata_size) < 0)
			return;
	}
	request_from(m, p);
}

void sp_meta_tick(struct sp_torrent *t)
{
	struct sp_meta *m = t->meta;
	if (!m || m->finished)
		return;
	if (m->size && sp_now_us() - m->progress_us > META_STALL_US && other_size(t, m->size)) {
		SP_WARN(MOD, "no metadata piece for %d s from the peers announcing %u bytes: "
			     "trying another size",
			META_STALL_US / 1000000, m->size);
		drop_size(m);
	}
	for (struct sp_peer *p = t->peers; p; p = p->next)
		if (p->handshaked)
			sp_meta_peer_ready(p);
}

/* Liars are banned and closed as for corrupt pieces (torrent.c). */
static void ban_liars(struct sp_meta *m)
{
	struct sp_host liars[SP_META_ASM_LIARS];
	size_t n = sp_meta_asm_liars(m->asm_, liars, SP_META_ASM_LIARS);
	struct sp_torrent *t = m->t;
	for (size_t i = 0; i < n; i++) {
		char a[64];
		sp_host_str(&liars[i], a, sizeof(a));
		SP_WARN(MOD, "%s sent metadata that does not match the info-hash", a);
		sp_session_ban(t->s, &liars[i]);
	}
	for (struct sp_peer *p = t->peers; n && p; p = p->next)
		if (!p->closing && sp_session_banned(t->s, &p->host))
			sp_peer_close(p, "banned: lying metadata");
}

static void finish(struct sp_meta *m)
{
	struct sp_error *err = NULL;
	struct sp_metainfo *mi =
	    sp_metainfo_from_info(sp_meta_asm_bytes(m->asm_), m->size, m->t->mi, &err);
	int code = mi ? 0 : (err ? err->code : -EBADMSG);
	if (!mi)
		SP_WARN(MOD, "metadata rejected: %s", sp_error_msg(err));
	sp_error_free(err);
	m->finished = true;
	SP_INFO(MOD, "metadata complete (%u bytes)", m->size);
	m->done(m->ctx, mi, code);
}

static int on_data(struct sp_meta *m, struct sp_peer *p, int64_t piece, int64_t total,
		   const uint8_t *data, size_t len)
{
	if (!m || m->finished || !m->size || total != m->size)
		return 0; /* late (the size was dropped) or unasked: ignored */
	int r = sp_meta_asm_data(m->asm_, &p->host, piece, data, len, sp_now_us());
	if (r < 0 || r == SP_META_ASM_UNASKED)
		return r < 0 ? r : 0;
	m->progress_us = sp_now_us();
	if (r == SP_META_ASM_DONE) {
		ban_liars(m);
		finish(m);
	} else if (r == SP_META_ASM_MISMATCH) {
		SP_WARN(MOD, "metadata does not match the info-hash: fetching it again%s",
			sp_meta_asm_single(m->asm_) ? " from one peer at a time" : "");
		ban_liars(m);
		if (other_size(m->t, m->size))
			drop_size(m);
	}
	return 0;
}

/* Answers cost a token: META_SERVE_RATE per second, up to META_SERVE_BURST
 * (a whole info dictionary of a big torrent at once). */
static bool take_token(struct sp_peer *p)
{
	int64_t now = sp_now_us();
	if (!p->meta_tokens_us)
		p->meta_tokens = META_SERVE_BURST;
	else
		p->meta_tokens += (double)(now - p->meta_tokens_us) / 1e6 * META_SERVE_RATE;
	if (p->meta_tokens > META_SERVE_BURST)
		p->meta_tokens = META_SERVE_BURST;
	p->meta_tokens_us = now;
	if (p->meta_tokens < 1)
		return false;
	p->meta_tokens -= 1;
	return true;
}

static uint32_t info_pieces(const struct sp_torrent *t)
{
	const struct sp_metainfo *mi = t->mi;
	if (t->meta_only || !mi->info_raw)
		return 0;
	return (uint32_t)((mi->info_raw_len + META_PIECE - 1) / META_PIECE);
}

void sp_meta_serve(struct sp_peer *p)
{
	if (!p->meta_num_owed || p->closing || !p->t)
		return;
	const struct sp_metainfo *mi = p->t->mi;
	uint32_t n = info_pieces(p->t);
	struct evbuffer *out = bufferevent_get_output(p->bev);
	for (uint32_t i = 0; i < n && p->meta_num_owed; i++) {
		if (!(p->meta_owed[i / 8] & (1u << (i % 8))))
			continue;
		if (p->closing || evbuffer_get_length(out) >= SP_PEER_OUT_LOW_WATER || !take_token(p))
			return; /* the write callback or the tick comes back */
		p->meta_owed[i / 8] &= (uint8_t)~(1u << (i % 8));
		p->meta_num_owed--;
		size_t off = (size_t)i * META_PIECE;
		size_t len = mi->info_raw_len - off < META_PIECE ? mi->info_raw_len - off : META_PIECE;
		send_msg(p, MSG_DATA, i, (uint32_t)mi->info_raw_len, mi->info_raw + off, len);
	}
}

/* A request is owed once (a repeat while it is owed is dropped, and too
 * many of those close the peer), answered at a rate and only while the
 * peer reads what we send: a peer that asks without reading cannot make
 * us buffer replies. */
static int on_request(struct sp_torrent *t, struct sp_peer *p, int64_t piece)
{
	if (!p->ut_metadata || !p->ext_sent)
		return 0; /* it cannot know our id yet: not a request to us */
	uint32_t n = info_pieces(t);
	if (piece < 0 || (uint64_t)piece >= n) {
		if (take_token(p))
			send_msg(p, MSG_REJECT, piece < 0 ? 0 : (uint32_t)piece, 0, NULL, 0);
		else if (++p->meta_dropped > META_MAX_DROPPED)
			return -ENOBUFS;
		return 0;
	}
	if (!p->meta_owed && !(p->meta_owed = calloc((n + 7) / 8, 1)))
		return -ENOMEM;
	uint8_t bit = (uint8_t)(1u << (piece % 8));
	if (p->meta_owed[piece / 8] & bit) {
		if (++p->meta_dropped > META_MAX_DROPPED)
			return -ENOBUFS;
		return 0;
	}
	p->meta_owed[piece / 8] |= bit;
	p->meta_num_owed++;
	sp_meta_serve(p);
	return 0;
}

int sp_meta_on_message(struct sp_peer *p, const uint8_t *data, size_t len)
{
	struct sp_meta_msg msg;
	if (sp_meta_parse(data, len, &msg) < 0)
		return -EBADMSG;
	struct sp_meta *m = p->t->meta;
	if (msg.type == SP_META_REQUEST)
		return on_request(p->t, p, msg.piece);
	else if (msg.type == SP_META_DATA)
		return on_data(m, p, msg.piece, msg.total, msg.data, msg.len);
	else if (msg.type == SP_META_REJECT && m && m->size && !m->finished)
		sp_meta_asm_reject(m->asm_, &p->host, msg.piece);
	return 0;
}

void sp_meta_keep_candidates(struct sp_torrent *t)
{
	struct sp_session *s = t->s;
	while (s->meta_cands) {
		struct sp_candidate *c = s->meta_cands;
		s->meta_cands = c->next;
		free(c);
	}
	s->meta_cands = t->candidates;
	t->candidates = NULL;
	for (struct sp_candidate *c = s->meta_cands; c; c = c->next) {
		c->connected = false;
		c->fails = 0;
		if (c->next_try_us != INT64_MAX) /* INT64_MAX: ourselves */
			c->next_try_us = 0;
	}
	memcpy(s->meta_cands_ih, t->mi->info_hash, 20);
}
