#!/bin/sh
# t0010-deps.sh - tests/deps.sh on a stand-in system: a fake dpkg status
# (dpkg-query --admindir, apt-get -s -o Dir::State::status=) in which a
# mail server is installed, and an apt-get that records its arguments,
# simulates with the real apt against the fake status, and installs
# nothing.  deps.sh must remove nothing, never name an MTA to apt, refuse
# a plan that removes a package, and never signal a process it did not
# start: a dummy "exim4" lives through every run.
. "$(dirname "$0")/lib.sh"

DEPS=$TOP/tests/deps.sh
REAL_APT=$(command -v apt-get)
MTA_RE='(^| )(exim4[^ ]*|postfix[^ ]*|sendmail[^ ]*|opensmtpd|nullmailer|msmtp-mta|ssmtp|dma|courier-mta|mail-transport-agent|default-mta)( |$)'

# A process named exim4 that deps.sh must leave alone.
cp "$(command -v sleep)" "$TRASH/exim4"
"$TRASH/exim4" 3600 &
DUMMY=$!
trap 'kill $DUMMY 2>/dev/null; cd /; [ -n "${HINTSDB_KEEP:-}" ] || rm -rf "$TRASH"' EXIT
POLICY_BEFORE=$(ls -l /usr/sbin/policy-rc.d 2>&1)

# Stubs that would stop or find daemons: any call is logged, and fails.
mkdir -p "$TRASH/bin"
for c in pkill pidof killall service systemctl invoke-rc.d start-stop-daemon; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/signals.log"\nexit 1\n' \
	    "$c" "$TRASH" >"$TRASH/bin/$c"
	chmod 755 "$TRASH/bin/$c"
done
# apt-get: logs; simulates (-s) with the real apt on $ADM/status; else no-op
cat >"$TRASH/bin/apt-get" <<EOF
#!/bin/sh
echo "\$*" >>"\$PWD/apt.log"
case " \$* " in
*" -s "*) exec "$REAL_APT" -o Dir::State::status="\$PWD/adm/status" "\$@" ;;
esac
exit 0
EOF
chmod 755 "$TRASH/bin/apt-get"
PATH=$TRASH/bin:$PATH

# stanza PACKAGE VERSION [FIELD...]: an installed package for adm/status
stanza() {
	p=$1 v=$2
	shift 2
	printf 'Package: %s\nStatus: install ok installed\nPriority: optional\n' "$p"
	printf 'Section: mail\nMaintainer: Stand-in <nobody@example.org>\n'
	printf 'Architecture: amd64\nVersion: %s\n' "$v"
	for f in "$@"; do printf '%s\n' "$f"; done
	printf 'Description: stand-in\n x\n\n'
}

# deps ARG...: deps.sh against ./adm, output in out, status in rc
deps() {
	: >apt.log
	APT_GET="$TRASH/bin/apt-get" DPKG_QUERY="dpkg-query --admindir=$PWD/adm" \
	    sh "$DEPS" "$@" >out 2>&1
	echo $? >rc
}

# apt_words: every word deps.sh passed to apt-get
apt_words() { tr ' ' '\n' <apt.log | grep -v '^-' | grep -v '^$'; }

# One run on a system with exim4-daemon-heavy, checked by the next two tests.
mkdir -p "$TRASH/heavy/adm" && cd "$TRASH/heavy" &&
stanza exim4-daemon-heavy 4.96-15+deb12u7 \
    "Provides: exim4-localscanapi-6.0, mail-transport-agent" \
    "Conflicts: exim4-daemon-light, mail-transport-agent" >adm/status &&
deps check
cd "$TRASH" || exit 1

run_test "with exim4-daemon-heavy installed: installs, never names an MTA" '
	[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
	test -n "$(ls /var/lib/apt/lists/*Packages* 2>/dev/null)" ||
	    { echo "no apt lists (apt-get update)"; exit 1; }
	cd ../heavy && [ "$(cat rc)" = 0 ] &&
	grep -q "^install -y .*--no-remove.* faketime" apt.log &&
	grep -q "^-s install .* debootstrap" apt.log &&
	! grep -Eq "$MTA_RE" apt.log &&
	apt_words | grep -qx clang
'
run_test "...and the install it asked for removes nothing there" '
	cd ../heavy &&
	args=$(sed -n "s/^install -y //p" apt.log | sed "s/--no-remove//") &&
	[ -n "$args" ] &&
	"$REAL_APT" -s -o Dir::State::status="$PWD/adm/status" \
	    install $args >plan 2>&1 &&
	grep -q "^Inst faketime " plan && ! grep -q "^Remv" plan
'
# A local postfix build that conflicts with a test tool: apt would remove
# it to install faketime.
run_test "a plan that would remove postfix is refused, naming it" '
	mkdir -p adm && stanza postfix 99.0-local \
	    "Provides: mail-transport-agent" \
	    "Conflicts: mail-transport-agent, faketime" >adm/status &&
	deps check && [ "$(cat rc)" = 1 ] &&
	grep -q "^deps: refusing: installing .* would remove postfix$" out &&
	! grep -q "^install" apt.log && grep -q "^-s install" apt.log
'
run_test "make demo: only the build packages" '
	mkdir -p adm && : >adm/status && deps build && [ "$(cat rc)" = 0 ] &&
	apt_words >w && grep -qx build-essential w && grep -qx libssl-dev w &&
	! grep -Eqx "clang|valgrind|debootstrap|faketime|python3" w
'
run_test "everything present: apt-get is not called at all" '
	printf "#!/bin/sh\necho install ok installed\n" >all &&
	chmod 755 all && : >apt.log &&
	APT_GET="$TRASH/bin/apt-get" DPKG_QUERY="$PWD/all" \
	    sh "$DEPS" check >out 2>&1 && [ ! -s out ] && [ ! -s apt.log ]
'
run_test "no daemon touched: the dummy exim4 lived through every run" '
	kill -0 $DUMMY && [ "$(cat /proc/$DUMMY/comm)" = exim4 ] &&
	[ ! -e "$TRASH/signals.log" ] &&
	[ "$(ls -l /usr/sbin/policy-rc.d 2>&1)" = "$POLICY_BEFORE" ]
'
test_done
