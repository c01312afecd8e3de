#!/bin/sh
# t4000-tidy-vs-exim.sh - `hintsdb tidy` and our exim_tidydb make the same
# decisions as Debian's real exim_tidydb (Exim 4.96, in a chroot) on copies of
# the same databases, with the records re-stamped by the test helper to
# "now minus the age wanted" (exim_tidydb reads the clock, so the records
# move instead of the clock, and the tests pass on any date).  Our
# exim_tidydb must print exactly what Exim prints.  Where Exim is wrong
# (formats doc §4.5) the tests show Exim's mistake and that hintsdb gets it
# right.  After every tidy the real exim_dumpdb must read the result.
. "$(dirname "$0")/../cli/lib.sh"

EXIM_TIDY="exim_run exim_tidydb"
EXIM_DUMP="exim_run exim_dumpdb"
COMPAT_TIDY=$(dirname "$HINTSDB")/exim_tidydb
DAY=86400

dbs() { ls "$SPOOL_EX/db" | grep -v '\.lockfile$'; }

# fresh AGE DB: spool copies ex/ (real Exim), co/ (our exim_tidydb) and hd/
# (hintsdb tidy) of the sample spool, DB re-stamped in all three so that its
# newest record is AGE seconds old by the clock (whatever the date)
fresh() {
	rm -rf base ex co hd &&
	copy_spool base &&
	"$HELPER" restamp "$PWD/base/db/$2" "$2" "$1" &&
	cp -a base ex && cp -a base co && cp -a base hd
}

# run3 DB [-t T]: the three tidies; ex.out co.out hd.out and exit codes
run3() {
	db=$1
	shift
	$EXIM_TIDY "$@" "$PWD/ex" "$db" >ex.raw 2>&1
	echo $? >ex.rc
	"$COMPAT_TIDY" "$@" "$PWD/co" "$db" >co.raw 2>&1
	echo $? >co.rc
	"$HINTSDB" tidy -v "$@" "$PWD/hd" "$db" >hd.out 2>hd.err
	echo $? >hd.rc
	sed "s|$PWD/ex/|SPOOL/|" ex.raw >ex.out
	sed "s|$PWD/co/|SPOOL/|" co.raw >co.out
}

# Exim prints keys raw; ours are escaped (a pre-4.98.1 ETRN key ends in \n)
esc_exim() {
	sed ':a;N;$!ba;s/\n (too old)/\\n (too old)/g' "$1"
}

# same_result DB [RC]: the real exim_dumpdb reads all three alike, and
# exits RC (0 unless said)
same_result() {
	for s in ex co hd; do
		$EXIM_DUMP "$PWD/$s" "$1" >"$s.dump" 2>"$s.dumperr"
		[ $? = "${2:-0}" ] || {
			echo "exim_dumpdb fails on $s/$1"; cat "$s.dumperr"
			return 1; }
		sort "$s.dump" >"$s.sorted"
	done
	cmp -s ex.sorted co.sorted || { diff ex.sorted co.sorted; return 1; }
	cmp -s ex.sorted hd.sorted || { diff ex.sorted hd.sorted; return 1; }
}

same_output() {
	if grep -q "^deleted etrn-" ex.out; then esc_exim ex.out >ex.esc
	else cp ex.out ex.esc; fi &&
	{ cmp -s ex.esc co.out || { diff ex.esc co.out; return 1; }; } &&
	[ "$(cat ex.rc)" = "$(cat co.rc)" ]
}

# le N VALUE: VALUE as N little-endian bytes, in hex
le() {
	printf "%016x" "$2" | awk -v n="$1" '{
		s = substr($0, length($0) - 2 * n + 1); o = ""
		for (i = length(s) - 1; i > 0; i -= 2) o = o substr(s, i, 2)
		print o }'
}
hexstr() { printf "%s" "$1" | od -An -tx1 | tr -d " \n"; }

# hexval TYPE ARGS: a legacy record in hex
#   wait TIME COUNT SEQ IDS...      retry TIME TEXT
hexval() {
	if [ "$1" = wait ]; then
		t=$2 c=$3 q=$4
		shift 4
		echo "$(le 8 "$t")$(le 4 "$c")$(le 4 "$q")$(hexstr "$(echo "$@" |
		    tr -d " ")")0000000000000000"
	else
		echo "$(le 8 "$2")$(le 8 "$2")$(le 8 "$2")$(le 8 $(($2 + 900)))$(
		    le 4 0)$(le 4 -44)$(le 4 0)$(hexstr "$3")00000000"
	fi
}

# ids N PREFIX: N 16-character message IDs, one a line
ids() {
	awk -v n="$1" -v p="$2" 'BEGIN { for (i = 0; i < n; i++)
		printf "1%s%03dA-%06d-%02d\n", p, i, i, i % 100 }'
}

# newdb SPOOL DB: an empty spool with a lockfile, for hand-made records
newdb() {
	mkdir -p "$1/db" "$1/input" && : >"$1/db/$2.lockfile"
}

put() { "$HELPER" put "$PWD/$1" bdb "$(hexkey "$2")" "$3"; }

# The sample tls tickets expire two hours after the sample was made, and
# hintsdb tidy and our exim_tidydb (unlike Exim) delete expired tickets: by
# the wall clock the tls DB is compared by the age rule in the aged tests
# below, and on its own in the next one.
run_test "every sample DB, fresh: same output, same result" '
	for db in $(dbs | grep -vx tls); do
		fresh 0 "$db" && run3 "$db" || exit 1
		same_output || { echo "output differs for $db"; exit 1; }
		same_result "$db" || { echo "result differs for $db"; exit 1; }
		[ "$(cat hd.rc)" = 0 ] || { cat hd.err; exit 1; }
	done
'
run_test "tls, young records of expired tickets: Exim keeps them, ours deletes" '
	fresh 0 tls && run3 tls && n=$(grep -c "^deleted" co.out) &&
	[ "$n" -gt 0 ] && [ "$(cat ex.rc)" = 0 ] && [ "$(cat co.rc)" = 0 ] &&
	[ "$(grep -c "(ticket expired)$" co.out)" = "$n" ] &&
	! grep -q "^deleted" ex.out && grep -v "^deleted" co.out | cmp - ex.out &&
	$EXIM_DUMP "$PWD/ex" tls >ex.dump && [ -s ex.dump ] &&
	for s in co hd; do
		$EXIM_DUMP "$PWD/$s" tls >$s.dump && [ ! -s $s.dump ] || exit 1
	done
'
run_test "every sample DB aged 31 days: all deleted alike" '
	for db in $(dbs); do
		fresh $((31 * DAY)) "$db" && run3 "$db" || exit 1
		same_output && same_result "$db" || { echo "$db"; exit 1; }
		grep -q "(too old)" co.out || { echo "nothing too old: $db"; exit 1; }
		[ ! -s ex.dump ] || { echo "left in $db"; exit 1; }
	done
'
run_test "-t 7d on records 8 days old, -t 1w2d on the same: alike" '
	for db in $(dbs); do
		fresh $((8 * DAY)) "$db" && run3 "$db" -t 7d || exit 1
		same_output && same_result "$db" || { echo "$db 7d"; exit 1; }
	done &&
	fresh $((8 * DAY)) retry && run3 retry -t 1w2d && same_output &&
	same_result retry && ! grep -q "too old" co.out
'
run_test "-t with hours and minutes, bare numbers refused alike" '
	fresh $((3 * 3600)) retry && run3 retry -t 2h30m && same_output &&
	grep -q "too old" co.out &&
	run3 retry -t 30 && same_output && [ "$(cat co.rc)" = 1 ] &&
	grep -q "^Usage: exim_tidydb \[-t <time>\]" co.out &&
	run3 retry -t 1x && same_output && run3 retry -f -t 1d4h && same_output
'
run_test "wait record over a year old with -t 500d: the one-year rule" '
	fresh $((400 * DAY)) wait-remote_smtp && run3 wait-remote_smtp -t 500d &&
	same_output && same_result wait-remote_smtp &&
	grep -q "^deleted 127.0.0.1 (too old)" co.out
'
run_test "wait record from the future: reported, left alone, alike" '
	fresh $((-2 * DAY)) wait-remote_smtp && run3 wait-remote_smtp &&
	same_output && same_result wait-remote_smtp &&
	grep -q "^\*\*\*\* Data for .127.0.0.1. corrupted" co.out &&
	grep -q "^  time in future: " co.out &&
	[ "$(cat hd.rc)" = 1 ] && grep -q "corrupt record .127.0.0.1. kept" hd.err
'
run_test "messages gone: retry (no message) and wait (empty), alike" '
	fresh 0 retry && rm -f ex/input/* co/input/* hd/input/* &&
	run3 retry && same_output && same_result retry &&
	grep -q "(no message)" co.out &&
	fresh 0 wait-remote_smtp && rm -f ex/input/* co/input/* hd/input/* &&
	run3 wait-remote_smtp && same_output && same_result wait-remote_smtp &&
	grep -q "^deleted 127.0.0.1 (empty)" co.out
'
run_test "split spool: -D files in input/<6th char>/ count as present" '
	fresh 0 wait-remote_smtp || exit 1
	for s in ex co hd; do
		for f in $s/input/*-D; do
			id=$(basename "$f" -D); c=$(echo "$id" | cut -c6)
			mkdir -p "$s/input/$c" && mv "$s/input/$id"-? "$s/input/$c/"
		done
	done
	run3 wait-remote_smtp && same_output && same_result wait-remote_smtp &&
	grep -q "^updated 127.0.0.1" co.out && grep -q 1xWlA6-0004Fj-06 hd.dump
'
run_test "no lockfile, or a lockfile but no DB: Exim's messages and status" '
	rm -rf ex co && mkdir -p ex/db co/db hd/db &&
	$EXIM_TIDY "$PWD/ex" retry >ex.raw; echo $? >ex.rc
	"$COMPAT_TIDY" "$PWD/co" retry >co.raw; echo $? >co.rc
	sed "s|$PWD/ex/|SPOOL/|" ex.raw >ex.out && sed "s|$PWD/co/|SPOOL/|" co.raw >co.out &&
	same_output && [ "$(cat co.rc)" = 1 ] &&
	: >ex/db/retry.lockfile && : >co/db/retry.lockfile &&
	$EXIM_TIDY "$PWD/ex" retry >ex.raw; echo $? >ex.rc
	"$COMPAT_TIDY" "$PWD/co" retry >co.raw; echo $? >co.rc
	sed "s|$PWD/ex/|SPOOL/|" ex.raw >ex.out && sed "s|$PWD/co/|SPOOL/|" co.raw >co.out &&
	same_output && [ "$(cat co.rc)" = 0 ] && [ ! -e co/db/retry ]
'
run_test "count over 50 and sequence over 1000: reported alike, kept" '
	now=$(date +%s) && rm -rf ex co hd && newdb base wait-t &&
	put base/db/wait-t big "$(hexval wait $now 60 0 $(ids 50 c))" &&
	put base/db/wait-t seq "$(hexval wait $now 1 1001 $(ids 1 d))" &&
	cp -a base ex && cp -a base co && cp -a base hd &&
	run3 wait-t && same_output && same_result wait-t 1 &&
	grep -q "^  count=60=0x3c max=50" co.out &&
	grep -q "^  sequence=1001=0x3e9 max=1000" co.out &&
	[ "$(cat hd.rc)" = 1 ] && [ "$(grep -c "corrupt record" hd.err)" = 2 ]
'
run_test "empty main record takes over its continuations alike" '
	now=$(date +%s) && rm -rf base ex co hd && newdb base wait-t &&
	ids 6 e >all && for i in $(sed -n "1p;3p;5p" all); do
		: >base/input/$i-D; done &&
	put base/db/wait-t h "$(hexval wait $now 1 3 $(sed -n 2p all))" &&
	put base/db/wait-t h:2 "$(hexval wait $now 1 2 $(sed -n 4p all))" &&
	put base/db/wait-t h:0 "$(hexval wait $((now - 40 * DAY)) 2 0 \
	    $(sed -n "5p;6p" all))" &&
	put base/db/wait-t h:1 "$(hexval wait $now 2 1 $(sed -n "1p;3p" all))" &&
	put base/db/wait-t g "$(hexval wait $now 0 2)" &&
	put base/db/wait-t g:0 "$(hexval wait $now 1 0 $(sed -n 1p all))" &&
	cp -a base ex && cp -a base co && cp -a base hd &&
	run3 wait-t && same_output && same_result wait-t &&
	grep -q "^renamed h:1" co.out && grep -q "^updated h$" co.out &&
	grep -q "^renamed g:0" co.out
'
run_test "Exim 4.96 mangles a 60-ID wait set (49 live); hintsdb keeps the 49" '
	now=$(date +%s) && rm -rf base ex hd && newdb base wait-t &&
	ids 60 p >all &&
	sed "5d;8d;17d;24d;29d;32d;37d;49d;52d;55d;56d" all >live &&
	[ "$(wc -l <live)" = 49 ] &&
	for i in $(cat live); do : >base/input/$i-D; done &&
	put base/db/wait-t host "$(hexval wait $now 10 1 $(sed -n 51,60p all))" &&
	put base/db/wait-t host:0 "$(hexval wait $now 50 0 $(sed -n 1,50p all))" &&
	cp -a base ex && cp -a base hd &&
	$EXIM_TIDY "$PWD/ex" wait-t >ex.out &&
	"$HINTSDB" tidy -q "$PWD/hd" wait-t &&
	for s in ex hd; do
		$EXIM_DUMP "$PWD/$s" wait-t >$s.dump || exit 1
		tr " " "\n" <$s.dump | grep -- "-.*-" >$s.ids
	done &&
	sort hd.ids | uniq -d >hd.dup && [ ! -s hd.dup ] &&
	sort hd.ids | cmp - "$(sort live >live.s; echo live.s)" &&
	grep "^host:0 " hd.dump | tr " " "\n" | grep -- - >hd.cont &&
	sed -n 1,50p all | grep -Fx -f hd.cont | cmp - hd.cont &&
	sort -u ex.ids | comm -13 - live.s >ex.lost && [ -s ex.lost ] &&
	echo "Exim 4.96 lost $(wc -l <ex.lost) of 49 live IDs and wrote" \
	    "$(sort -u ex.ids | comm -23 - live.s | wc -l) IDs that were" \
	    "never there or are duplicates ($(sort ex.ids | uniq -d | wc -l))"
'
run_test "retry key with a 23-character ID: Exim keeps it, hintsdb does not" '
	now=$(date +%s) && rm -rf base ex hd && newdb base retry &&
	put base/db/retry "T:h:192.0.2.1:1xWlA5-000000004FR-002Y" \
	    "$(hexval retry $now gone)" &&
	put base/db/retry "T:h:192.0.2.1:1xWlA5-000000004FV-002i" \
	    "$(hexval retry $now live)" &&
	: >base/input/1xWlA5-000000004FV-002i-D &&
	cp -a base ex && cp -a base hd &&
	$EXIM_TIDY "$PWD/ex" retry >ex.out &&
	! grep -q "no message" ex.out &&
	"$HINTSDB" tidy -v "$PWD/hd" retry >hd.out &&
	grep -q "deleted .T:h:192.0.2.1:1xWlA5-000000004FR-002Y. (no message)" \
	    hd.out &&
	$EXIM_DUMP "$PWD/hd" retry >hd.dump &&
	grep -q 4FV-002i hd.dump && ! grep -q 4FR-002Y hd.dump
'
test_done
