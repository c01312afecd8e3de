#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# golden.sh OUTDIR SPOOL - record what the real exim_dumpdb of release
# $EXIM_SUITE (bookworm 4.96 by default, trixie 4.98.2, sid 4.100.1; run in
# its chroot by chroot.sh) prints for every hints DB in SPOOL/db, as golden
# files for hintsdb's compatibility tests.
#
# For each DB <db> (every file in SPOOL/db except *.lockfile) it writes
#   OUTDIR/<db>.exim     stdout of `exim_dumpdb SPOOL <db>`     (TZ=UTC)
#   OUTDIR/<db>.exim-z   stdout of `exim_dumpdb -z SPOOL <db>`  (TZ=UTC)
#   OUTDIR/<db>.exim-k   stdout of `exim_dumpdb -k SPOOL <db>`
# and, for each of those, <file>.err (stderr) and <file>.rc (exit status).
# stdout goes straight to the file: tls records print raw binary bytes.
#
# exim_dumpdb reads a scratch copy of SPOOL under $TMPDIR (the one
# directory the chroot shares), by its absolute path: the Berkeley DB build
# resolves the file name against its environment home (SPOOL/db), so a
# relative spool path fails to open.  SPOOL is not modified.
# Environment: EXIM_SUITE, or EXIM_DUMPDB (a command) to run another one.
set -eu

die() { printf 'golden: %s\n' "$*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 OUTDIR SPOOL"
DUMPDB=${EXIM_DUMPDB:-sh $(cd "$(dirname "$0")" && pwd)/chroot.sh run ${EXIM_SUITE:-bookworm} exim_dumpdb}
[ -d "$2/db" ] || die "$2/db: no such directory"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/golden.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -a "$2" "$tmp/spool"
SPOOL=$tmp/spool
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
		TZ=UTC $DUMPDB $mode "$SPOOL" "$db" >"$o" 2>"$o.err" || rc=$?
		echo "$rc" >"$o.rc"
	done
	n=$((n + 1))
done
[ "$n" -gt 0 ] || die "no hints databases in $SPOOL/db"
printf 'golden: %d databases dumped from %s into %s\n' "$n" "$2" "$OUT" >&2
