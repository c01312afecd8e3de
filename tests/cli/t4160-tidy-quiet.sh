#!/bin/sh
# t4160-tidy-quiet.sh - quiet means quiet: the README's cron line and
# systemd unit, taken from the README as written, mail nothing when a lock
# is busy (75) and still report every other failure.
. "$(dirname "$0")/lib.sh"

# The README's commands run a `hintsdb` found on PATH (or
# /usr/local/sbin/hintsdb): this one is the binary under test, with a short
# lock timeout so a test does not wait the default minute.
mkdir -p "$TRASH/path" &&
cat >"$TRASH/path/hintsdb" <<EOS
#!/bin/sh
cmd=\$1; shift
exec "$HINTSDB" "\$cmd" --lock-timeout=300ms "\$@"
EOS
chmod +x "$TRASH/path/hintsdb"

# The cron line's command, after "root", spool made ./spool.
cron_cmd() {
	sed -n "s|^ *10 4 \* \* \* root /usr/local/sbin/\(hintsdb tidy.*\)$|\1|p" \
	    "$TOP/README" |
	    sed "s|/var/spool/exim4|$PWD/spool|g"
}
# The unit's ExecStart, and its SuccessExitStatus.
unit_exec() {
	sed -n "s|^ *ExecStart=/usr/local/sbin/\(hintsdb .*\)$|\1|p" \
	    "$TOP/README" | sed "s|/var/spool/exim4|$PWD/spool|g"
}
unit_ok() { sed -n "s|^ *SuccessExitStatus=||p" "$TOP/README"; }

run_test "the README has the cron line and the unit" '
	test "$(cron_cmd | wc -l)" = 1 && test "$(unit_exec | wc -l)" = 1 &&
	test "$(unit_ok)" = 75 &&
	cron_cmd | grep -q -- "tidy -q --all" && cron_cmd | grep -q "|| \[ \$? = 75 \]"
'
run_test "cron line: a busy lock exits 0 and prints nothing" '
	copy_spool && hold_lock spool/db/retry.lockfile 5 &&
	PATH="$TRASH/path:$PATH" sh -c "$(cron_cmd)" >out 2>&1;
	st=$?; kill $LOCK_PID; wait $LOCK_PID 2>/dev/null;
	test $st = 0 && test ! -s out
'
run_test "cron line: the lock error itself is 75, silent with -q only" '
	copy_spool && hold_lock spool/db/retry.lockfile 5 &&
	expect_code 75 "$HINTSDB" tidy -q --lock-timeout=300ms --all spool \
	    >out 2>err &&
	test ! -s out && test ! -s err &&
	expect_code 75 "$HINTSDB" tidy --lock-timeout=300ms spool retry \
	    >out 2>err &&
	grep -q "cannot [a-z]*-lock .*retry.lockfile.*timed out" err &&
	expect_code 75 "$HINTSDB" delete -q --lock-timeout=300ms spool retry \
	    x >out 2>err &&
	test ! -s out && test ! -s err;
	st=$?; kill $LOCK_PID; wait $LOCK_PID 2>/dev/null; test $st = 0
'
run_test "cron line: any other failure is printed, so cron mails it" '
	copy_spool && printf "garbage, not a database" >spool/db/seen &&
	PATH="$TRASH/path:$PATH" sh -c "$(cron_cmd)" >out 2>&1;
	st=$?; test $st != 0 && grep -q "seen" out &&
	rm -rf spool &&
	PATH="$TRASH/path:$PATH" sh -c "$(cron_cmd)" >out 2>&1;
	st=$?; test $st != 0 && test -s out
'
run_test "systemd unit: a busy lock is a success status and logs nothing" '
	copy_spool && hold_lock spool/db/retry.lockfile 5 &&
	PATH="$TRASH/path:$PATH" sh -c "$(unit_exec)" >out 2>&1;
	st=$?; kill $LOCK_PID; wait $LOCK_PID 2>/dev/null;
	{ test $st = 0 || test $st = "$(unit_ok)"; } && test ! -s out &&
	PATH="$TRASH/path:$PATH" sh -c "$(unit_exec)" >out 2>&1 &&
	test ! -s out
'
test_done
