#!/bin/sh
# t4176-swap-writers.sh - where Exim opens the DB without a lockfile
# (SQLite; tdb from 4.99), tidy, convert --in-place and import must never
# leave a live writer holding the old file: a writer whose write waited
# out a rename in SQLite's busy handler, or that kept its connection
# open, then writes into the moved file, and fails (SQLITE_READONLY_DBMOVED)
# or is lost.  Three writers act as Exim 4.100.1 does (open per write,
# BEGIN; INSERT OR REPLACE; COMMIT; close; every 1 ms) and one keeps its
# connection open (`hdb-test sqlwriter`); they run from before the command
# until 50 writes after it ends.  Afterwards no write failed, and every
# acknowledged write is in the DB.  Nothing here depends on timing: the
# writers that go on after the command meet whatever it left.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
N=20000		# records k0..k<N-1>, text "init"; the even ones 40 days old

# writers: 3 Exim-like writers and one that keeps its connection, each
# logging to w<i>.log; returns once each has written once (at most 20 s)
writers() {
	rm -f stop
	pids=
	for i in 1 2 3 4; do
		keep=
		[ $i = 4 ] && keep=keep
		"$HELPER" sqlwriter "$PWD/sp/db/retry" $i 200 "$PWD/w$i.log" \
		    "$PWD/stop" $keep >w$i.out 2>&1 &
		pids="$pids $!"
	done
	_n=0
	for i in 1 2 3 4; do
		while [ ! -s w$i.log ]; do
			_n=$((_n + 1))
			if [ $_n -ge 400 ]; then
				echo "writer $i wrote nothing in 20 s" >&2
				kill $pids
				return 1
			fi
			sleep 0.05
		done
	done
}

# writers_done: stop the writers (each ends 50 writes later, or gives up
# by itself after 300 s) and check that no write failed
writers_done() {
	: >stop
	_rc=0
	for p in $pids; do
		wait $p || _rc=1
	done
	cat w[1-4].out
	[ $_rc = 0 ] && ! grep -v " failed 0$" w[1-4].out &&
	    ! grep " FAIL " w[1-4].log
}

# acked_kept: the last acknowledged write to every writer key is in the DB
acked_kept() {
	cat w[1-4].log | awk '{ s[$1] = $2 } END { for (k in s) print k, s[k] }' |
	    sort >want &&
	"$HINTSDB" dump --format=exim sp retry |
	    awk '/^  w/ { print $1, $4 }' | sort >have &&
	[ -s want ] && [ -z "$(comm -23 want have)" ]
}

# fresh_kept: the N/2 fresh records k<odd> are there, and (tidy) no old one
fresh_kept() {
	"$HINTSDB" dump --format=exim sp retry | awk '/^  k[0-9]/ { print $1 }' |
	    sort >keys &&
	[ $(awk '{ sub(/^k/, ""); if ($0 % 2) n++ } END { print n + 0 }' \
	    keys) = $((N / 2)) ]
}

run_test "sqlite: tidy beside Exim 4.100.1-like writers: no write lost" '
	bigspool sqlite && mkdir sp/input && rm -f sp/db/retry.lockfile && writers || exit 1
	"$HINTSDB" tidy -t 30d sp retry >tidy.out 2>err
	rc=$?
	writers_done && [ $rc = 0 ] && acked_kept && fresh_kept &&
	[ $(wc -l <keys) = $((N / 2)) ] &&
	! ls sp/db/.retry.hintsdb.* 2>/dev/null
'

test_done
