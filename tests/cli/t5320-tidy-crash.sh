#!/bin/sh
# t5320-tidy-crash.sh - a tidy that rebuilds a Berkeley DB, GDBM or tdb
# file, killed with SIGKILL at any moment, leaves the old file or the
# complete new one, never a damaged one.  First at every test point
# (HINTSDB_TEST_KILL_AT=N: after opening the new DB, after each record,
# the sync, the count, each fsync, the rename, each hold of the catch-up)
# on a small file: the file is then byte for byte the old one, or holds
# exactly the records a finished tidy leaves, and its library's own tool
# finds it whole.  Then at random moments on 20k records, beside a writer
# that follows Exim's lock protocol: after every kill a copy taken under
# the lock (as the writer goes on) is whole by its library's own tool,
# and so is the file at the end (0 damaged); and once a last
# tidy has run every change the writer made and logged is in the file (0
# acknowledged writes lost).  KILLS (default
# 8 a backend) sets how many random kills; make bench-long runs 200.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
KILLS=${TIDY_CRASH_KILLS:-8}

# leftovers: how many private directories of retry are in sp/db
leftovers() {
	set -- sp/db/.retry.hintsdb.*
	[ -e "$1" ] && echo $# || echo 0
}

# libcheck BACKEND FILE: the backend's own tool finds FILE whole
libcheck() {
	case $1 in
	bdb)	db5.3_verify -q "$2" ;;
	gdbm)	gdbmtool -r "$2" count >/dev/null &&
		gdbmtool -r "$2" avail >/dev/null ;;
	tdb)	tdbtool "$2" check 2>&1 | grep -q "^Database integrity is OK" ;;
	esac
}

# whole BACKEND [nolock]: a copy of sp/db/retry taken under Exim's write
# lock on the lockfile (as the writer goes on) is whole by its library's
# tool; with nolock (tdb without a lockfile) under TDB's transaction lock
# (byte 8) and a read lock on every chain and the free list (from byte
# 168), which every TDB writer's change and commit waits for
whole() {
	"$PYTHON" - sp/db/retry ${2:-} <<-"PY" && libcheck $1 snap
	import fcntl, shutil, sys
	if len(sys.argv) > 2:
	    with open(sys.argv[1], "r+") as f:
	        fcntl.lockf(f, fcntl.LOCK_EX, 1, 8)
	        fcntl.lockf(f, fcntl.LOCK_SH, 0, 168)
	        shutil.copyfile(sys.argv[1], "snap")
	else:
	    with open(sys.argv[1] + ".lockfile", "r+") as f:
	        fcntl.lockf(f, fcntl.LOCK_EX)
	        shutil.copyfile(sys.argv[1], "snap")
	PY
}

# spool BACKEND: sp/db/retry of N records in BACKEND, half 40 days old,
# with its lockfile
spool() {
	mkdir -p big/db sp/db sp/input && bigretry "$PWD/big/db/retry" &&
	if [ "$1" = bdb ]; then
		cp big/db/retry sp/db/retry
	else
		"$HINTSDB" convert --to-backend="$1" \
		    --output="$PWD/sp/db/retry" big retry
	fi && : >sp/db/retry.lockfile
}

# every BACKEND: kill tidy --compact at every test point until a run
# completes, each run from the old file
every() {
	be=$1 N=40
	spool $be && cp sp/db/retry orig && cp -a sp done &&
	"$HINTSDB" tidy -q --compact -t 30d done retry &&
	"$HINTSDB" dump -k done retry | sort >want &&
	[ $(wc -l <want) = 20 ] &&
	n=1 old=0 new=0 &&
	while :; do
		cp orig sp/db/retry &&
		HINTSDB_TEST_KILL_AT=$n "$HINTSDB" tidy -q --compact -t 30d \
		    sp retry 2>err
		rc=$?
		[ $rc -eq 0 ] && break
		[ $rc -eq 137 ] || { echo "point $n: status $rc"; cat err; return 1; }
		[ "$(leftovers)" -le 2 ] ||
		    { echo "point $n: $(leftovers) leftovers"; return 1; }
		libcheck $be sp/db/retry ||
		    { echo "point $n: damaged"; return 1; }
		if cmp -s orig sp/db/retry; then
			old=$((old + 1))
		else
			new=$((new + 1))
			"$HINTSDB" dump -k sp retry | sort >have &&
			cmp want have ||
			    { echo "point $n: neither old nor new"; return 1; }
		fi
		n=$((n + 1))
		[ $n -lt 300 ] || { echo "never completed"; return 1; }
	done &&
	echo "$be: $old kills left the old file, $new the new one" &&
	[ $old -gt 20 ] && [ $new -ge 1 ] && [ "$(leftovers)" -eq 0 ] &&
	"$HINTSDB" dump -k sp retry | sort >have && cmp want have
}

# every_inplace: tdb deleting in place (--no-compact: each hold a TDB
# transaction), killed at every test point (after each deletion marked
# dead, after each one libtdb makes at the commit) until a run completes,
# each run from the old file, in holds of 8 records: the file is whole
# by tdbtool, has lost no fresh record, and the next tidy finishes it.
# 300 records in 131 chains: some chains hold two due, so both kinds of
# deletion are met
every_inplace() {
	N=300
	spool tdb && cp sp/db/retry orig && cp -a sp done &&
	"$HINTSDB" tidy -q --no-compact -t 30d done retry &&
	"$HINTSDB" dump -k done retry | sort >want &&
	"$HINTSDB" dump -k sp retry | sort >all &&
	[ $(wc -l <want) = 150 ] &&
	n=1 &&
	while :; do
		cp orig sp/db/retry &&
		HINTSDB_TEST_HOLD_RECORDS=8 HINTSDB_TEST_KILL_AT=$n \
		    "$HINTSDB" tidy -q --no-compact -t 30d sp retry 2>err
		rc=$?
		[ $rc -eq 0 ] && break
		[ $rc -eq 137 ] || { echo "point $n: status $rc"; cat err; return 1; }
		libcheck tdb sp/db/retry ||
		    { echo "point $n: damaged"; return 1; }
		"$HINTSDB" dump -k sp retry | sort >have &&
		[ -z "$(comm -23 want have)" ] && [ -z "$(comm -13 all have)" ] ||
		    { echo "point $n: a fresh record lost"; return 1; }
		"$HINTSDB" tidy -q --no-compact -t 30d sp retry &&
		"$HINTSDB" dump -k sp retry | sort >have && cmp want have ||
		    { echo "point $n: not finished by the next tidy"; return 1; }
		n=$((n + 1))
		[ $n -lt 600 ] || { echo "never completed"; return 1; }
	done &&
	echo "tdb in place: killed at $((n - 1)) points" &&
	[ $n -gt 150 ] && libcheck tdb sp/db/retry &&
	"$HINTSDB" dump -k sp retry | sort >have && cmp want have
}

# random BACKEND [inplace | nolock]: KILLS kills of a plain tidy at
# random moments, beside a writer; every kill leaves a whole file, and no
# logged change is lost.  inplace: tidy --no-compact; nolock: no
# lockfile, a writer in TDB transactions (tidy then deletes in place)
random_kills() {
	be=$1 mode=${2:-} N=20000 targs= wargs= lk=
	spool $be || return 1
	case $mode in
	inplace) targs=--no-compact ;;
	nolock)	rm sp/db/retry.lockfile && wargs=txn lk=nolock ;;
	esac
	# in place, holds of 200 records: a run of many holds, so that more
	# kills fall inside it than after its end
	[ -z "$mode" ] || export HINTSDB_TEST_HOLD_RECORDS=200
	"$HELPER" writer "$PWD/sp/db/retry" 600 7 $N "$PWD/w.log" churn paced \
	    $wargs stop="$PWD/stop" >w.out &
	wpid=$!
	i=0 switched=0
	while [ $i -lt $KILLS ]; do
		i=$((i + 1))
		"$HINTSDB" tidy -q $targs -t 30d sp retry 2>err &
		pid=$!
		# 10 to 1200 ms: from the sample to the catch-up
		sleep "$(awk -v s=$$$i 'BEGIN { srand(s); printf "%.3f",
		    0.01 + rand() * 1.19 }')"
		kill -KILL $pid 2>/dev/null
		wait $pid
		rc=$?
		[ $rc -eq 0 ] && switched=$((switched + 1))
		[ $rc -eq 0 ] || [ $rc -eq 137 ] ||
		    { echo "kill $i: status $rc"; cat err; touch stop; wait; return 1; }
		# the writer goes on: check as Exim reads, under the lock
		whole $be $lk ||
		    { echo "kill $i: damaged"; touch stop; wait; return 1; }
		[ "$(leftovers)" -le 2 ] ||
		    { echo "kill $i: $(leftovers) leftovers"; touch stop; wait; return 1; }
	done
	"$HINTSDB" tidy -q $targs -t 30d sp retry && touch stop &&
	{ wait $wpid || { echo "writer failed"; cat w.out; return 1; }; } &&
	"$HINTSDB" tidy -q $targs -t 30d sp retry || return 1
	echo "$be${mode:+ $mode}: $KILLS kills ($switched finished first), $(wc -l <w.log) writes" &&
	{ libcheck $be sp/db/retry || { echo damaged; return 1; }; } &&
	{ [ "$(leftovers)" -eq 0 ] || { echo leftovers; return 1; }; } &&
	# every key's last logged change is in the file
	awk '{ last[$1] = $2 } END { for (k in last) print k, last[k] }' \
	    w.log | sort >changes &&
	"$HINTSDB" dump --format=json sp retry | sed -n \
	    's/^{"db":"retry","key":"\([^"]*\)",.*"text":"\([^"]*\)".*/\1 \2/p' |
	    sort >have &&
	awk '$2 != "-"' changes | comm -23 - have >lost.put &&
	awk '$2 == "-" { print $1 }' changes | sort >dels &&
	cut -d" " -f1 have | comm -12 - dels >lost.del &&
	echo "lost: $(wc -l <lost.put) writes, $(wc -l <lost.del) deletions" &&
	[ ! -s lost.put ] && [ ! -s lost.del ]
}

for be in bdb gdbm tdb; do
	run_test "$be: killed at every test point: old file or whole new one" "
		every $be
	"
done
for be in bdb gdbm tdb; do
	run_test "$be: $KILLS kills at random moments beside a writer" "
		random_kills $be
	"
done
run_test "tdb in place: killed at every test point: a whole file" '
	every_inplace
'
run_test "tdb in place (--no-compact): $KILLS kills beside a writer" '
	random_kills tdb inplace
'
run_test "tdb without a lockfile (in place): $KILLS kills beside a transaction writer" '
	random_kills tdb nolock
'
test_done
