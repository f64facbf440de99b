//! The NetConnection / NetStream command messages the play-side client sends (bodies only,
//! AMF0), and the small parsers it needs for what the server sends back: the `onMetaData`
//! summary librtmp logs, property searches, and the SecureToken (XXTEA) decoder.
//!
//! Field order and values follow librtmp 2.4 (see `shared/reference/behavior.md` §6.3).

use std::borrow::Cow;

use super::amf::{Property, Value};

/// Largest connect body librtmp can build (its 4096-byte buffer minus the header room).
pub const MAX_CONNECT_BODY: usize = 4096 - 18;

fn s(b: &[u8]) -> Value<'_> {
    Value::String(Cow::Borrowed(b))
}

fn named<'a>(name: &'static str, v: Value<'a>) -> Property<'a> {
    Property::new(name, v)
}

/// What goes into the `connect` command object.
#[derive(Debug, Default, Clone)]
pub struct ConnectInfo<'a> {
    pub app: &'a [u8],
    /// Publishing (`RTMP_FEATURE_WRITE`): adds `type: "nonprivate"`, drops the player fields.
    pub write: bool,
    pub flash_ver: &'a [u8],
    pub swf_url: &'a [u8],
    pub tc_url: &'a [u8],
    pub page_url: &'a [u8],
    pub audio_codecs: f64,
    pub video_codecs: f64,
    /// `objectEncoding`, when it is to be sent.
    pub object_encoding: Option<f64>,
    /// `(RTMP_LF_AUTH set, Link.auth)` when `Link.auth` is non-empty.
    pub auth: Option<(bool, &'a [u8])>,
    /// The E-RTMP capability properties (`fourCcList`, ...) to close the object with; empty
    /// unless the caller set the options (see [`crate::ertmp`]).
    pub enhanced: Vec<Property<'a>>,
}

/// The `connect` body without the `conn=` extras (the caller appends them).
pub fn connect(info: &ConnectInfo<'_>, txn: f64) -> Vec<u8> {
    let mut obj = vec![named("app", s(info.app))];
    if info.write {
        obj.push(named("type", s(b"nonprivate")));
    }
    for (name, v) in [
        ("flashVer", info.flash_ver),
        ("swfUrl", info.swf_url),
        ("tcUrl", info.tc_url),
    ] {
        if !v.is_empty() {
            obj.push(named(name, s(v)));
        }
    }
    if !info.write {
        obj.push(named("fpad", Value::Boolean(false)));
        obj.push(named("capabilities", Value::Number(15.0)));
        obj.push(named("audioCodecs", Value::Number(info.audio_codecs)));
        obj.push(named("videoCodecs", Value::Number(info.video_codecs)));
        obj.push(named("videoFunction", Value::Number(1.0)));
        if !info.page_url.is_empty() {
            obj.push(named("pageUrl", s(info.page_url)));
        }
    }
    if let Some(e) = info.object_encoding {
        obj.push(named("objectEncoding", Value::Number(e)));
    }
    obj.extend(info.enhanced.iter().cloned());
    let mut values = vec![s(b"connect"), Value::Number(txn), Value::Object(obj)];
    if let Some((flag, auth)) = info.auth {
        values.push(Value::Boolean(flag));
        values.push(s(auth));
    }
    Value::encode_all(&values)
}

/// `name, txn, null, args...`: the shape of nearly every client command.
pub fn call(name: &[u8], txn: f64, args: &[Value<'_>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + name.len());
    s(name).encode(&mut out);
    Value::Number(txn).encode(&mut out);
    Value::Null.encode(&mut out);
    for a in args {
        a.encode(&mut out);
    }
    out
}

/// `play`: start is -1000 for live streams, else the seek time (ms) when positive, else 0;
/// a length is added when a stop time is set.
pub fn play(txn: f64, playpath: &[u8], live: bool, seek_ms: i32, stop_ms: i32) -> Vec<u8> {
    let start = if live {
        -1000.0
    } else if seek_ms > 0 {
        f64::from(seek_ms)
    } else {
        0.0
    };
    let mut args = vec![s(playpath), Value::Number(start)];
    if stop_ms != 0 {
        args.push(Value::Number(f64::from(stop_ms) - f64::from(seek_ms)));
    }
    call(b"play", txn, &args)
}

/// `set_playlist` (librtmp sends transaction id 0 and an ECMA array whose count field says 3).
pub fn set_playlist(playpath: &[u8]) -> Vec<u8> {
    let mut out = call(b"set_playlist", 0.0, &[]);
    out.push(0x08);
    out.extend_from_slice(&[0, 0, 0, 3]);
    Property::new("0", s(playpath)).encode(&mut out);
    out.extend_from_slice(&[0, 0, 9]);
    out
}

/// `pause` (flag, position in ms).
pub fn pause(txn: f64, on: bool, ms: i32) -> Vec<u8> {
    call(
        b"pause",
        txn,
        &[Value::Boolean(on), Value::Number(f64::from(ms))],
    )
}

/// A property of a decoded message that librtmp searches: depth-first, the first whose name
/// equals `name`, descending into objects and ECMA arrays.
pub fn find_first<'p, 'a>(props: &'p [Property<'a>], name: &[u8]) -> Option<&'p Value<'a>> {
    for p in props {
        if &*p.name == name {
            return Some(&p.value);
        }
        if let Value::Object(inner) | Value::EcmaArray(inner) = &p.value {
            if let Some(v) = find_first(inner, name) {
                return Some(v);
            }
        }
    }
    None
}

/// Whether some property name is longer than `prefix` and starts with it (descending into
/// objects only, as librtmp's prefix search does).
pub fn has_prefix(props: &[Property<'_>], prefix: &[u8]) -> bool {
    props.iter().any(|p| {
        (p.name.len() > prefix.len() && p.name.starts_with(prefix))
            || matches!(&p.value, Value::Object(inner) if has_prefix(inner, prefix))
    })
}

/// The INFO lines librtmp prints for `onMetaData` (after its "Metadata:" line), each
/// `"  %-22.*s%s"`; nested objects print `name:` and their members.
pub fn metadata_lines(props: &[Property<'_>], out: &mut Vec<Vec<u8>>) {
    for p in props {
        let value: Vec<u8> = match &p.value {
            Value::Number(n) => fixed2(*n),
            Value::Boolean(b) => {
                if *b {
                    b"TRUE".to_vec()
                } else {
                    b"FALSE".to_vec()
                }
            }
            Value::String(v) => {
                let v = c_str(v);
                v.strip_suffix(b"\n").unwrap_or(v).to_vec()
            }
            Value::Date(n, _) => {
                let mut v = b"timestamp:".to_vec();
                v.extend_from_slice(&fixed2(*n));
                v
            }
            Value::Object(inner) | Value::EcmaArray(inner) | Value::StrictArray(inner) => {
                if !p.name.is_empty() {
                    let mut line = c_str(&p.name).to_vec();
                    line.push(b':');
                    out.push(line);
                }
                metadata_lines(inner, out);
                continue;
            }
            Value::Null => b"INVALID TYPE 0x05".to_vec(),
            Value::XmlDoc(_) => b"INVALID TYPE 0x0f".to_vec(),
        };
        // librtmp prints nothing for unnamed properties or empty values.
        if p.name.is_empty() || value.is_empty() {
            continue;
        }
        let mut line = b"  ".to_vec();
        let name = c_str(&p.name);
        line.extend_from_slice(name);
        line.resize(2 + name.len().max(22), b' ');
        line.extend_from_slice(&value);
        out.push(line);
    }
}

fn fixed2(x: f64) -> Vec<u8> {
    let mut v = Vec::new();
    super::amf::dump::c_fixed2(&mut v, x);
    v
}

/// What C's `%s` / `%.*s` prints of these bytes: up to the first NUL.
pub fn c_str(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |i| &b[..i])
}

/// SecureToken: decrypts the server's hex `secureToken` with XXTEA keyed by (the first 16
/// bytes of) `key`; returns the plaintext (half as many bytes as hex digits). `None` for an
/// empty or non-hex token (librtmp divides by zero or reads past the text on those).
pub fn decode_secure_token(key: &[u8], hex: &[u8]) -> Option<Vec<u8>> {
    if hex.is_empty() || hex.len() % 2 != 0 {
        return None;
    }
    let mut bytes = Vec::with_capacity(hex.len() / 2);
    for pair in hex.chunks(2) {
        let t = std::str::from_utf8(pair).ok()?;
        bytes.push(u8::from_str_radix(t, 16).ok()?);
    }
    let plain_len = bytes.len();
    while bytes.len() % 4 != 0 || bytes.len() < 8 {
        bytes.push(0);
    }
    let mut v: Vec<u32> = bytes
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut k = [0u32; 4];
    for (i, b) in key.iter().take(16).enumerate() {
        k[i / 4] |= u32::from(*b) << (8 * (i % 4));
    }
    xxtea_decrypt(&mut v, &k);
    let mut out: Vec<u8> = v.iter().flat_map(|w| w.to_le_bytes()).collect();
    out.truncate(plain_len);
    Some(out)
}

/// Corrected Block TEA (XXTEA) decryption in place.
fn xxtea_decrypt(v: &mut [u32], k: &[u32; 4]) {
    const DELTA: u32 = 0x9E37_79B9;
    let n = v.len();
    if n < 2 {
        return;
    }
    let rounds = 6 + 52 / n as u32;
    let mut sum = rounds.wrapping_mul(DELTA);
    let mut y = v[0];
    let mx = |sum: u32, y: u32, z: u32, p: usize, e: u32| -> u32 {
        (((z >> 5) ^ (y << 2)).wrapping_add((y >> 3) ^ (z << 4)))
            ^ ((sum ^ y).wrapping_add(k[(p & 3) ^ e as usize] ^ z))
    };
    for _ in 0..rounds {
        let e = (sum >> 2) & 3;
        for p in (1..n).rev() {
            let z = v[p - 1];
            v[p] = v[p].wrapping_sub(mx(sum, y, z, p, e));
            y = v[p];
        }
        let z = v[n - 1];
        v[0] = v[0].wrapping_sub(mx(sum, y, z, 0, e));
        y = v[0];
        sum = sum.wrapping_sub(DELTA);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    #[test]
    fn connect_matches_golden_rtmpdump_body() {
        // probes/golden_connect.txt (1): body of the connect sent by Debian's rtmpdump.
        let golden = hex(
            "02 00 07 63 6f 6e 6e 65 63 74 00 3f f0 00 00 00 00 00 00 03 00 03 61 70 70 02 00 03
             61 70 70 00 08 66 6c 61 73 68 56 65 72 02 00 0e 4c 4e 58 20 31 30 2c 30 2c 33 32 2c
             31 38 00 05 74 63 55 72 6c 02 00 1a 72 74 6d 70 3a 2f 2f 31 32 37 2e 30 2e 30 2e 31
             3a 31 39 33 35 31 2f 61 70 70 00 04 66 70 61 64 01 00 00 0c 63 61 70 61 62 69 6c 69
             74 69 65 73 00 40 2e 00 00 00 00 00 00 00 0b 61 75 64 69 6f 43 6f 64 65 63 73 00 40
             a8 ee 00 00 00 00 00 00 0b 76 69 64 65 6f 43 6f 64 65 63 73 00 40 6f 80 00 00 00 00
             00 00 0d 76 69 64 65 6f 46 75 6e 63 74 69 6f 6e 00 3f f0 00 00 00 00 00 00 00 00 09",
        );
        let info = ConnectInfo {
            app: b"app",
            flash_ver: b"LNX 10,0,32,18",
            tc_url: b"rtmp://127.0.0.1:19351/app",
            audio_codecs: 3191.0,
            video_codecs: 252.0,
            ..Default::default()
        };
        assert_eq!(connect(&info, 1.0), golden);
        assert_eq!(golden.len(), 0xc4);
    }

    #[test]
    fn play_arguments() {
        let b = play(4.0, b"x", false, 0, 0);
        let p = Property::decode_all(&b).unwrap();
        assert_eq!(p.len(), 5);
        assert_eq!(p[4].value, Value::Number(0.0));
        let p2 = play(4.0, b"x", true, 500, 0);
        assert_eq!(
            Property::decode_all(&p2).unwrap()[4].value,
            Value::Number(-1000.0)
        );
        let p3 = play(4.0, b"x", false, 2000, 5000);
        let d = Property::decode_all(&p3).unwrap();
        assert_eq!(d[4].value, Value::Number(2000.0));
        assert_eq!(d[5].value, Value::Number(3000.0));
    }

    #[test]
    fn metadata_text() {
        let props = vec![
            Property::new("duration", Value::Number(5.02)),
            Property::new("stereo", Value::Boolean(false)),
            Property::new("encoder", Value::string("Lavf\n")),
            Property::new("profile", Value::string("")),
        ];
        let mut out = Vec::new();
        metadata_lines(&props, &mut out);
        assert_eq!(out[0], b"  duration              5.02".to_vec());
        assert_eq!(out[1], b"  stereo                FALSE".to_vec());
        assert_eq!(out[2], b"  encoder               Lavf".to_vec());
        assert_eq!(out.len(), 3);
        assert!(has_prefix(&props, b"dur"));
        assert!(!has_prefix(&props, b"duration"));
        assert_eq!(find_first(&props, b"duration"), Some(&Value::Number(5.02)));
    }

    #[test]
    fn xxtea_roundtrip() {
        // encrypt with the reference algorithm, then decode
        fn enc(v: &mut [u32], k: &[u32; 4]) {
            let n = v.len();
            let rounds = 6 + 52 / n as u32;
            let mut sum = 0u32;
            let mut z = v[n - 1];
            for _ in 0..rounds {
                sum = sum.wrapping_add(0x9E37_79B9);
                let e = (sum >> 2) & 3;
                for p in 0..n {
                    let y = v[(p + 1) % n];
                    let mx = (((z >> 5) ^ (y << 2)).wrapping_add((y >> 3) ^ (z << 4)))
                        ^ ((sum ^ y).wrapping_add(k[(p & 3) ^ e as usize] ^ z));
                    v[p] = v[p].wrapping_add(mx);
                    z = v[p];
                }
            }
        }
        let key = b"secretkey1234567";
        let mut k = [0u32; 4];
        for (i, b) in key.iter().enumerate() {
            k[i / 4] |= u32::from(*b) << (8 * (i % 4));
        }
        let plain = b"hello world12345";
        let mut v: Vec<u32> = plain
            .chunks(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        enc(&mut v, &k);
        let hexs: String = v
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            decode_secure_token(key, hexs.as_bytes()).unwrap(),
            plain.to_vec()
        );
        assert!(decode_secure_token(key, b"").is_none());
        assert!(decode_secure_token(key, b"zz").is_none());
    }
}
