//! Arbitrary bytes as an RTMPT server's answers.
//!
//! First the response-head parser and the session-id rule on the raw input; then the whole
//! input as the byte stream of a tunnel under `RTMP_ReadPacket` over a socketpair (head parsing,
//! splicing bodies across responses, the interval byte, RC4 when byte 0 asks for it), until the
//! read fails (the stream always ends). Never a panic, an out-of-bounds access or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtmp::abi::types::{RTMPPacket, RTMP_FEATURE_HTTP};
use rtmp::driver::chunk::reset_transport;
use rtmp::driver::wire;
use rtmp::ffi::chunk::RTMP_ReadPacket;
use rtmp::ffi::log::RTMP_LogSetLevel;
use rtmp::ffi::packet::RTMPPacket_Free;
use rtmp::ffi::rtmp::{RTMP_Alloc, RTMP_Free, RTMP_Init};
use rtmp_core::rtmpt;

extern "C" {
    fn RTMP_LogSetOutput(file: *mut libc::FILE);
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() || data.len() > 100_000 {
        return;
    }
    if let Ok(Some(h)) = rtmpt::parse_head(data) {
        assert!(h.len <= data.len() && h.content_length >= 1);
        assert!(u64::from(h.content_length) <= rtmpt::MAX_CONTENT_LENGTH);
    }
    if let Some(id) = rtmpt::client_id(data) {
        assert!(id.len() >= 2 && id[0] == b'/' && id.len() <= rtmpt::MAX_CLIENT_ID + 1);
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| unsafe {
        let null = libc::fopen(c"/dev/null".as_ptr(), c"w".as_ptr());
        RTMP_LogSetOutput(null);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    });
    RTMP_LogSetLevel(rtmp::log::CRIT);
    let cfg = data[0];
    let stream = &data[1..];
    unsafe {
        let mut sv = [0i32; 2];
        if libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()) != 0 {
            return;
        }
        let sz: libc::c_int = 1 << 20;
        for fd in sv {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                &sz as *const _ as *const libc::c_void,
                4,
            );
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
        (*r).Link.protocol = RTMP_FEATURE_HTTP;
        (*r).Link.timeout = 1;
        (*r).m_clientID = rtmp::abi::conv::malloc_aval(b"/fuzz").unwrap();
        (*r).m_inChunkSize = if cfg & 2 != 0 { 4096 } else { 128 };
        if cfg & 1 != 0 {
            let keys = rtmp_core::handshake::RtmpeKeys {
                outbound: [1; 16],
                inbound: [2; 16],
            };
            wire::install_keys(r, &keys);
        }
        let mut p: RTMPPacket = std::mem::zeroed();
        for _ in 0..100_000 {
            if RTMP_ReadPacket(r, &mut p) == 0 {
                break;
            }
            if p.m_nBytesRead == p.m_nBodySize {
                if !p.m_body.is_null() {
                    let b =
                        std::slice::from_raw_parts(p.m_body as *const u8, p.m_nBodySize as usize);
                    std::hint::black_box(b.iter().fold(0u8, |a, x| a ^ x));
                }
                RTMPPacket_Free(&mut p);
            }
        }
        RTMPPacket_Free(&mut p);
        libc::free((*r).m_clientID.av_val as *mut libc::c_void);
        (*r).m_clientID = rtmp::abi::types::AVal::EMPTY;
        reset_transport(r);
        RTMP_Free(r);
        libc::close(sv[0]);
    }
});
