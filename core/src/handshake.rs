//! The RTMP handshake (C0/C1/C2, S0/S1/S2), sans-IO.
//!
//! Two flavours, chosen by the caller exactly when librtmp chooses them:
//! - plain (version 3, C1 = uptime, zeros, random; C2 echoes S1);
//! - the Flash Player 9 "digest" handshake (still version 3), used by librtmp when SWF
//!   verification is on: C1 carries an HMAC-SHA256 digest at a position derived from its own
//!   bytes, the server's S1 digest is verified, and C2/S2 carry digests keyed by the other
//!   side's digest.
//!
//! Randomness comes from the caller (`next_word`) so that the I/O layer can use the same
//! generator as librtmp (libc `rand()`) and tests can be deterministic.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::bytes;

/// Size of C1/C2/S1/S2.
pub const SIG_SIZE: usize = 1536;
/// Size of the digests embedded in C1/S1 and at the end of C2/S2.
pub const DIGEST_LEN: usize = 32;

/// The 32 bytes both published keys end with.
const KEY_TAIL: [u8; 32] = [
    0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57,
    0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
];
const PLAYER_TEXT: &[u8; 30] = b"Genuine Adobe Flash Player 001";
const SERVER_TEXT: &[u8; 36] = b"Genuine Adobe Flash Media Server 001";

fn player_key() -> [u8; 62] {
    concat_key(PLAYER_TEXT)
}

fn server_key() -> [u8; 68] {
    concat_key(SERVER_TEXT)
}

fn concat_key<const T: usize, const N: usize>(text: &[u8; T]) -> [u8; N] {
    let mut k = [0u8; N];
    k[..T].copy_from_slice(text);
    k[T..].copy_from_slice(&KEY_TAIL);
    k
}

/// HMAC-SHA256 of the concatenation of `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Where the digest sits in a C1/S1 block, by placement scheme (0 or 1).
pub fn digest_offset(block: &[u8; SIG_SIZE], scheme: u8) -> usize {
    let (base, modulo, add) = if scheme == 0 {
        (8, 728, 12)
    } else {
        (772, 728, 776)
    };
    let sum: usize = block[base..base + 4].iter().map(|&b| b as usize).sum();
    sum % modulo + add
}

/// The digest of a block: HMAC over everything but the 32 digest bytes themselves.
fn block_digest(block: &[u8; SIG_SIZE], offset: usize, key: &[u8]) -> [u8; 32] {
    hmac_sha256(key, &[&block[..offset], &block[offset + DIGEST_LEN..]])
}

/// Finds which scheme's digest verifies with `key`, trying `first` then the other one.
fn verify_block(block: &[u8; SIG_SIZE], key: &[u8], first: u8) -> Option<usize> {
    [first, 1 - first].into_iter().find_map(|scheme| {
        let off = digest_offset(block, scheme);
        (block_digest(block, off, key)[..] == block[off..off + DIGEST_LEN]).then_some(off)
    })
}

/// The last 32 bytes of C2/S2: HMAC(key = HMAC(long key, peer digest), first 1504 bytes).
fn response_digest(long_key: &[u8], peer_digest: &[u8], block: &[u8]) -> [u8; 32] {
    let key = hmac_sha256(long_key, &[peer_digest]);
    hmac_sha256(&key, &[&block[..SIG_SIZE - DIGEST_LEN]])
}

fn fill_random(out: &mut [u8], next_word: &mut impl FnMut() -> u32) {
    for chunk in out.chunks_mut(4) {
        let w = next_word().to_ne_bytes();
        chunk.copy_from_slice(&w[..chunk.len()]);
    }
}

/// What went wrong, in librtmp's words where it has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeError {
    /// No placement scheme verifies the server's S1 digest.
    ServerDigest,
    /// S2 does not carry the expected digest.
    ServerNotGenuine,
    /// No placement scheme verifies the client's C1 digest.
    ClientDigest,
    /// C2 does not carry the expected digest.
    ClientNotGenuine,
    /// The client asked for a version this side does not speak.
    UnknownVersion(u8),
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandshakeError::ServerDigest => f.write_str("Couldn't verify the server digest"),
            HandshakeError::ServerNotGenuine => f.write_str("Server not genuine Adobe!"),
            HandshakeError::ClientDigest => f.write_str("Couldn't verify the client digest"),
            HandshakeError::ClientNotGenuine => f.write_str("Client not genuine Adobe!"),
            HandshakeError::UnknownVersion(v) => write!(f, "Unknown version {v:02x}"),
        }
    }
}

/// Non-fatal findings that librtmp reports as warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// S0 is not the version we sent.
    VersionMismatch { sent: u8, got: u8 },
    /// The S1 digest only verified with the other placement scheme.
    SchemeSwitched,
    /// Plain handshake: S2 is not an echo of C1.
    SignatureMismatch,
}

/// The client side.
pub struct Client {
    c1: Box<[u8; SIG_SIZE]>,
    /// Offset of our digest in C1 (digest handshake only).
    digest_at: Option<usize>,
    /// Set once S1 arrived: the server's digest, when the digest handshake is in use.
    server_digest: Option<[u8; DIGEST_LEN]>,
}

/// What the client sends after S0+S1.
pub struct ClientReply {
    pub c2: Box<[u8; SIG_SIZE]>,
    pub warnings: Vec<Warning>,
    /// `Link.SWFVerificationResponse` (42 bytes) when a SWF hash was given.
    pub swf_response: Option<[u8; 42]>,
    /// Server uptime and version fields of S1, for the log.
    pub server_uptime: u32,
    pub server_version: [u8; 4],
}

impl Client {
    /// Builds C1. `digest` selects the FP9 digest handshake.
    pub fn new(digest: bool, uptime: u32, mut next_word: impl FnMut() -> u32) -> Client {
        let mut c1 = Box::new([0u8; SIG_SIZE]);
        bytes::put_be32(&mut c1[..], uptime);
        fill_random(&mut c1[8..], &mut next_word);
        let digest_at = digest.then(|| {
            c1[4..8].copy_from_slice(&[0x0a, 0x00, 0x2d, 0x02]);
            let off = digest_offset(&c1, 0);
            let d = block_digest(&c1, off, &player_key()[..30]);
            c1[off..off + DIGEST_LEN].copy_from_slice(&d);
            off
        });
        Client {
            c1,
            digest_at,
            server_digest: None,
        }
    }

    /// C0: the version byte.
    pub fn c0(&self) -> u8 {
        3
    }

    pub fn c1(&self) -> &[u8; SIG_SIZE] {
        &self.c1
    }

    /// Whether the digest handshake is (still) in use.
    pub fn uses_digest(&self) -> bool {
        self.digest_at.is_some()
    }

    /// Handles S0+S1 and produces C2. `swf` is (SWF hash, SWF size) for SWF verification.
    pub fn on_s0s1(
        &mut self,
        s0: u8,
        s1: &[u8; SIG_SIZE],
        swf: Option<(&[u8; 32], u32)>,
        mut next_word: impl FnMut() -> u32,
    ) -> Result<ClientReply, HandshakeError> {
        let mut warnings = Vec::new();
        if s0 != self.c0() {
            warnings.push(Warning::VersionMismatch {
                sent: self.c0(),
                got: s0,
            });
        }
        // A server that answers version 3 with a zero version field does not do digests.
        if self.digest_at.is_some() && s0 == 3 && s1[4] == 0 {
            self.digest_at = None;
        }
        let server_uptime = bytes::be32(&s1[..]);
        let server_version = [s1[4], s1[5], s1[6], s1[7]];
        if self.digest_at.is_none() {
            return Ok(ClientReply {
                c2: Box::new(*s1),
                warnings,
                swf_response: None,
                server_uptime,
                server_version,
            });
        }
        let off = verify_block(s1, &server_key()[..36], 0).ok_or(HandshakeError::ServerDigest)?;
        if off != digest_offset(s1, 0) {
            warnings.push(Warning::SchemeSwitched);
        }
        let mut server_digest = [0u8; DIGEST_LEN];
        server_digest.copy_from_slice(&s1[off..off + DIGEST_LEN]);
        self.server_digest = Some(server_digest);

        let swf_response = swf.map(|(hash, size)| {
            let mut r = [0u8; 42];
            r[0] = 1;
            r[1] = 1;
            bytes::put_be32(&mut r[2..], size);
            bytes::put_be32(&mut r[6..], size);
            r[10..].copy_from_slice(&hmac_sha256(&s1[SIG_SIZE - 32..], &[hash]));
            r
        });

        let mut c2 = Box::new([0u8; SIG_SIZE]);
        fill_random(&mut c2[..], &mut next_word);
        let sig = response_digest(&player_key(), &server_digest, &c2[..]);
        c2[SIG_SIZE - DIGEST_LEN..].copy_from_slice(&sig);
        Ok(ClientReply {
            c2,
            warnings,
            swf_response,
            server_uptime,
            server_version,
        })
    }

    /// Checks S2. Plain handshake: a mismatch is only a warning; digest: an error.
    pub fn on_s2(&self, s2: &[u8; SIG_SIZE]) -> Result<Vec<Warning>, HandshakeError> {
        match self.digest_at {
            None => Ok(if s2[..] == self.c1[..] {
                vec![]
            } else {
                vec![Warning::SignatureMismatch]
            }),
            Some(off) => {
                let expected =
                    response_digest(&server_key(), &self.c1[off..off + DIGEST_LEN], &s2[..]);
                if expected[..] == s2[SIG_SIZE - DIGEST_LEN..] {
                    Ok(vec![])
                } else {
                    Err(HandshakeError::ServerNotGenuine)
                }
            }
        }
    }
}

/// The server side (`RTMP_Serve`): reads C0+C1 first, answers S0+S1+S2, then checks C2.
pub struct Server {
    s1: Box<[u8; SIG_SIZE]>,
    /// Offset of our digest in S1 (digest handshake only).
    digest_at: Option<usize>,
}

/// What the server sends after C0+C1.
pub struct ServerReply {
    pub s0: u8,
    pub s1: Box<[u8; SIG_SIZE]>,
    pub s2: Box<[u8; SIG_SIZE]>,
}

impl Server {
    /// Handles C0+C1 (plain version 3 only: the encrypted versions 6/8 are refused).
    pub fn on_c0c1(
        c0: u8,
        c1: &[u8; SIG_SIZE],
        uptime: u32,
        mut next_word: impl FnMut() -> u32,
    ) -> Result<(Server, ServerReply), HandshakeError> {
        if c0 != 3 {
            return Err(HandshakeError::UnknownVersion(c0));
        }
        let digest = c1[4] != 0;
        let mut s1 = Box::new([0u8; SIG_SIZE]);
        bytes::put_be32(&mut s1[..], uptime);
        fill_random(&mut s1[8..], &mut next_word);
        let mut s2 = Box::new(*c1);
        let digest_at = if digest {
            s1[4..8].copy_from_slice(&[3, 5, 1, 1]);
            let off = digest_offset(&s1, 0);
            let d = block_digest(&s1, off, &server_key()[..36]);
            s1[off..off + DIGEST_LEN].copy_from_slice(&d);
            let c_off =
                verify_block(c1, &player_key()[..30], 0).ok_or(HandshakeError::ClientDigest)?;
            let sig = response_digest(&server_key(), &c1[c_off..c_off + DIGEST_LEN], &c1[..]);
            s2[SIG_SIZE - DIGEST_LEN..].copy_from_slice(&sig);
            Some(off)
        } else {
            None
        };
        Ok((
            Server {
                s1: s1.clone(),
                digest_at,
            },
            ServerReply { s0: 3, s1, s2 },
        ))
    }

    /// Checks C2: digest handshake → must carry our expected digest; plain → echo of S1
    /// (a mismatch is only a warning).
    pub fn on_c2(&self, c2: &[u8; SIG_SIZE]) -> Result<Vec<Warning>, HandshakeError> {
        match self.digest_at {
            None => Ok(if c2[..] == self.s1[..] {
                vec![]
            } else {
                vec![Warning::SignatureMismatch]
            }),
            Some(off) => {
                let expected =
                    response_digest(&player_key(), &self.s1[off..off + DIGEST_LEN], &c2[..]);
                if expected[..] == c2[SIG_SIZE - DIGEST_LEN..] {
                    Ok(vec![])
                } else {
                    Err(HandshakeError::ClientNotGenuine)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: u32) -> impl FnMut() -> u32 {
        let mut s = seed;
        move || {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            s
        }
    }

    #[test]
    fn plain_handshake_echoes() {
        let mut client = Client::new(false, 1000, lcg(1));
        assert_eq!(&client.c1()[..8], &[0, 0, 3, 0xe8, 0, 0, 0, 0]);
        let (server, reply) = Server::on_c0c1(3, client.c1(), 5, lcg(2)).unwrap();
        assert_eq!(&reply.s1[4..8], &[0, 0, 0, 0]);
        let c = client.on_s0s1(reply.s0, &reply.s1, None, lcg(3)).unwrap();
        assert!(c.warnings.is_empty());
        assert_eq!(&c.c2[..], &reply.s1[..]);
        assert_eq!(client.on_s2(&reply.s2).unwrap(), vec![]);
        assert_eq!(server.on_c2(&c.c2).unwrap(), vec![]);
    }

    #[test]
    fn digest_handshake_verifies_both_ways() {
        for seed in 0..20 {
            let mut client = Client::new(true, 77, lcg(seed));
            let (server, reply) = Server::on_c0c1(3, client.c1(), 9, lcg(seed + 100)).unwrap();
            assert_eq!(&reply.s1[4..8], &[3, 5, 1, 1]);
            let hash = [7u8; 32];
            let c = client
                .on_s0s1(reply.s0, &reply.s1, Some((&hash, 1234)), lcg(seed))
                .unwrap();
            assert!(client.uses_digest());
            assert!(c.warnings.is_empty(), "{:?}", c.warnings);
            let swf = c.swf_response.unwrap();
            assert_eq!(&swf[..10], &[1, 1, 0, 0, 4, 0xd2, 0, 0, 4, 0xd2]);
            assert_eq!(client.on_s2(&reply.s2).unwrap(), vec![]);
            assert_eq!(server.on_c2(&c.c2).unwrap(), vec![]);
            // tampering is caught on both sides
            let mut bad = reply.s2.clone();
            bad[SIG_SIZE - 1] ^= 1;
            assert_eq!(client.on_s2(&bad), Err(HandshakeError::ServerNotGenuine));
            let mut bad = c.c2.clone();
            bad[0] ^= 1;
            assert_eq!(server.on_c2(&bad), Err(HandshakeError::ClientNotGenuine));
        }
    }

    #[test]
    fn digest_client_falls_back_for_plain_servers() {
        let mut client = Client::new(true, 1, lcg(5));
        let mut s1 = [0u8; SIG_SIZE];
        s1[8] = 9;
        let c = client.on_s0s1(3, &s1, None, lcg(6)).unwrap();
        assert!(!client.uses_digest());
        assert_eq!(&c.c2[..], &s1[..]);
    }

    #[test]
    fn bad_server_digest_and_scheme_switch() {
        let mut client = Client::new(true, 1, lcg(5));
        let mut s1 = [0x11u8; SIG_SIZE];
        s1[4] = 3;
        assert_eq!(
            client.on_s0s1(3, &s1, None, lcg(6)).err(),
            Some(HandshakeError::ServerDigest)
        );
        // an S1 whose digest sits at the scheme-1 place verifies after a switch
        let mut s1 = [0x22u8; SIG_SIZE];
        s1[4] = 3;
        let off = digest_offset(&s1, 1);
        let d = block_digest(&s1, off, &server_key()[..36]);
        s1[off..off + 32].copy_from_slice(&d);
        let mut client = Client::new(true, 1, lcg(5));
        let c = client.on_s0s1(3, &s1, None, lcg(6)).unwrap();
        assert_eq!(c.warnings, vec![Warning::SchemeSwitched]);
    }

    #[test]
    fn offsets_stay_inside_the_block() {
        let mut b = [0xffu8; SIG_SIZE];
        assert!(digest_offset(&b, 0) + DIGEST_LEN <= 772);
        assert!(digest_offset(&b, 1) + DIGEST_LEN <= SIG_SIZE);
        b.fill(0);
        assert_eq!(digest_offset(&b, 0), 12);
        assert_eq!(digest_offset(&b, 1), 776);
    }
}
