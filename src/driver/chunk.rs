//! The chunk stream on an `RTMP` struct: reading packets (the socket buffer filled through
//! [`crate::io`], the protocol decided by `rtmp_core::chunk::reader`), sending messages with one
//! vectored write, the invoke queue, and the transport teardown.
//!
//! State lives only in the `RTMP` struct (re-read at every call): `m_vecChannelsIn` /
//! `m_channelTimestamp` / `m_vecChannelsOut` hold libc-allocated per-channel packets exactly
//! like librtmp, `m_methodCalls` the queued invokes. Two private conventions on those copies
//! (consumers never read them):
//! - outbound copies keep in `m_nBytesRead` the timestamp delta a reader currently applies to a
//!   type-3 header on that chunk stream (used by the spec fix of `core::chunk::choose_header`);
//! - an inbound copy of an incomplete message whose timestamp is extended keeps the extended
//!   value in `m_nTimeStamp` and sets [`EXT_PENDING`] in `m_hasAbsTimestamp`, so a continuation
//!   chunk can tell a repeated extended timestamp from payload.
//!
//! Inbound packets are loaded into [`InChannel`] values ([`load`]) and stored back
//! ([`store_fields`]); the body and `m_chunk` pointers stay here.
//!
//! Sending gathers one whole message into one `writev`; the caller's body is never written.
//! Receiving reads the socket in 16 KiB pieces into `m_sb.sb_buf` (or directly into the packet
//! body with the surplus going to `sb_buf`), so each payload byte is copied at most once.
//!
//! Where librtmp closes the connection after an I/O error (a failed read that did not time
//! out, a failed send), the functions here call the caller's [`Closer`]: the session layer
//! decides what closing means (librtmp's `RTMP_Close`), at the same point as librtmp, so the
//! log lines keep their order. This module imports nothing from the session layer.
//!
//! Seams for later issues: RTMPT (`Link.protocol & RTMP_FEATURE_HTTP`: batching/POST in
//! [`write_iov`], response parsing in [`read_n`]), RTMPE (`Link.rc4keyIn/Out`: decrypt in
//! [`read_n`], encrypt the packed message in [`write_message`]); both keep such connections off
//! the buffered continuation path.

use std::cell::{Cell, RefCell};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr::{addr_of, addr_of_mut};
use std::time::{Duration, Instant};

use super::wire;
use crate::abi::conv;
use crate::abi::globals;
use crate::abi::packet::free_body;
use crate::abi::types::*;
use crate::io;
use crate::io::net;
use crate::log;
use rtmp_core::chunk as cc;
use rtmp_core::chunk::reader::{self as rd, AckRule, InChannel};

pub use rtmp_core::chunk::reader::{EXT_PENDING, MAX_PENDING_BODY};

/// The pack buffer (messages that need more than `MAX_IOV` iovecs) is kept up to this size.
const PACK_KEEP: usize = 32 << 20;

const PACKET_SIZE: usize = std::mem::size_of::<RTMPPacket>();

/// What closing the connection after an I/O error means (librtmp calls `RTMP_Close` there);
/// given by the caller, called where librtmp closes.
pub trait Closer {
    /// Closes the connection of `r`.
    ///
    /// # Safety
    /// `r` must point to a valid, initialised `RTMP`.
    unsafe fn close(r: *mut RTMP);
}

/// The reader's view of a packet.
///
/// # Safety
/// `p` must point to a valid packet.
#[inline(always)]
unsafe fn load(p: *const RTMPPacket) -> InChannel {
    // SAFETY: see the function contract.
    unsafe {
        InChannel {
            header_type: (*p).m_headerType,
            packet_type: (*p).m_packetType,
            has_abs_timestamp: (*p).m_hasAbsTimestamp,
            timestamp: (*p).m_nTimeStamp,
            stream_id: (*p).m_nInfoField2,
            body_size: (*p).m_nBodySize,
            bytes_read: (*p).m_nBytesRead,
            has_body: !(*p).m_body.is_null(),
        }
    }
}

/// Stores the reader's fields into a packet (`has_body` is the caller's business).
///
/// # Safety
/// `p` must point to a valid packet.
#[inline(always)]
unsafe fn store_fields(p: *mut RTMPPacket, c: &InChannel) {
    // SAFETY: see the function contract.
    unsafe {
        (*p).m_headerType = c.header_type;
        (*p).m_packetType = c.packet_type;
        (*p).m_hasAbsTimestamp = c.has_abs_timestamp;
        (*p).m_nTimeStamp = c.timestamp;
        (*p).m_nInfoField2 = c.stream_id;
        (*p).m_nBodySize = c.body_size;
        (*p).m_nBytesRead = c.bytes_read;
    }
}

// ---------------------------------------------------------------------------------------------
// Connection teardown

/// Closes the socket and resets everything this layer owns, as librtmp's close does for it:
/// `sb_socket = -1`, byte counters and `m_sb.sb_size` zeroed, every stored inbound packet (with
/// its partial body), both channel arrays, `m_channelTimestamp`, the stored outbound packets
/// and the method-call queue freed. The session's close calls this and adds the session parts
/// (stream deletion, `m_read`/`m_write`, RTMPT, Link strings, crypto state).
///
/// # Safety
/// `r` must point to a valid, initialised `RTMP`.
pub unsafe fn reset_transport(r: *mut RTMP) {
    // SAFETY: caller contract; every pointer freed here was allocated with libc by this layer
    // (or by librtmp-compatible code) and is cleared right after.
    unsafe {
        io::close(addr_of_mut!((*r).m_sb));
        wire::free_keys(r);
        (*r).m_sb.sb_socket = -1;
        (*r).m_sb.sb_size = 0;
        (*r).m_nBWCheckCounter = 0;
        (*r).m_nBytesIn = 0;
        (*r).m_nBytesInSent = 0;

        let n_in = (*r).m_channelsAllocatedIn;
        let vin = (*r).m_vecChannelsIn;
        if !vin.is_null() {
            for i in 0..usize::try_from(n_in).unwrap_or(0) {
                let p = *vin.add(i);
                if !p.is_null() {
                    free_body(p);
                    libc::free(p as *mut c_void);
                }
            }
            libc::free(vin as *mut c_void);
        }
        libc::free((*r).m_channelTimestamp as *mut c_void);
        (*r).m_vecChannelsIn = std::ptr::null_mut();
        (*r).m_channelTimestamp = std::ptr::null_mut();
        (*r).m_channelsAllocatedIn = 0;

        let n_out = (*r).m_channelsAllocatedOut;
        let vout = (*r).m_vecChannelsOut;
        if !vout.is_null() {
            for i in 0..usize::try_from(n_out).unwrap_or(0) {
                libc::free(*vout.add(i) as *mut c_void);
            }
            libc::free(vout as *mut c_void);
        }
        (*r).m_vecChannelsOut = std::ptr::null_mut();
        (*r).m_channelsAllocatedOut = 0;

        free_method_calls(r);
    }
}

/// Frees the method-call queue (names too) and zeroes `m_numCalls` / `m_numInvokes`.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn free_method_calls(r: *mut RTMP) {
    // SAFETY: caller contract; names and the array are libc allocations.
    unsafe {
        let calls = (*r).m_methodCalls;
        if !calls.is_null() {
            for i in 0..usize::try_from((*r).m_numCalls).unwrap_or(0) {
                libc::free((*calls.add(i)).name.av_val as *mut c_void);
            }
            libc::free(calls as *mut c_void);
        }
        (*r).m_methodCalls = std::ptr::null_mut();
        (*r).m_numCalls = 0;
        (*r).m_numInvokes = 0;
    }
}

/// `RTMP_DropRequest`: removes entry `i` of the method-call queue (freeing its name when
/// `free`); ERROR for an index outside the queue.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn drop_request(r: *mut RTMP, i: c_int, free: bool) {
    // SAFETY: caller contract; index checked against the queue length.
    unsafe {
        let n = (*r).m_numCalls;
        let calls = (*r).m_methodCalls;
        if calls.is_null() || i < 0 || i >= n {
            crate::rtmp_log!(
                log::ERROR,
                "RTMP_DropRequest, no request {i} (queue of {n})"
            );
            return;
        }
        let (i, n) = (i as usize, n as usize);
        if free {
            libc::free((*calls.add(i)).name.av_val as *mut c_void);
        }
        std::ptr::copy(calls.add(i + 1), calls.add(i), n - i - 1);
        *calls.add(n - 1) = RTMP_METHOD {
            name: AVal::EMPTY,
            num: 0,
        };
        (*r).m_numCalls = n as c_int - 1;
    }
}

// ---------------------------------------------------------------------------------------------
// Reading (ReadN)

/// The acknowledgement rule of the connection (it changes only when one is sent).
///
/// # Safety
/// `r` must be valid.
#[inline(always)]
unsafe fn ack_rule(r: *const RTMP) -> AckRule {
    // SAFETY: see the function contract.
    unsafe {
        AckRule::new(
            (*r).m_bSendCounter != 0,
            (*r).m_nBytesInSent,
            (*r).m_nClientBW,
        )
    }
}

/// Counts `k` consumed bytes and sends an Acknowledgement when the peer's window is exceeded
/// (only when `m_bSendCounter`), as librtmp does after every piece it reads.
unsafe fn account_read<C: Closer>(r: *mut RTMP, k: usize) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        (*r).m_nBytesIn = (*r).m_nBytesIn.wrapping_add(k as c_int);
        if ack_rule(r).due((*r).m_nBytesIn) && !send_bytes_received::<C>(r) {
            return false;
        }
    }
    true
}

/// Why the last read on this thread failed, as far as `RTMP_Read` cares (see [`take_end`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReadEnd {
    /// An error: a failed receive, a protocol violation, a failed send.
    Error,
    /// The connection's end between messages, or a receive timeout: the stream's end.
    Ended,
    /// The connection's end in the middle of a message: the stream was cut short.
    CutShort,
}

thread_local! {
    /// Set by a read that failed because the connection ended or a receive timed out.
    static END: Cell<ReadEnd> = const { Cell::new(ReadEnd::Error) };
    /// Set while [`read_chunk`] reads the first byte of a chunk.
    static CHUNK_START: Cell<bool> = const { Cell::new(false) };
}

/// Why a read failure on this thread since the last call happened; clears the mark (to
/// [`ReadEnd::Error`], which is also what a failure that set nothing means).
pub fn take_end() -> ReadEnd {
    END.with(|c| c.replace(ReadEnd::Error))
}

/// Read failure (`got`: the receive's result, 0 at EOF or timeout, -1 on error): like librtmp,
/// close the connection unless the receive timed out. The connection's end counts as the
/// stream's end only where a message could end: at the first byte of a chunk, with no message
/// in progress on any chunk stream; anywhere else the stream was cut short.
unsafe fn read_failed<C: Closer>(r: *mut RTMP, got: isize) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        if got == 0 {
            let clean = (*r).m_sb.sb_timedout != 0
                || (CHUNK_START.with(Cell::get) && pending_body_bytes(r) == 0);
            END.with(|c| {
                c.set(if clean {
                    ReadEnd::Ended
                } else {
                    ReadEnd::CutShort
                })
            });
        }
        if (*r).m_sb.sb_timedout == 0 {
            C::close(r);
        }
    }
    false
}

/// Makes at least `n` (≤ 18) unread bytes available in `m_sb` without consuming them.
unsafe fn ensure_buffered<C: Closer>(r: *mut RTMP, n: usize) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let sb = addr_of_mut!((*r).m_sb);
        (*sb).sb_timedout = 0;
        loop {
            let Some(off) = io::start_offset(sb) else {
                crate::rtmp_log!(log::ERROR, "RTMP_ReadPacket, inconsistent receive buffer");
                return false;
            };
            if wire::buffered(r) >= n {
                return true;
            }
            if off + n > io::SB_CAPACITY && !io::compact(sb) {
                return false;
            }
            let k = wire::fill(r, n - wire::buffered(r));
            if k < 1 {
                return read_failed::<C>(r, k as isize);
            }
        }
    }
}

/// Consumes `n` buffered bytes (see [`ensure_buffered`]) as one ReadN piece.
unsafe fn consume<C: Closer>(r: *mut RTMP, n: usize) -> bool {
    // SAFETY: caller ensured `n` bytes are buffered.
    unsafe {
        (*r).m_sb.sb_start = (*r).m_sb.sb_start.add(n);
        (*r).m_sb.sb_size -= n as c_int;
        wire::taken(r, n);
        account_read::<C>(r, n)
    }
}

/// ReadN: reads exactly `n` bytes into `dst`. Buffered bytes are copied first; then, when
/// `direct`, the socket is read straight into `dst` (surplus into `sb_buf`), else through
/// `RTMPSockBuf_Fill`. On failure the connection is closed unless the read timed out.
///
/// RTMPT seam: with `RTMP_FEATURE_HTTP` the HTTP issue parses responses before handing out
/// bytes. RTMPE seam: each piece is RC4-decrypted when `Link.rc4keyIn` is set.
///
/// # Safety
/// `r` must point to a valid `RTMP` and `dst` be writable for `n` bytes.
pub(crate) unsafe fn read_n<C: Closer>(r: *mut RTMP, dst: *mut u8, n: usize, direct: bool) -> bool {
    // SAFETY: caller passes a valid handle and `dst` writable for `n` bytes.
    unsafe {
        let sb = addr_of_mut!((*r).m_sb);
        (*sb).sb_timedout = 0;
        let mut got = 0usize;
        while got < n {
            let Some(off) = io::start_offset(sb) else {
                crate::rtmp_log!(log::ERROR, "RTMP_ReadPacket, inconsistent receive buffer");
                return false;
            };
            let avail = wire::buffered(r);
            if avail > 0 {
                let k = avail.min(n - got);
                let src = (addr_of!((*sb).sb_buf) as *const u8).add(off);
                std::ptr::copy_nonoverlapping(src, dst.add(got), k);
                got += k;
                if !consume::<C>(r, k) {
                    return false;
                }
                continue;
            }
            if direct && !wire::tunnelled(r) {
                let k = wire::recv_direct(r, dst.add(got), n - got);
                if k < 1 {
                    return read_failed::<C>(r, k);
                }
                got += k as usize;
                if !account_read::<C>(r, k as usize) {
                    return false;
                }
            } else {
                let k = wire::fill(r, n - got);
                if k < 1 {
                    return read_failed::<C>(r, k as isize);
                }
            }
        }
        true
    }
}

/// Grows `m_vecChannelsIn` and `m_channelTimestamp` to hold `ch` (to `ch + 10` entries).
unsafe fn grow_in(r: *mut RTMP, ch: usize) -> bool {
    // SAFETY: caller passes a valid handle; both arrays are libc allocations of
    // `m_channelsAllocatedIn` entries (or NULL).
    unsafe {
        let have = if (*r).m_vecChannelsIn.is_null() || (*r).m_channelTimestamp.is_null() {
            0
        } else {
            usize::try_from((*r).m_channelsAllocatedIn).unwrap_or(0)
        };
        if ch < have {
            return true;
        }
        let n = ch + 10;
        let v = libc::realloc(
            (*r).m_vecChannelsIn as *mut c_void,
            n * std::mem::size_of::<*mut RTMPPacket>(),
        ) as *mut *mut RTMPPacket;
        if v.is_null() {
            crate::rtmp_log!(
                log::ERROR,
                "RTMP_ReadPacket, failed to allocate channel state"
            );
            return false;
        }
        (*r).m_vecChannelsIn = v;
        let t = libc::realloc((*r).m_channelTimestamp as *mut c_void, n * 4) as *mut c_int;
        if t.is_null() {
            crate::rtmp_log!(
                log::ERROR,
                "RTMP_ReadPacket, failed to allocate channel state"
            );
            return false;
        }
        (*r).m_channelTimestamp = t;
        std::ptr::write_bytes(v.add(have), 0, n - have);
        std::ptr::write_bytes(t.add(have), 0, n - have);
        (*r).m_channelsAllocatedIn = n as c_int;
        true
    }
}

/// Sum of the body sizes of the incomplete inbound messages.
unsafe fn pending_body_bytes(r: *mut RTMP) -> u64 {
    let mut sum = 0u64;
    // SAFETY: arrays valid for `m_channelsAllocatedIn` entries (checked by grow_in).
    unsafe {
        let v = (*r).m_vecChannelsIn;
        for i in 0..usize::try_from((*r).m_channelsAllocatedIn).unwrap_or(0) {
            let p = *v.add(i);
            if !p.is_null() && !(*p).m_body.is_null() {
                sum += u64::from((*p).m_nBodySize);
            }
        }
    }
    sum
}

/// The end of a message on chunk stream `ch` (see `reader::finish_message`): `p` (reader view
/// `pkt`) and the stored copy `s` (view `sv`) are updated, `s` loses the body.
///
/// # Safety
/// `r` valid with `ch` inside `m_channelTimestamp`; `p` and `s` valid packets.
#[inline(always)]
unsafe fn finish_message(
    r: *mut RTMP,
    p: *mut RTMPPacket,
    s: *mut RTMPPacket,
    ch: usize,
    mut pkt: InChannel,
    mut sv: InChannel,
) {
    // SAFETY: see the function contract.
    unsafe {
        let t = &mut *(*r).m_channelTimestamp.add(ch);
        rd::finish_message(&mut pkt, &mut sv, t);
        (*p).m_nTimeStamp = pkt.timestamp;
        store_fields(s, &sv);
        (*s).m_body = std::ptr::null_mut();
    }
}

/// `RTMP_ReadPacket`: one chunk per call, or, without a chunk report (`m_chunk` NULL), the
/// buffered continuation chunks of one message (docs/compat.md).
///
/// # Safety
/// `r` and `p` valid.
#[inline]
pub unsafe fn read_packet<C: Closer>(r: *mut RTMP, p: *mut RTMPPacket) -> bool {
    // SAFETY: caller contract.
    unsafe { read_buffered_continuation(r, p) || read_chunk::<C>(r, p) }
}

/// The continuation chunks of a message in progress that are wholly buffered, with no log
/// output wanted, no acknowledgement due while they are read and neither HTTP tunnelling nor
/// encryption on the connection, taken by `reader::take_chunks` straight from `sb_buf`.
/// Returns `false` having changed nothing when that does not apply; otherwise it has done
/// what [`read_chunk`] does for those chunks (same packet, channel state, counters and
/// `m_chunk`).
#[inline(always)]
unsafe fn read_buffered_continuation(r: *mut RTMP, p: *mut RTMPPacket) -> bool {
    // SAFETY: `r` and `p` are valid (caller contract); `start_offset` bounds the buffered
    // bytes inside `sb_buf`; the channel arrays hold `m_channelsAllocatedIn` entries; the
    // stored body holds `m_nBodySize` bytes and does not overlap `sb_buf`.
    unsafe {
        if log::enabled(log::DEBUG2) || wire::tunnelled(r) {
            return false;
        }
        let sb = addr_of_mut!((*r).m_sb);
        let avail = (*sb).sb_size;
        if avail < 2 {
            return false;
        }
        let Some(off) = io::start_offset(sb) else {
            return false;
        };
        let buf = std::slice::from_raw_parts(
            (addr_of!((*sb).sb_buf) as *const u8).add(off),
            avail as usize,
        );
        let b = buf[0];
        let ch = usize::from(b & 0x3f);
        if b >> 6 != cc::MINIMUM || ch < 2 {
            return false;
        }
        let vec = (*r).m_vecChannelsIn;
        if vec.is_null()
            || (*r).m_channelTimestamp.is_null()
            || ch >= (*r).m_channelsAllocatedIn as usize
        {
            return false;
        }
        let s = *vec.add(ch);
        if s.is_null() {
            return false;
        }
        let sv = load(s);
        let in_chunk = (*r).m_inChunkSize;
        if !rd::plain_continuation(&sv) || in_chunk <= 0 {
            return false;
        }
        let chunk = (*s).m_chunk;
        let body = std::slice::from_raw_parts_mut((*s).m_body as *mut u8, sv.body_size as usize);
        let run = rd::take_chunks(
            buf,
            b,
            body,
            sv.bytes_read,
            in_chunk as u32,
            ack_rule(r),
            (*r).m_nBytesIn,
            !chunk.is_null(),
        );
        if run.pos == 0 {
            return false;
        }
        // (like the general path, the stored packet's `m_chunk` is the one reported to)
        *p = *s;
        (*sb).sb_start = (*sb).sb_start.add(run.pos);
        (*sb).sb_size = avail - run.pos as c_int;
        (*sb).sb_timedout = 0;
        (*r).m_nBytesIn = run.bytes_in;
        let body = (*s).m_body;
        if !chunk.is_null() {
            // (a single chunk: `pos` is its size)
            (*chunk).c_headerSize = 1;
            (*chunk).c_header[0] = b as c_char;
            (*chunk).c_chunk = body.add(run.read as usize + 1 - run.pos);
            (*chunk).c_chunkSize = (run.pos - 1) as c_int;
        }
        (*p).m_nBytesRead = run.read;
        if run.complete {
            let mut pkt = sv;
            pkt.bytes_read = run.read;
            finish_message(r, p, s, ch, pkt, pkt);
        } else {
            (*s).m_nBytesRead = run.read;
            (*p).m_body = std::ptr::null_mut();
        }
        true
    }
}

/// One chunk, read piece by piece with ReadN like librtmp (so acknowledgements fall at the same
/// stream positions), its meaning decided by the core reader.
#[inline(never)]
unsafe fn read_chunk<C: Closer>(r: *mut RTMP, p: *mut RTMPPacket) -> bool {
    const F: &str = "RTMP_ReadPacket";
    // SAFETY: `r` and `p` are valid (caller contract); every array access is bounded by the
    // grown channel arrays; the body pointers are our libc allocations; `hdr` indices stay
    // below `MAX_HEADER` (the reader asks for at most 3 + 11 + 4 bytes).
    unsafe {
        crate::rtmp_log!(log::DEBUG2, "{F}: fd={}", (*r).m_sb.sb_socket);
        let mut hdr = [0u8; cc::MAX_HEADER];
        CHUNK_START.with(|c| c.set(true));
        let first = read_n::<C>(r, hdr.as_mut_ptr(), 1, false);
        CHUNK_START.with(|c| c.set(false));
        if !first {
            crate::rtmp_log!(log::ERROR, "{F}, failed to read RTMP packet header");
            return false;
        }
        let blen = cc::basic_header_len(hdr[0]);
        if blen == 2 && !read_n::<C>(r, hdr.as_mut_ptr().add(1), 1, false) {
            crate::rtmp_log!(
                log::ERROR,
                "{F}, failed to read RTMP packet header 2nd byte"
            );
            return false;
        }
        if blen == 3 && !read_n::<C>(r, hdr.as_mut_ptr().add(1), 2, false) {
            crate::rtmp_log!(
                log::ERROR,
                "{F}, failed to read RTMP packet header 3nd byte"
            );
            return false;
        }
        let Ok(basic) = rd::Basic::parse(&hdr[..blen]) else {
            return false;
        };
        let (fmt, channel) = (basic.fmt, basic.channel);
        (*p).m_headerType = fmt;
        (*p).m_nChannel = channel as c_int;
        if blen == 3 {
            crate::rtmp_log!(log::DEBUG, "{F}, m_nChannel: {:x}", channel);
        }
        let ch = channel as usize;
        if !grow_in(r, ch) {
            return false;
        }
        let stored = *(*r).m_vecChannelsIn.add(ch);

        let st = match rd::start(basic, (!stored.is_null()).then(|| load(stored)), load(p)) {
            Ok(st) => st,
            Err(rd::StartError::MidMessage { read, size }) => {
                // librtmp keeps the old body and overflows it (type 1) or leaks it (type 0).
                crate::rtmp_log!(
                    log::ERROR,
                    "{F}, type {fmt} header on chunk stream {channel} in the middle of a \
                     message ({read} of {size} bytes read)"
                );
                free_body(stored);
                (*stored).m_nBytesRead = 0;
                (*stored).m_hasAbsTimestamp &= !EXT_PENDING;
                return false;
            }
            Err(rd::StartError::NoPrevious) => {
                crate::rtmp_log!(
                    log::ERROR,
                    "{F}, type {fmt} header on chunk stream {channel} without a previous \
                     message"
                );
                return false;
            }
        };
        if st.inherits {
            *p = *stored;
        }
        let inherited_body = st.inherits && st.packet.has_body;
        let fail = |p: *mut RTMPPacket| {
            if inherited_body {
                (*p).m_body = std::ptr::null_mut();
            }
            false
        };

        let mut pkt = st.packet;
        // The message header's length is known from the basic header: read it first (the
        // loop below then asks only for extended timestamps).
        let mlen = cc::message_header_len(fmt);
        if mlen > 0 && !read_n::<C>(r, hdr.as_mut_ptr().add(blen), mlen, false) {
            store_fields(p, &pkt);
            crate::rtmp_log!(
                log::ERROR,
                "{F}, failed to read RTMP packet header. type: {:x}",
                hdr[0]
            );
            return fail(p);
        }
        let mut have = blen + mlen;
        let h = loop {
            let need = match rd::header(&hdr[..have], &st, &mut pkt) {
                Ok(h) => break h,
                Err(need) => need,
            };
            // (`p` shows the fields as far as they are known when a read fails)
            let upto = need.upto;
            match need.piece {
                rd::Piece::MessageHeader | rd::Piece::ExtTimestamp => {
                    if !read_n::<C>(r, hdr.as_mut_ptr().add(have), upto - have, false) {
                        store_fields(p, &pkt);
                        if need.piece == rd::Piece::MessageHeader {
                            crate::rtmp_log!(
                                log::ERROR,
                                "{F}, failed to read RTMP packet header. type: {:x}",
                                hdr[0]
                            );
                        } else {
                            crate::rtmp_log!(log::ERROR, "{F}, failed to read extended timestamp");
                        }
                        return fail(p);
                    }
                    have = upto;
                }
                rd::Piece::OptionalExt => {
                    if !ensure_buffered::<C>(r, upto - have) {
                        store_fields(p, &pkt);
                        crate::rtmp_log!(log::ERROR, "{F}, failed to read extended timestamp");
                        return fail(p);
                    }
                    let peek = conv::bytes_n((*r).m_sb.sb_start.cast(), upto - have);
                    hdr[have..upto].copy_from_slice(peek);
                    let Ok(h) = rd::header(&hdr[..upto], &st, &mut pkt) else {
                        store_fields(p, &pkt);
                        return fail(p);
                    };
                    if h.len == upto && !consume::<C>(r, upto - have) {
                        store_fields(p, &pkt);
                        return fail(p);
                    }
                    break h;
                }
            }
        };
        store_fields(p, &pkt);
        log::hex_dump(log::DEBUG2, &hdr[..h.len]);

        let (size, read) = (pkt.body_size, pkt.bytes_read);
        let plan = match h.plan(&pkt, || pending_body_bytes(r)) {
            Ok(plan) => plan,
            Err(rd::PlanError::Inconsistent { read, size }) => {
                crate::rtmp_log!(
                    log::ERROR,
                    "{F}, inconsistent packet state ({read} of {size})"
                );
                return fail(p);
            }
            Err(rd::PlanError::Refused { size }) => {
                crate::rtmp_log!(
                    log::ERROR,
                    "{F}, message of {size} bytes on chunk stream {channel} refused: more than \
                     {MAX_PENDING_BODY} bytes of incomplete messages"
                );
                return false;
            }
        };
        if plan.alloc {
            let body = crate::abi::packet::alloc_body_uninit(size);
            if body.is_null() {
                crate::rtmp_log!(log::ERROR, "{F}, failed to allocate packet");
                return false;
            }
            (*p).m_body = body;
            (*p).m_nBytesRead = 0;
            (*p).m_headerType = fmt;
            pkt.bytes_read = 0;
            pkt.header_type = fmt;
        }
        let in_chunk = (*r).m_inChunkSize;
        if in_chunk <= 0 {
            crate::rtmp_log!(log::ERROR, "{F}, invalid chunk size {in_chunk}");
            if plan.alloc {
                free_body(p);
            }
            return fail(p);
        }
        let n = rd::payload_len(&pkt, in_chunk);
        let dst = if (*p).m_body.is_null() {
            std::ptr::null_mut()
        } else {
            (*p).m_body.add(read as usize)
        };
        let chunk = (*p).m_chunk;
        if !chunk.is_null() {
            (*chunk).c_headerSize = h.len as c_int;
            for (d, s) in (*chunk).c_header.iter_mut().zip(&hdr[..h.len]) {
                *d = *s as c_char;
            }
            (*chunk).c_chunk = dst;
            (*chunk).c_chunkSize = n as c_int;
        }
        if n > 0 && !read_n::<C>(r, dst as *mut u8, n, true) {
            crate::rtmp_log!(
                log::ERROR,
                "{F}, failed to read RTMP packet body. len: {size}"
            );
            if plan.alloc {
                free_body(p);
            }
            return fail(p);
        }
        log::hex_dump(log::DEBUG2, conv::bytes_n(dst.cast(), n));
        let (sv, complete) = rd::end_of_chunk(&h, &mut pkt, n);
        (*p).m_nBytesRead = pkt.bytes_read;

        // Store the channel state (the connection may have been reset by a failed ack).
        if (*r).m_vecChannelsIn.is_null() || (*r).m_channelsAllocatedIn as usize <= ch {
            return fail(p);
        }
        let slot = (*r).m_vecChannelsIn.add(ch);
        if (*slot).is_null() {
            let s = libc::malloc(PACKET_SIZE) as *mut RTMPPacket;
            if s.is_null() {
                crate::rtmp_log!(log::ERROR, "{F}, failed to allocate channel state");
                if plan.alloc {
                    free_body(p);
                }
                return fail(p);
            }
            *slot = s;
        }
        let s = *slot;
        *s = *p;
        if complete {
            finish_message(r, p, s, ch, pkt, sv);
            if pkt.packet_type == rd::ABORT {
                // Abort Message: the named chunk stream's partial message is dropped here, so
                // its sender may start the next message with any header (librtmp ignores it).
                handle_abort(r, conv::bytes_n((*p).m_body.cast(), size as usize));
            }
        } else {
            store_fields(s, &sv);
            (*p).m_body = std::ptr::null_mut();
        }
        true
    }
}

// ---------------------------------------------------------------------------------------------
// Writing (WriteN)

/// WriteN over an iovec list: loops until everything is sent (`EINTR` retried unless
/// `RTMP_ctrlC`); on error logs, closes the connection and fails.
///
/// RTMPT seam: with `RTMP_FEATURE_HTTP` the HTTP issue sends the gathered bytes as one POST.
///
/// # Safety
/// `r` valid; every iovec readable.
pub unsafe fn write_iov<C: Closer>(r: *mut RTMP, iov: &mut [libc::iovec]) -> bool {
    // SAFETY: caller passes a valid handle and readable iovecs.
    unsafe {
        if !wire::plain(r) {
            if !wire::send(r, iov) {
                close_unsendable::<C>(r);
                return false;
            }
            return true;
        }
        let sb = addr_of_mut!((*r).m_sb);
        // A peer that stops reading: once a send could not take everything (it blocked, up
        // to the socket's send timeout), the rest must be taken within Link.timeout of that
        // send's start, waited for with poll and sent without blocking. Otherwise each
        // blocking send that the kernel's growing buffers let through a little restarts the
        // send timeout, and the write fails only after several of them.
        let timeout = net::timeout_of((*r).Link.timeout).filter(|_| !io::tls_on(sb));
        let mut stalled: Option<Instant> = None;
        let mut idx = 0usize;
        while idx < iov.len() {
            if iov[idx].iov_len == 0 {
                idx += 1;
                continue;
            }
            let end = (idx + io::MAX_IOV).min(iov.len());
            let before = timeout.map(|_| Instant::now());
            let n = if stalled.is_some() {
                io::send_vectored_nowait(sb, &iov[idx..end])
            } else {
                io::send_vectored_raw(sb, &iov[idx..end])
            };
            if n < 0 {
                let e = io::last_errno();
                let left: usize = iov[idx..].iter().map(|v| v.iov_len).sum();
                if let (Some(since), Some(limit), true) = (stalled, timeout, e == libc::EAGAIN) {
                    if wait_for_peer(r, since, limit, left) {
                        continue;
                    }
                    close_unsendable::<C>(r);
                    return false;
                }
                crate::rtmp_log!(log::ERROR, "WriteN, RTMP send error {e} ({left} bytes)");
                if e == libc::EINTR && !globals::ctrl_c() {
                    continue;
                }
                close_unsendable::<C>(r);
                return false;
            }
            if n == 0 {
                return false;
            }
            if let (Some(limit), Some(before)) = (timeout, before) {
                let batch: usize = iov[idx..end].iter().map(|v| v.iov_len).sum();
                if (n as usize) < batch {
                    let since = *stalled.get_or_insert(before);
                    let left = batch - n as usize;
                    if !wait_for_peer(r, since, limit, left) {
                        close_unsendable::<C>(r);
                        return false;
                    }
                }
            }
            let mut n = n as usize;
            while n > 0 {
                let v = &mut iov[idx];
                if n >= v.iov_len {
                    n -= v.iov_len;
                    v.iov_len = 0;
                    idx += 1;
                } else {
                    v.iov_base = (v.iov_base as *mut u8).add(n) as *mut c_void;
                    v.iov_len -= n;
                    n = 0;
                }
            }
        }
        true
    }
}

/// Closes the connection after a send failed: the stream is taken as gone (no FCUnpublish or
/// deleteStream, no wait for the server's last words), since the peer is not taking data.
unsafe fn close_unsendable<C: Closer>(r: *mut RTMP) {
    // SAFETY: caller passes a valid handle.
    unsafe {
        if (*r).m_stream_id > 0 {
            (*r).m_stream_id = 0;
        }
        C::close(r);
    }
}

/// Waits for the socket to take more bytes until `limit` after `since`; logs and returns
/// false when the peer took nothing more by then.
unsafe fn wait_for_peer(r: *mut RTMP, since: Instant, limit: Duration, left: usize) -> bool {
    // SAFETY: caller passes a valid handle.
    let fd = unsafe { (*r).m_sb.sb_socket };
    let rest = limit.saturating_sub(since.elapsed());
    if !rest.is_zero() && io::wait_writable(fd, rest) {
        return true;
    }
    crate::rtmp_log!(
        log::ERROR,
        "WriteN, the peer has taken no data for {} s, {left} bytes not sent",
        limit.as_secs()
    );
    false
}

/// WriteN of one buffer.
///
/// # Safety
/// `r` valid; `buf` readable for `len` bytes.
pub unsafe fn write_n<C: Closer>(r: *mut RTMP, buf: *const u8, len: usize) -> bool {
    let mut iov = [libc::iovec {
        iov_base: buf as *mut c_void,
        iov_len: len,
    }];
    // SAFETY: caller contract.
    unsafe { write_iov::<C>(r, &mut iov) }
}

thread_local! {
    /// Reused buffer for messages with more chunks than one `writev` can gather.
    static PACK: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Sends one message (headers + chunked body) with one `writev`, or, when it has more than
/// `MAX_IOV` pieces, packed into a reused buffer and sent with one `send`.
unsafe fn write_message<C: Closer>(
    r: *mut RTMP,
    h: &cc::Headers,
    body: &[u8],
    chunk: usize,
) -> bool {
    if log::enabled(log::DEBUG2) {
        // The reference dumps each chunk's header and payload.
        let mut first = true;
        for piece in body.chunks(chunk).chain(body.is_empty().then_some(body)) {
            log::hex_dump(log::DEBUG2, if first { h.first() } else { h.cont() });
            log::hex_dump(log::DEBUG2, piece);
            first = false;
        }
    }
    let nseg = cc::Segments::count_for(body.len(), chunk);
    // SAFETY: every iovec points into `h` or `body`, both alive across the call.
    unsafe {
        if nseg <= io::MAX_IOV {
            let mut iov = [libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            }; io::MAX_IOV];
            for (v, s) in iov.iter_mut().zip(cc::Segments::new(body.len(), chunk)) {
                let bytes = s.bytes(h, body);
                *v = libc::iovec {
                    iov_base: bytes.as_ptr() as *mut c_void,
                    iov_len: bytes.len(),
                };
            }
            return write_iov::<C>(r, &mut iov[..nseg]);
        }
        // RTMPE seam: the packed bytes are what the crypto issue RC4-encrypts.
        PACK.with(|cell| {
            let mut guard = cell.try_borrow_mut();
            let mut local = Vec::new();
            let buf: &mut Vec<u8> = match guard.as_mut() {
                Ok(b) => b,
                Err(_) => &mut local,
            };
            buf.clear();
            cc::pack(h, body, chunk, buf);
            let ok = write_n::<C>(r, buf.as_ptr(), buf.len());
            if buf.capacity() > PACK_KEEP {
                *buf = Vec::new();
            }
            ok
        })
    }
}

/// Grows `m_vecChannelsOut` to hold `ch` (to `ch + 10` entries, new ones NULL).
unsafe fn grow_out(r: *mut RTMP, ch: usize) -> bool {
    // SAFETY: caller passes a valid handle; the array is a libc allocation or NULL.
    unsafe {
        let have = if (*r).m_vecChannelsOut.is_null() {
            0
        } else {
            usize::try_from((*r).m_channelsAllocatedOut).unwrap_or(0)
        };
        if ch < have {
            return true;
        }
        let n = ch + 10;
        let v = libc::realloc(
            (*r).m_vecChannelsOut as *mut c_void,
            n * std::mem::size_of::<*mut RTMPPacket>(),
        ) as *mut *mut RTMPPacket;
        if v.is_null() {
            crate::rtmp_log!(
                log::ERROR,
                "RTMP_SendPacket, failed to allocate channel state"
            );
            return false;
        }
        std::ptr::write_bytes(v.add(have), 0, n - have);
        (*r).m_vecChannelsOut = v;
        (*r).m_channelsAllocatedOut = n as c_int;
        true
    }
}

/// Appends `{copy of name, txn}` to `m_methodCalls` (grown by 16 entries).
unsafe fn queue_method(r: *mut RTMP, name: &[u8], txn: c_int) -> bool {
    // SAFETY: caller passes a valid handle; the queue is a libc array of at least
    // `m_numCalls` rounded up to 16 entries.
    unsafe {
        let n = (*r).m_numCalls;
        if n < 0 {
            crate::rtmp_log!(
                log::ERROR,
                "RTMP_SendPacket, corrupt method queue ({n} calls)"
            );
            return false;
        }
        let n = n as usize;
        if n % 16 == 0 || (*r).m_methodCalls.is_null() {
            let cap = (n / 16 + 1) * 16;
            let v = libc::realloc(
                (*r).m_methodCalls as *mut c_void,
                cap * std::mem::size_of::<RTMP_METHOD>(),
            ) as *mut RTMP_METHOD;
            if v.is_null() {
                crate::rtmp_log!(log::ERROR, "RTMP_SendPacket, failed to queue the invoke");
                return false;
            }
            (*r).m_methodCalls = v;
        }
        let Some(name) = conv::malloc_aval(name) else {
            crate::rtmp_log!(log::ERROR, "RTMP_SendPacket, failed to queue the invoke");
            return false;
        };
        *(*r).m_methodCalls.add(n) = RTMP_METHOD { name, num: txn };
        (*r).m_numCalls = n as c_int + 1;
        true
    }
}

/// `RTMP_SendPacket`: sends `p` (header compressed against the channel's previous message),
/// queues an invoke's name and transaction id when `queue`, and remembers the message.
///
/// # Safety
/// `r` and `p` valid; `p.m_body` readable for `m_nBodySize` bytes when non-NULL.
pub unsafe fn send_packet<C: Closer>(r: *mut RTMP, p: *mut RTMPPacket, queue: bool) -> bool {
    const F: &str = "RTMP_SendPacket";
    // SAFETY: caller contract; the channel array is grown before indexing.
    unsafe {
        let pk = *p;
        let channel = pk.m_nChannel;
        if !(cc::MIN_CHANNEL as c_int..=cc::MAX_CHANNEL as c_int).contains(&channel) {
            crate::rtmp_log!(log::ERROR, "{F}, invalid chunk stream id {channel}");
            return false;
        }
        let ch = channel as usize;
        if !grow_out(r, ch) {
            return false;
        }
        let prev_ptr = *(*r).m_vecChannelsOut.add(ch);
        let prev = (!prev_ptr.is_null()).then(|| cc::PrevOut {
            body_size: (*prev_ptr).m_nBodySize,
            packet_type: (*prev_ptr).m_packetType,
            timestamp: (*prev_ptr).m_nTimeStamp,
            delta: (*prev_ptr).m_nBytesRead,
        });
        if pk.m_headerType > cc::MINIMUM {
            crate::rtmp_log!(
                log::ERROR,
                "sanity failed!! trying to send header of type: 0x{:02x}.",
                pk.m_headerType
            );
            return false;
        }
        let choice = cc::choose_header(
            pk.m_headerType,
            prev.as_ref(),
            pk.m_nBodySize,
            pk.m_packetType,
            pk.m_nTimeStamp,
        );
        (*p).m_headerType = choice.header_type;
        let size = pk.m_nBodySize;
        if size > cc::MAX_BODY {
            crate::rtmp_log!(log::ERROR, "{F}, body of {size} bytes does not fit 24 bits");
            return false;
        }
        if size > 0 && pk.m_body.is_null() {
            crate::rtmp_log!(log::ERROR, "{F}, packet of {size} bytes without a body");
            return false;
        }
        let chunk = (*r).m_outChunkSize;
        if chunk <= 0 {
            crate::rtmp_log!(log::ERROR, "{F}, invalid chunk size {chunk}");
            return false;
        }
        let h = cc::encode_headers(
            choice.header_type,
            ch as u32,
            choice.t,
            size,
            pk.m_packetType,
            pk.m_nInfoField2,
        );
        crate::rtmp_log!(
            log::DEBUG2,
            "{F}: fd={}, size={}",
            (*r).m_sb.sb_socket,
            size
        );
        let body = conv::bytes_n(pk.m_body.cast(), size as usize);
        if !write_message::<C>(r, &h, body, chunk as usize) {
            return false;
        }

        if pk.m_packetType == 0x14 {
            match cc::invoke_name_and_txn(body) {
                Some((name, txn)) => {
                    crate::rtmp_log!(log::DEBUG, "Invoking {}", String::from_utf8_lossy(name));
                    if queue {
                        match txn {
                            Some(t) => {
                                queue_method(r, name, cc::c_double_to_int(t));
                            }
                            None => crate::rtmp_log!(
                                log::WARNING,
                                "{F}, invoke without a transaction id: not queued"
                            ),
                        }
                    }
                }
                None => crate::rtmp_log!(
                    log::WARNING,
                    "{F}, invoke without a method name{}",
                    if queue { ": not queued" } else { "" }
                ),
            }
        }

        // Remember this message for the next header on the channel.
        if (*r).m_vecChannelsOut.is_null() || (*r).m_channelsAllocatedOut as usize <= ch {
            return true;
        }
        let slot = (*r).m_vecChannelsOut.add(ch);
        if (*slot).is_null() {
            let s = libc::malloc(PACKET_SIZE) as *mut RTMPPacket;
            if s.is_null() {
                crate::rtmp_log!(log::ERROR, "{F}, failed to allocate channel state");
                return true;
            }
            *slot = s;
        }
        let s = *slot;
        *s = *p;
        (*s).m_body = std::ptr::null_mut();
        (*s).m_chunk = std::ptr::null_mut();
        (*s).m_nBytesRead = choice.next_delta;
        true
    }
}

/// `RTMP_SendChunk`: writes one raw chunk (header and payload) as given.
///
/// # Safety
/// `r` and `chunk` valid; `c_chunk` readable for `c_chunkSize` bytes when non-NULL.
pub unsafe fn send_chunk<C: Closer>(r: *mut RTMP, chunk: *mut RTMPChunk) -> bool {
    // SAFETY: caller contract; lengths are checked before use.
    unsafe {
        let c = *chunk;
        let hs = usize::try_from(c.c_headerSize)
            .ok()
            .filter(|&n| n <= RTMP_MAX_HEADER_SIZE);
        let cs = usize::try_from(c.c_chunkSize).ok();
        let (Some(hs), Some(cs)) = (hs, cs) else {
            crate::rtmp_log!(
                log::ERROR,
                "RTMP_SendChunk, invalid chunk (header {} bytes, payload {} bytes)",
                c.c_headerSize,
                c.c_chunkSize
            );
            return false;
        };
        if cs > 0 && c.c_chunk.is_null() {
            crate::rtmp_log!(
                log::ERROR,
                "RTMP_SendChunk, chunk of {cs} bytes without data"
            );
            return false;
        }
        crate::rtmp_log!(
            log::DEBUG2,
            "RTMP_SendChunk: fd={}, size={}",
            (*r).m_sb.sb_socket,
            cs
        );
        let hdr = &(*chunk).c_header;
        let hdr = conv::bytes_n(hdr.as_ptr().cast(), hs);
        log::hex_dump(log::DEBUG2, hdr);
        let payload = conv::bytes_n(c.c_chunk.cast(), cs);
        if cs > 0 {
            log::hex_dump(log::DEBUG2, payload);
        }
        let mut iov = [
            libc::iovec {
                iov_base: hdr.as_ptr() as *mut c_void,
                iov_len: hs,
            },
            libc::iovec {
                iov_base: payload.as_ptr() as *mut c_void,
                iov_len: cs,
            },
        ];
        write_iov::<C>(r, &mut iov)
    }
}

/// Sends a small control message built on the stack (channel 2).
unsafe fn send_simple<C: Closer>(
    r: *mut RTMP,
    header_type: u8,
    packet_type: u8,
    body: &mut [u8],
) -> bool {
    let mut p = RTMPPacket {
        m_headerType: header_type,
        m_packetType: packet_type,
        m_hasAbsTimestamp: 0,
        m_nChannel: 2,
        m_nTimeStamp: 0,
        m_nInfoField2: 0,
        m_nBodySize: body.len() as u32,
        m_nBytesRead: 0,
        m_chunk: std::ptr::null_mut(),
        m_body: body.as_mut_ptr() as *mut c_char,
    };
    // SAFETY: `p` describes `body`, alive for the call.
    unsafe { send_packet::<C>(r, &mut p, false) }
}

/// `RTMP_SendCtrl`: a User Control message of type `ty` (body by `core::chunk`).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn send_ctrl<C: Closer>(r: *mut RTMP, ty: u16, object: u32, time: u32) -> bool {
    crate::rtmp_log!(log::DEBUG, "sending ctrl. type: 0x{ty:04x}");
    let mut body = [0u8; 44];
    // SAFETY: valid handle; the response is a plain byte array of the struct.
    let swf: [u8; 42] = unsafe {
        let src = &(*r).Link.SWFVerificationResponse;
        std::array::from_fn(|i| src[i] as u8)
    };
    let n = cc::user_control_body(ty, object, time, &swf, &mut body);
    // SAFETY: valid handle.
    unsafe { send_simple::<C>(r, cc::MEDIUM, 0x04, &mut body[..n]) }
}

/// `RTMP_SendServerBW`: Window Acknowledgement Size (`m_nServerBW`).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn send_server_bw<C: Closer>(r: *mut RTMP) -> bool {
    // SAFETY: caller contract.
    unsafe {
        let mut b = (*r).m_nServerBW.to_be_bytes();
        send_simple::<C>(r, cc::LARGE, 0x05, &mut b)
    }
}

/// `RTMP_SendClientBW`: Set Peer Bandwidth (`m_nClientBW`, limit type `m_nClientBW2`).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn send_client_bw<C: Closer>(r: *mut RTMP) -> bool {
    // SAFETY: caller contract.
    unsafe {
        let bw = (*r).m_nClientBW.to_be_bytes();
        let mut b = [bw[0], bw[1], bw[2], bw[3], (*r).m_nClientBW2];
        send_simple::<C>(r, cc::LARGE, 0x06, &mut b)
    }
}

/// Acknowledgement (type 3) of `m_nBytesIn`; sets `m_nBytesInSent`.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn send_bytes_received<C: Closer>(r: *mut RTMP) -> bool {
    // SAFETY: caller contract.
    unsafe {
        let mut b = (*r).m_nBytesIn.to_be_bytes();
        (*r).m_nBytesInSent = (*r).m_nBytesIn;
        send_simple::<C>(r, cc::MEDIUM, 0x03, &mut b)
    }
}

/// Sends Set Chunk Size (type 1, channel 2) and, once sent, uses it for `m_outChunkSize`.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn send_set_chunk_size<C: Closer>(r: *mut RTMP, size: c_int) -> bool {
    if size <= 0 {
        crate::rtmp_log!(log::ERROR, "invalid chunk size {size}");
        return false;
    }
    let mut b = size.to_be_bytes();
    // SAFETY: caller contract.
    unsafe {
        if !send_simple::<C>(r, cc::LARGE, 0x01, &mut b) {
            return false;
        }
        (*r).m_outChunkSize = size;
    }
    true
}

/// Handles a received Set Chunk Size body: `m_inChunkSize` takes the value if it is a 31-bit
/// positive number; otherwise ERROR and false (librtmp accepts 0 and negative sizes).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn handle_set_chunk_size(r: *mut RTMP, body: &[u8]) -> bool {
    match cc::parse_set_chunk_size(body) {
        Ok(v) => {
            // SAFETY: caller contract.
            unsafe { (*r).m_inChunkSize = v };
            crate::rtmp_log!(
                log::DEBUG,
                "HandleChangeChunkSize, received: chunk size change to {v}"
            );
            true
        }
        Err(e) => {
            crate::rtmp_log!(
                log::ERROR,
                "HandleChangeChunkSize, invalid chunk size ({e:?}): {body:02x?}"
            );
            false
        }
    }
}

/// Handles a received Abort Message: the partial message of the named chunk stream is dropped,
/// so its next message may start with any header type. False for a malformed body.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn handle_abort(r: *mut RTMP, body: &[u8]) -> bool {
    let Some(ch) = cc::parse_abort(body) else {
        crate::rtmp_log!(
            log::ERROR,
            "HandleAbort, invalid abort message: {body:02x?}"
        );
        return false;
    };
    // SAFETY: caller contract; index bounded by the allocated count.
    unsafe {
        let v = (*r).m_vecChannelsIn;
        if v.is_null() || ch as usize >= usize::try_from((*r).m_channelsAllocatedIn).unwrap_or(0) {
            return true;
        }
        let s = *v.add(ch as usize);
        if !s.is_null() && !(*s).m_body.is_null() {
            crate::rtmp_log!(
                log::DEBUG,
                "HandleAbort, dropping {} of {} bytes on chunk stream {ch}",
                (*s).m_nBytesRead,
                (*s).m_nBodySize
            );
            free_body(s);
            (*s).m_nBytesRead = 0;
            (*s).m_hasAbsTimestamp &= !EXT_PENDING;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::rtmp::{RTMP_Alloc, RTMP_Free, RTMP_Init};

    /// Closing in tests: the transport reset (the session's close adds nothing these tests see).
    struct Reset;

    impl Closer for Reset {
        unsafe fn close(r: *mut RTMP) {
            // SAFETY: the handle under test.
            unsafe { reset_transport(r) }
        }
    }

    struct Handle(*mut RTMP, c_int);

    impl Handle {
        /// A handle whose socket is one end of a socketpair; `.1` is the other end.
        fn new() -> Handle {
            let mut sv = [0 as c_int; 2];
            // SAFETY: plain libc calls on owned memory.
            unsafe {
                assert_eq!(
                    libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, sv.as_mut_ptr()),
                    0
                );
                let r = RTMP_Alloc();
                RTMP_Init(r);
                (*r).m_sb.sb_socket = sv[0];
                Handle(r, sv[1])
            }
        }
    }

    impl Drop for Handle {
        fn drop(&mut self) {
            // SAFETY: the handle and fd are ours.
            unsafe {
                reset_transport(self.0);
                libc::close(self.1);
                RTMP_Free(self.0);
            }
        }
    }

    fn packet(ch: c_int, ht: u8, ty: u8, ts: u32, body: &mut [u8]) -> RTMPPacket {
        RTMPPacket {
            m_headerType: ht,
            m_packetType: ty,
            m_hasAbsTimestamp: 0,
            m_nChannel: ch,
            m_nTimeStamp: ts,
            m_nInfoField2: 1,
            m_nBodySize: body.len() as u32,
            m_nBytesRead: 0,
            m_chunk: std::ptr::null_mut(),
            m_body: body.as_mut_ptr() as *mut c_char,
        }
    }

    /// Reads complete messages until `n` arrived: (channel, type, ts, body).
    fn read_msgs(r: *mut RTMP, n: usize) -> Vec<(c_int, u8, u32, Vec<u8>)> {
        let mut out = Vec::new();
        // SAFETY: a zeroed packet is what C callers pass; bodies are freed after copying.
        unsafe {
            let mut p: RTMPPacket = std::mem::zeroed();
            while out.len() < n {
                assert!(read_packet::<Reset>(r, &mut p));
                if p.m_nBytesRead == p.m_nBodySize {
                    let b = conv::bytes_n(p.m_body.cast(), p.m_nBodySize as usize).to_vec();
                    out.push((p.m_nChannel, p.m_packetType, p.m_nTimeStamp, b));
                    free_body(&mut p);
                }
            }
        }
        out
    }

    #[test]
    fn loopback_with_small_chunks_and_extended_timestamps() {
        let w = Handle::new();
        let rd = Handle::new();
        // Reader reads what the writer's peer end receives: swap in the writer's peer fd.
        // SAFETY: fds owned by the two handles; we only exchange which end each one uses.
        unsafe {
            libc::close((*rd.0).m_sb.sb_socket);
            (*rd.0).m_sb.sb_socket = libc::dup(w.1);
            (*w.0).m_outChunkSize = 7;
            (*rd.0).m_inChunkSize = 7;
        }
        let mut a: Vec<u8> = (0..100u8).collect();
        let mut b: Vec<u8> = (0..100u8).rev().collect();
        let mut msgs = [
            packet(400, cc::LARGE, 9, 0x0100_0000, &mut a),
            packet(400, cc::MEDIUM, 9, 0x0100_0010, &mut b),
            packet(400, cc::MEDIUM, 9, 0x0100_0010, &mut b),
            packet(5, cc::MEDIUM, 8, 0x7fff_ffff, &mut a),
        ];
        for m in msgs.iter_mut() {
            // SAFETY: valid handle and packet.
            assert!(unsafe { send_packet::<Reset>(w.0, m, false) });
        }
        // Spec fix: the third message keeps an explicit SMALL header.
        assert_eq!(msgs[2].m_headerType, cc::SMALL);
        let got = read_msgs(rd.0, 4);
        assert_eq!(got[0], (400, 9, 0x0100_0000, a.clone()));
        assert_eq!(got[1], (400, 9, 0x0100_0010, b.clone()));
        assert_eq!(got[2], (400, 9, 0x0100_0010, b.clone()));
        assert_eq!(got[3], (5, 8, 0x7fff_ffff, a.clone()));
    }

    #[test]
    fn abort_and_set_chunk_size_helpers() {
        let h = Handle::new();
        // SAFETY: valid handle; the peer fd is written with raw chunks.
        unsafe {
            assert!(!handle_set_chunk_size(h.0, &[0, 0, 0, 0]));
            assert!(!handle_set_chunk_size(h.0, &[0x80, 0, 0, 8]));
            assert!(!handle_set_chunk_size(h.0, &[0, 0, 8]));
            assert_eq!((*h.0).m_inChunkSize, 128);
            assert!(handle_set_chunk_size(h.0, &[0, 0, 0, 8]));
            assert_eq!((*h.0).m_inChunkSize, 8);
            // ch 5: a 20-byte message, 8 bytes sent, then abort (on ch 2), then a new message.
            let mut s = vec![5u8, 0, 0, 1, 0, 0, 20, 9, 1, 0, 0, 0];
            s.extend_from_slice(&[b'x'; 8]);
            s.extend_from_slice(&[2, 0, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 0, 0, 0, 5]);
            s.extend_from_slice(&[5, 0, 0, 2, 0, 0, 3, 8, 1, 0, 0, 0, b'a', b'b', b'c']);
            assert_eq!(
                libc::write(h.1, s.as_ptr() as *const c_void, s.len()),
                s.len() as isize
            );
            let got = read_msgs(h.0, 2);
            assert_eq!(got[0], (2, 2, 0, vec![0, 0, 0, 5]));
            assert_eq!(got[1], (5, 8, 2, b"abc".to_vec()));
        }
    }

    #[test]
    fn method_queue_and_drop() {
        let h = Handle::new();
        let mut body = vec![2u8, 0, 4];
        body.extend_from_slice(b"play");
        body.push(0);
        body.extend_from_slice(&7.0f64.to_be_bytes());
        body.push(5);
        // SAFETY: valid handle and packet; the queue is read through the struct like C does.
        unsafe {
            for _ in 0..20 {
                let mut p = packet(3, cc::MEDIUM, 0x14, 0, &mut body);
                assert!(send_packet::<Reset>(h.0, &mut p, true));
            }
            assert_eq!((*h.0).m_numCalls, 20);
            let first = *(*h.0).m_methodCalls;
            assert_eq!(first.num, 7);
            assert_eq!(conv::bytes_n(first.name.av_val.cast(), 5), b"play\0");
            drop_request(h.0, 0, true);
            drop_request(h.0, 99, true);
            assert_eq!((*h.0).m_numCalls, 19);
        }
    }

    /// Everything observable after one call: result, packet fields (body bytes when complete),
    /// the chunk report, the counters and how much is buffered.
    type Seen = (
        bool,
        [u32; 8],
        Vec<u8>,
        (c_int, Vec<u8>, Vec<u8>),
        [c_int; 3],
    );

    /// One [`read_packet`] (`fast`: buffered continuations first) or [`read_chunk`] call (the
    /// piecewise path alone), and what it left.
    ///
    /// # Safety
    /// Valid handle, packet and chunk report.
    unsafe fn step(r: *mut RTMP, p: *mut RTMPPacket, c: *mut RTMPChunk, fast: bool) -> Seen {
        // SAFETY: see the function contract.
        unsafe {
            let ok = if fast {
                read_packet::<Reset>(r, p)
            } else {
                read_chunk::<Reset>(r, p)
            };
            let q = &*p;
            let fields = [
                u32::from(q.m_headerType),
                u32::from(q.m_packetType),
                u32::from(q.m_hasAbsTimestamp),
                q.m_nChannel as u32,
                q.m_nTimeStamp,
                q.m_nInfoField2 as u32,
                q.m_nBodySize,
                q.m_nBytesRead,
            ];
            let complete = ok && q.m_nBytesRead == q.m_nBodySize;
            let body = if complete {
                conv::bytes_n(q.m_body.cast(), q.m_nBodySize as usize).to_vec()
            } else {
                assert!(q.m_body.is_null() || !ok);
                Vec::new()
            };
            assert_eq!(q.m_chunk, c);
            let report = match c.as_ref() {
                Some(ch) => (
                    ch.c_headerSize,
                    ch.c_header[..ch.c_headerSize.clamp(0, 18) as usize]
                        .iter()
                        .map(|&b| b as u8)
                        .collect(),
                    conv::bytes_n(ch.c_chunk.cast(), ch.c_chunkSize.max(0) as usize).to_vec(),
                ),
                None => (0, Vec::new(), Vec::new()),
            };
            let counters = [(*r).m_nBytesIn, (*r).m_nBytesInSent, (*r).m_sb.sb_size];
            if complete {
                free_body(p);
            }
            (ok, fields, body, report, counters)
        }
    }

    /// A stream for the continuation tests, chunk size 16: our writer on several channels (1-,
    /// 2- and 3-byte basic headers), an extended timestamp, type-3 headers that start new
    /// messages, then an interleaved message and more type-3 headers written by hand.
    fn continuation_stream() -> Vec<u8> {
        let w = Handle::new();
        let mut stream = Vec::new();
        // SAFETY: valid handles; the peer fd of `w` is drained after each packet.
        unsafe {
            (*w.0).m_outChunkSize = 16;
            let mut bodies: Vec<Vec<u8>> = (0..12u32)
                .map(|i| (0..(i * 23 % 70) as u8).collect())
                .collect();
            for (i, b) in bodies.iter_mut().enumerate() {
                let ch = [4, 5, 70, 400, 4, 4][i % 6];
                let ts = if i == 3 { 0x0100_0000 } else { 40 * i as u32 };
                let mut m = packet(ch, cc::MEDIUM, 9, ts, b);
                assert!(send_packet::<Reset>(w.0, &mut m, false));
            }
            // same size and timestamp delta: type-3 headers start the 3rd and 4th messages
            let mut same = [7u8; 30];
            for i in 0..4 {
                let mut m = packet(9, cc::MEDIUM, 8, 100 + 40 * i, &mut same);
                assert!(send_packet::<Reset>(w.0, &mut m, false));
            }
            let mut buf = [0u8; 8192];
            libc::fcntl(w.1, libc::F_SETFL, libc::O_NONBLOCK);
            loop {
                let k = libc::read(w.1, buf.as_mut_ptr() as *mut c_void, buf.len());
                if k <= 0 {
                    break;
                }
                stream.extend_from_slice(&buf[..k as usize]);
            }
        }
        // Interleaved by hand: a 40-byte message on ch 6 split around a 3-byte one on ch 7.
        stream.extend_from_slice(&[6, 0, 0, 9, 0, 0, 40, 8, 1, 0, 0, 0]);
        stream.extend_from_slice(&[b'a'; 16]);
        stream.extend_from_slice(&[7, 0, 0, 1, 0, 0, 3, 8, 1, 0, 0, 0, b'x', b'y', b'z']);
        stream.extend_from_slice(&[0xc6]);
        stream.extend_from_slice(&[b'b'; 16]);
        stream.extend_from_slice(&[0xc6]);
        stream.extend_from_slice(&[b'c'; 8]);
        // then on ch 6 a type-1 message (delta 20), and a type-3 header starting the next one
        stream.extend_from_slice(&[0x46, 0, 0, 20, 0, 0, 40, 8]);
        for fill in [b'd', b'e'] {
            stream.extend_from_slice(&[fill; 16]);
            stream.extend_from_slice(&[0xc6]);
        }
        stream.extend_from_slice(&[b'f'; 8]);
        for fill in [b'g', b'h', b'i'] {
            stream.extend_from_slice(&[0xc6]);
            stream.extend_from_slice(&[fill; 16][..if fill == b'i' { 8 } else { 16 }]);
        }

        stream
    }

    /// Reads `stream` (chunk size 16, an acknowledgement every 40 bytes) to the end through
    /// [`step`], with or without a chunk report; returns every call's outcome.
    fn read_all(stream: &[u8], fast: bool, watch_chunks: bool) -> Vec<Seen> {
        let h = Handle::new();
        let mut seen = Vec::new();
        // SAFETY: valid handle and packets; the chunk report outlives the reads.
        unsafe {
            (*h.0).m_inChunkSize = 16;
            (*h.0).m_bSendCounter = 1;
            (*h.0).m_nClientBW = 400; // an acknowledgement every 40 bytes
            let n = libc::write(h.1, stream.as_ptr() as *const c_void, stream.len());
            assert_eq!(n, stream.len() as isize);
            libc::shutdown(h.1, libc::SHUT_WR);
            let mut c: RTMPChunk = std::mem::zeroed();
            let mut p: RTMPPacket = std::mem::zeroed();
            if watch_chunks {
                p.m_chunk = &mut c;
            }
            loop {
                let s = step(h.0, &mut p, p.m_chunk, fast);
                let ok = s.0;
                seen.push(s);
                if !ok {
                    break;
                }
            }
            // the acknowledgements sent back
            let mut acks = [0u8; 4096];
            let n = libc::read(h.1, acks.as_mut_ptr() as *mut c_void, acks.len());
            assert!(n > 0);
            let acks = acks[..n as usize].to_vec();
            seen.push((false, [0; 8], acks, (0, Vec::new(), Vec::new()), [0; 3]));
        }
        seen
    }

    #[test]
    fn buffered_continuations_match_the_piecewise_path() {
        let stream = continuation_stream();
        let seen = [
            read_all(&stream, true, true),
            read_all(&stream, false, true),
        ];
        assert!(seen[0].len() > 40, "{} calls", seen[0].len());
        for (i, (x, y)) in seen[0].iter().zip(&seen[1]).enumerate() {
            assert_eq!(x, y, "call {i}");
        }
        assert_eq!(seen[0].len(), seen[1].len());
    }

    /// Without a chunk report, a call may take several buffered chunks of one message: the
    /// completed messages, the acknowledgements (same bytes, at the same stream positions) and
    /// the end state are those of the one-chunk-per-call path, in fewer calls.
    #[test]
    fn several_chunks_per_call_without_a_chunk_report() {
        let stream = continuation_stream();
        let (fast, general) = (
            read_all(&stream, true, false),
            read_all(&stream, false, false),
        );
        let done = |v: &[Seen]| -> Vec<Seen> {
            v.iter()
                .filter(|x| !x.0 || x.1[7] == x.1[6])
                .map(|x| (x.0, x.1, x.2.clone(), x.3.clone(), [0; 3]))
                .collect()
        };
        assert_eq!(done(&fast), done(&general));
        assert_eq!(fast.last(), general.last(), "acknowledgements");
        assert!(
            fast.len() < general.len(),
            "{} vs {} calls",
            fast.len(),
            general.len()
        );
    }

    /// Bytes waiting in the kernel for the handle's socket.
    fn unread(h: &Handle) -> usize {
        // SAFETY: the handle under test.
        unsafe { io::kernel_unread(addr_of!((*h.0).m_sb)).unwrap() }
    }

    /// Writes `s` to the peer end of `h` in one piece.
    fn peer_write(h: &Handle, s: &[u8]) {
        // SAFETY: the fd is ours; `s` is readable.
        let n = unsafe { libc::write(h.1, s.as_ptr() as *const c_void, s.len()) };
        assert_eq!(n, s.len() as isize);
    }

    /// Three 3-byte messages on chunk stream 5 (12-byte type-0 headers).
    fn three_small() -> Vec<u8> {
        let mut s = Vec::new();
        for (i, body) in [b"abc", b"def", b"ghi"].iter().enumerate() {
            s.extend_from_slice(&[5, 0, 0, i as u8, 0, 0, 3, 8, 1, 0, 0, 0]);
            s.extend_from_slice(*body);
        }
        s
    }

    #[test]
    fn poll_safe_reads_leave_a_byte_in_the_kernel_until_it_is_needed() {
        let h = Handle::new();
        let s = three_small();
        peer_write(&h, &s);
        {
            let _scope = wire::poll_safe_reads();
            assert_eq!(read_msgs(h.0, 1)[0].3, b"abc");
            assert_eq!(
                unread(&h),
                1,
                "one byte stays readable for the caller's poll"
            );
            assert_eq!(read_msgs(h.0, 1)[0].3, b"def");
            assert_eq!(unread(&h), 1);
            // the last byte belongs to the last message: taken when needed
            assert_eq!(read_msgs(h.0, 1)[0].3, b"ghi");
            assert_eq!(unread(&h), 0);
        }
        // outside the scope (RTMP_ReadPacket callers) one receive takes everything
        peer_write(&h, &s);
        assert_eq!(read_msgs(h.0, 1)[0].3, b"abc");
        assert_eq!(unread(&h), 0);
        assert_eq!(read_msgs(h.0, 2)[1].3, b"ghi");
    }

    #[test]
    fn poll_safe_reads_keep_a_lower_bound_of_the_kernel_bytes() {
        let h = Handle::new();
        // a 40,000-byte message in 4096-byte chunks, then the three small ones
        let body: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        let mut s = vec![4u8, 0, 0, 0, 0, 0x9c, 0x40, 9, 1, 0, 0, 0];
        for (i, c) in body.chunks(4096).enumerate() {
            if i > 0 {
                s.push(0xc4);
            }
            s.extend_from_slice(c);
        }
        s.extend_from_slice(&three_small());
        peer_write(&h, &s);
        // SAFETY: the handle under test.
        unsafe { (*h.0).m_inChunkSize = 4096 };
        let _scope = wire::poll_safe_reads();
        assert_eq!(read_msgs(h.0, 1)[0].3, body);
        // SAFETY: the handle under test.
        let floor = unsafe { (*h.0).m_resplen };
        // nothing arrives meanwhile, so the bound is exact here; it never overstates
        assert_eq!(floor as usize, unread(&h));
        assert!(floor >= 1);
        let got = read_msgs(h.0, 3);
        assert_eq!(got[2].3, b"ghi");
        assert_eq!(unread(&h), 0);
        // SAFETY: the handle under test.
        assert_eq!(unsafe { (*h.0).m_resplen }, 0);
    }
}
