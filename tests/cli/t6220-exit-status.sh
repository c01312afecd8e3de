#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='one table of exit statuses, in hintsdb(8): every man page
lists only statuses of that table, "nothing found" (2) never shares a status
with "damaged" (1) in any command, and the exim_* links keep Exim'"'"'s 0 and 1'
. "$(dirname "$0")/lib.sh"

S=$SPOOL_EX
BIN=$(dirname "$HINTSDB")

# statuses FILE: the numbers of a man page's EXIT STATUS list, one a line
statuses() {
	awk '/^\.Sh EXIT STATUS/ { p = 1; next } /^\.Sh/ { p = 0 }
	    p && /^\.It [0-9]+$/ { print $2 }' "$1" | sort -n
}

# broken: a copy of the example spool whose retry DB holds one record
# that does not decode
broken() {
	copy_spool sp &&
	"$HELPER" put sp/db/retry bdb "$(hexkey "R:broken.example")" 0102
}

run_test "hintsdb(8)'s table: 0, 1, 2, 64-77, each once" '
	statuses "$TOP/man/hintsdb.8" >t &&
	printf "%s\n" 0 1 2 64 65 66 70 74 75 77 >want && cmp want t
'
run_test "every man page lists only statuses of that table, each once" '
	statuses "$TOP/man/hintsdb.8" >t &&
	for m in "$TOP"/man/hintsdb-*.8; do
		statuses "$m" >s || return 1
		[ -s s ] || { echo "$m: no EXIT STATUS list"; return 1; }
		[ -z "$(uniq -d s)" ] || { echo "$m: twice"; return 1; }
		[ -z "$(comm -23 s t)" ] ||
		    { echo "$m: not in hintsdb(8): $(comm -23 s t)"; return 1; }
	done
'
run_test "nothing found is 2 in every command that looks things up" '
	copy_spool sp &&
	expect_code 2 "$HINTSDB" dump sp retry R:nothere.example >o 2>e &&
	expect_code 2 "$HINTSDB" dump --match="R:none*" sp retry >o 2>e &&
	expect_code 2 "$HINTSDB" dump --peer=none.example sp tls >o 2>e &&
	expect_code 2 "$HINTSDB" export --match="R:none*" sp retry >o 2>e &&
	grep -q "\"records\":0" o &&
	expect_code 2 "$HINTSDB" export --all --match="R:none*" sp >o 2>e &&
	grep -qx "hintsdb: export: no key in any database matches .R:none\*." e &&
	expect_code 0 "$HINTSDB" export --all --match="R:*" sp >o 2>e &&
	expect_code 2 "$HINTSDB" delete sp retry R:nothere.example >o 2>e &&
	expect_code 2 "$HINTSDB" delete -n --match="R:none*" sp retry >o 2>e &&
	echo R:nothere.example | expect_code 2 "$HINTSDB" fix sp retry >o 2>e
'
run_test "damage is 1, and wins over nothing found" '
	broken &&
	expect_code 1 "$HINTSDB" dump sp retry >o 2>e &&
	expect_code 1 "$HINTSDB" dump sp retry R:broken.example R:nothere >o 2>e &&
	expect_code 1 "$HINTSDB" export sp retry >o 2>e &&
	expect_code 1 "$HINTSDB" check sp retry >o 2>e &&
	printf "R:broken.example\nR:nothere\n" |
	    expect_code 1 "$HINTSDB" fix sp retry >o 2>e
'
run_test "the exim_* links keep Exim's statuses" '
	broken &&
	expect_code 0 "$BIN/exim_dumpdb" "$PWD/sp" seen >o 2>e &&
	echo R:nothere.example | expect_code 0 "$BIN/exim_fixdb" "$PWD/sp" retry \
	    >o 2>e &&
	expect_code 1 "$BIN/exim_dumpdb" "$PWD/sp" 2>e
'
test_done
