/* wire.c - BitTorrent peer wire codec (BEP 3, 6, 10). Pure; any thread.
 *
 * Invariant: sp_wire_parse never reads past buf + len, never waits for a
 * body whose declared length exceeds that type's ceiling (checked from
 * the 5-byte header alone), and rejects fixed-size messages whose length
 * field is not exactly right. Unknown message ids are consumed and
 * reported as their id with the payload in data, within SP_WIRE_MAX_EXT,
 * so the caller may ignore them as BEP 3 asks. */
#include "net/wire.h"

#include <errno.h>
#include <string.h>

#include "core/sha1.h"

static const char pstr[] = "BitTorrent protocol";

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void sp_wire_build_handshake(uint8_t out[SP_WIRE_HANDSHAKE_LEN], const uint8_t reserved[8],
			     const uint8_t info_hash[20], const uint8_t peer_id[20])
{
	out[0] = 19;
	memcpy(out + 1, pstr, 19);
	memcpy(out + 20, reserved, 8);
	memcpy(out + 28, info_hash, 20);
	memcpy(out + 48, peer_id, 20);
}

int sp_wire_parse_handshake(const uint8_t *buf, size_t len, struct sp_wire_handshake *hs)
{
	/* Reject a foreign protocol as soon as its first bytes differ. */
	size_t n = len < 20 ? len : 20;
	if (n >= 1 && buf[0] != 19)
		return -EPROTO;
	if (n > 1 && memcmp(buf + 1, pstr, n - 1))
		return -EPROTO;
	if (len < SP_WIRE_HANDSHAKE_LEN)
		return -EAGAIN;
	memcpy(hs->reserved, buf + 20, 8);
	memcpy(hs->info_hash, buf + 28, 20);
	memcpy(hs->peer_id, buf + 48, 20);
	return SP_WIRE_HANDSHAKE_LEN;
}

/* Exact payload length (after the id byte) of fixed-size messages; -1 for
 * variable ones. */
static long fixed_payload(int id)
{
	switch (id) {
	case SP_WIRE_CHOKE:
	case SP_WIRE_UNCHOKE:
	case SP_WIRE_INTERESTED:
	case SP_WIRE_NOT_INTERESTED:
	case SP_WIRE_HAVE_ALL:
	case SP_WIRE_HAVE_NONE:
		return 0;
	case SP_WIRE_HAVE:
	case SP_WIRE_SUGGEST:
	case SP_WIRE_ALLOWED_FAST:
		return 4;
	case SP_WIRE_REQUEST:
	case SP_WIRE_CANCEL:
	case SP_WIRE_REJECT:
		return 12;
	case SP_WIRE_PORT:
		return 2;
	default:
		return -1;
	}
}

long sp_wire_frame_size(const uint8_t *buf, size_t len, uint32_t num_pieces)
{
	if (len < 4)
		return -EAGAIN;
	uint32_t mlen = get32(buf);
	if (mlen == 0)
		return 4;
	if (mlen > SP_WIRE_MAX_MSG)
		return -EOVERFLOW;
	if (len < 5)
		return -EAGAIN;
	int id = buf[4];
	long payload = (long)mlen - 1;
	long fixed = fixed_payload(id);
	if (fixed >= 0)
		return payload == fixed ? (long)mlen + 4 : -EPROTO;
	switch (id) {
	case SP_WIRE_BITFIELD:
		/* num_pieces 0: not known yet (a magnet before its metadata) */
		if (num_pieces == 0 ? payload > (long)SP_WIRE_MAX_EXT
				    : (size_t)payload != ((size_t)num_pieces + 7) / 8)
			return num_pieces == 0 ? -EOVERFLOW : -EPROTO;
		break;
	case SP_WIRE_PIECE:
		if (payload < 8)
			return -EPROTO;
		if (payload - 8 > (long)SP_WIRE_MAX_BLOCK)
			return -EOVERFLOW;
		break;
	default: /* extended and unknown ids */
		if (payload < (id == SP_WIRE_EXTENDED ? 1 : 0))
			return -EPROTO;
		if (payload > (long)SP_WIRE_MAX_EXT)
			return -EOVERFLOW;
		break;
	}
	return (long)mlen + 4;
}

long sp_wire_parse(const uint8_t *buf, size_t len, uint32_t num_pieces, struct sp_wire_msg *m)
{
	long size = sp_wire_frame_size(buf, len, num_pieces);
	if (size < 0)
		return size;
	if ((size_t)size > len)
		return -EAGAIN;
	memset(m, 0, sizeof(*m));
	if (size == 4) {
		m->type = SP_WIRE_KEEPALIVE;
		return 4;
	}
	const uint8_t *p = buf + 5;
	size_t plen = (size_t)size - 5;
	m->type = buf[4];
	switch (m->type) {
	case SP_WIRE_HAVE:
	case SP_WIRE_SUGGEST:
	case SP_WIRE_ALLOWED_FAST:
		m->index = get32(p);
		break;
	case SP_WIRE_REQUEST:
	case SP_WIRE_CANCEL:
	case SP_WIRE_REJECT:
		m->index = get32(p);
		m->begin = get32(p + 4);
		m->length = get32(p + 8);
		break;
	case SP_WIRE_PORT:
		m->port = (uint16_t)(p[0] << 8 | p[1]);
		break;
	case SP_WIRE_PIECE:
		m->index = get32(p);
		m->begin = get32(p + 4);
		m->data = p + 8;
		m->data_len = plen - 8;
		m->length = (uint32_t)m->data_len;
		break;
	case SP_WIRE_EXTENDED:
		m->ext_id = p[0];
		m->data = p + 1;
		m->data_len = plen - 1;
		break;
	default: /* bitfield, and unknown ids carried as raw payload */
		m->data = p;
		m->data_len = plen;
		break;
	}
	return size;
}

static int put_header(struct sp_buf *b, uint32_t mlen, uint8_t id)
{
	uint8_t h[5];
	put32(h, mlen);
	h[4] = id;
	return sp_buf_append(b, h, 5);
}

int sp_wire_build_keepalive(struct sp_buf *b)
{
	static const uint8_t zero[4];
	return sp_buf_append(b, zero, 4);
}

int sp_wire_build_simple(struct sp_buf *b, enum sp_wire_type type)
{
	return put_header(b, 1, (uint8_t)type);
}

int sp_wire_build_index(struct sp_buf *b, enum sp_wire_type type, uint32_t index)
{
	uint8_t m[9];
	put32(m, 5);
	m[4] = (uint8_t)type;
	put32(m + 5, index);
	return sp_buf_append(b, m, sizeof(m));
}

int sp_wire_build_bitfield(struct sp_buf *b, const uint8_t *bits, size_t nbytes)
{
	size_t old = b->len;
	int r = put_header(b, (uint32_t)nbytes + 1, SP_WIRE_BITFIELD);
	if (r == 0)
		r = sp_buf_append(b, bits, nbytes);
	if (r < 0)
		b->len = old;
	return r;
}

int sp_wire_build_request(struct sp_buf *b, enum sp_wire_type type, uint32_t index,
			  uint32_t begin, uint32_t length)
{
	uint8_t m[17];
	put32(m, 13);
	m[4] = (uint8_t)type;
	put32(m + 5, index);
	put32(m + 9, begin);
	put32(m + 13, length);
	return sp_buf_append(b, m, sizeof(m));
}

int sp_wire_build_piece_header(struct sp_buf *b, uint32_t index, uint32_t begin,
			       uint32_t data_len)
{
	uint8_t m[13];
	put32(m, data_len + 9);
	m[4] = SP_WIRE_PIECE;
	put32(m + 5, index);
	put32(m + 9, begin);
	return sp_buf_append(b, m, sizeof(m));
}

int sp_wire_build_port(struct sp_buf *b, uint16_t port)
{
	uint8_t m[7];
	put32(m, 3);
	m[4] = SP_WIRE_PORT;
	m[5] = (uint8_t)(port >> 8);
	m[6] = (uint8_t)port;
	return sp_buf_append(b, m, sizeof(m));
}

int sp_wire_build_extended(struct sp_buf *b, uint8_t ext_id, const void *payload, size_t len)
{
	if (len > SP_WIRE_MAX_EXT - 1)
		return -EOVERFLOW;
	size_t old = b->len;
	uint8_t h[6];
	put32(h, (uint32_t)len + 2);
	h[4] = SP_WIRE_EXTENDED;
	h[5] = ext_id;
	int r = sp_buf_append(b, h, sizeof(h));
	if (r == 0)
		r = sp_buf_append(b, payload, len);
	if (r < 0)
		b->len = old;
	return r;
}

/* BEP 6: x = ip & 255.255.255.0 + info_hash, hashed repeatedly; each
 * 20-byte digest yields five candidate indices. */
size_t sp_wire_allowed_fast(const uint8_t ip[4], const uint8_t info_hash[20],
			    uint32_t num_pieces, size_t k, uint32_t *out)
{
	if (num_pieces == 0)
		return 0;
	if (k > num_pieces)
		k = num_pieces;
	uint8_t x[24];
	x[0] = ip[0];
	x[1] = ip[1];
	x[2] = ip[2];
	x[3] = 0;
	memcpy(x + 4, info_hash, 20);
	uint8_t h[SP_SHA1_LEN];
	size_t n = 0;
	sp_sha1(x, sizeof(x), h);
	/* A bounded loop: each round adds up to 5 candidates; duplicates
	 * only slow it down when k approaches num_pieces. */
	for (int rounds = 0; n < k && rounds < 10000; rounds++) {
		for (int i = 0; i < 5 && n < k; i++) {
			uint32_t idx = get32(h + 4 * i) % num_pieces;
			bool dup = false;
			for (size_t j = 0; j < n; j++)
				dup |= out[j] == idx;
			if (!dup)
				out[n++] = idx;
		}
		uint8_t prev[SP_SHA1_LEN];
		memcpy(prev, h, sizeof(prev));
		sp_sha1(prev, sizeof(prev), h);
	}
	return n;
}

const char *sp_wire_type_name(int type)
{
	switch (type) {
	case SP_WIRE_KEEPALIVE: return "keep-alive";
	case SP_WIRE_CHOKE: return "choke";
	case SP_WIRE_UNCHOKE: return "unchoke";
	case SP_WIRE_INTERESTED: return "interested";
	case SP_WIRE_NOT_INTERESTED: return "not-interested";
	case SP_WIRE_HAVE: return "have";
	case SP_WIRE_BITFIELD: return "bitfield";
	case SP_WIRE_REQUEST: return "request";
	case SP_WIRE_PIECE: return "piece";
	case SP_WIRE_CANCEL: return "cancel";
	case SP_WIRE_PORT: return "port";
	case SP_WIRE_SUGGEST: return "suggest";
	case SP_WIRE_HAVE_ALL: return "have-all";
	case SP_WIRE_HAVE_NONE: return "have-none";
	case SP_WIRE_REJECT: return "reject";
	case SP_WIRE_ALLOWED_FAST: return "allowed-fast";
	case SP_WIRE_EXTENDED: return "extended";
	default: return "unknown";
	}
}
