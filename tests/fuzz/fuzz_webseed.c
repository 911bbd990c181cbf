/* fuzz_webseed.c - libFuzzer target for the checks on a web seed's HTTP
 * answer (src/net/webseed_parse.c): the Content-Range header line, the
 * status and range verdict, a BEP 17 503's retry delay.
 *
 * Input layout: byte 0 picks the status code and whether the server is a
 * BEP 17 one; bytes 1..12 give the range asked and the file's length;
 * the rest is a header line (and a 503's body) as the server sends it.
 *
 * Invariants checked, besides "no crash, no sanitizer report":
 * - a Content-Range value is NUL-ended within its buffer, trimmed, and
 *   free of control bytes (it may be shown in an error message);
 * - an answer is accepted only for what was asked: a 206 whose range is
 *   the one asked for, a 200 for the whole file or from a BEP 17 server;
 *   the canonical 206 for the range asked is accepted, one with another
 *   range or another file length is not, and the length is reported;
 * - a retry delay is 0 or whole seconds between 1 s and 1 h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/webseed_parse.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void expect(long code, const char *range, bool hs, uint64_t first, uint64_t last,
		   uint64_t len, enum sp_ws_verdict want)
{
	struct sp_ws_check c = sp_webseed_check(code, range, hs, first, last, len);
	if (c.verdict != want)
		abort();
}

static void check_range(const char *v, size_t cap, bool cut)
{
	size_t l = strnlen(v, cap);
	if (l == cap)
		abort();
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			abort();
	if (l && v[0] == ' ')
		abort();
	if (l && !cut && v[l - 1] == ' ')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long codes[] = {200, 206, 404, 410, 416, 503, 500, 302};
	if (size < 13)
		return 0;
	long code = codes[(data[0] >> 1) & 7];
	bool hs = data[0] & 1;
	if (data[0] & 0x10)
		code = (long)get32(data + 9) - 0x7fffffffL; /* any status at all */
	/* the range asked lies in the file, as the caller guarantees */
	uint64_t len = (uint64_t)get32(data + 1) << 8 | data[5];
	len = len ? len : 1;
	uint64_t first = get32(data + 5) % len;
	uint64_t last = first + get32(data + 9) % (len - first);
	const char *line = (const char *)data + 13;
	size_t n = size - 13;

	char v[96];
	memset(v, 'x', sizeof(v));
	if (sp_webseed_content_range(line, n, v, sizeof(v))) {
		check_range(v, sizeof(v), n > sizeof(v));
		struct sp_ws_check c = sp_webseed_check(code, v, hs, first, last, len);
		if (c.verdict == SP_WS_OK &&
		    !(code == 206 || (code == 200 && (hs || (first == 0 && last + 1 == len)))))
			abort();
		if (c.file_fault && c.verdict == SP_WS_OK)
			abort();
		(void)sp_webseed_check(206, v, hs, first, last, len);
	}
	uint32_t ms = sp_webseed_retry_after(line, n);
	if (ms && (ms < 1000 || ms > 3600000 || ms % 1000))
		abort();

	/* the canonical answers for this request */
	char r[96];
	snprintf(r, sizeof(r), "bytes %llu-%llu/%llu", (unsigned long long)first,
		 (unsigned long long)last, (unsigned long long)len);
	expect(206, r, hs, first, last, len, SP_WS_OK);
	snprintf(r, sizeof(r), "bytes %llu-%llu/*", (unsigned long long)first,
		 (unsigned long long)last);
	expect(206, r, hs, first, last, len, SP_WS_OK);
	snprintf(r, sizeof(r), "bytes %llu-%llu/%llu", (unsigned long long)first,
		 (unsigned long long)last + 1, (unsigned long long)len + 1);
	expect(206, r, hs, first, last, len, SP_WS_OTHER_RANGE);
	snprintf(r, sizeof(r), "bytes %llu-%llu/%llu", (unsigned long long)first,
		 (unsigned long long)last, (unsigned long long)len + 1);
	struct sp_ws_check c = sp_webseed_check(206, r, hs, first, last, len);
	if (c.verdict != SP_WS_FILE_SIZE || !c.file_fault || c.total != len + 1)
		abort();
	expect(206, "", hs, first, last, len, SP_WS_OTHER_RANGE);
	expect(200, "", hs, first, last, len,
	       hs || (first == 0 && last + 1 == len) ? SP_WS_OK : SP_WS_NO_RANGE);
	return 0;
}
