#!/usr/bin/env python3
"""The floor under tidy's time on SQLite: deleting the due half of a
1M-record Exim 4.100.1 file (tblblob) in write transactions of K rows,
nothing else, no pauses, through Python's sqlite3 (the system SQLite).

Every transaction journals and writes back each page it touched and
syncs twice; with keys spread over the file, each deletion touches a page
of the table and one of the key index that the transaction before did
not, so small transactions pay for most pages again and again.  One
transaction (what exim_tidydb does, holding the lock for the whole run)
writes each page once.  Rows are picked at random, 51% of them, with a
fixed seed: which rows go does not matter here, only how many and how
spread out.

    python3 bench/sqlite_floor.py bench/work/retry-1M-sqlite-v2/db/retry \\
        600 5000 0

(0 = all in one transaction).  Works on a copy in the current directory.
"""
import os
import random
import shutil
import sqlite3
import sys
import time


def run(src, k):
    shutil.copy(src, "floor.db")
    c = sqlite3.connect("floor.db", isolation_level=None)
    keys = [r[0] for r in c.execute("SELECT ky FROM tblblob")]
    rnd = random.Random(1)
    doom = sorted(x for x in keys if rnd.random() < 0.51)
    k = k or len(doom)
    worst, t0 = 0.0, time.monotonic()
    for i in range(0, len(doom), k):
        a = time.monotonic()
        c.execute("BEGIN IMMEDIATE")
        c.executemany("DELETE FROM tblblob WHERE ky = ?",
                      [(x,) for x in doom[i:i + k]])
        c.execute("COMMIT")
        worst = max(worst, time.monotonic() - a)
    total = time.monotonic() - t0
    c.close()
    os.unlink("floor.db")
    n = (len(doom) + k - 1) // k
    print("%8d rows/txn: %5d txns, %6.1f s, %6.1f ms a txn, worst %6.1f ms"
          % (k, n, total, 1000 * total / n, 1000 * worst))


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    for k in sys.argv[2:]:
        run(sys.argv[1], int(k))


if __name__ == "__main__":
    main()
