/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hdb-test.c - test-only tool on lib/ that makes hints DBs for the tests:
 * copies of real fixtures in other backends and layouts, records aged by a
 * given number of seconds or to a given age, and raw records with any bytes.
 *
 *   hdb-test copy SRC TYPE DST BACKEND LAYOUT [sqlite-tbl]
 *   hdb-test age DB TYPE SECONDS          shift every time in every record
 *   hdb-test restamp DB TYPE AGE          likewise, to make the newest AGE old
 *   hdb-test put DB BACKEND KEYHEX VALHEX  raw record (created if missing)
 *   hdb-test del DB KEYHEX
 *   hdb-test gen DB BACKEND TYPE N SEED NOW [PAYLOAD...]
 *                                   N synthetic legacy records (make bench)
 *   hdb-test writer DB SECONDS SEED NKEYS LOG [churn] [paced]
 *                                   [nolock | txn | keeptxn] [id=N]
 *                                   [stop=FILE]
 *                                   act as Exim on a retry DB
 *   hdb-test sqlwriter DB ID NKEYS LOG STOPFILE [keep] [legacy | v2]
 *                                   act as Exim 4.100.1 on a SQLite retry DB
 *
 * It takes no locks (but writer): it works on scratch copies only.
 */
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <openssl/ssl.h>

#include <sqlite3.h>
#include <tdb.h>

#include "db/hdb.h"
#include "rec/rec.h"
#include "xmalloc.h"

struct copyctx {
	struct hdb	*dst;
	enum hdb_dbtype	 type;
	enum hdb_layout	 layout;
	int64_t		 shift;
	int		 bad;
};

static struct hdb *
open_or_die(const struct hdb_backend *be, const char *path, int flags)
{
	char why[256];
	struct hdb *h = hdb_open(be, path, flags, 0640, why, sizeof(why));

	if (h == NULL)
		errx(2, "cannot open %s: %s", path, why);
	return h;
}

static const struct hdb_backend *
backend(const char *name)
{
	const struct hdb_backend *be = hdb_backend_find(name);

	if (be == NULL)
		errx(2, "unknown backend %s", name);
	return be;
}

static void
shift_times(struct hdb_rec *r, int64_t d)
{
	r->time_stamp -= d;
	switch (r->type) {
	case HDB_T_RETRY:
		r->u.retry.first_failed -= d;
		r->u.retry.last_try -= d;
		r->u.retry.next_try -= d;
		break;
	case HDB_T_CALLOUT:
		r->u.callout.postmaster_stamp -= d;
		r->u.callout.random_stamp -= d;
		break;
	case HDB_T_RATELIMIT:
		r->u.ratelimit.bloom_epoch -= d;
		break;
	default:
		break;
	}
}

static int
copy_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct copyctx *c = arg;
	struct hdb_rec r;
	const char *why;
	uint8_t *buf;
	size_t cap, n;
	struct hdb_datum out;

	if (hdb_rec_decode(c->type, HDB_L_AUTO, key.data, key.len, val.data,
	    val.len, &r, &why) == -1) {
		warnx("skipping undecodable record: %s", why);
		c->bad = 1;
		return 0;
	}
	shift_times(&r, c->shift);
	cap = hdb_rec_size(&r, c->layout);
	buf = xmalloc(cap);
	n = hdb_rec_encode(&r, c->layout, buf, cap);
	if (n == 0)
		errx(2, "cannot encode record");
	out.data = buf;
	out.len = n;
	if (hdb_put(c->dst, key, out) != HDB_OK)
		errx(2, "put: %s", hdb_error(c->dst));
	free(buf);
	return 0;
}

static int
copy(int argc, char **argv)
{
	struct copyctx c;
	struct hdb *src;
	int flags = HDB_O_RDWR | HDB_O_CREATE;

	if (argc < 6)
		errx(2, "usage: copy SRC TYPE DST BACKEND LAYOUT [sqlite-tbl]");
	memset(&c, 0, sizeof(c));
	if ((c.type = hdb_dbtype_from_name(argv[2])) == HDB_T_UNKNOWN)
		errx(2, "bad type %s", argv[2]);
	if (hdb_layout_from_name(argv[5], &c.layout) == -1 ||
	    c.layout == HDB_L_AUTO)
		errx(2, "bad layout %s", argv[5]);
#ifdef HDB_O_SQLITE_TBL
	if (argc > 6 && strcmp(argv[6], "sqlite-tbl") == 0)
		flags |= HDB_O_SQLITE_TBL;
#endif
	src = open_or_die(NULL, argv[1], HDB_O_RDONLY);
	c.dst = open_or_die(backend(argv[4]), argv[3], flags);
	if (hdb_iterate(src, copy_one, &c) == HDB_ERR)
		errx(2, "iterate: %s", hdb_error(src));
	hdb_close(src);
	hdb_close(c.dst);
	return c.bad;
}

/* Aging rewrites in place: collect first, then put, never mid-iteration. */
struct agectx {
	struct hdb_datum *keys, *vals;
	size_t		 n, cap;
};

static int
collect(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct agectx *a = arg;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->keys = xreallocarray(a->keys, a->cap, sizeof(*a->keys));
		a->vals = xreallocarray(a->vals, a->cap, sizeof(*a->vals));
	}
	a->keys[a->n].data = xmemdup(key.data, key.len);
	a->keys[a->n].len = key.len;
	a->vals[a->n].data = xmemdup(val.data, val.len);
	a->vals[a->n].len = val.len;
	a->n++;
	return 0;
}

/*
 * shift_db: shift every time of every decodable record of DB by d seconds
 * (older by d; d < 0 moves them into the future).  restamp first finds the
 * newest time stamp, so that it becomes now - AGE: a fixture then looks as
 * old at any date as it did when it was made AGE seconds ago.
 */
static void
shift_db(const char *path, enum hdb_dbtype t, int restamp, int64_t d)
{
	struct agectx a;
	struct hdb *h;
	struct hdb_rec r;
	const char *why;
	int64_t newest = INT64_MIN;
	size_t i;

	memset(&a, 0, sizeof(a));
	h = open_or_die(NULL, path, HDB_O_RDWR);
	if (hdb_iterate(h, collect, &a) == HDB_ERR)
		errx(2, "iterate: %s", hdb_error(h));
	for (i = 0; restamp && i < a.n; i++)
		if (hdb_rec_decode(t, HDB_L_AUTO, a.keys[i].data,
		    a.keys[i].len, a.vals[i].data, a.vals[i].len, &r,
		    &why) == 0 && r.time_stamp > newest)
			newest = r.time_stamp;
	if (restamp && newest != INT64_MIN)
		d += newest - (int64_t)time(NULL);
	for (i = 0; i < a.n; i++) {
		uint8_t *buf;
		struct hdb_datum out;

		if (hdb_rec_decode(t, HDB_L_AUTO, a.keys[i].data,
		    a.keys[i].len, a.vals[i].data, a.vals[i].len, &r,
		    &why) == 0) {
			shift_times(&r, d);
			buf = xmalloc(hdb_rec_size(&r, r.layout));
			out.data = buf;
			out.len = hdb_rec_encode(&r, r.layout, buf,
			    hdb_rec_size(&r, r.layout));
			if (hdb_put(h, a.keys[i], out) != HDB_OK)
				errx(2, "put: %s", hdb_error(h));
			free(buf);
		}
		free((void *)a.keys[i].data);
		free((void *)a.vals[i].data);
	}
	free(a.keys);
	free(a.vals);
	hdb_close(h);
}

/* age DB TYPE SECONDS, restamp DB TYPE AGE */
static int
age(int argc, char **argv, int restamp)
{
	const char *errstr;
	enum hdb_dbtype t;
	int64_t d;

	if (argc != 4)
		errx(2, "usage: %s DB TYPE SECONDS", argv[0]);
	if ((t = hdb_dbtype_from_name(argv[2])) == HDB_T_UNKNOWN)
		errx(2, "bad type %s", argv[2]);
	d = strtonum(argv[3], -4000000000LL, 4000000000LL, &errstr);
	if (errstr != NULL)
		errx(2, "seconds %s: %s", argv[3], errstr);
	shift_db(argv[1], t, restamp, d);
	return 0;
}

static uint8_t *
unhex(const char *s, size_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *b;
	unsigned v;

	if (n % 2)
		errx(2, "odd hex length");
	b = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			errx(2, "bad hex");
		b[i] = (uint8_t)v;
	}
	*len = n / 2;
	return b;
}

static int
put(int argc, char **argv)
{
	struct hdb *h;
	struct hdb_datum k, v;
	uint8_t *kb, *vb;

	if (argc != 5)
		errx(2, "usage: put DB BACKEND KEYHEX VALHEX");
	h = open_or_die(backend(argv[2]), argv[1], HDB_O_RDWR | HDB_O_CREATE);
	k.data = kb = unhex(argv[3], &k.len);
	v.data = vb = unhex(argv[4], &v.len);
	if (hdb_put(h, k, v) != HDB_OK)
		errx(2, "put: %s", hdb_error(h));
	hdb_close(h);
	free(kb);
	free(vb);
	return 0;
}

static int
del(int argc, char **argv)
{
	struct hdb *h;
	struct hdb_datum k;
	uint8_t *kb;
	int r;

	if (argc != 3)
		errx(2, "usage: del DB KEYHEX");
	h = open_or_die(NULL, argv[1], HDB_O_RDWR);
	k.data = kb = unhex(argv[2], &k.len);
	r = hdb_del(h, k);
	hdb_close(h);
	free(kb);
	return r == HDB_OK ? 0 : 1;
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/*
 * writer - for SECONDS, refresh random retry records k0..k<NKEYS-1> the way
 * Exim's delivery processes do: F_SETLKW write lock on DB.lockfile, open,
 * put, close, unlock.  Each record gets time_stamp now and the text "w<n>"
 * with a counter n; "k<i> w<n>" goes to LOG after the unlock.  With
 * "churn" a third of the changes delete k<i> instead ("k<i> -") and a
 * third add a new record n<n> ("n<n> w<n>"), so the DB's shape changes
 * under a scan.  Prints the number of changes and the longest wait for
 * the lock in milliseconds.  With "nolock" it takes no lockfile, only
 * the DB's own locks, as Exim 4.99+ does for TDB; with "txn" (TDB only)
 * each change is also a TDB transaction, committed before the close, as
 * Exim 4.99+ writes; "keeptxn" keeps the TDB open across them, and
 * "id=N" names the keys w<N>k<i> instead.  With "stop=FILE" it ends
 * SQLW_AFTER changes after FILE appears, SECONDS aside, and fails after
 * SQLW_MAX_WRITES changes without it: a bound by count, not the clock,
 * so that a slow machine, which slows the command it runs beside as
 * well, does not fail it.  With "paced" it sleeps 2 ms
 * after each change, as
 * separate Exim processes leave gaps; without, it takes the lock again at
 * once and can starve another process that waits for it.
 */
#define SQLW_AFTER	50
#define SQLW_MAX_WRITES	1000000	/* a hang's bound: at 1 ms apart, 17 min */

static void
txn_change(const char *path, struct tdb_context **keep, struct hdb_datum k,
    struct hdb_datum v, int del)
{
	struct tdb_context *tdb = keep != NULL ? *keep : NULL;
	TDB_DATA tk, tv;

	tk.dptr = (unsigned char *)(uintptr_t)k.data;
	tk.dsize = k.len;
	tv.dptr = (unsigned char *)(uintptr_t)v.data;
	tv.dsize = v.len;
	if (tdb == NULL &&
	    (tdb = tdb_open(path, 0, TDB_DEFAULT, O_RDWR, 0)) == NULL)
		err(2, "tdb_open %s", path);
	if (tdb_transaction_start(tdb) != 0)
		errx(2, "transaction: %s", tdb_errorstr(tdb));
	if (del ? tdb_delete(tdb, tk) != 0 &&
	    tdb_error(tdb) != TDB_ERR_NOEXIST :
	    tdb_store(tdb, tk, tv, TDB_REPLACE) != 0)
		errx(2, "change: %s", tdb_errorstr(tdb));
	if (tdb_transaction_commit(tdb) != 0)
		errx(2, "commit: %s", tdb_errorstr(tdb));
	if (keep != NULL)
		*keep = tdb;
	else
		tdb_close(tdb);
}

/* A retry record as an Exim delivery writes it now, with text. */
static void
fresh_retry(struct hdb_rec *r, const char *text)
{
	memset(r, 0, sizeof(*r));
	r->type = HDB_T_RETRY;
	r->time_stamp = r->u.retry.first_failed = r->u.retry.last_try =
	    time(NULL);
	r->u.retry.next_try = r->time_stamp + 900;
	r->u.retry.basic_errno = -44;
	r->u.retry.text = (const uint8_t *)text;
	r->u.retry.text_len = strlen(text);
}

static int
writer(int argc, char **argv)
{
	char lockpath[4096], key[48], text[32], why[256];
	struct flock fl;
	struct hdb_rec r;
	struct hdb_datum k, v;
	struct hdb *h;
	const char *errstr;
	double end, t0, wait, maxwait = 0;
	uint8_t buf[256];
	long n = 0, nkeys;
	FILE *log;
	struct tdb_context *tdb = NULL;
	const char *stop = NULL;
	long id = -1, after = -1;
	int fd = -1, churn, paced, nolock, txn, keep, op;

	churn = paced = nolock = txn = keep = 0;
	for (op = 6; op < argc; op++) {
		if (strcmp(argv[op], "churn") == 0)
			churn = 1;
		else if (strcmp(argv[op], "paced") == 0)
			paced = 1;
		else if (strcmp(argv[op], "nolock") == 0)
			nolock = 1;
		else if (strcmp(argv[op], "txn") == 0)
			nolock = txn = 1;
		else if (strcmp(argv[op], "keeptxn") == 0)
			nolock = txn = keep = 1;
		else if (strncmp(argv[op], "stop=", 5) == 0)
			stop = argv[op] + 5;
		else if (strncmp(argv[op], "id=", 3) == 0)
			id = (long)strtonum(argv[op] + 3, 0, 1000, &errstr) -
			    (errstr != NULL ? 1000000 : 0);
		else
			argc = 0;
	}
	if (argc < 6 || id < -1)
		errx(2, "usage: writer DB SECONDS SEED NKEYS LOG [churn] "
		    "[paced] [nolock | txn | keeptxn] [id=N] [stop=FILE]");
	end = mono_ms() + 1000.0 * (double)strtonum(argv[2], 1, 3600,
	    &errstr);
	if (errstr != NULL)
		errx(2, "seconds %s: %s", argv[2], errstr);
	srandom((unsigned)strtonum(argv[3], 0, INT32_MAX, &errstr));
	nkeys = (long)strtonum(argv[4], 1, 10000000, &errstr);
	if (errstr != NULL)
		errx(2, "nkeys %s: %s", argv[4], errstr);
	if ((log = fopen(argv[5], "w")) == NULL)
		err(2, "%s", argv[5]);
	setvbuf(log, NULL, _IOLBF, 0);	/* a test watches it grow */
	snprintf(lockpath, sizeof(lockpath), "%s.lockfile", argv[1]);
	while (after != 0) {
		if (stop != NULL && after == -1 && n >= SQLW_MAX_WRITES)
			errx(3, "no %s after %d changes", stop,
			    SQLW_MAX_WRITES);
		if (stop == NULL && mono_ms() >= end)
			break;
		if (stop != NULL && after == -1 && access(stop, F_OK) == 0)
			after = SQLW_AFTER;
		if (after > 0)
			after--;
		if (paced && n > 0)
			usleep(2000);
		op = churn ? (int)(random() % 3) : 0;
		snprintf(text, sizeof(text), "w%ld", ++n);
		if (op == 2)
			snprintf(key, sizeof(key), "n%ld", n);
		else
			snprintf(key, sizeof(key), "k%ld", random() % nkeys);
		if (op != 2 && id >= 0)
			snprintf(key, sizeof(key), "w%ldk%ld", id,
			    random() % nkeys);
		t0 = mono_ms();
		if (!nolock && (fd = open(lockpath, O_RDWR)) == -1)
			err(2, "%s", lockpath);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (!nolock && fcntl(fd, F_SETLKW, &fl) == -1)
			err(2, "lock %s", lockpath);
		if ((wait = mono_ms() - t0) > maxwait)
			maxwait = wait;
		fresh_retry(&r, text);
		k.data = (const uint8_t *)key;
		k.len = strlen(key) + 1;
		v.data = buf;
		v.len = hdb_rec_encode(&r, HDB_L_LEGACY, buf, sizeof(buf));
		if (txn) {
			txn_change(argv[1], keep ? &tdb : NULL, k, v, op == 1);
			fprintf(log, "%s %s\n", key, op == 1 ? "-" : text);
			continue;
		}
		if ((h = hdb_open(NULL, argv[1], HDB_O_RDWR, 0640, why,
		    sizeof(why))) == NULL)
			errx(2, "open %s: %s", argv[1], why);
		if (op == 1) {
			if (hdb_del(h, k) == HDB_ERR)
				errx(2, "del: %s", hdb_error(h));
		} else if (v.len == 0 || hdb_put(h, k, v) != HDB_OK)
			errx(2, "put: %s", hdb_error(h));
		hdb_close(h);
		if (!nolock)
			close(fd);
		fprintf(log, "%s %s\n", key, op == 1 ? "-" : text);
	}
	if (tdb != NULL)
		tdb_close(tdb);
	fclose(log);
	printf("updates %ld max_wait_ms %.1f\n", n, maxwait);
	return 0;
}

/*
 * sqlwriter - write retry records w<ID>k<i> (i random below NKEYS) into a
 * SQLite DB the way Exim 4.100.1 does, with no lockfile: open, a busy
 * timeout of 5000 ms, BEGIN TRANSACTION (deferred), INSERT OR REPLACE,
 * COMMIT, close; then 1 ms of sleep.  With "keep" the connection stays
 * open across writes.  Records are legacy unless "v2" (4.100.1's) is said.  "key text" goes to LOG for every acknowledged
 * write, "key FAIL error" for a failed one.  It stops SQLW_AFTER writes
 * after STOPFILE appears, and gives up with status 3 after
 * SQLW_MAX_WRITES writes without it (a count: a loaded machine slows the
 * command beside it too).  Prints the writes and failures.
 */

static sqlite3 *
sqlw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		errx(2, "open %s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* One write as Exim's dbfn_write; NULL, or the step and its error. */
static const char *
sqlw_put(sqlite3 *db, const char *tbl, const char *key, const uint8_t *val,
    size_t vlen)
{
	static char why[256];
	const char *step = "BEGIN";
	sqlite3_stmt *st = NULL;
	char sql[128];
	int rc;

	if (sqlite3_exec(db, "BEGIN TRANSACTION", NULL, NULL, NULL) !=
	    SQLITE_OK)
		goto fail;
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO %s (ky, dat) "
	    "VALUES (?, ?)", tbl);
	step = "INSERT";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_blob(st, 1, key, (int)strlen(key) + 1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, val, (int)vlen, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	step = "COMMIT";
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return NULL;
fail:
	snprintf(why, sizeof(why), "%s: %s", step, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return why;
}

static int
sqlwriter(int argc, char **argv)
{
	char key[48], text[32];
	struct hdb_rec r;
	const char *errstr, *why, *tbl = "tblblob";
	sqlite3 *db = NULL;
	uint8_t buf[256];
	double t0;
	long n = 0, failed = 0, after = -1, nkeys, id;
	size_t vlen;
	FILE *log;
	enum hdb_layout layout = HDB_L_LEGACY;
	int i, keep = 0;

	for (i = 6; i < argc; i++) {
		if (strcmp(argv[i], "keep") == 0)
			keep = 1;
		else if (strcmp(argv[i], "v2") == 0)
			layout = HDB_L_V2;
		else if (strcmp(argv[i], "legacy") != 0)
			break;
	}
	if (argc < 6 || i < argc)
		errx(2, "usage: sqlwriter DB ID NKEYS LOG STOPFILE [keep] "
		    "[legacy | v2]");
	id = (long)strtonum(argv[2], 0, 1000, &errstr);
	if (errstr == NULL)
		nkeys = (long)strtonum(argv[3], 1, 10000000, &errstr);
	if (errstr != NULL)
		errx(2, "bad number: %s", errstr);
	srandom((unsigned)id);
	if ((log = fopen(argv[4], "w")) == NULL)
		err(2, "%s", argv[4]);
	setvbuf(log, NULL, _IOLBF, 0);
	db = sqlw_open(argv[1]);
	if (sqlite3_table_column_metadata(db, NULL, "tblblob", NULL, NULL,
	    NULL, NULL, NULL, NULL) != SQLITE_OK)
		tbl = "tbl";
	while (after != 0) {
		if (after == -1 && n >= SQLW_MAX_WRITES)
			errx(3, "no %s after %d writes", argv[5],
			    SQLW_MAX_WRITES);
		if (after == -1 && access(argv[5], F_OK) == 0)
			after = SQLW_AFTER;
		snprintf(key, sizeof(key), "w%ldk%ld", id, random() % nkeys);
		snprintf(text, sizeof(text), "w%ld", ++n);
		fresh_retry(&r, text);
		vlen = hdb_rec_encode(&r, layout, buf, sizeof(buf));
		if (db == NULL)
			db = sqlw_open(argv[1]);
		t0 = mono_ms();
		if ((why = sqlw_put(db, tbl, key, buf, vlen)) != NULL) {
			failed++;
			fprintf(log, "%s FAIL %s (after %.0f ms)\n", key, why,
			    mono_ms() - t0);
		} else
			fprintf(log, "%s %s\n", key, text);
		if (!keep) {
			sqlite3_close(db);
			db = NULL;
		}
		if (after > 0)
			after--;
		usleep(1000);
	}
	sqlite3_close(db);
	fclose(log);
	printf("writes %ld failed %ld\n", n, failed);
	return 0;
}

/*
 * gen - N deterministic legacy records for `make bench` (bench/run.py):
 * the same SEED and NOW give the same file.  Time stamps are spread over
 * the 60 days before NOW.  retry: host, domain, address and (2%)
 * message-specific keys with Exim's error texts; callout: a third domain
 * records, the rest address records; tls: the payloads of the given
 * files (OpenSSL DER, GnuTLS packed data, or hints DBs whose tls records
 * are taken), cycled, each OpenSSL one with a fresh session id and time.
 */
#define GEN_SPAN	(60 * 86400)

struct gen {
	uint64_t	 state;
	int64_t		 now;
	uint8_t		**pay;		/* tls payload templates */
	size_t		*paylen;
	SSL_SESSION	**sess;		/* parsed, for OpenSSL templates */
	size_t		 npay;
	uint8_t		 buf[65536];	/* a payload */
	uint8_t		 rec[65536 + 64];	/* a record */
	char		 key[256], text[160];
};

/* splitmix64: small, fast and the same everywhere. */
static uint64_t
gen_rand(struct gen *g)
{
	uint64_t z = (g->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
gen_retry(struct gen *g, uint64_t i, struct hdb_rec *r)
{
	static const int errnos[] = { -18, -19, -32, -36, -43, -44, -45, 110,
	    111 };
	static const char *const texts[] = {
	    "", "Connection timed out", "Connection refused",
	    "SMTP error from remote mail server after RCPT TO:<user@example."
	    "com>: 451 4.7.1 Greylisted, please try again later",
	    "SMTP error from remote mail server after MAIL FROM:<> SIZE=1234:"
	    " 421 4.7.0 Too many connections from your IP, try later",
	    "all host address lookups failed temporarily",
	};
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	struct hdb_retry *t = &r->u.retry;
	unsigned shape = (unsigned)(gen_rand(g) % 100);
	unsigned long long n = (unsigned long long)i;
	uint64_t x = gen_rand(g);
	char id[17];
	int j;

	if (shape < 40)
		snprintf(g->key, sizeof(g->key), "T:mx%u.n%llx.example.net:"
		    "198.51.%u.%u", (unsigned)(x % 4) + 1, n,
		    (unsigned)(x >> 8) % 256, (unsigned)(x >> 16) % 256);
	else if (shape < 70)
		snprintf(g->key, sizeof(g->key), "R:n%llx.example.com", n);
	else if (shape < 98)
		snprintf(g->key, sizeof(g->key), "R:user%u@n%llx.example.org:"
		    "<sender%u@example.com>", (unsigned)(x % 1000), n,
		    (unsigned)(x >> 10) % 100);
	else {
		for (j = 0; j < 16; j++)
			id[j] = b62[(x >> (j * 3)) % 62];
		id[6] = id[13] = '-';
		id[16] = '\0';
		snprintf(g->key, sizeof(g->key), "T:mx.n%llx.example.net:"
		    "203.0.113.%u:%s", n, (unsigned)(x >> 50) % 256, id);
	}
	r->type = HDB_T_RETRY;
	r->time_stamp = g->now - (int64_t)(gen_rand(g) % GEN_SPAN);
	t->first_failed = r->time_stamp - (int64_t)(gen_rand(g) % 259200);
	t->last_try = r->time_stamp;
	t->next_try = r->time_stamp + 900 + (int64_t)(gen_rand(g) % 20700);
	t->expired = gen_rand(g) % 10 == 0;
	x = gen_rand(g);
	t->basic_errno = errnos[x % (sizeof(errnos) / sizeof(errnos[0]))];
	t->more_errno = (x >> 8) % 2 ? 'M' : 'A';
	if (t->basic_errno == -44)
		t->more_errno |= 51 << 8;
	snprintf(g->text, sizeof(g->text), "%s",
	    texts[(x >> 16) % (sizeof(texts) / sizeof(texts[0]))]);
	t->text = (const uint8_t *)g->text;
	t->text_len = strlen(g->text);
}

static void
gen_callout(struct gen *g, uint64_t i, struct hdb_rec *r)
{
	struct hdb_callout *c = &r->u.callout;
	unsigned long long n = (unsigned long long)i;
	uint64_t x = gen_rand(g);

	r->type = HDB_T_CALLOUT;
	r->time_stamp = g->now - (int64_t)(gen_rand(g) % GEN_SPAN);
	c->result = x % 10 < 8 ? HDB_CC_ACCEPT : HDB_CC_REJECT;
	if (x % 3 == 0) {
		snprintf(g->key, sizeof(g->key), "n%llx.example.com", n);
		r->kind = HDB_K_CALLOUT_DOMAIN;
		c->postmaster_result = (int32_t)((x >> 8) % 3);
		c->random_result = (int32_t)((x >> 10) % 3);
		c->postmaster_stamp = r->time_stamp - (int64_t)((x >> 12) %
		    3600);
		c->random_stamp = r->time_stamp - (int64_t)((x >> 24) % 3600);
	} else {
		r->kind = HDB_K_CALLOUT_ADDRESS;
		snprintf(g->key, sizeof(g->key), x % 3 == 1 ?
		    "user%u@n%llx.example.com" :
		    "user%u@n%llx.example.com/<sender@example.org>",
		    (unsigned)(x >> 8) % 1000, n);
	}
}

static void
gen_tls(struct gen *g, uint64_t i, struct hdb_rec *r)
{
	size_t k = (size_t)(i % g->npay);
	uint8_t id[32], *p = g->buf;
	int j, n;

	for (j = 0; j < 4; j++)
		snprintf(g->key + 16 * j, 17, "%016llx",
		    (unsigned long long)gen_rand(g));
	r->type = HDB_T_TLS;
	r->time_stamp = g->now - (int64_t)(gen_rand(g) % GEN_SPAN);
	r->u.tls.payload = g->pay[k];
	r->u.tls.payload_len = g->paylen[k];
	if (g->sess[k] == NULL)
		return;
	for (j = 0; j < 32; j++)
		id[j] = (uint8_t)gen_rand(g);
	if (!SSL_SESSION_set1_id(g->sess[k], id, sizeof(id)) ||
	    !SSL_SESSION_set_time(g->sess[k], (long)r->time_stamp - 1) ||
	    (n = i2d_SSL_SESSION(g->sess[k], NULL)) <= 0 ||
	    (size_t)n > sizeof(g->buf) ||
	    i2d_SSL_SESSION(g->sess[k], &p) != n)
		errx(2, "cannot re-encode an OpenSSL session");
	r->u.tls.payload = g->buf;
	r->u.tls.payload_len = (size_t)n;
}

static void
gen_keep(struct gen *g, const uint8_t *pay, size_t len)
{
	const unsigned char *p;

	g->pay = xreallocarray(g->pay, g->npay + 1, sizeof(*g->pay));
	g->paylen = xreallocarray(g->paylen, g->npay + 1, sizeof(*g->paylen));
	g->sess = xreallocarray(g->sess, g->npay + 1, sizeof(*g->sess));
	p = g->pay[g->npay] = xmemdup(pay, len);
	g->paylen[g->npay] = len;
	g->sess[g->npay] = len > 0 && p[0] == 0x30 ?
	    d2i_SSL_SESSION(NULL, &p, (long)len) : NULL;
	g->npay++;
}

static int
gen_keep_rec(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct hdb_rec r;
	const char *why;

	if (hdb_rec_decode(HDB_T_TLS, HDB_L_AUTO, key.data, key.len,
	    val.data, val.len, &r, &why) == 0)
		gen_keep(arg, r.u.tls.payload, r.u.tls.payload_len);
	return 0;
}

/* A payload file, or a hints DB whose tls records lend theirs. */
static void
gen_load(struct gen *g, const char *path)
{
	struct hdb *h;
	FILE *fp;
	size_t n;

	if (hdb_detect(path) != NULL) {
		h = open_or_die(NULL, path, HDB_O_RDONLY);
		if (hdb_iterate(h, gen_keep_rec, g) == HDB_ERR)
			errx(2, "iterate: %s", hdb_error(h));
		hdb_close(h);
		return;
	}
	if ((fp = fopen(path, "rb")) == NULL)
		err(2, "%s", path);
	n = fread(g->buf, 1, sizeof(g->buf), fp);
	if (ferror(fp) || !feof(fp) || n == 0)
		errx(2, "%s: unreadable, empty or too large", path);
	fclose(fp);
	gen_keep(g, g->buf, n);
}

static int
gen(int argc, char **argv)
{
	struct gen *g = xcalloc(1, sizeof(*g));
	struct hdb_datum k, v;
	struct hdb_rec r;
	struct hdb *h;
	const char *errstr;
	enum hdb_dbtype t;
	uint64_t i, n;
	int a;

	if (argc < 7)
		errx(2, "usage: gen DB BACKEND TYPE N SEED NOW [PAYLOAD...]");
	if ((t = hdb_dbtype_from_name(argv[3])) != HDB_T_RETRY &&
	    t != HDB_T_CALLOUT && t != HDB_T_TLS)
		errx(2, "gen makes retry, callout and tls records");
	n = (uint64_t)strtonum(argv[4], 1, 100000000, &errstr);
	if (errstr == NULL)
		g->state = (uint64_t)strtonum(argv[5], 0, INT32_MAX, &errstr);
	if (errstr == NULL)
		g->now = strtonum(argv[6], 946684800, 4294967295LL, &errstr);
	if (errstr != NULL)
		errx(2, "gen: N, SEED or NOW is %s", errstr);
	for (a = 7; a < argc; a++)
		gen_load(g, argv[a]);
	if (t == HDB_T_TLS && g->npay == 0)
		errx(2, "gen: tls needs payload files");
	h = open_or_die(backend(argv[2]), argv[1], HDB_O_RDWR | HDB_O_CREATE);
	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		if (t == HDB_T_RETRY)
			gen_retry(g, i, &r);
		else if (t == HDB_T_CALLOUT)
			gen_callout(g, i, &r);
		else
			gen_tls(g, i, &r);
		k.data = (const uint8_t *)g->key;
		k.len = strlen(g->key) + 1;
		v.data = g->rec;
		if ((v.len = hdb_rec_encode(&r, HDB_L_LEGACY, g->rec,
		    sizeof(g->rec))) == 0)
			errx(2, "gen: cannot encode record %llu",
			    (unsigned long long)i);
		if (hdb_put(h, k, v) != HDB_OK)
			errx(2, "put: %s", hdb_error(h));
	}
	hdb_close(h);
	for (i = 0; i < g->npay; i++) {
		free(g->pay[i]);
		SSL_SESSION_free(g->sess[i]);
	}
	free(g->pay);
	free(g->paylen);
	free(g->sess);
	free(g);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		errx(2, "usage: hdb-test copy|age|restamp|put|del ...");
	if (strcmp(argv[1], "copy") == 0)
		return copy(argc - 1, argv + 1);
	if (strcmp(argv[1], "age") == 0)
		return age(argc - 1, argv + 1, 0);
	if (strcmp(argv[1], "restamp") == 0)
		return age(argc - 1, argv + 1, 1);
	if (strcmp(argv[1], "put") == 0)
		return put(argc - 1, argv + 1);
	if (strcmp(argv[1], "del") == 0)
		return del(argc - 1, argv + 1);
	if (strcmp(argv[1], "gen") == 0)
		return gen(argc - 1, argv + 1);
	if (strcmp(argv[1], "writer") == 0)
		return writer(argc - 1, argv + 1);
	if (strcmp(argv[1], "sqlwriter") == 0)
		return sqlwriter(argc - 1, argv + 1);
	errx(2, "unknown subcommand %s", argv[1]);
}
