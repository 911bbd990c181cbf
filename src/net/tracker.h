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
};

struct sp_tracker *sp_tracker_new(struct event_base *base, struct sp_curlev *curl,
				  const struct sp_metainfo *mi, const uint8_t peer_id[20],
				  uint16_t port, const struct sp_tracker_callbacks *cb);
void sp_tracker_free(struct sp_tracker *t);
void sp_tracker_start(struct sp_tracker *t);
void sp_tracker_completed(struct sp_tracker *t);
void sp_tracker_stop(struct sp_tracker *t);
/* Ask for more peers now (rate-limited by min interval). */
void sp_tracker_want_peers(struct sp_tracker *t);

#endif
