//! The client session (NetConnection / NetStream) as a state machine without sockets: one
//! message from the server in, the effects out, in the order librtmp performs them.
//!
//! The embedding crate loads a [`State`] and a [`Link`] from its session record, calls
//! [`handle`] with a [`Msg`], and applies the returned [`Outcome`]: its [`Action`]s in order
//! (messages to send, fields to set, queued calls to drop, log lines, close, reconnect), then
//! the media bookkeeping and the return code. Diagnostics come back as [`Action::Log`] in their
//! place in that sequence, so the log reads exactly as when the effects happened inline.
//!
//! The chunk-layer messages (Set Chunk Size, Abort) are the chunk reader's; they are not handled
//! here.

use crate::amf::{Property, Value};
use crate::auth;
use crate::chunk::{c_double_to_int, LARGE, MEDIUM};
use crate::commands as cmd;
use crate::diag::{self, Level};
use crate::flv;

/// Message types.
pub const PT_CHUNK_SIZE: u8 = 0x01;
pub const PT_ABORT: u8 = 0x02;
pub const PT_BYTES_READ: u8 = 0x03;
pub const PT_CONTROL: u8 = 0x04;
pub const PT_SERVER_BW: u8 = 0x05;
pub const PT_CLIENT_BW: u8 = 0x06;
pub const PT_AUDIO: u8 = 0x08;
pub const PT_VIDEO: u8 = 0x09;
pub const PT_FLEX_STREAM_SEND: u8 = 0x0F;
pub const PT_FLEX_SHARED_OBJECT: u8 = 0x10;
pub const PT_FLEX_MESSAGE: u8 = 0x11;
pub const PT_INFO: u8 = 0x12;
pub const PT_SHARED_OBJECT: u8 = 0x13;
pub const PT_INVOKE: u8 = 0x14;
pub const PT_AGGREGATE: u8 = 0x16;

/// Out chunk size announced after connecting in write mode (librtmp stays at 128).
pub const PUBLISH_CHUNK_SIZE: i32 = 4096;
/// librtmp's default chunk size.
pub const DEFAULT_CHUNK_SIZE: i32 = 128;

/// `m_read.flags` bits the session reads or changes (the rest are `RTMP_Read`'s, see
/// [`crate::resume`]).
pub const READ_HEADER: u8 = 0x01;
pub const READ_SEEKING: u8 = 0x20;
/// Ours, in a bit of `m_read.flags` librtmp leaves unused: `RTMP_Read`'s resume found the server
/// past the resume keyframe and restarted playback from 0.
pub const READ_REWOUND: u8 = 0x80;

/// Nested reconnects `_error` may start (a server that keeps challenging would otherwise make
/// the client recurse forever; a successful login needs two).
pub const MAX_AUTH_DEPTH: u32 = 4;

/// The connection parameters the decisions need (borrowed from the session record).
#[derive(Debug, Clone, Default)]
pub struct Link<'a> {
    /// Publishing (`RTMP_FEATURE_WRITE`).
    pub write: bool,
    /// `RTMP_LF_LIVE`.
    pub live: bool,
    /// `RTMP_LF_PLST`: send `set_playlist` before `play`.
    pub playlist: bool,
    /// `RTMP_LF_BUFX`: pause/unpause on BufferEmpty.
    pub bufx: bool,
    /// A SWF hash is set (`Link.SWFSize != 0`): answer SWF verification pings.
    pub swf_verify: bool,
    pub playpath: &'a [u8],
    pub app: &'a [u8],
    pub token: &'a [u8],
    pub usher_token: &'a [u8],
    pub subscribe_path: &'a [u8],
    pub pub_user: &'a [u8],
    pub pub_passwd: &'a [u8],
    /// The tcUrl of this connection (what a reconnect request without one of its own means).
    pub tc_url: &'a [u8],
    pub seek_time: i32,
    pub stop_time: i32,
    pub buffer_ms: i32,
    /// The out chunk size is still librtmp's default (the caller did not choose one).
    pub default_out_chunk: bool,
}

/// The session fields the decisions read.
#[derive(Debug, Clone, Default)]
pub struct State<'a> {
    /// `m_numInvokes`: the last transaction number used.
    pub num_invokes: i32,
    pub stream_id: i32,
    /// `m_pausing`: 0 playing, 1 pausing, 2 paused at EOF, 3 resuming.
    pub pausing: i32,
    pub pause_stamp: u32,
    pub bw_check_counter: i32,
    /// `m_read.flags`.
    pub read_flags: u8,
    pub media_channel: i32,
    /// The last timestamp seen on the media channel (0 when unknown).
    pub media_channel_stamp: u32,
    /// The queued method calls (name, transaction number), oldest first. Only needed for
    /// invokes; may be left empty for other messages.
    pub calls: Vec<(&'a [u8], i32)>,
    /// How many publisher-authentication reconnects are running below this one.
    pub auth_depth: u32,
}

/// One complete message from the server.
#[derive(Debug, Clone, Copy)]
pub struct Msg<'a> {
    pub msg_type: u8,
    pub channel: i32,
    pub timestamp: u32,
    /// The declared body size (what the log lines print).
    pub size: u32,
    pub body: &'a [u8],
}

/// One effect, applied in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A log line (already checked against the level).
    Log(Level, Vec<u8>),
    /// An invoke (type 0x14). `bump_txn`: `m_numInvokes` is incremented as this goes out (the
    /// body carries the incremented number). `queue`: remembered as a pending call. A failed
    /// send closes the session.
    Invoke {
        channel: i32,
        header: u8,
        timestamp: u32,
        stream_id: i32,
        body: Vec<u8>,
        queue: bool,
        bump_txn: bool,
    },
    /// A user control message (`RTMP_SendCtrl`).
    Ctrl {
        ctrl_type: i16,
        object: u32,
        time: u32,
    },
    /// Window acknowledgement size (`RTMP_SendServerBW`).
    SendServerBw,
    /// Set Chunk Size for our outgoing chunks.
    SendChunkSize(i32),
    /// Remove queued call `i` (an index into [`State::calls`] as loaded; each drop happens
    /// before any later call is queued, so the index stays valid).
    DropCall(usize),
    SetStreamId(i32),
    SetPlaying,
    SetPausing(i32),
    SetPauseStamp(u32),
    SetBwCheckCounter(i32),
    /// Clear bits of `m_read.flags`.
    ClearReadFlags(u8),
    /// Set bits of `m_read.dataType`.
    AddDataType(u8),
    SetDuration(f64),
    SetServerBw(i32),
    SetClientBw(i32, u8),
    /// Close the session (librtmp's `RTMP_Close`).
    Close,
    /// Publisher authentication: append `token` to `app` and `tcUrl`, close (keeping the
    /// URL parts), connect again and run `ConnectStream`.
    Reconnect {
        token: Vec<u8>,
    },
}

/// What one message did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// `RTMP_ClientPacket`'s value: 0 (not media), 1 (media), 2 (the stream ended).
    pub code: i32,
    pub actions: Vec<Action>,
    /// `m_mediaChannel` to set (the first media message's channel).
    pub media_channel: Option<i32>,
    /// `m_mediaStamp` to set.
    pub media_stamp: Option<u32>,
}

/// Collects actions; diagnostics of the core (ours and the AMF decoder's) are captured and put
/// in their place before each action.
struct Out {
    actions: Vec<Action>,
    capture: Option<diag::Capture>,
}

impl Out {
    fn new() -> Out {
        Out {
            actions: Vec::new(),
            capture: Some(diag::Capture::start()),
        }
    }

    fn flush_logs(&mut self) {
        if let Some(c) = &self.capture {
            if c.any() {
                for (level, text) in c.take() {
                    self.actions.push(Action::Log(level, text));
                }
            }
        }
    }

    fn push(&mut self, a: Action) {
        self.flush_logs();
        self.actions.push(a);
    }

    fn finish(mut self) -> Vec<Action> {
        self.flush_logs();
        self.capture = None;
        self.actions
    }
}

/// The text `%s` prints for a C string: up to the first NUL, invalid UTF-8 replaced.
fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(cmd::c_str(b))
}

/// The decisions for one message, with the transaction counter they advance.
struct Session<'s, 'a> {
    st: &'s State<'a>,
    link: &'s Link<'a>,
    out: Out,
    txn: i32,
    /// Calls dropped so far (a second lookup must not find them).
    dropped: Vec<usize>,
}

impl Session<'_, '_> {
    fn next_txn(&mut self) -> f64 {
        self.txn = self.txn.wrapping_add(1);
        f64::from(self.txn)
    }

    /// Sends `body` as an invoke that took a fresh transaction number.
    fn invoke(&mut self, channel: i32, header: u8, sid: i32, body: Vec<u8>, queue: bool) {
        self.out.push(Action::Invoke {
            channel,
            header,
            timestamp: 0,
            stream_id: sid,
            body,
            queue,
            bump_txn: true,
        });
    }

    /// Sends an invoke without a new transaction number (answers to the server).
    fn answer(&mut self, channel: i32, header: u8, ts: u32, body: Vec<u8>) {
        self.out.push(Action::Invoke {
            channel,
            header,
            timestamp: ts,
            stream_id: 0,
            body,
            queue: false,
            bump_txn: false,
        });
    }

    fn call(&mut self, name: &[u8], arg: &[u8], queue: bool) {
        let txn = self.next_txn();
        let b = cmd::call(name, txn, &[Value::String(arg.into())]);
        self.invoke(3, MEDIUM, 0, b, queue);
    }

    fn send_pause(&mut self, on: bool, ms: i32) {
        let txn = self.next_txn();
        let b = cmd::pause(txn, on, ms);
        crate::diag!(
            diag::DEBUG,
            "RTMP_SendPause, {}, pauseTime={}",
            i32::from(on),
            ms
        );
        self.invoke(8, MEDIUM, 0, b, true);
    }

    fn find_call(&self, pred: impl Fn(&[u8], i32) -> bool) -> Option<usize> {
        (0..self.st.calls.len()).find(|i| {
            let (name, num) = self.st.calls[*i];
            !self.dropped.contains(i) && pred(name, num)
        })
    }

    /// Drops queued call `i`, as the queue will be after the earlier drops.
    fn drop_call(&mut self, i: usize) {
        let shifted = i - self.dropped.iter().filter(|&&d| d < i).count();
        self.dropped.push(i);
        self.out.push(Action::DropCall(shifted));
    }

    fn drop_named(&mut self, name: &[u8]) {
        if let Some(i) = self.find_call(|n, _| n == name) {
            self.drop_call(i);
        }
    }

    fn dump_values(&mut self, props: &[Property<'_>]) {
        if diag::enabled(diag::DEBUG) {
            crate::amf::dump::object(props, &mut |line: &[u8]| {
                diag::report(diag::DEBUG, line);
            });
        }
    }

    fn on_connect_result(&mut self, props: &[Property<'_>]) {
        let link = self.link;
        if diag::enabled(diag::DEBUG) {
            if let Some(line) = crate::ertmp::server_caps_line(props) {
                diag::report(diag::DEBUG, line.as_bytes());
            }
        }
        if !link.token.is_empty() {
            if let Some(Value::String(hex)) = cmd::find_first(props, b"secureToken") {
                match cmd::decode_secure_token(link.token, hex) {
                    Some(plain) => {
                        let b =
                            cmd::call(b"secureTokenResponse", 0.0, &[Value::String(plain.into())]);
                        self.answer(3, MEDIUM, 0, b);
                    }
                    None => crate::diag!(
                        diag::ERROR,
                        "HandleInvoke, secureToken is not a hex string, no response sent"
                    ),
                }
            }
        }
        if link.write {
            // Publish with large chunks (as OBS and FFmpeg do) unless the caller chose a size.
            if link.default_out_chunk {
                self.out.push(Action::SendChunkSize(PUBLISH_CHUNK_SIZE));
            }
            for name in [&b"releaseStream"[..], b"FCPublish"] {
                self.call(name, link.playpath, false);
            }
        } else {
            self.out.push(Action::SendServerBw);
            self.out.push(Action::Ctrl {
                ctrl_type: 3,
                object: 0,
                time: 300,
            });
        }
        let txn = self.next_txn();
        self.invoke(3, MEDIUM, 0, cmd::call(b"createStream", txn, &[]), true);
        if !link.write {
            if !link.usher_token.is_empty() {
                crate::diag!(diag::DEBUG, "UsherToken: {}", lossy(link.usher_token));
                self.call(
                    b"NetStream.Authenticate.UsherToken",
                    link.usher_token,
                    false,
                );
            }
            let path = if !link.subscribe_path.is_empty() {
                Some(link.subscribe_path)
            } else if link.live {
                Some(link.playpath)
            } else {
                None
            };
            if let Some(path) = path {
                crate::diag!(diag::DEBUG, "FCSubscribe: {}", lossy(path));
                self.call(b"FCSubscribe", path, true);
            }
        }
    }

    fn on_create_stream_result(&mut self, props: &[Property<'_>]) {
        let link = self.link;
        let id = props
            .get(3)
            .and_then(|p| p.value.as_number())
            .unwrap_or(0.0);
        let sid = c_double_to_int(id);
        self.out.push(Action::SetStreamId(sid));
        if link.write {
            let txn = self.next_txn();
            let b = cmd::call(
                b"publish",
                txn,
                &[Value::String(link.playpath.into()), Value::string("live")],
            );
            self.invoke(4, LARGE, sid, b, true);
        } else {
            if link.playlist {
                // set_playlist carries no transaction number of its own.
                self.out.push(Action::Invoke {
                    channel: 8,
                    header: LARGE,
                    timestamp: 0,
                    stream_id: sid,
                    body: cmd::set_playlist(link.playpath),
                    queue: true,
                    bump_txn: false,
                });
            }
            crate::diag!(
                diag::DEBUG,
                "SendPlay, seekTime={}, stopTime={}, sending play: {}",
                link.seek_time,
                link.stop_time,
                lossy(link.playpath)
            );
            let txn = self.next_txn();
            let b = cmd::play(
                txn,
                link.playpath,
                link.live,
                link.seek_time,
                link.stop_time,
            );
            self.invoke(8, LARGE, sid, b, true);
            self.out.push(Action::Ctrl {
                ctrl_type: 3,
                object: sid as u32,
                time: link.buffer_ms as u32,
            });
        }
    }

    fn on_status(&mut self, props: &[Property<'_>]) -> i32 {
        const F: &str = "HandleInvoke";
        let info = match props.get(3).map(|p| &p.value) {
            Some(v @ Value::Object(_)) => Some(v),
            _ => None,
        };
        let code = info
            .and_then(|o| o.get("code"))
            .and_then(Value::as_str)
            .unwrap_or(b"");
        crate::diag!(diag::DEBUG, "{F}, onStatus: {}", lossy(code));
        match code {
            b"NetStream.Failed"
            | b"NetStream.Play.Failed"
            | b"NetStream.Play.StreamNotFound"
            | b"NetConnection.Connect.InvalidApp" => {
                self.out.push(Action::SetStreamId(-1));
                self.out.push(Action::Close);
                crate::diag!(diag::ERROR, "Closing connection: {}", lossy(code));
            }
            b"NetStream.Play.Start" | b"NetStream.Play.PublishNotify" => {
                self.out.push(Action::SetPlaying);
                self.drop_named(b"play");
            }
            b"NetStream.Publish.Start" => {
                self.out.push(Action::SetPlaying);
                self.drop_named(b"publish");
            }
            b"NetStream.Play.Complete" | b"NetStream.Play.Stop"
                if self.st.read_flags & (READ_REWOUND | READ_SEEKING)
                    == READ_REWOUND | READ_SEEKING =>
            {
                // The end of the pass RTMP_Read's resume rewind interrupted (the seek is on
                // its way): not the end of the stream.
                crate::diag!(diag::DEBUG, "{F}, {} before the resume seek", lossy(code));
            }
            b"NetStream.Play.Complete"
            | b"NetStream.Play.Stop"
            | b"NetStream.Play.UnpublishNotify" => {
                self.out.push(Action::Close);
                return 1;
            }
            b"NetConnection.Connect.ReconnectRequest" => {
                // E-RTMP: the server would like the client to reconnect (to the info object's
                // tcUrl, or this connection's). Reported only: the session goes on, and the
                // application decides whether and when to reconnect.
                let given = info.and_then(|o| o.get("tcUrl")).and_then(Value::as_str);
                let target = crate::ertmp::reconnect_target(self.link.tc_url, given);
                crate::diag!(
                    diag::INFO,
                    "{F}, the server requests a reconnect (NetConnection.Connect.ReconnectRequest) \
                     to {}; not reconnecting, the stream goes on",
                    lossy(&target)
                );
            }
            b"NetStream.Seek.Notify" => {
                self.out.push(Action::ClearReadFlags(READ_SEEKING));
            }
            b"NetStream.Pause.Notify" if self.st.pausing == 1 || self.st.pausing == 2 => {
                self.send_pause(false, self.st.pause_stamp as i32);
                self.out.push(Action::SetPausing(3));
            }
            _ => {}
        }
        0
    }

    /// HandleInvoke: 1 when the stream ended (the caller reports 2), else 0.
    fn handle_invoke(&mut self, body: &[u8], rand: &mut dyn FnMut() -> i32) -> i32 {
        const F: &str = "HandleInvoke";
        if body.first() != Some(&0x02) {
            crate::diag!(
                diag::WARNING,
                "{F}, Sanity failed. no string method in invoke packet"
            );
            return 0;
        }
        let Ok(props) = Property::decode_all(body) else {
            crate::diag!(diag::ERROR, "{F}, error decoding invoke packet");
            return 0;
        };
        self.dump_values(&props);
        let method = props.first().and_then(|p| p.value.as_str()).unwrap_or(b"");
        let txn = props
            .get(1)
            .and_then(|p| p.value.as_number())
            .unwrap_or(0.0);
        crate::diag!(diag::DEBUG, "{F}, server invoking <{}>", lossy(method));
        let mut ret = 0;
        match method {
            b"_result" => {
                let want = c_double_to_int(txn);
                let Some(i) = self.find_call(|_, num| num == want) else {
                    crate::diag!(
                        diag::DEBUG,
                        "{F}, received result id {txn:.6} without matching request"
                    );
                    return 0;
                };
                let invoked = self.st.calls[i].0;
                self.drop_call(i);
                crate::diag!(
                    diag::DEBUG,
                    "{F}, received result for method call <{}>",
                    lossy(invoked)
                );
                match invoked {
                    b"connect" => self.on_connect_result(&props),
                    b"createStream" => self.on_create_stream_result(&props),
                    b"play" | b"publish" => self.out.push(Action::SetPlaying),
                    _ => {}
                }
            }
            b"onBWDone" if self.st.bw_check_counter == 0 => {
                let txn = self.next_txn();
                self.invoke(3, LARGE, 0, cmd::call(b"_checkbw", txn, &[]), false);
            }
            b"_onbwcheck" => {
                let n = self.st.bw_check_counter;
                self.out.push(Action::SetBwCheckCounter(n.wrapping_add(1)));
                let b = cmd::call(b"_result", txn, &[Value::Number(f64::from(n))]);
                self.answer(3, MEDIUM, 0x16u32.wrapping_mul(n as u32), b);
            }
            b"_onbwdone" => self.drop_named(b"_checkbw"),
            b"_error" if self.link.write => self.on_publish_error(&props, txn, rand),
            b"_error" => crate::diag!(diag::ERROR, "rtmp server sent error"),
            b"close" => {
                crate::diag!(diag::ERROR, "rtmp server requested close");
                self.out.push(Action::Close);
            }
            b"onStatus" => ret = self.on_status(&props),
            b"playlist_ready" => self.drop_named(b"set_playlist"),
            b"ping" => {
                let n = self.st.bw_check_counter as u32;
                let b = cmd::call(b"pong", txn, &[]);
                self.answer(3, MEDIUM, 0x16u32.wrapping_mul(n), b);
            }
            b"onFCUnsubscribe" => {
                self.out.push(Action::Close);
                ret = 1;
            }
            _ => {}
        }
        ret
    }

    /// `_error` while publishing: a rejected `connect` may be a publisher-authentication
    /// challenge (`authmod=adobe` / `authmod=llnw`); then the client reconnects with the token.
    fn on_publish_error(
        &mut self,
        props: &[Property<'_>],
        txn: f64,
        rand: &mut dyn FnMut() -> i32,
    ) {
        const F: &str = "HandleInvoke";
        let Some(i) = self.find_call(|_, num| f64::from(num) == txn) else {
            crate::diag!(
                diag::DEBUG,
                "{F}, received result id {txn:.6} without matching request"
            );
            return;
        };
        let invoked = self.st.calls[i].0;
        self.drop_call(i);
        crate::diag!(
            diag::DEBUG,
            "{F}, received error for method call <{}>",
            lossy(invoked)
        );
        if invoked != b"connect" {
            return;
        }
        let description = match props.get(3).map(|p| &p.value) {
            Some(o @ Value::Object(_)) => o.get("description").and_then(Value::as_str),
            _ => None,
        }
        .unwrap_or(b"");
        crate::diag!(
            diag::DEBUG,
            "{F}, error description: {}",
            lossy(description)
        );
        let req = auth::Request {
            description,
            app: self.link.app,
            user: self.link.pub_user,
            password: self.link.pub_passwd,
        };
        let token = match auth::respond(&req, rand) {
            auth::Auth::NotAuth => return,
            auth::Auth::Fail(m) => {
                crate::diag!(diag::ERROR, "PublisherAuth, {m}");
                return;
            }
            auth::Auth::Token(t) => t,
        };
        if self.st.auth_depth >= MAX_AUTH_DEPTH {
            crate::diag!(
                diag::ERROR,
                "PublisherAuth, the server keeps asking for authentication, giving up"
            );
            return;
        }
        crate::diag!(diag::DEBUG, "PublisherAuth, pubToken: {}", lossy(&token));
        self.out.push(Action::Reconnect { token });
    }

    /// HandleMetadata: true for `onMetaData` (which then goes into the FLV output).
    fn handle_metadata(&mut self, body: &[u8]) -> bool {
        let Ok(props) = Property::decode_all(body) else {
            crate::diag!(
                diag::ERROR,
                "HandleMetadata, error decoding meta data packet"
            );
            return false;
        };
        self.dump_values(&props);
        // `@setDataFrame` + `onMetaData` (the shape publishers send, which some servers relay
        // as it is) is metadata too.
        let wrapped = props.first().and_then(|p| p.value.as_str()) == Some(b"@setDataFrame");
        let props = &props[usize::from(wrapped)..];
        if props.first().and_then(|p| p.value.as_str()) != Some(b"onMetaData") {
            return false;
        }
        if let Some(d) = cmd::find_first(props, b"duration") {
            self.out
                .push(Action::SetDuration(d.as_number().unwrap_or(0.0)));
        }
        if cmd::has_prefix(props, b"video") {
            self.out.push(Action::AddDataType(1));
        }
        if cmd::has_prefix(props, b"audio") {
            self.out.push(Action::AddDataType(4));
        }
        if diag::enabled(diag::INFO) {
            diag::report(diag::INFO, b"Metadata:");
            let mut lines = Vec::new();
            cmd::metadata_lines(props, &mut lines);
            for l in lines {
                diag::report(diag::INFO, &l);
            }
        }
        true
    }

    fn handle_ctrl(&mut self, body: &[u8]) {
        const F: &str = "HandleCtrl";
        let ty: i32 = if body.len() >= 2 {
            i32::from(u16::from_be_bytes([body[0], body[1]]))
        } else {
            -1
        };
        crate::diag!(
            diag::DEBUG,
            "{F}, received ctrl. type: {ty}, len: {}",
            body.len()
        );
        if body.len() >= 6 {
            let v = crate::bytes::be32(&body[2..6]);
            let vi = v as i32;
            match ty {
                0 => crate::diag!(diag::DEBUG, "{F}, Stream Begin {vi}"),
                1 => {
                    crate::diag!(diag::DEBUG, "{F}, Stream EOF {vi}");
                    if self.st.pausing == 1 {
                        self.out.push(Action::SetPausing(2));
                    }
                }
                2 => crate::diag!(diag::DEBUG, "{F}, Stream Dry {vi}"),
                4 => crate::diag!(diag::DEBUG, "{F}, Stream IsRecorded {vi}"),
                6 => {
                    crate::diag!(diag::DEBUG, "{F}, Ping {vi}");
                    self.out.push(Action::Ctrl {
                        ctrl_type: 0x07,
                        object: v,
                        time: 0,
                    });
                }
                31 => {
                    crate::diag!(diag::DEBUG, "{F}, Stream BufferEmpty {vi}");
                    if self.link.bufx {
                        if self.st.pausing == 0 {
                            let stamp = self.st.media_channel_stamp;
                            self.out.push(Action::SetPauseStamp(stamp));
                            self.send_pause(true, stamp as i32);
                            self.out.push(Action::SetPausing(1));
                        } else if self.st.pausing == 2 {
                            self.send_pause(false, self.st.pause_stamp as i32);
                            self.out.push(Action::SetPausing(3));
                        }
                    }
                }
                32 => crate::diag!(diag::DEBUG, "{F}, Stream BufferReady {vi}"),
                _ => crate::diag!(diag::DEBUG, "{F}, Stream xx {vi}"),
            }
        }
        if ty == 0x1A {
            crate::diag!(diag::DEBUG, "{F}, SWFVerification ping received: ");
            if body.len() > 2 && body[2] > 1 {
                crate::diag!(
                    diag::ERROR,
                    "{F}: SWFVerification Type {} request not supported! Patches welcome...",
                    body[2]
                );
            } else if self.link.swf_verify {
                self.out.push(Action::Ctrl {
                    ctrl_type: 0x1B,
                    object: 0,
                    time: 0,
                });
            } else {
                crate::diag!(
                    diag::ERROR,
                    "{F}: Ignoring SWFVerification request, use --swfVfy!"
                );
            }
        }
    }
}

/// For `RTMP_Read` only: whether a message from the server ends the stream although
/// [`handle`] does not report it as the end (its code 2). That is the server's Stream EOF
/// (user control event 1) for the stream being played (`stream_id`), while the client is
/// neither pausing (`pausing` 0) nor waiting for a seek (`READ_SEEKING` clear in `read_flags`).
/// A live stream whose publisher stops ends this way on nginx-rtmp, which sends no status
/// message; librtmp waits for more data until its receive timeout. A recorded stream's Stream
/// EOF comes right before its Play.Complete, so it ends there as before.
pub fn stream_eof_ends_read(
    msg_type: u8,
    body: &[u8],
    stream_id: i32,
    pausing: i32,
    read_flags: u8,
) -> bool {
    msg_type == PT_CONTROL
        && body.len() >= 6
        && body[..2] == [0, 1]
        && crate::bytes::be32(&body[2..6]) as i32 == stream_id
        && pausing == 0
        && read_flags & READ_SEEKING == 0
}

/// `RTMP_ClientPacket` for everything but the chunk-layer messages: what the client does with
/// one message from the server. `rand` feeds the publisher-authentication nonces.
pub fn handle(
    st: &State<'_>,
    link: &Link<'_>,
    msg: &Msg<'_>,
    rand: &mut dyn FnMut() -> i32,
) -> Outcome {
    const F: &str = "RTMP_ClientPacket";
    let body = msg.body;
    let size = msg.size;
    // Media first and without the log capture: the common case costs two comparisons.
    if matches!(msg.msg_type, PT_AUDIO | PT_VIDEO) {
        return Outcome {
            code: 1,
            actions: Vec::new(),
            media_channel: (st.media_channel == 0).then_some(msg.channel),
            media_stamp: (st.pausing == 0).then_some(msg.timestamp),
        };
    }
    let mut s = Session {
        st,
        link,
        out: Out::new(),
        txn: st.num_invokes,
        dropped: Vec::new(),
    };
    let mut outcome = Outcome::default();
    outcome.code = match msg.msg_type {
        PT_BYTES_READ => {
            crate::diag!(diag::DEBUG, "{F}, received: bytes read report");
            0
        }
        PT_CONTROL => {
            s.handle_ctrl(body);
            0
        }
        PT_SERVER_BW => {
            if body.len() >= 4 {
                let bw = crate::bytes::be32(body) as i32;
                s.out.push(Action::SetServerBw(bw));
                crate::diag!(diag::DEBUG, "HandleServerBW: server BW = {bw}");
            }
            0
        }
        PT_CLIENT_BW => {
            if body.len() >= 4 {
                let bw = crate::bytes::be32(body) as i32;
                let bw2 = if body.len() > 4 { body[4] } else { 0xFF };
                s.out.push(Action::SetClientBw(bw, bw2));
                crate::diag!(diag::DEBUG, "HandleClientBW: client BW = {bw} {bw2}");
            }
            0
        }
        PT_FLEX_STREAM_SEND => {
            crate::diag!(
                diag::DEBUG,
                "{F}, flex stream send, size {size} bytes, not supported, ignoring"
            );
            0
        }
        PT_FLEX_SHARED_OBJECT => {
            crate::diag!(
                diag::DEBUG,
                "{F}, flex shared object, size {size} bytes, not supported, ignoring"
            );
            0
        }
        PT_FLEX_MESSAGE => {
            crate::diag!(
                diag::DEBUG,
                "{F}, flex message, size {size} bytes, not fully supported"
            );
            if body.len() > 1 && s.handle_invoke(&body[1..], rand) == 1 {
                2
            } else {
                0
            }
        }
        PT_INFO => {
            crate::diag!(diag::DEBUG, "{F}, received: notify {size} bytes");
            i32::from(s.handle_metadata(body))
        }
        PT_SHARED_OBJECT => {
            crate::diag!(diag::DEBUG, "{F}, shared object, not supported, ignoring");
            0
        }
        PT_INVOKE => {
            crate::diag!(diag::DEBUG, "{F}, received: invoke {size} bytes");
            if s.handle_invoke(body, rand) == 1 {
                2
            } else {
                0
            }
        }
        PT_AGGREGATE => {
            let mut stamp = msg.timestamp;
            for tag in flv::aggregate_tags(body) {
                // librtmp's walk wants a byte past the header.
                if tag.pos + flv::TAG_HEADER_LEN >= body.len() {
                    break;
                }
                if !tag.has_prev_size(body) {
                    crate::diag!(diag::WARNING, "Stream corrupt?!");
                    break;
                }
                match tag.tag_type {
                    PT_INFO => {
                        if let Some(data) = tag.data(body) {
                            s.handle_metadata(data);
                        }
                    }
                    PT_AUDIO | PT_VIDEO => stamp = tag.timestamp,
                    _ => {}
                }
            }
            if st.pausing == 0 {
                outcome.media_stamp = Some(stamp);
            }
            1
        }
        other => {
            crate::diag!(
                diag::DEBUG,
                "{F}, unknown packet type received: 0x{other:02x}"
            );
            0
        }
    };
    outcome.actions = s.out.finish();
    outcome
}

#[cfg(test)]
mod tests;
