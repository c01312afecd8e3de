/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pin.h - reach SPOOL/db through one directory fd, opened once.
 *
 * SPOOL/db belongs to Exim's user, and so may SPOOL.  A tool run as root
 * that opened SPOOL/db/NAME by its path string could be sent anywhere by
 * that user renaming SPOOL/db and putting a symlink in its place between
 * two opens.  So the commands pin the directory first:
 *
 *	hdb_pin("SPOOL/db");	open(O_DIRECTORY|O_NOFOLLOW), kept open
 *
 * and from then on every path "SPOOL/db/REST" that lib/ is handed (by
 * hdb_detect, hdb_open, the lock, the atomic writer, hdb_db_stat...) is
 * resolved from that fd, never from the string again:
 *  - files we open ourselves: openat2(fd, REST, RESOLVE_BENEATH |
 *    RESOLVE_NO_SYMLINKS) where the kernel has it, else openat(fd, REST,
 *    O_NOFOLLOW); hdb_pin_open;
 *  - libraries that want a path (libdb, gdbm, tdb, sqlite, ndbm) get
 *    /proc/self/fd/N/REST (hdb_pin_path), which the kernel resolves
 *    through the open directory, whatever is at SPOOL/db by then;
 *  - renames and unlinks are *at() calls on fds from hdb_pin_dirfd.
 * Error texts that name a /proc/self/fd/N path are mapped back to the
 * name the user gave (hdb_pin_unmap), so messages do not change.
 *
 * A SPOOL/db that does not exist is pinned as absent: every path below
 * it then fails with ENOENT, even if the directory appears later.
 * Paths outside the pinned directory (--file, --output) are opened as
 * given, with O_NOFOLLOW on the last component.
 *
 * Process-wide state, one directory at a time: a command works on one
 * spool.  Library code: nothing is printed.
 */
#ifndef HDB_PIN_H
#define HDB_PIN_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>

/*
 * hdb_pin - open dir (O_DIRECTORY|O_NOFOLLOW) and pin it, replacing any
 * earlier pin; a second call for the same dir does nothing.  Returns 0,
 * or -1 with errno: ELOOP if dir is a symlink, ENOTDIR, ENOENT (then
 * pinned as absent), ENXIO if /proc/self/fd does not lead back to it
 * (no /proc: nothing is pinned, and the caller must not go on), or the
 * open(2) error.
 */
int	hdb_pin(const char *dir);

/* Forget the pin and close its fd. */
void	hdb_pin_release(void);

/* The pinned directory's fd, or -1 (nothing pinned, or pinned absent). */
int	hdb_pin_fd(void);

/* 1 if path is below the pinned directory (present or absent). */
int	hdb_pin_covers(const char *path);

/*
 * hdb_pin_path - the path a library should open for path: path itself if
 * it is not below the pin, else /proc/self/fd/N/REST in buf.  NULL with
 * errno ENOENT (pinned absent) or ENAMETOOLONG.
 */
const char *hdb_pin_path(const char *path, char *buf, size_t len);

/*
 * hdb_pin_open - open(2) for a file: relative to the pin (openat2 with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, else openat with O_NOFOLLOW) if
 * path is below it, else open(path) with O_NOFOLLOW.  O_CLOEXEC always.
 */
int	hdb_pin_open(const char *path, int flags, mode_t mode);

/* lstat(2) by the same rule: fstatat(AT_SYMLINK_NOFOLLOW) under the pin. */
int	hdb_pin_lstat(const char *path, struct stat *st);

/*
 * hdb_pin_clock - the time a file written now would show to
 * hdb_pin_lstat(path): the kernel's clock for file times, read by the
 * same call.  A clock faked for tests (libfaketime, make check-future)
 * fakes clock_gettime, fstat and lstat, but not fstatat, so a file's age
 * taken from clock_gettime is 400 days off under the pin.  0, or -1.
 */
struct timespec;
int	hdb_pin_clock(const char *path, struct timespec *now);

/*
 * hdb_pin_unlink - unlink(2) by the same rule: unlinkat on the pinned fd
 * for a name directly in it (EINVAL for one further down).
 */
int	hdb_pin_unlink(const char *path);

/*
 * hdb_pin_dirfd - a new fd (own offset, for readdir) on directory dir:
 * the pinned one when dir names it, else open(dir, O_DIRECTORY).
 */
int	hdb_pin_dirfd(const char *dir);

/*
 * hdb_pin_unmap - in the NUL-terminated text s (buffer of size len),
 * replace "/proc/self/fd/N" of the pin by the directory's given name.
 */
void	hdb_pin_unmap(char *s, size_t len);

#endif
