#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='stat shows the free space of each DB (the bytes its backend
holds but no record uses) in text, JSON and Prometheus: more after records
are deleted where the backend reuses space (Berkeley DB, tdb, SQLite), and
"-", null or no sample where it does not say (GDBM)'
. "$(dirname "$0")/lib.sh"

PROMLINT=$TOP/tests/helper/promlint.py
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
BACKENDS="bdb tdb sqlite gdbm"
NOW=$(date +%s)
# shared by the tests below, which go on from the state the first leaves
S=$TRASH/spools

# sp_BE: a spool whose retry DB has 3000 records (about 40% of them T:
# keys, the rest R:), in backend BE
make_spools() {
	mkdir -p "$S"/sp_bdb/db && : >"$S"/sp_bdb/db/retry.lockfile &&
	"$HELPER" gen "$S"/sp_bdb/db/retry bdb retry 3000 1 "$NOW" &&
	for be in tdb sqlite gdbm; do
		mkdir -p "$S"/sp_$be/db && : >"$S"/sp_$be/db/retry.lockfile &&
		"$HELPER" copy "$S"/sp_bdb/db/retry retry "$S"/sp_$be/db/retry $be \
		    legacy || return 1
	done
}

# free_of SPOOL: retry's free_bytes in stat's JSON ("null" if unknown)
free_of() {
	"$HINTSDB" stat --format=json "$1" retry >j.out &&
	"$PY" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["free_bytes"]))' j.out
}

run_test "JSON: more free bytes after deleting records, where the backend says" '
	make_spools &&
	for be in $BACKENDS; do
		before=$(free_of "$S"/sp_$be) &&
		"$HINTSDB" delete -q "$S"/sp_$be retry --match="R:*" &&
		after=$(free_of "$S"/sp_$be) &&
		size=$(stat -c %s "$S"/sp_$be/db/retry) &&
		echo "$be $before $after $size" >>figures || return 1
	done &&
	grep -qx "gdbm null null [0-9]*" figures &&
	for be in bdb tdb sqlite; do
		awk -v be=$be "\$1 == be && \$3 > \$2 && \$3 < \$4 { ok = 1 }
		    END { exit !ok }" figures || { cat figures; return 1; }
	done
'
run_test "text: a FREE column, aligned under its header; - where unknown" '
	for be in $BACKENDS; do
		"$HINTSDB" stat "$S"/sp_$be retry >t_$be || return 1
	done &&
	head -n 1 t_bdb | grep -q "^DB  *BACKEND LAYOUT  *RECORDS  *SIZE  *FREE  OLDEST " &&
	for be in $BACKENDS; do
		# FREE ends in column 56, as its header does
		awk "{ if (substr(\$0, 56, 2) !~ /^[^ ] \$/) exit 1 }" t_$be ||
		    { cat t_$be; return 1; }
	done &&
	grep -q "^retry  *gdbm  *legacy  *[0-9]*  *[0-9.]*[KM]  *-  " t_gdbm &&
	grep -q "^retry  *sqlite  *legacy  *[0-9]*  *[0-9.]*[KM]  *[0-9.]*[KM]  " t_sqlite &&
	"$HINTSDB" stat -v "$S"/sp_tdb retry | grep -q "^  free: [1-9][0-9]* bytes$" &&
	"$HINTSDB" stat -v "$S"/sp_gdbm retry | grep -qx "  free: unknown"
'
run_test "Prometheus: hintsdb_database_free_bytes as in JSON; lint passes" '
	for be in $BACKENDS; do
		"$HINTSDB" stat --format=prometheus "$S"/sp_$be >m_$be.prom &&
		"$PY" "$PROMLINT" m_$be.prom >lint 2>&1 &&
		{ test ! -s lint || { cat lint; return 1; }; } || return 1
	done &&
	for be in bdb tdb sqlite; do
		grep -qx "hintsdb_database_free_bytes{db=\"retry\"} $(free_of "$S"/sp_$be)" \
		    m_$be.prom || return 1
	done &&
	grep -q "^# TYPE hintsdb_database_free_bytes gauge$" m_gdbm.prom &&
	! grep -q "^hintsdb_database_free_bytes{" m_gdbm.prom
'
test_done
