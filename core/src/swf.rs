//! SWF verification, sans-IO: the hash librtmp sends in the SWF verification response, and
//! the `~/.swfinfo` cache that `RTMP_HashSWF` keeps between runs.
//!
//! The hash is HMAC-SHA256 keyed with "Genuine Adobe Flash Player 001" over the uncompressed
//! SWF: the 8-byte header as received (a compressed `CWS` file is hashed as `FWS`) followed by
//! the body, zlib-inflated when the file was compressed. Input arrives in pieces (the HTTP
//! body callback), so hashing streams; inflated output is bounded.

use flate2::{Decompress, FlushDecompress, Status};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SWF_KEY: &[u8] = b"Genuine Adobe Flash Player 001";
/// The SWF header kept outside the compressed stream.
const HEADER_LEN: usize = 8;
/// Upper bound on the inflated size we are willing to hash (SWF files declare a 32-bit size).
pub const MAX_INFLATED: u64 = u32::MAX as u64;

/// Why a SWF could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwfError {
    /// Fewer than 8 bytes arrived.
    Truncated,
    /// The zlib stream of a `CWS` file is corrupt.
    Inflate(String),
    /// The inflated data exceeds [`MAX_INFLATED`].
    TooLarge,
}

/// Streaming SWF hasher.
pub struct SwfHasher {
    header: Vec<u8>,
    inflater: Option<Decompress>,
    mac: Hmac<Sha256>,
    size: u64,
    error: Option<SwfError>,
    /// The compressed stream ended: later bytes are ignored.
    ended: bool,
}

impl Default for SwfHasher {
    fn default() -> Self {
        SwfHasher {
            header: Vec::with_capacity(HEADER_LEN),
            inflater: None,
            mac: <Hmac<Sha256> as Mac>::new_from_slice(SWF_KEY).expect("any key length"),
            size: 0,
            error: None,
            ended: false,
        }
    }
}

impl SwfHasher {
    pub fn new() -> SwfHasher {
        SwfHasher::default()
    }

    /// Feeds the next piece of the downloaded file.
    pub fn update(&mut self, mut data: &[u8]) {
        if self.error.is_some() || self.ended {
            return;
        }
        if self.header.len() < HEADER_LEN {
            let take = (HEADER_LEN - self.header.len()).min(data.len());
            self.header.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.header.len() < HEADER_LEN {
                return;
            }
            if self.header[0] == b'C' {
                self.header[0] = b'F';
                self.inflater = Some(Decompress::new(true));
            }
            self.mac.update(&self.header);
            self.size = HEADER_LEN as u64;
        }
        match self.inflater.as_mut() {
            None => {
                self.mac.update(data);
                self.size += data.len() as u64;
            }
            Some(z) => {
                let mut out = [0u8; 16384];
                loop {
                    let (before_in, before_out) = (z.total_in(), z.total_out());
                    let status = match z.decompress(data, &mut out, FlushDecompress::None) {
                        Ok(s) => s,
                        Err(e) => {
                            self.error = Some(SwfError::Inflate(e.to_string()));
                            return;
                        }
                    };
                    let used = (z.total_in() - before_in) as usize;
                    let made = (z.total_out() - before_out) as usize;
                    data = &data[used..];
                    self.mac.update(&out[..made]);
                    self.size += made as u64;
                    if self.size > MAX_INFLATED {
                        self.error = Some(SwfError::TooLarge);
                        return;
                    }
                    if status == Status::StreamEnd {
                        // bytes after the end of the zlib stream are not part of the SWF
                        self.inflater = None;
                        self.ended = true;
                        return;
                    }
                    let output_full = made == out.len();
                    if (data.is_empty() && !output_full) || (used == 0 && made == 0) {
                        return;
                    }
                }
            }
        }
    }

    /// The SWF size (uncompressed, header included) and its verification hash.
    pub fn finish(self) -> Result<(u32, [u8; 32]), SwfError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.header.len() < HEADER_LEN {
            return Err(SwfError::Truncated);
        }
        Ok((self.size as u32, self.mac.finalize().into_bytes().into()))
    }
}

/// One entry of the `.swfinfo` cache.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CacheEntry {
    /// `url:` (scheme, host and path, no query).
    pub url: String,
    /// `ctim:`, when the entry was last checked (an HTTP date).
    pub ctim: String,
    /// `date:`, the server's Last-Modified (sent back as If-Modified-Since).
    pub date: String,
    pub size: u32,
    pub hash: [u8; 32],
}

impl CacheEntry {
    /// The entry's lines as librtmp writes them.
    pub fn to_text(&self) -> String {
        let mut s = format!("url: {}\nctim: {}\n", self.url, self.ctim);
        if !self.date.is_empty() {
            s.push_str(&format!("date: {}\n", self.date));
        }
        s.push_str(&format!("size: {:08x}\nhash: ", self.size));
        for b in self.hash {
            s.push_str(&format!("{b:02x}"));
        }
        s.push('\n');
        s
    }
}

/// Parses a `.swfinfo` file into its entries (unknown lines are kept out; bad hex is skipped).
pub fn parse_cache(text: &str) -> Vec<CacheEntry> {
    let mut entries: Vec<CacheEntry> = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(": ") else {
            continue;
        };
        if key == "url" {
            entries.push(CacheEntry {
                url: value.to_string(),
                ..CacheEntry::default()
            });
            continue;
        }
        let Some(e) = entries.last_mut() else {
            continue;
        };
        match key {
            "ctim" => e.ctim = value.to_string(),
            "date" => e.date = value.to_string(),
            "size" => e.size = u32::from_str_radix(value.trim(), 16).unwrap_or(0),
            "hash" => {
                let v = value.trim().as_bytes();
                if v.len() == 64 {
                    for (i, pair) in v.chunks(2).enumerate() {
                        let hex = std::str::from_utf8(pair).unwrap_or("zz");
                        e.hash[i] = u8::from_str_radix(hex, 16).unwrap_or(0);
                    }
                }
            }
            _ => {}
        }
    }
    entries
}

/// The cache key of a SWF URL: scheme, host and path, without the query.
pub fn cache_url(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats seconds since the epoch as an HTTP date (`Wed, 25 Nov 2026 16:00:00 GMT`).
pub fn http_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wd = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[wd],
        d,
        MONTHS[(m - 1) as usize],
        y,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses an HTTP date back to seconds since the epoch.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut it = s.split_whitespace();
    it.next()?; // day name
    let d: i64 = it.next()?.parse().ok()?;
    let mon = it.next()?;
    let m = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(mon))? as i64 + 1;
    let y: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<i64>());
    let (h, mi, se) = (hms.next()?.ok()?, hms.next()?.ok()?, hms.next()?.ok()?);
    Some(days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + se)
}

// Gregorian calendar conversions (days since 1970-01-01).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::ZlibEncoder, Compression};
    use std::io::Write;

    fn reference_hash(uncompressed: &[u8]) -> [u8; 32] {
        crate::handshake::hmac_sha256(SWF_KEY, &[uncompressed])
    }

    #[test]
    fn plain_and_compressed_hash_alike() {
        let body: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let mut fws = b"FWS\x0a\0\0\0\0".to_vec();
        fws.extend_from_slice(&body);
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(&body).unwrap();
        let mut cws = b"CWS\x0a\0\0\0\0".to_vec();
        cws.extend_from_slice(&z.finish().unwrap());

        let expected = (fws.len() as u32, reference_hash(&fws));
        for piece in [1usize, 7, 8, 1000, 1 << 20] {
            for file in [&fws, &cws] {
                let mut h = SwfHasher::new();
                for c in file.chunks(piece) {
                    h.update(c);
                }
                assert_eq!(h.finish().unwrap(), expected, "piece {piece}");
            }
        }
    }

    #[test]
    fn bad_input_fails() {
        let mut h = SwfHasher::new();
        h.update(b"FWS");
        assert_eq!(h.finish(), Err(SwfError::Truncated));
        let mut h = SwfHasher::new();
        h.update(b"CWS\x0a\0\0\0\0not zlib at all");
        assert!(matches!(h.finish(), Err(SwfError::Inflate(_))));
    }

    #[test]
    fn cache_round_trip_and_dates() {
        let e = CacheEntry {
            url: "http://h/player.swf".into(),
            ctim: http_date(1_764_086_400),
            date: "Tue, 01 Jan 2019 00:00:00 GMT".into(),
            size: 0x1234,
            hash: [0xab; 32],
        };
        let text = e.to_text();
        assert!(text.contains("size: 00001234\n"));
        assert_eq!(parse_cache(&text), vec![e.clone()]);
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_764_086_400), "Tue, 25 Nov 2025 16:00:00 GMT");
        assert_eq!(parse_http_date(&e.ctim), Some(1_764_086_400));
        assert_eq!(cache_url("http://h/p.swf?x=1"), "http://h/p.swf");
    }
}
