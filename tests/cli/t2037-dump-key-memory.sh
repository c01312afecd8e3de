#!/bin/sh
# t2037-dump-key-memory.sh - dump SPOOL DB KEY... looks the keys up
# instead of reading the DB: with 400,000 records (about 60 MB of copy,
# which a keyed dump of old made before picking its keys) a keyed dump
# runs in 4 MB of address space more than the same dump of a ten-record
# file needs, from Berkeley DB and from SQLite, and prints what the full
# dump prints of those records.  Sorted output is in key order; the exim
# format and --unsorted print in the order the keys were given, each key
# once; a KEY over the size cap is left out and said as a full read
# says it.  ulimit -v bounds the memory, so no timing; under the sanitizers
# or valgrind, which reserve far more address space, only the output is
# checked.
. "$(dirname "$0")/lib.sh"

N=400000
KEYS="k399999 k7 k123456"

# keyed_bounded: keyed dumps of sp's retry in base + 4 MB, each as the
# full dump has those records
keyed_bounded() {
	b=$(base_kb "$HINTSDB" dump --now=@1800000000 tiny retry k1 k7) ||
	    return 1
	lim=$((b + 4096))
	limited $lim "$HINTSDB" dump --now=@1800000000 sp retry $KEYS \
	    >t.out &&
	limited $lim "$HINTSDB" dump --format=json --now=@1800000000 sp \
	    retry $KEYS >j.out &&
	limited $lim "$HINTSDB" dump -k sp retry $KEYS k7 >k.out &&
	limited $lim "$HINTSDB" dump --format=exim --now=@1800000000 sp \
	    retry $KEYS k7 >e.out ||
	    { echo "failed in $lim KB (base $b KB)"; return 1; }
	printf "k123456\nk399999\nk7\n" | cmp - k.out &&
	grep "^k" t.out | cmp - k.out &&
	grep -o "^{\"db\":\"retry\",\"key\":\"k[0-9]*\"" j.out |
	    sed 's/.*"key":"//; s/"$//' | cmp - k.out &&
	printf "  k399999\n  k7\n  k123456\n" >want.order &&
	grep -o "^  k[0-9]*" e.out | cmp - want.order &&
	"$HINTSDB" dump --format=json --now=@1800000000 --match="k[17]" sp \
	    retry >m.out &&
	grep -F "\"key\":\"k7\"" m.out >m7 && grep -F "\"key\":\"k7\"" j.out |
	    cmp - m7
}

run_test "keyed dump of $N Berkeley DB records in bounded memory" '
	bigspool bdb && keyed_bounded
'

run_test "keyed dump of $N SQLite records in bounded memory" '
	bigspool sqlite && keyed_bounded
'

run_test "a missing key among $N: the rest printed, a message, exit 2" '
	bigspool bdb &&
	expect_code 2 "$HINTSDB" dump -k sp retry k5 nokey k9 >k 2>err &&
	printf "k5\nk9\n" | cmp - k &&
	echo "hintsdb: dump: no record '"'"'nokey'"'"' in '"'"'retry'"'"'" |
	    cmp - err
'

run_test "keyed dump on every backend: the records the full dump has" '
	copy_spool && K1=R:defer.example K2=T:127.0.0.1:127.0.0.1:2599 &&
	for be in gdbm tdb ndbm sqlite; do
		rm -rf c && mkdir -p c/db &&
		"$HINTSDB" convert --to-backend=$be --output="$PWD/c/db/retry" \
		    spool retry >/dev/null && : >c/db/retry.lockfile &&
		"$HINTSDB" dump --format=json --now=@1800000000 c retry >all &&
		expect_code 0 "$HINTSDB" dump --format=json --now=@1800000000 \
		    c retry "$K2" "$K1" >two &&
		grep -F -e "\"key\":\"$K1\"" -e "\"key\":\"$K2\"" all |
		    cmp - two || { echo "$be"; exit 1; }
	done
'

run_test "a KEY over the size cap: left out and said, as by a full read" '
	copy_spool && "$PYTHON" - <<-PY &&
	with open("big.load", "w") as f:
	    f.write("VERSION=3\\nformat=bytevalue\\ntype=hash\\nHEADER=END\\n")
	    f.write(" 62696700\\n " + "00" * 1100000 + "\\nDATA=END\\n")
	PY
	db5.3_load -f big.load spool/db/retry &&
	expect_code 1 "$HINTSDB" dump -k spool retry big R:defer.example \
	    >k 2>err &&
	test "$(cat k)" = R:defer.example &&
	printf "%s\\n" "hintsdb: dump: retry: 1 record over the size cap (keys 64 KiB, values 1024 KiB; no Exim writes one) left out" \
	    "hintsdb: dump: no record '"'"'big'"'"' in '"'"'retry'"'"'" | cmp - err
'

test_done
