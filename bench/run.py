#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""run.py - `make bench`: hintsdb against Exim's own tools, side by side.

Generates (once, cached under bench/work/) deterministic legacy-layout
Berkeley DB spools with the project's test helper (hdb-test gen): retry and
callout DBs of 100,000 and 1,000,000 records with time stamps spread over
the 60 days before today, a tls DB of 100,000 sessions cloned from the real
captured sessions in tests/data/tls and examples/spool, and the 100,000
retry records again in GDBM, tdb and SQLite files (hdb-test copy).

Exim's own tools never come from the host (which has no MTA): they run
in the cached Debian chroots of tests/interop/chroot.sh, bookworm's 4.96
(Berkeley DB) unless said, sid's 4.100.1 (SQLite) for the SQLite groups.
The chroot binds the work directory (TMPDIR), so file names mean the same
inside; the wrapper's own cost (`chroot.sh run SUITE true`, median of 5)
is measured and taken off those tools' wall and CPU times.

Every command runs under bench/prober.c, which gives wall, user and system
time, peak RSS (wait4) and the longest time a concurrent prober trying
F_SETLK F_WRLCK every millisecond had to wait for the write lock.  The
commands of one group run alternately, in forward then reverse order,
--runs times after one warm-up round; we report medians, min-max and, for
each pair, the median and range of the per-round ratios.

The holds part (bench-holds) runs tidy on 1M records (tdb 300k) per
backend, 10 times on a fresh copy and 10 on a warm one, under the
lockfile poller, and reports its longest write hold against
--max-lock-ms.

The noblock part (bench-noblock, with tidycost) runs bench/exprobe.c, an
Exim-like writer, beside each command that locks, on 1M retry records in
Berkeley DB, GDBM and SQLite (v2, tblblob) and 300k in tdb, and beside
Exim's own exim_tidydb (4.96 on Berkeley DB, 4.100.1 on SQLite); tidycost
times tidy on tdb against Berkeley DB and on SQLite against exim_tidydb
4.100.1.  The swap part (also bench-noblock) runs four Exim 4.100.1-like
SQLite writers (tests/helper's sqlwriter: three open a connection a
write, one keeps it, each writes every 1 ms) beside tidy, convert
--in-place and import on 1M SQLite (v2) records, and counts the writes
that failed or, acknowledged, are not in the file afterwards.

The migrate part puts import and convert beside the floors of issue 35,
on the 1M retry records: import of `hintsdb export`'s output into a new
Berkeley DB file against db5.3_load of db5.3_dump's output; import into
SQLite (v2) and GDBM against convert into the same; convert into SQLite
(v2, tblblob) against convert into Berkeley DB (v2).  The GDBM pair runs
in a group of its own, 3 runs by default (--migrate-gdbm-runs: GDBM's
convert of 1M records takes 10 to 50 s).  Every command writes a
new file in an empty spool made before each run, outside the timing;
the inputs are made once and cached.

Writes bench/RESULTS.md and bench/results.json; a run of some parts
(--only) keeps the other parts' results from the last results.json.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DAY = 86400
GEN_VERSION = 1          # bump when hdb-test gen changes its output
CHROOT = os.path.join(TOP, "tests", "interop", "chroot.sh")
SUITES = {"bookworm": "4.96", "trixie": "4.98.2", "sid": "4.100.1"}
PARTS = ("dump", "tidy", "backends", "tls", "callgrind", "noblock",
         "tidycost", "holds", "migrate", "swap")
SEEDS = {"retry": 1, "callout": 2, "tls": 3}


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def fmt_n(n):
    return "1M" if n == 1000000 else "%dk" % (n // 1000) if n % 1000 == 0 \
        else str(n)


class Bench:
    def __init__(self, a):
        self.a = a
        self.work = os.path.abspath(a.work)
        self.hintsdb = os.path.abspath(os.path.join(a.bin, "hintsdb"))
        self.helper = os.path.abspath(os.path.join(a.build, "helper",
                                                   "hdb-test"))
        bb = os.path.abspath(os.path.join(a.build, "bench"))
        self.prober = os.path.join(bb, "prober")
        self.scan = os.path.join(bb, "scan")
        self.tlsdec = os.path.join(bb, "tlsdec")
        self.exprobe = os.path.join(bb, "exprobe")
        self.now = int(time.time()) // DAY * DAY
        env = {k: v for k, v in os.environ.items() if k != "TZ"}
        env["LC_ALL"] = "C"
        self.env = env
        # chroot.sh binds TMPDIR into the chroot at the same path
        self.xenv = dict(env, TMPDIR=self.work)
        self.overhead = {}
        self.results = {"datasets": {}, "groups": [], "checks": {},
                        "notes": []}

    # ---------------------------------------------------------------- data
    def run_quiet(self, argv, **kw):
        r = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, **kw)
        if r.returncode != 0:
            raise SystemExit("bench: %s failed (%d): %s" %
                             (" ".join(argv), r.returncode, r.stderr.strip()))
        return r.stdout

    def spool(self, name):
        return os.path.join(self.work, name)

    def make_spool_dirs(self, sp, dbname):
        os.makedirs(os.path.join(sp, "db"), exist_ok=True)
        os.makedirs(os.path.join(sp, "input"), exist_ok=True)
        lock = os.path.join(sp, "db", dbname + ".lockfile")
        if not os.path.exists(lock):
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o640)
            os.close(fd)

    def cached(self, sp, stamp):
        try:
            with open(os.path.join(sp, "STAMP")) as f:
                old = json.load(f)
        except (OSError, ValueError):
            return False
        # A day-old set is still good: tidy -t 30d then deletes 31/60.
        return all(old.get(k) == v for k, v in stamp.items()
                   if k != "now") and self.now - old.get("now", 0) <= DAY

    def tls_payloads(self):
        d = os.path.join(TOP, "tests", "data", "tls")
        files = sorted(os.path.join(d, f) for f in os.listdir(d)
                       if f.endswith(".der") or (f.endswith(".bin") and
                                                 "placeholder" not in f))
        real = os.path.join(TOP, "examples", "spool", "db", "tls")
        return files + ([real] if os.path.exists(real) else [])

    def dataset(self, typ, n, backend="bdb", layout="legacy"):
        """Spool with db/<typ> of n records; generated or copied once."""
        name = "%s-%s" % (typ, fmt_n(n)) + ("" if backend == "bdb" else
                                            "-" + backend) + \
            ("" if layout == "legacy" else "-" + layout)
        sp = self.spool(name)
        stamp = {"gen": GEN_VERSION, "type": typ, "n": n,
                 "seed": SEEDS[typ], "backend": backend, "now": self.now}
        src = None
        if backend != "bdb":
            src = self.dataset(typ, n)
            with open(os.path.join(src, "STAMP")) as f:
                stamp["now"] = json.load(f)["now"]
        pays = self.tls_payloads() if typ == "tls" else []
        if typ == "tls":
            stamp["payloads"] = [os.path.basename(p) for p in pays]
        if not self.cached(sp, stamp):
            t0 = time.time()
            shutil.rmtree(sp, ignore_errors=True)
            self.make_spool_dirs(sp, typ)
            db = os.path.join(sp, "db", typ)
            if backend == "bdb":
                self.run_quiet([self.helper, "gen", db, "bdb", typ, str(n),
                                str(SEEDS[typ]), str(self.now)] + pays)
            else:
                self.run_quiet([self.helper, "copy",
                                os.path.join(src, "db", typ), typ, db,
                                backend, layout])
            with open(os.path.join(sp, "STAMP"), "w") as f:
                json.dump(stamp, f)
            log("generated %s in %.1f s" % (name, time.time() - t0))
        db = os.path.join(sp, "db", typ)
        with open(os.path.join(sp, "STAMP")) as f:
            gen_now = json.load(f)["now"]
        info = {"path": os.path.relpath(db, TOP), "records": n,
                "type": typ, "backend": backend,
                "file_bytes": os.path.getsize(db),
                "generated_for": datetime.datetime.fromtimestamp(
                    gen_now, datetime.timezone.utc).strftime("%Y-%m-%d")}
        if backend == "bdb":
            info["scan"] = self.run_quiet([self.scan, db]).strip()
        self.results["datasets"][name] = info
        return sp

    # ---------------------------------------------------------------- exim
    def exim(self, suite, prog, args, name, tz=False):
        """A command dict running Exim's PROG in SUITE's chroot."""
        self.ensure_chroot(suite)
        env = dict(self.xenv, TZ="UTC") if tz else self.xenv
        c = {"name": name, "argv": ["sh", CHROOT, "run", suite, prog] + args,
             "suite": suite, "env": env}
        if tz:
            c["env_note"] = "TZ=UTC"
        return c

    def ensure_chroot(self, suite):
        """Build the chroot if it is missing (under chroot.sh's lock)."""
        if suite in self.overhead:
            return
        log("chroot %s (Exim %s): checking, building if missing" %
            (suite, SUITES[suite]))
        r = subprocess.run(["sh", CHROOT, "root", suite],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        if r.returncode != 0:
            raise SystemExit("bench: the %s chroot is not available: %s" %
                             (suite, r.stderr.strip()))
        samples = [self.probe(["sh", CHROOT, "run", suite, "true"],
                              env=self.xenv) for _ in range(6)][1:]
        o = {k: statistics.median(m[k] for m in samples)
             for k in ("wall_ms", "user_ms", "sys_ms", "maxrss_kib")}
        o["runs"] = len(samples)
        ver = subprocess.run(["sh", CHROOT, "run", suite, "dpkg-query",
                              "-W", "-f", "${Version}", "exim4-base"],
                             stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        o["exim4_base"] = ver.stdout.strip()
        self.overhead[suite] = o
        self.results.setdefault("chroot_overhead", {})[suite] = o
        log("chroot %s: exim4-base %s, wrapper overhead %.0f ms wall, "
            "%.0f ms cpu, %.1f MiB" % (suite, o["exim4_base"], o["wall_ms"],
                                       o["user_ms"] + o["sys_ms"],
                                       o["maxrss_kib"] / 1024))

    def unwrap(self, suite, m):
        """Take the chroot wrapper's median cost off an Exim tool's times;
        the raw figures stay beside them.  Peak RSS is the largest of the
        wrapper's processes and the tool, so it stays as measured."""
        if suite is None:
            return
        o = self.overhead[suite]
        for k in ("wall_ms", "user_ms", "sys_ms"):
            m[k + "_raw"] = m[k]
            m[k] = max(0.0, m[k] - o[k])

    def rel(self, argv):
        """argv as results.json keeps it: paths relative to the tree."""
        short = {self.hintsdb: "hintsdb", self.scan: "scan",
                 self.tlsdec: "tlsdec", self.helper: "hdb-test",
                 self.exprobe: "exprobe", self.prober: "prober"}
        return [short.get(x) or (os.path.relpath(x, TOP)
                                 if x.startswith(TOP + "/") else x)
                for x in argv]

    def count(self, sp, typ, backend):
        """Records left in SPOOL/db/TYP."""
        if backend == "bdb":
            out = self.run_quiet([self.scan, os.path.join(sp, "db", typ)])
            return int(out.split()[0])
        out = self.run_quiet([self.hintsdb, "stat", "--format=json", sp,
                              typ], env=self.env)
        return json.loads(out.splitlines()[0])["records"]

    # ------------------------------------------------------------- measure
    def probe(self, argv, lockfile=None, env=None, out="/dev/null"):
        errf = os.path.join(self.work, "last.err")
        cmd = [self.prober, "-o", out, "-e", errf]
        if lockfile is not None:
            cmd += ["-l", lockfile]
        r = subprocess.run(cmd + ["--"] + argv, stdout=subprocess.PIPE,
                           text=True, env=env or self.env)
        if r.returncode != 0:
            raise SystemExit("bench: prober failed on %s" % " ".join(argv))
        m = json.loads(r.stdout)
        with open(errf, errors="replace") as f:
            m["stderr"] = f.read()[-300:].replace(TOP + "/", "")
        return m

    def group(self, name, cmds, pairs, runs=None, warmup=True, setup=None,
              after=None, note=None):
        """Run cmds (dicts: name, argv, lock, env) alternately.

        setup(cmd) runs before each run, outside the timing, and may return
        replacement argv/lockfile; after(cmd, m) may add fields to m.
        """
        runs = runs or self.a.runs
        log("%s: %d command(s) x %d run(s)%s" %
            (name, len(cmds), runs, " + warm-up" if warmup else ""))
        samples = {c["name"]: [] for c in cmds}
        rounds = ([-1] if warmup else []) + list(range(runs))
        for r in rounds:
            order = cmds if r % 2 == 0 else list(reversed(cmds))
            for c in order:
                argv, lock = c["argv"], c.get("lock")
                if setup is not None:
                    argv, lock = setup(c)
                m = self.probe(argv, lock, c.get("env"),
                               c.get("out", "/dev/null"))
                self.unwrap(c.get("suite"), m)
                if m["status"] != 0 and not c.get("may_fail"):
                    raise SystemExit("bench: %s exited %d: %s" %
                                     (" ".join(argv), m["status"],
                                      m["stderr"]))
                if after is not None:
                    after(c, m)
                if r >= 0:
                    samples[c["name"]].append(m)
        g = {"name": name, "runs": runs, "warmup": warmup, "commands": [],
             "ratios": []}
        if note:
            g["note"] = note
        for c in cmds:
            s = samples[c["name"]]
            ent = {"name": c["name"], "argv": self.rel(c["argv"]),
                   "env": c.get("env_note", "default (TZ unset)"),
                   "samples": s, "stats": {}}
            if c.get("suite"):
                ent["exim"] = SUITES[c["suite"]]
            for k in ("wall_ms", "cpu_ms", "maxrss_kib", "lock_max_wait_ms",
                      "lock_blocked_ms") + tuple(c.get("extra", ())):
                vals = [x["user_ms"] + x["sys_ms"] if k == "cpu_ms" else
                        x.get(k) for x in s]
                vals = [v for v in vals if v is not None]
                if vals:
                    ent["stats"][k] = {"median": statistics.median(vals),
                                       "min": min(vals), "max": max(vals)}
            g["commands"].append(ent)
        for a_name, b_name in pairs:
            ra = [x / y for x, y in
                  zip([m["wall_ms"] for m in samples[a_name]],
                      [m["wall_ms"] for m in samples[b_name]]) if y > 0]
            if ra:
                g["ratios"].append({"a": a_name, "b": b_name,
                                    "median": statistics.median(ra),
                                    "min": min(ra), "max": max(ra)})
        self.keep_group(g)
        return g

    def keep_group(self, g):
        """Add g to the results, in place of a kept one of its name."""
        gs = self.results["groups"]
        for i, old in enumerate(gs):
            if old["name"] == g["name"]:
                gs[i] = g
                return
        gs.append(g)

    # -------------------------------------------------------------- checks
    def same_output(self, sp, db):
        """hintsdb's exim format equals exim_dumpdb's, byte for byte."""
        ex = self.exim("bookworm", "exim_dumpdb", [sp, db], "", tz=True)
        outs = []
        for argv, env in ((ex["argv"], ex["env"]),
                          ([self.hintsdb, "dump", "--format=exim", sp, db],
                           dict(self.env, TZ="UTC"))):
            p = os.path.join(self.work, "cmp.%d" % len(outs))
            with open(p, "w") as f:
                subprocess.run(argv, stdout=f, stderr=subprocess.DEVNULL,
                               env=env, check=True)
            outs.append(p)
        r = subprocess.run(["cmp", "-s"] + outs).returncode == 0
        size = os.path.getsize(outs[0])
        for p in outs:
            os.unlink(p)
        return {"identical": r, "bytes": size}

    # -------------------------------------------------------------- groups
    def dump_group(self, typ, n):
        sp = self.dataset(typ, n)
        db = os.path.join(sp, "db", typ)
        lock = db + ".lockfile"
        h = self.hintsdb
        cmds = [
            {"name": "scan", "argv": [self.scan, db], "lock": lock},
            {"name": "hintsdb-exim",
             "argv": [h, "dump", "--format=exim", sp, typ], "lock": lock},
            dict(self.exim("bookworm", "exim_dumpdb", [sp, typ],
                           "exim_dumpdb"), lock=lock),
            dict(self.exim("bookworm", "exim_dumpdb", [sp, typ],
                           "exim_dumpdb-TZ", tz=True), lock=lock),
            {"name": "hintsdb-text", "argv": [h, "dump", sp, typ],
             "lock": lock},
            {"name": "hintsdb-json",
             "argv": [h, "dump", "--format=json", sp, typ], "lock": lock},
            {"name": "hintsdb-unsorted",
             "argv": [h, "dump", "--unsorted", sp, typ], "lock": lock},
        ]
        pairs = [("exim_dumpdb", "hintsdb-exim"),
                 ("exim_dumpdb-TZ", "hintsdb-exim"),
                 ("hintsdb-exim", "scan"), ("hintsdb-text", "scan"),
                 ("hintsdb-json", "scan")]
        return self.group("dump %s %s" % (typ, fmt_n(n)), cmds, pairs)

    def export_group(self, n):
        """export against Berkeley DB's own db5.3_dump (the host's: the
        floor issue 35 sets), both of the same n retry records; the
        spill file of a sorted export goes to the work directory."""
        sp = self.dataset("retry", n)
        db = os.path.join(sp, "db", "retry")
        lock = db + ".lockfile"
        dbd = shutil.which("db5.3_dump")
        if dbd is None:
            log("export: no db5.3_dump on this host; group left out")
            return None
        env = dict(self.env, TMPDIR=self.work)
        cmds = [{"name": "hintsdb-export", "lock": lock, "env": env,
                 "argv": [self.hintsdb, "export", sp, "retry"]},
                {"name": "db5.3_dump", "lock": lock, "argv": [dbd, db]}]
        return self.group("export retry %s" % fmt_n(n), cmds,
                          [("hintsdb-export", "db5.3_dump")])

    def tidy_cmd(self, who, name, out=None, opts=()):
        """tidy -t 30d of @SPOOL@'s retry: hintsdb's (with opts), or Exim's
        in a chroot (who = suite)."""
        if who != "hintsdb":
            return dict(self.exim(who, "exim_tidydb",
                                  ["-t", "30d", "@SPOOL@", "retry"], name),
                        extra=("deleted",))
        return {"name": name, "out": out or os.path.join(self.work,
                                                         name + ".json"),
                "argv": [self.hintsdb, "tidy", "--format=json", "-t", "30d"]
                + list(opts) + ["@SPOOL@", "retry"],
                "extra": ("deleted", "tidy_max_write_hold_ms",
                          "tidy_read_hold_ms", "tidy_lock_holds",
                          "tidy_compacted", "size_after")}

    def tidy_group(self, name, entries, pairs, runs=None, warmup=True,
                   note=""):
        """tidy on a fresh copy of a spool before every run.

        entries: (command name, who: "hintsdb" or a chroot suite, backend,
        records); the spool is retry-N[-backend] (SQLite in v2).  Backend
        "tdb+rebuilt" is the tdb file after `hintsdb convert --in-place`
        (outside the timing), which gives it a chain for every few
        records instead of Exim's 131.  A command named *-inplace runs
        tidy --no-compact: deleting in place, where tidy would rebuild."""
        cmds, src, tmp, meta = [], {}, {}, {}
        for i, (cname, who, be, n) in enumerate(entries):
            base = be.split("+")[0]
            src[cname] = self.dataset("retry", n, base,
                                      "v2" if be == "sqlite" else "legacy")
            tmp[cname] = self.spool("tidy-%d" % i)
            meta[cname] = (base, n, be.endswith("+rebuilt"))
            c = self.tidy_cmd(who, cname, opts=("--no-compact",)
                              if cname.endswith("-inplace") else ())
            c["backend"] = be
            cmds.append(c)

        def setup(c):
            sp = tmp[c["name"]]
            shutil.rmtree(sp, ignore_errors=True)
            shutil.copytree(src[c["name"]], sp)
            if meta[c["name"]][2]:
                subprocess.run([self.hintsdb, "convert", "--in-place", sp,
                                "retry"], check=True,
                               stdout=subprocess.DEVNULL)
            os.sync()
            argv = [x if x != "@SPOOL@" else sp for x in c["argv"]]
            lock = os.path.join(sp, "db", "retry.lockfile")
            return argv, lock if meta[c["name"]][0] != "sqlite" else None

        def after(c, m):
            be, n, _ = meta[c["name"]]
            m["deleted"] = n - self.count(tmp[c["name"]], "retry", be)
            if "out" not in c:
                return
            try:
                with open(c["out"]) as f:
                    t = json.loads(f.read().strip().splitlines()[-1])
                m["tidy_max_write_hold_ms"] = t.get("max_lock_held_ms")
                m["tidy_read_hold_ms"] = t.get("read_lock_held_ms")
                m["tidy_lock_holds"] = t.get("lock_holds")
                m["tidy_compacted"] = 1 if t.get("compacted") else 0
                m["size_after"] = t.get("size_after", t.get("size_before"))
            except (OSError, ValueError, IndexError):
                pass

        try:
            g = self.group(name, cmds, pairs, runs=runs, warmup=warmup,
                           setup=setup, after=after,
                           note="fresh copy of the spool before every run, "
                           "outside the timing" + note)
        finally:
            for sp in tmp.values():
                shutil.rmtree(sp, ignore_errors=True)
        return g

    def noblock_cmds(self, layout, suite, out, dump):
        h = self.hintsdb
        other = "v2" if layout == "legacy" else "legacy"
        cmds = [self.tidy_cmd("hintsdb", "hintsdb-tidy", out),
                {"name": "hintsdb-delete",
                 "argv": [h, "delete", "-q", "--match=T:mx1.*", "@SPOOL@",
                          "retry"]},
                {"name": "hintsdb-dump",
                 "argv": ["sh", "-c", '"$0" dump "$1" retry >/dev/null', h,
                          "@SPOOL@"]},
                {"name": "hintsdb-convert",
                 "argv": [h, "convert", "--in-place",
                          "--to-layout=" + other, "@SPOOL@", "retry"]},
                {"name": "hintsdb-import",
                 "argv": ["sh", "-c", '"$0" import "$1" retry < "$2"', h,
                          "@SPOOL@", dump]},
                {"name": "hintsdb-check",
                 "argv": [h, "check", "@SPOOL@", "retry"]}]
        if suite is not None:
            self.ensure_chroot(suite)
            cmds.append(self.tidy_cmd(suite, "exim_tidydb-" + SUITES[suite]))
        if self.a.noblock_cmds:
            keep = set(self.a.noblock_cmds.split(","))
            cmds = [c for c in cmds if c["name"] in keep]
        return cmds

    def noblock_one(self, c, src, sp, backend, n, writer):
        """One command under exprobe on a fresh copy of src."""
        db = os.path.join(sp, "db", "retry")
        shutil.rmtree(sp, ignore_errors=True)
        shutil.copytree(src, sp)
        os.chmod(sp, 0o755)
        os.sync()
        argv = [x if x != "@SPOOL@" else sp for x in c["argv"]]
        out = c.get("out", os.path.join(self.work, "noblock.out"))
        errf = os.path.join(self.work, "noblock.err")
        r = subprocess.run([self.exprobe] + writer +
                           ["-o", out, "-e", errf, "-f", db, "--"] + argv,
                           stdout=subprocess.PIPE, text=True,
                           env=c.get("env", self.env))
        if r.returncode != 0:
            raise SystemExit("bench: exprobe failed on %s" % " ".join(argv))
        m = json.loads(r.stdout)
        self.unwrap(c.get("suite"), m)
        m["name"], m["argv"] = c["name"], self.rel(c["argv"])
        if c.get("suite"):
            m["exim"] = SUITES[c["suite"]]
        m["left"] = self.count(sp, "retry", backend)
        if m["status"] != 0:
            with open(errf, errors="replace") as f:
                m["stderr"] = f.read()[-300:].replace(TOP + "/", "")
            log("noblock %s: %s exited %d: %s" % (backend, c["name"],
                                                  m["status"], m["stderr"]))
        if "out" in c:
            try:
                with open(out) as f:
                    t = json.loads(f.read().strip().splitlines()[-1])
                m["tool_holds"] = t.get("lock_holds")
                m["tool_max_hold_ms"] = t.get("max_lock_held_ms")
            except (OSError, ValueError, IndexError):
                pass
        log("noblock %s %s %s: %.0f ms, writer max %.1f ms, %d/%d failed, "
            "%d lost, %d left" % (backend, fmt_n(n), c["name"], m["wall_ms"],
                                  m["max_wait_ms"], m["failed"], m["writes"],
                                  m["lost"], m["left"]))
        return m

    def noblock_group(self, backend, n, layout="legacy", suite=None):
        """An Exim-like writer (bench/exprobe.c) beside each command that
        takes a lock (tidy, delete, dump, convert --in-place, import),
        and beside Exim's own exim_tidydb of SUITE, on fresh copies of
        the spool."""
        src = self.dataset("retry", n, backend, layout)
        sp = self.spool("noblock")
        dump = os.path.join(self.work, "noblock.dump")
        cmds = self.noblock_cmds(layout, suite,
                                 os.path.join(self.work, "noblock.json"), dump)
        with open(dump, "w") as f:
            subprocess.run([self.hintsdb, "export", src, "retry"], stdout=f,
                           check=True, env=self.env)
        # tdb: Exim 4.99+ writes in tdb transactions, 4.94-4.98 by lockfile
        writer = ["-t"] if backend == "tdb" and \
            self.a.noblock_tdb_writer == "txn" else []
        res = [self.noblock_one(c, src, sp, backend, n, writer)
               for _ in range(self.a.noblock_runs) for c in cmds]
        shutil.rmtree(sp, ignore_errors=True)
        os.unlink(dump)
        nb = self.results.setdefault("noblock", [])
        if self.a.noblock_cmds:
            # the other commands' runs stay as they were measured
            redone = {c["name"] for c in cmds}
            res = [m for x in nb if x["backend"] == backend
                   for m in x["runs"] if m["name"] not in redone] + res
        g = {"backend": backend, "records": n, "layout": layout,
             "writer": res[0]["writer"], "runs": res}
        nb[:] = [x for x in nb if x["backend"] != backend] + [g]
        self.a.save()
        return g

    def swap_one(self, name, argv, src, sp, feed=None):
        """name's argv on a fresh copy of src beside four Exim
        4.100.1-like SQLite writers (hdb-test sqlwriter: three open a
        connection a write, one keeps it; each writes every 1 ms), as
        t4176 does, until 50 writes after the command ends.  With feed
        (import), the command reads that file from a pipe and the writers
        start once it has begun its new file: an import replaces what the
        DB held when it began.  Returns the writes, the failed ones (a
        busy timeout included) and the acknowledged ones not in the DB."""
        shutil.rmtree(sp, ignore_errors=True)
        shutil.copytree(src, sp)
        os.sync()
        db = os.path.join(sp, "db", "retry")
        stop = os.path.join(self.work, "swap.stop")
        if os.path.exists(stop):
            os.unlink(stop)
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if feed else
                                subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=self.env)
        fin = None
        if feed:
            fin = open(feed, "rb")
            proc.stdin.write(fin.readline() + fin.readline())
            proc.stdin.flush()
            d = os.path.join(sp, "db")
            while proc.poll() is None and not any(
                    f.startswith(".retry.hintsdb.") for f in os.listdir(d)):
                time.sleep(0.01)
        logs, ws = [], []
        for i in (1, 2, 3, 4):
            lg = os.path.join(self.work, "swap.w%d.log" % i)
            logs.append(lg)
            ws.append(subprocess.Popen(
                [self.helper, "sqlwriter", db, str(i), "200", lg, stop] +
                (["keep"] if i == 4 else []) + ["v2"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if fin:
            shutil.copyfileobj(fin, proc.stdin)
            fin.close()
            proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace")
        status = proc.wait()
        wall = (time.monotonic() - t0) * 1000
        open(stop, "w").close()
        wst = [w.wait() for w in ws]
        acked, writes, failed = {}, 0, 0
        for lg in logs:
            with open(lg) as f:
                for line in f:
                    k, v = line.split()[:2]
                    writes += 1
                    if v == "FAIL":
                        failed += 1
                    else:
                        acked[k] = v
        out = subprocess.run([self.hintsdb, "dump", "--format=exim",
                              "--type=retry", "--file=" + db],
                             stdout=subprocess.PIPE, text=True,
                             env=self.env).stdout
        have = {}
        for line in out.splitlines():
            f = line.split()
            if line.startswith("  w") and len(f) >= 4:
                have[f[0]] = f[3]
        lost = sum(1 for k, v in acked.items() if have.get(k) != v)
        m = {"name": name, "argv": self.rel(argv), "status": status,
             "wall_ms": wall, "writes": writes, "failed": failed,
             "lost": lost, "writers_status": wst,
             "same_inode": None}
        if status != 0:
            m["stderr"] = err[-300:].replace(TOP + "/", "")
        log("swap %s: %.0f ms, %d/%d writes failed, %d lost, exit %d" %
            (name, wall, failed, writes, lost, status))
        return m

    def swap_group(self, n):
        """Item 0 of issue 33: no write lost to a swap where Exim opens
        the DB without a lockfile.  tidy, convert --in-place and import on
        n SQLite records in Exim 4.100.1's layout (tblblob)."""
        src = self.dataset("retry", n, "sqlite", "v2")
        sp = self.spool("swap")
        dump = os.path.join(self.work, "swap.dump")
        with open(dump, "w") as f:
            subprocess.run([self.hintsdb, "export", src, "retry"], stdout=f,
                           check=True, env=self.env)
        h = self.hintsdb
        res = [self.swap_one("hintsdb-tidy", [h, "tidy", "-t", "30d", sp,
                                              "retry"], src, sp),
               self.swap_one("hintsdb-convert",
                             [h, "convert", "--in-place", "--to-layout=legacy",
                              sp, "retry"], src, sp),
               self.swap_one("hintsdb-import", [h, "import", sp, "retry"],
                             src, sp, feed=dump)]
        shutil.rmtree(sp, ignore_errors=True)
        os.unlink(dump)
        self.results["swap"] = {"records": n, "runs": res}
        self.a.save()

    def holds_group(self, backend, n, runs):
        """Item 2 of issue 33: no write hold longer than --max-lock-ms
        (100), the first included.  tidy -t 30d on a copy of the spool,
        runs times "fresh" (copied, then synced) and runs times "warm"
        (copied, synced, then read through, so its pages are cached),
        alternating; each under the prober, whose 1 ms F_SETLK poller
        on the lockfile sees every hold as a waiting Exim would (SQLite
        has no lockfile: there tidy's own max_lock_held_ms alone), with
        the load average at the start of each run."""
        layout = "v2" if backend == "sqlite" else "legacy"
        src = self.dataset("retry", n, backend, layout)
        sp = self.spool("holds")
        out = os.path.join(self.work, "holds.json")
        db = os.path.join(sp, "db", "retry")
        res = []
        for r in range(runs):
            for kind in ("fresh", "warm") if r % 2 == 0 else \
                    ("warm", "fresh"):
                shutil.rmtree(sp, ignore_errors=True)
                shutil.copytree(src, sp)
                os.sync()
                if kind == "warm":
                    with open(db, "rb") as f:
                        while f.read(1 << 20):
                            pass
                load = os.getloadavg()[0]
                lock = None if backend == "sqlite" else db + ".lockfile"
                m = self.probe([self.hintsdb, "tidy", "--format=json", "-t",
                                "30d", sp, "retry"], lock, out=out)
                t = {}
                try:
                    with open(out) as f:
                        t = json.loads(f.read().strip().splitlines()[-1])
                except (OSError, ValueError, IndexError):
                    pass
                e = {"kind": kind, "load1": load, "status": m["status"],
                     "wall_ms": m["wall_ms"],
                     "poller_max_wait_ms": m.get("lock_max_wait_ms")
                     if lock else None,
                     "tidy_max_hold_ms": t.get("max_lock_held_ms"),
                     "holds": t.get("lock_holds"),
                     "deleted": t.get("deleted")}
                log("holds %s %s %s: tidy max hold %s ms, poller %s ms, "
                    "%s holds, load %.1f" % (backend, fmt_n(n), kind,
                                             ms(e["tidy_max_hold_ms"]),
                                             ms(e["poller_max_wait_ms"]),
                                             e["holds"], load))
                res.append(e)
        shutil.rmtree(sp, ignore_errors=True)
        hs = self.results.setdefault("holds", [])
        hs[:] = [x for x in hs if x["backend"] != backend] + \
            [{"backend": backend, "records": n, "runs": res}]
        self.a.save()
    def migrate_input(self, path, argv, *deps):
        """argv's output in path, made again when a file of deps (the
        DB, the binary) is newer; cached in the work directory, not in
        the spool, which tidy's groups copy."""
        if os.path.exists(path) and all(os.path.getmtime(path) >=
                                        os.path.getmtime(d) for d in deps):
            return
        with open(path + ".tmp", "w") as f:
            subprocess.run(argv, stdout=f, check=True, env=self.env)
        os.rename(path + ".tmp", path)

    def migrate_group(self, n, backends, runs=None, warmup=True):
        """import and convert into a new file of each backend, beside
        the floors (module docstring)."""
        src = self.dataset("retry", n)
        db = os.path.join(src, "db", "retry")
        exp = os.path.join(self.work, "migrate-%s.jsonl" % fmt_n(n))
        dump = os.path.join(self.work, "migrate-%s.dump" % fmt_n(n))
        self.migrate_input(exp, [self.hintsdb, "export", src, "retry"], db,
                           self.hintsdb)
        self.migrate_input(dump, ["db5.3_dump", db], db)
        out = self.spool("migrate")
        h = self.hintsdb
        imp = '"$0" import %s "$1" retry < "$2"'
        cmds, pairs = [], []
        if "bdb" in backends:
            cmds += [{"name": "db5.3_load",
                      "argv": ["db5.3_load", "-f", dump, "@OUT@/db/retry"]},
                     {"name": "import-bdb",
                      "argv": ["sh", "-c", imp % "", h, "@OUT@", exp]}]
            pairs.append(("import-bdb", "db5.3_load"))
        for be in [b for b in backends if b != "bdb"] + \
                (["bdb"] if "sqlite" in backends else []):
            lay = ["--to-layout=v2"] if be in ("sqlite", "bdb") else []
            cmds.append({"name": "convert-" + be,
                         "argv": [h, "convert", "--to-backend=" + be] + lay +
                         ["--output=@OUT@/db/retry", src, "retry"]})
            if be == "bdb":
                continue
            il = "--layout=v2 " if be == "sqlite" else ""
            cmds.append({"name": "import-" + be,
                         "argv": ["sh", "-c", imp % ("--backend=" + be + " " +
                                                     il), h, "@OUT@", exp]})
            pairs.append(("import-" + be, "convert-" + be))
        if "sqlite" in backends:
            pairs.append(("convert-sqlite", "convert-bdb"))

        def setup(c):
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(os.path.join(out, "db"))
            os.makedirs(os.path.join(out, "input"))
            os.sync()
            return [x.replace("@OUT@", out) for x in c["argv"]], None

        try:
            return self.group("migrate retry %s: %s" % (
                fmt_n(n), ", ".join(backends)), cmds, pairs, runs=runs,
                warmup=warmup, setup=setup,
                note="every command writes a new file into an empty spool "
                "(made, and the page cache flushed with sync, before each "
                "run, outside the timing); import reads `hintsdb export`'s "
                "output (%s), db5.3_load db5.3_dump's (%s); import into "
                "Berkeley DB holds back at most 36 MiB of records at a time "
                "for the new file's bucket order; layouts: "
                "SQLite and the convert into Berkeley DB v2, the rest "
                "legacy as exported" % (
                    "%.0f MB" % (os.path.getsize(exp) / 1e6),
                    "%.0f MB" % (os.path.getsize(dump) / 1e6)))
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def backend_group(self, n):
        cmds = []
        for be in ("bdb", "gdbm", "tdb", "sqlite"):
            sp = self.dataset("retry", n, be)
            for fmt in ("exim", "json"):
                cmds.append({"name": "%s-%s" % (be, fmt),
                             "argv": [self.hintsdb, "dump", "--format=" + fmt,
                                      sp, "retry"],
                             "lock": os.path.join(sp, "db",
                                                  "retry.lockfile")})
        pairs = [("%s-%s" % (be, f), "bdb-" + f) for f in ("exim", "json")
                 for be in ("gdbm", "tdb", "sqlite")]
        return self.group("dump retry %s by backend" % fmt_n(n), cmds, pairs,
                          note="the same records, copied with hdb-test copy; "
                          "SQLite locks itself (no lockfile), so its lock "
                          "column is empty")

    def tls_group(self, n):
        sp = self.dataset("tls", n)
        db = os.path.join(sp, "db", "tls")
        lock = db + ".lockfile"
        out = os.path.join(self.work, "tlsdec.json")

        def after(c, m):
            if c["name"] == "tlsdec":
                with open(out) as f:
                    t = json.load(f)
                m.update({k: t[k] for k in ("decode_ms", "decoded",
                                            "partial", "failed")})

        cmds = [{"name": "scan", "argv": [self.scan, db], "lock": lock},
                {"name": "tlsdec", "argv": [self.tlsdec, db],
                 "extra": ("decode_ms",)},
                {"name": "hintsdb-json",
                 "argv": [self.hintsdb, "dump", "--format=json", sp, "tls"],
                 "lock": lock},
                dict(self.exim("bookworm", "exim_dumpdb", [sp, "tls"],
                               "exim_dumpdb"), lock=lock)]
        # A slow decoder would make the rounds take too long: time one
        # decode first, and cut the rounds to fit the budget.
        m = self.probe([self.tlsdec, db], out=out)
        est = 2 * m["wall_ms"] / 1000.0      # tlsdec and dump, a round
        runs, warm, note = None, True, None
        if est * (self.a.runs + 1) > self.a.budget:
            runs = max(1, min(self.a.runs, int(self.a.budget // est)))
            warm = False
            note = ("%d round(s), no warm-up: one decode of the %d "
                    "sessions took %.1f s, so %d rounds would exceed the "
                    "%d s budget" % (runs, n, est / 2, self.a.runs + 1,
                                     self.a.budget))
            log(note)
        orig_probe = self.probe

        def probe(argv, lock=None, env=None, out_="/dev/null"):
            if argv[0] == self.tlsdec:
                out_ = out
            return orig_probe(argv, lock, env, out_)
        self.probe = probe
        try:
            return self.group("tls %s" % fmt_n(n), cmds,
                              [("hintsdb-json", "scan"),
                               ("hintsdb-json", "tlsdec")],
                              runs=runs, warmup=warm, after=after, note=note)
        finally:
            self.probe = orig_probe

    def instructions(self, n):
        """callgrind instruction counts (stable on a noisy machine)."""
        if shutil.which("valgrind") is None:
            return None
        sp = self.dataset("retry", n)
        db = os.path.join(sp, "db", "retry")
        now = "--now=%d" % self.now
        out = {}
        for name, argv in (("scan", [self.scan, db]),
                           ("hintsdb-exim", [self.hintsdb, "dump",
                                             "--format=exim", now, sp,
                                             "retry"]),
                           ("hintsdb-text", [self.hintsdb, "dump", now, sp,
                                             "retry"]),
                           ("hintsdb-json", [self.hintsdb, "dump",
                                             "--format=json", now, sp,
                                             "retry"])):
            r = subprocess.run(["valgrind", "--tool=callgrind",
                                "--callgrind-out-file=/dev/null"] + argv,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True,
                               env=self.env)
            for line in r.stderr.splitlines():
                if "refs:" in line:
                    out[name] = int(line.split()[-1].replace(",", ""))
        log("instructions: %s" % out)
        return {"records": n, "dataset": "retry-%s" % fmt_n(n), "ir": out}

    def base_rss(self):
        """Peak RSS of a dump of a DB of one record: the fixed part."""
        sp = self.spool("one")
        shutil.rmtree(sp, ignore_errors=True)
        self.make_spool_dirs(sp, "retry")
        self.run_quiet([self.helper, "gen", os.path.join(sp, "db", "retry"),
                        "bdb", "retry", "1", "1", str(self.now)])
        rss = {}
        for fmt in ("exim", "text", "json"):
            m = self.probe([self.hintsdb, "dump", "--format=" + fmt, sp,
                            "retry"])
            rss[fmt] = m["maxrss_kib"]
        shutil.rmtree(sp, ignore_errors=True)
        return rss

    # ------------------------------------------------------------- machine
    def machine(self):
        cpu = "unknown"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
        git = subprocess.run(["git", "-C", TOP, "rev-parse", "--short",
                              "HEAD"], stdout=subprocess.PIPE, text=True,
                             stderr=subprocess.DEVNULL).stdout.strip()
        return {"cpu": cpu, "cores": os.cpu_count(),
                "kernel": platform.release(), "mem_mib": mem,
                "git_head": git,
                "localtime": os.path.realpath("/etc/localtime"),
                "loadavg_start": os.getloadavg()}


def stat(g, cmd, key="wall_ms", what="median"):
    for c in g["commands"]:
        if c["name"] == cmd:
            s = c["stats"].get(key)
            return None if s is None else s[what]
    return None


def ratio(g, a, b):
    for r in g["ratios"]:
        if r["a"] == a and r["b"] == b:
            return r
    return None


def ranged(g, a, b):
    """A / B's per-round ratio, and its range and medians, the note
    beside a target."""
    r = ratio(g, a, b)
    return r, "range %.2f–%.2f, medians %.0f vs %.0f ms" % (
        r["min"], r["max"], stat(g, a), stat(g, b))


def find(res, name):
    for g in res["groups"]:
        if g["name"] == name:
            return g
    return None


def by_role(res, role):
    for g in res["groups"]:
        if g.get("role") == role:
            return g
    return None


def noblock_targets(res):
    """The targets of never blocking Exim, and of tidy's cost by backend."""
    t = []

    def add(what, value, limit, ok, unit="", why=""):
        t.append({"target": what, "value": value, "limit": limit,
                  "met": ok, "unit": unit, "note": why})

    names = {"bdb": "Berkeley DB", "gdbm": "GDBM", "sqlite": "SQLite",
             "tdb": "tdb"}
    for g in res.get("noblock", []):
        be = "%s %s" % (names.get(g["backend"], g["backend"]),
                        fmt_n(g["records"]))
        for cmd in ("hintsdb-tidy", "hintsdb-delete", "hintsdb-dump",
                    "hintsdb-convert", "hintsdb-import", "hintsdb-check"):
            rs = [m for m in g["runs"] if m["name"] == cmd]
            if not rs:
                continue
            w = max(m["max_wait_ms"] for m in rs)
            failed = sum(m["failed"] for m in rs)
            lost = sum(m["lost"] for m in rs)
            bad = [m["status"] for m in rs if m["status"] != 0]
            why = "%d of %d writes failed, %d over 100 ms, mean %.1f ms" % (
                failed, sum(m["writes"] for m in rs),
                sum(m["over_100ms"] for m in rs),
                statistics.mean(m["mean_wait_ms"] for m in rs))
            if lost:
                why += ", **%d lost**" % lost
            if bad:
                why += ", **exit %s**" % bad[0]
            add("%s: writer's worst wait during %s" %
                (be, cmd.replace("-", " ", 1)), w, "<= 100 ms, none failed",
                w <= 100 and failed == 0 and not bad, "ms", why)
        rs = [m for m in g["runs"] if m["name"] == "hintsdb-tidy" and
              m.get("tool_max_hold_ms") is not None]
        if rs:
            h = max(m["tool_max_hold_ms"] for m in rs)
            add("%s: tidy's own longest hold (max_lock_held_ms)" % be, h,
                "<= 100 ms", h <= 100, "ms", "%s holds" %
                "/".join(str(m.get("tool_holds")) for m in rs))
    sw = res.get("swap")
    for m in sw["runs"] if sw else ():
        why = "%d writes, exit %d%s" % (m["writes"], m["status"],
                                       "" if not any(m["writers_status"])
                                       else ", a writer exited %s" %
                                       m["writers_status"])
        add("SQLite %s: 4 Exim 4.100.1-like writers (1 ms apart, one "
            "keeping its connection) beside %s: failed + lost writes" %
            (fmt_n(sw["records"]), m["name"].replace("-", " ", 1)),
            m["failed"] + m["lost"], "0",
            m["failed"] + m["lost"] == 0 and m["status"] == 0 and
            not any(m["writers_status"]), "", why)
    g = by_role(res, "tdb-vs-bdb")
    if g is not None:
        r, why = ranged(g, "hintsdb-tidy-tdb", "hintsdb-tidy-bdb")
        add("tidy time on %s records, tdb / Berkeley DB" %
            fmt_n(g["records"]),
            r["median"], "<= 3 x", r["median"] <= 3, "x", why)
    if g is not None and any(c["name"] == "hintsdb-tidy-tdb-rebuilt"
                             for c in g["commands"]):
        r, why = ranged(g, "hintsdb-tidy-tdb-rebuilt", "hintsdb-tidy-bdb")
        add("tidy time on %s records, tdb rebuilt by convert / Berkeley DB"
            % fmt_n(g["records"]),
            r["median"], "<= 3 x", r["median"] <= 3, "x", why)
    g = by_role(res, "tdb-big")
    if g is not None:
        w = stat(g, "hintsdb-tidy-tdb")
        b = stat(g, "hintsdb-tidy-bdb")
        add("tidy time on %s tdb records (measured)" % fmt_n(g["records"]),
            w / 1000.0,
            "–", None, "s", "Berkeley DB %.1f s" % (b / 1000.0)
            if b is not None else "")
    g = by_role(res, "sqlite-vs-exim")
    if g is not None:
        ex = [c["name"] for c in g["commands"] if c.get("exim")][0]
        r, why = ranged(g, ex, "hintsdb-tidy-sqlite")
        add("tidy on %s SQLite records: speed-up over %s" %
            (fmt_n(g["records"]), ex.replace("-", " ")),
            r["median"], ">= 2 x", r["median"] >= 2, "x", why)
        ra = stat(g, "hintsdb-tidy-sqlite", "maxrss_kib", "max")
        rb = stat(g, ex, "maxrss_kib")
        add("tidy on %s SQLite records: peak RSS (worst run) / %s's" %
            (fmt_n(g["records"]), ex.replace("-", " ")), ra / rb, "<= 0.1 x",
            ra * 10 <= rb, "x", "%.1f vs %.1f MiB" % (ra / 1024, rb / 1024))
    return t


def targets(res, big, ntls):
    t = []
    d = find(res, "dump retry %s" % fmt_n(big))
    tl = find(res, "tls %s" % fmt_n(ntls))

    def add(what, value, limit, ok, unit="", why=""):
        t.append({"target": what, "value": value, "limit": limit,
                  "met": ok, "unit": unit, "note": why})

    def pair(a, b):
        """Median per-round ratio, and the ratio of the medians."""
        r = ratio(d, a, b)
        return r["median"], "range %.2f–%.2f, ratio of medians %.2f" % (
            r["min"], r["max"], stat(d, a) / stat(d, b))

    if d is not None:
        for a, lim, label in (("exim_dumpdb", 10,
                               "dump --format=exim vs exim_dumpdb "
                               "(default env): speed-up"),
                              ("exim_dumpdb-TZ", 2,
                               "dump --format=exim vs exim_dumpdb TZ=UTC: "
                               "speed-up")):
            r, why = pair(a, "hintsdb-exim")
            add(label, r, ">= %g x" % lim, r >= lim, "x", why)
        scan = stat(d, "scan")
        for f, lim in (("exim", 3), ("text", 6), ("json", 6)):
            r, why = pair("hintsdb-" + f, "scan")
            add("dump --format=%s / bare scan" % f, r, "<= %g x" % lim,
                r <= lim, "x", why)
        for f in ("exim", "text", "json"):
            w = stat(d, "hintsdb-" + f, "lock_max_wait_ms")
            add("read lock during dump --format=%s / bare scan time" % f,
                w / scan, "<= 2 x", w / scan <= 2, "x",
                "lock %.0f ms (prober), scan %.0f ms" % (w, scan))
        ds = res["datasets"].get("retry-%s" % fmt_n(big), {})
        base = res.get("base_rss_kib", {})
        try:
            n, data = [int(x) for x in ds["scan"].split()[0:4:2]]
        except (KeyError, ValueError):
            n = data = None
        # issue 35: a batch at a time, not the DB
        for f, lim in (("text", 64), ("json", 64), ("exim", 32),
                       ("unsorted", 32)):
            rss = stat(d, "hintsdb-" + f, "maxrss_kib", "max")
            if rss is None:
                continue
            add("dump %s peak RSS (worst run)" % (
                "--unsorted" if f == "unsorted" else "--format=" + f),
                rss / 1024.0, "< %d MiB" % lim, rss < lim * 1024, "MiB",
                "sorted: 4 MB batches, sorted runs spilled and merged"
                if lim == 64 else "4 MB batches in the DB's order")
        for f in ("exim",):
            rss = stat(d, "hintsdb-" + f, "maxrss_kib", "max")
            if rss is None or n is None or f not in base:
                continue
            # slurp: the records' bytes and a 16-byte index entry each,
            # in 2 MiB pages; sorting adds two 16-byte arrays a record,
            # dropping the keys a read in pieces saw twice 12 bytes (freed
            # before any sort).
            bound = base[f] + (data + 16 * n + (32 * n if f != "exim"
                                                 else 12 * n)) / 1024.0 + \
                3 * 2048
            add("dump --format=%s peak RSS (worst run) within the slurp "
                "bound" % f, rss / 1024.0, "<= %.0f MiB" % (bound / 1024),
                rss <= bound, "MiB",
                "base %.1f MiB + %d records' %.1f MiB + index%s" %
                (base[f] / 1024.0, n, data / 2**20,
                 " + twins table" if f == "exim" else " + sort arrays"))
    eg = find(res, "export retry %s" % fmt_n(big))
    if eg is not None:
        r, why = ranged(eg, "hintsdb-export", "db5.3_dump")
        add("export wall time vs db5.3_dump", r["median"], "<= 0.5 x",
            r["median"] <= 0.5, "x", why)
        rss = stat(eg, "hintsdb-export", "maxrss_kib", "max")
        add("export peak RSS (worst run)", rss / 1024.0, "< 32 MiB",
            rss < 32 * 1024, "MiB", "db5.3_dump %.1f MiB" %
            (stat(eg, "db5.3_dump", "maxrss_kib", "max") / 1024.0))
    tg = find(res, "tidy retry %s" % fmt_n(big))
    if tg is not None:
        r, why = ranged(tg, "hintsdb-tidy", "exim_tidydb")
        add("tidy wall time vs exim_tidydb", r["median"], "<= 1 x",
            r["median"] <= 1, "x", why)
        ra = stat(tg, "hintsdb-tidy", "maxrss_kib")
        rb = stat(tg, "exim_tidydb", "maxrss_kib")
        add("tidy peak RSS vs exim_tidydb", ra / rb, "<= 0.333 x",
            ra * 3 <= rb, "x", "%.1f vs %.1f MiB" % (ra / 1024, rb / 1024))
        if any(c["name"] == "hintsdb-tidy-inplace" for c in tg["commands"]):
            r, why = ranged(tg, "hintsdb-tidy", "hintsdb-tidy-inplace")
            add("tidy with its rebuild vs deleting in place (--no-compact)",
                r["median"], "<= 1.5 x", r["median"] <= 1.5, "x", why)
            ra = stat(tg, "hintsdb-tidy", "maxrss_kib")
            rb = stat(tg, "hintsdb-tidy-inplace", "maxrss_kib")
            add("tidy peak RSS, rebuild vs in place", ra / rb, "–", None,
                "x", "%.1f vs %.1f MiB" % (ra / 1024, rb / 1024))
            sa = stat(tg, "hintsdb-tidy", "size_after")
            sb = stat(tg, "hintsdb-tidy-inplace", "size_after")
            if sa is not None and sb:
                add("tidy file size after, rebuild vs in place", sa / sb,
                    "–", None, "x", "%.0f vs %.0f MB" % (sa / 1e6,
                                                         sb / 1e6))
        w = stat(tg, "hintsdb-tidy", "tidy_max_write_hold_ms", "max")
        if w is not None:
            add("tidy longest write-lock hold (its own count, worst run)", w,
                "<= 100 ms", w <= 100, "ms")
        w = stat(tg, "hintsdb-tidy", "lock_max_wait_ms", "max")
        h = stat(tg, "hintsdb-tidy", "tidy_lock_holds")
        add("tidy longest wait of a would-be writer (prober, worst run)", w,
            "<= 100 ms", w <= 100, "ms",
            "tidy took the lock %s times (median)" %
            ("%.0f" % h if h is not None else "?"))
    if tl is not None:
        dec = stat(tl, "tlsdec", "decode_ms")
        if dec is not None:
            add("%s tls sessions decoded (hdb_tls_decode, bench/tlsdec)" %
                fmt_n(ntls), dec / 1000.0, "< %g s" % (ntls / 1e5),
                dec < ntls / 100.0, "s")
        js = stat(tl, "hintsdb-json")
        add("dump --format=json of the %s tls sessions (whole command)" %
            fmt_n(ntls), js / 1000.0, "< %g s" % (ntls / 1e5),
            js < ntls / 100.0, "s")
    migrate_targets(res, big, add)
    return t


def migrate_targets(res, n, add):
    """Issue 35's targets for import and convert (the migrate part)."""
    for g in res["groups"]:
        if not g["name"].startswith("migrate retry %s:" % fmt_n(n)):
            continue
        for a, b, lim, label in (
                ("import-bdb", "db5.3_load", 1.5,
                 "import into Berkeley DB / db5.3_load"),
                ("import-sqlite", "convert-sqlite", 1.5,
                 "import into SQLite / convert into SQLite"),
                ("import-gdbm", "convert-gdbm", 1.5,
                 "import into GDBM / convert into GDBM"),
                ("convert-sqlite", "convert-bdb", 2,
                 "convert into SQLite (v2, tblblob) / into Berkeley DB")):
            r = ratio(g, a, b)
            if r is None:
                continue
            ca, cb = stat(g, a, "cpu_ms"), stat(g, b, "cpu_ms")
            add(label + " (wall)", r["median"], "<= %g x" % lim,
                r["median"] <= lim, "x", "range %.2f–%.2f; CPU %.0f vs "
                "%.0f ms (%.2f x); peak RSS %.0f vs %.0f MiB" % (
                    r["min"], r["max"], ca, cb, ca / cb if cb else 0,
                    stat(g, a, "maxrss_kib") / 1024,
                    stat(g, b, "maxrss_kib") / 1024))
        rss = stat(g, "import-bdb", "maxrss_kib", "max")
        if rss is not None:
            add("import into Berkeley DB peak RSS (worst run)", rss / 1024.0,
                "< 64 MiB", rss < 64 * 1024, "MiB", "it holds back at most "
                "36 MiB of records for the new file's bucket order "
                "(hintsdb-import(8)), one pass over the file a batch")


# ------------------------------------------------------------------ report
def ms(v):
    if v is None:
        return "–"
    return "%.0f" % v if v >= 100 else "%.1f" % v if v >= 10 else "%.2f" % v


def rng(s):
    return "%s–%s" % (ms(s["min"]), ms(s["max"])) if s else "–"


def target_rows(L, targets):
    L.append("| target | result | limit | met |")
    L.append("|---|---|---|---|")
    for t in targets:
        v = t["value"]
        val = "–" if v is None else ("%.2f %s" % (v, t["unit"])).strip()
        met = "n/a" if t["met"] is None else "yes" if t["met"] else "**no**"
        note = " (%s)" % t["note"] if t["note"] else ""
        L.append("| %s | %s%s | %s | %s |" % (t["target"], val, note,
                                              t["limit"], met))
    L.append("")


def progress_md(L, path):
    """The progress line's cost, from bench/progress.py's progress.json."""
    try:
        with open(path) as f:
            p = json.load(f)
    except FileNotFoundError:
        return
    L.append("## The progress line (bench/progress.py)\n")
    L.append("With --progress (the line drawn, into /dev/null) against "
             "--no-progress, alternately; the budget is 1%.  Ratios are "
             "the median (and range) of the per-round ratios.\n")
    L.append("| command | records | wall ms with / without | wall ratio "
             "| cpu ms with / without | cpu ratio |")
    L.append("|---|---|---|---|---|---|")
    for t in p["timings"]:
        w, c = t["wall"], t["cpu"]
        L.append("| %s | %d | %.0f / %.0f | %.4f (%.4f–%.4f) | %.0f / %.0f "
                 "| %.4f (%.4f–%.4f) |" %
                 (t["command"], t["records"], w["on_ms"], w["off_ms"],
                  w["ratio_median"], w["ratio_min"], w["ratio_max"],
                  c["on_ms"], c["off_ms"], c["ratio_median"],
                  c["ratio_min"], c["ratio_max"]))
    i = p.get("instructions")
    if i:
        L.append("\nInstructions (callgrind), %s of %d records: %s with, "
                 "%s without, ratio %.4f." %
                 (i["command"], i["records"], format(i["on"], ","),
                  format(i["off"], ","), i["ratio"]))
    L.append("")


def write_md(res, path):
    m = res["machine"]
    L = []
    L.append("# hintsdb benchmark results\n")
    L.append("Generated by `make bench` (bench/run.py) on %s UTC, git %s%s."
             % (res["date"], m["git_head"], " (tree with local changes)"
                if res.get("dirty") else ""))
    L.append("")
    L.append("Machine: %s, %d cores, %d MiB RAM, Linux %s; /etc/localtime "
             "-> %s.  Load average at start %s, at end %s (the machine is "
             "shared, so wall times are noisy: A/B runs alternate and we "
             "give medians and ranges)." %
             (m["cpu"], m["cores"], m["mem_mib"], m["kernel"],
              m["localtime"],
              "/".join("%.1f" % x for x in m["loadavg_start"]),
              "/".join("%.1f" % x for x in m["loadavg_end"])))
    L.append("")
    for part, r in sorted(res.get("parts", {}).items()):
        L.append("- %s: %s UTC, git %s, load average %s at start, %s at "
                 "end, %.0f s%s." % (part, r["date"], r["git_head"],
                                     "/".join("%.1f" % x
                                              for x in r["loadavg_start"]),
                                     "/".join("%.1f" % x
                                              for x in r["loadavg_end"]),
                                     r["elapsed_s"],
                                     ("; Exim's tools: " + r["exim"]
                                      if r.get("exim") else "") +
                                     ("; " + r["scope"]
                                      if r.get("scope") else "")))
    if res.get("parts"):
        L.append("")
    ov = res.get("chroot_overhead")
    if ov:
        L.append("Exim's own tools are Debian's, each run in its release's "
                 "chroot by `sh tests/interop/chroot.sh run SUITE PROG`, "
                 "never from the host: %s.  The wrapper (a health check "
                 "that runs `exim4 -bV`, a mount namespace, the chroot) "
                 "costs by itself, as `chroot.sh run SUITE true` (median "
                 "of %d): %s.  That median is **subtracted** from the "
                 "wall and CPU times of every Exim tool below (the raw "
                 "figures are in results.json as wall_ms_raw etc.); peak "
                 "RSS is the largest of the wrapper's processes and the "
                 "tool, shown as measured." % (
                     ", ".join("%s (exim4-base %s)" % (s, o["exim4_base"])
                               for s, o in sorted(ov.items())),
                     min(o["runs"] for o in ov.values()),
                     "; ".join("%s %.0f ms wall, %.0f ms CPU, %.1f MiB" %
                               (s, o["wall_ms"], o["user_ms"] + o["sys_ms"],
                                o["maxrss_kib"] / 1024.0)
                               for s, o in sorted(ov.items()))))
        L.append("")
    L.append("Each group: one warm-up round, then %d rounds in which the "
             "commands run one after the other, forward then reverse "
             "order.  Output goes to /dev/null.  *wall* is fork to exit; "
             "*cpu* is user + system; *lock wait* is the longest time a "
             "prober trying `F_SETLK` F_WRLCK every 1 ms waited for the "
             "write lock (Exim's view of the lock hold).  Ratios are the "
             "median (and range) of the per-round ratios." % res["runs"])
    L.append("")
    if res.get("targets"):
        L.append("## Targets (%s retry records unless said)\n" %
                 format(res["target_size"], ","))
        target_rows(L, res["targets"])
    if res.get("targets_noblock"):
        L.append("## Targets: Exim beside hintsdb, and tidy by backend\n")
        L.append("From the group *Exim beside hintsdb* and the groups "
                 "*tidy retry N: tdb ...* and *SQLite ...* below (`make "
                 "bench-noblock`).  A writer's wait is one whole Exim hints "
                 "write, open to commit.\n")
        target_rows(L, res["targets_noblock"])
    holds_md(L, res.get("holds"))
    for n in res.get("notes", []):
        L.append(n)
        L.append("")
    ins = res.get("instructions")
    if ins and ins.get("ir"):
        L.append("## Instructions (callgrind, %s)\n" % ins["dataset"])
        L.append("Instruction counts do not depend on the load of the "
                 "machine; bench/PROFILE.md has the profile that led to "
                 "them and the counts before the work.\n")
        L.append("| command | instructions | per record | / scan |")
        L.append("|---|---|---|---|")
        sc = ins["ir"].get("scan")
        for k, v in ins["ir"].items():
            L.append("| %s | %s | %.0f | %s |" % (
                k, format(v, ","), v / ins["records"],
                "%.2f" % (v / sc) if sc else "–"))
        L.append("")
    progress_md(L, os.path.join(os.path.dirname(path), "progress.json"))
    L.append("## Datasets\n")
    L.append("| name | records | backend | file size | generated for |")
    L.append("|---|---|---|---|---|")
    for k, d in res["datasets"].items():
        L.append("| %s | %d | %s | %.1f MiB | %s |" %
                 (k, d["records"], d["backend"], d["file_bytes"] / 2**20,
                  d["generated_for"]))
    L.append("")
    for g in res["groups"]:
        L.append("## %s\n" % g["name"])
        if g.get("note"):
            L.append(g["note"][0].upper() + g["note"][1:] + ".\n")
        if g["runs"] != res["runs"]:
            L.append("%d round(s)%s.\n" % (g["runs"], " after a warm-up"
                                           if g["warmup"] else ""))
        L.append("| command | wall ms median | wall min–max | cpu ms median "
                 "| peak RSS MiB | lock wait ms median (min–max) |")
        L.append("|---|---|---|---|---|---|")
        for c in g["commands"]:
            s = c["stats"]
            lw = s.get("lock_max_wait_ms")
            lock = "–" if lw is None or not c["samples"][0]["lock_probed"] \
                else "%s (%s)" % (ms(lw["median"]), rng(lw))
            rss = s.get("maxrss_kib")
            L.append("| %s | %s | %s | %s | %s | %s |" %
                     (c["name"], ms(s["wall_ms"]["median"]),
                      rng(s["wall_ms"]), ms(s["cpu_ms"]["median"]),
                      "%.1f" % (rss["median"] / 1024) if rss else "–", lock))
        extra = [(c["name"], k, v) for c in g["commands"]
                 for k, v in c["stats"].items()
                 if k not in ("wall_ms", "cpu_ms", "maxrss_kib",
                              "lock_max_wait_ms", "lock_blocked_ms")]
        if extra:
            L.append("")
            for name, k, v in extra:
                L.append("- %s %s: median %s (%s)" % (name, k, ms(v["median"]),
                                                      rng(v)))
        if g["ratios"]:
            L.append("")
            L.append("| pair (wall A / B) | median | min–max |")
            L.append("|---|---|---|")
            for r in g["ratios"]:
                L.append("| %s / %s | %.2f | %.2f–%.2f |" %
                         (r["a"], r["b"], r["median"], r["min"], r["max"]))
        L.append("")
    nb = res.get("noblock")
    if nb:
        L.append("## Exim beside hintsdb (bench/exprobe.c)\n")
        L.append("An Exim-like writer puts a fresh retry record every 10 ms "
                 "while the command runs, as the Exim of that backend does: "
                 "lockfile with F_SETLKW (Berkeley DB, GDBM; tdb as "
                 "4.94-4.98), SQLite as 4.100.1 (busy timeout 5 s, BEGIN "
                 "TRANSACTION, INSERT OR REPLACE INTO tblblob, COMMIT), tdb "
                 "transactions as 4.99+ (no lockfile; the *writer* column "
                 "says which).  *wait* is the whole write, open to commit, "
                 "so it includes the writer's own fsync.  *failed*: writes "
                 "that returned an error (Exim drops the hint); *lost*: "
                 "written, but missing afterwards (import replaces the DB "
                 "with the file's records).  *left*: records in the DB "
                 "after the command, the writer's included.  *tool holds* "
                 "and *tool max hold* are tidy's own figures (--format=json: "
                 "lock_holds, max_lock_held_ms).  Exim's exim_tidydb runs "
                 "in its chroot, its wall time less the wrapper's.  A fresh "
                 "copy of the spool for every run.\n")
        L.append("| backend | records | writer | command | wall ms "
                 "| peak RSS MiB | writer max wait ms | mean | >100 ms "
                 "| failed / writes | lost | left | tool holds "
                 "| tool max hold ms |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for g in nb:
            for m in g["runs"]:
                L.append("| %s%s | %s | %s | %s%s | %s | %.1f | %s | %s | "
                         "%d | %d / %d | %d | %s | %s | %s |" % (
                             g["backend"], "" if g["layout"] == "legacy"
                             else " (" + g["layout"] + ")",
                             fmt_n(g["records"]), m["writer"], m["name"],
                             "" if m["status"] == 0 else
                             " (**exit %d**)" % m["status"],
                             ms(m["wall_ms"]), m["maxrss_kib"] / 1024.0,
                             ms(m["max_wait_ms"]), ms(m["mean_wait_ms"]),
                             m["over_100ms"], m["failed"], m["writes"],
                             m["lost"], m.get("left", "–"),
                             m.get("tool_holds", "–"),
                             ms(m.get("tool_max_hold_ms"))))
        L.append("")
    L.append("## Commands\n")
    L.append("`@SPOOL@` is a fresh copy of the dataset's spool.  `scan` is "
             "bench/scan.c, `tlsdec` bench/tlsdec.c, both measured with "
             "bench/prober.c like everything else; the commands of *Exim "
             "beside hintsdb* ran as `exprobe -f @SPOOL@/db/retry -- "
             "COMMAND` (bench/exprobe.c, with -t for tdb transactions).\n")
    L.append("```")
    seen = set()
    cmds = [c for g in res["groups"] for c in g["commands"]] + \
        [m for g in nb or () for m in g["runs"]]
    for c in cmds:
        line = ("TZ=UTC " if c.get("env") == "TZ=UTC" else "") + \
            " ".join(x if not x.startswith(TOP + "/")
                     else os.path.relpath(x, TOP) for x in c["argv"])
        if line not in seen:
            seen.add(line)
            L.append(line)
    L.append("```")
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def holds_md(L, hs):
    """The holds part: the longest write hold by backend, fresh and warm."""
    if not hs:
        return
    L.append("## Write holds of tidy against --max-lock-ms (100 ms)\n")
    L.append("`tidy -t 30d` on copies of the spool, fresh (copied, "
             "synced) and warm (also read through first), alternating.  "
             "*poller*: the longest wait of a 1 ms F_SETLK poller on the "
             "lockfile (none on SQLite); *tidy*: its own "
             "max_lock_held_ms.  Load: 1-minute load average at the "
             "start of the runs (min-max).\n")
    L.append("| backend | records | kind | runs | tidy max hold, ms "
             "(median, max) | poller max wait, ms (median, max) | holds "
             "| over 100 ms | load |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for g in hs:
        for kind in ("fresh", "warm"):
            rs = [r for r in g["runs"] if r["kind"] == kind]
            if not rs:
                continue
            th = [r["tidy_max_hold_ms"] for r in rs
                  if r["tidy_max_hold_ms"] is not None]
            pw = [r["poller_max_wait_ms"] for r in rs
                  if r["poller_max_wait_ms"] is not None]
            over = sum(1 for r in rs if max(
                r["tidy_max_hold_ms"] or 0, r["poller_max_wait_ms"] or 0)
                > 100)
            ld = [r["load1"] for r in rs]
            L.append("| %s | %s | %s | %d | %s | %s | %s | %d | %.1f-%.1f |"
                     % (g["backend"], format(g["records"], ","), kind,
                        len(rs), "%s, %s" % (ms(statistics.median(th)),
                                             ms(max(th))) if th else "–",
                        "%s, %s" % (ms(statistics.median(pw)), ms(max(pw)))
                        if pw else "–",
                        "/".join(str(r["holds"]) for r in rs[:3]) +
                        ("..." if len(rs) > 3 else ""), over, min(ld),
                        max(ld)))
    L.append("")


def static_notes():
    """Notes that hold for every run."""
    return [
        "Dump and export memory: `hintsdb dump` reads in short read-lock "
        "holds (tools/engine/pieces.c), each ending once about 4 MB of "
        "records are buffered; in the DB's order (exim, --unsorted) each "
        "batch is printed between two holds, sorted (text, json) it is "
        "sorted there and, when the DB does not fit in one, written as a "
        "sorted run to a nameless temporary file (O_TMPFILE in TMPDIR; "
        "tools/engine/xsort.c), the runs then merged into the output with "
        "4 MB of read buffers.  `hintsdb export` reads under one lock (an "
        "exact copy), copying the records on to that file as read, and "
        "sorts them into runs after the lock is dropped.  So memory is a "
        "batch, not the DB: the peak RSS targets are issue 35's.",
        "Lock wait: the prober stands in for an Exim delivery process that "
        "wants the write lock, so it also waits while a read lock is held: "
        "for a dump that is the copy under the read lock.  `hintsdb tidy` "
        "scans, judges and deletes in write-locked holds of at most 100 ms "
        "each (tidy_max_write_hold_ms is the longest, from tidy's own JSON "
        "summary), with a 2 ms pause between them.",
        "TZ: with TZ unset, glibc's localtime() looks at /etc/localtime "
        "again on every call; exim_dumpdb calls it for every time it "
        "prints, so it pays about three stat calls a record (strace, in "
        "the bookworm chroot, whose /etc/localtime is Etc/UTC as on the "
        "host), and with TZ=UTC none.  chroot.sh passes the environment "
        "through, so the two exim_dumpdb rows measure that difference.",
        "The three dump formats run the same code under the read lock; "
        "their lock columns differ by what ran just before.  Most of the "
        "copy's cost on this VM is the kernel zeroing fresh pages "
        "(clear_page_erms, about a third of a 1M-record exim dump in perf), "
        "and pages another process has just freed come much cheaper than "
        "pages the host has to supply again.",
    ]


def relativize(res):
    """Paths in an older results.json made relative to its tree."""
    top = [os.path.dirname(os.path.dirname(k)) for k, v in
           res.pop("programs", {}).items() if v == "hintsdb"]
    if not top:
        return

    def rel(x):
        return os.path.relpath(x, top[0]) \
            if isinstance(x, str) and x.startswith(top[0] + "/") else x
    for g in res.get("groups", []):
        for c in g["commands"]:
            c["argv"] = [rel(x) for x in c["argv"]]


def merge(res, path):
    """Keep from the last results.json what this run did not redo."""
    try:
        with open(path) as f:
            old = json.load(f)
    except (OSError, ValueError):
        return
    relativize(old)
    if "parts" not in old and "machine" in old:
        # from before parts were recorded: all but noblock came from it
        m = old["machine"]
        old["parts"] = {p: {"date": old["date"], "git_head": m["git_head"],
                            "loadavg_start": m["loadavg_start"],
                            "loadavg_end": m["loadavg_end"],
                            "elapsed_s": old.get("elapsed_s", 0),
                            "exim": "the host's Debian exim4 %s" %
                            m.get("exim4_base", "?")}
                        for p in PARTS if p not in ("noblock", "tidycost")}
    res["groups"] = old.get("groups", [])
    if "noblock" in old:
        res["noblock"] = old["noblock"]
    if "holds" in old:
        res["holds"] = old["holds"]
    if "swap" in old:
        res["swap"] = old["swap"]
    for k in ("datasets", "checks", "chroot_overhead", "parts"):
        res[k] = dict(old.get(k, {}), **res.get(k, {}))
    for k in ("base_rss_kib", "instructions"):
        if k not in res and k in old:
            res[k] = old[k]


def finish(res, a, path):
    sizes = [int(x) for x in a.sizes.split(",")]
    res["targets"] = targets(res, max(sizes), a.tls)
    res["targets_noblock"] = noblock_targets(res)
    res["target_size"] = max(sizes)
    res["notes"] = static_notes() + [
        "Check: %s: %s (%d bytes)." % (k, "yes" if v["identical"]
                                       else "**NO**", v["bytes"])
        for k, v in res.get("checks", {}).items()]
    with open(os.path.join(path, "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=False)
        f.write("\n")
    write_md(res, os.path.join(path, "RESULTS.md"))


def set_role(b, g, role, n):
    """g plays role now: a kept group of another size in it goes."""
    g["role"], g["records"] = role, n
    b.results["groups"] = [x for x in b.results["groups"]
                           if x is g or x.get("role") != role]


def tidycost(b, a):
    """tidy's cost by backend: tdb against Berkeley DB on the same records,
    tdb at the large size, SQLite against Exim 4.100.1's exim_tidydb."""
    nt, n = a.noblock_tdb_size, a.noblock_size
    groups = a.tidycost_groups.split(",")
    if "sqlite" in groups:
        tidycost_sqlite(b, a, n)
        a.save()
    if "tdb" not in groups:
        return
    g = b.tidy_group("tidy retry %s: tdb vs Berkeley DB" % fmt_n(nt),
                     [("hintsdb-tidy-bdb", "hintsdb", "bdb", nt),
                      ("hintsdb-tidy-tdb", "hintsdb", "tdb", nt),
                      ("hintsdb-tidy-tdb-rebuilt", "hintsdb", "tdb+rebuilt",
                       nt)],
                     [("hintsdb-tidy-tdb", "hintsdb-tidy-bdb"),
                      ("hintsdb-tidy-tdb-rebuilt", "hintsdb-tidy-bdb")],
                     runs=a.tidycost_runs)
    set_role(b, g, "tdb-vs-bdb", nt)
    a.save()
    nb = a.tidycost_tdb_size
    if nb:
        g = b.tidy_group("tidy retry %s: tdb" % fmt_n(nb),
                         [("hintsdb-tidy-bdb", "hintsdb", "bdb", nb),
                          ("hintsdb-tidy-tdb", "hintsdb", "tdb", nb)],
                         [("hintsdb-tidy-tdb", "hintsdb-tidy-bdb")], runs=1,
                         warmup=False, note="; one run, no warm-up")
        set_role(b, g, "tdb-big", nb)
        a.save()


def tidycost_sqlite(b, a, n):
    """tidy on SQLite against Exim 4.100.1's exim_tidydb."""
    g = b.tidy_group("tidy retry %s: SQLite vs Exim %s" %
                     (fmt_n(n), SUITES["sid"]),
                     [("hintsdb-tidy-sqlite", "hintsdb", "sqlite", n),
                      ("exim_tidydb-" + SUITES["sid"], "sid", "sqlite", n)],
                     [("exim_tidydb-" + SUITES["sid"],
                       "hintsdb-tidy-sqlite")], runs=a.tidycost_runs,
                     note="; SQLite v2 (tblblob), as Exim %s writes it" %
                     SUITES["sid"])
    set_role(b, g, "sqlite-vs-exim", n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(TOP, "bin"))
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--work", default=os.path.join(TOP, "bench", "work"))
    ap.add_argument("--out", default=os.path.join(TOP, "bench"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--tls", type=int, default=100000)
    ap.add_argument("--backend-size", type=int, default=100000)
    ap.add_argument("--budget", type=int, default=300,
                    help="seconds a group may take before runs are cut")
    ap.add_argument("--only", default=",".join(PARTS),
                    help="parts to run; results.json keeps the others'")
    ap.add_argument("--noblock-size", type=int, default=1000000)
    ap.add_argument("--noblock-tdb-size", type=int, default=300000)
    ap.add_argument("--noblock-backends", default="bdb,gdbm,sqlite,tdb")
    ap.add_argument("--noblock-runs", type=int, default=1)
    ap.add_argument("--noblock-cmds", default="",
                    help="noblock: only these commands (hintsdb-tidy,..."
                    "); the others' earlier runs are kept")
    ap.add_argument("--noblock-tdb-writer", choices=("txn", "lockfile"),
                    default="txn")
    ap.add_argument("--tidycost-runs", type=int, default=3)
    ap.add_argument("--tidycost-groups", default="tdb,sqlite",
                    help="tidycost's groups: tdb (two), sqlite")
    # Making the 1M tdb file is itself quadratic (every tdb_store walks
    # one of Exim's 131 hash chains): most of an hour on a busy 2-core
    # machine, once; 0 leaves this group out.
    ap.add_argument("--tidycost-tdb-size", type=int, default=1000000)
    ap.add_argument("--holds-runs", type=int, default=10,
                    help="holds: runs per backend, fresh and warm each")
    ap.add_argument("--holds-backends", default="bdb,gdbm,tdb,sqlite")
    ap.add_argument("--migrate-size", type=int, default=1000000)
    ap.add_argument("--migrate-backends", default="bdb,sqlite",
                    help="migrate: the group run with --runs")
    # GDBM's own convert of 1M records takes 10-50 s a run, and one run
    # gave 0.63x to 1.42x (mostly I/O): its pair runs 3 times, in a group
    # of its own, without the warm-up; 0 leaves it out.
    ap.add_argument("--migrate-gdbm-runs", type=int, default=3)
    ap.add_argument("--rerender", action="store_true",
                    help="only write RESULTS.md again from results.json")
    a = ap.parse_args()
    if a.rerender:
        with open(os.path.join(a.out, "results.json")) as f:
            res = json.load(f)
        relativize(res)
        finish(res, a, a.out)
        return
    only = a.only.split(",")
    for part in only:
        if part not in PARTS:
            raise SystemExit("bench: unknown part %s (%s)" %
                             (part, ",".join(PARTS)))
    os.makedirs(a.work, exist_ok=True)
    b = Bench(a)
    for p in (b.hintsdb, b.helper, b.prober, b.scan, b.tlsdec, b.exprobe):
        if not os.access(p, os.X_OK):
            raise SystemExit("bench: %s is missing (make all first)" % p)
    t0 = time.time()
    res = b.results
    res["machine"] = b.machine()
    res["date"] = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M")
    res["runs"] = a.runs
    res["dirty"] = subprocess.run(["git", "-C", TOP, "diff", "--quiet",
                                   "HEAD"]).returncode != 0
    if set(only) != set(PARTS):
        merge(res, os.path.join(a.out, "results.json"))
    done = []
    scopes = {}

    def save(part=None, scope=None):
        """Write what is done so far: a cut run keeps it.  scope says
        which of a part's groups this run redid, if not all."""
        if part is not None:
            done.append(part)
        res["machine"]["loadavg_end"] = os.getloadavg()
        res["elapsed_s"] = time.time() - t0
        res.setdefault("parts", {}).update({p: {
            "date": res["date"], "git_head": res["machine"]["git_head"] +
            ("+" if res["dirty"] else ""),
            "loadavg_start": res["machine"]["loadavg_start"],
            "loadavg_end": res["machine"]["loadavg_end"],
            "elapsed_s": res["elapsed_s"]} for p in done})
        if part is not None and scope:
            scopes[part] = scope
        for p in scopes:
            res["parts"][p]["scope"] = scopes[p]
        finish(res, a, a.out)
    a.save = save
    sizes = [int(x) for x in a.sizes.split(",")]
    for typ in ("retry", "callout"):
        for n in sizes if "dump" in only or "tidy" in only else []:
            b.dataset(typ, n)
    for typ in ("retry", "callout") if "dump" in only else ():
        sp = b.dataset(typ, sizes[0])
        res["checks"]["exim format identical to exim_dumpdb, %s %s" %
                      (typ, fmt_n(sizes[0]))] = b.same_output(sp, typ)
    if "dump" in only:
        for n in sizes:
            for typ in ("retry", "callout"):
                b.dump_group(typ, n)
            b.export_group(n)
        res["base_rss_kib"] = b.base_rss()
        save("dump")
    if "tidy" in only:
        for n in sizes:
            b.tidy_group("tidy retry %s" % fmt_n(n),
                         [("hintsdb-tidy", "hintsdb", "bdb", n),
                          ("hintsdb-tidy-inplace", "hintsdb", "bdb", n),
                          ("exim_tidydb", "bookworm", "bdb", n)],
                         [("hintsdb-tidy", "exim_tidydb"),
                          ("hintsdb-tidy", "hintsdb-tidy-inplace"),
                          ("hintsdb-tidy-inplace", "exim_tidydb")])
        save("tidy")
    if "backends" in only:
        b.backend_group(a.backend_size)
        save("backends")
    if "noblock" in only:
        bes = a.noblock_backends.split(",")
        for be in bes:
            n = a.noblock_tdb_size if be == "tdb" else a.noblock_size
            b.noblock_group(be, n, "v2" if be == "sqlite" else "legacy",
                            {"bdb": "bookworm", "sqlite": "sid"}.get(be))
        save("noblock", (None if set(bes) >= {"bdb", "gdbm", "sqlite", "tdb"}
                         else "this run redid " + ", ".join(bes) +
                         " only; the other backends' groups are from "
                         "earlier runs") if not a.noblock_cmds else
             "this run redid " + a.noblock_cmds.replace(",", ", ") +
             " on " + ", ".join(bes) + " only; the other commands' "
             "runs are from earlier runs")
    if "tidycost" in only:
        tidycost(b, a)
        gs = a.tidycost_groups.split(",")
        save("tidycost", None if set(gs) >= {"tdb", "sqlite"} else
             "this run redid the " + ", ".join(gs) +
             " groups only; the others are from earlier runs")
    if "holds" in only:
        for be in a.holds_backends.split(","):
            b.holds_group(be, a.noblock_tdb_size if be == "tdb" else
                          a.noblock_size, a.holds_runs)
        save("holds")
    if "swap" in only:
        b.swap_group(a.noblock_size)
        save("swap")
    if "migrate" in only:
        b.migrate_group(a.migrate_size, a.migrate_backends.split(","))
        if a.migrate_gdbm_runs > 0:
            b.migrate_group(a.migrate_size, ["gdbm"],
                            runs=a.migrate_gdbm_runs, warmup=False)
        save("migrate")
    if "tls" in only:
        b.tls_group(a.tls)
        save("tls")
    if "callgrind" in only:
        res["instructions"] = b.instructions(sizes[0])
        save("callgrind")
    log("done in %.0f s: %s" % (res["elapsed_s"],
                                os.path.join(a.out, "RESULTS.md")))
    for t in res["targets"] + res["targets_noblock"]:
        log("%-4s %s: %s" % ("ok" if t["met"] else "n/a" if t["met"] is None
                             else "MISS", t["target"],
                             "–" if t["value"] is None else
                             "%.2f %s" % (t["value"], t["unit"])))


if __name__ == "__main__":
    main()
