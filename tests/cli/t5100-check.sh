#!/bin/sh
# t5100-check.sh - hintsdb check: silent on the clean real-Exim fixtures in
# every backend and layout; finds every defect in deliberately damaged
# copies (truncated file, bad page, record of the wrong length, wrong
# version, wait count over the maximum, corrupt DER, ...), one line each.
. "$(dirname "$0")/lib.sh"

T0=$(sed -n 's/^record .* time_stamp=\([0-9]*\) .*/\1/p' "$SPOOL_EX/MANIFEST" |
    sort -n | tail -n 1)
NOW=--now=@$((T0 + 60))
DBS=$(cd "$SPOOL_EX/db" && ls | grep -v '\.lockfile$')

# pyenv's shim costs half a second a call; Debian's python3 does not
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# le N BYTES: N (>= 0) as BYTES little-endian bytes in hex
le() {
	_n=$1 _i=0
	while [ $_i -lt "$2" ]; do
		printf %02x $((_n & 255))
		_n=$((_n >> 8)) _i=$((_i + 1))
	done
}
le64() { le "$1" 8; }
le32() { le "$1" 4; }
# hexs STRING: the bytes of STRING in hex, no NUL
hexs() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# openssl_der TIME: a DER SSL_SESSION (TLS 1.3, TLS_AES_256_GCM_SHA384) as
# i2d_SSL_SESSION writes one, in hex
openssl_der() {
	"$PY" - "$1" <<-"PY"
	import sys
	def tlv(tag, body):
	    n = len(body)
	    ln = bytes([n]) if n < 128 else bytes([0x81, n])
	    return bytes([tag]) + ln + body
	def integer(v):
	    return tlv(0x02, v.to_bytes((v.bit_length() + 8) // 8, "big"))
	t = int(sys.argv[1])
	body = (integer(1) + integer(0x0304) + tlv(0x04, b"\x13\x02") +
	        tlv(0x04, bytes(range(32))) + tlv(0x04, bytes(48)) +
	        tlv(0xa1, integer(t)) + tlv(0xa2, integer(7200)) +
	        tlv(0xa4, b"\x04\x00") + tlv(0xa9, integer(7200)))
	print(tlv(0x30, body).hex())
	PY
}

run_test "usage errors" '
	expect_code 64 "$HINTSDB" check 2>err &&
	grep -q "^usage: hintsdb check" err &&
	expect_code 64 "$HINTSDB" check "$SPOOL_EX" bogus 2>err &&
	grep -q "unknown database .bogus." err &&
	expect_code 64 "$HINTSDB" check --layout=v3 "$SPOOL_EX" 2>err &&
	expect_code 0 "$HINTSDB" check --help >out &&
	grep -q "^usage: hintsdb check \[-v\]" out &&
	expect_code 66 "$HINTSDB" check nowhere 2>err &&
	mkdir -p e/db && expect_code 66 "$HINTSDB" check e retry 2>err &&
	grep -q "no such database" err
'
run_test "the clean fixtures are silent" '
	expect_code 0 "$HINTSDB" check $NOW "$SPOOL_EX" >out 2>err &&
	test ! -s out && test ! -s err &&
	expect_code 0 "$HINTSDB" check -v $NOW "$SPOOL_EX" >out &&
	test "$(grep -c ", no problems$" out)" -eq "$(echo "$DBS" | wc -l)"
'
# Two spools whose DBs are spread over the ten (backend, layout)
# combinations: together they hold every combination at least once.
combo() {
	_b=$(echo bdb gdbm tdb ndbm sqlite | cut -d" " -f$(($1 / 2 + 1)))
	_l=legacy
	[ $(($1 % 2)) -eq 1 ] && _l=v2
	echo "--to-backend=$_b --to-layout=$_l"
}
for shift in 1 8; do
	run_test "clean copies in every backend and layout are silent ($shift)" '
		mkdir -p sp/db && i=0 &&
		for db in $DBS; do
			"$HINTSDB" convert $(combo $(((i + '$shift') % 10))) \
			    --output=sp/db/$db "$SPOOL_EX" $db || exit 1
			: >sp/db/$db.lockfile
			i=$((i + 1))
		done &&
		expect_code 0 "$HINTSDB" check $NOW sp >out 2>err &&
		test ! -s out && test ! -s err &&
		"$HINTSDB" stat --format=json sp >st &&
		test "$(grep -c "\"undecodable\":0,\"invalid\":0," st)" -eq 7
	'
done

# damaged DB copies, each with the line(s) check must print
mkspool() { rm -rf d && mkdir -p d/db && cp "$SPOOL_EX/db/$1" d/db/ &&
    : >"d/db/$1.lockfile"; }

run_test "a truncated BDB file" '
	mkspool retry &&
	head -c 6000 "$SPOOL_EX/db/retry" >d/db/retry &&
	expect_code 1 "$HINTSDB" check $NOW d retry >out 2>err &&
	grep -q "^retry: the bdb library cannot open it: .*file size not a multiple of the pagesize" out &&
	! grep -q "cannot open .*cannot open" out &&
	grep -q "check: retry: to repair, stop Exim, move .*d/db/retry. away" err &&
	grep -q "only retry times .* are lost" err
'
run_test "a BDB file cut at a page boundary" '
	mkspool tls &&
	head -c 8192 "$SPOOL_EX/db/tls" >d/db/tls &&
	expect_code 1 "$HINTSDB" check $NOW d tls >out &&
	grep -q "^tls: " out
'
run_test "a bad page" '
	mkspool callout &&
	"$PY" -c "
f = open(\"d/db/callout\", \"r+b\"); f.seek(8192 + 20); f.write(b\"\\xff\" * 64)" &&
	expect_code 1 "$HINTSDB" check $NOW d callout >out &&
	grep -q "^callout: bdb consistency check: .* is damaged: page 2: page type 255" out
'
run_test "a damaged GDBM, TDB, NDBM and SQLite file" '
	mkdir -p d/db &&
	for be in gdbm tdb ndbm sqlite; do
		rm -f d/db/callout* &&
		"$HINTSDB" convert --to-backend=$be --output=d/db/callout \
		    "$SPOOL_EX" callout &&
		f=d/db/callout && { [ $be != ndbm ] || f=d/db/callout.pag; } &&
		: >d/db/callout.lockfile &&
		# overwrite the bytes around the first stored key
		"$PY" -c "
import sys
p = sys.argv[1]; b = open(p, \"rb\").read()
f = open(p, \"r+b\"); f.seek(b.index(b\"verify.example\") - 8)
f.write(b\"\\xa5\" * 64)" $f &&
		expect_code 1 "$HINTSDB" check $NOW d callout >out 2>err ||
		    { echo "$be: not found"; cat out err; exit 1; }
		grep -q "^callout: $be consistency check: " out ||
		    { echo "$be: no consistency finding"; cat out; exit 1; }
	done
'
run_test "a header no backend knows" '
	mkspool seen && printf "garbage!garbage!garbage!" | dd of=d/db/seen \
	    conv=notrunc 2>/dev/null &&
	expect_code 1 "$HINTSDB" check $NOW d seen >out &&
	grep -q "^seen: not a database of any known backend" out
'
run_test "a record of the wrong length" '
	mkspool callout &&
	"$HELPER" put d/db/callout bdb "$(hexkey x@y.example)" \
	    "$(le64 $T0)$(le32 1)00000000$(le32 0)" &&
	expect_code 1 "$HINTSDB" check $NOW d callout >out &&
	test "$(cat out)" = "callout: '"'"'x@y.example'"'"': callout record has the wrong length (20 bytes)"
'
run_test "a record of the wrong version" '
	mkspool seen &&
	"$HELPER" put d/db/seen bdb "$(hexkey 192.0.2.9)" \
	    "0300000000000000$(le64 $T0)" &&
	expect_code 1 "$HINTSDB" check $NOW d seen >out &&
	test "$(cat out)" = "seen: '"'"'192.0.2.9'"'"': unknown record version (not 2) (16 bytes)"
'
run_test "a wait record with more than 50 IDs" '
	mkspool wait-remote_smtp &&
	ids=$(i=0; while [ $i -lt 51 ]; do
		printf "1xWl8n-%011d-2b00" $i; i=$((i + 1)); done) &&
	"$HELPER" put d/db/wait-remote_smtp bdb "$(hexkey mx.example)" \
	    "$(le64 $T0)$(le32 51)$(le32 0)$(hexs "$ids")0000000000000000" &&
	expect_code 1 "$HINTSDB" check $NOW d wait-remote_smtp >out &&
	test "$(cat out)" = "wait-remote_smtp: '"'"'mx.example'"'"': wait count over 50"
'
run_test "a wait record with a bad message ID" '
	mkspool wait-remote_smtp &&
	"$HELPER" put d/db/wait-remote_smtp bdb "$(hexkey mx.example)" \
	    "$(le64 $T0)$(le32 1)$(le32 0)$(hexs "1xWl8n-0003Z!-2b")0000000000000000" &&
	expect_code 1 "$HINTSDB" check $NOW d wait-remote_smtp >out &&
	grep -q "^wait-remote_smtp: .mx.example.: bad character in message id$" out
'
run_test "a tls record whose DER session is corrupt" '
	mkspool tls &&
	der=$(openssl_der $T0) &&
	"$HELPER" put d/db/tls bdb "$(hexkey good)" \
	    "$(le64 $T0)00${der}00000000000000" &&
	expect_code 0 "$HINTSDB" check $NOW d tls >out && test ! -s out &&
	bad=$(echo "$der" | sed "s/^\(30..\)0201/\10501/") &&
	"$HELPER" put d/db/tls bdb "$(hexkey bad)" \
	    "$(le64 $T0)00${bad}00000000000000" &&
	expect_code 1 "$HINTSDB" check $NOW d tls >out &&
	test "$(wc -l <out)" -eq 1 &&
	grep -q "^tls: .bad.: tls session does not decode: " out
'
run_test "a tls record whose GnuTLS session is cut short" '
	mkspool tls &&
	rec=$("$HINTSDB" export "$SPOOL_EX" tls | sed -n 2p |
	    "$PY" -c "import base64, json, sys
print(base64.b64decode(json.load(sys.stdin)[\"raw\"])[:900].hex())") &&
	"$HELPER" put d/db/tls bdb "$(hexkey short)" "${rec}00000000000000" &&
	expect_code 1 "$HINTSDB" check $NOW d tls >out &&
	grep -q "^tls: .short.: tls session " out
'
run_test "implausible and future times, bad callout results, keys without NUL" '
	mkspool callout &&
	"$HELPER" put d/db/callout bdb "$(hexkey old@x)" \
	    "$(le64 12345)$(le32 1)00000000" &&
	"$HELPER" put d/db/callout bdb "$(hexkey future@x)" \
	    "$(le64 $((T0 + 864000)))$(le32 1)00000000" &&
	"$HELPER" put d/db/callout bdb "$(hexkey bad@x)" \
	    "$(le64 $T0)$(le32 9)00000000" &&
	"$HELPER" put d/db/callout bdb "$(hexs nonul@x)" \
	    "$(le64 $T0)$(le32 1)00000000" &&
	expect_code 1 "$HINTSDB" check $NOW d callout >out 2>err &&
	test "$(wc -l <out)" -eq 4 &&
	grep -q "check: callout: to repair, run .hintsdb delete d callout KEY." err &&
	grep -q "^callout: .future@x.: record time is in the future$" out &&
	grep -q "^callout: .bad@x.: callout result out of range$" out &&
	grep -q "^callout: .nonul@x.: key lacks Exim.s trailing NUL$" out &&
	grep -q "^callout: .old@x.: record layout not recognised (16 bytes)$" out
'
run_test "every defect at once: one line each, other DBs silent" '
	rm -rf d && cp -a "$SPOOL_EX" d &&
	head -c 6000 "$SPOOL_EX/db/retry" >d/db/retry &&
	"$HELPER" put d/db/seen bdb "$(hexkey v3)" \
	    "0300000000000000$(le64 $T0)" &&
	"$HELPER" put d/db/misc bdb "$(hexkey tpt-serialize-x)" "$(le64 $T0)00" &&
	expect_code 1 "$HINTSDB" check $NOW d >out &&
	test "$(wc -l <out)" -eq 3 &&
	grep -q "^retry: " out && grep -q "^seen: .v3.: " out &&
	grep -q "^misc: .tpt-serialize-x.: serialisation record has the wrong length" out
'
run_test "a temporary directory left by a killed convert is reported" '
	rm -rf d && cp -a "$SPOOL_EX" d &&
	mkdir d/db/.retry.hintsdb.999999999.AbCdEf &&
	expect_code 1 "$HINTSDB" check $NOW d retry >out 2>err &&
	grep -q "^retry: .\.retry\.hintsdb\.999999999\.AbCdEf. was left by an interrupted tidy, convert or import" out &&
	! grep -q "to repair" err
'
run_test "the backend's check runs on a copy, with Exim's lock free" '
	mkspool retry &&
	HINTSDB_TEST_STALL_AT=1:4000 "$HINTSDB" check -v $NOW d retry \
	    >out 2>err &
	pid=$! &&
	sleep 1 &&
	ls -a d/db | grep -q "^\.retry\.hintsdb\.$pid\." &&
	hold_lock d/db/retry.lockfile 1 && wait $LOCK_PID &&
	kill -0 $pid && wait $pid &&
	grep -q "^retry: [0-9]* records, no problems$" out && test ! -s err &&
	test "$(ls -a d/db | grep -c hintsdb)" -eq 0
'
run_test "no room for a copy: checked under the lock, said with -v" '
	mkspool callout &&
	"$PY" -c "
f = open(\"d/db/callout\", \"r+b\"); f.seek(8192 + 20); f.write(b\"\\xff\" * 64)" &&
	chmod 755 . d && chmod 555 d/db &&
	expect_code 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$HINTSDB" check -v $NOW d callout >out 2>err;
	rc=$?; chmod 755 d/db; [ $rc -eq 0 ] &&
	grep -q "^callout: bdb consistency check: .* is damaged: page 2" out &&
	grep -q "check: callout: no copy to check (.*Permission denied): checking it under the lock" err
'
run_test "too little free space for a copy: checked under the lock, said with -v" '
	mkspool retry &&
	{ unshare -m true ||
	    { echo "needs a mount namespace (unshare -m) for a small tmpfs: run as root, outside a container or chroot"; exit 1; }; } &&
	unshare -m sh -c "
		mount -t tmpfs -o size=1m tmpfs d && mkdir d/db &&
		cp \"\$0\"/db/retry d/db/ && : >d/db/retry.lockfile &&
		dd if=/dev/zero of=d/filler bs=4k count=240 2>/dev/null &&
		\"\$1\" check -v \$2 d retry" "$SPOOL_EX" "$HINTSDB" "$NOW" \
	    >out 2>err &&
	grep -q "^retry: [0-9]* records, no problems$" out &&
	grep -q "check: retry: no copy to check (too little free space for one): checking it under the lock" err
'
run_test "a busy lock exits 75" '
	rm -rf d && cp -a "$SPOOL_EX" d &&
	hold_lock d/db/seen.lockfile 5 &&
	expect_code 75 "$HINTSDB" check --lock-timeout=0 d >out 2>err;
	rc=$?; kill $LOCK_PID; wait $LOCK_PID 2>/dev/null; [ $rc -eq 0 ] &&
	grep -q "cannot read-lock" err &&
	# every DB asked about has its line on stdout, the busy one too
	grep -qx "seen: not checked: busy (its lock was not free in time; try again later)" out
'
test_done
