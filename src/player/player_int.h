/* player_int.h - the player's private state, shared by its files:
 * player.c (main loop, buffering, end), demux.c (demux thread, seeks),
 * decode.c (decoder threads), audio.c (SDL audio callback), render.c
 * (window, textures, OSD), input.c (keys and mouse), stats.c (the stats
 * file).
 *
 * Ownership by thread: fields marked [main] are touched only by the main
 * thread; [demux] by the demux thread; [audio] by the SDL audio callback;
 * [mu] under p->mu; atomics anywhere. Queues and clocks lock themselves. */
#ifndef SP_PLAYER_INT_H
#define SP_PLAYER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <SDL2/SDL.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "player/framehash.h"
#include "player/player.h"
#include "player/queue.h"
#include "player/source.h"

/* Named limits, as ffplay names its thresholds. */
#define SP_QUEUE_MAX_BYTES (24 * 1024 * 1024) /* all packet queues together */
#define SP_QUEUE_ENOUGH_S 5.0      /* a stream with this much queued is fed enough */
#define SP_QUEUE_ENOUGH_PACKETS 25
#define SP_BUFFER_RESUME_S 1.0     /* leave buffering with this much queued */
#define SP_BUFFER_START_S 0.5      /* ... at the start, if the source says ready */
#define SP_START_AHEAD_S 3.0       /* the reader's start rule: seconds ahead */
#define SP_VIDEO_FRAMES 3
#define SP_AUDIO_FRAMES 9
#define SP_SEEKS_MAX 64            /* seeks kept in the stats file */
#define SP_NETINFO_PERIOD_US 250000
#define SP_STATS_PERIOD_US 1000000
#define SP_OSD_PERIOD_US 100000

struct sp_decoder {
	AVCodecContext *avctx;
	struct sp_pktq *q;
	struct sp_frameq *fq;
	AVStream *st;
	AVPacket *pkt;
	bool pending;          /* pkt holds a packet not yet accepted */
	int pkt_serial;
	atomic_int finished;   /* serial drained to the end, or 0 */
	pthread_t thread;
	bool started;
	struct player *p;
	bool video;
	int hw_fmt;            /* --hwdec: the device's pixel format, or -1 */
	AVFrame *sw;           /* a hardware frame downloaded */
};

#define SP_SUB_TRACKS_MAX 16

/* A subtitle track: a text stream of the container, or an external file
 * decoded whole before playback starts (stream -1), or a bitmap stream
 * (PGS, DVB, VobSub: bitsub.c). */
struct sp_subtrack {
	int stream;            /* index in ic, -1: external */
	AVCodecContext *dec;   /* [sub thread] embedded ones; NULL external */
	double t0;             /* seconds to subtract from its times */
	char lang[16];
	char *header;          /* the decoder's ASS script header, owned */
	struct ass_track *ass; /* [main] libass's track; NULL without a window */
	bool bitmap;
	struct sp_bitsubs *bits; /* [main] a bitmap track's pictures */
};

/* A decoded event, from the sub thread (or the demux thread for external
 * files) to the main thread. */
struct sp_subevent {
	int track;
	int64_t start_ms, dur_ms;
	char *line;            /* FFmpeg's ASS event: ReadOrder,Layer,...,Text */
	struct sp_bitpic *pic; /* or a bitmap subtitle's picture (line NULL) */
	struct sp_subevent *next;
};

struct sp_text;

struct seek_stat {
	double target_s;
	int64_t latency_ms;
};

struct player {
	const struct sp_play_config *cfg;
	struct sp_source *src;
	AVFormatContext *ic;
	AVIOContext *pb;
	struct sp_avio_stats avst;
	atomic_int abort;

	/* open handshake: demux thread opens, main sets up, then go */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int open_state;        /* [mu] 0 opening, 1 opened, <0 failed */
	char open_error[256];  /* [mu] */
	bool go;               /* [mu] */
	double probed_duration;/* [mu] seconds, 0 if unknown */
	bool seek_req;         /* [mu] */
	double seek_target;    /* [mu] seconds */
	pthread_t demux_thread;
	bool demux_started;
	atomic_int eof;        /* the demuxer reached the end */

	int vidx, aidx;
	AVStream *vst, *ast;
	double duration;       /* [main] seconds, 0 if unknown */
	double start_time;     /* container start, seconds */
	struct sp_pktq vq, aq;
	struct sp_frameq vfq, afq;
	struct sp_decoder vdec, adec;
	/* the audio stream the demuxer routes and the audio decoder decodes;
	 * the demux thread changes it when it serves a seek that carries a
	 * switch (key #), p->ast follows it on the main thread */
	atomic_int a_stream;
	int audio_switch;      /* [mu] the stream asked for, or -1 */
	bool audio_chosen;     /* [main] the viewer changed it (key #, the API) */
	struct sp_framehash *fh;
	atomic_uint_least64_t frames_decoded;

	/* subtitles (sub.c): tracks are added by the demux thread before the
	 * open handshake (external files) and by the main thread at setup
	 * (streams); fixed after that */
	struct sp_subtrack subs[SP_SUB_TRACKS_MAX];
	int nsubs;
	struct sp_pktq sq;      /* packets of every text subtitle stream */
	atomic_int sub_finished; /* serial of the end marker decoded, or 0 */
	pthread_t sub_thread;
	bool sub_started;
	pthread_mutex_t sub_mu;
	struct sp_subevent *sub_first, *sub_last; /* [sub_mu] not yet taken */
	struct sp_source *sub_src; /* the external file's bytes, or NULL */
	bool sub_tracks_made;   /* [main] libass's tracks exist (sub.c) */
	int sub_cur;            /* [main] the track shown, -1: none */
	bool sub_hidden;        /* [main] key v */
	int sub_hash_track;     /* [main] the track --subhash writes */
	FILE *subhash;          /* [main] */
	int subhash_n;
	int64_t subhash_last_ms;
	uint64_t subhash_last_h; /* FNV-1a of the last text written */

	struct sp_clock audclk, extclk;
	atomic_bool audio_on;
	bool silent_audio;     /* audio alone, paced by the main loop, unheard */
	atomic_bool hold;      /* paused or buffering: audio outputs silence */
	atomic_int volume;     /* 0..100 */
	atomic_bool muted;

	/* [audio] device state */
	SDL_AudioDeviceID adev;
	int a_freq, a_channels, a_bytes_per_sec, a_hw_buf;
	struct SwrContext *swr;
	int swr_fmt, swr_rate;
	AVChannelLayout swr_layout;
	uint8_t *abuf;
	unsigned abuf_alloc, abuf_size, abuf_index;
	double a_clock;        /* pts at the end of abuf */
	int a_serial;

	/* [main] playback state */
	bool opened;           /* the container is open and threads run */
	bool paused, buffering, ended, quit;
	int skip;              /* the playlist keys: +1 next, -1 previous */
	bool first_shown;
	int shown_serial;
	double pos;            /* last presented pts, seconds */
	int64_t buffering_since;
	bool awaiting_seek;
	int64_t seek_req_us;
	int seek_from_serial;   /* frames of a later serial end the seek */
	bool stall_counted;
	int64_t last_present_us;
	double seek_req_target;
	bool started;          /* left the initial buffering */
	int64_t ended_at_us;

	/* [main] display */
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;
	int tex_w, tex_h;
	Uint32 tex_fmt;
	AVRational sar;
	struct SwsContext *sws;
	AVFrame *sws_frame;
	struct sp_text *text;   /* libass (text.c); NULL: no text */
	bool fullscreen;
	bool video_init;       /* SDL video subsystem up */
	bool audio_init;       /* SDL audio subsystem up */
	int64_t last_osd_us;
	int64_t last_input_us;  /* the mouse moved or a key was pressed */
	bool cursor_hidden;
	bool dragging;
	int64_t last_drag_seek_us;
	double drag_target; /* where the drag's last seek went */
	char osd_msg[64];
	int64_t osd_msg_until;
	int osd_panel_y;        /* top of the OSD panel at the last draw */

	/* [main] figures */
	struct sp_player_netinfo net;
	int64_t net_at_us;
	int64_t ttff_us;       /* 0 until the first frame */
	int stalls;
	int64_t stall_us;      /* every wait after the first frame, the start hold too */
	int64_t start_hold_us; /* the first frame on screen, the clock not yet running */
	int64_t first_ready_us; /* the first frame decoded, held until playback can start */
	double first_pts;      /* of the first frame presented (NAN: none yet) */
	struct seek_stat seeks[SP_SEEKS_MAX];
	int nseeks, seeks_total;
	int plays;                /* times played to the end (--loop) */
	bool loop_seek;           /* the seek under way is a loop's restart */
	uint64_t presented, dropped;
	double sync_sum_s;      /* sum of |frame pts - master clock| when shown */
	uint64_t sync_n;
	int64_t stats_written_us;
	int64_t progress_us;    /* last --progress line */
	char reachable_shown[160]; /* the reachability --progress said last */
	int seek_at_done;       /* scripted seeks already made */
	int shot_at_done;       /* --screenshot-at's pictures written */
	double exact_target;    /* [main] an exact seek's target, NAN: none */
	/* the same for the audio callback: its frames of this serial that end
	 * before the target are dropped (0: none) */
	atomic_int exact_a_serial;
	_Atomic double exact_a_target;
	int64_t position_us;    /* [main] the last position event (hooks) */
	char stats_last[8192];  /* the last file written, to see changes */
};

/* demux.c */
void *sp_demux_thread(void *arg);
/* Main thread: ask for a seek to an absolute position (seconds). */
void sp_demux_seek(struct player *p, double target_s);
/* Seconds of packets queued (any thread). */
double sp_player_queued_s(struct sp_pktq *q, AVStream *st);

/* decode.c */
int sp_decoder_open(struct player *p, struct sp_decoder *d, AVStream *st, struct sp_pktq *q,
		    struct sp_frameq *fq, bool video, struct sp_error **err);
int sp_decoder_start(struct sp_decoder *d);
void sp_decoder_stop(struct sp_decoder *d);
void sp_decoder_close(struct sp_decoder *d);

/* audio.c (main thread for open/close) */
int sp_audio_open(struct player *p);
/* cfg.audio_pull: len bytes of SP_AUDIO_PULL_RATE Hz stereo S16 into buf,
 * as a device's callback would take them (the audio clock follows); the
 * host's audio thread, one at a time, only between open and close. */
#define SP_AUDIO_PULL_RATE 48000
void sp_audio_pull(struct player *p, uint8_t *buf, int len);
void sp_audio_close(struct player *p);

/* render.c [main] */
int sp_render_init(struct player *p, struct sp_error **err);
void sp_render_fini(struct player *p);
void sp_render_set_video_size(struct player *p, int w, int h, AVRational sar);
int sp_render_upload(struct player *p, const AVFrame *f);
void sp_render_draw(struct player *p);
void sp_render_toggle_fullscreen(struct player *p);
/* The video's rectangle (its aspect ratio, letterboxed) in w x h. */
SDL_Rect sp_render_video_rect(struct player *p, int w, int h);
/* The progress bar's rectangle in window pixels. */
SDL_Rect sp_render_bar_rect(struct player *p);

/* osd.c [main] */
void sp_osd_draw(struct player *p, int w, int h);
double sp_player_buffer_percent(struct player *p);
void sp_osd_swarm_lines(struct player *p, char *swarm_line, size_t n1, char *from_line, size_t n2);
void sp_osd_time_line(struct player *p, char *out, size_t n);
/* Uploaded over downloaded (peers and web seed), 0 before any download. */
static inline double sp_player_up_down(const struct sp_player_netinfo *n)
{
	uint64_t down = n->from[SP_PLAYER_FROM_PEERS] + n->from[SP_PLAYER_FROM_WEBSEED];
	return down ? (double)n->uploaded / (double)down : 0.0;
}

/* sub.c: open the external file (demux thread, before the handshake);
 * setup, poll, draw, keys (main); route a packet (demux thread) */
void sp_sub_open_external(struct player *p);
int sp_sub_setup(struct player *p, struct sp_error **err);
bool sp_sub_route(struct player *p, AVPacket *pkt);
void sp_sub_poll(struct player *p);
bool sp_sub_done(struct player *p);
/* text in the w x h area at the window's top left, bitmaps on the
 * video's rectangle */
void sp_sub_draw(struct player *p, int w, int h, SDL_Rect video);
/* Without a window (cfg->sub_pictures): the track shown, at the
 * position, as ARGB pixels at *box of a *fw x *fh frame (text: the w x h
 * asked, text.h's sp_text_track_argb; bitmaps: their canvas). 1 when it
 * changed since the last call (*px malloc'd, or NULL: nothing shown), 0
 * when not, -1 no track to show. Main thread. */
int sp_sub_argb(struct player *p, int w, int h, uint32_t **px, SDL_Rect *box, int *fw, int *fh);
void sp_sub_cycle(struct player *p);
void sp_sub_toggle(struct player *p);
/* The public sp_player_set_sub_track: track n from 1, 0 none; one beyond
 * the list is ignored. The pictures a host draws are made again. */
void sp_sub_set_track(struct player *p, int n);
void sp_sub_stop(struct player *p);
void sp_sub_fini(struct player *p);
void sp_sub_fini_tracks(struct player *p);

/* bitsub.c: a decoded bitmap subtitle as a picture (sub thread); a
 * track's pictures (main) */
struct sp_bitpic;
struct sp_bitpic *sp_bitsub_picture(const AVSubtitle *sub, int64_t start_ms, int64_t end_ms,
				    int serial, int canvas_w, int canvas_h);
void sp_bitsub_pic_free(struct sp_bitpic *pic);
void sp_bitsub_add(struct sp_subtrack *t, struct sp_bitpic *pic, int64_t pos_ms);
void sp_bitsub_draw(struct player *p, struct sp_subtrack *t, int64_t ms, SDL_Rect video);
/* Without a window: the picture due at ms as ARGB pixels (a copy) in its
 * cw x ch canvas; 1 when it changed since the last call (*px NULL: none
 * due), 0 when not. */
int sp_bitsub_argb(struct player *p, struct sp_subtrack *t, int64_t ms, uint32_t **px,
		   SDL_Rect *box, int *cw, int *ch);
/* The next sp_bitsub_argb gives its picture even if it gave it last. */
void sp_bitsub_forget(struct sp_subtrack *t);
void sp_bitsub_free(struct sp_subtrack *t);

/* input.c [main] */
void sp_osd_message(struct player *p, const char *msg);
void sp_input_handle(struct player *p, const SDL_Event *ev);
void sp_input_idle(struct player *p, int64_t now);

/* shot.c [main]: the frame shown and its subtitles as a PNG (0 or a
 * negative errno); key s; --screenshot-at's next picture when due */
int sp_shot_write(struct player *p, const char *path);
/* [any] the PNG of a w x h RGB24 picture into path (the embedded
 * player's screenshot too, embed_draw.c). 0 or a negative errno. */
int sp_shot_png(const char *path, const uint8_t *rgb, int w, int h);
void sp_shot_key(struct player *p);
void sp_shot_scripted(struct player *p);

/* stats.c [main] */
void sp_stats_maybe_write(struct player *p, int64_t now, bool force);

/* player.c [main] */
double sp_player_position(struct player *p);

/* tracks.c [main] */
int sp_tracks_choose_audio(struct player *p);
void sp_player_cycle_audio(struct player *p);
void sp_player_toggle_pause(struct player *p);
/* The embedding API's commands (embed.c), on the loop's thread. */
void sp_player_set_paused(struct player *p, bool paused);
/* Audio track n (from 1) through a seek to where we are; -ENOENT. */
int sp_tracks_set_audio(struct player *p, int n);
/* The audio track playing (from 1, in the container's order), 0: none. */
int sp_tracks_audio_number(const struct player *p);

#endif
