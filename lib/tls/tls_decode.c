/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_decode.c - the dispatch on a payload's first bytes (formats doc
 * §5.1) to the decoder proper: tls_der.c (OpenSSL) or tls_gnutls.c
 * (GnuTLS packed).  Decoders use the model (tls_model.c), never the
 * formatters.
 */
#include <stdint.h>
#include <string.h>

#include "tls/tls.h"

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

static void
info_init(struct hdb_tls_info *ti, size_t len)
{
	memset(ti, 0, sizeof(*ti));
	ti->payload_len = len;
	ti->gnutls_version_match = -1;
	ti->resumable_flag = -1;
	ti->extms = ti->etm = -1;
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
