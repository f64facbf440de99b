#!/usr/bin/python3
"""RTMPT gateway for the integration scenarios (Python 3 standard library only).

An RTMPT (RTMP tunnelled in HTTP/1.1 POSTs) server that follows the protocol as Flash-era servers
implement it, relaying to a plain RTMP upstream (nginx-rtmp):

  POST /open/1              -> 200, body = a new client id + "\\n"; the upstream TCP connection opens
  POST /send/<id>/<seq>     -> the body (RTMP bytes from the client) goes upstream unchanged; 200 whose
                               body is one interval byte + whatever downstream bytes are pending
  POST /idle/<id>/<seq>     -> the same without upstream bytes
  POST /close/<id>/<seq>    -> the upstream connection is closed; 200 with an interval byte
  /fcs/ident2, anything else, an unknown or finished session -> 404

Every answer: HTTP/1.1, Content-Type: application/x-fcs, Content-Length, Connection: Keep-Alive,
Cache-Control: no-cache. Interval byte: 0x01 when data goes down, growing by one per consecutive
empty answer up to 0x21. With nothing pending an answer waits up to --wait seconds for upstream data.
A session whose upstream has closed answers its remaining downstream bytes, then 404.

--rtmpe: the tunnel carries RTMPE; the gateway does the RTMPE server handshake itself (rtmpe_peer.py,
next to this file), a plain RTMP client handshake with the upstream, then relays decrypted client
bytes upstream and encrypts downstream bytes.

--stats FILE: JSON rewritten after every POST: POSTs by command, bytes, and the client->server RTMP
chunk stream parsed after the handshake (fmt 0-3, 1/2/3-byte chunk stream ids, extended timestamps,
the client's Set Chunk Size): for published media messages (types 8, 9, 18) a histogram of the number
of POSTs each was carried in, and the largest number of media messages one POST carried; totals and
per session (a session is named by the stream it publishes or plays).

usage: rtmpt_gateway.py --upstream 127.0.0.1:1935 [--port N | --port-file F] [--rtmpe] [--stats F]
                        [--wait 0.03] [-v]
Prints "listening 127.0.0.1:PORT" on stdout once it accepts connections. Logs to stderr with -v only.
"""
import argparse
import collections
import itertools
import json
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time

VERBOSE = False


def log(*a):
    if VERBOSE:
        print("gateway:", *a, file=sys.stderr, flush=True)


HANDSHAKE = 1 + 1536 + 1536  # C0 C1 C2 of a plain client
MEDIA = (8, 9, 18)


# ------------------------------------------------------------------------------------------------
# client -> server chunk stream parser (statistics only; never alters the relayed bytes)

def amf0_values(b, limit=6):
    """The leading AMF0 strings / numbers / nulls / booleans of an invoke body (stops at others)."""
    out, i = [], 0
    while i < len(b) and len(out) < limit:
        t = b[i]
        if t == 0x02 and i + 3 <= len(b):
            n = struct.unpack(">H", b[i + 1:i + 3])[0]
            out.append(b[i + 3:i + 3 + n].decode("utf-8", "replace"))
            i += 3 + n
        elif t == 0x00 and i + 9 <= len(b):
            out.append(struct.unpack(">d", b[i + 1:i + 9])[0])
            i += 9
        elif t == 0x05:
            out.append(None)
            i += 1
        elif t == 0x01 and i + 2 <= len(b):
            out.append(bool(b[i + 1]))
            i += 2
        else:
            break
    return out


class ChunkStats:
    """Parses the client's chunk stream incrementally; records, for every message, the POSTs that
    carried any of its bytes (headers included)."""

    def __init__(self, skip):
        self.skip = skip              # handshake bytes still to pass over
        self.buf = bytearray()
        self.posts = []               # [(end offset in buf, post number)]
        self.chunk_size = 128
        self.cs = {}                  # csid -> state
        self.hist = collections.Counter()     # POSTs per media message
        self.types = collections.Counter()    # complete messages by type
        self.media_per_post = collections.Counter()
        self.commands = []
        self.names = []
        self.error = None

    def feed(self, data, post):
        if self.error:
            return
        if self.skip:
            k = min(self.skip, len(data))
            self.skip -= k
            data = data[k:]
        if not data:
            return
        self.buf += data
        self.posts.append((len(self.buf), post))
        try:
            while self._chunk():
                pass
        except Exception as e:  # a parse error stops the statistics, never the relay
            self.error = "chunk parser: %r" % (e,)

    def _posts_of(self, n):
        """POST numbers of buf[0:n]; drops those bytes."""
        got, start = set(), 0
        for end, p in self.posts:
            if start < n and end > start:
                got.add(p)
            start = end
            if start >= n:
                break
        del self.buf[:n]
        self.posts = [(e - n, p) for e, p in self.posts if e - n > 0]
        return got

    def _chunk(self):
        b = self.buf
        if len(b) < 1:
            return False
        fmt, csid, i = b[0] >> 6, b[0] & 0x3F, 1
        if csid == 0:
            if len(b) < 2:
                return False
            csid, i = 64 + b[1], 2
        elif csid == 1:
            if len(b) < 3:
                return False
            csid, i = 64 + b[1] + 256 * b[2], 3
        st = self.cs.setdefault(csid, {"ts": 0, "len": 0, "type": 0, "sid": 0, "delta": 0,
                                       "ext": False, "left": 0, "posts": set(), "body": bytearray()})
        hl = (11, 7, 3, 0)[fmt]
        if len(b) < i + hl:
            return False
        h = b[i:i + hl]
        i += hl
        if fmt <= 2:
            ts = int.from_bytes(h[0:3], "big")
            ext = ts == 0xFFFFFF
        else:
            ext = st["ext"]
        if ext:
            if len(b) < i + 4:
                return False
            ets = int.from_bytes(b[i:i + 4], "big")
            i += 4
            if fmt <= 2:
                ts = ets
        new = st["left"] == 0
        if fmt <= 1:
            st["len"] = int.from_bytes(h[3:6], "big")
            st["type"] = h[6]
        if fmt == 0:
            st["sid"] = int.from_bytes(h[7:11], "little")
        if fmt <= 2:
            st["ext"] = ext
        if new:
            st["left"] = st["len"]
            st["posts"] = set()
            st["body"] = bytearray()
        n = min(self.chunk_size, st["left"])
        if len(b) < i + n:
            return False
        payload = bytes(b[i:i + n])
        st["posts"] |= self._posts_of(i + n)
        st["left"] -= n
        if st["type"] in (1, 20, 17, 18):
            st["body"] += payload
        if st["left"] == 0:
            self._message(st)
        return True

    def _message(self, st):
        t = st["type"]
        self.types[t] += 1
        if t == 1 and len(st["body"]) >= 4:
            self.chunk_size = max(1, int.from_bytes(st["body"][:4], "big") & 0x7FFFFFFF)
        if t in (20, 17):
            body = bytes(st["body"][1:] if t == 17 else st["body"])
            v = amf0_values(body)
            if v and isinstance(v[0], str):
                self.commands.append(v[0])
                if v[0] in ("publish", "play") and len(v) >= 4 and isinstance(v[3], str):
                    self.names.append(v[3])
        if t in MEDIA:
            self.hist[len(st["posts"])] += 1
            for p in st["posts"]:
                self.media_per_post[p] += 1

    def summary(self):
        return {
            "chunk_size": self.chunk_size,
            "messages_by_type": {str(k): v for k, v in sorted(self.types.items())},
            "media_messages": sum(self.hist.values()),
            "posts_per_media_message": {str(k): v for k, v in sorted(self.hist.items())},
            "max_media_messages_per_post": max(self.media_per_post.values(), default=0),
            "post_carried_multiple_media_messages": any(v > 1 for v in self.media_per_post.values()),
            "commands": self.commands[:40],
            "streams": self.names,
            "parse_error": self.error,
        }


# ------------------------------------------------------------------------------------------------
# sessions

class Inbound:
    """Client bytes (with the POST that carried them) waiting for the pump thread."""

    def __init__(self):
        self.items = collections.deque()
        self.cv = threading.Condition()
        self.eof = False

    def put(self, data, post):
        with self.cv:
            self.items.append([bytes(data), post])
            self.cv.notify_all()

    def close(self):
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    def take(self, n=None):
        with self.cv:
            while not self.items and not self.eof:
                self.cv.wait()
            if not self.items:
                return b"", None
            item = self.items[0]
            if n is None or n >= len(item[0]):
                self.items.popleft()
                return item[0], item[1]
            out, item[0] = item[0][:n], item[0][n:]
            return out, item[1]

    def read_exact(self, n):
        got = bytearray()
        while len(got) < n:
            d, _ = self.take(n - len(got))
            if not d:
                raise EOFError("client went away during the handshake")
            got += d
        return bytes(got)


class Session:
    def __init__(self, gw, sid):
        self.gw, self.sid = gw, sid
        self.cv = threading.Condition()
        self.down = bytearray()
        self.up = None
        self.up_closed = False      # the upstream side is finished (no more downstream bytes)
        self.closed = False         # the client closed the session
        self.empty = 0
        self.last = time.monotonic()
        self.inbound = Inbound()
        self.send_lock = threading.Lock()
        self.stats = ChunkStats(0 if gw.rtmpe else HANDSHAKE)
        self.cmds = collections.Counter()
        self.bytes_in = self.bytes_out = 0
        self.trace = []             # the first requests: "cmd seq len -> answer len"
        self.t0 = time.monotonic()
        self.error = None
        threading.Thread(target=self._run, daemon=True).start()

    # upstream side ------------------------------------------------------------------------------
    def _connect(self):
        s = socket.create_connection(self.gw.upstream, timeout=10)
        s.settimeout(None)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def _run(self):
        try:
            if self.gw.rtmpe:
                self._run_rtmpe()
            else:
                self.up = self._connect()
                threading.Thread(target=self._reader, args=(None,), daemon=True).start()
                self._pump(None)
        except Exception as e:
            self.error = repr(e)
            log(self.sid, "session error:", repr(e))
        finally:
            self._shut_up()

    def _run_rtmpe(self):
        import importlib
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        peer = importlib.import_module("rtmpe_peer")

        def write(data):
            with self.cv:
                self.down += data
                self.cv.notify_all()
        decrypt, encrypt = peer.server_handshake(self.inbound.read_exact, write)
        log(self.sid, "RTMPE handshake done")
        up = self._connect()
        c1 = struct.pack(">II", int(time.time()) & 0xFFFFFFFF, 0) + os.urandom(1528)
        up.sendall(b"\x03" + c1)
        s = bytearray()
        while len(s) < 1 + 1536 + 1536:
            d = up.recv(65536)
            if not d:
                raise EOFError("upstream closed during the handshake")
            s += d
        up.sendall(bytes(s[1:1537]))          # C2 = S1
        self.up = up
        extra = bytes(s[3073:])               # nothing is expected before the client speaks
        if extra:
            write(encrypt(extra))
        threading.Thread(target=self._reader, args=(encrypt,), daemon=True).start()
        self._pump(decrypt)

    def _pump(self, decrypt):
        while True:
            data, post = self.inbound.take()
            if not data:
                return
            if decrypt:
                data = decrypt(data)
            self.stats.feed(data, post)
            self.up.sendall(data)

    def _reader(self, encrypt):
        try:
            while True:
                d = self.up.recv(65536)
                if not d:
                    break
                if encrypt:
                    d = encrypt(d)
                with self.cv:
                    self.down += d
                    self.cv.notify_all()
        except OSError:
            pass
        with self.cv:
            self.up_closed = True
            self.cv.notify_all()
        log(self.sid, "upstream closed")

    def _shut_up(self):
        if self.up is not None:
            try:
                self.up.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.cv:
            if self.up is None:
                self.up_closed = True
            self.cv.notify_all()

    def close(self):
        self.closed = True
        self.inbound.close()        # the pump forwards what is queued, then shuts the upstream

    # HTTP side ----------------------------------------------------------------------------------
    def answer(self, wait):
        """(status, body) for a send/idle POST."""
        with self.cv:
            if not self.down and not self.up_closed and wait > 0:
                self.cv.wait_for(lambda: self.down or self.up_closed, timeout=wait)
            if self.down:
                data = bytes(self.down)
                del self.down[:]
                self.empty = 0
                return 200, b"\x01" + data
            if self.up_closed:
                return 404, b""
            self.empty += 1
            return 200, bytes([min(0x21, 1 + self.empty)])


class Gateway:
    def __init__(self, args):
        h, p = args.upstream.rsplit(":", 1)
        self.upstream = (h, int(p))
        self.rtmpe = args.rtmpe
        self.wait = args.wait
        self.stats_file = args.stats
        self.sessions = {}
        self.done = []              # finished sessions, kept for the statistics
        self.lock = threading.Lock()
        self.posts = collections.Counter()
        self.bytes_in = self.bytes_out = 0
        self.ids = itertools.count(random.randrange(10**9, 2 * 10**9))
        self.connections = 0

    def intake(self, method, path, body):
        """Takes one request as soon as it has arrived (a send's bytes go upstream at once, so a
        client that closes its socket with answers unread loses as little as possible); returns
        the function that makes its answer, (status, body), called in request order."""
        parts = path.split("?", 1)[0].strip("/").split("/")
        cmd = parts[0] if method == "POST" and parts[0] in ("open", "send", "idle", "close") else "other"
        with self.lock:
            self.posts[cmd] += 1
            self.bytes_in += len(body)
        if cmd == "open":
            if len(parts) != 2:
                return lambda wait: (404, b"")
            sid = str(next(self.ids))
            s = Session(self, sid)
            with self.lock:
                self.sessions[sid] = s
            s.cmds["open"] += 1
            s.trace.append("open/%s %d -> id %s" % (parts[1], len(body), sid))
            log("open ->", sid)
            return lambda wait: (200, sid.encode() + b"\n")
        if cmd == "other" or len(parts) != 3:
            log("404 for", method, path)
            return lambda wait: (404, b"")
        with self.lock:
            s = self.sessions.get(parts[1])
        if s is None:
            log("404 for", method, path, "(no such session)")
            return lambda wait: (404, b"")
        s.last = time.monotonic()
        s.cmds[cmd] += 1
        s.bytes_in += len(body)
        if cmd == "close":
            s.close()
            with self.lock:
                self.sessions.pop(s.sid, None)
                self.done.append(s)
            self._trace(s, cmd, parts[2], len(body), 200, 1)
            return lambda wait: (200, b"\x00")
        if cmd == "send" and body:
            s.inbound.put(body, sum(s.cmds.values()))
        return lambda wait: self._answer(s, cmd, parts[2], len(body), wait)

    def _answer(self, s, cmd, seq, n, wait):
        status, out = s.answer(self.wait if wait else 0)
        s.bytes_out += max(0, len(out) - 1)
        with self.lock:
            self.bytes_out += max(0, len(out) - 1)
        if status == 404:
            with self.lock:
                if self.sessions.pop(s.sid, None) is not None:
                    self.done.append(s)
            s.close()
        self._trace(s, cmd, seq, n, status, len(out))
        return status, out

    @staticmethod
    def _trace(s, cmd, seq, n, status, m):
        if len(s.trace) < 40:
            s.trace.append("%.3f %s/%s %d -> %d %d" % (time.monotonic() - s.t0, cmd, seq, n, status, m))
        log(s.sid, cmd, seq, n, "->", status, m)

    def reap(self, idle):
        while True:
            time.sleep(1)
            now = time.monotonic()
            with self.lock:
                old = [s for s in self.sessions.values() if now - s.last > idle]
                for s in old:
                    self.sessions.pop(s.sid, None)
                    self.done.append(s)
            for s in old:
                log(s.sid, "idle for %ds: closed" % idle)
                s.close()

    def write_stats(self):
        if not self.stats_file:
            return
        with self.lock:
            allss = self.done + list(self.sessions.values())
            hist, types = collections.Counter(), collections.Counter()
            per = {}
            maxpp, multi = 0, False
            for s in allss:
                sm = s.stats.summary()
                hist.update({int(k): v for k, v in sm["posts_per_media_message"].items()})
                types.update({int(k): v for k, v in sm["messages_by_type"].items()})
                maxpp = max(maxpp, sm["max_media_messages_per_post"])
                multi = multi or sm["post_carried_multiple_media_messages"]
                sm.update({"id": s.sid, "posts": dict(s.cmds), "bytes_in": s.bytes_in,
                           "bytes_out": s.bytes_out, "seconds": round(time.monotonic() - s.t0, 3),
                           "idle_per_second": round(s.cmds["idle"] / max(0.001, time.monotonic() - s.t0), 1),
                           "requests": s.trace, "error": s.error})
                per[s.sid] = sm
            doc = {
                "rtmpe": self.rtmpe,
                "connections": self.connections,
                "posts": dict(self.posts),
                "bytes": {"client_to_server": self.bytes_in, "server_to_client": self.bytes_out},
                "media_messages": sum(hist.values()),
                "posts_per_media_message": {str(k): v for k, v in sorted(hist.items())},
                "max_media_messages_per_post": maxpp,
                "post_carried_multiple_media_messages": multi,
                "messages_by_type": {str(k): v for k, v in sorted(types.items())},
                "sessions": per,
            }
            tmp = self.stats_file + ".tmp"
            with open(tmp, "w") as f:
                json.dump(doc, f, indent=1, sort_keys=True)
            os.replace(tmp, self.stats_file)


# ------------------------------------------------------------------------------------------------
# HTTP/1.1 keep-alive front end

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found"}


class Handler(socketserver.BaseRequestHandler):
    """Reads requests as fast as they come (intake) while a second thread answers them in order."""

    def handle(self):
        gw = self.server.gw
        with gw.lock:
            gw.connections += 1
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        q = collections.deque()
        cv = threading.Condition()
        state = {"end": False}
        w = threading.Thread(target=self._writer, args=(q, cv, state), daemon=True)
        w.start()

        def push(item):
            with cv:
                q.append(item)
                cv.notify_all()
        buf = bytearray()
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = sock.recv(262144)
                    if not d:
                        return
                    buf += d
                    if len(buf) > 65536 and b"\r\n\r\n" not in buf:
                        return
                head, _, rest = bytes(buf).partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                req = lines[0].split()
                hdrs = {}
                for ln in lines[1:]:
                    k, _, v = ln.partition(":")
                    hdrs[k.strip().lower()] = v.strip()
                try:
                    n = int(hdrs.get("content-length", "0"))
                    if n < 0 or n > 1 << 26:
                        raise ValueError
                except ValueError:
                    push((lambda wait: (400, b""), True))
                    return
                buf = bytearray(rest)
                while len(buf) < n:
                    d = sock.recv(262144)
                    if not d:
                        return
                    buf += d
                body = bytes(buf[:n])
                del buf[:n]
                if len(req) < 2:
                    push((lambda wait: (400, b""), True))
                    return
                conn = hdrs.get("connection", "").lower()
                close = conn == "close" or (len(req) > 2 and req[2] == "HTTP/1.0" and conn != "keep-alive")
                push((gw.intake(req[0], req[1], body), close))
                if close:
                    return
        except OSError:
            return
        finally:
            with cv:
                state["end"] = True
                cv.notify_all()
            w.join()

    def _writer(self, q, cv, state):
        gw = self.server.gw
        while True:
            with cv:
                while not q and not state["end"]:
                    cv.wait()
                if not q:
                    return
                answer, close = q.popleft()
                more = bool(q)
            status, body = answer(not more)   # no waiting while more requests are queued
            try:
                self._send(status, body, close)
            except OSError:
                pass
            try:
                gw.write_stats()
            except OSError as e:
                log("stats:", e)

    def _send(self, status, body, close=False):
        head = ("HTTP/1.1 %d %s\r\nContent-Type: application/x-fcs\r\nContent-Length: %d\r\n"
                "Connection: %s\r\nCache-Control: no-cache\r\n\r\n"
                % (status, REASONS.get(status, "Error"), len(body), "close" if close else "Keep-Alive"))
        self.request.sendall(head.encode() + body)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description="RTMPT gateway to a plain RTMP server")
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the RTMP server")
    ap.add_argument("--port", type=int, default=0, help="loopback port to listen on (0: any)")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--rtmpe", action="store_true", help="terminate RTMPE inside the tunnel")
    ap.add_argument("--stats", help="JSON statistics file, rewritten after every POST")
    ap.add_argument("--wait", type=float, default=0.03,
                    help="seconds an answer waits for upstream data when none is pending")
    ap.add_argument("--idle-timeout", type=float, default=60, help="drop sessions without POSTs")
    ap.add_argument("-v", action="store_true", help="log to stderr")
    a = ap.parse_args()
    VERBOSE = a.v
    gw = Gateway(a)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.gw = gw
    port = srv.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.replace(a.port_file + ".tmp", a.port_file)
    threading.Thread(target=gw.reap, args=(a.idle_timeout,), daemon=True).start()
    gw.write_stats()
    print("listening 127.0.0.1:%d" % port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
