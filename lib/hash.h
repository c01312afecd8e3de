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

/*
 * A set of byte strings (copies), compared whole: a zeroed struct is an
 * empty set.  add returns 1 if the key is new, 0 if it was there.
 */
struct hdb_keyset_slot {
	uint64_t	 hash;
	uint8_t		*key;		/* NULL: an empty slot */
	size_t		 len;
};
struct hdb_keyset {
	struct hdb_keyset_slot *slot;
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 n;
};
int	hdb_keyset_add(struct hdb_keyset *, const uint8_t *key, size_t len);
int	hdb_keyset_has(const struct hdb_keyset *, const uint8_t *key,
	    size_t len);
void	hdb_keyset_free(struct hdb_keyset *);

#endif
