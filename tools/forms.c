/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * forms.c - who reads what (forms.h).  From Exim's source at each
 * release tag and from real spools (formats doc §9.1):
 *   - tls: 4.94 (experimental) and 4.95 key a session by the peer's
 *     address (tls-gnu.c, tls-openssl.c: host->address); 4.96 and later by
 *     tlsp->resume_index, 64 hex digits of a SHA-256.  Neither finds the
 *     other's records.
 *   - wait-<transport>: message IDs are 16 characters up to 4.96 and 23
 *     from 4.97.  Each release reads IDs of its own length only: 4.96's
 *     exim_tidydb deletes a record of 23-character IDs as empty.
 *   - retry: from 4.98 (retry_host_key_build) a host name that is an IP
 *     address is bracketed, T:[192.0.2.1]:192.0.2.1:25, and so is an IPv6
 *     address; before, T:192.0.2.1:192.0.2.1:25.  A host named by a name
 *     has the same key in both.
 *   - misc: the ETRN serialisation key is "etrn-" and the argument and a
 *     newline up to 4.97, "etrn-" and the MD5 of the argument in hex from
 *     4.98 (smtp_in.c).  Such a record lives while an ETRN command runs;
 *     one left over is never read by the other side, nor worth carrying.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <limits.h>
#include <string.h>

#include "exim.h"
#include "forms.h"

static const struct form table[FORM_NONE] = {
	[FORM_TLS_IP] = { HDB_T_TLS, EXIM_V(4, 94, 0), EXIM_V(4, 95, 999),
	    "session keyed by the peer's IP address (Exim 4.94, 4.95)",
	    "sessions keyed by the peer's IP address (Exim 4.94, 4.95)",
	    NULL },
	[FORM_TLS_HASH] = { HDB_T_TLS, EXIM_V(4, 96, 0), LONG_MAX,
	    "session keyed by a SHA-256 hash (Exim 4.96 on)",
	    "sessions keyed by a SHA-256 hash (Exim 4.96 on)", NULL },
	[FORM_WAIT_16] = { HDB_T_WAIT, 0, EXIM_V(4, 96, 999),
	    "record of 16-character message IDs (Exim 4.94 to 4.96)",
	    "records of 16-character message IDs (Exim 4.94 to 4.96)",
	    NULL },
	[FORM_WAIT_23] = { HDB_T_WAIT, EXIM_V(4, 97, 0), LONG_MAX,
	    "record of 23-character message IDs (Exim 4.97 on)",
	    "records of 23-character message IDs (Exim 4.97 on)", NULL },
	[FORM_RETRY_BARE] = { HDB_T_RETRY, 0, EXIM_V(4, 97, 999),
	    "host key T:IP:IP:PORT (Exim 4.94 to 4.97)",
	    "host keys T:IP:IP:PORT (Exim 4.94 to 4.97)",
	    "T:[IP]:IP:PORT" },
	[FORM_RETRY_BRACKET] = { HDB_T_RETRY, EXIM_V(4, 98, 0), LONG_MAX,
	    "host key T:[IP]:IP:PORT (Exim 4.98 on)",
	    "host keys T:[IP]:IP:PORT (Exim 4.98 on)", "T:IP:IP:PORT" },
	[FORM_ETRN_ARG] = { HDB_T_MISC, 0, EXIM_V(4, 97, 999),
	    "ETRN serialisation record keyed etrn-ARGUMENT (Exim 4.94 to 4.97)",
	    "ETRN serialisation records keyed etrn-ARGUMENT (Exim 4.94 to "
	    "4.97)", NULL },
	[FORM_ETRN_MD5] = { HDB_T_MISC, EXIM_V(4, 98, 0), LONG_MAX,
	    "ETRN serialisation record keyed etrn-MD5 (Exim 4.98 on)",
	    "ETRN serialisation records keyed etrn-MD5 (Exim 4.98 on)", NULL },
};

const struct form *
form_info(enum form_id f)
{
	return &table[f];
}

/* key's text without its NUL into buf; 0 if it has none or is too long */
static size_t
key_text(struct hdb_datum key, char *buf, size_t len)
{
	if (key.len < 2 || key.len > len || key.data[key.len - 1] != '\0' ||
	    memchr(key.data, '\0', key.len - 1) != NULL)
		return 0;
	memcpy(buf, key.data, key.len);
	return key.len - 1;
}

static int
is_ipv4(const char *s, size_t n)
{
	char b[INET_ADDRSTRLEN];
	struct in_addr a;

	if (n == 0 || n >= sizeof(b))
		return 0;
	memcpy(b, s, n);
	b[n] = '\0';
	return inet_pton(AF_INET, b, &a) == 1;
}

static enum form_id
tls_form(const char *k, size_t n)
{
	struct in6_addr a;
	size_t i;

	for (i = 0; i < n && isxdigit((unsigned char)k[i]); i++)
		;
	if (n == 64 && i == n)
		return FORM_TLS_HASH;
	if (is_ipv4(k, n) || inet_pton(AF_INET6, k, &a) == 1)
		return FORM_TLS_IP;
	return FORM_NONE;
}

/*
 * A T: key that differs between the two: bracketed (4.98 on), or with a
 * bare IP address for a name or a bare IPv6 address (before).  The
 * message-specific keys add ":MESSAGE-ID", which has no colon.
 */
static enum form_id
retry_form(const char *k, size_t n)
{
	const char *rest = k + 2, *c;
	size_t colons = 0;

	if (n < 3 || strncmp(k, "T:", 2) != 0)
		return FORM_NONE;
	if (strchr(rest, '[') != NULL)
		return FORM_RETRY_BRACKET;
	for (c = rest; *c != '\0'; c++)
		colons += *c == ':';
	if (strstr(rest, "::") != NULL || colons > 3)
		return FORM_RETRY_BARE;		/* IPv6 */
	c = strchr(rest, ':');
	return is_ipv4(rest, c != NULL ? (size_t)(c - rest) : strlen(rest)) ?
	    FORM_RETRY_BARE : FORM_NONE;
}

static enum form_id
misc_form(const char *k, size_t n)
{
	size_t i;

	if (n < 6 || strncmp(k, "etrn-", 5) != 0)
		return FORM_NONE;
	if (k[n - 1] == '\n')
		return FORM_ETRN_ARG;
	for (i = 5; i < n && isxdigit((unsigned char)k[i]) &&
	    !isupper((unsigned char)k[i]); i++)
		;
	return i == n && n == 5 + 32 ? FORM_ETRN_MD5 : FORM_NONE;
}

enum form_id
form_of(enum hdb_dbtype type, struct hdb_datum key, struct hdb_datum val)
{
	char k[512];
	size_t n;
	struct hdb_rec r;
	const char *why;

	if (type == HDB_T_WAIT)
		return hdb_rec_decode(HDB_T_WAIT, HDB_L_AUTO, key.data, key.len,
		    val.data, val.len, &r, &why) == 0 && r.u.wait.count > 0 ?
		    (r.u.wait.id_len == HDB_MSGID_OLD ? FORM_WAIT_16 :
		    FORM_WAIT_23) : FORM_NONE;
	if ((n = key_text(key, k, sizeof(k))) == 0)
		return FORM_NONE;
	if (type == HDB_T_TLS)
		return tls_form(k, n);
	if (type == HDB_T_RETRY)
		return retry_form(k, n);
	if (type == HDB_T_MISC)
		return misc_form(k, n);
	return FORM_NONE;
}

int
form_read_by(enum form_id f, long vnum)
{
	if (f >= FORM_NONE || vnum == 0)
		return 1;
	return vnum >= table[f].first && vnum <= table[f].last;
}

size_t
form_rewrite(enum form_id f, struct hdb_datum key, uint8_t *out, size_t len)
{
	char k[512], *c;
	size_t n, o = 0, i, colons = 0;

	if ((f != FORM_RETRY_BARE && f != FORM_RETRY_BRACKET) ||
	    (n = key_text(key, k, sizeof(k))) == 0 || len < n + 3)
		return 0;
	if (f == FORM_RETRY_BRACKET) {
		/* 4.98 brackets only IP addresses: unbracket them */
		for (i = 0; i < n; i++)
			if (k[i] != '[' && k[i] != ']')
				out[o++] = (uint8_t)k[i];
		out[o++] = '\0';
		return o;
	}
	/* T:IP:IP...: the name bracketed; an IPv6 one cannot be parsed */
	if (strstr(k + 2, "::") != NULL || (c = strchr(k + 2, ':')) == NULL ||
	    !is_ipv4(k + 2, (size_t)(c - (k + 2))))
		return 0;
	for (i = 2; i < n; i++)		/* no other colon may be IPv6's */
		if (k[i] == ':' && ++colons > 3)
			return 0;
	memcpy(out, "T:[", 3);
	o = 3;
	memcpy(out + o, k + 2, (size_t)(c - (k + 2)));
	o += (size_t)(c - (k + 2));
	out[o++] = ']';
	memcpy(out + o, c, n - (size_t)(c - k));
	o += n - (size_t)(c - k);
	out[o++] = '\0';
	return o;
}
