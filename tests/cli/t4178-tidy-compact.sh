#!/bin/sh
# t4178-tidy-compact.sh - tidy --compact rebuilds a Berkeley DB, GDBM or
# NDBM file (and tdb with its lockfile) whether or not that pays, as
# convert --in-place does: the file shrinks to about the size of a fresh
# copy of the records left, which are those a plain tidy leaves; owner,
# mode and lockfile stay; what a writer that follows Exim's lock protocol
# writes meanwhile is kept.  SQLite, and tdb without its lockfile (as
# Exim 4.99 and later leave it), are tidied but not rebuilt: a rename
# would strand an Exim holding the old file.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
N=20000		# records k0..k<N-1>: even ones 40 days old, odd ones 1 day

# expected: "key text" for every record the writer's log leaves, after a
# tidy -t 30d that dropped every old record the writer did not touch
expected() {
	awk -v n=$N 'BEGIN { for (i = 1; i < n; i += 2) s["k" i] = "init" }
	    { if ($2 == "-") delete s[$1]; else s[$1] = $2 }
	    END { for (k in s) print k, s[k] }' w.log | sort
}

# size FILE: its bytes
size() {
	stat -c %s "$1"
}

for be in bdb gdbm; do
run_test "$be: the file shrinks to a fresh copy's size, records as tidy's" '
	bigspool '"$be"' && mkdir sp/input && chmod 0604 sp/db/retry &&
	cp -a sp plain || exit 1
	before=$(size sp/db/retry)
	"$HINTSDB" tidy -t 30d plain retry >/dev/null &&
	"$HINTSDB" tidy -t 30d --compact sp retry >out 2>err || exit 1
	cat out
	grep -q "^retry: compacted: $(size sp/db/retry) bytes, before [0-9]*$" \
	    out &&
	"$HINTSDB" dump -k plain retry | sort >want &&
	"$HINTSDB" dump -k sp retry | sort >have && cmp want have &&
	[ $(wc -l <have) = $((N / 2)) ] &&
	"$HINTSDB" convert --output="$PWD/fresh" sp retry &&
	after=$(size sp/db/retry) && fresh=$(size fresh) &&
	echo "before $before, after $after, fresh $fresh" &&
	[ $after -lt $before ] && [ $((after * 10)) -le $((fresh * 11)) ] &&
	[ "$(stat -c %a sp/db/retry)" = 604 ] && [ -e sp/db/retry.lockfile ] &&
	! ls -a sp/db | grep -q hintsdb
'
done

run_test "bdb: a writer meanwhile loses nothing" '
	bigspool bdb && mkdir sp/input || exit 1
	"$HELPER" writer "$PWD/sp/db/retry" 3 11 $N "$PWD/w.log" churn \
	    paced >w.out &
	wpid=$!
	"$HINTSDB" tidy -t 30d --compact --format=json sp retry >t.json
	st=$?
	wait $wpid && [ $st = 0 ] && grep -q "\"compacted\":true" t.json &&
	live_same
'

for be in sqlite tdb; do
run_test "$be: tidied in place, not rebuilt" '
	bigspool '"$be"' && mkdir sp/input && rm -f sp/db/retry.lockfile &&
	ino=$(stat -c %i sp/db/retry) &&
	"$HINTSDB" tidy -t 30d --compact sp retry >out &&
	grep -q "^retry: examined $N, deleted $((N / 2)) " out &&
	grep -q "^retry: not compacted: Exim opens it without a lockfile$" out &&
	[ "$(stat -c %i sp/db/retry)" = "$ino" ] &&
	"$HINTSDB" tidy -t 30d --compact --format=json sp retry >t.json &&
	grep -q "\"compacted\":false" t.json
'
done
test_done
