/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_stat.c - how big, how old and how healthy each hints DB of a spool
 * is: backend, layouts, file size and how much of it is free, record
 * count, undecodable records, the
 * oldest and newest record, an age histogram, and figures for each type
 * (retry, wait, callout, tls).  As text (bars on a terminal), as JSON Lines,
 * or in the Prometheus text format for node_exporter's textfile collector.
 *
 * Each DB is read into memory in short read-lock holds (pieces.h) and
 * counted after the lock is dropped.  A DB that cannot be read is reported
 * on stderr and keeps its row in every format, with its state and error;
 * the others are still shown; the exit status is that of the first
 * failure.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/libutil.h>
#include <jansson.h>

#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "format.h"
#include "out.h"
#include "rec/dest.h"
#include "engine/pieces.h"
#include "engine/slurp.h"
#include "engine/spool.h"
#include "tls/tls.h"
#include "db/pin.h"
#include "priv.h"
#include "xmalloc.h"

#include "plan.h"

#define STAT_USAGE "hintsdb stat [-vz] [--exim=PATH] " \
	"[--format=text|json|prometheus] [--lock-timeout=T] [--now=TIME] " \
	"(SPOOL [DBNAME...] | --all SPOOL)"

#define OPT_STAT_EXIM	OPT_FIRST_FREE
#define OPT_STAT_ALL	(OPT_FIRST_FREE + 1)

enum { FMT_TEXT, FMT_JSON, FMT_PROM };

/* Age histogram: upper bounds in seconds; the last bucket is open. */
static const int64_t bucket_le[] = { 3600, 86400, 604800, 2592000 };
static const char *const bucket_name[] = { "1h", "1d", "7d", "30d" };
#define NBUCKET	(sizeof(bucket_le) / sizeof(bucket_le[0]) + 1)
/* How long the failing destinations have failed: alerts say hours */
static const int64_t fail_le[] = { 3600, 14400, 86400, 259200, 604800 };
#define NFAIL	(sizeof(fail_le) / sizeof(fail_le[0]) + 1)

#define MAX_TLSKIND	16

/* Retry key classes. */
enum { RK_HOST, RK_ADDRESS, RK_OTHER, RK_N };
static const char *const retry_kind[] = { "host", "address", "other" };

/* Callout: results 0-3 and anything else, by record kind. */
enum { CK_ADDRESS, CK_DOMAIN, CK_OBSOLETE, CK_N };
static const char *const callout_kind[] = { "address", "domain", "obsolete" };
#define CR_N	5
static const char *const callout_result[] = {
	"unknown", "accept", "reject", "reject_mfnull", "invalid",
};

struct tlskind {
	const char	*lib;
	const char	*version;
	size_t		 n;
};

struct dbstat {
	const char	*name;
	enum hdb_dbtype	 type;
	int		 up;		/* opened and read */
	int		 status;	/* else: its EX_* code, */
	char		*error;		/* and why (db_error) */
	const char	*backend;
	uint64_t	 size;
	int		 have_free;	/* the backend says (hdb_free_bytes) */
	uint64_t	 free;
	size_t		 records, undecodable, invalid;
	size_t		 legacy, v2;
	int64_t		 oldest, newest;	/* of decoded records */
	size_t		 hist[NBUCKET];
	int64_t		 age_sum;
	size_t		 ages;
	/* type-specific */
	size_t		 retry[RK_N], retry_expired;
	/* failing destinations: retry records but those of one message */
	size_t		 fail_n, fail_expired, fail_hist[NFAIL];
	int64_t		 fail_age_sum, fail_oldest;
	size_t		 wait_ids, wait_hosts, wait_conts;
	size_t		 callout[CK_N][CR_N];
	struct tlskind	 tls[MAX_TLSKIND];
	size_t		 ntls, tls_expired, tls_resumable;
	/* GnuTLS versions that wrote the resumable sessions: only they
	 * can resume them */
	char		 tls_by[MAX_TLSKIND][16];
	size_t		 ntls_by, tls_by_openssl;
	int		 have_soonest;
	int64_t		 soonest;
};

struct statctx {
	struct dbopts	 o;
	int		 format;
	int64_t		 now;
	int		 bars;		/* stdout is a terminal */
	int		 verbose;	/* -v: the detail of each DB */
};

static const char *const stat_formats[] = { "text", "json", "prometheus",
    NULL };

static const struct option longopts[] = {
	{ "all", no_argument, NULL, OPT_STAT_ALL },	/* as SPOOL alone */
	{ "exim", required_argument, NULL, OPT_STAT_EXIM },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "now", required_argument, NULL, OPT_NOW },
	{ NULL, 0, NULL, 0 },
};

static int	usage(FILE *);
static uint64_t	db_size(const char *);
static void	tls_add(struct dbstat *, const struct hdb_rec *, int64_t);
static void	type_add(struct dbstat *, const uint8_t *, size_t,
		    const struct hdb_rec *, int64_t);
static void	rec_add(struct dbstat *, const uint8_t *, size_t,
		    const uint8_t *, size_t, int64_t);
static int	collect(struct dbstat *, const char *, const char *,
		    const struct statctx *);
static const char *layout_of(const struct dbstat *);
static void	text_time(const char *, int64_t, const struct statctx *);
static void	text_hist(const struct dbstat *, const struct statctx *);
static void	text_type(const struct dbstat *, const struct statctx *);
static void	print_text(const struct dbstat *, const struct statctx *);
static json_t  *type_json(const struct dbstat *);
static json_t  *stat_json(const struct dbstat *);
static void	prom_family(const char *, const char *, const char *);
static void	prom_label(const char *);
static void	prom_sample(const char *, const struct dbstat *, const char *,
		    const char *, const char *, const char *, long long);
static void	prom_hist(const struct dbstat *, size_t);
static void	prom_common(const struct dbstat *, size_t);
static int	has_type(const struct dbstat *, size_t, enum hdb_dbtype);
static void	prom_retry_wait(const struct dbstat *, size_t);
static void	prom_callout(const struct dbstat *, size_t);
static void	prom_tls(const struct dbstat *, size_t);
static void	print_prom(const struct dbstat *, size_t,
		    const struct statctx *);
static int	run(const char *, char **, size_t, const struct statctx *);

static int
usage(FILE *fp)
{
	return usage_of(fp, "stat", STAT_USAGE);
}

/* db_size - bytes in the files of DB path (NAME, or NAME.dir + .pag...). */
static uint64_t
db_size(const char *path)
{
	static const char *const sfx[] = { "", ".dir", ".pag", ".db" };
	char p[PATH_MAX];
	struct stat st;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if ((size_t)snprintf(p, sizeof(p), "%s%s", path, sfx[i]) <
		    sizeof(p) && hdb_pin_lstat(p, &st) == 0 &&
		    S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	return sum;
}

/*
 * tls_add - the tls figures of one record: library and TLS version,
 * expired or resumable, and the soonest expiry still to come.
 */
static void
tls_add(struct dbstat *s, const struct hdb_rec *r, int64_t now)
{
	struct hdb_tls_info ti;
	const char *lib, *ver;
	size_t i;

	(void)hdb_tls_decode(r->u.tls.payload, r->u.tls.payload_len, &ti);
	hdb_tls_set_record(&ti, r->time_stamp, 1, r->u.tls.flags);
	lib = hdb_tls_lib_name(ti.lib);
	if ((ver = hdb_tls_version_name(ti.tls_version)) == NULL)
		ver = "unknown";
	for (i = 0; i < s->ntls; i++)
		if (strcmp(s->tls[i].lib, lib) == 0 &&
		    strcmp(s->tls[i].version, ver) == 0)
			break;
	if (i == s->ntls && i < MAX_TLSKIND) {
		s->tls[i].lib = lib;
		s->tls[i].version = ver;
		s->ntls++;
	}
	if (i < s->ntls)
		s->tls[i].n++;
	if (hdb_tls_resumable(&ti, now, NULL)) {
		s->tls_resumable++;
		if (ti.lib != HDB_TLS_LIB_GNUTLS)
			s->tls_by_openssl++;
		for (i = 0; ti.lib == HDB_TLS_LIB_GNUTLS && i < s->ntls_by;
		    i++)
			if (strcmp(s->tls_by[i], ti.gnutls_version_str) == 0)
				break;
		if (ti.lib == HDB_TLS_LIB_GNUTLS && i == s->ntls_by &&
		    i < MAX_TLSKIND)
			memcpy(s->tls_by[s->ntls_by++], ti.gnutls_version_str,
			    sizeof(s->tls_by[0]));
	}
	if (ti.have_expires && ti.expires < now)
		s->tls_expired++;
	else if (ti.have_expires && (!s->have_soonest ||
	    ti.expires < s->soonest)) {
		s->have_soonest = 1;
		s->soonest = ti.expires;
	}
	hdb_tls_info_clear(&ti);
}

/* A retry record of a destination (not of one message on a host): how
 * long it has failed, for the failing-destination metrics. */
static void
fail_add(struct dbstat *s, const uint8_t *k, size_t kl,
    const struct hdb_retry *r, int64_t now)
{
	struct hdb_dest d;
	int64_t age = hdb_time_diff(now, r->first_failed);
	size_t b;

	if (hdb_dest_parse(HDB_T_RETRY, s->name, k, kl, &d) ==
	    HDB_DEST_HOST_MSG)
		return;
	if (age < 0)
		age = 0;
	s->fail_n++;
	s->fail_expired += r->expired != 0;
	s->fail_age_sum += age;
	if (age > s->fail_oldest)
		s->fail_oldest = age;
	for (b = 0; b < NFAIL - 1 && age > fail_le[b]; b++)
		;
	s->fail_hist[b]++;
}

static void
type_add(struct dbstat *s, const uint8_t *k, size_t kl,
    const struct hdb_rec *r, int64_t now)
{
	int kind, res;

	switch (r->type) {
	case HDB_T_RETRY:
		kind = kl >= 2 && memcmp(k, "T:", 2) == 0 ? RK_HOST :
		    kl >= 2 && memcmp(k, "R:", 2) == 0 ? RK_ADDRESS : RK_OTHER;
		s->retry[kind]++;
		s->retry_expired += r->u.retry.expired != 0;
		fail_add(s, k, kl, &r->u.retry, now);
		break;
	case HDB_T_WAIT:
		if (r->u.wait.count > 0)
			s->wait_ids += (size_t)r->u.wait.count;
		if (memchr(k, ':', hdb_key_text_len(k, kl)) != NULL)
			s->wait_conts++;
		else
			s->wait_hosts++;
		break;
	case HDB_T_CALLOUT:
		kind = r->kind == HDB_K_CALLOUT_DOMAIN ? CK_DOMAIN :
		    r->kind == HDB_K_CALLOUT_OBSOLETE ? CK_OBSOLETE :
		    CK_ADDRESS;
		res = r->u.callout.result;
		s->callout[kind][res >= 0 && res < CR_N - 1 ? res : CR_N - 1]++;
		break;
	case HDB_T_TLS:
		tls_add(s, r, now);
		break;
	default:
		break;
	}
}

static void
rec_add(struct dbstat *s, const uint8_t *k, size_t kl, const uint8_t *v,
    size_t vl, int64_t now)
{
	struct hdb_rec r;
	const char *why;
	int64_t age;
	size_t b;

	s->records++;
	if (hdb_rec_decode(s->type, HDB_L_AUTO, k, kl, v, vl, &r, &why) ==
	    -1) {
		s->undecodable++;
		return;
	}
	if (r.layout == HDB_L_V2)
		s->v2++;
	else
		s->legacy++;
	if (hdb_rec_check(&r) != NULL)
		s->invalid++;
	if (s->legacy + s->v2 == 1 || r.time_stamp < s->oldest)
		s->oldest = r.time_stamp;
	if (s->legacy + s->v2 == 1 || r.time_stamp > s->newest)
		s->newest = r.time_stamp;
	age = now - r.time_stamp;
	if (age < 0)
		age = 0;	/* a clock step: counts as new */
	for (b = 0; b < NBUCKET - 1 && age > bucket_le[b]; b++)
		continue;
	s->hist[b]++;
	s->age_sum += age;
	s->ages++;
	type_add(s, k, kl, &r, now);
}

/* collect - read DB name and count it into s; 0 or an EX_* code. */
static int
collect(struct dbstat *s, const char *spool, const char *name,
    const struct statctx *c)
{
	const struct hdb_backend *be;
	char path[PATH_MAX];
	struct dbh d;
	struct slurp sl;
	size_t i;
	int ex;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->type = hdb_dbtype_from_name(name);
	if ((ex = db_open(&d, spool, name, 0, &c->o, "stat")) != 0) {
		s->error = xstrdup(db_error() + strlen("stat: "));
		return s->status = ex;
	}
	be = d.h->be;
	s->backend = be->name;
	s->size = db_size(d.path);
	snprintf(path, sizeof(path), "%s", d.path);
	/* the backend's own account of its free space: where it can be
	 * read from the file (BDB's pages: a read of the whole file) after
	 * the last hold, else in the first; an error leaves it unknown */
	if (be->free_bytes_file == NULL)
		s->have_free = hdb_free_bytes(d.h, &s->free) == HDB_OK;
	if ((ex = db_slurp(&d, spool, &c->o, "stat", SCAN_BUDGET_MS,
	    SCAN_ANY_ORDER, &sl)) != 0) {
		s->error = xstrdup(ex == EX_LOCKED ? "a lock was busy while "
		    "reading" : "could not be read (see standard error)");
		return s->status = ex;
	}
	if (be->free_bytes_file != NULL)
		s->have_free = hdb_free_bytes_file(be, path, &s->free) ==
		    HDB_OK;
	for (i = 0; i < sl.n; i++)
		rec_add(s, slurp_key(&sl, i), sl.recs[i].klen,
		    slurp_val(&sl, i), sl.recs[i].vlen, c->now);
	slurp_free(&sl);
	s->up = 1;
	return 0;
}

/* state - one word for a DB's state: what stat could do with it */
static const char *
state(const struct dbstat *s)
{
	if (s->up)
		return "ok";
	if (s->status == EX_LOCKED)
		return "busy";
	if (s->status == EX_NODB)
		return "missing";
	if (s->error != NULL && strstr(s->error, strerror(EACCES)) != NULL)
		return "permission";
	return "unreadable";
}

static const char *
layout_of(const struct dbstat *s)
{
	return s->legacy && s->v2 ? "mixed" : s->legacy ? "legacy" :
	    s->v2 ? "v2" : "none";
}

static void
text_time(const char *what, int64_t t, const struct statctx *c)
{
	char ts[HDB_TIMEBUF], age[HDB_TIMEBUF];
	int64_t d = c->now - t;

	hdb_fmt_iso(ts, sizeof(ts), t, c->o.utc);
	hdb_fmt_age(age, sizeof(age), d < 0 ? -d : d);
	if (d < 0)
		printf("  %s: %s (in %s)\n", what, ts, age);
	else
		printf("  %s: %s (%s ago)\n", what, ts, age);
}

static void
text_hist(const struct dbstat *s, const struct statctx *c)
{
	size_t b, max = 0, w, i;

	for (b = 0; b < NBUCKET; b++)
		if (s->hist[b] > max)
			max = s->hist[b];
	printf("  age:\n");
	for (b = 0; b < NBUCKET; b++) {
		if (b < NBUCKET - 1)
			printf("    <= %-4s %8zu", bucket_name[b], s->hist[b]);
		else
			printf("    >  %-4s %8zu", bucket_name[b - 1],
			    s->hist[b]);
		if (c->bars && max > 0) {
			w = (s->hist[b] * 40 + max - 1) / max;
			putchar(' ');
			for (i = 0; i < w; i++)
				putchar('#');
		}
		putchar('\n');
	}
}

static void
text_type(const struct dbstat *s, const struct statctx *c)
{
	size_t i, k;

	switch (s->type) {
	case HDB_T_RETRY:
		printf("  retry: %zu host%s, %zu address%s, %zu other; %zu past "
		    "their retry cutoff\n", s->retry[RK_HOST],
		    pl(s->retry[RK_HOST]), s->retry[RK_ADDRESS],
		    s->retry[RK_ADDRESS] == 1 ? "" : "es", s->retry[RK_OTHER],
		    s->retry_expired);
		break;
	case HDB_T_WAIT:
		printf("  wait: %zu queued message ID%s, %zu host%s, %zu "
		    "continuation record%s\n", s->wait_ids, pl(s->wait_ids),
		    s->wait_hosts, pl(s->wait_hosts), s->wait_conts,
		    pl(s->wait_conts));
		break;
	case HDB_T_CALLOUT:
		for (k = 0; k < CK_N; k++) {
			size_t sum = 0;

			for (i = 0; i < CR_N; i++)
				sum += s->callout[k][i];
			if (sum == 0)
				continue;
			printf("  callout %s:", callout_kind[k]);
			for (i = 0; i < CR_N; i++)
				if (s->callout[k][i] > 0 || i == 1 || i == 2)
					printf(" %zu %s", s->callout[k][i],
					    callout_result[i]);
			putchar('\n');
		}
		break;
	case HDB_T_TLS:
		for (i = 0; i < s->ntls; i++)
			printf("  tls: %zu %s %s\n", s->tls[i].n, s->tls[i].lib,
			    s->tls[i].version);
		printf("  tls: %zu resumable", s->tls_resumable);
		for (i = 0; i < s->ntls_by; i++)
			printf("%s%s", i == 0 ? " (GnuTLS " : " or ",
			    s->tls_by[i]);
		if (s->ntls_by > 0)
			printf("%s only)", s->ntls_by > 1 ? ", each by its "
			    "writer" : "");
		printf(", %zu expired\n", s->tls_expired);
		if (s->have_soonest)
			text_time("soonest expiry", s->soonest, c);
		break;
	default:
		break;
	}
}

static void
print_text(const struct dbstat *s, const struct statctx *c)
{
	char *name = hdb_vis_dup(s->name, strlen(s->name));

	printf("%s\n", name);
	free(name);
	if (!s->up) {
		printf("  state: %s\n  error: %s\n", state(s), s->error);
		return;
	}
	printf("  backend: %s\n  layout: %s", s->backend, layout_of(s));
	if (s->legacy && s->v2)
		printf(" (%zu legacy, %zu v2)", s->legacy, s->v2);
	printf("\n  size: %" PRIu64 " bytes\n", s->size);
	if (s->have_free)
		printf("  free: %" PRIu64 " bytes\n", s->free);
	else
		printf("  free: unknown\n");
	printf("  records: %zu (%zu undecodable, %zu invalid)\n", s->records,
	    s->undecodable, s->invalid);
	if (s->legacy + s->v2 > 0) {
		text_time("oldest", s->oldest, c);
		text_time("newest", s->newest, c);
	}
	text_hist(s, c);
	text_type(s, c);
}

/* An age for the summary: "5d8h ago", "in 10y", "-" for none. */
static const char *
short_age(char *buf, size_t len, int have, int64_t t, const struct statctx *c)
{
	char a[HDB_TIMEBUF];
	int64_t d = hdb_time_diff(c->now, t);

	if (!have)
		return "-";
	hdb_fmt_age(a, sizeof(a), d < 0 ? -d : d);
	snprintf(buf, len, d < 0 ? "in %s" : "%s ago", a);
	return buf;
}

static void
summary_head(void)
{
	printf("%-16s %-7s %-7s %9s %6s %6s  %-12s %-12s %s\n", "DB",
	    "BACKEND", "LAYOUT", "RECORDS", "SIZE", "FREE", "OLDEST", "NEWEST",
	    "PROBLEMS");
}

/*
 * summary_line - one line per DB: name, backend, layout, records, size
 * and free space (humanize_number; "-" if the backend does not say), the
 * oldest and newest record, and what is wrong.
 */
static void
summary_line(const struct dbstat *s, const struct statctx *c)
{
	char size[5], fr[5], old[40], new[40], probs[64], *name;
	int have = s->legacy + s->v2 > 0;

	name = hdb_vis_dup(s->name, strlen(s->name));
	if (!s->up) {
		printf("%-16s %-7s %-7s %9s %6s %6s  %-12s %-12s %s: %s\n",
		    name, "-", "-", "-", "-", "-", "-", "-", state(s),
		    s->error);
		free(name);
		return;
	}
	if (humanize_number(size, sizeof(size), (int64_t)s->size, "",
	    HN_AUTOSCALE, HN_B | HN_NOSPACE | HN_DECIMAL) == -1)
		snprintf(size, sizeof(size), "?");
	if (!s->have_free)
		snprintf(fr, sizeof(fr), "-");
	else if (humanize_number(fr, sizeof(fr), (int64_t)s->free, "",
	    HN_AUTOSCALE, HN_B | HN_NOSPACE | HN_DECIMAL) == -1)
		snprintf(fr, sizeof(fr), "?");
	if (s->undecodable + s->invalid == 0)
		snprintf(probs, sizeof(probs), "-");
	else if (s->invalid == 0)
		snprintf(probs, sizeof(probs), "%zu undecodable",
		    s->undecodable);
	else
		snprintf(probs, sizeof(probs), "%zu undecodable, %zu invalid",
		    s->undecodable, s->invalid);
	printf("%-16s %-7s %-7s %9zu %6s %6s  %-12s %-12s %s\n", name,
	    s->backend, layout_of(s), s->records, size, fr,
	    short_age(old, sizeof(old), have, s->oldest, c),
	    short_age(new, sizeof(new), have, s->newest, c), probs);
	free(name);
}

static json_t *
type_json(const struct dbstat *s)
{
	json_t *o = json_object(), *a;
	size_t i, k;

	switch (s->type) {
	case HDB_T_RETRY:
		for (i = 0; i < RK_N; i++)
			json_object_set_new(o, retry_kind[i],
			    json_integer((json_int_t)s->retry[i]));
		json_object_set_new(o, "expired",
		    json_integer((json_int_t)s->retry_expired));
		break;
	case HDB_T_WAIT:
		json_object_set_new(o, "queued_ids",
		    json_integer((json_int_t)s->wait_ids));
		json_object_set_new(o, "hosts",
		    json_integer((json_int_t)s->wait_hosts));
		json_object_set_new(o, "continuations",
		    json_integer((json_int_t)s->wait_conts));
		break;
	case HDB_T_CALLOUT:
		for (k = 0; k < CK_N; k++) {
			a = json_object();
			for (i = 0; i < CR_N; i++)
				json_object_set_new(a, callout_result[i],
				    json_integer((json_int_t)s->callout[k][i]));
			json_object_set_new(o, callout_kind[k], a);
		}
		break;
	case HDB_T_TLS:
		a = json_array();
		for (i = 0; i < s->ntls; i++)
			json_array_append_new(a, json_pack("{s:s, s:s, s:I}",
			    "library", s->tls[i].lib, "version",
			    s->tls[i].version, "sessions",
			    (json_int_t)s->tls[i].n));
		json_object_set_new(o, "sessions", a);
		json_object_set_new(o, "resumable",
		    json_integer((json_int_t)s->tls_resumable));
		json_object_set_new(o, "expired",
		    json_integer((json_int_t)s->tls_expired));
		json_object_set_new(o, "soonest_expiry", s->have_soonest ?
		    json_integer(s->soonest) : json_null());
		break;
	default:
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
stat_json(const struct dbstat *s)
{
	json_t *o = json_object(), *h, *t;
	size_t b;

	json_object_set_new(o, "db", json_string(s->name));
	json_object_set_new(o, "type", json_string(hdb_dbtype_name(s->type)));
	json_object_set_new(o, "state", json_string(state(s)));
	json_object_set_new(o, "status", json_integer(s->status));
	if (!s->up) {
		json_object_set_new(o, "error", json_string(s->error));
		return o;
	}
	json_object_set_new(o, "backend", json_string(s->backend));
	json_object_set_new(o, "layout", json_string(layout_of(s)));
	json_object_set_new(o, "size_bytes", json_integer((json_int_t)s->size));
	json_object_set_new(o, "free_bytes", s->have_free ?
	    json_integer((json_int_t)s->free) : json_null());
	json_object_set_new(o, "records", json_integer((json_int_t)s->records));
	json_object_set_new(o, "legacy", json_integer((json_int_t)s->legacy));
	json_object_set_new(o, "v2", json_integer((json_int_t)s->v2));
	json_object_set_new(o, "undecodable",
	    json_integer((json_int_t)s->undecodable));
	json_object_set_new(o, "invalid", json_integer((json_int_t)s->invalid));
	json_object_set_new(o, "oldest", s->ages ? json_integer(s->oldest) :
	    json_null());
	json_object_set_new(o, "newest", s->ages ? json_integer(s->newest) :
	    json_null());
	h = json_array();
	for (b = 0; b < NBUCKET; b++)
		json_array_append_new(h, json_pack("{s:o, s:I}", "max_age_s",
		    b < NBUCKET - 1 ? json_integer(bucket_le[b]) : json_null(),
		    "records", (json_int_t)s->hist[b]));
	json_object_set_new(o, "age_histogram", h);
	if ((t = type_json(s)) != NULL)
		json_object_set_new(o, hdb_dbtype_name(s->type), t);
	return o;
}

/*
 * Prometheus text format.  Every metric is a gauge (or the age histogram):
 * a snapshot of the files, not a count of events, so none ends in _total.
 */
static void
prom_family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * A label value, escaped as the exposition format wants (\\, \" and \n).
 * Bytes a terminal would act on are first vis-encoded (so "\033" reaches
 * the exposition as the text \\033): the format has no escape for them.
 */
static void
prom_label(const char *s)
{
	char *vis = hdb_vis_dup(s, strlen(s)), *v;

	for (v = vis; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			printf("\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", stdout);
		else
			putchar(*v);
	}
	free(vis);
}

static void
prom_sample(const char *name, const struct dbstat *s, const char *l1,
    const char *v1, const char *l2, const char *v2, long long val)
{
	printf("%s{db=\"", name);
	prom_label(s->name);
	if (l1 != NULL) {
		printf("\",%s=\"", l1);
		prom_label(v1);
	}
	if (l2 != NULL) {
		printf("\",%s=\"", l2);
		prom_label(v2);
	}
	printf("\"} %lld\n", val);
}

static void
prom_hist(const struct dbstat *v, size_t n)
{
	const char *name = "hintsdb_record_age_seconds";
	char le[32];
	size_t i, b, cum;

	prom_family(name, "histogram", "Age of the records (now minus their "
	    "time stamp), in seconds.");
	for (i = 0; i < n; i++) {
		if (!v[i].up)
			continue;
		for (b = 0, cum = 0; b < NBUCKET; b++) {
			cum += v[i].hist[b];
			if (b < NBUCKET - 1)
				snprintf(le, sizeof(le), "%" PRId64,
				    bucket_le[b]);
			else
				snprintf(le, sizeof(le), "+Inf");
			prom_sample("hintsdb_record_age_seconds_bucket", &v[i],
			    "le", le, NULL, NULL, (long long)cum);
		}
		prom_sample("hintsdb_record_age_seconds_sum", &v[i], NULL,
		    NULL, NULL, NULL, (long long)v[i].age_sum);
		prom_sample("hintsdb_record_age_seconds_count", &v[i], NULL,
		    NULL, NULL, NULL, (long long)v[i].ages);
	}
}

/* The families every DB has. */
static void
prom_common(const struct dbstat *v, size_t n)
{
	size_t i;

	prom_family("hintsdb_database_up", "gauge", "1 if the database could "
	    "be opened and read, else 0.");
	for (i = 0; i < n; i++)
		prom_sample("hintsdb_database_up", &v[i], NULL, NULL, NULL,
		    NULL, v[i].up);
	prom_family("hintsdb_database_state", "gauge", "1 for the state the "
	    "database is in: ok, busy (its lock), missing, permission or "
	    "unreadable.");
	for (i = 0; i < n; i++)
		prom_sample("hintsdb_database_state", &v[i], "state",
		    state(&v[i]), NULL, NULL, 1);
	prom_family("hintsdb_database_info", "gauge", "Backend and record "
	    "layout of the database; always 1.");
	for (i = 0; i < n; i++)
		if (v[i].up)
			prom_sample("hintsdb_database_info", &v[i], "backend",
			    v[i].backend, "layout", layout_of(&v[i]), 1);
	prom_family("hintsdb_database_size_bytes", "gauge", "Size of the "
	    "database's files, in bytes.");
	for (i = 0; i < n; i++)
		if (v[i].up)
			prom_sample("hintsdb_database_size_bytes", &v[i], NULL,
			    NULL, NULL, NULL, (long long)v[i].size);
	prom_family("hintsdb_database_free_bytes", "gauge", "Bytes of the "
	    "database's file that its backend holds but no record uses "
	    "(absent where the backend does not say).");
	for (i = 0; i < n; i++)
		if (v[i].up && v[i].have_free)
			prom_sample("hintsdb_database_free_bytes", &v[i], NULL,
			    NULL, NULL, NULL, (long long)v[i].free);
	prom_family("hintsdb_records", "gauge", "Records in the database, by "
	    "record layout (undecodable records have layout \"unknown\").");
	for (i = 0; i < n; i++) {
		if (!v[i].up)
			continue;
		prom_sample("hintsdb_records", &v[i], "layout", "legacy", NULL,
		    NULL, (long long)v[i].legacy);
		prom_sample("hintsdb_records", &v[i], "layout", "v2", NULL,
		    NULL, (long long)v[i].v2);
		prom_sample("hintsdb_records", &v[i], "layout", "unknown",
		    NULL, NULL, (long long)v[i].undecodable);
	}
	prom_family("hintsdb_records_invalid", "gauge", "Decoded records "
	    "with values outside Exim's limits.");
	for (i = 0; i < n; i++)
		if (v[i].up)
			prom_sample("hintsdb_records_invalid", &v[i], NULL,
			    NULL, NULL, NULL, (long long)v[i].invalid);
	prom_family("hintsdb_oldest_record_timestamp_seconds", "gauge",
	    "Time stamp of the oldest record, in seconds since the epoch.");
	for (i = 0; i < n; i++)
		if (v[i].up && v[i].ages)
			prom_sample("hintsdb_oldest_record_timestamp_seconds",
			    &v[i], NULL, NULL, NULL, NULL, v[i].oldest);
	prom_family("hintsdb_newest_record_timestamp_seconds", "gauge",
	    "Time stamp of the newest record, in seconds since the epoch.");
	for (i = 0; i < n; i++)
		if (v[i].up && v[i].ages)
			prom_sample("hintsdb_newest_record_timestamp_seconds",
			    &v[i], NULL, NULL, NULL, NULL, v[i].newest);
	prom_hist(v, n);
}

static int
has_type(const struct dbstat *v, size_t n, enum hdb_dbtype t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].up && v[i].type == t)
			return 1;
	return 0;
}

static long long
fail_n(const struct dbstat *s)
{
	return (long long)s->fail_n;
}

static long long
fail_cut(const struct dbstat *s)
{
	return (long long)s->fail_expired;
}

static long long
fail_old(const struct dbstat *s)
{
	return s->fail_oldest;
}

/* A gauge family of the retry DBs, one sample each. */
static void
prom_retry_gauge(const struct dbstat *v, size_t n, const char *name,
    const char *help, long long (*val)(const struct dbstat *))
{
	size_t i;

	prom_family(name, "gauge", help);
	for (i = 0; i < n; i++)
		if (v[i].up && v[i].type == HDB_T_RETRY)
			prom_sample(name, &v[i], NULL, NULL, NULL, NULL,
			    val(&v[i]));
}

/* Failing destinations, without a label per host: alert on their
 * number and age (hintsdb-stat(8) shows a rule). */
static void
prom_failing(const struct dbstat *v, size_t n)
{
	char le[32];
	size_t i, b, cum;

	prom_retry_gauge(v, n, "hintsdb_failing_destinations", "Destinations "
	    "(hosts, domains, addresses) with a retry record.", fail_n);
	prom_retry_gauge(v, n, "hintsdb_failing_past_cutoff", "Failing "
	    "destinations past their retry rule's final cutoff.", fail_cut);
	prom_retry_gauge(v, n, "hintsdb_failing_oldest_age_seconds", "How "
	    "long the longest-failing destination has failed (0: none).",
	    fail_old);
	prom_family("hintsdb_failing_age_seconds", "histogram", "How long "
	    "each failing destination has failed (now minus first failure), "
	    "in seconds.");
	for (i = 0; i < n; i++) {
		if (!v[i].up || v[i].type != HDB_T_RETRY)
			continue;
		for (b = 0, cum = 0; b < NFAIL; b++) {
			cum += v[i].fail_hist[b];
			if (b < NFAIL - 1)
				snprintf(le, sizeof(le), "%" PRId64,
				    fail_le[b]);
			else
				snprintf(le, sizeof(le), "+Inf");
			prom_sample("hintsdb_failing_age_seconds_bucket",
			    &v[i], "le", le, NULL, NULL, (long long)cum);
		}
		prom_sample("hintsdb_failing_age_seconds_sum", &v[i], NULL,
		    NULL, NULL, NULL, (long long)v[i].fail_age_sum);
		prom_sample("hintsdb_failing_age_seconds_count", &v[i], NULL,
		    NULL, NULL, NULL, (long long)v[i].fail_n);
	}
}

static void
prom_retry_wait(const struct dbstat *v, size_t n)
{
	size_t i, k;

	if (has_type(v, n, HDB_T_RETRY)) {
		prom_family("hintsdb_retry_records", "gauge", "Retry records "
		    "by key: host (T:), address or domain (R:), other.");
		for (i = 0; i < n; i++)
			for (k = 0; v[i].up && v[i].type == HDB_T_RETRY &&
			    k < RK_N; k++)
				prom_sample("hintsdb_retry_records", &v[i],
				    "kind", retry_kind[k], NULL, NULL,
				    (long long)v[i].retry[k]);
		prom_family("hintsdb_retry_expired_records", "gauge", "Retry "
		    "records past their retry rule's cutoff (expired flag).");
		for (i = 0; i < n; i++)
			if (v[i].up && v[i].type == HDB_T_RETRY)
				prom_sample("hintsdb_retry_expired_records",
				    &v[i], NULL, NULL, NULL, NULL,
				    (long long)v[i].retry_expired);
		prom_failing(v, n);
	}
	if (has_type(v, n, HDB_T_WAIT)) {
		prom_family("hintsdb_wait_queued_messages", "gauge", "Message "
		    "IDs waiting for a host, over all records.");
		for (i = 0; i < n; i++)
			if (v[i].up && v[i].type == HDB_T_WAIT)
				prom_sample("hintsdb_wait_queued_messages",
				    &v[i], NULL, NULL, NULL, NULL,
				    (long long)v[i].wait_ids);
		prom_family("hintsdb_wait_hosts", "gauge", "Hosts with "
		    "messages waiting (main wait records).");
		for (i = 0; i < n; i++)
			if (v[i].up && v[i].type == HDB_T_WAIT)
				prom_sample("hintsdb_wait_hosts", &v[i], NULL,
				    NULL, NULL, NULL,
				    (long long)v[i].wait_hosts);
	}
}

static void
prom_callout(const struct dbstat *v, size_t n)
{
	size_t i, k, r;

	if (!has_type(v, n, HDB_T_CALLOUT))
		return;
	prom_family("hintsdb_callout_records", "gauge", "Callout cache "
	    "records by kind and result.");
	for (i = 0; i < n; i++)
		for (k = 0; v[i].up && v[i].type == HDB_T_CALLOUT && k < CK_N;
		    k++)
			for (r = 0; r < CR_N; r++)
				prom_sample("hintsdb_callout_records", &v[i],
				    "kind", callout_kind[k], "result",
				    callout_result[r],
				    (long long)v[i].callout[k][r]);
}

static void
prom_tls(const struct dbstat *v, size_t n)
{
	size_t i, k;

	if (!has_type(v, n, HDB_T_TLS))
		return;
	prom_family("hintsdb_tls_sessions", "gauge", "Stored TLS sessions by "
	    "library and TLS version.");
	for (i = 0; i < n; i++)
		for (k = 0; v[i].up && v[i].type == HDB_T_TLS &&
		    k < v[i].ntls; k++)
			prom_sample("hintsdb_tls_sessions", &v[i], "library",
			    v[i].tls[k].lib, "version", v[i].tls[k].version,
			    (long long)v[i].tls[k].n);
	prom_family("hintsdb_tls_sessions_resumable", "gauge", "Stored TLS "
	    "sessions that could still be resumed.");
	for (i = 0; i < n; i++)
		if (v[i].up && v[i].type == HDB_T_TLS)
			prom_sample("hintsdb_tls_sessions_resumable", &v[i],
			    NULL, NULL, NULL, NULL,
			    (long long)v[i].tls_resumable);
	prom_family("hintsdb_tls_sessions_expired", "gauge", "Stored TLS "
	    "sessions past their expiry.");
	for (i = 0; i < n; i++)
		if (v[i].up && v[i].type == HDB_T_TLS)
			prom_sample("hintsdb_tls_sessions_expired", &v[i],
			    NULL, NULL, NULL, NULL,
			    (long long)v[i].tls_expired);
	prom_family("hintsdb_tls_next_expiry_timestamp_seconds", "gauge",
	    "When the next stored TLS session expires, in seconds since the "
	    "epoch.");
	for (i = 0; i < n; i++)
		if (v[i].up && v[i].type == HDB_T_TLS && v[i].have_soonest)
			prom_sample("hintsdb_tls_next_expiry_timestamp_seconds",
			    &v[i], NULL, NULL, NULL, NULL, v[i].soonest);
}

static void
print_prom(const struct dbstat *v, size_t n, const struct statctx *c)
{
	prom_family("hintsdb_stat_timestamp_seconds", "gauge", "When these "
	    "figures were taken, in seconds since the epoch.");
	printf("hintsdb_stat_timestamp_seconds %lld\n", (long long)c->now);
	prom_common(v, n);
	prom_retry_wait(v, n);
	prom_callout(v, n);
	prom_tls(v, n);
}

static int
run(const char *spool, char **names, size_t n, const struct statctx *c)
{
	struct dbstat *v;
	size_t i, shown = 0;
	int ex, first = 0;

	v = xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		ex = collect(&v[i], spool, names[i], c);
		if (ex != 0 && first == 0)
			first = ex;
		if (c->format == FMT_PROM)
			continue;
		if (c->format == FMT_JSON) {
			json_line(stat_json(&v[i]), JSON_COMPACT);
			continue;
		}
		if (!c->verbose) {
			if (shown++ == 0)
				summary_head();
			summary_line(&v[i], c);
			fflush(stdout);
			continue;
		}
		if (shown++ > 0)
			putchar('\n');
		print_text(&v[i], c);
	}
	if (c->format == FMT_PROM)
		print_prom(v, n, c);
	for (i = 0; i < n; i++)
		free(v[i].error);
	free(v);
	ex = finish_stdout("stat");
	return first != 0 ? first : ex;
}

static int
cmd_stat_main(int argc, char **argv)
{
	struct statctx c;
	struct exim_target t;
	const char *exim = NULL;
	char **names;
	size_t n;
	int ch, ex, have = 0, rex;

	memset(&c, 0, sizeof(c));
	dbopts_init(&c.o);
	while ((ch = getopt_long(argc, argv, "vz", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			c.verbose = 1;
			break;
		case OPT_FORMAT:
			if ((c.format = format_pick("stat", optarg,
			    stat_formats)) == -1)
				return EX_USAGE_;
			break;
		case OPT_HELP:
			return usage(stdout);
		case OPT_STAT_EXIM:
			exim = optarg;
			break;
		case OPT_STAT_ALL:
			break;
		case 'z':
		case OPT_LOCK_TIMEOUT:
		case OPT_NOW:
			if (dbopts_parse(&c.o, ch, optarg, "stat") == 0)
				break;
			return usage(stderr);
		default:
			return usage(stderr);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage(stderr);
	if ((ex = spool_args("stat", argc, argv, &names, &n)) != 0)
		return ex;
	if (n == 0) {	/* not silence: an empty SPOOL/db is worth a word */
		char *v = hdb_vis_dup(argv[0], strlen(argv[0]));

		warnx("stat: no hints databases in '%s/db'", v);
		free(v);
	}
	c.now = clock_now(&c.o);
	c.bars = c.format == FMT_TEXT && isatty(STDOUT_FILENO);
	/* in text, also what the Exim named cannot use (as check) */
	if (c.format == FMT_TEXT && exim != NULL &&
	    (have = plan_target("stat", exim, &t)) > 1)
		ex = have;
	else
		ex = run(argv[0], names, n, &c);
	if (ex == 0 && have == 1 && plan_report("stat", argv[0], names, n,
	    &t, c.o.lock_timeout_ms, &rex) > 0)
		ex = EX_FINDINGS;
	if (ex == 0 && have == 1)
		ex = finish_stdout("stat");
	spool_dbs_free(names, n);
	return ex;
}

const struct command cmd_stat_entry = {
	.name = "stat",
	.usage = STAT_USAGE,
	.summary = "size, free space, age and health of each hints DB",
	.flags = CMD_F_RDONLY,
	.main = cmd_stat_main,
	.longopts = longopts,
	.shortopts = "vz",
};
