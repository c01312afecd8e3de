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
	char		 msg[200];	/* TDB's last logged error */
	int		 mid_commit;	/* TDB met a commit it may not undo */
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
static TDB_DATA	to_tdb(struct hdb_datum);
static int	hash_for(size_t);

const struct hdb_backend hdb_backend_tdb = {
	.name = "tdb",
	.caps = HDB_CAP_DEL_IN_ITER | HDB_CAP_ORDER_KEPT | HDB_CAP_STAYS_OPEN |
	    HDB_CAP_WRITES_THROUGH,
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

unsigned
hdb_tdb_chains(struct hdb *h)
{
	struct be_tdb *t;

	if (h == NULL || h->be != &hdb_backend_tdb || (t = h->priv) == NULL)
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

	if (h == NULL || h->be != &hdb_backend_tdb || (t = h->priv) == NULL)
		return 0;
	if (pread(tdb_fd(t->tdb), &rec, sizeof(rec), 44) != sizeof(rec))
		return 1;	/* cannot tell: sync, as before */
	return rec != 0;
}

/* tdb_open_ex, again while it meets a commit (RECOVER_RO). */
static struct tdb_context *
open_retry(struct be_tdb *t, const char *path, int hash, int oflags,
    mode_t mode, struct tdb_logging_context *log)
{
	struct tdb_context *tdb;
	int tries;

	for (tries = 0;; tries++) {
		errno = 0;
		t->mid_commit = 0;
		tdb = tdb_open_ex(path, hash, TDB_DEFAULT, oflags, mode, log,
		    NULL);
		if (tdb != NULL || !t->mid_commit || tries == RETRY_MAX)
			return tdb;
		usleep(RETRY_US);
	}
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

	int tries, rc;

	t->msg[0] = '\0';
	for (tries = 0;; tries++) {
		t->mid_commit = 0;
		rc = tdb_parse_record(t->tdb, to_tdb(key), copy_val, t);
		/* TDB calls a failed lock a missing record here */
		if (rc == 0 || !t->mid_commit || tries == RETRY_MAX)
			break;
		usleep(RETRY_US);
	}
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
 * The deletes stay quadratic, and no public TDB call avoids it: since TDB
 * 1.3.16 tdb_delete marks the record dead and then walks its whole chain
 * to free the dead ones (tdb_trim_dead), so deleting d records costs d *
 * n/131 record reads whatever the order, about 40 ns each here: half of
 * 300k records take 15 s of CPU, of 1M some 150 s.  Exim's own tdb
 * deletes pay the same.  Only a bigger hash helps: a file made by
 * hdb_create gets one (hash_for), and there the walk is linear.
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

/* Is head the first key of chain c? */
static int
chain_head_is(struct tdb_context *tdb, int c, const uint8_t *head,
    size_t headlen)
{
	struct tdb_find g;
	int same;

	memset(&g, 0, sizeof(g));
	if (tdb_traverse_chain(tdb, c, find_one, &g) < 0)
		return 0;
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
	if (chain_head_is(tdb, c, head, headlen))
		return c;
	c = (int)(tdb_jenkins_hash(&key) % (unsigned)hs);
	if (chain_head_is(tdb, c, head, headlen))
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
	struct tdb_find f, g;
	int c, n, hs = tdb_hash_size(t->tdb);

	memset(&f, 0, sizeof(f));
	f.key = key;
	*rc = HDB_NOTFOUND;
	if (tdb_traverse_key_chain(t->tdb, key, find_one, &f) < 0) {
		*rc = tdb_fail(h, "cannot read");
		return -1;
	}
	for (c = 0; f.found && c < hs; c++) {
		if (c == 0 && (n = guess_chain(t->tdb, key, f.head, f.headlen,
		    hs)) >= 0) {
			free(f.head);
			*rc = HDB_OK;
			return n;
		}
		memset(&g, 0, sizeof(g));
		if ((n = tdb_traverse_chain(t->tdb, c, find_one, &g)) < 0) {
			*rc = tdb_fail(h, "cannot read");
			free(f.head);
			return -1;
		}
		n = g.nseen > 0 && g.headlen == f.headlen &&
		    (f.headlen == 0 || memcmp(g.head, f.head, f.headlen) == 0);
		free(g.head);
		if (n) {
			free(f.head);
			*rc = HDB_OK;
			return c;
		}
	}
	free(f.head);
	return -1;
}

/*
 * walk_chain - chain c to the callback, from just after key `after` if it
 * is not NULL (HDB_NOTFOUND if it is no longer there).
 */
static int
walk_chain(struct hdb *h, struct tdb_chain *ch, int c, const TDB_DATA *after,
    hdb_iter_fn fn, void *ctx)
{
	struct be_tdb *t = h->priv;
	struct hdb_datum k, v;
	size_t i = 0;
	int rc;

	for (i = 0;; i++) {
		ch->nent = ch->len = 0;
		t->mid_commit = 0;
		if (tdb_traverse_chain(t->tdb, c, collect_one, ch) >= 0)
			break;
		if (!t->mid_commit || i == RETRY_MAX)
			return tdb_fail(h, "cannot iterate over");
		usleep(RETRY_US);
	}
	i = 0;
	if (after != NULL) {
		while (i < ch->nent && !same_key(*after, ch->buf +
		    ch->ent[i].koff, ch->ent[i].klen))
			i++;
		if (i++ == ch->nent)
			return HDB_NOTFOUND;
	}
	for (; i < ch->nent; i++) {
		k.data = ch->buf + ch->ent[i].koff;
		k.len = ch->ent[i].klen;
		v.data = ch->buf + ch->ent[i].voff;
		v.len = ch->ent[i].vlen;
		if ((rc = fn(ctx, k, v)) != 0)
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
	rc = walk_from(h, after, fn, ctx);
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
