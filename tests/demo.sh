#!/bin/sh
# demo.sh - the main job on the bundled sample spool: dump every hints
# database found there, decoded.  Works on a scratch copy, so the demo never
# touches the committed files (a reader creates nothing, but the copy makes
# that plain).
set -eu
HINTSDB=$1
SPOOL=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$SPOOL" "$work/spool"
for f in "$work"/spool/db/*; do
	case $f in
	*.lockfile) continue ;;
	esac
	name=$(basename "$f")
	printf '==== %s ====\n' "$name"
	"$HINTSDB" dump "$work/spool" "$name"
done
