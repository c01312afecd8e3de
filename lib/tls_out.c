/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_out.c - the library-independent half of a decoded TLS session: the
 * dispatch on the first bytes (formats doc §5.1), the expiry rules (§5.2,
 * §5.3), the name tables, clearing (with the secrets wiped), and output as
 * text, JSON and a one-line summary.  The decoders proper are tls_der.c
 * (OpenSSL) and tls_gnutls.c (GnuTLS).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "jout.h"
#include "out.h"
#include "tls.h"
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

enum hdb_tls_lib
hdb_tls_sniff(const uint8_t *p, size_t len)
{
	uint32_t m;

	if (len == 4 && memcmp(p, "\0\0\0\0", 4) == 0)
		return HDB_TLS_LIB_GNUTLS_NO_TICKET;
	if (len >= 1 && p[0] == 0x30)
		return HDB_TLS_LIB_OPENSSL;
	if (len >= 4) {
		m = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		if (m >= HDB_GNUTLS_MAGIC_MIN && m <= HDB_GNUTLS_MAGIC_MAX)
			return HDB_TLS_LIB_GNUTLS;
	}
	return HDB_TLS_LIB_UNKNOWN;
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

static void
info_init(struct hdb_tls_info *ti, size_t len)
{
	memset(ti, 0, sizeof(*ti));
	ti->payload_len = len;
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

int
hdb_tls_decode(const uint8_t *p, size_t len, struct hdb_tls_info *ti)
{
	return hdb_tls_decode_cache(p, len, hdb_tls_cache_default(), ti);
}

int
hdb_tls_decode_cache(const uint8_t *p, size_t len, struct hdb_tls_cache *cache,
    struct hdb_tls_info *ti)
{
	int r;

	info_init(ti, len);
	ti->lib = hdb_tls_sniff(p, len);
	switch (ti->lib) {
	case HDB_TLS_LIB_GNUTLS_NO_TICKET:
		/* GnuTLS's "TLS 1.3, no ticket received": nothing to resume. */
		return 0;
	case HDB_TLS_LIB_OPENSSL:
		r = hdb_tls_decode_der(p, len, cache, ti);
		break;
	case HDB_TLS_LIB_GNUTLS:
		r = hdb_tls_decode_gnutls(p, len, cache, ti);
		break;
	default:
		ti->why = len == 0 ? "empty payload" :
		    "neither DER (0x30) nor a GnuTLS magic";
		return -1;
	}
	if (r == 1)
		ti->partial = 1;
	hdb_tls_compute_expiry(ti);
	return r;
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

/* ---- text ---- */

struct tout {
	FILE		*fp;
	const char	*indent;
	int64_t		 now;
	int		 utc;
};

static void
tline(const struct tout *o, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tline(const struct tout *o, const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(o->fp, "%s%s: ", o->indent, name);
	va_start(ap, fmt);
	vfprintf(o->fp, fmt, ap);
	va_end(ap);
	fputc('\n', o->fp);
}

static void
tstr(const struct tout *o, const char *name, const struct hdb_tls_str *s)
{
	if (s->p == NULL)
		return;
	fprintf(o->fp, "%s%s: ", o->indent, name);
	hdb_out_vis(o->fp, s->p, s->len);
	fputc('\n', o->fp);
}

static void
thex(const struct tout *o, const char *name, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(o->fp, "%s%s: ", o->indent, name);
	for (i = 0; i < n; i++)
		fprintf(o->fp, "%02x", p[i]);
	fputc('\n', o->fp);
}

/* "ISO (3h ago)", "ISO (now)" or "ISO (in 1h59m)" into buf. */
static char *
when(char *buf, size_t len, int64_t t, int64_t now, int utc)
{
	char ts[HDB_TIMEBUF], age[HDB_TIMEBUF];
	int64_t d = hdb_time_diff(now, t);

	hdb_fmt_iso(ts, sizeof(ts), t, utc);
	if (d == 0)
		snprintf(buf, len, "%s (now)", ts);
	else if (d > 0)
		snprintf(buf, len, "%s (%s ago)", ts,
		    hdb_fmt_age(age, sizeof(age), d));
	else
		snprintf(buf, len, "%s (in %s)", ts,
		    hdb_fmt_age(age, sizeof(age), -d));
	return buf;
}

static void
ttime(const struct tout *o, const char *name, int64_t t)
{
	char b[2 * HDB_TIMEBUF + 16];

	tline(o, name, "%s", when(b, sizeof(b), t, o->now, o->utc));
}

static void
tsecs(const struct tout *o, const char *name, int64_t s)
{
	char age[HDB_TIMEBUF];

	tline(o, name, "%" PRId64 "s (%s)", s,
	    hdb_fmt_age(age, sizeof(age), s));
}

static void
text_cert(const struct tout *o, const struct hdb_tls_cert *c)
{
	size_t i;

	if (!c->present)
		return;
	if (!c->parsed) {
		tline(o, "peer_certificate", "%zu bytes, not parseable",
		    c->der_len);
		return;
	}
	tstr(o, "peer_subject", &c->subject);
	tstr(o, "peer_cn", &c->cn);
	if (c->nsan > 0) {
		fprintf(o->fp, "%speer_san: ", o->indent);
		for (i = 0; i < c->nsan; i++) {
			fputs(i ? ", " : "", o->fp);
			hdb_out_vis(o->fp, c->san[i].p, c->san[i].len);
		}
		if (c->san_dropped)
			fprintf(o->fp, ", (%zu more)", c->san_dropped);
		fputc('\n', o->fp);
	}
	tstr(o, "peer_issuer", &c->issuer);
	if (c->have_validity) {
		ttime(o, "peer_not_before", c->not_before);
		ttime(o, "peer_not_after", c->not_after);
	}
	if (c->serial[0] != '\0')
		tline(o, "peer_serial", "%s", c->serial);
	if (c->key[0] != '\0')
		tline(o, "peer_key", "%s", c->key);
	tline(o, "peer_sha256", "%s", c->sha256);
}

static const char *
cred_name(int c)
{
	static const char *const n[] = { "none", "certificate", "anonymous",
	    "SRP", "PSK" };

	return c >= 0 && c <= 4 ? n[c] : "unknown";
}

static const char *
entity_name(int e)
{
	return e == 1 ? "server" : e == 2 ? "client" : "unknown";
}

static void
text_gnutls(const struct tout *o, const struct hdb_tls_info *ti)
{
	tline(o, "gnutls_writer", "%s (magic 0x%08" PRIx32 ", layout %c)",
	    ti->gnutls_version_str, ti->magic, ti->layout ? ti->layout : '?');
	if (ti->gnutls_version_match >= 0)
		tline(o, "gnutls_version_match", "%s (installed %s)",
		    ti->gnutls_version_match ? "yes" : "no",
		    ti->gnutls_runtime);
	if (ti->gnutls_cred > 0)
		tline(o, "credentials", "%s", cred_name(ti->gnutls_cred));
	if (ti->gnutls_entity > 0)
		tline(o, "entity", "%s", entity_name(ti->gnutls_entity));
}

static const char *
yesno(int v)
{
	return v ? "yes" : "no";
}

void
hdb_tls_print_text(FILE *fp, const struct hdb_tls_info *ti, int64_t now,
    int utc, int show_secrets, const char *indent)
{
	struct tout o = { fp, indent ? indent : "", now, utc };
	const char *vn = hdb_tls_version_name(ti->tls_version), *why;
	size_t i;

	tline(&o, "library", "%s", hdb_tls_lib_name(ti->lib));
	tline(&o, "payload_length", "%zu", ti->payload_len);
	if (ti->why != NULL)
		tline(&o, ti->partial ? "partial" : "error", "%s", ti->why);
	if (ti->lib == HDB_TLS_LIB_GNUTLS)
		text_gnutls(&o, ti);
	if (ti->tls_version != 0)
		tline(&o, "protocol", "%s (0x%04x)", vn ? vn : "unknown",
		    ti->tls_version);
	if (ti->have_cipher)
		tline(&o, "cipher", "%s (0x%04x)", ti->cipher_name ?
		    ti->cipher_name : "unknown", ti->cipher_id);
	if (ti->cipher_openssl != NULL)
		tline(&o, "cipher_openssl", "%s", ti->cipher_openssl);
	if (ti->have_group)
		tline(&o, "group", "%s (0x%04x)", ti->group_name ?
		    ti->group_name : "unknown", ti->group_id);
	if (ti->prf_mac != 0)
		tline(&o, "prf", "%s (%" PRIu32 ")", ti->prf_name ?
		    ti->prf_name : "unknown", ti->prf_mac);
	tstr(&o, "sni", &ti->sni);
	tstr(&o, "alpn", &ti->alpn);
	if (ti->session_id_len > 0)
		thex(&o, "session_id", ti->session_id, ti->session_id_len);
	if (ti->sid_ctx_len > 0)
		thex(&o, "session_id_context", ti->sid_ctx, ti->sid_ctx_len);
	if (ti->have_start)
		ttime(&o, "start_time", ti->start_time);
	if (ti->have_timeout)
		tsecs(&o, "timeout", ti->timeout);
	if (ti->have_lifetime)
		tsecs(&o, "ticket_lifetime", ti->ticket_lifetime);
	if (ti->have_ticket)
		tline(&o, "ticket", "%zu bytes", ti->ticket_len);
	else if ((ti->lib == HDB_TLS_LIB_OPENSSL ||
	    ti->lib == HDB_TLS_LIB_GNUTLS) && ti->why == NULL)
		tline(&o, "ticket", "none");
	if (ti->have_age_add)
		tline(&o, "ticket_age_add", "0x%08" PRIx32, ti->ticket_age_add);
	if (ti->ticket_nonce_len > 0)
		thex(&o, "ticket_nonce", ti->ticket_nonce,
		    ti->ticket_nonce_len);
	if (ti->have_arrival)
		ttime(&o, "ticket_arrival", ti->arrival_s);
	if (ti->have_max_early_data)
		tline(&o, "max_early_data", "%" PRIu32, ti->max_early_data);
	if (ti->max_fragment_length > 0)
		tline(&o, "max_fragment_length", "%d",
		    ti->max_fragment_length);
	if (ti->have_verify_result)
		tline(&o, "verify_result", "%ld (%s)", ti->verify_result,
		    X509_verify_cert_error_string(ti->verify_result));
	if (ti->extms >= 0)
		tline(&o, "extended_master_secret", "%s", yesno(ti->extms));
	if (ti->etm >= 0)
		tline(&o, "encrypt_then_mac", "%s", yesno(ti->etm));
	if (ti->have_tls12_params) {
		thex(&o, "client_random", ti->client_random, 32);
		thex(&o, "server_random", ti->server_random, 32);
		tline(&o, "record_size_limits", "send %" PRIu32 ", recv %"
		    PRIu32, ti->rec_send, ti->rec_recv);
		tline(&o, "server_signature", "%s (%" PRIu32 ")",
		    ti->server_sig_name ? ti->server_sig_name : "none",
		    ti->server_sig);
		tline(&o, "client_signature", "%s (%" PRIu32 ")",
		    ti->client_sig_name ? ti->client_sig_name : "none",
		    ti->client_sig);
	}
	if (ti->next > 0) {
		fprintf(fp, "%sextensions:", o.indent);
		for (i = 0; i < ti->next; i++)
			fprintf(fp, "%s %" PRIu32 " (%" PRIu32 " bytes)",
			    i ? "," : "", ti->ext[i].id, ti->ext[i].len);
		fputc('\n', fp);
	}
	if (ti->resumable_flag >= 0)
		tline(&o, "resumable_flag", "%s", yesno(ti->resumable_flag));
	if ((ti->lib == HDB_TLS_LIB_GNUTLS && ti->why == NULL) ||
	    ti->chain_len > 1)
		tline(&o, "peer_chain_length", "%zu", ti->chain_len);
	if (ti->nocsp > 0)
		tline(&o, "ocsp_responses", "%zu (%zu bytes)", ti->nocsp,
		    ti->ocsp_bytes);
	text_cert(&o, &ti->peer);
	if (ti->have_record)
		ttime(&o, "record_time", ti->record_time);
	if (ti->have_flags) {
		tline(&o, "verify_override", "%s", yesno(ti->verify_override));
		tline(&o, "ocsp", "%d (%s)", ti->ocsp,
		    hdb_tls_ocsp_name(ti->ocsp));
	}
	if (ti->secret_kind != HDB_TLS_SECRET_NONE) {
		if (show_secrets)
			thex(&o, hdb_tls_secret_name(ti->secret_kind),
			    ti->secret, ti->secret_len);
		else
			tline(&o, hdb_tls_secret_name(ti->secret_kind),
			    "(%zu bytes, hidden; --show-secrets shows it)",
			    ti->secret_len);
	}
	if (ti->ticket != NULL && show_secrets)
		thex(&o, "ticket_body", ti->ticket, ti->ticket_len);
	if (ti->have_lib_expires)
		ttime(&o, ti->lib == HDB_TLS_LIB_OPENSSL ?
		    "openssl_expires" : "gnutls_expires", ti->lib_expires);
	if (ti->have_ticket_expires)
		ttime(&o, "ticket_expires", ti->ticket_expires);
	if (ti->have_expires) {
		ttime(&o, "expires", ti->expires);
		tline(&o, "expires_rule", "%s", ti->expires_rule);
	}
	/* a GnuTLS session is resumed only by the GnuTLS that wrote it */
	if (hdb_tls_resumable(ti, now, &why) && ti->lib == HDB_TLS_LIB_GNUTLS)
		tline(&o, "resumable", "yes (GnuTLS %s only)",
		    ti->gnutls_version_str);
	else if (hdb_tls_resumable(ti, now, &why))
		tline(&o, "resumable", "yes");
	else
		tline(&o, "resumable", "no (%s)", why);
}

/* ---- JSON ---- */

/* The members go through jout.h, so that `dump --format=json` prints them
 * straight into its buffer and hdb_tls_json builds the same object. */

static void
jint(struct jout *o, const char *k, int64_t v)
{
	hdb_jo_int(o, k, v);
}

static void
jstr(struct jout *o, const char *k, const char *v)
{
	hdb_jo_cstr(o, k, v);
}

/* Escaped as in the text output, so always valid (ASCII) JSON text. */
static void
jvis(struct jout *o, const char *k, const struct hdb_tls_str *s)
{
	char *v;

	if (s->p == NULL)
		return;
	v = hdb_vis_dup(s->p, s->len);
	jstr(o, k, v);
	free(v);
}

static void
jhex(struct jout *o, const char *k, const uint8_t *p, size_t n)
{
	char *h = xmalloc(2 * n + 1);

	hdb_hex(h, p, n);
	jstr(o, k, h);
	OPENSSL_cleanse(h, 2 * n + 1);
	free(h);
}

static void
jbool(struct jout *o, const char *k, int v)
{
	hdb_jo_bool(o, k, v);
}

static void
json_cert(struct jout *o, const struct hdb_tls_cert *c)
{
	struct jout a;
	size_t i;

	jint(o, "der_length", (int64_t)c->der_len);
	jbool(o, "parsed", c->parsed);
	if (!c->parsed)
		return;
	jvis(o, "subject", &c->subject);
	jvis(o, "cn", &c->cn);
	hdb_jo_open(o, "san", 1, &a);
	for (i = 0; i < c->nsan; i++)
		jvis(&a, NULL, &c->san[i]);
	hdb_jo_close(o, "san", 1, &a);
	if (c->san_dropped)
		jint(o, "san_dropped", (int64_t)c->san_dropped);
	jvis(o, "issuer", &c->issuer);
	if (c->have_validity) {
		jint(o, "not_before", c->not_before);
		jint(o, "not_after", c->not_after);
	}
	if (c->serial[0] != '\0')
		jstr(o, "serial", c->serial);
	if (c->key[0] != '\0')
		jstr(o, "key", c->key);
	jstr(o, "sha256", c->sha256);
}

static void
json_gnutls(struct jout *o, const struct hdb_tls_info *ti)
{
	struct jout a, e;
	size_t i;

	jstr(o, "gnutls_writer", ti->gnutls_version_str);
	jint(o, "gnutls_magic", ti->magic);
	if (ti->layout)
		hdb_jo_strn(o, "gnutls_layout", &ti->layout, 1);
	if (ti->gnutls_version_match >= 0) {
		jbool(o, "gnutls_version_match", ti->gnutls_version_match);
		jstr(o, "gnutls_runtime", ti->gnutls_runtime);
	}
	if (ti->gnutls_cred > 0)
		jstr(o, "credentials", cred_name(ti->gnutls_cred));
	if (ti->gnutls_entity > 0)
		jstr(o, "entity", entity_name(ti->gnutls_entity));
	if (ti->prf_mac != 0) {
		jint(o, "prf_mac", ti->prf_mac);
		if (ti->prf_name != NULL)
			jstr(o, "prf", ti->prf_name);
	}
	if (ti->have_tls12_params) {
		jhex(o, "client_random", ti->client_random, 32);
		jhex(o, "server_random", ti->server_random, 32);
		jint(o, "record_send_limit", ti->rec_send);
		jint(o, "record_recv_limit", ti->rec_recv);
		jint(o, "server_signature_id", ti->server_sig);
		jint(o, "client_signature_id", ti->client_sig);
		if (ti->server_sig_name != NULL)
			jstr(o, "server_signature", ti->server_sig_name);
		if (ti->client_sig_name != NULL)
			jstr(o, "client_signature", ti->client_sig_name);
	}
	if (ti->next > 0) {
		hdb_jo_open(o, "extensions", 1, &a);
		for (i = 0; i < ti->next; i++) {
			hdb_jo_open(&a, NULL, 0, &e);
			jint(&e, "id", ti->ext[i].id);
			jint(&e, "length", ti->ext[i].len);
			hdb_jo_close(&a, NULL, 0, &e);
		}
		hdb_jo_close(o, "extensions", 1, &a);
	}
	jint(o, "peer_chain_length", (int64_t)ti->chain_len);
	jint(o, "ocsp_responses", (int64_t)ti->nocsp);
}

json_t *
hdb_tls_json(const struct hdb_tls_info *ti, int64_t now, int show_secrets)
{
	struct jout o = { json_object(), NULL, 0 };

	hdb_tls_json_out(&o, ti, now, show_secrets);
	return o.obj;
}

void
hdb_tls_json_out(struct jout *o, const struct hdb_tls_info *ti, int64_t now,
    int show_secrets)
{
	struct jout pc;
	const char *vn = hdb_tls_version_name(ti->tls_version), *why;
	int res;

	jstr(o, "library", hdb_tls_lib_name(ti->lib));
	jint(o, "payload_length", (int64_t)ti->payload_len);
	jbool(o, "partial", ti->partial);
	if (ti->why != NULL)
		jstr(o, ti->partial ? "partial_reason" : "error", ti->why);
	if (ti->lib == HDB_TLS_LIB_GNUTLS)
		json_gnutls(o, ti);
	if (ti->tls_version != 0) {
		jint(o, "tls_version", ti->tls_version);
		if (vn != NULL)
			jstr(o, "protocol", vn);
	}
	if (ti->have_cipher) {
		char id[8];

		snprintf(id, sizeof(id), "%04x", ti->cipher_id);
		jstr(o, "cipher_id", id);
		if (ti->cipher_name != NULL)
			jstr(o, "cipher", ti->cipher_name);
	}
	if (ti->cipher_openssl != NULL)
		jstr(o, "cipher_openssl", ti->cipher_openssl);
	if (ti->have_group) {
		jint(o, "group_id", ti->group_id);
		if (ti->group_name != NULL)
			jstr(o, "group", ti->group_name);
	}
	jvis(o, "sni", &ti->sni);
	jvis(o, "alpn", &ti->alpn);
	if (ti->session_id_len > 0)
		jhex(o, "session_id", ti->session_id, ti->session_id_len);
	if (ti->sid_ctx_len > 0)
		jhex(o, "session_id_context", ti->sid_ctx, ti->sid_ctx_len);
	if (ti->have_start)
		jint(o, "start_time", ti->start_time);
	if (ti->have_timeout)
		jint(o, "timeout", ti->timeout);
	if (ti->have_lifetime)
		jint(o, "ticket_lifetime", ti->ticket_lifetime);
	if (ti->have_ticket || ti->why == NULL)
		jbool(o, "has_ticket", ti->have_ticket);
	if (ti->have_ticket)
		jint(o, "ticket_length", (int64_t)ti->ticket_len);
	if (ti->have_age_add)
		jint(o, "ticket_age_add", ti->ticket_age_add);
	if (ti->ticket_nonce_len > 0)
		jhex(o, "ticket_nonce", ti->ticket_nonce, ti->ticket_nonce_len);
	if (ti->have_arrival) {
		jint(o, "ticket_arrival", ti->arrival_s);
		jint(o, "ticket_arrival_ns", ti->arrival_ns);
	}
	if (ti->have_max_early_data)
		jint(o, "max_early_data", ti->max_early_data);
	if (ti->max_fragment_length > 0)
		jint(o, "max_fragment_length", ti->max_fragment_length);
	if (ti->have_verify_result) {
		jint(o, "verify_result", ti->verify_result);
		jstr(o, "verify_result_text",
		    X509_verify_cert_error_string(ti->verify_result));
	}
	if (ti->extms >= 0)
		jbool(o, "extended_master_secret", ti->extms);
	if (ti->etm >= 0)
		jbool(o, "encrypt_then_mac", ti->etm);
	if (ti->resumable_flag >= 0)
		jbool(o, "resumable_flag", ti->resumable_flag);
	if (ti->peer.present) {
		hdb_jo_open(o, "peer", 0, &pc);
		json_cert(&pc, &ti->peer);
		hdb_jo_close(o, "peer", 0, &pc);
	}
	if (ti->have_record)
		jint(o, "record_time", ti->record_time);
	if (ti->have_flags) {
		jint(o, "flags", ti->flags);
		jbool(o, "verify_override", ti->verify_override);
		jint(o, "ocsp", ti->ocsp);
		jstr(o, "ocsp_text", hdb_tls_ocsp_name(ti->ocsp));
	}
	if (ti->secret_kind != HDB_TLS_SECRET_NONE) {
		jstr(o, "secret_kind", hdb_tls_secret_name(ti->secret_kind));
		jint(o, "secret_length", (int64_t)ti->secret_len);
		if (show_secrets)
			jhex(o, hdb_tls_secret_name(ti->secret_kind),
			    ti->secret, ti->secret_len);
	}
	if (ti->ticket != NULL && show_secrets)
		jhex(o, "ticket_body", ti->ticket, ti->ticket_len);
	if (ti->have_lib_expires)
		jint(o, ti->lib == HDB_TLS_LIB_OPENSSL ? "openssl_expires" :
		    "gnutls_expires", ti->lib_expires);
	if (ti->have_ticket_expires)
		jint(o, "ticket_expires", ti->ticket_expires);
	if (ti->have_expires) {
		jint(o, "expires", ti->expires);
		jint(o, "expires_in_s", ti->expires - now);
		jstr(o, "expires_rule", ti->expires_rule);
	}
	res = hdb_tls_resumable(ti, now, &why);
	jbool(o, "resumable", res);
	if (res && ti->lib == HDB_TLS_LIB_GNUTLS)
		jstr(o, "resumable_by", ti->gnutls_version_str);
	if (!res)
		jstr(o, "not_resumable_reason", why);
}

/* ---- summary ---- */

struct sbuf {
	char		*buf;
	size_t		 len, used;	/* used counts what would be written */
};

static void
sput(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sput(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->used < s->len ? s->buf + s->used : NULL,
	    s->used < s->len ? s->len - s->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->used += (size_t)n;
}

size_t
hdb_tls_summary(char *buf, size_t len, const struct hdb_tls_info *ti,
    int64_t now, int utc)
{
	struct sbuf s = { buf, len, 0 };
	const char *vn = hdb_tls_version_name(ti->tls_version);
	char ts[HDB_TIMEBUF], *v;

	if (len > 0)
		buf[0] = '\0';
	sput(&s, "%s", hdb_tls_lib_name(ti->lib));
	if (ti->lib == HDB_TLS_LIB_GNUTLS)
		sput(&s, "-%s", ti->gnutls_version_str);
	if (vn != NULL)
		sput(&s, " %s", vn);
	if (ti->have_cipher)
		sput(&s, " %s", ti->cipher_name ? ti->cipher_name : "cipher=");
	if (ti->have_cipher && ti->cipher_name == NULL)
		sput(&s, "%04x", ti->cipher_id);
	if (ti->sni.p != NULL) {
		v = hdb_vis_dup(ti->sni.p, ti->sni.len);
		sput(&s, " sni=%s", v);
		free(v);
	}
	if (ti->have_expires)
		sput(&s, " expires=%s", hdb_fmt_iso(ts, sizeof(ts),
		    ti->expires, utc));
	if (ti->lib != HDB_TLS_LIB_UNKNOWN)
		sput(&s, " resumable=%s", yesno(hdb_tls_resumable(ti, now,
		    NULL)));
	if (ti->partial)
		sput(&s, " partial");
	else if (ti->why != NULL)
		sput(&s, " undecodable");
	if (ti->lib == HDB_TLS_LIB_UNKNOWN)
		sput(&s, " payload=%zu", ti->payload_len);
	return s.used;
}
