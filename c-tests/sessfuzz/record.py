#!/usr/bin/python3
"""Records what a real server sends in one session, as messages (the session fuzzer's fixture).

usage: record.py --upstream PORT --out FILE -- COMMAND... (COMMAND's '{port}' is replaced by the
relay's port). A loopback relay forwards one connection to 127.0.0.1:PORT unchanged, keeps the
server-to-client bytes, and once COMMAND exits writes the server's messages after the handshake
(rtmpwire.save) to FILE.
"""
import argparse
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtmpwire  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("command", nargs="+")
    args = ap.parse_args()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    s2c = bytearray()

    def pump(src, dst, keep):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if keep is not None:
                    keep += data
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def relay():
        conn, _ = srv.accept()
        up = socket.create_connection(("127.0.0.1", args.upstream))
        t = threading.Thread(target=pump, args=(up, conn, s2c), daemon=True)
        t.start()
        pump(conn, up, None)
        t.join(5)

    t = threading.Thread(target=relay, daemon=True)
    t.start()
    cmd = [c.replace("{port}", str(port)) for c in args.command]
    rc = subprocess.run(cmd).returncode
    t.join(10)
    msgs = rtmpwire.parse_chunks(bytes(s2c[rtmpwire.HANDSHAKE_LEN:]))
    rtmpwire.save(args.out, msgs)
    print(f"record.py: {' '.join(cmd[:1])} exit {rc}, {len(s2c)} bytes from the server, {len(msgs)} messages -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
