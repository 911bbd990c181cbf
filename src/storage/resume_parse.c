/* resume_parse.c - the resume file's text read back (see resume_parse.h).
 * Pure; any thread.
 *
 * Before issue 11's audit the fields were looked for in the whole text
 * ("have" could be found after the checksum line, past the sealed part)
 * and a NUL passed for a hex digit (strchr finds the terminator), so hex
 * cut short by the end of the file was read past its end. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "storage/resume_parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/sha1.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* n bytes from 2n hex digits at s, all before end. */
static int unhex(const char *s, const char *end, size_t n, uint8_t *out)
{
	if ((size_t)(end - s) < 2 * n)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EBADMSG;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* pat in [from, end), or NULL. */
static const char *find(const char *from, const char *end, const char *pat)
{
	if (from >= end)
		return NULL;
	return memmem(from, (size_t)(end - from), pat, strlen(pat));
}

int sp_resume_parse(const char *s, size_t len, const char *info_hash_hex, uint32_t num_pieces,
		    size_t num_files, uint8_t *bits, struct sp_resume_fstate *fs)
{
	size_t ml = strlen(SP_RESUME_MAGIC);
	if (!s || strlen(s) != len || len < ml || memcmp(s, SP_RESUME_MAGIC, ml))
		return -EBADMSG;
	const char *sha = find(s, s + len, "\nsha1 ");
	if (!sha)
		return -EBADMSG;
	uint8_t h[SP_SHA1_LEN], want[SP_SHA1_LEN];
	sp_sha1(s, (size_t)(sha + 1 - s), h);
	if (unhex(sha + 6, s + len, SP_SHA1_LEN, want) || memcmp(h, want, SP_SHA1_LEN))
		return -EBADMSG;
	const char *line = s + ml, *end = sha + 1; /* the sealed lines */
	char ih[41];
	uint32_t np;
	if (sscanf(line, "infohash %40s\npieces %" SCNu32 "\n", ih, &np) != 2 ||
	    strcmp(ih, info_hash_hex) || np != num_pieces)
		return -EBADMSG;
	size_t nb = (num_pieces + 7) / 8, nf;
	const char *have = find(line, end, "\nhave ");
	if (!have || unhex(have + 6, sha, nb, bits))
		return -EBADMSG;
	const char *files = find(have + 6 + 2 * nb, end, "\nfiles ");
	if (!files || sscanf(files, "\nfiles %zu", &nf) != 1 || nf != num_files)
		return -EBADMSG;
	const char *p = strchr(files + 1, '\n');
	for (size_t i = 0; i < nf; i++) {
		if (!p || p >= sha ||
		    sscanf(p, "\nf %" SCNd64 " %" SCNd64 " %" SCNd64, &fs[i].size, &fs[i].sec,
			   &fs[i].nsec) != 3)
			return -EBADMSG;
		p = strchr(p + 1, '\n');
	}
	return 0;
}
