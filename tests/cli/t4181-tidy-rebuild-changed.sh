#!/bin/sh
# t4181-tidy-rebuild-changed.sh - tidy's rebuild of a Berkeley DB file
# remembers the keys it left out by their place in the read's own list of
# key hashes, which stays in the order read only while the file does not
# change; once Exim writes between two of the read's batches the list is
# sorted, and the marks must move to sets of their own first.  Either
# way, no record tidy left out comes back in the catch-up unless Exim
# wrote it, and what Exim wrote is kept.  That Exim writes between the
# batches is forced, not left to the machine's speed: the build stalls
# (at a test point, in the first batch's puts) until the writer is done.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
N=100000	# k0..k<N-1>, the even ones 40 days old: 3 or more batches

# want: "key text" of what tidy and the writer's log (w.log) leave: the
# fresh records as made, then each key as the writer's last change left it
want() {
	awk -v n=$N 'BEGIN { for (i = 1; i < n; i += 2) s["k" i] = "init" }
	    { if ($2 == "-") delete s[$1]; else s[$1] = $2 }
	    END { for (k in s) print k, s[k] }' w.log | sort
}

run_test "bdb: Exim writes between the read's batches: none left out comes back" '
	bigspool bdb &&
	HINTSDB_TEST_STALL_AT=200:60000 HINTSDB_TEST_STALL_UNTIL=$PWD/go \
	    "$HINTSDB" tidy -v --format=json -t 30d sp retry >out 2>err &
	tpid=$!
	# the build has made its new file and stalls in its 199th put
	wait_for 60 "the build" $tpid \
	    sh -c "ls -a sp/db | grep -q \"^\\.retry\\.hintsdb\\.$tpid\\.\"" &&
	"$HELPER" writer "$PWD/sp/db/retry" 1 7 $N "$PWD/w.log" churn paced \
	    >w.out &&
	[ -s w.log ] && kill -0 $tpid && : >go && wait $tpid &&
	grep -q "\"compacted\":true" out &&
	live_got >have && want >want &&
	{ comm -3 want have | head; [ -z "$(comm -3 want have)" ]; } &&
	db5.3_verify -q sp/db/retry
'
run_test "bdb: no write meanwhile: exactly the fresh records stay" '
	bigspool bdb &&
	"$HINTSDB" tidy --format=json -t 30d sp retry >out &&
	grep -q "\"compacted\":true" out && grep -q "\"deleted\":$((N / 2))," out &&
	: >w.log && live_got >have && want >want && cmp want have &&
	db5.3_verify -q sp/db/retry
'
test_done
