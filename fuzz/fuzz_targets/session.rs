//! Arbitrary server bytes after the handshake through the core's chunk reader and client
//! session, without sockets.
//!
//! Input: a state byte (publishing, live, playlist, BufferEmpty pausing, SWF verification, ...),
//! then the bytes the server sends: chunks, read by `rtmp_core::chunk::reader::memory::Memory`
//! (default chunk size 128, acknowledgements counted, Set Chunk Size applied as the driver
//! does). Reading stops at the first refused chunk (the library closes there) or when the bytes
//! end. Each complete message goes through `rtmp_core::session::handle` with the state that the
//! previous actions left (as the driver stores them), including the method-call queue. Checks: no panic; the return code is 0, 1 or 2;
//! media messages give no action; dropped calls exist in the queue; a reconnect token is
//! non-empty; an invoke marked `bump_txn` carries the next transaction number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtmp_core::chunk::parse_set_chunk_size;
use rtmp_core::chunk::reader::memory::{Memory, Outcome};
use rtmp_core::session::{handle, Action, Link, Msg, State, PT_AUDIO, PT_CHUNK_SIZE, PT_VIDEO};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let link = Link {
        write: flags & 1 != 0,
        live: flags & 2 != 0,
        playlist: flags & 4 != 0,
        bufx: flags & 8 != 0,
        swf_verify: flags & 16 != 0,
        playpath: b"stream",
        app: b"live",
        token: if flags & 32 != 0 { b"#ed%h0#w@1" } else { b"" },
        usher_token: if flags & 64 != 0 { b"usher" } else { b"" },
        subscribe_path: b"",
        tc_url: b"rtmp://127.0.0.1:1935/live",
        pub_user: b"user",
        pub_passwd: b"pass",
        seek_time: 0,
        stop_time: 0,
        buffer_ms: 36_000_000,
        default_out_chunk: flags & 128 != 0,
    };
    // The queue as it is after the connect command, with owned names.
    let mut calls: Vec<(Vec<u8>, i32)> = vec![(b"connect".to_vec(), 1)];
    let mut num_invokes = 1i32;
    let mut stream_id = 0i32;
    let mut pausing = 0i32;
    let mut pause_stamp = 0u32;
    let mut bw = 0i32;
    let mut read_flags = 0u8;
    let mut media_channel = 0i32;
    let mut rand = 12345i32;
    let mut reader = Memory::new(128, true, 2_500_000, false);
    loop {
        let (used, outcome) = reader.read(rest);
        rest = &rest[used..];
        let message = match outcome {
            Outcome::Need(n) => {
                assert!(n > rest.len(), "need {n} with {} bytes left", rest.len());
                break;
            }
            Outcome::Error(_) => break,
            Outcome::Chunks { chunks, message, .. } => {
                assert!(chunks >= 1 && used > 0);
                match message {
                    Some(m) => m,
                    None => continue,
                }
            }
        };
        assert_eq!(message.body.len(), message.packet.body_size as usize);
        let ty = message.packet.packet_type;
        let body = &message.body[..];
        if ty == PT_CHUNK_SIZE {
            // The chunk layer applies it (and the session sees the message too).
            if let Ok(size) = parse_set_chunk_size(body) {
                reader.in_chunk = size;
            }
        }
        let st = State {
            num_invokes,
            stream_id,
            pausing,
            pause_stamp,
            bw_check_counter: bw,
            read_flags,
            media_channel,
            media_channel_stamp: 40,
            calls: calls.iter().map(|(n, t)| (&n[..], *t)).collect(),
            auth_depth: 0,
        };
        let msg = Msg {
            msg_type: ty,
            channel: message.channel as i32,
            timestamp: message.packet.timestamp,
            size: body.len() as u32,
            body,
        };
        let out = handle(&st, &link, &msg, &mut || {
            rand = rand.wrapping_mul(1_103_515_245).wrapping_add(12345);
            rand & 0x7fff_ffff
        });
        assert!((0..=2).contains(&out.code));
        if ty == PT_AUDIO || ty == PT_VIDEO {
            assert!(out.actions.is_empty());
            assert_eq!(out.code, 1);
        }
        drop(st);
        let mut closed = false;
        for a in out.actions {
            match a {
                Action::Invoke {
                    bump_txn,
                    queue,
                    body,
                    ..
                } => {
                    assert!(!body.is_empty());
                    let named = rtmp_core::chunk::invoke_name_and_txn(&body);
                    if bump_txn {
                        num_invokes = num_invokes.wrapping_add(1);
                        // Until a close resets the counter, the body carries the number taken.
                        if !closed {
                            let txn = named.and_then(|(_, t)| t);
                            assert_eq!(txn, Some(f64::from(num_invokes)));
                        }
                    }
                    if queue {
                        // The chunk layer queues by the name and number in the body.
                        if let Some((name, Some(txn))) = named {
                            calls.push((name.to_vec(), rtmp_core::chunk::c_double_to_int(txn)));
                        }
                    }
                }
                Action::DropCall(i) => {
                    assert!(i < calls.len(), "drop of call {i} of {}", calls.len());
                    calls.remove(i);
                }
                Action::SetStreamId(id) => stream_id = id,
                Action::SetPausing(p) => pausing = p,
                Action::SetPauseStamp(t) => pause_stamp = t,
                Action::SetBwCheckCounter(n) => bw = n,
                Action::ClearReadFlags(f) => read_flags &= !f,
                Action::Close => {
                    closed = true;
                    calls.clear();
                    num_invokes = 0;
                    stream_id = -1;
                    bw = 0;
                    read_flags = 0;
                }
                Action::Reconnect { token } => assert!(!token.is_empty()),
                _ => {}
            }
        }
        if out.media_channel.is_some() {
            media_channel = 3;
        }
    }
});
