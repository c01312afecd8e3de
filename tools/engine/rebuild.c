/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rebuild.c - lock, write and swap in a whole new hints DB (see rebuild.h).
 *
 * In place, Exim's write lock is held from before the old DB is read until
 * after the new one is renamed over it, so no Exim process can write in
 * between and have its update lost; upgrade, which runs with Exim
 * stopped, works so.  Live (convert --in-place, import), the lock is held
 * only for the rename, and the catch-up (catchup.h) carries over what
 * Exim wrote meanwhile: an Exim waits milliseconds, not the whole build.
 * SQLite DBs have no lockfile in Exim; we still take NAME.lockfile, which
 * keeps two hintsdb runs apart, but an Exim writer is not excluded (see
 * hintsdb-convert(8)).
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/atomic.h"
#include "argcheck.h"
#include "commands.h"
#include "db/lock.h"
#include "out.h"
#include "db/pin.h"
#include "priv.h"
#include "engine/rebuild.h"
#include "progress.h"
#include "engine/pieces.h"

static int	usage(FILE *, const struct command *);
static int	shared_opt(struct rebuild_opts *, int, const char *,
		    const struct command *);
static int	like_spool(const struct rebuild *, struct stat *);

static int
usage(FILE *fp, const struct command *cmd)
{
	if (fp == stderr)
		return usage_short(cmd->usage);
	fprintf(fp, "usage: %s\n", cmd->usage);
	return fp == stdout ? finish_stdout(cmd->name) : EX_USAGE_;
}

void
rebuild_opts_init(struct rebuild_opts *o)
{
	memset(o, 0, sizeof(*o));
	dbopts_init(&o->db);
	o->schema = -1;
}

/*
 * shared_opt - one option both commands take: 0 if taken, 1 if not one
 * of them, or an exit code (-1 after --help).  getopt gives --layout only
 * to a command that lists it.
 */
static int
shared_opt(struct rebuild_opts *o, int ch, const char *arg,
    const struct command *cmd)
{
	static const char *const schemas[] = { "tblblob", "tbl", NULL };
	int s;

	switch (ch) {
	case 'v':
		o->verbose = 1;
		return 0;
	case OPT_DROP_BAD:
		o->drop_bad = 1;
		return 0;
	case OPT_HELP:
		return usage(stdout, cmd) == 0 ? -1 : EX_IOERR_;
	case OPT_NO_DROP:
		o->no_drop = 1;
		return 0;
	case OPT_SQLITE_SCHEMA:
		if ((s = pick(arg, schemas)) == -1) {
			warnx("%s: unknown SQLite schema '%s' (tbl, tblblob)",
			    cmd->name, arg);
			return EX_USAGE_;
		}
		o->schema = s == 1 ? HDB_O_SQLITE_TBL : 0;
		return 0;
	case OPT_BACKEND:
	case OPT_LAYOUT:
	case OPT_LOCK_TIMEOUT:
		if (ch == OPT_LAYOUT)
			o->layout_set = 1;
		if (dbopts_parse(&o->db, ch, arg, cmd->name) == 0)
			return 0;
		return usage(stderr, cmd);
	default:
		return 1;
	}
}

int
rebuild_args(struct rebuild_opts *o, int argc, char **argv,
    const struct option *longopts, const struct command *cmd,
    rebuild_opt_fn *own, void *ctx)
{
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		rc = shared_opt(o, ch, optarg, cmd);
		if (rc == 1 && own != NULL)
			rc = own(ctx, ch, optarg);
		if (rc == 1)
			return usage(stderr, cmd);
		if (rc != 0)
			return rc;
	}
	if (argc - optind != (o->all ? 1 : 2))
		return usage(stderr, cmd);
	return 0;
}

void
rebuild_spec_init(struct rebuild_spec *sp, const struct rebuild_opts *o,
    const char *name)
{
	memset(sp, 0, sizeof(*sp));
	sp->be = o->db.backend;
	sp->type = hdb_dbtype_from_name(name);
	sp->layout = o->db.layout;
	sp->drop_bad = o->drop_bad;
	sp->lock_timeout_ms = o->db.lock_timeout_ms;
}

int
rebuild_lock_error(const char *cmd, const char *lockpath, int write)
{
	char *p = hdb_vis_dup(lockpath, strlen(lockpath));
	int e = errno;

	if (e == ETIMEDOUT || e == EAGAIN)
		warnx("%s: cannot %s-lock '%s': %s", cmd,
		    write ? "write" : "read", p,
		    e == ETIMEDOUT ? "timed out" : "lock is busy");
	else if (e == ELOOP)
		warnx("%s: refusing symlinked lockfile '%s'", cmd, p);
	else if (e == EINVAL || e == EISDIR)
		warnx("%s: refusing lockfile '%s': not a regular file", cmd, p);
	else
		warnx("%s: cannot open lockfile '%s': %s", cmd, p,
		    strerror(e));
	free(p);
	return e == ETIMEDOUT || e == EAGAIN ? EX_LOCKED : EX_IOERR_;
}

void
rebuild_report(void *cmd, struct hdb_datum key, int what, const char *why)
{
	char *k = hdb_vis_dup(key.data, hdb_key_text_len(key.data, key.len));

	if (what == HDB_CONV_DROPPED)
		warnx("%s: dropped record '%s': %s", (const char *)cmd, k, why);
	else
		warnx("%s: cannot convert record '%s': %s", (const char *)cmd,
		    k, why);
	free(k);
}

static int
add_key(void *ks, struct hdb_datum key, struct hdb_datum val)
{
	(void)val;
	keyset_add(ks, key);
	return 0;
}

/*
 * snapshot - the keys of the DB being replaced, read in pieces: a live
 * import deletes the ones Exim deletes while it runs (catchup.h).
 */
static int
snapshot(struct rebuild *rb, const char *name)
{
	struct scan_info si;
	struct dbopts o;
	struct dbh d;
	int ex;

	if (hdb_db_files(rb->target) == 0)
		return 0;
	dbopts_init(&o);
	o.lock_timeout_ms = rb->lock_timeout_ms;
	if ((ex = db_open(&d, rb->spool, name, 0, &o, rb->cmd)) != 0)
		return ex;
	ex = db_scan(&d, rb->spool, &o, rb->cmd, SCAN_BUDGET_MS,
	    SCAN_ANY_ORDER, add_key, &rb->before, &si);
	keyset_seal(&rb->before);
	return ex;
}

/* recover - the catch-up of a run killed after its rename (catchup.h). */
static void
recover(const struct rebuild *rb, const char *name)
{
	struct dbopts o;

	dbopts_init(&o);
	o.lock_timeout_ms = rb->lock_timeout_ms;
	(void)catchup_recover(rb->spool, name, rb->cmd, &o);
}

int
rebuild_begin(struct rebuild *rb, const char *cmd, const char *spool,
    const char *name, const struct rebuild_spec *sp)
{
	char err[512], *p;
	int n;

	memset(rb, 0, sizeof(*rb));
	rb->cmd = cmd;
	rb->spool = spool;
	rb->lockfd = -1;
	rb->replace = spool != NULL;
	rb->live = rb->replace && sp->live;
	rb->from_old = sp->from_old;
	rb->lock_timeout_ms = sp->lock_timeout_ms;
	/* the new DB's backend may be one Exim uses no lockfile for */
	rb->no_lockfile = sp->no_lockfile || (sp->be != NULL &&
	    (sp->be->caps & (HDB_CAP_LOCKS_ITSELF |
	    HDB_CAP_LOCKFILE_IF_THERE)));
	rb->oflags = sp->oflags;
	rb->rename = sp->rename;
	rb->own_written = sp->own_written;
	rb->t0 = (int64_t)time(NULL);
	rb->cu.type = sp->type;
	if (spool != NULL) {
		n = snprintf(rb->target, sizeof(rb->target), "%s/db/%s", spool,
		    name);
		if (n >= 0 && (size_t)n < sizeof(rb->target))
			n = hdb_lock_path(rb->lockpath, sizeof(rb->lockpath),
			    spool, name);
	} else
		n = snprintf(rb->target, sizeof(rb->target), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(rb->target)) {
		warnx("%s: path too long", cmd);
		return EX_USAGE_;
	}
	if (rb->replace && (n = spool_pin(spool, cmd)) != 0)
		return n;
	p = hdb_vis_dup(rb->target, strlen(rb->target));
	if (!rb->replace && hdb_db_files(rb->target) != 0) {
		warnx("%s: '%s' exists", cmd, p);
		free(p);
		return EX_USAGE_;
	}
	if (rb->replace && !rb->live) {
		if (!rb->no_lockfile)
			priv_make_lockfile(spool, rb->lockpath);
		rb->lockfd = hdb_lock_take(rb->lockpath, HDB_LOCK_WRITE, 0,
		    sp->lock_timeout_ms);
		if (rb->lockfd == -1 && !(rb->no_lockfile &&
		    errno == ENOENT)) {
			free(p);
			return rebuild_lock_error(cmd, rb->lockpath, 1);
		}
	}
	if (rb->live && !rb->from_old && (n = snapshot(rb, name)) != 0) {
		free(p);
		return n;
	}
	if (rb->replace)
		recover(rb, name);
	if (hdb_atomic_sweep(rb->target, err, sizeof(err)) == -1)
		warnx("%s: cannot remove leftovers of '%s': %s", cmd, p, err);
	/* before the build reads it, after the sweep unlinked any old link
	 * to it (which moves its ctime): see swap */
	if (rb->live && rb->from_old)
		db_file_note(rb->target, &rb->note);
	rb->w = hdb_writer_new(rb->target, sp->be, sp->oflags |
	    (sp->inorder ? HDB_O_INORDER : 0), sp->type,
	    sp->layout, sp->drop_bad, sp->expect != 0 ? sp->expect :
	    rb->replace ? rebuild_guess(rb->target) : 0, err, sizeof(err));
	if (rb->w == NULL) {
		warnx("%s: cannot write '%s': %s", cmd, p, err);
		free(p);
		return EX_IOERR_;
	}
	free(p);
	/* the source's records are counted by the iteration hook */
	progress_begin(0, 0, "%s: copying", strrchr(name, '/') != NULL ?
	    strrchr(name, '/') + 1 : name);
	return 0;
}

/* Records run 100-300 bytes in every backend's files. */
size_t
rebuild_guess(const char *path)
{
	struct stat st;

	if (hdb_db_stat(path, &st) == -1 || st.st_size <= 0)
		return 0;
	return (size_t)st.st_size / 200;
}

/*
 * like_spool - owner and mode for a DB that did not exist: Exim's 0640,
 * owned like SPOOL/db when we are root (Exim could not open a root-owned
 * file).
 */
static int
like_spool(const struct rebuild *rb, struct stat *st)
{
	if (geteuid() != 0 || hdb_pin_fd() == -1 ||
	    fstat(hdb_pin_fd(), st) == -1)
		return -1;
	st->st_mode = (st->st_mode & ~07777) | 0640;
	return 0;
}

int
rebuild_put(struct rebuild *rb, struct hdb_datum key, struct hdb_datum val,
    const char **why)
{
	int rc = hdb_writer_put(rb->w, key, val, why);

	if (!rb->live || (rc != HDB_CONV_KEPT && rc != HDB_CONV_REENCODED))
		return rc;
	if (!rb->own_written)
		keyset_add(&rb->written, key);
	if (catchup_stamp(val) >= rb->t0)
		keyset_add_rec(&rb->copies, key, hdb_writer_stored(rb->w));
	return rc;
}

void
rebuild_set_written(struct rebuild *rb, uint64_t *h, size_t n, size_t cap)
{
	keyset_free(&rb->written);
	rb->written.h = h;
	rb->written.n = n;
	rb->written.cap = cap;
}

/* commit_error - report a failed commit; EX_IOERR_. */
static int
commit_error(const struct rebuild *rb, const char *why)
{
	char *p = hdb_vis_dup(rb->target, strlen(rb->target));

	if (hdb_writer_replaced(rb->w))
		warnx("%s: '%s': %s", rb->cmd, p, why);
	else
		warnx("%s: '%s' left as it was: %s", rb->cmd, p, why);
	free(p);
	return EX_IOERR_;
}

/* swap - under the write lock: keep a link to the old DB, rename. */
static int
swap(struct rebuild *rb, struct hdb_atomic *old, int *had)
{
	struct stat st, *like = NULL;
	char err[512];

	if (!rb->no_lockfile)
		priv_make_lockfile(rb->spool, rb->lockpath);
	rb->lockfd = hdb_lock_take(rb->lockpath, HDB_LOCK_WRITE, 0,
	    rb->lock_timeout_ms);
	if (rb->lockfd == -1 && !(rb->no_lockfile && errno == ENOENT))
		return rebuild_lock_error(rb->cmd, rb->lockpath, 1);
	rb->t_locked = hdb_now_ms();	/* the hold begins */
	/*
	 * A file that nobody wrote since the build began to read it (its
	 * inode, size, mtime and ctime the same, and not written within a
	 * tick of the clock that stamps files then: pieces.h) was read whole
	 * and exactly: there is nothing to carry over, and the rename leaves
	 * no window in which a killed run could lose a write.
	 */
	rb->quiet = rb->from_old && !db_file_changed(rb->target, &rb->note);
	if ((*had = hdb_atomic_link_old(old, err, sizeof(err))) == -1)
		return commit_error(rb, err);
	if (hdb_db_stat(rb->target, &st) == 0 || like_spool(rb, &st) == 0)
		like = &st;
	rb->cu.t_swap = (int64_t)time(NULL);
	/* for the next run, should this one die before its catch-up ends */
	if (*had == 0 && !rb->quiet)
		(void)catchup_save_times(&rb->cu, old);
	if (hdb_writer_commit(rb->w, like, 1, err, sizeof(err)) == -1)
		return commit_error(rb, err);
	/* the catch-up's holds need not check the file we made (hdb.h) */
	if (hdb_db_stat(rb->target, &rb->made) == 0)
		hdb_bdb_own(&rb->made, 1);
	return 0;
}

/* cu_setup - the catch-up's part of rb; o is its dbopts. */
static void
cu_setup(struct rebuild *rb, struct dbopts *o)
{
	dbopts_init(o);
	o->lock_timeout_ms = rb->lock_timeout_ms;
	rb->cu.spool = rb->spool;
	rb->cu.name = strrchr(rb->target, '/') + 1;
	rb->cu.cmd = rb->cmd;
	rb->cu.o = o;
	rb->cu.to = hdb_writer_layout(rb->w);
	rb->cu.t0 = rb->t0;
	rb->cu.from_old = rb->from_old;
	rb->cu.before = rb->from_old ? NULL : &rb->before;
	rb->cu.copies = &rb->copies;
	rb->cu.budget_ms = rb->budget_ms > 0 ? rb->budget_ms : SCAN_BUDGET_MS;
	rb->cu.written = &rb->written;
}

/*
 * writes_into - whether the new DB goes into the old file rather than
 * over it: Exim opens it without a lockfile (SQLite; tdb from 4.99, and
 * on tdb it is as safe for the older ones), it has the new one's backend
 * and SQLite schema, and it is the only file of its name.
 */
static int
writes_into(const struct rebuild *rb)
{
	const struct hdb_backend *be = hdb_detect(rb->target);

	/* an NDBM pair left beside it by a killed run goes with a rename */
	if (rb->rename || be == NULL || be != hdb_writer_backend(rb->w) ||
	    hdb_db_files(rb->target) != 1)
		return 0;
	if (be == &hdb_backend_sqlite)
		return hdb_sqlite_flags(rb->target) == rb->oflags;
	return be == &hdb_backend_tdb;
}

/*
 * live_commit - finish the new DB unlocked, rename it under the write
 * lock, then carry over Exim's writes to the old one; or write it into
 * the old one (writes_into).
 */
static int
live_commit(struct rebuild *rb)
{
	struct hdb_atomic *old;
	struct dbopts o;
	char err[512];
	int ex, had = 1;

	progress_begin(hdb_writer_stats(rb->w)->kept +
	    hdb_writer_stats(rb->w)->reencoded, 0, "%s: verifying",
	    strrchr(rb->target, '/') + 1);
	ex = hdb_writer_finish(rb->w, err, sizeof(err));
	progress_end();
	if (ex == -1)
		return commit_error(rb, err);
	keyset_seal(&rb->written);
	keyset_seal(&rb->copies);
	if (writes_into(rb)) {
		rb->into = 1;
		cu_setup(rb, &o);
		if ((ex = catchup_into(&rb->cu, hdb_writer_path(rb->w))) != 0)
			warnx("%s: '%s' was not all written", rb->cmd,
			    rb->cu.name);
		return ex;
	}
	if ((old = hdb_atomic_new(rb->target, err, sizeof(err))) == NULL)
		return commit_error(rb, err);
	cu_setup(rb, &o);
	/* catchup_recover's, before the lock: best effort */
	(void)catchup_save_keys(&rb->cu, old);
	ex = swap(rb, old, &had);
	if (rb->t_locked > 0)
		rb->swap_ms = hdb_now_ms() - rb->t_locked;
	hdb_lock_release(rb->lockfd);
	rb->lockfd = -1;
	if (ex == 0 && had == 0 && !rb->quiet) {
		if ((ex = catchup_run(&rb->cu, hdb_atomic_path(old))) != 0)
			warnx("%s: '%s' was replaced, but what Exim wrote to "
			    "it meanwhile was not all carried over", rb->cmd,
			    rb->cu.name);
	}
	hdb_bdb_own(&rb->made, 0);
	hdb_atomic_free(old);
	return ex;
}

int
rebuild_commit(struct rebuild *rb)
{
	struct stat st, *like = NULL;
	char err[512];
	int rc = 0;

	if (rb->live)
		return live_commit(rb);
	if (rb->replace) {
		if (hdb_db_stat(rb->target, &st) == 0 || like_spool(rb, &st) == 0)
			like = &st;
	}
	/* the commit reads the new DB through to count it */
	progress_begin(hdb_writer_stats(rb->w)->kept +
	    hdb_writer_stats(rb->w)->reencoded, 0, "%s: verifying",
	    strrchr(rb->target, '/') != NULL ? strrchr(rb->target, '/') + 1 :
	    rb->target);
	if (hdb_writer_commit(rb->w, like, rb->replace, err, sizeof(err)) ==
	    -1)
		rc = commit_error(rb, err);
	progress_end();
	return rc;
}

void
rebuild_print_catchup(const struct rebuild *rb)
{
	if (rb->into)
		printf("%s: written into the file in place: %zu records "
		    "written and %zu deleted; %zu that Exim wrote or deleted "
		    "meanwhile kept\n", strrchr(rb->target, '/') + 1,
		    rb->cu.put, rb->cu.deleted, rb->cu.newer);
	else if (rb->live)
		printf("%s: carried over from Exim: %zu written and %zu "
		    "deleted meanwhile; %zu written after the switch kept\n",
		    strrchr(rb->target, '/') + 1, rb->cu.put,
		    rb->cu.deleted, rb->cu.newer);
	if (rb->live)
		printf("%s: %u write hold%s to catch up, %zu of them reading "
		    "the whole file first; longest %.1f ms, the switch's "
		    "%.1f ms\n", strrchr(rb->target, '/') + 1,
		    rb->cu.holds, rb->cu.holds == 1 ? "" : "s",
		    rb->cu.checked, rb->cu.max_hold_ms, rb->swap_ms);
}

void
rebuild_end(struct rebuild *rb)
{
	hdb_writer_free(rb->w);
	rb->w = NULL;
	keyset_free(&rb->written);
	keyset_free(&rb->before);
	keyset_free(&rb->copies);
	hdb_lock_release(rb->lockfd);
	rb->lockfd = -1;
}
