/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_pieces.c - reading a DB in short holds and changing it in paced
 * ones (tools/engine/pieces.c), and dropping what such a read saw twice
 * (slurp_dedupe, tools/engine/slurp.c), on real GDBM and Berkeley DB
 * files.  A budget of almost nothing ends each hold at its first look at
 * the clock, after 16 records, so the holds are exact.  Between holds
 * this file's db_open, standing in for the tool's, can delete the key the
 * hold before stopped at, or add and delete records, as Exim may.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* the code under test lives in tools/, outside the library */
#include "../../tools/engine/pieces.c"
#include "../../tools/engine/slurp.c"

#define NREC	1000
#define TINY	1e-9		/* a budget: every hold ends at 16 records */

static struct {
	const struct hdb_backend *be;
	char		 dir[64];
	char		 path[96];
	int		 opens;
	int		 del_last;	/* every third reopen: delete the
					 * last key seen */
	int		 del_all;	/* reopen: delete every key seen */
	int		 put_once;	/* second open: add a record */
	int		 grow;		/* reopen: add this many records */
	int		 shrink;	/* reopen: delete as many added ones */
	int		 gone;		/* the added ones deleted so far */
	int		 hold_recs;	/* >0: end each hold after as many */
	int		 in_hold;	/* records so far in this hold */
	int		 added;
	struct dbh	*d;
	char		 seen[NREC + 1][16];
	unsigned	 count[NREC];	/* times each k<i> was seen */
	size_t		 nseen;
	char		 last[16];
} T;

/* the tool's progress lines: none here */
void
progress_begin(uint64_t total, unsigned flags, const char *fmt, ...)
{
	(void)total;
	(void)flags;
	(void)fmt;
}

void
progress_end(void)
{
}

/* delete k, if it is still there */
static void
del_key(const char *k)
{
	struct hdb *h = hdb_open(T.be, T.path, HDB_O_RDWR, 0, NULL, 0);
	struct hdb_datum key = { (const uint8_t *)k, strlen(k) + 1 };

	assert_non_null(h);
	assert_int_not_equal(hdb_del(h, key), HDB_ERR);
	hdb_close(h);
}

static void
put_key(const char *k)
{
	struct hdb *h = hdb_open(T.be, T.path, HDB_O_RDWR, 0, NULL, 0);
	struct hdb_datum key = { (const uint8_t *)k, strlen(k) + 1 };

	assert_non_null(h);
	assert_int_equal(hdb_put(h, key, key), HDB_OK);
	hdb_close(h);
}

/* db_open of tools/common.c, minus the lockfile, plus Exim's deletes */
int
db_open(struct dbh *d, const char *spool, const char *name, int write,
    const struct dbopts *o, const char *cmd)
{
	size_t i;

	(void)spool, (void)o, (void)cmd;
	if (T.opens++ > 0 && T.del_last && T.opens % 3 == 0)
		del_key(T.last);
	if (T.opens == 2 && T.put_once)
		put_key("new");
	for (i = 0; T.opens > 1 && (int)i < T.shrink && T.gone < T.added;
	    i++) {
		char k[16];

		snprintf(k, sizeof(k), "n%d", T.gone++);
		del_key(k);
	}
	for (i = 0; T.opens > 1 && (int)i < T.grow; i++) {
		char k[16];

		snprintf(k, sizeof(k), "n%d", T.added++);
		put_key(k);
	}
	if (T.opens > 1 && T.del_all) {
		for (i = 0; i < T.nseen; i++)
			del_key(T.seen[i]);
		T.nseen = 0;
	}
	memset(d, 0, sizeof(*d));
	d->name = name;
	snprintf(d->path, sizeof(d->path), "%s", T.path);
	d->lockfd = -1;
	d->t_lock = hdb_now_ms();
	T.d = d;
	T.in_hold = 0;
	d->h = hdb_open(T.be, T.path, write ? HDB_O_RDWR : HDB_O_RDONLY, 0,
	    NULL, 0);
	return d->h == NULL ? EX_IOERR_ : 0;
}

int
db_close_sync(struct dbh *d, const char *cmd)
{
	int r = HDB_OK;

	(void)cmd;
	if (d->h->flags & HDB_O_RDWR)
		r = hdb_sync(d->h);
	db_close(d);
	return r == HDB_OK ? 0 : EX_IOERR_;
}

void
db_close(struct dbh *d)
{
	hdb_close(d->h);
	d->h = NULL;
}

/* no handle is kept between holds here: each hold opens afresh */
int
db_reopen(struct dbh *d, const char *spool, const char *name, int write,
    const struct dbopts *o, const char *cmd)
{
	return db_open(d, spool, name, write, o, cmd);
}

void
db_park(struct dbh *d)
{
	db_close(d);
}

int
db_sync(struct dbh *d, const char *cmd)
{
	(void)cmd;
	return hdb_sync(d->h) == HDB_OK ? 0 : EX_IOERR_;
}

static int
fill(const struct hdb_backend *be)
{
	struct hdb *h;
	char k[16], v[16];
	int i;

	memset(&T, 0, sizeof(T));
	T.be = be;
	strcpy(T.dir, "/tmp/pieces.XXXXXX");
	if (mkdtemp(T.dir) == NULL)
		return -1;
	snprintf(T.path, sizeof(T.path), "%s/retry", T.dir);
	h = hdb_open(be, T.path, HDB_O_RDWR | HDB_O_CREATE, 0600, NULL, 0);
	if (h == NULL)
		return -1;
	for (i = 0; i < NREC; i++) {
		struct hdb_datum key = { (uint8_t *)k, 0 }, val = {
		    (uint8_t *)v, 0 };

		key.len = (size_t)snprintf(k, sizeof(k), "k%d", i) + 1;
		val.len = (size_t)snprintf(v, sizeof(v), "v%d", i);
		if (hdb_put(h, key, val) != HDB_OK)
			return -1;
	}
	hdb_close(h);
	return 0;
}

static int
setup_gdbm(void **state)
{
	(void)state;
	return fill(&hdb_backend_gdbm);
}

static int
setup_bdb(void **state)
{
	(void)state;
	return fill(&hdb_backend_bdb);
}

static int
teardown(void **state)
{
	(void)state;
	unlink(T.path);
	return rmdir(T.dir);
}

static int
note(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	(void)ctx, (void)val;
	assert_true(key.len > 1 && key.len < sizeof(T.last));
	/* the hold's time is up: it ends at this record (a multiple of 16) */
	if (T.hold_recs > 0 && ++T.in_hold == T.hold_recs)
		T.d->t_lock -= 1e9;
	if (key.data[0] == 'n')
		return 0;
	memcpy(T.last, key.data, key.len);
	if (T.nseen < NREC)
		memcpy(T.seen[T.nseen++], key.data, key.len);
	T.count[atoi((const char *)key.data + 1)]++;
	return 0;
}

static int
scan_budget(struct scan_info *si, double budget)
{
	struct dbopts o;
	struct dbh d;

	memset(&o, 0, sizeof(o));
	hdb_pause(2 * TICK_MS);		/* else fill()'s writes are too new */
	assert_int_equal(db_open(&d, NULL, "retry", 0, &o, "test"), 0);
	return db_scan(&d, NULL, &o, "test", budget, 0, note, NULL, si);
}

static int
scan(struct scan_info *si)
{
	return scan_budget(si, TINY);
}

/* Undisturbed: every record once, in holds of 16 (GDBM: MIN_SEEN), and
 * the read knows it is exact. */
static void
test_holds(void **state)
{
	struct scan_info si;
	unsigned per = T.be->caps & HDB_CAP_ORDER_KEPT ? 16 : MIN_SEEN;
	int i;

	(void)state;
	assert_int_equal(scan(&si), 0);
	assert_int_equal(si.holds, (NREC + per - 1) / per);
	assert_false(si.inexact);
	for (i = 0; i < NREC; i++)
		assert_int_equal(T.count[i], 1);
}

/* A record added between two holds (no resume key lost): the read says
 * it may not be exact, so that its callers make sure. */
static void
test_change_seen(void **state)
{
	struct scan_info si;

	(void)state;
	T.put_once = 1;
	assert_int_equal(scan(&si), 0);
	assert_true(si.inexact);
}

/* Every third hold's resume key is deleted before the next: the one
 * before serves, so records come twice, and none that stayed is missed. */
static void
test_resume_key_gone(void **state)
{
	struct scan_info si;
	int i, twice = 0;

	(void)state;
	T.del_last = 1;
	assert_int_equal(scan(&si), 0);
	assert_true(si.inexact);
	for (i = 0; i < NREC; i++) {
		assert_true(T.count[i] >= 1);
		twice += T.count[i] > 1;
	}
	assert_true(twice >= 16);
}

/*
 * GDBM: before each hold of 480 records, 600 of the records added before
 * are deleted and 800 more added.  That moves records not yet read back
 * past the key a hold ended on, within its bucket or, when the bucket
 * splits, into the half before it.  Reading on from up to 256 records
 * back, more than a bucket holds (167 at 4 KiB), misses none of them;
 * reading on from 32-64 back, as before, missed 33 here.
 */
static void
test_churn_seen(void **state)
{
	struct scan_info si;
	int i;

	(void)state;
	T.grow = 800;
	T.shrink = 600;
	T.hold_recs = 480;
	assert_int_equal(scan_budget(&si, 1e6), 0);
	assert_true(si.inexact);
	assert_true(si.holds >= 3);
	for (i = 0; i < NREC; i++)
		assert_true(T.count[i] >= 1);
}

/*
 * Churn with holds whose time is up after 16 records, as on a loaded
 * machine or with a budget of 1 ms: a hold that read too few to keep
 * checkpoints had nowhere to go back to, and missed records.  Each now
 * reads MIN_SEEN, and goes back BACK * NCHK.
 */
static void
test_churn_short_holds(void **state)
{
	struct scan_info si;
	int i;

	(void)state;
	T.grow = 40;
	T.shrink = 30;
	T.hold_recs = 16;
	assert_int_equal(scan_budget(&si, 1e6), 0);
	assert_true(si.inexact);
	for (i = 0; i < NREC; i++)
		assert_true(T.count[i] >= 1);
}

/* Everything seen is gone at every reopen: no resume point is left, so
 * every other hold starts again from the top, and after RESTART_MAX of
 * them the read gives up, busy (75). */
static void
test_gives_up(void **state)
{
	struct scan_info si;

	(void)state;
	T.del_all = 1;
	assert_int_equal(scan(&si), EX_LOCKED);
	assert_int_equal(si.holds, 2 * (RESTART_MAX + 1));
}

/* A read that saw keys twice keeps each once: its last copy, in the
 * order read. */
static void
test_dedupe(void **state)
{
	static const char *const in[][2] = {
		{ "b", "1" }, { "a", "1" }, { "c", "1" }, { "a", "2" },
		{ "d", "1" }, { "b", "2" }, { "ab", "1" }, { "b", "3" },
	};
	static const char *const want[][2] = {
		{ "c", "1" }, { "a", "2" }, { "d", "1" }, { "ab", "1" },
		{ "b", "3" },
	};
	struct slurp s;
	size_t i;

	(void)state;
	slurp_init(&s, "/nonexistent", 0);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct hdb_datum k = { (const uint8_t *)in[i][0],
		    strlen(in[i][0]) }, v = { (const uint8_t *)in[i][1], 1 };

		assert_int_equal(slurp_add(&s, k, v), 0);
	}
	slurp_dedupe(&s);
	assert_int_equal(s.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < s.n; i++) {
		assert_int_equal(s.recs[i].klen, strlen(want[i][0]));
		assert_memory_equal(slurp_key(&s, i), want[i][0],
		    s.recs[i].klen);
		assert_memory_equal(slurp_val(&s, i), want[i][1], 1);
	}
	slurp_free(&s);
}

/* Batches of a stream: a key seen in an earlier batch or earlier in its
 * own is dropped once the DB has changed (its first copy kept), and
 * remembered always. */
static void
test_stream_dedupe(void **state)
{
	static const char *const b1[] = { "b", "a", "c" };
	static const char *const b2[] = { "a", "d", "d", "ab", "b", "e" };
	static const char *const want[] = { "d", "ab", "e" };
	struct slurp s;
	size_t i;

	(void)state;
	slurp_init(&s, NULL, 1);
	for (i = 0; i < 3; i++) {
		struct hdb_datum k = { (const uint8_t *)b1[i], 1 };

		assert_int_equal(slurp_add(&s, k, k), 0);
	}
	slurp_stream_dedupe(&s, 0);
	assert_int_equal(s.n, 3);
	slurp_empty(&s);
	for (i = 0; i < 6; i++) {
		struct hdb_datum k = { (const uint8_t *)b2[i], strlen(b2[i]) };

		assert_int_equal(slurp_add(&s, k, k), 0);
	}
	slurp_stream_dedupe(&s, 1);
	assert_int_equal(s.n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(s.recs[i].klen, strlen(want[i]));
		assert_memory_equal(slurp_key(&s, i), want[i], s.recs[i].klen);
	}
	slurp_free(&s);
}

static size_t nbatches;

static void
count_batch(void *ctx, struct slurp *s)
{
	size_t i;

	(void)ctx;
	nbatches++;
	for (i = 0; i < s->n; i++) {
		const char *k = (const char *)slurp_key(s, i);

		assert_true(s->recs[i].klen > 1 && s->recs[i].klen < 16);
		T.count[atoi(k + 1)]++;
		if (i + 1 == s->n)	/* where the next hold goes on */
			memcpy(T.last, k, s->recs[i].klen);
	}
}

/*
 * A stream of batches of about 40 records, one a hold, while every third
 * hold's resume key is deleted before the next (records come twice, as in
 * test_resume_key_gone): each record is passed on exactly once.
 */
static void
test_stream_resume_key_gone(void **state)
{
	struct dbopts o;
	struct slurp s;
	struct dbh d;
	int i;

	(void)state;
	T.del_last = 1;
	nbatches = 0;
	memset(&o, 0, sizeof(o));
	hdb_pause(2 * TICK_MS);
	assert_int_equal(db_open(&d, NULL, "retry", 0, &o, "test"), 0);
	assert_int_equal(db_slurp_stream(&d, NULL, &o, "test", 1e6, 0, &s,
	    40 * 26, count_batch, NULL), 0);
	count_batch(NULL, &s);
	slurp_free(&s);
	assert_true(nbatches >= 3);
	for (i = 0; i < NREC; i++)
		assert_int_equal(T.count[i], 1);
}

/* db_paced: what its hooks saw. */
static struct {
	size_t		 fail_at;	/* one fails here */
	size_t		 done, failed, begun, holds;
	size_t		 last_i;
	int		 kept_all;
} P;

static int
has_key(int i)
{
	struct hdb *h = hdb_open(T.be, T.path, HDB_O_RDONLY, 0, NULL, 0);
	struct hdb_datum key, val;
	char k[16];
	int r;

	assert_non_null(h);
	key.data = (const uint8_t *)k;
	key.len = (size_t)snprintf(k, sizeof(k), "k%d", i) + 1;
	r = hdb_get(h, key, &val);
	hdb_close(h);
	assert_int_not_equal(r, HDB_ERR);
	return r == HDB_OK;
}

static void
p_begin(void *ctx)
{
	(void)ctx;
	P.begun++;
}

static int
p_one(void *ctx, struct dbh *d, size_t i)
{
	struct hdb_datum key;
	char k[16];

	(void)ctx;
	if (i == P.fail_at)
		return -1;
	key.data = (const uint8_t *)k;
	key.len = (size_t)snprintf(k, sizeof(k), "k%zu", i) + 1;
	assert_int_equal(hdb_del(d->h, key), HDB_OK);
	P.done++;
	return 0;
}

static void
p_failed(void *ctx, struct dbh *d)
{
	(void)ctx;
	assert_non_null(d->h);		/* still open, to say why */
	P.failed++;
}

static void
p_done(void *ctx, size_t i, int kept)
{
	(void)ctx;
	assert_true(i > P.last_i || (i == P.last_i && i == P.fail_at));
	P.last_i = i;
	P.holds++;
	P.kept_all &= kept;
}

static int
paced(size_t n, double budget_ms, size_t fail_at)
{
	static const struct paced p = { p_begin, p_one, p_failed, p_done, 0 };
	struct dbopts o;

	memset(&o, 0, sizeof(o));
	memset(&P, 0, sizeof(P));
	P.fail_at = fail_at;
	P.kept_all = 1;
	return db_paced(NULL, "retry", 1, &o, "test", budget_ms, n, &p, NULL);
}

/* A budget of nothing: one change a hold, each hold its own open, each
 * close kept, and nothing past n touched. */
static void
test_paced_holds(void **state)
{
	int i;

	(void)state;
	assert_int_equal(paced(50, TINY, SIZE_MAX), 0);
	assert_int_equal(T.opens, 50);
	assert_int_equal(P.begun, 50);
	assert_int_equal(P.holds, 50);
	assert_int_equal(P.done, 50);
	assert_int_equal(P.last_i, 50);
	assert_int_equal(P.failed, 0);
	assert_true(P.kept_all);
	for (i = 0; i < 50; i++)
		assert_false(has_key(i));
	assert_true(has_key(50));
}

/* A budget far beyond the work: one hold. */
static void
test_paced_one_hold(void **state)
{
	(void)state;
	assert_int_equal(paced(200, 1e6, SIZE_MAX), 0);
	assert_int_equal(T.opens, 1);
	assert_int_equal(P.holds, 1);
	assert_int_equal(P.done, 200);
	assert_false(has_key(199));
}

/* A change that fails ends the run: failed hears of it while the DB is
 * open, the holds before it stand, and nothing after it is done. */
static void
test_paced_fails(void **state)
{
	int i;

	(void)state;
	assert_int_equal(paced(20, TINY, 5), EX_IOERR_);
	assert_int_equal(P.failed, 1);
	assert_int_equal(P.done, 5);
	assert_int_equal(P.last_i, 5);
	assert_int_equal(P.holds, 6);
	for (i = 0; i < 5; i++)
		assert_false(has_key(i));
	assert_true(has_key(5));
	assert_true(has_key(6));
}

static int
setup_tdb(void **state)
{
	(void)state;
	return fill(&hdb_backend_tdb);
}

static struct {
	unsigned	 begun, holds, kept_all;
} W;

static void
w_begin(void *ctx)
{
	(void)ctx;
	W.begun++;
}

/* Every record is noted; the odd k<i> go. */
static int
w_pick(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	note(ctx, key, val);
	return key.data[0] == 'k' && atoi((const char *)key.data + 1) % 2 ?
	    SWEEP_DELETE : 0;
}

static void
w_done(void *ctx, int kept)
{
	(void)ctx;
	W.holds++;
	W.kept_all &= kept;
}

static int
sweep(double budget_ms)
{
	static const struct sweep sw = { w_begin, w_pick, w_done };
	struct scan_info si;
	struct dbopts o;

	memset(&o, 0, sizeof(o));
	memset(&W, 0, sizeof(W));
	W.kept_all = 1;
	return db_sweep(NULL, "retry", &o, "test", budget_ms, &sw, NULL, &si);
}

/*
 * A sweep in holds of one record each, Exim deleting the last key seen
 * before every third: each record is handed on once (a hold goes on after
 * the last kept record, and the deleted ones are gone), the odd keys go,
 * and the even ones stay but for those Exim deleted.
 */
static void
test_sweep(void **state)
{
	int i;

	(void)state;
	T.del_last = 1;
	assert_int_equal(sweep(TINY), 0);
	assert_true(W.holds > NREC / 2);
	assert_int_equal(W.begun, W.holds);
	assert_true(W.kept_all);
	for (i = 0; i < NREC; i++) {
		assert_int_equal(T.count[i], 1);
		if (i % 2)
			assert_false(has_key(i));
	}
	assert_true(has_key(0) || has_key(2));
}

/*
 * Undisturbed, a hold that ends on a deleted record goes on after the
 * kept one before it, not from a key that is gone (which would cost a
 * hold that finds nothing): one hold a record, and one that finds the
 * end.
 */
static void
test_sweep_resumes_kept(void **state)
{
	(void)state;
	assert_int_equal(sweep(TINY), 0);
	assert_int_equal(W.holds, NREC + 1);
	assert_false(has_key(NREC - 1));
	assert_true(has_key(NREC - 2));
}

/* A generous budget: one hold does it all. */
static void
test_sweep_one_hold(void **state)
{
	int i;

	(void)state;
	assert_int_equal(sweep(1e6), 0);
	assert_int_equal(W.holds, 1);
	for (i = 0; i < NREC; i++)
		assert_int_equal(has_key(i), i % 2 == 0);
}

/* Elsewhere a delete by key costs little: the caller deletes by key. */
static void
test_sweep_unable(void **state)
{
	(void)state;
	assert_int_equal(sweep(1e6), SWEEP_UNABLE);
	assert_int_equal(W.begun, 0);
	assert_true(has_key(1));
}

/* note_fresh PINNED: is a file just written "written within a tick"? */
static int
note_fresh(int pinned)
{
	char dir[] = "/tmp/pieces.pin.XXXXXX", path[64];
	struct db_file f;
	int fd;

	assert_non_null(mkdtemp(dir));
	if (pinned)
		assert_int_equal(hdb_pin(dir), 0);
	snprintf(path, sizeof(path), "%s/retry", dir);
	fd = hdb_pin_open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	db_file_note(path, &f);
	hdb_pin_release();
	unlink(path);
	rmdir(dir);
	return f.unsure;
}

/*
 * A file just written may be written again within the same clock tick,
 * leaving its times as they were, so a look at it is unsure; in a pinned
 * spool too, whose files are read by fstatat, which a faked clock
 * (check-future) does not fake: an age taken from clock_gettime was then
 * 400 days, never recent.
 */
static void
test_note_fresh(void **state)
{
	(void)state;
	assert_true(note_fresh(0));
	assert_true(note_fresh(1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_holds, setup_gdbm,
		    teardown),
		cmocka_unit_test_setup_teardown(test_holds, setup_bdb,
		    teardown),
		cmocka_unit_test_setup_teardown(test_change_seen, setup_gdbm,
		    teardown),
		cmocka_unit_test_setup_teardown(test_change_seen, setup_bdb,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resume_key_gone,
		    setup_gdbm, teardown),
		cmocka_unit_test_setup_teardown(test_resume_key_gone,
		    setup_bdb, teardown),
		cmocka_unit_test_setup_teardown(test_gives_up, setup_bdb,
		    teardown),
		cmocka_unit_test(test_dedupe),
		cmocka_unit_test(test_stream_dedupe),
		cmocka_unit_test_setup_teardown(test_stream_resume_key_gone,
		    setup_bdb, teardown),
		cmocka_unit_test_setup_teardown(test_stream_resume_key_gone,
		    setup_gdbm, teardown),
		cmocka_unit_test(test_note_fresh),
		cmocka_unit_test_setup_teardown(test_churn_short_holds,
		    setup_gdbm, teardown),
		cmocka_unit_test_setup_teardown(test_churn_seen, setup_gdbm,
		    teardown),
		cmocka_unit_test_setup_teardown(test_paced_holds, setup_bdb,
		    teardown),
		cmocka_unit_test_setup_teardown(test_paced_holds, setup_gdbm,
		    teardown),
		cmocka_unit_test_setup_teardown(test_paced_one_hold,
		    setup_bdb, teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup_tdb,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_resumes_kept,
		    setup_tdb, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_one_hold, setup_tdb,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_unable, setup_bdb,
		    teardown),
		cmocka_unit_test_setup_teardown(test_paced_fails, setup_bdb,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
