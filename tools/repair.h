/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repair.h - `hintsdb check --repair`: rebuild a damaged hints DB from
 * every record that can still be read.
 */
#ifndef HDB_REPAIR_H
#define HDB_REPAIR_H

#include "common.h"

/*
 * repair_db - under Exim's write lock (held from before the first read
 * until the new DB is in place): every record the normal iteration
 * returns, plus every record salvage.h finds beyond it (one copy per key,
 * the normal read's first), written as stored into a new DB of the same
 * backend, which replaces SPOOL/db/NAME atomically with its owner and
 * mode (rebuild.h); an SQLite or TDB file, which Exim opens without a
 * lockfile, is written into instead, in one transaction (hdb.h), and read
 * again when Exim wrote it meanwhile.  Prints one summary line on standard output and its
 * own diagnostics.  Returns 0 or an EX_* code (the DB is then as it was).
 */
int	repair_db(const char *spool, const char *name, const struct dbopts *o,
	    const char *cmd);

#endif
