#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make-corpus.py - write the seed corpora in tests/fuzz/corpus/<target>/
from the real fixtures: the Exim 4.96 spool in examples/spool (BDB) and the
TLS sessions in tests/data/tls.  Run from the top directory after `make`:

    python3 tests/fuzz/make-corpus.py

It needs bin/hintsdb (export) and build/helper/hdb-test (copies into the
other backends and the v2 layout).  The seeds are kept small: a few records
per type, the smallest DBs per backend.  Each target's input format is
described at the top of its tests/fuzz/fuzz_*.c file.
"""
import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HINTSDB = os.environ.get("HINTSDB", os.path.join(TOP, "bin/hintsdb"))
HELPER = os.environ.get("HELPER", os.path.join(TOP, "build/helper/hdb-test"))
SPOOL = os.path.join(TOP, "examples/spool")
TLS = os.path.join(TOP, "tests/data/tls")
OUT = os.path.join(TOP, "tests/fuzz/corpus")
LYING = os.path.join(TOP, "tests/data/make-lying-bdb.py")

# Type index used by fuzz_rec (byte 0, low 3 bits) and the DB names.
REC_TYPE = {"retry": 1, "wait": 2, "misc": 3, "callout": 4,
            "ratelimit": 5, "seen": 6, "tls": 7}
DBS = ["retry", "misc", "callout", "ratelimit", "seen", "tls",
       "wait-remote_smtp"]
# fuzz_import / fuzz_fixcmd: byte 0 low 3 bits pick the DB.
DB_INDEX = {n: i for i, n in enumerate(DBS)}


def out(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def export(spool, db):
    r = subprocess.run([HINTSDB, "export", "--now=2026-11-27T00:00:00Z",
                        spool, db], capture_output=True, check=True)
    return r.stdout


def records(spool, db):
    lines = export(spool, db).decode().splitlines()
    recs = []
    for line in lines[1:]:
        o = json.loads(line)
        if "key_b64" in o:
            key = base64.b64decode(o["key_b64"])
        else:
            key = o["key"].encode() + b"\0"
        recs.append((key, base64.b64decode(o["raw"])))
    return recs


def v2_spool(tmp):
    """A copy of the example spool with every DB in the v2 layout."""
    sp = os.path.join(tmp, "v2")
    os.makedirs(os.path.join(sp, "db"))
    for db in DBS:
        subprocess.run([HELPER, "copy", os.path.join(SPOOL, "db", db), db,
                        os.path.join(sp, "db", db), "bdb", "v2"], check=True)
        open(os.path.join(sp, "db", db + ".lockfile"), "w").close()
    return sp


def rec_seeds(tmp):
    n = 0
    for layout, spool in (("legacy", SPOOL), ("v2", v2_spool(tmp))):
        lbits = 1 if layout == "legacy" else 2
        for db in DBS:
            t = REC_TYPE["wait" if db.startswith("wait-") else db]
            for key, val in records(spool, db)[:3]:
                for lb in (0, lbits):
                    b0 = t | lb << 3
                    out("fuzz_rec", "%s-%s-%d-%d" % (db, layout, lb, n),
                        bytes([b0, len(key)]) + key + val)
                    n += 1
    # Shapes the fixtures lack: EHLO with and without limits, serialise,
    # obsolete callout, a wait record with old 16-character ids.
    ts = struct.pack("<q", 1795722966)
    extra = [
        (3, b"192.0.2.1:25.EHLO\0", ts + struct.pack("<4H", 0x1ff, 0x1ff, 1, 3)),
        (3, b"192.0.2.1:25.EHLO\0", ts + struct.pack("<4H3I4x", 0x21, 0x1, 0, 0,
                                                     50, 100, 10)),
        (3, b"tpt-serialize-smtp\0", ts + struct.pack("<i4x", 2)),
        (3, b"etrn-example.org\n\0", ts + struct.pack("<i4x", 1)),
        (4, b"example.org\0", ts + struct.pack("<3i4x", 1, 2, 0)),
        (2, b"mx.example.org\0", ts + struct.pack("<ii", 2, 0) +
         b"1pQ2rS-000abc-Tu1pQ2rS-000abd-Tv" + b"\0" * 8),
        (1, b"T:mx.example.org:192.0.2.1:1pQ2rS-000abc-Tu\0",
         ts * 4 + struct.pack("<Iii", 1, 110, ord("M")) + b"Connection refused\0\0\0\0"),
    ]
    for i, (t, key, val) in enumerate(extra):
        out("fuzz_rec", "shape-%d" % i, bytes([t | 1 << 3, len(key)]) + key + val)


def tls_seeds():
    files = sorted(os.listdir(TLS))
    for f in files:
        p = os.path.join(TLS, f)
        data = open(p, "rb").read()
        if f.endswith((".facts", ".py", ".crt")):
            continue
        # every input form for the ticket command
        out("fuzz_ticket_sniff", f, data)
        if f.endswith(".bin"):
            out("fuzz_tls_gnutls", f, b"\xff" + data)
            if len(data) > 4:
                # layout B and C writers for the same body
                out("fuzz_tls_gnutls", f + "-v3.7.1", b"\x06" + data[4:])
                out("fuzz_tls_gnutls", f + "-v3.6.13", b"\x04" + data[4:])
        elif f.endswith(".der"):
            out("fuzz_tls_der", f, b"\x00" + data)
            out("fuzz_tls_der", f + "-rec", b"\x02" + data)
    for f in ("ec.crt", "rsa.crt"):
        der = subprocess.run(["openssl", "x509", "-outform", "DER", "-in",
                              os.path.join(TLS, f)], capture_output=True,
                             check=True).stdout
        out("fuzz_tls_der", f + ".der", b"\x01" + der)
    # the real Exim record from the example spool
    for key, val in records(SPOOL, "tls"):
        out("fuzz_ticket_sniff", "exim496-record", val)
        out("fuzz_tls_gnutls", "exim496-payload", b"\xff" + val[9:-7])


def open_seeds(tmp):
    """Small fixture DBs (seen, callout, retry) in every backend."""
    for be in ("bdb", "gdbm", "tdb", "ndbm", "sqlite"):
        for db in ("seen", "callout", "retry"):
            layouts = ("legacy", "v2") if db == "retry" else ("legacy",)
            for layout in layouts:
                d = os.path.join(tmp, "o", be, db, layout)
                os.makedirs(d)
                base = os.path.join(d, db)
                subprocess.run([HELPER, "copy", os.path.join(SPOOL, "db", db),
                                db, base, be, layout], check=True)
                if be == "ndbm":
                    data = open(base + ".dir", "rb").read()
                    data += open(base + ".pag", "rb").read()
                else:
                    data = open(base, "rb").read()
                out("fuzz_open_" + be, "%s-%s" % (db, layout), data)
    # the sqlite 4.98 "tbl" schema too
    d = os.path.join(tmp, "o", "tbl")
    os.makedirs(d)
    subprocess.run([HELPER, "copy", os.path.join(SPOOL, "db", "seen"), "seen",
                    os.path.join(d, "seen"), "sqlite", "legacy", "sqlite-tbl"],
                   check=True)
    out("fuzz_open_sqlite", "seen-tbl", open(os.path.join(d, "seen"), "rb").read())


def salvage_seeds(tmp):
    """fuzz_salvage: byte 0 the holes (see fuzz_salvage.c), then a file:
    the bdb fixtures as they are and with a 64 GiB hole after them, and
    the lying files of tests/data/make-lying-bdb.py, small."""
    d = os.path.join(OUT, "fuzz_open_bdb")
    for name in sorted(os.listdir(d)):
        data = open(os.path.join(d, name), "rb").read()
        out("fuzz_salvage", name, b"\0" + data)
        out("fuzz_salvage", name + "-hole64g", b"\x24" + data)
    for name, head, args in (("lying-sparse-64g", b"\x24", ["sparse", "0"]),
                             ("lying-sparse-1t", b"\x28", ["sparse", "0"]),
                             ("lying-dense", b"\0", ["sparse", "dense"]),
                             ("lying-ovloop", b"\0", ["ovloop", "32768"])):
        p = os.path.join(tmp, name)
        subprocess.run([sys.executable, LYING, args[0], p] + args[1:] +
                       (["1795737600"] if args[0] == "sparse" else []),
                       check=True)
        out("fuzz_salvage", name, head + open(p, "rb").read())


def import_seeds(tmp):
    for db in DBS:
        data = export(SPOOL, db)
        out("fuzz_import", db, bytes([DB_INDEX[db]]) + data)
        # and into an existing GDBM DB (bit 3), dropping bad records (bit 4)
        out("fuzz_import", db + "-gdbm", bytes([DB_INDEX[db] | 0x18]) + data)
    v2 = os.path.join(tmp, "v2")
    for db in ("retry", "ratelimit"):
        out("fuzz_import", db + "-v2", bytes([DB_INDEX[db]]) + export(v2, db))


def quote(key):
    """A key as fix's command language takes it: double quotes, escapes."""
    s = '"'
    for c in key:
        if c in b'"\\':
            s += "\\" + chr(c)
        elif 0x20 <= c < 0x7f:
            s += chr(c)
        else:
            s += "\\x%02x" % c
    return s + '"'


def fix_seeds():
    edits = {
        "retry": ["0 -1", "1 77", "2 2612312359", "3 26:12:31:23:59",
                  "4 12312359", "5 yes", "5 maybe", "9 1"],
        "callout": ["0 2", "1 1", "2 3", "7 1"],
        "ratelimit": ["1 500000", "2 3.25", "3 2612312359", "4 alice",
                      "5 bob", "4 bob"],
        "seen": ["0 1"],
        "misc": ["0 1"],
        "tls": ["0 1"],
        "wait-remote_smtp": ["0 1"],
    }
    for db in DBS:
        recs = records(SPOOL, db)
        lines = []
        for key, _ in recs[:3]:
            k = key[:-1] if key.endswith(b"\0") else key
            lines.append(quote(k))
            for e in edits[db]:
                lines.append(e)
            lines.append("d")
            lines.append(quote(k))
        lines += ["'no such key'", "d", '"a\\tb" 0', "q"]
        text = ("\n".join(lines) + "\n").encode()
        out("fuzz_fixcmd", db, bytes([DB_INDEX[db]]) + text)
        out("fuzz_fixcmd", db + "-compat", bytes([DB_INDEX[db] | 8]) + text)


def main():
    for p in (HINTSDB, HELPER):
        if not os.access(p, os.X_OK):
            sys.exit("make-corpus: %s is missing: run make first" % p)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    with tempfile.TemporaryDirectory() as tmp:
        rec_seeds(tmp)
        tls_seeds()
        open_seeds(tmp)
        salvage_seeds(tmp)
        import_seeds(tmp)
        fix_seeds()
    total = 0
    for t in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, t))
        size = sum(os.path.getsize(os.path.join(OUT, t, f)) for f in files)
        total += size
        print("%-20s %3d files %7d bytes" % (t, len(files), size))
    print("%-20s %17d bytes" % ("total", total))


if __name__ == "__main__":
    main()
