#!/bin/sh
# t4400-root.sh - tidy, fix, delete, import and convert --in-place run as
# root on a spool that belongs to another user (nobody, a real unprivileged
# account): they become that user first, so afterwards no file in the spool
# is owned by root; new lockfiles are 0640 and owned like SPOOL/db;
# symlinked lockfiles and a symlinked SPOOL/db are refused; when the owner
# cannot be read they stop with 77 and do nothing; that user flipping
# SPOOL/db between absent, a symlink to a root-only directory and the real
# one never gets root to write there.
. "$(dirname "$0")/lib.sh"

NOW_OLD=2026-12-30T00:00:00Z
U=nobody
G=$(id -gn nobody 2>/dev/null || echo nogroup)

# a spool "sp" owned by nobody, reachable by nobody
userspool() {
	chmod 755 "$TRASH" "$PWD" && rm -rf sp && copy_spool sp &&
	chown -R "$U:$G" sp
}
rootfiles() { find sp -user root; }

run_test "the tests run as root" '
	[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
'
run_test "tidy --all as root: runs as the owner, leaves no root file" '
	userspool && rm sp/db/seen.lockfile sp/db/retry.lockfile &&
	expect_code 0 "$HINTSDB" tidy --all -v --now=$NOW_OLD sp >out 2>err &&
	grep -q "^seen: deleted" out && grep -q "^retry: examined 4" out &&
	[ -z "$(rootfiles)" ] &&
	[ "$(stat -c "%U %a" sp/db/seen.lockfile)" = "$U 640" ] &&
	[ "$(stat -c "%U %a" sp/db/retry.lockfile)" = "$U 640" ]
'
run_test "the switch is real: a spool root alone may write is refused" '
	userspool && chown root sp/db/retry && chmod 600 sp/db/retry &&
	expect_code 74 "$HINTSDB" tidy --now=$NOW_OLD sp retry 2>err &&
	grep -q "cannot open" err &&
	expect_code 0 "$HINTSDB" tidy --no-drop-privileges --now=$NOW_OLD \
	    sp retry >out && grep -q "deleted 4" out
'
run_test "--no-drop-privileges still makes lockfiles owned like SPOOL/db" '
	userspool && rm sp/db/misc.lockfile &&
	expect_code 0 "$HINTSDB" tidy --no-drop-privileges sp misc >out &&
	[ "$(stat -c "%U %a" sp/db/misc.lockfile)" = "$U 640" ] &&
	[ -z "$(rootfiles)" ]
'
run_test "fix and delete as root leave no root file" '
	userspool && rm sp/db/callout.lockfile &&
	printf "R:defer.example 1 5\n" | expect_code 0 "$HINTSDB" fix sp retry \
	    >out && grep -q "^1 extra data:   5$" out &&
	expect_code 0 "$HINTSDB" delete sp callout alice@client.example >out &&
	expect_code 0 "$HINTSDB" delete --match="*" sp seen >out &&
	[ -z "$(rootfiles)" ]
'
run_test "exim_tidydb as root also runs as the owner" '
	userspool &&
	expect_code 0 "$(dirname "$HINTSDB")/exim_tidydb" "$PWD/sp" retry >out &&
	grep -q "^Tidying complete$" out && [ -z "$(rootfiles)" ]
'
run_test "a symlinked lockfile is refused, for every command" '
	userspool && : >target && rm sp/db/seen.lockfile &&
	ln -s "$PWD/target" sp/db/seen.lockfile &&
	expect_code 74 "$HINTSDB" tidy sp seen 2>err &&
	grep -q "refusing symlinked lockfile" err &&
	expect_code 74 "$HINTSDB" delete sp seen 127.0.0.1 2>err &&
	grep -q "refusing symlinked lockfile" err &&
	printf "127.0.0.1 0 x\n" | "$HINTSDB" fix sp seen >out 2>err;
	[ $? = 74 ] && grep -q "refusing symlinked lockfile" err &&
	[ "$(stat -c %U target)" = root ] && [ ! -s target ]
'
run_test "a symlinked SPOOL/db is refused before anything is touched" '
	userspool && mv sp/db realdb && ln -s "$PWD/realdb" sp/db &&
	expect_code 74 "$HINTSDB" tidy --all sp 2>err &&
	grep -q "refusing symlinked directory" err &&
	expect_code 74 "$HINTSDB" delete sp seen k 2>err
'
# as_user CMD...: run CMD as the spool's owner
as_user() { setpriv --reuid="$U" --regid="$G" --clear-groups "$@"; }
# a root-only directory with a copy of the spool's DBs in it
victim() {
	mkdir -m 700 victim && cp -a "$SPOOL_EX"/db/. victim/ &&
	chown -R root:root victim && tree_state victim >victim.before
}
victim_same() { tree_state victim >victim.after && cmp victim.before victim.after; }

run_test "import and convert --in-place as root become the owner" '
	userspool && "$HINTSDB" export sp seen >exp.jsonl &&
	rm sp/db/seen sp/db/seen.lockfile &&
	expect_code 0 "$HINTSDB" import sp seen <exp.jsonl &&
	expect_code 0 "$HINTSDB" convert --in-place --to-layout=v2 sp retry &&
	[ -z "$(rootfiles)" ] &&
	[ "$(stat -c "%U %a" sp/db/seen)" = "$U 640" ] &&
	[ "$(stat -c "%U %a" sp/db/seen.lockfile)" = "$U 640" ] &&
	"$HINTSDB" export sp seen >new.jsonl && cmp exp.jsonl new.jsonl
'
run_test "the switch is real for import and convert" '
	userspool && "$HINTSDB" export sp seen >exp.jsonl &&
	chown root sp/db/seen.lockfile && chmod 600 sp/db/seen.lockfile &&
	expect_code 74 "$HINTSDB" import sp seen <exp.jsonl 2>err &&
	grep -q "cannot open lockfile .*Permission denied" err &&
	expect_code 0 "$HINTSDB" import --no-drop-privileges sp seen \
	    <exp.jsonl &&
	chown root sp/db/retry.lockfile && chmod 600 sp/db/retry.lockfile &&
	expect_code 74 "$HINTSDB" convert --in-place sp retry 2>err &&
	expect_code 0 "$HINTSDB" convert --in-place --no-drop-privileges \
	    sp retry
'
run_test "the issue reproducer: import/convert through a symlinked SPOOL/db" '
	userspool && victim && "$HINTSDB" export sp seen >exp.jsonl &&
	as_user sh -c "mv sp/db sp/db.real && ln -s $PWD/victim sp/db" &&
	expect_code 74 "$HINTSDB" import --backend=bdb sp seen <exp.jsonl \
	    2>err && grep -q "refusing symlinked directory" err &&
	expect_code 74 "$HINTSDB" convert -v --in-place --to-layout=v2 sp \
	    retry 2>err && grep -q "refusing symlinked directory" err &&
	victim_same
'
run_test "owner unknown: every writer exits 77 and does nothing" '
	userspool && mv sp/db dbaway && "$HINTSDB" export "$SPOOL_EX" seen \
	    >exp.jsonl &&
	expect_code 77 "$HINTSDB" tidy sp retry 2>err &&
	grep -q "cannot give up root for the owner of .sp/db." err &&
	expect_code 77 "$HINTSDB" tidy --all sp 2>err &&
	expect_code 77 "$HINTSDB" delete sp seen k 2>err &&
	expect_code 77 "$HINTSDB" fix sp retry </dev/null 2>err &&
	expect_code 77 "$HINTSDB" import sp seen <exp.jsonl 2>err &&
	expect_code 77 "$HINTSDB" convert --in-place sp retry 2>err &&
	grep -q "nothing done" err && test ! -e sp/db &&
	expect_code 66 "$HINTSDB" tidy --no-drop-privileges sp retry 2>err &&
	grep -q "no such database" err
'
run_test "the flip race: root never writes outside SPOOL/db" '
	userspool && victim && : >stop.not &&
	as_user sh -c "
		while [ -e stop.not ]; do
			mv sp/db sp/db.real; ln -s $PWD/victim sp/db
			rm -f sp/db; mv sp/db.real sp/db
		done 2>/dev/null" & flip=$! &&
	i=0 && codes= &&
	while [ $i -lt 300 ]; do
		"$HINTSDB" tidy -q --now=2036-01-01T00:00:00Z sp retry seen \
		    2>/dev/null
		codes="$codes $?"
		i=$((i + 1))
	done
	rm stop.not && wait $flip &&
	victim_same && [ -z "$(rootfiles)" ] &&
	for c in $codes; do
		case $c in 0|66|74|75|77) ;; *) echo "status $c"; exit 1 ;; esac
	done &&
	echo "$codes" | tr " " "\n" | sort | uniq -c >"$TRASH/flip.codes"
'
test_done
