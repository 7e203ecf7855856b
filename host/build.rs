//! Packs what wsh needs at run time from this repository into the binary, so that an installed
//! `wsh` works without the checkout: the SDKs and the WIT (unpacked into the cache on first
//! use, see `src/app/sdk.rs`) and the apps `wsh new` writes (`src/cli/new.rs`).
//!
//! The output is Rust source, a table of `(path, include_bytes!(…), executable)`, so that the
//! binary needs no archive reader.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Installed toolchains, build output and caches: made on the user's machine, never shipped.
const SKIPPED: &[&str] = &["node_modules", "target", "__pycache__"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let repo = manifest_dir.parent().unwrap().to_path_buf();
    println!("cargo:rerun-if-changed=build.rs");
    let sdk = table(&repo, &["sdk", "wit"]);
    let templates = table(
        &repo,
        &[
            "host/templates",
            "guest-examples/echo-js/src",
            "guest-examples/echo-py/src",
            "guest-examples/echo-rb/src",
            "guest-examples/echo/src/ws/default",
            "guest-examples/echo/public",
            "guest-examples/chat-js",
            "guest-examples/chat-py",
            "guest-examples/chat",
        ],
    );
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let code = format!(
        "/// The SDKs and the WIT, by path from the repository's root.\n\
         pub(crate) static SDK: &[crate::embedded::File] = &[\n{sdk}];\n\
         /// What `wsh new` writes from, by path from the repository's root.\n\
         pub(crate) static TEMPLATES: &[crate::embedded::File] = &[\n{templates}];\n"
    );
    std::fs::write(out.join("embedded.rs"), code).unwrap();
}

/// One entry per file under `roots`, sorted, so that the same tree gives the same table (and
/// the same content hash).
fn table(repo: &Path, roots: &[&str]) -> String {
    let mut files = Vec::new();
    for root in roots {
        collect(&repo.join(root), &mut files);
    }
    files.sort();
    let mut code = String::new();
    for file in files {
        let rel = file.strip_prefix(repo).unwrap().to_str().expect("UTF-8 paths").replace('\\', "/");
        let abs = file.to_str().expect("UTF-8 paths");
        writeln!(
            code,
            "    crate::embedded::File {{ path: {rel:?}, bytes: include_bytes!({abs:?}), executable: {} }},",
            executable(&file)
        )
        .unwrap();
    }
    code
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut pruned = false;
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        // Documentation is not needed to build, and an edit of it should not unpack a new SDK.
        if name.starts_with('.')
            || SKIPPED.contains(&&*name)
            || [".wasm", ".pyc", ".md"].iter().any(|ext| name.ends_with(ext))
        {
            pruned = true;
            continue;
        }
        if path.is_dir() {
            collect(&path, out);
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
            out.push(path);
        }
    }
    // Cargo scans a directory named here recursively, so a directory holding node_modules or a
    // venv is not named (a file added right into it is picked up on the next edit of another).
    if !pruned {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(_: &Path) -> bool {
    false
}
