/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sqlite_pin.h - the SQLite VFS for paths through the pinned SPOOL/db
 * (pin.h, sqlite_pin.c).
 */
#ifndef HDB_SQLITE_PIN_H
#define HDB_SQLITE_PIN_H

/*
 * hdb_sqlite_vfs - the name to pass as sqlite3_open_v2's zVfs: the
 * default VFS, except that /proc/self/fd/N/NAME is used as given instead
 * of being resolved back to a path string.  Registered on first use
 * (not as the default).  NULL if SQLite has no default VFS.
 */
const char *hdb_sqlite_vfs(void);

#endif
