/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_delete.c - delete records by key, or every record whose key matches
 * a glob ("forget the retry state of every host of example.com").
 *
 * Named keys are given as their text; Exim's trailing NUL is added.  With
 * --match the keys are collected in short read-lock holds and deleted in
 * short write-locked batches, as tidy does, so a busy Exim is never held
 * up for long.  Every deleted key is printed, escaped; -n prints what
 * would go.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "db/lock.h"
#include "delete.h"
#include "dump.h"
#include "duration.h"
#include "engine/pieces.h"
#include "hash.h"
#include "out.h"
#include "progress.h"
#include "priv.h"
#include "xmalloc.h"

#define DELETE_USAGE "hintsdb delete [-nq] [--max-lock-ms=N] " \
	"[--lock-timeout=T] [--backend=B] [--no-drop-privileges] " \
	"SPOOL DBNAME (KEY... | --match=GLOB | --peer=GLOB)"

enum {
	OPT_MATCH = OPT_DEL_FIRST_FREE,
	OPT_PEER,
};

static const struct option longopts[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "dry-run", no_argument, NULL, OPT_DEL_DRY_RUN },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "max-lock-ms", required_argument, NULL, OPT_DEL_MAX_LOCK_MS },
	{ "no-drop-privileges", no_argument, NULL, OPT_DEL_NO_DROP },
	{ "peer", required_argument, NULL, OPT_PEER },
	{ "quiet", no_argument, NULL, OPT_DEL_QUIET },
	{ NULL, 0, NULL, 0 },
};

#define MATCH_ROUNDS	3

struct delkey {
	uint8_t		*key;		/* with Exim's NUL */
	size_t		 klen;
	size_t		 seq;		/* the order read */
};

struct delcmd {
	struct dbopts	 dbo;
	const char	*match;		/* --match: a glob on the key */
	const char	*peer;		/* --peer: on a tls session's names */
	const struct delete_pick *pick;	/* delete_picked's chooser */
	const char	*spool;
	const char	*name;
	struct delete_opts opt;
	struct delkey	*k;
	size_t		 n, cap;
	int		 missing;	/* named keys that were not there */
	size_t		 said;		/* records deleted (or, -n, found) */
	int		 none_ok;	/* nothing chosen is no finding */
	struct hdb_keyset gone;		/* deleted by this run: once each */
};

static int
usage(FILE *fp)
{
	return usage_of(fp, "delete", DELETE_USAGE);
}

static void
add_key(struct delcmd *dc, const uint8_t *key, size_t klen)
{
	if (dc->n == dc->cap) {
		dc->cap = dc->cap ? dc->cap * 2 : 64;
		dc->k = xreallocarray(dc->k, dc->cap, sizeof(*dc->k));
	}
	dc->k[dc->n].key = xmemdup(key, klen);
	dc->k[dc->n].klen = klen;
	dc->k[dc->n].seq = dc->n;
	dc->n++;
}

/*
 * add_arg - a KEY as dump prints it: a backslash starts an escape (\\ is
 * one backslash, \ooo a byte), so a printed key pasted back names the
 * same bytes; Exim's trailing NUL is added.
 */
static int
add_arg(struct delcmd *dc, const char *arg)
{
	uint8_t *k;
	size_t kl;
	char *v;

	if (strchr(arg, '\\') == NULL) {
		add_key(dc, (const uint8_t *)arg, strlen(arg) + 1);
		return 0;
	}
	if (hdb_unvis(arg, &k, &kl) == -1) {
		v = hdb_vis_dup(arg, strlen(arg));
		warnx("delete: bad escape in key '%s' (write a backslash as "
		    "\\\\)", v);
		free(v);
		return -1;
	}
	add_key(dc, k, kl + 1);		/* hdb_unvis leaves a NUL at k[kl] */
	free(k);
	return 0;
}

/* Is the record chosen: its key (as stored) matches --match, its tls
 * session's names --peer, and the chooser of delete_picked takes it? */
static int
matches(const struct delcmd *dc, struct hdb_datum key, struct hdb_datum val)
{
	if (dc->match != NULL && !dump_key_glob(dc->match, key.data,
	    key.len))
		return 0;
	if (dc->peer != NULL && !dump_tls_peer(dc->peer, HDB_L_AUTO,
	    key.data, key.len, val.data, val.len))
		return 0;
	return dc->pick == NULL || dc->pick->fn(dc->pick->ctx,
	    hdb_dbtype_from_name(dc->name), dc->name, key, val);
}

static int
match_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct delcmd *dc = arg;

	if (matches(dc, key, val) &&
	    !hdb_keyset_has(&dc->gone, key.data, key.len))
		add_key(dc, key.data, key.len);
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct delkey *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);

	if (c != 0)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
seq_cmp(const void *a, const void *b)
{
	const struct delkey *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
same_key(const struct delkey *x, const struct delkey *y)
{
	return x->klen == y->klen && memcmp(x->key, y->key, x->klen) == 0;
}

/*
 * A read in pieces may see a key twice: keep the first, in the order
 * read, which is the file's own order, so that a batch of deletions
 * dirties few pages (sorted by key, they would be spread over all).
 */
static void
drop_twins(struct delcmd *dc)
{
	size_t i, n = 0;

	if (dc->n < 2)
		return;
	qsort(dc->k, dc->n, sizeof(*dc->k), key_cmp);
	for (i = 0; i < dc->n; i++) {
		if (n > 0 && same_key(&dc->k[n - 1], &dc->k[i]))
			free(dc->k[i].key);
		else
			dc->k[n++] = dc->k[i];
	}
	dc->n = n;
	qsort(dc->k, dc->n, sizeof(*dc->k), seq_cmp);
}

static void
free_keys(struct delcmd *dc)
{
	size_t i;

	for (i = 0; i < dc->n; i++)
		free(dc->k[i].key);
	dc->n = 0;
}

/*
 * --match: the matching keys, collected in short read-lock holds
 * (pieces.h).  *inexact: the file changed between its holds, so it may
 * have missed a record.
 */
static int
collect(struct delcmd *dc, int *inexact)
{
	struct scan_info si;
	struct dbh d;
	int ex;

	if ((ex = db_open(&d, dc->spool, dc->name, 0, &dc->dbo, "delete")) != 0)
		return ex;
	progress_begin(0, 0, "%s: matching", dc->name);
	ex = db_scan(&d, dc->spool, &dc->dbo, "delete",
	    (double)dc->opt.max_lock_ms, 0, match_one, dc, &si);
	if (ex == 0 && si.inexact)
		drop_twins(dc);
	*inexact = si.inexact;
	return ex;
}

/* A tls session's peer, for its line (dump_tls_peer_text); else "". */
static void
peer_of(char *peer, size_t size, enum hdb_dbtype type, struct hdb_datum key,
    struct hdb_datum val)
{
	peer[0] = '\0';
	if (type == HDB_T_TLS)
		dump_tls_peer_text(peer, size, key.data, key.len, val.data,
		    val.len);
}

/* The line for a deleted key. */
static void
say(const struct delcmd *dc, FILE *out, struct hdb_datum key,
    const char *peer)
{
	((struct delcmd *)dc)->said++;
	if (dc->opt.quiet)
		return;
	fprintf(out, "%s '", dc->opt.dry_run ? "would delete" : "deleted");
	hdb_out_vis(out, key.data, hdb_key_text_len(key.data, key.len));
	fprintf(out, "'%s\n", peer);
}

/*
 * Delete (or, with -n, look up) one key; the line goes to out or err.  A
 * tls session is read first so that its line names the peer.
 */
static int
del_one(struct delcmd *dc, struct dbh *d, const struct delkey *k, FILE *out,
    FILE *errs)
{
	struct hdb_datum key = { k->key, k->klen }, val;
	char peer[1024] = "";
	int r = HDB_OK;

	if (dc->opt.dry_run || (d->type == HDB_T_TLS && !dc->opt.quiet))
		r = hdb_get(d->h, key, &val);
	if (r == HDB_OK && !dc->opt.quiet)
		peer_of(peer, sizeof(peer), d->type, key, val);
	if (r == HDB_OK && !dc->opt.dry_run)
		r = hdb_del(d->h, key);
	if (r == HDB_ERR)
		return -1;
	if (r == HDB_OK && !dc->opt.dry_run)
		hdb_keyset_add(&dc->gone, key.data, key.len);
	if (r == HDB_NOTFOUND) {
		dc->missing++;
		fprintf(errs, "%s: delete: no record '", progname);
		hdb_out_vis(errs, k->key, hdb_key_text_len(k->key, k->klen));
		fprintf(errs, "' in '%s'\n", dc->name);
		return 0;
	}
	say(dc, out, key, peer);
	return 0;
}

/* A batch's lines, buffered until its lock is gone. */
struct lines {
	struct delcmd	*dc;
	FILE		*out, *errs;
	char		*obuf, *ebuf;
	size_t		 olen, elen;
	size_t		 found;		/* sweep: records it deleted */
	enum hdb_dbtype	 type;		/* sweep: the DB's */
};

static void
batch_begin(void *arg)
{
	struct lines *l = arg;

	l->out = open_memstream(&l->obuf, &l->olen);
	l->errs = open_memstream(&l->ebuf, &l->elen);
	if (l->out == NULL || l->errs == NULL)
		err(EX_INTERNAL, "open_memstream");
}

static int
batch_one(void *arg, struct dbh *d, size_t i)
{
	struct lines *l = arg;

	return del_one(l->dc, d, &l->dc->k[i], l->out, l->errs);
}

static void
batch_failed(void *arg, struct dbh *d)
{
	struct lines *l = arg;

	fprintf(l->errs, "%s: delete: cannot delete from '%s': %s\n",
	    progname, l->dc->name, hdb_error(d->h));
}

/* Its "deleted" lines only if the batch was written (kept). */
static void
batch_done(void *arg, size_t i, int kept)
{
	struct lines *l = arg;

	fclose(l->out);		/* sets obuf and olen */
	fclose(l->errs);
	if (kept)
		fwrite(l->obuf, 1, l->olen, stdout);
	fflush(stdout);
	fwrite(l->ebuf, 1, l->elen, stderr);
	free(l->obuf);
	free(l->ebuf);
	progress_set(i);
}

/*
 * apply - the keys in batches, each a hold paced as db_paced does
 * (pieces.h), with a pause between them that lets waiting Exim processes
 * in.
 */
static int
apply(struct delcmd *dc)
{
	static const struct paced p = { batch_begin, batch_one, batch_failed,
	    batch_done, 0 };
	struct lines l = { .dc = dc };
	int ex;

	progress_begin(dc->n, dc->opt.quiet ? 0 : PROG_STDOUT, "%s: %s", dc->name,
	    dc->opt.dry_run ? "looking up" : "deleting");
	ex = db_paced(dc->spool, dc->name, !dc->opt.dry_run, &dc->dbo, "delete",
	    (double)dc->opt.max_lock_ms, dc->n, &p, &l);
	if (ex == 0)
		progress_end();
	return ex;
}

/* A record of the sweep: deleted there and then if its key matches. */
static int
sweep_pick(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct lines *l = arg;
	char peer[1024] = "";

	if (!matches(l->dc, key, val) ||
	    !hdb_keyset_add(&l->dc->gone, key.data, key.len))
		return 0;
	if (!l->dc->opt.quiet)
		peer_of(peer, sizeof(peer), l->type, key, val);
	say(l->dc, l->out, key, peer);
	l->found++;
	return SWEEP_DELETE;
}

static void
sweep_done(void *arg, int kept)
{
	struct lines *l = arg;

	batch_done(arg, l->found, kept);
}

/*
 * --match on TDB: delete as a write-locked walk goes (db_sweep), as a
 * delete by key walks the key's whole hash chain: deleting d of n
 * records by key costs d * n/131 record reads in an Exim file.  *found:
 * how many it deleted; SWEEP_UNABLE on any other backend.
 */
static int
sweep(struct delcmd *dc, size_t *found)
{
	static const struct sweep sw = { batch_begin, sweep_pick, sweep_done };
	struct lines l = { .dc = dc };
	struct scan_info si;
	int ex;

	l.type = hdb_dbtype_from_name(dc->name);
	progress_begin(0, dc->opt.quiet ? 0 : PROG_STDOUT, "%s: deleting",
	    dc->name);
	ex = db_sweep(dc->spool, dc->name, &dc->dbo, "delete",
	    (double)dc->opt.max_lock_ms, &sw, &l, &si);
	if (ex == 0)
		progress_end();
	*found = l.found;
	return ex;
}

/* One round: collect, then delete; or sweep.  *found: keys found. */
static int
round_one(struct delcmd *dc, size_t *found, int *again)
{
	int ex;

	if (!dc->opt.dry_run && (ex = sweep(dc, found)) != SWEEP_UNABLE) {
		/* its own deletions change the file: look again */
		*again = *found > 0;
		return ex;
	}
	if ((ex = collect(dc, again)) != 0)
		return ex;
	*found = dc->n;
	if (dc->n == 0 || dc->opt.dry_run)
		*again = 0;
	if (dc->n > 0)
		ex = apply(dc);
	free_keys(dc);
	return ex;
}

/* Nothing was chosen: say by what. */
static void
none_chosen(const struct delcmd *dc)
{
	const char *g = dc->match != NULL ? dc->match : dc->peer;
	char *v;

	if (dc->none_ok || g == NULL)
		return;
	v = globs_vis(g);
	if (dc->match != NULL)
		warnx("delete: no key in '%s' matches '%s'", dc->name, v);
	else
		warnx("delete: no session in '%s' has a peer matching '%s'",
		    dc->name, v);
	free(v);
}

/*
 * --match in rounds: collect, delete, and where the file changed between
 * the collection's holds, so that it may have missed a record, collect
 * again; until a round finds nothing, or MATCH_ROUNDS have run (Exim may
 * keep writing matching keys).  A dry run deletes nothing, so one round
 * tells all.
 */
static int
match_rounds(struct delcmd *dc)
{
	size_t found;
	int ex, round, again = 1;

	for (round = 0; again && round < MATCH_ROUNDS; round++) {
		if ((ex = round_one(dc, &found, &again)) != 0)
			return ex;
		if (found == 0 && round == 0) {
			none_chosen(dc);
			return EX_NOTFOUND;
		}
	}
	return dc->missing > 0 ? EX_NOTFOUND : 0;
}

int
delete_opt(struct delete_opts *opt, struct dbopts *o, const char *cmd,
    int ch, const char *arg)
{
	switch (ch) {
	case 'n':
	case OPT_DEL_DRY_RUN:
		opt->dry_run = 1;
		return 0;
	case 'q':
	case OPT_DEL_QUIET:
		opt->quiet = 1;
		o->quiet = 1;
		return 0;
	case OPT_DEL_MAX_LOCK_MS:
		return duration_opt(cmd, "--max-lock-ms", arg, DUR_BARE_MS, 1,
		    60000, &opt->max_lock_ms);
	case OPT_DEL_NO_DROP:
		opt->no_drop = 1;
		return 0;
	case OPT_BACKEND:
	case OPT_LOCK_TIMEOUT:
		return dbopts_parse(o, ch, arg, cmd) == 0 ? 0 : -1;
	default:
		return 1;
	}
}

static int
parse_opt(struct delcmd *dc, int ch, const char *arg)
{
	int r;

	if ((r = delete_opt(&dc->opt, &dc->dbo, "delete", ch, arg)) != 1)
		return r;
	switch (ch) {
	case OPT_MATCH:		/* repeated: the union */
		globs_add(&dc->match, arg);
		return 0;
	case OPT_PEER:
		globs_add(&dc->peer, arg);
		return 0;
	default:
		return -1;
	}
}

static int
cmd_delete_main(int argc, char **argv)
{
	struct delcmd dc;
	size_t i;
	int ch, ex;

	memset(&dc, 0, sizeof(dc));
	dbopts_init(&dc.dbo);
	dc.opt.max_lock_ms = 100;
	while ((ch = getopt_long(argc, argv, "nq", longopts, NULL)) != -1) {
		if (ch == OPT_HELP)
			return usage(stdout);
		if (parse_opt(&dc, ch, optarg) == -1)
			return usage(stderr);
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || (dc.match != NULL || dc.peer != NULL) == (argc > 2)) {
		if (argc > 2 && (dc.match != NULL || dc.peer != NULL))
			warnx("delete: give keys or --match/--peer, not both");
		return usage(stderr);
	}
	if (!db_name_ok(argv[1], "delete"))
		return EX_USAGE_;
	if (dc.peer != NULL && hdb_dbtype_from_name(argv[1]) != HDB_T_TLS) {
		warnx("delete: --peer selects tls sessions; '%s' is a %s "
		    "database", argv[1],
		    hdb_dbtype_name(hdb_dbtype_from_name(argv[1])));
		return EX_USAGE_;
	}
	dc.spool = argv[0];
	dc.name = argv[1];
	if ((ex = dc.opt.no_drop ? spool_pin(dc.spool, "delete") :
	    priv_drop(dc.spool, "delete")) != 0)
		return ex;
	for (i = 2; i < (size_t)argc; i++)
		if (add_arg(&dc, argv[i]) == -1) {
			ex = EX_USAGE_;
			goto out;
		}
	if (dc.match != NULL || dc.peer != NULL)
		ex = match_rounds(&dc);
	else if ((ex = apply(&dc)) == 0 && dc.missing > 0)
		ex = EX_NOTFOUND;
out:
	free_keys(&dc);
	free(dc.k);
	hdb_keyset_free(&dc.gone);
	if (finish_stdout("delete") != 0 && ex == 0)
		ex = EX_IOERR_;
	return ex;
}

int
delete_picked(const char *spool, const char *name, const struct dbopts *o,
    const struct delete_opts *opt, const struct delete_pick *pick,
    size_t *n)
{
	struct delcmd dc;
	int ex;

	memset(&dc, 0, sizeof(dc));
	dc.dbo = *o;
	dc.spool = spool;
	dc.name = name;
	dc.opt = *opt;
	if (dc.opt.max_lock_ms <= 0)
		dc.opt.max_lock_ms = 100;
	dc.pick = pick;
	dc.none_ok = 1;
	ex = match_rounds(&dc);
	free_keys(&dc);
	free(dc.k);
	hdb_keyset_free(&dc.gone);
	*n = dc.said;
	return ex == EX_NOTFOUND && dc.said == 0 ? 0 : ex;
}

const struct command cmd_delete_entry = {
	.name = "delete",
	.usage = DELETE_USAGE,
	.summary = "delete records by key, by a glob on the key, or tls "
	    "sessions by peer",
	.flags = CMD_F_WRITES,
	.main = cmd_delete_main,
	.longopts = longopts,
	.shortopts = "nq",
};
