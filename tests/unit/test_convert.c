
/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_convert.c - lib/rec/convert.c and lib/db/atomic.c: one record between
 * the layouts (kept, re-encoded, refused), a whole new DB written beside its
 * target and renamed into place (count checked, owner and mode, the old
 * files of another backend removed, refusal to overwrite), and the sweep of
 * what a killed writer left behind.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
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
#include <sqlite3.h>
#include <tdb.h>

#include "db/atomic.h"
#include "rec/convert.h"
#include "db/hdb.h"
#include "rec/rec.h"

#define T0	1795722966LL	/* 2026-11-26 19:56:06 UTC */

static char dir[64];

static struct hdb_datum
dat(const void *p, size_t n)
{
	struct hdb_datum d;

	d.data = p;
	d.len = n;
	return d;
}

static struct hdb_datum
key(const char *s)
{
	return dat(s, strlen(s) + 1);
}

/* A legacy retry record with text. */
static size_t
retry_rec(uint8_t *buf, size_t cap, enum hdb_layout l, const char *text)
{
	struct hdb_rec r;

	memset(&r, 0, sizeof(r));
	r.type = HDB_T_RETRY;
	r.time_stamp = T0;
	r.u.retry.first_failed = T0 - 100;
	r.u.retry.last_try = T0 - 10;
	r.u.retry.next_try = T0 + 900;
	r.u.retry.basic_errno = 111;
	r.u.retry.text = (const uint8_t *)text;
	r.u.retry.text_len = strlen(text);
	return hdb_rec_encode(&r, l, buf, cap);
}

static int
mkdir_tmp(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_convert.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
rm_tmp(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* entries in dir other than . and .. */
static int
nentries(void)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static size_t
count_db(const struct hdb_backend *be, const char *path)
{
	struct hdb *h;
	struct hdb_datum k, v;
	size_t n = 0;
	char name[64];
	int i;

	h = hdb_open(be, path, HDB_O_RDONLY, 0, NULL, 0);
	assert_non_null(h);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		k = key(name);
		if (hdb_get(h, k, &v) == HDB_OK)
			n++;
	}
	hdb_close(h);
	return n;
}

static void
test_rec_keep_and_reencode(void **state)
{
	uint8_t leg[256], v2[256], *buf = NULL;
	size_t ll, l2, cap = 0;
	struct hdb_datum out;
	const char *why = NULL;
	int rc;

	ll = retry_rec(leg, sizeof(leg), HDB_L_LEGACY, "Connection refused");
	l2 = retry_rec(v2, sizeof(v2), HDB_L_V2, "Connection refused");
	assert_int_equal(ll + 8, l2);
	/* keep: the same bytes, not a copy */
	rc = hdb_convert_rec(HDB_T_RETRY, HDB_L_AUTO, key("T:h"),
	    dat(leg, ll), &buf, &cap, &out, &why);
	assert_int_equal(rc, HDB_CONV_KEPT);
	assert_ptr_equal(out.data, leg);
	rc = hdb_convert_rec(HDB_T_RETRY, HDB_L_LEGACY, key("T:h"),
	    dat(leg, ll), &buf, &cap, &out, &why);
	assert_int_equal(rc, HDB_CONV_KEPT);
	/* legacy -> v2 and back */
	rc = hdb_convert_rec(HDB_T_RETRY, HDB_L_V2, key("T:h"), dat(leg, ll),
	    &buf, &cap, &out, &why);
	assert_int_equal(rc, HDB_CONV_REENCODED);
	assert_int_equal(out.len, l2);
	assert_memory_equal(out.data, v2, l2);
	rc = hdb_convert_rec(HDB_T_RETRY, HDB_L_LEGACY, key("T:h"),
	    dat(v2, l2), &buf, &cap, &out, &why);
	assert_int_equal(rc, HDB_CONV_REENCODED);
	assert_int_equal(out.len, ll);
	assert_memory_equal(out.data, leg, ll);
	free(buf);
}

static void
test_rec_padding_zeroed(void **state)
{
	uint8_t leg[256], *buf = NULL;
	size_t ll, cap = 0;
	struct hdb_datum out;
	const char *why;

	ll = retry_rec(leg, sizeof(leg), HDB_L_LEGACY, "x");
	leg[ll - 1] = 0xee;	/* Exim's uninitialised padding */
	assert_int_equal(hdb_convert_rec(HDB_T_RETRY, HDB_L_V2, key("R:d"),
	    dat(leg, ll), &buf, &cap, &out, &why), HDB_CONV_REENCODED);
	assert_int_equal(out.data[out.len - 1], 0);
	free(buf);
}

/*
 * A v2 record as 4.100.1 writes it (garbage after its one-byte BOOLs) is
 * kept in v2 with that padding zeroed, and converts to legacy and back.
 */
static void
test_rec_v2_bool_padding(void **state)
{
	uint8_t v2[256], dirty[256], leg[256], *buf = NULL;
	size_t l2, ll, cap = 0;
	struct hdb_datum out;
	const char *why;
	enum hdb_layout to[2] = { HDB_L_AUTO, HDB_L_V2 };
	int i;

	l2 = retry_rec(v2, sizeof(v2), HDB_L_V2, "Connection refused");
	ll = retry_rec(leg, sizeof(leg), HDB_L_LEGACY, "Connection refused");
	memcpy(dirty, v2, l2);
	memcpy(dirty + 5, "\x76\x39\x45", 3);
	memcpy(dirty + 41, "\x55\x00\x00", 3);
	for (i = 0; i < 2; i++) {
		assert_int_equal(hdb_convert_rec(HDB_T_RETRY, to[i],
		    key("R:a@b"), dat(dirty, l2), &buf, &cap, &out, &why),
		    HDB_CONV_REENCODED);
		assert_int_equal(out.len, l2);
		assert_memory_equal(out.data, v2, l2);
	}
	assert_int_equal(dirty[5], 0x76);	/* the input is not touched */
	assert_int_equal(hdb_convert_rec(HDB_T_RETRY, HDB_L_LEGACY,
	    key("R:a@b"), dat(dirty, l2), &buf, &cap, &out, &why),
	    HDB_CONV_REENCODED);
	assert_int_equal(out.len, ll);
	assert_memory_equal(out.data, leg, ll);
	free(buf);
}

static void
test_rec_undecodable(void **state)
{
	/* a callout record of 20 bytes: no shape has that length */
	uint8_t bad[20] = { 0xd6, 0x8e, 0x08, 0x6b, 0, 0, 0, 0, 1 };
	uint8_t junk[4] = { 1, 2, 3, 4 }, *buf = NULL;
	struct hdb_datum out;
	const char *why = NULL;
	size_t cap = 0;

	assert_int_equal(hdb_convert_rec(HDB_T_CALLOUT, HDB_L_LEGACY,
	    key("a@b"), dat(bad, sizeof(bad)), &buf, &cap, &out, &why),
	    HDB_CONV_KEPT);
	assert_int_equal(hdb_convert_rec(HDB_T_CALLOUT, HDB_L_V2, key("a@b"),
	    dat(bad, sizeof(bad)), &buf, &cap, &out, &why), HDB_CONV_REFUSED);
	assert_string_equal(why, "callout record has the wrong length");
	/* no layout at all: kept only when nothing is asked */
	assert_int_equal(hdb_convert_rec(HDB_T_SEEN, HDB_L_AUTO, key("x"),
	    dat(junk, sizeof(junk)), &buf, &cap, &out, &why), HDB_CONV_KEPT);
	assert_int_equal(hdb_convert_rec(HDB_T_SEEN, HDB_L_LEGACY, key("x"),
	    dat(junk, sizeof(junk)), &buf, &cap, &out, &why),
	    HDB_CONV_REFUSED);
	free(buf);
}

/* write n records k0..k(n-1) into a new DB at target */
static struct hdb_writer *
writer(const char *target, const struct hdb_backend *be, int n,
    enum hdb_layout to, int drop_bad)
{
	struct hdb_writer *w;
	uint8_t rec[256];
	size_t len;
	char name[16], err[256];
	const char *why;
	int i;

	w = hdb_writer_new(target, be, 0, HDB_T_RETRY, to, drop_bad, 0, err,
	    sizeof(err));
	assert_non_null(w);
	len = retry_rec(rec, sizeof(rec), HDB_L_LEGACY, "text");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		assert_true(hdb_writer_put(w, key(name), dat(rec, len),
		    &why) >= 0);
	}
	return w;
}

static void
test_writer_new_db(void **state)
{
	struct hdb_writer *w;
	char target[128], err[256];
	struct stat st;

	snprintf(target, sizeof(target), "%s/retry", dir);
	w = writer(target, &hdb_backend_gdbm, 10, HDB_L_V2, 0);
	assert_int_equal(hdb_writer_stats(w)->reencoded, 10);
	/* the new DB lives in the private directory until commit */
	assert_int_equal(nentries(), 1);
	assert_int_equal(hdb_writer_commit(w, NULL, 0, err, sizeof(err)), 0);
	assert_true(hdb_writer_replaced(w));
	hdb_writer_free(w);
	assert_int_equal(nentries(), 1);
	assert_int_equal(lstat(target, &st), 0);
	assert_ptr_equal(hdb_detect(target), &hdb_backend_gdbm);
	assert_int_equal(count_db(&hdb_backend_gdbm, target), 10);
	/* without replace, an existing DB is refused and kept */
	w = writer(target, &hdb_backend_gdbm, 3, HDB_L_V2, 0);
	assert_int_equal(hdb_writer_commit(w, NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists"));
	assert_false(hdb_writer_replaced(w));
	hdb_writer_free(w);
	assert_int_equal(nentries(), 1);
	assert_int_equal(count_db(&hdb_backend_gdbm, target), 10);
}

static void
test_writer_replace_like(void **state)
{
	struct hdb_writer *w;
	char target[128], err[256];
	struct stat like, st;

	snprintf(target, sizeof(target), "%s/retry", dir);
	w = writer(target, &hdb_backend_bdb, 5, HDB_L_LEGACY, 0);
	assert_int_equal(hdb_writer_commit(w, NULL, 0, err, sizeof(err)), 0);
	hdb_writer_free(w);
	assert_int_equal(chmod(target, 0604), 0);
	assert_int_equal(hdb_db_stat(target, &like), 0);
	w = writer(target, &hdb_backend_tdb, 7, HDB_L_V2, 0);
	assert_int_equal(hdb_writer_commit(w, &like, 1, err, sizeof(err)), 0);
	hdb_writer_free(w);
	assert_int_equal(lstat(target, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_ptr_equal(hdb_detect(target), &hdb_backend_tdb);
	assert_int_equal(count_db(&hdb_backend_tdb, target), 7);
	assert_int_equal(nentries(), 1);
}

static void
test_writer_ndbm_and_back(void **state)
{
	struct hdb_writer *w;
	char target[128], err[256];

	snprintf(target, sizeof(target), "%s/tls", dir);
	w = writer(target, &hdb_backend_sqlite, 4, HDB_L_LEGACY, 0);
	assert_int_equal(hdb_writer_commit(w, NULL, 1, err, sizeof(err)), 0);
	hdb_writer_free(w);
	assert_int_equal(hdb_db_files(target), 1);
	/* the bare file goes: NDBM's pair alone remains */
	w = writer(target, &hdb_backend_ndbm, 4, HDB_L_LEGACY, 0);
	assert_int_equal(hdb_writer_commit(w, NULL, 1, err, sizeof(err)), 0);
	hdb_writer_free(w);
	assert_int_equal(hdb_db_files(target), 2 | 4);
	assert_ptr_equal(hdb_detect(target), &hdb_backend_ndbm);
	assert_int_equal(count_db(&hdb_backend_ndbm, target), 4);
	/* and back to one file */
	w = writer(target, &hdb_backend_gdbm, 6, HDB_L_LEGACY, 0);
	assert_int_equal(hdb_writer_commit(w, NULL, 1, err, sizeof(err)), 0);
	hdb_writer_free(w);
	assert_int_equal(hdb_db_files(target), 1);
	assert_int_equal(count_db(&hdb_backend_gdbm, target), 6);
	assert_int_equal(nentries(), 1);
}

static void
test_writer_refuse_drop_dup(void **state)
{
	struct hdb_writer *w;
	uint8_t bad[20] = { 0xd6, 0x8e, 0x08, 0x6b }, rec[128];
	char target[128], err[256];
	const char *why = NULL;
	size_t len;

	snprintf(target, sizeof(target), "%s/callout", dir);
	w = hdb_writer_new(target, &hdb_backend_gdbm, 0, HDB_T_CALLOUT,
	    HDB_L_V2, 0, 0, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(hdb_writer_put(w, key("bad"), dat(bad, sizeof(bad)),
	    &why), HDB_CONV_REFUSED);
	assert_int_equal(hdb_writer_stats(w)->refused, 1);
	hdb_writer_free(w);
	/* abandoned: nothing left behind */
	assert_int_equal(nentries(), 0);

	w = hdb_writer_new(target, &hdb_backend_gdbm, 0, HDB_T_CALLOUT,
	    HDB_L_V2, 1, 0, err, sizeof(err));
	assert_int_equal(hdb_writer_put(w, key("bad"), dat(bad, sizeof(bad)),
	    &why), HDB_CONV_DROPPED);
	memset(rec, 0, sizeof(rec));
	memcpy(rec, bad, 8);
	rec[8] = 1;
	len = 16;
	assert_int_equal(hdb_writer_put(w, key("ok"), dat(rec, len), &why),
	    HDB_CONV_REENCODED);
	assert_int_equal(hdb_writer_put(w, key("ok"), dat(rec, len), &why),
	    HDB_CONV_REFUSED);
	assert_string_equal(why, "duplicate key");
	assert_int_equal(hdb_writer_stats(w)->dropped, 1);
	assert_int_equal(hdb_writer_commit(w, NULL, 0, err, sizeof(err)), 0);
	hdb_writer_free(w);
}

static void
test_copy(void **state)
{
	struct hdb_writer *w;
	struct hdb *src;
	char a[128], b[128], err[256];
	uint8_t rec[128];
	size_t len;

	snprintf(a, sizeof(a), "%s/src", dir);
	snprintf(b, sizeof(b), "%s/dst", dir);
	src = hdb_open(&hdb_backend_bdb, a, HDB_O_RDWR | HDB_O_CREATE, 0640,
	    NULL, 0);
	assert_non_null(src);
	len = retry_rec(rec, sizeof(rec), HDB_L_LEGACY, "hello");
	assert_int_equal(hdb_put(src, key("k1"), dat(rec, len)), HDB_OK);
	assert_int_equal(hdb_put(src, key("k2"), dat(rec, len)), HDB_OK);
	assert_int_equal(hdb_put(src, key("k3"), dat("junk", 4)), HDB_OK);
	w = hdb_writer_new(b, &hdb_backend_tdb, 0, HDB_T_RETRY, HDB_L_V2, 0, 0,
	    err, sizeof(err));
	assert_int_equal(hdb_convert_copy(w, src, NULL, NULL),
	    HDB_CONV_REFUSED);
	hdb_writer_free(w);
	/* 5000 records expected: a tdb hash chain for every four or so */
	w = hdb_writer_new(b, &hdb_backend_tdb, 0, HDB_T_RETRY, HDB_L_AUTO, 0,
	    5000, err, sizeof(err));
	assert_int_equal(hdb_convert_copy(w, src, NULL, NULL), HDB_OK);
	assert_int_equal(hdb_writer_stats(w)->kept, 3);
	assert_int_equal(hdb_writer_commit(w, NULL, 0, err, sizeof(err)), 0);
	hdb_writer_free(w);
	hdb_close(src);
	assert_int_equal(count_db(&hdb_backend_tdb, b), 3);
	src = hdb_open(&hdb_backend_tdb, b, HDB_O_RDONLY, 0, NULL, 0);
	assert_non_null(src);
	assert_int_equal(hdb_tdb_chains(src), 2053);
	hdb_close(src);
}

/* chains - the hash chains of a new file at p, made for expect records. */
static unsigned
chains(const struct hdb_backend *be, const char *p, size_t expect)
{
	struct hdb *h;
	unsigned n;

	h = hdb_create(be, p, HDB_O_RDWR | HDB_O_CREATE, 0640, expect, NULL,
	    0);
	assert_non_null(h);
	n = hdb_tdb_chains(h);
	assert_int_equal(hdb_tdb_txn_used(h), 0);
	hdb_close(h);
	unlink(p);
	return n;
}

/* Without an estimate a new tdb file gets Exim's 131 chains. */
static void
test_tdb_chains(void **state)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/plain", dir);
	assert_int_equal(chains(&hdb_backend_tdb, p, 0), 131);
	assert_int_equal(chains(&hdb_backend_tdb, p, 10000000), 524287);
	assert_int_equal(chains(&hdb_backend_bdb, p, 100), 0);
}

/* A tdb file shows whether a transaction (Exim 4.99+) ever committed. */
static void
test_tdb_txn_used(void **state)
{
	struct tdb_context *tdb;
	struct hdb *h;
	TDB_DATA k = { (unsigned char *)"k", 1 }, v = { (unsigned char *)"v",
	    1 };
	char p[128];

	snprintf(p, sizeof(p), "%s/txn", dir);
	tdb = tdb_open(p, 0, TDB_DEFAULT, O_RDWR | O_CREAT, 0640);
	assert_non_null(tdb);
	assert_int_equal(tdb_store(tdb, k, v, TDB_REPLACE), 0);
	h = hdb_open(&hdb_backend_tdb, p, HDB_O_RDONLY, 0, NULL, 0);
	assert_int_equal(hdb_tdb_txn_used(h), 0);
	hdb_close(h);
	assert_int_equal(tdb_transaction_start(tdb), 0);
	v.dptr = (unsigned char *)"w";	/* the same bytes would not count */
	assert_int_equal(tdb_store(tdb, k, v, TDB_REPLACE), 0);
	assert_int_equal(tdb_transaction_commit(tdb), 0);
	tdb_close(tdb);
	h = hdb_open(&hdb_backend_tdb, p, HDB_O_RDONLY, 0, NULL, 0);
	assert_int_equal(hdb_tdb_txn_used(h), 1);
	hdb_close(h);
}

static void
test_sweep(void **state)
{
	char target[128], p[256], err[256];
	struct hdb_atomic *a;

	snprintf(target, sizeof(target), "%s/seen", dir);
	/* dead writer: removed, files and all */
	snprintf(p, sizeof(p), "%s/.seen.hintsdb.999999999.AbCdEf", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/.seen.hintsdb.999999999.AbCdEf/seen", dir);
	fclose(fopen(p, "w"));
	/* live writer (us), another DB's, and a look-alike: kept */
	snprintf(p, sizeof(p), "%s/.seen.hintsdb.%ld.XyZxYz", dir,
	    (long)getpid());
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/.retry.hintsdb.999999999.AbCdEf", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/.seen.hintsdb.999999999.toolong", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(hdb_atomic_sweep(target, err, sizeof(err)), 1);
	assert_int_equal(nentries(), 3);
	/* a private directory goes with its handle */
	a = hdb_atomic_new(target, err, sizeof(err));
	assert_non_null(a);
	/* reached through the directory's fd, not by its name (pin.h) */
	assert_non_null(strstr(hdb_atomic_path(a), "/proc/self/fd/"));
	assert_int_equal(nentries(), 4);
	fclose(fopen(hdb_atomic_path(a), "w"));
	hdb_atomic_free(a);
	assert_int_equal(nentries(), 3);
}

/*
 * A live rebuild: a key read twice replaces its first copy; finish counts
 * and syncs before the commit (which must still see the files: it lists
 * the directory again); the committed DB has the last copy.
 */
static void
test_writer_last_wins(void **state)
{
	struct hdb_writer *w;
	struct hdb_datum v;
	struct hdb *h;
	uint8_t r1[128], r2[128];
	char target[128], err[256];
	const char *why = NULL;
	size_t l1, l2;

	snprintf(target, sizeof(target), "%s/retry", dir);
	l1 = retry_rec(r1, sizeof(r1), HDB_L_LEGACY, "first");
	l2 = retry_rec(r2, sizeof(r2), HDB_L_LEGACY, "second");
	w = hdb_writer_new(target, &hdb_backend_bdb, 0, HDB_T_RETRY,
	    HDB_L_AUTO, 0, 0, err, sizeof(err));
	assert_non_null(w);
	hdb_writer_last_wins(w);
	assert_int_equal(hdb_writer_put(w, key("k"), dat(r1, l1), &why),
	    HDB_CONV_KEPT);
	assert_int_equal(hdb_writer_put(w, key("k"), dat(r2, l2), &why),
	    HDB_CONV_KEPT);
	assert_int_equal(hdb_writer_stored(w).len, l2);
	assert_int_equal(hdb_writer_put(w, key("j"), dat(r1, l1), &why),
	    HDB_CONV_KEPT);
	assert_int_equal(hdb_writer_finish(w, err, sizeof(err)), 0);
	assert_int_equal(hdb_writer_commit(w, NULL, 0, err, sizeof(err)), 0);
	hdb_writer_free(w);
	h = hdb_open(&hdb_backend_bdb, target, HDB_O_RDONLY, 0, NULL, 0);
	assert_non_null(h);
	assert_int_equal(hdb_get(h, key("k"), &v), HDB_OK);
	assert_int_equal(v.len, l2);
	assert_memory_equal(v.data, r2, l2);
	hdb_close(h);
	assert_int_equal(nentries(), 1);
}

/* A new DB dir/name of backend be, open for writing. */
static struct hdb *
create(const struct hdb_backend *be, const char *name)
{
	char target[128];
	struct hdb *h;

	snprintf(target, sizeof(target), "%s/%s", dir, name);
	h = hdb_open(be, target, HDB_O_RDWR | HDB_O_CREATE, 0640, NULL, 0);
	assert_non_null(h);
	return h;
}

/* The keys of the SQLite DB at path in rowid order, joined by ','. */
static void
rowid_keys(const char *path, char *out, size_t cap)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT ky FROM tblblob "
	    "ORDER BY rowid", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (out[0] != '\0')
			strncat(out, ",", cap - strlen(out) - 1);
		strncat(out, (const char *)sqlite3_column_blob(st, 0),
		    cap - strlen(out) - 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/*
 * Into SQLite, last wins makes a bulk: the puts come back in key order
 * (the table's rows follow the keys), a key put twice once, with its last
 * value, counted once; gets fail meanwhile.  Without it, rows keep the
 * order of the puts.  Other backends have no bulk.
 */
static void
test_writer_bulk(void **state)
{
	static const char *const keys[] = { "k", "j", "k", "a" };
	struct hdb_writer *w;
	struct hdb_datum v;
	struct hdb *h;
	uint8_t r1[128], r2[128];
	char target[128], err[256], order[64];
	const char *why = NULL;
	size_t l1, l2, i;
	int bulk;

	l1 = retry_rec(r1, sizeof(r1), HDB_L_LEGACY, "first");
	l2 = retry_rec(r2, sizeof(r2), HDB_L_LEGACY, "second");
	for (bulk = 0; bulk <= 1; bulk++) {
		snprintf(target, sizeof(target), "%s/retry%d", dir, bulk);
		w = hdb_writer_new(target, &hdb_backend_sqlite, 0,
		    HDB_T_RETRY, HDB_L_AUTO, 0, 0, err, sizeof(err));
		assert_non_null(w);
		if (bulk)
			hdb_writer_last_wins(w);
		for (i = 0; i < 4; i++)
			assert_int_equal(hdb_writer_put(w, key(keys[i]),
			    i == 2 ? dat(r2, l2) : dat(r1, l1), &why),
			    !bulk && i == 2 ? HDB_CONV_REFUSED : HDB_CONV_KEPT);
		assert_int_equal(hdb_writer_finish(w, err, sizeof(err)), 0);
		assert_int_equal(hdb_writer_stats(w)->kept, 3);
		assert_int_equal(hdb_writer_commit(w, NULL, 0, err,
		    sizeof(err)), 0);
		hdb_writer_free(w);
		rowid_keys(target, order, sizeof(order));
		assert_string_equal(order, bulk ? "a,j,k" : "k,j,a");
		h = hdb_open(&hdb_backend_sqlite, target, HDB_O_RDONLY, 0,
		    NULL, 0);
		assert_non_null(h);
		assert_int_equal(hdb_get(h, key("k"), &v), HDB_OK);
		assert_int_equal(v.len, bulk ? l2 : l1);
		hdb_close(h);
	}
	/* while bulk, a get fails; BDB has no bulk */
	h = create(&hdb_backend_sqlite, "new");
	assert_int_equal(hdb_bulk_begin(h), HDB_OK);
	assert_int_equal(hdb_put(h, key("x"), dat(r1, l1)), HDB_OK);
	assert_int_equal(hdb_get(h, key("x"), &v), HDB_ERR);
	hdb_close(h);
	h = create(&hdb_backend_bdb, "bdb");
	assert_int_equal(hdb_bulk_begin(h), HDB_NOTFOUND);
	hdb_close(h);
}

/* The old DB stays readable through its links after a rename over it. */
static void
test_link_old(void **state)
{
	struct hdb_atomic *old, *a;
	struct stat s1, s2;
	char target[128], p[256], err[256];

	snprintf(target, sizeof(target), "%s/seen", dir);
	old = hdb_atomic_new(target, err, sizeof(err));
	assert_non_null(old);
	assert_int_equal(hdb_atomic_link_old(old, err, sizeof(err)), 1);
	hdb_atomic_free(old);
	/* an NDBM pair: both files linked */
	snprintf(p, sizeof(p), "%s.dir", target);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s.pag", target);
	fclose(fopen(p, "w"));
	assert_int_equal(stat(p, &s1), 0);
	old = hdb_atomic_new(target, err, sizeof(err));
	assert_int_equal(hdb_atomic_link_old(old, err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s.pag", hdb_atomic_path(old));
	assert_int_equal(stat(p, &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino);
	/* a one-file DB replaces the pair; the old pair is still there */
	a = hdb_atomic_new(target, err, sizeof(err));
	fclose(fopen(hdb_atomic_path(a), "w"));
	assert_int_equal(hdb_atomic_sync(a, err, sizeof(err)), 0);
	assert_int_equal(hdb_atomic_commit(a, NULL, 1, err, sizeof(err)), 0);
	hdb_atomic_free(a);
	assert_int_equal(stat(p, &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino);
	hdb_atomic_free(old);
	assert_int_equal(nentries(), 1);	/* seen; links and all gone */
}

/* Pages of path in the page cache, of its pages (mincore). */
static void
resident(const char *path, size_t *in, size_t *all)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *vec;
	struct stat st;
	void *m;
	size_t i;
	int fd = open(path, O_RDONLY);

	assert_true(fd != -1 && fstat(fd, &st) == 0 && st.st_size > 0);
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	*all = ((size_t)st.st_size + (size_t)pg - 1) / (size_t)pg;
	vec = malloc(*all);
	assert_non_null(vec);
	assert_int_equal(mincore(m, (size_t)st.st_size, vec), 0);
	for (i = 0, *in = 0; i < *all; i++)
		*in += vec[i] & 1;
	free(vec);
	munmap(m, (size_t)st.st_size);
	close(fd);
}

/*
 * hdb_atomic_warm reads the new file through: dropped from the page cache
 * (clean after a sync) and warmed, every page is back, holes included;
 * also with an SQLite journal beside it, as while SQLite builds the file.
 */
static void
test_warm(void **state)
{
	struct hdb_atomic *a;
	char target[128], err[256], jpath[512];
	size_t in, all;
	int fd, jfd;

	snprintf(target, sizeof(target), "%s/misc", dir);
	a = hdb_atomic_new(target, err, sizeof(err));
	assert_non_null(a);
	fd = open(hdb_atomic_path(a), O_RDWR | O_CREAT, 0600);
	assert_true(fd != -1);
	assert_int_equal(pwrite(fd, "x", 1, 0), 1);
	assert_int_equal(ftruncate(fd, 4 << 20), 0);	/* the rest a hole */
	assert_int_equal(pwrite(fd, "y", 1, (2 << 20) + 5), 1);
	assert_int_equal(hdb_atomic_sync(a, err, sizeof(err)), 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	snprintf(jpath, sizeof(jpath), "%s-journal", hdb_atomic_path(a));
	jfd = open(jpath, O_RDWR | O_CREAT, 0600);
	assert_true(jfd != -1);
	resident(hdb_atomic_path(a), &in, &all);
	assert_true(in < all / 2);
	hdb_atomic_warm(a);
	resident(hdb_atomic_path(a), &in, &all);
	assert_int_equal(in, all);
	close(jfd);
	assert_int_equal(unlink(jpath), 0);
	close(fd);
	hdb_atomic_free(a);
	assert_int_equal(nentries(), 0);
}

/*
 * hdb_bdb_retrust after a commit never vouches for content that changed:
 * a page damaged after the writer's close (which moves the mtime) is
 * found by the next open, as before.
 */
static void
test_retrust_safe(void **state)
{
	struct hdb_writer *w;
	struct hdb_datum v;
	struct stat st;
	struct hdb *h;
	uint8_t r[128], junk[512];
	char target[128], err[256];
	const char *why = NULL;
	size_t l = retry_rec(r, sizeof(r), HDB_L_LEGACY, "x");
	int fd, i;

	snprintf(target, sizeof(target), "%s/retry", dir);
	w = hdb_writer_new(target, &hdb_backend_bdb, 0, HDB_T_RETRY,
	    HDB_L_AUTO, 0, 0, err, sizeof(err));
	assert_non_null(w);
	for (i = 0; i < 200; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(hdb_writer_put(w, key(k), dat(r, l), &why),
		    HDB_CONV_KEPT);
	}
	assert_int_equal(hdb_writer_commit(w, NULL, 0, err, sizeof(err)), 0);
	hdb_writer_free(w);
	/* a hash bucket page gone bad: bytes that no libdb wrote, a clock
	 * tick later, so that the write moves the mtime */
	usleep(20000);
	memset(junk, 0xff, sizeof(junk));
	fd = open(target, O_WRONLY);
	assert_true(fd != -1);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 4096 + 26), 512);
	close(fd);
	assert_int_equal(stat(target, &st), 0);
	hdb_bdb_retrust(&st);
	h = hdb_open(&hdb_backend_bdb, target, HDB_O_RDONLY, 0, NULL, 0);
	assert_non_null(h);
	assert_int_equal(hdb_get(h, key("k1"), &v), HDB_ERR);
	assert_non_null(strstr(hdb_error(h), "damaged"));
	hdb_close(h);
}

static void
test_abi(void **state)
{
	const char *abi = hdb_abi();

	assert_non_null(strchr(abi, '-'));
	assert_true(strstr(abi, "-le") != NULL || strstr(abi, "-be") != NULL);
#if defined(__x86_64__)
	assert_string_equal(abi, "x86_64-lp64-le");
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rec_keep_and_reencode),
		cmocka_unit_test(test_rec_padding_zeroed),
		cmocka_unit_test(test_rec_v2_bool_padding),
		cmocka_unit_test(test_rec_undecodable),
		cmocka_unit_test_setup_teardown(test_writer_new_db, mkdir_tmp,
		    rm_tmp),
		cmocka_unit_test_setup_teardown(test_writer_replace_like,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_writer_ndbm_and_back,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_writer_refuse_drop_dup,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_copy, mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_tdb_chains, mkdir_tmp,
		    rm_tmp),
		cmocka_unit_test_setup_teardown(test_tdb_txn_used, mkdir_tmp,
		    rm_tmp),
		cmocka_unit_test_setup_teardown(test_sweep, mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_writer_last_wins,
		    mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_writer_bulk, mkdir_tmp,
		    rm_tmp),
		cmocka_unit_test_setup_teardown(test_link_old, mkdir_tmp,
		    rm_tmp),
		cmocka_unit_test_setup_teardown(test_warm, mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_retrust_safe, mkdir_tmp,
		    rm_tmp),
		cmocka_unit_test(test_abi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
