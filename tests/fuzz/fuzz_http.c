/* fuzz_http.c - libFuzzer target for what `swarmplay serve` parses from a
 * request (src/app/http_parse.c): the request target and the Range,
 * Authorization and Host header values.
 *
 * Input layout: bytes 0..7 the file's size; the rest, split at the first
 * newline, is a request target and a header value (tried as a Range and
 * as an Authorization).
 *
 * Invariants checked, besides "no crash, no sanitizer report":
 * - an accepted target's info-hash is 40 lower-case hex digits, a token
 *   is NUL-ended within its buffer and holds no control byte;
 * - a target whose path holds "..", "%2e%2e" (any case) as a whole segment or
 *   a NUL is never accepted as a file;
 * - a range accepted lies within the file: first <= last < size;
 * - the escapes give only printable output for HTML and JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/http_parse.h"

static void check_route(const char *t, size_t n)
{
	struct sp_http_route r;
	int rc = sp_http_route_parse(t, n, &r);
	if (rc < 0) {
		if (rc != -EINVAL && rc != -ENAMETOOLONG)
			abort();
		return;
	}
	if (memchr(t, 0, n))
		abort();
	if (r.kind == SP_HTTP_FILE || r.kind == SP_HTTP_M3U) {
		if (strlen(r.hash_hex) != 40)
			abort();
		for (int i = 0; i < 40; i++)
			if (!((r.hash_hex[i] >= '0' && r.hash_hex[i] <= '9') ||
			      (r.hash_hex[i] >= 'a' && r.hash_hex[i] <= 'f')))
				abort();
	}
	if (r.kind == SP_HTTP_FILE && r.file_index > SP_HTTP_MAX_FILE_INDEX)
		abort();
	size_t tl = strnlen(r.token, sizeof(r.token));
	if (tl == sizeof(r.token))
		abort();
	for (size_t i = 0; i < tl; i++)
		if ((unsigned char)r.token[i] < 0x20)
			abort();
	/* a ".." segment of the path, plain or encoded, is never a route */
	const char *qm = memchr(t, '?', n);
	n = qm ? (size_t)(qm - t) : n;
	for (size_t i = 0; i + 3 <= n; i++)
		if (t[i] == '/' && t[i + 1] == '.' && t[i + 2] == '.' &&
		    (i + 3 == n || t[i + 3] == '/' || t[i + 3] == '?'))
			abort();
	for (size_t i = 0; i + 7 <= n; i++)
		if (t[i] == '/' && !strncasecmp(t + i + 1, "%2e%2e", 6) &&
		    (i + 7 == n || t[i + 7] == '/' || t[i + 7] == '?'))
			abort();
}

static void check_escapes(const char *s)
{
	struct app_buf b;
	app_buf_init(&b, 1 << 16);
	for (int m = SP_HTTP_ESC_HTML; m <= SP_HTTP_ESC_PATH; m++) {
		app_buf_reset(&b);
		if (sp_http_escape(&b, s, (enum sp_http_escape_mode)m) < 0)
			continue;
		for (size_t i = 0; i < b.len; i++) {
			unsigned char c = b.data[i];
			if (m != SP_HTTP_ESC_HTML && (c < 0x20 || c == 0x7f))
				abort();
			if (m == SP_HTTP_ESC_PATH && c >= 0x80)
				abort();
			if (m == SP_HTTP_ESC_HTML && (c == '<' || c == '>' || c == '"'))
				abort();
		}
	}
	app_buf_fini(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	uint64_t fsize = 0;
	for (int i = 0; i < 8; i++)
		fsize = fsize << 8 | data[i];
	if (data[0] & 0x80)
		fsize &= 0xffffff; /* small files too */
	const char *rest = (const char *)data + 8;
	size_t n = size - 8;
	const char *nl = memchr(rest, '\n', n);
	size_t tn = nl ? (size_t)(nl - rest) : n;
	check_route(rest, tn);

	char *hdr = calloc(1, n + 1), *target = calloc(1, tn + 1);
	if (!hdr || !target) {
		free(hdr);
		free(target);
		return 0;
	}
	memcpy(target, rest, tn);
	if (nl)
		memcpy(hdr, nl + 1, n - tn - 1);
	uint64_t first = 0, last = 0;
	int r = sp_http_range_parse(hdr, fsize, &first, &last);
	if (r == SP_HTTP_RANGE_PART && !(first <= last && last < fsize))
		abort();
	if (r < 0 && r != -EINVAL && r != -ERANGE)
		abort();
	size_t tl = 0;
	const char *tok = sp_http_bearer(hdr, &tl);
	if (tok && (tl == 0 || tl > SP_HTTP_MAX_TOKEN))
		abort();
	if (tok)
		(void)sp_http_token_equal("secret", tok, tl);
	(void)sp_http_content_type(hdr);
	(void)sp_http_host_is_literal(hdr);
	int c = sp_http_natural_cmp(hdr, target);
	if (c != -sp_http_natural_cmp(target, hdr) || (c == 0) != !strcmp(hdr, target))
		abort();
	check_escapes(hdr);
	free(hdr);
	free(target);
	return 0;
}
