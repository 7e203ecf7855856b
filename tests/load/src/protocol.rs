//! The echo apps' protocol (guest-examples/echo, echo-js, echo-py): a message
//! `{"text": "..."}` is answered with `{"text": "<ISO timestamp> - Echoing ..."}`. The
//! generator builds requests and checks replies with it; the native server answers with it, so
//! the baseline does the same work as the handlers.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::macros::format_description;

/// Every request is this long: the issue's workload is a 128-byte JSON echo.
pub const MESSAGE_BYTES: usize = 128;

/// `{"text":""}`: what a request adds around its text.
const ENVELOPE_BYTES: usize = 11;

/// JavaScript's `new Date().toISOString()`, as the handlers write it: `2026-11-22T21:17:50.313Z`.
const TIMESTAMP_BYTES: usize = 24;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Text<'a> {
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
}

/// The text of message `seq` on connection `conn`. It names both, so that a reply to any other
/// message (a stale, reordered or crossed one) fails the check; padded so the whole request is
/// [`MESSAGE_BYTES`]. Only characters JSON carries unescaped.
pub fn text(conn: usize, seq: u64) -> String {
    let head = format!("conn {conn} msg {seq} ");
    format!("{head:.<width$}", width = MESSAGE_BYTES - ENVELOPE_BYTES)
}

/// The request carrying `text`.
pub fn request(text: &str) -> String {
    serde_json::to_string(&Text { text: text.into() }).expect("a string serializes")
}

/// The echo handlers' answer to `body`, timestamped `now`. As they do, a body that is not
/// `{"text": ...}` is echoed as it came.
pub fn reply(body: &str, now: OffsetDateTime) -> String {
    let iso = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    let timestamp = now.format(&iso).expect("a UTC time formats");
    let said = match serde_json::from_str::<Text>(body) {
        Ok(message) => message.text,
        Err(_) => body.into(),
    };
    let text = format!("{timestamp} - Echoing {said}");
    serde_json::to_string(&Text { text: text.into() }).expect("a string serializes")
}

/// Whether `reply` is the echo of the request that carried `sent`: exactly
/// `{"text": "<timestamp> - Echoing <sent>"}`.
pub fn check(reply: &str, sent: &str) -> Result<(), String> {
    let wrong = |why: &str| {
        let shown: String = reply.chars().take(200).collect();
        Err(format!("{why}: expected the echo of {sent:?}, got {shown}"))
    };
    let Ok(Text { text }) = serde_json::from_str::<Text>(reply) else {
        return wrong("not {\"text\": ...}");
    };
    let Some(timestamp) = text.strip_suffix(sent).and_then(|t| t.strip_suffix(" - Echoing ")) else {
        return wrong("not the echo of the message sent");
    };
    if !is_timestamp(timestamp) {
        return wrong("no ISO timestamp");
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, by shape: parsing it would cost the generator more than the
/// check is worth.
fn is_timestamp(s: &str) -> bool {
    s.len() == TIMESTAMP_BYTES
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'.',
            23 => b == b'Z',
            _ => b.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_128_bytes() {
        for (conn, seq) in [(0, 0), (49, 123_456), (499, u64::MAX)] {
            assert_eq!(request(&text(conn, seq)).len(), MESSAGE_BYTES);
        }
    }

    #[test]
    fn the_native_reply_passes_the_check_and_others_do_not() {
        let sent = text(3, 7);
        let reply = reply(&request(&sent), OffsetDateTime::now_utc());
        assert_eq!(check(&reply, &sent), Ok(()));
        assert!(check(&reply, &text(3, 8)).is_err());
        assert!(check(r#"{"message":"Too Many Requests"}"#, &sent).is_err());
        assert!(check(&format!(r#"{{"text":"yesterday - Echoing {sent}"}}"#), &sent).is_err());
    }

    #[test]
    fn a_body_that_is_not_text_json_is_echoed_as_it_came() {
        let reply = reply("hi", OffsetDateTime::UNIX_EPOCH);
        assert_eq!(reply, r#"{"text":"1970-01-01T00:00:00.000Z - Echoing hi"}"#);
    }
}
