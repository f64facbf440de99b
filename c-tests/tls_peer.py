#!/usr/bin/env python3
"""Hostile TLS peer for c-tests/test_tls_hostile.c (python3 standard library only).

The C test creates the listening socket on a free loopback port and hands it over as an
inherited file descriptor (--listen-fd), so the port is known before this script starts and
the client can connect at once (its connection waits in the backlog). The script writes one
byte to --ready-fd when it is about to accept, serves exactly one connection as --mode says,
and exits:

    0  the script ran as intended (e.g. it saw a ClientHello, or the client's connect command)
    1  the client went away or sent something unexpected before the script was done
    2  a deadline passed (every wait is bounded)
    3  an unexpected exception (printed to stderr)
    4  no client connected
    5  --chacha was asked for, but another cipher was negotiated
    64 bad usage

TLS is done with ssl.SSLObject over ssl.MemoryBIO, so the script sees and controls every raw
byte on the wire (it can cut a record short or close without close_notify). Inside TLS it
speaks just enough RTMP: the plain handshake (S0 = 3, S1 = time + zeros + random, S2 = echo
of C1), and a few chunked messages built here from the RTMP and AMF0 specifications.

--chacha makes the peer negotiate only ChaCha20-Poly1305: the TLS 1.2 cipher list is set here,
the TLS 1.3 suites (Python's ssl module has no call for them) through the OpenSSL configuration
file that the C test names in OPENSSL_CONF. The C test uses it under valgrind only, because
valgrind reports false "uninitialised value" errors inside ring's AES-GCM assembly.

Modes:
    control     TLS + RTMP handshake, read the connect command, answer nothing
    garbage     read the ClientHello, answer 200 bytes that are not TLS, stay silent
    stall       read the ClientHello, answer nothing, keep the connection open
    alert       read the ClientHello, answer with a fatal handshake_failure alert record
    cut         TLS + RTMP handshake, read connect, send the first half of one record, EOF
    nonotify    TLS + RTMP handshake, read connect, start play, send media, then a TCP FIN
                without a TLS close_notify
    hugerecord  TLS handshake, read C0+C1, send a record header announcing 0xffff bytes and a
                few bytes of it, stay silent
"""

import argparse
import os
import select
import signal
import socket
import ssl
import struct
import sys
import time

SIG = 1536            # RTMP handshake block size
CHUNK = 128           # the client's inbound chunk size (we never change it)
ACCEPT_S = 4.0        # how long to wait for the client to connect
IO_S = 8.0            # how long any single wait for the client may take
VERBOSE = bool(os.environ.get("TLS_HOSTILE_VERBOSE"))
CHACHA = False        # --chacha


class PeerExit(Exception):
    def __init__(self, code, why):
        super().__init__(why)
        self.code = code
        self.why = why


def log(msg):
    if VERBOSE:
        sys.stderr.write("    tls_peer: %s\n" % msg)
        sys.stderr.flush()


# ---------------------------------------------------------------------------------------------
# raw socket helpers

def wait_readable(sock, deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise PeerExit(2, "deadline passed waiting for the client")
    r, _, _ = select.select([sock], [], [], left)
    if not r:
        raise PeerExit(2, "deadline passed waiting for the client")


def recv_some(sock, deadline, n=65536):
    """Some raw bytes; b"" on EOF (or a reset)."""
    wait_readable(sock, deadline)
    try:
        return sock.recv(n)
    except (ConnectionResetError, BrokenPipeError):
        return b""


def recv_exact(sock, n, deadline):
    out = b""
    while len(out) < n:
        d = recv_some(sock, deadline, n - len(out))
        if not d:
            raise PeerExit(1, "EOF after %d of %d raw bytes" % (len(out), n))
        out += d
    return out


def send_all(sock, data):
    try:
        sock.sendall(data)
    except (ConnectionResetError, BrokenPipeError):
        raise PeerExit(1, "the client is gone (send)")


def drain(sock):
    """Reads and discards until the client closes (or IO_S passes). Returns on EOF."""
    deadline = time.monotonic() + IO_S
    while True:
        try:
            d = recv_some(sock, deadline)
        except PeerExit:
            raise PeerExit(2, "the client did not close the connection")
        if not d:
            return


def finish_fin(sock):
    """An orderly TCP FIN (no TLS close_notify), then wait for the client to close, so that the
    close cannot turn into a reset that would throw away the last bytes we sent."""
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    drain(sock)


def read_client_hello(sock):
    deadline = time.monotonic() + IO_S
    hdr = recv_exact(sock, 5, deadline)
    if hdr[0] != 0x16 or hdr[1] != 0x03:
        raise PeerExit(1, "not a TLS handshake record: %s" % hdr.hex())
    (length,) = struct.unpack(">H", hdr[3:5])
    body = recv_exact(sock, length, deadline)
    if not body or body[0] != 0x01:
        raise PeerExit(1, "first handshake message is not a ClientHello")
    log("ClientHello, %d bytes" % length)


# ---------------------------------------------------------------------------------------------
# TLS over memory BIOs

class Tls:
    def __init__(self, sock, ctx, chacha=False):
        self.chacha = chacha
        self.sock = sock
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=True)

    def flush(self):
        data = self.out.read()
        if data:
            send_all(self.sock, data)

    def feed(self, deadline):
        d = recv_some(self.sock, deadline)
        if not d:
            self.inc.write_eof()
            raise PeerExit(1, "the client closed the connection")
        self.inc.write(d)

    def handshake(self):
        deadline = time.monotonic() + IO_S
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.feed(deadline)
        self.flush()
        cipher = self.obj.cipher()[0]
        log("TLS handshake done: %s %s" % (self.obj.version(), cipher))
        if self.chacha and "CHACHA20" not in cipher:
            raise PeerExit(5, "--chacha, but %s was negotiated (is OPENSSL_CONF honoured?)" %
                           cipher)

    def read_exact(self, n):
        deadline = time.monotonic() + IO_S
        out = b""
        while len(out) < n:
            try:
                d = self.obj.read(n - len(out))
                if not d:
                    raise PeerExit(1, "TLS EOF after %d of %d bytes" % (len(out), n))
                out += d
            except ssl.SSLWantReadError:
                self.flush()
                self.feed(deadline)
        return out

    def read_connect(self):
        """Reads decrypted bytes until the client's connect command has arrived and the client
        has been quiet for a moment."""
        deadline = time.monotonic() + IO_S
        got = b""
        while b"connect" not in got:
            try:
                d = self.obj.read(65536)
                if not d:
                    raise PeerExit(1, "TLS EOF before the connect command")
                got += d
            except ssl.SSLWantReadError:
                self.feed(deadline)
        quiet = time.monotonic() + 0.2
        while True:
            try:
                d = self.obj.read(65536)
                if d:
                    got += d
                    continue
                break
            except ssl.SSLWantReadError:
                pass
            r, _, _ = select.select([self.sock], [], [], max(0.0, quiet - time.monotonic()))
            if not r:
                break
            try:
                self.feed(deadline)
            except PeerExit:
                break
        log("connect command received (%d bytes in all)" % len(got))
        return got

    def seal(self, data):
        """The TLS records carrying data, not sent."""
        self.obj.write(data)
        return self.out.read()

    def write(self, data):
        send_all(self.sock, self.seal(data))


def rtmp_handshake(tls):
    c01 = tls.read_exact(1 + SIG)
    if c01[0] != 3:
        raise PeerExit(1, "C0 is %d, not 3" % c01[0])
    s1 = struct.pack(">I", int(time.monotonic() * 1000) & 0xFFFFFFFF) + bytes(4) + \
        os.urandom(SIG - 8)
    tls.write(b"\x03" + s1 + c01[1:])
    tls.read_exact(SIG)
    log("RTMP handshake done")


# ---------------------------------------------------------------------------------------------
# RTMP messages (AMF0 and the chunk stream)

def amf_str(s):
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def amf_num(v):
    return b"\x00" + struct.pack(">d", v)


def amf_null():
    return b"\x05"


def amf_obj(pairs):
    out = b"\x03"
    for k, v in pairs:
        kb = k.encode()
        out += struct.pack(">H", len(kb)) + kb + v
    return out + b"\x00\x00\x09"


def rtmp_msg(csid, mtype, sid, ts, body):
    out = bytes([csid]) + struct.pack(">I", ts)[1:] + struct.pack(">I", len(body))[1:] + \
        bytes([mtype]) + struct.pack("<I", sid)
    for off in range(0, len(body), CHUNK):
        if off:
            out += bytes([0xC0 | csid])
        out += body[off:off + CHUNK]
    return out


def info(level, code, desc):
    return amf_obj([("level", amf_str(level)), ("code", amf_str(code)),
                    ("description", amf_str(desc))])


def connect_reply():
    win = rtmp_msg(2, 0x05, 0, 0, struct.pack(">I", 2500000))
    bw = rtmp_msg(2, 0x06, 0, 0, struct.pack(">I", 2500000) + b"\x02")
    result = rtmp_msg(3, 0x14, 0, 0, amf_str("_result") + amf_num(1) +
                      amf_obj([("fmsVer", amf_str("FMS/3,5,7,7009")),
                               ("capabilities", amf_num(31))]) +
                      info("status", "NetConnection.Connect.Success", "Connection succeeded."))
    return win + bw + result


def play_start():
    created = rtmp_msg(3, 0x14, 0, 0, amf_str("_result") + amf_num(2) + amf_null() + amf_num(1))
    status = rtmp_msg(5, 0x14, 1, 0, amf_str("onStatus") + amf_num(0) + amf_null() +
                      info("status", "NetStream.Play.Start", "tls peer"))
    return created + status


def some_media():
    video = bytes([0x17]) + bytes(19)           # AVC keyframe
    audio = bytes([0xAF]) + bytes(9)            # AAC
    out = b""
    for i in range(4):
        out += rtmp_msg(6, 0x09, 1, i * 40, video)
        out += rtmp_msg(4, 0x08, 1, i * 40 + 20, audio)
    return out


# ---------------------------------------------------------------------------------------------
# the modes

def up_to_connect(sock, ctx):
    """The TLS handshake, the RTMP handshake and the client's connect command: the session, ready
    for the reply."""
    tls = Tls(sock, ctx, CHACHA)
    tls.handshake()
    rtmp_handshake(tls)
    tls.read_connect()
    return tls


def m_control(sock, ctx):
    up_to_connect(sock, ctx)
    drain(sock)


def m_garbage(sock, ctx):
    read_client_hello(sock)
    junk = (b"HTTP/1.0 400 this is not a TLS server hello at all\r\n" * 4)[:200]
    send_all(sock, junk)
    drain(sock)


def m_stall(sock, ctx):
    read_client_hello(sock)
    drain(sock)


def m_alert(sock, ctx):
    read_client_hello(sock)
    # record: alert (21), TLS 1.2 record version, length 2; level fatal (2),
    # description handshake_failure (40)
    send_all(sock, bytes([21, 3, 3, 0, 2, 2, 40]))
    drain(sock)


def m_cut(sock, ctx):
    tls = up_to_connect(sock, ctx)
    record = tls.seal(connect_reply())
    log("one record of %d bytes, sending %d" % (len(record), len(record) // 2))
    send_all(sock, record[:len(record) // 2])
    finish_fin(sock)


def m_nonotify(sock, ctx):
    tls = up_to_connect(sock, ctx)
    tls.write(connect_reply() + play_start())
    tls.write(some_media())
    finish_fin(sock)


def m_hugerecord(sock, ctx):
    tls = Tls(sock, ctx, CHACHA)
    tls.handshake()
    tls.read_exact(1 + SIG)     # C0+C1: the client now waits for S0+S1
    send_all(sock, bytes([0x17, 0x03, 0x03, 0xFF, 0xFF]) + os.urandom(1000))
    drain(sock)


MODES = {
    "control": m_control,
    "garbage": m_garbage,
    "stall": m_stall,
    "alert": m_alert,
    "cut": m_cut,
    "nonotify": m_nonotify,
    "hugerecord": m_hugerecord,
}


def main():
    global CHACHA
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen-fd", type=int, required=True)
    ap.add_argument("--ready-fd", type=int, default=-1)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--mode", required=True, choices=sorted(MODES))
    ap.add_argument("--tls12", action="store_true", help="at most TLS 1.2")
    ap.add_argument("--chacha", action="store_true", help="only ChaCha20-Poly1305")
    try:
        args = ap.parse_args()
    except SystemExit:
        return 64

    signal.alarm(20)  # last resort: never outlive the test

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.chacha:
        CHACHA = True
        ctx.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
    if args.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.num_tickets = 0  # no NewSessionTicket records after the handshake
    except (AttributeError, ValueError):
        pass

    ls = socket.socket(fileno=args.listen_fd)
    if args.ready_fd >= 0:
        os.write(args.ready_fd, b"R")
        os.close(args.ready_fd)
    r, _, _ = select.select([ls], [], [], ACCEPT_S)
    if not r:
        log("no client connected")
        return 4
    sock, _ = ls.accept()
    ls.close()
    sock.setblocking(True)
    try:
        MODES[args.mode](sock, ctx)
        log("mode %s done" % args.mode)
        return 0
    except PeerExit as e:
        log("mode %s: %s" % (args.mode, e.why))
        return e.code
    except Exception as e:  # noqa: BLE001 - report anything else as a script failure
        sys.stderr.write("tls_peer: mode %s: %s: %s\n" % (args.mode, type(e).__name__, e))
        return 3
    finally:
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
