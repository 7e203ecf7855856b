//! `wsh-ruby-adapter OUT.wasm`: writes the WASI preview-1 reactor adapter to OUT.wasm.

use std::process::ExitCode;

use wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER as ADAPTER;

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1) else {
        eprintln!("usage: wsh-ruby-adapter OUT.wasm");
        return ExitCode::FAILURE;
    };
    // Whole, then renamed into place: a concurrent build never reads half a file.
    let tmp = format!("{}.partial-{}", out.to_string_lossy(), std::process::id());
    match std::fs::write(&tmp, ADAPTER).and_then(|()| std::fs::rename(&tmp, &out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wsh-ruby-adapter: writing {}: {e}", out.to_string_lossy());
            ExitCode::FAILURE
        }
    }
}
