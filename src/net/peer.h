/* peer.h - private: one BitTorrent wire connection (BEP 3, 6, 10) on a
 * bufferevent. Net thread only.
 *
 * A peer starts either outbound (we know its torrent) or inbound (parked
 * in the session's half_open list until its handshake names a torrent we
 * have). It reports upward to its torrent (blocks in, gone) and is a
 * source for the picker. Closing is always sp_peer_close(), which may be
 * called from inside the peer's own callbacks: the peer is then freed on
 * the next loop iteration, never under its own feet. */
#ifndef SP_NET_PEER_H
#define SP_NET_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/bitfield.h"
#include "net/session.h"

struct bufferevent;
struct sp_mse;
struct sp_rc4;
struct evbuffer;

/* An upload request waiting for its turn. */
struct sp_upload_req {
	uint32_t piece, offset, length;
	int64_t at_us;             /* when it came (the hand-out hold) */
};

#define SP_PEER_MAX_UPLOAD_QUEUE 512 /* what we announce as reqq */
/* a seed handing out (peer_up.c): a request for a piece another peer has
 * waits at most this long for the asker to get it there */
#define SP_HANDOUT_HOLD_US 2000000
#define SP_HANDOUT_STUCK_US 5000000 /* a peer without a new piece this long is not refused */
#define SP_HANDOUT_LINGER_US 5000000 /* the mode outlasts the bottleneck this long */
/* the hand-out is off while our uplink carries this share of every
 * playing peer's stream, and twice the bitrate at least (sp_playpos
 * tells the bitrate): holding would only delay a copy we can afford. A
 * whole stream each: our connections share the uplink about evenly, and
 * the viewer at the frontier, whom only we can feed, needs all of its
 * own (with half, 4 viewers behind 2 x stalled up to 22 s and cost 2-3.1
 * copies where their uplinks were 1 x: bench/viewers, eleventh part) */
#define SP_HANDOUT_AMPLE_SHARE 1.0
#define SP_HANDOUT_AMPLE_MIN_X 2.0
#define SP_HANDOUT_AMPLE_SLACK 0.9
#define SP_PEER_MAX_SENT_REQ 1024    /* our requests outstanding to one peer */
#define SP_PEER_CANCEL_RING 32       /* cancels remembered per peer */
#define SP_PEER_OUT_LOW_WATER (64 * 1024) /* serve uploads while output is shorter */
/* ... while we hand out (a seed whose order of uploads matters):
 * one block and a bit, so that little is committed ahead of an urgent one */
#define SP_PEER_OUT_ORDERED_WATER (24 * 1024)
#define SP_PEER_NOTSENT_LOWAT (32 * 1024) /* unsent bytes the kernel may hold (peer.c) */
/* ... while we play (peer_up.c): what the kernel holds is sent in the
 * order it came, whatever a more urgent request of another peer says */
#define SP_PEER_NOTSENT_PLAY (4 * 1024)
/* ... and our own output per peer while we play: one block is written
 * at a time, the rest waits in the upload queue, in deadline order */
#define SP_PEER_OUT_PLAY_WATER (8 * 1024)
#define SP_PEER_MAX_REQ_LEN (128u * 1024u) /* largest request we serve */
/* Back-pressure (peer_io.c): its input waits while we owe it this much */
#define SP_PEER_OUT_CAP (512u * 1024u)
#define SP_PEER_OUT_RESUME (SP_PEER_OUT_LOW_WATER / 2) /* ... until drained to this */
#define SP_SESSION_OUT_CAP (16u << 20) /* all peers' outputs together */
#define SP_PEER_STUCK_US (30 * 1000000LL) /* paused that long without draining: closed */
/* A peer that asks this much while choked (REJECTs owed) is closed. */
#define SP_PEER_MAX_CHOKED_REQS (2 * SP_PEER_MAX_UPLOAD_QUEUE)

struct sp_sent_req {
	uint32_t piece, offset, length;
	int64_t sent_us;
};

struct sp_peer {
	struct sp_session *s;
	struct sp_torrent *t;      /* NULL while an inbound peer is half open */
	struct bufferevent *bev;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint32_t ip4;              /* network order, 0 if not IPv4 */
	struct sp_host host;       /* IPv4 (mapped) or IPv6: blame and bans */
	char name[64];             /* "ip:port" for logs */
	bool outbound;
	bool connected;
	bool handshaked;
	bool self;                 /* its handshake carried our own peer id */
	bool closing;
	bool fast;                 /* both sides support BEP 6 */
	bool ext;                  /* both sides support BEP 10 */
	uint8_t peer_id[20];
	char client[64];           /* BEP 10 "v" */
	struct sp_mse *mse;        /* inbound encrypted handshake in progress */
	struct sp_rc4 *rc4_in, *rc4_out; /* MSE selected RC4 for the stream */
	struct evbuffer *plain;    /* decrypted input when rc4_in */
	bool plain_checked;        /* inbound: the first bytes were plain BitTorrent */
	bool via_mse;              /* the handshake came through MSE */
	bool mse_out;              /* outbound: we open with MSE */
	bool got_bytes;            /* anything ever received */
	bool peer_dht;             /* its handshake says it runs a DHT node */
	uint32_t source_id;
	bool lowat_play;           /* its socket's unsent part kept to
				      SP_PEER_NOTSENT_PLAY (we play: peer_up.c) */

	/* state */
	bool am_choking, am_interested, peer_choking, peer_interested;
	bool snubbed;
	bool bitfield_seen;
	struct sp_bitfield have;
	uint32_t reqq;             /* its BEP 10 reqq, 0 = unknown */
	uint8_t ut_metadata;       /* its BEP 9 extension id, 0 = none */
	uint8_t ut_pex;            /* its BEP 11 extension id, 0 = none */
	uint8_t sp_playpos;        /* its sp_playpos extension id, 0 = none */
	/* where it plays, as its sp_playpos said (playpos.c) */
	bool play_known;
	uint32_t play_piece, play_rate; /* piece, bytes/s (0: not playing) */
	int64_t play_us;                /* when it said so */
	bool play_starting;             /* it waits for its first start */
	/* what we told it last */
	bool play_sent, play_sent_starting;
	uint32_t play_sent_piece, play_sent_rate;
	int64_t play_sent_us;
	uint16_t listen_port;      /* its BEP 10 "p", 0 = unknown */
	int64_t pex_sent_us;
	uint32_t metadata_size;    /* as it announced */
	uint32_t *allowed_fast;    /* pieces we allow it while choked */
	size_t num_allowed_fast;

	/* our requests to it (for cancel, timeouts and RTT) */
	struct sp_sent_req *sent;
	size_t num_sent, cap_sent;
	/* our latest CANCELs: a block that comes after one is still handed
	 * to the picker (it may be wanted; if not it is counted by cause) */
	struct sp_sent_req cancelled[SP_PEER_CANCEL_RING];
	unsigned num_cancelled;
	int64_t last_block_us;
	int rcvlowat;              /* SO_RCVLOWAT last set on the socket, 0 = default */

	/* its requests to us */
	struct sp_upload_req *upq;
	size_t upq_len;
	struct sp_bitfield handed; /* pieces we sent it blocks of (hand-out, choker) */
	double forwarded;          /* Give-to-Get: others' HAVEs of pieces we sent it */
	uint32_t gap_hint;         /* its first missing piece, as far as known (peer_up.c) */
	struct sp_bitfield refused; /* pieces we rejected once (hand-out) */
	int64_t new_piece_us;      /* when it last announced a piece (HAVE) */

	/* accounting */
	uint64_t downloaded, uploaded;        /* payload bytes, lifetime */
	uint64_t down_window, up_window;      /* since the last rate tick */
	double down_rate, up_rate;            /* bytes/s, smoothed */
	double rtt_s;                         /* smoothed request->block time */
	int64_t connected_us;
	int64_t last_recv_us, last_send_us;
	int64_t unchoked_us;

	/* back-pressure and abuse (peer_io.c, peer_up.c, metadata.c) */
	struct evbuffer_cb_entry *out_cb; /* keeps the session's out_total */
	bool in_paused;            /* input not read: output over its cap */
	int64_t paused_us;
	uint32_t pauses;
	uint32_t choked_reqs;      /* requests rejected since our last unchoke */
	bool piece_set;            /* a BITFIELD / HAVE_ALL / HAVE_NONE came */
	bool ext_sent;             /* our BEP 10 handshake is out */
	uint8_t *meta_owed;        /* bitmap: ut_metadata pieces asked, not yet sent */
	uint32_t meta_num_owed;
	double meta_tokens;        /* ut_metadata answers we may send now */
	int64_t meta_tokens_us;
	uint32_t meta_dropped;     /* requests dropped (duplicate or over rate) */

	struct event *free_ev;
	struct event *timeout_ev;
	struct sp_peer *next;
};

/* Outbound connection to addr for torrent t. NULL on error. */
/* mse: open with an encrypted (MSE) handshake. */
struct sp_peer *sp_peer_connect(struct sp_torrent *t, const struct sockaddr *sa, socklen_t len,
				bool mse);
/* Inbound: fd already accepted. */
struct sp_peer *sp_peer_accept(struct sp_session *s, int fd, const struct sockaddr *sa,
			       socklen_t len);
/* Close with a logged reason; frees later. Safe inside callbacks. */
void sp_peer_close(struct sp_peer *p, const char *why);
/* Free now (session teardown; the loop no longer runs). */
void sp_peer_free(struct sp_peer *p);

void sp_peer_send_have(struct sp_peer *p, uint32_t piece);
void sp_peer_set_choke(struct sp_peer *p, bool choke);
void sp_peer_set_interested(struct sp_peer *p, bool interested);
/* Re-evaluate interest after our have set changed. */
void sp_peer_update_interest(struct sp_peer *p);
/* Once per second: smooth rates, feed the picker, check timeouts. */
void sp_peer_tick(struct sp_peer *p, int64_t now_us, double dt_s);
bool sp_peer_is_seed(const struct sp_peer *p);

/* Sending (peer.c): append-and-free b; request, cancel or reject. */
struct sp_buf;
struct sp_wire_msg;
void sp_peer_send_buf(struct sp_peer *p, struct sp_buf *b);
/* Every byte to the peer goes through here (encrypted if MSE chose RC4). */
void sp_peer_write(struct sp_peer *p, const void *data, size_t len);
void sp_peer_send_req(struct sp_peer *p, int type, uint32_t piece, uint32_t off, uint32_t len);

/* peer.c: parse and dispatch what is buffered (stops while paused) */
void sp_peer_parse_input(struct sp_peer *p);

/* peer_io.c: wake-ups, top-up reads, back-pressure */
void sp_peer_io_init(struct sp_peer *p);
void sp_peer_io_fini(struct sp_peer *p);
void sp_peer_set_rcvlowat(struct sp_peer *p, long need);
bool sp_peer_read_more(struct sp_peer *p);
bool sp_peer_out_full(const struct sp_peer *p);
void sp_peer_pause_input(struct sp_peer *p);
/* The output drained (write callback): resume reading if paused. */
void sp_peer_out_drained(struct sp_peer *p);
/* Once a second; closes a peer paused too long: -ETIMEDOUT then. */
int sp_peer_io_tick(struct sp_peer *p, int64_t now);

/* peer_slots.c: the per-address limit and turnover (see there) */
bool sp_slots_host_full(const struct sp_torrent *t, const struct sockaddr_storage *addr,
			const struct sp_peer *self);
/* Was this address turned over lately (it stays out a while)? */
bool sp_slots_turned_out(const struct sp_torrent *t, const struct sockaddr_storage *addr);
/* Close the peer useless longest to us and to itself; false if none. */
bool sp_slots_make_room(struct sp_torrent *t);

/* peer_mse.c: MSE both ways, RC4 stream */
struct evbuffer *sp_peer_input(struct sp_peer *p);
/* Feed the MSE handshake (inbound: also decides plain or MSE). 1: go on
 * with the BitTorrent handshake, 0: wait, <0: close. */
int sp_peer_read_mse(struct sp_peer *p, struct evbuffer *in);
void sp_peer_start_mse(struct sp_peer *p);
void sp_peer_build_handshake(struct sp_peer *p, uint8_t hs[68]);

/* peer_up.c: its requests to us */
bool sp_peer_allowed_fast(const struct sp_peer *p, uint32_t piece);
void sp_peer_send_allowed_fast(struct sp_peer *p);
void sp_peer_serve_uploads(struct sp_peer *p);
/* Every torrent tick: the hand-out mode (peer_up.c) and held requests. */
void sp_peer_handout_tick(struct sp_torrent *t);
int sp_peer_on_request(struct sp_peer *p, const struct sp_wire_msg *m);
void sp_peer_on_cancel(struct sp_peer *p, const struct sp_wire_msg *m);

/* pex.c: BEP 11 peer exchange */
#define SP_EXT_UT_PEX 1
bool sp_pex_allowed(const struct sp_torrent *t);
void sp_pex_tick(struct sp_torrent *t, int64_t now);
int sp_pex_on_message(struct sp_peer *p, const uint8_t *data, size_t len);

/* playpos.c: where the peers play (sp_playpos, issue 10) */
#define SP_EXT_SP_PLAYPOS 3
#define SP_PLAYPOS_NONE UINT32_MAX
/* Every torrent tick: tell the peers that understand it where we play,
 * when that differs from what they would reckon (at most every 500 ms). */
void sp_playpos_tick(struct sp_torrent *t, int64_t now);
/* Its message: malformed ones are ignored (0 always, or -ENOMEM). */
int sp_playpos_on_message(struct sp_peer *p, const uint8_t *data, size_t len);
/* The piece it plays now, by its last message and rate; SP_PLAYPOS_NONE
 * when it never said or is not playing. */
uint32_t sp_playpos_of(const struct sp_peer *p, int64_t now);

/* ext.c: BEP 10 extended handshake */
int sp_ext_send_handshake(struct sp_peer *p);
int sp_ext_on_message(struct sp_peer *p, uint8_t ext_id, const uint8_t *data, size_t len);

#endif
