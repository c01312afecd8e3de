#!/bin/sh
# t8100-why.sh - hintsdb why SPOOL TARGET...: the records of every hints
# DB that name a domain, address, host, IP[:port] or message ID, the
# messages waiting and whether each is in SPOOL/input, one verdict line
# per target; JSON one object per target; exit 0 found, 1 nothing known,
# 64 usage, 66 no spool, 75 a lock that stays busy.
. "$(dirname "$0")/lib.sh"

# 6 minutes before the 2599 record's next try (2026-11-27T02:09:06Z)
NOW=--now=2026-11-27T02:03:06Z

run_test "a failing host: retry, EHLO, serialize, seen, wait; one verdict" '
	expect_code 0 "$HINTSDB" why "$NOW" "$SPOOL_EX" 127.0.0.1:2599 >out &&
	no_ctl out &&
	grep -q "^  retry T:127.0.0.1:127.0.0.1:2599: failing since 2026-11-27T01:54:06+00:00 (9m), last try 2026-11-27T01:54:06+00:00, next try in 6m (at the next queue run after 2026-11-27T02:09:06+00:00)$" out &&
	grep -qx "    last error: Connection refused (ECONNREFUSED)" out &&
	grep -q "^  misc host-serialize-127.0.0.1: serialize, 1 running" out &&
	grep -q "^  seen 127.0.0.1: " out &&
	grep -qx "    1xWlA6-0004Fj-06 (in SPOOL/input)" out &&
	grep -qx "    1xWlA6-0004Fy-0j (not in SPOOL/input)" out &&
	! grep -q "2525.EHLO\|T:127.0.0.1:127.0.0.1:2525" out &&
	test "$(tail -n 1 out)" = "127.0.0.1 [127.0.0.1]:2599: failing for 9m (Connection refused); next try in 6m (at the next queue run after 2026-11-27T02:09:06+00:00); 3 messages waiting"
'
run_test "without a port an IP finds every port; next try now once it passed" '
	expect_code 0 "$HINTSDB" why "$SPOOL_EX" 127.0.0.1 >out &&
	grep -q "^  misc 127.0.0.1:2525.EHLO: EHLO cached .* ago: STARTTLS," out &&
	grep -q "^  retry T:127.0.0.1:127.0.0.1:2525:1xWlA5-0004Fd-31: " out &&
	grep -q "next try now (at the next queue run)$" out &&
	tail -n 1 out | grep -q "^127.0.0.1 \[127.0.0.1\]:2599: failing for "
'
run_test "a domain: routing and address retry, callout, ETRN; an address" '
	expect_code 0 "$HINTSDB" why "$NOW" "$SPOOL_EX" test.example \
	    later1@test.example >out &&
	grep -q "^  retry R:later1@test.example:<alice@client.example>: " out &&
	grep -q "^  callout test.example: domain callout accept" out &&
	grep -q "^  callout reject1@test.example/<alice@client.example>: address callout reject" out &&
	grep -q "^  misc etrn-test.example\\\\n: serialize" out &&
	grep -q "451 mailbox busy, try later (ERRNO_RCPT4XX)$" out &&
	test "$(grep -c "^later1@test.example: address matched" out)" = 1 &&
	! sed -n "/^later1@/,\$p" out | grep -q "reject1@"
'
run_test "a message ID: its wait list and whether it is still queued" '
	expect_code 0 "$HINTSDB" why "$SPOOL_EX" 1xWlA6-0004Fy-0j \
	    1xWlA5-0004Fd-31 >out &&
	grep -qx "1xWlA6-0004Fy-0j: not in SPOOL/input; in 1 wait list" out &&
	grep -qx "1xWlA5-0004Fd-31: in SPOOL/input; in 0 wait lists; a retry record holds it back" out
'
run_test "nothing known: the verdict says so, exit 1; the others still print" '
	expect_code 2 "$HINTSDB" why "$SPOOL_EX" nowhere.example \
	    bob@client.example >out 2>err &&
	grep -qx "nowhere.example: nothing known in the hints databases" out &&
	grep -qx "bob@client.example: no retry record: Exim tries it at once" out &&
	test ! -s err
'
run_test "--format=json: one object per target, the records as dump prints them" '
	expect_code 2 "$HINTSDB" why --format=json "$NOW" "$SPOOL_EX" \
	    127.0.0.1:2599 nowhere.example >j &&
	"$PYTHON" - <<-PY
	import json
	a, b = [json.loads(l) for l in open("j")]
	assert (a["target"], a["target_kind"], a["routing"], a["known"]) == \
	    ("127.0.0.1:2599", "ip", "none", True), a
	assert a["messages_waiting"] == 3
	r = [o for o in a["records"] if o["db"] == "retry"]
	assert [o["key"] for o in r] == ["T:127.0.0.1:127.0.0.1:2599"]
	assert r[0]["next_try_utc"] == "2026-11-27T02:09:06Z"
	assert r[0]["port"] == 2599 and r[0]["ip"] == "127.0.0.1"
	w = [o for o in a["records"] if o["db"] == "wait-remote_smtp"][0]
	assert [x["in_input"] for x in w["waiting"]] == [True] * 3 + [False]
	assert a["verdict"].startswith("127.0.0.1 [127.0.0.1]:2599: failing")
	assert b["known"] is False and b["records"] == []
	PY
'
run_test "a v2 spool (4.100.1): bracketed host keys, hashed ETRN key" '
	expect_code 0 "$HINTSDB" why "$TOP/examples/spool-4.100" 127.0.0.1 >out &&
	grep -q "^  retry T:\[127.0.0.1\]:127.0.0.1:" out &&
	tail -n 1 out | grep -q "^127.0.0.1 \[127.0.0.1\]:[0-9]*: failing for " &&
	expect_code 0 "$HINTSDB" why "$TOP/examples/spool-4.100" test.example \
	    >out &&
	grep -q "^  misc etrn-bc98d0e75630d41aa6a49190f13c2b37: serialize" out
'
run_test "usage and errors: 64 for a bad target or none, 66 for no spool" '
	expect_code 64 "$HINTSDB" why "$SPOOL_EX" 2>err &&
	grep -q "^usage: hintsdb why" err &&
	expect_code 64 "$HINTSDB" why "$SPOOL_EX" "$(printf "a\033b")" 2>err &&
	no_ctl err && grep -q "is not a domain, address" err &&
	expect_code 64 "$HINTSDB" why "$SPOOL_EX" "*.example" 2>err &&
	expect_code 64 "$HINTSDB" why --format=xml "$SPOOL_EX" x.example 2>err &&
	expect_code 66 "$HINTSDB" why "$PWD/nospool" x.example 2>err
'
run_test "routing: none without an Exim; -C needs one; a dead --exim says so" '
	expect_code 64 "$HINTSDB" why -C /dev/null "$SPOOL_EX" test.example \
	    2>err && grep -q "C needs an Exim to route with" err &&
	expect_code 64 "$HINTSDB" why --no-route --exim=/bin/false \
	    "$SPOOL_EX" test.example 2>err &&
	expect_code 0 "$HINTSDB" why --exim="$PWD/none" "$SPOOL_EX" \
	    test.example 127.0.0.1 >out &&
	grep -qx "test.example: name matched directly ($PWD/none: cannot run it: No such file or directory)" out &&
	grep -qx "127.0.0.1: ip matched directly (no routing)" out
'
run_test "reads take the read lock: a writer that keeps it gives 75" '
	copy_spool sp &&
	hold_lock sp/db/retry.lockfile 30 &&
	expect_code 75 "$HINTSDB" why --lock-timeout=200ms sp x.example 2>err;
	r=$?; kill "$LOCK_PID"; wait "$LOCK_PID" 2>/dev/null
	test $r = 0 && grep -q "retry" err
'
test_done
