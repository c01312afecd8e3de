#!/bin/sh
# t2060-compat-versions.sh - the exim_* names speak as the utilities of the
# Exim that wrote the spool: 4.96 on a legacy Berkeley DB spool with
# lockfiles, 4.99.1 on a legacy tdb spool without any, 4.100.1 on a v2
# SQLite spool without any; --exim-version forces one.  The expected texts are those the real 4.96, 4.98.2 and
# 4.100.1 print (tests/interop checks them against the real binaries).
. "$(dirname "$0")/lib.sh"

DUMPDB=$(dirname "$HINTSDB")/exim_dumpdb
TIDYDB=$(dirname "$HINTSDB")/exim_tidydb
FIXDB=$(dirname "$HINTSDB")/exim_fixdb

# v2spool DIR: the sample spool's records in v2, in SQLite, no lockfiles
v2spool() {
	mkdir -p "$1/db" &&
	for db in retry misc callout ratelimit seen tls wait-remote_smtp; do
		"$HELPER" copy "$SPOOL_EX/db/$db" $db "$1/db/$db" sqlite v2 || return 1
	done
}

run_test "v2 SQLite spool: the links need and create no lockfile" '
	v2spool sp &&
	for db in retry misc callout ratelimit seen tls wait-remote_smtp; do
		expect_code 0 "$DUMPDB" sp $db >out 2>err || { cat out err; exit 1; }
		[ -s out ] || exit 1
	done &&
	printf "R:defer.example\n" | expect_code 0 "$FIXDB" sp retry >out &&
	grep -q "^0 error number: -1 routing held for the test$" out &&
	expect_code 0 "$TIDYDB" sp seen >out &&
	[ "$(tail -n 1 out)" = "Tidying complete" ] &&
	[ -z "$(find sp -name "*.lockfile")" ]
'
# tdbspool DIR: the sample spool's records in legacy tdb files, no
# lockfiles, and retry changed by TDB transactions: as Exim 4.99.1 with tdb
# leaves a spool (exim_lockfile_needed() is FALSE for tdb from 4.99)
tdbspool() {
	mkdir -p "$1/db" &&
	for db in retry misc callout ratelimit seen tls wait-remote_smtp; do
		"$HELPER" copy "$SPOOL_EX/db/$db" $db "$1/db/$db" tdb legacy ||
		    return 1
	done &&
	"$HELPER" writer "$PWD/$1/db/retry" 1 7 5 "$PWD/w.log" txn >/dev/null &&
	[ -s w.log ] && [ -z "$(find "$1" -name "*.lockfile")" ]
}

run_test "4.99 tdb spool: the links read, fix and tidy it, make no lockfile" '
	tdbspool sp &&
	for db in retry misc callout ratelimit seen tls wait-remote_smtp; do
		expect_code 0 "$DUMPDB" sp $db >out 2>err || { cat out err; exit 1; }
		[ -s out ] && [ ! -s err ] || exit 1
	done &&
	expect_code 0 "$DUMPDB" -z sp retry >out &&
	[ "$(grep -c "^  " out)" = "$("$HINTSDB" dump -k sp retry | wc -l)" ] &&
	grep -q "^  k[0-4] -44 0 w[0-9]*$" out &&
	printf "R:defer.example
k0 d
" | expect_code 0 "$FIXDB" sp retry >out &&
	grep -q "^0 error number: -1 routing held for the test$" out &&
	expect_code 0 "$TIDYDB" sp seen >out &&
	[ "$(tail -n 1 out)" = "Tidying complete" ] &&
	expect_code 0 "$TIDYDB" -t 1d sp retry >out &&
	[ "$(tail -n 1 out)" = "Tidying complete" ] &&
	[ -z "$(find sp -name "*.lockfile")" ]
'
run_test "4.99 tdb spool: every writing command makes no lockfile" '
	tdbspool sp && mkdir sp/input &&
	# as of the sample spool, so that tidy leaves R:defer.example on any date
	expect_code 0 "$HINTSDB" tidy --now=2026-11-27T02:00:00Z sp retry \
	    >/dev/null &&
	expect_code 0 "$HINTSDB" tidy --now=2026-11-27T02:00:00Z --all sp \
	    >/dev/null &&
	expect_code 0 "$HINTSDB" delete sp retry R:defer.example >/dev/null &&
	expect_code 0 "$HINTSDB" convert --in-place sp misc >/dev/null &&
	printf "R:later1@test.example:<alice@client.example> 1 4242\n" |
	    expect_code 0 "$HINTSDB" fix sp retry >/dev/null &&
	"$HINTSDB" export sp ratelimit >r.jsonl &&
	expect_code 0 "$HINTSDB" import sp ratelimit <r.jsonl >/dev/null &&
	expect_code 0 "$HINTSDB" dump --format=exim sp retry >out &&
	grep -q " 4242 " out &&
	[ "$(od -An -c -N3 sp/db/ratelimit | tr -d " ")" = TDB ] &&
	[ -z "$(find sp -name "*.lockfile")" ] &&
	: >sp/db/callout.lockfile &&
	expect_code 0 "$HINTSDB" tidy sp callout >/dev/null &&
	[ "$(find sp -name "*.lockfile")" = sp/db/callout.lockfile ]
'
run_test "--exim-version on a tdb spool: 4.99 and 4.100 find their records" '
	tdbspool sp &&
	n=$("$HINTSDB" dump -k sp retry | wc -l) &&
	expect_code 0 "$DUMPDB" --exim-version=4.99 sp retry >out 2>err &&
	[ ! -s err ] && [ "$(grep -c "^  " out)" = "$n" ] &&
	expect_code 1 "$DUMPDB" --exim-version=4.98 sp retry >out &&
	grep -qx "\*\* Failed to open database lock file sp/db/retry.lockfile: No such file or directory" out &&
	mkdir -p v2/db &&
	"$HELPER" copy sp/db/retry retry v2/db/retry tdb v2 &&
	expect_code 0 "$DUMPDB" --exim-version=4.100 v2 retry >out 2>err &&
	[ ! -s err ] && [ "$(grep -c "^  " out)" = "$n" ] &&
	expect_code 0 "$DUMPDB" v2 retry >auto &&
	cmp out auto &&
	expect_code 0 "$DUMPDB" --exim-version=4.100 sp retry >out 2>err &&
	[ ! -s out ] && [ "$(grep -c "was in the key scan" err)" = "$n" ] &&
	[ -z "$(find sp v2 -name "*.lockfile")" ]
'
run_test "a missing DB on a tdb spool: 4.99 words, no Berkeley DB remark" '
	tdbspool sp &&
	expect_code 1 "$DUMPDB" sp wait-x >out &&
	printf "%s\n" "** Failed to open hintsdb file sp/db/wait-x for reading: No such file or directory" | cmp - out &&
	expect_code 0 "$TIDYDB" sp wait-x >out &&
	[ "$(tail -n 1 out)" = "Tidying complete" ] &&
	[ -z "$(find sp -name "*.lockfile")" ] && [ ! -e sp/db/wait-x ]
'
run_test "v2 misc records get 4.100.1 second lines; legacy ones do not" '
	v2spool sp &&
	expect_code 0 "$DUMPDB" -z sp misc >v2.out &&
	grep -qx "helo/ehlo 127.0.0.1:2525 clr 01e9/0000 cry 01e8/0000 lim 00000/00000/00000" v2.out &&
	grep -qx "serialize etrn: 1 running" v2.out &&
	grep -qx "serialize host: 1 running" v2.out &&
	expect_code 0 "$HINTSDB" dump --format=exim -z sp misc >dump.out &&
	cmp v2.out dump.out &&
	expect_code 0 "$DUMPDB" -z "$SPOOL_EX" misc >legacy.out &&
	! grep -q -e "^serialize " -e "^helo/ehlo " legacy.out &&
	[ "$(wc -l <legacy.out)" = "$(grep -c "^[0-9]" v2.out)" ]
'
run_test "misc of no known shape: 4.100.1 quotes the first 16 bytes" '
	now=$(date +%s) &&
	ts=$("$PYTHON" -c "import struct,sys; print(struct.pack(\"<q\", int(sys.argv[1])).hex())" $now) &&
	mkdir -p sp/db &&
	"$HELPER" put sp/db/misc sqlite "$(hexkey bar)" \
	    "0200000000000000${ts}4109085c0a7f80ff202501020d1b2741424344" &&
	"$HELPER" put sp/db/misc sqlite "$(hexkey q)" \
	    "0200000000000000${ts}070b0c225c41414141414141414141414141" &&
	expect_code 0 "$DUMPDB" sp misc >out &&
	sed -n 2p out >l2 && printf "%s\n" "\"A\\t\\b\\\\n\\177\\200\\377 %\\001\\002\\r\\033'"'"'A\"" | cmp - l2 &&
	sed -n 3p out | grep -qx "" &&
	sed -n 5p out >l5 && printf "%s\n" "\"\\007\\v\\f\\\"\\AAAAAAAAAAA\"" | cmp - l5
'
run_test "--exim-version=4.100 on a legacy spool: every record not found" '
	expect_code 0 "$HINTSDB" dump --format=exim --exim-version=4.100 \
	    "$SPOOL_EX" seen >out 2>err &&
	[ ! -s out ] &&
	[ "$(grep -c "^\*\*\*\* Entry \".*\" was in the key scan, but the record was not found in the file - something is wrong!$" err)" = \
	  "$("$HINTSDB" dump -k "$SPOOL_EX" seen | wc -l)" ]
'
run_test "--exim-version=4.98 reads 23-byte IDs from a 4.96 wait record" '
	expect_code 0 "$DUMPDB" "$SPOOL_EX" wait-remote_smtp >96.out 2>96.err &&
	[ ! -s 96.err ] &&
	expect_code 1 "$DUMPDB" --exim-version=4.98 "$SPOOL_EX" wait-remote_smtp \
	    >98.out 2>98.err &&
	grep -q "^\*\*\*\* Data for .* corrupted: bad character in message id$" 98.err &&
	! cmp -s 96.out 98.out
'
run_test "usage texts of 4.96 and 4.100" '
	expect_code 1 "$DUMPDB" >u96 &&
	printf "%s\n" "Usage: exim_dumpdb [-z] [-k]  <spool-directory> <database-name>" \
	    "  <database-name> = retry | misc | wait-<transport-name> | callout | ratelimit | tls | seen" | cmp - u96 &&
	expect_code 1 "$DUMPDB" --exim-version=4.100 >u100 &&
	printf "%s\n" "Usage: exim_dumpdb -L <database-path>" "" \
	    "Usage: exim_dumpdb [-kz]  <spool-directory> <database-name>" \
	    "  <database-name> = retry | misc | wait-<transport-name> | callout | ratelimit | tls | seen" | cmp - u100 &&
	expect_code 1 "$FIXDB" --exim-version=4.100 >f100 &&
	head -n 1 f100 | grep -qx "Usage: exim_fixdb -L <database-path>" &&
	expect_code 1 "$TIDYDB" --exim-version=4.100 >t100 &&
	head -n 1 t100 | grep -qx "Usage: exim_tidydb \[-t <time>\]  <spool-directory> <database-name>" &&
	expect_code 1 "$DUMPDB" --exim-version=4.97 "$SPOOL_EX" retry >bad &&
	grep -q "^Usage: exim_dumpdb" bad
'
run_test "a missing DB in the words of 4.96, 4.98 and 4.100" '
	mkdir -p sp/db && : >sp/db/retry.lockfile &&
	expect_code 1 "$DUMPDB" sp retry >o96 &&
	printf "%s\n" "** Failed to open DBM file sp/db/retry for reading:" \
	    "   No such file or directory (or Berkeley DB error while opening)" | cmp - o96 &&
	expect_code 1 "$DUMPDB" --exim-version=4.98 sp retry >o98 &&
	printf "%s\n" "** Failed to open hintsdb file sp/db/retry for reading: No such file or directory (or Berkeley DB error while opening)" | cmp - o98 &&
	rm sp/db/retry.lockfile &&
	expect_code 1 "$DUMPDB" sp retry >nolock &&
	grep -qx "\*\* Failed to open database lock file sp/db/retry.lockfile: No such file or directory" nolock &&
	v2spool v2 &&
	expect_code 1 "$DUMPDB" v2 wait-x >o100 &&
	printf "%s\n" "** Failed to open hintsdb file v2/db/wait-x for reading: No such file or directory" | cmp - o100 &&
	expect_code 0 "$TIDYDB" v2 wait-x >t100 &&
	[ "$(sed -n 2p t100)" = "Tidying complete" ] &&
	[ ! -e v2/db/wait-x ] && [ ! -e v2/db/wait-x.lockfile ]
'
run_test "exim_fixdb: a missing key; SQLite deletes say deleted (4.100.1)" '
	copy_spool sp && v2spool v2 &&
	printf "nosuch 0 1\nnosuch d\n" >in &&
	expect_code 0 "$FIXDB" sp callout <in >o96 &&
	printf "%s\n" "Modifying Exim hints database sp/db/callout" "> not found" \
	    "record nosuch not found" "> not found" "> " | cmp - o96 &&
	expect_code 0 "$FIXDB" v2 callout <in >o100 &&
	printf "%s\n" "Modifying Exim hints database v2/db/callout" "> not found" \
	    "record nosuch not found" "> deleted" "> " | cmp - o100
'
test_done
