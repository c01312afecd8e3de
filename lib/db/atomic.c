/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * atomic.c - build a hints DB beside its target and rename it into place
 * (see atomic.h).  Modelled on OpenSMTPD makemap: a private temporary in
 * the same directory, fsync, the original's owner and mode, rename, and
 * the temporary removed on any failure.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "db/atomic.h"
#include "db/lock.h"
#include "db/pin.h"
#include "xmalloc.h"

#define MAX_FILES	8
#define WARM_BUF	(256u << 10)	/* hdb_atomic_warm reads this much at a go */
/* an Exim SQLite transaction's journal lasts milliseconds; one that stays
 * longer is a crashed writer's, or exim_tidydb's */
#define JOURNAL_WAIT_MS	2000.0

/* Suffixes of a database's files, in hdb_db_files bit order. */
static const char *const suffixes[] = { "", ".dir", ".pag", ".db" };
#define NSUFFIX	(sizeof(suffixes) / sizeof(suffixes[0]))

struct hdb_atomic {
	int	 dirfd;		/* the target's directory */
	int	 tmpfd;		/* the private directory */
	char	*dir;		/* as given, for messages */
	char	*base;		/* the target's file name */
	char	*tmpname;	/* the private directory, relative to dir */
	char	*tmppath;	/* /proc/self/fd/TMPFD/base */
	int	 done;		/* renamed into place */
	int	 gone;		/* private directory removed */
};

static int	seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	split(const char *, char **, char **);
static int	rm_tree(int, const char *);
static int	rm_files(int);
static int	make_private(struct hdb_atomic *, char *, size_t);
static int	list_new(struct hdb_atomic *, int, char [][NAME_MAX + 1],
		    size_t *, char *, size_t);
static int	settle(int, const char *, const struct stat *, char *,
		    size_t);
static unsigned	files_at(int, const char *);
static int	primary(char [][NAME_MAX + 1], size_t, const char *);
static int	drop_old(struct hdb_atomic *, unsigned, unsigned, char *,
		    size_t);
static int	suffix_bit(const char *, const char *);
static int	move(struct hdb_atomic *, int, const char *, char *, size_t);

static int
seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* split - target into its directory ("." if none) and file name. */
static int
split(const char *target, char **dir, char **base)
{
	const char *slash = strrchr(target, '/');
	const char *b = slash != NULL ? slash + 1 : target;

	*dir = *base = NULL;
	if (*b == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0 ||
	    strlen(b) > NAME_MAX - 32)
		return -1;
	*base = xstrdup(b);
	if (slash == NULL)
		*dir = xstrdup(".");
	else if (slash == target)
		*dir = xstrdup("/");
	else {
		*dir = xmemdup(target, (size_t)(slash - target) + 1);
		(*dir)[slash - target] = '\0';
	}
	return 0;
}

/* getenv(name) as "N" or "N:MS" (*ms); 0 if unset or bad. */
static long
test_env(const char *name, long *ms)
{
	const char *s = getenv(name), *e1 = NULL, *e2 = NULL;
	char buf[64], *colon;
	long n;

	if (s == NULL || strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return 0;
	if ((colon = strchr(buf, ':')) != NULL && ms != NULL) {
		*colon = '\0';
		*ms = (long)strtonum(colon + 1, 1, 600000, &e2);
	}
	n = (long)strtonum(buf, 1, LONG_MAX, &e1);
	return e1 != NULL || e2 != NULL ? 0 : n;
}

/* stall - sleep ms; with a path, only until that file is there. */
static void
stall(long ms, const char *path)
{
	struct timespec ts;
	long step = path != NULL ? 10 : ms;

	for (; ms > 0; ms -= step) {
		if (path != NULL && access(path, F_OK) == 0)
			return;
		ts.tv_sec = step / 1000;
		ts.tv_nsec = step % 1000 * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* mark - make the empty file path (NULL: none) to say the stall began. */
static void
mark(const char *path)
{
	int fd;

	if (path != NULL && (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC,
	    0600)) != -1)
		close(fd);
}

void
hdb_testpoint(void)
{
	static long kill_left = -1, stall_left, stall_ms;

	if (kill_left == -1) {
		kill_left = test_env("HINTSDB_TEST_KILL_AT", NULL);
		stall_left = test_env("HINTSDB_TEST_STALL_AT", &stall_ms);
	}
	if (kill_left > 0 && --kill_left == 0)
		raise(SIGKILL);
	if (stall_left > 0 && --stall_left == 0 && stall_ms > 0) {
		mark(getenv("HINTSDB_TEST_STALL_MARK"));
		stall(stall_ms, getenv("HINTSDB_TEST_STALL_UNTIL"));
	}
}

/*
 * make_private - the private directory, made and opened relative to the
 * target's directory fd (mkdtemp has no *at form).  The fd we keep is the
 * one the new database is created in, whatever is renamed meanwhile; it
 * must be ours and 0700, or someone else made it first.
 */
static int
make_private(struct hdb_atomic *a, char *err, size_t errlen)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	struct stat st;
	char name[NAME_MAX + 1];
	size_t n, i;
	int tries;

	n = (size_t)snprintf(name, sizeof(name), ".%s%s%ld.XXXXXX", a->base,
	    HDB_ATOMIC_TAG, (long)getpid());
	if (n >= sizeof(name))
		return seterr(err, errlen, "name too long");
	for (tries = 0; tries < 100; tries++) {
		for (i = n - 6; i < n; i++)
			name[i] = chars[arc4random_uniform(sizeof(chars) - 1)];
		if (mkdirat(a->dirfd, name, 0700) == 0)
			break;
		if (errno != EEXIST)
			return seterr(err, errlen, "cannot make a temporary "
			    "directory: %s", strerror(errno));
	}
	if (tries == 100)
		return seterr(err, errlen, "cannot make a temporary directory: "
		    "%s", strerror(EEXIST));
	a->tmpname = xstrdup(name);
	a->tmpfd = openat(a->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (a->tmpfd == -1 || fstat(a->tmpfd, &st) == -1 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 07777) != 0700)
		return seterr(err, errlen, "temporary directory '%s' was "
		    "replaced", name);
	return 0;
}

struct hdb_atomic *
hdb_atomic_new(const char *target, char *err, size_t errlen)
{
	struct hdb_atomic *a;
	struct stat st, pst;
	char proc[64];
	int ok = 0;

	a = xcalloc(1, sizeof(*a));
	a->dirfd = a->tmpfd = -1;
	if (split(target, &a->dir, &a->base) == -1) {
		seterr(err, errlen, "bad database path");
		goto out;
	}
	/* SPOOL/db through its pinned fd (pin.h), anything else by name */
	a->dirfd = hdb_pin_dirfd(a->dir);
	if (a->dirfd == -1) {
		seterr(err, errlen, "cannot open directory: %s",
		    strerror(errno));
		goto out;
	}
	if (make_private(a, err, errlen) == -1)
		goto out;
	/* The backend opens by path: one that goes through our fd. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", a->tmpfd);
	if (stat(proc, &pst) == 0 && fstat(a->tmpfd, &st) == 0 &&
	    st.st_dev == pst.st_dev && st.st_ino == pst.st_ino)
		ok = asprintf(&a->tmppath, "%s/%s", proc, a->base) != -1;
	else if (!hdb_pin_covers(target))
		ok = asprintf(&a->tmppath, "%s/%s/%s", a->dir, a->tmpname,
		    a->base) != -1;
	else
		seterr(err, errlen, "cannot reach the temporary directory "
		    "through /proc/self/fd");
	if (!ok)
		a->tmppath = NULL;
out:
	if (!ok) {
		hdb_atomic_free(a);
		a = NULL;
	}
	return a;
}

const char *
hdb_atomic_path(const struct hdb_atomic *a)
{
	return a->tmppath;
}

int
hdb_atomic_target_stat(const struct hdb_atomic *a, struct stat *st)
{
	return fstatat(a->dirfd, a->base, st, AT_SYMLINK_NOFOLLOW);
}

int
hdb_atomic_link_old(struct hdb_atomic *a, char *err, size_t errlen)
{
	char name[NAME_MAX + 1];
	unsigned bits = files_at(a->dirfd, a->base);
	size_t i;

	if (bits == 0)
		return 1;
	for (i = 0; i < NSUFFIX; i++) {
		if (!(bits & (1u << i)))
			continue;
		snprintf(name, sizeof(name), "%s%s", a->base, suffixes[i]);
		if (linkat(a->dirfd, name, a->tmpfd, name, 0) == -1)
			return seterr(err, errlen, "cannot link '%s': %s", name,
			    strerror(errno));
	}
	return 0;
}

int
hdb_atomic_done(const struct hdb_atomic *a)
{
	return a != NULL && a->done;
}

/* rm_tree - remove the flat directory name in dirfd and its files. */
static int
rm_tree(int dirfd, const char *name)
{
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	rewinddir(d);	/* the dup shares the offset of a listing before */
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, e->d_name, 0) == -1)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1)
		rc = -1;
	return rc;
}

/* rm_files - empty the flat directory open at fd. */
static int
rm_files(int fd)
{
	struct dirent *e;
	DIR *d;
	int dfd, rc = 0;

	if ((dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, e->d_name, 0) == -1)
			rc = -1;
	}
	closedir(d);
	return rc;
}

void
hdb_atomic_free(struct hdb_atomic *a)
{
	if (a == NULL)
		return;
	if (a->tmpname != NULL && !a->gone && a->dirfd != -1) {
		if (a->tmpfd != -1)
			(void)rm_files(a->tmpfd);
		(void)unlinkat(a->dirfd, a->tmpname, AT_REMOVEDIR);
	}
	if (a->tmpfd != -1)
		close(a->tmpfd);
	if (a->dirfd != -1)
		close(a->dirfd);
	free(a->dir);
	free(a->base);
	free(a->tmpname);
	free(a->tmppath);
	free(a);
}

/* suffix_bit - the hdb_db_files bit of file name, or 0 if not base's. */
static int
suffix_bit(const char *name, const char *base)
{
	size_t n = strlen(base), i;

	if (strncmp(name, base, n) != 0)
		return 0;
	for (i = 0; i < NSUFFIX; i++)
		if (strcmp(name + n, suffixes[i]) == 0)
			return 1 << i;
	return 0;
}

static unsigned
files_at(int dirfd, const char *base)
{
	struct stat st;
	char name[NAME_MAX + 1];
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < NSUFFIX; i++) {
		if ((size_t)snprintf(name, sizeof(name), "%s%s", base,
		    suffixes[i]) >= sizeof(name))
			continue;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			bits |= 1u << i;
	}
	return bits;
}

unsigned
hdb_db_files(const char *target)
{
	char *dir, *base;
	unsigned bits = 0;
	int fd;

	if (split(target, &dir, &base) == -1)
		return 0;
	if ((fd = hdb_pin_dirfd(dir)) != -1) {
		bits = files_at(fd, base);
		close(fd);
	}
	free(dir);
	free(base);
	return bits;
}

/* list_new - the files the backend made in the private directory. */
static int
list_new(struct hdb_atomic *a, int tmpfd, char names[][NAME_MAX + 1],
    size_t *n, char *err, size_t errlen)
{
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	*n = 0;
	if ((fd = dup(tmpfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return seterr(err, errlen, "cannot read temporary directory: "
		    "%s", strerror(errno));
	}
	rewinddir(d);	/* the dup shares the offset of a listing before */
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (suffix_bit(e->d_name, a->base) == 0 || *n == MAX_FILES) {
			rc = seterr(err, errlen, "unexpected file '%s' in the "
			    "temporary directory", e->d_name);
			break;
		}
		snprintf(names[(*n)++], NAME_MAX + 1, "%s", e->d_name);
	}
	closedir(d);
	if (rc == 0 && *n == 0)
		rc = seterr(err, errlen, "the new database has no files");
	return rc;
}

/* settle - owner, mode and fsync for one new file. */
static int
settle(int tmpfd, const char *name, const struct stat *like, char *err,
    size_t errlen)
{
	struct stat st;
	int fd, rc = -1;

	fd = openat(tmpfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return seterr(err, errlen, "cannot open new file '%s': %s",
		    name, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "new file '%s' is not a regular file",
		    name);
		goto out;
	}
	if (like != NULL && (st.st_uid != like->st_uid ||
	    st.st_gid != like->st_gid) &&
	    fchown(fd, like->st_uid, like->st_gid) == -1) {
		seterr(err, errlen, "cannot give '%s' the original's owner: %s",
		    name, strerror(errno));
		goto out;
	}
	if (like != NULL && fchmod(fd, like->st_mode & 07777) == -1) {
		seterr(err, errlen, "cannot give '%s' the original's mode: %s",
		    name, strerror(errno));
		goto out;
	}
	if (fsync(fd) == -1) {
		seterr(err, errlen, "cannot fsync '%s': %s", name,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * primary - the file whose rename makes the new database visible: the bare
 * name (every one-file backend), else NDBM's .pag, else BDB-ndbm's .db.
 */
static int
primary(char names[][NAME_MAX + 1], size_t n, const char *base)
{
	static const int order[] = { 1 << 0, 1 << 2, 1 << 3 };
	size_t i, j;

	for (j = 0; j < sizeof(order) / sizeof(order[0]); j++)
		for (i = 0; i < n; i++)
			if (suffix_bit(names[i], base) == order[j])
				return (int)i;
	return (int)n - 1;
}

/*
 * drop_old - remove the old database's files that the new one did not
 * replace.  The bare name goes first: while it exists, hdb_detect (and an
 * Exim of a one-file backend) still sees the old database.
 */
static int
drop_old(struct hdb_atomic *a, unsigned old, unsigned new, char *err,
    size_t errlen)
{
	static const int order[] = { 0, 3, 1, 2 };
	char name[NAME_MAX + 1];
	size_t i;
	int s;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		s = order[i];
		if (!(old & (1u << s)) || (new & (1u << s)))
			continue;
		snprintf(name, sizeof(name), "%s%s", a->base, suffixes[s]);
		if (unlinkat(a->dirfd, name, 0) == -1 && errno != ENOENT)
			return seterr(err, errlen, "database replaced, but "
			    "cannot remove the old '%s': %s", name,
			    strerror(errno));
		hdb_testpoint();
	}
	return 0;
}

static int
move(struct hdb_atomic *a, int tmpfd, const char *name, char *err,
    size_t errlen)
{
	if (renameat(tmpfd, name, a->dirfd, name) == -1)
		return seterr(err, errlen, "cannot rename '%s' into place: %s",
		    name, strerror(errno));
	hdb_testpoint();
	return 0;
}

/*
 * journal_gone - wait up to JOURNAL_WAIT_MS for no BASE-journal: renamed
 * beside one, our file would have its pages rolled back into it.  An Exim
 * writer's transaction makes one for a few milliseconds.
 */
static int
journal_gone(struct hdb_atomic *a)
{
	char journal[NAME_MAX + 1];
	struct stat st;
	double t0 = hdb_now_ms();

	snprintf(journal, sizeof(journal), "%s-journal", a->base);
	while (fstatat(a->dirfd, journal, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (hdb_now_ms() - t0 >= JOURNAL_WAIT_MS)
			return 0;
		hdb_pause(5);
	}
	return 1;
}

/*
 * new_file - open the new database's file with suffix i (suffixes[]), for
 * reading; -1 if there is none.  Not list_new: SQLite's journal may be
 * there too while it is being built.
 */
static int
new_file(const struct hdb_atomic *a, size_t i)
{
	char name[NAME_MAX + 1];

	if ((size_t)snprintf(name, sizeof(name), "%s%s", a->base,
	    suffixes[i]) >= sizeof(name))
		return -1;
	return openat(a->tmpfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

void
hdb_atomic_trickle(struct hdb_atomic *a)
{
	size_t i;
	int fd;

	for (i = 0; i < NSUFFIX; i++) {
		if ((fd = new_file(a, i)) == -1)
			continue;
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		close(fd);
	}
}

void
hdb_atomic_warm(struct hdb_atomic *a)
{
	char *buf = xmalloc(WARM_BUF);
	size_t i;
	int fd;

	for (i = 0; i < NSUFFIX; i++) {
		if ((fd = new_file(a, i)) == -1)
			continue;
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		while (read(fd, buf, WARM_BUF) > 0)
			;
		close(fd);
	}
	free(buf);
}

int
hdb_atomic_sync(struct hdb_atomic *a, char *err, size_t errlen)
{
	char names[MAX_FILES][NAME_MAX + 1];
	size_t n = 0, i;

	if (list_new(a, a->tmpfd, names, &n, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (settle(a->tmpfd, names[i], NULL, err, errlen) == -1)
			return -1;
	return 0;
}

int
hdb_atomic_commit(struct hdb_atomic *a, const struct stat *like, int replace,
    char *err, size_t errlen)
{
	char names[MAX_FILES][NAME_MAX + 1];
	unsigned old, new = 0;
	size_t n = 0, i;
	int tmpfd, p, rc = -1;

	tmpfd = a->tmpfd;
	if (list_new(a, tmpfd, names, &n, err, errlen) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		new |= (unsigned)suffix_bit(names[i], a->base);
		if (settle(tmpfd, names[i], like, err, errlen) == -1)
			goto out;
		hdb_testpoint();
	}
	old = files_at(a->dirfd, a->base);
	if (old != 0 && !replace) {
		seterr(err, errlen, "'%s/%s' exists", a->dir, a->base);
		goto out;
	}
	if ((new & 1) && !journal_gone(a)) {
		seterr(err, errlen, "'%s-journal' stays: the SQLite database "
		    "is in use", a->base);
		goto out;
	}
	p = primary(names, n, a->base);
	for (i = 0; i < n; i++)
		if ((int)i != p && move(a, tmpfd, names[i], err, errlen) == -1)
			goto out;
	if (move(a, tmpfd, names[p], err, errlen) == -1)
		goto out;
	a->done = 1;
	if (drop_old(a, old, new, err, errlen) == -1)
		goto out;
	if (fsync(a->dirfd) == -1) {
		seterr(err, errlen, "database replaced, but cannot fsync the "
		    "directory: %s", strerror(errno));
		goto out;
	}
	hdb_testpoint();
	if (unlinkat(a->dirfd, a->tmpname, AT_REMOVEDIR) == 0)
		a->gone = 1;
	rc = 0;
out:
	return rc;
}

/*
 * each_dead - fn(ctx, dirfd, name) for every private directory of target
 * whose writer is dead, in target's directory open at dirfd; stops at
 * the first that returns -1.  The count of calls, or -1 with err set.
 */
static int
each_dead(const char *target, int (*fn)(void *, int, const char *),
    void *ctx, char *err, size_t errlen)
{
	struct dirent *e;
	struct stat st;
	char *dir, *base, *prefix = NULL, *end;
	size_t plen;
	DIR *d = NULL;
	long pid;
	int dirfd = -1, n = 0;

	if (split(target, &dir, &base) == -1) {
		free(dir);
		free(base);
		return seterr(err, errlen, "bad database path");
	}
	if ((dirfd = hdb_pin_dirfd(dir)) == -1 ||
	    (d = fdopendir(dirfd)) == NULL) {
		n = seterr(err, errlen, "cannot read directory: %s",
		    strerror(errno));
		if (dirfd != -1)
			close(dirfd);
		goto out;
	}
	if (asprintf(&prefix, ".%s%s", base, HDB_ATOMIC_TAG) == -1) {
		prefix = NULL;
		n = seterr(err, errlen, "out of memory");
		goto out;
	}
	plen = strlen(prefix);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, plen) != 0)
			continue;
		errno = 0;
		pid = strtol(e->d_name + plen, &end, 10);
		if (errno != 0 || pid <= 0 || end == e->d_name + plen ||
		    *end != '.' || strlen(end + 1) != 6)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (fn(ctx, dirfd, e->d_name) == -1) {
			n = seterr(err, errlen, "cannot remove '%s': %s",
			    e->d_name, strerror(errno));
			goto out;
		}
		n++;
	}
out:
	if (d != NULL)
		closedir(d);
	free(prefix);
	free(dir);
	free(base);
	return n;
}

static int
sweep_one(void *ctx, int dirfd, const char *name)
{
	(void)ctx;
	return rm_tree(dirfd, name);
}

int
hdb_atomic_sweep(const char *target, char *err, size_t errlen)
{
	return each_dead(target, sweep_one, NULL, err, errlen);
}

/* What hdb_atomic_orphans hands on. */
struct orphans {
	int		(*fn)(void *, const char *);
	void		*ctx;
	const char	*dir;
};

static int
orphan_one(void *arg, int dirfd, const char *name)
{
	struct orphans *o = arg;
	char path[PATH_MAX];

	(void)dirfd;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", o->dir, name) >=
	    sizeof(path))
		return 0;
	(void)o->fn(o->ctx, path);
	return 0;
}

int
hdb_atomic_orphans(const char *target, int (*fn)(void *, const char *),
    void *ctx)
{
	struct orphans o = { fn, ctx, NULL };
	char err[256], *dir, *base;
	int n;

	if (split(target, &dir, &base) == -1) {
		free(dir);
		free(base);
		return -1;
	}
	o.dir = dir;
	n = each_dead(target, orphan_one, &o, err, sizeof(err));
	free(dir);
	free(base);
	return n;
}

int
hdb_atomic_put(struct hdb_atomic *a, const char *name, const void *buf,
    size_t len)
{
	const char *p = buf;
	ssize_t w;
	int fd, rc = 0;

	fd = openat(a->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	while (len > 0 && rc == 0) {
		if ((w = write(fd, p, len)) <= 0) {
			rc = -1;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) == -1)
		rc = -1;
	return rc;
}
