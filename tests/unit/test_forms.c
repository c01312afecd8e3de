/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_forms.c - who reads what (tools/forms.c): which keys and records
 * each Exim release never reads, and the retry keys rewritten between the
 * forms before and from 4.98, IPv4 and IPv6, with and without a message ID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/forms.c"

static struct hdb_datum
key(const char *s)
{
	struct hdb_datum d = { (const uint8_t *)s, strlen(s) + 1 };

	return d;
}

static const struct hdb_datum none = { (const uint8_t *)"", 0 };

/* form_rewrite of s as text, or "" when it cannot be rewritten */
static const char *
rewrite(const char *s)
{
	static uint8_t out[512];
	enum form_id f = form_of(HDB_T_RETRY, key(s), none);
	size_t n = form_rewrite(f, key(s), out, sizeof(out));

	if (n == 0)
		return "";
	assert_int_equal(out[n - 1], '\0');
	assert_int_equal(strlen((char *)out), n - 1);
	return (const char *)out;
}

static void
retry_keys(void **state)
{
	(void)state;
	assert_int_equal(form_of(HDB_T_RETRY, key("T:127.0.0.1:127.0.0.1:25"),
	    none), FORM_RETRY_BARE);
	assert_int_equal(form_of(HDB_T_RETRY,
	    key("T:[127.0.0.1]:127.0.0.1:25"), none), FORM_RETRY_BRACKET);
	/* a host named by a name: the same in both */
	assert_int_equal(form_of(HDB_T_RETRY,
	    key("T:mx.example:192.0.2.1:25"), none), FORM_NONE);
	assert_int_equal(form_of(HDB_T_RETRY, key("R:defer.example"), none),
	    FORM_NONE);
	assert_int_equal(form_of(HDB_T_RETRY, key("T:mx.example:2001:db8::1"),
	    none), FORM_RETRY_BARE);
	assert_int_equal(form_of(HDB_T_RETRY,
	    key("T:mx.example:[2001:db8::1]:25"), none), FORM_RETRY_BRACKET);

	assert_string_equal(rewrite("T:127.0.0.1:127.0.0.1:2525"),
	    "T:[127.0.0.1]:127.0.0.1:2525");
	assert_string_equal(rewrite("T:127.0.0.1:127.0.0.1:2525:1xWlA5-0004Fd-31"),
	    "T:[127.0.0.1]:127.0.0.1:2525:1xWlA5-0004Fd-31");
	assert_string_equal(rewrite("T:[127.0.0.1]:127.0.0.1:2599"),
	    "T:127.0.0.1:127.0.0.1:2599");
	assert_string_equal(rewrite("T:[::1]:[::1]:25"), "T:::1:::1:25");
	assert_string_equal(rewrite("T:mx.example:[2001:db8::1]:25"),
	    "T:mx.example:2001:db8::1:25");
	/* an unbracketed IPv6 address: its port cannot be told */
	assert_string_equal(rewrite("T:mx.example:2001:db8::1:25"), "");
	assert_string_equal(rewrite("T:::1:::1:25"), "");
}

static void
who_reads(void **state)
{
	(void)state;
	assert_true(form_read_by(FORM_RETRY_BARE, EXIM_V(4, 97, 1)));
	assert_false(form_read_by(FORM_RETRY_BARE, EXIM_V(4, 98, 0)));
	assert_true(form_read_by(FORM_RETRY_BRACKET, EXIM_V(4, 100, 1)));
	assert_false(form_read_by(FORM_RETRY_BRACKET, EXIM_V(4, 96, 0)));
	assert_true(form_read_by(FORM_WAIT_16, EXIM_V(4, 94, 2)));
	assert_false(form_read_by(FORM_WAIT_16, EXIM_V(4, 97, 0)));
	assert_false(form_read_by(FORM_WAIT_23, EXIM_V(4, 96, 0)));
	assert_true(form_read_by(FORM_TLS_IP, EXIM_V(4, 95, 0)));
	assert_false(form_read_by(FORM_TLS_IP, EXIM_V(4, 96, 0)));
	assert_false(form_read_by(FORM_TLS_HASH, EXIM_V(4, 95, 0)));
	assert_true(form_read_by(FORM_NONE, EXIM_V(4, 94, 2)));
	assert_true(form_read_by(FORM_TLS_IP, 0));	/* unknown version */

	assert_int_equal(form_of(HDB_T_TLS, key("127.0.0.2"), none),
	    FORM_TLS_IP);
	assert_int_equal(form_of(HDB_T_TLS, key("2001:db8::1"), none),
	    FORM_TLS_IP);
	assert_int_equal(form_of(HDB_T_TLS, key("2a28dd1cf70fe541d0955e2c85f7"
	    "a828a5fc32fd772eef2fc7fab6911c035588"), none), FORM_TLS_HASH);
	assert_int_equal(form_of(HDB_T_TLS, key("mx.example"), none),
	    FORM_NONE);
	assert_int_equal(form_of(HDB_T_MISC, key("etrn-test.example\n"), none),
	    FORM_ETRN_ARG);
	assert_int_equal(form_of(HDB_T_MISC,
	    key("etrn-0123456789abcdef0123456789abcdef"), none), FORM_ETRN_MD5);
	assert_int_equal(form_of(HDB_T_MISC, key("etrn-test.example"), none),
	    FORM_NONE);
	assert_int_equal(form_of(HDB_T_MISC, key("host-serialize-127.0.0.1"),
	    none), FORM_NONE);
	assert_false(form_read_by(FORM_ETRN_ARG, EXIM_V(4, 98, 2)));
	assert_false(form_read_by(FORM_ETRN_MD5, EXIM_V(4, 97, 1)));
	assert_int_equal(form_rewrite(FORM_TLS_IP, key("127.0.0.2"),
	    (uint8_t[64]){ 0 }, 64), 0);
}

static void
wait_ids(void **state)
{
	uint8_t v[8 + 8 + 2 * 23 + 8];
	struct hdb_datum val = { v, 0 };

	(void)state;
	memset(v, 0, sizeof(v));
	memcpy(v, "\xbd\xe2\x08\x6b", 4);	/* time stamp, Nov 2026 */
	v[8] = 2;				/* count 2, sequence 0 */
	memcpy(v + 16, "1xWlA6-0004Fj-061xWlA6-0004Fo-0I", 32);
	val.len = 8 + 8 + 2 * 16 + 8;
	assert_int_equal(form_of(HDB_T_WAIT, key("127.0.0.1"), val),
	    FORM_WAIT_16);
	memcpy(v + 16, "1xWlA6-00000004Fj0-0Abc1xWlA6-00000004Fo0-0Abd", 46);
	val.len = 8 + 8 + 2 * 23 + 8;
	assert_int_equal(form_of(HDB_T_WAIT, key("127.0.0.1"), val),
	    FORM_WAIT_23);
	v[8] = 0;				/* no IDs: read by all */
	val.len = 8 + 8 + 8;
	assert_int_equal(form_of(HDB_T_WAIT, key("127.0.0.1"), val),
	    FORM_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(retry_keys),
		cmocka_unit_test(who_reads),
		cmocka_unit_test(wait_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
