#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='one grammar: --all in every command that takes DBNAME, never
with a DBNAME, followed by completion; a repeated --match or --peer selects
the union (completion: t7400)'
. "$(dirname "$0")/lib.sh"

S=$SPOOL_EX
DBS="callout misc ratelimit retry seen tls wait-remote_smtp"

run_test "--all in dump, tidy, export, check, stat and convert --in-place" '
	copy_spool sp &&
	expect_code 0 "$HINTSDB" dump -k --all sp >out &&
	[ "$(grep "^==> .* <==$" out | tr -d "=<> " | tr "\n" " ")" = "$DBS " ] &&
	expect_code 0 "$HINTSDB" dump --all --format=json sp >out &&
	for db in $DBS; do
		grep -q "^{\"db\":\"$db\"" out || { echo "dump: no $db"; return 1; }
	done &&
	expect_code 0 "$HINTSDB" tidy -n --all sp >out &&
	[ "$(wc -l <out)" = 7 ] &&
	expect_code 0 "$HINTSDB" export --all sp >out &&
	[ "$(grep -c "^{\"hintsdb_export\":" out)" = 7 ] &&
	expect_code 0 "$HINTSDB" check --all sp >out &&
	expect_code 0 "$HINTSDB" stat --all sp >a &&
	expect_code 0 "$HINTSDB" stat sp >b && cmp a b &&
	expect_code 0 "$HINTSDB" convert --in-place --to-layout=legacy --all sp \
	    >out 2>err
'
run_test "--all with a DBNAME: one usage error, in every such command" '
	for c in "dump -k" "tidy -n" export check stat "convert --in-place"; do
		expect_code 64 "$HINTSDB" $c --all "$S" retry >out 2>err ||
		    { echo "$c"; return 1; }
		grep -qx "hintsdb: ${c%% *}: --all or DBNAME, not both (.retry. given)" err ||
		    { echo "$c"; cat err; return 1; }
		[ "$(wc -l <err)" = 1 ] || { echo "$c"; cat err; return 1; }
	done
'
run_test "a command needing a DBNAME names --all where it has it" '
	for c in dump tidy export "convert --in-place"; do
		expect_code 64 "$HINTSDB" $c "$S" 2>err &&
		grep -q "missing DBNAME (or --all)" err || { echo "$c"; return 1; }
	done &&
	expect_code 64 "$HINTSDB" delete "$S" 2>err &&
	grep -q "missing DBNAME;" err
'
run_test "repeated --match: the union, in dump, export, delete and tidy -v" '
	copy_spool sp &&
	expect_code 0 "$HINTSDB" dump -k --match="R:defer*" --match="T:*2599" \
	    sp retry >out &&
	printf "R:defer.example\nT:127.0.0.1:127.0.0.1:2599\n" >want &&
	cmp want out &&
	expect_code 0 "$HINTSDB" export --match="R:defer*" --match="T:*2599" \
	    sp retry >out &&
	grep -q "\"records\":2" out &&
	expect_code 0 "$HINTSDB" delete -n --match="R:defer*" \
	    --match="T:*2599" sp retry >out &&
	[ "$(grep -c "^would delete" out)" = 2 ] &&
	"$HELPER" age "$PWD/sp/db/retry" retry $((400 * 86400)) &&
	expect_code 0 "$HINTSDB" tidy -n -v --match="R:defer*" \
	    --match="T:*2599" sp retry >out &&
	[ "$(grep -c "^retry: would delete" out)" = 2 ] &&
	expect_code 2 "$HINTSDB" dump -k --match="x*" --match="y*" sp retry \
	    >out 2>err &&
	grep -qx "hintsdb: dump: no key in .retry. matches .x\*. or .y\*." err &&
	expect_code 2 "$HINTSDB" dump -k --all --match="x*" sp >out 2>err &&
	grep -qx "hintsdb: dump: no key in any database matches .x\*." err
'
run_test "repeated --peer: the union" '
	expect_code 0 "$HINTSDB" dump -k --peer=mx.test.example \
	    --peer=none.example "$S" tls >a &&
	expect_code 0 "$HINTSDB" dump -k --peer=mx.test.example "$S" tls >b &&
	cmp a b && [ -s a ]
'
run_test "dry runs say would; every count agrees in number" '
	copy_spool sp &&
	expect_code 0 "$HINTSDB" check -v sp wait-remote_smtp >out &&
	grep -qx "wait-remote_smtp: 1 record, no problems" out &&
	expect_code 0 "$HINTSDB" stat -v sp wait-remote_smtp retry >out &&
	grep -qx "  wait: 4 queued message IDs, 1 host, 0 continuation records" out &&
	grep -q "^  retry: 2 hosts, 2 addresses, 0 other;" out &&
	expect_code 0 "$HINTSDB" tidy -n -v --now=2099-01-01 sp retry >out &&
	grep -q "^retry: would delete " out && ! grep -q "^retry: deleted" out &&
	grep -q "dry run: examined 4, would delete 4 " out
'
test_done
