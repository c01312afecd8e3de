/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan.c - what an installed Exim can use of a spool (plan.h).
 *
 * Counting only looks at headers and the first bytes of TLS payloads, so
 * the read lock is held for one pass over the keys and values and nothing
 * is printed while it is held.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "rec/convert.h"
#include "out.h"
#include "plan.h"
#include "tls/tls.h"
#include "xmalloc.h"

struct countctx {
	struct db_plan	*p;
	const struct exim_target *t;
	enum hdb_dbtype	 type;
};

static int	count_one(void *, struct hdb_datum, struct hdb_datum);
static void	add_writer(struct db_plan *, const char *);
static long	live_exim(long);
static long	pidfile_pid(const char *, const char *);
static long	lock_holder(const char *);
static size_t	report_unread(const struct db_plan *,
		    const struct exim_target *);
static void	names_text(char *, size_t, char **, const unsigned char *,
		    size_t, size_t);

int
session_dead(const struct exim_target *t, const uint8_t *payload,
    size_t len, char *writer, size_t wlen)
{
	enum hdb_tls_lib lib = hdb_tls_sniff(payload, len);
	char v[16];
	uint32_t magic;
	long want;

	if (writer != NULL && wlen > 0)
		*writer = '\0';
	if (lib == HDB_TLS_LIB_OPENSSL) {
		if (writer != NULL)
			snprintf(writer, wlen, "OpenSSL");
		return t->tls == HDB_TLS_LIB_GNUTLS;
	}
	if (lib != HDB_TLS_LIB_GNUTLS && lib != HDB_TLS_LIB_GNUTLS_NO_TICKET)
		return 0;
	if (t->tls == HDB_TLS_LIB_OPENSSL) {
		if (writer != NULL)
			snprintf(writer, wlen, "GnuTLS");
		return 1;
	}
	if (lib != HDB_TLS_LIB_GNUTLS || len < 4)
		return 0;
	magic = (uint32_t)payload[0] << 24 | (uint32_t)payload[1] << 16 |
	    (uint32_t)payload[2] << 8 | payload[3];
	magic -= HDB_GNUTLS_MAGIC_BASE;
	snprintf(v, sizeof(v), "%u.%u.%u", magic >> 16, magic >> 8 & 0xff,
	    magic & 0xff);
	if (writer != NULL)
		snprintf(writer, wlen, "%s", v);
	if (t->tls != HDB_TLS_LIB_GNUTLS || t->tls_version[0] == '\0')
		return 0;
	want = hdb_tls_parse_version(t->tls_version);
	return want > 0 && (uint32_t)want != magic;
}

size_t
plan_unread(const struct db_plan *p)
{
	size_t i, n = 0;

	for (i = 0; i < FORM_NONE; i++)
		n += p->unread[i];
	return n;
}

static void
add_writer(struct db_plan *p, const char *w)
{
	size_t i;

	for (i = 0; i < p->nwriters; i++)
		if (strcmp(p->writers[i], w) == 0)
			return;
	if (p->nwriters < PLAN_WRITERS)
		snprintf(p->writers[p->nwriters++], sizeof(p->writers[0]),
		    "%s", w);
}

/* count_one - one record into the plan (hdb_iter_fn). */
static int
count_one(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct countctx *c = ctx;
	struct db_plan *p = c->p;
	struct hdb_rec r;
	const char *why;
	char w[16];
	uint8_t nk[512];
	enum form_id f;

	p->records++;
	switch (hdb_rec_layout(val.data, val.len)) {
	case HDB_L_LEGACY:
		p->legacy++;
		break;
	case HDB_L_V2:
		p->v2++;
		break;
	default:
		p->unknown++;
		return 0;
	}
	if ((f = form_of(c->type, key, val)) != FORM_NONE &&
	    !form_read_by(f, c->t->vnum)) {
		p->unread[f]++;
		if (form_rewrite(f, key, nk, sizeof(nk)) > 0)
			p->fixable[f]++;
		else if (hdb_rec_layout(val.data, val.len) != c->t->layout)
			p->unread_moved++;
		return 0;
	}
	if (c->type != HDB_T_TLS || hdb_rec_decode(HDB_T_TLS, HDB_L_AUTO,
	    key.data, key.len, val.data, val.len, &r, &why) != 0)
		return 0;
	if (session_dead(c->t, r.u.tls.payload, r.u.tls.payload_len, w,
	    sizeof(w))) {
		p->dead_sessions++;
		if (hdb_rec_layout(val.data, val.len) != c->t->layout)
			p->dead_moved++;
		if (hdb_tls_sniff(r.u.tls.payload, r.u.tls.payload_len) ==
		    HDB_TLS_LIB_OPENSSL || c->t->tls == HDB_TLS_LIB_OPENSSL)
			p->other_lib++;
		add_writer(p, w);
	}
	return 0;
}

int
plan_db(const char *cmd, const char *spool, const char *name,
    const struct exim_target *t, long lock_timeout_ms, struct db_plan *p)
{
	struct countctx c;
	struct dbopts o;
	struct dbh d;
	int ex;

	memset(p, 0, sizeof(*p));
	p->name = name;
	dbopts_init(&o);
	o.lock_timeout_ms = lock_timeout_ms;
	if ((ex = db_open(&d, spool, name, 0, &o, cmd)) != 0) {
		p->err = ex;
		return ex;
	}
	c.p = p;
	c.t = t;
	c.type = d.type;
	p->from = d.h->be;
	if (p->from == &hdb_backend_sqlite)
		p->from_oflags = hdb_sqlite_flags(d.path);
	if (hdb_iterate(d.h, count_one, &c) == HDB_ERR) {
		char *n = hdb_vis_dup(name, strlen(name));

		warnx("%s: cannot read '%s': %s", cmd, n, hdb_error(d.h));
		free(n);
		p->from = NULL;
		p->err = EX_IOERR_;
	}
	db_close(&d);
	return p->err;
}

size_t
plan_other_layout(const struct db_plan *p, const struct exim_target *t)
{
	return p->unknown + (t->layout == HDB_L_V2 ? p->legacy : p->v2);
}

int
plan_other_backend(const struct db_plan *p, const struct exim_target *t)
{
	return p->from != t->be || (p->from == &hdb_backend_sqlite &&
	    (p->from_oflags & HDB_O_SQLITE_TBL) !=
	    (t->oflags & HDB_O_SQLITE_TBL));
}

int
plan_needed(const struct db_plan *p, const struct exim_target *t,
    int keep_sessions)
{
	if (p->from == NULL)
		return 0;
	return plan_other_backend(p, t) || plan_other_layout(p, t) > 0 ||
	    (!keep_sessions && p->dead_sessions > 0) || plan_unread(p) > 0;
}

void
plan_from_text(const struct db_plan *p, char *buf, size_t len)
{
	const char *lay;

	if (p->legacy + p->v2 + p->unknown == 0)
		lay = "empty";
	else if (p->legacy == p->records)
		lay = "legacy";
	else if (p->v2 == p->records)
		lay = "v2";
	else
		lay = "mixed";
	snprintf(buf, len, "%s%s %s", p->from != NULL ? p->from->name : "?",
	    p->from == &hdb_backend_sqlite ? (p->from_oflags &
	    HDB_O_SQLITE_TBL ? "(tbl)" : "(tblblob)") : "", lay);
}

void
plan_writers_text(const struct db_plan *p, char *buf, size_t len)
{
	size_t i, n = 0;
	int gnutls = 0;

	buf[0] = '\0';
	for (i = 0; i < p->nwriters && n < len; i++) {
		int isnum = p->writers[i][0] >= '0' && p->writers[i][0] <= '9';

		n += (size_t)snprintf(buf + n, len - n, "%s%s%s",
		    i == 0 ? "" : ", ", isnum && !gnutls ? "GnuTLS " : "",
		    p->writers[i]);
		gnutls |= isnum;
	}
}

/*
 * live_exim - pid if it names a live process that looks like Exim (its
 * /proc comm, where there is a /proc), else 0.
 */
static long
live_exim(long pid)
{
	char path[64], comm[64];
	FILE *fp;
	int rc;

	if (pid <= 1 || pid > INT_MAX)
		return 0;
	if (kill((pid_t)pid, 0) == -1 && errno != EPERM)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return access("/proc/self", F_OK) == 0 ? 0 : pid;
	rc = fgets(comm, sizeof(comm), fp) != NULL && strstr(comm, "exim") !=
	    NULL;
	fclose(fp);
	return rc ? pid : 0;
}

/* pidfile_pid - the live Exim named by SPOOL/file, or 0. */
static long
pidfile_pid(const char *spool, const char *file)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", spool, file) >=
	    sizeof(path) || (fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return live_exim(strtol(buf, NULL, 10));
}

/* lock_holder - the PID holding a lock on the lockfile path, or 0. */
static long
lock_holder(const char *path)
{
	struct flock fl;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)) == -1)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK)
		fl.l_pid = 0;
	close(fd);
	return fl.l_pid > 0 ? (long)fl.l_pid : 0;
}

long
spool_in_use(const char *spool, char *how, size_t howlen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	long pid = 0;
	size_t l;
	DIR *d;

	if ((d = opendir(spool)) != NULL) {
		while (pid == 0 && (e = readdir(d)) != NULL) {
			l = strlen(e->d_name);
			if (strncmp(e->d_name, "exim-daemon", 11) != 0 ||
			    l < 4 || strcmp(e->d_name + l - 4, ".pid") != 0)
				continue;
			if ((pid = pidfile_pid(spool, e->d_name)) != 0)
				snprintf(how, howlen, "%s/%s", spool,
				    e->d_name);
		}
		closedir(d);
	}
	if (pid != 0)
		return pid;
	snprintf(dir, sizeof(dir), "%s/db", spool);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (pid == 0 && (e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (l < 9 || strcmp(e->d_name + l - 9, ".lockfile") != 0 ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    e->d_name) >= sizeof(path))
			continue;
		if ((pid = lock_holder(path)) != 0)
			snprintf(how, howlen, "a lock on %s", path);
	}
	closedir(d);
	return pid;
}

int
plan_target(const char *cmd, const char *path, struct exim_target *t)
{
	char found[PATH_MAX], err[256], *p;

	if (path == NULL) {
		if (exim_locate(found, sizeof(found)) == -1)
			return 0;
		path = found;
	}
	if (exim_probe(path, t, err, sizeof(err)) == 0)
		return 1;
	p = hdb_vis_dup(path, strlen(path));
	warnx("%s: cannot tell what '%s' reads: %s", cmd, p, err);
	free(p);
	return path == found ? 0 : EX_REFUSED;
}

/*
 * report_unread - a line per form of p's records that t never reads:
 * "retry: 2 host keys T:IP:IP:PORT (Exim 4.94 to 4.97): Exim 4.98.2
 * never reads them (hintsdb upgrade rewrites them as T:[IP]:IP:PORT)".
 * Returns the number of lines.
 */
static size_t
report_unread(const struct db_plan *p, const struct exim_target *t)
{
	const struct form *fi;
	size_t f, lines = 0, n, fix;

	for (f = 0; f < FORM_NONE; f++) {
		if ((n = p->unread[f]) == 0)
			continue;
		fi = form_info((enum form_id)f);
		fix = p->fixable[f];
		hdb_out_vis(stdout, (const uint8_t *)p->name, strlen(p->name));
		printf(": %zu %s: Exim %s never reads %s (hintsdb upgrade ",
		    n, n == 1 ? fi->one : fi->what, t->version,
		    n == 1 ? "it" : "them");
		if (fix == n)
			printf("rewrites %s as %s)\n", n == 1 ? "it" : "them",
			    fi->as);
		else if (fix > 0)
			printf("rewrites %zu as %s, drops %zu)\n", fix, fi->as,
			    n - fix);
		else
			printf("drops %s)\n", n == 1 ? "it" : "them");
		lines++;
	}
	return lines;
}

/* names_text - "callout, misc and retry" from the DBs marked in pick. */
static void
names_text(char *buf, size_t len, char **names, const unsigned char *pick,
    size_t n, size_t count)
{
	size_t i, k = 0, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		if (!pick[i])
			continue;
		k++;
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    k == 1 ? "" : k == count ? " and " : ", ", names[i]);
	}
}

size_t
plan_report(const char *cmd, const char *spool, char **names, size_t n,
    const struct exim_target *t, long lock_timeout_ms, int *ex)
{
	struct db_plan p;
	unsigned char *wrongbe, *wronglay;
	size_t i, nbe = 0, rbe = 0, nlay = 0, rlay = 0, problems = 0;
	size_t dead = 0;
	char desc[256], list[1024], w[96], lib[48];
	const struct hdb_backend *src = NULL;
	int rc, mixed = 0;

	*ex = 0;
	exim_describe(t, desc, sizeof(desc));
	printf("exim: %s ('", desc);
	hdb_out_vis(stdout, (const uint8_t *)t->path, strlen(t->path));
	printf("')\n");
	wrongbe = xcalloc(n ? n : 1, 1);
	wronglay = xcalloc(n ? n : 1, 1);
	for (i = 0; i < n; i++) {
		if ((rc = plan_db(cmd, spool, names[i], t, lock_timeout_ms,
		    &p)) != 0) {
			*ex = *ex ? *ex : rc;
			continue;
		}
		if (plan_other_backend(&p, t)) {
			wrongbe[i] = 1;
			nbe++;
			rbe += p.records;
			mixed |= src != NULL && src != p.from;
			src = p.from;
		}
		if (plan_other_layout(&p, t) > 0) {
			wronglay[i] = 1;
			nlay++;
			rlay += plan_other_layout(&p, t);
		}
		if (p.dead_sessions > 0) {
			dead += p.dead_sessions;
			plan_writers_text(&p, w, sizeof(w));
		}
		problems += report_unread(&p, t);
	}
	if (nbe > 0) {
		names_text(list, sizeof(list), names, wrongbe, n, nbe);
		printf("spool: Exim %s reads %s%s; %zu database%s (%s) %s "
		    "%s: it will see none of %s %zu record%s (hintsdb "
		    "upgrade converts them)\n", t->version,
		    exim_backend_label(t->be), t->be != &hdb_backend_sqlite ?
		    "" : t->oflags & HDB_O_SQLITE_TBL ? " (table tbl)" :
		    " (table tblblob)", nbe, nbe == 1 ? "" : "s", list,
		    nbe == 1 ? "is" : "are", mixed ? "of other backends" :
		    src == t->be ? "of the other SQLite table" :
		    exim_backend_label(src), nbe == 1 ? "its" : "their", rbe,
		    pl(rbe));
		problems++;
	}
	if (nlay > 0) {
		names_text(list, sizeof(list), names, wronglay, n, nlay);
		printf("spool: %zu %s record%s in %s: Exim %s reads only %s "
		    "records and ignores them (hintsdb upgrade converts "
		    "them)\n", rlay, t->layout == HDB_L_V2 ? "legacy" : "v2",
		    pl(rlay), list, t->version, hdb_layout_name(t->layout));
		problems++;
	}
	if (dead > 0) {
		if (t->tls == HDB_TLS_LIB_GNUTLS)
			snprintf(lib, sizeof(lib), "GnuTLS %s", t->tls_version);
		else
			snprintf(lib, sizeof(lib), "OpenSSL");
		printf("tls: %zu session%s written by %s: Exim's %s cannot "
		    "resume them (hintsdb upgrade or tidy --stale-sessions "
		    "drops them)\n", dead, dead == 1 ? "" : "s", w, lib);
		problems++;
	}
	free(wrongbe);
	free(wronglay);
	return problems;
}
