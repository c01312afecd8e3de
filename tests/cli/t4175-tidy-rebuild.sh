#!/bin/sh
# t4175-tidy-rebuild.sh - tidy on SQLite deletes in place, never renaming
# a new file over the DB (Exim takes no lockfile for SQLite, so a rename
# would strand a writer that opened the old file; t4176 runs writers
# beside it): the result is what a dry run says, in the same file, owner
# and mode kept, and nothing left beside it.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C

run_test "the records kept are those a dry run keeps, corrupt ones too" '
	mkdir -p sp/db sp/input &&
	"$HELPER" gen "$PWD/sp/db/retry" sqlite retry 3000 5 "$(date +%s)" &&
	$PYTHON - "$PWD/sp/db/retry" <<-PY || exit 1
	import sqlite3, sys
	c = sqlite3.connect(sys.argv[1])
	c.execute("INSERT INTO tblblob VALUES (?, ?)", (b"x\0", b"junk"))
	c.commit()
	PY
	"$HINTSDB" dump -k sp retry | sort >all &&
	"$HINTSDB" tidy -n -v -t 30d sp retry |
	    sed -n "s/^retry: would delete .\(.*\). (.*)$/\1/p" | sort >due &&
	[ -s due ] && comm -23 all due >keep &&
	expect_code 1 "$HINTSDB" tidy -v -t 30d sp retry >out 2>err &&
	grep -q "corrupt record .x. kept" err &&
	"$HINTSDB" dump -k sp retry | sort >left &&
	cmp keep left &&
	[ $(grep -c "^retry: deleted " out) -eq $(wc -l <due) ] &&
	! ls -a sp/db | grep -q hintsdb
'

run_test "same file, owner and mode kept; nothing left behind, no lockfile" '
	mkdir -p sp/db sp/input &&
	"$HELPER" gen "$PWD/sp/db/retry" sqlite retry 2000 5 "$(date +%s)" &&
	chmod 0604 sp/db/retry && ino=$(stat -c %i sp/db/retry) &&
	"$HINTSDB" tidy -t 30d sp retry >out &&
	grep -q "deleted [1-9]" out &&
	[ "$(stat -c %a sp/db/retry)" = 604 ] &&
	[ "$(stat -c %i sp/db/retry)" = "$ino" ] &&
	[ "$(ls -a sp/db | grep -v -x -e . -e .. -e retry)" = "" ]
'

run_test "a 4.98 or 4.99 tbl is tidied in place too" '
	mkdir -p sp/db sp/input &&
	mkdir -p src/db &&
	"$HELPER" gen "$PWD/src/db/retry" sqlite retry 2000 5 "$(date +%s)" &&
	"$HINTSDB" convert --sqlite-schema=tbl --output="$PWD/sp/db/retry" \
	    src retry || exit 1
	ino=$(stat -c %i sp/db/retry) &&
	"$HINTSDB" tidy -t 30d sp retry >out && grep -q "deleted [1-9]" out &&
	[ "$(stat -c %i sp/db/retry)" = "$ino" ]
'

test_done
