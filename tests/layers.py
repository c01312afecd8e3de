#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""layers.py - check that lib/ keeps its one-way dependencies.

    layers.py [TOP]                 the #include lines of TOP/lib
    layers.py --objects DIR [TOP]   also the symbols of the objects that
                                    DIR/lib holds (nm), built from TOP

The layers, lowest first (lib/README):

    lib/*.[ch]      shared helpers (xmalloc, out, obuf, jout, hash): use
                    nothing of lib/db, lib/rec, lib/tls
    lib/db          the DBM layer: uses the shared helpers only
    lib/tls         TLS sessions: uses the shared helpers only; inside it
                    the formatters (tls_out.*) are used by no other file
    lib/rec         records: may use lib/db and lib/tls; of the TLS
                    formatters only the record formatter (recfmt*.c) may

Nothing in lib/ may include a header of tools/, and with --objects no
file calls, through others, back into itself.  A plain include ("x.h")
is looked up as the compiler does: the including file's folder, then lib/,
then tools/ (the Makefile's -Ilib -Itools).  Prints one line per breach
and exits 1 if there is any, else 0.
"""
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# layer -> the layers it may use (besides itself)
MAY_USE = {
    "top": set(),
    "db": {"top"},
    "tls": {"top"},
    "rec": {"top", "db", "tls"},
}
FORMATTER = re.compile(r"^lib/tls/tls_out\.[ch]$")
MAY_USE_FORMATTER = re.compile(r"^lib/(tls/tls_out|rec/recfmt[a-z_]*)\.[ch]$")


def layer(rel):
    """The layer of a path relative to TOP, or None outside lib/."""
    parts = rel.split("/")
    if parts[0] != "lib":
        return None
    if len(parts) == 2:
        return "top"
    return parts[1]


def resolve(top, src, name):
    """The path (relative to top) an include of name in src reaches."""
    for base in (os.path.dirname(src), "lib", "tools"):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.exists(os.path.join(top, p)):
            return p
    return os.path.normpath(os.path.join(os.path.dirname(src), name))


def check_use(src, dst, how, out):
    """Record a breach if src may not use dst."""
    ls, ld = layer(src), layer(dst)
    if ld is None:
        out.append("%s: %s %s, outside lib/" % (src, how, dst))
        return
    if ls != ld and ld not in MAY_USE.get(ls, set()):
        out.append("%s: %s %s: lib/%s may not use lib/%s" %
                   (src, how, dst, ls, ld))
    elif FORMATTER.match(dst) and not MAY_USE_FORMATTER.match(src):
        out.append("%s: %s %s: only the record formatter uses the TLS "
                   "formatters" % (src, how, dst))


def lib_sources(top):
    for d, _, files in os.walk(os.path.join(top, "lib")):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(d, f), top)


def check_includes(top):
    out = []
    for src in sorted(lib_sources(top)):
        with open(os.path.join(top, src), errors="replace") as f:
            text = f.read()
        for name in INCLUDE.findall(text):
            dst = resolve(top, src, name)
            if dst != src:
                check_use(src, dst, "includes", out)
    return out


def nm(path):
    """(functions defined, symbols used) of an object: a reference to data
    (a backend's ops table in hdb.c's registry) is not a call."""
    r = subprocess.run(["nm", "-P", path], stdout=subprocess.PIPE,
                       text=True, check=True)
    defined, undefined = set(), set()
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) < 2:
            continue
        if f[1] == "U":
            undefined.add(f[0])
        elif f[1] in "TW":
            defined.add(f[0])
    return defined, undefined


def check_objects(top, objdir):
    """The same rules over calls: who defines what another object uses."""
    objs = {}
    for d, _, files in os.walk(os.path.join(objdir, "lib")):
        for f in files:
            if f.endswith(".o"):
                o = os.path.join(d, f)
                rel = os.path.relpath(o, objdir)[:-2] + ".c"
                objs[rel] = nm(o)
    owner = {}
    for rel, (defined, _) in objs.items():
        for s in defined:
            owner[s] = rel
    out = []
    calls = {rel: set() for rel in objs}
    for rel in sorted(objs):
        for s in sorted(objs[rel][1]):
            if s in owner and owner[s] != rel:
                check_use(rel, owner[s], "calls %s in" % s, out)
                calls[rel].add(owner[s])
    out += circles(calls)
    return out


def circles(calls):
    """One line per circle of calls among files (any layer)."""
    out, seen = [], set()

    def walk(path):
        for nxt in sorted(calls[path[-1]]):
            if nxt == path[0]:
                key = frozenset(path)
                if key not in seen:
                    seen.add(key)
                    out.append("circle: " + " -> ".join(path + [nxt]))
            elif nxt not in path and nxt > path[0]:
                walk(path + [nxt])

    for start in sorted(calls):
        walk([start])
    return out


def main(argv):
    objdir = None
    if len(argv) >= 2 and argv[0] == "--objects":
        objdir = argv[1]
        argv = argv[2:]
    top = argv[0] if argv else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    out = check_includes(top)
    if objdir is not None:
        out += check_objects(top, objdir)
    for line in out:
        print(line)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
