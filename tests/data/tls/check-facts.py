#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check-facts.py - compare `hintsdb ticket` output with what the real
handshake reported (NAME.facts, written by tests/helper/mksessions.sh) and,
for OpenSSL sessions, with `openssl sess_id -noout -text`.

usage: check-facts.py FACTS JSON [--sessid SESSID.txt] [--text TEXT.out]
       check-facts.py --batch LIST   (one such argument list a line)

JSON is one line of `hintsdb ticket --format=json` (with --show-secrets when
the facts hold a secret to compare).  --sessid also checks every field that
sess_id and hintsdb both show; --text checks the text output against the
same sess_id fields.  Prints each mismatch and exits 1 if there was one.
"""
import datetime
import json
import sys

bad = []


def check(what, got, want):
    if got != want:
        bad.append("%s: got %r, want %r" % (what, got, want))


def facts_of(path):
    f = {}
    for line in open(path):
        line = line.rstrip("\n")
        if "=" in line:
            k, v = line.split("=", 1)
            f[k] = v
    return f


def temp_key_group(tk):
    for k, v in (("X25519", "X25519"), ("X448", "X448"),
                 ("prime256v1", "SECP256R1"), ("secp256r1", "SECP256R1"),
                 ("secp384r1", "SECP384R1"), ("secp521r1", "SECP521R1")):
        if k in tk:
            return v
    return None


def peer(j, f):
    p = j.get("peer", {})
    check("peer cn", p.get("cn"), f["peer_cn"])
    check("peer subject", p.get("subject"), f["peer_subject"])
    check("peer issuer", p.get("issuer"), f["peer_issuer"])
    check("peer san", ",".join(p.get("san", [])), f["peer_san"])
    check("peer not_after", p.get("not_after"), int(f["peer_not_after"]))
    check("peer serial", p.get("serial"), f["peer_serial"])
    check("peer sha256", p.get("sha256"), f["peer_sha256"])


def openssl(j, f):
    check("library", j["library"], "openssl")
    check("protocol", j.get("protocol"), f["protocol"].replace("TLSv", "TLS"))
    check("cipher (OpenSSL name)", j.get("cipher_openssl"), f["cipher"])
    check("session_id", j.get("session_id"), f["session_id"].lower())
    check("ticket_lifetime", j.get("ticket_lifetime"),
          int(f.get("ticket_lifetime_hint", "0")))
    check("has_ticket", j.get("has_ticket"), "ticket_lifetime_hint" in f)
    check("start_time", j.get("start_time"), int(f["start_time"]))
    check("timeout", j.get("timeout"), int(f["timeout"]))
    check("verify_result", j.get("verify_result"), int(f["verify_result"]))
    check("extended_master_secret", j.get("extended_master_secret"),
          f["extended_master_secret"] == "yes")
    if "max_early_data" in f:
        check("max_early_data", j.get("max_early_data"),
              int(f["max_early_data"]))
    check("sni", j.get("sni"), f["sni"] or None)
    check("alpn", j.get("alpn"), f.get("alpn") or None)
    check("group", j.get("group"), temp_key_group(f["server_temp_key"]))
    check("expires", j.get("expires"),
          j.get("record_time", j["start_time"]) + j["ticket_lifetime"])
    kind = "resumption_psk" if f["protocol"] == "TLSv1.3" else "master_secret"
    check("secret_kind", j.get("secret_kind"), kind)
    if kind in j:
        check(kind, j[kind], f["master_key"].lower())
        if "keylog_master" in f:
            check("master secret vs key log", j[kind], f["keylog_master"])
    peer(j, f)


def gnutls(j, f):
    if f.get("ticket_received") == "no" and f["protocol"] == "TLS1.3":
        check("library", j["library"], "gnutls-no-ticket")
        check("resumable", j["resumable"], False)
        return
    check("library", j["library"], "gnutls")
    check("gnutls_writer", j.get("gnutls_writer"), f["gnutls_version"])
    check("protocol", j.get("protocol"), f["protocol"])
    check("cipher", j.get("cipher"), f["cipher"])
    check("prf", j.get("prf"), f["prf"])
    check("session_id", j.get("session_id"), f["session_id"])
    check("timeout", j.get("timeout"), int(f["expire_time"]))
    st = j.get("start_time", -1)
    # GnuTLS stamps with time(2), whose coarse clock may lag the one the
    # helper read by a tick: allow a second either side
    if not int(f["handshake_after"]) - 1 <= st <= int(f["handshake_before"]) + 1:
        bad.append("start_time %r outside the handshake" % st)
    check("payload_length", j.get("payload_length"),
          int(f["payload_length"]))
    if f["protocol"] == "TLS1.2":
        check("sni", j.get("sni"), f["sni"] or None)
        check("group", j.get("group"), f["group"] or None)
        check("client_random", j.get("client_random"), f["client_random"])
        if "master_secret" in j:
            check("master secret vs key log", j["master_secret"],
                  f["keylog_master"])
        check("expires", j.get("expires"), st + int(f["expire_time"]))
    else:
        check("sni (not stored for TLS 1.3)", j.get("sni"), None)
        check("secret_kind", j.get("secret_kind"),
              "resumption_master_secret")
        check("expires", j.get("expires"),
              min(st + int(f["expire_time"]),
                  j["ticket_arrival"] + j["ticket_lifetime"]))
    peer(j, f)


def exim(j, f):
    check("library", j["library"], "gnutls")
    check("input", j.get("input"), "record")
    check("record_layout", j.get("record_layout"), "legacy")
    check("record_time", j.get("record_time"), int(f["time_stamp"]))
    check("record_flags", j.get("record_flags"), int(f["flags"], 16))
    check("payload_length", j.get("payload_length"), int(f["payload_len"]))
    check("gnutls_magic", j.get("gnutls_magic"), int(f["gnutls_magic"], 16))
    check("gnutls_writer", j.get("gnutls_writer"), f["gnutls_version"])
    check("start_time", j.get("start_time"), int(f["gnutls_time"]))
    check("timeout", j.get("timeout"), int(f["expire_time"]))
    check("cipher_id", j.get("cipher_id"), f["suite"])
    check("peer der_length", j["peer"]["der_length"], int(f["cert0_len"]))
    check("ocsp_responses", j.get("ocsp_responses"), int(f["nocsp"]))
    if f["protocol"].startswith("5("):
        check("protocol", j.get("protocol"), "TLS1.3")
        check("ticket_lifetime", j.get("ticket_lifetime"),
              int(f["ticket_lifetime"]))
        check("ticket_length", j.get("ticket_length"), int(f["ticket_len"]))
        check("secret_length", j.get("secret_length"),
              int(f["resumption_secret_len"]))
        check("ticket_arrival", j.get("ticket_arrival"), int(f["arrival"]))
        check("max_early_data", j.get("max_early_data"),
              int(f["max_early_data"], 0))
    else:
        check("protocol", j.get("protocol"), "TLS1.2")
        check("extended_master_secret", j.get("extended_master_secret"),
              f["ems"] == "1")
        check("extensions", ",".join("%d:%d" % (e["id"], e["length"])
                                     for e in j.get("extensions", [])),
              f["extensions"])
        check("sni", j.get("sni"), "mx.test.example")


def wrapped(j, f):
    check("input", j.get("input"), "record")
    check("record_layout", j.get("record_layout"), f["record_layout"])
    check("record_time", j.get("record_time"), int(f["record_time"]))
    check("record_flags", j.get("record_flags"), int(f["record_flags"], 16))
    check("payload_length", j.get("payload_length"),
          int(f["payload_length"]))
    flags = int(f["record_flags"], 16)
    if j["library"] == "openssl":
        check("verify_override", j.get("verify_override"), bool(flags & 1))
        check("ocsp", j.get("ocsp"), (flags >> 1) & 7)
        check("expires (Exim: record time + hint)", j.get("expires"),
              int(f["record_time"]) + j["ticket_lifetime"])
    else:
        check("flags ignored for GnuTLS", "verify_override" in j, False)


def sessid(j, path, text):
    """Every field `openssl sess_id -noout -text` and hintsdb both show."""
    s = {}
    for line in open(path):
        if ":" in line:
            k, v = line.strip().split(":", 1)
            s[k.strip()] = v.strip()
    check("sess_id Protocol", s["Protocol"].replace("TLSv", "TLS"),
          j["protocol"])
    check("sess_id Cipher", s["Cipher"], j["cipher_openssl"])
    check("sess_id Session-ID", s["Session-ID"].lower(), j["session_id"])
    sec = s.get("Master-Key") or s.get("Resumption PSK")
    if j.get("secret_kind") in j:
        check("sess_id secret", sec.lower(), j[j["secret_kind"]])
    if "TLS session ticket lifetime hint" in s:
        check("sess_id lifetime hint",
              int(s["TLS session ticket lifetime hint"].split()[0]),
              j["ticket_lifetime"])
    check("sess_id Start Time", int(s["Start Time"]), j["start_time"])
    check("sess_id Timeout", int(s["Timeout"].split()[0]), j["timeout"])
    check("sess_id Verify return code",
          s["Verify return code"], "%d (%s)" % (j["verify_result"],
                                                j["verify_result_text"]))
    check("sess_id Extended master secret", s["Extended master secret"],
          "yes" if j["extended_master_secret"] else "no")
    if "Max Early Data" in s:
        check("sess_id Max Early Data", int(s["Max Early Data"]),
              j["max_early_data"])
    if text is None:
        return
    t = {}
    for line in open(text):
        if ": " in line:
            k, v = line.strip().split(": ", 1)
            t[k] = v
    check("text protocol", t["protocol"].split()[0],
          s["Protocol"].replace("TLSv", "TLS"))
    check("text cipher_openssl", t["cipher_openssl"], s["Cipher"])
    check("text session_id", t["session_id"], s["Session-ID"].lower())
    iso = t["start_time"].split()[0]
    if iso.endswith("Z"):
        iso = iso[:-1] + "+00:00"
    check("text start_time", int(datetime.datetime.fromisoformat(
        iso).timestamp()), int(s["Start Time"]))
    check("text timeout", t["timeout"].split()[0],
          s["Timeout"].split()[0] + "s")
    if "TLS session ticket lifetime hint" in s:
        check("text ticket_lifetime", t["ticket_lifetime"].split()[0],
              s["TLS session ticket lifetime hint"].split()[0] + "s")
    check("text verify_result", t["verify_result"], s["Verify return code"])
    check("text extended_master_secret", t["extended_master_secret"],
          s["Extended master secret"])
    if "Max Early Data" in s:
        check("text max_early_data", t["max_early_data"],
              s["Max Early Data"])
    sec = s.get("Master-Key") or s.get("Resumption PSK")
    kind = j["secret_kind"]
    if kind in t:
        check("text secret", t[kind], sec.lower())


def run_one(args):
    opts = {}
    while len(args) > 2 and args[-2].startswith("--"):
        opts[args[-2]] = args[-1]
        args = args[:-2]
    f = facts_of(args[0])
    j = json.loads(open(args[1]).readline())
    if "source" in f:
        exim(j, f)
    elif "record_layout" in f:
        wrapped(j, f)
    elif f.get("library") == "openssl":
        openssl(j, f)
    else:
        gnutls(j, f)
    if "--sessid" in opts:
        sessid(j, opts["--sessid"], opts.get("--text"))


def main():
    args = sys.argv[1:]
    # --batch LIST: one "FACTS JSON [--sessid F --text F]" per line
    runs = ([line.split() for line in open(args[1]) if line.strip()]
            if args[:1] == ["--batch"] else [args])
    nbad = 0
    for r in runs:
        del bad[:]
        try:
            run_one(r)
        except (KeyError, ValueError, OSError) as e:
            bad.append("cannot check: %r" % e)
        for b in bad:
            print("%s: %s" % (r[0], b))
        nbad += len(bad)
    sys.exit(1 if nbad else 0)


if __name__ == "__main__":
    main()
