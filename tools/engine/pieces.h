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
 * from the top.  SQLite reads in pieces by itself (be_sqlite.c), so there
 * it is one call.
 *
 * A read during which the file changed between two holds (its mtime, size
 * or inode), or whose hold fell back, says so in inexact: some records may
 * have come twice (a fall back; a TDB record rewritten to the head of its
 * chain), and on Berkeley DB, GDBM and NDBM some that were there
 * throughout may have been missed (hdb.h: Exim's inserts split hash
 * buckets, and GDBM's deletes reorder them; after a change, a read of a
 * GDBM or NDBM file goes on from 32 to 64 records before the key it
 * stopped at, which catches what such a delete moved back).  Undisturbed,
 * a read in pieces is exact.
 */
#ifndef HDB_PIECES_H
#define HDB_PIECES_H

#include "common.h"

#define SCAN_BUDGET_MS	100	/* without --max-lock-ms: the README's */

struct scan_info {
	unsigned	 holds;
	int		 inexact;
};

/*
 * db_scan - hand every record of the DB open in d (for reading, by
 * db_open, which is how the first hold began) to fn, in holds of at most
 * budget_ms; fn returning nonzero fails the read.  d is closed when it
 * returns, whatever happened.  0, or an EX_* code after a diagnostic.
 */
int	db_scan(struct dbh *d, const char *spool, const struct dbopts *o,
	    const char *cmd, double budget_ms, hdb_iter_fn fn, void *ctx,
	    struct scan_info *si);

/*
 * db_slurp - db_scan into s (slurp.h; keys only if keys_only), keeping
 * the last copy of a key read twice.  d is closed when it returns; on
 * failure s is empty.
 */
struct slurp;
int	db_slurp(struct dbh *d, const char *spool, const struct dbopts *o,
	    const char *cmd, double budget_ms, int keys_only, struct slurp *s);

#endif
