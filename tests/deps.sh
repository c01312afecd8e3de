#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# deps.sh [build|check] - install the Debian packages hintsdb needs.
#
#   build  the compiler, pkg-config and the -dev libraries (make demo)
#   check  those and the test tools (make check; the default)
#
# It never installs a mail transport agent nor any other daemon: the real
# Exims of the interop tests run in chroots (tests/interop/chroot.sh).
# Before installing, apt is asked for its plan (apt-get -s).  If the plan
# would remove any installed package, or install an MTA, nothing is done
# and the packages are named.  Nothing is stopped, started or signalled.
# Quiet, and changes nothing, when everything is present; `apt-get update`
# runs only when something is missing.
#
# Environment (for tests/cli/t0010-deps.sh): APT_GET, APT_CACHE and
# DPKG_QUERY, the commands used for apt-get, apt-cache and dpkg-query.
set -eu

APT_GET=${APT_GET:-apt-get}
DPKG_QUERY=${DPKG_QUERY:-dpkg-query}
APT_CACHE=${APT_CACHE:-apt-cache}

BUILD="build-essential pkg-config libdb5.3-dev libgdbm-dev libgdbm-compat-dev
libtdb-dev libsqlite3-dev libbsd-dev libssl-dev libjansson-dev"
# clang and libclang-rt-14-dev: the fuzzers; debootstrap: the Exim chroots;
# faketime: make check-future; python3-prometheus-client: stat's metrics;
# debhelper, fakeroot and lintian: make deb and its test (packaging tools,
# not run-time dependencies)
CHECK="clang libclang-rt-14-dev libcmocka-dev valgrind db5.3-util gdbmtool
tdb-tools sqlite3 mandoc openssl gnutls-bin python3 python3-prometheus-client
procps util-linux mount debootstrap faketime libfaketime debhelper fakeroot
lintian"

die() { printf 'deps: %s\n' "$*" >&2; exit 1; }

# mtas PACKAGE...: those that provide mail-transport-agent, the virtual
# package every Debian MTA provides.  apt knows (one apt-cache call for
# all, which is slow); no list of names here.
mtas() {
	[ $# -gt 0 ] || return 0
	$APT_CACHE show --no-all-versions "$@" 2>/dev/null | awk '
		/^Package:/ { p = $2 }
		/^Provides:/ && /[ ,]mail-transport-agent([ ,(]|$)/ {
			printf " %s", p }'
}

case ${1:-check} in
build) PKGS=$BUILD ;;
check) PKGS="$BUILD $CHECK" ;;
*) die "usage: deps.sh [build|check]" ;;
esac

missing=
for p in $PKGS; do
	$DPKG_QUERY -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

[ "$(id -u)" = 0 ] ||
    die "missing packages:$missing (run as root to install them)"

export DEBIAN_FRONTEND=noninteractive
$APT_GET update -qq >/dev/null || die "apt-get update failed"

# The plan: "Remv NAME [VERSION]" and "Inst NAME ..." lines.
# shellcheck disable=SC2086
plan=$($APT_GET -s install --no-install-recommends $missing 2>&1) ||
    die "apt cannot install$missing:
$plan"
removed=$(printf '%s\n' "$plan" | awk '$1 == "Remv" { printf " %s", $2 }')
[ -z "$removed" ] ||
    die "refusing: installing$missing would remove$removed"
# shellcheck disable=SC2046
mtas=$(mtas $(printf '%s\n' "$plan" | awk '$1 == "Inst" { print $2 }'))
[ -z "$mtas" ] || die "refusing: installing$missing would install$mtas (an MTA)"

echo "deps: installing$missing" >&2
# --no-remove: should the plan change meanwhile, apt still removes nothing
# shellcheck disable=SC2086
$APT_GET install -y -qq --no-install-recommends --no-remove $missing >/dev/null ||
    die "apt-get install failed"
