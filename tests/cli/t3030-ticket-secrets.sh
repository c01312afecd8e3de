#!/bin/sh
# t3030-ticket-secrets.sh - the master secret, the TLS 1.3 resumption secret
# and ticket bodies never reach any output without --show-secrets.  The
# secrets to look for come from the facts of the real handshakes: the key
# log (SSLKEYLOGFILE) and `openssl sess_id -text`.
. "$(dirname "$0")/lib.sh"

T=$DATA/tls

# secret_of FACTS: the master secret or PSK the handshake reported
secret_of() {
	sed -n -e 's/^keylog_master=//p' "$1" | head -n 1 | grep . ||
	    sed -n 's/^master_key=//p' "$1" | tr 'A-F' 'a-f'
}

# check FILE FACTS: secret and ticket hidden by default, shown on request
check() {
	s=$(secret_of "$2") && test ${#s} -ge 64 &&
	for fmt in text json summary; do
		"$HINTSDB" ticket --format=$fmt "$1" >hidden.$fmt 2>err.$fmt ||
		    return 1
		if grep -qi "$s" hidden.$fmt err.$fmt; then
			echo "secret in $fmt output of $1"
			return 1
		fi
	done &&
	"$HINTSDB" ticket --format=json --show-secrets "$1" >shown.json &&
	"$HINTSDB" ticket --show-secrets "$1" >shown.txt 2>err &&
	grep -q "$s" shown.json && grep -q ": $s$" shown.txt &&
	! grep -q "$s" err &&
	tick=$(python3 -c "
import json, sys
print(json.load(open(sys.argv[1])).get(\"ticket_body\", \"\"))" shown.json) &&
	if [ -n "$tick" ]; then
		grep -q "^  ticket_body: $tick$" shown.txt &&
		! grep -qi "$tick" hidden.text hidden.json hidden.summary
	fi
}

run_test "OpenSSL TLS 1.2 master secret (also in the key log)" '
	check "$T/o12-rsa-aes256gcm-sni.pem" "$T/o12-rsa-aes256gcm-sni.facts" &&
	check "$T/o12-ec-chacha.der" "$T/o12-ec-chacha.facts"
'
run_test "OpenSSL TLS 1.3 resumption PSK" '
	check "$T/o13-rsa-aes256-sni.pem" "$T/o13-rsa-aes256-sni.facts" &&
	check "$T/o13-ec-chacha.der" "$T/o13-ec-chacha.facts"
'
run_test "GnuTLS TLS 1.2 master secret, as the key log had it" '
	for b in g12-rsa-aes256gcm-sni g12-ec-chacha g12-rsa-dhe-aes128gcm \
	    g12-rsa-kx-aes128cbc; do
		check "$T/$b.bin" "$T/$b.facts" || exit 1
	done
'
run_test "inside Exim records too" '
	check "$T/rec-v2-o12-rsa-aes256gcm-sni.rec" \
	    "$T/o12-rsa-aes256gcm-sni.facts" &&
	check "$T/rec-v2-g12-rsa-aes256gcm-sni.rec" \
	    "$T/g12-rsa-aes256gcm-sni.facts"
'
run_test "GnuTLS TLS 1.3: the resumption secret is hidden by default" '
	"$HINTSDB" ticket --format=json --show-secrets \
	    "$T/exim496-gnutls-tls13.rec" >shown.json &&
	rms=$(python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j[\"resumption_master_secret\"]) == 96
print(j[\"resumption_master_secret\"])" shown.json) &&
	"$HINTSDB" ticket "$T/exim496-gnutls-tls13.rec" >hidden.txt &&
	"$HINTSDB" ticket --format=json "$T/exim496-gnutls-tls13.rec" >hidden.json &&
	! grep -q "$rms" hidden.txt hidden.json &&
	grep -q "^  resumption_master_secret: (48 bytes, hidden; --show-secrets shows it)$" hidden.txt
'
test_done
