#!/bin/sh
# t4446-bdb-lying.sh - Berkeley DB files that claim far more than they
# hold cost work in proportion to what they hold (tests/data/
# make-lying-bdb.py builds them):
#  - a sound hash file of 512-byte pages followed by a hole up to 64 GiB
#    (8 KiB on disk): refused at once, naming the holes; check --repair
#    salvages its one record.  Before, every command mapped every page
#    (1.5 GB), and the salvage read 2^27 pages one by one;
#  - an overflow page that is its own next page, named by 34 items on
#    every other page, each claiming 16 MiB: refused at once; check
#    --repair reads each overflow page once per salvage (before: each
#    item followed the loop through as many hops as the file has pages,
#    quadratic: 2 MiB took 101 s).
# Every command runs within 64 MB of address space (ulimit -v), and with
# a generous timeout as a guard against the hang that was.
. "$(dirname "$0")/lib.sh"

LIMIT=${HDB_HOSTILE_TIMEOUT:-60}
MAKE=$DATA/make-lying-bdb.py
DUMPDB=$(dirname "$HINTSDB")/exim_dumpdb

# The commands, one a line: STATUS ARGS (SPOOL sp, DB retry).
cat >"$TRASH/cmds" <<'EOF'
74 dump sp retry
74 dump -k sp retry
74 dump --format=json sp retry
74 dump sp retry R:good.example
74 export sp retry
74 stat sp
74 stat --format=json sp retry
74 tidy -n sp retry
74 tidy sp retry
74 fix sp retry
74 delete sp retry R:good.example
74 convert --output=out.db --to-backend=tdb sp retry
74 convert --in-place --to-backend=sqlite sp retry
1 check sp retry
1 exim_dumpdb sp retry
EOF

# capped CMD...: CMD within 64 MB of address space, unless a sanitizer
# (which reserves terabytes) or a wrapper runs it
capped() {
	if [ -z "${ASAN_OPTIONS:-}" ] && head -c 4 "$HINTSDB" | grep -q ELF
	then
		(ulimit -v 65536 && exec timeout "$LIMIT" "$@")
	else
		timeout "$LIMIT" "$@"
	fi
}
# lying KIND [ARG]: SPOOL "sp" whose retry DB is make-lying-bdb.py's KIND
lying() {
	_kind=$1
	shift
	rm -rf sp && mkdir -p sp/db sp/input &&
	"$PYTHON" "$MAKE" "$_kind" sp/db/retry "$@" &&
	: >sp/db/retry.lockfile
}
# looks: the file's size, blocks and times, and its first 64 KiB (cmp
# would read every byte of a 64 GiB hole)
looks() {
	stat -c '%s %b %Y' sp/db/retry && head -c 65536 sp/db/retry | od -An |
	    cksum
}
# refused WHAT: every command refuses sp's DB at once, naming WHAT, and
# changes nothing
refused() {
	what=$1
	looks >before &&
	while read -r want args; do
		rm -f out.db
		echo '"R:good.example"' >fixin
		set -f
		# shellcheck disable=SC2086
		set -- $args
		set +f
		if [ "$1" = exim_dumpdb ]; then
			shift
			set -- "$DUMPDB" "$@"
		else
			set -- "$HINTSDB" "$@"
		fi
		expect_code "$want" capped "$@" <fixin >out 2>err ||
		    { echo "^ $args"; cat err; return 1; }
		cat out err | grep -Eq "is damaged: page [0-9]+: ($what)" || {
			echo "no damage named: $args"; cat out err; return 1; }
		looks | cmp -s before - || { echo "changed by: $args"; return 1; }
		[ ! -e out.db ] || { echo "written: $args"; return 1; }
	done <"$TRASH/cmds"
}

run_test "a 64 GiB hole after a sound file: every command refuses it in 64 MB" '
	lying sparse $((64 << 30)) &&
	[ "$(stat -c %b sp/db/retry)" -lt 1024 ] &&
	refused "a file of 134217728 pages with data in [0-9]+: .*holes"
'
run_test "a 64 GiB hole: check --repair salvages the record before it" '
	lying sparse $((64 << 30)) &&
	expect_code 1 capped "$HINTSDB" check --repair sp retry >out 2>err &&
	grep -q "^retry: repaired: 1 records kept (0 read normally, 1 more" \
	    out &&
	[ "$(stat -c %s sp/db/retry)" -lt 1048576 ] &&
	expect_code 0 "$HINTSDB" dump -k sp retry >keys &&
	[ "$(cat keys)" = R:good.example ] &&
	expect_code 0 "$HINTSDB" check sp retry
'
run_test "a hole of 1 TiB (2^31 pages): repaired in 64 MB as well" '
	lying sparse $((1 << 40)) &&
	expect_code 1 capped "$HINTSDB" check --repair sp retry >out 2>err &&
	grep -q "^retry: repaired: 1 records kept" out &&
	expect_code 0 "$HINTSDB" dump -k sp retry >keys &&
	[ "$(cat keys)" = R:good.example ]
'
run_test "the same file with its zeros written out is no lie: it is read" '
	lying sparse dense &&
	expect_code 0 capped "$HINTSDB" dump -k sp retry >keys 2>err &&
	[ "$(cat keys)" = R:good.example ]
'
run_test "an overflow page that loops on itself: every command refuses it" '
	lying ovloop $((4 << 20)) &&
	refused "item 1: overflow page 1"
'
run_test "an overflow loop under 278k items: check --repair reads it once" '
	lying ovloop $((4 << 20)) &&
	expect_code 1 capped "$HINTSDB" check --repair sp retry >out 2>err &&
	grep -q "^retry: repaired: 0 records kept" out &&
	expect_code 0 "$HINTSDB" dump -k sp retry >keys && [ ! -s keys ] &&
	expect_code 0 "$HINTSDB" check sp retry
'

test_done
