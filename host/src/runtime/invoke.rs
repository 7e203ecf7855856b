//! Running one event: on a handler worker, take the fresh instance prepared for it (or make
//! one), call it within the app's limits, hand the outcome back, then tear down and prepare the
//! next. The caller waits only for the outcome.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::oneshot;

use super::handler::{Handler, Instance, Prepared};
use super::{Limits, Runtime};
use crate::bindings::{http_wit, v1, wit};

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
    /// Runs one WebSocket event on a fresh instance of `handler`.
    pub async fn call(
        self: &Arc<Self>,
        handler: &Arc<Handler>,
        limits: Limits,
        event: wit::Event,
    ) -> Result<wit::Response, CallError> {
        match self.invoke(handler, limits, Request::Ws(event)).await? {
            Answer::Ws(response) => Ok(response),
            Answer::Http(_) => unreachable!("a ws request gets a ws answer"),
        }
    }

    /// Runs one HTTP request on a fresh instance of `handler`.
    pub async fn call_http(
        self: &Arc<Self>,
        handler: &Arc<Handler>,
        limits: Limits,
        request: http_wit::HttpRequest,
    ) -> Result<http_wit::HttpResponse, CallError> {
        match self.invoke(handler, limits, Request::Http(request)).await? {
            Answer::Http(response) => Ok(response),
            Answer::Ws(_) => unreachable!("an http request gets an http answer"),
        }
    }

    async fn invoke(
        self: &Arc<Self>,
        handler: &Arc<Handler>,
        limits: Limits,
        request: Request,
    ) -> Result<Answer, CallError> {
        let (outcome_tx, outcome) = oneshot::channel();
        let (runtime, handler) = (self.clone(), handler.clone());
        self.executor.spawn(async move {
            let _live = runtime.slots.acquire().await.expect("the slot semaphore is never closed");
            let (mut store, instance) = match handler.take_spare().filter(|p| p.memory_bytes == limits.memory_bytes) {
                Some(p) => (p.store, Ok(p.instance)),
                None => {
                    let mut store = runtime.stores.store(&handler, &limits);
                    let instance = handler.pre.instantiate(&mut store).await;
                    (store, instance)
                }
            };
            let result = match instance {
                Ok(instance) => {
                    store.data_mut().start(limits.clone());
                    store.set_epoch_deadline(1);
                    match (instance, request) {
                        (Instance::Ws(i), Request::Ws(event)) => {
                            i.call_handle(&mut store, &event).await.map(|r| r.map(Answer::Ws))
                        }
                        (Instance::Http(i), Request::Http(request)) => {
                            i.call_handle_http(&mut store, &request).await.map(|r| r.map(Answer::Http))
                        }
                        (Instance::WsV1(i), Request::Ws(event)) => i
                            .call_handle(&mut store, &v1::event(&event))
                            .await
                            .map(|r| r.map(|r| Answer::Ws(v1::response(r)))),
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
            let _ = outcome_tx.send(match result {
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(message)) => Err(CallError::Returned(message)),
                Err(_) if store.data().timed_out => Err(CallError::Timeout(limits.timeout)),
                Err(e) => Err(CallError::Trap(e.into())),
            });
            // After the outcome is out: the event's caller is not kept waiting for this.
            drop(store);
            runtime.prepare_next(&handler, &limits).await;
        });
        outcome.await.unwrap_or_else(|_| Err(CallError::Trap(anyhow::anyhow!("the handler's worker stopped"))))
    }

    /// Makes the instance for `handler`'s next event, unless one is ready or being made.
    async fn prepare_next(&self, handler: &Arc<Handler>, limits: &Limits) {
        if !handler.prepare_ahead.load(Ordering::Relaxed) || handler.refilling.swap(true, Ordering::AcqRel) {
            return;
        }
        if handler.has_spare() {
            handler.refilling.store(false, Ordering::Release);
            return;
        }
        if let Ok(slot) = self.spares.clone().try_acquire_owned() {
            let mut store = self.stores.store(handler, limits);
            if let Ok(instance) = handler.pre.instantiate(&mut store).await {
                *handler.spare.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(Prepared { store, instance, memory_bytes: limits.memory_bytes, _slot: slot });
            }
        }
        handler.refilling.store(false, Ordering::Release);
    }
}
