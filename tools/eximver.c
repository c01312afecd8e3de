/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eximver.c - the Exim generation a spool's DB belongs to (eximver.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eximver.h"
#include "exim.h"
#include "db/hdb.h"
#include "db/lock.h"
#include "rec/rec.h"

int
eximver_parse(const char *s)
{
	if (strcmp(s, "4.96") == 0)
		return HDB_EXIM_496;
	if (strcmp(s, "4.98") == 0 || strcmp(s, "4.98.2") == 0)
		return HDB_EXIM_498;
	if (strcmp(s, "4.99") == 0 || strcmp(s, "4.99.1") == 0)
		return HDB_EXIM_499;
	if (strcmp(s, "4.100") == 0 || strcmp(s, "4.100.1") == 0)
		return HDB_EXIM_4100;
	return -1;
}

const char *
eximver_name(int v)
{
	switch (v) {
	case HDB_EXIM_496:
		return "4.96";
	case HDB_EXIM_498:
		return "4.98";
	case HDB_EXIM_499:
		return "4.99";
	case HDB_EXIM_4100:
		return "4.100";
	default:
		return "auto";
	}
}

/* Stops the iteration at the first record with its layout. */
static int
first_layout(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	*(enum hdb_layout *)ctx = hdb_rec_layout(val.data, val.len);
	return 2;
}

/* The layout of the DB's first record; HDB_L_AUTO if none or unreadable. */
static enum hdb_layout
db_layout(const char *path, const char *lockpath,
    const struct hdb_backend *be)
{
	enum hdb_layout l = HDB_L_AUTO;
	struct hdb *h;
	char why[256];
	int fd = -1;

	hdb_precheck(be, path);		/* not under the lock (hdb.h) */
	if (!(be->caps & HDB_CAP_LOCKS_ITSELF) &&
	    (fd = hdb_lock_take(lockpath, HDB_LOCK_READ, 0, 1000)) == -1 &&
	    errno != ENOENT)
		return l;
	if ((h = hdb_open(be, path, HDB_O_RDONLY, 0, why, sizeof(why))) !=
	    NULL) {
		(void)hdb_iterate(h, first_layout, &l);
		hdb_close(h);
	}
	hdb_lock_release(fd);
	return l;
}

const struct hdb_backend *
eximver_spool_backend(const char *spool, const char *name)
{
	char dir[PATH_MAX], p[PATH_MAX];
	const struct hdb_backend *be = NULL;
	struct dirent *e;
	DIR *d;

	if (snprintf(p, sizeof(p), "%s/db/%s", spool, name) <
	    (int)sizeof(p) && (be = hdb_detect(p)) != NULL)
		return be;
	snprintf(dir, sizeof(dir), "%s/db", spool);
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while (be == NULL && (e = readdir(d)) != NULL) {
		if (hdb_dbtype_from_name(e->d_name) == HDB_T_UNKNOWN ||
		    snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(p))
			continue;
		be = hdb_detect(p);
	}
	closedir(d);
	return be;
}

int
eximver_lockfile(int gen, const struct hdb_backend *be)
{
	if (be == NULL)		/* nothing to tell by: as Debian builds */
		return gen != HDB_EXIM_4100;
	return exim_lockfile_used(be, gen == HDB_EXIM_496 ? EXIM_V(4, 96, 0) :
	    gen == HDB_EXIM_498 ? EXIM_V(4, 98, 0) :
	    gen == HDB_EXIM_499 ? EXIM_V(4, 99, 0) : EXIM_V(4, 100, 0));
}

int
eximver_of_db(const char *spool, const char *name, int forced)
{
	char path[PATH_MAX], lp[PATH_MAX];
	const struct hdb_backend *be, *sbe;
	enum hdb_layout l = HDB_L_AUTO;
	int nolock;

	if (forced != HDB_EXIM_AUTO)
		return forced;
	if (snprintf(path, sizeof(path), "%s/db/%s", spool, name) >=
	    (int)sizeof(path) ||
	    hdb_lock_path(lp, sizeof(lp), spool, name) == -1)
		return HDB_EXIM_496;
	if ((be = hdb_detect(path)) != NULL)
		l = db_layout(path, lp, be);
	if (l == HDB_L_V2)
		return HDB_EXIM_4100;
	nolock = access(lp, F_OK) == -1;
	sbe = be != NULL ? be : eximver_spool_backend(spool, name);
	/* tdb without a lockfile: 4.99's (4.94-4.98 made one at first use) */
	if (nolock && sbe == &hdb_backend_tdb)
		return HDB_EXIM_499;
	if (l == HDB_L_LEGACY)
		return HDB_EXIM_496;
	if (nolock && sbe == &hdb_backend_sqlite)
		return HDB_EXIM_4100;
	return HDB_EXIM_496;
}
