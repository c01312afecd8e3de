#!/bin/sh
# t3000-ticket-basic.sh - hintsdb ticket: options, input sniffing, exit codes.
. "$(dirname "$0")/lib.sh"

T=$DATA/tls

run_test "no operand is a usage error" '
	expect_code 64 "$HINTSDB" ticket 2>err &&
	grep -q "^usage: hintsdb ticket \[OPTION...\] (FILE... | SPOOL \[tls\])$" err
'
run_test "bad options are usage errors, before any work" '
	expect_code 64 "$HINTSDB" ticket --format=xml "$T/o13-rsa-aes256.der" \
	    >out 2>err &&
	grep -q "^hintsdb: ticket: unknown format .xml. (text, json, summary)$" err &&
	test ! -s out &&
	expect_code 64 "$HINTSDB" ticket --now=yesterday "$T/o13-rsa-aes256.der" \
	    2>err &&
	grep -q "^hintsdb: ticket: bad time .yesterday." err &&
	expect_code 64 "$HINTSDB" ticket --gnutls-version=3.x \
	    "$T/o13-rsa-aes256.der" 2>err &&
	grep -q "^hintsdb: ticket: bad GnuTLS version .3\.x." err &&
	expect_code 64 "$HINTSDB" ticket --bogus "$T/o13-rsa-aes256.der" 2>err
'
run_test "--help prints the usage on stdout; help ticket too" '
	expect_code 0 "$HINTSDB" ticket --help >out &&
	grep -q "^usage: hintsdb ticket \[-z\]" out &&
	expect_code 0 "$HINTSDB" help ticket >out &&
	grep -q "^usage: hintsdb ticket" out
'
run_test "a missing file exits 66 with the path quoted" '
	expect_code 66 "$HINTSDB" ticket nosuch.pem >out 2>err &&
	test ! -s out &&
	test "$(cat err)" = "hintsdb: ticket: cannot read '"'"'nosuch.pem'"'"': No such file or directory"
'
run_test "a directory that is not a spool exits 74, with the right form" '
	mkdir d &&
	expect_code 74 "$HINTSDB" ticket d 2>err &&
	grep -q "^hintsdb: ticket: .d. is a directory, not a spool (it has no db); use: hintsdb ticket SPOOL, or name session files$" err
'
run_test "garbage, empty input and other PEM are refused with 65" '
	printf "garbage, not a session\n" >g &&
	expect_code 65 "$HINTSDB" ticket g >out 2>err &&
	printf "g\n  error: not a session, nor an Exim tls record\n\n" >want &&
	diff want out &&
	grep -q "^hintsdb: ticket: cannot decode .g.: not a session, nor an Exim tls record$" err &&
	expect_code 65 "$HINTSDB" ticket --format=json g >out.json 2>err &&
	python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert j == {\"file\": \"g\", \"error\": \"not a session, nor an Exim tls record\"}, j
" out.json &&
	: >empty &&
	expect_code 65 "$HINTSDB" ticket empty 2>err &&
	grep -q "cannot decode .empty.: empty input" err &&
	head -c 1048576 /dev/zero >big &&
	expect_code 65 "$HINTSDB" ticket big 2>err &&
	grep -q "cannot read .big.: 1 MiB or larger, not a session" err &&
	sed -n "/BEGIN/,/END/p" "$T/rsa.crt" >cert.pem &&
	expect_code 65 "$HINTSDB" ticket cert.pem 2>err &&
	grep -q "PEM block is not \"SSL SESSION PARAMETERS\"" err
'
run_test "a path with control bytes is escaped in messages" '
	f=$(printf "bad\033[2Jname") &&
	expect_code 66 "$HINTSDB" ticket "$f" 2>err &&
	no_ctl err &&
	grep -q "bad\\\\033\[2Jname" err
'
run_test "every input form is recognised (documented order)" '
	for f in o13-rsa-aes256-sni.pem:pem o13-rsa-aes256-sni.der:der \
	    g13-rsa-aes256-sni.bin:gnutls g13-placeholder.bin:gnutls \
	    rec-legacy-g13-rsa-aes256-sni.rec:record \
	    rec-v2-o12-rsa-aes256gcm-sni.rec:record; do
		expect_code 0 "$HINTSDB" ticket "$T/${f%%:*}" >out || exit 1
		grep -q "^  input: ${f#*:}$" out || { cat out; exit 1; }
	done
'
run_test "standard input is read for -" '
	expect_code 0 "$HINTSDB" ticket - <"$T/g12-ec-chacha.bin" >out &&
	grep -q "^(stdin)$" out &&
	grep -q "^  library: gnutls$" out
'
run_test "PEM and DER of one session decode the same" '
	"$HINTSDB" ticket --now=@1795722966 "$T/o12-ec-chacha-sni.pem" >pem &&
	"$HINTSDB" ticket --now=@1795722966 "$T/o12-ec-chacha-sni.der" >der &&
	sed 1,2d pem >pem.body && sed 1,2d der >der.body &&
	diff pem.body der.body
'
run_test "a partly decoded payload exits 1 and says why" '
	cat "$T/o13-rsa-aes256.der" >trail && printf "xyz" >>trail &&
	expect_code 1 "$HINTSDB" ticket trail >out 2>err &&
	grep -q "^  input: der$" out &&
	grep -q "^  partial: 3 bytes after the DER session$" out &&
	head -c 1000 "$T/g12-rsa-dhe-aes128gcm.bin" >cut.bin &&
	expect_code 1 "$HINTSDB" ticket cut.bin >out 2>err &&
	grep -q "^  partial: GnuTLS 3.7.9: " out &&
	grep -q "^hintsdb: ticket: partly decoded .cut.bin.: GnuTLS 3.7.9" err &&
	grep -q "^  resumable: no (only partly decoded)$" out
'
run_test "the worst status of several files wins" '
	expect_code 66 "$HINTSDB" ticket "$T/g12-ec-chacha.bin" nosuch \
	    "$T/o13-rsa-aes256.der" >out 2>err &&
	test "$(grep -c "^  library:" out)" -eq 2 &&
	printf "junk" >junk &&
	expect_code 65 "$HINTSDB" ticket "$T/g12-ec-chacha.bin" junk >out 2>err
'
run_test "summary format: one line per file" '
	expect_code 0 "$HINTSDB" ticket --format=summary -z --now=@1795722966 \
	    "$T/o12-rsa-aes256gcm-sni.der" "$T/g13-placeholder.bin" >out &&
	test "$(wc -l <out)" -eq 2 &&
	grep -q "o12-rsa-aes256gcm-sni.der: openssl TLS1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 peer=mx.test.example,alt.test.example,127.0.0.1 sni=mx.test.example expires=20[0-9-]*T[0-9:]*Z resumable=yes$" out &&
	grep -q "g13-placeholder.bin: gnutls-no-ticket resumable=no$" out
'
run_test "--now decides expiry; -z prints UTC" '
	s=$(sed -n "s/^start_time=//p" "$T/o13-ec-chacha.facts") &&
	"$HINTSDB" ticket -z --now=@$((s + 7200)) "$T/o13-ec-chacha.der" >a &&
	grep -q "^  resumable: yes$" a &&
	grep -q "^  expires: [0-9-]*T[0-9:]*Z (now)$" a &&
	"$HINTSDB" ticket -z --now=@$((s + 7201)) "$T/o13-ec-chacha.der" >b &&
	grep -q "^  resumable: no (expired)$" b &&
	grep -q "^  expires: .* (1s ago)$" b
'
run_test "no control bytes in any output of any fixture" '
	for f in "$T"/*.pem "$T"/*.der "$T"/*.bin "$T"/*.rec; do
		for fmt in text json summary; do
			"$HINTSDB" ticket --format=$fmt --show-secrets "$f" \
			    >o.$fmt 2>e.$fmt
			no_ctl o.$fmt e.$fmt || exit 1
		done
	done
'
TLS1=2a28dd1cf70fe541d0955e2c85f7a828a5fc32fd772eef2fc7fab6911c035588
TLS2=d0c7078e0ce14b317a0531c165296125f7d3af14f23f28be5d6923aa241797d8
run_test "ticket SPOOL and SPOOL tls: every session of db/tls, by key" '
	expect_code 0 "$HINTSDB" ticket --format=summary "$SPOOL_EX" >s1 &&
	expect_code 0 "$HINTSDB" ticket --format=summary "$SPOOL_EX" tls >s2 &&
	cmp s1 s2 && test "$(wc -l <s1)" = 2 &&
	grep -q "^$TLS1: gnutls-3.7.9 TLS1.2 .* peer=mx.test.example sni=mx.test.example expires=" s1 &&
	grep -q "^$TLS2: gnutls-3.7.9 TLS1.3 .* peer=mx.test.example expires=" s1 &&
	expect_code 0 "$HINTSDB" ticket "$SPOOL_EX" >t &&
	grep -q "^$TLS1$" t && grep -q "^  input: record$" t &&
	grep -q "^  peer_cn: mx.test.example$" t &&
	expect_code 0 "$HINTSDB" ticket --format=json "$SPOOL_EX" >j &&
	test "$(wc -l <j)" = 2 && grep -q "\"key\":\"$TLS1\"" j &&
	! grep -q "\"file\"" j
'
run_test "ticket: a wrong argument gets a pointer to the right form" '
	expect_code 65 "$HINTSDB" ticket "$SPOOL_EX/db/tls" >out 2>err &&
	grep -qx "hintsdb: ticket: .$SPOOL_EX/db/tls. is a hints database; use: hintsdb ticket $SPOOL_EX, or hintsdb dump $SPOOL_EX tls" err &&
	expect_code 64 "$HINTSDB" ticket "$SPOOL_EX/db" 2>err &&
	grep -q "is a spool.s db directory; use: hintsdb ticket SPOOL" err &&
	expect_code 64 "$HINTSDB" ticket "$SPOOL_EX" "$T/o12-rsa-aes256gcm.der" \
	    >out 2>err &&
	grep -q "^hintsdb: ticket: .$SPOOL_EX. is a spool; use: hintsdb ticket $SPOOL_EX (alone" err &&
	mkdir -p sp/db && expect_code 66 "$HINTSDB" ticket sp 2>err &&
	grep -q "tls" err
'
run_test "ticket SPOOL: a busy lock is 75, and -q is not needed to see it" '
	copy_spool &&
	hold_lock spool/db/tls.lockfile 5 &&
	expect_code 75 "$HINTSDB" ticket --lock-timeout=0 spool >out 2>err;
	r=$?; kill $LOCK_PID; wait $LOCK_PID 2>/dev/null;
	[ $r = 0 ] && test ! -s out && grep -q "tls.lockfile" err
'
test_done
