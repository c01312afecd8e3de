/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pieces.c - a whole DB read in short read-lock holds, and changes made
 * in short write-lock holds (see pieces.h).
 */
#include <sys/stat.h>

#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "db/lock.h"
#include "db/pin.h"
#include "engine/pieces.h"
#include "engine/slurp.h"
#include "rec/convert.h"
#include "out.h"
#include "progress.h"
#include "xmalloc.h"

#define POS_KEEP	4	/* resume points kept */
#define RESTART_MAX	8	/* reads started again from the top */
#define PIECE_END	2	/* callback: the hold is over */
#define FAILED_SAID	2	/* scan.failed: a deletion, reported */
#define TICK_MS		50	/* more than the clock tick of file times */
#define BACK		32	/* records between two checkpoints (GDBM) */
#define NCHK		8	/* checkpoints kept: BACK * NCHK is more than
				 * a GDBM bucket holds (167 at 4 KiB) */
#define MIN_SEEN	(BACK * (NCHK + 1))	/* GDBM, NDBM: a hold reads
				 * this many, so that it can go back as far */

struct pos {
	uint8_t		*key;
	size_t		 len;
};

struct scan {
	struct dbh	*d;
	hdb_iter_fn	 fn;
	void		*ctx;
	double		 read_ms;	/* a hold reads this long */
	double		 budget;	/* db_scan's budget_ms */
	size_t		 seen;		/* records in this hold */
	struct pos	 pos[POS_KEEP];	/* resume points, newest last */
	int		 npos;
	int		 failed;	/* fn said no, or FAILED_SAID */
	struct db_file	 file;		/* as the last hold left it */
	int		 changed;	/* it changed between holds, or a
					 * hold fell back */
	int		 reorders;	/* a delete moves records back */
	int		 whole;		/* one hdb_scan: SQLite, any order */
	struct pos	 chk[NCHK];	/* every BACK records, the last NCHK */
	int		 nchk;		/* checkpoints in this hold */
	struct pos	 back;		/* the oldest at the hold's end */
	int		 has_back;
	/* db_sweep: write holds, whose resume point is a kept record */
	const struct sweep *sw;
	const char	*cmd;
	struct scan_info *si;
	struct hdb_pace	 pace;		/* its holds, as db_paced's */
	size_t		 ndel;		/* deletions in this hold */
	double		 t_last;	/* the last record's end */
	int		 unsynced;	/* a hold left its sync to the end */
	struct pos	 kept;		/* the hold's last kept key */
	int		 has_kept;
	/* db_slurp_stream: fn said SCAN_FULL; what empties it between holds */
	int		 full;
	void		(*drain)(void *, int changed);
};

/*
 * Did anyone write between two looks?  Every write to the file sets its
 * mtime, also through a map (a write fault on a page the writer has not
 * yet written through the same mapping), and Exim maps afresh on each
 * open.  File times move in clock ticks, so a write after a look carries
 * another time than the last one before it only if that one is older than
 * a tick at the look (recent); else we cannot tell, and that, like
 * anything else that cannot be told (no file), counts as a change.
 */
static double
age_ms(const char *path, const struct timespec *t)
{
	struct timespec now;

	if (hdb_pin_clock(path, &now) == -1)
		clock_gettime(CLOCK_REALTIME, &now);
	return (double)(now.tv_sec - t->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

/* Only a write moves mtime; ctime moves for a link too (catch-up's own). */
static int
recent(const char *path, const struct stat *st)
{
	return age_ms(path, &st->st_mtim) < TICK_MS;
}

void
db_file_note(const char *path, struct db_file *f)
{
	f->unsure = hdb_db_stat(path, &f->st) == -1 || recent(path, &f->st);
}

int
db_file_changed(const char *path, struct db_file *f)
{
	struct stat was = f->st;
	int unsure = f->unsure;

	db_file_note(path, f);
	return unsure || f->st.st_ino != was.st_ino ||
	    f->st.st_dev != was.st_dev || f->st.st_size != was.st_size ||
	    f->st.st_mtim.tv_sec != was.st_mtim.tv_sec ||
	    f->st.st_mtim.tv_nsec != was.st_mtim.tv_nsec ||
	    f->st.st_ctim.tv_sec != was.st_ctim.tv_sec ||
	    f->st.st_ctim.tv_nsec != was.st_ctim.tv_nsec;
}

static void
pos_set(struct pos *p, const uint8_t *key, size_t len)
{
	p->key = xreallocarray(p->key, len > 0 ? len : 1, 1);
	memcpy(p->key, key, len);
	p->len = len;
}

/* The key just read becomes the newest resume point. */
static void
pos_push(struct scan *s, const uint8_t *key, size_t len)
{
	struct pos p;

	if (s->npos == POS_KEEP) {
		p = s->pos[0];
		memmove(&s->pos[0], &s->pos[1], (POS_KEEP - 1) * sizeof(p));
		s->pos[POS_KEEP - 1] = p;
		s->npos--;
	}
	p = s->pos[s->npos];
	pos_set(&p, key, len);
	s->pos[s->npos++] = p;
}

/*
 * GDBM and NDBM move records that a hold has not read yet back past the
 * key it ended on: a delete fills its hole with records from further on
 * in the bucket, and an insert that splits the bucket can put the key in
 * the second of the two halves and records not yet read in the first.
 * After a change such a read goes on from the oldest checkpoint the hold
 * has, BACK * NCHK records earlier, which lies in an earlier bucket; what
 * it reads twice counts once.  So that every hold has that many, and
 * still gets on, such a hold reads MIN_SEEN records at least, however
 * slow the machine (288 GDBM records take about half a millisecond).
 */
static void
checkpoint(struct scan *s, struct hdb_datum key)
{
	if (s->seen % BACK == 0)
		pos_set(&s->chk[s->nchk++ % NCHK], key.data, key.len);
}

static void
hold_end(struct scan *s, struct hdb_datum key)
{
	const struct pos *c;

	pos_push(s, key.data, key.len);
	if ((s->has_back = s->reorders && s->nchk >= 2)) {
		c = &s->chk[s->nchk > NCHK ? s->nchk % NCHK : 0];
		pos_set(&s->back, c->key, c->len);
	}
}

/*
 * A sweep's hold ends when the next deletion and the sync of all of them
 * might not fit in the limit (hdb_pace_full), or when the walk alone has
 * used it up; checked after every record, as a deletion costs more than
 * a read.  It goes on after its last kept record: the ones it deleted
 * after that are gone.
 */
static int
swept(struct scan *s, struct hdb_datum key, int gone)
{
	size_t k = hdb_hold_records();
	double now = hdb_now_ms(), held = now - s->d->t_lock;

	if (gone) {
		s->ndel++;
		hdb_pace_op(&s->pace, now - s->t_last);
	} else {
		pos_set(&s->kept, key.data, key.len);
		s->has_kept = 1;
	}
	s->t_last = now;
	if (k > 0 ? s->seen < k :
	    held < s->pace.lim && !hdb_pace_full(&s->pace, held, s->ndel))
		return 0;
	if (s->has_kept)
		pos_push(s, s->kept.key, s->kept.len);
	return PIECE_END;
}

/* Delete the record a sweep stands on (gone already will do). */
static int
sweep_del(struct scan *s, struct hdb_datum key)
{
	char *n;

	if (hdb_del(s->d->h, key) != HDB_ERR)
		return 0;
	n = hdb_vis_dup(s->d->name, strlen(s->d->name));
	warnx("%s: cannot delete from '%s': %s", s->cmd, n,
	    hdb_error(s->d->h));
	free(n);
	s->failed = FAILED_SAID;
	return -1;
}

/* Hand the record on; end the hold once its time is up (checked every
 * 16 records: the clock is cheap, not free). */
/*
 * read_more - may a read hold go on after its seen'th record?  Until the
 * time to read (looked at every 16 records), or the test knob's count
 * (hdb_hold_records); a backend that reads in pieces of its own
 * (read_ms infinite) is left to them.  A reordering backend reads
 * MIN_SEEN records at least.
 */
static int
read_more(const struct scan *s)
{
	size_t k = hdb_hold_records();

	if (s->reorders && s->seen < MIN_SEEN)
		return 1;
	if (s->full && !s->whole)
		return 0;
	if (k > 0 && s->read_ms < 1e300)
		return s->seen < k;
	return s->seen % 16 != 0 || hdb_now_ms() - s->d->t_lock < s->read_ms;
}

static int
one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct scan *s = arg;
	int r = s->fn(s->ctx, key, val);

	if (r == SCAN_FULL && s->sw == NULL) {
		s->full = 1;
		r = 0;
	}
	if (r == SWEEP_DELETE && s->sw != NULL && sweep_del(s, key) == -1)
		return -1;
	if (r != 0 && !(r == SWEEP_DELETE && s->sw != NULL)) {
		s->failed = 1;
		return -1;
	}
	++s->seen;
	if (s->sw != NULL)
		return swept(s, key, r == SWEEP_DELETE);
	if (s->reorders)
		checkpoint(s, key);
	if (read_more(s))
		return 0;
	hold_end(s, key);
	return PIECE_END;
}

/* One hold from the newest resume point: HDB_OK at the end, PIECE_END,
 * HDB_NOTFOUND if the point is gone, HDB_ERR or -1. */
static int
hold(struct scan *s)
{
	struct hdb_datum after = { NULL, 0 };
	int changed, r;

	s->seen = 0;
	s->full = 0;
	s->nchk = 0;
	s->has_kept = 0;
	s->ndel = 0;
	s->t_last = s->d->t_lock;
	if (s->sw != NULL && s->sw->begin != NULL)
		s->sw->begin(s->ctx);
	hdb_read_budget(s->d->h, s->budget);
	if (s->whole) {
		r = hdb_scan(s->d->h, one, s, &changed);
		s->changed |= changed;
		return r;
	}
	if (s->npos > 0) {
		after.data = s->pos[s->npos - 1].key;
		after.len = s->pos[s->npos - 1].len;
	}
	return hdb_iterate_after(s->d->h, after, one, s);
}

static int
read_error(struct scan *s, const char *cmd, int r)
{
	char *n;
	int ex = EX_IOERR_;

	if (s->failed == FAILED_SAID)
		return ex;
	n = hdb_vis_dup(s->d->name, strlen(s->d->name));
	if (r == HDB_ERR)
		warnx("%s: cannot read '%s': %s", cmd, n, hdb_error(s->d->h));
	else if (r == HDB_NOTFOUND) {
		warnx("%s: '%s' changed too fast to read to the end; try "
		    "again later", cmd, n);
		ex = EX_LOCKED;
	} else
		warnx("%s: cannot read '%s': a record is too big to hold",
		    cmd, n);
	free(n);
	return ex;
}

/* The newest resume point is gone: an older one, or the top. */
static int
fall_back(struct scan *s, int *restarts)
{
	if (s->npos > 0) {
		s->npos--;
		free(s->pos[s->npos].key);
		s->pos[s->npos].key = NULL;
	}
	if (s->npos > 0 || ++*restarts <= RESTART_MAX)
		return 0;
	return -1;
}

/* Count the hold just made: SQLite's read transactions, else the lock. */
static void
held(const struct scan *s, struct scan_info *si)
{
	const struct hdb *h = s->d->h;
	double ms = hdb_now_ms() - s->d->t_lock;

	if (h->be->caps & HDB_CAP_LOCKS_ITSELF) {
		si->holds += h->pieces;
		ms = h->max_piece_ms;
	} else
		si->holds++;
	if (ms > si->max_hold_ms)
		si->max_hold_ms = ms;
	if (s->seen > si->max_hold_records)
		si->max_hold_records = s->seen;
}

/*
 * End a hold (db_park: a TDB handle stays open for the next): a sweep's
 * first syncs its deletions under the lock, unless the file is synced
 * once after the last hold (hdb_sync_late), and its hook then hears
 * whether they were written.  0, or an EX_* code after a diagnostic.
 */
static int
hold_close(struct scan *s)
{
	double t, t_lock = s->d->t_lock;
	int ex = 0;

	if (s->sw == NULL) {
		db_park(s->d);
		return 0;
	}
	t = hdb_now_ms();
	if (s->ndel > 0 && hdb_sync_late(s->d->h))
		s->unsynced = 1;
	else if (s->ndel > 0)
		ex = db_sync(s->d, s->cmd);
	db_park(s->d);
	if (s->ndel > 0)
		hdb_pace_flushed(&s->pace, hdb_now_ms() - t, s->ndel);
	if (hdb_now_ms() - t_lock > s->si->max_hold_ms)
		s->si->max_hold_ms = hdb_now_ms() - t_lock;
	if (s->sw->done != NULL)
		s->sw->done(s->ctx, ex == 0);
	return ex;
}

/*
 * The one sync of a sweep whose holds left it to the end, outside any
 * lock, through the parked handle: every change is in the shared file
 * already, so this only makes them durable.
 */
static int
late_sync(struct scan *s)
{
	struct dbh *d = s->d;
	char *n;

	if (!s->unsynced || d->park.h == NULL || hdb_sync(d->park.h) == HDB_OK)
		return 0;
	n = hdb_vis_dup(d->name, strlen(d->name));
	warnx("%s: cannot write '%s': %s", s->cmd, n, hdb_error(d->park.h));
	free(n);
	return EX_IOERR_;
}

/* The holds of db_scan and db_sweep; s->d is left open after a hold
 * that ended the read or failed it. */
static int
scan_loop(struct scan *s, const char *spool, const struct dbopts *o,
    const char *cmd, double budget, struct scan_info *si)
{
	const struct hdb_backend *be = s->d->h->be;
	int r, ex, moved, restarts = 0, write = s->sw != NULL;

	for (;;) {
		r = hold(s);
		held(s, si);
		if (r == HDB_ERR || s->failed ||
		    (r == HDB_NOTFOUND && fall_back(s, &restarts) == -1))
			return read_error(s, cmd, r);
		if (r == HDB_OK)
			return 0;
		db_file_note(s->d->path, &s->file);
		moved = r == HDB_NOTFOUND;
		if ((ex = hold_close(s)) != 0)
			return ex;
		if (s->drain != NULL && s->full)
			s->drain(s->ctx, s->changed);	/* unlocked */
		hdb_pause_for_writers(be, budget);
		if ((ex = db_reopen(s->d, spool, s->d->name, write, o, cmd)) !=
		    0)
			return ex;
		/* a sweep's own deletions change the file */
		if (!moved && (write || !db_file_changed(s->d->path, &s->file)))
			continue;
		s->changed = 1;
		if (r != HDB_NOTFOUND && s->has_back)
			pos_push(s, s->back.key, s->back.len);
	}
}

static void
scan_free(struct scan *s)
{
	int i;

	for (i = 0; i < POS_KEEP; i++)
		free(s->pos[i].key);
	for (i = 0; i < NCHK; i++)
		free(s->chk[i].key);
	free(s->back.key);
}

static int
scan_drained(struct dbh *d, const char *spool, const struct dbopts *o,
    const char *cmd, double budget_ms, unsigned flags, hdb_iter_fn fn,
    void (*drain)(void *, int), void *ctx, struct scan_info *si)
{
	const struct hdb_backend *be = d->h->be;
	struct scan s;
	int ex;

	memset(si, 0, sizeof(*si));
	memset(&s, 0, sizeof(s));
	s.d = d;
	s.fn = fn;
	s.drain = drain;
	s.ctx = ctx;
	s.budget = budget_ms;
	/* SQLite pieces its reads itself: a hold with no end here */
	s.read_ms = be->caps & HDB_CAP_LOCKS_ITSELF ? 1e300 :
	    budget_ms * 0.65;
	s.reorders = !(be->caps & HDB_CAP_ORDER_KEPT);
	s.whole = (be->caps & HDB_CAP_LOCKS_ITSELF) &&
	    (flags & SCAN_ANY_ORDER);
	ex = scan_loop(&s, spool, o, cmd, budget_ms, si);
	si->inexact = s.changed;
	db_close(d);
	scan_free(&s);
	return ex;
}

int
db_scan(struct dbh *d, const char *spool, const struct dbopts *o,
    const char *cmd, double budget_ms, unsigned flags, hdb_iter_fn fn,
    void *ctx, struct scan_info *si)
{
	return scan_drained(d, spool, o, cmd, budget_ms, flags, fn, NULL, ctx,
	    si);
}

int
db_sweep(const char *spool, const char *name, const struct dbopts *o,
    const char *cmd, double budget_ms, const struct sweep *sw, void *ctx,
    struct scan_info *si)
{
	struct scan s;
	struct dbh d;
	int ex, ex2;

	memset(si, 0, sizeof(*si));
	if ((ex = db_open(&d, spool, name, 1, o, cmd)) != 0)
		return ex;
	if (!(d.h->be->caps & HDB_CAP_DEL_IN_ITER)) {
		db_close(&d);
		return SWEEP_UNABLE;
	}
	memset(&s, 0, sizeof(s));
	s.d = &d;
	s.fn = sw->pick;
	s.ctx = ctx;
	s.budget = budget_ms;
	hdb_pace_init(&s.pace, d.h->be, budget_ms);
	s.sw = sw;
	s.cmd = cmd;
	s.si = si;
	ex = scan_loop(&s, spool, o, cmd, budget_ms, si);
	if (d.h != NULL && (ex2 = hold_close(&s)) != 0 && ex == 0)
		ex = ex2;
	if ((ex2 = late_sync(&s)) != 0 && ex == 0)
		ex = ex2;
	db_close(&d);
	si->inexact = s.changed;
	scan_free(&s);
	free(s.kept.key);
	return ex;
}

int
db_slurp(struct dbh *d, const char *spool, const struct dbopts *o,
    const char *cmd, double budget_ms, unsigned flags, struct slurp *s)
{
	struct scan_info si;
	char *n = hdb_vis_dup(d->name, strlen(d->name));
	int ex;

	slurp_init(s, d->path, (flags & SCAN_KEYS) != 0);
	progress_begin(0, 0, "%s: reading", n);
	free(n);
	ex = db_scan(d, spool, o, cmd, budget_ms, flags, slurp_add, s, &si);
	progress_end();		/* the caller's output may follow */
	if (ex != 0)
		slurp_free(s);
	else if (si.inexact)
		slurp_dedupe(s);
	return ex;
}

/* db_slurp_stream's batches: what it drains, to whom. */
struct stream {
	struct slurp	*s;
	void		(*drain)(void *, struct slurp *);
	void		*ctx;
	int		 dups;		/* SCAN_DUPS */
};

static int
stream_add(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct stream *st = arg;

	return slurp_add(st->s, key, val);
}

static void
stream_drain(void *arg, int changed)
{
	struct stream *st = arg;

	st->s->changed |= changed;
	if (!st->dups)
		slurp_stream_dedupe(st->s, changed);
	st->drain(st->ctx, st->s);
	slurp_empty(st->s);
}

int
db_slurp_stream(struct dbh *d, const char *spool, const struct dbopts *o,
    const char *cmd, double budget_ms, unsigned flags, struct slurp *s,
    size_t limit, void (*drain)(void *, struct slurp *), void *ctx)
{
	struct scan_info si;

	return db_slurp_stream_info(d, spool, o, cmd, budget_ms, flags, s,
	    limit, drain, ctx, &si);
}

int
db_slurp_stream_info(struct dbh *d, const char *spool,
    const struct dbopts *o, const char *cmd, double budget_ms,
    unsigned flags, struct slurp *s, size_t limit,
    void (*drain)(void *, struct slurp *), void *ctx, struct scan_info *si)
{
	struct stream st = { s, drain, ctx, (flags & SCAN_DUPS) != 0 };
	char *n = hdb_vis_dup(d->name, strlen(d->name));
	int ex;

	/* a batch, not the file: address space is what ulimit -v counts */
	slurp_init(s, NULL, (flags & SCAN_KEYS) != 0);
	slurp_plain_pages(s);
	s->limit = limit;
	progress_begin(0, 0, "%s: reading", n);
	free(n);
	ex = scan_drained(d, spool, o, cmd, budget_ms, flags, stream_add,
	    stream_drain, &st, si);
	progress_end();
	if (ex != 0)
		slurp_free(s);
	else {
		s->changed |= si->inexact;
		if (!st.dups)
			slurp_stream_dedupe(s, si->inexact);
	}
	return ex;
}

/* One hold of db_paced, from *i on; -1 if one failed. */
static int
paced_hold(struct dbh *d, struct hdb_pace *pace, size_t *i, size_t n,
    const struct paced *p, void *ctx)
{
	size_t done;
	double t;
	int fail;

	fail = (p->txn ? hdb_tdb_txn(d->h, HDB_TXN_BEGIN) :
	    hdb_tdb_lockall(d->h, 1)) == HDB_ERR;
	for (done = 0; !fail && *i < n; ++*i, done++) {
		t = hdb_now_ms();
		if (hdb_pace_full(pace, t - d->t_lock, done))
			break;
		fail = p->one(ctx, d, *i) == -1;
		if (fail)
			break;
		hdb_pace_op(pace, hdb_now_ms() - t);
	}
	if (!p->txn && hdb_tdb_lockall(d->h, 0) == HDB_ERR)
		fail = 1;
	if (fail && p->failed != NULL)
		p->failed(ctx, d);
	if (fail && p->txn)
		(void)hdb_tdb_txn(d->h, HDB_TXN_CANCEL);
	return fail ? -1 : 0;
}

int
db_paced(const char *spool, const char *name, int write,
    const struct dbopts *o, const char *cmd, double budget_ms, size_t n,
    const struct paced *p, void *ctx)
{
	const struct hdb_backend *be = NULL;
	struct hdb_pace pace;
	struct dbh d;
	size_t i = 0, from;
	double tc;
	int ex, fail, lost;

	while (i < n) {
		if ((ex = db_open(&d, spool, name, write, o, cmd)) != 0)
			return ex;
		if (be != d.h->be)
			hdb_pace_init(&pace, be = d.h->be, budget_ms);
		if (p->begin != NULL)
			p->begin(ctx);
		from = i;
		fail = paced_hold(&d, &pace, &i, n, p, ctx);
		/* the commit's fsyncs are the hold's flush (hdb_pace) */
		tc = hdb_now_ms();
		lost = 0;
		if (p->txn && !fail &&
		    hdb_tdb_txn(d.h, HDB_TXN_COMMIT) == HDB_ERR) {
			if (p->failed != NULL)
				p->failed(ctx, &d);
			lost = 1;
		}
		lost |= db_close_sync(&d, cmd) != 0;
		hdb_pace_flushed(&pace, hdb_now_ms() - tc, i - from);
		if (p->done != NULL)
			p->done(ctx, i, !lost);
		if (fail || lost)
			return EX_IOERR_;
		if (i < n)
			hdb_pause_for_writers(be, budget_ms);
	}
	return 0;
}
