/* test_wire.c - the peer wire codec: every message built and parsed back,
 * every malformed length rejected from its header alone, incremental
 * parsing byte by byte. */
#include "net/wire.h"
#include "harness.h"

#include <errno.h>
#include <stdlib.h>

#define NP 100 /* pieces: bitfield of 13 bytes */

static struct sp_buf all_messages(void)
{
	struct sp_buf b;
	sp_buf_init(&b, 1 << 20);
	uint8_t bits[13] = {0xff, 0x01};
	uint8_t block[SP_WIRE_BLOCK];
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(i * 7);
	SP_CHECK_INT(sp_wire_build_keepalive(&b), 0);
	SP_CHECK_INT(sp_wire_build_simple(&b, SP_WIRE_CHOKE), 0);
	SP_CHECK_INT(sp_wire_build_simple(&b, SP_WIRE_UNCHOKE), 0);
	SP_CHECK_INT(sp_wire_build_simple(&b, SP_WIRE_INTERESTED), 0);
	SP_CHECK_INT(sp_wire_build_simple(&b, SP_WIRE_NOT_INTERESTED), 0);
	SP_CHECK_INT(sp_wire_build_index(&b, SP_WIRE_HAVE, 42), 0);
	SP_CHECK_INT(sp_wire_build_bitfield(&b, bits, sizeof(bits)), 0);
	SP_CHECK_INT(sp_wire_build_request(&b, SP_WIRE_REQUEST, 7, 16384, 16384), 0);
	SP_CHECK_INT(sp_wire_build_piece_header(&b, 7, 16384, sizeof(block)), 0);
	SP_CHECK_INT(sp_buf_append(&b, block, sizeof(block)), 0);
	SP_CHECK_INT(sp_wire_build_request(&b, SP_WIRE_CANCEL, 7, 16384, 16384), 0);
	SP_CHECK_INT(sp_wire_build_port(&b, 6881), 0);
	SP_CHECK_INT(sp_wire_build_index(&b, SP_WIRE_SUGGEST, 3), 0);
	SP_CHECK_INT(sp_wire_build_simple(&b, SP_WIRE_HAVE_ALL), 0);
	SP_CHECK_INT(sp_wire_build_simple(&b, SP_WIRE_HAVE_NONE), 0);
	SP_CHECK_INT(sp_wire_build_request(&b, SP_WIRE_REJECT, 9, 0, 1000), 0);
	SP_CHECK_INT(sp_wire_build_index(&b, SP_WIRE_ALLOWED_FAST, 99), 0);
	SP_CHECK_INT(sp_wire_build_extended(&b, 0, "d1:v2:spe", 9), 0);
	return b;
}

static const int expected_types[] = {
	SP_WIRE_KEEPALIVE, SP_WIRE_CHOKE, SP_WIRE_UNCHOKE, SP_WIRE_INTERESTED,
	SP_WIRE_NOT_INTERESTED, SP_WIRE_HAVE, SP_WIRE_BITFIELD, SP_WIRE_REQUEST,
	SP_WIRE_PIECE, SP_WIRE_CANCEL, SP_WIRE_PORT, SP_WIRE_SUGGEST,
	SP_WIRE_HAVE_ALL, SP_WIRE_HAVE_NONE, SP_WIRE_REJECT, SP_WIRE_ALLOWED_FAST,
	SP_WIRE_EXTENDED,
};
#define NTYPES (sizeof(expected_types) / sizeof(expected_types[0]))

static void check_fields(size_t i, const struct sp_wire_msg *m)
{
	SP_CHECK_INT(m->type, expected_types[i]);
	switch (m->type) {
	case SP_WIRE_HAVE: SP_CHECK_UINT(m->index, 42); break;
	case SP_WIRE_BITFIELD:
		SP_CHECK_UINT(m->data_len, 13);
		SP_CHECK_UINT(m->data[0], 0xff);
		SP_CHECK_UINT(m->data[1], 0x01);
		break;
	case SP_WIRE_REQUEST:
	case SP_WIRE_CANCEL:
		SP_CHECK_UINT(m->index, 7);
		SP_CHECK_UINT(m->begin, 16384);
		SP_CHECK_UINT(m->length, 16384);
		break;
	case SP_WIRE_PIECE:
		SP_CHECK_UINT(m->index, 7);
		SP_CHECK_UINT(m->begin, 16384);
		SP_CHECK_UINT(m->data_len, SP_WIRE_BLOCK);
		SP_CHECK_UINT(m->data[100], (uint8_t)700);
		break;
	case SP_WIRE_PORT: SP_CHECK_UINT(m->port, 6881); break;
	case SP_WIRE_SUGGEST: SP_CHECK_UINT(m->index, 3); break;
	case SP_WIRE_REJECT:
		SP_CHECK_UINT(m->index, 9);
		SP_CHECK_UINT(m->length, 1000);
		break;
	case SP_WIRE_ALLOWED_FAST: SP_CHECK_UINT(m->index, 99); break;
	case SP_WIRE_EXTENDED:
		SP_CHECK_UINT(m->ext_id, 0);
		SP_CHECK_UINT(m->data_len, 9);
		SP_CHECK_MEM(m->data, "d1:v2:spe", 9);
		break;
	default: break;
	}
}

SP_TEST(every_type_round_trips)
{
	struct sp_buf b = all_messages();
	size_t off = 0, i = 0;
	while (off < b.len) {
		struct sp_wire_msg m;
		long n = sp_wire_parse(b.data + off, b.len - off, NP, &m);
		SP_CHECK_CMP(n, >, 0);
		SP_CHECK(i < NTYPES);
		check_fields(i, &m);
		off += (size_t)n;
		i++;
	}
	SP_CHECK_UINT(i, NTYPES);
	sp_buf_fini(&b);
}

/* Bytes arrive one at a time: every prefix of a message is -EAGAIN and
 * the whole message parses exactly once. */
SP_TEST(incremental_byte_by_byte)
{
	struct sp_buf b = all_messages();
	size_t start = 0, i = 0;
	for (size_t avail = 1; avail <= b.len; avail++) {
		struct sp_wire_msg m;
		long n = sp_wire_parse(b.data + start, avail - start, NP, &m);
		if (n == -EAGAIN)
			continue;
		SP_CHECK_INT(n, (long)(avail - start));
		check_fields(i, &m);
		start = avail;
		i++;
	}
	SP_CHECK_UINT(i, NTYPES);
	SP_CHECK_UINT(start, b.len);
	sp_buf_fini(&b);
}

static long frame(uint32_t mlen, int id)
{
	uint8_t h[5] = {(uint8_t)(mlen >> 24), (uint8_t)(mlen >> 16), (uint8_t)(mlen >> 8),
			(uint8_t)mlen, (uint8_t)id};
	return sp_wire_frame_size(h, 5, NP);
}

SP_TEST(bad_lengths_rejected_from_header)
{
	/* fixed-size messages with a wrong length */
	SP_CHECK_INT(frame(2, SP_WIRE_CHOKE), -EPROTO);
	SP_CHECK_INT(frame(2, SP_WIRE_HAVE_ALL), -EPROTO);
	SP_CHECK_INT(frame(4, SP_WIRE_HAVE), -EPROTO);
	SP_CHECK_INT(frame(6, SP_WIRE_HAVE), -EPROTO);
	SP_CHECK_INT(frame(12, SP_WIRE_REQUEST), -EPROTO);
	SP_CHECK_INT(frame(14, SP_WIRE_CANCEL), -EPROTO);
	SP_CHECK_INT(frame(1, SP_WIRE_REJECT), -EPROTO);
	SP_CHECK_INT(frame(2, SP_WIRE_PORT), -EPROTO);
	SP_CHECK_INT(frame(6, SP_WIRE_ALLOWED_FAST), -EPROTO);
	/* bitfield must be exactly ceil(NP/8) bytes */
	SP_CHECK_INT(frame(13, SP_WIRE_BITFIELD), -EPROTO);
	SP_CHECK_INT(frame(15, SP_WIRE_BITFIELD), -EPROTO);
	SP_CHECK_INT(frame(14, SP_WIRE_BITFIELD), 18);
	/* before a magnet's metadata the piece count is unknown (0) */
	uint8_t bf[5] = {0, 0, 0, 40, SP_WIRE_BITFIELD};
	SP_CHECK_INT(sp_wire_frame_size(bf, 5, 0), 44);
	uint8_t bf2[5] = {0, 2, 0, 40, SP_WIRE_BITFIELD};
	SP_CHECK_INT(sp_wire_frame_size(bf2, 5, 0), -EOVERFLOW);
	/* piece shorter than its header, block too big, whole message huge */
	SP_CHECK_INT(frame(8, SP_WIRE_PIECE), -EPROTO);
	SP_CHECK_INT(frame(9 + SP_WIRE_MAX_BLOCK, SP_WIRE_PIECE), (long)SP_WIRE_MAX_BLOCK + 13);
	SP_CHECK_INT(frame(10 + SP_WIRE_MAX_BLOCK, SP_WIRE_PIECE), -EOVERFLOW);
	SP_CHECK_INT(frame(0xffffffffu, SP_WIRE_PIECE), -EOVERFLOW);
	SP_CHECK_INT(frame(1, SP_WIRE_EXTENDED), -EPROTO);
	SP_CHECK_INT(frame(SP_WIRE_MAX_EXT + 2, SP_WIRE_EXTENDED), -EOVERFLOW);
	SP_CHECK_INT(frame(SP_WIRE_MAX_EXT + 2, 99), -EOVERFLOW);
	SP_CHECK_INT(frame(3, 99), 7); /* unknown ids are skippable */
	/* a huge length is refused from the 4-byte prefix alone */
	uint8_t huge[4] = {0x7f, 0xff, 0xff, 0xff};
	SP_CHECK_INT(sp_wire_frame_size(huge, 4, NP), -EOVERFLOW);
	struct sp_wire_msg m;
	SP_CHECK_INT(sp_wire_parse(huge, 4, NP, &m), -EOVERFLOW);
	SP_CHECK_INT(sp_wire_parse(huge, 3, NP, &m), -EAGAIN);
}

SP_TEST(handshake)
{
	uint8_t res[8] = {0}, ih[20], id[20], out[SP_WIRE_HANDSHAKE_LEN];
	memset(ih, 0xab, 20);
	memcpy(id, "-SP0001-abcdefghijkl", 20);
	res[SP_WIRE_RESERVED_EXT_BYTE] |= SP_WIRE_RESERVED_EXT_BIT;
	res[SP_WIRE_RESERVED_FAST_BYTE] |= SP_WIRE_RESERVED_FAST_BIT;
	sp_wire_build_handshake(out, res, ih, id);
	struct sp_wire_handshake hs;
	for (size_t n = 0; n < sizeof(out); n++)
		SP_CHECK_INT(sp_wire_parse_handshake(out, n, &hs), -EAGAIN);
	SP_CHECK_INT(sp_wire_parse_handshake(out, sizeof(out), &hs), 68);
	SP_CHECK_MEM(hs.info_hash, ih, 20);
	SP_CHECK_MEM(hs.peer_id, id, 20);
	SP_CHECK(sp_wire_hs_fast(&hs));
	SP_CHECK(sp_wire_hs_ext(&hs));
	out[5] = 'X';
	SP_CHECK_INT(sp_wire_parse_handshake(out, 6, &hs), -EPROTO);
	SP_CHECK_INT(sp_wire_parse_handshake((const uint8_t *)"GET / HTTP/1.1", 14, &hs), -EPROTO);
}

/* BEP 6's published example: 80.4.4.200, info-hash all 0xaa, 1313
 * pieces, k=7 gives 1059,431,808,1217,287,376,1188. */
SP_TEST(allowed_fast_matches_bep6)
{
	uint8_t ip[4] = {80, 4, 4, 200}, ih[20];
	memset(ih, 0xaa, 20);
	uint32_t out[9];
	SP_CHECK_UINT(sp_wire_allowed_fast(ip, ih, 1313, 7, out), 7);
	static const uint32_t want7[] = {1059, 431, 808, 1217, 287, 376, 1188};
	for (int i = 0; i < 7; i++)
		SP_CHECK_UINT(out[i], want7[i]);
	SP_CHECK_UINT(sp_wire_allowed_fast(ip, ih, 1313, 9, out), 9);
	SP_CHECK_UINT(out[7], 353);
	SP_CHECK_UINT(out[8], 508);
	SP_CHECK_UINT(sp_wire_allowed_fast(ip, ih, 3, 9, out), 3);
}

SP_TEST(builders_respect_ceiling)
{
	struct sp_buf b;
	sp_buf_init(&b, 16);
	uint8_t bits[40] = {0};
	SP_CHECK_INT(sp_wire_build_bitfield(&b, bits, sizeof(bits)), -EOVERFLOW);
	SP_CHECK_UINT(b.len, 0);
	SP_CHECK_INT(sp_wire_build_request(&b, SP_WIRE_REQUEST, 1, 2, 3), -EOVERFLOW);
	SP_CHECK_INT(sp_wire_build_index(&b, SP_WIRE_HAVE, 1), 0);
	SP_CHECK_UINT(b.len, 9);
	sp_buf_fini(&b);
}

/* Random bytes, biased towards plausible headers: the parser never reads
 * past its input, never claims more than it was given, and what it
 * accepts re-parses identically from an exact-size copy (ASan checks the
 * bounds in CI). */
SP_TEST(random_input_is_safe)
{
	uint32_t x = 12345;
	int accepted = 0;
	for (int iter = 0; iter < 200000; iter++) {
		uint8_t buf[64];
		size_t len = 0;
		x = x * 1103515245u + 12345u;
		size_t want = (x >> 16) % sizeof(buf);
		for (; len < want; len++) {
			x = x * 1103515245u + 12345u;
			buf[len] = (uint8_t)(x >> 24);
		}
		if (len >= 5 && (x & 1)) { /* a small declared length, a known id */
			buf[0] = buf[1] = buf[2] = 0;
			buf[3] = (uint8_t)(len - 4 - (x >> 8) % 3);
			buf[4] = (uint8_t)((x >> 12) % 21);
		}
		uint8_t *exact = malloc(len ? len : 1);
		memcpy(exact, buf, len);
		struct sp_wire_msg m;
		long n = sp_wire_parse(exact, len, 37, &m);
		if (n > 0) {
			SP_CHECK_CMP(n, <=, (long)len);
			if (m.data)
				SP_CHECK(m.data >= exact && m.data + m.data_len <= exact + n);
			struct sp_wire_msg m2;
			SP_CHECK_INT(sp_wire_parse(exact, (size_t)n, 37, &m2), n);
			SP_CHECK_INT(m2.type, m.type);
			accepted++;
		} else {
			SP_CHECK(n == -EAGAIN || n == -EPROTO || n == -EOVERFLOW);
		}
		free(exact);
	}
	SP_CHECK_CMP(accepted, >, 1000); /* the bias reaches the accepting paths */
}

SP_TEST_MAIN()
