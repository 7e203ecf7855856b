//! Counters of what happened, for `GET /_wsh/stats`, `GET /metrics` and the shutdown log. Every
//! limit that fires is counted here as well as logged with its connection id. One set per
//! process, which any layer counts into.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($name:ident: $doc:literal),* $(,)?) => {
        #[derive(Default)]
        pub struct Stats {
            $(#[doc = $doc] pub $name: AtomicU64,)*
        }

        impl Stats {
            pub fn json(&self) -> serde_json::Value {
                let mut map = serde_json::Map::new();
                $(map.insert(stringify!($name).into(), self.$name.load(Ordering::Relaxed).into());)*
                serde_json::Value::Object(map)
            }
        }
    };
}

counters! {
    connections_accepted: "handshakes completed after `$connect` accepted them",
    connections_refused_by_handler: "`$connect` answered outside 200-299, or failed",
    connections_refused_full: "refused with 503: max-connections reached",
    connections_refused_rate: "refused with 429: connect-rate exceeded",
    connections_refused_by_authorizer: "refused with 401, 403 or 500 by the `$connect` authorizer",
    http_requests: "requests to @http routes",
    messages: "messages dispatched to a route",
    messages_throttled: "messages refused with `Too Many Requests` (message-rate)",
    handler_errors: "events whose handler trapped, timed out or returned an error",
    closed_idle: "closed with 1001 after idle-timeout-s",
    closed_lifetime: "closed with 1001 after max-lifetime-s",
    closed_too_big: "closed with 1009: a message or frame over the limit",
    closed_invalid_utf8: "closed with 1007: a text message that is not UTF-8",
    closed_protocol_error: "closed with 1002: a WebSocket protocol violation",
    closed_slow_consumer: "closed with 1008: a client that does not read",
    closed_ping_timeout: "closed as lost (1006): a ping went unanswered for ping-timeout-s",
    room_publishes: "publishes to rooms, from handlers and from POST /@rooms",
    room_deliveries: "frames queued by those publishes, one per member reached",
    frames_in: "text and binary frames read from clients",
    frames_out: "text and binary frames written to clients",
    bytes_in: "payload bytes of the frames read",
    bytes_out: "payload bytes of the frames written",
    reloads: "handlers and manifests reloaded after a change",
    reloads_failed: "reloads that failed, the previous version kept",
    cluster_messages_in: "messages heard from other nodes",
    cluster_messages_out: "messages for other nodes",
    redis_errors: "cluster calls to Redis that failed or timed out",
}

impl Stats {
    pub fn add(counter: &AtomicU64) {
        Stats::add_n(counter, 1);
    }

    pub fn add_n(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// The process's counters.
pub fn stats() -> &'static Stats {
    static STATS: OnceLock<Stats> = OnceLock::new();
    STATS.get_or_init(Stats::default)
}
