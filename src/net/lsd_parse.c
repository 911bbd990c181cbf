/* lsd_parse.c - a BEP 14 datagram read (see lsd_parse.h). Pure; the
 * caller's thread. Works on a bounded copy, so the caller's buffer needs
 * no terminator. */
#include "net/lsd_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "Name: value" at line[0..n): the value's bounds, trimmed. */
static bool header(const char *line, size_t n, const char *name, const char **v, size_t *vn)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) || line[k] != ':')
		return false;
	const char *a = line + k + 1, *e = line + n;
	while (a < e && (*a == ' ' || *a == '\t'))
		a++;
	while (e > a && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*v = a;
	*vn = (size_t)(e - a);
	return true;
}

static bool hex40(const char *v, size_t n, char out[41])
{
	if (n != 40)
		return false;
	for (size_t i = 0; i < 40; i++) {
		char c = v[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[40] = 0;
	return true;
}

static long port_of(const char *v, size_t n)
{
	long port = 0;
	if (!n || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		port = port * 10 + (v[i] - '0');
	}
	return port;
}

int sp_lsd_parse(const char *buf, size_t len, struct sp_lsd_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (len > SP_LSD_MAX_DGRAM || len < 19 || memcmp(buf, "BT-SEARCH * HTTP/1.", 19))
		return -EBADMSG;
	long port = 0;
	for (const char *line = buf, *end = buf + len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		const char *v;
		size_t vn;
		if (header(line, n, "Port", &v, &vn))
			port = port_of(v, vn);
		else if (header(line, n, "Infohash", &v, &vn) && out->nhashes < SP_LSD_MAX_HASHES)
			out->nhashes += hex40(v, vn, out->hashes[out->nhashes]);
		else if (header(line, n, "cookie", &v, &vn) && vn <= SP_LSD_COOKIE_MAX) {
			memcpy(out->cookie, v, vn);
			out->cookie[vn] = 0;
		}
		line += n + 1;
	}
	if (port <= 0 || port > 65535)
		return -EBADMSG;
	out->port = (uint16_t)port;
	return 0;
}

int sp_lsd_env_parse(const char *v, uint16_t *port)
{
	if (!v || !*v)
		return 0;
	if (!strcmp(v, "loopback"))
		return 1;
	if (strncmp(v, "loopback:", 9) || v[9] < '0' || v[9] > '9')
		return -EINVAL;
	char *end;
	long p = strtol(v + 9, &end, 10);
	if (*end || p < 1 || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 1;
}
