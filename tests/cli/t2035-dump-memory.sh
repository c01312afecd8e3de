#!/bin/sh
# t2035-dump-memory.sh - a dump in the DB's order (--unsorted, the exim
# format) holds a batch of records at a time, not the DB: with 400,000
# records it runs in 20 MB of address space more than a dump of ten
# records needs (the whole DB's copy took over 30 MB more), and still
# writes every record exactly once, the keys those of a sorted dump.
# ulimit -v bounds it, so no timing.  Under the sanitizers or valgrind,
# which reserve far more address space, only the output is checked.
. "$(dirname "$0")/lib.sh"

N=400000

# limited KB CMD...: CMD in KB of address space (no limit under the
# sanitizers or valgrind)
limited() {
	_kb=$1
	shift
	if [ -n "${HDB_SAN:-}${HDB_VALGRIND:-}" ]; then
		"$@"
	else
		(ulimit -v "$_kb" && exec "$@")
	fi
}

# base: the least address space, in KB and in 4 MB steps, in which a dump
# of a ten-record DB runs
base() {
	mkdir -p tiny/db && (N=10 && bigretry "$PWD/tiny/db/retry") || return 1
	_v=8192
	while [ $_v -le 262144 ]; do
		limited $_v "$HINTSDB" dump --unsorted tiny retry \
		    >/dev/null 2>&1 && { echo $_v; return 0; }
		_v=$((_v + 4096))
	done
	return 1
}

run_test "dump --unsorted and --format=exim of $N records in bounded memory" '
	b=$(base) && bigspool bdb || exit 1
	lim=$((b + 20480))
	limited $lim "$HINTSDB" dump --unsorted -k sp retry >u.keys &&
	limited $lim "$HINTSDB" dump --format=exim sp retry >e.out &&
	limited $lim "$HINTSDB" dump --unsorted --format=json sp retry \
	    >j.out || { echo "failed in $lim KB (base $b KB)"; exit 1; }
	[ "$(sort -u u.keys | wc -l)" -eq $N ] && [ "$(wc -l <u.keys)" -eq $N ] &&
	[ "$(grep -c "^  k" e.out)" -eq $N ] &&
	[ "$(grep -o "\"key\":\"k[0-9]*\"" j.out | sort -u | wc -l)" -eq $N ] &&
	[ "$(wc -l <j.out)" -eq $N ] &&
	"$HINTSDB" dump -k sp retry >s.keys && sort u.keys | cmp - s.keys
'

test_done
