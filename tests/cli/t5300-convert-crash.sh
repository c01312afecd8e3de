#!/bin/sh
# t5300-convert-crash.sh - convert --in-place killed with SIGKILL at every
# step (HINTSDB_TEST_KILL_AT=N makes the process kill itself at its N-th
# test point: after opening the new DB, after each record, after the sync,
# the count, each fsync, each rename and each removal), and at random moments
# on a large DB.  Before the switch the original files must be byte-
# identical; after it the new DB must be complete.  The private directories
# a killed run leaves (the new DB's, and the one that keeps the old DB for
# the catch-up) are removed by the next run, so at most two are ever
# there, and none once a run has finished.
. "$(dirname "$0")/lib.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
NOW=--now=2030-01-01T00:00:00Z

# leftovers DB: how many private directories of DB are in sp/db
leftovers() {
	set -- sp/db/.$1.hintsdb.*
	[ -e "$1" ] && echo $# || echo 0
}

# crash DB OPTS SWITCHED ORIGFILES: kill `convert OPTS --in-place sp DB` at
# every test point until a run completes.  SWITCHED is a shell test that is
# true once the new DB is the one readers see.
crash() {
	db=$1 opts=$2 switched=$3 files=$4
	orig=$(cd sp/db && md5sum $files) &&
	"$HINTSDB" convert $opts --output=expected "$SPOOL_EX" $db &&
	"$HINTSDB" dump --format=json $NOW --file=expected --type=$db \
	    >expected.json &&
	n=1 before=0 after=0 &&
	while :; do
		HINTSDB_TEST_KILL_AT=$n "$HINTSDB" convert $opts --in-place \
		    sp $db 2>err
		rc=$?
		[ $rc -eq 0 ] && break
		[ $rc -eq 137 ] || { echo "point $n: status $rc"; cat err; return 1; }
		[ "$(leftovers $db)" -le 2 ] ||
		    { echo "point $n: $(leftovers $db) leftovers"; return 1; }
		if eval "$switched"; then
			after=$((after + 1))
			"$HINTSDB" dump --format=json $NOW --file=sp/db/$db \
			    --type=$db >got.json &&
			cmp expected.json got.json ||
			    { echo "point $n: new DB incomplete"; return 1; }
		else
			before=$((before + 1))
			[ "$(cd sp/db && md5sum $files)" = "$orig" ] ||
			    { echo "point $n: original changed"; return 1; }
		fi
		n=$((n + 1))
		[ $n -lt 200 ] || { echo "never completed"; return 1; }
	done &&
	echo "$db: $before points before the switch, $after after" &&
	[ $before -gt 3 ] && [ $after -ge 1 ] &&
	[ "$(leftovers $db)" -eq 0 ] &&
	"$HINTSDB" dump --format=json $NOW --file=sp/db/$db --type=$db \
	    >got.json && cmp expected.json got.json
}

run_test "legacy to v2 in the same BDB file" '
	cp -a "$SPOOL_EX" sp &&
	crash seen "--to-layout=v2" \
	    "! cmp -s sp/db/seen \"$SPOOL_EX/db/seen\"" seen
'
run_test "BDB to the NDBM pair (the old file goes last)" '
	cp -a "$SPOOL_EX" sp &&
	crash retry "--to-backend=ndbm" "test ! -e sp/db/retry" retry &&
	test -f sp/db/retry.dir && test -f sp/db/retry.pag
'
run_test "the NDBM pair to SQLite v2" '
	cp -a "$SPOOL_EX" sp && rm sp/db/tls &&
	"$HINTSDB" convert --to-backend=ndbm --output=sp/db/tls \
	    "$SPOOL_EX" tls &&
	crash tls "--to-backend=sqlite --to-layout=v2" "test -e sp/db/tls" \
	    "tls.dir tls.pag" &&
	test ! -e sp/db/tls.dir && test ! -e sp/db/tls.pag
'
run_test "killed at random moments on a large DB" '
	mkdir -p sp/db &&
	"$PY" - >big.jsonl <<-"PY" &&
	import base64, json, struct
	n = 20000
	hdr = {"hintsdb_export": 1, "db": "seen", "type": "seen",
	       "backend": "bdb", "layout": "legacy", "abi": "x86_64-lp64-le",
	       "records": n}
	print(json.dumps(hdr))
	for i in range(n):
	    raw = struct.pack("<q", 1795700000 + i)
	    print(json.dumps({"key": "198.51.%d.%d" % (i // 256, i % 256),
	                      "raw": base64.b64encode(raw).decode()}))
	PY
	"$HINTSDB" import sp seen <big.jsonl &&
	orig=$(md5sum <sp/db/seen) && switched=0 &&
	for d in 0.02 0.04 0.06 0.08 0.1 0.15; do
		"$HINTSDB" convert --to-layout=v2 --in-place sp seen &
		pid=$!
		sleep $d
		kill -KILL $pid 2>/dev/null
		wait $pid
		[ "$(leftovers seen)" -le 2 ] || exit 1
		if [ "$(md5sum <sp/db/seen)" != "$orig" ]; then
			# finished (or switched) before the kill
			"$HINTSDB" stat --format=json sp seen >st &&
			grep -q "\"records\":20000,\"legacy\":0,\"v2\":20000," st ||
			    exit 1
			switched=1
			break
		fi
	done &&
	echo "switched before the last kill: $switched" &&
	"$HINTSDB" convert --to-layout=v2 --in-place sp seen &&
	[ "$(leftovers seen)" -eq 0 ] &&
	"$HINTSDB" stat --format=json sp seen >st &&
	grep -q "\"records\":20000,\"legacy\":0,\"v2\":20000," st
'
run_test "a leftover of a live process is not removed" '
	cp -a "$SPOOL_EX" sp &&
	mkdir sp/db/.seen.hintsdb.$$.AbCdEf sp/db/.seen.hintsdb.999999999.AbCdEf &&
	"$HINTSDB" convert --to-layout=v2 --in-place sp seen &&
	test -d sp/db/.seen.hintsdb.$$.AbCdEf &&
	test ! -e sp/db/.seen.hintsdb.999999999.AbCdEf
'
test_done
