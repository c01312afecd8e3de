#!/bin/sh
# t6000-hostile.sh - every case of the hostile-input corpus
# (tests/data/hostile/, made by tests/data/make-hostile.py) through every
# reading command: dump in all formats, stat, check, tidy -n, fix (display
# only) and export.  For each: no crash or hang, the documented exit
# status and a matching stderr (from the case's expect file), no control
# byte on stdout or stderr in text formats (no raw byte below 0x20 in
# JSON), and the case's files unchanged afterwards.  Under the sanitizer
# build (make check-san) a report from any of these fails the run too.
# The corpus runs as four jobs, each taking every fourth case, so that no
# one job takes long on a slow or busy machine (the sanitizer pass is
# several times slower); run alone, the file takes every case.
# check: split HOSTILE_PART=0 1 2 3
. "$(dirname "$0")/lib.sh"

HOSTILE=$DATA/hostile
NOW=--now=2026-11-27T00:00:00Z
# a command that hangs on a hostile file is a failure, not a stuck CI
LIMIT=${HDB_HOSTILE_TIMEOUT:-30}

# cmdline ID: the command for an expect-file ID (spool sp, DB in $db)
cmdline() {
	case $1 in
	dump-text) echo "dump $NOW sp $db" ;;
	dump-json) echo "dump --format=json $NOW sp $db" ;;
	dump-exim) echo "dump --format=exim $NOW sp $db" ;;
	dump-keys) echo "dump -k $NOW sp $db" ;;
	stat) echo "stat $NOW sp $db" ;;
	stat-json) echo "stat --format=json $NOW sp $db" ;;
	check) echo "check $NOW sp $db" ;;
	tidy-n) echo "tidy -n $NOW sp $db" ;;
	fix) echo "fix $NOW sp $db" ;;
	export) echo "export $NOW sp $db" ;;
	*) return 1 ;;
	esac
}

# json_ctl FILE: JSON may not hold a raw byte below 0x20 but newline
json_ctl() {
	if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037]')" "$1"; then
		echo "raw control bytes in JSON $1" >&2
		return 1
	fi
	[ "$(tr -d '\000' <"$1" | wc -c)" -eq "$(wc -c <"$1")" ] || {
		echo "NUL bytes in $1" >&2
		return 1
	}
}

# one_case DIR: run every command of the case; prints what went wrong
one_case() {
	c=$1
	# input/ too, so tidy checks message files instead of warning
	rm -rf sp && cp -a "$c" sp && mkdir -p sp/input || return 1
	db=$(cd sp/db && ls | grep -v '\.lockfile$' |
	    sed 's/\.\(dir\|pag\)$//' | sort -u | head -n 1)
	before=$(cd sp && find . -type f -printf "%p %s\n" | sort; find . -type f -size -64M -exec md5sum {} + | sort)
	bad=0
	while read -r id want rx; do
		cmd=$(cmdline "$id") || { echo "unknown id $id"; bad=1; continue; }
		in=/dev/null
		[ "$id" = fix ] && in=sp/fix.in
		# out is private: export warns when it writes secrets to a
		# file that others can read
		rm -f out && (umask 077 && : >out)
		# shellcheck disable=SC2086
		timeout "$LIMIT" "$HINTSDB" $cmd <"$in" >out 2>err
		got=$?
		if [ "$got" -eq 124 ]; then
			echo "$id: hung (over ${LIMIT}s): hintsdb $cmd"
			bad=1
			continue
		fi
		if [ "$got" -gt 128 ]; then
			echo "$id: crashed (status $got): hintsdb $cmd"
			cut -c1-160 err | sed 's/^/    /' | head -n 5
			bad=1
			continue
		fi
		if [ "$got" -ne "$want" ]; then
			echo "$id: exit status $got, wanted $want: hintsdb $cmd"
			cut -c1-160 err | sed 's/^/    /' | head -n 3
			bad=1
		fi
		case $rx in
		-) if [ -s err ]; then
			echo "$id: stderr not empty: hintsdb $cmd"
			cut -c1-160 err | sed 's/^/    /' | head -n 3
			bad=1
		   fi ;;
		\*) ;;
		*) if ! grep -Eq -- "$rx" err; then
			echo "$id: stderr does not match /$rx/: hintsdb $cmd"
			cut -c1-160 err | sed 's/^/    /' | head -n 3
			bad=1
		   fi ;;
		esac
		case $id in
		*-json|export) json_ctl out || bad=1 ;;
		*) no_ctl out || { echo "$id: control bytes on stdout"; bad=1; } ;;
		esac
		no_ctl err || { echo "$id: control bytes on stderr"; bad=1; }
	done <"$c/expect"
	after=$(cd sp && find . -type f -printf "%p %s\n" | sort; find . -type f -size -64M -exec md5sum {} + | sort)
	if [ "$before" != "$after" ]; then
		echo "files changed by reading commands:"
		printf '%s\n%s\n' "$before" "$after" | sort | uniq -u | head
		bad=1
	fi
	return $bad
}

[ "${HOSTILE_PART:-0}" -ne 0 ] || run_test "the corpus is there" '
	test -f "$HOSTILE/README" &&
	test "$(ls "$HOSTILE" | wc -l)" -gt 100
'
i=0
for c in "$HOSTILE"/*/; do
	c=${c%/}
	[ -f "$c/expect" ] || continue
	i=$((i + 1))
	[ -z "${HOSTILE_PART:-}" ] || [ $((i % 4)) -eq "$HOSTILE_PART" ] ||
	    continue
	run_test "$(basename "$c")" 'one_case "$c"'
done
test_done
