#!/bin/sh
# t0050-layers.sh - lib/ keeps its one-way dependencies (tests/layers.py):
# the tree passes, and a copy of it with one back-reference planted fails,
# once for each rule, over #include lines and over the objects' symbols.
. "$(dirname "$0")/lib.sh"

LAYERS="$PYTHON $TOP/tests/layers.py"

# tree: a copy of lib/ and tools/ to plant into
tree() {
	mkdir -p tree && cp -R "$TOP/lib" "$TOP/tools" tree/
}

# plant FILE LINE: add LINE after FILE's last #include, then expect
# layers.py to fail on FILE.
plant() {
	sed -i "$(grep -n '^#include' "tree/$1" | tail -n 1 | cut -d: -f1)a\\
$2" "tree/$1" &&
	expect_code 1 $LAYERS tree >out &&
	cat out && grep -q "^$1: includes" out
}

run_test "the tree keeps its layers" '
	expect_code 0 $LAYERS "$TOP" >out && test ! -s out
'
if [ -d "$TOP/build/lib" ]; then
	run_test "the built objects keep them too" '
		expect_code 0 $LAYERS --objects "$TOP/build" "$TOP" >out &&
		test ! -s out
	'
fi
run_test "a copy of the tree passes before planting" '
	tree && expect_code 0 $LAYERS tree
'
run_test "lib/db may not use lib/rec" '
	tree && plant lib/db/hdb.c "#include \"rec/rec.h\"" &&
	grep -q "lib/db may not use lib/rec" out
'
run_test "lib/db may not use lib/tls" '
	tree && plant lib/db/be_tdb.c "#include \"tls/tls.h\""
'
run_test "lib/tls may not use lib/rec" '
	tree && plant lib/tls/tls_out.c "#include \"rec/recfmt.h\"" &&
	grep -q "lib/tls may not use lib/rec" out
'
run_test "a TLS decoder may not use the formatters" '
	tree && plant lib/tls/tls_der.c "#include \"tls/tls_out.h\"" &&
	grep -q "only the record formatter" out
'
run_test "the certificate cache may not use them either" '
	tree && plant lib/tls/tls_cache.c "#include \"tls_out.h\""
'
run_test "of lib/rec only the record formatter uses the TLS formatters" '
	grep -q "^#include \"tls/tls_out.h\"" "$TOP/lib/rec/recfmt_tls.c" &&
	tree && plant lib/rec/convert.c "#include \"tls/tls_out.h\""
'
run_test "a shared helper may not use a folder" '
	tree && plant lib/out.c "#include \"db/hdb.h\""
'
run_test "nothing in lib/ includes tools/" '
	tree && plant lib/rec/rec.c "#include \"common.h\"" &&
	grep -q "tools/common.h, outside lib/" out &&
	rm -rf tree && tree &&
	plant lib/db/lock.c "#include \"../../tools/engine/tidy.h\"" &&
	grep -q "tools/engine/tidy.h, outside lib/" out
'
# A decoder that declares a formatter itself passes the include check; the
# symbols give it away.
run_test "a call from a decoder into a formatter (nm)" '
	mkdir -p top/lib/tls objs/lib/tls &&
	printf "void hdb_tls_print_text(void);\nvoid f(void);\nvoid f(void) { hdb_tls_print_text(); }\n" >top/lib/tls/tls_der.c &&
	printf "void hdb_tls_print_text(void);\nvoid hdb_tls_print_text(void) { }\n" >top/lib/tls/tls_out.c &&
	cc -c -o objs/lib/tls/tls_der.o top/lib/tls/tls_der.c &&
	cc -c -o objs/lib/tls/tls_out.o top/lib/tls/tls_out.c &&
	expect_code 0 $LAYERS top &&
	expect_code 1 $LAYERS --objects objs top >out &&
	grep -q "^lib/tls/tls_der.c: calls hdb_tls_print_text in lib/tls/tls_out.c" out
'
run_test "a call from lib/db up into lib/rec (nm)" '
	mkdir -p top/lib/db top/lib/rec objs/lib/db objs/lib/rec &&
	printf "int hdb_rec_decode(void);\nint g(void);\nint g(void) { return hdb_rec_decode(); }\n" >top/lib/db/hdb.c &&
	printf "int hdb_rec_decode(void);\nint hdb_rec_decode(void) { return 0; }\n" >top/lib/rec/rec.c &&
	cc -c -o objs/lib/db/hdb.o top/lib/db/hdb.c &&
	cc -c -o objs/lib/rec/rec.o top/lib/rec/rec.c &&
	expect_code 1 $LAYERS --objects objs top >out &&
	grep -q "lib/db may not use lib/rec" out
'
run_test "a circle of calls inside one folder (nm)" '
	mkdir -p top/lib/tls objs/lib/tls &&
	printf "void b(void);\nvoid a(void);\nvoid a(void) { b(); }\n" >top/lib/tls/tls_cache.c &&
	printf "void a(void);\nvoid b(void);\nvoid b(void) { a(); }\n" >top/lib/tls/tls_cert.c &&
	cc -c -o objs/lib/tls/tls_cache.o top/lib/tls/tls_cache.c &&
	cc -c -o objs/lib/tls/tls_cert.o top/lib/tls/tls_cert.c &&
	expect_code 1 $LAYERS --objects objs top >out &&
	grep -q "^circle: lib/tls/tls_cache.c -> lib/tls/tls_cert.c -> lib/tls/tls_cache.c" out
'
test_done
