//! Arbitrary bytes fed to `RTMP_ReadPacket` over a socketpair.
//!
//! Input: byte 0 selects the in chunk size and options, the rest is the peer's byte stream.
//! The reader loops until `RTMP_ReadPacket` fails (the stream always ends), capturing raw
//! chunks through `m_chunk` and freeing complete packets like a consumer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtmp::driver::chunk::reset_transport;
use rtmp::ffi::chunk::RTMP_ReadPacket;
use rtmp::ffi::log::RTMP_LogSetLevel;
use rtmp::ffi::packet::RTMPPacket_Free;
use rtmp::ffi::rtmp::{RTMP_Alloc, RTMP_Free, RTMP_Init};
use rtmp::abi::types::{RTMPChunk, RTMPPacket};

extern "C" {
    fn RTMP_LogSetOutput(file: *mut libc::FILE);
}

const CHUNK_SIZES: [i32; 8] = [128, 1, 4, 7, 64, 4096, 65536, 0x7fff_ffff];

fuzz_target!(|data: &[u8]| {
    if data.is_empty() || data.len() > 100_000 {
        return;
    }
    // Errors are expected on most inputs: logs go to /dev/null; bit 6 of the config byte
    // turns on DEBUG2 so the hex-dump paths are exercised too.
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| unsafe {
        let null = libc::fopen(c"/dev/null".as_ptr(), c"w".as_ptr());
        RTMP_LogSetOutput(null);
    });
    RTMP_LogSetLevel(if data.first().is_some_and(|c| c & 64 != 0) {
        rtmp::log::DEBUG2
    } else {
        rtmp::log::CRIT
    });
    let cfg = data[0];
    let stream = &data[1..];
    unsafe {
        let mut sv = [0i32; 2];
        if libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()) != 0 {
            return;
        }
        // Big enough for any input: one write, then EOF.
        let sz: libc::c_int = 1 << 20;
        libc::setsockopt(
            sv[0],
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            &sz as *const _ as *const libc::c_void,
            4,
        );
        let mut off = 0;
        while off < stream.len() {
            let n = libc::write(
                sv[0],
                stream[off..].as_ptr() as *const libc::c_void,
                stream.len() - off,
            );
            if n <= 0 {
                break;
            }
            off += n as usize;
        }
        libc::shutdown(sv[0], libc::SHUT_WR);

        let r = RTMP_Alloc();
        RTMP_Init(r);
        (*r).m_sb.sb_socket = sv[1];
        (*r).m_inChunkSize = CHUNK_SIZES[usize::from(cfg & 7)];
        if cfg & 8 != 0 {
            (*r).m_bSendCounter = 1;
            (*r).m_nClientBW = 1000;
        }
        let mut chunk: RTMPChunk = std::mem::zeroed();
        let mut p: RTMPPacket = std::mem::zeroed();
        if cfg & 16 != 0 {
            p.m_chunk = &mut chunk;
        }
        for _ in 0..100_000 {
            if RTMP_ReadPacket(r, &mut p) == 0 {
                break;
            }
            if p.m_nBytesRead == p.m_nBodySize {
                if !p.m_body.is_null() {
                    // Touch the whole body: the sanitizer checks it is ours and sized right.
                    let b =
                        std::slice::from_raw_parts(p.m_body as *const u8, p.m_nBodySize as usize);
                    std::hint::black_box(b.iter().fold(0u8, |a, x| a ^ x));
                }
                if cfg & 32 != 0 && p.m_nBodySize >= 4 && p.m_packetType == 1 {
                    // What a client does with Set Chunk Size.
                    let b = std::slice::from_raw_parts(p.m_body as *const u8, 4);
                    rtmp::driver::chunk::handle_set_chunk_size(r, b);
                }
                RTMPPacket_Free(&mut p);
            }
        }
        RTMPPacket_Free(&mut p);
        reset_transport(r);
        RTMP_Free(r);
        libc::close(sv[0]);
    }
});
