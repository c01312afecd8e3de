/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * catchup.h - after convert --in-place or import has renamed its new DB
 * over SPOOL/db/NAME, carry into it what Exim wrote to the old one while
 * the new one was being built, so that the write lock is held only for
 * the rename, and no Exim update made meanwhile is lost.
 *
 * The old DB is reached through a hard link made under the write lock
 * just before the rename (hdb_atomic_link_old).  An Exim that follows the
 * lock protocol opens by name after locking, so after the rename it
 * writes only the new DB: the old one is frozen and is read without a
 * lock.  Every Exim write sets the record's time stamp to the time of
 * day, which is how a record written since the build began is told.
 *
 * A record of the old DB goes into the new one when it is stamped at or
 * after t0 (the build's start), or, when the build read the old DB
 * (from_old: convert, tidy), the build neither wrote its key nor left
 * it out on purpose (a read in pieces can miss one, pieces.h) — unless
 * the new DB's copy is stamped at or after t_swap (Exim wrote it after
 * the rename), or the build wrote the key and it is gone from the new DB
 * (Exim deleted it after the rename).
 * Time stamps count seconds, so a copy the build made of a record Exim
 * wrote in the second of the rename looks as new as Exim's own writes
 * after it: the build's copies stamped from t0 on are remembered (copies)
 * and never taken for Exim's.
 * Then a key the build wrote that the old DB no longer holds, though it
 * did when the build began (before; NULL: the build read the old DB, so
 * every key it wrote was there), is deleted from the new one, unless Exim
 * wrote it after the rename.
 *
 * Both passes change the new DB in write holds of at most budget_ms, as
 * tidy does.  SQLite and TDB from Exim 4.99 take no lockfile: an Exim that
 * opened the old DB before the rename may still write it, so the first
 * pass is run again while the old file keeps changing.
 */
#ifndef HDB_CATCHUP_H
#define HDB_CATCHUP_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* The keys a build wrote, as 64-bit hashes. */
struct keyset {
	uint64_t	*h;
	size_t		 n, cap;
};

void	keyset_add(struct keyset *, struct hdb_datum key);
void	keyset_add_hash(struct keyset *, uint64_t h);	/* hdb_hash_bytes's */
void	keyset_seal(struct keyset *);	/* sort; before keyset_has */
int	keyset_has(const struct keyset *, struct hdb_datum key);
void	keyset_free(struct keyset *);

/* The record's time stamp, from its header alone; INT64_MAX when that
 * does not read. */
int64_t	catchup_stamp(struct hdb_datum val);
/* A record as stored, for struct catchup's copies. */
void	keyset_add_rec(struct keyset *, struct hdb_datum key,
	    struct hdb_datum val);

struct catchup {
	const char	*spool;
	const char	*name;
	const char	*cmd;
	const struct dbopts *o;		/* for db_open of the new DB */
	enum hdb_dbtype	 type;
	enum hdb_layout	 to;		/* the new DB's layout */
	int64_t		 t0;		/* the build began (time of day) */
	int64_t		 t_swap;	/* the rename */
	int		 from_old;
	double		 budget_ms;
	const struct keyset *written;
	const struct keyset *before;
	const struct keyset *copies;	/* sealed */
	/*
	 * Keys the build read and left out on purpose (tidy), or NULL:
	 * dropped says whether it left key out; revived is told when Exim
	 * wrote such a key meanwhile, and the catch-up put it back.
	 */
	int		(*dropped)(void *ctx, struct hdb_datum key);
	void		(*revived)(void *ctx, struct hdb_datum key);
	void		*dctx;
	uint8_t		*buf;		/* a record in the new layout */
	size_t		 cap;
	/* what it did */
	size_t		 put;
	size_t		 deleted;
	size_t		 newer;		/* left: Exim wrote it after the rename */
	unsigned	 holds;		/* write holds on the new DB */
	size_t		 checked;	/* of them, those that read the whole
					 * file first (Berkeley DB's check) */
	double		 max_hold_ms;	/* the longest of them */
	double		 t_hold;	/* the current one began */
};

/*
 * catchup_run - both passes, from the old DB at old_path.  0, or an EX_*
 * code after a diagnostic.
 */
int	catchup_run(struct catchup *, const char *old_path);

/*
 * catchup_into - instead of a rename: write the new DB at new_path (built
 * and closed, private) into the live one, in write holds of at most
 * budget_ms, so that an Exim that opens the DB without a lockfile (SQLite;
 * tdb from 4.99) never holds a file that was moved away.  Every record of
 * the new DB is put unless the live one holds it already, or Exim wrote
 * it there since the build began (stamped from t0 on; counted as newer),
 * or it is gone from there and was there when the build began (before,
 * or NULL when the build read the live DB: Exim deleted it; newer too).
 * Then every record the live DB holds that the new one lacks and Exim did
 * not write since t0 is deleted (from_old: put in the new layout instead,
 * if the build missed it and it converts).  put and deleted count the
 * changes.  0, or an EX_* code after a diagnostic.
 */
int	catchup_into(struct catchup *, const char *new_path);

/*
 * For a run killed after its rename: catchup_save_keys (before the write
 * lock) and catchup_save_times (under it, after t_swap is set, before
 * the rename) keep beside the old DB in its private directory what the
 * catch-up needs; 0 or -1.  catchup_recover, in the next run before it
 * removes what dead runs left, does the catch-up of each such directory
 * into SPOOL/db/NAME (by its times and keysets; the build's missed
 * records, without Exim writing them, aside).  0, or an EX_* code after
 * a diagnostic.
 */
struct hdb_atomic;
int	catchup_save_keys(const struct catchup *, struct hdb_atomic *old);
int	catchup_save_times(const struct catchup *, struct hdb_atomic *old);
int	catchup_recover(const char *spool, const char *name, const char *cmd,
	    const struct dbopts *o);

#endif
