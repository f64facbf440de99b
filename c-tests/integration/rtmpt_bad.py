#!/usr/bin/python3
"""A hostile RTMPT server for the integration scenarios (Python 3 standard library only).

It speaks just enough RTMPT (HTTP/1.1 POST /open/1, /send/<id>/<seq>, /idle/<id>/<seq>,
/close/<id>/<seq>) to lead a client to the answer chosen by --mode, at the request chosen by --at
(open: the answer to POST /open/1; send: the first answer after the open, whatever its command).
Before that point it answers correctly (open: 200 with a client id + "\\n"; send/idle: 200 with
the one interval byte 0x01 and no data). It never speaks RTMP: it is about the HTTP framing.

Modes:
  open404       404 Not Found to the open (--at is ignored)
  send500       500 Internal Server Error to the first send/idle (--at is ignored)
  nolength      200 without a Content-Length header (the body follows, then the socket stays open)
  badlength     Content-Length: abc
  hugelength    Content-Length: 2147483648 (1 << 31), then a few body bytes, then nothing
  zerolength    Content-Length: 0, no body
  neglength     Content-Length: -5, no body
  shortclose    Content-Length: 1000 with 10 body bytes, then the socket closes
  shortstall    Content-Length: 1000 with 10 body bytes, then nothing (the socket stays open)
  emptyidle     every send/idle answered 200 with a 1-byte body (interval 0x01) forever: the
                tunnel works but no RTMP byte ever comes back (--at is ignored)
  connclose     the answer carries "Connection: close" and the socket closes right after it
                (at open: the open answer is valid; the client's next POST meets a closed socket)

usage: rtmpt_bad.py --mode MODE [--at open|send] [--port N | --port-file F] [--log F] [-v]
Prints "listening 127.0.0.1:PORT" on stdout once it accepts connections; serves any number of
connections (a thread each) until killed. --log appends one line per request and per action.
"""
import argparse
import socket
import socketserver
import sys
import threading
import time

MODES = ("open404", "send500", "nolength", "badlength", "hugelength", "zerolength", "neglength",
         "shortclose", "shortstall", "emptyidle", "connclose")
ARGS = None
LOCK = threading.Lock()


def log(msg):
    line = "%.3f %s" % (time.monotonic(), msg)
    if ARGS.v:
        print("rtmpt_bad:", line, file=sys.stderr, flush=True)
    if ARGS.log:
        with LOCK, open(ARGS.log, "a") as f:
            f.write(line + "\n")


def head(status, reason, length=None, connection="Keep-Alive"):
    h = "HTTP/1.1 %d %s\r\nContent-Type: application/x-fcs\r\n" % (status, reason)
    if length is not None:
        h += "Content-Length: %s\r\n" % length
    h += "Connection: %s\r\nCache-Control: no-cache\r\n\r\n" % connection
    return h.encode()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        buf = bytearray()
        mode, at = ARGS.mode, ARGS.at
        n_answers = 0
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = sock.recv(65536)
                    if not d:
                        log("client closed")
                        return
                    buf += d
                hd, _, rest = bytes(buf).partition(b"\r\n\r\n")
                lines = hd.decode("latin-1").split("\r\n")
                length = 0
                for ln in lines[1:]:
                    k, _, v = ln.partition(":")
                    if k.strip().lower() == "content-length":
                        try:
                            length = max(0, int(v.strip()))
                        except ValueError:
                            length = 0
                buf = bytearray(rest)
                while len(buf) < length:
                    d = sock.recv(65536)
                    if not d:
                        return
                    buf += d
                del buf[:length]
                path = lines[0].split()[1] if len(lines[0].split()) > 1 else ""
                cmd = path.strip("/").split("/")[0]
                log("request %s (%d body bytes)" % (lines[0], length))
                is_open = cmd == "open"
                if is_open:
                    good = b"4242\n"
                else:
                    good = b"\x01"
                n_answers += 1
                # where the hostile answer goes
                if mode == "open404":
                    hit = is_open
                elif mode in ("send500", "emptyidle"):
                    hit = not is_open
                elif at == "open":
                    hit = is_open
                else:
                    hit = not is_open
                if not hit:
                    if not is_open and cmd not in ("send", "idle", "close"):
                        sock.sendall(head(404, "Not Found", 0))
                    else:
                        sock.sendall(head(200, "OK", len(good)) + good)
                    continue
                if not self.hostile(sock, mode, good):
                    return
        except OSError as e:
            log("socket error %r" % (e,))

    def hostile(self, sock, mode, good):
        """Sends the hostile answer; False when the connection is to end (or stall) here."""
        log("hostile answer: %s" % mode)
        if mode == "open404":
            sock.sendall(head(404, "Not Found", 0))
            return True
        if mode == "send500":
            sock.sendall(head(500, "Internal Server Error", 0))
            return True
        if mode == "emptyidle":
            sock.sendall(head(200, "OK", 1) + b"\x01")
            return True
        if mode == "nolength":
            sock.sendall(head(200, "OK") + good)
            return self.stall(sock)
        if mode == "badlength":
            sock.sendall(head(200, "OK", "abc") + good)
            return self.stall(sock)
        if mode == "hugelength":
            sock.sendall(head(200, "OK", 1 << 31) + good + b"\x00" * 16)
            return self.stall(sock)
        if mode == "zerolength":
            sock.sendall(head(200, "OK", 0))
            return self.stall(sock)
        if mode == "neglength":
            sock.sendall(head(200, "OK", -5))
            return self.stall(sock)
        if mode in ("shortclose", "shortstall"):
            sock.sendall(head(200, "OK", 1000) + (good + b"\x00" * 10)[:10])
            if mode == "shortclose":
                return False
            return self.stall(sock)
        if mode == "connclose":
            sock.sendall(head(200, "OK", len(good), connection="close") + good)
            return False
        raise ValueError(mode)

    @staticmethod
    def stall(sock):
        """Reads (and logs) whatever else comes, answering nothing, until the client goes."""
        while True:
            d = sock.recv(65536)
            if not d:
                log("client closed")
                return False
            log("ignored %d more bytes" % len(d))


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global ARGS
    ap = argparse.ArgumentParser(description="hostile RTMPT server")
    ap.add_argument("--mode", required=True, choices=MODES)
    ap.add_argument("--at", choices=("open", "send"), default="open")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("-v", action="store_true")
    ARGS = ap.parse_args()
    srv = Server(("127.0.0.1", ARGS.port), Handler)
    port = srv.server_address[1]
    if ARGS.port_file:
        with open(ARGS.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        import os
        os.replace(ARGS.port_file + ".tmp", ARGS.port_file)
    print("listening 127.0.0.1:%d" % port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
