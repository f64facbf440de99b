//! `RTMP_Read`: the stream as FLV bytes (file header, then one tag per media message, aggregate
//! messages split into their tags), with librtmp's resume checks driven by `m_read`.
//!
//! Bytes that do not fit the caller's buffer are kept in `m_read.buf` / `bufpos` / `buflen`
//! (a libc allocation, freed by `RTMP_Close` as librtmp does).

use std::os::raw::{c_char, c_int, c_void};

use super::boundary::guard_ptr;
use super::client::{
    body_of, next_media_packet, send_seek, PT_AGGREGATE, PT_AUDIO, PT_INFO, PT_VIDEO, READ_HEADER,
    READ_REWOUND, READ_SEEKING,
};
use super::packet::free_body;
use crate::abi::types::*;
use crate::log;
use rtmp_core::amf::Property;
use rtmp_core::flv;

const READ_RESUME: u8 = 0x02;
const READ_NO_IGNORE: u8 = 0x04;
const READ_GOTKF: u8 = 0x08;
const READ_GOTFLVK: u8 = 0x10;
/// Ours, in a bit librtmp leaves unused: the server restarted the stream at the resume keyframe
/// with absolute timestamps (nginx-rtmp does; FMS restarts at 0), so `nResumeTS` is not added.
const READ_ABSOLUTE: u8 = 0x40;

const STATUS_EOF: i8 = -1;
const STATUS_ERROR: i8 = -2;
const STATUS_COMPLETE: i8 = -3;

/// Size of the buffer librtmp builds the FLV prologue in.
const HEADER_BUF: usize = 128 * 1024;
/// Ignored frames tolerated while looking for the resume keyframe.
const MAX_IGNORED_FRAMES: u32 = 50;

/// Outcome of reading one message: FLV bytes, nothing (ignored; read on), or a final status.
enum One {
    Bytes(Tag),
    Ignore,
    Status(i8),
}

/// The FLV bytes of one message. A plain tag is its header, the packet body from `skip` on
/// (not copied until it goes to the caller) and the previous-tag-size field; an aggregate is
/// rewritten into a buffer.
enum Tag {
    Plain {
        head: [u8; flv::TAG_HEADER_LEN],
        skip: usize,
        prev: [u8; flv::PREV_SIZE_LEN],
    },
    Built(Vec<u8>),
}

impl Tag {
    /// The bytes in order, given the packet body they were made from.
    fn pieces<'a>(&'a self, body: &'a [u8]) -> [&'a [u8]; 3] {
        match self {
            Tag::Plain { head, skip, prev } => [&head[..], &body[*skip..], &prev[..]],
            Tag::Built(v) => [&v[..], &[], &[]],
        }
    }
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
        let media = ty == PT_AUDIO || ty == PT_VIDEO;
        if media && rd.flags & (READ_GOTKF | READ_REWOUND) == 0 && rd.nResumeTS > 0 {
            if ts > rd.nResumeTS {
                // Servers with absolute timestamps that seek to the next keyframe after the
                // requested time (nginx-rtmp) never send the one the file ends with: play from
                // the start again and skip to it.
                crate::rtmp_log!(
                    log::WARNING,
                    "Resume: the server started at {ts} ms, after the resume keyframe at {} ms; playing from the start to find it",
                    rd.nResumeTS
                );
                rd.flags |= READ_REWOUND;
                if !send_seek(r, 0) {
                    return Err(One::Status(STATUS_ERROR));
                }
                return Err(One::Ignore);
            }
            if ts > 0 && ts < rd.nResumeTS {
                // Absolute timestamps from before the keyframe (a server that cannot seek in
                // this file starts at its beginning): skip to the keyframe.
                crate::rtmp_log!(
                    log::DEBUG,
                    "Resume: the server started at {ts} ms, skipping to the keyframe at {} ms",
                    rd.nResumeTS
                );
                rd.flags |= READ_REWOUND;
            }
        }
        let rd = &mut (*r).m_read;
        // (Timestamp 0 still goes through librtmp's checks: a server that restarts at 0 sends
        // the keyframe there.)
        if rd.flags & (READ_REWOUND | READ_GOTKF) == READ_REWOUND && ts != 0 && ts < rd.nResumeTS {
            return Err(One::Ignore);
        }
        // The keyframe the previous download ended with comes at 0 from servers that restart
        // the timestamps after a seek, at its own timestamp from those that do not.
        let absolute = ts != 0 && ts == rd.nResumeTS && rd.flags & READ_GOTKF == 0;
        if ts == 0 || absolute {
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
                    if absolute {
                        crate::rtmp_log!(log::DEBUG, "The server resumed with absolute timestamps");
                        rd.flags |= READ_ABSOLUTE;
                    }
                    return Err(One::Ignore);
                }
                if ty == PT_AGGREGATE && !absolute {
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
        let resume_ts = if (*r).m_read.flags & READ_ABSOLUTE != 0 {
            0
        } else {
            (*r).m_read.nResumeTS
        };
        let skip = body_of(p).len() - body.len();
        let (tag, written_ts) = match ty {
            PT_AUDIO | PT_VIDEO | PT_INFO => {
                let t = resume_ts.wrapping_add(ts);
                let size = body.len() as u32;
                let tag = Tag::Plain {
                    head: flv::tag_header(ty, size, t),
                    skip,
                    prev: (size + flv::TAG_HEADER_LEN as u32).to_be_bytes(),
                };
                (tag, t)
            }
            PT_AGGREGATE => {
                let mut out = Vec::with_capacity(body.len() + flv::PREV_SIZE_LEN);
                match flv::rewrite_aggregate(body, ts, resume_ts, &mut out) {
                    Ok(a) => {
                        if a.appended_tag_size {
                            crate::rtmp_log!(log::WARNING, "No tagSize found, appending!");
                        }
                        (Tag::Built(out), a.last_timestamp)
                    }
                    Err(flv::AggregateError::WrongDataSize(n)) => {
                        crate::rtmp_log!(
                            log::ERROR,
                            "Wrong data size ({n}), stream corrupted, aborting!"
                        );
                        return One::Status(STATUS_ERROR);
                    }
                }
            }
            _ => return One::Ignore,
        };
        (*r).m_read.timestamp = if (*r).Link.lFlags & RTMP_LF_LIVE != 0 {
            ts
        } else {
            written_ts
        };
        One::Bytes(tag)
    }
}

/// Reads the next media message into `p` and describes its FLV bytes; the caller frees the
/// body (with `free_body`) once the bytes are used.
unsafe fn read_one(r: *mut RTMP, p: &mut RTMPPacket) -> One {
    // SAFETY: caller passes a valid handle.
    unsafe {
        free_body(p);
        *p = std::mem::zeroed();
        match next_media_packet(r, p) {
            0 => One::Status(STATUS_EOF),
            2 => {
                crate::rtmp_log!(
                    log::DEBUG,
                    "Got Play.Complete or Play.Stop from server. Assuming stream is complete"
                );
                One::Status(STATUS_COMPLETE)
            }
            _ => packet_bytes(r, p),
        }
    }
}

/// Above this the pending block is not kept for reuse once a much smaller one will do.
const KEEP_CAPACITY: usize = 1 << 20;

/// Stores `pieces` (in order) as the pending output (`m_read.buf`; the slot is empty). The
/// block is a libc allocation that stays with the handle while empty and is reused when big
/// enough (its capacity is `malloc_usable_size`), so a steady stream allocates nothing here.
unsafe fn keep(r: *mut RTMP, pieces: &[&[u8]]) -> bool {
    let need: usize = pieces.iter().map(|p| p.len()).sum();
    if need == 0 {
        return true;
    }
    // SAFETY: caller passes a valid handle; m_read.buf is NULL or a libc block of ours.
    unsafe {
        let rd = &mut (*r).m_read;
        let mut b = rd.buf;
        let cap = if b.is_null() {
            0
        } else {
            libc::malloc_usable_size(b as *mut c_void)
        };
        if cap < need || (cap > KEEP_CAPACITY && need < cap / 4) {
            libc::free(b as *mut c_void);
            rd.buf = std::ptr::null_mut();
            b = libc::malloc(need) as *mut c_char;
            if b.is_null() {
                rd.bufpos = std::ptr::null_mut();
                rd.buflen = 0;
                crate::rtmp_log!(log::ERROR, "RTMP_Read, cannot allocate {need} bytes");
                return false;
            }
        }
        let mut at = b as *mut u8;
        for p in pieces {
            std::ptr::copy_nonoverlapping(p.as_ptr(), at, p.len());
            at = at.add(p.len());
        }
        rd.buf = b;
        rd.bufpos = b;
        rd.buflen = need as u32;
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
        let mut p: RTMPPacket = std::mem::zeroed();
        // read_one updates m_read.timestamp through `r`.
        let end = loop {
            if (*r).m_read.timestamp != 0 {
                break None;
            }
            match read_one(r, &mut p) {
                One::Status(s) => break Some(s),
                One::Ignore => continue,
                One::Bytes(t) => {
                    let pieces = t.pieces(body_of(&p));
                    let len: usize = pieces.iter().map(|x| x.len()).sum();
                    let overflow = len + 4 > HEADER_BUF - buf.len();
                    pieces.iter().for_each(|x| buf.extend_from_slice(x));
                    if overflow || (*r).m_read.dataType == 5 {
                        break None;
                    }
                }
            }
        };
        free_body(&mut p);
        if let Some(s) = end {
            return Err(s);
        }
        buf[4] = (*r).m_read.dataType;
        drop_pending(r);
        if !keep(r, &[&buf]) {
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
            (*r).m_read.bufpos = (*r).m_read.bufpos.add(n);
            total = n;
        }
        if total < out.len() {
            let mut p: RTMPPacket = std::mem::zeroed();
            loop {
                match read_one(r, &mut p) {
                    One::Ignore => continue,
                    One::Status(s) => {
                        (*r).m_read.status = s;
                        break;
                    }
                    One::Bytes(t) => {
                        // Straight into the caller's buffer; what does not fit is kept.
                        let mut rest: [&[u8]; 3] = [&[]; 3];
                        for (i, piece) in t.pieces(body_of(&p)).into_iter().enumerate() {
                            let n = piece.len().min(out.len() - total);
                            out[total..total + n].copy_from_slice(&piece[..n]);
                            total += n;
                            rest[i] = &piece[n..];
                        }
                        // The slot is empty here (drained above, or cleared by a close
                        // inside the read).
                        (*r).m_read.buflen = 0;
                        if !keep(r, &rest) {
                            (*r).m_read.status = STATUS_ERROR;
                        }
                        break;
                    }
                }
            }
            free_body(&mut p);
        }
        total as c_int
    }
}

#[no_mangle]
pub unsafe extern "C" fn RTMP_Read(r: *mut RTMP, buf: *mut c_char, size: c_int) -> c_int {
    guard_ptr("RTMP_Read", r, -1, || unsafe { read(r, buf, size) })
}
