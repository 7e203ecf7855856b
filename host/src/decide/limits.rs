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
    fn deadline_is_the_earlier_of_idle_and_lifetime() {
        let t0 = Instant::now();
        let (idle, life) = (Duration::from_secs(600), Duration::from_secs(7200));
        assert_eq!(deadline(t0, idle, t0, life), (t0 + idle, Expiry::Idle));
        let late = t0 + Duration::from_secs(7000);
        assert_eq!(deadline(late, idle, t0, life), (t0 + life, Expiry::Lifetime));
    }
}
