/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_cache.c - a small cache of parsed peer certificates.
 *
 * Parsing a certificate with libcrypto costs far more than all the rest
 * of a stored session (OpenSSL 3 decodes the public key through its
 * provider machinery), and the sessions of one hints DB share a handful of
 * peer certificates: a busy MX talks to the same big receivers again and
 * again.  So each distinct DER is parsed once and copied out afterwards.
 *
 * Entries are keyed by a 64-bit hash of the DER, but a hit also needs the
 * same length and the same bytes: the hash only spares most comparisons.
 * The table is a fixed array searched linearly (a few dozen entries), the
 * least recently used entry making room.  Certificates larger than
 * CACHE_MAX_DER are parsed every time, so the memory held stays bounded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "tls/tls.h"
#include "xmalloc.h"

#define CACHE_MAX_DER	(64 * 1024)

struct cache_ent {
	uint8_t		*der;		/* NULL: a free slot */
	size_t		 len;
	uint64_t	 hash;
	uint64_t	 used;		/* cache tick of the last hit */
	hdb_tls_cert_parser parse;	/* the parser that made cert */
	int		 rc;		/* the parse's return value */
	struct hdb_tls_cert cert;
};

struct hdb_tls_cache {
	struct cache_ent *ent;
	size_t		 n;
	uint64_t	 tick;
	uint64_t	(*hash)(const uint8_t *, size_t);
	size_t		 hits, misses;
};

static struct hdb_tls_cache *default_cache;

struct hdb_tls_cache *
hdb_tls_cache_new(size_t entries)
{
	struct hdb_tls_cache *c;

	c = xcalloc(1, sizeof(*c));
	c->n = entries > 0 ? entries : 1;
	c->ent = xcalloc(c->n, sizeof(*c->ent));
	c->hash = hdb_hash_bytes;
	return c;
}

static void
ent_clear(struct cache_ent *e)
{
	free(e->der);
	hdb_tls_cert_clear(&e->cert);
	memset(e, 0, sizeof(*e));
}

void
hdb_tls_cache_free(struct hdb_tls_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		ent_clear(&c->ent[i]);
	free(c->ent);
	free(c);
}

struct hdb_tls_cache *
hdb_tls_cache_default(void)
{
	if (default_cache == NULL)
		default_cache = hdb_tls_cache_new(HDB_TLS_CACHE_ENTRIES);
	return default_cache;
}

void
hdb_tls_cache_default_free(void)
{
	hdb_tls_cache_free(default_cache);
	default_cache = NULL;
}

void
hdb_tls_cache_set_hash(struct hdb_tls_cache *c,
    uint64_t (*fn)(const uint8_t *, size_t))
{
	c->hash = fn != NULL ? fn : hdb_hash_bytes;
}

void
hdb_tls_cache_stats(const struct hdb_tls_cache *c, size_t *hits,
    size_t *misses)
{
	*hits = c->hits;
	*misses = c->misses;
}

/* Deep copy: dst gets its own strings. */
static void
cert_copy(struct hdb_tls_cert *dst, const struct hdb_tls_cert *src)
{
	size_t i;

	hdb_tls_cert_clear(dst);
	*dst = *src;
	memset(&dst->subject, 0, sizeof(dst->subject));
	memset(&dst->issuer, 0, sizeof(dst->issuer));
	memset(&dst->cn, 0, sizeof(dst->cn));
	memset(dst->san, 0, sizeof(dst->san));
	if (src->subject.p != NULL)
		hdb_tls_str_set(&dst->subject, src->subject.p, src->subject.len);
	if (src->issuer.p != NULL)
		hdb_tls_str_set(&dst->issuer, src->issuer.p, src->issuer.len);
	if (src->cn.p != NULL)
		hdb_tls_str_set(&dst->cn, src->cn.p, src->cn.len);
	for (i = 0; i < src->nsan; i++)
		if (src->san[i].p != NULL)
			hdb_tls_str_set(&dst->san[i], src->san[i].p,
			    src->san[i].len);
}

/* The entry holding der, or NULL and *victim the slot to reuse (a free
 * one, else the least recently used). */
static struct cache_ent *
lookup(struct hdb_tls_cache *c, const uint8_t *der, size_t len,
    hdb_tls_cert_parser parse, uint64_t h, struct cache_ent **victim)
{
	struct cache_ent *e, *v = &c->ent[0];
	size_t i;

	for (i = 0; i < c->n; i++) {
		e = &c->ent[i];
		if (e->der == NULL) {
			v = e;
			continue;
		}
		if (e->hash == h && e->len == len && e->parse == parse &&
		    memcmp(e->der, der, len) == 0)
			return e;
		if (v->der != NULL && e->used < v->used)
			v = e;
	}
	*victim = v;
	return NULL;
}

int
hdb_tls_cert_cached(struct hdb_tls_cache *c, const uint8_t *der, size_t len,
    hdb_tls_cert_parser parse, struct hdb_tls_cert *out)
{
	/* v is set by lookup() whenever it returns NULL; GCC 16 cannot see
	 * that (-Wmaybe-uninitialized at -O2, as Debian builds) */
	struct cache_ent *e, *v = NULL;
	uint64_t h;

	if (c == NULL || len == 0 || len > CACHE_MAX_DER)
		return parse(der, len, out);
	h = c->hash(der, len);
	if ((e = lookup(c, der, len, parse, h, &v)) != NULL)
		c->hits++;
	else {
		e = v;
		c->misses++;
		ent_clear(e);
		e->rc = parse(der, len, &e->cert);
		e->der = xmemdup(der, len);
		e->len = len;
		e->hash = h;
		e->parse = parse;
	}
	e->used = ++c->tick;
	if (e->rc == -2) {
		hdb_tls_cert_clear(out);
		return -2;
	}
	cert_copy(out, &e->cert);
	return e->rc;
}
