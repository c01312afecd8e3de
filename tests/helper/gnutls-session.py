#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""gnutls-session.py - one real GnuTLS client session, saved as packed data.

gnutls-cli has no option to save the bytes of gnutls_session_get_data2(), which
is what Exim stores in its tls hints DB.  This helper drives the installed
libgnutls through ctypes (no compiler, no -dev package) as Exim's smtp
transport does: handshake, let the server's NewSessionTicket arrive, then take
gnutls_session_get_data2().  The session cache expiration is set to 7200 s as
Exim does.

usage: gnutls-session.py HOST PORT PRIORITY OUT.bin [--sni NAME]
                         [--placeholder] [--keylog FILE]

Writes the packed session to OUT.bin and key=value facts, as the library
reported them for the live connection, to stdout.  --placeholder asks for
no tickets (GNUTLS_NO_TICKETS) and takes the data right after a TLS 1.3
handshake: GnuTLS then returns its 4-byte "no ticket" placeholder.  --keylog sets
SSLKEYLOGFILE, so the TLS 1.2 master secret can be checked independently.
"""
import ctypes
import os
import socket
import struct
import sys
import time

GNUTLS_CLIENT = 1 << 1
GNUTLS_NO_TICKETS = 1 << 10
GNUTLS_CRD_CERTIFICATE = 1
GNUTLS_NAME_DNS = 1
GNUTLS_SHUT_WR = 1
GNUTLS_SFLAGS_SESSION_TICKET = 1 << 7
GNUTLS_E_AGAIN = -28
GNUTLS_E_INTERRUPTED = -52
GNUTLS_E_TIMEDOUT = -319


class Datum(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_ubyte)),
                ("size", ctypes.c_uint)]


def die(msg):
    sys.stderr.write("gnutls-session: %s\n" % msg)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    sni = None
    placeholder = False
    keylog = None
    pos = []
    i = 0
    while i < len(args):
        if args[i] == "--sni":
            sni = args[i + 1]
            i += 2
        elif args[i] == "--placeholder":
            placeholder = True
            i += 1
        elif args[i] == "--keylog":
            keylog = args[i + 1]
            i += 2
        else:
            pos.append(args[i])
            i += 1
    if len(pos) != 4:
        die("usage: HOST PORT PRIORITY OUT.bin [--sni NAME] "
            "[--placeholder] [--keylog FILE]")
    host, port, prio, out = pos[0], int(pos[1]), pos[2], pos[3]
    if keylog:
        os.environ["SSLKEYLOGFILE"] = keylog

    g = ctypes.CDLL("libgnutls.so.30")
    for fn in ("gnutls_check_version", "gnutls_protocol_get_name",
               "gnutls_ciphersuite_get", "gnutls_group_get_name",
               "gnutls_strerror", "gnutls_sign_get_name",
               "gnutls_mac_get_name"):
        getattr(g, fn).restype = ctypes.c_char_p
    g.gnutls_init.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_uint]
    for fn in ("gnutls_handshake", "gnutls_session_get_flags",
               "gnutls_protocol_get_version", "gnutls_group_get",
               "gnutls_sign_algorithm_get", "gnutls_prf_hash_get"):
        getattr(g, fn).argtypes = [ctypes.c_void_p]
    g.gnutls_ciphersuite_get.argtypes = [ctypes.c_void_p]
    g.gnutls_record_recv.restype = ctypes.c_ssize_t
    g.gnutls_record_recv.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                     ctypes.c_size_t]
    g.gnutls_record_send.restype = ctypes.c_ssize_t
    g.gnutls_record_send.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                     ctypes.c_size_t]

    cred = ctypes.c_void_p()
    sess = ctypes.c_void_p()
    # GnuTLS stamps the session with time(2), whose coarse clock may lag
    # time.time() by a tick: allow for it at the lower bound.
    t0 = int(time.time() - 0.1)
    if g.gnutls_certificate_allocate_credentials(ctypes.byref(cred)) < 0:
        die("cannot allocate credentials")
    flags = GNUTLS_CLIENT | (GNUTLS_NO_TICKETS if placeholder else 0)
    if g.gnutls_init(ctypes.byref(sess), flags) < 0:
        die("gnutls_init failed")
    errpos = ctypes.c_char_p()
    if g.gnutls_priority_set_direct(sess, prio.encode(),
                                    ctypes.byref(errpos)) < 0:
        die("bad priority string at %r" % errpos.value)
    g.gnutls_credentials_set(sess, GNUTLS_CRD_CERTIFICATE, cred)
    g.gnutls_db_set_cache_expiration(sess, 7200)
    if sni:
        g.gnutls_server_name_set(sess, GNUTLS_NAME_DNS, sni.encode(),
                                 ctypes.c_size_t(len(sni)))

    sock = socket.create_connection((host, port), timeout=10)
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                    struct.pack("ll", 10, 0))
    g.gnutls_transport_set_int2(sess, sock.fileno(), sock.fileno())
    g.gnutls_handshake_set_timeout(sess, 10000)

    while True:
        r = g.gnutls_handshake(sess)
        if r >= 0:
            break
        if g.gnutls_error_is_fatal(r):
            die("handshake failed: %s" % g.gnutls_strerror(r).decode())
    t1 = int(time.time())

    if not placeholder and g.gnutls_protocol_get_version(sess) == 5:
        msg = b"hello from gnutls-session.py\n"
        g.gnutls_record_send(sess, msg, len(msg))
        # The TLS 1.3 NewSessionTicket follows the handshake; reading is
        # what processes it.  The echo server never answers, so poll.
        # (A TLS 1.2 ticket is part of the handshake itself.)
        g.gnutls_record_set_timeout(sess, 200)
        buf = ctypes.create_string_buffer(4096)
        for _ in range(25):
            if g.gnutls_session_get_flags(sess) & GNUTLS_SFLAGS_SESSION_TICKET:
                break
            r = g.gnutls_record_recv(sess, buf, 4096)
            if r < 0 and r not in (GNUTLS_E_AGAIN, GNUTLS_E_INTERRUPTED,
                                   GNUTLS_E_TIMEDOUT):
                break

    d = Datum()
    r = g.gnutls_session_get_data2(sess, ctypes.byref(d))
    if r < 0:
        die("gnutls_session_get_data2: %s" % g.gnutls_strerror(r).decode())
    data = ctypes.string_at(d.data, d.size)
    with open(out, "wb") as f:
        f.write(data)

    sid = ctypes.create_string_buffer(64)
    sidlen = ctypes.c_size_t(64)
    g.gnutls_session_get_id(sess, sid, ctypes.byref(sidlen))
    proto = g.gnutls_protocol_get_version(sess)
    group = g.gnutls_group_get(sess)
    flags = g.gnutls_session_get_flags(sess)
    facts = [
        ("library", "gnutls"),
        ("gnutls_version", g.gnutls_check_version(None).decode()),
        ("protocol", g.gnutls_protocol_get_name(proto).decode()),
        ("cipher", (g.gnutls_ciphersuite_get(sess) or b"").decode()),
        ("group", (g.gnutls_group_get_name(group) or b"").decode()),
        ("prf", (g.gnutls_mac_get_name(g.gnutls_prf_hash_get(sess))
                 or b"").decode()),
        ("session_id", sid.raw[:sidlen.value].hex()),
        ("ticket_received",
         "yes" if flags & GNUTLS_SFLAGS_SESSION_TICKET else "no"),
        ("expire_time", "7200"),
        ("handshake_after", str(t0)),
        ("handshake_before", str(t1)),
        ("payload_length", str(len(data))),
        ("sni", sni or ""),
    ]
    for k, v in facts:
        print("%s=%s" % (k, v))

    g.gnutls_bye(sess, GNUTLS_SHUT_WR)
    sock.close()
    g.gnutls_deinit(sess)
    g.gnutls_certificate_free_credentials(cred)


if __name__ == "__main__":
    main()
