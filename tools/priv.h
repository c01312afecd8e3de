/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * priv.h - running as root on Exim's spool.
 *
 * Exim's hints DBs and lockfiles belong to the Exim user (mode 0640).  A
 * tool run as root (from cron) that creates or rewrites one would leave a
 * root-owned file behind that Exim can no longer open.  So a writing
 * command calls priv_drop() once, before it touches the spool: it becomes
 * the owner and group of SPOOL/db, as Debian's daily cron job does for
 * exim_tidydb.  Calling sequence:
 *
 *	parse options; priv_drop(spool, cmd) unless --no-drop-privileges;
 *	then open DBs (common.h / tidy.h).
 */
#ifndef HDB_PRIV_H
#define HDB_PRIV_H

#include <sys/types.h>

/*
 * spool_pin - open SPOOL/db once as a directory fd (lib/pin.h) so that
 * every later open below it goes through that fd; idempotent.  Every
 * command that takes a SPOOL calls it (directly or through db_open,
 * spool_args, rebuild_begin, tidy_db, priv_drop) before touching the
 * spool.  A missing SPOOL/db is pinned as absent.  Returns 0, or an
 * EX_* code after printing why (a symlinked SPOOL/db is refused).
 */
int	spool_pin(const char *spool, const char *cmd);

/*
 * priv_drop - spool_pin, then if the effective uid is 0, switch uid, gid
 * and supplementary groups to the owner of the pinned SPOOL/db, for good.
 * Nothing changes when not root or when SPOOL/db is owned by root.  Fails
 * closed: if the owner cannot be read (SPOOL/db missing, unreadable) or
 * the switch fails, prints why and returns EX_NOPERM_ (77); the caller
 * must then stop before touching anything.  A symlinked SPOOL/db gives
 * EX_IOERR_.  Used by tidy, fix, delete, import, convert --in-place and
 * the exim_* names; a new writing command (upgrade) calls it the same way.
 */
int	priv_drop(const char *spool, const char *cmd);

/*
 * priv_make_lockfile - create the missing lockfile path with mode 0640
 * (O_EXCL, through the pinned SPOOL/db), owned like it when root.  Does
 * nothing if it exists; errors are left to the lock that follows.
 */
void	priv_make_lockfile(const char *spool, const char *lockpath);

/*
 * priv_hint - for errno e on path (NULL: no one file) after priv_drop
 * switched user: " (ran as USER, the owner of SPOOL/db: 'chown USER PATH',
 * or --no-drop-privileges)"; "" when no drop happened or e is not EACCES
 * or EPERM.  A static buffer, valid until the next call.
 * priv_note_drop records the switch (priv_drop calls it).
 */
const char *priv_hint(int e, const char *path);
/* priv_hint_pair - priv_hint for path, naming other too ('chown USER PATH
 * OTHER') when it is refused to us as well (the lockfile and its DB), so
 * that one run names every file the fix needs. */
const char *priv_hint_pair(int e, const char *path, const char *other,
	    int write);
void	priv_note_drop(uid_t uid);

#endif
