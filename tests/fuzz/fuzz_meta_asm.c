/* fuzz_meta_asm.c - libFuzzer target for a magnet's metadata assembly
 * with blame (src/net/meta_asm.c): what any number of peers send in
 * answer to ut_metadata requests, in any order, with junk or not.
 *
 * Input: two bytes of size (1..3 x 16 KiB + 1000), then 3-byte events
 * (op, host 0..7, arg):
 *   op 0: host asks for its next piece (remembered as asked of it);
 *   op 1: host sends piece arg % 4 (bit 7 of op: junk; bit 6: a wrong
 *         length), asked or not;
 *   op 2: host rejects piece arg % 4;   op 3: time goes on arg x 100 ms.
 * Hosts 0-3 always send the truth unless the op says junk; the junk is
 * the truth with every byte flipped, never equal to it.
 *
 * Invariants, besides "no crash, no sanitizer report, no leak":
 * - DONE means the bytes are the truth, and nothing is taken after it;
 * - a host named a liar sent junk at least once (an honest host is never
 *   blamed, whatever the order of arrival);
 * - a piece index it returns to ask is in range. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha1.h"
#include "net/meta_asm.h"

#define NHOSTS 8
#define MAXSZ (3 * SP_META_ASM_PIECE + 1000)

static uint8_t truth[MAXSZ], junk[MAXSZ];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sp_host host(int i)
{
	struct sp_host h = {{0}};
	h.a[10] = h.a[11] = 0xff;
	h.a[12] = 10;
	h.a[15] = (uint8_t)(i + 1);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (!truth[1]) {
		for (size_t i = 0; i < MAXSZ; i++) {
			truth[i] = (uint8_t)(i * 131 + 7 + (i >> 8));
			junk[i] = (uint8_t)~truth[i];
		}
	}
	uint32_t len = 1 + (uint32_t)((data[0] << 8 | data[1]) * 7) % MAXSZ;
	uint8_t ih[20];
	sp_sha1(truth, len, ih);
	struct sp_meta_asm *a = sp_meta_asm_new(len, ih);
	if (!a)
		abort();
	uint32_t np = sp_meta_asm_npieces(a);
	bool lied[NHOSTS] = {false}, done = false;
	int64_t now = 1000000;
	for (size_t at = 2; at + 3 <= size; at += 3) {
		uint8_t op = data[at], arg = data[at + 2];
		int hi = data[at + 1] % NHOSTS;
		struct sp_host h = host(hi);
		switch (op & 3) {
		case 0: {
			int64_t i = sp_meta_asm_next(a, &h, now);
			if (i >= (int64_t)np || (done && i >= 0))
				abort();
			break;
		}
		case 1: {
			int64_t piece = arg % 4;
			bool bad = op & 0x80;
			size_t off = (size_t)piece * SP_META_ASM_PIECE;
			size_t plen = off < len ? (len - off < SP_META_ASM_PIECE ? len - off
										   : SP_META_ASM_PIECE)
						: 0;
			if (op & 0x40)
				plen = plen ? plen - 1 : 5;
			if (off + plen > MAXSZ)
				break;
			int r = sp_meta_asm_data(a, &h, piece, (bad ? junk : truth) + off, plen, now);
			if (done && r != SP_META_ASM_UNASKED)
				abort();
			if (r == SP_META_ASM_UNASKED || r < 0)
				break;
			lied[hi] |= bad;
			struct sp_host liars[SP_META_ASM_LIARS];
			size_t nl = sp_meta_asm_liars(a, liars, SP_META_ASM_LIARS);
			for (size_t k = 0; k < nl; k++) {
				int who = liars[k].a[15] - 1;
				if (who < 0 || who >= NHOSTS || !lied[who])
					abort(); /* an honest host blamed */
			}
			if (r == SP_META_ASM_DONE) {
				done = true;
				if (memcmp(sp_meta_asm_bytes(a), truth, len))
					abort();
			}
			break;
		}
		case 2:
			sp_meta_asm_reject(a, &h, arg % 4);
			break;
		case 3:
			now += (int64_t)arg * 100000;
			break;
		}
	}
	sp_meta_asm_free(a);
	return 0;
}
