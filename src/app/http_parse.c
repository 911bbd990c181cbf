/* http_parse.c - the parts of an HTTP request that `swarmplay serve`
 * decides on: the request target, the Range header, the bearer token;
 * and the output helpers its pages use (http_parse.h).
 *
 * Invariants: every input is bounded before it is looked at (target,
 * token, Range); a path is split on raw '/' first and each segment
 * decoded after, so an encoded "%2F" can never make a new segment, and a
 * decoded segment that is "." or "..", holds a NUL or a control byte is
 * refused rather than cleaned up: a request that tries a path trick gets
 * a 400, never a file. Numbers saturate instead of wrapping.
 *
 * Pure: no I/O, no libevent; any thread. */
#include "app/http_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#define MAX_SEGMENTS 16
#define MAX_SEGMENT 1024

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes [s, s+n) into out (cap bytes, NUL-terminated). In a
 * query, '+' is a space. The decoded length, or -EINVAL for a bad escape,
 * %00, a control byte (raw or decoded), or a result that does not fit. */
static int decode(const char *s, size_t n, char *out, size_t cap, bool query)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int hi = n - i >= 3 ? hexval(s[i + 1]) : -1;
			int lo = n - i >= 3 ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && query) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= cap)
			return -EINVAL;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return (int)o;
}

static bool is_hash_hex(const char *s, size_t n)
{
	if (n != 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return false;
	return true;
}

static void copy_hash(char *dst, const char *src)
{
	for (int i = 0; i < 40; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'F' ? src[i] - 'A' + 'a' : src[i]);
	dst[40] = 0;
}

/* A decimal file index, no sign, no leading zero; -1 if not one. */
static long parse_index(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 6 || (n > 1 && s[0] == '0'))
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The decoded path segments decide the route. */
static void route_from(char seg[][MAX_SEGMENT], int nseg, struct sp_http_route *out)
{
	out->kind = SP_HTTP_NOT_FOUND;
	if (nseg == 0) {
		out->kind = SP_HTTP_INDEX;
		return;
	}
	size_t l0 = strlen(seg[0]);
	if (nseg == 1 && !strcmp(seg[0], "stats.json")) {
		out->kind = SP_HTTP_STATS;
	} else if (nseg == 1 && !strcmp(seg[0], "add")) {
		out->kind = SP_HTTP_ADD;
	} else if (nseg == 1 && l0 == 44 && !strcmp(seg[0] + 40, ".m3u") &&
		   is_hash_hex(seg[0], 40)) {
		out->kind = SP_HTTP_M3U;
		copy_hash(out->hash_hex, seg[0]);
	} else if (nseg >= 2 && is_hash_hex(seg[0], l0)) {
		long idx = parse_index(seg[1]);
		if (idx < 0)
			return;
		out->kind = SP_HTTP_FILE;
		out->file_index = (uint32_t)idx;
		copy_hash(out->hash_hex, seg[0]);
	}
}

/* Splits the raw path on '/', decodes and checks each segment. A trailing
 * '/' is allowed (and ignored) only for "/". The number of segments, or
 * -EINVAL. */
static int split_path(const char *p, size_t n, char seg[][MAX_SEGMENT])
{
	if (!n || p[0] != '/')
		return -EINVAL;
	if (n == 1)
		return 0;
	int nseg = 0;
	size_t i = 1;
	while (i <= n) {
		const char *slash = memchr(p + i, '/', n - i);
		size_t e = slash ? (size_t)(slash - p) : n;
		if (e == i || nseg >= MAX_SEGMENTS)
			return -EINVAL; /* "//", a trailing '/', too deep */
		int l = decode(p + i, e - i, seg[nseg], MAX_SEGMENT, false);
		if (l < 0 || memchr(seg[nseg], '/', (size_t)l) || !strcmp(seg[nseg], ".") ||
		    !strcmp(seg[nseg], ".."))
			return -EINVAL;
		nseg++;
		i = e + 1;
	}
	return nseg;
}

static int parse_query(const char *q, size_t n, struct sp_http_route *out)
{
	size_t i = 0;
	while (i < n) {
		const char *amp = memchr(q + i, '&', n - i);
		size_t e = amp ? (size_t)(amp - q) : n;
		const char *eq = memchr(q + i, '=', e - i);
		size_t klen = eq ? (size_t)(eq - (q + i)) : e - i;
		const char *v = eq ? eq + 1 : q + e;
		size_t vlen = (size_t)(q + e - v);
		if (klen == 5 && !memcmp(q + i, "token", 5)) {
			if (decode(v, vlen, out->token, sizeof(out->token), true) < 0)
				return -EINVAL;
			out->has_token = true;
		} else if (klen == 6 && !memcmp(q + i, "format", 6)) {
			out->json = vlen == 4 && !memcmp(v, "json", 4);
		}
		i = e + 1;
	}
	return 0;
}

int sp_http_route_parse(const char *target, size_t len, struct sp_http_route *out)
{
	char seg[MAX_SEGMENTS][MAX_SEGMENT];
	memset(out, 0, sizeof(*out));
	if (len > SP_HTTP_MAX_TARGET)
		return -ENAMETOOLONG;
	if (memchr(target, 0, len))
		return -EINVAL;
	const char *qm = memchr(target, '?', len);
	size_t plen = qm ? (size_t)(qm - target) : len;
	const char *hash = memchr(target, '#', len);
	if (hash)
		return -EINVAL; /* a client never sends a fragment */
	int nseg = split_path(target, plen, seg);
	if (nseg < 0)
		return nseg;
	if (qm && parse_query(qm + 1, len - plen - 1, out) < 0)
		return -EINVAL;
	route_from(seg, nseg, out);
	return 0;
}

/* Digits at *p, saturating at UINT64_MAX; false if there are none. */
static bool number(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*v = x;
	return true;
}

static const char *skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* One range-spec at *p (up to a ',' or the end) against size:
 * SP_HTTP_RANGE_PART with [*first, *last], -ERANGE or -EINVAL. */
static int one_range(const char **p, uint64_t size, uint64_t *first, uint64_t *last)
{
	const char *s = skip_ows(*p);
	uint64_t a = 0, b = UINT64_MAX;
	bool suffix = *s == '-';
	if (suffix) {
		s++;
		if (!number(&s, &b))
			return -EINVAL;
	} else {
		if (!number(&s, &a) || *s++ != '-')
			return -EINVAL;
		(void)number(&s, &b);
	}
	s = skip_ows(s);
	if (*s && *s != ',')
		return -EINVAL;
	*p = s;
	if (suffix) {
		if (b == 0 || size == 0)
			return -ERANGE;
		a = b >= size ? 0 : size - b;
		b = size - 1;
	} else {
		if (b < a)
			return -EINVAL;
		if (a >= size)
			return -ERANGE;
		b = b >= size ? size - 1 : b;
	}
	*first = a;
	*last = b;
	return SP_HTTP_RANGE_PART;
}

int sp_http_range_parse(const char *value, uint64_t size, uint64_t *first, uint64_t *last)
{
	if (!value)
		return SP_HTTP_RANGE_WHOLE;
	if (strnlen(value, SP_HTTP_MAX_RANGE + 1) > SP_HTTP_MAX_RANGE)
		return -EINVAL;
	const char *s = skip_ows(value);
	if (strncasecmp(s, "bytes", 5) || *skip_ows(s + 5) != '=')
		return SP_HTTP_RANGE_WHOLE; /* another unit: ignored */
	s = skip_ows(s + 5) + 1;
	/* several ranges: their span, one part (RFC 9110 14.2 lets a server
	 * coalesce them); an unsatisfiable one is left out, as long as one is */
	uint64_t lo = UINT64_MAX, hi = 0;
	int n = 0, rc = -ERANGE;
	for (;;) {
		uint64_t a, b;
		int r = one_range(&s, size, &a, &b);
		if (r == -EINVAL)
			return r;
		if (++n > SP_HTTP_MAX_RANGES)
			return SP_HTTP_RANGE_WHOLE;
		if (r == SP_HTTP_RANGE_PART) {
			rc = r;
			lo = a < lo ? a : lo;
			hi = b > hi ? b : hi;
		}
		if (*s != ',')
			break;
		s++;
	}
	if (rc < 0)
		return rc;
	*first = lo;
	*last = hi;
	return SP_HTTP_RANGE_PART;
}

const char *sp_http_bearer(const char *value, size_t *len)
{
	if (!value || strncasecmp(value, "Bearer ", 7))
		return NULL;
	const char *t = skip_ows(value + 7);
	size_t n = strnlen(t, SP_HTTP_MAX_TOKEN + 1);
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	if (!n || n > SP_HTTP_MAX_TOKEN)
		return NULL;
	*len = n;
	return t;
}

bool sp_http_token_equal(const char *want, const char *got, size_t len)
{
	size_t wl = strlen(want);
	unsigned char diff = wl != len;
	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)(got[i] ^ want[i % (wl ? wl : 1)]);
	return wl && !diff;
}

bool sp_http_host_is_literal(const char *host)
{
	if (!host)
		return true;
	char h[64];
	size_t n = strnlen(host, sizeof(h));
	if (n == sizeof(h) || !n)
		return false;
	memcpy(h, host, n + 1);
	char *end = h[0] == '[' ? strchr(h, ']') : strrchr(h, ':');
	if (h[0] == '[') {
		if (!end || (end[1] && end[1] != ':'))
			return false;
		*end = 0;
		unsigned char a6[16];
		return inet_pton(AF_INET6, h + 1, a6) == 1;
	}
	if (end)
		*end = 0;
	unsigned char a4[4];
	return !strcasecmp(h, "localhost") || inet_pton(AF_INET, h, a4) == 1;
}

static const struct {
	const char *ext, *type;
} types[] = {
	{"mp4", "video/mp4"}, {"m4v", "video/mp4"}, {"mkv", "video/x-matroska"},
	{"webm", "video/webm"}, {"avi", "video/x-msvideo"}, {"mov", "video/quicktime"},
	{"ts", "video/mp2t"}, {"m2ts", "video/mp2t"}, {"mts", "video/mp2t"},
	{"mpg", "video/mpeg"}, {"mpeg", "video/mpeg"}, {"ogv", "video/ogg"},
	{"flv", "video/x-flv"}, {"wmv", "video/x-ms-wmv"}, {"3gp", "video/3gpp"},
	{"mp3", "audio/mpeg"}, {"m4a", "audio/mp4"}, {"aac", "audio/aac"},
	{"flac", "audio/flac"}, {"ogg", "audio/ogg"}, {"oga", "audio/ogg"},
	{"opus", "audio/ogg"}, {"wav", "audio/wav"}, {"mka", "audio/x-matroska"},
	{"srt", "application/x-subrip"}, {"vtt", "text/vtt"}, {"ass", "text/x-ssa"},
	{"ssa", "text/x-ssa"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
	{"png", "image/png"}, {"gif", "image/gif"}, {"txt", "text/plain; charset=utf-8"},
	{"nfo", "text/plain; charset=utf-8"}, {"m3u", "audio/x-mpegurl"},
};

const char *sp_http_content_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	const char *slash = strrchr(name, '/');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Compares the digit runs at *a and *b as numbers (leading zeros
 * skipped), moving both past them. */
static int cmp_numbers(const char **a, const char **b)
{
	while (**a == '0' && digit((*a)[1]))
		(*a)++;
	while (**b == '0' && digit((*b)[1]))
		(*b)++;
	size_t la = 0, lb = 0;
	while (digit((*a)[la]))
		la++;
	while (digit((*b)[lb]))
		lb++;
	int r = la != lb ? (la < lb ? -1 : 1) : memcmp(*a, *b, la);
	*a += la;
	*b += lb;
	return r < 0 ? -1 : r > 0;
}

int sp_http_natural_cmp(const char *a, const char *b)
{
	const char *p = a, *q = b;
	while (*p && *q) {
		if (digit(*p) && digit(*q)) {
			int r = cmp_numbers(&p, &q);
			if (r)
				return r;
			continue;
		}
		int x = lower((unsigned char)*p), y = lower((unsigned char)*q);
		if (x != y)
			return x < y ? -1 : 1;
		p++;
		q++;
	}
	if (*p || *q)
		return *p ? 1 : -1;
	int r = strcmp(a, b);
	return r < 0 ? -1 : r > 0;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit((char)c) || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

static int escape_one(struct app_buf *b, unsigned char c, enum sp_http_escape_mode mode)
{
	switch (mode) {
	case SP_HTTP_ESC_HTML:
		switch (c) {
		case '&': return app_buf_append(b, "&amp;", 5);
		case '<': return app_buf_append(b, "&lt;", 4);
		case '>': return app_buf_append(b, "&gt;", 4);
		case '"': return app_buf_append(b, "&quot;", 6);
		case '\'': return app_buf_append(b, "&#39;", 5);
		default: return app_buf_append(b, &c, 1);
		}
	case SP_HTTP_ESC_JSON:
		if (c == '"' || c == '\\')
			return app_buf_appendf(b, "\\%c", c);
		if (c < 0x20 || c == 0x7f)
			return app_buf_appendf(b, "\\u%04x", c);
		return app_buf_append(b, &c, 1);
	case SP_HTTP_ESC_PATH:
		if (unreserved(c) || c == '/')
			return app_buf_append(b, &c, 1);
		return app_buf_appendf(b, "%%%02X", c);
	}
	return -EINVAL;
}

int sp_http_escape(struct app_buf *b, const char *s, enum sp_http_escape_mode mode)
{
	size_t at = b->len;
	for (; *s; s++) {
		int r = escape_one(b, (unsigned char)*s, mode);
		if (r < 0) {
			b->len = at;
			return r;
		}
	}
	return 0;
}
