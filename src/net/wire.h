/* wire.h - the BitTorrent peer wire codec (BEP 3, BEP 6 fast extension,
 * BEP 10 extended messages): parse and build messages, nothing else.
 *
 * Pure: no sockets, no clock, no allocation except into the caller's
 * sp_buf. The parser is incremental: it is handed whatever bytes have
 * arrived and either returns one whole message, -EAGAIN (need more), or
 * an error. Every declared length is checked against the message type's
 * ceiling as soon as the 5-byte header is there, before any body byte is
 * awaited, so a peer can never make us buffer more than
 * SP_WIRE_MAX_MSG bytes. Any thread. */
#ifndef SP_WIRE_H
#define SP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SP_WIRE_HANDSHAKE_LEN 68
#define SP_WIRE_BLOCK 16384u
/* Largest block we accept in a piece message (BEP 3 says 16 KiB; some
 * clients send up to 128 KiB when asked; we never ask for more than 16). */
#define SP_WIRE_MAX_BLOCK (128u * 1024u)
/* Largest extended message (a ut_metadata piece is 16 KiB + a header). */
#define SP_WIRE_MAX_EXT (64u * 1024u)
/* Ceiling on any one message's length field. */
#define SP_WIRE_MAX_MSG (SP_WIRE_MAX_BLOCK + 9u)

enum sp_wire_type {
	SP_WIRE_KEEPALIVE = -1,
	SP_WIRE_CHOKE = 0,
	SP_WIRE_UNCHOKE = 1,
	SP_WIRE_INTERESTED = 2,
	SP_WIRE_NOT_INTERESTED = 3,
	SP_WIRE_HAVE = 4,
	SP_WIRE_BITFIELD = 5,
	SP_WIRE_REQUEST = 6,
	SP_WIRE_PIECE = 7,
	SP_WIRE_CANCEL = 8,
	SP_WIRE_PORT = 9,
	SP_WIRE_SUGGEST = 13,
	SP_WIRE_HAVE_ALL = 14,
	SP_WIRE_HAVE_NONE = 15,
	SP_WIRE_REJECT = 16,
	SP_WIRE_ALLOWED_FAST = 17,
	SP_WIRE_EXTENDED = 20,
};

/* Reserved-byte flags of the handshake. */
#define SP_WIRE_RESERVED_EXT_BYTE 5 /* BEP 10: reserved[5] & 0x10 */
#define SP_WIRE_RESERVED_EXT_BIT 0x10
#define SP_WIRE_RESERVED_FAST_BYTE 7 /* BEP 6: reserved[7] & 0x04 */
#define SP_WIRE_RESERVED_FAST_BIT 0x04

struct sp_wire_handshake {
	uint8_t reserved[8];
	uint8_t info_hash[20];
	uint8_t peer_id[20];
};

static inline bool sp_wire_hs_fast(const struct sp_wire_handshake *hs)
{
	return hs->reserved[SP_WIRE_RESERVED_FAST_BYTE] & SP_WIRE_RESERVED_FAST_BIT;
}
static inline bool sp_wire_hs_ext(const struct sp_wire_handshake *hs)
{
	return hs->reserved[SP_WIRE_RESERVED_EXT_BYTE] & SP_WIRE_RESERVED_EXT_BIT;
}

/* One parsed message. Pointers borrow the parser's input. */
struct sp_wire_msg {
	int type;          /* enum sp_wire_type */
	uint32_t index;    /* have, request, piece, cancel, suggest, reject, allowed_fast */
	uint32_t begin;    /* request, piece, cancel, reject */
	uint32_t length;   /* request, cancel, reject; piece: data length */
	uint16_t port;     /* port */
	uint8_t ext_id;    /* extended */
	const uint8_t *data; /* bitfield bits, piece block, extended payload */
	size_t data_len;
};

/* Handshake: 19 "BitTorrent protocol" reserved[8] info_hash peer_id.
 * Parse returns 68, -EAGAIN if fewer bytes, -EPROTO if not BitTorrent. */
void sp_wire_build_handshake(uint8_t out[SP_WIRE_HANDSHAKE_LEN], const uint8_t reserved[8],
			     const uint8_t info_hash[20], const uint8_t peer_id[20]);
int sp_wire_parse_handshake(const uint8_t *buf, size_t len, struct sp_wire_handshake *hs);

/* Just the length check: given at least the first 4..5 bytes, returns the
 * whole message's size (prefix included), -EAGAIN if the header is not
 * complete, or -EOVERFLOW / -EPROTO if the declared length is impossible
 * for its type. num_pieces sizes the bitfield (0: unknown yet, any length
 * up to SP_WIRE_MAX_EXT). */
long sp_wire_frame_size(const uint8_t *buf, size_t len, uint32_t num_pieces);

/* Parse one message at the start of buf. Returns the bytes consumed (> 0),
 * -EAGAIN if incomplete, -EOVERFLOW (length too big), -EPROTO (wrong
 * length for the type, unknown type). */
long sp_wire_parse(const uint8_t *buf, size_t len, uint32_t num_pieces, struct sp_wire_msg *m);

/* Builders append to b; 0 or -EOVERFLOW/-ENOMEM from the buffer. */
int sp_wire_build_keepalive(struct sp_buf *b);
/* choke, unchoke, interested, not interested, have all, have none. */
int sp_wire_build_simple(struct sp_buf *b, enum sp_wire_type type);
/* have, suggest, allowed fast: one index. */
int sp_wire_build_index(struct sp_buf *b, enum sp_wire_type type, uint32_t index);
int sp_wire_build_bitfield(struct sp_buf *b, const uint8_t *bits, size_t nbytes);
/* request, cancel, reject. */
int sp_wire_build_request(struct sp_buf *b, enum sp_wire_type type, uint32_t index,
			  uint32_t begin, uint32_t length);
/* The 13-byte header of a piece message; the caller appends data_len bytes. */
int sp_wire_build_piece_header(struct sp_buf *b, uint32_t index, uint32_t begin,
			       uint32_t data_len);
int sp_wire_build_port(struct sp_buf *b, uint16_t port);
int sp_wire_build_extended(struct sp_buf *b, uint8_t ext_id, const void *payload, size_t len);

/* BEP 6 allowed-fast set: the k pieces a peer at IPv4 address ip (network
 * order bytes) may request while choked. Fills out[0..k), returns count. */
size_t sp_wire_allowed_fast(const uint8_t ip[4], const uint8_t info_hash[20],
			    uint32_t num_pieces, size_t k, uint32_t *out);

const char *sp_wire_type_name(int type);

#endif
