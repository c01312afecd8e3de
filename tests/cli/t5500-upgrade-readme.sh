#!/bin/sh
# t5500-upgrade-readme.sh - the exact commands of the README section
# "Upgrading Exim without losing hints" (taken from README itself),
# run block by block on a copy of the real-Exim spool, with the paths moved
# into the scratch directory and systemctl a no-op.  The tests build on each
# other, in $TRASH.
. "$(dirname "$0")/lib.sh"

TEXT=$TRASH/section
# the section runs from its title to the next underlined title
awk '/^Upgrading Exim without losing hints$/ { on = 1 }
	on && ++n > 2 && /^---+$/ { exit }
	on { print }' "$TOP/README" >"$TEXT"
NOW=--now=2030-01-01T00:00:00Z
PATH=$(dirname "$HINTSDB"):$PATH
export PATH

# block N: the Nth command block (lines indented by five spaces), with
# /var/spool/exim4 and /root moved here
block() {
	awk -v want="$1" '
		/^     / { if (!inb) { n++; inb = 1 } if (n == want) print substr($0, 6); next }
		{ inb = 0 }' "$TEXT" |
	sed -e "s|/var/spool/exim4|$TRASH/spool|g" -e "s|/root/|$TRASH/root/|g"
}
systemctl() { :; }
dumps() {
	for db in $(cd spool/db && ls | grep -v '\.lockfile$'); do
		hintsdb dump --format=json $NOW spool "$db" || return 1
	done
}
exim_dumps() {
	for db in $(cd spool/db && ls | grep -v '\.lockfile$'); do
		exim_run exim_dumpdb "$TRASH/spool" "$db" 2>&1
	done
}

cp -a "$SPOOL_EX" spool && mkdir root
run_test "the section has its six command blocks" '
	test "$(block 6 | wc -l)" -eq 4 && test "$(block 7 | wc -l)" -eq 0 &&
	block 3 | grep -q "hintsdb convert --to-layout=v2 --in-place"
'
run_test "1: a copy of every database, check and stat" '
	cd "$TRASH" &&
	dumps >orig && exim_dumps >orig.exim &&
	(eval "$(block 1)") >out 2>err && test ! -s err &&
	test "$(ls root | wc -l)" -eq "$(ls spool/db | grep -vc lockfile)" &&
	grep -q "^retry$" out
'
run_test "2-4: every database converted to v2, checked" '
	cd "$TRASH" &&
	(eval "$(block 2)" && eval "$(block 3)" && eval "$(block 4)") \
	    >out 2>err && test ! -s err &&
	hintsdb stat --format=json spool >st &&
	! grep -q "\"legacy\":[1-9]" st && grep -q "\"v2\":[1-9]" st &&
	test "$(ls -a spool/db | grep -c hintsdb)" -eq 0
'
run_test "going back: converted to legacy BDB, exim_dumpdb reads the same" '
	cd "$TRASH" &&
	(cd / && eval "$(block 5)") 2>err && test ! -s err &&
	dumps >back && cmp orig back &&
	exim_dumps >back.exim && cmp orig.exim back.exim
'
run_test "going back: the copy restored" '
	cd "$TRASH" &&
	hintsdb convert --to-layout=v2 --to-backend=gdbm --in-place spool retry &&
	(eval "$(block 6)") 2>err && test ! -s err &&
	dumps >restored && cmp orig restored
'
test_done
