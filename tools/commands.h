/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * commands.h - the subcommand table.
 *
 * Adding a command:
 *  1. write tools/cmd_<name>.c with a static cmd_<name>_main and a
 *     `const struct command cmd_<name>_entry`;
 *  2. declare the entry below and add it to commands[] in tools/hintsdb.c,
 *     keeping the table alphabetical;
 *  3. write man/hintsdb-<name>.8 whose SYNOPSIS is the entry's usage text,
 *     and list it in hintsdb(8);
 *  4. add tests/cli/tNNNN-<name>-*.sh covering every option and exit status;
 *  5. set the entry's .longopts and .shortopts (its getopt string: the
 *     dispatcher then checks the line first, with one "hintsdb:" message
 *     and a "did you mean" for a mistake, tools/argcheck.h) and add a help
 *     table to tools/help.c (a line per option, two examples); progress
 *     phases: tools/progress.h.  Exit codes: the table below (hintsdb(8)).
 *
 * The engines several commands share live in tools/engine/:
 *
 *	engine		does				used by
 *	slurp.c		copy a DB's records into	dump, export, stat,
 *			memory, format after it		check, exim_dumpdb
 *	pieces.c	read a DB in short read-lock	dump, stat, delete
 *			holds, change it in short	--match, convert, import
 *			write-lock holds		(delete: its writes;
 *							catchup.c)
 *	spool.c		the DBs of SPOOL [DBNAME...]	tidy --all, stat, check
 *	tidy.c		expire and drop records in	tidy, exim_tidydb
 *			place, in locked batches
 *	rebuild.c	write a whole new DB beside	convert, import,
 *			the old one, swap it in		upgrade (check: its
 *							lock message only)
 *	catchup.c	carry Exim's writes from the	convert --in-place,
 *			old DB into the swapped-in one	import
 *	join.c		the records of every DB that	why, forget
 *			name a destination (dest.h)
 *
 * forget deletes through delete's own rounds (delete.h).
 * fix and ticket use none: they work record by record on lib/.
 */
#ifndef HDB_COMMANDS_H
#define HDB_COMMANDS_H

/*
 * Exit codes, after sysexits(3): the table in hintsdb(8), listed in every
 * man page.  "Nothing matched" never shares a code with "damaged".
 */
#define EX_OK_		0	/* success */
#define EX_FINDINGS	1	/* done, but found damage / skipped records */
#define EX_NOTFOUND	2	/* a KEY not there, or GLOB matched nothing */
#define EX_USAGE_	64	/* command line usage error */
#define EX_REFUSED	65	/* input data refused */
#define EX_NODB		66	/* no such database or input file */
#define EX_INTERNAL	70	/* internal error */
#define EX_IOERR_	74	/* I/O error, DB open or read failure */
#define EX_LOCKED	75	/* lock busy or timed out: try again later */
#define EX_NOPERM_	77	/* cannot give up root safely: nothing done */

#define CMD_F_RDONLY	0x01	/* never writes */
#define CMD_F_WRITES	0x02	/* may change a DB */
#define CMD_F_NODB	0x04	/* works on no DB */

struct option;

struct command {
	const char	*name;
	const char	*usage;		/* one line, = the man SYNOPSIS */
	const char	*summary;	/* for `hintsdb help` */
	unsigned	 flags;
	int		(*main)(int argc, char **argv);
	/* its getopt_long table: help (tools/help.c) describes each one */
	const struct option *longopts;
	/* its getopt short options; when set, the dispatcher checks the
	 * command line first (argcheck.h) */
	const char	*shortopts;
};

extern const struct command cmd_check_entry;
extern const struct command cmd_convert_entry;
extern const struct command cmd_delete_entry;
extern const struct command cmd_dump_entry;
extern const struct command cmd_export_entry;
extern const struct command cmd_failing_entry;
extern const struct command cmd_fix_entry;
extern const struct command cmd_forget_entry;
extern const struct command cmd_import_entry;
extern const struct command cmd_stat_entry;
extern const struct command cmd_ticket_entry;
extern const struct command cmd_tidy_entry;
extern const struct command cmd_upgrade_entry;
extern const struct command cmd_why_entry;

/* exim_* compatibility entry points (tools/compat.c). */
int	compat_dumpdb_main(int argc, char **argv);
int	compat_exim_version(const char *arg, int *ver);
int	compat_precheck(const char *spool, const char *name, int write,
	    int ver);
int	compat_usage(const char *name, const char *opts, int ver);
int	compat_tidydb_main(int argc, char **argv);	/* compat_tidy.c */
int	compat_fixdb_main(int argc, char **argv);	/* compat_fix.c */

/* Global options, parsed before the command name. */
extern const char *progname;

#endif
