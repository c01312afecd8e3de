/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eximver.h - which Exim's utilities the exim_* names (and dump's exim
 * format) imitate.  Debian ships three generations whose utilities differ:
 * 4.96 and 4.98.2 (legacy records, Berkeley DB, lockfiles; 4.98 words a
 * missing DB differently) and 4.100.1 (v2 records, SQLite, no lockfiles,
 * usage with -L, a second line per misc record).  Unless forced with
 * --exim-version, the generation is that of the spool: a DB whose records
 * are v2 is 4.100's, a tdb DB without a lockfile 4.99's, one with legacy
 * records 4.96's.
 */
#ifndef HDB_EXIMVER_H
#define HDB_EXIMVER_H

#include "db/hdb.h"
#include "rec/recfmt.h"	/* HDB_EXIM_* */

/* "4.96", "4.98", "4.99" or "4.100" (also "4.98.2", "4.99.1", "4.100.1");
 * -1 if unknown. */
int	eximver_parse(const char *s);

/* The version's name, for messages. */
const char *eximver_name(int v);

/*
 * eximver_of_db - forced if not HDB_EXIM_AUTO; else the generation whose
 * layout the first record of spool/db/name has (read under the DB's read
 * lock, never creating a file).  Without a lockfile, a tdb DB (or a
 * missing one beside tdb DBs) is 4.99's; a missing or empty DB beside
 * SQLite ones 4.100's (as 4.100.1 leaves a spool).  Else 4.96's.
 */
int	eximver_of_db(const char *spool, const char *name, int forced);

/*
 * eximver_lockfile - 1 if the Exim of generation gen uses NAME.lockfile
 * with backend be (exim_lockfile_used); be NULL, nothing to tell by: as
 * Debian builds, every generation but 4.100's.
 */
int	eximver_lockfile(int gen, const struct hdb_backend *be);

/*
 * eximver_spool_backend - the backend of spool/db/name, or, that missing,
 * of the first other hints DB in spool/db (an Exim is built with one);
 * NULL if none is known.
 */
const struct hdb_backend *eximver_spool_backend(const char *spool,
	    const char *name);

#endif
