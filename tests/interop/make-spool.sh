#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-spool.sh OUTDIR - build a spool of REAL Exim hints databases.
#
# Runs a real Debian Exim, that of release $EXIM_SUITE (bullseye: 4.94.2,
# Berkeley DB; bookworm: 4.96, Berkeley DB; trixie: 4.98.2, Berkeley DB;
# sid: 4.100.1, SQLite without lockfiles), in its cached minbase chroot (chroot.sh; nothing is installed
# on the host), twice on 127.0.0.1: a "server" daemon (two ports) and a
# "client" used through -bs sessions and -odi submissions, each with its own
# config and spool under a temp dir.  The traffic below makes the client
# write records into every hints DB: retry, wait-remote_smtp, callout,
# ratelimit, seen, misc and tls (with real TLS resumption).  Bullseye's
# 4.94.2 has no seen condition and Debian built it without TLS resumption
# (then experimental): it writes neither seen nor tls, and its
# exim_dumpdb has no -k.  The result is
# copied to OUTDIR/db (DBs, and lockfiles where that Exim has them),
# OUTDIR/input (spool files of the messages still queued, so a tidy sees
# live -D files), OUTDIR/mainlog (the client's main log: the X= of each TLS
# session) and OUTDIR/MANIFEST (record counts and what Exim logged).
# OUTDIR/db/misc is a copy taken while a delivery and an ETRN were running,
# because Exim deletes serialisation records when those finish.
#
# Needs root (chroot, and Exim keeps root only for root callers of -C),
# openssl and python3; for bookworm's MANIFEST also db5.3_dump (manifest.py
# decodes the 4.96 records independently of hintsdb).  No DNS and no
# traffic leaves 127.0.0.1.  Every process started here is stopped, by its
# PID, by the EXIT trap.
# Environment: EXIM_SUITE (default bookworm), HINTSDB_PORT_TLS13 / _TLS12 /
# _DEAD (ports; defaults in 22510-22539, a different trio per suite),
# KEEP_WORK=1 (keep the temp dir for debugging).
set -euo pipefail

die() { printf 'make-spool: %s\n' "$*" >&2; exit 1; }
log() { printf 'make-spool: %s\n' "$*" >&2; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
SUITE=${EXIM_SUITE:-bookworm}
CHROOT="sh $HERE/chroot.sh"
RUN="$CHROOT run $SUITE"
case $SUITE in
bullseye) base=22540 ;;
bookworm) base=22510 ;;
trixie) base=22520 ;;
sid) base=22530 ;;
*) die "unknown EXIM_SUITE '$SUITE' (bullseye, bookworm, trixie or sid)" ;;
esac
# what that Exim has: the DBs it writes, and the config lines for the
# seen condition and TLS resumption
if [ "$SUITE" = bullseye ]; then
	DBS="retry misc callout ratelimit wait-remote_smtp"
	RESUME=
	RESUME_LOG=
	SEEN_ACL=
else
	DBS="retry misc callout ratelimit seen tls wait-remote_smtp"
	RESUME="tls_resumption_hosts = *"
	RESUME_LOG=+tls_resumption
	SEEN_ACL="  warn    seen = 1h
  warn    seen = -1h / key=\$sender_address"
fi
P13=${HINTSDB_PORT_TLS13:-$base}		# server port, TLS 1.3 allowed
P12=${HINTSDB_PORT_TLS12:-$((base + 1))}	# server port, TLS 1.2 only
PDEAD=${HINTSDB_PORT_DEAD:-$((base + 9))}	# nothing listens: refused
EXIM_USER=Debian-exim		# Debian's compiled-in exim_user

[ "$(id -u)" = 0 ] || die "must run as root (chroot; Exim drops root for non-root -C callers)"
for t in openssl python3; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (see tests/deps.sh)"
done
[ -f "$HERE/manifest.py" ] || die "$HERE/manifest.py missing"
# The chroot (built on first use; fails clearly if the mirror is unreachable)
ROOT=$($CHROOT root "$SUITE") || die "no $SUITE chroot (see the message above)"
# Exim's user exists only inside the chroot: use its numeric ids.
EUID_=$(awk -F: -v u="$EXIM_USER" '$1 == u { print $3 }' "$ROOT/etc/passwd")
EGID_=$(awk -F: -v u="$EXIM_USER" '$1 == u { print $4 }' "$ROOT/etc/passwd")
[ -n "$EUID_" ] && [ -n "$EGID_" ] || die "user $EXIM_USER missing in the $SUITE chroot"
EXIM_VERSION=$($RUN exim4 -bV 2>/dev/null | sed -n '1s/^Exim version \([^ ]*\).*/\1/p')
[ -n "$EXIM_VERSION" ] || die "exim4 -bV failed in the $SUITE chroot"
log "Exim $EXIM_VERSION ($SUITE)"

# Ports must be free (the dead one too, or the "refused" retry record fails).
python3 - "$P13" "$P12" "$PDEAD" <<'EOF' || die "a port is in use (set HINTSDB_PORT_*)"
import socket, sys
for p in sys.argv[1:]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", int(p)))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
EOF

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# The temp dir must be traversable by the Exim user (deliveries run as it).
W=$(mktemp -d "${TMPDIR:-/tmp}/hintsdb-spool.XXXXXX")
chmod 755 "$W"
SRV=$W/server
CLI=$W/client
F=$W/flags	# hand-shake files; written by processes running as the Exim user
BGPIDS=
DAEMON=

cleanup() {
	rc=$?
	set +e
	# Let every helper that waits on a release file go, then stop what we
	# started, each by its PID: the background submissions and the daemon.
	: >"$F/release-slow" 2>/dev/null
	: >"$F/release-etrn" 2>/dev/null
	for p in $BGPIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$DAEMON" ]; then
		kill "$DAEMON" 2>/dev/null
		wait "$DAEMON" 2>/dev/null
	fi
	if [ "${KEEP_WORK:-}" = 1 ]; then
		log "work dir kept: $W"
	else
		rm -rf "$W"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- setup
for d in "$SRV" "$CLI"; do
	mkdir -p "$d/log"
	chown -R "$EUID_:$EGID_" "$d"
	chmod 750 "$d" "$d/log"
done
mkdir "$F"
chown "$EUID_:$EGID_" "$F"

# Self-signed server certificate; the client trusts exactly this cert.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=mx.test.example \
	-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1 ||
	die "openssl could not make the test certificate"
chgrp "$EGID_" "$W/key.pem"
chmod 640 "$W/key.pem"
chmod 644 "$W/cert.pem"

# waitfor FILE [MARK]: touch MARK, then block (at most 30 s) until FILE exists.
# Used by the server's RCPT ACL and the client's ETRN command to hold a
# delivery / an ETRN open while the misc DB is copied.
cat >"$W/waitfor" <<'EOF'
#!/bin/sh
[ -n "${2:-}" ] && : >"$2"
i=0
while [ ! -e "$1" ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
exit 0
EOF
chmod 755 "$W/waitfor"

# Both instances: fixed host names, no reverse/ident lookups, no DNS routing.
COMMON="keep_environment =
host_lookup =
rfc1413_hosts =
check_spool_space = 0
check_log_space = 0"

# The server: port P13 offers TLS 1.3, port P12 only TLS 1.2 (GnuTLS priority
# string chosen per connection).  It offers PIPECONNECT and resumption
# tickets.  RCPT: reject*@ 550, later*@ 451, verify.example only ok* and
# postmaster; RCPT slow*@ is held.  MAIL: tempfail@ 451 (message-specific
# retry record), badsender@ 550, and <> 550 on port $P12 (callout domain
# record "reject_mfnull").
cat >"$W/server.conf" <<EOF
primary_hostname = mx.test.example
qualify_domain = test.example
spool_directory = $SRV
log_file_path = $SRV/log/%slog
pid_file_path = $SRV/exim.pid
local_interfaces = <; 127.0.0.1.$P13 ; 127.0.0.1.$P12
$COMMON
domainlist local_domains = test.example : verify.example : tls12.example : client.example : \\
  strict.example : mfnull.example
acl_smtp_mail = acl_mail
acl_smtp_rcpt = acl_rcpt
tls_advertise_hosts = *
tls_certificate = $W/cert.pem
tls_privatekey = $W/key.pem
tls_require_ciphers = \${if eq{\$received_port}{$P12}{NORMAL:-VERS-TLS1.3}{NORMAL}}
$RESUME
pipelining_connect_advertise_hosts = *
log_selector = +tls_peerdn $RESUME_LOG +received_recipients +incoming_port

begin acl
acl_mail:
  defer   senders = tempfail@client.example
          message = try MAIL later
  deny    senders = badsender@client.example
          message = sender refused
  deny    senders = :
          condition = \${if eq{\$received_port}{$P12}}
          message = null sender refused here
  accept

acl_rcpt:
  warn    local_parts = ^slow
          set acl_m_w = \${run{$W/waitfor $F/release-slow $F/slow-held}}
  deny    local_parts = ^reject
          message = no such user
  defer   local_parts = ^later
          message = mailbox busy, try later
  deny    domains = verify.example
          !local_parts = ^ok : postmaster
          message = unknown user
  accept  domains = +local_domains
  deny

begin routers
sink:
  driver = accept
  transport = devnull

begin transports
devnull:
  driver = appendfile
  file = /dev/null
  user = $EXIM_USER
EOF

# The client ("relay"): RCPT ACL with ratelimit (plain and unique), seen and
# sender/recipient callouts; ETRN accepted and serialised; one smtp transport
# with TLS resumption, pipe-connect, serialize_hosts and max_parallel.
cat >"$W/client.conf" <<EOF
primary_hostname = client.example
qualify_domain = client.example
spool_directory = $CLI
log_file_path = $CLI/log/%slog
pid_file_path = $CLI/exim.pid
$COMMON
smtp_enforce_sync = false
# one delivery at a time: serialize_hosts is per host name, not per port
remote_max_parallel = 1
acl_smtp_rcpt = acl_rcpt
acl_smtp_etrn = acl_etrn
smtp_etrn_serialize = true
smtp_etrn_command = $W/waitfor $F/release-etrn $F/etrn-held
log_selector = +tls_peerdn $RESUME_LOG +tls_sni +received_recipients +outgoing_port +retry_defer

begin acl
acl_etrn:
  accept

acl_rcpt:
  warn    ratelimit = 10 / 1h / per_rcpt / \$sender_address
  warn    ratelimit = 10 / 1h / per_addr / \$sender_address
  warn    ratelimit = 30 / 1h / per_rcpt / unique=\$local_part@\$domain / rcpt-\$sender_address
$SEEN_ACL
  require verify = sender/callout=10s
  accept  domains = tls12.example
  deny    domains = verify.example
          !verify = recipient/callout=10s,random,postmaster
  accept  domains = verify.example
  deny    domains = mfnull.example
          !verify = recipient/callout=10s
  accept  domains = mfnull.example
  require verify = recipient/callout=10s,use_sender
  accept

begin routers
deferring:
  driver = redirect
  domains = defer.example
  allow_defer
  data = :defer: routing held for the test
tls13:
  driver = manualroute
  domains = test.example : verify.example : client.example : strict.example
  transport = remote_smtp
  route_list = * 127.0.0.1::$P13
  self = send
tls12:
  driver = manualroute
  domains = tls12.example : mfnull.example
  transport = remote_smtp
  route_list = * 127.0.0.1::$P12
  self = send
dead:
  driver = manualroute
  domains = dead.example
  transport = remote_smtp
  route_list = * 127.0.0.1::$PDEAD
  self = send

begin transports
remote_smtp:
  driver = smtp
  allow_localhost
  hosts_try_dane =
  hosts_require_tls = *
  tls_verify_certificates = $W/cert.pem
  tls_verify_hosts = *
  tls_verify_cert_hostnames =
  tls_sni = mx.test.example
  $RESUME
  hosts_pipe_connect = *
  serialize_hosts = *
  max_parallel = 2

begin retry
*  *  F,2h,15m; G,16h,1h,1.5; F,4d,6h
EOF

for c in server client; do
	$RUN exim4 -C "$W/$c.conf" -bV >/dev/null 2>"$W/$c.bV.err" ||
		die "$c config rejected by Exim: $(cat "$W/$c.bV.err")"
done

cli() { $RUN exim4 -C "$W/client.conf" "$@"; }

# send SENDER RCPT...: local submission (no ACLs) delivered at once (-odi).
send() {
	from=$1
	shift
	printf 'From: %s\nSubject: hintsdb fixture\n\nhello\n' "$from" |
		cli -odi -f "$from" "$@" 2>>"$W/client.stderr" || true
}

# smtp: one SMTP session with the client on stdin/stdout (-bs) as if from
# 127.0.0.1, so the RCPT ACL runs.  Input is pipelined (smtp_enforce_sync off).
smtp() {
	cli -bs -odi -oMa 127.0.0.1 -oMi 127.0.0.1 >>"$W/smtp.transcript" 2>>"$W/client.stderr" ||
		die "exim -bs session failed: $(tail -n 5 "$W/client.stderr")"
}

# the keys (4.94.2's exim_dumpdb has no -k: its whole dump, keys in it)
if [ "$SUITE" = bullseye ]; then
	dbkeys() { $RUN exim_dumpdb "$CLI" "$1" 2>/dev/null || true; }
else
	dbkeys() { $RUN exim_dumpdb -k "$CLI" "$1" 2>/dev/null || true; }
fi

# wait_until SECONDS CMD...: poll until CMD succeeds.
wait_until() {
	n=$(($1 * 10))
	shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------- traffic
log "starting the server on 127.0.0.1:$P13 and :$P12"
# -bdf: the daemon stays in the foreground, so $! is its PID (chroot.sh
# execs all the way down; not through srv(), whose subshell would be $!)
$RUN exim4 -C "$W/server.conf" -bdf &
DAEMON=$!
wait_until 20 test -s "$SRV/exim.pid" || die "server daemon did not start"

# A. First contact with each server port is a plain delivery, so the client's
# main log shows the full handshake (X=...) of the sessions it stores in tls,
# and the EHLO capabilities are cached in misc (<ip>:<port>.EHLO).
log "A: first deliveries (TLS 1.3 on $P13, TLS 1.2 on $P12)"
send alice@client.example first@test.example
send alice@client.example first@tls12.example

# B. SMTP sessions through the client's RCPT ACL: callouts (accept and
# reject, address and domain records, random and postmaster checks),
# ratelimit (plain and unique) and seen.  Deliveries now resume TLS.
log "B: SMTP sessions with callouts, ratelimit, seen"
smtp <<'EOF'
EHLO relay.test
MAIL FROM:<alice@client.example>
RCPT TO:<ok1@test.example>
RCPT TO:<ok2@test.example>
RCPT TO:<reject1@test.example>
RCPT TO:<ok3@verify.example>
RCPT TO:<nobody@verify.example>
RCPT TO:<user@tls12.example>
DATA
Subject: session 1

hello
.
QUIT
EOF
smtp <<'EOF'
EHLO relay.test
MAIL FROM:<reject-sender@client.example>
RCPT TO:<ok1@test.example>
QUIT
EOF
smtp <<'EOF'
EHLO relay.test
MAIL FROM:<bob@client.example>
RCPT TO:<ok1@test.example>
RCPT TO:<ok4@test.example>
RCPT TO:<reject2@test.example>
RCPT TO:<x@mfnull.example>
DATA
Subject: session 3

hello
.
QUIT
EOF
# Last, as it caches a negative domain record: MAIL FROM refused by the server.
smtp <<'EOF'
EHLO relay.test
MAIL FROM:<badsender@client.example>
RCPT TO:<ok1@strict.example>
QUIT
EOF
# A second later, alice again: her unique ratelimit records now have a
# time_stamp newer than their bloom_epoch, so the two can be told apart.
sleep 1
smtp <<'EOF'
EHLO relay.test
MAIL FROM:<alice@client.example>
RCPT TO:<ok2@test.example>
DATA
Subject: session 5

hello
.
QUIT
EOF

# C. misc serialisation records live only while a delivery or an ETRN runs,
# so hold both open and copy misc (under a read lock, as Exim's readers do).
log "C: holding a delivery and an ETRN to catch the misc serialisation records"
send alice@client.example slow@test.example &
BGPIDS="$BGPIDS $!"
wait_until 30 test -e "$F/slow-held" || die "held delivery never reached the server's RCPT ACL"
smtp <<'EOF'
EHLO relay.test
ETRN test.example
QUIT
EOF
wait_until 30 test -e "$F/etrn-held" || die "ETRN command did not start"
misc_ready() {
	k=$(dbkeys misc)
	case $k in *host-serialize-*) ;; *) return 1 ;; esac
	case $k in *etrn-*) ;; *) return 1 ;; esac
	case $k in *.EHLO*) ;; *) return 1 ;; esac
}
wait_until 10 misc_ready || die "misc lacks the serialisation/EHLO records: $(dbkeys misc)"
# Berkeley DB: under Exim's read lock on the lockfile; SQLite (no
# lockfile): with SQLite's own backup, which takes SQLite's locks.
python3 - "$CLI/db/misc.lockfile" "$CLI/db/misc" "$W/misc.snapshot" <<'EOF'
import fcntl, shutil, sqlite3, sys
lock, db, snap = sys.argv[1:4]
if open(db, "rb").read(16) == b"SQLite format 3\0":
    src, dst = sqlite3.connect(db), sqlite3.connect(snap)
    src.backup(dst)
    dst.close()
    src.close()
    shutil.copystat(db, snap)
else:
    with open(lock, "rb") as lf:
        fcntl.lockf(lf, fcntl.LOCK_SH)      # fcntl F_RDLCK on the whole file
        shutil.copy2(db, snap)
EOF
: >"$F/release-slow"
: >"$F/release-etrn"
for p in $BGPIDS; do wait "$p" || true; done
BGPIDS=
etrn_gone() { case $(dbkeys misc) in *etrn-*) return 1 ;; esac; }
wait_until 35 etrn_gone || die "ETRN serialisation record was never removed"

# D. Retry records: a routing defer (R:<domain>), a 451 to one RCPT (address
# retry R:<addr>:<sender>), and a 451 to MAIL (message-specific host retry).
log "D: deferrals (routing, RCPT 451, MAIL 451)"
send alice@client.example someone@defer.example
send alice@client.example later1@test.example ok5@test.example
send tempfail@client.example ok6@test.example

# E. Messages waiting for a host: the dead port refuses connections, giving
# the host retry record T:127.0.0.1:127.0.0.1:<port> and message IDs in
# wait-remote_smtp.  One message is then removed with -Mrm, so the wait
# record also holds an ID with no -D file (what exim_tidydb cleans).
log "E: messages queued for a dead host"
for n in 1 2 3 4; do
	send "carol@client.example" "q$n@dead.example"
done
gone=$(cli -bp 2>/dev/null | awk '/q4@dead.example/ { print id } { if (NF >= 4) id = $3 }' | head -n 1)
[ -n "$gone" ] || die "could not find the queued q4@dead.example message"
cli -Mrm "$gone" >/dev/null 2>&1 || die "exim -Mrm $gone failed"

# manifest: what Exim wrote (counted by its own exim_dumpdb -k), its build
# and the TLS lines of its main log, for the suites whose records
# manifest.py (4.96, legacy, Berkeley DB) does not decode
manifest() {
	echo "# Hints databases written by a real Exim on loopback (make-spool.sh)."
	echo "# Regenerate with: EXIM_SUITE=$SUITE bash tests/interop/make-spool.sh OUTDIR"
	echo
	echo "exim: $(head -n 1 "$W/exim-bV")"
	echo "suite: $SUITE"
	grep -A1 -e '^Hints DB' "$W/exim-bV" | sed 's/^/build: /'
	grep -e '^Support for' "$W/exim-bV" | sed 's/^/build: /'
	echo
	for f in "$OUT"/db/*; do
		db=${f##*/}
		case $db in *.lockfile) continue ;; esac
		printf 'db %s: %s records, %d bytes, %s\n' "$db" \
		    "$(if [ "$SUITE" = bullseye ]; then echo "?"; else
			$RUN exim_dumpdb -k "$OUT" "$db" 2>/dev/null | wc -l; fi)" \
		    "$(stat -c %s "$f")" \
		    "$([ -e "$f.lockfile" ] && echo lockfile || echo "no lockfile")"
	done
	echo
	echo "# queued messages (input/*-D)"
	ls "$OUT/input" | sed -n 's/-D$//p' | sed 's/^/queued /'
	echo
	echo "# the client's TLS sessions as its main log shows them (count, X=, CV=)"
	grep -o 'X=[^ ]* CV=[^ ]*' "$CLI/log/mainlog" | sort | uniq -c
}

# ---------------------------------------------------------------- collect
kill "$DAEMON" 2>/dev/null || true
wait "$DAEMON" 2>/dev/null || true
DAEMON=

missing=
for db in $DBS; do
	[ -f "$CLI/db/$db" ] && [ -n "$(dbkeys "$db")" ] || missing="$missing $db"
done
[ -z "$missing" ] || die "Exim did not produce these hints DBs (or left them empty):$missing
client log: $(tail -n 20 "$CLI/log/mainlog" 2>/dev/null)"

rm -rf "$OUT/db" "$OUT/input" "$OUT/MANIFEST"
mkdir -p "$OUT/db" "$OUT/input"
for db in $DBS; do
	[ $db = misc ] || cp -p "$CLI/db/$db" "$OUT/db/"
	# 4.100.1 (SQLite) has no lockfiles
	[ ! -e "$CLI/db/$db.lockfile" ] || cp -p "$CLI/db/$db.lockfile" "$OUT/db/"
done
cp -p "$W/misc.snapshot" "$OUT/db/misc"
cp -p "$CLI/log/mainlog" "$OUT/mainlog"
# Spool files of every message still queued (the wait and retry records
# refer to them).  Split spool is off, so they are input/<id>-D and -H.
cp -p "$CLI"/input/*-[DH] "$OUT/input/" 2>/dev/null || die "no queued messages left in the client spool"

$RUN exim4 -bV >"$W/exim-bV" 2>&1 || true
if [ "$SUITE" = bookworm ]; then
	command -v db5.3_dump >/dev/null 2>&1 || die "db5.3_dump not found (db5.3-util)"
	python3 "$HERE/manifest.py" "$OUT" "$CLI/log/mainlog" "$W/exim-bV" >"$OUT/MANIFEST" ||
		die "MANIFEST generation found a problem (see above)"
else
	manifest >"$OUT/MANIFEST" || die "MANIFEST generation failed"
fi

# Ownership and modes as Exim makes them (0640 files), owned by whoever owns
# the parent of OUTDIR so the fixture stays readable to the user.
owner=$(stat -c %u:%g "$(dirname "$OUT")")
chown -R "$owner" "$OUT/db" "$OUT/input" "$OUT/MANIFEST" "$OUT/mainlog"
chmod 750 "$OUT/db" "$OUT/input"
chmod 640 "$OUT"/db/* "$OUT"/input/*
chmod 644 "$OUT/MANIFEST" "$OUT/mainlog"
log "done: $OUT ($(du -sk "$OUT" | cut -f1) KiB)"
