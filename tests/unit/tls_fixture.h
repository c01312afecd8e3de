/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_fixture.h - what the TLS session tests share: the fixtures in
 * tests/data/tls, their NAME.facts files, assertions on decoded fields,
 * and the cut and flipped input that hdb_tls_decode must survive.
 * Everything here fails the running cmocka test rather than returning an
 * error.
 */
#ifndef HDB_TLS_FIXTURE_H
#define HDB_TLS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "tls/tls.h"
#include "tls/tls_out.h"

/* A NAME.facts file: "key=value" lines, in file order. */
struct facts {
	char	*k[64], *v[64];
	int	 n;
};

/*
 * find_datadir - locate tests/data/tls: under $HINTSDB_TOP, the current
 * directory, or the tree the test binary was built in.  Call it once
 * before anything else here; 0 if found, else -1.
 */
int	find_datadir(void);

/* load - the whole fixture NAME in a malloc'd buffer; free it. */
uint8_t *load(const char *name, size_t *len);

/* Fixtures named PREFIX*SUFFIX, sorted, at most max; returns how many. */
int	list(const char *prefix, const char *suffix, char names[][128],
	    int max);

void	facts_load(struct facts *, const char *name);
void	facts_free(struct facts *);
/* The value of key k, or NULL; fact_num gives dflt for absent or empty. */
const char *fact(const struct facts *, const char *k);
long long fact_num(const struct facts *, const char *k, long long dflt);

/* hex - p[0..n) as lower-case hex in a malloc'd string. */
char	*hex(const uint8_t *p, size_t n);
void	assert_hex(const uint8_t *p, size_t n, const char *want);
void	assert_str(const struct hdb_tls_str *, const char *want);
/* The peer certificate against the facts of `openssl x509`. */
void	check_peer(const struct hdb_tls_cert *, const struct facts *);

/*
 * decode_copy - hdb_tls_decode an exact-size heap copy of src[0..n), so
 * that ASan sees any read past the end; checks the result carries a
 * reason, and the partial flag with 1.  Returns the result.
 */
int	decode_copy(const uint8_t *src, size_t n);

/*
 * truncate_each - fixture NAME cut at every length must decode as -1 or
 * 1, and as 1 (partial) from partial_from bytes on (SIZE_MAX: no such
 * rule).
 */
void	truncate_each(const char *name, size_t partial_from);

/* flip_each - NAME with any one byte flipped must decode as -1, 0 or 1. */
void	flip_each(const char *name);

#endif
