/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hash.c - a cheap 64-bit hash of a byte string (see hash.h).
 */
#include <string.h>

#include "hash.h"

uint64_t
hdb_hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; n > 0; p++, n--)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h ^ (h >> 32);
}
