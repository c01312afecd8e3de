/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * compat_tidy.c - called as exim_tidydb: Exim's options, messages and
 * exit status (0, or 1 on any failure), the tidy engine's short locks and
 * correct wait-record handling underneath.
 *
 * Like Exim, the options are scanned by hand and must come first; -f is
 * accepted and ignored; -t takes Exim's time syntax.  Unlike Exim, -t with
 * no value or an empty value is a usage error, not a crash or "delete
 * everything".  Besides Exim's age rule, a TLS session whose ticket has
 * expired by its own lifetime goes too ("deleted KEY (ticket expired)"):
 * that is what exim4-base's daily run gets once exim_tidydb is hintsdb.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "db/hdb.h"
#include "db/lock.h"
#include "db/pin.h"
#include "eximver.h"
#include "priv.h"
#include "engine/tidy.h"

#define TIDY_OPTS " [-t <time>]"
/* also accepted before the operands: --exim-version=4.96|4.98|4.99|4.100 */

/*
 * no_db - the lockfile is there (where that Exim uses one) but the DB
 * is not.
 * Exim's write open then creates an empty DB (Berkeley DB's DB_CREATE,
 * SQLite's open) and finds nothing to tidy; we report the same and create
 * nothing.
 */
static int
no_db(const char *spool, const char *name, int ver)
{
	char lp[PATH_MAX], dp[PATH_MAX];
	struct stat st;

	if (hdb_lock_path(lp, sizeof(lp), spool, name) == -1 ||
	    (eximver_lockfile(ver, eximver_spool_backend(spool, name)) &&
	    hdb_pin_lstat(lp, &st) == -1))
		return 0;
	snprintf(dp, sizeof(dp), "%s/db/%s", spool, name);
	return hdb_detect(dp) == NULL && errno == ENOENT;
}

/*
 * root_left - as root, the DB or its lockfile belongs to root while
 * SPOOL/db does not (left by an earlier root run).  Exim's exim_tidydb,
 * which never drops root, tidies such a spool; after a drop to the owner
 * it could not be opened.  The Exim user cannot make a root-owned file,
 * so keeping root for it follows no choice of that user's; symlinks are
 * still refused when the files are opened.
 */
static int
root_left(const char *spool, const char *name)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct stat sd, sb;

	if (geteuid() != 0 || snprintf(dir, sizeof(dir), "%s/db", spool) >=
	    (int)sizeof(dir) || lstat(dir, &sd) == -1 ||
	    !S_ISDIR(sd.st_mode) || sd.st_uid == 0)
		return 0;
	if (snprintf(p, sizeof(p), "%s/%s", dir, name) < (int)sizeof(p) &&
	    lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == 0)
		return 1;
	return hdb_lock_path(p, sizeof(p), spool, name) == 0 &&
	    lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == 0;
}

int
compat_tidydb_main(int argc, char **argv)
{
	struct dbopts o;
	struct tidy_opts to;
	struct tidy_stats st;
	int i, r, ver = HDB_EXIM_AUTO;

	dbopts_init(&o);
	o.compat = 1;
	memset(&to, 0, sizeof(to));
	to.maxage = 30 * 86400;
	to.max_lock_ms = 100;
	to.compat = 1;
	to.cmd = "exim_tidydb";
	to.dbo = &o;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") == 0)
			continue;
		if ((r = compat_exim_version(argv[i], &ver)) == 1)
			continue;
		if (r == -1 || strcmp(argv[i], "-t") != 0 || i + 1 >= argc ||
		    tidy_parse_age(argv[++i], &to.maxage) == -1)
			return compat_usage("tidydb", TIDY_OPTS,
			    ver == -1 ? HDB_EXIM_AUTO : ver);
	}
	argc -= i;
	argv += i;
	if (argc != 2 || hdb_dbtype_from_name(argv[1]) == HDB_T_UNKNOWN)
		return compat_usage("tidydb", TIDY_OPTS, ver);
	printf("Tidying Exim hints database %s/db/%s\n", argv[0], argv[1]);
	if (!root_left(argv[0], argv[1]) &&
	    priv_drop(argv[0], "exim_tidydb") != 0) {
		finish_stdout("exim_tidydb");
		return 1;
	}
	o.exim_version = ver = eximver_of_db(argv[0], argv[1], ver);
	if (no_db(argv[0], argv[1], ver)) {
		printf("Tidying complete\n");
		return finish_stdout("exim_tidydb") == 0 ? 0 : 1;
	}
	if (compat_precheck(argv[0], argv[1], 1, ver) != 0) {
		finish_stdout("exim_tidydb");
		return 1;
	}
	to.now = clock_now(&o);
	tidy_db(argv[0], argv[1], &to, &st);
	if (st.status != 0 && st.status != EX_FINDINGS) {
		finish_stdout("exim_tidydb");
		return 1;
	}
	printf("Tidying complete\n");
	return finish_stdout("exim_tidydb") == 0 ? 0 : 1;
}
