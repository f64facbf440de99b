//! Name resolution and TCP connection set-up for the client: `getaddrinfo` (so IPv6 hosts and
//! `[::1]`-style literals work, where librtmp 2.4 is IPv4-only), a connect that honours
//! `Link.timeout` (librtmp has no connect timeout), receive *and* send timeouts, `TCP_NODELAY`,
//! and the SOCKS4 CONNECT exchange librtmp performs for `socks=`.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{FromRawFd, IntoRawFd, RawFd};
use std::time::Duration;

use rtmp_core::bytes;

/// `Link.timeout` (seconds) as a socket timeout; 0 or negative means none, as with SO_RCVTIMEO.
pub fn timeout_of(seconds: i32) -> Option<Duration> {
    (seconds > 0).then(|| Duration::from_secs(seconds as u64))
}

/// Strips the brackets of an IPv6 literal (`[::1]` → `::1`).
pub fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Resolves `host:port` (IPv4 and IPv6, literals and names) in `getaddrinfo` order.
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let host = bare_host(host);
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(io::Error::new(io::ErrorKind::NotFound, "no address"));
    }
    Ok(addrs)
}

/// Connects to the first address that accepts, each attempt bounded by `timeout`, then applies
/// the receive/send timeouts and `TCP_NODELAY`. Returns the stream (the caller takes its fd).
pub fn connect(addrs: &[SocketAddr], timeout: Option<Duration>) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in addrs {
        let attempt = match timeout {
            Some(t) => TcpStream::connect_timeout(addr, t),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(s) => {
                configure(&s, timeout)?;
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// SO_RCVTIMEO/SO_SNDTIMEO and TCP_NODELAY on a connected stream.
pub fn configure(s: &TcpStream, timeout: Option<Duration>) -> io::Result<()> {
    s.set_read_timeout(timeout)?;
    s.set_write_timeout(timeout)?;
    s.set_nodelay(true)
}

/// Hands the connected socket over to the `RTMP` struct (`m_sb.sb_socket`).
pub fn into_fd(s: TcpStream) -> RawFd {
    s.into_raw_fd()
}

/// Why a SOCKS4 exchange failed.
#[derive(Debug)]
pub enum SocksError {
    /// SOCKS4 carries IPv4 destinations only.
    NotIpv4,
    Io(io::Error),
    /// The proxy answered, but not with "request granted" (0x5a).
    Refused {
        version: u8,
        status: u8,
    },
}

/// The 9-byte SOCKS4 CONNECT request: version 4, command 1, port, IPv4 address, empty user id.
pub fn socks4_request(dest: Ipv4Addr, port: u16) -> [u8; 9] {
    let mut req = [0u8; 9];
    req[0] = 4;
    req[1] = 1;
    bytes::put_be16(&mut req[2..], port);
    req[4..8].copy_from_slice(&dest.octets());
    req
}

/// Checks the proxy's 8-byte answer (librtmp: byte 0 is 0 and byte 1 is 90).
pub fn socks4_granted(reply: &[u8; 8]) -> Result<(), SocksError> {
    if reply[0] == 0 && reply[1] == 90 {
        Ok(())
    } else {
        Err(SocksError::Refused {
            version: reply[0],
            status: reply[1],
        })
    }
}

/// Asks the SOCKS4 proxy behind `fd` to connect to `dest:port` (blocking, bounded by the
/// socket's timeouts). `fd` stays open and owned by the caller.
pub fn socks4_connect(fd: RawFd, dest: SocketAddr) -> Result<(), SocksError> {
    let IpAddr::V4(ip) = dest.ip() else {
        return Err(SocksError::NotIpv4);
    };
    // SAFETY: `fd` is a connected socket owned by the caller; we borrow it for the exchange and
    // give it back without closing (into_raw_fd below).
    let mut s = unsafe { TcpStream::from_raw_fd(fd) };
    let result = (|| {
        s.write_all(&socks4_request(ip, dest.port()))
            .map_err(SocksError::Io)?;
        let mut reply = [0u8; 8];
        s.read_exact(&mut reply).map_err(SocksError::Io)?;
        socks4_granted(&reply)
    })();
    let _ = s.into_raw_fd();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn resolves_v4_v6_and_names() {
        assert_eq!(
            resolve("127.0.0.1", 1935).unwrap()[0],
            "127.0.0.1:1935".parse().unwrap()
        );
        assert_eq!(
            resolve("[::1]", 80).unwrap()[0],
            "[::1]:80".parse().unwrap()
        );
        assert_eq!(resolve("::1", 80).unwrap()[0], "[::1]:80".parse().unwrap());
        assert!(resolve("localhost", 1)
            .unwrap()
            .iter()
            .all(|a| a.ip().is_loopback()));
        assert!(resolve("no-such-host.invalid", 1).is_err());
    }

    #[test]
    fn connects_with_timeouts_and_nodelay() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let s = connect(&[addr], timeout_of(3)).unwrap();
        assert_eq!(s.read_timeout().unwrap(), Some(Duration::from_secs(3)));
        assert_eq!(s.write_timeout().unwrap(), Some(Duration::from_secs(3)));
        assert!(s.nodelay().unwrap());
        drop(l);
        // a closed port fails instead of hanging
        assert!(connect(&[addr], timeout_of(1)).is_err());
    }

    #[test]
    fn socks4_exchange() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let proxy = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut req = [0u8; 9];
            c.read_exact(&mut req).unwrap();
            c.write_all(&[0, 90, 0, 0, 0, 0, 0, 0]).unwrap();
            req
        });
        let s = connect(&[addr], timeout_of(3)).unwrap();
        let fd = into_fd(s);
        socks4_connect(fd, "10.1.2.3:1935".parse().unwrap()).unwrap();
        assert_eq!(proxy.join().unwrap(), [4, 1, 0x07, 0x8f, 10, 1, 2, 3, 0]);
        // SAFETY: we own fd.
        unsafe { libc::close(fd) };
        assert!(matches!(
            socks4_granted(&[0, 91, 0, 0, 0, 0, 0, 0]),
            Err(SocksError::Refused { status: 91, .. })
        ));
        assert!(matches!(
            socks4_connect(-1, "[::1]:1".parse().unwrap()),
            Err(SocksError::NotIpv4)
        ));
    }
}
