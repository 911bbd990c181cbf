/* resume_parse.h - the resume file's text (see resume.c) read back. Pure:
 * no files, so a unit test and a fuzz target drive it. Any thread.
 *
 * Only the sealed part counts: the lines before "sha1 <hex>", whose SHA-1
 * that hex must be; what follows it is never read. Hex digits are exactly
 * [0-9a-f]; every field is found inside the sealed part. */
#ifndef SP_STORAGE_RESUME_PARSE_H
#define SP_STORAGE_RESUME_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define SP_RESUME_MAGIC "swarmplay-resume 1\n"

struct sp_resume_fstate {
	int64_t size; /* -1: missing */
	int64_t sec, nsec;
};

/* s holds len bytes and s[len] is 0. On success bits (the bitfield of
 * num_pieces, wire order) and fs[num_files] are filled and 0 is
 * returned; -EBADMSG for anything else (another torrent, another piece
 * or file count, a bad checksum, a malformed line). */
int sp_resume_parse(const char *s, size_t len, const char *info_hash_hex, uint32_t num_pieces,
		    size_t num_files, uint8_t *bits, struct sp_resume_fstate *fs);

#endif
