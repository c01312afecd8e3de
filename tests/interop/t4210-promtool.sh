#!/bin/sh
# t4210-promtool.sh - the Prometheus alert rules shown in hintsdb-stat(8)
# (examples/hintsdb-alerts.yml) load in Prometheus's own promtool, and
# fire as meant on samples of real stat --format=prometheus output
# (tests/data/prometheus/hintsdb-alerts.test.yml).  promtool comes from
# Debian's prometheus package, a daemon: it is never installed on the
# host, only in a copy of the bookworm chroot, cached beside it
# (chroot.sh tool).
. "$(dirname "$0")/../cli/lib.sh"

RULES=$TOP/examples/hintsdb-alerts.yml
UNIT=$TOP/tests/data/prometheus/hintsdb-alerts.test.yml
NOW=1795748400			# the --now of the samples

promtool() { sh "$TOP/tests/interop/chroot.sh" tool bookworm prometheus \
    promtool "$@"; }

# rv FIRST_FAILED NEXT_TRY EXPIRED TEXT: a legacy retry record
rv() {
	printf '%s%s%s%s%s%s%s' "$(le 8 "$1")" "$(le 8 "$1")" "$(le 8 "$1")" \
	    "$(le 8 "$2")" "$(le 4 "$3")" "$(le 4 111)" "$(le 4 0)"
	printf '%s' "$4" | od -An -tx1 | tr -d ' \n'
	printf '00000000'
}

# the samples: "young" is the sample spool, "failing" the same with a host
# failing for 3 days and past its cutoff
samples() {
	copy_spool young &&
	"$HINTSDB" stat --format=prometheus --now=$NOW young >young.prom &&
	copy_spool failing &&
	"$HELPER" put failing/db/retry bdb "$(hexkey T:mx.old.example:192.0.2.1)" \
	    "$(rv $((NOW - 259200)) $((NOW - 60)) 1 refused)" &&
	"$HINTSDB" stat --format=prometheus --now=$NOW failing >failing.prom
}

# files: the rules and their unit tests side by side in the test's
# directory (under $TMPDIR, which the chroot sees at the same path)
files() { cp "$RULES" "$UNIT" . ; }

run_test "the rules file is the one hintsdb-stat(8) shows" '
	awk "/^A Prometheus alert for/ { a = 1 } a && /^\\.Ed/ { exit }
	    a && f { print } a && /^\\.Bd -literal/ { f = 1 }" \
	    "$TOP/man/hintsdb-stat.8" >man.yml &&
	[ -s man.yml ] && diff "$RULES" man.yml
'
run_test "each sample series is a line of real stat output" '
	samples &&
	"$PYTHON" - "$UNIT" <<-PY
	import re, sys
	group, n = None, 0
	for l in open(sys.argv[1]):
	    m = re.match(r"^  # (\w+)$", l)
	    if m:
	        group, prom = m.group(1), open(m.group(1) + ".prom").read()
	    m = re.match(r"^ +- series: .(.*).$", l)
	    if m:
	        series = m.group(1)
	    m = re.match(r"^ +values: .([0-9]+)x[0-9]+.$", l)
	    if m:
	        line = series + " " + m.group(1)
	        assert line in prom.splitlines(), (group, line)
	        n += 1
	assert n == 4, n
	PY
'
run_test "promtool check rules and test rules pass" '
	files &&
	promtool check rules hintsdb-alerts.yml >out 2>&1 ||
	    { cat out; exit 1; }
	grep -q "SUCCESS: 2 rules found" out &&
	promtool test rules hintsdb-alerts.test.yml >out 2>&1 ||
	    { cat out; exit 1; }
	grep -q SUCCESS out
'
run_test "promtool test rules fails a rule that fires a day late" '
	files &&
	sed -i "s/> 6 \\* 3600/> 6 * 86400/" hintsdb-alerts.yml &&
	grep -q "6 \\* 86400" hintsdb-alerts.yml &&
	promtool check rules hintsdb-alerts.yml >/dev/null 2>&1 &&
	! promtool test rules hintsdb-alerts.test.yml >out 2>&1 &&
	grep -q FAILED out
'
test_done
