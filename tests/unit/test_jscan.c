/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_jscan.c - the quick look at an import line (lib/jscan.c): it finds
 * the members export writes, and it never accepts a line that jansson
 * would refuse or read differently; everything else it leaves to jansson.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "jscan.h"

static int
scan(const char *s, size_t n, struct jscan_want *w)
{
	w[0].name = "key";
	w[1].name = "key_b64";
	w[2].name = "raw";
	return jscan_members(s, n, w, 3);
}

/* jscan answers 1 only where jansson reads the same strings. */
static void
agrees(const char *s, size_t n)
{
	struct jscan_want w[3];
	json_t *o, *v;

	if (!scan(s, n, w))
		return;
	o = json_loadb(s, n, JSON_DISABLE_EOF_CHECK, NULL);
	if (o == NULL || !json_is_object(o))
		fail_msg("jscan took what jansson refuses: %.*s", (int)n, s);
	for (int i = 0; i < 3; i++) {
		v = json_object_get(o, w[i].name);
		if (w[i].val == NULL) {
			assert_null(v);
			continue;
		}
		assert_true(json_is_string(v));
		assert_int_equal(json_string_length(v), w[i].len);
		assert_memory_equal(json_string_value(v), w[i].val, w[i].len);
	}
	json_decref(o);
}

static void
test_export_line(void **state)
{
	const char *l = "{\"db\":\"retry\",\"key\":\"R:a.example\","
	    "\"time_stamp\":-17,\"expired\":false,\"dest\":{\"host\":"
	    "\"a\\u00e9\\n\",\"ips\":[1,null,true,[]]},\"text\":\"x\\\"y\","
	    "\"raw\":\"AAEC\"}";
	struct jscan_want w[3];

	(void)state;
	assert_int_equal(scan(l, strlen(l), w), 1);
	assert_int_equal(w[0].len, 11);
	assert_memory_equal(w[0].val, "R:a.example", 11);
	assert_null(w[1].val);
	assert_int_equal(w[2].len, 4);
	assert_memory_equal(w[2].val, "AAEC", 4);
	agrees(l, strlen(l));
	/* what follows the object is not looked at, as with jansson */
	assert_int_equal(scan("{\"raw\":\"\"} junk", 15, w), 1);
	assert_int_equal(scan(" {} ", 4, w), 1);
	assert_null(w[0].val);
}

static void
test_left_to_jansson(void **state)
{
	static const char *const no[] = {
		"", "[]", "\"s\"", "{", "{\"key\"}", "{\"key\":}",
		"{\"key\":\"a\",}", "{\"a\":1 \"b\":2}", "{\"a\":01}",
		"{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":-}",
		"{\"a\":1234567890123456789}", "{\"a\":tru}", "{\"a\":nul}",
		"{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12\"}", "{\"a\":\"\xc3\xa9\"}", "{\"a\":\"\x01\"}",
		"{\"a\":[1,]}", "{\"a\":[1}", "{\"a\":{\"b\":1]}",
		/* the members wanted: strings without escapes, once */
		"{\"key\":1}", "{\"key\":\"a\\nb\"}", "{\"raw\":\"a\",\"raw\":\"b\"}",
		"{\"k\\u0065y\":\"a\"}",
		"{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}",
	};
	struct jscan_want w[3];

	(void)state;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (scan(no[i], strlen(no[i]), w) != 0)
			fail_msg("jscan took: %s", no[i]);
	}
	/* a NUL byte in the line */
	assert_int_equal(scan("{\"a\":\"x\0y\"}", 11, w), 0);
	assert_int_equal(scan("{\"a\":1\0}", 8, w), 0);
}

/* Every prefix and every one-byte change of a line: never disagrees. */
static void
test_mutations(void **state)
{
	const char *l = "{\"key\":\"R:x\",\"n\":-10,\"b\":[true,false,null,"
	    "{\"c\":\"\\/\\t\\u00ff\"}],\"raw\":\"AQ==\"}";
	static const char alphabet[] = "{}[]:,\"\\ -0123456789eE.tfnu ";
	size_t n = strlen(l);
	char buf[256];

	(void)state;
	for (size_t i = 0; i <= n; i++)
		agrees(l, i);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < sizeof(alphabet) - 1; j++) {
			memcpy(buf, l, n);
			buf[i] = alphabet[j];
			agrees(buf, n);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_line),
		cmocka_unit_test(test_left_to_jansson),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
