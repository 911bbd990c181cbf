/* cache.c - keep a cache of torrent directories under a size limit.
 *
 * Walks with openat/fdopendir and AT_SYMLINK_NOFOLLOW only, so a symlink
 * inside the cache (planted, or a torrent's own) can never make us count
 * or delete anything outside it. Depth is bounded (torrent paths are
 * short; a deeper tree is left alone rather than followed forever).
 * Threads: any; no shared state. */
#include "storage/cache.h"
#include "swarmplay/swarmplay.h" /* the public declarations match */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "storage/storage_impl.h"

#define MAX_DEPTH 64
#define MAX_ENTRIES 100000
#define RECENT_NS (600 * 1000000000LL) /* 10 min */

struct entry {
	char name[41];
	int64_t bytes;
	int64_t used_ns; /* last use, ns since the epoch */
};

static bool is_infohash(const char *s)
{
	if (strlen(s) != 40)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Allocated bytes under dirfd (consumed: closed here). */
static int64_t tree_bytes(int dirfd, int depth)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return 0;
	}
	int64_t sum = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat sb;
		if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		sum += (int64_t)sb.st_blocks * 512;
		if (S_ISDIR(sb.st_mode) && depth < MAX_DEPTH) {
			int fd = openat(dirfd, de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				sum += tree_bytes(fd, depth + 1);
		}
	}
	closedir(d);
	return sum;
}

/* rm -r of name in dirfd, links removed as links. 0 or -errno. */
static int remove_tree(int dirfd, const char *name, int depth)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth >= MAX_DEPTH)
		return -ELOOP;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			int r = remove_tree(fd, de->d_name, depth + 1);
			if (r < 0 && !rc)
				rc = r;
		}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && !rc)
		rc = -errno;
	return rc;
}

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static bool measure(int rootfd, const char *name, struct entry *e)
{
	struct stat sb;
	if (fstatat(rootfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode))
		return false;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->used_ns = ts_ns(&sb.st_mtim);
	char resume[128];
	snprintf(resume, sizeof(resume), "%s/%s/%s.resume", name, SP_STORAGE_RESUME_DIR, name);
	struct stat rb;
	if (fstatat(rootfd, resume, &rb, AT_SYMLINK_NOFOLLOW) == 0 && ts_ns(&rb.st_mtim) > e->used_ns)
		e->used_ns = ts_ns(&rb.st_mtim);
	int fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	e->bytes = (int64_t)sb.st_blocks * 512 + (fd >= 0 ? tree_bytes(fd, 1) : 0);
	return true;
}

/* The cache's torrent directories; *n entries, caller frees. */
static struct entry *scan(int rootfd, size_t *n, int *err)
{
	int fd = dup(rootfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		*err = -errno;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct entry *v = NULL;
	size_t cap = 0;
	*n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && *n < MAX_ENTRIES) {
		if (!is_infohash(de->d_name))
			continue;
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			struct entry *nv = realloc(v, nc * sizeof(*v));
			if (!nv)
				break;
			v = nv;
			cap = nc;
		}
		if (measure(rootfd, de->d_name, &v[*n]))
			(*n)++;
	}
	closedir(d);
	*err = 0;
	return v;
}

static int by_use(const void *a, const void *b)
{
	int64_t x = ((const struct entry *)a)->used_ns, y = ((const struct entry *)b)->used_ns;
	return x < y ? -1 : x > y;
}

int sp_cache_hold(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (int i = 0; flock(fd, LOCK_SH | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK || i >= 100) {
			int e = errno == EWOULDBLOCK ? -EBUSY : -errno;
			close(fd);
			return e;
		}
		nanosleep(&(struct timespec){0, 10000000}, NULL); /* a trim removes it */
	}
	/* the trim we waited for may have removed it: then it is no longer
	 * the directory at that path */
	struct stat held, now;
	if (fstat(fd, &held) < 0 || stat(dir, &now) < 0 || held.st_ino != now.st_ino ||
	    held.st_dev != now.st_dev) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int64_t sp_cache_usage(const char *cache_root)
{
	int rootfd = open(cache_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	size_t n = 0;
	int err = 0;
	struct entry *v = scan(rootfd, &n, &err);
	close(rootfd);
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i].bytes;
	free(v);
	return err ? err : sum;
}

int64_t sp_cache_trim(const char *cache_root, uint64_t max_bytes, const char *keep_hex)
{
	int rootfd = open(cache_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	size_t n = 0;
	int err = 0;
	struct entry *v = scan(rootfd, &n, &err);
	if (err) {
		close(rootfd);
		return err;
	}
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += (uint64_t)v[i].bytes;
	if (n)
		qsort(v, n, sizeof(*v), by_use);
	int64_t freed = 0;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t i = 0; i < n && total > max_bytes; i++) {
		if (keep_hex && !strcmp(v[i].name, keep_hex))
			continue;
		/* Used a moment ago: maybe by another swarmplay right now. */
		if (ts_ns(&now) - v[i].used_ns < RECENT_NS)
			continue;
		/* held by a player (sp_cache_hold): in use whatever its times */
		int lk = openat(rootfd, v[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (lk < 0 || flock(lk, LOCK_EX | LOCK_NB) < 0) {
			if (lk >= 0)
				close(lk);
			continue;
		}
		int rc = remove_tree(rootfd, v[i].name, 0);
		close(lk);
		if (rc < 0) {
			SP_WARN("cache", "cannot remove %s/%s: %s", cache_root, v[i].name,
				strerror(-rc));
			continue;
		}
		SP_INFO("cache", "removed %s/%s (%lld bytes)", cache_root, v[i].name,
			(long long)v[i].bytes);
		total -= (uint64_t)v[i].bytes;
		freed += v[i].bytes;
	}
	free(v);
	close(rootfd);
	return freed;
}

int sp_mkdirs(const char *path, mode_t mode)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int sp_cache_dir(const char *info_hash_hex, char *out, size_t n)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int w;
	if (xdg && xdg[0] == '/')
		w = snprintf(out, n, "%s/swarmplay/%s", xdg, info_hash_hex);
	else if (home && home[0])
		w = snprintf(out, n, "%s/.cache/swarmplay/%s", home, info_hash_hex);
	else
		w = snprintf(out, n, "/tmp/swarmplay-cache/%s", info_hash_hex);
	if (w < 0 || (size_t)w >= n)
		return -ENAMETOOLONG;
	return sp_mkdirs(out, 0755);
}

int sp_cache_parse_size(const char *s, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	static const char units[] = "kmgt";
	const char *u = *end ? strchr(units, *end | 0x20) : NULL;
	int shift = u ? 10 * (int)(u - units + 1) : 0;
	if (u)
		end++;
	if (errno || *end || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}
