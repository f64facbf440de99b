//! Chunk stream and transport exports: `RTMP_SendPacket`, `RTMP_SendChunk`, `RTMP_ReadPacket`,
//! `RTMPSockBuf_*`, `RTMP_DropRequest`, `RTMP_SendCtrl`, `RTMP_SendServerBW`,
//! `RTMP_SendClientBW`: each a null check and one call into `crate::driver::chunk`, which
//! closes the connection after an I/O error through the session's close (librtmp's
//! `RTMP_Close`).

use std::os::raw::{c_char, c_int, c_short, c_uint};

use super::boundary::guard_ptr;
use crate::abi::types::*;
use crate::driver::chunk as dc;
use crate::io;
use crate::log;

use crate::driver::session::Close as Session;

// ---------------------------------------------------------------------------------------------
// Exports

/// `RTMP_SendPacket` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call; `packet` is NULL or a valid `RTMPPacket` whose `m_body` is NULL or
/// came from `RTMPPacket_Alloc`.
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

/// `RTMP_SendChunk` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call; `chunk` is NULL (refused) or a valid `RTMPChunk` whose header and
/// payload pointers are readable for their sizes.
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

/// `RTMP_ReadPacket` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call; `packet` is NULL or a valid `RTMPPacket` whose `m_body` is NULL or
/// came from `RTMPPacket_Alloc`.
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

/// `RTMPSockBuf_Fill` (rtmp.h).
///
/// # Safety
/// Called from C: `sb` is NULL (refused) or the socket buffer of a handle set up by
/// `RTMP_Init`.
#[no_mangle]
pub unsafe extern "C" fn RTMPSockBuf_Fill(sb: *mut RTMPSockBuf) -> c_int {
    // SAFETY: non-NULL socket buffer from the caller.
    guard_ptr("RTMPSockBuf_Fill", sb, -1, || unsafe { io::fill(sb) })
}

/// `RTMPSockBuf_Send` (rtmp.h).
///
/// # Safety
/// Called from C: `sb` is NULL (refused) or the socket buffer of a handle set up by
/// `RTMP_Init`; `buf` is readable for `len` bytes (when it is positive).
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

/// `RTMPSockBuf_Close` (rtmp.h).
///
/// # Safety
/// Called from C: `sb` is NULL (refused) or the socket buffer of a handle set up by
/// `RTMP_Init`.
#[no_mangle]
pub unsafe extern "C" fn RTMPSockBuf_Close(sb: *mut RTMPSockBuf) -> c_int {
    // SAFETY: non-NULL socket buffer from the caller.
    guard_ptr("RTMPSockBuf_Close", sb, -1, || unsafe { io::close(sb) })
}

/// `RTMP_DropRequest` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_DropRequest(r: *mut RTMP, i: c_int, freeit: c_int) {
    guard_ptr("RTMP_DropRequest", r, (), || {
        // SAFETY: non-NULL handle, valid by the C contract.
        unsafe { dc::drop_request(r, i, freeit != 0) }
    })
}

/// `RTMP_SendCtrl` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
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

/// `RTMP_SendServerBW` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_SendServerBW(r: *mut RTMP) -> c_int {
    guard_ptr("RTMP_SendServerBW", r, 0, || {
        // SAFETY: non-NULL handle, valid by the C contract.
        c_int::from(unsafe { dc::send_server_bw::<Session>(r) })
    })
}

/// `RTMP_SendClientBW` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_SendClientBW(r: *mut RTMP) -> c_int {
    guard_ptr("RTMP_SendClientBW", r, 0, || {
        // SAFETY: non-NULL handle, valid by the C contract.
        c_int::from(unsafe { dc::send_client_bw::<Session>(r) })
    })
}
