#!/bin/sh
# t4220-tidy-rebuild-vs-exim.sh - the real exim_dumpdb of Exim 4.96
# (bookworm) and 4.98.2 (trixie), both built with Berkeley DB, reads every
# record left in a retry DB that `hintsdb tidy` rebuilt by itself (20k
# records, half due): its output is that of our own exim_dumpdb, which
# prints the records the file holds, one for each, and Exim reads the
# file through its lockfile as it was kept.
. "$(dirname "$0")/../cli/lib.sh"

# check: split EXIM_SUITE=bookworm trixie

export TZ=UTC LC_ALL=C
COMPAT_DUMP=$(dirname "$HINTSDB")/exim_dumpdb

run_test "$EXIM_SUITE: exim_dumpdb reads every record a rebuild left" '
	mkdir -p sp/db sp/input &&
	"$HELPER" gen "$PWD/sp/db/retry" bdb retry 20000 1 "$(date +%s)" &&
	: >sp/db/retry.lockfile && chmod 0640 sp/db/retry &&
	ino=$(stat -c %i sp/db/retry) &&
	"$HINTSDB" tidy --format=json -t 30d sp retry >t.json &&
	grep -q "\"compacted\":true" t.json &&
	[ "$(stat -c %i sp/db/retry)" != "$ino" ] &&
	left=$("$HINTSDB" dump -k sp retry | wc -l) &&
	[ "$left" -gt 5000 ] && [ "$left" -lt 15000 ] &&
	exim_run exim_dumpdb "$PWD/sp" retry >exim.out 2>exim.err &&
	"$COMPAT_DUMP" "$PWD/sp" retry >ours.out &&
	sort exim.out >exim.sorted && sort ours.out >ours.sorted &&
	cmp exim.sorted ours.sorted &&
	[ $(grep -c "^  " exim.out) = "$left" ] && [ ! -s exim.err ] &&
	[ "$(stat -c %a sp/db/retry)" = 640 ] && [ -e sp/db/retry.lockfile ]
'

test_done
