/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * atomic.h - replace a hints DB file (or create a new one) so that a reader
 * sees either the old database or the complete new one, never a mixture,
 * whatever happens to the writer.
 *
 * The new database is built in a private directory beside the target,
 *
 *	DIR/.BASE.hintsdb.PID.XXXXXX/BASE	(and BASE.dir, BASE.pag for NDBM)
 *
 * where PID is the writer's process ID.  A directory rather than a single
 * mkstemp file, because a backend creates its own files, and NDBM creates
 * two.  Commit fsyncs every file, gives it the owner and mode asked for,
 * renames the files into DIR (the data-bearing one last, so that is the
 * instant the new database appears), removes files of the old database that
 * the new one does not replace (NAME when NDBM replaces a one-file backend,
 * or NAME.dir and NAME.pag the other way round), fsyncs DIR and removes the
 * private directory.
 *
 * Clean-up rule: a writer killed before it finished leaves its private
 * directory behind, and nothing else.  hdb_atomic_sweep removes every such
 * directory for a target whose PID no longer names a live process; the
 * commands call it before they start writing.
 *
 * Calling sequence:
 *
 *	a = hdb_atomic_new(target, ...);
 *	h = hdb_open(be, hdb_atomic_path(a), HDB_O_RDWR | HDB_O_CREATE, ...);
 *	... hdb_put ...; hdb_sync(h); hdb_close(h);
 *	hdb_atomic_commit(a, &st_of_original_or_NULL, 1, ...);
 *	hdb_atomic_free(a);	(removes the private directory unless committed)
 *
 * Library code: nothing is printed; errors come back as text in the
 * caller's buffer.
 */
#ifndef HDB_ATOMIC_H
#define HDB_ATOMIC_H

#include <sys/stat.h>

#include <stddef.h>

/* The part of the private directory's name after ".BASE". */
#define HDB_ATOMIC_TAG	".hintsdb."

struct hdb_atomic;

/*
 * hdb_atomic_new - make the private directory (mode 0700) beside target.
 * Returns NULL with the reason in err on failure.
 */
struct hdb_atomic *hdb_atomic_new(const char *target, char *err,
	    size_t errlen);

/* Where to create the new database: the private directory plus BASE. */
const char *hdb_atomic_path(const struct hdb_atomic *);

/* lstat of the target (after commit: the new database); 0 or -1. */
int	hdb_atomic_target_stat(const struct hdb_atomic *, struct stat *);

/*
 * hdb_atomic_trickle - start writing out what the new files hold dirty
 * in the page cache, without waiting (sync_file_range), so that no one
 * flush of hundreds of MB holds up everyone's syncs: an Exim writing
 * meanwhile waits for its own sync behind all of it.  Best effort; the
 * builder calls it every few MB.
 */
void	hdb_atomic_trickle(struct hdb_atomic *);

/*
 * hdb_atomic_warm - read the new files through once, so that a first
 * whole read under a lock (be_bdb.c's check of a file another process
 * wrote) finds them in the page cache: a hole's pages are made at its
 * first read, 125 ms of a fresh 1M-record Berkeley DB file's 160.
 */
void	hdb_atomic_warm(struct hdb_atomic *);

/*
 * hdb_atomic_sync - fsync the new database's files now, so that commit,
 * which fsyncs them again, has little left to write (a caller that holds
 * a lock for the commit calls it before taking the lock).  0, or -1 with
 * the reason in err.
 */
int	hdb_atomic_sync(struct hdb_atomic *, char *err, size_t errlen);

/*
 * hdb_atomic_commit - put the new database in place of target.  like, if
 * not NULL, gives the owner, group and permission bits for every new file
 * (the original's); otherwise the files keep what the backend gave them.
 * replace: 0 refuses (before anything is renamed) if any file of a database
 * named target exists; 1 replaces it.  Returns 0, or -1 with the reason in
 * err: before the rename nothing has changed; after it (fsync of the
 * directory, removal of an old NDBM pair) the text says the database was
 * replaced.
 */
int	hdb_atomic_commit(struct hdb_atomic *, const struct stat *like,
	    int replace, char *err, size_t errlen);

/*
 * hdb_atomic_link_old - hard-link the files of the database at target
 * into the private directory, under the same names, so that it can still
 * be opened at hdb_atomic_path after another is renamed over it.  Returns
 * 0, 1 if there is no such database, or -1 with the reason in err.  Free
 * removes the links.
 */
int	hdb_atomic_link_old(struct hdb_atomic *, char *err, size_t errlen);

/* 1 once commit has renamed the new database into place. */
int	hdb_atomic_done(const struct hdb_atomic *);

/* Remove the private directory unless committed, and free; accepts NULL. */
void	hdb_atomic_free(struct hdb_atomic *);

/*
 * hdb_atomic_sweep - remove the private directories that writers of target
 * left behind when they died (the PID in the name is not a live process).
 * Returns how many were removed, or -1 with the reason in err.
 */
int	hdb_atomic_sweep(const char *target, char *err, size_t errlen);

/*
 * hdb_atomic_put - write len bytes of buf to a new file name in the
 * private directory (freed with it).  0, or -1 with errno.
 */
int	hdb_atomic_put(struct hdb_atomic *, const char *name, const void *buf,
	    size_t len);

/*
 * hdb_atomic_orphans - fn(ctx, dirpath) for each private directory of
 * target that a dead writer left (DIR/.BASE.hintsdb.PID.XXXXXX), before
 * hdb_atomic_sweep removes them.  How many, or -1.
 */
int	hdb_atomic_orphans(const char *target,
	    int (*fn)(void *ctx, const char *dirpath), void *ctx);

/*
 * hdb_db_files - which of target, target.dir, target.pag and target.db
 * exist, in that order, as a bit mask (bit 0 = target itself).
 */
unsigned hdb_db_files(const char *target);

/*
 * hdb_testpoint - test hook for the crash-safety tests: with the
 * environment variable HINTSDB_TEST_KILL_AT=N, the process kills itself
 * (SIGKILL) at the N-th call; with HINTSDB_TEST_STALL_AT=N:MS it sleeps
 * MS milliseconds there (what a live rebuild does while Exim writes), or,
 * with HINTSDB_TEST_STALL_UNTIL=PATH, until that file is there (MS at
 * most), so that a test need not guess how long a step takes; with
 * HINTSDB_TEST_STALL_MARK=PATH it makes that empty file as the stall
 * begins, so that a test can tell the process is there.
 * The writers call it between every step.
 */
void	hdb_testpoint(void);

#endif
