/* url_check.c - URL kinds, file: URIs, and a server's answer judged
 * (url_check.h). Pure logic; any thread. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "app/url_check.h"

#define SNIFF_BYTES 4096

enum sp_url_kind sp_url_kind(const char *src)
{
	if (!strncasecmp(src, "http://", 7) || !strncasecmp(src, "https://", 8))
		return SP_URL_HTTP;
	if (!strncasecmp(src, "file:", 5))
		return SP_URL_FILE;
	return SP_URL_NONE;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int sp_url_file_path(const char *uri, char *out, size_t n)
{
	if (sp_url_kind(uri) != SP_URL_FILE || !n)
		return -EINVAL;
	const char *p = uri + 5;
	if (!strncmp(p, "//", 2)) { /* an authority: empty or localhost */
		p += 2;
		if (!strncasecmp(p, "localhost/", 10))
			p += 9;
		else if (*p != '/')
			return -EINVAL;
	}
	if (*p != '/')
		return -EINVAL;
	size_t k = 0;
	for (; *p && *p != '?' && *p != '#'; p++) {
		char c = *p;
		if (c == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
			if (lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			c = (char)(hi * 16 + lo);
			p += 2;
		}
		if (k + 1 >= n)
			return -ENAMETOOLONG;
		out[k++] = c;
	}
	out[k] = 0;
	return 0;
}

/* The media type alone, lowercase compared: "Text/HTML; charset=x" is
 * text/html. */
static bool type_is(const char *ct, const char *type)
{
	size_t n = strlen(type);
	return !strncasecmp(ct, type, n) && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

static bool type_prefix(const char *ct, const char *prefix)
{
	return !strncasecmp(ct, prefix, strlen(prefix));
}

static bool body_is_html(const char *b, size_t len)
{
	size_t i = 0;
	if (len >= 3 && !memcmp(b, "\xef\xbb\xbf", 3))
		i = 3; /* a UTF-8 BOM */
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
		i++;
	static const char *const heads[] = {"<!doctype", "<html", "<head", "<?xml", "<body"};
	for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
		size_t hn = strlen(heads[h]);
		if (len - i >= hn && !strncasecmp(b + i, heads[h], hn))
			return true;
	}
	return false;
}

enum sp_url_verdict sp_url_check(const char *content_type, const void *body, size_t len)
{
	const char *ct = content_type ? content_type : "";
	while (*ct == ' ')
		ct++;
	if (type_is(ct, "text/html") || type_is(ct, "application/xhtml+xml") ||
	    body_is_html(body, len))
		return SP_URL_HTML;
	if (type_prefix(ct, "text/") || type_prefix(ct, "image/") || type_prefix(ct, "audio/") ||
	    type_prefix(ct, "video/") || type_is(ct, "application/json") ||
	    type_is(ct, "application/xml") || type_is(ct, "application/javascript"))
		return SP_URL_WRONG_TYPE;
	const char *b = body;
	size_t sniff = len < SNIFF_BYTES ? len : SNIFF_BYTES;
	if (!len || b[0] != 'd' || !memmem(b, sniff, "4:info", 6))
		return SP_URL_NOT_TORRENT;
	return SP_URL_TORRENT;
}
