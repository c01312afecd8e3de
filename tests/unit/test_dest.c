/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_dest.c - every key form of formats doc §3.1-§3.7 and §9.1 parsed
 * into its destination parts (lib/rec/dest.c), with the keys of the
 * sample spools and real Exims; and the keys that must get no parts:
 * unknown forms, ambiguous IPv6, control bytes, bad UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jout.h"
#include "obuf.h"
#include "rec/dest.h"

static struct hdb_dest d;
static char keybuf[512];

/* Parse key (text, Exim's NUL added) from a DB of type t named db. */
static enum hdb_dest_kind
parse(enum hdb_dbtype t, const char *db, const char *key)
{
	size_t n = strlen(key);

	assert_true(n < sizeof(keybuf));
	memcpy(keybuf, key, n + 1);
	return hdb_dest_parse(t, db, (const uint8_t *)keybuf, n + 1, &d);
}

/* span equals want (NULL: absent) */
static void
is(struct hdb_span s, const char *want, const char *what)
{
	if (want == NULL) {
		if (s.p != NULL)
			fail_msg("%s: wanted absent, got '%.*s'", what,
			    (int)s.len, s.p);
		return;
	}
	if (s.p == NULL)
		fail_msg("%s: wanted '%s', got absent", what, want);
	if (!hdb_span_eq(s, want, strlen(want)))
		fail_msg("%s: wanted '%s', got '%.*s'", what, want,
		    (int)s.len, s.p);
}

static void
host(const char *h, const char *ip, int port)
{
	is(d.host, h, "host");
	is(d.ip, ip, "ip");
	assert_int_equal(d.port, port);
}

static void
nothing(void)
{
	assert_int_equal(d.kind, HDB_DEST_NONE);
	is(d.host, NULL, "host");
	is(d.ip, NULL, "ip");
	is(d.domain, NULL, "domain");
	is(d.address, NULL, "address");
	is(d.msgid, NULL, "msgid");
	assert_int_equal(d.port, -1);
	assert_int_equal(d.cont, -1);
}

static void
test_retry_hosts(void **state)
{
	(void)state;
	/* 4.96: a host that is an IP, with a port */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:127.0.0.1:127.0.0.1:2599"), HDB_DEST_HOST);
	host("127.0.0.1", "127.0.0.1", 2599);
	/* 4.98+: the same host in brackets */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:[127.0.0.1]:127.0.0.1:2717"), HDB_DEST_HOST);
	host("127.0.0.1", "127.0.0.1", 2717);
	/* a named host on port 25: Exim leaves the port out */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:mx.example.com:192.0.2.1"), HDB_DEST_HOST);
	host("mx.example.com", "192.0.2.1", 25);
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:MX.Example.COM:192.0.2.1:587"), HDB_DEST_HOST);
	host("MX.Example.COM", "192.0.2.1", 587);
	assert_true(hdb_span_eqi(d.host, "mx.example.com", 14));
	assert_false(hdb_span_eq(d.host, "mx.example.com", 14));
	/* retry_include_ip_address false: T:host and T:host:port */
	assert_int_equal(parse(HDB_T_RETRY, "retry", "T:mx.example.com"),
	    HDB_DEST_HOST);
	host("mx.example.com", NULL, 25);
	assert_int_equal(parse(HDB_T_RETRY, "retry", "T:mx.example.com:2525"),
	    HDB_DEST_HOST);
	host("mx.example.com", NULL, 2525);
	/* an interface */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:mx.example.com:192.0.2.1:2525/198.51.100.7"), HDB_DEST_HOST);
	host("mx.example.com", "192.0.2.1", 2525);
	is(d.iface, "198.51.100.7", "interface");
	is(d.domain, NULL, "domain");
}

static void
test_retry_ipv6(void **state)
{
	(void)state;
	/* 4.98+: bracketed host, then the address */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:[2001:db8::1]:2001:db8::1:2525"), HDB_DEST_HOST);
	host("2001:db8::1", "2001:db8::1", 2525);
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:[::1]:::1"), HDB_DEST_HOST);
	host("::1", "::1", 25);
	/* before 4.98: no brackets; the repeat tells where the host ends */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:2001:db8::1:2001:db8::1:2525"), HDB_DEST_HOST);
	host("2001:db8::1", "2001:db8::1", 2525);
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:2001:db8::25:2001:db8::25"), HDB_DEST_HOST);
	host("2001:db8::25", "2001:db8::25", 25);
	/* a named host and an IPv6 address alone */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:mx.example.com:2001:db8::a"), HDB_DEST_HOST);
	host("mx.example.com", "2001:db8::a", 25);
	/* bracketed address with a port */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:mx.example.com:[2001:db8::1]:2525"), HDB_DEST_HOST);
	host("mx.example.com", "2001:db8::1", 2525);
	/* ambiguous: ::1:2525 may be an address or ::1 and a port */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:mx.example.com:2001:db8::1:2525"), HDB_DEST_HOST);
	host("mx.example.com", NULL, -1);
}

static void
test_retry_messages(void **state)
{
	(void)state;
	/* 16-character ID (4.94-4.96), from the sample spool */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:127.0.0.1:127.0.0.1:2525:1xWlA5-0004Fd-31"),
	    HDB_DEST_HOST_MSG);
	host("127.0.0.1", "127.0.0.1", 2525);
	is(d.msgid, "1xWlA5-0004Fd-31", "msgid");
	/* 23-character ID (4.97+), port 25 left out */
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:mx.example.com:192.0.2.1:1wXyZa-000000000Ab-1234"),
	    HDB_DEST_HOST_MSG);
	host("mx.example.com", "192.0.2.1", 25);
	is(d.msgid, "1wXyZa-000000000Ab-1234", "msgid");
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:[2001:db8::1]:2001:db8::1:2525:1wXyZa-000000000Ab-1234"),
	    HDB_DEST_HOST_MSG);
	host("2001:db8::1", "2001:db8::1", 2525);
	is(d.msgid, "1wXyZa-000000000Ab-1234", "msgid");
}

static void
test_retry_local_and_routing(void **state)
{
	(void)state;
	assert_int_equal(parse(HDB_T_RETRY, "retry", "T:bob@example.org"),
	    HDB_DEST_LOCAL);
	is(d.address, "bob@example.org", "address");
	is(d.local_part, "bob", "local");
	is(d.domain, "example.org", "domain");
	is(d.host, NULL, "host");
	assert_int_equal(d.port, -1);
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "T:|/usr/bin/procmail:bob@example.org"), HDB_DEST_LOCAL);
	is(d.address, "bob@example.org", "address");
	assert_int_equal(parse(HDB_T_RETRY, "retry", "R:defer.example"),
	    HDB_DEST_ROUTE);
	is(d.domain, "defer.example", "domain");
	is(d.address, NULL, "address");
	assert_int_equal(parse(HDB_T_RETRY, "retry", "R:bob@example.org"),
	    HDB_DEST_ROUTE_ADDR);
	is(d.address, "bob@example.org", "address");
	is(d.sender, NULL, "sender");
	assert_int_equal(parse(HDB_T_RETRY, "retry",
	    "R:later1@test.example:<alice@client.example>"),
	    HDB_DEST_ROUTE_ADDR);
	is(d.address, "later1@test.example", "address");
	is(d.local_part, "later1", "local");
	is(d.domain, "test.example", "domain");
	is(d.sender, "alice@client.example", "sender");
	assert_int_equal(parse(HDB_T_RETRY, "retry", "R:x@test.example:<>"),
	    HDB_DEST_ROUTE_ADDR);
	is(d.sender, "", "sender");
}

static void
test_wait(void **state)
{
	(void)state;
	assert_int_equal(parse(HDB_T_WAIT, "wait-remote_smtp", "127.0.0.1"),
	    HDB_DEST_WAIT);
	host("127.0.0.1", "127.0.0.1", -1);
	is(d.transport, "remote_smtp", "transport");
	assert_int_equal(d.cont, -1);
	assert_int_equal(parse(HDB_T_WAIT, "wait-remote_smtp",
	    "mx.example.com:3"), HDB_DEST_WAIT);
	host("mx.example.com", NULL, -1);
	assert_int_equal(d.cont, 3);
	assert_int_equal(parse(HDB_T_WAIT, "wait-smtp", "2001:db8::1"),
	    HDB_DEST_WAIT);
	host("2001:db8::1", "2001:db8::1", -1);
	assert_int_equal(d.cont, -1);
	assert_int_equal(parse(HDB_T_WAIT, "wait-smtp", "[2001:db8::1]:0"),
	    HDB_DEST_WAIT);
	host("2001:db8::1", "2001:db8::1", -1);
	assert_int_equal(d.cont, 0);
	/* --file without a transport name */
	assert_int_equal(parse(HDB_T_WAIT, NULL, "mx.example.com"),
	    HDB_DEST_WAIT);
	is(d.transport, NULL, "transport");
	assert_int_equal(parse(HDB_T_WAIT, "wait-smtp", "mx:x1"),
	    HDB_DEST_NONE);
	nothing();
}

static void
test_misc(void **state)
{
	(void)state;
	assert_int_equal(parse(HDB_T_MISC, "misc", "127.0.0.1:2525.EHLO"),
	    HDB_DEST_EHLO);
	host(NULL, "127.0.0.1", 2525);
	assert_int_equal(parse(HDB_T_MISC, "misc", "[2001:db8::1]:25.EHLO"),
	    HDB_DEST_EHLO);
	host(NULL, "2001:db8::1", 25);
	assert_int_equal(parse(HDB_T_MISC, "misc", "127.0.0.1.EHLO"),
	    HDB_DEST_NONE);
	assert_int_equal(parse(HDB_T_MISC, "misc", "2001:db8::1:25.EHLO"),
	    HDB_DEST_NONE);
	assert_int_equal(parse(HDB_T_MISC, "misc",
	    "host-serialize-127.0.0.1"), HDB_DEST_HOST_SERIALIZE);
	host("127.0.0.1", "127.0.0.1", -1);
	assert_int_equal(parse(HDB_T_MISC, "misc",
	    "host-serialize-mx.example.com"), HDB_DEST_HOST_SERIALIZE);
	host("mx.example.com", NULL, -1);
	assert_int_equal(parse(HDB_T_MISC, "misc",
	    "tpt-serialize-remote_smtp"), HDB_DEST_TPT_SERIALIZE);
	is(d.transport, "remote_smtp", "transport");
	/* 4.94-4.98.0: the argument and a newline */
	assert_int_equal(parse(HDB_T_MISC, "misc", "etrn-test.example\n"),
	    HDB_DEST_ETRN);
	is(d.etrn, "test.example", "etrn");
	is(d.domain, "test.example", "domain");
	assert_int_equal(d.etrn_md5, 0);
	assert_int_equal(parse(HDB_T_MISC, "misc", "etrn-#queue1\n"),
	    HDB_DEST_ETRN);
	is(d.etrn, "#queue1", "etrn");
	is(d.domain, NULL, "domain");
	/* 4.98.1+: the MD5 of the argument */
	assert_int_equal(parse(HDB_T_MISC, "misc",
	    "etrn-6d7fce9fee471194aa8b5b6e47267f03"), HDB_DEST_ETRN);
	is(d.etrn, "6d7fce9fee471194aa8b5b6e47267f03", "etrn");
	assert_int_equal(d.etrn_md5, 1);
	assert_int_equal(parse(HDB_T_MISC, "misc", "etrn-test.example"),
	    HDB_DEST_NONE);
	assert_int_equal(parse(HDB_T_MISC, "misc", "something-else"),
	    HDB_DEST_NONE);
	nothing();
}

static void
test_callout(void **state)
{
	(void)state;
	assert_int_equal(parse(HDB_T_CALLOUT, "callout", "test.example"),
	    HDB_DEST_CALLOUT_DOMAIN);
	is(d.domain, "test.example", "domain");
	is(d.address, NULL, "address");
	assert_int_equal(parse(HDB_T_CALLOUT, "callout", "ok3@verify.example"),
	    HDB_DEST_CALLOUT_ADDR);
	is(d.address, "ok3@verify.example", "address");
	is(d.domain, "verify.example", "domain");
	is(d.sender, NULL, "sender");
	assert_int_equal(parse(HDB_T_CALLOUT, "callout",
	    "ok1@test.example/<bob@client.example>"), HDB_DEST_CALLOUT_ADDR);
	is(d.address, "ok1@test.example", "address");
	is(d.local_part, "ok1", "local");
	is(d.sender, "bob@client.example", "sender");
}

static void
test_ratelimit_seen_tls(void **state)
{
	(void)state;
	assert_int_equal(parse(HDB_T_RATELIMIT, "ratelimit",
	    "1h/per_rcpt/bob@client.example"), HDB_DEST_RATELIMIT);
	is(d.address, "bob@client.example", "address");
	is(d.domain, "client.example", "domain");
	assert_int_equal(parse(HDB_T_RATELIMIT, "ratelimit",
	    "1h/per_rcpt/unique/rcpt-bob@client.example"),
	    HDB_DEST_RATELIMIT);
	is(d.address, "rcpt-bob@client.example", "address");
	assert_int_equal(parse(HDB_T_RATELIMIT, "ratelimit",
	    "1d/per_conn/192.0.2.9"), HDB_DEST_RATELIMIT);
	is(d.ip, "192.0.2.9", "ip");
	assert_int_equal(parse(HDB_T_RATELIMIT, "ratelimit",
	    "1d/per_conn/"), HDB_DEST_NONE);
	assert_int_equal(parse(HDB_T_RATELIMIT, "ratelimit",
	    "1d/per_mail/some-user-key"), HDB_DEST_NONE);
	assert_int_equal(parse(HDB_T_RATELIMIT, "ratelimit",
	    "bob@client.example"), HDB_DEST_NONE);
	assert_int_equal(parse(HDB_T_SEEN, "seen", "127.0.0.1"),
	    HDB_DEST_SEEN);
	is(d.ip, "127.0.0.1", "ip");
	assert_int_equal(parse(HDB_T_SEEN, "seen", "alice@client.example"),
	    HDB_DEST_SEEN);
	is(d.address, "alice@client.example", "address");
	assert_int_equal(parse(HDB_T_SEEN, "seen", "anything"),
	    HDB_DEST_NONE);
	/* 4.95 keys sessions by IP; 4.96+ by a hash, which names nobody */
	assert_int_equal(parse(HDB_T_TLS, "tls", "192.0.2.1"),
	    HDB_DEST_TLS_IP);
	host("192.0.2.1", "192.0.2.1", -1);
	assert_int_equal(parse(HDB_T_TLS, "tls",
	    "2a28dd1cf70fe541d0955e2c85f7a828a5fc32fd772eef2fc7fab6911c035588"),
	    HDB_DEST_NONE);
	nothing();
}

static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		"T:", "R:", "X:foo", "T:mx\x1b[31m:192.0.2.1", "T:mx ex:1.2.3.4",
		"T:mx.example.com:192.0.2.1:99999", "T:mx.example.com:1.2.3",
		"T:[192.0.2.1:192.0.2.1", "T:[mx]:192.0.2.1",
		"T:mx.example.com:192.0.2.1/", "R:@example.org", "R:bob@",
		"R:a b@example.org", "T:\xc3(:1.2.3.4", "retry", "",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(HDB_T_RETRY, "retry", bad[i]) != HDB_DEST_NONE)
			fail_msg("'%s' parsed as %s", bad[i],
			    hdb_dest_kind_name(d.kind));
		nothing();
	}
	/* a key holding a NUL, or without Exim's NUL, is its bytes */
	assert_int_equal(hdb_dest_parse(HDB_T_RETRY, "retry",
	    (const uint8_t *)"R:a\0b", 6, &d), HDB_DEST_NONE);
	assert_int_equal(hdb_dest_parse(HDB_T_RETRY, "retry",
	    (const uint8_t *)"R:ab.example", 12, &d), HDB_DEST_ROUTE);
	is(d.domain, "ab.example", "domain");
	assert_int_equal(parse(HDB_T_UNKNOWN, NULL, "R:ab"), HDB_DEST_NONE);
}

static void
test_json(void **state)
{
	struct obuf b;
	struct jout j = { NULL, &b, 0 };

	(void)state;
	parse(HDB_T_RETRY, "retry",
	    "T:127.0.0.1:127.0.0.1:2525:1xWlA5-0004Fd-31");
	ob_init(&b);
	hdb_dest_json(&j, &d);
	ob_add(&b, "", 1);
	assert_string_equal(b.p, "\"dest\":\"retry_host_message\","
	    "\"host\":\"127.0.0.1\",\"ip\":\"127.0.0.1\",\"port\":2525,"
	    "\"message_id\":\"1xWlA5-0004Fd-31\"");
	if (b.p != b.room)
		free(b.p);
	/* nothing for a key of no known form */
	parse(HDB_T_RETRY, "retry", "Q:x");
	ob_init(&b);
	j.n = 0;
	hdb_dest_json(&j, &d);
	assert_int_equal(b.len, 0);
	if (b.p != b.room)
		free(b.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_hosts),
		cmocka_unit_test(test_retry_ipv6),
		cmocka_unit_test(test_retry_messages),
		cmocka_unit_test(test_retry_local_and_routing),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_misc),
		cmocka_unit_test(test_callout),
		cmocka_unit_test(test_ratelimit_seen_tls),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
