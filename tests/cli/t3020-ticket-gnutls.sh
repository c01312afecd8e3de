#!/bin/sh
# t3020-ticket-gnutls.sh - hintsdb ticket on REAL GnuTLS data: packed
# sessions from the installed GnuTLS 3.7.9 (tests/data/tls/g*.bin), the
# "no ticket" placeholder, and records a real Exim 4.96 wrote
# (exim496-*.rec), each against the facts the library or Exim reported.
. "$(dirname "$0")/lib.sh"

T=$DATA/tls
CHECK=$T/check-facts.py

run_test "every GnuTLS session matches its facts" '
	n=0
	for bin in "$T"/g1*.bin; do
		b=$(basename "$bin" .bin)
		"$HINTSDB" ticket --format=json --show-secrets "$bin" \
		    >"$b.json" || exit 1
		echo "$T/$b.facts $b.json" >>checks
		n=$((n + 1))
	done
	test $n -ge 7 &&
	python3 "$CHECK" --batch checks
'
run_test "records written by a real Exim 4.96 match its spool MANIFEST" '
	set -- "$T"/exim496-*.rec
	test -f "$1" || { echo "no exim496 fixtures"; exit 1; }
	for rec in "$@"; do
		b=$(basename "$rec" .rec)
		expect_code 0 "$HINTSDB" ticket --format=json "$rec" >"$b.json" &&
		python3 "$CHECK" "$T/$b.facts" "$b.json" || exit 1
	done
'
run_test "wrapped GnuTLS payloads: the flags byte is ignored" '
	for r in rec-legacy-g13-rsa-aes256-sni rec-v2-g12-rsa-aes256gcm-sni; do
		"$HINTSDB" ticket --format=json "$T/$r.rec" >"$r.json" &&
		python3 "$CHECK" "$T/$r.facts" "$r.json" || exit 1
	done
'
run_test "text of a TLS 1.3 Exim record: writer, ticket, expiry rule" '
	"$HINTSDB" ticket -z --now=@1795744445 "$T/exim496-gnutls-tls13.rec" >out &&
	grep -q "^  input: record$" out &&
	grep -q "^  record_layout: legacy$" out &&
	grep -q "^  gnutls_writer: 3.7.9 (magic 0xfae1c1e6, layout C)$" out &&
	grep -q "^  protocol: TLS1.3 (0x0304)$" out &&
	grep -q "^  cipher: TLS_AES_256_GCM_SHA384 (0x1302)$" out &&
	grep -q "^  ticket: 230 bytes$" out &&
	grep -q "^  ticket_lifetime: 7198s (1h59m)$" out &&
	grep -q "^  max_early_data: 4294967295$" out &&
	grep -q "^  ocsp_responses: 1 (0 bytes)$" out &&
	grep -q "^  peer_cn: mx.test.example$" out &&
	grep -q "^  resumption_master_secret: (48 bytes, hidden" out &&
	grep -q "^  expires_rule: min(timestamp + expire_time, ticket arrival + lifetime)$" out &&
	grep -q "^  resumable: yes (GnuTLS 3.7.9 only)$" out &&
	! grep -q "verify_override" out
'
run_test "TLS 1.2: SNI, group, signature, extensions" '
	"$HINTSDB" ticket "$T/exim496-gnutls-tls12.rec" >out &&
	grep -q "^  sni: mx.test.example$" out &&
	grep -q "^  group: SECP256R1 (0x0017)$" out &&
	grep -q "^  server_signature: RSA-SHA256 (6)$" out &&
	grep -q "^  extensions: 13 (426 bytes), 18 (17 bytes)$" out &&
	grep -q "^  expires_rule: timestamp + expire_time$" out &&
	grep -q "^  master_secret: (48 bytes, hidden" out
'
run_test "the placeholder is reported as such" '
	expect_code 0 "$HINTSDB" ticket "$T/g13-placeholder.bin" >out &&
	grep -q "^  library: gnutls-no-ticket$" out &&
	grep -q "^  payload_length: 4$" out &&
	grep -q "^  resumable: no (no ticket was received: the GnuTLS placeholder)$" out
'
run_test "--gnutls-version: a different installed GnuTLS means dead" '
	f=$T/g12-ec-chacha.bin &&
	s=$(sed -n "s/^handshake_after=//p" "$T/g12-ec-chacha.facts") &&
	"$HINTSDB" ticket --now=@$s --gnutls-version=3.7.9 "$f" >same &&
	grep -q "^  gnutls_version_match: yes (installed 3.7.9)$" same &&
	grep -q "^  resumable: yes (GnuTLS 3.7.9 only)$" same &&
	"$HINTSDB" ticket --now=@$s --gnutls-version=3.8.1 "$f" >other &&
	grep -q "^  gnutls_version_match: no (installed 3.8.1)$" other &&
	grep -q "^  resumable: no (written by another GnuTLS version than the installed one)$" other &&
	"$HINTSDB" ticket --format=json --gnutls-version=3.8.1 "$f" >o.json &&
	python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert j[\"gnutls_version_match\"] is False and j[\"gnutls_runtime\"] == \"3.8.1\", j
assert j[\"resumable\"] is False, j
" o.json
'
run_test "an unknown writer in the GnuTLS range is partial, exit 1" '
	python3 -c "
import sys
d = bytearray(open(sys.argv[1], \"rb\").read())
d[0:4] = (0xFADEBADD + 0x030601).to_bytes(4, \"big\")
open(\"old.bin\", \"wb\").write(d)
" "$T/g13-ec-chacha.bin" &&
	expect_code 1 "$HINTSDB" ticket old.bin >out 2>err &&
	grep -q "^  library: gnutls$" out &&
	grep -q "^  gnutls_writer: 3.6.1 (magic 0xfae1c0de, layout ?)$" out &&
	grep -q "^  partial: GnuTLS 3.6.1: no known layout for this writer$" out &&
	grep -q "^  start_time: " out &&
	grep -q "partly decoded .old.bin." err
'
test_done
