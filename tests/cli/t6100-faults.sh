#!/bin/sh
# t6100-faults.sh - the writers (tidy, fix, delete, convert --in-place,
# import) with a failing system call: tests/helper/faultinject.so
# (LD_PRELOAD) fails the Nth write, fsync, rename or truncation on the
# spool's db directory, for every N the command reaches, once as a single
# failure and once as a full disk (every call from N on).  Each run must
# not crash, must exit with an error (or, when a single failed call was
# retried, succeed with the complete update), and must leave no temporary
# file and a database that opens and passes
# `hintsdb check`, in which every record is as it was or as a clean run
# leaves it (convert, import and fix: the whole DB one or the other).
# Call N must be the same call in every run, so no hold may end by the
# clock: each runs to a record count (HINTSDB_TEST_HOLD_RECORDS) that
# these small DBs never reach.
. "$(dirname "$0")/lib.sh"
export HINTSDB_TEST_HOLD_RECORDS=1000000

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
NOW=--now=2030-01-01T00:00:00Z
FAULT=${FAULTINJECT:-$(dirname "$HELPER")/faultinject.so}
# at most this many call numbers per writer and mode (first, last, spread);
# fewer under the sanitizers, where every run costs more
MAXN=${HDB_FAULT_MAXN:-24}
[ -n "${HDB_SAN:-}${HDB_VALGRIND:-}" ] && MAXN=${HDB_FAULT_MAXN:-9}

# state DB: sp/db/DB as `export` sees it: a header (backend, layout,
# count) and the records
state() {
	"$HINTSDB" export $NOW sp "$1"
}

# pick N: the call numbers to try out of 1..N
pick() {
	"$PY" -c '
import sys
n, m = int(sys.argv[1]), int(sys.argv[2])
if n <= m:
    s = range(1, n + 1)
else:
    k = m // 3
    s = set(range(1, k + 1)) | set(range(n - k + 1, n + 1))
    s |= {1 + (n - 1) * i // (m - 2 * k + 1) for i in range(1, m - 2 * k + 1)}
print(" ".join(str(x) for x in sorted(s)))
' "$1" "$MAXN"
}

# same ORIG FINAL GOT WHOLE: every record of GOT is as in ORIG or as in
# FINAL (WHOLE=1: all of them from the same one)
same() {
	"$PY" - "$@" <<-"PY"
	import json, sys
	def load(p):
	    d = {}
	    for line in open(p):
	        o = json.loads(line)
	        o.pop("age_s", None)
	        o.pop("records", None)      # the header's count
	        k = o.get("key_b64", o.get("key", "(export header)"))
	        d[k] = json.dumps(o, sort_keys=True)
	    return d
	orig, final, got = (load(p) for p in sys.argv[1:4])
	whole = sys.argv[4] == "1"
	bad, from_orig, from_final = [], 0, 0
	for k in set(orig) | set(final) | set(got):
	    g, o, f = got.get(k), orig.get(k), final.get(k)
	    if g == o and g == f:
	        continue
	    if g == o:
	        from_orig += 1
	    elif g == f:
	        from_final += 1
	    else:
	        bad.append(k)
	if bad:
	    print("records neither as before nor as after:", bad[:5])
	    sys.exit(1)
	if whole and from_orig and from_final:
	    print("half-written: %d records old, %d new" % (from_orig, from_final))
	    sys.exit(1)
	PY
}

# durable <LOG: the number of the flush that made a clean run's last
# write durable (the first fsync after it); the calls after it only
# flush again what is on disk already, so a disk that fills from there
# on loses nothing.  The last call if there is no such flush.
durable() {
	awk '$2 !~ /^(fsync|fdatasync|msync)$/ { w = NR; d = 0 }
	    $2 ~ /^(fsync|fdatasync|msync)$/ && w && !d { d = NR }
	    END { print d ? d : NR }'
}

# faulty N LOG CMD: run CMD with the shim failing call N (none if empty),
# counting the calls on the spool's db directory into LOG
faulty() {
	(
		[ -n "$1" ] && export HDB_FAULT_N="$1"
		export HDB_FAULT_LOG="$2" HDB_FAULT_PATH=/sp/db/
		export HDB_FAULT_STICKY="${HDB_FAULT_STICKY:-0}"
		export LD_PRELOAD="$FAULT${LD_PRELOAD:+ $LD_PRELOAD}" HINTSDB NOW
		eval "$3"
	)
}

# writer NAME DB SETUP CMD [WHOLE]: CMD (run in the test directory, on
# sp/db/DB prepared by SETUP) under every fault; see the file comment
writer() {
	wname=$1 db=$2 setup=$3 cmd=$4 whole=${5:-0}
	run_test "$wname: a clean run, counted" '
		rm -rf sp && eval "$setup" && state '"$db"' >orig.json &&
		faulty "" "$PWD/calls" "$cmd" >out 2>err &&
		state '"$db"' >final.json &&
		! cmp -s orig.json final.json &&
		test -s calls && wc -l <calls >ncalls &&
		durable <calls >ndurable &&
		cp orig.json final.json calls ncalls ndurable "$TRASH/"
	'
	[ -s "$TRASH/ncalls" ] || return 0
	for sticky in 0 1; do
		run_test "$wname: every failed call (sticky=$sticky)" '
			cp "$TRASH/orig.json" "$TRASH/final.json" . &&
			nd=$(cat "$TRASH/ndurable") && bad=0 &&
			for n in $(pick "$(cat "$TRASH/ncalls")"); do
				rm -rf sp && eval "$setup" || exit 1
				HDB_FAULT_STICKY='"$sticky"' faulty $n "$PWD/log" \
				    "$cmd" >out 2>err
				rc=$?
				what="call $n ($(grep "^FAIL" log 2>/dev/null |
				    head -n 1 | cut -d" " -f3-4 |
				    sed "s|$PWD/||g"))"
				rm -f log
				if [ $rc -gt 128 ]; then
					echo "$what: crashed ($rc)"; bad=1; continue
				fi
				if ! "$HINTSDB" check $NOW sp '"$db"' >chk 2>&1; then
					echo "$what: exit $rc, DB fails check:"
					head -n 3 chk; bad=1; continue
				fi
				state '"$db"' >got.json 2>/dev/null || {
					echo "$what: DB does not dump"; bad=1; continue; }
				if ! same orig.json final.json got.json '"$whole"'; then
					echo "$what: exit $rc"; bad=1; continue
				fi
				# A single failed call may be retried (BDB retries
				# EIO); then success must mean a complete update.
				# On a full disk nothing can succeed, unless it
				# fills only after the last write was flushed.
				if [ $rc -eq 0 ] && { { [ '"$sticky"' = 1 ] &&
				    [ $n -le $nd ]; } ||
				    ! cmp -s got.json final.json; }; then
					echo "$what: exit 0, but the update is not complete"
					bad=1
				fi
				# no temporary file of the DB may be left behind
				left=$(ls -a sp/db | grep -F "'"$db"'" |
				    grep -vx "'"$db"'\(\.dir\|\.pag\|\.lockfile\)\{0,1\}")
				if [ -n "$left" ]; then
					echo "$what: left behind:" $left
					bad=1
				fi
			done &&
			[ $bad -eq 0 ]
		'
	done
	rm -f "$TRASH/ncalls" "$TRASH/ndurable" "$TRASH/calls"
}

run_test "the fault shim is built" 'test -f "$FAULT"'

writer "tidy" retry 'copy_spool sp' \
    '"$HINTSDB" tidy -t 7d $NOW sp retry'
writer "tidy wait" wait-remote_smtp 'copy_spool sp' \
    '"$HINTSDB" tidy -t 7d $NOW sp wait-remote_smtp'
writer "delete" callout 'copy_spool sp' \
    '"$HINTSDB" delete sp callout client.example test.example \
    "ok1@test.example/<alice@client.example>"'
writer "delete --match on tdb (a sweep)" retry \
    'copy_spool sp &&
     "$HINTSDB" convert --in-place --to-backend=tdb sp retry >/dev/null' \
    '"$HINTSDB" delete --match="R:*" sp retry'
writer "fix edit" retry 'copy_spool sp' \
    'printf "R:defer.example 0 -77\n" | "$HINTSDB" fix $NOW sp retry' 1
writer "fix delete" retry 'copy_spool sp' \
    'printf "R:defer.example d\n" | "$HINTSDB" fix $NOW sp retry' 1
writer "convert to gdbm" retry 'copy_spool sp' \
    '"$HINTSDB" convert --in-place --to-backend=gdbm sp retry' 1
writer "convert to v2" ratelimit 'copy_spool sp' \
    '"$HINTSDB" convert --in-place --to-layout=v2 sp ratelimit' 1
writer "convert to sqlite" callout 'copy_spool sp' \
    '"$HINTSDB" convert --in-place --to-backend=sqlite sp callout' 1
writer "import" retry \
    'copy_spool sp && "$HINTSDB" delete -q sp retry R:defer.example &&
     "$HINTSDB" export $NOW "$SPOOL_EX" retry >exp.jsonl' \
    '"$HINTSDB" import sp retry <exp.jsonl' 1
test_done
