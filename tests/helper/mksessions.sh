#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mksessions.sh OUTDIR - make REAL TLS client sessions, with the facts each
# handshake reported, for the `hintsdb ticket` tests.
#
# Makes an RSA and an ECDSA certificate (each with a CN and DNS/IP
# subjectAltNames), runs `openssl s_server` on 127.0.0.1 (free high ports,
# loopback only; every server is killed by the EXIT trap) and saves:
#
#   o12-* o13-*   OpenSSL client sessions (s_client -sess_out): NAME.pem,
#                 NAME.der (the same session as DER), NAME.facts
#   g12-* g13-*   GnuTLS client sessions, the packed bytes Exim stores
#                 (gnutls_session_get_data2, via gnutls-session.py):
#                 NAME.bin, NAME.facts
#   g13-placeholder.bin   GnuTLS's 4-byte "no ticket" data (a server that
#                 sends no tickets)
#   rec-*         the same payloads wrapped as Exim tls records (legacy and
#                 v2 headers, flags byte, 7 padding bytes): NAME.rec
#   exim496-*     records written by a real Exim, copied from
#                 $EXIM_SPOOL/db/tls when it exists (see
#                 tests/interop/make-spool.sh), with facts from its MANIFEST
#   rsa.crt ec.crt  the server certificates (the keys stay in the temp dir)
#
# A facts file holds key=value lines as the tools reported them: s_client's
# "New, TLSv1.3, Cipher is ..." and "Server Temp Key", `openssl sess_id
# -noout -text` of the saved session, the TLS 1.2 master secret from the
# key log (SSLKEYLOGFILE / -keylogfile, an independent source), and the
# certificate as `openssl x509` shows it.
#
# Needs openssl and python3; the GnuTLS sessions also need libgnutls.so.30
# (skipped with a note when missing).  Environment: SESS_WAIT (seconds a
# client stays connected for tickets to arrive, default 1), EXIM_SPOOL.
set -eu

die() { printf 'mksessions: %s\n' "$*" >&2; exit 1; }
log() { printf 'mksessions: %s\n' "$*" >&2; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
WAIT=${SESS_WAIT:-1}
EXIM_SPOOL=${EXIM_SPOOL:-$TOP/examples/spool}
command -v openssl >/dev/null 2>&1 || die "openssl not found"
command -v python3 >/dev/null 2>&1 || die "python3 not found"
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/mksessions.XXXXXX")
PIDS=

cleanup() {
	set +e
	for p in $PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	exec 7>&- 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- certificates ----
mkcert() {	# NAME CN SAN KEYOPTS...
	n=$1 cn=$2 san=$3
	shift 3
	openssl req -x509 -newkey "$@" -keyout "$W/$n.key" -out "$W/$n.crt" \
	    -nodes -days 30 -subj "/O=hintsdb test/CN=$cn" \
	    -addext "subjectAltName=$san" 2>"$W/$n.req.log" ||
		die "cannot make the $n certificate"
	cp "$W/$n.crt" "$OUT/$n.crt"
}
mkcert rsa mx.test.example \
    "DNS:mx.test.example,DNS:alt.test.example,IP:127.0.0.1" rsa:2048
mkcert ec ec.test.example "DNS:ec.test.example,IP:127.0.0.1,IP:::1" \
    ec -pkeyopt ec_paramgen_curve:P-256

# certificate facts, as `openssl x509` prints them (IPs normalised);
# computed once per certificate
certfacts() {	# CRT
	if [ ! -s "$1.facts" ]; then
		certfacts_x509 "$1" >"$1.facts" ||
			die "cannot read the certificate $1"
	fi
	cat "$1.facts"
}
certfacts_x509() {
	openssl x509 -in "$1" -noout -subject -issuer -enddate -serial \
	    -fingerprint -sha256 -ext subjectAltName | python3 -c '
import ipaddress, sys, calendar, time
out = {}
lines = sys.stdin.read().splitlines()
for i, l in enumerate(lines):
    if l.startswith("subject="):
        out["peer_subject"] = l[8:]
        out["peer_cn"] = l.split("CN = ")[-1]
    elif l.startswith("issuer="):
        out["peer_issuer"] = l[7:]
    elif l.startswith("notAfter="):
        t = time.strptime(l[9:], "%b %d %H:%M:%S %Y GMT")
        out["peer_not_after"] = str(calendar.timegm(t))
    elif l.startswith("serial="):
        out["peer_serial"] = l[7:]
    elif "Fingerprint=" in l:
        out["peer_sha256"] = l.split("=", 1)[1].replace(":", "").lower()
    elif "Subject Alternative Name" in l:
        sans = []
        for s in lines[i + 1].strip().split(", "):
            if s.startswith("IP Address:"):
                s = "IP:" + ipaddress.ip_address(s[11:]).compressed
            sans.append(s)
        out["peer_san"] = ",".join(sans)
for k, v in out.items():
    print("%s=%s" % (k, v))
'
}

# ---- servers ----
freeports() {	# N: N distinct free ports on 127.0.0.1
	python3 -c 'import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
waitport() {
	python3 - "$1" <<'EOF' || die "server on port $1 did not start"
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}
# s_server reads its stdin: give it a FIFO that never reaches EOF.
mkfifo "$W/stdin"
exec 7<>"$W/stdin"
server() {	# PORT CERT CN EXTRA...
	port=$1 c=$2 cn=$3
	shift 3
	# -servername/-cert2 make it acknowledge SNI, so clients store it.
	openssl s_server -accept "127.0.0.1:$port" -cert "$W/$c.crt" \
	    -key "$W/$c.key" -servername "$cn" -cert2 "$W/$c.crt" \
	    -key2 "$W/$c.key" "$@" <"$W/stdin" >"$W/server-$port.log" 2>&1 &
	PIDS="$PIDS $!"
	waitport "$port"
}
# shellcheck disable=SC2046
set -- $(freeports 3)
P_RSA=$1 P_EC=$2 P_NOTIX=$3
server "$P_RSA" rsa mx.test.example -alpn smtp
server "$P_EC" ec ec.test.example -early_data
server "$P_NOTIX" rsa mx.test.example -num_tickets 0

# ---- OpenSSL clients ----
# osess NAME PORT CERT SNI ALPN CLIENT-OPTIONS...
osess() {
	n=$1 port=$2 c=$3 sni=$4 alpn=$5
	shift 5
	set -- "$@" -sess_out "$W/$n.pem" -keylogfile "$W/$n.keylog"
	if [ -n "$sni" ]; then
		set -- "$@" -servername "$sni"
	else
		set -- "$@" -noservername
	fi
	[ -z "$alpn" ] || set -- "$@" -alpn "$alpn"
	(sleep "$WAIT"; printf 'Q\n') | openssl s_client \
	    -connect "127.0.0.1:$port" "$@" >"$W/$n.log" 2>&1 ||
		die "s_client for $n failed: $(tail -n 3 "$W/$n.log")"
	[ -s "$W/$n.pem" ] || die "s_client saved no session for $n"
	cp "$W/$n.pem" "$OUT/$n.pem"
	openssl sess_id -in "$W/$n.pem" -outform DER -out "$OUT/$n.der"
	openssl sess_id -in "$W/$n.pem" -noout -text >"$W/$n.text"
	{
		echo "library=openssl"
		echo "file=$n.pem"
		sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is \(.*\)/protocol=\1\
cipher=\2/p' "$W/$n.log" | head -n 2
		sed -n 's/^Server Temp Key: \(.*\)/server_temp_key=\1/p' \
		    "$W/$n.log" | head -n 1
		sed -n -e 's/^ *Session-ID: \(.*\)/session_id=\1/p' \
		    -e 's/^ *Session-ID-ctx: *\(.*\)/session_id_ctx=\1/p' \
		    -e 's/^ *Master-Key: \(.*\)/master_key=\1/p' \
		    -e 's/^ *Resumption PSK: \(.*\)/master_key=\1/p' \
		    -e 's/^ *TLS session ticket lifetime hint: \([0-9]*\).*/ticket_lifetime_hint=\1/p' \
		    -e 's/^ *Start Time: \([0-9]*\)/start_time=\1/p' \
		    -e 's/^ *Timeout *: \([0-9]*\).*/timeout=\1/p' \
		    -e 's/^ *Verify return code: \([0-9]*\).*/verify_result=\1/p' \
		    -e 's/^ *Extended master secret: \(.*\)/extended_master_secret=\1/p' \
		    -e 's/^ *Max Early Data: \([0-9]*\)/max_early_data=\1/p' \
		    "$W/$n.text"
		# the master secret again, from the key log (TLS 1.2 only)
		sed -n 's/^CLIENT_RANDOM [0-9a-f]* \([0-9a-f]*\)$/keylog_master=\1/p' \
		    "$W/$n.keylog" | head -n 1
		echo "sni=$sni"
		echo "alpn_requested=$alpn"
		# what was negotiated (an SNI match switches s_server to its
		# second context, which has no ALPN)
		sed -n -e 's/^ALPN protocol: \(.*\)/alpn=\1/p' \
		    -e 's/^No ALPN negotiated/alpn=/p' "$W/$n.log" | head -n 1
		certfacts "$W/$c.crt"
	} >"$OUT/$n.facts"
}

T12="-tls1_2"
T13="-tls1_3"
osess o12-rsa-aes256gcm-sni "$P_RSA" rsa mx.test.example "" $T12 \
    -cipher ECDHE-RSA-AES256-GCM-SHA384
osess o12-rsa-aes256gcm "$P_RSA" rsa "" smtp $T12 \
    -cipher ECDHE-RSA-AES256-GCM-SHA384
osess o12-ec-chacha-sni "$P_EC" ec ec.test.example "" $T12 \
    -cipher ECDHE-ECDSA-CHACHA20-POLY1305 -groups P-384:P-256
osess o12-ec-chacha "$P_EC" ec "" "" $T12 \
    -cipher ECDHE-ECDSA-CHACHA20-POLY1305
osess o12-rsa-noticket "$P_RSA" rsa "" "" $T12 \
    -cipher ECDHE-RSA-AES128-GCM-SHA256 -no_ticket
osess o13-rsa-aes256-sni "$P_RSA" rsa mx.test.example "" $T13 \
    -ciphersuites TLS_AES_256_GCM_SHA384
osess o13-rsa-aes256 "$P_RSA" rsa "" smtp $T13 \
    -ciphersuites TLS_AES_256_GCM_SHA384
osess o13-ec-chacha-sni "$P_EC" ec ec.test.example "" $T13 \
    -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -groups P-384
osess o13-ec-chacha "$P_EC" ec "" "" $T13 \
    -ciphersuites TLS_CHACHA20_POLY1305_SHA256

# ---- GnuTLS clients ----
# gsess NAME PORT CERT SNI PRIORITY [--placeholder]
gsess() {
	n=$1 port=$2 c=$3 sni=$4 prio=$5
	shift 5
	[ -z "$sni" ] || set -- "$@" --sni "$sni"
	python3 "$HERE/gnutls-session.py" 127.0.0.1 "$port" "$prio" \
	    "$OUT/$n.bin" --keylog "$W/$n.keylog" "$@" >"$W/$n.gfacts" \
	    2>"$W/$n.glog" || die "gnutls client for $n failed: $(cat "$W/$n.glog")"
	{
		echo "file=$n.bin"
		cat "$W/$n.gfacts"
		if [ -s "$W/$n.keylog" ]; then
			sed -n 's/^CLIENT_RANDOM \([0-9a-f]*\) \([0-9a-f]*\)$/client_random=\1\
keylog_master=\2/p' "$W/$n.keylog" | head -n 2
		fi
		certfacts "$W/$c.crt"
	} >"$OUT/$n.facts"
}

V12="NORMAL:-VERS-ALL:+VERS-TLS1.2"
V13="NORMAL:-VERS-ALL:+VERS-TLS1.3"
if python3 -c 'import ctypes; ctypes.CDLL("libgnutls.so.30")' 2>/dev/null
then
	gsess g12-rsa-aes256gcm-sni "$P_RSA" rsa mx.test.example \
	    "$V12:-CIPHER-ALL:+AES-256-GCM:-KX-ALL:+ECDHE-RSA"
	gsess g12-ec-chacha "$P_EC" ec "" \
	    "$V12:-CIPHER-ALL:+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA"
	gsess g12-rsa-dhe-aes128gcm "$P_RSA" rsa "" \
	    "$V12:-CIPHER-ALL:+AES-128-GCM:-KX-ALL:+DHE-RSA"
	gsess g12-rsa-kx-aes128cbc "$P_RSA" rsa "" \
	    "$V12:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA256:-KX-ALL:+RSA"
	gsess g13-rsa-aes256-sni "$P_RSA" rsa mx.test.example \
	    "$V13:-CIPHER-ALL:+AES-256-GCM"
	gsess g13-ec-chacha "$P_EC" ec "" "$V13:-CIPHER-ALL:+CHACHA20-POLY1305"
	gsess g13-placeholder "$P_NOTIX" rsa "" "$V13" --placeholder
	HAVE_GNUTLS=1
else
	log "libgnutls.so.30 not loadable: no GnuTLS sessions"
	HAVE_GNUTLS=
fi

# ---- Exim records around real payloads ----
# wrap LAYOUT FLAGS PAYLOAD OUTNAME: a record written "now"
wrap() {
	python3 - "$@" "$OUT" <<'EOF'
import os, struct, sys, time
layout, flags, payload, name, out = sys.argv[1:6]
p = open(payload, "rb").read()
t = int(time.time())
if layout == "legacy":
    hdr = struct.pack("<q", t)
else:
    hdr = struct.pack("<IIq", 2, 0, t)
rec = hdr + bytes([int(flags, 0)]) + p + b"\0" * 7
open(os.path.join(out, name + ".rec"), "wb").write(rec)
with open(os.path.join(out, name + ".facts"), "w") as f:
    f.write("file=%s.rec\nrecord_layout=%s\nrecord_time=%d\n"
            "record_flags=%s\npayload=%s\npayload_length=%d\n"
            % (name, layout, t, flags, os.path.basename(payload), len(p)))
EOF
}
wrap v2 0x09 "$OUT/o12-rsa-aes256gcm-sni.der" rec-v2-o12-rsa-aes256gcm-sni
wrap legacy 0x00 "$OUT/o13-rsa-aes256-sni.der" rec-legacy-o13-rsa-aes256-sni
if [ -n "$HAVE_GNUTLS" ]; then
	wrap legacy 0x00 "$OUT/g13-rsa-aes256-sni.bin" \
	    rec-legacy-g13-rsa-aes256-sni
	wrap v2 0x00 "$OUT/g12-rsa-aes256gcm-sni.bin" \
	    rec-v2-g12-rsa-aes256gcm-sni
fi

# ---- records a real Exim wrote (tests/interop/make-spool.sh) ----
if [ -f "$EXIM_SPOOL/db/tls" ] && [ -f "$EXIM_SPOOL/MANIFEST" ] &&
    command -v db5.3_dump >/dev/null 2>&1; then
	cp "$EXIM_SPOOL/db/tls" "$W/tls.db"
	db5.3_dump "$W/tls.db" >"$W/tls.dump" ||
		die "db5.3_dump of $EXIM_SPOOL/db/tls failed"
	python3 - "$W/tls.dump" "$EXIM_SPOOL/MANIFEST" "$OUT" <<'EOF'
import os, re, shlex, sys
dump, manifest, out = sys.argv[1:4]
lines = open(dump).read().split("\n")
i = lines.index("HEADER=END") + 1
recs = {}
while lines[i].startswith(" "):
    k = bytes.fromhex(lines[i].strip())
    v = bytes.fromhex(lines[i + 1].strip())
    recs[k.rstrip(b"\0").decode()] = v
    i += 2
intls = False
for l in open(manifest):
    if l.startswith("db "):
        intls = l.strip() == "db tls"
    if not (intls and l.startswith("record ")):
        continue
    f = dict(w.split("=", 1) for w in shlex.split(l[7:]))
    v = recs[f["key"]]
    proto = re.sub(r".*\((TLS[0-9.]*)\)", r"\1", f.get("protocol", ""))
    name = "exim496-gnutls-%s" % proto.replace("TLS1.", "tls1")
    open(os.path.join(out, name + ".rec"), "wb").write(v)
    with open(os.path.join(out, name + ".facts"), "w") as fp:
        fp.write("file=%s.rec\nsource=%s\n" % (name, "Exim 4.96 tls DB"))
        for k, val in f.items():
            fp.write("%s=%s\n" % (k, val))
EOF
else
	log "no real Exim tls DB at $EXIM_SPOOL (skipped)"
fi
log "sessions in $OUT"
