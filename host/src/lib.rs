//! wsh as a library: the binary's modules, public so that fuzz targets and benchmarks can reach
//! the pure parts (the manifest parser, route selection) without a server.

pub mod app;
pub mod authorizer;
pub mod bench;
pub mod builder;
pub mod cache;
pub mod connection;
pub mod connections_api;
pub mod events;
pub mod gateway;
pub mod guest_log;
pub mod http_router;
pub mod http_routes;
pub mod ids;
pub mod limits;
pub mod loader;
pub mod manifest;
pub mod registry;
pub mod reload;
pub mod routing;
pub mod runtime;
pub mod serve;
pub mod server;
pub mod sigv4;
pub mod static_files;
pub mod stats;
