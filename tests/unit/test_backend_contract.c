/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_backend_contract.c - one contract, run against every backend in
 * hdb_backends[] (the ldb_kv_ops_test pattern), each test in a fresh
 * temporary directory.
 *
 * THE CONTRACT.  For every backend B:
 *  1. hdb_open(B, path, HDB_O_RDWR|HDB_O_CREATE, 0640) creates a new DB.
 *  2. put then get gives back the same bytes, for keys holding NUL and ESC
 *     bytes anywhere and values up to 64 KiB.  get of a missing key gives
 *     HDB_NOTFOUND.  put on an existing key replaces its value.
 *  3. del of a present key gives HDB_OK, after which get gives HDB_NOTFOUND;
 *     del of an absent key gives HDB_NOTFOUND.
 *  4. iterate visits every key exactly once, with its value (in no promised
 *     order).  A callback that returns non-zero stops it, and iterate
 *     returns that value.
 *  5. After close, a read-only open sees the same data.  put and del on it
 *     give HDB_ERR and leave a text in hdb_error.  Reading, iterating and
 *     verifying through it leave every file of the DB byte-for-byte the same
 *     with the same mtime, and add no file to the directory.
 *  6. hdb_detect names B for the DB (for NDBM given the base name, as Exim
 *     names it), and hdb_open(NULL, ...) opens it with B.
 *  7. hdb_verify gives HDB_OK on a good DB, read-write and read-only.
 *     hdb_snapshot of a read-only handle copies every file of the DB into
 *     another directory (mode 0600) and leaves the DB as it was; the copy
 *     opens with B, verifies and holds the same records.  A copy over
 *     an older one, after the DB changed, is the new DB.
 *  8. Opening through a symlink fails, and hdb_detect gives ELOOP.
 *  9. If B has HDB_CAP_TXN, a writer that dies before hdb_close leaves the
 *     DB as it was.  (A read-only open may refuse such a DB until a writer
 *     has recovered it, but must never show the half-written state.)
 * 10. If B has HDB_CAP_DEL_IN_ITER, a callback may delete the key it was
 *     given, and a full iteration doing so empties the DB.
 * 11. hdb_iterate_after(K) visits exactly the records that hdb_iterate
 *     visits after K, in the same order, on that handle and after a reopen
 *     (read-write or read-only): resuming from each key in turn pieces
 *     hdb_iterate's sequence together.  With a NULL key it is hdb_iterate.
 *     A K not in the DB gives HDB_NOTFOUND without calling the callback; a
 *     callback's stop value comes back as from hdb_iterate.
 *     A record bigger than any buffer a backend iterates with (3 MiB)
 *     comes through whole, from the start and when resuming before it.
 * 12. If B has HDB_CAP_ORDER_KEPT (BDB, TDB and SQLite), and other
 *     records are deleted and the DB reopened, resuming from a kept K
 *     visits every remaining record after K exactly once, in the old
 *     order.  GDBM (and so NDBM) does not have it: a delete moves the
 *     records after it within its bucket, and the test shows that it does.
 * 13. hdb_scan visits every key exactly once, with its value, read-write
 *     and read-only, and says that nothing changed; a callback's stop
 *     value comes back.  SQLite's is in rowid order, and a row that another
 *     process replaces between two of its pieces comes again, with
 *     *changed set (test_sqlite_scan).
 * 14. If B has HDB_CAP_HOLDS_OPEN (SQLite), holds on one handle, ended and
 *     begun by hdb_hold, sweep every record once from where the last
 *     stopped, deleting as they go (test_hold_sweep).
 * On TDB, a write walk's deletions inside hdb_tdb_txn are taken back
 * whole by a cancel and made by a commit, the file whole after each
 * (test_tdb_txn_delete).
 * Outside the per-backend contract: hdb_detect gives ENOENT for a missing
 * path and no backend (EINVAL) for an empty file or random bytes; a missing
 * operation gives HDB_ERR and "operation not supported by <name>"; the NDBM
 * files interoperate with gdbm-compat's dbm_open; BDB's ndbm emulation file
 * (NAME.db) is found from NAME; SQLite reads Exim's 4.98.1 (text) and
 * 4.99 (xtext) tbl schemas with keys that end in NUL, as tblblob does; and
 * contract 11 holds for BDB btree files and for both tbl schemas, whose
 * order is that of the stored keys.
 *
 * Sizes and orders that depend on the platform or library are never
 * asserted.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <db.h>
#include <ndbm.h>
#include <sqlite3.h>
#include <tdb.h>

#include "db/hdb.h"
#include "db/lock.h"
#include "db/snapshot.h"

#define NKEYS		150
#define BIGVAL		(64 * 1024)
#define MAXKEY		64
#define NOSUP		"operation not supported by fake"

struct param {
	const struct hdb_backend *be;
};

struct fx {
	const struct hdb_backend *be;
	char	dir[PATH_MAX];
	char	path[PATH_MAX + 16];	/* DB name, as Exim names it */
	char	*files[3];		/* the files it consists of */
	int	nfiles;
};

struct snap {
	uint8_t		*data[3];
	size_t		 len[3];
	struct timespec	 mtime[3];
	char		*listing;
};

struct visit {
	int	 seen[NKEYS];
	int	 calls;
	int	 stop_after;
	int	 bad;
};

static struct param p_bdb = { &hdb_backend_bdb };
static struct param p_gdbm = { &hdb_backend_gdbm };
static struct param p_tdb = { &hdb_backend_tdb };
static struct param p_sqlite = { &hdb_backend_sqlite };
static struct param p_ndbm = { &hdb_backend_ndbm };

/* ---- fixtures ---------------------------------------------------------- */

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(p);
}

static char *
xstrcat(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, "%s%s", a, b);
	return s;
}

static int
setup(void **state)
{
	struct param *p = *state;
	struct fx *f;
	const char *tmp = getenv("TMPDIR");

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->be = p != NULL ? p->be : NULL;
	snprintf(f->dir, sizeof(f->dir), "%s/hdbtest.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/retry", f->dir);
	if (f->be == &hdb_backend_ndbm) {
		f->files[f->nfiles++] = xstrcat(f->path, ".dir");
		f->files[f->nfiles++] = xstrcat(f->path, ".pag");
	} else
		f->files[f->nfiles++] = xstrcat(f->path, "");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int i;

	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < f->nfiles; i++)
		free(f->files[i]);
	free(f);
	return 0;
}

/* Key i: "k<i>" NUL ESC <i & 0xff> NUL: NULs and ESC inside, NUL at end. */
static size_t
make_key(int i, uint8_t *buf)
{
	int n;

	n = snprintf((char *)buf, MAXKEY, "k%d", i);
	buf[n + 1] = 0x1b;
	buf[n + 2] = (uint8_t)i;
	buf[n + 3] = '\0';
	return (size_t)n + 4;
}

/* Value i: a length that varies, 64 KiB for a few, bytes from i. */
static size_t
make_val(int i, int gen, uint8_t *buf)
{
	size_t n, j;

	n = (i % 50 == 7) ? BIGVAL : (size_t)(i * 37 % 300);
	for (j = 0; j < n; j++)
		buf[j] = (uint8_t)(j * 31 + i * 7 + gen);
	return n;
}

static struct hdb_datum
dat(const void *p, size_t n)
{
	struct hdb_datum d;

	d.data = p;
	d.len = n;
	return d;
}

static struct hdb *
open_or_fail(const struct hdb_backend *be, const char *path, int flags)
{
	char err[256];
	struct hdb *h;

	h = hdb_open(be, path, flags, 0640, err, sizeof(err));
	if (h == NULL)
		fail_msg("hdb_open %s: %s", path, err);
	return h;
}

static void
fill(struct hdb *h, int gen)
{
	static uint8_t v[BIGVAL];
	uint8_t k[MAXKEY];
	size_t kl, vl;
	int i;

	for (i = 0; i < NKEYS; i++) {
		kl = make_key(i, k);
		vl = make_val(i, gen, v);
		if (hdb_put(h, dat(k, kl), dat(v, vl)) != HDB_OK)
			fail_msg("put %d: %s", i, hdb_error(h));
	}
}

static void
check_key(struct hdb *h, int i, int gen)
{
	static uint8_t v[BIGVAL];
	struct hdb_datum got;
	uint8_t k[MAXKEY];
	size_t kl, vl;
	int rc;

	kl = make_key(i, k);
	vl = make_val(i, gen, v);
	rc = hdb_get(h, dat(k, kl), &got);
	if (rc != HDB_OK)
		fail_msg("get %d: %d %s", i, rc, hdb_error(h));
	assert_int_equal(got.len, vl);
	if (vl > 0)
		assert_memory_equal(got.data, v, vl);
}

static struct hdb *
make_db(struct fx *f)
{
	struct hdb *h;

	h = open_or_fail(f->be, f->path, HDB_O_RDWR | HDB_O_CREATE);
	fill(h, 0);
	return h;
}

/* ---- snapshots: file bytes, mtimes and the directory listing ------------ */

static char *
listing(const char *dir)
{
	struct dirent **ents;
	char *s;
	size_t len = 1;
	int i, n;

	n = scandir(dir, &ents, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++)
		len += strlen(ents[i]->d_name) + 1;
	s = calloc(1, len);
	assert_non_null(s);
	for (i = 0; i < n; i++) {
		strcat(s, ents[i]->d_name);
		strcat(s, "/");
		free(ents[i]);
	}
	free(ents);
	return s;
}

static void
take_snap(const struct fx *f, struct snap *s)
{
	struct stat st;
	ssize_t r;
	int i, fd;

	for (i = 0; i < f->nfiles; i++) {
		fd = open(f->files[i], O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &st), 0);
		s->len[i] = (size_t)st.st_size;
		s->mtime[i] = st.st_mtim;
		s->data[i] = malloc(s->len[i] + 1);
		assert_non_null(s->data[i]);
		r = pread(fd, s->data[i], s->len[i], 0);
		assert_int_equal(r, (ssize_t)s->len[i]);
		close(fd);
	}
	s->listing = listing(f->dir);
}

static void
same_snap(const struct fx *f, const struct snap *a, const struct snap *b)
{
	int i;

	for (i = 0; i < f->nfiles; i++) {
		assert_int_equal(a->len[i], b->len[i]);
		assert_memory_equal(a->data[i], b->data[i], a->len[i]);
		assert_int_equal(a->mtime[i].tv_sec, b->mtime[i].tv_sec);
		assert_int_equal(a->mtime[i].tv_nsec, b->mtime[i].tv_nsec);
	}
	assert_string_equal(a->listing, b->listing);
}

static void
free_snap(const struct fx *f, struct snap *s)
{
	int i;

	for (i = 0; i < f->nfiles; i++)
		free(s->data[i]);
	free(s->listing);
}

/* ---- iteration callbacks ------------------------------------------------ */

static int
visit_one(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	static uint8_t v[BIGVAL];
	struct visit *vis = ctx;
	uint8_t k[MAXKEY];
	size_t kl, vl;
	int i;

	vis->calls++;
	for (i = 0; i < NKEYS; i++) {
		kl = make_key(i, k);
		if (kl == key.len && memcmp(k, key.data, kl) == 0)
			break;
	}
	if (i == NKEYS || vis->seen[i]++) {
		vis->bad++;
		return 0;
	}
	vl = make_val(i, 0, v);
	if (vl != val.len || (vl > 0 && memcmp(v, val.data, vl) != 0))
		vis->bad++;
	if (vis->stop_after > 0 && vis->calls == vis->stop_after)
		return 42;
	return 0;
}

static void
check_all_visited(struct hdb *h)
{
	struct visit vis;
	int i;

	memset(&vis, 0, sizeof(vis));
	assert_int_equal(hdb_iterate(h, visit_one, &vis), HDB_OK);
	assert_int_equal(vis.bad, 0);
	assert_int_equal(vis.calls, NKEYS);
	for (i = 0; i < NKEYS; i++)
		assert_int_equal(vis.seen[i], 1);
}

/* ---- the contract ------------------------------------------------------- */

static void
test_round_trip(void **state)
{
	static uint8_t big[BIGVAL];
	static const uint8_t odd[] = { 'k', 0, 0x1b, '1', 0 };
	static const uint8_t missing[] = { 'k', 0, 0x1b, '2', 0 };
	struct fx *f = *state;
	struct hdb_datum got;
	struct hdb *h;
	uint8_t k[MAXKEY];
	size_t i, kl;

	h = make_db(f);
	for (i = 0; i < NKEYS; i++)
		check_key(h, (int)i, 0);

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i ^ (i >> 8));
	assert_int_equal(hdb_put(h, dat(odd, sizeof(odd)), dat(big,
	    sizeof(big))), HDB_OK);
	assert_int_equal(hdb_get(h, dat(odd, sizeof(odd)), &got), HDB_OK);
	assert_int_equal(got.len, sizeof(big));
	assert_memory_equal(got.data, big, sizeof(big));
	assert_int_equal(hdb_get(h, dat(missing, sizeof(missing)), &got),
	    HDB_NOTFOUND);
	/* the same bytes without the trailing NUL are another key */
	assert_int_equal(hdb_get(h, dat(odd, sizeof(odd) - 1), &got),
	    HDB_NOTFOUND);

	/* overwrite, with a shorter and then an empty value */
	assert_int_equal(hdb_put(h, dat(odd, sizeof(odd)), dat("\x1b\0z", 3)),
	    HDB_OK);
	assert_int_equal(hdb_get(h, dat(odd, sizeof(odd)), &got), HDB_OK);
	assert_int_equal(got.len, 3);
	assert_memory_equal(got.data, "\x1b\0z", 3);
	assert_int_equal(hdb_put(h, dat(odd, sizeof(odd)), dat("", 0)),
	    HDB_OK);
	assert_int_equal(hdb_get(h, dat(odd, sizeof(odd)), &got), HDB_OK);
	assert_int_equal(got.len, 0);

	/* delete */
	kl = make_key(3, k);
	assert_int_equal(hdb_del(h, dat(k, kl)), HDB_OK);
	assert_int_equal(hdb_get(h, dat(k, kl), &got), HDB_NOTFOUND);
	assert_int_equal(hdb_del(h, dat(k, kl)), HDB_NOTFOUND);
	assert_int_equal(hdb_del(h, dat(missing, sizeof(missing))),
	    HDB_NOTFOUND);
	check_key(h, 4, 0);
	assert_int_equal(hdb_sync(h), HDB_OK);
	hdb_close(h);
}

static void
test_iterate(void **state)
{
	struct fx *f = *state;
	struct visit vis;
	struct hdb *h;

	h = make_db(f);
	check_all_visited(h);

	memset(&vis, 0, sizeof(vis));
	vis.stop_after = 3;
	assert_int_equal(hdb_iterate(h, visit_one, &vis), 42);
	assert_int_equal(vis.calls, 3);
	assert_int_equal(vis.bad, 0);
	hdb_close(h);

	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	check_all_visited(h);
	memset(&vis, 0, sizeof(vis));
	vis.stop_after = 1;
	assert_int_equal(hdb_iterate(h, visit_one, &vis), 42);
	assert_int_equal(vis.calls, 1);
	hdb_close(h);
}

static void
scan_all(struct hdb *h)
{
	struct visit vis;
	int changed = -1, i;

	memset(&vis, 0, sizeof(vis));
	assert_int_equal(hdb_scan(h, visit_one, &vis, &changed), HDB_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(vis.bad, 0);
	assert_int_equal(vis.calls, NKEYS);
	for (i = 0; i < NKEYS; i++)
		assert_int_equal(vis.seen[i], 1);
}

static void
test_scan(void **state)
{
	struct fx *f = *state;
	struct visit vis;
	struct hdb *h;
	int changed;

	h = make_db(f);
	scan_all(h);
	memset(&vis, 0, sizeof(vis));
	vis.stop_after = 3;
	assert_int_equal(hdb_scan(h, visit_one, &vis, &changed), 42);
	assert_int_equal(vis.calls, 3);
	hdb_close(h);
	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	scan_all(h);
	hdb_close(h);
}

static void
test_read_only(void **state)
{
	struct fx *f = *state;
	struct snap before, after;
	struct hdb *h;
	uint8_t k[MAXKEY];
	size_t kl;
	int i;

	h = make_db(f);
	hdb_close(h);
	/* let a later write show up in the mtime even on coarse clocks */
	usleep(20000);
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	take_snap(f, &before);

	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	for (i = 0; i < NKEYS; i++)
		check_key(h, i, 0);
	check_all_visited(h);
	assert_int_equal(hdb_verify(h), HDB_OK);
	kl = make_key(1, k);
	assert_int_equal(hdb_put(h, dat(k, kl), dat("x", 1)), HDB_ERR);
	assert_true(hdb_error(h)[0] != '\0');
	assert_int_equal(hdb_del(h, dat(k, kl)), HDB_ERR);
	assert_true(hdb_error(h)[0] != '\0');
	check_key(h, 1, 0);
	assert_int_equal(hdb_sync(h), HDB_OK);
	hdb_close(h);

	take_snap(f, &after);
	same_snap(f, &before, &after);
	free_snap(f, &before);
	free_snap(f, &after);
}

static void
test_detect(void **state)
{
	struct fx *f = *state;
	struct hdb *h;
	char *dir;

	h = make_db(f);
	hdb_close(h);
	assert_ptr_equal(hdb_detect(f->path), f->be);
	if (f->be == &hdb_backend_ndbm) {
		dir = xstrcat(f->path, ".dir");
		assert_ptr_equal(hdb_detect(dir), f->be);
		free(dir);
	}
	h = open_or_fail(NULL, f->path, HDB_O_RDONLY);
	assert_ptr_equal(h->be, f->be);
	check_key(h, 5, 0);
	hdb_close(h);
	assert_non_null(hdb_backend_find(f->be->name));
	assert_ptr_equal(hdb_backend_find(f->be->name), f->be);
}

static void
test_verify(void **state)
{
	struct fx *f = *state;
	struct hdb *h;

	h = make_db(f);
	assert_int_equal(hdb_verify(h), HDB_OK);
	hdb_close(h);
	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	assert_int_equal(hdb_verify(h), HDB_OK);
	hdb_close(h);
}

/* the copy of f's file i in dir, as fresh bytes and a stat */
static void
same_copy(const struct fx *f, const struct snap *was, const char *dir, int i)
{
	const char *base = strrchr(f->files[i], '/') + 1;
	char *path, *q = xstrcat(dir, "/");
	struct stat st;
	uint8_t *buf;
	int fd;

	path = xstrcat(q, base);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal((size_t)st.st_size, was->len[i]);
	buf = malloc(was->len[i] + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, was->len[i], 0), (ssize_t)was->len[i]);
	assert_memory_equal(buf, was->data[i], was->len[i]);
	close(fd);
	free(buf);
	free(path);
	free(q);
}

/*
 * test_snapshot - hdb_snapshot of a read-only handle copies every file of
 * the DB, byte for byte and mode 0600, into another directory and leaves
 * the DB as it was; the copy opens with B, verifies and holds every record.
 * A second copy over the first, after the DB changed, has its new bytes.
 */
static void
test_snapshot(void **state)
{
	struct fx *f = *state;
	struct snap before, after;
	char *sub = xstrcat(f->dir, "/copy"), *dst = xstrcat(sub, "/retry");
	char err[256];
	struct hdb *h;
	int i;

	h = make_db(f);
	hdb_close(h);
	assert_int_equal(mkdir(sub, 0700), 0);
	take_snap(f, &before);
	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	if (hdb_snapshot(h, dst, err, sizeof(err)) != 0)
		fail_msg("hdb_snapshot: %s", err);
	hdb_close(h);
	take_snap(f, &after);
	same_snap(f, &before, &after);
	for (i = 0; i < f->nfiles; i++)
		same_copy(f, &before, sub, i);
	h = open_or_fail(f->be, dst, HDB_O_RDONLY);
	assert_int_equal(hdb_verify(h), HDB_OK);
	for (i = 0; i < NKEYS; i++)
		check_key(h, i, 0);
	hdb_close(h);
	/* a copy over the older one, after the DB changed, is the new DB */
	h = open_or_fail(f->be, f->path, HDB_O_RDWR);
	fill(h, 1);
	hdb_close(h);
	free_snap(f, &before);
	take_snap(f, &before);
	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	if (hdb_snapshot(h, dst, err, sizeof(err)) != 0)
		fail_msg("hdb_snapshot again: %s", err);
	hdb_close(h);
	for (i = 0; i < f->nfiles; i++)
		same_copy(f, &before, sub, i);
	free_snap(f, &before);
	free_snap(f, &after);
	free(dst);
	free(sub);
}

static void
test_symlink(void **state)
{
	struct fx *f = *state;
	struct hdb *h;
	char link[PATH_MAX + 8], *a, *b;
	char err[256];

	h = make_db(f);
	hdb_close(h);
	snprintf(link, sizeof(link), "%s/link", f->dir);
	if (f->be == &hdb_backend_ndbm) {
		a = xstrcat(link, ".dir");
		assert_int_equal(symlink(f->files[0], a), 0);
		free(a);
		a = xstrcat(link, ".pag");
		assert_int_equal(symlink(f->files[1], a), 0);
		free(a);
	} else
		assert_int_equal(symlink(f->path, link), 0);

	err[0] = '\0';
	assert_null(hdb_open(f->be, link, HDB_O_RDONLY, 0, err, sizeof(err)));
	assert_true(err[0] != '\0');
	err[0] = '\0';
	assert_null(hdb_open(f->be, link, HDB_O_RDWR, 0, err, sizeof(err)));
	assert_true(err[0] != '\0');
	err[0] = '\0';
	assert_null(hdb_open(f->be, link, HDB_O_RDWR | HDB_O_CREATE, 0600,
	    err, sizeof(err)));
	assert_true(err[0] != '\0');
	errno = 0;
	assert_null(hdb_detect(link));
	assert_int_equal(errno, ELOOP);

	/* the target is still fine */
	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	check_key(h, 9, 0);
	hdb_close(h);

	/* a directory where the DB should be is refused too */
	b = xstrcat(f->dir, "/sub");
	assert_int_equal(mkdir(b, 0700), 0);
	assert_null(hdb_open(f->be, b, HDB_O_RDONLY, 0, err, sizeof(err)));
	free(b);
}

static void
check_unchanged(struct hdb *h)
{
	struct hdb_datum got;
	uint8_t k[MAXKEY];
	size_t kl;

	check_key(h, 0, 0);
	check_key(h, 1, 0);
	kl = make_key(NKEYS + 1, k);
	assert_int_equal(hdb_get(h, dat(k, kl), &got), HDB_NOTFOUND);
	check_all_visited(h);
	assert_int_equal(hdb_verify(h), HDB_OK);
}

/*
 * test_crash_mid_write - a child writes (more than SQLite's page cache, so
 * that pages spill into the file) and dies without closing; the parent
 * must find the DB as it was.
 */
static void
test_crash_mid_write(void **state)
{
	static uint8_t v[BIGVAL];
	struct fx *f = *state;
	struct hdb *h;
	uint8_t k[MAXKEY];
	char err[256];
	size_t kl;
	pid_t pid;
	int i, status;

	if (!(f->be->caps & HDB_CAP_TXN))
		skip();
	h = make_db(f);
	hdb_close(h);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		h = hdb_open(f->be, f->path, HDB_O_RDWR, 0, NULL, 0);
		if (h == NULL)
			_exit(2);
		kl = make_key(0, k);
		if (hdb_del(h, dat(k, kl)) != HDB_OK)
			_exit(3);
		kl = make_key(1, k);
		if (hdb_put(h, dat(k, kl), dat("changed", 7)) != HDB_OK)
			_exit(4);
		for (i = NKEYS; i < NKEYS + 100; i++) {
			kl = make_key(i, k);
			if (hdb_put(h, dat(k, kl), dat(v, sizeof(v))) != HDB_OK)
				_exit(5);
		}
		_exit(0);	/* no hdb_close: the process "crashes" */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/*
	 * A read-only open may refuse (it must not roll back a journal), but
	 * if it reads, it reads the old data.  A read-write open recovers.
	 */
	err[0] = '\0';
	h = hdb_open(f->be, f->path, HDB_O_RDONLY, 0, err, sizeof(err));
	if (h == NULL)
		assert_true(err[0] != '\0');
	else
		check_unchanged(h);
	hdb_close(h);
	h = open_or_fail(f->be, f->path, HDB_O_RDWR);
	check_unchanged(h);
	hdb_close(h);
	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	check_unchanged(h);
	hdb_close(h);
}

struct delctx {
	struct hdb	*h;
	int		 calls;
	int		 bad;
};

static int
delete_visited(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct delctx *d = ctx;
	uint8_t k[MAXKEY];

	d->calls++;
	if (key.len > sizeof(k)) {
		d->bad++;
		return 0;
	}
	memcpy(k, key.data, key.len);	/* key dies with the next call */
	if (hdb_del(d->h, dat(k, key.len)) != HDB_OK)
		d->bad++;
	return 0;
}

/* test_delete_in_iterate - HDB_CAP_DEL_IN_ITER means what it says. */
static void
test_delete_in_iterate(void **state)
{
	struct fx *f = *state;
	struct delctx d;
	struct visit vis;

	if (!(f->be->caps & HDB_CAP_DEL_IN_ITER))
		skip();
	memset(&d, 0, sizeof(d));
	d.h = make_db(f);
	assert_int_equal(hdb_iterate(d.h, delete_visited, &d), HDB_OK);
	assert_int_equal(d.bad, 0);
	assert_int_equal(d.calls, NKEYS);
	memset(&vis, 0, sizeof(vis));
	assert_int_equal(hdb_iterate(d.h, visit_one, &vis), HDB_OK);
	assert_int_equal(vis.calls, 0);
	assert_int_equal(hdb_verify(d.h), HDB_OK);
	hdb_close(d.h);
}

/* ---- resumable iteration ------------------------------------------------ */

#define NMANY		300

/* A copied sequence of keys, as an iteration gave them. */
struct seq {
	uint8_t	**k;
	size_t	 *len;
	int	  n;
	int	  cap;
	int	  stop_after;	/* >0: return 2 after that many calls */
};

static int
seq_add(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct seq *q = ctx;

	if (q->n == q->cap) {
		q->cap = q->cap > 0 ? q->cap * 2 : 64;
		q->k = realloc(q->k, (size_t)q->cap * sizeof(*q->k));
		q->len = realloc(q->len, (size_t)q->cap * sizeof(*q->len));
		assert_non_null(q->k);
		assert_non_null(q->len);
	}
	q->k[q->n] = malloc(key.len + 1);
	assert_non_null(q->k[q->n]);
	if (key.len > 0)
		memcpy(q->k[q->n], key.data, key.len);
	q->len[q->n] = key.len;
	q->n++;
	if (q->stop_after > 0 && q->n == q->stop_after)
		return 2;
	return 0;
}

static void
seq_free(struct seq *q)
{
	int i;

	for (i = 0; i < q->n; i++)
		free(q->k[i]);
	free(q->k);
	free(q->len);
	memset(q, 0, sizeof(*q));
}

static struct hdb_datum
seq_key(const struct seq *q, int i)
{
	return dat(q->k[i], q->len[i]);
}

static int
seq_find(const struct seq *q, struct hdb_datum k)
{
	int i;

	for (i = 0; i < q->n; i++)
		if (q->len[i] == k.len && memcmp(q->k[i], k.data, k.len) == 0)
			return i;
	return -1;
}

/* seq_same - a equals b from index from on. */
static int
seq_same(const struct seq *a, const struct seq *b, int from)
{
	int i;

	if (a->n != b->n - from)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->len[i] != b->len[from + i] ||
		    memcmp(a->k[i], b->k[from + i], a->len[i]) != 0)
			return 0;
	return 1;
}

static void
fill_many(struct hdb *h, int from, int to)
{
	uint8_t k[MAXKEY], v[32];
	size_t kl;
	int i, vl;

	for (i = from; i < to; i++) {
		kl = make_key(i, k);
		vl = snprintf((char *)v, sizeof(v), "v%d", i);
		if (hdb_put(h, dat(k, kl), dat(v, (size_t)vl)) != HDB_OK)
			fail_msg("put %d: %s", i, hdb_error(h));
	}
}

static void
iterate_all(struct hdb *h, struct seq *q)
{
	memset(q, 0, sizeof(*q));
	if (hdb_iterate(h, seq_add, q) != HDB_OK)
		fail_msg("iterate: %s", hdb_error(h));
}

/* check_resume - resuming from every key of s gives the rest of s. */
static void
check_resume(struct hdb *h, const struct seq *s)
{
	struct hdb_datum none = { NULL, 0 };
	struct seq t;
	int j, rc;

	for (j = -1; j < s->n; j++) {
		memset(&t, 0, sizeof(t));
		rc = hdb_iterate_after(h, j < 0 ? none : seq_key(s, j),
		    seq_add, &t);
		if (rc != HDB_OK)
			fail_msg("iterate_after #%d: %d %s", j, rc,
			    hdb_error(h));
		if (!seq_same(&t, s, j + 1))
			fail_msg("iterate_after #%d: %d records, not the %d "
			    "that iterate gives after it", j, t.n,
			    s->n - j - 1);
		seq_free(&t);
	}
}

/* check_resume_all - contract 11 for whatever h holds. */
static void
check_resume_all(struct hdb *h, int expect)
{
	struct seq s;

	iterate_all(h, &s);
	assert_int_equal(s.n, expect);
	check_resume(h, &s);
	seq_free(&s);
}

static int
count_calls(void *ctx, struct hdb_datum k, struct hdb_datum v)
{
	(*(int *)ctx)++;
	return 0;
}

static void
test_iterate_after(void **state)
{
	static const uint8_t missing[] = { 'k', 0, 0x1b, '2', 0 };
	struct fx *f = *state;
	struct hdb_datum none = { NULL, 0 }, last;
	struct seq s, t, all;
	struct hdb *h;
	uint8_t lastbuf[MAXKEY];
	int calls, i, rc;

	h = open_or_fail(f->be, f->path, HDB_O_RDWR | HDB_O_CREATE);
	fill_many(h, 0, NMANY);
	iterate_all(h, &s);
	assert_int_equal(s.n, NMANY);
	check_resume(h, &s);

	/* a key that is not there, or is there only without its NUL */
	calls = 0;
	assert_int_equal(hdb_iterate_after(h, dat(missing, sizeof(missing)),
	    count_calls, &calls), HDB_NOTFOUND);
	assert_int_equal(calls, 0);
	assert_int_equal(hdb_iterate_after(h, dat(s.k[0], s.len[0] - 1),
	    count_calls, &calls), HDB_NOTFOUND);
	assert_int_equal(calls, 0);

	/* the callback's stop value, after exactly the records it saw */
	memset(&t, 0, sizeof(t));
	t.stop_after = 3;
	assert_int_equal(hdb_iterate_after(h, seq_key(&s, 0), seq_add, &t), 2);
	assert_int_equal(t.n, 3);
	t.n = 3;
	all = s;
	all.n = 4;
	assert_true(seq_same(&t, &all, 1));
	seq_free(&t);
	hdb_close(h);

	/* the same order after a reopen, read-only and read-write */
	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	iterate_all(h, &t);
	assert_true(seq_same(&t, &s, 0));
	seq_free(&t);
	check_resume(h, &s);
	calls = 0;
	assert_int_equal(hdb_iterate_after(h, dat(missing, sizeof(missing)),
	    count_calls, &calls), HDB_NOTFOUND);
	assert_int_equal(calls, 0);
	hdb_close(h);
	h = open_or_fail(f->be, f->path, HDB_O_RDWR);
	iterate_all(h, &t);
	assert_true(seq_same(&t, &s, 0));
	seq_free(&t);
	hdb_close(h);

	/* tidy's way: short holds of 7 records, a reopen between them */
	memset(&all, 0, sizeof(all));
	last = none;
	do {
		h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
		memset(&t, 0, sizeof(t));
		t.stop_after = 7;
		rc = hdb_iterate_after(h, last, seq_add, &t);
		hdb_close(h);
		assert_true(rc == HDB_OK || rc == 2);
		assert_true(t.n <= 7);
		for (i = 0; i < t.n; i++)
			seq_add(&all, seq_key(&t, i), none);
		if (t.n > 0) {
			memcpy(lastbuf, t.k[t.n - 1], t.len[t.n - 1]);
			last = dat(lastbuf, t.len[t.n - 1]);
		}
		seq_free(&t);
	} while (rc == 2);
	assert_true(seq_same(&all, &s, 0));
	seq_free(&all);
	seq_free(&s);
}

static int
big_check(void *ctx, struct hdb_datum k, struct hdb_datum v)
{
	size_t i;

	if (k.len != 4 || memcmp(k.data, "big", 4) != 0)
		return 0;
	if (v.len != (size_t)3 << 20)
		return 3;
	for (i = 0; i < v.len; i++)
		if (v.data[i] != (uint8_t)(i * 7 ^ i >> 12))
			return 3;
	(*(int *)ctx)++;
	return 0;
}

/* test_iterate_big - a 3 MiB value among small ones, iterated and resumed. */
static void
test_iterate_big(void **state)
{
	struct fx *f = *state;
	struct seq s;
	struct hdb *h;
	uint8_t *big;
	size_t n = 3 << 20, i;
	int pass, found, j;

	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7 ^ i >> 12);
	h = open_or_fail(f->be, f->path, HDB_O_RDWR | HDB_O_CREATE);
	fill_many(h, 0, 20);
	assert_int_equal(hdb_put(h, dat("big", 4), dat(big, n)), HDB_OK);
	for (pass = 0; pass < 2; pass++) {
		iterate_all(h, &s);
		assert_int_equal(s.n, 21);
		check_resume(h, &s);
		j = seq_find(&s, dat("big", 4));
		assert_true(j >= 0);
		found = 0;
		assert_int_equal(hdb_iterate_after(h, j > 0 ? seq_key(&s, j - 1)
		    : dat(NULL, 0), big_check, &found), HDB_OK);
		assert_int_equal(found, 1);
		seq_free(&s);
		hdb_close(h);
		h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	}
	hdb_close(h);
	free(big);
}

/*
 * test_count_add - hdb_count counts what an iteration visits, a 3 MiB
 * value too (Berkeley DB's bulk buffer grows for it), open for writing
 * or not; hdb_add writes a new key and leaves one that is there alone.
 */
static void
test_count_add(void **state)
{
	struct fx *f = *state;
	struct hdb_datum v;
	struct hdb *h;
	uint8_t *big;
	size_t n = 3 << 20, cnt;

	big = calloc(1, n);
	assert_non_null(big);
	h = open_or_fail(f->be, f->path, HDB_O_RDWR | HDB_O_CREATE);
	fill_many(h, 0, 20);
	assert_int_equal(hdb_put(h, dat("big", 4), dat(big, n)), HDB_OK);
	assert_int_equal(hdb_count(h, &cnt), HDB_OK);
	assert_int_equal(cnt, 21);
	assert_int_equal(hdb_add(h, dat("big", 4), dat("x", 1)), HDB_EXISTS);
	assert_int_equal(hdb_get(h, dat("big", 4), &v), HDB_OK);
	assert_int_equal(v.len, n);
	assert_int_equal(hdb_add(h, dat("new", 4), dat("y", 1)), HDB_OK);
	assert_int_equal(hdb_get(h, dat("new", 4), &v), HDB_OK);
	assert_memory_equal(v.data, "y", 1);
	hdb_close(h);
	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	assert_int_equal(hdb_count(h, &cnt), HDB_OK);
	assert_int_equal(cnt, 22);
	assert_int_equal(hdb_add(h, dat("new2", 5), dat("z", 1)), HDB_ERR);
	hdb_close(h);
	free(big);
}

/*
 * resume_gaps - for every key of r (the records left, in the order
 * iteration gave them before), resume from it and count the records after
 * it in r that were missed or seen more than once, and the records not
 * after it in r that were seen.
 */
static int
resume_gaps(struct hdb *h, const struct seq *r)
{
	struct seq t;
	int *seen, bad = 0, i, j, x;

	seen = calloc((size_t)r->n, sizeof(*seen));
	assert_non_null(seen);
	for (j = 0; j < r->n; j++) {
		memset(&t, 0, sizeof(t));
		if (hdb_iterate_after(h, seq_key(r, j), seq_add, &t) != HDB_OK)
			fail_msg("iterate_after #%d: %s", j, hdb_error(h));
		memset(seen, 0, (size_t)r->n * sizeof(*seen));
		for (i = 0; i < t.n; i++) {
			x = seq_find(r, seq_key(&t, i));
			if (x <= j)
				bad++;
			else
				seen[x]++;
		}
		for (x = j + 1; x < r->n; x++)
			bad += seen[x] != 1;
		seq_free(&t);
	}
	free(seen);
	return bad;
}

/*
 * test_iterate_after_deleted - delete every third record, reopen, resume
 * from each kept key: the records after it, in the old order, are still
 * visited exactly once (contract 12).  Not so with GDBM, whose iteration
 * order itself changes (with 300 records, 159 of the 200 resume points miss
 * some records and see as many again); there only contract 11 holds, for
 * the new order.
 */
static void
test_iterate_after_deleted(void **state)
{
	struct fx *f = *state;
	struct seq s, r, t;
	struct hdb *h;
	int calls, i;

	h = open_or_fail(f->be, f->path, HDB_O_RDWR | HDB_O_CREATE);
	fill_many(h, 0, NMANY);
	iterate_all(h, &s);
	hdb_close(h);

	h = open_or_fail(f->be, f->path, HDB_O_RDWR);
	memset(&r, 0, sizeof(r));
	for (i = 0; i < s.n; i++) {
		if (i % 3 == 1) {
			if (hdb_del(h, seq_key(&s, i)) != HDB_OK)
				fail_msg("del #%d: %s", i, hdb_error(h));
		} else
			seq_add(&r, seq_key(&s, i), seq_key(&s, i));
	}
	hdb_close(h);

	h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	iterate_all(h, &t);
	assert_int_equal(t.n, r.n);
	for (i = 0; i < t.n; i++)
		assert_true(seq_find(&r, seq_key(&t, i)) >= 0);
	calls = 0;
	assert_int_equal(hdb_iterate_after(h, seq_key(&s, 1), count_calls,
	    &calls), HDB_NOTFOUND);
	assert_int_equal(calls, 0);
	if (!(f->be->caps & HDB_CAP_ORDER_KEPT)) {
		/* only the new order holds (contract 11), and the old does not */
		check_resume(h, &t);
		assert_false(seq_same(&t, &r, 0));
	} else {
		assert_true(seq_same(&t, &r, 0));
		assert_int_equal(resume_gaps(h, &r), 0);
	}
	seq_free(&t);
	hdb_close(h);
	seq_free(&s);
	seq_free(&r);
}

/* ---- outside the per-backend contract ----------------------------------- */

static void
write_file(const char *path, const void *p, size_t n)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void
test_registry(void **state)
{
	static const char *const names[] = {
		"bdb", "gdbm", "tdb", "sqlite", "ndbm"
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_non_null(hdb_backends[i]);
		assert_string_equal(hdb_backends[i]->name, names[i]);
		assert_ptr_equal(hdb_backend_find(names[i]), hdb_backends[i]);
	}
	assert_null(hdb_backends[i]);
	assert_null(hdb_backend_find("dbm"));
	assert_null(hdb_backend_find(""));
	assert_null(hdb_backend_find(NULL));
}

static void
test_detect_odd_files(void **state)
{
	struct fx *f = *state;
	uint8_t junk[4096];
	char *p;
	size_t i;
	uint32_t x = 0x2545f491;

	errno = 0;
	assert_null(hdb_detect(f->path));
	assert_int_equal(errno, ENOENT);

	write_file(f->path, "", 0);
	errno = 0;
	assert_null(hdb_detect(f->path));
	assert_int_equal(errno, EINVAL);

	for (i = 0; i < sizeof(junk); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		junk[i] = (uint8_t)x;
	}
	write_file(f->path, junk, sizeof(junk));
	errno = 0;
	assert_null(hdb_detect(f->path));
	assert_int_equal(errno, EINVAL);

	p = xstrcat(f->dir, "/lnk");
	assert_int_equal(symlink(f->path, p), 0);
	errno = 0;
	assert_null(hdb_detect(p));
	assert_int_equal(errno, ELOOP);
	free(p);

	/* a NAME.dir that is not NDBM's is not a DB either */
	p = xstrcat(f->dir, "/other.dir");
	write_file(p, junk, 16);
	free(p);
	p = xstrcat(f->dir, "/other");
	errno = 0;
	assert_null(hdb_detect(p));
	assert_int_equal(errno, EINVAL);
	free(p);

	errno = 0;
	assert_null(hdb_detect(f->dir));
	assert_int_equal(errno, EISDIR);
}

static void
test_open_errors(void **state)
{
	struct fx *f = *state;
	char err[256];

	err[0] = '\0';
	assert_null(hdb_open(NULL, f->path, HDB_O_RDONLY, 0, err,
	    sizeof(err)));
	assert_true(err[0] != '\0');
	assert_null(hdb_open(&hdb_backend_gdbm, f->path, HDB_O_CREATE, 0600,
	    err, sizeof(err)));
	assert_null(hdb_open(&hdb_backend_gdbm, f->path, 0x100, 0600, err,
	    sizeof(err)));
	/* none of that created anything */
	assert_int_equal(access(f->path, F_OK), -1);
	hdb_close(NULL);
}

/* A backend with nothing but open and close. */
static int fake_priv;

static int
fake_open(struct hdb *h, const char *path, int flags, mode_t mode)
{
	h->priv = &fake_priv;
	return HDB_OK;
}

static void
fake_close(struct hdb *h)
{
	h->priv = NULL;
}

static const struct hdb_backend fake = {
	.name = "fake",
	.caps = 0,
	.suffix = "",
	.probe = NULL,
	.open = fake_open,
	.close = fake_close,
	.get = NULL,
	.put = NULL,
	.del = NULL,
	.iterate_after = NULL,
	.verify = NULL,
	.sync = NULL,
};

static int
never(void *ctx, struct hdb_datum k, struct hdb_datum v)
{
	return 1;
}

static void
test_unsupported(void **state)
{
	struct hdb_datum got;
	struct hdb *h;

	h = open_or_fail(&fake, "nowhere", HDB_O_RDWR);
	assert_int_equal(hdb_get(h, dat("a", 2), &got), HDB_ERR);
	assert_non_null(strstr(hdb_error(h), NOSUP));
	h->err[0] = '\0';
	assert_int_equal(hdb_put(h, dat("a", 2), dat("b", 1)), HDB_ERR);
	assert_non_null(strstr(hdb_error(h), NOSUP));
	assert_int_equal(hdb_del(h, dat("a", 2)), HDB_ERR);
	assert_non_null(strstr(hdb_error(h), NOSUP));
	assert_int_equal(hdb_iterate(h, never, NULL), HDB_ERR);
	assert_non_null(strstr(hdb_error(h), NOSUP));
	assert_int_equal(hdb_iterate_after(h, dat("a", 2), never, NULL),
	    HDB_ERR);
	assert_non_null(strstr(hdb_error(h), NOSUP));
	assert_int_equal(hdb_verify(h), HDB_ERR);
	assert_non_null(strstr(hdb_error(h), NOSUP));
	assert_int_equal(hdb_sync(h), HDB_ERR);
	assert_non_null(strstr(hdb_error(h), NOSUP));
	hdb_close(h);
}

/* NDBM: our files and gdbm-compat's dbm_open read each other. */
static void
test_ndbm_interop(void **state)
{
	struct fx *f = *state;
	struct hdb_datum got;
	struct hdb *h;
	DBM *d;
	datum k, v;
	char *p;
	int n;

	/* written by dbm_open, read by us */
	p = xstrcat(f->dir, "/compat");
	d = dbm_open(p, O_RDWR | O_CREAT, 0640);
	assert_non_null(d);
	k.dptr = "R:mx.example";
	k.dsize = 13;
	v.dptr = "\x01\x02\0\x03";
	v.dsize = 4;
	assert_int_equal(dbm_store(d, k, v, DBM_REPLACE), 0);
	dbm_close(d);
	assert_ptr_equal(hdb_detect(p), &hdb_backend_ndbm);
	h = open_or_fail(NULL, p, HDB_O_RDONLY);
	assert_int_equal(hdb_get(h, dat("R:mx.example", 13), &got), HDB_OK);
	assert_int_equal(got.len, 4);
	assert_memory_equal(got.data, "\x01\x02\0\x03", 4);
	assert_int_equal(hdb_verify(h), HDB_OK);
	hdb_close(h);
	free(p);

	/* written by us, read by dbm_open */
	h = make_db(f);
	hdb_close(h);
	d = dbm_open(f->path, O_RDONLY, 0);
	assert_non_null(d);
	n = 0;
	for (k = dbm_firstkey(d); k.dptr != NULL; k = dbm_nextkey(d))
		n++;
	assert_int_equal(n, NKEYS);
	k.dptr = "k5\0\x1b\x05";
	k.dsize = 6;
	v = dbm_fetch(d, k);
	assert_non_null(v.dptr);
	assert_int_equal(v.dsize, (int)make_val(5, 0, (uint8_t[300]){ 0 }));
	dbm_close(d);

	/* a read-only open needs the .dir and never makes one */
	assert_int_equal(unlink(f->files[0]), 0);
	assert_null(hdb_open(&hdb_backend_ndbm, f->path, HDB_O_RDONLY, 0,
	    NULL, 0));
	assert_int_equal(access(f->files[0], F_OK), -1);
}

/* BDB's ndbm emulation: NAME.db, found and opened from NAME. */
static void
test_bdb_ndbm_emulation(void **state)
{
	struct fx *f = *state;
	struct hdb *h;
	char *db;

	db = xstrcat(f->path, ".db");
	h = open_or_fail(&hdb_backend_bdb, db, HDB_O_RDWR | HDB_O_CREATE);
	fill(h, 0);
	hdb_close(h);
	assert_ptr_equal(hdb_detect(f->path), &hdb_backend_bdb);
	h = open_or_fail(NULL, f->path, HDB_O_RDONLY);
	check_key(h, 7, 0);
	check_all_visited(h);
	hdb_close(h);
	h = open_or_fail(&hdb_backend_bdb, f->path, HDB_O_RDWR);
	check_key(h, 8, 0);
	hdb_close(h);
	assert_int_equal(access(f->path, F_OK), -1);
	free(db);
}

/* ---- SQLite's older schemas --------------------------------------------- */

static void
sql(sqlite3 *db, const char *s)
{
	char *msg = NULL;

	if (sqlite3_exec(db, s, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", s, msg);
}

static void
make_sqlite(const char *path, const char *const *stmts)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (; *stmts != NULL; stmts++)
		sql(db, *stmts);
	sqlite3_close(db);
}

/* stored - the ky column of the one row whose dat is val, or NULL. */
static char *
stored(const char *path, const char *table, const char *val)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char q[128], *r = NULL;
	const uint8_t *p;
	size_t i, n;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(q, sizeof(q), "SELECT ky, typeof(ky) FROM %s WHERE dat = ?1",
	    table);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, val, (int)strlen(val), SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		p = sqlite3_column_blob(st, 0);
		n = (size_t)sqlite3_column_bytes(st, 0);
		/* "type:bytes", NUL shown as "\0" */
		r = calloc(1, n * 2 + 16);
		assert_non_null(r);
		strcpy(r, (const char *)sqlite3_column_text(st, 1));
		strcat(r, ":");
		for (i = 0; i < n; i++)
			if (p[i] == '\0')
				strcat(r, "\\0");
			else
				strncat(r, (const char *)p + i, 1);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

struct keylist {
	char	 keys[8][64];
	size_t	 lens[8];
	int	 n;
	int	 bad;
};

static int
collect(void *ctx, struct hdb_datum k, struct hdb_datum v)
{
	struct keylist *l = ctx;

	if (l->n == 8 || k.len > 64) {
		l->bad++;
		return 0;
	}
	memcpy(l->keys[l->n], k.data, k.len);
	l->lens[l->n++] = k.len;
	return 0;
}

static int
has_key(const struct keylist *l, const char *s)
{
	size_t n = strlen(s) + 1;	/* with its NUL */
	int i;

	for (i = 0; i < l->n; i++)
		if (l->lens[i] == n && memcmp(l->keys[i], s, n) == 0)
			return 1;
	return 0;
}

static void
expect_val(struct hdb *h, const char *key, const char *val)
{
	struct hdb_datum got;

	if (hdb_get(h, dat(key, strlen(key) + 1), &got) != HDB_OK)
		fail_msg("get '%s': %s", key, hdb_error(h));
	assert_int_equal(got.len, strlen(val));
	assert_memory_equal(got.data, val, got.len);
}

static void
test_sqlite_tbl_4981(void **state)
{
	static const char *const make[] = {
		"CREATE TABLE tbl (ky TEXT PRIMARY KEY, dat BLOB)",
		"INSERT INTO tbl VALUES ('R:mx.example', x'0102')",
		"INSERT INTO tbl VALUES ('T:mx.example:192.0.2.1', x'03')",
		NULL
	};
	struct fx *f = *state;
	struct keylist l;
	struct hdb_datum got;
	struct hdb *h;
	char *s;

	make_sqlite(f->path, make);
	assert_ptr_equal(hdb_detect(f->path), &hdb_backend_sqlite);
	h = open_or_fail(NULL, f->path, HDB_O_RDONLY);
	expect_val(h, "R:mx.example", "\x01\x02");
	expect_val(h, "T:mx.example:192.0.2.1", "\x03");
	assert_int_equal(hdb_get(h, dat("R:mx.example", 12), &got),
	    HDB_NOTFOUND);
	memset(&l, 0, sizeof(l));
	assert_int_equal(hdb_iterate(h, collect, &l), HDB_OK);
	assert_int_equal(l.n, 2);
	assert_true(has_key(&l, "R:mx.example"));
	assert_true(has_key(&l, "T:mx.example:192.0.2.1"));
	assert_int_equal(hdb_verify(h), HDB_OK);
	check_resume_all(h, 2);
	hdb_close(h);

	/* writes keep the 4.98.1 encoding: text without the NUL */
	h = open_or_fail(NULL, f->path, HDB_O_RDWR);
	assert_int_equal(hdb_put(h, dat("new key\0", 8), dat("nv", 2)),
	    HDB_OK);
	assert_int_equal(hdb_put(h, dat("no-nul", 6), dat("x", 1)), HDB_ERR);
	assert_true(hdb_error(h)[0] != '\0');
	assert_int_equal(hdb_put(h, dat("in\0side\0", 8), dat("x", 1)),
	    HDB_ERR);
	assert_int_equal(hdb_del(h, dat("R:mx.example", 13)), HDB_OK);
	assert_int_equal(hdb_del(h, dat("R:mx.example", 13)), HDB_NOTFOUND);
	hdb_close(h);
	s = stored(f->path, "tbl", "nv");
	assert_non_null(s);
	assert_string_equal(s, "text:new key");
	free(s);
}

static void
test_sqlite_tbl_499(void **state)
{
	static const char *const make[] = {
		"CREATE TABLE tbl (ky TEXT PRIMARY KEY, dat BLOB)",
		"INSERT INTO tbl VALUES ('R:mx.example+00', x'0102')",
		/* "a b+c=" NUL */
		"INSERT INTO tbl VALUES ('a+20b+2Bc+3D+00', x'03')",
		/* a 4.98 leftover that 4.99 never finds */
		"INSERT INTO tbl VALUES ('old', x'04')",
		NULL
	};
	struct fx *f = *state;
	struct keylist l;
	struct hdb *h;
	char *s;

	make_sqlite(f->path, make);
	h = open_or_fail(NULL, f->path, HDB_O_RDONLY);
	expect_val(h, "R:mx.example", "\x01\x02");
	expect_val(h, "a b+c=", "\x03");
	expect_val(h, "old", "\x04");
	memset(&l, 0, sizeof(l));
	assert_int_equal(hdb_iterate(h, collect, &l), HDB_OK);
	assert_int_equal(l.bad, 0);
	assert_int_equal(l.n, 3);
	assert_true(has_key(&l, "R:mx.example"));
	assert_true(has_key(&l, "a b+c="));
	assert_true(has_key(&l, "old"));
	check_resume_all(h, 3);
	hdb_close(h);

	/* writes use xtext; a write of the leftover's key replaces it */
	h = open_or_fail(NULL, f->path, HDB_O_RDWR);
	assert_int_equal(hdb_put(h, dat("x y\x1b\0", 5), dat("nv", 2)),
	    HDB_OK);
	assert_int_equal(hdb_put(h, dat("old", 4), dat("ov", 2)), HDB_OK);
	assert_int_equal(hdb_del(h, dat("a b+c=", 7)), HDB_OK);
	assert_int_equal(hdb_del(h, dat("a b+c=", 7)), HDB_NOTFOUND);
	memset(&l, 0, sizeof(l));
	assert_int_equal(hdb_iterate(h, collect, &l), HDB_OK);
	assert_int_equal(l.n, 3);
	assert_true(has_key(&l, "old"));
	hdb_close(h);
	s = stored(f->path, "tbl", "nv");
	assert_non_null(s);
	assert_string_equal(s, "text:x+20y+1B+00");
	free(s);
	s = stored(f->path, "tbl", "ov");
	assert_non_null(s);
	assert_string_equal(s, "text:old+00");
	free(s);
}

static void
test_sqlite_schemas_on_create(void **state)
{
	struct fx *f = *state;
	struct hdb *h;
	char *s, *p;

	/* the default: 4.99.1's tblblob, key bytes with the NUL */
	h = open_or_fail(&hdb_backend_sqlite, f->path,
	    HDB_O_RDWR | HDB_O_CREATE);
	assert_int_equal(hdb_put(h, dat("abc", 4), dat("v", 1)), HDB_OK);
	hdb_close(h);
	s = stored(f->path, "tblblob", "v");
	assert_non_null(s);
	assert_string_equal(s, "blob:abc\\0");
	free(s);

	/* HDB_O_SQLITE_TBL: the 4.98.1 schema and encoding */
	p = xstrcat(f->dir, "/old");
	h = open_or_fail(&hdb_backend_sqlite, p,
	    HDB_O_RDWR | HDB_O_CREATE | HDB_O_SQLITE_TBL);
	assert_int_equal(hdb_put(h, dat("abc", 4), dat("v", 1)), HDB_OK);
	hdb_close(h);
	s = stored(p, "tbl", "v");
	assert_non_null(s);
	assert_string_equal(s, "text:abc");
	free(s);
	h = open_or_fail(NULL, p, HDB_O_RDONLY);
	expect_val(h, "abc", "v");
	hdb_close(h);
	free(p);

	/* an SQLite file without Exim's tables is refused read-only */
	p = xstrcat(f->dir, "/empty");
	{
		static const char *const make[] = {
			"CREATE TABLE other (x)", NULL
		};
		make_sqlite(p, make);
	}
	assert_null(hdb_open(&hdb_backend_sqlite, p, HDB_O_RDONLY, 0, NULL,
	    0));
	free(p);
}

#define T(b, fn) { #b ": " #fn, fn, setup, teardown, &p_##b }
/* The free space the backend reports for the DB at path, or -1 if it
 * does not say. */
static int64_t
free_now(const struct fx *f)
{
	struct hdb *h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	uint64_t fb = 7, ff;
	int rc = hdb_free_bytes(h, &fb);

	if (rc != HDB_OK && rc != HDB_NOTFOUND)
		fail_msg("hdb_free_bytes: %s", hdb_error(h));
	hdb_close(h);
	if (rc == HDB_NOTFOUND) {
		assert_int_equal(fb, 0);
		return -1;
	}
	/* with no handle (and no lock), the same figure where there is a
	 * way to read it so */
	if (f->be->free_bytes_file != NULL) {
		assert_int_equal(hdb_free_bytes_file(f->be, f->path, &ff),
		    HDB_OK);
		assert_int_equal(ff, fb);
	} else
		assert_int_equal(hdb_free_bytes_file(f->be, f->path, &ff),
		    HDB_NOTFOUND);
	return (int64_t)fb;
}

/*
 * test_free_bytes - after half the records (and so half the 64 KiB
 * values) are deleted, a backend that reuses its space reports more free
 * bytes than before, and never more than its file; one that keeps no
 * account (GDBM, NDBM) says so, with HDB_NOTFOUND, not with a 0.
 */
static void
test_free_bytes(void **state)
{
	struct fx *f = *state;
	uint8_t k[MAXKEY];
	struct stat st;
	struct hdb *h;
	int64_t before, after;
	int i;

	h = make_db(f);
	hdb_close(h);
	before = free_now(f);
	h = open_or_fail(f->be, f->path, HDB_O_RDWR);
	for (i = 0; i < NKEYS; i += 2)
		if (hdb_del(h, dat(k, make_key(i, k))) != HDB_OK)
			fail_msg("del %d: %s", i, hdb_error(h));
	hdb_close(h);
	after = free_now(f);
	if (f->be->free_bytes == NULL) {
		assert_int_equal(before, -1);
		assert_int_equal(after, -1);
		return;
	}
	assert_true(before >= 0);
	assert_true(after > before);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(after < (int64_t)st.st_size);
	if (f->be == &hdb_backend_bdb) {
		/* a hole of 1 GiB at the end: never-written pages, counted
		 * free without being read */
		uint64_t fb;

		assert_int_equal(truncate(f->path, st.st_size + (1 << 30)), 0);
		assert_int_equal(hdb_free_bytes_file(f->be, f->path, &fb),
		    HDB_OK);
		assert_int_equal(fb, (uint64_t)after + (1u << 30));
	}
}

#define CONTRACT(b)							\
	T(b, test_round_trip),						\
	T(b, test_iterate),						\
	T(b, test_scan),						\
	T(b, test_read_only),						\
	T(b, test_detect),						\
	T(b, test_verify),						\
	T(b, test_snapshot),						\
	T(b, test_symlink),						\
	T(b, test_crash_mid_write),					\
	T(b, test_delete_in_iterate),					\
	T(b, test_iterate_after),					\
	T(b, test_iterate_big),						\
	T(b, test_count_add),						\
	T(b, test_iterate_after_deleted),				\
	T(b, test_free_bytes)

/*
 * test_sqlite_tbl_resume - resuming in a 4.99 tbl finds the row that holds
 * the key whichever encoding it has: xtext, a 4.98 leftover, or a leftover
 * that ends in "+00" but is not xtext (iteration hands that out as text
 * plus NUL, though a put could not write it); but not a key that only the
 * row's undecoded text matches.  The order is the stored keys' byte order.
 */
static void
test_sqlite_tbl_resume(void **state)
{
	static const char *const make[] = {
		"CREATE TABLE tbl (ky TEXT PRIMARY KEY, dat BLOB)",
		"INSERT INTO tbl VALUES ('R:mx.example+00', x'01')",
		"INSERT INTO tbl VALUES ('a+zz+00', x'02')",
		"INSERT INTO tbl VALUES ('b+2B+00', x'03')",	/* "b+" */
		"INSERT INTO tbl VALUES ('old', x'04')",
		"INSERT INTO tbl VALUES ('+20x+00', x'05')",	/* " x" */
		NULL
	};
	static const char *const order[] = {
		" x", "R:mx.example", "a+zz+00", "b+", "old"
	};
	struct fx *f = *state;
	struct seq s;
	struct hdb *h;
	int calls, i;

	make_sqlite(f->path, make);
	h = open_or_fail(NULL, f->path, HDB_O_RDONLY);
	iterate_all(h, &s);
	assert_int_equal(s.n, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(s.len[i], strlen(order[i]) + 1);
		assert_memory_equal(s.k[i], order[i], s.len[i]);
	}
	check_resume(h, &s);
	calls = 0;
	assert_int_equal(hdb_iterate_after(h, dat("b+", 2), count_calls,
	    &calls), HDB_NOTFOUND);
	assert_int_equal(hdb_iterate_after(h, dat("b+2B+00", 8), count_calls,
	    &calls), HDB_NOTFOUND);
	assert_int_equal(calls, 0);
	seq_free(&s);
	hdb_close(h);
}

/*
 * test_sqlite_scan - hdb_scan goes in rowid order, not key order; and a
 * row that another process replaces while the scan is under way, between
 * two of its pieces, comes a second time, at the end and as rewritten,
 * with *changed set, while every other row comes once.  The callback
 * sleeps a millisecond a row, so that the scan ends a piece every 64 rows
 * and the writer, waiting in its busy handler, gets in between.
 */
#define SCAN_ROWS	640

struct scanlog {
	int	 wake;		/* pipe to the writer */
	int	 seen[SCAN_ROWS];
	int	 calls;
	int	 last;		/* index of the last row */
	char	 lastval[16];
};

static int
scan_note(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct scanlog *l = ctx;
	int i = atoi((const char *)key.data + 1);

	assert_true(i >= 0 && i < SCAN_ROWS);
	l->seen[i]++;
	l->last = i;
	snprintf(l->lastval, sizeof(l->lastval), "%.*s", (int)val.len,
	    (const char *)val.data);
	if (l->calls++ == 0)
		assert_int_equal(write(l->wake, "x", 1), 1);
	hdb_pause(1);
	return 0;
}

static void
sqlite_rows(const char *path)
{
	struct hdb *h = open_or_fail(&hdb_backend_sqlite, path,
	    HDB_O_RDWR | HDB_O_CREATE);
	char k[16];
	int i;

	/* rowids rise as keys fall: the two orders differ */
	for (i = SCAN_ROWS - 1; i >= 0; i--) {
		snprintf(k, sizeof(k), "k%04d", i);
		assert_int_equal(hdb_put(h, dat(k, strlen(k) + 1), dat("old",
		    3)), HDB_OK);
	}
	assert_int_equal(hdb_sync(h), HDB_OK);
	hdb_close(h);
}

/* The writer: once woken, rewrite the first row, then exit 0. */
static pid_t
sqlite_rewriter(const char *path, int *wake)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct hdb *h;
		char k[16];

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(2);
		snprintf(k, sizeof(k), "k%04d", SCAN_ROWS - 1);
		h = hdb_open(&hdb_backend_sqlite, path, HDB_O_RDWR, 0, NULL, 0);
		if (h == NULL || hdb_put(h, dat(k, strlen(k) + 1), dat("new",
		    3)) != HDB_OK || hdb_sync(h) != HDB_OK)
			_exit(1);
		hdb_close(h);
		_exit(0);
	}
	close(p[0]);
	*wake = p[1];
	return pid;
}

static void
test_sqlite_scan(void **state)
{
	struct fx *f = *state;
	struct scanlog *l = calloc(1, sizeof(*l));
	struct seq q;
	struct hdb *h;
	pid_t pid;
	int changed = 0, st, i;

	assert_non_null(l);
	sqlite_rows(f->path);
	h = open_or_fail(&hdb_backend_sqlite, f->path, HDB_O_RDONLY);
	iterate_all(h, &q);
	assert_int_equal(q.n, SCAN_ROWS);
	assert_memory_equal(q.k[0], "k0000", 6);
	seq_free(&q);

	pid = sqlite_rewriter(f->path, &l->wake);
	assert_int_equal(hdb_scan(h, scan_note, l, &changed), HDB_OK);
	close(l->wake);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	hdb_close(h);

	/* rowid order: the first row scanned was the first put, k0639 */
	assert_int_equal(l->seen[SCAN_ROWS - 1], 2);
	assert_int_equal(l->last, SCAN_ROWS - 1);
	assert_string_equal(l->lastval, "new");
	assert_int_equal(changed, 1);
	for (i = 0; i < SCAN_ROWS - 1; i++)
		assert_int_equal(l->seen[i], 1);
	free(l);
}

/* test_bdb_btree - a btree file (Exim only makes hash) resumes in key order. */
static void
test_bdb_btree(void **state)
{
	struct fx *f = *state;
	uint8_t k[MAXKEY];
	struct seq s;
	struct hdb *h;
	DBT dk, dv;
	DB *db;
	int i;

	assert_int_equal(db_create(&db, NULL, 0), 0);
	assert_int_equal(db->open(db, NULL, f->path, NULL, DB_BTREE,
	    DB_CREATE, 0600), 0);
	for (i = 0; i < NMANY; i++) {
		memset(&dk, 0, sizeof(dk));
		memset(&dv, 0, sizeof(dv));
		dk.data = k;
		dk.size = (u_int32_t)make_key(i, k);
		dv.data = "v";
		dv.size = 1;
		assert_int_equal(db->put(db, NULL, &dk, &dv, 0), 0);
	}
	assert_int_equal(db->close(db, 0), 0);

	h = open_or_fail(&hdb_backend_bdb, f->path, HDB_O_RDONLY);
	iterate_all(h, &s);
	assert_int_equal(s.n, NMANY);
	for (i = 1; i < s.n; i++)
		assert_true(memcmp(s.k[i - 1], s.k[i], s.len[i - 1] <
		    s.len[i] ? s.len[i - 1] : s.len[i]) <= 0);
	check_resume(h, &s);
	seq_free(&s);
	hdb_close(h);
}

/* ---- tdb: deletes in a locked walk, by hand ------------------------------ */

#define NRAW		3000

struct rawctx {
	struct hdb	*h;
	int		 calls, bad;
};

/* key "k<i>": 0 if it is not one */
static int
key_no(struct hdb_datum k)
{
	char buf[16];

	if (k.len < 2 || k.len >= sizeof(buf) || ((const char *)k.data)[0] !=
	    'k')
		return -1;
	memcpy(buf, (const char *)k.data + 1, k.len - 1);
	buf[k.len - 1] = '\0';
	return atoi(buf);
}

/* Delete k<i> for i % 3 == 0; store n<i> for i % 50 == 1 (at its chain's
 * head, ahead of the walk); grow k<i> for i % 50 == 2. */
static int
raw_visit(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct rawctx *r = ctx;
	char nk[16], big[300];
	int i = key_no(key), rc = HDB_OK;

	r->calls++;
	if (key.len > 0 && ((const char *)key.data)[0] == 'n')
		return 0;	/* stored in this walk, in a later chain */
	if (i < 0 || i % 7 == 0) {	/* dead records are never handed out */
		r->bad++;
		return 0;
	}
	if (i % 3 == 0)
		rc = hdb_del(r->h, key);
	else if (i % 50 == 1) {
		snprintf(nk, sizeof(nk), "n%d", i);
		rc = hdb_put(r->h, dat(nk, strlen(nk)), dat("x", 1));
	} else if (i % 50 == 2) {
		memset(big, 'b', sizeof(big));
		rc = hdb_put(r->h, key, dat(big, sizeof(big)));
	}
	r->bad += rc != HDB_OK;
	return 0;
}

/* Does the file hold exactly what raw_visit left, by libtdb's reading? */
static void
raw_expect(struct tdb_context *tdb)
{
	char k[16];
	TDB_DATA v;
	int i, n = 0;

	for (i = 0; i < NRAW; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		v = tdb_fetch(tdb, (TDB_DATA){ (unsigned char *)k, strlen(k) });
		if (i % 7 == 0 || i % 3 == 0)
			assert_null(v.dptr);
		else {
			assert_non_null(v.dptr);
			assert_int_equal(v.dsize, i % 50 == 2 ? 300 : 10 + i % 40);
			n++;
		}
		free(v.dptr);
		snprintf(k, sizeof(k), "n%d", i);
		v = tdb_fetch(tdb, (TDB_DATA){ (unsigned char *)k, strlen(k) });
		assert_true((v.dptr != NULL) == (i % 50 == 1 && i % 7 != 0 &&
		    i % 3 != 0));
		n += v.dptr != NULL;
		free(v.dptr);
	}
	assert_int_equal(tdb_traverse(tdb, NULL, NULL), n);
}

/*
 * A writer's walk deletes the record it stands on by hand (be_tdb.c); on
 * a file with Exim's 131 chains, dead records left in them by libtdb, and
 * puts in the same walk moving the chains under it, libtdb must find the
 * file whole: tdb_check, every survivor, and the freed space used again.
 */
/* A sweep that deletes every other record it is given and stops (2)
 * after stop_after calls, the record it stops on not taken. */
struct sweepctx {
	struct hdb	*h;
	int		 calls, taken, stop_after, bad;
	int		 seen[NKEYS];
};

static int
sweep_del(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct sweepctx *c = ctx;
	uint8_t k[MAXKEY];
	size_t kl;
	int i;

	if (c->stop_after > 0 && ++c->calls == c->stop_after)
		return 2;
	for (i = 0; i < NKEYS; i++) {
		kl = make_key(i, k);
		if (kl == key.len && memcmp(k, key.data, kl) == 0)
			break;
	}
	if (i == NKEYS || c->seen[i]++) {
		c->bad++;
		return 0;
	}
	if (c->taken++ % 2 == 0 && hdb_del(c->h, dat(k, kl)) != HDB_OK)
		c->bad++;
	return 0;
}

/*
 * test_hold_sweep - HDB_CAP_HOLDS_OPEN: holds on one handle, each a
 * transaction ended by hdb_hold(h, 0) and begun by hdb_hold(h, 1), swept
 * in the file's order from where the last stopped, deleting as they go:
 * every record is given once, the ones deleted are gone, the file whole.
 */
static void
test_hold_sweep(void **state)
{
	struct fx *f = *state;
	struct sweepctx c;
	struct visit vis;
	int64_t pos = 0;
	int i, r, holds = 0;

	if (!(f->be->caps & HDB_CAP_HOLDS_OPEN))
		skip();
	memset(&c, 0, sizeof(c));
	c.h = make_db(f);
	do {
		c.calls = 0;
		c.stop_after = 7;
		r = hdb_sweep(c.h, &pos, sweep_del, &c);
		assert_true(r == HDB_OK || r == 2);
		assert_int_equal(hdb_hold(c.h, 0), HDB_OK);
		assert_int_equal(hdb_hold(c.h, 0), HDB_OK);	/* none: nothing */
		assert_int_equal(hdb_hold(c.h, 1), HDB_OK);
		assert_true(++holds < NKEYS);
	} while (r != HDB_OK);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.taken, NKEYS);
	for (i = 0; i < NKEYS; i++)
		assert_int_equal(c.seen[i], 1);
	hdb_close(c.h);
	c.h = open_or_fail(f->be, f->path, HDB_O_RDONLY);
	memset(&vis, 0, sizeof(vis));
	assert_int_equal(hdb_iterate(c.h, visit_one, &vis), HDB_OK);
	assert_int_equal(vis.calls, NKEYS / 2);
	assert_int_equal(hdb_verify(c.h), HDB_OK);
	hdb_close(c.h);
}

/*
 * test_tdb_txn_delete - deletions made by a write walk inside a hold
 * transaction (marked dead, or left for the commit): a cancel takes them
 * all back, a commit makes them, and libtdb finds the file whole after
 * each.
 */
static void
test_tdb_txn_delete(void **state)
{
	struct fx *f = *state;
	struct delctx d;
	struct visit vis;

	memset(&d, 0, sizeof(d));
	d.h = make_db(f);
	assert_int_equal(hdb_tdb_txn(d.h, HDB_TXN_BEGIN), HDB_OK);
	assert_int_equal(hdb_iterate(d.h, delete_visited, &d), HDB_OK);
	assert_int_equal(d.bad, 0);
	assert_int_equal(d.calls, NKEYS);
	assert_int_equal(hdb_tdb_txn(d.h, HDB_TXN_CANCEL), HDB_OK);
	check_all_visited(d.h);
	assert_int_equal(hdb_verify(d.h), HDB_OK);
	d.calls = 0;
	assert_int_equal(hdb_tdb_txn(d.h, HDB_TXN_BEGIN), HDB_OK);
	assert_int_equal(hdb_iterate(d.h, delete_visited, &d), HDB_OK);
	assert_int_equal(d.calls, NKEYS);
	assert_int_equal(hdb_tdb_txn(d.h, HDB_TXN_COMMIT_LATE), HDB_OK);
	memset(&vis, 0, sizeof(vis));
	assert_int_equal(hdb_iterate(d.h, visit_one, &vis), HDB_OK);
	assert_int_equal(vis.calls, 0);
	assert_int_equal(hdb_verify(d.h), HDB_OK);
	hdb_close(d.h);
}

static void
test_tdb_raw_delete(void **state)
{
	struct fx *f = *state;
	struct tdb_context *tdb;
	struct rawctx r;
	struct stat st;
	char k[16], v[64];
	off_t size;
	int i;

	tdb = tdb_open(f->path, 0, TDB_DEFAULT, O_RDWR | O_CREAT, 0600);
	assert_non_null(tdb);
	memset(v, 'v', sizeof(v));
	for (i = 0; i < NRAW; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(tdb_store(tdb, (TDB_DATA){ (unsigned char *)k,
		    strlen(k) }, (TDB_DATA){ (unsigned char *)v,
		    10 + i % 40 }, TDB_INSERT), 0);
	}
	tdb_set_max_dead(tdb, NRAW);	/* deletes leave dead records */
	for (i = 0; i < NRAW; i += 7) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(tdb_delete(tdb, (TDB_DATA){ (unsigned char *)k,
		    strlen(k) }), 0);
	}
	assert_int_equal(tdb_close(tdb), 0);

	memset(&r, 0, sizeof(r));
	r.h = open_or_fail(&hdb_backend_tdb, f->path, HDB_O_RDWR);
	assert_int_equal(hdb_iterate(r.h, raw_visit, &r), HDB_OK);
	assert_int_equal(r.bad, 0);
	assert_true(r.calls >= NRAW - (NRAW + 6) / 7);
	hdb_close(r.h);

	tdb = tdb_open(f->path, 0, TDB_DEFAULT, O_RDWR, 0);
	assert_non_null(tdb);
	assert_int_equal(tdb_check(tdb, NULL, NULL), 0);
	raw_expect(tdb);
	assert_true(tdb_freelist_size(tdb) > 0);
	assert_int_equal(stat(f->path, &st), 0);
	size = st.st_size;
	for (i = 0; i < NRAW / 3; i++) {	/* fits in what was freed */
		snprintf(k, sizeof(k), "r%d", i);
		assert_int_equal(tdb_store(tdb, (TDB_DATA){ (unsigned char *)k,
		    strlen(k) }, (TDB_DATA){ (unsigned char *)v, 20 },
		    TDB_INSERT), 0);
	}
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, size);
	assert_int_equal(tdb_check(tdb, NULL, NULL), 0);
	assert_int_equal(tdb_close(tdb), 0);
}

static int
delete_each(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	(void)val;
	return hdb_del(ctx, key) == HDB_ERR;
}

/* Write v at off in the file at path. */
static void
poke32(const char *path, off_t off, uint32_t v)
{
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &v, 4, off), 4);
	close(fd);
}

/*
 * A damaged chain (a head pointing past the end, a record longer than the
 * file) is never followed by hand: the walk leaves it to libtdb, which
 * reports it, and deletes nothing there.
 */
static void
test_tdb_raw_damaged(void **state)
{
	struct fx *f = *state;
	struct tdb_context *tdb;
	struct hdb *h;
	uint32_t head;
	char k[16];
	int i, fd;

	tdb = tdb_open(f->path, 0, TDB_DEFAULT, O_RDWR | O_CREAT, 0600);
	assert_non_null(tdb);
	for (i = 0; i < 400; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(tdb_store(tdb, (TDB_DATA){ (unsigned char *)k,
		    strlen(k) }, (TDB_DATA){ (unsigned char *)k, strlen(k) },
		    TDB_INSERT), 0);
	}
	assert_int_equal(tdb_close(tdb), 0);
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &head, 4, 168 + 4 * 6), 4);	/* chain 5 */
	close(fd);
	assert_true(head != 0);

	poke32(f->path, 168 + 4 * 6, 0xfffffff0u);
	h = open_or_fail(&hdb_backend_tdb, f->path, HDB_O_RDWR);
	assert_int_equal(hdb_iterate(h, delete_each, h), HDB_ERR);
	hdb_close(h);

	poke32(f->path, 168 + 4 * 6, head);
	poke32(f->path, head + 4, 0x7ffffff0u);		/* its rec_len */
	h = open_or_fail(&hdb_backend_tdb, f->path, HDB_O_RDWR);
	assert_int_equal(hdb_iterate(h, delete_each, h), HDB_ERR);
	hdb_close(h);
}

/*
 * hdb_pace: the first hold stops at half the limit or HDB_PACE_FIRST
 * changes; later ones leave room for the flush of every change made: the
 * flushes before, or the last one scaled up to more changes, and for the
 * slowest change, which each hold forgets by half.
 */
static void
test_pace(void **state)
{
	struct hdb_pace p;

	(void)state;
	hdb_pace_init(&p, &hdb_backend_bdb, 100);	/* limit 60 */
	assert_false(hdb_pace_full(&p, 1000, 0));	/* one change always */
	assert_false(hdb_pace_full(&p, 29, 5));
	assert_true(hdb_pace_full(&p, 30, 5));
	assert_false(hdb_pace_full(&p, 1, HDB_PACE_FIRST - 1));
	assert_true(hdb_pace_full(&p, 1, HDB_PACE_FIRST));
	hdb_pace_op(&p, 10);
	assert_true(hdb_pace_full(&p, 20, 5));
	hdb_pace_flushed(&p, 20, 10);		/* 20 ms for 10 changes */
	assert_false(hdb_pace_full(&p, 30, 11));	/* 30+5+24 < 60 */
	assert_true(hdb_pace_full(&p, 30, 12));		/* 30+5+26 >= 60 */
	hdb_pace_flushed(&p, 10, 100);		/* 10 ms for 100 changes */
	assert_true(p.flush == 15);		/* 20 forgotten slowly */
	assert_true(p.maxop == 2.5);
	/* few changes still pay the flushes' fixed part */
	assert_false(hdb_pace_full(&p, 42, 1));		/* 42+2.5+15 < 60 */
	assert_true(hdb_pace_full(&p, 43, 1));
	/* more than the last hold: its flush scaled, 10 ms per 100 */
	assert_false(hdb_pace_full(&p, 27, 299));	/* 27+2.5+30 < 60 */
	assert_true(hdb_pace_full(&p, 28, 299));
	/* a flush of 55: a quarter of the limit (15), within the budget */
	hdb_pace_flushed(&p, 55, 55);
	assert_false(hdb_pace_full(&p, 12, 1));		/* 12+1.25 < 15 */
	assert_true(hdb_pace_full(&p, 14, 1));
	/* a flush of 120, past the budget: an eighth of the limit (7.5) */
	hdb_pace_flushed(&p, 120, 1);
	assert_false(hdb_pace_full(&p, 6, 1));		/* 6+0.6 < 7.5 */
	assert_true(hdb_pace_full(&p, 7, 1));
	hdb_pace_init(&p, &hdb_backend_sqlite, 100);	/* limit 50 */
	assert_true(hdb_pace_full(&p, 25, 1));
}

/* a child that waits for a write lock on path (F_SETLKW, as Exim does)
 * and holds it for ms; returns its pid */
static pid_t
exim_like_waiter(const char *path, int ms)
{
	struct flock fl;
	pid_t pid = fork();
	int fd;

	assert_true(pid != -1);
	if (pid > 0)
		return pid;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if ((fd = open(path, O_RDWR)) == -1 || fcntl(fd, F_SETLKW, &fl) == -1)
		_exit(1);
	hdb_pause(ms);
	_exit(0);
}

/* the files at p and q hold the same bytes */
static void
take_bytes_equal(const char *p, const char *q)
{
	static char a[4 << 20], b[4 << 20];
	int fa = open(p, O_RDONLY), fb = open(q, O_RDONLY);
	ssize_t na, nb;

	assert_true(fa >= 0 && fb >= 0);
	na = read(fa, a, sizeof(a));
	nb = read(fb, b, sizeof(b));
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	close(fa);
	close(fb);
}

/* write n bytes of c at off in path (created if missing) */
static void
put_bytes(const char *path, off_t off, size_t n, int c)
{
	char buf[4096];
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	size_t k;

	assert_true(fd >= 0);
	memset(buf, c, sizeof(buf));
	for (k = 0; k < n; k += sizeof(buf))
		assert_int_equal(pwrite(fd, buf, sizeof(buf), off + (off_t)k),
		    (ssize_t)sizeof(buf));
	close(fd);
}

/*
 * test_copy_holes - hdb_copy_db keeps a file's holes, and a copy over an
 * older one makes a hole where the file now has one, not the old bytes.
 */
static void
test_copy_holes(void **state)
{
	struct fx *f = *state;
	char *dst = xstrcat(f->dir, "/copy"), err[256];
	struct stat a, b;
	int fd;

	put_bytes(f->path, 0, 65536, 'a');
	put_bytes(f->path, 1 << 20, 4096, 'b');
	assert_int_equal(hdb_copy_db(&hdb_backend_bdb, f->path, dst, err,
	    sizeof(err)), 0);
	/* now a hole where the copy has data */
	fd = open(f->path, O_WRONLY);
	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE |
	    FALLOC_FL_KEEP_SIZE, 0, 65536), 0);
	close(fd);
	put_bytes(f->path, 2 << 20, 4096, 'c');
	assert_int_equal(hdb_copy_db(&hdb_backend_bdb, f->path, dst, err,
	    sizeof(err)), 0);
	take_bytes_equal(f->path, dst);
	assert_int_equal(stat(f->path, &a), 0);
	assert_int_equal(stat(dst, &b), 0);
	assert_int_equal(a.st_size, b.st_size);
	assert_true(b.st_blocks <= a.st_blocks);	/* holes kept */
	fd = open(dst, O_RDONLY);
	assert_true(lseek(fd, 0, SEEK_DATA) >= 65536);
	close(fd);
	free(dst);
}

/*
 * The hand-over: a waiter is seen in /proc/locks while we hold the lock,
 * and after our release the pause between holds lasts until it has the
 * lock, so that our next lock cannot come first.
 */
static void
test_handoff(void **state)
{
	char dir[] = "/tmp/handoff.XXXXXX", path[64];
	int fd, i, st;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/retry.lockfile", dir);
	fd = hdb_lock_take(path, HDB_LOCK_WRITE, 1, 1000);
	assert_true(fd >= 0);
	assert_int_equal(hdb_lock_waiters(fd), 0);
	pid = exim_like_waiter(path, 300);
	for (i = 0; i < 2000 && hdb_lock_waiters(fd) == 0; i++)
		hdb_pause(1);
	/* seen: /proc/locks has listed one blocked request more than once
	 * (3 lines) in a loaded parallel run */
	assert_true(hdb_lock_waiters(fd) >= 1);
	hdb_lock_release(fd);
	hdb_pause_for_writers(&hdb_backend_bdb, 100);
	assert_int_equal(hdb_lock_take(path, HDB_LOCK_WRITE, 0, 0), -1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace),
		cmocka_unit_test(test_handoff),
		CONTRACT(bdb),
		CONTRACT(gdbm),
		CONTRACT(tdb),
		CONTRACT(sqlite),
		CONTRACT(ndbm),
		cmocka_unit_test(test_registry),
		cmocka_unit_test_setup_teardown(test_detect_odd_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_copy_holes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup,
		    teardown),
		cmocka_unit_test(test_unsupported),
		T(ndbm, test_ndbm_interop),
		T(bdb, test_bdb_ndbm_emulation),
		T(sqlite, test_sqlite_tbl_4981),
		T(sqlite, test_sqlite_tbl_499),
		T(sqlite, test_sqlite_schemas_on_create),
		T(sqlite, test_sqlite_tbl_resume),
		T(sqlite, test_sqlite_scan),
		T(bdb, test_bdb_btree),
		T(sqlite, test_hold_sweep),
		T(tdb, test_tdb_txn_delete),
		T(tdb, test_tdb_raw_delete),
		T(tdb, test_tdb_raw_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
