/* sha1.h - SHA-1 through libcrypto. Any thread; contexts are not shared. */
#ifndef SP_SHA1_H
#define SP_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SP_SHA1_LEN 20

struct sp_sha1;
struct sp_sha1 *sp_sha1_new(void);
void sp_sha1_free(struct sp_sha1 *s);
void sp_sha1_update(struct sp_sha1 *s, const void *data, size_t len);
/* Writes the digest and resets the context for reuse. */
void sp_sha1_final(struct sp_sha1 *s, uint8_t out[SP_SHA1_LEN]);
/* One-shot. */
void sp_sha1(const void *data, size_t len, uint8_t out[SP_SHA1_LEN]);
/* 40 lowercase hex chars + NUL. */
void sp_hex(const uint8_t *in, size_t len, char *out);

#endif
