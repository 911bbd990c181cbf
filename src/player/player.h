/* player.h - the video player: plays a byte source (a local file or a
 * torrent's stream reader) with FFmpeg and SDL2.
 *
 * Threads (ffplay's layout): sp_player_run() runs on the caller's thread,
 * which must be the main thread (SDL's rule): it owns the window, the
 * renderer, the OSD and the event loop. It starts a demux thread (reads
 * the source through an AVIOContext into one packet queue per stream),
 * a video and an audio decode thread (packets → frame rings), and SDL's
 * audio callback (frames → swresample → device; audio is the master
 * clock). Without audio, a video clock paces frames.
 *
 * The netinfo callback is called on the main thread a few times a second
 * to fill the OSD and the stats file; it must not block. */
#ifndef SP_PLAYER_H
#define SP_PLAYER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "swarmplay/player.h"

struct sp_source;
struct sp_reader;
struct player;
struct AVFrame;

#define SP_PLAYER_SEEK_AT_MAX 8
#define SP_PLAYER_SHOT_AT_MAX 8

/* struct sp_player_netinfo (the OSD's and the stats' swarm figures) and
 * struct sp_player_result are the public player's (swarmplay/player.h). */

/* What the public player (src/player/embed.c, swarmplay/player.h) hooks
 * into the loop. Called on the thread that runs sp_player_run. */
enum sp_play_event {
	SP_PLAY_EV_FIRST_FRAME = 1,
	SP_PLAY_EV_BUFFERING_START, /* arg: 0 start, 1 seek, 2 stall */
	SP_PLAY_EV_BUFFERING_END,
	SP_PLAY_EV_POSITION,        /* once a second while playing */
	SP_PLAY_EV_END,
};
struct sp_play_hooks {
	void *ctx;
	/* every frame presented (in unpaced mode every frame decoded) */
	void (*frame)(void *ctx, const struct AVFrame *f, double pts);
	void (*event)(void *ctx, enum sp_play_event ev, int arg, double pos_s,
		      double duration_s);
	/* once per loop turn (at most 10 ms apart): the host's commands */
	void (*tick)(void *ctx, struct player *p);
	/* before the player's state goes: no more sp_audio_pull after it */
	void (*closing)(void *ctx);
	/* the stats file's figures (stats.c's JSON) whenever they change */
	void (*stats)(void *ctx, const char *json);
};

struct sp_play_config {
	const char *title;        /* window title */
	bool no_video;            /* no window; frames still paced and counted */
	bool no_audio;
	bool fullscreen;
	bool exit_at_end;
	double start_buffer_s;    /* the start rule's buffer (0: default); the
				     packets queued at the start need no more */
	int loop;                 /* plays in all: 1 (default) once, 0 forever */
	bool fast;                /* no pacing, no audio device: hashes only */
	bool progress;            /* a status line on stderr every second */
	double start_s;           /* < 0: from the beginning */
	const char *framehash_path;
	const char *stats_path;
	int64_t t0_us;            /* command start (sp_now_us), for ttff_ms */
	int volume;               /* 0..100 */
	bool muted;
	void (*netinfo)(void *ctx, struct sp_player_netinfo *out);
	void *netinfo_ctx;
	atomic_int *quit_flag;    /* optional: set from a signal handler, any thread */
	const volatile sig_atomic_t *quit_signal; /* the same, the host's (public API) */
	/* the user's terminal: warnings on stderr, ALSA's messages kept off
	 * it (the swarmplay program); else the log callback only */
	bool terminal;
	/* optional (the public player's stop-at): each play stops when the
	 * position reaches stop_at_s (> 0), as at the end; position() (play's
	 * resume) is told the position with netinfo's period, on the main
	 * thread, with netinfo_ctx */
	double stop_at_s;
	bool keep_window;         /* the window kept, black, for the next play */
	void (*position)(void *ctx, double pos_s, double duration_s);
	/* scripted seeks (tests, benchmarks): when the position first reaches
	 * at_s, seek to to_s */
	struct { double at_s, to_s; } seek_at[SP_PLAYER_SEEK_AT_MAX];
	int nseek_at;
	/* --screenshot-at: when the position first reaches at_s, the frame
	 * shown and its subtitles as a PNG into path */
	struct { double at_s; const char *path; } shot_at[SP_PLAYER_SHOT_AT_MAX];
	int nshot_at;
	/* key s's folder (--screenshot-dir); NULL: $XDG_PICTURES_DIR, else
	 * the current directory (sp_shot_dir) */
	const char *shot_dir;
	/* --hwdec: "auto", "vaapi", "vdpau" (a hardware decoder if the
	 * machine has one, else software, silently), NULL or "no": software */
	const char *hwdec;
	/* subtitles (sub.c): --slang's comma list, an external file (--sub),
	 * a subtitle file of the torrent read through its own reader, which
	 * the player takes over (closed before sp_player_run returns; NULL
	 * when none), named by sub_reader_name; --subhash */
	const char *slang;
	const char *sub_codepage; /* text subtitles' charset (iconv's name);
				     NULL: UTF-8, else Windows-1252 */
	int aid;                  /* audio track N (from 1); 0: --alang, else the best */
	const char *alang;
	const char *sub_path;
	struct sp_reader *sub_reader;
	const char *sub_reader_name;
	const char *subhash_path;
	bool resumed;             /* start_s is where the last play stopped */
	bool sub_hidden;          /* subtitles hidden from the start (key v) */
	/* a torrent's playlist (cmd_play.c): keys > and Enter end this play
	 * for the next file when has_next, < for the previous when has_prev
	 * (result->skip says which); --framehash appends to the file that
	 * the playlist's first play wrote */
	bool has_next, has_prev;
	bool framehash_append;
	/* optional: where playback stopped, for resuming (main thread, when
	 * sp_player_run returns) */
	struct sp_player_result *result;
	/* an embedding host's hooks (NULL: none); an SDL audio device by
	 * name (NULL: the default one) */
	const struct sp_play_hooks *hooks;
	const char *audio_device;
	bool audio_pull;          /* no device: the host pulls (sp_audio_pull) */
	/* no window, yet the subtitles are rendered (libass without a
	 * renderer) for a host that draws them: sp_sub_argb from its tick */
	bool sub_pictures;
};

/* The defaults: from the start, full volume, played once. Inline, so that
 * the program can fill a configuration before the media module is loaded. */
static inline void sp_play_config_init(struct sp_play_config *cfg)
{
	*cfg = (struct sp_play_config){.start_s = -1, .volume = 100, .loop = 1};
}

/* Plays src until the end (exit_at_end) or until the user quits. Returns
 * 0, or a negative errno with *err filled (cannot open the container, no
 * playable stream, no window). The source is borrowed. */
int sp_player_run(struct sp_source *src, const struct sp_play_config *cfg,
		  struct sp_error **err);

#endif
