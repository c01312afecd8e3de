/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * faultinject.c - a test-only LD_PRELOAD shim that makes one system call
 * fail, so the tests can check what the writers (tidy, fix, delete,
 * convert, import) leave behind when the disk fails under them.
 *
 * It wraps write, pwrite, pwrite64, writev, pwritev, fsync, fdatasync,
 * msync, syncfs, rename, renameat, renameat2, ftruncate and ftruncate64.  Calls
 * are counted in one sequence, only those of the chosen classes on the
 * chosen files, and the Nth one fails.  Environment:
 *
 *   HDB_FAULT_OP     classes that count: a comma list of write (every
 *                    write variant), fsync (fsync, fdatasync, msync,
 *                    syncfs: logged with the path of its fd, a directory
 *                    too),
 *                    rename (every variant), truncate; or any (default)
 *   HDB_FAULT_N      the number of the call that fails, from 1; unset or
 *                    0: nothing fails (calls are only counted and logged)
 *   HDB_FAULT_STICKY 1: every counted call from the Nth on fails, as on a
 *                    full disk (default: only the Nth)
 *   HDB_FAULT_SHORT  1: a failing write writes half its bytes and returns
 *                    that short count instead of -1
 *   HDB_FAULT_ERRNO  EIO (default), ENOSPC, EDQUOT or EROFS
 *   HDB_FAULT_PATH   count only calls on files whose path contains this
 *                    string (renames: either name); unset: any regular
 *                    file (msync: any mapping)
 *   HDB_FAULT_LOG    append "N op path" for every counted call and
 *                    "FAIL N op path" for a failed one to this file
 *
 * Without HDB_FAULT_N the shim only counts and logs; that is how a test
 * learns how many calls a command makes before failing each in turn.
 * Writes to anything but a regular file (pipes, terminals, /dev/null)
 * never count, so the command's diagnostics still get out.  The count is
 * per process.  Not thread-safe: the tools are single-threaded.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define C_WRITE		0x01
#define C_FSYNC		0x02
#define C_RENAME	0x04
#define C_TRUNC		0x08
#define C_ANY		(C_WRITE | C_FSYNC | C_RENAME | C_TRUNC)

static int	 inited, classes, sticky, shortw, fail_errno = EIO, busy;
static long	 fail_n, counter;
static const char *want_path, *log_path;

/* Exported for the wrappers below; -fvisibility stays default. */
ssize_t	write(int, const void *, size_t);
ssize_t	pwrite(int, const void *, size_t, off_t);
ssize_t	pwrite64(int, const void *, size_t, off_t);
ssize_t	writev(int, const struct iovec *, int);
ssize_t	pwritev(int, const struct iovec *, int, off_t);
int	fsync(int);
int	fdatasync(int);
int	msync(void *, size_t, int);
int	syncfs(int);
int	rename(const char *, const char *);
int	renameat(int, const char *, int, const char *);
int	renameat2(int, const char *, int, const char *, unsigned int);
int	ftruncate(int, off_t);
int	ftruncate64(int, off_t);

static void
init(void)
{
	const char *s;
	char *dup, *tok, *save;

	if (inited)
		return;
	inited = 1;
	s = getenv("HDB_FAULT_OP");
	if (s == NULL || *s == '\0')
		classes = C_ANY;
	else if ((dup = strdup(s)) != NULL) {
		for (tok = strtok_r(dup, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (strcmp(tok, "write") == 0)
				classes |= C_WRITE;
			else if (strcmp(tok, "fsync") == 0)
				classes |= C_FSYNC;
			else if (strcmp(tok, "rename") == 0)
				classes |= C_RENAME;
			else if (strcmp(tok, "truncate") == 0)
				classes |= C_TRUNC;
			else if (strcmp(tok, "any") == 0)
				classes |= C_ANY;
		}
		free(dup);
	}
	if ((s = getenv("HDB_FAULT_N")) != NULL)
		fail_n = strtol(s, NULL, 10);
	sticky = (s = getenv("HDB_FAULT_STICKY")) != NULL && strcmp(s, "1") == 0;
	shortw = (s = getenv("HDB_FAULT_SHORT")) != NULL && strcmp(s, "1") == 0;
	if ((s = getenv("HDB_FAULT_ERRNO")) != NULL) {
		if (strcmp(s, "ENOSPC") == 0)
			fail_errno = ENOSPC;
		else if (strcmp(s, "EDQUOT") == 0)
			fail_errno = EDQUOT;
		else if (strcmp(s, "EROFS") == 0)
			fail_errno = EROFS;
	}
	want_path = getenv("HDB_FAULT_PATH");
	if (want_path != NULL && *want_path == '\0')
		want_path = NULL;
	log_path = getenv("HDB_FAULT_LOG");
}

static void *
next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL)
		abort();
	return f;
}

/* The path of fd, if it is a regular file; NULL otherwise. */
static const char *
fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, buf, len - 1)) < 0)
		return "?";
	buf[n] = '\0';
	return buf;
}

/* name as seen from dirfd, made absolute when that is cheap. */
static const char *
at_path(int dirfd, const char *name, char *buf, size_t len)
{
	char d[PATH_MAX], link[64];
	ssize_t n;

	if (name == NULL)
		return "";
	if (name[0] == '/')
		return name;
	if (dirfd == AT_FDCWD) {
		if (getcwd(d, sizeof(d)) == NULL)
			return name;
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		if ((n = readlink(link, d, sizeof(d) - 1)) < 0)
			return name;
		d[n] = '\0';
	}
	if ((size_t)snprintf(buf, len, "%.*s/%s", (int)(len / 2), d, name) >=
	    len)
		return name;
	return buf;
}

static void
logline(const char *what, long n, const char *op, const char *p1,
    const char *p2)
{
	FILE *fp;

	if (log_path == NULL)
		return;
	busy = 1;
	if ((fp = fopen(log_path, "a")) != NULL) {
		fprintf(fp, "%s%ld %s %s%s%s\n", what, n, op, p1,
		    p2 != NULL ? " " : "", p2 != NULL ? p2 : "");
		fclose(fp);
	}
	busy = 0;
}

/*
 * hit - count a call of class cls on p1 (and p2, for renames); 1 if it
 * must fail.  NULL p1: not a file we count.
 */
static int
hit(int cls, const char *op, const char *p1, const char *p2)
{
	init();
	if (busy || !(classes & cls) || p1 == NULL)
		return 0;
	if (want_path != NULL && strstr(p1, want_path) == NULL &&
	    (p2 == NULL || strstr(p2, want_path) == NULL))
		return 0;
	counter++;
	if (fail_n > 0 && (counter == fail_n || (sticky && counter > fail_n))) {
		logline("FAIL ", counter, op, p1, p2);
		return 1;
	}
	logline("", counter, op, p1, p2);
	return 0;
}

static int
hit_fd(int cls, const char *op, int fd)
{
	char buf[PATH_MAX];

	init();
	if (busy || !(classes & cls))
		return 0;
	return hit(cls, op, fd_path(fd, buf, sizeof(buf)), NULL);
}

static ssize_t
fail_write(size_t n, ssize_t (*w)(size_t))
{
	if (shortw && n > 1)
		return w(n / 2);
	errno = fail_errno;
	return -1;
}

/* ---- writes ---------------------------------------------------------- */

static int	 cur_fd;
static const void *cur_buf;
static off_t	 cur_off;

static ssize_t
short_write(size_t n)
{
	static ssize_t (*f)(int, const void *, size_t);

	if (f == NULL)
		f = next("write");
	return f(cur_fd, cur_buf, n);
}

static ssize_t
short_pwrite(size_t n)
{
	static ssize_t (*f)(int, const void *, size_t, off_t);

	if (f == NULL)
		f = next("pwrite");
	return f(cur_fd, cur_buf, n, cur_off);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t (*f)(int, const void *, size_t);

	if (f == NULL)
		f = next("write");
	if (hit_fd(C_WRITE, "write", fd)) {
		cur_fd = fd;
		cur_buf = buf;
		return fail_write(n, short_write);
	}
	return f(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*f)(int, const void *, size_t, off_t);

	if (f == NULL)
		f = next("pwrite");
	if (hit_fd(C_WRITE, "pwrite", fd)) {
		cur_fd = fd;
		cur_buf = buf;
		cur_off = off;
		return fail_write(n, short_pwrite);
	}
	return f(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	static ssize_t (*f)(int, const void *, size_t, off_t);

	if (f == NULL)
		f = next("pwrite64");
	if (hit_fd(C_WRITE, "pwrite64", fd)) {
		cur_fd = fd;
		cur_buf = buf;
		cur_off = off;
		return fail_write(n, short_pwrite);
	}
	return f(fd, buf, n, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	static ssize_t (*f)(int, const struct iovec *, int);

	if (f == NULL)
		f = next("writev");
	if (hit_fd(C_WRITE, "writev", fd)) {
		errno = fail_errno;
		return -1;
	}
	return f(fd, iov, cnt);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	static ssize_t (*f)(int, const struct iovec *, int, off_t);

	if (f == NULL)
		f = next("pwritev");
	if (hit_fd(C_WRITE, "pwritev", fd)) {
		errno = fail_errno;
		return -1;
	}
	return f(fd, iov, cnt, off);
}

/* ---- syncs ------------------------------------------------------------ */

int
fsync(int fd)
{
	static int (*f)(int);

	if (f == NULL)
		f = next("fsync");
	if (hit_fd(C_FSYNC, "fsync", fd)) {
		errno = fail_errno;
		return -1;
	}
	return f(fd);
}

int
fdatasync(int fd)
{
	static int (*f)(int);

	if (f == NULL)
		f = next("fdatasync");
	if (hit_fd(C_FSYNC, "fdatasync", fd)) {
		errno = fail_errno;
		return -1;
	}
	return f(fd);
}

int
syncfs(int fd)
{
	static int (*f)(int);
	char buf[PATH_MAX], link[64];
	ssize_t n;

	if (f == NULL)
		f = next("syncfs");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, buf, sizeof(buf) - 1)) < 0)
		n = 0;
	buf[n] = '\0';
	if (hit(C_FSYNC, "syncfs", buf, NULL)) {
		errno = fail_errno;
		return -1;
	}
	return f(fd);
}

int
msync(void *addr, size_t len, int flags)
{
	static int (*f)(void *, size_t, int);

	if (f == NULL)
		f = next("msync");
	/* A mapping has no cheap path: it counts unless a path is wanted. */
	init();
	if (want_path == NULL && hit(C_FSYNC, "msync", "(mapping)", NULL)) {
		errno = fail_errno;
		return -1;
	}
	return f(addr, len, flags);
}

/* ---- renames and truncation ------------------------------------------ */

int
rename(const char *from, const char *to)
{
	static int (*f)(const char *, const char *);
	char a[PATH_MAX], b[PATH_MAX];

	if (f == NULL)
		f = next("rename");
	if (hit(C_RENAME, "rename", at_path(AT_FDCWD, from, a, sizeof(a)),
	    at_path(AT_FDCWD, to, b, sizeof(b)))) {
		errno = fail_errno;
		return -1;
	}
	return f(from, to);
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	static int (*f)(int, const char *, int, const char *);
	char a[PATH_MAX], b[PATH_MAX];

	if (f == NULL)
		f = next("renameat");
	if (hit(C_RENAME, "renameat", at_path(fd1, from, a, sizeof(a)),
	    at_path(fd2, to, b, sizeof(b)))) {
		errno = fail_errno;
		return -1;
	}
	return f(fd1, from, fd2, to);
}

int
renameat2(int fd1, const char *from, int fd2, const char *to,
    unsigned int flags)
{
	static int (*f)(int, const char *, int, const char *, unsigned int);
	char a[PATH_MAX], b[PATH_MAX];

	if (f == NULL)
		f = next("renameat2");
	if (hit(C_RENAME, "renameat2", at_path(fd1, from, a, sizeof(a)),
	    at_path(fd2, to, b, sizeof(b)))) {
		errno = fail_errno;
		return -1;
	}
	return f(fd1, from, fd2, to, flags);
}

int
ftruncate(int fd, off_t len)
{
	static int (*f)(int, off_t);

	if (f == NULL)
		f = next("ftruncate");
	if (hit_fd(C_TRUNC, "ftruncate", fd)) {
		errno = fail_errno;
		return -1;
	}
	return f(fd, len);
}

int
ftruncate64(int fd, off_t len)
{
	static int (*f)(int, off_t);

	if (f == NULL)
		f = next("ftruncate64");
	if (hit_fd(C_TRUNC, "ftruncate64", fd)) {
		errno = fail_errno;
		return -1;
	}
	return f(fd, len);
}
