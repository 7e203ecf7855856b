//! What `GET /metrics` shows, in Prometheus's text format, encoded by `prometheus-client`.
//!
//! Two sources. Per route, what no flat counter can say (invocations, errors by kind, a
//! duration histogram) lives in the registry as families; each handler resolves its route's
//! series once, when it loads, so an event only bumps atomics and one histogram of its own.
//! Everything else is `stats`' process-wide counters, read at scrape time by a collector: the
//! gateway counts each thing once, and `/_wsh/stats` and `/metrics` cannot disagree.

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::stats::stats;

/// `Content-Type` of what [`render`] returns.
pub(crate) const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Upper bounds of the duration buckets, in seconds: from a warm instance's tens of
/// microseconds to the default handler timeout.
const DURATION_BUCKETS: [f64; 14] =
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 5.0];

/// How a call ended, as `wsh_errors_total` tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    /// The handler trapped (a panic, `unreachable`, ...).
    Trap,
    /// It returned an error.
    Error,
    /// It ran past its deadline.
    Timeout,
    /// It wanted more memory than `handler-memory-mb`.
    Memory,
}

impl Outcome {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Trap => "trap",
            Outcome::Error => "error",
            Outcome::Timeout => "timeout",
            Outcome::Memory => "memory",
        }
    }
}

const ERROR_KINDS: [(Outcome, &str); 4] =
    [(Outcome::Trap, "trap"), (Outcome::Error, "error"), (Outcome::Timeout, "timeout"), (Outcome::Memory, "memory")];

type RouteLabels = [(&'static str, String); 2];
type ErrorLabels = [(&'static str, String); 3];
type Durations = Family<RouteLabels, Histogram, fn() -> Histogram>;

struct Metrics {
    registry: Registry,
    invocations: Family<RouteLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    durations: Durations,
    /// Each route's total time in microseconds, for the live page's mean (a histogram cannot be
    /// read back); not exported, the histogram's `_sum` says the same.
    micros: Family<RouteLabels, Counter>,
    closes: Family<[(&'static str, String); 1], Counter>,
    kv: [Counter; KV_OPS.len()],
    connections_open: Gauge,
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::default();
        let invocations = Family::<RouteLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        let durations: Durations = Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        let closes = Family::default();
        let kv_ops = Family::<[(&'static str, &'static str); 1], Counter>::default();
        let kv = KV_OPS.map(|op| kv_ops.get_or_create_owned(&[("op", op.name())]));
        let connections_open = Gauge::default();
        registry.register(
            "wsh_invocations",
            "Events and requests a route's handler was called for",
            invocations.clone(),
        );
        registry.register("wsh_errors", "Calls that produced no response, by kind", errors.clone());
        registry.register(
            "wsh_invocation_duration_seconds",
            "Time from an event's arrival to its answer",
            durations.clone(),
        );
        registry.register("wsh_connections_open", "WebSocket connections open now", connections_open.clone());
        registry.register("wsh_closes", "WebSocket connections closed, by close code", closes.clone());
        registry.register("wsh_kv_operations", "Key-value calls made by handlers, by operation", kv_ops);
        registry.register_collector(Box::new(StatsCollector));
        Metrics { registry, invocations, errors, durations, micros: Family::default(), closes, kv, connections_open }
    })
}

/// One route's series, resolved when its handler loads.
pub(crate) struct RouteMetrics {
    invocations: Counter,
    errors: [Counter; ERROR_KINDS.len()],
    duration: Histogram,
    micros: Counter,
}

/// A route's figures since wsh started, for the live page.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct RouteFigures {
    pub invocations: u64,
    pub errors: u64,
    pub mean_ms: f64,
}

impl RouteMetrics {
    /// `kind` is `ws` or `http`. A reloaded handler gets the same series back.
    pub(crate) fn new(route: &str, kind: &'static str) -> RouteMetrics {
        let m = metrics();
        let labels = [("route", route.to_string()), ("kind", kind.to_string())];
        RouteMetrics {
            invocations: m.invocations.get_or_create_owned(&labels),
            errors: ERROR_KINDS.map(|(_, name)| {
                let [route, kind] = labels.clone();
                m.errors.get_or_create_owned(&[route, kind, ("error", name.to_string())])
            }),
            duration: m.durations.get_or_create_owned(&labels),
            micros: m.micros.get_or_create_owned(&labels),
        }
    }

    pub(crate) fn figures(&self) -> RouteFigures {
        let invocations = self.invocations.get();
        let micros = self.micros.get() as f64;
        RouteFigures {
            invocations,
            errors: self.errors.iter().map(Counter::get).sum(),
            mean_ms: if invocations == 0 { 0.0 } else { (micros / invocations as f64).round() / 1e3 },
        }
    }

    pub(crate) fn record(&self, outcome: Outcome, took: Duration) {
        self.invocations.inc();
        self.duration.observe(took.as_secs_f64());
        self.micros.inc_by(took.as_micros() as u64);
        if let Some(i) = ERROR_KINDS.iter().position(|(kind, _)| *kind == outcome) {
            self.errors[i].inc();
        }
    }
}

/// A key-value call, for `wsh_kv_operations_total`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KvOp {
    Get,
    Set,
    Delete,
    Exists,
    ListKeys,
    Increment,
    Swap,
    GetMany,
    SetMany,
    DeleteMany,
}

const KV_OPS: [KvOp; 10] = [
    KvOp::Get,
    KvOp::Set,
    KvOp::Delete,
    KvOp::Exists,
    KvOp::ListKeys,
    KvOp::Increment,
    KvOp::Swap,
    KvOp::GetMany,
    KvOp::SetMany,
    KvOp::DeleteMany,
];

impl KvOp {
    fn name(self) -> &'static str {
        match self {
            KvOp::Get => "get",
            KvOp::Set => "set",
            KvOp::Delete => "delete",
            KvOp::Exists => "exists",
            KvOp::ListKeys => "list-keys",
            KvOp::Increment => "increment",
            KvOp::Swap => "swap",
            KvOp::GetMany => "get-many",
            KvOp::SetMany => "set-many",
            KvOp::DeleteMany => "delete-many",
        }
    }
}

pub(crate) fn kv(op: KvOp) {
    metrics().kv[op as usize].inc();
}

/// A connection closed with `code`: one lookup per connection, not per message.
pub(crate) fn closed(code: u16) {
    metrics().closes.get_or_create(&[("code", code.to_string())]).inc();
}

/// Counts an open WebSocket connection while it lives.
pub(crate) struct OpenConnection(());

impl OpenConnection {
    pub(crate) fn new() -> OpenConnection {
        metrics().connections_open.inc();
        OpenConnection(())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        metrics().connections_open.dec();
    }
}

/// Everything, in Prometheus's text format (version 0.0.4).
pub(crate) fn render() -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; an encoder error would be a bug in a label.
    if let Err(e) = prometheus_client::encoding::prometheus_text::encode(&mut out, &metrics().registry) {
        let _ = writeln!(out, "# wsh: encoding the metrics failed: {e}");
    }
    out
}

/// `stats`' counters, as counter families.
#[derive(Debug)]
struct StatsCollector;

/// One counter family from `stats`: `(label value, counter)` pairs under `label`, or one
/// counter without labels when `label` is empty.
fn family(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    label: &str,
    values: &[(&str, &AtomicU64)],
) -> std::fmt::Result {
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (value, count) in values {
        let count = ConstCounter::new(count.load(Ordering::Relaxed));
        match label {
            "" => return count.encode(metric),
            _ => count.encode(metric.encode_family(&[(label, *value)])?)?,
        }
    }
    Ok(())
}

impl Collector for StatsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let s = stats();
        let e = &mut encoder;
        family(e, "wsh_connections_accepted", "WebSocket handshakes completed.", "", &[("", &s.connections_accepted)])?;
        family(
            e,
            "wsh_connections_refused",
            "WebSocket handshakes refused, by reason.",
            "reason",
            &[
                ("handler", &s.connections_refused_by_handler),
                ("authorizer", &s.connections_refused_by_authorizer),
                ("max-connections", &s.connections_refused_full),
                ("connect-rate", &s.connections_refused_rate),
            ],
        )?;
        family(
            e,
            "wsh_limits_fired",
            "Limits that refused a message or closed a connection, by limit.",
            "limit",
            &[
                ("max-connections", &s.connections_refused_full),
                ("connect-rate", &s.connections_refused_rate),
                ("message-rate", &s.messages_throttled),
                ("max-message", &s.closed_too_big),
                ("idle-timeout", &s.closed_idle),
                ("max-lifetime", &s.closed_lifetime),
                ("slow-consumer", &s.closed_slow_consumer),
                ("ping-timeout", &s.closed_ping_timeout),
                ("invalid-utf8", &s.closed_invalid_utf8),
                ("protocol-error", &s.closed_protocol_error),
            ],
        )?;
        family(
            e,
            "wsh_frames",
            "WebSocket data frames, by direction.",
            "direction",
            &[("in", &s.frames_in), ("out", &s.frames_out)],
        )?;
        family(
            e,
            "wsh_frame_bytes",
            "Payload bytes of WebSocket data frames, by direction.",
            "direction",
            &[("in", &s.bytes_in), ("out", &s.bytes_out)],
        )?;
        family(
            e,
            "wsh_reloads",
            "Reloads of a handler or the manifest, by outcome.",
            "outcome",
            &[("ok", &s.reloads), ("failed", &s.reloads_failed)],
        )?;
        family(e, "wsh_room_publishes", "Publishes to rooms.", "", &[("", &s.room_publishes)])?;
        family(
            e,
            "wsh_room_deliveries",
            "Frames queued by room publishes, one per member.",
            "",
            &[("", &s.room_deliveries)],
        )?;
        family(
            e,
            "wsh_cluster_messages",
            "Messages between nodes, by direction.",
            "direction",
            &[("in", &s.cluster_messages_in), ("out", &s.cluster_messages_out)],
        )?;
        family(e, "wsh_redis_errors", "Cluster calls to Redis that failed or timed out.", "", &[("", &s.redis_errors)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_outcome_and_encoded() {
        let route = RouteMetrics::new("unit-test", "ws");
        route.record(Outcome::Ok, Duration::from_micros(100));
        route.record(Outcome::Memory, Duration::from_micros(300));
        let figures = route.figures();
        assert_eq!((figures.invocations, figures.errors, figures.mean_ms), (2, 1, 0.2));
        // A reloaded handler's route gets the same series back.
        assert_eq!(RouteMetrics::new("unit-test", "ws").figures().invocations, 2);
        let text = render();
        for line in [
            r#"wsh_errors_total{route="unit-test",kind="ws",error="memory"} 1"#,
            r#"wsh_errors_total{route="unit-test",kind="ws",error="trap"} 0"#,
            r#"wsh_invocation_duration_seconds_bucket{route="unit-test",kind="ws",le="0.0001"} 1"#,
            r#"wsh_invocation_duration_seconds_count{route="unit-test",kind="ws"} 2"#,
            "# TYPE wsh_frames_total counter",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
        }
    }

    /// What the metrics add to an event, alone and with two threads on one route:
    /// `cargo test --release --lib bench_record -- --ignored --nocapture`.
    #[test]
    #[ignore = "a benchmark; run with --ignored"]
    fn bench_record() {
        const N: u32 = 1_000_000;
        let route = std::sync::Arc::new(RouteMetrics::new("bench", "ws"));
        let run = |route: &RouteMetrics| {
            let started = std::time::Instant::now();
            for i in 0..N {
                route.record(Outcome::Ok, Duration::from_nanos(u64::from(i % 50_000)));
            }
            started.elapsed().as_nanos() as f64 / f64::from(N)
        };
        println!("one thread: {:.1} ns per event", run(&route));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let route = route.clone();
                std::thread::spawn(move || run(&route))
            })
            .collect();
        let each: Vec<f64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        println!("two threads, one route: {:.1} / {:.1} ns per event", each[0], each[1]);
    }
}
