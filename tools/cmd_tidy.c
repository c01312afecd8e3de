/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_tidy.c - remove stale records from hints DBs, as exim_tidydb does,
 * without blocking Exim.
 *
 * The rules are Exim 4.96's (age, dead message IDs in wait and retry
 * records, continuation takeover) plus expired TLS tickets; the work is
 * done by the tidy engine (tidy.h) in short lock holds.  Each DB
 * gets one summary line (or one JSON object); -v adds a line per change,
 * -q keeps quiet unless something failed.  As root it first becomes the
 * owner of SPOOL/db.  With --all every hints DB in SPOOL/db is tidied, each
 * on its own: one failure does not stop the others, and the exit status is
 * the worst seen.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include <bsd/stdlib.h>
#include <jansson.h>

#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "duration.h"
#include "jsafe.h"
#include "out.h"
#include "priv.h"
#include "engine/spool.h"
#include "engine/tidy.h"
#include "progress.h"
#include "rec/convert.h"

#define TIDY_USAGE "hintsdb tidy [-fnqv] [-t TIME] [--compact | --no-compact] " \
	"[--format=text|json] " \
	"[--match=GLOB] [--now=TIME] [--max-lock-ms=N] [--lock-timeout=T] " \
	"[--backend=B] [--layout=L] [--no-drop-privileges] " \
	"[--stale-sessions[=VERSION]] (SPOOL DBNAME... | --all SPOOL)"

#define DEFAULT_MAXAGE	(30 * 86400)
#define DEFAULT_LOCK_MS	100

enum {
	OPT_ALL = OPT_FIRST_FREE,
	OPT_COMPACT,
	OPT_DRY_RUN,
	OPT_MATCH,
	OPT_MAX_LOCK_MS,
	OPT_NO_COMPACT,
	OPT_NO_DROP,
	OPT_QUIET,
	OPT_STALE,
	OPT_VERBOSE,
};

static const struct option longopts[] = {
	{ "all", no_argument, NULL, OPT_ALL },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "compact", no_argument, NULL, OPT_COMPACT },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "max-lock-ms", required_argument, NULL, OPT_MAX_LOCK_MS },
	{ "no-compact", no_argument, NULL, OPT_NO_COMPACT },
	{ "no-drop-privileges", no_argument, NULL, OPT_NO_DROP },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "stale-sessions", optional_argument, NULL, OPT_STALE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ NULL, 0, NULL, 0 },
};

struct tidycmd {
	struct dbopts	 dbo;
	struct tidy_opts to;
	int		 all;
	int		 json;
	int		 quiet;
	int		 no_drop;
	int		 stale_set;	/* --stale-sessions */
	const char	*stale_arg;	/* its VERSION, or NULL: ask Exim */
	struct exim_target stale;
	char		 stale_desc[64];	/* "GnuTLS 3.8.13" */
};

static int	stale_target(struct tidycmd *);

static int
usage(FILE *fp)
{
	return usage_of(fp, "tidy", TIDY_USAGE);
}

/* The exit status to report when two DBs ended with a and b. */
static int
worse(int a, int b)
{
	static const int order[] = { 0, EX_FINDINGS, EX_LOCKED, EX_NODB,
	    EX_IOERR_, EX_INTERNAL, EX_USAGE_ };
	int ia = 0, ib = 0, i;

	for (i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++) {
		if (order[i] == a)
			ia = i;
		if (order[i] == b)
			ib = i;
	}
	return ia >= ib ? a : b;
}

/* ", what N" when n is not 0. */
static void
count(const char *what, unsigned long long n)
{
	if (n != 0)
		printf(", %s %llu", what, n);
}

/*
 * print_text - the summary line, with only the counts that are not 0:
 * "retry: examined 4, deleted 4 (too old 3, no message 1), 1.2 ms"; a dry
 * run says what it would do.
 */
static void
print_text(const struct tidycmd *tc, const struct tidy_stats *st)
{
	static const char *const why[TR_NREASONS] = {
		"too old", "no message", "empty", "ticket expired",
		"stale session",
	};
	const char *sep = " (";
	int dry = tc->to.dry_run, i;

	/* the error is on stderr too; here it keeps the DB's line */
	if (st->status != 0 && st->status != EX_FINDINGS) {
		printf("%s: not %s: %s\n", st->name, dry ? "examined" :
		    "tidied", st->error);
		return;
	}
	printf("%s: %sexamined %llu", st->name, dry ? "dry run: " : "",
	    (unsigned long long)st->examined);
	if (tidy_deleted(st) == 0 && st->updated == 0 && st->renamed == 0)
		fputs(", nothing to delete", stdout);
	else if (tidy_deleted(st) != 0) {
		printf(", %s %llu", dry ? "would delete" : "deleted",
		    (unsigned long long)tidy_deleted(st));
		for (i = 0; i < TR_NREASONS; i++)
			if (st->deleted[i] != 0) {
				printf("%s%s %llu", sep, why[i],
				    (unsigned long long)st->deleted[i]);
				sep = ", ";
			}
		putchar(')');
	}
	count(dry ? "would update" : "updated", st->updated);
	count(dry ? "would rename" : "renamed", st->renamed);
	count("corrupt kept", st->corrupt);
	count("refreshed kept", st->refreshed);
	printf(", %.1f ms\n", st->elapsed_ms);
	if (tc->to.stale != NULL && hdb_dbtype_from_name(st->name) ==
	    HDB_T_TLS)
		printf("%s: %s %llu session%s that %s cannot resume\n",
		    st->name, dry ? "would delete" : "deleted",
		    (unsigned long long)st->deleted[TR_STALE_SESSION],
		    pl(st->deleted[TR_STALE_SESSION]), tc->stale_desc);
	if (st->compacted == 1)
		printf("%s: compacted: %llu bytes, before %llu\n", st->name,
		    (unsigned long long)st->size_after,
		    (unsigned long long)st->size_before);
	else if (st->compacted == -1)
		printf("%s: not compacted: Exim opens it without a lockfile\n",
		    st->name);
}

static void
print_json(const struct tidycmd *tc, const char *spool,
    const struct tidy_stats *st)
{
	json_t *o = json_object(), *by = json_object();

	json_object_set_new(o, "db", json_string(st->name));
	json_object_set_new(o, "spool", json_string(spool));
	json_object_set_new(o, "dry_run", json_boolean(tc->to.dry_run));
	json_object_set_new(o, "status", json_integer(st->status));
	if (st->status != 0 && st->status != EX_FINDINGS)
		json_object_set_new(o, "error", json_string(st->error));
	json_object_set_new(o, "examined", json_integer(
	    (json_int_t)st->examined));
	json_object_set_new(o, "deleted", json_integer(
	    (json_int_t)tidy_deleted(st)));
	json_object_set_new(by, "too_old", json_integer(
	    (json_int_t)st->deleted[TR_TOO_OLD]));
	json_object_set_new(by, "no_message", json_integer(
	    (json_int_t)st->deleted[TR_NO_MESSAGE]));
	json_object_set_new(by, "empty", json_integer(
	    (json_int_t)st->deleted[TR_EMPTY]));
	json_object_set_new(by, "ticket_expired", json_integer(
	    (json_int_t)st->deleted[TR_EXPIRED]));
	if (tc->to.stale != NULL)
		json_object_set_new(by, "session_stale", json_integer(
		    (json_int_t)st->deleted[TR_STALE_SESSION]));
	json_object_set_new(o, "deleted_by", by);
	json_object_set_new(o, "updated", json_integer(
	    (json_int_t)st->updated));
	json_object_set_new(o, "renamed", json_integer(
	    (json_int_t)st->renamed));
	json_object_set_new(o, "corrupt", json_integer(
	    (json_int_t)st->corrupt));
	json_object_set_new(o, "refreshed", json_integer(
	    (json_int_t)st->refreshed));
	json_object_set_new(o, "lock_holds", json_integer(
	    (json_int_t)st->batches));
	json_object_set_new(o, "max_lock_held_ms", json_real(
	    st->max_hold_ms));
	json_object_set_new(o, "read_lock_held_ms", json_real(
	    st->read_hold_ms));
	json_object_set_new(o, "lock_gaps", json_integer(
	    (json_int_t)st->gaps));
	json_object_set_new(o, "gap_ms", json_real(st->gap_ms));
	json_object_set_new(o, "elapsed_ms", json_real(st->elapsed_ms));
	if (!tc->to.dry_run) {
		json_object_set_new(o, "compacted", json_boolean(
		    st->compacted == 1));
		json_object_set_new(o, "size_before", json_integer(
		    (json_int_t)st->size_before));
		if (st->compacted == 1)
			json_object_set_new(o, "size_after", json_integer(
			    (json_int_t)st->size_after));
	}
	if (st->chains != 0)
		json_object_set_new(o, "hash_chains", json_integer(
		    (json_int_t)st->chains));
	hdb_json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

static int
tidy_one(const struct tidycmd *tc, const char *spool, const char *name)
{
	struct tidy_stats st;

	tidy_db(spool, name, &tc->to, &st);
	progress_end();		/* before the summary */
	if (tc->json)
		print_json(tc, spool, &st);
	else if (!tc->quiet)
		print_text(tc, &st);
	fflush(stdout);
	return st.status;
}

static int
tidy_all(const struct tidycmd *tc, const char *spool)
{
	char **names = NULL, *p;
	size_t n, i;
	int ex = 0, e;

	if (spool_dbs(spool, &names, &n) == -1) {
		e = errno;
		p = hdb_vis_dup(spool, strlen(spool));
		warnx("tidy: cannot list '%s/db': %s%s", p, strerror(e),
		    priv_hint(e, NULL));
		free(p);
		return e == ENOENT || e == ENOTDIR ? EX_NODB : EX_IOERR_;
	}
	for (i = 0; i < n; i++)
		ex = worse(ex, tidy_one(tc, spool, names[i]));
	spool_dbs_free(names, n);
	return ex;
}

static int
parse_opt(struct tidycmd *tc, int ch, const char *arg)
{
	int f;

	switch (ch) {
	case 'f':			/* Exim's, accepted and ignored */
		return 0;
	case 'n':
	case OPT_DRY_RUN:
		tc->to.dry_run = 1;
		return 0;
	case 'q':
	case OPT_QUIET:
		tc->quiet = 1;
		tc->dbo.quiet = 1;
		return 0;
	case 't':
		if (tidy_parse_age(arg, &tc->to.maxage) == -1) {
			warnx("tidy: bad time '%s' (e.g. 30d, 2h30m, "
			    "1w2d3h4m5s)", arg);
			return -1;
		}
		return 0;
	case 'v':
	case OPT_VERBOSE:
		tc->to.verbose = 1;
		return 0;
	case OPT_ALL:
		tc->all = 1;
		return 0;
	case OPT_COMPACT:
	case OPT_NO_COMPACT:
		if (tc->to.compact != 0) {
			warnx("tidy: --compact and --no-compact cannot be "
			    "used together");
			return -1;
		}
		tc->to.compact = ch == OPT_COMPACT ? 1 : -1;
		return 0;
	case OPT_MATCH:
		globs_add(&tc->to.match, arg);	/* repeated: the union */
		return 0;
	case OPT_FORMAT:
		if ((f = pick(arg, format_names)) == -1 || f == 2) {
			warnx("tidy: unknown format '%s' (text, json)", arg);
			return -1;
		}
		tc->json = f == 1;
		return 0;
	case OPT_MAX_LOCK_MS:
		return duration_opt("tidy", "--max-lock-ms", arg,
		    DUR_BARE_MS, 1, 60000, &tc->to.max_lock_ms);
	case OPT_NO_DROP:
		tc->no_drop = 1;
		return 0;
	case OPT_STALE:
		tc->stale_set = 1;
		tc->stale_arg = arg;
		return 0;
	default:
		return dbopts_parse(&tc->dbo, ch, arg, "tidy") == 0 ? 0 : -1;
	}
}

/* lib, then optional " ", ":", "-" or "/": what follows, or NULL */
static const char *
after_name(const char *s, const char *lib)
{
	size_t n = strlen(lib);

	if (strncasecmp(s, lib, n) != 0)
		return NULL;
	s += n;
	return *s == ' ' || *s == ':' || *s == '-' || *s == '/' ? s + 1 : s;
}

/*
 * stale_parse - a TLS library version we know into t: a GnuTLS 3 version
 * ("3.8.13", also "GnuTLS 3.8.13"), or OpenSSL ("openssl", also with its
 * 1.x or 3.x version, which does not matter: its sessions are DER).
 * An Exim version given by mistake (4.96, 4.100.1) gets its own words,
 * as anything else does.  0, or EX_USAGE_ after saying why.
 */
static int
stale_parse(const char *arg, struct exim_target *t)
{
	const char *v;
	long n;

	if ((v = after_name(arg, "openssl")) != NULL) {
		n = *v == '\0' ? 0 : hdb_tls_parse_version(v);
		if (n == 0 || (n > 0 && (n >> 16 == 1 || n >> 16 == 3))) {
			t->tls = HDB_TLS_LIB_OPENSSL;
			return 0;
		}
	} else {
		if ((v = after_name(arg, "gnutls")) == NULL)
			v = arg;
		if ((n = hdb_tls_parse_version(v)) >= 0 && n >> 16 == 3) {
			t->tls = HDB_TLS_LIB_GNUTLS;
			snprintf(t->tls_version, sizeof(t->tls_version),
			    "%ld.%ld.%ld", n >> 16 & 0xff, n >> 8 & 0xff,
			    n & 0xff);
			return 0;
		}
		if (v == arg && n >= 0 && n >> 16 == 4) {
			warnx("tidy: --stale-sessions=%s is an Exim version; "
			    "it takes the version of the TLS library that "
			    "Exim uses: GnuTLS's, such as 3.8.13 ('exim -d "
			    "-bV' prints it after 'Runtime:'), or openssl; "
			    "or no VERSION, to ask the exim4 on PATH", arg);
			return EX_USAGE_;
		}
	}
	warnx("tidy: bad --stale-sessions version '%s' (a GnuTLS 3 version "
	    "such as 3.8.13, or openssl)", arg);
	return EX_USAGE_;
}

/*
 * stale_target - the TLS library whose stale sessions go: --stale-sessions=
 * VERSION (stale_parse), else what exim4 or exim on PATH says it uses
 * (exim.h).
 */
static int
stale_target(struct tidycmd *tc)
{
	struct exim_target *t = &tc->stale;
	char path[PATH_MAX], err[256] = "";
	int ex;

	memset(t, 0, sizeof(*t));
	if (tc->stale_arg != NULL) {
		if ((ex = stale_parse(tc->stale_arg, t)) != 0)
			return ex;
	} else if (exim_locate(path, sizeof(path)) == -1) {
		warnx("tidy: no exim4 or exim on PATH to ask for its TLS "
		    "library: give --stale-sessions=VERSION");
		return EX_USAGE_;
	} else if (exim_probe(path, t, err, sizeof(err)) == -1 ||
	    t->tls == HDB_TLS_LIB_UNKNOWN || (t->tls == HDB_TLS_LIB_GNUTLS &&
	    t->tls_version[0] == '\0')) {
		warnx("tidy: cannot tell which TLS library '%s' uses%s%s: "
		    "give --stale-sessions=VERSION", path, *err ? ": " : "",
		    err);
		return EX_USAGE_;
	}
	snprintf(tc->stale_desc, sizeof(tc->stale_desc), "%s%s%s",
	    t->tls == HDB_TLS_LIB_GNUTLS ? "GnuTLS" : "OpenSSL",
	    t->tls_version[0] ? " " : "", t->tls_version);
	tc->to.stale = t;
	return 0;
}

static int
cmd_tidy_main(int argc, char **argv)
{
	struct tidycmd tc;
	int ch, i, ex = 0;

	memset(&tc, 0, sizeof(tc));
	dbopts_init(&tc.dbo);
	tc.to.maxage = DEFAULT_MAXAGE;
	tc.to.max_lock_ms = DEFAULT_LOCK_MS;
	tc.to.cmd = "tidy";
	tc.to.dbo = &tc.dbo;
	while ((ch = getopt_long(argc, argv, "fnqt:v", longopts, NULL)) != -1) {
		if (ch == OPT_HELP)
			return usage(stdout);
		if (ch == '?' || parse_opt(&tc, ch, optarg) == -1)
			return usage(stderr);
	}
	argc -= optind;
	argv += optind;
	if (tc.quiet && tc.to.verbose) {
		warnx("tidy: -q and -v cannot be used together");
		return EX_USAGE_;
	}
	if (tc.to.match != NULL && !tc.to.verbose) {
		warnx("tidy: --match selects -v's lines, so it needs -v");
		return EX_USAGE_;
	}
	if (tc.all ? argc != 1 : argc < 2)
		return usage(stderr);
	for (i = 1; i < argc; i++)
		if (!db_name_ok(argv[i], "tidy"))
			return EX_USAGE_;
	tc.to.now = clock_now(&tc.dbo);
	/* asking Exim comes first: it may need root (a chroot wrapper) */
	if (tc.stale_set && (ex = stale_target(&tc)) != 0)
		return ex;
	if ((ex = tc.no_drop ? spool_pin(argv[0], "tidy") :
	    priv_drop(argv[0], "tidy")) != 0)
		return ex;
	if (tc.all)
		ex = tidy_all(&tc, argv[0]);
	else
		for (i = 1; i < argc; i++)
			ex = worse(ex, tidy_one(&tc, argv[0], argv[i]));
	return worse(ex, finish_stdout("tidy"));
}

const struct command cmd_tidy_entry = {
	.name = "tidy",
	.usage = TIDY_USAGE,
	.summary = "remove stale records, as exim_tidydb, in short locks",
	.flags = CMD_F_WRITES,
	.main = cmd_tidy_main,
	.longopts = longopts,
	.shortopts = "fnqt:v",
};
