/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_tls_der.c - libFuzzer target for the OpenSSL path (lib/tls/tls_der.c):
 * d2i_SSL_SESSION plus our own walk of the outer DER, the certificate
 * parser (subject, SANs, key, serial), and the session printers.
 *
 * Input: byte 0 bit 0 clear: the rest is a DER session payload (as stored
 * in an Exim tls record); set: the rest is a DER certificate given to
 * hdb_tls_cert_parse and printed as
 * the peer of an empty session.  Bit 1 adds the record context (flags byte,
 * record time) and bit 2 prints local times.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_common.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "America/St_Johns", 1);
	fuzz_canary_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdb_tls_info ti;
	uint8_t *buf;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	/* A copy of exactly n bytes, so ASan sees any read past the end. */
	if ((buf = malloc(n ? n : 1)) == NULL)
		abort();
	memcpy(buf, data + 1, n);
	if (data[0] & 1) {
		/* An empty session around the certificate, then print it. */
		(void)hdb_tls_decode(buf, 0, &ti);
		(void)hdb_tls_cert_parse(buf, n, &ti.peer);
		fuzz_tls_outputs(&ti, !(data[0] & 4));
		hdb_tls_info_clear(&ti);
	} else
		fuzz_tls_one(buf, n, data[0] & 2, 1795722966,
		    (uint8_t)(data[0] >> 3), !(data[0] & 4));
	free(buf);
	return 0;
}
