#!/bin/sh
# t5310-convert-into-crash.sh - convert --in-place on tdb and SQLite writes
# the new records into the live file (no rename, so that no Exim writer is
# left on a moved file), in write holds of HINTSDB_TEST_HOLD_RECORDS
# records.  Killed with SIGKILL at every test point (HINTSDB_TEST_KILL_AT:
# the build's, then one before each record of each hold), the live file
# must stay the same file, pass its library's own check (tdbtool check,
# SQLite's integrity_check) and hintsdb check, and hold every record
# whole, old or new; and each hold is one transaction, so the count of
# records already rewritten is a whole number of holds.
. "$(dirname "$0")/lib.sh"

PY=$(command -v /usr/bin/python3 || command -v python3)
NOW=--now=2030-01-01T00:00:00Z
N=40		# records
HOLD=10		# records a hold
export HINTSDB_TEST_HOLD_RECORDS=$HOLD

# legacy BACKEND COUNT: a legacy seen DB of COUNT records in BACKEND, as
# JSON lines
legacy() {
	"$PY" - "$1" $2 <<-"PY"
	import base64, json, struct, sys
	n = int(sys.argv[2])
	print(json.dumps({"hintsdb_export": 1, "db": "seen", "type": "seen",
	                  "backend": sys.argv[1], "layout": "legacy",
	                  "abi": "x86_64-lp64-le", "records": n}))
	for i in range(n):
	    raw = struct.pack("<q", 1700000000 + i)
	    print(json.dumps({"key": "198.51.%d.%d" % (i // 256, i % 256),
	                      "raw": base64.b64encode(raw).decode()}))
	PY
}

# libcheck BACKEND FILE: the backend's own library finds FILE whole
libcheck() {
	case $1 in
	tdb)	tdbtool "$2" check 2>&1 | grep -q "integrity is OK" ;;
	sqlite)	[ "$(sqlite3 "$2" "PRAGMA integrity_check")" = ok ] ;;
	esac
}

# whole OLDJSON NEWJSON GOTJSON: every record of GOT is one of OLD's or
# NEW's, each key once, all N there; prints how many are NEW's
whole() {
	"$PY" - "$1" "$2" "$3" $N <<-"PY"
	import json, sys
	old = {json.loads(l)["key"]: l for l in open(sys.argv[1])}
	new = {json.loads(l)["key"]: l for l in open(sys.argv[2])}
	got = [l for l in open(sys.argv[3])]
	keys = [json.loads(l)["key"] for l in got]
	assert len(keys) == len(set(keys)) == int(sys.argv[4]), len(keys)
	fresh = 0
	for k, l in zip(keys, got):
	    assert l in (old[k], new[k]), "torn %s: %s" % (k, l)
	    fresh += l == new[k] and l != old[k]
	print(fresh)
	PY
}

# crash BACKEND: kill convert --to-layout=v2 --in-place at every test point
# until a run completes
crash() {
	be=$1 f=sp/db/seen
	mkdir -p sp/db && legacy $be $N >in.jsonl && "$HINTSDB" import sp seen \
	    <in.jsonl && [ "$("$HINTSDB" stat --format=json sp seen |
	    grep -c "\"backend\":\"$be\"")" = 1 ] &&
	ino=$(stat -c %i $f) &&
	"$HINTSDB" dump --format=json $NOW --file=$f --type=seen >old.json &&
	"$HINTSDB" convert --to-layout=v2 --output=new sp seen &&
	"$HINTSDB" dump --format=json $NOW --file=new --type=seen >new.json &&
	! cmp -s old.json new.json && cp $f orig &&
	n=0 same=0 mid=0 &&
	while :; do
		n=$((n + 1))
		[ $n -lt 400 ] || { echo "never completed"; return 1; }
		# each kill starts from the old file, so that what it left
		# is a count of whole holds (the same inode: cp rewrites it)
		cp orig $f && rm -rf sp/db/.seen.hintsdb.* &&
		HINTSDB_TEST_KILL_AT=$n "$HINTSDB" convert --to-layout=v2 \
		    --in-place sp seen 2>err
		rc=$?
		[ $rc -eq 0 ] && break
		[ $rc -eq 137 ] || { echo "point $n: status $rc"; cat err; return 1; }
		[ "$(stat -c %i $f)" = "$ino" ] ||
		    { echo "point $n: the live file was replaced"; return 1; }
		# killed while building the new DB beside it (t5300)
		cmp -s orig $f && { same=$((same + 1)); continue; }
		libcheck $be $f ||
		    { echo "point $n: $be finds the file damaged"; return 1; }
		# check reports the dead run's private directory: t5300
		# checks that the next run removes it
		rm -rf sp/db/.seen.hintsdb.* &&
		"$HINTSDB" check sp seen >chk || { cat chk;
		    echo "point $n: hintsdb check failed"; return 1; }
		"$HINTSDB" dump --format=json $NOW --file=$f --type=seen \
		    >got.json &&
		fresh=$(whole old.json new.json got.json) ||
		    { echo "point $n: records not whole"; return 1; }
		[ $((fresh % HOLD)) -eq 0 ] ||
		    { echo "point $n: $fresh new records, not whole holds"
		      return 1; }
		[ $fresh -gt 0 ] && [ $fresh -lt $N ] && mid=$((mid + 1))
	done &&
	echo "$be: $n points, $same left the file as it was, $mid after" \
	    "some holds" &&
	[ $same -gt $N ] && [ $mid -ge $(((N / HOLD - 1) * HOLD)) ] &&
	[ "$(stat -c %i $f)" = "$ino" ] && libcheck $be $f &&
	"$HINTSDB" dump --format=json $NOW --file=$f --type=seen >got.json &&
	cmp new.json got.json
}

run_test "tdb: killed at every point, the file is whole, holds all or none" '
	crash tdb
'
run_test "SQLite: killed at every point, the file is whole, holds all or none" '
	crash sqlite
'
run_test "tdb: killed at random moments, also mid-commit, on a large DB" '
	# where a kill lands is chance (inside a commit too, which no test
	# point reaches); what it leaves must pass wherever it lands
	# (holds of 512 records: the new DB goes in, in chunks of 8192)
	mkdir -p sp/db && M=20000 H=512 &&
	legacy tdb $M >big.jsonl &&
	"$HINTSDB" import sp seen <big.jsonl && cp sp/db/seen orig &&
	for d in 0.3 0.6 1 1.5 2 3 4 5; do
		cp orig sp/db/seen && rm -rf sp/db/.seen.hintsdb.* &&
		HINTSDB_TEST_HOLD_RECORDS=$H "$HINTSDB" convert --to-layout=v2 \
		    --in-place sp seen &
		pid=$!
		sleep $d
		kill -KILL $pid 2>/dev/null
		wait $pid
		rm -rf sp/db/.seen.hintsdb.* && rm -f st &&
		{ libcheck tdb sp/db/seen ||
		    { echo "killed after $d s: tdbtool finds damage"; exit 1; }; } &&
		{ "$HINTSDB" check sp seen >ck 2>&1 ||
		    { echo "killed after $d s: check:"; cat ck; exit 1; }; } &&
		"$HINTSDB" stat --format=json sp seen >st &&
		v2=$(sed -n "s/.*\"records\":$M,\"legacy\":[0-9]*,\"v2\":\([0-9]*\),\"undecodable\":0,\"invalid\":0,.*/\1/p" st) &&
		echo "killed after $d s: $v2 of $M rewritten" &&
		[ -n "$v2" ] && { [ $((v2 % H)) -eq 0 ] || [ $v2 -eq $M ]; } ||
		    { cat st; exit 1; }
	done
'
test_done
