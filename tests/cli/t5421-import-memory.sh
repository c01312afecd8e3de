#!/bin/sh
# t5421-import-memory.sh - import into Berkeley DB holds back at most 36
# MiB of records for the new file's bucket order (hintsdb-import(8)),
# however big the export: 150,000 retry records of some 460 bytes (68 MB
# held back, which the import of old kept in one pass) import in 48 MB of
# address space more than an import of ten such records needs, and every
# record arrives.  ulimit -v bounds the memory, so no timing; under the
# sanitizers or valgrind, which reserve far more address space, only the
# result is checked.
. "$(dirname "$0")/lib.sh"

N=150000

# longexport N: an export of N retry records k0.yyy... to k<N-1>.yyy...,
# keys of 300 bytes, each with 100 bytes of error text
longexport() {
	"$PYTHON" - "$1" <<-'PY'
	import base64, struct, sys
	n = int(sys.argv[1])
	head = struct.pack("<qqqqiii", 1795744445, 1795744445, 1795744445,
	                   1795745345, 0, -1, 0)
	raw = base64.b64encode(head + b"x" * 100 + b"\0" * 4).decode()
	y = "y" * 290
	out = sys.stdout
	out.write('{"hintsdb_export":1,"db":"retry","type":"retry",'
	          '"backend":"bdb","layout":"legacy","abi":"x86_64-lp64-le",'
	          '"records":%d}\n' % n)
	for i in range(n):
	    out.write('{"key":"k%d.%s","raw":"%s"}\n' % (i, y, raw))
	PY
}

run_test "import of $N records into Berkeley DB in bounded memory" '
	longexport 10 >tiny.exp && longexport $N >big.exp &&
	mkdir -p t/db b/db && b=8192 &&
	while ! limited $b sh -c "\"\$0\" import t retry <tiny.exp" \
	    "$HINTSDB" >/dev/null 2>&1; do
		b=$((b + 4096)) && [ $b -le 262144 ] || exit 1
	done &&
	lim=$((b + 49152)) &&
	limited $lim sh -c "\"\$0\" import b retry <big.exp" "$HINTSDB" ||
	    { echo "failed in $lim KB (base $b KB)"; exit 1; }
	"$HINTSDB" dump -k b retry >keys &&
	[ "$(wc -l <keys)" -eq $N ] && [ "$(sort -u keys | wc -l)" -eq $N ] &&
	"$HINTSDB" dump --format=json b retry "$(grep "^k149999\." keys)" \
	    >one &&
	grep -q "\"text\":\"xxxx" one
'

test_done
