/* tracker_int.h - private to tracker.c, tracker_http.c and tracker_udp.c.
 *
 * tracker.c owns the tiers, the schedule and the public API; it starts one
 * job (an announce or a scrape to one URL) at a time per kind, and the
 * transport files report the job's end through sp_tracker_job_done(),
 * which frees the job. Net thread only. */
#ifndef SP_TRACKER_INT_H
#define SP_TRACKER_INT_H

#include <curl/curl.h>
#include <event2/dns.h>
#include <event2/event.h>

#include "core/buf.h"
#include "net/tracker.h"
#include "net/tracker_parse.h"

enum turl_kind { TURL_HTTP, TURL_UDP, TURL_BAD };

/* One tracker URL of one tier. */
struct turl {
	char *url;
	enum turl_kind kind;
	bool started_sent;  /* this tracker knows us: `started` went through */
	unsigned fails;     /* failures in a row */
	int64_t retry_at_us; /* resting after a failure until then */
	char *tracker_id;   /* HTTP "tracker id" to echo */
	/* UDP */
	char host[256];
	char port[8];
	char path[1024];  /* BEP 41 URLData: what follows host:port, or "" */
	struct sockaddr_storage addr; /* cached resolution, addr_len 0 if none */
	socklen_t addr_len;
	uint64_t conn_id;
	int64_t conn_time_us; /* 0: no connection id */
};

enum job_kind { JOB_ANNOUNCE, JOB_SCRAPE };

struct tjob {
	struct sp_tracker *t;
	struct turl *u;
	enum job_kind kind;
	struct sp_announce_req req;
	/* HTTP */
	CURL *easy;
	struct sp_buf body;
	char errbuf[CURL_ERROR_SIZE];
	/* UDP */
	int fd;
	struct event *rd, *tm;
	struct evdns_getaddrinfo_request *dns;
	int state;
	unsigned n; /* retransmissions so far */
	unsigned max_retries;
	uint32_t txid;
};

/* What tracker.c exposes to the transports. */
struct event_base *sp_tracker_base(struct sp_tracker *t);
struct sp_curlev *sp_tracker_curl(struct sp_tracker *t);
const struct sp_tracker_timing *sp_tracker_get_timing(struct sp_tracker *t);
/* The job ended. status 0: resp (announce) or sc (scrape) holds the
 * answer, resp->failure may be set; status < 0: msg says why. Frees j
 * (after calling the transport's cleanup). */
void sp_tracker_job_done(struct tjob *j, int status, struct sp_announce_resp *resp,
			 const struct sp_scrape_info *sc, const char *msg);
uint32_t sp_tracker_random32(void);

int sp_tracker_http_start(struct tjob *j);
void sp_tracker_http_cleanup(struct tjob *j);
/* Fire-and-forget `stopped`: the transfer belongs to the curlev. */
void sp_tracker_http_fire(struct sp_tracker *t, struct turl *u, const struct sp_announce_req *req);

int sp_tracker_udp_start(struct tjob *j);
void sp_tracker_udp_cleanup(struct tjob *j);
/* Sends a `stopped` announce if u holds a fresh connection id. */
void sp_tracker_udp_fire(struct sp_tracker *t, struct turl *u, const struct sp_announce_req *req);
/* Parse "udp://host:port[/...]" into u->host and u->port. */
int sp_tracker_udp_parse_url(struct turl *u);

#endif
