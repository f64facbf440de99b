//! The play/publish client's exports: connecting (`RTMP_Connect`, `RTMP_Connect0`,
//! `RTMP_Connect1`), the server's messages (`RTMP_ClientPacket`), stream control
//! (`RTMP_ConnectStream`, `RTMP_GetNextMediaPacket`, pause/seek/delete/reconnect), `RTMP_Close`
//! and the property searches. Each is a guard and one call into `driver::session` (or
//! `driver::props`).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::raw::c_int;

use super::boundary::guard_ptr;
use crate::abi::types::*;
use crate::driver::{props, session};
use crate::log;

/// `RTMP_Close` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_Close(r: *mut RTMP) {
    // SAFETY: non-NULL handle, initialised by RTMP_Init per the C contract.
    guard_ptr("RTMP_Close", r, (), || unsafe {
        session::close_session(r, false)
    })
}

/// `RTMP_SendCreateStream` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_SendCreateStream(r: *mut RTMP) -> c_int {
    // SAFETY: non-NULL handle per the C contract.
    guard_ptr("RTMP_SendCreateStream", r, 0, || unsafe {
        c_int::from(session::send_create_stream(r))
    })
}

/// `RTMP_SendPause` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_SendPause(r: *mut RTMP, DoPause: c_int, dTime: c_int) -> c_int {
    // SAFETY: non-NULL handle per the C contract.
    guard_ptr("RTMP_SendPause", r, 0, || unsafe {
        c_int::from(session::send_pause(r, DoPause != 0, dTime))
    })
}

/// `RTMP_Pause` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_Pause(r: *mut RTMP, DoPause: c_int) -> c_int {
    // SAFETY: non-NULL handle per the C contract.
    guard_ptr("RTMP_Pause", r, 0, || unsafe {
        c_int::from(session::pause(r, DoPause != 0))
    })
}

/// `RTMP_SendSeek` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_SendSeek(r: *mut RTMP, dTime: c_int) -> c_int {
    // SAFETY: non-NULL handle per the C contract.
    guard_ptr("RTMP_SendSeek", r, 0, || unsafe {
        c_int::from(session::seek(r, dTime))
    })
}

/// `RTMP_UpdateBufferMS` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_UpdateBufferMS(r: *mut RTMP) {
    // SAFETY: non-NULL handle per the C contract.
    guard_ptr("RTMP_UpdateBufferMS", r, (), || unsafe {
        session::update_buffer_ms(r)
    })
}

/// `RTMP_ToggleStream` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_ToggleStream(r: *mut RTMP) -> c_int {
    // SAFETY: non-NULL handle per the C contract.
    guard_ptr("RTMP_ToggleStream", r, 0, || unsafe {
        c_int::from(session::toggle_stream(r))
    })
}

/// `RTMP_DeleteStream` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_DeleteStream(r: *mut RTMP) {
    // SAFETY: non-NULL handle per the C contract.
    guard_ptr("RTMP_DeleteStream", r, (), || unsafe {
        session::delete_stream(r)
    })
}

/// `RTMP_Connect0` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call; `svc` is NULL or a valid socket address as large as its family says.
#[no_mangle]
pub unsafe extern "C" fn RTMP_Connect0(r: *mut RTMP, svc: *mut libc::sockaddr) -> c_int {
    if svc.is_null() {
        crate::rtmp_log!(log::ERROR, "RTMP_Connect0: called with a NULL pointer");
        return 0;
    }
    // SAFETY: non-NULL handle and address per the C contract; the family selects the struct
    // the caller passed.
    guard_ptr("RTMP_Connect0", r, 0, || unsafe {
        let addr = match c_int::from((*svc).sa_family) {
            libc::AF_INET => {
                let a = &*(svc as *const libc::sockaddr_in);
                SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                    u16::from_be(a.sin_port),
                ))
            }
            libc::AF_INET6 => {
                let a = &*(svc as *const libc::sockaddr_in6);
                SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(a.sin6_addr.s6_addr),
                    u16::from_be(a.sin6_port),
                    u32::from_be(a.sin6_flowinfo),
                    a.sin6_scope_id,
                ))
            }
            fam => {
                crate::rtmp_log!(
                    log::ERROR,
                    "RTMP_Connect0, failed to create socket. Error: {} (address family {fam})",
                    libc::EAFNOSUPPORT
                );
                return 0;
            }
        };
        c_int::from(session::connect0(r, &[addr]))
    })
}

/// `RTMP_Connect1` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call; `cp` is NULL or a valid `RTMPPacket` whose `m_body` is NULL or came
/// from `RTMPPacket_Alloc`.
#[no_mangle]
pub unsafe extern "C" fn RTMP_Connect1(r: *mut RTMP, cp: *mut RTMPPacket) -> c_int {
    // SAFETY: non-NULL handle; `cp` NULL or a valid packet, per the C contract.
    guard_ptr("RTMP_Connect1", r, 0, || unsafe {
        c_int::from(session::connect1(r, cp))
    })
}

/// `RTMP_Connect` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call; `cp` is NULL or a valid `RTMPPacket` whose `m_body` is NULL or came
/// from `RTMPPacket_Alloc`.
#[no_mangle]
pub unsafe extern "C" fn RTMP_Connect(r: *mut RTMP, cp: *mut RTMPPacket) -> c_int {
    // SAFETY: non-NULL handle; `cp` NULL or a valid packet, per the C contract.
    guard_ptr("RTMP_Connect", r, 0, || unsafe {
        c_int::from(session::connect(r, cp))
    })
}

/// `RTMP_ClientPacket` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call; `packet` is NULL or a valid `RTMPPacket` whose `m_body` is NULL or
/// came from `RTMPPacket_Alloc`.
#[no_mangle]
pub unsafe extern "C" fn RTMP_ClientPacket(r: *mut RTMP, packet: *mut RTMPPacket) -> c_int {
    if packet.is_null() {
        crate::rtmp_log!(log::ERROR, "RTMP_ClientPacket: called with a NULL pointer");
        return 0;
    }
    // SAFETY: non-NULL handle and packet per the C contract.
    guard_ptr("RTMP_ClientPacket", r, 0, || unsafe {
        session::client_packet(r, &*packet)
    })
}

/// `RTMP_ConnectStream` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_ConnectStream(r: *mut RTMP, seekTime: c_int) -> c_int {
    // SAFETY: non-NULL handle per the C contract.
    guard_ptr("RTMP_ConnectStream", r, 0, || unsafe {
        c_int::from(session::connect_stream(r, seekTime))
    })
}

/// `RTMP_ReconnectStream` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call.
#[no_mangle]
pub unsafe extern "C" fn RTMP_ReconnectStream(r: *mut RTMP, seekTime: c_int) -> c_int {
    // SAFETY: non-NULL handle per the C contract.
    guard_ptr("RTMP_ReconnectStream", r, 0, || unsafe {
        c_int::from(session::reconnect_stream(r, seekTime))
    })
}

/// `RTMP_GetNextMediaPacket` (rtmp.h).
///
/// # Safety
/// Called from C: `r` is NULL (refused) or a handle set up by `RTMP_Init` that no other thread
/// uses during the call; `packet` is NULL or a valid `RTMPPacket` whose `m_body` is NULL or
/// came from `RTMPPacket_Alloc`.
#[no_mangle]
pub unsafe extern "C" fn RTMP_GetNextMediaPacket(r: *mut RTMP, packet: *mut RTMPPacket) -> c_int {
    if packet.is_null() {
        crate::rtmp_log!(
            log::ERROR,
            "RTMP_GetNextMediaPacket: called with a NULL pointer"
        );
        return 0;
    }
    // SAFETY: non-NULL handle and packet per the C contract.
    guard_ptr("RTMP_GetNextMediaPacket", r, 0, || unsafe {
        session::next_media_packet(r, packet)
    })
}

/// Shared body of the two property searches: NULL checks, then a depth-first search.
///
/// # Safety
/// Non-NULL pointers must be valid per the C contract of the searches.
unsafe fn find_export(
    func: &'static str,
    obj: *mut AMFObject,
    name: *const AVal,
    p: *mut AMFObjectProperty,
    prefix: bool,
) -> c_int {
    if name.is_null() || p.is_null() {
        crate::rtmp_log!(log::ERROR, "{func}: called with a NULL pointer");
        return 0;
    }
    // SAFETY: non-NULL pointers from the caller, per the C contract.
    guard_ptr(func, obj, 0, || unsafe {
        c_int::from(props::find(obj, &*name, p, prefix))
    })
}

/// `RTMP_FindFirstMatchingProperty` (rtmp.h).
///
/// # Safety
/// Called from C: `obj` is NULL or a valid `AMFObject` whose properties, names and strings are
/// readable; `name` is NULL or a readable `AVal`; `p` is NULL or writable for one
/// `AMFObjectProperty`.
#[no_mangle]
pub unsafe extern "C" fn RTMP_FindFirstMatchingProperty(
    obj: *mut AMFObject,
    name: *const AVal,
    p: *mut AMFObjectProperty,
) -> c_int {
    // SAFETY: forwarded caller pointers.
    unsafe { find_export("RTMP_FindFirstMatchingProperty", obj, name, p, false) }
}

/// `RTMP_FindPrefixProperty` (rtmp.h).
///
/// # Safety
/// Called from C: `obj` is NULL or a valid `AMFObject` whose properties, names and strings are
/// readable; `name` is NULL or a readable `AVal`; `p` is NULL or writable for one
/// `AMFObjectProperty`.
#[no_mangle]
pub unsafe extern "C" fn RTMP_FindPrefixProperty(
    obj: *mut AMFObject,
    name: *const AVal,
    p: *mut AMFObjectProperty,
) -> c_int {
    // SAFETY: forwarded caller pointers.
    unsafe { find_export("RTMP_FindPrefixProperty", obj, name, p, true) }
}
