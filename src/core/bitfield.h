/* bitfield.h - a fixed-size bit set in BitTorrent's wire order (bit 0 is
 * the high bit of byte 0). Not thread-safe: its owner guards it. */
#ifndef SP_BITFIELD_H
#define SP_BITFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sp_bitfield {
	uint8_t *bits;
	uint32_t nbits;
	uint32_t count; /* bits set */
};

int sp_bitfield_init(struct sp_bitfield *bf, uint32_t nbits);
void sp_bitfield_fini(struct sp_bitfield *bf);
static inline size_t sp_bitfield_bytes(uint32_t nbits) { return ((size_t)nbits + 7) / 8; }
static inline bool sp_bitfield_get(const struct sp_bitfield *bf, uint32_t i)
{
	return i < bf->nbits && (bf->bits[i >> 3] & (0x80u >> (i & 7)));
}
void sp_bitfield_set(struct sp_bitfield *bf, uint32_t i);
void sp_bitfield_clear(struct sp_bitfield *bf, uint32_t i);
void sp_bitfield_set_all(struct sp_bitfield *bf);
void sp_bitfield_clear_all(struct sp_bitfield *bf);
static inline bool sp_bitfield_full(const struct sp_bitfield *bf) { return bf->count == bf->nbits; }
/* Load wire bytes; -EPROTO if the spare bits at the end are set. */
int sp_bitfield_load(struct sp_bitfield *bf, const uint8_t *bytes, size_t len);

#endif
