#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# t7600-deb-package.sh - the Debian package, for real: `make deb` builds it
# (lintian clean), then in a throwaway copy of each Exim chroot (bookworm
# 4.96, trixie 4.98.2, sid 4.100.1; exim4-daemon-light installed) apt-get
# installs it, hintsdb stat reads the spool as root and as Debian-exim,
# the timer's service command, the cron.d example's line (under cron's
# PATH) and /etc/cron.daily/exim4-base run clean,
# hintsdb-takeover makes exim4-base's daily run use hintsdb and gives it
# back, and apt-get purge leaves dpkg -S, the diverts and the file system
# as before.  The package is built once, on this host; the cached chroots
# are never changed.  apt-get in the copies needs the Debian mirror (for
# the libraries the chroots lack).  HINTSDB_DEB=FILE tests that package
# instead of building one; DEB_SUITES narrows the suites.
. "$(dirname "$0")/../cli/lib.sh"

SUITES=${DEB_SUITES:-bookworm trixie sid}
DAY=86400

# in_copy ROOT CMD...: CMD as root in the chroot ROOT with /proc, in a
# private mount namespace (the mount goes with the process)
in_copy() {
	_r=$1
	shift
	unshare -m --propagation private sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && exec chroot "$r" "$@"' \
	    in_copy "$_r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"
}

# snap ROOT: what install and purge must leave as they found: the file
# system (paths, types, modes, owners, link targets; not dpkg's and apt's
# own state, logs, caches or the spool the tests tidy), the diverts and
# the owner and contents of /usr/sbin/exim_tidydb
snap() {
	in_copy "$1" sh -c '
		find / -xdev \( -path /proc -o -path /dev -o -path /tmp \
		    -o -path /run -o -path /var/lib/dpkg -o -path /var/lib/apt \
		    -o -path /var/cache -o -path /var/log \
		    -o -path /var/spool/exim4 -o -path /etc/ld.so.cache \) \
		    -prune -o -printf "%p %y %m %u:%g %l\n" | sort
		dpkg-divert --list | sort
		dpkg -S /usr/sbin/exim_tidydb
		sha256sum /usr/sbin/exim_tidydb'
}

# retry_count ROOT: the records in the chroot's retry DB, by the host's
# hintsdb (which reads every backend)
retry_count() {
	"$HINTSDB" dump --format=json --type=retry \
	    --file="$1/var/spool/exim4/db/retry" 2>/dev/null | grep -c '"key"'
}

# foreign_retry ROOT SUITE: the chroot's retry DB in a backend its Exim
# cannot open (GDBM beside a Berkeley DB Exim, Berkeley DB beside a SQLite
# one), its records 40 days old, with the lockfile those backends use:
# Exim's exim_tidydb fails on it, hintsdb's deletes them all
foreign_retry() {
	case $2 in
	sid) _b=bdb ;;
	*) _b=gdbm ;;
	esac
	rm -rf fr && mkdir -p fr/db && cp -a "$1/var/spool/exim4/db/retry" fr/db/ &&
	# on the real clock, as in_copy runs the chroot (env -i: no faketime)
	env -u LD_PRELOAD -u FAKETIME -u FAKETIME_SHARED \
	    "$HELPER" restamp "$PWD/fr/db/retry" retry $((40 * DAY)) &&
	"$HINTSDB" convert --to-backend=$_b --output="$PWD/fr/db/retry.new" \
	    fr retry &&
	rm -f "$1/var/spool/exim4/db/retry" &&
	cp fr/db/retry.new "$1/var/spool/exim4/db/retry" &&
	: >>"$1/var/spool/exim4/db/retry.lockfile" &&
	in_copy "$1" chown Debian-exim:Debian-exim /var/spool/exim4/db/retry \
	    /var/spool/exim4/db/retry.lockfile
}

# the service's command, as systemd would run it (as root)
service_cmd() {
	in_copy "$1" sh -c 'f=$(ls /lib/systemd/system/hintsdb-tidy.service \
	    /usr/lib/systemd/system/hintsdb-tidy.service 2>/dev/null | head -n 1)
		[ -n "$f" ] || { echo "no hintsdb-tidy.service"; exit 1; }
		cmd=$(sed -n "s/^ExecStart=//p" "$f")
		echo "running: $cmd"
		$cmd'
}

DEB=${HINTSDB_DEB:-}
if [ -z "$DEB" ]; then
	run_test "make deb builds the package and lintian finds nothing" '
		make -C "$TOP" --no-print-directory deb DEB_B="$TRASH/deb" \
		    >out 2>&1 || { tail -n 30 out; false; }'
	DEB=$(ls "$TRASH"/deb/hintsdb_*.deb 2>/dev/null | head -n 1)
fi

run_test "the package keeps the exim_* names out of /usr/sbin" '
	[ -f "$DEB" ] && dpkg-deb -c "$DEB" >list &&
	grep -q " ./usr/sbin/hintsdb$" list &&
	! grep -E " ./usr/sbin/exim_|/exim4-base" list &&
	grep -q "usr/lib/hintsdb/exim_tidydb -> ../../sbin/hintsdb" list &&
	grep -q " ./usr/share/bash-completion/completions/hintsdb$" list &&
	grep -q " ./usr/share/zsh/vendor-completions/_hintsdb$" list'

for suite in $SUITES; do
	case $suite in
	sid) spool=$TOP/examples/spool-4.100 ;;
	*) spool=$SPOOL_EX ;;
	esac
	R=$TRASH/root-$suite
	run_test "$suite: a throwaway copy of the chroot with a spool" '
		base=$(sh "$TOP/tests/interop/chroot.sh" root '"$suite"') &&
		rm -rf "$R" && cp -a "$base" "$R" &&
		cp /etc/resolv.conf "$R/etc/resolv.conf" &&
		cp "$DEB" "$R/tmp/hintsdb.deb" &&
		cp "$spool"/db/* "$R/var/spool/exim4/db/" &&
		in_copy "$R" chown -R Debian-exim:Debian-exim /var/spool/exim4/db &&
		snap "$R" >"$TRASH/before-'"$suite"'"'
	run_test "$suite: apt-get installs it; timer and cron shipped disabled" '
		in_copy "$R" sh -c "apt-get update -qq &&
		    apt-get install -y -qq --no-install-recommends \
		    /tmp/hintsdb.deb" >out 2>&1 || { tail -n 20 out; false; } &&
		in_copy "$R" dpkg -S /usr/sbin/hintsdb | grep -q "^hintsdb:" &&
		in_copy "$R" dpkg -S /usr/sbin/exim_tidydb |
		    grep -q "^exim4-base:" &&
		[ ! -e "$R/etc/systemd/system/timers.target.wants/hintsdb-tidy.timer" ] &&
		grep -q "^#.*hintsdb tidy" "$R/etc/cron.d/hintsdb" &&
		! grep -v "^#" "$R/etc/cron.d/hintsdb" | grep -q .'
	run_test "$suite: hintsdb stat works as root and as Debian-exim" '
		in_copy "$R" hintsdb stat /var/spool/exim4 >root.out 2>&1 &&
		grep -q retry root.out &&
		in_copy "$R" runuser -u Debian-exim -- \
		    hintsdb stat /var/spool/exim4 >exim.out 2>&1 &&
		grep -q retry exim.out ||
		{ cat root.out exim.out; false; }'
	run_test "$suite: the timer's service, the cron.d line and exim4-base's daily run, clean" '
		service_cmd "$R" >svc.out 2>&1 || { cat svc.out; false; } &&
		cmd=$(sed -n "s/^#[0-9][^	]*	root	//p" "$R/etc/cron.d/hintsdb") &&
		[ -n "$cmd" ] &&
		in_copy "$R" env PATH=/usr/bin:/bin sh -c "$cmd" >crond.out 2>&1 &&
		[ ! -s crond.out ] || { echo "cron.d: $cmd"; cat crond.out; false; } &&
		in_copy "$R" /etc/cron.daily/exim4-base >cron.out 2>&1 ||
		    { cat cron.out; false; }'
	run_test "$suite: after hintsdb-takeover exim4-base's daily run is hintsdb's tidy" '
		foreign_retry "$R" '"$suite"' &&
		n=$(retry_count "$R") && [ "$n" -gt 0 ] &&
		{ in_copy "$R" /etc/cron.daily/exim4-base >/dev/null 2>&1 || :; } &&
		[ "$(retry_count "$R")" = "$n" ] ||
		    { echo "Exim'"'"'s exim_tidydb tidied a foreign DB"; false; } &&
		in_copy "$R" hintsdb-takeover enable >en.out 2>&1 &&
		in_copy "$R" hintsdb-takeover status | grep -q "^enabled" &&
		[ "$(readlink "$R/usr/sbin/exim_tidydb")" = hintsdb ] &&
		[ "$(in_copy "$R" dpkg-divert --listpackage /usr/sbin/exim_tidydb)" = hintsdb ] &&
		in_copy "$R" dpkg -S /usr/sbin/exim_tidydb >owner &&
		grep -q "^exim4-base: /usr/sbin/exim_tidydb$" owner &&
		grep -q "^diversion by hintsdb to: /usr/sbin/exim_tidydb.exim4$" owner &&
		sha=$(tail -n 1 "$TRASH/before-'"$suite"'" | cut -d" " -f1) &&
		[ "$(sha256sum <"$R/usr/sbin/exim_tidydb.exim4" | cut -d" " -f1)" = "$sha" ] &&
		in_copy "$R" /etc/cron.daily/exim4-base >cron.out 2>&1 ||
		    { cat en.out cron.out; false; } &&
		[ "$(retry_count "$R")" = 0 ] ||
		    { echo "the daily run left $(retry_count "$R") of $n"; false; } &&
		in_copy "$R" hintsdb stat /var/spool/exim4 >/dev/null'
	run_test "$suite: hintsdb-takeover disable puts Debian's exim_tidydb back" '
		in_copy "$R" hintsdb-takeover disable >dis.out 2>&1 &&
		in_copy "$R" hintsdb-takeover status | grep -q "^disabled" &&
		snap "$R" | grep -v "^/" >after &&
		grep -v "^/" "$TRASH/before-'"$suite"'" >before &&
		diff before after'
	run_test "$suite: purge removes every file and takes the divert back" '
		in_copy "$R" hintsdb-takeover enable >/dev/null &&
		in_copy "$R" sh -c "apt-get purge -y -qq hintsdb &&
		    apt-get autoremove --purge -y -qq" >out 2>&1 ||
		    { tail -n 20 out; false; } &&
		snap "$R" >after && diff "$TRASH/before-'"$suite"'" after &&
		! in_copy "$R" dpkg -S /usr/sbin/hintsdb 2>/dev/null'
	rm -rf "$R"
done

test_done
