#!/bin/sh
# t5211-catchup-holds.sh - the catch-up after convert --in-place's rename
# does work under Exim's lock in proportion to what Exim changed, not to
# the file: a writer that follows Exim's lock protocol writes the new
# Berkeley DB file between the catch-up's write holds, and no hold reads
# the whole file first (the page check of a file someone else changed is
# not made of the file we made, be_bdb.c), however many holds there are.
# The structure is forced by counts, not left to the machine's speed: the
# build stalls at a test point until the writer, started with it, has
# made 300 changes, and each hold carries 10 records
# (HINTSDB_TEST_HOLD_RECORDS=10), so the catch-up has a hold for each ten
# records the writer changed meanwhile.
# Nothing it wrote is lost.
# Under make check-future this file runs on the real clock: whether a file
# is the one this process made is told by its stat times, which
# libfaketime shifts in some calls and not in others.  Its records are
# made at test time; no result depends on the date.
if [ -n "${FAKETIME:-}" ]; then
	exec env -u LD_PRELOAD -u FAKETIME -u FAKETIME_SHARED sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
N=10000		# records k0..k<N-1>

# writer: churn in the background ($wpid), logging to w.log, until the
# file stop is there (then 50 more changes)
writer() {
	"$HELPER" writer "$PWD/sp/db/retry" 300 7 $N "$PWD/w.log" churn \
	    paced stop="$PWD/stop" >w.out &
	wpid=$!
}

# more N: w.log has N lines at least
more() {
	[ -s w.log ] && [ $(wc -l <w.log) -ge "$1" ]
}

# expected: "key text" for every record the writer's log leaves
expected() {
	awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) s["k" i] = "init" }
	    { if ($2 == "-") delete s[$1]; else s[$1] = $2 }
	    END { for (k in s) print k, s[k] }' w.log | sort
}

# holds FILE: "HOLDS CHECKED" from -v's line on the catch-up's holds
holds() {
	sed -n 's/^retry: \([0-9]*\) write holds\{0,1\} to catch up, \([0-9]*\) of them reading the whole file first; .*/\1 \2/p' "$1"
}

run_test "bdb: convert --in-place beside a writer, ten records a hold" '
	bigspool bdb || exit 1
	HINTSDB_TEST_HOLD_RECORDS=10 HINTSDB_TEST_STALL_AT=3000:120000 \
	HINTSDB_TEST_STALL_UNTIL="$PWD/go" \
	    "$HINTSDB" convert -v --in-place --to-layout=v2 sp retry \
	    >c.out &
	cpid=$!
	writer
	# changes after the build began: the catch-up has them to do
	wait_for 120 "300 changes by the writer" $wpid more 300
	: >go
	wait $cpid || exit 1
	: >stop
	wait $wpid || exit 1
	cat c.out >&2
	set -- $(holds c.out)
	# a hold for each ten records changed, none of them reading the whole file
	[ "${1:-0}" -ge 15 ] && [ "${2:-x}" = 0 ] &&
	    grep -q "^retry: carried over from Exim: [1-9]" c.out &&
	    live_same && [ $(wc -l <have) -gt 5000 ] &&
	    ! ls sp/db/.retry.hintsdb.* 2>/dev/null
'
test_done
