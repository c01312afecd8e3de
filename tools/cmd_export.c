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

#include <jansson.h>

#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "rec/convert.h"
#include "dump.h"
#include "jsafe.h"
#include "out.h"
#include "rec/recfmt.h"
#include "engine/slurp.h"
#include "secret_out.h"
#include "progress.h"

#include "engine/spool.h"

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

static int	usage(FILE *);
static const char *layouts(const struct slurp *);
static void	put_line(json_t *);
static void	header(const struct slurp *, const struct dbh *, const char *);
static int	record(const struct slurp *, size_t, enum hdb_dbtype,
		    const struct hdb_fmtopts *);
static int	export(const char *, const char *, const struct dbopts *,
		    const struct sel *, const char *);
static int	export_all(const char *, const struct dbopts *,
		    const struct sel *, const char *);

static int
usage(FILE *fp)
{
	return usage_of(fp, "export", EXPORT_USAGE);
}

/* layouts - "legacy", "v2", "mixed", or "none" for the records in s. */
static const char *
layouts(const struct slurp *s)
{
	int seen = 0;
	size_t i;

	for (i = 0; i < s->n; i++) {
		enum hdb_layout l = hdb_rec_layout(slurp_val(s, i),
		    s->recs[i].vlen);

		if (l == HDB_L_LEGACY)
			seen |= 1;
		else if (l == HDB_L_V2)
			seen |= 2;
	}
	return seen == 1 ? "legacy" : seen == 2 ? "v2" : seen == 3 ? "mixed" :
	    "none";
}

static void
put_line(json_t *o)
{
	hdb_json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
}

static void
header(const struct slurp *s, const struct dbh *d, const char *name)
{
	json_t *o = json_object();

	json_object_set_new(o, "hintsdb_export", json_integer(EXPORT_VERSION));
	json_object_set_new(o, "db", json_string(name));
	json_object_set_new(o, "type", json_string(hdb_dbtype_name(d->type)));
	json_object_set_new(o, "backend", json_string(d->h->be->name));
	if (d->h->be == &hdb_backend_sqlite)
		json_object_set_new(o, "sqlite_schema",
		    json_string(hdb_sqlite_flags(d->path) ? "tbl" : "tblblob"));
	json_object_set_new(o, "layout", json_string(layouts(s)));
	json_object_set_new(o, "abi", json_string(hdb_abi()));
	json_object_set_new(o, "records", json_integer((json_int_t)s->n));
	put_line(o);
}

/* record - one record's line; 1 if it could not be decoded. */
static int
record(const struct slurp *s, size_t i, enum hdb_dbtype t,
    const struct hdb_fmtopts *fo)
{
	const uint8_t *k = slurp_key(s, i), *v = slurp_val(s, i);
	size_t kl = s->recs[i].klen, vl = s->recs[i].vlen;
	struct hdb_rec r;
	const char *why = NULL;
	json_t *o;
	char *b64, *vk;
	int bad = 0;

	if (hdb_rec_decode(t, HDB_L_AUTO, k, kl, v, vl, &r, &why) == 0) {
		o = hdb_rec_json(k, kl, &r, fo);
		json_object_del(o, "age_s");
	} else {
		o = hdb_rec_json_error(k, kl, why, fo);
		vk = hdb_vis_dup(k, hdb_key_text_len(k, kl));
		warnx("export: cannot decode record '%s': %s (exported as "
		    "stored)", vk, why);
		free(vk);
		bad = 1;
	}
	b64 = hdb_base64(v, vl);
	json_object_set_new(o, "raw", json_string(b64));
	free(b64);
	put_line(o);
	return bad;
}

/* --match, --peer: keep the records dump would select with them. */
static void
keep_matching(struct slurp *s, const struct sel *sel)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if ((sel->match == NULL || dump_key_glob(sel->match,
		    slurp_key(s, i), s->recs[i].klen)) && (sel->peer == NULL ||
		    dump_tls_peer(sel->peer, HDB_L_AUTO, slurp_key(s, i),
		    s->recs[i].klen, slurp_val(s, i), s->recs[i].vlen)))
			s->recs[n++] = s->recs[i];
	s->n = n;
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
	struct hdb_fmtopts fo;
	struct dbh d;
	struct slurp s;
	size_t i;
	int ex, bad = 0, none;

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
	if (slurp_read(&s, d.h, 0) != HDB_OK) {
		warnx("export: cannot read '%s': %s", name, hdb_error(d.h));
		db_close(&d);
		slurp_free(&s);
		return EX_IOERR_;
	}
	bad = oversize_report("export", name);
	if (sel->match != NULL || sel->peer != NULL)
		keep_matching(&s, sel);
	none = (sel->match != NULL || sel->peer != NULL) && s.n == 0;
	slurp_sort(&s);
	if (output != NULL && (ex = secret_output(output, "export")) != 0) {
		db_close(&d);
		slurp_free(&s);
		return ex;
	}
	if (d.type == HDB_T_TLS)
		secret_warn("export", "TLS session secrets");
	memset(&fo, 0, sizeof(fo));
	fo.now = clock_now(o);
	fo.utc = 1;
	fo.db = name;
	header(&s, &d, name);
	db_close(&d);
	progress_begin(s.n, PROG_STDOUT, "%s: writing", name);
	for (i = 0; i < s.n; i++) {
		bad |= record(&s, i, d.type, &fo);
		progress_add(1);
	}
	progress_end();
	slurp_free(&s);
	if ((ex = finish_stdout("export")) != 0) {
		if (output != NULL)
			secret_output_abandon(output);
		return ex;
	}
	return bad ? EX_FINDINGS : none ? EX_NOTFOUND : 0;
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
