/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * argcheck.h - a command line checked before its command runs: unknown
 * options, missing values, missing or misplaced SPOOL and DBNAME, each
 * said once, with a "did you mean" where a near name exists.
 */
#ifndef HDB_ARGCHECK_H
#define HDB_ARGCHECK_H

#include <stddef.h>

struct command;

/*
 * nearest - of the n names, the one closest to word (by edit distance,
 * a swap of two letters counting one), if close enough to be the one
 * meant; else NULL.
 */
const char *nearest(const char *word, const char *const *names, size_t n);

/* did_you_mean - "; did you mean 'X'?" for nearest(), or "" */
const char *did_you_mean(char *buf, size_t len, const char *pre,
	    const char *word, const char *const *names, size_t n);

/*
 * argcheck - check c's command line (argv[0] is the command's name)
 * against its getopt tables and its usage's operands.  all is the
 * NULL-terminated table of commands (to say which has an option c lacks).
 * Where SPOOL is left out and that is unambiguous (hintsdb(8), "Leaving
 * out SPOOL"), puts the default spool (spooldef.h) in *argv.  Prints one
 * message and returns EX_USAGE_ or EX_NODB; 0 if the command may run.
 * Resets getopt for the command.
 */
int	argcheck(const struct command *c, const struct command *const *all,
	    int *argc, char ***argv);

/* usage_short - "usage: " and c's usage with its options folded into
 * [OPTION...], on stderr; EX_USAGE_. */
int	usage_short(const char *usage);

/* usage_of - command cmd's usage: folded on stderr (EX_USAGE_), whole on
 * stdout (--help: 0, or EX_IOERR_ if it could not be written) */
int	usage_of(FILE *fp, const char *cmd, const char *usage);

#endif
