//! The play-side client: connecting (`RTMP_Connect`, `RTMP_Connect0`, `RTMP_Connect1`, the
//! handshake and the connect command), the NetConnection/NetStream conversation
//! (`RTMP_ClientPacket` and what it answers), stream control (`RTMP_ConnectStream`,
//! `RTMP_GetNextMediaPacket`, pause/seek/delete/reconnect) and `RTMP_Close`.
//!
//! All state lives in the `RTMP` struct and is re-read at every step; the chunk layer
//! (`ffi::chunk`) does the framing. `RTMP_Read` is in `ffi::read`.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr::addr_of_mut;

use super::boundary::guard_ptr;
use super::chunk;
use super::packet::free_body;
use super::setup::malloc_bytes;
use crate::abi::types::*;
use crate::io;
use crate::io::net;
use crate::log;
use rtmp_core::amf::{Property, Value};
use rtmp_core::auth;
use rtmp_core::chunk as cc;
use rtmp_core::commands as cmd;
use rtmp_core::handshake as hs;

// Message types.
const PT_CHUNK_SIZE: u8 = 0x01;
const PT_ABORT: u8 = 0x02;
const PT_BYTES_READ: u8 = 0x03;
const PT_CONTROL: u8 = 0x04;
const PT_SERVER_BW: u8 = 0x05;
const PT_CLIENT_BW: u8 = 0x06;
pub(crate) const PT_AUDIO: u8 = 0x08;
pub(crate) const PT_VIDEO: u8 = 0x09;
const PT_FLEX_STREAM_SEND: u8 = 0x0F;
const PT_FLEX_SHARED_OBJECT: u8 = 0x10;
const PT_FLEX_MESSAGE: u8 = 0x11;
pub(crate) const PT_INFO: u8 = 0x12;
const PT_SHARED_OBJECT: u8 = 0x13;
const PT_INVOKE: u8 = 0x14;
pub(crate) const PT_AGGREGATE: u8 = 0x16;

/// Out chunk size announced after connecting in write mode (librtmp stays at 128).
pub const PUBLISH_CHUNK_SIZE: c_int = 4096;

pub(crate) const READ_HEADER: u8 = 0x01;
pub(crate) const READ_SEEKING: u8 = 0x20;
/// Ours, in a bit of `m_read.flags` librtmp leaves unused: RTMP_Read's resume found the server
/// past the resume keyframe and restarted playback from 0 (see read.rs).
pub(crate) const READ_REWOUND: u8 = 0x80;

/// The bytes of an `AVal` (empty for NULL or a non-positive length).
///
/// # Safety
/// A non-NULL `av_val` must be readable for `av_len` bytes while the slice is used.
pub(crate) unsafe fn av<'a>(a: &AVal) -> &'a [u8] {
    if a.av_val.is_null() || a.av_len <= 0 {
        &[]
    } else {
        // SAFETY: caller contract.
        unsafe { std::slice::from_raw_parts(a.av_val as *const u8, a.av_len as usize) }
    }
}

/// A packet body as a slice (empty for NULL).
///
/// # Safety
/// `p.m_body` must be readable for `m_nBodySize` bytes while the slice is used.
pub(crate) unsafe fn body_of<'a>(p: &RTMPPacket) -> &'a [u8] {
    if p.m_body.is_null() || p.m_nBodySize == 0 {
        &[]
    } else {
        // SAFETY: caller contract.
        unsafe { std::slice::from_raw_parts(p.m_body as *const u8, p.m_nBodySize as usize) }
    }
}

fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(cmd::c_str(b))
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be24(b: &[u8]) -> u32 {
    u32::from_be_bytes([0, b[0], b[1], b[2]])
}

// ---------------------------------------------------------------------------------------------
// Teardown

/// librtmp's close: deletes the stream (when one is open and the socket is up), closes the
/// socket, and resets the session state (§1 of the behaviour notes). With `reconnect`, the
/// owned tcUrl/app and `playpath0` are kept.
///
/// # Safety
/// `r` must point to a valid, initialised `RTMP`.
pub unsafe fn close_session(r: *mut RTMP, reconnect: bool) {
    // SAFETY: caller contract; every freed pointer is a libc allocation of this library (or a
    // consumer following librtmp's conventions) and is cleared right after.
    unsafe {
        let fd = (*r).m_sb.sb_socket;
        let mut wake_fd = -1;
        if fd != -1 {
            let id = (*r).m_stream_id;
            let publishing = id > 0 && (*r).Link.protocol & RTMP_FEATURE_WRITE != 0;
            if id > 0 {
                (*r).m_stream_id = 0;
                if (*r).Link.protocol & RTMP_FEATURE_WRITE != 0 {
                    let pp = av(&(*r).Link.playpath);
                    let txn = next_txn(r);
                    let mut b = cmd::call(b"FCUnpublish", txn, &[Value::String(pp.into())]);
                    send_invoke_raw(r, 3, cc::MEDIUM, 0, 0, &mut b, false);
                }
                send_delete_stream(r, id);
            }
            let fd = (*r).m_sb.sb_socket;
            if fd != -1 {
                if publishing {
                    // Everything written must reach the server before the socket goes away.
                    io::drain_before_close(addr_of_mut!((*r).m_sb), (*r).Link.timeout);
                } else {
                    // A read blocked in another thread (GStreamer closes to abort a read) is
                    // woken by the shutdown at the end, once the handle is reset: it then finds
                    // a closed handle and nothing left to free. TLS ends first (close_notify,
                    // unless that other thread is inside the session).
                    io::end_tls(addr_of_mut!((*r).m_sb));
                    wake_fd = fd;
                    (*r).m_sb.sb_socket = -1;
                }
            }
        }
        (*r).m_stream_id = -1;
        chunk::reset_transport(r);
        if (*r).m_read.flags & READ_HEADER != 0 && !(*r).m_read.buf.is_null() {
            libc::free((*r).m_read.buf as *mut c_void);
            (*r).m_read.buf = std::ptr::null_mut();
            (*r).m_read.bufpos = std::ptr::null_mut();
            (*r).m_read.buflen = 0;
        }
        (*r).m_read.dataType = 0;
        (*r).m_read.flags = 0;
        (*r).m_read.status = 0;
        (*r).m_read.nResumeTS = 0;
        (*r).m_read.nIgnoredFrameCounter = 0;
        (*r).m_read.nIgnoredFlvFrameCounter = 0;
        super::write::reset(r);
        (*r).m_bPlaying = 0;
        (*r).m_sb.sb_size = 0;
        (*r).m_msgCounter = 0;
        (*r).m_resplen = 0;
        (*r).m_unackd = 0;
        if !(*r).m_clientID.av_val.is_null() {
            libc::free((*r).m_clientID.av_val as *mut c_void);
            (*r).m_clientID = AVal::EMPTY;
        }
        if !reconnect {
            let link = &mut (*r).Link;
            // librtmp clears the pointers and leaves the lengths as they were.
            if link.lFlags & RTMP_LF_FTCU != 0 {
                libc::free(link.tcUrl.av_val as *mut c_void);
                link.tcUrl.av_val = std::ptr::null_mut();
                link.lFlags &= !RTMP_LF_FTCU;
            }
            if link.lFlags & RTMP_LF_FAPU != 0 {
                libc::free(link.app.av_val as *mut c_void);
                link.app.av_val = std::ptr::null_mut();
                link.lFlags &= !RTMP_LF_FAPU;
            }
            libc::free(link.playpath0.av_val as *mut c_void);
            link.playpath0 = AVal::EMPTY;
        }
        if wake_fd != -1 {
            io::wake_and_close(wake_fd);
        }
    }
}

/// After a chunk-layer call failed: when it dropped the connection (its own close only resets
/// the transport), finish librtmp's close for the session parts.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub(crate) unsafe fn after_io_failure(r: *mut RTMP) {
    // SAFETY: caller contract.
    unsafe {
        if (*r).m_sb.sb_socket == -1 {
            close_session(r, false);
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_Close(r: *mut RTMP) {
    // SAFETY: non-NULL handle, initialised by RTMP_Init per the C contract.
    guard_ptr("RTMP_Close", r, (), || unsafe { close_session(r, false) })
}

// ---------------------------------------------------------------------------------------------
// Sending commands

/// `++m_numInvokes`, as a transaction number.
unsafe fn next_txn(r: *mut RTMP) -> f64 {
    // SAFETY: caller passes a valid handle.
    unsafe {
        (*r).m_numInvokes = (*r).m_numInvokes.wrapping_add(1);
        f64::from((*r).m_numInvokes)
    }
}

/// Sends an invoke (type 0x14) without the post-failure session close.
unsafe fn send_invoke_raw(
    r: *mut RTMP,
    channel: c_int,
    header: u8,
    ts: u32,
    sid: i32,
    body: &mut [u8],
    queue: bool,
) -> bool {
    let mut p = RTMPPacket {
        m_headerType: header,
        m_packetType: PT_INVOKE,
        m_hasAbsTimestamp: 0,
        m_nChannel: channel,
        m_nTimeStamp: ts,
        m_nInfoField2: sid,
        m_nBodySize: body.len() as u32,
        m_nBytesRead: 0,
        m_chunk: std::ptr::null_mut(),
        m_body: body.as_mut_ptr() as *mut c_char,
    };
    // SAFETY: `p` describes `body`, alive for the call; `r` valid per caller.
    unsafe { chunk::send_packet(r, &mut p, queue) }
}

unsafe fn send_invoke(
    r: *mut RTMP,
    channel: c_int,
    header: u8,
    ts: u32,
    sid: i32,
    body: &mut [u8],
    queue: bool,
) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let ok = send_invoke_raw(r, channel, header, ts, sid, body, queue);
        if !ok {
            after_io_failure(r);
        }
        ok
    }
}

unsafe fn send_delete_stream(r: *mut RTMP, id: c_int) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let txn = next_txn(r);
        let mut b = cmd::call(b"deleteStream", txn, &[Value::Number(f64::from(id))]);
        send_invoke_raw(r, 3, cc::MEDIUM, 0, 0, &mut b, false)
    }
}

unsafe fn send_ctrl(r: *mut RTMP, ty: i16, obj: u32, time: u32) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let ok = chunk::RTMP_SendCtrl(r, ty, obj, time) != 0;
        if !ok {
            after_io_failure(r);
        }
        ok
    }
}

unsafe fn send_connect_packet(r: *mut RTMP, cp: *mut RTMPPacket) -> bool {
    // SAFETY: caller passes a valid handle and a valid or NULL packet; Link strings are
    // readable per the C contract.
    unsafe {
        if !cp.is_null() {
            let ok = chunk::send_packet(r, cp, true);
            if !ok {
                after_io_failure(r);
            }
            return ok;
        }
        let link = &(*r).Link;
        let write = link.protocol & RTMP_FEATURE_WRITE != 0;
        let auth = av(&link.auth);
        let info = cmd::ConnectInfo {
            app: av(&link.app),
            write,
            flash_ver: av(&link.flashVer),
            swf_url: av(&link.swfUrl),
            tc_url: av(&link.tcUrl),
            page_url: av(&link.pageUrl),
            audio_codecs: (*r).m_fAudioCodecs,
            video_codecs: (*r).m_fVideoCodecs,
            object_encoding: ((*r).m_fEncoding != 0.0 || (*r).m_bSendEncoding != 0)
                .then_some((*r).m_fEncoding),
            auth: (!auth.is_empty()).then_some((link.lFlags & RTMP_LF_AUTH != 0, auth)),
        };
        let txn = next_txn(r);
        let mut body = cmd::connect(&info, txn);
        let extras = link.extras;
        if extras.o_num > 0 && !extras.o_props.is_null() {
            let used = body.len();
            if used > cmd::MAX_CONNECT_BODY {
                crate::rtmp_log!(log::ERROR, "SendConnectPacket, connect command too large");
                return false;
            }
            body.resize(cmd::MAX_CONNECT_BODY, 0);
            let base = body.as_mut_ptr() as *mut c_char;
            let end = base.add(cmd::MAX_CONNECT_BODY);
            let mut at = base.add(used);
            for i in 0..extras.o_num as usize {
                at = super::amf::AMFProp_Encode(extras.o_props.add(i), at, end);
                if at.is_null() {
                    crate::rtmp_log!(log::ERROR, "SendConnectPacket, conn= extras too large");
                    return false;
                }
            }
            body.truncate(at.offset_from(base) as usize);
        } else if body.len() > cmd::MAX_CONNECT_BODY {
            crate::rtmp_log!(log::ERROR, "SendConnectPacket, connect command too large");
            return false;
        }
        send_invoke(r, 3, cc::LARGE, 0, 0, &mut body, true)
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_SendCreateStream(r: *mut RTMP) -> c_int {
    guard_ptr("RTMP_SendCreateStream", r, 0, || unsafe {
        let txn = next_txn(r);
        let mut b = cmd::call(b"createStream", txn, &[]);
        c_int::from(send_invoke(r, 3, cc::MEDIUM, 0, 0, &mut b, true))
    })
}

unsafe fn send_pause(r: *mut RTMP, on: bool, ms: c_int) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let txn = next_txn(r);
        let mut b = cmd::pause(txn, on, ms);
        crate::rtmp_log!(
            log::DEBUG,
            "RTMP_SendPause, {}, pauseTime={}",
            c_int::from(on),
            ms
        );
        send_invoke(r, 8, cc::MEDIUM, 0, 0, &mut b, true)
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_SendPause(r: *mut RTMP, DoPause: c_int, dTime: c_int) -> c_int {
    guard_ptr("RTMP_SendPause", r, 0, || unsafe {
        c_int::from(send_pause(r, DoPause != 0, dTime))
    })
}

/// Timestamp last seen on the media channel (0 when out of range).
unsafe fn media_channel_stamp(r: *mut RTMP) -> u32 {
    // SAFETY: caller passes a valid handle; the index is checked against the allocation.
    unsafe {
        let ch = (*r).m_mediaChannel;
        if ch >= 0 && ch < (*r).m_channelsAllocatedIn && !(*r).m_channelTimestamp.is_null() {
            *(*r).m_channelTimestamp.add(ch as usize) as u32
        } else {
            0
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_Pause(r: *mut RTMP, DoPause: c_int) -> c_int {
    guard_ptr("RTMP_Pause", r, 0, || unsafe {
        if DoPause != 0 {
            (*r).m_pauseStamp = media_channel_stamp(r);
        }
        c_int::from(send_pause(r, DoPause != 0, (*r).m_pauseStamp as c_int))
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_SendSeek(r: *mut RTMP, dTime: c_int) -> c_int {
    guard_ptr("RTMP_SendSeek", r, 0, || unsafe {
        (*r).m_read.nResumeTS = 0;
        c_int::from(send_seek(r, dTime))
    })
}

/// The `seek` command; unlike `RTMP_SendSeek` it keeps `m_read.nResumeTS` (RTMP_Read's resume
/// rewinds with it).
pub(crate) unsafe fn send_seek(r: *mut RTMP, ms: c_int) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let txn = next_txn(r);
        let mut b = cmd::call(b"seek", txn, &[Value::Number(f64::from(ms))]);
        (*r).m_read.flags |= READ_SEEKING;
        send_invoke(r, 8, cc::MEDIUM, 0, 0, &mut b, true)
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_UpdateBufferMS(r: *mut RTMP) {
    guard_ptr("RTMP_UpdateBufferMS", r, (), || unsafe {
        send_ctrl(r, 3, (*r).m_stream_id as u32, (*r).m_nBufferMS as u32);
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_ToggleStream(r: *mut RTMP) -> c_int {
    guard_ptr("RTMP_ToggleStream", r, 0, || unsafe {
        if (*r).m_pausing == 0 {
            if (*r).m_sb.sb_timedout != 0 && (*r).m_read.status == -1 {
                (*r).m_read.status = 0;
            }
            if !send_pause(r, true, (*r).m_pauseStamp as c_int) {
                return 0;
            }
            (*r).m_pausing = 1;
            libc::sleep(1);
        }
        let ok = send_pause(r, false, (*r).m_pauseStamp as c_int);
        (*r).m_pausing = 3;
        c_int::from(ok)
    })
}

unsafe fn delete_stream(r: *mut RTMP) {
    // SAFETY: caller passes a valid handle.
    unsafe {
        if (*r).m_stream_id < 0 {
            return;
        }
        (*r).m_bPlaying = 0;
        if !send_delete_stream(r, (*r).m_stream_id) {
            after_io_failure(r);
        }
        (*r).m_stream_id = -1;
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_DeleteStream(r: *mut RTMP) {
    guard_ptr("RTMP_DeleteStream", r, (), || unsafe { delete_stream(r) })
}

// ---------------------------------------------------------------------------------------------
// Connecting

/// Reads exactly `dst.len()` bytes through `m_sb` (the handshake's ReadN), counting them in
/// `m_nBytesIn`. On EOF or error the connection is closed (not on a receive timeout).
pub(crate) unsafe fn read_exact(r: *mut RTMP, dst: &mut [u8]) -> bool {
    // SAFETY: caller passes a valid handle; copies stay inside sb_buf (start_offset checks).
    unsafe {
        let sb = addr_of_mut!((*r).m_sb);
        (*sb).sb_timedout = 0;
        let mut got = 0usize;
        while got < dst.len() {
            let avail = (*sb).sb_size;
            if avail > 0 {
                let Some(off) = io::start_offset(sb) else {
                    crate::rtmp_log!(log::ERROR, "ReadN, inconsistent receive buffer");
                    return false;
                };
                let k = (avail as usize).min(dst.len() - got);
                let src = (std::ptr::addr_of!((*sb).sb_buf) as *const u8).add(off);
                std::ptr::copy_nonoverlapping(src, dst.as_mut_ptr().add(got), k);
                (*sb).sb_start = (*sb).sb_start.add(k);
                (*sb).sb_size -= k as c_int;
                (*r).m_nBytesIn = (*r).m_nBytesIn.wrapping_add(k as c_int);
                got += k;
                continue;
            }
            let n = io::fill(sb);
            if n < 1 {
                if (*sb).sb_timedout == 0 {
                    if n == 0 {
                        crate::rtmp_log!(log::DEBUG, "ReadN, RTMP socket closed by peer");
                    }
                    close_session(r, false);
                }
                return false;
            }
        }
        true
    }
}

pub(crate) unsafe fn write_all(r: *mut RTMP, b: &[u8]) -> bool {
    // SAFETY: caller passes a valid handle; `b` is alive for the call.
    unsafe {
        let ok = chunk::write_n(r, b.as_ptr(), b.len());
        if !ok {
            after_io_failure(r);
        }
        ok
    }
}

/// The client handshake: FP9 digest when encrypting or when a SWF hash is set, else plain.
unsafe fn handshake(r: *mut RTMP) -> bool {
    const F: &str = "HandShake";
    // SAFETY: caller passes a valid handle.
    unsafe {
        let fp9 = (*r).Link.protocol & RTMP_FEATURE_ENC != 0 || (*r).Link.SWFSize != 0;
        let uptime = super::rtmp::RTMP_GetTime();
        let rand_word = || libc::rand() as u32;
        let mut client = hs::Client::new(fp9, uptime, rand_word);
        let mut c0c1 = vec![client.c0()];
        c0c1.extend_from_slice(client.c1());
        if !write_all(r, &c0c1) {
            return false;
        }
        let mut s0 = [0u8; 1];
        if !read_exact(r, &mut s0) {
            return false;
        }
        crate::rtmp_log!(log::DEBUG, "{F}: Type Answer   : {:02X}", s0[0]);
        let mut s1 = Box::new([0u8; hs::SIG_SIZE]);
        if !read_exact(r, &mut s1[..]) {
            return false;
        }
        crate::rtmp_log!(log::DEBUG, "{F}: Server Uptime : {}", be32(&s1[..4]) as i32);
        crate::rtmp_log!(
            log::DEBUG,
            "{F}: FMS Version   : {}.{}.{}.{}",
            s1[4],
            s1[5],
            s1[6],
            s1[7]
        );
        let hash = (*r).Link.SWFHash;
        let size = (*r).Link.SWFSize;
        let swf = (size != 0).then_some((&hash, size));
        let reply = match client.on_s0s1(s0[0], &s1, swf, rand_word) {
            Ok(reply) => reply,
            Err(e) => {
                crate::rtmp_log!(log::ERROR, "{F}: {e}");
                return false;
            }
        };
        for w in &reply.warnings {
            match w {
                hs::Warning::VersionMismatch { sent, got } => crate::rtmp_log!(
                    log::WARNING,
                    "{F}: Type mismatch: client sent {sent}, server answered {got}"
                ),
                hs::Warning::SchemeSwitched => crate::rtmp_log!(
                    log::WARNING,
                    "{F}: Trying different position for server digest!"
                ),
                hs::Warning::SignatureMismatch => {}
            }
        }
        if let Some(resp) = reply.swf_response {
            for (d, s) in (*r).Link.SWFVerificationResponse.iter_mut().zip(resp) {
                *d = s as c_char;
            }
        }
        if !write_all(r, &reply.c2[..]) {
            return false;
        }
        let mut s2 = Box::new([0u8; hs::SIG_SIZE]);
        if !read_exact(r, &mut s2[..]) {
            return false;
        }
        match client.on_s2(&s2) {
            Ok(w) => {
                if w.contains(&hs::Warning::SignatureMismatch) {
                    crate::rtmp_log!(log::WARNING, "{F}: client signature does not match!");
                }
            }
            Err(e) => {
                crate::rtmp_log!(log::WARNING, "{F}: {e}");
                return false;
            }
        }
        crate::rtmp_log!(log::DEBUG, "{F}: Handshaking finished....");
        true
    }
}

unsafe fn connect1(r: *mut RTMP, cp: *mut RTMPPacket) -> bool {
    const F: &str = "RTMP_Connect1";
    // SAFETY: caller passes a valid handle.
    unsafe {
        let proto = (*r).Link.protocol;
        let unsupported = if proto & RTMP_FEATURE_HTTP != 0 {
            Some("HTTP tunnelling (rtmpt)")
        } else if proto & RTMP_FEATURE_ENC != 0 {
            Some("encryption (rtmpe)")
        } else if proto & RTMP_FEATURE_MFP != 0 {
            Some("RTMFP")
        } else {
            None
        };
        if let Some(what) = unsupported {
            crate::rtmp_log!(log::ERROR, "{F}, {what} is not supported by this build");
            close_session(r, false);
            return false;
        }
        if proto & RTMP_FEATURE_SSL != 0 && !start_tls(r) {
            close_session(r, false);
            return false;
        }
        crate::rtmp_log!(log::DEBUG, "{F}, ... connected, handshaking");
        if !handshake(r) {
            crate::rtmp_log!(log::ERROR, "{F}, handshake failed.");
            close_session(r, false);
            return false;
        }
        crate::rtmp_log!(log::DEBUG, "{F}, handshaked");
        if !send_connect_packet(r, cp) {
            crate::rtmp_log!(log::ERROR, "{F}, RTMP connect failed.");
            close_session(r, false);
            return false;
        }
        true
    }
}

/// TLS client handshake for `rtmps://` on the connected socket, to `Link.hostname`, bounded by
/// `Link.timeout`; certificate checked unless `tlsVerify=0` or `LIBRTMP_TLS_VERIFY=0`.
unsafe fn start_tls(r: *mut RTMP) -> bool {
    const F: &str = "RTMP_Connect1";
    // SAFETY: caller passes a valid handle.
    unsafe {
        let host = host_text(&(*r).Link.hostname);
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

/// Host text of an `AVal` (brackets of an IPv6 literal stripped by `net::resolve`).
unsafe fn host_text(a: &AVal) -> String {
    // SAFETY: caller contract on the AVal.
    String::from_utf8_lossy(cmd::c_str(unsafe { av(a) })).into_owned()
}

/// SOCKS4 CONNECT to `Link.hostname:Link.port` on the connected proxy socket.
unsafe fn socks_negotiate(r: *mut RTMP, fd: c_int) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let host = host_text(&(*r).Link.hostname);
        let port = (*r).Link.port;
        let dest = net::resolve(&host, port)
            .ok()
            .and_then(|v| v.into_iter().find(|a| a.is_ipv4()));
        let Some(dest) = dest else {
            crate::rtmp_log!(log::ERROR, "Problem accessing the DNS. (addr: {host})");
            return false;
        };
        match net::socks4_connect(fd, dest) {
            Ok(()) => true,
            Err(net::SocksError::Refused { status, .. }) => {
                crate::rtmp_log!(
                    log::ERROR,
                    "SocksNegotiate, SOCKS returned error code {status}"
                );
                false
            }
            Err(e) => {
                crate::rtmp_log!(log::ERROR, "SocksNegotiate, SOCKS exchange failed: {e:?}");
                false
            }
        }
    }
}

/// `RTMP_Connect0` on resolved addresses: connect (bounded by `Link.timeout`), timeouts and
/// TCP_NODELAY, the SOCKS exchange when a proxy is configured.
unsafe fn connect0(r: *mut RTMP, addrs: &[SocketAddr]) -> bool {
    const F: &str = "RTMP_Connect0";
    // SAFETY: caller passes a valid handle.
    unsafe {
        (*r).m_sb.sb_timedout = 0;
        (*r).m_pausing = 0;
        (*r).m_fDuration = 0.0;
        let timeout = net::timeout_of((*r).Link.timeout);
        let stream = match net::connect(addrs, timeout) {
            Ok(s) => s,
            Err(e) => {
                let code = e.raw_os_error().unwrap_or(libc::ETIMEDOUT);
                crate::rtmp_log!(
                    log::ERROR,
                    "{F}, failed to connect socket. {code} ({})",
                    io::strerror(code)
                );
                close_session(r, false);
                return false;
            }
        };
        let fd = net::into_fd(stream);
        (*r).m_sb.sb_socket = fd;
        if (*r).Link.socksport != 0 {
            crate::rtmp_log!(log::DEBUG, "{F} ... SOCKS negotiation");
            if !socks_negotiate(r, fd) {
                crate::rtmp_log!(log::ERROR, "{F}, SOCKS negotiation failed.");
                close_session(r, false);
                return false;
            }
        }
        true
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_Connect0(r: *mut RTMP, svc: *mut libc::sockaddr) -> c_int {
    if svc.is_null() {
        crate::rtmp_log!(log::ERROR, "RTMP_Connect0: called with a NULL pointer");
        return 0;
    }
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
        c_int::from(connect0(r, &[addr]))
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_Connect1(r: *mut RTMP, cp: *mut RTMPPacket) -> c_int {
    guard_ptr("RTMP_Connect1", r, 0, || unsafe {
        c_int::from(connect1(r, cp))
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_Connect(r: *mut RTMP, cp: *mut RTMPPacket) -> c_int {
    guard_ptr("RTMP_Connect", r, 0, || unsafe {
        if (*r).Link.hostname.av_len <= 0 {
            return 0;
        }
        let (host, port) = if (*r).Link.socksport != 0 {
            (host_text(&(*r).Link.sockshost), (*r).Link.socksport)
        } else {
            (host_text(&(*r).Link.hostname), (*r).Link.port)
        };
        if (*r).Link.socksport != 0 {
            crate::rtmp_log!(log::INFO, "Connecting via SOCKS proxy: {host}:{port}");
        }
        let addrs = match net::resolve(&host, port) {
            Ok(a) => a,
            Err(_) => {
                crate::rtmp_log!(log::ERROR, "Problem accessing the DNS. (addr: {host})");
                return 0;
            }
        };
        if !connect0(r, &addrs) {
            return 0;
        }
        (*r).m_bSendCounter = 1;
        c_int::from(connect1(r, cp))
    })
}

// ---------------------------------------------------------------------------------------------
// Handling what the server sends

/// Logs the DEBUG dump of decoded values (`AMF_Dump`).
fn dump_values(props: &[Property<'_>]) {
    if log::enabled(log::DEBUG) {
        rtmp_core::amf::dump::object(props, &mut |line: &[u8]| {
            log::emit(log::DEBUG, &String::from_utf8_lossy(line));
        });
    }
}

/// Index of the first queued call matching `pred`.
unsafe fn find_call(r: *mut RTMP, pred: impl Fn(&[u8], c_int) -> bool) -> Option<usize> {
    // SAFETY: caller passes a valid handle; the queue holds m_numCalls entries.
    unsafe {
        let calls = (*r).m_methodCalls;
        if calls.is_null() {
            return None;
        }
        (0..usize::try_from((*r).m_numCalls).unwrap_or(0)).find(|&i| {
            let c = &*calls.add(i);
            pred(av(&c.name), c.num)
        })
    }
}

/// Removes queued call `i`, returning its name (the caller owns the copy).
unsafe fn take_call(r: *mut RTMP, i: usize) -> Vec<u8> {
    // SAFETY: caller passes an index found by `find_call`.
    unsafe {
        let name = av(&(*(*r).m_methodCalls.add(i)).name).to_vec();
        chunk_drop_request(r, i, true);
        name
    }
}

unsafe fn chunk_drop_request(r: *mut RTMP, i: usize, free: bool) {
    // SAFETY: valid handle and index (checked again by the export).
    unsafe { chunk::RTMP_DropRequest(r, i as c_int, c_int::from(free)) }
}

/// Drops the first queued call named `name`, if any.
unsafe fn drop_named(r: *mut RTMP, name: &[u8]) {
    // SAFETY: caller passes a valid handle.
    unsafe {
        if let Some(i) = find_call(r, |n, _| n == name) {
            chunk_drop_request(r, i, true);
        }
    }
}

unsafe fn send_play(r: *mut RTMP) -> bool {
    // SAFETY: caller passes a valid handle; Link strings readable per the C contract.
    unsafe {
        let link = &(*r).Link;
        let pp = av(&link.playpath);
        crate::rtmp_log!(
            log::DEBUG,
            "SendPlay, seekTime={}, stopTime={}, sending play: {}",
            link.seekTime,
            link.stopTime,
            lossy(pp)
        );
        let live = link.lFlags & RTMP_LF_LIVE != 0;
        let (seek, stop) = (link.seekTime, link.stopTime);
        let txn = next_txn(r);
        let mut b = cmd::play(txn, pp, live, seek, stop);
        send_invoke(r, 8, cc::LARGE, 0, (*r).m_stream_id, &mut b, true)
    }
}

unsafe fn on_connect_result(r: *mut RTMP, props: &[Property<'_>]) {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let link = &(*r).Link;
        let token = av(&link.token);
        if !token.is_empty() {
            if let Some(Value::String(hex)) = cmd::find_first(props, b"secureToken") {
                match cmd::decode_secure_token(token, hex) {
                    Some(plain) => {
                        let mut b =
                            cmd::call(b"secureTokenResponse", 0.0, &[Value::String(plain.into())]);
                        send_invoke(r, 3, cc::MEDIUM, 0, 0, &mut b, false);
                    }
                    None => crate::rtmp_log!(
                        log::ERROR,
                        "HandleInvoke, secureToken is not a hex string, no response sent"
                    ),
                }
            }
        }
        let write = (*r).Link.protocol & RTMP_FEATURE_WRITE != 0;
        if write {
            // Publish with large chunks (as OBS and FFmpeg do) unless the caller chose a size.
            if (*r).m_outChunkSize == RTMP_DEFAULT_CHUNKSIZE
                && !chunk::send_set_chunk_size(r, PUBLISH_CHUNK_SIZE)
            {
                after_io_failure(r);
            }
            let pp = av(&(*r).Link.playpath);
            for name in [&b"releaseStream"[..], b"FCPublish"] {
                let txn = next_txn(r);
                let mut b = cmd::call(name, txn, &[Value::String(pp.into())]);
                send_invoke(r, 3, cc::MEDIUM, 0, 0, &mut b, false);
            }
        } else {
            if chunk::RTMP_SendServerBW(r) == 0 {
                after_io_failure(r);
            }
            send_ctrl(r, 3, 0, 300);
        }
        RTMP_SendCreateStream(r);
        if !write {
            let usher = av(&(*r).Link.usherToken);
            if !usher.is_empty() {
                crate::rtmp_log!(log::DEBUG, "UsherToken: {}", lossy(usher));
                let txn = next_txn(r);
                let mut b = cmd::call(
                    b"NetStream.Authenticate.UsherToken",
                    txn,
                    &[Value::String(usher.into())],
                );
                send_invoke(r, 3, cc::MEDIUM, 0, 0, &mut b, false);
            }
            let sub = av(&(*r).Link.subscribepath);
            let path = if !sub.is_empty() {
                Some(sub)
            } else if (*r).Link.lFlags & RTMP_LF_LIVE != 0 {
                Some(av(&(*r).Link.playpath))
            } else {
                None
            };
            if let Some(path) = path {
                crate::rtmp_log!(log::DEBUG, "FCSubscribe: {}", lossy(path));
                let txn = next_txn(r);
                let mut b = cmd::call(b"FCSubscribe", txn, &[Value::String(path.into())]);
                send_invoke(r, 3, cc::MEDIUM, 0, 0, &mut b, true);
            }
        }
    }
}

unsafe fn on_create_stream_result(r: *mut RTMP, props: &[Property<'_>]) {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let id = props
            .get(3)
            .and_then(|p| p.value.as_number())
            .unwrap_or(0.0);
        (*r).m_stream_id = cc::c_double_to_int(id);
        if (*r).Link.protocol & RTMP_FEATURE_WRITE != 0 {
            let pp = av(&(*r).Link.playpath);
            let txn = next_txn(r);
            let mut b = cmd::call(
                b"publish",
                txn,
                &[Value::String(pp.into()), Value::string("live")],
            );
            send_invoke(r, 4, cc::LARGE, 0, (*r).m_stream_id, &mut b, true);
        } else {
            if (*r).Link.lFlags & RTMP_LF_PLST != 0 {
                let mut b = cmd::set_playlist(av(&(*r).Link.playpath));
                send_invoke(r, 8, cc::LARGE, 0, (*r).m_stream_id, &mut b, true);
            }
            send_play(r);
            send_ctrl(r, 3, (*r).m_stream_id as u32, (*r).m_nBufferMS as u32);
        }
    }
}

unsafe fn on_status(r: *mut RTMP, props: &[Property<'_>]) -> c_int {
    const F: &str = "HandleInvoke";
    // SAFETY: caller passes a valid handle.
    unsafe {
        let info = match props.get(3).map(|p| &p.value) {
            Some(v @ Value::Object(_)) => Some(v),
            _ => None,
        };
        let code = info
            .and_then(|o| o.get("code"))
            .and_then(Value::as_str)
            .unwrap_or(b"");
        crate::rtmp_log!(log::DEBUG, "{F}, onStatus: {}", lossy(code));
        match code {
            b"NetStream.Failed"
            | b"NetStream.Play.Failed"
            | b"NetStream.Play.StreamNotFound"
            | b"NetConnection.Connect.InvalidApp" => {
                (*r).m_stream_id = -1;
                close_session(r, false);
                crate::rtmp_log!(log::ERROR, "Closing connection: {}", lossy(code));
            }
            b"NetStream.Play.Start" | b"NetStream.Play.PublishNotify" => {
                (*r).m_bPlaying = 1;
                drop_named(r, b"play");
            }
            b"NetStream.Publish.Start" => {
                (*r).m_bPlaying = 1;
                drop_named(r, b"publish");
            }
            b"NetStream.Play.Complete" | b"NetStream.Play.Stop"
                if (*r).m_read.flags & (READ_REWOUND | READ_SEEKING)
                    == READ_REWOUND | READ_SEEKING =>
            {
                // The end of the pass RTMP_Read's resume rewind interrupted (the seek is on
                // its way): not the end of the stream.
                crate::rtmp_log!(log::DEBUG, "{F}, {} before the resume seek", lossy(code));
            }
            b"NetStream.Play.Complete"
            | b"NetStream.Play.Stop"
            | b"NetStream.Play.UnpublishNotify" => {
                close_session(r, false);
                return 1;
            }
            b"NetStream.Seek.Notify" => {
                (*r).m_read.flags &= !READ_SEEKING;
            }
            b"NetStream.Pause.Notify" if (*r).m_pausing == 1 || (*r).m_pausing == 2 => {
                send_pause(r, false, (*r).m_pauseStamp as c_int);
                (*r).m_pausing = 3;
            }
            _ => {}
        }
        0
    }
}

/// HandleInvoke: 1 when the stream ended (the caller reports 2), else 0.
unsafe fn handle_invoke(r: *mut RTMP, body: &[u8]) -> c_int {
    const F: &str = "HandleInvoke";
    // SAFETY: caller passes a valid handle.
    unsafe {
        if body.first() != Some(&0x02) {
            crate::rtmp_log!(
                log::WARNING,
                "{F}, Sanity failed. no string method in invoke packet"
            );
            return 0;
        }
        let Ok(props) = Property::decode_all(body) else {
            crate::rtmp_log!(log::ERROR, "{F}, error decoding invoke packet");
            return 0;
        };
        dump_values(&props);
        let method = props.first().and_then(|p| p.value.as_str()).unwrap_or(b"");
        let txn = props
            .get(1)
            .and_then(|p| p.value.as_number())
            .unwrap_or(0.0);
        crate::rtmp_log!(log::DEBUG, "{F}, server invoking <{}>", lossy(method));
        let mut ret = 0;
        match method {
            b"_result" => {
                let want = cc::c_double_to_int(txn);
                let invoked = match find_call(r, |_, num| num == want) {
                    Some(i) => take_call(r, i),
                    None => {
                        crate::rtmp_log!(
                            log::DEBUG,
                            "{F}, received result id {txn:.6} without matching request"
                        );
                        return 0;
                    }
                };
                crate::rtmp_log!(
                    log::DEBUG,
                    "{F}, received result for method call <{}>",
                    lossy(&invoked)
                );
                match &invoked[..] {
                    b"connect" => on_connect_result(r, &props),
                    b"createStream" => on_create_stream_result(r, &props),
                    b"play" | b"publish" => (*r).m_bPlaying = 1,
                    _ => {}
                }
            }
            b"onBWDone" if (*r).m_nBWCheckCounter == 0 => {
                let txn = next_txn(r);
                let mut b = cmd::call(b"_checkbw", txn, &[]);
                send_invoke(r, 3, cc::LARGE, 0, 0, &mut b, false);
            }
            b"_onbwcheck" => {
                let n = (*r).m_nBWCheckCounter;
                (*r).m_nBWCheckCounter = n.wrapping_add(1);
                let mut b = cmd::call(b"_result", txn, &[Value::Number(f64::from(n))]);
                send_invoke(
                    r,
                    3,
                    cc::MEDIUM,
                    0x16u32.wrapping_mul(n as u32),
                    0,
                    &mut b,
                    false,
                );
            }
            b"_onbwdone" => drop_named(r, b"_checkbw"),
            b"_error" if (*r).Link.protocol & RTMP_FEATURE_WRITE != 0 => {
                on_publish_error(r, &props, txn);
            }
            b"_error" => {
                crate::rtmp_log!(log::ERROR, "rtmp server sent error");
            }
            b"close" => {
                crate::rtmp_log!(log::ERROR, "rtmp server requested close");
                close_session(r, false);
            }
            b"onStatus" => ret = on_status(r, &props),
            b"playlist_ready" => drop_named(r, b"set_playlist"),
            b"ping" => {
                let n = (*r).m_nBWCheckCounter as u32;
                let mut b = cmd::call(b"pong", txn, &[]);
                send_invoke(r, 3, cc::MEDIUM, 0x16u32.wrapping_mul(n), 0, &mut b, false);
            }
            b"onFCUnsubscribe" => {
                close_session(r, false);
                ret = 1;
            }
            _ => {}
        }
        ret
    }
}

/// Nested reconnects `_error` may start (a server that keeps challenging would otherwise make
/// the client recurse forever; a successful login needs two).
const MAX_AUTH_DEPTH: u32 = 4;

thread_local! {
    static AUTH_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// `_error` while publishing: a rejected `connect` may be a publisher-authentication challenge
/// (`authmod=adobe` / `authmod=llnw`); then the token goes onto `app` and `tcUrl` and the
/// client reconnects and runs `RTMP_ConnectStream` again, from inside this handler as librtmp.
unsafe fn on_publish_error(r: *mut RTMP, props: &[Property<'_>], txn: f64) {
    const F: &str = "HandleInvoke";
    // SAFETY: caller passes a valid handle; Link strings are readable per the C contract.
    unsafe {
        let Some(i) = find_call(r, |_, num| f64::from(num) == txn) else {
            crate::rtmp_log!(
                log::DEBUG,
                "{F}, received result id {txn:.6} without matching request"
            );
            return;
        };
        let invoked = take_call(r, i);
        crate::rtmp_log!(
            log::DEBUG,
            "{F}, received error for method call <{}>",
            lossy(&invoked)
        );
        if invoked != b"connect" {
            return;
        }
        let description = match props.get(3).map(|p| &p.value) {
            Some(o @ Value::Object(_)) => o.get("description").and_then(Value::as_str),
            _ => None,
        }
        .unwrap_or(b"");
        crate::rtmp_log!(log::DEBUG, "{F}, error description: {}", lossy(description));
        let link = &(*r).Link;
        let req = auth::Request {
            description,
            app: av(&link.app),
            user: av(&link.pubUser),
            password: av(&link.pubPasswd),
        };
        let token = match auth::respond(&req, &mut || libc::rand()) {
            auth::Auth::NotAuth => return,
            auth::Auth::Fail(m) => {
                crate::rtmp_log!(log::ERROR, "PublisherAuth, {m}");
                return;
            }
            auth::Auth::Token(t) => t,
        };
        let depth = AUTH_DEPTH.with(|d| d.get());
        if depth >= MAX_AUTH_DEPTH {
            crate::rtmp_log!(
                log::ERROR,
                "PublisherAuth, the server keeps asking for authentication, giving up"
            );
            return;
        }
        crate::rtmp_log!(log::DEBUG, "PublisherAuth, pubToken: {}", lossy(&token));
        let link = &mut (*r).Link;
        let app = [av(&link.app), &token[..]].concat();
        let tc_url = [av(&link.tcUrl), &token[..]].concat();
        let (new_app, new_tc) = (malloc_bytes(&app), malloc_bytes(&tc_url));
        if new_app.is_null() || new_tc.is_null() {
            libc::free(new_app.cast());
            libc::free(new_tc.cast());
            crate::rtmp_log!(log::ERROR, "PublisherAuth, out of memory");
            return;
        }
        if link.lFlags & RTMP_LF_FAPU != 0 {
            libc::free(link.app.av_val.cast());
        }
        if link.lFlags & RTMP_LF_FTCU != 0 {
            libc::free(link.tcUrl.av_val.cast());
        }
        link.app = AVal {
            av_val: new_app,
            av_len: app.len() as c_int,
        };
        link.tcUrl = AVal {
            av_val: new_tc,
            av_len: tc_url.len() as c_int,
        };
        link.lFlags |= RTMP_LF_FAPU | RTMP_LF_FTCU;
        crate::rtmp_log!(
            log::DEBUG,
            "PublisherAuth, new app: {} tcUrl: {}",
            lossy(av(&link.app)),
            lossy(av(&link.tcUrl))
        );
        close_session(r, true);
        AUTH_DEPTH.with(|d| d.set(depth + 1));
        let _ = RTMP_Connect(r, std::ptr::null_mut()) != 0 && connect_stream(r, 0);
        AUTH_DEPTH.with(|d| d.set(depth));
    }
}

/// HandleMetadata: true for `onMetaData` (which then goes into the FLV output).
unsafe fn handle_metadata(r: *mut RTMP, body: &[u8]) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let Ok(props) = Property::decode_all(body) else {
            crate::rtmp_log!(
                log::ERROR,
                "HandleMetadata, error decoding meta data packet"
            );
            return false;
        };
        dump_values(&props);
        if props.first().and_then(|p| p.value.as_str()) != Some(b"onMetaData") {
            return false;
        }
        if let Some(d) = cmd::find_first(&props, b"duration") {
            (*r).m_fDuration = d.as_number().unwrap_or(0.0);
        }
        if cmd::has_prefix(&props, b"video") {
            (*r).m_read.dataType |= 1;
        }
        if cmd::has_prefix(&props, b"audio") {
            (*r).m_read.dataType |= 4;
        }
        if log::enabled(log::INFO) {
            log::emit(log::INFO, "Metadata:");
            let mut lines = Vec::new();
            cmd::metadata_lines(&props, &mut lines);
            for l in lines {
                log::emit(log::INFO, &String::from_utf8_lossy(&l));
            }
        }
        true
    }
}

unsafe fn handle_ctrl(r: *mut RTMP, body: &[u8]) {
    const F: &str = "HandleCtrl";
    // SAFETY: caller passes a valid handle.
    unsafe {
        let ty: i32 = if body.len() >= 2 {
            i32::from(u16::from_be_bytes([body[0], body[1]]))
        } else {
            -1
        };
        crate::rtmp_log!(
            log::DEBUG,
            "{F}, received ctrl. type: {ty}, len: {}",
            body.len()
        );
        if body.len() >= 6 {
            let v = be32(&body[2..6]);
            let vi = v as i32;
            match ty {
                0 => crate::rtmp_log!(log::DEBUG, "{F}, Stream Begin {vi}"),
                1 => {
                    crate::rtmp_log!(log::DEBUG, "{F}, Stream EOF {vi}");
                    if (*r).m_pausing == 1 {
                        (*r).m_pausing = 2;
                    }
                }
                2 => crate::rtmp_log!(log::DEBUG, "{F}, Stream Dry {vi}"),
                4 => crate::rtmp_log!(log::DEBUG, "{F}, Stream IsRecorded {vi}"),
                6 => {
                    crate::rtmp_log!(log::DEBUG, "{F}, Ping {vi}");
                    send_ctrl(r, 0x07, v, 0);
                }
                31 => {
                    crate::rtmp_log!(log::DEBUG, "{F}, Stream BufferEmpty {vi}");
                    if (*r).Link.lFlags & RTMP_LF_BUFX != 0 {
                        if (*r).m_pausing == 0 {
                            (*r).m_pauseStamp = media_channel_stamp(r);
                            send_pause(r, true, (*r).m_pauseStamp as c_int);
                            (*r).m_pausing = 1;
                        } else if (*r).m_pausing == 2 {
                            send_pause(r, false, (*r).m_pauseStamp as c_int);
                            (*r).m_pausing = 3;
                        }
                    }
                }
                32 => crate::rtmp_log!(log::DEBUG, "{F}, Stream BufferReady {vi}"),
                _ => crate::rtmp_log!(log::DEBUG, "{F}, Stream xx {vi}"),
            }
        }
        if ty == 0x1A {
            crate::rtmp_log!(log::DEBUG, "{F}, SWFVerification ping received: ");
            if body.len() > 2 && body[2] > 1 {
                crate::rtmp_log!(
                    log::ERROR,
                    "{F}: SWFVerification Type {} request not supported! Patches welcome...",
                    body[2]
                );
            } else if (*r).Link.SWFSize != 0 {
                send_ctrl(r, 0x1B, 0, 0);
            } else {
                crate::rtmp_log!(
                    log::ERROR,
                    "{F}: Ignoring SWFVerification request, use --swfVfy!"
                );
            }
        }
    }
}

/// `RTMP_ClientPacket` body: 0 (not media), 1 (media), 2 (the stream ended).
pub(crate) unsafe fn client_packet(r: *mut RTMP, p: &RTMPPacket) -> c_int {
    const F: &str = "RTMP_ClientPacket";
    // SAFETY: caller passes a valid handle and a packet whose body is readable.
    unsafe {
        let body = body_of(p);
        let size = p.m_nBodySize;
        match p.m_packetType {
            PT_CHUNK_SIZE => {
                chunk::handle_set_chunk_size(r, body);
                0
            }
            PT_ABORT => {
                chunk::handle_abort(r, body);
                0
            }
            PT_BYTES_READ => {
                crate::rtmp_log!(log::DEBUG, "{F}, received: bytes read report");
                0
            }
            PT_CONTROL => {
                handle_ctrl(r, body);
                0
            }
            PT_SERVER_BW => {
                if body.len() >= 4 {
                    (*r).m_nServerBW = be32(body) as c_int;
                    crate::rtmp_log!(
                        log::DEBUG,
                        "HandleServerBW: server BW = {}",
                        (*r).m_nServerBW
                    );
                }
                0
            }
            PT_CLIENT_BW => {
                if body.len() >= 4 {
                    (*r).m_nClientBW = be32(body) as c_int;
                    (*r).m_nClientBW2 = if body.len() > 4 { body[4] } else { 0xFF };
                    crate::rtmp_log!(
                        log::DEBUG,
                        "HandleClientBW: client BW = {} {}",
                        (*r).m_nClientBW,
                        (*r).m_nClientBW2
                    );
                }
                0
            }
            PT_AUDIO | PT_VIDEO => {
                if (*r).m_mediaChannel == 0 {
                    (*r).m_mediaChannel = p.m_nChannel;
                }
                if (*r).m_pausing == 0 {
                    (*r).m_mediaStamp = p.m_nTimeStamp;
                }
                1
            }
            PT_FLEX_STREAM_SEND => {
                crate::rtmp_log!(
                    log::DEBUG,
                    "{F}, flex stream send, size {size} bytes, not supported, ignoring"
                );
                0
            }
            PT_FLEX_SHARED_OBJECT => {
                crate::rtmp_log!(
                    log::DEBUG,
                    "{F}, flex shared object, size {size} bytes, not supported, ignoring"
                );
                0
            }
            PT_FLEX_MESSAGE => {
                crate::rtmp_log!(
                    log::DEBUG,
                    "{F}, flex message, size {size} bytes, not fully supported"
                );
                if body.len() > 1 && handle_invoke(r, &body[1..]) == 1 {
                    2
                } else {
                    0
                }
            }
            PT_INFO => {
                crate::rtmp_log!(log::DEBUG, "{F}, received: notify {size} bytes");
                c_int::from(handle_metadata(r, body))
            }
            PT_SHARED_OBJECT => {
                crate::rtmp_log!(log::DEBUG, "{F}, shared object, not supported, ignoring");
                0
            }
            PT_INVOKE => {
                crate::rtmp_log!(log::DEBUG, "{F}, received: invoke {size} bytes");
                if handle_invoke(r, body) == 1 {
                    2
                } else {
                    0
                }
            }
            PT_AGGREGATE => {
                let mut pos = 0usize;
                let mut stamp = p.m_nTimeStamp;
                while pos + 11 < body.len() {
                    let len = be24(&body[pos + 1..]) as usize;
                    if pos + 11 + len + 4 > body.len() {
                        crate::rtmp_log!(log::WARNING, "Stream corrupt?!");
                        break;
                    }
                    match body[pos] {
                        PT_INFO => {
                            handle_metadata(r, &body[pos + 11..pos + 11 + len]);
                        }
                        PT_AUDIO | PT_VIDEO => {
                            stamp = be24(&body[pos + 4..]) | (u32::from(body[pos + 7]) << 24);
                        }
                        _ => {}
                    }
                    pos += 11 + len + 4;
                }
                if (*r).m_pausing == 0 {
                    (*r).m_mediaStamp = stamp;
                }
                1
            }
            other => {
                crate::rtmp_log!(
                    log::DEBUG,
                    "{F}, unknown packet type received: 0x{other:02x}"
                );
                0
            }
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_ClientPacket(r: *mut RTMP, packet: *mut RTMPPacket) -> c_int {
    if packet.is_null() {
        crate::rtmp_log!(log::ERROR, "RTMP_ClientPacket: called with a NULL pointer");
        return 0;
    }
    guard_ptr("RTMP_ClientPacket", r, 0, || unsafe {
        client_packet(r, &*packet)
    })
}

// ---------------------------------------------------------------------------------------------
// Stream control

/// One `RTMP_ReadPacket`; on failure, completes the close when the connection was dropped.
pub(crate) unsafe fn read_packet(r: *mut RTMP, p: *mut RTMPPacket) -> bool {
    // SAFETY: caller passes valid pointers.
    unsafe {
        if chunk::RTMP_ReadPacket(r, p) != 0 {
            return true;
        }
        after_io_failure(r);
        false
    }
}

fn is_ready(p: &RTMPPacket) -> bool {
    p.m_nBytesRead == p.m_nBodySize
}

unsafe fn connect_stream(r: *mut RTMP, seek: c_int) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        if seek > 0 {
            (*r).Link.seekTime = seek;
        }
        (*r).m_mediaChannel = 0;
        let mut p: RTMPPacket = std::mem::zeroed();
        while (*r).m_bPlaying == 0 && (*r).m_sb.sb_socket != -1 && read_packet(r, &mut p) {
            if !is_ready(&p) || p.m_nBodySize == 0 {
                continue;
            }
            if matches!(p.m_packetType, PT_AUDIO | PT_VIDEO | PT_INFO) {
                crate::rtmp_log!(log::WARNING, "Received FLV packet before play()! Ignoring.");
            } else {
                client_packet(r, &p);
            }
            free_body(&mut p);
        }
        free_body(&mut p);
        (*r).m_bPlaying != 0
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_ConnectStream(r: *mut RTMP, seekTime: c_int) -> c_int {
    guard_ptr("RTMP_ConnectStream", r, 0, || unsafe {
        c_int::from(connect_stream(r, seekTime))
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_ReconnectStream(r: *mut RTMP, seekTime: c_int) -> c_int {
    guard_ptr("RTMP_ReconnectStream", r, 0, || unsafe {
        delete_stream(r);
        RTMP_SendCreateStream(r);
        c_int::from(connect_stream(r, seekTime))
    })
}

/// `RTMP_GetNextMediaPacket` body.
pub(crate) unsafe fn next_media_packet(r: *mut RTMP, p: *mut RTMPPacket) -> c_int {
    // SAFETY: caller passes valid pointers.
    unsafe {
        let mut got = 0;
        while got == 0 && (*r).m_sb.sb_socket != -1 && read_packet(r, p) {
            if !is_ready(&*p) || (*p).m_nBodySize == 0 {
                continue;
            }
            got = client_packet(r, &*p);
            if got == 0 {
                free_body(p);
            } else if (*r).m_pausing == 3 {
                if (*p).m_nTimeStamp <= (*r).m_mediaStamp {
                    got = 0;
                    free_body(p);
                    continue;
                }
                (*r).m_pausing = 0;
            }
        }
        if got != 0 {
            (*r).m_bPlaying = 1;
        } else if (*r).m_sb.sb_timedout != 0 && (*r).m_pausing == 0 {
            (*r).m_pauseStamp = media_channel_stamp(r);
        }
        got
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_GetNextMediaPacket(r: *mut RTMP, packet: *mut RTMPPacket) -> c_int {
    if packet.is_null() {
        crate::rtmp_log!(
            log::ERROR,
            "RTMP_GetNextMediaPacket: called with a NULL pointer"
        );
        return 0;
    }
    guard_ptr("RTMP_GetNextMediaPacket", r, 0, || unsafe {
        next_media_packet(r, packet)
    })
}

// ---------------------------------------------------------------------------------------------
// Property search on C objects

unsafe fn aval_eq(a: &AVal, b: &AVal) -> bool {
    // SAFETY: caller contract on both AVals.
    unsafe { a.av_len == b.av_len && av(a) == av(b) }
}

/// Depth-first search of a C object; `prefix` selects librtmp's prefix variant.
unsafe fn find_in(
    obj: *const AMFObject,
    name: &AVal,
    out: *mut AMFObjectProperty,
    prefix: bool,
    depth: u32,
) -> bool {
    if depth > rtmp_core::amf::MAX_WRITE_DEPTH {
        return false;
    }
    // SAFETY: the caller's object describes `o_num` readable properties.
    unsafe {
        let o = &*obj;
        if o.o_props.is_null() || o.o_num <= 0 {
            return false;
        }
        for i in 0..o.o_num as usize {
            let p = o.o_props.add(i);
            let hit = if prefix {
                (*p).p_name.av_len > name.av_len && av(&(*p).p_name).starts_with(av(name))
            } else {
                aval_eq(&(*p).p_name, name)
            };
            if hit {
                *out = *p;
                return true;
            }
            let t = (*p).p_type;
            let descend = t == 3 || (!prefix && t == 8);
            if descend && find_in(&(*p).p_vu.p_object, name, out, prefix, depth + 1) {
                return true;
            }
        }
        false
    }
}

/// Shared body of the two property searches: NULL checks, then a depth-first search.
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
        c_int::from(find_in(obj, &*name, p, prefix, 0))
    })
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_FindFirstMatchingProperty(
    obj: *mut AMFObject,
    name: *const AVal,
    p: *mut AMFObjectProperty,
) -> c_int {
    // SAFETY: forwarded caller pointers.
    unsafe { find_export("RTMP_FindFirstMatchingProperty", obj, name, p, false) }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_FindPrefixProperty(
    obj: *mut AMFObject,
    name: *const AVal,
    p: *mut AMFObjectProperty,
) -> c_int {
    // SAFETY: forwarded caller pointers.
    unsafe { find_export("RTMP_FindPrefixProperty", obj, name, p, true) }
}
