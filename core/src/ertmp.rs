//! Enhanced RTMP (the veovera E-RTMP v1/v2 specification), sans-IO: the connect-time capability
//! options (`fourCcList`, `videoFourCcInfoMap`, `audioFourCcInfoMap`, `capsEx`), their
//! validation and AMF0 encoding, the server's capabilities in a connect `_result`, the
//! `NetConnection.Connect.ReconnectRequest` target, and the recognition of enhanced audio/video
//! tag headers (which `RTMP_Read`'s legacy size rules must not touch).
//!
//! The capability options are kept between `RTMP_SetOpt` and the connect as one byte string,
//! [`Caps::to_blob`]: the AMF0 named properties exactly as they go into the connect command
//! object (the FFI layer stores it in the handle, see `docs/compat.md`).

use std::borrow::Cow;

use crate::amf::{Property, Value};

/// The options this module adds to `RTMP_SetOpt` / `RTMP_SetupURL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapsOption {
    FourCcList,
    VideoFourCcInfoMap,
    AudioFourCcInfoMap,
    CapsEx,
}

impl CapsOption {
    /// The option name, which is also the connect property's name.
    pub fn name(self) -> &'static str {
        match self {
            CapsOption::FourCcList => "fourCcList",
            CapsOption::VideoFourCcInfoMap => "videoFourCcInfoMap",
            CapsOption::AudioFourCcInfoMap => "audioFourCcInfoMap",
            CapsOption::CapsEx => "capsEx",
        }
    }

    const ALL: [CapsOption; 4] = [
        CapsOption::FourCcList,
        CapsOption::VideoFourCcInfoMap,
        CapsOption::AudioFourCcInfoMap,
        CapsOption::CapsEx,
    ];
}

/// The option called `name` (the option AVal's C string, whose `av_len` is `len`): the same
/// length and equal ignoring ASCII case, as librtmp matches its own option names.
pub fn find_option(name: &[u8], len: i32) -> Option<CapsOption> {
    CapsOption::ALL.into_iter().find(|o| {
        o.name().len() as i64 == i64::from(len)
            && name
                .get(..o.name().len())
                .is_some_and(|n| n.eq_ignore_ascii_case(o.name().as_bytes()))
    })
}

/// `FourCcInfoMask` bits of the info maps.
pub const CAN_DECODE: u32 = 0x01;
pub const CAN_ENCODE: u32 = 0x02;
pub const CAN_FORWARD: u32 = 0x04;
const INFO_MASK: u32 = CAN_DECODE | CAN_ENCODE | CAN_FORWARD;

/// `CapsExMask` bits.
pub const CAPS_EX_RECONNECT: u32 = 0x01;
pub const CAPS_EX_MULTITRACK: u32 = 0x02;
pub const CAPS_EX_MODEX: u32 = 0x04;
pub const CAPS_EX_TIMESTAMP_NANO_OFFSET: u32 = 0x08;
const CAPS_EX_MASK: u32 =
    CAPS_EX_RECONNECT | CAPS_EX_MULTITRACK | CAPS_EX_MODEX | CAPS_EX_TIMESTAMP_NANO_OFFSET;

/// The wildcard entry the specification allows in place of a FourCC.
pub const WILDCARD: &[u8] = b"*";

/// The client capabilities to announce in the connect command object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Caps {
    pub fourcc_list: Option<Vec<Vec<u8>>>,
    pub video_map: Option<Vec<(Vec<u8>, u32)>>,
    pub audio_map: Option<Vec<(Vec<u8>, u32)>>,
    pub caps_ex: Option<u32>,
}

fn show(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// A FourCC entry: exactly four printable ASCII characters other than `,` and `:`, or `*`.
fn check_fourcc(opt: CapsOption, entry: &[u8]) -> Result<(), String> {
    if entry == WILDCARD {
        return Ok(());
    }
    let printable = |b: &u8| (0x21..=0x7e).contains(b) && *b != b',' && *b != b':';
    if entry.len() != 4 || !entry.iter().all(printable) {
        return Err(format!(
            "{}: '{}' is not a FourCC (exactly 4 printable characters, or *)",
            opt.name(),
            show(entry)
        ));
    }
    Ok(())
}

/// A non-negative integer in decimal or `0x` hexadecimal, at most `max`.
fn parse_uint(text: &[u8], max: u32) -> Option<u32> {
    let (digits, radix) = match text {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16),
        _ => (text, 10),
    };
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    let s = std::str::from_utf8(digits).ok()?;
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let v = u64::from_str_radix(s, radix).ok()?;
    (v <= u64::from(max)).then_some(v as u32)
}

fn split_list(opt: CapsOption, value: &[u8]) -> Result<Vec<&[u8]>, String> {
    if value.is_empty() {
        return Err(format!("{}: empty value", opt.name()));
    }
    let entries: Vec<&[u8]> = value.split(|&b| b == b',').collect();
    if entries.len() > MAX_ENTRIES {
        return Err(format!(
            "{}: {} entries, at most {MAX_ENTRIES}",
            opt.name(),
            entries.len()
        ));
    }
    Ok(entries)
}

/// At most this many entries in one list or map (keeps the connect command far below
/// librtmp's 4 KiB limit together with the other fields).
pub const MAX_ENTRIES: usize = 64;

/// `fourCcList=hvc1,av01,Opus`.
pub fn parse_fourcc_list(value: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let opt = CapsOption::FourCcList;
    let mut out = Vec::new();
    for e in split_list(opt, value)? {
        check_fourcc(opt, e)?;
        out.push(e.to_vec());
    }
    Ok(out)
}

/// `videoFourCcInfoMap=hvc1:3,*:4` (flags: decode 1, encode 2, forward 4).
pub fn parse_info_map(opt: CapsOption, value: &[u8]) -> Result<Vec<(Vec<u8>, u32)>, String> {
    let mut out: Vec<(Vec<u8>, u32)> = Vec::new();
    for e in split_list(opt, value)? {
        let Some(colon) = e.iter().position(|&b| b == b':') else {
            return Err(format!("{}: '{}' is not fourcc:flags", opt.name(), show(e)));
        };
        let (key, flags) = (&e[..colon], &e[colon + 1..]);
        check_fourcc(opt, key)?;
        let Some(f) = parse_uint(flags, INFO_MASK) else {
            return Err(format!(
                "{}: flags '{}' of {} are not a number from 0 to 7 (decode 1, encode 2, forward 4)",
                opt.name(),
                show(flags),
                show(key)
            ));
        };
        if out.iter().any(|(k, _)| k == key) {
            return Err(format!("{}: {} given twice", opt.name(), show(key)));
        }
        out.push((key.to_vec(), f));
    }
    Ok(out)
}

/// `capsEx=3`: a bit set of the specification's `CapsExMask` (reconnect 1, multitrack 2,
/// ModEx 4, timestamp nano offset 8).
pub fn parse_caps_ex(value: &[u8]) -> Result<u32, String> {
    parse_uint(value, CAPS_EX_MASK).ok_or_else(|| {
        format!(
            "capsEx: '{}' is not a number from 0 to 15 (reconnect 1, multitrack 2, ModEx 4, \
             timestamp nano offset 8)",
            show(value)
        )
    })
}

fn map_value(map: &[(Vec<u8>, u32)]) -> Value<'_> {
    Value::Object(
        map.iter()
            .map(|(k, f)| Property {
                name: Cow::Borrowed(k),
                value: Value::Number(f64::from(*f)),
            })
            .collect(),
    )
}

fn map_from(v: &Value<'_>) -> Option<Vec<(Vec<u8>, u32)>> {
    let Value::Object(props) = v else { return None };
    Some(
        props
            .iter()
            .map(|p| (p.name.to_vec(), p.value.as_number().unwrap_or(0.0) as u32))
            .collect(),
    )
}

impl Caps {
    pub fn is_empty(&self) -> bool {
        *self == Caps::default()
    }

    /// Validates `value` for `opt` and stores it (a repeated option replaces the earlier one).
    /// The error text is the ERROR line to log.
    pub fn set(&mut self, opt: CapsOption, value: &[u8]) -> Result<(), String> {
        match opt {
            CapsOption::FourCcList => self.fourcc_list = Some(parse_fourcc_list(value)?),
            CapsOption::VideoFourCcInfoMap => self.video_map = Some(parse_info_map(opt, value)?),
            CapsOption::AudioFourCcInfoMap => self.audio_map = Some(parse_info_map(opt, value)?),
            CapsOption::CapsEx => self.caps_ex = Some(parse_caps_ex(value)?),
        }
        Ok(())
    }

    /// The connect command object's properties, with the specification's AMF types:
    /// `fourCcList` a strict array of strings, the info maps objects of FourCC → number,
    /// `capsEx` a number.
    pub fn properties(&self) -> Vec<Property<'_>> {
        let mut v = Vec::new();
        if let Some(list) = &self.fourcc_list {
            let items = list
                .iter()
                .map(|f| Property::unnamed(Value::String(Cow::Borrowed(f))))
                .collect();
            v.push(Property::new("fourCcList", Value::StrictArray(items)));
        }
        if let Some(m) = &self.video_map {
            v.push(Property::new("videoFourCcInfoMap", map_value(m)));
        }
        if let Some(m) = &self.audio_map {
            v.push(Property::new("audioFourCcInfoMap", map_value(m)));
        }
        if let Some(c) = self.caps_ex {
            v.push(Property::new("capsEx", Value::Number(f64::from(c))));
        }
        v
    }

    /// The encoded properties (what the handle keeps between the option and the connect).
    pub fn to_blob(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for p in self.properties() {
            p.encode(&mut out);
        }
        out
    }

    /// Reads back what [`Caps::to_blob`] wrote; anything else is dropped.
    pub fn from_blob(mut blob: &[u8]) -> Caps {
        let mut c = Caps::default();
        while !blob.is_empty() {
            let Ok((p, n)) = Property::decode_one(blob, true) else {
                break;
            };
            match (&*p.name, &p.value) {
                (b"fourCcList", Value::StrictArray(items)) => {
                    c.fourcc_list = Some(
                        items
                            .iter()
                            .filter_map(|i| i.value.as_str().map(<[u8]>::to_vec))
                            .collect(),
                    )
                }
                (b"videoFourCcInfoMap", v) => c.video_map = map_from(v),
                (b"audioFourCcInfoMap", v) => c.audio_map = map_from(v),
                (b"capsEx", v) => c.caps_ex = v.as_number().map(|n| n as u32),
                _ => {}
            }
            if n == 0 {
                break;
            }
            blob = &blob[n..];
        }
        c
    }
}

// ---------------------------------------------------------------------------------------------
// What the server says

fn describe_value(v: &Value<'_>, out: &mut String) {
    match v {
        Value::Number(n) => out.push_str(&format!("{n}")),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => out.push_str(&show(s)),
        Value::StrictArray(items) => {
            out.push('[');
            for (i, p) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                describe_value(&p.value, out);
            }
            out.push(']');
        }
        Value::Object(props) | Value::EcmaArray(props) => {
            out.push('{');
            for (i, p) in props.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&show(&p.name));
                out.push(':');
                describe_value(&p.value, out);
            }
            out.push('}');
        }
        _ => out.push('?'),
    }
}

/// The E-RTMP capabilities a server states in its connect `_result` (the properties and the
/// information objects, arguments 3 and 4), as one line: `None` when it states none.
pub fn server_caps_line(props: &[Property<'_>]) -> Option<String> {
    let mut parts = Vec::new();
    for arg in props.iter().skip(2) {
        let Some(members) = arg.value.props() else {
            continue;
        };
        for p in members {
            if CapsOption::ALL
                .iter()
                .any(|o| o.name().as_bytes() == &*p.name)
            {
                let mut s = format!("{}=", show(&p.name));
                describe_value(&p.value, &mut s);
                parts.push(s);
            }
        }
    }
    (!parts.is_empty()).then(|| format!("server E-RTMP capabilities: {}", parts.join(" ")))
}

/// Where a `NetConnection.Connect.ReconnectRequest` asks the client to go: the info object's
/// `tcUrl` resolved against the current tcUrl (absolute, `//host/app`, `/app` or a relative
/// path), or the current tcUrl when it has none.
pub fn reconnect_target(current: &[u8], given: Option<&[u8]>) -> Vec<u8> {
    let Some(r) = given.filter(|g| !g.is_empty()) else {
        return current.to_vec();
    };
    let find = |s: &[u8], pat: &[u8]| s.windows(pat.len()).position(|w| w == pat);
    if find(r, b"://").is_some() {
        return r.to_vec();
    }
    let scheme_end = find(current, b"://");
    if r.starts_with(b"//") {
        let scheme = scheme_end.map_or(&b"rtmp"[..], |e| &current[..e]);
        return [scheme, b":", r].concat();
    }
    let authority_end = scheme_end.map_or(0, |e| {
        let from = e + 3;
        current[from..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(current.len(), |k| from + k)
    });
    if r.starts_with(b"/") {
        return [&current[..authority_end], r].concat();
    }
    let dir_end = current
        .iter()
        .rposition(|&b| b == b'/')
        .filter(|&k| k >= authority_end)
        .map_or(current.len(), |k| k);
    [&current[..dir_end], b"/", r].concat()
}

// ---------------------------------------------------------------------------------------------
// Enhanced tag headers

/// A video message body with the E-RTMP ExVideoTagHeader (`IsExHeader`, the top bit of the
/// first byte).
pub fn is_ex_video(body: &[u8]) -> bool {
    body.first().is_some_and(|b| b & 0x80 != 0)
}

/// An audio message body with the E-RTMP ExAudioTagHeader (`SoundFormat` 9 in the first
/// byte's high nibble).
pub fn is_ex_audio(body: &[u8]) -> bool {
    body.first().is_some_and(|b| b >> 4 == 9)
}

/// The AMF0 string `@setDataFrame` as it starts a data message.
pub const SET_DATA_FRAME: &[u8] = b"\x02\x00\x0d@setDataFrame";

/// How many leading bytes of a data message body wrap its metadata: the length of the
/// `@setDataFrame` string when `onMetaData` follows it, else 0.
pub fn set_data_frame_prefix(body: &[u8]) -> usize {
    const ON_META: &[u8] = b"\x02\x00\x0aonMetaData";
    if body.starts_with(SET_DATA_FRAME) && body[SET_DATA_FRAME.len()..].starts_with(ON_META) {
        SET_DATA_FRAME.len()
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(opts: &[(CapsOption, &str)]) -> Result<Caps, String> {
        let mut c = Caps::default();
        for (o, v) in opts {
            c.set(*o, v.as_bytes())?;
        }
        Ok(c)
    }

    #[test]
    fn option_names() {
        assert_eq!(find_option(b"fourCcList", 10), Some(CapsOption::FourCcList));
        assert_eq!(find_option(b"FOURCCLIST", 10), Some(CapsOption::FourCcList));
        assert_eq!(find_option(b"fourCcList", 9), None);
        assert_eq!(find_option(b"capsEx=1", 6), Some(CapsOption::CapsEx));
        assert_eq!(
            find_option(b"videoFourCcInfoMap", 18),
            Some(CapsOption::VideoFourCcInfoMap)
        );
        assert_eq!(find_option(b"caps", 4), None);
    }

    #[test]
    fn fourcc_list_validation() {
        assert_eq!(
            parse_fourcc_list(b"hvc1,av01,Opus").unwrap(),
            vec![b"hvc1".to_vec(), b"av01".to_vec(), b"Opus".to_vec()]
        );
        assert_eq!(parse_fourcc_list(b".mp3,ac-3,*").unwrap()[2], b"*".to_vec());
        // '#'-separated bad values (the first is empty)
        for bad in "#hvc#hvc1,#,hvc1#hvc1,av011#hv c#a:b1"
            .split('#')
            .map(str::as_bytes)
        {
            assert!(parse_fourcc_list(bad).is_err(), "{:?}", show(bad));
        }
        let many = vec!["avc1"; MAX_ENTRIES + 1].join(",");
        assert!(parse_fourcc_list(many.as_bytes()).is_err());
    }

    #[test]
    fn info_map_validation() {
        let o = CapsOption::VideoFourCcInfoMap;
        assert_eq!(
            parse_info_map(o, b"hvc1:3,*:4,av01:0x7").unwrap(),
            vec![
                (b"hvc1".to_vec(), 3),
                (b"*".to_vec(), 4),
                (b"av01".to_vec(), 7)
            ]
        );
        for bad in "#hvc1#hvc1:#hvc1:8#hvc1:-1#hvc:1#hvc1:1,hvc1:2#hvc1:1x#**:1"
            .split('#')
            .map(str::as_bytes)
        {
            let e = parse_info_map(o, bad).unwrap_err();
            assert!(e.starts_with("videoFourCcInfoMap: "), "{e}");
        }
    }

    #[test]
    fn caps_ex_validation() {
        assert_eq!(parse_caps_ex(b"0").unwrap(), 0);
        assert_eq!(parse_caps_ex(b"15").unwrap(), 15);
        assert_eq!(parse_caps_ex(b"0x6").unwrap(), 6);
        for bad in [&b""[..], b"16", b"-1", b"x", b"1.5", b"0x", b"99999999999"] {
            assert!(parse_caps_ex(bad).is_err());
        }
    }

    #[test]
    fn encoding_uses_the_specified_amf_types() {
        let c = caps(&[(CapsOption::FourCcList, "hvc1,av01")]).unwrap();
        let mut want = vec![0, 10];
        want.extend_from_slice(b"fourCcList");
        want.extend_from_slice(&[0x0a, 0, 0, 0, 2]);
        want.extend_from_slice(b"\x02\x00\x04hvc1\x02\x00\x04av01");
        assert_eq!(c.to_blob(), want);

        let c = caps(&[
            (CapsOption::CapsEx, "3"),
            (CapsOption::AudioFourCcInfoMap, "Opus:3"),
            (CapsOption::VideoFourCcInfoMap, "*:4"),
        ])
        .unwrap();
        let blob = c.to_blob();
        let mut want = Vec::new();
        want.extend_from_slice(b"\x00\x12videoFourCcInfoMap\x03\x00\x01*\x00");
        want.extend_from_slice(&4f64.to_be_bytes());
        want.extend_from_slice(b"\x00\x00\x09");
        want.extend_from_slice(b"\x00\x12audioFourCcInfoMap\x03\x00\x04Opus\x00");
        want.extend_from_slice(&3f64.to_be_bytes());
        want.extend_from_slice(b"\x00\x00\x09");
        want.extend_from_slice(b"\x00\x06capsEx\x00");
        want.extend_from_slice(&3f64.to_be_bytes());
        assert_eq!(blob, want);
        assert_eq!(Caps::from_blob(&blob), c);
        assert!(Caps::from_blob(&[]).is_empty());
    }

    #[test]
    fn repeated_option_replaces_and_bad_value_keeps_the_old() {
        let mut c = caps(&[(CapsOption::CapsEx, "1")]).unwrap();
        c.set(CapsOption::CapsEx, b"2").unwrap();
        assert_eq!(c.caps_ex, Some(2));
        assert!(c.set(CapsOption::CapsEx, b"99").is_err());
        assert_eq!(c.caps_ex, Some(2));
    }

    #[test]
    fn server_caps() {
        let props = vec![
            Property::unnamed(Value::string("_result")),
            Property::unnamed(Value::Number(1.0)),
            Property::unnamed(Value::Object(vec![
                Property::new("fmsVer", Value::string("x")),
                Property::new("capsEx", Value::Number(3.0)),
                Property::new(
                    "fourCcList",
                    Value::StrictArray(vec![Property::unnamed(Value::string("hvc1"))]),
                ),
            ])),
            Property::unnamed(Value::Object(vec![Property::new(
                "videoFourCcInfoMap",
                Value::Object(vec![Property::new("av01", Value::Number(4.0))]),
            )])),
        ];
        assert_eq!(
            server_caps_line(&props).unwrap(),
            "server E-RTMP capabilities: capsEx=3 fourCcList=[hvc1] videoFourCcInfoMap={av01:4}"
        );
        assert!(server_caps_line(&props[..2]).is_none());
    }

    #[test]
    fn reconnect_targets() {
        let cur = b"rtmp://old.example:1935/live/inst";
        let t = |g: Option<&str>| {
            String::from_utf8(reconnect_target(cur, g.map(str::as_bytes))).unwrap()
        };
        assert_eq!(t(None), "rtmp://old.example:1935/live/inst");
        assert_eq!(t(Some("")), "rtmp://old.example:1935/live/inst");
        assert_eq!(t(Some("rtmps://n:443/app")), "rtmps://n:443/app");
        assert_eq!(t(Some("//192.0.2.0/rt")), "rtmp://192.0.2.0/rt");
        assert_eq!(t(Some("/rt")), "rtmp://old.example:1935/rt");
        assert_eq!(t(Some("other")), "rtmp://old.example:1935/live/other");
        assert_eq!(
            String::from_utf8(reconnect_target(b"rtmp://h", Some(b"x"))).unwrap(),
            "rtmp://h/x"
        );
    }

    #[test]
    fn ex_headers() {
        assert!(is_ex_video(&[0x92, b'h', b'v', b'c', b'1']));
        assert!(!is_ex_video(&[0x17, 0, 0, 0, 0]));
        assert!(!is_ex_video(&[]));
        assert!(is_ex_audio(&[0x92]));
        assert!(!is_ex_audio(&[0xaf, 1]));
        assert!(!is_ex_audio(&[]));
    }

    #[test]
    fn set_data_frame() {
        let mut b = SET_DATA_FRAME.to_vec();
        b.extend_from_slice(b"\x02\x00\x0aonMetaData\x08\0\0\0\0\0\0\x09");
        assert_eq!(set_data_frame_prefix(&b), 16);
        assert_eq!(set_data_frame_prefix(&b[16..]), 0);
        let mut other = SET_DATA_FRAME.to_vec();
        other.extend_from_slice(b"\x02\x00\x0aonCuePoint");
        assert_eq!(set_data_frame_prefix(&other), 0);
    }
}
