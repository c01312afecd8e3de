/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * recfmt_tls.c - tls records in dump output.  The payload is named by its
 * first bytes only (formats doc §5.1); never printed raw.
 */
#include <stdio.h>
#include <string.h>

#include "recfmt.h"

static const char *
library(const struct hdb_rec *r)
{
	const uint8_t *p = r->u.tls.payload;
	size_t n = r->u.tls.payload_len;
	uint32_t m;

	if (n >= 1 && p[0] == 0x30)
		return "openssl";
	if (n == 4 && memcmp(p, "\0\0\0\0", 4) == 0)
		return "gnutls-no-ticket";
	if (n >= 4) {
		m = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		if (m >= 0xFAE1C0DDu && m <= 0xFAE1C3DCu)
			return "gnutls";
	}
	return "unknown";
}

int
hdb_tlsrec_text(FILE *fp, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	fprintf(fp, "  library: %s\n  payload_length: %zu\n", library(r),
	    r->u.tls.payload_len);
	return 0;
}

int
hdb_tlsrec_json(json_t *obj, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	json_object_set_new(obj, "library", json_string(library(r)));
	json_object_set_new(obj, "payload_length",
	    json_integer((json_int_t)r->u.tls.payload_len));
	return 0;
}

int
hdb_tlsrec_summary(char *buf, size_t len, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	snprintf(buf, len, "%s payload=%zu", library(r), r->u.tls.payload_len);
	return 0;
}
