//! The client session over the `RTMP` struct: connecting (TCP, SOCKS, TLS, the handshake, the
//! connect command), the NetConnection/NetStream conversation (each server message goes
//! through `rtmp_core::session::handle`, whose actions are applied here in order), stream
//! control (`ConnectStream`, `GetNextMediaPacket`, pause/seek/delete/reconnect) and the close.
//!
//! All state lives in the `RTMP` struct and is re-read at every step; the chunk layer does the
//! framing. `RTMP_Read` is `driver::read`.

use std::net::SocketAddr;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr::addr_of_mut;

use crate::abi::conv::aval_bytes as av;
use crate::abi::conv::malloc_bytes;
use crate::abi::packet::body_of;
use crate::abi::packet::free_body;
use crate::abi::types::*;
use crate::driver::amf::prop_encode;
use crate::driver::chunk::{self, Closer};
use crate::io;
use crate::io::net;
use crate::log;
use rtmp_core::amf::Value;
use rtmp_core::chunk as cc;
use rtmp_core::commands as cmd;
use rtmp_core::ertmp::Caps as ErtmpCaps;
use rtmp_core::handshake as hs;
use rtmp_core::session::{
    self as core_session, Action, PT_ABORT, PT_AUDIO, PT_CHUNK_SIZE, PT_FLEX_MESSAGE, PT_INFO,
    PT_INVOKE, PT_VIDEO, READ_HEADER, READ_SEEKING,
};

// ---------------------------------------------------------------------------------------------
// The chunk layer as the session uses it: a send or read error there closes the whole session.

/// Closing after an I/O error in the chunk layer is the full session close (librtmp's
/// `RTMP_Close`).
pub struct Close;

impl Closer for Close {
    unsafe fn close(r: *mut RTMP) {
        // SAFETY: the chunk layer passes the valid handle it works on.
        unsafe { close_session(r, false) }
    }
}

/// `RTMP_SendCtrl` (the chunk layer closes the session on a send error).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
unsafe fn send_ctrl(r: *mut RTMP, ty: i16, obj: u32, time: u32) -> bool {
    // SAFETY: caller contract.
    unsafe { chunk::send_ctrl::<Close>(r, ty as u16, obj, time) }
}

/// `RTMP_DropRequest`.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
unsafe fn drop_request(r: *mut RTMP, i: c_int, free: bool) {
    // SAFETY: caller contract (the index is checked again by the chunk layer).
    unsafe { chunk::drop_request(r, i, free) }
}

/// `RTMP_SendServerBW`.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
unsafe fn send_server_bw(r: *mut RTMP) -> bool {
    // SAFETY: caller contract.
    unsafe { chunk::send_server_bw::<Close>(r) }
}

/// `RTMP_ReadPacket` (the chunk layer closes the session on a broken connection).
///
/// # Safety
/// `r` and `p` must be valid.
pub(crate) unsafe fn read_packet(r: *mut RTMP, p: *mut RTMPPacket) -> bool {
    // SAFETY: caller contract.
    unsafe { chunk::read_packet::<Close>(r, p) }
}

// ---------------------------------------------------------------------------------------------

fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(cmd::c_str(b))
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
                    send_invoke(r, 3, cc::MEDIUM, 0, 0, &mut b, false);
                }
                send_delete_stream(r, id);
            }
            super::wire::close(r);
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
            super::ertmp::clear(r);
        }
        if wake_fd != -1 {
            io::wake_and_close(wake_fd);
        }
    }
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

/// Sends an invoke (type 0x14); a failed send closes the session (the chunk layer's closer).
unsafe fn send_invoke(
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
    unsafe { chunk::send_packet::<Close>(r, &mut p, queue) }
}

unsafe fn send_delete_stream(r: *mut RTMP, id: c_int) -> bool {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let txn = next_txn(r);
        let mut b = cmd::call(b"deleteStream", txn, &[Value::Number(f64::from(id))]);
        send_invoke(r, 3, cc::MEDIUM, 0, 0, &mut b, false)
    }
}

unsafe fn send_connect_packet(r: *mut RTMP, cp: *mut RTMPPacket) -> bool {
    // SAFETY: caller passes a valid handle and a valid or NULL packet; Link strings are
    // readable per the C contract.
    unsafe {
        if !cp.is_null() {
            return chunk::send_packet::<Close>(r, cp, true);
        }
        let link = &(*r).Link;
        let write = link.protocol & RTMP_FEATURE_WRITE != 0;
        let auth = av(&link.auth);
        let caps = ErtmpCaps::from_blob(super::ertmp::blob(r));
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
            enhanced: caps.properties(),
        };
        let txn = next_txn(r);
        let mut body = cmd::connect(&info, txn);
        let extras = link.extras;
        let ours = super::ertmp::entries(r);
        if extras.o_num as usize > ours && !extras.o_props.is_null() {
            let used = body.len();
            if used > cmd::MAX_CONNECT_BODY {
                crate::rtmp_log!(log::ERROR, "SendConnectPacket, connect command too large");
                return false;
            }
            body.resize(cmd::MAX_CONNECT_BODY, 0);
            let base = body.as_mut_ptr() as *mut c_char;
            let end = base.add(cmd::MAX_CONNECT_BODY);
            let mut at = base.add(used);
            for i in ours..extras.o_num as usize {
                at = prop_encode(extras.o_props.add(i), at, end);
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

/// `createStream` (queued).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn send_create_stream(r: *mut RTMP) -> bool {
    // SAFETY: caller contract.
    unsafe {
        let txn = next_txn(r);
        let mut b = cmd::call(b"createStream", txn, &[]);
        send_invoke(r, 3, cc::MEDIUM, 0, 0, &mut b, true)
    }
}

/// `pause` (on or off at `ms`).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn send_pause(r: *mut RTMP, on: bool, ms: c_int) -> bool {
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

/// `RTMP_Pause`: pause at the media channel's last timestamp, or resume from the pause point.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn pause(r: *mut RTMP, on: bool) -> bool {
    // SAFETY: caller contract.
    unsafe {
        if on {
            (*r).m_pauseStamp = media_channel_stamp(r);
        }
        send_pause(r, on, (*r).m_pauseStamp as c_int)
    }
}

/// `RTMP_SendSeek`: forgets the resume timestamp, then seeks.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn seek(r: *mut RTMP, ms: c_int) -> bool {
    // SAFETY: caller contract.
    unsafe {
        (*r).m_read.nResumeTS = 0;
        send_seek(r, ms)
    }
}

/// `RTMP_UpdateBufferMS`: tells the server the buffer length.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn update_buffer_ms(r: *mut RTMP) {
    // SAFETY: caller contract.
    unsafe {
        send_ctrl(r, 3, (*r).m_stream_id as u32, (*r).m_nBufferMS as u32);
    }
}

/// `RTMP_ToggleStream`: pause (waiting a second) and resume, or resume a paused stream.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn toggle_stream(r: *mut RTMP) -> bool {
    // SAFETY: caller contract.
    unsafe {
        if (*r).m_pausing == 0 {
            if (*r).m_sb.sb_timedout != 0 && (*r).m_read.status == -1 {
                (*r).m_read.status = 0;
            }
            if !send_pause(r, true, (*r).m_pauseStamp as c_int) {
                return false;
            }
            (*r).m_pausing = 1;
            libc::sleep(1);
        }
        let ok = send_pause(r, false, (*r).m_pauseStamp as c_int);
        (*r).m_pausing = 3;
        ok
    }
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

/// `RTMP_DeleteStream`.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn delete_stream(r: *mut RTMP) {
    // SAFETY: caller passes a valid handle.
    unsafe {
        if (*r).m_stream_id < 0 {
            return;
        }
        (*r).m_bPlaying = 0;
        send_delete_stream(r, (*r).m_stream_id);
        (*r).m_stream_id = -1;
    }
}

// ---------------------------------------------------------------------------------------------
// Connecting

/// The handshake's ReadN: exactly `dst.len()` bytes through `m_sb`, counted in `m_nBytesIn`
/// (the chunk layer's ReadN, so acknowledgements follow the same rule as librtmp's). On EOF or
/// error the session is closed (not on a receive timeout).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub(crate) unsafe fn read_exact(r: *mut RTMP, dst: &mut [u8]) -> bool {
    // SAFETY: caller contract; `dst` is writable for its length.
    unsafe { chunk::read_n::<Close>(r, dst.as_mut_ptr(), dst.len(), false) }
}

/// [`read_exact`] for a handshake message (`what`, e.g. "S1"): a failure is logged as an ERROR
/// line from `f` saying whether the peer went silent or closed the connection.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub(crate) unsafe fn read_handshake(r: *mut RTMP, dst: &mut [u8], f: &str, what: &str) -> bool {
    // SAFETY: caller contract.
    unsafe {
        if read_exact(r, dst) {
            return true;
        }
        if (*r).m_sb.sb_timedout != 0 {
            crate::rtmp_log!(
                log::ERROR,
                "{f}: no {what} from the peer in {} seconds",
                (*r).Link.timeout
            );
        } else {
            crate::rtmp_log!(
                log::ERROR,
                "{f}: the connection ended before the peer's {what} was complete"
            );
        }
        false
    }
}

/// Writes all of `b` (the handshake's WriteN); a failure closes the session.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub(crate) unsafe fn write_all(r: *mut RTMP, b: &[u8]) -> bool {
    // SAFETY: caller passes a valid handle; `b` is alive for the call.
    unsafe { chunk::write_n::<Close>(r, b.as_ptr(), b.len()) }
}

/// The client handshake: FP9 digest when encrypting or when a SWF hash is set, else plain.
unsafe fn handshake(r: *mut RTMP) -> bool {
    const F: &str = "HandShake";
    // SAFETY: caller passes a valid handle.
    unsafe {
        let encrypt = (*r).Link.protocol & RTMP_FEATURE_ENC != 0;
        let opts = hs::ClientOptions {
            digest: encrypt || (*r).Link.SWFSize != 0,
            encrypt,
            force_type: if encrypt {
                super::wire::forced_rtmpe_type()
            } else {
                None
            },
        };
        let uptime = crate::io::get_time();
        // (the DH private key of RTMPE comes from the OS random source; librtmp's rand() fills
        // the rest, as before)
        let mut client = if encrypt {
            hs::Client::with_options(opts, uptime, crate::io::os_random_word)
        } else {
            hs::Client::with_options(opts, uptime, || libc::rand() as u32)
        };
        let rand_word = || libc::rand() as u32;
        if encrypt {
            crate::rtmp_log!(log::DEBUG, "{F}: Client type: {:02X}", client.c0());
        }
        let mut c0c1 = vec![client.c0()];
        c0c1.extend_from_slice(client.c1());
        if !write_all(r, &c0c1) {
            return false;
        }
        let mut s0 = [0u8; 1];
        if !read_handshake(r, &mut s0, F, "S0") {
            return false;
        }
        crate::rtmp_log!(log::DEBUG, "{F}: Type Answer   : {:02X}", s0[0]);
        let mut s1 = Box::new([0u8; hs::SIG_SIZE]);
        if !read_handshake(r, &mut s1[..], F, "S1") {
            return false;
        }
        crate::rtmp_log!(
            log::DEBUG,
            "{F}: Server Uptime : {}",
            rtmp_core::bytes::be32(&s1[..4]) as i32
        );
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
                hs::Warning::PeerKeyNotInSubgroup => {
                    crate::rtmp_log!(log::WARNING, "DH public key does not fulfill y^q mod p = 1")
                }
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
        if !read_handshake(r, &mut s2[..], F, "S2") {
            return false;
        }
        match client.on_s2(&s2) {
            Ok(w) => {
                if w.contains(&hs::Warning::SignatureMismatch) {
                    crate::rtmp_log!(log::WARNING, "{F}: client signature does not match!");
                }
            }
            Err(e) => {
                crate::rtmp_log!(log::ERROR, "{F}: {e}");
                return false;
            }
        }
        if let Some(keys) = reply.keys {
            super::wire::install_keys(r, &keys);
            crate::rtmp_log!(log::DEBUG, "{F}: RTMPE (type {:02X}) keys installed", s0[0]);
        }
        crate::rtmp_log!(log::DEBUG, "{F}: Handshaking finished....");
        true
    }
}

/// `RTMP_Connect1`: TLS when asked, the handshake, the connect command (or the caller's).
///
/// # Safety
/// `r` must point to a valid `RTMP`; `cp` NULL or a valid packet.
pub unsafe fn connect1(r: *mut RTMP, cp: *mut RTMPPacket) -> bool {
    const F: &str = "RTMP_Connect1";
    // SAFETY: caller passes a valid handle.
    unsafe {
        let proto = (*r).Link.protocol;
        let unsupported = if proto & RTMP_FEATURE_MFP != 0 {
            Some("RTMFP")
        } else {
            None
        };
        if let Some(what) = unsupported {
            crate::rtmp_log!(log::ERROR, "{F}, {what} is not supported by this build");
            close_session(r, false);
            return false;
        }
        // (a no-op for RTMP_Connect0's own sockets, which have them already)
        let (rcv, snd) = io::default_timeouts((*r).m_sb.sb_socket, (*r).Link.timeout);
        if rcv || snd {
            crate::rtmp_log!(
                log::DEBUG,
                "{F}, the caller's socket gets a {} s {}timeout",
                (*r).Link.timeout,
                match (rcv, snd) {
                    (true, true) => "receive and send ",
                    (true, false) => "receive ",
                    _ => "send ",
                }
            );
        }
        if proto & RTMP_FEATURE_SSL != 0 && !super::wire::start_tls(r) {
            close_session(r, false);
            return false;
        }
        if proto & RTMP_FEATURE_HTTP != 0 && !super::wire::open(r) {
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

/// `RTMP_Connect`: resolve (the proxy when one is set), connect, then `connect1`.
///
/// # Safety
/// `r` must point to a valid `RTMP`; `cp` NULL or a valid packet.
pub unsafe fn connect(r: *mut RTMP, cp: *mut RTMPPacket) -> bool {
    // SAFETY: caller contract.
    unsafe {
        if (*r).Link.hostname.av_len <= 0 {
            return false;
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
                return false;
            }
        };
        if !connect0(r, &addrs) {
            return false;
        }
        (*r).m_bSendCounter = 1;
        connect1(r, cp)
    }
}

/// `RTMP_Connect0` on resolved addresses: connect (bounded by `Link.timeout`), timeouts and
/// TCP_NODELAY, the SOCKS exchange when a proxy is configured.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn connect0(r: *mut RTMP, addrs: &[SocketAddr]) -> bool {
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

// ---------------------------------------------------------------------------------------------
// Handling what the server sends

thread_local! {
    /// How many publisher-authentication reconnects are running on this thread (the core
    /// refuses another one past `rtmp_core::session::MAX_AUTH_DEPTH`).
    static AUTH_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// The queued method calls as (name, transaction number), oldest first.
///
/// # Safety
/// `r` must point to a valid `RTMP`; the slices live until the queue changes.
unsafe fn load_calls<'a>(r: *mut RTMP) -> Vec<(&'a [u8], i32)> {
    // SAFETY: caller contract; the queue holds m_numCalls entries.
    unsafe {
        let calls = (*r).m_methodCalls;
        if calls.is_null() {
            return Vec::new();
        }
        (0..usize::try_from((*r).m_numCalls).unwrap_or(0))
            .map(|i| {
                let c = &*calls.add(i);
                (av(&c.name), c.num)
            })
            .collect()
    }
}

/// The session fields the core decides on. `with_calls`: load the method-call queue too
/// (only invokes look at it).
///
/// # Safety
/// `r` must point to a valid `RTMP`; the value borrows its strings and must be dropped before
/// the struct changes.
unsafe fn load_state<'a>(r: *mut RTMP, with_calls: bool) -> core_session::State<'a> {
    // SAFETY: caller contract.
    unsafe {
        core_session::State {
            num_invokes: (*r).m_numInvokes,
            stream_id: (*r).m_stream_id,
            pausing: (*r).m_pausing,
            pause_stamp: (*r).m_pauseStamp,
            bw_check_counter: (*r).m_nBWCheckCounter,
            read_flags: (*r).m_read.flags,
            media_channel: (*r).m_mediaChannel,
            media_channel_stamp: media_channel_stamp(r),
            calls: if with_calls {
                load_calls(r)
            } else {
                Vec::new()
            },
            auth_depth: AUTH_DEPTH.with(|d| d.get()),
        }
    }
}

/// The connection parameters the core decides on.
///
/// # Safety
/// As [`load_state`]; `Link` strings must be readable per the C contract.
unsafe fn load_link<'a>(r: *mut RTMP) -> core_session::Link<'a> {
    // SAFETY: caller contract.
    unsafe {
        let l = &(*r).Link;
        core_session::Link {
            write: l.protocol & RTMP_FEATURE_WRITE != 0,
            live: l.lFlags & RTMP_LF_LIVE != 0,
            playlist: l.lFlags & RTMP_LF_PLST != 0,
            bufx: l.lFlags & RTMP_LF_BUFX != 0,
            swf_verify: l.SWFSize != 0,
            playpath: av(&l.playpath),
            app: av(&l.app),
            token: av(&l.token),
            usher_token: av(&l.usherToken),
            subscribe_path: av(&l.subscribepath),
            pub_user: av(&l.pubUser),
            pub_passwd: av(&l.pubPasswd),
            tc_url: av(&l.tcUrl),
            seek_time: l.seekTime,
            stop_time: l.stopTime,
            buffer_ms: (*r).m_nBufferMS,
            default_out_chunk: (*r).m_outChunkSize == RTMP_DEFAULT_CHUNKSIZE,
        }
    }
}

/// Applies the core's actions in order (sends, field stores, drops, log lines, close,
/// reconnect).
///
/// # Safety
/// `r` must point to a valid `RTMP`.
unsafe fn apply(r: *mut RTMP, actions: Vec<Action>) {
    // SAFETY: caller contract.
    unsafe {
        for a in actions {
            match a {
                Action::Log(level, text) => log::emit(level, &String::from_utf8_lossy(&text)),
                Action::Invoke {
                    channel,
                    header,
                    timestamp,
                    stream_id,
                    mut body,
                    queue,
                    bump_txn,
                } => {
                    if bump_txn {
                        next_txn(r);
                    }
                    send_invoke(r, channel, header, timestamp, stream_id, &mut body, queue);
                }
                Action::Ctrl {
                    ctrl_type,
                    object,
                    time,
                } => {
                    send_ctrl(r, ctrl_type, object, time);
                }
                Action::SendServerBw => {
                    send_server_bw(r);
                }
                Action::SendChunkSize(n) => {
                    chunk::send_set_chunk_size::<Close>(r, n);
                }
                Action::DropCall(i) => drop_request(r, i as c_int, true),
                Action::SetStreamId(id) => (*r).m_stream_id = id,
                Action::SetPlaying => (*r).m_bPlaying = 1,
                Action::SetPausing(n) => (*r).m_pausing = n,
                Action::SetPauseStamp(t) => (*r).m_pauseStamp = t,
                Action::SetBwCheckCounter(n) => (*r).m_nBWCheckCounter = n,
                Action::ClearReadFlags(f) => (*r).m_read.flags &= !f,
                Action::AddDataType(b) => (*r).m_read.dataType |= b,
                Action::SetDuration(d) => (*r).m_fDuration = d,
                Action::SetServerBw(n) => (*r).m_nServerBW = n,
                Action::SetClientBw(n, n2) => {
                    (*r).m_nClientBW = n;
                    (*r).m_nClientBW2 = n2;
                }
                Action::Close => close_session(r, false),
                Action::Reconnect { token } => publisher_reconnect(r, &token),
            }
        }
    }
}

/// Publisher authentication: the token goes onto `app` and `tcUrl`, then the client
/// reconnects and runs `ConnectStream` again, from inside the message handler as librtmp.
///
/// # Safety
/// `r` must point to a valid `RTMP`; `Link` strings readable per the C contract.
unsafe fn publisher_reconnect(r: *mut RTMP, token: &[u8]) {
    // SAFETY: caller contract; app/tcUrl are freed only when this library allocated them.
    unsafe {
        let link = &mut (*r).Link;
        let app = [av(&link.app), token].concat();
        let tc_url = [av(&link.tcUrl), token].concat();
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
        let depth = AUTH_DEPTH.with(|d| d.get());
        AUTH_DEPTH.with(|d| d.set(depth + 1));
        let _ = connect(r, std::ptr::null_mut()) && connect_stream(r, 0);
        AUTH_DEPTH.with(|d| d.set(depth));
    }
}

/// `RTMP_ClientPacket` body: 0 (not media), 1 (media), 2 (the stream ended). The chunk-layer
/// messages go to the chunk layer, everything else through `rtmp_core::session::handle`.
///
/// # Safety
/// `r` must point to a valid `RTMP`; `p`'s body readable for `m_nBodySize` bytes.
pub unsafe fn client_packet(r: *mut RTMP, p: &RTMPPacket) -> c_int {
    // SAFETY: caller contract.
    unsafe { handle_packet(r, p, false) }
}

/// [`client_packet`]; with `for_read` (the `RTMP_Read` path) a message that ends the stream
/// leaves the connection open: the close is [`finish_read`]'s, at the next `RTMP_Read`.
///
/// # Safety
/// As [`client_packet`].
unsafe fn handle_packet(r: *mut RTMP, p: &RTMPPacket, for_read: bool) -> c_int {
    // SAFETY: caller contract. The loaded state borrows the struct's strings and queue; it is
    // dropped before the actions change them.
    unsafe {
        let body = body_of(p);
        let ty = p.m_packetType;
        match ty {
            PT_CHUNK_SIZE => {
                if !chunk::handle_set_chunk_size(r, body) && for_read {
                    // the server's chunking is unknown from here on: RTMP_Read ends the
                    // session (as an error, see `next_media_for_read`)
                    close_session(r, false);
                }
                return 0;
            }
            PT_ABORT => {
                chunk::handle_abort(r, body);
                return 0;
            }
            _ => {}
        }
        let msg = core_session::Msg {
            msg_type: ty,
            channel: p.m_nChannel,
            timestamp: p.m_nTimeStamp,
            size: p.m_nBodySize,
            body,
        };
        let out = {
            let st = load_state(r, matches!(ty, PT_INVOKE | PT_FLEX_MESSAGE));
            let link = load_link(r);
            core_session::handle(&st, &link, &msg, &mut || libc::rand())
        };
        let mut actions = out.actions;
        if for_read && out.code == 2 {
            actions.retain(|a| !matches!(a, Action::Close));
        }
        if !actions.is_empty() {
            apply(r, actions);
        }
        if let Some(ch) = out.media_channel {
            (*r).m_mediaChannel = ch;
        }
        if let Some(ts) = out.media_stamp {
            (*r).m_mediaStamp = ts;
        }
        out.code
    }
}

// ---------------------------------------------------------------------------------------------
// Stream control

fn is_ready(p: &RTMPPacket) -> bool {
    p.m_nBytesRead == p.m_nBodySize
}

/// `RTMP_ConnectStream`: handles the server's messages until playback (or publishing) starts.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn connect_stream(r: *mut RTMP, seek: c_int) -> bool {
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

/// `RTMP_ReconnectStream`: a new stream on the same connection.
///
/// # Safety
/// `r` must point to a valid `RTMP`.
pub unsafe fn reconnect_stream(r: *mut RTMP, seek: c_int) -> bool {
    // SAFETY: caller contract.
    unsafe {
        delete_stream(r);
        send_create_stream(r);
        connect_stream(r, seek)
    }
}

/// `RTMP_GetNextMediaPacket` body.
///
/// # Safety
/// `r` and `p` must be valid.
pub unsafe fn next_media_packet(r: *mut RTMP, p: *mut RTMPPacket) -> c_int {
    // SAFETY: caller contract.
    unsafe { next_media(r, p, false) }
}

/// [`next_media_packet`] for `RTMP_Read`, which must report the end of the stream to callers
/// that poll the socket or test `RTMP_IsConnected` before each call (curl, GStreamer's
/// rtmpsrc), and a broken session as an error ([`BROKEN`], the session closed) rather than as
/// the end of the stream: a failed receive or send, a protocol violation, or a close while
/// handling a message (error status, the server's `close`). The connection's end and a
/// receive timeout stay librtmp's 0 (`RTMP_READ_EOF`, `RTMP_IsTimedout`):
/// - the server's Stream EOF for the played stream ends it too (see
///   [`core_session::stream_eof_ends_read`]), so a live stream whose publisher stops ends
///   instead of waiting for a receive timeout;
/// - the end (2) leaves the connection open: the call that finds the end returns 0 while the
///   handle still reads as connected, and the next `RTMP_Read` closes it ([`finish_read`]).
///   rtmpsrc reconnects when it finds the handle closed before its next read, so librtmp's
///   close inside the call that ends the stream makes it play a recording again for ever;
///   rtmpdump's loop (`RTMP_Read` while it returns >= 0 and the handle is connected) makes
///   the one more call and ends as before.
///
/// # Safety
/// As [`next_media_packet`].
pub unsafe fn next_media_for_read(r: *mut RTMP, p: *mut RTMPPacket) -> c_int {
    // SAFETY: caller contract.
    unsafe { next_media(r, p, true) }
}

/// The end of a stream that [`next_media_for_read`] found: closes the connection it left
/// open (librtmp's `RTMP_Close`), keeping `m_read.status` (which the close clears) as librtmp
/// leaves it after its own close inside the call that found the end. Nothing when the handle
/// is already closed.
///
/// # Safety
/// `r` must be valid.
pub unsafe fn finish_read(r: *mut RTMP) {
    // SAFETY: caller contract.
    unsafe {
        if (*r).m_sb.sb_socket != -1 {
            let status = (*r).m_read.status;
            close_session(r, false);
            (*r).m_read.status = status;
        }
    }
}

/// # Safety
/// As [`next_media_packet`].
unsafe fn next_media(r: *mut RTMP, p: *mut RTMPPacket, for_read: bool) -> c_int {
    // SAFETY: caller passes valid pointers.
    unsafe {
        let mut got = 0;
        let mut broken = false;
        let mut why = "the stream is incomplete";
        // (the mark is only set by a failing read, which ends the loop: cleared once)
        chunk::take_end();
        while got == 0 && (*r).m_sb.sb_socket != -1 {
            if !read_packet(r, p) {
                // Not the connection's end between messages nor a timeout: a failed receive
                // or send, a protocol violation (logged where it was found), or the end in the
                // middle of a message.
                match chunk::take_end() {
                    chunk::ReadEnd::Ended => {}
                    chunk::ReadEnd::Error => broken = true,
                    chunk::ReadEnd::CutShort => {
                        broken = true;
                        why = "the connection ended in the middle of a message";
                    }
                }
                break;
            }
            if !is_ready(&*p) || (*p).m_nBodySize == 0 {
                continue;
            }
            let eof = for_read
                && core_session::stream_eof_ends_read(
                    (*p).m_packetType,
                    body_of(&*p),
                    (*r).m_stream_id,
                    (*r).m_pausing,
                    (*r).m_read.flags,
                );
            got = handle_packet(r, &*p, for_read);
            if got == 0 && (*r).m_sb.sb_socket == -1 {
                // Closed while handling the message: an error status (Play.Failed,
                // StreamNotFound ...), the server's `close`, or a failed answer.
                broken = true;
            }
            if eof {
                crate::rtmp_log!(
                    log::DEBUG,
                    "Got Stream EOF from server. Assuming stream is complete"
                );
                got = 2;
            }
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
        if for_read && broken {
            crate::rtmp_log!(
                log::ERROR,
                "RTMP_Read, the session ended on an error: {why}"
            );
            if (*r).m_sb.sb_socket != -1 {
                close_session(r, false);
            }
            return BROKEN;
        }
        got
    }
}

/// [`next_media_for_read`]'s result when the session ended on an error (it is closed).
pub const BROKEN: c_int = -1;
