#!/bin/sh
# t4100-tidy.sh - hintsdb tidy: every option, every exit status, output
# shapes, dry run, --all, backends and layouts, lock and symlink refusals.
. "$(dirname "$0")/lib.sh"

# Debian's python3, not a slow shim in front of it
PY=$(command -v /usr/bin/python3 || command -v python3)

NOW_FIX=2026-11-27T02:00:00Z	# a few minutes after the sample was made
NOW_OLD=2026-12-30T00:00:00Z	# every sample record is then over 30 days old
DAY=86400

hexstr() { printf "%s" "$1" | od -An -tx1 | tr -d " \n"; }
# wait record: TIME COUNT SEQ IDS...
waitval() {
	t=$1 c=$2 q=$3
	shift 3
	echo "$(le 8 "$t")$(le 4 "$c")$(le 4 "$q")$(hexstr "$(echo "$@" |
	    tr -d " ")")0000000000000000"
}
# seen record: TIME
seenval() { le 8 "$1"; }
put() { "$HELPER" put "$1" bdb "$(hexkey "$2")" "$3"; }

# bigseen DB N TIME: a BDB seen DB of N records k0..kN-1 written at TIME
bigseen() {
	v=$(le 8 "$3")
	awk -v n="$2" -v v="$v" 'BEGIN {
		print "VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END"
		for (i = 0; i < n; i++) {
			k = i ""; h = "6b"
			for (j = 1; j <= length(k); j++)
				h = h sprintf("%02x", 48 + substr(k, j, 1))
			print " " h "00\n " v
		}
		print "DATA=END" }' >"$1.load" && db5.3_load -f "$1.load" "$1" &&
	: >"$1.lockfile"
}

# a spool "sp" with the sample's retry and wait DBs
sample() { rm -rf sp && copy_spool sp; }

run_test "usage errors exit 64" '
	expect_code 64 "$HINTSDB" tidy 2>err && grep -q "^usage: hintsdb tidy" err &&
	expect_code 64 "$HINTSDB" tidy "$SPOOL_EX" 2>err &&
	expect_code 64 "$HINTSDB" tidy -t 30 "$SPOOL_EX" retry 2>err &&
	grep -q "bad time .30." err &&
	expect_code 64 "$HINTSDB" tidy -t 2x "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" tidy -t "" "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" tidy --format=exim "$SPOOL_EX" retry 2>err &&
	grep -q "unknown format" err &&
	expect_code 64 "$HINTSDB" tidy -q -v "$SPOOL_EX" retry 2>err &&
	grep -q "cannot be used together" err &&
	expect_code 64 "$HINTSDB" tidy --all "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" tidy --max-lock-ms=0 "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" tidy --max-lock-ms=x "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" tidy --now=soon "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" tidy --lock-timeout=x "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" tidy --backend=cdb "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" tidy --layout=v9 "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" tidy --bogus "$SPOOL_EX" retry 2>err &&
	expect_code 64 "$HINTSDB" tidy "$SPOOL_EX" nosuch 2>err &&
	grep -q "unknown database .nosuch." err
'
run_test "--help prints the usage on stdout, exit 0" '
	expect_code 0 "$HINTSDB" tidy --help >out &&
	grep -q "^usage: hintsdb tidy \[-fnqv\] \[-t TIME\]" out &&
	expect_code 0 "$HINTSDB" help tidy >out && grep -q "hintsdb tidy" out
'
run_test "nothing to do: one summary line, exit 0, file unchanged" '
	sample && tree_state sp >before &&
	expect_code 0 "$HINTSDB" tidy --now=$NOW_FIX sp callout >out 2>err &&
	[ "$(wc -l <out)" = 1 ] && [ ! -s err ] &&
	grep -q "^callout: examined 17, nothing to delete, [0-9.]* ms$" out &&
	tree_state sp >after && cmp before after
'
run_test "age rule: everything over 30 days goes; -v names each record" '
	sample &&
	expect_code 0 "$HINTSDB" tidy -v --now=$NOW_OLD sp seen >out &&
	[ "$(grep -c "^seen: deleted .* (too old)$" out)" = 5 ] &&
	grep -q "^seen: deleted .127.0.0.1. (too old)$" out &&
	grep -q "^seen: examined 5, deleted 5 (too old 5), [0-9.]* ms$" out &&
	expect_code 0 "$HINTSDB" dump -k sp seen >keys && [ ! -s keys ]
'
run_test "-t: Exim syntax, components added up" '
	sample &&
	expect_code 0 "$HINTSDB" tidy -t 3d --now=2026-11-29T02:00:00Z sp seen \
	    >out && grep -q "nothing to delete" out &&
	expect_code 0 "$HINTSDB" tidy -t 1d23h59m59s --now=2026-11-29T02:00:00Z \
	    sp seen >out && grep -q "deleted 5 (too old 5" out &&
	sample &&
	expect_code 0 "$HINTSDB" tidy -t 1w --now=2026-12-04T01:54:00Z sp seen \
	    >out && grep -q "nothing to delete" out &&
	expect_code 0 "$HINTSDB" tidy -t 1w --now=2026-12-04T01:55:00Z sp seen \
	    >out && grep -q "deleted 5 " out
'
run_test "-n decides everything and changes nothing" '
	sample && tree_state sp >before &&
	expect_code 0 "$HINTSDB" tidy -n -v --now=$NOW_OLD sp retry >out &&
	grep -q "^retry: would delete .R:defer.example. (too old)$" out &&
	grep -q "^retry: dry run: examined 4, would delete 4 (too old 4), [0-9.]* ms$" out &&
	expect_code 0 "$HINTSDB" tidy --dry-run --now=$NOW_OLD sp retry >out &&
	grep -q "dry run" out &&
	tree_state sp >after && cmp before after
'
run_test "-q prints nothing on success; --quiet too" '
	sample &&
	expect_code 0 "$HINTSDB" tidy -q --now=$NOW_OLD sp retry >out 2>err &&
	[ ! -s out ] && [ ! -s err ] &&
	expect_code 0 "$HINTSDB" tidy --quiet sp seen >out 2>err &&
	[ ! -s out ] && [ ! -s err ]
'
run_test "-f is accepted and ignored, as by exim_tidydb" '
	sample && expect_code 0 "$HINTSDB" tidy -f --now=$NOW_FIX sp misc >out &&
	grep -q "^misc: examined 5, nothing to delete, " out
'
run_test "--format=json: one object per DB with every count" '
	sample &&
	expect_code 0 "$HINTSDB" tidy --format=json --now=$NOW_OLD sp retry seen \
	    >out &&
	[ "$(wc -l <out)" = 2 ] &&
	"$PY" - out <<-PY
	import json, sys
	objs = [json.loads(l) for l in open(sys.argv[1])]
	assert [o["db"] for o in objs] == ["retry", "seen"], objs
	for o in objs:
	    assert o["status"] == 0 and o["dry_run"] is False, o
	    assert o["deleted"] == o["examined"] == sum(o["deleted_by"].values()), o
	    assert o["deleted_by"]["too_old"] == o["deleted"], o
	    for k in ("updated", "renamed", "corrupt", "refreshed", "lock_holds",
	              "max_lock_held_ms", "elapsed_ms", "spool"):
	        assert k in o, k
	PY
'
run_test "wait: dead IDs go, live stay in order; emptied record deleted" '
	sample && rm -f sp/input/1xWlA6-0004Fo-0I-D &&
	expect_code 0 "$HINTSDB" tidy -v --now=$NOW_FIX sp wait-remote_smtp >out &&
	grep -q "^wait-remote_smtp: updated .127.0.0.1.$" out &&
	"$HINTSDB" dump --format=exim sp wait-remote_smtp >d &&
	grep -q "^127.0.0.1 1xWlA6-0004Fj-06 1xWlA6-0004Ft-0U $" d &&
	rm -f sp/input/* &&
	expect_code 0 "$HINTSDB" tidy -v --now=$NOW_FIX sp wait-remote_smtp >out &&
	grep -q "^wait-remote_smtp: deleted .127.0.0.1. (empty)$" out &&
	grep -q "deleted 1 (empty 1), [0-9.]* ms$" out
'
run_test "retry: records of messages gone are deleted (no message)" '
	sample && rm -f sp/input/1xWlA5-0004Fd-31-* &&
	expect_code 0 "$HINTSDB" tidy -v --now=$NOW_FIX sp retry >out &&
	grep -q "^retry: deleted .T:127.0.0.1:127.0.0.1:2525:1xWlA5-0004Fd-31. (no message)$" out
'
run_test "tls: tickets past their lifetime are deleted (ticket expired)" '
	sample &&
	expect_code 0 "$HINTSDB" tidy -v --now=$NOW_FIX sp tls >out &&
	grep -q "nothing to delete" out &&
	expect_code 0 "$HINTSDB" tidy -v --now=2026-11-28T00:00:00Z sp tls >out &&
	[ "$(grep -c "(ticket expired) peer=mx.test.example" out)" = 2 ] &&
	grep -q "ticket expired 2)" out
'
run_test "corrupt records are kept and reported: exit 1" '
	mkdir -p c/db c/input && now=1795744443 &&
	put c/db/wait-x big "$(waitval $now 60 0)" &&
	put c/db/wait-x bad "$(waitval $now 1 0 "1xWlA6/0004Fj-06")" &&
	put c/db/wait-x short 0102 &&
	expect_code 1 "$HINTSDB" tidy --now=$NOW_FIX c wait-x >out 2>err &&
	grep -q "corrupt record .big. kept: wait count over 50" err &&
	grep -q "corrupt record .bad. kept: bad character in message id" err &&
	grep -q "corrupt record .short. kept" err &&
	grep -q "corrupt kept 3" out &&
	[ "$("$HINTSDB" dump -k c wait-x | wc -l)" = 3 ] &&
	expect_code 1 "$HINTSDB" tidy -q --now=$NOW_FIX c wait-x >out 2>err &&
	[ ! -s out ] && [ -s err ]
'
run_test "a corrupt record past the age limit is deleted like any other" '
	mkdir -p c2/db c2/input &&
	put c2/db/wait-x big "$(waitval 1795744443 60 0)" &&
	expect_code 0 "$HINTSDB" tidy --now=$NOW_OLD c2 wait-x >out &&
	grep -q "too old 1" out
'
run_test "a missing DB exits 66, a junk file 74, a symlinked DB 74" '
	mkdir -p e/db && expect_code 66 "$HINTSDB" tidy e retry 2>err &&
	grep -q "no such database .e/db/retry." err &&
	printf "junk" >e/db/retry && expect_code 74 "$HINTSDB" tidy e retry 2>err &&
	grep -q "not a hints database" err &&
	rm e/db/retry && cp "$SPOOL_EX/db/retry" real &&
	ln -s "$PWD/real" e/db/retry &&
	expect_code 74 "$HINTSDB" tidy e retry 2>err &&
	grep -q "refusing symlinked database" err
'
run_test "a symlinked lockfile is refused: exit 74" '
	sample && rm sp/db/seen.lockfile && : >elsewhere &&
	ln -s "$PWD/elsewhere" sp/db/seen.lockfile &&
	expect_code 74 "$HINTSDB" tidy sp seen 2>err &&
	grep -q "refusing symlinked lockfile" err
'
run_test "lock held by Exim: exit 75 after --lock-timeout" '
	sample && exim_hold sp/db/seen.lockfile &&
	expect_code 75 "$HINTSDB" tidy --lock-timeout=300ms sp seen 2>err;
	st=$?; exim_release; [ $st = 0 ] &&
	grep -q "cannot write-lock .*seen.lockfile.: timed out" err
'
run_test "a missing lockfile is created, mode 0640" '
	sample && rm sp/db/seen.lockfile &&
	expect_code 0 "$HINTSDB" tidy --now=$NOW_FIX sp seen >out &&
	[ "$(stat -c %a sp/db/seen.lockfile)" = 640 ]
'
run_test "--all tidies every DB; one failure does not stop the others" '
	sample && printf "junk" >sp/db/ratelimit &&
	expect_code 74 "$HINTSDB" tidy --all --now=$NOW_OLD sp >out 2>err &&
	grep -q "ratelimit.*not a hints database" err &&
	for db in callout misc retry seen tls wait-remote_smtp; do
		grep -q "^$db: examined" out || { echo "no $db"; exit 1; }
	done &&
	[ "$(wc -l <out)" = 7 ] &&
	grep -q "^ratelimit: not tidied: cannot open .*not a hints database" out &&
	expect_code 0 "$HINTSDB" dump -k sp callout >k && [ ! -s k ] &&
	"$HINTSDB" tidy --all --format=json sp >out 2>err;
	[ $? = 74 ] && grep -q "\"db\":\"ratelimit\",.*\"status\":74,\"error\":" out
'
# missing SPOOL: 66, said before any drop of privileges
run_test "--all: a clean spool exits 0, missing SPOOL exits 66" '
	sample &&
	expect_code 0 "$HINTSDB" tidy --all -q --now=$NOW_FIX sp >out 2>err &&
	[ ! -s out ] && [ ! -s err ] &&
	expect_code 66 "$HINTSDB" tidy --all nowhere 2>err &&
	grep -qx "hintsdb: tidy: no spool directory .nowhere." err &&
	expect_code 66 "$HINTSDB" tidy --all --no-drop-privileges nowhere 2>err
'
run_test "several DBs by name: exit status is the worst" '
	sample && mkdir -p sp2/db && cp -a sp/db/seen* sp2/db/ &&
	expect_code 66 "$HINTSDB" tidy --now=$NOW_FIX sp2 seen retry >out 2>err &&
	grep -q "^seen: examined 5" out
'
run_test "every backend: the same records go" '
	sample && "$HELPER" age "$PWD/sp/db/retry" retry $((40 * DAY)) &&
	for be in gdbm tdb sqlite ndbm; do
		mkdir -p $be/db $be/input &&
		"$HELPER" copy sp/db/retry retry $be/db/retry $be legacy || exit 1
		: >$be/db/retry.lockfile
		expect_code 0 "$HINTSDB" tidy -v --now=$NOW_FIX $be retry \
		    >$be.out || exit 1
		grep -q "deleted 4 (too old 4" $be.out || { cat $be.out; exit 1; }
		[ -z "$("$HINTSDB" dump -k $be retry)" ] || exit 1
	done
'
run_test "v2 records: a rewritten wait record stays v2" '
	sample && mkdir -p v2/db && cp -a sp/input v2/ &&
	"$HELPER" copy sp/db/wait-remote_smtp wait-remote_smtp \
	    v2/db/wait-remote_smtp bdb v2 &&
	: >v2/db/wait-remote_smtp.lockfile &&
	expect_code 0 "$HINTSDB" tidy -v --now=$NOW_FIX v2 wait-remote_smtp >out &&
	grep -q "updated .127.0.0.1." out &&
	"$HINTSDB" dump --format=json v2 wait-remote_smtp >j &&
	grep -q "\"layout\":\"v2\"" j && ! grep -q 1xWlA6-0004Fy-0j j
'
run_test "short locks: a big tidy with a tiny limit takes many holds" '
	mkdir -p big/db big/input &&
	bigseen big/db/seen 3000 $((1795744443 - 40 * DAY)) &&
	n=$("$HINTSDB" dump -k big seen | wc -l) &&
	expect_code 0 env HINTSDB_TEST_HOLD_RECORDS=200 "$HINTSDB" tidy \
	    --format=json --max-lock-ms=1 --now=$NOW_FIX big seen >out &&
	"$PY" - out "$n" <<-PY
	import json, sys
	o = json.loads(open(sys.argv[1]).read())
	assert o["deleted"] == int(sys.argv[2]), o
	assert o["lock_holds"] > 1, o
	PY
'
run_test "every backend: tiny holds tidy exactly what one long hold does" '
	now=1795000000 &&
	for be in bdb gdbm ndbm tdb sqlite; do
		mkdir -p $be/db $be/input &&
		"$HELPER" gen "$PWD/$be/db/retry" $be retry 3000 5 $now &&
		: >$be/db/retry.lockfile &&
		HINTSDB_TEST_HOLD_RECORDS=$([ $be = bdb ] || echo 200) \
		"$HINTSDB" tidy --no-compact --max-lock-ms=$([ $be = bdb ] && echo 60000 ||
		    echo 1) --now=$now --format=json $be retry >$be.json &&
		"$HINTSDB" dump -k $be retry | sort >$be.keys || exit 1
		grep -q "\"examined\":3000," $be.json || { cat $be.json; exit 1; }
	done &&
	[ "$(wc -l <bdb.keys)" -gt 1000 ] && [ "$(wc -l <bdb.keys)" -lt 2000 ] &&
	grep -q "\"lock_holds\":1," bdb.json &&
	for be in gdbm ndbm tdb sqlite; do cmp bdb.keys $be.keys || exit 1; done
'
# The first write hold has no flush measured yet: it makes at most 64
# changes per 100 ms of --max-lock-ms, so that its flush cannot pass the
# budget (a count, whatever the machine's speed); later holds learn
run_test "the first write hold makes at most 64 changes (a count, not a time)" '
	now=1795000000 && mkdir -p b/db b/input &&
	"$HELPER" gen "$PWD/b/db/retry" bdb retry 400 5 $now &&
	: >b/db/retry.lockfile &&
	"$HINTSDB" tidy --now=$((now + 400 * 86400)) --format=json b retry \
	    >out.json &&
	grep -q "\"deleted\":400," out.json &&
	[ "$(grep -o "\"lock_holds\":[0-9]*" out.json | cut -d: -f2)" -ge 2 ] &&
	"$HINTSDB" tidy --max-lock-ms=60000 --now=$((now + 400 * 86400)) \
	    --format=json b retry >out2.json &&
	grep -q "\"deleted\":0," out2.json
'
test_done
