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
 * priv_drop - if the effective uid is 0, switch uid, gid and supplementary
 * groups to the owner of SPOOL/db, for good.  Nothing happens when not
 * root, when SPOOL/db is missing (the open reports that) or when it is
 * owned by root.  A symlinked SPOOL/db is refused.  Returns 0, or an EX_*
 * code after printing why.
 */
int	priv_drop(const char *spool, const char *cmd);

/*
 * priv_make_lockfile - create the missing lockfile path with mode 0640
 * (O_EXCL|O_NOFOLLOW), owned like SPOOL/db when running as root.  Does
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
void	priv_note_drop(uid_t uid);

#endif
