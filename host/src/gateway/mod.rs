//! The front door: one port for HTTP and WebSocket. `server` accepts and reads request heads
//! within limits; `dispatch` sends each request where it goes; `upgrade` turns a handshake into
//! a connection (authorizer, `$connect`); `connection` runs one socket's loops; `http_routes`,
//! `static_files` and `connections_api` answer plain HTTP.

mod connection;
mod connections_api;
pub(crate) mod dispatch;
mod http_routes;
pub(crate) mod server;
mod static_files;
mod upgrade;

use std::sync::{Arc, Mutex};

use tokio_util::task::TaskTracker;

use crate::app::snapshot::LiveApp;
use crate::decide::limits::TokenBucket;
use crate::decide::sigv4::Credential;
use crate::hub::registry::Registry;
use crate::runtime::Runtime;
use crate::stats::Stats;

/// What every request and connection shares. The app itself is read from `app` once per event
/// or request: everything else here lives as long as the process.
pub(crate) struct Gateway {
    pub app: Arc<LiveApp>,
    pub runtime: Arc<Runtime>,
    pub hub: Arc<Registry>,
    /// Every connection task, so that shutdown can wait for their disconnect handlers.
    pub connections: TaskTracker,
    /// New connections per second, across all clients.
    pub connect_bucket: Mutex<TokenBucket>,
    pub stats: Stats,
    /// What `@connections` requests must be signed with; `None` opens it to loopback only. From
    /// the environment, so it lives as long as the process.
    pub credential: Option<Credential>,
}
