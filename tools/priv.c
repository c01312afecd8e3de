/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * priv.c - give up root for the owner of SPOOL/db (priv.h).
 *
 * The switch is permanent (setuid, not seteuid): nothing a tidy, fix or
 * delete does needs root again, and a process that cannot get root back
 * cannot be talked into writing where Exim's user could not.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "out.h"
#include "priv.h"

static int
db_dir(char *buf, size_t len, const char *spool)
{
	int n = snprintf(buf, len, "%s/db", spool);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
refuse(const char *cmd, const char *what, const char *path)
{
	char *p = hdb_vis_dup(path, strlen(path));

	warnx("%s: %s '%s'", cmd, what, p);
	free(p);
	return EX_IOERR_;
}

int
priv_drop(const char *spool, const char *cmd)
{
	char dir[PATH_MAX];
	struct passwd *pw;
	struct stat sb;

	if (geteuid() != 0)
		return 0;
	if (db_dir(dir, sizeof(dir), spool) == -1) {
		warnx("%s: path too long", cmd);
		return EX_USAGE_;
	}
	if (lstat(dir, &sb) == -1)
		return 0;	/* the open says "no such database" */
	if (S_ISLNK(sb.st_mode))
		return refuse(cmd, "refusing symlinked directory", dir);
	if (!S_ISDIR(sb.st_mode))
		return refuse(cmd, "not a directory:", dir);
	if (sb.st_uid == 0)
		return 0;
	/* The owner's groups if it has a passwd entry, else its group only. */
	pw = getpwuid(sb.st_uid);
	if ((pw != NULL ? initgroups(pw->pw_name, sb.st_gid) :
	    setgroups(1, &sb.st_gid)) == -1 || setgid(sb.st_gid) == -1 ||
	    setuid(sb.st_uid) == -1) {
		warn("%s: cannot switch to uid %lu gid %lu (owner of '%s')",
		    cmd, (unsigned long)sb.st_uid, (unsigned long)sb.st_gid,
		    dir);
		return EX_INTERNAL;
	}
	if (setuid(0) != -1) {
		warnx("%s: could get root back after dropping it", cmd);
		return EX_INTERNAL;
	}
	priv_note_drop(sb.st_uid);
	return 0;
}

void
priv_make_lockfile(const char *spool, const char *lockpath)
{
	char dir[PATH_MAX];
	struct stat sb;
	int fd;

	if (lstat(lockpath, &sb) == 0 || errno != ENOENT)
		return;
	fd = open(lockpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY, 0640);
	if (fd == -1)
		return;
	if (geteuid() == 0 && db_dir(dir, sizeof(dir), spool) == 0 &&
	    stat(dir, &sb) == 0)
		(void)fchown(fd, sb.st_uid, sb.st_gid);
	(void)fchmod(fd, 0640);
	close(fd);
}
