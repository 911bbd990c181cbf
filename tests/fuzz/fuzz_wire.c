/* fuzz_wire.c - libFuzzer target for the peer wire codec (src/net/wire.c):
 * the handshake and every message a peer sends, arriving in arbitrary
 * chunks.
 *
 * Input layout: byte 0 picks the torrent's piece count (0: a magnet that
 * has no metadata yet) and whether a handshake comes first; bytes 1..4
 * are the chunk sizes the stream is cut into (cycled); the rest is what
 * the peer sends.
 *
 * Invariants checked, besides "no crash, no sanitizer report":
 * - the stream decodes to the same messages and the same final error
 *   however it is chunked, both when the parser gets everything buffered
 *   and when it is driven as peer.c drives it (frame size from the
 *   5-byte header, then the parse of exactly that many bytes);
 * - while waiting for a body the declared size is at most
 *   SP_WIRE_MAX_MSG + 4, so a peer cannot make us buffer more;
 * - a decoded message respects its type's size (fixed sizes exact, the
 *   bitfield sized by the piece count, piece and extended payloads under
 *   their ceilings), its data lies inside the message, and the builders
 *   re-encode it to the very same bytes;
 * - the handshake is accepted only as 19 "BitTorrent protocol" and gives
 *   back the same 68 bytes through the builder; a foreign protocol is
 *   refused from its first differing byte, not after 68;
 * - the BEP 6 allowed-fast set has distinct indices below the count. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/wire.h"

#define MAX_MSGS 4096

struct result {
	long size; /* bytes consumed, or the final error */
	int type;
};

static void check_reencode(const uint8_t *raw, long size, const struct sp_wire_msg *m, uint32_t np)
{
	struct sp_buf b;
	sp_buf_init(&b, SP_WIRE_MAX_MSG + 16);
	int r = 0;
	if (m->data && (m->data < raw || m->data + m->data_len > raw + size))
		abort();
	switch (m->type) {
	case SP_WIRE_KEEPALIVE:
		r = sp_wire_build_keepalive(&b);
		break;
	case SP_WIRE_CHOKE:
	case SP_WIRE_UNCHOKE:
	case SP_WIRE_INTERESTED:
	case SP_WIRE_NOT_INTERESTED:
	case SP_WIRE_HAVE_ALL:
	case SP_WIRE_HAVE_NONE:
		r = sp_wire_build_simple(&b, (enum sp_wire_type)m->type);
		break;
	case SP_WIRE_HAVE:
	case SP_WIRE_SUGGEST:
	case SP_WIRE_ALLOWED_FAST:
		r = sp_wire_build_index(&b, (enum sp_wire_type)m->type, m->index);
		break;
	case SP_WIRE_BITFIELD:
		if (np && m->data_len != ((size_t)np + 7) / 8)
			abort();
		r = sp_wire_build_bitfield(&b, m->data, m->data_len);
		break;
	case SP_WIRE_REQUEST:
	case SP_WIRE_CANCEL:
	case SP_WIRE_REJECT:
		r = sp_wire_build_request(&b, (enum sp_wire_type)m->type, m->index, m->begin,
					  m->length);
		break;
	case SP_WIRE_PIECE:
		if (m->data_len > SP_WIRE_MAX_BLOCK || m->length != m->data_len)
			abort();
		r = sp_wire_build_piece_header(&b, m->index, m->begin, (uint32_t)m->data_len);
		if (r == 0)
			r = sp_buf_append(&b, m->data, m->data_len);
		break;
	case SP_WIRE_PORT:
		r = sp_wire_build_port(&b, m->port);
		break;
	case SP_WIRE_EXTENDED:
		if (m->data_len + 1 > SP_WIRE_MAX_EXT)
			abort();
		r = sp_wire_build_extended(&b, m->ext_id, m->data, m->data_len);
		break;
	default: /* unknown id: carried whole, no builder */
		if (m->type < 0 || m->type > 255 || m->data_len > SP_WIRE_MAX_EXT ||
		    m->data != raw + 5 || m->data_len != (size_t)size - 5)
			abort();
		sp_buf_fini(&b);
		return;
	}
	if (r < 0 || b.len != (size_t)size || memcmp(b.data, raw, b.len))
		abort();
	sp_buf_fini(&b);
}

/* Everything buffered at once: the reference decoding. */
static size_t decode_all(const uint8_t *s, size_t n, uint32_t np, struct result *out)
{
	size_t k = 0, pos = 0;
	while (k < MAX_MSGS - 1) {
		struct sp_wire_msg m;
		long r = sp_wire_parse(s + pos, n - pos, np, &m);
		long fs = sp_wire_frame_size(s + pos, n - pos, np);
		if (r > 0 ? fs != r
			  : (r != -EAGAIN ? fs != r : fs != -EAGAIN && fs <= (long)(n - pos)))
			abort(); /* the parse and the length check must agree */
		if (r == -EAGAIN && fs > (long)SP_WIRE_MAX_MSG + 4)
			abort(); /* waiting for more than the ceiling */
		out[k].size = r;
		if (r <= 0) {
			out[k].type = 0;
			return k + 1;
		}
		if (r > (long)SP_WIRE_MAX_MSG + 4 || !sp_wire_type_name(m.type))
			abort();
		check_reencode(s + pos, r, &m, np);
		out[k++].type = m.type;
		pos += (size_t)r;
	}
	return k; /* cut short: every entry is a message */
}

/* Driven as peer.c does, with bytes arriving in chunks. */
static size_t decode_chunked(const uint8_t *s, size_t n, uint32_t np, const uint8_t cut[4],
			     struct result *out, size_t max)
{
	size_t k = 0, pos = 0, have = 0;
	for (int c = 0; k < max;) {
		size_t avail = have - pos;
		long size = sp_wire_frame_size(s + pos, avail < 5 ? avail : 5, np);
		if (size == -EAGAIN || (size > 0 && (size_t)size > avail)) {
			if (have == n) { /* the peer has nothing more to say */
				out[k].size = -EAGAIN;
				out[k].type = 0;
				return k + 1;
			}
			size_t step = (size_t)cut[c++ % 4] + 1;
			have = have + step > n ? n : have + step;
			continue;
		}
		out[k].size = size;
		out[k].type = 0;
		if (size < 0)
			return k + 1;
		struct sp_wire_msg m;
		long used = sp_wire_parse(s + pos, (size_t)size, np, &m);
		if (used != size)
			abort();
		out[k++].type = m.type;
		pos += (size_t)size;
	}
	return k;
}

static void check_handshake(const uint8_t *s, size_t n, const uint8_t cut[4])
{
	static const char proto[] = "\x13"
				    "BitTorrent protocol";
	struct sp_wire_handshake hs;
	int full = sp_wire_parse_handshake(s, n, &hs);
	size_t same = 0;
	while (same < n && same < 20 && s[same] == (uint8_t)proto[same])
		same++;
	if ((same < 20 && same < n) != (full == -EPROTO))
		abort(); /* refused exactly when a protocol byte differs */
	if (full == SP_WIRE_HANDSHAKE_LEN) {
		uint8_t again[SP_WIRE_HANDSHAKE_LEN];
		sp_wire_build_handshake(again, hs.reserved, hs.info_hash, hs.peer_id);
		if (memcmp(again, s, sizeof(again)))
			abort();
		(void)sp_wire_hs_fast(&hs);
		(void)sp_wire_hs_ext(&hs);
	} else if (full != -EPROTO && !(full == -EAGAIN && n < SP_WIRE_HANDSHAKE_LEN)) {
		abort();
	}
	/* every prefix agrees with the whole: never accepted early, refused
	 * from the first wrong byte on */
	for (size_t have = 0, c = 0; have < n && have < SP_WIRE_HANDSHAKE_LEN;) {
		have += (size_t)cut[c++ % 4] + 1;
		if (have > n)
			have = n;
		int r = sp_wire_parse_handshake(s, have, &hs);
		if (r == -EAGAIN ? have >= SP_WIRE_HANDSHAKE_LEN || (full == -EPROTO && have > same)
				 : r != full)
			abort();
	}
}

static void check_allowed_fast(const uint8_t *s, size_t n, uint32_t np)
{
	if (n < 24)
		return;
	uint32_t out[10];
	size_t k = s[0] % 11;
	size_t got = sp_wire_allowed_fast(s, s + 4, np, k, out);
	if (got != (k < np ? k : np))
		abort();
	for (size_t i = 0; i < got; i++) {
		if (out[i] >= np)
			abort();
		for (size_t j = 0; j < i; j++)
			if (out[i] == out[j])
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct result whole[MAX_MSGS], chunked[MAX_MSGS];
	if (size < 5)
		return 0;
	/* low 7 bits: piece count (0 = unknown yet); some large counts so
	 * the bitfield length check meets big sizes too */
	static const uint32_t big[] = {1000, 8191, 65536, 1048575, 1048576 + 7};
	uint32_t np = data[0] & 0x7f;
	if (np >= 0x78)
		np = big[np - 0x78 < 5 ? np - 0x78 : 4];
	bool hs_first = data[0] & 0x80;
	const uint8_t *cut = data + 1;
	const uint8_t *s = data + 5;
	size_t n = size - 5;

	if (hs_first) {
		check_handshake(s, n, cut);
		if (n < SP_WIRE_HANDSHAKE_LEN)
			return 0;
		s += SP_WIRE_HANDSHAKE_LEN;
		n -= SP_WIRE_HANDSHAKE_LEN;
	}
	size_t nw = decode_all(s, n, np, whole);
	size_t nc = decode_chunked(s, n, np, cut, chunked, nw);
	if (nc != nw)
		abort();
	for (size_t i = 0; i < nw; i++)
		if (whole[i].size != chunked[i].size || whole[i].type != chunked[i].type)
			abort();
	check_allowed_fast(s, n, np);
	return 0;
}
