#!/bin/sh
# t4100-fix-vs-exim.sh - our exim_fixdb answers a command script exactly as
# Debian's real exim_fixdb (Exim 4.96, in a chroot) does, on copies of the
# sample spool (times are normalised: both write "now").  Where Exim is
# wrong (a refused edit still rewrites the record; tls shows garbage), the
# tests show the difference.  The real exim_dumpdb reads what we wrote.
. "$(dirname "$0")/../cli/lib.sh"

EXIM_FIX="exim_run exim_fixdb"
COMPAT_FIX=$(dirname "$HINTSDB")/exim_fixdb

# both DB SCRIPT: run the script through both tools on fresh copies
both() {
	rm -rf ex co && copy_spool ex && copy_spool co &&
	printf "$2" | $EXIM_FIX "$PWD/ex" "$1" >ex.raw 2>&1
	echo $? >ex.rc
	printf "$2" | "$COMPAT_FIX" "$PWD/co" "$1" >co.raw 2>&1
	echo $? >co.rc
	for s in ex co; do
		sed -e "s|$PWD/$s/|SPOOL/|" -e \
		    's/[0-9][0-9]-[A-Z][a-z][a-z]-[0-9]\{4\} [0-9:]\{8\}/<T>/g' \
		    $s.raw >$s.out
	done
	cmp -s ex.out co.out || { diff ex.out co.out; return 1; }
	[ "$(cat ex.rc)" = "$(cat co.rc)" ]
}

run_test "usage and exit status as Exim" '
	$EXIM_FIX >ex.out 2>&1; e=$?; "$COMPAT_FIX" >co.out 2>&1; c=$?;
	[ $e = $c ] && cmp ex.out co.out &&
	$EXIM_FIX -k a b >ex.out 2>&1; e=$?; "$COMPAT_FIX" -k a b >co.out 2>&1;
	c=$?; [ $e = 1 ] && [ $c = 1 ] && grep -q "^Usage: exim_fixdb" co.out &&
	copy_spool sp && $EXIM_FIX "$PWD/sp" bogus >ex.out 2>&1; e=$?;
	"$COMPAT_FIX" "$PWD/sp" bogus >co.out 2>&1; c=$?;
	[ $e = $c ] && cmp ex.out co.out
'
run_test "retry: show, edit every field, delete, the messages" '
	both retry "R:defer.example\n0 -45\n1 12\n2 2612312359\n3 26:12:31:10:00\n4 1230\n5 yes\n5 no\nR:defer.example\nd\nR:defer.example\nnosuch\nd\n7 1\n\nT:127.0.0.1:127.0.0.1:2599 x y\nT:127.0.0.1:127.0.0.1:2599 1\nT:127.0.0.1:127.0.0.1:2599 d extra\n9 1\nq\n"
'
run_test "end of input instead of q, as Exim (final newline)" '
	both retry "R:defer.example\n" && tail -c 3 co.raw | od -c | grep -q ">"
'
run_test "callout: domain and address records" '
	both callout "verify.example\n0 2\n1 1\n2 0\nalice@client.example\nmfnull.example\nq\n"
'
run_test "ratelimit: plain and unique records, Bloom test and add" '
	both ratelimit "1h/per_rcpt/alice@client.example\n1 123\n2 3.25\n1h/per_rcpt/unique/bob@client.example\n4 x@y\n5 x@y\n4 x@y\n5 bob@client.example\nq\n"
'
run_test "wait, misc and seen: shown alike" '
	both wait-remote_smtp "127.0.0.1\nq\n" &&
	both misc "127.0.0.1:2525.EHLO\nhost-serialize-127.0.0.1\nq\n" &&
	both seen "127.0.0.1\nalice@client.example 0 x\nq\n"
'
run_test "a missing lockfile: the message, and the prompt again" '
	rm -rf ex co && copy_spool ex && copy_spool co &&
	rm ex/db/seen.lockfile co/db/seen.lockfile &&
	printf "127.0.0.1\nq\n" | $EXIM_FIX "$PWD/ex" seen >ex.raw &&
	printf "127.0.0.1\nq\n" | "$COMPAT_FIX" "$PWD/co" seen >co.raw &&
	sed "s|$PWD/ex/|S/|g" ex.raw >ex.out && sed "s|$PWD/co/|S/|g" co.raw >co.out &&
	cmp ex.out co.out
'
run_test "a missing DB: Exim's messages, and we create no file" '
	rm -rf ex co && mkdir -p ex/db co/db && : >ex/db/retry.lockfile &&
	: >co/db/retry.lockfile &&
	printf "k\nk 1 2\nk d\nk\nq\n" | $EXIM_FIX "$PWD/ex" retry >ex.raw &&
	printf "k\nk 1 2\nk d\nk\nq\n" | "$COMPAT_FIX" "$PWD/co" retry >co.raw &&
	sed "s|$PWD/ex/|S/|g" ex.raw >ex.out && sed "s|$PWD/co/|S/|g" co.raw >co.out &&
	cmp ex.out co.out && [ ! -e co/db/retry ]
'
run_test "a refused edit: Exim rewrites the record, we change nothing" '
	rm -rf ex co && copy_spool ex && copy_spool co &&
	"$HINTSDB" dump --format=json --now=2026-11-27T02:00:00Z co wait-remote_smtp >before &&
	printf "127.0.0.1 1 x\n" | $EXIM_FIX "$PWD/ex" wait-remote_smtp >ex.out &&
	printf "127.0.0.1 1 x\n" | "$COMPAT_FIX" "$PWD/co" wait-remote_smtp >co.out &&
	grep -q "^> Can.t change contents of wait database record" co.out &&
	"$HINTSDB" dump --format=json --now=2026-11-27T02:00:00Z co wait-remote_smtp >after &&
	cmp before after &&
	"$HINTSDB" dump --format=json --now=2026-11-27T02:00:00Z ex wait-remote_smtp >exafter &&
	! cmp -s before exafter
'
run_test "tls: Exim shows 1970 and garbage, we show the record time" '
	rm -rf ex co && copy_spool ex && copy_spool co &&
	k=$("$HINTSDB" dump -k co tls | head -n 1) &&
	printf "$k\nq\n" | TZ=UTC $EXIM_FIX "$PWD/ex" tls >ex.out &&
	printf "$k\nq\n" | TZ=UTC "$COMPAT_FIX" "$PWD/co" tls >co.out &&
	grep -q "^0 time stamp:  01-Jan-1970" ex.out &&
	grep -q "^0 time stamp:  27-Nov-2026 01:54:0" co.out && no_ctl co.out
'
run_test "keys with spaces: quoted for us, unreachable for Exim" '
	rm -rf co && copy_spool co &&
	"$HELPER" put "$PWD/co/db/seen" bdb "$(hexkey "two words")" \
	    bbf1086b00000000 &&
	printf "\"two words\" d\n" | "$COMPAT_FIX" "$PWD/co" seen >co.out &&
	grep -q "^> deleted" co.out
'
run_test "after our edits the real exim_dumpdb reads the DB" '
	rm -rf co && copy_spool co &&
	printf "R:defer.example 1 7\nT:127.0.0.1:127.0.0.1:2599 d\n" |
	    "$COMPAT_FIX" "$PWD/co" retry >co.out &&
	exim_run exim_dumpdb "$PWD/co" retry >d &&
	grep -q "^  R:defer.example -1 7 " d && ! grep -q 2599 d
'
test_done
