/* url_fetch.h - a URL given to `play` or `info` as its source: an
 * http(s) URL of a .tstream or .torrent is fetched with libcurl (redirects
 * followed, at most SP_URL_MAX_BYTES, within SP_URL_TIMEOUT_S) and checked
 * (url_check.h: a web page, a wrong type or no torrent is refused with
 * the reason) into a temporary file; a file: URI becomes its path. Main
 * thread, before any session starts (blocks while it fetches). */
#ifndef SP_APP_URL_FETCH_H
#define SP_APP_URL_FETCH_H

#include <stdbool.h>

#include "swarmplay/swarmplay.h"

/* A torrent file is some kilobytes (a few megabytes for the largest): an
 * answer over this is no torrent. */
#define SP_URL_MAX_BYTES (16u << 20)
#define SP_URL_TIMEOUT_S 60

struct sp_url_source {
	char path[4096];
	bool temporary; /* path is a fetched copy, removed by _close */
};

/* *src as given: an http(s) URL is fetched, a file: URI decoded, and *src
 * then points at u->path; anything else is left as it is. 0, or a
 * negative errno with *err: -EBADMSG (an answer that is no torrent: a
 * web page, a wrong type, over the size), -EINVAL (a bad file: URI),
 * -EIO (the server could not be reached or said no). */
int sp_url_source_open(struct sp_url_source *u, const char **src, struct sp_error **err);
/* Removes the fetched copy, if any. */
void sp_url_source_close(struct sp_url_source *u);

#endif
