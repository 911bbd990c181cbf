/* picker_int.h - the picker's private state, shared by picker.c (events and
 * bookkeeping), picker_win.c (readers, windows, the start rule),
 * picker_next.c (the deadline policy) and picker_base.c (the
 * two baselines). Not installed; nothing outside src/picker includes it but
 * the picker's white-box test. */
#ifndef SP_PICKER_INT_H
#define SP_PICKER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bitfield.h"
#include "picker/picker.h"

/* Tunables, all of them in this one table; the rules at the top of
 * picker.c say why each exists. */
#define PK_UNKNOWN_RATE 65536.0     /* bytes/s assumed before a measure */
#define PK_UNKNOWN_CHOOSE_RATE 16384.0 /* ... when choosing who is soonest */
#define PK_UNKNOWN_RTT 0.2          /* s */
#define PK_UNKNOWN_DEPTH 6          /* pipeline of a source never measured */
#define PK_MIN_DEPTH 2
#define PK_PEER_MAX_REQ 128         /* when the peer gives no reqq */
#define PK_WEBSEED_MAX_REQ 250
#define PK_PIPE_MARGIN_S 0.35       /* pipeline = rate x (rtt + margin) */
#define PK_TIMEOUT_MIN_US 2000000   /* a request is lost after max(2 s, */
#define PK_TIMEOUT_FACTOR 4         /*   4 x its expected time) */
#define PK_WIN_MIN_S 8.0            /* window in seconds of video */
#define PK_WIN_GAIN_S 15.0          /* window += gain x (rate / bitrate) */
#define PK_WIN_MAX_S 240.0
#define PK_HEDGE_FLOOR 262144.0     /* duplicate bytes allowed before any data */
#define PK_HEDGE_SLACK_US 300000    /* hedge when expected later than deadline - slack */
#define PK_RARE_BUFFER_S 6.0        /* keep a rare share only with this much buffer */
#define PK_RARE_SCAN 1024           /* pieces scanned per rarest-first pick */
#define PK_WS_HORIZON_S 10.0        /* a fallback web seed serves only this near */
#define PK_WS_PATIENT_X 0.8         /* peers bringing this x the bitrate ... */
#define PK_WS_MARGIN_S 3.0          /* ... and only when it is due within its time + this */
#define PK_WS_START_S 1.5           /* ... this near while no peer is known yet */
#define PK_WS_GRACE_US 3000000      /* then ordinary, if still no peer may be asked */
#define PK_WS_INFLIGHT_US 500000    /* a web seed block due later is still queued */
#define PK_RESCUE_HORIZON_S 30.0    /* late requests are looked for this near */
#define PK_SEEK_SLACK 1048576       /* a backward move smaller than this is no seek */
#define PK_MAX_COPIES 2             /* outstanding copies of one block, at most */
#define PK_RACE_AFTER_US 50000      /* a due block an unknown source sits on this long */
#define PK_HEDGE_SPARE_X 1.5        /* hedge only while the peers bring this x the bitrate */
#define PK_CANCEL_RING 64           /* cancels remembered per source (waste causes) */
#define PK_COMMIT_MAX 4194304.0     /* a committed depth learned is at most this */
#define PK_START_MARGIN_X 0.5       /* start buffer shrinks above this rate margin */
#define PK_SNUB_PENALTY 4.0         /* a snubbed source counts this much slower */
#define PK_EDF_MAX_BLOCKS 4096      /* block evaluations per call, a ceiling on work */
#define PK_AHEAD_SCAN 256           /* pieces past a window looked at per source */
#define PK_PARTIAL_SCAN 512         /* partial pieces walked per source and call */
#define PK_SEED_MARGIN_S 2.0        /* rule 13: a frontier block goes to a patient seed
				       once due within its time + this */
#define PK_SEED_SOURCES 2           /* rule 13 with at most this many seeds, and at
				       least twice as many relays less one */
#define PK_SEED_PATIENT_X 1.0       /* rule 13 while the relays bring this x the bitrate */
#define PK_SEED_SLACK_S 3.0         /* rule 13: a relay gets a block it brings this
				       long before its deadline, else the seed may */
#define PK_SEED_HELD_US 300000     /* rule 13: a patient seed that has not sent a
				       block this long past its time is holding it */
#define PK_SEED_HOLD_US 2000000    /* ... and holds it at most this long
				       (peer_up.c's SP_HANDOUT_HOLD_US) */
#define PK_SEED_HELD_LATE_US 800000 /* ... and one it holds is moved at once when
				       that time leaves a relay less than this */
#define PK_SHARE_SEED_OUT 6         /* rule 15: blocks out at a seed outside windows */
#define PK_SHARE_LONE_US 10000000   /* ... with no partner, only this long after the
				       first fill (the screens find each other) */
#define PK_SHARE_KEEP 4              /* rule 15: a slice's lowest pieces left to its owner */
#define PK_SHARE_WAIT_US 4000000     /* ... until our seeds were idle this long */
#define PK_SHARE_SPREAD_S 3.0       /* rule 15: a frontier piece is asked of a seed
				       up to this much earlier, each client its own */
#define PK_SEED_LEAD_SLACK_S 0.3   /* rule 13: a frontier piece is left to a viewer
				       that plays ahead until this long before
				       our deadline and its time to pass it on */
#define PK_SEED_FRONT 512           /* ... while a relay has a piece between the
				       cursor and it, at most this far before it */

/* Block state byte: bit 7 received, bits 0-6 outstanding request count. */
#define BLK_GOT 0x80u
#define BLK_NREQ 0x7fu

struct pk_piece_dl {          /* a piece being downloaded (lazily made) */
	uint8_t *blk;         /* per block state */
	uint32_t *from;       /* per block: id of the source that delivered it */
	uint32_t *holder;     /* per block: source id of its latest request */
	int64_t *sent;        /* per block: when that request was sent */
	uint64_t *before;     /* per block: the holder's issued bytes before it */
	uint32_t *ahead;      /* per block: bytes queued ahead of it when sent */
	int64_t *tmo;         /* per block: when that request times out */
	uint32_t owner;       /* on parole: the one source allowed */
	bool owned;
	uint32_t got;         /* blocks received */
	uint32_t nfree;       /* blocks neither received nor requested */
};

struct pk_req {
	uint32_t piece;
	uint32_t block;
	int64_t sent_us;
	int64_t expect_us;    /* expected arrival when sent */
	int64_t tmo_us;       /* lost after this, if its source is quiet too */
	int64_t deadline_us;  /* its piece's deadline when sent (INT64_MAX: none) */
	uint32_t ahead;       /* bytes queued ahead of it when sent */
	uint64_t before;      /* its source's issued bytes before it */
	bool dup;             /* a second copy (hedge or endgame) */
	uint8_t origin;       /* enum pk_origin */
};

/* Why a request was made: a copy beyond the first is waste if it loses. */
enum pk_origin { PK_ORIG_NORMAL = 0, PK_ORIG_HEDGE, PK_ORIG_ENDGAME, PK_ORIG_MOVED };

/* A CANCEL we sent: if the block comes anyway, why it was cancelled, and
 * how many bytes were queued ahead of it at the source then. */
struct pk_cancel {
	uint32_t piece, block;
	uint32_t ahead;
	uint8_t cause;        /* enum sp_picker_waste */
};

#define PK_NO_CANCEL (-1)

struct pk_source {
	uint32_t id;
	enum sp_source_kind kind;
	bool choked;
	bool have_all;
	bool snubbed;
	bool missed;          /* swarmplayer baseline: missed a deadline once */
	struct sp_bitfield has;
	uint32_t nwant;           /* pieces in has that we do not have */
	double rate_in, rtt_in;   /* given by the caller (0: none) */
	double rate_est, rtt_est; /* our own measure from arrivals (0: none) */
	int64_t meas_start_us;    /* rate measure: start of the current period */
	int64_t progress_us;      /* last arrival, or when its queue last filled */
	uint64_t meas_bytes;
	uint32_t max_req;
	uint32_t hashfails;       /* pieces it contributed to that failed */
	bool banned;              /* sole source of a piece that failed */
	struct pk_req *reqs;
	uint32_t nreq, capreq;
	uint64_t issued, done;    /* bytes requested / arrived or dropped, ever */
	struct pk_cancel cring[PK_CANCEL_RING]; /* the latest cancels sent to it */
	uint32_t ncancel;         /* cancels ever (cring index = ncancel % ring) */
	double commit;            /* bytes it sends before a cancel can stop them:
				     the deepest late block seen (0: one block) */
	int64_t idle_since;       /* no request out since (0: busy), for the log */
	int64_t idle_us;          /* time usable with nothing asked of it, ever */
	/* scratch of one sp_picker_next() call */
	double vq;                /* queued + reserved bytes */
	double erate;             /* rate, lowered if it has gone quiet */
	double c_rtt;             /* its RTT */
	double key;               /* heap key: when it would deliver one more block */
	bool c_usable;
	bool c_patient;           /* a patient seed (rule 13) */
	uint32_t depth;
	uint32_t room;            /* requests it may still be sent */
	uint32_t rare_room;       /* part of room kept for rarest-first */
	uint64_t share_key;       /* rule 15: a partner of the site (0: not) */
	double trust;             /* rule 13: a viewer's rate until measured (0: none) */
	uint64_t play_off;        /* rule 13: where the viewer said it plays, */
	double play_rate;         /* at what rate (0: nothing), */
	int64_t play_us;          /* as of when, */
	bool play_wait;           /* and whether it waits to begin */
};

struct pk_reader {
	uint32_t id;
	uint64_t offset;
	double bitrate;
	int64_t t_us;         /* when offset was reported */
	int64_t lead_us;      /* then, the consumer's read-ahead of playback */
	uint64_t win_end;     /* computed by the last next() */
	bool waiting;         /* its consumer waits for its first start */
	int64_t plays_us;     /* when it stopped waiting (0: never waited) */
};

struct sp_picker {
	struct sp_picker_config cfg;
	uint32_t blocks_per_piece;
	uint32_t last_piece_len;
	uint8_t *state;           /* per piece: PS_* */
	uint8_t *parole;          /* per piece: failed once, one source only */
	uint8_t *unwanted;        /* per piece, NULL = all wanted: fetched only
				     inside a window (sp_picker_set_wanted) */
	struct pk_piece_dl **dl;  /* per piece, NULL unless partial */
	uint32_t have_count;
	uint32_t fails;           /* pieces that failed their hash, ever */
	uint64_t agg_bytes[8];    /* wanted bytes received per 250 ms slot */
	int64_t agg_slot;         /* slot of the latest arrival */
	uint64_t free_blocks;     /* needed blocks no request covers */

	/* availability among peers (web seeds and have-all peers apart) */
	uint32_t *avail;
	uint32_t *order;          /* pieces sorted by avail */
	uint32_t *pos;            /* pos[piece] = index in order */
	uint32_t *bstart;         /* bstart[a] = first index with avail >= a */
	uint32_t nneed;           /* order[0, nneed): pieces still needed */
	uint32_t nbuckets;
	uint32_t seeds;           /* have-all peers */

	struct pk_source **src;
	uint32_t nsrc, capsrc;
	uint32_t *idx;            /* id hash: index + 1 into src, 0 empty */
	uint32_t idxmask;

	struct pk_source **scratch; /* 3 x nsrc pointers for one call */
	uint32_t capscratch;
	uint32_t nusable;           /* scratch[2 nsrc ...]: usable this call */
	uint32_t sh_k, sh_m;        /* rule 15: this call's slice k of m (picker_share.c) */
	uint32_t sh_next;           /* rule 15: our slice is done below this piece */
	int64_t sh_busy_us;         /* rule 15: a seed last had our requests out */
	bool sh_busy_known;
	int64_t sh_first_us;        /* rule 15: the first fill from a seed */
	bool sh_first_known;

	struct pk_reader *rd;
	uint32_t nrd, caprd;
	bool seek_pending;
	bool ws_ordinary;         /* this call: web seeds are ordinary sources */
	double ws_horizon_s;      /* this call: how near a fallback web seed serves */
	bool peerless;            /* no peer may be asked, since peerless_us */
	int64_t peerless_us;
	bool healthy;             /* this call: every reader has its buffer */
	bool spare;               /* this call: the peers bring PK_HEDGE_SPARE_X x the
				     bitrate (or no reader): duplicates may be paid for */
	bool relays;              /* this call: rule 13 applies (a reader, and a usable
				     peer that is not a seed) */

	uint32_t *act;            /* pieces with a pk_piece_dl, unordered */
	uint32_t nact;
	uint32_t *wlist;          /* needed window pieces, by deadline */
	uint32_t nwin;
	uint32_t *win_stamp;      /* win_stamp[piece] == win_gen: in a window */
	uint32_t win_gen;
	int64_t *deadline;        /* valid where win_stamp matches */

	struct sp_picker_action *pending; /* cancels decided by events */
	uint32_t npending, cappending;

	/* the output array of the sp_picker_next() call under way */
	struct sp_picker_action *out;
	size_t nout, maxout;

	struct sp_picker_stats st;
	uint64_t dup_allowance_used; /* duplicate requests' bytes issued */
	uint32_t rr;                 /* round robin start over sources */
};

enum { PS_NEED = 0, PS_HAVE = 1, PS_READY = 2 };

/* picker.c: bookkeeping shared with the policies */
uint32_t pk_piece_len(const struct sp_picker *p, uint32_t piece);
uint32_t pk_nblocks(const struct sp_picker *p, uint32_t piece);
uint32_t pk_block_len(const struct sp_picker *p, uint32_t piece, uint32_t block);
struct pk_source *pk_find(const struct sp_picker *p, uint32_t id);
bool pk_src_has(const struct pk_source *s, uint32_t piece);
bool pk_src_usable(const struct sp_picker *p, const struct pk_source *s);
/* Parole (rule 12): may s be asked for blocks of this piece? */
bool pk_src_may(const struct sp_picker *p, const struct pk_source *s, uint32_t piece);
void pk_release_parole(struct sp_picker *p, uint32_t id);
/* Move a piece out of (have) or back into the rarest-first order. */
void pk_order_have(struct sp_picker *p, uint32_t piece, bool have);
/* We gained (delta -1) or lost (+1) piece: adjust each source's nwant. */
void pk_want_adjust(struct sp_picker *p, uint32_t piece, int delta);
struct pk_piece_dl *pk_dl_get(struct sp_picker *p, uint32_t piece);
void pk_dl_drop(struct sp_picker *p, uint32_t piece);
void pk_timeouts(struct sp_picker *p, int64_t now);
/* Free blocks remain in the piece (needed, not received, not requested). */
bool pk_piece_open(const struct sp_picker *p, uint32_t piece);
uint8_t pk_blk_state(const struct sp_picker *p, uint32_t piece, uint32_t block);
double pk_src_rate(const struct pk_source *s);
double pk_src_rtt(const struct pk_source *s);
/* The rate, bounded by what it delivered while busy lately (a source that
 * stops sending slows down in our eyes before its requests time out). */
double pk_src_erate(const struct pk_source *s, int64_t now);
/* erate, and slow if never measured: the rate used to choose sources. */
double pk_src_crate(const struct pk_source *s, int64_t now);
/* When a request is declared lost (rule 8). */
int64_t pk_req_timeout(const struct pk_req *r);
/* Expected arrival of the latest request for a block, from its holder s
 * at the given rate: O(1), the holder serving in order. */
int64_t pk_blk_eta(const struct sp_picker *p, uint32_t piece, uint32_t block,
		   const struct pk_source *s, double rate, int64_t now);
uint32_t pk_src_depth(const struct pk_source *s);
uint64_t pk_src_queued(const struct sp_picker *p, const struct pk_source *s);
/* Record a request to s and append the REQUEST action; false if out is full. */
bool pk_issue(struct sp_picker *p, struct pk_source *s, uint32_t piece, uint32_t block,
	      int64_t now, enum pk_origin origin);
/* The index of s's request for the block, or -1: the one place that
 * looks a request up (a source has at most its pipeline depth of them). */
int pk_req_find(const struct pk_source *s, uint32_t piece, uint32_t block);
/* Drop request i of s; cause >= 0 (an enum sp_picker_waste: what a late
 * copy will count as) emits a CANCEL and remembers it, PK_NO_CANCEL not. */
void pk_drop_req(struct sp_picker *p, struct pk_source *s, uint32_t i, int cause);
/* Has s most likely committed request i already (in service, or within
 * its learned send-buffer depth), so a CANCEL would not stop it? */
bool pk_req_committed(const struct sp_picker *p, const struct pk_source *s, uint32_t i);
/* May the picker spend a duplicate request now (rule 4/10): within the
 * budget and, with a reader, only while the peers bring spare capacity. */
bool pk_may_duplicate(const struct sp_picker *p, double len);
/* Check every bookkeeping invariant; 0, or the number of the first one
 * broken (tests and the simulator call it after every call). */
int pk_check_invariants(const struct sp_picker *p);
int pk_emit(struct sp_picker *p, enum sp_action_type type, uint32_t src, uint32_t piece,
	    uint32_t block);
double pk_dup_allowance(const struct sp_picker *p);
/* Effective bitrate of a reader. */
double pk_reader_bitrate(const struct pk_reader *r);
double pk_reader_play_at(const struct pk_reader *r, int64_t now);


/* picker_win.c */
/* The sum of the measured rates of the sources that may be asked (a
 * fallback web seed only when ordinary). */
double pk_window_rate(const struct sp_picker *p);
/* Every reader has PK_RARE_BUFFER_S buffered (its consumer's queue counts). */
bool pk_healthy_buffer(const struct sp_picker *p, int64_t now);
void pk_compute_windows(struct sp_picker *p, int64_t now);
/* A usable peer whose rate is not measured yet (capacity still unknown)? */
bool pk_peer_unmeasured(const struct sp_picker *p);
/* The fastest reader's bitrate (bytes/s), 0 without a reader. */
double pk_max_bitrate(const struct sp_picker *p);

/* picker_next.c */
void pk_next_deadline(struct sp_picker *p, int64_t now);
/* Rarest-first for source s, up to its room. */
void pk_fill_rare(struct sp_picker *p, struct pk_source *s, int64_t now, uint32_t limit);
/* picker_share.c: rule 15's slices */
void pk_share_slice(struct sp_picker *p);
uint32_t pk_share_dist(const struct sp_picker *p, uint32_t piece);
void pk_endgame(struct sp_picker *p, int64_t now);

/* picker_relay.c (rule 13) */
/* Sets p->relays and each source's c_patient for this call. */
void pk_relay_prepare(struct sp_picker *p);
/* Piece nobody but seeds has: does a relay (a usable non-seed peer) hold
 * a piece between a reader's cursor and it (at most PK_SEED_FRONT before
 * it), so that it may well fetch this one and pass it on? */
bool pk_relay_front(const struct sp_picker *p, uint32_t piece);
double pk_relay_leader_s(const struct sp_picker *p, uint32_t piece, int64_t now);

/* picker_base.c */
void pk_next_sequential(struct sp_picker *p, int64_t now);
void pk_next_swarmplayer(struct sp_picker *p, int64_t now);

/* Rule 14: a piece no file we want holds is fetched only in a window. */
static inline bool pk_unwanted(const struct sp_picker *p, uint32_t piece)
{
	return p->unwanted && p->unwanted[piece];
}

#endif
