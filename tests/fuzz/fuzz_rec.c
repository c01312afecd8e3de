/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_rec.c - libFuzzer target for the record codec (lib/rec/rec.c) and the
 * record formatters (lib/rec/recfmt.c): every DB type, legacy, v2 and
 * autodetected layout.
 *
 * Input: byte 0 picks the type (low 3 bits, 0 = wait), the layout (bits
 * 3-4: auto, legacy, v2, auto), local time instead of UTC (bit 5); byte 1
 * is the key length; then the key, then the record.
 *
 * Checked: a decode that fails gives a reason; one that succeeds
 * re-encodes to exactly its own length, decodes again to the same fields,
 * and re-encodes to the same bytes; the text and exim formats hold no
 * control bytes; JSON output is produced.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "out.h"
#include "rec/rec.h"
#include "rec/recfmt.h"

static const enum hdb_dbtype types[8] = {
	HDB_T_WAIT, HDB_T_RETRY, HDB_T_WAIT, HDB_T_MISC, HDB_T_CALLOUT,
	HDB_T_RATELIMIT, HDB_T_SEEN, HDB_T_TLS,
};
static const enum hdb_layout layouts[4] = {
	HDB_L_AUTO, HDB_L_LEGACY, HDB_L_V2, HDB_L_AUTO,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "Europe/Berlin", 1);	/* local times have an offset */
	return 0;
}

/* The fields of two decodes of the same bytes must agree. */
static void
same(const struct hdb_rec *a, const struct hdb_rec *b)
{
	int ok = a->type == b->type && a->layout == b->layout &&
	    a->kind == b->kind && a->time_stamp == b->time_stamp;

	switch (a->type) {
	case HDB_T_RETRY:
		ok = ok && a->u.retry.first_failed == b->u.retry.first_failed &&
		    a->u.retry.last_try == b->u.retry.last_try &&
		    a->u.retry.next_try == b->u.retry.next_try &&
		    a->u.retry.expired == b->u.retry.expired &&
		    a->u.retry.basic_errno == b->u.retry.basic_errno &&
		    a->u.retry.more_errno == b->u.retry.more_errno &&
		    a->u.retry.text_len == b->u.retry.text_len &&
		    memcmp(a->u.retry.text, b->u.retry.text,
		    a->u.retry.text_len) == 0;
		break;
	case HDB_T_WAIT:
		ok = ok && a->u.wait.count == b->u.wait.count &&
		    a->u.wait.sequence == b->u.wait.sequence &&
		    a->u.wait.id_len == b->u.wait.id_len &&
		    a->u.wait.bad_id == b->u.wait.bad_id &&
		    (a->u.wait.count == 0 || memcmp(a->u.wait.ids,
		    b->u.wait.ids, (size_t)a->u.wait.count *
		    a->u.wait.id_len) == 0);
		break;
	case HDB_T_CALLOUT:
		ok = ok && a->u.callout.result == b->u.callout.result &&
		    a->u.callout.postmaster_result ==
		    b->u.callout.postmaster_result &&
		    a->u.callout.random_result == b->u.callout.random_result &&
		    a->u.callout.postmaster_stamp ==
		    b->u.callout.postmaster_stamp &&
		    a->u.callout.random_stamp == b->u.callout.random_stamp;
		break;
	case HDB_T_RATELIMIT:
		ok = ok && a->u.ratelimit.time_usec == b->u.ratelimit.time_usec &&
		    memcmp(&a->u.ratelimit.rate, &b->u.ratelimit.rate,
		    sizeof(double)) == 0 &&
		    a->u.ratelimit.bloom_epoch == b->u.ratelimit.bloom_epoch &&
		    a->u.ratelimit.bloom_size == b->u.ratelimit.bloom_size;
		break;
	case HDB_T_TLS:
		ok = ok && a->u.tls.flags == b->u.tls.flags &&
		    a->u.tls.payload_len == b->u.tls.payload_len &&
		    (a->u.tls.payload_len == 0 || memcmp(a->u.tls.payload,
		    b->u.tls.payload, a->u.tls.payload_len) == 0);
		break;
	case HDB_T_MISC:
		ok = ok && a->u.misc.count == b->u.misc.count &&
		    a->u.misc.clr_features == b->u.misc.clr_features &&
		    a->u.misc.limit_rcptdom == b->u.misc.limit_rcptdom &&
		    a->u.misc.raw_len == b->u.misc.raw_len;
		break;
	default:
		break;
	}
	if (!ok) {
		fprintf(stderr, "fuzz_rec: re-encoded record decodes "
		    "differently\n");
		abort();
	}
}

static void
roundtrip(const uint8_t *key, size_t klen, size_t len, const struct hdb_rec *r)
{
	struct hdb_rec r2;
	const char *why = NULL;
	size_t cap = hdb_rec_size(r, r->layout), n, n2;
	uint8_t *buf = malloc(cap + 1), *buf2 = malloc(cap + 1);

	if (buf == NULL || buf2 == NULL)
		abort();
	n = hdb_rec_encode(r, r->layout, buf, cap);
	if (n != len) {
		fprintf(stderr, "fuzz_rec: %zu-byte record re-encodes to %zu "
		    "bytes\n", len, n);
		abort();
	}
	if (hdb_rec_decode(r->type, r->layout, key, klen, buf, n, &r2,
	    &why) != 0) {
		fprintf(stderr, "fuzz_rec: re-encoded record does not decode: "
		    "%s\n", why);
		abort();
	}
	same(r, &r2);
	n2 = hdb_rec_encode(&r2, r2.layout, buf2, cap);
	if (n2 != n || memcmp(buf, buf2, n) != 0) {
		fprintf(stderr, "fuzz_rec: encoding is not stable\n");
		abort();
	}
	/* The other layout too, when the record is sane enough for it. */
	if (hdb_rec_size(r, r->layout == HDB_L_V2 ? HDB_L_LEGACY : HDB_L_V2) <=
	    cap + 8) {
		uint8_t *b3 = malloc(cap + 9);

		if (b3 == NULL)
			abort();
		n2 = hdb_rec_encode(r, r->layout == HDB_L_V2 ? HDB_L_LEGACY :
		    HDB_L_V2, b3, cap + 8);
		if (n2 != 0 && hdb_rec_decode(r->type, r->layout == HDB_L_V2 ?
		    HDB_L_LEGACY : HDB_L_V2, key, klen, b3, n2, &r2, &why) != 0) {
			fprintf(stderr, "fuzz_rec: record in the other layout "
			    "does not decode: %s\n", why);
			abort();
		}
		free(b3);
	}
	free(buf);
	free(buf2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdb_fmtopts fo;
	struct fuzz_cap text, out, err, js;
	struct hdb_rec r;
	const uint8_t *key, *val;
	const char *why = NULL;
	enum hdb_dbtype t;
	enum hdb_layout l;
	size_t klen, vlen;
	json_t *j;
	int rc;

	if (size < 2)
		return 0;
	t = types[data[0] & 7];
	l = layouts[(data[0] >> 3) & 3];
	klen = data[1];
	if (klen > size - 2)
		klen = size - 2;
	key = data + 2;
	val = key + klen;
	vlen = size - 2 - klen;

	memset(&fo, 0, sizeof(fo));
	fo.now = 1795722966;
	fo.utc = !(data[0] & 0x20);
	fo.db = "fuzz";

	(void)hdb_rec_layout(val, vlen);
	rc = hdb_rec_decode(t, l, key, klen, val, vlen, &r, &why);
	fuzz_cap_open(&text);
	fuzz_cap_open(&out);
	fuzz_cap_open(&err);
	fuzz_cap_open(&js);
	if (rc != 0) {
		if (rc != -1 || why == NULL)
			abort();
		hdb_rec_print_text_error(text.fp, key, klen, val, vlen, why,
		    &fo);
		j = hdb_rec_json_error(key, klen, why, &fo);
	} else {
		(void)hdb_rec_check(&r);
		roundtrip(key, klen, vlen, &r);
		hdb_rec_print_text(text.fp, key, klen, &r, &fo);
		(void)hdb_rec_print_exim(out.fp, err.fp, key, klen, &r, &fo);
		j = hdb_rec_json(key, klen, &r, &fo);
	}
	if (j == NULL || json_dumpf(j, js.fp, JSON_COMPACT) != 0)
		abort();
	json_decref(j);
	fuzz_cap_close(&text);
	fuzz_cap_close(&out);
	fuzz_cap_close(&err);
	fuzz_cap_close(&js);
	fuzz_no_ctl("text", text.buf, text.len);
	fuzz_no_ctl("exim stdout", out.buf, out.len);
	fuzz_no_ctl("exim stderr", err.buf, err.len);
	fuzz_no_ctl_json("json", js.buf, js.len);
	fuzz_cap_free(&text);
	fuzz_cap_free(&out);
	fuzz_cap_free(&err);
	fuzz_cap_free(&js);
	return 0;
}
