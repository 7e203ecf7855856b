//! wsh's own settings (the `@wsh` section): one table names each setting, parses it and shows
//! its value, so that parsing, the list of known keys and a reload's report of what changed
//! cannot drift apart.

use crate::decide::authorizer::IdentitySource;
use crate::decide::routing::Selector;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// API Gateway's route selection expression.
    pub route_selection: String,
    /// Reported to handlers as `requestContext.stage`.
    pub stage: String,
    /// Wall-clock budget of one handler call (API Gateway's integration timeout is 29 s).
    pub handler_timeout_ms: u64,
    /// Linear memory one handler instance may grow to.
    pub handler_memory_mb: u64,
    /// Largest message a client may send (API Gateway: 128 KB); above it, close 1009.
    pub max_message_kb: u64,
    /// Largest frame a client may send (API Gateway: 32 KB); above it, close 1009.
    pub max_frame_kb: u64,
    /// A connection that sends nothing this long is closed with 1001 (API Gateway: 10 min).
    pub idle_timeout_s: u64,
    /// A connection is closed with 1001 at this age (API Gateway: 2 h).
    pub max_lifetime_s: u64,
    /// A connection quiet this long is sent a WebSocket ping.
    pub ping_interval_s: u64,
    /// A ping unanswered this long means the peer is gone: closed (1006), `$disconnect` runs.
    pub ping_timeout_s: u64,
    /// Open connections at most; further handshakes get 503.
    pub max_connections: u64,
    /// New connections per second (a burst of as many is allowed); beyond, handshakes get 429.
    pub connect_rate: u64,
    /// Messages per second per connection; beyond, the message is refused with a
    /// `Too Many Requests` error frame.
    pub message_rate: u64,
    /// Frames waiting for a client that does not read; beyond, it is closed with 1008.
    pub outbound_queue: u64,
    /// When set, a handshake whose `Origin` is not listed is refused with 403 (browsers send
    /// `Origin`; a client without one is not a browser and is let through).
    pub allowed_origins: Option<Vec<String>>,
    /// Time a client has to send a whole HTTP request head (the WebSocket handshake included),
    /// and the longest a kept-alive HTTP connection may idle.
    pub handshake_timeout_s: u64,
    /// Request line plus headers (API Gateway: 10 KB); above it, 431.
    pub max_header_kb: u64,
    /// The `$connect` authorizer: a handler in `src/ws/<name>` that allows or denies each
    /// handshake.
    pub authorizer: Option<Authorizer>,
    /// Key-value buckets beyond `default` that handlers may open.
    pub kv_buckets: Vec<String>,
    /// Largest value one key may hold (DynamoDB's item limit is 400 KB).
    pub kv_max_value_kb: u64,
    /// One log line per event (route, connection, request, status, duration), as API Gateway's
    /// WebSocket access logs.
    pub access_log: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    pub name: String,
    /// What a handshake must carry for the authorizer to run at all; without it, 401.
    pub identity_sources: Vec<IdentitySource>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            route_selection: "$request.body.action".to_string(),
            stage: "local".to_string(),
            handler_timeout_ms: 29_000,
            handler_memory_mb: 128,
            max_message_kb: 128,
            max_frame_kb: 32,
            idle_timeout_s: 600,
            max_lifetime_s: 7200,
            ping_interval_s: 30,
            ping_timeout_s: 10,
            max_connections: 100_000,
            connect_rate: 500,
            message_rate: 500,
            outbound_queue: 1024,
            allowed_origins: None,
            handshake_timeout_s: 10,
            max_header_kb: 10,
            authorizer: None,
            kv_buckets: Vec::new(),
            kv_max_value_kb: 400,
            access_log: true,
        }
    }
}

/// One `@wsh` key: how its words set it, and how its value reads back.
struct Spec {
    key: &'static str,
    set: fn(&mut Settings, &[&str]) -> Result<(), String>,
    show: fn(&Settings) -> String,
}

/// A setting that is one positive whole number.
macro_rules! number {
    ($key:literal, $field:ident) => {
        Spec {
            key: $key,
            set: |s, words| {
                s.$field = positive($key, words)?;
                Ok(())
            },
            show: |s| s.$field.to_string(),
        }
    };
}

/// Every `@wsh` key, in the order the README lists them.
const SPECS: &[Spec] = &[
    Spec {
        key: "route-selection",
        set: |s, words| {
            let value = one("route-selection", words)?;
            Selector::parse(value)?;
            s.route_selection = value.to_string();
            Ok(())
        },
        show: |s| s.route_selection.clone(),
    },
    Spec {
        key: "stage",
        set: |s, words| {
            s.stage = one("stage", words)?.to_string();
            Ok(())
        },
        show: |s| s.stage.clone(),
    },
    number!("handler-timeout-ms", handler_timeout_ms),
    Spec {
        key: "handler-memory-mb",
        set: |s, words| {
            let mb = positive("handler-memory-mb", words)?;
            // A wasm32 memory cannot grow past 4 GiB.
            if mb > 4096 {
                return Err(format!("handler-memory-mb is at most 4096 (a 32-bit memory), found {mb}"));
            }
            s.handler_memory_mb = mb;
            Ok(())
        },
        show: |s| s.handler_memory_mb.to_string(),
    },
    number!("max-message-kb", max_message_kb),
    number!("max-frame-kb", max_frame_kb),
    number!("idle-timeout-s", idle_timeout_s),
    number!("max-lifetime-s", max_lifetime_s),
    number!("ping-interval-s", ping_interval_s),
    number!("ping-timeout-s", ping_timeout_s),
    number!("max-connections", max_connections),
    number!("connect-rate", connect_rate),
    number!("message-rate", message_rate),
    number!("outbound-queue", outbound_queue),
    Spec {
        key: "allowed-origins",
        set: |s, words| {
            if words.is_empty() {
                return Err(
                    "allowed-origins lists one or more origins, e.g. 'allowed-origins https://example.com'".into()
                );
            }
            s.allowed_origins = Some(words.iter().map(|o| o.trim_end_matches('/').to_string()).collect());
            Ok(())
        },
        show: |s| s.allowed_origins.as_ref().map_or_else(|| "any".into(), |o| o.join(" ")),
    },
    number!("handshake-timeout-s", handshake_timeout_s),
    number!("max-header-kb", max_header_kb),
    Spec {
        key: "authorizer",
        set: |s, words| {
            let value = one("authorizer", words)?;
            if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                return Err(format!("authorizer '{value}' is not a directory name under src/ws"));
            }
            s.authorizer = Some(Authorizer { name: value.to_string(), identity_sources: Vec::new() });
            Ok(())
        },
        show: |s| s.authorizer.as_ref().map_or_else(|| "none".into(), |a| a.name.clone()),
    },
    Spec {
        key: "identity-source",
        set: |s, words| {
            let Some(auth) = &mut s.authorizer else {
                return Err(
                    "identity-source belongs to an authorizer: put 'authorizer <name>' on a line before it".into()
                );
            };
            if words.is_empty() {
                return Err(
                    "identity-source lists one or more sources, e.g. 'identity-source route.request.header.Auth'"
                        .into(),
                );
            }
            auth.identity_sources = words.iter().map(|t| IdentitySource::parse(t)).collect::<Result<_, _>>()?;
            Ok(())
        },
        show: |s| {
            let sources = s.authorizer.as_ref().map(|a| a.identity_sources.as_slice()).unwrap_or_default();
            sources.iter().map(IdentitySource::to_string).collect::<Vec<_>>().join(" ")
        },
    },
    Spec {
        key: "kv-buckets",
        set: |s, words| {
            if words.is_empty() {
                return Err("kv-buckets lists one or more bucket names, e.g. 'kv-buckets sessions rooms'".into());
            }
            if let Some(bad) = words
                .iter()
                .find(|w| w.len() > 64 || !w.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
            {
                return Err(format!("bucket name '{bad}' is not letters, digits, '-', '_' and '.' (at most 64)"));
            }
            s.kv_buckets = words.iter().map(|w| w.to_string()).collect();
            Ok(())
        },
        show: |s| s.kv_buckets.join(" "),
    },
    number!("kv-max-value-kb", kv_max_value_kb),
    Spec {
        key: "access-log",
        set: |s, words| {
            s.access_log = match one("access-log", words)? {
                "on" | "true" => true,
                "off" | "false" => false,
                other => return Err(format!("access-log is on or off, found '{other}'")),
            };
            Ok(())
        },
        show: |s| if s.access_log { "on" } else { "off" }.to_string(),
    },
];

impl Settings {
    /// Applies one `@wsh` line, split into words (`key value...`).
    pub fn set(&mut self, words: &[&str]) -> Result<(), String> {
        let [key, values @ ..] = words else { return Ok(()) };
        let Some(spec) = SPECS.iter().find(|s| s.key == *key) else {
            let known: Vec<&str> = SPECS.iter().map(|s| s.key).collect();
            return Err(format!("unknown @wsh setting '{key}' (known: {})", known.join(", ")));
        };
        (spec.set)(self, values)
    }

    /// `(key, value)` of every setting whose value differs between `self` and `other`.
    pub fn changes(&self, other: &Settings) -> Vec<(&'static str, String, String)> {
        SPECS
            .iter()
            .filter_map(|spec| {
                let (before, after) = ((spec.show)(self), (spec.show)(other));
                (before != after).then_some((spec.key, before, after))
            })
            .collect()
    }
}

fn one<'a>(key: &str, words: &[&'a str]) -> Result<&'a str, String> {
    match words {
        [value] => Ok(value),
        _ => Err(format!("a @wsh setting is 'key value', found '{key} {}'", words.join(" "))),
    }
}

fn positive(key: &str, words: &[&str]) -> Result<u64, String> {
    let value = one(key, words)?;
    value
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{key} must be a positive whole number, found '{value}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_reads_back_what_it_set() {
        let mut s = Settings::default();
        s.set(&["handler-timeout-ms", "500"]).unwrap();
        s.set(&["allowed-origins", "https://a.example/", "http://b"]).unwrap();
        s.set(&["authorizer", "auth"]).unwrap();
        s.set(&["identity-source", "route.request.header.Auth"]).unwrap();
        let changed: Vec<&str> = Settings::default().changes(&s).iter().map(|c| c.0).collect();
        assert_eq!(changed, ["handler-timeout-ms", "allowed-origins", "authorizer", "identity-source"]);
        let origins = Settings::default().changes(&s)[1].2.clone();
        assert_eq!(origins, "https://a.example http://b");
    }

    #[test]
    fn bad_values_say_what_is_expected() {
        let mut s = Settings::default();
        assert!(s.set(&["max-message-kb", "0"]).unwrap_err().contains("positive whole number"));
        assert!(s.set(&["max-message-kb", "1", "2"]).unwrap_err().contains("'key value'"));
        assert!(s.set(&["handler-memory-mb", "5000"]).unwrap_err().contains("at most 4096"));
        assert!(s.set(&["nope", "1"]).unwrap_err().contains("known: route-selection, stage"));
    }
}
