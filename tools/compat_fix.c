/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * compat_fix.c - called as exim_fixdb: Exim 4.96's usage, banner, "> "
 * prompt and messages, exit status 0 (1 for a usage error), with the
 * command language of tools/cmd_fix.c underneath (fix.h): quoted keys,
 * and refused edits that change nothing.
 */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "common.h"
#include "fix.h"
#include "priv.h"

int
compat_fixdb_main(int argc, char **argv)
{
	struct dbopts o;
	int ch;

	dbopts_init(&o);
	o.compat = 1;
	opterr = 0;
	while ((ch = getopt(argc, argv, "z")) != -1) {
		if (ch != 'z')
			return compat_usage("fixdb", " [-z]");
		o.utc = 1;
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || hdb_dbtype_from_name(argv[1]) == HDB_T_UNKNOWN)
		return compat_usage("fixdb", " [-z]");
	if (priv_drop(argv[0], "exim_fixdb") != 0)
		return 1;
	return fix_run(argv[0], argv[1], &o, 1);
}
