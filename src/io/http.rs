//! The small HTTP/1.0 client behind `HTTP_get` and `RTMP_HashSWF` (SWF verification), over
//! `http://` or `https://` (TLS with the same certificate checks as `rtmps://`).
//!
//! It sends the request librtmp sends (`GET <path> HTTP/1.0`, `User-Agent: Mozilla/5.0`,
//! `Host`, `Referer`, optional `If-Modified-Since`), bounds every wait by a timeout (connect
//! included), and never trusts the response's sizes: headers are capped, and the body is
//! streamed to the caller.

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::Duration;

use super::{net, tls};
use crate::log;

/// librtmp's 5-second receive timeout; we apply it to connecting and sending too.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Longest response header we accept.
const MAX_HEADER: usize = 64 * 1024;

/// `HTTPResult` values.
pub const HTTPRES_OK: i32 = 0;
pub const HTTPRES_OK_NOT_MODIFIED: i32 = 1;
pub const HTTPRES_NOT_FOUND: i32 = 2;
pub const HTTPRES_BAD_REQUEST: i32 = 3;
pub const HTTPRES_SERVER_ERROR: i32 = 4;
pub const HTTPRES_REDIRECTED: i32 = 5;
pub const HTTPRES_LOST_CONNECTION: i32 = 6;

/// The parts of an `http://` URL the request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    pub host: &'a str,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: &'a str,
    /// The URL up to and including the path's leading slash (librtmp's Referer).
    pub referer: String,
    /// `https://`
    pub tls: bool,
}

/// Splits an `http[s]://host[:port]/path` URL; `None` for other schemes or a bad port.
pub fn parse_url(url: &str) -> Option<Target<'_>> {
    let scheme_of = |p: &str| url.get(..p.len()).filter(|s| s.eq_ignore_ascii_case(p));
    let (tls, rest) = if scheme_of("http://").is_some() {
        (false, &url[7..])
    } else if scheme_of("https://").is_some() {
        (true, &url[8..])
    } else {
        return None;
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    // `[v6]:port`, `[v6]`, `host:port` or `host`
    let (host, port) = match authority.rfind(':') {
        Some(i)
            if !authority[i..].contains(']')
                && (!authority.starts_with('[') || authority[..i].ends_with(']')) =>
        {
            (&authority[..i], authority[i + 1..].parse().ok()?)
        }
        _ => (authority, if tls { 443 } else { 80 }),
    };
    if host.is_empty() {
        return None;
    }
    let referer = format!("{}://{authority}/", if tls { "https" } else { "http" });
    Some(Target {
        host,
        port,
        path,
        referer,
        tls,
    })
}

/// The request librtmp sends.
pub fn request(t: &Target<'_>, if_modified_since: Option<&str>) -> String {
    let mut r = format!(
        "GET {} HTTP/1.0\r\nUser-Agent: Mozilla/5.0\r\nHost: {}\r\nReferer: {}\r\n",
        t.path, t.host, t.referer
    );
    if let Some(d) = if_modified_since.filter(|d| !d.is_empty()) {
        r.push_str(&format!("If-Modified-Since: {d}\r\n"));
    }
    r.push_str("\r\n");
    r
}

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Head {
    pub status: i32,
    pub content_length: Option<u64>,
    pub last_modified: Option<String>,
}

/// Parses the status line and the headers we use.
pub fn parse_head(head: &str) -> Option<Head> {
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let status: i32 = parts.next()?.parse().ok()?;
    let mut h = Head {
        status,
        ..Head::default()
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            h.content_length = value.parse().ok();
        } else if name.eq_ignore_ascii_case("last-modified") {
            h.last_modified = Some(value.to_string());
        }
    }
    Some(h)
}

/// `HTTPResult` for a status code (bodies of 3xx answers are still delivered).
pub fn result_for(status: i32) -> i32 {
    match status {
        304 => HTTPRES_OK_NOT_MODIFIED,
        404 => HTTPRES_NOT_FOUND,
        s if s >= 500 => HTTPRES_SERVER_ERROR,
        s if s >= 400 => HTTPRES_BAD_REQUEST,
        s if s >= 300 => HTTPRES_REDIRECTED,
        _ => HTTPRES_OK,
    }
}

/// What a GET produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub result: i32,
    pub status: i32,
    pub last_modified: Option<String>,
}

/// The connection: plain TCP, or TLS over it.
enum Conn {
    Plain(TcpStream),
    Tls(TcpStream, Box<tls::Session>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s, t) => t.recv(s.as_raw_fd(), buf).map_err(|e| match e {
                tls::RecvError::Io(e) => e,
                tls::RecvError::Tls(why) => io::Error::other(why),
            }),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s, t) => t.send(s.as_raw_fd(), &[IoSlice::new(buf)]),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Opens the connection for `t`: TCP, then TLS for `https://` (certificate checked unless
/// `verify` is false).
fn open(t: &Target<'_>, verify: bool) -> Option<Conn> {
    let addrs = net::resolve(t.host, t.port).ok()?;
    let s = net::connect(&addrs, Some(TIMEOUT)).ok()?;
    if !t.tls {
        return Some(Conn::Plain(s));
    }
    let host = net::bare_host(t.host);
    if !verify {
        crate::rtmp_log!(
            log::WARNING,
            "HTTP_get, TLS certificate checking is off: {host} is not authenticated"
        );
    }
    match tls::Session::connect(s.as_raw_fd(), host, verify, Some(TIMEOUT)) {
        Ok(session) => Some(Conn::Tls(s, Box::new(session))),
        Err(e) => {
            crate::rtmp_log!(log::ERROR, "HTTP_get, TLS: {}", e.describe(host));
            None
        }
    }
}

/// Performs the GET, streaming the body to `on_body`. Errors before a status line arrives give
/// `HTTPRES_LOST_CONNECTION` with status -1. `verify`: check the certificate of an `https://`
/// server.
pub fn get(
    url: &str,
    if_modified_since: Option<&str>,
    verify: bool,
    on_body: impl FnMut(&[u8]),
) -> Outcome {
    let lost = Outcome {
        result: HTTPRES_LOST_CONNECTION,
        status: -1,
        last_modified: None,
    };
    let Some(t) = parse_url(url) else {
        return Outcome {
            result: HTTPRES_BAD_REQUEST,
            ..lost
        };
    };
    let Some(mut s) = open(&t, verify) else {
        return lost;
    };
    if s.write_all(request(&t, if_modified_since).as_bytes())
        .is_err()
    {
        return lost;
    }
    read_response(&mut s, on_body)
}

/// Reads one response from `s`: the head (at most 64 KB), then the body, streamed to
/// `on_body`, up to `Content-Length` when there is one, else to the end. A response whose head
/// does not arrive whole or does not parse gives `HTTPRES_LOST_CONNECTION` with status -1; a body
/// shorter than `Content-Length` gives `HTTPRES_LOST_CONNECTION` with the status.
pub fn read_response(s: &mut impl Read, mut on_body: impl FnMut(&[u8])) -> Outcome {
    let lost = Outcome {
        result: HTTPRES_LOST_CONNECTION,
        status: -1,
        last_modified: None,
    };
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEADER || !read_more(s, &mut buf) {
            return lost;
        }
    };
    let Some(head) = std::str::from_utf8(&buf[..head_end])
        .ok()
        .and_then(parse_head)
    else {
        return lost;
    };
    let mut out = Outcome {
        result: result_for(head.status),
        status: head.status,
        last_modified: head.last_modified.clone(),
    };
    if head.status == 304 {
        return out;
    }
    let mut received = (buf.len() - head_end - 4) as u64;
    if received > 0 {
        on_body(&buf[head_end + 4..]);
    }
    let mut chunk = vec![0u8; 16384];
    loop {
        if head.content_length.is_some_and(|cl| received >= cl) {
            break;
        }
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                received += n as u64;
                on_body(&chunk[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    if head.content_length.is_some_and(|cl| received < cl) {
        out.result = HTTPRES_LOST_CONNECTION;
    }
    out
}

fn read_more(s: &mut impl Read, buf: &mut Vec<u8>) -> bool {
    let mut tmp = [0u8; 4096];
    loop {
        match s.read(&mut tmp) {
            Ok(0) => return false,
            Ok(n) => {
                buf.extend_from_slice(&tmp[..n]);
                return true;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_requests() {
        let t = parse_url("http://127.0.0.1:8080/dir/p.swf?x=1").unwrap();
        assert_eq!(
            (t.host, t.port, t.path),
            ("127.0.0.1", 8080, "/dir/p.swf?x=1")
        );
        assert_eq!(
            request(&t, Some("Mon, 01 Jan 2018 00:00:00 GMT")),
            "GET /dir/p.swf?x=1 HTTP/1.0\r\nUser-Agent: Mozilla/5.0\r\nHost: 127.0.0.1\r\n\
             Referer: http://127.0.0.1:8080/\r\nIf-Modified-Since: Mon, 01 Jan 2018 00:00:00 GMT\r\n\r\n"
        );
        let t = parse_url("HTTP://h").unwrap();
        assert_eq!((t.host, t.port, t.path), ("h", 80, "/"));
        let t = parse_url("http://[::1]:81/a").unwrap();
        assert_eq!((t.host, t.port), ("[::1]", 81));
        assert!(parse_url("ftp://h/x").is_none());
        let t = parse_url("HTTPS://h/p.swf").unwrap();
        assert_eq!((t.host, t.port, t.tls), ("h", 443, true));
        assert_eq!(t.referer, "https://h/");
        assert!(parse_url("http://h:99999/x").is_none());
    }

    #[test]
    fn heads_and_results() {
        let h = parse_head("HTTP/1.1 200 OK\r\ncontent-LENGTH: 12\r\nLast-Modified: X Y").unwrap();
        assert_eq!(h.status, 200);
        assert_eq!(h.content_length, Some(12));
        assert_eq!(h.last_modified.as_deref(), Some("X Y"));
        assert!(parse_head("garbage").is_none());
        let map: Vec<i32> = [200, 302, 304, 400, 404, 503]
            .iter()
            .map(|&s| result_for(s))
            .collect();
        assert_eq!(map, vec![0, 5, 1, 3, 2, 4]);
    }

    #[test]
    fn get_against_a_loopback_server() {
        use std::net::TcpListener;
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            for body_len in [5usize, 3] {
                let (mut c, _) = l.accept().unwrap();
                let mut req = Vec::new();
                while find(&req, b"\r\n\r\n").is_none() {
                    let mut b = [0u8; 512];
                    let n = c.read(&mut b).unwrap();
                    req.extend_from_slice(&b[..n]);
                }
                // the second answer promises more than it sends
                let head =
                    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nLast-Modified: D\r\n\r\n".to_string();
                c.write_all(head.as_bytes()).unwrap();
                c.write_all(&b"hello"[..body_len]).unwrap();
            }
        });
        let url = format!("http://127.0.0.1:{port}/x.swf");
        let mut body = Vec::new();
        let o = get(&url, None, true, |b| body.extend_from_slice(b));
        assert_eq!(
            (o.result, o.status, o.last_modified.as_deref()),
            (0, 200, Some("D"))
        );
        assert_eq!(body, b"hello");
        let o = get(&url, None, true, |_| {});
        assert_eq!(o.result, HTTPRES_LOST_CONNECTION);
        server.join().unwrap();
        let o = get("http://127.0.0.1:1/", None, true, |_| {});
        assert_eq!((o.result, o.status), (HTTPRES_LOST_CONNECTION, -1));
    }

    /// `https://`: the same request and response handling over TLS; a server whose certificate
    /// is not trusted is refused unless checking is off.
    #[test]
    fn get_over_tls() {
        use std::net::TcpListener;
        use std::os::fd::AsRawFd;
        let dir = tls::loopback::certs("http");
        let cfg = tls::server_config(
            &dir.join("ec.pem").to_string_lossy(),
            &dir.join("ec8.key").to_string_lossy(),
        )
        .unwrap();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            // The first client refuses the certificate during the handshake.
            let (c, _) = l.accept().unwrap();
            let t = Some(Duration::from_secs(5));
            assert!(tls::Session::accept(c.as_raw_fd(), cfg.clone(), t).is_err());
            drop(c);
            let (c, _) = l.accept().unwrap();
            let fd = c.as_raw_fd();
            let mut s = tls::Session::accept(fd, cfg, t).unwrap();
            let mut req = Vec::new();
            while find(&req, b"\r\n\r\n").is_none() {
                let mut b = [0u8; 512];
                let n = s.recv(fd, &mut b).unwrap();
                assert!(n > 0);
                req.extend_from_slice(&b[..n]);
            }
            let head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
            s.send(fd, &[IoSlice::new(head.as_bytes()), IoSlice::new(b"hello")])
                .unwrap();
            s.close_notify(fd);
            String::from_utf8(req).unwrap()
        });
        let url = format!("https://127.0.0.1:{port}/p.swf");
        let o = get(&url, None, true, |_| {});
        assert_eq!((o.result, o.status), (HTTPRES_LOST_CONNECTION, -1));
        let mut body = Vec::new();
        let o = get(&url, None, false, |b| body.extend_from_slice(b));
        assert_eq!((o.result, o.status), (HTTPRES_OK, 200));
        assert_eq!(body, b"hello");
        let req = server.join().unwrap();
        assert!(req.starts_with("GET /p.swf HTTP/1.0\r\n"), "{req}");
        assert!(
            req.contains(&format!("Referer: https://127.0.0.1:{port}/\r\n")),
            "{req}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
