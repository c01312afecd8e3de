/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dest.c - parse a hints key into the destination it names (dest.h).
 *
 * Each DB has its own key grammar (formats doc §3); the retry DB has the
 * hardest one.  A retry host key is T:<host>[:<ip>][:<port>][/<iface>]
 * [:<msgid>], where 4.98+ writes a host that is a bare IP as [ip] and
 * earlier Exims wrote an IPv6 address without brackets, colons and all.
 * Where the host is itself the IP, the IP part repeats it, which fixes
 * where each part ends; a host name followed by a bare IPv6 address and a
 * port is ambiguous (the port reads as one more group) and gets neither.
 */
#include <arpa/inet.h>

#include <string.h>

#include "jout.h"
#include "rec/dest.h"

static const char *const kind_names[] = {
	[HDB_DEST_NONE] = NULL,
	[HDB_DEST_HOST] = "retry_host",
	[HDB_DEST_HOST_MSG] = "retry_host_message",
	[HDB_DEST_LOCAL] = "retry_local",
	[HDB_DEST_ROUTE] = "retry_domain",
	[HDB_DEST_ROUTE_ADDR] = "retry_address",
	[HDB_DEST_WAIT] = "wait_host",
	[HDB_DEST_EHLO] = "ehlo",
	[HDB_DEST_HOST_SERIALIZE] = "host_serialize",
	[HDB_DEST_TPT_SERIALIZE] = "transport_serialize",
	[HDB_DEST_ETRN] = "etrn",
	[HDB_DEST_CALLOUT_DOMAIN] = "callout_domain",
	[HDB_DEST_CALLOUT_ADDR] = "callout_address",
	[HDB_DEST_RATELIMIT] = "ratelimit",
	[HDB_DEST_SEEN] = "seen",
	[HDB_DEST_TLS_IP] = "tls_ip",
};

const char *
hdb_dest_kind_name(enum hdb_dest_kind k)
{
	if ((size_t)k >= sizeof(kind_names) / sizeof(kind_names[0]))
		return NULL;
	return kind_names[k];
}

static struct hdb_span
span(const char *p, size_t len)
{
	struct hdb_span s = { p, len };

	return s;
}

int
hdb_span_eq(struct hdb_span a, const char *s, size_t len)
{
	return a.p != NULL && a.len == len && memcmp(a.p, s, len) == 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
}

int
hdb_span_eqi(struct hdb_span a, const char *s, size_t len)
{
	size_t i;

	if (a.p == NULL || a.len != len)
		return 0;
	for (i = 0; i < len; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)s[i]))
			return 0;
	return 1;
}

int
hdb_dest_is_ip(const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char a[16];

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, a) == 1 ||
	    inet_pton(AF_INET6, buf, a) == 1;
}

/* A port: 1 to 5 digits, 1-65535; -1 if not one. */
static int
port_of(const char *s, size_t len)
{
	size_t i;
	int v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/* A host or domain name as Exim keys carry it: letters, digits, '.', '-',
 * '_', and UTF-8 (checked whole-key by the caller). */
static int
is_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || c >= 0x80))
			return 0;
	}
	return 1;
}

static const char *
memrchr_(const char *s, int c, size_t len)
{
	while (len-- > 0)
		if (s[len] == c)
			return s + len;
	return NULL;
}

/* Set host (and ip, when the name is an address); [ip] loses its
 * brackets.  0, or -1 if s is neither. */
static int
set_host(struct hdb_dest *d, const char *s, size_t len)
{
	if (len > 2 && s[0] == '[' && s[len - 1] == ']' &&
	    hdb_dest_is_ip(s + 1, len - 2)) {
		s++;
		len -= 2;
	}
	if (hdb_dest_is_ip(s, len)) {
		d->host = d->ip = span(s, len);
		return 0;
	}
	if (!is_name(s, len))
		return -1;
	d->host = span(s, len);
	return 0;
}

/* local@domain (the last '@'), domain a name or [ip]; 0 or -1. */
static int
set_address(struct hdb_dest *d, const char *s, size_t len)
{
	const char *at = memrchr_(s, '@', len);
	size_t ll, dl;

	if (at == NULL || at == s)
		return -1;
	ll = (size_t)(at - s);
	dl = len - ll - 1;
	if (!is_name(at + 1, dl) && !(dl > 2 && at[1] == '[' &&
	    at[dl] == ']' && hdb_dest_is_ip(at + 2, dl - 2)))
		return -1;
	d->address = span(s, len);
	d->local_part = span(s, ll);
	d->domain = span(at + 1, dl);
	return 0;
}

/* An address, then optionally sep and <sender>. */
static int
set_address_sender(struct hdb_dest *d, const char *s, size_t len, char sep)
{
	size_t i;

	if (len > 0 && s[len - 1] == '>')
		for (i = len - 1; i-- > 1;)
			if (s[i] == '<' && s[i - 1] == sep) {
				d->sender = span(s + i + 1, len - i - 2);
				return set_address(d, s, i - 1);
			}
	return set_address(d, s, len);
}

/*
 * ip_port - "[ip]", "[ip]:port", "ipv4", "ipv4:port", or an IPv6 address
 * alone: 0.  An unbracketed IPv6 address whose last group could be a port
 * is ambiguous: -2.  Anything else: -1.
 */
static int
ip_port(struct hdb_dest *d, const char *s, size_t len)
{
	const char *c;
	int port = 25;

	if (len > 2 && s[0] == '[') {
		c = memchr(s, ']', len);
		if (c == NULL || !hdb_dest_is_ip(s + 1, (size_t)(c - s - 1)))
			return -1;
		if (c + 1 < s + len && (c[1] != ':' ||
		    (port = port_of(c + 2, (size_t)(s + len - c - 2))) == -1))
			return -1;
		d->ip = span(s + 1, (size_t)(c - s - 1));
		d->port = port;
		return 0;
	}
	c = memrchr_(s, ':', len);
	if (c != NULL && hdb_dest_is_ip(s, (size_t)(c - s)) &&
	    (port = port_of(c + 1, (size_t)(s + len - c - 1))) != -1) {
		if (memchr(s, ':', (size_t)(c - s)) != NULL)
			return -2;	/* IPv6: was the last group a port? */
		d->ip = span(s, (size_t)(c - s));
		d->port = port;
		return 0;
	}
	if (!hdb_dest_is_ip(s, len))
		return -1;
	d->ip = span(s, len);
	d->port = 25;
	return 0;
}

/*
 * host_repeated - T:<ip>:<ip>...: a host that is a bare IP, unbracketed
 * (before 4.98), is followed by the same IP; the repeat is what tells an
 * IPv6 host's colons from the separators.  Length of the host, or 0.
 */
static size_t
host_repeated(const char *s, size_t len)
{
	size_t i;

	for (i = 1; 2 * i + 1 <= len; i++)
		if (s[i] == ':' && hdb_dest_is_ip(s, i) &&
		    memcmp(s, s + i + 1, i) == 0 &&
		    (2 * i + 1 == len || s[2 * i + 1] == ':'))
			return i;
	return 0;
}

/* After T:<host>: [ip][:port], knowing the host; 0, -1, or -2 (ip_port's
 * ambiguity). */
static int
after_host(struct hdb_dest *d, const char *s, size_t len)
{
	size_t il = d->ip.len;

	d->port = 25;
	if (len == 0)
		return 0;
	if (port_of(s, len) != -1) {	/* retry_include_ip_address false */
		d->port = port_of(s, len);
		return 0;
	}
	/* A host that is an IP: the IP part repeats it. */
	if (d->ip.p != NULL && len >= il && memcmp(s, d->ip.p, il) == 0 &&
	    (len == il || s[il] == ':')) {
		d->ip = span(s, il);
		if (len > il && (d->port = port_of(s + il + 1,
		    len - il - 1)) == -1)
			return -1;
		return 0;
	}
	d->ip = span(NULL, 0);
	return ip_port(d, s, len);
}


/* T:... the transport's retry keys (formats doc §3.1). */
static enum hdb_dest_kind
parse_retry_t(struct hdb_dest *d, const char *s, size_t len)
{
	enum hdb_dest_kind k = HDB_DEST_HOST;
	const char *c;
	size_t hl;

	if (memchr(s, '@', len) != NULL) {
		/* a local delivery; pipe and file: T:|/prog:user@domain */
		if ((s[0] == '|' || s[0] == '/') &&
		    (c = memrchr_(s, ':', len)) != NULL) {
			len -= (size_t)(c + 1 - s);
			s = c + 1;
		}
		return set_address(d, s, len) == 0 ? HDB_DEST_LOCAL :
		    HDB_DEST_NONE;
	}
	if ((c = memrchr_(s, ':', len)) != NULL &&
	    hdb_msgid_valid((const uint8_t *)c + 1, (size_t)(s + len - c - 1))) {
		d->msgid = span(c + 1, (size_t)(s + len - c - 1));
		len = (size_t)(c - s);
		k = HDB_DEST_HOST_MSG;
	}
	if ((c = memrchr_(s, '/', len)) != NULL) {
		d->iface = span(c + 1, (size_t)(s + len - c - 1));
		len = (size_t)(c - s);
		if (d->iface.len == 0)
			return HDB_DEST_NONE;
	}
	if (len > 0 && s[0] == '[')
		hl = (c = memchr(s, ']', len)) != NULL ? (size_t)(c - s) + 1 :
		    len;
	else if ((hl = host_repeated(s, len)) == 0)
		hl = (c = memchr(s, ':', len)) != NULL ? (size_t)(c - s) : len;
	if (set_host(d, s, hl) == -1 || (hl < len && s[hl] != ':'))
		return HDB_DEST_NONE;
	switch (after_host(d, s + hl + (hl < len), len - hl - (hl < len))) {
	case 0:
		return k;
	case -2:		/* the host is sure; its IP and port are not */
		d->ip = span(NULL, 0);
		d->port = -1;
		return k;
	default:
		return HDB_DEST_NONE;
	}
}

static enum hdb_dest_kind
parse_retry(struct hdb_dest *d, const char *s, size_t len)
{
	if (len < 3 || s[1] != ':')
		return HDB_DEST_NONE;
	if (s[0] == 'T')
		return parse_retry_t(d, s + 2, len - 2);
	if (s[0] != 'R')
		return HDB_DEST_NONE;
	s += 2;
	len -= 2;
	if (memchr(s, '@', len) != NULL)
		return set_address_sender(d, s, len, ':') == 0 ?
		    HDB_DEST_ROUTE_ADDR : HDB_DEST_NONE;
	if (!is_name(s, len))
		return HDB_DEST_NONE;
	d->domain = span(s, len);
	return HDB_DEST_ROUTE;
}

/* host, or host:N (a continuation); a host that is an IPv6 address
 * stays whole. */
static enum hdb_dest_kind
parse_wait(struct hdb_dest *d, const char *s, size_t len, const char *db)
{
	const char *c = memrchr_(s, ':', len);
	size_t i;
	long n = 0;

	if (db != NULL && strncmp(db, "wait-", 5) == 0 && db[5] != '\0')
		d->transport = span(db + 5, strlen(db + 5));
	if (c != NULL && !hdb_dest_is_ip(s, len) && c + 1 < s + len &&
	    (size_t)(s + len - c - 1) <= 9) {
		for (i = 1; c + i < s + len; i++) {
			if (c[i] < '0' || c[i] > '9')
				return HDB_DEST_NONE;
			n = n * 10 + (c[i] - '0');
		}
		if (set_host(d, s, (size_t)(c - s)) == -1)
			return HDB_DEST_NONE;
		d->cont = n;
		return HDB_DEST_WAIT;
	}
	return set_host(d, s, len) == 0 ? HDB_DEST_WAIT : HDB_DEST_NONE;
}

static int
is_hex32(const char *s, size_t len)
{
	size_t i;

	if (len != 32)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static enum hdb_dest_kind
parse_misc(struct hdb_dest *d, const char *s, size_t len)
{
	if (len > 5 && memcmp(s + len - 5, ".EHLO", 5) == 0) {
		/* a port is always there */
		if (ip_port(d, s, len - 5) != 0 || memrchr_(s, ':',
		    len - 5) == NULL || (s[0] != '[' && memchr(s, ':',
		    len - 5) != memrchr_(s, ':', len - 5)))
			return HDB_DEST_NONE;
		return HDB_DEST_EHLO;
	}
	if (len > 15 && memcmp(s, "host-serialize-", 15) == 0)
		return set_host(d, s + 15, len - 15) == 0 ?
		    HDB_DEST_HOST_SERIALIZE : HDB_DEST_NONE;
	if (len > 14 && memcmp(s, "tpt-serialize-", 14) == 0 &&
	    is_name(s + 14, len - 14)) {
		d->transport = span(s + 14, len - 14);
		return HDB_DEST_TPT_SERIALIZE;
	}
	if (len > 5 && memcmp(s, "etrn-", 5) == 0) {
		s += 5;
		len -= 5;
		if (s[len - 1] == '\n') {	/* 4.94 to 4.98.0 */
			d->etrn = span(s, len - 1);
			if (len > 1 && is_name(s, len - 1))
				d->domain = d->etrn;
			return HDB_DEST_ETRN;
		}
		if (is_hex32(s, len)) {
			d->etrn = span(s, len);
			d->etrn_md5 = 1;
			return HDB_DEST_ETRN;
		}
	}
	return HDB_DEST_NONE;
}

static enum hdb_dest_kind
parse_callout(struct hdb_dest *d, const char *s, size_t len)
{
	if (memchr(s, '@', len) != NULL)
		return set_address_sender(d, s, len, '/') == 0 ?
		    HDB_DEST_CALLOUT_ADDR : HDB_DEST_NONE;
	if (!is_name(s, len))
		return HDB_DEST_NONE;
	d->domain = span(s, len);
	return HDB_DEST_CALLOUT_DOMAIN;
}

/* An address or an IP, the whole of s. */
static int
addr_or_ip(struct hdb_dest *d, const char *s, size_t len)
{
	if (hdb_dest_is_ip(s, len)) {
		d->ip = span(s, len);
		return 0;
	}
	return memchr(s, '@', len) != NULL ? set_address(d, s, len) : -1;
}

/* <period>/<per>/[unique/]<key>: the key, if it is an address or IP. */
static enum hdb_dest_kind
parse_ratelimit(struct hdb_dest *d, const char *s, size_t len)
{
	const char *a = memchr(s, '/', len), *b;

	if (a == NULL || (b = memchr(a + 1, '/', (size_t)(s + len - a - 1)))
	    == NULL || b - a < 5 || memcmp(a + 1, "per_", 4) != 0)
		return HDB_DEST_NONE;
	b++;
	if (s + len - b > 7 && memcmp(b, "unique/", 7) == 0)
		b += 7;
	return addr_or_ip(d, b, (size_t)(s + len - b)) == 0 ?
	    HDB_DEST_RATELIMIT : HDB_DEST_NONE;
}

/*
 * key_ok - a key worth parsing: UTF-8 with no control byte, space or
 * DEL, but for the newline that ends a 4.94-4.98.0 ETRN key.
 */
static int
key_ok(const uint8_t *k, size_t len)
{
	size_t i;

	if (len == 0 || !hdb_utf8_ok(k, len))
		return 0;
	for (i = 0; i < len; i++)
		if ((k[i] <= 0x20 || k[i] == 0x7f) && !(k[i] == '\n' &&
		    i == len - 1 && len > 5 && memcmp(k, "etrn-", 5) == 0))
			return 0;
	return 1;
}

enum hdb_dest_kind
hdb_dest_parse(enum hdb_dbtype t, const char *db, const uint8_t *key,
    size_t klen, struct hdb_dest *d)
{
	size_t len = hdb_key_text_len(key, klen);
	const char *s = (const char *)key;
	enum hdb_dest_kind k = HDB_DEST_NONE;

	memset(d, 0, sizeof(*d));
	d->port = -1;
	d->cont = -1;
	if (!key_ok(key, len))
		return HDB_DEST_NONE;
	switch (t) {
	case HDB_T_RETRY:
		k = parse_retry(d, s, len);
		break;
	case HDB_T_WAIT:
		k = parse_wait(d, s, len, db);
		break;
	case HDB_T_MISC:
		k = parse_misc(d, s, len);
		break;
	case HDB_T_CALLOUT:
		k = parse_callout(d, s, len);
		break;
	case HDB_T_RATELIMIT:
		k = parse_ratelimit(d, s, len);
		break;
	case HDB_T_SEEN:
		if (addr_or_ip(d, s, len) == 0)
			k = HDB_DEST_SEEN;
		break;
	case HDB_T_TLS:
		if (hdb_dest_is_ip(s, len)) {
			d->host = d->ip = span(s, len);
			k = HDB_DEST_TLS_IP;
		}
		break;
	default:
		break;
	}
	if (k == HDB_DEST_NONE) {
		memset(d, 0, sizeof(*d));
		d->port = -1;
		d->cont = -1;
	}
	d->kind = k;
	return k;
}

static void
jspan(struct jout *j, const char *name, struct hdb_span s)
{
	if (s.p != NULL)
		hdb_jo_strn(j, name, s.p, s.len);
}

void
hdb_dest_json(struct jout *j, const struct hdb_dest *d)
{
	if (d->kind == HDB_DEST_NONE)
		return;
	hdb_jo_cstr(j, "dest", hdb_dest_kind_name(d->kind));
	jspan(j, "host", d->host);
	jspan(j, "ip", d->ip);
	if (d->port != -1)
		hdb_jo_int(j, "port", d->port);
	jspan(j, "interface", d->iface);
	jspan(j, "address", d->address);
	jspan(j, "local_part", d->local_part);
	jspan(j, "domain", d->domain);
	jspan(j, "sender", d->sender);
	jspan(j, "message_id", d->msgid);
	jspan(j, "transport", d->transport);
	jspan(j, d->etrn_md5 ? "etrn_md5" : "etrn", d->etrn);
	if (d->cont != -1)
		hdb_jo_int(j, "continuation", d->cont);
}
