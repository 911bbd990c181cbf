/* tracker.h - announce to a torrent's trackers: HTTP(S) through sp_curlev
 * (BEP 3, BEP 23 compact, BEP 7 IPv6 peers, BEP 12 tiers) and UDP (BEP 15)
 * on the same event_base. One sp_tracker per torrent handles every tier.
 * Net thread only.
 *
 * Events: start() announces `started`, then re-announces on the tracker's
 * interval (respecting `min interval`); completed() sends `completed`;
 * stop() sends `stopped` best-effort. Peers and status messages come back
 * through the callbacks, on the loop. */
#ifndef SP_TRACKER_H
#define SP_TRACKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "core/metainfo.h"
#include "net/curlev.h"

struct sp_tracker;

struct sp_tracker_peer {
	struct sockaddr_storage addr; /* AF_INET or AF_INET6, port set */
	socklen_t addr_len;
};

struct sp_tracker_callbacks {
	void *ctx;
	void (*on_peers)(void *ctx, const struct sp_tracker_peer *peers, size_t n);
	/* A message for the user: a failure reason, a warning, "announced to X". */
	void (*on_status)(void *ctx, const char *url, const char *msg, bool is_error);
	/* Current totals for the announce. */
	void (*get_stats)(void *ctx, uint64_t *uploaded, uint64_t *downloaded, uint64_t *left);
	/* Optional (may be NULL): the answer to sp_tracker_scrape(); -1 for
	 * a count the tracker did not give. */
	void (*on_scrape)(void *ctx, const char *url, int64_t seeders, int64_t leechers,
			  int64_t downloaded);
};
/* The callbacks must not call sp_tracker_free() or sp_tracker_stop();
 * defer those to the loop (an event) if needed. */

/* Timers, all in milliseconds. The defaults suit the Internet; tests
 * shrink them. */
struct sp_tracker_timing {
	uint32_t udp_base_ms;     /* BEP 15 timeout 15 s x 2^n ... */
	uint32_t udp_max_retries; /* ... n up to 8, then the tracker failed */
	uint32_t http_timeout_ms; /* whole HTTP announce (30 s) */
	uint32_t interval_def_ms; /* when the tracker gives none (30 min) */
	uint32_t interval_min_ms; /* floor for interval / min interval (30 s) */
	uint32_t interval_max_ms; /* ceiling: enormous intervals are clamped (1 h) */
	uint32_t retry_min_ms;    /* a failed URL rests this long (30 s), */
	uint32_t retry_max_ms;    /* doubling per failure up to this (30 min) */
	/* A silent UDP tracker would hold the BEP 12 walk for an hour with
	 * n up to 8: while other URLs remain to try, give up after this many
	 * retransmissions instead (2: 15 + 30 + 60 s). */
	uint32_t udp_failover_retries;
};
void sp_tracker_timing_default(struct sp_tracker_timing *tm);

struct sp_tracker *sp_tracker_new(struct event_base *base, struct sp_curlev *curl,
				  const struct sp_metainfo *mi, const uint8_t peer_id[20],
				  uint16_t port, const struct sp_tracker_callbacks *cb);
void sp_tracker_free(struct sp_tracker *t);
void sp_tracker_start(struct sp_tracker *t);
void sp_tracker_completed(struct sp_tracker *t);
void sp_tracker_stop(struct sp_tracker *t);
/* Ask for more peers now (rate-limited by min interval). */
void sp_tracker_want_peers(struct sp_tracker *t);
/* Replace the timers (before start(), or they apply from the next wait). */
void sp_tracker_set_timing(struct sp_tracker *t, const struct sp_tracker_timing *tm);
/* numwant sent with each announce (default 50; -1: the tracker's). */
void sp_tracker_set_numwant(struct sp_tracker *t, int32_t numwant);
/* Scrape the first tracker that supports it; the answer goes to
 * cb->on_scrape, failures to on_status. -EAGAIN if a scrape is running,
 * -ENOTSUP if no tracker can scrape. */
int sp_tracker_scrape(struct sp_tracker *t);

#endif
