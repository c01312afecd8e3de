#!/bin/sh
# t2010-utf8.sh - keys and texts in a UTF-8 locale: printable UTF-8 is
# shown as is (grep finds it), while C0, DEL, C1, bidi controls and bytes
# that are not UTF-8 stay escaped; the C locale escapes as before; JSON
# keeps UTF-8 but \u-escapes DEL, C1 and bidi; a key given as dump printed
# it is accepted by delete and fix.
. "$(dirname "$0")/lib.sh"

U8=C.UTF-8

# spool with an SMTPUTF8 key, a hostile key and a key that is not UTF-8
mkspool() {
	mkdir -p sp/db &&
	t=$(printf "%016x" "$(date +%s)" | sed "s/\(..\)/\1 /g" |
	    awk "{for (i = NF; i > 0; i--) printf \"%s\", \$i}") &&
	"$HELPER" put sp/db/seen bdb "$(hexkey "jürgen@bücher.example")" "$t" &&
	"$HELPER" put sp/db/seen bdb \
	    "$(hexkey "$(printf "evil\342\200\256txt\302\233x\177y\342\201\246")")" "$t" &&
	"$HELPER" put sp/db/seen bdb ff41c3a9c30000 "$t" &&
	: >sp/db/seen.lockfile
}

run_test "no_ctl catches C1 and bidi characters and raw C1 bytes" '
	printf "a\302\233b\n" >c1 && printf "a\342\200\256b\n" >bidi &&
	printf "a\342\201\251b\n" >iso && printf "a\233b\n" >raw &&
	printf "j\303\274rgen \342\202\254\n" >ok &&
	! no_ctl c1 2>/dev/null && ! no_ctl bidi 2>/dev/null &&
	! no_ctl iso 2>/dev/null && ! no_ctl raw 2>/dev/null && no_ctl ok
'
run_test "text output: grep finds the UTF-8 key, controls stay escaped" '
	mkspool &&
	LC_ALL=$U8 expect_code 0 "$HINTSDB" dump sp seen >t 2>e &&
	no_ctl t e && grep -q "^jürgen@bücher.example$" t &&
	grep -qF "evil\\342\\200\\256txt\\302\\233x\\177y\\342\\201\\246" t &&
	grep -qxF "\\377Aé\\303\\0" t &&
	LC_ALL=$U8 expect_code 0 "$HINTSDB" dump --format=exim sp seen >x &&
	no_ctl x && grep -q "^jürgen@bücher.example	" x &&
	LC_ALL=$U8 expect_code 0 "$HINTSDB" dump -k sp seen >k &&
	no_ctl k && grep -qx "jürgen@bücher.example" k
'
run_test "the C locale escapes every byte outside printable ASCII" '
	mkspool &&
	LC_ALL=C expect_code 0 "$HINTSDB" dump -k sp seen >k &&
	no_ctl k && grep -qxF "j\\303\\274rgen@b\\303\\274cher.example" k &&
	! grep -q "ü" k &&
	LC_ALL=en_ZZ.bogus expect_code 0 "$HINTSDB" dump -k sp seen >k2 &&
	cmp k k2
'
run_test "JSON keeps UTF-8, escapes DEL, C1 and bidi as \\u" '
	mkspool &&
	now=$(date +%s) &&
	for l in C $U8; do
		LC_ALL=$l expect_code 0 "$HINTSDB" dump --format=json \
		    --now=$now sp seen >j.$l || return 1
	done &&
	cmp j.C j.$U8 && no_ctl j.C &&
	grep -qF "\"key\":\"jürgen@bücher.example\"" j.C &&
	grep -qF "evil\\u202Etxt\\u009Bx\\u007Fy\\u2066" j.C &&
	expect_code 0 "$HINTSDB" export sp seen >ex && no_ctl ex &&
	grep -qF "evil\\u202Etxt\\u009Bx\\u007Fy\\u2066" ex &&
	"$PYTHON" -c "
import json
keys = [json.loads(l)[\"key\"] for l in open(\"j.C\", encoding=\"utf-8\")]
assert \"evil\u202etxt\x9bx\x7fy\u2066\" in keys, keys
"
'
run_test "delete takes a key as dump printed it, in either locale" '
	mkspool &&
	LC_ALL=C "$HINTSDB" dump -k sp seen >k &&
	evil=$(grep "^evil" k) && odd=$(grep "^.377" k) &&
	LC_ALL=$U8 expect_code 0 "$HINTSDB" delete sp seen \
	    "j\\303\\274rgen@b\\303\\274cher.example" "$evil" "$odd" >out &&
	no_ctl out &&
	grep -qx "deleted .jürgen@bücher.example." out &&
	grep -qxF "deleted '"'"'$evil'"'"'" out &&
	LC_ALL=C expect_code 0 "$HINTSDB" dump -k sp seen >k2 &&
	test ! -s k2 &&
	mkspool &&
	LC_ALL=$U8 expect_code 0 "$HINTSDB" delete sp seen \
	    "jürgen@bücher.example" >out &&
	expect_code 64 "$HINTSDB" delete sp seen "bad\\Mx" 2>err &&
	grep -q "bad escape in key" err
'
run_test "fix finds a key pasted as dump printed it" '
	mkspool &&
	printf "%s\n" "j\\303\\274rgen@b\\303\\274cher.example" >cmd &&
	LC_ALL=C expect_code 0 "$HINTSDB" fix sp seen <cmd >out &&
	grep -q "^[0-3][0-9]-[A-Z][a-z][a-z]-[0-9]" out &&
	! grep -q "not found" out &&
	printf "%s d\n" "j\\303\\274rgen@b\\303\\274cher.example" >cmd &&
	LC_ALL=$U8 expect_code 0 "$HINTSDB" fix sp seen <cmd >out &&
	LC_ALL=C "$HINTSDB" dump -k sp seen >k && ! grep -q "^j" k
'
test_done
