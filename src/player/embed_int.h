/* embed_int.h - struct sp_player, shared by embed.c (lifecycle, commands,
 * events) and embed_draw.c (frames to the host). Fields marked [mu] are
 * under e->mu; [host] belong to the thread that calls sp_player_draw. */
#ifndef SP_PLAYER_EMBED_INT_H
#define SP_PLAYER_EMBED_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "player/player_int.h"
#include "swarmplay/player.h"

#define SP_EMBED_EVENTS 256

struct sp_embed_cmd {
	int cmd; /* enum sp_player_cmd */
	double a;
	int b;
};

struct SDL_Renderer;
struct SDL_Texture;
struct SwsContext;

/* A subtitle picture: straight ARGB pixels (w a row) at (x, y) of a
 * fw x fh frame, the video's display size. */
struct sp_embed_sub {
	uint32_t *px; /* NULL: no subtitle shown */
	int x, y, w, h, fw, fh;
};

/* sp_player_set_option's strings, owned (embed.c's table). */
enum { SP_EMBED_OPT_STRINGS = 40 };

struct sp_player {
	struct sp_player_config cfg; /* the host's, copied */
	char *audio_device;
	char *opt[SP_EMBED_OPT_STRINGS]; /* set_option's strings, by table row */
	struct sp_play_config pc;    /* what sp_player_run plays with */
	struct sp_play_hooks hooks;
	struct sp_source *src;
	pthread_t thread;
	bool started;
	atomic_int quit;             /* pc.quit_flag */
	bool opened;                 /* sp_player_open_* or _run_* was called */
	struct sp_reader *sub_reader; /* sp_player_set_sub_reader's, until opened */
	char *sub_name;
	char *shot_path[SP_PLAYER_SHOT_AT_MAX]; /* screenshot-at's files */
	bool t0_given;               /* option ttff-from */
	int64_t t0_us;
	struct sp_player_result run_result; /* pc.result: the player's thread's */
	struct sp_player_result result; /* [mu] a copy once result_ready */
	bool result_ready;           /* [mu] */

	pthread_mutex_t mu;
	struct sp_embed_cmd cmds[64]; /* [mu] */
	int ncmds;                   /* [mu] */
	struct sp_player_event evq[SP_EMBED_EVENTS]; /* [mu] a ring */
	int ev_head, ev_count;       /* [mu] */
	int efd;                     /* eventfd: readable while ev_count > 0 */
	char *stats;                 /* [mu] the latest stats JSON */
	double pos_s, dur_s;         /* [mu] as of the loop's last turn */
	size_t stats_cap;
	AVFrame *latest;             /* [mu] the frame shown last (renderer mode) */
	bool latest_new;             /* [mu] not drawn yet */
	uint64_t frames;             /* [player thread] frames handed over */
	pthread_mutex_t audio_mu;    /* one pull at a time, and none once closing */
	struct player *live;         /* [audio_mu] open and pullable, or NULL */

	struct sp_embed_sub sub;     /* [mu] the subtitle shown last (owned) */
	bool sub_new;                /* [mu] not in sub_tex yet */
	bool sub_any;                /* [player thread] sub.px was set */
	int vid_w, vid_h;            /* [player thread] the last frame's display size */

	AVFrame *shown;              /* [host] the frame in the texture */
	struct SDL_Renderer *ren;    /* [host] */
	struct SDL_Texture *tex;     /* [host] */
	int tex_w, tex_h;
	struct SwsContext *sws;      /* [host] to yuv420p, for other formats */
	AVFrame *conv;
	struct SDL_Texture *sub_tex; /* [host] sub's pixels, on ren */
	struct sp_embed_sub sub_at;  /* [host] sub_tex's place (px unused) */
};

/* embed_draw.c */
void sp_embed_on_frame(void *ctx, const AVFrame *f, double pts);
/* The loop's turn (player's thread): the subtitle picture, when it changed. */
void sp_embed_sub_tick(struct sp_player *e, struct player *p);
int sp_embed_draw(struct sp_player *e, void *renderer, int x, int y, int w, int h);
void sp_embed_draw_fini(struct sp_player *e);
int sp_embed_screenshot(struct sp_player *e, const char *path);

#endif
