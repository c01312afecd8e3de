/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * be_tdb.c - the TDB (Samba trivial database) backend, opened as Exim does:
 * hash size 0 (the default 131), TDB_DEFAULT, open(2) flags and mode; a
 * file made by a bulk writer (hdb_create) gets chains for its records.
 * Readers too open read-write where they may, for TDB's fcntl locks (see
 * RECOVER_RO).
 *
 * Two traps in tdb_open shape the open below.  It follows symlinks, so we
 * lstat first and compare device and inode with what TDB opened.  And with
 * O_CREAT it overwrites any file whose header is not TDB's, so O_CREAT is
 * passed only for a file we have just created empty ourselves.  We never
 * keep a second descriptor on the file: closing one would drop TDB's fcntl
 * locks, which belong to the process.
 *
 * Writes are not wrapped in a transaction (Exim 4.99 does that for its
 * normal opens).  A caller whose batch must survive a kill whole wraps
 * it in hdb_tdb_txn: outside one, a delete made by hand (raw_del) or by
 * libtdb is several writes, and a kill between them damages the file.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "db/atomic.h"
#include "db/hdb.h"
#include "db/pin.h"
#include "xmalloc.h"

/* The record a locked walk has just handed to its callback (raw_del). */
struct tdb_cur {
	uint32_t	 off;		/* 0: none, or not to be freed by hand */
	uint32_t	 link;		/* where the pointer to it is, or 0 */
	int		 chain;
	TDB_DATA	 key;
	int		 gone;		/* raw_del freed it */
};

/*
 * A chain's first deletion in a hold transaction, left live in the file
 * until the commit deletes it through libtdb (hold_flush).
 */
struct tdb_pend {
	int		 chain;
	size_t		 koff, klen;	/* in pbuf */
};

struct be_tdb {
	struct tdb_context *tdb;
	uint8_t		*val;		/* last get's value */
	size_t		 valcap;
	size_t		 vallen;
	char		 msg[200];	/* TDB's last logged error */
	int		 mid_commit;	/* TDB met a commit it may not undo */
	int		 raw;		/* the file's layout is the one we know */
	uint8_t		*map;		/* the file, for locked walks */
	size_t		 maplen;
	int		 locked;	/* in a walk under tdb_lockall, mapped */
	unsigned	 gen;		/* counts libtdb's writes (walk_chain) */
	struct tdb_cur	 cur;
	/* a hold transaction (hdb_tdb_txn): the deletions marked by hand,
	 * one deletion a chain left to libtdb, and whether libtdb has
	 * written under it (then the map no longer shows the file) */
	int		 txn;
	int		 txn_lib;
	uint32_t	*marked;
	size_t		 nmarked, capmarked;
	struct tdb_pend	*pend;
	size_t		 npend, cappend;
	uint8_t		*pbuf;
	size_t		 pblen, pbcap;
	int		 own_rec;	/* our first commit made the recovery area */
	int		 began;		/* a hold transaction was begun */
	/* others_recent: the file's mtime at our last look, whether the
	 * next write of ours should look again first, and when (realtime
	 * seconds) another process was last seen writing */
	struct timespec	 mt_seen;
	int		 mt_armed;
	time_t		 other_at;
};

/*
 * A read-only TDB handle takes no locks, so it can meet another process's
 * transaction mid-commit (Exim 4.99+ commits at every close): TDB then
 * sees a recovery record, refuses to recover a read-only file and fails
 * the open or the chain, and tdb_check reports the half-written file as
 * damaged.  So a reader opens the file read-write when it may (it writes
 * nothing: hdb refuses puts and deletes on it; TDB itself would only
 * finish the commit of a writer that died, as any open does) and TDB
 * locks each chain as it reads it.  Without write permission it opens
 * read-only, and where it meets a commit tries again: it is over in
 * milliseconds.
 */
#define RECOVER_RO	"attempt to recover read only database"
#define RETRY_US	1000
#define RETRY_MAX	3000	/* 3 s of commits in a row: give up */
/* another process that wrote within this many seconds still writes */
#define OTHERS_RECENT_S	5

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
static int	tdb_be_quiet(struct hdb *, int);
static int	tdb_be_sync(struct hdb *);
static int	tdb_be_free_bytes(struct hdb *, uint64_t *);
static void	tdb_log(struct tdb_context *, enum tdb_debug_level,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
static int	tdb_fail(struct hdb *, const char *);
static int	copy_val(TDB_DATA, TDB_DATA, void *);
static TDB_DATA	to_tdb(struct hdb_datum);
static int	hash_for(size_t);
static int	same_key(TDB_DATA, const uint8_t *, size_t);
static int	raw_del(struct hdb *);
static int	raw_layout(struct be_tdb *);
static void	map_close(struct be_tdb *);
static int	pend_key(const struct be_tdb *, const uint8_t *, size_t);
static int	pend_apply(struct hdb *);
static int	txn_del(struct hdb *, struct hdb_datum);
static void	txn_end(struct be_tdb *, int);

const struct hdb_backend hdb_backend_tdb = {
	.name = "tdb",
	.caps = HDB_CAP_DEL_IN_ITER | HDB_CAP_ORDER_KEPT | HDB_CAP_STAYS_OPEN |
	    HDB_CAP_WRITES_THROUGH | HDB_CAP_LOCKFILE_IF_THERE,
	.suffix = "",
	.probe = tdb_probe,
	.open = tdb_be_open,
	.close = tdb_be_close,
	.get = tdb_be_get,
	.put = tdb_be_put,
	.del = tdb_be_del,
	.iterate_after = tdb_be_iterate,
	.verify = tdb_be_verify,
	.quiet = tdb_be_quiet,
	.sync = tdb_be_sync,
	.free_bytes = tdb_be_free_bytes,
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
	if (strstr(t->msg, RECOVER_RO) != NULL)
		t->mid_commit = 1;
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

/*
 * hash_for - the hash chains of a new file for about n records: Exim's
 * default 131 (hash size 0) unless n is known, else a prime near n/4, so
 * that a chain holds a few records and a lookup or delete does not walk
 * n/131 of them.  Exim reads the size from the header of a file it opens.
 */
static int
hash_for(size_t n)
{
	static const int primes[] = { 131, 521, 2053, 8209, 32771, 131071,
	    524287 };
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i + 1 < sizeof(primes) / sizeof(primes[0]); i++)
		if ((size_t)primes[i] >= n / 4)
			break;
	return primes[i];
}

/* tdb_of - h's TDB state, or NULL if h is not an open TDB handle. */
static struct be_tdb *
tdb_of(struct hdb *h)
{
	return h == NULL || h->be != &hdb_backend_tdb ? NULL : h->priv;
}

unsigned
hdb_tdb_chains(struct hdb *h)
{
	struct be_tdb *t;

	if ((t = tdb_of(h)) == NULL)
		return 0;
	return (unsigned)tdb_hash_size(t->tdb);
}

/*
 * The header's recovery_start (u32 at offset 44, native order): TDB
 * allocates a recovery area at the first transaction commit and keeps it.
 */
int
hdb_tdb_txn_used(struct hdb *h)
{
	struct be_tdb *t;
	uint32_t rec;

	if ((t = tdb_of(h)) == NULL)
		return 0;
	if (pread(tdb_fd(t->tdb), &rec, sizeof(rec), 44) != sizeof(rec))
		return 1;	/* cannot tell: sync, as before */
	return rec != 0;
}

/*
 * mt_look - the file's mtime now, into *ts; 0, or -1 if fstat fails.
 * Every write changes it: pwrite, a write fault on a clean page of the
 * shared map, and libtdb's utime() at the end of each transaction commit.
 */
static int
mt_look(struct be_tdb *t, struct timespec *ts)
{
	struct stat st;

	if (fstat(tdb_fd(t->tdb), &st) == -1)
		return -1;
	*ts = st.st_mtim;
	return 0;
}

/*
 * others_check - before the first write of ours since others_mark: if the
 * file changed meanwhile, another process wrote it (between two holds,
 * where Exim's writers come in).
 */
static void
others_check(struct be_tdb *t)
{
	struct timespec now;

	if (!t->mt_armed)
		return;
	t->mt_armed = 0;
	if (mt_look(t, &now) == 0 && (now.tv_sec != t->mt_seen.tv_sec ||
	    now.tv_nsec != t->mt_seen.tv_nsec))
		t->other_at = time(NULL);
}

/* others_mark - the file as it is now is ours to compare with. */
static void
others_mark(struct be_tdb *t)
{
	if (mt_look(t, &t->mt_seen) == 0)
		t->mt_armed = 1;
}

/*
 * others_recent - has another process written the file within
 * OTHERS_RECENT_S seconds?  Looked at when the file is opened (its mtime)
 * and before our first write after each hdb_sync_late.
 */
static int
others_recent(struct be_tdb *t)
{
	others_check(t);
	others_mark(t);
	return time(NULL) - t->other_at < OTHERS_RECENT_S;
}

/*
 * hdb_sync_late: sync each hold only while transaction writers are at
 * work: the file has a recovery area (a transaction was ever committed)
 * and another process wrote it lately.  A recovery area alone is no sign
 * of them: it stays for good, after a single Exim 4.99 write or our own
 * convert --in-place, and then every tidy synced every hold (300k
 * records: 11.8 s against 0.54 s); nor is one made by this handle's own
 * first hold transaction.
 */
int
hdb_sync_late(struct hdb *h)
{
	struct be_tdb *t = tdb_of(h);

	if (t == NULL || !(h->be->caps & HDB_CAP_WRITES_THROUGH) ||
	    !(h->be->caps & HDB_CAP_STAYS_OPEN))
		return 0;
	return !(others_recent(t) && hdb_tdb_txn_used(h) && !t->own_rec);
}

/* tdb_writer - h's TDB state if h is a TDB handle open for writing. */
static struct be_tdb *
tdb_writer(struct hdb *h)
{
	struct be_tdb *t = tdb_of(h);

	if (t == NULL || !(h->flags & HDB_O_RDWR))
		return NULL;
	t->msg[0] = '\0';
	return t;
}

int
hdb_tdb_lockall(struct hdb *h, int on)
{
	struct be_tdb *t;

	if ((t = tdb_writer(h)) == NULL)
		return HDB_OK;
	if (on && tdb_lockall(t->tdb) != 0)
		return tdb_fail(h, "cannot lock");
	if (!on && tdb_unlockall(t->tdb) != 0)
		return tdb_fail(h, "cannot unlock");
	return HDB_OK;
}

/*
 * again - after a call failed: did it meet a commit (RECOVER_RO), so that
 * it is worth trying again after a pause?  Give up after RETRY_MAX tries.
 */
static int
again(struct be_tdb *t, int *tries)
{
	if (!t->mid_commit || (*tries)++ == RETRY_MAX)
		return 0;
	usleep(RETRY_US);
	t->mid_commit = 0;
	return 1;
}

/* tdb_open_ex, again while it meets a commit. */
static struct tdb_context *
open_retry(struct be_tdb *t, const char *path, int hash, int oflags,
    mode_t mode, struct tdb_logging_context *log)
{
	struct tdb_context *tdb;
	int tries = 0;

	t->mid_commit = 0;
	do {
		errno = 0;
		tdb = tdb_open_ex(path, hash, TDB_DEFAULT, oflags, mode, log,
		    NULL);
	} while (tdb == NULL && again(t, &tries));
	return tdb;
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
	if (oflags == O_RDONLY) {
		/* for TDB's locks, which a read-only handle never takes */
		t->tdb = open_retry(t, path, 0, O_RDWR, mode, &log);
		if (t->tdb == NULL && (errno == EACCES || errno == EPERM ||
		    errno == EROFS)) {
			t->msg[0] = '\0';
			t->tdb = open_retry(t, path, 0, O_RDONLY, mode, &log);
		}
	} else
		t->tdb = open_retry(t, path, (oflags & O_CREAT) ?
		    hash_for(h->expect) : 0, oflags, mode, &log);
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
	t->raw = raw_layout(t);
	/* a file written lately: take its writers to be at work */
	t->other_at = tst.st_mtim.tv_sec;
	others_mark(t);
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
	if (t->txn) {
		txn_end(t, 0);
		tdb_transaction_cancel(t->tdb);
	}
	map_close(t);
	tdb_close(t->tdb);
	free(t->marked);
	free(t->pend);
	free(t->pbuf);
	free(t->val);
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
	int tries = 0, rc;

	t->msg[0] = '\0';
	t->mid_commit = 0;
	if (t->txn && pend_key(t, key.data, key.len))
		return HDB_NOTFOUND;
	do	/* TDB calls a failed lock a missing record here */
		rc = tdb_parse_record(t->tdb, to_tdb(key), copy_val, t);
	while (rc != 0 && again(t, &tries));
	if (rc != 0) {
		if (tdb_error(t->tdb) == TDB_ERR_NOEXIST && !t->mid_commit)
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
	t->gen++;
	others_check(t);
	/* a key left for the commit's delete must not take this value */
	if (t->txn && pend_apply(h) != HDB_OK)
		return HDB_ERR;
	if (tdb_store(t->tdb, to_tdb(key), to_tdb(val), TDB_REPLACE) != 0)
		return tdb_fail(h, "cannot write");
	return HDB_OK;
}

/* lib_del - key deleted through libtdb, which walks its chain. */
static int
lib_del(struct hdb *h, struct be_tdb *t, struct hdb_datum key)
{
	t->gen++;
	if (tdb_delete(t->tdb, to_tdb(key)) != 0) {
		if (tdb_error(t->tdb) == TDB_ERR_NOEXIST)
			return HDB_NOTFOUND;
		return tdb_fail(h, "cannot delete from");
	}
	return HDB_OK;
}

static int
tdb_be_del(struct hdb *h, struct hdb_datum key)
{
	struct be_tdb *t = h->priv;
	int rc;

	t->msg[0] = '\0';
	others_check(t);
	if (t->txn)
		return txn_del(h, key);
	if (t->cur.off != 0 && !t->cur.gone &&
	    same_key(t->cur.key, key.data, key.len) &&
	    (rc = raw_del(h)) != HDB_NOTFOUND)
		return rc;
	return lib_del(h, t, key);
}

/*
 * The walk, chain by chain.  Exim opens TDB with its default 131 hash
 * chains, so a chain holds about n/131 records, and whatever finds a
 * record by its key (fetch, delete, nextkey from a given key) walks its
 * chain.  This walk once went by nextkey plus a read for every record,
 * each finding the record again in its chain: a scan in short holds cost
 * about 1.25 n * n/131 record reads.  So it goes by chain index instead:
 * tdb_traverse_chain copies one chain's records out, without the
 * per-record fcntl locks of tdb_traverse, and the callback gets them from
 * that copy, free to delete them (a chain traverse's callback may not).
 *
 * tdb_delete is quadratic too, and no public TDB call avoids it: since
 * TDB 1.3.16 it marks the record dead and then walks its whole chain to
 * free the dead ones (tdb_trim_dead), so deleting d records costs d *
 * n/131 record reads whatever the order: half of 300k records took 15 s
 * of CPU.  Exim's own tdb deletes pay the same.  So a writer's walk
 * deletes the record it stands on by hand (raw_del, below), in O(1); a
 * file made by hdb_create also gets more chains (hash_for).
 *
 * Resuming after key K: K's chain is found by its head record
 * (tdb_traverse_key_chain gives the head), compared with the head of the
 * chain K hashes to (guess_chain), or failing that with every chain's
 * head in turn; the walk goes on after K there.  Between holds Exim may change the
 * DB: TDB puts every record it stores at the head of its chain and never
 * moves one between chains, so a record still after K, or in a later
 * chain, is visited once; one stored meanwhile before K or in an earlier
 * chain is not visited at all, which is right, as it was just written and
 * so is fresh.  Same order as tdb_traverse: chain 0 first, head first.
 */
struct tdb_ent {
	size_t		 koff, klen, voff, vlen;
	uint32_t	 off;		/* 0 if read through libtdb */
	int		 dead;		/* in the chain, but deleted */
};

struct tdb_chain {
	struct tdb_ent	*ent;
	size_t		 nent, capent;
	uint8_t		*buf;
	size_t		 len, cap;
};

/* A search for a key (and its chain's head) or for a chain's head. */
struct tdb_find {
	TDB_DATA	 key;
	uint8_t		*head;
	size_t		 headlen;
	int		 nseen;
	int		 found;
};

static void
chain_add(struct tdb_chain *c, const uint8_t *p, size_t n, size_t *off)
{
	*off = xappend(&c->buf, &c->len, &c->cap, p, n);
}

/* collect_one - tdb_traverse_chain callback: copy the record out. */
static int
collect_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *arg)
{
	struct tdb_chain *c = arg;
	struct tdb_ent *e;

	(void)tdb;
	if (c->nent == c->capent) {
		c->capent = c->capent ? c->capent * 2 : 256;
		c->ent = xreallocarray(c->ent, c->capent, sizeof(*c->ent));
	}
	e = &c->ent[c->nent++];
	e->off = 0;
	e->dead = 0;
	chain_add(c, key.dptr, key.dsize, &e->koff);
	e->klen = key.dsize;
	chain_add(c, data.dptr, data.dsize, &e->voff);
	e->vlen = data.dsize;
	return 0;
}

static int
same_key(TDB_DATA a, const uint8_t *b, size_t blen)
{
	return a.dsize == blen && (blen == 0 || memcmp(a.dptr, b, blen) == 0);
}

/* find_one - callback: note the chain's head, stop at the key sought. */
static int
find_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *arg)
{
	struct tdb_find *f = arg;

	(void)tdb;
	(void)data;
	if (f->nseen++ == 0) {
		f->head = key.dsize > 0 ? xmemdup(key.dptr, key.dsize) : NULL;
		f->headlen = key.dsize;
	}
	if (f->key.dptr != NULL && same_key(f->key, key.dptr, key.dsize)) {
		f->found = 1;
		return 1;
	}
	return f->key.dptr == NULL;	/* a head search stops at once */
}

/*
 * old_hash - TDB's default hash function, which libtdb does not export:
 * the key's length times 0x238F13AF, plus each byte shifted left by
 * (i * 5) % 24, then a linear congruential step.
 */
static unsigned
old_hash(TDB_DATA key)
{
	uint32_t v = 0x238F13AFu * (uint32_t)key.dsize;
	size_t i;

	for (i = 0; i < key.dsize; i++)
		v += (uint32_t)key.dptr[i] << (i * 5 % 24);
	return 1103515243u * v + 12345u;
}

/* Is head the first key of chain c?  1, 0, or -1 if it cannot be read. */
static int
chain_head_is(struct tdb_context *tdb, int c, const uint8_t *head,
    size_t headlen)
{
	struct tdb_find g;
	int same;

	memset(&g, 0, sizeof(g));
	if (tdb_traverse_chain(tdb, c, find_one, &g) < 0)
		return -1;
	same = g.nseen > 0 && g.headlen == headlen && (headlen == 0 ||
	    memcmp(g.head, head, headlen) == 0);
	free(g.head);
	return same;
}

/*
 * guess_chain - key's chain from its hash, by either of the functions a
 * file may use (TDB's default, or Jenkins' with TDB_INCOMPATIBLE_HASH),
 * checked against the chain's head: -1 if neither fits.  Looking at
 * every chain's head instead costs a whole hash table per hold, which
 * for a file with many chains is most of the work.
 */
static int
guess_chain(struct tdb_context *tdb, TDB_DATA key, const uint8_t *head,
    size_t headlen, int hs)
{
	int c;

	c = (int)(old_hash(key) % (unsigned)hs);
	if (chain_head_is(tdb, c, head, headlen) == 1)
		return c;
	c = (int)(tdb_jenkins_hash(&key) % (unsigned)hs);
	if (chain_head_is(tdb, c, head, headlen) == 1)
		return c;
	return -1;
}

/*
 * chain_of - the index of key's chain: -1 (HDB_NOTFOUND set in *rc) if
 * key is not in the DB, -1 with HDB_ERR on an error.
 */
static int
chain_of(struct hdb *h, TDB_DATA key, int *rc)
{
	struct be_tdb *t = h->priv;
	struct tdb_find f;
	int c = -1, i, same, hs = tdb_hash_size(t->tdb);

	memset(&f, 0, sizeof(f));
	f.key = key;
	*rc = HDB_NOTFOUND;
	if (tdb_traverse_key_chain(t->tdb, key, find_one, &f) < 0) {
		*rc = tdb_fail(h, "cannot read");
		return -1;
	}
	if (f.found)
		c = guess_chain(t->tdb, key, f.head, f.headlen, hs);
	for (i = 0; f.found && c < 0 && i < hs; i++) {
		if ((same = chain_head_is(t->tdb, i, f.head, f.headlen)) ==
		    -1) {
			*rc = tdb_fail(h, "cannot read");
			break;
		}
		if (same)
			c = i;
	}
	free(f.head);
	if (c >= 0)
		*rc = HDB_OK;
	return c;
}

/*
 * Deleting by hand.  libtdb's delete walks the whole chain (see above),
 * so a tidy of a file with Exim's 131 chains costs d * n/131 record reads
 * and no public call avoids it.  But a locked walk already stands on the
 * record it hands out and knows which pointer leads to it, so it can
 * unlink that record and give its space back in O(1), as libtdb's own
 * delete does once it has found them: the pointer takes the record's
 * next; the record joins a free record just left of it, or else goes to
 * the head of the free list.  Only under tdb_lockall, which covers every
 * chain and the free list for every process, so no libtdb user anywhere
 * sees it half done; and only on a file whose layout we know (TDB's
 * version 0x2601196d in our byte order, no mutexes).  Every pointer is
 * checked before it is trusted, and anything unexpected leaves the work
 * to tdb_delete.
 *
 * The layout (libtdb 1.2-1.4): a 168-byte header, whose u32 at 168 heads
 * the free list; then one u32 per chain heading it; then records: a
 * 24-byte header (next, rec_len, key_len, data_len, full_hash, magic),
 * the key, the data, and rec_len's last u32 repeats 24 + rec_len.
 */
#define HDR_VERSION	32
#define HDR_HASHSIZE	36
#define HDR_FEATURES	60
#define FREE_TOP	168
#define SLOT(c)		(FREE_TOP + 4 * ((uint32_t)(c) + 1))
#define REC_HDR		24
#define TDB_VER		(0x26011967u + 6)
#define MAGIC_REC	0x26011999u
#define MAGIC_FREE	(~MAGIC_REC)
#define MAGIC_DEAD	0xFEE1DEADu
#define TAIL_PAD	0x42424242u	/* never-written space */

struct trec {
	uint32_t	 next, rec_len, key_len, data_len, full_hash, magic;
};

/*
 * The file is mapped for the walk, as libtdb maps it: a system call per
 * record would cost more than the work.  Every access is checked against
 * the mapping's length.
 */
static int
in_map(struct be_tdb *t, uint32_t off, size_t len)
{
	return t->map != NULL && (uint64_t)off + len <= t->maplen;
}

static int
rd32(struct be_tdb *t, uint32_t off, uint32_t *v)
{
	if (!in_map(t, off, 4))
		return -1;
	memcpy(v, t->map + off, 4);
	return 0;
}

static void
wr32(struct be_tdb *t, uint32_t off, uint32_t v)
{
	memcpy(t->map + off, &v, 4);
}

static int
rd_rec(struct be_tdb *t, uint32_t off, struct trec *r)
{
	if (!in_map(t, off, REC_HDR))
		return -1;
	memcpy(r, t->map + off, REC_HDR);
	return 0;
}

static void
wr_rec(struct be_tdb *t, uint32_t off, const struct trec *r)
{
	memcpy(t->map + off, r, REC_HDR);
}

static void
map_close(struct be_tdb *t)
{
	if (t->map != NULL)
		munmap(t->map, t->maplen);
	t->map = NULL;
}

/*
 * map_open - the file mapped for a walk under tdb_lockall (t->map NULL:
 * leave it to libtdb).  The map outlives the walk, as tidy keeps its
 * handle open between holds: mapping anew each hold faulted every page
 * in again, which cost more than the work.  The file only grows.
 */
static void
map_open(struct be_tdb *t)
{
	struct stat st;
	void *p;

	if (!t->raw || fstat(tdb_fd(t->tdb), &st) == -1 ||
	    st.st_size < SLOT(0) || (uint64_t)st.st_size > UINT32_MAX) {
		map_close(t);
		return;
	}
	if (t->map != NULL && t->maplen == (size_t)st.st_size)
		return;
	map_close(t);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, tdb_fd(t->tdb), 0);
	if (p == MAP_FAILED)
		return;
	t->map = p;
	t->maplen = (size_t)st.st_size;
}

/* The first byte after the chain heads. */
static uint32_t
data_start(struct be_tdb *t)
{
	return SLOT(tdb_hash_size(t->tdb));
}

/* raw_layout - may this file be changed by hand? */
static int
raw_layout(struct be_tdb *t)
{
	uint32_t v[(HDR_FEATURES + 4) / 4];

	if (pread(tdb_fd(t->tdb), v, sizeof(v), 0) != (ssize_t)sizeof(v))
		return 0;
	return v[HDR_VERSION / 4] == TDB_VER &&
	    v[HDR_HASHSIZE / 4] == (uint32_t)tdb_hash_size(t->tdb) &&
	    v[HDR_FEATURES / 4] == 0;
}

/* Is r, at off in a file of size fsize, a sane record of chain c? */
static int
rec_fits(struct be_tdb *t, const struct trec *r, uint32_t off, int c,
    uint64_t fsize)
{
	return off >= data_start(t) && (uint64_t)off + REC_HDR +
	    r->rec_len <= fsize && (uint64_t)r->key_len + r->data_len +
	    4 <= r->rec_len && (r->magic == MAGIC_REC ||
	    r->magic == MAGIC_DEAD) &&
	    r->full_hash % (uint32_t)tdb_hash_size(t->tdb) == (uint32_t)c;
}

/* raw_one - add the record at off to ch; its next in *next.  0 or -1. */
static int
raw_one(struct be_tdb *t, struct tdb_chain *ch, int c, uint32_t off,
    uint32_t *next)
{
	struct trec r;
	struct tdb_ent *e;

	if (rd_rec(t, off, &r) == -1 || !rec_fits(t, &r, off, c, t->maplen))
		return -1;
	if (ch->nent == ch->capent) {
		ch->capent = ch->capent ? ch->capent * 2 : 256;
		ch->ent = xreallocarray(ch->ent, ch->capent, sizeof(*ch->ent));
	}
	e = &ch->ent[ch->nent++];
	memset(e, 0, sizeof(*e));
	e->off = off;
	e->dead = r.magic == MAGIC_DEAD;
	*next = r.next;
	if (e->dead)
		return 0;
	e->koff = xappend(&ch->buf, &ch->len, &ch->cap, t->map + off +
	    REC_HDR, (size_t)r.key_len + r.data_len);
	e->klen = r.key_len;
	e->voff = e->koff + r.key_len;
	e->vlen = r.data_len;
	return 0;
}

/*
 * raw_collect - chain c copied out of the map, dead records too (they
 * stay linked), each with its offset.  -1 if anything looks wrong: then
 * libtdb reads it, and judges it.
 */
static int
raw_collect(struct be_tdb *t, struct tdb_chain *ch, int c)
{
	uint32_t off;
	size_t steps = 0;

	if (rd32(t, SLOT(c), &off) == -1)
		return -1;
	while (off != 0)
		if (++steps > t->maplen / REC_HDR ||
		    raw_one(t, ch, c, off, &off) == -1)
			return -1;
	return 0;
}

/* find_link - where chain c points to off (0 if nowhere). */
static uint32_t
find_link(struct be_tdb *t, int c, uint32_t off)
{
	uint32_t link = SLOT(c), p;
	size_t steps = 0;

	while (rd32(t, link, &p) == 0 && p != 0 &&
	    ++steps <= t->maplen / REC_HDR) {
		if (p == off)
			return link;
		link = p;	/* next is a record's first field */
	}
	return 0;
}

/* Is the record at off still key's, live, in chain c? */
static int
still_there(struct be_tdb *t, uint32_t off, TDB_DATA key, int c,
    struct trec *r)
{
	return rd_rec(t, off, r) == 0 && rec_fits(t, r, off, c, t->maplen) &&
	    r->magic == MAGIC_REC && r->key_len == key.dsize &&
	    (key.dsize == 0 || memcmp(t->map + off + REC_HDR, key.dptr,
	    key.dsize) == 0);
}

/* left_free - the free record just left of off, if there is one. */
static int
left_free(struct be_tdb *t, uint32_t off, uint32_t *left, struct trec *l)
{
	uint32_t size;

	if (off - 4 <= data_start(t) || rd32(t, off - 4, &size) == -1 ||
	    size == 0 || size == TAIL_PAD || size > off ||
	    off - size < data_start(t) || rd_rec(t, off - size, l) == -1)
		return 0;
	*left = off - size;
	return l->magic == MAGIC_FREE && l->rec_len + REC_HDR == size;
}

/*
 * give_back - the unlinked record at off (fits the map: still_there) to
 * the free space.
 */
static void
give_back(struct be_tdb *t, uint32_t off, struct trec *r)
{
	struct trec l;
	uint32_t left, head;

	wr32(t, off + REC_HDR + r->rec_len - 4, REC_HDR + r->rec_len);
	if (left_free(t, off, &left, &l)) {
		l.rec_len += REC_HDR + r->rec_len;
		wr_rec(t, left, &l);
		wr32(t, left + REC_HDR + l.rec_len - 4, REC_HDR + l.rec_len);
		return;
	}
	memcpy(&head, t->map + FREE_TOP, 4);	/* map_open: the map holds it */
	r->magic = MAGIC_FREE;
	r->next = head;
	wr_rec(t, off, r);
	wr32(t, FREE_TOP, off);
}

/*
 * raw_del - delete the record the walk has just handed out: HDB_OK, or
 * HDB_NOTFOUND if it is not where we left it (for tdb_delete to find).
 */
static int
raw_del(struct hdb *h)
{
	struct be_tdb *t = h->priv;
	struct tdb_cur *cur = &t->cur;
	struct trec r;
	uint32_t link = cur->link, p;

	if (link == 0 || rd32(t, link, &p) == -1 || p != cur->off)
		link = find_link(t, cur->chain, cur->off);
	if (link == 0 || !still_there(t, cur->off, cur->key, cur->chain, &r))
		return HDB_NOTFOUND;
	wr32(t, link, r.next);
	give_back(t, cur->off, &r);
	cur->gone = 1;
	return HDB_OK;
}

/*
 * Deleting in a hold transaction (hdb_tdb_txn).  raw_del's writes pass
 * libtdb by, so inside a TDB transaction they would reach the file at
 * once, outside it, and a kill between them (the link, then the free
 * list) damages the file.  So there a deletion is the one write that
 * libtdb's own tdb_delete begins with: the record's magic becomes TDB's
 * dead magic, an aligned 4-byte store that a kill cannot cut in half.  A
 * file with dead records is whole to every libtdb: readers skip them,
 * tdb_check takes them, and libtdb 1.3.16+ frees a chain's dead records
 * at its next delete there.  The first deletion in each chain is left
 * live for the commit: tdb_delete then frees it and every dead record of
 * its chain, ours too, inside the transaction, which the commit writes
 * whole or, cut short, the next open undoes (TDB's recovery area).  The
 * marks are all made before libtdb writes anything in the transaction:
 * once it has a copy of a block of the file, the commit would write that
 * copy over a mark made beside it (txn_lib: from then on libtdb does all,
 * and the map, which no longer shows the transaction, is not read).  A
 * hold that is cancelled takes its marks back.
 */
#define REC_MAGIC	20	/* the magic's offset in a record header */

static int
pend_chain(const struct be_tdb *t, int c)
{
	size_t i;

	for (i = 0; i < t->npend; i++)
		if (t->pend[i].chain == c)
			return 1;
	return 0;
}

/* Is key left for the commit to delete (so gone already)? */
static int
pend_key(const struct be_tdb *t, const uint8_t *key, size_t len)
{
	size_t i;

	for (i = 0; i < t->npend; i++)
		if (t->pend[i].klen == len && (len == 0 ||
		    memcmp(t->pbuf + t->pend[i].koff, key, len) == 0))
			return 1;
	return 0;
}

static void
pend_add(struct be_tdb *t, int c, TDB_DATA key)
{
	struct tdb_pend *p;

	if (t->npend == t->cappend) {
		t->cappend = t->cappend ? t->cappend * 2 : 64;
		t->pend = xreallocarray(t->pend, t->cappend,
		    sizeof(*t->pend));
	}
	p = &t->pend[t->npend++];
	p->chain = c;
	p->koff = xappend(&t->pbuf, &t->pblen, &t->pbcap, key.dptr,
	    key.dsize);
	p->klen = key.dsize;
}

/* pend_apply - the chains' first deletions, through libtdb. */
static int
pend_apply(struct hdb *h)
{
	struct be_tdb *t = h->priv;
	TDB_DATA k;
	size_t i;

	for (i = 0; i < t->npend; i++) {
		k.dptr = t->pbuf + t->pend[i].koff;
		k.dsize = t->pend[i].klen;
		t->txn_lib = 1;
		t->gen++;
		if (tdb_delete(t->tdb, k) != 0 &&
		    tdb_error(t->tdb) != TDB_ERR_NOEXIST)
			return tdb_fail(h, "cannot delete from");
		hdb_testpoint();
	}
	t->npend = t->pblen = 0;
	return HDB_OK;
}

/* mark_dead - the record the walk stands on: HDB_OK or HDB_NOTFOUND. */
static int
mark_dead(struct be_tdb *t)
{
	struct tdb_cur *cur = &t->cur;
	struct trec r;

	if (!still_there(t, cur->off, cur->key, cur->chain, &r))
		return HDB_NOTFOUND;
	if (t->nmarked == t->capmarked) {
		t->capmarked = t->capmarked ? t->capmarked * 2 : 256;
		t->marked = xreallocarray(t->marked, t->capmarked,
		    sizeof(*t->marked));
	}
	t->marked[t->nmarked++] = cur->off;
	wr32(t, cur->off + REC_MAGIC, MAGIC_DEAD);
	cur->gone = 1;
	hdb_testpoint();
	return HDB_OK;
}

/* marks_undo - the hold's marks taken back, last first. */
static void
marks_undo(struct be_tdb *t)
{
	uint32_t off, m;

	while (t->nmarked > 0) {
		off = t->marked[--t->nmarked];
		if (rd32(t, off + REC_MAGIC, &m) == 0 && m == MAGIC_DEAD)
			wr32(t, off + REC_MAGIC, MAGIC_REC);
	}
}

/*
 * txn_del - a deletion in a hold transaction: the record the walk stands
 * on is marked dead, or left for the commit if it is its chain's first;
 * any other goes through libtdb.
 */
static int
txn_del(struct hdb *h, struct hdb_datum key)
{
	struct be_tdb *t = h->priv;
	int rc;

	if (!t->txn_lib && t->locked && t->cur.off != 0 && !t->cur.gone &&
	    same_key(t->cur.key, key.data, key.len)) {
		if (!pend_chain(t, t->cur.chain)) {
			pend_add(t, t->cur.chain, t->cur.key);
			t->cur.gone = 1;
			return HDB_OK;
		}
		if ((rc = mark_dead(t)) != HDB_NOTFOUND)
			return rc;
	}
	if (pend_key(t, key.data, key.len))
		return HDB_NOTFOUND;
	t->txn_lib = 1;
	return lib_del(h, t, key);
}

/* txn_end - the transaction is over; a cancelled one's marks go. */
static void
txn_end(struct be_tdb *t, int kept)
{
	if (!kept)
		marks_undo(t);
	t->txn = t->txn_lib = 0;
	t->nmarked = t->npend = t->pblen = 0;
}

/* txn_commit - with TDB_NOSYNC if late (the caller syncs, or not). */
static int
txn_commit(struct hdb *h, int late)
{
	struct be_tdb *t = h->priv;
	int r, nosync = late && !(tdb_get_flags(t->tdb) & TDB_NOSYNC);

	if (pend_apply(h) != HDB_OK) {
		tdb_transaction_cancel(t->tdb);
		txn_end(t, 0);
		return HDB_ERR;
	}
	if (nosync)
		tdb_add_flags(t->tdb, TDB_NOSYNC);
	r = tdb_transaction_commit(t->tdb);
	if (nosync)
		tdb_remove_flags(t->tdb, TDB_NOSYNC);
	txn_end(t, r == 0);
	return r == 0 ? HDB_OK : tdb_fail(h, "cannot commit to");
}

int
hdb_tdb_txn(struct hdb *h, int op)
{
	struct be_tdb *t;

	if ((t = tdb_writer(h)) == NULL)
		return HDB_OK;
	switch (op) {
	case HDB_TXN_BEGIN:
		/* a recovery area that our own commits make is no sign of
		 * transaction writers (hdb_sync_late) */
		if (!t->began++)
			t->own_rec = !hdb_tdb_txn_used(h);
		if (tdb_transaction_start(t->tdb) != 0)
			return tdb_fail(h, "cannot begin a transaction on");
		txn_end(t, 1);
		t->txn = 1;
		break;
	case HDB_TXN_COMMIT:
	case HDB_TXN_COMMIT_LATE:
		if (!t->txn)
			return HDB_OK;
		return txn_commit(h, op == HDB_TXN_COMMIT_LATE);
	default:
		if (!t->txn)
			return HDB_OK;
		txn_end(t, 0);
		if (tdb_transaction_cancel(t->tdb) != 0)
			return tdb_fail(h, "cannot cancel a transaction on");
		break;
	}
	return HDB_OK;
}

/* collect - chain c's records, by hand where we may, else through libtdb. */
static int
collect(struct hdb *h, struct tdb_chain *ch, int c)
{
	struct be_tdb *t = h->priv;
	int tries = 0, r;

	if (t->locked && !t->txn_lib) {
		ch->nent = ch->len = 0;
		if (raw_collect(t, ch, c) == 0)
			return HDB_OK;
	}
	t->mid_commit = 0;
	do {
		ch->nent = ch->len = 0;
		r = tdb_traverse_chain(t->tdb, c, collect_one, ch);
	} while (r < 0 && again(t, &tries));
	return r < 0 ? tdb_fail(h, "cannot iterate over") : HDB_OK;
}

/*
 * walk_chain - chain c to the callback, from just after key `after` if it
 * is not NULL (HDB_NOTFOUND if it is no longer there).  `link` follows the
 * pointer to the record handed out, for raw_del, as long as only raw_del
 * has written: a libtdb put or delete may free records of the chain, and
 * a freed record's bytes can still look like the pointer we left.
 */
static int
walk_chain(struct hdb *h, struct tdb_chain *ch, int c, const TDB_DATA *after,
    hdb_iter_fn fn, void *ctx)
{
	struct be_tdb *t = h->priv;
	struct tdb_ent *e;
	struct hdb_datum k, v;
	uint32_t link = SLOT(c);
	unsigned gen = t->gen;
	size_t i = 0;
	int rc;

	if ((rc = collect(h, ch, c)) != HDB_OK)
		return rc;
	if (after != NULL) {
		while (i < ch->nent && (ch->ent[i].dead || !same_key(*after,
		    ch->buf + ch->ent[i].koff, ch->ent[i].klen)))
			i++;
		if (i == ch->nent)
			return HDB_NOTFOUND;
		link = ch->ent[i++].off;
	}
	for (; i < ch->nent; i++) {
		e = &ch->ent[i];
		if (e->dead) {
			link = e->off;
			continue;
		}
		k.data = ch->buf + e->koff;
		k.len = e->klen;
		v.data = ch->buf + e->voff;
		v.len = e->vlen;
		t->cur.off = e->off;
		t->cur.link = t->gen == gen ? link : 0;
		t->cur.chain = c;
		t->cur.key = to_tdb(k);
		t->cur.gone = 0;
		rc = fn(ctx, k, v);
		if (!t->cur.gone)
			link = e->off;
		t->cur.off = 0;
		if (rc != 0)
			return rc;
	}
	return HDB_OK;
}

/* walk_from - every chain from the first, or from just after `after`. */
static int
walk_from(struct hdb *h, struct hdb_datum after, hdb_iter_fn fn, void *ctx)
{
	struct be_tdb *t = h->priv;
	struct tdb_chain ch;
	TDB_DATA ak;
	int c = 0, hs, rc = HDB_OK;

	ak = to_tdb(after);
	if (after.data != NULL && (c = chain_of(h, ak, &rc)) < 0)
		return rc;
	memset(&ch, 0, sizeof(ch));
	hs = tdb_hash_size(t->tdb);
	for (; c < hs && rc == HDB_OK; c++) {
		rc = walk_chain(h, &ch, c, after.data != NULL ? &ak : NULL,
		    fn, ctx);
		after.data = NULL;
	}
	free(ch.ent);
	free(ch.buf);
	return rc;
}

/*
 * tdb_be_iterate - a reader locks one chain at a time (tdb_traverse_chain
 * does), so an Exim writer waits one chain at most.  A writer takes TDB's
 * all-chains lock for the walk: Exim 4.99+ takes no lockfile
 * for TDB, only TDB's own locks, and without it a record judged from the
 * copy could change before the callback deletes it.  Older Exims wait on
 * the lockfile, which the caller holds.
 */
static int
tdb_be_iterate(struct hdb *h, struct hdb_datum after, hdb_iter_fn fn,
    void *ctx)
{
	struct be_tdb *t = h->priv;
	int rc;

	t->msg[0] = '\0';
	if (!(h->flags & HDB_O_RDWR))
		return walk_from(h, after, fn, ctx);
	if (tdb_lockall(t->tdb) != 0)
		return tdb_fail(h, "cannot lock");
	map_open(t);
	t->locked = t->map != NULL;
	rc = walk_from(h, after, fn, ctx);
	t->locked = 0;
	if (tdb_unlockall(t->tdb) != 0 && rc == HDB_OK)
		rc = tdb_fail(h, "cannot unlock");
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

/* tdb_be_quiet - an Exim 4.99+ commit waits for a read lock on every
 * chain; one that began before we asked is finished by then. */
static int
tdb_be_quiet(struct hdb *h, int on)
{
	struct be_tdb *t = h->priv;

	t->msg[0] = '\0';
	if (on && tdb_lockall_read(t->tdb) != 0)
		return tdb_fail(h, "cannot lock");
	if (!on && tdb_unlockall_read(t->tdb) != 0)
		return tdb_fail(h, "cannot unlock");
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

static uint32_t
fl32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/*
 * tdb_be_free_bytes - the records on TDB's free list, headers included,
 * walked in a read-only map of the file (tdb_freelist_size counts them
 * only).  The walk takes no TDB lock, so a writer's change under it can
 * cut it short: every link is checked against the map and the magic, and
 * it stops at the first that fails, or after as many links as the file
 * could hold.  A file of another layout (a TDB version this backend does
 * not know) is HDB_NOTFOUND.
 */
static int
tdb_be_free_bytes(struct hdb *h, uint64_t *fb)
{
	struct be_tdb *t = h->priv;
	struct stat st;
	const uint8_t *m;
	uint64_t left;
	uint32_t off;
	int fd = tdb_fd(t->tdb), swap;

	if (fstat(fd, &st) == -1)
		return hdb_seterr(h, "cannot stat '%s': %s",
		    tdb_name(t->tdb), strerror(errno));
	if (st.st_size < FREE_TOP + 4 || (uint64_t)st.st_size > SIZE_MAX ||
	    (uint64_t)st.st_size > UINT32_MAX)
		return HDB_NOTFOUND;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return hdb_seterr(h, "cannot map '%s': %s", tdb_name(t->tdb),
		    strerror(errno));
	swap = fl32(m + HDR_VERSION, 0) != TDB_VER;
	if (fl32(m + HDR_VERSION, swap) != TDB_VER) {
		munmap((void *)m, (size_t)st.st_size);
		return HDB_NOTFOUND;
	}
	off = fl32(m + FREE_TOP, swap);
	for (left = (uint64_t)st.st_size / REC_HDR; off != 0 && left > 0;
	    left--) {
		uint32_t len;

		if ((uint64_t)off + REC_HDR > (uint64_t)st.st_size ||
		    fl32(m + off + 20, swap) != MAGIC_FREE)
			break;
		len = fl32(m + off + 4, swap);
		if ((uint64_t)off + REC_HDR + len > (uint64_t)st.st_size)
			break;
		*fb += REC_HDR + (uint64_t)len;
		off = fl32(m + off, swap);
	}
	munmap((void *)m, (size_t)st.st_size);
	return HDB_OK;
}

/* wb_put - one record of the new file into the live one, in its txn. */
static int
wb_put(struct tdb_context *from, TDB_DATA key, TDB_DATA val, void *arg)
{
	(void)from;
	return tdb_store(arg, key, val, TDB_REPLACE) == 0 ? 0 : -1;
}

/*
 * wb_same - does the file behind fd still look as `was`?  Under the
 * transaction no Exim 4.99 writer is between its start and its commit,
 * and each commit ends with libtdb's utime, so a commit since moved the
 * mtime (or the size).
 */
static int
wb_same(int fd, const struct stat *was)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_dev == was->st_dev &&
	    st.st_ino == was->st_ino && st.st_size == was->st_size &&
	    st.st_mtim.tv_sec == was->st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == was->st_mtim.tv_nsec;
}

int
hdb_tdb_write_back(const char *path, const char *from,
    const struct stat *was, double *held_ms, char *err, size_t len)
{
	struct tdb_context *dst = NULL, *src = NULL;
	struct timespec t0, t1;
	char pf[4096], pp[4096];
	const char *f, *p;
	int in_txn = 0, rc = HDB_ERR;

	*held_ms = 0;
	t0.tv_sec = 0;
	/* both below SPOOL/db, reached through the pinned directory */
	if ((f = hdb_pin_path(from, pf, sizeof(pf))) == NULL ||
	    (p = hdb_pin_path(path, pp, sizeof(pp))) == NULL) {
		snprintf(err, len, "cannot open: %s", strerror(errno));
		return HDB_ERR;
	}
	/* the new file is ours and private; the live one as Exim opens it */
	if ((src = tdb_open(f, 0, TDB_DEFAULT, O_RDONLY, 0)) == NULL ||
	    (dst = tdb_open(p, 0, TDB_DEFAULT, O_RDWR | O_NOFOLLOW, 0)) ==
	    NULL) {
		snprintf(err, len, "cannot open %s: %s", src == NULL ?
		    "the new file" : "the live file", strerror(errno));
		goto out;
	}
	if (tdb_transaction_start(dst) != 0) {
		snprintf(err, len, "cannot begin a transaction: %s",
		    tdb_errorstr(dst));
		goto out;
	}
	in_txn = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!wb_same(tdb_fd(dst), was)) {
		rc = HDB_NOTFOUND;
		goto out;
	}
	if (tdb_wipe_all(dst) != 0 ||
	    tdb_traverse_read(src, wb_put, dst) < 0) {
		snprintf(err, len, "cannot write: %s", tdb_errorstr(dst));
		goto out;
	}
	in_txn = 0;
	if (tdb_transaction_commit(dst) != 0) {
		snprintf(err, len, "cannot commit: %s", tdb_errorstr(dst));
		goto out;
	}
	rc = HDB_OK;
out:
	if (in_txn)
		tdb_transaction_cancel(dst);
	if (t0.tv_sec != 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		*held_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	}
	if (dst != NULL)
		tdb_close(dst);
	if (src != NULL)
		tdb_close(src);
	return rc;
}
