/* webseed_parse.h - the checks on a web seed's HTTP answer, the pure half
 * of webseed_http.c: the Content-Range header line, the status and range
 * verdict, a BEP 17 503's retry delay.
 *
 * Pure: strings and numbers in, a verdict out, so that a fuzz target and
 * a unit test can drive them. Any thread. */
#ifndef SP_WEBSEED_PARSE_H
#define SP_WEBSEED_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* If the header line p[0..n) (as curl hands it: "Name: value\r\n", not
 * NUL-ended) is a Content-Range, copy its value into out (size > 0),
 * trimmed, cut to size - 1 bytes, with control bytes replaced by '?' (it
 * may end up in an error message), and return true. */
bool sp_webseed_content_range(const char *p, size_t n, char *out, size_t size);

enum sp_ws_verdict {
	SP_WS_OK,	   /* the bytes asked for follow */
	SP_WS_BUSY,	   /* BEP 17 server busy (503): wait as its body says */
	SP_WS_OTHER_RANGE, /* 206 with another or an unreadable Content-Range */
	SP_WS_FILE_SIZE,   /* 206 for a file of another length */
	SP_WS_NO_RANGE,	   /* 200 for part of a file: Range requests ignored */
	SP_WS_NOT_FOUND,   /* 404 */
	SP_WS_HTTP,	   /* any other status */
};

struct sp_ws_check {
	enum sp_ws_verdict verdict;
	bool file_fault; /* the file, not the server, is wrong (don't ask it again) */
	uint64_t total;	 /* SP_WS_FILE_SIZE: the length the server gave */
};

/* The answer with HTTP status code and Content-Range value range (""
 * when none) to a request for bytes first..last (inclusive) of a file of
 * file_len bytes. httpseed: a BEP 17 server, which answers 200 with
 * exactly the bytes asked. */
struct sp_ws_check sp_webseed_check(long code, const char *range, bool httpseed, uint64_t first,
				    uint64_t last, uint64_t file_len);

/* BEP 17: a 503's body is the number of seconds to wait; returns
 * milliseconds in 1 s .. 1 h, or 0 when the body says nothing usable. */
uint32_t sp_webseed_retry_after(const char *p, size_t n);

#endif
