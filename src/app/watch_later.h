/* watch_later.h - where the last play of a file stopped, to start there
 * next time (mpv's watch_later): one small file per key in
 * $XDG_STATE_HOME/swarmplay/watch_later/ (~/.local/state/... without it),
 * replaced atomically (temporary file, fsync, rename). The key is
 * "<info-hash>-<file index>" for a torrent's file, the SHA-1 of the real
 * path for a local file. Main thread. */
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

#endif
