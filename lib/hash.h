/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hash.h - a cheap 64-bit hash of a byte string, for tables in memory:
 * FNV-style mixing of eight bytes a step.  No defence against chosen
 * input, which can only make a table slow (a collision costs a compare).
 */
#ifndef HDB_HASH_H
#define HDB_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hdb_hash_bytes(const uint8_t *p, size_t n);

#endif
