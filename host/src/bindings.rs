//! The host side of `wit/handler.wit`, generated: the types every layer shares (events,
//! responses, frames' data) and the traits the host features implement. Nothing else lives here,
//! so that the pure decisions can speak WIT types without depending on the runtime.

pub(crate) mod ws_world {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "ws-handler",
        exports: { default: async },
    });
}

pub(crate) mod http_world {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "http-handler",
        exports: { default: async },
        // One set of host types and one `ws` implementation serve both worlds.
        with: {
            "wsh:handler/types": super::ws_world::wsh::handler::types,
            "wsh:handler/ws": super::ws_world::wsh::handler::ws,
        },
    });
}

/// The `@http` request and response (`wsh:handler/http-types`).
pub(crate) use http_world::wsh::handler::http_types as http_wit;
/// The WebSocket event types (`wsh:handler/types`).
pub(crate) use ws_world::wsh::handler::types as wit;
