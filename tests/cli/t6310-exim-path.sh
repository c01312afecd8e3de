#!/bin/sh
# t6310-exim-path.sh - root runs no program that PATH chose: check,
# upgrade and tidy --stale-sessions look for exim4 and exim only in
# absolute PATH directories that root alone can write (an empty entry, a
# relative one, a group- or other-writable or foreign one is skipped),
# and run what they find there as nobody; --exim and HINTSDB_EXIM must be
# absolute and, for root, a root-owned program no one else can change,
# in directories no one else can write.
. "$(dirname "$0")/lib.sh"

unset HINTSDB_EXIM
NOBODY=$(id -u nobody)

# stand PROG MARK: a stand-in Exim at PROG that appends its uid to MARK
# and prints what Debian's 4.98.2 prints for -bV
stand() {
	cat >"$1" <<EOF2
#!/bin/sh
id -u >>"$2"
cat <<'EOT'
Exim version 4.98.2 #2 built 17-Oct-2026 11:16:20
Hints DB:
 Berkeley DB: Berkeley DB 5.3.28: (September  9, 2013)
Support for: crypteq iconv() IPv6 OpenSSL move_frozen_messages
EOT
EOF2
	chmod 755 "$1"
}
# setup: a world-readable test directory, the sample spool, and a place
# that nobody can leave its mark in
setup() {
	chmod 755 "$TRASH" "$PWD" && cp -a "$SPOOL_EX" sp &&
	mkdir -m 1777 marks && : >marks/ran && chmod 666 marks/ran
}
never_ran() {
	[ ! -s marks/ran ] || { echo "ran as: $(cat marks/ran)" >&2; return 1; }
}
# every command that asks the Exim on PATH, with PATH=$1
askers() {
	PATH=$1 "$HINTSDB" check sp retry >out 2>err
	PATH=$1 "$HINTSDB" upgrade -n sp >out 2>err
	PATH=$1 "$HINTSDB" tidy -n --stale-sessions sp tls >out 2>err
	return 0
}

run_test "the tests run as root" '
	[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
'
run_test "the stand-in is real: named by --exim it runs (as root)" '
	setup && mkdir sbin && stand "$PWD/sbin/exim4" "$PWD/marks/ran" &&
	expect_code 1 "$HINTSDB" check --exim="$PWD/sbin/exim4" sp >out &&
	grep -q "^exim: Exim 4.98.2" out && [ "$(cat marks/ran)" = 0 ]
'
run_test "an empty PATH entry (the working directory) is never searched" '
	setup && stand "$PWD/exim4" "$PWD/marks/ran" &&
	stand "$PWD/exim" "$PWD/marks/ran" &&
	askers ":/usr/bin:/bin" && never_ran &&
	askers "/usr/bin::/bin" && never_ran &&
	askers "/usr/bin:/bin:" && never_ran
'
run_test "relative, group-, other-writable and foreign PATH entries neither" '
	setup && mkdir rel gw ow foreign &&
	for d in rel gw ow foreign; do
		stand "$PWD/$d/exim4" "$PWD/marks/ran" || exit 1
	done &&
	chmod 775 gw && chmod 757 ow && chown nobody foreign &&
	askers "rel:/usr/bin:/bin" && never_ran &&
	askers "./rel:/usr/bin:/bin" && never_ran &&
	askers "$PWD/gw:/usr/bin:/bin" && never_ran &&
	askers "$PWD/ow:/usr/bin:/bin" && never_ran &&
	askers "$PWD/foreign:/usr/bin:/bin" && never_ran
'
run_test "a program not root's, or writable by others, in a good dir: no" '
	setup && mkdir sbin && stand "$PWD/sbin/exim4" "$PWD/marks/ran" &&
	chown nobody sbin/exim4 && askers "$PWD/sbin:/usr/bin:/bin" &&
	never_ran && chown root sbin/exim4 && chmod 775 sbin/exim4 &&
	askers "$PWD/sbin:/usr/bin:/bin" && never_ran
'
run_test "one found in a root-only PATH directory runs as nobody" '
	setup && mkdir sbin && stand "$PWD/sbin/exim4" "$PWD/marks/ran" &&
	PATH=$PWD/sbin:/usr/bin:/bin expect_code 1 "$HINTSDB" check sp \
	    >out 2>err && grep -q "^exim: Exim 4.98.2" out &&
	[ "$(cat marks/ran)" = "$NOBODY" ] && : >marks/ran &&
	PATH=$PWD/sbin:/usr/bin:/bin "$HINTSDB" upgrade -n sp >out 2>err;
	[ "$(sort -u marks/ran)" = "$NOBODY" ] && : >marks/ran &&
	PATH=$PWD/sbin:/usr/bin:/bin "$HINTSDB" tidy -n --stale-sessions \
	    sp tls >out 2>err; [ "$(sort -u marks/ran)" = "$NOBODY" ]
'
run_test "--exim and HINTSDB_EXIM: relative refused, never run" '
	setup && stand "$PWD/exim4" "$PWD/marks/ran" &&
	expect_code 65 "$HINTSDB" check --exim=exim4 sp 2>err &&
	grep -q "not an absolute path" err &&
	expect_code 65 "$HINTSDB" check --exim=./exim4 sp 2>err &&
	expect_code 65 "$HINTSDB" upgrade -n --exim=./exim4 sp 2>err &&
	expect_code 65 "$HINTSDB" stat --exim=./exim4 sp 2>err &&
	HINTSDB_EXIM=exim4 "$HINTSDB" check sp >out 2>err;
	HINTSDB_EXIM=./exim4 "$HINTSDB" tidy -n --stale-sessions sp tls \
	    >out 2>err; never_ran
'
run_test "--exim as root: not root's, writable by others, or in such a dir: no" '
	setup && mkdir sbin ow && chmod 1777 ow &&
	stand "$PWD/sbin/exim4" "$PWD/marks/ran" &&
	stand "$PWD/ow/exim4" "$PWD/marks/ran" &&
	expect_code 65 "$HINTSDB" check --exim="$PWD/ow/exim4" sp 2>err &&
	grep -q "root runs only a program of root" err &&
	chown nobody sbin/exim4 &&
	expect_code 65 "$HINTSDB" check --exim="$PWD/sbin/exim4" sp 2>err &&
	chown root sbin/exim4 && chmod 757 sbin/exim4 &&
	expect_code 65 "$HINTSDB" upgrade -n --exim="$PWD/sbin/exim4" sp \
	    2>err && chmod 755 sbin/exim4 &&
	ln -s "$PWD/sbin/exim4" ow/link &&
	expect_code 65 "$HINTSDB" check --exim="$PWD/ow/link" sp 2>err &&
	HINTSDB_EXIM=$PWD/ow/exim4 "$HINTSDB" check sp >out 2>err;
	never_ran
'
test_done
