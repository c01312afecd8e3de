#!/bin/sh
# t5400-export.sh - hintsdb export and import: the JSON Lines format, and
# export -> import -> export giving the same bytes in every backend and both
# layouts; import re-encodes for the target layout, replaces the DB
# atomically, and refuses truncated or foreign input.
. "$(dirname "$0")/lib.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
NOW=--now=2030-01-01T00:00:00Z
DBS=$(cd "$SPOOL_EX/db" && ls | grep -v '\.lockfile$')
ABI=$(uname -m)-lp64-le

# body FILE: an export without its header line
body() { sed 1d "$1"; }

run_test "usage errors" '
	expect_code 64 "$HINTSDB" export 2>err &&
	grep -q "^usage: hintsdb export" err &&
	expect_code 64 "$HINTSDB" export "$SPOOL_EX" bogus 2>err &&
	expect_code 64 "$HINTSDB" import "$SPOOL_EX" </dev/null 2>err &&
	grep -q "missing DBNAME" err &&
	expect_code 64 "$HINTSDB" import --layout=v9 "$SPOOL_EX" retry </dev/null &&
	expect_code 64 "$HINTSDB" import --sqlite-schema=x "$SPOOL_EX" retry \
	    </dev/null &&
	expect_code 0 "$HINTSDB" import --help >out &&
	grep -q "SPOOL DBNAME < FILE$" out &&
	expect_code 66 "$HINTSDB" export nowhere retry 2>err
'
run_test "the header and the record lines" '
	for db in $DBS; do
		expect_code 0 "$HINTSDB" export $NOW "$SPOOL_EX" $db >$db.x ||
		    exit 1
	done &&
	"$PY" - "$ABI" $DBS <<-"PY"
	import base64, json, sys
	abi, dbs = sys.argv[1], sys.argv[2:]
	for db in dbs:
	    lines = open(db + ".x").read().splitlines()
	    h = json.loads(lines[0])
	    typ = "wait" if db.startswith("wait-") else db
	    assert h == {"hintsdb_export": 1, "db": db, "type": typ,
	                 "backend": "bdb", "layout": "legacy", "abi": abi,
	                 "records": len(lines) - 1}, h
	    recs = [json.loads(l) for l in lines[1:]]
	    keys = [r["key"] for r in recs]
	    assert keys == sorted(keys), db
	    for r in recs:
	        assert r["db"] == db and r["type"] == typ
	        assert r["layout"] == "legacy" and "age_s" not in r
	        raw = base64.b64decode(r["raw"])
	        assert int.from_bytes(raw[:8], "little") == r["time_stamp"]
	PY
'
run_test "the same DB exports to the same bytes" '
	"$HINTSDB" export $NOW "$SPOOL_EX" tls >a &&
	"$HINTSDB" export $NOW "$SPOOL_EX" tls >b && cmp a b
'

# export -> import -> export, every backend and both layouts: each DB goes
# through three of the ten (backend, layout) combinations, both layouts
# among them, and each combination is taken by two or three DBs.
mkdir -p v2/db
for db in $DBS; do
	"$HINTSDB" convert --to-layout=v2 --output=v2/db/$db "$SPOOL_EX" $db
	"$HINTSDB" export $NOW "$SPOOL_EX" $db >$db.legacy
	"$HINTSDB" export $NOW v2 $db >$db.v2
done
# same FILE...: each FILE (an export, its name ending in .BACKEND.LAYOUT)
# has the records of DB.LAYOUT and names BACKEND and LAYOUT in its header;
# the DB files it came from (in sp-BACKEND-LAYOUT/db) have mode 0640, and
# a lockfile only where Exim uses one
same() {
	"$PY" - "$TRASH" "$@" <<-"PY"
	import json, os, sys
	for f in sys.argv[2:]:
	    db, be, layout = f.rsplit(".", 2)
	    got = open(f).read().splitlines()
	    want = open(os.path.join(sys.argv[1], db + "." + layout)).read().splitlines()
	    assert got[1:] == want[1:], f
	    h = json.loads(got[0])
	    assert (h["backend"], h["layout"]) == (be, layout), (f, h)
	    d = "sp-%s-%s/db" % (be, layout)
	    for n in os.listdir(d):
	        if not n.endswith(".lockfile"):
	            assert os.stat(os.path.join(d, n)).st_mode & 0o7777 == 0o640
	    # as Exim: a lockfile where every Exim uses one; none for
	    # SQLite, nor for tdb (none from 4.99; 4.94-4.98 make their own)
	    assert os.path.exists(os.path.join(d, db + ".lockfile")) == \
	        (be not in ("tdb", "sqlite")), d
	PY
}
k=0
for db in $DBS; do
	st=
	for i in 0 1 2; do
		s=$(((k + i * 7) % 10))
		be=$(echo bdb gdbm tdb ndbm sqlite | cut -d" " -f$((s / 2 + 1)))
		layout=legacy
		[ $((s % 2)) -eq 1 ] && layout=v2
		st="$st $be.$layout"
	done
	run_test "$db: export, import, export in$st" '
		mkdir -p $(for s in '"$st"'; do
			echo sp-${s%.*}-${s#*.}/db; done) &&
		for s in '"$st"'; do
			be=${s%.*} layout=${s#*.} &&
			"$HINTSDB" import --backend=$be sp-$be-$layout '"$db"' \
			    <"$TRASH/'"$db"'.$layout" &&
			"$HINTSDB" export $NOW sp-$be-$layout '"$db"' \
			    >'"$db"'.$s || exit 1
		done &&
		same $(for s in '"$st"'; do echo '"$db"'.$s; done)
	'
	k=$((k + 1))
done
run_test "import re-encodes for the target layout" '
	mkdir -p sp/db &&
	for db in $DBS; do
		"$HINTSDB" import --layout=v2 sp $db <"$TRASH/$db.legacy" &&
		"$HINTSDB" export $NOW sp $db >$db.to2 || exit 1
	done &&
	"$PY" - "$TRASH" $DBS <<-"PY"
	import json, os, sys
	def decoded(f):
	    lines = open(f).read().splitlines()
	    out = []
	    for l in lines[1:]:
	        o = json.loads(l)
	        assert o["layout"] == ("v2" if f.endswith(".to2") else "legacy")
	        for k in ("layout", "tainted", "raw"):
	            o.pop(k, None)
	        out.append(o)
	    return json.loads(lines[0])["layout"], out
	for db in sys.argv[2:]:
	    l0, r0 = decoded(os.path.join(sys.argv[1], db + ".legacy"))
	    l2, r2 = decoded(db + ".to2")
	    assert (l0, l2) == ("legacy", "v2"), db
	    assert r0 == r2, db
	PY
'
run_test "import replaces an existing DB, keeping its backend" '
	rm -rf sp && cp -a "$SPOOL_EX" sp &&
	"$HINTSDB" convert --to-backend=tdb --in-place sp retry &&
	"$HINTSDB" import sp retry <"$TRASH/seen.legacy" 2>err;
	test $? -eq 65 && grep -q "holds seen records, not retry records" err &&
	expect_code 0 "$HINTSDB" import sp retry <"$TRASH/retry.legacy" &&
	"$HINTSDB" stat --format=json sp retry >st &&
	grep -q "\"backend\":\"tdb\"" st &&
	test "$(ls -a sp/db | grep -c hintsdb)" -eq 0
'
run_test "keys that are not text survive" '
	rm -rf sp && cp -a "$SPOOL_EX" sp &&
	"$HELPER" put sp/db/seen bdb ff0161 d68e086b00000000 &&
	"$HELPER" put sp/db/seen bdb 6e6f6e756c d68e086b00000000 &&
	"$HINTSDB" export $NOW sp seen >x 2>err &&
	grep -q "\"key_b64\":\"/wFh\"" x && grep -q "\"key_b64\":\"bm9udWw=\"" x &&
	"$HINTSDB" import --backend=gdbm sp seen <x &&
	"$HINTSDB" export $NOW sp seen >y && body x >a && body y >b && cmp a b
'
run_test "undecodable records are exported as stored" '
	rm -rf sp && cp -a "$SPOOL_EX" sp &&
	"$HELPER" put sp/db/callout bdb "$(hexkey bad@x)" d68e086b0000000001 &&
	expect_code 1 "$HINTSDB" export $NOW sp callout >x 2>err &&
	grep -q "cannot decode record .bad@x." err &&
	grep -q "\"key\":\"bad@x\",\"error\":\"callout record has the wrong length\",\"raw\":\"1o4IawAAAAAB\"" x &&
	"$HINTSDB" import sp callout <x &&
	expect_code 65 "$HINTSDB" import --layout=v2 sp callout <x 2>err &&
	grep -q "cannot convert record .bad@x." err &&
	expect_code 1 "$HINTSDB" import --drop-bad --layout=v2 sp callout \
	    <x 2>err && grep -q "dropped record .bad@x." err
'
run_test "truncated or foreign input is refused, the DB left as it was" '
	rm -rf sp && cp -a "$SPOOL_EX" sp && md5sum sp/db/retry >sum &&
	head -n 3 "$TRASH/retry.legacy" >t &&
	expect_code 65 "$HINTSDB" import sp retry <t 2>err &&
	grep -q "has 2 records but its header says 4 (truncated?)" err &&
	sed 1d "$TRASH/retry.legacy" >t &&
	expect_code 65 "$HINTSDB" import sp retry <t 2>err &&
	grep -q "not a hintsdb export header" err &&
	sed "1s/$ABI/armv7-ilp32-le/" "$TRASH/retry.legacy" >t &&
	expect_code 65 "$HINTSDB" import sp retry <t 2>err &&
	grep -q "its records do not fit" err &&
	{ cat "$TRASH/retry.legacy"; echo "{not json"; } >t &&
	expect_code 65 "$HINTSDB" import sp retry <t 2>err &&
	grep -q "line 6: not a JSON object" err &&
	{ cat "$TRASH/retry.legacy"; sed -n 2p "$TRASH/retry.legacy"; } |
	    sed "1s/\"records\":4/\"records\":5/" >t &&
	expect_code 65 "$HINTSDB" import sp retry <t 2>err &&
	grep -q "duplicate key" err &&
	expect_code 65 "$HINTSDB" import sp retry </dev/null 2>err &&
	grep -q "empty input" err &&
	md5sum -c sum >/dev/null &&
	test "$(ls -a sp/db | grep -c hintsdb)" -eq 0
'
run_test "a SQLite export names its schema and import keeps it" '
	rm -rf sp && cp -a "$SPOOL_EX" sp &&
	"$HINTSDB" convert --to-backend=sqlite --sqlite-schema=tbl \
	    --in-place sp seen &&
	"$HINTSDB" export sp seen >x &&
	head -n 1 x | grep -q "\"backend\":\"sqlite\",\"sqlite_schema\":\"tbl\"" &&
	rm -rf sp2 && mkdir -p sp2/db && "$HINTSDB" import sp2 seen <x &&
	test "$(sqlite3 sp2/db/seen .tables)" = tbl
'
test_done
