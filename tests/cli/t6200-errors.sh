#!/bin/sh
# t6200-errors.sh - errors an admin can act on: a permission problem reads
# "Permission denied" (never "not a hints database") with exit status 74,
# as every man page lists it; after the drop to the owner of SPOOL/db a
# failure names that user and the fix; one level of context, no doubled
# paths.  Needs root (to become nobody); skipped otherwise.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "$name: not root, skipped" >&2
	run_test "exim_tidydb succeeds on a root-owned leftover lockfile, as Exim's" '
	chmod 755 . && copy_spool && chown -R nobody:nogroup spool/db &&
	chown root:root spool/db/retry.lockfile &&
	chmod 600 spool/db/retry.lockfile && cp -a spool exim &&
	expect_code 0 "$(dirname "$HINTSDB")/exim_tidydb" "$PWD/spool" retry \
	    >out 2>err &&
	grep -qx "Tidying complete" out && test ! -s err &&
	test "$(stat -c %U spool/db/retry)" = nobody &&
	expect_code 0 exim_run exim_tidydb "$PWD/exim" retry >eout 2>&1 &&
	grep -qx "Tidying complete" eout
'
test_done
	exit 0
fi
chmod 755 "$TRASH"
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

# every command that opens one DB, as nobody, on a 0600 root-owned DB
run_test "a DB nobody may read: Permission denied and 74 for every command" '
	chmod 755 . && copy_spool && chmod 755 spool spool/db &&
	chmod 600 spool/db/retry && chmod 666 spool/db/retry.lockfile &&
	for cmd in "dump spool retry" "stat spool retry" "export spool retry" \
	    "check spool retry" "tidy --no-drop-privileges spool retry" \
	    "delete --no-drop-privileges spool retry k"; do
		expect_code 74 $AS_NOBODY "$HINTSDB" $cmd >out 2>err ||
		    { echo "$cmd"; cat err; return 1; }
		grep -q "cannot open .*spool/db/retry.: Permission denied$" err ||
		    { echo "$cmd:"; cat err; return 1; }
		! grep -q "known backend\|cannot open.*cannot open" err ||
		    { echo "$cmd:"; cat err; return 1; }
	done &&
	echo "k" | expect_code 74 $AS_NOBODY "$HINTSDB" fix \
	    --no-drop-privileges spool retry >out 2>err &&
	grep -q "cannot open .*spool/db/retry.: Permission denied$" err
'
run_test "ticket, convert and import as nobody: Permission denied, 74" '
	chmod 755 . && copy_spool && chmod 755 spool spool/db &&
	chmod 600 spool/db/tls spool/db/retry &&
	chmod 666 spool/db/tls.lockfile spool/db/retry.lockfile &&
	mkdir -m 777 w &&
	expect_code 74 $AS_NOBODY "$HINTSDB" ticket spool >out 2>err &&
	grep -qx "hintsdb: ticket: cannot open .spool/db/tls.: Permission denied" err &&
	expect_code 74 $AS_NOBODY "$HINTSDB" ticket spool/db/tls >out 2>err &&
	grep -q "cannot read .spool/db/tls.: Permission denied$" err &&
	expect_code 74 $AS_NOBODY "$HINTSDB" convert --to-layout=v2 \
	    --output=w/o spool retry 2>err &&
	grep -qx "hintsdb: convert: cannot open .spool/db/retry.: Permission denied" err &&
	"$HINTSDB" export spool seen >seen.jsonl &&
	chmod 755 spool/db && chmod 644 spool/db/seen.lockfile &&
	expect_code 74 $AS_NOBODY "$HINTSDB" import --no-drop-privileges \
	    spool seen <seen.jsonl 2>err &&
	grep -q "Permission denied" err
'
run_test "upgrade SPOOL: a usage error gets no DBNAME hint" '
	expect_code 64 "$HINTSDB" upgrade -n "$SPOOL_EX" 2>err &&
	! grep -q DBNAME err
'
run_test "an unreadable SPOOL/db exits 74, as check(8) and stat(8) say" '
	chmod 755 . && copy_spool && chmod 755 spool && chmod 700 spool/db &&
	expect_code 74 $AS_NOBODY "$HINTSDB" check spool 2>err &&
	grep -q "cannot open .*spool/db.: Permission denied" err &&
	expect_code 74 $AS_NOBODY "$HINTSDB" stat spool 2>err &&
	expect_code 74 $AS_NOBODY "$HINTSDB" tidy --no-drop-privileges \
	    --all spool 2>err &&
	grep -q "Permission denied" err &&
	chmod 755 spool/db && rm -rf spool/db &&
	expect_code 66 "$HINTSDB" check spool 2>err &&
	grep -q "No such file or directory" err
'
run_test "after the drop, a root-owned lockfile names the user and the fix" '
	chmod 755 . && copy_spool && chown -R nobody:nogroup spool/db &&
	chown root:root spool/db/retry.lockfile &&
	chmod 600 spool/db/retry.lockfile &&
	expect_code 74 "$HINTSDB" tidy spool retry >out 2>err &&
	grep -q "cannot open lockfile .*retry.lockfile.: Permission denied (ran as nobody, the owner of SPOOL/db: .chown nobody .*retry.lockfile., or --no-drop-privileges)" err &&
	expect_code 74 "$HINTSDB" delete spool retry k >out 2>err &&
	grep -q "Permission denied (ran as nobody.*--no-drop-privileges)" err &&
	expect_code 0 "$HINTSDB" tidy --no-drop-privileges spool retry >out &&
	chown root:root spool/db/seen && chmod 600 spool/db/seen &&
	expect_code 74 "$HINTSDB" tidy spool seen >out 2>err &&
	grep -q "cannot open .*db/seen.: Permission denied (ran as nobody.*chown nobody" err
'
run_test "a root-owned lockfile and DB: one run names both in the fix" '
	chmod 755 . && copy_spool && chown -R nobody:nogroup spool/db &&
	chown root:root spool/db/retry.lockfile spool/db/retry &&
	chmod 600 spool/db/retry.lockfile spool/db/retry &&
	expect_code 74 "$HINTSDB" tidy spool retry >out 2>err &&
	grep -q "(ran as nobody, the owner of SPOOL/db: .chown nobody spool/db/retry spool/db/retry.lockfile., or --no-drop-privileges)" err &&
	chown nobody:nogroup spool/db/retry &&
	expect_code 74 "$HINTSDB" delete spool retry k >out 2>err &&
	grep -q ".chown nobody spool/db/retry.lockfile., or" err
'
run_test "exim_tidydb succeeds on a root-owned leftover lockfile, as Exim's" '
	chmod 755 . && copy_spool && chown -R nobody:nogroup spool/db &&
	chown root:root spool/db/retry.lockfile &&
	chmod 600 spool/db/retry.lockfile && cp -a spool exim &&
	expect_code 0 "$(dirname "$HINTSDB")/exim_tidydb" "$PWD/spool" retry \
	    >out 2>err &&
	grep -qx "Tidying complete" out && test ! -s err &&
	test "$(stat -c %U spool/db/retry)" = nobody &&
	expect_code 0 exim_run exim_tidydb "$PWD/exim" retry >eout 2>&1 &&
	grep -qx "Tidying complete" eout
'
test_done
