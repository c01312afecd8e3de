/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_recfmt_json.c - hdb_rec_json_print writes compact JSON straight
 * into a buffer for speed; it must print exactly what jansson prints for
 * hdb_rec_json's object (hdb_json_dumpf, JSON_COMPACT: jansson's text with
 * DEL, C1 and bidi controls \u-escaped).  Checked on fixed
 * hostile records and on many random ones of every type: keys and texts
 * with NULs, control bytes, quotes, backslashes, valid and invalid UTF-8
 * (overlong forms, surrogates, truncated sequences, beyond U+10FFFF), odd
 * numbers, and both layouts; and tls records from the real sessions of
 * tests/data/tls, whole and damaged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rec/rec.h"
#include "rec/recfmt.h"
#include "jsafe.h"
#include "out.h"

#define NRANDOM	50000

static uint64_t seed = 1;

static uint64_t
rnd(void)
{
	uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Pieces that stress the escaper and the UTF-8 check. */
static const char *const bits[] = {
	"a", "Z", "0", " ", "@", ":", "/", "<", ">", "\"", "\\", "\x7f",
	"\x01", "\x1b", "\b", "\f", "\n", "\r", "\t", "\x1f",
	"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
	"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	"\xf5\x80\x80\x80", "\x80", "\xbf", "\xc3", "\xe2\x82", "\xff", "\xfe",
	/* C1, bidi and their neighbours: escaped or kept (jsafe.h) */
	"\xc2\x80", "\xc2\x9b", "\xc2\x9f", "\xc2\xa0", "\xc2",
	"\xe2\x80\xae", "\xe2\x80\xaa", "\xe2\x80\xa9", "\xe2\x80\xaf",
	"\xe2\x81\xa6", "\xe2\x81\xa9", "\xe2\x81\xaa", "\xe2\x80",
};

static size_t
fill(uint8_t *buf, size_t cap)
{
	size_t n = 0, k = (size_t)(rnd() % 12), i, l;

	for (i = 0; i < k; i++) {
		const char *b = rnd() % 3 ? "x" : bits[rnd() % (sizeof(bits) /
		    sizeof(bits[0]))];

		l = strlen(b);
		if (rnd() % 40 == 0)
			b = "", l = 1;		/* a NUL */
		if (n + l > cap)
			break;
		memcpy(buf + n, b, l);
		n += l;
	}
	return n;
}

static char *
via_jansson(const uint8_t *k, size_t kl, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	json_t *obj = hdb_rec_json(k, kl, r, o);
	char *t = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&t, &n);

	assert_non_null(fp);
	assert_int_equal(hdb_json_dumpf(obj, fp, JSON_COMPACT), 0);
	fputc('\n', fp);
	fclose(fp);
	json_decref(obj);
	return t;
}

static void
same(const uint8_t *k, size_t kl, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	char *want = via_jansson(k, kl, r, o), *got = NULL;
	size_t n = 0, i;
	uint32_t cp;
	FILE *fp = open_memstream(&got, &n);

	assert_non_null(fp);
	hdb_rec_json_print(fp, k, kl, r, o);
	fclose(fp);
	if (strcmp(want, got) != 0)
		fail_msg("jansson: %s\nprint:   %s", want, got);
	for (i = 0; i < n; i++)		/* no raw DEL, C1 or bidi */
		assert_int_equal(hdb_json_unsafe((const uint8_t *)got + i,
		    n - i, &cp), 0);
	free(want);
	free(got);
}

static void
random_rec(struct hdb_rec *r, uint8_t *text, uint8_t *ids, uint8_t *raw)
{
	static const double reals[] = { 0.0, -0.0, 1.0, 0.1, 1e300, -2.5e-300,
	    123456789.125, 1.0 / 3.0 };
	int64_t t = (int64_t)(rnd() % 5000000000ULL) - 1000000000;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->type = (enum hdb_dbtype)(1 + rnd() % 6);	/* not tls */
	r->layout = rnd() % 4 == 0 ? HDB_L_V2 : HDB_L_LEGACY;
	r->tainted = (uint32_t)(rnd() % 3);
	r->time_stamp = rnd() % 50 == 0 ? INT64_MIN + (int64_t)(rnd() % 9) : t;
	switch (r->type) {
	case HDB_T_RETRY:
		r->u.retry.first_failed = t - (int64_t)(rnd() % 100000);
		r->u.retry.last_try = (int64_t)rnd();
		r->u.retry.next_try = t + 900;
		r->u.retry.expired = (uint32_t)(rnd() % 3);
		r->u.retry.basic_errno = (int32_t)(rnd() % 200) - 100;
		r->u.retry.more_errno = (int32_t)rnd();
		r->u.retry.text = text;
		r->u.retry.text_len = fill(text, 150);
		break;
	case HDB_T_WAIT:
		r->u.wait.count = (int32_t)(rnd() % 5);
		r->u.wait.sequence = (int32_t)(rnd() % 3000) - 5;
		r->u.wait.id_len = rnd() % 2 ? 16 : 23;
		for (i = 0; i < (size_t)r->u.wait.count * r->u.wait.id_len;
		    i++)
			ids[i] = rnd() % 7 == 0 ? (uint8_t)rnd() :
			    (uint8_t)"0123456789abcdefXYZ-"[rnd() % 20];
		for (i = 0; i < (size_t)r->u.wait.count && rnd() % 2; i++) {
			memcpy(ids + i * r->u.wait.id_len, r->u.wait.id_len ==
			    16 ? "1qXyZa-000123-Ab" : "1qXyZa-000123456AB-Ab12",
			    r->u.wait.id_len);
		}
		r->u.wait.ids = ids;
		r->u.wait.bad_id = (int)(rnd() % 4) - 2;
		break;
	case HDB_T_MISC:
		r->kind = (enum hdb_kind)(HDB_K_MISC_SERIALIZE + rnd() % 4);
		r->u.misc.count = (int32_t)rnd();
		r->u.misc.clr_features = (uint16_t)rnd();
		r->u.misc.cry_features = (uint16_t)rnd();
		r->u.misc.clr_auths = (uint16_t)rnd();
		r->u.misc.cry_auths = (uint16_t)rnd();
		r->u.misc.limit_mail = (uint32_t)rnd();
		r->u.misc.limit_rcpt = (uint32_t)rnd();
		r->u.misc.limit_rcptdom = (uint32_t)rnd();
		r->u.misc.raw = raw;
		r->u.misc.raw_len = fill(raw, 40);
		break;
	case HDB_T_CALLOUT:
		r->kind = (enum hdb_kind)(HDB_K_CALLOUT_ADDRESS + rnd() % 3);
		r->u.callout.result = (int32_t)(rnd() % 6) - 1;
		r->u.callout.postmaster_result = (int32_t)(rnd() % 5);
		r->u.callout.random_result = (int32_t)(rnd() % 5);
		r->u.callout.postmaster_stamp = t - 5;
		r->u.callout.random_stamp = (int64_t)rnd();
		break;
	case HDB_T_RATELIMIT:
		r->kind = rnd() % 2 ? HDB_K_RATELIMIT_PLAIN :
		    HDB_K_RATELIMIT_UNIQUE;
		r->u.ratelimit.time_usec = (int32_t)(rnd() % 1000000);
		r->u.ratelimit.rate = reals[rnd() % (sizeof(reals) /
		    sizeof(reals[0]))] * (double)(rnd() % 1000);
		r->u.ratelimit.bloom_epoch = t;
		r->u.ratelimit.bloom_size = (uint32_t)fill(raw, 40);
		r->u.ratelimit.bloom = raw;
		break;
	default:
		break;
	}
}

static void
test_fixed(void **state)
{
	static const char *const keys[] = { "R:example.com", "", "a\"b\\c",
	    "\x1b[2J", "caf\xc3\xa9", "bad\xff", "nul\0in", "\xed\xa0\x80" };
	static const size_t klens[] = { 14, 1, 6, 5, 6, 5, 7, 4 };
	struct hdb_fmtopts o = { .now = 1795722966, .utc = 1, .db = "retry" };
	struct hdb_rec r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.type = HDB_T_RETRY;
	r.layout = HDB_L_LEGACY;
	r.time_stamp = 1795722966;
	r.u.retry.text = (const uint8_t *)"451 4.7.1 \"greylisted\"\t\\";
	r.u.retry.text_len = strlen((const char *)r.u.retry.text);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		same((const uint8_t *)keys[i], klens[i], &r, &o);
		/* without Exim's trailing NUL */
		same((const uint8_t *)keys[i], klens[i] - 1, &r, &o);
	}
	o.db = "wait-\xff";	/* not UTF-8: jansson leaves "db" out */
	same((const uint8_t *)"k", 2, &r, &o);
	o.db = NULL;
	same((const uint8_t *)"k", 2, &r, &o);
}

static void
test_random(void **state)
{
	struct hdb_fmtopts o = { .now = 1795722966, .utc = 0, .db = "callout" };
	uint8_t key[64], text[160], ids[5 * 23], raw[48];
	struct hdb_rec r;
	size_t kl;
	long i;

	for (i = 0; i < NRANDOM; i++) {
		random_rec(&r, text, ids, raw);
		kl = fill(key, sizeof(key) - 1);
		if (rnd() % 4)
			key[kl++] = '\0';
		o.now = (int64_t)rnd();
		same(key, kl, &r, &o);
	}
}

/*
 * export's line: what export built with jansson before (the record's
 * object less "age_s", or the error object, and "raw" last) is what
 * hdb_rec_export_print writes, for random records and values.
 */
static void
same_export(const uint8_t *k, size_t kl, const struct hdb_rec *r,
    const uint8_t *v, size_t vl, const struct hdb_fmtopts *o)
{
	json_t *obj = r != NULL ? hdb_rec_json(k, kl, r, o) :
	    hdb_rec_json_error(k, kl, "bad", o);
	char *want = NULL, *got = NULL, *b64 = hdb_base64(v, vl);
	size_t wn = 0, gn = 0;
	FILE *fw = open_memstream(&want, &wn), *fg = open_memstream(&got, &gn);

	assert_non_null(fw);
	assert_non_null(fg);
	json_object_del(obj, "age_s");
	json_object_set_new(obj, "raw", json_string(b64));
	assert_int_equal(hdb_json_dumpf(obj, fw, JSON_COMPACT), 0);
	fputc('\n', fw);
	fclose(fw);
	json_decref(obj);
	hdb_rec_export_print(fg, k, kl, r, "bad", v, vl, o);
	fclose(fg);
	if (strcmp(want, got) != 0)
		fail_msg("jansson: %s\nexport:  %s", want, got);
	free(b64);
	free(want);
	free(got);
}

static void
test_export(void **state)
{
	struct hdb_fmtopts o = { .now = 1795722966, .db = "retry",
	    .no_age = 1 };
	uint8_t key[64], text[160], ids[5 * 23], raw[48], val[300];
	struct hdb_rec r;
	size_t kl, vl;
	long i;

	for (i = 0; i < NRANDOM / 4; i++) {
		random_rec(&r, text, ids, raw);
		kl = fill(key, sizeof(key) - 1);
		if (rnd() % 4)
			key[kl++] = '\0';
		vl = fill(val, sizeof(val));
		o.now = (int64_t)rnd();
		o.utc = 1;
		same_export(key, kl, &r, val, vl, &o);
		same_export(key, kl, NULL, val, vl % 7, &o);
	}
}

/*
 * tls records: the session members come from the tls formatter through
 * the same emitter.  Every real fixture (tests/data/tls, found from the
 * top of the tree or HINTSDB_TOP), whole, cut short and with a byte
 * changed, with and without secrets.
 */
static void
test_tls(void **state)
{
	static const char *const f[] = { "o12-rsa-aes256gcm-sni.der",
	    "o13-ec-chacha-sni.der", "o12-rsa-noticket.der",
	    "g12-rsa-aes256gcm-sni.bin", "g13-ec-chacha.bin",
	    "g13-placeholder.bin",
	    "exim496-gnutls-tls12.rec" };	/* a whole record: undecodable */
	struct hdb_fmtopts o = { .now = 1795722966, .utc = 1, .db = "tls" };
	const char *top = getenv("HINTSDB_TOP");
	char path[4096];
	uint8_t buf[8192];
	struct hdb_rec r;
	size_t i, n, cut;
	FILE *fp;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/data/tls/%s",
		    top != NULL ? top : ".", f[i]);
		if ((fp = fopen(path, "rb")) == NULL)
			skip();
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		memset(&r, 0, sizeof(r));
		r.type = HDB_T_TLS;
		r.layout = HDB_L_LEGACY;
		r.time_stamp = 1795722000;
		r.u.tls.payload = buf;
		for (cut = n; cut > 0; cut -= cut > 40 ? 37 : cut) {
			r.u.tls.payload_len = cut;
			r.u.tls.flags = (uint8_t)rnd();
			o.show_secrets = (int)(cut & 1);
			same((const uint8_t *)"k", 2, &r, &o);
			buf[cut / 2] ^= 0x5a;
			same((const uint8_t *)"k", 2, &r, &o);
			buf[cut / 2] ^= 0x5a;
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_tls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
