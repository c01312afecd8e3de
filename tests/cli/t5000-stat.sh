#!/bin/sh
# t5000-stat.sh - hintsdb stat: text, json and prometheus output on the
# real-Exim fixtures; the prometheus text passes promtool's checks
# (tests/helper/promlint.py, on python3-prometheus-client's parser) and is
# read back with the figures expected from the MANIFEST.
. "$(dirname "$0")/lib.sh"

# a minute after the fixtures were written: every record is fresh
T0=$(sed -n 's/^record .* time_stamp=\([0-9]*\) .*/\1/p' "$SPOOL_EX/MANIFEST" |
    sort -n | tail -n 1)
NOW=--now=@$((T0 + 60))
PROMLINT=$TOP/tests/helper/promlint.py
# Debian's python3-prometheus-client is for Debian's python3
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

run_test "usage errors" '
	expect_code 64 "$HINTSDB" stat 2>err &&
	grep -q "^usage: hintsdb stat" err &&
	expect_code 64 "$HINTSDB" stat --format=xml "$SPOOL_EX" 2>err &&
	grep -q "unknown format .xml." err &&
	expect_code 64 "$HINTSDB" stat "$SPOOL_EX" bogus 2>err &&
	grep -q "unknown database .bogus." err &&
	expect_code 0 "$HINTSDB" stat --help >out &&
	grep -q "^usage: hintsdb stat \[-vz\] \[--exim=PATH\] \[--format=text|json|prometheus\]" out
'
run_test "a missing spool or database" '
	expect_code 66 "$HINTSDB" stat nowhere 2>err &&
	grep -qx "hintsdb: stat: no spool directory .nowhere." err &&
	mkdir -p empty/db &&
	expect_code 0 "$HINTSDB" stat empty >out 2>err && test ! -s out &&
	grep -qx "hintsdb: stat: no hints databases in .empty/db." err &&
	expect_code 66 "$HINTSDB" stat empty retry 2>err &&
	grep -q "no such database" err
'
run_test "text: one line per database by default" '
	expect_code 0 "$HINTSDB" stat $NOW "$SPOOL_EX" >out 2>err &&
	test ! -s err && no_ctl out &&
	test "$(wc -l <out)" = 8 &&
	head -n 1 out | grep -q "^DB  *BACKEND LAYOUT  *RECORDS  *SIZE   *FREE  OLDEST  *NEWEST  *PROBLEMS$" &&
	grep -q "^retry  *bdb  *legacy  *4  *12K  *7\.3K  [0-9a-z]* ago  *[0-9a-z]* ago  *-$" out &&
	grep -q "^wait-remote_smtp bdb  *legacy  *1 " out &&
	test "$(awk "{ print length }" out | sort -n | tail -1)" -le 100 &&
	printf "junk junk junk junk" >"$TRASH/junk" &&
	mkdir -p bad/db && cp "$SPOOL_EX/db/seen" bad/db/ &&
	"$HELPER" put bad/db/seen bdb "$(printf v3 | od -An -tx1 | tr -d " \n")00" \
	    0300000000000000 &&
	expect_code 0 "$HINTSDB" stat $NOW bad seen >out &&
	grep -q "^seen .* 1 undecodable$" out
'
run_test "text -v: every database, its backend, size and record count" '
	expect_code 0 "$HINTSDB" stat -v $NOW "$SPOOL_EX" >out 2>err &&
	test ! -s err && no_ctl out &&
	"$PY" - "$SPOOL_EX/MANIFEST" out <<-"PY"
	import re, sys
	want = {}
	db = None
	for line in open(sys.argv[1]):
	    if line.startswith("db "):
	        db = line.split()[1]
	    elif line.startswith("records "):
	        want[db] = int(line.split()[1])
	text = open(sys.argv[2]).read()
	blocks = {b.split("\n")[0]: b for b in text.strip().split("\n\n")}
	assert sorted(blocks) == sorted(want), (sorted(blocks), sorted(want))
	for db, n in want.items():
	    b = blocks[db]
	    assert "  backend: bdb\n" in b, b
	    assert "  layout: legacy\n" in b, b
	    assert re.search(r"  records: %d \(0 undecodable, 0 invalid\)" % n, b), b
	    assert re.search(r"  size: [1-9][0-9]* bytes", b), b
	    assert re.search(r"<= 1h +%d\n" % n, b), b
	PY
'
run_test "text: named databases only, type figures" '
	expect_code 0 "$HINTSDB" stat -v $NOW "$SPOOL_EX" retry callout tls \
	    wait-remote_smtp >out &&
	test "$(grep -c "^[a-z]" out)" -eq 4 &&
	grep -q "^  retry: 2 hosts, 2 addresses, 0 other; 0 past their retry cutoff" out &&
	grep -q "^  callout address: 8 accept 4 reject" out &&
	grep -q "^  callout domain: 4 accept 0 reject 1 reject_mfnull" out &&
	grep -q "^  wait: 4 queued message IDs, 1 host," out &&
	grep -q "^  tls: 1 gnutls TLS1.3" out &&
	grep -q "^  tls: 2 resumable (GnuTLS 3.7.9 only), 0 expired" out &&
	grep -q "^  soonest expiry: " out
'
run_test "text: bars only on a terminal" '
	"$HINTSDB" stat -v $NOW "$SPOOL_EX" seen >plain &&
	! grep -q "#" plain &&
	script -qec "\"$HINTSDB\" stat -v $NOW \"$SPOOL_EX\" seen" /dev/null >tty &&
	grep -q "<= 1h .* 5 #\{40\}" tty
'
run_test "a day later the tls sessions have expired" '
	"$HINTSDB" stat -v --now=@$((T0 + 80000)) "$SPOOL_EX" tls >out &&
	grep -q "^  tls: 0 resumable, 2 expired" out &&
	! grep -q "soonest expiry" out &&
	grep -q "<= 1d  *2" out
'
run_test "json: one object per database with the figures" '
	expect_code 0 "$HINTSDB" stat --format=json $NOW "$SPOOL_EX" >out &&
	"$PY" - out <<-"PY"
	import json, sys
	objs = [json.loads(l) for l in open(sys.argv[1])]
	by = {o["db"]: o for o in objs}
	assert by["retry"]["retry"] == {"host": 2, "address": 2, "other": 0,
	                                "expired": 0}, by["retry"]
	assert by["callout"]["callout"]["address"]["accept"] == 8
	assert by["callout"]["callout"]["domain"]["reject_mfnull"] == 1
	assert by["wait-remote_smtp"]["wait"]["queued_ids"] == 4
	assert by["tls"]["tls"]["resumable"] == 2
	for o in objs:
	    assert o["backend"] == "bdb" and o["layout"] == "legacy"
	    assert o["undecodable"] == 0 and o["invalid"] == 0
	    assert sum(b["records"] for b in o["age_histogram"]) == o["records"]
	    assert o["oldest"] <= o["newest"]
	PY
'
run_test "prometheus: the metrics lint passes" '
	expect_code 0 "$HINTSDB" stat --format=prometheus $NOW "$SPOOL_EX" \
	    >m.prom &&
	"$PY" "$PROMLINT" m.prom >lint 2>&1 && test ! -s lint
'
run_test "prometheus: parsed back with the expected values" '
	"$HINTSDB" stat --format=prometheus $NOW "$SPOOL_EX" >m.prom &&
	"$HINTSDB" dump --format=json "$SPOOL_EX" wait-remote_smtp >wait.json &&
	"$PY" - m.prom "$SPOOL_EX/MANIFEST" wait.json $((T0 + 60)) <<-"PY"
	import json, re, sys
	from prometheus_client.parser import text_string_to_metric_families
	fams = {f.name: f for f in
	        text_string_to_metric_families(open(sys.argv[1]).read())}
	def val(name, **labels):
	    hits = [s.value for f in fams.values() for s in f.samples
	            if s.name == name and all(s.labels.get(k) == v
	                                      for k, v in labels.items())]
	    assert len(hits) == 1, (name, labels, hits)
	    return hits[0]
	now = int(sys.argv[4])
	assert val("hintsdb_stat_timestamp_seconds") == now
	want, db, recs = {}, None, {}
	for line in open(sys.argv[2]):
	    if line.startswith("db "):
	        db = line.split()[1]
	        recs[db] = []
	    elif line.startswith("records "):
	        want[db] = int(line.split()[1])
	    elif line.startswith("record "):
	        recs[db].append(line)
	for db, n in want.items():
	    assert val("hintsdb_database_up", db=db) == 1
	    assert val("hintsdb_database_info", db=db, backend="bdb",
	               layout="legacy") == 1
	    assert val("hintsdb_records", db=db, layout="legacy") == n
	    assert val("hintsdb_records", db=db, layout="unknown") == 0
	    assert val("hintsdb_record_age_seconds_count", db=db) == n
	    assert val("hintsdb_record_age_seconds_bucket", db=db,
	               le="3600") == n
	    ts = [int(re.search(r" time_stamp=(\d+)", r).group(1))
	          for r in recs[db]]
	    if ts:
	        assert val("hintsdb_oldest_record_timestamp_seconds",
	                   db=db) == min(ts)
	        assert val("hintsdb_newest_record_timestamp_seconds",
	                   db=db) == max(ts)
	        assert val("hintsdb_record_age_seconds_sum",
	                   db=db) == sum(now - t for t in ts)
	assert fams["hintsdb_record_age_seconds"].type == "histogram"
	assert fams["hintsdb_database_size_bytes"].type == "gauge"
	# type-specific figures against the MANIFEST
	res = {}
	for r in recs["callout"]:
	    kind = re.search(r" kind=(\w+)", r).group(1)
	    rr = re.search(r" result=\d+\((\w+)\)", r).group(1)
	    res[(kind, rr)] = res.get((kind, rr), 0) + 1
	for (kind, rr), n in res.items():
	    assert val("hintsdb_callout_records", db="callout", kind=kind,
	               result=rr) == n, (kind, rr)
	keys = [re.search(r" key=\"([^\"]*)\"", r).group(1) for r in recs["retry"]]
	assert val("hintsdb_retry_records", db="retry", kind="host") == \
	    sum(k.startswith("T:") for k in keys)
	assert val("hintsdb_retry_records", db="retry", kind="address") == \
	    sum(k.startswith("R:") for k in keys)
	assert val("hintsdb_retry_expired_records", db="retry") == \
	    sum(" expired=1 " in r for r in recs["retry"])
	ids = sum(o["count"] for o in map(json.loads, open(sys.argv[3])))
	assert val("hintsdb_wait_queued_messages", db="wait-remote_smtp") == ids
	assert val("hintsdb_tls_sessions", db="tls", library="gnutls",
	           version="TLS1.3") >= 1
	assert sum(s.value for s in fams["hintsdb_tls_sessions"].samples) == 2
	assert val("hintsdb_tls_sessions_resumable", db="tls") == 2
	assert val("hintsdb_tls_sessions_expired", db="tls") == 0
	assert val("hintsdb_tls_next_expiry_timestamp_seconds", db="tls") > now
	PY
'
run_test "prometheus: a database that cannot be read is down, the rest shown" '
	mkdir -p sp/db && cp "$SPOOL_EX/db/retry" "$SPOOL_EX/db/seen" sp/db/ &&
	: >sp/db/retry.lockfile && : >sp/db/seen.lockfile &&
	printf "junk junk junk junk" >sp/db/misc && : >sp/db/misc.lockfile &&
	expect_code 74 "$HINTSDB" stat --format=prometheus $NOW sp >m.prom 2>err &&
	grep -q "misc" err &&
	grep -q "^hintsdb_database_up{db=\"misc\"} 0$" m.prom &&
	grep -q "^hintsdb_database_up{db=\"seen\"} 1$" m.prom &&
	"$PY" "$PROMLINT" m.prom
'
run_test "stat sees mixed layouts, other backends and undecodable records" '
	mkdir -p sp2/db &&
	"$HINTSDB" convert --to-backend=tdb --to-layout=v2 \
	    --output=sp2/db/seen "$SPOOL_EX" seen &&
	"$HELPER" put sp2/db/seen tdb "$(hexkey old)" \
	    "$(printf %016x 0)" &&
	"$HELPER" put sp2/db/seen tdb "$(hexkey legacy)" d68e086b00000000 &&
	expect_code 0 "$HINTSDB" stat --format=json $NOW sp2 seen >out &&
	"$PY" - out <<-"PY"
	import json, sys
	o = json.loads(open(sys.argv[1]).read())
	assert o["backend"] == "tdb" and o["layout"] == "mixed", o
	assert (o["legacy"], o["v2"], o["undecodable"]) == (1, 5, 1), o
	assert o["records"] == 7
	PY
'
test_done
