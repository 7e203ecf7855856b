//! From measurements to the README's table: one run's figures, the median of the runs, ratios
//! to the native server, and the machine they were measured on.

use std::fmt::Write;
use std::time::Duration;

/// One run of one workload against one server.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Messages (or handshakes) per second.
    pub rate: f64,
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
}

impl Sample {
    pub fn messages(mut latencies: Vec<Duration>, elapsed: Duration) -> Sample {
        latencies.sort_unstable();
        Sample {
            rate: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
        }
    }

    pub fn handshakes(count: usize, elapsed: Duration) -> Sample {
        Sample { rate: count as f64 / elapsed.as_secs_f64(), p50: None, p99: None }
    }

    /// The median of each figure over the runs, figure by figure.
    pub fn median(runs: &[Sample]) -> Sample {
        Sample {
            rate: median(runs.iter().map(|s| s.rate)).unwrap_or(0.0),
            p50: median(runs.iter().filter_map(|s| s.p50)),
            p99: median(runs.iter().filter_map(|s| s.p99)),
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let rank = ((p * sorted.len() as f64).ceil() as usize).max(1);
    sorted.get(rank - 1).copied()
}

/// The middle value (the lower middle of an even count, a value that was measured).
fn median<T: PartialOrd + Copy>(values: impl Iterator<Item = T>) -> Option<T> {
    let mut values: Vec<T> = values.collect();
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values.get(values.len().saturating_sub(1) / 2).copied()
}

/// How a workload's figures read in a cell.
#[derive(Clone, Copy)]
pub enum Shape {
    /// msg/s, p50
    Sequential,
    /// msg/s, p50 / p99
    Concurrent,
    /// per s
    Handshakes,
}

/// A row of the table: a workload and, per server (native first), the median of its runs.
pub struct Row {
    pub label: String,
    pub shape: Shape,
    pub medians: Vec<Sample>,
}

/// The markdown table: per workload, the native figure, then each wsh server's with its ratio
/// to native (throughput as a share of native's, latency as a multiple of it).
pub fn table(servers: &[String], rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| workload | {} |", servers.join(" | "));
    let _ = writeln!(out, "|---{}|", "|---".repeat(servers.len()));
    for row in rows {
        let native = row.medians[0];
        let cells: Vec<String> =
            row.medians.iter().enumerate().map(|(i, s)| cell(row.shape, s, (i > 0).then_some(&native))).collect();
        let _ = writeln!(out, "| {} | {} |", row.label, cells.join(" | "));
    }
    out
}

fn cell(shape: Shape, s: &Sample, native: Option<&Sample>) -> String {
    let rate = match native {
        Some(n) => format!("{} ({:.0}%)", thousands(s.rate), 100.0 * s.rate / n.rate),
        None => thousands(s.rate),
    };
    let latency = |d: Option<Duration>, n: Option<Duration>| match (d, n) {
        (Some(d), Some(n)) => format!("{} ({:.1}×)", duration(d), d.as_secs_f64() / n.as_secs_f64()),
        (Some(d), None) => duration(d),
        (None, _) => "–".into(),
    };
    match shape {
        Shape::Sequential => format!("{rate}, {}", latency(s.p50, native.and_then(|n| n.p50))),
        Shape::Concurrent => format!(
            "{rate}, {} / {}",
            latency(s.p50, native.and_then(|n| n.p50)),
            latency(s.p99, native.and_then(|n| n.p99))
        ),
        Shape::Handshakes => rate,
    }
}

/// `16540.2` → `16,540`
pub fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// µs below a millisecond, ms with a significant decimal above.
pub fn duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    match us {
        _ if us < 1000.0 => format!("{us:.0} µs"),
        _ if us < 10_000.0 => format!("{:.1} ms", us / 1000.0),
        _ => format!("{:.0} ms", us / 1000.0),
    }
}

/// The CPU model, cores, memory and kernel, from /proc: what the figures depend on.
pub fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = read("/proc/meminfo");
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or_else(String::new, |kib| format!(", {} GiB", (kib + (1 << 19)) >> 20));
    let kernel = read("/proc/sys/kernel/osrelease");
    format!("{cpu}, {cores} cores{memory}, Linux {}", kernel.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_medians() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 0.5), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&ms, 0.99), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), Some(2.0));
        assert_eq!(median([4.0, 1.0].into_iter()), Some(1.0));
    }

    #[test]
    fn figures_read_as_in_the_readme() {
        assert_eq!(thousands(16540.4), "16,540");
        assert_eq!(thousands(227.0), "227");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(duration(Duration::from_micros(52)), "52 µs");
        assert_eq!(duration(Duration::from_micros(4300)), "4.3 ms");
        assert_eq!(duration(Duration::from_micros(130_400)), "130 ms");
    }
}
