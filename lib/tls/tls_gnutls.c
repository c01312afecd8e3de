/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_gnutls.c - GnuTLS packed sessions (gnutls_session_get_data2), the
 * payload of Exim's tls records in GnuTLS builds (formats doc §5.3).
 *
 * Everything is big-endian and length-prefixed, and is read here field by
 * field through a cursor that refuses to move past its end.  The three
 * blocks that carry their own length (auth-info, security parameters, the
 * TLS 1.3 ticket) get a cursor of exactly that length, so a wrong count
 * inside one is caught at the block's end instead of derailing the rest.
 * The layout is chosen by the writer's version, taken from the magic:
 *
 *   A  3.6.3-3.6.4  no expire_time; the TLS 1.3 block starts with a
 *                   ticket timestamp and has no arrival or max_early_data;
 *                   3.6.3 keeps the session id after the randoms and has
 *                   one certificate type (best effort, never seen live)
 *   B  3.6.5-3.7.1  the cipher suite only for TLS <= 1.2, first in that part
 *   C  3.7.2-3.8.x  the cipher suite always, after the certificate types
 *
 * Anything else in the magic range (3.6.0-3.6.2, or a layout that does not
 * add up) decodes as far as the common header and is marked partial.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

#include "tls/tls.h"

#define GNUTLS_CRD_CERTIFICATE	1
#define GNUTLS_PROTO_TLS13	5
#define EXT_SESSION_TICKET	13	/* GnuTLS-internal ids, 3.6-3.8 */
#define EXT_SERVER_NAME		18
#define MAX_CERTS		64	/* more than any real chain */

struct cur {
	const uint8_t	*b;
	size_t		 len, off;
	struct hdb_tls_cache *cache;	/* for the peer certificate; NULL */
};

static int
need(const struct cur *c, size_t n)
{
	return n <= c->len - c->off ? 0 : -1;
}

static int
rd8(struct cur *c, uint8_t *v)
{
	if (need(c, 1) == -1)
		return -1;
	*v = c->b[c->off++];
	return 0;
}

static int
rd32(struct cur *c, uint32_t *v)
{
	const uint8_t *p;

	if (need(c, 4) == -1)
		return -1;
	p = c->b + c->off;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	c->off += 4;
	return 0;
}

static int
rdbytes(struct cur *c, size_t n, const uint8_t **p)
{
	if (need(c, n) == -1)
		return -1;
	*p = c->b + c->off;
	c->off += n;
	return 0;
}

/* A u32 length, then that many bytes. */
static int
rdpfx4(struct cur *c, const uint8_t **p, uint32_t *n)
{
	if (rd32(c, n) == -1)
		return -1;
	return rdbytes(c, *n, p);
}

static int
rdpfx1(struct cur *c, const uint8_t **p, uint8_t *n)
{
	if (rd8(c, n) == -1)
		return -1;
	return rdbytes(c, *n, p);
}

/* A sub-cursor over the next n bytes (a length-prefixed block). */
static int
sub(struct cur *c, size_t n, struct cur *s)
{
	const uint8_t *p;

	if (rdbytes(c, n, &p) == -1)
		return -1;
	s->b = p;
	s->len = n;
	s->off = 0;
	s->cache = c->cache;
	return 0;
}

/* ---- GnuTLS enumerations (gnutls.h, 3.6-3.8) ---- */

static const struct {
	uint32_t	 gnutls;
	uint16_t	 iana;
} group_map[] = {
	{ 1, 0x0015 }, { 2, 0x0017 }, { 3, 0x0018 }, { 4, 0x0019 },
	{ 5, 0x0013 }, { 6, 0x001D }, { 13, 0x0026 }, { 14, 0x0027 },
	{ 15, 0x0028 }, { 16, 0x0022 }, { 17, 0x0023 }, { 18, 0x0024 },
	{ 19, 0x0025 }, { 20, 0x001E }, { 256, 0x0100 }, { 257, 0x0101 },
	{ 258, 0x0102 }, { 259, 0x0104 }, { 260, 0x0103 },
};

static const char *const sign_names[] = {
	NULL, "RSA-SHA1", "DSA-SHA1", "RSA-MD5", "RSA-MD2", "RSA-RMD160",
	"RSA-SHA256", "RSA-SHA384", "RSA-SHA512", "RSA-SHA224",
	"DSA-SHA224", "DSA-SHA256", "ECDSA-SHA1", "ECDSA-SHA224",
	"ECDSA-SHA256", "ECDSA-SHA384", "ECDSA-SHA512", "DSA-SHA384",
	"DSA-SHA512", NULL, "ECDSA-SHA3-224", "ECDSA-SHA3-256",
	"ECDSA-SHA3-384", "ECDSA-SHA3-512", "DSA-SHA3-224", "DSA-SHA3-256",
	"DSA-SHA3-384", "DSA-SHA3-512", "RSA-SHA3-224", "RSA-SHA3-256",
	"RSA-SHA3-384", "RSA-SHA3-512", "RSA-PSS-SHA256", "RSA-PSS-SHA384",
	"RSA-PSS-SHA512", "EdDSA-Ed25519", "RSA-RAW",
	"ECDSA-SECP256R1-SHA256", "ECDSA-SECP384R1-SHA384",
	"ECDSA-SECP521R1-SHA512", "RSA-PSS-RSAE-SHA256",
	"RSA-PSS-RSAE-SHA384", "RSA-PSS-RSAE-SHA512", "GOSTR341001",
	"GOSTR341012-256", "GOSTR341012-512", "EdDSA-Ed448",
};

static const char *const mac_names[] = {
	NULL, "MAC-NULL", "MD5", "SHA1", "RIPEMD160", "MD2", "SHA256",
	"SHA384", "SHA512", "SHA224", "SHA3-224", "SHA3-256", "SHA3-384",
	"SHA3-512", "MD5+SHA1",
};

static const char *
sign_name(uint32_t id)
{
	return id < sizeof(sign_names) / sizeof(sign_names[0]) ?
	    sign_names[id] : NULL;
}

static unsigned
proto_version(uint32_t p)
{
	switch (p) {
	case 1:
		return 0x0300;
	case 2:
		return 0x0301;
	case 3:
		return 0x0302;
	case 4:
		return 0x0303;
	case 5:
		return 0x0304;
	case 200:
		return 0x0100;
	case 201:
		return 0xFEFF;
	case 202:
		return 0xFEFD;
	default:
		return 0;
	}
}

static void
set_cipher(struct hdb_tls_info *ti, const uint8_t *cs)
{
	const char *o;

	ti->have_cipher = 1;
	ti->cipher_id = (uint16_t)(cs[0] << 8 | cs[1]);
	ti->cipher_name = hdb_tls_cipher_name(ti->cipher_id);
	if (ti->cipher_name != NULL &&
	    (o = OPENSSL_cipher_name(ti->cipher_name)) != NULL &&
	    strcmp(o, "(NONE)") != 0)
		ti->cipher_openssl = o;
}

static void
set_group(struct hdb_tls_info *ti, uint32_t g)
{
	size_t i;

	if (g == 0)
		return;		/* no (EC)DHE group: RSA key exchange */
	ti->have_group = 1;
	ti->group_raw = g;
	for (i = 0; i < sizeof(group_map) / sizeof(group_map[0]); i++)
		if (group_map[i].gnutls == g) {
			ti->group_id = group_map[i].iana;
			ti->group_name = hdb_tls_group_name(ti->group_id);
		}
}

/* ---- the blocks ---- */

/* Certificate auth-info: DH items, the peer chain, OCSP responses. */
static int
auth_cert(struct cur *c, struct hdb_tls_info *ti)
{
	const uint8_t *p;
	uint32_t n, i, len;

	if (c->len == 0)
		return 0;	/* no auth info at all */
	if (rd32(c, &n) == -1)	/* DH secret bits */
		return -1;
	for (i = 0; i < 3; i++)	/* DH prime, generator, public key */
		if (rdpfx4(c, &p, &len) == -1)
			return -1;
	if (rd32(c, &n) == -1)
		return -1;
	ti->chain_len = n;
	for (i = 0; i < n; i++) {
		if (rdpfx4(c, &p, &len) == -1)
			return -1;
		if (i == 0)
			(void)hdb_tls_cert_cached(c->cache, p, len,
			    hdb_tls_cert_parse, &ti->peer);
	}
	/* OCSP responses: written since 3.6.x; absent in older layouts. */
	if (c->off == c->len)
		return 0;
	if (rd32(c, &n) == -1)
		return -1;
	ti->nocsp = n;
	for (i = 0; i < n; i++) {
		if (rdpfx4(c, &p, &len) == -1)
			return -1;
		ti->ocsp_bytes += len;
	}
	return 0;
}

static int
tls12_part(struct cur *c, struct hdb_tls_info *ti)
{
	const uint8_t *p;
	uint8_t n;
	uint32_t g, v;
	uint8_t *s;

	if (ti->layout != 'C') {
		if (rdbytes(c, 2, &p) == -1)
			return -1;
		set_cipher(ti, p);
	}
	if (rdpfx1(c, &p, &n) == -1)
		return -1;
	if (n > 0 && (s = hdb_tls_secret_alloc(ti, n)) != NULL) {
		memcpy(s, p, n);
		ti->secret = s;
		ti->secret_len = n;
		ti->secret_kind = HDB_TLS_SECRET_MASTER;
	}
	if (rdpfx1(c, &p, &n) == -1 || n != 32)
		return -1;
	memcpy(ti->client_random, p, 32);
	if (rdpfx1(c, &p, &n) == -1 || n != 32)
		return -1;
	memcpy(ti->server_random, p, 32);
	if (ti->layout == 'A' && ti->gnutls_version == 0x030603) {
		if (rdpfx1(c, &p, &n) == -1 || n > 32)
			return -1;
		memcpy(ti->session_id, p, n);
		ti->session_id_len = n;
	}
	if (rd32(c, &ti->rec_send) == -1 || rd32(c, &ti->rec_recv) == -1)
		return -1;
	ti->have_tls12_params = 1;
	if (rd32(c, &g) == -1)
		return -1;
	set_group(ti, g);
	if (rd32(c, &ti->server_sig) == -1 || rd32(c, &ti->client_sig) == -1)
		return -1;
	ti->server_sig_name = sign_name(ti->server_sig);
	ti->client_sig_name = sign_name(ti->client_sig);
	if (rd32(c, &v) == -1)
		return -1;
	ti->extms = v != 0;
	if (rd32(c, &v) == -1)
		return -1;
	ti->etm = v != 0;
	return 0;
}

static int
secparams(struct cur *c, struct hdb_tls_info *ti)
{
	const uint8_t *p;
	uint32_t v;
	uint8_t n;

	if (rd32(c, &v) == -1)
		return -1;
	ti->gnutls_entity = (int)v;
	if (rd32(c, &ti->prf_mac) == -1)
		return -1;
	if (ti->prf_mac < sizeof(mac_names) / sizeof(mac_names[0]))
		ti->prf_name = mac_names[ti->prf_mac];
	if (rd32(c, &v) == -1 || rd32(c, &v) == -1)	/* auth types */
		return -1;
	if (!(ti->layout == 'A' && ti->gnutls_version == 0x030603)) {
		if (rdpfx1(c, &p, &n) == -1 || n > 32)
			return -1;
		memcpy(ti->session_id, p, n);
		ti->session_id_len = n;
	}
	if (rd32(c, &v) == -1)
		return -1;
	if ((ti->tls_version = proto_version(v)) == 0)
		return -1;
	if (rd32(c, &v) == -1)		/* client certificate type */
		return -1;
	if (!(ti->layout == 'A' && ti->gnutls_version == 0x030603) &&
	    rd32(c, &v) == -1)		/* server certificate type */
		return -1;
	if (ti->layout == 'C') {
		if (rdbytes(c, 2, &p) == -1)
			return -1;
		set_cipher(ti, p);
	}
	if (ti->tls_version == 0x0304)
		return 0;
	return tls12_part(c, ti);
}

static int
tls13_ticket(struct cur *c, struct hdb_tls_info *ti)
{
	const uint8_t *p;
	uint32_t v, hi, lo, tl;
	uint8_t n;
	uint8_t *s;

	if (c->len == 0)
		return 0;	/* no NewSessionTicket was received */
	if (ti->layout == 'A') {
		if (rd32(c, &v) == -1)	/* ticket timestamp, seconds */
			return -1;
		ti->have_arrival = 1;
		ti->arrival_s = v;
	}
	if (rd32(c, &v) == -1)
		return -1;
	ti->have_lifetime = 1;
	ti->ticket_lifetime = v;
	if (rd32(c, &ti->ticket_age_add) == -1)
		return -1;
	ti->have_age_add = 1;
	if (rdpfx1(c, &p, &n) == -1)
		return -1;
	memcpy(ti->ticket_nonce, p, n);
	ti->ticket_nonce_len = n;
	if (rdpfx4(c, &p, &tl) == -1)
		return -1;
	ti->have_ticket = 1;
	ti->ticket_len = tl;
	if (tl > 0 && (s = hdb_tls_secret_alloc(ti, tl)) != NULL) {
		memcpy(s, p, tl);
		ti->ticket = s;
	}
	if (rdpfx1(c, &p, &n) == -1)
		return -1;
	if (n > 0 && (s = hdb_tls_secret_alloc(ti, n)) != NULL) {
		memcpy(s, p, n);
		ti->secret = s;
		ti->secret_len = n;
		ti->secret_kind = HDB_TLS_SECRET_RMS;
	}
	if (ti->layout == 'A')
		return 0;
	if (rd32(c, &hi) == -1 || rd32(c, &lo) == -1 ||
	    rd32(c, &ti->arrival_ns) == -1)
		return -1;
	ti->have_arrival = 1;
	ti->arrival_s = (int64_t)((uint64_t)hi << 32 | lo);
	if (rd32(c, &ti->max_early_data) == -1)
		return -1;
	ti->have_max_early_data = 1;
	return 0;
}

/* One TLS <= 1.2 extension state: only the ticket and SNI are read. */
static void
ext_state(struct hdb_tls_info *ti, uint32_t id, const uint8_t *p,
    uint32_t len)
{
	struct cur c = { p, len, 0, NULL };
	const uint8_t *q;
	uint32_t tl;
	uint8_t *s;

	if (id == EXT_SESSION_TICKET && rdpfx4(&c, &q, &tl) == 0 &&
	    c.off == c.len) {
		ti->have_ticket = 1;
		ti->ticket_len = tl;
		if (tl > 0 && ti->ticket == NULL &&
		    (s = hdb_tls_secret_alloc(ti, tl)) != NULL) {
			memcpy(s, q, tl);
			ti->ticket = s;
		}
	}
	/* server_name: a u16 length and the name, when it fits exactly. */
	if (id == EXT_SERVER_NAME && len >= 2 &&
	    (size_t)(p[0] << 8 | p[1]) + 2 == len && ti->sni.p == NULL)
		hdb_tls_str_set(&ti->sni, p + 2, len - 2);
}

static int
extensions(struct cur *c, struct hdb_tls_info *ti)
{
	const uint8_t *p;
	uint32_t n, i, id, len;

	if (rd32(c, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (rd32(c, &id) == -1 || rdpfx4(c, &p, &len) == -1)
			return -1;
		if (ti->next < HDB_TLS_MAX_EXT) {
			ti->ext[ti->next].id = id;
			ti->ext[ti->next++].len = len;
		}
		ext_state(ti, id, p, len);
	}
	return 0;
}

static int
fail(struct hdb_tls_info *ti, const char *what)
{
	snprintf(ti->whybuf, sizeof(ti->whybuf), "GnuTLS %s: %s",
	    ti->gnutls_version_str, what);
	ti->why = ti->whybuf;
	return 1;
}

/* Read a length-prefixed block into s and decode it with fn. */
static int
block(struct cur *c, struct cur *s, struct hdb_tls_info *ti,
    int (*fn)(struct cur *, struct hdb_tls_info *))
{
	uint32_t n;

	if (rd32(c, &n) == -1 || sub(c, n, s) == -1)
		return -1;
	if (fn(s, ti) == -1 || s->off != s->len)
		return -1;
	return 0;
}

static int
skip(struct cur *c, struct hdb_tls_info *ti)
{
	c->off = c->len;
	return 0;
}

int
hdb_tls_decode_gnutls(const uint8_t *b, size_t len,
    struct hdb_tls_cache *cache, struct hdb_tls_info *ti)
{
	struct cur c = { b, len, 0, cache }, s;
	uint32_t v;
	uint8_t cred;

	if (rd32(&c, &ti->magic) == -1)
		return -1;
	ti->gnutls_version = ti->magic - HDB_GNUTLS_MAGIC_BASE;
	snprintf(ti->gnutls_version_str, sizeof(ti->gnutls_version_str),
	    "%u.%u.%u", ti->gnutls_version >> 16,
	    ti->gnutls_version >> 8 & 0xff, ti->gnutls_version & 0xff);
	if (ti->gnutls_version >= 0x030702)
		ti->layout = 'C';
	else if (ti->gnutls_version >= 0x030605)
		ti->layout = 'B';
	else if (ti->gnutls_version >= 0x030603)
		ti->layout = 'A';
	if (rd32(&c, &v) == -1)
		return fail(ti, "truncated in the header");
	ti->have_start = 1;
	ti->start_time = v;
	if (ti->layout == 0)
		return fail(ti, "no known layout for this writer");
	if (ti->layout != 'A') {
		if (rd32(&c, &v) == -1)
			return fail(ti, "truncated in the header");
		ti->have_timeout = 1;
		ti->timeout = v;
	}
	if (rd8(&c, &cred) == -1)
		return fail(ti, "truncated in the header");
	ti->gnutls_cred = cred;
	if (block(&c, &s, ti, cred == GNUTLS_CRD_CERTIFICATE ?
	    auth_cert : skip) == -1)
		return fail(ti, "auth-info block does not add up");
	if (block(&c, &s, ti, secparams) == -1)
		return fail(ti, "security parameters do not add up");
	if (ti->tls_version == 0x0304) {
		if (block(&c, &s, ti, tls13_ticket) == -1)
			return fail(ti, "TLS 1.3 ticket block does not add up");
	} else if (extensions(&c, ti) == -1)
		return fail(ti, "extension data does not add up");
	ti->decoded_len = c.off;
	if (c.off != len) {
		snprintf(ti->whybuf, sizeof(ti->whybuf),
		    "GnuTLS %s: %zu bytes after the session data",
		    ti->gnutls_version_str, len - c.off);
		ti->why = ti->whybuf;
		return 1;
	}
	return 0;
}
