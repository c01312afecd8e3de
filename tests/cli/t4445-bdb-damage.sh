#!/bin/sh
# t4445-bdb-damage.sh - a Berkeley DB hash file with damaged pages is
# refused before libdb reads them (libdb would read past its own page
# buffer, fault, or loop): every command exits with its documented status
# and names the damaged page, none crashes or hangs (nor trips ASan in the
# sanitizer pass), and none changes the file; check reports the damage and
# --repair rebuilds it.  Sound files, with overflow chains, blank bucket
# pages or 64 KiB pages, are not refused.
# Files that lie about their size (tests/data/make-lying-bdb.py) cost work
# in proportion to what they hold: a sound file followed by a 64 GiB hole
# (before: every command mapped every page, 1.5 GB, and the salvage read
# 2^27 pages one by one), and an overflow page that is its own next, named
# by 34 items a page each claiming 16 MiB (before: check --repair followed
# the loop for every item, quadratic: 2 MiB took 101 s).  Every command
# runs within 64 MB of address space (ulimit -v), and with a generous
# timeout as a guard against the hang that was.
. "$(dirname "$0")/lib.sh"

NOW=$(date +%s)
VERIFY=$(command -v db5.3_verify || true)
LIMIT=${HDB_HOSTILE_TIMEOUT:-60}
REPRO=$DATA/repro
KEY64K=$DATA/hostile/key-64k/db/retry
DUMPDB=$(dirname "$HINTSDB")/exim_dumpdb
LYING=$DATA/make-lying-bdb.py

# The commands, one a line: STATUS ARGS (SPOOL sp, DB retry).  The
# writers refuse before they change anything, as the readers do.
cat >"$TRASH/cmds" <<'EOF'
74 dump sp retry
74 dump -k sp retry
74 dump --format=json sp retry
74 dump sp retry R:defer.example
74 export sp retry
74 stat sp
74 stat --format=json sp retry
74 tidy -n sp retry
74 tidy sp retry
74 fix sp retry
74 delete sp retry R:defer.example
74 delete sp retry --match=*
74 convert --output=out.db --to-backend=tdb sp retry
74 convert --in-place --to-backend=sqlite sp retry
1 exim_dumpdb sp retry
EOF

# spool FILE: SPOOL "sp" whose retry DB is a copy of FILE
spool() {
	rm -rf sp && mkdir -p sp/db sp/input && cp "$1" sp/db/retry &&
	: >sp/db/retry.lockfile
}
# lying KIND [ARG]: SPOOL "sp" whose retry DB is make-lying-bdb.py's KIND
lying() {
	_kind=$1
	shift
	rm -rf sp && mkdir -p sp/db sp/input &&
	"$PYTHON" "$LYING" "$_kind" sp/db/retry "$@" &&
	: >sp/db/retry.lockfile
}
# capped CMD...: CMD within 64 MB of address space, unless a sanitizer
# (which reserves terabytes) or a wrapper runs it, and a hang guard
capped() {
	if [ -z "${ASAN_OPTIONS:-}" ] && head -c 4 "$HINTSDB" | grep -q ELF
	then
		(ulimit -v 65536 && exec timeout "$LIMIT" "$@")
	else
		timeout "$LIMIT" "$@"
	fi
}
# unchanged: sp's DB is as orig; of a file with a hole past 64 MiB its
# size, blocks and first 64 KiB (cmp would read every byte of the hole)
unchanged() {
	if [ "$(stat -c %s sp/db/retry)" -le $((64 << 20)) ]; then
		cmp -s orig sp/db/retry
	else
		[ "$(stat -c "%s %b" orig)" = "$(stat -c "%s %b" sp/db/retry)" ] &&
		    head -c 65536 sp/db/retry >head &&
		    head -c 65536 orig | cmp -s - head
	fi
}
# big N: SPOOL "sp" with a retry DB of N generated records
big() {
	rm -rf sp && mkdir -p sp/db sp/input &&
	"$HELPER" gen sp/db/retry bdb retry "$1" 7 "$NOW" &&
	: >sp/db/retry.lockfile
}
# poke OFFSET HEX: write the bytes HEX into sp/db/retry at OFFSET
poke() {
	"$PYTHON" -c "import sys
f = open('sp/db/retry', 'r+b'); f.seek(int(sys.argv[1]))
f.write(bytes.fromhex(sys.argv[2]))" "$1" "$2"
}
# hash_page: the number of the first hash page whose chain ends there
hash_page() {
	"$PYTHON" -c "import struct
d = open('sp/db/retry', 'rb').read()
for p in range(1, len(d) // 4096):
    g = d[p * 4096:p * 4096 + 26]
    if g[25] == 13 and struct.unpack('<I', g[16:20])[0] == 0 and \
       struct.unpack('<H', g[20:22])[0] > 0:
        print(p); break"
}
le32() { "$PYTHON" -c "import struct,sys
print(struct.pack('<I', int(sys.argv[1])).hex())" "$1"; }

# refused WHAT: every command on sp refuses it, naming "page N: WHAT"
refused() {
	what=$1
	cp sp/db/retry orig &&
	while read -r want args; do
		rm -f out.db
		echo '"R:defer.example"' >fixin
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
		expect_code "$want" capped "$@" <fixin >/dev/null 2>err ||
		    { echo "^ $args"; cat err; return 1; }
		grep -Eq "is damaged: page [0-9]+: ($what)" err || {
			echo "no damage named: $args"; cat err; return 1; }
		unchanged || { echo "changed by: $args"; return 1; }
		[ ! -e out.db ] && [ "$(ls -a sp/db | grep -c hintsdb)" -eq 0 ] ||
		    { echo "written: $args"; return 1; }
	done <"$TRASH/cmds" &&
	expect_code 1 capped "$HINTSDB" check sp retry >out 2>err &&
	grep -Eq "^retry: cannot read every record: .* is damaged: page [0-9]+: ($what)" \
	    out && unchanged
}
# repaired: check --repair rebuilds sp's retry DB into one every command reads
repaired() {
	expect_code 1 capped "$HINTSDB" check --repair sp retry >out 2>err &&
	grep -q "^retry: repaired: " out &&
	{ [ -z "$VERIFY" ] || "$VERIFY" -q sp/db/retry; } &&
	expect_code 0 "$HINTSDB" dump -k sp retry >/dev/null &&
	expect_code 0 "$HINTSDB" check sp retry
}

run_test "item offsets past the page (libdb: __db_retcopy over-read)" '
	big 5000 && poke $((4096 * 50 + 100)) "$(printf "ff%.0s" $(seq 300))" &&
	refused "item [0-9]* at offset 65535" && repaired
'
run_test "a page whose items are damaged: refused, repaired" '
	big 5000 && poke $((4096 * 7 + 3800)) "$(printf "00%.0s" $(seq 296))" &&
	refused "item [0-9]* of type 0" && repaired
'
run_test "check --repair reads the damaged DB with the lock free" '
	big 5000 && poke $((4096 * 7 + 3800)) "$(printf "00%.0s" $(seq 296))" &&
	# a file written within a clock tick is checked under the lock: the
	# steps below are those of one written a while ago
	# (by the clock that stamps files, which libfaketime does not move)
	: >now && touch -d "@$(($(stat -c %Y now) - 60))" sp/db/retry || exit 1
	# testpoint 1: the copy check examines; 2: the copy repair reads,
	# where it waits for ./go (60 s at most)
	HINTSDB_TEST_STALL_AT=2:60000 HINTSDB_TEST_STALL_UNTIL=$PWD/go \
	    "$HINTSDB" check --repair sp retry >out 2>err &
	pid=$! &&
	wait_for 60 "the copy that repair reads" $pid \
	    sh -c "ls -a sp/db | grep -q \"^\\.retry\\.hintsdb\\.$pid\\.\"" &&
	hold_lock sp/db/retry.lockfile 1 && wait $LOCK_PID &&
	kill -0 $pid && : >go && { wait $pid; [ $? -eq 1 ]; } &&
	grep -q "^retry: repaired: [0-9]* records\{0,1\} kept" out &&
	expect_code 0 "$HINTSDB" check sp retry
'
run_test "a hash chain that loops back on itself (libdb: endless walk)" '
	big 5000 && p=$(hash_page) && [ -n "$p" ] &&
	poke $((4096 * p + 16)) "$(le32 "$p")" &&
	refused "reached twice" && repaired
'
run_test "an overflow page longer than a page (libdb: over-read)" '
	spool "$KEY64K" && poke $((4096 * 3 + 22)) ffff &&
	refused "overflow page of 65535 bytes"
'
run_test "an overflow chain cut short (libdb: hands out unset bytes)" '
	spool "$KEY64K" && poke $((4096 * 10 + 16)) 00000000 &&
	refused "overflow chain of [0-9]* bytes for an item of [0-9]*"
'
run_test "a file cut short: buckets past its end" '
	big 5000 && truncate -s $((4096 * 100)) sp/db/retry &&
	refused "next page [0-9]+ is past the end of the file|bucket [0-9]+ on page"
'
run_test "the reproducers of libdb crashes and hangs are refused" '
	for f in "$REPRO"/bdb*.db; do
		spool "$f" && refused "" || { echo "^ $f"; return 1; }
	done
'
run_test "sound files are read: overflow chains, blank pages, many pages" '
	spool "$KEY64K" && expect_code 0 "$HINTSDB" dump -k sp retry >keys &&
	[ "$(wc -l <keys)" -eq 2 ] &&
	big 20000 && expect_code 0 "$HINTSDB" dump -k sp retry >keys &&
	[ "$(wc -l <keys)" -eq 20000 ] &&
	expect_code 0 "$HINTSDB" delete sp retry --match="*.1*" >/dev/null &&
	expect_code 0 "$HINTSDB" check sp retry &&
	expect_code 0 "$HINTSDB" tidy sp retry >/dev/null &&
	expect_code 0 "$HINTSDB" dump -k sp retry >/dev/null
'
run_test "a 64 GiB hole after a sound file: refused in 64 MB, salvaged" '
	lying sparse $((64 << 30)) && [ "$(stat -c %b sp/db/retry)" -lt 1024 ] &&
	refused "a file of 134217728 pages with data in [0-9]+: .*holes" &&
	repaired && grep -q "^retry: repaired: 1 record kept (0 read normally" \
	    out && [ "$(stat -c %s sp/db/retry)" -lt 1048576 ] &&
	expect_code 0 "$HINTSDB" dump -k sp retry >keys &&
	[ "$(cat keys)" = R:good.example ]
'
run_test "a hole of 1 TiB (2^31 pages): salvaged in 64 MB as well" '
	lying sparse $((1 << 40)) && repaired &&
	grep -q "^retry: repaired: 1 record kept" out &&
	expect_code 0 "$HINTSDB" dump -k sp retry >keys &&
	[ "$(cat keys)" = R:good.example ]
'
run_test "the same file with its zeros written out is no lie: it is read" '
	lying sparse dense &&
	expect_code 0 capped "$HINTSDB" dump -k sp retry >keys 2>err &&
	[ "$(cat keys)" = R:good.example ]
'
run_test "an overflow page that is its own next, under 278k items: read once" '
	lying ovloop $((4 << 20)) && refused "item 1: overflow page 1" &&
	repaired && grep -q "^retry: repaired: 0 records kept" out &&
	expect_code 0 "$HINTSDB" dump -k sp retry >keys && [ ! -s keys ]
'
if command -v db5.3_load >/dev/null 2>&1; then
run_test "64 KiB pages, whose free-space offset 0 means the page end" '
	{ printf "VERSION=3\nformat=print\ntype=hash\nHEADER=END\n";
	  for i in $(seq 200); do printf " k%d\\\\00\n v%d\n" "$i" "$i"; done
	  printf "DATA=END\n"; } >in &&
	db5.3_load -c db_pagesize=65536 -f in big.db &&
	spool big.db && expect_code 0 "$HINTSDB" dump -k sp retry >keys &&
	[ "$(wc -l <keys)" -eq 200 ] &&
	expect_code 0 "$HINTSDB" delete sp retry --match="k1*" >/dev/null &&
	expect_code 0 "$HINTSDB" dump -k sp retry >/dev/null
'
fi
test_done
