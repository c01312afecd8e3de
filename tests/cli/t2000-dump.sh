#!/bin/sh
# t2000-dump.sh - hintsdb dump: formats, options, exit codes, safety.
. "$(dirname "$0")/lib.sh"

dbs() { ls "$SPOOL_EX/db" | grep -v '\.lockfile$'; }

run_test "no operands is a usage error" '
	expect_code 64 "$HINTSDB" dump 2>err &&
	grep -q "^usage: hintsdb dump" err
'
run_test "unknown format is a usage error" '
	expect_code 64 "$HINTSDB" dump --format=xml "$SPOOL_EX" retry 2>err &&
	grep -q "unknown format .xml." err
'
run_test "unknown database name is a usage error" '
	expect_code 64 "$HINTSDB" dump "$SPOOL_EX" bogus 2>err &&
	grep -q "unknown database .bogus." err
'
run_test "--file needs --type" '
	expect_code 64 "$HINTSDB" dump --file="$SPOOL_EX/db/retry" 2>err &&
	grep -q "needs --type" err
'
run_test "bad --now and --lock-timeout are usage errors" '
	expect_code 64 "$HINTSDB" dump --now=yesterday "$SPOOL_EX" retry &&
	expect_code 64 "$HINTSDB" dump --lock-timeout=-1 "$SPOOL_EX" retry &&
	expect_code 64 "$HINTSDB" dump --backend=cdb "$SPOOL_EX" retry
'
run_test "--help prints the usage on stdout" '
	expect_code 0 "$HINTSDB" dump --help >out &&
	grep -q "^usage: hintsdb dump \[-kz\]" out
'
run_test "a missing database exits 66" '
	mkdir -p empty/db &&
	expect_code 66 "$HINTSDB" dump empty retry 2>err &&
	grep -q "no such database .empty/db/retry." err
'
run_test "a file of no known backend exits 74" '
	mkdir -p junk/db && printf "not a database at all" >junk/db/retry &&
	: >junk/db/retry.lockfile &&
	expect_code 74 "$HINTSDB" dump junk retry 2>err &&
	grep -q "not a hints database" err
'
run_test "every fixture DB dumps in every format with no control bytes" '
	for db in $(dbs); do
		for f in text json exim; do
			expect_code 0 "$HINTSDB" dump --format=$f "$SPOOL_EX" \
			    "$db" >"$db.$f" 2>"$db.$f.err" || exit 1
			no_ctl "$db.$f" "$db.$f.err" || exit 1
			test -s "$db.$f" || { echo "empty $db.$f"; exit 1; }
		done
	done
'
run_test "json lines parse and carry db, key, layout, time_stamp, age_s" '
	for db in $(dbs); do
		"$HINTSDB" dump --format=json --now=2030-01-01T00:00:00Z \
		    "$SPOOL_EX" "$db" >"$db.json" || exit 1
		"$PYTHON" - "$db" "$db.json" <<-PY || exit 1
		import json, sys
		db, path = sys.argv[1], sys.argv[2]
		now = 1893456000
		for line in open(path):
		    o = json.loads(line)
		    assert o["db"] == db, o
		    assert o["key"], o
		    assert o["layout"] == "legacy", o
		    assert o["age_s"] == now - o["time_stamp"], o
		PY
	done
'
run_test "text is sorted by key, --unsorted keeps backend order" '
	"$HINTSDB" dump -k "$SPOOL_EX" retry >sorted &&
	sort sorted | cmp - sorted &&
	"$HINTSDB" dump -k --unsorted "$SPOOL_EX" retry >unsorted &&
	sort unsorted | cmp - sorted
'
run_test "-k prints keys only, in all formats" '
	"$HINTSDB" dump -k "$SPOOL_EX" retry >k &&
	! grep -q "time:" k &&
	"$HINTSDB" dump -k --format=exim "$SPOOL_EX" retry >ke &&
	grep -q "^  " ke &&
	"$HINTSDB" dump -k --format=json "$SPOOL_EX" retry >kj &&
	"$PYTHON" -c "import json,sys; [json.loads(l)[\"key\"] for l in open(\"kj\")]"
'
run_test "a reader creates and changes nothing, even without a lockfile" '
	copy_spool sp && rm -f sp/db/retry.lockfile &&
	tree_state sp >before &&
	expect_code 0 "$HINTSDB" dump sp retry >/dev/null &&
	for db in $(dbs); do
		"$HINTSDB" dump --format=json sp "$db" >/dev/null || exit 1
	done &&
	tree_state sp >after && cmp before after
'
run_test "a held write lock makes dump exit 75 after the timeout" '
	copy_spool sp &&
	hold_lock sp/db/retry.lockfile 5 &&
	expect_code 75 "$HINTSDB" dump --lock-timeout=0 sp retry 2>err0;
	r0=$?
	expect_code 75 "$HINTSDB" dump --lock-timeout=300ms sp retry 2>err1;
	r1=$?
	kill $LOCK_PID; wait $LOCK_PID 2>/dev/null
	[ $r0 = 0 ] && [ $r1 = 0 ] &&
	grep -q "cannot read-lock .sp/db/retry.lockfile.: lock is busy" err0 &&
	grep -q "timed out" err1
'
run_test "a read lock held by another reader does not block dump" '
	copy_spool sp &&
	"$PYTHON" -c "
import fcntl, os, subprocess, sys
fd = os.open(\"sp/db/retry.lockfile\", os.O_RDONLY)
fcntl.lockf(fd, fcntl.LOCK_SH)
sys.exit(subprocess.call([sys.argv[1], \"dump\", \"--lock-timeout=0\", \"sp\", \"retry\"], stdout=subprocess.DEVNULL))
" "$HINTSDB"
'
run_test "a symlinked lockfile is refused" '
	copy_spool sp && mv sp/db/retry.lockfile sp/db/real.lockfile &&
	ln -s real.lockfile sp/db/retry.lockfile &&
	expect_code 74 "$HINTSDB" dump sp retry 2>err &&
	grep -q "refusing symlinked lockfile" err
'
run_test "a symlinked database is refused" '
	copy_spool sp && mv sp/db/retry sp/db/elsewhere &&
	ln -s elsewhere sp/db/retry &&
	expect_code 74 "$HINTSDB" dump sp retry 2>err &&
	grep -q "refusing symlinked database" err
'
run_test "--file --type dumps a DB outside a spool" '
	cp "$SPOOL_EX/db/retry" ./r &&
	expect_code 0 "$HINTSDB" dump --file=r --type=retry >a &&
	"$HINTSDB" dump "$SPOOL_EX" retry >b && cmp a b
'
run_test "hostile keys are escaped in text and exim, exact in json" '
	"$HELPER" put h.db bdb "$(printf "\033]0;pwned\007\033[2J" | od -An -tx1 | tr -d " \n")00" \
	    "$(printf "d68e086b000000000100000000" ; printf "%014d" 0)" &&
	: >h.db.lockfile &&
	expect_code 0 "$HINTSDB" dump --file=h.db --type=tls >t 2>e &&
	no_ctl t e &&
	grep -qF "\\033]0;pwned\\a\\033[2J" t &&
	expect_code 0 "$HINTSDB" dump --format=exim --file=h.db --type=tls >x &&
	no_ctl x &&
	"$HINTSDB" dump --format=json --file=h.db --type=tls >j &&
	"$PYTHON" -c "
import json, base64
o = json.loads(open(\"j\").read())
assert o[\"key\"] == \"\x1b]0;pwned\x07\x1b[2J\", o
"
'
run_test "a key that is not UTF-8 or holds a NUL keeps its bytes in key_b64" '
	"$HELPER" put b.db bdb ff410042c300 d68e086b00000000 &&
	: >b.db.lockfile &&
	expect_code 0 "$HINTSDB" dump --file=b.db --type=seen >t &&
	no_ctl t && grep -qF "\\377A\\0B\\303" t &&
	"$HINTSDB" dump --format=json --file=b.db --type=seen >j &&
	"$PYTHON" -c "
import json, base64
o = json.loads(open(\"j\").read())
assert base64.b64decode(o[\"key_b64\"]) == b\"\xffA\x00B\xc3\x00\", o
"
'
run_test "an undecodable record is reported, the rest printed, exit 1" '
	cp "$SPOOL_EX/db/retry" r.db && : >r.db.lockfile &&
	"$HELPER" put r.db bdb "$(hexkey "R:broken.example")" 0102 &&
	expect_code 1 "$HINTSDB" dump --file=r.db --type=retry >t 2>e &&
	grep -q "cannot decode record .R:broken.example.: record shorter than its header" e &&
	grep -q "^  error: record shorter than its header" t &&
	n=$("$HINTSDB" dump -k "$SPOOL_EX" retry | wc -l) &&
	[ "$(grep -c "^[^ ]" t)" -eq $((n + 1)) ] &&
	expect_code 1 "$HINTSDB" dump --format=json --file=r.db --type=retry >j &&
	grep -q "\"error\": *\"record shorter than its header\"" j
'
run_test "--layout=v2 on legacy records fails them all" '
	expect_code 1 "$HINTSDB" dump --layout=v2 "$SPOOL_EX" seen >/dev/null 2>e &&
	grep -q "unknown record version\|record shorter" e
'
run_test "write errors on stdout are failures" '
	if [ -w /dev/full ]; then
		expect_code 74 "$HINTSDB" dump "$SPOOL_EX" retry >/dev/full 2>e &&
		grep -q "write error" e
	fi
'
test_done
