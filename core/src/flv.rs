//! FLV framing, sans-IO: the file header and tags `RTMP_Read` produces, the aggregate-message
//! rewrite, and an incremental tag parser for `RTMP_Write` that accepts the byte stream split
//! anywhere (librtmp 2.4 misparses, and crashes on, a tag header split across calls).

/// FLV tag types.
pub const TAG_AUDIO: u8 = 8;
pub const TAG_VIDEO: u8 = 9;
pub const TAG_SCRIPT: u8 = 18;

/// Size of a tag header and of a PreviousTagSize field.
pub const TAG_HEADER_LEN: usize = 11;
pub const PREV_SIZE_LEN: usize = 4;
/// The file header (9 bytes) plus PreviousTagSize0.
pub const FILE_HEADER_LEN: usize = 13;

/// `FLV` version 1 header with the audio (0x04) / video (0x01) flags, plus PreviousTagSize0.
pub fn file_header(flags: u8) -> [u8; FILE_HEADER_LEN] {
    [b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]
}

/// An 11-byte tag header: type, 24-bit size, 24-bit timestamp + extension byte, stream id 0.
pub fn tag_header(tag_type: u8, size: u32, timestamp: u32) -> [u8; TAG_HEADER_LEN] {
    let s = size.to_be_bytes();
    let t = timestamp.to_be_bytes();
    [tag_type, s[1], s[2], s[3], t[1], t[2], t[3], t[0], 0, 0, 0]
}

/// Appends a whole tag (header, body, PreviousTagSize) to `out`.
pub fn push_tag(out: &mut Vec<u8>, tag_type: u8, timestamp: u32, body: &[u8]) {
    out.extend_from_slice(&tag_header(tag_type, body.len() as u32, timestamp));
    out.extend_from_slice(body);
    out.extend_from_slice(&((body.len() + TAG_HEADER_LEN) as u32).to_be_bytes());
}

/// Reads a tag header's (type, size, timestamp).
pub fn parse_tag_header(h: &[u8; TAG_HEADER_LEN]) -> (u8, u32, u32) {
    let size = u32::from_be_bytes([0, h[1], h[2], h[3]]);
    let ts = u32::from_be_bytes([h[7], h[4], h[5], h[6]]);
    (h[0], size, ts)
}

/// Why an aggregate message could not be rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AggregateError {
    /// A sub-tag claims more data than the message holds (librtmp: "Wrong data size (%u),
    /// stream corrupted, aborting!").
    WrongDataSize(u32),
}

/// Result of [`rewrite_aggregate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    /// Timestamp of the last sub-tag written (after shifting).
    pub last_timestamp: u32,
    /// The last sub-tag had no PreviousTagSize and one was appended.
    pub appended_tag_size: bool,
}

/// Copies the FLV sub-tags of an aggregate message (type 0x16) to `out`, shifting every
/// timestamp by `packet_ts - first_sub_tag_ts + resume_ts` and writing consistent
/// PreviousTagSize fields, as `RTMP_Read` does.
pub fn rewrite_aggregate(
    body: &[u8],
    packet_ts: u32,
    resume_ts: u32,
    out: &mut Vec<u8>,
) -> Result<Aggregate, AggregateError> {
    let first_ts = if body.len() >= TAG_HEADER_LEN {
        parse_tag_header(body[..TAG_HEADER_LEN].try_into().unwrap()).2
    } else {
        0
    };
    let delta = packet_ts.wrapping_sub(first_ts).wrapping_add(resume_ts);
    let mut result = Aggregate {
        last_timestamp: packet_ts.wrapping_add(resume_ts),
        appended_tag_size: false,
    };
    for tag in aggregate_tags(body) {
        let Some(data) = tag.data(body) else {
            return Err(AggregateError::WrongDataSize(tag.size));
        };
        let ts = tag.timestamp.wrapping_add(delta);
        out.extend_from_slice(&tag_header(tag.tag_type, tag.size, ts));
        out.extend_from_slice(data);
        out.extend_from_slice(&(tag.size + TAG_HEADER_LEN as u32).to_be_bytes());
        result.last_timestamp = ts;
        if !tag.has_prev_size(body) {
            // The walk ends here: the next header would start past the body.
            result.appended_tag_size = true;
        }
    }
    Ok(result)
}

/// One sub-tag of an aggregate message (type 0x16): an FLV tag header at `pos`, its data, and
/// (normally) a PreviousTagSize field after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregateTag {
    /// Offset of the tag header in the message body.
    pub pos: usize,
    pub tag_type: u8,
    /// The data size the header claims (may run past the body).
    pub size: u32,
    /// The header's timestamp (24 bits plus the extension byte).
    pub timestamp: u32,
}

impl AggregateTag {
    /// Offset just past the tag's data.
    pub fn data_end(&self) -> usize {
        self.pos + TAG_HEADER_LEN + self.size as usize
    }

    /// Offset just past the PreviousTagSize field, where the next tag starts.
    pub fn end(&self) -> usize {
        self.data_end() + PREV_SIZE_LEN
    }

    /// The tag's data, or `None` when the header claims more than `body` holds.
    pub fn data<'a>(&self, body: &'a [u8]) -> Option<&'a [u8]> {
        body.get(self.pos + TAG_HEADER_LEN..self.data_end())
    }

    /// Whether the PreviousTagSize field after the data is inside `body`.
    pub fn has_prev_size(&self, body: &[u8]) -> bool {
        self.end() <= body.len()
    }
}

/// The walk over an aggregate message's sub-tags: every position where a whole tag header fits,
/// stepping by header + claimed size + PreviousTagSize. Consumers check the claimed size
/// themselves ([`AggregateTag::data`]): each has its own reaction to a short message.
pub fn aggregate_tags(body: &[u8]) -> AggregateTags<'_> {
    AggregateTags { body, pos: 0 }
}

/// Iterator returned by [`aggregate_tags`].
#[derive(Debug, Clone)]
pub struct AggregateTags<'a> {
    body: &'a [u8],
    pos: usize,
}

impl Iterator for AggregateTags<'_> {
    type Item = AggregateTag;

    fn next(&mut self) -> Option<AggregateTag> {
        let h = self
            .body
            .get(self.pos..self.pos.checked_add(TAG_HEADER_LEN)?)?;
        let (tag_type, size, timestamp) = parse_tag_header(h.try_into().ok()?);
        let tag = AggregateTag {
            pos: self.pos,
            tag_type,
            size,
            timestamp,
        };
        self.pos = tag.end();
        Some(tag)
    }
}

/// What the incremental parser reports while consuming an FLV byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A tag header was read: its type, body size and 32-bit timestamp.
    TagStart {
        tag_type: u8,
        size: u32,
        timestamp: u32,
    },
    /// Part of the current tag's body (possibly empty never: only non-empty runs are reported).
    Body(&'a [u8]),
    /// The current tag's body is complete.
    TagEnd,
}

/// Where a [`TagReader`] stands; with [`TagReader::state`] / [`TagReader::resume`] a caller can
/// keep it elsewhere between calls (`RTMP_Write` keeps it in the handle's `m_write` packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Before anything: an `FLV` file header may come first.
    Start,
    /// Inside the 13-byte file header (bytes so far).
    FileHeader(usize),
    /// Collecting a tag header (bytes so far).
    Header(usize),
    /// Inside a tag body (bytes left).
    Body(u32),
    /// Skipping a PreviousTagSize (bytes left).
    PrevSize(usize),
}

/// Incremental FLV tag parser: feed it the byte stream in pieces of any size.
#[derive(Debug, Clone)]
pub struct TagReader {
    state: State,
    header: [u8; TAG_HEADER_LEN],
}

impl Default for TagReader {
    fn default() -> Self {
        TagReader {
            state: State::Start,
            header: [0; TAG_HEADER_LEN],
        }
    }
}

impl TagReader {
    pub fn new() -> TagReader {
        TagReader::default()
    }

    /// Rebuilds a reader from a saved [`State`] and the tag-header bytes collected so far
    /// (only the first `n` of a `State::Header(n)` matter). Out-of-range counts restart at
    /// the nearest boundary instead of panicking later.
    pub fn resume(state: State, header: [u8; TAG_HEADER_LEN]) -> TagReader {
        let state = match state {
            State::FileHeader(n) if n >= FILE_HEADER_LEN => State::Header(0),
            State::Header(n) if n >= TAG_HEADER_LEN => State::Header(0),
            State::PrevSize(n) if n > PREV_SIZE_LEN => State::PrevSize(PREV_SIZE_LEN),
            s => s,
        };
        TagReader { state, header }
    }

    /// The current position and the tag-header bytes collected so far.
    pub fn state(&self) -> (State, [u8; TAG_HEADER_LEN]) {
        (self.state, self.header)
    }

    /// True between tags (nothing partially read), i.e. the stream may end here.
    pub fn at_boundary(&self) -> bool {
        matches!(
            self.state,
            State::Start | State::Header(0) | State::PrevSize(0)
        )
    }

    /// Consumes `input`, calling `on_event` for every event in order. Stops early, returning
    /// the error, when `on_event` fails.
    pub fn feed<E>(
        &mut self,
        mut input: &[u8],
        mut on_event: impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        while !input.is_empty() {
            match self.state {
                State::Start => {
                    // A file starts with "FLV"; a tag stream starts with a tag type (8, 9, 18..).
                    self.state = if input[0] == b'F' {
                        State::FileHeader(0)
                    } else {
                        State::Header(0)
                    };
                }
                State::FileHeader(n) => {
                    let take = (FILE_HEADER_LEN - n).min(input.len());
                    input = &input[take..];
                    let n = n + take;
                    self.state = if n == FILE_HEADER_LEN {
                        State::Header(0)
                    } else {
                        State::FileHeader(n)
                    };
                }
                // A file header may also follow a tag ("FLV" at a tag boundary: concatenated
                // files, or a publisher that restarts its muxer); no tag type is 0x46.
                State::Header(0) if input[0] == b'F' => {
                    self.state = State::FileHeader(0);
                }
                State::Header(n) => {
                    let take = (TAG_HEADER_LEN - n).min(input.len());
                    self.header[n..n + take].copy_from_slice(&input[..take]);
                    input = &input[take..];
                    let n = n + take;
                    if n < TAG_HEADER_LEN {
                        self.state = State::Header(n);
                        continue;
                    }
                    let (tag_type, size, timestamp) = parse_tag_header(&self.header);
                    on_event(Event::TagStart {
                        tag_type,
                        size,
                        timestamp,
                    })?;
                    if size == 0 {
                        on_event(Event::TagEnd)?;
                        self.state = State::PrevSize(PREV_SIZE_LEN);
                    } else {
                        self.state = State::Body(size);
                    }
                }
                State::Body(left) => {
                    let take = (left as usize).min(input.len());
                    on_event(Event::Body(&input[..take]))?;
                    input = &input[take..];
                    let left = left - take as u32;
                    if left == 0 {
                        on_event(Event::TagEnd)?;
                        self.state = State::PrevSize(PREV_SIZE_LEN);
                    } else {
                        self.state = State::Body(left);
                    }
                }
                State::PrevSize(left) => {
                    let take = left.min(input.len());
                    input = &input[take..];
                    self.state = if left == take {
                        State::Header(0)
                    } else {
                        State::PrevSize(left - take)
                    };
                }
            }
        }
        if self.state == State::PrevSize(0) {
            self.state = State::Header(0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_file() -> Vec<u8> {
        let mut f = file_header(5).to_vec();
        push_tag(&mut f, TAG_SCRIPT, 0, b"\x02\x00\x0aonMetaData\x05");
        push_tag(&mut f, TAG_VIDEO, 0, &[0x17; 40]);
        push_tag(&mut f, TAG_AUDIO, 0x0123_4567, &[0xaf, 1, 2]);
        push_tag(&mut f, TAG_VIDEO, 40, &[]);
        f
    }

    type Tags = Vec<(u8, u32, Vec<u8>)>;

    /// Feeds `piece` to `r`, collecting (type, timestamp, body) of the tags it completes.
    fn collect(r: &mut TagReader, piece: &[u8], tags: &mut Tags) {
        r.feed(piece, |e| -> Result<(), ()> {
            match e {
                Event::TagStart {
                    tag_type,
                    timestamp,
                    ..
                } => tags.push((tag_type, timestamp, vec![])),
                Event::Body(b) => tags.last_mut().unwrap().2.extend_from_slice(b),
                Event::TagEnd => {}
            }
            Ok(())
        })
        .unwrap();
    }

    fn parse_all(chunks: &[&[u8]]) -> Tags {
        let mut r = TagReader::new();
        let mut tags = Tags::new();
        for c in chunks {
            collect(&mut r, c, &mut tags);
        }
        assert!(r.at_boundary());
        tags
    }

    #[test]
    fn header_layout() {
        assert_eq!(
            tag_header(9, 0x010203, 0x0a0b0c0d),
            [9, 1, 2, 3, 0x0b, 0x0c, 0x0d, 0x0a, 0, 0, 0]
        );
        assert_eq!(
            parse_tag_header(&tag_header(9, 0x010203, 0x0a0b0c0d)),
            (9, 0x010203, 0x0a0b0c0d)
        );
    }

    #[test]
    fn any_split_gives_the_same_tags() {
        let f = sample_file();
        let whole = parse_all(&[&f]);
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[2], (TAG_AUDIO, 0x0123_4567, vec![0xaf, 1, 2]));
        let bytes: Vec<&[u8]> = f.chunks(1).collect();
        assert_eq!(parse_all(&bytes), whole);
        for cut in 0..f.len() {
            assert_eq!(parse_all(&[&f[..cut], &f[cut..]]), whole, "cut at {cut}");
        }
        // without the file header too
        assert_eq!(parse_all(&[&f[FILE_HEADER_LEN..]]), whole);
    }

    #[test]
    fn resumes_from_a_saved_state_and_skips_repeated_file_headers() {
        let mut f = sample_file();
        f.extend_from_slice(&sample_file()); // a second file, header and all
        let whole = parse_all(&[&f]);
        assert_eq!(whole.len(), 8);
        for cut in 0..f.len() {
            let mut r = TagReader::new();
            let mut tags = Tags::new();
            for piece in [&f[..cut], &f[cut..]] {
                let (st, hdr) = r.state();
                r = TagReader::resume(st, hdr);
                collect(&mut r, piece, &mut tags);
            }
            assert_eq!(tags, whole, "cut at {cut}");
        }
        let r = TagReader::resume(State::Header(99), [0; TAG_HEADER_LEN]);
        assert!(r.at_boundary());
    }

    #[test]
    fn aggregate_shifts_and_repairs() {
        let mut body = Vec::new();
        push_tag(&mut body, TAG_VIDEO, 1000, &[1, 2, 3]);
        push_tag(&mut body, TAG_AUDIO, 1020, &[4]);
        body.truncate(body.len() - 4); // last sub-tag without its size
        let mut out = Vec::new();
        let r = rewrite_aggregate(&body, 5000, 0, &mut out).unwrap();
        assert_eq!(r.last_timestamp, 5020);
        assert!(r.appended_tag_size);
        let mut expected = Vec::new();
        push_tag(&mut expected, TAG_VIDEO, 5000, &[1, 2, 3]);
        push_tag(&mut expected, TAG_AUDIO, 5020, &[4]);
        assert_eq!(out, expected);
        let mut bad = body.clone();
        bad[3] = 200;
        assert_eq!(
            rewrite_aggregate(&bad, 0, 0, &mut Vec::new()),
            Err(AggregateError::WrongDataSize(200))
        );
    }
}
