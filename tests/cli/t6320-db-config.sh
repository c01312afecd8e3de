#!/bin/sh
# t6320-db-config.sh - a DB_CONFIG the spool's owner puts in SPOOL/db is
# never read by hintsdb's libdb (its set_data_dir would send root's
# writes to another directory's file of that name), and check reports it
# and every other file that neither Exim nor hintsdb makes, while the
# files they do make (lockfiles, NDBM's .dir/.pag/.db, SQLite's -journal,
# -wal and -shm, hintsdb's private directories) are no finding.
. "$(dirname "$0")/lib.sh"

U=nobody
G=$(id -gn nobody 2>/dev/null || echo nogroup)

run_test "the tests run as root" '
	[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
'
# plant: sp owned by nobody, and vault/retry, a root-only copy of retry,
# named by sp/db/DB_CONFIG as libdb's data directory
plant() {
	chmod 755 "$TRASH" "$PWD" && rm -rf sp vault && copy_spool sp &&
	chown -R "$U:$G" sp && mkdir -m 700 vault &&
	cp sp/db/retry vault/retry && chown root:root vault/retry &&
	printf "set_data_dir %s\n" "$PWD/vault" >sp/db/DB_CONFIG &&
	chown "$U:$G" sp/db/DB_CONFIG && md5sum vault/retry >vault.md5
}
run_test "root writes the spool's DB, not the one DB_CONFIG points at" '
	for nd in --no-drop-privileges ""; do
		plant &&
		expect_code 0 "$HINTSDB" delete $nd sp retry R:defer.example \
		    >out 2>err &&
		md5sum -c --quiet vault.md5 &&
		! "$HINTSDB" dump sp retry R:defer.example >out 2>&1 &&
		echo "R:defer.example" >in &&
		"$HINTSDB" fix $nd sp retry <in >out 2>&1;
		md5sum -c --quiet vault.md5 &&
		expect_code 0 "$HINTSDB" tidy $nd --now=2030-01-01T00:00:00Z \
		    sp retry >out && md5sum -c --quiet vault.md5 || exit 1
	done
'
run_test "check names DB_CONFIG and other strangers, exits 1" '
	plant && : >sp/db/__db.001 && : >sp/db/notes.txt &&
	expect_code 1 "$HINTSDB" check sp retry >out 2>err &&
	grep -q "^db: .DB_CONFIG.: Berkeley DB.s configuration" out &&
	grep -q "^db: .__db.001.: not a file Exim or hintsdb makes" out &&
	grep -q "^db: .notes.txt.: not a file Exim or hintsdb makes" out &&
	test "$(grep -c "^db: " out)" -eq 3
'
run_test "what Exim and hintsdb make is no finding" '
	copy_spool sp && for f in retry-journal retry-wal retry-shm \
	    misc.dir misc.pag seen.db wait-x.lockfile; do
		: >"sp/db/$f" || exit 1
	done && mkdir sp/db/.retry.hintsdb.1.abcdef &&
	expect_code 0 "$HINTSDB" check --all sp >out 2>err && test ! -s out
'
test_done
