//! The RTMP handshake (C0/C1/C2, S0/S1/S2), sans-IO.
//!
//! Two flavours, chosen by the caller exactly when librtmp chooses them:
//! - plain (version 3, C1 = uptime, zeros, random; C2 echoes S1);
//! - the Flash Player 9 "digest" handshake (still version 3), used by librtmp when SWF
//!   verification is on: C1 carries an HMAC-SHA256 digest at a position derived from its own
//!   bytes, the server's S1 digest is verified, and C2/S2 carry digests keyed by the other
//!   side's digest.
//!
//! - RTMPE (types 6, 8 and 9): the digest handshake with placement scheme 1, a Diffie-Hellman
//!   public key in C1 and S1 (1024-bit Second Oakley Group, g = 2) from which both sides derive
//!   two RC4 keys; types 8 and 9 also transform the C2/S2 signatures with XTEA or Blowfish.
//!   The RC4 transport itself belongs to the I/O layer: see [`RtmpeKeys`].
//!
//! Randomness comes from the caller (`next_word`) so that the I/O layer can use the same
//! generator as librtmp (libc `rand()`) and tests can be deterministic.

use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use num_bigint::BigUint;
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

/// Finds which scheme's digest verifies with `key`, trying `first` then the other one; returns
/// the scheme and the digest's offset.
fn verify_block(block: &[u8; SIG_SIZE], key: &[u8], first: u8) -> Option<(u8, usize)> {
    [first, 1 - first].into_iter().find_map(|scheme| {
        let off = digest_offset(block, scheme);
        (block_digest(block, off, key)[..] == block[off..off + DIGEST_LEN]).then_some((scheme, off))
    })
}

/// The last 32 bytes of C2/S2: HMAC(key = HMAC(long key, peer digest), first 1504 bytes), then
/// the FP10 transform of handshake type `kind` (8: XTEA, 9: Blowfish, else none).
fn response_digest(long_key: &[u8], peer_digest: &[u8], block: &[u8], kind: u8) -> [u8; 32] {
    let key = hmac_sha256(long_key, &[peer_digest]);
    let mut sig = hmac_sha256(&key, &[&block[..SIG_SIZE - DIGEST_LEN]]);
    fp10_transform(kind, &key, &mut sig);
    sig
}

fn fill_random(out: &mut [u8], next_word: &mut impl FnMut() -> u32) {
    for chunk in out.chunks_mut(4) {
        let w = next_word().to_ne_bytes();
        chunk.copy_from_slice(&w[..chunk.len()]);
    }
}

// ---------------------------------------------------------------------------------------------
// RTMPE: Diffie-Hellman over the 1024-bit Second Oakley Group, RC4 keys, FP10 signature transforms
// ---------------------------------------------------------------------------------------------

/// Size of a DH public key or shared secret on the wire (big-endian, left-zero-padded).
pub const DH_KEY_LEN: usize = 128;

/// The 1024-bit MODP prime of RFC 2409 section 6.2 (Second Oakley Group), generator 2.
const OAKLEY2_PRIME_HEX: &[u8] = b"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1\
29024E088A67CC74020BBEA63B139B22514A08798E3404DD\
EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245\
E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED\
EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381\
FFFFFFFFFFFFFFFF";

/// Random bits in a private exponent. The top one is forced to 1 (see [`DhKey::generate`]).
pub const DH_PRIVATE_BITS: usize = 160;

fn prime() -> &'static BigUint {
    static P: OnceLock<BigUint> = OnceLock::new();
    P.get_or_init(|| BigUint::parse_bytes(OAKLEY2_PRIME_HEX, 16).expect("valid hex"))
}

/// (p - 1) / 2, the order of the subgroup generated by 2.
fn subgroup_order() -> &'static BigUint {
    static Q: OnceLock<BigUint> = OnceLock::new();
    Q.get_or_init(|| (prime() - 1u32) >> 1)
}

/// Whether `y` is an acceptable public key: 2 <= y <= p-2.
///
/// Deviation: librtmp's range test lets 1 and p-1 through (its log text says 2..p-2); both are
/// degenerate keys (the shared secret would be 1 or ±1), so they are rejected here.
pub fn valid_public_key(y: &BigUint) -> bool {
    let two = BigUint::from(2u32);
    *y >= two && *y <= prime() - &two
}

/// Whether `y^q mod p == 1` (the key lies in the prime-order subgroup). librtmp only warns.
fn in_subgroup(y: &BigUint) -> bool {
    y.modpow(subgroup_order(), prime()) == BigUint::from(1u32)
}

/// A number as exactly 128 big-endian bytes, left-padded with zeros.
fn to_wire(n: &BigUint) -> [u8; DH_KEY_LEN] {
    let b = n.to_bytes_be();
    let mut out = [0u8; DH_KEY_LEN];
    // Every value here is reduced mod p (< 2^1024), so it fits.
    out[DH_KEY_LEN - b.len()..].copy_from_slice(&b);
    out
}

/// One side's Diffie-Hellman key pair.
#[derive(Clone)]
pub struct DhKey {
    private: BigUint,
    public: [u8; DH_KEY_LEN],
}

impl std::fmt::Debug for DhKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DhKey").finish_non_exhaustive()
    }
}

impl DhKey {
    /// A fresh key pair from `next_word`: a [`DH_PRIVATE_BITS`]-bit private exponent whose top bit
    /// is set (so 159 bits come from the generator). librtmp draws 127 bits; 160 is the usual
    /// exponent size for a 1024-bit group. Forcing the top bit keeps the exponent away from 0 and
    /// 1, so the public key 2^x mod p is always in range; the range check (and regeneration, as
    /// librtmp does) stays as a guard.
    pub fn generate(next_word: &mut impl FnMut() -> u32) -> DhKey {
        loop {
            let mut bytes = [0u8; DH_PRIVATE_BITS / 8];
            fill_random(&mut bytes, next_word);
            bytes[0] |= 0x80;
            let private = BigUint::from_bytes_be(&bytes);
            let y = BigUint::from(2u32).modpow(&private, prime());
            if valid_public_key(&y) {
                return DhKey {
                    private,
                    public: to_wire(&y),
                };
            }
        }
    }

    /// The public key as written into C1/S1.
    pub fn public(&self) -> &[u8; DH_KEY_LEN] {
        &self.public
    }

    /// The shared secret with the peer's public key (128 big-endian bytes on the wire), as 128
    /// bytes left-padded (the layout of librtmp built with GnuTLS/nettle; an OpenSSL build writes
    /// a shorter secret unpadded at the start of its zeroed buffer, so the two disagree in about
    /// 1 handshake in 256). Returns `None` for an out-of-range key, else the secret and whether
    /// the key passed the subgroup test (y^q mod p = 1), which librtmp only warns about. Our own
    /// key is not tested: 2 generates the order-q subgroup, so 2^x always passes.
    pub fn shared_secret(&self, peer: &[u8]) -> Option<([u8; DH_KEY_LEN], bool)> {
        let y = BigUint::from_bytes_be(peer);
        if !valid_public_key(&y) {
            return None;
        }
        let subgroup = in_subgroup(&y);
        Some((to_wire(&y.modpow(&self.private, prime())), subgroup))
    }
}

/// The two RC4 keys of an RTMPE connection, from this side's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtmpeKeys {
    /// Encrypts what this side sends (librtmp's `rc4keyOut`).
    pub outbound: [u8; 16],
    /// Decrypts what this side receives (librtmp's `rc4keyIn`).
    pub inbound: [u8; 16],
}

/// An RC4 cipher with a 16-byte key (the `rc4` crate).
pub type Rc4Cipher = rc4::Rc4<rc4::consts::U16>;

impl RtmpeKeys {
    /// Derives both keys: outbound = HMAC-SHA256(secret, peer public key)[..16], inbound =
    /// HMAC-SHA256(secret, own public key)[..16].
    pub fn derive(secret: &[u8; DH_KEY_LEN], own_public: &[u8], peer_public: &[u8]) -> RtmpeKeys {
        let first16 = |d: [u8; 32]| -> [u8; 16] { d[..16].try_into().expect("16 of 32") };
        RtmpeKeys {
            outbound: first16(hmac_sha256(secret, &[peer_public])),
            inbound: first16(hmac_sha256(secret, &[own_public])),
        }
    }

    /// Ready ciphers `(outbound, inbound)`: both key streams already advanced by [`SIG_SIZE`]
    /// (1536) bytes, as librtmp does once the handshake has succeeded. Use them for every byte
    /// after C2/S2.
    pub fn ciphers(&self) -> (Rc4Cipher, Rc4Cipher) {
        use rc4::{KeyInit, StreamCipher};
        let make = |k: &[u8; 16]| {
            let mut c = Rc4Cipher::new(k.into());
            c.apply_keystream(&mut [0u8; SIG_SIZE]);
            c
        };
        (make(&self.outbound), make(&self.inbound))
    }
}

/// The XTEA keys of handshake type 8 (32-bit words; packed little-endian into the cipher key).
#[rustfmt::skip]
const XTEA_KEYS: [[u32; 4]; 16] = [
    [0xbff034b2, 0x11d9081f, 0xccdfb795, 0x748de732],
    [0x086a5eb6, 0x1743090e, 0x6ef05ab8, 0xfe5a39e2],
    [0x7b10956f, 0x76ce0521, 0x2388a73a, 0x440149a1],
    [0xa943f317, 0xebf11bb2, 0xa691a5ee, 0x17f36339],
    [0x7a30e00a, 0xb529e22c, 0xa087aea5, 0xc0cb79ac],
    [0xbdce0c23, 0x2febdeff, 0x1cfaae16, 0x1123239d],
    [0x55dd3f7b, 0x77e7e62e, 0x9bb8c499, 0xc9481ee4],
    [0x407bb6b4, 0x71e89136, 0xa7aebf55, 0xca33b839],
    [0xfcf6bdc3, 0xb63c3697, 0x7ce4f825, 0x04d959b2],
    [0x28e091fd, 0x41954c4c, 0x7fb7db00, 0xe3a066f8],
    [0x57845b76, 0x4f251b03, 0x46d45bcd, 0xa2c30d29],
    [0x0acceef8, 0xda55b546, 0x03473452, 0x5863713b],
    [0xb82075dc, 0xa75f1fee, 0xd84268e8, 0xa72a44cc],
    [0x07cf6e9e, 0xa16d7b25, 0x9fa7ae6c, 0xd92f5629],
    [0xfeb1eae4, 0x8c8c3ce1, 0x4e0064a7, 0x6a387c2a],
    [0x893a9427, 0xcc3013a2, 0xf106385b, 0xa829f927],
];

/// The Blowfish keys of handshake type 9 (24 bytes each).
#[rustfmt::skip]
const BLOWFISH_KEYS: [[u8; 24]; 16] = [
    [0x79, 0x34, 0x77, 0x4c, 0x67, 0xd1, 0x38, 0x3a, 0xdf, 0xb3, 0x56, 0xbe,
     0x8b, 0x7b, 0xd0, 0x24, 0x38, 0xe0, 0x73, 0x58, 0x41, 0x5d, 0x69, 0x67],
    [0x46, 0xf6, 0xb4, 0xcc, 0x01, 0x93, 0xe3, 0xa1, 0x9e, 0x7d, 0x3c, 0x65,
     0x55, 0x86, 0xfd, 0x09, 0x8f, 0xf7, 0xb3, 0xc4, 0x6f, 0x41, 0xca, 0x5c],
    [0x1a, 0xe7, 0xe2, 0xf3, 0xf9, 0x14, 0x79, 0x94, 0xc0, 0xd3, 0x97, 0x43,
     0x08, 0x7b, 0xb3, 0x84, 0x43, 0x2f, 0x9d, 0x84, 0x3f, 0x21, 0x01, 0x9b],
    [0xd3, 0xe3, 0x54, 0xb0, 0xf7, 0x1d, 0xf6, 0x2b, 0x5a, 0x43, 0x4d, 0x04,
     0x83, 0x64, 0x3e, 0x0d, 0x59, 0x2f, 0x61, 0xcb, 0xb1, 0x6a, 0x59, 0x0d],
    [0xc8, 0xc1, 0xe9, 0xb8, 0x16, 0x56, 0x99, 0x21, 0x7b, 0x5b, 0x36, 0xb7,
     0xb5, 0x9b, 0xdf, 0x06, 0x49, 0x2c, 0x97, 0xf5, 0x95, 0x48, 0x85, 0x7e],
    [0xeb, 0xe5, 0xe6, 0x2e, 0xa4, 0xba, 0xd4, 0x2c, 0xf2, 0x16, 0xe0, 0x8f,
     0x66, 0x23, 0xa9, 0x43, 0x41, 0xce, 0x38, 0x14, 0x84, 0x95, 0x00, 0x53],
    [0x66, 0xdb, 0x90, 0xf0, 0x3b, 0x4f, 0xf5, 0x6f, 0xe4, 0x9c, 0x20, 0x89,
     0x35, 0x5e, 0xd2, 0xb2, 0xc3, 0x9e, 0x9f, 0x7f, 0x63, 0xb2, 0x28, 0x81],
    [0xbb, 0x20, 0xac, 0xed, 0x2a, 0x04, 0x6a, 0x19, 0x94, 0x98, 0x9b, 0xc8,
     0xff, 0xcd, 0x93, 0xef, 0xc6, 0x0d, 0x56, 0xa7, 0xeb, 0x13, 0xd9, 0x30],
    [0xbc, 0xf2, 0x43, 0x82, 0x09, 0x40, 0x8a, 0x87, 0x25, 0x43, 0x6d, 0xe6,
     0xbb, 0xa4, 0xb9, 0x44, 0x58, 0x3f, 0x21, 0x7c, 0x99, 0xbb, 0x3f, 0x24],
    [0xec, 0x1a, 0xaa, 0xcd, 0xce, 0xbd, 0x53, 0x11, 0xd2, 0xfb, 0x83, 0xb6,
     0xc3, 0xba, 0xab, 0x4f, 0x62, 0x79, 0xe8, 0x65, 0xa9, 0x92, 0x28, 0x76],
    [0xc6, 0x0c, 0x30, 0x03, 0x91, 0x18, 0x2d, 0x7b, 0x79, 0xda, 0xe1, 0xd5,
     0x64, 0x77, 0x9a, 0x12, 0xc5, 0xb1, 0xd7, 0x91, 0x4f, 0x96, 0x4c, 0xa3],
    [0xd7, 0x7c, 0x2a, 0xbf, 0xa6, 0xe7, 0x85, 0x7c, 0x45, 0xad, 0xff, 0x12,
     0x94, 0xd8, 0xde, 0xa4, 0x5c, 0x3d, 0x79, 0xa4, 0x44, 0x02, 0x5d, 0x22],
    [0x16, 0x19, 0x0d, 0x81, 0x6a, 0x4c, 0xc7, 0xf8, 0xb8, 0xf9, 0x4e, 0xcd,
     0x2c, 0x9e, 0x90, 0x84, 0xb2, 0x08, 0x25, 0x60, 0xe1, 0x1e, 0xae, 0x18],
    [0xe9, 0x7c, 0x58, 0x26, 0x1b, 0x51, 0x9e, 0x49, 0x82, 0x60, 0x61, 0xfc,
     0xa0, 0xa0, 0x1b, 0xcd, 0xf5, 0x05, 0xd6, 0xa6, 0x6d, 0x07, 0x88, 0xa3],
    [0x2b, 0x97, 0x11, 0x8b, 0xd9, 0x4e, 0xd9, 0xdf, 0x20, 0xe3, 0x9c, 0x10,
     0xe6, 0xa1, 0x35, 0x21, 0x11, 0xf9, 0x13, 0x0d, 0x0b, 0x24, 0x65, 0xb2],
    [0x53, 0x6a, 0x4c, 0x54, 0xac, 0x8b, 0x9b, 0xb8, 0x97, 0x29, 0xfc, 0x60,
     0x2c, 0x5b, 0x3a, 0x85, 0x68, 0xb5, 0xaa, 0x6a, 0x44, 0xcd, 0x3f, 0xa7],
];

/// The FP10 transform of a C2/S2 signature for handshake types 8 (XTEA) and 9 (Blowfish): each
/// 8-byte block `i` of the 32 signature bytes is encrypted in place with key-table entry
/// `digest_key[8 * i] % 15`, where `digest_key` is HMAC(long key, peer digest). Both ciphers take
/// the block as two little-endian 32-bit words. Other types leave the signature as it is.
pub fn fp10_transform(kind: u8, digest_key: &[u8; 32], sig: &mut [u8; DIGEST_LEN]) {
    for (i, block) in sig.chunks_exact_mut(8).enumerate() {
        let index = usize::from(digest_key[8 * i] % 15);
        match kind {
            8 => xtea_encrypt(&XTEA_KEYS[index], block),
            9 => blowfish_encrypt(&BLOWFISH_KEYS[index], block),
            _ => {}
        }
    }
}

/// XTEA, 32 cycles, key words and block words little-endian (the `xtea` crate's packing).
fn xtea_encrypt(key: &[u32; 4], block: &mut [u8]) {
    use xtea::cipher::{BlockCipherEncrypt, KeyInit};
    let mut k = [0u8; 16];
    for (dst, w) in k.chunks_exact_mut(4).zip(key) {
        dst.copy_from_slice(&w.to_le_bytes());
    }
    let cipher = xtea::Xtea::new(&k.into());
    let mut b: [u8; 8] = block.try_into().expect("8-byte block");
    cipher.encrypt_block((&mut b).into());
    block.copy_from_slice(&b);
}

/// Blowfish, 16 rounds, standard key schedule over the key bytes, block words little-endian
/// (`blowfish::BlowfishLE`).
fn blowfish_encrypt(key: &[u8], block: &mut [u8]) {
    use blowfish::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};
    let cipher = blowfish::BlowfishLE::new_from_slice(key).expect("4..=56-byte key");
    cipher.encrypt_block(GenericArray::from_mut_slice(block));
}

/// A handshake type of the encrypted handshake (the C0/S0 byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtmpeType {
    /// 6: plain C2/S2 signatures.
    Type6,
    /// 8: signatures transformed with XTEA.
    Type8,
    /// 9: signatures transformed with Blowfish.
    Type9,
}

impl RtmpeType {
    /// 6, 8 or 9 → the type; anything else → `None`.
    pub fn from_byte(b: u8) -> Option<RtmpeType> {
        match b {
            6 => Some(RtmpeType::Type6),
            8 => Some(RtmpeType::Type8),
            9 => Some(RtmpeType::Type9),
            _ => None,
        }
    }

    /// The C0/S0 byte.
    pub fn byte(self) -> u8 {
        match self {
            RtmpeType::Type6 => 6,
            RtmpeType::Type8 => 8,
            RtmpeType::Type9 => 9,
        }
    }
}

/// Where the DH public key sits in a C1/S1 block, by placement scheme (0 or 1).
pub fn dh_offset(block: &[u8; SIG_SIZE], scheme: u8) -> usize {
    let (base, add) = if scheme == 0 { (1532, 772) } else { (768, 8) };
    let sum: usize = block[base..base + 4].iter().map(|&b| b as usize).sum();
    sum % 632 + add
}

// ---------------------------------------------------------------------------------------------

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
    /// The peer's DH public key (at the DH offset of S1/C1) is not in 2..=p-2.
    BadPeerKey {
        /// The key came from the server (client side) or from the client (server side).
        from_server: bool,
    },
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandshakeError::ServerDigest => f.write_str("Couldn't verify the server digest"),
            HandshakeError::ServerNotGenuine => f.write_str("Server not genuine Adobe!"),
            HandshakeError::ClientDigest => f.write_str("Couldn't verify the client digest"),
            HandshakeError::ClientNotGenuine => f.write_str("Client not genuine Adobe!"),
            HandshakeError::UnknownVersion(v) => write!(f, "Unknown version {v:02x}"),
            HandshakeError::BadPeerKey { from_server } => write!(
                f,
                "invalid DH public key from the {} (must be 2..p-2)",
                if *from_server { "server" } else { "client" }
            ),
        }
    }
}

/// Non-fatal findings that librtmp reports as warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// S0 is not the version we sent.
    VersionMismatch { sent: u8, got: u8 },
    /// The peer's digest (S1 on the client, C1 on the server) only verified with the other
    /// placement scheme; the DH offset switched with it.
    SchemeSwitched,
    /// Plain handshake: S2 is not an echo of C1 (C2 not an echo of S1 on the server).
    SignatureMismatch,
    /// The peer's DH public key does not satisfy y^q mod p = 1.
    PeerKeyNotInSubgroup,
}

/// How the client handshakes. `Default` = plain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientOptions {
    /// The FP9 digest handshake (librtmp: a SWF hash is set). Implied by encryption.
    pub digest: bool,
    /// RTMPE (librtmp: `Link.protocol & RTMP_FEATURE_ENC`): C0 = 6, C1 version `80 00 03 02`.
    pub encrypt: bool,
    /// Testing knob, implies `encrypt`: send this C0 instead. 8 and 9 keep the version
    /// `80 00 03 02`; 6 sends `09 00 7c 02` so that a librtmp server answers 6 rather than 8.
    pub force_type: Option<RtmpeType>,
}

/// How the server handshakes. `Default` = librtmp's choices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// Testing knob: answer an encrypted client (C0 6, 8 or 9) with this type. A plain client
    /// (C0 3) is answered as usual.
    pub force_type: Option<RtmpeType>,
}

/// The client side.
pub struct Client {
    c0: u8,
    c1: Box<[u8; SIG_SIZE]>,
    /// Placement scheme used for our own C1 (0, or 1 when encrypting).
    scheme: u8,
    /// Offset of our digest in C1 (digest handshake only).
    digest_at: Option<usize>,
    /// Our DH key and where it sits in C1 (encrypted handshake only).
    dh: Option<(DhKey, usize)>,
    /// S0 as received: selects the FP10 transform of C2/S2.
    server_type: u8,
    keys: Option<RtmpeKeys>,
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
    /// RTMPE: the RC4 keys (install them only once [`Client::on_s2`] succeeded). `None` when not
    /// encrypting, or when the server fell back to the plain handshake (S0 = 3, S1[4] = 0), in
    /// which case librtmp goes on unencrypted.
    pub keys: Option<RtmpeKeys>,
}

impl Client {
    /// Builds C1. `digest` selects the FP9 digest handshake (no encryption).
    pub fn new(digest: bool, uptime: u32, next_word: impl FnMut() -> u32) -> Client {
        Client::with_options(
            ClientOptions {
                digest,
                ..ClientOptions::default()
            },
            uptime,
            next_word,
        )
    }

    /// Builds C0 and C1 for `opts`.
    pub fn with_options(
        opts: ClientOptions,
        uptime: u32,
        mut next_word: impl FnMut() -> u32,
    ) -> Client {
        let encrypt = opts.encrypt || opts.force_type.is_some();
        let digest = encrypt || opts.digest;
        let (c0, version) = match (encrypt, opts.force_type) {
            (false, _) => (3, [0x0a, 0x00, 0x2d, 0x02]),
            (true, Some(RtmpeType::Type6)) => (6, [0x09, 0x00, 0x7c, 0x02]),
            (true, Some(t)) => (t.byte(), [0x80, 0x00, 0x03, 0x02]),
            (true, None) => (6, [0x80, 0x00, 0x03, 0x02]),
        };
        let scheme = u8::from(encrypt);
        let mut c1 = Box::new([0u8; SIG_SIZE]);
        bytes::put_be32(&mut c1[..], uptime);
        fill_random(&mut c1[8..], &mut next_word);
        let mut dh = None;
        let digest_at = digest.then(|| {
            c1[4..8].copy_from_slice(&version);
            if encrypt {
                let key = DhKey::generate(&mut next_word);
                let at = dh_offset(&c1, scheme);
                c1[at..at + DH_KEY_LEN].copy_from_slice(key.public());
                dh = Some((key, at));
            }
            let off = digest_offset(&c1, scheme);
            let d = block_digest(&c1, off, &player_key()[..30]);
            c1[off..off + DIGEST_LEN].copy_from_slice(&d);
            off
        });
        Client {
            c0,
            c1,
            scheme,
            digest_at,
            dh,
            server_type: c0,
            keys: None,
            server_digest: None,
        }
    }

    /// C0: the version byte (3, or the RTMPE type).
    pub fn c0(&self) -> u8 {
        self.c0
    }

    pub fn c1(&self) -> &[u8; SIG_SIZE] {
        &self.c1
    }

    /// Whether the digest handshake is (still) in use.
    pub fn uses_digest(&self) -> bool {
        self.digest_at.is_some()
    }

    /// Offset of our DH public key in C1 (encrypted handshake only), for the log.
    pub fn dh_offset(&self) -> Option<usize> {
        self.dh.as_ref().map(|(_, at)| *at)
    }

    /// The RC4 keys, once S1 has been handled (encrypted handshake only).
    pub fn keys(&self) -> Option<RtmpeKeys> {
        self.keys
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
        if s0 != self.c0 {
            warnings.push(Warning::VersionMismatch {
                sent: self.c0,
                got: s0,
            });
        }
        self.server_type = s0;
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
                keys: None,
            });
        }
        let (scheme, off) = verify_block(s1, &server_key()[..36], self.scheme)
            .ok_or(HandshakeError::ServerDigest)?;
        if scheme != self.scheme {
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

        if let Some((key, own_at)) = &self.dh {
            let at = dh_offset(s1, scheme);
            let server_pub = &s1[at..at + DH_KEY_LEN];
            let (secret, subgroup) = key
                .shared_secret(server_pub)
                .ok_or(HandshakeError::BadPeerKey { from_server: true })?;
            if !subgroup {
                warnings.push(Warning::PeerKeyNotInSubgroup);
            }
            let own_pub = &self.c1[*own_at..*own_at + DH_KEY_LEN];
            self.keys = Some(RtmpeKeys::derive(&secret, own_pub, server_pub));
        }

        let mut c2 = Box::new([0u8; SIG_SIZE]);
        fill_random(&mut c2[..], &mut next_word);
        let sig = response_digest(&player_key(), &server_digest, &c2[..], s0);
        c2[SIG_SIZE - DIGEST_LEN..].copy_from_slice(&sig);
        Ok(ClientReply {
            c2,
            warnings,
            swf_response,
            server_uptime,
            server_version,
            keys: self.keys,
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
                let expected = response_digest(
                    &server_key(),
                    &self.c1[off..off + DIGEST_LEN],
                    &s2[..],
                    self.server_type,
                );
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
    /// S0 as sent: selects the FP10 transform of C2/S2.
    answer: u8,
}

/// What the server sends after C0+C1.
pub struct ServerReply {
    pub s0: u8,
    pub s1: Box<[u8; SIG_SIZE]>,
    pub s2: Box<[u8; SIG_SIZE]>,
    /// The client asked for RTMPE (C0 6, 8 or 9): librtmp sets `Link.protocol |= RTMP_FEATURE_ENC`.
    pub encrypted: bool,
    /// RTMPE: the RC4 keys (install them only once [`Server::on_c2`] succeeded).
    pub keys: Option<RtmpeKeys>,
    pub warnings: Vec<Warning>,
}

impl Server {
    /// Handles C0+C1 with librtmp's choices (see [`Server::on_c0c1_with`]).
    pub fn on_c0c1(
        c0: u8,
        c1: &[u8; SIG_SIZE],
        uptime: u32,
        next_word: impl FnMut() -> u32,
    ) -> Result<(Server, ServerReply), HandshakeError> {
        Server::on_c0c1_with(c0, c1, uptime, ServerOptions::default(), next_word)
    }

    /// Handles C0+C1. C0 3 → plain (FP9 digest mode when C1[4] != 0); 6 or 8 → RTMPE, answered
    /// with 8 when C1[4] is 128, else with C0; 9 → RTMPE answered with 9 (librtmp refuses 9);
    /// `opts.force_type` overrides the answer to an encrypted client.
    pub fn on_c0c1_with(
        c0: u8,
        c1: &[u8; SIG_SIZE],
        uptime: u32,
        opts: ServerOptions,
        mut next_word: impl FnMut() -> u32,
    ) -> Result<(Server, ServerReply), HandshakeError> {
        let (encrypted, mut answer) = match c0 {
            3 => (false, 3),
            6 | 8 => (true, if c1[4] == 128 { 8 } else { c0 }),
            9 => (true, 9),
            _ => return Err(HandshakeError::UnknownVersion(c0)),
        };
        if let (true, Some(t)) = (encrypted, opts.force_type) {
            answer = t.byte();
        }
        let digest = encrypted || c1[4] != 0;
        let scheme = u8::from(encrypted);
        let mut warnings = Vec::new();
        let mut s1 = Box::new([0u8; SIG_SIZE]);
        bytes::put_be32(&mut s1[..], uptime);
        fill_random(&mut s1[8..], &mut next_word);
        let mut s2 = Box::new(*c1);
        let mut keys = None;
        let digest_at = if digest {
            s1[4..8].copy_from_slice(&[3, 5, 1, 1]);
            let dh = encrypted.then(|| {
                let key = DhKey::generate(&mut next_word);
                let at = dh_offset(&s1, scheme);
                s1[at..at + DH_KEY_LEN].copy_from_slice(key.public());
                (key, at)
            });
            let off = digest_offset(&s1, scheme);
            let d = block_digest(&s1, off, &server_key()[..36]);
            s1[off..off + DIGEST_LEN].copy_from_slice(&d);
            let (c_scheme, c_off) = verify_block(c1, &player_key()[..30], scheme)
                .ok_or(HandshakeError::ClientDigest)?;
            if c_scheme != scheme {
                warnings.push(Warning::SchemeSwitched);
            }
            if let Some((key, own_at)) = &dh {
                let at = dh_offset(c1, c_scheme);
                let client_pub = &c1[at..at + DH_KEY_LEN];
                let (secret, subgroup) = key
                    .shared_secret(client_pub)
                    .ok_or(HandshakeError::BadPeerKey { from_server: false })?;
                if !subgroup {
                    warnings.push(Warning::PeerKeyNotInSubgroup);
                }
                let own_pub = &s1[*own_at..*own_at + DH_KEY_LEN];
                keys = Some(RtmpeKeys::derive(&secret, own_pub, client_pub));
            }
            let sig = response_digest(
                &server_key(),
                &c1[c_off..c_off + DIGEST_LEN],
                &c1[..],
                answer,
            );
            s2[SIG_SIZE - DIGEST_LEN..].copy_from_slice(&sig);
            Some(off)
        } else {
            None
        };
        Ok((
            Server {
                s1: s1.clone(),
                digest_at,
                answer,
            },
            ServerReply {
                s0: answer,
                s1,
                s2,
                encrypted,
                keys,
                warnings,
            },
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
                let expected = response_digest(
                    &player_key(),
                    &self.s1[off..off + DIGEST_LEN],
                    &c2[..],
                    self.answer,
                );
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

    // ---- RTMPE ----

    fn pair(
        copts: ClientOptions,
        sopts: ServerOptions,
        seed: u32,
    ) -> (Client, ClientReply, Server, ServerReply) {
        let mut client = Client::with_options(copts, 1234, lcg(seed));
        let (server, sreply) =
            Server::on_c0c1_with(client.c0(), client.c1(), 99, sopts, lcg(seed + 1000)).unwrap();
        let creply = client
            .on_s0s1(sreply.s0, &sreply.s1, None, lcg(seed + 2000))
            .unwrap();
        (client, creply, server, sreply)
    }

    fn check_encrypted(copts: ClientOptions, sopts: ServerOptions, c0: u8, s0: u8) {
        for seed in 0..4 {
            let (client, creply, server, sreply) = pair(copts, sopts, seed);
            assert_eq!(client.c0(), c0);
            assert_eq!(sreply.s0, s0);
            assert!(sreply.encrypted);
            assert_eq!(&sreply.s1[4..8], &[3, 5, 1, 1]);
            assert!(sreply.warnings.is_empty(), "{:?}", sreply.warnings);
            let expected_warnings = if c0 == s0 {
                vec![]
            } else {
                vec![Warning::VersionMismatch { sent: c0, got: s0 }]
            };
            assert_eq!(creply.warnings, expected_warnings);
            assert_eq!(client.on_s2(&sreply.s2).unwrap(), vec![]);
            assert_eq!(server.on_c2(&creply.c2).unwrap(), vec![]);
            let ck = creply.keys.unwrap();
            let sk = sreply.keys.unwrap();
            assert_eq!(client.keys(), Some(ck));
            assert_eq!(ck.outbound, sk.inbound);
            assert_eq!(ck.inbound, sk.outbound);
            assert_ne!(ck.inbound, ck.outbound);
            // The ready ciphers talk to each other, both ways.
            use rc4::StreamCipher;
            let (mut c_out, mut c_in) = ck.ciphers();
            let (mut s_out, mut s_in) = sk.ciphers();
            let mut msg = *b"connect('app')";
            c_out.apply_keystream(&mut msg);
            assert_ne!(&msg, b"connect('app')");
            s_in.apply_keystream(&mut msg);
            assert_eq!(&msg, b"connect('app')");
            s_out.apply_keystream(&mut msg);
            c_in.apply_keystream(&mut msg);
            assert_eq!(&msg, b"connect('app')");
            // Tampered signatures are caught on both sides.
            let mut bad = sreply.s2.clone();
            bad[SIG_SIZE - 9] ^= 1;
            assert_eq!(client.on_s2(&bad), Err(HandshakeError::ServerNotGenuine));
            let mut bad = creply.c2.clone();
            bad[100] ^= 1;
            assert_eq!(server.on_c2(&bad), Err(HandshakeError::ClientNotGenuine));
        }
    }

    fn enc() -> ClientOptions {
        ClientOptions {
            encrypt: true,
            ..ClientOptions::default()
        }
    }

    fn forced(t: RtmpeType) -> ClientOptions {
        ClientOptions {
            force_type: Some(t),
            ..ClientOptions::default()
        }
    }

    #[test]
    fn rtmpe_default_is_6_answered_with_8() {
        let client = Client::with_options(enc(), 0x01020304, lcg(1));
        assert_eq!(client.c0(), 6);
        assert_eq!(&client.c1()[..8], &[1, 2, 3, 4, 0x80, 0, 3, 2]);
        // our key sits at the scheme-1 DH offset, our digest at the scheme-1 digest offset
        let at = client.dh_offset().unwrap();
        assert_eq!(at, dh_offset(client.c1(), 1));
        let y = BigUint::from_bytes_be(&client.c1()[at..at + DH_KEY_LEN]);
        assert!(valid_public_key(&y));
        assert!(
            verify_block(client.c1(), &player_key()[..30], 1)
                == Some((1, digest_offset(client.c1(), 1)))
        );
        check_encrypted(enc(), ServerOptions::default(), 6, 8);
    }

    #[test]
    fn rtmpe_forced_client_types() {
        let client = Client::with_options(forced(RtmpeType::Type6), 0, lcg(1));
        assert_eq!(&client.c1()[4..8], &[0x09, 0x00, 0x7c, 0x02]);
        check_encrypted(forced(RtmpeType::Type6), ServerOptions::default(), 6, 6);
        check_encrypted(forced(RtmpeType::Type8), ServerOptions::default(), 8, 8);
        // librtmp refuses C0 = 9; this server answers it with 9
        check_encrypted(forced(RtmpeType::Type9), ServerOptions::default(), 9, 9);
    }

    #[test]
    fn rtmpe_forced_server_types() {
        for t in [RtmpeType::Type6, RtmpeType::Type8, RtmpeType::Type9] {
            let sopts = ServerOptions {
                force_type: Some(t),
            };
            check_encrypted(enc(), sopts, 6, t.byte());
            check_encrypted(forced(RtmpeType::Type6), sopts, 6, t.byte());
        }
        // a plain client is answered plainly even when a type is forced
        let sopts = ServerOptions {
            force_type: Some(RtmpeType::Type9),
        };
        let client = Client::new(true, 5, lcg(3));
        let (_, reply) = Server::on_c0c1_with(3, client.c1(), 1, sopts, lcg(4)).unwrap();
        assert_eq!(reply.s0, 3);
        assert!(!reply.encrypted);
        assert!(reply.keys.is_none());
    }

    #[test]
    fn server_versions() {
        let c1 = [0u8; SIG_SIZE];
        for v in [0u8, 1, 2, 4, 5, 7, 10, 0xff] {
            assert_eq!(
                Server::on_c0c1(v, &c1, 0, lcg(1)).err(),
                Some(HandshakeError::UnknownVersion(v))
            );
        }
        assert_eq!(
            HandshakeError::UnknownVersion(7).to_string(),
            "Unknown version 07"
        );
        // an encrypted C0 with an undigested C1 fails the client digest
        assert_eq!(
            Server::on_c0c1(6, &c1, 0, lcg(1)).err(),
            Some(HandshakeError::ClientDigest)
        );
    }

    /// A C1/S1-like block with `key` at the DH offset and a digest (signed with `sign_key`), both
    /// at `scheme`'s places.
    fn block_with_key(
        scheme: u8,
        key: &[u8; DH_KEY_LEN],
        sign_key: &[u8],
        seed: u32,
    ) -> [u8; SIG_SIZE] {
        let mut b = [0u8; SIG_SIZE];
        fill_random(&mut b, &mut lcg(seed));
        b[4..8].copy_from_slice(&[3, 5, 1, 1]);
        let at = dh_offset(&b, scheme);
        b[at..at + DH_KEY_LEN].copy_from_slice(key);
        let off = digest_offset(&b, scheme);
        let d = block_digest(&b, off, sign_key);
        b[off..off + DIGEST_LEN].copy_from_slice(&d);
        b
    }

    fn bad_keys() -> Vec<[u8; DH_KEY_LEN]> {
        let p = prime().clone();
        let mut v: Vec<[u8; DH_KEY_LEN]> = [
            BigUint::from(0u32),
            BigUint::from(1u32),
            &p - 1u32,
            p.clone(),
            &p + 1u32,
        ]
        .iter()
        .map(to_wire)
        .collect();
        v.push([0xff; DH_KEY_LEN]);
        v
    }

    #[test]
    fn invalid_peer_keys_are_rejected() {
        for (i, key) in bad_keys().iter().enumerate() {
            let s1 = block_with_key(1, key, &server_key()[..36], i as u32);
            let mut client = Client::with_options(enc(), 1, lcg(7));
            assert_eq!(
                client.on_s0s1(8, &s1, None, lcg(8)).err(),
                Some(HandshakeError::BadPeerKey { from_server: true }),
                "key {i}"
            );
            let c1 = block_with_key(1, key, &player_key()[..30], i as u32);
            assert_eq!(
                Server::on_c0c1(6, &c1, 0, lcg(9)).err(),
                Some(HandshakeError::BadPeerKey { from_server: false }),
                "key {i}"
            );
        }
        assert_eq!(
            HandshakeError::BadPeerKey { from_server: true }.to_string(),
            "invalid DH public key from the server (must be 2..p-2)"
        );
        // the edges of the accepted range
        assert!(valid_public_key(&BigUint::from(2u32)));
        assert!(valid_public_key(&(prime() - 2u32)));
    }

    #[test]
    fn peer_key_outside_the_subgroup_only_warns() {
        // p ≡ 7 (mod 8): 2 is a square and -1 is not, so p-2 = -2 has order p-1, not q
        let key = to_wire(&(prime() - 2u32));
        let c1 = block_with_key(1, &key, &player_key()[..30], 3);
        let (_, reply) = Server::on_c0c1(6, &c1, 0, lcg(9)).unwrap();
        assert_eq!(reply.warnings, vec![Warning::PeerKeyNotInSubgroup]);
        assert!(reply.keys.is_some());
    }

    #[test]
    fn rtmpe_scheme_switch_moves_the_dh_offset() {
        // A server that places its digest and key at scheme 0 although the client used 1.
        let server_key_pair = DhKey::generate(&mut lcg(42));
        for seed in 0..4 {
            let s1 = block_with_key(0, server_key_pair.public(), &server_key()[..36], seed);
            let mut client = Client::with_options(enc(), 1, lcg(seed + 7));
            let reply = client.on_s0s1(6, &s1, None, lcg(8)).unwrap();
            assert_eq!(reply.warnings, vec![Warning::SchemeSwitched]);
            let at = client.dh_offset().unwrap();
            let client_pub = &client.c1()[at..at + DH_KEY_LEN];
            let (secret, _) = server_key_pair.shared_secret(client_pub).unwrap();
            let expected = RtmpeKeys::derive(&secret, server_key_pair.public(), client_pub);
            let keys = reply.keys.unwrap();
            assert_eq!(keys.outbound, expected.inbound);
            assert_eq!(keys.inbound, expected.outbound);
        }
        // And the server side: a client signing at scheme 0 with C0 = 6.
        let client_key_pair = DhKey::generate(&mut lcg(43));
        let c1 = block_with_key(0, client_key_pair.public(), &player_key()[..30], 5);
        let (_, reply) = Server::on_c0c1(6, &c1, 0, lcg(9)).unwrap();
        assert_eq!(reply.warnings, vec![Warning::SchemeSwitched]);
        let s_at = dh_offset(&reply.s1, 1);
        let (secret, _) = client_key_pair
            .shared_secret(&reply.s1[s_at..s_at + DH_KEY_LEN])
            .unwrap();
        let expected = RtmpeKeys::derive(
            &secret,
            client_key_pair.public(),
            &reply.s1[s_at..s_at + DH_KEY_LEN],
        );
        let keys = reply.keys.unwrap();
        assert_eq!(keys.outbound, expected.inbound);
        assert_eq!(keys.inbound, expected.outbound);
    }

    #[test]
    fn rtmpe_bad_server_digest() {
        let mut client = Client::with_options(enc(), 1, lcg(5));
        let mut s1 = [0x33u8; SIG_SIZE];
        s1[4] = 3;
        assert_eq!(
            client.on_s0s1(8, &s1, None, lcg(6)).err(),
            Some(HandshakeError::ServerDigest)
        );
        // A plain server (S0 = 3, S1[4] = 0): librtmp goes on unencrypted, without keys.
        let mut client = Client::with_options(enc(), 1, lcg(5));
        let s1 = [0u8; SIG_SIZE];
        let reply = client.on_s0s1(3, &s1, None, lcg(6)).unwrap();
        assert!(reply.keys.is_none());
        assert!(!client.uses_digest());
    }

    #[test]
    fn dh_agrees_and_pads() {
        let a = DhKey::generate(&mut lcg(1));
        let b = DhKey::generate(&mut lcg(2));
        assert_ne!(a.public(), b.public());
        assert_eq!(
            a.shared_secret(b.public()).unwrap().0,
            b.shared_secret(a.public()).unwrap().0
        );
        let mut two = [0u8; DH_KEY_LEN];
        two[DH_KEY_LEN - 1] = 2;
        assert_eq!(to_wire(&BigUint::from(2u32)), two);
        // a generator stuck at zero still gives a valid key (the exponent's top bit is forced)
        let z = DhKey::generate(&mut || 0);
        assert!(valid_public_key(&BigUint::from_bytes_be(z.public())));
        assert_eq!(
            prime().bits(),
            1024,
            "the Second Oakley Group prime is 1024 bits"
        );
        assert!(in_subgroup(&BigUint::from_bytes_be(a.public())));
    }

    #[test]
    fn xtea_known_answer() {
        // Published XTEA vector (32 cycles): key words 00010203 04050607 08090a0b 0c0d0e0f,
        // plaintext words 41424344 45464748 → 497df3d0 72612cb5. librtmp packs each word
        // little-endian in the 8-byte block.
        let mut block = [0u8; 8];
        block[..4].copy_from_slice(&0x4142_4344u32.to_le_bytes());
        block[4..].copy_from_slice(&0x4546_4748u32.to_le_bytes());
        xtea_encrypt(
            &[0x0001_0203, 0x0405_0607, 0x0809_0a0b, 0x0c0d_0e0f],
            &mut block,
        );
        assert_eq!(
            u32::from_le_bytes(block[..4].try_into().unwrap()),
            0x497d_f3d0
        );
        assert_eq!(
            u32::from_le_bytes(block[4..].try_into().unwrap()),
            0x7261_2cb5
        );
    }

    #[test]
    fn blowfish_known_answer() {
        // Eric Young's published vectors, given for big-endian words; librtmp packs the block
        // words little-endian, so each 4-byte half is reversed on the way in and out.
        let le = |hex: [u8; 8]| {
            let mut b = hex;
            b[..4].reverse();
            b[4..].reverse();
            b
        };
        let mut block = le([0; 8]);
        blowfish_encrypt(&[0; 8], &mut block);
        assert_eq!(le(block), [0x4e, 0xf9, 0x97, 0x45, 0x61, 0x98, 0xdd, 0x78]);
        // a 24-byte key, the length of librtmp's table entries
        let key = [
            0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d,
            0x1e, 0x0f, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
        ];
        let mut block = le([0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10]);
        blowfish_encrypt(&key, &mut block);
        assert_eq!(le(block), [0x05, 0x04, 0x4b, 0x62, 0xfa, 0x52, 0xd0, 0x80]);
    }

    #[test]
    fn fp10_transform_fixed_input() {
        // digest key 00..1f picks table entries 0, 8, 1 and 9 (bytes 0, 8, 16, 24, mod 15);
        // the expected bytes were computed independently (a direct XTEA from the algorithm, and
        // a standard big-endian Blowfish with word-swapped blocks) from the same tables.
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let input: [u8; 32] = std::array::from_fn(|i| 0x20 + i as u8);
        let hex = |s: &str| -> [u8; 32] {
            std::array::from_fn(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        };
        let mut sig = input;
        fp10_transform(8, &key, &mut sig);
        assert_eq!(
            sig,
            hex("0adcaf7420b26864d1a3ff132d05497e66333b332c5e79befd9ca6f0b831fd0b")
        );
        let mut sig = input;
        fp10_transform(9, &key, &mut sig);
        assert_eq!(
            sig,
            hex("bc52cc642106ea1d9890cac8bdc422877711744c01cd8ab06d0b0bd82a74d59f")
        );
        let mut sig = input;
        fp10_transform(6, &key, &mut sig);
        assert_eq!(sig, input);
    }
}
