#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='SPOOL left out: the directory `exim -bP spool_directory`
names, asked of an Exim that root owns in a root-owned directory (here
HINTSDB_EXIM, as tools/exim.c takes it), run with a bare environment and
killed after 5 s; only where it cannot be ambiguous.  Needs root (the
trusted Exim is root-owned); skipped otherwise.'
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "$name: not root, skipped" >&2
	test_done
	exit 0
fi

# fake_exim FILE SPOOL: an "exim" that says SPOOL is its spool directory
# and writes its environment to FILE.env
fake_exim() {
	mkdir -p "$(dirname "$1")" && chmod 755 "$(dirname "$1")" &&
	cat >"$1" <<-EOS &&
	#!/bin/sh
	env >"$1.env"
	[ "\$1 \$2" = "-bP spool_directory" ] || exit 2
	echo "spool_directory = $2"
	EOS
	chmod 755 "$1"
}

run_test "dump DBNAME, stat, check, tidy --all: the spool Exim names" '
	copy_spool sp && fake_exim "$PWD/sbin/exim4" "$PWD/sp" &&
	export HINTSDB_EXIM="$PWD/sbin/exim4" &&
	"$HINTSDB" dump sp retry >want &&
	(cd / && FOO=bar expect_code 0 "$HINTSDB" dump retry >"$OLDPWD/got") &&
	cmp want got &&
	[ "$(sort sbin/exim4.env | grep -v "^PWD=\|^SHLVL=\|^_=" )" = \
	    "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ] &&
	"$HINTSDB" stat sp >want && (cd / && "$HINTSDB" stat) >got &&
	cmp want got &&
	(cd / && expect_code 0 "$HINTSDB" check) &&
	(cd / && expect_code 0 "$HINTSDB" tidy -n --all) >out &&
	[ "$(wc -l <out)" = 7 ] &&
	(cd / && expect_code 0 "$HINTSDB" dump -k --all) >out &&
	grep -qx "==> retry <==" out
'
run_test "an Exim others may write is not run" '
	copy_spool sp && fake_exim "$PWD/sbin/exim4" "$PWD/sp" &&
	chmod g+w sbin/exim4 &&
	HINTSDB_EXIM="$PWD/sbin/exim4" expect_code 64 "$HINTSDB" dump retry \
	    >out 2>err &&
	grep -qx "hintsdb: dump: missing SPOOL before DBNAME .retry. (.*not a root-owned program.*)" err &&
	[ ! -e sbin/exim4.env ] &&
	chmod g-w sbin/exim4 && chmod 777 sbin &&
	HINTSDB_EXIM="$PWD/sbin/exim4" expect_code 64 "$HINTSDB" stat \
	    >out 2>err && [ ! -e sbin/exim4.env ] &&
	grep -qx "hintsdb: stat: missing SPOOL (.*not a root-owned program.*)" err &&
	HINTSDB_EXIM=sbin/exim4 expect_code 64 "$HINTSDB" stat 2>err &&
	[ ! -e sbin/exim4.env ]
'
run_test "an Exim that names no spool, or hangs: an error within 5 s" '
	fake_exim "$PWD/sbin/exim4" "$PWD/nowhere" &&
	HINTSDB_EXIM="$PWD/sbin/exim4" expect_code 64 "$HINTSDB" stat 2>err &&
	grep -q "named no spool directory" err &&
	printf "#!/bin/sh\nexec sleep 30\n" >sbin/exim4 &&
	start=$(date +%s) &&
	HINTSDB_EXIM="$PWD/sbin/exim4" expect_code 64 "$HINTSDB" stat 2>err &&
	[ $(($(date +%s) - start)) -lt 15 ] && grep -q "named no spool" err
'
run_test "not when it could be ambiguous: a file named like the DB here" '
	copy_spool sp && fake_exim "$PWD/sbin/exim4" "$PWD/sp" &&
	: >retry &&
	HINTSDB_EXIM="$PWD/sbin/exim4" expect_code 64 "$HINTSDB" dump retry \
	    2>err &&
	grep -q "SPOOL .retry. is not a directory" err &&
	HINTSDB_EXIM="$PWD/sbin/exim4" expect_code 64 "$HINTSDB" dump 2>err &&
	grep -q "missing SPOOL and DBNAME" err
'
test_done
