#!/bin/sh
# t2020-dump-lookup.sh - finding one record: dump SPOOL DB KEY... prints
# just those records (1 and a message for a missing one); --match=GLOB (as
# delete --match) selects in dump and export; --peer=GLOB selects tls
# sessions by the server's certificate names or SNI.
. "$(dirname "$0")/lib.sh"

run_test "dump KEY prints that record only, in every format" '
	expect_code 0 "$HINTSDB" dump "$SPOOL_EX" retry R:defer.example >t &&
	test "$(grep -c "^[^ ]" t)" = 1 && grep -q "^R:defer.example$" t &&
	expect_code 0 "$HINTSDB" dump --format=json "$SPOOL_EX" retry \
	    R:defer.example T:127.0.0.1:127.0.0.1:2599 >j &&
	test "$(wc -l <j)" = 2 &&
	expect_code 0 "$HINTSDB" dump --format=exim "$SPOOL_EX" retry \
	    T:127.0.0.1:127.0.0.1:2599 >x &&
	grep -q "^  T:127.0.0.1:127.0.0.1:2599 " x && ! grep -q "R:defer" x
'
run_test "a missing KEY: the others printed, a message, exit 2" '
	expect_code 2 "$HINTSDB" dump -k "$SPOOL_EX" retry \
	    "T:mx.example:192.0.2.1" R:defer.example >k 2>err &&
	test "$(cat k)" = R:defer.example &&
	grep -qx "hintsdb: dump: no record .T:mx.example:192.0.2.1. in .retry." err
'
run_test "dump --match selects by glob; no match is exit 2" '
	expect_code 0 "$HINTSDB" dump -k --match="T:127.0.0.1:*" "$SPOOL_EX" \
	    retry >k &&
	test "$(wc -l <k)" = 2 && ! grep -q "^R:" k &&
	expect_code 2 "$HINTSDB" dump --match="nothing*" "$SPOOL_EX" retry \
	    >k 2>err && test ! -s k &&
	grep -q "no key in .retry. matches .nothing\*." err
'
run_test "export --match exports the matching records, counted in the header" '
	expect_code 0 "$HINTSDB" export --match="R:*" "$SPOOL_EX" retry >e &&
	test "$(wc -l <e)" = 3 && grep -q "\"records\":2" e &&
	! grep -q "\"key\":\"T:" e
'
run_test "a retry record shows its SMTP code: more_errno (451 via A)" '
	K="R:later1@test.example:<alice@client.example>" &&
	expect_code 0 "$HINTSDB" dump "$SPOOL_EX" retry "$K" >t &&
	grep -qx "  more_errno: 13121 (451 via A)" t &&
	expect_code 0 "$HINTSDB" dump --format=json "$SPOOL_EX" retry "$K" >j &&
	grep -q "\"more_errno\":13121,\"smtp_code\":451,\"found_via\":\"A\"," j
'
run_test "JSON names the EHLO features beside the mask" '
	expect_code 0 "$HINTSDB" dump --format=json "$SPOOL_EX" misc \
	    127.0.0.1:2525.EHLO >j &&
	grep -qF "\"cleartext_features\":489,\"cleartext_feature_names\":[\"STARTTLS\",\"SMTPUTF8\",\"PIPELINING\",\"SIZE\",\"CHUNKING\",\"PIPE_CONNECT\"]" j &&
	grep -qF "\"crypted_feature_names\":[\"SMTPUTF8\"," j
'
run_test "tidy -n -v --match lists only the matching keys" '
	copy_spool && tree_state spool >before &&
	expect_code 0 "$HINTSDB" tidy -n -v --match="R:*" \
	    --now=2026-12-30T00:00:00Z spool retry >out &&
	test "$(grep -c "would delete" out)" = 3 &&
	grep -q "^retry: would delete .R:defer.example. (too old)$" out &&
	! grep -q "would delete .T:" out &&
	grep -q "^retry: dry run: examined 4, would delete 4 " out &&
	tree_state spool >after && cmp before after &&
	expect_code 64 "$HINTSDB" tidy -n --match="R:*" spool retry 2>err &&
	grep -q "needs -v" err
'
TLS1=2a28dd1cf70fe541d0955e2c85f7a828a5fc32fd772eef2fc7fab6911c035588
TLS2=d0c7078e0ce14b317a0531c165296125f7d3af14f23f28be5d6923aa241797d8

run_test "tls: the exim line keeps exim_dumpdb key and names the peer" '
	expect_code 0 "$HINTSDB" dump --format=exim "$SPOOL_EX" tls >x &&
	test "$(wc -l <x)" = 2 &&
	grep -q "^  $TLS1 gnutls-3.7.9 TLS1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 peer=mx.test.example sni=mx.test.example expires=[^ ]* resumable=no$" x &&
	grep -q "^  $TLS2 gnutls-3.7.9 TLS1.3 TLS_AES_256_GCM_SHA384 peer=mx.test.example expires=" x
'
run_test "dump --peer selects by CN, SAN or SNI, case ignored" '
	expect_code 0 "$HINTSDB" dump -k --peer="MX.Test.*" "$SPOOL_EX" tls >k &&
	printf "%s\n%s\n" $TLS1 $TLS2 >want && cmp want k &&
	expect_code 0 "$HINTSDB" dump -k --peer="*.test.example" \
	    --match="2a*" "$SPOOL_EX" tls >k && test "$(cat k)" = $TLS1 &&
	expect_code 0 "$HINTSDB" dump --format=exim --peer=mx.test.example \
	    "$SPOOL_EX" tls $TLS2 >x && test "$(wc -l <x)" = 1 &&
	grep -q "^  $TLS2 .* peer=mx.test.example " x &&
	expect_code 2 "$HINTSDB" dump -k --peer="other.example" "$SPOOL_EX" \
	    tls >k 2>err && test ! -s k &&
	grep -qx "hintsdb: dump: no session in .tls. has a peer matching .other.example." err &&
	expect_code 64 "$HINTSDB" dump --peer="*" "$SPOOL_EX" retry 2>err &&
	grep -q "peer selects tls sessions; .retry. is a retry database" err
'
run_test "a session that cannot be decoded never matches --peer" '
	copy_spool &&
	"$HELPER" put spool/db/tls bdb "$(hexkey ff00)" \
	    "$(printf "%016x" 0)30030201ff00000000000000" &&
	expect_code 0 "$HINTSDB" dump -k spool tls >all &&
	test "$(wc -l <all)" = 3 &&
	expect_code 0 "$HINTSDB" dump -k --peer="*" spool tls >k &&
	printf "%s\n%s\n" $TLS1 $TLS2 >want && cmp want k
'
run_test "export --peer exports the selected sessions, counted" '
	expect_code 0 "$HINTSDB" export --peer="mx.test.example" \
	    "$SPOOL_EX" tls >e 2>err &&
	test "$(wc -l <e)" = 3 && grep -q "\"records\":2" e &&
	expect_code 2 "$HINTSDB" export --peer="none.example" "$SPOOL_EX" tls \
	    >e 2>err && grep -q "\"records\":0" e &&
	grep -qx "hintsdb: export: no session in .tls. has a peer matching .none.example." err &&
	expect_code 64 "$HINTSDB" export --peer="*" --all "$SPOOL_EX" 2>err &&
	grep -q "not --all" err && ! grep -q DBNAME err
'
test_done
