/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * help.h - per-command help (usage, summary, every option described, two
 * examples), the options every command takes from the dispatcher, and the
 * hints after a usage error.
 *
 * The help text comes from the command's entry (usage, summary, getopt
 * table) and from its help table in help.c (option descriptions,
 * examples); tests/cli/t7100-help.sh checks that the two agree with each
 * other and with the man page's SYNOPSIS.
 */
#ifndef HDB_HELP_H
#define HDB_HELP_H

#include <stdio.h>

struct command;

/* What the dispatcher takes from a command's arguments for itself. */
struct shell_args {
	int	help;		/* -h or --help */
	int	verbose;	/* -v or --verbose (not removed) */
};

/*
 * shell_args - look through a command's arguments (up to "--") for -h,
 * --help, --progress, --no-progress and -v, skipping option values.
 * --progress and --no-progress are removed from argv (*argc shrinks) and
 * set progress_mode.  Returns 0, or -1 after a usage error is printed.
 */
int	shell_args(const struct command *c, int *argc, char **argv,
	    struct shell_args *sa);

/* help_print - the full help of c on fp; an exit code. */
int	help_print(const struct command *c, FILE *fp);

/* help_fix_prompt - the fix prompt's answer to "help" and "?". */
void	help_fix_prompt(FILE *fp);

#endif
