#!/bin/sh
# t4175-tidy-rebuild.sh - tidy on SQLite writes the records it keeps to a
# new file and renames it over the DB (tidy.c, "Tidy by rebuild"): the
# result must be what deleting in place leaves, owner and mode kept, a
# crash must leave the DB as it was, and what a writer wrote while the
# new file was built must be carried over, a record tidy left out and the
# writer wrote again included (kept, and counted as refreshed, not
# deleted).
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

run_test "the records kept are those a dry run keeps, corrupt ones too" '
	mkdir -p sp/db sp/input &&
	"$HELPER" gen "$PWD/sp/db/retry" sqlite retry 3000 5 "$(date +%s)" &&
	$PYTHON - "$PWD/sp/db/retry" <<-PY || exit 1
	import sqlite3, sys
	c = sqlite3.connect(sys.argv[1])
	c.execute("INSERT INTO tblblob VALUES (?, ?)", (b"x\0", b"junk"))
	c.commit()
	PY
	"$HINTSDB" dump -k sp retry | sort >all &&
	"$HINTSDB" tidy -n -v -t 30d sp retry |
	    sed -n "s/^retry: would delete .\(.*\). (.*)$/\1/p" | sort >due &&
	[ -s due ] && comm -23 all due >keep &&
	expect_code 1 "$HINTSDB" tidy -v -t 30d sp retry >out 2>err &&
	grep -q "corrupt record .x. kept" err &&
	"$HINTSDB" dump -k sp retry | sort >left &&
	cmp keep left &&
	[ $(grep -c "^retry: deleted " out) -eq $(wc -l <due) ] &&
	! ls -a sp/db | grep -q hintsdb
'

run_test "owner and mode kept; nothing left behind, no lockfile made" '
	mkdir -p sp/db sp/input &&
	"$HELPER" gen "$PWD/sp/db/retry" sqlite retry 2000 5 "$(date +%s)" &&
	chmod 0604 sp/db/retry &&
	"$HINTSDB" tidy -t 30d sp retry >out &&
	grep -q "deleted [1-9]" out &&
	[ "$(stat -c %a sp/db/retry)" = 604 ] &&
	[ "$(ls -a sp/db | grep -v -x -e . -e .. -e retry)" = "" ]
'

run_test "killed while it builds: the DB is as it was, the next tidy cleans up" '
	mkdir -p sp/db sp/input &&
	"$HELPER" gen "$PWD/sp/db/retry" sqlite retry 3000 5 "$(date +%s)" &&
	cp sp/db/retry before &&
	HINTSDB_TEST_KILL_AT=700 "$HINTSDB" tidy -t 30d sp retry
	[ $? -eq 137 ] && cmp before sp/db/retry &&
	ls -a sp/db | grep -q hintsdb &&
	"$HINTSDB" tidy -t 30d sp retry >out && grep -q "deleted [1-9]" out &&
	! ls -a sp/db | grep -q hintsdb
'

run_test "the new file cannot be written: tidy deletes in place instead" '
	mkdir -p sp/db sp/input &&
	"$HELPER" gen "$PWD/sp/db/retry" sqlite retry 3000 5 "$(date +%s)" &&
	"$HINTSDB" dump -k sp retry | sort >all &&
	"$HINTSDB" tidy -n -v -t 30d sp retry |
	    sed -n "s/^retry: would delete .\(.*\). (.*)$/\1/p" | sort >due &&
	comm -23 all due >keep &&
	HDB_FAULT_OP=write HDB_FAULT_PATH=.retry.hintsdb. HDB_FAULT_N=1 \
	    HDB_FAULT_STICKY=1 HDB_FAULT_ERRNO=ENOSPC \
	    LD_PRELOAD="$(dirname "$HELPER")/faultinject.so${LD_PRELOAD:+ $LD_PRELOAD}" \
	    "$HINTSDB" tidy -v -t 30d sp retry >out 2>err &&
	grep -q "retry: cannot write a new file.*; deleting in place" err &&
	[ $(grep -c "^retry: deleted " out) -eq $(wc -l <due) ] &&
	grep -q "^retry: examined 3000, deleted $(wc -l <due) " out &&
	"$HINTSDB" dump -k sp retry | sort >left && cmp keep left &&
	! ls -a sp/db | grep -q hintsdb
'

run_test "a 4.98 or 4.99 tbl is tidied in place: a new file would lose xtext" '
	mkdir -p sp/db sp/input &&
	mkdir -p src/db &&
	"$HELPER" gen "$PWD/src/db/retry" sqlite retry 2000 5 "$(date +%s)" &&
	"$HINTSDB" convert --sqlite-schema=tbl --output="$PWD/sp/db/retry" \
	    src retry || exit 1
	ino=$(stat -c %i sp/db/retry) &&
	"$HINTSDB" tidy -t 30d sp retry >out && grep -q "deleted [1-9]" out &&
	[ "$(stat -c %i sp/db/retry)" = "$ino" ]
'

run_test "a writer meanwhile: its records carried over, old ones it rewrote kept" '
	bigspool sqlite && mkdir sp/input || exit 1
	"$HELPER" writer "$PWD/sp/db/retry" 3 11 $N "$PWD/w.log" churn \
	    paced >w.out &
	wpid=$!
	sleep 0.2
	# about 10000 records kept: the build stalls for 1.5 s while it
	# writes them out in key order (no lock held), and the writer works
	HINTSDB_TEST_STALL_AT=12000:1500 "$HINTSDB" tidy -v -t 30d sp retry \
	    >t1.out || exit 1
	"$HINTSDB" tidy --format=json -t 30d sp retry >t2.json || exit 1
	wait $wpid && live_same &&
	kept=$(grep -c "^retry: kept .k[0-9]*. (written by Exim meanwhile)$" \
	    t1.out) &&
	echo "kept $kept old records the writer rewrote" >&2 &&
	[ "$kept" -gt 0 ] &&
	grep -q "refreshed kept $kept" t1.out &&
	! ls -a sp/db | grep -q hintsdb
'

test_done
