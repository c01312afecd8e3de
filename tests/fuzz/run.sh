#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh - run the libFuzzer targets built in FUZZ_B.
#
#   run.sh FUZZ_B SECONDS TARGET...        (make fuzz) each target for
#       SECONDS, from its seed corpus tests/fuzz/corpus/TARGET, keeping what
#       it finds in FUZZ_B/corpus/TARGET and crashes in FUZZ_B/artifacts/;
#       prints libFuzzer's final stats, then one line per target:
#       "TARGET: N execs, cov C, ft F, crash|ok"
#   run.sh --smoke FUZZ_B SECONDS          (make check) every built target
#       over its seeds and over its regression inputs in
#       tests/data/fuzz/TARGET/, then SECONDS of fuzzing; one
#       "ok - fuzz: ..." or "FAIL - fuzz: ..." line each to $RESULTS.
#
# Exit status: 0 if no target crashed.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
smoke=
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
FB=$1
SECS=$2
shift 2
case $FB in /*) ;; *) FB=$TOP/$FB ;; esac
cd "$TOP" || exit 1

# Sanitizer settings: leaks count; a report ends the run (libFuzzer saves
# the input).  malloc_limit keeps a target from eating the machine.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TOP/tests/fuzz/lsan.supp:print_suppressions=0}
export HDB_FIXTURES=$TOP/examples/spool/db
FLAGS="-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=20 -max_len=65536"

# The targets to run: those named, or every built one.
if [ $# -eq 0 ]; then
	set -- $(cd "$FB" && ls fuzz_* 2>/dev/null | grep -v '\.')
fi
RESULTS=${RESULTS:-/dev/null}
mkdir -p "$FB/artifacts" "$FB/logs"
bad=0
for t in "$@"; do
	bin=$FB/$t
	seeds=$TOP/tests/fuzz/corpus/$t
	regress=$TOP/tests/data/fuzz/$t
	log=$FB/logs/$t.log
	if [ ! -x "$bin" ]; then
		echo "FAIL - fuzz: $t: not built" >>"$RESULTS"
		echo "$t: not built" >&2
		bad=1
		continue
	fi
	if [ -n "$smoke" ]; then
		# Seeds and regressions run once each: any crash fails.
		files=
		for d in "$seeds" "$regress"; do
			[ -d "$d" ] && files="$files $(find "$d" -type f |
			    sort | tr '\n' ' ')"
		done
		if [ -n "$files" ]; then
			# shellcheck disable=SC2086
			if "$bin" $FLAGS -runs=1 $files >"$log" 2>&1; then
				echo "ok - fuzz: $t: seeds and regressions" \
				    >>"$RESULTS"
			else
				echo "FAIL - fuzz: $t: seeds and regressions" \
				    >>"$RESULTS"
				tail -n 40 "$log"
				bad=1
			fi
		fi
		# libdb 5.3 reads past its own page buffers on crafted files
		# (tests/data/repro/bdb-*): fuzzing it finds that within
		# seconds, so the smoke run would fail at random.  Its seeds
		# and regressions still run; `make fuzz` fuzzes it.
		case " ${FUZZ_SMOKE_SKIP-fuzz_open_bdb} " in
		*" $t "*) continue ;;
		esac
		work=$(mktemp -d "${TMPDIR:-/tmp}/hdbfuzz-$t.XXXXXX")
		sd=
		[ -d "$seeds" ] && sd=$seeds
		# shellcheck disable=SC2086
		if "$bin" $FLAGS -max_total_time="$SECS" \
		    -artifact_prefix="$FB/artifacts/$t-" \
		    "$work" $sd >"$log" 2>&1; then
			echo "ok - fuzz: $t: ${SECS}s smoke run" >>"$RESULTS"
		else
			echo "FAIL - fuzz: $t: ${SECS}s smoke run" >>"$RESULTS"
			tail -n 40 "$log"
			bad=1
		fi
		rm -rf "$work"
		continue
	fi
	mkdir -p "$FB/corpus/$t"
	dirs="$FB/corpus/$t"
	[ -d "$seeds" ] && dirs="$dirs $seeds"
	echo "== $t (${SECS}s)"
	# shellcheck disable=SC2086
	"$bin" $FLAGS -max_total_time="$SECS" -print_final_stats=1 \
	    -artifact_prefix="$FB/artifacts/$t-" $dirs >"$log" 2>&1
	st=$?
	grep -E '^stat::' "$log"
	ex=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
	if [ "$st" -ne 0 ]; then
		bad=1
		echo "$t: ${ex:-?} execs, cov ${cov:-?}, ft ${ft:-?}, crash" \
		    "(see $log)"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -n 5
	else
		echo "$t: ${ex:-?} execs, cov ${cov:-?}, ft ${ft:-?}, ok"
	fi
done
exit $bad
