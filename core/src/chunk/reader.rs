//! The inbound chunk stream as values: what a chunk header means given the chunk stream's state,
//! the body plan of a chunk, the end of a message, and the loop that takes buffered type-3
//! continuation chunks. Socket-free: the embedding crate reads bytes, loads the per-channel
//! state from wherever it keeps it into [`InChannel`] values and stores them back.
//!
//! One chunk, in the order a reader meets it:
//! 1. [`Basic::parse`] on the first 1 to 3 bytes (the chunk stream id);
//! 2. [`start`]: what the chunk inherits from its chunk stream (or why it cannot start here);
//! 3. [`header`] on the header bytes read so far: the packet fields, or how many more bytes the
//!    message header / extended timestamp need ([`Step`]);
//! 4. [`ChunkHeader::plan`]: whether a body is to be allocated; [`payload_len`]: how many
//!    payload bytes follow;
//! 5. [`end_of_chunk`]: the state stored for the chunk stream, and at a message's end
//!    [`finish_message`] (timestamp made absolute).
//!
//! Continuation chunks (one-byte type-3 headers of a message in progress) that are wholly
//! buffered are taken by [`take_chunks`]; [`plain_continuation`] says when a chunk stream is in
//! the state where steps 2 to 5 amount to exactly what that loop does.
#![forbid(unsafe_code)]

use super::{decode_basic_header, decode_message_header, message_header_len};
use super::{EXT_TS, LARGE, MEDIUM, MINIMUM};
use crate::bytes::be32;

/// Flag in a stored channel's `has_abs_timestamp`: the message in progress has an extended
/// timestamp, whose value is in `timestamp` (so that a continuation chunk can tell a repeated
/// extended timestamp from payload).
pub const EXT_PENDING: u8 = 0x80;
/// Incomplete inbound messages may hold at most this many body bytes in total: a peer has to
/// send the bytes of a message before it can make us hold another large one.
pub const MAX_PENDING_BODY: u64 = 64 << 20;
/// Bodies at or above this size are checked against [`MAX_PENDING_BODY`].
pub const BUDGET_CHECK_MIN: u32 = 64 << 10;
/// Packet type of an Abort Message.
pub const ABORT: u8 = 0x02;

/// The fields of one inbound packet / stored chunk stream state that the reader works on (the
/// embedding crate keeps the body, chunk-report pointer and channel number itself).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InChannel {
    pub header_type: u8,
    pub packet_type: u8,
    /// 0 or 1, plus [`EXT_PENDING`] in a stored state.
    pub has_abs_timestamp: u8,
    pub timestamp: u32,
    pub stream_id: i32,
    pub body_size: u32,
    pub bytes_read: u32,
    /// Whether a body is attached (a message in progress, for a stored state).
    pub has_body: bool,
}

/// When an Acknowledgement is due: only when counting, once the bytes read pass `at` (the
/// bytes acknowledged last plus a tenth of the peer's window).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckRule {
    pub counting: bool,
    pub at: i32,
}

impl AckRule {
    /// The rule for a connection that counts (`counting`), last acknowledged `sent` bytes and
    /// has a peer window of `window`.
    #[inline(always)]
    pub fn new(counting: bool, sent: i32, window: i32) -> AckRule {
        AckRule {
            counting,
            at: sent.wrapping_add(window / 10),
        }
    }

    /// Whether one is due once `bytes_in` bytes have been read.
    #[inline(always)]
    pub fn due(self, bytes_in: i32) -> bool {
        self.counting && bytes_in > self.at
    }

    /// Whether a chunk of a one-byte header and `n` payload bytes can be taken from `rest`
    /// buffered bytes, `bytes_in` read so far, with none falling due while it is read (a
    /// reader counts the header byte, then the payload).
    #[inline(always)]
    pub fn takes_chunk(self, rest: usize, n: usize, bytes_in: i32) -> bool {
        rest > n
            && !self.due(bytes_in.wrapping_add(1))
            && !self.due(bytes_in.wrapping_add(1 + n as i32))
    }
}

/// A basic header: header type, chunk stream id and its length (1 to 3 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Basic {
    pub fmt: u8,
    pub channel: u32,
    pub len: usize,
}

impl Basic {
    /// The basic header at the start of `buf`, or `Err(n)`: `buf` must hold `n` bytes.
    #[inline(always)]
    pub fn parse(buf: &[u8]) -> Result<Basic, usize> {
        let Some(&b0) = buf.first() else {
            return Err(1);
        };
        let len = super::basic_header_len(b0);
        if buf.len() < len {
            return Err(len);
        }
        let (fmt, channel) = decode_basic_header(&buf[..len]);
        Ok(Basic { fmt, channel, len })
    }
}

/// Why a chunk cannot start on its chunk stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartError {
    /// A type 0 or 1 header while a message is in progress (its partial body is to be
    /// dropped); `read` of `size` bytes had arrived.
    MidMessage { read: u32, size: u32 },
    /// A type 2 or 3 header on a chunk stream that never had a message.
    NoPrevious,
}

/// What a chunk starts from, once its basic header is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    pub basic: Basic,
    /// The packet fields before the message header is applied.
    pub packet: InChannel,
    /// The packet is the stored state (body and chunk report included), not the caller's.
    pub inherits: bool,
    /// The extended timestamp of the message in progress, when it has one.
    pub cont_ext: Option<u32>,
}

/// Step 2: the packet a chunk starts from. A type-0 header starts from the caller's packet
/// with an absolute timestamp; types 1 to 3 from the stored state of the chunk stream (a type-1
/// header may also start a chunk stream: librtmp sends one first on channel 2).
pub fn start(
    basic: Basic,
    stored: Option<InChannel>,
    caller: InChannel,
) -> Result<Start, StartError> {
    let fmt = basic.fmt;
    if let Some(s) = stored.filter(|s| fmt <= MEDIUM && s.has_body) {
        return Err(StartError::MidMessage {
            read: s.bytes_read,
            size: s.body_size,
        });
    }
    let mut packet = caller;
    let mut inherits = false;
    let mut cont_ext = None;
    if fmt == LARGE {
        packet.has_abs_timestamp = 1;
    } else if let Some(s) = stored {
        packet = s;
        inherits = true;
        if packet.has_abs_timestamp & EXT_PENDING != 0 {
            packet.has_abs_timestamp &= !EXT_PENDING;
            cont_ext = Some(packet.timestamp);
        }
    } else if fmt != MEDIUM {
        return Err(StartError::NoPrevious);
    }
    Ok(Start {
        basic,
        packet,
        inherits,
        cont_ext,
    })
}

/// Which part of a header is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    MessageHeader,
    /// The mandatory extended timestamp.
    ExtTimestamp,
    /// The optional repeat of a message's extended timestamp on a type-3 continuation: taken
    /// only when the next 4 bytes equal it (peek, don't consume, then call [`header`] again).
    OptionalExt,
}

/// A header's bytes are not all there: the header bytes must reach `upto` (from the chunk's
/// first byte) through `piece`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub upto: usize,
    pub piece: Piece,
}

/// A whole chunk header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkHeader {
    pub basic: Basic,
    /// Header length: basic + message header + extended timestamp when present.
    pub len: usize,
    /// The message's timestamp is extended (stored as `EXT_TS` / [`EXT_PENDING`]).
    pub ext: bool,
    /// The packet starts from the stored state.
    pub inherits: bool,
    /// The packet carries the body of the message in progress.
    pub inherited_body: bool,
}

/// Step 3: applies the message header and extended timestamp in `buf` (the chunk's bytes from
/// its first, as many as are known) to `pkt` (reset to `st.packet` first, so `pkt` always holds
/// the fields as far as `buf` reaches). Extended timestamps: mandatory when the timestamp field
/// (or an inherited one at a message start) is 0xFFFFFF; on a type-3 continuation of a message
/// with one, optional, taken only when the 4 bytes repeat the value (senders differ).
#[inline(always)]
pub fn header(buf: &[u8], st: &Start, pkt: &mut InChannel) -> Result<ChunkHeader, Need> {
    *pkt = st.packet;
    let fmt = st.basic.fmt;
    let blen = st.basic.len;
    let mut hlen = blen + message_header_len(fmt);
    if buf.len() < hlen {
        return Err(Need {
            upto: hlen,
            piece: Piece::MessageHeader,
        });
    }
    let m = decode_message_header(fmt, &buf[blen..hlen]);
    if let Some(ts) = m.timestamp {
        pkt.timestamp = ts;
    }
    if let Some(size) = m.body_size {
        pkt.body_size = size;
        pkt.bytes_read = 0;
    }
    if let Some(t) = m.packet_type {
        pkt.packet_type = t;
    }
    if let Some(sid) = m.stream_id {
        pkt.stream_id = sid;
    }
    let mut ext = false;
    if let Some(v) = st.cont_ext.filter(|_| fmt == MINIMUM) {
        pkt.timestamp = v;
        ext = true;
        if buf.len() < hlen + 4 {
            return Err(Need {
                upto: hlen + 4,
                piece: Piece::OptionalExt,
            });
        }
        if be32(&buf[hlen..]) == v {
            hlen += 4;
        }
    } else if pkt.timestamp == EXT_TS {
        ext = true;
        if buf.len() < hlen + 4 {
            return Err(Need {
                upto: hlen + 4,
                piece: Piece::ExtTimestamp,
            });
        }
        pkt.timestamp = be32(&buf[hlen..]);
        hlen += 4;
    }
    Ok(ChunkHeader {
        basic: st.basic,
        len: hlen,
        ext,
        inherits: st.inherits,
        inherited_body: st.inherits && st.packet.has_body,
    })
}

/// Why a chunk's payload cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// More bytes read than the body has, or a partial count without a body.
    Inconsistent { read: u32, size: u32 },
    /// The new body would take the incomplete messages past [`MAX_PENDING_BODY`].
    Refused { size: u32 },
}

/// Step 4 for a chunk: whether a new body of `pkt.body_size` bytes is to be allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub alloc: bool,
}

impl ChunkHeader {
    /// Whether a body is to be allocated for `pkt` (as left by [`header`]). `pending` gives the
    /// body bytes of the incomplete messages (asked only for large new bodies).
    #[inline(always)]
    pub fn plan(&self, pkt: &InChannel, pending: impl FnOnce() -> u64) -> Result<Plan, PlanError> {
        let (size, read) = (pkt.body_size, pkt.bytes_read);
        if read > size {
            return Err(PlanError::Inconsistent { read, size });
        }
        let alloc = size > 0 && (read == 0 || !pkt.has_body) && !self.inherited_body;
        if alloc {
            if read != 0 {
                return Err(PlanError::Inconsistent { read, size });
            }
            if !budget_allows(size, pending) {
                return Err(PlanError::Refused { size });
            }
        }
        Ok(Plan { alloc })
    }
}

/// The payload length of the next chunk of `pkt` with in chunk size `in_chunk` (positive).
#[inline(always)]
pub fn payload_len(pkt: &InChannel, in_chunk: i32) -> usize {
    pkt.body_size
        .saturating_sub(pkt.bytes_read)
        .min(in_chunk.max(0) as u32) as usize
}

/// Whether a new body of `size` bytes fits the pending-body budget.
pub fn budget_allows(size: u32, pending: impl FnOnce() -> u64) -> bool {
    size < BUDGET_CHECK_MIN || pending() + u64::from(size) <= MAX_PENDING_BODY
}

/// Step 5: `pkt` has taken `n` more payload bytes; returns the state to store for the chunk
/// stream and whether the message is complete. An incomplete message with an extended
/// timestamp is stored with [`EXT_PENDING`]; a complete one with `EXT_TS` as its timestamp.
/// At a message's end the caller also calls [`finish_message`].
#[inline(always)]
pub fn end_of_chunk(h: &ChunkHeader, pkt: &mut InChannel, n: usize) -> (InChannel, bool) {
    pkt.bytes_read += n as u32;
    let mut s = *pkt;
    let complete = pkt.bytes_read == pkt.body_size;
    if h.ext {
        if complete {
            s.timestamp = EXT_TS;
        } else {
            s.has_abs_timestamp |= EXT_PENDING;
        }
    }
    (s, complete)
}

/// The end of a message: `pkt`'s timestamp is made absolute (unless the header was absolute)
/// from the chunk stream's last timestamp `channel_ts`, and becomes it; the stored state `s`
/// (which keeps the header's own timestamp) is reset for the next message (no body).
#[inline(always)]
pub fn finish_message(pkt: &mut InChannel, s: &mut InChannel, channel_ts: &mut i32) {
    if pkt.has_abs_timestamp == 0 {
        pkt.timestamp = pkt.timestamp.wrapping_add(*channel_ts as u32);
    }
    *channel_ts = pkt.timestamp as i32;
    s.has_body = false;
    s.bytes_read = 0;
    s.has_abs_timestamp = 0;
}

/// Whether a chunk stream in state `s` is continued by a one-byte type-3 header with the
/// outcome [`take_chunks`] gives: a message in progress with a body, no extended timestamp
/// (no optional repeat to look for), not an Abort Message (which the reader acts on), and
/// bytes still to come. In that state steps 2 to 5 inherit everything, read a 1-byte header,
/// allocate nothing and take `min(left, chunk size)` payload bytes.
#[inline(always)]
pub fn plain_continuation(s: &InChannel) -> bool {
    s.has_body
        && s.has_abs_timestamp & EXT_PENDING == 0
        && s.timestamp != EXT_TS
        && s.packet_type != ABORT
        && s.bytes_read < s.body_size
}

/// Where [`take_chunks`] stopped: bytes consumed from the buffer, body bytes now read, the
/// received-bytes count, and whether the message is complete. `pos == 0`: nothing taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub pos: usize,
    pub read: u32,
    pub bytes_in: i32,
    pub complete: bool,
}

/// The continuation loop: from the buffered bytes `buf` (starting at a chunk header), takes
/// each chunk that is the one-byte type-3 header `header` of the message whose `body` has
/// `read` bytes so far, wholly buffered, with no acknowledgement falling due while it is read,
/// and copies its payload; stops at the message's end, at anything else, or after one chunk
/// when `single` (the caller reports chunks). The stream must be in a [`plain_continuation`]
/// state. Free of calls (the copy is inline), so its state stays in registers.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn take_chunks(
    buf: &[u8],
    header: u8,
    body: &mut [u8],
    read: u32,
    in_chunk: u32,
    ack: AckRule,
    bytes_in: i32,
    single: bool,
) -> Run {
    // (the loop's own test for the first chunk, here so that a refusal costs no call)
    let first = (body.len() as u32).saturating_sub(read).min(in_chunk) as usize;
    if read as usize >= body.len() || in_chunk == 0 || !ack.takes_chunk(buf.len(), first, bytes_in)
    {
        return Run {
            pos: 0,
            read,
            bytes_in,
            complete: false,
        };
    }
    take_from(buf, header, body, read, in_chunk, ack, bytes_in, single)
}

/// [`take_chunks`] once the first chunk is known to fit.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn take_from(
    buf: &[u8],
    header: u8,
    body: &mut [u8],
    read: u32,
    in_chunk: u32,
    ack: AckRule,
    bytes_in: i32,
    single: bool,
) -> Run {
    let out = &mut body[read as usize..];
    let (rest, left, bytes_in) = if single {
        chunks::<true>(buf, header, out, in_chunk as usize, ack, bytes_in)
    } else {
        chunks::<false>(buf, header, out, in_chunk as usize, ack, bytes_in)
    };
    Run {
        pos: buf.len() - rest,
        read: (body.len() - left) as u32,
        bytes_in,
        complete: left == 0,
    }
}

/// The loop of [`take_chunks`] on the unread bytes and the rest of the body (not empty);
/// returns how many bytes are left of each, and the received-bytes count.
#[inline(always)]
fn chunks<const SINGLE: bool>(
    mut rest: &[u8],
    header: u8,
    mut out: &mut [u8],
    in_chunk: usize,
    ack: AckRule,
    mut bytes_in: i32,
) -> (usize, usize, i32) {
    loop {
        let n = out.len().min(in_chunk);
        // (`rest.len() > n`: the header byte and the payload are there)
        if !ack.takes_chunk(rest.len(), n, bytes_in) {
            break;
        }
        let Some((&h, tail)) = rest.split_first() else {
            break;
        };
        if h != header || tail.len() < n {
            break;
        }
        let (src, tail) = tail.split_at(n);
        let (dst, more) = std::mem::take(&mut out).split_at_mut(n);
        copy_payload(src, dst);
        rest = tail;
        out = more;
        bytes_in = bytes_in.wrapping_add(1 + n as i32);
        if out.is_empty() || SINGLE {
            break;
        }
    }
    (rest.len(), out.len(), bytes_in)
}

/// Copies a chunk payload (`src` and `dst` of equal length): from 32 bytes on, in 32-byte blocks
/// (the last ones overlapping the ones before them) inline, which keeps the caller's loop free
/// of a call; shorter ones (the end of a message) as one slice copy.
#[inline(always)]
fn copy_payload(src: &[u8], dst: &mut [u8]) {
    let n = src.len().min(dst.len());
    let (src, dst) = (&src[..n], &mut dst[..n]);
    if n < 32 {
        dst.copy_from_slice(src);
        return;
    }
    let mut block = |at: usize| {
        let v: [u8; 32] = src[at..at + 32].try_into().unwrap_or([0; 32]);
        dst[at..at + 32].copy_from_slice(&v);
    };
    // up to 128 bytes (the default chunk size) without a loop
    if n <= 64 {
        block(0);
        block(n - 32);
        return;
    }
    if n <= 128 {
        block(0);
        block(32);
        block(n - 64);
        block(n - 32);
        return;
    }
    let mut at = 0;
    while at + 32 < n {
        block(at);
        at += 32;
    }
    block(n - 32);
}

pub mod memory;

#[cfg(test)]
mod tests;
