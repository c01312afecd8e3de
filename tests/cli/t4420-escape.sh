#!/bin/sh
# t4420-escape.sh - names that come from the file system or from a file
# never reach the output raw: a file in SPOOL/db named with ESC, BEL and
# C1 bytes is left out of stat, check and tidy --all with an escaped
# warning, refused (escaped) when named on the command line, and import's
# header fields (type, backend, abi) are escaped in its messages.
. "$(dirname "$0")/lib.sh"

# no_term FILE...: no C0 control but tab and newline, no DEL, no C1 in
# UTF-8 (U+0080-U+009F) and no bidi control (U+202A-U+202E, U+2066-U+2069)
no_term() {
	no_ctl "$@" || return 1
	for _f in "$@"; do
		if LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$_f" ||
		    LC_ALL=C grep -q "$(printf '\342\200[\252-\256]')" "$_f" ||
		    LC_ALL=C grep -q "$(printf '\342\201[\246-\251]')" "$_f"; then
			echo "C1 or bidi control in $_f" >&2
			return 1
		fi
	done
}

BAD=$(printf 'wait-\033[2J\033]0;pwned\007x\302\233y\342\200\256z')
evil() {
	copy_spool sp && cp sp/db/wait-remote_smtp "sp/db/$BAD" &&
	cp sp/db/wait-remote_smtp.lockfile "sp/db/$BAD.lockfile"
}

run_test "the check itself catches ESC, C1 and bidi" '
	printf "a\302\233b\n" >c1 && printf "a\342\200\256b\n" >bidi &&
	printf "a\033b\n" >esc && printf "plain \\\\033\n" >ok &&
	! no_term c1 2>/dev/null && ! no_term bidi 2>/dev/null &&
	! no_term esc 2>/dev/null && no_term ok
'
run_test "stat, in every format, leaves the file out with an escaped warning" '
	evil &&
	for f in text json prometheus; do
		expect_code 0 "$HINTSDB" stat --format=$f sp >out.$f 2>err.$f &&
		no_term out.$f err.$f &&
		grep -q "ignoring .wait-\\\\033\[2J.*: not a hints database" \
		    err.$f || exit 1
	done &&
	grep -q "^wait-remote_smtp " out.text
'
run_test "check and tidy --all: left out, warned about escaped" '
	evil &&
	expect_code 0 "$HINTSDB" check sp >out 2>err && no_term out err &&
	grep -q "ignoring" err &&
	expect_code 0 "$HINTSDB" tidy -v --all sp >out 2>err &&
	no_term out err && grep -q "ignoring" err &&
	grep -q "^wait-remote_smtp: examined" out &&
	test -e "sp/db/$BAD"
'
run_test "named on the command line: refused, escaped, by every command" '
	evil &&
	for c in dump export stat check tidy fix; do
		expect_code 64 "$HINTSDB" $c sp "$BAD" </dev/null >out 2>err &&
		no_term out err &&
		grep -q "unknown database .wait-\\\\033" err || exit 1
	done &&
	expect_code 64 "$HINTSDB" delete sp "$BAD" k 2>err && no_term err &&
	expect_code 64 "$HINTSDB" convert --in-place sp "$BAD" 2>err &&
	no_term err &&
	expect_code 64 "$HINTSDB" import sp "$BAD" </dev/null 2>err &&
	no_term err
'
# header K V: the export header of seen with field K set to V (JSON text)
header() {
	"$HINTSDB" export "$SPOOL_EX" seen >exp.jsonl &&
	"$PYTHON" -c "import json, sys
lines = open(\"exp.jsonl\").read().splitlines()
h = json.loads(lines[0]); h[sys.argv[1]] = sys.argv[2]
print(json.dumps(h)); print(\"\n\".join(lines[1:]))" "$1" "$2" >bad.jsonl
}
run_test "import: header type, backend and abi are escaped" '
	copy_spool sp && E=$(printf "x\033[2J\033]0;t\007\302\233\342\200\256") &&
	header type "$E" &&
	expect_code 65 "$HINTSDB" import sp seen <bad.jsonl 2>err &&
	no_term err && grep -q "holds x\\\\033\[2J" err &&
	header abi "x86_64-$E" &&
	expect_code 65 "$HINTSDB" import sp seen <bad.jsonl 2>err &&
	no_term err && grep -q "made on x86_64-x\\\\033" err &&
	header backend "$E" && rm sp/db/seen &&
	expect_code 65 "$HINTSDB" import sp seen <bad.jsonl 2>err &&
	no_term err && grep -q "unknown backend .x\\\\033" err
'
test_done
