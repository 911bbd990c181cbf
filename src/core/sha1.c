/* sha1.c - SHA-1 via OpenSSL's EVP interface. Any thread. */
#include "core/sha1.h"

#include <openssl/evp.h>

/* struct sp_sha1 is never defined: a pointer to it is an EVP_MD_CTX. */

struct sp_sha1 *sp_sha1_new(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return NULL;
	if (!EVP_DigestInit_ex(ctx, EVP_sha1(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return (struct sp_sha1 *)ctx;
}

void sp_sha1_free(struct sp_sha1 *s)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)s);
}

void sp_sha1_update(struct sp_sha1 *s, const void *data, size_t len)
{
	EVP_DigestUpdate((EVP_MD_CTX *)s, data, len);
}

void sp_sha1_final(struct sp_sha1 *s, uint8_t out[SP_SHA1_LEN])
{
	unsigned int n = 0;
	EVP_DigestFinal_ex((EVP_MD_CTX *)s, out, &n);
	EVP_DigestInit_ex((EVP_MD_CTX *)s, EVP_sha1(), NULL);
}

void sp_sha1(const void *data, size_t len, uint8_t out[SP_SHA1_LEN])
{
	unsigned int n = 0;
	EVP_Digest(data, len, out, &n, EVP_sha1(), NULL);
}

void sp_hex(const uint8_t *in, size_t len, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * len] = '\0';
}
