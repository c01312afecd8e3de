#!/bin/sh
# t2100-dump-backends.sh - the same logical records in all five backends
# and both layouts give the same decoded content (dump --format=json), and
# the backend is found from the file's magic.
. "$(dirname "$0")/lib.sh"

NOW=--now=2030-01-01T00:00:00Z
dbs() { ls "$SPOOL_EX/db" | grep -v '\.lockfile$'; }

# strip the fields that legitimately differ between layouts
canon() {
	"$PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    o.pop("layout", None)
    o.pop("tainted", None)
    print(json.dumps(o, sort_keys=True))
' "$1"
}

for be in bdb gdbm tdb ndbm sqlite; do
	for layout in legacy v2; do
		run_test "$be $layout: same decoded records as the fixture" '
			mkdir -p sp/db &&
			for db in $(dbs); do
				"$HELPER" copy "$SPOOL_EX/db/$db" "$db" "sp/db/$db" \
				    '"$be $layout"' || exit 1
				: >"sp/db/$db.lockfile"
				"$HINTSDB" dump --format=json $NOW "$SPOOL_EX" "$db" \
				    >"$db.orig" || exit 1
				"$HINTSDB" dump --format=json $NOW sp "$db" \
				    >"$db.copy" || exit 1
				canon "$db.orig" >a && canon "$db.copy" >b &&
				cmp a b || exit 1
				grep -q "\"layout\": *\"'"$layout"'\"" "$db.copy" ||
				    exit 1
			done
		'
	done
done

run_test "sqlite files in the 4.98 tbl schema read the same" '
	mkdir -p sp/db &&
	"$HELPER" copy "$SPOOL_EX/db/retry" retry sp/db/retry sqlite legacy \
	    sqlite-tbl &&
	sqlite3 sp/db/retry ".tables" | grep -qw tbl &&
	"$HINTSDB" dump --format=json $NOW "$SPOOL_EX" retry >a &&
	"$HINTSDB" dump --format=json $NOW sp retry >b && cmp a b
'
run_test "--backend overrides detection, and a wrong one fails cleanly" '
	expect_code 0 "$HINTSDB" dump --backend=bdb "$SPOOL_EX" retry >/dev/null &&
	expect_code 74 "$HINTSDB" dump --backend=gdbm "$SPOOL_EX" retry \
	    >/dev/null 2>e && grep -q "cannot open" e
'
run_test "a v2 and a legacy record side by side are each detected" '
	cp "$SPOOL_EX/db/seen" s.db && : >s.db.lockfile &&
	"$HELPER" put s.db bdb "$(hexkey v2key)" \
	    0200000000000000d68e086b00000000 &&
	"$HINTSDB" dump --format=json --file=s.db --type=seen >j &&
	grep -q "\"key\": *\"v2key\".*\"layout\": *\"v2\"" j &&
	grep -q "\"layout\": *\"legacy\"" j
'
test_done
