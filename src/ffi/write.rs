//! `RTMP_Write`: the export; the FLV-to-messages logic is `driver::write`.

use std::os::raw::{c_char, c_int};

use super::boundary::guard_ptr;
use crate::abi::types::RTMP;
use crate::driver::write::write;
use crate::log;

/// `RTMP_Write` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call; `buf` is readable for `size` bytes (when it is positive).
#[no_mangle]
pub unsafe extern "C" fn RTMP_Write(r: *mut RTMP, buf: *const c_char, size: c_int) -> c_int {
    // SAFETY: non-NULL handle; `buf` (checked below) readable for `size` bytes, per the C
    // contract.
    guard_ptr("RTMP_Write", r, -1, || unsafe {
        if size <= 0 {
            if size < 0 {
                crate::rtmp_log!(log::ERROR, "RTMP_Write, negative size {size}");
                return -1;
            }
            return 0;
        }
        if buf.is_null() {
            crate::rtmp_log!(log::ERROR, "RTMP_Write: called with a NULL pointer");
            return -1;
        }
        let data = crate::abi::conv::bytes(buf, size);
        write::<crate::driver::session::Close>(r, data)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::write::{PHASE_IDLE, SET_DATA_FRAME};
    use rtmp_core::flv::{self, file_header, push_tag};

    struct Handle(*mut RTMP, std::os::unix::net::UnixStream);

    impl Handle {
        fn new() -> Handle {
            // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
            let r = unsafe { super::super::rtmp::RTMP_Alloc() };
            // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
            unsafe { super::super::rtmp::RTMP_Init(r) };
            let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
            b.set_nonblocking(true).unwrap();
            // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
            unsafe {
                (*r).m_sb.sb_socket = std::os::unix::io::IntoRawFd::into_raw_fd(a);
                (*r).m_stream_id = 1;
            }
            Handle(r, b)
        }
        fn drain(&mut self) -> Vec<u8> {
            use std::io::Read;
            let mut out = Vec::new();
            let mut b = [0u8; 65536];
            while let Ok(n) = self.1.read(&mut b) {
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&b[..n]);
            }
            out
        }
    }

    impl Drop for Handle {
        fn drop(&mut self) {
            // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
            unsafe {
                super::super::client::RTMP_Close(self.0);
                super::super::rtmp::RTMP_Free(self.0);
            }
        }
    }

    fn clip() -> Vec<u8> {
        let mut f = file_header(5).to_vec();
        push_tag(&mut f, flv::TAG_SCRIPT, 0, b"\x02\x00\x0aonMetaData\x05");
        push_tag(&mut f, flv::TAG_VIDEO, 0, &[0x17; 300]);
        push_tag(&mut f, flv::TAG_AUDIO, 0, &[0xaf, 0, 1]);
        push_tag(&mut f, flv::TAG_VIDEO, 40, &[0x27; 200]);
        push_tag(&mut f, flv::TAG_AUDIO, 23, &[0xaf, 1, 2]);
        push_tag(&mut f, flv::TAG_VIDEO, 0x0100_0000, &[0x27; 5]);
        f
    }

    fn send(pieces: &[&[u8]]) -> Vec<u8> {
        let mut h = Handle::new();
        let mut out = Vec::new();
        for p in pieces {
            // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
            let n = unsafe { RTMP_Write(h.0, p.as_ptr() as *const c_char, p.len() as c_int) };
            assert_eq!(n, p.len() as c_int);
            out.extend(h.drain());
        }
        out
    }

    #[test]
    fn every_split_sends_the_same_bytes() {
        let f = clip();
        let whole = send(&[&f]);
        assert!(whole.len() > 500);
        // data tag: LARGE header on channel 4, type 0x12, stream id 1, @setDataFrame first
        assert_eq!(whole[0], 0x04);
        assert_eq!(whole[7], 0x12);
        assert_eq!(&whole[8..12], &[1, 0, 0, 0]);
        assert_eq!(&whole[12..28], SET_DATA_FRAME);
        let bytes: Vec<&[u8]> = f.chunks(1).collect();
        assert_eq!(send(&bytes), whole);
        for cut in 0..f.len() {
            assert_eq!(send(&[&f[..cut], &f[cut..]]), whole, "cut at {cut}");
        }
        for n in [2, 3, 7, 11, 12, 13, 64, 4096] {
            let pieces: Vec<&[u8]> = f.chunks(n).collect();
            assert_eq!(send(&pieces), whole, "pieces of {n}");
        }
    }

    #[test]
    fn close_resets_a_partial_message() {
        let f = clip();
        let h = Handle::new();
        // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
        let n = unsafe { RTMP_Write(h.0, f.as_ptr() as *const c_char, 20) };
        assert_eq!(n, 20);
        // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
        unsafe { super::super::client::RTMP_Close(h.0) };
        // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
        unsafe {
            assert!((*h.0).m_write.m_body.is_null());
            assert_eq!((*h.0).m_write.m_nBytesRead, 0);
            assert_eq!((*h.0).m_write.m_hasAbsTimestamp, PHASE_IDLE);
        }
    }

    #[test]
    fn send_failure_and_bad_arguments() {
        // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
        let r = unsafe { super::super::rtmp::RTMP_Alloc() };
        // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
        unsafe { super::super::rtmp::RTMP_Init(r) };
        let f = clip();
        // not connected: the first complete tag cannot be sent
        // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
        let n = unsafe { RTMP_Write(r, f.as_ptr() as *const c_char, f.len() as c_int) };
        assert_eq!(n, -1);
        // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
        assert_eq!(unsafe { RTMP_Write(r, f.as_ptr() as *const c_char, 0) }, 0);
        // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
        assert_eq!(unsafe { RTMP_Write(r, std::ptr::null(), 5) }, -1);
        // SAFETY: a NULL handle is refused before use; the buffer is alive.
        let n = unsafe { RTMP_Write(std::ptr::null_mut(), f.as_ptr() as *const c_char, 5) };
        assert_eq!(n, -1);
        // an incomplete tag is only buffered
        // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
        let n = unsafe { RTMP_Write(r, f.as_ptr() as *const c_char, 30) };
        assert_eq!(n, 30);
        // SAFETY: test handle from RTMP_Alloc/RTMP_Init; buffers alive for the call.
        unsafe {
            super::super::client::RTMP_Close(r);
            assert!((*r).m_write.m_body.is_null());
            super::super::rtmp::RTMP_Free(r);
        }
    }
}
