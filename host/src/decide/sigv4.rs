//! Verification of AWS Signature Version 4 (`AWS4-HMAC-SHA256`) signed HTTP requests.
//!
//! Why: wsh emulates the API Gateway Management API (`POST/GET/DELETE /@connections/{connectionId}`,
//! service `execute-api`). The official AWS SDK clients (boto3 `apigatewaymanagementapi`,
//! `@aws-sdk/client-apigatewaymanagementapi`, ...) can only authenticate with SigV4, so that is what
//! the server must accept. Verifying the signature means the secret never crosses the wire: the client
//! sends only its access key id and an HMAC over the request, which the server recomputes with its
//! copy of the secret.
//!
//! This is not IAM: there is exactly one credential, no policies, no session tokens, no presigned
//! (query-string) URLs and no chunked/streaming payload signing. A request is either signed with the
//! configured key (and accepted) or refused.
//!
//! Details that matter:
//! - `Request::path` must be the path exactly as it came on the wire (still percent-encoded). For
//!   every service but S3 the SDKs sign the wire path URI-encoded *again*: boto3 sends
//!   `POST /@connections/abc%3D` and signs the canonical URI `/%40connections/abc%253D`.
//!   They also drop empty and `.` segments and resolve `..` before encoding, so a path that differs
//!   from the signed one only in those respects verifies too: route on the path you verified, and
//!   treat odd paths (`//`, `/./`, `/../`) as not found.
//! - With HTTP/2 the caller must pass the `:authority` as a `host` header.
//! - The payload hash is always computed from the body actually received (a client that signed
//!   `UNSIGNED-PAYLOAD` or a different `x-amz-content-sha256` is refused with `BadSignature`).
//! - Like AWS, a captured request can be replayed while its timestamp is within 15 minutes.

use std::fmt;

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far `x-amz-date` may be from the server's clock, either way.
const MAX_SKEW_SECS: u64 = 15 * 60;

/// Everything but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is `%XX`-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// As [`UNRESERVED`], but keeping `/` (path separators in the canonical URI).
const UNRESERVED_AND_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');

/// The one access key id / secret pair the server accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// An HTTP request as received.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// Raw path as on the wire, still percent-encoded, without the query.
    pub path: &'a str,
    /// Raw query string (after `?`), still percent-encoded.
    pub query: Option<&'a str>,
    /// Every header as received: names in any case, repeated names allowed, in arrival order.
    pub headers: &'a [(&'a str, &'a [u8])],
    pub body: &'a [u8],
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` header, no `x-amz-date`/`date`, or a header named in `SignedHeaders` is absent.
    Missing,
    /// The signature material is present but does not parse or breaks a SigV4 rule.
    Malformed(&'static str),
    /// Signed with an access key id other than the configured one.
    UnknownKey,
    /// `x-amz-date` is more than 15 minutes away from the server's clock.
    Expired,
    /// The signature does not match the request (wrong secret, or request altered).
    BadSignature,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Missing => {
                f.write_str("request is not SigV4 signed: Authorization, x-amz-date, or a signed header is missing")
            }
            Refusal::Malformed(why) => write!(f, "malformed SigV4 request: {why}"),
            Refusal::UnknownKey => f.write_str("unknown access key id"),
            Refusal::Expired => f.write_str("request timestamp is more than 15 minutes from the server clock"),
            Refusal::BadSignature => f.write_str("signature does not match the request"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Verifies that `req` carries a valid SigV4 `Authorization` header made with `cred`, at a time
/// within 15 minutes of `now_unix_secs`.
pub fn verify(req: &Request, cred: &Credential, now_unix_secs: u64) -> Result<(), Refusal> {
    let auth = single_header(req.headers, "authorization")?.ok_or(Refusal::Missing)?;
    let auth = std::str::from_utf8(auth).map_err(|_| Refusal::Malformed("Authorization is not UTF-8"))?;
    let auth = parse_authorization(auth)?;

    if auth.access_key_id != cred.access_key_id {
        return Err(Refusal::UnknownKey);
    }

    let stamp = match single_header(req.headers, "x-amz-date")? {
        Some(v) => parse_amz_date(v).ok_or(Refusal::Malformed("x-amz-date is not YYYYMMDD'T'HHMMSS'Z'"))?,
        None => {
            let v = single_header(req.headers, "date")?.ok_or(Refusal::Missing)?;
            parse_amz_date(v)
                .or_else(|| parse_http_date(v))
                .ok_or(Refusal::Malformed("date is neither YYYYMMDD'T'HHMMSS'Z' nor an HTTP date"))?
        }
    };
    let amz_date = stamp.amz_date();
    if auth.date != &amz_date[..8] {
        return Err(Refusal::Malformed("credential scope date does not match the request date"));
    }
    if stamp.unix_secs().abs_diff(now_unix_secs) > MAX_SKEW_SECS {
        return Err(Refusal::Expired);
    }

    let canonical = canonical_request(req, &auth.signed_headers)?;
    let scope = format!("{}/{}/{}/aws4_request", auth.date, auth.region, auth.service);
    let string_to_sign =
        format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));

    let key = signing_key(&cred.secret_access_key, auth.date, auth.region, auth.service);
    let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&auth.signature).map_err(|_| Refusal::BadSignature)
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: [u8; 32],
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, Refusal> {
    let rest = value
        .trim()
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with([' ', '\t']))
        .ok_or(Refusal::Malformed("Authorization is not AWS4-HMAC-SHA256"))?;

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, val) = part.trim().split_once('=').ok_or(Refusal::Malformed("Authorization part without '='"))?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(Refusal::Malformed("unknown Authorization part")),
        };
        if slot.replace(val).is_some() {
            return Err(Refusal::Malformed("repeated Authorization part"));
        }
    }
    let credential = credential.ok_or(Refusal::Malformed("Authorization has no Credential"))?;
    let signed_headers = signed_headers.ok_or(Refusal::Malformed("Authorization has no SignedHeaders"))?;
    let signature = signature.ok_or(Refusal::Malformed("Authorization has no Signature"))?;

    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts[..] else {
        return Err(Refusal::Malformed("Credential is not KEY/DATE/REGION/SERVICE/aws4_request"));
    };
    if terminator != "aws4_request" || [access_key_id, region, service].iter().any(|p| p.is_empty()) {
        return Err(Refusal::Malformed("Credential is not KEY/DATE/REGION/SERVICE/aws4_request"));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::Malformed("Credential date is not YYYYMMDD"));
    }

    let names: Vec<&str> = signed_headers.split(';').collect();
    let valid_name = |n: &&str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase());
    if !names.iter().all(valid_name) {
        return Err(Refusal::Malformed("SignedHeaders has an empty or non-lowercase name"));
    }
    if !names.windows(2).all(|w| w[0] < w[1]) {
        return Err(Refusal::Malformed("SignedHeaders is not sorted and unique"));
    }
    if !names.contains(&"host") {
        return Err(Refusal::Malformed("host is not among SignedHeaders"));
    }

    let mut sig = [0u8; 32];
    hex::decode_to_slice(signature, &mut sig).map_err(|_| Refusal::Malformed("Signature is not 64 hex digits"))?;

    Ok(Authorization { access_key_id, date, region, service, signed_headers: names, signature: sig })
}

/// The value of a header that must appear at most once.
fn single_header<'a>(headers: &[(&str, &'a [u8])], name: &str) -> Result<Option<&'a [u8]>, Refusal> {
    let mut found = headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v);
    let first = found.next();
    if found.next().is_some() {
        return Err(Refusal::Malformed("a header that must be unique (authorization, x-amz-date, date) is repeated"));
    }
    Ok(first)
}

fn canonical_request(req: &Request, signed_headers: &[&str]) -> Result<String, Refusal> {
    let mut out = String::new();
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path));
    out.push('\n');
    out.push_str(&canonical_query(req.query.unwrap_or("")));
    out.push('\n');
    for name in signed_headers {
        let mut values = req.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v).peekable();
        values.peek().ok_or(Refusal::Missing)?;
        out.push_str(name);
        out.push(':');
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(',');
            }
            let value = std::str::from_utf8(value).map_err(|_| Refusal::Malformed("a signed header is not UTF-8"))?;
            // Trim, and collapse every run of whitespace into one space.
            for (j, word) in value.split_ascii_whitespace().enumerate() {
                if j > 0 {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(&hex::encode(Sha256::digest(req.body)));
    Ok(out)
}

/// The canonical URI the SDKs sign for non-S3 services: the wire path with empty and `.` segments
/// dropped and `..` resolved, then URI-encoded again (keeping `/`), so `%` becomes `%25`.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = String::with_capacity(path.len());
    if path.starts_with('/') {
        normalized.push('/');
    }
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    utf8_percent_encode(&normalized, UNRESERVED_AND_SLASH).to_string()
}

/// The canonical query: each name and value percent-decoded then re-encoded with the unreserved set,
/// sorted by name then value, joined with `&`. A parameter without `=` gets an empty value.
fn canonical_query(query: &str) -> String {
    let encode = |s: &str| -> String {
        let raw: Vec<u8> = percent_decode_str(s).collect();
        percent_encoding::percent_encode(&raw, UNRESERVED).to_string()
    };
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            (encode(name), encode(value))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&")
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// A UTC calendar time, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Stamp {
    fn new(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<Stamp> {
        let ok = (1970..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        ok.then_some(Stamp { year, month, day, hour, minute, second })
    }

    fn amz_date(&self) -> String {
        let Stamp { year, month, day, hour, minute, second } = *self;
        format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
    }

    fn unix_secs(&self) -> u64 {
        let days = days_from_civil(self.year, self.month, self.day);
        days * 86_400 + u64::from(self.hour) * 3600 + u64::from(self.minute) * 60 + u64::from(self.second)
    }
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a (valid, year >= 1970) Gregorian date; Howard Hinnant's algorithm.
fn days_from_civil(year: u32, month: u32, day: u32) -> u64 {
    let y = u64::from(if month <= 2 { year - 1 } else { year });
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = u64::from((month + 9) % 12); // March = 0
    let doy = (153 * mp + 2) / 5 + u64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// `YYYYMMDD'T'HHMMSS'Z'`, the SigV4 timestamp format.
fn parse_amz_date(v: &[u8]) -> Option<Stamp> {
    if v.len() != 16 || v[8] != b'T' || v[15] != b'Z' {
        return None;
    }
    let (year, month, day) = (digits(&v[0..4])?, digits(&v[4..6])?, digits(&v[6..8])?);
    Stamp::new(year, month, day, digits(&v[9..11])?, digits(&v[11..13])?, digits(&v[13..15])?)
}

/// An IMF-fixdate HTTP date, `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(v: &[u8]) -> Option<Stamp> {
    const MONTHS: [&[u8]; 12] =
        [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
    if v.len() != 29 || &v[3..5] != b", " || v[7] != b' ' || v[11] != b' ' || v[16] != b' ' || &v[25..] != b" GMT" {
        return None;
    }
    if v[19] != b':' || v[22] != b':' || !v[..3].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == &v[8..11])? as u32 + 1;
    let (year, day) = (digits(&v[12..16])?, digits(&v[5..7])?);
    Stamp::new(year, month, day, digits(&v[17..19])?, digits(&v[20..22])?, digits(&v[23..25])?)
}

#[cfg(test)]
mod tests;
