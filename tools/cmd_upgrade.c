/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_upgrade.c - make a spool readable by the Exim about to run on it.
 *
 * The target Exim itself says what it reads (`exim -bV`, exim.h): its
 * hints backend, its record layout (v2 from 4.100) and its TLS library.
 * Every DB in SPOOL/db that is not already in that backend and layout is
 * rewritten by the convert engine (rebuild.h), one DB at a time, each
 * atomically under Exim's write lock, owner and mode kept.  Stored TLS
 * sessions the target's library would refuse (another library, or a
 * GnuTLS of another version, formats doc §8.4) are dropped unless
 * --keep-sessions.  A target that uses no lockfiles (SQLite, tdb from
 * 4.99) gets the old lockfiles removed.
 *
 * It refuses to touch a spool an Exim is using (a live daemon pid file in
 * SPOOL, or a lock held on SPOOL/db/NAME.lockfile): the old Exim could not
 * read the new files, and would write to the old ones after the rename.
 * -n prints the plan and changes nothing.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "rec/convert.h"
#include "exim.h"
#include "forms.h"
#include "db/lock.h"
#include "db/pin.h"
#include "out.h"
#include "plan.h"
#include "priv.h"
#include "engine/catchup.h"
#include "engine/rebuild.h"
#include "engine/spool.h"
#include "xmalloc.h"

#define UPGRADE_USAGE "hintsdb upgrade [-nv] [--exim=PATH] " \
	"[--keep-sessions] [--lock-timeout=T] [--no-drop-privileges] SPOOL"

/* OPT_NO_DROP is rebuild.h's */
enum {
	OPT_EXIM = OPT_REBUILD_FREE,
	OPT_KEEP_SESSIONS,
};

static const struct option longopts[] = {
	{ "dry-run", no_argument, NULL, 'n' },
	{ "exim", required_argument, NULL, OPT_EXIM },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "keep-sessions", no_argument, NULL, OPT_KEEP_SESSIONS },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "no-drop-privileges", no_argument, NULL, OPT_NO_DROP },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

struct upopts {
	struct dbopts	 o;		/* --lock-timeout */
	const char	*exim;
	int		 dry_run;
	int		 verbose;
	int		 keep_sessions;
	int		 no_drop;
	struct exim_target t;
};

/* A record whose key is rewritten, written after the others. */
struct pend {
	uint8_t		*key, *val;
	size_t		 klen, vlen;
	enum form_id	 f;
};

/* What one DB's rewrite did. */
struct copyctx {
	struct hdb_writer *w;
	const struct upopts *u;
	enum hdb_dbtype	 type;
	size_t		 sessions;	/* dropped as dead */
	size_t		 dropped[FORM_NONE];	/* of a form never read */
	size_t		 rewritten;	/* keys put in the target's form */
	struct pend	*pend;
	size_t		 npend;
	struct keyset	 kept;		/* keys copied as they were */
	int		 failed;
};

/* The totals over the spool. */
struct totals {
	size_t		 dbs, todo, done, records, sessions, waits;
	size_t		 rekeyed, keysdropped, others;
	size_t		 lockfiles;
	int		 ex;
};

static int	usage(FILE *);
static int	parse(struct upopts *, int, char **);
static int	find_target(struct upopts *);
static int	refuse_if_used(const char *);
static void	print_plan(const struct db_plan *, const struct upopts *);
static void	print_unread(const struct db_plan *, const struct upopts *);
static void	dead_text(const struct db_plan *, const struct upopts *,
		    char *, size_t);
static int	copy_one(void *, struct hdb_datum, struct hdb_datum);
static int	upgrade_db(const char *, const struct db_plan *,
		    const struct upopts *, struct totals *);
static size_t	drop_lockfiles(const char *, const struct upopts *);
static int	upgrade(const char *, struct upopts *);

static int
usage(FILE *fp)
{
	return usage_of(fp, "upgrade", UPGRADE_USAGE);
}

/* parse - the command line into u; 0, -1 after --help, or an exit code. */
static int
parse(struct upopts *u, int argc, char **argv)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "nv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			u->dry_run = 1;
			break;
		case 'v':
			u->verbose = 1;
			break;
		case OPT_EXIM:
			u->exim = optarg;
			break;
		case OPT_HELP:
			return usage(stdout) == 0 ? -1 : EX_IOERR_;
		case OPT_KEEP_SESSIONS:
			u->keep_sessions = 1;
			break;
		case OPT_LOCK_TIMEOUT:
			if (dbopts_parse(&u->o, ch, optarg, "upgrade") != 0)
				return usage(stderr);
			break;
		case OPT_NO_DROP:
			u->no_drop = 1;
			break;
		default:
			return usage(stderr);
		}
	}
	return argc - optind == 1 ? 0 : usage(stderr);
}

/*
 * find_target - ask the target Exim (--exim, else exim4 or exim on PATH)
 * what it reads.  This runs before privileges are dropped: the program is
 * the administrator's choice, and a wrapper may need root (chroot).
 */
static int
find_target(struct upopts *u)
{
	char path[PATH_MAX], err[256], *p;

	if (u->exim == NULL) {
		if (exim_locate(path, sizeof(path)) == -1) {
			warnx("upgrade: no exim4 or exim on PATH: name the new "
			    "Exim with --exim=PATH");
			return EX_USAGE_;
		}
	} else
		snprintf(path, sizeof(path), "%s", u->exim);
	if (exim_probe(path, &u->t, err, sizeof(err)) == 0)
		return 0;
	p = hdb_vis_dup(path, strlen(path));
	warnx("upgrade: cannot tell what '%s' reads: %s", p, err);
	free(p);
	return EX_REFUSED;
}

/* refuse_if_used - EX_LOCKED, with how to stop it, if an Exim uses spool. */
static int
refuse_if_used(const char *spool)
{
	char how[PATH_MAX + 32], *p;
	long pid;

	if ((pid = spool_in_use(spool, how, sizeof(how))) == 0)
		return 0;
	p = hdb_vis_dup(how, strlen(how));
	warnx("upgrade: Exim (pid %ld, seen by %s) is using this spool: stop "
	    "it first (systemctl stop exim4, or kill %ld), then run upgrade "
	    "again", pid, p, pid);
	free(p);
	return EX_LOCKED;
}

/* dead_text - "3 sessions written by GnuTLS 3.8.9 (GnuTLS 3.8.13 ...)". */
static void
dead_text(const struct db_plan *p, const struct upopts *u, char *buf,
    size_t len)
{
	char w[96], lib[48];

	plan_writers_text(p, w, sizeof(w));
	if (u->t.tls == HDB_TLS_LIB_GNUTLS)
		snprintf(lib, sizeof(lib), "GnuTLS %s", u->t.tls_version);
	else
		snprintf(lib, sizeof(lib), "OpenSSL");
	snprintf(buf, len, "%zu session%s written by %s, which Exim's %s "
	    "cannot resume", p->dead_sessions, p->dead_sessions == 1 ? "" :
	    "s", w, lib);
}

/* print_plan - one line for the DB, as it is and what will happen. */
static void
print_plan(const struct db_plan *p, const struct upopts *u)
{
	char from[48], dead[256];
	size_t other = plan_other_layout(p, &u->t);

	plan_from_text(p, from, sizeof(from));
	hdb_out_vis(stdout, (const uint8_t *)p->name, strlen(p->name));
	if (!plan_needed(p, &u->t, u->keep_sessions)) {
		printf(": %s, %zu record%s: nothing to do", from, p->records,
		    p->records == 1 ? "" : "s");
		if (p->dead_sessions > 0) {
			dead_text(p, u, dead, sizeof(dead));
			printf(" (kept: %s)", dead);
		}
		putchar('\n');
		return;
	}
	printf(": %s -> %s%s %s, %zu record%s", from, u->t.be->name,
	    u->t.be == &hdb_backend_sqlite ? (u->t.oflags & HDB_O_SQLITE_TBL ?
	    "(tbl)" : "(tblblob)") : "", hdb_layout_name(u->t.layout),
	    p->records, p->records == 1 ? "" : "s");
	if (!u->keep_sessions)
		other -= p->dead_moved;
	other -= p->unread_moved;
	if (other > p->unknown)
		printf(", %zu re-encoded", other - p->unknown);
	if (p->unknown > 0 && plan_other_layout(p, &u->t) > p->unknown)
		printf(", %zu dropped (they do not decode)", p->unknown);
	if (p->dead_sessions > 0) {
		dead_text(p, u, dead, sizeof(dead));
		printf(", %s %s", u->keep_sessions ? "kept:" : "dropped:",
		    dead);
	}
	print_unread(p, u);
	putchar('\n');
}

/*
 * print_unread - ", rewritten: 2 host keys T:IP:IP:PORT (...) as
 * T:[IP]:IP:PORT, dropped: 3 records of 16-character message IDs (...),
 * which Exim 4.98.2 never reads" for the records of forms the target
 * never reads (forms.h).
 */
static void
print_unread(const struct db_plan *p, const struct upopts *u)
{
	const struct form *fi;
	size_t f, fix, drop;

	for (f = 0; f < FORM_NONE; f++) {
		fi = form_info((enum form_id)f);
		fix = p->fixable[f];
		drop = p->unread[f] - fix;
		if (fix > 0)
			printf(", rewritten: %zu %s as %s", fix,
			    fix == 1 ? fi->one : fi->what, fi->as);
		if (drop > 0)
			printf(", dropped: %zu %s, which Exim %s never reads",
			    drop, drop == 1 ? fi->one : fi->what,
			    u->t.version);
	}
}

/* put_one - key and val into the new DB; 0, or 2 to stop on an error. */
static int
put_one(struct copyctx *c, struct hdb_datum key, struct hdb_datum val)
{
	const char *why;
	int rc;

	rc = hdb_writer_put(c->w, key, val, &why);
	if (rc == HDB_ERR) {
		c->failed = 1;
		return 2;
	}
	if (rc == HDB_CONV_DROPPED || rc == HDB_CONV_REFUSED)
		rebuild_report("upgrade", key, rc, why);
	if (rc == HDB_CONV_REFUSED)
		c->failed = 1;
	return 0;
}

/*
 * copy_one - one record into the new DB (hdb_iter_fn), unless it is a
 * session the target cannot resume or of a form it never reads; a key it
 * would look up in another form is kept for put_rewritten.
 */
static int
copy_one(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct copyctx *c = ctx;
	struct hdb_rec r;
	struct pend *pe;
	const char *why;
	uint8_t nk[512];
	size_t n;
	enum form_id f;

	if ((f = form_of(c->type, key, val)) != FORM_NONE &&
	    !form_read_by(f, c->u->t.vnum)) {
		if ((n = form_rewrite(f, key, nk, sizeof(nk))) == 0) {
			c->dropped[f]++;
			return 0;
		}
		c->pend = xreallocarray(c->pend, c->npend + 1,
		    sizeof(*c->pend));
		pe = &c->pend[c->npend++];
		pe->key = xmalloc(n);
		memcpy(pe->key, nk, n);
		pe->klen = n;
		pe->val = xmalloc(val.len ? val.len : 1);
		memcpy(pe->val, val.data, val.len);
		pe->vlen = val.len;
		pe->f = f;
		return 0;
	}
	if (c->type == HDB_T_TLS && !c->u->keep_sessions &&
	    hdb_rec_decode(HDB_T_TLS, HDB_L_AUTO, key.data, key.len, val.data,
	    val.len, &r, &why) == 0 && session_dead(&c->u->t,
	    r.u.tls.payload, r.u.tls.payload_len, NULL, 0)) {
		c->sessions++;
		return 0;
	}
	keyset_add(&c->kept, key);
	return put_one(c, key, val);
}

/*
 * put_rewritten - the records whose keys were rewritten, after the rest:
 * where the target's own record under the new key is there too, it is
 * the newer and stays, and the rewritten one is dropped.
 */
static void
put_rewritten(struct copyctx *c)
{
	struct hdb_datum k, v;
	size_t i;

	keyset_seal(&c->kept);
	for (i = 0; i < c->npend; i++) {
		k.data = c->pend[i].key;
		k.len = c->pend[i].klen;
		v.data = c->pend[i].val;
		v.len = c->pend[i].vlen;
		if (c->failed || keyset_has(&c->kept, k))
			c->dropped[c->pend[i].f]++;
		else if (put_one(c, k, v) == 0)
			c->rewritten++;
	}
}

static void
copy_free(struct copyctx *c)
{
	size_t i;

	for (i = 0; i < c->npend; i++) {
		free(c->pend[i].key);
		free(c->pend[i].val);
	}
	free(c->pend);
	keyset_free(&c->kept);
}

/*
 * upgrade_db - rewrite one DB for the target: the write lock first (the
 * DB's own lockfile; created if missing, so a hintsdb run or an old Exim
 * is kept out), then the old DB read and the new one renamed over it.
 * Returns 0, EX_FINDINGS (records dropped) or an EX_* error.
 */
static int
upgrade_db(const char *spool, const struct db_plan *p,
    const struct upopts *u, struct totals *tot)
{
	const struct hdb_convert_stats *st;
	struct rebuild_spec sp;
	struct rebuild rb;
	struct copyctx c;
	struct hdb *src = NULL;
	char path[PATH_MAX], why[256], *n;
	int ex, rc;

	memset(&sp, 0, sizeof(sp));
	sp.be = u->t.be;
	sp.oflags = u->t.oflags;
	sp.type = hdb_dbtype_from_name(p->name);
	sp.layout = u->t.layout;
	sp.drop_bad = 1;
	sp.lock_timeout_ms = u->o.lock_timeout_ms;
	memset(&c, 0, sizeof(c));
	n = hdb_vis_dup(p->name, strlen(p->name));
	if ((ex = rebuild_begin(&rb, "upgrade", spool, p->name, &sp)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/db/%s", spool, p->name);
	if ((src = hdb_open(p->from, path, HDB_O_RDONLY, 0, why,
	    sizeof(why))) == NULL) {
		warnx("upgrade: cannot open '%s': %s", n, why);
		ex = EX_IOERR_;
		goto out;
	}
	c.w = rb.w;
	c.u = u;
	c.type = sp.type;
	rc = hdb_iterate(src, copy_one, &c);
	if (rc != HDB_ERR)
		put_rewritten(&c);
	if (rc == HDB_ERR || c.failed) {
		warnx("upgrade: '%s' left as it was: %s", n, rc == HDB_ERR ?
		    hdb_error(src) : *hdb_writer_error(rb.w) ?
		    hdb_writer_error(rb.w) : "records could not be converted");
		ex = rc == HDB_ERR || *hdb_writer_error(rb.w) ? EX_IOERR_ :
		    EX_REFUSED;
		goto out;
	}
	hdb_close(src);
	src = NULL;
	if ((ex = rebuild_commit(&rb)) != 0)
		goto out;
	/* the target does not lock: a lockfile left would only mislead */
	if (!u->t.lockfiles) {
		if (hdb_pin_unlink(rb.lockpath) == 0)
			tot->lockfiles++;
		else if (errno != ENOENT)
			warn("upgrade: cannot remove '%s.lockfile'", n);
	}
	st = hdb_writer_stats(rb.w);
	tot->done++;
	tot->records += st->kept + st->reencoded;
	tot->sessions += c.sessions + c.dropped[FORM_TLS_IP] +
	    c.dropped[FORM_TLS_HASH];
	tot->waits += c.dropped[FORM_WAIT_16] + c.dropped[FORM_WAIT_23];
	tot->rekeyed += c.rewritten;
	tot->keysdropped += c.dropped[FORM_RETRY_BARE] +
	    c.dropped[FORM_RETRY_BRACKET];
	tot->others += c.dropped[FORM_ETRN_ARG] + c.dropped[FORM_ETRN_MD5];
	ex = st->dropped > 0 ? EX_FINDINGS : 0;
out:
	copy_free(&c);
	hdb_close(src);
	rebuild_end(&rb);
	free(n);
	return ex;
}

/*
 * drop_lockfiles - remove SPOOL/db/NAME.lockfile for every hints DB name
 * whose DB is now of the target's backend or absent, when the target uses
 * no lockfiles.  Returns how many were (or, with -n, would be) removed.
 */
static size_t
drop_lockfiles(const char *spool, const struct upopts *u)
{
	char dir[PATH_MAX], path[PATH_MAX], name[PATH_MAX];
	struct dirent *e;
	const struct hdb_backend *be;
	size_t l, count = 0;
	DIR *d;
	int fd;

	if (u->t.lockfiles)
		return 0;
	snprintf(dir, sizeof(dir), "%s/db", spool);
	/* read and unlinked through the pinned SPOOL/db, never by path */
	if ((fd = hdb_pin_dirfd(dir)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (l <= 9 || strcmp(e->d_name + l - 9, ".lockfile") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(l - 9), e->d_name);
		if (hdb_dbtype_from_name(name) == HDB_T_UNKNOWN)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		    sizeof(path))
			continue;
		/* with -n, the DBs are not converted yet */
		be = hdb_detect(path);
		if (!u->dry_run && (be != NULL ? be != u->t.be :
		    errno != ENOENT))
			continue;
		if (u->dry_run || unlinkat(dirfd(d), e->d_name, 0) == 0)
			count++;
		else
			warn("upgrade: cannot remove a lockfile");
	}
	closedir(d);
	return count;
}

static int
upgrade(const char *spool, struct upopts *u)
{
	struct totals tot;
	struct db_plan *plans;
	char **names, desc[256], *p;
	size_t i, n;
	int ex;

	memset(&tot, 0, sizeof(tot));
	if ((ex = spool_pin(spool, "upgrade")) != 0)
		return ex;
	if (spool_dbs(spool, &names, &n) == -1) {
		p = hdb_vis_dup(spool, strlen(spool));
		warn("upgrade: cannot read '%s/db'", p);
		free(p);
		return EX_NODB;
	}
	exim_describe(&u->t, desc, sizeof(desc));
	if (u->dry_run || u->verbose)
		printf("target: %s\n", desc);
	plans = xreallocarray(NULL, n ? n : 1, sizeof(*plans));
	for (i = 0; i < n; i++) {
		ex = plan_db("upgrade", spool, names[i], &u->t,
		    u->o.lock_timeout_ms, &plans[i]);
		if (ex != 0) {
			tot.ex = tot.ex ? tot.ex : ex;
			continue;
		}
		tot.dbs++;
		if (plan_needed(&plans[i], &u->t, u->keep_sessions)) {
			tot.todo++;
			tot.records += plans[i].records;
			if (!u->keep_sessions)
				tot.sessions += plans[i].dead_sessions;
			tot.sessions += plans[i].unread[FORM_TLS_IP] +
			    plans[i].unread[FORM_TLS_HASH];
			tot.waits += plans[i].unread[FORM_WAIT_16] +
			    plans[i].unread[FORM_WAIT_23];
			tot.rekeyed += plans[i].fixable[FORM_RETRY_BARE] +
			    plans[i].fixable[FORM_RETRY_BRACKET];
			tot.keysdropped += plans[i].unread[FORM_RETRY_BARE] +
			    plans[i].unread[FORM_RETRY_BRACKET] -
			    plans[i].fixable[FORM_RETRY_BARE] -
			    plans[i].fixable[FORM_RETRY_BRACKET];
			tot.others += plans[i].unread[FORM_ETRN_ARG] +
			    plans[i].unread[FORM_ETRN_MD5];
		}
		if (u->dry_run || u->verbose)
			print_plan(&plans[i], u);
	}
	if (!u->dry_run)
		tot.sessions = tot.records = tot.waits = tot.rekeyed =
		    tot.keysdropped = tot.others = 0;
	for (i = 0; i < n && !u->dry_run; i++) {
		if (!plan_needed(&plans[i], &u->t, u->keep_sessions))
			continue;
		if (!u->verbose)
			print_plan(&plans[i], u);
		ex = upgrade_db(spool, &plans[i], u, &tot);
		if (ex != 0 && (tot.ex == 0 || tot.ex == EX_FINDINGS))
			tot.ex = ex;
	}
	tot.lockfiles += drop_lockfiles(spool, u);
	if (tot.lockfiles > 0)
		printf("lockfiles: %zu %s (Exim %s with %s uses none)\n",
		    tot.lockfiles, u->dry_run ? "to remove" : "removed",
		    u->t.version, exim_backend_label(u->t.be));
	if (u->dry_run)
		printf("plan: %zu of %zu databases to convert for Exim %s, "
		    "%zu records, %zu sessions and %zu wait records to drop",
		    tot.todo, tot.dbs, u->t.version, tot.records,
		    tot.sessions, tot.waits);
	else
		printf("upgrade: %zu of %zu databases converted for Exim %s, "
		    "%zu records written, %zu sessions and %zu wait records "
		    "dropped", tot.done, tot.dbs, u->t.version, tot.records,
		    tot.sessions, tot.waits);
	if (tot.rekeyed + tot.keysdropped > 0)
		printf(", %zu retry key%s %s", tot.rekeyed,
		    tot.rekeyed == 1 ? "" : "s", u->dry_run ? "to rewrite" :
		    "rewritten");
	if (tot.keysdropped > 0)
		printf(" and %zu %s", tot.keysdropped, u->dry_run ?
		    "to drop" : "dropped");
	if (tot.others > 0)
		printf(", %zu ETRN record%s %s", tot.others,
		    tot.others == 1 ? "" : "s", u->dry_run ? "to drop" :
		    "dropped");
	printf(u->dry_run ? "; nothing changed\n" : "\n");
	free(plans);
	spool_dbs_free(names, n);
	return tot.ex;
}

static int
cmd_upgrade_main(int argc, char **argv)
{
	struct upopts u;
	int ex, fx;

	memset(&u, 0, sizeof(u));
	dbopts_init(&u.o);
	if ((ex = parse(&u, argc, argv)) != 0)
		return ex == -1 ? 0 : ex;
	argv += optind;
	if ((ex = find_target(&u)) != 0)
		return ex;
	if (!u.no_drop && (ex = priv_drop(argv[0], "upgrade")) != 0)
		return ex;
	if ((ex = refuse_if_used(argv[0])) != 0 && !u.dry_run)
		return ex;
	ex = upgrade(argv[0], &u);
	fx = finish_stdout("upgrade");
	return fx != 0 ? fx : ex;
}

const struct command cmd_upgrade_entry = {
	.name = "upgrade",
	.usage = UPGRADE_USAGE,
	.summary = "convert a spool for the Exim that will read it",
	.flags = CMD_F_WRITES,
	.main = cmd_upgrade_main,
	.longopts = longopts,
	.shortopts = "nv",
};
