//! A whole inbound chunk stream in memory, made of the reader's steps: per-channel state in a
//! `Vec`, bodies as `Vec<u8>`, acknowledgements recorded instead of sent. For unit tests and
//! fuzzing (the library keeps this state in the `RTMP` struct; see `driver::chunk`).
//!
//! A chunk is taken only when it is wholly in the given bytes ([`Outcome::Need`] otherwise,
//! nothing consumed), so the outcome of a stream does not depend on how it is split. Like the
//! library, a buffered continuation of a message in progress goes through [`take_chunks`],
//! several chunks at once unless `single`; everything else through the steps one by one.

use std::collections::BTreeMap;

use super::*;

/// The stored state and body of one chunk stream.
#[derive(Clone, Debug, Default)]
struct Slot {
    state: InChannel,
    /// `state.body_size` bytes when `state.has_body`.
    body: Vec<u8>,
}

/// A complete message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub channel: u32,
    pub packet: InChannel,
    pub body: Vec<u8>,
}

/// Why a chunk was refused (its header bytes are consumed, as the library's reads have).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadError {
    Start(StartError),
    Plan(PlanError),
    ChunkSize(i32),
}

/// What one [`Memory::read`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The next chunk needs this many bytes in all (more than were given).
    Need(usize),
    /// `chunks` chunks of the message on `channel` taken; the message when it is complete.
    Chunks {
        channel: u32,
        chunks: usize,
        message: Option<Message>,
    },
    Error(ReadError),
}

/// The reader's side of a connection.
#[derive(Clone, Debug)]
pub struct Memory {
    pub in_chunk: i32,
    /// Acknowledgements counted (`m_bSendCounter`) and the peer's window.
    pub counting: bool,
    pub window: i32,
    pub bytes_in: i32,
    pub bytes_in_sent: i32,
    /// The values of the acknowledgements sent.
    pub acks: Vec<i32>,
    /// One chunk per call (the caller watches chunks).
    pub single: bool,
    slots: BTreeMap<u32, Slot>,
    channel_ts: BTreeMap<u32, i32>,
    /// The caller's packet between calls (a body is handed out and freed by the caller).
    caller: InChannel,
}

impl Memory {
    pub fn new(in_chunk: i32, counting: bool, window: i32, single: bool) -> Memory {
        Memory {
            in_chunk,
            counting,
            window,
            bytes_in: 0,
            bytes_in_sent: 0,
            acks: Vec::new(),
            single,
            slots: BTreeMap::new(),
            channel_ts: BTreeMap::new(),
            caller: InChannel::default(),
        }
    }

    fn ack(&self) -> AckRule {
        AckRule::new(self.counting, self.bytes_in_sent, self.window)
    }

    /// Counts one piece of `k` bytes read; sends an acknowledgement when one is due.
    fn account(&mut self, k: usize) {
        if k == 0 {
            return;
        }
        self.bytes_in = self.bytes_in.wrapping_add(k as i32);
        if self.ack().due(self.bytes_in) {
            self.bytes_in_sent = self.bytes_in;
            self.acks.push(self.bytes_in);
        }
    }

    /// The body bytes of the incomplete messages.
    pub fn pending(&self) -> u64 {
        self.slots
            .values()
            .filter(|s| s.state.has_body)
            .map(|s| u64::from(s.state.body_size))
            .sum()
    }

    /// Every stored state with its body length (for invariant checks).
    pub fn states(&self) -> impl Iterator<Item = (InChannel, usize)> + '_ {
        self.slots.values().map(|s| (s.state, s.body.len()))
    }

    /// Reads from `buf` (the unread bytes): returns the bytes consumed and what happened.
    pub fn read(&mut self, buf: &[u8]) -> (usize, Outcome) {
        if let Some(done) = self.read_continuation(buf) {
            return done;
        }
        let basic = match Basic::parse(buf) {
            Ok(b) => b,
            Err(n) => return (0, Outcome::Need(n)),
        };
        let ch = basic.channel;
        let mut caller = self.caller;
        caller.header_type = basic.fmt;
        let stored = self.slots.get(&ch).map(|s| s.state);
        let st = match start(basic, stored, caller) {
            Ok(st) => st,
            Err(e) => {
                if let (StartError::MidMessage { .. }, Some(s)) = (e, self.slots.get_mut(&ch)) {
                    s.body = Vec::new();
                    s.state.has_body = false;
                    s.state.bytes_read = 0;
                    s.state.has_abs_timestamp &= !EXT_PENDING;
                }
                self.account(basic.len);
                return (basic.len, Outcome::Error(ReadError::Start(e)));
            }
        };
        let mut pkt = st.packet;
        let h = match header(buf, &st, &mut pkt) {
            Ok(h) => h,
            Err(need) => return (0, Outcome::Need(need.upto)),
        };
        let pending = self.pending();
        let plan = match h.plan(&pkt, || pending) {
            Ok(p) => p,
            Err(e) => return self.refuse(basic, &h, ReadError::Plan(e)),
        };
        if self.in_chunk <= 0 {
            return self.refuse(basic, &h, ReadError::ChunkSize(self.in_chunk));
        }
        if plan.alloc {
            pkt.bytes_read = 0;
            pkt.header_type = basic.fmt;
        }
        let n = payload_len(&pkt, self.in_chunk);
        if buf.len() < h.len + n {
            return (0, Outcome::Need(h.len + n));
        }
        self.account_header(basic, &h);
        let mut body = if plan.alloc {
            vec![0; pkt.body_size as usize]
        } else if h.inherited_body {
            self.slots
                .get_mut(&ch)
                .map(|s| std::mem::take(&mut s.body))
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let at = pkt.bytes_read as usize;
        if let Some(dst) = body.get_mut(at..at + n) {
            dst.copy_from_slice(&buf[h.len..h.len + n]);
        }
        self.account(n);
        pkt.has_body = !body.is_empty();
        let (mut sv, complete) = end_of_chunk(&h, &mut pkt, n);
        let message = if complete {
            finish_message(&mut pkt, &mut sv, self.channel_ts.entry(ch).or_insert(0));
            self.slots.insert(
                ch,
                Slot {
                    state: sv,
                    body: Vec::new(),
                },
            );
            if pkt.packet_type == ABORT {
                if let Some(c) = super::super::parse_abort(&body) {
                    if let Some(s) = self.slots.get_mut(&c) {
                        s.body = Vec::new();
                        s.state.has_body = false;
                        s.state.bytes_read = 0;
                        s.state.has_abs_timestamp &= !EXT_PENDING;
                    }
                }
            }
            Some(Message {
                channel: basic.channel,
                packet: pkt,
                body,
            })
        } else {
            self.slots.insert(ch, Slot { state: sv, body });
            None
        };
        self.caller = pkt;
        self.caller.has_body = false;
        (
            h.len + n,
            Outcome::Chunks {
                channel: basic.channel,
                chunks: 1,
                message,
            },
        )
    }

    /// The pieces a reader reads a header in: the first byte, the rest of the basic header,
    /// the message header, the extended timestamp.
    fn account_header(&mut self, basic: Basic, h: &ChunkHeader) {
        let mlen = message_header_len(basic.fmt);
        self.account(1);
        self.account(basic.len - 1);
        self.account(mlen);
        self.account(h.len - basic.len - mlen);
    }

    fn refuse(&mut self, basic: Basic, h: &ChunkHeader, e: ReadError) -> (usize, Outcome) {
        self.account_header(basic, h);
        (h.len, Outcome::Error(e))
    }

    /// Buffered continuation chunks through [`take_chunks`].
    fn read_continuation(&mut self, buf: &[u8]) -> Option<(usize, Outcome)> {
        let b = *buf.first()?;
        let ch = u32::from(b & 0x3f);
        if b >> 6 != MINIMUM || ch < 2 || self.in_chunk <= 0 {
            return None;
        }
        let ack = self.ack();
        let (in_chunk, bytes_in, single) = (self.in_chunk as u32, self.bytes_in, self.single);
        let slot = self.slots.get_mut(&ch)?;
        if !plain_continuation(&slot.state) || slot.body.len() != slot.state.body_size as usize {
            return None;
        }
        let before = slot.state.bytes_read;
        let run = take_chunks(
            buf,
            b,
            &mut slot.body,
            before,
            in_chunk,
            ack,
            bytes_in,
            single,
        );
        if run.pos == 0 {
            return None;
        }
        let chunks = run.pos - (run.read - before) as usize;
        slot.state.bytes_read = run.read;
        let mut pkt = slot.state;
        let message = if run.complete {
            finish_message(
                &mut pkt,
                &mut slot.state,
                self.channel_ts.entry(ch).or_insert(0),
            );
            slot.state.has_body = false;
            Some(Message {
                channel: ch,
                packet: pkt,
                body: std::mem::take(&mut slot.body),
            })
        } else {
            None
        };
        self.bytes_in = run.bytes_in;
        self.caller = pkt;
        self.caller.has_body = false;
        Some((
            run.pos,
            Outcome::Chunks {
                channel: ch,
                chunks,
                message,
            },
        ))
    }
}
