/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_convert.c - copy every record of one hints DB into a new file of
 * another backend and/or record layout.
 *
 * --in-place replaces SPOOL/db/NAME atomically under Exim's write lock: the
 * new DB is written in a private directory beside it, its records counted,
 * fsynced, given the original's owner and mode and renamed over it; on any
 * failure the original is left as it was (atomic.h).  --output writes a new
 * file elsewhere, under a read lock on the source.
 *
 * A record that does not decode is carried byte for byte when its layout
 * does not change; when it would have to, the whole convert is refused,
 * unless --drop-bad, which skips and reports it (exit status 1).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common.h"
#include "rec/convert.h"
#include "db/lock.h"
#include "out.h"
#include "engine/pieces.h"
#include "engine/rebuild.h"
#include "db/pin.h"
#include "priv.h"
#include "engine/slurp.h"
#include "engine/spool.h"

#define CONVERT_USAGE "hintsdb convert [-v] [--backend=B] [--drop-bad] " \
	"[--lock-timeout=T] [--no-drop-privileges] " \
	"[--sqlite-schema=tbl|tblblob] " \
	"[--to-backend=B] [--to-layout=legacy|v2] " \
	"(--output=PATH SPOOL DBNAME | --in-place (SPOOL DBNAME | --all SPOOL))"

enum {
	OPT_ALL = OPT_REBUILD_FREE,
	OPT_IN_PLACE,
	OPT_OUTPUT,
	OPT_TO_BACKEND,
	OPT_TO_LAYOUT,
};

static const struct option longopts[] = {
	{ "all", no_argument, NULL, OPT_ALL },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "drop-bad", no_argument, NULL, OPT_DROP_BAD },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "in-place", no_argument, NULL, OPT_IN_PLACE },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "no-drop-privileges", no_argument, NULL, OPT_NO_DROP },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "sqlite-schema", required_argument, NULL, OPT_SQLITE_SCHEMA },
	{ "to-backend", required_argument, NULL, OPT_TO_BACKEND },
	{ "to-layout", required_argument, NULL, OPT_TO_LAYOUT },
	{ NULL, 0, NULL, 0 },
};

struct convopts {
	struct rebuild_opts r;		/* db: the source's --backend */
	const struct hdb_backend *to_be;
	enum hdb_layout	 to_layout;
	const char	*output;
	int		 in_place;
};

static int	own_opt(void *, int, const char *);
static int	copy_piece(void *, struct hdb_datum, struct hdb_datum);
static void	copy_batch(void *, struct slurp *);
static int	copy_source(struct rebuild *, struct dbh *, const char *,
		    const char *, const struct convopts *, struct scan_info *,
		    int *);
static void	read_holds(const char *, const struct scan_info *, size_t);
static int	convert(const char *, const char *, struct convopts *);
static void	summary(const char *, const struct hdb_backend *,
		    const struct convopts *, const struct hdb_convert_stats *);
static int	convert_all(const char *, const struct convopts *);

/* own_opt - convert's own options (rebuild_opt_fn). */
static int
own_opt(void *ctx, int ch, const char *arg)
{
	struct convopts *c = ctx;

	switch (ch) {
	case OPT_ALL:
		c->r.all = 1;
		return 0;
	case OPT_IN_PLACE:
		c->in_place = 1;
		return 0;
	case OPT_OUTPUT:
		c->output = arg;
		return 0;
	case OPT_TO_BACKEND:
		if ((c->to_be = hdb_backend_find(arg)) == NULL) {
			warnx("convert: unknown backend '%s' (bdb, gdbm, "
			    "tdb, ndbm, sqlite)", arg);
			return EX_USAGE_;
		}
		return 0;
	case OPT_TO_LAYOUT:
		if (hdb_layout_from_name(arg, &c->to_layout) == -1 ||
		    c->to_layout == HDB_L_AUTO) {
			warnx("convert: unknown layout '%s' (legacy, v2)",
			    arg);
			return EX_USAGE_;
		}
		return 0;
	default:
		return 1;
	}
}

/* What copy_piece carries from one hold to the next. */
struct piecectx {
	struct rebuild	*rb;
	int		 refused;
	int		 failed;
};

/* copy_piece - one record of the source into the new DB (hdb_iter_fn). */
static int
copy_piece(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct piecectx *pc = arg;
	const char *why = NULL;
	int rc;

	if ((rc = rebuild_put(pc->rb, key, val, &why)) == HDB_ERR) {
		pc->failed = 1;
		return -1;
	}
	if (rc == HDB_CONV_REFUSED)
		pc->refused = 1;
	if (rc == HDB_CONV_REFUSED || rc == HDB_CONV_DROPPED)
		rebuild_report("convert", key, rc, why);
	return 0;
}

/*
 * Records read a batch in place: the holds read into it, and it is
 * written to the new DB between them, with no lock held.  Written under
 * the read lock, the new file's writes (libdb evicting a dirty page of
 * its cache, writeback started every few MB: hdb_atomic_trickle) took a
 * read hold of a 1M-record Berkeley DB file from 65 ms to 100-200 ms, and
 * Exim waited for it all.  4 MiB (27,000 retry records) is read in well
 * under a hold's time, beside a writer too, where each hold checks the
 * whole file first (be_bdb.c); half as many holds as 2 MiB, and so half
 * as many checks, brought the run beside a writer back to its time
 * before (bench/PROFILE.md).
 */
#define CONVERT_BATCH	((size_t)4 << 20)

/* copy_batch - a batch read under the lock into the new DB, unlocked. */
static void
copy_batch(void *arg, struct slurp *s)
{
	struct piecectx *pc = arg;
	struct hdb_datum k, v;
	size_t i;

	for (i = 0; i < s->n && !pc->failed; i++) {
		k.data = slurp_key(s, i);
		k.len = s->recs[i].klen;
		v.data = slurp_val(s, i);
		v.len = s->recs[i].vlen;
		(void)copy_piece(pc, k, v);
	}
}

/*
 * copy_source - every record of SPOOL/db/NAME into the new DB: in place
 * from d, open for its first hold (and closed by it), in short read-lock
 * holds that only read (pieces.h; the catch-up mends what Exim changed
 * meanwhile), a record read twice replacing its first copy; to --output
 * under one read lock, for an exact copy.  In place, si tells what the
 * holds did (SQLite: its read transactions).  HDB_OK, HDB_CONV_REFUSED
 * or HDB_ERR (with the writer's text); or HDB_ERR with *ex set to an
 * EX_* code after a diagnostic, when the source could not be read.
 */
static int
copy_source(struct rebuild *rb, struct dbh *d, const char *spool,
    const char *name, const struct convopts *c, struct scan_info *si,
    int *ex)
{
	struct piecectx pc;
	struct slurp s;
	int rc;

	*ex = 0;
	memset(si, 0, sizeof(*si));
	if (!c->in_place) {
		if ((*ex = db_open(d, spool, name, 0, &c->r.db, "convert")) != 0)
			return HDB_ERR;
		/*
		 * Into SQLite a bulk too: the source's order is not the
		 * index's, and with SQLite's cache of 2 MB a put in it read
		 * and wrote pages (3.4 times the time of a convert into
		 * Berkeley DB, at 100k records).  One read of one DB gives
		 * each key once.
		 */
		if (hdb_writer_backend(rb->w) == &hdb_backend_sqlite)
			hdb_writer_last_wins(rb->w);
		rc = hdb_convert_copy(rb->w, d->h, rebuild_report, "convert");
		db_close(d);
		return rc;
	}
	memset(&pc, 0, sizeof(pc));
	pc.rb = rb;
	/* into SQLite a bulk, written in key order at the end */
	hdb_writer_last_wins(rb->w);
	/*
	 * SQLite pieces its reads itself, in rowid order, and a full batch
	 * would not end them (pieces.h): there the records go straight on
	 */
	if (d->h->be->caps & HDB_CAP_LOCKS_ITSELF)
		*ex = db_scan(d, spool, &c->r.db, "convert", SCAN_BUDGET_MS,
		    SCAN_ANY_ORDER, copy_piece, &pc, si);
	/* every copy of a key read twice goes on: the last one wins */
	else if ((*ex = db_slurp_stream_info(d, spool, &c->r.db, "convert",
	    SCAN_BUDGET_MS, SCAN_DUPS, &s, CONVERT_BATCH, copy_batch, &pc,
	    si)) == 0) {
		copy_batch(&pc, &s);		/* the last batch */
		slurp_free(&s);
	}
	if (pc.failed) {
		*ex = 0;
		return HDB_ERR;
	}
	if (*ex != 0)
		return HDB_ERR;
	return pc.refused ? HDB_CONV_REFUSED : HDB_OK;
}

static void
summary(const char *name, const struct hdb_backend *from,
    const struct convopts *c, const struct hdb_convert_stats *st)
{
	printf("%s: %zu record%s from %s to %s %s: %zu kept as they were, "
	    "%zu re-encoded, %zu dropped\n", name,
	    st->kept + st->reencoded + st->dropped,
	    pl(st->kept + st->reencoded + st->dropped), from->name,
	    c->to_be->name, c->to_layout == HDB_L_AUTO ? "(layout kept)" :
	    hdb_layout_name(c->to_layout), st->kept, st->reencoded,
	    st->dropped);
}

/*
 * -v: the read holds of the old DB in place (none wrote the new one), and
 * how many of them read the whole file first (hdb_bdb_full_checks).
 */
static void
read_holds(const char *name, const struct scan_info *si, size_t checks)
{
	printf("%s: read in %u hold%s of at most %zu record%s each, %zu of "
	    "them reading the whole file first; longest %.1f ms\n", name,
	    si->holds, pl(si->holds), si->max_hold_records,
	    pl(si->max_hold_records), checks, si->max_hold_ms);
}

static int
convert(const char *spool, const char *name, struct convopts *c)
{
	struct rebuild_spec sp;
	struct scan_info si;
	struct rebuild rb;
	size_t checks;
	struct dbh d;
	const struct hdb_backend *from;
	char path[PATH_MAX];
	int ex, rc;

	memset(&rb, 0, sizeof(rb));
	rb.lockfd = -1;
	memset(&d, 0, sizeof(d));
	d.lockfd = -1;
	/* In place: root gives way to the owner of SPOOL/db first. */
	if ((ex = c->in_place && !c->r.no_drop ? priv_drop(spool, "convert") :
	    spool_pin(spool, "convert")) != 0)
		return ex;
	snprintf(path, sizeof(path), "%s/db/%s", spool, name);
	if ((from = c->r.db.backend) == NULL && (from = hdb_detect(path)) ==
	    NULL) {
		char *p = hdb_vis_dup(path, strlen(path));

		if (errno == ENOENT)
			warnx("convert: no such database '%s'", p);
		else
			warnx("convert: cannot open '%s': %s", p, errno ==
			    EINVAL ? "not a hints database of a known backend" :
			    strerror(errno));
		free(p);
		return errno == ENOENT ? EX_NODB : EX_IOERR_;
	}
	c->r.db.backend = from;
	if (c->to_be == NULL)
		c->to_be = from;
	if (c->r.schema != -1 && c->to_be != &hdb_backend_sqlite) {
		warnx("convert: --sqlite-schema is for SQLite targets only");
		return EX_USAGE_;
	}
	rebuild_spec_init(&sp, &c->r, name);
	sp.be = c->to_be;
	sp.layout = c->to_layout;
	sp.oflags = c->r.schema != -1 ? c->r.schema :
	    from == &hdb_backend_sqlite ? hdb_sqlite_flags(path) : 0;
	sp.expect = rebuild_guess(path);
	sp.live = sp.from_old = 1;
	/* In place: a refused lock leaves no trace, not even a directory. */
	if (c->in_place && (ex = db_open(&d, spool, name, 0, &c->r.db,
	    "convert")) != 0)
		return ex;
	if ((ex = rebuild_begin(&rb, "convert", c->in_place ? spool : NULL,
	    c->in_place ? name : c->output, &sp)) != 0)
		goto out;
	checks = hdb_bdb_full_checks();
	rc = copy_source(&rb, &d, spool, name, c, &si, &ex);
	checks = hdb_bdb_full_checks() - checks;
	if (rc == HDB_ERR && ex != 0)
		goto out;
	if (rc == HDB_ERR) {
		warnx("convert: '%s' not converted: %s", name,
		    hdb_writer_error(rb.w));
		ex = EX_IOERR_;
		goto out;
	}
	if (rc == HDB_CONV_REFUSED) {
		warnx("convert: '%s' not converted: %zu record%s cannot be "
		    "converted (--drop-bad skips them)", name,
		    hdb_writer_stats(rb.w)->refused,
		    pl(hdb_writer_stats(rb.w)->refused));
		ex = EX_REFUSED;
		goto out;
	}
	if ((ex = rebuild_commit(&rb)) != 0)
		goto out;
	if (c->r.verbose) {
		summary(name, from, c, hdb_writer_stats(rb.w));
		if (c->in_place && !(from->caps & HDB_CAP_LOCKS_ITSELF))
			read_holds(name, &si, checks);
		rebuild_print_catchup(&rb);
	}
	ex = hdb_writer_stats(rb.w)->dropped ? EX_FINDINGS : 0;
out:
	db_close(&d);
	rebuild_end(&rb);
	return ex;
}

/*
 * convert_all - --all: every DB of the spool (spool.h), each with the
 * options as given (convert() fills in a DB's own source backend).
 */
static int
convert_all(const char *spool, const struct convopts *given)
{
	struct convopts c;
	char **names;
	size_t i, n;
	int ex, worst = 0;

	if ((ex = spool_args("convert", 1, (char **)&spool, &names, &n)) != 0)
		return ex;
	for (i = 0; i < n; i++) {
		c = *given;
		ex = convert(spool, names[i], &c);
		if (ex != 0 && (worst == 0 || worst == EX_FINDINGS))
			worst = ex;
	}
	spool_dbs_free(names, n);
	return worst;
}

static int
cmd_convert_main(int argc, char **argv)
{
	struct convopts c;
	int ex;

	memset(&c, 0, sizeof(c));
	rebuild_opts_init(&c.r);
	if ((ex = rebuild_args(&c.r, argc, argv, longopts, &cmd_convert_entry,
	    own_opt, &c)) != 0)
		return ex == -1 ? 0 : ex;
	argc -= optind;
	argv += optind;
	if ((c.output != NULL) == c.in_place) {
		warnx("convert: give exactly one of --output and --in-place");
		return EX_USAGE_;
	}
	if (c.r.all && c.output != NULL) {
		warnx("convert: --all converts in place (--in-place)");
		return EX_USAGE_;
	}
	if (c.r.all)
		ex = convert_all(argv[0], &c);
	else if (!db_name_ok(argv[1], "convert"))
		return EX_USAGE_;
	else
		ex = convert(argv[0], argv[1], &c);
	if (ex == 0 || ex == EX_FINDINGS) {
		int fx = finish_stdout("convert");

		return fx != 0 ? fx : ex;
	}
	return ex;
}

const struct command cmd_convert_entry = {
	.name = "convert",
	.usage = CONVERT_USAGE,
	.summary = "copy a hints database into another backend or layout",
	.flags = CMD_F_WRITES,
	.main = cmd_convert_main,
	.longopts = longopts,
	.shortopts = "v",
};
