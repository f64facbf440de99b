//! `RTMP_Write` logic: an FLV byte stream in, one RTMP message per tag out (audio, video, and data
//! tags as `@setDataFrame` messages), on chunk stream 4 with the handle's stream id.
//!
//! The input may be split anywhere (whole file, per tag, one byte at a time, with or without
//! the FLV file header): `core::flv::TagReader` does the framing. Everything that must survive
//! between calls lives in the handle's `m_write` packet, so `RTMP_Init`/`RTMP_Close` reset it
//! the way they reset librtmp's own state:
//! - `m_hasAbsTimestamp` holds the parser phase ([`PHASE_IDLE`] .. [`PHASE_PREV_SIZE`]);
//! - in a tag body: `m_body` is the message being filled, `m_nBytesRead` bytes so far;
//! - while a tag header is incomplete: its bytes so far are kept in `m_nTimeStamp`,
//!   `m_nInfoField2`, `m_nBodySize` (12 bytes of room), the count in `m_nBytesRead`;
//! - inside a file header or a PreviousTagSize: the bytes skipped so far in `m_nBytesRead`.

use std::os::raw::{c_char, c_int};
use std::ptr::addr_of_mut;

use crate::abi::packet::{alloc_body, free_body};
use crate::abi::types::*;
use crate::driver::chunk::{self, Closer};
use crate::log;
use rtmp_core::chunk as cc;
use rtmp_core::flv::{self, Event, State, TagReader};

/// Between tags, or inside a tag body when `m_write.m_body` is set.
pub const PHASE_IDLE: u8 = 0;
/// Collecting a tag header.
pub const PHASE_HEADER: u8 = 1;
/// Skipping an FLV file header (13 bytes with PreviousTagSize0).
pub const PHASE_FILE_HEADER: u8 = 2;
/// Skipping a PreviousTagSize.
pub const PHASE_PREV_SIZE: u8 = 3;

/// Chunk stream of the media messages (librtmp's choice).
const WRITE_CHANNEL: c_int = 4;

/// AMF0 string `@setDataFrame`, put in front of every data tag's script data.
pub(crate) const SET_DATA_FRAME: &[u8; 16] = b"\x02\x00\x0d@setDataFrame";

/// Why a call stopped.
enum Stop {
    /// Allocation failure (librtmp returns 0).
    NoMemory,
    /// Malformed input or a send failure (-1).
    Failed,
}

/// Resets the `RTMP_Write` state (frees a partly filled message).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn reset(r: *mut RTMP) {
    // SAFETY: caller contract; the body, when set, came from `alloc_body`.
    unsafe {
        let w = addr_of_mut!((*r).m_write);
        free_body(w);
        (*w).m_nBytesRead = 0;
        (*w).m_hasAbsTimestamp = PHASE_IDLE;
    }
}

fn pack_header(h: &[u8; flv::TAG_HEADER_LEN]) -> (u32, i32, u32) {
    let mut b = [0u8; 12];
    b[..flv::TAG_HEADER_LEN].copy_from_slice(h);
    (
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        i32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        u32::from_ne_bytes([b[8], b[9], b[10], b[11]]),
    )
}

fn unpack_header(a: u32, b: i32, c: u32) -> [u8; flv::TAG_HEADER_LEN] {
    let mut out = [0u8; 12];
    out[..4].copy_from_slice(&a.to_ne_bytes());
    out[4..8].copy_from_slice(&b.to_ne_bytes());
    out[8..].copy_from_slice(&c.to_ne_bytes());
    out[..flv::TAG_HEADER_LEN].try_into().unwrap()
}

/// The parser as the previous call left it.
unsafe fn load(w: *const RTMPPacket) -> TagReader {
    // SAFETY: caller passes the handle's `m_write`.
    let w = unsafe { &*w };
    let n = w.m_nBytesRead as usize;
    let none = [0u8; flv::TAG_HEADER_LEN];
    match w.m_hasAbsTimestamp {
        PHASE_HEADER => TagReader::resume(
            State::Header(n),
            unpack_header(w.m_nTimeStamp, w.m_nInfoField2, w.m_nBodySize),
        ),
        PHASE_FILE_HEADER => TagReader::resume(State::FileHeader(n), none),
        PHASE_PREV_SIZE => {
            TagReader::resume(State::PrevSize(flv::PREV_SIZE_LEN.saturating_sub(n)), none)
        }
        _ if !w.m_body.is_null() && w.m_nBytesRead < w.m_nBodySize => {
            TagReader::resume(State::Body(w.m_nBodySize - w.m_nBytesRead), none)
        }
        _ => TagReader::resume(State::Header(0), none),
    }
}

/// Saves the parser's position for the next call.
unsafe fn store(w: *mut RTMPPacket, reader: &TagReader) {
    // SAFETY: caller passes the handle's `m_write`.
    let w = unsafe { &mut *w };
    let (state, header) = reader.state();
    match state {
        State::Start => {
            w.m_hasAbsTimestamp = PHASE_IDLE;
            w.m_nBytesRead = 0;
        }
        State::Header(0) => {
            w.m_hasAbsTimestamp = PHASE_IDLE;
            w.m_nBytesRead = 0;
        }
        State::Header(n) => {
            let (a, b, c) = pack_header(&header);
            w.m_hasAbsTimestamp = PHASE_HEADER;
            w.m_nTimeStamp = a;
            w.m_nInfoField2 = b;
            w.m_nBodySize = c;
            w.m_nBytesRead = n as u32;
        }
        State::FileHeader(n) => {
            w.m_hasAbsTimestamp = PHASE_FILE_HEADER;
            w.m_nBytesRead = n as u32;
        }
        State::PrevSize(left) => {
            w.m_hasAbsTimestamp = PHASE_PREV_SIZE;
            w.m_nBytesRead = flv::PREV_SIZE_LEN.saturating_sub(left) as u32;
        }
        // Body: m_body / m_nBodySize / m_nBytesRead already describe it.
        State::Body(_) => w.m_hasAbsTimestamp = PHASE_IDLE,
    }
}

/// Starts the message for a tag: allocates the body, sets the header fields.
unsafe fn start_tag(r: *mut RTMP, tag_type: u8, size: u32, ts: u32) -> Result<(), Stop> {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let w = addr_of_mut!((*r).m_write);
        free_body(w);
        let extra = if tag_type == flv::TAG_SCRIPT {
            SET_DATA_FRAME.len() as u32
        } else {
            0
        };
        let total = size + extra; // size is 24-bit: no overflow
        if total > cc::MAX_BODY {
            crate::rtmp_log!(
                log::ERROR,
                "RTMP_Write, data tag of {size} bytes too large for a message"
            );
            return Err(Stop::Failed);
        }
        if !alloc_body(w, total) {
            crate::rtmp_log!(log::ERROR, "RTMP_Write, failed to allocate packet");
            return Err(Stop::NoMemory);
        }
        let large = tag_type == flv::TAG_SCRIPT
            || (ts == 0 && (tag_type == flv::TAG_AUDIO || tag_type == flv::TAG_VIDEO));
        (*w).m_headerType = if large { cc::LARGE } else { cc::MEDIUM };
        (*w).m_packetType = tag_type;
        (*w).m_nChannel = WRITE_CHANNEL;
        (*w).m_nInfoField2 = (*r).m_stream_id;
        (*w).m_nTimeStamp = ts;
        (*w).m_nBodySize = total;
        (*w).m_nBytesRead = 0;
        if extra > 0 {
            std::ptr::copy_nonoverlapping(
                SET_DATA_FRAME.as_ptr() as *const c_char,
                (*w).m_body,
                SET_DATA_FRAME.len(),
            );
            (*w).m_nBytesRead = extra;
        }
        Ok(())
    }
}

unsafe fn add_body(r: *mut RTMP, b: &[u8]) -> Result<(), Stop> {
    // SAFETY: caller passes a valid handle; the copy stays inside the body (checked).
    unsafe {
        let w = addr_of_mut!((*r).m_write);
        let at = (*w).m_nBytesRead as usize;
        if (*w).m_body.is_null() || at + b.len() > (*w).m_nBodySize as usize {
            crate::rtmp_log!(log::ERROR, "RTMP_Write, inconsistent write state");
            return Err(Stop::Failed);
        }
        std::ptr::copy_nonoverlapping(b.as_ptr() as *const c_char, (*w).m_body.add(at), b.len());
        (*w).m_nBytesRead += b.len() as u32;
        Ok(())
    }
}

unsafe fn end_tag<C: Closer>(r: *mut RTMP) -> Result<(), Stop> {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let w = addr_of_mut!((*r).m_write);
        let ok = chunk::send_packet::<C>(r, w, false);
        // A failed send may already have closed the session (which frees the body).
        free_body(w);
        (*w).m_nBytesRead = 0;
        if ok {
            Ok(())
        } else {
            crate::rtmp_log!(log::DEBUG, "RTMP_Write, failed to send the message");
            Err(Stop::Failed)
        }
    }
}

/// `RTMP_Write` body: `size` on success (every byte consumed), -1 on a send failure or a tag
/// that cannot be sent, 0 when a message cannot be allocated. `C` closes the session after a
/// send error (see `driver::chunk::Closer`).
///
/// # Safety
/// `r` valid; `buf` readable for `size` bytes.
pub unsafe fn write<C: Closer>(r: *mut RTMP, buf: &[u8]) -> c_int {
    // SAFETY: caller contract.
    unsafe {
        let w = addr_of_mut!((*r).m_write);
        let mut reader = load(w);
        let res = reader.feed(buf, |e| match e {
            Event::TagStart {
                tag_type,
                size,
                timestamp,
            } => start_tag(r, tag_type, size, timestamp),
            Event::Body(b) => add_body(r, b),
            Event::TagEnd => end_tag::<C>(r),
        });
        match res {
            Ok(()) => {
                store(w, &reader);
                buf.len() as c_int
            }
            Err(stop) => {
                reset(r);
                match stop {
                    Stop::NoMemory => 0,
                    Stop::Failed => -1,
                }
            }
        }
    }
}
