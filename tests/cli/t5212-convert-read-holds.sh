#!/bin/sh
# t5212-convert-read-holds.sh - convert --in-place reads the old DB in
# short read-lock holds that only read: the new DB is written between
# them, with no lock held, so that an Exim process that wants to write
# waits for a read, never for the new file's writes (libdb evicting its
# cache, writeback started every few MB).  Forced by counts, not by the
# clock: each hold reads 1000 records (HINTSDB_TEST_HOLD_RECORDS), and
# the build stalls at a test point in its 5000th write into the new DB
# until the test has tried Exim's write lock once, without waiting.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
N=20000		# records

# read_holds FILE: "HOLDS MOST" from -v's line on the read holds
read_holds() {
	sed -n 's/^retry: read in \([0-9]*\) holds\{0,1\} of at most \([0-9]*\) records\{0,1\} each, [0-9]* of them reading the whole file first; longest [0-9.]* ms$/\1 \2/p' "$1"
}

# try_write_lock FILE: take and drop a write lock on FILE as Exim would,
# at once or not at all
try_write_lock() {
	"$PYTHON" -c '
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
' "$1"
}

for be in bdb gdbm tdb; do
run_test "$be: convert --in-place reads in holds of 1000 records" '
	bigspool '"$be"' || exit 1
	HINTSDB_TEST_HOLD_RECORDS=1000 "$HINTSDB" convert -v --in-place \
	    --to-layout=v2 sp retry >c.out || exit 1
	cat c.out >&2
	set -- $(read_holds c.out)
	# a hold for each 1000 records, and one that finds the end; on GDBM
	# a hold after one that might have seen a change (a file written
	# within a clock tick) goes back 256 records (pieces.h)
	most='"$(test $be = gdbm && echo 28 || echo 21)"'
	[ "${1:-0}" -ge 21 ] && [ "$1" -le $most ] && [ "${2:-x}" = 1000 ] &&
	    grep -q "^retry: $N records from .* $N re-encoded" c.out &&
	    [ $("$HINTSDB" dump -k sp retry | wc -l) -eq $N ]
'
run_test "$be: no write to the new DB under the read lock" '
	bigspool '"$be"' || exit 1
	HINTSDB_TEST_HOLD_RECORDS=1000 HINTSDB_TEST_STALL_AT=5000:60000 \
	HINTSDB_TEST_STALL_UNTIL="$PWD/go" \
	HINTSDB_TEST_STALL_MARK="$PWD/stalled" \
	    "$HINTSDB" convert -v --in-place --to-layout=v2 sp retry \
	    >c.out &
	cpid=$!
	wait_for 60 "the build at its 5000th write" $cpid test -e stalled
	try_write_lock sp/db/retry.lockfile; locked=$?
	: >go
	wait $cpid || exit 1
	cat c.out >&2
	[ $locked = 0 ] &&
	    [ $("$HINTSDB" dump -k sp retry | wc -l) -eq $N ] &&
	    ! ls sp/db/.retry.hintsdb.* 2>/dev/null
'
done
test_done
