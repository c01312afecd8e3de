#!/bin/sh
# t4176-swap-writers.sh - where Exim opens the DB without a lockfile
# (SQLite; tdb from 4.99), tidy, convert --in-place and import must never
# leave a live writer holding the old file: a writer whose write waited
# out a rename in SQLite's busy handler, or that kept its connection
# open, then writes into the moved file, and fails (SQLITE_READONLY_DBMOVED)
# or is lost.  Three writers act as Exim 4.100.1 does (open per write,
# BEGIN; INSERT OR REPLACE; COMMIT; close; every 1 ms) and one keeps its
# connection open (`hdb-test sqlwriter`); they run from before the command
# until 50 writes after it ends.  Afterwards no write failed (a busy
# timeout, which depends on the machine's load, is printed, not counted),
# and every acknowledged write is in the DB.  Nothing here depends on
# timing: the writers that go on after the command meet whatever it left.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
N=20000		# records k0..k<N-1>, text "init"; the even ones 40 days old

# fresh_kept: the N/2 fresh records k<odd> are there, and (tidy) no old one
fresh_kept() {
	"$HINTSDB" dump --format=exim sp retry | awk '/^  k[0-9]/ { print $1 }' |
	    sort >keys &&
	[ $(awk '{ sub(/^k/, ""); if ($0 % 2) n++ } END { print n + 0 }' \
	    keys) = $((N / 2)) ]
}

# smash_leaf: damage a leaf page of old rows in the SQLite DB (a third
# into its table, by SQLite's dbstat)
smash_leaf() {
	"$PYTHON" -c "import sqlite3
c = sqlite3.connect('file:sp/db/retry?mode=ro', uri=True)
r = c.execute(\"SELECT pageno FROM dbstat WHERE name = 'tblblob' AND \"
    \"pagetype = 'leaf' ORDER BY pageno\").fetchall()
c.close()
f = open('sp/db/retry', 'r+b')
f.seek((r[len(r) // 3][0] - 1) * 4096 + 100)
f.write(bytes([255]) * 400)"
}

run_test "sqlite: tidy beside Exim 4.100.1-like writers: no write lost" '
	bigspool sqlite && mkdir sp/input && rm -f sp/db/retry.lockfile && writers || exit 1
	"$HINTSDB" tidy -t 30d sp retry >tidy.out 2>err
	rc=$?; echo "exit $rc"
	writers_done && [ $rc = 0 ] && acked_kept && fresh_kept &&
	[ $(wc -l <keys) = $((N / 2)) ] &&
	! ls sp/db/.retry.hintsdb.* 2>/dev/null
'

run_test "sqlite: convert --in-place beside Exim-like writers: no write lost" '
	bigspool sqlite && mkdir sp/input && rm -f sp/db/retry.lockfile && writers || exit 1
	"$HINTSDB" convert --in-place --to-layout=v2 sp retry >conv.out 2>err
	rc=$?; echo "exit $rc"
	writers_done && [ $rc = 0 ] && acked_kept && fresh_kept &&
	[ $(wc -l <keys) = $N ] && ! ls sp/db/.retry.hintsdb.* 2>/dev/null
'

# An import replaces what the DB held when it began, Exim's writes before
# included: the writers start once it has begun (its new file is there).
run_test "sqlite: import beside Exim-like writers: no write lost" '
	bigspool sqlite && mkdir sp/input && rm -f sp/db/retry.lockfile &&
	"$HINTSDB" export sp retry >ex.jsonl && mkfifo in || exit 1
	"$HINTSDB" import sp retry <in >imp.out 2>err &
	ipid=$!
	exec 3>in
	head -n 2 ex.jsonl >&3
	_n=0
	while ! ls -a sp/db | grep -q "^\.retry\.hintsdb\."; do
		_n=$((_n + 1))
		[ $_n -lt 400 ] || { echo "import did not begin in 20 s"; exit 1; }
		sleep 0.05
	done
	writers || exit 1
	tail -n +3 ex.jsonl >&3
	exec 3>&-
	wait $ipid
	rc=$?; echo "exit $rc"
	writers_done && [ $rc = 0 ] && acked_kept && fresh_kept &&
	[ $(wc -l <keys) = $N ] && ! ls sp/db/.retry.hintsdb.* 2>/dev/null
'
# check --repair writes the repaired DB into the file (SQLite's backup API,
# in one transaction), re-reading it if Exim wrote meanwhile; it gives up
# (75) rather than overwrite a write it did not read.  The damage is in a
# leaf of old rows, away from the writers' keys.
run_test "sqlite: check --repair beside Exim-like writers: no write lost" '
	bigspool sqlite && mkdir sp/input && rm -f sp/db/retry.lockfile &&
	ino=$(stat -c %i sp/db/retry) && smash_leaf && writers || exit 1
	"$HINTSDB" check --repair sp retry >rep.out 2>err
	rc=$?; echo "exit $rc"; cat rep.out
	writers_done && { [ $rc = 1 ] || [ $rc = 75 ]; } &&
	{ [ $rc = 75 ] || grep -q "^retry: repaired in place: " rep.out; } &&
	acked_kept && [ "$(stat -c %i sp/db/retry)" = "$ino" ] &&
	! ls sp/db/.retry.hintsdb.* 2>/dev/null
'
# tdb as Exim 4.99 and later use it: no lockfile, a transaction a write
run_test "tdb, no lockfile: convert --in-place beside transaction writers" '
	bigspool tdb && mkdir sp/input && rm -f sp/db/retry.lockfile &&
	writers tdb || exit 1
	"$HINTSDB" convert --in-place --to-layout=v2 sp retry >conv.out 2>err
	rc=$?; echo "exit $rc"
	writers_done && [ $rc = 0 ] && acked_kept && fresh_kept &&
	[ $(wc -l <keys) = $N ] && ! ls sp/db/.retry.hintsdb.* 2>/dev/null
'
test_done
