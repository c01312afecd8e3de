/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_why.c - what the hints DBs know about a destination, and when Exim
 * will try it again: one command instead of a dump of each DB and a read
 * of five key grammars.
 *
 * Every DB of the spool is read in short read-lock holds, as dump reads
 * (engine/join.c), and the records that name each TARGET are printed by
 * DB: retry with its times and last error, the messages each wait list
 * holds and whether each is still in SPOOL/input, serialize, ETRN and
 * EHLO entries, callout results, ratelimit and seen entries, and TLS
 * sessions.  Each target ends with one verdict line.  With an Exim, a
 * domain or address is first routed to its hosts as exinext routes it
 * (route.h), and each host becomes a target; names are then matched
 * directly (engine/join.h).
 */
#include <err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "argcheck.h"
#include "common.h"
#include "destline.h"
#include "duration.h"
#include "engine/join.h"
#include "engine/pieces.h"
#include "exim.h"
#include "jsafe.h"
#include "out.h"
#include "rec/eximerr.h"
#include "rec/recfmt.h"
#include "route.h"
#include "xmalloc.h"

#define WHY_USAGE "hintsdb why [-C CONFIG] [--exim=PATH] " \
	"[--format=text|json] [--backend=B] [--lock-timeout=T] " \
	"[--max-lock-ms=N] [--no-route] [--now=TIME] SPOOL TARGET..."

enum {
	OPT_EXIM = OPT_FIRST_FREE,
	OPT_MAX_LOCK_MS,
	OPT_NO_ROUTE,
};

static const struct option longopts[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "exim", required_argument, NULL, OPT_EXIM },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "max-lock-ms", required_argument, NULL, OPT_MAX_LOCK_MS },
	{ "no-route", no_argument, NULL, OPT_NO_ROUTE },
	{ "now", required_argument, NULL, OPT_NOW },
	{ NULL, 0, NULL, 0 },
};

static const char *const why_formats[] = { "text", "json", NULL };

/* What the output of one target needs. */
struct why {
	struct join	 j;
	struct dbopts	 o;
	int		 json;
	int		 input;		/* SPOOL/input, or -1 */
	int64_t		 now;
	const char	*exim;		/* --exim */
	const char	*config;	/* -C */
	int		 no_route;
	int		 routed;	/* an Exim routed the names */
	char		**note;		/* per target: how it was found */
	char		**hosts;	/* per target: the hosts it routes to */
	long		*from;		/* per target: the one routed to it,
					 * or -1 */
	char		**owned;	/* the names routing added */
	size_t		 nowned;
};

static int
usage(FILE *fp)
{
	return usage_of(fp, "why", WHY_USAGE);
}

/* Whether message id is still in SPOOL/input. */
static int
in_input(const struct why *w, const uint8_t *id, size_t len)
{
	return dest_in_input(w->input, id, len);
}

static const char *
when(char *buf, size_t len, int64_t t, const struct why *w)
{
	return hdb_fmt_iso(buf, len, t, w->o.utc);
}

struct verdict {
	const uint8_t	*k;		/* the oldest failure */
	size_t		 kl;
	struct hdb_retry r;
	size_t		 waiting;	/* IDs still in SPOOL/input */
	size_t		 gone;
	size_t		 lists;		/* wait records */
	size_t		 records;
};

static void
print_key(const char *db, const uint8_t *k, size_t kl)
{
	printf("  %s ", db);
	hdb_out_vis(stdout, k, hdb_key_text_len(k, kl));
	fputs(": ", stdout);
}

static void
text_retry(const struct hdb_retry *r, const struct why *w)
{
	char t1[HDB_TIMEBUF], t2[HDB_TIMEBUF], age[32], nt[128];
	char *e = dest_last_error(r);

	dest_next_try(nt, sizeof(nt), r, w->now, w->o.utc);
	printf("failing since %s (%s), last try %s, next try %s%s\n"
	    "    last error: %s", when(t1, sizeof(t1), r->first_failed, w),
	    hdb_fmt_age(age, sizeof(age), hdb_time_diff(w->now,
	    r->first_failed)), when(t2, sizeof(t2), r->last_try, w), nt,
	    r->expired ? "; past the final cutoff" : "", e);
	if (hdb_errno_name(r->basic_errno) != NULL && r->text_len > 0)
		printf(" (%s)", hdb_errno_name(r->basic_errno));
	putchar('\n');
	free(e);
}

/* The IDs of a wait record, each with whether it is in SPOOL/input. */
static void
wait_ids(const struct hdb_wait *wt, const struct why *w, struct verdict *v,
    json_t *arr)
{
	int32_t i;
	int in;

	for (i = 0; i < wt->count; i++) {
		const uint8_t *id = wt->ids + (size_t)i * wt->id_len;
		char *e = hdb_vis_dup(id, wt->id_len);

		in = in_input(w, id, wt->id_len);
		if (in)
			v->waiting++;
		else
			v->gone++;
		if (arr != NULL) {
			json_t *o = json_object();

			json_object_set_new(o, "id", json_string(e));
			json_object_set_new(o, "in_input", json_boolean(in));
			json_array_append_new(arr, o);
		} else
			printf("    %s%s\n", e, in ? " (in SPOOL/input)" :
			    " (not in SPOOL/input)");
		free(e);
	}
}

/* A short line for the other record types. */
static void
text_other(const struct hdb_rec *r, const struct why *w,
    const struct hdb_fmtopts *fo)
{
	char age[32], buf[512];

	hdb_fmt_age(age, sizeof(age), hdb_time_diff(w->now, r->time_stamp));
	switch (r->kind) {
	case HDB_K_MISC_SERIALIZE:
		printf("serialize, %d running, %s old\n", r->u.misc.count,
		    age);
		return;
	case HDB_K_MISC_EHLO:
	case HDB_K_MISC_EHLO_LIMITS:
		printf("EHLO cached %s ago: %s\n", age, hdb_ehlo_features(buf,
		    sizeof(buf), r->u.misc.clr_features));
		return;
	case HDB_K_CALLOUT_ADDRESS:
	case HDB_K_CALLOUT_DOMAIN:
	case HDB_K_CALLOUT_OBSOLETE:
		printf("%s callout %s, %s old\n", r->kind ==
		    HDB_K_CALLOUT_ADDRESS ? "address" : "domain",
		    hdb_callout_result_name(r->u.callout.result), age);
		return;
	default:
		break;
	}
	if (r->type == HDB_T_TLS) {
		hdb_tlsrec_summary(buf, sizeof(buf), r, fo);
		printf("%s\n", buf);
		return;
	}
	printf("%s old\n", age);
}

/*
 * better - whether retry record k makes a better verdict than v's: a
 * record of the destination over one of a single message, then the
 * oldest failure.
 */
static int
better(const struct verdict *v, const uint8_t *k, size_t kl, const char *db,
    const struct hdb_retry *r)
{
	struct hdb_dest d;
	int a, b;

	if (v->k == NULL)
		return 1;
	a = hdb_dest_parse(HDB_T_RETRY, db, k, kl, &d) == HDB_DEST_HOST_MSG;
	b = hdb_dest_parse(HDB_T_RETRY, db, v->k, v->kl, &d) ==
	    HDB_DEST_HOST_MSG;
	return a != b ? a < b : r->first_failed < v->r.first_failed;
}

/* One record of a target; counts into v. */
static void
one_record(struct why *w, const struct join_db *jd, size_t i,
    struct verdict *v, json_t *arr)
{
	const uint8_t *k = slurp_key(&jd->s, i), *val = slurp_val(&jd->s, i);
	size_t kl = jd->s.recs[i].klen, vl = jd->s.recs[i].vlen;
	struct hdb_fmtopts fo = { .now = w->now, .utc = w->o.utc,
	    .db = jd->name };
	struct hdb_rec r;
	const char *why;
	json_t *o = NULL;

	v->records++;
	if (hdb_rec_decode(jd->type, HDB_L_AUTO, k, kl, val, vl, &r,
	    &why) == -1) {
		if (arr != NULL)
			json_array_append_new(arr, hdb_rec_json_error(k, kl,
			    why, &fo));
		else {
			print_key(jd->name, k, kl);
			printf("cannot decode: %s\n", why);
		}
		return;
	}
	if (arr != NULL) {
		o = hdb_rec_json(k, kl, &r, &fo);
		json_array_append_new(arr, o);
	} else
		print_key(jd->name, k, kl);
	if (r.type == HDB_T_RETRY) {
		if (better(v, k, kl, jd->name, &r.u.retry)) {
			v->k = k;
			v->kl = kl;
			v->r = r.u.retry;
		}
		if (o == NULL)
			text_retry(&r.u.retry, w);
	} else if (r.type == HDB_T_WAIT) {
		json_t *ids = o != NULL ? json_array() : NULL;

		v->lists++;
		if (o == NULL)
			printf("%d message%s waiting\n", r.u.wait.count,
			    r.u.wait.count == 1 ? "" : "s");
		wait_ids(&r.u.wait, w, v, ids);
		if (o != NULL)
			json_object_set_new(o, "waiting", ids);
	} else if (o == NULL)
		text_other(&r, w, &fo);
}

static char *
dupf(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) == -1)
		err(EX_INTERNAL, "why");
	va_end(ap);
	return s;
}

/* The verdict line of target x. */
static char *
verdict(const struct why *w, const struct target *x,
    const struct verdict *v)
{
	char wait[64] = "", *s;
	char *arg = hdb_vis_dup(x->arg, strlen(x->arg));

	if (v->waiting > 0)
		snprintf(wait, sizeof(wait), "; %zu message%s waiting",
		    v->waiting, v->waiting == 1 ? "" : "s");
	if (x->kind == TGT_MSGID && v->records > 0) {
		s = dupf("%s: %s; in %zu wait list%s%s", arg,
		    in_input(w, (const uint8_t *)x->arg, strlen(x->arg)) ?
		    "in SPOOL/input" : "not in SPOOL/input", v->lists,
		    v->lists == 1 ? "" : "s", v->k == NULL ? "" :
		    "; a retry record holds it back");
		free(arg);
		return s;
	}
	if (v->k == NULL) {
		if (v->records == 0)
			s = dupf("%s: nothing known in the hints "
			    "databases", arg);
		else
			s = dupf("%s: no retry record: Exim tries it at "
			    "once%s", arg, wait);
		free(arg);
		return s;
	}
	free(arg);
	return dest_retry_line(v->k, v->kl, &v->r, w->now, w->o.utc, wait);
}

static const char *const kind_words[] = {
	[TGT_NAME] = "name", [TGT_ADDR] = "address", [TGT_IP] = "ip",
	[TGT_MSGID] = "message_id",
};

/* Everything about target ti; 1 if nothing is known. */
static int
one_target(struct why *w, size_t ti)
{
	const struct target *x = &w->j.t[ti];
	struct verdict v;
	json_t *top = NULL, *arr = NULL;
	char *vs, *arg;
	size_t h;

	memset(&v, 0, sizeof(v));
	arg = hdb_vis_dup(x->arg, strlen(x->arg));
	if (w->json) {
		top = json_object();
		arr = json_array();
		json_object_set_new(top, "target", json_string(arg));
		json_object_set_new(top, "target_kind",
		    json_string(kind_words[x->kind]));
		json_object_set_new(top, "routing", json_string(w->routed ?
		    "exim -bt" : "none"));
		if (w->note[ti] != NULL)
			json_object_set_new(top, "routing_note",
			    json_string(w->note[ti]));
	} else if (w->note[ti] != NULL)
		printf("%s: %s %s\n", arg, kind_words[x->kind], w->note[ti]);
	else
		printf("%s: %s matched directly (no routing)\n", arg,
		    kind_words[x->kind]);
	for (h = 0; h < w->j.nhits[ti]; h++)
		one_record(w, &w->j.dbs[w->j.hits[ti][h].db],
		    w->j.hits[ti][h].rec, &v, arr);
	if (v.records == 0 && w->hosts[ti] != NULL)
		vs = dupf("%s: no record of its own; Exim routes it to %s "
		    "(below)", arg, w->hosts[ti]);
	else
		vs = verdict(w, x, &v);
	if (top != NULL) {
		json_object_set_new(top, "known", json_boolean(v.records > 0));
		json_object_set_new(top, "records", arr);
		json_object_set_new(top, "messages_waiting",
		    json_integer((json_int_t)v.waiting));
		json_object_set_new(top, "verdict", json_string(vs));
		hdb_json_dumpf(top, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(top);
	} else
		printf("%s\n", vs);
	free(vs);
	free(arg);
	return v.records == 0;
}

/* Add host name (routed to from target from) as a target of its own. */
static void
add_routed(struct why *w, size_t from, const struct route_host *h)
{
	struct target t;
	char *arg = hdb_vis_dup(w->j.t[from].arg, strlen(w->j.t[from].arg));
	size_t i;

	for (i = 0; i < w->j.nt; i++)
		if (strcasecmp(w->j.t[i].arg, h->name) == 0) {
			target_learn_ip(&w->j.t[i], h->ip);
			free(arg);
			return;
		}
	w->owned = xreallocarray(w->owned, w->nowned + 1, sizeof(*w->owned));
	w->owned[w->nowned] = xstrdup(h->name);
	if (target_parse("why", w->owned[w->nowned], &t) == -1) {
		free(w->owned[w->nowned]);
		free(arg);
		return;
	}
	w->nowned++;
	target_learn_ip(&t, h->ip);
	w->j.t = xreallocarray(w->j.t, w->j.nt + 1, sizeof(*w->j.t));
	w->note = xreallocarray(w->note, w->j.nt + 1, sizeof(*w->note));
	w->hosts = xreallocarray(w->hosts, w->j.nt + 1, sizeof(*w->hosts));
	w->from = xreallocarray(w->from, w->j.nt + 1, sizeof(*w->from));
	w->hosts[w->j.nt] = NULL;
	w->from[w->j.nt] = (long)from;
	w->j.t[w->j.nt] = t;
	w->note[w->j.nt++] = dupf("matched directly (a host Exim routes %s "
	    "to)", arg);
	free(arg);
}

/* route_one - the hosts target i routes to, each a target too. */
static void
route_one(struct why *w, const char *exim, size_t i)
{
	struct route_host *h;
	char err[256], *list = xstrdup(""), *n, *e;
	size_t nh, k;

	if (route_hosts(exim, w->config, w->j.t[i].arg, &h, &nh, err,
	    sizeof(err)) == -1) {
		e = hdb_vis_dup(err, strlen(err));
		w->note[i] = dupf("matched directly (%s)", e);
		free(e);
		free(list);
		return;
	}
	for (k = 0; k < nh; k++) {
		e = hdb_vis_dup(h[k].name, strlen(h[k].name));
		n = dupf("%s%s%s [%s]", list, k > 0 ? ", " : "", e, h[k].ip);
		free(e);
		free(list);
		list = n;
	}
	e = hdb_vis_dup(list, strlen(list));
	w->note[i] = dupf("routed by exim -bt to %s", e);
	w->hosts[i] = e;
	free(list);
	for (k = 0; k < nh; k++)
		add_routed(w, i, &h[k]);
	route_free(h, nh);
}

/*
 * route_all - with an Exim (--exim, or exim4/exim on PATH) and without
 * --no-route, route each domain and address to its hosts.  0, or
 * EX_USAGE_ when --exim names nothing that runs.
 */
static int
route_all(struct why *w)
{
	char path[PATH_MAX];
	size_t i, n = w->j.nt;

	if (w->no_route)
		return 0;
	if (w->exim != NULL)
		snprintf(path, sizeof(path), "%s", w->exim);
	else if (exim_locate(path, sizeof(path)) == -1) {
		if (w->config != NULL) {
			warnx("why: -C needs an Exim to route with: none "
			    "found, give --exim");
			return EX_USAGE_;
		}
		return 0;
	}
	w->routed = 1;
	for (i = 0; i < n; i++)
		if (w->j.t[i].kind == TGT_NAME || w->j.t[i].kind == TGT_ADDR)
			route_one(w, path, i);
	return 0;
}

static int
parse_opt(struct why *w, long *max_lock_ms, int ch, const char *arg)
{
	switch (ch) {
	case OPT_FORMAT:
		if ((w->json = pick(arg, why_formats)) == -1) {
			warnx("why: unknown format '%s' (text, json)", arg);
			return -1;
		}
		return 0;
	case OPT_MAX_LOCK_MS:
		return duration_opt("why", "--max-lock-ms", arg, DUR_BARE_MS,
		    1, 60000, max_lock_ms);
	case OPT_NO_ROUTE:
		w->no_route = 1;
		return 0;
	case OPT_EXIM:
		w->exim = arg;
		return 0;
	case 'C':
		w->config = arg;
		return 0;
	default:
		return dbopts_parse(&w->o, ch, arg, "why") == 0 ? 0 : -1;
	}
}

static int
cmd_why_main(int argc, char **argv)
{
	struct why w;
	long max_lock_ms = SCAN_BUDGET_MS;
	char *known;
	size_t i;
	int ch, ex, unknown = 0;

	memset(&w, 0, sizeof(w));
	dbopts_init(&w.o);
	w.input = -1;
	while ((ch = getopt_long(argc, argv, "C:", longopts, NULL)) != -1) {
		if (ch == OPT_HELP)
			return usage(stdout);
		if (parse_opt(&w, &max_lock_ms, ch, optarg) == -1)
			return usage(stderr);
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		return usage(stderr);
	if (w.no_route && (w.exim != NULL || w.config != NULL)) {
		warnx("why: --no-route routes nothing: no --exim or -C");
		return EX_USAGE_;
	}
	w.now = clock_now(&w.o);
	w.j.nt = (size_t)argc - 1;
	w.j.t = xcalloc(w.j.nt, sizeof(*w.j.t));
	w.note = xcalloc(w.j.nt, sizeof(*w.note));
	w.hosts = xcalloc(w.j.nt, sizeof(*w.hosts));
	w.from = xreallocarray(NULL, w.j.nt, sizeof(*w.from));
	for (i = 0; i < w.j.nt; i++)
		w.from[i] = -1;
	for (i = 0; i < w.j.nt; i++)
		if (target_parse("why", argv[i + 1], &w.j.t[i]) == -1) {
			ex = EX_USAGE_;
			goto out;
		}
	if ((ex = route_all(&w)) != 0)
		goto out;
	if ((ex = join_run(&w.j, argv[0], &w.o, "why",
	    (double)max_lock_ms)) != 0)
		goto out;
	w.input = dest_input_open(argv[0]);
	known = xcalloc(w.j.nt, 1);
	for (i = 0; i < w.j.nt; i++)
		known[i] = !one_target(&w, i);
	/* a target is known if it, or a host it routes to, is */
	for (i = 0; i < w.j.nt; i++)
		if (known[i] && w.from[i] != -1)
			known[w.from[i]] = 1;
	for (i = 0; i < w.j.nt; i++)
		unknown |= w.from[i] == -1 && !known[i];
	free(known);
	if (w.input != -1)
		close(w.input);
	if ((ex = finish_stdout("why")) == 0 && unknown)
		ex = EX_NOTFOUND;
out:
	join_free(&w.j);
	for (i = 0; i < w.j.nt; i++) {
		free(w.note[i]);
		free(w.hosts[i]);
	}
	free(w.hosts);
	free(w.from);
	for (i = 0; i < w.nowned; i++)
		free(w.owned[i]);
	free(w.note);
	free(w.owned);
	free(w.j.t);
	return ex;
}

const struct command cmd_why_entry = {
	.name = "why",
	.usage = WHY_USAGE,
	.summary = "what the hints say about a domain, address, host, IP "
	    "or message, and when Exim tries it next",
	.flags = CMD_F_RDONLY,
	.main = cmd_why_main,
	.longopts = longopts,
	.shortopts = "C:",
};
