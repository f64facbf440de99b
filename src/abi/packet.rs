//! Packet bodies: libc allocations with `RTMP_MAX_HEADER_SIZE` spare bytes in front of
//! `m_body`, so C code may `free(m_body - 18)` and headers can be built in place.

use std::os::raw::{c_char, c_void};

use super::types::{RTMPPacket, RTMP_MAX_HEADER_SIZE};

/// Allocates a zeroed body of `size` bytes (plus the header room) for `p`.
///
/// # Safety
/// `p` must be NULL or point to a writable `RTMPPacket`.
pub unsafe fn alloc_body(p: *mut RTMPPacket, size: u32) -> bool {
    let Some(total) = (size as usize).checked_add(RTMP_MAX_HEADER_SIZE) else {
        return false;
    };
    // SAFETY: plain libc allocation; released by `free_body` or by C code with free().
    let block = unsafe { libc::calloc(1, total) } as *mut std::os::raw::c_char;
    if block.is_null() {
        return false;
    }
    // SAFETY: the caller guarantees `p` is valid; the body starts inside the new block.
    unsafe {
        (*p).m_body = block.add(RTMP_MAX_HEADER_SIZE);
        (*p).m_nBytesRead = 0;
    }
    true
}

/// Allocates a body of `size` bytes without clearing it (for bodies about to be filled), with
/// the header room zeroed; NULL when the allocation fails. Released like [`free_body`] does.
pub fn alloc_body_uninit(size: u32) -> *mut c_char {
    // SAFETY: plain libc allocation; freed with free(m_body - 18) like RTMPPacket_Alloc's.
    unsafe {
        let block = libc::malloc(size as usize + RTMP_MAX_HEADER_SIZE) as *mut c_char;
        if block.is_null() {
            return block;
        }
        std::ptr::write_bytes(block, 0, RTMP_MAX_HEADER_SIZE);
        block.add(RTMP_MAX_HEADER_SIZE)
    }
}

/// Frees the body of `p` (if any) and clears `m_body`.
///
/// # Safety
/// `p` must point to a valid `RTMPPacket` whose `m_body` is NULL or came from `alloc_body`.
pub unsafe fn free_body(p: *mut RTMPPacket) {
    // SAFETY: see the function contract.
    unsafe {
        let body = (*p).m_body;
        if !body.is_null() {
            libc::free(body.sub(RTMP_MAX_HEADER_SIZE) as *mut c_void);
            (*p).m_body = std::ptr::null_mut();
        }
    }
}

/// A packet body as a slice (empty for NULL).
///
/// # Safety
/// `p.m_body` must be readable for `m_nBodySize` bytes while the slice is used.
pub unsafe fn body_of<'a>(p: &RTMPPacket) -> &'a [u8] {
    if p.m_body.is_null() || p.m_nBodySize == 0 {
        &[]
    } else {
        // SAFETY: caller contract.
        unsafe { std::slice::from_raw_parts(p.m_body as *const u8, p.m_nBodySize as usize) }
    }
}
