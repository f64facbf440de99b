#!/usr/bin/python3
"""Scripted RTMP server on loopback for ertmp.sh (Python 3 standard library only).

  ertmp_peer.py capture --port-file F --out DIR --count N
      Accepts N connections one after the other; from each, after the handshake, takes the
      connect command and writes its body to DIR/connect.K (K = 1..N), then closes.
  ertmp_peer.py play --port-file F --sent FILE
      Accepts one player: answers connect (with E-RTMP capabilities in the _result),
      createStream and play, then sends the hand-made messages of SCRIPT unchanged (enhanced
      audio/video shapes, legacy ones, @setDataFrame metadata), a
      NetConnection.Connect.ReconnectRequest in the middle, and NetStream.Play.Complete.
      Writes one line per media/data message sent to FILE: "name type timestamp hexbody".
  ertmp_peer.py compare --sent FILE --flv FILE
      Prints, per sent message, whether the FLV holds it byte for byte (in order); the exit
      code is 0 when the comparison could be made.
  ertmp_peer.py sametags A.flv B.flv
      Prints "identical (N)" when both files hold the same audio/video tags (type and body, in
      order), else how many of B's first tags equal A's.
  ertmp_peer.py sameplayed A.flv B.flv
      Like sametags, for what a player wrote with RTMP_Read: A's legacy tags that librtmp's
      RTMP_Read drops by its size rule (audio of 1 byte or less, video of 5 bytes or less, not
      E-RTMP) are taken out of A first and counted: "identical (N, K legacy dropped)".
  ertmp_peer.py sametracks A.flv B.flv
      Like sameplayed, but compares the audio tags and the video tags each on their own (a relay
      may interleave them differently): "identical (N audio, M video)" or what differs.
  ertmp_peer.py multitrack FILE.flv
      Prints "V A": how many E-RTMP Multitrack video and audio tags (PacketType 6 / 5) the file
      holds.
  ertmp_peer.py props FILE...
      Prints each connect command object's properties: "name hex-of-the-encoded-property".

The port is written to the port file once the server listens.
"""
import os
import socket
import struct
import sys


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        d = sock.recv(n - len(buf))
        if not d:
            raise EOFError("peer closed")
        buf += d
    return buf


def handshake(sock):
    c0c1 = read_exact(sock, 1537)
    s1 = struct.pack(">II", 0, 0) + os.urandom(1528)
    sock.sendall(b"\x03" + s1 + c0c1[1:])
    read_exact(sock, 1536)


class Reader:
    """Reassembles the client's messages from its chunks."""

    def __init__(self, sock):
        self.sock = sock
        self.chunk = 128
        self.st = {}

    def message(self):
        while True:
            b0 = read_exact(self.sock, 1)[0]
            fmt, csid = b0 >> 6, b0 & 0x3F
            if csid == 0:
                csid = 64 + read_exact(self.sock, 1)[0]
            elif csid == 1:
                x = read_exact(self.sock, 2)
                csid = 64 + x[0] + 256 * x[1]
            s = self.st.setdefault(csid, {"ts": 0, "len": 0, "type": 0, "sid": 0, "buf": b""})
            if fmt <= 2:
                h = read_exact(self.sock, [11, 7, 3][fmt])
                ts = int.from_bytes(h[0:3], "big")
                if fmt <= 1:
                    s["len"] = int.from_bytes(h[3:6], "big")
                    s["type"] = h[6]
                if fmt == 0:
                    s["sid"] = int.from_bytes(h[7:11], "little")
                if ts == 0xFFFFFF:
                    ts = int.from_bytes(read_exact(self.sock, 4), "big")
                s["ts"] = ts if fmt == 0 else s["ts"] + ts
            n = min(self.chunk, s["len"] - len(s["buf"]))
            s["buf"] += read_exact(self.sock, n)
            if len(s["buf"]) >= s["len"]:
                body, s["buf"] = s["buf"], b""
                if s["type"] == 1:
                    self.chunk = int.from_bytes(body[:4], "big") & 0x7FFFFFFF
                    continue
                return s["type"], s["sid"], s["ts"], body


OUT_CHUNK = 4096


def send(sock, csid, mtype, sid, ts, body):
    out = bytes([csid]) + ts.to_bytes(3, "big") + len(body).to_bytes(3, "big")
    out += bytes([mtype]) + sid.to_bytes(4, "little")
    for i in range(0, max(len(body), 1), OUT_CHUNK):
        if i:
            out += bytes([0xC0 | csid])
        out += body[i:i + OUT_CHUNK]
    sock.sendall(out)


# AMF0 ----------------------------------------------------------------------------------------

def a_str(s):
    b = s.encode() if isinstance(s, str) else s
    return b"\x02" + len(b).to_bytes(2, "big") + b


def a_num(x):
    return b"\x00" + struct.pack(">d", x)


def a_obj(pairs, marker=b"\x03"):
    out = marker
    for k, v in pairs:
        kb = k.encode()
        out += len(kb).to_bytes(2, "big") + kb + v
    return out + b"\x00\x00\x09"


def a_strict(items):
    return b"\x0a" + len(items).to_bytes(4, "big") + b"".join(items)


def skip_value(b, i):
    """Index just past the AMF0 value at b[i]."""
    t = b[i]
    if t == 0:
        return i + 9
    if t == 1:
        return i + 2
    if t == 2:
        return i + 3 + int.from_bytes(b[i + 1:i + 3], "big")
    if t in (5, 6):
        return i + 1
    if t in (3, 8):
        i += 1 if t == 3 else 5
        while b[i:i + 3] != b"\x00\x00\x09":
            i += 2 + int.from_bytes(b[i:i + 2], "big")
            i = skip_value(b, i)
        return i + 3
    if t == 10:
        n = int.from_bytes(b[i + 1:i + 5], "big")
        i += 5
        for _ in range(n):
            i = skip_value(b, i)
        return i
    if t == 12:
        return i + 5 + int.from_bytes(b[i + 1:i + 5], "big")
    raise ValueError("AMF0 type %d" % t)


def object_props(body):
    """The connect body's command object: [(name, encoded property bytes)]."""
    i = skip_value(body, 0)  # "connect"
    i = skip_value(body, i)  # transaction id
    assert body[i] == 3, "no command object"
    i += 1
    props = []
    while body[i:i + 3] != b"\x00\x00\x09":
        start = i
        n = int.from_bytes(body[i:i + 2], "big")
        name = body[i + 2:i + 2 + n].decode("latin-1")
        i = skip_value(body, i + 2 + n)
        props.append((name, body[start:i]))
    return props


def command_name(body):
    n = int.from_bytes(body[1:3], "big")
    return body[3:3 + n].decode("latin-1"), struct.unpack(">d", body[4 + n:12 + n])[0]


# The scripted stream ---------------------------------------------------------------------------

def ui24(n):
    return n.to_bytes(3, "big")


def fill(n, seed):
    return bytes((seed * 37 + i * 11) & 0xFF for i in range(n))


META = a_str("@setDataFrame") + a_str("onMetaData") + a_obj([
    ("duration", a_num(0.4)),
    ("videocodecid", a_str("hvc1")),
    ("audiocodecid", a_str("Opus")),
    ("width", a_num(320.0)),
])

# (name, message type, timestamp, body). Video first byte: IsExHeader 0x80 | FrameType << 4 |
# PacketType; audio: SoundFormat 9 << 4 | AudioPacketType.
V, A, D = 9, 8, 18
SCRIPT = [
    ("meta @setDataFrame onMetaData", D, 0, META),
    ("video SequenceStart hvc1", V, 0, b"\x90hvc1" + fill(23, 1)),
    ("audio SequenceStart Opus", A, 0, b"\x90Opus" + b"OpusHead\x01\x02\x38\x01\x80\xbb\0\0\0\0\0"),
    ("audio MultichannelConfig", A, 0, b"\x94Opus\x02\x03\x00\x01\x02"),
    ("video CodedFrames key", V, 40, b"\x91hvc1\x00\x00\x28" + fill(300, 2)),
    ("audio CodedFrames", A, 40, b"\x91Opus" + fill(40, 3)),
    ("video CodedFramesX inter", V, 80, b"\xa3hvc1" + fill(120, 4)),
    ("video Metadata colorInfo", V, 80, b"\x94hvc1" + a_str("colorInfo")
     + a_obj([("colorConfig", a_obj([("bitDepth", a_num(10.0))]))])),
    ("video legacy AVC 5 bytes", V, 100, b"\x17\x02\x00\x00\x00"),
    ("audio legacy 1 byte", A, 100, b"\xaf"),
    ("video SequenceEnd 5 bytes", V, 120, b"\x92hvc1"),
    ("RECONNECT", 0, 0, b""),
    ("video ModEx nano offset", V, 160, b"\x97\x02\x00\x01\xf4\x03av01" + fill(64, 5)),
    ("video MPEG2TSSequenceStart", V, 160, b"\x95av01" + fill(16, 6)),
    ("video Multitrack OneTrack", V, 200, b"\x96\x01hvc1\x00\x00\x00\x00" + fill(50, 7)),
    ("video Multitrack ManyTracks", V, 200, b"\x96\x13av01"
     + b"".join(bytes([t]) + ui24(30 + t) + fill(30 + t, 8 + t) for t in range(6))),
    ("video Multitrack ManyCodecs", V, 240, b"\x96\x23"
     + b"hvc1\x00" + ui24(24) + fill(24, 20) + b"av01\x01" + ui24(18) + fill(18, 21)),
    ("video Multitrack SequenceEnd", V, 240, b"\x96\x02hvc1\x00"),
    ("audio Multitrack OneTrack", A, 280, b"\x95\x01mp4a\x01" + fill(20, 22)),
    ("audio Multitrack ManyTracks", A, 280, b"\x95\x11Opus"
     + b"".join(bytes([t]) + ui24(12) + fill(12, 23 + t) for t in range(4))),
    ("audio Multitrack ManyCodecs", A, 320, b"\x95\x21" + b"Opus\x00" + ui24(10) + fill(10, 30)
     + b"ac-3\x01" + ui24(14) + fill(14, 31)),
    ("audio ModEx nano offset", A, 320, b"\x97\x02\x00\x00\x7d\x01fLaC" + fill(33, 32)),
    ("audio SequenceEnd 5 bytes", A, 360, b"\x92Opus"),
    ("video CodedFramesX last", V, 400, b"\xa3hvc1" + fill(90, 33)),
]


def serve_play(sock, sent_path):
    handshake(sock)
    rd = Reader(sock)
    global OUT_CHUNK
    send(sock, 2, 1, 0, 0, OUT_CHUNK.to_bytes(4, "big"))
    sid = 1
    log = []
    while True:
        mtype, _msid, _ts, body = rd.message()
        if mtype != 20:
            continue
        name, txn = command_name(body)
        if name == "connect":
            send(sock, 2, 5, 0, 0, (2500000).to_bytes(4, "big"))
            send(sock, 2, 6, 0, 0, (2500000).to_bytes(4, "big") + b"\x02")
            props = a_obj([("fmsVer", a_str("FMS/3,5,7,7009")), ("capabilities", a_num(31.0)),
                           ("capsEx", a_num(3.0)),
                           ("fourCcList", a_strict([a_str("hvc1"), a_str("av01"), a_str("Opus")]))])
            info = a_obj([("level", a_str("status")), ("code", a_str("NetConnection.Connect.Success")),
                          ("description", a_str("Connection succeeded.")),
                          ("objectEncoding", a_num(0.0)),
                          ("videoFourCcInfoMap", a_obj([("hvc1", a_num(4.0)), ("*", a_num(4.0))]))])
            send(sock, 3, 20, 0, 0, a_str("_result") + a_num(txn) + props + info)
        elif name == "createStream":
            send(sock, 3, 20, 0, 0, a_str("_result") + a_num(txn) + b"\x05" + a_num(float(sid)))
        elif name == "play":
            break
    status = lambda code: a_str("onStatus") + a_num(0.0) + b"\x05" + a_obj(
        [("level", a_str("status")), ("code", a_str(code)), ("description", a_str(code))])
    send(sock, 2, 4, 0, 0, b"\x00\x00" + sid.to_bytes(4, "big"))
    send(sock, 5, 20, sid, 0, status("NetStream.Play.Start"))
    for name, mtype, ts, body in SCRIPT:
        if name == "RECONNECT":
            body = a_str("onStatus") + a_num(0.0) + b"\x05" + a_obj([
                ("level", a_str("status")),
                ("code", a_str("NetConnection.Connect.ReconnectRequest")),
                ("description", a_str("The streaming server is undergoing updates.")),
                ("tcUrl", a_str("rtmp://127.0.0.1:1/other"))])
            send(sock, 3, 20, 0, 0, body)
            continue
        send(sock, 6 if mtype != 8 else 4, mtype, sid, ts, body)
        log.append("%s|%d|%d|%s" % (name, mtype, ts, body.hex()))
    send(sock, 5, 20, sid, 400, status("NetStream.Play.Complete"))
    with open(sent_path, "w") as f:
        f.write("\n".join(log) + "\n")
    # Wait for the player to go away (it closes once it has the Play.Complete).
    sock.settimeout(10)
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def flv_tags(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:3] != b"FLV":
        return []
    i = int.from_bytes(data[5:9], "big") + 4
    tags = []
    while i + 11 <= len(data):
        t = data[i]
        n = int.from_bytes(data[i + 1:i + 4], "big")
        tags.append((t, data[i + 11:i + 11 + n]))
        i += 11 + n + 4
    return tags


def legacy_dropped(tag):
    """librtmp's RTMP_Read size rule, which applies to legacy tags only."""
    t, body = tag
    if t == 8:
        return len(body) <= 1 and not (body and body[0] >> 4 == 9)
    return len(body) <= 5 and not (body and body[0] & 0x80)


def compare(sent_path, flv_path):
    sent = []
    with open(sent_path) as f:
        for line in f:
            name, t, _ts, hx = line.rstrip("\n").split("|")
            sent.append((name, int(t), bytes.fromhex(hx)))
    tags = flv_tags(flv_path)
    pos = 0
    for name, t, body in sent:
        want = body
        if t == 18 and body.startswith(a_str("@setDataFrame")):
            want = body[len(a_str("@setDataFrame")):]  # an FLV carries plain onMetaData
        found = None
        for k in range(pos, len(tags)):
            if tags[k] == (t, want):
                found = k
                break
        if found is None:
            print("%s|%d|missing" % (name, len(body)))
        else:
            print("%s|%d|identical" % (name, len(body)))
            pos = found + 1
    return 0


def listen(port_file):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(tmp, port_file)
    srv.settimeout(60)
    return srv


def main(argv):
    mode = argv[1]
    args = dict(zip(argv[2::2], argv[3::2]))
    if mode == "compare":
        return compare(args["--sent"], args["--flv"])
    if mode == "sametags":
        a = [t for t in flv_tags(argv[2]) if t[0] in (8, 9)]
        b = [t for t in flv_tags(argv[3]) if t[0] in (8, 9)]
        same = sum(1 for x, y in zip(a, b) if x == y)
        print("identical (%d)" % len(a) if a and a == b else "%d/%d equal" % (same, len(a)))
        return 0
    if mode == "sameplayed":
        a = [t for t in flv_tags(argv[2]) if t[0] in (8, 9)]
        b = [t for t in flv_tags(argv[3]) if t[0] in (8, 9)]
        keep = [t for t in a if not legacy_dropped(t)]
        same = sum(1 for x, y in zip(keep, b) if x == y)
        print("identical (%d, %d legacy dropped)" % (len(keep), len(a) - len(keep))
              if keep and keep == b else "%d/%d equal" % (same, len(keep)))
        return 0
    if mode == "sametracks":
        a = flv_tags(argv[2])
        b = flv_tags(argv[3])
        dropped = sum(1 for t in a if t[0] in (8, 9) and legacy_dropped(t))
        a = [t for t in a if not legacy_dropped(t)]
        out = []
        for t, name in ((8, "audio"), (9, "video")):
            x = [y for y in a if y[0] == t]
            z = [y for y in b if y[0] == t]
            same = sum(1 for p, q in zip(x, z) if p == q)
            out.append((x == z and len(x) > 0, "%d %s" % (len(x), name) if x == z else
                        "%s %d/%d equal, %d received" % (name, same, len(x), len(z))))
        if dropped:
            out.append((True, "%d legacy dropped" % dropped))
        if all(ok for ok, _ in out):
            print("identical (%s)" % ", ".join(t for _, t in out))
        else:
            print(", ".join(t for _, t in out))
        return 0
    if mode == "multitrack":
        tags = flv_tags(argv[2])
        v = sum(1 for t, b in tags if t == 9 and b and b[0] & 0x80 and b[0] & 0x0F == 6)
        a = sum(1 for t, b in tags if t == 8 and b and b[0] >> 4 == 9 and b[0] & 0x0F == 5)
        print(v, a)
        return 0
    if mode == "props":
        for path in argv[2:]:
            with open(path, "rb") as f:
                body = f.read()
            for name, raw in object_props(body):
                print(path, name, raw.hex())
        return 0
    srv = listen(args["--port-file"])
    if mode == "capture":
        for k in range(1, int(args["--count"]) + 1):
            conn, _ = srv.accept()
            try:
                handshake(conn)
                rd = Reader(conn)
                while True:
                    mtype, _sid, _ts, body = rd.message()
                    if mtype == 20:
                        break
                with open(os.path.join(args["--out"], "connect.%d" % k), "wb") as f:
                    f.write(body)
            except (EOFError, OSError) as e:
                print("connection %d: %s" % (k, e), file=sys.stderr)
            conn.close()
        return 0
    if mode == "play":
        conn, _ = srv.accept()
        serve_play(conn, args["--sent"])
        conn.close()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
