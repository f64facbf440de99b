"""RTMP chunk stream reading and writing for the session fuzzer (Python 3 standard library).

A message is a tuple (csid, type, stream_id, timestamp, payload). The fixtures keep a recorded
server's messages in a flat file: per message a 17-byte header (csid u32, type u8, stream id
u32, timestamp u32, length u32, all big-endian) and the payload.
"""
import struct

HANDSHAKE_LEN = 1 + 1536 + 1536  # S0 + S1 + S2


def parse_chunks(data, chunk_size=128):
    """Reassembles the messages of a well-formed chunk stream (as a real server sends it).
    Applies Set Chunk Size. Stops at the first incomplete chunk; returns the messages."""
    msgs = []
    prev = {}  # csid -> [type, stream_id, timestamp, length, delta]
    partial = {}  # csid -> bytearray
    pos = 0
    n = len(data)
    while pos < n:
        start = pos
        b0 = data[pos]
        pos += 1
        fmt = b0 >> 6
        csid = b0 & 0x3F
        if csid == 0:
            if pos + 1 > n:
                break
            csid = 64 + data[pos]
            pos += 1
        elif csid == 1:
            if pos + 2 > n:
                break
            csid = 64 + data[pos] + 256 * data[pos + 1]
            pos += 2
        hlen = (11, 7, 3, 0)[fmt]
        if pos + hlen > n:
            pos = start
            break
        st = prev.get(csid, [0, 0, 0, 0, 0, False])
        if fmt <= 2:
            ts = int.from_bytes(data[pos:pos + 3], "big")
        if fmt <= 1:
            st[3] = int.from_bytes(data[pos + 3:pos + 6], "big")
            st[0] = data[pos + 6]
        if fmt == 0:
            st[1] = int.from_bytes(data[pos + 7:pos + 11], "little")
        pos += hlen
        ext = (ts == 0xFFFFFF) if fmt <= 2 else st[5]
        if ext:
            if pos + 4 > n:
                pos = start
                break
            field = int.from_bytes(data[pos:pos + 4], "big")
            pos += 4
            if fmt <= 2:
                ts = field
        if fmt <= 2:
            st[4] = ts
            st[5] = ext
            if csid not in partial:
                st[2] = ts if fmt == 0 else st[2] + ts
        elif csid not in partial:
            st[2] += st[4]
        buf = partial.setdefault(csid, bytearray())
        take = min(chunk_size, st[3] - len(buf))
        if pos + take > n:
            pos = start
            del partial[csid]
            break
        buf += data[pos:pos + take]
        pos += take
        prev[csid] = st
        if len(buf) == st[3]:
            del partial[csid]
            payload = bytes(buf)
            msgs.append((csid, st[0], st[1], st[2] & 0xFFFFFFFF, payload))
            if st[0] == 1 and len(payload) >= 4:
                chunk_size = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
    return msgs


def save(path, msgs):
    with open(path, "wb") as f:
        for csid, typ, sid, ts, payload in msgs:
            f.write(struct.pack(">IBIII", csid, typ, sid, ts, len(payload)))
            f.write(payload)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    msgs, pos = [], 0
    while pos < len(data):
        csid, typ, sid, ts, length = struct.unpack_from(">IBIII", data, pos)
        pos += 17
        msgs.append((csid, typ, sid, ts, data[pos:pos + length]))
        pos += length
    return msgs


def basic_header(fmt, csid):
    if csid < 64:
        return bytes([(fmt << 6) | csid])
    if csid < 320:
        return bytes([fmt << 6, csid - 64])
    csid -= 64
    return bytes([(fmt << 6) | 1, csid & 0xFF, (csid >> 8) & 0xFF])


class Chunker:
    """Writes messages as chunks the way a server does: type 0 for a chunk stream's first
    message or a new stream id, type 1/2 when only the length/type or the timestamp delta
    changes, type 3 for continuations; extended timestamps from 0xFFFFFF on. `declared_len`
    lets a mutation announce a length other than the payload's (the stream then desynchronises
    as it would from a lying server)."""

    def __init__(self, chunk_size=128):
        self.chunk_size = chunk_size
        self.prev = {}

    def message(self, csid, typ, sid, ts, payload, declared_len=None, force_fmt=None):
        length = len(payload) if declared_len is None else declared_len
        p = self.prev.get(csid)
        if force_fmt is not None:
            fmt = force_fmt
        elif p is None or p[2] != sid or ts < p[3]:
            fmt = 0
        elif p[0] != length or p[1] != typ:
            fmt = 1
        elif ts - p[3] != p[4]:
            fmt = 2
        else:
            fmt = 3 if p[4] == ts - p[3] and p[5] else 2
        delta = ts if fmt == 0 else ts - (p[3] if p else 0)
        delta &= 0xFFFFFFFF
        field = ts if fmt == 0 else delta
        out = bytearray(basic_header(fmt, csid))
        ext = field >= 0xFFFFFF
        if fmt <= 2:
            out += (0xFFFFFF if ext else field).to_bytes(3, "big")
        if fmt <= 1:
            out += (length & 0xFFFFFF).to_bytes(3, "big") + bytes([typ & 0xFF])
        if fmt == 0:
            out += (sid & 0xFFFFFFFF).to_bytes(4, "little")
        if ext and fmt <= 2:
            out += field.to_bytes(4, "big")
        step = max(1, min(self.chunk_size, 1 << 20))
        first = True
        for off in range(0, max(len(payload), 1), step):
            if not first:
                out += basic_header(3, csid)
                if ext:
                    out += field.to_bytes(4, "big")
            out += payload[off:off + step]
            first = False
        self.prev[csid] = (length, typ, sid, ts, delta, True)
        if typ == 1 and len(payload) >= 4:
            size = int.from_bytes(payload[:4], "big")
            if 1 <= size <= 0x7FFFFFFF:
                self.chunk_size = size
        return bytes(out)
