//! Session setup, sans-IO: splitting an `rtmp://` URL, deriving the play path, tokenising the
//! `name=value` options that follow a URL, the option table and the `conn=` argument syntax.
//!
//! Everything works on byte slices that stand for C strings: a slice ends where the C string
//! ends (its NUL or the slice end), and bytes read past the end count as NUL. Positions are
//! returned as offsets so that the FFI layer can turn them into pointers into the caller's
//! buffer (librtmp keeps pointers into the URL instead of copying).
//!
//! The behaviour follows the observable contract of librtmp 2.4, checked against the installed
//! library by `c-tests/diff_url.c`; the one intended difference here is that bracketed IPv6
//! literals (`rtmp://[::1]:1935/app`) are understood (see `docs/compat.md`, section Session setup).

use std::ops::Range;

use crate::diag::{DEBUG, ERROR, WARNING};

/// A log line to emit, in order, once a parse step is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub level: i32,
    pub text: Vec<u8>,
}

fn line(level: i32, parts: &[&[u8]]) -> LogLine {
    LogLine {
        level,
        text: parts.concat(),
    }
}

/// Byte at `i`, NUL when past the end (a C string read up to and beyond its terminator).
fn byte_at(buf: &[u8], i: usize) -> u8 {
    buf.get(i).copied().unwrap_or(0)
}

/// The C string that starts at `at`: up to the first NUL or the end of `buf`.
pub fn cstr_at(buf: &[u8], at: usize) -> &[u8] {
    let rest = buf.get(at..).unwrap_or(&[]);
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    &rest[..end]
}

fn find_byte(s: &[u8], b: u8) -> Option<usize> {
    s.iter().position(|&c| c == b)
}

fn find_sub(s: &[u8], pat: &[u8]) -> Option<usize> {
    if pat.is_empty() {
        return Some(0);
    }
    s.windows(pat.len()).position(|w| w == pat)
}

/// `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_digit(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// C `strtol(s, NULL, base)` for base 0, 10 or 16 on a 64-bit `long`: leading white space, an
/// optional sign, the `0x`/`0` prefixes of base 0, saturation at the `long` limits.
pub fn c_strtol(s: &[u8], base: u32) -> i64 {
    let mut i = 0;
    while is_c_space(byte_at(s, i)) {
        i += 1;
    }
    let mut negative = false;
    if matches!(byte_at(s, i), b'+' | b'-') {
        negative = byte_at(s, i) == b'-';
        i += 1;
    }
    let mut radix = base;
    let has_hex_prefix = byte_at(s, i) == b'0'
        && byte_at(s, i + 1).eq_ignore_ascii_case(&b'x')
        && hex_digit(byte_at(s, i + 2)).is_some();
    if (radix == 0 || radix == 16) && has_hex_prefix {
        radix = 16;
        i += 2;
    } else if radix == 0 {
        radix = if byte_at(s, i) == b'0' { 8 } else { 10 };
    }
    let mut magnitude: u64 = 0;
    let mut overflow = false;
    while let Some(d) = (byte_at(s, i) as char).to_digit(radix) {
        match magnitude
            .checked_mul(u64::from(radix))
            .and_then(|m| m.checked_add(u64::from(d)))
        {
            Some(m) => magnitude = m,
            None => overflow = true,
        }
        i += 1;
    }
    let limit = if negative {
        i64::MAX as u64 + 1
    } else {
        i64::MAX as u64
    };
    if overflow || magnitude > limit {
        return if negative { i64::MIN } else { i64::MAX };
    }
    if negative {
        (magnitude as i64).wrapping_neg()
    } else {
        magnitude as i64
    }
}

/// C `atoi`: `strtol` in base 10, truncated to `int`.
pub fn c_atoi(s: &[u8]) -> i32 {
    c_strtol(s, 10) as i32
}

/// glibc `sscanf(buf + at, "%02x", &c)`: skips white space, takes an optional sign, a `0x`
/// prefix and hex digits within a field of two characters. `None` when nothing converts (the
/// reference then uses an uninitialised value).
pub fn scan_hex2(buf: &[u8], at: usize) -> Option<u32> {
    let mut i = at;
    while is_c_space(byte_at(buf, i)) {
        i += 1;
    }
    let mut width = 2;
    let mut negative = false;
    if matches!(byte_at(buf, i), b'+' | b'-') {
        negative = byte_at(buf, i) == b'-';
        i += 1;
        width -= 1;
    }
    let mut digits = 0;
    let mut value: u32 = 0;
    if width > 0 && byte_at(buf, i) == b'0' {
        i += 1;
        width -= 1;
        digits += 1;
        if width > 0 && byte_at(buf, i).eq_ignore_ascii_case(&b'x') {
            i += 1;
            width -= 1;
        }
    }
    while width > 0 {
        let Some(d) = hex_digit(byte_at(buf, i)) else {
            break;
        };
        value = value * 16 + d;
        digits += 1;
        i += 1;
        width -= 1;
    }
    if digits == 0 {
        return None;
    }
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// The byte an escape (`%XX` in play paths, `\XX` in option values) stands for; a sequence
/// that does not convert keeps the escape character itself.
fn unescape_byte(buf: &[u8], escape_at: usize) -> u8 {
    match scan_hex2(buf, escape_at + 1) {
        Some(v) => v as u8,
        None => buf[escape_at],
    }
}

// ---------------------------------------------------------------------------------------------
// Play path

/// `RTMP_ParsePlaypath` on the C string `buf[start..]` limited to `len` bytes: `slist=` lists,
/// the `.flv/.mp4/.f4v/.mp3` rules and `%XX` unescaping. `buf[..start]` is the text before the
/// path (the rest of the URL), which the extension probe may look at like the reference does.
pub fn parse_playpath(buf: &[u8], start: usize, len: usize) -> Vec<u8> {
    let whole = cstr_at(buf, start);
    let mut first = start;
    let mut count = len as isize;
    let mut from_slist = false;
    if byte_at(buf, start) == b'?' {
        if let Some(k) = find_sub(whole, b"slist=") {
            first = start + k + 6;
            from_slist = true;
            let list = cstr_at(buf, first);
            count = find_byte(list, b'&').unwrap_or(list.len()) as isize;
        }
    }
    // Where the extension would sit: before the first '?', or at the end of the path.
    let mut ext: Option<usize> = None;
    let mut add_prefix: Option<&[u8; 4]> = None;
    let mut drop_ext = false;
    if count >= 4 {
        let probe = match find_byte(cstr_at(buf, first), b'?') {
            Some(q) => (first + q).checked_sub(4),
            None => Some(first + count as usize - 4),
        };
        if let Some(e) = probe {
            let four = [
                byte_at(buf, e),
                byte_at(buf, e + 1),
                byte_at(buf, e + 2),
                byte_at(buf, e + 3),
            ];
            match &four {
                b".f4v" | b".mp4" => {
                    add_prefix = Some(b"mp4:");
                    drop_ext = true;
                }
                b".flv" if !from_slist => drop_ext = true,
                b".mp3" => {
                    add_prefix = Some(b"mp3:");
                    drop_ext = true;
                }
                _ => {}
            }
            ext = Some(e);
        }
    }
    let mut out = Vec::with_capacity(count.max(0) as usize + 4);
    if let Some(prefix) = add_prefix {
        let head = [
            byte_at(buf, first),
            byte_at(buf, first + 1),
            byte_at(buf, first + 2),
            byte_at(buf, first + 3),
        ];
        if &head == prefix {
            drop_ext = false;
        } else {
            out.extend_from_slice(prefix);
        }
    }
    let mut at = first;
    while count > 0 {
        if drop_ext && Some(at) == ext {
            at += 4;
            count -= 4;
        } else if byte_at(buf, at) == b'%' {
            out.push(unescape_byte(buf, at));
            at += 3;
            count -= 3;
        } else {
            out.push(byte_at(buf, at));
            at += 1;
            count -= 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// URL

/// Scheme names and their protocol numbers (`Link.protocol`).
const SCHEMES: [(&[u8], i32); 7] = [
    (b"rtmp", 0),
    (b"rtmpt", 1),
    (b"rtmps", 4),
    (b"rtmpe", 2),
    (b"rtmfp", 8),
    (b"rtmpte", 3),
    (b"rtmpts", 5),
];

/// What `RTMP_ParseURL` found; ranges are offsets into the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlParts {
    /// The return value.
    pub ok: bool,
    pub protocol: i32,
    /// `None`: the caller's host is left as it was.
    pub host: Option<Range<usize>>,
    pub port: u32,
    /// `None`: `{NULL, 0}`.
    pub app: Option<Range<usize>>,
    /// `None`: `{NULL, 0}`; otherwise a new string.
    pub playpath: Option<Vec<u8>>,
    pub logs: Vec<LogLine>,
}

/// Where the host ends and what follows it, for a bracketed IPv6 literal `[addr]`, when the
/// closing bracket is followed by `:`, `/` or the end (librtmp-rs extension).
fn ipv6_literal(rest: &[u8]) -> Option<(Range<usize>, usize)> {
    if rest.first() != Some(&b'[') {
        return None;
    }
    let close = find_byte(rest, b']')?;
    let inner = &rest[1..close];
    let allowed = |b: &u8| b.is_ascii_alphanumeric() || b":.%-_".contains(b);
    if !inner.contains(&b':') || !inner.iter().all(allowed) {
        return None;
    }
    if !matches!(byte_at(rest, close + 1), b':' | b'/' | 0) {
        return None;
    }
    Some((1..close, close + 1))
}

/// `RTMP_ParseURL` on the C string `url` (without its NUL).
pub fn parse_url(url: &[u8]) -> UrlParts {
    let url = cstr_at(url, 0);
    let mut r = UrlParts::default();
    r.logs.push(line(DEBUG, &[b"Parsing..."]));
    let Some(sep) = find_sub(url, b"://") else {
        r.logs.push(line(ERROR, &[b"RTMP URL: No :// in url!"]));
        return r;
    };
    let scheme = &url[..sep];
    match SCHEMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(scheme))
    {
        Some(&(_, proto)) => {
            r.protocol = proto;
            r.logs.push(line(
                DEBUG,
                &[b"Parsed protocol: ", proto.to_string().as_bytes()],
            ));
        }
        None => r.logs.push(line(WARNING, &[b"Unknown protocol!\n"])),
    }
    let hs = sep + 3;
    if hs >= url.len() {
        r.logs.push(line(WARNING, &[b"No hostname in URL!"]));
        return r;
    }
    let rest = &url[hs..];
    let slash = find_byte(rest, b'/').map(|k| hs + k);
    let ques = find_byte(rest, b'?').map(|k| hs + k);

    // Host (relative range) and the offset right after it.
    let (host, after_host) = match ipv6_literal(rest) {
        Some((inner, after)) => (inner, after),
        None => {
            let mut hostlen = slash.map_or(rest.len(), |s| s - hs);
            if let Some(c) = find_byte(rest, b':') {
                hostlen = hostlen.min(c);
            }
            (0..hostlen, hostlen)
        }
    };
    if host.len() < 256 {
        let abs = hs + host.start..hs + host.end;
        r.logs.push(line(
            DEBUG,
            &[b"Parsed host    : ", cstr_at(&url[abs.clone()], 0)],
        ));
        r.host = Some(abs);
    } else {
        r.logs
            .push(line(WARNING, &[b"Hostname exceeds 255 characters!"]));
    }
    if byte_at(rest, after_host) == b':' {
        let port = c_atoi(&rest[after_host + 1..]) as u32;
        if port > 65535 {
            r.logs.push(line(WARNING, &[b"Invalid port number!"]));
        } else {
            r.port = port;
        }
    }
    let Some(slash) = slash else {
        r.logs
            .push(line(WARNING, &[b"No application or playpath in URL!"]));
        r.ok = true;
        return r;
    };

    // Application: up to two more slashes, `ondemand`, or everything when it is an slist query.
    let app_start = slash + 1;
    let path = &url[app_start..];
    let end = url.len();
    let (app_len, playpath_start) = match ques {
        Some(q) if find_sub(path, b"slist=").is_some() => (end - app_start, q),
        _ if path.starts_with(b"ondemand/") => (8, app_start + 8),
        _ => {
            let mut cut = path.len();
            let mut from = 0;
            let mut slashes = Vec::with_capacity(3);
            while slashes.len() < 3 {
                match find_byte(&path[from..], b'/') {
                    Some(k) => {
                        slashes.push(from + k);
                        from += k + 1;
                    }
                    None => break,
                }
            }
            if let Some(&last) = slashes.last() {
                cut = last;
            }
            (cut, app_start + cut)
        }
    };
    let app = app_start..app_start + app_len;
    r.logs
        .push(line(DEBUG, &[b"Parsed app     : ", &url[app.clone()]]));
    r.app = Some(app);

    let mut pp = playpath_start;
    if byte_at(url, pp) == b'/' {
        pp += 1;
    }
    if pp < end {
        r.playpath = Some(parse_playpath(url, pp, end - pp));
    }
    r.ok = true;
    r
}

// ---------------------------------------------------------------------------------------------
// Options after the URL (`RTMP_SetupURL`)

/// One step of the option scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptStep {
    /// No further `=`: the rest is ignored.
    Stop,
    /// A `\` with fewer than two characters after it: setup fails.
    BadEscape,
    /// `name=value`, both now NUL-terminated in the buffer, the value unescaped in place.
    Opt {
        name: Range<usize>,
        value: Range<usize>,
        /// The space that ends this value (scan again from there), if any.
        next: Option<usize>,
    },
}

/// Takes the option after the separator at `sep` (a space), editing `buf` in place exactly as
/// librtmp does: the separator, the `=` and the space after the value become NULs, further
/// spaces after a value are skipped (but not after the URL), `\XX` escapes are decoded.
pub fn next_option(buf: &mut [u8], sep: usize) -> OptStep {
    if sep < buf.len() {
        buf[sep] = 0;
    }
    let name_at = sep + 1;
    let Some(eq) = find_byte(cstr_at(buf, name_at), b'=') else {
        return OptStep::Stop;
    };
    let eq = name_at + eq;
    buf[eq] = 0;
    let value_at = eq + 1;
    let (raw_len, next) = match find_byte(cstr_at(buf, value_at), b' ') {
        Some(k) => {
            let mut space = value_at + k;
            buf[space] = 0;
            while byte_at(buf, space + 1) == b' ' {
                buf[space] = 0;
                space += 1;
            }
            (k, Some(space))
        }
        None => (cstr_at(buf, value_at).len(), None),
    };
    let mut rd = value_at;
    let mut wr = value_at;
    let mut left = raw_len;
    while left > 0 {
        if buf[rd] == b'\\' {
            if left < 3 {
                return OptStep::BadEscape;
            }
            buf[wr] = unescape_byte(buf, rd);
            rd += 3;
            left -= 3;
        } else {
            buf[wr] = buf[rd];
            rd += 1;
            left -= 1;
        }
        wr += 1;
    }
    OptStep::Opt {
        name: name_at..eq,
        value: value_at..wr,
        next,
    }
}

/// How an option's value is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptKind {
    Str,
    Int,
    Bool,
    Conn,
}

impl OptKind {
    fn label(self) -> &'static str {
        match self {
            OptKind::Str => "string",
            OptKind::Int => "integer",
            OptKind::Bool => "boolean",
            OptKind::Conn => "AMF",
        }
    }
}

/// Which field an option sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptTarget {
    SocksHost,
    App,
    TcUrl,
    PageUrl,
    SwfUrl,
    FlashVer,
    Extras,
    Playpath,
    /// A `Link.lFlags` bit.
    Flag(i32),
    SubscribePath,
    UsherToken,
    Token,
    SwfAge,
    SeekTime,
    StopTime,
    BufferMs,
    Timeout,
    PubUser,
    PubPasswd,
}

/// One row of the option table.
#[derive(Clone, Copy, Debug)]
pub struct OptDef {
    pub name: &'static str,
    pub kind: OptKind,
    pub target: OptTarget,
    pub help: &'static str,
}

const fn opt(name: &'static str, kind: OptKind, target: OptTarget, help: &'static str) -> OptDef {
    OptDef {
        name,
        kind,
        target,
        help,
    }
}

/// The options `RTMP_SetOpt` knows, in the order `RTMP_SetOpt` lists them.
pub const OPTIONS: [OptDef; 21] = [
    opt(
        "socks",
        OptKind::Str,
        OptTarget::SocksHost,
        "Use the specified SOCKS proxy",
    ),
    opt(
        "app",
        OptKind::Str,
        OptTarget::App,
        "Name of target app on server",
    ),
    opt(
        "tcUrl",
        OptKind::Str,
        OptTarget::TcUrl,
        "URL to played stream",
    ),
    opt(
        "pageUrl",
        OptKind::Str,
        OptTarget::PageUrl,
        "URL of played media's web page",
    ),
    opt(
        "swfUrl",
        OptKind::Str,
        OptTarget::SwfUrl,
        "URL to player SWF file",
    ),
    opt(
        "flashver",
        OptKind::Str,
        OptTarget::FlashVer,
        "Flash version string (default LNX 10,0,32,18)",
    ),
    opt(
        "conn",
        OptKind::Conn,
        OptTarget::Extras,
        "Append arbitrary AMF data to Connect message",
    ),
    opt(
        "playpath",
        OptKind::Str,
        OptTarget::Playpath,
        "Path to target media on server",
    ),
    opt(
        "playlist",
        OptKind::Bool,
        OptTarget::Flag(0x08),
        "Set playlist before play command",
    ),
    opt(
        "live",
        OptKind::Bool,
        OptTarget::Flag(0x02),
        "Stream is live, no seeking possible",
    ),
    opt(
        "subscribe",
        OptKind::Str,
        OptTarget::SubscribePath,
        "Stream to subscribe to",
    ),
    opt(
        "jtv",
        OptKind::Str,
        OptTarget::UsherToken,
        "Justin.tv authentication token",
    ),
    opt(
        "token",
        OptKind::Str,
        OptTarget::Token,
        "Key for SecureToken response",
    ),
    opt(
        "swfVfy",
        OptKind::Bool,
        OptTarget::Flag(0x04),
        "Perform SWF Verification",
    ),
    opt(
        "swfAge",
        OptKind::Int,
        OptTarget::SwfAge,
        "Number of days to use cached SWF hash",
    ),
    opt(
        "start",
        OptKind::Int,
        OptTarget::SeekTime,
        "Stream start position in milliseconds",
    ),
    opt(
        "stop",
        OptKind::Int,
        OptTarget::StopTime,
        "Stream stop position in milliseconds",
    ),
    opt(
        "buffer",
        OptKind::Int,
        OptTarget::BufferMs,
        "Buffer time in milliseconds",
    ),
    opt(
        "timeout",
        OptKind::Int,
        OptTarget::Timeout,
        "Session timeout in seconds",
    ),
    opt(
        "pubUser",
        OptKind::Str,
        OptTarget::PubUser,
        "Publisher username",
    ),
    opt(
        "pubPasswd",
        OptKind::Str,
        OptTarget::PubPasswd,
        "Publisher password",
    ),
];

/// The option whose name is `name` (the C string of the option AVal, whose `av_len` is `len`):
/// same length and equal ignoring ASCII case.
pub fn find_option(name: &[u8], len: i32) -> Option<&'static OptDef> {
    OPTIONS.iter().find(|o| {
        o.name.len() as i64 == i64::from(len) && o.name.as_bytes().eq_ignore_ascii_case(name)
    })
}

/// Our option beyond librtmp's table: `tlsVerify` (boolean, on by default). It is not listed
/// with the others, so that the usage text stays librtmp's.
pub const TLS_VERIFY_OPTION: &str = "tlsVerify";

/// Whether the option named `name` (C string, `av_len` `len`) is [`TLS_VERIFY_OPTION`].
pub fn is_tls_verify_option(name: &[u8], len: i32) -> bool {
    TLS_VERIFY_OPTION.len() as i64 == i64::from(len)
        && TLS_VERIFY_OPTION
            .as_bytes()
            .eq_ignore_ascii_case(name.get(..TLS_VERIFY_OPTION.len()).unwrap_or(name))
}

/// Whether a boolean option's value switches it off: `0`, `off`, `no` or `false`.
pub fn is_false(value: &[u8], len: i32) -> bool {
    [&b"0"[..], b"off", b"no", b"false"].iter().any(|t| {
        t.len() as i64 == i64::from(len)
            && value
                .get(..t.len())
                .is_some_and(|v| t.eq_ignore_ascii_case(v))
    })
}

/// Whether a boolean option's value (C string `value`, `av_len` `len`) switches it on.
pub fn is_true(value: &[u8], len: i32) -> bool {
    [&b"1"[..], b"on", b"yes", b"true"]
        .iter()
        .any(|t| t.len() as i64 == i64::from(len) && t.eq_ignore_ascii_case(value))
}

/// The ERROR lines `RTMP_SetOpt` logs for an unknown option (after `Unknown option ...`).
pub fn usage_lines() -> Vec<String> {
    let mut v = vec!["Valid RTMP options are:\n".to_string()];
    for o in &OPTIONS {
        v.push(format!(
            "{:>10} {:<7}  {}\n",
            o.name,
            o.kind.label(),
            o.help
        ));
    }
    v
}

// ---------------------------------------------------------------------------------------------
// conn= (AMF arguments of the connect call)

/// The value of one `conn=` item; offsets are relative to the start of the value.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnValue {
    /// `B:` (stored as a number, encoded as a boolean).
    Bool(f64),
    /// `N:`: the number text starts at this offset (converted with C `strtod`).
    Number(usize),
    /// `S:`: offset and length of the string.
    Str(usize, i32),
    /// `Z:`
    Null,
    /// `O:` with a non-zero argument, or any named `O`: opens an object.
    Object,
}

/// What one `conn=` value does.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnItem {
    /// `O:0`: closes the innermost object (the depth goes down by one).
    EndObject,
    /// A property to append; `name` only inside objects (`N<type>:name:value`).
    Prop {
        name: Option<Range<usize>>,
        value: ConnValue,
    },
}

/// Parses one `conn=` value: `value` is its C string, `len` its `av_len`, `depth` the current
/// nesting (`Link.edepth`). `None` is a syntax error.
pub fn parse_conn(value: &[u8], len: i32, depth: i32) -> Option<ConnItem> {
    let (kind, name, at) = if byte_at(value, 1) == b':' {
        (byte_at(value, 0), None, 2)
    } else if byte_at(value, 2) == b':' && byte_at(value, 0) == b'N' {
        let colon = 3 + find_byte(cstr_at(value, 3), b':')?;
        if depth == 0 {
            return None;
        }
        (byte_at(value, 1), Some(3..colon), colon + 1)
    } else {
        return None;
    };
    let text = cstr_at(value, at);
    let v = match kind {
        b'B' => ConnValue::Bool(f64::from(c_atoi(text))),
        b'S' => ConnValue::Str(at, (i64::from(len) - at as i64).max(0) as i32),
        b'N' => ConnValue::Number(at),
        b'Z' if name.is_none() => ConnValue::Null,
        b'O' => {
            if name.is_none() && c_atoi(text) == 0 {
                return Some(ConnItem::EndObject);
            }
            ConnValue::Object
        }
        _ => return None,
    };
    Some(ConnItem::Prop { name, value: v })
}

// ---------------------------------------------------------------------------------------------
// SOCKS and tcUrl

/// Splits a `socks=` value (its C string) into host and port: `host:port`, port 1080 when
/// none is given; `[v6addr]:port` is understood too (librtmp-rs extension).
pub fn split_socks(value: &[u8]) -> (Vec<u8>, u16) {
    let value = cstr_at(value, 0);
    if let Some((inner, after)) = ipv6_literal(value) {
        let port = if byte_at(value, after) == b':' {
            c_atoi(&value[after + 1..]) as u16
        } else {
            1080
        };
        return (value[inner].to_vec(), port);
    }
    match find_byte(value, b':') {
        Some(c) => (value[..c].to_vec(), c_atoi(&value[c + 1..]) as u16),
        None => (value.to_vec(), 1080),
    }
}

/// The tcUrl `RTMP_SetupURL` builds when the app came from an option:
/// `scheme://host:port/app` (an IPv6 host gets its brackets back).
pub fn build_tcurl(scheme: &[u8], host: &[u8], port: u16, app: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(scheme.len() + host.len() + app.len() + 16);
    v.extend_from_slice(scheme);
    v.extend_from_slice(b"://");
    let bracket = host.contains(&b':');
    if bracket {
        v.push(b'[');
    }
    v.extend_from_slice(host);
    if bracket {
        v.push(b']');
    }
    v.push(b':');
    v.extend_from_slice(port.to_string().as_bytes());
    v.push(b'/');
    v.extend_from_slice(app);
    v
}

/// The port used when none was given: 443 with TLS, 80 for HTTP tunnelling, else 1935.
pub fn default_port(protocol: i32) -> u16 {
    if protocol & 0x04 != 0 {
        443
    } else if protocol & 0x01 != 0 {
        80
    } else {
        1935
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pp(s: &str) -> String {
        String::from_utf8_lossy(&parse_playpath(s.as_bytes(), 0, s.len())).into_owned()
    }

    fn url(s: &str) -> UrlParts {
        parse_url(s.as_bytes())
    }

    fn sub(s: &str, r: &Option<Range<usize>>) -> Option<String> {
        r.clone().map(|r| s[r].to_string())
    }

    #[test]
    fn playpath_extensions() {
        assert_eq!(pp("play.mp4"), "mp4:play");
        assert_eq!(pp("x.f4v"), "mp4:x");
        assert_eq!(pp("mp4:x.f4v"), "mp4:x.f4v");
        assert_eq!(pp("x.mp3"), "mp3:x");
        assert_eq!(pp("mp3:x.mp3"), "mp3:x.mp3");
        assert_eq!(pp("a/b.flv"), "a/b");
        assert_eq!(pp("b.FLV"), "b.FLV");
        assert_eq!(pp("a%20b.flv?q=1"), "a b?q=1");
        assert_eq!(pp("?slist=abc.mp4&x=1"), "mp4:abc");
        assert_eq!(pp("?slist=abc.flv"), "abc.flv");
        assert_eq!(pp("flv"), "flv");
        assert_eq!(pp(""), "");
        assert_eq!(pp("a%41%4g%20%2"), "aA\u{4} \u{2}");
    }

    #[test]
    fn playpath_looks_before_the_path_in_a_url() {
        // The '?' is the first character, so the probe lands on the 4 bytes before it.
        let s = b"rtmp://h/slist=.mp4?bcd";
        assert_eq!(parse_playpath(s, 19, 4), b"mp4:?bcd");
        // Standing alone, there is nothing before it: no extension.
        assert_eq!(pp("?bcd"), "?bcd");
    }

    #[test]
    fn scanf_hex_field() {
        assert_eq!(scan_hex2(b"41", 0), Some(0x41));
        assert_eq!(scan_hex2(b"4g", 0), Some(4));
        assert_eq!(scan_hex2(b"  7f", 0), Some(0x7f));
        assert_eq!(scan_hex2(b"-1", 0), Some(u32::MAX));
        assert_eq!(scan_hex2(b"0x5", 0), Some(0));
        assert_eq!(scan_hex2(b"zz", 0), None);
        assert_eq!(scan_hex2(b"-", 0), None);
        assert_eq!(scan_hex2(b"", 0), None);
    }

    #[test]
    fn strtol_like_c() {
        assert_eq!(c_strtol(b"0x10", 0), 16);
        assert_eq!(c_strtol(b"010", 0), 8);
        assert_eq!(c_strtol(b" -7x", 0), -7);
        assert_eq!(c_strtol(b"0x", 0), 0);
        assert_eq!(c_strtol(b"99999999999999999999", 10), i64::MAX);
        assert_eq!(c_strtol(b"-99999999999999999999", 10), i64::MIN);
        assert_eq!(c_atoi(b"4294967297"), 1);
        assert_eq!(c_atoi(b""), 0);
    }

    #[test]
    fn urls() {
        let s = "rtmp://host:1936/app/inst/mp4:file.mp4";
        let u = url(s);
        assert!(u.ok);
        assert_eq!(u.port, 1936);
        assert_eq!(sub(s, &u.host).as_deref(), Some("host"));
        assert_eq!(sub(s, &u.app).as_deref(), Some("app/inst"));
        assert_eq!(u.playpath.as_deref(), Some(&b"mp4:file.mp4"[..]));

        let s = "RTMPE://host/ondemand/foo/bar.flv";
        let u = url(s);
        assert_eq!(
            (u.protocol, sub(s, &u.app).unwrap()),
            (2, "ondemand".into())
        );
        assert_eq!(u.playpath.as_deref(), Some(&b"foo/bar"[..]));

        let s = "rtmp://host/a/b/c/d/e.flv";
        let u = url(s);
        assert_eq!(sub(s, &u.app).as_deref(), Some("a/b/c"));
        assert_eq!(u.playpath.as_deref(), Some(&b"d/e"[..]));

        let s = "rtmp://h?x/app/slist=1";
        let u = url(s);
        assert_eq!(sub(s, &u.host).as_deref(), Some("h?x"));
        assert_eq!(u.playpath.as_deref(), Some(&b"1"[..]));

        let u = url("rtmp://h:4294967297/a/b");
        assert_eq!(u.port, 1);
        let u = url("rtmp://h:99999/a/b");
        assert_eq!(u.port, 0);
        assert_eq!(u.logs[3].text, b"Invalid port number!");

        let u = url("foo://h/app/x.flv");
        assert!(u.ok);
        assert_eq!(u.logs[1].text, b"Unknown protocol!\n");

        assert!(!url("no-scheme").ok);
        assert!(!url("rtmp://").ok);
        let u = url("rtmp://h");
        assert!(u.ok && u.app.is_none() && u.playpath.is_none());
    }

    #[test]
    fn ipv6_literals() {
        let s = "rtmp://[::1]:1940/app/s";
        let u = url(s);
        assert_eq!(sub(s, &u.host).as_deref(), Some("::1"));
        assert_eq!(u.port, 1940);
        assert_eq!(sub(s, &u.app).as_deref(), Some("app"));
        let s = "rtmp://[fe80::1%25eth0]/app";
        let u = url(s);
        assert_eq!(sub(s, &u.host).as_deref(), Some("fe80::1%25eth0"));
        assert_eq!(u.port, 0);
        // Not a literal: the reference parse.
        let s = "rtmp://[x]:5/a";
        assert_eq!(sub(s, &url(s).host).as_deref(), Some("[x]"));
        assert_eq!(split_socks(b"[::1]:99"), (b"::1".to_vec(), 99));
        assert_eq!(split_socks(b"sh"), (b"sh".to_vec(), 1080));
        assert_eq!(split_socks(b"sh:70000"), (b"sh".to_vec(), 4464));
        assert_eq!(build_tcurl(b"rtmp", b"::1", 0, b"a"), b"rtmp://[::1]:0/a");
    }

    fn options(s: &str) -> (Vec<u8>, Vec<(String, String)>, bool) {
        let mut buf = s.as_bytes().to_vec();
        let mut sep = find_byte(&buf, b' ');
        let mut got = Vec::new();
        let mut ok = true;
        while let Some(at) = sep {
            match next_option(&mut buf, at) {
                OptStep::Stop => break,
                OptStep::BadEscape => {
                    ok = false;
                    break;
                }
                OptStep::Opt { name, value, next } => {
                    got.push((
                        String::from_utf8_lossy(&buf[name]).into_owned(),
                        String::from_utf8_lossy(&buf[value]).into_owned(),
                    ));
                    sep = next;
                }
            }
        }
        (buf, got, ok)
    }

    #[test]
    fn option_tokens() {
        let (buf, got, ok) = options("u a=1  b=x\\20y c");
        assert!(ok);
        assert_eq!(
            got,
            vec![("a".into(), "1".into()), ("b".into(), "x y".into())]
        );
        assert_eq!(buf, b"u\0a\x001\0\0b\0x y0y\0c");
        let (_, got, _) = options("u  live=1");
        assert_eq!(got[0].0, " live");
        let (_, _, ok) = options("u a=x\\2");
        assert!(!ok);
    }

    #[test]
    fn option_table() {
        assert_eq!(find_option(b"LIVE", 4).unwrap().target, OptTarget::Flag(2));
        assert!(find_option(b"live", 5).is_none());
        assert!(is_tls_verify_option(b"tlsverify", 9));
        assert!(is_tls_verify_option(b"tlsVerify=0", 9));
        assert!(!is_tls_verify_option(b"tlsVerify", 8));
        assert!(is_false(b"0 live=1", 1));
        assert!(is_false(b"OFF", 3));
        assert!(!is_false(b"1", 1));
        assert!(!is_false(b"0", 2));
        assert!(is_true(b"On", 2) && is_true(b"TRUE", 4) && !is_true(b"0n", 2));
        assert!(!is_true(b"131", 1));
        let u = usage_lines();
        assert_eq!(u.len(), 22);
        assert_eq!(u[1], "     socks string   Use the specified SOCKS proxy\n");
        assert_eq!(
            u[7],
            "      conn AMF      Append arbitrary AMF data to Connect message\n"
        );
    }

    #[test]
    fn conn_forms() {
        let c = |s: &str, d| parse_conn(s.as_bytes(), s.len() as i32, d);
        assert_eq!(
            c("B:1", 0),
            Some(ConnItem::Prop {
                name: None,
                value: ConnValue::Bool(1.0)
            })
        );
        assert_eq!(
            c("S:hi there", 0),
            Some(ConnItem::Prop {
                name: None,
                value: ConnValue::Str(2, 8)
            })
        );
        assert_eq!(c("O:0", 0), Some(ConnItem::EndObject));
        assert_eq!(c("O:", 1), Some(ConnItem::EndObject));
        assert_eq!(
            c("O:7", 0),
            Some(ConnItem::Prop {
                name: None,
                value: ConnValue::Object
            })
        );
        assert_eq!(c("NN:code:1.5", 0), None);
        assert_eq!(
            c("NN:code:1.5", 1),
            Some(ConnItem::Prop {
                name: Some(3..7),
                value: ConnValue::Number(8)
            })
        );
        assert_eq!(
            c("NO:x:0", 1),
            Some(ConnItem::Prop {
                name: Some(3..4),
                value: ConnValue::Object
            })
        );
        assert_eq!(c("NZ:a:", 1), None);
        assert_eq!(c("NB:a", 1), None);
        assert_eq!(c("X:1", 0), None);
        assert_eq!(c("", 0), None);
        assert!(matches!(c("NB:a:1", -1), Some(ConnItem::Prop { .. })));
    }

    #[test]
    fn ports() {
        assert_eq!(default_port(0), 1935);
        assert_eq!(default_port(1), 80);
        assert_eq!(default_port(4), 443);
        assert_eq!(default_port(5), 443);
    }
}
