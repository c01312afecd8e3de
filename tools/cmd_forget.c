/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_forget.c - "try it now": delete what keeps Exim from trying a
 * destination at once, in every DB of the spool.
 *
 * That is the retry records (T: and R:, and those of single messages),
 * the callout entries of the domain or address, the serialize and EHLO
 * entries of the host, and the TLS sessions whose peer is the host.  What
 * a destination is comes from engine/join.c, as for why; the deleting is
 * delete's own (delete.h): short read-lock holds to collect, short
 * write-locked batches, privileges dropped to the owner of SPOOL/db.  A
 * message's own data (SPOOL/input, the wait-* lists) is never touched,
 * nor ratelimit and seen, which are about senders.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "argcheck.h"
#include "common.h"
#include "delete.h"
#include "engine/join.h"
#include "engine/spool.h"
#include "priv.h"
#include "xmalloc.h"

#define FORGET_USAGE "hintsdb forget [-nq] [--backend=B] " \
	"[--lock-timeout=T] [--max-lock-ms=N] [--no-drop-privileges] " \
	"SPOOL TARGET..."

static const struct option longopts[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "dry-run", no_argument, NULL, OPT_DEL_DRY_RUN },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "max-lock-ms", required_argument, NULL, OPT_DEL_MAX_LOCK_MS },
	{ "no-drop-privileges", no_argument, NULL, OPT_DEL_NO_DROP },
	{ "quiet", no_argument, NULL, OPT_DEL_QUIET },
	{ NULL, 0, NULL, 0 },
};

struct forget {
	struct dbopts	 o;
	struct delete_opts dopt;
	struct target	*t;
	size_t		 nt;
};

static int
usage(FILE *fp)
{
	return usage_of(fp, "forget", FORGET_USAGE);
}

/* The DBs forget changes; misc only for its host entries. */
static int
forgets_type(enum hdb_dbtype t)
{
	return t == HDB_T_RETRY || t == HDB_T_CALLOUT || t == HDB_T_MISC ||
	    t == HDB_T_TLS;
}

/* delete_picked's chooser: a record that names one of the targets. */
static int
forget_pick(void *ctx, enum hdb_dbtype t, const char *name, struct hdb_datum key,
    struct hdb_datum val)
{
	struct forget *f = ctx;
	struct hdb_dest d;
	size_t i;

	if (!forgets_type(t))
		return 0;
	if (t == HDB_T_MISC) {
		hdb_dest_parse(t, name, key.data, key.len, &d);
		if (d.kind != HDB_DEST_EHLO &&
		    d.kind != HDB_DEST_HOST_SERIALIZE)
			return 0;
	}
	for (i = 0; i < f->nt; i++)
		if (target_match(&f->t[i], t, name, key.data, key.len,
		    val.data, val.len))
			return 1;
	return 0;
}

/* Each DB forget changes, retry first: its host records teach the IPs
 * that EHLO entries are keyed by.  A line per DB. */
static int
forget_all(struct forget *f, const char *spool, size_t *total)
{
	const struct delete_pick p = { forget_pick, f };
	char **names;
	size_t n, i, pass, k;
	int ex = 0, retry;

	if (spool_args("forget", 1, (char **)&spool, &names, &n) != 0)
		return EX_NODB;
	for (pass = 0; pass < 2 && ex == 0; pass++)
		for (i = 0; i < n && ex == 0; i++) {
			retry = strcmp(names[i], "retry") == 0;
			if (retry != (pass == 0) ||
			    !forgets_type(hdb_dbtype_from_name(names[i])))
				continue;
			if ((ex = delete_picked(spool, names[i], &f->o,
			    &f->dopt, &p, &k)) != 0)
				break;
			printf("%s: %zu record%s %s\n", names[i], k,
			    k == 1 ? "" : "s", f->dopt.dry_run ?
			    "would be deleted" : "deleted");
			*total += k;
		}
	spool_dbs_free(names, n);
	return ex;
}

static int
cmd_forget_main(int argc, char **argv)
{
	struct forget f;
	size_t i, total = 0;
	int ch, ex;

	memset(&f, 0, sizeof(f));
	dbopts_init(&f.o);
	while ((ch = getopt_long(argc, argv, "nq", longopts, NULL)) != -1) {
		if (ch == OPT_HELP)
			return usage(stdout);
		if (delete_opt(&f.dopt, &f.o, "forget", ch, optarg) != 0)
			return usage(stderr);
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		return usage(stderr);
	f.nt = (size_t)argc - 1;
	f.t = xcalloc(f.nt, sizeof(*f.t));
	for (i = 0; i < f.nt; i++)
		if (target_parse("forget", argv[i + 1], &f.t[i]) == -1) {
			ex = EX_USAGE_;
			goto out;
		}
	if ((ex = f.dopt.no_drop ? spool_pin(argv[0], "forget") :
	    priv_drop(argv[0], "forget")) != 0)
		goto out;
	if ((ex = forget_all(&f, argv[0], &total)) == 0 && total == 0)
		ex = EX_NOTFOUND;
out:
	for (i = 0; i < f.nt; i++)
		free(f.t[i].ips);
	free(f.t);
	if (finish_stdout("forget") != 0 && ex == 0)
		ex = EX_IOERR_;
	return ex;
}

const struct command cmd_forget_entry = {
	.name = "forget",
	.usage = FORGET_USAGE,
	.summary = "delete the retry, callout, serialize, EHLO and TLS "
	    "records of a destination, so Exim tries it now",
	.flags = CMD_F_WRITES,
	.main = cmd_forget_main,
	.longopts = longopts,
	.shortopts = "nq",
};
