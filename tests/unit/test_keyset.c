/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_keyset.c - the catch-up's key sets (tools/engine/catchup.c):
 * keyset_seal sorts in place and keeps each hash once, whatever the
 * values' spread (the radix sort's buckets, empty, full, or one value
 * many times), and keyset_has finds exactly what was added.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* the code under test lives in tools/, outside the library */
#include "../../tools/engine/slurp.c"
#include "../../tools/engine/catchup.c"

/* The catch-up's reads and writes of a DB are not under test here. */
int
db_open(struct dbh *d, const char *spool, const char *name, int write,
    const struct dbopts *o, const char *cmd)
{
	(void)d, (void)spool, (void)name, (void)write, (void)o, (void)cmd;
	return EX_IOERR_;
}

int
db_scan(struct dbh *d, const char *spool, const struct dbopts *o,
    const char *cmd, double budget_ms, unsigned flags, hdb_iter_fn fn,
    void *ctx, struct scan_info *si)
{
	(void)d, (void)spool, (void)o, (void)cmd, (void)budget_ms;
	(void)flags, (void)fn, (void)ctx, (void)si;
	return EX_IOERR_;
}

int
db_paced(const char *spool, const char *name, int write,
    const struct dbopts *o, const char *cmd, double budget_ms, size_t n,
    const struct paced *p, void *ctx)
{
	(void)spool, (void)name, (void)write, (void)o, (void)cmd;
	(void)budget_ms, (void)n, (void)p, (void)ctx;
	return EX_IOERR_;
}

void
db_file_note(const char *path, struct db_file *f)
{
	(void)path;
	memset(f, 0, sizeof(*f));
}

int
db_file_changed(const char *path, struct db_file *f)
{
	(void)path, (void)f;
	return 1;
}

void
progress_begin(uint64_t total, unsigned flags, const char *fmt, ...)
{
	(void)total, (void)flags, (void)fmt;
}

void
progress_end(void)
{
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ks holds each of want's n values once, in order. */
static void
check_sealed(const struct keyset *ks, uint64_t *want, size_t n)
{
	size_t i, m;

	qsort(want, n, sizeof(*want), u64_cmp);
	for (i = m = 0; i < n; i++)
		if (m == 0 || want[m - 1] != want[i])
			want[m++] = want[i];
	assert_int_equal(ks->n, m);
	for (i = 0; i < m; i++)
		assert_true(ks->h[i] == want[i]);
}

/* n values from gen into a keyset; seal; compare with qsort's order. */
static void
sort_case(size_t n, uint64_t (*gen)(size_t))
{
	struct keyset ks = { 0 };
	uint64_t *want = malloc((n ? n : 1) * sizeof(*want));
	size_t i;

	assert_non_null(want);
	for (i = 0; i < n; i++) {
		want[i] = gen(i);
		add_hash(&ks, want[i]);
	}
	keyset_seal(&ks);
	check_sealed(&ks, want, n);
	keyset_seal(&ks);		/* sealed again: the same */
	check_sealed(&ks, want, ks.n);
	free(want);
	keyset_free(&ks);
}

static uint64_t
gen_random(size_t i)
{
	(void)i;
	return next();
}

/* many equal values, and values that differ in one byte only */
static uint64_t
gen_few(size_t i)
{
	return (next() % 5) << 40 | 0x0101010101ULL;
	(void)i;
}

static uint64_t
gen_low_byte(size_t i)
{
	return 0xabcdef0000000000ULL | (next() & 0xff);
	(void)i;
}

static uint64_t
gen_descending(size_t i)
{
	return UINT64_MAX - (uint64_t)i * 977;
}

static void
test_seal_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 31, 32, 33, 255, 256, 257,
	    4096, 100000 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		sort_case(sizes[i], gen_random);
		sort_case(sizes[i], gen_few);
		sort_case(sizes[i], gen_low_byte);
		sort_case(sizes[i], gen_descending);
	}
}

static void
test_has_exactly(void **state)
{
	struct keyset ks = { 0 };
	struct hdb_datum k;
	char key[32];
	int i;

	(void)state;
	for (i = 0; i < 20000; i += 2) {
		snprintf(key, sizeof(key), "T:host%d:10.0.0.%d", i, i % 256);
		k.data = (const uint8_t *)key;
		k.len = strlen(key) + 1;
		keyset_add(&ks, k);
	}
	keyset_seal(&ks);
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "T:host%d:10.0.0.%d", i, i % 256);
		k.data = (const uint8_t *)key;
		k.len = strlen(key) + 1;
		assert_int_equal(keyset_has(&ks, k), i % 2 == 0);
	}
	keyset_free(&ks);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_sizes),
		cmocka_unit_test(test_has_exactly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
