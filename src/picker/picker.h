/* picker.h - the deadline piece picker: pure logic, no sockets, no clock.
 *
 * The caller (the net thread's session, the simulator, the unit tests)
 * feeds it events and the time, and asks it for actions. Sources are peers
 * and web seeds behind one interface, identified by a caller-chosen id.
 *
 * The picker owns the request bookkeeping: every block it hands out as a
 * REQUEST stays outstanding until the caller reports it arrived, rejected,
 * timed out, or the source left, or the picker itself emits a CANCEL.
 * See picker.c's opening comment for the rules.
 *
 * Times are microseconds on a monotonic clock chosen by the caller. Not
 * thread-safe: one owner (the net thread). */
#ifndef SP_PICKER_H
#define SP_PICKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_PICKER_BLOCK 16384

struct sp_picker;

struct sp_picker_config {
	uint64_t total_length;
	uint32_t piece_length;
	uint32_t num_pieces;
	double hedge_budget;   /* max duplicate bytes / downloaded bytes; 0 = default
				  (0.05), negative = never duplicate a request */
	bool sequential;       /* baseline mode: plain in-order picking */
	/* Added for issue 6 and the simulator (zero = the defaults). */
	int webseed_mode;      /* enum sp_webseed_mode: 0 fallback, 1 always, 2 never */
	int policy;            /* enum sp_picker_policy; sequential=true wins */
	double rare_share;     /* share of each pipeline kept for rarest-first once the
				  buffer is healthy; 0 = default (0.1), negative = none */
	double start_buffer_s; /* sp_picker_ready_to_start also wants this much video
				  verified at the cursor; 0 = default (1 s), negative = none */
	/* Added for issue 10 (rule 13). */
	double seed_patience;  /* 0 = default: seeds (have-all peers) are patient
				  sources, other peers asked first; negative = off */
	/* Added for issue 13 (the kiosks of a site). */
	uint64_t share_seed;   /* 0 = off. Else share mode: pieces of equal
				  availability in an order shuffled by this seed
				  (each client its own), and outside the windows a
				  seed or web seed is asked only for pieces no usable
				  peer has: the peers of a LAN fetch different pieces
				  from the source outside and trade them (rule 15) */
};

/* Picking policies: ours, and the two baselines the simulator compares
 * against (doc/tstream-format.md describes SwarmPlayer's). */
enum sp_picker_policy {
	SP_PICKER_DEADLINE = 0,
	SP_PICKER_SEQUENTIAL = 1,
	SP_PICKER_SWARMPLAYER = 2,
};

/* Bitrate assumed for a reader that gives 0 (unknown): 1 MB/s, about an
 * HD stream, so the window is not too short before the demuxer knows. */
#define SP_PICKER_DEFAULT_BITRATE 1000000.0

enum sp_source_kind { SP_SOURCE_PEER = 0, SP_SOURCE_WEBSEED = 1 };

enum sp_action_type { SP_ACTION_REQUEST = 1, SP_ACTION_CANCEL };

struct sp_picker_action {
	enum sp_action_type type;
	uint32_t source;
	uint32_t piece;
	uint32_t offset; /* byte offset in the piece, block aligned */
	uint32_t length; /* block length (the last block of the torrent may be short) */
};

struct sp_picker *sp_picker_new(const struct sp_picker_config *cfg);
void sp_picker_free(struct sp_picker *p);

/* Pieces we already have (resume, or verified). */
void sp_picker_have_piece(struct sp_picker *p, uint32_t piece);
/* A piece failed its hash: all its blocks are needed again. */
void sp_picker_piece_failed(struct sp_picker *p, uint32_t piece);
/* A piece whose blocks all came could not be stored (the disk is full):
 * all its blocks are needed again, and nobody is to blame. */
void sp_picker_piece_lost(struct sp_picker *p, uint32_t piece);
bool sp_picker_complete(const struct sp_picker *p);

/* Sources. A new source has nothing, is choked, rate unknown. */
void sp_picker_source_add(struct sp_picker *p, uint32_t id, enum sp_source_kind kind);
/* Its outstanding requests are dropped (no CANCEL actions needed). */
void sp_picker_source_remove(struct sp_picker *p, uint32_t id);
/* Rule 15 (share mode): source id is a partner of the site, a LAN peer
 * whose key is sp_picker_share_key() of its peer id, compared with our
 * share_seed to split the pieces fetched from outside into slices
 * (picker_share.c). 0: not a partner. */
void sp_picker_source_partner(struct sp_picker *p, uint32_t id, uint64_t key);
/* The share key of a client: what its share_seed is (never 0). */
uint64_t sp_picker_share_key(const uint8_t peer_id[20], const uint8_t info_hash[20]);
void sp_picker_source_have(struct sp_picker *p, uint32_t id, uint32_t piece);
void sp_picker_source_have_all(struct sp_picker *p, uint32_t id);
/* bits in wire order, num_pieces bits. */
void sp_picker_source_bitfield(struct sp_picker *p, uint32_t id, const uint8_t *bits);
/* Choked: its outstanding requests are dropped (BEP 3) unless fast ext
 * keeps them, in which case the caller reports rejects one by one. */
void sp_picker_source_choke(struct sp_picker *p, uint32_t id, bool choked, bool drop_requests);
/* Measured download rate from this source (bytes/s) and round-trip time.
 * Optional: without it (or with 0) the picker measures both from the
 * request and arrival times it is given; a caller's value wins. */
void sp_picker_source_rate(struct sp_picker *p, uint32_t id, double bytes_per_sec, double rtt_s);
/* Rule 13's trusted relay: the source is a viewer that told us it plays
 * (sp_playpos) at bytes_per_sec. Until measured it counts as bringing
 * that much (not as a slow unknown): the seed is patient from the first
 * moment, and the relay gets the blocks it has, the seed only those it
 * would bring late. 0: no more. */
void sp_picker_source_trust(struct sp_picker *p, uint32_t id, double bytes_per_sec);
/* Rule 13's expectation: the source is a viewer that told us (sp_playpos)
 * it plays from offset at bytes_per_sec as of at_us, or waits to begin
 * there (waiting: its pieces are not due yet). A piece only seeds have,
 * which it plays long enough before us to pass it on, is left to it: we
 * ask a seed for it only once our deadline is within the time it needs
 * to play the piece (none once late) and pass it on (never less than
 * the seed's own time for the piece), and PK_SEED_LEAD_SLACK_S (a seed
 * that hands out would hold our request for it anyway). Only once it has
 * delivered to us (measured). bytes_per_sec 0: it plays nothing. */
void sp_picker_source_plays(struct sp_picker *p, uint32_t id, uint64_t offset,
			    double bytes_per_sec, bool waiting, int64_t at_us);
/* The source's maximum outstanding requests (BEP 10 reqq); 0 = default. */
void sp_picker_source_max_requests(struct sp_picker *p, uint32_t id, uint32_t n);
/* Does the source have a piece we still need? (drives `interested`) */
bool sp_picker_source_interesting(const struct sp_picker *p, uint32_t id);

/* Block results. arrived returns true if the block was wanted: the caller
 * stores it. A block still needed is wanted even if its request was
 * cancelled (a timeout) or never made. False: a duplicate, or a piece we
 * have or are hashing; the caller discards the bytes. Other copies still
 * out are cancelled by the next sp_picker_next(). */
bool sp_picker_block_arrived(struct sp_picker *p, uint32_t id, uint32_t piece, uint32_t offset,
			     int64_t now_us);

/* Why a block that came was not wanted (the bytes a source sent in vain). */
enum sp_picker_waste {
	SP_PICKER_WASTE_HEDGE = 0,  /* the other copy of a hedged request came first */
	SP_PICKER_WASTE_ENDGAME,    /* an end-game copy, the other came first */
	SP_PICKER_WASTE_RESCUE,     /* moved to another source (rule 4 or a server's
				       block given back) but the first had sent it */
	SP_PICKER_WASTE_CANCELLED,  /* came after its cancel (seek, timeout, choke) */
	SP_PICKER_WASTE_HASH,       /* a piece that failed its hash */
	SP_PICKER_WASTE_OTHER,      /* never asked of it, or the storage refused it */
	SP_PICKER_WASTE_COUNT
};
const char *sp_picker_waste_name(enum sp_picker_waste w);

/* sp_picker_block_arrived, and when it returns false *why says why the
 * block was not wanted (the cause of a duplicate is the copy the picker
 * asked for in excess, whichever of the two came first). A block that
 * comes after its CANCEL still counts toward the source's committed depth
 * (what it sends before a cancel can stop it), which the picker then
 * treats as started. */
bool sp_picker_block_in(struct sp_picker *p, uint32_t id, uint32_t piece, uint32_t offset,
			int64_t now_us, enum sp_picker_waste *why);
void sp_picker_block_rejected(struct sp_picker *p, uint32_t id, uint32_t piece, uint32_t offset);
/* The piece's blocks are all in: the caller hashes it; until verified or
 * failed the picker requests nothing more of it. */
bool sp_picker_piece_ready(const struct sp_picker *p, uint32_t piece);

/* Readers (the player's demuxer is one; several may exist). offset is a
 * torrent byte offset; bitrate in bytes/s (0: unknown, use
 * SP_PICKER_DEFAULT_BITRATE). Call it on every read and at least every
 * tick while waiting (now_us dates the deadlines: a stalled reader keeps
 * its next piece due "now"). Moving by more than max(1 MB, 2 pieces)
 * either way is a seek:
 * requests out of every window are cancelled in the next sp_picker_next()
 * call, which also requests the new window. */
void sp_picker_cursor_set(struct sp_picker *p, uint32_t reader, uint64_t offset,
			  double bitrate, int64_t now_us);
/* The same with the reader's lead: seconds of media its consumer has read
 * ahead of playback (queued packets and frames). The byte at offset is then
 * due at now_us + lead_s rather than now_us, so deadlines follow the
 * playback clock and not the demuxer's read-ahead. A report of the
 * same offset and lead as the last keeps the last one's time (the lead
 * was measured then: a reader waiting for its piece reminds the picker
 * without moving the deadline). cursor_set is this with lead 0. */
void sp_picker_cursor_set_lead(struct sp_picker *p, uint32_t reader, uint64_t offset,
			       double bitrate, double lead_s, int64_t now_us);
/* The reader's consumer waits for its first start (true) or plays (the
 * default), as of now_us: until it plays, its lead is not used up (where
 * it plays, sp_picker_play_offset, stays put), and from now_us on it is;
 * sp_picker_play_waiting may say so to the peers. An unknown reader is
 * ignored. */
void sp_picker_cursor_waiting(struct sp_picker *p, uint32_t reader, bool waiting,
			      int64_t now_us);
void sp_picker_cursor_remove(struct sp_picker *p, uint32_t reader);
/* The reader's cursor (torrent offset), UINT64_MAX for an unknown reader. */
uint64_t sp_picker_cursor(const struct sp_picker *p, uint32_t reader);
/* Bytes from the cursor that are already verified and contiguous. */
uint64_t sp_picker_buffered(const struct sp_picker *p, uint32_t reader);

/* Rule 14: whether pieces outside every window are worth fetching. All
 * are wanted at first; an unwanted piece is fetched only inside a
 * reader's window (a player's torrent of many files: the files played). */
void sp_picker_set_wanted(struct sp_picker *p, uint32_t piece, bool wanted);
bool sp_picker_wanted(const struct sp_picker *p, uint32_t piece);

/* Ask for actions at time now: new requests (per source, up to its
 * pipeline depth), cancels (hedge losers, seeks, timeouts, moved
 * requests), re-requests of timed-out blocks. Fills at most max actions,
 * returns the count; call again while it returns max (nothing is lost when
 * the array is short: cancels wait for the next call). Call it after
 * events (a block, a choke, a cursor move) and on a 50-100 ms tick. A
 * CANCEL means the picker forgot the request; the block may still come. */
size_t sp_picker_next(struct sp_picker *p, int64_t now_us, struct sp_picker_action *out,
		      size_t max);

struct sp_picker_stats {
	uint64_t requested_bytes;
	uint64_t duplicate_bytes; /* blocks that arrived twice (hedges) */
	uint64_t hedges;          /* hedged requests issued */
	uint32_t outstanding;     /* requests in flight */
	/* added */
	uint64_t received_bytes;  /* wanted blocks that arrived */
	uint64_t webseed_requested_bytes;
	uint64_t timeouts;        /* requests declared lost */
	uint64_t cancels;         /* CANCEL actions emitted */
	uint64_t ws_reclaimed;    /* blocks a fallback web seed gave back to peers */
	uint64_t seed_reclaimed;  /* blocks a patient seed held, asked of a relay */
	uint64_t wasted[SP_PICKER_WASTE_COUNT]; /* unwanted bytes by cause; the sum
						   is duplicate_bytes + hash */
	uint64_t moves;           /* requests moved to a sooner source (rule 4) */
};
void sp_picker_get_stats(const struct sp_picker *p, struct sp_picker_stats *st);

/* A source whose requests timed out and has not delivered since: it gets
 * urgent blocks only when nobody else can take them. */
bool sp_picker_source_snubbed(const struct sp_picker *p, uint32_t id);
/* The pipeline depth the picker currently allows the source (requests). */
uint32_t sp_picker_source_depth(const struct sp_picker *p, uint32_t id);
/* Outstanding requests to the source. */
uint32_t sp_picker_source_outstanding(const struct sp_picker *p, uint32_t id);

/* Tribler's start rule: the piece at the reader's cursor is verified and
 * the bytes still missing in the next ahead_s seconds of video (at the
 * reader's bitrate) can be downloaded at rate_Bps in at most ahead_s
 * seconds; and, since a piece is readable only whole, the same holds at
 * each piece boundary inside the horizon (what is missing up to a piece
 * arrives before playback reaches its start), each piece's outstanding
 * blocks included (by their source's queue, or their timeout). rate_Bps
 * <= 0: the picker's own estimate (sum of its sources' rates). Also wants
 * the config's start_buffer_s seconds verified from the cursor (or up to
 * the end), the reader's lead (its consumer's queue, sp_picker_cursor_set_lead)
 * counting toward both: with a lead the piece at the cursor need only come
 * in time. 1 s by default: in the simulator 1.5 s absorbed the loss of a
 * third of the peers right after the start (no stall in 50 runs of each
 * churn scenario; 1 s: 1-2 stalls of 0.3-1.6 s in all), but on a real
 * swarm 10 % faster than the video each half second of it is 0.45 s more
 * of a wait at every start (bench/tight). The simulator passes the whole
 * rest of the file as ahead_s. False for an unknown reader. */
bool sp_picker_ready_to_start(const struct sp_picker *p, uint32_t reader, double ahead_s,
			      double rate_Bps);

/* Introspection (tests, OSD). The earliest deadline any reader gives the
 * piece at time now (microseconds), or INT64_MAX if none is in a window. */
int64_t sp_picker_piece_deadline(const struct sp_picker *p, uint32_t piece);
/* End (exclusive torrent byte offset) of the reader's current window. */
uint64_t sp_picker_window_end(const struct sp_picker *p, uint32_t reader);
/* Aggregate download rate the picker estimates (bytes/s). */
double sp_picker_rate(const struct sp_picker *p);
/* The highest bitrate among the readers (bytes/s); 0 with no reader:
 * no stream plays (the choker's VoD ranking). */
double sp_picker_bitrate(const struct sp_picker *p);
/* Where we play (UINT64_MAX with no reader): the earliest reader's
 * cursor less the read-ahead its consumer has still to play (its lead,
 * used up since at the bitrate), the byte whose deadline is now; in
 * *bitrate, that reader's bitrate (bytes/s). For the peers (sp_playpos,
 * issue 10): near a swarm's frontier every reader waits at the same
 * piece, and only the lead tells who needs it sooner. */
uint64_t sp_picker_play_offset(const struct sp_picker *p, int64_t now, double *bitrate);
/* Does every reader's consumer wait for its first start
 * (sp_picker_cursor_waiting)? false with no reader. */
bool sp_picker_play_waiting(const struct sp_picker *p);
/* Checks every bookkeeping invariant (picker_check.c): 0, or the number of
 * the first one broken. Costs O(blocks + requests): tests and the
 * simulator call it after every call, the session never. */
int sp_picker_check(const struct sp_picker *p);
/* Time (ms) the source has had no request out while we wanted something
 * of it, since it was added (the debug log's idle figure). */
int64_t sp_picker_source_idle_ms(const struct sp_picker *p, uint32_t id, int64_t now_us);

#endif
