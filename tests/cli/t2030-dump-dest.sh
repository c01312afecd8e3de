#!/bin/sh
# t2030-dump-dest.sh - dump --format=json and export carry what each key
# names (dest, host, ip, port, domain, address, sender, message_id,
# transport...) beside "key", and an ISO 8601 UTC string beside every
# epoch time ("<name>_utc"); the fields there were before stay as they
# were, and a key of no known form gets no destination fields.
. "$(dirname "$0")/lib.sh"

SPOOL_V2=$TOP/examples/spool-4.100

run_test "retry JSON names host, ip, port, message ID, address, sender" '
	expect_code 0 "$HINTSDB" dump --format=json "$SPOOL_EX" retry >j &&
	"$PYTHON" - <<-PY
	import json
	r = {o["key"]: o for o in map(json.loads, open("j"))}
	def has(k, **want):
	    got = {f: r[k].get(f) for f in want}
	    assert got == want, (k, got, want)
	has("T:127.0.0.1:127.0.0.1:2599", dest="retry_host", host="127.0.0.1",
	    ip="127.0.0.1", port=2599, message_id=None, domain=None)
	has("T:127.0.0.1:127.0.0.1:2525:1xWlA5-0004Fd-31",
	    dest="retry_host_message", ip="127.0.0.1", port=2525,
	    message_id="1xWlA5-0004Fd-31")
	has("R:defer.example", dest="retry_domain", domain="defer.example",
	    host=None, port=None)
	has("R:later1@test.example:<alice@client.example>",
	    dest="retry_address", address="later1@test.example",
	    local_part="later1", domain="test.example",
	    sender="alice@client.example")
	# the fields migration scripts read are all still there
	for o in r.values():
	    for f in ("db", "key", "type", "layout", "time_stamp", "age_s",
	              "first_failed", "last_try", "next_try", "expired",
	              "basic_errno", "more_errno", "text"):
	        assert f in o, (o["key"], f)
	PY
'
run_test "wait, misc, callout, ratelimit and seen keys carry their parts" '
	for db in wait-remote_smtp misc callout ratelimit seen tls; do
		expect_code 0 "$HINTSDB" dump --format=json "$SPOOL_EX" $db \
		    >$db.j || exit 1
	done &&
	expect_code 0 "$HINTSDB" dump --format=json "$SPOOL_V2" misc >v2misc.j &&
	"$PYTHON" - <<-PY
	import json
	def load(f):
	    return {o["key"]: o for o in map(json.loads, open(f))}
	w, m, c = load("wait-remote_smtp.j"), load("misc.j"), load("callout.j")
	rl, s, t = load("ratelimit.j"), load("seen.j"), load("tls.j")
	v2 = load("v2misc.j")
	assert w["127.0.0.1"]["dest"] == "wait_host"
	assert w["127.0.0.1"]["transport"] == "remote_smtp"
	assert w["127.0.0.1"]["ip"] == "127.0.0.1"
	e = m["127.0.0.1:2525.EHLO"]
	assert (e["dest"], e["ip"], e["port"]) == ("ehlo", "127.0.0.1", 2525), e
	assert m["host-serialize-127.0.0.1"]["host"] == "127.0.0.1"
	assert m["tpt-serialize-remote_smtp"]["transport"] == "remote_smtp"
	et = m["etrn-test.example\n"]
	assert (et["dest"], et["etrn"], et["domain"]) == \
	    ("etrn", "test.example", "test.example"), et
	assert [o["etrn_md5"] for k, o in v2.items() if k.startswith("etrn-")]
	assert c["test.example"]["dest"] == "callout_domain"
	a = c["ok1@test.example/<bob@client.example>"]
	assert (a["address"], a["sender"]) == ("ok1@test.example",
	    "bob@client.example"), a
	assert rl["1h/per_rcpt/unique/bob@client.example"]["address"] == \
	    "bob@client.example"
	assert s["127.0.0.1"]["ip"] == "127.0.0.1"
	# sessions are keyed by a hash: it names nobody
	assert t and all("dest" not in o and "host" not in o
	                 for o in t.values())
	PY
'
run_test "every epoch time has its ISO 8601 UTC string beside it" '
	for sp in "$SPOOL_EX" "$SPOOL_V2"; do
		for db in retry wait-remote_smtp misc callout ratelimit seen \
		    tls; do
			"$HINTSDB" dump --format=json "$sp" $db || exit 1
		done
	done >all.j &&
	"$PYTHON" - <<-PY
	import json, datetime
	T = {"time_stamp", "first_failed", "last_try", "next_try",
	     "postmaster_stamp", "random_stamp", "bloom_epoch", "not_before",
	     "not_after", "start_time", "ticket_arrival", "record_time",
	     "openssl_expires", "gnutls_expires", "ticket_expires", "expires"}
	seen = set()
	def walk(o):
	    if isinstance(o, dict):
	        for k, v in o.items():
	            if k in T and isinstance(v, int):
	                try:
	                    iso = datetime.datetime.fromtimestamp(v,
	                        datetime.timezone.utc).strftime(
	                        "%Y-%m-%dT%H:%M:%SZ")
	                except (OSError, OverflowError, ValueError):
	                    iso = None    # beyond year 9999: no string
	                assert o.get(k + "_utc") == iso, (k, v, o.get(k + "_utc"))
	                seen.add(k)
	            walk(v)
	    elif isinstance(o, list):
	        for v in o:
	            walk(v)
	for line in open("all.j"):
	    walk(json.loads(line))
	need = {"time_stamp", "first_failed", "next_try", "postmaster_stamp",
	        "bloom_epoch", "expires", "not_after"}
	assert need <= seen, need - seen
	PY
'
run_test "export carries the same parts and times, and no age_s" '
	expect_code 0 "$HINTSDB" export "$SPOOL_EX" retry >e &&
	"$PYTHON" - <<-PY
	import json
	lines = [json.loads(l) for l in open("e")][1:]
	r = {o["key"]: o for o in lines}
	o = r["T:127.0.0.1:127.0.0.1:2599"]
	assert (o["dest"], o["port"], o["ip"]) == ("retry_host", 2599,
	    "127.0.0.1"), o
	assert o["next_try_utc"].endswith("Z") and "raw" in o
	assert all("age_s" not in o for o in lines)
	PY
'
run_test "import takes an export with the new fields back, byte for byte" '
	copy_spool sp &&
	expect_code 0 "$HINTSDB" export "$SPOOL_EX" retry >e &&
	expect_code 0 "$HINTSDB" import sp retry <e &&
	expect_code 0 "$HINTSDB" export sp retry >e2 &&
	cmp e e2
'
test_done
