/* http_parse.h - what `swarmplay serve` reads from an HTTP request, parsed
 * without I/O: the request target (path and query) into a route, the
 * Range header against a file's size, the token check, and the small
 * pieces the pages need (Content-Type by extension, natural order,
 * escaping for HTML, JSON and URLs). libevent's evhttp reads the request
 * line and headers; everything we decide on comes through here.
 *
 * Pure: no libevent, no allocation except in sp_http_escape (a ceilinged
 * app_buf). Any thread; no shared state. */
#ifndef SP_NET_HTTP_PARSE_H
#define SP_NET_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/buf.h"

#define SP_HTTP_MAX_TARGET 2048 /* longer request targets: 414 */
#define SP_HTTP_MAX_TOKEN 256
#define SP_HTTP_MAX_RANGE 256   /* longer Range headers: 416 */
#define SP_HTTP_MAX_FILE_INDEX 999999

enum sp_http_route_kind {
	SP_HTTP_NOT_FOUND = 0, /* well formed, but nothing lives there: 404 */
	SP_HTTP_INDEX,         /* "/": the torrents and their files */
	SP_HTTP_STATS,         /* "/stats.json" */
	SP_HTTP_M3U,           /* "/<infohash>.m3u" */
	SP_HTTP_FILE,          /* "/<infohash>/<file index>[/<name>...]" */
	SP_HTTP_ADD,           /* "/add": POST a magnet or a .torrent */
};

struct sp_http_route {
	enum sp_http_route_kind kind;
	char hash_hex[41];   /* M3U, FILE: lower case */
	uint32_t file_index; /* FILE */
	bool has_token;      /* ?token= was given */
	char token[SP_HTTP_MAX_TOKEN + 1];
	bool json;           /* ?format=json */
};

/* A request target in origin form ("/path?query", len bytes, not
 * NUL-terminated necessarily). 0 and *out filled (kind NOT_FOUND for an
 * unknown path); -ENAMETOOLONG over SP_HTTP_MAX_TARGET (414); -EINVAL for
 * anything malformed (400): no leading '/', a bad or %00 escape, a control
 * byte, an encoded '/', a "." or ".." segment, an empty segment, a token
 * over SP_HTTP_MAX_TOKEN. */
int sp_http_route_parse(const char *target, size_t len, struct sp_http_route *out);

enum { SP_HTTP_RANGE_WHOLE = 0, SP_HTTP_RANGE_PART = 1 };
#define SP_HTTP_MAX_RANGES 16
/* A Range header value (NULL: none) against a resource of size bytes.
 * SP_HTTP_RANGE_WHOLE: answer 200 with everything (no header, another unit,
 * or more than SP_HTTP_MAX_RANGES ranges);
 * SP_HTTP_RANGE_PART: 206 for [*first, *last] (inclusive, within size);
 * several ranges give their span, one part, never multipart/byteranges
 * (players ask for one range; RFC 9110 lets a server coalesce them, and a
 * client that asks for several must read a single part's Content-Range);
 * -ERANGE: unsatisfiable (416: no range has a first byte before the end,
 * bytes=-0, an empty resource); -EINVAL: malformed (416 as well: negative
 * numbers, last < first, junk, over SP_HTTP_MAX_RANGE bytes). */
int sp_http_range_parse(const char *value, uint64_t size, uint64_t *first, uint64_t *last);

/* "Bearer TOKEN" in an Authorization value (NULL allowed): the token,
 * else NULL. Points into value. */
const char *sp_http_bearer(const char *value, size_t *len);
/* Does got (len bytes) equal want? Time independent of where they differ. */
bool sp_http_token_equal(const char *want, const char *got, size_t len);

/* Is a Host header value an address literal ("127.0.0.1:8888",
 * "[::1]:80", "localhost") rather than a DNS name? A server on loopback
 * without a token answers only those: a web page cannot then reach it
 * through a name it rebinds to 127.0.0.1 (DNS rebinding). NULL: true (an
 * HTTP/1.0 client). */
bool sp_http_host_is_literal(const char *host);

/* The Content-Type for a file name, by its extension (case-insensitive);
 * "application/octet-stream" when unknown. Static strings. */
const char *sp_http_content_type(const char *name);
/* Natural order: "ep2" < "ep10"; runs of digits compare as numbers,
 * other bytes case-insensitively; ties by plain strcmp. */
int sp_http_natural_cmp(const char *a, const char *b);

enum sp_http_escape_mode {
	SP_HTTP_ESC_HTML, /* & < > " ' as entities */
	SP_HTTP_ESC_JSON, /* a JSON string's contents; control bytes as \u00XX */
	SP_HTTP_ESC_PATH, /* percent-encodes all but unreserved bytes and '/' */
};
/* Appends s escaped to b; 0 or -EOVERFLOW (b's ceiling). */
int sp_http_escape(struct app_buf *b, const char *s, enum sp_http_escape_mode mode);

#endif
