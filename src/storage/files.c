/* files.c - the torrent's files under the download directory.
 *
 * Maps torrent byte offsets to (file, offset) and does the pread/pwrite.
 * Paths come from the metainfo parser, which already refuses "..",
 * absolute paths and the like; as defense in depth every open walks the
 * path one component at a time with openat(O_NOFOLLOW), so a symlink
 * planted in the download directory (by another program, or by an earlier
 * torrent) cannot redirect a write outside it. Only regular files are
 * opened (a planted FIFO would otherwise block us).
 *
 * Files are opened lazily: read-only opens never create, write opens
 * create (sparse: pwrite extends the file, holes stay unallocated). BEP 47
 * padding files are never opened: they read as zeros and writes skip them.
 *
 * Threads: any. fd_lock guards opening; an opened fd never changes number
 * until the storage's last reference drops (an upgrade from read-only to
 * read-write is done with dup2 onto the same number), so pread/pwrite use
 * it without a lock. */
#include "storage/storage_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/log.h"

/* Open rel (a '/'-separated relative path) beneath dirfd without following
 * any symlink. create: make missing directories and the file. */
static int open_beneath(int dirfd, const char *rel, int flags, bool create, mode_t mode)
{
	char path[PATH_MAX];
	if (strlen(rel) >= sizeof(path) || !*rel)
		return -ENAMETOOLONG;
	strcpy(path, rel);
	int cur = dirfd;
	char *comp = path;
	for (char *slash; (slash = strchr(comp, '/')); comp = slash + 1) {
		*slash = '\0';
		int nfd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
				nfd = -1;
			else
				nfd = openat(cur, comp,
					     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		int e = errno;
		if (cur != dirfd)
			close(cur);
		if (nfd < 0)
			return -e;
		cur = nfd;
	}
	int oflags = flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (create ? O_CREAT : 0);
	int fd = openat(cur, comp, oflags, mode);
	int e = errno;
	if (cur != dirfd)
		close(cur);
	if (fd < 0)
		return -e;
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return S_ISDIR(sb.st_mode) ? -EISDIR : -EINVAL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int sp_sfile_fd(struct sp_storage *st, size_t i, bool write)
{
	struct sp_sfile *f = &st->files[i];
	pthread_mutex_lock(&st->fd_lock);
	int fd = f->fd;
	if (fd >= 0 && (f->writable || !write)) {
		pthread_mutex_unlock(&st->fd_lock);
		return fd;
	}
	int nfd;
	if (write) {
		/* BEP 47 attr 'x': the file was executable where it came from. */
		nfd = open_beneath(st->dirfd, f->mf->path, O_RDWR, true,
				   f->mf->executable ? 0755 : 0644);
	} else {
		/* Read-write if we may (so a later write needs no reopen),
		 * read-only for data on a read-only medium (seeding). */
		nfd = open_beneath(st->dirfd, f->mf->path, O_RDWR, false, 0);
		if (nfd == -EACCES || nfd == -EROFS || nfd == -EPERM)
			nfd = open_beneath(st->dirfd, f->mf->path, O_RDONLY, false, 0);
		else if (nfd >= 0)
			write = true;
	}
	if (nfd >= 0) {
		if (fd >= 0) {
			/* Upgrade in place: readers keep using the number. */
			if (dup2(nfd, fd) < 0) {
				int e = errno;
				close(nfd);
				pthread_mutex_unlock(&st->fd_lock);
				return -e;
			}
			close(nfd);
			nfd = fd;
		}
		f->fd = nfd;
		f->writable = write;
	}
	pthread_mutex_unlock(&st->fd_lock);
	return nfd;
}

void sp_sfiles_close(struct sp_storage *st)
{
	if (!st->files)
		return;
	for (size_t i = 0; i < st->mi->num_files; i++)
		if (st->files[i].fd >= 0)
			close(st->files[i].fd);
}

size_t sp_sfile_at(const struct sp_storage *st, uint64_t off)
{
	/* Last file whose offset <= off and that is not empty. */
	size_t lo = 0, hi = st->mi->num_files;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->mi->files[mid].offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	while (lo < st->mi->num_files &&
	       st->mi->files[lo].offset + st->mi->files[lo].length <= off)
		lo++;
	return lo;
}

static void io_msg(struct sp_storage *st, size_t i, int err, bool write, char *msg, size_t msglen)
{
	if (!msg || !msglen)
		return;
	/* open_beneath says EINVAL for a FIFO, socket or device in the way. */
	const char *why = err == EINVAL ? _("not a regular file") : strerror(err);
	if (write)
		snprintf(msg, msglen, _("cannot write %s/%s: %s"), st->dir, st->files[i].mf->path,
			 why);
	else
		snprintf(msg, msglen, _("cannot read %s/%s: %s"), st->dir, st->files[i].mf->path,
			 why);
}

/* One file's part of a transfer. Returns 0 or -errno. */
static int io_one(struct sp_storage *st, size_t i, uint64_t foff, uint8_t *p, size_t n, bool write)
{
	int fd = sp_sfile_fd(st, i, write);
	if (fd < 0)
		return fd;
	while (n) {
		ssize_t r = write ? pwrite(fd, p, n, (off_t)foff) : pread(fd, p, n, (off_t)foff);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return write ? -EIO : -ENODATA; /* short file */
		if (write)
			atomic_store(&st->files[i].dirty, true);
		p += r;
		n -= (size_t)r;
		foff += (uint64_t)r;
	}
	return 0;
}

static int io(struct sp_storage *st, uint64_t off, uint8_t *p, size_t len, bool write, char *msg,
	      size_t msglen)
{
	if (off > st->mi->total_length || len > st->mi->total_length - off)
		return -EINVAL;
	size_t i = sp_sfile_at(st, off);
	while (len) {
		if (i >= st->mi->num_files)
			return -EINVAL;
		const struct sp_mi_file *mf = st->files[i].mf;
		uint64_t foff = off - mf->offset;
		size_t n = (size_t)(mf->length - foff < len ? mf->length - foff : len);
		if (mf->is_pad) {
			if (!write)
				memset(p, 0, n);
		} else if (n) {
			int rc = io_one(st, i, foff, p, n, write);
			if (rc < 0) {
				io_msg(st, i, rc == -ENODATA ? ENOENT : -rc, write, msg, msglen);
				return rc == -ENOENT ? -ENODATA : rc;
			}
		}
		p += n;
		off += n;
		len -= n;
		i++;
	}
	return 0;
}

int sp_storage_io_read(struct sp_storage *st, uint64_t off, void *buf, size_t len, char *msg,
		       size_t msglen)
{
	return io(st, off, buf, len, false, msg, msglen);
}

int sp_storage_io_write(struct sp_storage *st, uint64_t off, const void *buf, size_t len,
			char *msg, size_t msglen)
{
	/* io() does not write into buf when writing. */
	return io(st, off, (uint8_t *)(uintptr_t)buf, len, true, msg, msglen);
}

bool sp_storage_io_has_data(struct sp_storage *st, uint64_t off, uint64_t len)
{
	size_t i = sp_sfile_at(st, off);
	uint64_t end = off + len;
	for (; i < st->mi->num_files && st->mi->files[i].offset < end; i++) {
		const struct sp_mi_file *mf = st->files[i].mf;
		if (mf->is_pad || !mf->length)
			continue;
		uint64_t a = off > mf->offset ? off - mf->offset : 0;
		uint64_t b = end - mf->offset < mf->length ? end - mf->offset : mf->length;
		int fd = sp_sfile_fd(st, i, false);
		if (fd < 0)
			return false;
		struct stat sb;
		if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_size < b)
			return false;
		/* SEEK_HOLE returns the next hole at or after a (the end of the
		 * file counts as one); a filesystem without hole support says
		 * "no hole", which is the safe answer. */
		off_t h = lseek(fd, (off_t)a, SEEK_HOLE);
		if (h >= 0 && (uint64_t)h < b)
			return false;
	}
	return true;
}

int sp_sfiles_sync(struct sp_storage *st)
{
	int ret = 0;
	for (size_t i = 0; i < st->mi->num_files; i++) {
		struct sp_sfile *f = &st->files[i];
		if (!atomic_exchange(&f->dirty, false))
			continue;
		pthread_mutex_lock(&st->fd_lock);
		int fd = f->fd;
		pthread_mutex_unlock(&st->fd_lock);
		if (fd >= 0 && fdatasync(fd) < 0 && !ret) {
			ret = -errno;
			atomic_store(&f->dirty, true);
		}
	}
	return ret;
}

void sp_sfiles_touch_empty(struct sp_storage *st)
{
	for (size_t i = 0; i < st->mi->num_files; i++) {
		const struct sp_mi_file *mf = st->files[i].mf;
		if (mf->is_pad || mf->length)
			continue;
		int fd = sp_sfile_fd(st, i, true);
		if (fd < 0)
			SP_WARN("storage", "cannot create empty file %s: %s", mf->path,
				strerror(-fd));
	}
}

int sp_sfile_stat(struct sp_storage *st, size_t i, struct stat *sb)
{
	pthread_mutex_lock(&st->fd_lock);
	int fd = st->files[i].fd;
	pthread_mutex_unlock(&st->fd_lock);
	if (fd >= 0)
		return fstat(fd, sb) < 0 ? -errno : 0;
	fd = open_beneath(st->dirfd, st->files[i].mf->path, O_RDONLY, false, 0);
	if (fd < 0)
		return fd;
	int rc = fstat(fd, sb) < 0 ? -errno : 0;
	close(fd);
	return rc;
}
