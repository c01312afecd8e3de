/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repair.c - rebuild a damaged hints DB from what can still be read (see
 * repair.h).  The records are gathered in memory first: a damaged file
 * may hand out the same key twice, and the new DB must hold one copy.
 * They are gathered from a copy made without Exim's lock, as check
 * examines one: reading a damaged file through takes the time of its
 * size, and Exim's writers would wait for it.  Under the write lock, if
 * nobody wrote the DB since the copy, what the copy gave is what the DB
 * gives; else it is read again there.  Where Exim opens the DB without a
 * lockfile (SQLite; tdb from 4.99) the lock keeps no Exim out, and a
 * rename would leave one that has the file open writing into the file
 * moved away: the new DB is written into the file in one transaction
 * instead (write_back), once the transaction has checked that nobody
 * wrote the file since it was read, and read again if somebody did.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "commands.h"
#include "common.h"
#include "rec/convert.h"
#include "out.h"
#include "engine/pieces.h"
#include "engine/rebuild.h"
#include "repair.h"
#include "db/atomic.h"
#include "db/salvage.h"
#include "db/snapshot.h"
#include "xmalloc.h"

struct rrec {
	uint8_t		*k, *v;
	size_t		 kl, vl;
	int		 salvaged;	/* found by salvage, not the normal read */
};

struct rset {
	struct rrec	*r;
	size_t		 n, cap;
	int		 salvaged;	/* what the records now coming are */
	enum hdb_dbtype	 type;
	size_t		 junk;		/* damaged bytes, not records: dropped */
};

static int	add(void *, struct hdb_datum, struct hdb_datum);
static int	cmprec(const void *, const void *);
static void	rset_free(struct rset *);
static size_t	dedupe(struct rset *);
static int	gather(const struct hdb_backend *, const char *, struct rset *,
		    const char *);
static struct hdb_atomic *gather_copy(const struct hdb_backend *,
		    const char *, struct rset *, struct db_file *);
static int	write_all(struct rebuild *, const struct rset *, const char *);

/*
 * plausible - could this be a record Exim wrote?  A page that is damaged
 * hands out bytes that are no record: keys with NULs or control bytes
 * inside.  Exim's keys are text with one NUL at the end.  What salvage
 * alone found must also decode as the DB's type; what the normal read
 * returned is kept as stored (a record Exim wrote may not decode).
 */
static int
plausible(const struct rset *s, struct hdb_datum k, struct hdb_datum v)
{
	struct hdb_rec r;
	const char *why;
	size_t i;

	if (k.len < 2 || k.data[k.len - 1] != '\0')
		return 0;
	for (i = 0; i + 1 < k.len; i++)
		if (k.data[i] < 0x20 || k.data[i] == 0x7f)
			return 0;
	return !s->salvaged || hdb_rec_decode(s->type, HDB_L_AUTO, k.data,
	    k.len, v.data, v.len, &r, &why) == 0;
}

static int
add(void *ctx, struct hdb_datum k, struct hdb_datum v)
{
	struct rset *s = ctx;
	struct rrec *r;

	if (!plausible(s, k, v)) {
		s->junk++;
		return 0;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->r = xreallocarray(s->r, s->cap, sizeof(*s->r));
	}
	r = &s->r[s->n++];
	r->k = xmemdup(k.data, k.len);
	r->kl = k.len;
	r->v = xmemdup(v.data, v.len);
	r->vl = v.len;
	r->salvaged = s->salvaged;
	return 0;
}

/* key order, and for one key the normal read's copy first */
static int
cmprec(const void *a, const void *b)
{
	const struct rrec *x = a, *y = b;
	size_t n = x->kl < y->kl ? x->kl : y->kl;
	int c = memcmp(x->k, y->k, n);

	if (c != 0)
		return c;
	if (x->kl != y->kl)
		return x->kl < y->kl ? -1 : 1;
	if (x->salvaged != y->salvaged)
		return x->salvaged - y->salvaged;
	return 0;
}

static void
rset_free(struct rset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		freezero(s->r[i].v, s->r[i].vl);
		free(s->r[i].k);
	}
	free(s->r);
	memset(s, 0, sizeof(*s));
}

/* dedupe - one record per key (the first after sorting); how many went. */
static size_t
dedupe(struct rset *s)
{
	size_t i, j, gone = 0;

	if (s->n == 0)
		return 0;
	qsort(s->r, s->n, sizeof(*s->r), cmprec);
	for (i = 1, j = 1; i < s->n; i++) {
		if (s->r[i].kl == s->r[j - 1].kl &&
		    memcmp(s->r[i].k, s->r[j - 1].k, s->r[i].kl) == 0) {
			freezero(s->r[i].v, s->r[i].vl);
			free(s->r[i].k);
			gone++;
		} else
			s->r[j++] = s->r[i];
	}
	s->n = j;
	return gone;
}

/*
 * gather - the normal read (up to its first error), then salvage.
 * Returns 0, or an EX_* code if nothing at all could be read (said on
 * stderr unless cmd is NULL).
 */
static int
gather(const struct hdb_backend *be, const char *path, struct rset *s,
    const char *cmd)
{
	char why[512], *p;
	struct hdb *h;

	/* what a reader sees, up to the first error */
	if ((h = hdb_open(be, path, HDB_O_RDONLY, 0, why, sizeof(why))) !=
	    NULL) {
		(void)hdb_iterate(h, add, s);
		hdb_close(h);
	}
	s->salvaged = 1;
	if (hdb_salvage(be, path, add, s, why, sizeof(why)) == HDB_ERR &&
	    h == NULL) {
		if (cmd == NULL)
			return EX_IOERR_;
		p = hdb_vis_dup(why, strlen(why));
		warnx("%s: cannot read anything: %s", cmd, p);
		free(p);
		return EX_IOERR_;
	}
	return 0;
}

/*
 * gather_copy - gather from a copy of the DB at path made now, with no
 * lock, noting the DB's file first (f).  NULL, with nothing gathered,
 * where no copy can be made or nothing could be read from it: the DB is
 * then read under the lock.  The copy's directory goes with the result.
 */
static struct hdb_atomic *
gather_copy(const struct hdb_backend *be, const char *path, struct rset *s,
    struct db_file *f)
{
	struct hdb_atomic *a;
	struct rset empty = *s;
	char err[512];

	db_file_note(path, f);
	if (f->unsure || !db_copy_room(path) ||
	    (a = hdb_atomic_new(path, err, sizeof(err))) == NULL)
		return NULL;
	if (hdb_copy_db(be, path, hdb_atomic_path(a), err, sizeof(err)) ==
	    -1 || gather(be, hdb_atomic_path(a), s, NULL) != 0) {
		rset_free(s);
		*s = empty;
		hdb_atomic_free(a);
		return NULL;
	}
	return a;
}

static int
write_all(struct rebuild *rb, const struct rset *s, const char *cmd)
{
	struct hdb_datum k, v;
	const char *why;
	size_t i;
	int rc;

	for (i = 0; i < s->n; i++) {
		k.data = s->r[i].k;
		k.len = s->r[i].kl;
		v.data = s->r[i].v;
		v.len = s->r[i].vl;
		rc = hdb_writer_put(rb->w, k, v, &why);
		if (rc == HDB_ERR) {
			warnx("%s: cannot write: %s", cmd,
			    hdb_writer_error(rb->w));
			return EX_IOERR_;
		}
		if (rc == HDB_CONV_REFUSED || rc == HDB_CONV_DROPPED)
			rebuild_report((void *)cmd, k, rc, why);
	}
	return 0;
}

/*
 * writes_back - whether the repaired DB is written into the live file
 * rather than renamed over it: Exim opens it without a lockfile (SQLite;
 * tdb from 4.99), and an Exim that has it open would write on into the
 * file moved away (and fail, or be lost).
 */
static int
writes_back(const struct hdb_backend *be, const char *path)
{
	return (be == &hdb_backend_sqlite || be == &hdb_backend_tdb) &&
	    hdb_db_files(path) == 1;
}

/* What tells, under the writers' lock, that Exim wrote the DB since. */
struct mark {
	uint32_t	 counter;	/* SQLite */
	struct stat	 st;		/* tdb */
};

static void
mark_take(const struct hdb_backend *be, const char *path, struct mark *m)
{
	memset(m, 0, sizeof(*m));
	if (be == &hdb_backend_sqlite)
		(void)hdb_sqlite_counter(path, &m->counter);
	else
		(void)hdb_db_stat(path, &m->st);
}

/*
 * held_gather - the last try on SQLite: the DB open for writing (x) keeps
 * Exim's writers out, waiting in their busy handlers, from the copy,
 * made through x, until the new DB is built; only a file this small is
 * held so, that they wait well within their 5 s.  0, or an EX_* code.
 */
#define HELD_MAX_BYTES	(32 << 20)

static int
held_gather(const struct hdb_backend *be, const char *path, struct rset *s,
    struct mark *m, struct hdb **x, struct hdb_atomic **copy,
    const char *cmd)
{
	char err[512], *p;
	int ex;

	memset(m, 0, sizeof(*m));
	if ((*x = hdb_open(be, path, HDB_O_RDWR, 0, err, sizeof(err))) ==
	    NULL || (*copy = hdb_atomic_new(path, err, sizeof(err))) ==
	    NULL || hdb_sqlite_held_copy(*x, hdb_atomic_path(*copy),
	    &m->counter, err, sizeof(err)) != HDB_OK) {
		p = hdb_vis_dup(err, strlen(err));
		warnx("%s: cannot repair: %s", cmd, p);
		free(p);
		return EX_IOERR_;
	}
	ex = gather(be, hdb_atomic_path(*copy), s, cmd);
	return ex;
}

/* Is the DB at path small enough to hold Exim out while it is read? */
static int
holdable(const struct hdb_backend *be, const char *path)
{
	struct stat st;

	return be == &hdb_backend_sqlite && hdb_db_stat(path, &st) == 0 &&
	    st.st_size <= HELD_MAX_BYTES;
}

/*
 * write_back - the finished new DB into the live file in one transaction
 * (hdb.h): 0, WB_AGAIN if Exim wrote the file since m was taken (nothing
 * written), or an EX_* code after a diagnostic.
 */
#define WB_AGAIN	(-1)
#define WB_TRIES	3

static int
write_back(struct rebuild *rb, const struct hdb_backend *be,
    const char *path, const struct mark *m, const char *cmd)
{
	char err[512], *p;
	double held;
	int r;

	if (be == &hdb_backend_sqlite)
		r = hdb_sqlite_write_back(path, hdb_writer_path(rb->w),
		    m->counter, &held, err, sizeof(err));
	else
		r = hdb_tdb_write_back(path, hdb_writer_path(rb->w), &m->st,
		    &held, err, sizeof(err));
	if (r == HDB_NOTFOUND)
		return WB_AGAIN;
	if (r == HDB_OK)
		return 0;
	p = hdb_vis_dup(path, strlen(path));
	warnx("%s: cannot write the repaired DB into '%s': %s", cmd, p, err);
	free(p);
	return EX_IOERR_;
}

/*
 * repair_once - gather, dedupe and write the new DB, then rename it into
 * place, or write it back into the live file (writes_back).  0, WB_AGAIN,
 * or an EX_* code.
 */
static int
repair_once(const char *spool, const char *name, const char *path,
    const struct rebuild_spec *sp, int held, const char *cmd)
{
	struct hdb *x = NULL;
	struct rebuild rb;
	struct hdb_atomic *copy = NULL;
	struct db_file f;
	struct mark m;
	struct rset s;
	char err[512];
	size_t i, normal = 0, dups;
	int ex, back = writes_back(sp->be, path);

	memset(&s, 0, sizeof(s));
	s.type = sp->type;
	memset(&rb, 0, sizeof(rb));
	rb.lockfd = -1;
	/* a copy read without the lock; else the pages checked before it
	 * (hdb.h); the write lock from before the DB's last read to the
	 * rename */
	if (held && (ex = held_gather(sp->be, path, &s, &m, &x, &copy,
	    cmd)) != 0)
		goto out;
	if (!held) {
		mark_take(sp->be, path, &m);
		if ((copy = gather_copy(sp->be, path, &s, &f)) == NULL)
			hdb_precheck(sp->be, path);
	}
	hdb_testpoint();	/* tests: Exim may write from here */
	if ((ex = rebuild_begin(&rb, cmd, spool, name, sp)) != 0)
		goto out;
	if (!held && copy != NULL && db_file_changed(path, &f)) {
		rset_free(&s);		/* Exim wrote since: read it again */
		s.type = sp->type;
		hdb_atomic_free(copy);
		copy = NULL;
	}
	if (copy == NULL) {
		mark_take(sp->be, path, &m);
		if ((ex = gather(sp->be, path, &s, cmd)) != 0)
			goto out;
	}
	dups = dedupe(&s);
	for (i = 0; i < s.n; i++)
		normal += !s.r[i].salvaged;
	if ((ex = write_all(&rb, &s, cmd)) == 0 && back &&
	    hdb_writer_finish(rb.w, err, sizeof(err)) == -1) {
		warnx("%s: cannot write: %s", cmd, err);
		ex = EX_IOERR_;
	}
	hdb_close(x);		/* Exim's writers go on */
	x = NULL;
	if (ex != 0 || (ex = back ?
	    write_back(&rb, sp->be, path, &m, cmd) : rebuild_commit(&rb)) !=
	    0) {
		if (ex != WB_AGAIN)
			warnx("%s: '%s' left as it was", cmd, name);
		goto out;
	}
	printf("%s: repaired%s: %zu record%s kept (%zu read normally, %zu "
	    "more found by salvage); dropped: %zu damaged entries that are "
	    "no record, %zu duplicate copies\n", name, back ? " in place" :
	    "", s.n, pl(s.n), normal, s.n - normal, s.junk, dups);
out:
	hdb_close(x);
	rset_free(&s);
	hdb_atomic_free(copy);
	rebuild_end(&rb);
	return ex;
}

int
repair_db(const char *spool, const char *name, const struct dbopts *o,
    const char *cmd)
{
	struct rebuild_spec sp;
	char path[PATH_MAX], *p;
	int ex, tries;

	snprintf(path, sizeof(path), "%s/db/%s", spool, name);
	memset(&sp, 0, sizeof(sp));
	sp.type = hdb_dbtype_from_name(name);
	sp.layout = HDB_L_AUTO;		/* every record as stored */
	sp.lock_timeout_ms = o->lock_timeout_ms;
	if ((sp.be = o->backend) == NULL && (sp.be = hdb_detect(path)) ==
	    NULL) {
		p = hdb_vis_dup(path, strlen(path));
		warnx("%s: cannot repair '%s': no backend recognises it", cmd,
		    p);
		free(p);
		return EX_IOERR_;
	}
	if (sp.be == &hdb_backend_sqlite)
		sp.oflags = hdb_sqlite_flags(path);
	/* written back: Exim's writes while it was read stop it; again,
	 * the last time with Exim held off where that is short */
	for (tries = 1; (ex = repair_once(spool, name, path, &sp,
	    tries == WB_TRIES && holdable(sp.be, path), cmd)) == WB_AGAIN &&
	    tries < WB_TRIES; tries++)
		;
	if (ex == WB_AGAIN) {
		p = hdb_vis_dup(name, strlen(name));
		warnx("%s: '%s' left as it was: Exim wrote to it while it was "
		    "read, %d times; try again", cmd, p, WB_TRIES);
		free(p);
		ex = EX_LOCKED;
	}
	return ex;
}
