/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * compat.c - behave as Exim's utilities when called by their names: the
 * same usage text, the same messages on stdout, exit status 0 or 1, in the
 * words of the Exim that wrote the spool (4.96, 4.98, 4.99 or 4.100;
 * eximver.h)
 * or of the one --exim-version names.  The work itself is done by the
 * hintsdb commands.
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
#include "eximver.h"

/* 4.100 prints the options as one group */
#define DUMPDB_OPTS(v)	((v) == HDB_EXIM_4100 ? " [-kz]" : " [-z] [-k]")

int
compat_usage(const char *name, const char *opts, int ver)
{
	/* 4.100's dumpdb and fixdb also take -L <file> */
	if (ver == HDB_EXIM_4100 && strcmp(name, "tidydb") != 0)
		printf("Usage: exim_%s -L <database-path>\n\n", name);
	printf("Usage: exim_%s%s  <spool-directory> <database-name>\n", name,
	    opts);
	printf("  <database-name> = retry | misc | wait-<transport-name> | "
	    "callout | ratelimit | tls | seen\n");
	return 1;
}

/*
 * compat_exim_version - the value of an --exim-version=V argument, 0 if
 * arg is not one, -1 (after Exim's usage) if V is unknown.
 */
int
compat_exim_version(const char *arg, int *ver)
{
	if (strncmp(arg, "--exim-version=", 15) != 0)
		return 0;
	if ((*ver = eximver_parse(arg + 15)) == -1)
		return -1;
	return 1;
}

/*
 * compat_precheck - Exim opens the lockfile before the DB, and reports a
 * missing lockfile or DB in its own words, which differ by version; the
 * lockfile only where that Exim uses one with the spool's backend
 * (eximver_lockfile: none for SQLite, none for tdb from 4.99).  Checked up
 * front so the messages match; the real open follows.  Returns 0 or 1.
 */
int
compat_precheck(const char *spool, const char *name, int write, int ver)
{
	char lp[4096], dp[4096];
	struct stat st;
	const char *how = write ? "writing" : "reading", *bdb;
	const struct hdb_backend *be, *sbe;

	if (hdb_lock_path(lp, sizeof(lp), spool, name) == -1)
		return 1;
	if (spool_pin(spool, write ? "exim_tidydb" : "exim_dumpdb") != 0)
		return 1;
	snprintf(dp, sizeof(dp), "%s/db/%s", spool, name);
	be = hdb_detect(dp);
	sbe = be != NULL ? be : eximver_spool_backend(spool, name);
	/* 4.99's tidydb and fixdb changes create a missing one (mode 0) */
	if (eximver_lockfile(ver, sbe) && !(write && ver == HDB_EXIM_499) &&
	    hdb_pin_lstat(lp, &st) == -1) {
		printf("** Failed to open database lock file %s: %s\n", lp,
		    strerror(errno));
		return 1;
	}
	if (be != NULL || hdb_detect(dp) != NULL || errno != ENOENT)
		return 0;
	/* only Berkeley DB builds add the remark */
	bdb = (sbe == NULL && ver != HDB_EXIM_4100) || sbe == &hdb_backend_bdb ?
	    " (or Berkeley DB error while opening)" : "";
	if (ver == HDB_EXIM_496)
		printf("** Failed to open DBM file %s for %s:\n   %s%s\n",
		    dp, how, strerror(ENOENT), bdb);
	else
		printf("** Failed to open hintsdb file %s for %s: %s%s\n", dp,
		    how, strerror(ENOENT), bdb);
	return 1;
}

static const struct option dumpdb_opts[] = {
	{ "exim-version", required_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int
compat_dumpdb_main(int argc, char **argv)
{
	struct dbopts o;
	struct dump_ctx c;
	int ch, ver = HDB_EXIM_AUTO, gen;

	dbopts_init(&o);
	o.compat = 1;
	memset(&c, 0, sizeof(c));
	c.cmd = "exim_dumpdb";
	c.format = DUMP_EXIM;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "kz", dumpdb_opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'k':
			c.keys_only = 1;
			break;
		case 'z':
			o.utc = 1;
			break;
		case 'V':
			if ((ver = eximver_parse(optarg)) != -1)
				break;
			ver = HDB_EXIM_AUTO;
			/* FALLTHROUGH */
		default:
			return compat_usage("dumpdb", DUMPDB_OPTS(ver), ver);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || hdb_dbtype_from_name(argv[1]) == HDB_T_UNKNOWN)
		return compat_usage("dumpdb", DUMPDB_OPTS(ver), ver);
	gen = eximver_of_db(argv[0], argv[1], ver);
	if (compat_precheck(argv[0], argv[1], 0, gen) != 0)
		return 1;
	/* Forced, every record is read as that Exim reads it; otherwise each
	 * prints as the Exim whose layout it has. */
	c.layout = ver == HDB_EXIM_496 || ver == HDB_EXIM_498 ||
	    ver == HDB_EXIM_499 ? HDB_L_LEGACY : HDB_L_AUTO;
	c.fo.exim_version = ver;
	c.fo.now = clock_now(&o);
	c.fo.utc = o.utc;
	c.fo.db = argv[1];
	return dump_run(argv[0], argv[1], &o, &c) == 0 ? 0 : 1;
}
