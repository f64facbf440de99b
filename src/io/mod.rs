//! The transport: every byte the library moves passes here. Connecting ([`net`]: resolution,
//! IPv6, SOCKS4, bounded connects), the socket buffer of `RTMPSockBuf` (fill, direct receive,
//! send, vectored send, close, drain-before-close), TLS on top of the socket ([`tls`]), and the
//! small HTTP client ([`http`]).
//!
//! Everything here reads the struct fields at every call (consumers set `sb_socket` and read
//! `sb_size` between calls). While TLS is on, `sb_ssl` points to a [`tls::Shared`] session and
//! every receive and send goes through it; it is NULL otherwise, as consumers test it.

pub mod crypt;
pub mod http;
pub mod net;
pub mod tls;

use std::io::IoSlice;
use std::os::raw::{c_int, c_void};
use std::sync::Arc;
use std::time::Duration;

use crate::abi::conv;
use crate::abi::globals;
use crate::abi::types::{RTMPSockBuf, RTMP_BUFFER_CACHE_SIZE};
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

fn set_errno(e: c_int) {
    // SAFETY: errno is thread-local and always addressable.
    unsafe { *libc::__errno_location() = e };
}

/// A reference to the TLS session in `sb_ssl`, or `None` when TLS is off.
///
/// # Safety
/// `sb` must point to a valid `RTMPSockBuf` whose `sb_ssl` is NULL or was set by [`attach`].
unsafe fn session_of(sb: *const RTMPSockBuf) -> Option<Arc<tls::Shared>> {
    // SAFETY: caller contract. The unlocked read only decides whether TLS is on at all; the
    // pointer is read again under the slot lock before a reference is taken.
    unsafe {
        if std::ptr::addr_of!((*sb).sb_ssl).read_volatile().is_null() {
            return None;
        }
        let _held = tls::SLOT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let p = std::ptr::addr_of!((*sb).sb_ssl).read_volatile() as *const tls::Shared;
        if p.is_null() {
            return None;
        }
        Arc::increment_strong_count(p);
        Some(Arc::from_raw(p))
    }
}

/// Puts a session into `sb_ssl` (which holds one reference from then on).
///
/// # Safety
/// `sb` must point to a valid `RTMPSockBuf` whose `sb_ssl` is NULL.
unsafe fn attach(sb: *mut RTMPSockBuf, s: tls::Session) {
    let shared = Arc::new(tls::Shared {
        session: std::sync::Mutex::new(s),
    });
    let _held = tls::SLOT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: caller contract.
    unsafe { (*sb).sb_ssl = Arc::into_raw(shared) as *mut c_void };
}

/// Takes the session out of `sb_ssl` (now NULL) and sends close_notify unless another thread
/// is using it at this moment (it then goes away when that thread is done).
///
/// # Safety
/// `sb` must point to a valid `RTMPSockBuf` whose `sb_ssl` is NULL or was set by [`attach`].
unsafe fn detach(sb: *mut RTMPSockBuf) {
    // SAFETY: caller contract; the reference `sb_ssl` held is taken over here.
    unsafe {
        if std::ptr::addr_of!((*sb).sb_ssl).read_volatile().is_null() {
            return;
        }
        let p = {
            let _held = tls::SLOT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
            let p = (*sb).sb_ssl as *const tls::Shared;
            (*sb).sb_ssl = std::ptr::null_mut();
            p
        };
        if p.is_null() {
            return;
        }
        let shared = Arc::from_raw(p);
        let fd = (*sb).sb_socket;
        if fd != -1 {
            if let Ok(mut s) = shared.session.try_lock() {
                s.close_notify(fd);
            }
        }
        drop(shared);
    }
}

/// Runs `f` on the TLS session of `sb`, if TLS is on.
///
/// # Safety
/// As [`session_of`].
unsafe fn with_session<R>(
    sb: *const RTMPSockBuf,
    f: impl FnOnce(&mut tls::Session, c_int) -> R,
) -> Option<R> {
    // SAFETY: caller contract.
    let shared = unsafe { session_of(sb) }?;
    // SAFETY: as above; the descriptor is read at the call, as everywhere here.
    let fd = unsafe { (*sb).sb_socket };
    let mut s = shared.session.lock().unwrap_or_else(|e| e.into_inner());
    Some(f(&mut s, fd))
}

/// Gives a socket that the caller connected (`RTMP_Connect1` after the caller's own connect,
/// as curl does) the receive and send timeouts that `RTMP_Connect0` gives its own sockets
/// (`seconds`, when positive): each only where none is set, so a caller's own choice stays.
/// Without them a peer that stops reading (or sending) blocks a write (or read) for ever.
/// Returns which were set: (receive, send).
pub fn default_timeouts(fd: c_int, seconds: c_int) -> (bool, bool) {
    if seconds <= 0 || fd < 0 {
        return (false, false);
    }
    let set = |opt: c_int| -> bool {
        if socket_timeout(fd, opt).is_some() {
            return false;
        }
        let tv = libc::timeval {
            tv_sec: libc::time_t::from(seconds),
            tv_usec: 0,
        };
        // SAFETY: `tv` is a valid timeval of the given size.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            ) == 0
        }
    };
    (set(libc::SO_RCVTIMEO), set(libc::SO_SNDTIMEO))
}

/// The socket's `SO_RCVTIMEO` or `SO_SNDTIMEO` (`opt`); `None` when it is not set (zero) or
/// cannot be read.
fn socket_timeout(fd: c_int, opt: c_int) -> Option<libc::timeval> {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let mut len = std::mem::size_of::<libc::timeval>() as libc::socklen_t;
    // SAFETY: `tv` and `len` describe a writable timeval.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            opt,
            (&mut tv as *mut libc::timeval).cast(),
            &mut len,
        )
    };
    (rc == 0 && (tv.tv_sec != 0 || tv.tv_usec != 0)).then_some(tv)
}

/// The socket's receive timeout (`SO_RCVTIMEO`, which librtmp and curl set) in milliseconds
/// for `poll`, -1 when none.
fn receive_timeout_ms(fd: c_int) -> c_int {
    let Some(tv) = socket_timeout(fd, libc::SO_RCVTIMEO) else {
        return -1;
    };
    let ms = tv.tv_sec * 1000 + tv.tv_usec / 1000;
    ms.clamp(1, c_int::MAX as i64) as c_int
}

/// A TLS receive as the plain path reports it: bytes, 0 at the peer's close_notify, or -1
/// with `errno` set (`EAGAIN` for a receive timeout; `EPROTO` after an ERROR line for a TLS
/// failure). The session is held only while bytes are taken and decrypted, never while the
/// socket is waited for, so another thread can send (or close) meanwhile, as over TCP.
///
/// # Safety
/// `sb` valid with TLS on; `buf` writable for `len` bytes.
unsafe fn tls_recv(sb: *mut RTMPSockBuf, buf: *mut u8, len: usize) -> Option<isize> {
    loop {
        // SAFETY: caller contract.
        let got =
            unsafe { with_session(sb, |s, fd| (fd, s.recv_now(fd, conv::bytes_mut(buf, len)))) }?;
        let (fd, result) = got;
        match result {
            Ok(n) => return Some(n as isize),
            Err(tls::RecvError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                let n = unsafe { libc::poll(&mut pfd, 1, receive_timeout_ms(fd)) };
                if n == 0 {
                    set_errno(libc::EAGAIN);
                    return Some(-1);
                }
                if n < 0 {
                    return Some(-1); // errno from poll (EINTR: the caller retries)
                }
            }
            Err(tls::RecvError::Io(e)) => {
                set_errno(e.raw_os_error().unwrap_or(libc::EIO));
                return Some(-1);
            }
            Err(tls::RecvError::Tls(why)) => {
                crate::rtmp_log!(log::ERROR, "RTMPSockBuf_Fill, TLS: {why}");
                set_errno(libc::EPROTO);
                return Some(-1);
            }
        }
    }
}

/// One receive into `buf[..len]`: `recv`, or through the TLS session.
///
/// # Safety
/// `sb` valid; `buf` writable for `len` bytes.
pub unsafe fn recv_raw(sb: *mut RTMPSockBuf, buf: *mut u8, len: usize) -> isize {
    // SAFETY: caller contract.
    unsafe {
        if let Some(n) = tls_recv(sb, buf, len) {
            return n;
        }
        libc::recv((*sb).sb_socket, buf as *mut c_void, len, 0)
    }
}

/// One `readv` into `a[..alen]` then `b[..blen]` (with TLS, only `a` is read).
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
    unsafe {
        if let Some(n) = tls_recv(sb, a, alen) {
            return n;
        }
        libc::readv((*sb).sb_socket, iov.as_ptr(), 2)
    }
}

/// How many received bytes the kernel holds for the plain socket of `sb` (`FIONREAD`); `None`
/// with TLS (whose records do not map to RTMP bytes) or when the query fails.
///
/// # Safety
/// `sb` must point to a valid `RTMPSockBuf`.
pub unsafe fn kernel_unread(sb: *const RTMPSockBuf) -> Option<usize> {
    // SAFETY: caller contract; FIONREAD writes one int.
    unsafe {
        if session_of(sb).is_some() {
            return None;
        }
        let mut n: c_int = 0;
        if libc::ioctl((*sb).sb_socket, libc::FIONREAD, &mut n as *mut c_int) != 0 {
            return None;
        }
        usize::try_from(n).ok()
    }
}

/// `RTMPSockBuf_Fill`: appends what one receive returns to the unread bytes; returns the count,
/// 0 on EOF or receive timeout (`sb_timedout` set), -1 on error. Retries on `EINTR` unless
/// `RTMP_ctrlC` is set.
///
/// # Safety
/// `sb` must point to a valid `RTMPSockBuf`.
pub unsafe fn fill(sb: *mut RTMPSockBuf) -> c_int {
    // SAFETY: caller contract.
    unsafe { fill_upto(sb, usize::MAX) }
}

/// [`fill`] receiving at most `max` (> 0) bytes.
///
/// # Safety
/// `sb` must point to a valid `RTMPSockBuf`.
pub unsafe fn fill_upto(sb: *mut RTMPSockBuf, max: usize) -> c_int {
    // SAFETY: caller contract; the receive targets the free tail of sb_buf.
    unsafe {
        if !compact(sb) {
            crate::rtmp_log!(log::ERROR, "RTMPSockBuf_Fill, inconsistent buffer state");
            return -1;
        }
        loop {
            let size = (*sb).sb_size as usize;
            let room = (SB_CAPACITY - size).min(max.max(1));
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

/// Receives directly into `dst[..len]`, letting a surplus of at most `surplus` bytes land in
/// the (empty) `sb_buf`. Returns the bytes written to `dst` (> 0), or the `fill`-style 0 / -1.
/// The surplus is added to `sb_size`.
///
/// # Safety
/// `sb` valid with `sb_size == 0`; `dst` writable for `len` bytes.
pub unsafe fn recv_direct(sb: *mut RTMPSockBuf, dst: *mut u8, len: usize, surplus: usize) -> isize {
    // SAFETY: caller contract.
    unsafe {
        let base = std::ptr::addr_of_mut!((*sb).sb_buf) as *mut u8;
        (*sb).sb_start = base as *mut std::os::raw::c_char;
        (*sb).sb_size = 0;
        loop {
            let n = recv2_raw(sb, dst, len, base, SB_CAPACITY.min(surplus));
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

/// A TLS send as the plain path reports it: every byte, or -1 with `errno` set.
fn tls_send(s: &mut tls::Session, fd: c_int, parts: &[IoSlice<'_>]) -> isize {
    match s.send(fd, parts) {
        Ok(n) => n as isize,
        Err(e) => {
            set_errno(e.raw_os_error().unwrap_or(libc::EIO));
            -1
        }
    }
}

/// One `send(fd, buf, len, MSG_NOSIGNAL)`, or the bytes sealed into TLS records and written at
/// once. A peer that has gone away gives `EPIPE`, never `SIGPIPE`: the library runs inside
/// hosts that do not ignore the signal, which would kill them (librtmp's plain `send` does).
///
/// # Safety
/// `sb` valid; `buf` readable for `len` bytes.
pub unsafe fn send_raw(sb: *mut RTMPSockBuf, buf: *const u8, len: usize) -> isize {
    // SAFETY: caller contract.
    unsafe {
        if let Some(n) = with_session(sb, |s, fd| {
            tls_send(s, fd, &[IoSlice::new(conv::bytes_n(buf, len))])
        }) {
            return n;
        }
        libc::send(
            (*sb).sb_socket,
            buf as *const c_void,
            len,
            libc::MSG_NOSIGNAL,
        )
    }
}

/// One `sendmsg` (`writev` with `MSG_NOSIGNAL`, see [`send_raw`]) of at most [`MAX_IOV`]
/// iovecs; with TLS, all of them sealed into as few records as possible (up to 16 KB each) and
/// written together. Returns the bytes taken.
///
/// # Safety
/// `sb` valid; every iovec readable.
pub unsafe fn send_vectored_raw(sb: *mut RTMPSockBuf, iov: &[libc::iovec]) -> isize {
    let iov = &iov[..iov.len().min(MAX_IOV)];
    // SAFETY: caller contract; `IoSlice` is ABI-compatible with `iovec` on Unix.
    unsafe {
        if let Some(n) = with_session(sb, |s, fd| {
            let parts = std::slice::from_raw_parts(iov.as_ptr() as *const IoSlice<'_>, iov.len());
            tls_send(s, fd, parts)
        }) {
            return n;
        }
        // (msghdr is plain data: zeroed, then the iovecs are all it needs)
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = iov.as_ptr() as *mut libc::iovec;
        msg.msg_iovlen = iov.len() as _;
        libc::sendmsg((*sb).sb_socket, &msg, libc::MSG_NOSIGNAL)
    }
}

/// [`send_vectored_raw`] without blocking (`MSG_DONTWAIT`), for a plain socket (no TLS):
/// takes what fits now; -1 with `EAGAIN` when nothing does.
///
/// # Safety
/// `sb` valid; every iovec readable.
pub unsafe fn send_vectored_nowait(sb: *mut RTMPSockBuf, iov: &[libc::iovec]) -> isize {
    let iov = &iov[..iov.len().min(MAX_IOV)];
    // SAFETY: caller contract; msghdr is plain data.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = iov.as_ptr() as *mut libc::iovec;
        msg.msg_iovlen = iov.len() as _;
        libc::sendmsg(
            (*sb).sb_socket,
            &msg,
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
        )
    }
}

/// Waits until `fd` can take more bytes, at most `wait`; false on timeout or error
/// (`EINTR` retried with the time left).
pub fn wait_writable(fd: c_int, wait: std::time::Duration) -> bool {
    let end = std::time::Instant::now() + wait;
    loop {
        let left = end.saturating_duration_since(std::time::Instant::now());
        let ms = left.as_millis().clamp(1, c_int::MAX as u128) as c_int;
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let k = unsafe { libc::poll(&mut p, 1, ms) };
        if k > 0 {
            return true;
        }
        if k == 0 || last_errno() != libc::EINTR || left.is_zero() {
            return false;
        }
    }
}

/// Whether TLS is on for this socket buffer.
///
/// # Safety
/// `sb` valid.
pub unsafe fn tls_on(sb: *const RTMPSockBuf) -> bool {
    // SAFETY: caller contract.
    unsafe { !std::ptr::addr_of!((*sb).sb_ssl).read_volatile().is_null() }
}

/// Starts TLS as a client on the connected `sb_socket`: handshake with `host` (SNI for names),
/// certificate checked unless `verify` is false, bounded by `timeout`. On success `sb_ssl`
/// holds the session; on failure the explanation is returned for the caller's ERROR line.
///
/// # Safety
/// `sb` valid, with `sb_ssl` NULL.
pub unsafe fn start_tls_client(
    sb: *mut RTMPSockBuf,
    host: &str,
    verify: bool,
    timeout: Option<Duration>,
) -> Result<String, String> {
    // SAFETY: caller contract.
    let fd = unsafe { (*sb).sb_socket };
    match tls::Session::connect(fd, host, verify, timeout) {
        Ok(s) => {
            let v = s.version();
            // SAFETY: caller contract.
            unsafe { attach(sb, s) };
            Ok(v)
        }
        Err(e) => Err(e.describe(host)),
    }
}

/// Starts TLS as a server on the accepted `sb_socket` (`RTMP_TLS_Accept`).
///
/// # Safety
/// `sb` valid, with `sb_ssl` NULL.
pub unsafe fn start_tls_server(
    sb: *mut RTMPSockBuf,
    cfg: Arc<rustls::ServerConfig>,
    timeout: Option<Duration>,
) -> Result<String, String> {
    // SAFETY: caller contract.
    let fd = unsafe { (*sb).sb_socket };
    match tls::Session::accept(fd, cfg, timeout) {
        Ok(s) => {
            let v = s.version();
            // SAFETY: caller contract.
            unsafe { attach(sb, s) };
            Ok(v)
        }
        Err(e) => Err(e.describe("the client")),
    }
}

/// Ends TLS on `sb` (close_notify, session freed, `sb_ssl` = NULL) and leaves the socket open.
///
/// # Safety
/// `sb` valid.
pub unsafe fn end_tls(sb: *mut RTMPSockBuf) {
    // SAFETY: caller contract.
    unsafe { detach(sb) }
}

/// Shuts a socket down in both directions (which wakes a receive blocked on it in another
/// thread) and closes it.
pub fn wake_and_close(fd: c_int) {
    // SAFETY: plain syscalls on a descriptor the caller owns and gives up.
    unsafe {
        libc::shutdown(fd, libc::SHUT_RDWR);
        libc::close(fd);
    }
}

/// `RTMPSockBuf_Close`: TLS close_notify and the session freed (`sb_ssl` = NULL), then
/// `close(sb_socket)` when it is open (the field itself is left for the caller, as librtmp).
///
/// # Safety
/// `sb` valid.
pub unsafe fn close(sb: *mut RTMPSockBuf) -> c_int {
    // SAFETY: caller contract.
    unsafe {
        detach(sb);
        let fd = (*sb).sb_socket;
        if fd != -1 {
            return libc::close(fd);
        }
    }
    0
}

/// The graceful end of a publishing session: TLS close_notify, then the sending side closed
/// (FIN after the last message), then whatever the server still sends read and discarded until
/// it closes its side, at most `timeout` seconds (`Link.timeout`; 30 s when not positive).
/// Closing a socket with unread bytes in its receive queue makes the kernel send RST, and the
/// server then drops what it had not read yet: the tail of the stream (librtmp 2.4 loses the
/// last frames this way). The socket stays open for the caller to close.
///
/// # Safety
/// `sb` valid.
pub unsafe fn drain_before_close(sb: *mut RTMPSockBuf, timeout: c_int) {
    // SAFETY: caller contract.
    let fd = unsafe {
        detach(sb);
        (*sb).sb_socket
    };
    if fd == -1 {
        return;
    }
    let secs = if timeout > 0 { timeout as u64 } else { 30 };
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    // SAFETY: plain syscalls on the session's socket, which stays open until the caller closes
    // it; the scratch buffer is local.
    unsafe {
        if libc::shutdown(fd, libc::SHUT_WR) != 0 {
            return;
        }
        let mut scratch = [0u8; 16384];
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                crate::rtmp_log!(
                    log::DEBUG,
                    "RTMP_Close, the server did not close within {secs} s"
                );
                return;
            }
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = left.as_millis().clamp(1, i32::MAX as u128) as c_int;
            let n = libc::poll(&mut pfd, 1, ms);
            if n < 0 {
                if errno() == libc::EINTR {
                    continue;
                }
                return;
            }
            if n == 0 {
                continue;
            }
            let k = libc::recv(
                fd,
                scratch.as_mut_ptr() as *mut c_void,
                scratch.len(),
                libc::MSG_DONTWAIT,
            );
            if k == 0 {
                return; // the server closed: it has read everything we sent
            }
            if k < 0 {
                let e = errno();
                if e == libc::EINTR || e == libc::EAGAIN || e == libc::EWOULDBLOCK {
                    continue;
                }
                return;
            }
        }
    }
}

/// libc's `strerror` text (the reference logs it; Rust's `io::Error` text differs).
pub fn strerror(e: c_int) -> String {
    // SAFETY: strerror returns a NUL-terminated static or thread-local string.
    unsafe { conv::cstr_lossy(libc::strerror(e)).into_owned() }
}

/// The `errno` of the last failed call, for logs.
pub fn last_errno() -> c_int {
    errno()
}

/// librtmp's clock (`RTMP_GetTime`): the process's clock in milliseconds (`times()` ticks
/// scaled by the clock rate, wrapping like librtmp's), 0 if the rate is unknown.
pub fn get_time() -> u32 {
    // SAFETY: times() only writes the struct we pass; sysconf has no preconditions.
    let (ticks, per_sec) = unsafe {
        let mut t: libc::tms = std::mem::zeroed();
        (
            libc::times(&mut t) as i64,
            libc::sysconf(libc::_SC_CLK_TCK) as i64,
        )
    };
    if per_sec <= 0 {
        return 0;
    }
    (ticks.wrapping_mul(1000) / per_sec) as u32
}

/// The address a connected socket is connected to.
pub fn peer_addr(fd: c_int) -> Option<std::net::SocketAddr> {
    use std::os::fd::BorrowedFd;
    if fd < 0 {
        return None;
    }
    // SAFETY: the descriptor is open for the duration of this call (the caller's socket); it
    // is only borrowed, never closed here.
    let b = unsafe { BorrowedFd::borrow_raw(fd) };
    let owned = b.try_clone_to_owned().ok()?;
    let s = std::net::TcpStream::from(owned);
    s.peer_addr().ok()
}

/// Puts the connection `new` on the descriptor number `old` (which keeps its number, so a
/// caller polling it sees the new connection) and closes `new`'s own number.
pub fn replace_fd(old: c_int, new: c_int) -> bool {
    // SAFETY: plain descriptor calls on numbers owned by the caller.
    unsafe {
        let ok = libc::dup2(new, old) == old;
        libc::close(new);
        ok
    }
}

/// Four bytes from the OS random source (`getrandom`), for key material.
pub fn os_random_word() -> u32 {
    let mut b = [0u8; 4];
    let mut got = 0;
    while got < b.len() {
        // SAFETY: writes at most the remaining bytes of `b`.
        let n = unsafe { libc::getrandom(b[got..].as_mut_ptr().cast(), b.len() - got, 0) };
        if n > 0 {
            got += n as usize;
        } else if io_errno_is_intr() {
            continue;
        } else {
            // No OS randomness at all (never on Linux >= 3.17): fall back to /dev/urandom.
            use std::io::Read;
            if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
                if f.read_exact(&mut b).is_ok() {
                    break;
                }
            }
            panic!("no OS random source");
        }
    }
    u32::from_ne_bytes(b)
}

fn io_errno_is_intr() -> bool {
    errno() == libc::EINTR
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    fn sockbuf(fd: c_int) -> Box<RTMPSockBuf> {
        // SAFETY: RTMPSockBuf is plain C data; all-zero is its state after RTMP_Init.
        let mut sb: Box<RTMPSockBuf> = Box::new(unsafe { std::mem::zeroed() });
        sb.sb_socket = fd;
        sb
    }

    /// Over TLS, a thread blocked in a receive does not hold up a send from another thread,
    /// and the receive timeout of the socket (SO_RCVTIMEO) still applies.
    #[test]
    fn tls_send_while_another_thread_waits_to_receive() {
        let dir = tls::loopback::certs("io");
        let cfg = tls::server_config(
            &dir.join("ec.pem").to_string_lossy(),
            &dir.join("ec8.key").to_string_lossy(),
        )
        .unwrap();
        let (a, b) = UnixStream::pair().unwrap();
        a.set_read_timeout(Some(Duration::from_millis(1500)))
            .unwrap();
        let server = std::thread::spawn(move || {
            let mut sb = sockbuf(b.as_raw_fd());
            // SAFETY: a valid socket buffer with sb_ssl NULL.
            unsafe { start_tls_server(&mut *sb, cfg, Some(Duration::from_secs(5))).unwrap() };
            let mut buf = [0u8; 5];
            // SAFETY: as above; `buf` is writable.
            let n = unsafe { recv_raw(&mut *sb, buf.as_mut_ptr(), 5) };
            assert_eq!(&buf[..n as usize], b"hello");
            // SAFETY: as above.
            unsafe { end_tls(&mut *sb) };
            drop(b);
        });
        let mut sb = sockbuf(a.as_raw_fd());
        // SAFETY: a valid socket buffer with sb_ssl NULL.
        unsafe { start_tls_client(&mut *sb, "127.0.0.1", false, None).unwrap() };
        let sb_addr = &mut *sb as *mut RTMPSockBuf as usize;
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 16];
            let t0 = Instant::now();
            // SAFETY: the socket buffer outlives this thread (joined below).
            let n = unsafe { recv_raw(sb_addr as *mut RTMPSockBuf, buf.as_mut_ptr(), 16) };
            (n, t0.elapsed())
        });
        std::thread::sleep(Duration::from_millis(200));
        let t0 = Instant::now();
        // SAFETY: as above; the bytes are readable.
        let sent = unsafe { send_raw(&mut *sb, b"hello".as_ptr(), 5) };
        assert_eq!(sent, 5);
        assert!(
            t0.elapsed() < Duration::from_millis(500),
            "the send waited for the reader"
        );
        server.join().unwrap();
        // The server ended TLS cleanly: the waiting reader sees the end (0).
        let (n, _) = reader.join().unwrap();
        assert_eq!(n, 0);
        // Nothing more arrives: the next receive times out after SO_RCVTIMEO.
        let t0 = Instant::now();
        let mut buf = [0u8; 16];
        // SAFETY: as above.
        let n = unsafe { recv_raw(&mut *sb, buf.as_mut_ptr(), 16) };
        assert!(n <= 0);
        assert!(t0.elapsed() < Duration::from_secs(3));
        // SAFETY: as above; `close` frees the session (the descriptor is `a`'s, closed by it).
        unsafe { detach(&mut *sb) };
        let _ = std::fs::remove_dir_all(&dir);
    }
}
