#!/bin/sh
# t5210-rebuild-live.sh - convert --in-place and import hold Exim's write
# lock only for the rename, and carry over what Exim wrote meanwhile (or,
# on SQLite and tdb, write the new file into the old one in short holds,
# leaving what Exim wrote meanwhile alone): a
# writer that follows Exim's lock protocol refreshes, deletes and adds
# records (`hdb-test writer ... churn paced`) all through them, and
# afterwards the DB must hold what the writer's last change to each key
# left, and the untouched records as they were.  One exception, which
# catchup.h explains: a record the writer added while the new DB was
# built and deleted just after the switch, before the catch-up reached it,
# may come back.  That the writer works while a build runs is forced, not
# left to the machine's speed: each convert's build stalls (at a test
# point), and the import's input waits for the writer's first change.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
N=20000		# records k0..k<N-1>, text "init"

# writer SECONDS: churn in the background ($wpid), logging to w.log
writer() {
	"$HELPER" writer "$PWD/sp/db/retry" "$1" 11 $N "$PWD/w.log" churn \
	    paced >w.out &
	wpid=$!
}

# caught FILE: -v says that Exim's writes meanwhile were carried over, or,
# written into the file in place (SQLite, tdb), left as Exim wrote them
caught() {
	grep -q -e "^retry: carried over from Exim: [1-9]" \
	    -e "^retry: written into the file in place: .*; [1-9][0-9]* that Exim" \
	    "$1"
}

# expected: "key text" for every record the writer's log leaves
expected() {
	awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) s["k" i] = "init" }
	    { if ($2 == "-") delete s[$1]; else s[$1] = $2 }
	    END { for (k in s) print k, s[k] }' w.log | sort
}

for be in bdb gdbm tdb sqlite; do
run_test "$be: convert --in-place, again and again, beside a writer" '
	bigspool '"$be"' && writer 3 || exit 1
	sleep 0.2
	i=0 caught=0 l=v2
	while kill -0 $wpid 2>/dev/null; do
		i=$((i + 1))
		HINTSDB_TEST_STALL_AT=5000:300 "$HINTSDB" convert -v \
		    --in-place --to-layout=$l sp retry >c$i.out || exit 1
		caught c$i.out &&
		    caught=$((caught + 1))
		[ $l = v2 ] && l=legacy || l=v2
	done
	wait $wpid && [ $caught -gt 0 ] && live_same &&
	[ $(wc -l <have) -gt 10000 ] && ! ls sp/db/.retry.hintsdb.* 2>/dev/null
'
run_test "$be: import beside a writer keeps what it wrote and deleted" '
	bigspool '"$be"' &&
	"$HINTSDB" export sp retry >ex.jsonl || exit 1
	# the build stalls until the writer has worked for a while
	{ head -n 5000 ex.jsonl
	  wait_for 60 "the writer'"'"'s first change" - test -s w.log
	  sleep 0.5; tail -n +5001 ex.jsonl; } |
	    "$HINTSDB" import -v sp retry >imp.out &
	ipid=$!
	sleep 0.3 && writer 2 || exit 1
	wait $ipid && wait $wpid &&
	caught imp.out && live_same
'
done
test_done
