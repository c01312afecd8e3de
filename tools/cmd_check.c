/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_check.c - look for damage in hints DBs: the backend's own consistency
 * check (BDB verify, tdb_check, GDBM's bucket walk, SQLite integrity_check),
 * then every record decoded and validated: its length for its type, its
 * version, plausible times, Exim's limits (wait counts, message ID
 * characters, callout results) and, for tls, the stored session.
 *
 * One line per problem on standard output, "DBNAME: 'KEY': problem" or
 * "DBNAME: problem", and what to do about them on standard error; nothing
 * when all is well (so it fits cron).  The exit
 * status is 1 if anything was found.  The records are read under Exim's
 * read lock and checked after it is dropped (slurp.h).
 *
 * --repair rebuilds each DB whose file itself is damaged (repair.h); as
 * it writes, root first becomes the owner of SPOOL/db (priv.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "db/atomic.h"
#include "db/snapshot.h"
#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "db/lock.h"
#include "out.h"
#include "engine/rebuild.h"
#include "engine/slurp.h"
#include "engine/spool.h"
#include "tls/tls.h"
#include "db/pin.h"
#include "priv.h"
#include "repair.h"
#include "progress.h"

#include "plan.h"

#define CHECK_USAGE "hintsdb check [-v] [--backend=B] [--exim=PATH] " \
	"[--layout=L] [--lock-timeout=T] [--no-drop-privileges] [--now=TIME] " \
	"[--repair] (SPOOL [DBNAME...] | --all SPOOL)"

/* check's own long options */
enum {
	OPT_REPAIR = OPT_REBUILD_FREE,
	OPT_CHECK_ALL,
	OPT_CHECK_EXIM,
};

/* A record time more than this far ahead of now is implausible. */
#define FUTURE_SLACK	86400

static const struct option longopts[] = {
	{ "all", no_argument, NULL, OPT_CHECK_ALL },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "exim", required_argument, NULL, OPT_CHECK_EXIM },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "no-drop-privileges", no_argument, NULL, OPT_NO_DROP },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "repair", no_argument, NULL, OPT_REPAIR },
	{ NULL, 0, NULL, 0 },
};

struct checkctx {
	struct dbopts	 o;
	int64_t		 now;
	int		 verbose;
	int		 repair;	/* --repair */
	int		 no_drop;	/* --no-drop-privileges */
	const char	*db;		/* the DB being checked */
	const char	*spool;
	size_t		 problems;	/* in this DB */
	int		 damaged;	/* the file, not just records */
	int		 bad_records;	/* findings that name a key */
};

static int	usage(FILE *);
static void	problem(struct checkctx *, const uint8_t *, size_t,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static int	lock_db(struct dbh *, const char *, const char *,
		    struct checkctx *, const struct hdb_backend **,
		    struct hdb_atomic **);
static struct hdb_atomic *precopy(struct dbh *, const struct hdb_backend *,
		    struct checkctx *);
static int	open_db(struct dbh *, const struct hdb_backend *,
		    struct checkctx *);
static const char *why_layout(const uint8_t *, size_t, const char *);
static const char *lost_text(const char *);
static void	advise(struct checkctx *, const char *);
static const char *tls_check(const struct hdb_rec *, char *, size_t);
static const char *more_checks(const struct hdb_rec *, int64_t);
static void	check_rec(struct checkctx *, const uint8_t *, size_t,
		    const uint8_t *, size_t);
static void	leftovers(struct checkctx *, const char *);
static int	check_db(const char *, const char *, struct checkctx *);

static int
usage(FILE *fp)
{
	return usage_of(fp, "check", CHECK_USAGE);
}

/* problem - one finding: "DB: 'KEY': text" (key NULL: "DB: text"). */
static void
problem(struct checkctx *c, const uint8_t *key, size_t klen,
    const char *fmt, ...)
{
	va_list ap;

	c->problems++;
	c->bad_records += key != NULL;
	fputs(c->db, stdout);
	fputs(": ", stdout);
	if (key != NULL) {
		putchar('\'');
		hdb_out_vis(stdout, key, hdb_key_text_len(key, klen));
		fputs("': ", stdout);
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* read_lock - Exim's read lock on d's lockfile (none if it is missing). */
static int
read_lock(struct dbh *d, const struct checkctx *c)
{
	d->lockfd = hdb_lock_take(d->lockpath, HDB_LOCK_READ, 0,
	    c->o.lock_timeout_ms);
	if (d->lockfd == -1 && errno != ENOENT)
		return rebuild_lock_error("check", d->lockpath, 0);
	return 0;
}

/*
 * lock_db - find a DB's backend, make a first copy of it (*a: precopy) and
 * take the read lock to check it.  A file that no backend recognises is a
 * finding (*be NULL); a missing DB, a permission problem or a busy lock is
 * an error (EX_* returned).
 */
static int
lock_db(struct dbh *d, const char *spool, const char *name,
    struct checkctx *c, const struct hdb_backend **be, struct hdb_atomic **a)
{
	char *p;
	int e;

	*a = NULL;
	memset(d, 0, sizeof(*d));
	d->lockfd = -1;
	d->name = name;
	d->type = hdb_dbtype_from_name(name);
	if ((e = spool_pin(spool, "check")) != 0)
		return e;
	if ((size_t)snprintf(d->path, sizeof(d->path), "%s/db/%s", spool,
	    name) >= sizeof(d->path) || hdb_lock_path(d->lockpath,
	    sizeof(d->lockpath), spool, name) == -1) {
		warnx("check: path too long");
		return EX_USAGE_;
	}
	if ((*be = c->o.backend) == NULL && (*be = hdb_detect(d->path)) ==
	    NULL) {
		if ((e = errno) == EINVAL) {
			c->damaged = 1;
			problem(c, NULL, 0, "not a database of any known "
			    "backend (damaged header?)");
			return 0;
		}
		p = hdb_vis_dup(d->path, strlen(d->path));
		if (e == ENOENT)
			warnx("check: no such database '%s'", p);
		else
			warnx("check: cannot open '%s': %s", p, strerror(e));
		free(p);
		return e == ENOENT ? EX_NODB : EX_IOERR_;
	}
	if ((*be)->caps & HDB_CAP_LOCKS_ITSELF) {
		*a = precopy(d, *be, c);
		return 0;
	}
	/* taken and dropped first, so that a lockfile refused or a lock not
	 * granted in time ends the check before it writes anything */
	if ((e = read_lock(d, c)) != 0)
		return e;
	hdb_lock_release(d->lockfd);
	*a = precopy(d, *be, c);
	return read_lock(d, c);
}

/*
 * open_db - open the DB locked by lock_db.  A file that its backend
 * cannot open is a finding (d->h NULL, the lock released); a permission
 * problem an error.
 */
static int
open_db(struct dbh *d, const struct hdb_backend *be, struct checkctx *c)
{
	char why[256], *p;
	int e;

	d->h = hdb_open(be, d->path, HDB_O_RDONLY, 0, why, sizeof(why));
	if (d->h != NULL)
		return 0;
	e = errno;
	hdb_lock_release(d->lockfd);
	d->lockfd = -1;
	if (e == EACCES || e == ELOOP) {
		p = hdb_vis_dup(d->path, strlen(d->path));
		warnx("check: cannot open '%s': %s", p, strerror(e));
		free(p);
		return EX_IOERR_;
	}
	c->damaged = 1;
	problem(c, NULL, 0, "the %s library cannot open it: %s", be->name,
	    open_reason(why));
	return 0;
}

/*
 * why_layout - a better reason than the decoder's for a record whose
 * layout was not recognised: a v2 header with another version number.
 */
static const char *
why_layout(const uint8_t *v, size_t len, const char *why)
{
	uint32_t ver, taint;

	if (len < HDB_V2_HDR)
		return why;
	memcpy(&ver, v, sizeof(ver));
	memcpy(&taint, v + 4, sizeof(taint));
	if (ver != HDB_V2_VERSION && ver < 256 && taint <= 1 &&
	    hdb_rec_layout(v + 8, len - 8) == HDB_L_LEGACY)
		return "unknown record version (not 2)";
	return why;
}

/*
 * tls_check - the stored TLS session must decode completely.  Returns
 * NULL, or the problem (in buf).
 */
static const char *
tls_check(const struct hdb_rec *r, char *buf, size_t len)
{
	struct hdb_tls_info ti;
	int rc;

	rc = hdb_tls_decode(r->u.tls.payload, r->u.tls.payload_len, &ti);
	if (rc == -1)
		snprintf(buf, len, "tls session does not decode: %s",
		    ti.why != NULL ? ti.why : "unknown format");
	else if (rc == 1)
		snprintf(buf, len, "tls session decodes only in part: %s",
		    ti.why != NULL ? ti.why : "unknown reason");
	hdb_tls_info_clear(&ti);
	return rc == 0 ? NULL : buf;
}

/* more_checks - what hdb_rec_check leaves out; NULL if fine. */
static const char *
more_checks(const struct hdb_rec *r, int64_t now)
{
	const struct hdb_callout *co = &r->u.callout;

	if (r->time_stamp > now + FUTURE_SLACK)
		return "record time is in the future";
	switch (r->type) {
	case HDB_T_CALLOUT:
		if (r->kind != HDB_K_CALLOUT_ADDRESS &&
		    (co->postmaster_result < 0 || co->postmaster_result > 2 ||
		    co->random_result < 0 || co->random_result > 2))
			return "callout postmaster or random result out of "
			    "range";
		break;
	case HDB_T_MISC:
		if (r->kind == HDB_K_MISC_SERIALIZE && r->u.misc.count < 0)
			return "serialisation count is negative";
		break;
	case HDB_T_RATELIMIT:
		if (!isfinite(r->u.ratelimit.rate) || r->u.ratelimit.rate < 0)
			return "rate is not a number >= 0";
		if (r->u.ratelimit.time_usec < 0 ||
		    r->u.ratelimit.time_usec > 999999)
			return "microseconds out of range";
		break;
	default:
		break;
	}
	return NULL;
}

static void
check_rec(struct checkctx *c, const uint8_t *k, size_t kl, const uint8_t *v,
    size_t vl)
{
	struct hdb_rec r;
	const char *why = NULL;
	char buf[256];
	enum hdb_dbtype t = hdb_dbtype_from_name(c->db);

	if (kl == 0 || k[kl - 1] != '\0')
		problem(c, k, kl, "key lacks Exim's trailing NUL");
	if (hdb_rec_decode(t, c->o.layout, k, kl, v, vl, &r, &why) == -1) {
		if (r.layout == HDB_L_AUTO)
			why = why_layout(v, vl, why);
		problem(c, k, kl, "%s (%zu bytes)", why, vl);
		return;
	}
	if ((why = hdb_rec_check(&r)) != NULL ||
	    (why = more_checks(&r, c->now)) != NULL)
		problem(c, k, kl, "%s", why);
	if (t == HDB_T_TLS && (why = tls_check(&r, buf, sizeof(buf))) != NULL)
		problem(c, k, kl, "%s", why);
}

/*
 * leftovers - temporary directories that a killed tidy, convert or import left
 * beside the DB (atomic.h).  The next one removes them; say so meanwhile.
 */
static void
leftovers(struct checkctx *c, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX], *prefix;
	struct dirent *e;
	DIR *d;
	long pid;
	int fd;

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = hdb_pin_dirfd(dir)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	if (asprintf(&prefix, ".%s%s", slash + 1, HDB_ATOMIC_TAG) == -1) {
		closedir(d);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		pid = strtol(e->d_name + strlen(prefix), NULL, 10);
		if (pid > 0 && kill((pid_t)pid, 0) == -1 && errno == ESRCH)
			problem(c, NULL, 0, "'%s' was left by an interrupted "
			    "tidy, convert or import (the next one removes "
			    "it)",
			    e->d_name);
	}
	free(prefix);
	closedir(d);
}

/*
 * exims - could Exim or hintsdb have made this file in SPOOL/db?  A hints
 * DB's name, bare or with its lockfile's, NDBM's or SQLite's suffix, or a
 * private directory of ours (atomic.h).
 */
static int
exims(const char *file)
{
	static const char *const sfx[] = { ".lockfile", ".dir", ".pag", ".db",
		"-journal", "-wal", "-shm" };
	const char *tag;
	char name[NAME_MAX + 1];
	size_t i, len, sl;

	if (file[0] == '.') {	/* .NAME.hintsdb.PID.XXXXXX */
		if ((tag = strstr(file, HDB_ATOMIC_TAG)) == NULL ||
		    (size_t)(tag - file) > NAME_MAX)
			return 0;
		snprintf(name, sizeof(name), "%.*s", (int)(tag - file - 1),
		    file + 1);
		return hdb_dbtype_from_name(name) != HDB_T_UNKNOWN;
	}
	snprintf(name, sizeof(name), "%s", file);
	len = strlen(name);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		sl = strlen(sfx[i]);
		if (len > sl && strcmp(name + len - sl, sfx[i]) == 0) {
			name[len - sl] = '\0';
			break;
		}
	}
	return hdb_dbtype_from_name(name) != HDB_T_UNKNOWN;
}

/*
 * strangers - every file in SPOOL/db that neither Exim nor hintsdb makes,
 * as a finding of "db".  A DB_CONFIG would be read by the libdb of an Exim
 * built with Berkeley DB (hintsdb's never reads it).  Names spool_dbs
 * already warned about as unprintable are left to that warning.
 */
static void
strangers(struct checkctx *c, const char *spool)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int fd;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/db", spool) >=
	    sizeof(dir) || (fd = hdb_pin_dirfd(dir)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	c->db = "db";
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 || exims(e->d_name) ||
		    (e->d_name[0] != '.' && !db_name_plain(e->d_name)))
			continue;
		if (strcmp(e->d_name, "DB_CONFIG") == 0)
			problem(c, (const uint8_t *)e->d_name,
			    strlen(e->d_name), "Berkeley DB's configuration, "
			    "which Exim's libdb reads (it can move where "
			    "files go): remove it");
		else
			problem(c, (const uint8_t *)e->d_name,
			    strlen(e->d_name), "not a file Exim or hintsdb "
			    "makes");
	}
	closedir(d);
}

/* What is lost when a DB of this name is removed: a hints DB is a cache. */
static const char *
lost_text(const char *name)
{
	switch (hdb_dbtype_from_name(name)) {
	case HDB_T_RETRY:
		return "retry times (hosts and addresses are tried again at "
		    "once)";
	case HDB_T_WAIT:
		return "which queued messages wait for which host (queue runs "
		    "still deliver them)";
	case HDB_T_CALLOUT:
		return "cached callout results (addresses are verified again)";
	case HDB_T_RATELIMIT:
		return "rate measurements (limits count again from zero)";
	case HDB_T_SEEN:
		return "seen times (seen conditions start afresh)";
	case HDB_T_TLS:
		return "resumable TLS sessions (the next connections do full "
		    "handshakes)";
	default:
		return "ETRN and serialization state";
	}
}

/*
 * advise - after a DB's findings, what to do about them, on stderr so
 * that standard output stays one line per finding.  Damage to the file
 * needs the file gone; bad records can go one by one.
 */
static void
advise(struct checkctx *c, const char *name)
{
	char *sp = hdb_vis_dup(c->spool, strlen(c->spool));

	if (c->damaged)
		warnx("check: %s: to repair, stop Exim, move '%s/db/%s' away "
		    "(Exim makes a new one) and start Exim; a hints DB is a "
		    "cache, only %s are lost", name, sp, name,
		    lost_text(name));
	else if (c->bad_records > 0)
		warnx("check: %s: to repair, run 'hintsdb delete %s %s KEY' "
		    "for each record above (or remove the file with Exim "
		    "stopped: a hints DB is a cache, only %s are lost)", name,
		    sp, name, lost_text(name));
	free(sp);
}

/* check_db - one DB; 0 (findings counted in c) or an EX_* code. */
/*
 * unpath - msg with the copy's path (copy) put back as the DB's (path), so
 * that what a check of the copy says reads as said of the DB.
 */
static void
unpath(char *msg, size_t len, const char *copy, const char *path)
{
	char out[1024] = "";
	const char *m = msg, *p;
	size_t n;

	if (strstr(msg, copy) == NULL)
		return;
	while ((p = strstr(m, copy)) != NULL) {
		n = strlen(out);
		snprintf(out + n, sizeof(out) - n, "%.*s%s", (int)(p - m), m,
		    path);
		m = p + strlen(copy);
	}
	strlcat(out, m, sizeof(out));
	strlcpy(msg, out, len);
}

/*
 * examine - the backend's own check, then every record read: of h, the
 * DB (under the read lock) or its copy (under none).  A message that
 * names the copy names the DB instead.
 */
static void
examine(struct hdb *h, const char *copy, const char *path,
    struct checkctx *c, struct slurp *s)
{
	char msg[sizeof(h->err)];

	if (h->be->verify != NULL && hdb_verify(h) != HDB_OK) {
		c->damaged = 1;
		strlcpy(msg, hdb_error(h), sizeof(msg));
		unpath(msg, sizeof(msg), copy, path);
		problem(c, NULL, 0, "%s consistency check: %s", h->be->name,
		    msg);
	}
	if (slurp_read(s, h, 0) != HDB_OK) {
		c->damaged = 1;
		strlcpy(msg, hdb_error(h), sizeof(msg));
		unpath(msg, sizeof(msg), copy, path);
		problem(c, NULL, 0, "cannot read every record: %s", msg);
	}
}

/* no_copy - with -v, why the DB is checked under the lock. */
static void
no_copy(const struct dbh *d, const struct checkctx *c, const char *why)
{
	char *n;

	if (!c->verbose)
		return;
	n = hdb_vis_dup(why, strlen(why));
	warnx("check: %s: no copy to check (%s): checking it under the lock",
	    d->name, n);
	free(n);
}

/*
 * precopy - a private directory beside the DB and a first copy into it,
 * made without the lock, so that the copy under it (snapshot) reads and
 * writes memory (hdb_copy_db).  NULL where there can be none.
 */
static struct hdb_atomic *
precopy(struct dbh *d, const struct hdb_backend *be, struct checkctx *c)
{
	struct hdb_atomic *a;
	char err[512];

	if (!db_copy_room(d->path)) {
		no_copy(d, c, "too little free space for one");
		return NULL;
	}
	if ((a = hdb_atomic_new(d->path, err, sizeof(err))) == NULL)
		no_copy(d, c, err);
	else	/* a failure shows again under the lock */
		(void)hdb_copy_db(be, d->path, hdb_atomic_path(a), err,
		    sizeof(err));
	return a;
}

/*
 * snapshot - the DB d has locked, copied over a's first copy while Exim's
 * writers are kept out (hdb_copy_db, hdb_snapshot): Exim waits for the
 * copy, not for the check.  NULL where no copy can be made (no room,
 * SPOOL/db not writable, a backend that cannot open the file), said with
 * -v: then the check runs on the DB under the lock.
 */
static struct hdb_atomic *
snapshot(struct dbh *d, const struct hdb_backend *be, struct hdb_atomic *a,
    struct checkctx *c)
{
	struct hdb *h;
	char err[512];
	int rc = -1;

	if (a == NULL)
		return NULL;
	if (be->quiet == NULL)
		rc = hdb_copy_db(be, d->path, hdb_atomic_path(a), err,
		    sizeof(err));
	else if ((h = hdb_open(be, d->path, HDB_O_RDONLY, 0, err,
	    sizeof(err))) != NULL) {
		rc = hdb_snapshot(h, hdb_atomic_path(a), err, sizeof(err));
		hdb_close(h);
	}
	if (rc == 0)
		return a;
	hdb_atomic_free(a);
	no_copy(d, c, err);
	return NULL;
}

/* examine_copy - examine what a closes: the DB as it was, with no lock. */
static void
examine_copy(struct hdb_atomic *a, const struct hdb_backend *be,
    const char *path, struct checkctx *c, struct slurp *s)
{
	const char *copy = hdb_atomic_path(a);
	struct hdb *h;
	char why[256];

	if ((h = hdb_open(be, copy, HDB_O_RDONLY, 0, why, sizeof(why))) ==
	    NULL) {
		c->damaged = 1;
		unpath(why, sizeof(why), copy, path);
		problem(c, NULL, 0, "the %s library cannot open it: %s",
		    be->name, open_reason(why));
		slurp_init(s, copy, 0);
	} else
		examine(h, copy, path, c, s);
	hdb_close(h);
	hdb_atomic_free(a);
}

/* Why a DB was not checked, for its line on stdout (the error itself
 * went to stderr): every DB asked about has a line. */
static const char *
not_checked(int ex)
{
	switch (ex) {
	case EX_LOCKED:
		return "busy (its lock was not free in time; try again later)";
	case EX_NODB:
		return "no such database";
	case EX_NOPERM_:
	case EX_IOERR_:
		return "cannot be read (the error is above)";
	default:
		return "an error (above)";
	}
}

static int
check_db(const char *spool, const char *name, struct checkctx *c)
{
	const struct hdb_backend *be;
	struct hdb_atomic *a;
	struct dbh d;
	struct slurp s;
	size_t i;
	int ex;

	c->db = name;
	c->problems = 0;
	c->damaged = 0;
	c->bad_records = 0;
	if ((ex = lock_db(&d, spool, name, c, &be, &a)) != 0 || be == NULL) {
		hdb_atomic_free(a);
		goto out;
	}
	if ((a = snapshot(&d, be, a, c)) != NULL) {
		db_close(&d);
		hdb_testpoint();	/* tests: Exim may write from here */
		examine_copy(a, be, d.path, c, &s);
	} else if ((ex = open_db(&d, be, c)) != 0 || d.h == NULL)
		goto out;
	else {
		examine(d.h, d.path, d.path, c, &s);
		db_close(&d);
	}
	progress_begin(s.n, PROG_STDOUT, "%s: checking", name);
	for (i = 0; i < s.n; i++) {
		check_rec(c, slurp_key(&s, i), s.recs[i].klen,
		    slurp_val(&s, i), s.recs[i].vlen);
		progress_add(1);
	}
	progress_end();
	if (c->verbose && c->problems == 0)
		printf("%s: %zu record%s, no problems\n", name, s.n,
		    pl(s.n));
	slurp_free(&s);
out:
	if (ex == 0)
		leftovers(c, d.path);
	/* --repair of a damaged DB follows: advice only if it fails */
	if (ex == 0 && c->problems > 0 && !(c->repair && c->damaged))
		advise(c, name);
	if (ex != 0)
		printf("%s: not checked: %s\n", name, not_checked(ex));
	return ex;
}

static int
cmd_check_main(int argc, char **argv)
{
	struct checkctx c;
	struct exim_target t;
	const char *exim = NULL;
	char **names;
	size_t n, i, found = 0;
	int ch, ex, first = 0, fx, all = 0, have;

	memset(&c, 0, sizeof(c));
	dbopts_init(&c.o);
	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			c.verbose = 1;
			break;
		case OPT_HELP:
			return usage(stdout);
		case OPT_NO_DROP:
			c.no_drop = 1;
			break;
		case OPT_REPAIR:
			c.repair = 1;
			break;
		case OPT_CHECK_ALL:
			all = 1;
			break;
		case OPT_CHECK_EXIM:
			exim = optarg;
			break;
		case OPT_BACKEND:
		case OPT_LAYOUT:
		case OPT_LOCK_TIMEOUT:
		case OPT_NOW:
			if (dbopts_parse(&c.o, ch, optarg, "check") == 0)
				break;
			return usage(stderr);
		default:
			return usage(stderr);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (all && argc != 1))
		return usage(stderr);
	/* the installed Exim, if any: can it use what is there? */
	if ((have = plan_target("check", exim, &t)) > 1)
		return have;
	/* check writes (its copies; --repair, the DBs): root gives way to
	 * the owner of SPOOL/db first, if there is one */
	ex = 0;
	if (!c.no_drop && (ex = spool_pin(argv[0], "check")) == 0 &&
	    hdb_pin_fd() != -1)
		ex = priv_drop(argv[0], "check");
	if (ex != 0)
		return ex;
	if ((ex = spool_args("check", argc, argv, &names, &n)) != 0)
		return ex;
	if (have == 1)
		found += plan_report("check", argv[0], names, n, &t,
		    c.o.lock_timeout_ms, &first);
	c.now = clock_now(&c.o);
	c.spool = argv[0];
	for (i = 0; i < n; i++) {
		ex = check_db(argv[0], names[i], &c);
		found += c.problems;
		if (ex == 0 && c.repair && c.damaged) {
			(void)fflush(stdout);
			ex = repair_db(argv[0], names[i], &c.o, "check");
			if (ex != 0)
				advise(&c, names[i]);
		}
		if (ex != 0 && first == 0)
			first = ex;
	}
	spool_dbs_free(names, n);
	c.problems = 0;
	strangers(&c, argv[0]);
	found += c.problems;
	fx = finish_stdout("check");
	if (first != 0)
		return first;
	if (fx != 0)
		return fx;
	return found ? EX_FINDINGS : 0;
}

const struct command cmd_check_entry = {
	.name = "check",
	.usage = CHECK_USAGE,
	.summary = "look for damage in hints databases, and repair it",
	.flags = CMD_F_WRITES,
	.main = cmd_check_main,
	.longopts = longopts,
	.shortopts = "v",
};
