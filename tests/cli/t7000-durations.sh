#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='one duration syntax: --lock-timeout (bare = seconds),
--max-lock-ms (bare = milliseconds), tidy -t (a unit is needed)'
. "$(dirname "$0")/lib.sh"

# now_s: seconds since the epoch, with fractions
now_s() {
	date +%s.%N
}

run_test "--lock-timeout=1 is a second: it waits for the lock that long" '
	copy_spool sp &&
	hold_lock sp/db/retry.lockfile 3 &&
	t0=$(now_s) &&
	{ expect_code 75 "$HINTSDB" dump --lock-timeout=1 sp retry 2>err; r=$?; } &&
	t1=$(now_s)
	kill $LOCK_PID; wait $LOCK_PID 2>/dev/null
	[ "$r" = 0 ] && grep -q "timed out" err &&
	# a bound on behaviour (seconds, not milliseconds), not a benchmark
	awk -v a="$t0" -v b="$t1" "BEGIN { exit !(b - a >= 0.9) }"
'
run_test "--lock-timeout takes ms, s and m; bare 0 tries once" '
	copy_spool sp &&
	hold_lock sp/db/retry.lockfile 5 &&
	{ expect_code 75 "$HINTSDB" dump --lock-timeout=0 sp retry 2>e0; r0=$?; }
	{ expect_code 75 "$HINTSDB" dump --lock-timeout=100ms sp retry 2>e1; r1=$?; }
	kill $LOCK_PID; wait $LOCK_PID 2>/dev/null
	[ "$r0" = 0 ] && [ "$r1" = 0 ] && grep -q "lock is busy" e0 &&
	grep -q "timed out" e1 &&
	expect_code 0 "$HINTSDB" dump --lock-timeout=2s sp retry >/dev/null &&
	expect_code 0 "$HINTSDB" dump --lock-timeout=1m sp retry >/dev/null
'
run_test "a bad duration says what is wrong with it" '
	expect_code 64 "$HINTSDB" dump --lock-timeout=5sec "$SPOOL_EX" retry \
	    2>err &&
	grep -q "dump: bad --lock-timeout .5sec.: unknown unit .sec." err &&
	expect_code 64 "$HINTSDB" dump --lock-timeout=2d "$SPOOL_EX" retry \
	    2>err &&
	grep -q "too long (at most 1d)" err &&
	expect_code 64 "$HINTSDB" dump --lock-timeout=-1 "$SPOOL_EX" retry \
	    2>err &&
	grep -q "negative" err &&
	expect_code 64 "$HINTSDB" tidy --max-lock-ms=0 "$SPOOL_EX" retry \
	    2>err &&
	grep -q "tidy: bad --max-lock-ms .0.: too short (at least 1ms)" err &&
	expect_code 64 "$HINTSDB" delete --max-lock-ms=2m "$SPOOL_EX" retry k \
	    2>err &&
	grep -q "delete: bad --max-lock-ms .2m.: too long (at most 1m)" err
'
run_test "--max-lock-ms: bare milliseconds, or with a unit" '
	copy_spool sp &&
	expect_code 0 "$HINTSDB" tidy -n --format=json --max-lock-ms=50 sp retry \
	    >a.json &&
	expect_code 0 "$HINTSDB" tidy -n --format=json --max-lock-ms=1s sp retry \
	    >b.json &&
	grep -q "\"examined\"" a.json && grep -q "\"examined\"" b.json
'
run_test "tidy -t wants a unit, as Exim does; sums work" '
	copy_spool sp &&
	expect_code 64 "$HINTSDB" tidy -n -t 30 sp retry 2>err &&
	grep -q "bad time" err &&
	expect_code 0 "$HINTSDB" tidy -n -t 1w2d sp retry >/dev/null
'
test_done
