//! The epoch clock that gives every handler call its deadline and its fair share.
//!
//! At every tick a running handler is checked against its deadline and yields to the other
//! handlers on its worker. The tick is short, so that as many runaway handlers as there are
//! workers delay another connection's event by a millisecond or two, not by tens; and the clock
//! sleeps while no handler has run for a while, so an idle server does not wake a thousand
//! times a second.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

use wasmtime::{Engine, EngineWeak};

/// How often the epoch ticks while handlers run: bounds both how long a handler keeps its
/// worker from the others and how far past its deadline it can run.
pub(super) const TICK: Duration = Duration::from_millis(1);

/// How long the clock keeps ticking after the last call ended: a busy server never pays for
/// waking it.
const LINGER: Duration = Duration::from_secs(1);

pub(super) struct EpochClock {
    /// Calls running now.
    running: AtomicUsize,
    /// Set while the ticker thread is parked; whoever clears it wakes the thread.
    asleep: AtomicBool,
    ticker: OnceLock<Thread>,
}

/// Held for the length of one call: the clock ticks while any is held.
pub(super) struct Running(Arc<EpochClock>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::Release);
    }
}

impl EpochClock {
    /// Starts the ticker for `engine`; it ends when the engine does.
    pub fn start(engine: &Engine) -> Arc<EpochClock> {
        let clock = Arc::new(EpochClock {
            running: AtomicUsize::new(0),
            asleep: AtomicBool::new(false),
            ticker: OnceLock::new(),
        });
        let (weak, ticking) = (engine.weak(), clock.clone());
        let thread = std::thread::Builder::new()
            .name("wsh-epoch".into())
            .spawn(move || tick(&weak, &ticking))
            .expect("spawning the epoch thread");
        let _ = clock.ticker.set(thread.thread().clone());
        clock
    }

    /// Marks a call as running until the guard drops.
    pub fn running(self: &Arc<Self>) -> Running {
        self.running.fetch_add(1, Ordering::AcqRel);
        if self.asleep.swap(false, Ordering::AcqRel)
            && let Some(ticker) = self.ticker.get()
        {
            ticker.unpark();
        }
        Running(self.clone())
    }
}

fn tick(engine: &EngineWeak, clock: &EpochClock) {
    let mut last_busy = Instant::now();
    while let Some(engine) = engine.upgrade() {
        engine.increment_epoch();
        drop(engine);
        if clock.running.load(Ordering::Acquire) > 0 {
            last_busy = Instant::now();
        } else if last_busy.elapsed() >= LINGER {
            clock.asleep.store(true, Ordering::Release);
            // A call that started just before `asleep` was set would find it unset and not wake
            // us: look once more before sleeping. The timeout also notices the engine's end.
            if clock.running.load(Ordering::Acquire) == 0 {
                std::thread::park_timeout(LINGER);
            }
            clock.asleep.store(false, Ordering::Release);
            last_busy = Instant::now();
            continue;
        }
        std::thread::sleep(TICK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_ticks_while_a_call_runs_and_wakes_for_one() {
        let engine = Engine::new(wasmtime::Config::new().epoch_interruption(true)).unwrap();
        let clock = EpochClock::start(&engine);
        // Idle past the linger: the ticker sleeps.
        std::thread::sleep(LINGER + Duration::from_millis(200));
        assert!(clock.asleep.load(Ordering::Acquire), "an idle clock sleeps");
        let _call = clock.running();
        assert!(!clock.asleep.load(Ordering::Acquire), "a call wakes the clock");
    }
}
