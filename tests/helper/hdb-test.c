/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hdb-test.c - test-only tool on lib/ that makes hints DBs for the tests:
 * copies of real fixtures in other backends and layouts, records aged by a
 * given number of seconds, and raw records with any bytes.
 *
 *   hdb-test copy SRC TYPE DST BACKEND LAYOUT [sqlite-tbl]
 *   hdb-test age DB TYPE SECONDS          shift every time in every record
 *   hdb-test put DB BACKEND KEYHEX VALHEX  raw record (created if missing)
 *   hdb-test del DB KEYHEX
 *   hdb-test gen DB BACKEND TYPE N SEED NOW  N synthetic legacy records
 *
 * It takes no locks: it works on scratch copies only.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "hdb.h"
#include "rec.h"
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

static int
age(int argc, char **argv)
{
	struct agectx a;
	struct hdb *h;
	struct hdb_rec r;
	const char *why, *errstr;
	enum hdb_dbtype t;
	int64_t d;
	size_t i;

	if (argc != 4)
		errx(2, "usage: age DB TYPE SECONDS");
	if ((t = hdb_dbtype_from_name(argv[2])) == HDB_T_UNKNOWN)
		errx(2, "bad type %s", argv[2]);
	d = strtonum(argv[3], -4000000000LL, 4000000000LL, &errstr);
	if (errstr != NULL)
		errx(2, "seconds %s: %s", argv[3], errstr);
	memset(&a, 0, sizeof(a));
	h = open_or_die(NULL, argv[1], HDB_O_RDWR);
	if (hdb_iterate(h, collect, &a) == HDB_ERR)
		errx(2, "iterate: %s", hdb_error(h));
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

int
main(int argc, char **argv)
{
	if (argc < 2)
		errx(2, "usage: hdb-test copy|age|put|del ...");
	if (strcmp(argv[1], "copy") == 0)
		return copy(argc - 1, argv + 1);
	if (strcmp(argv[1], "age") == 0)
		return age(argc - 1, argv + 1);
	if (strcmp(argv[1], "put") == 0)
		return put(argc - 1, argv + 1);
	if (strcmp(argv[1], "del") == 0)
		return del(argc - 1, argv + 1);
	errx(2, "unknown subcommand %s", argv[1]);
}
