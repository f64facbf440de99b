//! Arbitrary bytes through the core chunk reader (`rtmp_core::chunk::reader`, driven by its
//! in-memory stream `reader::memory::Memory`), fed whole and in arbitrary pieces.
//!
//! Input: byte 0 picks the in chunk size, byte 1 the acknowledgement window (or none), byte 2
//! seeds the piece sizes; the rest is the peer's byte stream. Invariants: no panic; `Need`
//! consumes nothing and asks for more bytes than are there; stored states never have more bytes
//! read than their body size and hold bodies of that size; complete messages have the announced
//! size; the outcome (messages, errors, acknowledgements) does not depend on how the stream is
//! split, nor on whether one or several continuation chunks are taken per call.
//!
//! The reader is safe code (`forbid(unsafe_code)`), so AddressSanitizer adds nothing but cost
//! (its shadow work on every announced body of up to 16 MiB): `cargo fuzz run -s none
//! chunk_reader` runs about 20 times faster than the default build.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtmp_core::chunk::reader::memory::{Memory, Outcome};

const CHUNK_SIZES: [i32; 8] = [128, 1, 4, 7, 64, 4096, 65536, 0x7fff_ffff];

/// What must not depend on the feeding: messages and errors in order.
fn events(out: &[Outcome]) -> Vec<Outcome> {
    out.iter()
        .filter_map(|o| match o {
            Outcome::Chunks {
                message: Some(m), ..
            } => Some(Outcome::Chunks {
                channel: m.channel,
                chunks: 0,
                message: Some(m.clone()),
            }),
            Outcome::Chunks { .. } | Outcome::Need(_) => None,
            e => Some(e.clone()),
        })
        .collect()
}

fn check(m: &Memory) {
    for (st, len) in m.states() {
        assert!(st.bytes_read <= st.body_size, "{st:?}");
        let expect = if st.has_body { st.body_size as usize } else { 0 };
        assert_eq!(len, expect, "{st:?}");
    }
}

/// Feeds `stream` in pieces of the sizes `pieces` yields (all of it in the end).
fn feed(m: &mut Memory, stream: &[u8], mut pieces: impl FnMut() -> usize) -> Vec<Outcome> {
    let mut out = Vec::new();
    let (mut pos, mut end) = (0, 0);
    loop {
        let (k, o) = m.read(&stream[pos..end]);
        check(m);
        match o {
            Outcome::Need(n) => {
                assert_eq!(k, 0);
                assert!(n > end - pos, "need {n} with {} buffered", end - pos);
                if end == stream.len() {
                    return out;
                }
                end = (end + pieces()).min(stream.len());
            }
            o => {
                assert!(k > 0 && pos + k <= end);
                if let Outcome::Chunks {
                    message: Some(msg), ..
                } = &o
                {
                    assert_eq!(msg.body.len(), msg.packet.body_size as usize);
                }
                pos += k;
                out.push(o);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 || data.len() > 100_000 {
        return;
    }
    // Bodies of up to 16 MiB come and go on every input: keep them in fresh zero pages (a
    // fixed mmap threshold), not in heap memory that calloc has to clear.
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: a plain libc setting, made once before any allocation this target depends on.
    ONCE.call_once(|| unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 10);
    });
    let chunk = CHUNK_SIZES[usize::from(data[0] & 7)];
    let (counting, window) = match data[1] & 3 {
        0 => (false, 0),
        1 => (true, 10 * i32::from(data[1] >> 2).max(1)),
        2 => (true, 2_500_000),
        _ => (true, i32::from(data[1] >> 2) - 32),
    };
    let mut seed = u32::from(data[2]) | 1;
    let stream = &data[3..];
    let new = |single| Memory::new(chunk, counting, window, single);

    let (mut whole, mut whole1) = (new(false), new(true));
    let a = feed(&mut whole, stream, || usize::MAX);
    let a1 = feed(&mut whole1, stream, || usize::MAX);
    assert_eq!(events(&a), events(&a1));
    assert_eq!(whole.acks, whole1.acks);
    assert_eq!(whole.bytes_in, whole1.bytes_in);

    let (mut split, mut split1) = (new(false), new(true));
    let mut pieces = || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        1 + (seed >> 16) as usize % 40
    };
    let b = feed(&mut split, stream, &mut pieces);
    let b1 = feed(&mut split1, stream, &mut pieces);
    assert_eq!(events(&a), events(&b));
    assert_eq!(a1, b1, "one chunk per call: the same calls");
    assert_eq!(whole.acks, split.acks);
    assert_eq!(whole1.acks, split1.acks);
});
