#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# compare-dump.sh SPOOL HINTSDB - compare `hintsdb dump --format=exim` (and
# the exim_dumpdb compatibility name, and dump --exim-version=V) with the
# real exim_dumpdb of release $EXIM_SUITE (bullseye 4.94.2, bookworm 4.96,
# trixie 4.98.2, sid 4.100.1; run in its chroot by chroot.sh, or
# $EXIM_DUMPDB) on every database of SPOOL, byte for byte, except the
# deviations that hintsdb-dump(8) documents:
#   tls        the session is summarised; only "  <key> " must match
#   ratelimit  unique records show the Bloom epoch after "epoch: "
#   callout    result 3 shows as reject_mfnull, not unknown
#   keys       control bytes in keys are escaped (vis), not raw
# 4.94.2's exim_dumpdb has neither -z nor -k: it is compared without them,
# on UTC (its times are local), and speaks as 4.96 does.
# Prints a diff and exits 1 on any other difference.
set -u
SPOOL=$(cd "$1" && pwd)	# absolute: the same path inside the chroot
HINTSDB=$2
COMPAT=$(dirname "$HINTSDB")/exim_dumpdb
SUITE=${EXIM_SUITE:-bookworm}
DUMPDB=${EXIM_DUMPDB:-sh $(dirname "$0")/chroot.sh run $SUITE exim_dumpdb}
ZS="'' -z"	# the -z settings compared; KEYS=1: -k too
KEYS=1
case $SUITE in
bullseye) VER=4.96 ZS="''" KEYS=0 ;;
bookworm) VER=4.96 ;;
trixie) VER=4.98 ;;
*) VER=4.100 ;;
esac
export TZ=UTC LC_ALL=C
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# escape_keys DB FILE: Exim's output with raw keys replaced by our escaped
# forms (pairs from our unsorted -k json and -k exim output, same order)
escape_keys() {
	"$HINTSDB" dump -k --unsorted --format=json "$SPOOL" "$1" >"$tmp/kj"
	"$HINTSDB" dump -k --unsorted --format=exim "$SPOOL" "$1" >"$tmp/ke"
	python3 - "$tmp/kj" "$tmp/ke" "$2" <<-'PY'
	import base64, json, sys
	raw = []
	for line in open(sys.argv[1]):
	    o = json.loads(line)
	    if "key_b64" in o:
	        raw.append(base64.b64decode(o["key_b64"]).rstrip(b"\0"))
	    else:
	        raw.append(o["key"].encode())
	esc = [l[2:].rstrip(b"\n") for l in open(sys.argv[2], "rb")]
	data = open(sys.argv[3], "rb").read()
	for r, e in zip(raw, esc):
	    if r != e:
	        data = data.replace(r, e)
	sys.stdout.buffer.write(data)
	PY
}

normalise() {	# db file: apply the documented deviations
	escape_keys "$1" "$2" >"$tmp/esc"
	case $1 in
	# Exim prints the session raw: a newline byte in it starts a line
	# of its own, which is dropped with the session
	tls) LC_ALL=C awk '/^  [0-9a-f]/ && $1 ~ /^[0-9a-f]+$/ &&
	    length($1) == 64 { print "  " $1 }' "$tmp/esc" ;;
	ratelimit) sed -E 's/ epoch: [0-9]{2}-[A-Z][a-z]{2}-[0-9]{4} [0-9:]{8} / epoch: <T> /' "$tmp/esc" ;;
	callout) sed -E 's/=reject_mfnull/=unknown/g' "$tmp/esc" ;;
	*) cat "$tmp/esc" ;;
	esac
}

for f in "$SPOOL"/db/*; do
	db=$(basename "$f")
	case $db in *.lockfile) continue ;; esac
	eval "set -- $ZS"
	for z in "$@"; do
		$DUMPDB $z "$SPOOL" "$db" >"$tmp/exim" 2>"$tmp/exim.err"
		er=$?
		"$HINTSDB" dump --format=exim $z "$SPOOL" "$db" >"$tmp/ours" 2>"$tmp/ours.err"
		or=$?
		"$COMPAT" $z "$SPOOL" "$db" >"$tmp/compat" 2>/dev/null
		cr=$?
		"$HINTSDB" dump --format=exim --exim-version=$VER $z "$SPOOL" "$db" \
		    >"$tmp/forced" 2>/dev/null
		fr=$?
		normalise "$db" "$tmp/exim" >"$tmp/exim.n"
		normalise "$db" "$tmp/ours" >"$tmp/ours.n"
		normalise "$db" "$tmp/compat" >"$tmp/compat.n"
		if ! cmp -s "$tmp/exim.n" "$tmp/ours.n" || [ $er -ne $or ]; then
			echo "differs: $db $z (exim status $er, ours $or)"
			diff "$tmp/exim.n" "$tmp/ours.n" | head -n 20
			fail=1
		fi
		if ! cmp -s "$tmp/exim.n" "$tmp/compat.n" || [ $er -ne $cr ]; then
			echo "differs: exim_dumpdb name, $db $z (exim $er, ours $cr)"
			diff "$tmp/exim.n" "$tmp/compat.n" | head -n 20
			fail=1
		fi
		normalise "$db" "$tmp/forced" >"$tmp/forced.n"
		if ! cmp -s "$tmp/exim.n" "$tmp/forced.n" || [ $er -ne $fr ]; then
			echo "differs: --exim-version=$VER, $db $z (exim $er, ours $fr)"
			diff "$tmp/exim.n" "$tmp/forced.n" | head -n 20
			fail=1
		fi
		# -k prints keys only: identical, tls included
		[ "$KEYS" = 1 ] || continue
		$DUMPDB -k "$SPOOL" "$db" >"$tmp/ek" 2>/dev/null
		escape_keys "$db" "$tmp/ek" >"$tmp/ek.n"
		"$COMPAT" -k "$SPOOL" "$db" >"$tmp/ok" 2>/dev/null
		if ! cmp -s "$tmp/ek.n" "$tmp/ok"; then
			echo "differs: -k $db"
			fail=1
		fi
	done
done
exit $fail
