#!/bin/sh
# t4191-tidy-sqlite-presync.sh - tidy on SQLite writes out what the
# filesystem holds dirty (syncfs of SPOOL/db) before each write hold,
# outside the lock: a commit in Exim's journal mode makes a new journal
# file, whose first fdatasync commits the filesystem's journal, and on
# ext4 that wrote out every other file's dirty data while the hold was
# still on (holds of 100-200 ms on a busy machine).  Counted with
# faultinject.so, never timed: one syncfs a write hold, each before the
# hold's commit (the journal's syncs, then the DB's), none inside one; none
# for a dry run or another backend; and a failing syncfs changes nothing
# (it is only advice to the kernel).  The holds are forced by a record
# count (HINTSDB_TEST_HOLD_RECORDS).
# Under make check-future this file runs on the real clock: the run with
# a failing syncfs preloads faultinject.so in libfaketime's place, so the
# two runs it compares would judge ages by different clocks.  Its records
# are made at test time; no result depends on the date.
if [ -n "${FAKETIME:-}" ]; then
	exec env -u LD_PRELOAD -u FAKETIME -u FAKETIME_SHARED sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

FAULT=${FAULTINJECT:-$(dirname "$HELPER")/faultinject.so}
N=4000
export HINTSDB_TEST_HOLD_RECORDS=400

# gen DIR BACKEND: spool DIR/ with N retry records, about half old
gen() {
	mkdir -p "$1/db" "$1/input" &&
	"$HELPER" gen "$PWD/$1/db/retry" "$2" retry $N 7 "$(date +%s)" &&
	: >"$1/db/retry.lockfile"
}

# logged DIR ARGS...: tidy ARGS on DIR, its fsync-class calls in DIR.log
logged() {
	d=$1
	shift
	LD_PRELOAD="$FAULT" HDB_FAULT_OP=fsync HDB_FAULT_LOG="$PWD/$d.log" \
	    "$HINTSDB" tidy --format=json "$@" "$d" retry >"$d.json"
}

# holds DIR: each write hold one syncfs of DIR/db, then its commit: the
# journal's syncs and the DB's; the count of holds from tidy's JSON
holds() {
	"$PYTHON" - "$1" <<-PY
	import json, os, re, sys
	d = sys.argv[1]
	o = json.load(open(d + ".json"))
	assert o["status"] == 0 and o["deleted"] > 0, o
	assert o["lock_holds"] >= 5, o
	db = os.path.realpath(d + "/db")
	ops = []
	for line in open(d + ".log"):
	    n, op, path = line.split(" ", 2)
	    path = path.strip()
	    if op == "syncfs":
	        assert path == db, line
	        ops.append("S")
	    elif path == db + "/retry-journal":
	        ops.append("j")
	    elif path == db + "/retry":
	        ops.append("d")
	    else:
	        raise SystemExit("unexpected: " + line)
	seq = "".join(ops)
	assert re.fullmatch(r"(Sj+d)+", seq), seq
	assert seq.count("S") == o["lock_holds"], (seq, o)
	PY
}

run_test "SQLite: one syncfs of SPOOL/db before each write hold, none inside one" '
	gen sp sqlite &&
	logged sp &&
	holds sp
'

run_test "no syncfs for a dry run, nor on Berkeley DB" '
	gen dry sqlite && gen bdb bdb &&
	logged dry --dry-run &&
	logged bdb --no-compact &&
	! grep -q " syncfs " dry.log &&
	! grep -q " syncfs " bdb.log &&
	grep -q "\"deleted\":[1-9]" dry.json
'

run_test "a failing syncfs changes nothing: the same records are left" '
	gen a sqlite && cp -a a b &&
	"$HINTSDB" tidy --format=json a retry >a.json &&
	LD_PRELOAD="$FAULT" HDB_FAULT_OP=fsync HDB_FAULT_N=1 \
	    HDB_FAULT_LOG="$PWD/b.log" "$HINTSDB" tidy --format=json b retry \
	    >b.json &&
	grep -q "^FAIL 1 syncfs " b.log &&
	"$HINTSDB" dump -k a retry >a.keys &&
	"$HINTSDB" dump -k b retry >b.keys &&
	[ -s a.keys ] && cmp a.keys b.keys &&
	grep -q "\"deleted\":[1-9]" b.json
'
test_done
