//! The commands: `serve` and `build` (from a manifest to a listening port), `bench` (what each
//! handler costs on this machine), `new` (a ready app to start from); `preinit_ruby`, a step of
//! Ruby handler builds.

pub mod bench;
mod bench_kv;
pub mod new;
pub mod preinit_ruby;
pub mod serve;
