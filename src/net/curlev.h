/* curlev.h - libcurl's multi interface driven by a libevent loop (socket
 * and timer callbacks, as curl's hiperfifo example: no polling thread, no
 * blocking DNS on the loop; curl's threaded resolver does lookups).
 * Trackers and web seeds share one sp_curlev per session. Net thread only. */
#ifndef SP_CURLEV_H
#define SP_CURLEV_H

#include <curl/curl.h>
#include <event2/event.h>

struct sp_curlev;

typedef void (*sp_curlev_done_fn)(void *ctx, CURL *easy, CURLcode result);

/* HTTPS is verified against the system's CAs; SWARMPLAY_CA_FILE (a PEM
 * bundle) replaces them for every transfer of this curlev, for private
 * trackers and mirrors (and tests with a self-signed certificate). */
struct sp_curlev *sp_curlev_new(struct event_base *base);
/* Removes and cleans up every transfer still running (their done
 * callbacks are not called). */
void sp_curlev_free(struct sp_curlev *c);
/* Start a transfer; done(ctx, easy, result) runs on the loop when it ends,
 * after which the caller owns easy again (and usually cleans it up). */
int sp_curlev_add(struct sp_curlev *c, CURL *easy, sp_curlev_done_fn done, void *ctx);
/* Abort a running transfer; its done callback is not called. */
void sp_curlev_remove(struct sp_curlev *c, CURL *easy);
/* Hand a running transfer over to c: no done callback; c cleans the easy
 * up when it ends (or in sp_curlev_free). For fire-and-forget requests
 * such as a `stopped` announce that outlives its tracker: its write
 * callback must not point at memory the caller frees. */
void sp_curlev_detach(struct sp_curlev *c, CURL *easy);
/* Transfers running (tests, stats). */
size_t sp_curlev_count(const struct sp_curlev *c);
struct event_base *sp_curlev_base(const struct sp_curlev *c);
/* The session's shared evdns resolver (created on first use, freed with
 * c), for lookups that are not curl's: UDP trackers. NULL if none can be
 * made. */
struct evdns_base;
struct evdns_base *sp_curlev_dns(struct sp_curlev *c);

#endif
