#!/bin/sh
# t2050-v2-padding.sh - v2 records as Exim 4.100.1 writes them: BOOL is one
# byte, and the three bytes after `tainted` (and after retry's `expired`)
# are uninitialised padding (formats doc §8.2).  Such records decode, are
# never flagged, are aged by tidy, counted by stat, and every writer
# (convert, import, fix, tidy) stores them with zero padding.  The records
# are built relative to the current time on a SQLite spool without
# lockfiles, as 4.100.1 leaves it.
. "$(dirname "$0")/lib.sh"

# The records are a minute old: convert --in-place keeps, as Exim wrote
# it, a record stamped in the second it began or later (Exim may have
# written it meanwhile: catchup.c, exim_since), and so would keep the
# padding this file checks is zeroed whenever the test began in that
# second.
NOW=$(($(date +%s) - 60))
le64() { "$PYTHON" -c 'import struct,sys; print(struct.pack("<q", int(sys.argv[1])).hex())' "$1"; }
TS=$(le64 "$NOW")
OLD=$(le64 $((NOW - 40 * 86400)))
NEXT=$(le64 $((NOW + 3600)))
TXT=$(printf 'SMTP error' | od -An -tx1 | tr -d ' \n')

# mkspool DIR: callout (domain, old domain, address), misc serialize and
# retry address records with the padding values seen in real 4.100.1 files
mkspool() {
	mkdir -p "$1/db" &&
	"$HELPER" put "$1/db/callout" sqlite "$(hexkey example.com)" \
	    "0200000000550000${TS}010000000100000002000000deadbeef${TS}${TS}" &&
	"$HELPER" put "$1/db/callout" sqlite "$(hexkey old.example)" \
	    "02000000007f0000${OLD}010000000000000000000000deadbeef${OLD}${OLD}" &&
	"$HELPER" put "$1/db/callout" sqlite "$(hexkey a@example.com)" \
	    "0200000000763945${TS}01000000aaaaaaaa" &&
	"$HELPER" put "$1/db/misc" sqlite "$(hexkey tpt-serialize-remote_smtp)" \
	    "0200000000550000${TS}01000000cccccccc" &&
	"$HELPER" put "$1/db/retry" sqlite "$(hexkey 'R:x@example.com:<a@b>')" \
	    "0200000001763945${TS}${TS}${TS}${NEXT}00550000d4ffffff34330000${TXT}00ababab"
}

# padding_zero DB: every record of the export of ./sp DB has zero bytes
# after its one-byte BOOLs
padding_zero() {
	"$HINTSDB" export sp "$1" >exp &&
	"$PYTHON" - exp "$1" <<-'EOF'
	import base64, json, sys
	lines = open(sys.argv[1]).read().splitlines()[1:]
	assert lines, "no records"
	for l in lines:
	    raw = base64.b64decode(json.loads(l)["raw"])
	    assert raw[0] == 2, raw[:8]
	    assert raw[5:8] == b"\0\0\0", ("header padding", raw[:8])
	    if sys.argv[2] == "retry":
	        assert raw[41:44] == b"\0\0\0", ("expired padding", raw[40:44])
	EOF
}

run_test "4.100.1 padding: every record decodes, no flag, dump exits 0" '
	mkspool sp &&
	for db in callout misc retry; do
		expect_code 0 "$HINTSDB" dump sp $db >out.$db 2>err || exit 1
		[ ! -s err ] || { cat err; exit 1; }
	done &&
	grep -q "kind: domain" out.callout &&
	[ "$(grep -c "layout: v2 (tainted: no)" out.callout)" = 3 ] &&
	grep -q "running: 1" out.misc &&
	grep -q "layout: v2 (tainted: yes)" out.retry &&
	grep -q "expired: no" out.retry &&
	expect_code 0 "$HINTSDB" check sp >out 2>&1 || { cat out; exit 1; }
'
run_test "4.100.1 padding: forced --layout=v2 reads only the first byte" '
	mkspool sp &&
	expect_code 0 "$HINTSDB" dump --layout=v2 --format=json sp retry >out &&
	grep -q "\"tainted\":true" out && grep -q "\"expired\":false" out
'
run_test "4.100.1 padding: --format=exim prints every record" '
	mkspool sp &&
	expect_code 0 "$HINTSDB" dump --format=exim sp callout >out &&
	[ "$(wc -l <out)" = 3 ] &&
	grep -q " example.com callout=accept postmaster=accept (" out &&
	grep -q " a@example.com callout=accept$" out
'
run_test "stat shows the callout domain line for such records" '
	mkspool sp &&
	expect_code 0 "$HINTSDB" stat -v sp >out &&
	grep -q "callout domain: 2 accept 0 reject" out &&
	grep -q "callout address: 1 accept 0 reject" out &&
	grep -q "records: 3 (0 undecodable, 0 invalid)" out
'
run_test "tidy ages them: the 40-day-old domain record goes, the rest stay" '
	mkspool sp &&
	expect_code 0 "$HINTSDB" tidy -v sp callout >out 2>&1 &&
	grep -q "deleted .old.example. (too old)" out &&
	"$HINTSDB" dump -k sp callout >keys &&
	printf "a@example.com\nexample.com\n" | cmp - keys &&
	[ ! -e sp/db/callout.lockfile ]
'
run_test "convert to legacy and back round-trips, with zero padding" '
	mkspool sp &&
	for db in callout misc retry; do
		"$HINTSDB" dump --format=json sp $db | sed -E "s/,\"age_s\":[0-9]+//; s/\"layout\":\"v2\",\"tainted\":(true|false),//" >before.$db &&
		expect_code 0 "$HINTSDB" convert --to-layout=legacy --in-place sp $db &&
		expect_code 0 "$HINTSDB" convert --to-layout=v2 --in-place sp $db &&
		"$HINTSDB" dump --format=json sp $db | sed -E "s/,\"age_s\":[0-9]+//; s/\"layout\":\"v2\",\"tainted\":(true|false),//" >after.$db &&
		cmp before.$db after.$db && padding_zero $db || exit 1
	done
'
run_test "convert keeping the layout writes zero padding" '
	mkspool sp &&
	expect_code 0 "$HINTSDB" convert --in-place --to-backend=sqlite sp retry &&
	padding_zero retry &&
	"$HINTSDB" dump --format=json sp retry >out &&
	grep -q "\"tainted\":true" out && grep -q "\"expired\":false" out
'
run_test "import of an export needs no --layout and writes zero padding" '
	mkspool sp &&
	for db in callout misc retry; do
		"$HINTSDB" export sp $db >e.$db &&
		rm sp/db/$db &&
		expect_code 0 "$HINTSDB" import sp $db <e.$db &&
		padding_zero $db || exit 1
	done
'
run_test "fix writes zero padding" '
	mkspool sp &&
	printf "R:x@example.com:<a@b> 1 77\n" |
	    expect_code 0 "$HINTSDB" fix sp retry >out 2>&1 &&
	grep -q "extra data: *77" out &&
	padding_zero retry
'
test_done
