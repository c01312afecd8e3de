#!/bin/sh
# t8300-failing.sh - hintsdb failing SPOOL: a line per destination in
# retry, oldest failure first, with the last error (escaped), next try,
# cutoff and the queued messages waiting for a host; JSON; and the
# failing-destination metrics of stat --format=prometheus (no label per
# host).
. "$(dirname "$0")/lib.sh"

NOW=1795748400			# 2026-11-27T03:00:00Z

# rv FIRST_FAILED NEXT_TRY EXPIRED TEXT: a legacy retry record
rv() {
	printf '%s%s%s%s%s%s%s' "$(le 8 "$1")" "$(le 8 "$1")" "$(le 8 "$1")" \
	    "$(le 8 "$2")" "$(le 4 "$3")" "$(le 4 111)" "$(le 4 0)"
	printf '%s' "$4" | od -An -tx1 | tr -d ' \n'
	printf '00000000'
}

# sp: the sample spool and two more destinations: one failing for 3 days
# and past its cutoff (its error holds an escape sequence), one for 30m
failspool() {
	copy_spool sp &&
	"$HELPER" put sp/db/retry bdb "$(hexkey T:mx.old.example:192.0.2.1)" \
	    "$(rv $((NOW - 259200)) $((NOW - 60)) 1 \
	    "$(printf "refused\033[2J")")" &&
	"$HELPER" put sp/db/retry bdb "$(hexkey R:new.example)" \
	    "$(rv $((NOW - 1800)) $((NOW + 900)) 0 "no route")"
}

run_test "a line per destination, oldest failure first, message ones left out" '
	failspool &&
	expect_code 0 "$HINTSDB" failing --now=$NOW sp >out &&
	no_ctl out &&
	cat >want <<-EOF &&
	mx.old.example [192.0.2.1]:25: failing for 3d (refused\\033[2J); next try now (at the next queue run); past the final cutoff
	defer.example (routing): failing for 1h5m (routing held for the test); next try now (at the next queue run)
	R:later1@test.example:<alice@client.example>: failing for 1h5m (H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail server after RCPT TO:<later1@test.example>: 451 mailbox busy, try later); next try now (at the next queue run)
	127.0.0.1 [127.0.0.1]:2599: failing for 1h5m (Connection refused); next try now (at the next queue run); 3 messages waiting
	new.example (routing): failing for 30m (no route); next try in 15m (at the next queue run after 2026-11-27T03:15:00+00:00)
	EOF
	diff want out
'
run_test "--format=json: the retry record as dump prints it, and the extras" '
	failspool &&
	expect_code 0 "$HINTSDB" failing --format=json --now=$NOW sp >j &&
	"$PYTHON" - <<-PY
	import json
	o = [json.loads(l) for l in open("j")]
	assert [x["key"] for x in o][0] == "T:mx.old.example:192.0.2.1"
	assert o[-1]["key"] == "R:new.example" and o[-1]["next_try_in_s"] == 900
	h = {x["host"]: x for x in o if "host" in x}
	assert h["127.0.0.1"]["messages_waiting"] == 3
	assert h["mx.old.example"]["messages_waiting"] == 0
	assert h["mx.old.example"]["expired"] is True
	assert all("messages_waiting" not in x for x in o if "host" not in x)
	# the README one-liner: hosts by next try
	rows = sorted([x["next_try_utc"], x["host"], x["ip"], str(x["port"])]
	              for x in o if x.get("host"))
	assert rows[0][1] == "127.0.0.1", rows
	PY
'
run_test "nothing failing, or no retry DB: no output, exit 0; errors" '
	mkdir -p empty/db &&
	expect_code 0 "$HINTSDB" failing empty >out && test ! -s out &&
	expect_code 64 "$HINTSDB" failing 2>err &&
	grep -q "^usage: hintsdb failing" err &&
	expect_code 64 "$HINTSDB" failing "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" failing --format=xml "$SPOOL_EX" 2>err &&
	expect_code 66 "$HINTSDB" failing "$PWD/none" 2>err
'
run_test "stat --format=prometheus: failing count, age, cutoff, no host label" '
	failspool &&
	expect_code 0 "$HINTSDB" stat --format=prometheus --now=$NOW sp \
	    >prom &&
	grep -qx "hintsdb_failing_destinations{db=\"retry\"} 5" prom &&
	grep -qx "hintsdb_failing_past_cutoff{db=\"retry\"} 1" prom &&
	grep -qx "hintsdb_failing_oldest_age_seconds{db=\"retry\"} 259200" prom &&
	grep -qx "hintsdb_failing_age_seconds_bucket{db=\"retry\",le=\"3600\"} 1" prom &&
	grep -qx "hintsdb_failing_age_seconds_bucket{db=\"retry\",le=\"14400\"} 4" prom &&
	grep -qx "hintsdb_failing_age_seconds_bucket{db=\"retry\",le=\"86400\"} 4" prom &&
	grep -qx "hintsdb_failing_age_seconds_bucket{db=\"retry\",le=\"259200\"} 5" prom &&
	grep -qx "hintsdb_failing_age_seconds_bucket{db=\"retry\",le=\"+Inf\"} 5" prom &&
	grep -qx "hintsdb_failing_age_seconds_count{db=\"retry\"} 5" prom &&
	grep -q "^# TYPE hintsdb_failing_age_seconds histogram$" prom &&
	! grep "^hintsdb_failing" prom | grep -v "{db=\"retry\"[,}]" &&
	! grep -q "host=" prom
'
run_test "the exposition parses: one TYPE per family, samples in order" '
	failspool &&
	expect_code 0 "$HINTSDB" stat --format=prometheus --now=$NOW sp >prom &&
	"$PYTHON" - <<-PY
	import re
	fam, seen = None, set()
	for l in open("prom"):
	    if l.startswith("# TYPE "):
	        fam = l.split()[2]
	        assert fam not in seen, fam
	        seen.add(fam)
	    elif not l.startswith("#"):
	        m = re.match(r"^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+]+|\+Inf)$", l)
	        assert m, l
	        assert m.group(1) == fam or m.group(1).startswith(fam + "_"), l
	PY
'
test_done
