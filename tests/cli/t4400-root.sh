#!/bin/sh
# t4400-root.sh - tidy, fix and delete run as root on a spool that belongs
# to another user (nobody): they become that user first, so afterwards no
# file in the spool is owned by root; new lockfiles are 0640 and owned like
# SPOOL/db; symlinked lockfiles and a symlinked SPOOL/db are refused.
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
test_done
