#!/bin/sh
# t4165-tidy-tdb.sh - tidy on a tdb file in many short holds.  TDB's walk
# goes by hash chain, a hold resumes in the chain of the key it stopped
# at, and a writer's walk unlinks the records it deletes by hand, so this
# checks that a resumed walk neither skips nor repeats a record and that
# libtdb finds the file whole: with tiny holds (--max-lock-ms=1) it must
# delete exactly the old records, keep every fresh one, and keep
# everything a writer stores or deletes meanwhile, both a writer that
# takes the lockfile (Exim up to 4.98) and one that takes only TDB's own
# locks (Exim 4.99+).  No timing is asserted, and what "tiny" means is a
# record count (HINTSDB_TEST_HOLD_RECORDS), not the machine's speed.
# Under make check-future this file runs on the real clock: whether Exim
# wrote lately is told by the file's mtime against the clock, and
# libfaketime shifts the one but not the kernel's stamp on the other.
# Its records are made at test time; no result depends on the date.
if [ -n "${FAKETIME:-}" ]; then
	exec env -u LD_PRELOAD -u FAKETIME -u FAKETIME_SHARED sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
export HINTSDB_TEST_HOLD_RECORDS=1000

PY=$(command -v /usr/bin/python3 || command -v python3)

N=6000		# records: even k<i> 40 days old, odd ones fresh

# tdbretry SPOOL: SPOOL/db/retry, a tdb file of N records k0..k<N-1>, the
# even ones old (made as Berkeley DB, then copied)
tdbretry() {
	mkdir -p "$1/db" "$1/input" && bigretry bdb &&
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

# chains SPOOL: the hash size in the tdb header (u32 at offset 36)
chains() {
	od -An -tu4 -j36 -N4 "$1/db/retry" | tr -d " "
}

# rehash SPOOL: rebuild SPOOL/db/retry as convert --output does, with
# more chains (convert --in-place writes into a tdb file, chains kept:
# Exim 4.99 and later open it without a lockfile)
rehash() {
	"$HINTSDB" convert --output="$PWD/$1/db/retry.new" "$1" retry \
	    >/dev/null && mv "$1/db/retry.new" "$1/db/retry" &&
	[ "$(chains "$1")" -gt 131 ]
}

# Exim's 131 chains (tidy deletes by hand), and more after convert (tidy
# resumes in the right chain, found by the key's hash)
for file in exim-made rehashed; do
run_test "tiny holds on tdb ($file) delete exactly the old records" '
	tdbretry sp || exit 1
	[ $file = exim-made ] || rehash sp || exit 1
	"$HINTSDB" tidy --max-lock-ms=1 --format=json sp retry >tidy.json &&
	"$HINTSDB" dump --format=json sp retry >after.json &&
	: >w.log && check w.log after.json tidy.json &&
	grep -q "\"examined\":$N," tidy.json &&
	grep -q "\"deleted\":$((N / 2))," tidy.json &&
	grep -q "\"hash_chains\":$(chains sp)[,}]" tidy.json &&
	"$HINTSDB" check sp retry >/dev/null
'
done
# A file that transaction writers use is fsynced every hold, and that
# flush grows with the hold's deletions (the holds start at 512 of them;
# unbounded, one hold did all 3000; measured in make bench).
run_test "beside tdb transaction writers, holds delete in small batches" '
	tdbretry sp &&
	"$HELPER" writer "$PWD/sp/db/retry" 1 3 $N "$PWD/w.log" txn >w.out &&
	[ "$(od -An -tu4 -j44 -N4 sp/db/retry | tr -d " ")" -gt 0 ] &&
	"$HINTSDB" tidy --format=json sp retry >tidy.json &&
	"$HINTSDB" dump --format=json sp retry >after.json &&
	check w.log after.json tidy.json &&
	"$HINTSDB" check sp retry >/dev/null
'
run_test "a dry run in tiny read holds sees every record once" '
	tdbretry sp &&
	"$HINTSDB" tidy -n --max-lock-ms=1 --format=json sp retry >dry.json &&
	grep -q "\"examined\":$N," dry.json &&
	grep -q "\"deleted\":$((N / 2))," dry.json &&
	[ "$("$HINTSDB" dump -k sp retry | wc -l)" = $N ]
'
for mode in lockfile nolock txn lockfile-rehashed nolock-rehashed \
    txn-rehashed; do
run_test "tiny holds on tdb under a $mode writer: nothing fresh lost" '
	tdbretry sp || exit 1
	case $mode in *-rehashed) rehash sp || exit 1;; esac
	"$HELPER" writer "$PWD/sp/db/retry" 3 11 $N "$PWD/w.log" churn \
	    $(case $mode in nolock*) echo nolock;; txn*) echo txn;; esac) \
	    >w.out &
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
# txn_writer: a writer on sp/db/retry that commits TDB transactions back to
# back, as Exim 4.99+ does (pid in wpid), under way
txn_writer() {
	"$HELPER" writer "$PWD/sp/db/retry" 4 5 $N "$PWD/w.log" churn txn \
	    >w.out &
	wpid=$!
	sleep 0.3
}
# Readers beside a writer that commits TDB transactions back to back, as
# Exim 4.99+ does: a reader that takes no TDB locks meets commits half
# done, and TDB failed it ("attempt to recover read only database") or
# tdb_check called the file damaged.
run_test "readers beside a tdb transaction writer: no failure" '
	tdbretry sp && txn_writer || exit 1
	st=0
	for pass in 1 2 3; do
		"$HINTSDB" dump -k sp retry >keys || st=1
		[ "$(wc -l <keys)" -ge $((N / 2)) ] || st=1
		"$HINTSDB" export sp retry >exp.json || st=1
		"$HINTSDB" check sp retry >check.out || st=1
		# a key the writer deleted after the match is "no record" (2)
		"$HINTSDB" delete -n -q --match="k1*" sp retry 2>/dev/null
		[ $? -le 2 ] || st=1
		"$HINTSDB" tidy -n -q sp retry || st=1
	done
	wait $wpid || exit 1
	grep -q "^n" w.log && [ $st = 0 ] &&
	[ "$(od -An -tu4 -j44 -N4 sp/db/retry | tr -d " ")" -gt 0 ]
'
# delete holds TDB's lock on every chain for a batch, as tidy does, so an
# Exim 4.99+ transaction delays a batch once, not every key
run_test "delete --match in tiny batches beside a tdb transaction writer" '
	tdbretry sp && txn_writer || exit 1
	"$HINTSDB" delete -q --max-lock-ms=1 --match="k1*" sp retry 2>err
	st=$?
	wait $wpid || exit 1
	[ $st -le 2 ] && grep -q "^n" w.log &&
	"$HINTSDB" dump -k sp retry >keys &&
	"$HINTSDB" check sp retry >/dev/null &&
	"$PY" - w.log keys $N <<-PY
	import sys
	last = dict(l.split() for l in open(sys.argv[1]))
	have = set(open(sys.argv[2]).read().split())
	for i in range(int(sys.argv[3])):
	    k = "k%d" % i
	    if k not in last:
	        assert (k in have) != k.startswith("k1"), k
	for k, t in last.items():
	    if t == "-":
	        assert k not in have, "deleted %s is back" % k
	    elif not k.startswith("k1"):
	        assert k in have, "write of %s lost" % k
	PY
'
run_test "tidy reports the hash chains of a tdb file, which convert multiplies" '
	N=9000 tdbretry sp &&
	"$HINTSDB" tidy -n sp retry >out 2>err && ! grep -q "hash chains" out &&
	"$HINTSDB" tidy -n --format=json sp retry | grep -q "\"hash_chains\":131[,}]" &&
	rehash sp && [ "$(chains sp)" -ge 2053 ] &&
	"$HINTSDB" tidy -n --format=json sp retry |
	    grep -q "\"hash_chains\":$(chains sp)[,}]" &&
	[ "$("$HINTSDB" dump -k sp retry | wc -l)" = 9000 ]
'
# A file that TDB transactions ever wrote keeps its recovery area for
# good; that alone is no sign of transaction writers at work, whose
# commits would flush our dirty pages: with none lately (the file's mtime
# a minute old), the holds are not synced one by one, only once at the end
run_test "tdb with a recovery area, no writer lately: one fsync, not one a hold" '
	tdbretry sp && rm sp/db/retry.lockfile &&
	"$HINTSDB" convert --in-place --to-layout=v2 sp retry &&
	[ "$(od -An -tu4 -j44 -N4 sp/db/retry | tr -d " ")" != 0 ] &&
	touch -d "1 minute ago" sp/db/retry &&
	HDB_FAULT_OP=fsync HDB_FAULT_LOG="$PWD/log" HDB_FAULT_PATH=/sp/db/ \
	LD_PRELOAD="$(dirname "$HELPER")/faultinject.so" \
	    "$HINTSDB" tidy --format=json -t 30d sp retry >out &&
	grep -q "\"lock_holds\":[0-9][0-9]*" out &&
	[ "$(grep -o "\"lock_holds\":[0-9]*" out | cut -d: -f2)" -gt 2 ] &&
	[ "$(wc -l <log)" = 1 ]
'
test_done
