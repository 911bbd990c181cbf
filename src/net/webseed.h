/* webseed.h - an HTTP(S) web seed (BEP 19 `url-list`) as one more source
 * of blocks, driven by the session exactly like a peer.
 *
 * The session hands it block requests from the picker (source kind
 * SP_SOURCE_WEBSEED); the web seed coalesces blocks that are contiguous in
 * one file into a single Range request (a block that spans files becomes
 * one transfer per file; BEP 47 pad files are zeros made locally), runs the
 * transfers on the session's sp_curlev, and hands every block back through
 * on_block as soon as its bytes are in. The session stores it like a
 * peer's block: storage verifies the piece's SHA-1 before anything reads
 * it, so nothing unverified is ever used.
 *
 * Faults (5xx, timeouts, a server that ignores Range, a wrong
 * Content-Range, short or oversized bodies, too many redirects) end the
 * transfer: its blocks not yet delivered, and every queued one, come back
 * through on_reject (the picker re-plans them), on_status says why, and
 * the web seed backs off (exponentially, from backoff_min_ms to
 * backoff_max_ms) during which usable() is false and request() refuses.
 * A fault of one file (404, 410, 416, a different size on the server)
 * rejects only the blocks touching that file, and request() refuses
 * them (-EAGAIN) for backoff_max_ms; the server stays usable.
 *
 * Ownership: the web seed copies the URL and keeps a pointer to mi, which
 * must outlive it. The data passed to on_block is valid during the call
 * only. Callbacks run on the loop; they may call request() and cancel()
 * (never free()). Net thread only. */
#ifndef SP_WEBSEED_H
#define SP_WEBSEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/metainfo.h"
#include "net/curlev.h"

struct sp_webseed;

struct sp_webseed_callbacks {
	void *ctx;
	void (*on_block)(void *ctx, struct sp_webseed *ws, uint32_t piece, uint32_t offset,
			 const uint8_t *data, uint32_t len);
	void (*on_reject)(void *ctx, struct sp_webseed *ws, uint32_t piece, uint32_t offset,
			  uint32_t len);
	void (*on_status)(void *ctx, struct sp_webseed *ws, const char *msg, bool is_error);
};

struct sp_webseed_config {
	uint32_t max_transfers;    /* concurrent Range requests (4) */
	uint32_t max_span;         /* bytes per Range request (1 MiB) */
	uint32_t max_queued;       /* blocks accepted and not yet answered (2048) */
	uint32_t connect_timeout_ms;   /* (10 s) */
	uint32_t low_speed_bytes;  /* abort a transfer slower than this many bytes/s ... */
	uint32_t low_speed_s;      /* ... for this long (1 KiB/s, 20 s) */
	uint32_t backoff_min_ms;   /* first back-off after a failure (5 s) */
	uint32_t backoff_max_ms;   /* ceiling of the doubling (5 min) */
	uint32_t max_redirects;    /* (5) */
};
void sp_webseed_config_default(struct sp_webseed_config *cfg);

/* url: the url-list entry as given (http:// or https://; otherwise NULL
 * with -ENOTSUP). cfg may be NULL for the defaults. */
struct sp_webseed *sp_webseed_new(struct sp_curlev *c, const struct sp_metainfo *mi,
				  const char *url, const struct sp_webseed_callbacks *cb,
				  const struct sp_webseed_config *cfg, struct sp_error **err);
/* A BEP 17 `httpseeds` entry: the same source object, but each request
 * is url?info_hash=..&piece=N&ranges=A-B (blocks of one piece coalesced)
 * answered 200 with exactly those bytes; a 503 answer's body is the
 * number of seconds to wait, which replaces the back-off. */
struct sp_webseed *sp_webseed_new_httpseed(struct sp_curlev *c, const struct sp_metainfo *mi,
					   const char *url, const struct sp_webseed_callbacks *cb,
					   const struct sp_webseed_config *cfg,
					   struct sp_error **err);
/* Aborts every transfer; no callback runs. */
void sp_webseed_free(struct sp_webseed *ws);

/* Ask for [offset, offset+len) of piece. 0 queued; -EAGAIN backing off
 * (or the range touches a file the server lacks);
 * -ENOBUFS too many queued; -EINVAL outside the torrent. The transfers
 * start on the next loop turn, so requests made together coalesce. */
int sp_webseed_request(struct sp_webseed *ws, uint32_t piece, uint32_t offset, uint32_t len);
/* Forget a request (no callback for it). A transfer whose every block was
 * cancelled is aborted. */
void sp_webseed_cancel(struct sp_webseed *ws, uint32_t piece, uint32_t offset, uint32_t len);
/* Not backing off. */
bool sp_webseed_usable(const struct sp_webseed *ws);
/* Download rate (bytes/s, smoothed over a few seconds). */
double sp_webseed_rate(const struct sp_webseed *ws);
/* Requests queued or in flight. */
size_t sp_webseed_outstanding(const struct sp_webseed *ws);
const char *sp_webseed_url(const struct sp_webseed *ws);

/* Pure helper (tests): the URL of file index i under a url-list entry:
 * BEP 19 mapping, each path component percent-encoded. Caller frees. */
char *sp_webseed_file_url(const char *base, const struct sp_metainfo *mi, size_t i);

#endif
