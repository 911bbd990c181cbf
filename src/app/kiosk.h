/* kiosk.h - `swarmplay kiosk PLAYLIST`: the state that the kiosk's
 * threads share, private to src/app (cmd_kiosk.c, kiosk_fetch.c,
 * kiosk_status.c, kiosk_ctl*.c).
 *
 * Threads: the main thread plays (SDL's rule) and owns the item list: it
 * applies a newly fetched list between two plays, prepares items (their
 * torrents join the session and stay while listed) and plays them. The
 * fetch thread fetches the playlist (kiosk_fetch.c) every --refresh
 * minutes or on request and leaves a parsed list in `pending`. The loop
 * thread (kiosk_loop.c) answers HTTP (kiosk_status.c) with a JSON
 * snapshot and the status page, and the control socket (kiosk_ctl.c);
 * both turn requests into the atomic requests below. Everything marked [mu]
 * is read or written under mu; the item array is replaced or changed
 * only by the main thread, under mu. */
#ifndef SP_APP_KIOSK_H
#define SP_APP_KIOSK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "app/playlist.h"

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
	const char *control;    /* --control PATH, NULL: the default */
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
	atomic_long go_to;      /* an item's index to play now (goto N); -1 none */

	/* [mu] what the control socket asked of the item playing
	 * (kiosk_ctl_apply.c); the playback takes it (sp_kiosk_take_player_req)
	 * while a play runs. The contract for the playback: a play starts
	 * with `paused` and `volume` below (as last asked) and drops a seek
	 * or a screenshot asked before it began (cmd_kiosk.c: control(), on
	 * each turn of the play's loop, to sp_player_pause/play/seek/
	 * set_volume/screenshot). */
	struct kiosk_player_req {
		bool pause_set, paused;   /* play / pause */
		bool seek_set;
		double seek_s;
		bool volume_set;
		int volume;              /* 0..100 */
		char shot[4096];         /* screenshot: a PNG's path, "" none */
	} preq;
	bool paused;            /* [mu] as last asked */
	int volume;             /* [mu] as last asked, -1 the item's own */
	int64_t started_us;     /* sp_app_now_us at start: the uptime */
};

/* The requests for the item playing, taken (cleared in k): true if any.
 * The playback's thread, as often as it can (a play that cannot apply
 * one drops it). */
bool sp_kiosk_take_player_req(struct kiosk *k, struct kiosk_player_req *out);

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

/* The kiosk's event loop (kiosk_loop.c): one thread and event_base for
 * the status page and the control socket. new/free on the main thread. */
struct event_base;
struct kiosk_loop;
struct kiosk_loop *sp_kiosk_loop_new(char *why, size_t whylen);
struct event_base *sp_kiosk_loop_base(struct kiosk_loop *l);
/* Runs the loop's thread (after the listeners are added). 0 or -errno. */
int sp_kiosk_loop_start(struct kiosk_loop *l);
/* Stops and joins the thread; then frees the listeners (which must go
 * before the base), then the loop. */
void sp_kiosk_loop_stop(struct kiosk_loop *l);
void sp_kiosk_loop_free(struct kiosk_loop *l);

/* The servers on the loop (kiosk_loop.c): the control socket (unless
 * there is no path for it), and the status page with --http; then the
 * loop's thread. Says why on stderr: 0 or -1. stop takes a half-started
 * set too. Main thread. */
struct kiosk_ctl;
struct kiosk_status;
struct kiosk_servers {
	struct kiosk_loop *loop;
	struct kiosk_status *st;
	struct kiosk_ctl *ctl;
};
int sp_kiosk_servers_start(struct kiosk *k, const struct kiosk_opts *o,
			   struct kiosk_servers *sv);
void sp_kiosk_servers_stop(struct kiosk_servers *sv);

/* The control socket (kiosk_ctl.c) at path on the loop's base: JSON
 * lines (kiosk_ctl_proto.h). NULL and *why on failure (path in use by a
 * live kiosk, too long, no folder). sp_kiosk_ctl_default_path: where it
 * goes without --control, made (0700) if missing; -ENOENT without
 * $XDG_RUNTIME_DIR. */
struct kiosk_ctl *sp_kiosk_ctl_new(struct kiosk *k, struct event_base *base, const char *path,
				   char *why, size_t whylen);
void sp_kiosk_ctl_free(struct kiosk_ctl *c);
int sp_kiosk_ctl_default_path(char *out, size_t outlen);
/* A control request applied to the kiosk (kiosk_ctl_apply.c): 0 done
 * (next, prev, goto, reload: the main loop acts), 1 handed to the player
 * (play, pause, seek, volume, screenshot), -EINVAL with why. Not for
 * status. Any thread. */
struct sp_kctl_req;
int sp_kiosk_ctl_apply(struct kiosk *k, const struct sp_kctl_req *r, char *why, size_t whylen);

/* The status as one line of JSON, newline included (kiosk_status.c):
 * malloc'ed, *len its length; NULL when out of memory or over 1 MiB.
 * Takes the kiosk's mutex. Any thread but the main one's play. */
char *sp_kiosk_status_dup(struct kiosk *k, size_t *len);

/* The HTML status page (kiosk_page.c): polls /status.json. */
const char *sp_kiosk_page_html(size_t *len);

struct kiosk_status;
/* The status page on host:port (on the loop's event_base). token:
 * every request must carry it (?token= or Authorization: Bearer); NULL
 * only on loopback. NULL and *why on failure. */
struct kiosk_status *sp_kiosk_status_new(struct kiosk *k, struct event_base *base,
					 const char *host, uint16_t port, const char *token,
					 char *why, size_t whylen);
uint16_t sp_kiosk_status_port(const struct kiosk_status *st);
void sp_kiosk_status_free(struct kiosk_status *st);

#endif
