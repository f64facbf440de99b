//! What the connection does to the RTMP byte stream on its way: RC4 for RTMPE
//! (`Link.rc4keyIn/Out`) and the HTTP tunnel for RTMPT (`Link.protocol & RTMP_FEATURE_HTTP`),
//! below the chunk stream and above [`crate::io`].
//!
//! State lives in librtmp's own fields: `m_clientID` (the session id, with its leading `/`),
//! `m_msgCounter` (the request sequence number), `m_unackd` (requests not answered yet),
//! `m_resplen` and `m_polling` (below), the key streams behind `Link.rc4keyIn/Out`.
//!
//! Receive buffer while tunnelling: the unread bytes of `m_sb` start with the RTMP payload of
//! the responses parsed so far (`min(m_resplen, sb_size)` bytes, already decrypted), followed by
//! raw HTTP bytes not parsed yet; `m_resplen` counts the payload bytes still to hand out, some of
//! which may still be in the socket. When that payload is used up, the next response's head is
//! parsed where it begins and cut out of the buffer, so its payload joins the previous one.
//! Without the tunnel every unread byte is payload; with RC4 it is decrypted when it arrives,
//! so the chunk reader (which may look ahead a few bytes) always sees plain RTMP.
//!
//! Without the tunnel, `m_resplen` holds instead a lower bound of the bytes the kernel holds for
//! the socket (the last `FIONREAD` answer less what was received since; 0 when unknown): see
//! [`PollSafeReads`].
//!
//! `m_polling` keeps the last interval byte (the server's polling hint) in its low 8 bits and
//! [`SERVER_CLOSES`] when the last response announced `Connection: close`, and [`STALLED`]
//! once a receive on the tunnel has failed (no answer in time, EOF, error).

use std::cell::Cell;
use std::os::raw::{c_int, c_void};
use std::ptr::{addr_of, addr_of_mut};
use std::time::{Duration, Instant};

use crate::abi::conv;
use crate::abi::types::*;
use crate::io;
use crate::io::crypt;
use crate::io::net;
use crate::log;
use rtmp_core::handshake::{RtmpeKeys, RtmpeType};
use rtmp_core::rtmpt::{self, Command};

/// `m_polling` bit: the server closes the connection after its last response.
pub const SERVER_CLOSES: c_int = 0x100;
/// `m_polling` bit: a receive on the tunnel failed; [`close`] then does not wait for answers.
const STALLED: c_int = 0x200;

/// Whether the HTTP tunnel is on.
///
/// # Safety
/// `r` valid.
#[inline(always)]
pub unsafe fn tunnelled(r: *const RTMP) -> bool {
    // SAFETY: caller contract.
    unsafe { (*r).Link.protocol & RTMP_FEATURE_HTTP != 0 }
}

/// Whether bytes pass unchanged between the socket and the chunk stream (no tunnel, no RC4).
///
/// # Safety
/// `r` valid.
#[inline(always)]
pub unsafe fn plain(r: *const RTMP) -> bool {
    // SAFETY: caller contract.
    unsafe { !tunnelled(r) && (*r).Link.rc4keyIn.is_null() && (*r).Link.rc4keyOut.is_null() }
}

/// RTMP bytes ready at `sb_start`.
///
/// # Safety
/// `r` valid.
#[inline(always)]
pub unsafe fn buffered(r: *const RTMP) -> usize {
    // SAFETY: caller contract.
    unsafe {
        let size = (*r).m_sb.sb_size.max(0) as usize;
        if tunnelled(r) {
            size.min((*r).m_resplen.max(0) as usize)
        } else {
            size
        }
    }
}

/// Records that `k` buffered RTMP bytes were consumed (the caller moved `sb_start`).
///
/// # Safety
/// `r` valid; `k <= buffered(r)`.
#[inline(always)]
pub unsafe fn taken(r: *mut RTMP, k: usize) {
    // SAFETY: caller contract.
    unsafe {
        if tunnelled(r) {
            (*r).m_resplen -= k as c_int;
        }
    }
}

/// The unread bytes of `m_sb` from `from` to `to` (offsets from `sb_start`), decrypted in place.
unsafe fn decrypt_buffered(r: *mut RTMP, from: usize, to: usize) {
    // SAFETY: caller contract: `r` valid, the range inside the unread bytes.
    unsafe {
        if to <= from {
            return;
        }
        if let Some(s) = crypt::stream_mut((*r).Link.rc4keyIn) {
            let start = (*r).m_sb.sb_start as *mut u8;
            s.apply(conv::bytes_mut(start.add(from), to - from));
        }
    }
}

thread_local! {
    /// Set while `RTMP_Read` runs on this thread: see [`PollSafeReads`].
    static POLL_SAFE: Cell<bool> = const { Cell::new(false) };
}

/// While alive, receives on this thread leave the socket readable whenever they take more than
/// the reader asked for: at least one received byte stays in the kernel unless every byte there
/// is needed. A caller that polls the descriptor before each `RTMP_Read` (curl) then never waits
/// on bytes this library has already taken: there is always something left for its poll, up to
/// the last byte the stream needs. Plain TCP and RTMPE only (the kernel's count of TLS or HTTP
/// bytes says nothing about RTMP bytes).
///
/// The kernel's count (`FIONREAD`, a system call) is asked only when the lower bound kept in
/// `m_resplen` does not already show that more bytes wait than one receive can take: in a
/// steady stream the kernel holds megabytes, and one query serves many receives.
pub struct PollSafeReads(bool);

/// Starts a [`PollSafeReads`] scope (restored to what it was when the value is dropped).
pub fn poll_safe_reads() -> PollSafeReads {
    PollSafeReads(POLL_SAFE.with(|c| c.replace(true)))
}

impl Drop for PollSafeReads {
    fn drop(&mut self) {
        POLL_SAFE.with(|c| c.set(self.0));
    }
}

/// The most one receive may take when the reader needs `need` more bytes: unbounded outside a
/// [`PollSafeReads`] scope or when more bytes wait than a receive can take (`need` plus a
/// whole `sb_buf`), else `need` or all but one of the bytes the kernel holds, whichever is
/// more.
unsafe fn read_budget(r: *mut RTMP, need: usize) -> usize {
    if !POLL_SAFE.with(Cell::get) {
        return usize::MAX;
    }
    // SAFETY: caller contract.
    unsafe {
        if tunnelled(r) || kernel_floor(r) > need.saturating_add(io::SB_CAPACITY) {
            return usize::MAX;
        }
        match io::kernel_unread(addr_of!((*r).m_sb)) {
            Some(held) => {
                (*r).m_resplen = c_int::try_from(held).unwrap_or(c_int::MAX);
                need.max(held.saturating_sub(1))
            }
            None => usize::MAX,
        }
    }
}

/// The lower bound of the bytes waiting in the kernel (plain sessions; see the module notes).
///
/// # Safety
/// `r` valid.
#[inline(always)]
unsafe fn kernel_floor(r: *const RTMP) -> usize {
    // SAFETY: caller contract.
    unsafe { (*r).m_resplen.max(0) as usize }
}

/// Records that `n` bytes left the kernel (every receive without the tunnel, inside a
/// [`PollSafeReads`] scope or not, so the bound never overstates).
///
/// # Safety
/// `r` valid and not tunnelled.
#[inline(always)]
unsafe fn received(r: *mut RTMP, n: usize) {
    // SAFETY: caller contract.
    unsafe {
        let floor = kernel_floor(r);
        if floor != 0 {
            (*r).m_resplen = floor.saturating_sub(n) as c_int;
        }
    }
}

/// `RTMPSockBuf_Fill` for the chunk stream: more RTMP bytes into `m_sb`, of which the reader
/// needs at least `need` (> 0). Returns how many became available (> 0), 0 at EOF or a receive
/// timeout (`sb_timedout` set), -1 on failure (an ERROR line logged for protocol failures).
///
/// # Safety
/// `r` valid.
pub unsafe fn fill(r: *mut RTMP, need: usize) -> c_int {
    // SAFETY: caller contract.
    unsafe {
        let sb = addr_of_mut!((*r).m_sb);
        if tunnelled(r) {
            return fill_tunnel(r);
        }
        let budget = read_budget(r, need);
        let n = io::fill_upto(sb, budget);
        if n > 0 {
            received(r, n as usize);
            // (`io::fill` moved the unread bytes to the front; the new ones follow them)
            let size = (*sb).sb_size.max(0) as usize;
            decrypt_buffered(r, size - n as usize, size);
        }
        n
    }
}

/// Receives straight into `dst[..len]` (surplus into the empty `sb_buf`), decrypting both.
/// Only without the tunnel.
///
/// # Safety
/// `r` valid with nothing buffered; `dst` writable for `len` bytes.
pub unsafe fn recv_direct(r: *mut RTMP, dst: *mut u8, len: usize) -> isize {
    // SAFETY: caller contract.
    unsafe {
        let surplus = read_budget(r, len).saturating_sub(len);
        let n = io::recv_direct(addr_of_mut!((*r).m_sb), dst, len, surplus);
        if n > 0 {
            let surplus = (*r).m_sb.sb_size.max(0) as usize;
            received(r, n as usize + surplus);
            if let Some(s) = crypt::stream_mut((*r).Link.rc4keyIn) {
                s.apply(conv::bytes_mut(dst, n as usize));
            }
            decrypt_buffered(r, 0, surplus);
        }
        n
    }
}

/// The tunnel's fill: parses response heads as they come, polls with `idle` when nothing is
/// buffered and no request is outstanding, and fails after `Link.timeout` seconds without
/// RTMP data (empty answers included).
unsafe fn fill_tunnel(r: *mut RTMP) -> c_int {
    const F: &str = "RTMPT";
    // SAFETY: caller contract; every offset stays inside the unread bytes of `sb_buf`.
    unsafe {
        let sb = addr_of_mut!((*r).m_sb);
        let timeout = Duration::from_secs((*r).Link.timeout.max(1) as u64);
        let started = Instant::now();
        let mut empty_answers = 0u32;
        loop {
            if !io::compact(sb) {
                crate::rtmp_log!(log::ERROR, "{F}, inconsistent receive buffer");
                return -1;
            }
            let size = (*sb).sb_size as usize;
            let resplen = (*r).m_resplen.max(0) as usize;
            if resplen > size {
                // The current response's payload is still arriving.
                let n = io::fill(sb);
                if n < 1 {
                    return tunnel_read_failed(r, n, "in the middle of an answer");
                }
                let now = ((*sb).sb_size as usize).min(resplen);
                decrypt_buffered(r, size, now);
                if now > size {
                    return (now - size) as c_int;
                }
                continue;
            }
            let raw = conv::bytes_n(((*sb).sb_start as *const u8).add(resplen), size - resplen);
            match rtmpt::parse_head(raw) {
                Ok(Some(h)) if raw.len() > h.len => {
                    let cut = h.len + 1;
                    let interval = raw[h.len];
                    let start = (*sb).sb_start as *mut u8;
                    std::ptr::copy(
                        start.add(resplen + cut),
                        start.add(resplen),
                        size - resplen - cut,
                    );
                    (*sb).sb_size -= cut as c_int;
                    let body = h.content_length as usize - 1;
                    (*r).m_resplen = (resplen + body) as c_int;
                    (*r).m_polling =
                        c_int::from(interval) | if h.close { SERVER_CLOSES } else { 0 };
                    (*r).m_unackd -= 1;
                    let now = ((*sb).sb_size as usize).min(resplen + body);
                    decrypt_buffered(r, resplen, now);
                    if now > resplen {
                        return (now - resplen) as c_int;
                    }
                    if body == 0 {
                        empty_answers += 1;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    crate::rtmp_log!(log::ERROR, "{F}, {e}");
                    return -1;
                }
            }
            if crate::abi::globals::ctrl_c() {
                // (a signal handler set RTMP_ctrlC: stop polling, as an interrupted receive does)
                crate::rtmp_log!(log::DEBUG, "{F}, interrupted (RTMP_ctrlC)");
                return -1;
            }
            if started.elapsed() >= timeout {
                (*r).m_polling |= STALLED;
                crate::rtmp_log!(
                    log::ERROR,
                    "{F}, no data from the server in {} seconds",
                    timeout.as_secs()
                );
                return -1;
            }
            if raw.is_empty() && (*r).m_unackd <= 0 {
                if empty_answers > 0 {
                    // The server had nothing: wait a little before asking again (10 ms per
                    // empty answer in a row, at most 250 ms).
                    std::thread::sleep(Duration::from_millis(
                        10 * u64::from(empty_answers.min(25)),
                    ));
                }
                if !post(r, Command::Idle, &[&[0u8]]) {
                    return -1;
                }
            }
            let n = io::fill(sb);
            if n < 1 {
                return tunnel_read_failed(r, n, "waiting for an answer");
            }
        }
    }
}

/// A receive of the tunnel got nothing (`n` < 1): an ERROR line saying why, and `n`.
unsafe fn tunnel_read_failed(r: *mut RTMP, n: c_int, when: &str) -> c_int {
    // SAFETY: caller passes a valid handle.
    unsafe {
        (*r).m_polling |= STALLED;
        if (*r).m_sb.sb_timedout != 0 {
            crate::rtmp_log!(
                log::ERROR,
                "RTMPT, no data from the server in {} seconds ({when})",
                (*r).Link.timeout
            );
        } else if n == 0 {
            crate::rtmp_log!(
                log::ERROR,
                "RTMPT, the server closed the connection ({when})"
            );
        } else {
            crate::rtmp_log!(log::ERROR, "RTMPT, receive failed ({when})");
        }
        n
    }
}

/// Sends one request (head and body with one vectored send). Counts it in `m_msgCounter` and
/// `m_unackd`. Reconnects first when the server closed after its last answer. Logs failures.
unsafe fn post(r: *mut RTMP, cmd: Command, body: &[&[u8]]) -> bool {
    // SAFETY: caller passes a valid handle; the iovecs point into live slices.
    unsafe {
        if (*r).m_polling & SERVER_CLOSES != 0 && !reconnect(r) {
            return false;
        }
        let len: usize = body.iter().map(|b| b.len()).sum();
        let head = rtmpt::request_head(
            cmd,
            conv::aval_bytes(&(*r).m_clientID),
            (*r).m_msgCounter,
            conv::aval_bytes(&(*r).Link.hostname),
            (*r).Link.port,
            len,
        );
        let mut iov: Vec<libc::iovec> = std::iter::once(&head[..])
            .chain(body.iter().copied())
            .filter(|b| !b.is_empty())
            .map(|b| libc::iovec {
                iov_base: b.as_ptr() as *mut c_void,
                iov_len: b.len(),
            })
            .collect();
        if !send_all(r, &mut iov) {
            return false;
        }
        (*r).m_msgCounter += 1;
        (*r).m_unackd += 1;
        true
    }
}

/// Sends every byte of `iov` (`EINTR` retried unless `RTMP_ctrlC`); logs and fails otherwise.
unsafe fn send_all(r: *mut RTMP, iov: &mut [libc::iovec]) -> bool {
    // SAFETY: caller contract.
    unsafe {
        let sb = addr_of_mut!((*r).m_sb);
        let mut idx = 0;
        while idx < iov.len() {
            if iov[idx].iov_len == 0 {
                idx += 1;
                continue;
            }
            let n = io::send_vectored_raw(sb, &iov[idx..]);
            if n < 0 {
                let e = io::last_errno();
                if e == libc::EINTR && !crate::abi::globals::ctrl_c() {
                    continue;
                }
                let left: usize = iov[idx..].iter().map(|v| v.iov_len).sum();
                crate::rtmp_log!(log::ERROR, "WriteN, RTMP send error {e} ({left} bytes)");
                return false;
            }
            if n == 0 {
                return false;
            }
            let mut n = n as usize;
            while n > 0 {
                let v = &mut iov[idx];
                let k = n.min(v.iov_len);
                v.iov_base = (v.iov_base as *mut u8).add(k) as *mut c_void;
                v.iov_len -= k;
                n -= k;
                if v.iov_len == 0 {
                    idx += 1;
                }
            }
        }
        true
    }
}

thread_local! {
    /// The gathered (and encrypted) bytes of one message.
    static GATHER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// WriteN when the bytes do not go out unchanged: the message gathered into one buffer,
/// RC4-encrypted when keyed, sent as one `send` POST when tunnelling, else written whole.
/// Returns false after an ERROR line.
///
/// # Safety
/// `r` valid; every iovec readable.
pub unsafe fn send(r: *mut RTMP, iov: &[libc::iovec]) -> bool {
    // SAFETY: caller contract.
    unsafe {
        GATHER.with(|cell| {
            let mut local = Vec::new();
            let mut guard = cell.try_borrow_mut();
            let buf: &mut Vec<u8> = match guard.as_mut() {
                Ok(b) => b,
                Err(_) => &mut local,
            };
            buf.clear();
            for v in iov {
                buf.extend_from_slice(conv::bytes_n(v.iov_base as *const u8, v.iov_len));
            }
            if let Some(s) = crypt::stream_mut((*r).Link.rc4keyOut) {
                s.apply(buf);
            }
            let ok = if tunnelled(r) {
                post(r, Command::Send, &[buf])
            } else {
                let mut one = [libc::iovec {
                    iov_base: buf.as_mut_ptr() as *mut c_void,
                    iov_len: buf.len(),
                }];
                send_all(r, &mut one)
            };
            if buf.capacity() > (1 << 20) {
                *buf = Vec::new();
            }
            ok
        })
    }
}

/// Opens the tunnel (`RTMP_Connect1`): `POST /open/1`, the whole answer read, its body taken as
/// the session id; the sequence then restarts at 0 as in librtmp.
///
/// # Safety
/// `r` valid and connected.
pub unsafe fn open(r: *mut RTMP) -> bool {
    const F: &str = "RTMPT open";
    // SAFETY: caller contract; offsets stay inside the unread bytes.
    unsafe {
        let sb = addr_of_mut!((*r).m_sb);
        (*r).m_msgCounter = 1;
        (*r).m_unackd = 0;
        (*r).m_resplen = 0;
        (*r).m_polling = 0;
        free_client_id(r);
        if !post(r, Command::Open, &[&[0u8]]) {
            return false;
        }
        loop {
            if !io::compact(sb) {
                return false;
            }
            let size = (*sb).sb_size as usize;
            let raw = conv::bytes_n((*sb).sb_start as *const u8, size);
            match rtmpt::parse_head(raw) {
                Ok(Some(h)) if size >= h.len + h.content_length as usize => {
                    let Some(id) = rtmpt::client_id(&raw[h.len..h.len + h.content_length as usize])
                    else {
                        crate::rtmp_log!(log::ERROR, "{F}, the server sent no valid session id");
                        return false;
                    };
                    let Some(v) = conv::malloc_aval(&id) else {
                        return false;
                    };
                    (*r).m_clientID = v;
                    (*r).m_polling = if h.close { SERVER_CLOSES } else { 0 };
                    // (librtmp drops whatever else was received)
                    (*sb).sb_size = 0;
                    (*r).m_unackd = 0;
                    (*r).m_msgCounter = 0;
                    return true;
                }
                Ok(Some(h)) if h.len + h.content_length as usize > io::SB_CAPACITY => {
                    crate::rtmp_log!(log::ERROR, "{F}, answer too long");
                    return false;
                }
                Ok(_) => {}
                Err(e) => {
                    crate::rtmp_log!(log::ERROR, "{F}, {e}");
                    return false;
                }
            }
            if io::fill(sb) < 1 {
                crate::rtmp_log!(log::ERROR, "{F}, no answer from the server");
                return false;
            }
        }
    }
}

/// Ends the tunnel when one is open: `POST /close/<id>/<seq>`, then (unless a receive already
/// failed) the answers to every request still outstanding are awaited (their RTMP data dropped), at most `Link.timeout`
/// seconds: a request is only known to be handled once it is answered, and closing with
/// answers unread makes the kernel reset the connection, which can lose the last requests on
/// their way (librtmp does not read them, and loses the end of a publication that way).
///
/// # Safety
/// `r` valid.
pub unsafe fn close(r: *mut RTMP) {
    // SAFETY: caller contract.
    unsafe {
        if tunnelled(r) && (*r).m_sb.sb_socket != -1 && !(*r).m_clientID.av_val.is_null() {
            let stalled = (*r).m_polling & STALLED != 0;
            (*r).m_polling &= !(SERVER_CLOSES | STALLED);
            if post(r, Command::Close, &[&[0u8]]) && !stalled {
                await_answers(r);
            }
        }
    }
}

/// Reads and drops answers until none is outstanding, the server closes, something fails, or
/// `Link.timeout` seconds pass.
unsafe fn await_answers(r: *mut RTMP) {
    // SAFETY: caller contract; offsets stay inside the unread bytes.
    unsafe {
        let sb = addr_of_mut!((*r).m_sb);
        let deadline = Instant::now() + Duration::from_secs((*r).Link.timeout.max(1) as u64);
        while (*r).m_unackd > 0 && Instant::now() < deadline {
            if !io::compact(sb) {
                return;
            }
            let size = (*sb).sb_size as usize;
            let resplen = (*r).m_resplen.max(0) as usize;
            let drop = size.min(resplen);
            (*sb).sb_start = (*sb).sb_start.add(drop);
            (*sb).sb_size -= drop as c_int;
            (*r).m_resplen -= drop as c_int;
            if resplen == drop {
                let raw = conv::bytes_n((*sb).sb_start as *const u8, size - drop);
                match rtmpt::parse_head(raw) {
                    Ok(Some(h)) if raw.len() > h.len => {
                        let cut = h.len + 1;
                        (*sb).sb_start = (*sb).sb_start.add(cut);
                        (*sb).sb_size -= cut as c_int;
                        (*r).m_resplen = h.content_length as c_int - 1;
                        (*r).m_unackd -= 1;
                        continue;
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
            if io::fill(sb) < 1 {
                return;
            }
        }
    }
}

unsafe fn free_client_id(r: *mut RTMP) {
    // SAFETY: caller contract; `m_clientID` is NULL or our libc allocation.
    unsafe {
        if !(*r).m_clientID.av_val.is_null() {
            libc::free((*r).m_clientID.av_val as *mut c_void);
        }
        (*r).m_clientID = AVal::EMPTY;
    }
}

/// TLS client handshake on the connected socket to `Link.hostname`, bounded by `Link.timeout`;
/// the certificate is checked unless `tlsVerify=0` or `LIBRTMP_TLS_VERIFY=0`.
///
/// # Safety
/// `r` valid and connected, TLS not on yet.
pub unsafe fn start_tls(r: *mut RTMP) -> bool {
    const F: &str = "RTMP_Connect1";
    // SAFETY: caller passes a valid handle.
    unsafe {
        let host = String::from_utf8_lossy(conv::aval_bytes(&(*r).Link.hostname)).into_owned();
        let host = net::bare_host(&host);
        let by_option = (*r).Link.lFlags & RTMP_LF_NOTLSVERIFY != 0;
        let verify = !(by_option || io::tls::verify_disabled_by_env());
        if !verify {
            let why = if by_option {
                "tlsVerify=0"
            } else {
                "LIBRTMP_TLS_VERIFY=0"
            };
            crate::rtmp_log!(
                log::WARNING,
                "TLS certificate checking is off ({why}): the server at {host} is not \
                 authenticated, and anyone on the path can read and change the stream"
            );
        }
        let timeout = net::timeout_of((*r).Link.timeout);
        match io::start_tls_client(addr_of_mut!((*r).m_sb), host, verify, timeout) {
            Ok(version) => {
                crate::rtmp_log!(log::DEBUG, "{F}, TLS to {host} established ({version})");
                true
            }
            Err(why) => {
                crate::rtmp_log!(log::ERROR, "{F}, TLS: {why}");
                false
            }
        }
    }
}

/// A new connection to the same server after it announced `Connection: close`, on the same
/// descriptor number (a caller may be polling it), TLS again when it was on.
unsafe fn reconnect(r: *mut RTMP) -> bool {
    const F: &str = "RTMPT";
    // SAFETY: caller passes a valid handle.
    unsafe {
        let sb = addr_of_mut!((*r).m_sb);
        let fd = (*sb).sb_socket;
        let tls = io::tls_on(sb);
        crate::rtmp_log!(
            log::DEBUG,
            "{F}, the server closed the connection; reconnecting"
        );
        let timeout = net::timeout_of((*r).Link.timeout);
        let Some(peer) = io::peer_addr(fd) else {
            crate::rtmp_log!(log::ERROR, "{F}, cannot reconnect: no peer address");
            return false;
        };
        let s = match net::connect(&[peer], timeout) {
            Ok(s) => s,
            Err(e) => {
                crate::rtmp_log!(log::ERROR, "{F}, reconnect to {peer} failed: {e}");
                return false;
            }
        };
        let _ = net::configure(&s, timeout);
        if tls {
            io::end_tls(sb);
        }
        if !io::replace_fd(fd, net::into_fd(s)) {
            crate::rtmp_log!(log::ERROR, "{F}, reconnect failed (dup2)");
            return false;
        }
        (*sb).sb_size = 0;
        (*r).m_resplen = 0;
        (*r).m_unackd = 0;
        (*r).m_polling &= !SERVER_CLOSES;
        !tls || start_tls(r)
    }
}

/// Installs RTMPE's key streams (each already advanced by 1536 bytes) after the handshake and
/// decrypts any RTMP bytes that arrived with the end of it.
///
/// # Safety
/// `r` valid.
pub unsafe fn install_keys(r: *mut RTMP, keys: &RtmpeKeys) {
    // SAFETY: caller contract.
    unsafe {
        free_keys(r);
        let (out, inn) = keys.ciphers();
        (*r).Link.rc4keyOut = crypt::Stream::new(out).into_raw();
        (*r).Link.rc4keyIn = crypt::Stream::new(inn).into_raw();
        decrypt_buffered(r, 0, buffered(r));
    }
}

/// The handshake type forced by `LIBRTMP_RTMPE_TYPE` (6, 8 or 9), a testing knob: a client
/// sends it as C0 (with 6, a C1 version that keeps a librtmp server from answering 8), a server
/// answers encrypted clients with it. Anything else: none (librtmp's choices).
pub fn forced_rtmpe_type() -> Option<RtmpeType> {
    let v = std::env::var("LIBRTMP_RTMPE_TYPE").ok()?;
    RtmpeType::from_byte(v.trim().parse().ok()?)
}

/// Frees both key streams (NULL afterwards).
///
/// # Safety
/// `r` valid.
pub unsafe fn free_keys(r: *mut RTMP) {
    // SAFETY: caller contract; the pointers are NULL or ours.
    unsafe {
        crypt::free((*r).Link.rc4keyIn);
        crypt::free((*r).Link.rc4keyOut);
        (*r).Link.rc4keyIn = std::ptr::null_mut();
        (*r).Link.rc4keyOut = std::ptr::null_mut();
    }
}
