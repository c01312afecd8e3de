/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hdb.h - the pluggable DBM layer under hintsdb.
 *
 * A handle (struct hdb) points at one const backend (struct hdb_backend) and
 * keeps that backend's private state.  The backend is chosen at run time from
 * the file's magic bytes (hdb_detect) or named by the caller.
 *
 * Keys are the bytes Exim's own dbfn_* API passes: the C string including its
 * terminating NUL.  A backend that stores keys differently (SQLite's TEXT and
 * xtext schemas) translates in both directions, so callers never see that.
 *
 * Returns: HDB_OK (0), HDB_NOTFOUND (1) for an absent key or the end of an
 * iteration, HDB_ERR (-1) on error with the text in hdb_error().  Library code
 * never prints and never exits.
 *
 * Lifetimes: a datum handed out by get or by the iterate callback is valid
 * until the next call on the same handle, or the end of the callback.  Copy
 * what you keep.
 */
#ifndef HDB_H
#define HDB_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define HDB_OK		0
#define HDB_NOTFOUND	1
#define HDB_ERR		(-1)
#define HDB_EXISTS	2	/* hdb_add: the key is there already */

/* Open flags. */
#define HDB_O_RDONLY	0x00
#define HDB_O_RDWR	0x01
#define HDB_O_CREATE	0x02	/* with RDWR: create the file if missing */
/*
 * SQLite only, with CREATE: a DB that has no Exim table yet gets the 4.98.x
 * schema tbl(ky TEXT PRIMARY KEY, dat BLOB) with keys stored as text without
 * their NUL (the 4.98.1 encoding), instead of 4.99.1's tblblob.  Other
 * backends ignore it.
 */
#define HDB_O_SQLITE_TBL 0x10
/*
 * With HDB_O_SQLITE_TBL: the keys of a new tbl are stored as Exim 4.99.0
 * does, xtext of the key and its NUL, so that a copy of a 4.99.0 DB keeps
 * the encoding its Exim looks keys up by.
 */
#define HDB_O_SQLITE_XTEXT 0x20
/*
 * Berkeley DB only, with CREATE: memory before speed, a cache for the bulk
 * of puts of at most 8 MB rather than 24 (tidy's rebuild, whose memory is
 * held to a third of exim_tidydb's, where HDB_O_BUCKETS does not apply).
 * Other backends ignore it.
 */
#define HDB_O_LEAN	0x40
/*
 * hdb_create only: the bulk writer puts in hdb_put_order's order, so the
 * backend fills its file in order and needs no big cache (Berkeley DB).
 */
#define HDB_O_INORDER	0x80
/*
 * hdb_create only, Berkeley DB: expect is not a count of records but the
 * hash buckets to make the new table with (a power of two), and the puts
 * come in about that table's order without being held back: tidy's
 * rebuild, which reads the file it replaces in that file's bucket order
 * (hdb_bdb_buckets).  Other backends ignore it.
 */
#define HDB_O_BUCKETS	0x100

/* Backend capability bits. */
#define HDB_CAP_LOCKS_ITSELF	0x01	/* Exim uses no lockfile (SQLite) */
#define HDB_CAP_DEL_IN_ITER	0x02	/* safe to delete while iterating */
#define HDB_CAP_TXN		0x04	/* writes are transactional */
/* deleting records moves none of the others in iteration order, so
 * hdb_iterate_after from a kept key still sees all that came after it */
#define HDB_CAP_ORDER_KEPT	0x08
/* a handle may stay open between lock holds: it reads everything afresh
 * under its locks, as many processes with the file open at once do (TDB) */
#define HDB_CAP_STAYS_OPEN	0x10
/* every write lands in the shared file at once (TDB: pwrite or a shared
 * map); sync only guards against a power cut */
#define HDB_CAP_WRITES_THROUGH	0x20
/* Exim 4.94-4.98 locked NAME.lockfile, 4.99 and later use none (TDB's own
 * fcntl locks and transactions): a lockfile that is there is locked, a
 * missing one is never made (TDB) */
#define HDB_CAP_LOCKFILE_IF_THERE 0x40
/* a write handle may stay open between lock holds, its transaction ended
 * and begun again (hdb_hold), and swept in the file's own order
 * (hdb_sweep) (SQLite) */
#define HDB_CAP_HOLDS_OPEN	0x80

struct hdb_datum {
	const uint8_t	*data;
	size_t		 len;
};

struct hdb;

/*
 * Iteration callback: return 0 to go on, anything else to stop (iterate
 * then returns that value).  Do not stop with 1 (HDB_NOTFOUND), which
 * hdb_iterate_after uses for a missing start key.
 */
typedef int (*hdb_iter_fn)(void *ctx, struct hdb_datum key,
    struct hdb_datum val);

struct hdb_backend {
	const char	*name;
	unsigned	 caps;
	/* file suffixes the backend adds to the DB name ("" or ".dir"/".pag") */
	const char	*suffix;
	/* 1 if head[0..len) is this backend's magic (head of the file that
	 * hdb_detect reads: the DB file, or NAME.dir for NDBM) */
	int	(*probe)(const uint8_t *head, size_t len);
	int	(*open)(struct hdb *, const char *path, int flags, mode_t mode);
	void	(*close)(struct hdb *);
	int	(*get)(struct hdb *, struct hdb_datum key, struct hdb_datum *val);
	int	(*put)(struct hdb *, struct hdb_datum key, struct hdb_datum val);
	int	(*del)(struct hdb *, struct hdb_datum key);
	/* hdb_count; NULL: an iteration */
	int	(*count)(struct hdb *, size_t *n);
	/* hdb_add in one lookup; NULL: get, then put */
	int	(*add)(struct hdb *, struct hdb_datum key, struct hdb_datum val);
	/* hdb_iterate_after; after.data == NULL: from the first record.
	 * hdb_iterate is this with a NULL key, so the two share one order */
	int	(*iterate_after)(struct hdb *, struct hdb_datum after,
		    hdb_iter_fn, void *ctx);
	/* hdb_scan; NULL: iterate_after from the first record */
	int	(*scan)(struct hdb *, hdb_iter_fn, void *ctx, int *changed);
	/* hdb_hold and hdb_sweep; NULL where HDB_CAP_HOLDS_OPEN is not set */
	int	(*hold)(struct hdb *, int on);
	int	(*sweep)(struct hdb *, int64_t *pos, hdb_iter_fn, void *ctx);
	/* backend's own consistency check; NULL if it has none */
	int	(*verify)(struct hdb *);
	/* keep Exim's writers out (on) or let them in again, for a copy of
	 * the file (hdb_snapshot): where Exim writes without a lockfile.
	 * NULL: the caller's lock on the lockfile does it */
	int	(*quiet)(struct hdb *, int on);
	/* flush everything to stable storage (before a rename); may be NULL */
	int	(*sync)(struct hdb *);
	/* hdb_put_order; NULL: no order is better than another */
	uint64_t (*put_order)(struct hdb *, struct hdb_datum key);
	/* hdb_bulk_begin and hdb_bulk_end; NULL: puts go straight in */
	int	(*bulk_begin)(struct hdb *);
	int	(*bulk_end)(struct hdb *, hdb_iter_fn, void *ctx);
	/* hdb_precheck; NULL: the backend checks nothing before reading */
	void	(*precheck)(const char *path);
	/* hdb_free_bytes; NULL: the backend does not say */
	int	(*free_bytes)(struct hdb *, uint64_t *);
	/* hdb_free_bytes_file; NULL: only through an open handle */
	int	(*free_bytes_file)(const char *path, uint64_t *);
};

struct hdb {
	const struct hdb_backend *be;
	void		*priv;
	int		 flags;		/* HDB_O_* */
	size_t		 expect;	/* hdb_create: records expected, or 0 */
	double		 read_budget;	/* hdb_read_budget, or 0 */
	unsigned	 pieces;	/* read transactions a read ended */
	double		 max_piece_ms;	/* the longest of them */
	char		*path;		/* to open: under SPOOL/db, via pin.h */
	char		 err[256];
};

extern const struct hdb_backend hdb_backend_bdb;
extern const struct hdb_backend hdb_backend_gdbm;
extern const struct hdb_backend hdb_backend_tdb;
extern const struct hdb_backend hdb_backend_ndbm;
extern const struct hdb_backend hdb_backend_sqlite;

/* NULL-terminated, in probe order. */
extern const struct hdb_backend *const hdb_backends[];

/* Backend by name ("bdb", "gdbm", "tdb", "ndbm", "sqlite"), or NULL. */
const struct hdb_backend *hdb_backend_find(const char *name);

/*
 * hdb_detect - find the backend of the DB at path by its magic.  Looks at
 * path itself, then path.dir (NDBM) and path.db (BDB's NDBM emulation).
 * Returns the backend, or NULL with errno set (ENOENT: no such DB;
 * EINVAL, standing in for BSD's EFTYPE: the file exists but no backend
 * recognises it, or it is not a regular file; EISDIR: a directory).  Reads
 * only; opens with O_NOFOLLOW, so a symlink gives ELOOP.  Other errno values
 * (EACCES, EIO) come from open(2) or read(2).
 */
const struct hdb_backend *hdb_detect(const char *path);

/*
 * hdb_precheck - before the caller takes Exim's lock on the DB at path:
 * the backend checks the file's structure now, with no lock held, so that
 * the open under the lock finds it done if nobody wrote in between
 * (Berkeley DB: the page check reads the whole file).  Nothing is
 * reported: the open under the lock says what is wrong.
 */
void	hdb_precheck(const struct hdb_backend *be, const char *path);

/*
 * hdb_open - open path with backend be (NULL: detect).  flags are HDB_O_*;
 * mode is used only when creating.  On failure returns NULL and, if errbuf
 * is not NULL, leaves the reason there.  Locking is the caller's business
 * (lock.h): lock first, open, work, close, unlock.
 */
struct hdb *hdb_open(const struct hdb_backend *be, const char *path, int flags,
    mode_t mode, char *errbuf, size_t errlen);
/*
 * hdb_create - hdb_open for a bulk writer that knows roughly how many
 * records are coming (0: unknown), so that the backend can size the file
 * for them (tdb: its hash table; Exim's 131 chains make each lookup walk
 * n/131 records).
 */
struct hdb *hdb_create(const struct hdb_backend *be, const char *path,
    int flags, mode_t mode, size_t expect, char *errbuf, size_t errlen);
void	 hdb_close(struct hdb *);	/* accepts NULL */

/* A tdb file's hash chains, or 0 for another backend. */
unsigned hdb_tdb_chains(struct hdb *);

/*
 * Has a TDB transaction ever committed on this file (it has a recovery
 * area: Exim 4.99+ writes in transactions)?  0 for another backend.
 */
int	 hdb_tdb_txn_used(struct hdb *);

/*
 * May a run of write holds on h skip the sync of each and sync once after
 * the last?  Where every write lands in the shared file at once
 * (HDB_CAP_WRITES_THROUGH: TDB, whose handle stays open), unless TDB
 * transaction writers are at work now: an fsync per hold, of pages
 * scattered over the file, cost 20 times the work (tidy of 300k records:
 * 11.8 s against 0.54 s); but each commit of an Exim 4.99+ transaction
 * fsyncs the file, our dirty pages with it, and the writer that waited
 * for our hold then waits as long again (max 145 ms against 86).  "At
 * work": the file has a recovery area (a transaction was ever committed)
 * and another process wrote it within the last 5 seconds, as seen when h
 * was opened and, after each call, before h's next write.  Ask once a
 * hold, after its writes.
 */
int	 hdb_sync_late(struct hdb *);	/* 0 for NULL */

/*
 * hdb_tdb_lockall - take (on) or drop TDB's lock on every chain, so that a
 * batch of deletes waits for an Exim 4.99+ transaction once, not once per
 * key.  HDB_OK (at once for another backend), or HDB_ERR.
 */
int	 hdb_tdb_lockall(struct hdb *, int on);
/*
 * hdb_tdb_txn - begin (HDB_TXN_BEGIN), commit or cancel a TDB transaction
 * on h, as Exim 4.99+ writes: until the commit nothing reaches the file,
 * and a commit cut short is undone by the next open (TDB's recovery
 * area), so a writer killed at any moment leaves the file as it was
 * before the transaction or after it.  The transaction keeps every other
 * writer out as hdb_tdb_lockall does.  HDB_TXN_COMMIT_LATE commits
 * with TDB_NOSYNC: whole against a kill, not against a power cut before
 * the caller's own sync.  A delete of the record a write walk stands on
 * stays as fast as outside (be_tdb.c says how).  HDB_OK (at once for
 * another backend, or a handle not open for writing, or a commit or
 * cancel with no transaction begun), or HDB_ERR.
 */
enum { HDB_TXN_BEGIN, HDB_TXN_COMMIT, HDB_TXN_COMMIT_LATE, HDB_TXN_CANCEL };
int	 hdb_tdb_txn(struct hdb *, int op);

/*
 * Writing a whole DB into a live file instead of renaming over it, where
 * Exim opens the DB without a lockfile (SQLite; tdb from 4.99): an Exim
 * that has the file open would go on writing into the file moved away.
 *
 * hdb_sqlite_counter - the change counter of the SQLite DB at path (its
 * header's, moved by every commit), read before its records are.  Not
 * while a connection of this process is open on it.  HDB_OK or HDB_ERR.
 *
 * hdb_sqlite_write_back - make the SQLite DB at path hold exactly what
 * the one at from (closed) holds, page for page, in one write transaction
 * of path's (SQLite's backup API): its inode, owner and mode stay, and
 * it ends as compact as from.  Once the transaction keeps Exim's writers
 * out, a counter that is no longer `counter` (Exim wrote since) stops it
 * with nothing written: HDB_NOTFOUND.  HDB_OK, or HDB_ERR with err.
 * *held_ms: how long Exim's writers were kept out.
 *
 * hdb_sqlite_held_copy - with h open for writing (its transaction keeps
 * Exim's writers out): the change counter now, and a copy of the DB, page
 * for page, at dst (created), made through h's own connection: a second
 * descriptor on the file, once closed, would drop h's lock (fcntl locks
 * belong to the process).  HDB_OK, or HDB_ERR with err.
 *
 * hdb_sqlite_salvage - for check --repair: every row of h's SQLite DB
 * that can still be read, to fn: each key of the key index read alone,
 * a row on a damaged page passed over, then the table in rowid order up
 * to its first damage.  Rows may come twice.  HDB_OK, or fn's nonzero.
 *
 * hdb_tdb_write_back - the same for tdb, in one TDB transaction: the
 * file is emptied (tdb_wipe_all, which reads nothing of a damaged file)
 * and every record of from stored; `was` (hdb_db_stat's, before the
 * records were read) stands for the counter: a file whose size, mtime or
 * inode differs was written since.  The file keeps its size.
 */
struct stat;
int	 hdb_sqlite_counter(const char *path, uint32_t *counter);
int	 hdb_sqlite_write_back(const char *path, const char *from,
	    uint32_t counter, double *held_ms, char *err, size_t len);
int	 hdb_sqlite_held_copy(struct hdb *h, const char *dst,
	    uint32_t *counter, char *err, size_t len);
int	 hdb_sqlite_salvage(struct hdb *h, hdb_iter_fn fn, void *ctx);
int	 hdb_tdb_write_back(const char *path, const char *from,
	    const struct stat *was, double *held_ms, char *err, size_t len);

/*
 * hdb_bdb_retrust - the Berkeley DB file this process last wrote (and so
 * trusts, be_bdb.c: no whole-file check before its next use) has been
 * renamed, or given an owner and mode, by this process: keep trusting it
 * if st shows the same content (inode, size, mtime) with a new ctime.
 * Call it while the write lock still keeps others out.
 */
struct stat;
void	 hdb_bdb_retrust(const struct stat *st);
/*
 * hdb_bdb_own - on: the Berkeley DB file st shows, which this process
 * wrote and trusts as it is now (hdb_bdb_retrust), stays trusted while
 * Exim writes it, with no whole-file check when this process opens it
 * again; off: no longer.  For a catch-up after a rename (catchup.h): it
 * reopens the new file in every write hold, and Exim writes it between
 * them, so a check each time would read the whole file under the lock,
 * hold after hold.  The check is for files this process has not seen
 * made (damage from a disk, a crash or another program); the new file
 * it made minutes ago, and only Exim's libdb, under the lock, has
 * written it since.  Call it under the write lock, right after the rename.
 */
void	 hdb_bdb_own(const struct stat *st, int on);
/* hdb_bdb_full_checks - how often the whole-file check ran before a read
 * or write through a handle (so, under a caller's lock); for -v */
size_t	 hdb_bdb_full_checks(void);
/*
 * hdb_bdb_buckets - the hash buckets of the Berkeley DB hash file at path,
 * from its meta page, read with no lock (a hint: for the order its records
 * come in); 0 if it is not one.
 */
uint32_t hdb_bdb_buckets(const char *path);

int	 hdb_get(struct hdb *, struct hdb_datum key, struct hdb_datum *val);
int	 hdb_put(struct hdb *, struct hdb_datum key, struct hdb_datum val);
int	 hdb_del(struct hdb *, struct hdb_datum key);
/*
 * hdb_add - hdb_put unless key is there already: HDB_OK, HDB_EXISTS
 * (nothing written), or HDB_ERR.  A bulk writer's duplicate check at the
 * cost of one lookup, not two, where the backend can (Berkeley DB).
 */
int	 hdb_add(struct hdb *, struct hdb_datum key, struct hdb_datum val);
int	 hdb_iterate(struct hdb *, hdb_iter_fn, void *ctx);
/*
 * hdb_count - how many records the DB holds, each read as an iteration
 * reads it (a writer's check of its new file), but where the backend can,
 * a page at a time (Berkeley DB's bulk cursor).  HDB_OK or HDB_ERR.
 */
int	 hdb_count(struct hdb *, size_t *n);

/*
 * hdb_set_iter_hook - have hdb_iterate and hdb_iterate_after tell fn, now
 * and then, how many more records their callbacks have been given (every
 * HDB_ITER_TICK records, and the rest at the end of each call), so that a
 * tool can show progress.  NULL (the default) removes it, and iteration
 * then costs nothing extra.  Process-wide, like a signal handler.
 */
#define HDB_ITER_TICK	256
typedef void	 hdb_iter_hook_fn(uint64_t n, void *arg);
void	 hdb_set_iter_hook(hdb_iter_hook_fn *fn, void *arg);

/*
 * The size cap: far above any record an Exim writes (the biggest are tls
 * sessions, a few KiB up to a 64 KiB ticket plus certificates, and wait
 * records of 50 message IDs; keys are host names, addresses and hashes).
 * hdb_cap_sizes(1) makes every iteration and scan of the process (as the
 * hook, process-wide) pass over records above it instead of giving them
 * to the callback, so that a reader that keeps what it reads never keeps
 * one; hdb_oversize says how many were passed over since it last said.
 * A backend may hand such a record over with its true length and no
 * content (SQLite, for a DB opened while capped: never read).
 */
#define HDB_KEY_MAX	(64u << 10)
#define HDB_VAL_MAX	(1u << 20)
void	 hdb_cap_sizes(int on);
int	 hdb_sizes_capped(void);
uint64_t hdb_oversize(void);
/* A record read by hdb_get that the cap passes over: 1 (and counted in
 * hdb_oversize) if capped and over it. */
int	 hdb_over_cap(struct hdb_datum key, struct hdb_datum val);

/*
 * hdb_iterate_after - like hdb_iterate, but start just after the record
 * whose key is `after` (after.data == NULL: from the first record), in the
 * backend's own iteration order.  Returns HDB_NOTFOUND (1) without calling
 * fn if `after` is not in the DB; otherwise as hdb_iterate (HDB_OK at the
 * end, HDB_ERR on error, or the callback's nonzero return, which therefore
 * should not be 1).
 *
 * This lets a long scan run in short lock holds: lock, open,
 * hdb_iterate_after(last key seen) until the callback stops it, close,
 * unlock, and again.  The position is found again from the key alone, so
 * the DB may be closed and changed in between.  On an unchanged DB the
 * records after K are exactly those hdb_iterate visits after K, in the same
 * order.  Records inserted in between may or may not be visited.  What
 * else a change in between does depends on the backend:
 *  - SQLite (key order) and TDB (hash chains, new records go first): every
 *    record that was there before and is still there after K is visited
 *    exactly once, whatever was inserted or deleted;
 *  - BDB: the same after deletes, and for btree files after inserts too;
 *    enough inserts to split hash buckets move records between them, so
 *    some old records may be missed or seen twice;
 *  - GDBM and NDBM: a delete moves the records after it within its bucket,
 *    so deletes (the caller's own between holds too) and inserts may make
 *    old records be missed or seen twice.
 * The order is the key order for SQLite and BDB btree files, hash order
 * otherwise.
 */
int	 hdb_iterate_after(struct hdb *, struct hdb_datum after,
	    hdb_iter_fn, void *ctx);
/*
 * hdb_scan - every record to fn, as hdb_iterate, but in the order that is
 * fastest to read, which need not be hdb_iterate's, so it cannot be
 * resumed by key.  SQLite reads its table in rowid order (its pages in
 * file order; key order is a lookup a row) and in pieces of short read
 * transactions, as its hdb_iterate does.  If another process committed
 * between two pieces, *changed is set: a row replaced after the scan
 * passed it is seen again at the table's end, so a caller that must see
 * each key once keeps its last copy.  Every other backend: hdb_iterate,
 * and *changed is 0.  Returns as hdb_iterate.
 */
int	 hdb_scan(struct hdb *, hdb_iter_fn fn, void *ctx, int *changed);
/*
 * Holds on a handle kept open (HDB_CAP_HOLDS_OPEN: SQLite).  hdb_hold(h,
 * 0) commits h's write transaction and leaves h open with no lock and no
 * transaction; hdb_hold(h, 1) begins a new one (BEGIN IMMEDIATE, waiting
 * for a busy lock as hdb_open does).  The page cache stays, and is
 * dropped by SQLite only if another connection wrote meanwhile.  HDB_OK
 * (at once with nothing to do), or HDB_ERR.
 *
 * hdb_sweep - within a write transaction, every record whose position
 * is after *pos (0: from the first) to fn, in the file's own order
 * (SQLite's rowid: table pages one after the other), *pos following the
 * last record fn returned 0 for, so that the next hold's sweep goes on
 * from there.  fn may delete the record it is given.  A row Exim
 * replaces meanwhile moves to the end (a new rowid) and comes again.
 * Returns as hdb_iterate.
 */
int	 hdb_hold(struct hdb *, int on);
int	 hdb_sweep(struct hdb *, int64_t *pos, hdb_iter_fn fn, void *ctx);
/*
 * hdb_read_budget - SQLite reads outside a write transaction (iterate,
 * scan) in pieces: read transactions of at most hdb_hold_limit_ms(budget)
 * with hdb_gap_ms(budget) between (lock.h); without a call, 100 ms.
 * pieces and max_piece_ms in struct hdb count what the reads did.
 */
void	 hdb_read_budget(struct hdb *, double budget_ms);
int	 hdb_verify(struct hdb *);	/* HDB_ERR with text if damaged */
/*
 * hdb_free_bytes - how much of the open file the backend holds but no
 * record uses, by the backend's own account, into *fb: Berkeley DB, the
 * unused bytes of its pages and its free and never-used pages; tdb, its
 * free list; SQLite, its free pages (freelist_count x page_size).  Read
 * as it is now, without a lock of the backend's own (a figure, not a
 * promise).  HDB_OK; HDB_NOTFOUND where the backend keeps no such account
 * (GDBM, NDBM: unknown, not 0); HDB_ERR with text.
 */
int	 hdb_free_bytes(struct hdb *, uint64_t *fb);
/*
 * hdb_free_bytes_file - hdb_free_bytes of the DB at path, read from the
 * file with no handle and no lock, where the backend's account is in
 * bytes that a reader may take at any moment (Berkeley DB's page headers,
 * which hdb_precheck reads the same way): a walk of a big file then holds
 * no lock.  HDB_NOTFOUND where the backend has no such way (ask an open
 * handle), else as hdb_free_bytes, with errno for HDB_ERR.
 */
int	 hdb_free_bytes_file(const struct hdb_backend *be, const char *path,
	    uint64_t *fb);
int	 hdb_sync(struct hdb *);
/*
 * hdb_put_order - for a DB that hdb_create made for a bulk writer: the
 * rank of the part of the file that key goes to, so that a writer that
 * can hold records back puts them in ascending rank and the backend
 * fills its file in order (Berkeley DB: the hash bucket).  0 for every
 * key where the backend has no such order, or the file was not new.
 */
uint64_t hdb_put_order(struct hdb *, struct hdb_datum key);
/*
 * hdb_bulk_begin - for a new DB filled in any key order: SQLite keeps the
 * puts that follow in a temporary table (SQLite's temporary directory),
 * without a key index, so that they cost an append each, not a random
 * walk of the index; until hdb_bulk_end, gets and deletes fail.  HDB_OK,
 * HDB_NOTFOUND for a backend that puts straight in (every other), or
 * HDB_ERR.
 */
int	 hdb_bulk_begin(struct hdb *);
/*
 * hdb_bulk_end - puts go to the DB again; fn gets each key put since
 * hdb_bulk_begin once, with its last value, in key order (the order that
 * fills SQLite's index at its end), and may hdb_put it.  Returns as
 * hdb_iterate; HDB_OK if bulk was not begun.
 */
int	 hdb_bulk_end(struct hdb *, hdb_iter_fn fn, void *ctx);
const char *hdb_error(const struct hdb *);

/* For backends: record an error text in the handle; returns HDB_ERR. */
int	 hdb_seterr(struct hdb *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
