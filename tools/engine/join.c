/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * join.c - a spool's records that name a destination (join.h).
 *
 * Each DB is copied into memory in short read-lock holds (db_slurp), as
 * dump does, and matched after its lock is gone.  retry goes first: the
 * IPs of the T: records of a host name are what its EHLO entries and
 * 4.95's TLS sessions are keyed by.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>
#include <openssl/evp.h>

#include "commands.h"
#include "dump.h"
#include "engine/join.h"
#include "engine/pieces.h"
#include "engine/spool.h"
#include "out.h"
#include "xmalloc.h"

/* Printable ASCII or UTF-8 without space, and no glob character but the
 * brackets of [IP]: a name is matched as text, and against TLS peer names
 * as a glob. */
static int
target_chars(const char *s)
{
	const unsigned char *p;

	if (*s == '\0')
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("*?\\", *p) != NULL)
			return 0;
	return 1;
}

/* IP, [IP], IPv4:port or [IP]:port into t; -1 if it is none. */
static int
target_ip(const char *a, struct target *t)
{
	const char *end = a + strlen(a), *c;
	char port[8];
	size_t n;

	t->port = -1;
	if (a[0] == '[') {
		if ((c = strchr(a, ']')) == NULL)
			return -1;
		n = (size_t)(c - a - 1);
		if (!hdb_dest_is_ip(a + 1, n) || (c[1] != '\0' &&
		    c[1] != ':'))
			return -1;
		memcpy(t->ip, a + 1, n);
		t->ip[n] = '\0';
		a = c[1] == ':' ? c + 2 : NULL;
	} else if (hdb_dest_is_ip(a, strlen(a))) {
		snprintf(t->ip, sizeof(t->ip), "%s", a);
		return 0;
	} else if ((c = strrchr(a, ':')) != NULL && memchr(a, ':',
	    (size_t)(c - a)) == NULL && hdb_dest_is_ip(a, (size_t)(c - a))) {
		memcpy(t->ip, a, (size_t)(c - a));
		t->ip[c - a] = '\0';
		a = c + 1;
	} else
		return -1;
	if (a == NULL)
		return 0;
	if (end - a < 1 || end - a > 5)
		return -1;
	memcpy(port, a, (size_t)(end - a));
	port[end - a] = '\0';
	t->port = (int)strtonum(port, 1, 65535, NULL);
	return t->port == 0 ? -1 : 0;
}

/* The MD5 of s as 32 lower-case hex digits: 4.98.1+ keys ETRN so. */
static void
md5_hex(const char *s, size_t len, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (EVP_Digest(s, len, md, &n, EVP_md5(), NULL) == 1 && n == 16)
		hdb_hex(out, md, 16);
}

int
target_parse(const char *cmd, const char *arg, struct target *t)
{
	const char *at;
	struct hdb_dest d;
	char *v;

	memset(t, 0, sizeof(*t));
	t->arg = arg;
	t->port = -1;
	if (!target_chars(arg))
		goto bad;
	if (target_ip(arg, t) == 0) {
		t->kind = TGT_IP;
		return 0;
	}
	t->port = -1;
	if (hdb_msgid_valid((const uint8_t *)arg, strlen(arg))) {
		t->kind = TGT_MSGID;
		return 0;
	}
	/* the DBs' own grammar decides what a name or an address is */
	if ((at = strrchr(arg, '@')) != NULL) {
		if (hdb_dest_parse(HDB_T_SEEN, NULL, (const uint8_t *)arg,
		    strlen(arg) + 1, &d) != HDB_DEST_SEEN ||
		    d.address.p == NULL)
			goto bad;
		t->kind = TGT_ADDR;
		t->local = arg;
		t->llen = (size_t)(at - arg);
		t->name = at + 1;
		t->nlen = strlen(at + 1);
		return 0;
	}
	if (hdb_dest_parse(HDB_T_CALLOUT, NULL, (const uint8_t *)arg,
	    strlen(arg) + 1, &d) != HDB_DEST_CALLOUT_DOMAIN)
		goto bad;
	t->kind = TGT_NAME;
	t->name = arg;
	t->nlen = strlen(arg);
	md5_hex(arg, t->nlen, t->md5);
	return 0;
bad:
	v = hdb_vis_dup(arg, strlen(arg));
	warnx("%s: '%s' is not a domain, address, host name, IP address or "
	    "message ID", cmd, v);
	free(v);
	return -1;
}

/* Two IP texts name the same address (IPv6 has many spellings). */
static int
same_ip(struct hdb_span a, const char *b)
{
	unsigned char x[16], y[16];
	char buf[INET6_ADDRSTRLEN];

	if (a.p == NULL || a.len >= sizeof(buf))
		return 0;
	memcpy(buf, a.p, a.len);
	buf[a.len] = '\0';
	if (strchr(buf, ':') == NULL || strchr(b, ':') == NULL)
		return strcmp(buf, b) == 0;
	return inet_pton(AF_INET6, buf, x) == 1 &&
	    inet_pton(AF_INET6, b, y) == 1 && memcmp(x, y, 16) == 0;
}

/* One of the IPs learnt for a host name from its retry records. */
static int
learnt_ip(const struct target *x, struct hdb_span ip)
{
	size_t i;

	for (i = 0; i < x->nips; i++)
		if (same_ip(ip, x->ips[i]))
			return 1;
	return 0;
}

static void
learn_ip(struct target *x, struct hdb_span ip)
{
	if (ip.p == NULL || ip.len >= INET6_ADDRSTRLEN || learnt_ip(x, ip))
		return;
	x->ips = xreallocarray(x->ips, x->nips + 1, sizeof(*x->ips));
	memcpy(x->ips[x->nips], ip.p, ip.len);
	x->ips[x->nips++][ip.len] = '\0';
}

void
target_learn_ip(struct target *x, const char *ip)
{
	struct hdb_span s = { ip, strlen(ip) };

	if (hdb_dest_is_ip(ip, s.len))
		learn_ip(x, s);
}

/* A wait record that lists message ID id. */
static int
wait_lists(const char *id, const uint8_t *k, size_t kl, const uint8_t *v,
    size_t vl)
{
	struct hdb_rec r;
	const char *why;
	size_t n = strlen(id);
	int32_t i;

	if (hdb_rec_decode(HDB_T_WAIT, HDB_L_AUTO, k, kl, v, vl, &r, &why) ==
	    -1 || r.u.wait.id_len != n)
		return 0;
	for (i = 0; i < r.u.wait.count; i++)
		if (memcmp(r.u.wait.ids + (size_t)i * n, id, n) == 0)
			return 1;
	return 0;
}

static int
match_name(struct target *x, const struct hdb_dest *d, enum hdb_dbtype t)
{
	if (hdb_span_eqi(d->host, x->name, x->nlen) ||
	    hdb_span_eqi(d->domain, x->name, x->nlen)) {
		if (t == HDB_T_RETRY && (d->kind == HDB_DEST_HOST ||
		    d->kind == HDB_DEST_HOST_MSG))
			learn_ip(x, d->ip);
		return 1;
	}
	if (d->kind == HDB_DEST_ETRN && d->etrn_md5 &&
	    hdb_span_eq(d->etrn, x->md5, 32))
		return 1;
	/* the host's own IPs: its EHLO cache, 4.95's TLS sessions */
	return (d->kind == HDB_DEST_EHLO || d->kind == HDB_DEST_TLS_IP ||
	    d->kind == HDB_DEST_HOST_SERIALIZE) && learnt_ip(x, d->ip);
}

static int
match_addr(const struct target *x, const struct hdb_dest *d)
{
	if (d->address.p != NULL)
		return hdb_span_eq(d->local_part, x->local, x->llen) &&
		    hdb_span_eqi(d->domain, x->name, x->nlen);
	/* the domain's own records: routing retry, callout */
	return (d->kind == HDB_DEST_ROUTE ||
	    d->kind == HDB_DEST_CALLOUT_DOMAIN) &&
	    hdb_span_eqi(d->domain, x->name, x->nlen);
}

int
target_match(struct target *x, enum hdb_dbtype t, const char *db,
    const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	struct hdb_dest d;

	if (x->kind == TGT_MSGID && t == HDB_T_WAIT)
		return wait_lists(x->arg, k, kl, v, vl);
	hdb_dest_parse(t, db, k, kl, &d);
	switch (x->kind) {
	case TGT_IP:
		return (same_ip(d.ip, x->ip) || same_ip(d.host, x->ip)) &&
		    (x->port == -1 || d.port == -1 || d.port == x->port);
	case TGT_MSGID:
		return hdb_span_eq(d.msgid, x->arg, strlen(x->arg));
	case TGT_ADDR:
		return match_addr(x, &d);
	case TGT_NAME:
		if (match_name(x, &d, t))
			return 1;
		return t == HDB_T_TLS && d.kind == HDB_DEST_NONE &&
		    dump_tls_peer(x->name, HDB_L_AUTO, k, kl, v, vl);
	}
	return 0;
}

static void
add_hit(struct join *j, size_t ti, size_t db, size_t rec)
{
	j->hits[ti] = xreallocarray(j->hits[ti], j->nhits[ti] + 1,
	    sizeof(**j->hits));
	j->hits[ti][j->nhits[ti]].db = db;
	j->hits[ti][j->nhits[ti]++].rec = rec;
}

/* Read DB name into j's next slot and match its records. */
static int
join_db(struct join *j, const char *spool, const char *name,
    const struct dbopts *o, const char *cmd, double budget_ms)
{
	struct join_db *jd;
	struct dbh d;
	size_t i, ti;
	int ex;

	if ((ex = db_open(&d, spool, name, 0, o, cmd)) != 0)
		return ex;
	j->dbs = xreallocarray(j->dbs, j->ndbs + 1, sizeof(*j->dbs));
	jd = &j->dbs[j->ndbs];
	jd->name = xstrdup(name);
	jd->type = d.type;
	if ((ex = db_slurp(&d, spool, o, cmd, budget_ms, 0, &jd->s)) != 0) {
		free(jd->name);
		return ex;
	}
	j->ndbs++;
	for (i = 0; i < jd->s.n; i++)
		for (ti = 0; ti < j->nt; ti++)
			if (target_match(&j->t[ti], jd->type, name,
			    slurp_key(&jd->s, i), jd->s.recs[i].klen,
			    slurp_val(&jd->s, i), jd->s.recs[i].vlen))
				add_hit(j, ti, j->ndbs - 1, i);
	return 0;
}

/* Hits in DB order, then by key: output that does not depend on the
 * backend's order, without sorting whole DBs. */
static int
hit_cmp(const void *a, const void *b, void *arg)
{
	const struct hit *x = a, *y = b;
	const struct join *j = arg;
	const struct slurp *s;
	size_t xl, yl;
	int c;

	if (x->db != y->db)
		return x->db < y->db ? -1 : 1;
	s = &j->dbs[x->db].s;
	xl = s->recs[x->rec].klen;
	yl = s->recs[y->rec].klen;
	c = memcmp(slurp_key(s, x->rec), slurp_key(s, y->rec),
	    xl < yl ? xl : yl);
	return c != 0 ? c : (xl > yl) - (xl < yl);
}

int
join_run(struct join *j, const char *spool, const struct dbopts *o,
    const char *cmd, double budget_ms)
{
	char **names;
	size_t n, i, pass;
	int ex = 0, retry;

	j->hits = xcalloc(j->nt, sizeof(*j->hits));
	j->nhits = xcalloc(j->nt, sizeof(*j->nhits));
	if (spool_args(cmd, 1, (char **)&spool, &names, &n) != 0)
		return EX_NODB;
	for (pass = 0; pass < 2 && ex == 0; pass++)
		for (i = 0; i < n && ex == 0; i++) {
			retry = strcmp(names[i], "retry") == 0;
			if (retry != (pass == 0) || (j->skip_wait &&
			    strncmp(names[i], "wait-", 5) == 0))
				continue;
			ex = join_db(j, spool, names[i], o, cmd, budget_ms);
		}
	spool_dbs_free(names, n);
	for (i = 0; i < j->nt && ex == 0; i++)
		if (j->nhits[i] > 1)
			qsort_r(j->hits[i], j->nhits[i], sizeof(**j->hits),
			    hit_cmp, j);
	return ex;
}

void
join_free(struct join *j)
{
	size_t i;

	for (i = 0; i < j->ndbs; i++) {
		free(j->dbs[i].name);
		slurp_free(&j->dbs[i].s);
	}
	free(j->dbs);
	for (i = 0; i < j->nt; i++) {
		free(j->hits ? j->hits[i] : NULL);
		free(j->t[i].ips);
	}
	free(j->hits);
	free(j->nhits);
}
