# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - the command-line test harness, sourced by each tests/cli/t*.sh.
#
# A test file sets test_description, sources this file, calls ok/expect_*
# inside `run_test "title" 'body'` blocks, and ends with `test_done`.
# Bodies are &&-chained shell; a body that returns non-zero fails the test.
# Each test file has its own scratch directory ($TRASH), removed at the end
# unless HINTSDB_KEEP is set; each test body runs in a fresh directory below
# it.  Results go to $RESULTS (one line per test)
# so tests/check.sh can add them up.
#
# Helpers:
#   expect_code N cmd...  run cmd, succeed only if it exits exactly N
#                         (a status above 128 is a crash and always fails)
#   no_ctl FILE...        fail if a file holds a byte below 0x20 other than
#                         tab and newline, 0x7f, a C1 control (U+0080-U+009F
#                         as UTF-8; in a file that is not UTF-8 any byte
#                         0x80-0x9f) or a bidi control (U+202A-U+202E,
#                         U+2066-U+2069)
#   norm_times FILE       replace ISO and Exim-style times with placeholders

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
HINTSDB=${HINTSDB:-$TOP/bin/hintsdb}
HELPER=${HELPER:-$TOP/build/helper/hdb-test}
SPOOL_EX=$TOP/examples/spool
DATA=$TOP/tests/data
RESULTS=${RESULTS:-/dev/null}
export TZ=${TZ:-UTC} LC_ALL=C
# check, upgrade and tidy --stale-sessions ask the exim4 on PATH: not the
# host's in tests (a test that wants one sets HINTSDB_EXIM or unsets it)
HINTSDB_EXIM=
export HINTSDB_EXIM
# Debian's python3 starts faster than a version-manager shim on PATH
PYTHON=python3
[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
name=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/hdbtest.$name.XXXXXX")
trap 'cd /; [ -n "${HINTSDB_KEEP:-}" ] || rm -rf "$TRASH"' EXIT
cd "$TRASH" || exit 1
n_pass=0
n_fail=0

# le N VALUE: VALUE as N little-endian bytes, in hex
le() {
	printf "%016x" "$2" | awk -v n="$1" '{
		s = substr($0, length($0) - 2 * n + 1); o = ""
		for (i = length(s) - 1; i > 0; i -= 2) o = o substr(s, i, 2)
		print o }'
}
# retry record written at TIME with the text "init"
retryval() {
	echo "$(le 8 "$1")$(le 8 "$1")$(le 8 "$1")$(le 8 $(($1 + 900)))$(
	    le 4 0)$(le 4 -44)$(le 4 0)696e697400000000"
}

# bigretry DB [EVERY]: $N Berkeley DB retry records, k0..k<N-1>, every
# EVERY-th one (2: the even ones) 40 days old, the rest a day old (as
# `hdb-test writer` keys them)
bigretry() {
	_now=$(date +%s)
	awk -v n="$N" -v every="${2:-2}" \
	    -v old="$(retryval $((_now - 40 * 86400)))" \
	    -v new="$(retryval $((_now - 86400)))" 'BEGIN {
		print "VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END"
		for (i = 0; i < n; i++) {
			k = i ""; h = "6b"
			for (j = 1; j <= length(k); j++)
				h = h sprintf("%02x", 48 + substr(k, j, 1))
			print " " h "00\n " (i % every ? new : old)
		}
		print "DATA=END" }' >"$1.load" && db5.3_load -f "$1.load" "$1" &&
	: >"$1.lockfile"
}

# live_got: "key text" for every record of sp/db/retry, as a live
# rebuild beside `hdb-test writer` leaves it
live_got() {
	"$HINTSDB" dump --format=exim sp retry |
	    awk '/^  / { print $1, $4 }' | sort
}

# live_revived: "key text" of each record whose last change in the
# writer's log w.log deleted it, with the text the change before put: a
# record added during a live rebuild and deleted just after the switch
# may come back (catchup.h)
live_revived() {
	awk '{ if ($2 == "-") { d[$1] = 1 } else { d[$1] = 0; p[$1] = $2 } }
	    END { for (k in d) if (d[k] && (k in p)) print k, p[k] }' w.log |
	    sort
}

# live_same: the DB holds what the writer left, as the test's expected
# says ("key text" lines, kept in want and have), but for at most 5 of
# live_revived's
live_same() {
	expected >want && live_got >have && live_revived >revived &&
	[ -z "$(comm -23 want have)" ] &&
	[ -z "$(comm -13 want have | comm -23 - revived)" ] &&
	[ $(comm -13 want have | wc -l) -le 5 ]
}

# writers [tdb]: 3 Exim-like writers and one that keeps its connection
# (tdb: its handle) on $WRITERS_DB (default sp/db/retry), each logging to
# w<i>.log; SQLite writers write $WRITERS_LAYOUT records (legacy, or v2
# as Exim 4.100.1 does); returns once each has written once (at most 20 s)
writers() {
	rm -f stop
	pids=
	for i in 1 2 3 4; do
		if [ "${1:-}" = tdb ]; then
			mode=txn
			[ $i = 4 ] && mode=keeptxn
			"$HELPER" writer "${WRITERS_DB:-$PWD/sp/db/retry}" 300 $i 200 \
			    "$PWD/w$i.log" $mode id=$i stop="$PWD/stop" \
			    >w$i.out 2>&1 3>&- &
		else
			keep=
			[ $i = 4 ] && keep=keep
			"$HELPER" sqlwriter "${WRITERS_DB:-$PWD/sp/db/retry}" \
			    $i 200 "$PWD/w$i.log" "$PWD/stop" $keep \
			    ${WRITERS_LAYOUT:-legacy} >w$i.out 2>&1 3>&- &
		fi
		pids="$pids $!"
	done
	_n=0
	for i in 1 2 3 4; do
		while [ ! -s w$i.log ]; do
			_n=$((_n + 1))
			if [ $_n -ge 400 ]; then
				echo "writer $i wrote nothing in 20 s" >&2
				kill $pids
				return 1
			fi
			sleep 0.05
		done
	done
}

# writers_done: stop the writers (each ends 50 writes later, or gives up
# by itself after 1,000,000 writes without the stop file: a bound by
# count, as a loaded machine slows the command they run beside as well;
# the tdb writer's 300 s do not count with stop=) and check that no write
# failed but for a busy timeout (printed): a writer that tried for 5 s and
# never found the lock free, which is how long and how often our holds and
# the other writers took it, a matter of the machine's load, for `make
# bench`
writers_done() {
	: >stop
	_rc=0
	for p in $pids; do
		wait $p || _rc=1
	done
	cat w[1-4].out
	grep -h " FAIL " w[1-4].log | sed "s/^/write failed: /"
	[ $_rc = 0 ] && ! grep -h " FAIL " w[1-4].log |
	    grep -v "database is locked (after [5-9][0-9]\{3\} ms)$"
}

# acked_kept: the last acknowledged write to every writer key is in the DB
acked_kept() {
	cat w[1-4].log | awk '{ s[$1] = $2 } END { for (k in s) print k, s[k] }' |
	    sort >want &&
	"$HINTSDB" dump --format=exim --type=retry \
	    --file="${WRITERS_DB:-$PWD/sp/db/retry}" |
	    awk '/^  w/ { print $1, $4 }' | sort >have &&
	[ -s want ] && [ -z "$(comm -23 want have)" ]
}

# bigspool BACKEND: sp/db/retry with the N records of bigretry, in
# BACKEND, and its lockfile
bigspool() {
	mkdir -p sp/db big/db && bigretry "$PWD/big/db/retry" &&
	if [ "$1" = bdb ]; then
		mv big/db/retry* sp/db/
	else
		"$HINTSDB" convert --to-backend="$1" --output="$PWD/sp/db/retry" \
		    big retry && : >sp/db/retry.lockfile
	fi
}

run_test() {
	title=$1
	body=$2
	_dir="$TRASH/t$((n_pass + n_fail))"
	mkdir -p "$_dir"
	if (cd "$_dir" && eval "$body") >"$TRASH/.out" 2>&1; then
		n_pass=$((n_pass + 1))
		echo "ok - $name: $title" >>"$RESULTS"
		[ -n "${VERBOSE:-}" ] && echo "ok - $name: $title"
	else
		n_fail=$((n_fail + 1))
		echo "FAIL - $name: $title" >>"$RESULTS"
		echo "FAIL - $name: $title"
		sed 's/^/    | /' "$TRASH/.out" | head -n 40
		# most bodies send a command's stderr to ./err
		[ -s "$_dir/err" ] && sed 's/^/    err| /' "$_dir/err" | head -n 20
	fi
	return 0
}

expect_code() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" -gt 128 ]; then
		echo "crashed: $* (status $got)" >&2
		return 1
	fi
	if [ "$got" -ne "$want" ]; then
		echo "exit status $got, wanted $want: $*" >&2
		return 1
	fi
	return 0
}

no_ctl() {
	for _f in "$@"; do
		if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$_f"; then
			echo "control bytes in $_f" >&2
			return 1
		fi
		if LC_ALL=C grep -qP '\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$_f"; then
			echo "C1 or bidi control characters in $_f" >&2
			return 1
		fi
		if ! iconv -f UTF-8 -t UTF-8 <"$_f" >/dev/null 2>&1 &&
		    LC_ALL=C grep -q "$(printf '[\200-\237]')" "$_f"; then
			echo "C1 control bytes in $_f (not UTF-8)" >&2
			return 1
		fi
		if [ "$(tr -d '\000' <"$_f" | wc -c)" -ne "$(wc -c <"$_f")" ]; then
			echo "NUL bytes in $_f" >&2
			return 1
		fi
	done
	return 0
}

norm_times() {
	sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(Z|[+-][0-9:]{5})/<TIME>/g' \
	    -e 's/[0-9]{2}-[A-Z][a-z]{2}-[0-9]{4} [0-9:]{8}/<TIME>/g' "$1"
}

# copy the example spool into ./spool (writable scratch copy)
copy_spool() {
	rm -rf "${1:-spool}" && cp -a "$SPOOL_EX" "${1:-spool}"
}

test_done() {
	echo "$name: $n_pass passed, $n_fail failed" >&2
	[ "$n_fail" -eq 0 ]
}

# wait_for SECONDS WHAT PID CMD...: poll CMD every 50 ms until it
# succeeds.  Fails, saying WHAT never happened, after SECONDS (counted in
# polls, so a loaded machine waits longer, never forever), or at once when
# process PID (- for none) has ended first.
wait_for() {
	_wsecs=$1 _what=$2 _wpid=$3
	shift 3
	_n=0
	while ! "$@"; do
		if [ "$_wpid" != - ] && ! kill -0 "$_wpid" 2>/dev/null; then
			"$@" && return 0
			echo "wait_for: $_what: process $_wpid ended first" >&2
			return 1
		fi
		_n=$((_n + 1))
		if [ $_n -ge $((_wsecs * 20)) ]; then
			echo "wait_for: $_what: not after ${_wsecs}s" >&2
			return 1
		fi
		sleep 0.05
	done
}

# limited KB CMD...: CMD in KB of address space; no limit under the
# sanitizers or valgrind, which reserve far more (the memory tests then
# check only the output)
limited() {
	_kb=$1
	shift
	if [ -n "${HDB_SAN:-}${HDB_VALGRIND:-}" ]; then
		"$@"
	else
		(ulimit -v "$_kb" && exec "$@")
	fi
}

# base_kb CMD...: make tiny/db/retry, ten records, and say the least
# address space, in KB and in 4 MB steps, in which CMD (on it) runs
base_kb() {
	mkdir -p tiny/db && (N=10 && bigretry "$PWD/tiny/db/retry") || return 1
	_v=8192
	while [ $_v -le 262144 ]; do
		limited $_v "$@" >/dev/null 2>&1 && { echo $_v; return 0; }
		_v=$((_v + 4096))
	done
	return 1
}

# spill_open PID DIR: process PID holds open a file in DIR, mode 0600,
# that DIR does not list (xsort.h: a spill file has no name)
spill_open() {
	for _f in /proc/"$1"/fd/*; do
		case "$(readlink "$_f" 2>/dev/null)" in
		"$2"/*)
			[ "$(stat -L -c %a "$_f")" = 600 ] &&
			    [ -z "$(ls -A "$2")" ] && return 0 ;;
		esac
	done
	return 1
}

# spill_killed SIG CMD...: CMD (a dump or export that spills) with TMPDIR
# a fresh directory tmp.SIG and stdout a pipe nobody reads, so that it
# stops in its output with the spill file open; once spill_open, signal
# SIG.  Succeeds if it then died of SIG (KILL, TERM) or, for SIG "none",
# drained, exited 0 and wrote OUT.SIG; and tmp.SIG is empty in the end.
spill_killed() {
	_sig=$1
	shift
	rm -rf "tmp.$_sig" "go.$_sig" "fifo.$_sig" && mkdir "tmp.$_sig" &&
	mkfifo "fifo.$_sig" || return 1
	sh -c 'while [ ! -e "$1" ]; do sleep 0.05; done; exec cat' sh \
	    "go.$_sig" <"fifo.$_sig" >"OUT.$_sig" &
	_rd=$!
	TMPDIR="$PWD/tmp.$_sig" "$@" >"fifo.$_sig" &
	_sp=$!
	if ! wait_for 120 "a spill file" $_sp spill_open $_sp \
	    "$PWD/tmp.$_sig"; then
		kill $_sp $_rd 2>/dev/null
		return 1
	fi
	[ "$_sig" = none ] || kill -s "$_sig" $_sp
	: >"go.$_sig"
	wait $_sp
	_st=$?
	wait $_rd
	case $_sig in
	none) [ $_st -eq 0 ] ;;
	KILL) [ $_st -eq 137 ] ;;
	TERM) [ $_st -eq 143 ] ;;
	esac || { echo "status $_st after $_sig"; return 1; }
	[ -z "$(ls -A "tmp.$_sig")" ]
}

# hold_lock FILE SECONDS: hold an fcntl write lock on FILE as Exim would, in
# the background; waits until the lock is taken.  Kill $LOCK_PID to end it.
# The holder execs sleep(1), keeping its PID and lock: Python's own sleep
# fails with EINVAL under libfaketime (make check-future).
hold_lock() {
	rm -f "$TRASH/.locked"
	"$PYTHON" -c '
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
os.set_inheritable(fd, True)
open(sys.argv[3], "w").close()
os.execvp("sleep", ["sleep", sys.argv[2]])
' "$1" "$2" "$TRASH/.locked" &
	LOCK_PID=$!
	wait_for 10 "a lock on $1" $LOCK_PID test -e "$TRASH/.locked"
}

# tree_state DIR: names, sizes, modes and checksums of everything in DIR
tree_state() {
	(cd "$1" && find . -printf '%p %s %m %T@\n' | sort &&
	    find . -type f -exec md5sum {} + | sort)
}

# hexkey STRING: the hex of STRING plus Exim's trailing NUL
hexkey() {
	printf '%s' "$1" | od -An -tx1 | tr -d ' \n'
	printf '00'
}

# exim_run PROG ARG...: a real Debian Exim program (exim4, exim_dumpdb,
# exim_tidydb, exim_fixdb, exim_lock) of release $EXIM_SUITE (bookworm:
# 4.96, trixie: 4.98.2, sid: 4.100.1), run in its cached minbase chroot
# (tests/interop/chroot.sh); paths under $TMPDIR mean the same inside.
# For a background daemon use `$EXIM_RUN exim4 -bd ... &`: chroot.sh execs
# all the way down, so $! is then the PID of exim4 itself.  Where that
# chroot cannot be had, chroot.sh fails at once saying why (and, within a
# run of tests/check.sh, remembers it: HINTSDB_CHROOT_STATUS), so a test
# that needs a real Exim fails with that reason instead of waiting.
EXIM_SUITE=${EXIM_SUITE:-bookworm}
EXIM_RUN="sh $TOP/tests/interop/chroot.sh run $EXIM_SUITE"
: "${HINTSDB_CHROOT_STATUS:=$TRASH/.chroot-status}"
export HINTSDB_CHROOT_STATUS
exim_run() {
	$EXIM_RUN "$@"
}

# exim_hold FILE: Exim's own exim_lock holds an fcntl lock on FILE until
# exim_release; returns once it is held, or fails if exim_lock has not
# taken it within 60 s or ended first.  The holder gives up by itself
# after 120 s.
exim_hold() {
	rm -f "$PWD/.held" "$PWD/.release"
	$EXIM_RUN exim_lock -fcntl -q "$1" "touch $PWD/.held; i=0; while [ ! -e $PWD/.release ] && [ \$i -lt 2400 ]; do sleep 0.05; i=\$((i + 1)); done" &
	HOLD_PID=$!
	wait_for 60 "exim_lock holding $1" $HOLD_PID test -e "$PWD/.held" ||
	    { kill $HOLD_PID 2>/dev/null; return 1; }
}

# exim_release: end exim_hold's lock and wait for its exim_lock.
exim_release() {
	: >"$PWD/.release"
	wait $HOLD_PID
}
