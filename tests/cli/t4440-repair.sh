#!/bin/sh
# t4440-repair.sh - check --repair rebuilds a damaged DB from every record
# that can still be read: afterwards the backend's own check (and for
# Berkeley DB db5.3_verify) accepts it, every record the normal read
# returned is still there, owner and mode are kept; an undamaged DB is
# left alone; root becomes the owner first.
# Under make check-future this file runs on the real clock: repair tells
# an Exim write from none by the file's stat times, which libfaketime
# shifts in some calls and not in others.  Nothing here depends on a date.
if [ -n "${FAKETIME:-}" ]; then
	exec env -u LD_PRELOAD -u FAKETIME -u FAKETIME_SHARED sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

NOW=$(date +%s)
U=nobody
G=$(id -gn nobody 2>/dev/null || echo nogroup)
VERIFY=$(command -v db5.3_verify || true)

# big BE N: SPOOL "sp" with a retry DB of N generated records
big() {
	rm -rf sp && mkdir -p sp/db sp/input &&
	"$HELPER" gen sp/db/retry "$1" retry "$2" 7 "$NOW" &&
	: >sp/db/retry.lockfile && chmod 640 sp/db/retry
}
# smash OFFSET LEN BYTE: overwrite LEN bytes of sp/db/retry at OFFSET
smash() {
	"$PYTHON" -c "import sys
f = open(\"sp/db/retry\", \"r+b\"); f.seek(int(sys.argv[1]))
f.write(bytes([int(sys.argv[3])]) * int(sys.argv[2]))" "$1" "$2" "$3"
}
# keys: the plausible keys a normal read returns (damage hands out junk)
keys() { "$HINTSDB" dump -k sp retry 2>/dev/null | grep -v '\\0' | sort; }

# A Berkeley DB file with damaged pages is refused before libdb reads them
# (it would read past its own page buffer: __db_retcopy, __ham_item), so
# the normal read returns nothing and salvage alone finds the records.
run_test "a clean DB is left alone by --repair" '
	big bdb 2000 && md5sum sp/db/retry >before &&
	expect_code 0 "$HINTSDB" check --repair sp retry >out &&
	[ ! -s out ] && md5sum sp/db/retry | cmp - before
'
run_test "Berkeley DB with two damaged pages: repaired, verified, keys kept" '
	big bdb 20000 && keys >all &&
	smash $((4096 * 200 + 100)) 600 255 &&
	smash $((4096 * 300 + 2000)) 300 0 &&
	{ [ -z "$VERIFY" ] || ! "$VERIFY" -q sp/db/retry 2>/dev/null; } &&
	expect_code 1 "$HINTSDB" check sp retry >out &&
	grep -q "^retry: bdb consistency check" out &&
	grep -q "^retry: cannot read every record: .* is damaged: page 200: " out &&
	expect_code 1 "$HINTSDB" check --repair sp retry >out &&
	grep -q "^retry: repaired: [0-9]* records\{0,1\} kept (0 read normally" out &&
	{ [ -z "$VERIFY" ] || "$VERIFY" -q sp/db/retry; } &&
	keys >after && [ "$(comm -23 all after | wc -l)" -lt 100 ] &&
	"$HINTSDB" check sp retry >out;
	! grep -q "consistency check\|cannot read every record" out &&
	test "$(ls -a sp/db | grep -c hintsdb)" -eq 0
'
run_test "salvage finds what the normal read cannot reach" '
	big bdb 20000 && keys >all &&
	smash $((4096 * 2 + 20)) 12 255 &&
	expect_code 1 "$HINTSDB" check --repair sp retry >out &&
	grep -q "repaired" out &&
	keys >after && [ "$(comm -23 all after | wc -l)" -lt 50 ] &&
	{ [ -z "$VERIFY" ] || "$VERIFY" -q sp/db/retry; }
'

run_test "TDB: tdb_rescue; owner and mode kept" '
	big tdb 5000 && keys >before && chmod 604 sp/db/retry &&
	chown -R "$U:$G" sp &&
	smash 60000 200 255 &&
	expect_code 1 "$HINTSDB" check --repair sp retry >out 2>err &&
	grep -q "repaired" out &&
	[ "$(stat -c "%U %a" sp/db/retry)" = "$U 604" ] &&
	keys >after && [ "$(comm -23 before after | wc -l)" -lt 50 ] &&
	"$HINTSDB" check sp retry >out;
	! grep -q "consistency check\|cannot read every record" out
'
# smash_leaf: damage the middle leaf page of an SQLite DB's table (its
# number from SQLite's dbstat): the rows there are lost to a normal read
smash_leaf() {
	_pg=$("$PYTHON" -c "import sqlite3
c = sqlite3.connect(\"file:sp/db/retry?mode=ro\", uri=True)
r = c.execute(\"SELECT pageno FROM dbstat WHERE name = 'tblblob' AND \"
    \"pagetype = 'leaf' ORDER BY pageno\").fetchall()
print(r[len(r) // 2][0])") && smash $(((_pg - 1) * 4096 + 100)) 400 255
}
# Exim opens SQLite (and tdb from 4.99) without a lockfile: a rename would
# leave an Exim that has the file open writing into the file moved away
run_test "SQLite: repaired in place (same inode), no stop-Exim advice after" '
	big bdb 5000 && mkdir -p big/db && mv sp/db/retry big/db/ &&
	"$HINTSDB" convert --to-backend=sqlite --output="$PWD/sp/db/retry" \
	    big retry && rm sp/db/retry.lockfile &&
	ino=$(stat -c %i sp/db/retry) && smash_leaf &&
	expect_code 1 "$HINTSDB" check sp retry >out 2>err &&
	grep -q "to repair, stop Exim" err &&
	expect_code 1 "$HINTSDB" check --repair sp retry >out 2>err &&
	grep -q "^retry: repaired in place: " out &&
	! grep -q "to repair" err &&
	[ "$(stat -c %i sp/db/retry)" = "$ino" ] &&
	expect_code 0 "$HINTSDB" check sp retry &&
	test "$(ls -a sp/db | grep -c hintsdb)" -eq 0
'
run_test "--repair as root becomes the owner; symlinked SPOOL/db refused" '
	big bdb 5000 && chown -R "$U:$G" sp && smash $((4096 * 50 + 100)) 300 255 &&
	expect_code 1 "$HINTSDB" check --repair sp retry >out &&
	[ -z "$(find sp -user root)" ] &&
	mv sp/db real && ln -s "$PWD/real" sp/db &&
	expect_code 74 "$HINTSDB" check --repair sp retry 2>err &&
	grep -q "refusing symlinked directory" err
'
test_done
