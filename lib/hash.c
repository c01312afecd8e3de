/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hash.c - a cheap 64-bit hash of a byte string (see hash.h).
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "xmalloc.h"

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

/* The slot of key (hash h) in s: where it is, or the empty one to take. */
static size_t
set_slot(const struct hdb_keyset *s, uint64_t h, const uint8_t *key,
    size_t len)
{
	size_t i = (size_t)h & (s->cap - 1);
	const struct hdb_keyset_slot *e;

	for (;; i = (i + 1) & (s->cap - 1)) {
		e = &s->slot[i];
		if (e->key == NULL || (e->hash == h && e->len == len &&
		    memcmp(e->key, key, len) == 0))
			return i;
	}
}

static void
set_grow(struct hdb_keyset *s)
{
	struct hdb_keyset old = *s;
	size_t i, j;

	s->cap = old.cap ? old.cap * 2 : 64;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	for (i = 0; i < old.cap; i++) {
		if (old.slot[i].key == NULL)
			continue;
		j = set_slot(s, old.slot[i].hash, old.slot[i].key,
		    old.slot[i].len);
		s->slot[j] = old.slot[i];
	}
	free(old.slot);
}

int
hdb_keyset_add(struct hdb_keyset *s, const uint8_t *key, size_t len)
{
	uint64_t h = hdb_hash_bytes(key, len);
	struct hdb_keyset_slot *e;

	if (s->n + 1 > s->cap / 2)
		set_grow(s);
	e = &s->slot[set_slot(s, h, key, len)];
	if (e->key != NULL)
		return 0;
	e->hash = h;
	e->len = len;
	e->key = xmalloc(len > 0 ? len : 1);
	memcpy(e->key, key, len);
	s->n++;
	return 1;
}

int
hdb_keyset_has(const struct hdb_keyset *s, const uint8_t *key, size_t len)
{
	if (s->n == 0)
		return 0;
	return s->slot[set_slot(s, hdb_hash_bytes(key, len), key, len)].key !=
	    NULL;
}

void
hdb_keyset_free(struct hdb_keyset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i].key);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
