/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_failing.c - the destinations in retry, most recently failing last:
 * for each, how long it has failed and why, when Exim tries it next,
 * whether its final cutoff has passed, and how many messages wait for it.
 *
 * retry and every wait-<transport> DB are read in short read-lock holds,
 * as dump reads (pieces.h), and joined on the host name after the locks
 * are gone; a waiting message counts while it is in SPOOL/input.  A retry record of one message on a host (T:...:msgid) is
 * that message's, not a destination's, and is left out, as it is from
 * stat's failing metrics.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "argcheck.h"
#include "common.h"
#include "destline.h"
#include "duration.h"
#include "engine/pieces.h"
#include "engine/slurp.h"
#include "engine/spool.h"
#include "jsafe.h"
#include "out.h"
#include "rec/dest.h"
#include "rec/recfmt.h"
#include "xmalloc.h"

#define FAILING_USAGE "hintsdb failing [--format=text|json] " \
	"[--backend=B] [--lock-timeout=T] [--max-lock-ms=N] [--now=TIME] " \
	"SPOOL"

enum {
	OPT_MAX_LOCK_MS = OPT_FIRST_FREE,
};

static const struct option longopts[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "max-lock-ms", required_argument, NULL, OPT_MAX_LOCK_MS },
	{ "now", required_argument, NULL, OPT_NOW },
	{ NULL, 0, NULL, 0 },
};

static const char *const failing_formats[] = { "text", "json", NULL };

/* Messages waiting for a host and still in SPOOL/input, over every wait
 * DB and continuation. */
struct waiting {
	char		*host;		/* lower case */
	size_t		 n;
};

/* A failing destination: retry record i of the slurp. */
struct failing {
	size_t		 i;
	struct hdb_retry r;
	long		 waiting;	/* -1: not a host */
};

struct fctx {
	struct dbopts	 o;
	int		 json;
	long		 max_lock_ms;
	struct waiting	*w;
	size_t		 nw;
	struct slurp	 retry;
	int		 have_retry;
	int		 input;		/* SPOOL/input, or -1 */
};

static int
usage(FILE *fp)
{
	return usage_of(fp, "failing", FAILING_USAGE);
}

static int
waiting_cmp(const void *a, const void *b)
{
	return strcmp(((const struct waiting *)a)->host,
	    ((const struct waiting *)b)->host);
}

static char *
lower_dup(const char *p, size_t len)
{
	char *s = xmalloc(len + 1);
	size_t i;

	for (i = 0; i < len; i++)
		s[i] = p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 'a' - 'A' : p[i];
	s[len] = '\0';
	return s;
}

/* The IDs of each wait record of s, by host. */
static void
add_waits(struct fctx *f, const struct slurp *s, const char *db)
{
	struct hdb_dest d;
	struct hdb_rec r;
	const char *why;
	size_t i, in;
	int32_t j;

	for (i = 0; i < s->n; i++) {
		if (hdb_dest_parse(HDB_T_WAIT, db, slurp_key(s, i),
		    s->recs[i].klen, &d) != HDB_DEST_WAIT ||
		    hdb_rec_decode(HDB_T_WAIT, HDB_L_AUTO, slurp_key(s, i),
		    s->recs[i].klen, slurp_val(s, i), s->recs[i].vlen, &r,
		    &why) == -1 || r.u.wait.count <= 0)
			continue;
		for (j = 0, in = 0; j < r.u.wait.count; j++)
			in += dest_in_input(f->input, r.u.wait.ids +
			    (size_t)j * r.u.wait.id_len, r.u.wait.id_len);
		f->w = xreallocarray(f->w, f->nw + 1, sizeof(*f->w));
		f->w[f->nw].host = lower_dup(d.host.p, d.host.len);
		f->w[f->nw++].n = in;
	}
}

/* Sort the wait counts by host and add up each host's. */
static void
merge_waits(struct fctx *f)
{
	size_t i, n = 0;

	if (f->nw == 0)
		return;
	qsort(f->w, f->nw, sizeof(*f->w), waiting_cmp);
	for (i = 1; i < f->nw; i++) {
		if (strcmp(f->w[n].host, f->w[i].host) == 0) {
			f->w[n].n += f->w[i].n;
			free(f->w[i].host);
		} else
			f->w[++n] = f->w[i];
	}
	f->nw = n + 1;
}

static long
waiting_for(const struct fctx *f, struct hdb_span host)
{
	struct waiting key, *hit;

	key.host = lower_dup(host.p, host.len);
	hit = f->nw == 0 ? NULL : bsearch(&key, f->w, f->nw, sizeof(*f->w),
	    waiting_cmp);
	free(key.host);
	return hit != NULL ? (long)hit->n : 0;
}

/* Read retry and the wait DBs of spool. */
static int
read_dbs(struct fctx *f, const char *spool)
{
	struct slurp s;
	struct dbh d;
	char **names;
	size_t n, i;
	int ex = 0;

	if (spool_args("failing", 1, (char **)&spool, &names, &n) != 0)
		return EX_NODB;
	for (i = 0; i < n && ex == 0; i++) {
		int retry = strcmp(names[i], "retry") == 0;

		if (!retry && strncmp(names[i], "wait-", 5) != 0)
			continue;
		if ((ex = db_open(&d, spool, names[i], 0, &f->o,
		    "failing")) != 0 || (ex = db_slurp(&d, spool, &f->o,
		    "failing", (double)f->max_lock_ms, 0, &s)) != 0)
			break;
		if (retry) {
			slurp_sort(&s);		/* ties go by key */
			f->retry = s;
			f->have_retry = 1;
			continue;
		}
		add_waits(f, &s, names[i]);
		slurp_free(&s);
	}
	spool_dbs_free(names, n);
	merge_waits(f);
	return ex;
}

static int
failing_cmp(const void *a, const void *b)
{
	const struct failing *x = a, *y = b;

	if (x->r.first_failed != y->r.first_failed)
		return x->r.first_failed < y->r.first_failed ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The destinations of retry, oldest failure first, newest last. */
static struct failing *
collect(const struct fctx *f, size_t *np)
{
	struct failing *v = NULL;
	struct hdb_dest d;
	struct hdb_rec r;
	const char *why;
	size_t i, n = 0;

	for (i = 0; i < f->retry.n; i++) {
		const uint8_t *k = slurp_key(&f->retry, i);
		size_t kl = f->retry.recs[i].klen;

		if (hdb_dest_parse(HDB_T_RETRY, "retry", k, kl, &d) ==
		    HDB_DEST_HOST_MSG || hdb_rec_decode(HDB_T_RETRY,
		    HDB_L_AUTO, k, kl, slurp_val(&f->retry, i),
		    f->retry.recs[i].vlen, &r, &why) == -1)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].i = i;
		v[n].r = r.u.retry;
		v[n++].waiting = d.kind == HDB_DEST_HOST ?
		    waiting_for(f, d.host) : -1;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), failing_cmp);
	*np = n;
	return v;
}

static void
print_one(const struct fctx *f, const struct failing *x, int64_t now)
{
	const uint8_t *k = slurp_key(&f->retry, x->i);
	size_t kl = f->retry.recs[x->i].klen;
	struct hdb_fmtopts fo = { .now = now, .utc = f->o.utc, .db = "retry" };
	struct hdb_rec r;
	const char *why;
	char tail[64] = "", *s;
	json_t *o;

	if (f->json) {
		hdb_rec_decode(HDB_T_RETRY, HDB_L_AUTO, k, kl,
		    slurp_val(&f->retry, x->i), f->retry.recs[x->i].vlen,
		    &r, &why);
		o = hdb_rec_json(k, kl, &r, &fo);
		json_object_set_new(o, "next_try_in_s", json_integer(
		    x->r.next_try > now ? hdb_time_diff(x->r.next_try, now) :
		    0));
		if (x->waiting >= 0)
			json_object_set_new(o, "messages_waiting",
			    json_integer(x->waiting));
		hdb_json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
		return;
	}
	if (x->waiting > 0)
		snprintf(tail, sizeof(tail), "; %ld message%s waiting",
		    x->waiting, x->waiting == 1 ? "" : "s");
	s = dest_retry_line(k, kl, &x->r, now, f->o.utc, tail);
	puts(s);
	free(s);
}

static int
cmd_failing_main(int argc, char **argv)
{
	struct fctx f;
	struct failing *v = NULL;
	size_t i, n = 0;
	int ch, ex;

	memset(&f, 0, sizeof(f));
	dbopts_init(&f.o);
	f.max_lock_ms = SCAN_BUDGET_MS;
	f.input = -1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_HELP:
			return usage(stdout);
		case OPT_FORMAT:
			if ((f.json = pick(optarg, failing_formats)) == -1) {
				warnx("failing: unknown format '%s' (text, "
				    "json)", optarg);
				return EX_USAGE_;
			}
			break;
		case OPT_MAX_LOCK_MS:
			if (duration_opt("failing", "--max-lock-ms", optarg,
			    DUR_BARE_MS, 1, 60000, &f.max_lock_ms) == -1)
				return usage(stderr);
			break;
		default:
			if (dbopts_parse(&f.o, ch, optarg, "failing") != 0)
				return usage(stderr);
		}
	}
	if (argc - optind != 1)
		return usage(stderr);
	f.input = dest_input_open(argv[optind]);
	if ((ex = read_dbs(&f, argv[optind])) == 0 && f.have_retry) {
		v = collect(&f, &n);
		for (i = 0; i < n; i++)
			print_one(&f, &v[i], clock_now(&f.o));
		ex = finish_stdout("failing");
	}
	free(v);
	if (f.input != -1)
		close(f.input);
	for (i = 0; i < f.nw; i++)
		free(f.w[i].host);
	free(f.w);
	if (f.have_retry)
		slurp_free(&f.retry);
	return ex;
}

const struct command cmd_failing_entry = {
	.name = "failing",
	.usage = FAILING_USAGE,
	.summary = "the destinations Exim cannot reach, most recently "
	    "failing last",
	.flags = CMD_F_RDONLY,
	.main = cmd_failing_main,
	.longopts = longopts,
	.shortopts = "",
};
