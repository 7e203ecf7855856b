//! The commands: `serve` and `build` (from a manifest to a listening port), `bench` (what each
//! handler costs on this machine); `preinit_ruby`, a step of Ruby handler builds.

pub mod bench;
mod bench_kv;
pub mod preinit_ruby;
pub mod serve;
