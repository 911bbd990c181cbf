/* bitfield.c - bit set in wire order. Pure; owner's thread. */
#include "core/bitfield.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sp_bitfield_init(struct sp_bitfield *bf, uint32_t nbits)
{
	bf->nbits = nbits;
	bf->count = 0;
	bf->bits = calloc(sp_bitfield_bytes(nbits) ? sp_bitfield_bytes(nbits) : 1, 1);
	return bf->bits ? 0 : -ENOMEM;
}

void sp_bitfield_fini(struct sp_bitfield *bf)
{
	free(bf->bits);
	bf->bits = NULL;
	bf->nbits = bf->count = 0;
}

void sp_bitfield_set(struct sp_bitfield *bf, uint32_t i)
{
	if (i >= bf->nbits || sp_bitfield_get(bf, i))
		return;
	bf->bits[i >> 3] |= (uint8_t)(0x80u >> (i & 7));
	bf->count++;
}

void sp_bitfield_clear(struct sp_bitfield *bf, uint32_t i)
{
	if (i >= bf->nbits || !sp_bitfield_get(bf, i))
		return;
	bf->bits[i >> 3] &= (uint8_t) ~(0x80u >> (i & 7));
	bf->count--;
}

void sp_bitfield_set_all(struct sp_bitfield *bf)
{
	size_t n = sp_bitfield_bytes(bf->nbits);
	memset(bf->bits, 0xff, n);
	if (bf->nbits & 7)
		bf->bits[n - 1] = (uint8_t)(0xff00u >> (bf->nbits & 7));
	bf->count = bf->nbits;
}

void sp_bitfield_clear_all(struct sp_bitfield *bf)
{
	memset(bf->bits, 0, sp_bitfield_bytes(bf->nbits));
	bf->count = 0;
}

int sp_bitfield_load(struct sp_bitfield *bf, const uint8_t *bytes, size_t len)
{
	size_t n = sp_bitfield_bytes(bf->nbits);
	if (len != n)
		return -EPROTO;
	if ((bf->nbits & 7) && (bytes[n - 1] & (0xffu >> (bf->nbits & 7))))
		return -EPROTO;
	memcpy(bf->bits, bytes, n);
	uint32_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += (uint32_t)__builtin_popcount(bytes[i]);
	bf->count = c;
	return 0;
}
