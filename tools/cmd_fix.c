/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_fix.c - look at and change single records, in exim_fixdb's command
 * language (fix.h), interactively on a terminal or from a script on stdin.
 *
 * What differs from Exim 4.96's exim_fixdb: keys can be quoted, so keys
 * holding spaces or control bytes can be named; a line is not cut at 255
 * bytes; a key that begins with a digit ("192.0.2.1" in the seen DB) is a
 * key, not a field number; an edit that is refused (bad number, bad time,
 * unknown field, a record type that cannot be edited) changes nothing,
 * where Exim rewrote the record anyway; a callout address record is not
 * grown into a domain record; tls and misc records are shown decoded, and
 * tls shows its own time stamp instead of garbage; keys and texts are
 * printed escaped.  Called as exim_fixdb (compat) the prompt and messages
 * are Exim's.  The record editors (one field of a decoded record) are in
 * fix_edit.c.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>

#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "fix.h"
#include "fix_edit.h"
#include "db/lock.h"
#include "help.h"
#include "out.h"
#include "db/pin.h"
#include "priv.h"
#include "rec/recfmt.h"
#include "xmalloc.h"

#define FIX_USAGE "hintsdb fix [-z] [--lock-timeout=T] [--backend=B] " \
	"[--layout=L] [--now=TIME] [--no-drop-privileges] SPOOL DBNAME"

#define MAXTOK		4

enum {
	OPT_NO_DROP = OPT_FIRST_FREE,
};

static const struct option longopts[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "no-drop-privileges", no_argument, NULL, OPT_NO_DROP },
	{ "now", required_argument, NULL, OPT_NOW },
	{ NULL, 0, NULL, 0 },
};

struct tok {
	char		*s;		/* bytes, NUL-terminated for convenience */
	size_t		 len;
	int		 quoted;
};

struct fix {
	const char	*spool;
	const char	*name;
	enum hdb_dbtype	 type;
	struct dbopts	*o;
	int		 compat;
	int		 prompt;
	int		 ex;		/* worst problem seen (native) */
	uint8_t		*key;		/* current key, with Exim's NUL */
	size_t		 klen;
	int		 as_empty;	/* compat: a missing DB reads as empty */
};

/* An edit's result: written, refused (nothing changed) or not shown. */

static int
usage(FILE *fp)
{
	return usage_of(fp, "fix", FIX_USAGE);
}

static void
note(struct fix *f, int ex)
{
	f->ex = ex_worse(f->ex, ex);
}

/* --- tokens ------------------------------------------------------------ */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One double-quoted escape at *pp into *out; -1 if malformed. */
static int
unescape(const char **pp, char *out)
{
	const char *p = *pp;
	int v, i;

	switch (*p) {
	case 'n':
		*out = '\n';
		break;
	case 't':
		*out = '\t';
		break;
	case 'r':
		*out = '\r';
		break;
	case 'a':
		*out = '\a';
		break;
	case 'b':
		*out = '\b';
		break;
	case 'f':
		*out = '\f';
		break;
	case 'v':
		*out = '\v';
		break;
	case 'x':
		if (hexval(p[1]) < 0)
			return -1;
		v = hexval(p[1]);
		if (hexval(p[2]) >= 0) {
			v = v * 16 + hexval(p[2]);
			p++;
		}
		p++;
		*out = (char)v;
		break;
	case '0': case '1': case '2': case '3':
	case '4': case '5': case '6': case '7':
		for (v = 0, i = 0; i < 3 && *p >= '0' && *p <= '7'; i++, p++)
			v = v * 8 + (*p - '0');
		p--;
		*out = (char)v;
		break;
	case '\0':
		return -1;
	default:
		*out = *p;	/* \\, \", \' and the rest as themselves */
		break;
	}
	*pp = p + 1;
	return 0;
}

static void
free_toks(struct tok *t, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(t[i].s);
}

/*
 * tokenize - split line into words: bare words end at white space; "..."
 * takes C escapes; '...' is literal.  With esc set, a backslash in a bare
 * word is an escape too, so a key pasted as dump printed it (j\303\274rgen,
 * a\\b) means its bytes; Exim's exim_fixdb takes bare words as they are.
 * Returns the count (at most MAXTOK, more is an error: -2), or -1 for an
 * unterminated quote or bad escape.
 */
static int
tokenize(const char *line, struct tok *t, int esc)
{
	const char *p = line;
	char *o;
	int n = 0, q;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == MAXTOK) {
			free_toks(t, n);
			return -2;
		}
		o = t[n].s = xmalloc(strlen(p) + 1);
		t[n].quoted = 0;
		while (*p != '\0' && *p != ' ' && *p != '\t') {
			if (esc && *p == '\\') {
				p++;
				if (unescape(&p, o++) == -1)
					goto bad;
				continue;
			}
			if (*p != '"' && *p != '\'') {
				*o++ = *p++;
				continue;
			}
			q = *p++;
			t[n].quoted = 1;
			while (*p != q) {
				if (*p == '\0')
					goto bad;
				if (q == '"' && *p == '\\') {
					p++;
					if (unescape(&p, o++) == -1)
						goto bad;
				} else
					*o++ = *p++;
			}
			p++;
		}
		*o = '\0';
		t[n].len = (size_t)(o - t[n].s);
		n++;
	}
	return n;
bad:
	free_toks(t, n + 1);
	return -1;
}

/* --- printing ---------------------------------------------------------- */

static void
put_key(const struct fix *f)
{
	hdb_out_vis(stdout, f->key, hdb_key_text_len(f->key, f->klen));
}

static const char *
tstr(char *buf, size_t len, int64_t t, const struct fix *f)
{
	return hdb_fmt_exim(buf, len, t, f->o->utc);
}

/* Exim's print_cache: 3 (reject_mfnull) prints "unknown" there too. */
static const char *
cache_name(int v)
{
	return v == HDB_CC_ACCEPT ? "accept" : v == HDB_CC_REJECT ? "reject" :
	    "unknown";
}

static void
show_wait(const struct hdb_wait *w)
{
	int32_t i, n = w->count;

	if (n > HDB_WAIT_NAME_MAX) {
		printf("**** Data corrupted: count=%d=0x%x max=%d ****\n", n,
		    (unsigned)n, HDB_WAIT_NAME_MAX);
		n = HDB_WAIT_NAME_MAX;
	}
	for (i = 0; i < n; i++) {
		const uint8_t *id = w->ids + (size_t)i * w->id_len;

		if (i == w->bad_id) {
			printf("\n**** Data corrupted: bad character in "
			    "message id ****\n");
			for (size_t j = 0; j < w->id_len; j++)
				printf("%02x ", id[j]);
			printf("\n");
			return;
		}
		hdb_out_vis(stdout, id, w->id_len);
		putchar(' ');
	}
	putchar('\n');
}

/* The decoded block recfmt prints, for the types Exim shows nothing of. */
static void
show_decoded(const struct fix *f, const struct hdb_rec *r)
{
	struct hdb_fmtopts fo;

	memset(&fo, 0, sizeof(fo));
	fo.now = clock_now(f->o);
	fo.utc = f->o->utc;
	fo.db = f->name;
	hdb_rec_print_text(stdout, f->key, f->klen, r, &fo);
}

static void
show_tls(const struct fix *f, const struct hdb_rec *r)
{
	const struct hdb_tlsrec *t = &r->u.tls;
	const uint8_t *nul;
	char tb[HDB_TIMEBUF];
	size_t n;

	printf("0 time stamp:  %s\n", tstr(tb, sizeof(tb), r->time_stamp, f));
	if (!f->compat) {
		show_decoded(f, r);
		return;
	}
	/* Exim shows the payload up to its first NUL; escaped here. */
	nul = memchr(t->payload, '\0', t->payload_len);
	n = nul != NULL ? (size_t)(nul - t->payload) : t->payload_len;
	fputs("1 session: .", stdout);
	hdb_out_vis(stdout, t->payload, n);
	putchar('\n');
}

static void
show_record(const struct fix *f, const struct hdb_rec *r)
{
	const struct hdb_retry *re = &r->u.retry;
	const struct hdb_callout *c = &r->u.callout;
	const struct hdb_ratelimit *rl = &r->u.ratelimit;
	char tb[HDB_TIMEBUF];

	printf("%s\n", tstr(tb, sizeof(tb), r->time_stamp, f));
	switch (r->type) {
	case HDB_T_RETRY:
		printf("0 error number: %d ", re->basic_errno);
		hdb_out_vis(stdout, re->text, re->text_len);
		printf("\n1 extra data:   %d\n", re->more_errno);
		printf("2 first failed: %s\n", tstr(tb, sizeof(tb),
		    re->first_failed, f));
		printf("3 last try:     %s\n", tstr(tb, sizeof(tb),
		    re->last_try, f));
		printf("4 next try:     %s\n", tstr(tb, sizeof(tb),
		    re->next_try, f));
		printf("5 expired:      %s\n", re->expired ? "yes" : "no");
		break;
	case HDB_T_WAIT:
		printf("Sequence: %d\n", r->u.wait.sequence);
		show_wait(&r->u.wait);
		break;
	case HDB_T_CALLOUT:
		printf("0 callout:    %s (%d)\n", cache_name(c->result),
		    c->result);
		if (r->kind == HDB_K_CALLOUT_ADDRESS)
			break;
		printf("1 postmaster: %s (%d)\n",
		    cache_name(c->postmaster_result), c->postmaster_result);
		printf("2 random:     %s (%d)\n", cache_name(c->random_result),
		    c->random_result);
		break;
	case HDB_T_RATELIMIT:
		printf("0 time stamp:  %s\n", tstr(tb, sizeof(tb),
		    r->time_stamp, f));
		printf("1 fract. time: .%06d\n", rl->time_usec);
		printf("2 sender rate: % .3f\n", rl->rate);
		if (r->kind != HDB_K_RATELIMIT_UNIQUE)
			break;
		printf("3 filter epoch: %s\n", tstr(tb, sizeof(tb),
		    rl->bloom_epoch, f));
		printf("4 test filter membership\n5 add element to filter\n");
		break;
	case HDB_T_TLS:
		show_tls(f, r);
		break;
	case HDB_T_MISC:
		if (!f->compat)
			show_decoded(f, r);
		break;
	default:
		break;
	}
}

/* --- the DB ------------------------------------------------------------ */

/*
 * missing_db - compat only: the lockfile is there but the DB is not.
 * exim_fixdb's write opens then create an empty DB (Berkeley DB's
 * DB_CREATE), so it answers "not found" and from then on finds nothing.
 * We answer the same without creating a file.
 */
static int
missing_db(struct fix *f, int write)
{
	char lp[PATH_MAX], dp[PATH_MAX];
	struct stat st;

	if (!f->compat || hdb_lock_path(lp, sizeof(lp), f->spool,
	    f->name) == -1 || hdb_pin_lstat(lp, &st) == -1)
		return 0;
	snprintf(dp, sizeof(dp), "%s/db/%s", f->spool, f->name);
	if (hdb_detect(dp) != NULL || errno != ENOENT)
		return 0;
	if (write)
		f->as_empty = 1;
	return f->as_empty;
}

/*
 * open_db - one open per command, as Exim does.  In compat mode Exim's
 * messages for a missing lockfile or DB come first.  0 or -1.
 */
static int
open_db(struct fix *f, struct dbh *d, int write)
{
	int ex;

	if (f->compat && compat_precheck(f->spool, f->name, write,
	    f->o->exim_version) != 0)
		return -1;
	if ((ex = db_open(d, f->spool, f->name, write, f->o,
	    f->compat ? "exim_fixdb" : "fix")) != 0) {
		note(f, ex);
		return -1;
	}
	return 0;
}

/* Close a DB opened by open_db, written to disk first; 0 or -1. */
static int
close_db(struct fix *f, struct dbh *d)
{
	int ex;

	if ((ex = db_close_sync(d, "fix")) != 0) {
		note(f, ex);
		return -1;
	}
	return 0;
}

/* A copy of the record at the current key into *val; 1 found, 0 not. */
static int
read_rec(struct fix *f, struct dbh *d, uint8_t **val, size_t *vlen)
{
	struct hdb_datum k = { f->key, f->klen }, v;
	int r = hdb_get(d->h, k, &v);

	if (r == HDB_ERR) {
		warnx("fix: cannot read '%s': %s", f->name, hdb_error(d->h));
		note(f, EX_IOERR_);
		return -1;
	}
	if (r == HDB_NOTFOUND)
		return 0;
	*val = xmemdup(v.data, v.len ? v.len : 1);
	*vlen = v.len;
	return 1;
}

static void
not_found(struct fix *f)
{
	printf("record ");
	if (f->compat)
		put_key(f);
	else {
		putchar('\'');
		put_key(f);
		putchar('\'');
	}
	printf(" not found\n");
	note(f, EX_NOTFOUND);
}

/* Show the record at the current key; forget the key if it is not there. */
static void
display(struct fix *f)
{
	struct dbh d;
	struct hdb_rec r;
	const char *why;
	uint8_t *val = NULL;
	size_t vlen = 0;
	int found;

	if (missing_db(f, 0)) {
		not_found(f);
		free(f->key);
		f->key = NULL;
		return;
	}
	if (open_db(f, &d, 0) == -1)
		return;
	found = read_rec(f, &d, &val, &vlen);
	db_close(&d);
	if (found == -1)
		return;
	if (found == 0) {
		not_found(f);
		free(f->key);
		f->key = NULL;
		return;
	}
	if (hdb_rec_decode(f->type, f->o->layout, f->key, f->klen, val, vlen,
	    &r, &why) == -1) {
		printf("**** record cannot be decoded: %s ****\n", why);
		note(f, EX_FINDINGS);
	} else
		show_record(f, &r);
	free(val);
}

static int
write_rec(struct fix *f, struct dbh *d, struct hdb_rec *r)
{
	struct hdb_datum k = { f->key, f->klen }, v;
	size_t cap = hdb_rec_size(r, r->layout);
	uint8_t *buf = xmalloc(cap ? cap : 1);
	int rc = 0;

	r->time_stamp = clock_now(f->o);
	r->tainted = 0;
	v.data = buf;
	v.len = hdb_rec_encode(r, r->layout, buf, cap);
	if (v.len == 0 || hdb_put(d->h, k, v) != HDB_OK) {
		warnx("fix: cannot write '%s': %s", f->name,
		    v.len == 0 ? "cannot encode the record" : hdb_error(d->h));
		note(f, EX_IOERR_);
		rc = -1;
	}
	free(buf);
	return rc;
}

/* "KEY FIELD VALUE": 1 to display the record afterwards, 0 not. */
static int
update(struct fix *f, const char *field, const char *value)
{
	struct dbh d;
	struct hdb_rec r;
	const char *why, *errstr;
	uint8_t *val = NULL;
	size_t vlen = 0;
	int found, fieldno, e, show = 1;

	fieldno = (int)strtonum(field, 0, 99, &errstr);
	if (errstr != NULL && (f->compat || !isdigit((unsigned char)*field))) {
		printf("field number or d expected\n");
		note(f, EX_FINDINGS);
		return 0;
	}
	if (value == NULL) {
		printf("value missing\n");
		note(f, EX_FINDINGS);
		return 0;
	}
	if (missing_db(f, 1)) {
		printf("not found\n");
		return 1;		/* Exim shows the record after this */
	}
	if (open_db(f, &d, 1) == -1)
		return 0;
	if ((found = read_rec(f, &d, &val, &vlen)) != 1) {
		if (found == 0) {
			printf("not found\n");
			note(f, EX_NOTFOUND);
		}
		db_close(&d);
		/* exim_fixdb then tries to show it: "record K not found" */
		return found == 0 && f->compat;
	}
	if (hdb_rec_decode(f->type, f->o->layout, f->key, f->klen, val, vlen,
	    &r, &why) == -1) {
		printf("**** record cannot be decoded: %s ****\n", why);
		e = E_QUIET;
	} else if (errstr != NULL) {
		printf("unknown field number\n");
		e = E_QUIET;
	} else
		e = fix_edit(&r, val, fieldno, value, clock_now(f->o));
	if (e == E_WRITE && write_rec(f, &d, &r) == -1)
		show = 0;
	if (close_db(f, &d) == -1)
		show = 0;
	free(val);
	if (e == E_REFUSED || e == E_QUIET)
		note(f, EX_FINDINGS);
	return show && e != E_QUIET;
}

static void
delete_key(struct fix *f, const char *value)
{
	struct hdb_datum k;
	struct dbh d;
	int r, sqlite;

	if (value != NULL) {
		printf("unexpected value after \"d\"\n");
		note(f, EX_FINDINGS);
		return;
	}
	if (missing_db(f, 1)) {
		printf("not found\n");
		return;
	}
	if (open_db(f, &d, 1) == -1)
		return;
	k.data = f->key;
	k.len = f->klen;
	/* Exim's SQLite delete succeeds whether the key was there or not,
	 * so exim_fixdb says "deleted" (4.100.1, seen) */
	sqlite = d.h->be == &hdb_backend_sqlite;
	r = hdb_del(d.h, k);
	if (close_db(f, &d) == -1 && r == HDB_OK)
		return;			/* not written: not deleted */
	if (r == HDB_ERR) {
		warnx("fix: cannot delete from '%s'", f->name);
		note(f, EX_IOERR_);
	} else if (r == HDB_NOTFOUND && !(f->compat && sqlite)) {
		printf("not found\n");
		note(f, EX_NOTFOUND);
	} else
		printf("deleted\n");
}

/* --- the command loop -------------------------------------------------- */

/* A line that names no key: "d", or a single digit first (Exim's rule). */
static int
reuses_key(const struct tok *t, int n)
{
	if (t[0].quoted)
		return 0;
	if (n == 1 && strcmp(t[0].s, "d") == 0)
		return 1;
	return t[0].len == 1 && isdigit((unsigned char)t[0].s[0]);
}

static void
set_key(struct fix *f, const struct tok *t)
{
	free(f->key);
	f->klen = t->len + 1;
	f->key = xmalloc(f->klen);
	memcpy(f->key, t->s, t->len);
	f->key[t->len] = '\0';
}

/* One input line; 1 to quit. */
static int
command(struct fix *f, const char *line)
{
	struct tok t[MAXTOK];
	const char *field = NULL, *value = NULL;
	int n, quit = 0;

	n = tokenize(line, t, !f->compat);
	if (n < 0) {
		printf(n == -2 ? "too many words (quote a key that holds "
		    "spaces)\n" : "unterminated quote or bad escape\n");
		note(f, EX_FINDINGS);
		return 0;
	}
	if (n == 0) {
		if (f->compat)		/* Exim looks up the empty key */
			printf("record  not found\n");
		free(f->key);
		f->key = NULL;
		return 0;
	}
	if (!f->compat && n == 1 && !t[0].quoted &&
	    (strcmp(t[0].s, "help") == 0 || strcmp(t[0].s, "?") == 0)) {
		help_fix_prompt(stdout);	/* a key "help" is quoted */
		goto out;
	}
	if (reuses_key(t, n)) {
		if (f->key == NULL) {
			printf("No previous record name is set\n");
			note(f, EX_FINDINGS);
			goto out;
		}
		field = t[0].s;
		value = n > 1 ? t[1].s : NULL;
	} else {
		set_key(f, &t[0]);
		field = n > 1 ? t[1].s : NULL;
		value = n > 2 ? t[2].s : NULL;
		if (field == NULL && !t[0].quoted && strcmp(t[0].s, "q") == 0) {
			quit = 1;
			goto out;
		}
	}
	if (field != NULL && strcmp(field, "d") == 0)
		delete_key(f, value);
	else if (field == NULL || update(f, field, value))
		display(f);
out:
	free_toks(t, n);
	return quit;
}

int
fix_run(const char *spool, const char *name, struct dbopts *o, int compat)
{
	struct fix f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int quit = 0;

	memset(&f, 0, sizeof(f));
	f.spool = spool;
	f.name = name;
	f.type = hdb_dbtype_from_name(name);
	f.o = o;
	f.compat = compat;
	f.prompt = compat || isatty(STDIN_FILENO);
	if (compat)
		printf("Modifying Exim hints database %s/db/%s\n", spool, name);
	for (;;) {
		if (f.prompt) {
			printf("> ");
			fflush(stdout);
		}
		if ((len = getline(&line, &cap, stdin)) == -1)
			break;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (memchr(line, '\0', (size_t)len) != NULL) {
			printf("NUL byte in input (write it as \\0 in "
			    "double quotes)\n");
			note(&f, EX_FINDINGS);
			continue;
		}
		if ((quit = command(&f, line)) != 0)
			break;
		fflush(stdout);
	}
	if (!quit && f.prompt)
		putchar('\n');
	free(line);
	free(f.key);
	if (finish_stdout(compat ? "exim_fixdb" : "fix") != 0)
		return compat ? 1 : EX_IOERR_;
	return compat ? 0 : f.ex;
}

static int
cmd_fix_main(int argc, char **argv)
{
	struct dbopts o;
	char path[PATH_MAX];
	int ch, ex, no_drop = 0;

	dbopts_init(&o);
	while ((ch = getopt_long(argc, argv, "z", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_HELP:
			return usage(stdout);
		case OPT_NO_DROP:
			no_drop = 1;
			break;
		default:
			if (ch == '?' || dbopts_parse(&o, ch, optarg,
			    "fix") != 0)
				return usage(stderr);
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		return usage(stderr);
	if (!db_name_ok(argv[1], "fix"))
		return EX_USAGE_;
	if ((ex = no_drop ? spool_pin(argv[0], "fix") :
	    priv_drop(argv[0], "fix")) != 0)
		return ex;
	snprintf(path, sizeof(path), "%s/db/%s", argv[0], argv[1]);
	if (o.backend == NULL && hdb_detect(path) == NULL &&
	    errno == ENOENT) {
		char *p = hdb_vis_dup(path, strlen(path));

		warnx("fix: no such database '%s'", p);
		free(p);
		return EX_NODB;
	}
	return fix_run(argv[0], argv[1], &o, 0);
}

const struct command cmd_fix_entry = {
	.name = "fix",
	.usage = FIX_USAGE,
	.summary = "show and change single records (exim_fixdb's commands)",
	.flags = CMD_F_WRITES,
	.main = cmd_fix_main,
	.longopts = longopts,
	.shortopts = "z",
};
