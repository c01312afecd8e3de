#!/bin/sh
# t4410-dirfd.sh - every command reaches SPOOL/db through one directory fd
# opened with O_NOFOLLOW (hintsdb(8), SPOOL/db): a symlinked SPOOL/db is
# refused by every command before anything is read or written; a SPOOL/db
# swapped for a symlink after the check changes nothing (the opened
# directory is the one used); a lockfile that is a FIFO, a directory or a
# symlink is refused at once, never waited on.
. "$(dirname "$0")/lib.sh"

BIN=$(dirname "$HINTSDB")
# a spool "sp" whose db is a symlink to ./realdb
linked() {
	copy_spool sp && "$HINTSDB" export sp seen >exp.jsonl &&
	mv sp/db realdb && ln -s "$PWD/realdb" sp/db &&
	tree_state realdb >before
}
# refused CODE CMD...: exits CODE and says why, nothing in realdb changed
refused() {
	_c=$1
	shift
	expect_code "$_c" "$@" </dev/null >out 2>err &&
	grep -q "refusing symlinked directory '.*sp/db'" err &&
	tree_state realdb >after && cmp before after
}

run_test "a symlinked SPOOL/db is refused by every reading command" '
	linked &&
	refused 74 "$HINTSDB" dump sp retry &&
	refused 74 "$HINTSDB" dump --format=json sp tls &&
	refused 74 "$HINTSDB" stat sp &&
	refused 74 "$HINTSDB" stat --format=prometheus sp retry &&
	refused 74 "$HINTSDB" check sp &&
	refused 74 "$HINTSDB" check sp retry &&
	refused 74 "$HINTSDB" export sp retry &&
	refused 74 "$HINTSDB" convert --output=o sp retry && test ! -e o &&
	refused 1 "$BIN/exim_dumpdb" sp retry
'
run_test "a symlinked SPOOL/db is refused by every writing command" '
	linked &&
	refused 74 "$HINTSDB" tidy sp retry &&
	refused 74 "$HINTSDB" tidy --all sp &&
	refused 74 "$HINTSDB" tidy --no-drop-privileges sp retry &&
	refused 74 "$HINTSDB" fix sp retry &&
	refused 74 "$HINTSDB" delete sp seen 127.0.0.1 &&
	refused 74 "$HINTSDB" delete --match="*" sp seen &&
	refused 74 "$HINTSDB" convert --in-place --to-layout=v2 sp retry &&
	refused 74 "$HINTSDB" convert --in-place --no-drop-privileges sp retry &&
	expect_code 74 "$HINTSDB" import sp seen <exp.jsonl 2>err &&
	grep -q "refusing symlinked directory" err &&
	expect_code 74 "$HINTSDB" import --no-drop-privileges sp seen \
	    <exp.jsonl 2>err &&
	grep -q "refusing symlinked directory" err &&
	refused 1 "$BIN/exim_tidydb" sp retry &&
	refused 1 "$BIN/exim_fixdb" sp retry &&
	tree_state realdb >after && cmp before after
'
run_test "a missing SPOOL/db: no such database, nothing created" '
	mkdir e &&
	expect_code 66 "$HINTSDB" dump e retry 2>err &&
	grep -q "no such database .e/db/retry." err &&
	expect_code 66 "$HINTSDB" export e retry 2>err &&
	expect_code 66 "$HINTSDB" stat e 2>err &&
	test "$(ls -A e)" = ""
'

# wait_fd PID DIR: until process PID holds an fd on directory DIR
wait_fd() {
	_n=0
	until ls -l /proc/"$1"/fd 2>/dev/null | grep -q " -> $2\$"; do
		_n=$((_n + 1))
		[ $_n -lt 400 ] || { echo "no fd on $2" >&2; return 1; }
		sleep 0.05
	done
}

run_test "SPOOL/db swapped for a symlink after the check: the checked one is used" '
	copy_spool sp && "$HINTSDB" export sp seen >exp.jsonl &&
	"$HINTSDB" delete --match="*" sp seen >/dev/null &&
	mkdir other && tree_state other >before &&
	mkfifo in &&
	{ "$HINTSDB" import sp seen <in >out 2>err & pid=$!; } &&
	exec 3>in && wait_fd $pid "$PWD/sp/db" &&
	mv sp/db pinned && ln -s "$PWD/other" sp/db &&
	cat exp.jsonl >&3 && exec 3>&- &&
	wait $pid && rm sp/db && mv pinned sp/db &&
	tree_state other >after && cmp before after &&
	"$HINTSDB" export sp seen >new.jsonl && cmp exp.jsonl new.jsonl
'
run_test "fix: SPOOL/db swapped after the check changes nothing outside" '
	copy_spool sp && mkdir other && cp -a sp/db/. other/ &&
	tree_state other >before &&
	mkfifo in &&
	{ "$HINTSDB" fix sp retry <in >out 2>err & pid=$!; } &&
	exec 3>in && wait_fd $pid "$PWD/sp/db" &&
	mv sp/db pinned && ln -s "$PWD/other" sp/db &&
	printf "R:defer.example 1 7\n" >&3 && exec 3>&- &&
	wait $pid && rm sp/db && mv pinned sp/db &&
	tree_state other >after && cmp before after &&
	"$HINTSDB" fix sp retry </dev/null >/dev/null &&
	printf "R:defer.example\n" | "$HINTSDB" fix sp retry >got &&
	grep -q "^1 extra data:   7$" got
'

# lockfile KIND: SPOOL/db/retry.lockfile becomes a FIFO, directory or link
lockfile() {
	copy_spool sp && rm sp/db/retry.lockfile sp/db/seen.lockfile &&
	case $1 in
	fifo) mkfifo sp/db/retry.lockfile sp/db/seen.lockfile ;;
	dir) mkdir sp/db/retry.lockfile sp/db/seen.lockfile ;;
	link) : >target && ln -s "$PWD/target" sp/db/retry.lockfile &&
	    ln -s "$PWD/target" sp/db/seen.lockfile ;;
	esac &&
	"$HINTSDB" export --lock-timeout=0 "$SPOOL_EX" seen >exp.jsonl &&
	tree_state sp >before
}
# refuses CODE CMD...: CMD refuses the lockfile (a FIFO would hang it for
# ever: timeout is only the safety net) and leaves the spool as it was
refuses() {
	_c=$1
	shift
	expect_code "$_c" timeout 60 "$@" </dev/null >out 2>err &&
	grep -q "lockfile .sp/db/[a-z]*.lockfile." err &&
	tree_state sp >after && cmp before after
}
for kind in fifo dir link; do
	run_test "a $kind lockfile is refused at once by every command" '
		lockfile '$kind' &&
		refuses 74 "$HINTSDB" dump --lock-timeout=1s sp retry &&
		refuses 74 "$HINTSDB" export --lock-timeout=1s sp retry &&
		refuses 74 "$HINTSDB" tidy --lock-timeout=1s sp retry &&
		refuses 74 "$HINTSDB" delete --lock-timeout=1s sp seen x &&
		refuses 74 "$HINTSDB" convert --lock-timeout=1s --in-place \
		    --to-layout=v2 sp retry &&
		expect_code 74 timeout 60 "$HINTSDB" import --lock-timeout=1s \
		    sp seen <exp.jsonl 2>err &&
		grep -q "lockfile .sp/db/seen.lockfile." err &&
		refuses 74 "$HINTSDB" check --lock-timeout=1s sp retry &&
		refuses 74 "$HINTSDB" stat --lock-timeout=1s sp retry &&
		tree_state sp >after && cmp before after
	'
done
run_test "the refusal names the reason" '
	lockfile fifo &&
	expect_code 74 "$HINTSDB" dump sp retry 2>err &&
	grep -q "refusing lockfile .sp/db/retry.lockfile.: not a regular file" \
	    err &&
	lockfile link &&
	expect_code 74 "$HINTSDB" dump sp retry 2>err &&
	grep -q "refusing symlinked lockfile .sp/db/retry.lockfile." err
'
test_done
