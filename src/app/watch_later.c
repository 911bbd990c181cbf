/* watch_later.c - the resume positions and the volume (watch_later.h). A file holds one
 * line, "start=SECONDS"; anything else in it is ignored, a file that does
 * not parse is as none. A local file's key is the SHA-1 of its real path
 * (libcrypto, as the core uses it: no private header). Main thread. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "app/watch_later.h"

#define KEY_MAX 80
#define SHA1_LEN 20

/* mkdir -p: each missing folder of path made with mode. */
static int make_dirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
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

/* $XDG_STATE_HOME/swarmplay/sub (sub "" : the swarmplay folder). */
static int swarmplay_state_dir(const char *sub, char *out, size_t n)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	const char *sep = *sub ? "/" : "";
	int w;
	if (xdg && xdg[0] == '/')
		w = snprintf(out, n, "%s/swarmplay%s%s", xdg, sep, sub);
	else if (home && home[0])
		w = snprintf(out, n, "%s/.local/state/swarmplay%s%s", home, sep, sub);
	else
		return -ENOENT;
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

static int state_dir(char *out, size_t n)
{
	return swarmplay_state_dir("watch_later", out, n);
}

/* text into path, atomically: a temporary file, fsync, rename. */
static int write_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = 0;
	ssize_t len = (ssize_t)strlen(text);
	if (write(fd, text, (size_t)len) != len || fsync(fd) < 0) {
		r = errno ? -errno : -EIO;
		close(fd);
		unlink(tmp);
		return r;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
	}
	return r;
}

static int key_path(const char *key, char *out, size_t n)
{
	char dir[PATH_MAX];
	int r = state_dir(dir, sizeof(dir));
	if (r < 0)
		return r;
	int w = snprintf(out, n, "%s/%s", dir, key);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

void sp_watch_later_key_torrent(const char *info_hash_hex, int file, char *out, size_t n)
{
	snprintf(out, n, "%.64s-%d", info_hash_hex, file);
}

void sp_watch_later_key_file(const char *path, char *out, size_t n)
{
	char real[PATH_MAX];
	const char *p = realpath(path, real) ? real : path;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char hex[2 * SHA1_LEN + 1] = "";
	if (EVP_Digest(p, strlen(p), md, &len, EVP_sha1(), NULL) && len == SHA1_LEN)
		for (unsigned int i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(out, n, "%s", hex);
}

bool sp_watch_later_load(const char *key, double *pos_s)
{
	char path[PATH_MAX], line[128];
	if (key_path(key, path, sizeof(path)) < 0)
		return false;
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = false;
	while (!ok && fgets(line, sizeof(line), f)) {
		char *end;
		if (strncmp(line, "start=", 6))
			continue;
		double v = strtod(line + 6, &end);
		ok = end != line + 6 && v >= 0 && v < 1e7;
		if (ok)
			*pos_s = v;
	}
	fclose(f);
	return ok;
}

int sp_watch_later_save(const char *key, double pos_s)
{
	char dir[PATH_MAX], path[PATH_MAX], buf[64];
	int r = state_dir(dir, sizeof(dir));
	if (r < 0 || (r = make_dirs(dir, 0700)) < 0 || (r = key_path(key, path, sizeof(path))) < 0)
		return r;
	snprintf(buf, sizeof(buf), "start=%.3f\n", pos_s);
	return write_atomic(path, buf);
}

static int volume_path(char *out, size_t n)
{
	char dir[PATH_MAX];
	int r = swarmplay_state_dir("", dir, sizeof(dir));
	if (r < 0)
		return r;
	int w = snprintf(out, n, "%s/volume", dir);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

int sp_volume_state_load(int *volume, bool *muted)
{
	char path[PATH_MAX], line[128];
	if (volume_path(path, sizeof(path)) < 0)
		return 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		if (!strncmp(line, "volume=", 7)) {
			long v = strtol(line + 7, &end, 10);
			if (end != line + 7 && v >= 0 && v <= 100) {
				*volume = (int)v;
				found |= SP_VOLUME_STATE_VOLUME;
			}
		} else if (!strncmp(line, "mute=", 5)) {
			bool yes = !strncmp(line + 5, "yes", 3), no = !strncmp(line + 5, "no", 2);
			if (yes || no) {
				*muted = yes;
				found |= SP_VOLUME_STATE_MUTE;
			}
		}
	}
	fclose(f);
	return found;
}

int sp_volume_state_save(int volume, bool muted)
{
	char dir[PATH_MAX], path[PATH_MAX], buf[64];
	int r = swarmplay_state_dir("", dir, sizeof(dir));
	if (r < 0 || (r = make_dirs(dir, 0700)) < 0 || (r = volume_path(path, sizeof(path))) < 0)
		return r;
	snprintf(buf, sizeof(buf), "volume=%d\nmute=%s\n", volume, muted ? "yes" : "no");
	return write_atomic(path, buf);
}

void sp_watch_later_forget(const char *key)
{
	char path[PATH_MAX];
	if (key_path(key, path, sizeof(path)) == 0)
		unlink(path);
}
