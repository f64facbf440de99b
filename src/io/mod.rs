//! Socket primitives on `RTMPSockBuf`: the receive buffer and the raw send calls.
//!
//! Everything here reads the struct fields at every call (consumers set `sb_socket` and read
//! `sb_size` between calls). TLS is a seam: `sb_ssl` is treated as NULL for now; the TLS issue
//! replaces the bodies of [`recv_raw`], [`recv2_raw`] and [`send_vectored_raw`] when it is set.

use std::os::raw::{c_int, c_void};

use crate::ffi::globals;
use crate::ffi::types::{RTMPSockBuf, RTMP_BUFFER_CACHE_SIZE};
use crate::log;

/// Usable bytes of `sb_buf` (librtmp keeps the last byte free for a NUL terminator).
pub const SB_CAPACITY: usize = RTMP_BUFFER_CACHE_SIZE - 1;
/// Linux's `UIO_MAXIOV`: the most iovecs one `writev` accepts.
pub const MAX_IOV: usize = 1024;

fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Offset of `sb_start` inside `sb_buf`, or `None` if the fields are inconsistent.
///
/// # Safety
/// `sb` must point to a valid `RTMPSockBuf`.
pub unsafe fn start_offset(sb: *const RTMPSockBuf) -> Option<usize> {
    // SAFETY: caller contract; only addresses are compared.
    let (base, start, size) = unsafe {
        (
            std::ptr::addr_of!((*sb).sb_buf) as usize,
            (*sb).sb_start as usize,
            (*sb).sb_size,
        )
    };
    let size = usize::try_from(size).ok()?;
    if size == 0 {
        return Some(0);
    }
    let off = start.checked_sub(base)?;
    (off.checked_add(size)? <= SB_CAPACITY).then_some(off)
}

/// Moves the unread bytes to the front of `sb_buf` (librtmp never compacts, which can leave no
/// room for the next receive); resets `sb_start` when empty. Returns false when `sb_start` /
/// `sb_size` are inconsistent.
///
/// # Safety
/// `sb` must point to a valid `RTMPSockBuf`.
pub unsafe fn compact(sb: *mut RTMPSockBuf) -> bool {
    // SAFETY: caller contract; the moved range is inside sb_buf (checked by start_offset).
    unsafe {
        let Some(off) = start_offset(sb) else {
            return false;
        };
        let base = std::ptr::addr_of_mut!((*sb).sb_buf) as *mut u8;
        let size = (*sb).sb_size as usize;
        if off != 0 && size != 0 {
            std::ptr::copy(base.add(off), base, size);
        }
        if size == 0 {
            (*sb).sb_size = 0;
        }
        (*sb).sb_start = base as *mut std::os::raw::c_char;
        true
    }
}

/// Outcome of one receive: bytes (> 0), peer closed (0), or failure (-1, errno kept in the
/// log). A receive timeout sets `sb_timedout` and reports 0 like librtmp.
fn handle_recv_error(sb: *mut RTMPSockBuf, n: isize) -> Option<isize> {
    let e = errno();
    crate::rtmp_log!(
        log::DEBUG,
        "RTMPSockBuf_Fill, recv returned {}. GetSockError(): {} ({})",
        n,
        e,
        strerror(e)
    );
    if e == libc::EINTR && !globals::ctrl_c() {
        return None; // retry
    }
    if e == libc::EWOULDBLOCK || e == libc::EAGAIN {
        // SAFETY: `sb` is valid (callers' contract).
        unsafe { (*sb).sb_timedout = 1 };
        return Some(0);
    }
    Some(n)
}

/// One `recv` into `buf[..len]` (TLS seam).
///
/// # Safety
/// `sb` valid; `buf` writable for `len` bytes.
pub unsafe fn recv_raw(sb: *mut RTMPSockBuf, buf: *mut u8, len: usize) -> isize {
    // TLS seam: when sb_ssl is set the TLS issue reads through the session here.
    // SAFETY: caller contract.
    unsafe { libc::recv((*sb).sb_socket, buf as *mut c_void, len, 0) }
}

/// One `readv` into `a[..alen]` then `b[..blen]` (TLS seam: with TLS, only `a` would be read).
///
/// # Safety
/// `sb` valid; both buffers writable for their lengths.
pub unsafe fn recv2_raw(
    sb: *mut RTMPSockBuf,
    a: *mut u8,
    alen: usize,
    b: *mut u8,
    blen: usize,
) -> isize {
    let iov = [
        libc::iovec {
            iov_base: a as *mut c_void,
            iov_len: alen,
        },
        libc::iovec {
            iov_base: b as *mut c_void,
            iov_len: blen,
        },
    ];
    // SAFETY: caller contract; iov describes the two writable buffers.
    unsafe { libc::readv((*sb).sb_socket, iov.as_ptr(), 2) }
}

/// `RTMPSockBuf_Fill`: appends what one receive returns to the unread bytes; returns the count,
/// 0 on EOF or receive timeout (`sb_timedout` set), -1 on error. Retries on `EINTR` unless
/// `RTMP_ctrlC` is set.
///
/// # Safety
/// `sb` must point to a valid `RTMPSockBuf`.
pub unsafe fn fill(sb: *mut RTMPSockBuf) -> c_int {
    // SAFETY: caller contract; the receive targets the free tail of sb_buf.
    unsafe {
        if !compact(sb) {
            crate::rtmp_log!(log::ERROR, "RTMPSockBuf_Fill, inconsistent buffer state");
            return -1;
        }
        loop {
            let size = (*sb).sb_size as usize;
            let room = SB_CAPACITY - size;
            let dst = ((*sb).sb_start as *mut u8).add(size);
            let n = recv_raw(sb, dst, room);
            if n >= 0 {
                (*sb).sb_size += n as c_int;
                return n as c_int;
            }
            if let Some(r) = handle_recv_error(sb, n) {
                return r as c_int;
            }
        }
    }
}

/// Receives directly into `dst[..len]`, letting any surplus land in the (empty) `sb_buf`.
/// Returns the bytes written to `dst` (> 0), or the `fill`-style 0 / -1. The surplus is added
/// to `sb_size`.
///
/// # Safety
/// `sb` valid with `sb_size == 0`; `dst` writable for `len` bytes.
pub unsafe fn recv_direct(sb: *mut RTMPSockBuf, dst: *mut u8, len: usize) -> isize {
    // SAFETY: caller contract.
    unsafe {
        let base = std::ptr::addr_of_mut!((*sb).sb_buf) as *mut u8;
        (*sb).sb_start = base as *mut std::os::raw::c_char;
        (*sb).sb_size = 0;
        loop {
            let n = recv2_raw(sb, dst, len, base, SB_CAPACITY);
            if n >= 0 {
                let n = n as usize;
                let mine = n.min(len);
                (*sb).sb_size = (n - mine) as c_int;
                return mine as isize;
            }
            if let Some(r) = handle_recv_error(sb, n) {
                return r;
            }
        }
    }
}

/// One `send(fd, buf, len, 0)` (TLS seam).
///
/// # Safety
/// `sb` valid; `buf` readable for `len` bytes.
pub unsafe fn send_raw(sb: *mut RTMPSockBuf, buf: *const u8, len: usize) -> isize {
    // SAFETY: caller contract.
    unsafe { libc::send((*sb).sb_socket, buf as *const c_void, len, 0) }
}

/// One `writev` of at most [`MAX_IOV`] iovecs (TLS seam: with TLS the gathered bytes would go
/// through the session record by record).
///
/// # Safety
/// `sb` valid; every iovec readable.
pub unsafe fn send_vectored_raw(sb: *mut RTMPSockBuf, iov: &[libc::iovec]) -> isize {
    // SAFETY: caller contract.
    unsafe {
        libc::writev(
            (*sb).sb_socket,
            iov.as_ptr(),
            iov.len().min(MAX_IOV) as c_int,
        )
    }
}

/// libc's `strerror` text (the reference logs it; Rust's `io::Error` text differs).
pub fn strerror(e: c_int) -> String {
    // SAFETY: strerror returns a NUL-terminated static or thread-local string.
    unsafe {
        let p = libc::strerror(e);
        if p.is_null() {
            return String::new();
        }
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// The `errno` of the last failed call, for logs.
pub fn last_errno() -> c_int {
    errno()
}
