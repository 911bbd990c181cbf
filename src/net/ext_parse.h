/* ext_parse.h - the parsing half of the BEP 10 extended messages a peer
 * sends: its extended handshake, BEP 11 ut_pex and BEP 9 ut_metadata.
 *
 * Pure: bytes in, a struct out, no peer or session state, so that a fuzz
 * target and a unit test can drive them; ext.c, pex.c and metadata.c act
 * on the result. Every function returns 0 or -EBADMSG (not bencode, not a
 * dictionary, a required key missing or malformed); out is filled only
 * as far as the message allows, never read beyond data + len. Any thread. */
#ifndef SP_EXT_PARSE_H
#define SP_EXT_PARSE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* BEP 10 handshake: what we keep of it. Values out of range count as
 * absent (0). */
struct sp_ext_hs {
	char client[64];	/* "v": printable ASCII ('?' for others), cut, NUL-ended */
	uint32_t reqq;		/* "reqq" > 0, saturated at UINT32_MAX; 0 = absent */
	uint8_t ut_metadata;	/* m.ut_metadata in 1..255 */
	uint8_t ut_pex;		/* m.ut_pex in 1..255 */
	uint8_t sp_playpos;	/* m.sp_playpos in 1..255 (ours: playpos_msg.h) */
	uint16_t listen_port;	/* "p" in 1..65535 */
	uint32_t metadata_size; /* "metadata_size" in 1..UINT32_MAX */
	uint8_t yourip[16];	/* "yourip": our address as the peer sees it */
	uint8_t yourip_len;	/* 4 or 16; 0 when absent or another length */
};
int sp_ext_parse_handshake(const uint8_t *data, size_t len, struct sp_ext_hs *hs);

/* BEP 11 ut_pex: the "added" IPv4 peers (compact, 6 bytes each) and the
 * "added6" IPv6 ones (18 bytes each); a length not a multiple of the
 * entry's is malformed. At most SP_PEX_MAX entries of each are looked
 * at; of those, the ones with a zero port or an address no peer can have
 * (0.0.0.0; ::, multicast ff00::/8, IPv4-mapped ::ffff:0:0/96) are left
 * out. */
#define SP_PEX_MAX 50
struct sp_pex_msg {
	size_t seen; /* entries looked at (<= SP_PEX_MAX) */
	size_t n;    /* entries kept in added[] */
	struct sockaddr_in added[SP_PEX_MAX];
	size_t seen6, n6; /* the same for added6 */
	struct sockaddr_in6 added6[SP_PEX_MAX];
};
int sp_pex_parse(const uint8_t *data, size_t len, struct sp_pex_msg *m);

/* BEP 9 ut_metadata: a bencoded dictionary with integer msg_type and
 * piece (both required) and total_size, followed by the piece's bytes for
 * a data message. data/len are those trailing bytes (pointing into the
 * input). */
enum { SP_META_REQUEST = 0, SP_META_DATA = 1, SP_META_REJECT = 2 };
struct sp_meta_msg {
	int64_t type;  /* any integer: callers ignore types they do not know */
	int64_t piece; /* any integer: callers check the range */
	int64_t total; /* total_size, -1 when absent */
	const uint8_t *data;
	size_t len;
};
int sp_meta_parse(const uint8_t *data, size_t len, struct sp_meta_msg *m);

#endif
