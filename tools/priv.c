/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * priv.c - pin SPOOL/db and give up root for its owner (priv.h).
 *
 * The switch is permanent (setuid, not seteuid): nothing a tidy, fix,
 * delete, import or convert does needs root again, and a process that
 * cannot get root back cannot be talked into writing where Exim's user
 * could not.  The owner is read from the directory fd that every later
 * open goes through (lib/pin.h), never from a second look at the path:
 * between a stat and an open the Exim user could swap SPOOL/db.
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
#include "db/pin.h"
#include "priv.h"

static int	db_dir(char *, size_t, const char *);
static int	refuse(const char *, const char *, const char *, const char *);

static int
db_dir(char *buf, size_t len, const char *spool)
{
	int n = snprintf(buf, len, "%s/db", spool);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int
refuse(const char *cmd, const char *what, const char *path, const char *why)
{
	char *p = hdb_vis_dup(path, strlen(path));

	warnx("%s: %s '%s'%s%s", cmd, what, p, why != NULL ? ": " : "",
	    why != NULL ? why : "");
	free(p);
	return EX_IOERR_;
}

int
spool_pin(const char *spool, const char *cmd)
{
	char dir[PATH_MAX];

	if (db_dir(dir, sizeof(dir), spool) == -1) {
		warnx("%s: path too long", cmd);
		return EX_USAGE_;
	}
	if (hdb_pin(dir) == 0 || errno == ENOENT)
		return 0;	/* absent: each open says "no such database" */
	if (errno == ELOOP)
		return refuse(cmd, "refusing symlinked directory", dir, NULL);
	if (errno == ENOTDIR)
		return refuse(cmd, "not a directory:", dir, NULL);
	if (errno == ENXIO)
		return refuse(cmd, "cannot open", dir, "/proc/self/fd does not "
		    "lead back to it (is /proc mounted?)");
	return refuse(cmd, "cannot open", dir, strerror(errno));
}

/* cannot - the drop failed or cannot be made: say so, do nothing. */
static int
cannot(const char *cmd, const char *dir, const char *why)
{
	char *p = hdb_vis_dup(dir, strlen(dir));

	warnx("%s: cannot give up root for the owner of '%s': %s; nothing "
	    "done (--no-drop-privileges stays root)", cmd, p, why);
	free(p);
	return EX_NOPERM_;
}

int
priv_drop(const char *spool, const char *cmd)
{
	char dir[PATH_MAX];
	struct passwd *pw;
	struct stat sb;
	int ex;

	if ((ex = spool_pin(spool, cmd)) != 0 || geteuid() != 0)
		return ex;
	(void)db_dir(dir, sizeof(dir), spool);
	if (hdb_pin_fd() == -1)
		return cannot(cmd, dir, strerror(ENOENT));
	if (fstat(hdb_pin_fd(), &sb) == -1)
		return cannot(cmd, dir, strerror(errno));
	if (sb.st_uid == 0)
		return 0;
	/* The owner's groups if it has a passwd entry, else its group only. */
	pw = getpwuid(sb.st_uid);
	if ((pw != NULL ? initgroups(pw->pw_name, sb.st_gid) :
	    setgroups(1, &sb.st_gid)) == -1 || setgid(sb.st_gid) == -1 ||
	    setuid(sb.st_uid) == -1)
		return cannot(cmd, dir, strerror(errno));
	if (setuid(0) != -1 || geteuid() != sb.st_uid ||
	    getegid() != sb.st_gid)
		return cannot(cmd, dir, "root could be got back");
	priv_note_drop(sb.st_uid);
	return 0;
}

void
priv_make_lockfile(const char *spool, const char *lockpath)
{
	struct stat sb;
	int fd;

	if (hdb_pin_lstat(lockpath, &sb) == 0 || errno != ENOENT)
		return;
	fd = hdb_pin_open(lockpath, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY,
	    0640);
	if (fd == -1)
		return;
	if (geteuid() == 0 && hdb_pin_covers(lockpath) &&
	    hdb_pin_fd() != -1 && fstat(hdb_pin_fd(), &sb) == 0 &&
	    fchown(fd, sb.st_uid, sb.st_gid) == -1) {
		/* best effort, like the fchmod: the lockfile works
		 * without it (and _FORTIFY_SOURCE wants it checked) */
	}
	(void)fchmod(fd, 0640);
	close(fd);
}
