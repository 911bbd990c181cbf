/* tracker_parse.h - the pure half of the tracker code: announce and scrape
 * URL building, HTTP tracker response parsing (BEP 3, BEP 23 compact,
 * BEP 7 peers6, dictionary peers), and BEP 15 UDP packet encoding and
 * decoding. No sockets, no curl, no clock: bytes in, structs out, so the
 * unit tests (and a fuzz target) can feed it anything. Any thread.
 *
 * Ownership: a parsed response owns its strings and peer array; free it
 * with sp_announce_resp_fini(). */
#ifndef SP_TRACKER_PARSE_H
#define SP_TRACKER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "net/tracker.h"

/* A tracker answer bigger than this is refused (HTTP body or UDP). */
#define SP_TRACKER_MAX_RESPONSE (1024 * 1024)
/* Peers kept from one answer; the rest are dropped. */
#define SP_TRACKER_MAX_PEERS 2000
/* Failure and warning messages are cut to this many bytes. */
#define SP_TRACKER_MAX_MSG 300

enum sp_tracker_event {
	SP_TRACKER_EV_NONE = 0,
	SP_TRACKER_EV_COMPLETED = 1, /* BEP 15 numbering */
	SP_TRACKER_EV_STARTED = 2,
	SP_TRACKER_EV_STOPPED = 3,
};

struct sp_announce_req {
	uint8_t info_hash[20];
	uint8_t peer_id[20];
	uint16_t port;
	uint64_t uploaded, downloaded, left;
	enum sp_tracker_event event;
	int32_t numwant; /* -1: tracker's default */
	uint32_t key;
	const char *tracker_id; /* from a previous answer, or NULL */
};

struct sp_announce_resp {
	char *failure;  /* "failure reason" (the answer carries nothing else) */
	char *warning;  /* "warning message" */
	int64_t interval;     /* seconds as sent, -1 if absent */
	int64_t min_interval; /* seconds as sent, -1 if absent */
	int64_t complete, incomplete; /* -1 if absent */
	char *tracker_id;
	struct sp_tracker_peer *peers;
	size_t num_peers;
	size_t dropped_peers; /* malformed dictionary entries, over the cap */
};

void sp_announce_resp_fini(struct sp_announce_resp *r);

/* Append the announce URL for req to out: the announce URL plus
 * info_hash and peer_id percent-encoded byte by byte, port, uploaded,
 * downloaded, left, compact=1, event, numwant, key (joined with '&' when
 * the URL has a query already; a '#fragment' is dropped). */
int sp_tracker_announce_url(struct sp_buf *out, const char *announce,
			    const struct sp_announce_req *req);
/* BEP 48 convention: the scrape URL replaces the "announce" that starts
 * the last path component; -ENOTSUP if there is none. */
int sp_tracker_scrape_url(struct sp_buf *out, const char *announce,
			  const uint8_t info_hash[20]);

/* Parse an HTTP announce answer. A "failure reason" is not a parse error:
 * r->failure is set and 0 returned. Malformed answers give -EBADMSG,
 * impossible values -EPROTO, each with a message in *err. */
int sp_tracker_parse_announce(const uint8_t *buf, size_t len, struct sp_announce_resp *r,
			      struct sp_error **err);

struct sp_scrape_info {
	int64_t complete, incomplete, downloaded; /* -1 if absent */
};
/* Parse an HTTP scrape answer for info_hash; -ENOENT if it is absent. */
int sp_tracker_parse_scrape(const uint8_t *buf, size_t len, const uint8_t info_hash[20],
			    struct sp_scrape_info *out, struct sp_error **err);

/* Clamp the announce interval (seconds from the tracker, -1 if absent) to
 * [floor_ms, ceil_ms]; absent means def_ms. */
int64_t sp_tracker_clamp_interval_ms(int64_t seconds, int64_t def_ms, int64_t floor_ms,
				     int64_t ceil_ms);

/* BEP 15. */
#define SP_UDP_PROTOCOL_ID 0x41727101980ULL
enum sp_udp_action {
	SP_UDP_CONNECT = 0,
	SP_UDP_ANNOUNCE = 1,
	SP_UDP_SCRAPE = 2,
	SP_UDP_ERROR = 3,
};
#define SP_UDP_CONNECT_LEN 16
#define SP_UDP_ANNOUNCE_LEN 98
#define SP_UDP_SCRAPE_LEN 36

void sp_udp_connect_req(uint8_t out[SP_UDP_CONNECT_LEN], uint32_t txid);
void sp_udp_announce_req(uint8_t out[SP_UDP_ANNOUNCE_LEN], uint64_t conn_id, uint32_t txid,
			 const struct sp_announce_req *req);
void sp_udp_scrape_req(uint8_t out[SP_UDP_SCRAPE_LEN], uint64_t conn_id, uint32_t txid,
		       const uint8_t info_hash[20]);

/* BEP 41: the URL's path and query ("/announce?passkey=...") appended to
 * an announce as URLData options (type 2, up to 255 bytes each) and an
 * EndOfOptions; 0 bytes for an empty path. Returns the bytes written,
 * or 0 if path does not fit in cap. */
#define SP_UDP_OPTIONS_MAX 1100
size_t sp_udp_url_options(uint8_t *out, size_t cap, const char *path);

/* A decoded UDP answer. */
struct sp_udp_resp {
	enum sp_udp_action action;
	uint32_t txid;
	uint64_t conn_id;                 /* connect */
	struct sp_announce_resp announce; /* announce (peers, interval...); error: failure */
	struct sp_scrape_info scrape;     /* scrape */
};
/* Decode pkt, checking that it answers transaction txid with the action
 * expected (or an error). ipv6 tells the peer record size (18 for a
 * tracker reached over IPv6, else 6). -EBADMSG short or misaligned
 * packets, -EPROTO wrong transaction or action. */
int sp_udp_parse(const uint8_t *pkt, size_t len, uint32_t txid, enum sp_udp_action expected,
		 bool ipv6, struct sp_udp_resp *out, struct sp_error **err);
void sp_udp_resp_fini(struct sp_udp_resp *r);

#endif
