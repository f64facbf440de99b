//! RTMP chunk stream: header encoding/decoding and per-channel state, on byte slices.
//! Safe, sans-IO protocol core: no `unsafe`, no libc, no sockets.
//!
//! Sending: [`choose_header`] picks the header type the way librtmp 2.4 compresses it (with one
//! spec fix, see "Wire format (sending)" in `docs/compat.md`), [`encode_headers`] builds the first-chunk header and
//! the continuation header of one message, and [`Segments`] lists the header runs and payload
//! ranges of the whole message in wire order so that the I/O layer can gather them into one
//! `writev`.
//!
//! Receiving: [`basic_header_len`], [`decode_basic_header`], [`message_header_len`] and
//! [`decode_message_header`] work on the bytes of one incoming chunk header; [`reader`] is the
//! inbound state machine (header meaning, body plan, message end, the continuation loop).
#![forbid(unsafe_code)]

pub mod reader;

use crate::bytes::{be24, be32, put_be24};

/// Header sizes (basic byte included) for the four header types, as librtmp counts them.
pub const HEADER_SIZES: [usize; 4] = [12, 8, 4, 1];
/// Header types (the `fmt` field).
pub const LARGE: u8 = 0;
pub const MEDIUM: u8 = 1;
pub const SMALL: u8 = 2;
pub const MINIMUM: u8 = 3;
/// The highest chunk stream id the 3-byte basic header can carry.
pub const MAX_CHANNEL: u32 = 65599;
/// Lowest usable chunk stream id (0 and 1 are the escape values of the basic header).
pub const MIN_CHANNEL: u32 = 2;
/// Timestamp field value announcing a 4-byte extended timestamp.
pub const EXT_TS: u32 = 0x00FF_FFFF;
/// Largest message body a 24-bit length can describe.
pub const MAX_BODY: u32 = 0x00FF_FFFF;
/// Longest header librtmp stores in `RTMPChunk::c_header` (3 + 11 + 4).
pub const MAX_HEADER: usize = 18;
/// Longest continuation (type-3) header: 3 id bytes + 4 extended timestamp bytes.
pub const MAX_CONT_HEADER: usize = 7;

/// What the sender remembers about the previous message on a chunk stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrevOut {
    pub body_size: u32,
    pub packet_type: u8,
    pub timestamp: u32,
    /// The timestamp field (delta, or absolute after a type-0 header) a reader currently
    /// applies to a new message that arrives with a type-3 header.
    pub delta: u32,
}

/// The header decision for one outgoing message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderChoice {
    pub header_type: u8,
    /// Value of the timestamp field: the delta to the previous message, or the absolute
    /// timestamp for a type-0 header and for the first message on a chunk stream.
    pub t: u32,
    /// The `delta` to remember for the next message on this chunk stream.
    pub next_delta: u32,
}

/// Header compression as librtmp 2.4 does it: with a previous message on the channel and
/// unless the caller asked for a type-0 header, MEDIUM becomes SMALL when size and type repeat,
/// then SMALL becomes MINIMUM when the timestamp repeats; the timestamp field is relative to
/// the previous message's timestamp.
///
/// Spec fix: a type-3 header starting a new message means "same delta as before", so MINIMUM
/// is only chosen by compression when the delta a reader would apply is 0; otherwise the
/// SMALL header with an explicit delta of 0 is kept (librtmp emits MINIMUM and readers add the
/// previous delta again). A MINIMUM header requested by the caller is sent as asked.
pub fn choose_header(
    requested: u8,
    prev: Option<&PrevOut>,
    body_size: u32,
    packet_type: u8,
    timestamp: u32,
) -> HeaderChoice {
    let mut header_type = requested;
    let mut last = 0u32;
    let mut reader_delta = None;
    if let Some(prev) = prev {
        if requested != LARGE {
            if prev.body_size == body_size
                && prev.packet_type == packet_type
                && header_type == MEDIUM
            {
                header_type = SMALL;
            }
            if prev.timestamp == timestamp && header_type == SMALL && prev.delta == 0 {
                header_type = MINIMUM;
            }
            last = prev.timestamp;
            reader_delta = Some(prev.delta);
        }
    }
    let t = timestamp.wrapping_sub(last);
    let next_delta = match (header_type, reader_delta) {
        // A new message with a type-3 header leaves the reader's delta as it was.
        (MINIMUM, Some(d)) => d,
        _ => t,
    };
    HeaderChoice {
        header_type,
        t,
        next_delta,
    }
}

/// What librtmp 2.4 itself would choose (no spec fix); used to document and test the deviation.
pub fn reference_header_type(
    requested: u8,
    prev: Option<&PrevOut>,
    body_size: u32,
    packet_type: u8,
    timestamp: u32,
) -> u8 {
    let mut h = requested;
    if let Some(prev) = prev {
        if requested != LARGE {
            if prev.body_size == body_size && prev.packet_type == packet_type && h == MEDIUM {
                h = SMALL;
            }
            if prev.timestamp == timestamp && h == SMALL {
                h = MINIMUM;
            }
        }
    }
    h
}

/// Writes the basic header (1, 2 or 3 bytes) into `out`; returns its length.
/// `channel` must be in `MIN_CHANNEL..=MAX_CHANNEL`, `fmt` in 0..=3.
pub fn encode_basic_header(fmt: u8, channel: u32, out: &mut [u8]) -> usize {
    let top = (fmt & 3) << 6;
    if channel > 319 {
        let c = channel - 64;
        out[0] = top | 1;
        out[1] = (c & 0xff) as u8;
        out[2] = (c >> 8) as u8;
        3
    } else if channel >= 64 {
        out[0] = top;
        out[1] = (channel - 64) as u8;
        2
    } else {
        out[0] = top | channel as u8;
        1
    }
}

/// The encoded headers of one outgoing message.
#[derive(Clone, Copy, Debug)]
pub struct Headers {
    pub first: [u8; MAX_HEADER],
    pub first_len: usize,
    pub cont: [u8; MAX_CONT_HEADER],
    pub cont_len: usize,
}

impl Headers {
    #[inline]
    pub fn first(&self) -> &[u8] {
        &self.first[..self.first_len]
    }
    #[inline]
    pub fn cont(&self) -> &[u8] {
        &self.cont[..self.cont_len]
    }
}

/// Encodes the first-chunk header and the continuation header of a message.
/// An extended timestamp (`t >= 0xFFFFFF`) is appended to both, whatever the header type.
pub fn encode_headers(
    header_type: u8,
    channel: u32,
    t: u32,
    body_size: u32,
    packet_type: u8,
    stream_id: i32,
) -> Headers {
    let mut h = Headers {
        first: [0; MAX_HEADER],
        first_len: 0,
        cont: [0; MAX_CONT_HEADER],
        cont_len: 0,
    };
    let ext = t >= EXT_TS;
    let mut n = encode_basic_header(header_type, channel, &mut h.first);
    if header_type <= SMALL {
        let _ = put_be24(&mut h.first[n..], t.min(EXT_TS));
        n += 3;
        if header_type <= MEDIUM {
            let _ = put_be24(&mut h.first[n..], body_size);
            h.first[n + 3] = packet_type;
            n += 4;
            if header_type == LARGE {
                h.first[n..n + 4].copy_from_slice(&stream_id.to_le_bytes());
                n += 4;
            }
        }
    }
    if ext {
        h.first[n..n + 4].copy_from_slice(&t.to_be_bytes());
        n += 4;
    }
    h.first_len = n;
    let mut c = encode_basic_header(MINIMUM, channel, &mut h.cont);
    if ext {
        h.cont[c..c + 4].copy_from_slice(&t.to_be_bytes());
        c += 4;
    }
    h.cont_len = c;
    h
}

/// One piece of a message on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// The first-chunk header ([`Headers::first`]).
    First,
    /// A continuation header ([`Headers::cont`]).
    Cont,
    /// Payload bytes `start..end` of the body.
    Body(usize, usize),
}

impl Segment {
    /// The bytes of this segment of a message with headers `h` and body `body`.
    #[inline]
    pub fn bytes<'a>(self, h: &'a Headers, body: &'a [u8]) -> &'a [u8] {
        match self {
            Segment::First => h.first(),
            Segment::Cont => h.cont(),
            Segment::Body(a, b) => &body[a..b],
        }
    }
}

/// Appends the wire bytes of one message (headers `h`, `body` cut at `chunk_size`) to `out`.
pub fn pack(h: &Headers, body: &[u8], chunk_size: usize, out: &mut Vec<u8>) {
    out.reserve(Segments::wire_len(h, body.len(), chunk_size));
    for s in Segments::new(body.len(), chunk_size) {
        out.extend_from_slice(s.bytes(h, body));
    }
}

/// The segments of one message in wire order: first header, payload, then for every further
/// chunk a continuation header and its payload. A zero-length body is just the header.
#[derive(Clone, Debug)]
pub struct Segments {
    body_len: usize,
    chunk: usize,
    pos: usize,
    next_is_header: bool,
    started: bool,
}

impl Segments {
    /// `chunk_size` must be positive.
    #[inline]
    pub fn new(body_len: usize, chunk_size: usize) -> Segments {
        Segments {
            body_len,
            chunk: chunk_size.max(1),
            pos: 0,
            next_is_header: true,
            started: false,
        }
    }

    /// Number of chunks (at least 1).
    #[inline]
    pub fn chunks(body_len: usize, chunk_size: usize) -> usize {
        body_len.div_ceil(chunk_size.max(1)).max(1)
    }

    /// Number of segments the iterator yields.
    #[inline]
    pub fn count_for(body_len: usize, chunk_size: usize) -> usize {
        if body_len == 0 {
            1
        } else {
            2 * Self::chunks(body_len, chunk_size)
        }
    }

    /// Total bytes on the wire for the message.
    #[inline]
    pub fn wire_len(h: &Headers, body_len: usize, chunk_size: usize) -> usize {
        h.first_len + body_len + (Self::chunks(body_len, chunk_size) - 1) * h.cont_len
    }
}

impl Iterator for Segments {
    type Item = Segment;
    #[inline]
    fn next(&mut self) -> Option<Segment> {
        if self.next_is_header {
            if self.started && self.pos >= self.body_len {
                return None;
            }
            self.next_is_header = false;
            let first = !self.started;
            self.started = true;
            if self.body_len == 0 {
                self.pos = 0;
                // Only the header: make the next call end the iteration.
                self.next_is_header = true;
            }
            return Some(if first { Segment::First } else { Segment::Cont });
        }
        let start = self.pos;
        let end = (start + self.chunk).min(self.body_len);
        self.pos = end;
        self.next_is_header = true;
        Some(Segment::Body(start, end))
    }
}

/// Length of the basic header announced by its first byte.
pub fn basic_header_len(b0: u8) -> usize {
    match b0 & 0x3f {
        0 => 2,
        1 => 3,
        _ => 1,
    }
}

/// Decodes a basic header (`bytes` holds at least [`basic_header_len`] bytes):
/// `(fmt, channel)`.
pub fn decode_basic_header(bytes: &[u8]) -> (u8, u32) {
    let fmt = bytes[0] >> 6;
    let channel = match bytes[0] & 0x3f {
        0 => u32::from(bytes[1]) + 64,
        1 => u32::from(bytes[1]) + 256 * u32::from(bytes[2]) + 64,
        c => u32::from(c),
    };
    (fmt, channel)
}

/// Length of the message header after the basic header for a header type.
pub fn message_header_len(fmt: u8) -> usize {
    HEADER_SIZES[usize::from(fmt & 3)] - 1
}

/// The fields a message header carries (absent ones are inherited from the chunk stream).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageHeader {
    pub timestamp: Option<u32>,
    pub body_size: Option<u32>,
    pub packet_type: Option<u8>,
    pub stream_id: Option<i32>,
}

/// Decodes the message header of type `fmt` from `bytes` (at least [`message_header_len`]).
pub fn decode_message_header(fmt: u8, bytes: &[u8]) -> MessageHeader {
    let n = message_header_len(fmt);
    let mut m = MessageHeader::default();
    if n >= 3 {
        m.timestamp = Some(be24(bytes));
    }
    if n >= 7 {
        m.body_size = Some(be24(&bytes[3..]));
        m.packet_type = Some(bytes[6]);
    }
    if n >= 11 {
        m.stream_id = Some(i32::from_le_bytes([
            bytes[7], bytes[8], bytes[9], bytes[10],
        ]));
    }
    m
}

/// Why a Set Chunk Size body is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkSizeError {
    Short,
    Zero,
    HighBit,
}

/// Validates a Set Chunk Size (type 1) body: 4 bytes, 31-bit positive value.
pub fn parse_set_chunk_size(body: &[u8]) -> Result<i32, ChunkSizeError> {
    if body.len() < 4 {
        return Err(ChunkSizeError::Short);
    }
    let v = be32(body);
    if v & 0x8000_0000 != 0 {
        return Err(ChunkSizeError::HighBit);
    }
    if v == 0 {
        return Err(ChunkSizeError::Zero);
    }
    Ok(v as i32)
}

/// Decodes an Abort (type 2) body: the chunk stream id whose partial message is dropped.
pub fn parse_abort(body: &[u8]) -> Option<u32> {
    if body.len() < 4 {
        return None;
    }
    Some(be32(body)).filter(|c| (MIN_CHANNEL..=MAX_CHANNEL).contains(c))
}

/// The method name and transaction id of an AMF0 command body (`02 len name 00 number ...`).
/// `None` when the body does not start with a complete AMF0 string; the id is `None` when the
/// 9 bytes of a number do not follow the name.
pub fn invoke_name_and_txn(body: &[u8]) -> Option<(&[u8], Option<f64>)> {
    if body.len() < 3 || body[0] != 0x02 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([body[1], body[2]]));
    let name = body.get(3..3 + len)?;
    let txn = body.get(3 + len..3 + len + 9).and_then(|n| {
        if n[0] != 0x00 {
            return None;
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&n[1..9]);
        Some(f64::from_be_bytes(b))
    });
    Some((name, txn))
}

/// C's `(int)` conversion of a double as x86-64 performs it (out of range and NaN give
/// `INT_MIN`), without undefined behaviour.
pub fn c_double_to_int(v: f64) -> i32 {
    if v.is_nan() || v >= 2_147_483_648.0 || v <= -2_147_483_649.0 {
        i32::MIN
    } else {
        v as i32
    }
}

/// Builds a User Control body as librtmp's `RTMP_SendCtrl` does; returns its length.
/// Type 3 (buffer length): object + time; 0x1A: one byte; 0x1B: the 42-byte SWF verification
/// response; anything else: the 4-byte object.
pub fn user_control_body(
    ctrl_type: u16,
    object: u32,
    time: u32,
    swf_response: &[u8; 42],
    out: &mut [u8; 44],
) -> usize {
    out[..2].copy_from_slice(&ctrl_type.to_be_bytes());
    match ctrl_type {
        0x03 => {
            out[2..6].copy_from_slice(&object.to_be_bytes());
            out[6..10].copy_from_slice(&time.to_be_bytes());
            10
        }
        0x1A => {
            out[2] = object as u8;
            3
        }
        0x1B => {
            out[2..44].copy_from_slice(swf_response);
            44
        }
        _ => {
            out[2..6].copy_from_slice(&object.to_be_bytes());
            6
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(h: &Headers, body: &[u8], chunk: usize) -> Vec<u8> {
        let mut v = Vec::new();
        pack(h, body, chunk, &mut v);
        assert_eq!(v.len(), Segments::wire_len(h, body.len(), chunk));
        v
    }

    #[test]
    fn basic_header_forms() {
        let mut b = [0u8; 3];
        assert_eq!(encode_basic_header(0, 3, &mut b), 1);
        assert_eq!(b[0], 0x03);
        assert_eq!(encode_basic_header(3, 63, &mut b), 1);
        assert_eq!(b[0], 0xff);
        assert_eq!(encode_basic_header(1, 64, &mut b), 2);
        assert_eq!(&b[..2], &[0x40, 0]);
        assert_eq!(encode_basic_header(2, 319, &mut b), 2);
        assert_eq!(&b[..2], &[0x80, 255]);
        assert_eq!(encode_basic_header(0, 320, &mut b), 3);
        assert_eq!(&b[..3], &[0x01, 0, 1]);
        assert_eq!(encode_basic_header(3, 65599, &mut b), 3);
        assert_eq!(&b[..3], &[0xc1, 0xff, 0xff]);
        for ch in [2u32, 63, 64, 300, 319, 320, 1000, 65599] {
            let n = encode_basic_header(2, ch, &mut b);
            assert_eq!(basic_header_len(b[0]), n);
            assert_eq!(decode_basic_header(&b[..n]), (2, ch));
        }
    }

    #[test]
    fn connect_like_message_matches_golden_shape() {
        let h = encode_headers(LARGE, 3, 0, 0xc4, 0x14, 0);
        assert_eq!(h.first(), &[3, 0, 0, 0, 0, 0, 0xc4, 0x14, 0, 0, 0, 0]);
        assert_eq!(h.cont(), &[0xc3]);
        let body = vec![7u8; 0xc4];
        let w = wire(&h, &body, 128);
        assert_eq!(w.len(), 12 + 0xc4 + 1);
        assert_eq!(w[12 + 128], 0xc3);
    }

    #[test]
    fn extended_timestamp_everywhere() {
        let h = encode_headers(MEDIUM, 400, 0x0100_0000, 300, 9, 1);
        assert_eq!(
            h.first(),
            &[0x41, 0x50, 0x01, 0xff, 0xff, 0xff, 0, 1, 0x2c, 9, 1, 0, 0, 0]
        );
        assert_eq!(h.cont(), &[0xc1, 0x50, 0x01, 1, 0, 0, 0]);
        let h = encode_headers(MINIMUM, 5, 0xFFFFFF, 0, 0, 0);
        assert_eq!(h.first(), &[0xc5, 0, 0xff, 0xff, 0xff]);
        let h = encode_headers(LARGE, 5, 0xFFFFFE, 0, 0, 0x01020304);
        assert_eq!(h.first(), &[5, 0xff, 0xff, 0xfe, 0, 0, 0, 0, 4, 3, 2, 1]);
        assert_eq!(h.cont(), &[0xc5]);
    }

    #[test]
    fn segments_cover_body() {
        for (len, chunk) in [
            (0usize, 128usize),
            (1, 128),
            (128, 128),
            (129, 128),
            (1000, 7),
        ] {
            let segs: Vec<_> = Segments::new(len, chunk).collect();
            assert_eq!(segs.len(), Segments::count_for(len, chunk));
            assert_eq!(segs[0], Segment::First);
            let mut pos = 0;
            for s in &segs {
                if let Segment::Body(a, b) = *s {
                    assert_eq!(a, pos);
                    assert!(b > a && b - a <= chunk);
                    pos = b;
                }
            }
            assert_eq!(pos, len);
        }
    }

    #[test]
    fn compression_rules() {
        let prev = PrevOut {
            body_size: 10,
            packet_type: 9,
            timestamp: 100,
            delta: 0,
        };
        // No previous message: as requested, absolute timestamp.
        assert_eq!(choose_header(MEDIUM, None, 10, 9, 100).header_type, MEDIUM);
        assert_eq!(choose_header(MEDIUM, None, 10, 9, 100).t, 100);
        // Same size and type -> SMALL; same timestamp too and delta 0 -> MINIMUM.
        assert_eq!(
            choose_header(MEDIUM, Some(&prev), 10, 9, 140).header_type,
            SMALL
        );
        assert_eq!(choose_header(MEDIUM, Some(&prev), 10, 9, 140).t, 40);
        assert_eq!(
            choose_header(MEDIUM, Some(&prev), 10, 9, 100).header_type,
            MINIMUM
        );
        assert_eq!(
            choose_header(MEDIUM, Some(&prev), 11, 9, 100).header_type,
            MEDIUM
        );
        assert_eq!(
            choose_header(LARGE, Some(&prev), 10, 9, 100).header_type,
            LARGE
        );
        assert_eq!(choose_header(LARGE, Some(&prev), 10, 9, 100).t, 100);
        // The spec fix: a non-zero reader delta keeps the explicit SMALL header.
        let p2 = PrevOut { delta: 40, ..prev };
        let c = choose_header(MEDIUM, Some(&p2), 10, 9, 100);
        assert_eq!((c.header_type, c.t, c.next_delta), (SMALL, 0, 0));
        assert_eq!(
            reference_header_type(MEDIUM, Some(&p2), 10, 9, 100),
            MINIMUM
        );
        // A requested MINIMUM keeps the reader's delta.
        let c = choose_header(MINIMUM, Some(&p2), 10, 9, 140);
        assert_eq!((c.header_type, c.t, c.next_delta), (MINIMUM, 40, 40));
    }

    #[test]
    fn decode_headers() {
        let m = decode_message_header(0, &[0, 1, 2, 0, 1, 0x2c, 9, 1, 0, 0, 0]);
        assert_eq!(m.timestamp, Some(0x102));
        assert_eq!(m.body_size, Some(300));
        assert_eq!(m.packet_type, Some(9));
        assert_eq!(m.stream_id, Some(1));
        let m = decode_message_header(2, &[0xff, 0xff, 0xff]);
        assert_eq!(m.timestamp, Some(EXT_TS));
        assert_eq!(m.body_size, None);
        assert_eq!(decode_message_header(3, &[]), MessageHeader::default());
    }

    #[test]
    fn control_helpers() {
        assert_eq!(parse_set_chunk_size(&[0, 0, 16, 0]), Ok(4096));
        assert_eq!(
            parse_set_chunk_size(&[0, 0, 0, 0]),
            Err(ChunkSizeError::Zero)
        );
        assert_eq!(
            parse_set_chunk_size(&[0x80, 0, 0, 1]),
            Err(ChunkSizeError::HighBit)
        );
        assert_eq!(parse_set_chunk_size(&[0, 0, 1]), Err(ChunkSizeError::Short));
        assert_eq!(parse_abort(&[0, 0, 0, 5]), Some(5));
        assert_eq!(parse_abort(&[0, 0, 0, 1]), None);
        let mut b = [0u8; 44];
        let swf = [0xaa; 42];
        assert_eq!(user_control_body(3, 1, 3000, &swf, &mut b), 10);
        assert_eq!(&b[..10], &[0, 3, 0, 0, 0, 1, 0, 0, 0x0b, 0xb8]);
        assert_eq!(user_control_body(0x1a, 0x1ff, 0, &swf, &mut b), 3);
        assert_eq!(&b[..3], &[0, 0x1a, 0xff]);
        assert_eq!(user_control_body(0x1b, 0, 0, &swf, &mut b), 44);
        assert_eq!(user_control_body(7, 9, 0, &swf, &mut b), 6);
    }

    #[test]
    fn invoke_parsing() {
        let mut body = vec![2, 0, 7];
        body.extend_from_slice(b"connect");
        body.push(0);
        body.extend_from_slice(&1.0f64.to_be_bytes());
        let (name, txn) = invoke_name_and_txn(&body).unwrap();
        assert_eq!(name, b"connect");
        assert_eq!(txn, Some(1.0));
        assert_eq!(invoke_name_and_txn(&body[..12]).unwrap().1, None);
        assert!(invoke_name_and_txn(&body[..5]).is_none());
        assert!(invoke_name_and_txn(&[3, 0, 0]).is_none());
        assert_eq!(c_double_to_int(3.9), 3);
        assert_eq!(c_double_to_int(f64::NAN), i32::MIN);
        assert_eq!(c_double_to_int(1e12), i32::MIN);
        assert_eq!(c_double_to_int(-2.5), -2);
    }
}
