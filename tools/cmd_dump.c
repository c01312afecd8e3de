/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_dump.c - print every record of one hints DB, decoded.
 *
 * The records are copied into memory in short read-lock holds (pieces.h)
 * before any formatting (slurp.h), so neither a big DB nor a slow terminal
 * or pipe holds up Exim for long.  Text and JSON are sorted by key unless
 * --unsorted; the exim format keeps the backend's order, as exim_dumpdb
 * does.  With KEYs only those are looked up, a few to a hold.
 */
#include <err.h>
#include <inttypes.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "dump.h"
#include "duration.h"
#include "jsafe.h"
#include "eximver.h"
#include "out.h"
#include "rec/recfmt.h"
#include "engine/pieces.h"
#include "engine/slurp.h"
#include "engine/spool.h"
#include "engine/xsort.h"
#include "secret_out.h"
#include "progress.h"
#include "tls/tls.h"
#include "tls/tls_out.h"
#include "hash.h"
#include "xmalloc.h"

#define DUMP_USAGE "hintsdb dump [-kz] [--all] [--format=text|json|exim] " \
	"[--exim-version=4.96|4.98|4.100] " \
	"[--now=TIME] [--backend=B] [--layout=L] [--lock-timeout=T] " \
	"[--match=GLOB] [--max-lock-ms=N] [--peer=GLOB] [--show-secrets] " \
	"[--unsorted] " \
	"(SPOOL DBNAME [KEY...] | --all SPOOL | --file=PATH --type=TYPE)"

enum {
	OPT_MATCH = OPT_FIRST_FREE,
	OPT_EXIM_VERSION,
	OPT_MAX_LOCK_MS,
	OPT_PEER,
	OPT_DUMP_ALL,
};

static const struct option longopts[] = {
	{ "all", no_argument, NULL, OPT_DUMP_ALL },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "exim-version", required_argument, NULL, OPT_EXIM_VERSION },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "max-lock-ms", required_argument, NULL, OPT_MAX_LOCK_MS },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "peer", required_argument, NULL, OPT_PEER },
	{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "unsorted", no_argument, NULL, OPT_UNSORTED },
	{ NULL, 0, NULL, 0 },
};

static int
usage(FILE *fp)
{
	return usage_of(fp, "dump", DUMP_USAGE);
}

static void
print_key(const uint8_t *k, size_t kl, int format,
    const struct hdb_fmtopts *fo)
{
	json_t *o;

	if (format == DUMP_JSON) {
		o = json_object();
		json_object_set_new(o, "db", json_string(fo->db));
		hdb_json_set_key(o, k, kl);
		hdb_json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
		return;
	}
	fputs(format == DUMP_EXIM ? "  " : "", stdout);
	hdb_out_vis(stdout, k, hdb_key_text_len(k, kl));
	fputc('\n', stdout);
}

static int
print_keys(const struct slurp *s, int format, const struct hdb_fmtopts *fo)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		print_key(slurp_key(s, i), s->recs[i].klen, format, fo);
	return 0;
}

static void
warn_problem(const struct dump_ctx *c, const uint8_t *k, size_t kl)
{
	char *vk = hdb_vis_dup(k, hdb_key_text_len(k, kl));

	warnx("%s: record '%s' has a problem (see its output)", c->cmd, vk);
	free(vk);
}

/*
 * exim_not_found - what 4.100's exim_dumpdb says of a record that is not
 * v2: its read treats it as absent (formats doc §3.0).  Status stays 0.
 */
static void
exim_not_found(const uint8_t *k, size_t kl)
{
	fputs("**** Entry \"", stderr);
	hdb_out_vis(stderr, k, hdb_key_text_len(k, kl));
	fputs("\" was in the key scan, but the record was not found in the "
	    "file - something is wrong!\n", stderr);
}

/* One record in the chosen format; 1 if it could not be decoded or has a
 * problem. */
static int
print_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
    const struct dump_ctx *c)
{
	struct hdb_rec r;
	const char *why = NULL;
	int bad = 0;

	if (c->format == DUMP_EXIM && c->fo.exim_version == HDB_EXIM_4100 &&
	    hdb_rec_layout(v, vl) != HDB_L_V2) {
		exim_not_found(k, kl);
		return 0;
	}
	if (hdb_rec_decode(c->type, c->layout, k, kl, v, vl, &r, &why) == -1) {
		dump_report_bad(c, k, kl, v, vl, why);
		return 1;
	}
	switch (c->format) {
	case DUMP_JSON:
		bad = hdb_rec_json_print(stdout, k, kl, &r, &c->fo);
		break;
	case DUMP_EXIM:
		return hdb_rec_print_exim(stdout, stderr, k, kl, &r, &c->fo);
	default:
		bad = hdb_rec_print_text(stdout, k, kl, &r, &c->fo);
		break;
	}
	if (bad)
		warn_problem(c, k, kl);
	return bad;
}

/* Whether key k matches glob g as delete --match takes it: the key text
 * without Exim's NUL; a key holding a NUL matches nothing. */
int
dump_key_glob(const char *g, const uint8_t *k, size_t kl)
{
	size_t tl = hdb_key_text_len(k, kl);
	char *text;
	int m;

	if (memchr(k, '\0', tl) != NULL)
		return 0;
	text = xmalloc(tl + 1);
	memcpy(text, k, tl);
	text[tl] = '\0';
	m = globs_match(g, text);
	free(text);
	return m;
}

static int
peer_one(const char *glob, void *ti)
{
	return hdb_tls_peer_match(ti, glob);
}

int
dump_tls_peer(const char *glob, enum hdb_layout layout, const uint8_t *k,
    size_t kl, const uint8_t *v, size_t vl)
{
	struct hdb_tls_info ti;
	struct hdb_rec r;
	const char *why;
	int m;

	if (hdb_rec_decode(HDB_T_TLS, layout, k, kl, v, vl, &r, &why) == -1)
		return 0;
	m = hdb_tls_decode(r.u.tls.payload, r.u.tls.payload_len, &ti) != -1 &&
	    globs_each(glob, peer_one, &ti);
	hdb_tls_info_clear(&ti);
	return m;
}

void
dump_tls_peer_text(char *buf, size_t len, const uint8_t *k, size_t kl,
    const uint8_t *v, size_t vl)
{
	struct hdb_tls_info ti;
	struct hdb_rec r;
	const char *why;

	buf[0] = '\0';
	if (len < 2 || hdb_rec_decode(HDB_T_TLS, HDB_L_AUTO, k, kl, v, vl, &r,
	    &why) == -1)
		return;
	if (hdb_tls_decode(r.u.tls.payload, r.u.tls.payload_len, &ti) != -1 &&
	    hdb_tls_peer_text(buf + 1, len - 1, &ti) > 0)
		buf[0] = ' ';
	hdb_tls_info_clear(&ti);
}

/* Whether the record passes --match and --peer. */
static int
wanted_rec(const struct dump_ctx *c, const uint8_t *k, size_t kl,
    const uint8_t *v, size_t vl)
{
	if (c->match != NULL && !dump_key_glob(c->match, k, kl))
		return 0;
	return c->peer == NULL || dump_tls_peer(c->peer, c->layout, k, kl, v,
	    vl);
}

static int
wanted(const struct slurp *s, size_t i, const struct dump_ctx *c)
{
	return wanted_rec(c, slurp_key(s, i), s->recs[i].klen,
	    slurp_val(s, i), s->recs[i].vlen);
}

/* Nothing passed the filters: say which. */
static int
none_selected(const struct dump_ctx *c, const char *db)
{
	char *v = globs_vis(c->match ? c->match : c->peer);
	char *p = c->match && c->peer ? globs_vis(c->peer) : NULL;

	if (c->all)
		;	/* dump_all says it once, if no DB had any */
	else if (p != NULL)
		warnx("%s: no key in '%s' matches '%s' with a peer matching "
		    "'%s'", c->cmd, db, v, p);
	else if (c->match != NULL)
		warnx("%s: no key in '%s' matches '%s'", c->cmd, db, v);
	else
		warnx("%s: no session in '%s' has a peer matching '%s'",
		    c->cmd, db, v);
	free(v);
	free(p);
	return EX_NOTFOUND;
}

/* The bytes KEY names: its text plus Exim's NUL, escapes read back as
 * delete reads them.  -1 (after a message) for a bad escape. */
static int
key_bytes(const char *cmd, const char *arg, uint8_t **k, size_t *kl)
{
	char *v;

	if (strchr(arg, '\\') == NULL) {
		*kl = strlen(arg) + 1;
		*k = (uint8_t *)xstrdup(arg);
		return 0;
	}
	if (hdb_unvis(arg, k, kl) == -1) {
		v = hdb_vis_dup(arg, strlen(arg));
		warnx("%s: bad escape in key '%s' (write a backslash as \\\\)",
		    cmd, v);
		free(v);
		return -1;
	}
	(*kl)++;		/* hdb_unvis leaves a NUL at (*k)[*kl] */
	return 0;
}

/* select_recs - keep the records --match and --peer select (in place).
 * 0, or EX_NOTFOUND if none did. */
static int
select_recs(struct slurp *s, const struct dump_ctx *c, const char *db)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (wanted(s, i, c))
			s->recs[n++] = s->recs[i];
	s->n = n;
	return n > 0 ? 0 : none_selected(c, db);
}

/*
 * A keyed dump looks each KEY up (hdb_get) in db_paced's short holds
 * instead of reading the DB: its cost is the keys', not the file's.  A
 * KEY given twice is looked up and printed once.
 */
struct lookup {
	const struct dump_ctx *c;
	uint8_t		**kb;		/* each KEY's bytes */
	size_t		 *kl;
	char		 *dup;		/* an earlier KEY is the same */
	struct slurp	  s;		/* the records found, in KEY order */
	struct hdb_keyset found;
	const char	 *db;
};

static int
lookup_one(void *arg, struct dbh *d, size_t j)
{
	struct lookup *l = arg;
	struct hdb_datum k = { l->kb[j], l->kl[j] }, v;
	int r;

	if (l->dup[j])
		return 0;
	if ((r = hdb_get(d->h, k, &v)) == HDB_NOTFOUND)
		return 0;
	if (r != HDB_OK)
		return -1;
	if (hdb_over_cap(k, v) || !wanted_rec(l->c, k.data, k.len, v.data,
	    v.len))
		return 0;
	(void)hdb_keyset_add(&l->found, k.data, k.len);
	return slurp_add(&l->s, k, v) == -1 ? -1 : 0;
}

static void
lookup_failed(void *arg, struct dbh *d)
{
	struct lookup *l = arg;
	char *v = hdb_vis_dup(l->db, strlen(l->db));

	warnx("%s: cannot read '%s': %s", l->c->cmd, v, hdb_error(d->h));
	free(v);
}

/* Each KEY's bytes, and whether an earlier KEY is the same; -1 (after a
 * message) for a bad escape. */
static int
lookup_keys(struct lookup *l)
{
	struct hdb_keyset seen = { 0 };
	size_t j, n = (size_t)l->c->nkeys;

	l->kb = xcalloc(n, sizeof(*l->kb));
	l->kl = xcalloc(n, sizeof(*l->kl));
	l->dup = xcalloc(n, 1);
	for (j = 0; j < n; j++) {
		if (key_bytes(l->c->cmd, l->c->keys[j], &l->kb[j], &l->kl[j])
		    == -1)
			break;
		l->dup[j] = !hdb_keyset_add(&seen, l->kb[j], l->kl[j]);
	}
	hdb_keyset_free(&seen);
	return j == n ? 0 : -1;
}

/* Each KEY that was not found (or not selected) said; EX_NOTFOUND if
 * any. */
static int
lookup_missing(const struct lookup *l)
{
	size_t j;
	char *v;
	int ret = 0;

	for (j = 0; j < (size_t)l->c->nkeys; j++)
		if (!hdb_keyset_has(&l->found, l->kb[j], l->kl[j])) {
			v = hdb_vis_dup(l->kb[j], l->kl[j] - 1);
			warnx("%s: no record '%s' in '%s'", l->c->cmd, v, l->db);
			free(v);
			ret = EX_NOTFOUND;
		}
	return ret;
}

static void
lookup_free(struct lookup *l)
{
	size_t j;

	for (j = 0; l->kb != NULL && j < (size_t)l->c->nkeys; j++)
		free(l->kb[j]);
	free(l->kb);
	free(l->kl);
	free(l->dup);
	hdb_keyset_free(&l->found);
}

/*
 * dump_lookup - the records the KEYs name (and --match and --peer
 * select) into l->s, in KEY order (lookup_missing then says which were
 * not there).  d is closed when it returns.  0, or an EX_* code.
 */
static int
dump_lookup(struct dbh *d, const char *spool, const char *name,
    const struct dbopts *o, struct lookup *l)
{
	static const struct paced p = { NULL, lookup_one, lookup_failed,
	    NULL, 0 };
	const struct dump_ctx *c = l->c;

	db_close(d);
	slurp_init(&l->s, NULL, c->keys_only && c->peer == NULL);
	if (lookup_keys(l) == -1)
		return EX_USAGE_;
	return db_paced(spool, name, 0, o, c->cmd, c->max_lock_ms > 0 ?
	    (double)c->max_lock_ms : SCAN_BUDGET_MS, (size_t)c->nkeys, &p, l);
}

/*
 * oversize_report - say how many records the read passed over for the
 * size cap (hdb.h): none of them was ever kept.  1 if there were any.
 */
int
oversize_report(const char *cmd, const char *db)
{
	uint64_t n = hdb_oversize();
	char *p;

	if (n == 0)
		return 0;
	p = hdb_vis_dup(db, strlen(db));
	warnx("%s: %s: %" PRIu64 " record%s over the size cap (keys %u KiB, "
	    "values %u KiB; no Exim writes one) left out", cmd, p, n,
	    n == 1 ? "" : "s", HDB_KEY_MAX >> 10, HDB_VAL_MAX >> 10);
	free(p);
	return 1;
}

/*
 * A dump in the DB's order of every record needs no more than a batch in
 * memory: each is written between two holds, unlocked, and then its memory
 * serves the next (db_slurp_stream).  4 MiB: short of the holds' own
 * size, so they end as they did, and with the keys' hashes (8 bytes a
 * record at most) a million records stay under 32 MB.
 */
#define DUMP_BATCH	((size_t)4 << 20)

struct dump_out {
	const struct dump_ctx *c;
	int		 bad;
};

/* print_recs - every record of s as c asks. */
static int
print_recs(const struct slurp *s, const struct dump_ctx *c, int prog)
{
	size_t i;
	int bad = 0;

	if (c->keys_only)
		return print_keys(s, c->format, &c->fo);
	for (i = 0; i < s->n; i++) {
		/* Sorted, the records are read in random order. */
		if (c->sorted && i + 8 < s->n) {
			__builtin_prefetch(slurp_key(s, i + 8));
			__builtin_prefetch(slurp_val(s, i + 8) + 64);
		}
		bad |= print_one(slurp_key(s, i), s->recs[i].klen,
		    slurp_val(s, i), s->recs[i].vlen, c);
		if (prog)
			progress_add(1);
	}
	return bad;
}

static void
dump_batch(void *ctx, struct slurp *s)
{
	struct dump_out *out = ctx;

	out->bad |= print_recs(s, out->c, 0);
}

/* xsort's keep: --match and --peer */
static int
sorted_keep(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v,
    size_t vl)
{
	return wanted_rec(ctx, k, kl, v, vl);
}

/* xsort's fn: one record, in key order */
static int
sorted_one(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v,
    size_t vl)
{
	struct dump_out *out = ctx;
	const struct dump_ctx *c = out->c;

	if (c->keys_only)
		print_key(k, kl, c->format, &c->fo);
	else
		out->bad |= print_one(k, kl, v, vl, c);
	progress_add(1);
	return 0;
}

/*
 * dump_sorted - every record (that --match and --peer select) in key
 * order, through xsort: a batch in memory at a time, and a spill file
 * when the DB does not fit in one (xsort.h).
 */
static int
dump_sorted(struct dbh *d, const char *spool, const struct dbopts *o,
    struct dump_ctx *c)
{
	struct dump_out out = { c, 0 };
	struct xsort x;
	int ex, filter = c->match != NULL || c->peer != NULL;

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if ((ex = xsort_read(&x, d, spool, o, c->cmd, c->max_lock_ms > 0 ?
	    (double)c->max_lock_ms : SCAN_BUDGET_MS, c->keys_only &&
	    c->peer == NULL ? SCAN_KEYS : 0, DUMP_BATCH, filter ? sorted_keep :
	    NULL, c)) != 0)
		goto out;
	out.bad |= oversize_report(c->cmd, c->fo.db);
	if (filter && x.n == 0) {
		ex = none_selected(c, c->fo.db);
		goto out;
	}
	progress_begin(x.n, PROG_STDOUT, "%s: writing", c->fo.db);
	ex = xsort_each(&x, sorted_one, &out);
	progress_end();
	if (ex == 0 && (ex = finish_stdout(c->cmd)) == 0)
		ex = out.bad ? EX_FINDINGS : 0;
out:
	xsort_free(&x);
	return ex;
}

/* dump_stream - the whole DB in its order, a batch at a time. */
static int
dump_stream(struct dbh *d, const char *spool, const struct dbopts *o,
    struct dump_ctx *c)
{
	struct dump_out out = { c, 0 };
	struct slurp s;
	int ex;

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if ((ex = db_slurp_stream(d, spool, o, c->cmd, c->max_lock_ms > 0 ?
	    (double)c->max_lock_ms : SCAN_BUDGET_MS, c->keys_only ?
	    SCAN_KEYS : 0, &s, DUMP_BATCH, dump_batch, &out)) != 0)
		return ex;
	out.bad |= print_recs(&s, c, 0);
	slurp_free(&s);
	out.bad |= oversize_report(c->cmd, c->fo.db);
	if ((ex = finish_stdout(c->cmd)) != 0)
		return ex;
	return out.bad ? EX_FINDINGS : 0;
}

int
dump_run(const char *spool, const char *name, const struct dbopts *o,
    struct dump_ctx *c)
{
	struct dbh d;
	struct lookup l = { .c = c, .db = name };
	struct slurp *s = &l.s;
	int ex, bad = 0, missing = 0;

	hdb_cap_sizes(1);	/* before the open: see hdb.h */
	(void)hdb_oversize();
	if ((ex = db_open(&d, spool, name, 0, o, c->cmd)) != 0)
		return ex;
	c->type = d.type;
	if (c->peer != NULL && d.type != HDB_T_TLS) {
		warnx("%s: --peer selects tls sessions; '%s' is a %s database",
		    c->cmd, c->fo.db, hdb_dbtype_name(d.type));
		db_close(&d);
		return EX_USAGE_;
	}
	if (!c->sorted && c->match == NULL && c->peer == NULL &&
	    c->nkeys == 0)
		return dump_stream(&d, spool, o, c);
	if (c->sorted && c->nkeys == 0)
		return dump_sorted(&d, spool, o, c);
	if (c->nkeys > 0) {
		if ((ex = dump_lookup(&d, spool, name, o, &l)) != 0) {
			slurp_free(s);
			lookup_free(&l);
			return ex;
		}
	} else if ((ex = db_slurp(&d, spool, o, c->cmd, c->max_lock_ms > 0 ?
	    (double)c->max_lock_ms : SCAN_BUDGET_MS,
	    c->keys_only && c->peer == NULL ? SCAN_KEYS : 0, s)) != 0)
		return ex;
	bad = oversize_report(c->cmd, name);
	missing = c->nkeys > 0 ? lookup_missing(&l) : select_recs(s, c, name);
	/* Output is most of the work now: fewer, larger writes. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (c->sorted)
		slurp_sort(s);
	if (c->keys_only)
		print_keys(s, c->format, &c->fo);
	else {
		progress_begin(s->n, PROG_STDOUT, "%s: writing", c->fo.db);
		bad |= print_recs(s, c, 1);
		progress_end();
	}
	slurp_free(s);
	lookup_free(&l);
	if ((ex = finish_stdout(c->cmd)) != 0)
		return ex;
	return bad ? EX_FINDINGS : missing;
}

void
dump_report_bad(const struct dump_ctx *c, const uint8_t *k, size_t kl,
    const uint8_t *v, size_t vl, const char *why)
{
	json_t *o;
	char *vk;

	switch (c->format) {
	case DUMP_JSON:
		o = hdb_rec_json_error(k, kl, why, &c->fo);
		hdb_json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
		break;
	case DUMP_TEXT:
		hdb_rec_print_text_error(stdout, k, kl, v, vl, why, &c->fo);
		break;
	default:
		break;
	}
	vk = hdb_vis_dup(k, hdb_key_text_len(k, kl));
	warnx("%s: cannot decode record '%s': %s", c->cmd, vk, why);
	free(vk);
}

/*
 * dump_all - every DB of the spool, in name order, each under a line
 * "==> NAME <==" in text (JSON names it in each line).  Nothing found
 * only if found in no DB; else the worst status.
 */
static int
dump_all(const char *spool, const struct dbopts *o, struct dump_ctx *c)
{
	char **names;
	size_t i, n, none = 0;
	int ex, worst = 0;
	char *v;

	if ((ex = spool_args(c->cmd, 1, (char **)&spool, &names, &n)) != 0)
		return ex;
	c->all = 1;
	for (i = 0; i < n; i++) {
		if (c->format != DUMP_JSON)
			printf("%s==> %s <==\n", i > 0 ? "\n" : "", names[i]);
		fflush(stdout);
		c->fo.db = names[i];
		if ((ex = dump_run(spool, names[i], o, c)) == EX_NOTFOUND)
			none++;
		else
			worst = ex_worse(worst, ex);
	}
	spool_dbs_free(names, n);
	if (worst == 0 && n > 0 && none == n) {
		v = globs_vis(c->match);
		warnx("%s: no key in any database matches '%s'", c->cmd, v);
		free(v);
		return EX_NOTFOUND;
	}
	return worst;
}

static int
cmd_dump_main(int argc, char **argv)
{
	struct dbopts o;
	struct dump_ctx c;
	int ch, r, unsorted = 0, all = 0;

	dbopts_init(&o);
	memset(&c, 0, sizeof(c));
	c.cmd = "dump";
	while ((ch = getopt_long(argc, argv, "kz", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			c.keys_only = 1;
			break;
		case OPT_DUMP_ALL:
			all = 1;
			break;
		case OPT_FORMAT:
			if ((c.format = pick(optarg, format_names)) == -1) {
				warnx("dump: unknown format '%s' (text, json, "
				    "exim)", optarg);
				return EX_USAGE_;
			}
			break;
		case OPT_EXIM_VERSION:
			if ((c.fo.exim_version = eximver_parse(optarg)) ==
			    -1) {
				warnx("dump: unknown Exim version '%s' (4.96, "
				    "4.98, 4.100)", optarg);
				return EX_USAGE_;
			}
			break;
		case OPT_HELP:
			return usage(stdout);
		case OPT_MATCH:
			globs_add(&c.match, optarg);	/* the union */
			break;
		case OPT_MAX_LOCK_MS:
			if (duration_opt("dump", "--max-lock-ms", optarg,
			    DUR_BARE_MS, 1, 60000, &c.max_lock_ms) == -1)
				return usage(stderr);
			break;
		case OPT_PEER:
			globs_add(&c.peer, optarg);
			break;
		case OPT_SHOW_SECRETS:
			c.fo.show_secrets = 1;
			break;
		case OPT_UNSORTED:
			unsorted = 1;
			break;
		default:
			if ((r = dbopts_parse(&o, ch, optarg, "dump")) == 0)
				break;
			return usage(stderr);
		}
	}
	argc -= optind;
	argv += optind;
	if (all && (o.file != NULL || c.peer != NULL || argc != 1)) {
		warnx("dump: --all takes SPOOL alone%s", c.peer != NULL ?
		    " (--peer selects tls sessions: give SPOOL tls)" : "");
		return EX_USAGE_;
	}
	if (all)
		;
	else if (o.file != NULL ? argc != 0 || o.type == HDB_T_UNKNOWN :
	    argc < 2) {
		if (o.file != NULL && o.type == HDB_T_UNKNOWN)
			warnx("dump: --file needs --type");
		return usage(stderr);
	}
	if (!all && o.file == NULL && !db_name_ok(argv[1], "dump"))
		return EX_USAGE_;
	if (c.fo.show_secrets)
		secret_warn("dump", "secrets (--show-secrets)");
	c.sorted = c.format != DUMP_EXIM && !unsorted;
	c.layout = o.layout;
	/* Exim before 4.100 reads every record as legacy. */
	if (c.layout == HDB_L_AUTO && (c.fo.exim_version == HDB_EXIM_496 ||
	    c.fo.exim_version == HDB_EXIM_498 ||
	    c.fo.exim_version == HDB_EXIM_499) && c.format == DUMP_EXIM)
		c.layout = HDB_L_LEGACY;
	c.fo.now = clock_now(&o);
	c.fo.utc = o.utc;
	if (all)
		return dump_all(argv[0], &o, &c);
	c.fo.db = o.file != NULL ? hdb_dbtype_name(o.type) : argv[1];
	if (o.file == NULL) {
		c.keys = argv + 2;
		c.nkeys = argc - 2;
	}
	return dump_run(o.file ? NULL : argv[0], o.file ? o.file : argv[1],
	    &o, &c);
}

const struct command cmd_dump_entry = {
	.name = "dump",
	.usage = DUMP_USAGE,
	.summary = "print every record of a hints database, decoded",
	.flags = CMD_F_RDONLY,
	.main = cmd_dump_main,
	.longopts = longopts,
	.shortopts = "kz",
};
