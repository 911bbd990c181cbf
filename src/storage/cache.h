/* cache.h - size limit for a cache of torrent directories.
 *
 * `swarmplay play` without -d keeps each torrent's data in
 * CACHE/<infohash-hex>/ so a second play starts from disk. The cache
 * would grow without end; sp_cache_trim() removes whole torrent
 * directories, least recently used first, until the cache fits.
 *
 * Safety: only entries of CACHE named by 40 lowercase hex digits are ever
 * touched; symlinks are removed as links, never followed; nothing outside
 * CACHE is read or removed. Any thread; not concurrently with a storage
 * open on a directory it may remove (pass that one as keep). */
#ifndef SP_STORAGE_CACHE_H
#define SP_STORAGE_CACHE_H

#include <stdint.h>

#include <sys/types.h>

/* mkdir -p with mode for the folders it makes. 0 or -errno. */
int sp_mkdirs(const char *path, mode_t mode);

/* The play cache's folder of a torrent, made if missing:
 * $XDG_CACHE_HOME/swarmplay/<infohash>, else ~/.cache/swarmplay/...,
 * else /tmp/swarmplay-cache/... 0 or -errno (-ENAMETOOLONG). */
int sp_cache_dir(const char *info_hash_hex, char *out, size_t n);

/* Marks a torrent directory as in use for as long as the returned file
 * descriptor stays open (a shared flock on the directory): sp_cache_trim
 * in any process leaves it alone. Waits up to about a second while a trim
 * holds it. The fd, or -errno. */
int sp_cache_hold(const char *dir); /* -ESTALE: removed meanwhile, make it again */

/* Disk space used by the torrent directories of the cache (allocated
 * blocks, so sparse files count what they really use). -errno on error. */
int64_t sp_cache_usage(const char *cache_root);

/* Remove least-recently-used torrent directories until the cache uses at
 * most max_bytes. A directory's last use is the newest mtime of itself and
 * of its resume file (written by every run). keep_hex (may be NULL) is the
 * torrent in use: never removed, even if it alone exceeds the limit; nor
 * is a directory held (sp_cache_hold: another swarmplay plays it), nor one
 * used in the last 10 minutes (a program that does not hold it may be
 * writing it), so the cache may stay above the limit for a while.
 * Returns the bytes freed, or -errno if the cache cannot be read. */
int64_t sp_cache_trim(const char *cache_root, uint64_t max_bytes, const char *keep_hex);

/* --cache-max's SIZE: digits with an optional K, M, G or T (powers of
 * 1024). 0, or -EINVAL for anything else or an overflow. */
int sp_cache_parse_size(const char *s, uint64_t *out);

#endif
