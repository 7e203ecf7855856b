//! The commands: `serve` and `build` (from a manifest to a listening port), `bench` (what each
//! handler costs on this machine).

pub mod bench;
pub mod serve;
