/* embed.h - between libswarmplay's player loader (src/lib/player_load.c)
 * and the player module that it dlopen()s (src/player/embed.c): the one
 * table the module exports. Private: neither an embedder nor the
 * swarmplay program sees it. */
#ifndef SP_PLAYER_EMBED_H
#define SP_PLAYER_EMBED_H

#include "swarmplay/player.h"

#define SP_PLAYER_MODULE_FILE "swarmplay-player.so"
#define SP_PLAYER_MODULE_SYMBOL "sp_player_module"
/* Bump when the table or what the module expects of the library changes;
 * the library refuses a module of another ABI or version. */
#define SP_PLAYER_MODULE_ABI 4

enum sp_player_cmd {
	SP_CMD_PLAY,
	SP_CMD_PAUSE,
	SP_CMD_SEEK,     /* a: seconds, b: enum sp_player_seek_mode */
	SP_CMD_VOLUME,   /* b */
	SP_CMD_MUTE,     /* b */
	SP_CMD_AUDIO,    /* b: track from 1 */
	SP_CMD_SUB,      /* b: subtitle track from 1, 0 none */
};

struct sp_player_module {
	unsigned abi;
	const char *version;
	struct sp_player *(*create)(const struct sp_player_config *cfg, struct sp_error **err);
	void (*destroy)(struct sp_player *p);
	int (*open_reader)(struct sp_player *p, struct sp_reader *r, const char *name,
			   struct sp_error **err);
	int (*open_file)(struct sp_player *p, const char *path, struct sp_error **err);
	int (*command)(struct sp_player *p, enum sp_player_cmd cmd, double a, int b);
	int (*draw)(struct sp_player *p, void *renderer, int x, int y, int w, int h);
	int (*event_fd)(const struct sp_player *p);
	bool (*next_event)(struct sp_player *p, struct sp_player_event *ev);
	size_t (*stats_json)(struct sp_player *p, char *buf, size_t len);
	size_t (*audio_read)(struct sp_player *p, int16_t *buf, size_t frames);
	double (*get_position)(struct sp_player *p, double *duration_s);
	int (*screenshot)(struct sp_player *p, const char *path);
	int (*set_option)(struct sp_player *p, const char *name, const char *value,
			  struct sp_error **err);
	int (*run_reader)(struct sp_player *p, struct sp_reader *r, const char *name,
			  struct sp_error **err);
	int (*run_file)(struct sp_player *p, const char *path, struct sp_error **err);
	int (*set_sub_reader)(struct sp_player *p, struct sp_reader *r, const char *name,
			      struct sp_error **err);
	int (*set_netinfo)(struct sp_player *p,
			   void (*netinfo)(void *ctx, struct sp_player_netinfo *out),
			   void (*position)(void *ctx, double pos_s, double duration_s),
			   void *ctx);
	int (*set_quit_flag)(struct sp_player *p, const volatile sig_atomic_t *flag);
	int (*get_result)(struct sp_player *p, struct sp_player_result *out);
};

#endif
