#!/bin/sh
# t5410-export-memory.sh - export holds a batch of records at a time, not
# the DB (xsort.h): 400,000 records (about 60 MB of copy, which the export
# of old needed) go out in 16 MB of address space more than an export of
# ten records needs, each once, in key order, from Berkeley DB and SQLite;
# and import reads them back to the same records (exported again: the same
# bytes).  Its spill file is in TMPDIR, 0600, unlisted, and gone after a
# normal exit, SIGTERM and SIGKILL.  ulimit -v bounds the memory, so no
# timing; under the sanitizers or valgrind, which reserve far more
# address space, only the output is checked.
. "$(dirname "$0")/lib.sh"

N=400000
NOW=--now=@1800000000

# bounded: export sp's retry in base + 16 MB; every key once, in order
bounded() {
	b=$(base_kb "$HINTSDB" export tiny retry) || return 1
	lim=$((b + 16384))
	limited $lim "$HINTSDB" export $NOW sp retry >exp ||
	    { echo "failed in $lim KB (base $b KB)"; return 1; }
	[ "$(wc -l <exp)" -eq $((N + 1)) ] &&
	head -1 exp | grep -q "\"records\":$N}\$" &&
	"$HINTSDB" dump -k sp retry >s.keys &&
	sed 1d exp | grep -o "^{\"db\":\"retry\",\"key\":\"k[0-9]*\"" |
	    sed 's/.*"key":"//; s/"$//' | cmp - s.keys
}

run_test "export of $N Berkeley DB records in bounded memory, imported back" '
	bigspool bdb && bounded &&
	mkdir -p new/db && : >new/db/retry.lockfile &&
	"$HINTSDB" import new retry <exp &&
	"$HINTSDB" export $NOW new retry | cmp - exp
'

run_test "export of $N SQLite records in bounded memory" '
	bigspool sqlite && bounded
'

run_test "the spill file: in TMPDIR, 0600, no name; gone after exit, TERM, KILL" '
	bigspool bdb && "$HINTSDB" export $NOW sp retry >want &&
	spill_killed none "$HINTSDB" export $NOW sp retry &&
	    cmp want OUT.none &&
	spill_killed TERM "$HINTSDB" export sp retry &&
	spill_killed KILL "$HINTSDB" export sp retry
'

run_test "no spill file to be had: exit 74, nothing written" '
	(N=100000 && bigspool bdb) &&
	expect_code 74 env TMPDIR="$PWD/none" "$HINTSDB" export \
	    --output=out.json sp retry >out 2>err &&
	echo "hintsdb: export: cannot make a temporary file in '"'"'$PWD/none'"'"': No such file or directory" |
	    cmp - err && [ ! -s out ] && [ ! -e out.json ]
'

test_done
