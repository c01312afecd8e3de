#!/bin/sh
# t4200-fix.sh - hintsdb fix: the exim_fixdb command language, quoted keys,
# refused edits that change nothing, decoded tls and misc, exit statuses.
. "$(dirname "$0")/lib.sh"

# Debian's python3, not a slow shim in front of it
PY=$(command -v /usr/bin/python3 || command -v python3)

NOW=2026-11-27T02:00:00Z

sample() { rm -rf sp && copy_spool sp; }
# state DB: the decoded records, to see that nothing changed
state() { "$HINTSDB" dump --format=json --now=$NOW sp "$1"; }
fix() { printf "$1" | "$HINTSDB" fix --now=$NOW sp "$2"; }

run_test "usage errors exit 64, --help exits 0" '
	expect_code 64 "$HINTSDB" fix 2>err && grep -q "^usage: hintsdb fix" err &&
	expect_code 64 "$HINTSDB" fix "$SPOOL_EX" 2>err &&
	expect_code 64 "$HINTSDB" fix "$SPOOL_EX" retry extra 2>err &&
	expect_code 64 "$HINTSDB" fix "$SPOOL_EX" bogus 2>err &&
	expect_code 64 "$HINTSDB" fix --bogus "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" fix --now=x "$SPOOL_EX" retry 2>err &&
	expect_code 0 "$HINTSDB" fix --help >out &&
	grep -q "^usage: hintsdb fix \[-z\]" out
'
run_test "a missing DB exits 66" '
	mkdir -p e/db && expect_code 66 "$HINTSDB" fix e retry </dev/null 2>err &&
	grep -q "no such database" err
'
run_test "show a retry record with field numbers; q quits; exit 0" '
	sample &&
	printf "R:defer.example\nq\n" | expect_code 0 "$HINTSDB" fix -z sp retry \
	    >out && [ "$(wc -l <out)" = 7 ] &&
	grep -q "^27-Nov-2026 01:54:05$" out &&
	grep -q "^0 error number: -1 routing held for the test$" out &&
	grep -q "^1 extra data:   0$" out &&
	grep -q "^2 first failed: 27-Nov-2026 01:54:05$" out &&
	grep -q "^4 next try:     27-Nov-2026 02:09:05$" out &&
	grep -q "^5 expired:      no$" out && ! grep -q "^> " out
'
run_test "edit fields, reusing the key; the record is rewritten at now" '
	sample && TZ=UTC fix "R:defer.example\n0 -44\n1 77\n2 2612312359\n5 yes\n" \
	    retry >out &&
	grep -q "^0 error number: -44 routing held" out &&
	grep -q "^1 extra data:   77$" out &&
	grep -q "^2 first failed: 31-Dec-2026 23:59:00$" out &&
	grep -q "^5 expired:      yes$" out &&
	grep -q "^27-Nov-2026 02:00:00$" out &&
	state retry | grep -q "\"key\":\"R:defer.example\".*\"expired\":true"
'
run_test "time input: colons, fewer fields default to today" '
	sample && TZ=UTC fix "R:defer.example 4 26:12:31:10:00\n3 1230\n" retry \
	    >out &&
	grep -q "^4 next try:     31-Dec-2026 10:00:00$" out &&
	grep -q "^3 last try:     27-Nov-2026 12:30:00$" out
'
run_test "refused edits change nothing (Exim rewrote the record)" '
	sample && state retry >before &&
	fix "R:defer.example 0 abc\n2 notatime\n5 maybe\n9 1\n0\nR:defer.example x 1\n" \
	    retry >out;
	[ $? = 1 ] && grep -q "^bad integer value$" out &&
	grep -q "^bad time value$" out &&
	grep -q "\"yes\" or \"no\" expected=n" out &&
	grep -q "^unknown field number$" out && grep -q "^value missing$" out &&
	grep -q "^field number or d expected$" out &&
	state retry >after && cmp before after &&
	state wait-remote_smtp >before &&
	fix "127.0.0.1 1 x\n" wait-remote_smtp >out; [ $? = 1 ] &&
	grep -q "^Can.t change contents of wait database record$" out &&
	state wait-remote_smtp >after && cmp before after
'
run_test "not found, no previous key, delete, delete again" '
	sample && fix "nosuch\nd\n1 2\n" retry >out; [ $? = 1 ] &&
	grep -q "^record .nosuch. not found$" out &&
	[ "$(grep -c "^No previous record name is set$" out)" = 2 ] &&
	fix "R:defer.example d\nR:defer.example d\nR:defer.example\n" retry >out;
	[ $? = 2 ] && [ "$(sed -n 1p out)" = deleted ] &&
	[ "$(sed -n 2p out)" = "not found" ] &&
	grep -q "^record .R:defer.example. not found$" out &&
	fix "R:later1@test.example:<alice@client.example> d extra\n" retry >out;
	[ $? = 1 ] && grep -q "^unexpected value after \"d\"$" out
'
run_test "quoted keys: spaces and control bytes via escapes" '
	sample &&
	"$HELPER" put "$PWD/sp/db/seen" bdb "$(hexkey "$(printf "a b\tc")")" \
	    "$(printf "%016x" 0 | sed "s/^.*$/bbf1086b00000000/")" &&
	fix "\"a b\\\\tc\"\nq\n" seen >out && grep -q "^27-Nov-2026" out &&
	fix "\"a b\\\\x09c\" d\n" seen >out && grep -q "^deleted$" out &&
	"$HINTSDB" dump -k sp seen >k && ! grep -q "^a b" k &&
	fix "\"unterminated\n" seen >out; [ $? = 1 ] &&
	grep -q "unterminated quote" out &&
	fix "a b c d e\n" seen >out; [ $? = 1 ] && grep -q "too many words" out
'
run_test "a key that begins with a digit is a key, not a field" '
	sample && fix "127.0.0.1\n" seen >out && [ "$(wc -l <out)" = 1 ] &&
	grep -q "^27-Nov-2026 01:54:04$" out
'
run_test "seen: any field refreshes the time" '
	sample && fix "127.0.0.1 0 x\n" seen >out &&
	grep -q "^27-Nov-2026 02:00:00$" out
'
run_test "callout: address records have field 0 only, domains 0-2" '
	sample && state callout >before &&
	fix "alice@client.example 1 2\n" callout >out; [ $? = 1 ] &&
	grep -q "^unknown field number$" out && state callout >after &&
	cmp before after &&
	fix "alice@client.example 0 2\nverify.example 2 1\n" callout >out &&
	grep -q "^0 callout:    reject (2)$" out &&
	grep -q "^2 random:     accept (1)$" out &&
	grep -q "^1 postmaster: accept (1)$" out
'
run_test "ratelimit: rate, and the Bloom filter test and add" '
	sample && k="1h/per_rcpt/unique/bob@client.example" &&
	fix "$k\n2 2.5\n4 someone\n5 someone\n4 someone\n" ratelimit >out &&
	grep -q "^2 sender rate:  2.500$" out &&
	grep -q "^unseen someone$" out && grep -q "^added someone$" out &&
	grep -q "^seen someone$" out && grep -q "^5 add element to filter$" out &&
	fix "$k 2 fast\n" ratelimit >out; [ $? = 1 ] &&
	grep -q "^bad number value$" out
'
run_test "tls and misc records are shown decoded; tls cannot be edited" '
	sample && k=$("$HINTSDB" dump -k sp tls | head -n 1) &&
	fix "$k\n$k 1 x\n" tls >out; [ $? = 1 ] &&
	grep -q "^0 time stamp:  27-Nov-2026 01:54:0" out &&
	grep -q "library: gnutls" out &&
	grep -q "^Can.t change contents of tls database record$" out &&
	no_ctl out &&
	fix "127.0.0.1:2525.EHLO\n" misc >out && grep -q "kind: ehlo" out &&
	grep -q "PIPELINING" out
'
run_test "wait records list their IDs" '
	sample && fix "127.0.0.1\n" wait-remote_smtp >out &&
	grep -q "^Sequence: 0$" out &&
	grep -q "^1xWlA6-0004Fj-06 1xWlA6-0004Fo-0I 1xWlA6-0004Ft-0U 1xWlA6-0004Fy-0j $" out
'
run_test "-z shows UTC; without it local time" '
	sample &&
	printf "127.0.0.1\n" | TZ=Asia/Tokyo "$HINTSDB" fix sp seen >out &&
	grep -q "^27-Nov-2026 10:54:04$" out &&
	printf "127.0.0.1\n" | TZ=Asia/Tokyo "$HINTSDB" fix -z sp seen >out &&
	grep -q "^27-Nov-2026 01:54:04$" out
'
run_test "a held lock: the command fails with 75, the next works" '
	sample && exim_hold sp/db/seen.lockfile &&
	printf "127.0.0.1\n" | expect_code 75 "$HINTSDB" fix --lock-timeout=200ms \
	    sp seen >out 2>err;
	st=$?; exim_release; [ $st = 0 ] &&
	grep -q "cannot read-lock" err &&
	printf "127.0.0.1\n" | expect_code 0 "$HINTSDB" fix sp seen >out
'
run_test "afterwards the real exim_dumpdb reads the DB" '
	sample && fix "R:defer.example 1 5\nT:127.0.0.1:127.0.0.1:2599 d\n" retry \
	    >out &&
	exim_run exim_dumpdb "$PWD/sp" retry >d &&
	grep -q "^  R:defer.example -1 5 routing held" d && ! grep -q 2599 d
'
test_done
