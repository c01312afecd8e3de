#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# golden.sh OUTDIR SPOOL - record what the real exim_dumpdb prints for every
# hints DB in SPOOL/db, as golden files for hintsdb's compatibility tests.
#
# For each DB <db> (every file in SPOOL/db except *.lockfile) it writes
#   OUTDIR/<db>.exim     stdout of `exim_dumpdb SPOOL <db>`     (TZ=UTC)
#   OUTDIR/<db>.exim-z   stdout of `exim_dumpdb -z SPOOL <db>`  (TZ=UTC)
#   OUTDIR/<db>.exim-k   stdout of `exim_dumpdb -k SPOOL <db>`
# and, for each of those, <file>.err (stderr) and <file>.rc (exit status).
# stdout goes straight to the file: tls records print raw binary bytes.
#
# exim_dumpdb takes a read lock on SPOOL/db/<db>.lockfile and opens the DB
# read-only, so SPOOL is not modified.  SPOOL is made absolute because the
# Berkeley DB build resolves the file name against its environment home
# (SPOOL/db), so a relative spool path fails to open.
# Environment: EXIM_DUMPDB (default /usr/sbin/exim_dumpdb).
set -eu

die() { printf 'golden: %s\n' "$*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 OUTDIR SPOOL"
DUMPDB=${EXIM_DUMPDB:-/usr/sbin/exim_dumpdb}
[ -x "$DUMPDB" ] || die "$DUMPDB not found (apt-get install exim4-base)"
[ -d "$2/db" ] || die "$2/db: no such directory"
SPOOL=$(cd "$2" && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

n=0
for f in "$SPOOL"/db/*; do
	db=${f##*/}
	case $db in
	*.lockfile) continue ;;
	retry | misc | callout | ratelimit | seen | tls | wait-*) ;;
	*) die "unexpected file in $SPOOL/db: $db" ;;
	esac
	[ -f "$f" ] || continue
	for mode in "" -z -k; do
		o=$OUT/$db.exim$mode
		rc=0
		# shellcheck disable=SC2086 # $mode is empty or one option
		TZ=UTC "$DUMPDB" $mode "$SPOOL" "$db" >"$o" 2>"$o.err" || rc=$?
		echo "$rc" >"$o.rc"
	done
	n=$((n + 1))
done
[ "$n" -gt 0 ] || die "no hints databases in $SPOOL/db"
printf 'golden: %d databases dumped from %s into %s\n' "$n" "$SPOOL" "$OUT" >&2
