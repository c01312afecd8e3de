#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='a wait for a busy lock says, after a second, who holds it:
on a terminal, or with -v; never in a quiet pipe'
. "$(dirname "$0")/lib.sh"

# release_on_wait: end the lock holder once err says the command waits
# for it (so however slow the machine, the command did wait), in the
# background
release_on_wait() {
	(wait_for 60 "a waiting message in err" - grep -q waiting err
	    kill $LOCK_PID 2>/dev/null) &
}

run_test "check -v names the lock and the process holding it" '
	copy_spool sp &&
	hold_lock sp/db/retry.lockfile 120 &&
	holder=$LOCK_PID && : >err && release_on_wait &&
	{ expect_code 0 "$HINTSDB" check -v sp retry >out 2>err; r=$?; }
	kill $LOCK_PID 2>/dev/null; wait $LOCK_PID 2>/dev/null
	[ "$r" = 0 ] && cat err &&
	# the holder is hold_lock'"'"'s python3, which execs sleep(1) once locked
	grep -Eq "^hintsdb: check: waiting for the read lock on sp/db/retry.lockfile \(held by pid $holder, (python3|sleep)\)$" err &&
	[ "$(grep -c waiting err)" = 1 ]
'
run_test "a writer waits for the write lock and says so with -v" '
	copy_spool sp &&
	hold_lock sp/db/retry.lockfile 120 && : >err && release_on_wait &&
	{ expect_code 0 "$HINTSDB" tidy -v -n sp retry >out 2>err; r=$?; }
	kill $LOCK_PID 2>/dev/null; wait $LOCK_PID 2>/dev/null
	[ "$r" = 0 ] && cat err &&
	grep -q "waiting for the .* lock on sp/db/retry.lockfile (held by pid [0-9]*" err
'
run_test "without -v and off a terminal the wait is silent" '
	copy_spool sp &&
	hold_lock sp/db/retry.lockfile 2 &&
	{ expect_code 0 "$HINTSDB" dump sp retry >out 2>err; r=$?; }
	kill $LOCK_PID 2>/dev/null; wait $LOCK_PID 2>/dev/null
	[ "$r" = 0 ] && [ ! -s err ]
'
run_test "a short wait says nothing, even with -v" '
	copy_spool sp &&
	expect_code 0 "$HINTSDB" check -v sp retry >out 2>err &&
	! grep -q waiting err
'
test_done
