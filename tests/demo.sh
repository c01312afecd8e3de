#!/bin/sh
# demo.sh HINTSDB SPOOL - the main job on a bundled sample spool: dump every
# hints database found there, decoded, after a line naming the Exim that
# wrote it (from its MANIFEST).  Works on a scratch copy, so the demo never
# touches the committed files (a reader creates nothing, but the copy makes
# that plain).
set -eu
HINTSDB=$1
SPOOL=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$SPOOL" "$work/spool"
printf '######## %s: written by %s\n' "$SPOOL" "$(sed -n \
    -e 's/^exim: Exim version \([^ ]*\).*/Exim \1/p' \
    -e 's/^exim_version \(.*\)/Exim \1/p' \
    "$SPOOL/MANIFEST" | head -n 1)"
for f in "$work"/spool/db/*; do
	case $f in
	*.lockfile) continue ;;
	esac
	name=$(basename "$f")
	printf '==== %s ====\n' "$name"
	"$HINTSDB" dump "$work/spool" "$name"
done
