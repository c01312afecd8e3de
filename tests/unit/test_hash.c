/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_hash.c - the key set (lib/hash.c): whole keys compared, growth
 * keeps every key, keys that share a prefix or differ only in length are
 * told apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

static int
add(struct hdb_keyset *s, const char *k, size_t n)
{
	return hdb_keyset_add(s, (const uint8_t *)k, n);
}

static int
has(const struct hdb_keyset *s, const char *k, size_t n)
{
	return hdb_keyset_has(s, (const uint8_t *)k, n);
}

static void
test_add_has(void **state)
{
	struct hdb_keyset s = { 0 };

	(void)state;
	assert_false(has(&s, "k1", 3));
	assert_true(add(&s, "k1", 3));
	assert_false(add(&s, "k1", 3));
	assert_true(has(&s, "k1", 3));
	/* the same bytes, shorter or longer, are other keys */
	assert_false(has(&s, "k1", 2));
	assert_true(add(&s, "k1\0x", 4));
	assert_true(add(&s, "", 0));
	assert_true(has(&s, "", 0));
	assert_int_equal(s.n, 3);
	hdb_keyset_free(&s);
	assert_int_equal(s.n, 0);
	assert_false(has(&s, "k1", 3));
}

static void
test_growth(void **state)
{
	struct hdb_keyset s = { 0 };
	char k[32];
	int i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		snprintf(k, sizeof(k), "T:host%d:192.0.2.%d", i, i % 256);
		assert_true(add(&s, k, strlen(k) + 1));
	}
	assert_int_equal(s.n, 100000);
	for (i = 0; i < 100000; i++) {
		snprintf(k, sizeof(k), "T:host%d:192.0.2.%d", i, i % 256);
		assert_true(has(&s, k, strlen(k) + 1));
		assert_false(add(&s, k, strlen(k) + 1));
		assert_false(has(&s, k, strlen(k)));
	}
	hdb_keyset_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_has),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
