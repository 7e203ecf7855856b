//! `@static`: the app's public folder at `/_static/…`, as Architect's sandbox serves it, with
//! content types, ETag and Last-Modified validators, 304s, and no way out of the folder.

use std::path::{Component, Path, PathBuf};

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const PREFIX: &str = "/_static/";

/// Serves `rel` (the URL path after `/_static/`, still percent-encoded) from `root`.
pub async fn serve(root: &Path, rel: &str, method: &Method, request_headers: &HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "static files are GET only\n").into_response();
    }
    let Some(path) = resolve(root, rel) else {
        tracing::warn!("refusing /_static/{rel}: the path leaves the static folder");
        return (StatusCode::FORBIDDEN, "forbidden\n").into_response();
    };
    let (bytes, modified) = match tokio::fs::read(&path).await {
        Ok(bytes) => (bytes, tokio::fs::metadata(&path).await.ok().and_then(|m| m.modified().ok())),
        Err(_) => return (StatusCode::NOT_FOUND, "not found\n").into_response(),
    };
    let etag = format!("\"{}\"", &blake3::hash(&bytes).to_hex()[..20]);
    let last_modified = modified.map(http_date);
    let mut headers = HeaderMap::new();
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    let content_type = if mime.essence_str().ends_with("javascript") {
        // RFC 9239: JavaScript (modules included) is text/javascript.
        "text/javascript; charset=utf-8".to_string()
    } else if mime.type_() == "text" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).expect("a MIME type is a header value"));
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex is a header value"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(lm) = &last_modified {
        headers.insert(header::LAST_MODIFIED, HeaderValue::from_str(lm).expect("an HTTP date is a header value"));
    }
    if not_modified(request_headers, &etag, last_modified.as_deref()) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    if method == Method::HEAD {
        return (StatusCode::OK, headers).into_response();
    }
    (StatusCode::OK, headers, bytes).into_response()
}

/// The file `rel` names under `root`, or `None` when it would leave `root` (`..`, an absolute
/// path, a backslash, or a symlink pointing out).
fn resolve(root: &Path, rel: &str) -> Option<PathBuf> {
    let decoded = percent_decode(rel)?;
    let rel = Path::new(&decoded);
    if decoded.contains('\\') || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let path = root.join(rel);
    let path = if path.is_dir() { path.join("index.html") } else { path };
    match (path.canonicalize(), root.canonicalize()) {
        (Ok(real), Ok(real_root)) => real.starts_with(&real_root).then_some(real),
        // Not there: a 404, not a refusal.
        _ => Some(path),
    }
}

/// Strict, unlike `percent_encoding`, which passes a malformed escape (`%zz`) through: a path
/// that is not cleanly encoded is refused rather than guessed at.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// RFC 9110: If-None-Match wins over If-Modified-Since.
fn not_modified(headers: &HeaderMap, etag: &str, last_modified: Option<&str>) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return inm.split(',').any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag);
    }
    match (headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()), last_modified) {
        (Some(since), Some(lm)) => {
            parse_http_date(since).zip(parse_http_date(lm)).is_some_and(|(since, lm)| lm <= since)
        }
        _ => false,
    }
}

const HTTP_DATE: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

fn http_date(t: std::time::SystemTime) -> String {
    time::OffsetDateTime::from(t).format(HTTP_DATE).unwrap_or_default()
}

fn parse_http_date(s: &str) -> Option<time::PrimitiveDateTime> {
    time::PrimitiveDateTime::parse(s, HTTP_DATE).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_folder() {
        let root = std::env::temp_dir().join(format!("wsh-static-{}", crate::ids::new_id()));
        std::fs::create_dir_all(root.join("css")).unwrap();
        std::fs::write(root.join("css/a.css"), "x").unwrap();
        assert_eq!(resolve(&root, "css/a.css"), Some(root.join("css/a.css").canonicalize().unwrap()));
        for bad in ["../app.arc", "%2e%2e/app.arc", "css/../../x", "/etc/passwd", "%2Fetc%2Fpasswd", "a\\..\\b", "%zz"]
        {
            assert_eq!(resolve(&root, bad), None, "{bad}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn http_dates_round_trip() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let s = http_date(t);
        assert_eq!(s, "Tue, 14 Nov 2023 22:13:20 GMT");
        assert!(parse_http_date(&s).is_some());
    }
}
