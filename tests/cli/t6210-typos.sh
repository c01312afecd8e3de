#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='typical typos: each gets one message, prefixed hintsdb:,
with the nearest command, option or DB name, and the exit status of its kind
(64 a usage error, 66 a spool or DB that is not there)'
. "$(dirname "$0")/lib.sh"

S=$SPOOL_EX

# typo STATUS 'MESSAGE' ARG...: hintsdb ARG... exits STATUS and says, in
# exactly one line of stderr that starts "hintsdb: ", MESSAGE (a grep -x
# pattern); any other line is a usage line.  Nothing on stdout.
typo() {
	want=$1 msg=$2
	shift 2
	expect_code "$want" "$HINTSDB" "$@" >out 2>err || return 1
	[ ! -s out ] || { echo "stdout: $*"; cat out; return 1; }
	[ "$(grep -c "^hintsdb: " err)" = 1 ] ||
	    { echo "not one message: $*"; cat err; return 1; }
	grep -v "^hintsdb: \|^usage: hintsdb [a-z]* \[OPTION...\] " err &&
	    { echo "a line that is neither: $*"; return 1; }
	grep -qx "hintsdb: $msg" err ||
	    { echo "wanted '$msg': $*"; cat err; return 1; }
}

run_test "a mistyped command: the nearest one" '
	typo 64 "unknown command .dupm.; did you mean .dump.?" dupm "$S" retry &&
	typo 64 "unknown command .tidyy.; did you mean .tidy.?" tidyy --all "$S" &&
	typo 64 "unknown command .stats.; did you mean .stat.?" help stats &&
	typo 64 "unknown option .--verison.; did you mean .--version.?" --verison
'
run_test "a mistyped option: the nearest, its value kept, no getopt words" '
	typo 64 "dump: unknown option .--formt=json.; did you mean .--format=json.?" \
	    dump --formt=json "$S" retry &&
	typo 64 "dump: unknown option .-format=json.; did you mean .--format=json.?" \
	    dump -format=json "$S" retry &&
	typo 64 "tidy: unknown option .--dryrun.; did you mean .--dry-run.?" \
	    tidy --dryrun --all "$S" &&
	typo 64 "check: unknown option .--repiar.; did you mean .--repair.?" \
	    check --repiar "$S" &&
	typo 64 "tidy: unknown option .--lock-timout=2.; did you mean .--lock-timeout=2.?" \
	    tidy --lock-timout=2 "$S" retry
'
run_test "an option of another command: which ones have it, no false second error" '
	typo 64 "stat: --max-lock-ms is not an option of stat (delete, dump, failing, forget, tidy and why take it)" \
	    stat --max-lock-ms=50 "$S" &&
	typo 64 "dump: option .--m. is ambiguous: --match, --max-lock-ms" \
	    dump --m=x "$S" retry &&
	typo 64 "dump: option .--unsorted. takes no value" \
	    dump --unsorted=yes "$S" retry &&
	typo 64 "tidy: option .-t. needs a value" tidy "$S" retry -t
'
run_test "a mistyped DB name: the nearest, in one message" '
	typo 64 "dump: unknown database .rety.; did you mean .retry.?" dump "$S" rety &&
	typo 64 "tidy: unknown database .msic.; did you mean .misc.?" tidy "$S" msic &&
	typo 66 "dump: no database .wait-remote_smpt. in .*; did you mean .wait-remote_smtp.?" \
	    dump "$S" wait-remote_smpt
'
run_test "what is missing: the spool, or the DB, or an operand" '
	typo 66 "dump: no spool directory ./nonexistent." dump /nonexistent retry &&
	typo 64 "dump: missing SPOOL before DBNAME .retry. (.*)" dump retry &&
	grep -qx "usage: hintsdb dump \[OPTION...\] (SPOOL DBNAME \[KEY...\] | --all SPOOL | --file=PATH --type=TYPE)" err &&
	typo 64 "tidy: missing DBNAME (or --all); databases in .*: callout, misc, .*" \
	    tidy "$S" &&
	typo 64 "tidy: --all or DBNAME, not both (.retry. given)" \
	    tidy -n --all "$S" retry &&
	typo 64 "dump: SPOOL comes first: did you mean .hintsdb dump $S retry.?" \
	    dump retry "$S"
'
run_test "a bad value: its message alone, and a short usage line" '
	typo 64 "dump: unknown format .jsn. (text, json, exim)" \
	    dump --format=jsn "$S" retry &&
	[ "$(wc -c <err)" -lt 200 ]
'
test_done
