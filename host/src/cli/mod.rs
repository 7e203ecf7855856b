//! The commands: `serve` and `build` (from a manifest to a listening port), `bench` (what each
//! handler costs on this machine).

pub mod bench;
mod bench_kv;
pub mod serve;
