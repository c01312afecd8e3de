#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# t0030-no-exim.sh - where the real Exims cannot run (here: debootstrap
# fails, as with no mirror in reach, and the chroot cache is empty; or no
# mount namespace can be made, as in a container or a chroot), a run
# of tests/check.sh still ends: it says why once per release, the tests
# that need a real Exim fail with that reason, the others pass, and the
# last line is still "N passed, N failed" with a non-zero status.
. "$(dirname "$0")/lib.sh"

# check.sh's normal pass alone, whatever pass runs this file
CHECK1="env -u CHECK_SAN -u CHECK_FUZZ -u CHECK_VALGRIND -u CHECK_LOAD
    CHECK_NORMAL=1 sh $TOP/tests/check.sh"
SUITES=$(sh "$TOP/tests/interop/chroot.sh" suites | awk '{ print $1 }')

# a debootstrap that fails at once, first on PATH
fakebin() {
	mkdir -p bin &&
	printf '#!/bin/sh\necho "E: Failed getting release file" >&2\nexit 1\n' \
	    >bin/debootstrap && chmod 755 bin/debootstrap
}

run_test "debootstrap fails: check.sh ends, says why once, counts the Exim tests failed" '
	fakebin || exit 1
	PATH=$PWD/bin:$PATH HINTSDB_CHROOTS=$PWD/cache CHECK_JOBS=1 \
	    CHECK_ONLY="t4300-delete.sh test_hash" \
	    timeout 600 $CHECK1 >out 2>&1
	st=$?
	cat out
	[ $st -ne 0 ] && [ $st -ne 124 ] &&
	for s in $SUITES; do
		[ "$(grep -c "^check.sh: the real Exim of $s cannot run here: debootstrap $s failed: it needs root and a reachable Debian mirror" out)" = 1 ] || exit 1
	done &&
	tail -n 1 out | grep -Eq "^[0-9]+ passed, [0-9]+ failed$" &&
	p=$(tail -n 1 out | cut -d" " -f1) f=$(tail -n 1 out | cut -d" " -f3) &&
	[ "$f" -eq 2 ] && [ "$p" -ge 12 ] &&
	grep -q "^FAIL - t4300-delete: missing DB 66, held lock 75" out &&
	grep -q "^FAIL - t4300-delete: afterwards the real exim_dumpdb reads" out &&
	grep -q "no Exim 4.96 (bookworm chroot): debootstrap bookworm failed" out
'
run_test "no mount namespace: check.sh says so once, with the fix" '
	mkdir -p bin &&
	printf "#!/bin/sh\necho \"unshare: cannot change root filesystem propagation: Invalid argument\" >&2\nexit 1\n" \
	    >bin/unshare && chmod 755 bin/unshare || exit 1
	PATH=$PWD/bin:$PATH HINTSDB_CHROOTS=$PWD/cache CHECK_JOBS=1 \
	    CHECK_ONLY="t4300-delete.sh" \
	    timeout 600 $CHECK1 >out 2>&1
	st=$?
	cat out
	[ $st -ne 0 ] && [ $st -ne 124 ] &&
	[ "$(grep -c "^check.sh: the real Exim of bookworm cannot run here: no private mount namespace here (unshare: cannot change root filesystem propagation: Invalid argument): run outside a container or chroot, or with CAP_SYS_ADMIN$" out)" = 1 ] &&
	tail -n 1 out | grep -Eq "^[0-9]+ passed, 2 failed$" &&
	test ! -e cache/bookworm
'
test_done
