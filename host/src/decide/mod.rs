//! The pure decisions: no sockets, no files, no clock of their own, so each is unit-tested (and
//! the manifest-facing ones fuzzed) without a server.

pub(crate) mod authorizer;
pub(crate) mod cache_budget;
pub(crate) mod events;
pub(crate) mod http_router;
pub(crate) mod limits;
pub mod routing;
pub(crate) mod sigv4;
