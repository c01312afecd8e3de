/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xsort.c - a DB in key order through sorted runs in a spill file (see
 * xsort.h).  A run is the records of one batch in key order, each an
 * 8-byte header (key and value lengths, host order: the file lives only
 * as long as the process) and the bytes.
 */
#include <errno.h>
#include <err.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "engine/pieces.h"
#include "engine/xsort.h"
#include "out.h"
#include "progress.h"
#include "xmalloc.h"

#define WBUF		((size_t)1 << 20)	/* spill writes */
#define RBUF_MIN	((size_t)16 << 10)	/* a run's read buffer */
#define RBUF_MAX	((size_t)1 << 20)
#define HDR		8

static int
spill_open(struct xsort *x)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	/* no name at all: nothing is left, even after SIGKILL */
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600)) !=
	    -1 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	if (asprintf(&path, "%s/hintsdb-sort.XXXXXX", dir) == -1)
		return -1;
	if ((fd = mkostemp(path, O_CLOEXEC)) != -1)
		(void)unlink(path);
	free(path);
	return fd;
}

/* The spill file failed: say so once; -1. */
static int
spill_fail(struct xsort *x, const char *what)
{
	const char *dir = getenv("TMPDIR");
	char *v;

	if (x->err != 0)
		return -1;
	x->err = errno != 0 ? errno : EIO;
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	v = hdb_vis_dup(dir, strlen(dir));
	warnx("%s: cannot %s a temporary file in '%s': %s", x->cmd, what, v,
	    strerror(x->err));
	free(v);
	return -1;
}

/* The spill file and its write buffer, made on first use. */
static int
spill_ready(struct xsort *x)
{
	if (x->fd != -1)
		return 0;
	if ((x->fd = spill_open(x)) == -1)
		return spill_fail(x, "make");
	if (x->wbuf == NULL)
		x->wbuf = xmalloc(WBUF);
	return 0;
}

static int
wflush(struct xsort *x)
{
	size_t done = 0;
	ssize_t w;

	while (done < x->wlen) {
		w = pwrite(x->fd, x->wbuf + done, x->wlen - done,
		    (off_t)(x->size + done));
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return spill_fail(x, "write");
		}
		done += (size_t)w;
	}
	x->size += x->wlen;
	x->wlen = 0;
	return 0;
}

static int
wput(struct xsort *x, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t c;

	while (n > 0) {
		if (x->wlen == WBUF && wflush(x) == -1)
			return -1;
		c = WBUF - x->wlen < n ? WBUF - x->wlen : n;
		memcpy(x->wbuf + x->wlen, b, c);
		x->wlen += c;
		b += c;
		n -= c;
	}
	return 0;
}

/* wrec - one record onto the run being written */
static int
wrec(struct xsort *x, const uint8_t *k, size_t kl, const uint8_t *v,
    size_t vl)
{
	uint32_t h[2] = { (uint32_t)kl, (uint32_t)vl };

	return wput(x, h, HDR) == -1 || wput(x, k, kl) == -1 ||
	    wput(x, v, vl) == -1 ? -1 : 0;
}

static void
run_begin(struct xsort *x)
{
	if (x->nruns == x->runcap) {
		x->runcap = x->runcap ? x->runcap * 2 : 16;
		x->runs = xreallocarray(x->runs, x->runcap, sizeof(*x->runs));
	}
	x->runs[x->nruns].off = x->size + x->wlen;
}

static int
run_end(struct xsort *x)
{
	if (wflush(x) == -1)
		return -1;
	x->runs[x->nruns].len = x->size - x->runs[x->nruns].off;
	x->nruns++;
	return 0;
}

static int
same_key(const struct slurp *s, size_t i, size_t j)
{
	return s->recs[i].klen == s->recs[j].klen &&
	    memcmp(slurp_key(s, i), slurp_key(s, j), s->recs[i].klen) == 0;
}

/*
 * batch_prepare - keep what keep keeps, in key order, a repeated key once:
 * its copy read last, which in the arena is the one furthest on.
 */
static void
batch_prepare(struct xsort *x, struct slurp *s)
{
	size_t i, n = 0;

	if (x->keep != NULL) {
		for (i = 0; i < s->n; i++)
			if (x->keep(x->ctx, slurp_key(s, i), s->recs[i].klen,
			    slurp_val(s, i), s->recs[i].vlen))
				s->recs[n++] = s->recs[i];
		s->n = n;
	}
	slurp_sort(s);
	for (i = 0, n = 0; i < s->n; i++) {
		if (n > 0 && same_key(s, n - 1, i)) {
			if (s->recs[i].off > s->recs[n - 1].off)
				s->recs[n - 1] = s->recs[i];
			continue;
		}
		s->recs[n++] = s->recs[i];
	}
	s->n = n;
	x->n += n;
}

static int
spill(struct xsort *x, const struct slurp *s)
{
	size_t i;

	if (x->err != 0)
		return -1;
	if (spill_ready(x) == -1)
		return -1;
	run_begin(x);
	for (i = 0; i < s->n; i++)
		if (wrec(x, slurp_key(s, i), s->recs[i].klen, slurp_val(s, i),
		    s->recs[i].vlen) == -1)
			return -1;
	return run_end(x);
}

/* db_slurp_stream's drain: a full batch, between two holds */
static void
drain(void *ctx, struct slurp *s)
{
	struct xsort *x = ctx;

	batch_prepare(x, s);
	(void)spill(x, s);	/* x->err stops the rest */
}

/* xsort_begin - an empty x, before either read. */
static void
xsort_begin(struct xsort *x, const char *cmd, xsort_keep_fn keep, void *ctx)
{
	memset(x, 0, sizeof(*x));
	x->fd = -1;
	x->cmd = cmd;
	x->keep = keep;
	x->ctx = ctx;
}

/* runs_only - every record is in the spill file's runs: the merge's
 * memory is its own. */
static void
runs_only(struct xsort *x)
{
	slurp_free(&x->s);
	free(x->wbuf);
	x->wbuf = NULL;
}

int
xsort_read(struct xsort *x, struct dbh *d, const char *spool,
    const struct dbopts *o, const char *cmd, double budget_ms, unsigned flags,
    size_t batch, xsort_keep_fn keep, void *ctx)
{
	int ex;

	xsort_begin(x, cmd, keep, ctx);
	if ((ex = db_slurp_stream(d, spool, o, cmd, budget_ms,
	    flags | SCAN_DUPS, &x->s, batch, drain, x)) != 0)
		return ex;
	x->inexact = x->s.changed;
	batch_prepare(x, &x->s);
	if (x->nruns == 0 && x->err == 0)
		return 0;	/* all in memory */
	if (spill(x, &x->s) == -1)
		return EX_IOERR_;
	runs_only(x);
	return 0;
}

/* A run being read: a window of it in buf, and its current record. */
struct rin {
	uint64_t	 pos, end;	/* the file's bytes not yet in buf */
	uint8_t		*buf;
	size_t		 cap, at, have;
	const uint8_t	*k, *v;
	uint32_t	 kl, vl;
	size_t		 run;		/* later runs were read later */
};

static struct rin *
rin_new(struct xsort *x, uint64_t off, uint64_t len, size_t cap)
{
	struct rin *r = xcalloc(1, sizeof(*r));

	r->pos = off;
	r->end = off + len;
	r->cap = cap;
	r->buf = xmalloc(cap);
	return r;
}

static void
rin_free(struct rin *r)
{
	if (r != NULL)
		free(r->buf);
	free(r);
}

/* At least need bytes from r->at in buf, if the run has them: 1, 0 at
 * its end, -1 on a read error. */
static int
rfill(struct xsort *x, struct rin *r, size_t need)
{
	ssize_t n;
	size_t want;

	if (r->have - r->at >= need)
		return 1;
	memmove(r->buf, r->buf + r->at, r->have - r->at);
	r->have -= r->at;
	r->at = 0;
	if (need > r->cap) {
		r->cap = need;
		r->buf = xreallocarray(r->buf, r->cap, 1);
	}
	while (r->have < need) {
		if (r->pos >= r->end)
			return 0;
		want = r->cap - r->have;
		if (want > r->end - r->pos)
			want = (size_t)(r->end - r->pos);
		n = pread(x->fd, r->buf + r->have, want, (off_t)r->pos);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return spill_fail(x, "read");
		}
		r->have += (size_t)n;
		r->pos += (uint64_t)n;
	}
	return 1;
}

/* The run's next record into r->k, r->v: 1, 0 at its end, -1. */
static int
rnext(struct xsort *x, struct rin *r)
{
	uint32_t h[2];
	int e;

	if ((e = rfill(x, r, HDR)) != 1)
		return e;
	memcpy(h, r->buf + r->at, HDR);
	if ((e = rfill(x, r, HDR + (size_t)h[0] + h[1])) != 1) {
		if (e == 0) {
			errno = EIO;	/* a run cut short: not ours */
			return spill_fail(x, "read");
		}
		return e;
	}
	r->kl = h[0];
	r->vl = h[1];
	r->k = r->buf + r->at + HDR;
	r->v = r->k + r->kl;
	r->at += HDR + (size_t)r->kl + r->vl;
	return 1;
}

/*
 * Under one lock (xsort_read_held) nothing but copying may happen: the
 * first batch stays in memory; once the DB proves bigger, it and every
 * record after it are appended to the spill file as read, unsorted (the
 * raw part, [0, raw)), and sorted into runs once the lock is gone.
 */
struct held {
	struct xsort	*x;
	int		 spilling;
};

static int
held_add(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct held *hd = ctx;
	struct xsort *x = hd->x;
	struct slurp *s = &x->s;
	size_t i;
	int r;

	if (hd->spilling)
		return wrec(x, key.data, key.len, val.data, s->keys_only ? 0 :
		    val.len);
	if ((r = slurp_add(s, key, val)) != SCAN_FULL)
		return r;
	if (spill_ready(x) == -1)
		return -1;
	for (i = 0; i < s->n; i++)
		if (wrec(x, slurp_key(s, i), s->recs[i].klen, slurp_val(s, i),
		    s->recs[i].vlen) == -1)
			return -1;
	slurp_empty(s);
	hd->spilling = 1;
	return 0;
}

/*
 * settle - the raw part into sorted runs after it, a batch at a time,
 * each part of the raw records given back to the file system once it is
 * sorted.
 */
static int
settle(struct xsort *x, uint64_t raw)
{
	struct hdb_datum k, v;
	struct rin *r;
	uint64_t done = 0, at;
	int e = 1;

	r = rin_new(x, 0, raw, RBUF_MAX);
	while (e == 1) {
		while ((e = rnext(x, r)) == 1) {
			k.data = r->k;
			k.len = r->kl;
			v.data = r->v;
			v.len = r->vl;
			if (slurp_add(&x->s, k, v) == SCAN_FULL)
				break;
		}
		if (e == -1)
			break;
		batch_prepare(x, &x->s);
		if (x->s.n > 0 && spill(x, &x->s) == -1) {
			e = -1;
			break;
		}
		slurp_empty(&x->s);
		at = r->pos - (r->have - r->at);
		(void)fallocate(x->fd, FALLOC_FL_PUNCH_HOLE |
		    FALLOC_FL_KEEP_SIZE, (off_t)done, (off_t)(at - done));
		done = at;
	}
	rin_free(r);
	return e == -1 ? -1 : 0;
}

int
xsort_read_held(struct xsort *x, struct dbh *d, const char *cmd, int flags,
    size_t batch, xsort_keep_fn keep, void *ctx)
{
	struct held hd = { x, 0 };
	char *n;
	int r;

	xsort_begin(x, cmd, keep, ctx);
	slurp_init(&x->s, NULL, (flags & SCAN_KEYS) != 0);
	x->s.limit = batch;
	n = hdb_vis_dup(d->name, strlen(d->name));
	progress_begin(0, 0, "%s: reading", n);
	r = hdb_iterate(d->h, held_add, &hd);
	progress_end();
	if (x->err == 0 && (r == HDB_ERR || r == -1)) {
		warnx("%s: cannot read '%s': %s", cmd, n, r == HDB_ERR ?
		    hdb_error(d->h) : "a record is too big to hold");
		free(n);
		db_close(d);
		return EX_IOERR_;
	}
	free(n);
	/* SQLite reads in pieces of its own even here, and a 4.99 tbl can
	 * hold a key twice: the merge passes it once, so count what it
	 * passes (xsort.h) */
	x->inexact = (d->h->be->caps & HDB_CAP_LOCKS_ITSELF) != 0;
	db_close(d);		/* the rest is ours alone */
	if (x->err != 0 || (hd.spilling && wflush(x) == -1))
		return EX_IOERR_;
	if (!hd.spilling) {
		batch_prepare(x, &x->s);
		return 0;
	}
	if (settle(x, x->size) == -1)
		return EX_IOERR_;
	runs_only(x);
	return 0;
}

/* a before b: key order, and for one key the later run first */
static int
rless(const struct rin *a, const struct rin *b)
{
	size_t n = a->kl < b->kl ? a->kl : b->kl;
	int c = memcmp(a->k, b->k, n);

	if (c != 0)
		return c < 0;
	if (a->kl != b->kl)
		return a->kl < b->kl;
	return a->run > b->run;
}

static void
sift(struct rin **h, size_t n, size_t i)
{
	struct rin *t;
	size_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && rless(h[c + 1], h[c]))
			c++;
		if (!rless(h[c], h[i]))
			break;
		t = h[c];
		h[c] = h[i];
		h[i] = t;
		i = c;
	}
}

/* The key passed on last, to pass each key once. */
struct last {
	uint8_t		*k;
	size_t		 kl, cap;
	int		 set;
};

static int
last_same(struct last *l, const uint8_t *k, size_t kl)
{
	if (l->set && l->kl == kl && memcmp(l->k, k, kl) == 0)
		return 1;
	if (kl > l->cap) {
		l->cap = kl * 2;
		l->k = xreallocarray(l->k, l->cap, 1);
	}
	memcpy(l->k, k, kl);
	l->kl = kl;
	l->set = 1;
	return 0;
}

/*
 * merge - runs [lo, hi) in key order to fn, each key once.  0, fn's
 * nonzero value, or -1 after a diagnostic.
 */
static int
merge(struct xsort *x, size_t lo, size_t hi, xsort_fn fn, void *ctx)
{
	size_t k = hi - lo, i, n = 0, cap = XSORT_MERGE_MEM / (k ? k : 1);
	struct rin *rs = xcalloc(k ? k : 1, sizeof(*rs));
	struct rin **h = xcalloc(k ? k : 1, sizeof(*h));
	struct last last = { NULL, 0, 0, 0 };
	int e, ret = 0;

	cap = cap < RBUF_MIN ? RBUF_MIN : cap > RBUF_MAX ? RBUF_MAX : cap;
	for (i = 0; i < k; i++) {
		rs[i].pos = x->runs[lo + i].off;
		rs[i].end = rs[i].pos + x->runs[lo + i].len;
		rs[i].cap = cap;
		rs[i].buf = xmalloc(cap);
		rs[i].run = i;
		if ((e = rnext(x, &rs[i])) == -1) {
			ret = -1;
			goto out;
		}
		if (e == 1)
			h[n++] = &rs[i];
	}
	for (i = n / 2; i-- > 0;)
		sift(h, n, i);
	while (n > 0) {
		struct rin *r = h[0];

		if (!last_same(&last, r->k, r->kl) &&
		    (ret = fn(ctx, r->k, r->kl, r->v, r->vl)) != 0)
			break;
		if ((e = rnext(x, r)) == -1) {
			ret = -1;
			break;
		}
		if (e == 0)
			h[0] = h[--n];
		sift(h, n, 0);
	}
out:
	for (i = 0; i < k; i++)
		free(rs[i].buf);
	free(rs);
	free(h);
	free(last.k);
	return ret;
}

static int
rewrite(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	return wrec(ctx, k, kl, v, vl);
}

/*
 * fold - merge the first XSORT_WAY runs into one at the file's end, which
 * takes their place (first: they were read first), and give their space
 * back to the file system.
 */
static int
fold(struct xsort *x)
{
	struct xrun r;
	uint64_t from = x->runs[0].off, to;

	if (x->wbuf == NULL)
		x->wbuf = xmalloc(WBUF);
	run_begin(x);
	if (merge(x, 0, XSORT_WAY, rewrite, x) != 0 || run_end(x) == -1)
		return -1;
	r = x->runs[--x->nruns];
	to = x->runs[XSORT_WAY - 1].off + x->runs[XSORT_WAY - 1].len;
	(void)fallocate(x->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)from, (off_t)(to - from));
	x->runs[0] = r;
	memmove(&x->runs[1], &x->runs[XSORT_WAY],
	    (x->nruns - XSORT_WAY) * sizeof(*x->runs));
	x->nruns -= XSORT_WAY - 1;
	return 0;
}

int
xsort_each(struct xsort *x, xsort_fn fn, void *ctx)
{
	size_t i;
	int r;

	if (x->err != 0)
		return EX_IOERR_;
	if (x->nruns == 0) {
		for (i = 0; i < x->s.n; i++)
			if ((r = fn(ctx, slurp_key(&x->s, i), x->s.recs[i].klen,
			    slurp_val(&x->s, i), x->s.recs[i].vlen)) != 0)
				return r;
		return 0;
	}
	while (x->nruns > XSORT_WAY)
		if (fold(x) == -1)
			return EX_IOERR_;
	free(x->wbuf);
	x->wbuf = NULL;
	r = merge(x, 0, x->nruns, fn, ctx);
	return r == -1 ? EX_IOERR_ : r;
}

void
xsort_free(struct xsort *x)
{
	slurp_free(&x->s);
	if (x->fd != -1)
		close(x->fd);
	free(x->runs);
	free(x->wbuf);
	memset(x, 0, sizeof(*x));
	x->fd = -1;
}
