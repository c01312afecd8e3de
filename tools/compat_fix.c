/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * compat_fix.c - called as exim_fixdb: Exim's usage (that of 4.96, 4.98 or
 * 4.100, eximver.h), banner, "> "
 * prompt and messages, exit status 0 (1 for a usage error), with the
 * command language of tools/cmd_fix.c underneath (fix.h): quoted keys,
 * and refused edits that change nothing.
 */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "common.h"
#include "eximver.h"
#include "fix.h"
#include "priv.h"

int
compat_fixdb_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exim-version", required_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dbopts o;
	int ch, ver = HDB_EXIM_AUTO;

	dbopts_init(&o);
	o.compat = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "z", opts, NULL)) != -1) {
		if (ch == 'V' && (ver = eximver_parse(optarg)) != -1)
			continue;
		if (ch != 'z')
			return compat_usage("fixdb", " [-z]",
			    ver == -1 ? HDB_EXIM_AUTO : ver);
		o.utc = 1;
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || hdb_dbtype_from_name(argv[1]) == HDB_T_UNKNOWN)
		return compat_usage("fixdb", " [-z]", ver);
	if (priv_drop(argv[0], "exim_fixdb") != 0)
		return 1;
	o.exim_version = eximver_of_db(argv[0], argv[1], ver);
	return fix_run(argv[0], argv[1], &o, 1);
}
