/* play_list.h - `play` of a multi-file torrent: its video files one after
 * the other (episodes.h chooses them), and the next file's reader opened
 * some seconds before the current one ends, with the time left as its
 * lead, so that the picker gives its first pieces deadlines and the next
 * file starts at once. Unless all, only the files played are fetched
 * beyond the readers' windows (sp_torrent_set_file_wanted): the others,
 * and one left with a key before its end, are not downloaded.
 * Only the public API (swarmplay.h). Main thread:
 * cmd_play.c's loop and the player's position callback. */
#ifndef SP_APP_PLAY_LIST_H
#define SP_APP_PLAY_LIST_H

#include <stdbool.h>

#include "app/episodes.h"
#include "swarmplay/swarmplay.h"

struct sp_play_list {
	struct sp_torrent *t;
	int *order; /* torrent file indexes, natural order */
	int n;
	int cur;		/* position in order */
	struct sp_reader *next; /* the next file's, opened ahead (or NULL) */
	int next_pos;		/* its position in order */
	bool all;		/* every file wanted (--all) */
};

/* The list of t's files; first: --file (-1: none given, start at the
 * first of the list); all: download every file of t, not only those
 * played. 0, -ENOENT (nothing to play, or first is no file of t) or
 * -ENOMEM. */
int sp_play_list_init(struct sp_play_list *pl, struct sp_torrent *t, int first, bool all);
void sp_play_list_fini(struct sp_play_list *pl);

/* The torrent file at the current position. */
int sp_play_list_file(const struct sp_play_list *pl);
bool sp_play_list_has_next(const struct sp_play_list *pl);
bool sp_play_list_has_prev(const struct sp_play_list *pl);

/* The current file's reader: the one opened ahead when it is this file's,
 * else a new one. The caller owns it. NULL and *err on failure. */
struct sp_reader *sp_play_list_reader(struct sp_play_list *pl, struct sp_error **err);

/* The current file plays at pos_s of duration_s: near its end, the next
 * file's reader opens (once) and its lead follows the time left. */
void sp_play_list_position(struct sp_play_list *pl, double pos_s, double duration_s);

/* Which file of the torrent (mi) the last play of its list was quit in
 * (watch_later.h, key "<info-hash>-list"), -1 when none: a series goes on
 * at the episode where it stopped. */
int sp_play_list_resume_file(const struct sp_metainfo *mi);
/* Remember the current file as where the list stopped, or forget it
 * (finished: the list played to its end). */
void sp_play_list_resume_save(const struct sp_play_list *pl, bool finished);

/* After the current file ended for why: move on; false when the list
 * stops there. A reader opened ahead for a file that no longer comes
 * next is closed. */
bool sp_play_list_advance(struct sp_play_list *pl, enum sp_episodes_why why);

#endif
