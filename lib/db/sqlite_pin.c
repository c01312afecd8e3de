/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sqlite_pin.c - an SQLite VFS that keeps a /proc/self/fd/N path as it is
 * (see pin.h), and lets SQLite reach no file but a DB it was asked to open
 * and that DB's own journal, WAL and shared-memory files.
 *
 * The unix VFS turns every file name into a full path and, since 3.33,
 * replaces each symlink in it by its target's text.  For the pinned
 * SPOOL/db, /proc/self/fd/N/NAME would so become SPOOL/db/NAME again: a
 * string the Exim user can redirect before the journal is opened.  This
 * VFS is the unix one except for that step: a name under /proc/self/fd/
 * is used as given, so the DB, its journal and the directory SQLite syncs
 * are all reached through the pinned fd.  Like SQLITE_OPEN_NOFOLLOW, a
 * symlink as the last component is refused.
 *
 * A rollback journal may end with the name of a "super-journal", which
 * SQLite checks for, opens, reads and deletes when it rolls the journal
 * back.  That name is the file's text, so whoever can write SPOOL/db
 * chooses it: as root, SQLite would delete any file it names.  Exim never
 * attaches a second DB, so a super-journal is never real: every name that
 * is not a main DB opened by our own code (never one read from a file),
 * or such a DB's NAME-journal, NAME-wal or NAME-shm, is refused by xOpen,
 * xAccess and xDelete.  SQLite's temporary files have no name and stay
 * as the unix VFS makes them (O_EXCL, unlinked at once).  A refused name
 * is kept for the error message (hdb_sqlite_refused).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/sqlite_pin.h"
#include "xmalloc.h"

#define PROC_FD	"/proc/self/fd/"

static sqlite3_vfs pinvfs;
static sqlite3_vfs *unixvfs;
static char **mains;		/* main DBs opened, as SQLite names them */
static size_t nmains;
static char refused[512];	/* the last name refused, for messages */

static const char *const companions[] = { "-journal", "-wal", "-shm" };

static int
pin_fullpath(sqlite3_vfs *vfs, const char *name, int nout, char *out)
{
	struct stat st;
	size_t n = strlen(name);

	(void)vfs;
	if (strncmp(name, PROC_FD, sizeof(PROC_FD) - 1) != 0)
		return unixvfs->xFullPathname(unixvfs, name, nout, out);
	if (lstat(name, &st) == 0 && S_ISLNK(st.st_mode))
		return SQLITE_CANTOPEN;
	if (nout < 0 || n >= (size_t)nout)
		return SQLITE_CANTOPEN;
	memcpy(out, name, n + 1);
	return SQLITE_OK;
}

/* is_main - name is a main DB that our code had SQLite open. */
static int
is_main(const char *name)
{
	size_t i;

	for (i = 0; i < nmains; i++)
		if (strcmp(mains[i], name) == 0)
			return 1;
	return 0;
}

/* is_companion - name is a main DB's -journal, -wal or -shm. */
static int
is_companion(const char *name)
{
	size_t i, j, n;

	for (i = 0; i < nmains; i++) {
		n = strlen(mains[i]);
		if (strncmp(mains[i], name, n) != 0)
			continue;
		for (j = 0; j < sizeof(companions) / sizeof(companions[0]); j++)
			if (strcmp(name + n, companions[j]) == 0)
				return 1;
	}
	return 0;
}

static int
refuse(const char *name, int rc)
{
	snprintf(refused, sizeof(refused), "%s", name);
	return rc;
}

/*
 * pin_open - a main DB is one of ours (SQLite opens one only when our code
 * calls sqlite3_open_v2; we never ATTACH): remember it.  Anything else
 * with a name must be one of its companions, and never a super-journal.
 */
static int
pin_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *outflags)
{
	(void)vfs;
	if (name != NULL && (flags & SQLITE_OPEN_MAIN_DB)) {
		if (!is_main(name)) {
			mains = xreallocarray(mains, nmains + 1,
			    sizeof(*mains));
			mains[nmains++] = xstrdup(name);
		}
	} else if (name != NULL && ((flags & SQLITE_OPEN_SUPER_JOURNAL) ||
	    !is_companion(name))) {
		f->pMethods = NULL;
		return refuse(name, SQLITE_CANTOPEN);
	}
	return unixvfs->xOpen(unixvfs, name, f, flags, outflags);
}

static int
pin_access(sqlite3_vfs *vfs, const char *name, int what, int *res)
{
	(void)vfs;
	if (!is_main(name) && !is_companion(name)) {
		*res = 0;
		return refuse(name, SQLITE_IOERR_ACCESS);
	}
	return unixvfs->xAccess(unixvfs, name, what, res);
}

static int
pin_delete(sqlite3_vfs *vfs, const char *name, int syncdir)
{
	(void)vfs;
	if (!is_companion(name))
		return refuse(name, SQLITE_IOERR_DELETE);
	return unixvfs->xDelete(unixvfs, name, syncdir);
}

/* No extension is ever loaded (SQLite has loading off; this makes sure). */
static void *
pin_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	(void)name;
	return NULL;
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
		pinvfs.xOpen = pin_open;
		pinvfs.xAccess = pin_access;
		pinvfs.xDelete = pin_delete;
		pinvfs.xDlOpen = pin_dlopen;
		if (sqlite3_vfs_register(&pinvfs, 0) != SQLITE_OK) {
			unixvfs = NULL;
			return NULL;
		}
	}
	return pinvfs.zName;
}

/*
 * The schema is the file's text, so the Exim user's: nothing in it may run
 * as us.  DEFENSIVE keeps SQL from writing the schema or the file
 * directly; trusted_schema off keeps the schema's functions and virtual
 * tables to harmless ones; triggers and views are off altogether (Exim
 * makes none, and check reports any), as is extension loading.
 */
int
hdb_sqlite_harden(sqlite3 *db)
{
	static const int off[] = {
		SQLITE_DBCONFIG_ENABLE_TRIGGER,
		SQLITE_DBCONFIG_ENABLE_VIEW,
		SQLITE_DBCONFIG_TRUSTED_SCHEMA,
		SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
	};
	size_t i;
	int v = -1;

	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &v) !=
	    SQLITE_OK || v != 1)
		return -1;
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		v = -1;
		if (sqlite3_db_config(db, off[i], 0, &v) != SQLITE_OK ||
		    v != 0)
			return -1;
	}
	return 0;
}

const char *
hdb_sqlite_refused(void)
{
	return refused[0] != '\0' ? refused : NULL;
}

void
hdb_sqlite_refused_clear(void)
{
	refused[0] = '\0';
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * The end of a journal that names a super-journal (SQLite's pager.c,
 * writeSuperJournal; fileformat2.html): ... NAME, its length (4 bytes,
 * big-endian), a checksum (4) and the journal's magic (8).  Read as SQLite
 * reads it, but the checksum is not needed to refuse it.
 */
int
hdb_sqlite_super(const char *db, char *name, size_t len)
{
	static const unsigned char magic[8] = {
		0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7
	};
	unsigned char tail[16], first;
	char path[4096];
	struct stat st;
	uint32_t n;
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s-journal", db) >=
	    sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return 0;
	/* hot: SQLite plays back a journal whose first byte is not 0 */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size < 17 ||
	    pread(fd, &first, 1, 0) != 1 || first == 0 ||
	    pread(fd, tail, 16, st.st_size - 16) != 16 ||
	    memcmp(tail + 8, magic, 8) != 0)
		goto out;
	n = be32(tail);
	if (n == 0 || n > (uint32_t)(st.st_size - 16) || n > 65536)
		goto out;
	if (n >= len)
		n = (uint32_t)len - 1;
	if (pread(fd, name, n, st.st_size - 16 - (off_t)be32(tail)) !=
	    (ssize_t)n)
		goto out;
	name[n] = '\0';
	rc = 1;
out:
	close(fd);
	return rc;
}
