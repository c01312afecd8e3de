#!/bin/sh
# t5420-import-order.sh - import into Berkeley DB holds the records back
# and puts them in the new file's bucket order, in batches: whatever the
# batches (HINTSDB_TEST_HELD_RECORDS), the file holds what the export
# does, is sound, and a key given twice, in one batch or two, is refused
# and leaves the DB as it was.
. "$(dirname "$0")/lib.sh"

NOW=$(date +%s)

# sp N: a spool whose retry DB has N generated records
sp() {
	rm -rf sp && mkdir -p sp/db sp/input &&
	"$HELPER" gen sp/db/retry bdb retry "$1" 1 "$NOW"
}

run_test "20,000 records, in one batch and in batches of 3,000" '
	sp 20000 && "$HINTSDB" export sp retry >x &&
	rm -rf a b && mkdir -p a/db a/input b/db b/input &&
	"$HINTSDB" import a retry <x &&
	env HINTSDB_TEST_HELD_RECORDS=3000 "$HINTSDB" import b retry <x &&
	"$HINTSDB" export a retry >xa && cmp x xa &&
	"$HINTSDB" export b retry >xb && cmp x xb &&
	"$HINTSDB" check a retry && "$HINTSDB" check b retry &&
	if command -v db5.3_verify >/dev/null; then
		db5.3_verify -q a/db/retry && db5.3_verify -q b/db/retry
	fi
'
run_test "a key twice, in one batch or across two: refused, DB kept" '
	sp 10 && "$HINTSDB" export sp retry >x && md5sum sp/db/retry >sum &&
	{ cat x; sed -n 3p x; } | sed "1s/\"records\":10/\"records\":11/" >t &&
	for held in 100 4; do
		expect_code 65 env HINTSDB_TEST_HELD_RECORDS=$held "$HINTSDB" \
		    import sp retry <t 2>err &&
		grep -q "cannot convert record .*: duplicate key" err &&
		grep -q "left as it was" err &&
		md5sum -c sum >/dev/null &&
		test "$(ls -a sp/db | grep -c hintsdb)" -eq 0 || exit 1
	done
'
test_done
