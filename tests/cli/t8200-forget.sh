#!/bin/sh
# t8200-forget.sh - hintsdb forget [-n] SPOOL TARGET...: deletes the
# retry, callout, serialize, EHLO and TLS records that name a destination
# (as why finds them), a line per DB; -n changes nothing; wait-* lists,
# SPOOL/input, ratelimit and seen stay; no other destination's records
# change; as root it runs as the owner of SPOOL/db; and delete --peer.
. "$(dirname "$0")/lib.sh"

U=nobody
G=$(id -gn nobody 2>/dev/null || echo nogroup)

# keys SPOOL: every key of every DB, "db key" a line, sorted
keys() {
	for db in retry misc callout ratelimit seen tls wait-remote_smtp; do
		"$HINTSDB" dump -k "$1" $db | sed "s/^/$db /" || return 1
	done | sort
}

run_test "-n lists what would go, a line per DB, and changes nothing" '
	copy_spool sp && tree_state sp >before &&
	expect_code 0 "$HINTSDB" forget -n sp 127.0.0.1:2599 >out &&
	grep -qx "would delete .T:127.0.0.1:127.0.0.1:2599." out &&
	grep -qx "would delete .host-serialize-127.0.0.1." out &&
	grep -qx "retry: 1 record would be deleted" out &&
	grep -qx "misc: 1 record would be deleted" out &&
	grep -qx "callout: 0 records would be deleted" out &&
	grep -qx "tls: 0 records would be deleted" out &&
	! grep -q "2525.EHLO\|wait\|seen\|ratelimit" out &&
	tree_state sp >after && cmp before after
'
run_test "a host: its records go, every other record and message stays" '
	copy_spool sp && keys sp >k0 &&
	tree_state sp/input >in0 &&
	cp sp/db/wait-remote_smtp w0 &&
	expect_code 0 "$HINTSDB" forget sp 127.0.0.1 >out &&
	grep -qx "retry: 2 records deleted" out &&
	grep -qx "misc: 3 records deleted" out &&
	keys sp >k1 &&
	comm -23 k0 k1 >gone &&
	printf "%s\n" "misc 127.0.0.1:2525.EHLO" "misc 127.0.0.1:2526.EHLO" \
	    "misc host-serialize-127.0.0.1" \
	    "retry T:127.0.0.1:127.0.0.1:2525:1xWlA5-0004Fd-31" \
	    "retry T:127.0.0.1:127.0.0.1:2599" | sort >want &&
	cmp want gone && test -z "$(comm -13 k0 k1)" &&
	tree_state sp/input >in1 && cmp in0 in1 &&
	cmp w0 sp/db/wait-remote_smtp &&
	expect_code 0 "$HINTSDB" why sp 127.0.0.1 >why &&
	tail -n 1 why | grep -qx "127.0.0.1: no retry record: Exim tries it at once; 3 messages waiting"
'
run_test "a domain: routing and address retry, callout; ETRN stays" '
	copy_spool sp &&
	expect_code 0 "$HINTSDB" forget sp test.example >out &&
	grep -qx "deleted .R:later1@test.example:<alice@client.example>." out &&
	grep -qx "deleted .test.example." out &&
	grep -qx "callout: 7 records deleted" out &&
	expect_code 0 "$HINTSDB" dump -k sp misc >m &&
	grep -q "^etrn-test.example" m &&
	expect_code 0 "$HINTSDB" dump -k sp callout >c &&
	! grep -q "@test.example\|^test.example" c && grep -qx "verify.example" c
'
run_test "a host name: its TLS sessions, by certificate name or SNI" '
	copy_spool sp &&
	expect_code 0 "$HINTSDB" forget -q sp mx.test.example >out &&
	grep -qx "tls: 2 records deleted" out && ! grep -q "^deleted" out &&
	expect_code 0 "$HINTSDB" dump -k sp tls >t && test ! -s t
'
run_test "nothing known: every DB says 0, exit 1; again after forgetting" '
	copy_spool sp &&
	expect_code 2 "$HINTSDB" forget sp nowhere.example >out &&
	test "$(grep -c ": 0 records deleted$" out)" = 4 &&
	expect_code 0 "$HINTSDB" forget -q sp 127.0.0.1 >/dev/null &&
	expect_code 2 "$HINTSDB" forget sp 127.0.0.1 >/dev/null
'
run_test "usage: 64 without a target or for a bad one; 66 without a spool" '
	expect_code 64 "$HINTSDB" forget sp 2>err &&
	grep -q "^usage: hintsdb forget" err &&
	expect_code 64 "$HINTSDB" forget "$SPOOL_EX" "x y" 2>err &&
	expect_code 66 "$HINTSDB" forget --no-drop-privileges "$PWD/none" \
	    a.example 2>err
'
run_test "a writer holding retry: 75 after the lock timeout, nothing lost" '
	copy_spool sp && keys sp >k0 &&
	hold_lock sp/db/retry.lockfile 30 &&
	expect_code 75 "$HINTSDB" forget --lock-timeout=200ms sp 127.0.0.1 \
	    >out 2>err;
	r=$?; kill "$LOCK_PID"; wait "$LOCK_PID" 2>/dev/null
	test $r = 0 && keys sp >k1 && cmp k0 k1
'
run_test "as root: runs as the owner of SPOOL/db, leaves no root file" '
	[ "$(id -u)" != 0 ] && exit 0
	chmod 755 "$TRASH" "$PWD" && copy_spool sp && chown -R "$U:$G" sp &&
	rm sp/db/retry.lockfile sp/db/misc.lockfile &&
	expect_code 0 "$HINTSDB" forget sp 127.0.0.1 >out &&
	grep -qx "retry: 2 records deleted" out &&
	test -z "$(find sp -user root)" &&
	test "$(stat -c "%U %a" sp/db/retry.lockfile)" = "$U 640" &&
	test "$(stat -c "%U %a" sp/db/misc.lockfile)" = "$U 640"
'
run_test "on tdb, where delete walks and deletes as it goes, the same" '
	copy_spool sp &&
	for db in retry misc; do
		"$HINTSDB" convert --to-backend=tdb --in-place sp $db || exit 1
	done &&
	expect_code 0 "$HINTSDB" forget sp 127.0.0.1 >out &&
	grep -qx "retry: 2 records deleted" out &&
	grep -qx "misc: 3 records deleted" out &&
	expect_code 0 "$HINTSDB" dump -k sp retry >r &&
	printf "%s\n" R:defer.example \
	    "R:later1@test.example:<alice@client.example>" >want &&
	cmp want r
'
run_test "delete --peer=GLOB SPOOL tls: the sessions of a peer in one step" '
	copy_spool sp &&
	expect_code 0 "$HINTSDB" delete -n --peer="MX.TEST.*" sp tls >out &&
	test "$(grep -c "^would delete .* peer=mx.test.example" out)" = 2 &&
	expect_code 2 "$HINTSDB" delete --peer="other.*" sp tls >out 2>err &&
	test ! -s out &&
	grep -qx "hintsdb: delete: no session in .tls. has a peer matching .other\.\*." err &&
	expect_code 64 "$HINTSDB" delete --peer=x sp retry 2>err &&
	expect_code 64 "$HINTSDB" delete --peer=x sp tls somekey 2>err &&
	expect_code 0 "$HINTSDB" delete --peer="mx.test.example" sp tls >out &&
	test "$(grep -c "^deleted" out)" = 2 &&
	expect_code 0 "$HINTSDB" dump -k sp tls >t && test ! -s t
'
test_done
