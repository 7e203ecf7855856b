//! The host features handlers import, one module each (as Spin's factors): the WIT interface's
//! host side, over a service that lives outside any one event. Each module gives the runtime a
//! view type to build from its store and an `add_to_linker`.

pub(crate) mod kv;
pub(crate) mod rooms;
pub(crate) mod ws;
