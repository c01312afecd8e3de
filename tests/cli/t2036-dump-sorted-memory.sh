#!/bin/sh
# t2036-dump-sorted-memory.sh - a sorted dump holds a batch of records at
# a time (xsort.h), not the DB: with 400,000 records (about 60 MB of
# copy, which the dump of old needed) a sorted dump in text, JSON or of
# the keys runs in 16 MB of address space more than a sorted dump of ten
# records needs, from Berkeley DB and from SQLite, and writes each record
# once, in key order.  Its spill file is in TMPDIR, 0600, unlisted, and
# gone after a normal exit, SIGTERM and SIGKILL.  ulimit -v bounds the
# memory, so no timing; under the sanitizers or valgrind, which reserve
# far more address space, only the output is checked.
. "$(dirname "$0")/lib.sh"

N=400000

# sorted_bounded: sorted dumps of sp's retry in base + 16 MB
sorted_bounded() {
	b=$(base_kb "$HINTSDB" dump tiny retry) || return 1
	lim=$((b + 16384))
	limited $lim "$HINTSDB" dump -k sp retry >s.keys &&
	limited $lim "$HINTSDB" dump sp retry >t.out &&
	limited $lim "$HINTSDB" dump --format=json sp retry >j.out ||
	    { echo "failed in $lim KB (base $b KB)"; return 1; }
	"$HINTSDB" dump --unsorted -k sp retry >u.keys &&
	[ "$(wc -l <u.keys)" -eq $N ] && sort u.keys | cmp - s.keys &&
	grep "^k" t.out | cmp - s.keys &&
	grep -o "^{\"db\":\"retry\",\"key\":\"k[0-9]*\"" j.out |
	    sed 's/.*"key":"//; s/"$//' | cmp - s.keys
}

run_test "sorted dump of $N Berkeley DB records in bounded memory" '
	bigspool bdb && sorted_bounded
'

run_test "sorted and unsorted dump of $N SQLite records in bounded memory" '
	bigspool sqlite && sorted_bounded &&
	limited $lim "$HINTSDB" dump --unsorted -k sp retry >u2.keys &&
	cmp u.keys u2.keys
'

run_test "the spill file: in TMPDIR, 0600, no name; gone after exit, TERM, KILL" '
	bigspool bdb && "$HINTSDB" dump --now=@1800000000 sp retry >want &&
	spill_killed none "$HINTSDB" dump --now=@1800000000 sp retry &&
	    cmp want OUT.none &&
	spill_killed TERM "$HINTSDB" dump sp retry &&
	spill_killed KILL "$HINTSDB" dump sp retry
'

run_test "no spill file to be had: exit 74, nothing written" '
	(N=100000 && bigspool bdb) &&
	expect_code 74 env TMPDIR="$PWD/none" "$HINTSDB" dump sp retry \
	    >out 2>err &&
	echo "hintsdb: dump: cannot make a temporary file in '"'"'$PWD/none'"'"': No such file or directory" |
	    cmp - err && [ ! -s out ]
'

test_done
