/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pin.c - reach SPOOL/db through one directory fd (see pin.h).
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "db/pin.h"
#include "xmalloc.h"

static struct {
	int	 on;		/* a directory is pinned (maybe absent) */
	int	 fd;		/* -1 when absent */
	char	*dir;		/* the name it was given */
	size_t	 dlen;
	char	 proc[48];	/* "/proc/self/fd/N" */
	size_t	 plen;
} pin = { 0, -1, NULL, 0, "", 0 };

static const char *rest(const char *);
static int	open_beneath(const char *, int, mode_t);

void
hdb_pin_release(void)
{
	if (pin.fd != -1)
		close(pin.fd);
	free(pin.dir);
	pin.on = 0;
	pin.fd = -1;
	pin.dir = NULL;
	pin.dlen = pin.plen = 0;
	pin.proc[0] = '\0';
}

int
hdb_pin(const char *dir)
{
	struct stat st, pst;
	int fd, e;

	if (pin.on && strcmp(dir, pin.dir) == 0)
		return pin.fd == -1 ? (errno = ENOENT, -1) : 0;
	hdb_pin_release();
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		e = errno;
		/* O_NOFOLLOW|O_DIRECTORY may say ENOTDIR for a symlink */
		if (e == ENOTDIR && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			e = ELOOP;
		if (e == ENOENT) {
			pin.on = 1;
			pin.dir = xstrdup(dir);
			pin.dlen = strlen(dir);
		}
		errno = e;
		return -1;
	}
	snprintf(pin.proc, sizeof(pin.proc), "/proc/self/fd/%d", fd);
	/* A library path through /proc must land in this very directory. */
	if (fstat(fd, &st) == -1 || stat(pin.proc, &pst) == -1 ||
	    st.st_dev != pst.st_dev || st.st_ino != pst.st_ino) {
		close(fd);
		pin.proc[0] = '\0';
		errno = ENXIO;
		return -1;
	}
	pin.on = 1;
	pin.fd = fd;
	pin.dir = xstrdup(dir);
	pin.dlen = strlen(dir);
	pin.plen = strlen(pin.proc);
	return 0;
}

int
hdb_pin_fd(void)
{
	return pin.fd;
}

/* rest - what follows the pinned directory in path, or NULL. */
static const char *
rest(const char *path)
{
	if (!pin.on)
		return NULL;
	if (strncmp(path, pin.dir, pin.dlen) == 0 && path[pin.dlen] == '/')
		return path + pin.dlen + 1;
	if (pin.plen > 0 && strncmp(path, pin.proc, pin.plen) == 0 &&
	    path[pin.plen] == '/')
		return path + pin.plen + 1;
	return NULL;
}

int
hdb_pin_covers(const char *path)
{
	return rest(path) != NULL;
}

const char *
hdb_pin_path(const char *path, char *buf, size_t len)
{
	const char *r = rest(path);

	if (r == NULL)
		return path;
	if (pin.fd == -1) {
		errno = ENOENT;
		return NULL;
	}
	if ((size_t)snprintf(buf, len, "%s/%s", pin.proc, r) >= len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return buf;
}

/* open_beneath - openat2 with no way out of the pin, else openat. */
static int
open_beneath(const char *r, int flags, mode_t mode)
{
	int fd;
#ifdef SYS_openat2
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned)flags;
	how.mode = flags & O_CREAT ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, pin.fd, r, &how, sizeof(how));
	if (fd != -1 || (errno != ENOSYS && errno != EPERM))
		return fd;
#endif
	/* older kernels (or a seccomp filter): the last component at least */
	fd = openat(pin.fd, r, flags, mode);
	return fd;
}

int
hdb_pin_open(const char *path, int flags, mode_t mode)
{
	const char *r = rest(path);

	flags |= O_NOFOLLOW | O_CLOEXEC;
	if (r == NULL)
		return open(path, flags, mode);
	if (pin.fd == -1) {
		errno = ENOENT;
		return -1;
	}
	return open_beneath(r, flags, mode);
}

int
hdb_pin_lstat(const char *path, struct stat *st)
{
	const char *r = rest(path);

	if (r == NULL)
		return lstat(path, st);
	if (pin.fd == -1) {
		errno = ENOENT;
		return -1;
	}
	return fstatat(pin.fd, r, st, AT_SYMLINK_NOFOLLOW);
}

int
hdb_pin_clock(const char *path, struct timespec *now)
{
	struct stat st;
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	/* a new pipe's inode is stamped with the time it was made */
	if (rest(path) == NULL)
		r = fstat(p[0], &st);
	else
		r = fstatat(p[0], "", &st, AT_EMPTY_PATH);
	close(p[0]);
	close(p[1]);
	if (r == 0)
		*now = st.st_mtim;
	return r;
}

int
hdb_pin_unlink(const char *path)
{
	const char *r = rest(path);

	if (r == NULL)
		return unlink(path);
	if (pin.fd == -1) {
		errno = ENOENT;
		return -1;
	}
	if (strchr(r, '/') != NULL) {	/* only names right in the pin */
		errno = EINVAL;
		return -1;
	}
	return unlinkat(pin.fd, r, 0);
}

int
hdb_pin_dirfd(const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (pin.on && ((n == pin.dlen && strncmp(dir, pin.dir, n) == 0) ||
	    (pin.plen > 0 && n == pin.plen &&
	    strncmp(dir, pin.proc, n) == 0))) {
		if (pin.fd == -1) {
			errno = ENOENT;
			return -1;
		}
		return openat(pin.fd, ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
	}
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void
hdb_pin_unmap(char *s, size_t len)
{
	char *p, *tail;
	size_t n;

	if (pin.plen == 0 || s == NULL)
		return;
	while ((p = strstr(s, pin.proc)) != NULL &&
	    (p[pin.plen] == '/' || p[pin.plen] == '\0' ||
	    p[pin.plen] == '\'')) {
		tail = xstrdup(p + pin.plen);
		n = (size_t)(p - s);
		snprintf(p, len - n, "%s%s", pin.dir, tail);
		free(tail);
		if (strlen(pin.dir) >= pin.plen + 1 && strstr(pin.dir,
		    pin.proc) != NULL)
			break;	/* cannot happen; no endless loop */
	}
}
