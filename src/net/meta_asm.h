/* meta_asm.h - a magnet's info dictionary put together from BEP 9 pieces
 * sent by several hosts, and who to blame when its SHA-1 is not the
 * info-hash. Pure: no sockets, no clock (the caller passes its time), so
 * a unit test and a fuzz target drive it. The caller's thread (the net
 * thread in metadata.c).
 *
 * Rules:
 * - a piece is taken only from a host it was asked of (never unrequested
 *   data), and only with its exact length;
 * - every host is asked (round "mixed") until all pieces are in; on a
 *   mismatch, a host that sent every piece is the liar;
 * - otherwise the whole is asked of one host at a time (round "single"):
 *   a host that sends all of it wrong is a liar; one that sends it right
 *   wins, and every piece of the mixed round that differs from the right
 *   bytes names its sender a liar too. A host that does not answer within
 *   SP_META_ASM_TURN_US gives its turn to another. So an honest seed
 *   wins whatever order the pieces came in. */
#ifndef SP_NET_META_ASM_H
#define SP_NET_META_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/banlist.h"

#define SP_META_ASM_PIECE 16384u
#define SP_META_ASM_MAX (16u << 20)
#define SP_META_ASM_RETRY_US 5000000LL /* a piece asked again after this */
#define SP_META_ASM_TURN_US 10000000LL /* a silent host loses its turn */
#define SP_META_ASM_ASKS 4             /* hosts remembered per piece */
#define SP_META_ASM_TRIED 16           /* hosts that had a turn */
#define SP_META_ASM_LIARS 16           /* liars reported per mismatch */

enum sp_meta_asm_result {
	SP_META_ASM_MORE = 0,     /* taken (or a duplicate), more to come */
	SP_META_ASM_UNASKED = 1,  /* not asked of this host: ignored */
	SP_META_ASM_DONE = 2,     /* complete and right: sp_meta_asm_bytes */
	SP_META_ASM_MISMATCH = 3, /* complete and wrong: see the liars */
};

struct sp_meta_asm;

/* An assembler for size bytes; NULL if size is 0 or over the ceiling, or
 * out of memory. The info-hash is copied. */
struct sp_meta_asm *sp_meta_asm_new(uint32_t size, const uint8_t info_hash[20]);
void sp_meta_asm_free(struct sp_meta_asm *a);
uint32_t sp_meta_asm_size(const struct sp_meta_asm *a);
uint32_t sp_meta_asm_npieces(const struct sp_meta_asm *a);

/* The next piece to ask of host h now, marked as asked of it; -1 when
 * nothing is to be asked of it now. */
int64_t sp_meta_asm_next(struct sp_meta_asm *a, const struct sp_host *h, int64_t now_us);
/* h has no such piece (BEP 9 reject): it may be asked of another. */
void sp_meta_asm_reject(struct sp_meta_asm *a, const struct sp_host *h, int64_t piece);
/* h sent piece (len bytes): an enum sp_meta_asm_result, or -EPROTO for a
 * piece out of range or of the wrong length from a host that was asked. */
int sp_meta_asm_data(struct sp_meta_asm *a, const struct sp_host *h, int64_t piece,
		     const uint8_t *data, size_t len, int64_t now_us);
/* The hosts found lying by the last DONE or MISMATCH (at most
 * SP_META_ASM_LIARS, each once per report), until the next piece is
 * taken. A host may be reported again by a later round. */
size_t sp_meta_asm_liars(const struct sp_meta_asm *a, struct sp_host *out, size_t max);
/* The whole, once DONE (size bytes, owned by a). */
const uint8_t *sp_meta_asm_bytes(const struct sp_meta_asm *a);
/* Round "single" (after a mixed mismatch): whose turn, if anyone's. */
bool sp_meta_asm_single(const struct sp_meta_asm *a);

#endif
