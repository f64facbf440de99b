#!/usr/bin/python3
"""A TCP relay on loopback that timestamps the server's last byte (Python 3 standard library).

Used by readpath.sh to measure how long a client takes to finish after the server has sent
everything: it relays each accepted connection to 127.0.0.1:UPSTREAM unchanged, both ways, and
when the connection ends appends one line to --log:

  conn N s2c_bytes=B last_s2c=T0 client_closed=T1

T0 is the time (seconds since the epoch, from time.time()) at which the last server-to-client
bytes were forwarded, T1 when the client's side ended. The relay never alters, delays or
buffers data beyond one recv() at a time.

usage: tail_relay.py --upstream PORT --port-file F --log F
Writes its listening port to F (atomically) once it accepts connections; serves connections
(a thread each) until killed.
"""
import argparse
import os
import socket
import threading
import time

LOCK = threading.Lock()


def pump(src, dst, stamp):
    """Copies src to dst until EOF or an error; stamp(n) after every forwarded piece."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            stamp(len(data))
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(conn, number, args):
    up = socket.create_connection(("127.0.0.1", args.upstream))
    for s in (conn, up):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    state = {"bytes": 0, "last": 0.0}

    def s2c(n):
        state["bytes"] += n
        state["last"] = time.time()

    back = threading.Thread(target=pump, args=(up, conn, s2c), daemon=True)
    back.start()
    pump(conn, up, lambda n: None)
    closed = time.time()
    back.join(5)
    with LOCK, open(args.log, "a") as f:
        f.write("conn %d s2c_bytes=%d last_s2c=%.3f client_closed=%.3f\n"
                % (number, state["bytes"], state["last"], closed))
    for s in (conn, up):
        s.close()


def main():
    ap = argparse.ArgumentParser(description="loopback TCP relay timing the server's last byte")
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.replace(args.port_file + ".tmp", args.port_file)
    number = 0
    while True:
        conn, _ = srv.accept()
        number += 1
        threading.Thread(target=serve, args=(conn, number, args), daemon=True).start()


if __name__ == "__main__":
    main()
