#!/bin/sh
# check.sh - run every test suite and print one "N passed, N failed" line.
# Unit tests (cmocka binaries), CLI tests (tests/cli/t*.sh), the interop
# tests against the real exim4 (tests/interop/t*.sh) and the man page lint
# all count; exit status is non-zero if anything failed.
#
# More passes, chosen by the environment (the Makefile sets them), add
# their results to the same count:
#   CHECK_NORMAL=0    skip the normal pass above (make check-san)
#   CHECK_SAN=1       the unit and CLI suites again against the ASan+UBSan
#                     build (build-san/, bin-san/); a sanitizer report from
#                     any process fails the test file that caused it
#   CHECK_FUZZ=1      every fuzzer in $FUZZ_B (build-fuzz) over its seeds and
#                     regression inputs, then FUZZ_SMOKE_SECONDS (3) of
#                     fuzzing each (tests/fuzz/run.sh --smoke)
#   CHECK_VALGRIND=1  the CLI suite under valgrind memcheck (make
#                     check-valgrind); a memcheck error fails the test file
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
RESULTS=$(mktemp)
export RESULTS

. "$TOP/tests/share-faketime.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hdbcheck.XXXXXX")
trap 'rm -f "$RESULTS"; rm -rf "$WORK"' EXIT

# run_units DIR PREFIX: cmocka binaries in DIR/unit; each failing
# assertion is a failed test.
run_units() {
	for t in "$TOP/$1"/unit/test_*; do
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
		while [ $i -lt "$np" ]; do echo "ok - $2unit $(basename "$t")" >>"$RESULTS"; i=$((i + 1)); done
		i=0
		while [ $i -lt "$nf" ]; do echo "FAIL - $2unit $(basename "$t")" >>"$RESULTS"; i=$((i + 1)); done
		[ -n "${AFTER_EACH:-}" ] && $AFTER_EACH "$2unit $(basename "$t")"
	done
}

# run_scripts PREFIX FILE...: test scripts; their result lines get PREFIX.
run_scripts() {
	pfx=$1
	shift
	log=$WORK/script.log
	for t in "$@"; do
		[ -f "$t" ] || continue
		res=$WORK/script.results
		: >"$res"
		RESULTS=$res sh "$t" >"$log" 2>&1 || cat "$log"
		if [ -s "$res" ]; then
			sed "s/^\(ok\|FAIL\) - /\1 - $pfx/" "$res" >>"$RESULTS"
		else
			echo "FAIL - $pfx$(basename "$t"): ran no test" >>"$RESULTS"
		fi
		[ -n "${AFTER_EACH:-}" ] && $AFTER_EACH "$pfx$(basename "$t")"
	done
	return 0
}

# binary_tests: the CLI tests that run our binaries (not t0010, which tests
# tests/deps.sh), for the sanitizer and valgrind passes
binary_tests() {
	ls "$TOP"/tests/cli/t*.sh | grep -v '/t0010-deps\.sh$'
}

# san_reports WHAT: fail WHAT for every sanitizer report written since the
# last call, and show the start of each.
san_reports() {
	found=
	for f in "$SAN_LOG"/asan.* "$SAN_LOG"/ubsan.*; do
		[ -f "$f" ] || continue
		found=1
		echo "--- sanitizer report from $1: $(basename "$f")"
		grep -v '^ *$' "$f" | head -n 30
		mv "$f" "$SAN_LOG/seen/"
	done
	[ -n "$found" ] && echo "FAIL - san: $1: sanitizer report" >>"$RESULTS"
	return 0
}

# vg_reports WHAT: fail WHAT for every valgrind log with errors.
vg_reports() {
	found=
	for f in "$VG_LOG"/vg.*; do
		[ -f "$f" ] || continue
		if grep -q 'ERROR SUMMARY: [1-9]' "$f"; then
			found=1
			echo "--- valgrind report from $1: $(basename "$f")"
			grep -v '^==[0-9]*== *$' "$f" | head -n 40
		fi
		rm -f "$f"
	done
	[ -n "$found" ] && echo "FAIL - valgrind: $1: memcheck errors" >>"$RESULTS"
	return 0
}

if [ "${CHECK_NORMAL:-1}" != 0 ]; then
	run_units "$B" ""
	run_scripts "" "$TOP"/tests/cli/t*.sh "$TOP"/tests/interop/t*.sh
	if mandoc -Tlint -Wwarning "$TOP"/man/*.8 >"$WORK/lint" 2>&1; then
		echo "ok - mandoc lint" >>"$RESULTS"
	else
		cat "$WORK/lint"
		echo "FAIL - mandoc lint" >>"$RESULTS"
	fi
fi

# The sanitizer pass: reports go to files (every process, whatever user it
# runs as after dropping privileges), so none is missed in a test that
# only checks for a non-zero status.
if [ "${CHECK_SAN:-0}" = 1 ]; then
	SAN_LOG=$WORK/san
	mkdir -p "$SAN_LOG/seen"
	chmod 1777 "$SAN_LOG"
	if [ ! -x "$TOP/bin-san/hintsdb" ]; then
		echo "FAIL - san: bin-san/hintsdb not built (make san-build)" >>"$RESULTS"
	else
		(
			# Leak checking costs 0.15 s a process: on for the unit
			# tests, off for the thousands of CLI runs (the
			# fuzzers check leaks in-process).
			asan="abort_on_error=1:halt_on_error=1:verify_asan_link_order=0:log_path=$SAN_LOG/asan"
			export UBSAN_OPTIONS="abort_on_error=1:halt_on_error=1:print_stacktrace=1:log_path=$SAN_LOG/ubsan"
			export HINTSDB="$TOP/bin-san/hintsdb"
			export HELPER="$TOP/build-san/helper/hdb-test"
			export LSAN_OPTIONS="suppressions=$TOP/tests/fuzz/lsan.supp:print_suppressions=0"
			export HDB_SAN=1
			AFTER_EACH=san_reports
			export ASAN_OPTIONS="$asan:detect_leaks=1"
			run_units build-san "san: "
			export ASAN_OPTIONS="$asan:detect_leaks=0"
			run_scripts "san: " $(binary_tests)
		)
	fi
fi

if [ "${CHECK_VALGRIND:-0}" = 1 ]; then
	VG_LOG=$WORK/vg
	VG_BIN=$WORK/vgbin
	mkdir -p "$VG_LOG" "$VG_BIN"
	chmod 1777 "$VG_LOG"
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "FAIL - valgrind: not installed (apt-get install valgrind)" >>"$RESULTS"
	else
		# A wrapper per name, so the exim_* names still reach main.
		for n in hintsdb exim_dumpdb exim_tidydb exim_fixdb; do
			cat >"$VG_BIN/$n" <<-EOF
			#!/bin/sh
			exec valgrind -q --error-exitcode=99 --leak-check=full \
			    --errors-for-leak-kinds=definite \
			    --show-leak-kinds=definite --track-origins=yes \
			    --log-file="$VG_LOG/vg.%p" "$TOP/bin/$n" "\$@"
			EOF
			chmod 755 "$VG_BIN/$n"
		done
		(
			export HINTSDB="$VG_BIN/hintsdb" HDB_VALGRIND=1
			AFTER_EACH=vg_reports
			run_scripts "valgrind: " $(binary_tests)
		)
	fi
fi

if [ "${CHECK_FUZZ:-0}" = 1 ]; then
	sh "$TOP/tests/fuzz/run.sh" --smoke "${FUZZ_B:-build-fuzz}" \
	    "${FUZZ_SMOKE_SECONDS:-3}" || true
fi

pass=$(grep -c '^ok' "$RESULTS")
fail=$(grep -c '^FAIL' "$RESULTS")
grep '^FAIL' "$RESULTS" || true
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
