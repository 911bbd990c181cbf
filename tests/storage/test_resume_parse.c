/* test_resume_parse.c - the resume file's text read back (pure): a good
 * file, each field checked, and what the audit of issue 11 found: a
 * "have" line after the checksum (unsealed) is never read, hex cut short
 * by the end of the file is not read past it (each text sits in a buffer
 * of its exact size, so ASan sees an over-read), only [0-9a-f] is hex. */
#include "storage/resume_parse.h"
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha1.h"

#define IH "0123456789abcdef0123456789abcdef01234567"

/* body + "sha1 <its SHA-1>\n" + tail in a heap buffer of the exact size. */
static char *sealed(const char *body, const char *tail, size_t *len)
{
	uint8_t h[SP_SHA1_LEN];
	sp_sha1(body, strlen(body), h);
	char hex[41];
	for (int i = 0; i < SP_SHA1_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	*len = strlen(body) + 5 + 40 + 1 + strlen(tail);
	char *s = malloc(*len + 1);
	snprintf(s, *len + 1, "%ssha1 %s\n%s", body, hex, tail);
	return s;
}

static int parse(const char *body, const char *tail, uint8_t *bits,
		 struct sp_resume_fstate *fs)
{
	size_t len;
	char *s = sealed(body, tail, &len);
	int r = sp_resume_parse(s, len, IH, 12, 2, bits, fs);
	free(s);
	return r;
}

#define GOOD SP_RESUME_MAGIC "infohash " IH "\npieces 12\nhave a5f0\nfiles 2\n" \
	"f 100 5 6\nf -1 0 0\n"

SP_TEST(good_file)
{
	uint8_t bits[2] = {0};
	struct sp_resume_fstate fs[2];
	SP_CHECK_INT(parse(GOOD, "", bits, fs), 0);
	SP_CHECK_UINT(bits[0], 0xa5);
	SP_CHECK_UINT(bits[1], 0xf0);
	SP_CHECK_INT(fs[0].size, 100);
	SP_CHECK_INT(fs[0].nsec, 6);
	SP_CHECK_INT(fs[1].size, -1);
}

SP_TEST(fields_checked)
{
	uint8_t bits[2];
	struct sp_resume_fstate fs[2];
	static const char *const bad[] = {
		"swarmplay-resume 2\ninfohash " IH "\npieces 12\nhave a5f0\nfiles 2\nf 1 2 3\nf 1 2 3\n",
		SP_RESUME_MAGIC "infohash 1123456789abcdef0123456789abcdef01234567\npieces 12\n"
				"have a5f0\nfiles 2\nf 1 2 3\nf 1 2 3\n",
		SP_RESUME_MAGIC "infohash " IH "\npieces 13\nhave a5f0\nfiles 2\nf 1 2 3\nf 1 2 3\n",
		SP_RESUME_MAGIC "infohash " IH "\npieces 12\nhave A5F0\nfiles 2\nf 1 2 3\nf 1 2 3\n",
		SP_RESUME_MAGIC "infohash " IH "\npieces 12\nhave a5 0\nfiles 2\nf 1 2 3\nf 1 2 3\n",
		SP_RESUME_MAGIC "infohash " IH "\npieces 12\nhave a5f0\nfiles 3\nf 1 2 3\nf 1 2 3\n",
		SP_RESUME_MAGIC "infohash " IH "\npieces 12\nhave a5f0\nfiles 2\nf 1 2 3\n",
		SP_RESUME_MAGIC "infohash " IH "\npieces 12\nhave a5\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		SP_CHECK_INT(parse(bad[i], "", bits, fs), -EBADMSG);
	/* a checksum that does not match, or cut short */
	size_t len;
	char *s = sealed(GOOD, "", &len);
	s[len - 3] ^= 1;
	SP_CHECK_INT(sp_resume_parse(s, len, IH, 12, 2, bits, fs), -EBADMSG);
	s[len - 3] ^= 1;
	SP_CHECK_INT(sp_resume_parse(s, len, IH, 12, 2, bits, fs), 0);
	s[len - 10] = 0; /* the last hex digits gone */
	SP_CHECK_INT(sp_resume_parse(s, len - 10, IH, 12, 2, bits, fs), -EBADMSG);
	free(s);
}

SP_TEST(unsealed_have_never_read)
{
	uint8_t bits[2] = {0};
	struct sp_resume_fstate fs[2];
	static const char *const body =
		SP_RESUME_MAGIC "infohash " IH "\npieces 12\nfiles 2\nf 100 5 6\nf -1 0 0\n";
	static const char *const tails[] = {"have ffff\n", "have fff", "have f", "have ",
					    "have ffff\nfiles 2\nf 1 2 3\nf 1 2 3\n"};
	for (size_t i = 0; i < sizeof(tails) / sizeof(*tails); i++)
		SP_CHECK_INT(parse(body, tails[i], bits, fs), -EBADMSG);
	/* a have line sealed but cut short by the checksum line */
	SP_CHECK_INT(parse(SP_RESUME_MAGIC "infohash " IH "\npieces 12\nhave f\n", "", bits, fs),
		     -EBADMSG);
}

SP_TEST(nul_inside_refused)
{
	uint8_t bits[2];
	struct sp_resume_fstate fs[2];
	size_t len;
	char *s = sealed(GOOD, "", &len);
	s[40] = 0;
	SP_CHECK_INT(sp_resume_parse(s, len, IH, 12, 2, bits, fs), -EBADMSG);
	free(s);
}

SP_TEST_MAIN()
