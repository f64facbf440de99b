//! An FLV byte stream through `RTMP_Write`, in random pieces, into a socketpair.
//!
//! Input: byte 0 = configuration (out chunk size, write mode, log level), bytes 1..9 = the seed
//! of the split pattern, the rest = the FLV stream (mutated by the fuzzer: headers, sizes,
//! types, truncation). The stream is written once whole and once in random pieces (1 byte up
//! to a few KB); every call must report all its bytes consumed, or -1 for a tag the library
//! refuses (a data tag too large for a message once `@setDataFrame` is added), after which
//! nothing more is written; both runs must fail alike and put exactly the same bytes on the
//! wire, `RTMP_Close` included.
#![no_main]

use std::io::Read;
use std::os::unix::io::FromRawFd;

use libfuzzer_sys::fuzz_target;
use rtmp::ffi::client::RTMP_Close;
use rtmp::ffi::log::RTMP_LogSetLevel;
use rtmp::ffi::rtmp::{RTMP_Alloc, RTMP_EnableWrite, RTMP_Free, RTMP_Init};
use rtmp::ffi::write::RTMP_Write;

extern "C" {
    fn RTMP_LogSetOutput(file: *mut libc::FILE);
}

const CHUNK_SIZES: [i32; 4] = [128, 4096, 1, 60000];

/// Writes `stream` cut at `cuts` (ascending end offsets), returns what the peer received and
/// whether a write was refused.
fn run(stream: &[u8], cuts: &[usize], chunk: i32, write_mode: bool) -> (Vec<u8>, bool) {
    unsafe {
        let mut sv = [0i32; 2];
        assert_eq!(
            libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()),
            0
        );
        let mut peer = std::fs::File::from_raw_fd(sv[1]);
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            let _ = peer.read_to_end(&mut got);
            got // dropping `peer` closes it: RTMP_Close's drain sees EOF
        });
        let r = RTMP_Alloc();
        RTMP_Init(r);
        (*r).m_sb.sb_socket = sv[0];
        (*r).m_stream_id = 1;
        (*r).m_outChunkSize = chunk;
        (*r).Link.timeout = 5;
        if write_mode {
            RTMP_EnableWrite(r);
        }
        let mut from = 0;
        let mut refused = false;
        for &to in cuts {
            let piece = &stream[from..to];
            let n = RTMP_Write(r, piece.as_ptr() as *const libc::c_char, piece.len() as i32);
            if n == -1 {
                refused = true;
                break;
            }
            assert_eq!(n, piece.len() as i32, "RTMP_Write of [{from}, {to})");
            from = to;
        }
        RTMP_Close(r);
        assert!((*r).m_write.m_body.is_null());
        RTMP_Free(r);
        (reader.join().unwrap(), refused)
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 || data.len() > 100_000 {
        return;
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| unsafe {
        let null = libc::fopen(c"/dev/null".as_ptr(), c"w".as_ptr());
        RTMP_LogSetOutput(null);
    });
    let cfg = data[0];
    RTMP_LogSetLevel(if cfg & 0x80 != 0 {
        rtmp::log::DEBUG2
    } else {
        rtmp::log::CRIT
    });
    let chunk = CHUNK_SIZES[(cfg & 3) as usize];
    let write_mode = cfg & 4 != 0;
    let mut seed = u64::from_le_bytes(data[1..9].try_into().unwrap()) | 1;
    let stream = &data[9..];

    let mut cuts = Vec::new();
    let mut at = 0usize;
    while at < stream.len() {
        // xorshift64
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let max = match seed & 3 {
            0 => 3,
            1 => 16,
            2 => 200,
            _ => 5000,
        };
        at = (at + 1 + ((seed >> 8) as usize % max)).min(stream.len());
        cuts.push(at);
    }
    let whole = run(stream, &[stream.len()], chunk, write_mode);
    let split = run(stream, &cuts, chunk, write_mode);
    assert!(whole == split, "a split changed what was sent, or whether a write was refused");
});
