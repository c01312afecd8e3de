/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * delete.h - delete's machinery for other commands (forget): the records
 * a chooser picks, collected in short read-lock holds and deleted in
 * short write-locked batches, in rounds while the file changes, with the
 * privilege and lock rules of `hintsdb delete --match` (cmd_delete.c).
 */
#ifndef HDB_DELETE_H
#define HDB_DELETE_H

#include <stddef.h>

#include "common.h"

struct delete_pick {
	/* 1 to delete the record key, val of DB name (of type t) */
	int	(*fn)(void *ctx, enum hdb_dbtype t, const char *name,
		    struct hdb_datum key, struct hdb_datum val);
	void	*ctx;
};

struct delete_opts {
	long		 max_lock_ms;	/* 0: 100 */
	int		 dry_run;	/* -n: say, delete nothing */
	int		 quiet;		/* no line per record */
	int		 no_drop;	/* --no-drop-privileges */
};

/* The options delete and forget share: -n/--dry-run, -q/--quiet,
 * --max-lock-ms, --no-drop-privileges, --backend, --lock-timeout.  Their
 * long-option ids; a command numbers its own from OPT_DEL_FIRST_FREE. */
enum {
	OPT_DEL_DRY_RUN = OPT_FIRST_FREE,
	OPT_DEL_MAX_LOCK_MS,
	OPT_DEL_NO_DROP,
	OPT_DEL_QUIET,
	OPT_DEL_FIRST_FREE,
};

/* Parse one shared option: 0 taken, -1 after a usage error, 1 not one
 * of them. */
int	delete_opt(struct delete_opts *, struct dbopts *, const char *cmd,
	    int ch, const char *arg);

/*
 * delete_picked - delete from spool/db/name every record pick chooses,
 * printing "deleted 'KEY'" (or "would delete") for each unless quiet.
 * The caller has dropped privileges (priv_drop) first.  *n: how many.
 * 0 (also when none was chosen), or an EX_* code after a diagnostic.
 */
int	delete_picked(const char *spool, const char *name,
	    const struct dbopts *, const struct delete_opts *,
	    const struct delete_pick *, size_t *n);

#endif
