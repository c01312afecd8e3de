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

run_test "dump --unsorted and --format=exim of $N records in bounded memory" '
	b=$(base_kb "$HINTSDB" dump --unsorted tiny retry) && bigspool bdb ||
	    exit 1
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
