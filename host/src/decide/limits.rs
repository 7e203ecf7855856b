//! Rate limits as token buckets. Pure: the caller passes the clock and the rate in force, so a
//! reload's new rate applies to the next event.

use std::time::{Duration, Instant};

/// Allows `rate` events per second on average and bursts of up to `rate` at once.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket for `rate`.
    pub fn new(rate: u64, now: Instant) -> TokenBucket {
        TokenBucket { tokens: rate as f64, updated: now }
    }

    /// Takes a token if there is one, refilling at `rate` per second up to a burst of `rate`.
    pub fn allow(&mut self, rate: u64, now: Instant) -> bool {
        let rate = rate as f64;
        let elapsed = now.saturating_duration_since(self.updated);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * rate).min(rate);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// When a connection must be closed for inactivity or age, whichever comes first.
pub fn deadline(last_active: Instant, idle: Duration, opened: Instant, lifetime: Duration) -> (Instant, Expiry) {
    let (idle_at, old_at) = (last_active + idle, opened + lifetime);
    if idle_at <= old_at { (idle_at, Expiry::Idle) } else { (old_at, Expiry::Lifetime) }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Idle,
    Lifetime,
}

/// WebSocket pings for a connection that has gone quiet: a client that vanished without closing
/// (a laptop lid, a dropped mobile network) is found out within `interval + timeout`, instead
/// of staying a member of its rooms until the idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// When the client was last heard from.
    heard: Instant,
    /// When the ping now unanswered was sent.
    pinged: Option<Instant>,
}

/// What a connection's keepalive calls for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// Nothing yet: look again at this instant.
    Wait(Instant),
    /// Send a ping now.
    Ping,
    /// The ping went unanswered: the peer is gone.
    Dead,
}

impl Keepalive {
    pub fn new(now: Instant) -> Keepalive {
        Keepalive { heard: now, pinged: None }
    }

    /// Any frame from the client, a pong or not, shows it is there.
    pub fn heard(&mut self, now: Instant) {
        *self = Keepalive::new(now);
    }

    /// The next step, with the interval and timeout in force (they may change by reload).
    pub fn beat(&mut self, now: Instant, interval: Duration, timeout: Duration) -> Beat {
        match self.pinged {
            Some(pinged) if now >= pinged + timeout => Beat::Dead,
            Some(pinged) => Beat::Wait(pinged + timeout),
            None if now >= self.heard + interval => {
                self.pinged = Some(now);
                Beat::Ping
            }
            None => Beat::Wait(self.heard + interval),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, t0);
        assert_eq!((0..15).filter(|_| b.allow(10, t0)).count(), 10);
        assert!(!b.allow(10, t0 + Duration::from_millis(50)));
        assert!(b.allow(10, t0 + Duration::from_millis(100)));
        // Idle time refills up to the burst, not beyond.
        let later = t0 + Duration::from_secs(60);
        assert_eq!((0..15).filter(|_| b.allow(10, later)).count(), 10);
        // A lower rate caps the burst at once.
        let later = later + Duration::from_secs(60);
        assert_eq!((0..15).filter(|_| b.allow(3, later)).count(), 3);
    }

    #[test]
    fn a_quiet_connection_is_pinged_and_given_up_on_without_an_answer() {
        let (interval, timeout) = (Duration::from_secs(30), Duration::from_secs(10));
        let t0 = Instant::now();
        let mut k = Keepalive::new(t0);
        assert_eq!(k.beat(t0, interval, timeout), Beat::Wait(t0 + interval));
        assert_eq!(k.beat(t0 + interval, interval, timeout), Beat::Ping);
        assert_eq!(k.beat(t0 + interval, interval, timeout), Beat::Wait(t0 + interval + timeout));
        assert_eq!(k.beat(t0 + interval + timeout, interval, timeout), Beat::Dead);
        // An answer (or any frame) starts the count again.
        let mut k = Keepalive::new(t0);
        k.beat(t0 + interval, interval, timeout);
        k.heard(t0 + interval + Duration::from_secs(1));
        assert_eq!(
            k.beat(t0 + interval + timeout, interval, timeout),
            Beat::Wait(t0 + 2 * interval + Duration::from_secs(1))
        );
    }

    #[test]
    fn deadline_is_the_earlier_of_idle_and_lifetime() {
        let t0 = Instant::now();
        let (idle, life) = (Duration::from_secs(600), Duration::from_secs(7200));
        assert_eq!(deadline(t0, idle, t0, life), (t0 + idle, Expiry::Idle));
        let late = t0 + Duration::from_secs(7000);
        assert_eq!(deadline(late, idle, t0, life), (t0 + life, Expiry::Lifetime));
    }
}
