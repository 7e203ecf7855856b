//! Running one event: take the fresh instance prepared for it (or make one) and call it within
//! the app's limits, on the socket's thread until it runs long or would block, then on a handler
//! worker; hand the outcome back, and tear down and prepare the next on a worker. The caller
//! waits only for the outcome.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::sync::OwnedSemaphorePermit;
use wasmtime::Store;

use super::epoch::Running;
use super::handler::{Handler, Instance, Prepared, RESERVE};
use super::host_state::HostState;
use super::{Limits, Runtime};
use crate::bindings::{http_wit, v1, wit};
use crate::io_thread;
use crate::metrics::Outcome;

/// Why a call produced no response.
#[derive(Debug)]
pub enum CallError {
    /// The handler ran out of time.
    Timeout(Duration),
    /// It trapped (panic, out of memory, unreachable, ...).
    Trap(anyhow::Error),
    /// It returned `err(message)`.
    Returned(String),
}

impl CallError {
    /// The kind of failure, for the metrics: a trap for want of memory is told apart, since
    /// raising `handler-memory-mb` is its cure.
    pub(crate) fn outcome(&self) -> Outcome {
        match self {
            CallError::Timeout(_) => Outcome::Timeout,
            CallError::Returned(_) => Outcome::Error,
            CallError::Trap(e) if e.chain().any(refused_memory) => Outcome::Memory,
            CallError::Trap(_) => Outcome::Trap,
        }
    }
}

/// Whether `cause` is wasmtime's `StoreLimits` refusing a `memory.grow` (it has no error type
/// of its own for it).
fn refused_memory(cause: &(dyn std::error::Error + 'static)) -> bool {
    let text = cause.to_string();
    text.contains("growing memory") || text.contains("memory growth failure")
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Timeout(t) => write!(f, "handler did not finish within its {} ms deadline", t.as_millis()),
            CallError::Trap(e) => write!(f, "handler trapped: {e:#}"),
            CallError::Returned(m) => write!(f, "handler returned an error: {m}"),
        }
    }
}

/// What a handler is called with: one of the two worlds' exports.
enum Request {
    Ws(wit::Event),
    Http(http_wit::HttpRequest),
}

enum Answer {
    Ws(wit::Response),
    Http(http_wit::HttpResponse),
}

impl Runtime {
    /// Runs one WebSocket event on a fresh instance of `handler`; tears it down on a handler
    /// worker.
    pub async fn call(
        self: &Arc<Self>,
        handler: &Arc<Handler>,
        limits: Limits,
        event: wit::Event,
    ) -> Result<wit::Response, CallError> {
        let (outcome, after) = self.call_then(handler, limits, event).await;
        after.finish_elsewhere();
        outcome
    }

    /// Runs one WebSocket event on a fresh instance of `handler`, and leaves its teardown to the
    /// caller: a connection answers first, then tears down on its own thread, which costs no
    /// hand-off to another.
    pub async fn call_then(
        self: &Arc<Self>,
        handler: &Arc<Handler>,
        limits: Limits,
        event: wit::Event,
    ) -> (Result<wit::Response, CallError>, Aftermath) {
        let (outcome, after) = self.invoke(handler, limits, Request::Ws(event)).await;
        let outcome = outcome.map(|answer| match answer {
            Answer::Ws(response) => response,
            Answer::Http(_) => unreachable!("a ws request gets a ws answer"),
        });
        (outcome, after)
    }

    /// Runs one HTTP request on a fresh instance of `handler`.
    pub async fn call_http(
        self: &Arc<Self>,
        handler: &Arc<Handler>,
        limits: Limits,
        request: http_wit::HttpRequest,
    ) -> Result<http_wit::HttpResponse, CallError> {
        let (outcome, after) = self.invoke(handler, limits, Request::Http(request)).await;
        after.finish_elsewhere();
        outcome.map(|answer| match answer {
            Answer::Http(response) => response,
            Answer::Ws(_) => unreachable!("an http request gets an http answer"),
        })
    }

    async fn invoke(
        self: &Arc<Self>,
        handler: &Arc<Handler>,
        limits: Limits,
        request: Request,
    ) -> (Result<Answer, CallError>, Aftermath) {
        let started = Instant::now();
        let live = self.slots.clone().acquire_owned().await.expect("the slot semaphore is never closed");
        // Instantiation runs guest code too (start functions): the clock ticks from here.
        let ticking = self.clock.running();
        let call = Box::pin(call(self.clone(), handler.clone(), limits.clone(), request));
        let (outcome, store) = match first_slice(call).await {
            Slice::Done(ended) => ended,
            Slice::Moved(rest) => self.executor.run(rest).await,
        };
        handler.metrics.record(outcome.as_ref().map_or_else(CallError::outcome, |_| Outcome::Ok), started.elapsed());
        let after =
            Aftermath { runtime: self.clone(), handler: handler.clone(), limits, store, _held: (ticking, live) };
        (outcome, after)
    }

    /// Fills `handler`'s reserve of instances made ahead, unless another job is filling it.
    async fn prepare_next(&self, handler: &Arc<Handler>, limits: &Limits) {
        if !handler.prepare_ahead.load(Ordering::Relaxed) || handler.refilling.swap(true, Ordering::AcqRel) {
            return;
        }
        while handler.spares() < RESERVE {
            let Ok(slot) = self.spares.clone().try_acquire_owned() else { break };
            let _ticking = self.clock.running();
            let mut store = self.stores.store(handler, limits);
            let Ok(instance) = handler.pre.instantiate(&mut store).await else { break };
            handler.add_spare(Prepared { store, instance, memory_bytes: limits.memory_bytes, _slot: slot });
        }
        handler.refilling.store(false, Ordering::Release);
    }
}

/// What is left of a call once its outcome is known: the instance to tear down, and the
/// handler's reserve to fill. Dropped, it tears down where it is and leaves the reserve.
pub(crate) struct Aftermath {
    runtime: Arc<Runtime>,
    handler: Arc<Handler>,
    limits: Limits,
    store: Store<HostState>,
    _held: (Running, OwnedSemaphorePermit),
}

impl Aftermath {
    /// Tears down and fills the reserve: here for a component that is cheap to tear down and
    /// instantiate, on a handler worker for a big one (JavaScript, Python): resetting its
    /// dirty heap and making its next instance take longer than the call itself, and the
    /// connection's next message should not wait behind them.
    pub async fn finish(self) {
        if self.handler.big.load(Ordering::Relaxed) {
            return self.finish_elsewhere();
        }
        self.finish_here().await
    }

    async fn finish_here(self) {
        let Aftermath { runtime, handler, limits, store, _held } = self;
        drop((store, _held));
        runtime.prepare_next(&handler, &limits).await;
    }

    /// The same, on a handler worker.
    pub fn finish_elsewhere(self) {
        let runtime = self.runtime.clone();
        runtime.executor.spawn(self.finish_here());
    }
}

/// One call on a fresh instance: the one prepared for it, else a new one. Returns the store
/// with the outcome, for its caller to tear down where it costs the event nothing.
async fn call(
    runtime: Arc<Runtime>,
    handler: Arc<Handler>,
    limits: Limits,
    request: Request,
) -> (Result<Answer, CallError>, Store<HostState>) {
    let (mut store, instance) = match handler.take_spare(limits.memory_bytes) {
        Some(p) => (p.store, Ok(p.instance)),
        None => {
            let mut store = runtime.stores.store(&handler, &limits);
            let instance = handler.pre.instantiate(&mut store).await;
            (store, instance)
        }
    };
    let result = match instance {
        Ok(instance) => {
            let request_id = match &request {
                Request::Ws(event) => &event.request_context.request_id,
                Request::Http(request) => &request.request_context.request_id,
            };
            store.data_mut().start(limits.clone(), request_id);
            store.set_epoch_deadline(1);
            match (instance, request) {
                (Instance::Ws(i), Request::Ws(event)) => {
                    i.call_handle(&mut store, &event).await.map(|r| r.map(Answer::Ws))
                }
                (Instance::Http(i), Request::Http(request)) => {
                    i.call_handle_http(&mut store, &request).await.map(|r| r.map(Answer::Http))
                }
                (Instance::WsV1(i), Request::Ws(event)) => {
                    i.call_handle(&mut store, &v1::event(&event)).await.map(|r| r.map(|r| Answer::Ws(v1::response(r))))
                }
                (Instance::HttpV1(i), Request::Http(request)) => i
                    .call_handle_http(&mut store, &v1::http_request(&request))
                    .await
                    .map(|r| r.map(|r| Answer::Http(v1::http_response(r)))),
                (Instance::Ws(_) | Instance::WsV1(_), Request::Http(_)) => {
                    Err(wasmtime::Error::msg("a ws-handler component cannot take HTTP requests"))
                }
                (Instance::Http(_) | Instance::HttpV1(_), Request::Ws(_)) => {
                    Err(wasmtime::Error::msg("an http-handler component cannot take WebSocket events"))
                }
            }
        }
        Err(e) => Err(e),
    };
    let outcome = match result {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(message)) => Err(CallError::Returned(message)),
        Err(_) if store.data().timed_out => Err(CallError::Timeout(limits.timeout)),
        Err(e) => Err(CallError::Trap(e.into())),
    };
    (outcome, store)
}

/// How a call's first slice ended.
enum Slice<F: Future> {
    Done(F::Output),
    /// It runs long or is about to block: the rest goes elsewhere.
    Moved(Pin<Box<F>>),
}

/// Runs `call` on this (socket) thread until it ends, or asks to move (see `io_thread`). A call
/// that only waits (on Redis, say) waits here: it holds no thread meanwhile.
async fn first_slice<F: Future>(call: Pin<Box<F>>) -> Slice<F> {
    let mut call = Some(call);
    poll_fn(|cx| {
        let running = call.as_mut().expect("polled after it ended");
        match io_thread::poll_inline(|| running.as_mut().poll(cx)) {
            (Poll::Ready(ended), _) => Poll::Ready(Slice::Done(ended)),
            (Poll::Pending, true) => Poll::Ready(Slice::Moved(call.take().expect("still here"))),
            (Poll::Pending, false) => Poll::Pending,
        }
    })
    .await
}
