/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * help.c - `hintsdb help CMD`, `CMD --help` and `CMD -h`, the options the
 * dispatcher takes for every command, and hints after a usage error.
 *
 * Each command has one help table here: a short description of every
 * option its getopt table knows (the test fails on one left out), two
 * examples, and which short options take a value (so that the dispatcher,
 * looking for --help, skips option values).  Usage line and summary come
 * from the command's own entry, whose usage is its man page's SYNOPSIS.
 */

#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "help.h"
#include "out.h"
#include "progress.h"

struct help_opt {
	const char	*opt;		/* as shown: "-n, --dry-run" */
	const char	*desc;
};

struct help {
	const char	*name;
	const char	*valued;	/* short options that take a value */
	int		 spool;		/* operands are SPOOL DBNAME... */
	const struct help_opt *opts;
	const char	*examples[2];
};

/* Shared wording, so that one option reads the same everywhere. */
#define O_BACKEND	{ "--backend=B", "the DB's backend (bdb, gdbm, tdb, " \
			    "ndbm, sqlite); default: from its magic" }
#define O_LAYOUT	{ "--layout=L", "record layout (legacy, v2, auto); " \
			    "default auto, per record" }
#define O_LOCK		{ "--lock-timeout=T", "wait at most T for a lock " \
			    "(bare number: seconds; 500ms, 2s, 1m); default 60s" }
#define O_NOW		{ "--now=TIME", "judge ages against TIME (epoch " \
			    "seconds or ISO 8601), not the clock" }
#define O_UTC		{ "-z", "print times in UTC" }
#define O_NODROP	{ "--no-drop-privileges", "run as root stays root " \
			    "(else it becomes the owner of SPOOL/db)" }
#define O_DROPBAD	{ "--drop-bad", "leave out records that cannot be " \
			    "converted, instead of refusing" }
#define O_SCHEMA	{ "--sqlite-schema=tbl|tblblob", "table layout of " \
			    "a new SQLite DB (Exim's tbl or tblblob)" }
#define O_MAXLOCK	{ "--max-lock-ms=N", "hold a lock at most N at a " \
			    "stretch (bare number: ms; or 1s); default 100" }
#define O_SECRETS	{ "--show-secrets", "print TLS master secrets and " \
			    "tickets (hidden by default)" }
#define O_EXIM		{ "--exim=PATH", "the Exim that will read the " \
			    "spool (default: exim4 or exim on PATH)" }
#define O_END		{ NULL, NULL }

static const struct help_opt check_opts[] = {
	{ "-v", "a line for every record checked, not just problems" },
	{ "--all", "every hints DB in SPOOL/db, found by its files" },
	O_BACKEND, O_EXIM, O_LAYOUT, O_LOCK, O_NODROP, O_NOW,
	{ "--repair", "rebuild each damaged DB from every record still "
	    "readable, atomically, under the write lock" },
	O_END,
};
static const struct help_opt convert_opts[] = {
	{ "-v", "print a summary of what was converted, and, in place, "
	    "of what Exim wrote meanwhile" },
	{ "--all", "with --in-place: every hints DB in SPOOL/db" },
	O_BACKEND, O_DROPBAD,
	{ "--in-place", "replace SPOOL/db/DBNAME atomically; Exim's write "
	    "lock is held only for the switch" },
	O_LOCK, O_NODROP,
	{ "--output=PATH", "write the new DB to PATH (which must not "
	    "exist)" },
	O_SCHEMA,
	{ "--to-backend=B", "the new DB's backend (bdb, gdbm, tdb, ndbm, "
	    "sqlite); default: the same" },
	{ "--to-layout=legacy|v2", "the new DB's record layout; default: "
	    "each record's own" },
	O_END,
};
static const struct help_opt delete_opts[] = {
	{ "-n, --dry-run", "say what would be deleted, change nothing" },
	{ "-q, --quiet", "no line per deleted record" },
	O_BACKEND, O_LOCK,
	{ "--match=GLOB", "delete every record whose key matches GLOB "
	    "(repeated: any of them)" },
	O_MAXLOCK, O_NODROP,
	{ "--peer=GLOB", "tls: delete the sessions whose certificate CN or "
	    "SAN, or SNI, matches GLOB (case ignored; repeated: any of "
	    "them)" },
	O_END,
};
static const struct help_opt dump_opts[] = {
	{ "-k", "print the keys only" },
	O_UTC,
	{ "--all", "every hints DB in SPOOL/db, each under a line "
	    "==> NAME <== in text" },
	O_BACKEND,
	{ "--exim-version=V", "with --format=exim: speak as Exim V (4.96, "
	    "4.98, 4.99, 4.100), not as the one that wrote each record" },
	{ "--file=PATH", "read the DB at PATH, outside a spool (with "
	    "--type)" },
	{ "--format=text|json|exim", "output: readable text (default), JSON "
	    "Lines, or exim_dumpdb's" },
	O_LAYOUT, O_LOCK,
	{ "--match=GLOB", "only the records whose key matches GLOB (as "
	    "delete --match); repeated: any of them" },
	O_MAXLOCK,
	O_NOW,
	{ "--peer=GLOB", "tls: only the sessions whose certificate CN or "
	    "SAN, or SNI, matches GLOB (case ignored)" },
	O_SECRETS,
	{ "--type=TYPE", "with --file: the DB's type (retry, misc, wait, "
	    "callout, ratelimit, seen, tls)" },
	{ "--unsorted", "the backend's order, not sorted by key (faster)" },
	O_END,
};
static const struct help_opt export_opts[] = {
	{ "--all", "every hints DB in SPOOL/db, one after the other" },
	O_BACKEND, O_LOCK,
	{ "--match=GLOB", "only the records whose key matches GLOB (as "
	    "delete --match; repeated: any of them)" },
	{ "--now=TIME", "the time given to the decoders, not the clock" },
	{ "--output=FILE", "write to FILE, created mode 0600 (it must not "
	    "exist), instead of standard output" },
	{ "--peer=GLOB", "tls: only the sessions dump --peer selects" },
	O_END,
};
static const struct help_opt fix_opts[] = {
	O_UTC, O_BACKEND, O_LAYOUT, O_LOCK, O_NODROP, O_NOW, O_END,
};
static const struct help_opt import_opts[] = {
	{ "-v", "print a summary of what was imported, and of what Exim "
	    "wrote meanwhile" },
	O_BACKEND, O_DROPBAD,
	{ "--layout=L", "write records in layout L (legacy, v2); default: "
	    "as exported" },
	O_LOCK, O_NODROP, O_SCHEMA, O_END,
};
static const struct help_opt stat_opts[] = {
	{ "-v", "the full detail of each DB, not one line per DB" },
	O_UTC,
	{ "--all", "every hints DB in SPOOL/db (as SPOOL alone)" },
	O_EXIM,
	{ "--format=text|json|prometheus", "output: text (default), JSON, or "
	    "Prometheus metrics" },
	O_LOCK, O_NOW, O_END,
};
static const struct help_opt ticket_opts[] = {
	O_UTC,
	{ "--format=text|json|summary", "output: full text (default), JSON, "
	    "or one line a session" },
	{ "--gnutls-version=VERSION", "the GnuTLS version that wrote a "
	    "packed session, when it cannot be told" },
	O_LOCK, O_NOW, O_SECRETS, O_END,
};
static const struct help_opt tidy_opts[] = {
	{ "-f", "accepted and ignored, as by exim_tidydb" },
	{ "-n, --dry-run", "decide and report everything, change nothing" },
	{ "-q, --quiet", "print nothing unless something failed" },
	{ "-t TIME", "delete records older than TIME (units needed: 30d, "
	    "1w2d); default 30d" },
	{ "-v, --verbose", "a line for every change" },
	{ "--all", "tidy every hints DB in SPOOL/db" },
	O_BACKEND,
	{ "--compact", "rebuild it into a fresh file even when that does not "
	    "pay (by default: a file of 1 MiB or more with a quarter of a "
	    "4096-record sample due, on Berkeley DB, GDBM, NDBM, and tdb with "
	    "its lockfile)" },
	{ "--format=text|json", "summary as text (default) or one JSON "
	    "object a DB" },
	O_LAYOUT, O_LOCK,
	{ "--match=GLOB", "with -v: list only the records whose key matches "
	    "GLOB (repeated: any of them)" },
	O_MAXLOCK,
	{ "--no-compact", "never rebuild: delete in place" },
	O_NODROP, O_NOW,
	{ "--stale-sessions[=VERSION]", "delete the TLS sessions that the TLS "
	    "library VERSION (GnuTLS 3.x.y or openssl; default: the "
	    "installed Exim's) cannot resume" },
	O_END,
};
static const struct help_opt upgrade_opts[] = {
	{ "-n, --dry-run", "print the plan, change nothing" },
	{ "-v, --verbose", "a line for every DB converted" },
	O_EXIM,
	{ "--keep-sessions", "keep TLS sessions the target cannot resume" },
	O_LOCK, O_NODROP, O_END,
};
static const struct help_opt failing_opts[] = {
	O_BACKEND,
	{ "--format=text|json", "output: a line per destination (default), "
	    "or a JSON object per destination" },
	O_LOCK, O_MAXLOCK, O_NOW, O_END,
};
static const struct help_opt forget_opts[] = {
	{ "-n, --dry-run", "say what would be deleted, change nothing" },
	{ "-q, --quiet", "no line per deleted record, only one per DB" },
	O_BACKEND, O_LOCK, O_MAXLOCK, O_NODROP, O_END,
};
static const struct help_opt why_opts[] = {
	{ "-C CONFIG", "with an Exim: route with this configuration file" },
	O_BACKEND,
	{ "--exim=PATH", "route domains and addresses with this Exim's -bt "
	    "(default: exim4 or exim on PATH)" },
	{ "--format=text|json", "output: readable text (default), or one "
	    "JSON object per target" },
	O_LOCK, O_MAXLOCK,
	{ "--no-route", "match names directly, without asking Exim for the "
	    "hosts of a domain" },
	O_NOW, O_END,
};

static const struct help helps[] = {
	{ "check", "", 1, check_opts, {
	    "hintsdb check /var/spool/exim4",
	    "hintsdb check -v /var/spool/exim4 retry misc" } },
	{ "convert", "", 1, convert_opts, {
	    "hintsdb convert --to-layout=v2 --in-place /var/spool/exim4 retry",
	    "hintsdb convert --to-backend=gdbm --output=/tmp/retry.gdbm "
	    "/var/spool/exim4 retry" } },
	{ "delete", "", 1, delete_opts, {
	    "hintsdb delete /var/spool/exim4 retry 'T:mx.example:192.0.2.1'",
	    "hintsdb delete --peer='mx*.example.com' /var/spool/exim4 tls" } },
	{ "dump", "", 1, dump_opts, {
	    "hintsdb dump /var/spool/exim4 retry",
	    "hintsdb dump --format=json /var/spool/exim4 callout | jq ." } },
	{ "export", "", 1, export_opts, {
	    "hintsdb export /var/spool/exim4 retry >retry.jsonl",
	    "hintsdb export /var/spool/exim4 tls | gzip >tls.jsonl.gz" } },
	{ "failing", "", 0, failing_opts, {
	    "hintsdb failing /var/spool/exim4",
	    "hintsdb failing --format=json /var/spool/exim4 | "
	    "jq -r 'select(.host) | [.next_try_utc, .host] | @tsv'" } },
	{ "fix", "", 1, fix_opts, {
	    "hintsdb fix /var/spool/exim4 retry",
	    "hintsdb fix /var/spool/exim4 seen <commands.txt" } },
	{ "forget", "", 0, forget_opts, {
	    "hintsdb forget -n /var/spool/exim4 mx.example.com",
	    "hintsdb forget /var/spool/exim4 example.com 192.0.2.1:25" } },
	{ "import", "", 1, import_opts, {
	    "hintsdb import /var/spool/exim4 retry <retry.jsonl",
	    "hintsdb import --backend=gdbm /var/spool/exim4 misc <misc.jsonl" } },
	{ "stat", "", 1, stat_opts, {
	    "hintsdb stat /var/spool/exim4",
	    "hintsdb stat --format=prometheus /var/spool/exim4 >hints.prom" } },
	{ "ticket", "", 0, ticket_opts, {
	    "hintsdb ticket session.der",
	    "hintsdb ticket --format=summary /var/spool/exim4" } },
	{ "tidy", "t", 1, tidy_opts, {
	    "hintsdb tidy --all /var/spool/exim4",
	    "hintsdb tidy -n -v -t 7d /var/spool/exim4 retry" } },
	{ "upgrade", "", 1, upgrade_opts, {
	    "hintsdb upgrade -n /var/spool/exim4",
	    "hintsdb upgrade --exim=/usr/sbin/exim4 /var/spool/exim4" } },
	{ "why", "C", 0, why_opts, {
	    "hintsdb why /var/spool/exim4 example.com mx.example.com",
	    "hintsdb why --format=json /var/spool/exim4 192.0.2.1:25 | "
	    "jq .verdict" } },
};

/* The options the dispatcher handles for every command. */
static const struct help_opt common_opts[] = {
	{ "-h, --help", "this help" },
	{ "--progress", "show progress on stderr even when it is not a "
	    "terminal" },
	{ "--no-progress", "never show progress" },
	O_END,
};

static const struct help *
find_help(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(helps[i].name, name) == 0)
			return &helps[i];
	return NULL;
}

/* described - whether some option text in opts names --long exactly. */
static int
described(const struct help_opt *opts, const char *lng)
{
	size_t n = strlen(lng);
	const char *p;

	for (; opts != NULL && opts->opt != NULL; opts++)
		for (p = opts->opt; (p = strstr(p, "--")) != NULL; p += 2)
			if (strncmp(p + 2, lng, n) == 0 &&
			    strchr("=,[ ", p[2 + n]) != NULL)
				return 1;
	return 0;
}

/* print_desc - text in a column from 28 to 79, words kept whole. */
static void
print_desc(FILE *fp, const char *text)
{
	const char *p = text, *sp;
	size_t n;

	while (*p != '\0') {
		n = strlen(p);
		if (n > 51) {
			for (n = 51; n > 0 && p[n] != ' '; n--)
				continue;
			if (n == 0 && (sp = strchr(p, ' ')) != NULL)
				n = (size_t)(sp - p);
			else if (n == 0)
				n = strlen(p);
		}
		fprintf(fp, "%s%.*s\n", p == text ? "" : "                    "
		    "       ", (int)n, p);
		p += n;
		while (*p == ' ')
			p++;
	}
}

static void
print_opts(FILE *fp, const struct help_opt *o)
{
	for (; o != NULL && o->opt != NULL; o++) {
		if (strlen(o->opt) <= 24)
			fprintf(fp, "  %-24s ", o->opt);
		else
			fprintf(fp, "  %s\n  %-24s ", o->opt, "");
		print_desc(fp, o->desc);
	}
}

int
help_print(const struct command *c, FILE *fp)
{
	const struct help *h = find_help(c->name);
	const struct option *lo;
	int i;

	fprintf(fp, "usage: %s\n%s\n", c->usage, c->summary);
	if (h != NULL) {
		fprintf(fp, "\noptions:\n");
		print_opts(fp, h->opts);
	}
	/* an option the table has forgotten still shows, and the test sees */
	for (lo = c->longopts; lo != NULL && lo->name != NULL; lo++)
		if (strcmp(lo->name, "help") != 0 &&
		    !described(h != NULL ? h->opts : NULL, lo->name))
			fprintf(fp, "  --%-22s (not described)\n", lo->name);
	fprintf(fp, "\noptions of every command:\n");
	print_opts(fp, common_opts);
	if (h != NULL) {
		fprintf(fp, "\nexamples:\n");
		for (i = 0; i < 2; i++)
			fprintf(fp, "  %s\n", h->examples[i]);
	}
	fprintf(fp, "\nSee hintsdb-%s(8).\n", c->name);
	return fp == stdout ? finish_stdout("help") : 0;
}

/* takes_value - whether option argument a (not "--x=v") wants the next
 * argument as its value. */
static int
takes_value(const struct command *c, const struct help *h, const char *a)
{
	const struct option *lo;
	size_t n;

	if (a[1] == '-') {
		n = strlen(a + 2);
		if (strchr(a, '=') != NULL)
			return 0;
		for (lo = c->longopts; lo != NULL && lo->name != NULL; lo++)
			if (strncmp(lo->name, a + 2, n) == 0)
				return lo->has_arg == required_argument;
		return 0;
	}
	/* a short cluster: a valued letter takes the rest, or the next */
	for (a++; *a != '\0'; a++)
		if (h != NULL && strchr(h->valued, *a) != NULL)
			return a[1] == '\0';
	return 0;
}

static int
is_verbose(const struct help *h, const char *a)
{
	if (strcmp(a, "--verbose") == 0)
		return 1;
	if (a[1] == '-')
		return 0;
	for (a++; *a != '\0'; a++) {
		if (*a == 'v')
			return 1;
		if (h != NULL && strchr(h->valued, *a) != NULL)
			return 0;
	}
	return 0;
}

int
shell_args(const struct command *c, int *argc, char **argv,
    struct shell_args *sa)
{
	const struct help *h = find_help(c->name);
	int i, j;

	memset(sa, 0, sizeof(*sa));
	for (i = 1, j = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(a, "--progress") == 0) {
			progress_mode = PROGRESS_ON;
			continue;
		}
		if (strcmp(a, "--no-progress") == 0) {
			progress_mode = PROGRESS_OFF;
			continue;
		}
		argv[j++] = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			continue;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			sa->help = 1;
		else if (is_verbose(h, a))
			sa->verbose = 1;
		if (takes_value(c, h, a) && i + 1 < *argc)
			argv[j++] = argv[++i];
	}
	argv[j] = NULL;
	*argc = j;
	return 0;
}

void
help_fix_prompt(FILE *fp)
{
	fputs("commands, one a line:\n"
	    "  KEY               show the record and its numbered fields\n"
	    "  KEY d             delete the record\n"
	    "  KEY FIELD VALUE   set a field (by number) and show the record\n"
	    "  d | FIELD VALUE   the same, for the last key\n"
	    "  q                 quit (so does end of input)\n"
	    "  help, ?           this text\n"
	    "Quote a key with spaces or escapes: \"a b\", \"\\x00\"; a key "
	    "named help as \"help\".\n"
	    "Times: pairs of digits from the right, minute hour day month "
	    "year (2612312359).\n"
	    "The fields of each database: hintsdb-fix(8).\n", fp);
}
