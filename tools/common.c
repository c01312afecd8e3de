/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * common.c - DB opening by Exim's lock protocol, and shared options.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <err.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>

#include "commands.h"
#include "db/pin.h"
#include "rec/convert.h"
#include "common.h"
#include "db/lock.h"
#include "duration.h"
#include "out.h"
#include "priv.h"
#include "xmalloc.h"

/* The name messages start with: "hintsdb", or the exim_* name it was
 * called by (main sets it).  Here, not in hintsdb.c, so that the fuzz
 * targets, which link the commands without main, have it too. */
const char *progname = "hintsdb";

const char *const format_names[] = { "text", "json", "exim", NULL };

void
dbopts_init(struct dbopts *o)
{
	memset(o, 0, sizeof(*o));
	o->layout = HDB_L_AUTO;
	o->lock_timeout_ms = HDB_LOCK_TIMEOUT_MS;
	o->now = -1;
}

int
pick(const char *arg, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(arg, names[i]) == 0)
			return i;
	return -1;
}

int
dbopts_parse(struct dbopts *o, int opt, const char *arg, const char *cmd)
{
	switch (opt) {
	case OPT_BACKEND:
		if ((o->backend = hdb_backend_find(arg)) == NULL) {
			warnx("%s: unknown backend '%s' (bdb, gdbm, tdb, ndbm, "
			    "sqlite)", cmd, arg);
			return -1;
		}
		return 0;
	case OPT_FILE:
		o->file = arg;
		return 0;
	case OPT_LAYOUT:
		if (hdb_layout_from_name(arg, &o->layout) == -1) {
			warnx("%s: unknown layout '%s' (legacy, v2, auto)",
			    cmd, arg);
			return -1;
		}
		return 0;
	case OPT_LOCK_TIMEOUT:
		/* a bare number is seconds, as for Exim's -t */
		return duration_opt(cmd, "--lock-timeout", arg, DUR_BARE_S,
		    0, 86400 * 1000, &o->lock_timeout_ms);
	case OPT_NOW:
		if (hdb_parse_time(arg, &o->now) == -1) {
			warnx("%s: bad time '%s' (epoch seconds or ISO 8601)",
			    cmd, arg);
			return -1;
		}
		return 0;
	case OPT_TYPE:
		if ((o->type = hdb_dbtype_from_name(arg)) == HDB_T_UNKNOWN &&
		    strcmp(arg, "wait") == 0)
			o->type = HDB_T_WAIT;
		if (o->type == HDB_T_UNKNOWN) {
			warnx("%s: unknown type '%s' (retry, misc, wait, "
			    "callout, ratelimit, seen, tls)", cmd, arg);
			return -1;
		}
		return 0;
	case 'z':
		o->utc = 1;
		return 0;
	default:
		return 1;
	}
}

/* The lists globs_add made, reachable until exit (it is not a leak). */
static char *globs_made[16];

void
globs_add(const char **list, const char *g)
{
	size_t i, n;
	char *p;

	if (*list == NULL) {
		*list = g;
		return;
	}
	n = strlen(*list) + 1 + strlen(g) + 1;
	p = xmalloc(n);
	snprintf(p, n, "%s%c%s", *list, GLOBS_SEP, g);
	for (i = 0; i < 16 && globs_made[i] != *list; i++)
		continue;
	if (i == 16)
		for (i = 0; i < 16 && globs_made[i] != NULL; i++)
			continue;
	if (i < 16) {
		free(globs_made[i]);
		globs_made[i] = p;
	}
	*list = p;
}

int
globs_each(const char *list, int (*fn)(const char *, void *), void *arg)
{
	const char *p = list, *e;
	char *one;
	int r = 0;

	while (!r) {
		e = strchr(p, GLOBS_SEP);
		one = xmalloc((e ? (size_t)(e - p) : strlen(p)) + 1);
		memcpy(one, p, e ? (size_t)(e - p) : strlen(p));
		one[e ? (size_t)(e - p) : strlen(p)] = '\0';
		r = fn(one, arg);
		free(one);
		if (e == NULL)
			break;
		p = e + 1;
	}
	return r;
}

static int
one_match(const char *g, void *text)
{
	return fnmatch(g, text, 0) == 0;
}

int
globs_match(const char *list, const char *text)
{
	return globs_each(list, one_match, (void *)text);
}

struct visbuf {
	char	*out;
	size_t	 len;
};

static int
one_vis(const char *g, void *arg)
{
	struct visbuf *b = arg;
	char *v = hdb_vis_dup(g, strlen(g));
	size_t n = strlen(v);

	b->out = xreallocarray(b->out, b->len + n + 7, 1);
	if (b->len > 0) {
		memcpy(b->out + b->len, "' or '", 6);
		b->len += 6;
	}
	memcpy(b->out + b->len, v, n + 1);
	b->len += n;
	free(v);
	return 0;
}

char *
globs_vis(const char *list)
{
	struct visbuf b = { NULL, 0 };

	globs_each(list, one_vis, &b);
	return b.out;
}

const char *
pl(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

static int
ex_rank(int ex)
{
	return ex == EX_NOTFOUND ? 1 : ex == EX_FINDINGS ? 2 : ex;
}

int
ex_worse(int a, int b)
{
	return ex_rank(b) > ex_rank(a) ? b : a;
}

int64_t
clock_now(const struct dbopts *o)
{
	return o->now >= 0 || o->now < -1 ? o->now : (int64_t)time(NULL);
}

int
db_name_plain(const char *name)
{
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '/')
			return 0;
	return 1;
}

int
db_name_ok(const char *name, const char *cmd)
{
	char *p;

	/* Exim's transport names are letters, digits and underscores, so
	 * a name that would need escaping is no hints DB of Exim's. */
	if (hdb_dbtype_from_name(name) != HDB_T_UNKNOWN &&
	    db_name_plain(name) && strlen(name) <= 205)
		return 1;
	p = hdb_vis_dup(name, strlen(name));
	warnx("%s: unknown database '%s' (retry, misc, wait-<transport>, "
	    "callout, ratelimit, seen, tls)", cmd, p);
	free(p);
	return 0;
}

/* Why the last db_open failed, for a command that shows it in its output
 * too (db_error). */
static char last_error[PATH_MAX + 256];

const char *
db_error(void)
{
	return last_error;
}

static void __attribute__((format(printf, 2, 3)))
remember(int say, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	if (say)
		warnx("%s", last_error);
}

static int
lock_error(const struct dbh *d, int write, int quiet, const char *cmd)
{
	char *p = hdb_vis_dup(d->lockpath, strlen(d->lockpath));
	int e = errno;

	/* quiet (cron): 75 means try tomorrow, and mails nothing */
	if (e == ETIMEDOUT || e == EAGAIN)
		remember(!quiet, "%s: cannot %s-lock '%s': %s", cmd,
		    write ? "write" : "read", p,
		    e == ETIMEDOUT ? "timed out" : "lock is busy");
	else if (e == ELOOP)
		remember(1, "%s: refusing symlinked lockfile '%s'", cmd, p);
	else if (e == EINVAL || e == EISDIR)
		remember(1, "%s: refusing lockfile '%s': not a regular file",
		    cmd, p);
	else
		remember(1, "%s: cannot open lockfile '%s': %s%s", cmd, p,
		    strerror(e), priv_hint_pair(e, d->lockpath, d->path, write));
	free(p);
	return e == ETIMEDOUT || e == EAGAIN ? EX_LOCKED : EX_IOERR_;
}

const char *
open_reason(const char *why)
{
	const char *q;

	if (strncmp(why, "cannot open '", 13) == 0 &&
	    (q = strstr(why + 13, "': ")) != NULL)
		return q + 3;
	return why;
}

static int
open_error(const struct dbh *d, const char *why, int e, const char *cmd)
{
	char *p = hdb_vis_dup(d->path, strlen(d->path));

	if (e == ENOENT)
		remember(1, "%s: no such database '%s'", cmd, p);
	else if (e == ELOOP)
		remember(1, "%s: refusing symlinked database '%s'", cmd, p);
	else if (e == EACCES || e == EPERM)	/* whatever the backend said */
		remember(1, "%s: cannot open '%s': %s%s", cmd, p, strerror(e),
		    priv_hint_pair(e, d->path, d->lockpath, 0));
	else if (why != NULL)
		remember(1, "%s: cannot open '%s': %s", cmd, p,
		    open_reason(why));
	else
		remember(1, "%s: cannot open '%s': %s", cmd, p, strerror(e));
	free(p);
	return e == ENOENT ? EX_NODB : EX_IOERR_;
}

static int
set_paths(struct dbh *d, const char *spool, const char *name,
    const struct dbopts *o)
{
	int n;

	if (o->file != NULL) {
		n = snprintf(d->path, sizeof(d->path), "%s", o->file);
		if (n >= 0 && (size_t)n < sizeof(d->path))
			n = snprintf(d->lockpath, sizeof(d->lockpath),
			    "%s.lockfile", o->file);
	} else {
		n = snprintf(d->path, sizeof(d->path), "%s/db/%s", spool,
		    name);
		if (n >= 0 && (size_t)n < sizeof(d->path))
			n = hdb_lock_path(d->lockpath, sizeof(d->lockpath),
			    spool, name) == -1 ? -1 : 0;
	}
	return n < 0 || (size_t)n >= sizeof(d->path) ? -1 : 0;
}

/* Under the lock: may p's handle serve this hold?  Then it takes it. */
static int
unpark(struct dbh *d, struct dbpark *p, const struct hdb_backend *be,
    int write)
{
	struct stat sb;

	if (p->h == NULL || p->h->be != be || p->write != write ||
	    hdb_pin_lstat(d->path, &sb) == -1 || sb.st_dev != p->dev ||
	    sb.st_ino != p->ino)
		return 0;
	d->h = p->h;
	p->h = NULL;
	return 1;
}

/* db_open, taking up p's handle where it may. */
static int
open_with(struct dbh *d, const char *spool, const char *name, int write,
    const struct dbopts *o, const char *cmd, struct dbpark *p)
{
	const struct hdb_backend *be = o->backend;
	char why[256];
	int flags = write ? HDB_O_RDWR : HDB_O_RDONLY;
	int ex;

	memset(d, 0, sizeof(*d));
	d->lockfd = -1;
	d->name = name;
	d->type = o->file != NULL ? o->type : hdb_dbtype_from_name(name);
	/* Below SPOOL/db, everything goes through its pinned fd (pin.h). */
	if (o->file == NULL && spool != NULL &&
	    (ex = spool_pin(spool, cmd)) != 0)
		return ex;
	if (set_paths(d, spool, name, o) == -1) {
		warnx("%s: path too long", cmd);
		return EX_USAGE_;
	}
	/* Reading the magic needs no lock: it never changes. */
	if (be == NULL && (be = hdb_detect(d->path)) == NULL) {
		/* EINVAL: read, but no backend knows it; else the read's
		 * own errno (EACCES is not damage) */
		if (errno != EINVAL && errno != 0)
			return open_error(d, NULL, errno, cmd);
		return open_error(d, "not a hints database of a known backend",
		    errno, cmd);
	}
	/* the file's structure is checked before the lock, not under it */
	hdb_precheck(be, d->path);
	if (!(be->caps & HDB_CAP_LOCKS_ITSELF)) {
		int there = be->caps & HDB_CAP_LOCKFILE_IF_THERE;

		d->lockfd = hdb_lock_take(d->lockpath,
		    write ? HDB_LOCK_WRITE : HDB_LOCK_READ, write && !there,
		    o->lock_timeout_ms);
		/* No lockfile, no Exim using it: a reader goes on, and so
		 * does a writer where Exim 4.99+ uses none (tdb). */
		if (d->lockfd == -1 && !(errno == ENOENT && (!write || there)))
			return lock_error(d, write, o->quiet, cmd);
	}
	d->t_lock = hdb_now_ms();
	if (p != NULL && unpark(d, p, be, write))
		return 0;
	d->h = hdb_open(be, d->path, flags, 0640, why, sizeof(why));
	if (d->h == NULL) {
		int e = errno;

		/* errno after a library failure may be stale: a file that is
		 * there but will not open is damage, not absence */
		if (e == ENOENT && (hdb_detect(d->path) != NULL ||
		    errno != ENOENT))
			e = EIO;
		hdb_lock_release(d->lockfd);
		d->lockfd = -1;
		return open_error(d, why, e, cmd);
	}
	return 0;
}

int
db_open(struct dbh *d, const char *spool, const char *name, int write,
    const struct dbopts *o, const char *cmd)
{
	return open_with(d, spool, name, write, o, cmd, NULL);
}

int
db_reopen(struct dbh *d, const char *spool, const char *name, int write,
    const struct dbopts *o, const char *cmd)
{
	struct dbpark p = d->park;
	int ex;

	d->park.h = NULL;
	ex = open_with(d, spool, name, write, o, cmd, &p);
	hdb_close(p.h);		/* not taken up */
	return ex;
}

void
db_park(struct dbh *d)
{
	struct stat sb;

	if (d->h != NULL && (d->h->be->caps & HDB_CAP_STAYS_OPEN) &&
	    d->park.h == NULL && hdb_pin_lstat(d->path, &sb) == 0) {
		d->park.h = d->h;
		d->park.write = (d->h->flags & HDB_O_RDWR) != 0;
		d->park.dev = sb.st_dev;
		d->park.ino = sb.st_ino;
		d->h = NULL;
	}
	hdb_close(d->h);
	d->h = NULL;
	hdb_lock_release(d->lockfd);
	d->lockfd = -1;
}

void
db_close(struct dbh *d)
{
	hdb_close(d->h);	/* close the DB before dropping the lock */
	d->h = NULL;
	hdb_close(d->park.h);
	d->park.h = NULL;
	hdb_lock_release(d->lockfd);
	d->lockfd = -1;
}

int
finish_stdout(const char *cmd)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("%s: write error on standard output", cmd);
		return EX_IOERR_;
	}
	return 0;
}

/*
 * db_close_sync - db_close, but a DB opened for writing is first flushed
 * to disk under the lock: a change is not made until it is written, and
 * a close cannot report that it failed.  Prints the error; returns 0 or
 * EX_IOERR_.  The handle is closed either way.
 */
int
db_sync(struct dbh *d, const char *cmd)
{
	char *n;

	if (d->h == NULL || !(d->h->flags & HDB_O_RDWR) ||
	    hdb_sync(d->h) == HDB_OK)
		return 0;
	n = hdb_vis_dup(d->name, strlen(d->name));
	warnx("%s: cannot write '%s': %s", cmd, n, hdb_error(d->h));
	free(n);
	return EX_IOERR_;
}

int
db_close_sync(struct dbh *d, const char *cmd)
{
	int ex = db_sync(d, cmd);

	db_close(d);
	return ex;
}

int
db_copy_room(const char *path)
{
	struct statvfs fs;
	struct stat st;
	unsigned long long size, avail;

	if (hdb_db_stat(path, &st) == -1 || fstatvfs(hdb_pin_fd(), &fs) == -1)
		return 0;
	size = (unsigned long long)st.st_blocks * 512;
	avail = (unsigned long long)fs.f_bavail * fs.f_frsize;
	return avail >= 2 * size &&
	    avail - size >= (unsigned long long)fs.f_blocks * fs.f_frsize / 10;
}
