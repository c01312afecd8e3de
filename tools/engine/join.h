/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * join.h - the records of a spool's hints DBs that name a destination
 * (a domain, an address, a host name, an IP with an optional port, or a
 * message ID), joined across DBs on what their keys name (lib/rec/dest.h).
 * Used by why (to show them) and forget (to delete them).
 *
 * Names are matched directly: a domain finds its R: records, callout and
 * ETRN entries and the addresses in it; a host name finds its T: records,
 * wait lists, serialize entries and TLS sessions whose certificate or SNI
 * names it; the IPs of the host's T: records then find its EHLO entries.
 * Nothing is routed here: a caller that wants a domain's hosts asks Exim
 * (route.h) and adds them as targets.
 */
#ifndef HDB_JOIN_H
#define HDB_JOIN_H

#include <arpa/inet.h>

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "engine/slurp.h"
#include "rec/dest.h"

enum tgt_kind { TGT_NAME, TGT_ADDR, TGT_IP, TGT_MSGID };

struct target {
	const char	*arg;
	enum tgt_kind	 kind;
	const char	*name;		/* NAME: the name; ADDR: the domain */
	size_t		 nlen;
	const char	*local;		/* ADDR */
	size_t		 llen;
	char		 ip[INET6_ADDRSTRLEN];	/* IP, without brackets */
	int		 port;		/* IP: -1 if none given */
	char		 md5[33];	/* NAME: an ETRN key's hash of it */
	char		 (*ips)[INET6_ADDRSTRLEN];	/* learnt from retry */
	size_t		 nips;
};

/* A matching record: DB db of the join, record rec of its slurp. */
struct hit {
	size_t		 db, rec;
};

struct join_db {
	char		*name;
	enum hdb_dbtype	 type;
	struct slurp	 s;
};

struct join {
	struct join_db	*dbs;
	size_t		 ndbs;
	struct target	*t;
	size_t		 nt;
	struct hit     **hits;		/* per target */
	size_t		*nhits;
	int		 skip_wait;	/* forget: a message's data stays */
};

/* Parse TARGET; -1 (after a message under cmd) if it is none of them. */
int	target_parse(const char *cmd, const char *arg, struct target *);

/*
 * join_run - read every hints DB of spool (retry first, in short
 * read-lock pieces: pieces.h) and keep, per target, the records that name
 * it.  0, or an EX_* code after a diagnostic.
 */
int	join_run(struct join *, const char *spool, const struct dbopts *,
	    const char *cmd, double budget_ms);
void	join_free(struct join *);

/* An IP of host name x (from routing): its EHLO entries are keyed by it. */
void	target_learn_ip(struct target *x, const char *ip);

/* Whether record k, v of DB (type t, name db) names target x. */
int	target_match(struct target *x, enum hdb_dbtype t, const char *db,
	    const uint8_t *k, size_t kl, const uint8_t *v, size_t vl);

#endif
