//! `RTMP_Read`: the stream as FLV bytes (file header, then one tag per media message, aggregate
//! messages split into their tags), with librtmp's resume checks driven by `m_read`.
//!
//! Bytes that do not fit the caller's buffer are kept in `m_read.buf` / `bufpos` / `buflen`
//! (a libc allocation, freed by `RTMP_Close` as librtmp does).

use std::os::raw::{c_char, c_int, c_void};

use super::boundary::guard_ptr;
use super::client::{
    body_of, next_media_packet, PT_AGGREGATE, PT_AUDIO, PT_INFO, PT_VIDEO, READ_HEADER,
    READ_SEEKING,
};
use super::packet::free_body;
use super::types::*;
use crate::core::amf::Property;
use crate::core::flv;
use crate::log;

const READ_RESUME: u8 = 0x02;
const READ_NO_IGNORE: u8 = 0x04;
const READ_GOTKF: u8 = 0x08;
const READ_GOTFLVK: u8 = 0x10;

const STATUS_EOF: i8 = -1;
const STATUS_ERROR: i8 = -2;
const STATUS_COMPLETE: i8 = -3;

/// Size of the buffer librtmp builds the FLV prologue in.
const HEADER_BUF: usize = 128 * 1024;
/// Ignored frames tolerated while looking for the resume keyframe.
const MAX_IGNORED_FRAMES: u32 = 50;

/// Outcome of reading one message: FLV bytes, nothing (ignored; read on), or a final status.
enum One {
    Bytes(Vec<u8>),
    Ignore,
    Status(i8),
}

fn be24(b: &[u8]) -> u32 {
    u32::from_be_bytes([0, b[0], b[1], b[2]])
}

/// The resume checks for one packet (timestamps of 0 carry the metadata and the keyframe the
/// previous download ended with). Returns how many leading body bytes to skip, or the outcome
/// that replaces the packet.
unsafe fn resume_checks(r: *mut RTMP, ty: u8, ts: u32, body: &[u8]) -> Result<usize, One> {
    // SAFETY: caller passes a valid handle; metaHeader / initialFrame point to the consumer's
    // buffers of nMetaHeaderSize / nInitialFrameSize bytes (rtmpdump's contract).
    unsafe {
        let rd = &mut (*r).m_read;
        let mut skip = 0usize;
        if ts == 0 {
            if rd.nMetaHeaderSize > 0 && ty == PT_INFO {
                if let Ok(props) = Property::decode_all(body) {
                    if props.first().and_then(|p| p.value.as_str()) == Some(b"onMetaData") {
                        let meta = raw(rd.metaHeader, rd.nMetaHeaderSize);
                        if meta != body {
                            return Err(One::Status(STATUS_ERROR));
                        }
                    }
                }
            }
            if rd.nInitialFrameSize > 0 {
                let frame = raw(rd.initialFrame, rd.nInitialFrameSize);
                if ty == rd.initialFrameType && frame == body {
                    crate::rtmp_log!(log::DEBUG, "Checked keyframe successfully!");
                    rd.flags |= READ_GOTKF;
                    return Err(One::Ignore);
                }
                if ty == PT_AGGREGATE {
                    let mut pos = 0usize;
                    let mut last_ts = 0u32;
                    let mut stopped = false;
                    while pos + 11 < body.len() {
                        let size = be24(&body[pos + 1..]) as usize;
                        let t = be24(&body[pos + 4..]) | (u32::from(body[pos + 7]) << 24);
                        last_ts = t;
                        if body[pos] == rd.initialFrameType {
                            if t == rd.nResumeTS {
                                crate::rtmp_log!(
                                    log::DEBUG,
                                    "Found keyframe with resume-keyframe timestamp!"
                                );
                                let data = body.get(pos + 11..pos + 11 + size);
                                if data != Some(frame) {
                                    crate::rtmp_log!(
                                        log::ERROR,
                                        "FLV Stream: Keyframe doesn't match!"
                                    );
                                    return Err(One::Status(STATUS_ERROR));
                                }
                                rd.flags |= READ_GOTFLVK;
                                let end = pos + 11 + size + 4;
                                if end > body.len() {
                                    crate::rtmp_log!(
                                        log::WARNING,
                                        "Resume keyframe is the last tag of its message and has no tag size: stream corrupt!"
                                    );
                                    return Err(One::Status(STATUS_ERROR));
                                }
                                skip = end;
                                stopped = true;
                                break;
                            } else if rd.nResumeTS < t {
                                stopped = true;
                                break;
                            }
                        }
                        pos += 11 + size + 4;
                    }
                    if !stopped && last_ts < rd.nResumeTS {
                        crate::rtmp_log!(log::ERROR, "First packet does not contain keyframe, all timestamps are smaller than the keyframe timestamp; probably the resume seek failed?");
                    }
                    if rd.flags & READ_GOTFLVK == 0 {
                        crate::rtmp_log!(
                            log::ERROR,
                            "Couldn't find the seeked keyframe in this chunk!"
                        );
                        return Err(One::Ignore);
                    }
                }
            }
        }
        if ts > 0 && rd.flags & (READ_GOTKF | READ_GOTFLVK) != 0 {
            rd.flags |= READ_GOTKF | READ_GOTFLVK;
        }
        if ty != PT_AGGREGATE && rd.flags & READ_GOTKF == 0 {
            crate::rtmp_log!(
                log::WARNING,
                "Stream does not start with requested frame, ignoring data... "
            );
            rd.nIgnoredFrameCounter += 1;
            return Err(if rd.nIgnoredFrameCounter > MAX_IGNORED_FRAMES {
                One::Status(STATUS_ERROR)
            } else {
                One::Ignore
            });
        }
        if ty == PT_AGGREGATE && rd.flags & READ_GOTFLVK == 0 {
            crate::rtmp_log!(
                log::WARNING,
                "Stream does not start with requested FLV frame, ignoring data... "
            );
            rd.nIgnoredFlvFrameCounter += 1;
            return Err(if rd.nIgnoredFlvFrameCounter > MAX_IGNORED_FRAMES {
                One::Status(STATUS_ERROR)
            } else {
                One::Ignore
            });
        }
        if ty != PT_AGGREGATE && rd.flags & READ_NO_IGNORE == 0 {
            if ts == 0 {
                return Err(One::Ignore);
            }
            rd.flags |= READ_NO_IGNORE;
        }
        Ok(skip)
    }
}

/// # Safety
/// `p` must be readable for `n` bytes when non-NULL.
unsafe fn raw<'a>(p: *const c_char, n: u32) -> &'a [u8] {
    if p.is_null() || n == 0 {
        &[]
    } else {
        // SAFETY: caller contract.
        unsafe { std::slice::from_raw_parts(p as *const u8, n as usize) }
    }
}

/// The FLV bytes of one media message (librtmp's Read_1_Packet).
unsafe fn packet_bytes(r: *mut RTMP, p: &RTMPPacket) -> One {
    // SAFETY: caller passes a valid handle and a complete packet.
    unsafe {
        let ty = p.m_packetType;
        let ts = p.m_nTimeStamp;
        let mut body = body_of(p);
        (*r).m_read.dataType |= (u8::from(ty == PT_AUDIO) << 2) | u8::from(ty == PT_VIDEO);
        if ty == PT_VIDEO && body.len() <= 5 {
            crate::rtmp_log!(
                log::DEBUG,
                "ignoring too small video packet: size: {}",
                body.len()
            );
            return One::Ignore;
        }
        if ty == PT_AUDIO && body.len() <= 1 {
            crate::rtmp_log!(
                log::DEBUG,
                "ignoring too small audio packet: size: {}",
                body.len()
            );
            return One::Ignore;
        }
        if (*r).m_read.flags & READ_SEEKING != 0 {
            return One::Ignore;
        }
        if (*r).m_read.flags & READ_RESUME != 0 {
            match resume_checks(r, ty, ts, body) {
                Ok(skip) => body = &body[skip..],
                Err(o) => return o,
            }
        }
        let resume_ts = (*r).m_read.nResumeTS;
        let mut out = Vec::with_capacity(body.len() + flv::TAG_HEADER_LEN + flv::PREV_SIZE_LEN);
        let written_ts = match ty {
            PT_AUDIO | PT_VIDEO | PT_INFO => {
                let t = resume_ts.wrapping_add(ts);
                flv::push_tag(&mut out, ty, t, body);
                t
            }
            PT_AGGREGATE => match flv::rewrite_aggregate(body, ts, resume_ts, &mut out) {
                Ok(a) => {
                    if a.appended_tag_size {
                        crate::rtmp_log!(log::WARNING, "No tagSize found, appending!");
                    }
                    a.last_timestamp
                }
                Err(flv::AggregateError::WrongDataSize(n)) => {
                    crate::rtmp_log!(
                        log::ERROR,
                        "Wrong data size ({n}), stream corrupted, aborting!"
                    );
                    return One::Status(STATUS_ERROR);
                }
            },
            _ => return One::Ignore,
        };
        (*r).m_read.timestamp = if (*r).Link.lFlags & RTMP_LF_LIVE != 0 {
            ts
        } else {
            written_ts
        };
        One::Bytes(out)
    }
}

/// Reads the next media message and turns it into FLV bytes.
unsafe fn read_one(r: *mut RTMP) -> One {
    // SAFETY: caller passes a valid handle; the packet body is ours until freed here.
    unsafe {
        let mut p: RTMPPacket = std::mem::zeroed();
        let got = next_media_packet(r, &mut p);
        let out = match got {
            0 => One::Status(STATUS_EOF),
            2 => {
                crate::rtmp_log!(
                    log::DEBUG,
                    "Got Play.Complete or Play.Stop from server. Assuming stream is complete"
                );
                One::Status(STATUS_COMPLETE)
            }
            _ => packet_bytes(r, &p),
        };
        free_body(&mut p);
        out
    }
}

/// Stores `bytes` as the pending output (`m_read.buf`), replacing nothing (the slot is empty).
unsafe fn keep(r: *mut RTMP, bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return true;
    }
    // SAFETY: caller passes a valid handle; the new block holds `bytes`.
    unsafe {
        let b = libc::malloc(bytes.len()) as *mut c_char;
        if b.is_null() {
            crate::rtmp_log!(
                log::ERROR,
                "RTMP_Read, cannot allocate {} bytes",
                bytes.len()
            );
            return false;
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), b as *mut u8, bytes.len());
        (*r).m_read.buf = b;
        (*r).m_read.bufpos = b;
        (*r).m_read.buflen = bytes.len() as u32;
    }
    true
}

unsafe fn drop_pending(r: *mut RTMP) {
    // SAFETY: caller passes a valid handle; m_read.buf is NULL or our libc block.
    unsafe {
        libc::free((*r).m_read.buf as *mut c_void);
        (*r).m_read.buf = std::ptr::null_mut();
        (*r).m_read.bufpos = std::ptr::null_mut();
        (*r).m_read.buflen = 0;
    }
}

/// Builds the FLV prologue: the file header and the messages up to the first with a non-zero
/// timestamp (or until audio and video were both seen).
unsafe fn prologue(r: *mut RTMP) -> Result<(), i8> {
    // SAFETY: caller passes a valid handle.
    unsafe {
        let mut buf = flv::file_header(0).to_vec();
        // read_one updates m_read.timestamp through `r`.
        loop {
            if (*r).m_read.timestamp != 0 {
                break;
            }
            match read_one(r) {
                One::Status(s) => return Err(s),
                One::Ignore => continue,
                One::Bytes(b) => {
                    let overflow = b.len() + 4 > HEADER_BUF - buf.len();
                    buf.extend_from_slice(&b);
                    if overflow || (*r).m_read.dataType == 5 {
                        break;
                    }
                }
            }
        }
        buf[4] = (*r).m_read.dataType;
        drop_pending(r);
        if !keep(r, &buf) {
            return Err(STATUS_ERROR);
        }
        Ok(())
    }
}

unsafe fn read(r: *mut RTMP, buf: *mut c_char, size: c_int) -> c_int {
    // SAFETY: caller passes a valid handle and `size` writable bytes at `buf`.
    unsafe {
        match (*r).m_read.status {
            STATUS_EOF | STATUS_COMPLETE => return 0,
            STATUS_ERROR => {
                *libc::__errno_location() = libc::EINVAL;
                return -1;
            }
            _ => {}
        }
        if (*r).m_read.flags & READ_HEADER == 0 {
            if (*r).m_read.flags & READ_RESUME == 0 {
                if let Err(s) = prologue(r) {
                    drop_pending(r);
                    (*r).m_read.status = s;
                    if s == STATUS_ERROR {
                        *libc::__errno_location() = libc::EINVAL;
                        return -1;
                    }
                    return 0;
                }
            }
            (*r).m_read.flags |= READ_HEADER;
        }
        if (*r).m_read.flags & READ_SEEKING != 0 && !(*r).m_read.buf.is_null() {
            drop_pending(r);
        }
        let size = usize::try_from(size).unwrap_or(0);
        let out = if buf.is_null() {
            &mut [][..]
        } else {
            std::slice::from_raw_parts_mut(buf as *mut u8, size)
        };
        let mut total = 0usize;
        if !(*r).m_read.buf.is_null() && (*r).m_read.buflen > 0 {
            let n = ((*r).m_read.buflen as usize).min(out.len());
            std::ptr::copy_nonoverlapping((*r).m_read.bufpos as *const u8, out.as_mut_ptr(), n);
            (*r).m_read.buflen -= n as u32;
            if (*r).m_read.buflen == 0 {
                drop_pending(r);
            } else {
                (*r).m_read.bufpos = (*r).m_read.bufpos.add(n);
            }
            total = n;
        }
        if total < out.len() {
            loop {
                match read_one(r) {
                    One::Ignore => continue,
                    One::Status(s) => {
                        (*r).m_read.status = s;
                        break;
                    }
                    One::Bytes(b) => {
                        let n = b.len().min(out.len() - total);
                        out[total..total + n].copy_from_slice(&b[..n]);
                        total += n;
                        // A close inside the read may have cleared the pending slot; it is
                        // empty here either way.
                        drop_pending(r);
                        if !keep(r, &b[n..]) {
                            (*r).m_read.status = STATUS_ERROR;
                        }
                        break;
                    }
                }
            }
        }
        total as c_int
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_Read(r: *mut RTMP, buf: *mut c_char, size: c_int) -> c_int {
    guard_ptr("RTMP_Read", r, -1, || unsafe { read(r, buf, size) })
}
