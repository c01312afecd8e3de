/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_common.h - the checks the TLS targets share: decode a payload, then
 * every output (text, JSON, summary; with and without secrets) must hold
 * no control bytes, and without --show-secrets no secret byte may show.
 */
#ifndef HDB_FUZZ_TLS_COMMON_H
#define HDB_FUZZ_TLS_COMMON_H

#include "fuzz.h"
#include "tls/tls.h"
#include "tls/tls_out.h"

#define FUZZ_NOW	1795722966

/* Print ti every way; the secrets (if any) have been set to the canary. */
static inline void
fuzz_tls_outputs(const struct hdb_tls_info *ti, int utc)
{
	struct fuzz_cap c;
	char line[512];
	json_t *j;
	size_t n;

	fuzz_cap_open(&c);
	hdb_tls_print_text(c.fp, ti, FUZZ_NOW, utc, 0, "  ");
	n = hdb_tls_summary(line, sizeof(line), ti, FUZZ_NOW, utc);
	fputs(line, c.fp);
	(void)n;
	fuzz_cap_close(&c);
	fuzz_no_ctl("tls text", c.buf, c.len);
	fuzz_no_canary("tls text", c.buf, c.len);
	fuzz_cap_free(&c);

	fuzz_cap_open(&c);
	j = hdb_tls_json(ti, FUZZ_NOW, 0);
	if (j == NULL || json_dumpf(j, c.fp, JSON_COMPACT) != 0)
		abort();
	json_decref(j);
	fuzz_cap_close(&c);
	fuzz_no_ctl_json("tls json", c.buf, c.len);
	fuzz_no_canary("tls json", c.buf, c.len);
	fuzz_cap_free(&c);

	/* With secrets: still no control bytes. */
	fuzz_cap_open(&c);
	hdb_tls_print_text(c.fp, ti, FUZZ_NOW, utc, 1, "  ");
	fuzz_cap_close(&c);
	fuzz_no_ctl("tls text with secrets", c.buf, c.len);
	fuzz_cap_free(&c);
	fuzz_cap_open(&c);
	j = hdb_tls_json(ti, FUZZ_NOW, 1);
	if (j == NULL || json_dumpf(j, c.fp, JSON_COMPACT) != 0)
		abort();
	json_decref(j);
	fuzz_cap_close(&c);
	fuzz_no_ctl_json("tls json with secrets", c.buf, c.len);
	fuzz_cap_free(&c);
}

/*
 * fuzz_tls_one - decode p[0..len) as a payload (from a record written at
 * rec_time when have_rec), check every output, and clear.
 */
static inline void
fuzz_tls_one(const uint8_t *p, size_t len, int have_rec, int64_t rec_time,
    uint8_t flags, int utc)
{
	struct hdb_tls_info ti;
	const char *why = NULL;
	int r;

	r = hdb_tls_decode(p, len, &ti);
	if (r < -1 || r > 1)
		abort();
	if (ti.decoded_len > len || ti.secbuf_len > ti.secbuf_cap) {
		fprintf(stderr, "fuzz: decoded %zu of %zu bytes, secrets "
		    "%zu of %zu\n", ti.decoded_len, len, ti.secbuf_len,
		    ti.secbuf_cap);
		abort();
	}
	if (have_rec)
		hdb_tls_set_record(&ti, rec_time, 1, flags);
	(void)hdb_tls_set_runtime_gnutls(&ti, "3.7.9");
	(void)hdb_tls_resumable(&ti, FUZZ_NOW, &why);
	if (ti.secbuf != NULL)
		fuzz_canary_fill(ti.secbuf, ti.secbuf_len);
	fuzz_tls_outputs(&ti, utc);
	hdb_tls_info_clear(&ti);
}

#endif
