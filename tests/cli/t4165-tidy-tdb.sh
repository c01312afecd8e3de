#!/bin/sh
# t4160-tidy-tdb.sh - tidy on a tdb file in many short holds.  TDB's walk
# goes by hash chain and a hold resumes in the chain of the key it stopped
# at, so this checks that a resumed walk neither skips nor repeats a
# record: with tiny holds (--max-lock-ms=1) it must delete exactly the old
# records, keep every fresh one, and keep everything a writer stores or
# deletes meanwhile, both a writer that takes the lockfile (Exim up to
# 4.98) and one that takes only TDB's own locks (Exim 4.99+).  No timing
# is asserted.
. "$(dirname "$0")/lib.sh"

PY=$(command -v /usr/bin/python3 || command -v python3)

N=6000		# records: even k<i> 40 days old, odd ones fresh
DAY=86400


# tdbretry SPOOL: SPOOL/db/retry, a tdb file of N records k0..k<N-1>, the
# even ones old (made as Berkeley DB, then copied)
tdbretry() {
	mkdir -p "$1/db" "$1/input" && now=$(date +%s) &&
	awk -v n="$N" -v old="$(retryval $((now - 40 * DAY)))" \
	    -v new="$(retryval $((now - DAY)))" 'BEGIN {
		print "VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END"
		for (i = 0; i < n; i++) {
			k = i ""; h = "6b"
			for (j = 1; j <= length(k); j++)
				h = h sprintf("%02x", 48 + substr(k, j, 1))
			print " " h "00\n " (i % 2 ? new : old)
		}
		print "DATA=END" }' >bdb.load && db5.3_load -f bdb.load bdb &&
	"$HELPER" copy bdb retry "$1/db/retry" tdb legacy &&
	: >"$1/db/retry.lockfile" && [ "$(od -An -c -N3 "$1/db/retry" |
	    tr -d " ")" = TDB ]
}

# check WLOG AFTER TIDYJSON: the writer's last word on every key it touched
# stands; untouched old records are gone and untouched fresh ones kept
check() {
	"$PY" - "$1" "$2" "$3" $N <<-PY
	import json, sys
	last = {}
	for line in open(sys.argv[1]):
	    k, t = line.split()
	    last[k] = t
	have = {}
	for line in open(sys.argv[2]):
	    o = json.loads(line)
	    assert o["key"] not in have, "%s twice" % o["key"]
	    have[o["key"]] = o["text"]
	n = int(sys.argv[4])
	for k, t in last.items():
	    if t == "-":
	        assert k not in have, "deleted %s is back" % k
	    else:
	        assert have.get(k) == t, "update of %s lost: %r" % (k, have.get(k))
	for i in range(n):
	    k = "k%d" % i
	    if k in last:
	        continue
	    if i % 2:
	        assert k in have, "fresh %s deleted" % k
	    else:
	        assert k not in have, "old %s kept" % k
	runs = [json.loads(l) for l in open(sys.argv[3])]
	assert runs[0]["deleted"] > 0 and runs[0]["lock_holds"] > 2, runs[0]
	assert all(r["status"] == 0 for r in runs), runs
	PY
}

run_test "tiny holds on tdb delete exactly the old records" '
	tdbretry sp &&
	"$HINTSDB" tidy --max-lock-ms=1 --format=json sp retry >tidy.json &&
	"$HINTSDB" dump --format=json sp retry >after.json &&
	: >w.log && check w.log after.json tidy.json &&
	grep -q "\"examined\":$N," tidy.json &&
	grep -q "\"deleted\":$((N / 2))," tidy.json &&
	"$HINTSDB" check sp retry >/dev/null
'
run_test "a dry run in tiny read holds sees every record once" '
	tdbretry sp &&
	"$HINTSDB" tidy -n --max-lock-ms=1 --format=json sp retry >dry.json &&
	grep -q "\"examined\":$N," dry.json &&
	grep -q "\"deleted\":$((N / 2))," dry.json &&
	[ "$("$HINTSDB" dump -k sp retry | wc -l)" = $N ]
'
for mode in lockfile nolock; do
run_test "tiny holds on tdb under a $mode writer: nothing fresh lost" '
	tdbretry sp || exit 1
	"$HELPER" writer "$PWD/sp/db/retry" 3 11 $N "$PWD/w.log" churn \
	    $([ $mode = nolock ] && echo nolock) >w.out &
	wpid=$!
	sleep 0.2
	for pass in 1 2; do
		"$HINTSDB" tidy --max-lock-ms=1 --format=json sp retry \
		    >>tidy.json || exit 1
	done
	wait $wpid || exit 1
	grep -q " -\$" w.log && grep -q "^n" w.log &&
	"$HINTSDB" dump --format=json sp retry >after.json &&
	check w.log after.json tidy.json &&
	"$HINTSDB" check sp retry >/dev/null
'
done
test_done
