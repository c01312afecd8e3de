#!/bin/sh
# t4430-secrets.sh - TLS session bytes stay hidden without --show-secrets,
# even when a tls database is read as another type; export --output makes
# a new 0600 file whatever the umask; secrets going to a terminal or to a
# file that others can read are warned about.
. "$(dirname "$0")/lib.sh"

TLS=$SPOOL_EX/db/tls
NOW=2030-01-01T00:00:00Z

run_test "a tls DB read as misc: no data_b64 without --show-secrets" '
	expect_code 0 "$HINTSDB" dump --format=json --type=misc --file="$TLS" \
	    >out 2>err &&
	! grep -q data_b64 out && grep -q "\"data_hidden\":" out &&
	grep -q "\"data_length\":[1-9]" out &&
	expect_code 0 "$HINTSDB" dump --format=json --type=misc --show-secrets \
	    --file="$TLS" >out 2>err && grep -q "\"data_b64\":\"A" out
'
run_test "a misc record that is no TLS session keeps its data_b64" '
	copy_spool sp &&
	ts=$("$PYTHON" -c "import struct, time
print(struct.pack(\"<q\", int(time.time()) - 60).hex())") &&
	"$HELPER" put sp/db/misc bdb "$(hexkey other-thing)" \
	    "${ts}706c61696e2064617461" &&
	expect_code 0 "$HINTSDB" dump --format=json sp misc >out &&
	grep -q "\"data_b64\":\"cGxhaW4gZGF0YQ==\"" out
'
run_test "export --output: a new 0600 file whatever the umask" '
	for u in 000 022 077 277; do
		(umask $u && expect_code 0 "$HINTSDB" export --now=$NOW \
		    --output=tls.$u "$SPOOL_EX" tls 2>err) || exit 1
		[ "$(stat -c %a tls.$u)" = 600 ] || exit 1
		[ ! -s err ] || exit 1
	done &&
	"$HINTSDB" export --now=$NOW "$SPOOL_EX" tls 2>/dev/null |
	    cmp - tls.022
'
run_test "export --output: an existing file or a symlink is refused" '
	echo keep >old && : >target && ln -s "$PWD/target" link &&
	expect_code 64 "$HINTSDB" export --output=old "$SPOOL_EX" tls 2>err &&
	grep -q "export: .old. exists" err && [ "$(cat old)" = keep ] &&
	expect_code 64 "$HINTSDB" export --output=link "$SPOOL_EX" tls 2>err &&
	[ ! -s target ]
'
run_test "export --output: nothing is created when the export fails" '
	mkdir -p e/db &&
	expect_code 66 "$HINTSDB" export --output=x e tls 2>err && [ ! -e x ]
'
run_test "export --output inside the spool goes through the pinned SPOOL/db" '
	copy_spool sp &&
	expect_code 0 "$HINTSDB" export --output=sp/db/tls.jsonl sp tls &&
	[ "$(stat -c %a sp/db/tls.jsonl)" = 600 ] &&
	mv sp/db real && ln -s "$PWD/real" sp/db &&
	expect_code 74 "$HINTSDB" export --output=sp/db/tls2.jsonl sp tls \
	    2>err && [ ! -e real/tls2.jsonl ]
'
run_test "secrets to a file others can read, or to a terminal: warned" '
	(umask 022 && "$HINTSDB" export "$SPOOL_EX" tls >pub 2>err) &&
	grep -q "export: writing TLS session secrets to a file that group or others can read (mode 0644)" err &&
	(umask 077 && "$HINTSDB" export "$SPOOL_EX" tls >priv 2>err) &&
	[ ! -s err ] &&
	(umask 022 && "$HINTSDB" export "$SPOOL_EX" retry >r 2>err) &&
	[ ! -s err ] &&
	(umask 022 && "$HINTSDB" dump --show-secrets "$SPOOL_EX" tls >d 2>err) &&
	grep -q "dump: writing secrets (--show-secrets) to a file" err &&
	(umask 022 && "$HINTSDB" dump "$SPOOL_EX" tls >d 2>err) && [ ! -s err ] &&
	script -qec "\"$HINTSDB\" export \"$SPOOL_EX\" tls 2>tty.err" \
	    /dev/null >/dev/null 2>&1 </dev/null &&
	grep -q "writing TLS session secrets to a terminal" tty.err
'
test_done
