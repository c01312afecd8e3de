#!/bin/sh
# deps.sh - install the Debian packages hintsdb needs to build, demo and test.
# Idempotent and quiet when everything is present. Installing exim4 must not
# leave Debian's own daemon running: a policy-rc.d forbids service starts for
# the duration of the install, and any daemon the package started is stopped.
set -eu

PKGS="build-essential pkg-config clang libdb5.3-dev libgdbm-dev libgdbm-compat-dev
libtdb-dev libsqlite3-dev libbsd-dev libssl-dev libjansson-dev libcmocka-dev
exim4-daemon-light db5.3-util gdbmtool tdb-tools sqlite3 mandoc openssl
gnutls-bin python3 procps prometheus python3-prometheus-client libclang-rt-14-dev
valgrind"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install)" >&2
	exit 1
fi

policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	made_policy=1
fi
cleanup() { if [ -n "$made_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# A daemon started anyway (no policy-rc.d honoured) is stopped here.
if pidof exim4 >/dev/null 2>&1; then
	/etc/init.d/exim4 stop >/dev/null 2>&1 || pkill -x exim4 || true
fi
exit 0
