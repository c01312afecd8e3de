#!/bin/sh
# check.sh - run every test suite and print one "N passed, N failed" line.
# Unit tests (cmocka binaries), CLI tests (tests/cli/t*.sh), the interop
# tests against the real exim4 (tests/interop/t*.sh) and the man page lint
# all count; exit status is non-zero if anything failed.
#
# Each test file (or unit binary) is a job.  Jobs run CHECK_JOBS (the
# number of cores) at a time; files that say "# check: serial" (they use
# fixed loopback ports, and the sanitizer pass runs them again) run one
# after another in a lane of their own beside them.  A file that says
# "# check: split VAR=A B C" is three jobs, with VAR set to A, B and C.  A
# job gets CHECK_FILE_TIMEOUT seconds (1800) before it is killed, with its
# whole process group, and counted as failed.  The report comes when all
# have ended, in a fixed order: the output of each failing file, the
# failed tests, the ten slowest jobs, then the count.
#
# The real Exims run in chroots (tests/interop/chroot.sh).  They are built
# or checked once, first; where one cannot be had, that is said once, with
# the cause and the fix, and the tests that need it fail with that reason.
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
#   CHECK_ONLY="t4100-tidy.sh ..."  only the test files (or unit binaries)
#                     of these names, in every pass
#   CHECK_LOAD=N      N CPU-bound busy loops beside the run (make check-load)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
export TOP B

. "$TOP/tests/share-faketime.sh"

# --- one job: sh check.sh --job ID (ID's line in $WORK/jobs) -------------

# san_reports WHAT: fail WHAT for every sanitizer report in this job's
# log directory, and show the start of each.
san_reports() {
	found=
	for f in "$SAN_LOG"/asan.* "$SAN_LOG"/ubsan.*; do
		[ -f "$f" ] || continue
		found=1
		echo "--- sanitizer report from $1: $(basename "$f")"
		grep -v '^ *$' "$f" | head -n 30
	done
	[ -n "$found" ] && echo "FAIL - $1: sanitizer report" >>"$RESULTS"
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
	done
	[ -n "$found" ] && echo "FAIL - $1: memcheck errors" >>"$RESULTS"
	return 0
}

# unit_job BINARY PREFIX: a cmocka binary; each failing assertion is a
# failed test.
unit_job() {
	out=$("$1" 2>&1)
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
	while [ $i -lt "$np" ]; do echo "ok - $2unit $(basename "$1")" >>"$RESULTS"; i=$((i + 1)); done
	i=0
	while [ $i -lt "$nf" ]; do echo "FAIL - $2unit $(basename "$1")" >>"$RESULTS"; i=$((i + 1)); done
}

# script_job FILE PREFIX: a test script; its result lines get PREFIX.
script_job() {
	res=$JOBDIR/script.results
	: >"$res"
	RESULTS=$res sh "$1" >"$JOBDIR/script.log" 2>&1 || cat "$JOBDIR/script.log"
	if [ -s "$res" ]; then
		sed "s/^\(ok\|FAIL\) - /\1 - $2/" "$res" >>"$RESULTS"
	else
		echo "FAIL - $2$(basename "$1"): ran no test" >>"$RESULTS"
	fi
}

# pass_env PASS: the environment of a pass
pass_env() {
	case $1 in
	san)
		SAN_LOG=$JOBDIR/san
		mkdir -p "$SAN_LOG"
		chmod 1777 "$SAN_LOG"
		asan="abort_on_error=1:halt_on_error=1:verify_asan_link_order=0:log_path=$SAN_LOG/asan"
		export UBSAN_OPTIONS="abort_on_error=1:halt_on_error=1:print_stacktrace=1:log_path=$SAN_LOG/ubsan"
		export HINTSDB="$TOP/bin-san/hintsdb"
		export HELPER="$TOP/build-san/helper/hdb-test"
		export LSAN_OPTIONS="suppressions=$TOP/tests/fuzz/lsan.supp:print_suppressions=0"
		export HDB_SAN=1
		# Leak checking costs 0.15 s a process: on for the unit
		# tests, off for the thousands of CLI runs (the fuzzers
		# check leaks in-process).
		export ASAN_OPTIONS="$asan:detect_leaks=0"
		;;
	valgrind)
		VG_LOG=$JOBDIR/vg
		mkdir -p "$VG_LOG"
		chmod 1777 "$VG_LOG"
		export HINTSDB="$VG_BIN/hintsdb" HDB_VALGRIND=1
		;;
	esac
}

# run_job ID: the job, its results to $WORK/res/ID, what it printed to
# $WORK/out/ID, its seconds to $WORK/time/ID
run_job() {
	line=$(sed -n "$1p" "$WORK/jobs")
	set -- $line
	id=$1 pass=$3 kind=$4 path=$5 var=${6:-}
	JOBDIR=$WORK/job/$id
	mkdir -p "$JOBDIR"
	RESULTS=$WORK/res/$id
	: >"$RESULTS"
	export RESULTS JOBDIR
	pfx=
	[ "$pass" = normal ] || pfx="$pass: "
	t0=$(date +%s)
	(
		pass_env "$pass"
		[ -n "$var" ] && export "${var%%=*}=${var#*=}"
		case $kind in
		unit)
			[ "$pass" = san ] && export ASAN_OPTIONS="$asan:detect_leaks=1"
			unit_job "$path" "$pfx"
			;;
		script)
			script_job "$path" "$pfx"
			;;
		lint)
			if mandoc -Tlint -Wwarning "$TOP"/man/*.8 >"$JOBDIR/lint" 2>&1; then
				echo "ok - mandoc lint" >>"$RESULTS"
			else
				cat "$JOBDIR/lint"
				echo "FAIL - mandoc lint" >>"$RESULTS"
			fi
			;;
		fuzz)
			sh "$TOP/tests/fuzz/run.sh" --smoke "${FUZZ_B:-build-fuzz}" \
			    "${FUZZ_SMOKE_SECONDS:-3}" || true
			;;
		esac
		case $pass in
		san) san_reports "$pfx$(basename "$path")" ;;
		valgrind) vg_reports "$pfx$(basename "$path")" ;;
		esac
	) >"$WORK/out/$id" 2>&1 </dev/null
	echo $(($(date +%s) - t0)) >"$WORK/time/$id"
}

# timed_job ID: run_job under CHECK_FILE_TIMEOUT; a job killed by it
# fails (timeout signals the job's whole process group)
timed_job() {
	timeout -k 10 "${CHECK_FILE_TIMEOUT:-1800}" sh "$TOP/tests/check.sh" \
	    --run "$1"
	st=$?
	[ $st -eq 124 ] || [ $st -eq 137 ] || return 0
	line=$(sed -n "$1p" "$WORK/jobs")
	set -- $line
	echo "FAIL - $(basename "$5")${6:+ ($6)}: killed after ${CHECK_FILE_TIMEOUT:-1800}s" \
	    >>"$WORK/res/$1"
	echo "check.sh: $(basename "$5")${6:+ ($6)} ($3) did not end in ${CHECK_FILE_TIMEOUT:-1800}s" \
	    >>"$WORK/out/$1"
	echo "${CHECK_FILE_TIMEOUT:-1800}" >"$WORK/time/$1"
}

case ${1:-} in
--run)
	run_job "$2"
	exit 0
	;;
--job)
	timed_job "$2"
	exit 0
	;;
esac

# --- the whole run --------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hdbcheck.XXXXXX")
export WORK
mkdir -p "$WORK/res" "$WORK/out" "$WORK/time" "$WORK/job"
LOADERS=
trap 'for p in $LOADERS; do kill $p 2>/dev/null; done; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# Within one run, a chroot that cannot be had is tried once (chroot.sh).
export HINTSDB_CHROOT_STATUS=$WORK/chroot-status

# only NAME: is NAME selected by CHECK_ONLY?
only() {
	[ -z "${CHECK_ONLY:-}" ] && return 0
	case " $CHECK_ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}

n=0
# job PASS KIND PATH: add a job, or one per value of a split; its lane is
# serial for files that say so
job() {
	[ "$2" = lint ] || [ "$2" = fuzz ] || only "$(basename "$3")" || return 0
	lane=par split=
	case $3 in
	*.sh)
		grep -q '^# check: serial' "$3" && lane=serial
		split=$(sed -n 's/^# check: split //p' "$3" | head -n 1)
		;;
	esac
	if [ -z "$split" ]; then
		n=$((n + 1))
		echo "$n $lane $1 $2 $3" >>"$WORK/jobs"
		return 0
	fi
	for v in ${split#*=}; do
		n=$((n + 1))
		echo "$n $lane $1 $2 $3 ${split%%=*}=$v" >>"$WORK/jobs"
	done
}

# binary_tests: the CLI tests that run our binaries (not t0010, which tests
# tests/deps.sh), for the sanitizer and valgrind passes
binary_tests() {
	ls "$TOP"/tests/cli/t*.sh | grep -v '/t0010-deps\.sh$'
}

: >"$WORK/jobs"
if [ "${CHECK_NORMAL:-1}" != 0 ]; then
	for t in "$TOP/$B"/unit/test_*; do
		[ -x "$t" ] && job normal unit "$t"
	done
	for t in "$TOP"/tests/cli/t*.sh "$TOP"/tests/interop/t*.sh; do
		job normal script "$t"
	done
	[ -z "${CHECK_ONLY:-}" ] && job normal lint man
fi
if [ "${CHECK_SAN:-0}" = 1 ]; then
	if [ ! -x "$TOP/bin-san/hintsdb" ]; then
		echo "FAIL - san: bin-san/hintsdb not built (make san-build)" \
		    >"$WORK/res/0"
	else
		for t in "$TOP"/build-san/unit/test_*; do
			[ -x "$t" ] && job san unit "$t"
		done
		for t in $(binary_tests); do
			job san script "$t"
		done
	fi
fi
if [ "${CHECK_VALGRIND:-0}" = 1 ]; then
	VG_BIN=$WORK/vgbin
	export VG_BIN
	mkdir -p "$VG_BIN"
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "FAIL - valgrind: not installed (apt-get install valgrind)" \
		    >"$WORK/res/0"
	else
		# A wrapper per name, so the exim_* names still reach main.
		for w in hintsdb exim_dumpdb exim_tidydb exim_fixdb; do
			cat >"$VG_BIN/$w" <<-EOF
			#!/bin/sh
			exec valgrind -q --error-exitcode=99 --leak-check=full \
			    --errors-for-leak-kinds=definite \
			    --show-leak-kinds=definite --track-origins=yes \
			    --log-file="\$JOBDIR/vg/vg.%p" "$TOP/bin/$w" "\$@"
			EOF
			chmod 755 "$VG_BIN/$w"
		done
		for t in $(binary_tests); do
			job valgrind script "$t"
		done
	fi
fi
[ "${CHECK_FUZZ:-0}" = 1 ] && [ -z "${CHECK_ONLY:-}" ] && job fuzz fuzz fuzz

# The real Exims: each chroot built or checked once, all at once, before
# any test needs one; a failure is said here, once.
if grep -q ' script ' "$WORK/jobs"; then
	for s in $(sh "$TOP/tests/interop/chroot.sh" suites | awk '{ print $1 }'); do
		{ sh "$TOP/tests/interop/chroot.sh" root "$s" >/dev/null \
		    2>"$WORK/chroot.$s" || : >"$WORK/chroot.$s.failed"; } &
	done
	wait
	for s in $(sh "$TOP/tests/interop/chroot.sh" suites | awk '{ print $1 }'); do
		[ -e "$WORK/chroot.$s.failed" ] || continue
		if [ -s "$HINTSDB_CHROOT_STATUS/$s" ]; then
			why=$(cat "$HINTSDB_CHROOT_STATUS/$s")
		else
			why=$(tail -n 1 "$WORK/chroot.$s")
		fi
		echo "check.sh: the real Exim of $s cannot run here: $why"
		echo "check.sh: every test that needs it fails with that reason"
	done
fi

i=0
while [ $i -lt "${CHECK_LOAD:-0}" ]; do
	sh -c 'while :; do :; done' &
	LOADERS="$LOADERS $!"
	i=$((i + 1))
done

JOBS=${CHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}
echo "check.sh: $n jobs, $JOBS at a time${CHECK_LOAD:+, beside $CHECK_LOAD busy loops}"
# the serial lane, then the rest; longest first where known (tests/check-order)
(
	awk '$2 == "serial" { print $1 }' "$WORK/jobs" | while read -r id; do
		sh "$TOP/tests/check.sh" --job "$id"
	done
) &
serial=$!
awk -v order="$TOP/tests/check-order" '
	BEGIN { while ((getline l < order) > 0) if (l !~ /^#/ && l != "") rank[l] = ++r }
	$2 == "par" {
		m = $5; sub(/.*\//, "", m)
		print (m in rank ? rank[m] : 1000), $1
	}' "$WORK/jobs" | sort -n -k1,1 -k2,2 | awk '{ print $2 }' |
    xargs -P "$JOBS" -n 1 sh "$TOP/tests/check.sh" --job
wait $serial

# --- the report, in job order ---------------------------------------------
ALL=$WORK/all
: >"$ALL"
[ -f "$WORK/res/0" ] && cat "$WORK/res/0" >>"$ALL"
id=1
while [ $id -le $n ]; do
	[ -s "$WORK/out/$id" ] && cat "$WORK/out/$id"
	[ -f "$WORK/res/$id" ] && cat "$WORK/res/$id" >>"$ALL"
	id=$((id + 1))
done
pass=$(grep -c '^ok' "$ALL")
fail=$(grep -c '^FAIL' "$ALL")
grep '^FAIL' "$ALL" || true
echo "slowest:"
for id in $(ls "$WORK/time"); do
	line=$(sed -n "${id}p" "$WORK/jobs")
	set -- $line
	p=
	[ "$3" = normal ] || p="$3: "
	echo "$(cat "$WORK/time/$id") $p$(basename "$5")${6:+ ($6)}"
done | sort -rn | head -n 10 | awk '{ printf "  %5ds  %s\n", $1, substr($0, index($0, " ") + 1) }'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
