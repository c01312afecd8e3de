/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * compat.c - behave as Exim 4.96's utilities when called by their names:
 * the same usage text, the same messages on stdout, exit status 0 or 1.
 * The work itself is done by the hintsdb commands.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "dump.h"
#include "db/lock.h"
#include "db/pin.h"
#include "priv.h"

int
compat_usage(const char *name, const char *opts)
{
	printf("Usage: exim_%s%s  <spool-directory> <database-name>\n", name,
	    opts);
	printf("  <database-name> = retry | misc | wait-<transport-name> | "
	    "callout | ratelimit | tls | seen\n");
	return 1;
}

/*
 * compat_precheck - Exim opens the lockfile before the DB, and reports a
 * missing lockfile or DB in its own words.  Checked up front so the
 * messages match; the real open follows.  Returns 0 or 1.
 */
int
compat_precheck(const char *spool, const char *name, int write)
{
	char lp[4096], dp[4096];
	struct stat st;

	if (hdb_lock_path(lp, sizeof(lp), spool, name) == -1)
		return 1;
	if (spool_pin(spool, write ? "exim_tidydb" : "exim_dumpdb") != 0)
		return 1;
	snprintf(dp, sizeof(dp), "%s/db/%s", spool, name);
	if (hdb_pin_lstat(lp, &st) == -1) {
		printf("** Failed to open database lock file %s: %s\n", lp,
		    strerror(errno));
		return 1;
	}
	if (hdb_detect(dp) == NULL && errno == ENOENT) {
		printf("** Failed to open DBM file %s for %s:\n   %s "
		    "(or Berkeley DB error while opening)\n", dp,
		    write ? "writing" : "reading", strerror(ENOENT));
		return 1;
	}
	return 0;
}

int
compat_dumpdb_main(int argc, char **argv)
{
	struct dbopts o;
	struct dump_ctx c;
	int ch;

	dbopts_init(&o);
	o.compat = 1;
	memset(&c, 0, sizeof(c));
	c.cmd = "exim_dumpdb";
	c.format = DUMP_EXIM;
	opterr = 0;
	while ((ch = getopt(argc, argv, "kz")) != -1) {
		switch (ch) {
		case 'k':
			c.keys_only = 1;
			break;
		case 'z':
			o.utc = 1;
			break;
		default:
			return compat_usage("dumpdb", " [-z] [-k]");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || hdb_dbtype_from_name(argv[1]) == HDB_T_UNKNOWN)
		return compat_usage("dumpdb", " [-z] [-k]");
	if (compat_precheck(argv[0], argv[1], 0) != 0)
		return 1;
	c.layout = HDB_L_AUTO;
	c.fo.now = clock_now(&o);
	c.fo.utc = o.utc;
	c.fo.db = argv[1];
	return dump_run(argv[0], argv[1], &o, &c) == 0 ? 0 : 1;
}
