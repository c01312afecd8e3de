/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pieces.h - read a whole DB in short read-lock holds, so that an Exim
 * process that wants to write waits for one hold (65% of budget_ms), not
 * for the whole read: a million Berkeley DB records take half a second.
 *
 * Each hold locks, opens, reads on from just after the last key the hold
 * before saw (hdb_iterate_after), closes and unlocks; a pause then lets
 * waiting writers in.  Should Exim delete that key in between, the end of
 * an earlier hold serves, and failing all of them the read starts again
 * from the top.  SQLite reads in pieces by itself (be_sqlite.c: read
 * transactions of hdb_hold_limit_ms, hdb_read_budget), so there it is
 * one call (hdb_iterate, or hdb_scan).
 *
 * A read during which the file changed between two holds (its mtime, size
 * or inode), or whose hold fell back, says so in inexact: some records may
 * have come twice (a fall back; a TDB record rewritten to the head of its
 * chain), and on Berkeley DB, GDBM and NDBM some that were there
 * throughout may have been missed (hdb.h: Exim's inserts split hash
 * buckets, and GDBM's deletes reorder them; after a change, a read of a
 * GDBM or NDBM file goes on from up to 256 records before the key it
 * stopped at, more than a bucket holds, which catches what a delete or a
 * split of that bucket moved back).  Undisturbed, a read in pieces is
 * exact.
 */
#ifndef HDB_PIECES_H
#define HDB_PIECES_H

#include <sys/stat.h>

#include "common.h"

#define SCAN_BUDGET_MS	100	/* without --max-lock-ms: the README's */

/* flags of db_scan and db_slurp */
#define SCAN_ANY_ORDER	0x01	/* hdb_scan's order will do (SQLite: rowid,
				 * several times faster than key order) */
#define SCAN_KEYS	0x02	/* db_slurp: keep the keys only */
#define SCAN_DUPS	0x04	/* db_slurp_stream: pass a key read twice on
				 * each time (the drain takes repeats; see
				 * s->changed) */

/* db_scan's fn: the record is taken, and the hold should end after it
 * (a reader whose buffer is full; SQLite's read in key order ends there
 * too, and goes on from that key; its rowid scan does not) */
#define SCAN_FULL	3

struct scan_info {
	unsigned	 holds;		/* SQLite: its read transactions */
	double		 max_hold_ms;	/* the longest */
	size_t		 max_hold_records;	/* the most one hold read
					 * (SQLite: one call of its own) */
	int		 inexact;
};

/*
 * db_scan - hand every record of the DB open in d (for reading, by
 * db_open, which is how the first hold began) to fn, in holds of at most
 * budget_ms; fn returning nonzero fails the read.  In hdb_iterate's
 * order, or with SCAN_ANY_ORDER in hdb_scan's.  d is closed when it
 * returns, whatever happened.  0, or an EX_* code after a diagnostic.
 */
int	db_scan(struct dbh *d, const char *spool, const struct dbopts *o,
	    const char *cmd, double budget_ms, unsigned flags, hdb_iter_fn fn,
	    void *ctx, struct scan_info *si);

/*
 * db_sweep - walk the DB in write-lock holds paced as db_scan's reads
 * (each ends when only its sync is left to fit in hdb_hold_limit_ms),
 * handing every record to pick, which returns SWEEP_DELETE to have it
 * deleted there and then, 0 to keep it; anything else fails the walk.
 * Only where a walk may delete what it stands on in O(1)
 * (HDB_CAP_DEL_IN_ITER: TDB, whose delete by key walks the whole hash
 * chain): elsewhere it returns SWEEP_UNABLE at once, having changed
 * nothing.  Each hold goes on after the last record the one before kept;
 * a record Exim stores meanwhile at a chain's head before that is not
 * seen.  begin (may be NULL) starts each hold; done(ctx, kept) follows
 * its sync and close, kept saying whether its deletions reached the disk.
 * 0, or an EX_* code after a diagnostic.
 */
#define SWEEP_DELETE	4
#define SWEEP_UNABLE	(-1)

struct sweep {
	void		(*begin)(void *ctx);
	hdb_iter_fn	 pick;
	void		(*done)(void *ctx, int kept);
};

int	db_sweep(const char *spool, const char *name, const struct dbopts *o,
	    const char *cmd, double budget_ms, const struct sweep *sw,
	    void *ctx, struct scan_info *si);

/*
 * db_slurp - db_scan into s (slurp.h; keys only with SCAN_KEYS), keeping
 * the last copy of a key read twice.  d is closed when it returns; on
 * failure s is empty.
 */
struct slurp;
int	db_slurp(struct dbh *d, const char *spool, const struct dbopts *o,
	    const char *cmd, double budget_ms, unsigned flags, struct slurp *s);

/*
 * db_slurp_stream - db_slurp in batches of about limit bytes: whenever s
 * is that full the hold ends, and between holds, unlocked, drain(ctx, s)
 * hands the batch on and s is emptied; the last batch is left in s.  A
 * key read twice (the DB changed during the read) is passed on once, its
 * first copy (slurp_stream_dedupe), unless SCAN_DUPS.  s->changed says
 * whether the DB changed during the read so far.  On failure s is empty.
 */
int	db_slurp_stream(struct dbh *d, const char *spool,
	    const struct dbopts *o, const char *cmd, double budget_ms,
	    unsigned flags, struct slurp *s, size_t limit,
	    void (*drain)(void *ctx, struct slurp *s), void *ctx);
/* db_slurp_stream, telling what its holds did in si. */
int	db_slurp_stream_info(struct dbh *d, const char *spool,
	    const struct dbopts *o, const char *cmd, double budget_ms,
	    unsigned flags, struct slurp *s, size_t limit,
	    void (*drain)(void *ctx, struct slurp *s), void *ctx,
	    struct scan_info *si);

/*
 * Whether anyone wrote the DB at path (its data file: hdb_db_stat) between
 * two looks: db_file_note looks; db_file_changed looks again and says 1
 * if the file differs in inode, size, mtime or ctime, if either look
 * failed, or if the first came within a clock tick of a write, so that a
 * later write could leave the times as they were.
 */
struct db_file {
	struct stat	 st;
	int		 unsure;
};

void	db_file_note(const char *path, struct db_file *);
int	db_file_changed(const char *path, struct db_file *);

/*
 * db_paced - one(ctx, d, i) for i from 0 to n - 1, with the DB open (for
 * writing if write) in holds paced by hdb_pace (lock.h: shorter holds and
 * longer pauses on SQLite), each under TDB's lock on every chain (an Exim
 * 4.99+ transaction then delays a hold once, not each change), with a
 * pause for waiting writers between two.  Any hook may be NULL: begin
 * starts a hold; one returns -1 to fail, and then failed(ctx, d) may say
 * why while d is open; done(ctx, i, kept) follows each hold's close, with
 * the first i not done and whether the hold's changes were kept.  With
 * txn, a TDB hold is one TDB transaction instead (hdb_tdb_txn), so that a
 * kill leaves the file as it was before the hold or after it, and a
 * failed hold keeps nothing; a SQLite hold is always one transaction
 * (BEGIN IMMEDIATE at the open, COMMIT at the close).  0, or an EX_*
 * code (after a diagnostic, but for a failure of one).
 */
struct paced {
	void	(*begin)(void *ctx);
	int	(*one)(void *ctx, struct dbh *d, size_t i);
	void	(*failed)(void *ctx, struct dbh *d);
	void	(*done)(void *ctx, size_t i, int kept);
	int	  txn;
};

int	db_paced(const char *spool, const char *name, int write,
	    const struct dbopts *o, const char *cmd, double budget_ms,
	    size_t n, const struct paced *p, void *ctx);

#endif
