#!/bin/sh
# t5200-convert.sh - hintsdb convert: every ordered pair of the ten
# (backend, layout) combinations on the real-Exim fixtures keeps the decoded
# content, and a convert back to legacy Berkeley DB reads the same in the
# real exim_dumpdb; undecodable records, owner and mode, NDBM's file pair,
# SQLite's two schemas, options and exit codes.
. "$(dirname "$0")/lib.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
NOW=--now=2030-01-01T00:00:00Z
DBS=$(cd "$SPOOL_EX/db" && ls | grep -v '\.lockfile$')
BACKENDS="bdb gdbm tdb ndbm sqlite"

# canon FILE: dump --format=json less what legitimately changes with layout
canon() { sed -E 's/"layout":"[a-z0-9]+",//; s/"tainted":(true|false),//' "$1"; }
# state N: the Nth of the ten (backend, layout) combinations, as options
state() {
	_b=$(echo $BACKENDS | cut -d' ' -f$(($1 / 2 + 1)))
	_l=legacy
	[ $(($1 % 2)) -eq 1 ] && _l=v2
	echo "--to-backend=$_b --to-layout=$_l"
}
# sums DIR: checksum of every file, for "left as it was"
sums() { (cd "$1" && find . -type f | sort | xargs md5sum); }

run_test "usage errors" '
	expect_code 64 "$HINTSDB" convert "$SPOOL_EX" retry 2>err &&
	grep -q "exactly one of --output and --in-place" err &&
	expect_code 64 "$HINTSDB" convert --in-place --output=x "$SPOOL_EX" \
	    retry 2>err &&
	expect_code 64 "$HINTSDB" convert --in-place "$SPOOL_EX" 2>err &&
	grep -q "missing DBNAME (or --all)" err &&
	expect_code 64 "$HINTSDB" convert --to-layout=auto --in-place \
	    "$SPOOL_EX" retry 2>err && grep -q "unknown layout" err &&
	expect_code 64 "$HINTSDB" convert --to-backend=cdb --in-place \
	    "$SPOOL_EX" retry 2>err && grep -q "unknown backend" err &&
	expect_code 64 "$HINTSDB" convert --sqlite-schema=tbl --output=o \
	    "$SPOOL_EX" retry 2>err && grep -q "SQLite targets only" err &&
	expect_code 64 "$HINTSDB" convert --in-place "$SPOOL_EX" bogus 2>err &&
	expect_code 0 "$HINTSDB" convert --help >out &&
	grep -q "^usage: hintsdb convert \[-v\]" out && test ! -e o
'
run_test "missing database, existing output, busy lock" '
	mkdir -p e/db &&
	expect_code 66 "$HINTSDB" convert --in-place e retry 2>err &&
	grep -q "no such database .e/db/retry." err &&
	: >o &&
	expect_code 64 "$HINTSDB" convert --output=o "$SPOOL_EX" retry 2>err &&
	grep -q "convert: .o. exists" err && test ! -s o &&
	cp -a "$SPOOL_EX" sp && sums sp >before &&
	hold_lock sp/db/retry.lockfile 5 &&
	{ expect_code 75 "$HINTSDB" convert --lock-timeout=0 --in-place \
	    --to-layout=v2 sp retry 2>err; rc=$?; } &&
	kill $LOCK_PID && wait $LOCK_PID 2>/dev/null;
	[ $rc -eq 0 ] && grep -q "cannot read-lock .*: lock is busy" err &&
	sums sp >after && cmp before after
'

# Every ordered pair of the ten combinations is one step of a de Bruijn
# cycle over them (100 steps).  The cycle is cut into one walk per fixture
# DB, each converted in place along its walk and back to legacy BDB; the
# decoded content must not change, and exim_dumpdb must read the same.
CYCLE=$("$PY" - <<-"PY"
	a = [0] * 20
	seq = []
	def gen(t, p):
	    if t > 2:
	        if 2 % p == 0:
	            seq.extend(a[1:p + 1])
	    else:
	        a[t] = a[t - p]
	        gen(t + 1, p)
	        for j in range(a[t - p] + 1, 10):
	            a[t] = j
	            gen(t + 1, t)
	gen(1, 1)
	print(" ".join(map(str, seq + seq[:1])))
	PY
)
run_test "the cycle covers all 100 ordered pairs" '
	echo "$CYCLE" | "$PY" -c "import sys
s = list(map(int, sys.stdin.read().split()))
assert len(s) == 101 and s[0] == s[-1] == 0
assert len({(s[i], s[i + 1]) for i in range(100)}) == 100"
'
cp -a "$SPOOL_EX" walk
ndb=$(echo "$DBS" | wc -l)
k=0
for db in $DBS; do
	from=$((k * 100 / ndb))
	to=$(((k + 1) * 100 / ndb))
	steps=$(echo "$CYCLE" | cut -d" " -f$((from + 1))-$((to + 1)))
	run_test "$db: steps $from-$to of the cycle, then legacy BDB" '
		w=$TRASH/walk &&
		"$HINTSDB" dump --format=json $NOW "$w" '"$db"' >orig.json &&
		exim_run exim_dumpdb "$TRASH/walk" '"$db"' >orig.exim 2>&1 &&
		for s in '"$steps"' 0; do
			"$HINTSDB" convert $(state $s) --in-place "$w" '"$db"' ||
			    exit 1
		done &&
		"$HINTSDB" dump --format=json $NOW "$w" '"$db"' >new.json &&
		canon orig.json >a && canon new.json >b && cmp a b &&
		cmp orig.json new.json &&
		exim_run exim_dumpdb "$TRASH/walk" '"$db"' >new.exim 2>&1 &&
		cmp orig.exim new.exim &&
		ls "$w/db" | grep -v lockfile | grep "^'"$db"'" >files &&
		test "$(cat files)" = '"$db"'
	'
	k=$((k + 1))
done
run_test "in place across backends: the old files go, owner and mode stay" '
	rm -rf sp && cp -a "$SPOOL_EX" sp &&
	chmod 0604 sp/db/retry && chown 65534:65534 sp/db/retry &&
	"$HINTSDB" convert --to-backend=ndbm --in-place sp retry &&
	test ! -e sp/db/retry && test -f sp/db/retry.dir &&
	test -f sp/db/retry.pag && test -f sp/db/retry.lockfile &&
	test "$(stat -c "%a %u %g" sp/db/retry.dir sp/db/retry.pag | sort -u)" = \
	    "604 65534 65534" &&
	"$HINTSDB" convert --to-backend=sqlite --in-place sp retry &&
	test -f sp/db/retry && test ! -e sp/db/retry.dir &&
	test ! -e sp/db/retry.pag &&
	test "$(stat -c "%a %u %g" sp/db/retry)" = "604 65534 65534" &&
	test "$(ls -a sp/db | grep -c hintsdb)" -eq 0 &&
	"$HINTSDB" dump --format=json $NOW sp retry >b &&
	"$HINTSDB" dump --format=json $NOW "$SPOOL_EX" retry >a && cmp a b
'
run_test "SQLite: the 4.98 tbl schema is a target, and is kept in place" '
	rm -rf sp && cp -a "$SPOOL_EX" sp &&
	"$HINTSDB" convert --to-backend=sqlite --sqlite-schema=tbl \
	    --in-place sp seen &&
	sqlite3 sp/db/seen .tables | grep -qw tbl &&
	! sqlite3 sp/db/seen .tables | grep -qw tblblob &&
	"$HINTSDB" convert --to-layout=v2 --in-place sp seen &&
	test "$(sqlite3 sp/db/seen .tables)" = tbl &&
	"$HINTSDB" convert --sqlite-schema=tblblob --in-place sp seen &&
	test "$(sqlite3 sp/db/seen .tables)" = tblblob &&
	"$HINTSDB" dump --format=json $NOW sp seen >b &&
	"$HINTSDB" dump --format=json $NOW "$SPOOL_EX" seen >a &&
	canon a >ca && canon b >cb && cmp ca cb
'
run_test "SQLite: no replacement while a journal shows a writer" '
	cp -a "$SPOOL_EX" sp &&
	: >sp/db/seen-journal && sums sp >before &&
	expect_code 74 "$HINTSDB" convert --to-backend=sqlite --in-place sp seen \
	    2>err &&
	grep -q "left as it was: .seen-journal. stays: the SQLite database is in use" err &&
	sums sp >after && cmp before after &&
	test "$(ls -a sp/db | grep -c hintsdb)" -eq 0
'
run_test "SQLite: a writer's journal that goes is waited for" '
	cp -a "$SPOOL_EX" sp &&
	: >sp/db/seen-journal || exit 1
	(sleep 0.3; rm sp/db/seen-journal) &
	expect_code 0 "$HINTSDB" convert --to-backend=sqlite --to-layout=v2 \
	    --in-place sp seen &&
	wait && test ! -e sp/db/seen-journal &&
	"$HINTSDB" dump --format=json sp seen | grep -q "\"layout\":\"v2\""
'
run_test "undecodable records: kept as stored when the layout stays" '
	rm -rf sp && cp -a "$SPOOL_EX" sp &&
	"$HELPER" put sp/db/callout bdb "$(hexkey bad@x)" \
	    d68e086b00000000010000000000000000000000 &&
	expect_code 0 "$HINTSDB" convert --to-backend=gdbm --in-place \
	    sp callout &&
	"$HINTSDB" export sp callout | grep "\"key\":\"bad@x\"" >line &&
	grep -q "\"raw\":\"1o4IawAAAAABAAAAAAAAAAAAAAA=\"" line &&
	rm -f o && expect_code 0 "$HINTSDB" convert --to-layout=legacy \
	    --output=o sp callout
'
run_test "undecodable records: refused when the layout changes" '
	rm -rf sp o && cp -a "$SPOOL_EX" sp &&
	"$HELPER" put sp/db/callout bdb "$(hexkey bad@x)" \
	    d68e086b00000000010000000000000000000000 &&
	sums sp >before &&
	expect_code 65 "$HINTSDB" convert --to-layout=v2 --in-place \
	    sp callout 2>err &&
	grep -q "cannot convert record .bad@x.: callout record has the wrong length" err &&
	grep -q "1 record cannot be converted (--drop-bad skips them)" err &&
	sums sp >after && cmp before after &&
	test "$(ls -a sp/db | grep -c hintsdb)" -eq 0
'
run_test "undecodable records: --drop-bad reports and skips them" '
	rm -rf sp && cp -a "$SPOOL_EX" sp &&
	"$HELPER" put sp/db/callout bdb "$(hexkey bad@x)" \
	    d68e086b00000000010000000000000000000000 &&
	expect_code 1 "$HINTSDB" convert -v --drop-bad --to-layout=v2 \
	    --in-place sp callout >out 2>err &&
	grep -q "dropped record .bad@x.: callout record has the wrong length" err &&
	grep -q "^callout: 18 records from bdb to bdb v2: 0 kept as they were, 17 re-encoded, 1 dropped$" out &&
	"$HINTSDB" dump --format=json $NOW sp callout >b &&
	! grep -q bad@x b && test "$(wc -l <b)" -eq 17
'
run_test "a v2 DB back to legacy keeps the values, loses only the taint" '
	rm -rf sp && cp -a "$SPOOL_EX" sp &&
	"$HINTSDB" convert --to-layout=v2 --in-place sp seen &&
	"$HELPER" put sp/db/seen bdb "$(hexkey tainted)" \
	    0200000001000000d68e086b00000000 &&
	"$HINTSDB" convert --to-layout=legacy --in-place sp seen &&
	"$HINTSDB" dump --format=json $NOW sp seen >b &&
	grep -q "\"key\":\"tainted\",\"type\":\"seen\",\"layout\":\"legacy\",\"time_stamp\":1795722966" b
'
run_test "--output to another directory, the source only read" '
	rm -rf sp out && cp -a "$SPOOL_EX" sp && mkdir out && sums sp >before &&
	"$HINTSDB" convert --to-backend=tdb --output=out/w sp wait-remote_smtp &&
	sums sp >after && cmp before after &&
	test "$(ls -a out)" = "$(printf ".\n..\nw")" &&
	"$HINTSDB" dump --format=json --file=out/w --type=wait $NOW |
	    sed "s/^{\"db\":\"wait\"/{\"db\":\"wait-remote_smtp\"/" >b &&
	# a file outside a spool has no transport in its name
	"$HINTSDB" dump --format=json $NOW sp wait-remote_smtp |
	    sed "s/,\"transport\":\"remote_smtp\"}\$/}/" >a && cmp a b
'
run_test "a 4.99.0 tbl keeps its xtext keys, in place and to --output" '
	mkdir -p x/db &&
	$PYTHON - "$PWD/x/db/retry" <<-PY || exit 1
	import sqlite3, struct, sys, time
	c = sqlite3.connect(sys.argv[1])
	c.execute("CREATE TABLE tbl (ky TEXT PRIMARY KEY, dat BLOB)")
	now = int(time.time())
	v = struct.pack("<qqqqiii", now, now, now, now + 900, 0, -44, 0) + \\
	    b"init\\0\\0\\0\\0"
	for i in range(300):
	    c.execute("INSERT INTO tbl VALUES (?, ?)", ("R:h%d.example+00" % i, v))
	c.commit()
	PY
	keys() {
		$PYTHON - "$1" <<-PY
		import sqlite3, sys
		c = sqlite3.connect(sys.argv[1])
		for r in sorted(c.execute("SELECT ky FROM tbl")):
		    print(r[0])
		PY
	}
	keys x/db/retry >before &&
	"$HINTSDB" convert --in-place x retry &&
	keys x/db/retry >after && cmp before after &&
	"$HINTSDB" convert --output="$PWD/copy" x retry &&
	keys copy >after && cmp before after &&
	grep -q "R:h299.example+00" after &&
	[ "$("$HINTSDB" dump -k x retry | wc -l)" -eq 300 ]
'
test_done
