//! The app model: what the manifest says (`manifest`), where each route's handler lives
//! (`layout`), how sources become components (`build`, with the SDKs found or unpacked by `sdk`
//! and their toolchains installed by `toolchain`), the resolved app as one immutable value
//! (`snapshot`), loading it (`load`) and swapping it on change (`reload`).

pub(crate) mod build;
pub(crate) mod layout;
pub(crate) mod load;
pub mod manifest;
pub(crate) mod reload;
pub(crate) mod sdk;
pub(crate) mod snapshot;
pub(crate) mod toolchain;
