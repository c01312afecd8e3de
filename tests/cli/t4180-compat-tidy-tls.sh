#!/bin/sh
# t4180-compat-tidy-tls.sh - exim_tidydb as hintsdb (what exim4-base's daily
# run calls after hintsdb-takeover) expires TLS sessions by their own ticket
# lifetime, not only by Exim's 30-day age, with Exim's command line, lines
# and exit status.  A session that cannot be decoded is kept, as Exim keeps
# it.  Records are stamped relative to the clock, so the tests pass on any
# date.
. "$(dirname "$0")/lib.sh"

TIDYDB=$(dirname "$HINTSDB")/exim_tidydb
DAY=86400
# a real OpenSSL client session (TLS 1.2, ticket lifetime hint 7200 s):
# Exim's rule makes it expire 2 hours after the record's time stamp
DER=$(od -An -tx1 -v "$DATA/tls/o12-ec-chacha.der" | tr -d " \n")

# tlsrec TIME PAYLOADHEX: a legacy tls record (time, flags, payload, padding)
tlsrec() { echo "$(le 8 "$1")00${2}00000000000000"; }
put() { "$HELPER" put "$PWD/$1" bdb "$(hexkey "$2")" "$3"; }
count() { "$HINTSDB" dump -k "$1" tls | wc -l; }

run_test "young records, tickets past their lifetime: deleted (ticket expired)" '
	copy_spool sp && n=$(count sp) && [ "$n" -gt 0 ] &&
	"$HELPER" restamp "$PWD/sp/db/tls" tls 0 &&
	"$HINTSDB" dump sp tls >d && grep -q "^  expires: .* ago)$" d &&
	expect_code 0 "$TIDYDB" sp tls >out 2>err && [ ! -s err ] &&
	[ "$(head -n 1 out)" = "Tidying Exim hints database sp/db/tls" ] &&
	[ "$(tail -n 1 out)" = "Tidying complete" ] &&
	[ "$(grep -c "^deleted [0-9a-f]\{64\} (ticket expired)$" out)" = "$n" ] &&
	[ "$(wc -l <out)" = $((n + 2)) ] && [ "$(count sp)" = 0 ]
'
run_test "the v2 SQLite spool of Exim 4.100.1 alike" '
	rm -rf sp && cp -a "$TOP/examples/spool-4.100" sp && n=$(count sp) &&
	[ "$n" -gt 0 ] && "$HELPER" restamp "$PWD/sp/db/tls" tls 0 &&
	expect_code 0 "$TIDYDB" sp tls >out 2>err && [ ! -s err ] &&
	[ "$(grep -c "(ticket expired)$" out)" = "$n" ] && [ "$(count sp)" = 0 ]
'
run_test "OpenSSL: a live ticket stays, a dead one goes, the age rule first" '
	now=$(date +%s) && mkdir -p sp/db && : >sp/db/tls.lockfile &&
	put sp/db/tls live "$(tlsrec $now "$DER")" &&
	put sp/db/tls dead "$(tlsrec $((now - 3 * 3600)) "$DER")" &&
	put sp/db/tls old "$(tlsrec $((now - 31 * DAY)) "$DER")" &&
	expect_code 0 "$TIDYDB" sp tls >out 2>err && [ ! -s err ] &&
	grep -qx "deleted dead (ticket expired)" out &&
	grep -qx "deleted old (too old)" out &&
	! grep -q live out && [ "$("$HINTSDB" dump -k sp tls)" = live ]
'
run_test "-t still sets the age; a bad -t is still Exim usage, status 1" '
	now=$(date +%s) && mkdir -p sp/db && : >sp/db/tls.lockfile &&
	put sp/db/tls live "$(tlsrec $((now - 2 * 3600 + 600)) "$DER")" &&
	expect_code 0 "$TIDYDB" -t 1h sp tls >out &&
	grep -qx "deleted live (too old)" out &&
	expect_code 1 "$TIDYDB" -t 30 sp tls >out &&
	grep -q "^Usage: exim_tidydb \[-t <time>\]" out
'
run_test "a session that cannot be decoded: kept, no report, status 0" '
	now=$(date +%s) && mkdir -p sp/db && : >sp/db/tls.lockfile &&
	put sp/db/tls junk "$(tlsrec $now 3003020100)" &&
	expect_code 0 "$TIDYDB" sp tls >out 2>err && [ ! -s err ] &&
	[ "$(wc -l <out)" = 2 ] && [ "$("$HINTSDB" dump -k sp tls)" = junk ] &&
	expect_code 1 "$HINTSDB" tidy sp tls >out 2>err &&
	grep -q "corrupt record .junk. kept: cannot decode the TLS session" err
'
test_done
