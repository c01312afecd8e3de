/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sqlite_pin.h - the SQLite VFS for paths through the pinned SPOOL/db
 * (pin.h, sqlite_pin.c).
 */
#ifndef HDB_SQLITE_PIN_H
#define HDB_SQLITE_PIN_H

#include <stddef.h>

/*
 * hdb_sqlite_vfs - the name to pass as sqlite3_open_v2's zVfs: the
 * default VFS, except that /proc/self/fd/N/NAME is used as given instead
 * of being resolved back to a path string, and that no file is opened,
 * looked for or deleted but the DBs opened with it and their -journal,
 * -wal and -shm (never a super-journal a journal names).  Registered on
 * first use (not as the default).  NULL if SQLite has no default VFS.
 */
const char *hdb_sqlite_vfs(void);

struct sqlite3;

/*
 * hdb_sqlite_harden - for a DB just opened: SQLITE_DBCONFIG_DEFENSIVE on,
 * the schema untrusted, triggers, views and extension loading off.
 * 0, or -1 if SQLite would not.
 */
int	hdb_sqlite_harden(struct sqlite3 *db);

/* The last name the VFS refused (NULL: none since the last clear). */
const char *hdb_sqlite_refused(void);
void	hdb_sqlite_refused_clear(void);

/*
 * hdb_sqlite_super - 1 if DB-journal is a hot rollback journal that names a
 * super-journal, whose name (raw bytes, NUL-ended, cut to len) goes to
 * name; 0 if not (or no journal).  SQLite would look for that file, read
 * it and delete it while rolling the journal back.
 */
int	hdb_sqlite_super(const char *db, char *name, size_t len);

#endif
