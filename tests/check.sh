#!/bin/sh
# check.sh - run every test suite and print one "N passed, N failed" line.
# Unit tests (cmocka binaries), CLI tests (tests/cli/t*.sh), the interop
# tests against the real exim4 (tests/interop/t*.sh) and the man page lint
# all count; exit status is non-zero if anything failed.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
RESULTS=$(mktemp)
export RESULTS
trap 'rm -f "$RESULTS"' EXIT

# cmocka: one binary per module; each failing assertion is a failed test.
for t in "$TOP/$B"/unit/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
	st=$?
	np=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	nf=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	np=${np:-0}
	nf=${nf:-0}
	if [ "$st" -ne 0 ] && [ "$nf" -eq 0 ]; then
		nf=1
		printf '%s\n' "$out" | tail -n 20
	fi
	[ "$nf" -gt 0 ] && printf '%s\n' "$out" | grep -E 'FAILED|ERROR|Failure' | head -n 20
	i=0
	while [ $i -lt "$np" ]; do echo "ok - unit $(basename "$t")" >>"$RESULTS"; i=$((i + 1)); done
	i=0
	while [ $i -lt "$nf" ]; do echo "FAIL - unit $(basename "$t")" >>"$RESULTS"; i=$((i + 1)); done
done

log=$(mktemp)
for t in "$TOP"/tests/cli/t*.sh "$TOP"/tests/interop/t*.sh; do
	[ -f "$t" ] || continue
	before=$(wc -l <"$RESULTS")
	sh "$t" >"$log" 2>&1 || cat "$log"
	[ "$(wc -l <"$RESULTS")" -gt "$before" ] ||
		echo "FAIL - $(basename "$t"): ran no test" >>"$RESULTS"
done
rm -f "$log"

if mandoc -Tlint -Wwarning "$TOP"/man/*.8 >"$RESULTS.lint" 2>&1; then
	echo "ok - mandoc lint" >>"$RESULTS"
else
	cat "$RESULTS.lint"
	echo "FAIL - mandoc lint" >>"$RESULTS"
fi
rm -f "$RESULTS.lint"

pass=$(grep -c '^ok' "$RESULTS")
fail=$(grep -c '^FAIL' "$RESULTS")
grep '^FAIL' "$RESULTS" || true
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
