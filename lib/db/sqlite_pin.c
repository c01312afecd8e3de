/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sqlite_pin.c - an SQLite VFS that keeps a /proc/self/fd/N path as it is
 * (see pin.h).
 *
 * The unix VFS turns every file name into a full path and, since 3.33,
 * replaces each symlink in it by its target's text.  For the pinned
 * SPOOL/db, /proc/self/fd/N/NAME would so become SPOOL/db/NAME again: a
 * string the Exim user can redirect before the journal is opened.  This
 * VFS is the unix one except for that step: a name under /proc/self/fd/
 * is used as given, so the DB, its journal and the directory SQLite syncs
 * are all reached through the pinned fd.  Like SQLITE_OPEN_NOFOLLOW, a
 * symlink as the last component is refused.
 */
#include <sys/stat.h>

#include <string.h>

#include <sqlite3.h>

#include "db/sqlite_pin.h"

#define PROC_FD	"/proc/self/fd/"

static sqlite3_vfs pinvfs;
static sqlite3_vfs *unixvfs;

static int
pin_fullpath(sqlite3_vfs *vfs, const char *name, int nout, char *out)
{
	struct stat st;
	size_t n = strlen(name);

	if (strncmp(name, PROC_FD, sizeof(PROC_FD) - 1) != 0)
		return unixvfs->xFullPathname(unixvfs, name, nout, out);
	if (lstat(name, &st) == 0 && S_ISLNK(st.st_mode))
		return SQLITE_CANTOPEN;
	if (nout < 0 || n >= (size_t)nout)
		return SQLITE_CANTOPEN;
	memcpy(out, name, n + 1);
	return SQLITE_OK;
}

const char *
hdb_sqlite_vfs(void)
{
	if (unixvfs == NULL) {
		if ((unixvfs = sqlite3_vfs_find(NULL)) == NULL)
			return NULL;
		pinvfs = *unixvfs;
		pinvfs.zName = "hintsdb-pin";
		pinvfs.pNext = NULL;
		pinvfs.xFullPathname = pin_fullpath;
		if (sqlite3_vfs_register(&pinvfs, 0) != SQLITE_OK) {
			unixvfs = NULL;
			return NULL;
		}
	}
	return pinvfs.zName;
}
