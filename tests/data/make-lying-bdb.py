#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make-lying-bdb.py - Berkeley DB hash files that lie about their size.

    python3 tests/data/make-lying-bdb.py sparse FILE [APPARENT [TIME]]
    python3 tests/data/make-lying-bdb.py ovloop FILE [SIZE]

sparse  a sound hash file with 512-byte pages holding one retry record
        (R:good.example, stamped TIME, default now), then a hole up to
        APPARENT bytes (default 64 GiB): a few KiB on disk.  Every page a
        reader walks past the data is one libdb never wrote.
        APPARENT may be "dense": the file is then padded with written
        zeros to 32 KiB instead (a small version for fuzzers' corpora).
ovloop  a hash meta page (512-byte pages), then page 1: an overflow page
        whose next page is itself, holding one byte; every other page up
        to SIZE bytes (default 2 MiB) a hash page of 34 off-page items,
        each claiming 16 MiB from page 1.  Following each item's chain
        hop by hop costs SIZE/512 * 34 * 16M page reads.

The files are built at test time (a sparse file does not survive git);
db5.3_load (db5.3-util) writes the sound part.
"""
import os
import struct
import subprocess
import sys
import tempfile

PGSIZE = 512
P_OVERFLOW = 7
P_HASH = 13
H_OFFPAGE = 3


def le64(v):
    return struct.pack("<q", v)


def u32(v):
    return struct.pack("<I", v)


def retry_value(t):
    """A legacy retry record: header time, three times, flags, errno,
    more_errno, the text, its NUL and padding."""
    return (le64(t) + le64(t) * 3 + u32(0) + struct.pack("<i", -1) +
            struct.pack("<i", 0) + b"Connection refused" + b"\0" * 4)


def sound_db(records):
    """A hash file with 512-byte pages holding records (key, value)."""
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "db")
        lines = ["VERSION=3", "format=bytevalue", "type=hash",
                 "db_pagesize=%d" % PGSIZE, "HEADER=END"]
        for k, v in records:
            lines += [" " + k.hex(), " " + v.hex()]
        lines.append("DATA=END")
        subprocess.run(["db5.3_load", p], input=("\n".join(lines) +
                       "\n").encode(), check=True)
        return open(p, "rb").read()


def page(pgno, nxt, entries, hf_offset, ptype):
    """A page header: lsn, pgno, prev, next, entries, hf_offset, level,
    type."""
    return (bytes(8) + u32(pgno) + u32(0) + u32(nxt) +
            struct.pack("<HH", entries, hf_offset) + bytes([1, ptype]))


def sparse(path, apparent, t):
    data = sound_db([(b"R:good.example\0", retry_value(t))])
    with open(path, "wb") as f:
        f.write(data)
        if apparent == "dense":
            f.write(bytes(max(0, 32768 - len(data))))
        elif int(apparent) > len(data):
            f.truncate(int(apparent))


def ovloop(path, size):
    meta = sound_db([])[:PGSIZE]
    n = max(3, size // PGSIZE)
    out = [meta]
    # page 1: an overflow page that is its own next, one byte a hop
    p1 = page(1, 1, 0, 1, P_OVERFLOW) + b"x"
    out.append(p1 + bytes(PGSIZE - len(p1)))
    items = 34
    hoff = PGSIZE - 12 * items
    for pgno in range(2, n):
        hdr = page(pgno, 0, items, hoff, P_HASH)
        inp = b"".join(struct.pack("<H", PGSIZE - 12 * (i + 1))
                       for i in range(items))
        body = bytes([H_OFFPAGE, 0, 0, 0]) + u32(1) + u32(16 << 20)
        pg = hdr + inp
        pg += bytes(hoff - len(pg)) + body * items
        assert len(pg) == PGSIZE
        out.append(pg)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("sparse", "ovloop"):
        sys.exit(__doc__.split("\n\n")[1])
    if sys.argv[1] == "sparse":
        apparent = sys.argv[3] if len(sys.argv) > 3 else str(64 << 30)
        t = int(sys.argv[4]) if len(sys.argv) > 4 else int(
            __import__("time").time())
        sparse(sys.argv[2], apparent, t)
    else:
        ovloop(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else
               2 << 20)


if __name__ == "__main__":
    main()
