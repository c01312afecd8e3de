#!/bin/sh
# t3010-ticket-openssl.sh - hintsdb ticket on REAL OpenSSL client sessions
# (tests/data/tls/o*.pem, saved by s_client -sess_out): every decoded value
# against the facts of the handshake, and every field that
# `openssl sess_id -noout -text` also shows against sess_id itself.
. "$(dirname "$0")/lib.sh"

T=$DATA/tls
CHECK=$T/check-facts.py

run_test "every OpenSSL session matches its facts and sess_id (text and json)" '
	n=0
	for pem in "$T"/o1*.pem; do
		b=$(basename "$pem" .pem)
		"$HINTSDB" ticket --format=json --show-secrets "$pem" >"$b.json" &&
		"$HINTSDB" ticket --show-secrets "$pem" >"$b.txt" &&
		openssl sess_id -noout -text -in "$pem" >"$b.sid" || exit 1
		echo "$T/$b.facts $b.json --sessid $b.sid --text $b.txt" >>checks
		n=$((n + 1))
	done
	test $n -ge 8 &&
	python3 "$CHECK" --batch checks
'
run_test "DER input gives the same JSON as PEM" '
	for pem in "$T"/o1*.pem; do
		der=${pem%.pem}.der
		"$HINTSDB" ticket --format=json --now=@1795722966 "$pem" >p.json &&
		"$HINTSDB" ticket --format=json --now=@1795722966 "$der" >d.json &&
		python3 -c "
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for k in (\"file\", \"input\"):
    a.pop(k); b.pop(k)
sys.exit(a != b)
" p.json d.json || { echo "differs: $pem"; exit 1; }
	done
'
run_test "text: protocol, cipher, group, peer, expiry lines" '
	"$HINTSDB" ticket -z --now=@1795722966 "$T/o13-ec-chacha-sni.pem" >out &&
	grep -q "^  library: openssl$" out &&
	grep -q "^  protocol: TLS1.3 (0x0304)$" out &&
	grep -q "^  cipher: TLS_CHACHA20_POLY1305_SHA256 (0x1303)$" out &&
	grep -q "^  group: SECP384R1 (0x0018)$" out &&
	grep -q "^  sni: ec.test.example$" out &&
	grep -q "^  max_early_data: 16384$" out &&
	grep -q "^  peer_cn: ec.test.example$" out &&
	grep -q "^  peer_san: DNS:ec.test.example, IP:127.0.0.1, IP:::1$" out &&
	grep -q "^  peer_key: EC 256 (prime256v1)$" out &&
	grep -q "^  expires_rule: session time + ticket lifetime hint" out &&
	grep -q "^  resumable: yes$" out &&
	grep -q "^  resumption_psk: (32 bytes, hidden; --show-secrets shows it)$" out
'
run_test "a session without a ticket has hint 0: Exim drops it a second later" '
	s=$(sed -n "s/^start_time=//p" "$T/o12-rsa-noticket.facts") &&
	"$HINTSDB" ticket --format=json --now=@$((s + 1)) \
	    "$T/o12-rsa-noticket.der" >out.json &&
	python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert j[\"has_ticket\"] is False, j
assert j[\"ticket_lifetime\"] == 0, j
assert j[\"expires\"] == j[\"start_time\"], j
assert j[\"resumable\"] is False and j[\"not_resumable_reason\"] == \"expired\", j
" out.json
'
run_test "wrapped in Exim records: v2 with flags, legacy" '
	for r in rec-v2-o12-rsa-aes256gcm-sni rec-legacy-o13-rsa-aes256-sni; do
		"$HINTSDB" ticket --format=json "$T/$r.rec" >"$r.json" &&
		python3 "$CHECK" "$T/$r.facts" "$r.json" || exit 1
	done &&
	"$HINTSDB" ticket "$T/rec-v2-o12-rsa-aes256gcm-sni.rec" >out &&
	grep -q "^  record_layout: v2$" out &&
	grep -q "^  record_tainted: no$" out &&
	grep -q "^  verify_override: yes$" out &&
	grep -q "^  ocsp: 4 (verified)$" out &&
	grep -q "^  expires_rule: record time + ticket lifetime hint (Exim)$" out
'
test_done
