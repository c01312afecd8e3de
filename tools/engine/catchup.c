/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * catchup.c - carry Exim's writes from a replaced DB into its successor
 * (see catchup.h).
 */
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "db/atomic.h"
#include "db/lock.h"
#include "db/pin.h"
#include "engine/catchup.h"
#include "engine/pieces.h"
#include "engine/slurp.h"
#include "hash.h"
#include "rec/convert.h"
#include "xmalloc.h"

#define SETTLE_ROUNDS	4	/* first passes while the old file changes */
#define INTO_CHUNK	8192	/* catchup_into: records of the new DB a pass */
/* what catchup_recover needs, in the directory that keeps the old DB */
#define CU_TIMES	"catchup"	/* t0 t_swap layout nwritten ncopies */
#define CU_WRITTEN	"written"	/* the keysets, raw */
#define CU_COPIES	"copies"
#define CU_BEFORE	"before"

/* One change to the new DB, under the write lock; 0 or -1 (hdb_error). */
typedef int change_fn(struct catchup *, struct hdb *, struct hdb_datum key,
    struct hdb_datum val);

struct oldscan {
	struct catchup	*c;
	struct hdb	*old;
	struct slurp	*s;
	uint8_t		*seen;		/* bit i: the first pass saw the key
					 * of written->h[i] in the old DB */
};

static void
add_hash(struct keyset *ks, uint64_t h)
{
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 4096;
		ks->h = xreallocarray(ks->h, ks->cap, sizeof(*ks->h));
	}
	ks->h[ks->n++] = h;
}

void
keyset_add_hash(struct keyset *ks, uint64_t h)
{
	add_hash(ks, h);
}

void
keyset_add(struct keyset *ks, struct hdb_datum key)
{
	add_hash(ks, hdb_hash_bytes(key.data, key.len));
}

static uint64_t
rec_hash(struct hdb_datum key, struct hdb_datum val)
{
	return hdb_hash_bytes(key.data, key.len) * 0x9e3779b97f4a7c15ULL ^
	    hdb_hash_bytes(val.data, val.len);
}

void
keyset_add_rec(struct keyset *ks, struct hdb_datum key, struct hdb_datum val)
{
	add_hash(ks, rec_hash(key, val));
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * u64_sort - sort v in place, most significant byte first (a radix sort
 * that needs no second array: qsort's merge sort takes one as big as the
 * keys, and at 1M keys that was tidy's peak), small runs by insertion.
 */
static void
u64_sort(uint64_t *v, size_t n, int shift)
{
	size_t count[256], start[256], next[256], i, j;
	uint64_t x, y;
	unsigned b;

	if (n < 32 || shift < 0) {
		for (i = 1; i < n; i++) {
			x = v[i];
			for (j = i; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++)
		count[v[i] >> shift & 0xff]++;
	for (b = 0, j = 0; b < 256; b++) {
		start[b] = next[b] = j;
		j += count[b];
	}
	/* each slot's value goes to its byte's next free place */
	for (b = 0; b < 256; b++) {
		while (next[b] < start[b] + count[b]) {
			x = v[next[b]];
			while ((x >> shift & 0xff) != b) {
				y = v[next[x >> shift & 0xff]];
				v[next[x >> shift & 0xff]++] = x;
				x = y;
			}
			v[next[b]++] = x;
		}
	}
	for (b = 0; b < 256; b++)
		u64_sort(v + start[b], count[b], shift - 8);
}

/* Sort, and keep each hash once, so that a key has one index. */
void
keyset_seal(struct keyset *ks)
{
	size_t i, n;

	if (ks->n == 0)
		return;
	for (i = 1; i < ks->n && ks->h[i - 1] <= ks->h[i]; i++)
		;
	if (i < ks->n)		/* not sorted yet */
		u64_sort(ks->h, ks->n, 56);
	for (i = n = 1; i < ks->n; i++)
		if (ks->h[i] != ks->h[n - 1])
			ks->h[n++] = ks->h[i];
	ks->n = n;
}

/* The index of h in the sealed ks, or SIZE_MAX. */
static size_t
hash_index(const struct keyset *ks, uint64_t h)
{
	const uint64_t *p;

	if (ks->n == 0)
		return SIZE_MAX;
	p = bsearch(&h, ks->h, ks->n, sizeof(*ks->h), u64_cmp);
	return p == NULL ? SIZE_MAX : (size_t)(p - ks->h);
}

static int
has_hash(const struct keyset *ks, uint64_t h)
{
	return hash_index(ks, h) != SIZE_MAX;
}

/* Whether the first pass saw written->h[i] in the old DB. */
static int
seen_at(const struct oldscan *os, size_t i)
{
	return i != SIZE_MAX && (os->seen[i / 8] >> (i % 8) & 1);
}

int
keyset_has(const struct keyset *ks, struct hdb_datum key)
{
	return has_hash(ks, hdb_hash_bytes(key.data, key.len));
}

void
keyset_free(struct keyset *ks)
{
	free(ks->h);
	memset(ks, 0, sizeof(*ks));
}

int64_t
catchup_stamp(struct hdb_datum val)
{
	int64_t t;

	return hdb_rec_stamp(val.data, val.len, &t) == 0 ? t : INT64_MAX;
}

/* Candidates of the first pass: what the build may not have carried. */
static int
changed_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct oldscan *os = arg;
	struct catchup *c = os->c;
	size_t i = hash_index(c->written, hdb_hash_bytes(key.data, key.len));

	if (i != SIZE_MAX)
		os->seen[i / 8] |= (uint8_t)(1u << (i % 8));
	if (catchup_stamp(val) >= c->t0 ||
	    (c->from_old && i == SIZE_MAX &&
	    (c->dropped == NULL || !c->dropped(c->dctx, key))))
		return slurp_add(os->s, key, val);
	return 0;
}

/* Candidates of the second pass: keys written that the old DB lost. */
static int
gone_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct oldscan *os = arg;
	size_t i = hash_index(os->c->written, hdb_hash_bytes(key.data,
	    key.len));

	if (i != SIZE_MAX && (os->c->before == NULL ||
	    keyset_has(os->c->before, key)) && !seen_at(os, i))
		return slurp_add(os->s, key, val);
	return 0;
}

/* Whether Exim wrote the new DB's record after the rename. */
static int
exim_wrote(const struct catchup *c, struct hdb_datum key,
    struct hdb_datum cur)
{
	int64_t t = catchup_stamp(cur);

	return t >= c->t_swap && t != INT64_MAX &&
	    !has_hash(c->copies, rec_hash(key, cur));
}

/* Whether two records are the same bytes. */
static int
same(struct hdb_datum a, struct hdb_datum b)
{
	return a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
}

static int
put_one(struct catchup *c, struct hdb *h, struct hdb_datum key,
    struct hdb_datum val)
{
	struct hdb_datum out, cur;
	const char *why;
	int rc;

	if (hdb_convert_rec(c->type, c->to, key, val, &c->buf, &c->cap, &out,
	    &why) == HDB_CONV_REFUSED)
		return 0;	/* reported by the build, or Exim's own */
	if ((rc = hdb_get(h, key, &cur)) == HDB_ERR)
		return -1;
	if (rc == HDB_NOTFOUND && keyset_has(c->written, key))
		return 0;	/* Exim deleted it after the rename */
	if (rc == HDB_OK && same(cur, out))
		return 0;
	if (rc == HDB_OK && exim_wrote(c, key, cur)) {
		c->newer++;
		return 0;
	}
	if (hdb_put(h, key, out) != HDB_OK)
		return -1;
	c->put++;
	if (rc == HDB_NOTFOUND && c->revived != NULL &&
	    c->dropped(c->dctx, key))
		c->revived(c->dctx, key);
	return 0;
}

static int
del_one(struct catchup *c, struct hdb *h, struct hdb_datum key,
    struct hdb_datum val)
{
	struct hdb_datum cur;
	int rc;

	(void)val;
	if ((rc = hdb_get(h, key, &cur)) == HDB_ERR)
		return -1;
	if (rc == HDB_NOTFOUND)
		return 0;
	if (exim_wrote(c, key, cur)) {
		c->newer++;
		return 0;
	}
	if (hdb_del(h, key) == HDB_ERR)
		return -1;
	c->deleted++;
	return 0;
}

/* A pass's changes, for db_paced. */
struct apply {
	struct catchup	*c;
	struct slurp	*s;
	change_fn	*fn;
};

static void
hold_begin(void *arg)
{
	struct apply *a = arg;

	a->c->t_hold = hdb_now_ms();
}

static void
hold_done(void *arg, size_t i, int kept)
{
	struct apply *a = arg;
	double held = hdb_now_ms() - a->c->t_hold;

	(void)i;
	(void)kept;
	a->c->holds++;
	if (held > a->c->max_hold_ms)
		a->c->max_hold_ms = held;
}

static int
apply_one(void *arg, struct dbh *d, size_t i)
{
	struct apply *a = arg;
	struct hdb_datum k, v;

	k.data = slurp_key(a->s, i);
	k.len = a->s->recs[i].klen;
	v.data = slurp_val(a->s, i);
	v.len = a->s->recs[i].vlen;
	return a->fn(a->c, d->h, k, v);
}

static void
apply_failed(void *arg, struct dbh *d)
{
	struct apply *a = arg;

	warnx("%s: cannot catch up '%s': %s", a->c->cmd, a->c->name,
	    hdb_error(d->h));
}

/* apply - fn for every record of s, in paced write holds. */
static int
apply(struct catchup *c, struct slurp *s, change_fn *fn)
{
	/* on TDB each hold one transaction: a kill cannot damage the file */
	static const struct paced p = { hold_begin, apply_one, apply_failed,
	    hold_done, 1 };
	struct apply a = { c, s, fn };
	size_t checks = hdb_bdb_full_checks();
	int ex;

	ex = db_paced(c->spool, c->name, 1, c->o, c->cmd, c->budget_ms,
	    s->n, &p, &a);
	c->checked += hdb_bdb_full_checks() - checks;
	return ex;
}

/* pass_old - the first pass, again while the old file keeps changing. */
static int
pass_old(struct catchup *c, struct oldscan *os, const char *old_path)
{
	struct db_file f;
	int ex, round, changed;

	db_file_note(old_path, &f);
	for (round = 0; round < SETTLE_ROUNDS; round++) {
		memset(os->seen, 0, c->written->n / 8 + 1);
		slurp_init(os->s, old_path, 0);
		if (hdb_scan(os->old, changed_one, os, &changed) == HDB_ERR) {
			warnx("%s: cannot read the replaced '%s': %s", c->cmd,
			    c->name, hdb_error(os->old));
			slurp_free(os->s);
			return EX_IOERR_;
		}
		if (changed)
			slurp_dedupe(os->s);
		ex = apply(c, os->s, put_one);
		slurp_free(os->s);
		if (ex != 0 || !db_file_changed(old_path, &f))
			return ex;
		hdb_pause(c->budget_ms);
	}
	return 0;
}

/* gone - whether a key the build wrote is missing from the old DB. */
static int
gone(const struct catchup *c, const struct oldscan *os)
{
	size_t i;

	for (i = 0; i < c->written->n; i++)
		if ((c->before == NULL || has_hash(c->before,
		    c->written->h[i])) && !seen_at(os, i))
			return 1;
	return 0;
}

/*
 * pass_new - the second pass: the new DB read in pieces, for the keys
 * that the old DB lost; none to look for is the common case.
 */
static int
pass_new(struct catchup *c, struct oldscan *os, const char *old_path)
{
	struct scan_info si;
	struct dbh d;
	int ex;

	slurp_init(os->s, old_path, 1);
	if ((ex = db_open(&d, c->spool, c->name, 0, c->o, c->cmd)) == 0)
		ex = db_scan(&d, c->spool, c->o, c->cmd, c->budget_ms,
		    SCAN_ANY_ORDER, gone_one, os, &si);
	if (ex == 0)
		ex = apply(c, os->s, del_one);
	slurp_free(os->s);
	return ex;
}

int
catchup_run(struct catchup *c, const char *old_path)
{
	struct oldscan os;
	struct slurp s;
	char why[256];
	int ex;

	os.c = c;
	os.s = &s;
	os.old = hdb_open(NULL, old_path, HDB_O_RDONLY, 0, why, sizeof(why));
	if (os.old == NULL) {
		warnx("%s: cannot open the replaced '%s': %s", c->cmd,
		    c->name, why);
		return EX_IOERR_;
	}
	os.seen = xcalloc(c->written->n / 8 + 1, 1);
	ex = pass_old(c, &os, old_path);
	if (ex == 0 && gone(c, &os))
		ex = pass_new(c, &os, old_path);
	hdb_close(os.old);
	free(os.seen);
	free(c->buf);
	c->buf = NULL;
	return ex;
}

/*
 * In place (catchup_into).  The live DB stays where it is: the new one's
 * records go into it, a chunk at a time, and what it holds beyond them
 * goes after.
 */
struct into {
	struct catchup	*c;
	struct hdb	*nh;		/* the new DB, private */
	const char	*npath;
	struct slurp	 s;
	int		 ex;
};

/* Whether Exim wrote cur, the live DB's record of key, since t0. */
static int
exim_since(const struct catchup *c, struct hdb_datum cur)
{
	int64_t t = catchup_stamp(cur);

	return t >= c->t0 && t != INT64_MAX;
}

/* One record of the new DB into the live one (change_fn). */
static int
into_put(struct catchup *c, struct hdb *h, struct hdb_datum key,
    struct hdb_datum val)
{
	struct hdb_datum cur;
	int rc;

	hdb_testpoint();	/* tests: killed mid-hold */
	if ((rc = hdb_get(h, key, &cur)) == HDB_ERR)
		return -1;
	if (rc == HDB_OK && same(cur, val))
		return 0;
	if ((rc == HDB_OK && exim_since(c, cur)) || (rc == HDB_NOTFOUND &&
	    (c->before == NULL || keyset_has(c->before, key)))) {
		c->newer++;
		return 0;
	}
	if (hdb_put(h, key, val) != HDB_OK)
		return -1;
	c->put++;
	return 0;
}

/* A record of the live DB that the new one lacks (change_fn). */
static int
into_del(struct catchup *c, struct hdb *h, struct hdb_datum key,
    struct hdb_datum val)
{
	struct hdb_datum cur, out;
	const char *why;
	int rc;

	(void)val;
	hdb_testpoint();	/* tests: killed mid-hold */
	if ((rc = hdb_get(h, key, &cur)) == HDB_ERR)
		return -1;
	if (rc == HDB_NOTFOUND)
		return 0;
	if (exim_since(c, cur)) {
		c->newer++;
		return 0;
	}
	/* convert: a record the build's read in pieces missed stays */
	if (c->from_old && hdb_convert_rec(c->type, c->to, key, cur, &c->buf,
	    &c->cap, &out, &why) != HDB_CONV_REFUSED && out.len > 0) {
		if (same(out, cur))
			return 0;
		if (hdb_put(h, key, out) != HDB_OK)
			return -1;
		c->put++;
		return 0;
	}
	if (hdb_del(h, key) == HDB_ERR)
		return -1;
	c->deleted++;
	return 0;
}

/* Collect the new DB a chunk at a time, and put each (hdb_iter_fn). */
static int
into_new_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct into *in = arg;

	if (slurp_add(&in->s, key, val) == -1)
		return -1;
	if (in->s.n < INTO_CHUNK)
		return 0;
	in->ex = apply(in->c, &in->s, into_put);
	slurp_free(&in->s);
	slurp_init(&in->s, "", 0);
	return in->ex != 0 ? -1 : 0;
}

/* The live DB's records that the new one lacks (hdb_iter_fn). */
static int
into_old_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct into *in = arg;
	struct hdb_datum cur;
	int rc = hdb_get(in->nh, key, &cur);

	if (rc == HDB_ERR)
		return -1;
	return rc == HDB_NOTFOUND ? slurp_add(&in->s, key, val) : 0;
}

int
catchup_into(struct catchup *c, const char *new_path)
{
	struct scan_info si;
	struct into in;
	struct dbh d;
	char why[256];
	int changed, ex;

	memset(&in, 0, sizeof(in));
	in.c = c;
	in.npath = new_path;
	in.nh = hdb_open(NULL, new_path, HDB_O_RDONLY, 0, why, sizeof(why));
	if (in.nh == NULL) {
		warnx("%s: cannot open the new '%s': %s", c->cmd, c->name, why);
		return EX_IOERR_;
	}
	slurp_init(&in.s, "", 0);
	if (hdb_scan(in.nh, into_new_one, &in, &changed) == HDB_ERR) {
		if (in.ex == 0)
			warnx("%s: cannot read the new '%s': %s", c->cmd,
			    c->name, hdb_error(in.nh));
		ex = in.ex != 0 ? in.ex : EX_IOERR_;
	} else
		ex = apply(c, &in.s, into_put);
	slurp_free(&in.s);
	if (ex == 0) {
		slurp_init(&in.s, "", 0);
		if ((ex = db_open(&d, c->spool, c->name, 0, c->o, c->cmd)) == 0)
			ex = db_scan(&d, c->spool, c->o, c->cmd, c->budget_ms,
			    SCAN_ANY_ORDER, into_old_one, &in, &si);
		if (ex == 0) {
			slurp_dedupe(&in.s);
			ex = apply(c, &in.s, into_del);
		}
		slurp_free(&in.s);
	}
	hdb_close(in.nh);
	free(c->buf);
	c->buf = NULL;
	return ex;
}

/*
 * Recovery.  Killed after the rename, a run leaves the old DB in its
 * private directory (hdb_atomic_link_old) with what its catch-up needs:
 * the keysets (catchup_save_keys, before the write lock) and the times
 * (catchup_save_times, under it, just before the rename; written last,
 * so their file says the rest is whole).  The next run carries the old
 * DB's late writes over as the catch-up would have, before it removes the
 * directory (catchup_recover).  A record the build missed without Exim
 * writing it (a read in pieces of a changing file) is not looked for.
 */
int
catchup_save_keys(const struct catchup *c, struct hdb_atomic *old)
{
	if (hdb_atomic_put(old, CU_WRITTEN, c->written->h, c->written->n *
	    sizeof(uint64_t)) == -1 || hdb_atomic_put(old, CU_COPIES,
	    c->copies->h, c->copies->n * sizeof(uint64_t)) == -1)
		return -1;
	if (c->before != NULL && hdb_atomic_put(old, CU_BEFORE, c->before->h,
	    c->before->n * sizeof(uint64_t)) == -1)
		return -1;
	return 0;
}

int
catchup_save_times(const struct catchup *c, struct hdb_atomic *old)
{
	char buf[128];
	int n;

	n = snprintf(buf, sizeof(buf), "%lld %lld %d %zu %zu %zu\n",
	    (long long)c->t0, (long long)c->t_swap, (int)c->to,
	    c->written->n, c->copies->n, c->before != NULL ?
	    c->before->n : SIZE_MAX);
	return hdb_atomic_put(old, CU_TIMES, buf, (size_t)n);
}

/* read_all - path's len bytes into buf; 0, or -1 if not exactly those. */
static int
read_all(const char *path, void *buf, size_t len)
{
	char extra;
	ssize_t r;
	size_t got = 0;
	int fd, rc = -1;

	if ((fd = hdb_pin_open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0)) ==
	    -1)
		return -1;
	while (got < len && (r = read(fd, (char *)buf + got, len - got)) > 0)
		got += (size_t)r;
	if (got == len && read(fd, &extra, 1) == 0)
		rc = 0;
	close(fd);
	return rc;
}

/* load_keys - the keyset file of n hashes in dir into ks; 0 or -1. */
static int
load_keys(const char *dir, const char *file, size_t n, struct keyset *ks)
{
	char path[PATH_MAX];

	memset(ks, 0, sizeof(*ks));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path) || n > SIZE_MAX / sizeof(uint64_t) / 2)
		return -1;
	ks->h = xreallocarray(NULL, n ? n : 1, sizeof(uint64_t));
	ks->n = ks->cap = n;
	return read_all(path, ks->h, n * sizeof(uint64_t));
}

/* load_times - dir's times file into c; 0 or -1. */
static int
load_times(const char *dir, struct catchup *c, size_t *n)
{
	char path[PATH_MAX], buf[128];
	long long t0, ts;
	ssize_t r;
	int fd, to;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, CU_TIMES) >=
	    sizeof(path) || (fd = hdb_pin_open(path, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC, 0)) == -1)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	if (sscanf(buf, "%lld %lld %d %zu %zu %zu", &t0, &ts, &to, &n[0],
	    &n[1], &n[2]) != 6 ||
	    to < HDB_L_AUTO || to > HDB_L_V2)
		return -1;
	c->t0 = t0;
	c->t_swap = ts;
	c->to = (enum hdb_layout)to;
	return 0;
}

/* What catchup_recover hands each directory. */
struct recover {
	const char	*spool, *name, *cmd, *target;
	const struct dbopts *o;
	int		 ex;
};

/* recover_one - the catch-up a dead run left in dir, if it left one. */
static int
recover_one(void *arg, const char *dir)
{
	struct recover *r = arg;
	struct keyset written, copies, before;
	struct catchup c;
	struct stat so, sl;
	char old[PATH_MAX];
	size_t n[3];
	int ex;

	memset(&c, 0, sizeof(c));
	memset(&written, 0, sizeof(written));
	memset(&copies, 0, sizeof(copies));
	memset(&before, 0, sizeof(before));
	if ((size_t)snprintf(old, sizeof(old), "%s/%s", dir, r->name) >=
	    sizeof(old) || load_times(dir, &c, n) == -1)
		return 0;
	/* killed before the rename: the DB is still that file */
	if (hdb_pin_lstat(old, &so) == -1 || (hdb_pin_lstat(r->target,
	    &sl) == 0 && so.st_ino == sl.st_ino && so.st_dev == sl.st_dev))
		return 0;
	/* before: the build did not read the old DB (import) */
	if (load_keys(dir, CU_WRITTEN, n[0], &written) == 0 &&
	    load_keys(dir, CU_COPIES, n[1], &copies) == 0 &&
	    (n[2] == SIZE_MAX || load_keys(dir, CU_BEFORE, n[2],
	    &before) == 0)) {
		c.spool = r->spool;
		c.name = r->name;
		c.cmd = r->cmd;
		c.o = r->o;
		c.type = hdb_dbtype_from_name(r->name);
		c.budget_ms = SCAN_BUDGET_MS;
		c.written = &written;
		c.copies = &copies;
		c.before = n[2] == SIZE_MAX ? NULL : &before;
		if ((ex = catchup_run(&c, old)) != 0)
			r->ex = ex;
	}
	keyset_free(&written);
	keyset_free(&copies);
	keyset_free(&before);
	return 0;
}

int
catchup_recover(const char *spool, const char *name, const char *cmd,
    const struct dbopts *o)
{
	struct recover r = { spool, name, cmd, NULL, o, 0 };
	char target[PATH_MAX];

	if ((size_t)snprintf(target, sizeof(target), "%s/db/%s", spool, name) >=
	    sizeof(target))
		return 0;
	r.target = target;
	(void)hdb_atomic_orphans(target, recover_one, &r);
	return r.ex;
}
