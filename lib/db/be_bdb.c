/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * be_bdb.c - the Berkeley DB 5.3 backend.
 *
 * Writers open the file almost as Exim 4.98+ does: inside a DB_ENV with
 * DB_CREATE|DB_INIT_MPOOL|DB_PRIVATE (so no __db.00N region files appear),
 * as DB_HASH when creating and DB_UNKNOWN otherwise; but the env has no
 * home (Exim's is the file's directory), so libdb never reads a DB_CONFIG
 * the Exim user put in SPOOL/db, and the file is named in full.  Readers
 * use no environment at all and DB_UNKNOWN|DB_RDONLY, so they read hash
 * and btree files alike and write nothing anywhere.
 *
 * BDB opens by name and follows symlinks, so the path is lstat'ed first and
 * the descriptor BDB ends up with must be that same regular file.  When the
 * name itself does not exist but NAME.db does, that is Exim built for NDBM
 * on BDB's ndbm emulation, and NAME.db is what we open.
 *
 * libdb 5.3 trusts a hash file's pages: on damaged ones its cursor reads
 * past its own page buffer or faults (__db_retcopy, __ham_item), and a
 * broken chain makes it loop.  So before the first read or write through
 * a handle the file's structure is checked (hdb_bdb_check, salvage.c),
 * and a damaged file is refused.  The check reads the whole file once;
 * it is skipped when the file is as this process last checked or wrote
 * it (a tidy reopens the DB for every lock hold).  The commands check it
 * before they take Exim's lock (hdb_precheck), so that the hold under
 * the lock does not last the check's time: only a write in between makes
 * the open check it again.  A catch-up's new file (hdb_bdb_own), which
 * Exim writes between its holds, is not checked again at all.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <db.h>

#include "db/hdb.h"
#include "db/pin.h"
#include "db/salvage.h"
#include "xmalloc.h"

struct be_bdb {
	DB_ENV		*env;		/* writers only */
	DB		*db;
	char		*file;		/* the file actually opened */
	int		 checked;	/* the pages passed hdb_bdb_check */
	uint32_t	 buckets;	/* a bulk writer's new table, or 0 */
	void		*val;		/* get's value (DB_DBT_REALLOC) */
	char		 msg[200];	/* BDB's last error message */
};

static int	bdb_probe(const uint8_t *, size_t);
static int	bdb_open(struct hdb *, const char *, int, mode_t);
static void	bdb_close(struct hdb *);
static int	bdb_get(struct hdb *, struct hdb_datum, struct hdb_datum *);
static int	bdb_put(struct hdb *, struct hdb_datum, struct hdb_datum);
static int	bdb_del(struct hdb *, struct hdb_datum);
static int	bdb_add(struct hdb *, struct hdb_datum, struct hdb_datum);
static int	bdb_count(struct hdb *, size_t *);
static int	bdb_iterate(struct hdb *, struct hdb_datum, hdb_iter_fn,
		    void *);
static int	bdb_verify(struct hdb *);
static int	bdb_sync(struct hdb *);
static uint64_t	bdb_put_order(struct hdb *, struct hdb_datum);
static void	bdb_errcall(const DB_ENV *, const char *, const char *);
static int	bdb_fail(struct hdb *, struct be_bdb *, const char *,
		    const char *, int);
static int	to_dbt(struct hdb *, struct hdb_datum, DBT *);
static char	*pick_file(const char *);
static int	same_file(const char *, DB *);
static int	meta_ok(struct hdb *, const char *);
static void	release(struct be_bdb *);
static int	pages_ok(struct hdb *, struct be_bdb *);
static int	owned(const struct stat *);
static void	trust(const struct be_bdb *);
static void	bdb_precheck(const char *);
static int	bdb_free_bytes(struct hdb *, uint64_t *);
static int	bdb_free_bytes_file(const char *, uint64_t *);

const struct hdb_backend hdb_backend_bdb = {
	.name = "bdb",
	.caps = HDB_CAP_ORDER_KEPT,
	.suffix = "",
	.probe = bdb_probe,
	.open = bdb_open,
	.close = bdb_close,
	.get = bdb_get,
	.put = bdb_put,
	.del = bdb_del,
	.add = bdb_add,
	.count = bdb_count,
	.iterate_after = bdb_iterate,
	.verify = bdb_verify,
	.sync = bdb_sync,
	.put_order = bdb_put_order,
	.precheck = bdb_precheck,
	.free_bytes = bdb_free_bytes,
	.free_bytes_file = bdb_free_bytes_file,
};

/*
 * bdb_probe - the hash or btree magic as a u32 at offset 12, in either byte
 * order (BDB reads files from hosts of either endianness).
 */
static int
bdb_probe(const uint8_t *head, size_t len)
{
	static const uint32_t magics[] = { 0x00061561, 0x00053162 };
	uint32_t le, be;
	size_t i;

	if (len < 16)
		return 0;
	le = (uint32_t)head[12] | (uint32_t)head[13] << 8 |
	    (uint32_t)head[14] << 16 | (uint32_t)head[15] << 24;
	be = (uint32_t)head[15] | (uint32_t)head[14] << 8 |
	    (uint32_t)head[13] << 16 | (uint32_t)head[12] << 24;
	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (le == magics[i] || be == magics[i])
			return 1;
	return 0;
}

/*
 * bdb_errcall - keep BDB's first message since the operation began: verify
 * says what is wrong first and "DB_VERIFY_BAD" last.
 */
static void
bdb_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	struct be_bdb *b = env->app_private;

	if (b != NULL && b->msg[0] == '\0')
		snprintf(b->msg, sizeof(b->msg), "%s", msg);
}

static int
bdb_fail(struct hdb *h, struct be_bdb *b, const char *what, const char *file,
    int ret)
{
	return hdb_seterr(h, "%s '%s': %s", what, file,
	    b->msg[0] != '\0' ? b->msg : db_strerror(ret));
}

static int
to_dbt(struct hdb *h, struct hdb_datum d, DBT *t)
{
	if (d.len > UINT32_MAX)
		return hdb_seterr(h, "datum of %zu bytes is too large for bdb",
		    d.len);
	memset(t, 0, sizeof(*t));
	t->data = (void *)(uintptr_t)d.data;
	t->size = (u_int32_t)d.len;
	return HDB_OK;
}

/* pick_file - path, or path.db when only the ndbm emulation's file exists. */
static char *
pick_file(const char *path)
{
	struct stat st;
	size_t n;
	char *db;

	if (lstat(path, &st) == 0 || errno != ENOENT)
		return xstrdup(path);
	n = strlen(path) + 4;
	db = xmalloc(n);
	snprintf(db, n, "%s.db", path);
	if (lstat(db, &st) == 0)
		return db;
	free(db);
	return xstrdup(path);
}

/* same_file - is what BDB opened the regular file now at file? */
static int
same_file(const char *file, DB *db)
{
	struct stat st, fst;
	int fd;

	if (db->fd(db, &fd) != 0 || fstat(fd, &fst) == -1 ||
	    lstat(file, &st) == -1)
		return 0;
	return S_ISREG(st.st_mode) && st.st_dev == fst.st_dev &&
	    st.st_ino == fst.st_ino;
}

/*
 * meta_ok - refuse a meta page whose page size libdb would divide by or
 * trust: libdb 5.3 dies of SIGFPE opening a file whose page size is 0
 * (tests/data/hostile/magic-bdb-pagesize-0).  Every BDB access method keeps
 * the page size as a u32 at offset 20, in the byte order its magic at
 * offset 12 shows; valid sizes are powers of two from 512 to 65536.  A
 * file too short to hold it, or with no magic we know, is left to libdb.
 */
static int
meta_ok(struct hdb *h, const char *file)
{
	static const uint32_t magics[] = { 0x00061561, 0x00053162,
	    0x00042253, 0x00074582 };
	uint8_t m[24];
	uint32_t le, be, ps;
	size_t i;
	int fd;

	if ((fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return 1;
	i = pread(fd, m, sizeof(m), 0) == (ssize_t)sizeof(m);
	close(fd);
	if (!i)
		return 1;
	le = (uint32_t)m[12] | (uint32_t)m[13] << 8 | (uint32_t)m[14] << 16 |
	    (uint32_t)m[15] << 24;
	be = (uint32_t)m[15] | (uint32_t)m[14] << 8 | (uint32_t)m[13] << 16 |
	    (uint32_t)m[12] << 24;
	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		if (le == magics[i])
			ps = (uint32_t)m[20] | (uint32_t)m[21] << 8 |
			    (uint32_t)m[22] << 16 | (uint32_t)m[23] << 24;
		else if (be == magics[i])
			ps = (uint32_t)m[23] | (uint32_t)m[22] << 8 |
			    (uint32_t)m[21] << 16 | (uint32_t)m[20] << 24;
		else
			continue;
		if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0) {
			hdb_seterr(h, "cannot open '%s': damaged meta page "
			    "(page size %u)", file, ps);
			return 0;
		}
		return 1;
	}
	return 1;
}

/*
 * The files last found sound, or written by us, in this process: a tidy
 * opens the DB anew in every lock hold and need not read it all each
 * time.  Any write by another process moves its mtime and ctime.  Two,
 * so that a catch-up's reads of the replaced file (convert, import) do
 * not make the file that replaced it be checked again.
 */
#define NTRUST	2

static struct trusted {
	int		 set;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim, ctim;
	int		 ours;		/* hdb_bdb_own: trusted as it changes */
	char		 bad[200];	/* found damaged: why */
} trusted[NTRUST];
static unsigned trust_next;	/* the slot a new file takes */
static size_t full_checks;	/* pages_ok's reads of a whole file */

static struct trusted *
trust_slot(const struct stat *st)
{
	unsigned i;

	for (i = 0; i < NTRUST; i++)
		if (trusted[i].set && trusted[i].dev == st->st_dev &&
		    trusted[i].ino == st->st_ino)
			return &trusted[i];
	return NULL;
}

static int
same_content(const struct trusted *t, const struct stat *st)
{
	return t != NULL && st->st_size == t->size &&
	    st->st_mtim.tv_sec == t->mtim.tv_sec &&
	    st->st_mtim.tv_nsec == t->mtim.tv_nsec;
}

static int
same_stat(const struct stat *st)
{
	const struct trusted *t = trust_slot(st);

	return same_content(t, st) &&
	    st->st_ctim.tv_sec == t->ctim.tv_sec &&
	    st->st_ctim.tv_nsec == t->ctim.tv_nsec;
}

/* remember - the file as st shows it was checked: sound, or bad. */
static void
remember(const struct stat *st, const char *bad)
{
	struct trusted *t;

	if ((t = trust_slot(st)) == NULL) {
		/* never the file a catch-up owns: its reads of the old
		 * file would have the new one checked again */
		t = &trusted[trust_next++ % NTRUST];
		if (t->set && t->ours)
			t = &trusted[trust_next++ % NTRUST];
		t->ours = 0;
	}
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	t->size = st->st_size;
	t->mtim = st->st_mtim;
	t->ctim = st->st_ctim;
	snprintf(t->bad, sizeof(t->bad), "%s", bad);
	t->set = 1;
}

static void
trust(const struct be_bdb *b)
{
	struct stat st;
	int fd;

	if (b->db->fd(b->db, &fd) == 0 && fstat(fd, &st) == 0)
		remember(&st, "");
}

/*
 * bdb_precheck - hdb_bdb_check on the file now, with no lock: its finding
 * stands for the file as long as its size and times do not move.  Only
 * a write moves them, and only to another clock tick: a file written
 * within a tick of the first look might be written again unseen, and is
 * left to the check under the lock.
 */
#define TICK_NS		50000000L	/* more than the clock tick of file times */

static void
bdb_precheck(const char *path)
{
	struct stat st, after;
	struct timespec now;
	char *file = pick_file(path), why[200];
	int fd, rc, e;

	fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(file);
	if (fd == -1)
		return;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || same_stat(&st) || owned(&st) ||
	    hdb_pin_clock(path, &now) == -1 ||
	    (now.tv_sec - st.st_mtim.tv_sec) * 1000000000L +
	    (now.tv_nsec - st.st_mtim.tv_nsec) < TICK_NS) {
		close(fd);
		return;
	}
	rc = hdb_bdb_check(fd, why, sizeof(why));
	e = errno;
	if (fstat(fd, &after) == 0 && after.st_size == st.st_size &&
	    after.st_mtim.tv_sec == st.st_mtim.tv_sec &&
	    after.st_mtim.tv_nsec == st.st_mtim.tv_nsec &&
	    after.st_ctim.tv_sec == st.st_ctim.tv_sec &&
	    after.st_ctim.tv_nsec == st.st_ctim.tv_nsec &&
	    (rc == HDB_OK || e == EIO))	/* damage, not a failed read */
		remember(&st, rc == HDB_OK ? "" : why[0] != '\0' ? why :
		    "damaged");
	close(fd);
}

/*
 * owned - the file is one this process made and owns (hdb_bdb_own): only
 * Exim's writers, through libdb under its lock, have written it since.
 */
static int
owned(const struct stat *st)
{
	const struct trusted *t = trust_slot(st);

	return t != NULL && t->ours && t->bad[0] == '\0';
}

void
hdb_bdb_own(const struct stat *st, int on)
{
	struct trusted *t = trust_slot(st);

	if (t != NULL && (!on || (same_stat(st) && t->bad[0] == '\0')))
		t->ours = on;
}

size_t
hdb_bdb_full_checks(void)
{
	return full_checks;
}

void
hdb_bdb_retrust(const struct stat *st)
{
	struct trusted *t = trust_slot(st);

	if (same_content(t, st))
		t->ctim = st->st_ctim;
}

/* pages_ok - HDB_OK once the file's pages are known sound for libdb. */
static int
pages_ok(struct hdb *h, struct be_bdb *b)
{
	struct stat st;
	char why[200];
	int fd;

	if (b->checked)
		return HDB_OK;
	if (b->db->fd(b->db, &fd) != 0 || fstat(fd, &st) == -1)
		return hdb_seterr(h, "cannot read '%s': %s", b->file,
		    strerror(errno));
	if (same_stat(&st) && trust_slot(&st)->bad[0] != '\0')
		return hdb_seterr(h, "'%s' is damaged: %s (hintsdb check "
		    "--repair rebuilds it)", b->file, trust_slot(&st)->bad);
	if (!same_stat(&st) && !owned(&st)) {
		full_checks++;
		if (hdb_bdb_check(fd, why, sizeof(why)) != HDB_OK) {
			if (errno == EIO)
				remember(&st, why);
			return hdb_seterr(h, "'%s' is damaged: %s (hintsdb "
			    "check --repair rebuilds it)", b->file, why);
		}
		trust(b);
	}
	b->checked = 1;
	return HDB_OK;
}

static void
release(struct be_bdb *b)
{
	if (b == NULL)
		return;
	if (b->db != NULL)
		b->db->close(b->db, 0);
	if (b->env != NULL)
		b->env->close(b->env, DB_FORCESYNC);
	free(b->file);
	free(b->val);
	free(b);
}

/*
 * A bulk writer (hdb_create with a count) fills a new file with records in
 * an order unrelated to their hash pages.  With libdb's default 256 KB
 * cache nearly every put then evicts a dirty page and reads another
 * (pwrite+pread, a third of import's time), and the table splits its way
 * up from one bucket.  So a new file gets a bigger cache, bounded, and is
 * sized for the count up front; the file is an ordinary hash file either
 * way (Exim sets neither).
 */
#define BULK_CACHE_MIN	(256u << 10)
#define BULK_CACHE_MAX	(24u << 20)
#define LEAN_CACHE_MAX	(8u << 20)	/* HDB_O_LEAN */

static void
bulk_env(DB_ENV *env, size_t expect, int lean, int inorder)
{
	size_t want = expect * 256;	/* about a page's share a record */
	size_t max = lean ? LEAN_CACHE_MAX : BULK_CACHE_MAX;

	/*
	 * Puts in the file's order (HDB_O_INORDER) touch each page in
	 * turn: libdb's default does, and every MB of cache not needed is
	 * 256 page faults of fresh memory, dear on a virtual machine.
	 */
	if (expect == 0 || inorder)
		return;
	if (want < BULK_CACHE_MIN)
		want = BULK_CACHE_MIN;
	if (want > max)
		want = max;
	(void)env->set_cachesize(env, 0, (u_int32_t)want, 1);
}

/*
 * The table of a bulk writer's new file is made at its full size, so that
 * it does not split its way up from two buckets (a sixth of an import's
 * instructions): libdb sizes it from nelem only together with a fill
 * factor, as nelem / ffactor buckets rounded up to a power of two.  The
 * factor stays in the file and splits a bucket whose page holds more
 * pairs than it: BULK_FFACTOR is more than any page (64 KiB, 7 bytes a
 * pair at least) can hold, so later writers split only on overflow, as
 * in a file made without one.  BULK_PAIRS a bucket leaves a 4 KiB page
 * about half full with Exim's small records; bigger ones overflow and
 * split as they would anyway.  Below BULK_MIN records the table grows
 * as Exim's own does (and a small file keeps its hash order).  Only for
 * a writer that knows its count and puts in order (HDB_O_INORDER,
 * import): convert's count is a guess from the file size, and a table
 * made too big, once it splits, has libdb allocate the next doubling of
 * pages, a file of twice the size to read through at each check.
 */
#define BULK_FFACTOR	16384u
#define BULK_PAIRS	32u
#define BULK_BUCKETS	(1u << 17)	/* x BULK_FFACTOR fits nelem */
#define BULK_MIN	8192u

static uint32_t
bulk_buckets(size_t expect)
{
	size_t want = expect / BULK_PAIRS + 1;
	uint32_t n = 2;

	if (want > BULK_BUCKETS)
		want = BULK_BUCKETS;
	while (n < want)
		n <<= 1;
	return n;
}

/*
 * given_buckets - HDB_O_BUCKETS's count, a power of two of BULK_MIN /
 * BULK_PAIRS or more, at most BULK_BUCKETS (so that nelem fits); or 0 to
 * let a small table grow as Exim's does.  Its puts come in about its
 * order, so the new file needs no more than libdb's default cache.
 */
static uint32_t
given_buckets(size_t n)
{
	if (n < BULK_MIN / BULK_PAIRS || (n & (n - 1)) != 0)
		return 0;
	return n > BULK_BUCKETS ? BULK_BUCKETS : (uint32_t)n;
}

/* Hash meta page (libdb's db_page.h, HMETA33). */
#define HMETA_MAGIC	0x061561
#define HMETA_TYPE	8		/* P_HASHMETA */
#define HMETA_MAX_BUCKET 72
#define HMETA_LEN	76

uint32_t
hdb_bdb_buckets(const char *path)
{
	uint8_t meta[HMETA_LEN];
	uint32_t magic, mb;
	char *file = pick_file(path);
	int fd, swap;
	ssize_t n;

	fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(file);
	if (fd == -1)
		return 0;
	n = pread(fd, meta, sizeof(meta), 0);
	close(fd);
	if (n != (ssize_t)sizeof(meta) || meta[25] != HMETA_TYPE)
		return 0;
	memcpy(&magic, meta + 12, 4);
	memcpy(&mb, meta + HMETA_MAX_BUCKET, 4);
	swap = magic != HMETA_MAGIC;
	if (swap && __builtin_bswap32(magic) != HMETA_MAGIC)
		return 0;
	if (swap)
		mb = __builtin_bswap32(mb);
	return mb < UINT32_MAX ? mb + 1 : 0;
}

/*
 * bdb_put_order - for a bulk writer's new table, the bucket key goes to
 * (libdb's hash, __ham_func5, masked as __ham_call_hash does for a table
 * that has not split): puts in this order fill the pages in file order,
 * each once, where key order evicts a dirty page and reads another for
 * nearly every put once the file outgrows the cache.  0 otherwise.
 */
static uint64_t
bdb_put_order(struct hdb *h, struct hdb_datum key)
{
	const struct be_bdb *b = h->priv;
	uint32_t x = 0;
	size_t i;

	if (b == NULL || b->buckets == 0)
		return 0;
	for (i = 0; i < key.len; i++) {
		x *= 16777619u;
		x ^= key.data[i];
	}
	return x & (b->buckets - 1);
}

static int
bdb_open(struct hdb *h, const char *path, int flags, mode_t mode)
{
	struct be_bdb *b;
	struct stat st;
	const char *name;
	char *cwd = NULL, *full = NULL;
	DBTYPE type = DB_UNKNOWN;
	u_int32_t dbflags = 0;
	int ret, rc = HDB_ERR;

	b = xcalloc(1, sizeof(*b));
	b->file = pick_file(path);
	if (lstat(b->file, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			hdb_seterr(h, "cannot open '%s': %s", b->file,
			    strerror(ELOOP));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			hdb_seterr(h, "cannot open '%s': not a regular file",
			    b->file);
			goto out;
		}
		if (!meta_ok(h, b->file))
			goto out;
	} else if (errno != ENOENT || !(flags & HDB_O_CREATE)) {
		hdb_seterr(h, "cannot open '%s': %s", b->file, strerror(errno));
		goto out;
	} else {
		type = DB_HASH;
		dbflags = DB_CREATE;
	}

	if (!(flags & HDB_O_RDWR)) {
		if ((ret = db_create(&b->db, NULL, 0)) != 0) {
			hdb_seterr(h, "cannot open '%s': %s", b->file,
			    db_strerror(ret));
			goto out;
		}
		b->db->set_errcall(b->db, bdb_errcall);
		b->db->get_env(b->db)->app_private = b;
		ret = b->db->open(b->db, NULL, b->file, NULL, DB_UNKNOWN,
		    DB_RDONLY, 0);
		if (ret != 0) {
			bdb_fail(h, b, "cannot open", b->file, ret);
			goto out;
		}
	} else {
		/*
		 * Not as Exim, whose env home is the file's directory: libdb
		 * then reads HOME/DB_CONFIG, which the Exim user may write
		 * (set_data_dir and the like move where files go).  No home,
		 * so no DB_CONFIG; the file by its full name.
		 */
		if (b->file[0] == '/')
			name = b->file;
		else if ((cwd = getcwd(NULL, 0)) == NULL ||
		    asprintf(&full, "%s/%s", cwd, b->file) == -1) {
			hdb_seterr(h, "cannot open '%s': %s", b->file,
			    strerror(errno));
			full = NULL;
			goto out;
		} else
			name = full;
		if ((ret = db_env_create(&b->env, 0)) != 0) {
			hdb_seterr(h, "cannot open '%s': %s", b->file,
			    db_strerror(ret));
			goto out;
		}
		b->env->set_errcall(b->env, bdb_errcall);
		b->env->app_private = b;
		if (dbflags & DB_CREATE)
			bulk_env(b->env, (flags & HDB_O_BUCKETS) ? 0 :
			    h->expect, (flags & HDB_O_LEAN) != 0,
			    (flags & (HDB_O_INORDER | HDB_O_BUCKETS)) != 0);
		ret = b->env->open(b->env, NULL,
		    DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0);
		if (ret != 0) {
			bdb_fail(h, b, "cannot open environment for", b->file,
			    ret);
			goto out;
		}
		if ((ret = db_create(&b->db, b->env, 0)) != 0) {
			bdb_fail(h, b, "cannot open", b->file, ret);
			goto out;
		}
		if ((dbflags & DB_CREATE) && (flags & HDB_O_INORDER) &&
		    h->expect >= BULK_MIN &&
		    b->db->set_h_ffactor(b->db, BULK_FFACTOR) == 0 &&
		    b->db->set_h_nelem(b->db, bulk_buckets(h->expect) *
		    BULK_FFACTOR) == 0)
			b->buckets = bulk_buckets(h->expect);
		if ((dbflags & DB_CREATE) && (flags & HDB_O_BUCKETS) &&
		    given_buckets(h->expect) != 0 &&
		    b->db->set_h_ffactor(b->db, BULK_FFACTOR) == 0 &&
		    b->db->set_h_nelem(b->db, given_buckets(h->expect) *
		    BULK_FFACTOR) == 0)
			b->buckets = given_buckets(h->expect);
		ret = b->db->open(b->db, NULL, name, NULL, type, dbflags,
		    (int)mode);
		if (ret != 0) {
			bdb_fail(h, b, "cannot open", b->file, ret);
			goto out;
		}
	}
	if (!same_file(b->file, b->db)) {
		hdb_seterr(h, "cannot open '%s': file replaced while opening",
		    b->file);
		goto out;
	}
	b->checked = (dbflags & DB_CREATE) != 0;	/* libdb's own pages */
	h->priv = b;
	b = NULL;
	rc = HDB_OK;
out:
	release(b);
	free(cwd);
	free(full);
	return rc;
}

static void
bdb_close(struct hdb *h)
{
	struct be_bdb *b = h->priv;

	/* what we wrote under the write lock is libdb's own: trusted */
	if (b != NULL && b->checked && (h->flags & HDB_O_RDWR) &&
	    b->db->sync(b->db, 0) == 0)
		trust(b);
	release(h->priv);
	h->priv = NULL;
}

static int
bdb_get(struct hdb *h, struct hdb_datum key, struct hdb_datum *val)
{
	struct be_bdb *b = h->priv;
	DBT k, v;
	int ret;

	if (pages_ok(h, b) != HDB_OK || to_dbt(h, key, &k) != HDB_OK)
		return HDB_ERR;
	memset(&v, 0, sizeof(v));
	v.data = b->val;
	v.flags = DB_DBT_REALLOC;
	b->msg[0] = '\0';
	ret = b->db->get(b->db, NULL, &k, &v, 0);
	b->val = v.data;
	if (ret == DB_NOTFOUND || ret == DB_KEYEMPTY)
		return HDB_NOTFOUND;
	if (ret != 0)
		return bdb_fail(h, b, "cannot read", h->path, ret);
	val->data = v.size > 0 ? v.data : (const uint8_t *)"";
	val->len = v.size;
	return HDB_OK;
}

/* bdb_write - DB->put with flags: 0 (put) or DB_NOOVERWRITE (add). */
static int
bdb_write(struct hdb *h, struct hdb_datum key, struct hdb_datum val,
    u_int32_t flags)
{
	struct be_bdb *b = h->priv;
	DBT k, v;
	int ret;

	if (pages_ok(h, b) != HDB_OK || to_dbt(h, key, &k) != HDB_OK ||
	    to_dbt(h, val, &v) != HDB_OK)
		return HDB_ERR;
	b->msg[0] = '\0';
	ret = b->db->put(b->db, NULL, &k, &v, flags);
	if (ret == DB_KEYEXIST)
		return HDB_EXISTS;
	if (ret != 0)
		return bdb_fail(h, b, "cannot write", h->path, ret);
	return HDB_OK;
}

static int
bdb_put(struct hdb *h, struct hdb_datum key, struct hdb_datum val)
{
	return bdb_write(h, key, val, 0);
}

static int
bdb_add(struct hdb *h, struct hdb_datum key, struct hdb_datum val)
{
	return bdb_write(h, key, val, DB_NOOVERWRITE);
}

static int
bdb_del(struct hdb *h, struct hdb_datum key)
{
	struct be_bdb *b = h->priv;
	DBT k;
	int ret;

	if (pages_ok(h, b) != HDB_OK || to_dbt(h, key, &k) != HDB_OK)
		return HDB_ERR;
	b->msg[0] = '\0';
	ret = b->db->del(b->db, NULL, &k, 0);
	if (ret == DB_NOTFOUND || ret == DB_KEYEMPTY)
		return HDB_NOTFOUND;
	if (ret != 0)
		return bdb_fail(h, b, "cannot delete from", h->path, ret);
	return HDB_OK;
}

/*
 * bulk_walk - the records from cursor c on, a page of pairs a get
 * (DB_MULTIPLE_KEY), each handed to fn while it points into the buffer.
 * A pair bigger than the buffer makes it grow to what libdb asks.  Returns
 * fn's non-zero return, else 0 with libdb's last return in *ret
 * (DB_NOTFOUND at the end).
 */
static int
bulk_walk(DBC *c, u_int32_t buflen, hdb_iter_fn fn, void *ctx, int *ret)
{
	struct hdb_datum hk, hv;
	DBT k, v;
	void *p, *rk, *rd;
	u_int32_t rkl, rdl;
	int rc = 0;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	v.ulen = buflen;
	v.flags = DB_DBT_USERMEM;
	v.data = xmalloc(v.ulen);
	for (;;) {
		*ret = c->get(c, &k, &v, DB_NEXT | DB_MULTIPLE_KEY);
		if (*ret == DB_BUFFER_SMALL && v.size > v.ulen) {
			v.ulen = (v.size + 1023) & ~1023u;
			v.data = xreallocarray(v.data, v.ulen, 1);
			continue;
		}
		if (*ret != 0)
			break;
		DB_MULTIPLE_INIT(p, &v);
		for (;;) {
			DB_MULTIPLE_KEY_NEXT(p, &v, rk, rkl, rd, rdl);
			if (p == NULL)
				break;
			hk.data = rkl > 0 ? rk : (const uint8_t *)"";
			hk.len = rkl;
			hv.data = rdl > 0 ? rd : (const uint8_t *)"";
			hv.len = rdl;
			if ((rc = fn(ctx, hk, hv)) != 0)
				goto out;
		}
	}
out:
	free(v.data);
	return rc;
}

/*
 * bdb_iterate - a cursor walk, from the first record or from just after the
 * key `after` (DB_SET on it, then DB_NEXT), in bulk (bulk_walk): a cursor
 * step a record cost 2,400 instructions, 40% of a tidy's.
 */
#define ITER_BUF	(64u << 10)

static int
bdb_iterate(struct hdb *h, struct hdb_datum after, hdb_iter_fn fn, void *ctx)
{
	struct be_bdb *b = h->priv;
	DBC *c = NULL;
	DBT k, v;
	int ret, rc = HDB_ERR;

	if (pages_ok(h, b) != HDB_OK)
		return HDB_ERR;
	b->msg[0] = '\0';
	if ((ret = b->db->cursor(b->db, NULL, &c, 0)) != 0) {
		bdb_fail(h, b, "cannot iterate over", h->path, ret);
		goto out;
	}
	memset(&v, 0, sizeof(v));
	if (after.data != NULL) {
		if (to_dbt(h, after, &k) != HDB_OK)
			goto out;
		ret = c->get(c, &k, &v, DB_SET);
		if (ret == DB_NOTFOUND || ret == DB_KEYEMPTY) {
			rc = HDB_NOTFOUND;
			goto out;
		}
		if (ret != 0) {
			rc = bdb_fail(h, b, "cannot iterate over", h->path,
			    ret);
			goto out;
		}
	}
	if ((rc = bulk_walk(c, ITER_BUF, fn, ctx, &ret)) != 0)
		goto out;
	rc = ret == DB_NOTFOUND ? HDB_OK :
	    bdb_fail(h, b, "cannot iterate over", h->path, ret);
out:
	if (c != NULL)
		c->close(c);
	return rc;
}

/*
 * bdb_count - bulk_walk with a bigger buffer: each pair is still read out
 * of its page (and a big one off its overflow pages), at a tenth of a
 * cursor step each.
 */
#define COUNT_BUF	(1u << 20)

static int
count_one(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	(void)key, (void)val;
	(*(size_t *)ctx)++;
	return 0;
}

static int
bdb_count(struct hdb *h, size_t *n)
{
	struct be_bdb *b = h->priv;
	DBC *c = NULL;
	int ret, rc = HDB_ERR;

	*n = 0;
	if (pages_ok(h, b) != HDB_OK)
		return HDB_ERR;
	b->msg[0] = '\0';
	if ((ret = b->db->cursor(b->db, NULL, &c, 0)) != 0) {
		bdb_fail(h, b, "cannot iterate over", h->path, ret);
		return HDB_ERR;
	}
	(void)bulk_walk(c, COUNT_BUF, count_one, n, &ret);
	rc = ret == DB_NOTFOUND ? HDB_OK :
	    bdb_fail(h, b, "cannot iterate over", h->path, ret);
	c->close(c);
	return rc;
}

/*
 * bdb_verify - DB->verify wants a handle that was never opened, and it
 * destroys that handle, so it gets a fresh one with no environment.  It only
 * reads the file.  A writer's cached pages are flushed first so that the
 * file on disk is what we check.  Pages our own check refuses never reach
 * it: libdb's verify too frees what it never allocated on some of them
 * (__heap_vrfy, on a hash file with a heap page).
 */
/*
 * libdb's verify keeps its tables of pages in its cache, by default 256
 * KiB: on 1M records it then re-read pages 1.2 million times and wrote 1.6
 * GB to temporary files (in /var/tmp), slowing Exim's own syncs; with 32
 * MiB, 150 MB, and it takes 3.9 s instead of 5.8 s.
 */
#define VERIFY_CACHE	(32u << 20)

static int
bdb_verify(struct hdb *h)
{
	struct be_bdb *b = h->priv;
	DB *v;
	int ret;

	b->msg[0] = '\0';
	if ((h->flags & HDB_O_RDWR) && (ret = b->db->sync(b->db, 0)) != 0)
		return bdb_fail(h, b, "cannot sync", h->path, ret);
	if (pages_ok(h, b) != HDB_OK)
		return HDB_ERR;
	if ((ret = db_create(&v, NULL, 0)) != 0)
		return bdb_fail(h, b, "cannot verify", h->path, ret);
	v->set_errcall(v, bdb_errcall);
	/* a cache for the verify's page tables, or they spill (a hint) */
	(void)v->set_cachesize(v, 0, VERIFY_CACHE, 1);
	v->get_env(v)->app_private = b;
	ret = v->verify(v, b->file, NULL, NULL, 0);
	if (ret != 0)
		return bdb_fail(h, b, "damaged", b->file, ret);
	return HDB_OK;
}

static int
bdb_sync(struct hdb *h)
{
	struct be_bdb *b = h->priv;
	int ret;

	if (!(h->flags & HDB_O_RDWR))
		return HDB_OK;
	b->msg[0] = '\0';
	if ((ret = b->db->sync(b->db, 0)) != 0)
		return bdb_fail(h, b, "cannot sync", h->path, ret);
	return HDB_OK;
}

/*
 * Free space by the page headers (db_page.h: entries at 20, hf_offset at
 * 22, type at 25, 26 bytes in all).  DB->stat would count the same, but
 * through its cache and with every item of every page: a walk of the
 * headers alone, in big reads, costs the file's bytes once and nothing
 * more.  A page with items has hf_offset - (26 + 2 x entries) bytes
 * between its index and its items; an overflow page uses hf_offset bytes
 * after its header; a page of type 0 is on the free list or was never
 * written (the hash table's spare buckets): all of it.
 */
#define PG_HDR		26
#define PG_INVALID	0
#define PG_OVERFLOW	7
#define PG_HASHMETA	8
#define PG_BTREEMETA	9

static uint16_t
pg16(const uint8_t *p, int swap)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return swap ? (uint16_t)(v >> 8 | v << 8) : v;
}

static uint64_t
page_free(const uint8_t *pg, uint32_t psize, int swap)
{
	unsigned entries = pg16(pg + 20, swap), hf = pg16(pg + 22, swap);

	switch (pg[25]) {
	case PG_INVALID:
		return psize;
	case PG_HASHMETA:
	case PG_BTREEMETA:
		return 0;
	case PG_OVERFLOW:
		return hf <= psize - PG_HDR ? psize - PG_HDR - hf : 0;
	default:
		if (hf > psize || PG_HDR + 2 * entries > hf)
			return 0;	/* damaged or foreign: count nothing */
		return hf - PG_HDR - 2 * entries;
	}
}

/*
 * skip_hole - a hole at *off holds pages never written: count them free
 * without reading them (a file may claim far more than it holds) and move
 * *off to the page where data begins.  0 at the end of the file, 1 to
 * read on, -1 with errno.
 */
static ssize_t
skip_hole(int fd, uint64_t *off, uint32_t psize, uint64_t *fb)
{
	struct stat st;
	off_t data = lseek(fd, (off_t)*off, SEEK_DATA);

	if (data == -1 && errno == ENXIO) {	/* a hole to the end */
		if (fstat(fd, &st) == -1)
			return -1;
		if ((uint64_t)st.st_size > *off)
			*fb += ((uint64_t)st.st_size - *off) / psize * psize;
		return 0;
	}
	if (data == -1)		/* no SEEK_DATA here: read it all */
		return 1;
	data -= data % psize;
	if ((uint64_t)data > *off) {
		*fb += (uint64_t)data - *off;
		*off = (uint64_t)data;
	}
	return 1;
}

/*
 * walk_free - the free bytes of every page of the file open at fd, in
 * reads of 1 MiB; the page size and byte order from the meta page.  0, or
 * -1 with errno (EINVAL: not a file of pages this walk knows).
 */
static int
walk_free(int fd, uint64_t *fb)
{
	enum { CHUNK = 1 << 20 };
	uint8_t *buf, meta[PG_HDR];
	uint32_t psize, magic;
	uint64_t off;
	ssize_t n, i;
	int swap;

	if (pread(fd, meta, sizeof(meta), 0) != (ssize_t)sizeof(meta)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&magic, meta + 12, 4);
	memcpy(&psize, meta + 20, 4);
	swap = magic != 0x061561 && magic != 0x053162;
	if (swap)
		psize = __builtin_bswap32(psize);
	if (psize < 512 || psize > 65536 || (psize & (psize - 1)) != 0) {
		errno = EINVAL;
		return -1;
	}
	buf = xmalloc(CHUNK);
	for (off = 0; (n = skip_hole(fd, &off, psize, fb)) > 0 &&
	    (n = pread(fd, buf, CHUNK, (off_t)off)) > 0; off += n)
		for (i = 0; i + (ssize_t)psize <= n; i += psize)
			*fb += page_free(buf + i, psize, swap);
	free(buf);
	return n < 0 ? -1 : 0;
}

static int
bdb_free_bytes(struct hdb *h, uint64_t *fb)
{
	struct be_bdb *b = h->priv;
	int fd;

	if (b->db->fd(b->db, &fd) != 0 || walk_free(fd, fb) == -1)
		return hdb_seterr(h, "cannot read the pages of '%s': %s",
		    b->file, strerror(errno));
	return HDB_OK;
}

/* bdb_free_bytes_file - the same with no lock, as bdb_precheck reads. */
static int
bdb_free_bytes_file(const char *path, uint64_t *fb)
{
	char *file = pick_file(path);
	struct stat st;
	int fd, rc = HDB_ERR, e;

	fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(file);
	if (fd == -1)
		return HDB_ERR;
	if (fstat(fd, &st) == -1)
		;
	else if (!S_ISREG(st.st_mode))
		errno = EINVAL;
	else if (walk_free(fd, fb) == 0)
		rc = HDB_OK;
	e = errno;
	close(fd);
	errno = e;
	return rc;
}
