/* serve.h - the HTTP server of `swarmplay serve`: the session's torrents
 * over HTTP/1.1 (keep-alive, HEAD, ranges, CORS) to players and
 * browsers. See serve.c for the threads and the design. Private to
 * src/app.
 *
 * Ownership: the server borrows the session and its torrents; free the
 * server (which closes every reader it opened) before the session.
 * sp_serve_new and sp_serve_free from one thread (main); the rest from
 * any thread. */
#ifndef SP_APP_SERVE_H
#define SP_APP_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/buf.h"
#include "swarmplay/swarmplay.h"

#define SP_SERVE_MAX_TORRENTS 64
#define SP_SERVE_MAX_STREAMS_DEFAULT 32
#define SP_SERVE_MAX_CONNECTIONS_DEFAULT 200
#define SP_SERVE_ADD_MAX (4 << 20) /* a POST /add body */

struct sp_metainfo;

struct sp_serve_config {
	const char *host;     /* an IPv4 or IPv6 address literal */
	uint16_t port;        /* 0: pick one */
	const char *token;    /* NULL: none asked (loopback only) */
	int max_streams;      /* open responses at once (one reader and worker each) */
	int max_connections;  /* open connections at once; more are closed */
	int timeout_s;        /* idle connection / header timeout */
	struct sp_torrent *torrents[SP_SERVE_MAX_TORRENTS];
	int ntorrents;
	/* POST /add (--allow-add): add runs on a worker thread of the server's
	 * with a magnet or a whole metainfo (it owns mi) and returns the torrent
	 * now in the session, or NULL and err. */
	bool allow_add;
	struct sp_torrent *(*add)(void *arg, struct sp_metainfo *mi, struct sp_error **err);
	/* a .torrent body, parsed (pure; the server thread) */
	struct sp_metainfo *(*parse)(const uint8_t *buf, size_t len, struct sp_error **err);
	void *add_arg;
};

struct sp_serve;

/* Binds and starts the server's thread. NULL and err on failure (the
 * address in use...). */
struct sp_serve *sp_serve_new(const struct sp_serve_config *cfg, struct sp_error **err);
/* The port bound (the one asked, or the one picked for 0). */
uint16_t sp_serve_port(const struct sp_serve *sv);
/* Responses streaming now. */
int sp_serve_streams(const struct sp_serve *sv);
/* Appends the path of a file's URL to b: "/<infohash>/<index>/<base
 * name, escaped>". 0 or -EOVERFLOW. */
int sp_serve_file_path(struct app_buf *b, struct sp_torrent *t, int file);
/* Stops: every open response is cut, its reader closed; joins. NULL ok. */
void sp_serve_free(struct sp_serve *sv);

#endif
