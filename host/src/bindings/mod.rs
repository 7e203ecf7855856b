//! The host side of the WIT, generated: the types every layer shares (events, responses,
//! frames' data) and the traits the host features implement. Nothing else lives here, so that the
//! pure decisions can speak WIT types without depending on the runtime.
//!
//! - `keyvalue`: the standard `wasi:keyvalue@0.2.0-draft2` (wit/deps/keyvalue), as published;
//!   `keyvalue_pr55` its `batch` in the shape Spin ships (and upstream's PR #55), which a
//!   component built for Spin imports under the same name.
//! - `ws_world`, `http_world`: `wsh:handler@0.2.0` (wit/handler.wit).
//! - `v1`: `wsh:handler@0.1.0` (wit/compat/0.1.0), which components built before 0.2.0 import.

pub(crate) mod v1;

use std::sync::Arc;

/// The host's side of `wasi:keyvalue` resources.
pub(crate) mod keyvalue {
    use super::Arc;

    /// An opened bucket: its name, checked at `open`.
    pub struct BucketRef {
        pub name: Arc<str>,
    }

    /// A compare-and-swap in progress: the value `current` read, which `swap` expects to find.
    pub struct CasRef {
        pub bucket: Arc<str>,
        pub key: String,
        /// What the store held when the operation began.
        pub expected: Option<Vec<u8>>,
    }

    wasmtime::component::bindgen!({
        path: "../wit/deps/keyvalue",
        world: "wasi:keyvalue/imports",
        imports: { default: async | trappable },
        with: {
            "wasi:keyvalue/store.bucket": BucketRef,
            "wasi:keyvalue/atomics.cas": CasRef,
        },
    });
}

/// `batch.get-many` answering `(key, option<value>)` pairs: Spin's shape of the same version.
pub(crate) mod keyvalue_pr55 {
    wasmtime::component::bindgen!({
        path: "../wit/compat/keyvalue-spin",
        world: "wasi:keyvalue/imports",
        imports: { default: async | trappable },
        with: {
            "wasi:keyvalue/store": super::keyvalue::wasi::keyvalue::store,
            "wasi:keyvalue/atomics": super::keyvalue::wasi::keyvalue::atomics,
        },
    });
}

pub(crate) mod ws_world {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "ws-handler",
        // Reaching a connection or a room on another node waits on Redis.
        imports: { default: async },
        exports: { default: async },
        with: {
            "wasi:keyvalue/store": super::keyvalue::wasi::keyvalue::store,
            "wasi:keyvalue/atomics": super::keyvalue::wasi::keyvalue::atomics,
            "wasi:keyvalue/batch": super::keyvalue::wasi::keyvalue::batch,
        },
    });
}

pub(crate) mod http_world {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "http-handler",
        exports: { default: async },
        // One set of host types and one implementation of each import serve both worlds.
        with: {
            "wsh:handler/types": super::ws_world::wsh::handler::types,
            "wsh:handler/ws": super::ws_world::wsh::handler::ws,
            "wsh:handler/rooms": super::ws_world::wsh::handler::rooms,
            "wasi:keyvalue/store": super::keyvalue::wasi::keyvalue::store,
            "wasi:keyvalue/atomics": super::keyvalue::wasi::keyvalue::atomics,
            "wasi:keyvalue/batch": super::keyvalue::wasi::keyvalue::batch,
        },
    });
}

/// The `@http` request and response (`wsh:handler/http-types`).
pub(crate) use http_world::wsh::handler::http_types as http_wit;
/// The WebSocket event types (`wsh:handler/types`).
pub(crate) use ws_world::wsh::handler::types as wit;
