/* kiosk.h - `swarmplay kiosk PLAYLIST`: the state that the kiosk's
 * threads share, private to src/app (cmd_kiosk.c, kiosk_fetch.c,
 * kiosk_status.c).
 *
 * Threads: the main thread plays (SDL's rule) and owns the item list: it
 * applies a newly fetched list between two plays, prepares items (their
 * torrents join the session and stay while listed) and plays them. The
 * fetch thread fetches the playlist (kiosk_fetch.c) every --refresh
 * minutes or on request and leaves a parsed list in `pending`. The status
 * thread (kiosk_status.c) answers HTTP with a JSON snapshot and turns
 * control POSTs into the atomic requests below. Everything marked [mu]
 * is read or written under mu; the item array is replaced or changed
 * only by the main thread, under mu. */
#ifndef SP_APP_KIOSK_H
#define SP_APP_KIOSK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "kiosk/playlist.h"

#include "app/swarm_opts.h"

struct sp_torrent;
struct sp_session;

/* The kiosk's options (cmd_kiosk.c parses them). */
struct kiosk_opts {
	struct sp_swarm_opts sw;
	int refresh_min;
	const char *http_host;
	uint16_t http_port;
	bool http;
	const char *token;
	uint64_t cache_max;
	bool windowed, no_video, no_audio, osd;
	int volume;
	const char *framehash_dir;
	const char *src;
};

struct kiosk_item {
	char *src;       /* resolved against the playlist's location */
	char *title;     /* #EXTINF's, or NULL */
	struct sp_playlist_item opt; /* kind, line, loops, start, duration, volume */
	char hash[41];   /* a torrent's info-hash once known */
	struct sp_torrent *t; /* in the session while listed */
	int file;        /* the torrent's file played */
	int hold_fd;     /* sp_cache_hold on its cache folder: pinned; -1 */
	int64_t retry_at_us; /* failed: not before then */
	int fails;       /* in a row */
	unsigned plays;
	char error[256]; /* the last failure, "" none */
};

struct kiosk {
	pthread_mutex_t mu;
	pthread_cond_t cond;   /* the fetch thread's wake-up; a new list */
	const char *source;    /* the PLAYLIST argument */
	bool remote;           /* an http(s) URL */
	int refresh_min;
	char cache_list[4096]; /* the last good list on disk */
	char cache_meta[4096]; /* its ETag and Last-Modified */
	char item_dir[4096];   /* downloaded .torrent/.tstream items */

	/* [mu] the list being played */
	struct kiosk_item *items;
	size_t n;
	unsigned version;      /* bumps with every list applied */
	struct sp_playlist_error errors[SP_PLAYLIST_MAX_ERRORS];
	size_t nerrors, bad_lines;
	/* [mu] the fetcher's side */
	struct sp_playlist *pending; /* parsed, not yet applied */
	bool pending_from_cache;
	bool from_cache;       /* the list in use came from the disk cache */
	char fetch_result[320];/* the last fetch: "200", "not modified", or why it failed */
	int64_t fetched_at;    /* unix time of the last attempt, 0 never */
	unsigned fetches;      /* attempts so far */
	int64_t good_at;       /* of the last list accepted */
	char etag[256], last_modified[128];
	bool stopping;

	/* [mu] playing */
	long cur;              /* index playing, -1 none */
	double pos_s, dur_s;
	unsigned plays;        /* plays done, all items */

	/* requests from the status page (or a signal) */
	atomic_int stop_play; /* the player's quit_flag: ends this play */
	atomic_int step;        /* +1 next, -1 previous, 0 none */
	atomic_bool reload;
};

/* kiosk_items.c, main thread (or the prefetch thread while the main
 * thread plays): a list the fetcher left, applied (1; 0 none; -ENOMEM);
 * an item prepared for its play (0, or -1: failed, retried later). */
int sp_kiosk_apply_pending(struct kiosk *k, const struct kiosk_opts *o);
int sp_kiosk_prepare(struct kiosk *k, struct sp_session *s, const struct kiosk_opts *o,
		     struct kiosk_item *it);
void sp_kiosk_item_fini(struct kiosk_item *it);
/* Main thread, before a play: a torrent item with no data yet waits for
 * some; none within a deadline: failed (retried later), -1. -1 also when
 * a stop or a jump is asked meanwhile (not a failure). 0 to play. */
int sp_kiosk_wait_data(struct kiosk *k, struct kiosk_item *it);
/* Records why the item failed and when to try it again. */
void sp_kiosk_item_failed(struct kiosk *k, struct kiosk_item *it, const char *why);
void sp_kiosk_items_fini(void);

/* The fetch thread: the disk copy first (a reboot without network still
 * plays), then PLAYLIST now and every refresh_min minutes, or when
 * reload is set and cond signalled; stops once stopping is set. */
void *sp_kiosk_fetch_main(void *arg);
/* The disk cache's paths for k->source (made if missing). 0 or -errno. */
int sp_kiosk_cache_paths(struct kiosk *k);
/* A .torrent/.tstream by http(s) into k->item_dir (a copy kept: used
 * when the server cannot be reached). 0 and out the local path, or
 * -errno and why. Any thread. */
/* Where the copy of an item by URL is kept (it may not exist). */
int sp_kiosk_item_path(const struct kiosk *k, const char *url, char *out, size_t outlen);
int sp_kiosk_fetch_item(const struct kiosk *k, const char *url, char *out, size_t outlen,
			char *why, size_t whylen);

/* Background downloads in list order while the item playing needs no
 * network (kiosk_prefetch.c). prepare(ctx, i) runs on the prefetch
 * thread; the main thread polls during a play and waits for idle before
 * it changes the item array. */
struct kiosk_prefetch;
struct kiosk_prefetch *sp_kiosk_prefetch_new(struct kiosk *k, int (*prepare)(void *, size_t),
					     void *ctx);
void sp_kiosk_prefetch_poll(struct kiosk_prefetch *pf, size_t playing, bool playing_complete);
void sp_kiosk_prefetch_idle(struct kiosk_prefetch *pf);
void sp_kiosk_prefetch_free(struct kiosk_prefetch *pf);

/* systemd (kiosk_notify.c): init once, then sd_notify states (main
 * thread). The watchdog: sp_kiosk_watchdog marks the player loop's
 * progress (main thread); between start and stop a thread pings every
 * WatchdogSec / 2 while that and the session's net thread both progress
 * (kiosk_watchdog.c). Nothing without WATCHDOG_USEC. */
void sp_kiosk_notify_init(void);
void sp_kiosk_notify(const char *state);
void sp_kiosk_watchdog(void);
void sp_kiosk_watchdog_start(struct sp_session *s);
void sp_kiosk_watchdog_stop(void);

struct kiosk_status;
/* The status page on host:port (its own thread and event_base). token:
 * every request must carry it (?token= or Authorization: Bearer); NULL
 * only on loopback. NULL and *why on failure. */
struct kiosk_status *sp_kiosk_status_new(struct kiosk *k, const char *host, uint16_t port,
					 const char *token, char *why, size_t whylen);
uint16_t sp_kiosk_status_port(const struct kiosk_status *st);
void sp_kiosk_status_free(struct kiosk_status *st);

#endif
