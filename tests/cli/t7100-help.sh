#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='help like git and tmux: hintsdb help CMD, CMD --help, -h;
help, man SYNOPSIS and getopt tables agree; hints after bad arguments;
the fix prompt answers help'
. "$(dirname "$0")/lib.sh"

MAN=$TOP/man

# commands: the names hintsdb --help lists
commands() {
	"$HINTSDB" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p'
}

# opts_of TEXT: the option names in a usage text, one a line, sorted:
# --long names, and the letters of short clusters such as [-kz] or [-t T]
opts_of() {
	printf '%s\n' "$1" | grep -o -- '--[a-z][a-z-]*' | sed 's/^--//'
	printf '%s\n' "$1" | grep -o -- '\[-[a-zA-Z][a-zA-Z]*' |
	    sed 's/^\[-//' | fold -w1
}

# man_synopsis CMD: the SYNOPSIS lines of hintsdb-CMD.8 for `hintsdb CMD`
man_synopsis() {
	mandoc -Tascii -O width=1000 "$MAN/hintsdb-$1.8" | col -b |
	    awk '/^SYNOPSIS/ { f = 1; next } /^[A-Z]/ { f = 0 } f' |
	    tr -s ' \n' '  ' | sed 's/ hintsdb /\nhintsdb /g; s/ exim_/\nexim_/g' |
	    grep "^hintsdb $1 "
}

run_test "dump --help, dump -h and help dump print the same full help" '
	expect_code 0 "$HINTSDB" dump --help >a &&
	expect_code 0 "$HINTSDB" dump -h >b &&
	expect_code 0 "$HINTSDB" help dump >c &&
	cmp a b && cmp a c &&
	grep -q "^usage: hintsdb dump " a &&
	grep -q "^print every record" a &&
	grep -q "^  --format=text|json|exim  *output: " a &&
	grep -q "^examples:" a &&
	[ "$(sed -n "/^examples:/,/^$/p" a | grep -c "^  hintsdb dump")" = 2 ]
'
run_test "--help anywhere on the line wins, but not as an option value" '
	expect_code 0 "$HINTSDB" tidy -n --help >a &&
	grep -q "^usage: hintsdb tidy" a &&
	expect_code 64 "$HINTSDB" tidy -t -h "$SPOOL_EX" retry 2>err &&
	grep -q "bad time" err
'
run_test "every command: each getopt option described, two examples" '
	for c in $(commands); do
		expect_code 0 "$HINTSDB" help $c >h.$c || return 1
		if grep "(not described)" h.$c; then
			echo "$c: options without a description" >&2
			return 1
		fi
		[ "$(sed -n "/^examples:/,/^$/p" h.$c |
		    grep -c "^  hintsdb $c")" = 2 ] ||
		    { echo "$c: not two examples" >&2; return 1; }
	done
'
run_test "every command: help usage, help options and man SYNOPSIS agree" '
	for c in $(commands); do
		u=$("$HINTSDB" help $c | sed -n "s/^usage: //p") &&
		opts_of "$u" | sort -u >u.$c &&
		"$HINTSDB" help $c | sed -n "/^options:/,/^$/p" |
		    grep -o -- "^  -[a-zA-Z-]*" | sed "s/^  --\?//" | sort -u >o.$c &&
		if ! cmp -s u.$c o.$c; then
			echo "$c: usage and option list differ" >&2
			diff u.$c o.$c >&2
			return 1
		fi
		[ -f "$TOP/man/hintsdb-$c.8" ] || continue
		opts_of "$(man_synopsis $c)" | sort -u >m.$c &&
		if ! cmp -s u.$c m.$c; then
			echo "$c: usage and man SYNOPSIS differ" >&2
			diff u.$c m.$c >&2
			return 1
		fi
	done
'
run_test "missing arguments: the usage and what is missing" '
	expect_code 64 "$HINTSDB" dump 2>err &&
	grep -q "^usage: hintsdb dump" err &&
	grep -q "missing SPOOL" err &&
	expect_code 64 "$HINTSDB" dump "$SPOOL_EX" 2>err &&
	grep -q "missing DBNAME (or --all); databases in .*: callout, misc, .*retry" err
'
run_test "SPOOL/db given as SPOOL: did you mean SPOOL" '
	expect_code 66 "$HINTSDB" dump "$SPOOL_EX/db" retry 2>err &&
	grep -q "is a DB directory, not a spool; did you mean .$SPOOL_EX.?" err
'
run_test "swapped arguments: the usage and the right order" '
	expect_code 64 "$HINTSDB" dump retry "$SPOOL_EX" 2>err &&
	grep -q "did you mean .hintsdb dump $SPOOL_EX retry.?" err
'
run_test "an unknown database: the ones that are there" '
	expect_code 64 "$HINTSDB" dump "$SPOOL_EX" retyr 2>err &&
	grep -q "unknown database .retyr.; did you mean .retry.?" err &&
	expect_code 66 "$HINTSDB" dump "$SPOOL_EX" wait-nothere 2>err &&
	grep -q "no database .wait-nothere. in .*; databases there: callout, misc" err
'
run_test "no hint where the arguments were right" '
	expect_code 64 "$HINTSDB" dump --format=xml "$SPOOL_EX" retry 2>err &&
	! grep -q "databases here\|did you mean" err &&
	expect_code 66 "$HINTSDB" dump --file=nothere --type=retry 2>err &&
	! grep -q "missing SPOOL\|databases here" err
'
run_test "the fix prompt answers help and ?; \"help\" is a key" '
	printf "help\n?\n\"help\"\nq\n" >in &&
	expect_code 2 "$HINTSDB" fix "$SPOOL_EX" retry <in >out &&
	[ "$(grep -c "^  KEY d  *delete the record" out)" = 2 ] &&
	grep -q "record .help. not found" out
'
run_test "--progress and --no-progress are taken by every command" '
	expect_code 0 "$HINTSDB" dump --no-progress "$SPOOL_EX" retry >a &&
	expect_code 0 "$HINTSDB" dump "$SPOOL_EX" retry >b && cmp a b &&
	expect_code 0 "$HINTSDB" stat --progress "$SPOOL_EX" retry >/dev/null
'
run_test "the README opens with its purpose, real output, make demo and make check" '
	head -n 24 "$TOP/README" >top &&
	grep -qx "    make demo" top && grep -qx "    make check" top &&
	[ "$(grep -c "^    make " top)" = 2 ] &&
	cmd=$(sed -n "s/^  \$ bin\/hintsdb //p" top) && [ -n "$cmd" ] &&
	(cd "$TOP" && "$HINTSDB" $cmd) | sed "s/^/  /" >got &&
	sed -n "/^  \$ bin\/hintsdb /,/^$/p" top | sed "1d; /^$/d" >want &&
	# times and ages move with the clock
	sed -E -i "s/[0-9a-z]* ago/AGO/g; s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:+Z-]*/TIME/g; s/\<[0-9]+[ywdhms]([0-9]+[wdhms])*\>/AGE/g; s/  */ /g" got want &&
	cmp want got
'
test_done
