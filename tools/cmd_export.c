/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_export.c - write one hints DB as JSON Lines: a header line naming the
 * source (database, type, backend, layout, ABI, record count), then one
 * line per record, sorted by key, with the decoded fields of `dump
 * --format=json` (less the clock-dependent age_s) and the stored bytes in
 * base64 ("raw").  `hintsdb import` rebuilds a DB from it.
 *
 * The records are copied into memory under Exim's read lock and the lock is
 * dropped before any output (slurp.h).  Output depends only on the records
 * (and --now), so exporting the same DB twice gives the same bytes.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "rec/convert.h"
#include "dump.h"
#include "jsafe.h"
#include "out.h"
#include "rec/recfmt.h"
#include "engine/pieces.h"
#include "engine/spool.h"
#include "engine/xsort.h"
#include "secret_out.h"
#include "progress.h"

#define EXPORT_USAGE "hintsdb export [--backend=B] [--lock-timeout=T] " \
	"[--match=GLOB] [--now=TIME] [--output=FILE] [--peer=GLOB] " \
	"(SPOOL DBNAME | --all SPOOL)"

enum {
	OPT_MATCH = OPT_FIRST_FREE,
	OPT_OUTPUT,
	OPT_EXPORT_ALL,
	OPT_PEER,
};

/* Which records: --match on the key, --peer on a tls session's names. */
struct sel {
	const char	*match;
	const char	*peer;
};

/* The export format's version, in the header's "hintsdb_export". */
#define EXPORT_VERSION	1

static const struct option longopts[] = {
	{ "all", no_argument, NULL, OPT_EXPORT_ALL },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "peer", required_argument, NULL, OPT_PEER },
	{ NULL, 0, NULL, 0 },
};

/*
 * The records go through xsort (xsort.h): read under one read lock, for an
 * exact copy, into a batch of this many bytes and, when the DB does not
 * fit in one, on into a temporary file; sorted in runs of a batch after
 * the lock is dropped and merged into the output.  Memory stays that of a
 * batch whatever the DB's size.
 */
#define EXPORT_BATCH	((size_t)4 << 20)

/* What the read and the output need of one export. */
struct ex {
	const struct sel *sel;
	enum hdb_dbtype	 type;
	struct hdb_fmtopts fo;
	int		 layouts;	/* 1 legacy, 2 v2 seen */
	uint64_t	 n;		/* records, when counted again */
	int		 bad;
};

static int	usage(FILE *);
static const char *layouts(int);
static void	header(const struct ex *, const char *, const char *,
		    uint64_t);
static int	export(const char *, const char *, const struct dbopts *,
		    const struct sel *, const char *);
static int	export_all(const char *, const struct dbopts *,
		    const struct sel *, const char *);

static int
usage(FILE *fp)
{
	return usage_of(fp, "export", EXPORT_USAGE);
}

/* layouts - "legacy", "v2", "mixed", or "none" for the layout bits seen. */
static const char *
layouts(int seen)
{
	return seen == 1 ? "legacy" : seen == 2 ? "v2" : seen == 3 ? "mixed" :
	    "none";
}

static int
layout_bit(const uint8_t *v, size_t vl)
{
	enum hdb_layout l = hdb_rec_layout(v, vl);

	return l == HDB_L_LEGACY ? 1 : l == HDB_L_V2 ? 2 : 0;
}

/* header - the first line; be and schema were the DB's (schema or NULL) */
static void
header(const struct ex *e, const char *be, const char *schema, uint64_t n)
{
	json_t *o = json_object();

	json_object_set_new(o, "hintsdb_export", json_integer(EXPORT_VERSION));
	json_object_set_new(o, "db", json_string(e->fo.db));
	json_object_set_new(o, "type", json_string(hdb_dbtype_name(e->type)));
	json_object_set_new(o, "backend", json_string(be));
	if (schema != NULL)
		json_object_set_new(o, "sqlite_schema", json_string(schema));
	json_object_set_new(o, "layout", json_string(layouts(e->layouts)));
	json_object_set_new(o, "abi", json_string(hdb_abi()));
	json_object_set_new(o, "records", json_integer((json_int_t)n));
	hdb_json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

/* xsort's keep: --match, --peer; the layouts of what is kept */
static int
keep(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct ex *e = ctx;
	const struct sel *sel = e->sel;

	if ((sel->match != NULL && !dump_key_glob(sel->match, k, kl)) ||
	    (sel->peer != NULL && !dump_tls_peer(sel->peer, HDB_L_AUTO, k, kl,
	    v, vl)))
		return 0;
	e->layouts |= layout_bit(v, vl);
	return 1;
}

/* A read during which the DB changed may hold a key twice, which the
 * merge passes on once: count what it passes on. */
static int
count(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct ex *e = ctx;

	e->n++;
	e->layouts |= layout_bit(v, vl);
	return 0;
}

/* record - one record's line, in key order */
static int
record(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct ex *e = ctx;
	struct hdb_rec r;
	const char *why = NULL;
	char *vk;

	if (hdb_rec_decode(e->type, HDB_L_AUTO, k, kl, v, vl, &r, &why) == 0)
		(void)hdb_rec_export_print(stdout, k, kl, &r, NULL, v, vl,
		    &e->fo);
	else {
		hdb_rec_export_print(stdout, k, kl, NULL, why, v, vl, &e->fo);
		vk = hdb_vis_dup(k, hdb_key_text_len(k, kl));
		warnx("export: cannot decode record '%s': %s (exported as "
		    "stored)", vk, why);
		free(vk);
		e->bad = 1;
	}
	progress_add(1);
	return 0;
}

/*
 * export - the records are read first; only then is --output made (0600,
 * O_EXCL), so a DB that cannot be read leaves no file behind.  Records
 * are copied as stored, secrets and all: warn when they go somewhere
 * others may read them.
 */
static int
export(const char *spool, const char *name, const struct dbopts *o,
    const struct sel *sel, const char *output)
{
	const char *be, *schema = NULL;
	struct ex e;
	struct dbh d;
	struct xsort x;
	uint64_t n;
	int ex, none;

	hdb_cap_sizes(1);	/* before the open: see hdb.h */
	(void)hdb_oversize();
	if ((ex = db_open(&d, spool, name, 0, o, "export")) != 0)
		return ex;
	if (sel->peer != NULL && d.type != HDB_T_TLS) {
		warnx("export: --peer selects tls sessions; '%s' is a %s "
		    "database", name, hdb_dbtype_name(d.type));
		db_close(&d);
		return EX_USAGE_;
	}
	memset(&e, 0, sizeof(e));
	e.sel = sel;
	e.type = d.type;
	e.fo.now = clock_now(o);
	e.fo.utc = 1;
	e.fo.db = name;
	e.fo.no_age = 1;	/* the clock's, not the record's */
	be = d.h->be->name;
	if (d.h->be == &hdb_backend_sqlite)
		schema = hdb_sqlite_flags(d.path) ? "tbl" : "tblblob";
	if ((ex = xsort_read_held(&x, &d, "export", 0, EXPORT_BATCH, keep,
	    &e)) != 0)
		goto out;
	e.bad = oversize_report("export", name);
	n = x.n;
	if (x.inexact) {
		e.layouts = 0;
		if ((ex = xsort_each(&x, count, &e)) != 0)
			goto out;
		n = e.n;
	}
	none = (sel->match != NULL || sel->peer != NULL) && n == 0;
	if (output != NULL && (ex = secret_output(output, "export")) != 0)
		goto out;
	if (e.type == HDB_T_TLS)
		secret_warn("export", "TLS session secrets");
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	header(&e, be, schema, n);
	progress_begin(n, PROG_STDOUT, "%s: writing", name);
	ex = xsort_each(&x, record, &e);
	progress_end();
	if (ex == 0)
		ex = finish_stdout("export");
	if (ex != 0) {
		if (output != NULL)
			secret_output_abandon(output);
		goto out;
	}
	ex = e.bad ? EX_FINDINGS : none ? EX_NOTFOUND : 0;
out:
	xsort_free(&x);
	return ex;
}

/* none_matched - what the selection found nowhere: EX_NOTFOUND */
static int
none_matched(const char *where, const struct sel *sel)
{
	const char *g = sel->match != NULL ? sel->match : sel->peer;
	char *v = globs_vis(g);

	if (sel->match != NULL)
		warnx("export: no key in %s matches '%s'", where, v);
	else
		warnx("export: no session in %s has a peer matching '%s'",
		    where, v);
	free(v);
	return EX_NOTFOUND;
}

/*
 * export_all - every DB of the spool (spool.h), one after the other, each
 * from its header line, to one --output file if given (made once, before
 * the first); the first failure's status, after trying all.
 */
static int
export_all(const char *spool, const struct dbopts *o, const struct sel *sel,
    const char *output)
{
	char **names;
	size_t i, n, none = 0;
	int ex, first = 0;

	if ((ex = spool_args("export", 1, (char **)&spool, &names, &n)) != 0)
		return ex;
	if (output != NULL && (ex = secret_output(output, "export")) != 0) {
		spool_dbs_free(names, n);
		return ex;
	}
	for (i = 0; i < n; i++)
		if ((ex = export(spool, names[i], o, sel, NULL)) ==
		    EX_NOTFOUND)
			none++;
		else if (ex != 0 && first == 0)
			first = ex;
	spool_dbs_free(names, n);
	if (first != 0 && first != EX_FINDINGS && output != NULL)
		secret_output_abandon(output);
	/* nothing matched only if it matched in no DB */
	if (first == 0 && n > 0 && none == n)
		return none_matched("any database", sel);
	return first;
}

static int
cmd_export_main(int argc, char **argv)
{
	struct dbopts o;
	const char *output = NULL;
	struct sel sel = { NULL, NULL };
	char where[256];
	int ch, all = 0;

	dbopts_init(&o);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_HELP:
			return usage(stdout);
		case OPT_OUTPUT:
			output = optarg;
			break;
		case OPT_MATCH:
			globs_add(&sel.match, optarg);	/* the union */
			break;
		case OPT_PEER:
			globs_add(&sel.peer, optarg);
			break;
		case OPT_EXPORT_ALL:
			all = 1;
			break;
		case OPT_BACKEND:
		case OPT_LOCK_TIMEOUT:
		case OPT_NOW:
			if (dbopts_parse(&o, ch, optarg, "export") == 0)
				break;
			return usage(stderr);
		default:
			return usage(stderr);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != (all ? 1 : 2))
		return usage(stderr);
	if (all && sel.peer != NULL) {
		warnx("export: --peer selects tls sessions: give SPOOL tls, "
		    "not --all");
		return EX_USAGE_;
	}
	if (all)
		return export_all(argv[0], &o, &sel, output);
	if (!db_name_ok(argv[1], "export"))
		return EX_USAGE_;
	if ((ch = export(argv[0], argv[1], &o, &sel, output)) != EX_NOTFOUND)
		return ch;
	snprintf(where, sizeof(where), "'%s'", argv[1]);	/* a plain name */
	return none_matched(where, &sel);
}

const struct command cmd_export_entry = {
	.name = "export",
	.usage = EXPORT_USAGE,
	.summary = "write a hints database as JSON Lines, for import",
	.flags = CMD_F_RDONLY,
	.main = cmd_export_main,
	.longopts = longopts,
	.shortopts = "",
};
