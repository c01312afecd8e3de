/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * argcheck.c - a command line checked before the command runs, so that a
 * mistake gets one message that names it (and what was likely meant),
 * not getopt's own words followed by a usage line and a second guess.
 *
 * The operands are read from the command's usage line: "DBNAME..." takes
 * several DB names, "SPOOL [DBNAME" makes them optional, a long option
 * named "all" stands for every DB, and "file" for a DB outside a spool.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "out.h"
#include "spooldef.h"
#include "xmalloc.h"
#include "engine/spool.h"

/* The DB names every spool may have, beside its wait-<transport>. */
static const char *const std_dbs[] = {
	"callout", "misc", "ratelimit", "retry", "seen", "tls",
};
#define NSTD	(sizeof(std_dbs) / sizeof(std_dbs[0]))

/* distance - optimal string alignment distance of a and b (a swap of two
 * neighbours is one edit: "dupm" is one from "dump"), at most 99. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[34][34], v;

	if (la > 32 || lb > 32)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

const char *
nearest(const char *word, const char *const *names, size_t n)
{
	size_t i, d, best = 99, len = strlen(word);
	const char *found = NULL;

	for (i = 0; i < n; i++)
		if ((d = distance(word, names[i])) < best) {
			best = d;
			found = names[i];
		}
	/* one edit in a short word, two in a longer one: beyond that a
	 * guess is more often wrong than right */
	if (found == NULL || best == 0 || best > (len >= 6 ? 2u : 1u) ||
	    best >= len)
		return NULL;
	return found;
}

const char *
did_you_mean(char *buf, size_t len, const char *pre, const char *word,
    const char *const *names, size_t n)
{
	const char *s = nearest(word, names, n);

	buf[0] = '\0';
	if (s != NULL)
		snprintf(buf, len, "; did you mean '%s%s'?", pre, s);
	return buf;
}

/* say - "hintsdb: CMD: " and the message, on stderr.  Arguments that
 * came from the command line are vis-encoded by the caller. */
static void __attribute__((format(printf, 2, 3)))
say(const struct command *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", progname, c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* vis - a command-line word made safe to print; a static buffer each of
 * 4, reused in turn (a message quotes at most 3). */
static const char *
vis(const char *s)
{
	static char *buf[4];
	static int i;
	char *p = hdb_vis_dup(s, strlen(s));

	i = (i + 1) % 4;
	free(buf[i]);
	return buf[i] = p;
}

int
usage_short(const char *usage)
{
	const char *p = usage, *q;
	int depth, folded = 0;

	fputs("usage: ", stderr);
	while (*p != '\0') {
		if (p[0] == '[' && p[1] == '-') {
			for (q = p, depth = 0; *q != '\0'; q++)
				if (*q == '[')
					depth++;
				else if (*q == ']' && --depth == 0)
					break;
			if (!folded)
				fputs("[OPTION...]", stderr);
			folded = 1;
			p = *q != '\0' ? q + 1 : q;
			if (*p == ' ' && folded)
				p++;
			continue;
		}
		if (folded == 1 && p[-1] == ' ')
			folded = 2, fputc(' ', stderr);
		fputc(*p++, stderr);
	}
	fputc('\n', stderr);
	return EX_USAGE_;
}

int
usage_of(FILE *fp, const char *cmd, const char *usage)
{
	if (fp == stderr)
		return usage_short(usage);
	fprintf(fp, "usage: %s\n", usage);
	return fp == stdout ? finish_stdout(cmd) : EX_USAGE_;
}

static char *
word_dup(const char *s, size_t len)
{
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* long_names - the long option names of lo (but help), into a new array */
static size_t
long_names(const struct option *lo, const char ***out)
{
	size_t n = 0;

	*out = NULL;
	for (; lo != NULL && lo->name != NULL; lo++) {
		if (strcmp(lo->name, "help") == 0)
			continue;
		*out = xreallocarray(*out, n + 1, sizeof(**out));
		(*out)[n++] = lo->name;
	}
	return n;
}

static const struct option *
long_find(const struct option *lo, const char *name, size_t len)
{
	for (; lo != NULL && lo->name != NULL; lo++)
		if (strlen(lo->name) == len && strncmp(lo->name, name, len) == 0)
			return lo;
	return NULL;
}

/* elsewhere - "dump, delete and tidy", the commands that have --name */
static int
elsewhere(const struct command *const *all, const char *name, size_t len,
    char *buf, size_t buflen)
{
	size_t off = 0, k = 0, i, n = 0;

	for (i = 0; all[i] != NULL; i++)
		n += long_find(all[i]->longopts, name, len) != NULL;
	buf[0] = '\0';
	for (i = 0; all[i] != NULL && off < buflen; i++)
		if (long_find(all[i]->longopts, name, len) != NULL)
			off += (size_t)snprintf(buf + off, buflen - off, "%s%s",
			    k++ == 0 ? "" : k == n ? " and " : ", ",
			    all[i]->name);
	return n > 0;
}

/* bad_long - an unknown, ambiguous or misused --option */
static void
bad_long(const struct command *c, const struct command *const *all,
    const char *arg, int ch)
{
	const char *name = arg + 2, **names, *m;
	size_t len = strcspn(name, "="), n, i, hits = 0;
	const struct option *lo = long_find(c->longopts, name, len);
	char *word = word_dup(name, len), other[160], amb[300];

	n = long_names(c->longopts, &names);
	amb[0] = '\0';
	for (i = 0; i < n && len > 0; i++)
		if (strncmp(names[i], name, len) == 0) {
			size_t off = strlen(amb);

			snprintf(amb + off, sizeof(amb) - off, "%s--%s",
			    hits++ ? ", " : "", names[i]);
		}
	if (lo == NULL && hits == 1)	/* an unambiguous prefix */
		for (i = 0; i < n; i++)
			if (strncmp(names[i], name, len) == 0)
				lo = long_find(c->longopts, names[i],
				    strlen(names[i]));
	if (lo != NULL && ch == ':')
		say(c, "option '--%s' needs a value (--%s=VALUE)", lo->name,
		    lo->name);
	else if (lo != NULL)
		say(c, "option '--%s' takes no value", lo->name);
	else if (hits > 1)
		say(c, "option '--%s' is ambiguous: %s", vis(word), amb);
	else if ((m = nearest(word, names, n)) != NULL)
		say(c, "unknown option '--%s'; did you mean '--%s%s'?",
		    vis(name), m, name[len] == '=' ? vis(name + len) : "");
	else if (elsewhere(all, name, len, other, sizeof(other)))
		say(c, "--%s is not an option of %s (%s %s it)", vis(word),
		    c->name, other, strchr(other, ' ') ? "take" : "takes");
	else {
		say(c, "unknown option '--%s'", vis(word));
		usage_short(c->usage);
	}
	free(names);
	free(word);
}

/* bad_short - an unknown short option, or one without its value; arg is
 * the word it came in.  "-format=json" is --format=json mistyped. */
static void
bad_short(const struct command *c, const char *arg, int ch, int opt)
{
	const char **names, *m = NULL;
	char *word;
	size_t n;

	n = long_names(c->longopts, &names);
	if (arg != NULL && arg[0] == '-' && arg[1] != '-' &&
	    strcspn(arg + 1, "=") > 2) {
		word = word_dup(arg + 1, strcspn(arg + 1, "="));
		if ((m = nearest(word, names, n)) == NULL &&
		    long_find(c->longopts, word, strlen(word)) != NULL)
			m = word;
		if (m != NULL)
			say(c, "unknown option '%s'; did you mean '--%s%s'?",
			    vis(arg), m, vis(arg + 1 + strlen(word)));
		free(word);
	}
	if (m == NULL && ch == ':')
		say(c, "option '-%c' needs a value", opt);
	else if (m == NULL) {
		say(c, "unknown option '-%s'", vis((char[2]){ (char)opt, 0 }));
		usage_short(c->usage);
	}
	free(names);
}

/* short_word - the word a short option letter came in */
static const char *
short_word(int argc, char **argv, int opt)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (argv[i][0] == '-' && argv[i][1] != '-' &&
		    strchr(argv[i] + 1, opt) != NULL)
			return argv[i];
	return NULL;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* looks_like_db_dir - a directory of hints files (lockfiles, a DB name)
 * with no db/ under it: SPOOL/db given where SPOOL was meant. */
static int
looks_like_db_dir(const char *path)
{
	char sub[PATH_MAX], *p;
	struct dirent *e;
	DIR *d;
	int hits = 0;

	if ((size_t)snprintf(sub, sizeof(sub), "%s/db", path) >= sizeof(sub) ||
	    is_dir(sub) || (d = opendir(path)) == NULL)
		return 0;
	while (!hits && (e = readdir(d)) != NULL) {
		if ((p = strstr(e->d_name, ".lockfile")) != NULL && p[9] == '\0')
			hits = 1;
		else if (hdb_dbtype_from_name(e->d_name) != HDB_T_UNKNOWN)
			hits = 1;
	}
	closedir(d);
	return hits;
}

/* The DBs a spool has, for suggestions and "databases here". */
struct here {
	char	**names;
	size_t	  n;
	int	  known;	/* SPOOL/db could be read */
	char	  list[512];
};

static void
here_read(struct here *h, const char *spool)
{
	size_t i, off = 0;

	memset(h, 0, sizeof(*h));
	spool_dbs_quiet = 1;	/* the command warns, once */
	i = (size_t)spool_dbs(spool, &h->names, &h->n);
	spool_dbs_quiet = 0;
	if (i != 0)
		return;
	h->known = 1;
	for (i = 0; i < h->n && off < sizeof(h->list); i++)
		off += (size_t)snprintf(h->list + off, sizeof(h->list) - off,
		    "%s%s", i ? ", " : "", h->names[i]);
	if (off >= sizeof(h->list))
		memcpy(h->list + sizeof(h->list) - 4, "...", 4);
}

static int
here_has(const struct here *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->names[i], name) == 0)
			return 1;
	return 0;
}

/* here_near - the DB name nearest name: of those in the spool, then of
 * the names every spool may have */
static const char *
here_near(const struct here *h, const char *name)
{
	const char *m = nearest(name, (const char *const *)h->names, h->n);

	return m != NULL ? m : nearest(name, std_dbs, NSTD);
}

/* The shape of a command's operands, from its usage line. */
struct shape {
	int	dbs;		/* 0: SPOOL alone, 1: one DBNAME, 2: several */
	int	optional;	/* DBNAMEs may be left out */
	int	has_all;	/* takes --all */
	int	creates;	/* may make the DB (import) */
	int	targets;	/* SPOOL TARGET...: destinations, not DBs */
};

static int
check_dbname(const struct command *c, const struct here *h,
    const char *spool, const char *name, int creates, int several)
{
	const char *m = here_near(h, name);

	if (!db_name_plain(name) || strlen(name) > 205 ||
	    hdb_dbtype_from_name(name) == HDB_T_UNKNOWN) {
		if (m != NULL)
			say(c, "unknown database '%s'; did you mean '%s'?",
			    vis(name), m);
		else
			say(c, "unknown database '%s' (%s)", vis(name),
			    h->n > 0 ? h->list : "retry, misc, "
			    "wait-<transport>, callout, ratelimit, seen, tls");
		return EX_USAGE_;
	}
	/* several DBs: each is reported in its turn (tidy goes on to the
	 * next); none at all: the command says which file is missing */
	if (creates || several || !h->known || h->n == 0 ||
	    here_has(h, name))
		return 0;
	if (m != NULL && here_has(h, m))
		say(c, "no database '%s' in '%s/db'; did you mean '%s'?",
		    vis(name), vis(spool), m);
	else
		say(c, "no database '%s' in '%s/db'; databases there: %s",
		    vis(name), vis(spool), h->list);
	return EX_NODB;
}

/* check_spool - SPOOL, when it is not a directory */
static int
check_spool(const struct command *c, char **ops, int n, int has_file)
{
	struct stat st;
	char parent[PATH_MAX];

	if (stat(ops[0], &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!looks_like_db_dir(ops[0]))
			return 0;
		snprintf(parent, sizeof(parent), "%s", ops[0]);
		say(c, "'%s' is a DB directory, not a spool; did you mean "
		    "'%s'?", vis(ops[0]), vis(dirname(parent)));
		return EX_NODB;
	}
	if (stat(ops[0], &st) == 0) {
		say(c, "SPOOL '%s' is not a directory%s", vis(ops[0]),
		    has_file ? " (a DB outside a spool: --file=PATH "
		    "--type=TYPE)" : "");
		return EX_USAGE_;
	}
	if (errno != ENOENT && errno != ENOTDIR)
		return 0;	/* the command says why it cannot look */
	if (hdb_dbtype_from_name(ops[0]) != HDB_T_UNKNOWN &&
	    db_name_plain(ops[0])) {
		if (n >= 2 && is_dir(ops[1]))
			say(c, "SPOOL comes first: did you mean 'hintsdb %s "
			    "%s %s'?", c->name, vis(ops[1]), vis(ops[0]));
		else {
			say(c, "missing SPOOL before DBNAME '%s'",
			    vis(ops[0]));
			usage_short(c->usage);
		}
		return EX_USAGE_;
	}
	say(c, "no spool directory '%s'", vis(ops[0]));
	return EX_NODB;
}

static int
check_operands(const struct command *c, const struct shape *s, int all,
    int has_file, char **ops, int n)
{
	struct here h;
	int ex = 0, i;

	if (n == 0) {
		say(c, "missing SPOOL%s", s->targets ? " and TARGET" :
		    s->dbs == 0 || s->optional || all ? "" : " and DBNAME");
		return usage_short(c->usage);
	}
	if (s->targets) {
		if (n > 1)
			return check_spool(c, ops, n, has_file);
		say(c, "missing TARGET (a domain, address, host, IP or "
		    "message ID)");
		return usage_short(c->usage);
	}
	if (s->dbs == 0 && n > 1) {
		say(c, "%s takes one operand, SPOOL ('%s' is one too many)",
		    c->name, vis(ops[1]));
		return EX_USAGE_;
	}
	if ((ex = check_spool(c, ops, n, has_file)) != 0)
		return ex;
	if (s->dbs == 0)
		return 0;
	if (all && n > 1) {
		say(c, "--all or DBNAME, not both ('%s' given)", vis(ops[1]));
		return EX_USAGE_;
	}
	here_read(&h, ops[0]);
	if (!all && n == 1 && !s->optional) {
		if (h.n > 0)
			say(c, "missing DBNAME%s; databases in '%s/db': %s",
			    s->has_all ? " (or --all)" : "", vis(ops[0]),
			    h.list);
		else
			say(c, "missing DBNAME%s", s->has_all ?
			    " (or --all)" : "");
		ex = EX_USAGE_;
	}
	for (i = 1; ex == 0 && i < (s->dbs == 2 ? n : 2) && i < n; i++)
		ex = check_dbname(c, &h, ops[0], ops[i], s->creates,
		    s->dbs == 2);
	spool_dbs_free(h.names, h.n);
	return ex;
}

static void
shape_of(const struct command *c, struct shape *s)
{
	memset(s, 0, sizeof(*s));
	s->dbs = strstr(c->usage, "DBNAME...") ? 2 :
	    strstr(c->usage, "DBNAME") ? 1 : 0;
	s->optional = strstr(c->usage, "SPOOL [DBNAME") != NULL;
	s->has_all = long_find(c->longopts, "all", 3) != NULL;
	s->creates = strstr(c->usage, "< FILE") != NULL;
	s->targets = strstr(c->usage, "TARGET...") != NULL;
}

/* spool_left_out - whether SPOOL was left out, unambiguously: no
 * operands where SPOOL alone will do, or a DB name first that is nothing
 * in the current directory (and no SPOOL after it, swapped) */
static int
spool_left_out(const struct shape *s, int all, char **ops, int n)
{
	struct stat st;

	if (s->targets)
		return 0;
	if (n == 0)
		return s->dbs == 0 || s->optional || all;
	if (!db_name_plain(ops[0]) || hdb_dbtype_from_name(ops[0]) ==
	    HDB_T_UNKNOWN || stat(ops[0], &st) == 0 || errno != ENOENT)
		return 0;
	return !(n >= 2 && is_dir(ops[1]));
}

/* with_spool - argv with spool put before its first operand (at i) */
static char **
with_spool(int *argc, char **argv, int i, const char *spool)
{
	static char **made;
	static char *path;
	int j;

	free(made);
	free(path);
	path = xstrdup(spool);
	made = xreallocarray(NULL, (size_t)*argc + 2, sizeof(*made));
	for (j = 0; j < i; j++)
		made[j] = argv[j];
	made[i] = path;
	for (j = i; j < *argc; j++)
		made[j + 1] = argv[j];
	made[++*argc] = NULL;
	return made;
}

int
argcheck(const struct command *c, const struct command *const *all,
    int *argcp, char ***argvp)
{
	int argc = *argcp;
	char **argv = *argvp, spool[PATH_MAX], why[PATH_MAX + 64];
	const struct option *lo_all, *lo_file;
	char optstr[64], *ops[256];
	int ch, ex = 0, n = 0, seen_all = 0, seen_file = 0, i;
	struct shape s;

	if (c->shortopts == NULL)
		return 0;
	lo_all = long_find(c->longopts, "all", 3);
	lo_file = long_find(c->longopts, "file", 4);
	snprintf(optstr, sizeof(optstr), ":%s", c->shortopts);
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, optstr, c->longopts,
	    NULL)) != -1) {
		if (ch != '?' && ch != ':') {
			seen_all |= lo_all != NULL && ch == lo_all->val;
			seen_file |= lo_file != NULL && ch == lo_file->val;
			continue;
		}
		if (optind > 0 && optind <= argc &&
		    strncmp(argv[optind - 1], "--", 2) == 0 &&
		    argv[optind - 1][2] != '\0' &&
		    (optopt == 0 || long_find(c->longopts, argv[optind - 1] +
		    2, strcspn(argv[optind - 1] + 2, "=")) != NULL ||
		    ch == ':'))
			bad_long(c, all, argv[optind - 1], ch);
		else
			bad_short(c, short_word(argc, argv, optopt), ch,
			    optopt);
		ex = EX_USAGE_;
		break;
	}
	for (i = optind; ex == 0 && i < argc && n < 255; i++)
		ops[n++] = argv[i];
	shape_of(c, &s);
	if (ex != 0 || seen_file || strstr(c->usage, "SPOOL") == NULL ||
	    strstr(c->usage, "FILE...") != NULL) {
		optind = 0;
		return ex;
	}
	if (spool_left_out(&s, seen_all, ops, n)) {
		if (spool_default(spool, sizeof(spool), why, sizeof(why)) == 0) {
			memmove(ops + 1, ops, (size_t)n * sizeof(*ops));
			*argvp = argv = with_spool(argcp, argv, optind, spool);
			ops[0] = argv[optind];
			n++;
		} else {
			if (n == 0)
				say(c, "missing SPOOL (%s)", why);
			else
				say(c, "missing SPOOL before DBNAME '%s' (%s)",
				    vis(ops[0]), why);
			optind = 0;
			return usage_short(c->usage);
		}
	}
	ex = check_operands(c, &s, seen_all, lo_file != NULL, ops, n);
	optind = 0;
	return ex;
}
