/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapshot.h - a private copy of an open hints DB, as it was at one
 * moment, for work that takes long but must not keep Exim waiting: the
 * backends' consistency checks read a million records in seconds, while a
 * copy takes the time the kernel needs to copy the bytes (tens of ms).
 *
 * Library code: nothing is printed.
 */
#ifndef HDB_SNAPSHOT_H
#define HDB_SNAPSHOT_H

#include <stddef.h>

#include "db/hdb.h"

/*
 * hdb_copy_db - copy the files of the DB at path (NAME, or NAME.dir and
 * NAME.pag for NDBM) to dst (NAME's place in a private directory:
 * hdb_atomic_new's), holes kept, mode 0600; over the files of an earlier
 * copy there, whose pages are then used again.  The caller keeps Exim's
 * writers out: its read lock on the lockfile does, for every Exim that
 * uses one.  A copy made first without the lock makes the one under it
 * quicker: the source is then read from memory, and the copy's pages
 * exist (a fresh page can cost a fault in a virtual machine: a copy of
 * 330 MB into new pages held the lock for 520 ms here, over old ones 45
 * ms).  0, or -1 with the reason in err.
 */
int	hdb_copy_db(const struct hdb_backend *be, const char *path,
	    const char *dst, char *err, size_t errlen);

/*
 * hdb_snapshot - hdb_copy_db of the DB open in h, with the backend's own
 * lock keeping out Exim's writers that use no lockfile (SQLite, TDB
 * 4.99+) for the copy's time.  0, or -1 with the reason in err.
 */
int	hdb_snapshot(struct hdb *h, const char *dst, char *err, size_t errlen);

#endif
