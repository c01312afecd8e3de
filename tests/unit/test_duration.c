/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_duration.c - the one duration parser (tools/duration.c): bare
 * numbers per option kind, every unit, sums, bounds and the messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/duration.c"

#define MAXMS	(86400LL * 1000)

static int64_t
ok(const char *s, enum dur_bare bare)
{
	char why[128];
	int64_t ms = -7;

	assert_int_equal(duration_parse(s, bare, 0, 100LL * MAXMS, &ms, why,
	    sizeof(why)), 0);
	return ms;
}

/* bad - s is refused, and the message contains want. */
static void
bad(const char *s, enum dur_bare bare, int64_t lo, int64_t hi,
    const char *want)
{
	char why[128] = "";
	int64_t ms = -7;

	assert_int_equal(duration_parse(s, bare, lo, hi, &ms, why,
	    sizeof(why)), -1);
	assert_int_equal(ms, -7);	/* untouched on failure */
	if (strstr(why, want) == NULL)
		fail_msg("'%s': got '%s', wanted '%s'", s, why, want);
}

static void
test_bare_numbers(void **state)
{
	(void)state;
	assert_int_equal(ok("1", DUR_BARE_S), 1000);
	assert_int_equal(ok("0", DUR_BARE_S), 0);
	assert_int_equal(ok("250", DUR_BARE_MS), 250);
	assert_int_equal(ok("007", DUR_BARE_MS), 7);
	bad("30", DUR_BARE_NONE, 0, MAXMS, "needs a unit");
}

static void
test_units(void **state)
{
	(void)state;
	assert_int_equal(ok("500ms", DUR_BARE_S), 500);
	assert_int_equal(ok("2s", DUR_BARE_MS), 2000);
	assert_int_equal(ok("3m", DUR_BARE_MS), 180000);
	assert_int_equal(ok("1h", DUR_BARE_S), 3600000);
	assert_int_equal(ok("2d", DUR_BARE_NONE), 2 * MAXMS);
	assert_int_equal(ok("1w", DUR_BARE_NONE), 7 * MAXMS);
	/* sums, as Exim's -t */
	assert_int_equal(ok("1h30m", DUR_BARE_S), 5400000);
	assert_int_equal(ok("1m500ms", DUR_BARE_S), 60500);
	assert_int_equal(ok("1w2d3h4m5s", DUR_BARE_NONE),
	    ((((9 * 24 + 3) * 60) + 4) * 60 + 5) * 1000LL);
}

static void
test_refused(void **state)
{
	(void)state;
	bad("", DUR_BARE_S, 0, MAXMS, "empty");
	bad("-1", DUR_BARE_S, 0, MAXMS, "negative");
	bad("x", DUR_BARE_S, 0, MAXMS, "not a number");
	bad("s", DUR_BARE_S, 0, MAXMS, "not a number");
	bad("1.5s", DUR_BARE_S, 0, MAXMS, "unknown unit '.'");
	bad("5sec", DUR_BARE_S, 0, MAXMS, "unknown unit 'sec'");
	bad("5min", DUR_BARE_S, 0, MAXMS, "unknown unit 'min'");
	bad("5 s", DUR_BARE_S, 0, MAXMS, "unknown unit ' s'");
	bad("1m30", DUR_BARE_S, 0, MAXMS, "last number needs a unit");
	bad("99999999999999999999", DUR_BARE_MS, 0, MAXMS, "too long");
}

static void
test_bounds(void **state)
{
	(void)state;
	bad("0", DUR_BARE_MS, 1, 60000, "too short (at least 1ms)");
	bad("60001", DUR_BARE_MS, 1, 60000, "too long (at most 1m)");
	bad("2d", DUR_BARE_S, 0, MAXMS, "too long (at most 1d)");
	bad("86401", DUR_BARE_S, 0, MAXMS, "too long (at most 1d)");
	assert_int_equal(ok("86400", DUR_BARE_S), MAXMS);
}

static void
test_format(void **state)
{
	char buf[32];

	(void)state;
	duration_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	duration_format(5400000, buf, sizeof(buf));
	assert_string_equal(buf, "1h30m");
	duration_format(60500, buf, sizeof(buf));
	assert_string_equal(buf, "1m500ms");
	duration_format(7 * MAXMS + 1, buf, sizeof(buf));
	assert_string_equal(buf, "1w1ms");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare_numbers),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
