//! TLS on the session socket, through rustls with the ring provider: the `rtmps://` client,
//! the server side of `RTMP_TLS_Accept`, and `https://` for `HTTP_get` and SWF verification.
//!
//! Certificates are checked by default against the system trust store (Debian's
//! `ca-certificates`), or what `SSL_CERT_FILE` / `SSL_CERT_DIR` name, as OpenSSL reads them;
//! the host name or IP address of the URL must match. `LIBRTMP_TLS_VERIFY=0` (environment) or
//! the option `tlsVerify=0` turns checking off; the caller logs a WARNING each time.
//!
//! A [`Session`] works on a raw socket it does not own: the `RTMP` struct keeps the descriptor
//! (`m_sb.sb_socket`), and `m_sb.sb_ssl` points to the session while TLS is on. Nothing here
//! logs; errors come back as text for the caller's `RTMP_Log` line.

use std::io::{self, IoSlice, Read, Write};
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, Connection, DigitallySignedStruct,
    RootCertStore, ServerConfig, ServerConnection, SignatureScheme,
};

/// The environment variable that turns certificate checking off (`0`, `no`, `off`, `false`).
pub const VERIFY_ENV: &str = "LIBRTMP_TLS_VERIFY";

/// What to tell a user whose server certificate was refused.
const TRUST_HINT: &str = "To trust it, point SSL_CERT_FILE (or SSL_CERT_DIR) at its CA \
certificate; to connect without checking, add the option tlsVerify=0 or set LIBRTMP_TLS_VERIFY=0";

/// What to tell a user whose server shows a certificate from a trusted CA that is wrong anyway.
const ANYWAY_HINT: &str = "To connect anyway, without checking (not recommended), add the \
option tlsVerify=0 or set LIBRTMP_TLS_VERIFY=0";

/// Whether `LIBRTMP_TLS_VERIFY` asks for no checking.
pub fn verify_disabled_by_env() -> bool {
    std::env::var(VERIFY_ENV).is_ok_and(|v| is_false(v.trim()))
}

/// `0`, `no`, `off` or `false`, in any case.
pub fn is_false(v: &str) -> bool {
    ["0", "no", "off", "false"]
        .iter()
        .any(|f| f.eq_ignore_ascii_case(v))
}

fn provider() -> Arc<CryptoProvider> {
    static P: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    P.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// The trust anchors: what `SSL_CERT_FILE` / `SSL_CERT_DIR` name when either is set; else the
/// system bundle file alone when there is one (Debian's `ca-certificates.crt` holds the same
/// certificates as `/etc/ssl/certs`, and reading one file instead of ~150 saves milliseconds
/// per process); else whatever the system store has.
fn trust_store() -> rustls_native_certs::CertificateResult {
    const BUNDLES: [&str; 3] = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
    ];
    let by_env = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|p| !p.is_empty()));
    if !by_env {
        if let Some(f) = BUNDLES.iter().find(|f| std::path::Path::new(f).is_file()) {
            return rustls_native_certs::load_certs_from_paths(Some(std::path::Path::new(f)), None);
        }
    }
    rustls_native_certs::load_native_certs()
}

/// The client configuration that checks certificates, built once per process from the trust
/// store; an error text when the store has no usable certificate.
fn verifying_client() -> Result<Arc<ClientConfig>, String> {
    static C: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    C.get_or_init(|| {
        let found = trust_store();
        let _ = STORE_PROBLEMS.set(found.errors.iter().map(|e| e.to_string()).collect());
        let mut roots = RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            let why = found
                .errors
                .first()
                .map_or_else(String::new, |e| format!(" ({e})"));
            return Err(format!(
                "no trusted CA certificate found in the system store, SSL_CERT_FILE or \
                 SSL_CERT_DIR{why}; install ca-certificates or point SSL_CERT_FILE at a CA file"
            ));
        }
        let cfg = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(cfg))
    })
    .clone()
}

/// What could not be read while loading the trust store (a bad `SSL_CERT_FILE`, say), for the
/// explanation of an unknown issuer.
static STORE_PROBLEMS: OnceLock<Vec<String>> = OnceLock::new();

/// The client configuration that accepts any certificate (signatures on the handshake are
/// still checked, so the peer must hold the key of the certificate it shows).
fn unverified_client() -> Result<Arc<ClientConfig>, String> {
    static C: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    C.get_or_init(|| {
        let cfg = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
            .with_no_client_auth();
        Ok(Arc::new(cfg))
    })
    .clone()
}

#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A server configuration from PEM files: the certificate chain (leaf first) and its private
/// key (PKCS#8, PKCS#1 or SEC1). The key must match the leaf certificate.
pub fn server_config(cert_file: &str, key_file: &str) -> Result<Arc<ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .map_err(|e| {
            format!(
                "cannot read the certificate file {cert_file}: {}",
                pem_err(e)
            )
        })?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad certificate in {cert_file}: {}", pem_err(e)))?;
    if certs.is_empty() {
        return Err(format!("no PEM certificate in {cert_file}"));
    }
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| {
        format!(
            "no usable private key (PEM PKCS#8, PKCS#1 or SEC1) in {key_file}: {}",
            pem_err(e)
        )
    })?;
    let cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => {
                format!("the key in {key_file} does not match the certificate in {cert_file}")
            }
            e => format!("cannot use {cert_file} with {key_file}: {e}"),
        })?;
    Ok(Arc::new(cfg))
}

fn pem_err(e: rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(e) => e.to_string(),
        rustls::pki_types::pem::Error::NoItemsFound => "nothing found".into(),
        e => format!("{e:?}"),
    }
}

/// The raw socket as `Read`/`Write` (one `recv`, one `send` or `sendmsg` per call). It does not
/// own the descriptor. Writes use `MSG_NOSIGNAL`: a peer gone during a TLS write (an alert or a
/// close_notify after it reset the connection) is an `EPIPE` error, not a SIGPIPE.
struct Fd(RawFd);

/// The raw socket for reads that never block (`MSG_DONTWAIT`): an empty socket is
/// `WouldBlock`, and the caller waits for it without holding the session.
struct FdNoWait(RawFd);

impl Read for FdNoWait {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is writable for its length; the descriptor is the caller's.
        os_result(unsafe {
            libc::recv(
                self.0,
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        })
    }
}

fn os_result(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

impl Read for Fd {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is writable for its length; the descriptor is the caller's.
        os_result(unsafe { libc::recv(self.0, buf.as_mut_ptr().cast(), buf.len(), 0) })
    }
}

impl Write for Fd {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        // SAFETY: an all-zero msghdr is valid (no name, no control data).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
        msg.msg_iovlen = bufs.len().min(super::MAX_IOV);
        // SAFETY: IoSlice has the layout of iovec on Unix; every slice is readable.
        os_result(unsafe { libc::sendmsg(self.0, &msg, libc::MSG_NOSIGNAL) })
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Why a receive failed.
#[derive(Debug)]
pub enum RecvError {
    /// The socket call failed (a receive timeout is `WouldBlock`).
    Io(io::Error),
    /// The TLS layer failed; the text says how.
    Tls(String),
}

/// Why a handshake failed.
#[derive(Debug)]
pub enum HandshakeError {
    Io(io::Error),
    /// The peer closed the connection during the handshake.
    Closed,
    /// No progress within the time allowed.
    TimedOut(Duration),
    Tls(rustls::Error),
    /// The host name cannot be checked against a certificate.
    BadName(String),
    /// No client configuration could be built (for instance no trust store).
    Config(String),
}

impl HandshakeError {
    /// The explanation for the log, naming `host` (the URL's host) where it helps.
    pub fn describe(&self, host: &str) -> String {
        match self {
            HandshakeError::Io(e) => format!("socket error during the TLS handshake: {e}"),
            HandshakeError::Closed => "the peer closed the connection during the TLS handshake \
                 (it may not speak TLS on this port)"
                .into(),
            HandshakeError::TimedOut(t) => format!(
                "the TLS handshake did not finish within {} s (Link.timeout)",
                t.as_secs()
            ),
            HandshakeError::BadName(n) => {
                format!("'{n}' is neither a host name nor an IP address usable with TLS")
            }
            HandshakeError::Config(e) => e.clone(),
            HandshakeError::Tls(e) => describe_tls(e, host),
        }
    }
}

/// Explains a rustls error, with the certificate cases spelt out for users.
pub fn describe_tls(e: &rustls::Error, host: &str) -> String {
    let refused =
        |why: String| format!("the certificate of {host} was refused: {why}. {ANYWAY_HINT}");
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => {
                let problems = STORE_PROBLEMS
                    .get()
                    .filter(|p| !p.is_empty())
                    .map_or_else(String::new, |p| {
                        format!(" (and the trust store had problems: {})", p.join("; "))
                    });
                format!(
                    "the certificate of {host} was refused: unknown issuer (its CA is not in the \
                     trust store){problems}. {TRUST_HINT}"
                )
            }
            CertificateError::Expired => refused("expired".into()),
            CertificateError::ExpiredContext { time, not_after } => refused(format!(
                "expired on {} (now {})",
                date_of(*not_after),
                date_of(*time)
            )),
            CertificateError::NotValidYet => refused("not valid yet".into()),
            CertificateError::NotValidYetContext { not_before, .. } => {
                refused(format!("not valid before {}", date_of(*not_before)))
            }
            CertificateError::NotValidForName => {
                refused(format!("it is not valid for the name {host}"))
            }
            CertificateError::NotValidForNameContext {
                expected,
                presented,
            } => refused(format!(
                "it is valid for {}, not for {}",
                if presented.is_empty() {
                    "no name".to_string()
                } else {
                    presented
                        .iter()
                        .map(|n| plain_name(n))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                expected.to_str()
            )),
            other => refused(format!("{other:?}")),
        },
        rustls::Error::AlertReceived(a) => format!("the peer sent a fatal TLS alert ({a:?})"),
        rustls::Error::InvalidMessage(m) => {
            format!("the peer sent data that is not valid TLS ({m:?})")
        }
        rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => {
            format!("the peer broke the TLS protocol ({e})")
        }
        e => format!("TLS failed: {e}"),
    }
}

/// A certificate name as webpki presents it (`DnsName("a.example")`, `IpAddress(..)`) without
/// the wrapping, for users.
fn plain_name(n: &str) -> &str {
    let inner = match (n.find('('), n.ends_with(')')) {
        (Some(i), true) => &n[i + 1..n.len() - 1],
        _ => n,
    };
    inner.trim_matches('"')
}

/// `YYYY-MM-DD` of a Unix time (proleptic Gregorian, UTC).
fn date_of(t: UnixTime) -> String {
    let (y, m, d) = rtmp_core::swf::civil_from_days((t.as_secs() / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// One TLS connection over a socket it does not own.
pub struct Session {
    conn: Connection,
    /// Scratch for gathering a vectored send into one buffer, so that one message becomes as
    /// few records as possible.
    gather: Vec<u8>,
}

impl Session {
    /// Client side: handshake on `fd` with `host` (SNI for names; the certificate is checked
    /// against it unless `verify` is false), bounded by `timeout`.
    pub fn connect(
        fd: RawFd,
        host: &str,
        verify: bool,
        timeout: Option<Duration>,
    ) -> Result<Session, HandshakeError> {
        let cfg = if verify {
            verifying_client()
        } else {
            unverified_client()
        }
        .map_err(HandshakeError::Config)?;
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| HandshakeError::BadName(host.to_string()))?;
        let conn = ClientConnection::new(cfg, name).map_err(HandshakeError::Tls)?;
        let mut s = Session::new(conn.into());
        s.handshake(fd, timeout)?;
        Ok(s)
    }

    /// Server side: handshake on `fd` with `cfg`, bounded by `timeout`.
    pub fn accept(
        fd: RawFd,
        cfg: Arc<ServerConfig>,
        timeout: Option<Duration>,
    ) -> Result<Session, HandshakeError> {
        let conn = ServerConnection::new(cfg).map_err(HandshakeError::Tls)?;
        let mut s = Session::new(conn.into());
        s.handshake(fd, timeout)?;
        Ok(s)
    }

    fn new(mut conn: Connection) -> Session {
        // A whole message is taken at once (the caller bounds its size) and sealed into
        // records of up to 16 KB.
        conn.set_buffer_limit(None);
        Session {
            conn,
            gather: Vec::new(),
        }
    }

    /// The negotiated protocol version, e.g. "TLSv1_3", for DEBUG lines.
    pub fn version(&self) -> String {
        self.conn
            .protocol_version()
            .map_or_else(|| "?".into(), |v| format!("{v:?}"))
    }

    fn handshake(&mut self, fd: RawFd, timeout: Option<Duration>) -> Result<(), HandshakeError> {
        let deadline = timeout.map(|t| (Instant::now() + t, t));
        loop {
            self.flush(fd).map_err(HandshakeError::Io)?;
            if !self.conn.is_handshaking() {
                return Ok(());
            }
            wait_readable(fd, deadline)?;
            match self.conn.read_tls(&mut Fd(fd)) {
                Ok(0) => return Err(HandshakeError::Closed),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                    ) =>
                {
                    continue
                }
                Err(e) => return Err(HandshakeError::Io(e)),
            }
            if let Err(e) = self.conn.process_new_packets() {
                // Tell the peer why (the alert rustls queued), then give up.
                let _ = self.flush(fd);
                return Err(HandshakeError::Tls(e));
            }
        }
    }

    /// Writes every queued TLS record.
    fn flush(&mut self, fd: RawFd) -> io::Result<()> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut Fd(fd)) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads decrypted bytes into `buf`: Ok(n > 0), Ok(0) after the peer's close_notify, or an
    /// error. A receive timeout is `RecvError::Io` with kind `WouldBlock`.
    pub fn recv(&mut self, fd: RawFd, buf: &mut [u8]) -> Result<usize, RecvError> {
        self.recv_with(fd, buf, false)
    }

    /// As [`Session::recv`], but the socket is never waited for: when it has nothing and no
    /// plaintext is buffered, `RecvError::Io` of kind `WouldBlock`.
    pub fn recv_now(&mut self, fd: RawFd, buf: &mut [u8]) -> Result<usize, RecvError> {
        self.recv_with(fd, buf, true)
    }

    fn recv_with(&mut self, fd: RawFd, buf: &mut [u8], now: bool) -> Result<usize, RecvError> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(RecvError::Tls(
                        "the peer closed the connection without a TLS close_notify \
                         (the stream was cut short)"
                            .into(),
                    ))
                }
                Err(e) => return Err(RecvError::Tls(e.to_string())),
            }
            let got = if now {
                self.conn.read_tls(&mut FdNoWait(fd))
            } else {
                self.conn.read_tls(&mut Fd(fd))
            };
            if let Err(e) = got {
                return Err(RecvError::Io(e));
            }
            let state = self.conn.process_new_packets();
            // Answers the peer may need (key update, alerts) go out now. A failure here is left
            // to the next send: what the peer sent before going away is still to be read.
            let _ = self.flush(fd);
            if let Err(e) = state {
                return Err(RecvError::Tls(describe_tls(&e, "the peer")));
            }
        }
    }

    /// Seals `parts` (in order) into as few records as possible and writes them with as few
    /// `writev` calls as the socket allows. Returns the plaintext length.
    pub fn send(&mut self, fd: RawFd, parts: &[IoSlice<'_>]) -> io::Result<usize> {
        let total = parts.iter().map(|p| p.len()).sum();
        if let [one] = parts {
            self.seal(fd, one)?;
        } else {
            let mut g = std::mem::take(&mut self.gather);
            g.clear();
            g.reserve(total);
            for p in parts {
                g.extend_from_slice(&p[..]);
            }
            let r = self.seal(fd, &g);
            self.gather = g;
            r?;
        }
        self.flush(fd)?;
        Ok(total)
    }

    fn seal(&mut self, fd: RawFd, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = self.conn.writer().write(data)?;
            if n == 0 {
                self.flush(fd)?;
            }
            data = &data[n..];
        }
        Ok(())
    }

    /// Sends close_notify (best effort: a dead peer is not waited for beyond the socket's send
    /// timeout).
    pub fn close_notify(&mut self, fd: RawFd) {
        self.conn.send_close_notify();
        let _ = self.flush(fd);
    }
}

/// Waits until `fd` is readable or the deadline passes.
fn wait_readable(fd: RawFd, deadline: Option<(Instant, Duration)>) -> Result<(), HandshakeError> {
    loop {
        let ms = match deadline {
            None => -1,
            Some((at, total)) => {
                let left = at.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(HandshakeError::TimedOut(total));
                }
                left.as_millis().clamp(1, i32::MAX as u128) as libc::c_int
            }
        };
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n > 0 {
            return Ok(());
        }
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(HandshakeError::Io(e));
            }
        }
    }
}

/// The `sb_ssl` pointee: a session shared between the thread that reads or writes and a thread
/// that closes the handle meanwhile (GStreamer closes to abort a blocked read). `sb_ssl` holds
/// one reference; each operation takes its own under [`SLOT_LOCK`], so closing never frees a
/// session still in use.
pub struct Shared {
    pub session: Mutex<Session>,
}

/// Held only while a reference is taken from or removed from an `sb_ssl` slot.
pub static SLOT_LOCK: Mutex<()> = Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            date_of(UnixTime::since_unix_epoch(Duration::ZERO)),
            "1970-01-01"
        );
        assert_eq!(
            date_of(UnixTime::since_unix_epoch(Duration::from_secs(
                1_577_923_200
            ))),
            "2020-01-02"
        );
        assert_eq!(
            date_of(UnixTime::since_unix_epoch(Duration::from_secs(951_782_400))),
            "2000-02-29"
        );
    }

    #[test]
    fn names_for_users() {
        assert_eq!(plain_name("DnsName(\"wrong.example\")"), "wrong.example");
        assert_eq!(plain_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(plain_name("a.example"), "a.example");
        let e = rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("h.example").unwrap(),
            presented: vec!["DnsName(\"w.example\")".into(), "x.example".into()],
        });
        let text = describe_tls(&e, "h.example");
        assert!(
            text.contains("it is valid for w.example, x.example, not for h.example"),
            "{text}"
        );
        assert!(text.contains("To connect anyway"), "{text}");
        let e = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert!(describe_tls(&e, "h").contains("SSL_CERT_FILE"));
    }

    #[test]
    fn false_values() {
        for v in ["0", "no", "OFF", "False"] {
            assert!(is_false(v));
        }
        for v in ["1", "yes", "", "2"] {
            assert!(!is_false(v));
        }
    }

    #[test]
    fn server_config_errors_name_the_file() {
        let e = server_config("/nonexistent/cert.pem", "/nonexistent/key.pem").unwrap_err();
        assert!(e.contains("/nonexistent/cert.pem"), "{e}");
    }
}

/// A client and a server session over a socket pair, with certificates made by `openssl`.
#[cfg(test)]
pub(crate) mod loopback {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("librtmp-rs-tls-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn openssl(dir: &Path, args: &[&str]) {
        let st = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("the tests need the openssl command (Debian package openssl)");
        assert!(st.success(), "openssl {args:?}");
    }

    /// A self-signed certificate for 127.0.0.1 with keys in three encodings:
    /// `ec8.key` (PKCS#8), `ec1.key` (SEC1), `rsa1.key` (PKCS#1) with `rsa.pem`.
    pub(crate) fn certs(tag: &str) -> PathBuf {
        let d = tmpdir(tag);
        let san = "subjectAltName=IP:127.0.0.1";
        openssl(
            &d,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                "ec1.key",
            ],
        );
        openssl(
            &d,
            &[
                "pkcs8", "-topk8", "-nocrypt", "-in", "ec1.key", "-out", "ec8.key",
            ],
        );
        openssl(
            &d,
            &[
                "req", "-x509", "-key", "ec8.key", "-out", "ec.pem", "-days", "2", "-subj",
                "/CN=t", "-addext", san,
            ],
        );
        openssl(&d, &["genrsa", "-traditional", "-out", "rsa1.key", "2048"]);
        openssl(
            &d,
            &[
                "req", "-x509", "-key", "rsa1.key", "-out", "rsa.pem", "-days", "2", "-subj",
                "/CN=t", "-addext", san,
            ],
        );
        d
    }

    fn p(d: &Path, f: &str) -> String {
        d.join(f).to_string_lossy().into_owned()
    }

    #[test]
    fn server_keys_in_three_encodings_and_a_mismatch() {
        let d = certs("keys");
        for (c, k) in [
            ("ec.pem", "ec8.key"),
            ("ec.pem", "ec1.key"),
            ("rsa.pem", "rsa1.key"),
        ] {
            server_config(&p(&d, c), &p(&d, k)).unwrap_or_else(|e| panic!("{c} {k}: {e}"));
        }
        let e = server_config(&p(&d, "rsa.pem"), &p(&d, "ec8.key")).unwrap_err();
        assert!(e.contains("does not match"), "{e}");
        let e = server_config(&p(&d, "ec8.key"), &p(&d, "ec8.key")).unwrap_err();
        assert!(e.contains("no PEM certificate"), "{e}");
        let e = server_config(&p(&d, "ec.pem"), &p(&d, "ec.pem")).unwrap_err();
        assert!(e.contains("no usable private key"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }

    /// Counts the TLS records of each content type in a byte stream.
    fn records(mut wire: &[u8]) -> std::collections::BTreeMap<u8, usize> {
        let mut m = std::collections::BTreeMap::new();
        while wire.len() >= 5 {
            let len = usize::from(u16::from_be_bytes([wire[3], wire[4]]));
            *m.entry(wire[0]).or_default() += 1;
            wire = &wire[(5 + len).min(wire.len())..];
        }
        m
    }

    #[test]
    fn one_send_is_few_records_and_data_round_trips() {
        let d = certs("rt");
        let cfg = server_config(&p(&d, "ec.pem"), &p(&d, "ec8.key")).unwrap();
        for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
            let (a, b) = UnixStream::pair().unwrap();
            let cfg = cfg.clone();
            let server = std::thread::spawn(move || {
                let mut s =
                    Session::accept(b.as_raw_fd(), cfg, Some(Duration::from_secs(5))).unwrap();
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                while got.len() < 128 * 1003 {
                    let n = s.recv(b.as_raw_fd(), &mut buf).unwrap();
                    assert!(n > 0);
                    got.extend_from_slice(&buf[..n]);
                }
                s.send(b.as_raw_fd(), &[IoSlice::new(b"bye")]).unwrap();
                s.close_notify(b.as_raw_fd());
                got
            });
            // The client is limited to one version, so that both are covered.
            let ccfg = ClientConfig::builder_with_provider(provider())
                .with_protocol_versions(&[version])
                .unwrap()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
                .with_no_client_auth();
            let conn =
                ClientConnection::new(Arc::new(ccfg), ServerName::try_from("127.0.0.1").unwrap())
                    .unwrap();
            let mut c = Session::new(conn.into());
            c.handshake(a.as_raw_fd(), Some(Duration::from_secs(5)))
                .unwrap();
            // 1000 pieces of 128 bytes, as one message at chunk size 128 is gathered.
            let body: Vec<u8> = (0..128_000u32).map(|i| (i % 251) as u8).collect();
            let pieces: Vec<IoSlice<'_>> = body.chunks(128).map(IoSlice::new).collect();
            // Capture what one send puts on the wire: seal into a buffer instead of the socket.
            c.seal(a.as_raw_fd(), &body[..0]).unwrap();
            let mut g = Vec::new();
            for piece in &pieces {
                g.extend_from_slice(piece);
            }
            c.conn.writer().write_all(&g).unwrap();
            let mut wire = Vec::new();
            while c.conn.wants_write() {
                c.conn.write_tls(&mut wire).unwrap();
            }
            // 128,000 bytes in records of at most 16 KB: 8 application-data records.
            assert_eq!(records(&wire).get(&23), Some(&8), "{version:?}");
            std::io::Write::write_all(&mut &a, &wire).unwrap();
            // The send path proper: three pieces in one call.
            assert_eq!(c.send(a.as_raw_fd(), &pieces[..3]).unwrap(), 384);
            let got = server.join().unwrap();
            assert_eq!(got[..128_000], body[..]);
            assert_eq!(got[128_000..], body[..384]);
            let mut buf = [0u8; 16];
            let k = c.recv(a.as_raw_fd(), &mut buf).unwrap();
            assert_eq!(&buf[..k], b"bye");
            assert_eq!(
                c.recv(a.as_raw_fd(), &mut buf).unwrap(),
                0,
                "close_notify reads as the end"
            );
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_stalled_peer_times_out_and_garbage_is_refused() {
        let (a, b) = UnixStream::pair().unwrap();
        let t0 = Instant::now();
        let e = Session::connect(
            a.as_raw_fd(),
            "127.0.0.1",
            false,
            Some(Duration::from_secs(1)),
        )
        .err()
        .unwrap();
        assert!(matches!(e, HandshakeError::TimedOut(_)), "{e:?}");
        assert!(t0.elapsed() < Duration::from_secs(3));
        std::io::Write::write_all(&mut &b, &[0x41; 300]).unwrap();
        let (a2, b2) = UnixStream::pair().unwrap();
        std::io::Write::write_all(&mut &b2, &[0x41; 300]).unwrap();
        let e = Session::connect(
            a2.as_raw_fd(),
            "127.0.0.1",
            false,
            Some(Duration::from_secs(1)),
        )
        .err()
        .unwrap();
        assert!(
            e.describe("h").contains("not valid TLS"),
            "{}",
            e.describe("h")
        );
        drop((a, b, b2));
    }
}
