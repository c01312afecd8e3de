#!/bin/sh
# t4179-tidy-autocompact.sh - a plain tidy rebuilds a Berkeley DB, GDBM or
# tdb file (with its lockfile) when a quarter or more of a sample of its
# records is due and the file holds 1 MiB or more: the file ends at most
# 1.1 times a fresh convert --output of the records left, which are those
# an in-place tidy leaves; its library's own tool finds it whole; owner,
# mode, lockfile and tdb's hash chains stay.  When a rebuild does not pay
# (a fifth due, a small file, a dry run), or a tdb file has no lockfile
# (Exim 4.99 and later), tidy deletes in place: the same file, no line.
# The rule is a count of records, not a time: nothing here depends on
# the machine's speed.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
N=20000

# size FILE: its bytes
size() {
	stat -c %s "$1"
}

# libcheck BACKEND FILE: the backend's own tool finds FILE whole, and it
# holds COUNT records
libcheck() {
	case $1 in
	bdb)	db5.3_verify -q "$2" ;;
	gdbm)	[ "$(gdbmtool -r "$2" count)" = "There are $3 items in the database." ] &&
		gdbmtool -r "$2" avail >/dev/null ;;
	tdb)	tdbtool "$2" check 2>&1 |
		    grep -q "^Database integrity is OK and has $3 records" ;;
	esac
}

# spool BACKEND EVERY DIR: DIR/db/retry of N records in BACKEND, every
# EVERY-th one 40 days old (the rest a day), with its lockfile
spool() {
	mkdir -p big/db "$3/db" "$3/input" && rm -f big/db/retry* &&
	bigretry "$PWD/big/db/retry" "$2" &&
	if [ "$1" = bdb ]; then
		cp big/db/retry "$3/db/retry"
	else
		"$HINTSDB" convert --to-backend="$1" \
		    --output="$PWD/$3/db/retry" big retry
	fi && : >"$3/db/retry.lockfile"
}

for be in bdb gdbm tdb; do
run_test "$be: half due: rebuilt to a fresh copy's size, checked clean" '
	spool '"$be"' 2 sp && chmod 0604 sp/db/retry &&
	before=$(size sp/db/retry) &&
	"$HINTSDB" tidy -t 30d sp retry >out 2>err &&
	cat out &&
	grep -q "^retry: examined $N, deleted $((N / 2)) (too old $((N / 2))), " out &&
	grep -q "^retry: compacted: $(size sp/db/retry) bytes, before $before$" out &&
	"$HINTSDB" convert --output="$PWD/fresh" sp retry &&
	after=$(size sp/db/retry) && fresh=$(size fresh) &&
	echo "before $before, after $after, fresh $fresh" &&
	[ $((after * 10)) -le $((fresh * 11)) ] &&
	libcheck '"$be"' sp/db/retry $((N / 2)) &&
	"$HINTSDB" dump -k sp retry | sort >have &&
	[ $(wc -l <have) = $((N / 2)) ] && ! grep -q "k[0-9]*[02468]$" have &&
	[ "$(stat -c %a sp/db/retry)" = 604 ] && [ -e sp/db/retry.lockfile ] &&
	! ls -a sp/db | grep -q hintsdb
'
done

# Exim makes a tdb file with 131 chains (tdbtool's create, as Exim's
# tdb_open with hash size 0); the rebuilt one gets chains for the records
# it keeps, as convert gives a new file: a prime near a quarter of them
# (N / 2 = 10000 kept: 8209), at least the old count.  libtdb reads the
# count from the header, so tdbtool and a later tidy read it alike.
run_test "tdb: the rebuilt file gets hash chains for the records it keeps" '
	mkdir -p sp/db sp/input big/db && bigretry "$PWD/big/db/retry" 2 &&
	printf "create sp/db/retry\n" | tdbtool >/dev/null &&
	"$HINTSDB" export big retry >all.jsonl &&
	"$HINTSDB" import --backend=tdb sp retry <all.jsonl &&
	: >sp/db/retry.lockfile && ino=$(stat -c %i sp/db/retry) &&
	[ "$(od -An -tu4 -j36 -N4 sp/db/retry | tr -d " ")" = 131 ] &&
	"$HINTSDB" tidy --format=json -t 30d sp retry >t.json &&
	grep -q "\"compacted\":true" t.json &&
	grep -q "\"hash_chains\":131}" t.json &&
	[ "$(stat -c %i sp/db/retry)" != "$ino" ] &&
	[ "$(od -An -tu4 -j36 -N4 sp/db/retry | tr -d " ")" = 8209 ] &&
	"$HINTSDB" tidy --format=json -n -t 30d sp retry >n.json &&
	grep -q "\"hash_chains\":8209}" n.json &&
	libcheck tdb sp/db/retry $((N / 2))
'

for be in bdb gdbm tdb; do
run_test "$be: a fifth due: deleted in place" '
	spool '"$be"' 5 sp && ino=$(stat -c %i sp/db/retry) &&
	"$HINTSDB" tidy --format=json -t 30d sp retry >t.json &&
	grep -q "\"deleted\":$((N / 5))," t.json &&
	grep -q "\"compacted\":false" t.json &&
	[ "$(stat -c %i sp/db/retry)" = "$ino" ] &&
	libcheck '"$be"' sp/db/retry $((N - N / 5))
'
done

run_test "a third due: rebuilt; a dry run never is" '
	spool bdb 3 sp && ino=$(stat -c %i sp/db/retry) &&
	"$HINTSDB" tidy -n -t 30d sp retry >out &&
	! grep -q compacted out && [ "$(stat -c %i sp/db/retry)" = "$ino" ] &&
	"$HINTSDB" tidy -t 30d sp retry >out &&
	grep -q "^retry: compacted: " out &&
	[ "$(stat -c %i sp/db/retry)" != "$ino" ]
'

run_test "under 1 MiB: deleted in place, though half is due" '
	N=2000 && spool gdbm 2 sp && ino=$(stat -c %i sp/db/retry) &&
	[ $(size sp/db/retry) -lt 1048576 ] &&
	"$HINTSDB" tidy -t 30d sp retry >out &&
	grep -q "deleted 1000 " out && ! grep -q compacted out &&
	[ "$(stat -c %i sp/db/retry)" = "$ino" ]
'

run_test "tdb without its lockfile (Exim 4.99+): in place, the same file" '
	spool tdb 2 sp && rm sp/db/retry.lockfile &&
	ino=$(stat -c %i sp/db/retry) &&
	"$HINTSDB" tidy -t 30d sp retry >out &&
	grep -q "deleted $((N / 2)) " out && ! grep -q compacted out &&
	[ "$(stat -c %i sp/db/retry)" = "$ino" ] && [ ! -e sp/db/retry.lockfile ] &&
	libcheck tdb sp/db/retry $((N / 2))
'

test_done
