/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_tls_gnutls.c - libFuzzer target for the GnuTLS packed-session
 * decoder (lib/tls/tls_gnutls.c) and the session printers (lib/tls/tls_out.c).
 *
 * Input: byte 0 picks the writer's version, and so the magic and the
 * layout (3.6.0 to 3.8.x: layouts A, B, C and the undecodable ones); the
 * rest is the session after the magic.  A few inputs (byte 0 = 0xff) are
 * taken whole, magic included, so the range checks are reached too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_common.h"

static const uint32_t versions[] = {
	0x030603, 0x030604, 0x030605, 0x030606, 0x03060d, 0x030610,
	0x030701, 0x030702, 0x030709, 0x030800, 0x030809, 0x03080d,
	0x030600, 0x030602, 0x0308ff,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	fuzz_canary_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	uint32_t magic;
	size_t n;

	if (size < 1)
		return 0;
	if (data[0] == 0xff) {
		/* A copy, so ASan sees reads past the exact end. */
		n = size - 1;
		buf = malloc(n ? n : 1);
		if (buf == NULL)
			abort();
		memcpy(buf, data + 1, n);
	} else {
		n = size - 1 + 4;
		if ((buf = malloc(n)) == NULL)
			abort();
		magic = HDB_GNUTLS_MAGIC_BASE +
		    versions[data[0] % (sizeof(versions) / sizeof(versions[0]))];
		buf[0] = (uint8_t)(magic >> 24);
		buf[1] = (uint8_t)(magic >> 16);
		buf[2] = (uint8_t)(magic >> 8);
		buf[3] = (uint8_t)magic;
		memcpy(buf + 4, data + 1, size - 1);
	}
	fuzz_tls_one(buf, n, data[0] & 0x40, 1795722966, data[0], 1);
	free(buf);
	return 0;
}
