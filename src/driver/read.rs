//! `RTMP_Read` logic: the stream as FLV bytes (file header, then one tag per media message, aggregate
//! messages split into their tags), with librtmp's resume checks driven by `m_read`.
//!
//! Bytes that do not fit the caller's buffer are kept in `m_read.buf` / `bufpos` / `buflen`
//! (a libc allocation, freed by `RTMP_Close` as librtmp does).

use std::os::raw::{c_char, c_int, c_void};

use super::session::{finish_read, next_media_for_read, send_seek, BROKEN};
use crate::abi::conv::bytes_n;
use crate::abi::packet::body_of;
use crate::abi::packet::free_body;
use crate::abi::types::*;
use crate::log;
use rtmp_core::ertmp;
use rtmp_core::flv;
use rtmp_core::resume::{self, Resume, Verdict, READ_ABSOLUTE, READ_RESUME};
use rtmp_core::session::{PT_AGGREGATE, PT_AUDIO, PT_INFO, PT_VIDEO, READ_HEADER, READ_SEEKING};

const STATUS_EOF: i8 = -1;
const STATUS_ERROR: i8 = -2;
const STATUS_COMPLETE: i8 = -3;

/// Size of the buffer librtmp builds the FLV prologue in.
const HEADER_BUF: usize = 128 * 1024;

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

/// The resume checks for one packet (`rtmp_core::resume::check` on the handle's `m_read`).
/// Returns how many leading body bytes to skip, or the outcome that replaces the packet.
unsafe fn resume_checks(r: *mut RTMP, ty: u8, ts: u32, body: &[u8]) -> Result<usize, One> {
    // SAFETY: caller passes a valid handle; metaHeader / initialFrame point to the consumer's
    // buffers of nMetaHeaderSize / nInitialFrameSize bytes (rtmpdump's contract).
    unsafe {
        let rd = &mut (*r).m_read;
        let mut st = Resume {
            flags: rd.flags,
            resume_ts: rd.nResumeTS,
            ignored_frames: rd.nIgnoredFrameCounter,
            ignored_flv_frames: rd.nIgnoredFlvFrameCounter,
            meta_header: (rd.nMetaHeaderSize > 0)
                .then(|| bytes_n(rd.metaHeader as *const u8, rd.nMetaHeaderSize as usize)),
            initial_frame: (rd.nInitialFrameSize > 0)
                .then(|| bytes_n(rd.initialFrame as *const u8, rd.nInitialFrameSize as usize)),
            initial_frame_type: rd.initialFrameType,
        };
        let verdict = resume::check(&mut st, ty, ts, body);
        rd.flags = st.flags;
        rd.nIgnoredFrameCounter = st.ignored_frames;
        rd.nIgnoredFlvFrameCounter = st.ignored_flv_frames;
        match verdict {
            Verdict::Keep(skip) => Ok(skip),
            Verdict::Ignore => Err(One::Ignore),
            Verdict::Error => Err(One::Status(STATUS_ERROR)),
            Verdict::SeekToStart => {
                if send_seek(r, 0) {
                    Err(One::Ignore)
                } else {
                    Err(One::Status(STATUS_ERROR))
                }
            }
        }
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
        // librtmp's size rules were written for legacy tags (an AVC header is 5 bytes): an
        // E-RTMP tag of any size is media (a SequenceEnd is 5 bytes).
        if ty == PT_VIDEO && body.len() <= 5 && !ertmp::is_ex_video(body) {
            crate::rtmp_log!(
                log::DEBUG,
                "ignoring too small video packet: size: {}",
                body.len()
            );
            return One::Ignore;
        }
        if ty == PT_AUDIO && body.len() <= 1 && !ertmp::is_ex_audio(body) {
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
        if ty == PT_INFO {
            // Metadata a publisher wrapped in `@setDataFrame` (the session took it for
            // metadata) goes into the FLV as the plain `onMetaData` an FLV file carries.
            body = &body[ertmp::set_data_frame_prefix(body)..];
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
        match next_media_for_read(r, p) {
            0 => One::Status(STATUS_EOF),
            BROKEN => One::Status(STATUS_ERROR),
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

/// `RTMP_Read` body.
///
/// # Safety
/// `r` must point to a valid `RTMP`; `buf` must be writable for `size` bytes when non-NULL.
pub unsafe fn read(r: *mut RTMP, buf: *mut c_char, size: c_int) -> c_int {
    // SAFETY: caller passes a valid handle and `size` writable bytes at `buf`.
    unsafe {
        let _poll_safe = super::wire::poll_safe_reads();
        match (*r).m_read.status {
            STATUS_EOF => return 0,
            STATUS_COMPLETE => {
                // The call that found the end left the connection open (see
                // `next_media_for_read`); this one closes it.
                finish_read(r);
                return 0;
            }
            STATUS_ERROR => {
                *libc::__errno_location() = libc::EINVAL;
                return -1;
            }
            _ => {}
        }
        let mut began = false;
        if (*r).m_read.flags & READ_HEADER == 0 {
            if (*r).m_read.flags & READ_RESUME == 0 {
                began = true;
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
        let out = crate::abi::conv::bytes_mut(buf.cast(), size);
        let mut total = 0usize;
        if !(*r).m_read.buf.is_null() && (*r).m_read.buflen > 0 {
            let n = ((*r).m_read.buflen as usize).min(out.len());
            std::ptr::copy_nonoverlapping((*r).m_read.bufpos as *const u8, out.as_mut_ptr(), n);
            (*r).m_read.buflen -= n as u32;
            (*r).m_read.bufpos = (*r).m_read.bufpos.add(n);
            total = n;
        }
        // A call that hands out kept bytes reads nothing more: what comes next (perhaps the
        // end of the stream) is then found by a call of its own, which a caller polling the
        // socket makes because the kernel still holds it (see `wire::PollSafeReads`); found
        // here, after bytes were handed out, the end would only be reported by a call that the
        // poll never allows. The call that built the FLV header and the stream's first
        // packets (the beginning, not the end) goes on with one more message as librtmp
        // does, so the first result has librtmp's size (rtmpdump's first progress line).
        if (total == 0 || began) && total < out.len() {
            let mut p: RTMPPacket = std::mem::zeroed();
            loop {
                match read_one(r, &mut p) {
                    One::Ignore => continue,
                    One::Status(s) => {
                        (*r).m_read.status = s;
                        // Only the first call gets here with bytes (the end came with the
                        // stream's first packets): this call returns data, so the end is never
                        // reported by a 0 before the close; closed now, as librtmp does. A
                        // broken session fails the call instead (below): the FLV header and
                        // packets returned with a closed handle would let a caller that stops
                        // at a closed handle (rtmpdump) take the stream as complete.
                        if total > 0 && s != STATUS_ERROR {
                            finish_read(r);
                        }
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
        if (*r).m_read.status == STATUS_ERROR {
            // A broken session is an error for the caller, never the end of the stream: the
            // handle is closed (a corrupt aggregate or a failed allocation leaves it open)
            // and the call fails, even when it had bytes (see the first-call case above).
            if (*r).m_sb.sb_socket != -1 {
                finish_read(r);
            }
            drop_pending(r);
            *libc::__errno_location() = libc::EINVAL;
            return -1;
        }
        total as c_int
    }
}
