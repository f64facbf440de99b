//! The session without sockets: server messages in, actions out.

use super::*;
use crate::amf::{Property, Value};

fn invoke(args: &[Value<'_>]) -> Vec<u8> {
    let mut b = Vec::new();
    for a in args {
        a.encode(&mut b);
    }
    b
}

fn status(code: &str) -> Vec<u8> {
    invoke(&[
        Value::string("onStatus"),
        Value::Number(0.0),
        Value::Null,
        Value::object(vec![
            Property::new("level", Value::string("status")),
            Property::new("code", Value::string(code.to_owned())),
        ]),
    ])
}

fn msg(ty: u8, body: &[u8]) -> Msg<'_> {
    Msg {
        msg_type: ty,
        channel: 3,
        timestamp: 0,
        size: body.len() as u32,
        body,
    }
}

/// `handle` without the log lines (another test installs a reporter for the whole process).
fn quiet(mut o: Outcome) -> Outcome {
    o.actions.retain(|a| !matches!(a, Action::Log(..)));
    o
}

fn run(st: &State<'_>, link: &Link<'_>, ty: u8, body: &[u8]) -> Outcome {
    quiet(handle(st, link, &msg(ty, body), &mut || 7))
}

/// The method names of the invokes sent, in order.
fn sent(o: &Outcome) -> Vec<String> {
    o.actions
        .iter()
        .filter_map(|a| match a {
            Action::Invoke { body, .. } => {
                let p = Property::decode_one(body, false).unwrap().0;
                Some(String::from_utf8_lossy(p.value.as_str().unwrap()).into_owned())
            }
            _ => None,
        })
        .collect()
}

fn txn_of(body: &[u8]) -> f64 {
    let props = Property::decode_all(body).unwrap();
    props[1].value.as_number().unwrap()
}

fn result(txn: f64, extra: Value<'_>) -> Vec<u8> {
    invoke(&[
        Value::string("_result"),
        Value::Number(txn),
        Value::Null,
        extra,
    ])
}

#[test]
fn connect_result_for_play() {
    let st = State {
        num_invokes: 1,
        calls: vec![(b"connect", 1)],
        ..State::default()
    };
    let link = Link {
        playpath: b"mystream",
        live: true,
        ..Link::default()
    };
    let o = run(&st, &link, PT_INVOKE, &result(1.0, Value::Null));
    assert_eq!(o.code, 0);
    assert_eq!(o.actions[0], Action::DropCall(0));
    assert_eq!(o.actions[1], Action::SendServerBw);
    assert_eq!(
        o.actions[2],
        Action::Ctrl {
            ctrl_type: 3,
            object: 0,
            time: 300
        }
    );
    assert_eq!(sent(&o), ["createStream", "FCSubscribe"]);
    let txns: Vec<f64> = o
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Invoke { body, bump_txn, .. } => {
                assert!(bump_txn);
                Some(txn_of(body))
            }
            _ => None,
        })
        .collect();
    assert_eq!(txns, [2.0, 3.0]);
}

#[test]
fn connect_result_for_publish() {
    let st = State {
        num_invokes: 1,
        calls: vec![(b"connect", 1)],
        ..State::default()
    };
    let link = Link {
        write: true,
        playpath: b"live1",
        default_out_chunk: true,
        ..Link::default()
    };
    let o = run(&st, &link, PT_INVOKE, &result(1.0, Value::Null));
    assert_eq!(o.actions[1], Action::SendChunkSize(PUBLISH_CHUNK_SIZE));
    assert_eq!(sent(&o), ["releaseStream", "FCPublish", "createStream"]);
    let queued: Vec<bool> = o
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Invoke { queue, .. } => Some(*queue),
            _ => None,
        })
        .collect();
    assert_eq!(queued, [false, false, true]);
    // A chunk size the caller chose is kept.
    let link = Link {
        default_out_chunk: false,
        ..link
    };
    let o = run(&st, &link, PT_INVOKE, &result(1.0, Value::Null));
    assert!(!o
        .actions
        .contains(&Action::SendChunkSize(PUBLISH_CHUNK_SIZE)));
}

#[test]
fn unmatched_result_does_nothing() {
    let st = State {
        calls: vec![(b"connect", 1)],
        ..State::default()
    };
    let o = run(&st, &Link::default(), PT_INVOKE, &result(5.0, Value::Null));
    assert!(o.actions.is_empty());
}

#[test]
fn create_stream_result_plays_or_publishes() {
    let st = State {
        num_invokes: 2,
        calls: vec![(b"FCSubscribe", 1), (b"createStream", 2)],
        ..State::default()
    };
    let link = Link {
        playpath: b"vod",
        buffer_ms: 5000,
        ..Link::default()
    };
    let o = run(&st, &link, PT_INVOKE, &result(2.0, Value::Number(1.0)));
    assert_eq!(o.actions[0], Action::DropCall(1));
    assert_eq!(o.actions[1], Action::SetStreamId(1));
    assert_eq!(sent(&o), ["play"]);
    assert!(matches!(
        o.actions[2],
        Action::Invoke {
            channel: 8,
            stream_id: 1,
            queue: true,
            ..
        }
    ));
    assert_eq!(
        o.actions[3],
        Action::Ctrl {
            ctrl_type: 3,
            object: 1,
            time: 5000
        }
    );
    let playlist = Link {
        playlist: true,
        ..link.clone()
    };
    let o = run(&st, &playlist, PT_INVOKE, &result(2.0, Value::Number(1.0)));
    assert_eq!(sent(&o), ["set_playlist", "play"]);
    let publish = Link {
        write: true,
        ..link
    };
    let o = run(&st, &publish, PT_INVOKE, &result(2.0, Value::Number(4.0)));
    assert_eq!(sent(&o), ["publish"]);
    assert!(matches!(
        o.actions[2],
        Action::Invoke {
            channel: 4,
            stream_id: 4,
            ..
        }
    ));
}

#[test]
fn status_codes() {
    let st = State {
        calls: vec![(b"createStream", 2), (b"play", 3), (b"publish", 4)],
        ..State::default()
    };
    let link = Link::default();
    let o = run(&st, &link, PT_INVOKE, &status("NetStream.Play.Start"));
    assert_eq!(o.actions, [Action::SetPlaying, Action::DropCall(1)]);
    let o = run(&st, &link, PT_INVOKE, &status("NetStream.Publish.Start"));
    assert_eq!(o.actions, [Action::SetPlaying, Action::DropCall(2)]);
    for code in ["NetStream.Play.Stop", "NetStream.Play.Complete"] {
        let o = run(&st, &link, PT_INVOKE, &status(code));
        assert_eq!(o.code, 2);
        assert_eq!(o.actions, [Action::Close]);
    }
    let o = run(
        &st,
        &link,
        PT_INVOKE,
        &status("NetStream.Play.StreamNotFound"),
    );
    assert_eq!(o.code, 0);
    assert_eq!(o.actions, [Action::SetStreamId(-1), Action::Close]);
    let o = run(&st, &link, PT_INVOKE, &status("NetStream.Seek.Notify"));
    assert_eq!(o.actions, [Action::ClearReadFlags(READ_SEEKING)]);
    // Stop during a resume rewind is not the end.
    let rewinding = State {
        read_flags: READ_REWOUND | READ_SEEKING,
        ..st.clone()
    };
    let o = run(&rewinding, &link, PT_INVOKE, &status("NetStream.Play.Stop"));
    assert_eq!(o.code, 0);
    assert!(o.actions.is_empty());
    // Pause.Notify while pausing unpauses.
    let paused = State {
        pausing: 2,
        pause_stamp: 1234,
        num_invokes: 9,
        ..State::default()
    };
    let o = run(&paused, &link, PT_INVOKE, &status("NetStream.Pause.Notify"));
    assert_eq!(sent(&o), ["pause"]);
    assert_eq!(o.actions.last(), Some(&Action::SetPausing(3)));
    let o = run(&st, &link, PT_INVOKE, &status("NetStream.Pause.Notify"));
    assert!(o.actions.is_empty());
}

#[test]
fn server_calls() {
    let st = State {
        bw_check_counter: 2,
        ..State::default()
    };
    let link = Link::default();
    let ping = invoke(&[Value::string("ping"), Value::Number(11.0), Value::Null]);
    let o = run(&st, &link, PT_INVOKE, &ping);
    assert_eq!(sent(&o), ["pong"]);
    match &o.actions[0] {
        Action::Invoke {
            timestamp,
            body,
            bump_txn,
            ..
        } => {
            assert_eq!(*timestamp, 0x2c);
            assert_eq!(txn_of(body), 11.0);
            assert!(!bump_txn);
        }
        a => panic!("{a:?}"),
    }
    let check = invoke(&[Value::string("_onbwcheck"), Value::Number(3.0), Value::Null]);
    let o = run(&st, &link, PT_INVOKE, &check);
    assert_eq!(o.actions[0], Action::SetBwCheckCounter(3));
    assert_eq!(sent(&o), ["_result"]);
    let close = invoke(&[Value::string("close"), Value::Number(0.0)]);
    assert_eq!(run(&st, &link, PT_INVOKE, &close).actions, [Action::Close]);
    let unsub = invoke(&[Value::string("onFCUnsubscribe"), Value::Number(0.0)]);
    let o = run(&st, &link, PT_INVOKE, &unsub);
    assert_eq!((o.code, &o.actions[..]), (2, &[Action::Close][..]));
    // Not a string method: ignored.
    assert!(run(&st, &link, PT_INVOKE, &[0x00, 0, 0]).actions.is_empty());
    // The same through a flex message (one leading byte).
    let mut flex = vec![0];
    flex.extend_from_slice(&status("NetStream.Play.Stop"));
    assert_eq!(run(&st, &link, PT_FLEX_MESSAGE, &flex).code, 2);
}

#[test]
fn publisher_auth_reconnects() {
    let st = State {
        num_invokes: 1,
        calls: vec![(b"connect", 1)],
        ..State::default()
    };
    let link = Link {
        write: true,
        app: b"live",
        pub_user: b"user",
        pub_passwd: b"pass",
        ..Link::default()
    };
    let err = |desc: &str| {
        invoke(&[
            Value::string("_error"),
            Value::Number(1.0),
            Value::Null,
            Value::object(vec![
                Property::new("level", Value::string("error")),
                Property::new("description", Value::string(desc.to_owned())),
            ]),
        ])
    };
    // First round: the server wants to know the method; the client names the user.
    let o = run(
        &st,
        &link,
        PT_INVOKE,
        &err("[ code=403 need auth; authmod=adobe ]"),
    );
    assert_eq!(o.actions[0], Action::DropCall(0));
    match &o.actions[1] {
        Action::Reconnect { token } => assert_eq!(token, b"?authmod=adobe&user=user"),
        a => panic!("{a:?}"),
    }
    let o = run(
        &st,
        &link,
        PT_INVOKE,
        &err("[ code=403 need auth; authmod=llnw ]"),
    );
    assert!(
        matches!(&o.actions[1], Action::Reconnect { token } if token.starts_with(b"?authmod=llnw"))
    );
    // Second round: the challenge is answered.
    let challenge =
        "[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&user=user&salt=c2FsdA==&challenge=Y2g=&opaque=b3A=";
    let o = run(&st, &link, PT_INVOKE, &err(challenge));
    assert!(
        matches!(&o.actions[1], Action::Reconnect { token } if token.starts_with(b"&challenge="))
    );
    // Too deep: no reconnect.
    let deep = State {
        auth_depth: MAX_AUTH_DEPTH,
        ..st.clone()
    };
    let o = run(&deep, &link, PT_INVOKE, &err(challenge));
    assert_eq!(o.actions, [Action::DropCall(0)]);
    // Not publishing: only logged.
    let o = run(&st, &Link::default(), PT_INVOKE, &err(challenge));
    assert!(o.actions.is_empty());
}

#[test]
fn control_messages() {
    let st = State {
        media_channel_stamp: 777,
        ..State::default()
    };
    let link = Link {
        bufx: true,
        swf_verify: true,
        ..Link::default()
    };
    let o = run(&st, &link, PT_CONTROL, &[0, 6, 0, 0, 1, 2]);
    assert_eq!(
        o.actions,
        [Action::Ctrl {
            ctrl_type: 7,
            object: 0x102,
            time: 0
        }]
    );
    let o = run(&st, &link, PT_CONTROL, &[0, 31, 0, 0, 0, 1]);
    assert_eq!(o.actions[0], Action::SetPauseStamp(777));
    assert_eq!(sent(&o), ["pause"]);
    assert_eq!(o.actions[2], Action::SetPausing(1));
    let pausing = State {
        pausing: 1,
        ..State::default()
    };
    let o = run(&pausing, &link, PT_CONTROL, &[0, 1, 0, 0, 0, 1]);
    assert_eq!(o.actions, [Action::SetPausing(2)]);
    let o = run(&st, &link, PT_CONTROL, &[0, 0x1a, 0]);
    assert_eq!(
        o.actions,
        [Action::Ctrl {
            ctrl_type: 0x1b,
            object: 0,
            time: 0
        }]
    );
    assert!(run(&st, &Link::default(), PT_CONTROL, &[0, 0x1a, 0])
        .actions
        .is_empty());
    let o = run(&st, &link, PT_SERVER_BW, &[0, 0, 0x10, 0]);
    assert_eq!(o.actions, [Action::SetServerBw(4096)]);
    let o = run(&st, &link, PT_CLIENT_BW, &[0, 0, 0x10, 0]);
    assert_eq!(o.actions, [Action::SetClientBw(4096, 0xff)]);
}

#[test]
fn media_metadata_and_aggregates() {
    let st = State::default();
    let link = Link::default();
    let m = Msg {
        msg_type: PT_VIDEO,
        channel: 6,
        timestamp: 40,
        size: 3,
        body: &[0x17, 0, 0],
    };
    let o = quiet(handle(&st, &link, &m, &mut || 0));
    assert_eq!(
        (o.code, o.media_channel, o.media_stamp),
        (1, Some(6), Some(40))
    );
    let playing = State {
        media_channel: 6,
        pausing: 1,
        ..State::default()
    };
    let o = quiet(handle(&playing, &link, &m, &mut || 0));
    assert_eq!((o.code, o.media_channel, o.media_stamp), (1, None, None));

    let meta = invoke(&[
        Value::string("onMetaData"),
        Value::object(vec![
            Property::new("duration", Value::Number(12.5)),
            Property::new("videocodecid", Value::Number(7.0)),
        ]),
    ]);
    let o = run(&st, &link, PT_INFO, &meta);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.actions,
        [Action::SetDuration(12.5), Action::AddDataType(1)]
    );
    let other = invoke(&[Value::string("onCuePoint")]);
    assert_eq!(run(&st, &link, PT_INFO, &other).code, 0);

    let mut agg = Vec::new();
    flv::push_tag(&mut agg, PT_INFO, 0, &meta);
    flv::push_tag(&mut agg, PT_VIDEO, 100, &[0x17, 0]);
    flv::push_tag(&mut agg, PT_AUDIO, 120, &[0xaf, 0]);
    let m = Msg {
        msg_type: PT_AGGREGATE,
        channel: 6,
        timestamp: 100,
        size: agg.len() as u32,
        body: &agg,
    };
    let o = quiet(handle(&st, &link, &m, &mut || 0));
    assert_eq!(o.code, 1);
    assert_eq!(o.media_stamp, Some(120));
    assert_eq!(
        o.actions,
        [Action::SetDuration(12.5), Action::AddDataType(1)]
    );
    // A truncated last tag stops the walk.
    let m = Msg {
        body: &agg[..agg.len() - 6],
        ..m
    };
    assert_eq!(handle(&st, &link, &m, &mut || 0).media_stamp, Some(100));
}

#[test]
fn logs_come_back_in_order_with_the_actions() {
    log_everything();
    let st = State {
        calls: vec![(b"play", 3)],
        ..State::default()
    };
    let o = handle(
        &st,
        &Link::default(),
        &msg(PT_INVOKE, &status("NetStream.Play.StreamNotFound")),
        &mut || 7,
    );
    let close = o.actions.iter().position(|a| *a == Action::Close).unwrap();
    let last = o.actions.last().unwrap();
    assert_eq!(
        *last,
        Action::Log(
            diag::ERROR,
            b"Closing connection: NetStream.Play.StreamNotFound".to_vec()
        )
    );
    assert!(close < o.actions.len() - 1);
    assert!(
        matches!(&o.actions[0], Action::Log(diag::DEBUG, t) if t.starts_with(b"RTMP_ClientPacket, received: invoke"))
    );
}

#[test]
fn stream_eof_ends_read_only_for_the_played_stream_while_playing() {
    let eof = [0, 1, 0, 0, 0, 1];
    assert!(stream_eof_ends_read(PT_CONTROL, &eof, 1, 0, READ_HEADER));
    // another stream, paused or pausing, a seek on its way, another event, short, not control
    assert!(!stream_eof_ends_read(PT_CONTROL, &eof, 2, 0, 0));
    assert!(!stream_eof_ends_read(PT_CONTROL, &eof, 1, 1, 0));
    assert!(!stream_eof_ends_read(PT_CONTROL, &eof, 1, 2, 0));
    assert!(!stream_eof_ends_read(PT_CONTROL, &eof, 1, 0, READ_SEEKING));
    assert!(!stream_eof_ends_read(
        PT_CONTROL,
        &[0, 0, 0, 0, 0, 1],
        1,
        0,
        0
    ));
    assert!(!stream_eof_ends_read(PT_CONTROL, &eof[..5], 1, 0, 0));
    assert!(!stream_eof_ends_read(PT_INVOKE, &eof, 1, 0, 0));
}

/// Installs a reporter with every level enabled (for the tests that look at log lines).
fn log_everything() {
    struct Every;
    impl diag::Reporter for Every {
        fn enabled(&self, _: Level) -> bool {
            true
        }
        fn report(&self, _: Level, _: &[u8]) {}
    }
    static EVERY: Every = Every;
    diag::install(&EVERY);
}

fn logs_at(o: &Outcome, level: Level) -> Vec<String> {
    o.actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(l, t) if *l == level => Some(String::from_utf8_lossy(t).into_owned()),
            _ => None,
        })
        .collect()
}

#[test]
fn reconnect_request_is_reported_and_the_session_goes_on() {
    log_everything();
    let st = State::default();
    let link = Link {
        tc_url: b"rtmp://127.0.0.1:1935/live",
        ..Link::default()
    };
    let with_url = invoke(&[
        Value::string("onStatus"),
        Value::Number(0.0),
        Value::Null,
        Value::object(vec![
            Property::new("level", Value::string("status")),
            Property::new(
                "code",
                Value::string("NetConnection.Connect.ReconnectRequest"),
            ),
            Property::new("tcUrl", Value::string("/other")),
        ]),
    ]);
    let without = status("NetConnection.Connect.ReconnectRequest");
    for (body, target) in [
        (&with_url, "rtmp://127.0.0.1:1935/other"),
        (&without, "rtmp://127.0.0.1:1935/live"),
    ] {
        let o = handle(&st, &link, &msg(PT_INVOKE, body), &mut || 7);
        assert_eq!(o.code, 0);
        let info = logs_at(&o, diag::INFO);
        assert_eq!(info.len(), 1, "{info:?}");
        assert!(info[0].contains(target), "{}", info[0]);
        assert!(info[0].contains("NetConnection.Connect.ReconnectRequest"));
        // Nothing but log lines: no close, no reconnect, nothing sent.
        assert!(quiet(o).actions.is_empty());
    }
}

#[test]
fn set_data_frame_metadata_is_metadata() {
    let st = State::default();
    let link = Link::default();
    let meta = invoke(&[
        Value::string("@setDataFrame"),
        Value::string("onMetaData"),
        Value::object(vec![
            Property::new("duration", Value::Number(3.5)),
            Property::new("audiocodecid", Value::string("Opus")),
        ]),
    ]);
    let o = run(&st, &link, PT_INFO, &meta);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.actions,
        [Action::SetDuration(3.5), Action::AddDataType(4)]
    );
    let other = invoke(&[Value::string("@setDataFrame"), Value::string("onCuePoint")]);
    assert_eq!(run(&st, &link, PT_INFO, &other).code, 0);
}

#[test]
fn connect_result_capabilities_are_logged_at_debug() {
    log_everything();
    let st = State {
        num_invokes: 1,
        calls: vec![(b"connect", 1)],
        ..State::default()
    };
    let body = invoke(&[
        Value::string("_result"),
        Value::Number(1.0),
        Value::object(vec![
            Property::new("fmsVer", Value::string("FMS/3,0,1,123")),
            Property::new("capsEx", Value::Number(1.0)),
        ]),
        Value::object(vec![Property::new(
            "code",
            Value::string("NetConnection.Connect.Success"),
        )]),
    ]);
    let o = handle(&st, &Link::default(), &msg(PT_INVOKE, &body), &mut || 7);
    assert!(logs_at(&o, diag::DEBUG)
        .iter()
        .any(|l| l == "server E-RTMP capabilities: capsEx=1"));
    assert_eq!(sent(&o), ["createStream"]);
}
