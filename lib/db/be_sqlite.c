/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * be_sqlite.c - the SQLite 3 backend, for both of Exim's schemas:
 *
 *   4.99.1+      tblblob(ky BLOB PRIMARY KEY, dat BLOB)  key bytes with NUL
 *   4.98-4.98.2  tbl(ky TEXT PRIMARY KEY, dat BLOB)      key text, no NUL
 *   4.99         tbl(ky TEXT PRIMARY KEY, dat BLOB)      xtext of key + NUL
 *
 * Callers always see keys with their trailing NUL; this file translates.  If
 * a file has both tables, tblblob wins (4.99.1 drops tbl on every open, so
 * tbl is then stale).  We never drop or migrate a table.
 *
 * Telling the two tbl encodings apart: xtext writes the NUL as "+00", so
 * every 4.99 key ends in "+00" and no real 4.98 key does.  The rule: at open,
 * tbl is in 4.99 xtext mode if any key ends in "+00", otherwise (including an
 * empty tbl) in 4.98.1 text mode.  In xtext mode a row that does not end in
 * "+00", or is not valid xtext, is a 4.98 leftover (4.99 never finds it): it
 * is read as text plus NUL, get and del fall back to it, and put replaces it
 * with the xtext row.  Writes in text mode refuse keys it cannot hold: no
 * trailing NUL, a NUL inside, or text ending in "+00".
 *
 * Opens: read-only with SQLITE_OPEN_READONLY (never creates, never writes,
 * no journal); SQLITE_OPEN_NOFOLLOW always; busy timeout 5000 ms as Exim,
 * but tried every millisecond (see sq_busy).
 * A writer runs everything inside one transaction (BEGIN IMMEDIATE at open,
 * COMMIT at close, as Exim's normal opens), so a writer that dies midway
 * leaves the DB as it was.  hdb_close cannot report a failed COMMIT (it is
 * rolled back): a writer that must know calls hdb_sync first, which commits
 * and starts a new transaction.  New files get tblblob, or tbl in 4.98.1
 * encoding with HDB_O_SQLITE_TBL (4.99.0's xtext with HDB_O_SQLITE_XTEXT
 * too).  If a writer died, its hot journal must be rolled back before the
 * DB can be read; a read-only open cannot do that and fails with a text
 * that says so (the next read-write open, ours or Exim's, rolls it back).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/hdb.h"
#include "db/lock.h"
#include "db/sqlite_pin.h"
#include "out.h"
#include "xmalloc.h"

enum sq_mode {
	SQ_BLOB,	/* tblblob: key bytes as they are */
	SQ_TEXT,	/* tbl, 4.98.x: text without the NUL */
	SQ_XTEXT	/* tbl, 4.99: xtext of the key and its NUL */
};

struct be_sqlite {
	sqlite3		*db;
	sqlite3_stmt	*get;
	sqlite3_stmt	*put;
	sqlite3_stmt	*del;
	sqlite3_stmt	*iter;
	sqlite3_stmt	*iter_after;
	sqlite3_stmt	*scan;		/* rowid order */
	sqlite3_stmt	*scan_after;
	sqlite3_stmt	*version;	/* PRAGMA data_version */
	sqlite3_stmt	*stage;		/* bulk: INSERT INTO the temp table */
	enum sq_mode	 mode;
	int		 bulk;		/* puts go to the temp table */
	int		 txn;		/* in a write transaction */
	int		 held;		/* hdb_hold was called */
	struct timespec	 busy_since;	/* the current wait for a lock */
	uint8_t		*val;		/* last get's value */
	size_t		 valcap;
	uint8_t		*enc;		/* key as stored (xtext) */
	size_t		 enccap;
	uint8_t		*ikey;		/* iteration's key, decoded */
	size_t		 ikeycap;
	uint8_t		*resume;	/* a read scan's last stored key */
	size_t		 resumecap;
};

#define READ_BUDGET_MS	100.0	/* without hdb_read_budget */

static int	sq_probe(const uint8_t *, size_t);
static int	sq_open(struct hdb *, const char *, int, mode_t);
static void	sq_close(struct hdb *);
static int	sq_get(struct hdb *, struct hdb_datum, struct hdb_datum *);
static int	sq_put(struct hdb *, struct hdb_datum, struct hdb_datum);
static int	sq_del(struct hdb *, struct hdb_datum);
static int	sq_iterate(struct hdb *, struct hdb_datum, hdb_iter_fn,
		    void *);
static int	sq_scan(struct hdb *, hdb_iter_fn, void *, int *);
static int	sq_verify(struct hdb *);
static int	sq_sync(struct hdb *);
static int	sq_hold(struct hdb *, int);
static int	sq_sweep(struct hdb *, int64_t *, hdb_iter_fn, void *);
static int	sq_bulk_begin(struct hdb *);
static int	sq_bulk_end(struct hdb *, hdb_iter_fn, void *);
static int	sq_fail(struct hdb *, sqlite3 *, const char *);
static int	sq_busy(void *, int);
static int	sq_quiet(struct hdb *, int);
static int	sq_exec(struct hdb *, struct be_sqlite *, const char *);
static int	sq_schema(struct hdb *, struct be_sqlite *, int);
static int	sq_prepare(struct hdb *, struct be_sqlite *);
static void	sq_release(struct be_sqlite *);
static int	bind_key(struct be_sqlite *, sqlite3_stmt *, const uint8_t *,
		    size_t);
static int	lookup(struct hdb *, struct be_sqlite *, const uint8_t *,
		    size_t, struct hdb_datum *);
static int	step_done(struct hdb *, struct be_sqlite *, sqlite3_stmt *,
		    int, const char *);
static int	remove_key(struct hdb *, struct be_sqlite *, const uint8_t *,
		    size_t, int *);
static int	stored_key(struct hdb *, struct be_sqlite *, struct hdb_datum,
		    const uint8_t **, size_t *);
static struct hdb_datum row_key(struct be_sqlite *, sqlite3_stmt *);
static int	as_text(struct hdb_datum, size_t *);
static size_t	xtext_encode(struct be_sqlite *, struct hdb_datum);
static int	xtext_decode(const uint8_t *, size_t, uint8_t *, size_t *);
static int	hexval(uint8_t);
static double	now_ms(void);
static sqlite3_stmt *next_piece(struct hdb *, struct be_sqlite *,
		    sqlite3_stmt *, double);
static void	grow(uint8_t **, size_t *, size_t);

static int	sq_free_bytes(struct hdb *, uint64_t *);

const struct hdb_backend hdb_backend_sqlite = {
	.name = "sqlite",
	.caps = HDB_CAP_LOCKS_ITSELF | HDB_CAP_TXN | HDB_CAP_ORDER_KEPT |
	    HDB_CAP_HOLDS_OPEN,
	.suffix = "",
	.probe = sq_probe,
	.open = sq_open,
	.close = sq_close,
	.get = sq_get,
	.put = sq_put,
	.del = sq_del,
	.iterate_after = sq_iterate,
	.scan = sq_scan,
	.verify = sq_verify,
	.quiet = sq_quiet,
	.sync = sq_sync,
	.hold = sq_hold,
	.sweep = sq_sweep,
	.bulk_begin = sq_bulk_begin,
	.bulk_end = sq_bulk_end,
	.free_bytes = sq_free_bytes,
};

static const char *const tables[] = {
	[SQ_BLOB] = "tblblob",
	[SQ_TEXT] = "tbl",
	[SQ_XTEXT] = "tbl",
};

static int
sq_probe(const uint8_t *head, size_t len)
{
	static const char magic[] = "SQLite format 3";	/* and its NUL */

	return len >= sizeof(magic) && memcmp(head, magic, sizeof(magic)) == 0;
}

/*
 * sq_fail - SQLite's text for the last error.  A read-only open that meets
 * the hot journal of a writer that died gets SQLITE_READONLY_ROLLBACK: it may
 * not roll back, and the file alone is not the committed state, so say so.
 */
static int
sq_fail(struct hdb *h, sqlite3 *db, const char *what)
{
	const char *r = hdb_sqlite_refused();
	char *v;

	if (r != NULL) {
		v = hdb_vis_dup(r, strlen(r));
		hdb_seterr(h, "%s '%s': SQLite asked for '%s', which is not "
		    "the DB's own file or its journal (a super-journal named "
		    "by a planted journal?): refused", what, h->path, v);
		free(v);
		return HDB_ERR;
	}
	if (db == NULL)
		return hdb_seterr(h, "%s '%s': out of memory", what, h->path);
	if (sqlite3_extended_errcode(db) == SQLITE_READONLY_ROLLBACK)
		return hdb_seterr(h, "%s '%s': a writer died mid-transaction "
		    "and its journal needs rolling back, which only a "
		    "read-write open does", what, h->path);
	return hdb_seterr(h, "%s '%s': %s", what, h->path,
	    sqlite3_errmsg(db));
}

/*
 * sq_busy - the busy handler: try again every millisecond, for 5000 ms.
 * SQLite's own (sqlite3_busy_timeout) sleeps up to 100 ms between tries,
 * and Exim's writers, which use it, come every few milliseconds on a busy
 * server: a try per 100 ms would almost never find the lock free between
 * two of them.  Exim's writers still get their turn: ours pause between
 * their short transactions (see tidy).
 */
static int
sq_busy(void *arg, int tries)
{
	struct be_sqlite *s = arg;
	struct timespec now, ms = { 0, 1000000L };
	double waited;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (tries == 0)
		s->busy_since = now;
	waited = (double)(now.tv_sec - s->busy_since.tv_sec) * 1e3 +
	    (double)(now.tv_nsec - s->busy_since.tv_nsec) / 1e6;
	if (waited >= 5000)
		return 0;
	nanosleep(&ms, NULL);
	return 1;
}

static int
sq_exec(struct hdb *h, struct be_sqlite *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (hdb_sqlite_refused() != NULL) {
			sqlite3_free(msg);
			return sq_fail(h, s->db, "cannot use");
		}
		hdb_seterr(h, "%s failed on '%s': %s", sql, h->path,
		    msg != NULL ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return HDB_ERR;
	}
	return HDB_OK;
}

static void
grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	*buf = xreallocarray(*buf, 1, need);
	*cap = need;
}

/*
 * sq_schema - which of Exim's tables this file has, creating one on a
 * creating open.  For tbl, sample the keys to pick the encoding (see top).
 */
static int
sq_schema(struct hdb *h, struct be_sqlite *s, int flags)
{
	sqlite3_stmt *st = NULL;
	const char *name, *create;
	int has_blob = 0, has_tbl = 0, r, rc = HDB_ERR;

	r = sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE "
	    "type = 'table' AND name IN ('tblblob', 'tbl')", -1, &st, NULL);
	if (r != SQLITE_OK) {
		sq_fail(h, s->db, "cannot read");
		goto out;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		if (name != NULL && strcmp(name, "tblblob") == 0)
			has_blob = 1;
		else if (name != NULL && strcmp(name, "tbl") == 0)
			has_tbl = 1;
	}
	if (r != SQLITE_DONE) {
		sq_fail(h, s->db, "cannot read");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;

	if (has_blob)
		s->mode = SQ_BLOB;
	else if (has_tbl)
		s->mode = SQ_TEXT;
	else if (flags & HDB_O_CREATE) {
		if (flags & HDB_O_SQLITE_TBL) {
			s->mode = flags & HDB_O_SQLITE_XTEXT ? SQ_XTEXT :
			    SQ_TEXT;
			create = "CREATE TABLE tbl "
			    "(ky TEXT PRIMARY KEY, dat BLOB)";
		} else {
			s->mode = SQ_BLOB;
			create = "CREATE TABLE tblblob "
			    "(ky BLOB PRIMARY KEY, dat BLOB)";
		}
		if (sq_exec(h, s, create) != HDB_OK)
			goto out;
	} else {
		hdb_seterr(h, "cannot open '%s': no Exim hints table "
		    "(tblblob or tbl)", h->path);
		goto out;
	}

	if (s->mode == SQ_TEXT) {
		r = sqlite3_prepare_v2(s->db, "SELECT 1 FROM tbl WHERE "
		    "substr(ky, -3) = '+00' LIMIT 1", -1, &st, NULL);
		if (r != SQLITE_OK) {
			sq_fail(h, s->db, "cannot read");
			goto out;
		}
		r = sqlite3_step(st);
		if (r == SQLITE_ROW)
			s->mode = SQ_XTEXT;
		else if (r != SQLITE_DONE) {
			sq_fail(h, s->db, "cannot read");
			goto out;
		}
	}
	rc = HDB_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

static int
sq_prepare(struct hdb *h, struct be_sqlite *s)
{
	char sql[192], dat[64];
	const char *t = tables[s->mode];

	/* size-capped reads never load a value over the cap (hdb.h) */
	if (hdb_sizes_capped())
		snprintf(dat, sizeof(dat), "CASE WHEN length(dat) <= %u THEN "
		    "dat END", HDB_VAL_MAX);
	else
		snprintf(dat, sizeof(dat), "dat");

	snprintf(sql, sizeof(sql), "SELECT dat FROM %s WHERE ky = ?1", t);
	if (sqlite3_prepare_v2(s->db, sql, -1, &s->get, NULL) != SQLITE_OK)
		goto fail;
	/* iterate and iterate_after: the same order, that of the stored key */
	snprintf(sql, sizeof(sql), "SELECT ky, %s, rowid, length(dat) FROM "
	    "%s ORDER BY ky", dat, t);
	if (sqlite3_prepare_v2(s->db, sql, -1, &s->iter, NULL) != SQLITE_OK)
		goto fail;
	snprintf(sql, sizeof(sql), "SELECT ky, %s, rowid, length(dat) FROM "
	    "%s WHERE ky > ?1 ORDER BY ky", dat, t);
	if (sqlite3_prepare_v2(s->db, sql, -1, &s->iter_after, NULL) !=
	    SQLITE_OK)
		goto fail;
	snprintf(sql, sizeof(sql), "SELECT ky, %s, rowid, length(dat) FROM "
	    "%s ORDER BY rowid", dat, t);
	if (sqlite3_prepare_v2(s->db, sql, -1, &s->scan, NULL) != SQLITE_OK)
		goto fail;
	snprintf(sql, sizeof(sql), "SELECT ky, %s, rowid, length(dat) FROM "
	    "%s WHERE rowid > ?1 ORDER BY rowid", dat, t);
	if (sqlite3_prepare_v2(s->db, sql, -1, &s->scan_after, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &s->version,
	    NULL) != SQLITE_OK)
		goto fail;
	if (!(h->flags & HDB_O_RDWR))
		return HDB_OK;
	snprintf(sql, sizeof(sql),
	    "INSERT OR REPLACE INTO %s (ky, dat) VALUES (?1, ?2)", t);
	if (sqlite3_prepare_v2(s->db, sql, -1, &s->put, NULL) != SQLITE_OK)
		goto fail;
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE ky = ?1", t);
	if (sqlite3_prepare_v2(s->db, sql, -1, &s->del, NULL) != SQLITE_OK)
		goto fail;
	return HDB_OK;
fail:
	return sq_fail(h, s->db, "cannot prepare statements for");
}

static void
sq_release(struct be_sqlite *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->iter);
	sqlite3_finalize(s->iter_after);
	sqlite3_finalize(s->scan);
	sqlite3_finalize(s->scan_after);
	sqlite3_finalize(s->version);
	sqlite3_finalize(s->stage);
	if (s->txn &&
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	free(s->val);
	free(s->enc);
	free(s->ikey);
	free(s->resume);
	free(s);
}

/*
 * super_journal - refuse a DB whose hot journal names a super-journal:
 * rolling it back, SQLite would read and delete the file named, which
 * the Exim user chose.  Exim never writes one (it attaches no second DB),
 * and the VFS would refuse to reach it (sqlite_pin.c); this says why.
 */
static int
super_journal(struct hdb *h, const char *path)
{
	char name[1024], *v;

	if (!hdb_sqlite_super(path, name, sizeof(name)))
		return HDB_OK;
	v = hdb_vis_dup(name, strlen(name));
	hdb_seterr(h, "cannot open '%s': its hot journal '%s-journal' names "
	    "a super-journal, '%s', that SQLite would delete in rolling it "
	    "back; Exim never writes one: look at the journal, then remove "
	    "it (the DB stays as the last commit left it)", path, path, v);
	free(v);
	errno = EIO;	/* not a permission problem: no hint to drop less */
	return HDB_ERR;
}

static int
sq_open(struct hdb *h, const char *path, int flags, mode_t mode)
{
	struct be_sqlite *s;
	struct stat st;
	int oflags, fd, rc = HDB_ERR;

	s = xcalloc(1, sizeof(*s));
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			hdb_seterr(h, "cannot open '%s': %s", path,
			    strerror(ELOOP));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			hdb_seterr(h, "cannot open '%s': not a regular file",
			    path);
			goto out;
		}
	} else if (errno != ENOENT || !(flags & HDB_O_CREATE)) {
		hdb_seterr(h, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	} else {
		/*
		 * SQLite takes no mode, so make the (empty, hence valid)
		 * file with ours; its journal copies the file's permissions.
		 */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
		if (fd == -1 || close(fd) == -1) {
			hdb_seterr(h, "cannot create '%s': %s", path,
			    strerror(errno));
			goto out;
		}
	}

	if (super_journal(h, path) != HDB_OK)
		goto out;
	hdb_sqlite_refused_clear();
	oflags = SQLITE_OPEN_NOFOLLOW;
	if (flags & HDB_O_RDWR)
		oflags |= SQLITE_OPEN_READWRITE;
	else
		oflags |= SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2(path, &s->db, oflags, hdb_sqlite_vfs()) !=
	    SQLITE_OK) {
		sq_fail(h, s->db, "cannot open");
		goto out;
	}
	if (hdb_sqlite_harden(s->db) != 0) {
		hdb_seterr(h, "cannot open '%s': SQLite refused the defensive "
		    "settings", path);
		goto out;
	}
	sqlite3_busy_handler(s->db, sq_busy, s);
	if (flags & HDB_O_RDWR) {
		if (sq_exec(h, s, "BEGIN IMMEDIATE") != HDB_OK)
			goto out;
		s->txn = 1;
	}
	if (sq_schema(h, s, flags) != HDB_OK || sq_prepare(h, s) != HDB_OK)
		goto out;
	h->priv = s;
	s = NULL;
	rc = HDB_OK;
out:
	if (s != NULL && s->txn) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->txn = 0;
	}
	sq_release(s);
	return rc;
}

static void
sq_close(struct hdb *h)
{
	sq_release(h->priv);
	h->priv = NULL;
}

/*
 * as_text - can key be stored as 4.98.x text?  It must end in its only NUL,
 * and its text must not end in "+00" (that would read back as xtext).
 */
static int
as_text(struct hdb_datum key, size_t *len)
{
	size_t n;

	if (key.len == 0 || key.data[key.len - 1] != '\0')
		return 0;
	n = key.len - 1;
	if (n > 0 && memchr(key.data, '\0', n) != NULL)
		return 0;
	if (n >= 3 && memcmp(key.data + n - 3, "+00", 3) == 0)
		return 0;
	*len = n;
	return 1;
}

/* xtext_encode - into s->enc; returns the length. */
static size_t
xtext_encode(struct be_sqlite *s, struct hdb_datum key)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = 0;
	uint8_t c;

	grow(&s->enc, &s->enccap, key.len * 3 + 1);
	for (i = 0; i < key.len; i++) {
		c = key.data[i];
		if (c >= 33 && c <= 126 && c != '+' && c != '=')
			s->enc[n++] = c;
		else {
			s->enc[n++] = '+';
			s->enc[n++] = (uint8_t)hex[c >> 4];
			s->enc[n++] = (uint8_t)hex[c & 0x0f];
		}
	}
	return n;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * xtext_decode - strict: literal bytes must be ones xtext keeps, and every
 * '+' must have two hex digits.  out needs len bytes.  Returns 0 if s is not
 * valid xtext.
 */
static int
xtext_decode(const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (in[i] == '+') {
			if (len - i < 3 || (hi = hexval(in[i + 1])) < 0 ||
			    (lo = hexval(in[i + 2])) < 0)
				return 0;
			out[n++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else if (in[i] >= 33 && in[i] <= 126 && in[i] != '=')
			out[n++] = in[i];
		else
			return 0;
	}
	*outlen = n;
	return 1;
}

static int
bind_key(struct be_sqlite *s, sqlite3_stmt *st, const uint8_t *k, size_t n)
{
	if (n > INT32_MAX)
		return SQLITE_TOOBIG;
	if (s->mode == SQ_BLOB)
		return sqlite3_bind_blob(st, 1, n > 0 ? k : (const uint8_t *)"",
		    (int)n, SQLITE_STATIC);
	return sqlite3_bind_text(st, 1, n > 0 ? (const char *)k : "", (int)n,
	    SQLITE_STATIC);
}

/* lookup - one SELECT by the stored form of a key. */
static int
lookup(struct hdb *h, struct be_sqlite *s, const uint8_t *k, size_t n,
    struct hdb_datum *val)
{
	const void *p;
	size_t len;
	int r, rc = HDB_ERR;

	if (bind_key(s, s->get, k, n) != SQLITE_OK) {
		sq_fail(h, s->db, "cannot read");
		goto out;
	}
	r = sqlite3_step(s->get);
	if (r == SQLITE_DONE) {
		rc = HDB_NOTFOUND;
		goto out;
	}
	if (r != SQLITE_ROW) {
		sq_fail(h, s->db, "cannot read");
		goto out;
	}
	p = sqlite3_column_blob(s->get, 0);
	len = (size_t)sqlite3_column_bytes(s->get, 0);
	grow(&s->val, &s->valcap, len + 1);
	if (len > 0)
		memcpy(s->val, p, len);
	val->data = s->val;
	val->len = len;
	rc = HDB_OK;
out:
	sqlite3_reset(s->get);
	sqlite3_clear_bindings(s->get);
	return rc;
}

static int
sq_get(struct hdb *h, struct hdb_datum key, struct hdb_datum *val)
{
	struct be_sqlite *s = h->priv;
	size_t n;
	int rc;

	if (s->bulk)
		return hdb_seterr(h, "cannot read '%s' in bulk", h->path);
	switch (s->mode) {
	case SQ_BLOB:
		return lookup(h, s, key.data, key.len, val);
	case SQ_TEXT:
		if (!as_text(key, &n))
			return HDB_NOTFOUND;	/* cannot have been stored */
		return lookup(h, s, key.data, n, val);
	case SQ_XTEXT:
		n = xtext_encode(s, key);
		rc = lookup(h, s, s->enc, n, val);
		if (rc == HDB_NOTFOUND && as_text(key, &n))
			rc = lookup(h, s, key.data, n, val);
		return rc;
	}
	return hdb_seterr(h, "internal error: bad sqlite key mode");
}

/* remove_key - one DELETE by the stored form; adds the rows gone to *n. */
/*
 * step_done - run a change statement whose binding went as `bound` says,
 * then make it ready for the next: HDB_OK, or HDB_ERR saying what failed.
 */
static int
step_done(struct hdb *h, struct be_sqlite *s, sqlite3_stmt *st, int bound,
    const char *what)
{
	int rc = HDB_OK;

	if (!bound || sqlite3_step(st) != SQLITE_DONE)
		rc = sq_fail(h, s->db, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int
remove_key(struct hdb *h, struct be_sqlite *s, const uint8_t *k, size_t len,
    int *n)
{
	if (step_done(h, s, s->del, bind_key(s, s->del, k, len) == SQLITE_OK,
	    "cannot delete from") != HDB_OK)
		return HDB_ERR;
	*n += sqlite3_changes(s->db);
	return HDB_OK;
}

static int
sq_put(struct hdb *h, struct hdb_datum key, struct hdb_datum val)
{
	struct be_sqlite *s = h->priv;
	const uint8_t *k = key.data;
	size_t n = key.len;
	int gone = 0;

	if (val.len > INT32_MAX || key.len > INT32_MAX)
		return hdb_seterr(h, "cannot write '%s': value too large",
		    h->path);
	if (s->bulk)
		return step_done(h, s, s->stage, sqlite3_bind_blob(s->stage, 1,
		    key.len > 0 ? key.data : (const uint8_t *)"", (int)key.len,
		    SQLITE_STATIC) == SQLITE_OK && sqlite3_bind_blob(s->stage, 2,
		    val.len > 0 ? val.data : (const uint8_t *)"", (int)val.len,
		    SQLITE_STATIC) == SQLITE_OK, "cannot write");
	if (s->mode == SQ_TEXT && !as_text(key, &n))
		return hdb_seterr(h, "cannot write '%s': key cannot be held "
		    "by the 4.98 tbl schema (needs one NUL, at the end, and "
		    "no \"+00\" before it)", h->path);
	if (s->mode == SQ_XTEXT) {
		/* Replace a 4.98 leftover of this key, if there is one. */
		if (as_text(key, &n) &&
		    remove_key(h, s, key.data, n, &gone) != HDB_OK)
			return HDB_ERR;
		n = xtext_encode(s, key);
		k = s->enc;
	}
	return step_done(h, s, s->put, bind_key(s, s->put, k, n) ==
	    SQLITE_OK && sqlite3_bind_blob(s->put, 2, val.len > 0 ? val.data :
	    (const uint8_t *)"", (int)val.len, SQLITE_STATIC) == SQLITE_OK,
	    "cannot write");
}

static int
sq_del(struct hdb *h, struct hdb_datum key)
{
	struct be_sqlite *s = h->priv;
	size_t n;
	int gone = 0;

	if (s->bulk)
		return hdb_seterr(h, "cannot delete from '%s' in bulk",
		    h->path);
	switch (s->mode) {
	case SQ_BLOB:
		if (remove_key(h, s, key.data, key.len, &gone) != HDB_OK)
			return HDB_ERR;
		break;
	case SQ_TEXT:
		if (!as_text(key, &n))
			return HDB_NOTFOUND;
		if (remove_key(h, s, key.data, n, &gone) != HDB_OK)
			return HDB_ERR;
		break;
	case SQ_XTEXT:
		n = xtext_encode(s, key);
		if (remove_key(h, s, s->enc, n, &gone) != HDB_OK)
			return HDB_ERR;
		if (as_text(key, &n) &&
		    remove_key(h, s, key.data, n, &gone) != HDB_OK)
			return HDB_ERR;
		break;
	}
	return gone > 0 ? HDB_OK : HDB_NOTFOUND;
}

/*
 * stored_key - the key as the row that holds it stores it (see the top):
 * into *k, *n (pointing into key or s->enc).  In xtext mode the xtext row
 * is the one get finds first; failing that, a 4.98 leftover: any text row
 * that iteration turns into key (text + NUL), not only one that as_text
 * allows a put to write, but not one that iteration decodes as xtext.
 * Returns HDB_NOTFOUND if no row holds key.
 */
static int
stored_key(struct hdb *h, struct be_sqlite *s, struct hdb_datum key,
    const uint8_t **k, size_t *n)
{
	struct hdb_datum val;
	size_t dn;
	int rc;

	switch (s->mode) {
	case SQ_BLOB:
		*k = key.data;
		*n = key.len;
		return lookup(h, s, *k, *n, &val);
	case SQ_TEXT:
		if (!as_text(key, n))
			return HDB_NOTFOUND;
		*k = key.data;
		return lookup(h, s, *k, *n, &val);
	case SQ_XTEXT:
		*n = xtext_encode(s, key);
		*k = s->enc;
		if ((rc = lookup(h, s, *k, *n, &val)) != HDB_NOTFOUND)
			return rc;
		if (key.len == 0 || key.data[key.len - 1] != '\0' ||
		    memchr(key.data, '\0', key.len - 1) != NULL)
			return HDB_NOTFOUND;
		*k = key.data;
		*n = key.len - 1;
		/* a row iteration decodes as xtext is never this key */
		grow(&s->ikey, &s->ikeycap, *n + 1);
		if (*n >= 3 && memcmp(*k + *n - 3, "+00", 3) == 0 &&
		    xtext_decode(*k, *n, s->ikey, &dn))
			return HDB_NOTFOUND;
		return lookup(h, s, *k, *n, &val);
	}
	return hdb_seterr(h, "internal error: bad sqlite key mode");
}

/*
 * row_key - the key of st's current row as callers see it.  For tbl it is
 * turned back into the bytes Exim's API uses: text + NUL, or decoded xtext
 * (which ends in NUL).
 */
static struct hdb_datum
row_key(struct be_sqlite *s, sqlite3_stmt *st)
{
	struct hdb_datum k;
	const uint8_t *p;
	size_t len, n;

	if (s->mode == SQ_BLOB) {
		p = sqlite3_column_blob(st, 0);
		k.data = p != NULL ? p : (const uint8_t *)"";
		k.len = (size_t)sqlite3_column_bytes(st, 0);
		return k;
	}
	p = sqlite3_column_text(st, 0);
	len = (size_t)sqlite3_column_bytes(st, 0);
	grow(&s->ikey, &s->ikeycap, len + 1);
	if (s->mode == SQ_XTEXT && len >= 3 &&
	    memcmp(p + len - 3, "+00", 3) == 0 &&
	    xtext_decode(p, len, s->ikey, &n))
		k.len = n;
	else {
		if (len > 0)
			memcpy(s->ikey, p, len);
		s->ikey[len] = '\0';
		k.len = len + 1;
	}
	k.data = s->ikey;
	return k;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double
read_budget(const struct hdb *h)
{
	return h->read_budget > 0 ? h->read_budget : READ_BUDGET_MS;
}

/*
 * Whether the read transaction begun at t0, n rows into it, has lasted
 * long enough; the clock is looked at every 64 rows.
 */
static int
piece_full(const struct hdb *h, double t0, size_t n)
{
	if (hdb_hold_records() > 0)
		return n >= hdb_hold_records();
	return n % 64 == 0 && now_ms() - t0 >= hdb_hold_limit_ms(
	    &hdb_backend_sqlite, read_budget(h));
}

/* A read transaction begun at t0 ends: count it. */
static void
piece_end(struct hdb *h, double t0)
{
	double held = now_ms() - t0;

	h->pieces++;
	if (held > h->max_piece_ms)
		h->max_piece_ms = held;
}

/*
 * next_piece - end a read scan's read transaction after st's current row
 * and go on, after a pause, from the row after it.  A statement holds
 * SQLite's SHARED lock while it steps, and a writer's COMMIT waits for
 * every SHARED lock, polling (see hdb_gap_ms): one long scan (a dump of a
 * million records) would make Exim's writes fail after their 5 s busy
 * timeout, and the hint is lost.  Returns the statement to step on.
 */
static sqlite3_stmt *
next_piece(struct hdb *h, struct be_sqlite *s, sqlite3_stmt *st, double t0)
{
	const void *p = sqlite3_column_blob(st, 0);
	size_t n = (size_t)sqlite3_column_bytes(st, 0);

	grow(&s->resume, &s->resumecap, n + 1);
	if (n > 0)
		memcpy(s->resume, p, n);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	piece_end(h, t0);
	hdb_pause(hdb_gap_ms(&hdb_backend_sqlite, read_budget(h)));
	bind_key(s, s->iter_after, s->resume, n);
	return s->iter_after;
}

/* Hand st's current row to fn; fn's value. */
static int
give_row(struct be_sqlite *s, sqlite3_stmt *st, hdb_iter_fn fn, void *ctx)
{
	struct hdb_datum v;

	v.data = sqlite3_column_blob(st, 1);
	v.len = (size_t)sqlite3_column_bytes(st, 1);
	if (v.data == NULL)
		v.data = (const uint8_t *)"";
	/* left unread for the size cap: its length alone, for hdb.c */
	if (v.len == 0 && sqlite3_column_int64(st, 3) > HDB_VAL_MAX)
		v.len = (size_t)sqlite3_column_int64(st, 3);
	return fn(ctx, row_key(s, st), v);
}

/*
 * The end of a scan of st whose last step gave r: the callback's value
 * rc if it stopped the scan, HDB_OK at the end, else HDB_ERR.
 */
static int
scan_end(struct hdb *h, struct be_sqlite *s, sqlite3_stmt *st, int r,
    int rc)
{
	if (r == SQLITE_DONE)
		rc = HDB_OK;
	else if (r != SQLITE_ROW || rc == 0)
		rc = sq_fail(h, s->db, "cannot iterate over");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/*
 * sq_iterate - rows in the order of their stored keys (ORDER BY ky), from
 * the first or from the row after the one holding `after`: ky > its stored
 * form, so that plain and resumed iteration agree.  The orders are
 * SQLite's: byte order for tblblob and for tbl (TEXT, BINARY collation),
 * which for xtext is the order of the encoded keys.  If a 4.99 tbl holds
 * both an xtext row and a 4.98 leftover of the same key, iteration shows
 * the key twice and resuming from it starts after the xtext row.  Outside
 * a write transaction the scan reads in pieces (next_piece, as long as
 * hdb_read_budget says), so rows that Exim changes meanwhile are seen as
 * they are when reached.
 */
static int
sq_iterate(struct hdb *h, struct hdb_datum after, hdb_iter_fn fn, void *ctx)
{
	struct be_sqlite *s = h->priv;
	sqlite3_stmt *st = s->iter;
	const uint8_t *sk = NULL;
	size_t sn = 0, rows = 0;
	double t0 = now_ms();
	int r = SQLITE_ERROR, rc = 0;

	if (after.data != NULL) {
		if ((rc = stored_key(h, s, after, &sk, &sn)) != HDB_OK)
			return rc;
		st = s->iter_after;
		if (bind_key(s, st, sk, sn) != SQLITE_OK)
			return scan_end(h, s, st, r, rc);
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = give_row(s, st, fn, ctx)) != 0)
			break;
		if (!s->txn && piece_full(h, t0, ++rows)) {
			st = next_piece(h, s, st, t0);
			t0 = now_ms();
			rows = 0;
		}
	}
	if (!s->txn)
		piece_end(h, t0);
	return scan_end(h, s, st, r, rc);
}

/* data_version - moves whenever another connection commits. */
static int
data_version(struct be_sqlite *s, sqlite3_int64 *v)
{
	int r = sqlite3_step(s->version);

	if (r == SQLITE_ROW)
		*v = sqlite3_column_int64(s->version, 0);
	sqlite3_reset(s->version);
	return r == SQLITE_ROW ? 0 : -1;
}

/*
 * sq_scan - every row in rowid order: the table's pages one after the
 * other, where key order looks each row up from the key's index (ten
 * times slower on a million rows whose pages are not cached).  Outside a
 * write transaction, in pieces as sq_iterate, going on after the last
 * rowid seen: a row that was there throughout keeps its rowid, so it
 * comes once.  INSERT OR REPLACE gives a row a new rowid past the others,
 * so a row replaced after the scan passed it comes again; *changed tells
 * that someone committed between two pieces.
 */
static int
sq_scan(struct hdb *h, hdb_iter_fn fn, void *ctx, int *changed)
{
	struct be_sqlite *s = h->priv;
	sqlite3_stmt *st = s->scan;
	sqlite3_int64 v0 = 0, vn;
	size_t rows = 0;
	double t0 = now_ms();
	int r = SQLITE_ERROR, rc = 0;

	if (!s->txn && data_version(s, &v0) == -1)
		return scan_end(h, s, st, r, rc);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = give_row(s, st, fn, ctx)) != 0)
			break;
		if (s->txn || !piece_full(h, t0, ++rows))
			continue;
		rows = 0;
		vn = sqlite3_column_int64(st, 2);
		sqlite3_reset(st);
		piece_end(h, t0);
		hdb_pause(hdb_gap_ms(&hdb_backend_sqlite, read_budget(h)));
		st = s->scan_after;
		if (sqlite3_bind_int64(st, 1, vn) != SQLITE_OK ||
		    data_version(s, &vn) == -1)
			break;
		*changed |= vn != v0;
		t0 = now_ms();
	}
	if (!s->txn)
		piece_end(h, t0);
	return scan_end(h, s, st, r, rc);
}

/*
 * strangers - every schema object that is not Exim's: its table (tblblob
 * or tbl, a plain one) and that table's key index.  Triggers and views
 * never run here (hdb_sqlite_harden), but Exim would run them.  Their
 * names, escaped, go to out; 0 if there are none, else how many.
 */
static int
strangers(struct be_sqlite *s, char *out, size_t len)
{
	static const char sql[] = "SELECT type, name FROM sqlite_master "
	    "WHERE NOT ((type = 'table' AND name IN ('tblblob', 'tbl') AND "
	    "sql LIKE 'CREATE TABLE%') OR (type = 'index' AND name IN "
	    "('sqlite_autoindex_tblblob_1', 'sqlite_autoindex_tbl_1') AND "
	    "sql IS NULL)) ORDER BY type, name";
	sqlite3_stmt *st = NULL;
	const char *type, *name;
	char *v;
	size_t n;
	int found = 0;

	out[0] = '\0';
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		type = (const char *)sqlite3_column_text(st, 0);
		name = (const char *)sqlite3_column_text(st, 1);
		v = name != NULL ? hdb_vis_dup(name, strlen(name)) : NULL;
		n = strlen(out);
		snprintf(out + n, len - n, "%s%s '%s'", found ? ", " : "",
		    type != NULL ? type : "?", v != NULL ? v : "");
		free(v);
		found++;
	}
	sqlite3_finalize(st);
	return found;
}

/*
 * sq_verify - PRAGMA integrity_check, whose first complaint is the error,
 * then the schema: nothing but Exim's table and its index.
 */
static int
sq_verify(struct hdb *h)
{
	struct be_sqlite *s = h->priv;
	sqlite3_stmt *st = NULL;
	const char *msg;
	char *p, what[512];
	int r, rows = 0, rc = HDB_ERR;

	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st,
	    NULL) != SQLITE_OK) {
		sq_fail(h, s->db, "cannot verify");
		goto out;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		msg = (const char *)sqlite3_column_text(st, 0);
		if (rows++ == 0 && msg != NULL && strcmp(msg, "ok") == 0)
			continue;
		hdb_seterr(h, "damaged '%s': %s", h->path,
		    msg != NULL ? msg : "(no text)");
		/* one line: SQLite's report may span several */
		for (p = h->err; (p = strchr(p, '\n')) != NULL; )
			*p = ' ';
		goto out;
	}
	if (r != SQLITE_DONE) {
		sq_fail(h, s->db, "cannot verify");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = strangers(s, what, sizeof(what))) < 0) {
		sq_fail(h, s->db, "cannot verify");
		goto out;
	}
	if (r > 0) {
		hdb_seterr(h, "'%s' holds what Exim never makes: %s", h->path,
		    what);
		goto out;
	}
	rc = HDB_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * sq_quiet - a read transaction that has read: its SHARED lock keeps every
 * commit out until it ends (the busy handler waits out one under way).
 * Not on a handle in a write transaction of its own.
 */
static int
sq_quiet(struct hdb *h, int on)
{
	struct be_sqlite *s = h->priv;

	if (s->txn)
		return hdb_seterr(h, "'%s' is open for writing", h->path);
	if (!on)
		return sq_exec(h, s, "COMMIT");
	if (sq_exec(h, s, "BEGIN") != HDB_OK)
		return HDB_ERR;
	if (sq_exec(h, s, "SELECT count(*) FROM sqlite_master") != HDB_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return HDB_ERR;
	}
	return HDB_OK;
}

/* sq_sync - commit what was written so far and go on in a new transaction. */
static int
sq_sync(struct hdb *h)
{
	struct be_sqlite *s = h->priv;

	if (!s->txn)
		return HDB_OK;
	if (sq_exec(h, s, "COMMIT") != HDB_OK)
		return HDB_ERR;
	s->txn = 0;
	if (sq_exec(h, s, "BEGIN IMMEDIATE") != HDB_OK)
		return HDB_ERR;
	s->txn = 1;
	return HDB_OK;
}

/*
 * sq_hold - end the write transaction, keeping the connection (and its
 * page cache: a new connection each hold read every page it touched
 * again), or begin another.  Between two, the connection holds no lock.
 */
static int
sq_hold(struct hdb *h, int on)
{
	struct be_sqlite *s = h->priv;

	if (!(h->flags & HDB_O_RDWR) || s->txn == on)
		return HDB_OK;
	/* a hold dirties more pages than SQLite's 2 MB default cache holds
	 * (about 600 at 200k records): the spill mid-transaction cost two
	 * fsyncs more a hold, and the next hold read the pages again */
	if (!s->held++ && sq_exec(h, s, "PRAGMA cache_size = -16384") !=
	    HDB_OK)
		return HDB_ERR;
	if (sq_exec(h, s, on ? "BEGIN IMMEDIATE" : "COMMIT") != HDB_OK)
		return HDB_ERR;
	s->txn = on;
	return HDB_OK;
}

/*
 * sq_sweep - rows in rowid order after *pos, in the write transaction.
 * In key order every row due sits on a table page of its own, so a hold
 * read and journalled a page for each deletion; in rowid order a hold's
 * deletions share the table's pages (about half the rows of a leaf are
 * due) and its reads go through the file in order.  SQLite lets a
 * statement delete the row a scan of the same connection stands on.
 */
static int
sq_sweep(struct hdb *h, int64_t *pos, hdb_iter_fn fn, void *ctx)
{
	struct be_sqlite *s = h->priv;
	sqlite3_stmt *st = s->scan_after;
	sqlite3_int64 id;
	int r = SQLITE_ERROR, rc = 0;

	if (!s->txn)
		return hdb_seterr(h, "cannot sweep '%s': no write transaction",
		    h->path);
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)*pos) != SQLITE_OK)
		return scan_end(h, s, st, r, rc);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 2);
		if ((rc = give_row(s, st, fn, ctx)) != 0)
			break;
		*pos = (int64_t)id;
	}
	return scan_end(h, s, st, r, rc);
}

/*
 * sq_bulk_begin - puts go to a temporary table with no index (rowid order
 * is the order of the puts): a million random keys put straight into the
 * table cost a random walk of its key index each, three times the time
 * of an append and a sort.  The table lives in SQLite's temporary
 * database, a file opened with O_EXCL and unlinked at once; its pages
 * are written once, in order, so its cache is kept small (memory).
 */
static int
sq_bulk_begin(struct hdb *h)
{
	struct be_sqlite *s = h->priv;

	if (!s->txn)
		return hdb_seterr(h, "cannot write '%s': read-only", h->path);
	if (s->bulk)
		return HDB_OK;
	if (sq_exec(h, s, "PRAGMA temp.cache_size = -256") != HDB_OK ||
	    sq_exec(h, s, "CREATE TEMP TABLE hdb_bulk (ky BLOB, dat BLOB)") !=
	    HDB_OK)
		return HDB_ERR;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO temp.hdb_bulk (ky, dat) "
	    "VALUES (?1, ?2)", -1, &s->stage, NULL) != SQLITE_OK)
		return sq_fail(h, s->db, "cannot prepare statements for");
	s->bulk = 1;
	return HDB_OK;
}

/* bulk_row - the staged row st holds, unless its key came just before. */
static int
bulk_row(struct be_sqlite *s, sqlite3_stmt *st, size_t *prev, int *have,
    hdb_iter_fn fn, void *ctx)
{
	struct hdb_datum k, v;

	k.data = sqlite3_column_blob(st, 0);
	k.len = (size_t)sqlite3_column_bytes(st, 0);
	if (k.data == NULL)
		k.data = (const uint8_t *)"";
	if (*have && k.len == *prev && memcmp(k.data, s->resume, k.len) == 0)
		return 0;	/* an older put of the key before */
	grow(&s->resume, &s->resumecap, k.len + 1);
	memcpy(s->resume, k.data, k.len);
	*prev = k.len;
	*have = 1;
	v.data = sqlite3_column_blob(st, 1);
	v.len = (size_t)sqlite3_column_bytes(st, 1);
	if (v.data == NULL)
		v.data = (const uint8_t *)"";
	return fn(ctx, k, v);
}

/* sq_bulk_end - the staged rows by key, the last put of each first. */
static int
sq_bulk_end(struct hdb *h, hdb_iter_fn fn, void *ctx)
{
	struct be_sqlite *s = h->priv;
	sqlite3_stmt *st = NULL;
	size_t prev = 0;
	int r, rc = 0, have = 0;

	if (!s->bulk)
		return HDB_OK;
	s->bulk = 0;
	sqlite3_finalize(s->stage);
	s->stage = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT ky, dat FROM temp.hdb_bulk "
	    "ORDER BY ky, rowid DESC", -1, &st, NULL) != SQLITE_OK)
		return sq_fail(h, s->db, "cannot read back");
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = bulk_row(s, st, &prev, &have, fn, ctx)) != 0)
			break;
	rc = scan_end(h, s, st, r, rc);
	sqlite3_finalize(st);
	if (rc == HDB_OK && sq_exec(h, s, "DROP TABLE temp.hdb_bulk") != HDB_OK)
		return HDB_ERR;
	return rc;
}

static int
sq_pragma(struct hdb *h, struct be_sqlite *s, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_fail(h, s->db, "cannot ask");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? HDB_OK : sq_fail(h, s->db, "cannot ask");
}

/*
 * sq_free_bytes - the pages on SQLite's free list, which it fills before
 * it grows the file: freelist_count x page_size, both from the header.
 * Unused bytes inside pages are not counted.
 */
static int
sq_free_bytes(struct hdb *h, uint64_t *fb)
{
	struct be_sqlite *s = h->priv;
	int64_t n, psize;

	if (sq_pragma(h, s, "PRAGMA freelist_count", &n) != HDB_OK ||
	    sq_pragma(h, s, "PRAGMA page_size", &psize) != HDB_OK)
		return HDB_ERR;
	if (n > 0 && psize > 0)
		*fb = (uint64_t)n * (uint64_t)psize;
	return HDB_OK;
}

/* be32 - a big-endian u32 of SQLite's header. */
static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
hdb_sqlite_counter(const char *path, uint32_t *counter)
{
	uint8_t hdr[28];
	int fd, rc = HDB_ERR;

	/* no connection of ours is open on it: this close drops no lock */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return HDB_ERR;
	if (pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr)) {
		*counter = be32(hdr + 24);
		rc = HDB_OK;
	} else
		errno = EIO;
	close(fd);
	return rc;
}

/* wb_open - a connection for hdb_sqlite_write_back, as sq_open makes. */
static sqlite3 *
wb_open(const char *path, int flags, struct be_sqlite *busy)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW,
	    hdb_sqlite_vfs()) != SQLITE_OK || hdb_sqlite_harden(db) != 0) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_handler(db, sq_busy, busy);
	return db;
}

/* The header's change counter through the connection's own file. */
static int
wb_counter(sqlite3 *db, uint32_t *counter)
{
	sqlite3_file *f = NULL;
	uint8_t hdr[4];

	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f) !=
	    SQLITE_OK || f == NULL || f->pMethods == NULL ||
	    f->pMethods->xRead(f, hdr, sizeof(hdr), 24) != SQLITE_OK)
		return -1;
	*counter = be32(hdr);
	return 0;
}

/*
 * hdb_sqlite_write_back - the backup API, from `from` into path: its first
 * step takes the live file's EXCLUSIVE lock (Exim's writers wait in their
 * busy handlers) and copies one page into the cache; the file is not
 * written before the last step commits, so a counter that moved stops it
 * with the file untouched.  The copy then truncates the file to from's
 * size, so the result is as compact as from.
 */
int
hdb_sqlite_write_back(const char *path, const char *from, uint32_t counter,
    double *held_ms, char *err, size_t len)
{
	struct be_sqlite busy;
	sqlite3 *dst = NULL, *src = NULL;
	sqlite3_backup *b = NULL;
	uint32_t now;
	double t0 = 0;
	int r, rc = HDB_ERR;

	memset(&busy, 0, sizeof(busy));
	*held_ms = 0;
	hdb_sqlite_refused_clear();
	if ((dst = wb_open(path, SQLITE_OPEN_READWRITE, &busy)) == NULL ||
	    (src = wb_open(from, SQLITE_OPEN_READONLY, &busy)) == NULL) {
		snprintf(err, len, "cannot open: %s", dst == NULL ?
		    "the live file" : "the new file");
		goto out;
	}
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		snprintf(err, len, "%s", sqlite3_errmsg(dst));
		goto out;
	}
	r = sqlite3_backup_step(b, 1);
	t0 = now_ms();
	if (r != SQLITE_OK && r != SQLITE_DONE) {
		snprintf(err, len, "%s", sqlite3_errstr(r));
		goto out;
	}
	if (r == SQLITE_OK && wb_counter(dst, &now) == -1) {
		snprintf(err, len, "cannot read its header");
		goto out;
	}
	if (r == SQLITE_OK && now != counter) {
		rc = HDB_NOTFOUND;	/* written since: finish rolls back */
		goto out;
	}
	if (r == SQLITE_OK && (r = sqlite3_backup_step(b, -1)) != SQLITE_DONE) {
		snprintf(err, len, "%s", sqlite3_errstr(r));
		goto out;
	}
	rc = HDB_OK;
out:
	if (b != NULL && sqlite3_backup_finish(b) != SQLITE_OK && rc == HDB_OK) {
		snprintf(err, len, "%s", sqlite3_errmsg(dst));
		rc = HDB_ERR;
	}
	if (t0 > 0)
		*held_ms = now_ms() - t0;
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc;
}

int
hdb_sqlite_held_copy(struct hdb *h, const char *dst, uint32_t *counter,
    char *err, size_t len)
{
	struct be_sqlite *s = h->priv, busy;
	sqlite3 *in = NULL, *out = NULL;
	sqlite3_backup *b = NULL;
	int r, rc = HDB_ERR;

	memset(&busy, 0, sizeof(busy));
	if (h->be != &hdb_backend_sqlite || !s->txn) {
		snprintf(err, len, "not open for writing");
		return HDB_ERR;
	}
	if (wb_counter(s->db, counter) == -1) {
		snprintf(err, len, "cannot read its header");
		return HDB_ERR;
	}
	/*
	 * A backup cannot read from a connection in a write transaction,
	 * so a second one reads (SHARED goes with h's RESERVED); SQLite
	 * keeps its descriptor open while h holds locks on the file.
	 */
	if ((in = wb_open(h->path, SQLITE_OPEN_READONLY, &busy)) == NULL ||
	    (out = wb_open(dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    &busy)) == NULL ||
	    (b = sqlite3_backup_init(out, "main", in, "main")) == NULL) {
		snprintf(err, len, "cannot copy: %s", out == NULL ?
		    "cannot open" : sqlite3_errmsg(out));
		goto out;
	}
	if ((r = sqlite3_backup_step(b, -1)) != SQLITE_DONE) {
		snprintf(err, len, "cannot copy: %s", sqlite3_errstr(r));
		goto out;
	}
	rc = HDB_OK;
out:
	if (b != NULL && sqlite3_backup_finish(b) != SQLITE_OK &&
	    rc == HDB_OK) {
		snprintf(err, len, "cannot copy: %s", sqlite3_errmsg(out));
		rc = HDB_ERR;
	}
	sqlite3_close(out);
	sqlite3_close(in);
	return rc;
}

/* salvage_keys - every key the key index gives, each row read alone. */
static int
salvage_keys(struct hdb *h, struct be_sqlite *s, hdb_iter_fn fn, void *ctx)
{
	sqlite3_stmt *keys = NULL;
	struct hdb_datum v;
	uint8_t *kc = NULL;
	size_t kcap = 0, kn;
	char sql[96];
	int r, rc = 0;

	/* the key alone: SQLite reads its index, not the table */
	snprintf(sql, sizeof(sql), "SELECT ky FROM %s ORDER BY ky",
	    tables[s->mode]);
	if (sqlite3_prepare_v2(s->db, sql, -1, &keys, NULL) != SQLITE_OK)
		return sq_fail(h, s->db, "cannot read");
	while (rc == 0 && (r = sqlite3_step(keys)) == SQLITE_ROW) {
		kn = (size_t)sqlite3_column_bytes(keys, 0);
		grow(&kc, &kcap, kn + 1);
		if (kn > 0)
			memcpy(kc, sqlite3_column_blob(keys, 0), kn);
		/* a row on a damaged page is passed over, not the rest */
		if (lookup(h, s, kc, kn, &v) == HDB_OK)
			rc = fn(ctx, row_key(s, keys), v);
	}
	sqlite3_finalize(keys);
	free(kc);
	return rc;
}

int
hdb_sqlite_salvage(struct hdb *h, hdb_iter_fn fn, void *ctx)
{
	struct be_sqlite *s = h->priv;
	int changed = 0, rc;

	if (h->be != &hdb_backend_sqlite)
		return hdb_seterr(h, "not an SQLite DB");
	if ((rc = salvage_keys(h, s, fn, ctx)) != 0)
		return rc;
	/* rows whose index entries were on a damaged page, up to the
	 * table's own damage */
	(void)sq_scan(h, fn, ctx, &changed);
	return HDB_OK;
}
