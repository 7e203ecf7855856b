//! wsh as a library: the binary's commands, and the pure parts (the manifest parser, route
//! selection) that fuzz targets reach without a server.
//!
//! Layers, each using only those below it: `cli` → `gateway` (the front door) → `app` (the app
//! model) → `runtime` → `features` (what handlers import) → `hub` (live connections) →
//! `decide` (pure decisions) → `bindings` (the WIT types); `ids`, `stats`, `metrics` (which reads
//! `stats`), `recent`, `io_thread`, `log_output`, `progress` and `embedded` (files of this repository inside
//! the binary) are leaves.

pub mod app;
pub(crate) mod bindings;
pub mod cli;
pub mod decide;
pub(crate) mod embedded;
pub(crate) mod features;
pub(crate) mod gateway;
pub(crate) mod hub;
pub(crate) mod ids;
pub(crate) mod io_thread;
pub mod log_output;
pub(crate) mod metrics;
pub mod progress;
pub(crate) mod recent;
pub(crate) mod runtime;
pub(crate) mod stats;
