#!/bin/sh
# t0020-faketime.sh - the future-clock pass (make check-future) itself: a
# process of another user must run under libfaketime even when its PID is
# one that an exec'd or killed process of that user left a libfaketime
# state pair for (see tests/share-faketime.sh).  Needs root.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v faketime >/dev/null 2>&1; then
	run_test "not root or no faketime: skipped" 'true'
	test_done
	exit 0
fi

# Under a faketime of its own (not nested in check-future's), set up as
# check.sh does: nobody's sh execs, which would leave its own pair behind;
# the next PID is made that same one (ns_last_pid) and nobody's hintsdb
# runs on it.  Prints that PID, hintsdb's output, then the first PID.
cat >"$TRASH/stale.sh" <<'EOF'
. "$TOP/tests/share-faketime.sh"
as_nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
pid=$($as_nobody sh -c 'echo $$; exec true')
echo $((pid - 1)) >/proc/sys/kernel/ns_last_pid
sh -c 'echo $$; exec "$@"' sh $as_nobody "$HINTSDB" --version
st=$?
rm -f "/dev/shm/sem.faketime_sem_$pid" "/dev/shm/faketime_shm_$pid"
echo "$pid"
exit $st
EOF

run_test "a nobody process on a PID with a stale libfaketime pair runs" '
	env -u LD_PRELOAD -u FAKETIME -u FAKETIME_SHARED TOP="$TOP" \
	    HINTSDB="$HINTSDB" FAKETIME_DONT_FAKE_MONOTONIC=1 \
	    faketime -f +1d sh "$TRASH/stale.sh" >out 2>err &&
	test "$(sed -n 1p out)" = "$(sed -n 3p out)" &&
	grep -qx "hintsdb [0-9.]*" out && test ! -s err
'
test_done
