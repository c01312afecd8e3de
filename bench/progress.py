#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""progress.py - what the progress line costs (part of `make bench`).

Runs export and check of a generated retry DB (1,000,000 records by
default; cached under bench/work/) with --progress (the line drawn, into
/dev/null) and with --no-progress, alternately, --runs times after a
warm-up, and reports the median wall times and the median of the per-round
ratios, of wall and of CPU time (user + system: steadier on a shared
machine); then the instructions an export of 100,000 records executes
with and without (callgrind), which no neighbour can disturb.  The budget
is 1%.  Writes bench/progress.json.
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spool(a, n):
    """A spool with db/retry of n records, generated once."""
    sp = os.path.join(a.work, "progress-retry-%d" % n)
    db = os.path.join(sp, "db", "retry")
    if not os.path.exists(os.path.join(sp, "STAMP")):
        os.makedirs(os.path.join(sp, "db"), exist_ok=True)
        open(db + ".lockfile", "a").close()
        subprocess.run([os.path.join(a.build, "helper", "hdb-test"), "gen",
                        db, "bdb", "retry", str(n), "1",
                        str(int(time.time()))], check=True,
                       stdout=subprocess.DEVNULL)
        open(os.path.join(sp, "STAMP"), "w").close()
    return sp


def run(argv):
    """Wall and CPU (user + system) milliseconds of one run."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = (time.monotonic() - t0) * 1000
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000
    return wall, cpu


def progress_cost(a):
    """Median wall ms with and without the line, and their ratio."""
    sp = spool(a, a.records)
    hintsdb = os.path.join(a.bin, "hintsdb")
    out = []
    for cmd in a.commands.split(","):
        base = [hintsdb, cmd]
        runs = {"on": [], "off": []}
        for r in range(-1, a.runs):
            order = ("on", "off") if r % 2 == 0 else ("off", "on")
            for k in order:
                flag = "--progress" if k == "on" else "--no-progress"
                m = run(base + [flag, sp, "retry"])
                if r >= 0:
                    runs[k].append(m)
        e = {"command": cmd, "records": a.records}
        for i, what in ((0, "wall"), (1, "cpu")):
            on = [m[i] for m in runs["on"]]
            off = [m[i] for m in runs["off"]]
            ratios = [x / y for x, y in zip(on, off) if y > 0]
            e[what] = {"on_ms": statistics.median(on),
                       "off_ms": statistics.median(off),
                       "ratio_median": statistics.median(ratios),
                       "ratio_min": min(ratios), "ratio_max": max(ratios)}
            print("progress: %s %d records, %s: %.0f ms with, %.0f ms "
                  "without; ratio %.4f (%.4f-%.4f)" %
                  (cmd, a.records, what, e[what]["on_ms"],
                   e[what]["off_ms"], e[what]["ratio_median"],
                   e[what]["ratio_min"], e[what]["ratio_max"]))
        out.append(e)
    return out


def instructions(a):
    """Instructions executed (callgrind) with and without the line: exact
    where the timings above are at the mercy of a shared machine."""
    if shutil.which("valgrind") is None:
        print("progress: no valgrind, no instruction counts")
        return None
    sp = spool(a, a.cg_records)
    hintsdb = os.path.join(a.bin, "hintsdb")
    ir = {}
    for k, flag in (("on", "--progress"), ("off", "--no-progress")):
        out = os.path.join(a.work, "progress.cg")
        r = subprocess.run(["valgrind", "--tool=callgrind",
                            "--callgrind-out-file=" + out, hintsdb,
                            "export", flag, sp, "retry"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, check=True)
        os.unlink(out)
        ir[k] = int(re.search(r"Collected : (\d+)", r.stderr).group(1))
    e = {"command": "export", "records": a.cg_records, "on": ir["on"],
         "off": ir["off"], "ratio": ir["on"] / ir["off"]}
    print("progress: export %d records, instructions: %d with, %d without;"
          " ratio %.4f" % (a.cg_records, ir["on"], ir["off"], e["ratio"]))
    return e


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(TOP, "bin"))
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--work", default=os.path.join(TOP, "bench", "work"))
    ap.add_argument("--out", default=os.path.join(TOP, "bench"))
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--commands", default="export,check")
    ap.add_argument("--cg-records", type=int, default=100000)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    res = {"timings": progress_cost(a), "instructions": instructions(a)}
    with open(os.path.join(a.out, "progress.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
