/* session.h - private: the session, its torrents and their sources, as
 * shared by the net engine's files:
 *   session.c      the net thread, post queue, listeners (IPv4 and IPv6)
 *   torrent.c      a torrent's swarm: storage and picker glue, candidates,
 *                  blame and bans, the tick, the stats snapshot
 *   torrent_life.c add, check, start, stop, free
 *   torrent_api.c  the public sp_torrent_* calls and the reader glue
 *   torrent_meta.c sp_session_fetch_metadata (magnet -> metainfo)
 *   torrent_ws.c   web seeds as picker sources
 *   peer.c         one wire connection (peer.h): handshake, dispatch
 *   peer_up.c      uploads and the BEP 6 allowed-fast set
 *   peer_mse.c     the encryption layer (MSE handshake, RC4 stream)
 *   ext.c          BEP 10 handshake; metadata.c BEP 9; pex.c BEP 11
 *   lsd.c          BEP 14 (lsd6.c over IPv6); dht.c BEP 5 and 32 (dht_life.c
 *                  its sockets and dht.dat); choker.c who we upload to
 *   netinfo.c      sp_session_get_network, for `swarmplay doctor`
 *   wire.c, mse.c  pure codecs (no sockets)
 *
 * Threads: everything below is owned by the net thread (sp_session_
 * assert_loop() checks it), except the fields marked "any thread" which
 * live under their mutex. The only way in from another thread is
 * sp_session_post(). */
#ifndef SP_NET_SESSION_H
#define SP_NET_SESSION_H

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "core/bitfield.h"
#include "core/metainfo.h"
#include "net/banlist.h"
#include "net/extip.h"
#include "picker/picker.h"
#include "swarmplay/swarmplay.h"
#include "net/banlist.h"

struct sp_curlev;
struct sp_picker;
struct sp_storage;
struct sp_tracker;
struct sp_peer;
struct bufferevent;
struct ev_token_bucket_cfg;
struct bufferevent_rate_limit_group;

#define SP_SESSION_DEFAULT_PEERS 50
#define SP_SESSION_DEFAULT_TOTAL 200
#define SP_SESSION_DEFAULT_SLOTS 4
#define SP_SESSION_DEFAULT_PER_IP 8

/* A source of blocks: a peer, later a web seed. The torrent hands it the
 * picker's actions through these. */
struct sp_blocksrc_ops {
	void (*request)(void *src, uint32_t piece, uint32_t offset, uint32_t length);
	void (*cancel)(void *src, uint32_t piece, uint32_t offset, uint32_t length);
};

struct sp_blocksrc {
	uint32_t id; /* picker source id, unique in its torrent */
	const struct sp_blocksrc_ops *ops;
	void *obj;
	struct sp_blocksrc *next;
};

/* A candidate address to connect to. */
struct sp_candidate {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int fails;
	bool connected; /* a peer to this address is alive */
	bool try_mse;   /* it hung up on a plain handshake: open with MSE */
	int64_t next_try_us;
	struct sp_candidate *next;
};

/* Who sent blocks of a piece: blamed if it fails its hash. */
#define SP_MAX_SENDERS 8
struct sp_piece_senders {
	uint8_t n;
	struct sp_host host[SP_MAX_SENDERS]; /* IPv4 (mapped) or IPv6 */
	uint32_t webseed_bytes;      /* of the piece, from web seeds */
};

struct sp_webseed;
/* A web seed as a source (torrent_ws.c). */
struct sp_ws_source {
	struct sp_torrent *t;
	struct sp_webseed *ws;
	uint32_t source_id;
	bool choked; /* told the picker it is unusable (backing off) */
	struct sp_ws_source *next;
};

/* Trust in an address: +1 per good piece it helped with (capped), -2 per
 * failed one; banned at SP_TRUST_BAN, or at once as a bad piece's sole
 * sender. The cap keeps a long-good peer from hiding a later lie. */
#define SP_TRUST_MAX 8
#define SP_TRUST_BAN (-7)
struct sp_strike {
	struct sp_host host;
	int trust;
	int failed_pieces;
	struct sp_strike *next;
};

struct sp_torrent {
	struct sp_session *s;
	struct sp_metainfo *mi;
	char *dir;
	bool seed_only;

	/* loop-owned */
	struct sp_storage *storage;
	struct sp_picker *picker;
	struct sp_tracker *tracker;
	struct sp_peer *peers;     /* list via sp_peer.next */
	int num_peers;
	struct sp_blocksrc *sources;
	uint32_t next_source_id;
	struct sp_candidate *candidates;
	struct sp_ws_source *webseeds;
	struct sp_piece_senders **senders; /* [num_pieces], lazily allocated */
	struct sp_strike *strikes;
	struct sp_bitfield have;   /* verified pieces (mirror of storage's) */
	uint8_t *file_unwanted;    /* per file, NULL = all wanted (sp_torrent_set_file_wanted) */
	bool started;              /* checked, picker and tracker running */
	bool stopping;
	bool pump_pending;
	struct event *pump_ev;     /* deferred sp_picker_next */
	struct event *tick_ev;     /* 100 ms: picker timer, connects, stats */
	int64_t last_rechoke_us;
	int64_t last_optimistic_us;
	struct sp_peer *optimistic;
	int64_t last_resume_us;
	int64_t last_rate_us;
	uint64_t down_bytes_window, up_bytes_window;
	uint64_t from_peers, from_cache, from_webseed; /* verified bytes by source */
	uint64_t uploaded;               /* payload bytes, peers gone included */
	uint64_t relayed;                /* of uploaded, sent before we were complete */
	bool handout;                    /* a seed whose uplink is the bottleneck
					    (peer_up.c): rare pieces first */
	int64_t handout_seen_us;         /* last seen so */
	bool urgent;                     /* we play, and requests of two peers
					    wait (peer_up.c): the request
					    needed soonest first */
	uint32_t urgent_min;             /* then, its distance (pieces) */
	bool plays;                      /* a stream plays from us (peer_up.c) */
	uint32_t plays_at;               /* then, the piece it plays */
	int64_t urgent_seen_us;
	uint64_t stats_wasted;
	uint64_t wasted_by[SP_WASTE_COUNT]; /* stats_wasted by cause */
	double down_rate, up_rate;
	int64_t complete_at_us;
	/* pieces the storage could not write (disk full): asked for again
	 * after a back-off that doubles while writes keep failing */
	uint32_t *lost;
	size_t nlost, caplost;
	int64_t lost_retry_us, lost_backoff_us;
	int64_t last_stats_us;
	uint32_t pieces_at_start;
	uint64_t peers_seen;
	int64_t lsd_sent_us;
	int64_t dht_last_us;
	int64_t last_want_us;
	char tracker_status[256];
	pthread_t check_thread;
	bool check_thread_started;

	/* any thread: the stats snapshot, under stats_lock */
	pthread_mutex_t stats_lock;
	struct sp_torrent_stats stats;
	/* the picker's start rule for each reader that asks (torrent_api.c):
	 * evaluated on the net thread, read by the reader's thread; under
	 * stats_lock */
#define SP_START_SLOTS 8
	struct sp_start_slot {
		uint32_t reader;   /* 0: free */
		uint32_t piece;    /* the cursor's piece it was evaluated at */
		double ahead_s;    /* the horizon the reader asks for */
		int64_t asked_us;  /* last asked (evaluated while recent) */
		bool ready;
	} start[SP_START_SLOTS];

	/* peer_slots.c: addresses turned over lately, kept out a while */
#define SP_TURNED_MAX 64
	uint64_t turned_host[SP_TURNED_MAX];
	int64_t turned_until_us[SP_TURNED_MAX];
	unsigned turned_next;

	/* a magnet's metadata fetch (metadata.c): no storage, no picker */
	bool meta_only;
	struct sp_meta *meta;

	struct sp_torrent *next;
};

struct sp_post_item {
	void (*fn)(void *arg);
	void *arg;
	struct sp_post_item *next;
};

struct sp_session {
	struct sp_session_config cfg;
	uint8_t peer_id[20];
	struct event_base *base;
	struct evconnlistener *listener;
	struct evconnlistener *listener6; /* [::], same port, when bound to any */
	struct sp_dht *dht;            /* BEP 5, when cfg.dht */
	struct evdns_base *dns;        /* bootstrap names; made at the first one */
	struct sp_portmap *portmap;    /* cfg.port_mapping: its worker and schedule */
	struct event *dht_timer;
	struct event *lsd_ev;          /* BEP 14, when cfg.lsd */
	int lsd_fd;
	struct event *lsd6_ev;         /* BEP 14 over IPv6 (ff15::efc0:988f) */
	int lsd6_fd;
#define SP_LSD6_MAX_IFS 8
	unsigned lsd6_if[SP_LSD6_MAX_IFS]; /* the interfaces that joined the group */
	int lsd6_nif;
	char lsd_cookie[24];
	uint16_t port;
	/* addresses that turned out to be ours (a handshake of our own peer
	 * id came in from them): never dialled on our port */
#define SP_SELF_ADDRS 8
	struct sockaddr_storage self_addr[SP_SELF_ADDRS];
	unsigned nself;
	struct sp_curlev *curl;
	struct bufferevent_rate_limit_group *up_group;
	struct ev_token_bucket_cfg *up_bucket;
	pthread_t thread;
	atomic_bool running;
	atomic_bool fetch_cancel; /* sp_session_cancel_fetches: sticky */

	/* the post queue: any thread */
	pthread_mutex_t post_lock;
	struct sp_post_item *post_head, *post_tail;
	struct event *post_ev;
	struct event *stop_ev;

	/* loop-owned */
	struct sp_torrent *torrents;
	struct sp_peer *half_open;     /* inbound peers before their handshake */
	struct sp_peer *zombies;       /* closed, to be freed on the next turn */
	int total_peers;
	size_t out_total;              /* bytes in every peer's output buffer */
	struct sp_banlist bans;        /* corrupt data: addresses, IPv6 /64s */
	struct sp_extip extip4, extip6; /* our external addresses, by votes (dht.c) */
	bool stopping;
	int64_t stop_deadline_us;
	/* peers learnt while fetching a magnet's metadata, handed to the
	 * torrent added next with that info-hash */
	struct sp_candidate *meta_cands;
	uint8_t meta_cands_ih[20];
};

/* Run fn(arg) on the net thread. Any thread. fn owns arg. 0 or -ENOMEM. */
int sp_session_post(struct sp_session *s, void (*fn)(void *arg), void *arg);
bool sp_session_on_loop(const struct sp_session *s);
#define sp_session_assert_loop(s) assert(sp_session_on_loop(s))
bool sp_session_banned(const struct sp_session *s, const struct sp_host *h);
void sp_session_ban(struct sp_session *s, const struct sp_host *h);
struct sp_torrent *sp_session_find_torrent(struct sp_session *s, const uint8_t info_hash[20]);

/* session.c, loop only: remember an address of ours (its port is
 * ignored: ours is the listen port), and is this candidate ourselves? */
void sp_session_note_self(struct sp_session *s, const struct sockaddr *sa);
bool sp_session_is_self(const struct sp_session *s, const struct sockaddr *sa);

/* torrent.c, loop only */
void sp_torrent_attach_peer(struct sp_torrent *t, struct sp_peer *p);
void sp_torrent_peer_gone(struct sp_torrent *t, struct sp_peer *p);
void sp_torrent_pump(struct sp_torrent *t);
/* torrent_api.c: evaluate the picker's start rule for the readers that
 * asked lately (each tick and verified piece). Loop only. */
void sp_torrent_start_rule_update(struct sp_torrent *t);
/* A block from a source: host for blame (NULL: a web seed, never banned). */
void sp_torrent_block_in(struct sp_torrent *t, uint32_t source_id, const struct sp_host *host,
			 bool webseed,
			 uint32_t piece, uint32_t offset, const uint8_t *data, uint32_t len);
/* len bytes received in vain, for cause (counted in the stats). */
void sp_torrent_waste(struct sp_torrent *t, enum sp_waste_cause cause, uint64_t len);
uint32_t sp_torrent_add_source(struct sp_torrent *t, enum sp_source_kind kind,
			       const struct sp_blocksrc_ops *ops, void *obj);
/* torrent_ws.c: web seeds of the metainfo (BEP 19 url-list), per the
 * session's webseed_mode; their once-a-second rate tick; teardown. */
void sp_torrent_ws_start(struct sp_torrent *t);
void sp_torrent_ws_tick(struct sp_torrent *t);
void sp_torrent_ws_free(struct sp_torrent *t);
void sp_torrent_remove_source(struct sp_torrent *t, uint32_t id);
void sp_torrent_connect_candidates(struct sp_torrent *t, int64_t now);
void sp_torrent_add_candidate(struct sp_torrent *t, const struct sockaddr *sa, socklen_t len);
void sp_torrent_stop_loop(struct sp_torrent *t);
void sp_torrent_free_now(struct sp_torrent *t);
/* Any thread but the loop: put t in the session's list (waits). */
int sp_torrent_attach(struct sp_torrent *t);
void sp_torrent_start_tracker(struct sp_torrent *t);
/* torrent.c's event handlers and storage hooks, for torrent_life.c */
void sp_torrent_on_pump(evutil_socket_t fd, short what, void *arg);
void sp_torrent_on_tick(evutil_socket_t fd, short what, void *arg);
struct sp_storage_hooks;
void sp_torrent_storage_hooks(struct sp_torrent *t, struct sp_storage_hooks *h);
void sp_torrent_publish_stats(struct sp_torrent *t);
void sp_torrent_join_check(struct sp_torrent *t);
bool sp_torrent_can_accept(const struct sp_torrent *t);

/* metadata.c: BEP 9 ut_metadata, loop only. Our local extension id: */
#define SP_EXT_UT_METADATA 2
struct sp_meta;
struct sp_meta *sp_meta_new(struct sp_torrent *t,
			    void (*done)(void *ctx, struct sp_metainfo *mi, int err), void *ctx);
void sp_meta_free(struct sp_meta *m);
/* The peer's extended handshake announced ut_metadata (and a size). */
void sp_meta_peer_ready(struct sp_peer *p);
/* One ut_metadata message (bencoded dict + trailing data). */
int sp_meta_on_message(struct sp_peer *p, const uint8_t *data, size_t len);
void sp_meta_tick(struct sp_torrent *t);
/* Send what ut_metadata answers p is owed, at its rate, while its output
 * is short (from its write callback and the tick). */
void sp_meta_serve(struct sp_peer *p);
/* Hand the candidates learnt by a finished fetch to the session. */
void sp_meta_keep_candidates(struct sp_torrent *t);

/* portmap.c: the listen port on the gateway (start on the caller's
 * thread before the loop runs; stop after the loop is joined: it joins
 * its worker, which deletes the mapping) */
struct sp_portmap;
int sp_portmap_start(struct sp_session *s);
void sp_portmap_stop(struct sp_session *s);

/* dht.c: BEP 5 */
struct sp_dht;
int sp_dht_start(struct sp_session *s, const char *bind_addr);
void sp_dht_stop(struct sp_session *s);
void sp_dht_add_node(struct sp_session *s, const struct sockaddr *a);
void sp_dht_torrent_tick(struct sp_torrent *t, int64_t now);
void sp_dht_forget(struct sp_torrent *t);
size_t sp_dht_nodes(const struct sp_session *s);
/* A vote that ip (4 or 16 bytes) is our external address, from voter (a
 * DHT node, a peer; NULL for the router). Works with the DHT off too (the
 * votes live in the session); a change regenerates our BEP 42 node id. */
void sp_dht_vote_extip(struct sp_session *s, enum sp_extip_source src, const uint8_t *ip,
		       size_t iplen, const struct sockaddr *voter);

/* lsd.c: BEP 14 local service discovery */
int sp_lsd_start(struct sp_session *s);
void sp_lsd_tick(struct sp_torrent *t, int64_t now);
void sp_lsd_stop(struct sp_session *s);
/* One announce (NUL-ended in buf, which it cuts) from an IPv4 or IPv6 source. */
void sp_lsd_on_datagram(struct sp_session *s, const char *buf, size_t len,
			const struct sockaddr *from);
/* lsd6.c: the same over IPv6 multicast on every interface that has it */
#define SP_LSD6_GROUP "ff15::efc0:988f"
int sp_lsd6_start(struct sp_session *s);
void sp_lsd6_send(struct sp_session *s, const char *msg, size_t len);
void sp_lsd6_stop(struct sp_session *s);

/* choker.c, loop only */
void sp_choker_run(struct sp_torrent *t, int64_t now_us);
/* A peer became interested: unchoke it at once if a slot is free. */
void sp_choker_interested(struct sp_torrent *t, struct sp_peer *p);
/* q announced a piece (HAVE): Give-to-Get credit to whom we sent it. */
void sp_choker_have(struct sp_torrent *t, struct sp_peer *q, uint32_t piece);

#endif
