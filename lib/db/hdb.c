/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hdb.c - the backend registry, autodetection and the generic handle.  The
 * wrappers here check what every backend would otherwise have to check (a
 * missing operation, a write on a read-only handle, a bad datum) and leave
 * the rest to the backend's ops.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/hdb.h"
#include "db/pin.h"
#include "xmalloc.h"

/* How much of the head of a file hdb_detect hands to the probes. */
#define HDB_HEAD_LEN	64

#define HDB_O_KNOWN	(HDB_O_RDWR | HDB_O_CREATE | HDB_O_SQLITE_TBL | \
			 HDB_O_SQLITE_XTEXT | HDB_O_LEAN | HDB_O_INORDER | \
			 HDB_O_BUCKETS)

static int	read_head(const char *, uint8_t *, size_t *);
static const struct hdb_backend *probe_all(const uint8_t *, size_t);
static int	try_suffix(const char *, const char *, uint8_t *, size_t *);
static int	unsupported(struct hdb *, const char *);
static int	bad_datum(struct hdb *, struct hdb_datum, const char *);
static int	read_only(struct hdb *);

const struct hdb_backend *const hdb_backends[] = {
	&hdb_backend_bdb,
	&hdb_backend_gdbm,
	&hdb_backend_tdb,
	&hdb_backend_sqlite,
	&hdb_backend_ndbm,
	NULL
};

const struct hdb_backend *
hdb_backend_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; hdb_backends[i] != NULL; i++)
		if (strcmp(hdb_backends[i]->name, name) == 0)
			return hdb_backends[i];
	return NULL;
}

/*
 * read_head - read up to *len bytes from the start of path without following
 * a symlink and without blocking on a FIFO; below SPOOL/db, through the
 * pinned directory (pin.h).  Returns 0, or an errno value:
 * EISDIR for a directory, EINVAL for anything else that is not a regular
 * file.
 */
static int
read_head(const char *path, uint8_t *buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = hdb_pin_open(path, O_RDONLY | O_NONBLOCK, 0);
	if (fd == -1)
		return errno;
	if (fstat(fd, &st) == -1) {
		rc = errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = EINVAL;
		goto out;
	}
	while (got < *len) {
		n = read(fd, buf + got, *len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*len = got;
out:
	close(fd);
	return rc;
}

static const struct hdb_backend *
probe_all(const uint8_t *head, size_t len)
{
	size_t i;

	for (i = 0; hdb_backends[i] != NULL; i++)
		if (hdb_backends[i]->probe != NULL &&
		    hdb_backends[i]->probe(head, len))
			return hdb_backends[i];
	return NULL;
}

/* read_head on path + suffix. */
static int
try_suffix(const char *path, const char *suffix, uint8_t *buf, size_t *len)
{
	char *name;
	size_t n;
	int rc;

	n = strlen(path) + strlen(suffix) + 1;
	name = xmalloc(n);
	snprintf(name, n, "%s%s", path, suffix);
	rc = read_head(name, buf, len);
	free(name);
	return rc;
}

/*
 * hdb_detect - see hdb.h.  The DB file itself wins; the suffixed names are
 * looked at only when path does not exist, as Exim's NDBM builds never
 * create the bare name.  A .dir that is a GDBM file rather than the 16-byte
 * header is the GDBM < 1.10 layout (.dir hard-linked to .pag), still NDBM.
 */
const struct hdb_backend *
hdb_detect(const char *path)
{
	const struct hdb_backend *be = NULL;
	uint8_t head[HDB_HEAD_LEN];
	size_t len;
	int rc, seen = 0;

	len = sizeof(head);
	rc = read_head(path, head, &len);
	if (rc == 0) {
		be = probe_all(head, len);
		rc = be != NULL ? 0 : EINVAL;
		goto out;
	}
	if (rc != ENOENT)
		goto out;

	len = sizeof(head);
	rc = try_suffix(path, ".dir", head, &len);
	if (rc == 0) {
		if (hdb_backend_ndbm.probe(head, len) ||
		    hdb_backend_gdbm.probe(head, len)) {
			be = &hdb_backend_ndbm;
			goto out;
		}
		seen = 1;
	} else if (rc != ENOENT)
		goto out;

	len = sizeof(head);
	rc = try_suffix(path, ".db", head, &len);
	if (rc == 0) {
		if (hdb_backend_bdb.probe(head, len)) {
			be = &hdb_backend_bdb;
			goto out;
		}
		seen = 1;
	} else if (rc != ENOENT)
		goto out;

	rc = seen ? EINVAL : ENOENT;
out:
	if (be == NULL)
		errno = rc;
	return be;
}

void
hdb_precheck(const struct hdb_backend *be, const char *path)
{
	char pinned[4096];
	const char *p;

	if (be != NULL && be->precheck != NULL && path != NULL &&
	    (p = hdb_pin_path(path, pinned, sizeof(pinned))) != NULL)
		be->precheck(p);
}

struct hdb *
hdb_open(const struct hdb_backend *be, const char *path, int flags,
    mode_t mode, char *errbuf, size_t errlen)
{
	return hdb_create(be, path, flags, mode, 0, errbuf, errlen);
}

struct hdb *
hdb_create(const struct hdb_backend *be, const char *path, int flags,
    mode_t mode, size_t expect, char *errbuf, size_t errlen)
{
	struct hdb *h = NULL;
	const char *why = NULL;
	char pinned[4096];
	int ok = 0;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (path == NULL || (flags & ~HDB_O_KNOWN) != 0 ||
	    ((flags & HDB_O_CREATE) && !(flags & HDB_O_RDWR))) {
		why = strerror(EINVAL);
		goto out;
	}
	if (be == NULL && (be = hdb_detect(path)) == NULL) {
		if (errno == EINVAL)
			why = "no backend recognises the file";
		else
			why = strerror(errno);
		goto out;
	}
	if (be->open == NULL) {
		why = "backend cannot open files";
		goto out;
	}

	/* A library opens by path: give it one through the pinned dir. */
	if ((path = hdb_pin_path(path, pinned, sizeof(pinned))) == NULL) {
		why = strerror(errno);
		goto out;
	}
	h = xcalloc(1, sizeof(*h));
	h->be = be;
	h->flags = flags;
	h->expect = expect;
	h->path = xstrdup(path);
	if (be->open(h, path, flags, mode) != HDB_OK) {
		why = h->err[0] != '\0' ? h->err : "cannot open";
		goto out;
	}
	ok = 1;
out:
	if (!ok) {
		if (errbuf != NULL && errlen > 0 && why != NULL)
			snprintf(errbuf, errlen, "%s", why);
		hdb_close(h);
		h = NULL;
	}
	return h;
}

void
hdb_close(struct hdb *h)
{
	if (h == NULL)
		return;
	if (h->priv != NULL && h->be->close != NULL)
		h->be->close(h);
	free(h->path);
	free(h);
}

static int
unsupported(struct hdb *h, const char *op)
{
	return hdb_seterr(h, "%s: operation not supported by %s", op,
	    h->be->name);
}

static int
bad_datum(struct hdb *h, struct hdb_datum d, const char *what)
{
	if (d.data == NULL && d.len > 0)
		return hdb_seterr(h, "%s has a length but no data", what);
	return HDB_OK;
}

static int
read_only(struct hdb *h)
{
	return hdb_seterr(h, "cannot write '%s': opened read-only", h->path);
}

int
hdb_get(struct hdb *h, struct hdb_datum key, struct hdb_datum *val)
{
	if (h == NULL || val == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	if (h->be->get == NULL)
		return unsupported(h, "get");
	if (bad_datum(h, key, "key") != HDB_OK)
		return HDB_ERR;
	return h->be->get(h, key, val);
}

int
hdb_put(struct hdb *h, struct hdb_datum key, struct hdb_datum val)
{
	if (h == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	if (h->be->put == NULL)
		return unsupported(h, "put");
	if (!(h->flags & HDB_O_RDWR))
		return read_only(h);
	if (bad_datum(h, key, "key") != HDB_OK ||
	    bad_datum(h, val, "value") != HDB_OK)
		return HDB_ERR;
	return h->be->put(h, key, val);
}

int
hdb_add(struct hdb *h, struct hdb_datum key, struct hdb_datum val)
{
	struct hdb_datum old;
	int rc;

	if (h != NULL && h->be->add != NULL && (h->flags & HDB_O_RDWR)) {
		h->err[0] = '\0';
		if (bad_datum(h, key, "key") != HDB_OK ||
		    bad_datum(h, val, "value") != HDB_OK)
			return HDB_ERR;
		return h->be->add(h, key, val);
	}
	if ((rc = hdb_get(h, key, &old)) == HDB_OK)
		return HDB_EXISTS;
	return rc == HDB_NOTFOUND ? hdb_put(h, key, val) : rc;
}

int
hdb_del(struct hdb *h, struct hdb_datum key)
{
	if (h == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	if (h->be->del == NULL)
		return unsupported(h, "delete");
	if (!(h->flags & HDB_O_RDWR))
		return read_only(h);
	if (bad_datum(h, key, "key") != HDB_OK)
		return HDB_ERR;
	return h->be->del(h, key);
}

int
hdb_iterate(struct hdb *h, hdb_iter_fn fn, void *ctx)
{
	struct hdb_datum first = { NULL, 0 };

	return hdb_iterate_after(h, first, fn, ctx);
}

static int
count_rec(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	(void)key;
	(void)val;
	(*(size_t *)arg)++;
	return 0;
}

int
hdb_count(struct hdb *h, size_t *n)
{
	*n = 0;
	if (h == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	if (h->be->count != NULL)
		return h->be->count(h, n);
	return hdb_iterate(h, count_rec, n) == HDB_ERR ? HDB_ERR : HDB_OK;
}

static hdb_iter_hook_fn *iter_hook;
static void *iter_hook_arg;
static int capped;		/* hdb_cap_sizes */
static uint64_t oversize;

void
hdb_cap_sizes(int on)
{
	capped = on;
}

int
hdb_sizes_capped(void)
{
	return capped;
}

uint64_t
hdb_oversize(void)
{
	uint64_t n = oversize;

	oversize = 0;
	return n;
}

int
hdb_over_cap(struct hdb_datum key, struct hdb_datum val)
{
	if (!capped || (key.len <= HDB_KEY_MAX && val.len <= HDB_VAL_MAX))
		return 0;
	oversize++;
	return 1;
}

void
hdb_set_iter_hook(hdb_iter_hook_fn *fn, void *arg)
{
	iter_hook = fn;
	iter_hook_arg = arg;
}

/* The caller's callback and context, counted for the iteration hook. */
struct counted {
	hdb_iter_fn	 fn;
	void		*ctx;
	unsigned	 n;
};

static int
count_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct counted *c = arg;

	if (hdb_over_cap(key, val))
		return 0;
	if (iter_hook != NULL && ++c->n == HDB_ITER_TICK) {
		c->n = 0;
		iter_hook(HDB_ITER_TICK, iter_hook_arg);
	}
	return c->fn(c->ctx, key, val);
}

/*
 * counting - the callback a read goes through: fn itself, or with a
 * progress hook or the size cap set count_one, counting in c (*arg: its
 * argument).
 */
static hdb_iter_fn
counting(struct counted *c, hdb_iter_fn fn, void *ctx, void **arg)
{
	c->fn = fn;
	c->ctx = ctx;
	c->n = 0;
	*arg = iter_hook != NULL || capped ? (void *)c : ctx;
	return iter_hook != NULL || capped ? count_one : fn;
}

/* The records counted since the last tick, to the hook. */
static void
counted_done(const struct counted *c)
{
	if (c->n > 0 && iter_hook != NULL)
		iter_hook(c->n, iter_hook_arg);
}

int
hdb_iterate_after(struct hdb *h, struct hdb_datum after, hdb_iter_fn fn,
    void *ctx)
{
	struct counted c;
	hdb_iter_fn f;
	void *arg;
	int rc;

	if (h == NULL || fn == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	if (h->be->iterate_after == NULL)
		return unsupported(h, "iterate");
	if (after.data == NULL)
		after.len = 0;
	f = counting(&c, fn, ctx, &arg);
	rc = h->be->iterate_after(h, after, f, arg);
	counted_done(&c);
	return rc;
}

int
hdb_scan(struct hdb *h, hdb_iter_fn fn, void *ctx, int *changed)
{
	struct counted c;
	hdb_iter_fn f;
	void *arg;
	int rc;

	*changed = 0;
	if (h == NULL || fn == NULL)
		return HDB_ERR;
	if (h->be->scan == NULL)
		return hdb_iterate(h, fn, ctx);
	h->err[0] = '\0';
	f = counting(&c, fn, ctx, &arg);
	rc = h->be->scan(h, f, arg, changed);
	counted_done(&c);
	return rc;
}

int
hdb_hold(struct hdb *h, int on)
{
	if (h == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	return h->be->hold == NULL ? HDB_OK : h->be->hold(h, on);
}

int
hdb_sweep(struct hdb *h, int64_t *pos, hdb_iter_fn fn, void *ctx)
{
	struct counted c;
	hdb_iter_fn f;
	void *arg;
	int rc;

	if (h == NULL || fn == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	if (h->be->sweep == NULL)
		return unsupported(h, "sweep");
	f = counting(&c, fn, ctx, &arg);
	rc = h->be->sweep(h, pos, f, arg);
	counted_done(&c);
	return rc;
}

int
hdb_verify(struct hdb *h)
{
	if (h == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	if (h->be->verify == NULL)
		return unsupported(h, "verify");
	return h->be->verify(h);
}

int
hdb_sync(struct hdb *h)
{
	if (h == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	if (h->be->sync == NULL)
		return unsupported(h, "sync");
	return h->be->sync(h);
}

int
hdb_free_bytes(struct hdb *h, uint64_t *fb)
{
	*fb = 0;
	if (h == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	if (h->be->free_bytes == NULL)
		return HDB_NOTFOUND;
	return h->be->free_bytes(h, fb);
}

int
hdb_free_bytes_file(const struct hdb_backend *be, const char *path,
    uint64_t *fb)
{
	char pinned[4096];
	const char *p;

	*fb = 0;
	if (be == NULL || be->free_bytes_file == NULL)
		return HDB_NOTFOUND;
	if ((p = hdb_pin_path(path, pinned, sizeof(pinned))) == NULL)
		return HDB_ERR;
	return be->free_bytes_file(p, fb);
}

void
hdb_read_budget(struct hdb *h, double budget_ms)
{
	if (h != NULL)
		h->read_budget = budget_ms;
}

uint64_t
hdb_put_order(struct hdb *h, struct hdb_datum key)
{
	if (h == NULL || h->expect == 0 || h->be->put_order == NULL)
		return 0;
	return h->be->put_order(h, key);
}

int
hdb_bulk_begin(struct hdb *h)
{
	if (h == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	return h->be->bulk_begin == NULL ? HDB_NOTFOUND : h->be->bulk_begin(h);
}

int
hdb_bulk_end(struct hdb *h, hdb_iter_fn fn, void *ctx)
{
	if (h == NULL || fn == NULL)
		return HDB_ERR;
	h->err[0] = '\0';
	return h->be->bulk_end == NULL ? HDB_OK : h->be->bulk_end(h, fn, ctx);
}

const char *
hdb_error(const struct hdb *h)
{
	if (h == NULL)
		return "no database handle";
	return h->err;
}

int
hdb_seterr(struct hdb *h, const char *fmt, ...)
{
	va_list ap;

	if (h == NULL)
		return HDB_ERR;
	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	hdb_pin_unmap(h->err, sizeof(h->err));	/* the name the user gave */
	return HDB_ERR;
}
