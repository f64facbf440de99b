//! Arbitrary client bytes to `RTMP_Serve` (the server handshake, plain or RTMPE) and then to
//! `RTMP_ReadPacket` for the client's first messages, over a socketpair, as a server built on
//! librtmp (rtmpsrv) uses them.
//!
//! Input: byte 0 is the configuration (bit 0: the peer's first byte is forced to 3, a plain
//! handshake, so the messages after it are reached more often; bit 1: logs at DEBUG2, to
//! /dev/null), the rest is what the client sends, then EOF. Checks: no panic, no memory error
//! (ASan), and every call returns: `RTMP_Serve` fails unless the client's version byte is one
//! librtmp serves (3, 6, 8 or 9); after a served handshake, packets are read until
//! `RTMP_ReadPacket` fails (the stream always ends) and freed like a consumer; the handle
//! closes and frees cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtmp::abi::types::RTMPPacket;
use rtmp::ffi::chunk::RTMP_ReadPacket;
use rtmp::ffi::client::RTMP_Close;
use rtmp::ffi::log::RTMP_LogSetLevel;
use rtmp::ffi::packet::RTMPPacket_Free;
use rtmp::ffi::rtmp::{RTMP_Alloc, RTMP_Free, RTMP_Init};
use rtmp::ffi::serve::RTMP_Serve;

extern "C" {
    fn RTMP_LogSetOutput(file: *mut libc::FILE);
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() || data.len() > 200_000 {
        return;
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| unsafe {
        let null = libc::fopen(c"/dev/null".as_ptr(), c"w".as_ptr());
        RTMP_LogSetOutput(null);
    });
    let cfg = data[0];
    RTMP_LogSetLevel(if cfg & 2 != 0 {
        rtmp::log::DEBUG2
    } else {
        rtmp::log::CRIT
    });
    let mut stream = data[1..].to_vec();
    if cfg & 1 != 0 && !stream.is_empty() {
        stream[0] = 3;
    }
    unsafe {
        let mut sv = [0i32; 2];
        if libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()) != 0 {
            return;
        }
        // Buffers big enough for the whole input one way and the server's answers (S0+S1+S2,
        // acknowledgements) the other: no thread needed, nothing blocks.
        let sz: libc::c_int = 1 << 20;
        for fd in sv {
            for opt in [libc::SO_SNDBUF, libc::SO_RCVBUF] {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    opt,
                    &sz as *const _ as *const libc::c_void,
                    4,
                );
            }
        }
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
        (*r).Link.timeout = 1;
        let served = RTMP_Serve(r) != 0;
        if served {
            assert!(
                matches!(stream.first(), Some(3 | 6 | 8 | 9)),
                "served a handshake with version byte {:?}",
                stream.first()
            );
            let mut p: RTMPPacket = std::mem::zeroed();
            let mut reads = 0;
            while RTMP_ReadPacket(r, &mut p) != 0 {
                reads += 1;
                assert!(reads < 1_000_000, "RTMP_ReadPacket never failed");
                if p.m_nBytesRead == p.m_nBodySize && !p.m_body.is_null() {
                    RTMPPacket_Free(&mut p);
                }
            }
            RTMPPacket_Free(&mut p);
        }
        RTMP_Close(r);
        RTMP_Free(r);
        libc::close(sv[0]);
    }
});
