/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * be_gdbm.c - the GDBM backend (native API), opened the way Exim opens it:
 * block size 0, GDBM_READER / GDBM_WRITER / GDBM_WRCREAT, GDBM's own locks.
 * We open the descriptor ourselves (O_NOFOLLOW, O_CLOEXEC) and hand it to
 * gdbm_fd_open, so a symlink is refused before GDBM sees the file.
 *
 * The NDBM backend (be_ndbm.c) keeps its data in an ordinary GDBM file,
 * NAME.pag, and uses these ops on it.  Such a handle belongs to
 * hdb_backend_ndbm, and for it we pass GDBM_NOLOCK as gdbm-compat does.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gdbm.h>

#include "db/hdb.h"
#include "xmalloc.h"

struct be_gdbm {
	GDBM_FILE	 dbf;
	char		*val;		/* get's value (GDBM's malloc) */
};

static int	gdbm_probe(const uint8_t *, size_t);
static int	gdbm_be_open(struct hdb *, const char *, int, mode_t);
static void	gdbm_be_close(struct hdb *);
static int	gdbm_be_get(struct hdb *, struct hdb_datum,
		    struct hdb_datum *);
static int	gdbm_be_put(struct hdb *, struct hdb_datum, struct hdb_datum);
static int	gdbm_be_del(struct hdb *, struct hdb_datum);
static int	gdbm_be_iterate(struct hdb *, struct hdb_datum, hdb_iter_fn,
		    void *);
static int	gdbm_be_verify(struct hdb *);
static int	gdbm_be_sync(struct hdb *);
static int	gdbm_fail(struct hdb *, const char *);
static int	to_datum(struct hdb *, struct hdb_datum, datum *);

const struct hdb_backend hdb_backend_gdbm = {
	.name = "gdbm",
	.caps = 0,
	.suffix = "",
	.probe = gdbm_probe,
	.open = gdbm_be_open,
	.close = gdbm_be_close,
	.get = gdbm_be_get,
	.put = gdbm_be_put,
	.del = gdbm_be_del,
	.iterate_after = gdbm_be_iterate,
	.verify = gdbm_be_verify,
	.sync = gdbm_be_sync,
};

/*
 * gdbm_probe - the magic is a u32 at offset 0 in native order.  A byte-swapped
 * magic is a file from a host of the other endianness, which GDBM refuses,
 * so it is not ours either.
 */
static int
gdbm_probe(const uint8_t *head, size_t len)
{
	static const uint32_t magics[] = {
		0x13579ACE,	/* OMAGIC */
		0x13579ACD,	/* MAGIC32 */
		0x13579ACF,	/* MAGIC64 */
		0x13579AD0,	/* numsync, 32-bit off_t */
		0x13579AD1,	/* numsync, 64-bit off_t */
	};
	uint32_t m;
	size_t i;

	if (len < sizeof(m))
		return 0;
	memcpy(&m, head, sizeof(m));
	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (m == magics[i])
			return 1;
	return 0;
}

/* gdbm_fail - record GDBM's text for the last error on this handle. */
static int
gdbm_fail(struct hdb *h, const char *what)
{
	struct be_gdbm *g = h->priv;

	return hdb_seterr(h, "%s '%s': %s", what, h->path,
	    gdbm_db_strerror(g->dbf));
}

/* GDBM's datum has an int size and a non-const pointer it does not write. */
static int
to_datum(struct hdb *h, struct hdb_datum d, datum *out)
{
	if (d.len > INT_MAX)
		return hdb_seterr(h, "datum of %zu bytes is too large for gdbm",
		    d.len);
	out->dptr = (char *)(uintptr_t)d.data;
	out->dsize = (int)d.len;
	return HDB_OK;
}

static int
gdbm_be_open(struct hdb *h, const char *path, int flags, mode_t mode)
{
	struct be_gdbm *g = NULL;
	struct stat st;
	int oflags, gflags, fl, fd = -1, rc = HDB_ERR;

	if (flags & HDB_O_RDWR) {
		oflags = O_RDWR;
		gflags = GDBM_WRITER;
		if (flags & HDB_O_CREATE) {
			oflags |= O_CREAT;
			gflags = GDBM_WRCREAT;
		}
	} else {
		oflags = O_RDONLY;
		gflags = GDBM_READER;
	}
	if (h->be == &hdb_backend_ndbm)
		gflags |= GDBM_NOLOCK;

	fd = open(path, oflags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
	if (fd == -1) {
		hdb_seterr(h, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		hdb_seterr(h, "cannot stat '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		hdb_seterr(h, "cannot open '%s': not a regular file", path);
		goto out;
	}
	/* O_NONBLOCK was only there so that a FIFO could not hang us. */
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		hdb_seterr(h, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}

	g = xcalloc(1, sizeof(*g));
	g->dbf = gdbm_fd_open(fd, path, 0, gflags | GDBM_CLOERROR, NULL);
	fd = -1;	/* GDBM owns it now, or closed it (GDBM_CLOERROR) */
	if (g->dbf == NULL) {
		if (gdbm_check_syserr(gdbm_errno))
			hdb_seterr(h, "cannot open '%s': %s: %s", path,
			    gdbm_strerror(gdbm_errno), strerror(errno));
		else
			hdb_seterr(h, "cannot open '%s': %s", path,
			    gdbm_strerror(gdbm_errno));
		goto out;
	}
	h->priv = g;
	g = NULL;
	rc = HDB_OK;
out:
	if (fd != -1)
		close(fd);
	free(g);
	return rc;
}

static void
gdbm_be_close(struct hdb *h)
{
	struct be_gdbm *g = h->priv;

	if (g == NULL)
		return;
	gdbm_close(g->dbf);
	free(g->val);
	free(g);
	h->priv = NULL;
}

static int
gdbm_be_get(struct hdb *h, struct hdb_datum key, struct hdb_datum *val)
{
	struct be_gdbm *g = h->priv;
	datum k, v;

	if (to_datum(h, key, &k) != HDB_OK)
		return HDB_ERR;
	v = gdbm_fetch(g->dbf, k);
	if (v.dptr == NULL) {
		if (gdbm_last_errno(g->dbf) == GDBM_ITEM_NOT_FOUND)
			return HDB_NOTFOUND;
		return gdbm_fail(h, "cannot read");
	}
	free(g->val);
	g->val = v.dptr;
	val->data = (const uint8_t *)v.dptr;
	val->len = (size_t)v.dsize;
	return HDB_OK;
}

static int
gdbm_be_put(struct hdb *h, struct hdb_datum key, struct hdb_datum val)
{
	struct be_gdbm *g = h->priv;
	datum k, v;

	if (to_datum(h, key, &k) != HDB_OK || to_datum(h, val, &v) != HDB_OK)
		return HDB_ERR;
	if (gdbm_store(g->dbf, k, v, GDBM_REPLACE) != 0)
		return gdbm_fail(h, "cannot write");
	return HDB_OK;
}

static int
gdbm_be_del(struct hdb *h, struct hdb_datum key)
{
	struct be_gdbm *g = h->priv;
	datum k;

	if (to_datum(h, key, &k) != HDB_OK)
		return HDB_ERR;
	if (gdbm_delete(g->dbf, k) != 0) {
		if (gdbm_last_errno(g->dbf) == GDBM_ITEM_NOT_FOUND)
			return HDB_NOTFOUND;
		return gdbm_fail(h, "cannot delete from");
	}
	return HDB_OK;
}

/*
 * gdbm_be_iterate - firstkey/nextkey, or nextkey from `after` once we know
 * it is there (nextkey says "not found" both for a missing key and at the
 * end), fetching each value.  GDBM hands out malloc'd copies, so the key
 * and value are freed right after the callback.  A key that vanished
 * between nextkey and fetch is skipped.
 */
static int
gdbm_be_iterate(struct hdb *h, struct hdb_datum after, hdb_iter_fn fn,
    void *ctx)
{
	struct be_gdbm *g = h->priv;
	struct hdb_datum hk, hv;
	datum a, k, nk, v;
	int rc = HDB_OK;

	k.dptr = NULL;
	v.dptr = NULL;
	if (after.data == NULL)
		k = gdbm_firstkey(g->dbf);
	else {
		if (to_datum(h, after, &a) != HDB_OK) {
			rc = HDB_ERR;
			goto out;
		}
		if (!gdbm_exists(g->dbf, a)) {
			if (gdbm_last_errno(g->dbf) != GDBM_NO_ERROR &&
			    gdbm_last_errno(g->dbf) != GDBM_ITEM_NOT_FOUND)
				rc = gdbm_fail(h, "cannot read");
			else
				rc = HDB_NOTFOUND;
			goto out;
		}
		k = gdbm_nextkey(g->dbf, a);
	}
	while (k.dptr != NULL) {
		v = gdbm_fetch(g->dbf, k);
		if (v.dptr == NULL &&
		    gdbm_last_errno(g->dbf) != GDBM_ITEM_NOT_FOUND) {
			rc = gdbm_fail(h, "cannot read");
			goto out;
		}
		if (v.dptr != NULL) {
			hk.data = (const uint8_t *)k.dptr;
			hk.len = (size_t)k.dsize;
			hv.data = (const uint8_t *)v.dptr;
			hv.len = (size_t)v.dsize;
			rc = fn(ctx, hk, hv);
			free(v.dptr);
			v.dptr = NULL;
			if (rc != 0)
				goto out;
		}
		nk = gdbm_nextkey(g->dbf, k);
		free(k.dptr);
		k = nk;
	}
	if (gdbm_last_errno(g->dbf) != GDBM_ITEM_NOT_FOUND)
		rc = gdbm_fail(h, "cannot iterate over");
out:
	free(k.dptr);
	free(v.dptr);
	return rc;
}

/*
 * gdbm_be_verify - GDBM has no stand-alone checker that never writes
 * (gdbm_recover rewrites the file), so walk everything read-only: the
 * available-space lists, the record count (which visits every bucket), then
 * every key and its value.  GDBM validates each bucket, directory entry and
 * hash entry as it loads them and reports damage as an error.
 */
static int
gdbm_be_verify(struct hdb *h)
{
	struct be_gdbm *g = h->priv;
	gdbm_count_t count, seen = 0;
	datum k, nk, v;
	int rc = HDB_ERR;

	k.dptr = NULL;
	if (gdbm_avail_verify(g->dbf) != 0) {
		gdbm_fail(h, "damaged free-space list in");
		goto out;
	}
	if (gdbm_count(g->dbf, &count) != 0) {
		gdbm_fail(h, "cannot count records in");
		goto out;
	}
	k = gdbm_firstkey(g->dbf);
	while (k.dptr != NULL) {
		v = gdbm_fetch(g->dbf, k);
		if (v.dptr == NULL) {
			gdbm_fail(h, "unreadable record in");
			goto out;
		}
		free(v.dptr);
		seen++;
		nk = gdbm_nextkey(g->dbf, k);
		free(k.dptr);
		k = nk;
	}
	if (gdbm_last_errno(g->dbf) != GDBM_ITEM_NOT_FOUND) {
		gdbm_fail(h, "cannot walk");
		goto out;
	}
	if (gdbm_needs_recovery(g->dbf)) {
		gdbm_fail(h, "damaged");
		goto out;
	}
	if (seen != count) {
		hdb_seterr(h, "damaged '%s': %llu records counted, %llu "
		    "reachable", h->path, count, seen);
		goto out;
	}
	rc = HDB_OK;
out:
	free(k.dptr);
	return rc;
}

static int
gdbm_be_sync(struct hdb *h)
{
	struct be_gdbm *g = h->priv;

	if (!(h->flags & HDB_O_RDWR))
		return HDB_OK;
	if (gdbm_sync(g->dbf) != 0)
		return gdbm_fail(h, "cannot sync");
	return HDB_OK;
}
