/* play_list.c - `play` of a multi-file torrent, file after file
 * (play_list.h): the list from episodes.c, the next file's reader opened
 * ahead. A reader opened ahead is the picker's like any other: its cursor
 * at the file's first byte, due when the current file ends (the lead), so
 * that those pieces come in deadline order after what still plays. Main
 * thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/play_list.h"
#include "app/watch_later.h"

static void want(struct sp_play_list *pl, int file, bool wanted)
{
	if (!pl->all)
		sp_torrent_set_file_wanted(pl->t, file, wanted);
}

int sp_play_list_init(struct sp_play_list *pl, struct sp_torrent *t, int first, bool all)
{
	*pl = (struct sp_play_list){.t = t, .next_pos = -1, .all = all};
	const struct sp_metainfo *mi = sp_torrent_metainfo(t);
	int nf = sp_metainfo_num_files(mi);
	if (first >= nf || (first >= 0 && sp_metainfo_file_is_pad(mi, first)))
		return -ENOENT;
	struct sp_episode_file *files = calloc(nf > 0 ? (size_t)nf : 1, sizeof(*files));
	pl->order = calloc(nf > 0 ? (size_t)nf : 1, sizeof(*pl->order));
	if (!files || !pl->order) {
		free(files);
		sp_play_list_fini(pl);
		return -ENOMEM;
	}
	for (int i = 0; i < nf; i++)
		files[i] = (struct sp_episode_file){sp_metainfo_file_path(mi, i),
						    sp_metainfo_file_is_video(mi, i),
						    sp_metainfo_file_is_pad(mi, i)};
	pl->n = sp_episodes_build(files, nf, sp_metainfo_main_file(mi), first, pl->order,
				  nf > 0 ? nf : 1);
	free(files);
	pl->cur = first >= 0 ? sp_episodes_find(pl->order, pl->n, first) : 0;
	if (pl->n <= 0 || pl->cur < 0) {
		sp_play_list_fini(pl);
		return -ENOENT;
	}
	for (int i = 0; i < nf; i++)
		if (i != sp_play_list_file(pl))
			want(pl, i, false);
	return 0;
}

void sp_play_list_fini(struct sp_play_list *pl)
{
	sp_reader_close(pl->next);
	pl->next = NULL;
	free(pl->order);
	pl->order = NULL;
	pl->n = 0;
}

int sp_play_list_file(const struct sp_play_list *pl)
{
	return pl->order[pl->cur];
}

bool sp_play_list_has_next(const struct sp_play_list *pl)
{
	return pl->cur + 1 < pl->n;
}

bool sp_play_list_has_prev(const struct sp_play_list *pl)
{
	return pl->cur > 0;
}

struct sp_reader *sp_play_list_reader(struct sp_play_list *pl, struct sp_error **err)
{
	if (pl->next && pl->next_pos == pl->cur) {
		struct sp_reader *r = pl->next;
		pl->next = NULL;
		pl->next_pos = -1;
		sp_reader_set_lead(r, 0); /* due now: the player reads it */
		return r;
	}
	return sp_torrent_open_reader(pl->t, sp_play_list_file(pl), err);
}

void sp_play_list_position(struct sp_play_list *pl, double pos_s, double duration_s)
{
	double lead = sp_episodes_prefetch_lead(pl->n, pl->cur, pos_s, duration_s);
	if (lead < 0)
		return;
	if (!pl->next) {
		want(pl, pl->order[pl->cur + 1], true);
		pl->next = sp_torrent_open_reader(pl->t, pl->order[pl->cur + 1], NULL);
		pl->next_pos = pl->next ? pl->cur + 1 : -1;
	}
	if (pl->next && pl->next_pos == pl->cur + 1)
		sp_reader_set_lead(pl->next, lead);
}

bool sp_play_list_advance(struct sp_play_list *pl, enum sp_episodes_why why)
{
	int next = sp_episodes_after(pl->n, pl->cur, why);
	if (pl->next && pl->next_pos != next) {
		sp_reader_close(pl->next); /* ahead for a file that does not come */
		pl->next = NULL;
		pl->next_pos = -1;
	}
	if (next < 0)
		return false;
	if (why != SP_EPISODES_END && next != pl->cur)
		want(pl, sp_play_list_file(pl), false); /* left before its end */
	pl->cur = next;
	want(pl, sp_play_list_file(pl), true);
	return true;
}

static void resume_key(const struct sp_metainfo *mi, char *out, size_t n)
{
	snprintf(out, n, "%s-list", sp_metainfo_info_hash(mi));
}

int sp_play_list_resume_file(const struct sp_metainfo *mi)
{
	char key[64];
	double file;
	resume_key(mi, key, sizeof(key));
	if (!sp_watch_later_load(key, &file) || !(file >= 0) ||
	    file >= sp_metainfo_num_files(mi))
		return -1;
	return (int)file;
}

void sp_play_list_resume_save(const struct sp_play_list *pl, bool finished)
{
	char key[64];
	const struct sp_metainfo *mi = sp_torrent_metainfo(pl->t);
	if (pl->n < 2)
		return; /* one file: its position says it all */
	resume_key(mi, key, sizeof(key));
	if (finished)
		sp_watch_later_forget(key);
	else
		sp_watch_later_save(key, sp_play_list_file(pl));
}
