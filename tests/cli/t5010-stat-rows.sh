#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='stat never hides a DB it was asked about: a busy, unreadable
or missing DB keeps its row in text, -v, JSON and Prometheus, with its state
and error, and the exit status is still the failure'"'"'s'
. "$(dirname "$0")/lib.sh"

# busy: a copy of the example spool, retry's lock held for at most 30 s
busy() {
	copy_spool sp && hold_lock sp/db/retry.lockfile 30
}
done_lock() {
	kill "$LOCK_PID" 2>/dev/null
	wait "$LOCK_PID" 2>/dev/null
	return 0
}

run_test "text: a held lock leaves a row saying busy, and 75" '
	busy || return 1
	expect_code 75 "$HINTSDB" stat --lock-timeout=0 sp >out 2>err
	r=$?; done_lock; [ $r = 0 ] || return 1
	[ "$(grep -c "^" out)" = 8 ] &&
	grep -q "^retry  *-  *-  *-  *-  *-  *-  *-  *busy: cannot read-lock .*retry.lockfile.: " out &&
	grep -q "^misc  *bdb " out &&
	[ "$(grep -c "^hintsdb: " err)" = 1 ]
'
run_test "-v: the busy DB has its state and error" '
	busy || return 1
	expect_code 75 "$HINTSDB" stat -v --lock-timeout=0 sp >out 2>err
	r=$?; done_lock; [ $r = 0 ] || return 1
	grep -A2 "^retry$" out >r &&
	grep -qx "  state: busy" r && grep -q "^  error: cannot read-lock" r
'
run_test "JSON: one object a DB, the busy one with state, status and error" '
	busy || return 1
	expect_code 75 "$HINTSDB" stat --format=json --lock-timeout=0 sp >out 2>err
	r=$?; done_lock; [ $r = 0 ] || return 1
	[ "$(wc -l <out)" = 7 ] &&
	grep "\"db\":\"retry\"" out >r &&
	grep -q "\"state\":\"busy\",\"status\":75,\"error\":\"cannot read-lock" r &&
	grep "\"db\":\"misc\"" out | grep -q "\"state\":\"ok\",\"status\":0,"
'
run_test "Prometheus: up 0 and state busy" '
	busy || return 1
	expect_code 75 "$HINTSDB" stat --format=prometheus --lock-timeout=0 sp \
	    >out 2>err
	r=$?; done_lock; [ $r = 0 ] || return 1
	grep -qx "hintsdb_database_up{db=\"retry\"} 0" out &&
	grep -qx "hintsdb_database_state{db=\"retry\",state=\"busy\"} 1" out &&
	grep -qx "hintsdb_database_state{db=\"misc\",state=\"ok\"} 1" out
'
run_test "a DB named but missing, and one that is not a DB: rows too" '
	copy_spool sp && printf "junk" >sp/db/seen &&
	rm -f sp/db/callout sp/db/callout.lockfile &&
	expect_code 66 "$HINTSDB" stat --format=json sp retry callout seen \
	    >out 2>err &&
	[ "$(wc -l <out)" = 3 ] &&
	grep "\"db\":\"callout\"" out | grep -q "\"state\":\"missing\",\"status\":66" &&
	grep "\"db\":\"seen\"" out | grep -q "\"state\":\"unreadable\",\"status\":74" &&
	expect_code 66 "$HINTSDB" stat sp retry callout seen >out 2>err &&
	grep -q "^callout .* missing: no such database" out &&
	grep -q "^seen .* unreadable: cannot open" out
'
test_done
