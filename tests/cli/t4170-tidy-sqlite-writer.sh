#!/bin/sh
# t4170-tidy-sqlite-writer.sh - tidy in many holds on SQLite (deleting in
# place, in short transactions) while a writer
# that behaves as Exim's SQLite code does (a 5 s busy timeout, "BEGIN",
# "INSERT OR REPLACE INTO tblblob", "COMMIT") writes a fresh retry record
# every 10 ms: every write must succeed and be there afterwards, tidy must
# succeed too (SQLite has no queue: each side only gets the lock by trying
# at a moment it is free).  tidy's JSON must report its pauses between
# holds, longer on SQLite, whose waiting writers poll, than on a backend
# whose writers block on the lockfile (there --no-compact: a rebuild
# pauses differently).  How long the writer waited is
# printed (to stderr), never asserted: timing bounds belong in `make bench`.
# How many holds a run makes is forced by a record count
# (HINTSDB_TEST_HOLD_RECORDS), never left to the machine's speed.
. "$(dirname "$0")/lib.sh"

# Debian's python3, not a slow shim in front of it
PY=$(command -v /usr/bin/python3 || command -v python3)

N=10000
export HINTSDB_TEST_HOLD_RECORDS=500	# 20 pieces a read of N

# gen DIR BACKEND: spool DIR/ with N retry records, about half old
gen() {
	mkdir -p "$1/db" "$1/input" &&
	"$HELPER" gen "$PWD/$1/db/retry" "$2" retry $N 7 "$(date +%s)" &&
	: >"$1/db/retry.lockfile"
}

# gaps JSON MS [rebuilt]: the JSON summary of a tidy run: its holds, and
# the pauses of MS between them; a pause after each hold but the last,
# or, rebuilt (SQLite: read transactions, the rename, the catch-up's
# writes), a pause between two read transactions
gaps() {
	"$PY" - "$1" "$2" "${3:-}" <<-PY
	import json, sys
	o = json.loads(open(sys.argv[1]).read().splitlines()[-1])
	assert o["status"] == 0 and o["deleted"] > 0, o
	assert o["lock_holds"] > 1, o
	if sys.argv[3]:
	    assert 0 < o["lock_gaps"] <= o["lock_holds"] - 2, o
	    assert 0 < o["read_lock_held_ms"] < 1000, o
	else:
	    assert o["lock_gaps"] == o["lock_holds"] - 1, o
	assert o["gap_ms"] == float(sys.argv[2]), o
	PY
}

run_test "holds and gaps: SQLite pauses 30% of the budget (2 ms at least), BDB 2 ms" '
	gen sqlite sqlite && gen bdb bdb &&
	"$HINTSDB" tidy --format=json --max-lock-ms=20 sqlite retry >s.json &&
	gaps s.json 6 &&
	"$HINTSDB" tidy --format=json --no-compact --max-lock-ms=20 bdb retry >b.json &&
	gaps b.json 2 &&
	gen sqlite1 sqlite &&
	"$HINTSDB" tidy --format=json --max-lock-ms=1 sqlite1 retry >s1.json &&
	gaps s1.json 2
'

run_test "tidy on SQLite lets an Exim-like writer in: no write fails" '
	gen sqlite sqlite || exit 1
	"$PY" - "$PWD/sqlite/db/retry" stop w.out <<-PY &
	import os, select, sqlite3, struct, sys, time
	db, stop, out = sys.argv[1:4]
	n = failed = 0
	worst = 0.0
	while not os.path.exists(stop) or n == 0:
	    now = int(time.time())
	    key = b"probe:%d\0" % n
	    val = struct.pack("<qqqqiii", now, now, now, now + 900, 0, -44,
	        0) + b"init\0\0\0\0"
	    t0 = time.monotonic()
	    c = sqlite3.connect(db, timeout=5.0, isolation_level=None)
	    try:
	        c.execute("BEGIN TRANSACTION")
	        c.execute("INSERT OR REPLACE INTO tblblob (ky, dat) "
	            "VALUES (?, ?)", (key, val))
	        c.execute("COMMIT TRANSACTION")
	    except sqlite3.OperationalError as e:
	        failed += 1
	        print("write %d failed: %s" % (n, e), file=sys.stderr)
	    c.close()
	    worst = max(worst, time.monotonic() - t0)
	    n += 1
	    select.select([], [], [], 0.01)  # time.sleep fails under faketime
	open(out, "w").write("%d %d\n" % (n, failed))
	print("writer: %d writes, %d failed, worst %.1f ms" % (n, failed,
	    worst * 1000), file=sys.stderr)
	PY
	wpid=$!
	sleep 0.3
	"$HINTSDB" tidy --format=json --max-lock-ms=20 sqlite retry >t.json
	st=$?
	: >stop
	wait $wpid || exit 1
	[ $st -eq 0 ] || { cat t.json; exit 1; }
	read n failed <w.out &&
	[ "$failed" -eq 0 ] &&
	"$HINTSDB" dump -k sqlite retry >keys &&
	[ "$(grep -c "^probe:" keys)" -eq "$n" ] &&
	gaps t.json 6
'
test_done
