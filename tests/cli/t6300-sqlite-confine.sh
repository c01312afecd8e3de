#!/bin/sh
# t6300-sqlite-confine.sh - SQLite run by root reaches nothing outside
# SPOOL/db: a hot rollback journal planted by the spool's owner that names
# a root-only file as its super-journal (which SQLite, rolling the journal
# back, would read and delete) is refused with a message naming it, by
# every command, with and without --no-drop-privileges; check reports it;
# the root file survives all of them.  And the schema is the file's, so
# not trusted: a trigger the owner planted never fires (delete, tidy,
# fix, import over it), check names every object that is not Exim's and
# exits 1, and check --repair rebuilds the file without them.
. "$(dirname "$0")/lib.sh"

U=nobody
G=$(id -gn nobody 2>/dev/null || echo nogroup)

run_test "the tests run as root" '
	[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
'

# plant: sp, owned by nobody, with retry in SQLite, the root-only file
# $PWD/vault/precious, and sp/db/retry-journal, a hot journal that rolls
# back nothing and names vault/precious as its super-journal
plant() {
	chmod 755 "$TRASH" "$PWD" && rm -rf sp vault big && copy_spool big &&
	mkdir -p sp/db && cp big/db/*.lockfile sp/db/ &&
	"$HINTSDB" convert --to-backend=sqlite --output="$PWD/sp/db/retry" \
	    big retry && chown -R "$U:$G" sp &&
	mkdir -m 700 vault && echo precious >vault/precious &&
	chmod 600 vault/precious &&
	"$PYTHON" - "$PWD/sp/db/retry" "$PWD/vault/precious" <<\PY &&
import os, struct, sys
db, victim = sys.argv[1], sys.argv[2].encode()
with open(db, "rb") as f:
    head = f.read(100)
psize = struct.unpack(">H", head[16:18])[0]
psize = 65536 if psize == 1 else psize
pages = os.path.getsize(db) // psize
magic = bytes.fromhex("d9d505f920a163d7")
hdr = magic + struct.pack(">IIIII", 0, 0x1234, pages, 512, psize)
hdr += bytes(512 - len(hdr))
cksum = sum(b - 256 if b > 127 else b for b in victim) & 0xffffffff
tail = struct.pack(">I", 0x40000000 // psize + 1) + victim
tail += struct.pack(">II", len(victim), cksum) + magic
with open(db + "-journal", "wb") as f:
    f.write(hdr + tail)
PY
	chown "$U:$G" sp/db/retry-journal
}
survived() {
	[ "$(cat vault/precious 2>/dev/null)" = precious ] ||
	    { echo "vault/precious is gone" >&2; return 1; }
}
said() { grep -q "super-journal.*vault/precious" err; }

run_test "the hostile journal is real: plain SQLite deletes the root file" '
	plant && cp -a sp sp2 && cp -a vault vault2 &&
	"$PYTHON" -c "import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute(\"BEGIN IMMEDIATE\")
c.rollback()" "$PWD/sp/db/retry" &&
	! [ -e vault/precious ]
'
# try CODE CMD...: on a fresh plant, CMD exits CODE (any: "-") and the root
# file survives
try() {
	_want=$1
	shift
	plant || return 1
	"$@" >out 2>err
	_got=$?
	survived || { echo "after: $*" >&2; return 1; }
	[ "$_want" = - ] || [ "$_got" = "$_want" ] ||
	    { echo "exit status $_got, wanted $_want: $*" >&2; return 1; }
}
run_test "delete, tidy, convert --in-place as root: refused, file kept" '
	for nd in --no-drop-privileges ""; do
		try 74 "$HINTSDB" delete $nd sp retry nokey && said &&
		try 74 "$HINTSDB" delete $nd --match="*" sp retry && said &&
		try 74 "$HINTSDB" tidy $nd sp retry && said &&
		try 74 "$HINTSDB" convert $nd --in-place --to-backend=sqlite \
		    sp retry && said && test -s sp/db/retry-journal || exit 1
	done
'
run_test "fix as root: refused, file kept" '
	for nd in --no-drop-privileges ""; do
		echo nokey >in && try - "$HINTSDB" fix $nd sp retry <in &&
		said || exit 1
	done
'
run_test "import as root: the root file survives" '
	"$HINTSDB" export "$SPOOL_EX" retry >exp.jsonl &&
	for nd in --no-drop-privileges ""; do
		try - "$HINTSDB" import $nd sp retry <exp.jsonl || exit 1
	done
'
run_test "dump, export, stat, exim_tidydb: refused or kept" '
	try 74 "$HINTSDB" dump sp retry && said &&
	try 74 "$HINTSDB" export sp retry && said &&
	try - "$HINTSDB" stat sp &&
	try - "$(dirname "$HINTSDB")/exim_tidydb" "$PWD/sp" retry
'
run_test "check reports the journal, names it, exits 1" '
	for nd in --no-drop-privileges ""; do
		try 1 "$HINTSDB" check $nd sp retry &&
		grep -q "^retry: .*super-journal.*vault/precious" out || exit 1
	done
'
run_test "upgrade and exim_fixdb as root: the root file survives" '
	mkdir sbin && printf "%s\n" "#!/bin/sh" "[ \"\$1\" = -bV ] || exit 2" \
	    "printf \"Exim version 4.98.2 #2\\nHints DB:\\n Berkeley DB: x\\n\"" \
	    >sbin/exim4 && chmod 755 sbin/exim4 &&
	for nd in --no-drop-privileges ""; do
		try - "$HINTSDB" upgrade $nd --exim="$PWD/sbin/exim4" sp ||
		    exit 1
	done && grep -q "super-journal" err &&
	echo nokey >in &&
	try - "$(dirname "$HINTSDB")/exim_fixdb" "$PWD/sp" retry <in
'
run_test "check --repair as root: the root file survives" '
	for nd in --no-drop-privileges ""; do
		try - "$HINTSDB" check $nd --repair sp retry || exit 1
	done
'

# plant_trigger: sp/db/retry in SQLite, with a trigger that would fill table marker
# on every delete, and a view
plant_trigger() {
	rm -rf sp big && copy_spool big && mkdir -p sp/db &&
	cp big/db/*.lockfile sp/db/ &&
	"$HINTSDB" convert --to-backend=sqlite --output="$PWD/sp/db/retry" \
	    big retry &&
	"$PYTHON" -c "import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript(\"\"\"CREATE TABLE marker (x);
CREATE TRIGGER evil AFTER DELETE ON tblblob
BEGIN INSERT INTO marker VALUES (old.ky); END;
CREATE VIEW peek AS SELECT ky FROM tblblob;\"\"\")
c.commit()" "$PWD/sp/db/retry"
}
# quiet: the trigger never wrote to marker (or tidy's rebuild left it out)
quiet() {
	_f=$("$PYTHON" -c "import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
try:
    print(c.execute(\"SELECT count(*) FROM marker\").fetchone()[0])
except sqlite3.OperationalError:
    print(\"none\")" "$PWD/sp/db/retry")
	[ "$_f" = 0 ] || [ "$_f" = none ] || { echo "fired: $_f" >&2; return 1; }
}
objects() {
	"$PYTHON" -c "import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(\" \".join(r[0] for r in c.execute(
    \"SELECT name FROM sqlite_master ORDER BY name\")))" "$PWD/sp/db/retry"
}

run_test "the trap is real: plain SQLite fires the trigger" '
	plant_trigger && "$PYTHON" -c "import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute(\"DELETE FROM tblblob\")
c.commit()" "$PWD/sp/db/retry" && ! quiet 2>/dev/null
'
run_test "a planted trigger never fires: delete, --match, fix, tidy" '
	plant_trigger &&
	expect_code 0 "$HINTSDB" delete sp retry R:defer.example >out &&
	quiet && expect_code 0 "$HINTSDB" delete --match="*" sp retry >out &&
	quiet && plant_trigger &&
	printf "R:defer.example\nd\n" | "$HINTSDB" fix sp retry >out 2>&1;
	quiet && ! "$HINTSDB" dump sp retry R:defer.example >out 2>&1 &&
	plant_trigger && expect_code 0 "$HINTSDB" tidy \
	    --now=2030-01-01T00:00:00Z sp retry >out && quiet
'
run_test "check names each object that is not Exim's and exits 1" '
	plant_trigger && expect_code 1 "$HINTSDB" check sp retry >out 2>err &&
	grep -q "^retry: .*table .marker." out &&
	grep -q "^retry: .*trigger .evil." out &&
	grep -q "^retry: .*view .peek." out &&
	copy_spool sp2 && rm -rf sp && mkdir -p sp/db &&
	"$HINTSDB" convert --to-backend=sqlite --output="$PWD/sp/db/retry" \
	    sp2 retry && expect_code 0 "$HINTSDB" check sp retry
'
run_test "check --repair rebuilds without them, keeping the records" '
	plant_trigger && "$HINTSDB" dump sp retry >before &&
	"$HINTSDB" check --repair sp retry >out 2>err;
	[ "$(objects)" = "sqlite_autoindex_tblblob_1 tblblob" ] &&
	"$HINTSDB" dump sp retry >after && cmp before after &&
	expect_code 0 "$HINTSDB" check sp retry
'
test_done
