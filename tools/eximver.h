/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eximver.h - which Exim's utilities the exim_* names (and dump's exim
 * format) imitate.  Debian ships three generations whose utilities differ:
 * 4.96 and 4.98.2 (legacy records, Berkeley DB, lockfiles; 4.98 words a
 * missing DB differently) and 4.100.1 (v2 records, SQLite, no lockfiles,
 * usage with -L, a second line per misc record).  Unless forced with
 * --exim-version, the generation is that of the spool: a DB whose records
 * are v2 is 4.100's, one with legacy records 4.96's.
 */
#ifndef HDB_EXIMVER_H
#define HDB_EXIMVER_H

#include "rec/recfmt.h"	/* HDB_EXIM_* */

/* "4.96", "4.98" or "4.100" (also "4.98.2", "4.100.1"); -1 if unknown. */
int	eximver_parse(const char *s);

/* The version's name, for messages. */
const char *eximver_name(int v);

/*
 * eximver_of_db - forced if not HDB_EXIM_AUTO; else the generation whose
 * layout the first record of spool/db/name has (read under the DB's read
 * lock, never creating a file).  A missing or empty DB is 4.100's when
 * spool/db holds no lockfile for it and another DB there is SQLite (as
 * 4.100.1 leaves a spool), else 4.96's.
 */
int	eximver_of_db(const char *spool, const char *name, int forced);

#endif
