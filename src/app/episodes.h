/* episodes.h - a multi-file torrent as a playlist: its video files in
 * natural order (S01E02 before S01E10), where `--file N` starts, which
 * file comes after a key or an end, and when the next file's first
 * seconds are asked for. Pure: no I/O, no library; the caller (cmd_play.c)
 * fills the file table from the metainfo. Any thread. */
#ifndef SP_APP_EPISODES_H
#define SP_APP_EPISODES_H

#include <stdbool.h>

/* The next file's reader opens this long before the current file ends,
 * so that its first pieces have deadlines (at the time left) and it
 * starts at once: longer than the start rule's buffer and the window a
 * slow swarm fills, short enough not to take bandwidth from the end of
 * the file still playing. */
#define SP_EPISODES_PREFETCH_S 20.0
/* At most this many files in the list (the rest of a huge torrent is
 * left out, the order still natural). */
#define SP_EPISODES_MAX 4096

struct sp_episode_file {
	const char *path; /* the torrent's relative path, '/' separated */
	bool video;	  /* a video container's extension */
	bool pad;	  /* a BEP 47 pad file */
};

/* Natural order: runs of digits compare as numbers ("E2" < "E10"),
 * letters without case; equal that way, by bytes. <0, 0, >0. */
int sp_episodes_natural_cmp(const char *a, const char *b);

/* A sample clip ("Sample/x.mkv", "movie-sample.mkv", "sample.mkv"): left
 * out of the list unless it is the only video. */
bool sp_episodes_is_sample(const char *path);

/* The playlist: the indexes of the video files (no pad, no sample) in
 * natural order into order[max]; returns how many. When there is no such
 * file, the one file main_file (the metainfo's choice, >= 0) alone. When
 * first (--file) is >= 0 and not in that list (a file that is no video),
 * first alone: the user asked for it by number. */
int sp_episodes_build(const struct sp_episode_file *files, int nfiles, int main_file, int first,
		      int *order, int max);

/* Where file is in order[n], or -1. */
int sp_episodes_find(const int *order, int n, int file);

/* What ended a file: played to its end, a key for the next or the
 * previous one, or quit (q, a signal, a window closed). */
enum sp_episodes_why { SP_EPISODES_END, SP_EPISODES_NEXT, SP_EPISODES_PREV, SP_EPISODES_QUIT };

/* The position in the list to play after position cur of n, or -1: stop.
 * The end and the next key go on to cur + 1, the previous key to cur - 1
 * (at the first, the first again, from its start), quit stops; past the
 * last, stop. */
int sp_episodes_after(int n, int cur, enum sp_episodes_why why);

/* While position cur of n plays at pos_s of duration_s: the seconds
 * until the next file's first byte is needed (the lead its reader gives
 * the picker), or < 0 when it is not yet time to open that reader (or
 * there is no next file, or the duration is unknown). */
double sp_episodes_prefetch_lead(int n, int cur, double pos_s, double duration_s);

#endif
