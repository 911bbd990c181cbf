/* webseed_parse.c - a web seed's HTTP answer checked (see
 * webseed_parse.h). Pure; any thread.
 *
 * A 206 is accepted only with exactly the range asked, and the file's
 * length when the server states one (an unknown length, a star after the
 * slash, counts as right); a 200 only for the whole file, or from a BEP
 * 17 server. */
#include "net/webseed_parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool sp_webseed_content_range(const char *p, size_t n, char *out, size_t size)
{
	if (n <= 14 || strncasecmp(p, "Content-Range:", 14))
		return false;
	const char *v = p + 14;
	size_t l = n - 14;
	while (l && (*v == ' ' || *v == '\t'))
		v++, l--;
	while (l && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
		l--;
	if (l >= size)
		l = size - 1;
	for (size_t i = 0; i < l; i++) /* printable: it may be shown in an error */
		out[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
	out[l] = 0;
	return true;
}

struct sp_ws_check sp_webseed_check(long code, const char *range, bool httpseed, uint64_t first,
				    uint64_t last, uint64_t file_len)
{
	struct sp_ws_check c = {SP_WS_OK, false, 0};
	if (httpseed && code == 200)
		return c; /* BEP 17: the body is exactly the ranges asked */
	if (httpseed && code == 503) {
		c.verdict = SP_WS_BUSY;
		return c;
	}
	if (code == 206) {
		unsigned long long ra, rb, total;
		char star;
		int n = sscanf(range, "bytes %llu-%llu/%llu", &ra, &rb, &total);
		if (n == 2 && sscanf(range, "bytes %*u-%*u/%c", &star) == 1 && star == '*')
			n = 3, total = file_len;
		if (n != 3 || ra != first || rb != last) {
			c.verdict = SP_WS_OTHER_RANGE;
		} else if (total != file_len) {
			c.verdict = SP_WS_FILE_SIZE;
			c.file_fault = true;
			c.total = total;
		}
		return c;
	}
	if (code == 200 && first == 0 && last + 1 == file_len)
		return c; /* the whole file was asked for */
	c.file_fault = !httpseed && (code == 404 || code == 410 || code == 416);
	c.verdict = code == 200 ? SP_WS_NO_RANGE : code == 404 ? SP_WS_NOT_FOUND : SP_WS_HTTP;
	return c;
}

uint32_t sp_webseed_retry_after(const char *p, size_t n)
{
	uint32_t s = 0;
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '9' && s < 3600; i++)
		s = s * 10 + (uint32_t)(p[i] - '0');
	if (!s)
		return 0;
	return (s > 3600 ? 3600 : s) * 1000;
}
