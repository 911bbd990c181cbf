/* watch_later.h - where the last play of a file stopped, to start there
 * next time (mpv's watch_later): one small file per key in
 * $XDG_STATE_HOME/swarmplay/watch_later/ (~/.local/state/... without it),
 * replaced atomically (temporary file, fsync, rename). The key is
 * "<info-hash>-<file index>" for a torrent's file, the SHA-1 of the real
 * path for a local file. The volume and mute are kept beside them. Main
 * thread. */
#ifndef SP_APP_WATCH_LATER_H
#define SP_APP_WATCH_LATER_H

#include <stdbool.h>
#include <stddef.h>

/* A torrent's file: "<hex>-<index>". */
void sp_watch_later_key_torrent(const char *info_hash_hex, int file, char *out, size_t n);
/* A local file: the SHA-1 of its real path (the path as given when it has
 * none). */
void sp_watch_later_key_file(const char *path, char *out, size_t n);
/* The saved position in seconds; false when there is none. */
bool sp_watch_later_load(const char *key, double *pos_s);
/* 0 or a negative errno. */
int sp_watch_later_save(const char *key, double pos_s);
void sp_watch_later_forget(const char *key);

/* The volume and mute at the last quit, in $XDG_STATE_HOME/swarmplay/volume
 * ("volume=N", "mute=yes|no"), replaced atomically as the positions are.
 * load: which of them the file had (SP_VOLUME_STATE_* bits; 0 none), only
 * those written. save: 0 or a negative errno. */
#define SP_VOLUME_STATE_VOLUME 1
#define SP_VOLUME_STATE_MUTE 2
int sp_volume_state_load(int *volume, bool *muted);
int sp_volume_state_save(int volume, bool muted);

#endif
