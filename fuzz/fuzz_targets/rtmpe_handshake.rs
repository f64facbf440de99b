//! Arbitrary peer bytes through both sides of the RTMPE handshake in `rtmp_core::handshake`.
//!
//! Input: a mode byte, then bytes that become S0+S1+S2 for an encrypted client and C0+C1+C2 for
//! a server (zero-padded when short). Mode bits: 0-1 the client's type (default RTMPE, forced 6,
//! 8 or 9); 2 re-sign S1/C1 with the right key so that the DH and signature paths are reached
//! (3 picks the placement scheme); 4-5 the server's forced answer (none, 6, 8, 9); 6 also runs
//! an honest client/server pair seeded from the input. Checks: no panic; an accepted encrypted
//! peer yields RC4 keys; the honest pair agrees (mirrored keys, C2/S2 verify).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtmp_core::handshake::{
    digest_offset, hmac_sha256, Client, ClientOptions, RtmpeType, Server, ServerOptions,
    DIGEST_LEN, SIG_SIZE,
};

const PLAYER: &[u8] = b"Genuine Adobe Flash Player 001";
const SERVER: &[u8] = b"Genuine Adobe Flash Media Server 001";

fn words(seed: u32) -> impl FnMut() -> u32 {
    let mut s = seed;
    move || {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
        s
    }
}

fn block(bytes: &[u8]) -> Box<[u8; SIG_SIZE]> {
    let mut b = Box::new([0u8; SIG_SIZE]);
    let n = bytes.len().min(SIG_SIZE);
    b[..n].copy_from_slice(&bytes[..n]);
    b
}

/// Puts a valid digest (keyed with `key`) at `scheme`'s place in `b`.
fn sign(b: &mut [u8; SIG_SIZE], scheme: u8, key: &[u8]) {
    let off = digest_offset(b, scheme);
    let d = hmac_sha256(key, &[&b[..off], &b[off + DIGEST_LEN..]]);
    b[off..off + DIGEST_LEN].copy_from_slice(&d);
}

fn rtmpe_type(bits: u8) -> Option<RtmpeType> {
    match bits & 3 {
        1 => Some(RtmpeType::Type6),
        2 => Some(RtmpeType::Type8),
        3 => Some(RtmpeType::Type9),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let seed = rest.iter().take(4).fold(0u32, |a, &b| a << 8 | u32::from(b));
    let copts = ClientOptions {
        digest: true,
        encrypt: true,
        force_type: rtmpe_type(mode),
    };
    let sopts = ServerOptions {
        force_type: rtmpe_type(mode >> 4),
    };
    let first = rest.first().copied().unwrap_or(0);
    let mid = rest.get(1..).unwrap_or(&[]);
    let mut m1 = block(mid);
    let m2 = block(mid.get(SIG_SIZE..).unwrap_or(&[]));
    let scheme = (mode >> 3) & 1;

    // The client against arbitrary server bytes.
    let mut client = Client::with_options(copts, 1, words(seed));
    if mode & 4 != 0 {
        sign(&mut m1, scheme, SERVER);
    }
    if let Ok(reply) = client.on_s0s1(first, &m1, None, words(seed ^ 1)) {
        assert_eq!(reply.keys.is_some(), client.uses_digest());
        let _ = client.on_s2(&m2);
    }

    // The server against arbitrary client bytes.
    let mut m1 = block(mid);
    if mode & 4 != 0 {
        sign(&mut m1, scheme, PLAYER);
    }
    if let Ok((server, reply)) = Server::on_c0c1_with(first, &m1, 2, sopts, words(seed ^ 2)) {
        assert_eq!(reply.encrypted, reply.keys.is_some());
        assert_eq!(reply.encrypted, first != 3);
        if let (true, Some(t)) = (reply.encrypted, sopts.force_type) {
            assert_eq!(reply.s0, t.byte());
        }
        let _ = server.on_c2(&m2);
    }

    // An honest pair seeded from the input.
    if mode & 64 != 0 {
        let mut client = Client::with_options(copts, 3, words(seed ^ 3));
        let (server, sreply) =
            Server::on_c0c1_with(client.c0(), client.c1(), 4, sopts, words(seed ^ 4))
                .expect("honest client accepted");
        let creply = client
            .on_s0s1(sreply.s0, &sreply.s1, None, words(seed ^ 5))
            .expect("honest server accepted");
        assert_eq!(client.on_s2(&sreply.s2), Ok(vec![]));
        assert_eq!(server.on_c2(&creply.c2), Ok(vec![]));
        let (ck, sk) = (creply.keys.unwrap(), sreply.keys.unwrap());
        assert_eq!((ck.outbound, ck.inbound), (sk.inbound, sk.outbound));
    }
});
