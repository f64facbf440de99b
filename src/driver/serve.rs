//! `RTMP_Serve` logic: the server side of the handshake, on a socket the caller accepted and stored
//! in `m_sb.sb_socket` (rtmpsrv, rtmpsuck, python-librtmp's server).

use super::session::{read_handshake, write_all};
use crate::abi::types::{RTMP, RTMP_FEATURE_ENC};
use crate::log;
use crate::rtmp_log;
use rtmp_core::handshake::{self as hs, HandshakeError, Server, ServerOptions, Warning};

/// `RTMP_Serve` body: the server handshake on the accepted socket.
///
/// # Safety
/// `r` must point to a valid `RTMP` whose `m_sb.sb_socket` is the accepted connection.
pub unsafe fn serve(r: *mut RTMP) -> bool {
    const F: &str = "SHandShake";
    // SAFETY: caller passes a valid handle; reads and writes go through its socket.
    unsafe {
        let mut c0c1 = Box::new([0u8; 1 + hs::SIG_SIZE]);
        if !read_handshake(r, &mut c0c1[..], F, "C0+C1") {
            return false;
        }
        let c0 = c0c1[0];
        rtmp_log!(log::DEBUG, "{F}: Type Requested : {c0:02X}");
        let c1: &[u8; hs::SIG_SIZE] = c0c1[1..].try_into().expect("fixed size");
        let uptime = crate::io::get_time();
        let opts = ServerOptions {
            force_type: super::wire::forced_rtmpe_type(),
        };
        let encrypted = matches!(c0, 6 | 8 | 9);
        let handled = if encrypted {
            // (the DH private key comes from the OS random source)
            Server::on_c0c1_with(c0, c1, uptime, opts, crate::io::os_random_word)
        } else {
            Server::on_c0c1_with(c0, c1, uptime, opts, || libc::rand() as u32)
        };
        let (server, reply) = match handled {
            Ok(x) => x,
            Err(HandshakeError::UnknownVersion(v)) => {
                rtmp_log!(log::ERROR, "{F}: Unknown version {v:02x}");
                return false;
            }
            Err(e) => {
                rtmp_log!(log::ERROR, "{F}: {e}");
                return false;
            }
        };
        if reply.encrypted {
            (*r).Link.protocol |= RTMP_FEATURE_ENC;
            rtmp_log!(log::DEBUG, "{F}: Type Answer   : {:02X}", reply.s0);
        }
        for w in &reply.warnings {
            match w {
                Warning::SchemeSwitched => {
                    rtmp_log!(
                        log::WARNING,
                        "{F}: Trying different position for client digest!"
                    )
                }
                Warning::PeerKeyNotInSubgroup => {
                    rtmp_log!(log::WARNING, "DH public key does not fulfill y^q mod p = 1")
                }
                _ => {}
            }
        }
        let mut s0s1 = Vec::with_capacity(1 + 2 * hs::SIG_SIZE);
        s0s1.push(reply.s0);
        s0s1.extend_from_slice(&reply.s1[..]);
        s0s1.extend_from_slice(&reply.s2[..]);
        if !write_all(r, &s0s1) {
            return false;
        }
        let mut c2 = Box::new([0u8; hs::SIG_SIZE]);
        if !read_handshake(r, &mut c2[..], F, "C2") {
            return false;
        }
        match server.on_c2(&c2) {
            Ok(w) => {
                if w.contains(&Warning::SignatureMismatch) {
                    rtmp_log!(log::WARNING, "{F}: client signature does not match!");
                }
                if let Some(keys) = reply.keys {
                    super::wire::install_keys(r, &keys);
                }
                rtmp_log!(log::DEBUG, "{F}: Handshaking finished....");
                true
            }
            Err(e) => {
                rtmp_log!(log::ERROR, "{F}: {e}");
                false
            }
        }
    }
}
