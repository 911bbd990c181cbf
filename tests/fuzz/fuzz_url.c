/* fuzz_url.c - libFuzzer target for what a server or a user hands `play`
 * as a URL (src/app/url_check.c): the first line of the input is a
 * Content-Type, the rest a body to judge; the whole input is also read as
 * a file: URI.
 *
 * It checks what the functions promise: a verdict is one of the four; a
 * body that is no bencoded dictionary with "4:info" in its first 4 KiB is
 * never a torrent; a decoded path is NUL-terminated inside its buffer,
 * starts with '/', and is no longer than the URI. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/url_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	char *nl = memchr(s, '\n', size);
	const char *type = nl ? s : NULL;
	const char *body = nl ? nl + 1 : s;
	size_t blen = nl ? size - (size_t)(nl + 1 - s) : size;
	if (nl)
		*nl = 0;
	enum sp_url_verdict v = sp_url_check(type, body, blen);
	if (v != SP_URL_TORRENT && v != SP_URL_HTML && v != SP_URL_WRONG_TYPE &&
	    v != SP_URL_NOT_TORRENT)
		abort();
	size_t sniff = blen < 4096 ? blen : 4096;
	if (v == SP_URL_TORRENT && (!blen || body[0] != 'd' || !memmem(body, sniff, "4:info", 6)))
		abort();
	if (nl)
		*nl = '\n';
	char path[256];
	memset(path, 0x55, sizeof(path));
	if (sp_url_file_path(s, path, sizeof(path)) == 0) {
		size_t n = strnlen(path, sizeof(path));
		if (n == sizeof(path) || path[0] != '/' || n > strlen(s))
			abort();
	}
	sp_url_kind(s);
	free(s);
	return 0;
}
