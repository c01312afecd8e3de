#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='progress on a terminal: one line on stderr, redrawn in
place with percentages, cleared at the end; never in pipes or files
unless forced; output unchanged'
. "$(dirname "$0")/lib.sh"

# a spool with N generated retry records (the bench generator)
mkspool() {
	mkdir -p "$1/db" && : >"$1/db/retry.lockfile" &&
	"$HELPER" gen "$1/db/retry" bdb retry "$2" 1 "$(date +%s)" >/dev/null
}

# on_tty CMD: run the shell command CMD with a terminal as its stdin,
# stdout and stderr (script(1)); the terminal's bytes go to ./tty, less
# script's own first and last lines
on_tty() {
	script -qec "$1" tty.raw >/dev/null </dev/null
	_st=$?
	sed -e "/^Script started on /d" -e "/^Script done on /d" tty.raw >tty
	return $_st
}

# redraws FILE: how many times the line was drawn over (\r not before \n)
redraws() {
	"$PYTHON" -c '
import re, sys
print(len(re.findall(rb"\r(?!\n)", open(sys.argv[1], "rb").read())))' "$1"
}

# drawn FILE PATTERN: some drawing of the line matches PATTERN
drawn() {
	"$PYTHON" -c '
import re, sys
d = open(sys.argv[1], "rb").read()
ok = any(re.search(sys.argv[2].encode(), s) for s in re.split(rb"\r(?!\n)", d))
sys.exit(0 if ok else 1)' "$1" "$2"
}

# cleared FILE: after the last drawing, the line was erased
cleared() {
	"$PYTHON" -c '
import sys
d = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
sys.exit(0 if d.rstrip(b"\n").endswith(b"\r\x1b[K") else 1)' "$1"
}

run_test "setup: a spool of 30000 records" '
	mkspool "$TRASH/sp" 30000
'
run_test "export --progress on a terminal: redrawn, with percentages" '
	on_tty "\"$HINTSDB\" export --progress \"$TRASH/sp\" retry >out.jsonl" &&
	[ "$(redraws tty)" -ge 2 ] &&
	drawn tty "export: retry: writing +[0-9]+% [0-9,]+/30,000 records, .*ETA" &&
	drawn tty "export: retry: reading [0-9,]+ records" &&
	cleared tty &&
	"$HINTSDB" export "$TRASH/sp" retry >plain.jsonl &&
	cmp out.jsonl plain.jsonl
'
run_test "convert --progress on a terminal: copying, then verifying in %" '
	on_tty "\"$HINTSDB\" convert --progress --to-backend=tdb \
	    --output=new.tdb \"$TRASH/sp\" retry" &&
	drawn tty "convert: new.tdb: copying [0-9,]+ records" &&
	drawn tty "convert: new.tdb: verifying +[0-9]+% " &&
	cleared tty
'
run_test "nothing in a pipe or a file, even on a long run" '
	"$HINTSDB" export "$TRASH/sp" retry 2>err | cat >/dev/null &&
	"$HINTSDB" check "$TRASH/sp" retry >/dev/null 2>>err &&
	[ ! -s err ]
'
run_test "--progress forces it into a file; --no-progress keeps a tty clean" '
	"$HINTSDB" dump --progress "$TRASH/sp" retry >/dev/null 2>err &&
	[ "$(redraws err)" -ge 1 ] &&
	on_tty "\"$HINTSDB\" dump --no-progress \"$TRASH/sp\" retry >/dev/null" &&
	[ "$(redraws tty)" = 0 ]
'
run_test "output to the terminal is not drawn over" '
	on_tty "\"$HINTSDB\" export --progress \"$TRASH/sp\" retry | head -c 0" &&
	on_tty "\"$HINTSDB\" check -v --progress \"$TRASH/sp\" retry" &&
	! drawn tty "checking"
'
run_test "tidy shows its lock holds" '
	cp -a "$TRASH/sp" tsp &&
	on_tty "\"$HINTSDB\" tidy -n --progress --max-lock-ms=5 tsp retry >/dev/null" &&
	drawn tty "tidy: retry: examining [0-9,]+ records.* \\| lock hold [0-9]+: [0-9]+ ms, then released"
'
run_test "a warning erases the line first" '
	cp -a "$TRASH/sp" isp &&
	"$HINTSDB" export isp retry >e.jsonl &&
	sed "20000s/.*/{junk/" e.jsonl >bad.jsonl &&
	{ expect_code 65 "$HINTSDB" import --progress isp retry <bad.jsonl \
	    2>err; } &&
	"$PYTHON" -c "
import sys
d = open(\"err\", \"rb\").read()
sys.exit(0 if b\"\\r\\x1b[Khintsdb: import: line 20000: \" in d else 1)"
'
test_done
