/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * be_tdb.c - the TDB (Samba trivial database) backend, opened as Exim does:
 * hash size 0 (the default 131), TDB_DEFAULT, open(2) flags and mode.  A
 * read-only open makes TDB skip all locking; writers take TDB's fcntl locks.
 *
 * Two traps in tdb_open shape the open below.  It follows symlinks, so we
 * lstat first and compare device and inode with what TDB opened.  And with
 * O_CREAT it overwrites any file whose header is not TDB's, so O_CREAT is
 * passed only for a file we have just created empty ourselves.  We never
 * keep a second descriptor on the file: closing one would drop TDB's fcntl
 * locks, which belong to the process.
 *
 * Writes are not wrapped in a transaction (Exim 4.99 does that for its
 * normal opens); each store or delete is atomic on its own.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tdb.h>

#include "db/hdb.h"
#include "xmalloc.h"

struct be_tdb {
	struct tdb_context *tdb;
	uint8_t		*val;		/* last get's value */
	size_t		 valcap;
	size_t		 vallen;
	uint8_t		*ival;		/* iteration's value */
	size_t		 ivalcap;
	size_t		 ivallen;
	char		 msg[200];	/* TDB's last logged error */
};

/* A whole walk by tdb_traverse: the callback and what it returned. */
struct tdb_walk {
	hdb_iter_fn	 fn;
	void		*ctx;
	int		 rc;
};

static int	tdb_probe(const uint8_t *, size_t);
static int	tdb_be_open(struct hdb *, const char *, int, mode_t);
static void	tdb_be_close(struct hdb *);
static int	tdb_be_get(struct hdb *, struct hdb_datum,
		    struct hdb_datum *);
static int	tdb_be_put(struct hdb *, struct hdb_datum, struct hdb_datum);
static int	tdb_be_del(struct hdb *, struct hdb_datum);
static int	tdb_be_iterate(struct hdb *, struct hdb_datum, hdb_iter_fn,
		    void *);
static int	tdb_be_verify(struct hdb *);
static int	tdb_be_sync(struct hdb *);
static void	tdb_log(struct tdb_context *, enum tdb_debug_level,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
static int	tdb_fail(struct hdb *, const char *);
static int	copy_val(TDB_DATA, TDB_DATA, void *);
static int	copy_ival(TDB_DATA, TDB_DATA, void *);
static TDB_DATA	to_tdb(struct hdb_datum);

const struct hdb_backend hdb_backend_tdb = {
	.name = "tdb",
	.caps = HDB_CAP_DEL_IN_ITER | HDB_CAP_ORDER_KEPT,
	.suffix = "",
	.probe = tdb_probe,
	.open = tdb_be_open,
	.close = tdb_be_close,
	.get = tdb_be_get,
	.put = tdb_be_put,
	.del = tdb_be_del,
	.iterate_after = tdb_be_iterate,
	.verify = tdb_be_verify,
	.sync = tdb_be_sync,
};

/* tdb_probe - "TDB file\n", NUL-padded to 32 bytes. */
static int
tdb_probe(const uint8_t *head, size_t len)
{
	static const char magic[] = "TDB file\n";

	return len >= 32 && memcmp(head, magic, sizeof(magic)) == 0;
}

/* tdb_log - keep TDB's last error-level message, without its newline. */
static void
tdb_log(struct tdb_context *tdb, enum tdb_debug_level level,
    const char *fmt, ...)
{
	struct be_tdb *t;
	va_list ap;
	size_t n;

	if (level > TDB_DEBUG_ERROR)
		return;
	if ((t = tdb_get_logging_private(tdb)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	n = strlen(t->msg);
	while (n > 0 && t->msg[n - 1] == '\n')
		t->msg[--n] = '\0';
}

static int
tdb_fail(struct hdb *h, const char *what)
{
	struct be_tdb *t = h->priv;

	if (t->msg[0] != '\0')
		return hdb_seterr(h, "%s '%s': %s (%s)", what, h->path,
		    tdb_errorstr(t->tdb), t->msg);
	return hdb_seterr(h, "%s '%s': %s", what, h->path,
	    tdb_errorstr(t->tdb));
}

static TDB_DATA
to_tdb(struct hdb_datum d)
{
	TDB_DATA t;

	t.dptr = (unsigned char *)(uintptr_t)d.data;
	t.dsize = d.len;
	return t;
}

static int
tdb_be_open(struct hdb *h, const char *path, int flags, mode_t mode)
{
	struct tdb_logging_context log;
	struct be_tdb *t;
	struct stat st, tst;
	int oflags, fd, rc = HDB_ERR;

	t = xcalloc(1, sizeof(*t));
	oflags = (flags & HDB_O_RDWR) ? O_RDWR : O_RDONLY;
	if (lstat(path, &st) == -1) {
		if (errno != ENOENT || !(flags & HDB_O_CREATE)) {
			hdb_seterr(h, "cannot open '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
		if (fd == -1) {
			hdb_seterr(h, "cannot create '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		if (fstat(fd, &st) == -1) {
			hdb_seterr(h, "cannot stat '%s': %s", path,
			    strerror(errno));
			close(fd);
			goto out;
		}
		close(fd);
		oflags |= O_CREAT;	/* safe: the file is ours and empty */
	}
	if (S_ISLNK(st.st_mode)) {
		hdb_seterr(h, "cannot open '%s': %s", path, strerror(ELOOP));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		hdb_seterr(h, "cannot open '%s': not a regular file", path);
		goto out;
	}

	log.log_fn = tdb_log;
	log.log_private = t;
	errno = 0;
	t->tdb = tdb_open_ex(path, 0, TDB_DEFAULT, oflags, mode, &log, NULL);
	if (t->tdb == NULL) {
		if (errno == EIO && t->msg[0] == '\0')
			hdb_seterr(h, "cannot open '%s': not a TDB file or "
			    "damaged", path);
		else if (t->msg[0] != '\0')
			hdb_seterr(h, "cannot open '%s': %s (%s)", path,
			    strerror(errno), t->msg);
		else
			hdb_seterr(h, "cannot open '%s': %s", path,
			    strerror(errno));
		goto out;
	}
	if (fstat(tdb_fd(t->tdb), &tst) == -1 || tst.st_dev != st.st_dev ||
	    tst.st_ino != st.st_ino) {
		hdb_seterr(h, "cannot open '%s': file replaced while opening",
		    path);
		tdb_close(t->tdb);
		goto out;
	}
	h->priv = t;
	t = NULL;
	rc = HDB_OK;
out:
	free(t);
	return rc;
}

static void
tdb_be_close(struct hdb *h)
{
	struct be_tdb *t = h->priv;

	if (t == NULL)
		return;
	tdb_close(t->tdb);
	free(t->val);
	free(t->ival);
	free(t);
	h->priv = NULL;
}

/* copy_val - tdb_parse_record callback: copy the value into our buffer. */
static int
copy_val(TDB_DATA key, TDB_DATA data, void *arg)
{
	struct be_tdb *t = arg;

	if (data.dsize > t->valcap) {
		t->val = xreallocarray(t->val, 1, data.dsize);
		t->valcap = data.dsize;
	}
	if (data.dsize > 0)
		memcpy(t->val, data.dptr, data.dsize);
	t->vallen = data.dsize;
	return 0;
}

/*
 * tdb_be_get - tdb_parse_record rather than tdb_fetch: its -1 with
 * TDB_ERR_NOEXIST tells a missing key from an empty value reliably.
 */
static int
tdb_be_get(struct hdb *h, struct hdb_datum key, struct hdb_datum *val)
{
	struct be_tdb *t = h->priv;

	t->msg[0] = '\0';
	if (tdb_parse_record(t->tdb, to_tdb(key), copy_val, t) != 0) {
		if (tdb_error(t->tdb) == TDB_ERR_NOEXIST)
			return HDB_NOTFOUND;
		return tdb_fail(h, "cannot read");
	}
	val->data = t->val != NULL ? t->val : (const uint8_t *)"";
	val->len = t->vallen;
	return HDB_OK;
}

static int
tdb_be_put(struct hdb *h, struct hdb_datum key, struct hdb_datum val)
{
	struct be_tdb *t = h->priv;

	t->msg[0] = '\0';
	if (tdb_store(t->tdb, to_tdb(key), to_tdb(val), TDB_REPLACE) != 0)
		return tdb_fail(h, "cannot write");
	return HDB_OK;
}

static int
tdb_be_del(struct hdb *h, struct hdb_datum key)
{
	struct be_tdb *t = h->priv;

	t->msg[0] = '\0';
	if (tdb_delete(t->tdb, to_tdb(key)) != 0) {
		if (tdb_error(t->tdb) == TDB_ERR_NOEXIST)
			return HDB_NOTFOUND;
		return tdb_fail(h, "cannot delete from");
	}
	return HDB_OK;
}

/* copy_ival - as copy_val, into the iteration's own buffer. */
static int
copy_ival(TDB_DATA key, TDB_DATA data, void *arg)
{
	struct be_tdb *t = arg;

	if (data.dsize > t->ivalcap) {
		t->ival = xreallocarray(t->ival, 1, data.dsize);
		t->ivalcap = data.dsize;
	}
	if (data.dsize > 0)
		memcpy(t->ival, data.dptr, data.dsize);
	t->ivallen = data.dsize;
	return 0;
}

static int
walk_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *arg)
{
	struct tdb_walk *w = arg;
	struct hdb_datum k, v;

	k.data = key.dptr != NULL ? key.dptr : (const uint8_t *)"";
	k.len = key.dsize;
	v.data = data.dptr != NULL ? data.dptr : (const uint8_t *)"";
	v.len = data.dsize;
	w->rc = w->fn(w->ctx, k, v);
	return w->rc != 0;
}

/*
 * walk_all - a walk from the first record: tdb_traverse_read on read-only
 * handles (no locks to take), tdb_traverse on writers, whose callback may
 * delete the record it was given (HDB_CAP_DEL_IN_ITER).  It hands over
 * each record as it passes, where nextkey would look the key up again in
 * its hash chain, and Exim's chains are long (hash size 131): several
 * times faster on 100k records.  Same order as nextkey.
 */
static int
walk_all(struct hdb *h, hdb_iter_fn fn, void *ctx)
{
	struct be_tdb *t = h->priv;
	struct tdb_walk w;
	int n;

	w.fn = fn;
	w.ctx = ctx;
	w.rc = 0;
	if (h->flags & HDB_O_RDWR)
		n = tdb_traverse(t->tdb, walk_one, &w);
	else
		n = tdb_traverse_read(t->tdb, walk_one, &w);
	if (w.rc != 0)
		return w.rc;
	if (n < 0)
		return tdb_fail(h, "cannot iterate over");
	return HDB_OK;
}

/*
 * tdb_be_iterate - from a given key, tdb_nextkey (walk_all otherwise): only
 * nextkey can start from a given key, and nextkey finds that key's record
 * again by its hash, so it works after a reopen.  Both walk the hash chains
 * in the same order.  A read-only handle takes no locks at all.  On a
 * writer, nextkey holds no chain lock between calls, only a read lock on
 * the record it returned (until the next nextkey, or close if the callback
 * stops the walk); deleting that record, as the callback may
 * (HDB_CAP_DEL_IN_ITER), then leaves it marked dead until the walk has
 * moved on, and nextkey goes on from it all the same.
 *
 * The value is copied out of the file (tdb_parse_record) into a buffer of
 * the iteration's own, so that a get in the callback leaves it alone.  A
 * key deleted between nextkey and the read is skipped.
 *
 * nextkey gives a null key both at the end and on an error, and TDB never
 * clears its error code, so an error is an error code that changed during
 * the walk to something other than "no such record".
 */
static int
tdb_be_iterate(struct hdb *h, struct hdb_datum after, hdb_iter_fn fn,
    void *ctx)
{
	struct be_tdb *t = h->priv;
	struct hdb_datum hk, hv;
	enum TDB_ERROR e0;
	TDB_DATA k, nk;
	int rc = HDB_OK;

	t->msg[0] = '\0';
	if (after.data == NULL)
		return walk_all(h, fn, ctx);
	e0 = tdb_error(t->tdb);
	if (!tdb_exists(t->tdb, to_tdb(after))) {
		if (tdb_error(t->tdb) != e0 &&
		    tdb_error(t->tdb) != TDB_ERR_NOEXIST)
			return tdb_fail(h, "cannot read");
		return HDB_NOTFOUND;
	}
	k = tdb_nextkey(t->tdb, to_tdb(after));
	while (k.dptr != NULL) {
		if (tdb_parse_record(t->tdb, k, copy_ival, t) == 0) {
			hk.data = k.dptr;
			hk.len = k.dsize;
			hv.data = t->ival != NULL ? t->ival :
			    (const uint8_t *)"";
			hv.len = t->ivallen;
			if ((rc = fn(ctx, hk, hv)) != 0)
				goto out;
		} else if (tdb_error(t->tdb) != TDB_ERR_NOEXIST) {
			rc = tdb_fail(h, "cannot read");
			goto out;
		}
		nk = tdb_nextkey(t->tdb, k);
		free(k.dptr);
		k = nk;
	}
	if (tdb_error(t->tdb) != e0 && tdb_error(t->tdb) != TDB_SUCCESS &&
	    tdb_error(t->tdb) != TDB_ERR_NOEXIST)
		rc = tdb_fail(h, "cannot iterate over");
out:
	free(k.dptr);
	return rc;
}

static int
tdb_be_verify(struct hdb *h)
{
	struct be_tdb *t = h->priv;

	t->msg[0] = '\0';
	if (tdb_check(t->tdb, NULL, NULL) != 0)
		return tdb_fail(h, "damaged");
	return HDB_OK;
}

/* tdb_be_sync - TDB writes through mmap or pwrite; fsync covers both. */
static int
tdb_be_sync(struct hdb *h)
{
	struct be_tdb *t = h->priv;

	if (!(h->flags & HDB_O_RDWR))
		return HDB_OK;
	if (fsync(tdb_fd(t->tdb)) == -1)
		return hdb_seterr(h, "cannot sync '%s': %s", h->path,
		    strerror(errno));
	return HDB_OK;
}
