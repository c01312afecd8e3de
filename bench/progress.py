#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""progress.py - what the progress line costs (part of `make bench`).

Runs export and check of a generated retry DB (1,000,000 records by
default; cached under bench/work/) with --progress (the line drawn, into
/dev/null) and with --no-progress, alternately, --runs times after a
warm-up, and reports the median wall times and the median of the per-round
ratios.  The budget is 1%.  Writes bench/progress.json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spool(a):
    """A spool with db/retry of a.records records, generated once."""
    sp = os.path.join(a.work, "progress-retry-%d" % a.records)
    db = os.path.join(sp, "db", "retry")
    if not os.path.exists(os.path.join(sp, "STAMP")):
        os.makedirs(os.path.join(sp, "db"), exist_ok=True)
        open(db + ".lockfile", "a").close()
        subprocess.run([os.path.join(a.build, "helper", "hdb-test"), "gen",
                        db, "bdb", "retry", str(a.records), "1",
                        str(int(time.time()))], check=True,
                       stdout=subprocess.DEVNULL)
        open(os.path.join(sp, "STAMP"), "w").close()
    return sp


def wall(argv):
    t0 = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return (time.monotonic() - t0) * 1000


def progress_cost(a):
    """Median wall ms with and without the line, and their ratio."""
    sp = spool(a)
    hintsdb = os.path.join(a.bin, "hintsdb")
    out = []
    for cmd in ("export", "check"):
        base = [hintsdb, cmd]
        runs = {"on": [], "off": []}
        for r in range(-1, a.runs):
            order = ("on", "off") if r % 2 == 0 else ("off", "on")
            for k in order:
                flag = "--progress" if k == "on" else "--no-progress"
                ms = wall(base + [flag, sp, "retry"])
                if r >= 0:
                    runs[k].append(ms)
        ratios = [x / y for x, y in zip(runs["on"], runs["off"])]
        out.append({"command": cmd, "records": a.records,
                    "on_ms": statistics.median(runs["on"]),
                    "off_ms": statistics.median(runs["off"]),
                    "ratio_median": statistics.median(ratios),
                    "ratio_min": min(ratios), "ratio_max": max(ratios)})
        e = out[-1]
        print("progress: %s %d records: %.0f ms with, %.0f ms without; "
              "ratio %.4f (%.4f-%.4f)" % (cmd, a.records, e["on_ms"],
                                          e["off_ms"], e["ratio_median"],
                                          e["ratio_min"], e["ratio_max"]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(TOP, "bin"))
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--work", default=os.path.join(TOP, "bench", "work"))
    ap.add_argument("--out", default=os.path.join(TOP, "bench"))
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    res = progress_cost(a)
    with open(os.path.join(a.out, "progress.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
