/* url_check.h - what `play` and `info` take as a URL: which kind it is,
 * a file:// URI's path, and whether a server's answer is a torrent. Pure:
 * no I/O (url_fetch.c does the fetching). Any thread. */
#ifndef SP_APP_URL_CHECK_H
#define SP_APP_URL_CHECK_H

#include <stddef.h>

enum sp_url_kind {
	SP_URL_NONE = 0, /* a path, a magnet: not ours */
	SP_URL_HTTP,	 /* http:// or https:// */
	SP_URL_FILE,	 /* file: */
};
enum sp_url_kind sp_url_kind(const char *src);

/* A file: URI's local path into out[n]: "file:///a%20b" → "/a b";
 * "file://localhost/x" → "/x"; "file:/x" → "/x". 0, -EINVAL (another
 * host, a bad or NUL escape, not absolute) or -ENAMETOOLONG. */
int sp_url_file_path(const char *uri, char *out, size_t n);

/* A server's answer, as play reads it: a torrent, or why not. */
enum sp_url_verdict {
	SP_URL_TORRENT = 0,
	SP_URL_HTML,	    /* a web page (text/html, or a body that is HTML) */
	SP_URL_WRONG_TYPE,  /* a Content-Type no torrent is served as (text, image,
			       audio, video, JSON, XML) */
	SP_URL_NOT_TORRENT, /* the body is no bencoded dictionary with an info */
};
/* content_type: the header's value (NULL or "" when none was sent). */
enum sp_url_verdict sp_url_check(const char *content_type, const void *body, size_t len);

#endif
