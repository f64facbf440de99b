use super::memory::{Memory, Message, Outcome, ReadError};
use super::*;
use crate::chunk::{encode_headers, pack, SMALL};

/// The wire bytes of one message as the library's writer sends it.
fn msg(fmt: u8, ch: u32, t: u32, ty: u8, sid: i32, body: &[u8], chunk: usize) -> Vec<u8> {
    let h = encode_headers(fmt, ch, t, body.len() as u32, ty, sid);
    let mut v = Vec::new();
    pack(&h, body, chunk, &mut v);
    v
}

fn body(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

/// Everything a reader reports for `stream` fed whole: outcomes other than `Need`, acks.
fn run(m: &mut Memory, stream: &[u8]) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let (k, o) = m.read(&stream[pos..]);
        pos += k;
        match o {
            Outcome::Need(n) => {
                assert!(
                    n > stream.len() - pos,
                    "need {n} with {} buffered",
                    stream.len() - pos
                );
                break;
            }
            o => out.push(o),
        }
    }
    assert_eq!(pos, stream.len(), "stream not consumed");
    out
}

fn messages(out: &[Outcome]) -> Vec<Message> {
    out.iter()
        .filter_map(|o| match o {
            Outcome::Chunks {
                message: Some(m), ..
            } => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// (channel, type, timestamp, stream id, body) of each message.
fn summary(out: &[Outcome]) -> Vec<(u32, u8, u32, i32, Vec<u8>)> {
    messages(out)
        .into_iter()
        .map(|m| {
            assert_eq!(m.body.len(), m.packet.body_size as usize);
            (
                m.channel,
                m.packet.packet_type,
                m.packet.timestamp,
                m.packet.stream_id,
                m.body,
            )
        })
        .collect()
}

#[test]
fn ack_rule() {
    let a = AckRule::new(true, 100, 400);
    assert!(!a.due(140));
    assert!(a.due(141));
    assert!(!AckRule::new(false, 0, 0).due(1));
    assert!(a.takes_chunk(10, 9, 130));
    assert!(!a.takes_chunk(10, 10, 0));
    assert!(!a.takes_chunk(10, 9, 131));
}

#[test]
fn header_inheritance_and_timestamp_deltas() {
    let (a, b) = (body(300, 1), body(300, 2));
    let mut s = msg(LARGE, 4, 1000, 9, 1, &a, 128);
    s.extend(msg(MEDIUM, 4, 40, 8, 0, &b, 128)); // delta 40, new size/type
    s.extend(msg(SMALL, 4, 20, 0, 0, &b, 128)); // delta 20, same size and type
    s.extend(msg(MINIMUM, 4, 20, 0, 0, &b, 128)); // type 3: the same delta again
    let mut m = Memory::new(128, false, 0, false);
    let got = summary(&run(&mut m, &s));
    assert_eq!(
        got,
        vec![
            (4, 9, 1000, 1, a.clone()),
            (4, 8, 1040, 1, b.clone()),
            (4, 8, 1060, 1, b.clone()),
            (4, 8, 1080, 1, b.clone()),
        ]
    );
    // a type-2 or type-3 header cannot start a chunk stream
    let mut m = Memory::new(128, false, 0, false);
    let (k, o) = m.read(&msg(SMALL, 5, 1, 0, 0, &a, 128));
    assert_eq!(
        (k, o),
        (1, Outcome::Error(ReadError::Start(StartError::NoPrevious)))
    );
    // a type-1 header can (librtmp's first message on channel 2)
    let mut m = Memory::new(128, false, 0, false);
    assert_eq!(
        summary(&run(&mut m, &msg(MEDIUM, 2, 5, 4, 0, &[0, 3], 128)))[0].2,
        5
    );
}

#[test]
fn extended_timestamps_both_rules() {
    let a = body(40, 3);
    // mandatory at 0xFFFFFF; our writer repeats it on continuations (taken)
    let mut s = msg(LARGE, 6, 0x0100_0000, 9, 1, &a, 16);
    // a sender that does not repeat it: continuations carry payload right after the byte
    let h = encode_headers(LARGE, 6, 0x0200_0000, 40, 9, 1);
    s.extend_from_slice(h.first());
    s.extend_from_slice(&a[..16]);
    s.push(0xc6);
    s.extend_from_slice(&a[16..32]);
    s.push(0xc6);
    s.extend_from_slice(&a[32..]);
    for single in [false, true] {
        let mut m = Memory::new(16, false, 0, single);
        let got = summary(&run(&mut m, &s));
        assert_eq!(
            got,
            vec![
                (6, 9, 0x0100_0000, 1, a.clone()),
                (6, 9, 0x0200_0000, 1, a.clone())
            ]
        );
    }
    // the optional repeat needs 4 bytes to decide
    let mut m = Memory::new(16, false, 0, false);
    let first = h.first().len() + 16;
    assert!(matches!(
        m.read(&s[s.len() - 40 - 12 - 2..][..0]),
        (0, Outcome::Need(1))
    ));
    let tail = &s[s.len() - (first + 1 + 16 + 1 + 8)..];
    assert!(matches!(m.read(tail), (n, Outcome::Chunks { .. }) if n == first));
    assert_eq!(m.read(&tail[first..first + 3]), (0, Outcome::Need(5)));
}

#[test]
fn interleaved_channels_and_several_chunks_per_call() {
    let (a, b) = (body(100, 4), body(30, 5));
    let ma = msg(LARGE, 3, 10, 9, 1, &a, 32);
    let mb = msg(LARGE, 70, 20, 8, 1, &b, 32);
    // a's first chunk, b whole (2-byte basic header), the rest of a
    let mut s = ma[..12 + 32].to_vec();
    s.extend_from_slice(&mb);
    s.extend_from_slice(&ma[12 + 32..]);
    let mut multi = Memory::new(32, false, 0, false);
    let out = run(&mut multi, &s);
    assert_eq!(
        summary(&out),
        vec![(70, 8, 20, 1, b.clone()), (3, 9, 10, 1, a.clone())]
    );
    // the three continuation chunks of a in one call
    assert!(out
        .iter()
        .any(|o| matches!(o, Outcome::Chunks { chunks: 3, .. })));
    let mut single = Memory::new(32, false, 0, true);
    let out1 = run(&mut single, &s);
    assert_eq!(summary(&out1), summary(&out));
    assert_eq!(out1.len(), 5);
}

#[test]
fn abort_drops_the_partial_message() {
    let a = body(20, 6);
    let mut s = msg(LARGE, 5, 1, 9, 1, &a, 8)[..12 + 8].to_vec();
    s.extend(msg(LARGE, 2, 0, ABORT, 0, &[0, 0, 0, 5], 8));
    s.extend(msg(MEDIUM, 5, 2, 8, 0, b"abc", 8)); // a new message may start with any header
    let mut m = Memory::new(8, false, 0, false);
    let got = summary(&run(&mut m, &s));
    assert_eq!(
        got,
        vec![
            (2, ABORT, 0, 0, vec![0, 0, 0, 5]),
            (5, 8, 2, 1, b"abc".to_vec())
        ]
    );
    // without the abort, a type-1 header in the middle of a message is refused
    let s = msg(LARGE, 5, 1, 9, 1, &a, 8);
    let mut m = Memory::new(8, false, 0, false);
    assert_eq!(m.read(&s).0, 20);
    assert_eq!(
        m.read(&msg(MEDIUM, 5, 2, 8, 0, b"abc", 8)),
        (
            1,
            Outcome::Error(ReadError::Start(StartError::MidMessage {
                read: 8,
                size: 20
            }))
        )
    );
    // the partial message is gone
    assert!(m.states().all(|(st, len)| !st.has_body && len == 0));
}

#[test]
fn chunk_size_changes_between_messages() {
    let a = body(300, 7);
    let mut m = Memory::new(128, false, 0, false);
    let s1 = msg(LARGE, 3, 0, 9, 1, &a, 128);
    assert_eq!(summary(&run(&mut m, &s1)).len(), 1);
    m.in_chunk = 4096;
    let s2 = msg(MINIMUM, 3, 0, 9, 1, &a, 4096);
    assert_eq!(s2.len(), 301);
    assert_eq!(summary(&run(&mut m, &s2))[0].4, a);
    m.in_chunk = 0;
    assert_eq!(m.read(&s2), (1, Outcome::Error(ReadError::ChunkSize(0))));
}

/// A stream with most of the above: three header forms, extended timestamps, interleaving.
fn mixed_stream(chunk: usize) -> Vec<u8> {
    let mut s = Vec::new();
    for i in 0..12u32 {
        let ch = [3, 4, 70, 400][i as usize % 4];
        let t = if i == 5 { 0x0100_0000 } else { 40 * i };
        let fmt = if i < 4 { LARGE } else { MEDIUM };
        s.extend(msg(
            fmt,
            ch,
            t,
            9,
            1,
            &body((i as usize * 37) % 300, i as u8),
            chunk,
        ));
    }
    s
}

#[test]
fn need_more_at_every_split_point() {
    let s = mixed_stream(32);
    let whole = run(&mut Memory::new(32, true, 1000, false), &s);
    for cut in 0..=s.len() {
        let mut m = Memory::new(32, true, 1000, false);
        let mut out = Vec::new();
        let mut pos = 0;
        for end in [cut, s.len()] {
            loop {
                let (k, o) = m.read(&s[pos..end]);
                pos += k;
                match o {
                    Outcome::Need(n) => {
                        assert!(n > end - pos);
                        assert_eq!(k, 0);
                        break;
                    }
                    o => out.push(o),
                }
            }
        }
        assert_eq!(summary(&out), summary(&whole), "cut at {cut}");
    }
}

#[test]
fn acknowledgements_do_not_depend_on_chunks_per_call() {
    let s = mixed_stream(16);
    let mut a = Memory::new(16, true, 400, false);
    let mut b = Memory::new(16, true, 400, true);
    let (oa, ob) = (run(&mut a, &s), run(&mut b, &s));
    assert_eq!(summary(&oa), summary(&ob));
    assert!(a.acks.len() > 5);
    assert_eq!(a.acks, b.acks);
    assert_eq!(a.bytes_in as usize, s.len());
    assert!(oa.len() < ob.len());
}

#[test]
fn pending_body_budget() {
    let big = crate::chunk::MAX_BODY; // four of them fit, a fifth does not
    let h = |ch| encode_headers(LARGE, ch, 0, big, 9, 1);
    let mut m = Memory::new(1 << 20, false, 0, false);
    for ch in [3, 4, 5, 6] {
        let mut s = h(ch).first().to_vec();
        s.resize(s.len() + (1 << 20), 0);
        assert!(matches!(
            m.read(&s),
            (_, Outcome::Chunks { message: None, .. })
        ));
    }
    assert_eq!(m.pending(), 4 * u64::from(big));
    let s = h(7).first().to_vec();
    assert_eq!(
        m.read(&s),
        (
            12,
            Outcome::Error(ReadError::Plan(PlanError::Refused { size: big }))
        )
    );
    // small bodies are not counted against it
    let s = msg(LARGE, 8, 0, 9, 1, &body(100, 0), 128);
    assert!(matches!(
        m.read(&s),
        (
            _,
            Outcome::Chunks {
                message: Some(_),
                ..
            }
        )
    ));
    assert!(budget_allows(BUDGET_CHECK_MIN - 1, || u64::MAX / 2));
}

/// In a plain continuation state the steps amount to what `take_chunks` does.
#[test]
fn steps_agree_with_the_continuation_loop() {
    let s = InChannel {
        header_type: MEDIUM,
        packet_type: 9,
        has_abs_timestamp: 0,
        timestamp: 40,
        stream_id: 1,
        body_size: 300,
        bytes_read: 128,
        has_body: true,
    };
    assert!(plain_continuation(&s));
    let basic = Basic::parse(&[0xc7]).unwrap();
    let st = start(basic, Some(s), InChannel::default()).unwrap();
    let mut pkt = InChannel::default();
    let h = header(&[0xc7], &st, &mut pkt).unwrap();
    assert_eq!((h.len, h.ext, h.inherited_body), (1, false, true));
    assert_eq!(pkt, s);
    assert_eq!(h.plan(&pkt, || 0), Ok(Plan { alloc: false }));
    assert_eq!(payload_len(&pkt, 128), 128);
    let mut buf = vec![0xc7];
    buf.extend(body(128, 9));
    let mut b = vec![0u8; 300];
    let run = take_chunks(
        &buf,
        0xc7,
        &mut b,
        128,
        128,
        AckRule::new(false, 0, 0),
        0,
        false,
    );
    assert_eq!(
        run,
        Run {
            pos: 129,
            read: 256,
            bytes_in: 129,
            complete: false
        }
    );
    let (sv, complete) = end_of_chunk(&h, &mut pkt, 128);
    assert_eq!((sv.bytes_read, complete), (256, false));
    for not_plain in [
        InChannel {
            has_body: false,
            ..s
        },
        InChannel {
            has_abs_timestamp: EXT_PENDING,
            ..s
        },
        InChannel {
            packet_type: ABORT,
            ..s
        },
        InChannel {
            bytes_read: 300,
            ..s
        },
    ] {
        assert!(!plain_continuation(&not_plain));
    }
}

#[test]
fn copy_payload_sizes() {
    for n in 0..300 {
        let src = body(n, n as u8);
        let mut dst = vec![0u8; n];
        copy_payload(&src, &mut dst);
        assert_eq!(src, dst, "{n}");
    }
}
