/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dest.h - destinations: what a hints key names (host, IP, port, domain,
 * address, sender, message ID, transport), parsed from every key form the
 * supported Exims write (formats doc §3.1-§3.7, §9.1).  Admins think in
 * destinations; the commands join records on these parts.
 *
 * A key of no known form, or one that is ambiguous (an IPv6 address
 * written without brackets next to a port), gets kind HDB_DEST_NONE or
 * fewer parts: nothing is guessed.  Parts point into the key given, which
 * must outlive the struct; they are never NUL-terminated.
 */
#ifndef HDB_DEST_H
#define HDB_DEST_H

#include <stddef.h>
#include <stdint.h>

#include "rec/rec.h"

enum hdb_dest_kind {
	HDB_DEST_NONE = 0,	/* no known form: no parts */
	HDB_DEST_HOST,		/* retry T:host[:ip][:port][/iface] */
	HDB_DEST_HOST_MSG,	/* the same for one message: ...:msgid */
	HDB_DEST_LOCAL,		/* retry T:local@domain, T:|/prog:addr */
	HDB_DEST_ROUTE,		/* retry R:domain */
	HDB_DEST_ROUTE_ADDR,	/* retry R:local@domain[:<sender>] */
	HDB_DEST_WAIT,		/* wait-*: host, or host:N continuation */
	HDB_DEST_EHLO,		/* misc ip:port.EHLO */
	HDB_DEST_HOST_SERIALIZE, /* misc host-serialize-host */
	HDB_DEST_TPT_SERIALIZE,	/* misc tpt-serialize-transport */
	HDB_DEST_ETRN,		/* misc etrn-arg\n (to 4.98.0) or etrn-md5 */
	HDB_DEST_CALLOUT_DOMAIN, /* callout domain */
	HDB_DEST_CALLOUT_ADDR,	/* callout local@domain[/<sender>] */
	HDB_DEST_RATELIMIT,	/* ratelimit period/per/[unique/]key */
	HDB_DEST_SEEN,		/* seen key: an address or an IP */
	HDB_DEST_TLS_IP,	/* tls, 4.95: the server's IP */
};

struct hdb_span {
	const char	*p;		/* NULL: absent */
	size_t		 len;
};

struct hdb_dest {
	enum hdb_dest_kind kind;
	struct hdb_span	 host;
	struct hdb_span	 ip;		/* without brackets */
	int		 port;		/* -1: none; 25 where Exim leaves it out */
	struct hdb_span	 iface;		/* retry: the transport's interface */
	struct hdb_span	 domain;
	struct hdb_span	 local_part;
	struct hdb_span	 address;	/* local@domain */
	struct hdb_span	 sender;	/* without its angle brackets */
	struct hdb_span	 msgid;
	struct hdb_span	 transport;
	struct hdb_span	 etrn;		/* the ETRN argument, or its MD5 hex */
	int		 etrn_md5;	/* etrn holds the MD5 (4.98.1+) */
	long		 cont;		/* wait continuation index, or -1 */
};

/*
 * hdb_dest_parse - the destination key/klen names in a DB of type t called
 * db (for wait-<transport>; may be NULL).  key is as stored, with Exim's
 * NUL.  Returns d->kind; with HDB_DEST_NONE every part is absent.
 */
enum hdb_dest_kind hdb_dest_parse(enum hdb_dbtype t, const char *db,
	    const uint8_t *key, size_t klen, struct hdb_dest *d);

/* "retry_host", "wait_host", ... or NULL for HDB_DEST_NONE. */
const char *hdb_dest_kind_name(enum hdb_dest_kind);

/* 1 if s[0..len) is an IPv4 or IPv6 address (no brackets, no port). */
int	hdb_dest_is_ip(const char *s, size_t len);

/* Whether two spans hold the same text; hdb_span_eqi ignores ASCII case
 * (host names and domains).  An absent span equals nothing. */
int	hdb_span_eq(struct hdb_span, const char *s, size_t len);
int	hdb_span_eqi(struct hdb_span, const char *s, size_t len);

/* The parts as JSON members ("dest", "host", "ip", "port", ...). */
struct jout;
void	hdb_dest_json(struct jout *, const struct hdb_dest *);

#endif
