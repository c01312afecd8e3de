#!/bin/sh
# t5500-upgrade-readme.sh - the exact commands of the README section
# "Upgrading Exim without losing hints" (taken from README itself), run
# block by block against the real Debian Exims in their chroots
# (tests/interop/chroot.sh): bullseye's 4.94.2, bookworm's 4.96, trixie's
# 4.98.2 and sid's 4.100.1, and the README's table of what each step
# between them finds, in both directions.  Paths are moved into the scratch directory, systemctl is a
# no-op, and "the installed Exim" is a directory on PATH whose exim4 runs
# one release's Exim in its chroot, as the package would install it.
#
# The 4.98.2 spool is written by trixie's Exim on loopback: a callout to a
# stub SMTP server (a domain and two address records) and a delivery to a
# port where nothing listens (a host retry record).  After each upgrade a
# real Exim of the target release must honour both, by its debug output:
# "callout cache: found domain record" and "retry time not reached for any
# host", and its exim_dumpdb must list every converted record.
#
# Between releases the spool is given to the next release's Exim user (its
# uid differs between the chroots; on a real system it stays the same).
# Under make check-future this file runs on the real clock: the live Exims
# re-execute themselves setuid for deliveries, the loader then drops
# libfaketime, and their retry records would be written on one clock and
# tidied on the other.  Everything it checks is made now, at test time.
if [ -n "${FAKETIME:-}" ]; then
	exec env -u LD_PRELOAD -u FAKETIME -u FAKETIME_SHARED sh "$0" "$@"
fi
# check: serial (it uses fixed loopback ports; tests/check.sh)
. "$(dirname "$0")/lib.sh"

TEXT=$TRASH/section
# the section runs from its title to the next underlined title
awk '/^Upgrading Exim without losing hints$/ { on = 1 }
	on && ++n > 2 && /^---+$/ { exit }
	on { print }' "$TOP/README" >"$TEXT"
NOW=--now=2030-01-01T00:00:00Z
CHROOT="sh $TOP/tests/interop/chroot.sh"
PDEAD=${HINTSDB_PORT_UPGRADE_DEAD:-23501}	# nothing may listen here
PSTUB=${HINTSDB_PORT_UPGRADE_STUB:-23502}	# the stub SMTP server
PDAEMON=${HINTSDB_PORT_UPGRADE_DAEMON:-23503}	# sid's daemon, briefly
HOSTPATH=/usr/sbin:/usr/bin:/sbin:/bin
# The README's steps find the Exim to ask on PATH, as an admin's shell does
# (lib.sh names none, so that other tests never see the host's).
unset HINTSDB_EXIM
BASEPATH=$(dirname "$HINTSDB"):$HOSTPATH
PATH=$BASEPATH
export PATH

# block N: the Nth command block (lines indented by five spaces), with
# the Debian paths moved here
block() {
	awk -v want="$1" '
		/^     / { if (!inb) { n++; inb = 1 } if (n == want) print substr($0, 6); next }
		{ inb = 0 }' "$TEXT" |
	sed -e "s|/var/spool/exim4|$TRASH/spool|g" -e "s|/root/|$TRASH/root/|g" \
	    -e "s|/usr/local/sbin/exim|$TRASH/src-exim|g" \
	    -e "s|/var/spool/exim\$|$TRASH/srcspool|g"
}
systemctl() { :; }

# release SUITE: make the SUITE's Exim the installed one (exim4 on PATH)
# and give it the spool
release() {
	PATH=$TRASH/bin-$1:$BASEPATH
	# an exim4 found on PATH runs as nobody, and these wrappers need
	# root for the chroot: name the same program, as an admin would
	HINTSDB_EXIM=$TRASH/bin-$1/exim4
	export PATH HINTSDB_EXIM
	chown -R "$(exim_uid "$1")" "$TRASH/spool"
}
exim_uid() {
	awk -F: '$1 == "Debian-exim" { print $3 ":" $4 }' \
	    "$($CHROOT root "$1")/etc/passwd"
}
for s in bullseye bookworm trixie sid; do
	mkdir -p "$TRASH/bin-$s"
	printf '#!/bin/sh\nPATH=%s exec %s run %s exim4 "$@"\n' "$HOSTPATH" \
	    "$CHROOT" "$s" >"$TRASH/bin-$s/exim4"
	chmod 755 "$TRASH/bin-$s/exim4"
done
chmod 755 "$TRASH"

# exim SUITE ARGS: that release's exim4 with the client config
exim() { _s=$1; shift; PATH=$HOSTPATH $CHROOT run "$_s" exim4 -C "$TRASH/conf" "$@"; }
# callout SUITE: an SMTP session whose RCPT is verified by callout
callout() {
	printf 'HELO x\r\nMAIL FROM:<a@test.example>\r\nRCPT TO:<ok@verify.example>\r\nRCPT TO:<bad@verify.example>\r\nQUIT\r\n' |
	    exim "$1" -d -bs 2>callout.dbg >callout.out
}
# submit SUITE: a message to the dead port, delivered at once
submit() {
	printf 'Subject: t\n\nbody\n' |
	    exim "$1" -d -odi -f a@test.example user@remote.example 2>submit.dbg
}
# honoured SUITE: the release's Exim uses the callout and retry records
honoured() {
	callout "$1" && grep -q "^250 Accepted" callout.out &&
	grep -q "callout cache: found domain record for verify.example" \
	    callout.dbg &&
	grep -q "callout cache: found address record for ok@verify.example" \
	    callout.dbg &&
	submit "$1" && grep -q "retry time not reached for any host" submit.dbg &&
	! grep -q "Connection refused" submit.dbg
}
# listed SUITE [DB...]: the release's exim_dumpdb shows every key hintsdb
# finds in the DBs (all of the spool by default)
listed() {
	_s=$1; shift
	for db in ${@:-$(cd "$TRASH/spool/db" && ls | grep -v '\.lockfile$')}; do
		PATH=$HOSTPATH $CHROOT run "$_s" exim_dumpdb "$TRASH/spool" "$db" \
		    >"dumpdb.$db" 2>&1 &&
		"$HINTSDB" dump -k "$TRASH/spool" "$db" >"keys.$db" &&
		test -s "keys.$db" || return 1
		while read -r k; do
			grep -qF -- "$k" "dumpdb.$db" ||
			    { echo "$_s exim_dumpdb lacks $db '$k'"; return 1; }
		done <"keys.$db"
	done
}
# wait for the stub server
stub_ready() {
	_i=0
	while [ ! -e "$TRASH/stub.ready" ] && [ $_i -lt 300 ]; do
		sleep 0.1; _i=$((_i + 1)); done
	test -e "$TRASH/stub.ready"
}
# written SUITE: that release's Exim writes callout and retry records
written() {
	stub_ready && callout "$1" && grep -q "^250 Accepted" callout.out &&
	grep -q "^550.*no such user" callout.out &&
	submit "$1" && grep -q "Connection refused" submit.dbg &&
	hintsdb dump -k spool retry |
	    grep -qx "T:\[\{0,1\}127.0.0.1\]\{0,1\}:127.0.0.1:$PDEAD" &&
	test "$(hintsdb dump -k spool callout | wc -l)" -eq 3
}
dumps() {
	for db in $(cd spool/db && ls | grep -v '\.lockfile$'); do
		hintsdb dump --format=json $NOW spool "$db" || return 1
	done
}
# what bookworm's exim_dumpdb (4.96) shows
exim_dumps() {
	for db in $(cd spool/db && ls | grep -v '\.lockfile$'); do
		exim_run exim_dumpdb "$TRASH/spool" "$db" 2>&1
	done
}

# the client config, shared by every release
cat >"$TRASH/conf" <<EOF
primary_hostname = client.test.example
qualify_domain = test.example
spool_directory = $TRASH/spool
log_file_path = $TRASH/spool/log/%slog
keep_environment =
host_lookup =
rfc1413_hosts =
check_spool_space = 0
check_log_space = 0
acl_smtp_rcpt = rcpt
begin acl
rcpt:
  require verify = recipient/callout=5s
  accept
begin routers
verify:
  driver = manualroute
  domains = verify.example
  route_list = * 127.0.0.1
  transport = smtp_verify
  self = send
out:
  driver = manualroute
  route_list = * 127.0.0.1
  transport = smtp_out
  self = send
begin transports
smtp_verify:
  driver = smtp
  port = $PSTUB
smtp_out:
  driver = smtp
  port = $PDEAD
begin retry
* * F,2h,1h
EOF
# the stub SMTP server: ok@ and postmaster@ exist; it ends itself after
# ten minutes if this script dies first
cat >"$TRASH/stub.py" <<'EOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
s.settimeout(1)
open(sys.argv[2], "w").close()
end = time.time() + 600
while time.time() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(10)
    f = c.makefile("rb")
    c.sendall(b"220 stub ESMTP\r\n")
    for line in f:
        l = line.strip().upper()
        if l.startswith(b"RCPT"):
            ok = b"<OK@" in l or b"<POSTMASTER@" in l
            c.sendall(b"250 ok\r\n" if ok else b"550 no such user\r\n")
        elif l.startswith(b"QUIT"):
            c.sendall(b"221 bye\r\n")
            break
        else:
            c.sendall(b"250 ok\r\n")
    c.close()
EOF
"$PYTHON" "$TRASH/stub.py" "$PSTUB" "$TRASH/stub.ready" &
STUB_PID=$!
mkdir "$TRASH/root"

run_test "the section has its five command blocks" '
	test "$(block 1 | wc -l)" -eq 5 && test "$(block 2 | wc -l)" -eq 6 &&
	test "$(block 3 | wc -l)" -eq 4 && test "$(block 4 | wc -l)" -eq 2 &&
	test "$(block 5 | wc -l)" -eq 3 && test "$(block 6 | wc -l)" -eq 0 &&
	block 1 | grep -qx "hintsdb upgrade $TRASH/spool" &&
	block 2 | grep -qx "hintsdb upgrade $TRASH/spool" &&
	grep -q "^  11 <-> 12 (4.94.2, 4.96): nothing to convert" "$TEXT" &&
	grep -q "^  12 <-> 13 (4.96, 4.98.2): retry keys of hosts named by IP rewritten;" "$TEXT" &&
	[ "$(id -u)" = 0 ] || { echo "needs root (the chroots)"; exit 1; }
'
# README's table, 11 <-> 12: nothing to convert either way, and each
# Exim uses the other's callout and retry records
run_test "Debian 11 to 12 and back: nothing to convert, every hint used" '
	cd "$TRASH" && rm -rf spool && mkdir -p spool/log && release bullseye &&
	written bullseye && release bookworm &&
	expect_code 0 hintsdb upgrade -n spool >out &&
	grep -q "^plan: 0 of [0-9]* databases to convert for Exim 4.96, 0 records" out &&
	! grep -q "rewritten\|dropped" out &&
	expect_code 0 hintsdb check spool >out && test "$(wc -l <out)" -eq 1 &&
	listed bookworm callout retry && honoured bookworm &&
	release bullseye && expect_code 0 hintsdb upgrade -n spool >out &&
	grep -q "^plan: 0 of [0-9]* databases to convert for Exim 4.94.2, 0 records" out &&
	honoured bullseye && rm -rf spool
'
# 12 <-> 13: for a host named by its IP address (route_list = * 127.0.0.1),
# 4.98.2 writes and looks up the host retry key T:[IP]:IP:PORT, 4.96
# T:IP:IP:PORT; upgrade rewrites it either way, and each Exim then honours
# the other's record
run_test "Debian 12 to 13: upgrade rewrites the [ip] retry key; 4.98.2 uses it" '
	cd "$TRASH" && mkdir -p spool/log && release bookworm &&
	written bookworm && release trixie &&
	hintsdb dump -k spool retry | grep -qx "T:127.0.0.1:127.0.0.1:$PDEAD" &&
	expect_code 1 hintsdb check spool >out &&
	grep -qx "retry: 1 host key T:IP:IP:PORT (Exim 4.94 to 4.97): Exim 4.98.2 never reads it (hintsdb upgrade rewrites it as T:\[IP\]:IP:PORT)" out &&
	grep -qx "wait-smtp_out: 1 record of 16-character message IDs (Exim 4.94 to 4.96): Exim 4.98.2 never reads it (hintsdb upgrade drops it)" out &&
	(eval "$(block 1)") >out 2>err && test ! -s err &&
	grep -qx "retry: bdb legacy -> bdb legacy, 1 record, rewritten: 1 host key T:IP:IP:PORT (Exim 4.94 to 4.97) as T:\[IP\]:IP:PORT" out &&
	grep -qx "wait-smtp_out: bdb legacy -> bdb legacy, 1 record, dropped: 1 record of 16-character message IDs (Exim 4.94 to 4.96), which Exim 4.98.2 never reads" out &&
	grep -q "^plan: 2 of 3 databases to convert for Exim 4.98.2, 2 records, 0 sessions and 1 wait records to drop, 1 retry key to rewrite; nothing changed$" out &&
	grep -q "^upgrade: 2 of 3 databases converted for Exim 4.98.2, 1 records written, 0 sessions and 1 wait records dropped, 1 retry key rewritten$" out &&
	test "$(grep -c "^exim: Exim 4.98.2: Berkeley DB, legacy layout, lockfiles, GnuTLS 3.8.9 " out)" -eq 1 &&
	! grep -q "^spool:\|^tls:\|^retry: [0-9]\|^wait-smtp_out: [0-9]" out &&
	hintsdb dump -k spool retry | grep -qx "T:\[127.0.0.1\]:127.0.0.1:$PDEAD" &&
	listed trixie callout retry && honoured trixie &&
	grep -q "dbfn_read: key=T:\[127.0.0.1\]:127.0.0.1:$PDEAD$" submit.dbg &&
	mv spool spool-4.96
'
run_test "Debian 13 back to 12: the same commands; 4.96 uses 4.98.2's records" '
	cd "$TRASH" && rm -rf spool && mkdir -p spool/log && release trixie &&
	written trixie && release bookworm &&
	hintsdb dump -k spool retry | grep -qx "T:\[127.0.0.1\]:127.0.0.1:$PDEAD" &&
	expect_code 1 hintsdb check spool >out &&
	grep -qx "retry: 1 host key T:\[IP\]:IP:PORT (Exim 4.98 on): Exim 4.96 never reads it (hintsdb upgrade rewrites it as T:IP:IP:PORT)" out &&
	(eval "$(block 1)") >out 2>err && test ! -s err &&
	grep -qx "wait-smtp_out: bdb legacy -> bdb legacy, 1 record, dropped: 1 record of 23-character message IDs (Exim 4.97 on), which Exim 4.96 never reads" out &&
	grep -q "^upgrade: 2 of 3 databases converted for Exim 4.96, 1 records written, 0 sessions and 1 wait records dropped, 1 retry key rewritten$" out &&
	! grep -q "^spool:\|^tls:\|^retry: [0-9]\|^wait-smtp_out: [0-9]" out &&
	hintsdb dump -k spool retry | grep -qx "T:127.0.0.1:127.0.0.1:$PDEAD" &&
	listed bookworm callout retry && honoured bookworm &&
	rm -rf spool
'
run_test "the 4.96 sessions: check names them, tidy --stale-sessions drops them" '
	cd "$TRASH" && rm -rf spool && cp -a "$SPOOL_EX" spool && release trixie &&
	expect_code 1 hintsdb check spool tls >out &&
	grep -q "^tls: 2 sessions written by GnuTLS 3.7.9: Exim.s GnuTLS 3.8.9 cannot resume them" out &&
	hintsdb tidy --stale-sessions spool tls >out &&
	grep -q "^tls: examined 2, deleted 2 " out &&
	hintsdb check spool tls >out && ! grep -q "^tls:" out &&
	rm -r spool
'
run_test "a real 4.98.2 spool: callout and retry records" '
	cd "$TRASH" && rm -rf spool && mkdir -p spool/log && release trixie &&
	written trixie && honoured trixie
'
run_test "refused while sids Exim daemon runs on the spool" '
	cd "$TRASH" && release sid && tree_state spool/db >before &&
	{ PATH=$HOSTPATH $CHROOT run sid exim4 -C "$TRASH/conf" -bdf -oX "$PDAEMON" \
	    -oP "$TRASH/spool/exim-daemon.pid" 2>/dev/null & pid=$!; } &&
	i=0; while [ ! -s spool/exim-daemon.pid ] && [ $i -lt 200 ]; do
		sleep 0.1; i=$((i + 1)); done &&
	{ expect_code 75 hintsdb upgrade spool 2>err; rc=$?; };
	kill $pid; wait $pid 2>/dev/null;
	[ "${rc:-1}" -eq 0 ] && grep -q "is using this spool: stop it first" err &&
	tree_state spool/db >after && cmp before after && rm -f spool/exim-daemon.pid
'
run_test "Debian 13 to next: hintsdb upgrade; 4.100.1 uses every hint" '
	cd "$TRASH" && release sid &&
	expect_code 1 hintsdb check spool >out &&
	grep -q "^spool: Exim 4.100.1 reads SQLite (table tblblob); 3 databases (callout, retry and wait-smtp_out) are Berkeley DB: it will see none of their 5 records" out &&
	dumps >orig && (eval "$(block 2)") >out 2>err && test ! -s err &&
	test -d root/hints-db &&
	grep -q "^plan: 3 of 3 databases to convert for Exim 4.100.1, 5 records" out &&
	grep -q "^upgrade: 3 of 3 databases converted for Exim 4.100.1, 5 records written" out &&
	grep -q "^lockfiles: 3 removed" out &&
	test "$(grep -c "^exim: Exim 4.100.1" out)" -eq 1 &&
	! grep -q "^spool:\|^tls:" out &&
	test -z "$(ls spool/db | grep lockfile)" &&
	test "$(stat -c "%u:%g %a" spool/db/retry)" = "$(exim_uid sid) 640" &&
	test "$(head -c 15 spool/db/retry)" = "SQLite format 3" &&
	listed sid && honoured sid
'
run_test "going back to 4.98.2: converted back, 4.98.2 uses every hint" '
	cd "$TRASH" && release trixie &&
	(eval "$(block 3)") >out 2>err && test ! -s err &&
	grep -q "^upgrade: 3 of 3 databases converted for Exim 4.98.2" out &&
	! grep -q "^spool:" out &&
	test "$(ls spool/db | grep -c lockfile)" -eq 3 &&
	listed trixie && honoured trixie
'
run_test "going back: the copy put back" '
	cd "$TRASH" && (eval "$(block 4)") 2>err && test ! -s err &&
	dumps >restored && cmp orig restored && listed trixie
'
run_test "an Exim built from source with GDBM" '
	cd "$TRASH" && cp -a root/hints-db srcdb && mkdir srcspool &&
	mv srcdb srcspool/db && printf "%s\n" "#!/bin/sh" \
	    "$CHROOT run trixie exim4 \"\$@\" | sed \"s/^ Berkeley DB: .*/ Probably GDBM (native mode)/\"" \
	    >src-exim && chmod 755 src-exim &&
	(eval "$(block 5)") >out 2>err && test ! -s err &&
	grep -q "^retry: bdb legacy -> gdbm legacy, 1 record$" out &&
	grep -q "^exim: Exim 4.98.2: GDBM, legacy layout" out &&
	! grep -q "^spool:" out &&
	test "$(od -An -tx1 -N4 srcspool/db/retry | tr -d " ")" = cf9a5713
'
kill "$STUB_PID" 2>/dev/null
wait "$STUB_PID" 2>/dev/null
test_done
