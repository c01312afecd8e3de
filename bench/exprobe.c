/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exprobe.c - run one command for `make bench` while a writer that behaves
 * as an Exim delivery process writes a fresh retry record into the same DB
 * every 10 ms, and say how long the writer waited and whether any write
 * failed or was lost.
 *
 * Each write is one Exim hints access, as the Exim that uses the backend
 * makes it:
 *   Berkeley DB, GDBM, NDBM (every Exim), tdb (4.94-4.98): open
 *	DB.lockfile, F_SETLKW F_WRLCK on it, open the DB, put, close, unlock.
 *	Berkeley DB through libdb itself, as Exim 4.98+ opens it (a private
 *	DB_ENV whose home is the file's directory, DB_HASH, DB_CREATE): not
 *	through hdb_open, whose check of a file changed by someone else
 *	reads the whole file first, which Exim never does.
 *   SQLite (4.98+, here 4.100.1's tblblob): sqlite3_open_v2,
 *	sqlite3_busy_timeout(5000), "BEGIN TRANSACTION;", with -r a SELECT
 *	of the key first (as retry_update reads before it writes), "INSERT OR
 *	REPLACE INTO tblblob (ky, dat) VALUES(?, ?)", "COMMIT TRANSACTION;",
 *	close.  Exim ignores a failed INSERT (the hint is lost); we count it.
 *   tdb with -t (4.99+, no lockfile): tdb_open, tdb_transaction_start,
 *	tdb_store, tdb_transaction_commit, tdb_close.
 * The wait of a write is the whole access, from the open to the unlock or
 * COMMIT, so it includes the writer's own flush.  Every key is new
 * ("probe:<pid>:<n>"); at the end each is read back, and one missing or
 * different is a lost write.
 *
 *	exprobe [-rt] [-i MS] [-o OUT] [-e ERR] -f DB -- COMMAND [ARG...]
 *
 * One JSON object goes to stdout: the command's wall time, CPU, peak RSS
 * and status (bench/measure.c), and the writer's writes, failed, lost,
 * max_wait_ms, mean_wait_ms and over_100ms.  Exit status: 0, or 2 if the
 * command could not be run or measured.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <db.h>
#include <sqlite3.h>
#include <tdb.h>

#include "db/hdb.h"
#include "rec/rec.h"

#include "measure.h"

enum mode { M_LOCK, M_BDB, M_SQLITE, M_TDB };

struct writer {
	enum mode	 mode;
	const char	*db;
	char		 lockpath[4096];
	int		 read_first;	/* SQLite: SELECT before the INSERT */
	enum hdb_layout	 layout;
	long		 writes, failed, lost, over;
	double		 max, sum;
};

static void
mkkey(char *key, size_t len, long n)
{
	snprintf(key, len, "probe:%ld:%ld", (long)getpid(), n);
}

/* A fresh retry record for key n: its text is the key, so it can be told. */
static size_t
mkval(const struct writer *w, const char *key, uint8_t *buf, size_t cap)
{
	struct hdb_rec r;

	memset(&r, 0, sizeof(r));
	r.type = HDB_T_RETRY;
	r.time_stamp = time(NULL);
	r.u.retry.first_failed = r.u.retry.last_try = r.time_stamp;
	r.u.retry.next_try = r.time_stamp + 900;
	r.u.retry.basic_errno = -44;
	r.u.retry.text = (const uint8_t *)key;
	r.u.retry.text_len = strlen(key);
	return hdb_rec_encode(&r, w->layout, buf, cap);
}

/* Exim's put into a Berkeley DB file (hintsdb/hints_bdb.h, 4.1+ API). */
static int
put_bdb(const char *path, struct hdb_datum k, struct hdb_datum v)
{
	char dir[4096];
	const char *name = strrchr(path, '/');
	DB_ENV *env = NULL;
	DB *db = NULL;
	DBT key, val;
	int rc = -1;

	if (name == NULL || (size_t)(name - path) >= sizeof(dir))
		errx(2, "%s: needs a directory", path);
	memcpy(dir, path, (size_t)(name - path));
	dir[name - path] = '\0';
	name++;
	if (db_env_create(&env, 0) != 0 || env->open(env, dir,
	    DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0) != 0 ||
	    db_create(&db, env, 0) != 0 || db->open(db, NULL, name, NULL,
	    DB_HASH, DB_CREATE, 0640) != 0)
		goto out;
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = (void *)k.data;
	key.size = (u_int32_t)k.len;
	val.data = (void *)v.data;
	val.size = (u_int32_t)v.len;
	rc = db->put(db, NULL, &key, &val, 0) == 0 ? 0 : -1;
out:
	if (db != NULL)
		db->close(db, 0);
	if (env != NULL)
		env->close(env, DB_FORCESYNC);
	return rc;
}

/* One Exim access by lockfile; 0, or -1 if the write failed. */
static int
put_lock(struct writer *w, struct hdb_datum k, struct hdb_datum v)
{
	struct flock fl;
	struct hdb *h;
	char why[256];
	int fd, rc = -1;

	if ((fd = open(w->lockpath, O_RDWR)) == -1)
		err(2, "%s", w->lockpath);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLKW, &fl) == -1)
		if (errno != EINTR)
			err(2, "lock %s", w->lockpath);
	if (w->mode == M_BDB) {
		rc = put_bdb(w->db, k, v);
		goto out;
	}
	if ((h = hdb_open(NULL, w->db, HDB_O_RDWR, 0640, why,
	    sizeof(why))) == NULL)
		goto out;
	rc = hdb_put(h, k, v) == HDB_OK ? 0 : -1;
	hdb_close(h);
out:
	close(fd);
	return rc;
}

static int
put_sqlite(struct writer *w, struct hdb_datum k, struct hdb_datum v)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int ok = 0;

	if (sqlite3_open_v2(w->db, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		errx(2, "open %s: %s", w->db, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN TRANSACTION;", NULL, NULL, NULL) !=
	    SQLITE_OK)
		goto out;
	if (w->read_first) {
		if (sqlite3_prepare_v2(db, "SELECT dat FROM tblblob WHERE "
		    "ky = ?", -1, &st, NULL) != SQLITE_OK)
			goto out;
		sqlite3_bind_blob(st, 1, k.data, (int)k.len, SQLITE_STATIC);
		(void)sqlite3_step(st);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO tblblob (ky, dat) "
	    "VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_blob(st, 1, k.data, (int)k.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, v.data, (int)v.len, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_DONE;
out:
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT TRANSACTION;", NULL, NULL, NULL) !=
	    SQLITE_OK)
		ok = 0;
	sqlite3_close(db);
	return ok ? 0 : -1;
}

static int
put_tdb(struct writer *w, struct hdb_datum k, struct hdb_datum v)
{
	struct tdb_context *t;
	TDB_DATA tk, tv;
	int rc = -1;

	if ((t = tdb_open(w->db, 0, TDB_DEFAULT, O_RDWR, 0)) == NULL)
		err(2, "tdb_open %s", w->db);
	tk.dptr = (unsigned char *)(uintptr_t)k.data;
	tk.dsize = k.len;
	tv.dptr = (unsigned char *)(uintptr_t)v.data;
	tv.dsize = v.len;
	if (tdb_transaction_start(t) == 0 &&
	    tdb_store(t, tk, tv, TDB_REPLACE) == 0 &&
	    tdb_transaction_commit(t) == 0)
		rc = 0;
	tdb_close(t);
	return rc;
}

static void
write_one(struct writer *w)
{
	char key[64];
	uint8_t buf[256];
	struct hdb_datum k, v;
	double t0, d;
	int rc;

	mkkey(key, sizeof(key), w->writes);
	k.data = (const uint8_t *)key;
	k.len = strlen(key) + 1;
	v.data = buf;
	v.len = mkval(w, key, buf, sizeof(buf));
	t0 = measure_now_ms();
	rc = w->mode <= M_BDB ? put_lock(w, k, v) : w->mode == M_SQLITE ?
	    put_sqlite(w, k, v) : put_tdb(w, k, v);
	d = measure_now_ms() - t0;
	w->writes++;
	if (rc == -1)
		w->failed++;
	w->sum += d;
	if (d > w->max)
		w->max = d;
	if (d > 100)
		w->over++;
}

/* Read every key back; a failed write is not also counted lost. */
static void
check(struct writer *w)
{
	struct hdb_datum k, v;
	struct hdb *h;
	char key[64], why[256];
	long i;

	if ((h = hdb_open(NULL, w->db, HDB_O_RDONLY, 0, why,
	    sizeof(why))) == NULL)
		errx(2, "open %s: %s", w->db, why);
	for (i = 0; i < w->writes; i++) {
		mkkey(key, sizeof(key), i);
		k.data = (const uint8_t *)key;
		k.len = strlen(key) + 1;
		if (hdb_get(h, k, &v) != HDB_OK) {
			w->lost++;
			continue;
		}
		/* the time stamps differ, and convert changes the layout;
		 * the text (the key) must be there */
		if (memmem(v.data, v.len, key, strlen(key)) == NULL)
			w->lost++;
	}
	hdb_close(h);
	if (w->lost > w->failed)
		w->lost -= w->failed;
	else
		w->lost = 0;
}

static void
tick(void *arg)
{
	write_one(arg);
}

static json_t *
report(const struct measure *m, const struct writer *w)
{
	json_t *o = measure_json(m);

	json_object_set_new(o, "writer", json_string(w->mode == M_SQLITE ?
	    (w->read_first ? "sqlite-read-first" : "sqlite") :
	    w->mode == M_TDB ? "tdb-txn" : "lockfile"));
	json_object_set_new(o, "writes", json_integer(w->writes));
	json_object_set_new(o, "failed", json_integer(w->failed));
	json_object_set_new(o, "lost", json_integer(w->lost));
	json_object_set_new(o, "max_wait_ms", json_real(w->max));
	json_object_set_new(o, "mean_wait_ms", json_real(w->writes ?
	    w->sum / (double)w->writes : 0.0));
	json_object_set_new(o, "over_100ms", json_integer(w->over));
	return o;
}

int
main(int argc, char **argv)
{
	const char *out = "/dev/null", *errpath = "/dev/null";
	const struct hdb_backend *be;
	struct writer w;
	struct measure m;
	double period = 10;
	int ch, tdb_txn = 0;

	memset(&w, 0, sizeof(w));
	while ((ch = getopt(argc, argv, "e:f:i:o:rt")) != -1) {
		switch (ch) {
		case 'e':
			errpath = optarg;
			break;
		case 'f':
			w.db = optarg;
			break;
		case 'i':
			period = atof(optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'r':
			w.read_first = 1;
			break;
		case 't':
			tdb_txn = 1;
			break;
		default:
			errx(2, "usage: exprobe [-rt] [-i MS] [-o OUT] [-e ERR] "
			    "-f DB -- COMMAND [ARG...]");
		}
	}
	argv += optind;
	if (argv[0] == NULL || w.db == NULL || period < 1)
		errx(2, "no command or DB, or a period under 1 ms");
	if ((be = hdb_detect(w.db)) == NULL)
		errx(2, "%s: not a hints DB", w.db);
	w.mode = strcmp(be->name, "sqlite") == 0 ? M_SQLITE :
	    strcmp(be->name, "tdb") == 0 && tdb_txn ? M_TDB :
	    be == &hdb_backend_bdb ? M_BDB : M_LOCK;
	w.layout = w.mode == M_SQLITE ? HDB_L_V2 : HDB_L_LEGACY;
	snprintf(w.lockpath, sizeof(w.lockpath), "%s.lockfile", w.db);
	measure_run(argv, out, errpath, period, tick, &w, &m);
	check(&w);
	measure_print(report(&m, &w));
	return 0;
}
