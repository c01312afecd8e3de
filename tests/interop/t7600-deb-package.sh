#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# t7600-deb-package.sh - the Debian package, for real, on each release
# (bookworm 4.96, trixie 4.98.2, sid 4.100.1): `make deb` builds it from
# the tracked files in a throwaway copy of that release's chroot with the
# Build-Depends (lintian clean there), and in a throwaway copy of its Exim
# chroot (exim4-daemon-light installed) apt-get installs that release's
# package, hintsdb stat reads the spool as root and as Debian-exim (and
# README.Debian's exim_dumpdb line runs), the timer's service command, the cron.d example's line (under cron's PATH)
# and /etc/cron.daily/exim4-base run clean, hintsdb-takeover makes
# exim4-base's daily run use hintsdb (on sid beside Exim-like writers on
# its SQLite spool, which lose no write) and gives it back, and apt-get
# purge leaves dpkg -S, the diverts and the file system as before.
#
# The network is needed once per release and package list: chroot.sh
# caches the build chroot (SUITE+deb-build) and an Exim chroot holding the
# package's dependencies fetched into its apt cache (SUITE+deb-run), from
# which the copies install offline (apt-get, its proxy a closed port: a
# download would fail; --no-download refuses a .deb named on its command
# line, "Pathname to install is not absolute", apt 2.6); a mirror that
# cannot be reached fails the test at once with chroot.sh's reason.
# HINTSDB_DEB=FILE tests that package on every release instead of building
# one; DEB_SUITES narrows the releases.
. "$(dirname "$0")/../cli/lib.sh"

# check: split DEB_SUITES=bookworm trixie sid
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

# tls_count ROOT: the sessions in the chroot's tls DB
tls_count() {
	"$HINTSDB" dump -k --type=tls --file="$1/var/spool/exim4/db/tls" \
	    2>/dev/null | wc -l
}

# young_tls ROOT SPOOL: the sample SPOOL's tls sessions in the chroot
# (the timer's tidy above deleted them), re-stamped to now (on the real
# clock, as in_copy runs the chroot): young by Exim's 30 days, but their
# tickets expired two hours after the sample was made
young_tls() {
	rm -f "$1/var/spool/exim4/db/tls" &&
	cp "$2/db/tls" "$1/var/spool/exim4/db/tls" &&
	in_copy "$1" chown Debian-exim:Debian-exim /var/spool/exim4/db/tls &&
	env -u LD_PRELOAD -u FAKETIME -u FAKETIME_SHARED \
	    "$HELPER" restamp "$1/var/spool/exim4/db/tls" tls 0 &&
	"$HINTSDB" dump --type=tls --file="$1/var/spool/exim4/db/tls" |
	    grep -q "^  expires: .* ago)$"
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

# build_deps: debian/control's Build-Depends as package names (the first
# of alternatives; debhelper-compat is debhelper's)
build_deps() {
	awk '/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); print; next }
	    on && /^[ \t]/ { print; next } { on = 0 }' "$TOP/debian/control" |
	    tr , "\n" | sed "s/([^)]*)//g; s/|.*//; s/[[:space:]]//g
		s/^debhelper-compat$/debhelper/" | grep .
}

# run_deps DEB: the package names its Depends names (first alternatives)
run_deps() {
	dpkg-deb -f "$1" Depends | tr , "\n" |
	    sed "s/([^)]*)//g; s/|.*//; s/[[:space:]]//g" | grep .
}

# build_in SUITE OUT: make deb from the tracked (and untracked, not
# ignored) files, as a fresh git checkout without history holds them, in
# a throwaway copy of the SUITE build chroot; the package to OUT
build_in() {
	_b=$(sh "$TOP/tests/interop/chroot.sh" extra "$1" deb-build \
	    build-essential git lintian $(build_deps)) || return 1
	_c=$TRASH/build-$1
	rm -rf "$_c" && cp -a "$_b" "$_c" && mkdir -p "$_c/src/hintsdb" &&
	(cd "$TOP" && git ls-files -z -co --exclude-standard |
	    tar --null -T - -cf -) | tar -xf - -C "$_c/src/hintsdb" &&
	git -C "$_c/src/hintsdb" init -q &&
	in_copy "$_c" sh -c "cd /src/hintsdb && make deb" >build.out 2>&1 ||
	    { tail -n 30 build.out; rm -rf "$_c"; return 1; }
	cp "$_c"/src/hintsdb/build-deb/hintsdb_*.deb "$2" && rm -rf "$_c"
}

# the SQLite retry DB of sid's daily run beside the writers: N records
# k0..k<N-1> in v2, the even ones 40 days old, owned by Debian-exim
N=20000
export N

# A mirror that cannot be reached (here: a closed port) is a reason given
# at once, never a hang, and leaves no half-made chroot; the cached chroot
# is only linked to (its files are not written).
run_test "a missing mirror: chroot.sh says the mirror is unavailable" '
	s=${SUITES%% *} && base=$(sh "$TOP/tests/interop/chroot.sh" root $s) &&
	mkdir nm && cp -al "$base" nm/$s && rm nm/$s/etc/apt/sources.list &&
	echo "deb http://127.0.0.1:9/debian $s main" >nm/$s/etc/apt/sources.list &&
	! HINTSDB_CHROOTS=$PWD/nm HINTSDB_CHROOT_STATUS= timeout 600 \
	    sh "$TOP/tests/interop/chroot.sh" extra $s x --download hello \
	    >out 2>&1 && cat out &&
	grep -q "mirror it names (http://127.0.0.1:9/debian) is unavailable" out &&
	[ ! -e nm/$s+x ] && [ ! -e nm/$s+x.new ]
'

for suite in $SUITES; do
	case $suite in
	sid) spool=$TOP/examples/spool-4.100 ;;
	*) spool=$SPOOL_EX ;;
	esac
	R=$TRASH/root-$suite
	DEB=${HINTSDB_DEB:-$TRASH/hintsdb-$suite.deb}
	[ -n "${HINTSDB_DEB:-}" ] ||
	run_test "$suite: make deb in a copy of the $suite chroot, lintian clean" '
		build_in '"$suite"' "$DEB"'
	# without its package a release has nothing more to test
	[ -f "$DEB" ] || continue
	run_test "$suite: the package keeps the exim_* names out of /usr/sbin" '
		[ -f "$DEB" ] && dpkg-deb -c "$DEB" >list &&
		grep -q " ./usr/sbin/hintsdb$" list &&
		! grep -E " ./usr/sbin/exim_|/exim4-base" list &&
		grep -q "usr/lib/hintsdb/exim_tidydb -> ../../sbin/hintsdb" list &&
		grep -q " ./usr/share/bash-completion/completions/hintsdb$" list &&
		grep -q " ./usr/share/zsh/vendor-completions/_hintsdb$" list'
	run_test "$suite: a throwaway copy of the chroot with a spool" '
		base=$(sh "$TOP/tests/interop/chroot.sh" extra '"$suite"' \
		    deb-run --download $(run_deps "$DEB")) &&
		rm -rf "$R" && cp -a "$base" "$R" &&
		cp "$DEB" "$R/tmp/hintsdb.deb" &&
		cp "$spool"/db/* "$R/var/spool/exim4/db/" &&
		in_copy "$R" chown -R Debian-exim:Debian-exim /var/spool/exim4/db &&
		snap "$R" >"$TRASH/before-'"$suite"'"'
	run_test "$suite: apt-get installs it offline; timer and cron shipped disabled" '
		in_copy "$R" apt-get install -y -qq --no-install-recommends \
		    -o Acquire::http::Proxy=http://127.0.0.1:9/ \
		    /tmp/hintsdb.deb >out 2>&1 ||
		    { tail -n 20 out; false; } &&
		in_copy "$R" dpkg -S /usr/sbin/hintsdb | grep -q "^hintsdb:" &&
		in_copy "$R" dpkg -S /usr/sbin/exim_tidydb |
		    grep -q "^exim4-base:" &&
		[ ! -e "$R/etc/systemd/system/timers.target.wants/hintsdb-tidy.timer" ] &&
		grep -q "^#.*hintsdb tidy" "$R/etc/cron.d/hintsdb" &&
		! grep -v "^#" "$R/etc/cron.d/hintsdb" | grep -q .'
	run_test "$suite: hintsdb stat as root and as Debian-exim, the exim_dumpdb line of README.Debian" '
		in_copy "$R" hintsdb stat /var/spool/exim4 >root.out 2>&1 &&
		grep -q retry root.out &&
		line=$(sed -n "s|^  \(/usr/lib/hintsdb/exim_dumpdb .*\)$|\1|p" \
		    "$TOP/debian/README.Debian") && [ -n "$line" ] &&
		in_copy "$R" sh -c "$line" >dump.out 2>&1 &&
		grep -q "^[0-9][0-9]-[A-Z][a-z][a-z]-[0-9]* " dump.out ||
		    { echo "README.Debian: $line"; cat dump.out; false; } &&
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
		foreign_retry "$R" '"$suite"' && young_tls "$R" "$spool" &&
		n=$(retry_count "$R") && [ "$n" -gt 0 ] &&
		t=$(tls_count "$R") && [ "$t" -gt 0 ] &&
		{ in_copy "$R" /etc/cron.daily/exim4-base >/dev/null 2>&1 || :; } &&
		[ "$(retry_count "$R")" = "$n" ] ||
		    { echo "Exim'"'"'s exim_tidydb tidied a foreign DB"; false; } &&
		[ "$(tls_count "$R")" = "$t" ] ||
		    { echo "Exim'"'"'s exim_tidydb expired a young session"; false; } &&
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
		[ "$(tls_count "$R")" = 0 ] ||
		    { echo "the daily run left $(tls_count "$R") of $t expired sessions"; false; } &&
		in_copy "$R" hintsdb stat /var/spool/exim4 >/dev/null'
	[ $suite != sid ] ||
	run_test "$suite: the daily run beside Exim-like writers on SQLite: no write lost" '
		# the real clock, which the chroot runs on (make check-future)
		unset LD_PRELOAD FAKETIME FAKETIME_SHARED
		db=$R/var/spool/exim4/db/retry &&
		mkdir -p big/db && bigretry "$PWD/big/db/retry" &&
		rm -f "$db" "$db.lockfile" && "$HINTSDB" convert --to-backend=sqlite \
		    --to-layout=v2 --output="$db" big retry &&
		in_copy "$R" chown Debian-exim:Debian-exim /var/spool/exim4/db/retry &&
		WRITERS_DB=$db WRITERS_LAYOUT=v2 writers || exit 1
		# HOLD_RECORDS: many holds whatever the speed (the writers
		# get in between); exim4-base passes the environment on
		in_copy "$R" env HINTSDB_TEST_HOLD_RECORDS=500 \
		    /etc/cron.daily/exim4-base >cron.out 2>&1
		rc=$?; echo "exim4-base: exit $rc"; cat cron.out
		writers_done || { echo "a write failed"; exit 1; }
		WRITERS_DB=$db acked_kept ||
		    { echo "acknowledged writes missing:"; comm -23 want have; exit 1; }
		"$HINTSDB" dump -k --type=retry --file="$db" >keys &&
		[ "$(grep -c "^k[0-9]*[13579]$" keys)" = $((N / 2)) ] &&
		! grep -q "^k[0-9]*[02468]$" keys ||
		    { echo "not tidied: $(grep -c "^k" keys) k records"; exit 1; }
	'
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
