#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""promlint.py [FILE] - check Prometheus text exposition (stdin by default)
the way `promtool check metrics` does, with python3-prometheus-client's
parser: the text must parse, and every family must have HELP and TYPE, a
snake_case name, base units, counters named *_total (and nothing else),
and no series twice.  Prints one line per problem; exits 1 if any."""
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

NAME = re.compile(r"^[a-z_:][a-z0-9_:]*$")
# promtool's non-base units
UNITS = ("_milliseconds", "_microseconds", "_nanoseconds", "_minutes",
         "_hours", "_days", "_kilobytes", "_megabytes", "_gigabytes",
         "_bits", "_percent")


def problems(text):
    out = []
    try:
        fams = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and others
        return ["does not parse: %s" % e]
    if not fams:
        return ["no metrics"]
    types = re.findall(r"^# TYPE (\S+) (\S+)", text, re.M)
    typed = {n for n, _ in types}
    for n, t in types:
        if t == "counter" and not n.endswith("_total"):
            out.append("%s: counter not named *_total" % n)
        if t != "counter" and n.endswith("_total"):
            out.append("%s: only counters end in _total" % n)
    seen = set()
    names = set()
    for f in fams:
        n = f.name
        if n in names:
            out.append("%s: samples not grouped in one family" % n)
        names.add(n)
        if not f.documentation:
            out.append("%s: no HELP" % n)
        if f.type == "unknown" or (n not in typed and n + "_total" not in typed):
            out.append("%s: no TYPE" % n)
        if not NAME.match(n):
            out.append("%s: not snake_case" % n)
        for u in UNITS:
            if u in n:
                out.append("%s: use base units, not %s" % (n, u[1:]))
        for s in f.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in seen:
                out.append("%s: series %s twice" % (s.name, s.labels))
            seen.add(key)
    return out


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    p = problems(text)
    for line in p:
        print(line)
    return 1 if p else 0


if __name__ == "__main__":
    sys.exit(main())
