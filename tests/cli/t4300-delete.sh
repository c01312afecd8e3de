#!/bin/sh
# t4300-delete.sh - hintsdb delete: by key and by glob, dry run, escaped
# output, exit statuses; the real exim_dumpdb reads the DB afterwards.
. "$(dirname "$0")/lib.sh"

# Debian's python3, not a slow shim in front of it
PY=$(command -v /usr/bin/python3 || command -v python3)

sample() { rm -rf sp && copy_spool sp; }
keys() { "$HINTSDB" dump -k sp "$1"; }

run_test "usage errors exit 64, --help exits 0" '
	expect_code 64 "$HINTSDB" delete 2>err &&
	grep -q "^usage: hintsdb delete" err &&
	expect_code 64 "$HINTSDB" delete "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" delete --match="*" "$SPOOL_EX" retry k 2>err &&
	grep -q "not both" err &&
	expect_code 64 "$HINTSDB" delete "$SPOOL_EX" bogus k 2>err &&
	expect_code 64 "$HINTSDB" delete --max-lock-ms=0 "$SPOOL_EX" retry k \
	    2>err &&
	expect_code 64 "$HINTSDB" delete --now=1 "$SPOOL_EX" retry k 2>err &&
	expect_code 0 "$HINTSDB" delete --help >out &&
	grep -q "^usage: hintsdb delete \[-nq\]" out
'
run_test "delete named keys: each printed, gone, exit 0" '
	sample &&
	expect_code 0 "$HINTSDB" delete sp retry R:defer.example \
	    T:127.0.0.1:127.0.0.1:2599 >out &&
	[ "$(cat out)" = "deleted '\''R:defer.example'\''
deleted '\''T:127.0.0.1:127.0.0.1:2599'\''" ] &&
	keys retry >k && ! grep -q "R:defer.example" k && [ "$(wc -l <k)" = 2 ]
'
run_test "a key that is not there: exit 2, the others still go" '
	sample && expect_code 2 "$HINTSDB" delete sp seen nosuch 127.0.0.1 \
	    >out 2>err &&
	grep -q "^deleted .127.0.0.1.$" out &&
	grep -q "no record .nosuch. in .seen." err &&
	! keys seen | grep -qx 127.0.0.1
'
run_test "-n prints what would go and changes nothing" '
	sample && tree_state sp >before &&
	expect_code 0 "$HINTSDB" delete -n sp seen 127.0.0.1 >out &&
	grep -q "^would delete .127.0.0.1.$" out &&
	expect_code 0 "$HINTSDB" delete --dry-run --match="*@*" sp seen >out &&
	[ "$(grep -c "^would delete" out)" = 4 ] &&
	tree_state sp >after && cmp before after
'
run_test "--match: a glob on the key text" '
	sample &&
	expect_code 0 "$HINTSDB" delete --match="R:*@test.example:*" sp retry \
	    >out &&
	[ "$(cat out)" = "deleted '\''R:later1@test.example:<alice@client.example>'\''" ] &&
	expect_code 0 "$HINTSDB" delete --match="1h/per_rcpt/unique/*" sp \
	    ratelimit >out &&
	[ "$(wc -l <out)" = 8 ] && ! keys ratelimit | grep -q unique &&
	[ "$(keys ratelimit | wc -l)" = 4 ]
'
run_test "--match with no match: exit 2" '
	sample && expect_code 2 "$HINTSDB" delete --match="R:*.invalid" sp retry \
	    >out 2>err && [ ! -s out ] && grep -q "no key in .retry. matches" err
'
run_test "keys are printed escaped; -q prints nothing" '
	sample &&
	expect_code 0 "$HINTSDB" delete --match="etrn-*" sp misc >out &&
	grep -q "^deleted .etrn-test.example\\\\n.$" out && no_ctl out &&
	expect_code 0 "$HINTSDB" delete -q sp misc 127.0.0.1:2525.EHLO >out &&
	[ ! -s out ]
'
run_test "many keys go in short batches" '
	sample && expect_code 0 env HINTSDB_TEST_HOLD_RECORDS=3 "$HINTSDB" delete \
	    --max-lock-ms=1 --match="*" sp callout >out && [ "$(wc -l <out)" = 17 ] && [ -z "$(keys callout)" ]
'
run_test "missing DB 66, held lock 75, symlinked lockfile 74" '
	mkdir -p e/db && expect_code 66 "$HINTSDB" delete e retry k 2>err &&
	sample && exim_hold sp/db/seen.lockfile &&
	expect_code 75 "$HINTSDB" delete --lock-timeout=200ms sp seen 127.0.0.1 \
	    2>err; st=$?; exim_release;
	[ $st = 0 ] && grep -q "cannot write-lock" err &&
	rm sp/db/seen.lockfile && : >x && ln -s "$PWD/x" sp/db/seen.lockfile &&
	expect_code 74 "$HINTSDB" delete sp seen 127.0.0.1 2>err &&
	grep -q "symlinked lockfile" err
'
run_test "afterwards the real exim_dumpdb reads the DB" '
	sample && "$HINTSDB" delete sp retry R:defer.example >/dev/null &&
	exim_run exim_dumpdb "$PWD/sp" retry >d &&
	! grep -q defer.example d && grep -q "2599" d
'
run_test "delete(8): a host's TLS session, found by peer, then deleted" '
	sample &&
	hintsdb() { "$HINTSDB" "$@"; } &&
	expect_code 0 hintsdb dump -k --peer=mx.test.example sp tls >keys &&
	test "$(wc -l <keys)" = 2 &&
	K=$(head -n 1 keys) &&
	expect_code 0 hintsdb delete sp tls $K >out &&
	[ "$(cat out)" = "deleted '\''$K'\'' peer=mx.test.example sni=mx.test.example" ] &&
	keys tls >k && test "$(wc -l <k)" = 1 && ! grep -q $K k &&
	expect_code 0 "$HINTSDB" ticket --format=summary sp >sum &&
	grep -q "peer=mx.test.example" sum &&
	hintsdb dump -k --peer="*.test.example" sp tls |
	    xargs -r "$HINTSDB" delete sp tls >out &&
	grep -q "^deleted .* peer=mx.test.example$" out &&
	test -z "$(keys tls)"
'
run_test "delete -n of a tls key names the peer; missing key still 1" '
	sample &&
	expect_code 0 "$HINTSDB" delete -n --match="*" sp tls >out &&
	test "$(grep -c "^would delete .* peer=mx.test.example" out)" = 2 &&
	expect_code 2 "$HINTSDB" delete sp tls 00 >out 2>err &&
	test ! -s out && grep -q "no record .00. in .tls." err
'
# tdb: a delete by key walks the key's whole hash chain, so --match
# deletes as a write-locked walk goes (pieces.h: db_sweep)
run_test "tdb: --match deletes what -n lists, each once, peers named" '
	sample &&
	for db in tls retry; do
		"$HINTSDB" convert --in-place --to-backend=tdb sp $db \
		    >/dev/null || exit 1
	done
	expect_code 0 "$HINTSDB" delete -n --match="*" sp tls >dry &&
	expect_code 0 "$HINTSDB" delete --match="*" sp tls >out &&
	sed "s/^would delete/deleted/" dry | sort >want && sort out >got &&
	cmp want got && [ "$(grep -c " peer=mx.test.example" out)" = 2 ] &&
	[ -z "$(keys tls)" ] &&
	expect_code 0 "$HINTSDB" delete --match="R:*@test.example:*" sp retry \
	    >out &&
	[ "$(cat out)" = "deleted '\''R:later1@test.example:<alice@client.example>'\''" ]
'
run_test "tdb: --match in tiny holds: exactly the matching keys go" '
	export LC_ALL=C N=20000 && bigspool tdb && keys retry >all &&
	expect_code 0 "$HINTSDB" delete -n --match="k1*" sp retry >dry &&
	expect_code 0 env HINTSDB_TEST_HOLD_RECORDS=500 "$HINTSDB" delete \
	    --max-lock-ms=1 --match="k1*" sp retry >out &&
	[ "$(wc -l <out)" -gt 1000 ] && [ -z "$(sort out | uniq -d)" ] &&
	sed "s/^would delete/deleted/" dry | sort >want && sort out >got &&
	cmp want got && grep -v "^k1" all >want && keys retry | sort >left &&
	cmp want left
'
test_done
