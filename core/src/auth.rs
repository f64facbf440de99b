//! Publisher authentication: the token a publishing client appends to its `app` and `tcUrl`
//! when the server rejects `connect` with an Adobe (`authmod=adobe`) or Limelight
//! (`authmod=llnw`) challenge in the `_error` description.
//!
//! Both schemes run in two rounds. The first rejection (`code=403 need auth`) asks for the user
//! name; the client reconnects with `?authmod=<mod>&user=<user>`. The second rejection carries
//! `?reason=needauth&...` with the server's salt/challenge (Adobe) or nonce (Limelight); the
//! client reconnects once more with its response appended.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use md5::{Digest, Md5};

const ADOBE: &[u8] = b"authmod=adobe";
const LLNW: &[u8] = b"authmod=llnw";

/// What the client does after a rejected `connect`.
#[derive(Debug, PartialEq, Eq)]
pub enum Auth {
    /// Not an authentication challenge: nothing to do.
    NotAuth,
    /// Authentication cannot go on; the message is logged as an ERROR.
    Fail(String),
    /// Append this token to `app` and `tcUrl`, then reconnect.
    Token(Vec<u8>),
}

/// Byte-string search.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

/// The `key=value` pairs of the `&`-separated query that starts at `?reason=needauth`; a later
/// duplicate key wins, a pair without `=` has an empty value.
fn query_value<'a>(query: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut found = None;
    for pair in query.split(|&c| c == b'&') {
        let (k, v) = match pair.iter().position(|&c| c == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        if k == key {
            found = Some(v);
        }
    }
    found
}

fn md5_of(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn hex(d: &[u8; 16]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The inputs of one decision.
pub struct Request<'a> {
    /// `description` of the `_error` info object.
    pub description: &'a [u8],
    /// `Link.app` as it is now (after the first round it already carries the user name).
    pub app: &'a [u8],
    pub user: &'a [u8],
    pub password: &'a [u8],
}

/// Decides the client's answer to a rejected `connect`. `rand` supplies the client nonce
/// (libc's `rand()` in the library, so a seeded process is reproducible as with librtmp).
pub fn respond(req: &Request<'_>, rand: &mut dyn FnMut() -> i32) -> Auth {
    let d = req.description;
    let (module, adobe) = if contains(d, ADOBE) {
        (ADOBE, true)
    } else if contains(d, LLNW) {
        (LLNW, false)
    } else {
        return Auth::NotAuth;
    };
    if contains(d, b"code=403 need auth") {
        if contains(req.app, module) {
            return Auth::Fail("wrong pubUser & pubPasswd for publisher auth".into());
        }
        if req.user.is_empty() || req.password.is_empty() {
            return Auth::Fail("need to set pubUser & pubPasswd for publisher auth".into());
        }
        let mut t = b"?".to_vec();
        t.extend_from_slice(module);
        t.extend_from_slice(b"&user=");
        t.extend_from_slice(req.user);
        return Auth::Token(t);
    }
    if let Some(at) = find(d, b"?reason=needauth") {
        let q = &d[at..];
        return if adobe {
            adobe_response(q, req.password, rand)
        } else {
            llnw_response(q, req.app, req.password, rand)
        };
    }
    let failed: &[u8] = if adobe {
        b"?reason=authfailed"
    } else {
        b"?reason=authfail"
    };
    if contains(d, failed) {
        return Auth::Fail(if adobe {
            "Authentication failed: wrong password".into()
        } else {
            "Authentication failed".into()
        });
    }
    if contains(d, b"?reason=nosuchuser") {
        return Auth::Fail("Authentication failed: no such user".into());
    }
    Auth::Fail(format!(
        "Authentication failed: unknown auth mode: {}",
        String::from_utf8_lossy(d)
    ))
}

fn missing(what: &str) -> Auth {
    Auth::Fail(format!("the server's challenge has no {what}"))
}

/// Adobe: hash1 = b64(md5(user salt password)); c2 = b64 of 4 random bytes;
/// response = b64(md5(hash1 (opaque | challenge) c2)).
fn adobe_response(q: &[u8], password: &[u8], rand: &mut dyn FnMut() -> i32) -> Auth {
    let Some(user) = query_value(q, b"user") else {
        return missing("user");
    };
    let Some(salt) = query_value(q, b"salt") else {
        return missing("salt");
    };
    let opaque = query_value(q, b"opaque").unwrap_or_default();
    let challenge = query_value(q, b"challenge").unwrap_or_default();
    let hash1 = B64.encode(md5_of(&[user, salt, password]));
    let c2 = B64.encode(rand().to_ne_bytes());
    let server_part = if !opaque.is_empty() {
        opaque
    } else {
        challenge
    };
    let response = B64.encode(md5_of(&[hash1.as_bytes(), server_part, c2.as_bytes()]));
    let mut t = format!("&challenge={c2}&response={response}&opaque=").into_bytes();
    t.extend_from_slice(opaque);
    Auth::Token(t)
}

/// Limelight (HTTP-digest-like): hash1 = md5(user ":live:" password), hash2 =
/// md5("publish:/" app ["/_definst_"]), response = md5(hash1 ":" nonce ":" nc ":" cnonce
/// ":auth:" hash2), all hex.
fn llnw_response(q: &[u8], app: &[u8], password: &[u8], rand: &mut dyn FnMut() -> i32) -> Auth {
    let Some(user) = query_value(q, b"user") else {
        return missing("user");
    };
    let Some(nonce) = query_value(q, b"nonce") else {
        return missing("nonce");
    };
    let nc = "00000001";
    let cnonce = format!("{:08x}", rand() as u32);
    let hash1 = hex(&md5_of(&[user, b":live:", password]));
    let app = &app[..app.iter().position(|&c| c == b'?').unwrap_or(app.len())];
    let inst: &[u8] = if app.contains(&b'/') {
        b""
    } else {
        b"/_definst_"
    };
    let hash2 = hex(&md5_of(&[b"publish:/", app, inst]));
    let hash3 = hex(&md5_of(&[
        hash1.as_bytes(),
        b":",
        nonce,
        b":",
        nc.as_bytes(),
        b":",
        cnonce.as_bytes(),
        b":auth:",
        hash2.as_bytes(),
    ]));
    let mut t = b"&nonce=".to_vec();
    t.extend_from_slice(nonce);
    t.extend_from_slice(format!("&cnonce={cnonce}&nc={nc}&response={hash3}").as_bytes());
    Auth::Token(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(d: &'a [u8], app: &'a [u8]) -> Request<'a> {
        Request {
            description: d,
            app,
            user: b"alice",
            password: b"secret",
        }
    }

    fn token(a: Auth) -> String {
        match a {
            Auth::Token(t) => String::from_utf8(t).unwrap(),
            other => panic!("no token: {other:?}"),
        }
    }

    #[test]
    fn first_round_asks_for_the_user() {
        let d = b"[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : ";
        assert_eq!(
            token(respond(&req(d, b"live"), &mut || 0)),
            "?authmod=adobe&user=alice"
        );
        // already sent once: the credentials are wrong
        assert_eq!(
            respond(&req(d, b"live?authmod=adobe&user=alice"), &mut || 0),
            Auth::Fail("wrong pubUser & pubPasswd for publisher auth".into())
        );
        let d = b"[ code=403 need auth; authmod=llnw ]";
        assert_eq!(
            token(respond(&req(d, b"live"), &mut || 0)),
            "?authmod=llnw&user=alice"
        );
        let r = Request {
            description: d,
            app: b"live",
            user: b"",
            password: b"x",
        };
        assert!(matches!(respond(&r, &mut || 0), Auth::Fail(m) if m.starts_with("need to set")));
        assert_eq!(
            respond(&req(b"plain refusal", b"a"), &mut || 0),
            Auth::NotAuth
        );
    }

    // Expected values computed independently (Python hashlib/base64).
    #[test]
    fn adobe_response_matches_independent_computation() {
        let d = b"[ AccessManager.Reject ] : [ authmod=adobe ] : \
                  ?reason=needauth&user=alice&salt=S4lt&challenge=Ch4l&opaque=0paq";
        let t = token(respond(
            &req(d, b"live?authmod=adobe&user=alice"),
            &mut || 0x01020304,
        ));
        assert_eq!(
            t,
            "&challenge=BAMCAQ==&response=+7ohdRAuyH9L8YILuJjJ6g==&opaque=0paq"
        );
        // without opaque the challenge is hashed and the opaque field stays empty
        let d = b"?reason=needauth&user=alice&salt=S4lt&challenge=Ch4l authmod=adobe";
        let t = token(respond(&req(d, b"live"), &mut || 0x01020304));
        assert!(t.starts_with("&challenge=BAMCAQ==&response="), "{t}");
        assert!(t.ends_with("&opaque="), "{t}");
    }

    #[test]
    fn llnw_response_matches_independent_computation() {
        let d = b"[ authmod=llnw ] : ?reason=needauth&user=alice&nonce=N0nce";
        let t = token(respond(
            &req(d, b"live?authmod=llnw&user=alice"),
            &mut || 0x1234abcd,
        ));
        assert_eq!(
            t,
            "&nonce=N0nce&cnonce=1234abcd&nc=00000001&response=53ce42f2f5e43f1f416e86c641fb3cc9"
        );
    }

    #[test]
    fn failures() {
        let f = |d: &[u8]| match respond(&req(d, b"live"), &mut || 0) {
            Auth::Fail(m) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            f(b"authmod=adobe ?reason=authfailed"),
            "Authentication failed: wrong password"
        );
        assert_eq!(f(b"authmod=llnw ?reason=authfail"), "Authentication failed");
        assert_eq!(
            f(b"authmod=adobe ?reason=nosuchuser"),
            "Authentication failed: no such user"
        );
        assert!(f(b"authmod=adobe ?reason=other").starts_with("Authentication failed: unknown"));
        assert!(f(b"authmod=adobe ?reason=needauth&salt=x").contains("no user"));
        assert!(f(b"authmod=llnw ?reason=needauth&user=x").contains("no nonce"));
    }
}
