/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_tls_der.c - OpenSSL session payloads (lib/tls/tls_der.c) and the common
 * part (lib/tls/tls_out.c), against REAL sessions: tests/data/tls/o*.der were
 * saved by `openssl s_client -sess_out` (tests/helper/mksessions.sh) and
 * each NAME.facts holds what s_client, `openssl sess_id -text`, the key log
 * and `openssl x509` reported.  Every decoded value is checked against
 * those facts; every fixture is also cut at every length and has bytes
 * flipped, which must give -1 or a partial result, never a crash or an
 * out-of-bounds read (run under ASan/UBSan).
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
#include <locale.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "tls_fixture.h"
#include "out.h"
#include "tls/tls_out.h"

/* s_client's "Server Temp Key: X25519, 253 bits" -> our group name. */
static const char *
temp_key_group(const char *tk)
{
	if (tk == NULL)
		return NULL;
	if (strncmp(tk, "X25519", 6) == 0)
		return "X25519";
	if (strncmp(tk, "X448", 4) == 0)
		return "X448";
	if (strstr(tk, "prime256v1") || strstr(tk, "secp256r1"))
		return "SECP256R1";
	if (strstr(tk, "secp384r1"))
		return "SECP384R1";
	if (strstr(tk, "secp521r1"))
		return "SECP521R1";
	if (strstr(tk, "DH, 2048"))
		return "FFDHE2048";
	return NULL;
}

/* ---- OpenSSL sessions against their facts ---- */

static void
check_one_der(const char *der)
{
	char fname[160];
	struct facts f;
	struct hdb_tls_info ti;
	const char *v, *why;
	uint8_t *buf;
	size_t len;
	unsigned want_ver;
	int r;

	snprintf(fname, sizeof(fname), "%.*s.facts",
	    (int)(strlen(der) - 4), der);
	facts_load(&f, fname);
	buf = load(der, &len);
	r = hdb_tls_decode(buf, len, &ti);
	if (r != 0)
		fail_msg("%s: decode %d: %s", der, r, ti.why);
	assert_int_equal(ti.lib, HDB_TLS_LIB_OPENSSL);
	assert_int_equal(ti.payload_len, len);
	want_ver = strcmp(fact(&f, "protocol"), "TLSv1.3") == 0 ? 0x0304 :
	    strcmp(fact(&f, "protocol"), "TLSv1.2") == 0 ? 0x0303 : 0;
	assert_int_equal(ti.tls_version, want_ver);
	assert_true(ti.have_cipher);
	assert_non_null(ti.cipher_openssl);
	assert_string_equal(ti.cipher_openssl, fact(&f, "cipher"));
	assert_non_null(ti.cipher_name);
	/* our table agrees with OpenSSL's standard name */
	assert_string_equal(ti.cipher_name,
	    hdb_tls_cipher_name(ti.cipher_id));
	assert_hex(ti.session_id, ti.session_id_len, fact(&f, "session_id"));
	assert_int_equal(ti.secret_kind, want_ver == 0x0304 ?
	    HDB_TLS_SECRET_PSK : HDB_TLS_SECRET_MASTER);
	assert_hex(ti.secret, ti.secret_len, fact(&f, "master_key"));
	if ((v = fact(&f, "keylog_master")) != NULL)
		assert_hex(ti.secret, ti.secret_len, v);
	assert_true(ti.have_lifetime);
	assert_int_equal(ti.ticket_lifetime,
	    fact_num(&f, "ticket_lifetime_hint", 0));
	assert_int_equal(ti.have_ticket, fact(&f, "ticket_lifetime_hint") !=
	    NULL);
	assert_int_equal(ti.start_time, fact_num(&f, "start_time", -1));
	assert_int_equal(ti.timeout, fact_num(&f, "timeout", -1));
	assert_true(ti.have_verify_result);
	assert_int_equal(ti.verify_result, fact_num(&f, "verify_result", -1));
	assert_int_equal(ti.extms,
	    strcmp(fact(&f, "extended_master_secret"), "yes") == 0);
	if ((v = fact(&f, "max_early_data")) != NULL) {
		assert_true(ti.have_max_early_data);
		assert_int_equal(ti.max_early_data, strtoll(v, NULL, 10));
	} else
		assert_false(ti.have_max_early_data);
	v = fact(&f, "sni");
	if (v != NULL && *v != '\0')
		assert_str(&ti.sni, v);
	else
		assert_null(ti.sni.p);
	v = fact(&f, "alpn");
	if (v != NULL && *v != '\0')
		assert_str(&ti.alpn, v);
	else
		assert_null(ti.alpn.p);
	assert_true(ti.have_group);
	assert_non_null(ti.group_name);
	assert_string_equal(ti.group_name,
	    temp_key_group(fact(&f, "server_temp_key")));
	assert_int_equal(ti.resumable_flag, 1);
	check_peer(&ti.peer, &f);
	/* Exim's rule with no record: session time + lifetime hint */
	assert_true(ti.have_expires);
	assert_int_equal(ti.expires, ti.start_time + ti.ticket_lifetime);
	assert_true(ti.have_lib_expires);
	assert_int_equal(ti.lib_expires, ti.start_time + ti.timeout);
	assert_int_equal(hdb_tls_resumable(&ti, ti.expires, &why), 1);
	assert_int_equal(hdb_tls_resumable(&ti, ti.expires + 1, &why), 0);
	assert_string_equal(why, "expired");
	hdb_tls_info_clear(&ti);
	assert_null(ti.secbuf);
	free(buf);
	facts_free(&f);
}

static void
test_der_facts(void **state)
{
	char names[64][128];
	int n, i;

	n = list("o1", ".der", names, 64);
	assert_true(n >= 8);
	for (i = 0; i < n; i++)
		check_one_der(names[i]);
}

/* ---- records: flags and Exim's expiry rule ---- */

static void
test_record_flags(void **state)
{
	struct hdb_tls_info ti;
	uint8_t *buf;
	size_t len;
	int64_t t0 = 1795722966;

	buf = load("o12-rsa-aes256gcm-sni.der", &len);
	assert_int_equal(hdb_tls_decode(buf, len, &ti), 0);
	hdb_tls_set_record(&ti, t0, 1, 0x09);
	assert_true(ti.have_record);
	assert_true(ti.have_flags);
	assert_int_equal(ti.verify_override, 1);
	assert_int_equal(ti.ocsp, 4);
	assert_string_equal(hdb_tls_ocsp_name(ti.ocsp), "verified");
	assert_int_equal(ti.expires, t0 + ti.ticket_lifetime);
	assert_non_null(strstr(ti.expires_rule, "record time"));
	assert_int_equal(hdb_tls_resumable(&ti, t0 + 7200, NULL), 1);
	assert_int_equal(hdb_tls_resumable(&ti, t0 + 7201, NULL), 0);
	hdb_tls_info_clear(&ti);
	free(buf);
	assert_string_equal(hdb_tls_ocsp_name(0), "not requested");
	assert_string_equal(hdb_tls_ocsp_name(1), "requested, no response");
	assert_string_equal(hdb_tls_ocsp_name(2), "response not verified");
	assert_string_equal(hdb_tls_ocsp_name(3), "verify failed");
	assert_string_equal(hdb_tls_ocsp_name(7), "unknown");
}

/* A missing hint (no ticket) expires one second after the record. */
static void
test_no_ticket_hint(void **state)
{
	struct hdb_tls_info ti;
	uint8_t *buf;
	size_t len;

	buf = load("o12-rsa-noticket.der", &len);
	assert_int_equal(hdb_tls_decode(buf, len, &ti), 0);
	assert_false(ti.have_ticket);
	assert_int_equal(ti.ticket_lifetime, 0);
	hdb_tls_set_record(&ti, 1795722966, 1, 0);
	assert_int_equal(ti.expires, 1795722966);
	assert_int_equal(hdb_tls_resumable(&ti, 1795722966, NULL), 1);
	assert_int_equal(hdb_tls_resumable(&ti, 1795722967, NULL), 0);
	hdb_tls_info_clear(&ti);
	free(buf);
}

/* ---- hostile input ---- */

/* ---- output of a decoded session ---- */

static char *
text_of(const struct hdb_tls_info *ti, int show)
{
	char *s = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&s, &n);

	assert_non_null(fp);
	hdb_tls_print_text(fp, ti, 1795722966, 1, show, "  ");
	fclose(fp);
	return s;
}

static char *
json_of(const struct hdb_tls_info *ti, int show)
{
	json_t *o = hdb_tls_json(ti, 1795722966, show);
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	return s;
}

/* a and b show the same, secrets included. */
static void
assert_same(const struct hdb_tls_info *a, const struct hdb_tls_info *b)
{
	char *x, *y;

	assert_int_equal(a->partial, b->partial);
	if (a->why != NULL || b->why != NULL) {
		assert_non_null(a->why);
		assert_non_null(b->why);
		assert_string_equal(a->why, b->why);
	}
	x = json_of(a, 1);
	y = json_of(b, 1);
	assert_string_equal(x, y);
	free(x);
	free(y);
	x = text_of(a, 1);
	y = text_of(b, 1);
	assert_string_equal(x, y);
	free(x);
	free(y);
}

/*
 * decode_copy - decode an exact-size heap copy (so ASan sees any
 * overread), through the default certificate cache and through cache c
 * (NULL: none); both must agree.
 */
static void
decode_cached(const uint8_t *src, size_t n, struct hdb_tls_cache *c, int *r)
{
	struct hdb_tls_info ti, ref;
	uint8_t *p = malloc(n ? n : 1);

	memcpy(p, src, n);
	*r = hdb_tls_decode(p, n, &ti);
	if (*r == -1)
		assert_non_null(ti.why);
	if (*r == 1)
		assert_true(ti.partial);
	assert_int_equal(hdb_tls_decode_cache(p, n, c, &ref), *r);
	assert_same(&ti, &ref);
	hdb_tls_info_clear(&ref);
	hdb_tls_info_clear(&ti);
	free(p);
}

static void
test_truncated(void **state)
{
	char names[64][128];
	uint8_t *buf;
	size_t len, cut;
	int n, i, r;

	n = list("o1", ".der", names, 64);
	for (i = 0; i < n; i++) {
		buf = load(names[i], &len);
		for (cut = 0; cut < len; cut++) {
			decode_cached(buf, cut, NULL, &r);
			if (r != -1 && r != 1)
				fail_msg("%s cut at %zu: %d", names[i], cut, r);
		}
		free(buf);
	}
}

static void
test_flipped(void **state)
{
	static const uint8_t x[] = { 0x01, 0x80, 0xff };
	static const char *const which[] = { "o12-rsa-aes256gcm-sni.der",
	    "o13-ec-chacha-sni.der", "o13-rsa-aes256-sni.der" };
	uint8_t *buf;
	size_t len, pos, k, w;
	int r;

	for (w = 0; w < 3; w++) {
		buf = load(which[w], &len);
		for (pos = 0; pos < len; pos++)
			for (k = 0; k < sizeof(x); k++) {
				buf[pos] ^= x[k];
				decode_cached(buf, len, NULL, &r);
				assert_true(r >= -1 && r <= 1);
				buf[pos] ^= x[k];
			}
		free(buf);
	}
}

/* Every certificate in the same bucket: only the bytes tell them apart. */
static uint64_t
same_hash(const uint8_t *p, size_t n)
{
	return 42;
}

/*
 * The cache gives what no cache gives: two certificates (EC and RSA) under
 * one colliding hash, in caches too small to hold them all, reached from
 * both decoders (OpenSSL's canonical form and GnuTLS's bytes as stored).
 */
static void
test_cache(void **state)
{
	static const char *const f[] = { "o12-ec-chacha.der",
	    "o12-rsa-aes256gcm.der", "g12-ec-chacha.bin",
	    "g13-rsa-aes256-sni.bin", "o13-ec-chacha-sni.der",
	    "o13-rsa-aes256.der" };
	static const size_t sizes[] = { 1, 2, 64 };
	struct hdb_tls_cache *c;
	size_t i, k, len, hits, misses, nf = sizeof(f) / sizeof(f[0]);
	uint8_t *buf;
	int round, r;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		c = hdb_tls_cache_new(sizes[k]);
		hdb_tls_cache_set_hash(c, same_hash);
		for (round = 0; round < 2; round++)
			for (i = 0; i < nf; i++) {
				buf = load(f[i], &len);
				decode_cached(buf, len, c, &r);
				assert_int_equal(r, 0);
				free(buf);
			}
		hdb_tls_cache_stats(c, &hits, &misses);
		assert_int_equal(hits + misses, 2 * nf);
		/* two certificates, each in two forms */
		if (sizes[k] >= 4)
			assert_int_equal(misses, 4);
		if (sizes[k] == 1)
			assert_int_equal(hits, 0);
		hdb_tls_cache_free(c);
	}
	hdb_tls_cache_default_free();
	hdb_tls_cache_default_free();
}

/*
 * A peer certificate whose outer length is not minimal (BER): OpenSSL
 * takes it and shows the re-encoded (DER) certificate; so must the cache.
 */
static void
test_cache_noncanonical(void **state)
{
	struct hdb_tls_info ti;
	uint8_t *buf, *b2;
	size_t len, i, sl, pl, cl;
	int r;

	buf = load("o12-rsa-aes256gcm.der", &len);
	/* 30 82 SL SL ... a3 82 PL PL 30 82 CL CL: give CL one more byte */
	assert_true(buf[0] == 0x30 && buf[1] == 0x82);
	for (i = 4; i + 8 < len; i++)
		if (buf[i] == 0xa3 && buf[i + 1] == 0x82 &&
		    buf[i + 4] == 0x30 && buf[i + 5] == 0x82)
			break;
	assert_true(i + 8 < len);
	sl = (size_t)buf[2] << 8 | buf[3];
	pl = (size_t)buf[i + 2] << 8 | buf[i + 3];
	cl = (size_t)buf[i + 6] << 8 | buf[i + 7];
	b2 = malloc(len + 1);
	memcpy(b2, buf, i + 5);
	b2[2] = (uint8_t)((sl + 1) >> 8);
	b2[3] = (uint8_t)(sl + 1);
	b2[i + 2] = (uint8_t)((pl + 1) >> 8);
	b2[i + 3] = (uint8_t)(pl + 1);
	b2[i + 5] = 0x83;
	b2[i + 6] = 0;
	memcpy(b2 + i + 7, buf + i + 6, len - i - 6);
	decode_cached(b2, len + 1, NULL, &r);
	assert_int_equal(r, 0);
	assert_int_equal(hdb_tls_decode(b2, len + 1, &ti), 0);
	assert_true(ti.peer.parsed);
	assert_int_equal(ti.peer.der_len, cl + 4);
	hdb_tls_info_clear(&ti);
	free(b2);
	free(buf);
}

static void
test_garbage(void **state)
{
	static const uint8_t junk[] = "this is not a session";
	static const uint8_t seq[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	static const uint8_t huge[] = { 0x30, 0x84, 0x7f, 0xff, 0xff, 0xff,
	    0x02, 0x01, 0x01 };
	struct hdb_tls_info ti;
	uint8_t *buf, *big;
	size_t len;

	assert_int_equal(hdb_tls_decode(junk, sizeof(junk) - 1, &ti), -1);
	assert_int_equal(ti.lib, HDB_TLS_LIB_UNKNOWN);
	assert_non_null(ti.why);
	hdb_tls_info_clear(&ti);
	assert_int_equal(hdb_tls_decode(junk, 0, &ti), -1);
	hdb_tls_info_clear(&ti);
	assert_int_equal(hdb_tls_decode(seq, sizeof(seq), &ti), -1);
	assert_int_equal(ti.lib, HDB_TLS_LIB_OPENSSL);
	hdb_tls_info_clear(&ti);
	assert_int_equal(hdb_tls_decode(huge, sizeof(huge), &ti), -1);
	hdb_tls_info_clear(&ti);
	/* a real session followed by junk: decoded, but partial */
	buf = load("o13-rsa-aes256.der", &len);
	big = malloc(len + 3);
	memcpy(big, buf, len);
	memcpy(big + len, "xyz", 3);
	assert_int_equal(hdb_tls_decode(big, len + 3, &ti), 1);
	assert_true(ti.partial);
	assert_non_null(strstr(ti.why, "3 bytes after"));
	assert_int_equal(hdb_tls_resumable(&ti, 0, NULL), 0);
	hdb_tls_info_clear(&ti);
	free(big);
	free(buf);
}

/* OpenSSL refuses an unknown cipher: the walk still gives the fields. */
static void
test_openssl_refuses(void **state)
{
	struct hdb_tls_info ti;
	uint8_t *buf;
	size_t len, i;
	int r;

	buf = load("o13-rsa-aes256-sni.der", &len);
	/* the cipher OCTET STRING is the third item: 04 02 13 02 */
	for (i = 0; i + 4 < len; i++)
		if (memcmp(buf + i, "\x04\x02\x13\x02", 4) == 0)
			break;
	assert_true(i + 4 < len);
	buf[i + 2] = 0xEE;
	buf[i + 3] = 0xEE;
	r = hdb_tls_decode(buf, len, &ti);
	assert_int_equal(r, 1);
	assert_true(ti.partial);
	assert_non_null(strstr(ti.why, "OpenSSL does not accept"));
	assert_int_equal(ti.tls_version, 0x0304);
	assert_int_equal(ti.cipher_id, 0xEEEE);
	assert_null(ti.cipher_name);
	assert_int_equal(ti.session_id_len, 32);
	assert_true(ti.have_start);
	assert_str(&ti.sni, "mx.test.example");
	assert_int_equal(ti.secret_kind, HDB_TLS_SECRET_NONE);
	assert_true(ti.peer.parsed);
	hdb_tls_info_clear(&ti);
	free(buf);
}

/* ---- secrets never shown by default ---- */

static void
assert_no_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\n')
			fail_msg("control byte 0x%02x in output", *s);
		else if ((unsigned char)*s >= 0x7f)
			fail_msg("byte 0x%02x in output", (unsigned char)*s);
}

static void
test_secrets_hidden(void **state)
{
	static const char *const which[] = { "o12-rsa-aes256gcm-sni",
	    "o13-rsa-aes256-sni" };
	struct hdb_tls_info ti;
	struct facts f;
	char name[160], *t, *lower, *tick, sum[512];
	uint8_t *buf;
	size_t len, w, i;

	for (w = 0; w < 2; w++) {
		snprintf(name, sizeof(name), "%s.facts", which[w]);
		facts_load(&f, name);
		snprintf(name, sizeof(name), "%s.der", which[w]);
		buf = load(name, &len);
		assert_int_equal(hdb_tls_decode(buf, len, &ti), 0);
		lower = strdup(fact(&f, "master_key"));
		for (i = 0; lower[i]; i++)
			lower[i] = (char)tolower((unsigned char)lower[i]);
		tick = hex(ti.ticket, ti.ticket_len);

		t = text_of(&ti, 0);
		assert_no_ctl(t);
		assert_null(strcasestr(t, lower));
		assert_null(strcasestr(t, tick));
		assert_non_null(strstr(t, "hidden"));
		free(t);
		t = json_of(&ti, 0);
		assert_null(strcasestr(t, lower));
		assert_null(strcasestr(t, tick));
		free(t);
		hdb_tls_summary(sum, sizeof(sum), &ti, 1795722966, 1);
		assert_no_ctl(sum);
		assert_null(strcasestr(sum, lower));

		t = text_of(&ti, 1);
		assert_non_null(strstr(t, lower));
		assert_non_null(strstr(t, tick));
		free(t);
		t = json_of(&ti, 1);
		assert_non_null(strstr(t, lower));
		assert_non_null(strstr(t, tick));
		free(t);

		hdb_tls_info_clear(&ti);
		free(tick);
		free(lower);
		free(buf);
		facts_free(&f);
	}
}

/* Names from a hostile certificate or SNI: escaped as keys are (bidi, C1,
 * C0 always; UTF-8 kept in a UTF-8 locale), and a space or comma too, so
 * the summary's fields stay apart; a NUL never matches a glob. */
static void
test_peer_hostile(void **state)
{
	struct hdb_tls_info ti;
	char pt[512];

	memset(&ti, 0, sizeof(ti));
	ti.peer.present = ti.peer.parsed = 1;
	hdb_tls_str_set(&ti.peer.cn, "j\303\274rgen.example", 15);
	hdb_tls_str_set(&ti.peer.san[0], "DNS:evil\342\200\256lmth.exe", 19);
	hdb_tls_str_set(&ti.peer.san[1], "DNS:a b,c\302\233\033", 12);
	ti.peer.nsan = 2;
	hdb_tls_str_set(&ti.sni, "x\0y", 3);
	hdb_tls_peer_text(pt, sizeof(pt), &ti);
	assert_string_equal(pt, "peer=j\\303\\274rgen.example,"
	    "evil\\342\\200\\256lmth.exe,a\\040b\\054c\\302\\233\\033 "
	    "sni=x\\0y");
	assert_false(hdb_tls_peer_match(&ti, "x*"));
	assert_true(hdb_tls_peer_match(&ti, "J\303\274RGEN.*"));
	if (setlocale(LC_CTYPE, "C.UTF-8") != NULL) {
		hdb_vis_set_utf8(1);
		hdb_tls_peer_text(pt, sizeof(pt), &ti);
		assert_non_null(strstr(pt, "peer=j\303\274rgen.example,"
		    "evil\\342\\200\\256lmth.exe,"));
		hdb_vis_set_utf8(0);
		setlocale(LC_CTYPE, "C");
	}
	hdb_tls_info_clear(&ti);
}

static void
test_output(void **state)
{
	struct hdb_tls_info ti;
	char sum[512], pt[256], *t;
	uint8_t *buf;
	size_t len, n;

	buf = load("o12-rsa-aes256gcm-sni.der", &len);
	assert_int_equal(hdb_tls_decode(buf, len, &ti), 0);
	n = hdb_tls_summary(sum, sizeof(sum), &ti, ti.start_time, 1);
	assert_int_equal(n, strlen(sum));
	assert_non_null(strstr(sum, "openssl TLS1.2 "
	    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 "
	    "peer=mx.test.example,alt.test.example,127.0.0.1 "
	    "sni=mx.test.example expires="));
	/* the peer by CN, SAN (without its kind) or SNI, case ignored */
	assert_true(hdb_tls_peer_match(&ti, "MX.test.example"));
	assert_true(hdb_tls_peer_match(&ti, "alt.*"));
	assert_true(hdb_tls_peer_match(&ti, "127.0.0.1"));
	assert_false(hdb_tls_peer_match(&ti, "DNS:*"));
	assert_false(hdb_tls_peer_match(&ti, "other.example"));
	assert_int_equal(hdb_tls_peer_text(pt, sizeof(pt), &ti),
	    strlen("peer=mx.test.example,alt.test.example,127.0.0.1 "
	    "sni=mx.test.example"));
	assert_string_equal(pt, "peer=mx.test.example,alt.test.example,"
	    "127.0.0.1 sni=mx.test.example");
	/* short buffers: cut and terminated, the full length reported */
	assert_int_equal(hdb_tls_peer_text(pt, 8, &ti), 67);
	assert_string_equal(pt, "peer=m");
	assert_int_equal(hdb_tls_peer_text(pt, 1, &ti), 67);
	assert_string_equal(pt, "");
	assert_non_null(strstr(sum, "resumable=yes"));
	/* a short buffer is cut, NUL-terminated, and the length reported */
	assert_int_equal(hdb_tls_summary(sum, 10, &ti, ti.start_time, 1), n);
	assert_int_equal(strlen(sum), 9);
	t = text_of(&ti, 0);
	assert_non_null(strstr(t, "  library: openssl\n"));
	assert_non_null(strstr(t, "  protocol: TLS1.2 (0x0303)\n"));
	assert_non_null(strstr(t, "  cipher: "
	    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (0xc030)\n"));
	assert_non_null(strstr(t, "  sni: mx.test.example\n"));
	assert_non_null(strstr(t, "  resumable: yes\n"));
	free(t);
	hdb_tls_info_clear(&ti);
	free(buf);
}

/* Our IANA table agrees with OpenSSL's for every suite both know. */
static void
test_cipher_table(void **state)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	SSL *ssl;
	const SSL_CIPHER *c;
	unsigned char id[2];
	unsigned v;
	int known = 0;

	assert_non_null(ctx);
	ssl = SSL_new(ctx);
	assert_non_null(ssl);
	for (v = 0; v <= 0xffff; v++) {
		const char *ours = hdb_tls_cipher_name((uint16_t)v);

		id[0] = (unsigned char)(v >> 8);
		id[1] = (unsigned char)v;
		c = SSL_CIPHER_find(ssl, id);
		if (ours == NULL || c == NULL)
			continue;
		assert_string_equal(ours, SSL_CIPHER_standard_name(c));
		known++;
	}
	assert_true(known >= 40);
	assert_string_equal(hdb_tls_group_name(0x001d), "X25519");
	assert_string_equal(hdb_tls_group_name(0x0017), "SECP256R1");
	assert_null(hdb_tls_group_name(0x4242));
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_der_facts),
		cmocka_unit_test(test_record_flags),
		cmocka_unit_test(test_no_ticket_hint),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_openssl_refuses),
		cmocka_unit_test(test_secrets_hidden),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_peer_hostile),
		cmocka_unit_test(test_cipher_table),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_noncanonical),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_flipped),
	};

	setenv("TZ", "UTC", 1);
	if (find_datadir() == -1) {
		fprintf(stderr, "test_tls_der: tests/data/tls not found "
		    "(set HINTSDB_TOP)\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
