/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_model.c - the session model of tls.h: the name tables, the string
 * and secret storage the decoders fill, clearing (with the secrets wiped),
 * the expiry rules (formats doc §5.2, §5.3) and what can be resumed.  It
 * uses nothing else in lib/tls; the decoders and the formatters use it.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tls/tls.h"
#include "xmalloc.h"

struct name16 {
	uint16_t	 id;
	const char	*name;
};

/*
 * IANA cipher suite names: TLS 1.3, and the TLS 1.2 ECDHE, DHE and RSA
 * suites with AES-GCM, ChaCha20-Poly1305, AES-CCM, AES-CBC and Camellia
 * that GnuTLS and OpenSSL offer.  Sorted by id.
 */
static const struct name16 ciphers[] = {
	{ 0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA" },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA" },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA" },
	{ 0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA" },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA" },
	{ 0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA" },
	{ 0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256" },
	{ 0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384" },
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0x1304, "TLS_AES_128_CCM_SHA256" },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
	{ 0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384" },
	{ 0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256" },
	{ 0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384" },
	{ 0xC09C, "TLS_RSA_WITH_AES_128_CCM" },
	{ 0xC09D, "TLS_RSA_WITH_AES_256_CCM" },
	{ 0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM" },
	{ 0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM" },
	{ 0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8" },
	{ 0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8" },
	{ 0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8" },
	{ 0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8" },
	{ 0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM" },
	{ 0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM" },
	{ 0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8" },
	{ 0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8" },
	{ 0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
};

/* IANA TLS Supported Groups, named as GnuTLS names them.  Sorted by id. */
static const struct name16 groups[] = {
	{ 0x0013, "SECP192R1" },
	{ 0x0015, "SECP224R1" },
	{ 0x0017, "SECP256R1" },
	{ 0x0018, "SECP384R1" },
	{ 0x0019, "SECP521R1" },
	{ 0x001D, "X25519" },
	{ 0x001E, "X448" },
	{ 0x0022, "GC256A" },
	{ 0x0023, "GC256B" },
	{ 0x0024, "GC256C" },
	{ 0x0025, "GC256D" },
	{ 0x0026, "GC512A" },
	{ 0x0027, "GC512B" },
	{ 0x0028, "GC512C" },
	{ 0x0100, "FFDHE2048" },
	{ 0x0101, "FFDHE3072" },
	{ 0x0102, "FFDHE4096" },
	{ 0x0103, "FFDHE6144" },
	{ 0x0104, "FFDHE8192" },
};

static const char *
find16(const struct name16 *t, size_t n, uint16_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid].id == id)
			return t[mid].name;
		if (t[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *
hdb_tls_cipher_name(uint16_t id)
{
	return find16(ciphers, sizeof(ciphers) / sizeof(ciphers[0]), id);
}

const char *
hdb_tls_group_name(uint16_t id)
{
	return find16(groups, sizeof(groups) / sizeof(groups[0]), id);
}

const char *
hdb_tls_lib_name(enum hdb_tls_lib l)
{
	switch (l) {
	case HDB_TLS_LIB_OPENSSL:
		return "openssl";
	case HDB_TLS_LIB_GNUTLS:
		return "gnutls";
	case HDB_TLS_LIB_GNUTLS_NO_TICKET:
		return "gnutls-no-ticket";
	default:
		return "unknown";
	}
}

const char *
hdb_tls_version_name(unsigned v)
{
	switch (v) {
	case 0x0300:
		return "SSL3.0";
	case 0x0301:
		return "TLS1.0";
	case 0x0302:
		return "TLS1.1";
	case 0x0303:
		return "TLS1.2";
	case 0x0304:
		return "TLS1.3";
	case 0x0100:
		return "DTLS0.9";
	case 0xFEFF:
		return "DTLS1.0";
	case 0xFEFD:
		return "DTLS1.2";
	default:
		return NULL;
	}
}

const char *
hdb_tls_ocsp_name(int ocsp)
{
	static const char *const n[] = {
		"not requested", "requested, no response",
		"response not verified", "verify failed", "verified",
	};

	return ocsp >= 0 && ocsp <= 4 ? n[ocsp] : "unknown";
}

const char *
hdb_tls_secret_name(enum hdb_tls_secret k)
{
	switch (k) {
	case HDB_TLS_SECRET_MASTER:
		return "master_secret";
	case HDB_TLS_SECRET_PSK:
		return "resumption_psk";
	case HDB_TLS_SECRET_RMS:
		return "resumption_master_secret";
	default:
		return "secret";
	}
}

void
hdb_tls_str_set(struct hdb_tls_str *s, const void *src, size_t n)
{
	free(s->p);
	s->p = xmalloc(n + 1);
	if (n > 0)
		memcpy(s->p, src, n);
	s->p[n] = '\0';
	s->len = n;
}

static void
str_free(struct hdb_tls_str *s)
{
	free(s->p);
	s->p = NULL;
	s->len = 0;
}

uint8_t *
hdb_tls_secret_alloc(struct hdb_tls_info *ti, size_t n)
{
	uint8_t *p;

	/* Every secret is a part of the payload, so the payload length
	 * bounds them all: one buffer, never reallocated (a realloc would
	 * leave copies behind that nobody wipes). */
	if (ti->secbuf == NULL) {
		ti->secbuf_cap = ti->payload_len;
		ti->secbuf = xmalloc(ti->secbuf_cap);
		ti->secbuf_len = 0;
	}
	if (n > ti->secbuf_cap - ti->secbuf_len)
		return NULL;
	p = ti->secbuf + ti->secbuf_len;
	ti->secbuf_len += n;
	return p;
}

void
hdb_tls_cert_clear(struct hdb_tls_cert *c)
{
	size_t i;

	str_free(&c->subject);
	str_free(&c->issuer);
	str_free(&c->cn);
	for (i = 0; i < c->nsan; i++)
		str_free(&c->san[i]);
	memset(c, 0, sizeof(*c));
}

void
hdb_tls_info_clear(struct hdb_tls_info *ti)
{
	if (ti->secbuf != NULL) {
		OPENSSL_cleanse(ti->secbuf, ti->secbuf_cap);
		free(ti->secbuf);
	}
	str_free(&ti->sni);
	str_free(&ti->alpn);
	hdb_tls_cert_clear(&ti->peer);
	OPENSSL_cleanse(ti, sizeof(*ti));
	ti->lib = HDB_TLS_LIB_UNKNOWN;
	ti->gnutls_version_match = -1;
	ti->resumable_flag = -1;
	ti->extms = ti->etm = -1;
}

void
hdb_tls_compute_expiry(struct hdb_tls_info *ti)
{
	int64_t base;

	ti->have_expires = ti->have_lib_expires = ti->have_ticket_expires = 0;
	ti->expires_rule = NULL;
	if (ti->have_start && ti->have_timeout) {
		ti->have_lib_expires = 1;
		ti->lib_expires = ti->start_time + ti->timeout;
	}
	switch (ti->lib) {
	case HDB_TLS_LIB_OPENSSL:
		/* Exim: record time_stamp + the ticket lifetime hint. */
		if (!ti->have_lifetime || (!ti->have_record && !ti->have_start))
			return;
		base = ti->have_record ? ti->record_time : ti->start_time;
		ti->have_expires = 1;
		ti->expires = base + ti->ticket_lifetime;
		ti->expires_rule = ti->have_record ?
		    "record time + ticket lifetime hint (Exim)" :
		    "session time + ticket lifetime hint (Exim's rule; "
		    "no record time)";
		return;
	case HDB_TLS_LIB_GNUTLS:
		if (ti->tls_version == 0x0304 && ti->have_arrival &&
		    ti->have_lifetime) {
			ti->have_ticket_expires = 1;
			ti->ticket_expires = ti->arrival_s + ti->ticket_lifetime;
		}
		if (ti->tls_version == 0x0304 && ti->have_ticket_expires) {
			ti->have_expires = 1;
			ti->expires = ti->ticket_expires;
			ti->expires_rule = "ticket arrival + lifetime";
			if (ti->have_lib_expires) {
				if (ti->lib_expires < ti->expires)
					ti->expires = ti->lib_expires;
				ti->expires_rule = "min(timestamp + expire_time, "
				    "ticket arrival + lifetime)";
			}
		} else if (ti->have_lib_expires) {
			ti->have_expires = 1;
			ti->expires = ti->lib_expires;
			ti->expires_rule = "timestamp + expire_time";
		}
		return;
	default:
		return;
	}
}

void
hdb_tls_set_record(struct hdb_tls_info *ti, int64_t t, int have_flags,
    uint8_t flags)
{
	ti->have_record = 1;
	ti->record_time = t;
	/* GnuTLS builds never set the flags: uninitialised memory. */
	ti->have_flags = have_flags && ti->lib == HDB_TLS_LIB_OPENSSL;
	ti->flags = flags;
	ti->verify_override = flags & 1;
	ti->ocsp = (flags >> 1) & 7;
	hdb_tls_compute_expiry(ti);
}

long
hdb_tls_parse_version(const char *s)
{
	unsigned a, b, c = 0;
	int n = 0;

	if (sscanf(s, "%3u.%3u%n", &a, &b, &n) < 2)
		return -1;
	if (s[n] == '.') {
		int m = 0;

		if (sscanf(s + n + 1, "%3u%n", &c, &m) < 1)
			return -1;
		n += 1 + m;
	}
	if (s[n] != '\0' || a > 255 || b > 255 || c > 255)
		return -1;
	return (long)(a << 16 | b << 8 | c);
}

int
hdb_tls_set_runtime_gnutls(struct hdb_tls_info *ti, const char *version)
{
	long v = hdb_tls_parse_version(version);

	if (v < 0)
		return -1;
	snprintf(ti->gnutls_runtime, sizeof(ti->gnutls_runtime), "%u.%u.%u",
	    (unsigned)(v >> 16), (unsigned)(v >> 8 & 0xff),
	    (unsigned)(v & 0xff));
	if (ti->lib == HDB_TLS_LIB_GNUTLS)
		ti->gnutls_version_match = (uint32_t)v == ti->gnutls_version;
	return 0;
}

int
hdb_tls_resumable(const struct hdb_tls_info *ti, int64_t now,
    const char **why)
{
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	switch (ti->lib) {
	case HDB_TLS_LIB_GNUTLS_NO_TICKET:
		*why = "no ticket was received: the GnuTLS placeholder";
		return 0;
	case HDB_TLS_LIB_OPENSSL:
	case HDB_TLS_LIB_GNUTLS:
		break;
	default:
		*why = "not a session of a known library";
		return 0;
	}
	if (ti->partial || ti->why != NULL) {
		*why = "only partly decoded";
		return 0;
	}
	if (!ti->have_expires) {
		*why = "no expiry time known";
		return 0;
	}
	if (ti->expires < now) {
		*why = "expired";
		return 0;
	}
	if (ti->lib == HDB_TLS_LIB_OPENSSL && ti->resumable_flag == 0) {
		*why = "OpenSSL marks it not resumable";
		return 0;
	}
	if (ti->lib == HDB_TLS_LIB_GNUTLS) {
		if (ti->gnutls_version_match == 0) {
			*why = "written by another GnuTLS version than the "
			    "installed one";
			return 0;
		}
		if (ti->tls_version == 0x0304 && !ti->have_ticket) {
			*why = "no TLS 1.3 ticket";
			return 0;
		}
		if (ti->tls_version != 0x0304 && !ti->have_ticket &&
		    ti->session_id_len == 0) {
			*why = "neither a ticket nor a session id";
			return 0;
		}
	}
	return 1;
}

/* name[0..n) matches glob, ignoring case; a name holding a NUL never. */
static int
name_match(const char *glob, const char *name, size_t n)
{
	char *z;
	int m;

	if (name == NULL || memchr(name, '\0', n) != NULL)
		return 0;
	z = xmalloc(n + 1);
	memcpy(z, name, n);
	z[n] = '\0';
	m = fnmatch(glob, z, FNM_CASEFOLD) == 0;
	free(z);
	return m;
}

int
hdb_tls_peer_match(const struct hdb_tls_info *ti, const char *glob)
{
	const struct hdb_tls_cert *c = &ti->peer;
	const char *p, *colon;
	size_t i;

	if (name_match(glob, ti->sni.p, ti->sni.len))
		return 1;
	if (!c->parsed)
		return 0;
	if (name_match(glob, c->cn.p, c->cn.len))
		return 1;
	for (i = 0; i < c->nsan; i++) {
		colon = memchr(c->san[i].p, ':', c->san[i].len);
		p = colon != NULL ? colon + 1 : c->san[i].p;
		if (name_match(glob, p, c->san[i].len -
		    (size_t)(p - c->san[i].p)))
			return 1;
	}
	return 0;
}
