//! `RTMP_Read`'s resume checks as a pure function: a download that continues an earlier file
//! (rtmpdump `--resume`) must find the metadata and the keyframe the file ended with before it
//! writes anything, and then continue after that keyframe.
//!
//! The state is the `m_read` fields the checks use; the caller loads it, calls [`check`] for
//! each media message and stores the flags and counters back. Diagnostics go straight to
//! [`crate::diag`]: the checks have no other effect before they return.

use crate::flv;
use crate::session::{PT_AGGREGATE, PT_AUDIO, PT_INFO, PT_VIDEO, READ_REWOUND};

pub const READ_RESUME: u8 = 0x02;
pub const READ_NO_IGNORE: u8 = 0x04;
pub const READ_GOTKF: u8 = 0x08;
pub const READ_GOTFLVK: u8 = 0x10;
/// Ours, in a bit librtmp leaves unused: the server restarted the stream at the resume keyframe
/// with absolute timestamps (nginx-rtmp does; FMS restarts at 0), so `nResumeTS` is not added.
pub const READ_ABSOLUTE: u8 = 0x40;

/// Ignored frames tolerated while looking for the resume keyframe.
pub const MAX_IGNORED_FRAMES: u32 = 50;

/// The `m_read` fields of the resume checks.
#[derive(Debug, Clone, Default)]
pub struct Resume<'a> {
    /// `m_read.flags`.
    pub flags: u8,
    /// `nResumeTS`: the timestamp of the keyframe the file ends with.
    pub resume_ts: u32,
    pub ignored_frames: u32,
    pub ignored_flv_frames: u32,
    /// The file's metadata body (`metaHeader`), when its size is non-zero.
    pub meta_header: Option<&'a [u8]>,
    /// The file's last keyframe (`initialFrame`), when its size is non-zero.
    pub initial_frame: Option<&'a [u8]>,
    pub initial_frame_type: u8,
}

/// What to do with the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Write it, without its first `n` body bytes.
    Keep(usize),
    /// Drop it and read on.
    Ignore,
    /// The stream cannot continue the file (`RTMP_READ_ERROR`).
    Error,
    /// Drop it and seek to 0 (the server started past the keyframe); `READ_REWOUND` is set.
    /// A failed seek is an error.
    SeekToStart,
}

/// The resume checks for one message (timestamps of 0 carry the metadata and the keyframe the
/// previous download ended with).
pub fn check(rd: &mut Resume<'_>, ty: u8, ts: u32, body: &[u8]) -> Verdict {
    let mut skip = 0usize;
    let media = ty == PT_AUDIO || ty == PT_VIDEO;
    if media && rd.flags & (READ_GOTKF | READ_REWOUND) == 0 && rd.resume_ts > 0 {
        if ts > rd.resume_ts {
            // Servers with absolute timestamps that seek to the next keyframe after the
            // requested time (nginx-rtmp) never send the one the file ends with: play from
            // the start again and skip to it.
            crate::diag!(
                crate::diag::WARNING,
                "Resume: the server started at {ts} ms, after the resume keyframe at {} ms; playing from the start to find it",
                rd.resume_ts
            );
            rd.flags |= READ_REWOUND;
            return Verdict::SeekToStart;
        }
        if ts > 0 && ts < rd.resume_ts {
            // Absolute timestamps from before the keyframe (a server that cannot seek in
            // this file starts at its beginning): skip to the keyframe.
            crate::diag!(
                crate::diag::DEBUG,
                "Resume: the server started at {ts} ms, skipping to the keyframe at {} ms",
                rd.resume_ts
            );
            rd.flags |= READ_REWOUND;
        }
    }
    // (Timestamp 0 still goes through librtmp's checks: a server that restarts at 0 sends
    // the keyframe there.)
    if rd.flags & (READ_REWOUND | READ_GOTKF) == READ_REWOUND && ts != 0 && ts < rd.resume_ts {
        return Verdict::Ignore;
    }
    // The keyframe the previous download ended with comes at 0 from servers that restart
    // the timestamps after a seek, at its own timestamp from those that do not.
    let absolute = ts != 0 && ts == rd.resume_ts && rd.flags & READ_GOTKF == 0;
    if ts == 0 || absolute {
        if let Some(meta) = rd.meta_header {
            if ty == PT_INFO {
                if let Ok(props) = crate::amf::Property::decode_all(body) {
                    if props.first().and_then(|p| p.value.as_str()) == Some(b"onMetaData")
                        && meta != body
                    {
                        return Verdict::Error;
                    }
                }
            }
        }
        if let Some(frame) = rd.initial_frame {
            if ty == rd.initial_frame_type && frame == body {
                crate::diag!(crate::diag::DEBUG, "Checked keyframe successfully!");
                rd.flags |= READ_GOTKF;
                if absolute {
                    crate::diag!(
                        crate::diag::DEBUG,
                        "The server resumed with absolute timestamps"
                    );
                    rd.flags |= READ_ABSOLUTE;
                }
                return Verdict::Ignore;
            }
            if ty == PT_AGGREGATE && !absolute {
                match find_keyframe(rd, frame, body) {
                    Ok(n) => skip = n,
                    Err(v) => return v,
                }
            }
        }
    }
    if ts > 0 && rd.flags & (READ_GOTKF | READ_GOTFLVK) != 0 {
        rd.flags |= READ_GOTKF | READ_GOTFLVK;
    }
    if ty != PT_AGGREGATE && rd.flags & READ_GOTKF == 0 {
        crate::diag!(
            crate::diag::WARNING,
            "Stream does not start with requested frame, ignoring data... "
        );
        rd.ignored_frames += 1;
        return if rd.ignored_frames > MAX_IGNORED_FRAMES {
            Verdict::Error
        } else {
            Verdict::Ignore
        };
    }
    if ty == PT_AGGREGATE && rd.flags & READ_GOTFLVK == 0 {
        crate::diag!(
            crate::diag::WARNING,
            "Stream does not start with requested FLV frame, ignoring data... "
        );
        rd.ignored_flv_frames += 1;
        return if rd.ignored_flv_frames > MAX_IGNORED_FRAMES {
            Verdict::Error
        } else {
            Verdict::Ignore
        };
    }
    if ty != PT_AGGREGATE && rd.flags & READ_NO_IGNORE == 0 {
        if ts == 0 {
            return Verdict::Ignore;
        }
        rd.flags |= READ_NO_IGNORE;
    }
    Verdict::Keep(skip)
}

/// The resume keyframe inside an aggregate message at timestamp 0: how many bytes to skip (up
/// to and including it), or the verdict when it is not there.
fn find_keyframe(rd: &mut Resume<'_>, frame: &[u8], body: &[u8]) -> Result<usize, Verdict> {
    let mut skip = 0usize;
    let mut last_ts = 0u32;
    let mut stopped = false;
    for tag in flv::aggregate_tags(body) {
        // librtmp's walk wants a byte past the header.
        if tag.pos + flv::TAG_HEADER_LEN >= body.len() {
            break;
        }
        let t = tag.timestamp;
        last_ts = t;
        if tag.tag_type == rd.initial_frame_type {
            if t == rd.resume_ts {
                crate::diag!(
                    crate::diag::DEBUG,
                    "Found keyframe with resume-keyframe timestamp!"
                );
                if tag.data(body) != Some(frame) {
                    crate::diag!(crate::diag::ERROR, "FLV Stream: Keyframe doesn't match!");
                    return Err(Verdict::Error);
                }
                rd.flags |= READ_GOTFLVK;
                if !tag.has_prev_size(body) {
                    crate::diag!(
                        crate::diag::WARNING,
                        "Resume keyframe is the last tag of its message and has no tag size: stream corrupt!"
                    );
                    return Err(Verdict::Error);
                }
                skip = tag.end();
                stopped = true;
                break;
            } else if rd.resume_ts < t {
                stopped = true;
                break;
            }
        }
    }
    if !stopped && last_ts < rd.resume_ts {
        crate::diag!(crate::diag::ERROR, "First packet does not contain keyframe, all timestamps are smaller than the keyframe timestamp; probably the resume seek failed?");
    }
    if rd.flags & READ_GOTFLVK == 0 {
        crate::diag!(
            crate::diag::ERROR,
            "Couldn't find the seeked keyframe in this chunk!"
        );
        return Err(Verdict::Ignore);
    }
    Ok(skip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state<'a>(frame: &'a [u8]) -> Resume<'a> {
        Resume {
            flags: READ_RESUME,
            resume_ts: 1000,
            initial_frame: Some(frame),
            initial_frame_type: PT_VIDEO,
            ..Resume::default()
        }
    }

    #[test]
    fn keyframe_at_zero_then_media() {
        let kf = [0x17, 1, 2, 3, 4, 5];
        let mut rd = state(&kf);
        assert_eq!(check(&mut rd, PT_VIDEO, 0, &kf), Verdict::Ignore);
        assert!(rd.flags & READ_GOTKF != 0);
        // Timestamp 0 after the keyframe is still ignored; the first later one is kept.
        assert_eq!(check(&mut rd, PT_AUDIO, 0, &[0xaf, 1]), Verdict::Ignore);
        assert_eq!(check(&mut rd, PT_AUDIO, 40, &[0xaf, 1]), Verdict::Keep(0));
        assert!(rd.flags & READ_NO_IGNORE != 0);
    }

    #[test]
    fn absolute_timestamps_and_rewind() {
        let kf = [0x17, 1, 2, 3, 4, 5];
        let mut rd = state(&kf);
        assert_eq!(check(&mut rd, PT_VIDEO, 1000, &kf), Verdict::Ignore);
        assert!(rd.flags & READ_ABSOLUTE != 0);
        let mut rd = state(&kf);
        assert_eq!(check(&mut rd, PT_VIDEO, 2000, &kf), Verdict::SeekToStart);
        assert!(rd.flags & READ_REWOUND != 0);
        // After the rewind, frames before the keyframe are skipped.
        assert_eq!(check(&mut rd, PT_VIDEO, 500, &kf), Verdict::Ignore);
    }

    #[test]
    fn wrong_frames_give_up_after_fifty() {
        let kf = [0x17, 1, 2, 3, 4, 5];
        let mut rd = state(&kf);
        for _ in 0..MAX_IGNORED_FRAMES {
            assert_eq!(
                check(&mut rd, PT_VIDEO, 0, &[0x27, 0, 0, 0, 0, 0]),
                Verdict::Ignore
            );
        }
        assert_eq!(
            check(&mut rd, PT_VIDEO, 0, &[0x27, 0, 0, 0, 0, 0]),
            Verdict::Error
        );
    }

    #[test]
    fn metadata_mismatch_is_an_error() {
        let mut meta = Vec::new();
        crate::amf::Value::string("onMetaData").encode(&mut meta);
        let mut other = meta.clone();
        crate::amf::Value::Number(1.0).encode(&mut other);
        let mut rd = Resume {
            flags: READ_RESUME,
            resume_ts: 1000,
            meta_header: Some(&meta),
            ..Resume::default()
        };
        assert_eq!(check(&mut rd, PT_INFO, 0, &other), Verdict::Error);
    }

    #[test]
    fn keyframe_inside_an_aggregate() {
        let kf = [0x17, 9, 9, 9, 9, 9];
        let mut body = Vec::new();
        flv::push_tag(&mut body, PT_AUDIO, 980, &[0xaf, 1]);
        flv::push_tag(&mut body, PT_VIDEO, 1000, &kf);
        let after = body.len();
        flv::push_tag(&mut body, PT_AUDIO, 1020, &[0xaf, 2]);
        let mut rd = state(&kf);
        assert_eq!(check(&mut rd, PT_AGGREGATE, 0, &body), Verdict::Keep(after));
        assert!(rd.flags & READ_GOTFLVK != 0);
        // A different keyframe at that timestamp is an error.
        let mut rd = state(&[0x17, 0]);
        assert_eq!(check(&mut rd, PT_AGGREGATE, 0, &body), Verdict::Error);
        // No keyframe: ignored.
        let mut rd = state(&kf);
        assert_eq!(
            check(&mut rd, PT_AGGREGATE, 0, &body[..after - 30]),
            Verdict::Ignore
        );
    }
}
