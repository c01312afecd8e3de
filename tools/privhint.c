/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * privhint.c - after priv_drop, a "Permission denied" alone misleads: the
 * admin ran the command as root.  priv_hint says who the command ran as
 * and the two ways out.
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"
#include "priv.h"

static int dropped;
static uid_t dropped_uid;

void
priv_note_drop(uid_t uid)
{
	dropped = 1;
	dropped_uid = uid;
}

const char *
priv_hint(int e, const char *path)
{
	static char buf[1024];
	struct passwd *pw;
	char user[64], *p;

	if (!dropped || (e != EACCES && e != EPERM))
		return "";
	if ((pw = getpwuid(dropped_uid)) != NULL)
		p = hdb_vis_dup(pw->pw_name, strlen(pw->pw_name));
	else {
		snprintf(user, sizeof(user), "%lu", (unsigned long)dropped_uid);
		p = hdb_vis_dup(user, strlen(user));
	}
	if (path != NULL) {
		char *v = hdb_vis_dup(path, strlen(path));

		snprintf(buf, sizeof(buf), " (ran as %s, the owner of SPOOL/db: "
		    "'chown %s %s', or --no-drop-privileges)", p, p, v);
		free(v);
	} else
		snprintf(buf, sizeof(buf), " (ran as %s, the owner of SPOOL/db: "
		    "chown the file to %s, or --no-drop-privileges)", p, p);
	free(p);
	return buf;
}

const char *
priv_hint_pair(int e, const char *path, const char *other, int write)
{
	static char both[2 * PATH_MAX + 2];

	if ((e != EACCES && e != EPERM) || access(other, write ?
	    R_OK | W_OK : R_OK) == 0 || errno != EACCES)
		return priv_hint(e, path);
	snprintf(both, sizeof(both), "%s %s", path, other);
	return priv_hint(e, both);
}
