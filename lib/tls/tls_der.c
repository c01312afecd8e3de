/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_der.c - OpenSSL session payloads (formats doc §5.2), and the peer
 * certificate parser that the GnuTLS decoder shares.
 *
 * The session goes through d2i_SSL_SESSION and the public accessors only.
 * OpenSSL has no getter for the stored verify result, the flags (extended
 * master secret), the ticket age_add or the key-exchange group (tag [19],
 * 3.0+), so the outer SEQUENCE is also walked with ASN1_get_object, which
 * checks every length against what is left; only those context tags are
 * read from the walk.  When OpenSSL refuses the session (an unknown cipher,
 * say), the same walk gives the outer fields and the result is partial.
 *
 * The peer certificate is most of the cost of a decode, so with a
 * certificate cache the walk also cuts the [3] item out before
 * d2i_SSL_SESSION and the certificate comes from the cache (tls_cache.c),
 * parsed once per distinct DER.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls/tls.h"
#include "xmalloc.h"

/* What the DER walk found.  Pointers are into the payload. */
struct der_walk {
	int		 ok;		/* the outer SEQUENCE and its items parsed */
	int		 have_version, have_ssl_version, have_cipher;
	int64_t		 version, ssl_version;
	uint16_t	 cipher;
	const uint8_t	*sid;
	size_t		 sid_len;
	int		 have_time, have_timeout, have_verify, have_flags;
	int		 have_hint, have_age_add, have_early, have_group;
	int64_t		 time, timeout, verify, flags, hint, age_add, early;
	int64_t		 group;
	const uint8_t	*host, *alpn, *peer, *ticket;
	size_t		 host_len, alpn_len, peer_len, ticket_len;
	size_t		 outer_len;	/* header + content of the SEQUENCE */
	const uint8_t	*body;		/* the SEQUENCE's content */
	size_t		 body_len;
	const uint8_t	*peer_tlv;	/* the whole [3] item */
	size_t		 peer_tlv_len;
	int		 npeer;		/* [3] items seen */
	int		 sorted;	/* context tags strictly increasing */
	int		 last_ctx;
};

/* A non-negative DER INTEGER of at most 63 bits. */
static int
der_uint(const uint8_t *p, size_t n, int64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 9 || (p[0] & 0x80))
		return -1;
	if (n == 9 && p[0] != 0)
		return -1;
	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	if (v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/*
 * One TLV at *pp within max bytes: sets its content, tag and class, and
 * advances *pp past it.  Indefinite lengths are refused.
 */
static int
der_next(const uint8_t **pp, size_t max, const uint8_t **content,
    size_t *clen, int *tag, int *cls, int *cons)
{
	const unsigned char *p = *pp;
	long len;
	int r;

	if (max == 0 || max > LONG_MAX)
		return -1;
	r = ASN1_get_object(&p, &len, tag, cls, (long)max);
	if ((r & 0x80) || r == 0x21 || len < 0 ||
	    (size_t)len > max - (size_t)(p - *pp))
		return -1;
	*cons = r & V_ASN1_CONSTRUCTED;
	*content = p;
	*clen = (size_t)len;
	*pp = p + len;
	return 0;
}

/* The single primitive item inside an EXPLICIT context tag. */
static int
der_inner(const uint8_t *p, size_t n, int want_tag, const uint8_t **c,
    size_t *clen)
{
	const uint8_t *q = p;
	int tag, cls, cons;

	if (der_next(&q, n, c, clen, &tag, &cls, &cons) == -1 ||
	    cls != V_ASN1_UNIVERSAL || tag != want_tag || cons ||
	    q != p + n)
		return -1;
	return 0;
}

static int
der_inner_uint(const uint8_t *p, size_t n, int64_t *v)
{
	const uint8_t *c;
	size_t clen;

	if (der_inner(p, n, V_ASN1_INTEGER, &c, &clen) == -1)
		return -1;
	return der_uint(c, clen, v);
}

static void
walk_ctx(struct der_walk *w, int tag, const uint8_t *c, size_t n)
{
	const uint8_t *v;
	size_t vl;

	switch (tag) {
	case 1:
		w->have_time = der_inner_uint(c, n, &w->time) == 0;
		break;
	case 2:
		w->have_timeout = der_inner_uint(c, n, &w->timeout) == 0;
		break;
	case 3:		/* the X509 itself, not wrapped further */
		w->peer = c;
		w->peer_len = n;
		break;
	case 5:
		w->have_verify = der_inner_uint(c, n, &w->verify) == 0;
		break;
	case 6:
		if (der_inner(c, n, V_ASN1_OCTET_STRING, &v, &vl) == 0) {
			w->host = v;
			w->host_len = vl;
		}
		break;
	case 9:
		w->have_hint = der_inner_uint(c, n, &w->hint) == 0;
		break;
	case 10:
		if (der_inner(c, n, V_ASN1_OCTET_STRING, &v, &vl) == 0) {
			w->ticket = v;
			w->ticket_len = vl;
		}
		break;
	case 13:
		w->have_flags = der_inner_uint(c, n, &w->flags) == 0;
		break;
	case 14:
		w->have_age_add = der_inner_uint(c, n, &w->age_add) == 0;
		break;
	case 15:
		w->have_early = der_inner_uint(c, n, &w->early) == 0;
		break;
	case 16:
		if (der_inner(c, n, V_ASN1_OCTET_STRING, &v, &vl) == 0) {
			w->alpn = v;
			w->alpn_len = vl;
		}
		break;
	case 19:
		w->have_group = der_inner_uint(c, n, &w->group) == 0;
		break;
	default:
		break;
	}
}

/*
 * der_walk - read the outer SEQUENCE of an SSL_SESSION: the five leading
 * universal items by position, then the context tags.  Stops at the first
 * malformed item (w->ok stays 0), keeping what it found before it.
 */
static void
der_walk(const uint8_t *b, size_t len, struct der_walk *w)
{
	const uint8_t *p = b, *c, *end, *item;
	size_t n;
	int tag, cls, cons, idx = 0;
	int64_t v;

	memset(w, 0, sizeof(*w));
	if (der_next(&p, len, &c, &n, &tag, &cls, &cons) == -1 ||
	    tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL || !cons)
		goto out;
	w->outer_len = (size_t)(p - b);
	w->body = c;
	w->body_len = n;
	w->sorted = 1;
	w->last_ctx = -1;
	end = c + n;
	p = c;
	while (p < end) {
		item = p;
		if (der_next(&p, (size_t)(end - p), &c, &n, &tag, &cls,
		    &cons) == -1)
			goto out;
		if (cls == V_ASN1_CONTEXT_SPECIFIC) {
			if (tag <= w->last_ctx)
				w->sorted = 0;
			w->last_ctx = tag;
			if (tag == 3) {
				w->npeer++;
				w->peer_tlv = item;
				w->peer_tlv_len = (size_t)(p - item);
			}
			if (cons)
				walk_ctx(w, tag, c, n);
			idx = 5;
			continue;
		}
		if (cls != V_ASN1_UNIVERSAL || cons)
			goto out;
		switch (idx++) {
		case 0:
			if (tag != V_ASN1_INTEGER || der_uint(c, n, &v) == -1)
				goto out;
			w->have_version = 1;
			w->version = v;
			break;
		case 1:
			if (tag != V_ASN1_INTEGER || der_uint(c, n, &v) == -1)
				goto out;
			w->have_ssl_version = 1;
			w->ssl_version = v;
			break;
		case 2:
			if (tag != V_ASN1_OCTET_STRING || n != 2)
				goto out;
			w->have_cipher = 1;
			w->cipher = (uint16_t)(c[0] << 8 | c[1]);
			break;
		case 3:
			if (tag != V_ASN1_OCTET_STRING || n > 32)
				goto out;
			w->sid = c;
			w->sid_len = n;
			break;
		case 4:		/* the master key: not kept from the walk */
			if (tag != V_ASN1_OCTET_STRING)
				goto out;
			break;
		default:
			goto out;
		}
	}
	w->ok = idx >= 5;
out:
	ERR_clear_error();	/* ASN1_get_object queues errors */
}

static void
set_cipher(struct hdb_tls_info *ti, uint16_t id)
{
	ti->have_cipher = 1;
	ti->cipher_id = id;
	ti->cipher_name = hdb_tls_cipher_name(id);
}

static void
set_group(struct hdb_tls_info *ti, int64_t g)
{
	if (g <= 0 || g > 0xffff)
		return;		/* 0: no (EC)DHE group, e.g. RSA key exchange */
	ti->have_group = 1;
	ti->group_raw = (uint32_t)g;
	ti->group_id = (uint16_t)g;
	ti->group_name = hdb_tls_group_name((uint16_t)g);
}

/* The fields of the walk used whether or not OpenSSL accepted it. */
static void
from_walk_extra(struct hdb_tls_info *ti, const struct der_walk *w)
{
	ti->have_verify_result = 1;	/* absent means X509_V_OK (0) */
	ti->verify_result = w->have_verify ? (long)w->verify : 0;
	ti->extms = w->have_flags ? (int)(w->flags & 1) : 0;
	if (w->have_age_add && ti->tls_version == 0x0304) {
		ti->have_age_add = 1;
		ti->ticket_age_add = (uint32_t)w->age_add;
	}
	if (w->have_group)
		set_group(ti, w->group);
}

/* OpenSSL refused the DER: report what the walk could read. */
static int
from_walk(struct hdb_tls_info *ti, const struct der_walk *w,
    struct hdb_tls_cache *cache)
{
	if (!w->have_ssl_version || !w->have_cipher)
		return -1;
	ti->tls_version = (unsigned)w->ssl_version;
	set_cipher(ti, w->cipher);
	if (w->sid != NULL) {
		memcpy(ti->session_id, w->sid, w->sid_len);
		ti->session_id_len = w->sid_len;
	}
	if (w->have_time) {
		ti->have_start = 1;
		ti->start_time = w->time;
	}
	if (w->have_timeout) {
		ti->have_timeout = 1;
		ti->timeout = w->timeout;
	}
	if (w->host != NULL)
		hdb_tls_str_set(&ti->sni, w->host, w->host_len);
	if (w->alpn != NULL)
		hdb_tls_str_set(&ti->alpn, w->alpn, w->alpn_len);
	ti->have_lifetime = 1;
	ti->ticket_lifetime = w->have_hint ? w->hint : 0;
	if (w->ticket != NULL) {
		ti->have_ticket = 1;
		ti->ticket_len = w->ticket_len;
	}
	if (w->have_early) {
		ti->have_max_early_data = 1;
		ti->max_early_data = (uint32_t)w->early;
	}
	if (w->peer != NULL) {
		ti->chain_len = 1;
		(void)hdb_tls_cert_cached(cache, w->peer, w->peer_len,
		    hdb_tls_cert_parse, &ti->peer);
	}
	from_walk_extra(ti, w);
	return 1;
}

/* Copy the master key and the ticket body into the wiped buffer. */
static void
copy_secrets(struct hdb_tls_info *ti, const SSL_SESSION *s)
{
	const unsigned char *tick = NULL;
	size_t n = SSL_SESSION_get_master_key(s, NULL, 0), tl = 0;
	uint8_t *p;

	if (n > 0 && (p = hdb_tls_secret_alloc(ti, n)) != NULL) {
		ti->secret_len = SSL_SESSION_get_master_key(s, p, n);
		ti->secret = p;
		ti->secret_kind = ti->tls_version == 0x0304 ?
		    HDB_TLS_SECRET_PSK : HDB_TLS_SECRET_MASTER;
	}
	if (!SSL_SESSION_has_ticket(s))
		return;
	SSL_SESSION_get0_ticket(s, &tick, &tl);
	ti->have_ticket = 1;
	ti->ticket_len = tl;
	if (tl > 0 && (p = hdb_tls_secret_alloc(ti, tl)) != NULL) {
		memcpy(p, tick, tl);
		ti->ticket = p;
	}
}

static void
from_session(struct hdb_tls_info *ti, const SSL_SESSION *s)
{
	const SSL_CIPHER *c = SSL_SESSION_get0_cipher(s);
	const unsigned char *p;
	const char *host;
	unsigned int idlen;
	size_t n;
	X509 *peer;

	ti->tls_version = (unsigned)SSL_SESSION_get_protocol_version(s);
	if (c != NULL) {
		set_cipher(ti, (uint16_t)SSL_CIPHER_get_protocol_id(c));
		if (SSL_CIPHER_standard_name(c) != NULL)
			ti->cipher_name = SSL_CIPHER_standard_name(c);
		ti->cipher_openssl = SSL_CIPHER_get_name(c);
	}
	p = SSL_SESSION_get_id(s, &idlen);
	if (idlen > sizeof(ti->session_id))
		idlen = sizeof(ti->session_id);
	memcpy(ti->session_id, p, idlen);
	ti->session_id_len = idlen;
	p = SSL_SESSION_get0_id_context(s, &idlen);
	if (idlen > sizeof(ti->sid_ctx))
		idlen = sizeof(ti->sid_ctx);
	memcpy(ti->sid_ctx, p, idlen);
	ti->sid_ctx_len = idlen;
	if ((host = SSL_SESSION_get0_hostname(s)) != NULL)
		hdb_tls_str_set(&ti->sni, host, strlen(host));
	SSL_SESSION_get0_alpn_selected(s, &p, &n);
	if (p != NULL && n > 0)
		hdb_tls_str_set(&ti->alpn, p, n);
	ti->have_start = ti->have_timeout = 1;
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
	ti->start_time = (int64_t)SSL_SESSION_get_time_ex(s);
#else
	ti->start_time = (int64_t)SSL_SESSION_get_time(s);
#endif
	ti->timeout = (int64_t)SSL_SESSION_get_timeout(s);
	ti->have_lifetime = 1;
	ti->ticket_lifetime = (int64_t)SSL_SESSION_get_ticket_lifetime_hint(s);
	if (ti->tls_version == 0x0304) {
		ti->have_max_early_data = 1;
		ti->max_early_data = SSL_SESSION_get_max_early_data(s);
	}
	ti->max_fragment_length = SSL_SESSION_get_max_fragment_length(s);
	ti->resumable_flag = SSL_SESSION_is_resumable(s) ? 1 : 0;
	if ((peer = SSL_SESSION_get0_peer((SSL_SESSION *)s)) != NULL) {
		unsigned char *der = NULL;
		int dl = i2d_X509(peer, &der);

		ti->chain_len = 1;
		if (dl > 0)
			hdb_tls_cert_parse(der, (size_t)dl, &ti->peer);
		OPENSSL_free(der);
	}
	copy_secrets(ti, s);
}

/* A DER length field for n at p (room for 9 bytes); returns its size. */
static size_t
der_len(uint8_t *p, size_t n)
{
	size_t k = 0, i;

	if (n < 0x80) {
		p[0] = (uint8_t)n;
		return 1;
	}
	for (i = n; i > 0; i >>= 8)
		k++;
	p[0] = (uint8_t)(0x80 | k);
	for (i = 0; i < k; i++)
		p[k - i] = (uint8_t)(n >> (8 * i));
	return k + 1;
}

/*
 * session_sans_peer - d2i_SSL_SESSION of the session with its [3] item
 * cut out, so that OpenSSL does not parse the certificate again.  The
 * copy holds the master key: it is wiped.
 */
static SSL_SESSION *
session_sans_peer(const struct der_walk *w)
{
	uint8_t stackbuf[4096], *buf = stackbuf;
	const unsigned char *p;
	size_t before, after, n, cap, hl;
	SSL_SESSION *s = NULL;

	n = w->body_len - w->peer_tlv_len;
	before = (size_t)(w->peer_tlv - w->body);
	after = n - before;
	cap = n + 10;
	if (cap > LONG_MAX)
		return NULL;
	if (cap > sizeof(stackbuf))
		buf = xmalloc(cap);
	buf[0] = 0x30;
	hl = 1 + der_len(buf + 1, n);
	memcpy(buf + hl, w->body, before);
	memcpy(buf + hl + before, w->peer_tlv + w->peer_tlv_len, after);
	p = buf;
	s = d2i_SSL_SESSION(NULL, &p, (long)(hl + n));
	if (s != NULL && (size_t)(p - buf) != hl + n) {
		SSL_SESSION_free(s);
		s = NULL;
	}
	OPENSSL_cleanse(buf, hl + n);
	if (buf != stackbuf)
		free(buf);
	ERR_clear_error();
	return s;
}

/*
 * decode_cached - the decode with the peer certificate from the cache.
 * Cutting the [3] item out leaves a session OpenSSL accepts exactly when
 * it accepts the original, given that the certificate parses and that [3]
 * sits where the ASN.1 template expects it (one, in tag order).  Returns
 * -2 when that does not hold, for the caller to take the long way.
 */
static int
decode_cached(const uint8_t *b, size_t len, const struct der_walk *w,
    struct hdb_tls_cache *cache, struct hdb_tls_info *ti)
{
	SSL_SESSION *s;

	if (!w->ok || !w->sorted || w->npeer != 1 || w->peer == NULL)
		return -2;
	if (hdb_tls_cert_cached(cache, w->peer, w->peer_len,
	    hdb_tls_cert_parse_canon, &ti->peer) == -2)
		return -2;
	if ((s = session_sans_peer(w)) == NULL) {
		hdb_tls_cert_clear(&ti->peer);
		return -2;
	}
	from_session(ti, s);
	ti->chain_len = 1;
	from_walk_extra(ti, w);
	SSL_SESSION_free(s);
	if (w->outer_len != len) {
		snprintf(ti->whybuf, sizeof(ti->whybuf),
		    "%zu bytes after the DER session", len - w->outer_len);
		ti->why = ti->whybuf;
		return 1;
	}
	return 0;
}

int
hdb_tls_decode_der(const uint8_t *b, size_t len, struct hdb_tls_cache *cache,
    struct hdb_tls_info *ti)
{
	const unsigned char *p = b;
	struct der_walk w;
	SSL_SESSION *s;
	unsigned long e;
	int r = 0;

	der_walk(b, len, &w);
	if (len > LONG_MAX) {
		ti->why = "payload too large";
		return -1;
	}
	if (cache != NULL &&
	    (r = decode_cached(b, len, &w, cache, ti)) != -2)
		return r;
	r = 0;
	s = d2i_SSL_SESSION(NULL, &p, (long)len);
	if (s == NULL) {
		e = ERR_peek_last_error();
		snprintf(ti->whybuf, sizeof(ti->whybuf),
		    "OpenSSL does not accept the session (%s)",
		    e != 0 && ERR_reason_error_string(e) != NULL ?
		    ERR_reason_error_string(e) : "not an SSL_SESSION");
		ERR_clear_error();
		ti->why = ti->whybuf;
		return from_walk(ti, &w, cache);
	}
	from_session(ti, s);
	from_walk_extra(ti, &w);
	if ((size_t)(p - b) != len) {
		snprintf(ti->whybuf, sizeof(ti->whybuf),
		    "%zu bytes after the DER session", len - (size_t)(p - b));
		ti->why = ti->whybuf;
		r = 1;
	}
	SSL_SESSION_free(s);
	ERR_clear_error();
	return r;
}
