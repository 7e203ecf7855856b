//! The live connections, addressable by id from every handler and from the front door.

pub(crate) mod registry;
