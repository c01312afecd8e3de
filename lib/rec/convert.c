/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * convert.c - a new hints DB of any backend and layout, written beside its
 * target and renamed into place (see convert.h and atomic.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/stdlib.h>
#include <sqlite3.h>

#include "db/atomic.h"
#include "rec/convert.h"
#include "db/pin.h"
#include "db/sqlite_pin.h"
#include "xmalloc.h"

/* Bytes of records between two hdb_atomic_trickle calls: the stored
 * size, which the backend's pages round up. */
#define TRICKLE_BYTES	(4u << 20)
/* Bytes of records an ordered writer holds back at most (key, value and
 * 9 bytes each; 8 more in its index): some 270,000 of Exim's retry
 * records.  Each batch more is one more pass over the new file, written
 * out again (bench/PROFILE.md): at 1M retry records 36 MiB (4 passes)
 * keeps import within 1.5x db5.3_load and its peak RSS under 64 MiB;
 * 32 MiB (5 passes) was at the limit.  A whole number of huge pages. */
#define HELD_BYTES	(36u << 20)
#define HELD_HDR	9

struct hdb_writer {
	struct hdb_atomic *tmp;
	struct hdb	*h;
	const struct hdb_backend *be;
	int		 oflags;
	enum hdb_dbtype	 type;
	enum hdb_layout	 to;
	int		 drop_bad;
	int		 last_wins;	/* a key written again replaces */
	int		 bulk;		/* puts held back (hdb_bulk_begin) */
	size_t		 staged;	/* bulk: puts so far */
	struct hdb_datum stored;	/* by the last put */
	size_t		 written;
	size_t		 unflushed;	/* bytes put since the last trickle */
	uint8_t		*buf;
	size_t		 cap;
	/* ordered: records held back, put by hdb_put_order (see flush) */
	int		 ordered;
	uint8_t		*held;		/* klen, vlen (u32), rc (u8), key, val */
	size_t		 hlen, hcap;
	uint64_t	*ix;		/* order << 32 | offset in held */
	size_t		 nheld, ixcap;
	hdb_convert_report_fn report;
	void		*rctx;
	struct hdb_convert_stats st;
	char		 err[512];
};

struct copyctx {
	struct hdb_writer *w;
	hdb_convert_report_fn report;
	void		*ctx;
	int		 refused;
};

static int	seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	copy_one(void *, struct hdb_datum, struct hdb_datum);
static int	count_new(struct hdb_writer *, size_t *, char *, size_t);
static int	store(struct hdb_writer *, struct hdb_datum, struct hdb_datum);
static int	flush(struct hdb_writer *);

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

int
hdb_convert_rec(enum hdb_dbtype t, enum hdb_layout to, struct hdb_datum key,
    struct hdb_datum val, uint8_t **buf, size_t *cap, struct hdb_datum *out,
    const char **why)
{
	struct hdb_rec r;
	size_t need;

	*out = val;
	if (to == HDB_L_AUTO || hdb_rec_layout(val.data, val.len) == to) {
		if (!hdb_rec_pad_dirty(t, val.data, val.len))
			return HDB_CONV_KEPT;
		/* 4.100.1's uninitialised BOOL padding: written as zero */
		if (val.len > *cap) {
			*buf = xreallocarray(*buf, val.len, 1);
			*cap = val.len;
		}
		memcpy(*buf, val.data, val.len);
		hdb_rec_pad_zero(t, *buf, val.len);
		out->data = *buf;
		return HDB_CONV_REENCODED;
	}
	if (hdb_rec_decode(t, HDB_L_AUTO, key.data, key.len, val.data,
	    val.len, &r, why) == -1)
		return HDB_CONV_REFUSED;
	need = hdb_rec_size(&r, to);
	if (need > *cap) {
		*buf = xreallocarray(*buf, need, 1);
		*cap = need;
	}
	out->data = *buf;
	out->len = hdb_rec_encode(&r, to, *buf, *cap);
	if (out->len == 0) {
		*why = "record cannot be encoded in the target layout";
		return HDB_CONV_REFUSED;
	}
	return HDB_CONV_REENCODED;
}

struct hdb_writer *
hdb_writer_new(const char *target, const struct hdb_backend *be, int oflags,
    enum hdb_dbtype t, enum hdb_layout to, int drop_bad, size_t expect,
    char *err, size_t errlen)
{
	struct hdb_writer *w;
	char why[256];

	w = xcalloc(1, sizeof(*w));
	w->be = be;
	w->oflags = oflags & (HDB_O_SQLITE_TBL | HDB_O_SQLITE_XTEXT |
	    HDB_O_LEAN | HDB_O_BUCKETS);
	/* held back and put in the backend's order (hdb_put_order) */
	if ((oflags & HDB_O_INORDER) && be->put_order != NULL && expect > 0) {
		w->ordered = 1;
		w->oflags |= HDB_O_INORDER;
	}
	w->type = t;
	w->to = to;
	w->drop_bad = drop_bad;
	if ((w->tmp = hdb_atomic_new(target, err, errlen)) == NULL)
		goto fail;
	w->h = hdb_create(be, hdb_atomic_path(w->tmp),
	    HDB_O_RDWR | HDB_O_CREATE | w->oflags, 0640, expect, why,
	    sizeof(why));
	if (w->h == NULL) {
		seterr(err, errlen, "cannot create the new database: %s", why);
		goto fail;
	}
	hdb_testpoint();
	return w;
fail:
	hdb_writer_free(w);
	return NULL;
}

/* A new key is in: count it, and start writeback every TRICKLE_BYTES. */
static void
written(struct hdb_writer *w, struct hdb_datum key, struct hdb_datum val)
{
	w->written++;
	if ((w->unflushed += key.len + val.len) >= TRICKLE_BYTES) {
		hdb_atomic_trickle(w->tmp);
		w->unflushed = 0;
	}
}

/* A record put as rc says (kept or re-encoded): count it; rc. */
static int
put_done(struct hdb_writer *w, int rc)
{
	if (rc == HDB_CONV_KEPT)
		w->st.kept++;
	else
		w->st.reencoded++;
	hdb_testpoint();
	return rc;
}

/* A put held back by bulk: counted as a record now, as a key at the end. */
static int
stage(struct hdb_writer *w, struct hdb_datum key, struct hdb_datum out,
    int rc)
{
	if (hdb_put(w->h, key, out) != HDB_OK) {
		seterr(w->err, sizeof(w->err), "%s", hdb_error(w->h));
		return HDB_ERR;
	}
	w->staged++;
	return put_done(w, rc);
}

/* One key of the bulk into the DB (hdb_iter_fn). */
static int
unstage(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct hdb_writer *w = arg;

	if (hdb_put(w->h, key, val) != HDB_OK)
		return HDB_ERR;
	written(w, key, val);
	hdb_testpoint();
	return 0;
}

/*
 * unstage_all - the bulk into the DB.  A key put twice was counted twice
 * as a record: once is taken off, from kept unless there are none.
 */
static int
unstage_all(struct hdb_writer *w, char *err, size_t errlen)
{
	size_t twice, k;

	w->bulk = 0;
	if (hdb_bulk_end(w->h, unstage, w) != HDB_OK)
		return seterr(err, errlen, "cannot write the new database: %s",
		    hdb_error(w->h));
	twice = w->staged - w->written;
	k = twice < w->st.kept ? twice : w->st.kept;
	w->st.kept -= k;
	w->st.reencoded -= twice - k;
	return 0;
}

/* What store did with a record. */
enum { STORED_NEW, STORED_OVER, STORED_DUP };

/*
 * store - the bytes to store for key into the DB: a new key is counted
 * as written, a key written before replaces (last wins) or is a
 * duplicate.  STORED_*, or HDB_ERR with the text in w->err.
 */
static int
store(struct hdb_writer *w, struct hdb_datum key, struct hdb_datum out)
{
	int got;

	if ((got = hdb_add(w->h, key, out)) == HDB_EXISTS && w->last_wins) {
		if (hdb_put(w->h, key, out) != HDB_OK) {
			seterr(w->err, sizeof(w->err), "%s", hdb_error(w->h));
			return HDB_ERR;
		}
		return STORED_OVER;
	}
	if (got == HDB_EXISTS)
		return STORED_DUP;
	if (got != HDB_OK) {
		seterr(w->err, sizeof(w->err), "%s", hdb_error(w->h));
		return HDB_ERR;
	}
	written(w, key, out);
	return STORED_NEW;
}

/*
 * held_max - records an ordered writer holds at most: for tests only,
 * HINTSDB_TEST_HELD_RECORDS=N in the environment makes batches of N, so
 * that a test sees several on a few records; else no limit but bytes.
 */
static size_t
held_max(void)
{
	static long long n = -1;
	const char *s;

	if (n < 0) {
		s = getenv("HINTSDB_TEST_HELD_RECORDS");
		n = s == NULL ? 0 : strtonum(s, 1, UINT32_MAX, NULL);
		if (n == 0)
			n = UINT32_MAX;
	}
	return (size_t)n;
}

/*
 * hold - an ordered writer's record, kept back until flush; counted as
 * kept or re-encoded now, as put_done does.  A full buffer is flushed
 * first.  rc, or HDB_ERR.
 */
static int
hold(struct hdb_writer *w, struct hdb_datum key, struct hdb_datum out,
    int rc)
{
	uint32_t kl = (uint32_t)key.len, vl = (uint32_t)out.len;
	size_t need = HELD_HDR + key.len + out.len;
	uint8_t *p;

	if ((w->nheld > 0 && w->hlen + need > HELD_BYTES) ||
	    w->nheld >= held_max()) {
		if (flush(w) == HDB_ERR)
			return HDB_ERR;
	}
	if (w->hlen + need > w->hcap)
		w->held = xmap_room(w->held, &w->hcap, w->hlen + need,
		    HELD_BYTES);
	if (w->nheld == w->ixcap) {
		w->ixcap = w->ixcap ? 2 * w->ixcap : 4096;
		w->ix = xreallocarray(w->ix, w->ixcap, sizeof(*w->ix));
	}
	p = w->held + w->hlen;
	memcpy(p, &kl, 4);
	memcpy(p + 4, &vl, 4);
	p[8] = (uint8_t)rc;
	memcpy(p + HELD_HDR, key.data, key.len);
	memcpy(p + HELD_HDR + key.len, out.data, out.len);
	/* offsets grow as records come: the order, then as they came */
	w->ix[w->nheld] = (uint64_t)(uint32_t)hdb_put_order(w->h, key) << 32 |
	    (uint32_t)w->hlen;
	w->nheld++;
	w->hlen += need;
	return put_done(w, rc);
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * flush - the records held back into the DB, by order and then as they
 * came (so a key given twice meets itself as it would have unheld).  A
 * record that was not new after all is taken off the counts; a duplicate
 * is refused and reported.  HDB_OK, HDB_CONV_REFUSED if any was, or
 * HDB_ERR.
 */
static int
flush(struct hdb_writer *w)
{
	struct hdb_datum k, v;
	const uint8_t *p;
	uint32_t kl, vl;
	size_t i;
	int rc = HDB_OK, got;

	qsort(w->ix, w->nheld, sizeof(*w->ix), u64_cmp);
	for (i = 0; i < w->nheld; i++) {
		p = w->held + (w->ix[i] & UINT32_MAX);
		memcpy(&kl, p, 4);
		memcpy(&vl, p + 4, 4);
		k.len = kl;
		v.len = vl;
		k.data = p + HELD_HDR;
		v.data = p + HELD_HDR + k.len;
		if ((got = store(w, k, v)) == HDB_ERR)
			return HDB_ERR;
		if (got == STORED_NEW)
			continue;
		if (p[8] == HDB_CONV_KEPT)
			w->st.kept--;
		else
			w->st.reencoded--;
		if (got == STORED_DUP) {
			w->st.refused++;
			if (w->report != NULL)
				w->report(w->rctx, k, HDB_CONV_REFUSED,
				    "duplicate key");
			rc = HDB_CONV_REFUSED;
		}
	}
	w->nheld = w->hlen = 0;
	return rc;
}

void
hdb_writer_report(struct hdb_writer *w, hdb_convert_report_fn report,
    void *ctx)
{
	w->report = report;
	w->rctx = ctx;
}

int
hdb_writer_flush(struct hdb_writer *w)
{
	return w->nheld > 0 ? flush(w) : HDB_OK;
}

int
hdb_writer_put(struct hdb_writer *w, struct hdb_datum key,
    struct hdb_datum val, const char **why)
{
	struct hdb_datum out;
	int rc, got;

	rc = hdb_convert_rec(w->type, w->to, key, val, &w->buf, &w->cap, &out,
	    why);
	if (rc == HDB_CONV_REFUSED) {
		if (!w->drop_bad) {
			w->st.refused++;
			return HDB_CONV_REFUSED;
		}
		w->st.dropped++;
		return HDB_CONV_DROPPED;
	}
	w->stored = out;
	if (w->bulk)
		return stage(w, key, out, rc);
	if (w->ordered)
		return hold(w, key, out, rc);
	if ((got = store(w, key, out)) == HDB_ERR)
		return HDB_ERR;
	if (got == STORED_OVER)
		return rc;
	if (got == STORED_DUP) {
		*why = "duplicate key";
		w->st.refused++;
		return HDB_CONV_REFUSED;
	}
	return put_done(w, rc);
}

static int
copy_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct copyctx *c = arg;
	const char *why = NULL;
	int rc;

	rc = hdb_writer_put(c->w, key, val, &why);
	if (rc == HDB_ERR)
		return HDB_ERR;
	if (rc == HDB_CONV_REFUSED)
		c->refused = 1;
	if ((rc == HDB_CONV_REFUSED || rc == HDB_CONV_DROPPED) &&
	    c->report != NULL)
		c->report(c->ctx, key, rc, why);
	return 0;
}

int
hdb_convert_copy(struct hdb_writer *w, struct hdb *src,
    hdb_convert_report_fn report, void *ctx)
{
	struct copyctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.report = report;
	c.ctx = ctx;
	w->err[0] = '\0';
	rc = hdb_iterate(src, copy_one, &c);
	if (rc == HDB_ERR) {
		/* A write error left its text; otherwise the read failed. */
		if (w->err[0] == '\0')
			seterr(w->err, sizeof(w->err), "cannot read: %s",
			    hdb_error(src));
		return HDB_ERR;
	}
	return c.refused ? HDB_CONV_REFUSED : HDB_OK;
}

/* count_new - open the finished DB again and count what it holds. */
static int
count_new(struct hdb_writer *w, size_t *n, char *err, size_t errlen)
{
	struct hdb *h;
	char why[256];
	int rc;

	*n = 0;
	h = hdb_open(w->be, hdb_atomic_path(w->tmp), HDB_O_RDONLY, 0, why,
	    sizeof(why));
	if (h == NULL)
		return seterr(err, errlen, "cannot reopen the new database: %s",
		    why);
	rc = hdb_count(h, n);
	if (rc == HDB_ERR)
		seterr(err, errlen, "cannot read the new database: %s",
		    hdb_error(h));
	hdb_close(h);
	return rc == HDB_ERR ? -1 : 0;
}

/*
 * Last wins: a DB read in pieces or a bulk.  Into SQLite, nothing is
 * checked at the put, so the puts are held back and sorted (hdb_bulk).
 */
void
hdb_writer_last_wins(struct hdb_writer *w)
{
	if (w->nheld > 0)
		(void)flush(w);		/* ordered writers are not last-wins */
	w->ordered = 0;
	w->last_wins = 1;
	if (w->written == 0 && hdb_bulk_begin(w->h) == HDB_OK)
		w->bulk = 1;
}

int
hdb_writer_finish(struct hdb_writer *w, char *err, size_t errlen)
{
	size_t n;

	if (w->h == NULL)
		return 0;
	if (w->bulk && unstage_all(w, err, errlen) == -1)
		return -1;
	if (w->nheld > 0 && flush(w) != HDB_OK)
		return seterr(err, errlen, "%s", w->err[0] != '\0' ? w->err :
		    "duplicate keys");
	/* SQLite's close cannot report a failed COMMIT; sync can. */
	if (hdb_sync(w->h) != HDB_OK)
		return seterr(err, errlen, "cannot sync the new database: %s",
		    hdb_error(w->h));
	hdb_close(w->h);
	w->h = NULL;
	hdb_testpoint();
	if (count_new(w, &n, err, errlen) == -1)
		return -1;
	if (n != w->written)
		return seterr(err, errlen, "the new database holds %zu records, "
		    "%zu were written", n, w->written);
	hdb_testpoint();
	if (w->be == &hdb_backend_bdb)
		hdb_atomic_warm(w->tmp);
	return hdb_atomic_sync(w->tmp, err, errlen);
}

int
hdb_writer_commit(struct hdb_writer *w, const struct stat *like, int replace,
    char *err, size_t errlen)
{
	struct stat st;

	if (hdb_writer_finish(w, err, errlen) == -1 ||
	    hdb_atomic_commit(w->tmp, like, replace, err, errlen) == -1)
		return -1;
	/*
	 * The rename and the owner and mode moved the new file's ctime: so
	 * that the catch-up's first hold does not check the whole file
	 * that we wrote (at 1M records, 160 ms under Exim's lock, as the
	 * first read of its holes fills them in), keep trusting it.
	 */
	if (w->be == &hdb_backend_bdb && hdb_atomic_target_stat(w->tmp,
	    &st) == 0)
		hdb_bdb_retrust(&st);
	return 0;
}

int
hdb_writer_replaced(const struct hdb_writer *w)
{
	return hdb_atomic_done(w->tmp);
}

const struct hdb_convert_stats *
hdb_writer_stats(const struct hdb_writer *w)
{
	return &w->st;
}

struct hdb_datum
hdb_writer_stored(const struct hdb_writer *w)
{
	return w->stored;
}

enum hdb_layout
hdb_writer_layout(const struct hdb_writer *w)
{
	return w->to;
}

const struct hdb_backend *
hdb_writer_backend(const struct hdb_writer *w)
{
	return w->be;
}

const char *
hdb_writer_path(const struct hdb_writer *w)
{
	return hdb_atomic_path(w->tmp);
}

const char *
hdb_writer_error(const struct hdb_writer *w)
{
	return w->err;
}

void
hdb_writer_free(struct hdb_writer *w)
{
	if (w == NULL)
		return;
	hdb_close(w->h);
	hdb_atomic_free(w->tmp);
	free(w->buf);
	xmap_free(w->held, w->hcap);
	free(w->ix);
	free(w);
}

int
hdb_db_stat(const char *target, struct stat *st)
{
	static const char *const sfx[] = { "", ".pag", ".db" };
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", target,
		    sfx[i]) >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (hdb_pin_lstat(path, st) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	return -1;
}

int
hdb_sqlite_flags(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	char buf[4096];
	int tbl = 0, blob = 0, xtext = 0;

	if ((path = hdb_pin_path(path, buf, sizeof(buf))) == NULL)
		return 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOFOLLOW, hdb_sqlite_vfs()) != SQLITE_OK ||
	    hdb_sqlite_harden(db) != 0)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE "
	    "type = 'table'", -1, &q, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const unsigned char *n = sqlite3_column_text(q, 0);

		if (n != NULL && strcmp((const char *)n, "tbl") == 0)
			tbl = 1;
		if (n != NULL && strcmp((const char *)n, "tblblob") == 0)
			blob = 1;
	}
	sqlite3_finalize(q);
	q = NULL;
	/* 4.99.0's xtext ends every key in "+00" (be_sqlite.c) */
	if (tbl && !blob && sqlite3_prepare_v2(db, "SELECT 1 FROM tbl WHERE "
	    "substr(ky, -3) = '+00' LIMIT 1", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		xtext = HDB_O_SQLITE_XTEXT;
out:
	sqlite3_finalize(q);
	sqlite3_close(db);
	return tbl && !blob ? HDB_O_SQLITE_TBL | xtext : 0;
}

const char *
hdb_abi(void)
{
#if defined(__x86_64__)
#define ARCH "x86_64"
#elif defined(__aarch64__)
#define ARCH "aarch64"
#elif defined(__i386__)
#define ARCH "i386"
#elif defined(__arm__)
#define ARCH "arm"
#elif defined(__powerpc64__)
#define ARCH "ppc64"
#elif defined(__s390x__)
#define ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define ARCH "riscv64"
#else
#define ARCH "unknown"
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ENDIAN "le"
#else
#define ENDIAN "be"
#endif
	if (sizeof(long) == 8 && sizeof(void *) == 8)
		return ARCH "-lp64-" ENDIAN;
	if (sizeof(time_t) == 8)
		return ARCH "-ilp32t64-" ENDIAN;
	return ARCH "-ilp32-" ENDIAN;
#undef ARCH
#undef ENDIAN
}
