#!/usr/bin/python3
"""Session fuzzer over sockets: a hostile RTMP server driving real clients on a librtmp.

Each case is a seed. The seed picks the client (Debian's rtmpdump playing, or fuzz_publish
publishing with RTMP_Write), and mutations of a recorded real session (nginx-rtmp's answers in
data/play.msgs and data/publish.msgs): at the message level (extreme Set Chunk Size values,
lying message lengths, random chunk stream ids, extended timestamps, deep or huge AMF values,
bad aggregates, unknown or truncated control messages, type 1-3 headers on unused chunk
streams, dropped, duplicated or swapped messages, flipped AMF bytes), at the byte level (flips,
insertions, deletions, truncation, a garbage tail), in the handshake (S0 version, short S1,
garbage S2, no answer), and how the server ends (close, stall while reading, stall without
reading). A loopback server completes the handshake (S2 echoes C1), sends the mutated stream,
reads and discards what the client sends, and ends as planned. One connection per case.

Verdicts per case:
  crash   the client died of a signal, or ASan / valgrind reported an error;
  hang    the client still ran at Link.timeout (2 s) + 10 s and was killed (rtmpdump itself
          tries to resume twice after a timeout, each try bounded by the timeout: up to ~7 s);
  lie     the client reported success (rtmpdump / fuzz_publish exit 0) although the library
          logged an ERROR line that ends a session (FATAL below): a broken session reported as
          complete;
  mute    the client failed (exit != 0) without any ERROR or WARNING line saying why (or
          rtmpdump's own "Download may be incomplete").

usage:
  sessfuzz.py run --lib DIR [--name N] [--first S] [--cases K] [--seeds FILE] [--jobs J]
                  [--valgrind-every M] [--out results.jsonl]
  sessfuzz.py show SEED            the plan of one case (mutations, stream sizes)
  sessfuzz.py one --lib DIR SEED   one case, verbose: the client's full stderr
DIR holds the librtmp.so.1 to test (ours: build/lib; the system one: a directory with a
symlink). Same seeds give the same cases on every library and machine.
"""
import argparse
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rtmpwire  # noqa: E402

LINK_TIMEOUT = 2
MARGIN = 10

# ERROR lines that say the stream was cut or refused in the middle (both libraries' wording):
# after them the library has stopped reading, so what followed is lost. The other ERROR lines
# (an invoke that does not decode, an invalid Set Chunk Size that is ignored, ...) are logged
# and the session goes on.
FATAL = [
    r"failed to read RTMP packet body",
    r"failed to read RTMP packet header(\. type| 2nd byte| 3nd byte)",
    r"failed to read extended timestamp",
    r"without a previous message",
    r"ended in the middle of a message",
    r"the session ended on an error",
    r"Wrong data size",
    r"RTMP_ReadPacket, invalid chunk size",
    r"RTMP_ReadPacket, failed to allocate",
    r"inconsistent packet state",
    r"WriteN, RTMP send error",
    r"RTMP_Write returned",
]
FATAL_RE = re.compile("|".join(FATAL))


def load_fixture(name):
    msgs = rtmpwire.load(os.path.join(HERE, "data", name + ".msgs"))
    # The session as far as its answer to the client's last request: nginx's later messages
    # answered the client's close.
    end = b"NetStream.Play.Stop" if name == "play" else b"NetStream.Publish.Start"
    for i, m in enumerate(msgs):
        if end in m[4]:
            msgs = msgs[:i + 1]
            break
    # onMetaData's duration set to 0: rtmpdump calls a download whose last timestamp is under
    # 99.9% of the duration incomplete (this 1-second clip ends at 97.6%), which would hide the
    # library's verdict in the control case.
    out = []
    for csid, typ, sid, ts, payload in msgs:
        k = payload.find(b"\x00\x08duration\x00")
        if typ == 18 and k >= 0:
            k += 11
            payload = payload[:k] + bytes(8) + payload[k + 8:]
        out.append((csid, typ, sid, ts, payload))
    return out


FIXTURES = {}


def fixture(name):
    if name not in FIXTURES:
        FIXTURES[name] = load_fixture(name)
    return FIXTURES[name]


# ---------------------------------------------------------------------------------------------
# Hostile values

def amf_deep(rng):
    depth = rng.choice([64, 1000, 10000, 100000])
    shape = rng.choice(["object", "strict", "ecma", "mixed"])
    out = bytearray(b"\x02\x00\x08onStatus\x00" + struct.pack(">d", 0) + b"\x05")
    for i in range(depth):
        s = shape if shape != "mixed" else rng.choice(["object", "strict", "ecma"])
        if s == "object":
            out += b"\x03\x00\x01a"
        elif s == "strict":
            out += b"\x0a\x00\x00\x00\x01"
        else:
            out += b"\x08\x00\x00\x00\x01\x00\x01a"
    if rng.random() < 0.5:  # closed properly, or left open
        out += b"\x05" + b"\x00\x00\x09" * depth
    return bytes(out)


def amf_huge(rng):
    head = b"\x02\x00\x08onStatus\x00" + struct.pack(">d", 0) + b"\x05"
    kind = rng.randrange(7)
    if kind == 0:  # long string claiming 4 GiB
        return head + b"\x0c" + struct.pack(">I", rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 0x10000])) + b"abc"
    if kind == 1:  # ECMA array / strict array claiming 4 billion entries
        return head + rng.choice([b"\x08", b"\x0a"]) + b"\xff\xff\xff\xff" + b"\x00\x01a\x00" + b"\x00" * 8
    if kind == 2:  # an object with 100,000 properties
        n = rng.choice([1000, 100000])
        return head + b"\x03" + b"".join(b"\x00\x02k%c\x01\x01" % (i & 0x7F) for i in range(n)) + b"\x00\x00\x09"
    if kind == 3:  # string length past the end
        return head + b"\x02\xff\xff" + b"x" * rng.randrange(64)
    if kind == 4:  # AMF3 switch with garbage
        return head + b"\x11" + rng.randbytes(rng.randrange(1, 64))
    if kind == 5:  # every marker value
        return head + bytes([rng.randrange(256) for _ in range(rng.randrange(1, 200))])
    return head + b"\x03" + b"\x00\x04code\x02\x00\x1bNetStream.Play.StreamNotFound" + b"\x00\x05level\x02\x00\x05error"


def aggregate(rng):
    tags = bytearray()
    for _ in range(rng.randrange(1, 6)):
        body = rng.randbytes(rng.randrange(0, 40))
        size = len(body)
        lie = rng.randrange(5)
        if lie == 0:
            size = rng.choice([0xFFFFFF, len(body) + 1000, 0])
        tags += bytes([rng.choice([8, 9, 18, rng.randrange(256)])]) + size.to_bytes(3, "big")
        tags += rng.randrange(1 << 24).to_bytes(3, "big") + bytes([rng.randrange(256)]) + b"\x00\x00\x00"
        tags += body
        back = len(body) + 11 if lie != 1 else rng.randrange(1 << 32)
        tags += back.to_bytes(4, "big")
    if rng.random() < 0.3:
        tags = tags[:rng.randrange(len(tags) + 1)]
    return bytes(tags)


CHUNK_SIZES = [0, 1, 2, 127, 129, 0x7FFF, 65536, 0xFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


def control(rng):
    kind = rng.randrange(7)
    if kind == 0:  # Abort for a random chunk stream
        return (2, 2, 0, 0, rng.randrange(1 << 32).to_bytes(4, "big"))
    if kind == 1:  # Acknowledgement
        return (2, 3, 0, 0, rng.randrange(1 << 32).to_bytes(4, "big"))
    if kind == 2:  # a user control event, any type, any data length
        return (2, 4, 0, 0, rng.randrange(32).to_bytes(2, "big") + rng.randbytes(rng.choice([0, 1, 4, 8, 20])))
    if kind == 3:  # Window Acknowledgement Size
        return (2, 5, 0, 0, rng.choice([0, 1, 2, 0xFFFFFFFF]).to_bytes(4, "big"))
    if kind == 4:  # Set Peer Bandwidth
        return (2, 6, 0, 0, rng.choice([0, 1, 0xFFFFFFFF]).to_bytes(4, "big") + bytes([rng.randrange(4)]))
    if kind == 5:  # a control message too short for its type
        return (2, rng.randrange(1, 7), 0, 0, rng.randbytes(rng.randrange(4)))
    return (rng.randrange(2, 65600), rng.choice([0, 7, 10, 11, 12, 13, 14, 16, 19, 21, 23, 0xFF]),
            rng.randrange(3), 0, rng.randbytes(rng.randrange(100)))


MESSAGE_MUTATIONS = ["chunk_size", "huge_len", "csid", "ext_ts", "deep_amf", "huge_amf", "aggregate",
                     "drop", "dup", "swap", "amf_flip", "control", "raw_header", "media_size"]
BYTE_MUTATIONS = ["flip", "insert", "delete", "truncate", "garbage_tail"]
HANDSHAKE_MUTATIONS = ["hs_version", "hs_short", "hs_s2_garbage", "hs_close", "hs_no_s2", "hs_then_close"]


def plan(seed):
    """The case of SEED: client, handshake mutation, message list (with per-message options),
    byte mutations and end; everything drawn from random.Random(seed)."""
    rng = random.Random(seed)
    client = "publish" if rng.random() < 0.25 else "play"
    msgs = [[m, {}] for m in fixture(client)]
    muts = []
    hs = None
    if seed == 0 or seed == 1:  # the control cases: the recorded session unchanged
        client = "play" if seed == 0 else "publish"
        msgs = [[m, {}] for m in fixture(client)]
        return {"seed": seed, "client": client, "hs": None, "msgs": msgs, "bytes": [], "end": "close", "muts": []}
    if rng.random() < 0.06:
        hs = rng.choice(HANDSHAKE_MUTATIONS)
        muts.append(hs)
    else:
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            m = rng.choice(MESSAGE_MUTATIONS + BYTE_MUTATIONS)
            muts.append(m)
    byte_ops = []
    for m in muts:
        i = rng.randrange(len(msgs))
        if msgs[i][0][0] == "raw":  # an inserted raw header: mutate the message after it
            i = min(i + 1, len(msgs) - 1) if msgs[min(i + 1, len(msgs) - 1)][0][0] != "raw" else 0
        if m == "chunk_size":
            msgs.insert(i, [(2, 1, 0, 0, rng.choice(CHUNK_SIZES).to_bytes(4, "big")), {}])
        elif m == "huge_len":
            (cs, t, sid, ts, p), o = msgs[i]
            o["declared_len"] = rng.choice([0xFFFFFF, len(p) + 1, len(p) + 5000, 0, max(0, len(p) - 1)])
            o["force_fmt"] = 0
        elif m == "csid":
            (cs, t, sid, ts, p), o = msgs[i]
            msgs[i][0] = (rng.choice([2, 63, 64, 319, 320, 65599, rng.randrange(2, 65600)]), t, sid, ts, p)
        elif m == "ext_ts":
            (cs, t, sid, ts, p), o = msgs[i]
            msgs[i][0] = (cs, t, sid, rng.choice([0xFFFFFF, 0x1000000, 0xFFFFFFFF, rng.randrange(1 << 32)]), p)
        elif m == "deep_amf":
            msgs.insert(i, [(rng.choice([3, 5]), rng.choice([18, 20]), rng.choice([0, 1]), 0, amf_deep(rng)), {}])
        elif m == "huge_amf":
            msgs.insert(i, [(rng.choice([3, 5]), rng.choice([18, 20]), rng.choice([0, 1]), 0, amf_huge(rng)), {}])
        elif m == "aggregate":
            msgs.insert(i, [(6, 22, 1, rng.randrange(1000), aggregate(rng)), {}])
        elif m == "drop" and len(msgs) > 1:
            del msgs[i]
        elif m == "dup":
            msgs.insert(i, [msgs[i][0], dict(msgs[i][1])])
        elif m == "swap" and i + 1 < len(msgs):
            msgs[i], msgs[i + 1] = msgs[i + 1], msgs[i]
        elif m == "amf_flip":
            amf = [k for k, (mm, _) in enumerate(msgs) if mm[1] in (18, 20)]
            if amf:
                k = rng.choice(amf)
                cs, t, sid, ts, p = msgs[k][0]
                p = bytearray(p)
                for _ in range(rng.randrange(1, 4)):
                    if p:
                        p[rng.randrange(len(p))] = rng.randrange(256)
                msgs[k][0] = (cs, t, sid, ts, bytes(p))
        elif m == "control":
            msgs.insert(i, [control(rng), {}])
        elif m == "raw_header":
            # a type 1, 2 or 3 header on a chunk stream no message has used, with some bytes
            csid = rng.choice([9, 40, 63, 64, 300, 65599])
            fmt = rng.choice([1, 2, 3])
            raw = rtmpwire.basic_header(fmt, csid) + rng.randbytes((7, 3, 0)[fmt - 1] + rng.randrange(16))
            msgs.insert(i, [("raw", raw), {}])
        elif m == "media_size":
            msgs.insert(i, [(rng.choice([6, 7]), rng.choice([8, 9]), 1, rng.randrange(2000),
                             rng.randbytes(rng.choice([0, 1, 2, 5, 6, 11]))), {}])
        elif m in BYTE_MUTATIONS:
            byte_ops.append((m, rng.random(), rng.randrange(1 << 30), rng.randrange(1, 9)))
    end = rng.choices(["close", "stall", "stall_noread"], weights=[70, 20, 10])[0]
    return {"seed": seed, "client": client, "hs": hs, "msgs": msgs, "bytes": byte_ops, "end": end, "muts": muts}


def stream_bytes(p):
    """The bytes the server sends after the handshake."""
    ch = rtmpwire.Chunker(128)
    out = bytearray()
    for m, o in p["msgs"]:
        if m[0] == "raw":
            out += m[1]
        else:
            out += ch.message(*m, declared_len=o.get("declared_len"), force_fmt=o.get("force_fmt"))
    rng = random.Random(p["seed"] * 7919 + 1)
    for op, where, _, count in p["bytes"]:
        pos = int(where * len(out))
        if op == "flip":
            for _ in range(count):
                if out:
                    out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        elif op == "insert":
            out[pos:pos] = rng.randbytes(rng.randrange(1, 65))
        elif op == "delete":
            del out[pos:pos + rng.randrange(1, 257)]
        elif op == "truncate":
            del out[pos:]
        elif op == "garbage_tail":
            out += rng.randbytes(rng.randrange(1, 4097))
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# The server

def recv_exact(conn, n):
    buf = bytearray()
    while len(buf) < n:
        d = conn.recv(n - len(buf))
        if not d:
            return None
        buf += d
    return bytes(buf)


def serve(srv, p, deadline):
    """Accepts one connection and plays the case on it; returns when the client is gone or at
    the deadline."""
    srv.settimeout(max(0.1, deadline - time.time()))
    try:
        conn, _ = srv.accept()
    except OSError:
        return
    finally:
        srv.close()
    conn.settimeout(max(0.1, deadline - time.time()))
    rng = random.Random(p["seed"] * 31 + 7)
    stop = threading.Event()

    def drain():
        try:
            while not stop.is_set():
                if not conn.recv(65536):
                    break
        except OSError:
            pass

    try:
        c0c1 = recv_exact(conn, 1537)
        if c0c1 is None:
            return
        hs = p["hs"]
        s1 = struct.pack(">II", 0, 0) + rng.randbytes(1528)
        if hs == "hs_close":
            return
        s0 = bytes([rng.choice([0, 6, 8, 9, 0xFF])]) if hs == "hs_version" else b"\x03"
        if hs == "hs_short":
            conn.sendall(s0 + s1[:rng.randrange(1536)])
            if rng.random() < 0.5:
                return
            time.sleep(max(0, deadline - time.time()))
            return
        s2 = rng.randbytes(1536) if hs == "hs_s2_garbage" else c0c1[1:]
        if hs == "hs_no_s2":
            conn.sendall(s0 + s1)
            drain()
            return
        conn.sendall(s0 + s1 + s2)
        if recv_exact(conn, 1536) is None:
            return
        if hs == "hs_then_close":
            return
        data = stream_bytes(p) if hs is None else stream_bytes({**p, "bytes": []})
        reader = None
        if p["end"] != "stall_noread":
            reader = threading.Thread(target=drain, daemon=True)
            reader.start()
        conn.sendall(data)
        if p["end"] == "close":
            conn.shutdown(socket.SHUT_WR)
        if reader:
            reader.join(max(0.1, deadline - time.time()))
        else:
            time.sleep(max(0, deadline - time.time()))
    except OSError:
        pass
    finally:
        stop.set()
        try:
            conn.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# The clients and the verdict

def client_cmd(p, port, tmp, publisher):
    if p["client"] == "play":
        return ["rtmpdump", "-m", str(LINK_TIMEOUT), "-r", f"rtmp://127.0.0.1:{port}/vod/clip.flv",
                "-o", os.path.join(tmp, f"{p['seed']}.flv")]
    return [publisher, f"rtmp://127.0.0.1:{port}/live/fuzz timeout={LINK_TIMEOUT}",
            os.path.join(HERE, "data", "clip.flv")]


def run_case(seed, libdir, tmp, publisher, valgrind=False, plain_publisher=None):
    p = plan(seed)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    limit = LINK_TIMEOUT + MARGIN
    if valgrind:
        limit *= 6
    deadline = time.time() + limit + 2
    t = threading.Thread(target=serve, args=(srv, p, deadline), daemon=True)
    t.start()
    # (valgrind cannot run an ASan program: the sampled publish cases use the plain build)
    cmd = client_cmd(p, port, tmp, plain_publisher if valgrind and plain_publisher else publisher)
    if valgrind:
        cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=no"] + cmd
    env = dict(os.environ, LD_LIBRARY_PATH=libdir, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0")
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    hang = False
    try:
        _, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        hang = True
        proc.kill()
        _, err = proc.communicate()
    took = time.time() - start
    t.join(5)
    try:
        os.unlink(os.path.join(tmp, f"{seed}.flv"))
    except OSError:
        pass
    err = err.decode("latin-1")
    rc = proc.returncode
    errors = [ln for ln in err.splitlines() if "ERROR:" in ln]
    warned = errors or [ln for ln in err.splitlines() if "WARNING:" in ln or "incomplete" in ln]
    fatal = [ln for ln in errors if FATAL_RE.search(ln)]
    crash = (not hang and rc < 0) or rc == 99 or "AddressSanitizer" in err or "runtime error:" in err \
        or "panicked" in err
    return {
        "seed": seed, "client": p["client"], "muts": p["muts"], "end": p["end"], "rc": rc,
        "time": round(took, 2), "crash": bool(crash), "hang": hang,
        "lie": rc == 0 and bool(fatal) and not hang,
        "mute": rc not in (0, None) and not hang and not crash and not warned,
        "error": (fatal or errors or [""])[0][:200], "valgrind": valgrind,
        "stderr": err,
    }


def summarize(rows, name):
    n = len(rows)
    agg = {k: sum(1 for r in rows if r[k]) for k in ("crash", "hang", "lie", "mute")}
    vg = [r for r in rows if r["valgrind"]]
    vg_err = sum(1 for r in vg if r["rc"] == 99)
    rcs = {}
    for r in rows:
        rcs[r["rc"]] = rcs.get(r["rc"], 0) + 1
    play = sum(1 for r in rows if r["client"] == "play")
    print(f"{name}: {n} cases ({play} play with rtmpdump, {n - play} publish with fuzz_publish); "
          f"crashes {agg['crash']}, hangs {agg['hang']}, valgrind errors {vg_err} in {len(vg)} sampled, "
          f"errors reported as complete {agg['lie']}, failures without an error line {agg['mute']}; "
          f"exit codes {dict(sorted(rcs.items(), key=lambda kv: str(kv[0])))}; longest case "
          f"{max((r['time'] for r in rows if not r['valgrind']), default=0):.1f} s (limit {LINK_TIMEOUT + MARGIN} s)")
    return agg, vg_err


def cmd_run(args):
    seeds = []
    if args.seeds:
        with open(args.seeds) as f:
            seeds += [int(ln.split()[0]) for ln in f if ln.strip() and not ln.startswith("#")]
    seeds += list(range(args.first, args.first + args.cases))
    tmp = args.tmp or os.path.join(os.path.dirname(os.path.abspath(args.out or "x")), "sessfuzz-tmp")
    os.makedirs(tmp, exist_ok=True)
    lib = os.path.abspath(args.lib)
    rows = []
    lock = threading.Lock()
    out = open(args.out, "w") if args.out else None

    def one(seed):
        vg = args.valgrind_every and seed % args.valgrind_every == 0
        r = run_case(seed, lib, tmp, args.publisher, valgrind=bool(vg), plain_publisher=args.plain_publisher)
        if not (r["crash"] or r["hang"] or r["lie"] or r["mute"]):
            r["stderr"] = ""
        with lock:
            rows.append(r)
            if out:
                out.write(json.dumps(r) + "\n")
                out.flush()
            if r["crash"] or r["hang"] or (args.strict and (r["lie"] or r["mute"])):
                print(f"  seed {seed}: {'crash ' if r['crash'] else ''}{'hang ' if r['hang'] else ''}"
                      f"{'lie ' if r['lie'] else ''}{'mute ' if r['mute'] else ''}rc={r['rc']} {r['client']} "
                      f"{r['muts']} {r['end']} {r['error']}", flush=True)
        return r

    with ThreadPoolExecutor(args.jobs) as ex:
        list(ex.map(one, seeds))
    agg, vg_err = summarize(rows, args.name)
    bad = agg["crash"] + agg["hang"] + vg_err + (agg["lie"] + agg["mute"] if args.strict else 0)
    return 1 if bad else 0


def cmd_show(args):
    p = plan(args.seed)
    data = stream_bytes(p)
    print(json.dumps({"seed": p["seed"], "client": p["client"], "hs": p["hs"], "muts": p["muts"],
                      "bytes": p["bytes"], "end": p["end"], "messages": len(p["msgs"]),
                      "stream_bytes": len(data)}))


def cmd_one(args):
    r = run_case(args.seed, os.path.abspath(args.lib), args.tmp or "/tmp", args.publisher)
    err = r.pop("stderr")
    print(json.dumps(r))
    sys.stdout.write(err)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--lib", required=True)
    r.add_argument("--name", default="library")
    r.add_argument("--first", type=int, default=0)
    r.add_argument("--cases", type=int, default=0)
    r.add_argument("--seeds")
    r.add_argument("--jobs", type=int, default=8)
    r.add_argument("--valgrind-every", type=int, default=0)
    r.add_argument("--out")
    r.add_argument("--tmp")
    r.add_argument("--strict", action="store_true", help="lies and mute failures fail the run too")
    r.add_argument("--publisher", required=True, help="fuzz_publish (built with ASan)")
    r.add_argument("--plain-publisher", help="fuzz_publish without ASan, for the valgrind sample")
    s = sub.add_parser("show")
    s.add_argument("seed", type=int)
    o = sub.add_parser("one")
    o.add_argument("--lib", required=True)
    o.add_argument("--publisher", required=True)
    o.add_argument("--tmp")
    o.add_argument("seed", type=int)
    args = ap.parse_args()
    return {"run": cmd_run, "show": cmd_show, "one": cmd_one}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
