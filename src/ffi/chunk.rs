//! Chunk stream and transport exports: `RTMP_SendPacket`, `RTMP_SendChunk`, `RTMP_ReadPacket`,
//! `RTMPSockBuf_*`, `RTMP_DropRequest`, `RTMP_SendCtrl`, `RTMP_SendServerBW`,
//! `RTMP_SendClientBW`: each a null check and one call into `crate::driver::chunk`, which
//! closes the connection after an I/O error through [`Session`] (librtmp's `RTMP_Close`).

use std::os::raw::{c_char, c_int, c_short, c_uint};

use super::boundary::guard_ptr;
use crate::abi::types::*;
use crate::driver::chunk as dc;
use crate::io;
use crate::log;

/// Closing after an I/O error is the session's full close, as librtmp's `RTMP_Close`.
pub struct Session;

impl dc::Closer for Session {
    unsafe fn close(r: *mut RTMP) {
        // SAFETY: the driver passes the valid handle it works on.
        unsafe { super::client::close_session(r, false) }
    }
}

// ---------------------------------------------------------------------------------------------
// Transitional re-exports / wrappers (removed at merge): the session layer (ffi/client.rs,
// read.rs, write.rs, serve.rs) still calls these names; the merge points it at driver::chunk.

pub use dc::{
    free_method_calls, handle_abort, handle_set_chunk_size, reset_transport, EXT_PENDING,
    MAX_PENDING_BODY,
};

/// Where librtmp calls `RTMP_Close` after a failed read or send: the full session close.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn close_after_io_error(r: *mut RTMP) {
    // SAFETY: caller contract.
    unsafe { super::client::close_session(r, false) }
}

/// WriteN of one buffer ([`dc::write_n`], closing through [`Session`]).
///
/// # Safety
/// `r` valid; `buf` readable for `len` bytes.
pub unsafe fn write_n(r: *mut RTMP, buf: *const u8, len: usize) -> bool {
    // SAFETY: caller contract.
    unsafe { dc::write_n::<Session>(r, buf, len) }
}

/// [`dc::send_packet`], closing through [`Session`].
///
/// # Safety
/// `r` and `p` valid; `p.m_body` readable for `m_nBodySize` bytes when non-NULL.
pub unsafe fn send_packet(r: *mut RTMP, p: *mut RTMPPacket, queue: bool) -> bool {
    // SAFETY: caller contract.
    unsafe { dc::send_packet::<Session>(r, p, queue) }
}

/// [`dc::send_bytes_received`], closing through [`Session`].
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn send_bytes_received(r: *mut RTMP) -> bool {
    // SAFETY: caller contract.
    unsafe { dc::send_bytes_received::<Session>(r) }
}

/// [`dc::send_set_chunk_size`], closing through [`Session`].
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn send_set_chunk_size(r: *mut RTMP, size: c_int) -> bool {
    // SAFETY: caller contract.
    unsafe { dc::send_set_chunk_size::<Session>(r, size) }
}

// (end of the transitional block)

// ---------------------------------------------------------------------------------------------
// Exports

#[no_mangle]
pub unsafe extern "C" fn RTMP_SendPacket(
    r: *mut RTMP,
    packet: *mut RTMPPacket,
    queue: c_int,
) -> c_int {
    if packet.is_null() {
        crate::rtmp_log!(log::ERROR, "RTMP_SendPacket: called with a NULL pointer");
        return 0;
    }
    guard_ptr("RTMP_SendPacket", r, 0, || {
        // SAFETY: both non-NULL; the C contract makes them valid.
        c_int::from(unsafe { dc::send_packet::<Session>(r, packet, queue != 0) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_SendChunk(r: *mut RTMP, chunk: *mut RTMPChunk) -> c_int {
    if chunk.is_null() {
        crate::rtmp_log!(log::ERROR, "RTMP_SendChunk: called with a NULL pointer");
        return 0;
    }
    guard_ptr("RTMP_SendChunk", r, 0, || {
        // SAFETY: both non-NULL; the C contract makes them valid.
        c_int::from(unsafe { dc::send_chunk::<Session>(r, chunk) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_ReadPacket(r: *mut RTMP, packet: *mut RTMPPacket) -> c_int {
    if packet.is_null() {
        crate::rtmp_log!(log::ERROR, "RTMP_ReadPacket: called with a NULL pointer");
        return 0;
    }
    guard_ptr("RTMP_ReadPacket", r, 0, || {
        // SAFETY: both non-NULL; the C contract makes them valid.
        c_int::from(unsafe { dc::read_packet::<Session>(r, packet) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMPSockBuf_Fill(sb: *mut RTMPSockBuf) -> c_int {
    // SAFETY: non-NULL socket buffer from the caller.
    guard_ptr("RTMPSockBuf_Fill", sb, -1, || unsafe { io::fill(sb) })
}

#[no_mangle]
pub unsafe extern "C" fn RTMPSockBuf_Send(
    sb: *mut RTMPSockBuf,
    buf: *const c_char,
    len: c_int,
) -> c_int {
    guard_ptr("RTMPSockBuf_Send", sb, -1, || {
        let Ok(len) = usize::try_from(len) else {
            crate::rtmp_log!(log::ERROR, "RTMPSockBuf_Send, invalid length {len}");
            return -1;
        };
        // SAFETY: the caller passes `len` readable bytes.
        unsafe { io::send_raw(sb, buf as *const u8, len) as c_int }
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMPSockBuf_Close(sb: *mut RTMPSockBuf) -> c_int {
    // SAFETY: non-NULL socket buffer from the caller.
    guard_ptr("RTMPSockBuf_Close", sb, -1, || unsafe { io::close(sb) })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_DropRequest(r: *mut RTMP, i: c_int, freeit: c_int) {
    guard_ptr("RTMP_DropRequest", r, (), || {
        // SAFETY: non-NULL handle, valid by the C contract.
        unsafe { dc::drop_request(r, i, freeit != 0) }
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_SendCtrl(
    r: *mut RTMP,
    nType: c_short,
    nObject: c_uint,
    nTime: c_uint,
) -> c_int {
    guard_ptr("RTMP_SendCtrl", r, 0, || {
        // SAFETY: non-NULL handle, valid by the C contract.
        c_int::from(unsafe { dc::send_ctrl::<Session>(r, nType as u16, nObject, nTime) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_SendServerBW(r: *mut RTMP) -> c_int {
    guard_ptr("RTMP_SendServerBW", r, 0, || {
        // SAFETY: non-NULL handle, valid by the C contract.
        c_int::from(unsafe { dc::send_server_bw::<Session>(r) })
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_SendClientBW(r: *mut RTMP) -> c_int {
    guard_ptr("RTMP_SendClientBW", r, 0, || {
        // SAFETY: non-NULL handle, valid by the C contract.
        c_int::from(unsafe { dc::send_client_bw::<Session>(r) })
    })
}
