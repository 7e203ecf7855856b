//! Whether the code running now is on a thread that serves sockets, and must not hold it.
//!
//! A handler call starts on the thread that read its event: for a handler that answers in
//! microseconds, handing it to another thread and back would cost more than the call. It stays
//! there only until it would hold the thread: at its first epoch tick (it runs long), or at a
//! host call that may block (a storage write). Then the call asks to move, and its caller hands
//! the rest of it to a handler worker.

use std::cell::Cell;
use std::future::poll_fn;
use std::task::Poll;

thread_local! {
    /// Set while a call's first slice runs here.
    static INLINE: Cell<bool> = const { Cell::new(false) };
    /// Set when that call asked to move off this thread.
    static MOVE: Cell<bool> = const { Cell::new(false) };
}

/// Polls a call's first slice here; `true` with a pending poll when it asked to move.
pub(crate) fn poll_inline<T>(poll: impl FnOnce() -> Poll<T>) -> (Poll<T>, bool) {
    INLINE.set(true);
    MOVE.set(false);
    let polled = poll();
    INLINE.set(false);
    (polled, MOVE.replace(false))
}

/// Called where a running call yields: asks to move if it runs on a socket thread.
pub(crate) fn ask_to_move() {
    if INLINE.get() {
        MOVE.set(true);
    }
}

/// Awaited before work that may block the thread: on a socket thread, suspends the call once
/// so that its caller moves it to a handler worker; elsewhere, nothing.
pub(crate) async fn leave() {
    let mut asked = false;
    poll_fn(|cx| {
        if asked || !INLINE.get() {
            return Poll::Ready(());
        }
        asked = true;
        MOVE.set(true);
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::task::{Context, Waker};

    #[test]
    fn work_that_may_block_asks_to_move_only_from_a_socket_thread() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut blocking = pin!(leave());
        let (polled, moved) = poll_inline(|| blocking.as_mut().poll(&mut cx));
        assert!(polled.is_pending() && moved);
        // Moved: polled again elsewhere, it goes on.
        assert!(blocking.as_mut().poll(&mut cx).is_ready());
        // Started off a socket thread, it never stops.
        assert!(pin!(leave()).poll(&mut cx).is_ready());
        let (polled, moved) = poll_inline(|| Poll::<()>::Pending);
        assert!(polled.is_pending() && !moved, "waiting is not asking to move");
    }
}
