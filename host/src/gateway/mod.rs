//! The front door: one port for HTTP and WebSocket. `server` accepts and reads request heads
//! within limits; `dispatch` sends each request where it goes; `upgrade` turns a handshake into
//! a connection (authorizer, `$connect`); `connection` runs one socket's loops; `http_routes`,
//! `static_files`, and the management APIs `connections_api` and `rooms_api` (`management`: what
//! they share) answer plain HTTP; `live` is the live page, `/_wsh`.

mod connection;
mod connections_api;
pub(crate) mod dispatch;
mod http_routes;
mod live;
mod management;
pub(crate) mod orphans;
mod rooms_api;
pub(crate) mod server;
mod static_files;
mod upgrade;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio_util::task::TaskTracker;

use crate::app::snapshot::{App, LiveApp};
use crate::bindings::wit;
use crate::decide::limits::TokenBucket;
use crate::decide::sigv4::Credential;
use crate::hub::Hub;
use crate::metrics::Outcome;
use crate::recent;
use crate::runtime::{Aftermath, CallError, Handler, Runtime};

/// What every request and connection shares. The app itself is read from `app` once per event
/// or request: everything else here lives as long as the process.
pub(crate) struct Gateway {
    pub app: Arc<LiveApp>,
    pub runtime: Arc<Runtime>,
    pub hub: Arc<Hub>,
    /// Every connection task, so that shutdown can wait for their disconnect handlers.
    pub connections: TaskTracker,
    /// New connections per second, across all clients.
    pub connect_bucket: Mutex<TokenBucket>,
    /// What `@connections` requests must be signed with; `None` opens it to loopback only. From
    /// the environment, so it lives as long as the process.
    pub credential: Option<Credential>,
}

/// One WebSocket event: where it goes and what it is, for the call and its log line.
#[derive(Clone, Copy)]
pub(crate) struct Call<'a> {
    pub route: &'a str,
    pub connection: &'a str,
    pub request: &'a str,
}

impl Gateway {
    /// Runs `event` on `handler` within `app`'s limits, and logs the event on one line (see
    /// [`access_log`]). The instance is torn down on a handler worker.
    pub(crate) async fn call(
        &self,
        app: &App,
        call: Call<'_>,
        handler: &Arc<Handler>,
        event: wit::Event,
    ) -> Result<wit::Response, CallError> {
        let (outcome, after) = self.call_then(app, call, handler, event).await;
        after.finish_elsewhere();
        outcome
    }

    /// `call`, leaving the teardown to the caller (see `Runtime::call_then`).
    pub(crate) async fn call_then(
        &self,
        app: &App,
        call: Call<'_>,
        handler: &Arc<Handler>,
        event: wit::Event,
    ) -> (Result<wit::Response, CallError>, Aftermath) {
        let started = Instant::now();
        let (outcome, after) = self.runtime.call_then(handler, app.limits.clone(), event).await;
        if app.settings().access_log {
            let status = match &outcome {
                Ok(response) => response.status_code,
                Err(CallError::Timeout(_)) => 504,
                Err(_) => 500,
            };
            let ended = outcome.as_ref().map_or_else(CallError::outcome, |_| Outcome::Ok);
            access_log("event", call, status, ended, started);
        }
        if let Err(e) = &outcome {
            recent::failure(call.route, call.connection, call.request, e.to_string());
        }
        (outcome, after)
    }
}

/// One line per event or `@http` request (route, connection, request id, status, outcome,
/// duration), as API Gateway's access logs have, on unless the app sets `access-log off`: at
/// tens of thousands of events a second, the line costs more than a small handler.
pub(crate) fn access_log(what: &str, call: Call<'_>, status: u16, outcome: Outcome, started: Instant) {
    let outcome = outcome.name();
    // Microseconds are what a warm event takes; more digits are noise.
    let duration_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    let Call { route, connection, request } = call;
    tracing::info!(
        route = %route,
        connection = %connection,
        request = %request,
        status,
        outcome = %outcome,
        duration_ms,
        "{what}"
    );
}
