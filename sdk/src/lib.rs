//! Write a wsh WebSocket handler in Rust.
//!
//! A handler is one function from an [`Event`] (shaped like API Gateway's Lambda event) to a
//! [`Response`], exported with [`handler!`]:
//!
//! ```ignore
//! use wsh_sdk::{Event, Response, ws};
//!
//! fn echo(event: Event) -> Result<Response, wsh_sdk::Error> {
//!     ws::send(event.connection_id(), event.text().unwrap_or_default())?;
//!     Ok(Response::ok())
//! }
//! wsh_sdk::handler!(echo);
//! ```
//!
//! The handler runs in a fresh instance for every event: globals do not survive between
//! events. Build it with `cargo build --release --target wasm32-wasip2` (crate-type `cdylib`),
//! or let `wsh serve` build it.

mod event;
pub mod http;
pub mod kv;
mod response;
pub mod rooms;
pub mod ws;

pub use event::{Event, EventType, Identity, RequestContext};
pub use response::{IntoResult, Payload, Response};
pub use ws::{ConnectionInfo, WsError};

/// The URL clients open sockets at (Architect's `ARC_WSS_URL`), e.g. `ws://localhost:3333`:
/// what an HTTP handler puts in a page.
pub fn wss_url() -> String {
    std::env::var("ARC_WSS_URL").unwrap_or_else(|_| "ws://localhost:3333".to_string())
}

/// A boxed error, for handlers that use `?` on errors of different types.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "ws-handler",
        // The standard interfaces the world imports (`wasi:keyvalue`) come from another package.
        generate_all,
        pub_export_macro: true,
        default_bindings_module: "wsh_sdk::bindings",
        export_macro_name: "__export_ws_handler",
    });
    pub use __export_ws_handler as export;
}

#[doc(hidden)]
pub mod http_bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "http-handler",
        pub_export_macro: true,
        default_bindings_module: "wsh_sdk::http_bindings",
        export_macro_name: "__export_http_handler",
        // The same `ws` import as WebSocket handlers, so `wsh_sdk::ws` serves both.
        with: {
            "wsh:handler/types@0.2.0": crate::bindings::wsh::handler::types,
            "wsh:handler/ws@0.2.0": crate::bindings::wsh::handler::ws,
            "wsh:handler/rooms@0.2.0": crate::bindings::wsh::handler::rooms,
            "wasi:keyvalue/store@0.2.0-draft2": crate::bindings::wasi::keyvalue::store,
            "wasi:keyvalue/atomics@0.2.0-draft2": crate::bindings::wasi::keyvalue::atomics,
            "wasi:keyvalue/batch@0.2.0-draft2": crate::bindings::wasi::keyvalue::batch,
        },
    });
    pub use __export_http_handler as export;
}

#[doc(hidden)]
pub mod __private {
    pub use std::string::String;

    use crate::bindings::wsh::handler::types as wit;

    pub fn run<R: crate::IntoResult>(
        event: wit::Event,
        f: impl FnOnce(crate::Event) -> R,
    ) -> Result<wit::Response, String> {
        f(crate::Event::from(event)).into_result().map(Into::into)
    }

    use crate::http_bindings::wsh::handler::http_types as http_wit;

    pub fn run_http<R: crate::http::IntoHttpResult>(
        request: http_wit::HttpRequest,
        f: impl FnOnce(crate::http::Request) -> R,
    ) -> Result<http_wit::HttpResponse, String> {
        f(crate::http::Request::from(request)).into_http_result().map(Into::into)
    }
}

/// Exports `f` (a `fn(Event) -> R` where `R` is a [`Response`], `()`, or a `Result` of either
/// with an error that implements `Display`) as the handler of this component.
#[macro_export]
macro_rules! handler {
    ($f:path) => {
        struct __WshHandler;
        impl $crate::bindings::Guest for __WshHandler {
            fn handle(
                event: $crate::bindings::wsh::handler::types::Event,
            ) -> ::core::result::Result<$crate::bindings::wsh::handler::types::Response, $crate::__private::String> {
                $crate::__private::run(event, $f)
            }
        }
        $crate::bindings::export!(__WshHandler with_types_in $crate::bindings);
    };
}

/// Exports `f` (a `fn(http::Request) -> R` where `R` is an [`http::Response`] or a `Result` of
/// one with an error that implements `Display`) as the handler of an `@http` route.
#[macro_export]
macro_rules! http_handler {
    ($f:path) => {
        struct __WshHttpHandler;
        impl $crate::http_bindings::Guest for __WshHttpHandler {
            fn handle_http(
                request: $crate::http_bindings::wsh::handler::http_types::HttpRequest,
            ) -> ::core::result::Result<
                $crate::http_bindings::wsh::handler::http_types::HttpResponse,
                $crate::__private::String,
            > {
                $crate::__private::run_http(request, $f)
            }
        }
        $crate::http_bindings::export!(__WshHttpHandler with_types_in $crate::http_bindings);
    };
}
