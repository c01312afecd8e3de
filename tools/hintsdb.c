/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hintsdb.c - the dispatcher.  `hintsdb COMMAND ...` runs a subcommand;
 * called as exim_dumpdb, exim_tidydb or exim_fixdb it behaves as Exim's
 * utility of that name.  Every command's stdout is checked for write errors
 * before exiting, so a full disk is never a silent success.
 */
#include <err.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "help.h"
#include "progress.h"
#include "out.h"

#define HINTSDB_VERSION	"0.1"

/* Alphabetical; names match exactly, no abbreviations. */
static const struct command *const commands[] = {
	&cmd_check_entry,
	&cmd_convert_entry,
	&cmd_delete_entry,
	&cmd_dump_entry,
	&cmd_export_entry,
	&cmd_failing_entry,
	&cmd_fix_entry,
	&cmd_forget_entry,
	&cmd_import_entry,
	&cmd_stat_entry,
	&cmd_ticket_entry,
	&cmd_tidy_entry,
	&cmd_upgrade_entry,
	&cmd_why_entry,
	NULL,
};

static const struct {
	const char	*name;
	int		(*main)(int, char **);
} compat[] = {
	{ "exim_dumpdb", compat_dumpdb_main },
	{ "exim_fixdb", compat_fixdb_main },
	{ "exim_tidydb", compat_tidydb_main },
};

#if defined(__SANITIZE_ADDRESS__)
#define HDB_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HDB_SANITIZED 1
#endif
#endif

#ifndef HDB_SANITIZED
/*
 * fatal - a DBM library can crash on a crafted file (Berkeley DB does,
 * and verifying first costs more than the dump).  Say so in one line
 * instead of dumping core; the lock dies with the process.  Sanitizer
 * builds keep their own reports.
 */
static void
fatal(int sig)
{
	static const char msg[] = "hintsdb: fatal signal: a damaged database "
	    "crashed its DBM library (or hintsdb has a bug); "
	    "'hintsdb check' runs the library's verifier\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(EX_INTERNAL);
}
#endif

static void
catch_fatal(void)
{
#ifndef HDB_SANITIZED
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
#endif
}

/*
 * text_locale - keys and texts print as printable UTF-8 in a UTF-8 locale
 * (grep finds them); elsewhere every byte outside printable ASCII is
 * escaped.  Only LC_CTYPE is taken: messages and numbers stay C.
 */
static void
text_locale(void)
{
	if (setlocale(LC_CTYPE, "") == NULL)
		return;
	hdb_vis_set_utf8(strcmp(nl_langinfo(CODESET), "UTF-8") == 0);
}

static void
usage(FILE *fp)
{
	int i;

	fprintf(fp, "usage: hintsdb [--help | --version] COMMAND [ARG...]\n\n"
	    "commands:\n");
	for (i = 0; commands[i] != NULL; i++)
		fprintf(fp, "  %-8s %s\n", commands[i]->name,
		    commands[i]->summary);
	fprintf(fp, "\n'hintsdb help COMMAND' (or 'hintsdb COMMAND --help') "
	    "describes a command and its\noptions; hintsdb(8) has the "
	    "rest.\n");
}

static const struct command *
find(const char *name)
{
	int i;

	for (i = 0; commands[i] != NULL; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* unknown - an unknown command (or option before it), and the nearest */
static int
unknown(const char *what, const char *name)
{
	const char *names[sizeof(commands) / sizeof(commands[0]) + 3];
	char dym[128], *v = hdb_vis_dup(name, strlen(name));
	size_t n;

	if (name[0] == '-') {
		names[0] = "--help";
		names[1] = "--version";
		n = 2;
	} else
		for (n = 0; commands[n] != NULL; n++)
			names[n] = commands[n]->name;
	warnx("unknown %s '%s'%s", name[0] == '-' ? "option" : what, v,
	    did_you_mean(dym, sizeof(dym), "", name, names, n));
	if (dym[0] == '\0')
		fprintf(stderr, "usage: hintsdb [--help | --version] COMMAND "
		    "[ARG...]; 'hintsdb --help' lists the commands\n");
	free(v);
	return EX_USAGE_;
}

static int
help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stdout);
		return finish_stdout("help");
	}
	if ((c = find(argv[1])) == NULL)
		return unknown("command", argv[1]);
	return help_print(c, stdout);
}

/*
 * run - a command, with what the dispatcher does for all of them: --help
 * and -h, --progress and --no-progress, the lock-wait note (-v shows it
 * off a terminal too), and a check of the command line (argcheck.h).
 */
static int
run(const struct command *c, int argc, char **argv)
{
	struct shell_args sa;
	int ex;

	shell_args(c, &argc, argv, &sa);
	if (sa.help)
		return help_print(c, stdout);
	if ((ex = argcheck(c, commands, &argc, &argv)) != 0)
		return ex;
	progress_verbose = sa.verbose;
	progress_setup(c->name);
	ex = c->main(argc, argv);
	progress_end();
	return ex;
}

int
main(int argc, char **argv)
{
	const struct command *c;
	const char *base;
	size_t i;

	catch_fatal();
	text_locale();
	base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base != NULL ? base + 1 : argc > 0 ? argv[0] : "hintsdb";
	for (i = 0; i < sizeof(compat) / sizeof(compat[0]); i++)
		if (strcmp(base, compat[i].name) == 0) {
			progname = base;
			return compat[i].main(argc, argv);
		}
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return finish_stdout("help");
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("hintsdb %s\n", HINTSDB_VERSION);
		return finish_stdout("version");
	}
	if (strcmp(argv[1], "help") == 0)
		return help(argc - 1, argv + 1);
	if ((c = find(argv[1])) == NULL)
		return unknown("command", argv[1]);
	return run(c, argc - 1, argv + 1);
}
