//! RTMPT, RTMP tunnelled through HTTP/1.1 POSTs, sans-IO: the request heads the client sends
//! (`open`, `send`, `idle`, `close`, byte for byte as librtmp writes them) and a strict parser
//! of the server's response heads.
//!
//! Every response body starts with one "interval" byte (the server's polling hint); the rest
//! is RTMP data. The open response's body is the session id instead.

/// The four requests of a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Open,
    Send,
    Idle,
    Close,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Open => "open",
            Command::Send => "send",
            Command::Idle => "idle",
            Command::Close => "close",
        }
    }
}

/// The longest response head accepted (status line and headers).
pub const MAX_HEAD: usize = 8192;
/// The largest `Content-Length` accepted: bodies are streamed, never held whole, but a length
/// beyond this is taken as a broken or hostile server.
pub const MAX_CONTENT_LENGTH: u64 = 64 << 20;
/// The longest session id accepted from an `open` response.
pub const MAX_CLIENT_ID: usize = 256;

/// The head of a POST. `client_id` is stored with its leading `/` (empty before `open`);
/// `host` is `Link.hostname`.
pub fn request_head(
    cmd: Command,
    client_id: &[u8],
    seq: i32,
    host: &[u8],
    port: u16,
    content_length: usize,
) -> Vec<u8> {
    let mut h = Vec::with_capacity(224 + client_id.len() + host.len());
    h.extend_from_slice(b"POST /");
    h.extend_from_slice(cmd.name().as_bytes());
    h.extend_from_slice(client_id);
    h.extend_from_slice(format!("/{seq} HTTP/1.1\r\nHost: ").as_bytes());
    h.extend_from_slice(host);
    h.extend_from_slice(
        format!(
            ":{port}\r\nAccept: */*\r\nUser-Agent: Shockwave Flash\r\nConnection: Keep-Alive\r\n\
             Cache-Control: no-cache\r\nContent-type: application/x-fcs\r\n\
             Content-length: {content_length}\r\n\r\n"
        )
        .as_bytes(),
    );
    h
}

/// A complete, acceptable response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Bytes of the status line and headers, including the blank line.
    pub len: usize,
    /// The body length (at least 1).
    pub content_length: u32,
    /// The server announced `Connection: close`.
    pub close: bool,
}

/// Why a response is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// Not an HTTP/1.x status line.
    NotHttp,
    /// A status other than 200.
    Status(u16),
    /// No blank line within [`MAX_HEAD`] bytes.
    HeadTooLong,
    /// A header line without a colon, or with bytes that are not text.
    BadHeader,
    /// No `Content-Length`.
    NoLength,
    /// A `Content-Length` that is not a decimal number (signs included), or two that differ.
    BadLength,
    /// A `Content-Length` of 0 (every RTMPT body has at least the interval byte) or above
    /// [`MAX_CONTENT_LENGTH`].
    LengthOutOfRange(u64),
    /// `Transfer-Encoding` (chunked bodies are not part of RTMPT).
    TransferEncoding,
}

impl std::fmt::Display for ResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseError::NotHttp => f.write_str("no valid HTTP response found"),
            ResponseError::Status(s) => write!(f, "HTTP status {s}"),
            ResponseError::HeadTooLong => {
                write!(f, "HTTP response head longer than {MAX_HEAD} bytes")
            }
            ResponseError::BadHeader => f.write_str("malformed HTTP header line"),
            ResponseError::NoLength => f.write_str("HTTP response without Content-Length"),
            ResponseError::BadLength => f.write_str("invalid Content-Length"),
            ResponseError::LengthOutOfRange(n) => write!(
                f,
                "Content-Length {n} out of range (1 to {MAX_CONTENT_LENGTH})"
            ),
            ResponseError::TransferEncoding => {
                f.write_str("Transfer-Encoding is not supported in RTMPT")
            }
        }
    }
}

fn find_blank_line(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// Parses the response head at the start of `buf`: `Ok(None)` while it is incomplete.
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, ResponseError> {
    // The protocol part of the status line can be judged before the whole head is there.
    let n = buf.len().min(9);
    if buf[..n] != b"HTTP/1.1 "[..n] && buf[..n] != b"HTTP/1.0 "[..n] {
        return Err(ResponseError::NotHttp);
    }
    let Some(len) = find_blank_line(&buf[..buf.len().min(MAX_HEAD)]) else {
        return if buf.len() >= MAX_HEAD {
            Err(ResponseError::HeadTooLong)
        } else {
            Ok(None)
        };
    };
    let head = &buf[..len - 4];
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status = lines.next().unwrap_or_default();
    let code = status.get(9..12).ok_or(ResponseError::NotHttp)?;
    if !code.iter().all(u8::is_ascii_digit) || status.get(12).is_some_and(|&b| b != b' ') {
        return Err(ResponseError::NotHttp);
    }
    let code = code.iter().fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'));
    if code != 200 {
        return Err(ResponseError::Status(code));
    }
    let mut length: Option<u64> = None;
    let mut close = false;
    for line in lines {
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(ResponseError::BadHeader)?;
        let (name, value) = (trim(&line[..colon]), trim(&line[colon + 1..]));
        if name.is_empty() || line.iter().any(|&b| b < 0x20 && b != b'\t') {
            return Err(ResponseError::BadHeader);
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
                return Err(ResponseError::BadLength);
            }
            let n = value
                .iter()
                .fold(0u64, |a, &d| a * 10 + u64::from(d - b'0'));
            if length.is_some_and(|l| l != n) {
                return Err(ResponseError::BadLength);
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case(b"connection") {
            close = value
                .split(|&b| b == b',')
                .any(|t| trim(t).eq_ignore_ascii_case(b"close"));
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err(ResponseError::TransferEncoding);
        }
    }
    let n = length.ok_or(ResponseError::NoLength)?;
    if n == 0 || n > MAX_CONTENT_LENGTH {
        return Err(ResponseError::LengthOutOfRange(n));
    }
    Ok(Some(Head {
        len,
        content_length: n as u32,
        close,
    }))
}

/// The session id of an `open` response body, stored as librtmp stores it: `/` + the id.
/// Trailing line ends and blanks are dropped; the id must be visible ASCII without `/`.
pub fn client_id(body: &[u8]) -> Option<Vec<u8>> {
    let mut id = body;
    while let [rest @ .., b'\n' | b'\r' | b' ' | b'\t' | 0] = id {
        id = rest;
    }
    if id.is_empty()
        || id.len() > MAX_CLIENT_ID
        || !id.iter().all(|&b| b.is_ascii_graphic() && b != b'/')
    {
        return None;
    }
    let mut v = Vec::with_capacity(id.len() + 1);
    v.push(b'/');
    v.extend_from_slice(id);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &[u8]) -> Head {
        parse_head(s).unwrap().unwrap()
    }

    #[test]
    fn request_heads_are_librtmps() {
        let h = request_head(Command::Send, b"/abc", 3, b"example.org", 80, 1537);
        assert_eq!(
            h,
            b"POST /send/abc/3 HTTP/1.1\r\nHost: example.org:80\r\nAccept: */*\r\n\
              User-Agent: Shockwave Flash\r\nConnection: Keep-Alive\r\nCache-Control: no-cache\r\n\
              Content-type: application/x-fcs\r\nContent-length: 1537\r\n\r\n"
                .to_vec()
        );
        let o = request_head(Command::Open, b"", 1, b"h", 443, 1);
        assert!(o.starts_with(b"POST /open/1 HTTP/1.1\r\nHost: h:443\r\n"));
    }

    #[test]
    fn heads_in_any_case_and_order() {
        let h = ok(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-fcs\r\nCONTENT-LENGTH:  17 \r\n\r\nxx",
        );
        assert_eq!(
            h,
            Head {
                len: 74,
                content_length: 17,
                close: false
            }
        );
        let h =
            ok(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive, close\r\nContent-Length: 1\r\n\r\n");
        assert!(h.close);
        assert_eq!(h.content_length, 1);
    }

    #[test]
    fn incomplete_heads_wait() {
        let full = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
        for n in 0..full.len() {
            assert_eq!(parse_head(&full[..n]), Ok(None), "{n}");
        }
        assert!(parse_head(full).unwrap().is_some());
    }

    #[test]
    fn refusals() {
        use ResponseError::*;
        let cases: &[(&[u8], ResponseError)] = &[
            (
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\n",
                Status(404),
            ),
            (b"HTTP/1.1 500 Oops\r\n\r\n", Status(500)),
            (b"HTTP/1.1 200 OK\r\n\r\n", NoLength),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                LengthOutOfRange(0),
            ),
            (b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", BadLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", BadLength),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", BadLength),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
                BadLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 2147483648\r\n\r\n",
                LengthOutOfRange(1 << 31),
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                BadLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                TransferEncoding,
            ),
            (
                b"HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 1\r\n\r\n",
                BadHeader,
            ),
            (b"XTTP/1.1 200 OK\r\n\r\n", NotHttp),
            (b"HTTP/1.1 2000 OK\r\n\r\n", NotHttp),
            (b"garbage", NotHttp),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_head(input).as_ref(),
                Err(want),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        let long = [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; MAX_HEAD]].concat();
        assert_eq!(parse_head(&long), Err(HeadTooLong));
    }

    #[test]
    fn client_ids() {
        assert_eq!(client_id(b"1234567\n").unwrap(), b"/1234567");
        assert_eq!(client_id(b"abc").unwrap(), b"/abc");
        assert!(client_id(b"\n").is_none());
        assert!(client_id(b"a/b\n").is_none());
        assert!(client_id(b"a b").is_none());
        assert!(client_id(&[b'a'; MAX_CLIENT_ID + 1]).is_none());
    }
}
