#!/bin/sh
# t4310-read-pieces.sh - dump and delete --match read in short read-lock
# holds (--max-lock-ms=1: a few hundred records each) while a writer that
# follows Exim's lock protocol refreshes, deletes and adds records between
# them (`hdb-test writer ... churn`).  Every record nobody touched must
# come exactly once in a dump, and delete --match must leave none that
# matches and delete each key at most once (a key the writer writes again
# after it was deleted is the writer's: delete(8)); on Berkeley DB, GDBM
# and tdb, where a resumed read may see a record twice or (hash buckets
# split by the writer's inserts) miss one, and on SQLite.
# The holds are forced to 300 records (HINTSDB_TEST_HOLD_RECORDS), however
# fast the machine.
. "$(dirname "$0")/lib.sh"
export HINTSDB_TEST_HOLD_RECORDS=300

export LC_ALL=C		# sort and comm in byte order, as dump -k
N=20000		# records k0..k<N-1>

# writer SECONDS: churn in the background ($wpid), logging to w.log
writer() {
	"$HELPER" writer "$PWD/sp/db/retry" "$1" 7 $N "$PWD/w.log" churn \
	    >w.out &
	wpid=$!
	sleep 0.2
}

# untouched WLOG: the k keys the writer never changed, one a line
untouched() {
	awk -v n=$N '{ t[$1] = 1 } END {
		for (i = 0; i < n; i++) if (!(("k" i) in t)) print "k" i }' \
	    "$1" | sort
}

for be in bdb gdbm tdb sqlite; do
run_test "$be: dump in tiny holds beside a writer: every record once" '
	bigspool '"$be"' && writer 2 || exit 1
	i=0
	while kill -0 $wpid 2>/dev/null; do
		i=$((i + 1))
		"$HINTSDB" dump -k --max-lock-ms=1 sp retry >d$i.keys || exit 1
	done
	wait $wpid && [ $i -gt 0 ] && untouched w.log >keep &&
	for f in d*.keys; do
		dup=$(sort "$f" | uniq -d) miss=$(sort "$f" | comm -13 - keep)
		[ -z "$dup$miss" ] && continue
		echo "$f of $i: twice:" $dup "missed:" $miss
		exit 1
	done
'
run_test "$be: delete --match in tiny holds beside a writer: none left" '
	bigspool '"$be"' && writer 2 || exit 1
	expect_code 0 "$HINTSDB" delete --max-lock-ms=1 --match="k1*" sp retry \
	    >del.out 2>del.err || { grep -q "no record" del.err || exit 1; }
	wait $wpid || exit 1
	"$HINTSDB" dump -k sp retry >left.keys &&
	untouched w.log >keep &&
	[ -z "$(grep "^k1" keep | comm -12 - left.keys)" ] &&
	[ -z "$(grep -v "^k1" keep | comm -23 - left.keys)" ] &&
	[ -z "$(sort del.out | uniq -d)" ] &&
	[ "$(grep -c "^deleted '"'"'k1" del.out)" -ge 1000 ]
'
done
test_done
