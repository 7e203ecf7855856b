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
mod response;
pub mod ws;

pub use event::{Event, EventType, Identity, RequestContext};
pub use response::{IntoResult, Payload, Response};
pub use ws::{ConnectionInfo, WsError};

/// A boxed error, for handlers that use `?` on errors of different types.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "ws-handler",
        pub_export_macro: true,
        default_bindings_module: "wsh_sdk::bindings",
        export_macro_name: "__export_ws_handler",
    });
    pub use __export_ws_handler as export;
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
