//! RTMPPacket_* exports. Bodies are libc allocations with `RTMP_MAX_HEADER_SIZE` spare bytes in
//! front of `m_body`, so C code may `free(m_body - 18)` and headers can be built in place.

use std::os::raw::c_int;

use super::boundary::{guard, guard_ptr};
use crate::abi::packet::{alloc_body, free_body};
use crate::abi::types::RTMPPacket;
use crate::log;

/// `RTMPPacket_Alloc` (rtmp.h).
///
/// # Safety
/// Called from C: `p` is NULL (refused) or a valid `RTMPPacket` whose `m_body` is NULL or
/// came from `RTMPPacket_Alloc`.
#[no_mangle]
pub unsafe extern "C" fn RTMPPacket_Alloc(p: *mut RTMPPacket, nSize: u32) -> c_int {
    guard_ptr("RTMPPacket_Alloc", p, 0, || {
        // SAFETY: `p` is non-NULL and, by the C contract, points to a packet.
        let ok = unsafe { alloc_body(p, nSize) };
        if !ok {
            crate::rtmp_log!(
                log::ERROR,
                "RTMPPacket_Alloc: cannot allocate {nSize} bytes"
            );
        }
        c_int::from(ok)
    })
}

/// `RTMPPacket_Free` (rtmp.h).
///
/// # Safety
/// Called from C: `p` is NULL (refused) or a valid `RTMPPacket` whose `m_body` is NULL or
/// came from `RTMPPacket_Alloc`.
#[no_mangle]
pub unsafe extern "C" fn RTMPPacket_Free(p: *mut RTMPPacket) {
    if p.is_null() {
        return;
    }
    // SAFETY: as `free_body`; a NULL packet is a no-op.
    guard("RTMPPacket_Free", (), || unsafe { free_body(p) })
}

/// `RTMPPacket_Reset` (rtmp.h).
///
/// # Safety
/// Called from C: `p` is NULL (refused) or a valid `RTMPPacket` whose `m_body` is NULL or
/// came from `RTMPPacket_Alloc`.
#[no_mangle]
pub unsafe extern "C" fn RTMPPacket_Reset(p: *mut RTMPPacket) {
    guard_ptr("RTMPPacket_Reset", p, (), || {
        // SAFETY: non-NULL packet owned by the caller.
        let p = unsafe { &mut *p };
        p.m_headerType = 0;
        p.m_packetType = 0;
        p.m_nChannel = 0;
        p.m_nTimeStamp = 0;
        p.m_nInfoField2 = 0;
        p.m_hasAbsTimestamp = 0;
        p.m_nBodySize = 0;
        p.m_nBytesRead = 0;
    })
}

/// `RTMPPacket_Dump` (rtmp.h).
///
/// # Safety
/// Called from C: `p` is NULL (refused) or a valid `RTMPPacket` whose `m_body` is NULL or
/// came from `RTMPPacket_Alloc`.
#[no_mangle]
pub unsafe extern "C" fn RTMPPacket_Dump(p: *mut RTMPPacket) {
    guard_ptr("RTMPPacket_Dump", p, (), || {
        // SAFETY: non-NULL packet; its body, when set, has at least one byte readable only if
        // the body is non-empty or was allocated by us (calloc'd header room follows).
        let p = unsafe { &*p };
        let first = if p.m_body.is_null() {
            0
        } else {
            // SAFETY: a non-NULL body has a readable first byte (our header room follows).
            unsafe { *p.m_body as u8 }
        };
        crate::rtmp_log!(
            log::DEBUG,
            "RTMP PACKET: packet type: 0x{:02x}. channel: 0x{:02x}. info 1: {} info 2: {}. Body size: {}. body: 0x{:02x}",
            p.m_packetType,
            p.m_nChannel,
            p.m_nTimeStamp as i32,
            p.m_nInfoField2,
            p.m_nBodySize,
            first
        );
    })
}
