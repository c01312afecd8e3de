#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""manifest.py SPOOL CLIENT-MAINLOG EXIM-BV-OUTPUT > SPOOL/MANIFEST

Describe the hints DBs under SPOOL/db that make-spool.sh produced: record
counts, each record's key and byte length, its fields decoded with the
legacy LP64 layouts of docs/hintsdb-formats.md sections 3 and 5, and the
lines of Exim's own main log that tests can assert against (X=, DN=, error
texts).  The records are read with db5.3_dump (read-only), never with Exim.

Secrets (TLS master/resumption secrets, tickets) are never printed.
Exits 1 if a record does not have the length or structure the formats doc
predicts, or if a required kind of record is missing.
"""
import datetime
import hashlib
import os
import re
import struct
import subprocess
import sys

problems = []
SPOOL = "."


def problem(msg):
    problems.append(msg)
    print("make-spool: MISMATCH: " + msg, file=sys.stderr)


def esc(b):
    """Key or text bytes as a C-escaped, double-quoted string."""
    out = []
    for c in b:
        if c in (0x22, 0x5C):
            out.append("\\" + chr(c))
        elif c == 0x0A:
            out.append("\\n")
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return '"' + "".join(out) + '"'


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump(path):
    """[(key bytes, value bytes)] from db5.3_dump's hex output, sorted by key."""
    out = subprocess.run(["db5.3_dump", path], check=True, capture_output=True).stdout
    lines = out.decode("ascii").split("\n")
    i = lines.index("HEADER=END") + 1
    data = []
    while lines[i] != "DATA=END":
        data.append(bytes.fromhex(lines[i].strip()))
        i += 1
    pairs = list(zip(data[0::2], data[1::2]))
    return sorted(pairs)


def cstr(b):
    return b.split(b"\0", 1)[0]


# ------------------------------------------------------------ per-type decoders
def d_retry(k, v):
    if len(v) < 48:
        problem("retry %s: length %d < 48" % (esc(k), len(v)))
        return ""
    ts, ff, lt, nt, exp, be, me = struct.unpack_from("<qqqqIii", v, 0)
    text = cstr(v[44:])
    if len(v) != 48 + len(text):
        problem("retry %s: length %d != 48 + strlen(text) %d" % (esc(k), len(v), len(text)))
    return ("time_stamp=%d first_failed=%d last_try=%d next_try=%d expired=%d "
            "basic_errno=%d more_errno=%d text=%s" % (ts, ff, lt, nt, exp, be, me, esc(text)))


def d_wait(k, v):
    ts, count, seq = struct.unpack_from("<qii", v, 0)
    ids = [v[16 + 16 * n:32 + 16 * n].decode("ascii", "replace") for n in range(count)]
    if len(v) != 24 + 16 * count:
        problem("wait %s: length %d != 24 + 16 * count %d" % (esc(k), len(v), count))
    for m in ids:
        if not re.fullmatch(r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}", m):
            problem("wait %s: bad 4.96 message id %r" % (esc(k), m))
    live = [m for m in ids if os.path.exists(os.path.join(SPOOL, "input", m + "-D"))]
    gone = [m for m in ids if m not in live]
    return ("time_stamp=%d count=%d sequence=%d ids=%s live=%s gone=%s"
            % (ts, count, seq, ",".join(ids), ",".join(live), ",".join(gone)))


def d_misc(k, v):
    ts = struct.unpack_from("<q", v, 0)[0]
    if k.endswith(b".EHLO\0"):
        if len(v) not in (16, 32):
            problem("misc %s: EHLO record length %d not 16 or 32" % (esc(k), len(v)))
        cf, xf, ca, xa = struct.unpack_from("<HHHH", v, 8)
        return ("time_stamp=%d kind=ehlo limits=%s cleartext_features=0x%04x "
                "crypted_features=0x%04x cleartext_auths=0x%04x crypted_auths=0x%04x"
                % (ts, "yes" if len(v) == 32 else "no", cf, xf, ca, xa))
    if len(v) != 16:
        problem("misc %s: serialisation record length %d != 16" % (esc(k), len(v)))
    count = struct.unpack_from("<i", v, 8)[0]
    return "time_stamp=%d kind=serialize count=%d" % (ts, count)


CCACHE = {0: "unknown", 1: "accept", 2: "reject", 3: "reject_mfnull"}


def d_callout(k, v):
    ts, res = struct.unpack_from("<qi", v, 0)
    if len(v) == 16:
        return "time_stamp=%d kind=address result=%d(%s)" % (ts, res, CCACHE.get(res, "?"))
    if len(v) != 40:
        problem("callout %s: length %d not 16 or 40" % (esc(k), len(v)))
        return "time_stamp=%d kind=?" % ts
    pm, rnd = struct.unpack_from("<ii", v, 12)
    pms, rs = struct.unpack_from("<qq", v, 24)
    # A stamp is meaningful only when its result is set (Exim leaves it
    # uninitialised otherwise), so an unset one is not printed.
    return ("time_stamp=%d kind=domain result=%d(%s) postmaster_result=%d(%s)%s "
            "random_result=%d(%s)%s"
            % (ts, res, CCACHE.get(res, "?"), pm, CCACHE.get(pm, "?"),
               " postmaster_stamp=%d" % pms if pm else "",
               rnd, CCACHE.get(rnd, "?"), " random_stamp=%d" % rs if rnd else ""))


def d_ratelimit(k, v):
    ts, usec = struct.unpack_from("<qi", v, 0)
    rate = struct.unpack_from("<d", v, 16)[0]
    s = "time_stamp=%d time_usec=%d rate=%.3f" % (ts, usec, rate)
    if b"/unique/" not in k:
        if len(v) != 24:
            problem("ratelimit %s: plain record length %d != 24" % (esc(k), len(v)))
        return s + " kind=plain"
    epoch, size = struct.unpack_from("<qI", v, 24)
    if len(v) != 80 + (size - 40):
        problem("ratelimit %s: length %d != 80 + (bloom_size %d - 40)" % (esc(k), len(v), size))
    bits = sum(bin(c).count("1") for c in v[36:36 + size])
    return s + " kind=unique bloom_epoch=%d bloom_size=%d bloom_bits_set=%d" % (epoch, size, bits)


def d_seen(k, v):
    if len(v) != 8:
        problem("seen %s: length %d != 8" % (esc(k), len(v)))
    return "time_stamp=%d" % struct.unpack_from("<q", v, 0)[0]


class Rd:
    def __init__(self, b):
        self.b, self.o = b, 0

    def u8(self):
        self.o += 1
        return self.b[self.o - 1]

    def u32(self):
        self.o += 4
        return struct.unpack_from(">I", self.b, self.o - 4)[0]

    def raw(self, n):
        if self.o + n > len(self.b):
            raise ValueError("overrun")
        self.o += n
        return self.b[self.o - n:self.o]

    def p4(self):
        return self.raw(self.u32())

    def p1(self):
        return self.raw(self.u8())


PROTO = {2: "TLS1.0", 3: "TLS1.1", 4: "TLS1.2", 5: "TLS1.3"}


def cert_subject(der):
    r = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject",
                        "-nameopt", "RFC2253"], input=der, capture_output=True)
    return r.stdout.decode().strip().replace("subject=", "")


def d_tls(k, v, facts):
    ts = struct.unpack_from("<q", v, 0)[0]
    p = v[9:len(v) - 7]
    r = Rd(p)
    try:
        magic, gts, expire, cred = r.u32(), r.u32(), r.u32(), r.u8()
        ver = magic - 0xFADEBADD
        ai = Rd(r.p4())
        ai.u32()
        ai.p4(), ai.p4(), ai.p4()
        certs = [ai.p4() for _ in range(ai.u32())]
        ocsp = [len(ai.p4()) for _ in range(ai.u32())]
        if ai.o != len(ai.b):
            problem("tls %s: auth-info block has %d bytes left" % (esc(k), len(ai.b) - ai.o))
        sp = Rd(r.p4())
        entity, prf, _, _ = sp.u32(), sp.u32(), sp.u32(), sp.u32()
        sid = sp.p1()
        proto = sp.u32()
        sp.u32(), sp.u32()
        suite = sp.raw(2)
        extra = ""
        if proto != 5:
            sp.p1(), sp.p1(), sp.p1()           # master secret, randoms: not shown
            lim = (sp.u32(), sp.u32())
            group, ssig, csig, ems, etm = (sp.u32() for _ in range(5))
            extra = (" record_limits=%d/%d group=%d server_sig=%d client_sig=%d ems=%d etm=%d"
                     % (lim + (group, ssig, csig, ems, etm)))
        if sp.o != len(sp.b):
            problem("tls %s: security-parameters block has %d bytes left" % (esc(k), len(sp.b) - sp.o))
        if proto == 5:
            tb = Rd(r.p4())
            life, _ = tb.u32(), tb.u32()
            tb.p1()
            tlen = len(tb.p4())
            rms = len(tb.p1())
            hi, lo, ns = tb.u32(), tb.u32(), tb.u32()
            med = tb.u32()
            if tb.o != len(tb.b):
                problem("tls %s: ticket block has %d bytes left" % (esc(k), len(tb.b) - tb.o))
            arrival = (hi << 32) | lo
            extra += (" ticket_lifetime=%d ticket_len=%d resumption_secret_len=%d arrival=%d "
                      "max_early_data=0x%x" % (life, tlen, rms, arrival, med))
        else:
            n = r.u32()
            exts = []
            for _ in range(n):
                eid = r.u32()
                exts.append("%d:%d" % (eid, len(r.p4())))
            extra += " extensions=%s" % ",".join(exts)
        if r.o != len(p):
            problem("tls %s: payload %d bytes but decoder used %d" % (esc(k), len(p), r.o))
    except (ValueError, IndexError, struct.error) as e:
        problem("tls %s: payload does not decode as GnuTLS layout C: %s" % (esc(k), e))
        return "time_stamp=%d payload_len=%d" % (ts, len(p))
    proto_name = PROTO.get(proto, "?")
    facts.setdefault("tls_protocols", set()).add(proto_name)
    subj = cert_subject(certs[0]) if certs else ""
    return ("time_stamp=%d flags=0x%02x payload_len=%d gnutls_magic=0x%08x gnutls_version=%d.%d.%d "
            "gnutls_time=%d expire_time=%d cred=%d ncerts=%d cert0_len=%d cert0_subject=%s nocsp=%d "
            "ocsp_lens=%s entity=%d prf_mac=%d session_id_len=%d protocol=%d(%s) suite=%s%s"
            % (ts, v[8], len(p), magic, ver >> 16, (ver >> 8) & 255, ver & 255, gts, expire,
               cred, len(certs), len(certs[0]) if certs else 0, esc(subj.encode()), len(ocsp),
               ",".join(map(str, ocsp)), entity, prf, len(sid), proto, proto_name,
               suite.hex(), extra))


# ------------------------------------------------------------ main
def main():
    global SPOOL
    spool, mainlog, bv = sys.argv[1:4]
    SPOOL = spool
    bv = open(bv, encoding="utf-8", errors="replace").read()
    version = re.search(r"^Exim version (\S+)", bv, re.M)
    backend = re.search(r"^Berkeley DB: (.*)$", bv, re.M)
    log = open(mainlog, encoding="utf-8", errors="replace").read().splitlines()
    log = [ln for ln in log if "lost privilege for using -C" not in ln]
    dbdir = os.path.join(spool, "db")
    names = sorted(n for n in os.listdir(dbdir) if not n.endswith(".lockfile"))
    facts = {}
    made = max(os.stat(os.path.join(dbdir, n)).st_mtime for n in names)

    out = []
    w = out.append
    w("# hintsdb interop fixture: hints DBs written by real Exim, see tests/interop/make-spool.sh")
    w("# Lines: 'db NAME', 'records N', 'record key=\"..\" len=N <fields>' (fields decoded with")
    w("# the legacy x86_64 layouts of the formats doc; times are epoch seconds), and 'log ...'")
    w("# (lines of the client's Exim main log, verbatim). Keys are C-escaped without their NUL.")
    w("# wait: live/gone = IDs with/without input/<id>-D. callout: a stamp whose result is 0")
    w("# is omitted (Exim leaves it uninitialised). tls: secrets and tickets are not shown.")
    w("exim_version %s" % (version.group(1) if version else "?"))
    w("hints_backend %s (hash files)" % (backend.group(1).strip() if backend else "?"))
    w("made %s" % utc(int(made)))
    w("spool_files db/ input/")
    w("queued_messages %s" % " ".join(sorted(f[:-2] for f in os.listdir(os.path.join(spool, "input"))
                                             if f.endswith("-D"))))
    for name in names:
        pairs = dump(os.path.join(dbdir, name))
        w("")
        w("db %s" % name)
        w("records %d" % len(pairs))
        kind = "wait" if name.startswith("wait-") else name
        for k, v in pairs:
            if not k.endswith(b"\0"):
                problem("%s: key %s is not NUL-terminated" % (name, esc(k)))
            dec = {"retry": d_retry, "wait": d_wait, "misc": d_misc, "callout": d_callout,
                   "ratelimit": d_ratelimit, "seen": d_seen}.get(kind)
            fields = d_tls(k, v, facts) if kind == "tls" else dec(k, v) if dec else ""
            w("record key=%s len=%d %s" % (esc(k[:-1]), len(v), fields))
            facts.setdefault(kind, []).append((k[:-1], v))
        # The log lines that explain the records.
        if kind == "tls":
            for port in sorted({m for ln in log for m in re.findall(r"\]:(\d+) X=", ln)}):
                key = hashlib.sha256(b"127.0.0.1" + struct.pack("<i", int(port)) + b"127.0.0.1"
                                     + b"mx.test.example").hexdigest()
                w("tls_key port=%s key=%s inputs=server_ip:127.0.0.1,port:%s(int32le),"
                  "local_ip:127.0.0.1,sni:mx.test.example" % (port, key, port))
                sel = [ln for ln in log if " => " in ln and "]:%s X=" % port in ln]
                if sel:
                    w("log first_delivery_full_handshake %s" % sel[0])
                    w("log last_logged_delivery %s" % sel[-1])
        elif kind == "retry":
            for ln in log:
                if " == " in ln or "Connection refused" in ln:
                    w("log " + ln)
        elif kind == "wait":
            for ln in log:
                if "dead.example" in ln or "removed by" in ln:
                    w("log " + ln)
        elif kind == "callout":
            for ln in log:
                if "rejected RCPT" in ln or "verify fail" in ln:
                    w("log " + ln)
        elif kind == "misc":
            for ln in log:
                if "ETRN" in ln or "slow@test.example" in ln:
                    w("log " + ln)

    # Required coverage: fail loudly rather than ship a partial fixture.
    need = {"retry": None, "misc": None, "callout": None, "ratelimit": None, "seen": None,
            "tls": None, "wait": None}
    for kind in need:
        if not facts.get(kind):
            problem("no %s records" % kind)
    miscs = [k for k, _ in facts.get("misc", [])]
    if not any(k.endswith(b".EHLO") for k in miscs) or len(miscs) < 2:
        problem("misc needs an .EHLO record and another record, has %r" % miscs)
    rl = [k for k, _ in facts.get("ratelimit", [])]
    if not any(b"/unique/" in k for k in rl) or all(b"/unique/" in k for k in rl):
        problem("ratelimit needs plain and unique records")
    if not {"TLS1.2", "TLS1.3"} <= facts.get("tls_protocols", set()):
        problem("tls needs a TLS1.2 and a TLS1.3 session, has %r" % facts.get("tls_protocols"))
    if not any(struct.unpack_from("<i", v, 8)[0] > 0 for _, v in facts.get("wait", [])):
        problem("no wait record holds a message id")
    sys.stdout.write("\n".join(out) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
