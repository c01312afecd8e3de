#!/bin/sh
# t6330-size-cap.sh - keys over 64 KiB and values over 1 MiB, far above
# anything an Exim writes: import refuses them (and a line too long to
# hold one) with a message, writing nothing; dump and export leave such
# records out, say how many, exit 1, and never keep a copy: a 40 MiB
# value in SQLite is not even read (peak RSS under 30 MB; it was 94 MB
# for dump, 215 MB for export).
. "$(dirname "$0")/lib.sh"

# sqlspool: sp/db/retry in SQLite, with a 40 MiB value under "R:big"
# and a 100 KiB key
sqlspool() {
	rm -rf sp && copy_spool big && mkdir -p sp/db &&
	"$HINTSDB" convert --to-backend=sqlite --output="$PWD/sp/db/retry" \
	    big retry && rm -rf big &&
	"$PYTHON" -c "import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute(\"INSERT INTO tblblob VALUES (?, ?)\",
    (b\"R:big\\0\", bytes(40 << 20)))
c.execute(\"INSERT INTO tblblob VALUES (?, ?)\",
    (b\"R:\" + b\"k\" * (100 << 10) + b\"\\0\", bytes(48)))
c.commit()" "$PWD/sp/db/retry"
}
# rss CMD...: run CMD (output to out, err), its peak RSS in KiB to rss
rss() {
	/usr/bin/time -f %M -o rss.all "$@" >out 2>err
	_rc=$?
	tail -n 1 rss.all >rss
	return $_rc
}

run_test "dump and export leave over-cap records out, say so, exit 1" '
	sqlspool &&
	expect_code 1 "$HINTSDB" dump sp retry >out 2>err &&
	grep -q "dump: retry: 2 records over the size cap (keys 64 KiB, values 1024 KiB; no Exim writes one) left out" err &&
	grep -q "^R:defer.example" out && ! grep -q "^R:big" out &&
	expect_code 1 "$HINTSDB" export sp retry >out 2>err &&
	grep -q "export: retry: 2 records over the size cap" err &&
	test "$(wc -l <out)" -eq 5 && ! grep -q "R:big" out
'
run_test "dump and export hold no copy of a 40 MiB value" '
	sqlspool &&
	{ rss "$HINTSDB" dump sp retry; [ "$(cat rss)" -lt 30000 ]; } &&
	{ rss "$HINTSDB" export sp retry; [ "$(cat rss)" -lt 30000 ]; } ||
	{ echo "peak RSS $(cat rss) KiB" >&2; exit 1; }
'
# exp KEYLEN VALLEN: an export of retry whose last record has a key of
# KEYLEN bytes and a value of VALLEN bytes (raw, base64)
exp() {
	"$HINTSDB" export "$SPOOL_EX" retry >base.jsonl &&
	"$PYTHON" -c "import base64, json, sys
lines = open(\"base.jsonl\").read().splitlines()
h = json.loads(lines[0]); h[\"records\"] += 1
k, v = int(sys.argv[1]), int(sys.argv[2])
rec = {\"key\": \"R:\" + \"k\" * (k - 3),
       \"raw\": base64.b64encode(bytes(v)).decode()}
print(json.dumps(h)); print(\"\\n\".join(lines[1:])); print(json.dumps(rec))" \
	    "$1" "$2" >in.jsonl
}
run_test "import refuses a key over 64 KiB, a value over 1 MiB; writes nothing" '
	copy_spool sp && md5sum sp/db/retry >before &&
	exp 70000 48 &&
	expect_code 65 "$HINTSDB" import sp retry <in.jsonl 2>err &&
	grep -q "key over the size cap (64 KiB): refused" err &&
	exp 20 1048600 &&
	expect_code 65 "$HINTSDB" import sp retry <in.jsonl 2>err &&
	grep -q "value over the size cap (1024 KiB): refused" err &&
	md5sum -c --quiet before &&
	exp 65536 1048576 &&
	expect_code 65 "$HINTSDB" import sp retry <in.jsonl 2>err &&
	! grep -q "over the size cap" err
'
run_test "import drops a 40 MiB line unread, in bounded memory" '
	copy_spool sp && md5sum sp/db/retry >before && exp 20 $((30 << 20)) &&
	rss "$HINTSDB" import sp retry <in.jsonl; [ $? = 65 ] &&
	grep -q "line 6: longer than 8 MiB, more than a record within the size cap" err &&
	[ "$(cat rss)" -lt 60000 ] && md5sum -c --quiet before
'
test_done
