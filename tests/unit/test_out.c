/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_out.c - escaping, time formats and parsing, ages, base64. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "out.h"

static void
test_vis(void **state)
{
	char buf[HDB_VIS_SIZE(16)];
	static const uint8_t raw[] = { 'a', 0x1b, '[', '2', 'J', '\n', 0, 0x7f,
	    '\\', 0xff };
	size_t n, i;

	n = hdb_vis(buf, sizeof(buf), "plain key", 9);
	assert_int_equal(n, 9);
	assert_string_equal(buf, "plain key");
	n = hdb_vis(buf, sizeof(buf), raw, sizeof(raw));
	assert_int_equal(n, strlen(buf));
	for (i = 0; i < n; i++)
		assert_true(buf[i] >= 0x20 && buf[i] < 0x7f);
	assert_non_null(strstr(buf, "\\\\"));	/* backslash doubled */
	assert_non_null(strstr(buf, "\\n"));
}

/* What text output shows of s in a UTF-8 locale. */
static const char *
vis8(const char *s)
{
	static char buf[HDB_VIS_SIZE(64)];

	hdb_visx(buf, sizeof(buf), s, strlen(s), 1);
	return buf;
}

static void
test_vis_utf8(void **state)
{
	char buf[HDB_VIS_SIZE(64)];
	uint8_t *u;
	size_t n;

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		skip();
	/* printable UTF-8 stays, so grep finds it */
	assert_string_equal(vis8("j\303\274rgen@b\303\274cher.example"),
	    "j\303\274rgen@b\303\274cher.example");
	assert_string_equal(vis8("\344\270\255 \360\237\230\200"),
	    "\344\270\255 \360\237\230\200");
	/* C0, DEL, backslash: as in the C locale */
	assert_string_equal(vis8("a\033[2Jb\177\\\n"),
	    "a\\033[2Jb\\177\\\\\\n");
	/* C1 (U+009B CSI), bidi override and isolate: escaped bytes */
	assert_string_equal(vis8("x\302\233y"), "x\\302\\233y");
	assert_string_equal(vis8("evil\342\200\256txt"),
	    "evil\\342\\200\\256txt");
	assert_string_equal(vis8("\342\201\246\342\201\251"),
	    "\\342\\201\\246\\342\\201\\251");
	/* not printable (wcwidth < 0): line separator, unassigned */
	assert_string_equal(vis8("\342\200\250"), "\\342\\200\\250");
	/* invalid: overlong, surrogate, truncated, stray continuation */
	assert_string_equal(vis8("\300\257"), "\\300\\257");
	assert_string_equal(vis8("\355\240\200"), "\\355\\240\\200");
	assert_string_equal(vis8("\303"), "\\303");
	assert_string_equal(vis8("\274\303\274"), "\\274\303\274");
	/* a NUL before a digit keeps its three-digit form */
	n = hdb_visx(buf, sizeof(buf), "\303\274\0" "1", 4, 1);
	assert_string_equal(buf, "\303\274\\0001");
	assert_int_equal(n, strlen(buf));
	/* the C mode is unchanged by the locale */
	hdb_visx(buf, sizeof(buf), "\303\274", 2, 0);
	assert_string_equal(buf, "\\303\\274");
	/* the printed form reads back as the same bytes */
	assert_int_equal(hdb_unvis("j\\303\\274r\\\\g\\n\\0", &u, &n), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(u, "j\303\274r\\g\n\0", 8);
	free(u);
	assert_int_equal(hdb_unvis("bad\\Mx", &u, &n), -1);
	setlocale(LC_CTYPE, "C");
}

static void
test_fmt(void **state)
{
	char b[HDB_TIMEBUF];

	assert_string_equal(hdb_fmt_exim(b, sizeof(b), 1795722966, 1),
	    "26-Nov-2026 19:56:06");
	assert_string_equal(hdb_fmt_iso(b, sizeof(b), 1795722966, 1),
	    "2026-11-26T19:56:06Z");
	assert_string_equal(hdb_fmt_exim(b, sizeof(b), 0, 1),
	    "01-Jan-1970 00:00:00");
	assert_string_equal(hdb_fmt_age(b, sizeof(b), 0), "0s");
	assert_string_equal(hdb_fmt_age(b, sizeof(b), 273600), "3d4h");
	assert_string_equal(hdb_fmt_age(b, sizeof(b), 3601), "1h");
	assert_string_equal(hdb_fmt_age(b, sizeof(b), 3661), "1h1m");
	assert_string_equal(hdb_fmt_age(b, sizeof(b), -90), "-1m30s");
	/* years read naturally: 3644d13h is about ten years */
	assert_string_equal(hdb_fmt_age(b, sizeof(b), 3644 * 86400LL +
	    13 * 3600), "10y");
	assert_string_equal(hdb_fmt_age(b, sizeof(b), 395 * 86400LL + 7),
	    "1y30d");
	assert_string_equal(hdb_fmt_age(b, sizeof(b), 365 * 86400LL), "1y");
	assert_string_equal(hdb_fmt_age(b, sizeof(b), 364 * 86400LL +
	    3600), "364d1h");
	assert_string_equal(hdb_fmt_age(b, sizeof(b), -800 * 86400LL),
	    "-2y");
	assert_string_equal(hdb_fmt_age(b, sizeof(b), INT64_MIN + 1),
	    "-292471208678y");
	/* out-of-range times print as @epoch, never garbage */
	assert_string_equal(hdb_fmt_exim(b, sizeof(b), INT64_MAX, 1),
	    "@9223372036854775807");
}

static void
test_parse(void **state)
{
	int64_t t;

	assert_int_equal(hdb_parse_time("1795722966", &t), 0);
	assert_int_equal(t, 1795722966);
	assert_int_equal(hdb_parse_time("@1795722966", &t), 0);
	assert_int_equal(t, 1795722966);
	assert_int_equal(hdb_parse_time("2026-11-26T19:56:06Z", &t), 0);
	assert_int_equal(t, 1795722966);
	assert_int_equal(hdb_parse_time("2026-11-26T20:56:06+01:00", &t), 0);
	assert_int_equal(t, 1795722966);
	assert_int_equal(hdb_parse_time("2026-11-26T19:56Z", &t), 0);
	assert_int_equal(t, 1795722960);
	assert_int_equal(hdb_parse_time("2026-13-26", &t), -1);
	assert_int_equal(hdb_parse_time("yesterday", &t), -1);
	assert_int_equal(hdb_parse_time("12x", &t), -1);
	assert_int_equal(hdb_parse_time("", &t), -1);
}

static void
test_base64(void **state)
{
	static const uint8_t raw[] = { 0, 1, 2, 0xfe, 0xff };
	uint8_t *back;
	size_t n;
	char *s;

	s = hdb_base64(raw, sizeof(raw));
	assert_string_equal(s, "AAEC/v8=");
	back = hdb_unbase64(s, strlen(s), &n);
	assert_non_null(back);
	assert_int_equal(n, sizeof(raw));
	assert_memory_equal(back, raw, n);
	free(back);
	free(s);
	assert_null(hdb_unbase64("abc", 3, &n));
	assert_null(hdb_unbase64("a*c=", 4, &n));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vis),
		cmocka_unit_test(test_vis_utf8),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_base64),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
