/* player.h - the embeddable player: plays a torrent's file (through its
 * stream reader) or a local media file, inside a host program.
 *
 * The player is loaded on first use: libswarmplay itself does not link
 * FFmpeg or SDL2; sp_player_new() loads the player module
 * (libdir/swarmplay/swarmplay-player.so, found next to the library) once,
 * so a host that only downloads never maps them (doc/embedding.md).
 *
 * Threads. Every function here may be called from the host's main thread
 * and none blocks on the network. Each player runs its own thread (the
 * loop that paces frames against the audio clock, buffers, ends) plus
 * demux and decode threads; commands are queued to it and applied within
 * 10 ms. The host learns what happens in either of two ways:
 *   - poll: sp_player_event_fd() is readable while events are queued;
 *     sp_player_next_event() takes them (any thread, one at a time): a
 *     host with its own loop (poll, libevent, GLib, SDL) needs no thread;
 *   - callback: cfg.on_event, called on the player's thread; it must not
 *     block nor call sp_player_free.
 * Video goes either to a renderer the host owns (sp_player_draw, on the
 * thread that owns that renderer, each time the host redraws: the host
 * draws its overlay after it and presents), or to cfg.on_frame on the
 * player's thread (hosts with their own GL, encoders, tests), or to the
 * player's own window (SP_PLAYER_VIDEO_WINDOW: `swarmplay play`'s, with
 * its keys and OSD), which sp_player_run_* plays on the calling thread
 * (the main thread, SDL's rule) instead of a thread of the player's:
 * the callbacks then run on that thread.
 *
 * Ownership: sp_player_new's result is freed by sp_player_free (which
 * takes NULL); the reader given to sp_player_open_reader becomes the
 * player's. Errors: a negative errno, and *err when asked for. */
#ifndef SWARMPLAY_PLAYER_H
#define SWARMPLAY_PLAYER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "swarmplay/swarmplay.h"

#ifdef __cplusplus
extern "C" {
#endif
/* The library is built with -fvisibility=hidden: what is declared here
 * is what it exports. */
#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility push(default)
#endif

struct sp_player;

enum sp_player_video {
	SP_PLAYER_VIDEO_NONE = 0,  /* decode and pace, show nothing */
	SP_PLAYER_VIDEO_RENDERER,  /* the host calls sp_player_draw */
	SP_PLAYER_VIDEO_CALLBACK,  /* cfg.on_frame gets every frame shown */
	SP_PLAYER_VIDEO_WINDOW,    /* the player's own window, its keys and
				      OSD (`swarmplay play`'s): played with
				      sp_player_run_* on the main thread */
};

enum sp_player_audio {
	SP_PLAYER_AUDIO_DEFAULT = 0, /* SDL's default device */
	SP_PLAYER_AUDIO_DEVICE,      /* cfg.audio_device, an SDL device name */
	SP_PLAYER_AUDIO_NONE,        /* no sound; a video clock paces */
	SP_PLAYER_AUDIO_PULL,        /* the host's audio engine pulls the sound
					(sp_player_audio_read), and its pace
					is the clock the video follows */
};

/* A decoded picture, valid during the on_frame call only. Planes are in
 * the decoder's own format (FFmpeg's AVPixelFormat, named by format_name,
 * e.g. "yuv420p"): row_bytes[i] bytes of picture in each of rows[i] rows,
 * stride[i] apart. Packed plane after plane, rows without padding, these
 * bytes are what `ffmpeg -f framemd5` hashes. */
struct sp_video_frame {
	int width, height;
	int format;                /* AVPixelFormat */
	const char *format_name;
	int planes;
	const uint8_t *data[4];
	int stride[4];
	int row_bytes[4];
	int rows[4];
	double pts;                /* seconds, NAN when unknown */
	uint64_t number;           /* 0, 1, ... in the order shown */
};

enum sp_player_event_type {
	SP_PLAYER_EVENT_FIRST_FRAME = 1,
	SP_PLAYER_EVENT_BUFFERING_START, /* reason: enum sp_player_buffering */
	SP_PLAYER_EVENT_BUFFERING_END,
	SP_PLAYER_EVENT_POSITION,        /* once a second while playing */
	SP_PLAYER_EVENT_END,             /* played to the end */
	SP_PLAYER_EVENT_ERROR,           /* error, message: playback stopped */
};

enum sp_player_buffering {
	SP_PLAYER_BUFFERING_START = 0, /* before the first frame plays */
	SP_PLAYER_BUFFERING_SEEK,
	SP_PLAYER_BUFFERING_STALL,     /* the swarm did not keep up */
};

struct sp_player_event {
	enum sp_player_event_type type;
	int reason;         /* BUFFERING_START: enum sp_player_buffering */
	double position_s;
	double duration_s;  /* 0 when unknown */
	int error;          /* ERROR: a negative errno */
	char message[256];  /* ERROR: why, translated */
};

struct sp_player_config {
	enum sp_player_video video;
	enum sp_player_audio audio;
	const char *audio_device;  /* SP_PLAYER_AUDIO_DEVICE (copied) */
	bool unpaced;      /* no clock, no audio: every frame as fast as it
			      decodes, none dropped (hashing, transcoding) */
	double start_s;    /* where to start; < 0: the beginning */
	int volume;        /* 0..100 */
	int loop;          /* plays in all: 1 once, 0 forever */
	void (*on_frame)(void *ctx, const struct sp_video_frame *f);
	void (*on_event)(void *ctx, const struct sp_player_event *ev);
	void *ctx;
};

/* The defaults: renderer video, default audio device, from the start,
 * full volume, played once. Inline: usable before anything is loaded. */
static inline void sp_player_config_init(struct sp_player_config *cfg)
{
	struct sp_player_config d = {SP_PLAYER_VIDEO_RENDERER, SP_PLAYER_AUDIO_DEFAULT, NULL,
				     false, -1, 100, 1, NULL, NULL, NULL};
	*cfg = d;
}

/* The swarm's figures that the window's OSD (peers, rates, sources, the
 * piece map) and the stats JSON show, filled by the host's netinfo
 * callback (sp_player_set_netinfo_callback) from sp_torrent_get_stats and
 * sp_torrent_get_pieces. Grows only at the end. */
#define SP_PLAYER_MAP_CELLS 256
enum { SP_PLAYER_FROM_PEERS, SP_PLAYER_FROM_WEBSEED, SP_PLAYER_FROM_CACHE, SP_PLAYER_FROM_N };
#define SP_PLAYER_WASTE_N 6 /* the causes of enum sp_waste_cause, in its order */
struct sp_player_netinfo {
	bool torrent;          /* false: a local file, no swarm figures */
	int peers;
	double down_rate;      /* bytes/s */
	double up_rate;
	uint64_t from[SP_PLAYER_FROM_N]; /* verified bytes by source */
	uint64_t uploaded;
	uint64_t relayed;      /* of uploaded, sent before we had it all */
	uint64_t wasted;       /* bytes received in vain: the sum of wasted_by */
	uint64_t wasted_by[SP_PLAYER_WASTE_N]; /* by cause, as enum sp_waste_cause */
	double progress;       /* 0..1, the played file */
	bool complete;
	bool checking;         /* verifying data already on disk (the cache) */
	int64_t complete_at_us; /* CLOCK_MONOTONIC time (us) of 100 %, 0 if not yet */
	uint8_t map[SP_PLAYER_MAP_CELLS]; /* 0..255: how much of each cell is here */
	char reachable_json[256]; /* the port mapping, a JSON string ("" none) */
	char reachable[160];      /* the same for people, the OSD's line ("" none) */
	char error[256];          /* a storage fault ("disk full"): playback waits,
				     the download goes on once it clears; "" none */
};

/* How a play ended (sp_player_get_result): where it stopped, for a host
 * that resumes there next time, and what the viewer left set. */
struct sp_player_result {
	bool played;     /* the container opened and a frame was shown */
	bool ended;      /* played to the end */
	double pos_s;    /* the last position shown */
	double duration_s;
	int skip;        /* the play ended for the next (+1) or previous (-1)
			    file: the window's keys > and < (options
			    playlist-next, playlist-prev) */
	int64_t last_frame_us; /* CLOCK_MONOTONIC time (us) of the last frame, 0 none */
	int volume;      /* as the viewer left them (for the next file) */
	bool muted, fullscreen;
	bool sub_hidden; /* the window's key v */
	int aid;         /* the audio track chosen (from 1), 0: none chosen */
};

/* Loads the player module on the first call (-ENOTSUP with the loader's
 * reason when it cannot). Any thread. cfg is copied. */
struct sp_player *sp_player_new(const struct sp_player_config *cfg, struct sp_error **err);
/* Stops playback, joins the player's threads, closes the source. Any
 * thread but the player's own (not from on_event / on_frame). */
void sp_player_free(struct sp_player *p);

/* Options by name, as mpv's: set them after sp_player_new and before
 * sp_player_open_* (-EBUSY after), from any one thread at a time. value
 * is copied; NULL restores the default. 0, or -ENOENT for an unknown
 * name and -EINVAL for a bad value, with *err. The names:
 *   "framehash"    a path: the MD5 of each frame shown, one a line, as
 *                  the fifth field of `ffmpeg -f framemd5` (tests, a
 *                  signage screen's proof of play)
 *   "subhash"      a path: each subtitle shown, its times and normal text
 *   "sub-file"     an external subtitle file (.srt, .ass, .vtt) to show
 *   "slang"        subtitle languages by preference, "fr,en"
 *   "alang"        audio languages by preference, the same
 *   "sub-codepage" text subtitles' charset (iconv's name); default UTF-8,
 *                  else Windows-1252
 *   "hwdec"        "no" (default), "auto", "vaapi" or "vdpau": a hardware decoder
 *                  when the machine has one, else software, silently
 *   "stop-at"      seconds: the play stops when the position reaches it,
 *                  as at the end (END follows); 0 (default) none
 *   "start-buffer" seconds of media buffered before the first frame
 *                  (0: the player's own rule; "none": no more than the
 *                  first packets)
 *   "sub-visibility" "yes" (default) or "no": whether sp_player_draw and
 *                  sp_player_screenshot show the subtitle track chosen
 *                  (slang's, else sub-file's, else the one marked default);
 *                  in a window, "no" starts with them hidden (key v)
 *   "aid"          the audio track to start with, from 1 (0: alang's)
 *   "mute"         "yes" or "no" (default): start muted
 *   "stats-json"   a path: the sp_player_stats_json object, rewritten
 *                  (atomically) whenever it changes
 *   "framehash-append" "yes" or "no" (default): framehash appends to its
 *                  file (a playlist's later files) instead of truncating
 *   "ttff-from"    the CLOCK_MONOTONIC time in microseconds (a decimal
 *                  integer) that ttff_ms counts from: a program's start,
 *                  or the last frame of the file before; default: the
 *                  sp_player_open_* / sp_player_run_* call
 *   "seek-at"      "POS:TARGET" (seconds): when the position first reaches
 *                  POS, seek to TARGET (scripts, benchmarks); each call
 *                  adds one, up to 8; NULL clears them
 *   "screenshot-at" "POS:FILE": when the position first reaches POS, the
 *                  picture and its subtitles as a PNG into FILE; each call
 *                  adds one, up to 8; NULL clears them
 *   "exit-at-end"  "yes" or "no" (default): whether the play stops at the
 *                  end (else, as `swarmplay play` seeding on, the last
 *                  picture stays until sp_player_free or the quit flag)
 *   "progress"     "yes" or "no" (default): a status line on stderr every
 *                  second (a terminal program's)
 *   "terminal"     "yes" or "no" (default): the player speaks to the user
 *                  on stderr as the swarmplay program does (warnings such
 *                  as "no audio device", the port mapping line) and keeps
 *                  ALSA's own messages off it while SDL opens the sound;
 *                  "no": the library's log callback only
 * The window's options (SP_PLAYER_VIDEO_WINDOW):
 *   "title"        the window's title (default "swarmplay")
 *   "fullscreen"   "yes" or "no" (default)
 *   "screenshot-dir" the folder of key s's PNGs (default
 *                  $XDG_PICTURES_DIR, else the current directory)
 *   "keep-window"  "yes" or "no" (default): the window stays, black, when
 *                  the play ends, for the next player's (a playlist)
 *   "resumed"      "yes" or "no" (default): cfg.start_s is where the last
 *                  play stopped (the OSD says so)
 *   "playlist-next", "playlist-prev" "yes" or "no" (default): there is a
 *                  next (previous) file: keys > and Enter (<) end the play
 *                  with sp_player_result.skip = +1 (-1) */
int sp_player_set_option(struct sp_player *p, const char *name, const char *value,
			 struct sp_error **err);

/* Start playing a torrent's file (sp_torrent_open_reader), which the
 * player takes over even on failure; name (the file's path) tells the
 * container by its extension. Once per player. Returns at once: the
 * container is opened on the player's threads (FIRST_FRAME or ERROR
 * follow). */
int sp_player_open_reader(struct sp_player *p, struct sp_reader *r, const char *name,
			  struct sp_error **err);
/* The same for a local media file (-ENOENT when it cannot be opened). */
int sp_player_open_file(struct sp_player *p, const char *path, struct sp_error **err);

/* As sp_player_open_reader and sp_player_open_file, but the play runs on
 * the calling thread, and the call returns when it is over: at the end
 * (option exit-at-end), when the viewer quits the window (key q, closing
 * it), when the quit flag is set, or on an error (a negative errno and
 * *err, as the ERROR event). The way for SP_PLAYER_VIDEO_WINDOW, which
 * needs it (SDL's windows belong to the main thread); any video mode
 * takes it. Commands, events, callbacks and sp_player_stats_json work as
 * on the player's own thread (commands from other threads; the callbacks
 * run on this one). Once per player, instead of sp_player_open_* (which
 * refuses SP_PLAYER_VIDEO_WINDOW with -EINVAL). */
int sp_player_run_reader(struct sp_player *p, struct sp_reader *r, const char *name,
			 struct sp_error **err);
int sp_player_run_file(struct sp_player *p, const char *path, struct sp_error **err);

/* Loads the player module now (FFmpeg, SDL2, libass: some 75 ms), so
 * that the first sp_player_new is quick: a host may call it on a thread
 * of its own while its session starts. Any thread; once loaded (or
 * failed), later calls return at once. 0, or -ENOTSUP and *err as
 * sp_player_new's. */
int sp_player_preload(struct sp_error **err);

/* Before sp_player_open_* / sp_player_run_* (-EBUSY after), from one
 * thread at a time:
 * A torrent's subtitle file (sp_metainfo_subtitle_file) read through its
 * own reader, which the player takes over even on failure (closed by
 * sp_player_free at the latest); name (its path) tells its format. It is
 * shown as option sub-file would be. */
int sp_player_set_sub_reader(struct sp_player *p, struct sp_reader *r, const char *name,
			     struct sp_error **err);
/* The swarm's figures for the window's OSD and the stats JSON: netinfo
 * fills *out (which holds its last call's figures, zeros the first
 * time), and position is told where the
 * play is, both a few times a second on the thread that plays (the
 * player's, or sp_player_run_*'s caller); they must not block. Either may
 * be NULL. Without them the OSD shows no swarm (a local file's). */
int sp_player_set_netinfo_callback(struct sp_player *p,
				   void (*netinfo)(void *ctx, struct sp_player_netinfo *out),
				   void (*position)(void *ctx, double pos_s, double duration_s),
				   void *ctx);
/* A flag that a signal handler sets (SIGINT, SIGTERM: any thread): the
 * play stops within 10 ms once it is not 0, as at the window's key q.
 * The flag must outlive the player. */
int sp_player_set_quit_flag(struct sp_player *p, const volatile sig_atomic_t *flag);

/* How the play ended, into *out: 0 once it has (sp_player_run_* has
 * returned, or the player's own thread has stopped: after END with
 * exit-at-end, or ERROR), -EAGAIN while it goes on, -EINVAL. Any thread. */
int sp_player_get_result(struct sp_player *p, struct sp_player_result *out);

/* Commands: queued, applied on the player's thread within 10 ms. 0, or
 * -EINVAL on a bad argument. */
enum sp_player_seek_mode {
	SP_PLAYER_SEEK_KEYFRAME = 0, /* the keyframe at or before: fastest */
	SP_PLAYER_SEEK_EXACT,        /* the first frame shown is the target's */
};
int sp_player_play(struct sp_player *p);
int sp_player_pause(struct sp_player *p);
int sp_player_seek(struct sp_player *p, double seconds, enum sp_player_seek_mode mode);
int sp_player_set_volume(struct sp_player *p, int volume); /* 0..100 */
int sp_player_set_mute(struct sp_player *p, bool mute);
/* Audio track n, from 1 in the container's order. */
int sp_player_set_audio_track(struct sp_player *p, int n);
/* Subtitle track n, from 1 in the player's list (the container's
 * subtitle streams in their order, and sub-file's or the sub reader's
 * track), shown from now on; 0 shows none. A number beyond the tracks there are is ignored. In a window and
 * in sp_player_draw and sp_player_screenshot alike. */
int sp_player_set_sub_track(struct sp_player *p, int n);

/* SP_PLAYER_VIDEO_RENDERER: draw the latest frame into the rectangle
 * (x, y, w, h) of renderer (an SDL_Renderer *), letterboxed; black until
 * the first frame. Call it on the renderer's thread (SDL's rule: the
 * thread that made it) each time the host redraws, before its overlay and
 * SDL_RenderPresent. The player's texture belongs to that renderer: give
 * the same renderer every time, and free the player before destroying
 * it. 0, -EINVAL (another mode, a NULL renderer) or -ENOMEM. */
int sp_player_draw(struct sp_player *p, void *renderer, int x, int y, int w, int h);

/* SP_PLAYER_VIDEO_RENDERER: the frame shown last as a PNG into path, at
 * the video's size (its sample aspect ratio applied), without the host's
 * overlay (a signage screen's "what is on screen", `swarmplay ctl
 * screenshot`). Any thread; encodes on the caller's (a few ms). 0,
 * -ENODATA before the first frame, -EINVAL (another mode, no path), or a
 * negative errno from writing the file. */
int sp_player_screenshot(struct sp_player *p, const char *path);

/* SP_PLAYER_AUDIO_PULL: fills buf with `frames` frames of 48000 Hz
 * stereo signed 16-bit native-endian interleaved sound (2 * frames
 * samples), silence where there is nothing to play (before the start,
 * paused, buffering, after the end). Call it from the host's audio thread
 * (or any one thread at a time) as its device needs sound; the position
 * advances with what it takes. Never blocks on the network. Returns
 * frames, or 0 and silence for another mode. */
size_t sp_player_audio_read(struct sp_player *p, int16_t *buf, size_t frames);

/* The position of the picture shown (seconds; 0 before the first), as
 * of the player's last loop turn (at most 10 ms old), and in
 * *duration_s when not NULL the duration (0 unknown): a host's clock or
 * progress bar between the once-a-second POSITION events. Any thread. */
double sp_player_get_position(struct sp_player *p, double *duration_s);

/* Readable while events are queued (an eventfd); owned by the player. */
int sp_player_event_fd(const struct sp_player *p);
/* Takes the oldest queued event: true, or false when none is queued.
 * Never blocks. At most 256 are queued; older POSITION events go first. */
bool sp_player_next_event(struct sp_player *p, struct sp_player_event *ev);

/* A snapshot of the figures of `swarmplay play --stats-json` (ttff_ms,
 * stalls, seeks, bytes by source, frames...), as that JSON object, into
 * buf (NUL-terminated, cut at len). Returns the length it needs (without
 * the NUL), 0 before the player has any. Any thread. */
size_t sp_player_stats_json(struct sp_player *p, char *buf, size_t len);

#if defined(__GNUC__) && __GNUC__ >= 4
#pragma GCC visibility pop
#endif
#ifdef __cplusplus
}
#endif
#endif
