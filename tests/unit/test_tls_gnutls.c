/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tls_gnutls.c - GnuTLS packed sessions (lib/tls/tls_gnutls.c) against
 * REAL data: tests/data/tls/g*.bin are gnutls_session_get_data2 bytes from
 * the installed GnuTLS 3.7.9 (tests/helper/gnutls-session.py, against
 * openssl s_server), and exim496-*.rec are records a real Exim 4.96 wrote
 * into its tls DB (tests/interop/make-spool.sh).  Each NAME.facts holds what
 * the library or Exim's spool MANIFEST reported.  Layouts B and A (GnuTLS
 * 3.6.x, 3.7.0-3.7.1), of which no live sample exists here, are made from
 * the real layout C bytes by the rules of the formats doc §5.3.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "tls_fixture.h"

/* ---- helpers for payloads ---- */

#define EXIM_LEGACY_PAYLOAD	9	/* time_stamp, flags byte */
#define EXIM_PAD		7

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The payload of a legacy Exim record, as a fresh exact-size copy. */
static uint8_t *
exim_payload(const char *name, size_t *len, int64_t *ts)
{
	size_t rl;
	uint8_t *rec = load(name, &rl), *p;
	int64_t t = 0;

	assert_true(rl > EXIM_LEGACY_PAYLOAD + EXIM_PAD);
	memcpy(&t, rec, 8);
	*ts = t;
	*len = rl - EXIM_LEGACY_PAYLOAD - EXIM_PAD;
	p = malloc(*len);
	memcpy(p, rec + EXIM_LEGACY_PAYLOAD, *len);
	free(rec);
	return p;
}

/* The facts of a GnuTLS client session (gnutls-session.py) */
static void
check_gnutls_facts(const char *bin, const struct hdb_tls_info *ti,
    const struct facts *f, size_t len)
{
	const char *v;
	unsigned want;

	want = strcmp(fact(f, "protocol"), "TLS1.3") == 0 ? 0x0304 : 0x0303;
	assert_int_equal(ti->tls_version, want);
	assert_string_equal(hdb_tls_version_name(ti->tls_version),
	    fact(f, "protocol"));
	assert_true(ti->have_cipher);
	assert_non_null(ti->cipher_name);
	assert_string_equal(ti->cipher_name, fact(f, "cipher"));
	assert_non_null(ti->cipher_openssl);
	assert_non_null(ti->prf_name);
	assert_string_equal(ti->prf_name, fact(f, "prf"));
	assert_hex(ti->session_id, ti->session_id_len, fact(f, "session_id"));
	assert_int_equal(ti->timeout, fact_num(f, "expire_time", -1));
	assert_true(ti->start_time >= fact_num(f, "handshake_after", -1));
	assert_true(ti->start_time <= fact_num(f, "handshake_before", -1));
	assert_int_equal((long long)len, fact_num(f, "payload_length", -1));
	assert_int_equal(ti->gnutls_entity, 2);		/* client */
	assert_int_equal(ti->gnutls_cred, 1);		/* certificate */
	assert_int_equal(ti->chain_len, 1);
	check_peer(&ti->peer, f);
	v = fact(f, "group");
	if (want == 0x0303 && v != NULL && *v != '\0') {
		assert_true(ti->have_group);
		assert_string_equal(ti->group_name, v);
	}
	if (want == 0x0303) {
		/* the master secret, as the key log had it */
		assert_int_equal(ti->secret_kind, HDB_TLS_SECRET_MASTER);
		assert_hex(ti->secret, ti->secret_len,
		    fact(f, "keylog_master"));
		assert_hex(ti->client_random, 32, fact(f, "client_random"));
		assert_true(ti->have_ticket);	/* s_server issues one */
		v = fact(f, "sni");
		if (v != NULL && *v != '\0')
			assert_str(&ti->sni, v);
		else
			assert_null(ti->sni.p);
		assert_int_equal(ti->expires, ti->start_time + ti->timeout);
	} else {
		assert_int_equal(ti->secret_kind, HDB_TLS_SECRET_RMS);
		assert_int_equal(ti->secret_len, strcmp(fact(f, "prf"),
		    "SHA384") == 0 ? 48 : 32);
		assert_true(ti->have_ticket);
		assert_true(ti->have_arrival);
		assert_true(ti->arrival_s >= fact_num(f, "handshake_after",
		    -1));
		assert_true(ti->have_lifetime);
		assert_int_equal(ti->ticket_lifetime, 7200);	/* s_server */
		assert_null(ti->sni.p);	/* not stored for TLS 1.3 */
		assert_int_equal(ti->expires, ti->lib_expires <
		    ti->ticket_expires ? ti->lib_expires : ti->ticket_expires);
	}
	(void)bin;
}

static void
test_gnutls_facts(void **state)
{
	char names[32][128], fname[160];
	struct hdb_tls_info ti;
	struct facts f;
	uint8_t *buf, *p;
	size_t len;
	int n, i, r;

	n = list("g1", ".bin", names, 32);
	assert_true(n >= 6);
	for (i = 0; i < n; i++) {
		if (strstr(names[i], "placeholder") != NULL)
			continue;
		snprintf(fname, sizeof(fname), "%.*s.facts",
		    (int)(strlen(names[i]) - 4), names[i]);
		facts_load(&f, fname);
		buf = load(names[i], &len);
		p = malloc(len);
		memcpy(p, buf, len);
		r = hdb_tls_decode(p, len, &ti);
		if (r != 0)
			fail_msg("%s: %d %s", names[i], r, ti.why);
		assert_int_equal(ti.lib, HDB_TLS_LIB_GNUTLS);
		assert_int_equal(ti.layout, 'C');
		assert_string_equal(ti.gnutls_version_str,
		    fact(&f, "gnutls_version"));
		assert_int_equal(ti.decoded_len, len);
		check_gnutls_facts(names[i], &ti, &f, len);
		hdb_tls_info_clear(&ti);
		free(p);
		free(buf);
		facts_free(&f);
	}
}

/* Records a real Exim 4.96 wrote, against its spool MANIFEST. */
static void
test_exim_records(void **state)
{
	char names[8][128], fname[160], ext[64];
	struct hdb_tls_info ti;
	struct facts f;
	uint8_t *p;
	size_t len;
	int64_t ts;
	int n, i, tls13;
	char *ex;

	n = list("exim496-", ".rec", names, 8);
	if (n == 0) {
		/* made only when a real Exim spool was at hand */
		print_message("no exim496-*.rec fixtures: skipped\n");
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(fname, sizeof(fname), "%.*s.facts",
		    (int)(strlen(names[i]) - 4), names[i]);
		facts_load(&f, fname);
		p = exim_payload(names[i], &len, &ts);
		assert_int_equal(len, fact_num(&f, "payload_len", -1));
		assert_int_equal(ts, fact_num(&f, "time_stamp", -1));
		assert_int_equal(hdb_tls_decode(p, len, &ti), 0);
		hdb_tls_set_record(&ti, ts, 1, 0);
		assert_false(ti.have_flags);	/* GnuTLS: flags ignored */
		assert_int_equal(ti.magic, fact_num(&f, "gnutls_magic", -1));
		assert_string_equal(ti.gnutls_version_str,
		    fact(&f, "gnutls_version"));
		assert_int_equal(ti.start_time, fact_num(&f, "gnutls_time", -1));
		assert_int_equal(ti.timeout, fact_num(&f, "expire_time", -1));
		assert_int_equal(ti.gnutls_cred, fact_num(&f, "cred", -1));
		assert_int_equal(ti.chain_len, fact_num(&f, "ncerts", -1));
		assert_int_equal(ti.peer.der_len, fact_num(&f, "cert0_len", -1));
		assert_str(&ti.peer.subject, "CN = mx.test.example");
		assert_int_equal(ti.nocsp, fact_num(&f, "nocsp", -1));
		assert_int_equal(ti.gnutls_entity, fact_num(&f, "entity", -1));
		assert_int_equal(ti.prf_mac, fact_num(&f, "prf_mac", -1));
		assert_int_equal(ti.session_id_len,
		    fact_num(&f, "session_id_len", -1));
		assert_int_equal(ti.cipher_id,
		    strtol(fact(&f, "suite"), NULL, 16));
		tls13 = strncmp(fact(&f, "protocol"), "5(", 2) == 0;
		assert_int_equal(ti.tls_version, tls13 ? 0x0304 : 0x0303);
		if (tls13) {
			assert_int_equal(ti.ticket_lifetime,
			    fact_num(&f, "ticket_lifetime", -1));
			assert_int_equal(ti.ticket_len,
			    fact_num(&f, "ticket_len", -1));
			assert_int_equal(ti.secret_len,
			    fact_num(&f, "resumption_secret_len", -1));
			assert_int_equal(ti.arrival_s,
			    fact_num(&f, "arrival", -1));
			assert_int_equal(ti.max_early_data,
			    fact_num(&f, "max_early_data", -1));
			/* §5.3: min(timestamp + expire_time, arrival +
			 * lifetime) */
			assert_int_equal(ti.expires,
			    ti.start_time + 7200 < ti.arrival_s +
			    ti.ticket_lifetime ? ti.start_time + 7200 :
			    ti.arrival_s + ti.ticket_lifetime);
		} else {
			assert_int_equal(ti.rec_send, 16384);
			assert_int_equal(ti.rec_recv, 16384);
			assert_int_equal(ti.group_raw,
			    fact_num(&f, "group", -1));
			assert_string_equal(ti.group_name, "SECP256R1");
			assert_int_equal(ti.server_sig,
			    fact_num(&f, "server_sig", -1));
			assert_int_equal(ti.client_sig,
			    fact_num(&f, "client_sig", -1));
			assert_int_equal(ti.extms, fact_num(&f, "ems", -1));
			assert_int_equal(ti.etm, fact_num(&f, "etm", -1));
			assert_int_equal(ti.next, 2);
			snprintf(ext, sizeof(ext), "%u:%u,%u:%u",
			    ti.ext[0].id, ti.ext[0].len, ti.ext[1].id,
			    ti.ext[1].len);
			ex = strdup(fact(&f, "extensions"));
			assert_string_equal(ext, ex);
			free(ex);
			assert_str(&ti.sni, "mx.test.example");
			assert_int_equal(ti.expires, ti.start_time + 7200);
		}
		hdb_tls_info_clear(&ti);
		free(p);
		facts_free(&f);
	}
}

static void
test_placeholder(void **state)
{
	static const uint8_t zero[4];
	struct hdb_tls_info ti;
	const char *why;
	uint8_t *buf;
	size_t len;
	char sum[128];

	buf = load("g13-placeholder.bin", &len);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, zero, 4);
	assert_int_equal(hdb_tls_decode(buf, len, &ti), 0);
	assert_int_equal(ti.lib, HDB_TLS_LIB_GNUTLS_NO_TICKET);
	assert_string_equal(hdb_tls_lib_name(ti.lib), "gnutls-no-ticket");
	assert_int_equal(hdb_tls_resumable(&ti, 0, &why), 0);
	assert_non_null(strstr(why, "placeholder"));
	assert_false(ti.have_expires);
	hdb_tls_summary(sum, sizeof(sum), &ti, 0, 1);
	assert_string_equal(sum, "gnutls-no-ticket resumable=no");
	hdb_tls_info_clear(&ti);
	free(buf);
	/* three or five zero bytes are not the placeholder */
	assert_int_equal(hdb_tls_decode(zero, 3, &ti), -1);
	hdb_tls_info_clear(&ti);
}

static uint8_t *
with_magic(const char *name, uint32_t version, size_t *len)
{
	uint8_t *p = load(name, len);

	put32(p, HDB_GNUTLS_MAGIC_BASE + version);
	return p;
}

static void
test_unknown_magic(void **state)
{
	struct hdb_tls_info ti;
	uint8_t *p;
	size_t len;

	/* 3.6.1: in the GnuTLS range, no known layout: partial */
	p = with_magic("g13-rsa-aes256-sni.bin", 0x030601, &len);
	assert_int_equal(hdb_tls_decode(p, len, &ti), 1);
	assert_int_equal(ti.lib, HDB_TLS_LIB_GNUTLS);
	assert_true(ti.partial);
	assert_string_equal(ti.gnutls_version_str, "3.6.1");
	assert_true(ti.have_start);
	assert_non_null(strstr(ti.why, "no known layout"));
	assert_int_equal(hdb_tls_resumable(&ti, ti.start_time, NULL), 0);
	hdb_tls_info_clear(&ti);
	free(p);
	/* 3.8.9 writes layout C: decodes in full */
	p = with_magic("g13-rsa-aes256-sni.bin", 0x030809, &len);
	assert_int_equal(hdb_tls_decode(p, len, &ti), 0);
	assert_string_equal(ti.gnutls_version_str, "3.8.9");
	assert_int_equal(ti.magic, 0xFAE1C2E6);
	hdb_tls_info_clear(&ti);
	free(p);
	/* past the range (3.9.0): not recognised as GnuTLS */
	p = with_magic("g13-rsa-aes256-sni.bin", 0x030900, &len);
	assert_int_equal(hdb_tls_decode(p, len, &ti), -1);
	assert_int_equal(ti.lib, HDB_TLS_LIB_UNKNOWN);
	hdb_tls_info_clear(&ti);
	free(p);
}

static void
test_runtime_version(void **state)
{
	struct hdb_tls_info ti;
	const char *why;
	uint8_t *p;
	size_t len;

	p = load("g12-rsa-aes256gcm-sni.bin", &len);
	assert_int_equal(hdb_tls_decode(p, len, &ti), 0);
	assert_int_equal(ti.gnutls_version_match, -1);
	assert_int_equal(hdb_tls_set_runtime_gnutls(&ti, "3.7.9"), 0);
	assert_int_equal(ti.gnutls_version_match, 1);
	assert_int_equal(hdb_tls_resumable(&ti, ti.start_time, NULL), 1);
	assert_int_equal(hdb_tls_set_runtime_gnutls(&ti, "3.8.1"), 0);
	assert_int_equal(ti.gnutls_version_match, 0);
	assert_int_equal(hdb_tls_resumable(&ti, ti.start_time, &why), 0);
	assert_non_null(strstr(why, "GnuTLS version"));
	assert_int_equal(hdb_tls_set_runtime_gnutls(&ti, "3.x"), -1);
	assert_int_equal(hdb_tls_parse_version("3.7.9"), 0x030709);
	assert_int_equal(hdb_tls_parse_version("3.7"), 0x030700);
	assert_int_equal(hdb_tls_parse_version("3.7.9.1"), -1);
	assert_int_equal(hdb_tls_parse_version(""), -1);
	/* expiry: timestamp + expire_time, inclusive */
	assert_int_equal(hdb_tls_resumable(&ti, ti.start_time + 7200, NULL),
	    0);	/* still the version mismatch */
	assert_int_equal(hdb_tls_set_runtime_gnutls(&ti, "3.7.9"), 0);
	assert_int_equal(hdb_tls_resumable(&ti, ti.start_time + 7200, NULL),
	    1);
	assert_int_equal(hdb_tls_resumable(&ti, ti.start_time + 7201, &why),
	    0);
	assert_string_equal(why, "expired");
	hdb_tls_info_clear(&ti);
	free(p);
}

/*
 * Offsets in a layout C payload (formats doc §5.3): the auth-info length
 * at 13, the security parameters after it, then the TLS 1.3 ticket block.
 */
struct cpos {
	size_t	 ai;		/* auth-info length field */
	size_t	 sp;		/* security-parameters length field */
	uint32_t sl;		/* its value */
	size_t	 tb;		/* what follows the security parameters */
};

static void
cpos(const uint8_t *p, size_t len, struct cpos *c)
{
	c->ai = 13;
	c->sp = c->ai + 4 + be32(p + c->ai);
	assert_true(c->sp + 4 <= len);
	c->sl = be32(p + c->sp);
	c->tb = c->sp + 4 + c->sl;
	assert_true(c->tb <= len);
}

/* Layout B (3.7.1): TLS 1.3 sessions carry no cipher suite. */
static void
test_layout_b(void **state)
{
	struct hdb_tls_info ti, ref;
	struct cpos c;
	uint8_t *p, *b;
	size_t len, bl;

	p = load("g13-rsa-aes256-sni.bin", &len);
	assert_int_equal(hdb_tls_decode(p, len, &ref), 0);
	cpos(p, len, &c);
	bl = len - 2;
	b = malloc(bl);
	memcpy(b, p, c.tb - 2);		/* all but the suite */
	memcpy(b + c.tb - 2, p + c.tb, len - c.tb);
	put32(b, HDB_GNUTLS_MAGIC_BASE + 0x030701);
	put32(b + c.sp, c.sl - 2);
	assert_int_equal(hdb_tls_decode(b, bl, &ti), 0);
	assert_int_equal(ti.layout, 'B');
	assert_false(ti.have_cipher);
	assert_int_equal(ti.tls_version, 0x0304);
	assert_int_equal(ti.ticket_len, ref.ticket_len);
	assert_int_equal(ti.expires, ref.expires);
	assert_memory_equal(ti.secret, ref.secret, ref.secret_len);
	hdb_tls_info_clear(&ti);
	/* the same bytes read as layout C do not add up */
	put32(b, HDB_GNUTLS_MAGIC_BASE + 0x030702);
	assert_int_equal(hdb_tls_decode(b, bl, &ti), 1);
	assert_non_null(strstr(ti.why, "do not add up"));
	hdb_tls_info_clear(&ti);
	free(b);
	hdb_tls_info_clear(&ref);
	free(p);
	/* TLS 1.2: B and C put the suite in the same place */
	p = with_magic("g12-ec-chacha.bin", 0x030610, &len);
	assert_int_equal(hdb_tls_decode(p, len, &ti), 0);
	assert_int_equal(ti.layout, 'B');
	assert_int_equal(ti.cipher_id, 0xCCA9);
	hdb_tls_info_clear(&ti);
	free(p);
}

/* Layout A (3.6.4): no expire_time; the TLS 1.3 block starts with a
 * ticket timestamp and has no arrival time or max_early_data. */
static void
test_layout_a(void **state)
{
	struct hdb_tls_info ti, ref;
	struct cpos c;
	uint8_t *p, *a, *q;
	size_t len, al;
	uint32_t tl;

	p = load("g13-ec-chacha.bin", &len);
	assert_int_equal(hdb_tls_decode(p, len, &ref), 0);
	cpos(p, len, &c);
	tl = be32(p + c.tb);
	assert_int_equal(c.tb + 4 + tl, len);
	al = len - 4 - 2 - 16 + 4;
	a = q = malloc(al);
	put32(q, HDB_GNUTLS_MAGIC_BASE + 0x030604);
	memcpy(q + 4, p + 4, 4);		/* timestamp */
	memcpy(q + 8, p + 12, c.sp - 12);	/* cred, auth-info */
	q += 8 + c.sp - 12;
	put32(q, c.sl - 2);			/* no suite */
	memcpy(q + 4, p + c.sp + 4, c.sl - 2);
	q += 4 + c.sl - 2;
	put32(q, tl - 16 + 4);
	put32(q + 4, (uint32_t)ref.arrival_s);	/* ticket timestamp */
	memcpy(q + 8, p + c.tb + 4, tl - 16);
	q += 8 + tl - 16;
	assert_int_equal((size_t)(q - a), al);
	assert_int_equal(hdb_tls_decode(a, al, &ti), 0);
	assert_int_equal(ti.layout, 'A');
	assert_false(ti.have_timeout);
	assert_false(ti.have_max_early_data);
	assert_int_equal(ti.arrival_s, ref.arrival_s);
	assert_int_equal(ti.ticket_lifetime, ref.ticket_lifetime);
	assert_int_equal(ti.expires, ref.arrival_s + ref.ticket_lifetime);
	assert_memory_equal(ti.secret, ref.secret, ref.secret_len);
	hdb_tls_info_clear(&ti);
	free(a);
	hdb_tls_info_clear(&ref);
	free(p);
}

/* ---- hostile input ---- */

static size_t
fixtures(char names[][128], int max)
{
	int n = list("g1", ".bin", names, max);

	return (size_t)n;
}

static void
test_truncated(void **state)
{
	char names[32][128];
	size_t n, i;

	n = fixtures(names, 32);
	for (i = 0; i < n; i++)
		truncate_each(names[i], 4);
}

static void
test_flipped(void **state)
{
	char names[32][128];
	size_t n, i;

	n = fixtures(names, 32);
	for (i = 0; i < n; i++)
		flip_each(names[i]);
}

/* Huge declared lengths never make the decoder read or allocate. */
static void
test_huge_lengths(void **state)
{
	struct hdb_tls_info ti;
	struct cpos c;
	uint8_t *p;
	size_t len;

	p = load("g12-rsa-aes256gcm-sni.bin", &len);
	cpos(p, len, &c);
	put32(p + c.ai, 0xFFFFFFFF);
	assert_int_equal(hdb_tls_decode(p, len, &ti), 1);
	assert_non_null(strstr(ti.why, "auth-info"));
	hdb_tls_info_clear(&ti);
	free(p);
	p = load("g12-rsa-aes256gcm-sni.bin", &len);
	/* ncerts: after secret_bits and three empty DH items */
	put32(p + c.ai + 4 + 16, 0x7FFFFFFF);
	assert_int_equal(hdb_tls_decode(p, len, &ti), 1);
	hdb_tls_info_clear(&ti);
	free(p);
	/* trailing bytes: decoded but partial */
	p = load("g13-ec-chacha.bin", &len);
	p = realloc(p, len + 5);
	memset(p + len, 0, 5);
	assert_int_equal(hdb_tls_decode(p, len + 5, &ti), 1);
	assert_non_null(strstr(ti.why, "5 bytes after"));
	assert_int_equal(ti.decoded_len, len);
	hdb_tls_info_clear(&ti);
	free(p);
}

/* ---- secrets never shown by default ---- */

static void
test_secrets_hidden(void **state)
{
	struct hdb_tls_info ti;
	struct facts f;
	char *t = NULL, *j, *tick, sum[512];
	size_t n = 0, len;
	const char *ms;
	uint8_t *p;
	FILE *fp;
	json_t *o;
	int show;

	facts_load(&f, "g12-rsa-aes256gcm-sni.facts");
	ms = fact(&f, "keylog_master");
	assert_non_null(ms);
	p = load("g12-rsa-aes256gcm-sni.bin", &len);
	assert_int_equal(hdb_tls_decode(p, len, &ti), 0);
	assert_non_null(ti.ticket);
	tick = hex(ti.ticket, ti.ticket_len);
	for (show = 0; show <= 1; show++) {
		fp = open_memstream(&t, &n);
		hdb_tls_print_text(fp, &ti, ti.start_time, 1, show, "");
		fclose(fp);
		o = hdb_tls_json(&ti, ti.start_time, show);
		j = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if (show) {
			assert_non_null(strstr(t, ms));
			assert_non_null(strstr(j, ms));
			assert_non_null(strstr(t, tick));
			assert_non_null(strstr(j, tick));
		} else {
			assert_null(strcasestr(t, ms));
			assert_null(strcasestr(j, ms));
			assert_null(strcasestr(t, tick));
			assert_null(strcasestr(j, tick));
		}
		free(t);
		free(j);
		t = NULL;
	}
	hdb_tls_summary(sum, sizeof(sum), &ti, ti.start_time, 1);
	assert_null(strcasestr(sum, ms));
	assert_non_null(strstr(sum, "gnutls-3.7.9 TLS1.2 "
	    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 "
	    "peer=mx.test.example,alt.test.example,127.0.0.1 "
	    "sni=mx.test.example"));
	/* clearing wipes the secret buffer and empties the struct */
	hdb_tls_info_clear(&ti);
	assert_null(ti.secbuf);
	assert_null(ti.secret);
	assert_int_equal(ti.lib, HDB_TLS_LIB_UNKNOWN);
	free(tick);
	free(p);
	facts_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gnutls_facts),
		cmocka_unit_test(test_exim_records),
		cmocka_unit_test(test_placeholder),
		cmocka_unit_test(test_unknown_magic),
		cmocka_unit_test(test_runtime_version),
		cmocka_unit_test(test_layout_b),
		cmocka_unit_test(test_layout_a),
		cmocka_unit_test(test_huge_lengths),
		cmocka_unit_test(test_secrets_hidden),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_flipped),
	};

	setenv("TZ", "UTC", 1);
	if (find_datadir() == -1) {
		fprintf(stderr, "test_tls_gnutls: tests/data/tls not found "
		    "(set HINTSDB_TOP)\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
