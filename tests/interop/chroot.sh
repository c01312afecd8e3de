#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# chroot.sh - the real Debian Exims, each in a minbase chroot of its own
# release, so that no MTA is ever installed on the host.
#
#   chroot.sh root SUITE          build the chroot if missing or broken, and
#                                 print its directory
#   chroot.sh run SUITE PROG ARG  run PROG (e.g. exim4, exim_dumpdb) in it
#   chroot.sh suites              the suites and their Exim versions
#   chroot.sh tool SUITE PKG PROG ARG  run PROG from Debian package PKG
#                                 (e.g. prometheus's promtool) in a copy
#                                 of the SUITE chroot with PKG installed
#   chroot.sh extra SUITE NAME [--download] PKG...
#                                 a copy of the SUITE chroot with the PKGs
#                                 installed (--download: only fetched into
#                                 its apt cache, with the package lists
#                                 they came from, for an apt-get install
#                                 with no download in a copy of it),
#                                 cached as SUITE+NAME and rebuilt
#                                 when the list changes; print its directory
#
# SUITE is bullseye (Exim 4.94.2), bookworm (4.96), trixie (4.98.2) or sid
# (4.100.1).  The
# chroots are cached in $HINTSDB_CHROOTS (default /var/cache/hintsdb-tests)
# and reused; a chroot whose exim4 -bV fails is rebuilt.  They come from the
# Debian mirror named in the host's apt sources, by debootstrap.  Inside, a
# policy-rc.d forbids every service start, so installing exim4 starts
# nothing.  libfaketime is installed too, so a test run under faketime
# (make check-future) fakes the clock of the chroot's Exim as well.
#
# `run` works in a private mount namespace (unshare -m): /proc, /dev/shm
# (where libfaketime keeps its state) and the temporary directory ($TMPDIR,
# default /tmp) are mounted into the chroot at the same paths there, so file
# names mean the same inside and out (the working directory too, when it is
# there), and the mounts vanish with the process on every exit path.  `run`
# execs, so the caller's $! is the PID of PROG itself.  A chroot is never
# built under libfaketime: its LD_PRELOAD and FAKETIME reach the Exims run
# in it, not debootstrap or apt.
#
# Where a chroot cannot be had (not root; no mount namespace, as in a
# container without CAP_SYS_ADMIN or inside another chroot; debootstrap
# missing; the mirror out of reach; a chroot that stays broken), chroot.sh
# fails at once with the cause and the fix.  With HINTSDB_CHROOT_STATUS
# set (a directory; tests/check.sh sets one per run), the cause is kept
# there, and later calls for that suite fail at once with it, without
# trying again.
set -eu

CACHE=${HINTSDB_CHROOTS:-/var/cache/hintsdb-tests}
# What a chroot holds; a chroot stamped otherwise is rebuilt.
PACKAGES="exim4-daemon-light libfaketime"
STAMP="hintsdb chroot 2: $PACKAGES"
TMP=${TMPDIR:-/tmp}
STATUS=${HINTSDB_CHROOT_STATUS:-}
# debootstrap and apt give up on a dead mirror by themselves, but slowly
BUILD_TIMEOUT=${HINTSDB_CHROOT_BUILD_TIMEOUT:-1800}

die() { printf 'chroot.sh: %s\n' "$*" >&2; exit 1; }

# unavailable SUITE CAUSE: the chroot cannot be had; kept in $STATUS
unavailable() {
	if [ -n "$STATUS" ]; then
		mkdir -p "$STATUS" && printf '%s\n' "$2" >"$STATUS/$1"
	fi
	die "no Exim $(version_of "$1") ($1 chroot): $2"
}

# build_fail CAUSE: building failed; the cause for ensure
build_fail() {
	printf '%s\n' "$1" >"$CACHE/$suite.why"
	die "$1"
}

version_of() {
	case $1 in
	bullseye) echo 4.94.2 ;;
	bookworm) echo 4.96 ;;
	trixie) echo 4.98.2 ;;
	sid) echo 4.100.1 ;;
	*) die "unknown suite '$1' (bullseye, bookworm, trixie or sid)" ;;
	esac
}

# mirror: the first Debian archive URI in the host's apt sources (one-line
# or deb822 format), not a security or third-party one
mirror() {
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null |
	    awk '
		/^deb[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }
		/^URIs:/ { print $2 }' |
	    grep -v -e security -e '^$' | grep '/debian/*$' | head -n 1)
	[ -n "$m" ] || build_fail "no Debian mirror named in /etc/apt/sources.list*: it needs a reachable Debian mirror once"
	echo "$m"
}

# in_root ROOT CMD...: exec CMD chrooted into ROOT with /proc, in a
# namespace (call it in a subshell unless it is the last thing done)
in_root() {
	r=$1
	shift
	exec unshare -m --propagation private sh -c '
		r=$1; t=$2; shift 2
		mount -t proc proc "$r/proc"
		# libfaketime shares its state through /dev/shm
		if [ -d /dev/shm ]; then
			mkdir -p "$r/dev/shm"
			mount --bind /dev/shm "$r/dev/shm"
		fi
		if [ -d "$t" ]; then
			mkdir -p "$r$t"
			mount --bind "$t" "$r$t"
		fi
		exec chroot "$r" /bin/sh -c "cd \"\$0\" 2>/dev/null || cd /
			exec \"\$@\"" "$PWD" "$@"' in_root "$r" "$TMP" "$@"
}

healthy() {
	[ "$(cat "$1/.hintsdb-ready" 2>/dev/null)" = "$STAMP" ] &&
	    (in_root "$1" /usr/sbin/exim4 -bV) >/dev/null 2>&1
}

build() {
	suite=$1
	root=$CACHE/$suite
	new=$root.new
	command -v debootstrap >/dev/null 2>&1 ||
	    build_fail "debootstrap is not installed (make check installs it)"
	m=$(mirror) || exit 1
	printf 'chroot.sh: building the %s chroot (Exim %s) from %s\n' \
	    "$suite" "$(version_of "$suite")" "$m" >&2
	rm -rf "$new" "$root"
	timeout "$BUILD_TIMEOUT" debootstrap --variant=minbase "$suite" "$new" \
	    "$m" >"$CACHE/$suite.log" 2>&1 ||
	    build_fail "debootstrap $suite failed: it needs root and a reachable Debian mirror ($m) once; see $CACHE/$suite.log"
	printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
	chmod 755 "$new/usr/sbin/policy-rc.d"
	# sid's Release file may be past its Valid-Until date
	echo 'Acquire::Check-Valid-Until "false";' >"$new/etc/apt/apt.conf.d/99hintsdb"
	(in_root "$new" timeout "$BUILD_TIMEOUT" sh -c 'DEBIAN_FRONTEND=noninteractive
		export DEBIAN_FRONTEND
		apt-get update -qq &&
		apt-get install -y -qq --no-install-recommends '"$PACKAGES") >>"$CACHE/$suite.log" 2>&1 ||
	    build_fail "installing exim4 in the $suite chroot failed (is $m reachable?); see $CACHE/$suite.log"
	(in_root "$new" apt-get clean) >/dev/null 2>&1 || true
	echo "$STAMP" >"$new/.hintsdb-ready"
	mv "$new" "$root"
}

# can_unshare: can this process make a private mount namespace?  Not in
# a container without CAP_SYS_ADMIN, nor inside a chroot (Invalid argument)
can_unshare() {
	unshare -m --propagation private true 2>"$TMP/.chroot-unshare.$$"
	_st=$?
	UNSHARE_ERR=$(head -n 1 "$TMP/.chroot-unshare.$$")
	rm -f "$TMP/.chroot-unshare.$$"
	return $_st
}

# ensure SUITE: the chroot, built under a lock so parallel runs share it
ensure() {
	version_of "$1" >/dev/null
	if [ -n "$STATUS" ] && [ -s "$STATUS/$1" ]; then
		die "no Exim $(version_of "$1") ($1 chroot): $(cat "$STATUS/$1")"
	fi
	[ "$(id -u)" = 0 ] ||
	    unavailable "$1" "it needs root (chroot, mount namespaces): run make check as root"
	can_unshare ||
	    unavailable "$1" "no private mount namespace here (${UNSHARE_ERR:-unshare failed}): run outside a container or chroot, or with CAP_SYS_ADMIN"
	mkdir -p "$CACHE" ||
	    unavailable "$1" "cannot make the chroot cache $CACHE"
	root=$CACHE/$1
	healthy "$root" && return 0
	exec 9>"$CACHE/$1.lock"
	flock 9
	rm -f "$CACHE/$1.why"
	# never under libfaketime (make check-future): apt and debootstrap
	# need the real date, and the chroot must not be stamped in the future
	healthy "$root" || (unset LD_PRELOAD FAKETIME FAKETIME_SHARED
	    build "$1") ||
	    unavailable "$1" "$(cat "$CACHE/$1.why" 2>/dev/null ||
		echo "building it failed; see $CACHE/$1.log")"
	exec 9>&-
	healthy "$root" ||
	    unavailable "$1" "the chroot is still broken after a rebuild (exim4 -bV fails in it); see $CACHE/$1.log"
}

# extra_root SUITE NAME [--download] PKG...: a copy of the SUITE chroot
# with the PKGs installed too (no recommends; policy-rc.d starts nothing),
# or with --download only fetched into its apt cache, cached beside it as
# SUITE+NAME and built once per package list, under a lock of its own.
# apt gives up on a dead mirror in seconds (a failed fetch is an error,
# connections time out), and the cause is kept as for the suite.
extra_root() {
	_s=$1 _n=$2
	shift 2
	_get=install
	if [ "${1:-}" = --download ]; then
		_get="install --download-only"
		shift
	fi
	case $_n in
	'' | *[!a-z0-9.+-]*) die "bad name '$_n'" ;;
	esac
	[ $# -gt 0 ] || die "extra $_s $_n: no package named"
	for _p in "$@"; do
		case $_p in
		'' | *[!a-z0-9.+-]*) die "bad package name '$_p'" ;;
		esac
	done
	ensure "$_s"
	if [ -n "$STATUS" ] && [ -s "$STATUS/$_s+$_n" ]; then
		die "no $_n chroot of $_s: $(cat "$STATUS/$_s+$_n")"
	fi
	troot=$CACHE/$_s+$_n
	case $_get in
	install) tstamp="$STAMP + $*" ;;
	*) tstamp="$STAMP + download: $*" ;;
	esac
	[ "$(cat "$troot/.hintsdb-ready" 2>/dev/null)" = "$tstamp" ] && return 0
	exec 8>"$troot.lock"
	flock 8
	if [ "$(cat "$troot/.hintsdb-ready" 2>/dev/null)" != "$tstamp" ]; then
		printf 'chroot.sh: %s in a copy of the %s chroot: %s\n' \
		    "$_get" "$_s" "$*" >&2
		rm -rf "$troot" "$troot.new"
		cp -a "$CACHE/$_s" "$troot.new" ||
		    die "cannot copy the $_s chroot to $troot.new"
		(unset LD_PRELOAD FAKETIME FAKETIME_SHARED
		    in_root "$troot.new" timeout "$BUILD_TIMEOUT" sh -c '
			DEBIAN_FRONTEND=noninteractive
			export DEBIAN_FRONTEND
			o="-o Acquire::Retries=1 -o Acquire::http::Timeout=20"
			o="$o -o Acquire::https::Timeout=20"
			apt-get update -qq --error-on=any $o &&
			apt-get $0 -y -qq --no-install-recommends $o "$@"' \
		    "$_get" "$@") >"$troot.log" 2>&1 || {
			rm -rf "$troot.new"
			_why="$_get $* in a copy of the $_s chroot failed: the Debian mirror it names ($(mirror_of "$CACHE/$_s")) is unavailable or lacks a package; see $troot.log"
			[ -z "$STATUS" ] || { mkdir -p "$STATUS" &&
			    printf '%s\n' "$_why" >"$STATUS/$_s+$_n"; }
			die "$_why"
		}
		[ "$_get" != install ] ||
		    (in_root "$troot.new" apt-get clean) >/dev/null 2>&1 || true
		echo "$tstamp" >"$troot.new/.hintsdb-ready"
		mv "$troot.new" "$troot"
	fi
	exec 8>&-
}

# mirror_of ROOT: the first archive a chroot's apt sources name
mirror_of() {
	awk '/^deb[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {
		print $i; exit } }' "$1/etc/apt/sources.list" 2>/dev/null
}

[ $# -ge 1 ] || die "usage: chroot.sh root SUITE | run SUITE PROG [ARG...] | tool SUITE PKG PROG [ARG...] | extra SUITE NAME [--download] PKG... | suites"
case $1 in
root)
	[ $# = 2 ] || die "usage: chroot.sh root SUITE"
	ensure "$2"
	echo "$CACHE/$2"
	;;
run)
	[ $# -ge 3 ] || die "usage: chroot.sh run SUITE PROG [ARG...]"
	suite=$2
	shift 2
	ensure "$suite"
	in_root "$CACHE/$suite" "$@"
	;;
tool)
	[ $# -ge 4 ] || die "usage: chroot.sh tool SUITE PKG PROG [ARG...]"
	extra_root "$2" "$3" "$3"
	root=$CACHE/$2+$3
	shift 3
	in_root "$root" "$@"
	;;
extra)
	[ $# -ge 4 ] || die "usage: chroot.sh extra SUITE NAME [--download] PKG..."
	shift
	extra_root "$@"
	echo "$CACHE/$1+$2"
	;;
suites)
	for s in bullseye bookworm trixie sid; do echo "$s $(version_of $s)"; done
	;;
*)
	die "unknown action '$1'"
	;;
esac
