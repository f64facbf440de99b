#!/usr/bin/env python3
"""RTMPE (encrypted RTMP) server-side peer for the integration tests: a good server handshake
(types 6, 8, 9) and a set of hostile servers, written from the protocol description in
shared/reference/behavior.md sections 4.3 and 4.5 (no librtmp code).

Importable API (stdlib + python3-cryptography; nothing happens at import time):

    server_handshake(read_exact, write, answer_type=None, mode="good", log=None)
            -> (decrypt, encrypt)
        read_exact(n) -> bytes   returns exactly n bytes (raises on EOF)
        write(data)              sends all of data
        answer_type              None: answer as the reference server does (C0 6 with C1[4] == 0x80
                                 -> 8, else C0's type); 6, 8 or 9 forces the S0 sent
        mode                     "good" or one of BAD_MODES (the hostile variants; those that end
                                 the session raise PeerClosed / never return)
        log                      callable(str) for progress lines, or None
        Returns two callables over bytes: decrypt(data) for what the client sends from now on,
        encrypt(data) for what we send. Both RC4 streams are already advanced by 1536 bytes.
        A plain client (C0 == 3) gets the simple handshake and identity callables.
        Raises HandshakeError when the client's C1 or C2 digest does not verify.
    HandshakeInfo: server_handshake.last_info holds (c0, s0, scheme) of the last handshake.

    Building blocks, also importable: DH_P, DH_G, FP_KEY, FMS_KEY, digest_offset(b, scheme),
    dh_offset(b, scheme), hmac256(key, msg), xtea_block(block8, keyid), blowfish_block(block8,
    keyid), sig_transform(sig32, keybytes32, type), RC4 (class with .process(bytes)).

Command line (one connection, then exit):

    rtmpe_peer.py PORT [--type 6|8|9] [--mode MODE] [--wait SECONDS]
        listens on 127.0.0.1:PORT, accepts one client, runs the handshake. In mode "good" it then
        decrypts what the client sends until it sees the AMF string "connect" and prints
        "CONNECT app=... tcUrl=..." (exit 0), else exit 1. Hostile modes print what they did and
        exit 0 after the client went away (or after --wait seconds, default 20).
        Prints "LISTENING PORT" once the socket listens.

Hostile modes (BAD_MODES):
    dh0 dh1 dhpm1 dhp   S1 carries the DH public key 0, 1, p-1 or p (valid S1 digest)
    digest1             S1's digest is wrong under both schemes
    digest2             S2's signature is wrong
    s1trunc             S0 + half of S1, then close
    s2trunc             S0 + S1, read C2, half of S2, then close
    s1stall             S0 + half of S1, then nothing (the connection stays open)
"""

import hashlib
import hmac
import os
import socket
import struct
import sys
import time
import warnings

SIG = 1536

# RFC 2409 section 6.2, the second Oakley group (1024-bit MODP), generator 2
DH_P = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)
DH_G = 2

# The well-known handshake keys: an ASCII text followed by 32 fixed bytes
_KEY_TAIL = bytes.fromhex("f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae")
FMS_KEY = b"Genuine Adobe Flash Media Server 001" + _KEY_TAIL      # 68 bytes
FP_KEY = b"Genuine Adobe Flash Player 001" + _KEY_TAIL             # 62 bytes

# Type 8: XTEA keys (16 x 4 words); type 9: Blowfish keys (16 x 24 bytes)
XTEA_KEYS = [
    (0xbff034b2, 0x11d9081f, 0xccdfb795, 0x748de732), (0x086a5eb6, 0x1743090e, 0x6ef05ab8, 0xfe5a39e2),
    (0x7b10956f, 0x76ce0521, 0x2388a73a, 0x440149a1), (0xa943f317, 0xebf11bb2, 0xa691a5ee, 0x17f36339),
    (0x7a30e00a, 0xb529e22c, 0xa087aea5, 0xc0cb79ac), (0xbdce0c23, 0x2febdeff, 0x1cfaae16, 0x1123239d),
    (0x55dd3f7b, 0x77e7e62e, 0x9bb8c499, 0xc9481ee4), (0x407bb6b4, 0x71e89136, 0xa7aebf55, 0xca33b839),
    (0xfcf6bdc3, 0xb63c3697, 0x7ce4f825, 0x04d959b2), (0x28e091fd, 0x41954c4c, 0x7fb7db00, 0xe3a066f8),
    (0x57845b76, 0x4f251b03, 0x46d45bcd, 0xa2c30d29), (0x0acceef8, 0xda55b546, 0x03473452, 0x5863713b),
    (0xb82075dc, 0xa75f1fee, 0xd84268e8, 0xa72a44cc), (0x07cf6e9e, 0xa16d7b25, 0x9fa7ae6c, 0xd92f5629),
    (0xfeb1eae4, 0x8c8c3ce1, 0x4e0064a7, 0x6a387c2a), (0x893a9427, 0xcc3013a2, 0xf106385b, 0xa829f927),
]
BLOWFISH_KEYS = [bytes.fromhex(h) for h in (
    "7934774c67d1383adfb356be8b7bd02438e07358415d6967", "46f6b4cc0193e3a19e7d3c655586fd098ff7b3c46f41ca5c",
    "1ae7e2f3f9147994c0d39743087bb384432f9d843f21019b", "d3e354b0f71df62b5a434d0483643e0d592f61cbb16a590d",
    "c8c1e9b8165699217b5b36b7b59bdf06492c97f59548857e", "ebe5e62ea4bad42cf216e08f6623a94341ce381484950053",
    "66db90f03b4ff56fe49c2089355ed2b2c39e9f7f63b22881", "bb20aced2a046a1994989bc8ffcd93efc60d56a7eb13d930",
    "bcf2438209408a8725436de6bba4b944583f217c99bb3f24", "ec1aaacdcebd5311d2fb83b6c3baab4f6279e865a9922876",
    "c60c300391182d7b79dae1d564779a12c5b1d7914f964ca3", "d77c2abfa6e7857c45adff1294d8dea45c3d79a444025d22",
    "16190d816a4cc7f8b8f94ecd2c9e9084b2082560e11eae18", "e97c58261b519e49826061fca0a01bcdf505d6a66d0788a3",
    "2b97118bd94ed9df20e39c10e6a1352111f9130d0b2465b2", "536a4c54ac8b9bb89729fc602c5b3a8568b5aa6a44cd3fa7",
)]

BAD_MODES = ("dh0", "dh1", "dhpm1", "dhp", "digest1", "digest2", "s1trunc", "s2trunc", "s1stall")


class HandshakeError(Exception):
    pass


class PeerClosed(Exception):
    pass


def hmac256(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def digest_offset(b, scheme):
    if scheme == 0:
        return (b[8] + b[9] + b[10] + b[11]) % 728 + 12
    return (b[772] + b[773] + b[774] + b[775]) % 728 + 776


def dh_offset(b, scheme):
    if scheme == 0:
        return (b[1532] + b[1533] + b[1534] + b[1535]) % 632 + 772
    return (b[768] + b[769] + b[770] + b[771]) % 632 + 8


def _digest_of(block, off, key):
    return hmac256(key, bytes(block[:off]) + bytes(block[off + 32:]))


def put_digest(block, scheme, key):
    """Writes the digest of bytearray block at its scheme's offset; returns the offset."""
    off = digest_offset(block, scheme)
    block[off:off + 32] = _digest_of(block, off, key)
    return off


def check_digest(block, scheme, key):
    off = digest_offset(block, scheme)
    return hmac.compare_digest(bytes(block[off:off + 32]), _digest_of(block, off, key)), off


# --- the type 8 / 9 signature transforms -----------------------------------------------------

def xtea_block(block, keyid):
    """XTEA (32 rounds) encryption of 8 bytes, little-endian words, key XTEA_KEYS[keyid]."""
    k = XTEA_KEYS[keyid]
    v0, v1 = struct.unpack("<II", block)
    s, delta, m = 0, 0x9E3779B9, 0xFFFFFFFF
    for _ in range(32):
        v0 = (v0 + ((((v1 << 4) ^ (v1 >> 5)) + v1) ^ (s + k[s & 3]))) & m
        s = (s + delta) & m
        v1 = (v1 + ((((v0 << 4) ^ (v0 >> 5)) + v0) ^ (s + k[(s >> 11) & 3]))) & m
    return struct.pack("<II", v0, v1)


def _swap_words(b):
    return b[3::-1] + b[7:3:-1]


_bf_cache = {}


def blowfish_block(block, keyid):
    """Blowfish (16 rounds, standard tables) encryption of 8 bytes read as two little-endian
    words, key BLOWFISH_KEYS[keyid] (standard Blowfish reads big-endian words, hence the swap)."""
    enc = _bf_cache.get(keyid)
    if enc is None:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            enc = Cipher(algorithms.Blowfish(BLOWFISH_KEYS[keyid]), modes.ECB())
        _bf_cache[keyid] = enc
    e = enc.encryptor()
    return _swap_words(e.update(_swap_words(bytes(block))) + e.finalize())


def sig_transform(sig, keybytes, typ):
    """The type 8/9 transform of a 32-byte signature: block i (8 bytes) with key
    keybytes[8*i] % 15. Other types: unchanged."""
    if typ not in (8, 9):
        return bytes(sig)
    f = xtea_block if typ == 8 else blowfish_block
    out = b""
    for i in range(0, 32, 8):
        out += f(sig[i:i + 8], keybytes[i] % 15)
    return out


# --- RC4 -----------------------------------------------------------------------------------------

class RC4:
    def __init__(self, key):
        self._c = None
        try:
            from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._c = Cipher(algorithms.ARC4(key), mode=None).encryptor()
        except Exception:  # pure-Python fallback
            s = list(range(256))
            j = 0
            for i in range(256):
                j = (j + s[i] + key[i % len(key)]) & 255
                s[i], s[j] = s[j], s[i]
            self._s, self._i, self._j = s, 0, 0

    def process(self, data):
        if self._c is not None:
            return self._c.update(bytes(data))
        s, i, j = self._s, self._i, self._j
        out = bytearray(len(data))
        for n, b in enumerate(data):
            i = (i + 1) & 255
            j = (j + s[i]) & 255
            s[i], s[j] = s[j], s[i]
            out[n] = b ^ s[(s[i] + s[j]) & 255]
        self._i, self._j = i, j
        return bytes(out)


# --- the server handshake ------------------------------------------------------------------------

def _new_dh():
    while True:
        priv = int.from_bytes(os.urandom(128), "big") >> 1
        pub = pow(DH_G, priv, DH_P)
        if 1 < pub < DH_P - 1:
            return priv, pub


def _identity(data):
    return bytes(data)


def server_handshake(read_exact, write, answer_type=None, mode="good", log=None):
    say = log or (lambda s: None)
    if mode != "good" and mode not in BAD_MODES:
        raise ValueError("unknown mode %r" % mode)
    c0 = read_exact(1)[0]
    c1 = bytearray(read_exact(SIG))
    say("C0 %d C1[4..8) %s" % (c0, c1[4:8].hex()))
    if c0 == 3 and answer_type is None:  # plain: the simple handshake
        s1 = bytearray(os.urandom(SIG))
        s1[0:8] = b"\0" * 8
        write(b"\x03" + bytes(s1) + bytes(c1))
        read_exact(SIG)
        server_handshake.last_info = (c0, 3, None)
        return _identity, _identity
    if answer_type is not None:
        s0 = answer_type
    elif c0 == 6 and c1[4] == 0x80:
        s0 = 8
    else:
        s0 = c0
    # which scheme did the client use? (an encrypting client uses 1)
    scheme = None
    for sc in (1, 0):
        ok, off = check_digest(c1, sc, FP_KEY[:30])
        if ok:
            scheme, cdig_off = sc, off
            break
    if scheme is None:
        raise HandshakeError("client digest does not verify under either scheme")
    client_digest = bytes(c1[cdig_off:cdig_off + 32])
    encrypted = c0 in (6, 8, 9) or s0 in (6, 8, 9)
    say("client scheme %d; answering type %d" % (scheme, s0))

    s1 = bytearray(os.urandom(SIG))
    s1[0:4] = struct.pack(">I", int(time.monotonic() * 1000) & 0xFFFFFFFF)
    s1[4:8] = bytes((3, 5, 1, 1))
    priv = pub = None
    if encrypted:
        priv, pub = _new_dh()
        sent_pub = {"dh0": 0, "dh1": 1, "dhpm1": DH_P - 1, "dhp": DH_P}.get(mode, pub)
        off = dh_offset(s1, scheme)
        s1[off:off + 128] = sent_pub.to_bytes(128, "big")
    sdig_off = put_digest(s1, scheme, FMS_KEY[:36])
    server_digest = bytes(s1[sdig_off:sdig_off + 32])
    if mode == "digest1":
        # a digest that verifies under neither scheme: flip the bytes at both offsets
        for sc in (0, 1):
            o = digest_offset(s1, sc)
            s1[o] ^= 0xFF
        assert not check_digest(s1, 0, FMS_KEY[:36])[0] and not check_digest(s1, 1, FMS_KEY[:36])[0]
    if mode in ("s1trunc", "s1stall"):
        write(bytes([s0]) + bytes(s1[:SIG // 2]))
        say("sent S0 + %d bytes of S1" % (SIG // 2))
        if mode == "s1trunc":
            raise PeerClosed("S1 truncated")
        return None  # the caller stalls
    write(bytes([s0]) + bytes(s1))

    # S2: C1 with its last 32 bytes replaced by the signature for the client's digest
    s2 = bytearray(c1)
    skey = hmac256(FMS_KEY, client_digest)
    sig = hmac256(skey, bytes(s2[:SIG - 32]))
    s2[SIG - 32:] = sig_transform(sig, skey, s0)
    if mode == "digest2":
        s2[SIG - 1] ^= 0x55
    c2 = None
    if mode == "s2trunc":
        c2 = read_exact(SIG)
        write(bytes(s2[:SIG // 2]))
        say("sent %d bytes of S2" % (SIG // 2))
        raise PeerClosed("S2 truncated")
    write(bytes(s2))
    c2 = bytearray(read_exact(SIG))
    ckey = hmac256(FP_KEY, server_digest)
    want = sig_transform(hmac256(ckey, bytes(c2[:SIG - 32])), ckey, s0)
    c2_ok = hmac.compare_digest(want, bytes(c2[SIG - 32:]))
    say("C2 signature %s" % ("verified" if c2_ok else "DOES NOT verify"))
    server_handshake.last_info = (c0, s0, scheme)
    if mode == "good" and not c2_ok:
        raise HandshakeError("client C2 signature does not verify (type %d)" % s0)
    if not encrypted:
        return _identity, _identity
    cpub = int.from_bytes(c1[dh_offset(c1, scheme):dh_offset(c1, scheme) + 128], "big")
    if not 1 < cpub < DH_P - 1:
        raise HandshakeError("client DH public key out of range")
    secret = pow(cpub, priv, DH_P).to_bytes(128, "big")
    key_in = hmac256(secret, pub.to_bytes(128, "big"))[:16]
    key_out = hmac256(secret, cpub.to_bytes(128, "big"))[:16]
    rin, rout = RC4(key_in), RC4(key_out)
    rin.process(bytes(SIG))
    rout.process(bytes(SIG))
    return rin.process, rout.process


server_handshake.last_info = None


# --- command line ----------------------------------------------------------------------------------

def _amf_string_after(data, name):
    """The AMF0 string value that follows the AMF0 property name `name` in data, or None."""
    key = struct.pack(">H", len(name)) + name.encode() + b"\x02"
    i = data.find(key)
    if i < 0 or i + len(key) + 2 > len(data):
        return None
    i += len(key)
    n = struct.unpack(">H", data[i:i + 2])[0]
    return data[i + 2:i + 2 + n].decode("latin-1")


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("port", type=int)
    ap.add_argument("--type", type=int, choices=(6, 8, 9), default=None)
    ap.add_argument("--mode", default="good", choices=("good",) + BAD_MODES)
    ap.add_argument("--wait", type=float, default=20.0)
    a = ap.parse_args(argv)

    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(1)
    print("LISTENING %d" % ls.getsockname()[1], flush=True)
    ls.settimeout(a.wait + 10)
    try:
        conn, _ = ls.accept()
    except socket.timeout:
        print("no client")
        return 1
    ls.close()
    conn.settimeout(a.wait)

    def read_exact(n):
        buf = b""
        while len(buf) < n:
            d = conn.recv(n - len(buf))
            if not d:
                raise PeerClosed("client closed after %d of %d bytes" % (len(buf), n))
            buf += d
        return buf

    def log(s):
        print(s, flush=True)

    try:
        res = server_handshake(read_exact, conn.sendall, a.type, a.mode, log)
    except PeerClosed as e:
        print("closed: %s" % e, flush=True)
        print("after the handshake: 0 bytes from the client", flush=True)
        conn.close()
        return 0
    except (HandshakeError, socket.timeout, OSError) as e:
        print("handshake failed: %s" % e, flush=True)
        conn.close()
        return 1
    c0, s0, scheme = server_handshake.last_info or (None, None, None)
    if a.mode != "good":
        # hostile: keep the connection until the client goes away (or --wait), then close
        print("%s: waiting for the client to give up" % a.mode, flush=True)
        t0 = time.monotonic()
        got = 0
        try:
            while True:
                d = conn.recv(4096)
                if not d:
                    break
                got += len(d)
            print("client closed after %.1fs" % (time.monotonic() - t0), flush=True)
        except (socket.timeout, OSError):
            print("client still connected after %.1fs" % (time.monotonic() - t0), flush=True)
        print("after the handshake: %d bytes from the client" % got, flush=True)
        conn.close()
        return 0
    decrypt, _encrypt = res
    print("HANDSHAKE OK C0=%d S0=%d scheme=%d" % (c0, s0, scheme), flush=True)
    data = b""
    try:
        while b"\x02\x00\x07connect" not in data or _amf_string_after(data, "tcUrl") is None:
            d = conn.recv(4096)
            if not d:
                break
            data += decrypt(d)
    except (socket.timeout, OSError):
        pass
    conn.close()
    if b"\x02\x00\x07connect" in data:
        print("CONNECT app=%s tcUrl=%s" % (_amf_string_after(data, "app"), _amf_string_after(data, "tcUrl")),
              flush=True)
        return 0
    print("no connect command seen (%d bytes decrypted: %s)" % (len(data), data[:32].hex()), flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
