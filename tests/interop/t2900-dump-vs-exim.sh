#!/bin/sh
# t2900-dump-vs-exim.sh - `hintsdb dump --format=exim` and the exim_dumpdb
# name print what Debian's real /usr/sbin/exim_dumpdb prints, on the
# committed sample spool and on a spool that a real Exim 4.96 writes now,
# on loopback, as a server and a client (tests/interop/make-spool.sh).
. "$(dirname "$0")/../cli/lib.sh"

run_test "sample spool: exim format equals exim_dumpdb (but deviations)" '
	copy_spool sp &&
	sh "$TOP/tests/interop/compare-dump.sh" "$PWD/sp" "$HINTSDB"
'
run_test "sample spool: committed goldens still match exim_dumpdb" '
	for f in "$DATA"/interop/*.exim; do
		db=$(basename "$f" .exim)
		TZ=UTC /usr/sbin/exim_dumpdb "$SPOOL_EX" "$db" >out 2>/dev/null
		cmp -s out "$f" || { echo "golden $db differs"; exit 1; }
	done
'
run_test "live Exim 4.96 spool: exim format equals exim_dumpdb" '
	if [ "$(id -u)" != 0 ]; then echo "needs root"; exit 1; fi
	bash "$TOP/tests/interop/make-spool.sh" "$TRASH/live" >make.log 2>&1 ||
	    { cat make.log; exit 1; }
	sh "$TOP/tests/interop/compare-dump.sh" "$TRASH/live" "$HINTSDB"
'
run_test "live spool: every database decodes with no error in every format" '
	[ -d "$TRASH/live/db" ] || exit 1
	for f in "$TRASH"/live/db/*; do
		case $f in *.lockfile) continue ;; esac
		db=$(basename "$f")
		for fmt in text json exim; do
			expect_code 0 "$HINTSDB" dump --format=$fmt "$TRASH/live" "$db" \
			    >out 2>err || exit 1
			no_ctl out err || exit 1
		done
	done
'
test_done
