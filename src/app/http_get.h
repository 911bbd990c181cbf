/* http_get.h - one blocking HTTP(S) GET through libcurl's easy interface,
 * made the same way by every fetch of the program (url_fetch.c: the
 * torrent that `play` or `info` is given by URL; kiosk_fetch.c: the
 * kiosk's playlist and its remote items): http and https only, redirects
 * followed (at most APP_HTTP_MAX_REDIRECTS, http and https too), a
 * connect timeout and a whole-transfer timeout, the body into an app_buf
 * under that buffer's ceiling (an answer whose length is said to be over
 * it is refused before its body comes), the header lines to the caller.
 * It blocks: the main thread or the kiosk's fetch thread, never the
 * session's loop. */
#ifndef SP_APP_HTTP_GET_H
#define SP_APP_HTTP_GET_H

#include <stdbool.h>
#include <stddef.h>

#include "app/buf.h"

#define APP_HTTP_MAX_REDIRECTS 5
#define APP_HTTP_CONNECT_TIMEOUT_S 10

struct app_http_get {
	const char *url;
	const char *user_agent;
	long timeout_s;		    /* the whole transfer, redirects included */
	const char *const *headers; /* extra request lines, NULL-terminated; or NULL */
	/* Each header line of each answer (without its line end); line NULL
	 * when a new answer begins (after a redirect): forget the last one's.
	 * May be NULL. */
	void (*on_header)(const char *line, size_t len, void *arg);
	void *arg;
};

/* GET g->url into body (app_buf_init'ed by the caller: its max is the
 * ceiling). The last answer's HTTP status (> 0), or -EFBIG (the answer is
 * over the ceiling), -ENOMEM (no libcurl handle) or -EIO (no answer), with
 * why in words (libcurl's). */
long app_http_get(const struct app_http_get *g, struct app_buf *body, char *why, size_t whylen);

/* When line (len bytes) is the header name, its value trimmed into out
 * (if it fits in n bytes with its NUL) and true. */
bool app_http_header_value(const char *line, size_t len, const char *name, char *out, size_t n);

#endif
