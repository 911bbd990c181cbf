/* swarmplay.h - the public API: what an embedder (a kiosk app) links against.
 *
 * A session runs one network thread ("net") that owns every socket, the
 * trackers, the picker and storage bookkeeping. Every function here is
 * callable from any thread unless it says otherwise; they post work to the
 * net thread and never block on the network, except sp_reader_read(),
 * which blocks until the bytes asked for are SHA-1-verified.
 *
 * Ownership: objects returned by _new/_add/_open are freed by the matching
 * _free/_close. */
#ifndef SWARMPLAY_H
#define SWARMPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif
/* The library is built with -fvisibility=hidden: what is declared here
 * is what it exports. */
#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(default)
#endif

struct sp_error;
struct sp_metainfo;
struct sp_session;
struct sp_torrent;
struct sp_reader;

/* ---- errors and logging (any thread) ---- */

/* A failing call returns a negative errno and, when given a non-NULL
 * `struct sp_error **err` whose *err is NULL, a message to show (already
 * translated) that the caller frees with sp_error_free. */
int sp_error_code(const struct sp_error *e);     /* 0 for NULL */
const char *sp_error_msg(const struct sp_error *e); /* "" for NULL */
void sp_error_free(struct sp_error *e);
/* For a host's own failures, and its callbacks that report one
 * (sp_create_config.probe_duration): when err is not NULL and *err is
 * NULL, fills *err with code (a negative errno) and the printf-style
 * message. Returns code. */
int sp_error_set(struct sp_error **err, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* The library never prints on its own but through this: log lines (for
 * developers, English) go to cb, on whichever thread logs, instead of
 * stderr; NULL restores stderr. level: 0 debug, 1 info, 2 warn, 3 error;
 * SWARMPLAY_LOG=debug|info|warn|error sets which are produced (warn).
 * Call before sp_session_new; cb must not block. */
void sp_log_set_callback(void (*cb)(void *ctx, int level, const char *module, const char *msg),
			 void *ctx);
/* A host's own log lines, through the same callback (or stderr) and
 * level as the library's: level 0 debug .. 3 error, module a short word
 * ("serve", "kiosk"), a printf-style line without its newline (cut at
 * about 1000 bytes). sp_log_enabled tells whether a line of that level
 * would be written at all (to skip building it). Any thread. */
bool sp_log_enabled(int level);
void sp_log_write(int level, const char *module, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* Sets the locale from the environment (setlocale(LC_ALL, "")) and binds
 * the library's message catalogue (text domain "swarmplay";
 * SWARMPLAY_LOCALEDIR overrides where it is), so that sp_error messages
 * come in the user's language. Once, from main, before other threads. */
void sp_i18n_init(void);

/* ---- metainfo: .torrent, .tstream, magnet (any thread; immutable but
 * for sp_metainfo_add_peer) ---- */

/* From a file path or a magnet: URI; NULL and *err on failure. */
struct sp_metainfo *sp_metainfo_load(const char *src, struct sp_error **err);
/* From a .torrent/.tstream's bytes in memory (len bytes, copied; a POST
 * body, a playlist's download); NULL and *err on failure. */
struct sp_metainfo *sp_metainfo_parse(const uint8_t *buf, size_t len, struct sp_error **err);
void sp_metainfo_free(struct sp_metainfo *mi);
const char *sp_metainfo_name(const struct sp_metainfo *mi);
const char *sp_metainfo_info_hash(const struct sp_metainfo *mi); /* 40 hex digits */
/* Files (0 for a magnet until its metadata is fetched). */
int sp_metainfo_num_files(const struct sp_metainfo *mi);
/* A safe relative path ("name/dir/file"), NULL out of range. */
const char *sp_metainfo_file_path(const struct sp_metainfo *mi, int i);
int64_t sp_metainfo_file_length(const struct sp_metainfo *mi, int i); /* -1 out of range */
/* The file that play chooses: the largest video file, else the largest; -1 none. */
int sp_metainfo_main_file(const struct sp_metainfo *mi);
/* Whether a path has a video container's extension (.mp4, .mkv, ...),
 * as play and serve's playlists decide; pure. */
bool sp_metainfo_is_video_path(const char *path);
/* The torrent's subtitle file for video file video_file: one of the same
 * base name in the same folder, or in a Subs/ folder beside it, ending in
 * .srt, .ass, .ssa or .vtt, with an optional language before that
 * ("movie.fr.srt"); the first language of slang's comma list ("fr,en",
 * NULL: none) that one has wins, then the first in the torrent. Its
 * index, or -1 when there is none. Pure. */
int sp_metainfo_subtitle_file(const struct sp_metainfo *mi, int video_file, const char *slang);
uint64_t sp_metainfo_total_length(const struct sp_metainfo *mi); /* 0 for a magnet */
uint32_t sp_metainfo_piece_length(const struct sp_metainfo *mi); /* 0 for a magnet */
uint32_t sp_metainfo_num_pieces(const struct sp_metainfo *mi);   /* 0 for a magnet */

/* Where a bitrate hint comes from (.tstream keys). */
enum sp_bitrate_source {
	SP_BITRATE_NONE = 0,
	SP_BITRATE_INFO_PLAYTIME,  /* info.playtime or the file's own playtime */
	SP_BITRATE_TOP_PLAYTIME,   /* top-level playtime */
	SP_BITRATE_SPEED_BPS,      /* azureus_properties.Content['Speed Bps'] */
};
/* The bitrate hint of file file_index (-1: the main file) in bytes per
 * second, 0 if unknown; *source (may be NULL) says from what. */
double sp_metainfo_bitrate(const struct sp_metainfo *mi, int file_index,
			   enum sp_bitrate_source *source);
/* A file's offset in the torrent's byte stream (-1 out of range); a pad
 * file (BEP 47) holds zeros only and is never played; its playtime in
 * seconds from the .tstream (0: none given, or out of range). */
int64_t sp_metainfo_file_offset(const struct sp_metainfo *mi, int i);
bool sp_metainfo_file_is_pad(const struct sp_metainfo *mi, int i);
/* A file with a video container's extension (.mp4, .mkv, .webm...), not
 * a pad file: what a player lists (false out of range). */
bool sp_metainfo_file_is_video(const struct sp_metainfo *mi, int i);
double sp_metainfo_file_playtime(const struct sp_metainfo *mi, int i);

/* Trackers by tier (BEP 12; a lone `announce` is one tier): URL i of
 * tier t, NULL past the end. */
int sp_metainfo_num_tiers(const struct sp_metainfo *mi);
const char *sp_metainfo_tracker(const struct sp_metainfo *mi, int tier, int i);
/* Web seeds (BEP 19 url-list), HTTP seeds (BEP 17), and the peers given
 * with it (`initial peers`, a magnet's x.pe, sp_metainfo_add_peer: the
 * host, its port in *port): item i, NULL past the end. */
const char *sp_metainfo_web_seed(const struct sp_metainfo *mi, int i);
const char *sp_metainfo_http_seed(const struct sp_metainfo *mi, int i);
const char *sp_metainfo_peer(const struct sp_metainfo *mi, int i, uint16_t *port);

/* A directory's torrent (`files`), not a single file's. */
bool sp_metainfo_is_multi_file(const struct sp_metainfo *mi);
/* A BitTorrent v2 hybrid, read through its v1 keys. */
bool sp_metainfo_is_hybrid_v2(const struct sp_metainfo *mi);

/* The free texts of a .torrent or .tstream, as the file has them (not
 * necessarily UTF-8), NULL when absent. */
enum sp_metainfo_text {
	SP_METAINFO_TITLE = 0,          /* azureus_properties Content Title */
	SP_METAINFO_DESCRIPTION,        /* Content Description */
	SP_METAINFO_PUBLISHER,          /* Content Publisher */
	SP_METAINFO_COMMENT,
	SP_METAINFO_CREATED_BY,
	SP_METAINFO_LIVE_AUTHMETHOD,    /* a live stream's authentication */
};
const char *sp_metainfo_text(const struct sp_metainfo *mi, enum sp_metainfo_text which);
/* The .tstream hints: info.playtime, or the top-level playtime
 * (top_level), in seconds, 0 when absent; Content 'Speed Bps' (0). */
double sp_metainfo_playtime(const struct sp_metainfo *mi, bool top_level);
int64_t sp_metainfo_speed_bps(const struct sp_metainfo *mi);
/* Content Thumbnail's bytes (an image, inside mi: valid until
 * sp_metainfo_free), NULL and *len 0 when none. */
const uint8_t *sp_metainfo_thumbnail(const struct sp_metainfo *mi, size_t *len);
bool sp_metainfo_is_live(const struct sp_metainfo *mi);
int64_t sp_metainfo_creation_date(const struct sp_metainfo *mi); /* 0: none */

/* A magnet link's: no file list until sp_session_fetch_metadata. */
bool sp_metainfo_is_magnet(const struct sp_metainfo *mi);
/* A private torrent (BEP 27): peers only from its trackers, so a host
 * keeps it out of the DHT and local discovery. False for a magnet. */
bool sp_metainfo_is_private(const struct sp_metainfo *mi);
/* A peer to try first (as a magnet's x.pe), for the session that gets mi
 * and for sp_session_fetch_metadata. The one call that changes a
 * metainfo: on the thread that holds it, before handing it to a session.
 * host: an IP address or a name, under 64 bytes. 0, -EINVAL or -ENOMEM. */
int sp_metainfo_add_peer(struct sp_metainfo *mi, const char *host, uint16_t port);

/* ---- making a .tstream (a .torrent with streaming hints) ---- */

struct sp_create_config {
	const char *const *trackers;  /* the first is `announce`; each one is a
					 tier of its own in announce-list */
	size_t num_trackers;
	const char *const *web_seeds; /* BEP 19 url-list */
	size_t num_web_seeds;
	uint32_t piece_length;        /* a power of two, 16 KiB..64 MiB; 0: about
					 half a second of the main video */
	const char *comment;          /* NULL = none, as the next two */
	const char *title;            /* azureus_properties Content Title */
	const char *created_by;
	bool private_flag;            /* BEP 27 */
	bool with_date;               /* write `creation date`: date */
	int64_t date;                 /* seconds since 1970 */
	int threads;                  /* hashing threads, 1..64; 0 = all cores */
	/* The duration of a video file of the input (by its extension) in
	 * *seconds (0: unknown), from which the playtime and the piece size
	 * follow; the library links no media library, so the host probes
	 * (NULL: none probed). A negative errno stops sp_create with it, and
	 * with *err if the callback filled it. */
	int (*probe_duration)(void *ctx, const char *path, double *seconds,
			      struct sp_error **err);
	/* Hashing progress (bytes done of total), about every 100 ms and once
	 * at the end; NULL = none. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;                    /* given to both callbacks */
	double *hash_seconds;         /* NULL, or set to how long hashing took */
};

/* Makes a .tstream of input, a file or a directory (its regular files,
 * sorted by path; symlinks skipped), and writes it to output atomically
 * (a temporary file beside it, fsync, rename). The output depends only on
 * input and cfg (cfg NULL: all defaults), and sp_metainfo_load reads it
 * back: the result is that metainfo (the caller frees it), or NULL and
 * *err (-ENOENT, -EINVAL, -EIO, -ENOSPC..., or the probe's error).
 * Blocks while it hashes every byte on cfg->threads worker threads; the
 * callbacks run on the caller's thread. Any thread. */
struct sp_metainfo *sp_create(const char *input, const char *output,
			      const struct sp_create_config *cfg, struct sp_error **err);

/* ---- the play cache (any thread; status: 0 or a negative errno) ----
 *
 * Where a player keeps each torrent's data so that a second play starts
 * from disk: one folder per torrent, named by its info-hash, in a cache
 * folder kept under a size by trimming the least recently used. A trim
 * touches only entries named by 40 lowercase hex digits, removes symlinks
 * as links, never follows them, and never leaves the cache folder. */

/* The torrent's folder, made if missing, into out[n]:
 * $XDG_CACHE_HOME/swarmplay/<info_hash>, else ~/.cache/swarmplay/...,
 * else /tmp/swarmplay-cache/...; its parent is the cache folder. 0, or
 * -ENAMETOOLONG, or the errno of mkdir. */
int sp_cache_dir(const char *info_hash, char *out, size_t n);
/* Marks a torrent's folder as in use (a shared flock) while the returned
 * descriptor stays open (the caller closes it): sp_cache_trim in any
 * process leaves it alone. Waits up to about a second while a trim holds
 * it. The descriptor, or -ESTALE (a trim removed it meanwhile: make it
 * again with sp_cache_dir) or another negative errno. */
int sp_cache_hold(const char *dir);
/* Disk space the torrent folders of cache_root use (allocated blocks:
 * sparse files count what they really use), or a negative errno. */
int64_t sp_cache_usage(const char *cache_root);
/* Removes torrent folders, least recently used first (a folder's use is
 * the newest mtime of itself and its resume file), until the cache uses
 * at most max_bytes. Never removes keep (an info-hash, may be NULL: the
 * torrent in use, even alone over the limit), a held folder, nor one used
 * in the last 10 minutes: the cache may stay over the limit a while.
 * Bytes freed, or a negative errno when the cache cannot be read. Not
 * while a session opens a folder it may remove (pass that one as keep). */
int64_t sp_cache_trim(const char *cache_root, uint64_t max_bytes, const char *keep);
/* A cache size as the command line gives it (--cache-max): digits with
 * an optional K, M, G or T (powers of 1024). 0 and *out, or -EINVAL for
 * anything else or an overflow. Pure. */
int sp_cache_parse_size(const char *s, uint64_t *out);

/* ---- session ---- */

enum sp_webseed_mode { SP_WEBSEED_FALLBACK = 0, SP_WEBSEED_ALWAYS, SP_WEBSEED_NEVER };

struct sp_session_config {
	uint16_t port;              /* listen port; 0 = pick one */
	const char *bind_address;   /* NULL = 0.0.0.0 */
	int max_peers_per_torrent;  /* 0 = default (50) */
	int max_peers_total;        /* 0 = default (200) */
	int max_peers_per_ip;       /* per torrent, one IPv6 /64 counts as one; 0 = default (8) */
	int upload_slots;           /* 0 = default (4 + optimistic) */
	int64_t upload_rate_limit;  /* bytes/s, 0 = none */
	int64_t download_rate_limit;/* bytes/s, 0 = none */
	enum sp_webseed_mode webseed_mode;
	bool no_trackers;           /* do not announce (tests with --peer only) */
	bool lsd;                   /* BEP 14 local service discovery (multicast) */
	bool dht;                   /* BEP 5 DHT node on the listen port (UDP) */
	const char *dht_state_file; /* the routing table, loaded at start and saved
				       atomically every few minutes and at exit;
				       NULL = none (copied) */
	bool port_mapping;          /* map the listen port on the gateway (UPnP IGD,
				       NAT-PMP), renew, delete at exit */
	double start_buffer_s;      /* video verified at a reader's cursor before the
				       start rule holds; 0 = default (1 s), < 0 none */
};

/* Starts the net thread. Sets SIGPIPE to ignored if it has its default
 * action (a peer hanging up mid-write must not kill the host). */
struct sp_session *sp_session_new(const struct sp_session_config *cfg, struct sp_error **err);
/* Stops every torrent (announcing `stopped`), saves resume state, joins. */
void sp_session_free(struct sp_session *s);
uint16_t sp_session_port(const struct sp_session *s);
/* A DHT node to bootstrap from (cfg.dht): a router, or any known node.
 * A numeric address (IPv4, or IPv6 without brackets) is used at once; a
 * name is resolved on the net thread without blocking (libevent's
 * resolver, created at the first name: with numeric addresses only,
 * nothing is resolved). 0 or -EINVAL /
 * -ENOTSUP. */
int sp_session_add_dht_node(struct sp_session *s, const char *host, uint16_t port);

/* Can peers outside connect in? The port mapping's last result
 * (cfg.port_mapping; all zero when it is off). Any thread. */
struct sp_reachability {
	bool mapping_on;  /* cfg.port_mapping and a library to do it */
	bool checking;    /* the first attempt is under way */
	bool reachable;   /* the gateway forwards our port */
	char address[46]; /* the gateway's external address ("" if it did not say) */
	uint16_t port;    /* the external port */
	char method[12];  /* "UPnP" or "NAT-PMP" */
	char why[96];     /* when not reachable: "no gateway answered", or the
			     router's refusal (English) */
};
void sp_session_get_reachability(struct sp_session *s, struct sp_reachability *r);

/* What the session knows of the network around it, for `swarmplay
 * doctor`: a snapshot taken on the net thread (the caller waits for it,
 * never for the network). Any thread but the net thread's callbacks. */
struct sp_network_info {
	uint16_t port;            /* the listen port (TCP, and UDP for the DHT) */
	bool listen6;             /* also listening on IPv6 ([::]) */
	bool dht;                 /* the DHT runs */
	bool dht6;                /* with an IPv6 socket */
	size_t dht_nodes4, dht_nodes6; /* nodes in the routing table */
	uint64_t dht_replies;     /* answers to our queries so far */
	size_t dht_pending;       /* our queries in flight (not answered, not timed out) */
	uint64_t dht_answered;    /* queries of others we answered */
	uint64_t dht_refused;     /* queries over the rate limit, dropped */
	uint8_t dht_id[20];       /* our node id */
	bool dht_id_fits;         /* it fits our external address (BEP 42) */
	char external4[16];       /* our external addresses as the votes say ("" unknown) */
	char external6[46];
	bool lsd;                 /* local service discovery (IPv4 multicast) */
	bool lsd6;                /* and IPv6 (ff15::efc0:988f) */
};
/* 0, or -EINVAL (no session), -ECANCELED (stopping). */
int sp_session_get_network(struct sp_session *s, struct sp_network_info *n);

/* Readers opened with sp_torrent_open_reader must be closed before
 * sp_session_free. */

/* Adds a torrent downloading into dir (created if missing). Takes
 * ownership of mi on success (on failure it stays the caller's; -EEXIST
 * if the session has this info-hash already). Existing data in dir is
 * checked against the resume file before any piece is requested (on a
 * thread of its own: stats.checking until done). seed_only: never
 * download. */
struct sp_torrent *sp_session_add_torrent(struct sp_session *s, struct sp_metainfo *mi,
					  const char *dir, bool seed_only, struct sp_error **err);
/* A magnet link (sp_magnet_parse / sp_metainfo_load) has no file list:
 * fetch its info dictionary from peers (BEP 9: the magnet's x.pe peers and
 * trackers). Blocks the caller up to timeout_ms; returns the full
 * metainfo (caller owns; then sp_session_add_torrent it: the peers found
 * are reused) or NULL and -ETIMEDOUT / -EBADMSG in err. Takes ownership
 * of magnet. Not from the net thread. */
struct sp_metainfo *sp_session_fetch_metadata(struct sp_session *s, struct sp_metainfo *magnet,
					      int timeout_ms, struct sp_error **err);
/* Ends every sp_session_fetch_metadata of s, those waiting now (within
 * 100 ms) and those called later: NULL and -ECANCELED. For a program that
 * stops while a magnet's metadata is still coming. Any thread; only sets
 * a flag, so a signal handler may call it. */
void sp_session_cancel_fetches(struct sp_session *s);
const struct sp_metainfo *sp_torrent_metainfo(const struct sp_torrent *t);
int sp_torrent_add_peer(struct sp_torrent *t, const char *host, uint16_t port);

enum sp_byte_source { SP_FROM_PEERS = 0, SP_FROM_WEBSEED, SP_FROM_CACHE, SP_FROM_COUNT };

/* Why bytes a source sent were not used (every byte received is either
 * verified payload or one of these). */
enum sp_waste_cause {
	SP_WASTE_HEDGE = 0,  /* a hedged request whose other copy came first */
	SP_WASTE_ENDGAME,    /* an end-game copy whose other copy came first */
	SP_WASTE_RESCUE,     /* a request moved to a sooner source, sent anyway */
	SP_WASTE_CANCELLED,  /* came after its cancel (seek, timeout, choke) */
	SP_WASTE_HASH,       /* a piece that failed its hash check */
	SP_WASTE_OTHER,      /* never asked for, or refused by the storage */
	SP_WASTE_COUNT
};
/* "hedge", "endgame", "rescue", "cancelled", "hash", "other". */
const char *sp_waste_cause_name(enum sp_waste_cause c);

struct sp_torrent_stats {
	uint32_t num_pieces;
	uint32_t have_pieces;
	uint64_t total_length;
	uint64_t verified_bytes;
	uint64_t downloaded[SP_FROM_COUNT]; /* verified payload bytes by source */
	uint64_t uploaded;
	uint64_t wasted;           /* failed hashes, duplicates: the sum of wasted_by */
	uint64_t wasted_by[SP_WASTE_COUNT]; /* by cause */
	double down_rate;          /* bytes/s, recent */
	double up_rate;
	int peers;                 /* connected */
	int seeds;                 /* connected peers that have everything */
	bool checking;             /* verifying existing data */
	bool complete;
	int64_t complete_at_us;    /* monotonic time of 100 %, 0 if not yet */
	char error[256];           /* last fatal error (disk full...), "" if none */
	char tracker_status[256];  /* last tracker message ("failure reason"...) */
	uint32_t pieces_at_start;  /* pieces verified by the check (resume/cache) */
	uint64_t peers_seen;       /* connections that completed a handshake */
	uint64_t relayed;          /* of uploaded, sent while we were still
				      downloading (seeding while watching) */
	/* the error's negative errno (-ENOSPC: the disk is full; the pieces
	 * are asked for again and it clears by itself once one is written),
	 * 0 if none */
	int error_code;
};
void sp_torrent_get_stats(struct sp_torrent *t, struct sp_torrent_stats *st);
/* Copy of the verified-piece bitfield (wire order) into bits[len]. */
int sp_torrent_get_pieces(struct sp_torrent *t, uint8_t *bits, size_t len);

/* Whether file's pieces are worth fetching beyond the readers' windows
 * (rarest first while nothing is due): all files are at first. A player
 * of a many-file torrent unwants those it does not play, so that only
 * what is watched is downloaded; a piece a wanted file shares stays
 * wanted, and a reader's window is fetched whatever the file. Never
 * blocks. 0, -EINVAL or -ENOMEM. */
int sp_torrent_set_file_wanted(struct sp_torrent *t, int file, bool wanted);

/* The stream reader: a file of the torrent as a blocking byte stream.
 * Reads return only SHA-1-verified bytes. */
struct sp_reader *sp_torrent_open_reader(struct sp_torrent *t, int file_index,
					 struct sp_error **err);
void sp_reader_close(struct sp_reader *r);
int64_t sp_reader_size(const struct sp_reader *r);
/* Blocks until at least one byte at offset is verified; returns bytes
 * read (short reads allowed), 0 at end of file, -ECANCELED after
 * sp_reader_cancel, another negative errno on error. Moving the offset
 * moves the reader's cursor (a seek for the picker). One thread at a time
 * reads a given reader. */
ssize_t sp_reader_read(struct sp_reader *r, uint64_t offset, void *buf, size_t len);
/* Any thread, never blocks: wakes the reader; reads fail with -ECANCELED
 * until sp_reader_resume(). */
void sp_reader_cancel(struct sp_reader *r);
void sp_reader_resume(struct sp_reader *r);
/* The demuxer's measured bitrate (bytes/s), replacing the metainfo hint. */
void sp_reader_set_bitrate(struct sp_reader *r, double bytes_per_sec);
/* Seconds of media the consumer has read but not yet played (its packet
 * and frame queues): the byte at the read position is needed that much
 * later, so the picker's deadlines follow playback, not the read-ahead.
 * 0 (the default) while nothing plays: before the start, after a seek.
 * Any thread, never blocks. */
void sp_reader_set_lead(struct sp_reader *r, double seconds);
/* The consumer waits for its first start (true: it buffers to begin,
 * nothing plays yet) or plays (false, the default: a reader that never
 * says, such as an HTTP stream's, counts as playing). Peers serving
 * several viewers serve those that play first (sp_playpos "w"): a wait
 * before the start costs a later first frame, one after it a stall. A
 * player says true when it opens the stream and false when playback
 * starts. Any thread, never blocks. */
void sp_reader_set_waiting(struct sp_reader *r, bool waiting);
/* Is [offset, offset+len) verified now? (the start rule, the OSD) */
bool sp_reader_available(struct sp_reader *r, uint64_t offset, uint64_t len);
/* Tribler's start rule: the data at the cursor is here and the expected
 * download time of the next `ahead_s` seconds of video is no more than
 * their play time. */
bool sp_reader_ready_to_start(struct sp_reader *r, uint64_t offset, double ahead_s);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif
#ifdef __cplusplus
}
#endif
#endif
