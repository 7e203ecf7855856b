//! Turning a route's sources into a component.
//!
//! Rust crates are built with cargo for `wasm32-wasip2`. Cargo is the authority on staleness
//! (it tracks every input, path dependencies included), so wsh always asks it, and a fresh
//! crate costs one no-op cargo run.
//!
//! JavaScript, Python and Ruby handlers are built by the SDKs' build scripts (`sdk/js/build.mjs`:
//! esbuild + componentize-qjs; `sdk/python/build.py`: componentize-py; `sdk/ruby/build.py`:
//! ruby.wasm, wasm-tools and `wsh internal preinit-ruby`) with the toolchains installed beside
//! them (by `make setup`, or by wsh on a language's first build: `toolchain`). Those builds
//! take seconds and are not byte-reproducible, so their output is kept in wsh's cache under a
//! hash of everything that goes into it (the route's files, the SDK, the WIT): the same sources are never built twice,
//! and the same component is never compiled twice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, LazyLock, Mutex};

use anyhow::{Context, Result, bail};
use tokio::sync::Semaphore;

use super::layout::Source;
use super::manifest::MANIFESTS;
use super::sdk;
use super::toolchain::{self, Toolchain};
use crate::progress::Step;
use crate::runtime::World;
use crate::runtime::{cache_prune, compile_cache};

/// A JS, Python or Ruby build takes a core and up to ~400 MiB (a Ruby one's first, ~1 GiB): two
/// at a time.
static LANGUAGE_BUILDS: Semaphore = Semaphore::const_new(2);

/// A lock per build key, held while that build runs.
static IN_FLIGHT: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = LazyLock::new(Default::default);

/// Builds `source`, the handler of `route`, if it needs building; returns the component to
/// load.
pub async fn build(route: &str, source: &Source, world: World) -> Result<PathBuf> {
    // The callers name the route in the error.
    let what = |path: &Path| format!("building {} ({})", path.display(), source.kind());
    // What the progress line says while the build tool runs.
    let label = format!("building route {route} ({})", source.kind());
    match source {
        Source::Component(path) => Ok(path.clone()),
        Source::Rust(dir) => build_rust(dir, &label).await.with_context(|| what(dir)),
        Source::Js(entry) | Source::Python(entry) | Source::Ruby(entry) => {
            build_language(source, entry, world, &label).await.with_context(|| what(entry))
        }
    }
}

async fn build_language(source: &Source, entry: &Path, world: World, label: &str) -> Result<PathBuf> {
    let sdk = tokio::task::spawn_blocking(sdk::dir).await.context("locating the SDKs")??;
    let wit = sdk::wit(&sdk);
    let Toolchain { dir: lang_dir, program, script } = toolchain::ensure(source, &sdk).await?;
    let route_dir = entry.parent().context("a handler file has a directory")?.to_path_buf();
    // The entry's name too: two handler files of one folder are two builds.
    let entry_name = entry.file_name().unwrap_or_default().to_string_lossy();
    let kind = format!("{} {} {entry_name}", source.kind(), world.name());
    // Hashing reads every input file: on the blocking pool.
    let key = {
        // Architect's src/shared, which any handler may import, is an input of every build.
        let src = route_dir.parent().and_then(Path::parent).filter(|src| src.file_name() == Some("src".as_ref()));
        let shared = src.map(|src| src.join("shared"));
        let mut dirs = vec![route_dir, lang_dir.clone(), wit.clone()];
        dirs.extend(shared.filter(|s| s.is_dir()));
        tokio::task::spawn_blocking(move || inputs_hash(&kind, &dirs)).await??
    };
    let builds = compile_cache::root().context("no cache directory (set WSH_CACHE_DIR)")?.join("builds");
    let out = builds.join(format!("{key}.wasm"));
    // Routes that call exports of one file build it once: the others wait for that build.
    let one_build = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner()).entry(key.clone()).or_default().clone();
    let _building = one_build.lock().await;
    if tokio::fs::try_exists(&out).await.unwrap_or(false) {
        let used = out.clone();
        let _ = tokio::task::spawn_blocking(move || cache_prune::touch_path(&used)).await;
        return Ok(out);
    }
    if !tokio::fs::try_exists(entry).await.unwrap_or(false) {
        bail!("{} does not exist", entry.display());
    }
    tokio::fs::create_dir_all(&builds).await.with_context(|| format!("creating {}", builds.display()))?;
    let _turn = LANGUAGE_BUILDS.acquire().await?;
    let mut command = tokio::process::Command::new(&program);
    command.arg(&script).arg("--wit").arg(&wit).arg("--world").arg(world.name()).arg("--out").arg(&out).arg(entry);
    if let Source::Ruby(_) = source {
        // The Ruby build snapshots the VM with this very binary (`wsh internal preinit-ruby`).
        command.env("WSH_EXE", std::env::current_exe().context("locating the wsh binary")?);
    }
    let step = Step::start(label);
    let output = ended(step, run(command).await).with_context(|| format!("cannot run {}", program.display()))?;
    if !output.status.success() {
        bail!("the build failed:\n{}", String::from_utf8_lossy(&output.stderr).trim_end());
    }
    if !out.is_file() {
        bail!("{} reported success but wrote no {}", script.display(), out.display());
    }
    Ok(out)
}

/// blake3 over every file (path and content) under `dirs`, skipping build output and
/// installed dependencies.
fn inputs_hash(kind: &str, dirs: &[PathBuf]) -> Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(kind.as_bytes());
    for dir in dirs {
        let mut files = Vec::new();
        collect_files(dir, &mut files)?;
        files.sort();
        for file in files {
            hasher.update(file.strip_prefix(dir).unwrap_or(&file).to_string_lossy().as_bytes());
            hasher.update(&std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?);
        }
    }
    Ok(hasher.finalize().to_hex()[..32].to_string())
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        // A manifest is not a handler's source (a Serverless app's handlers sit beside it): an
        // edit of the routes must not rebuild every handler.
        if name.starts_with('.')
            || ["node_modules", "__pycache__", "target"].contains(&name)
            || name.ends_with(".wasm")
            || MANIFESTS.contains(&name)
        {
            continue;
        }
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

async fn build_rust(dir: &Path, label: &str) -> Result<PathBuf> {
    let manifest = dir.join("Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = tokio::process::Command::new(&cargo);
    command
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--message-format",
            "json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(&manifest);
    let step = Step::start(label);
    let output = ended(step, run(command).await)
        .with_context(|| format!("cannot run {} (is Rust installed?)", cargo.to_string_lossy()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        if stderr.contains("can't find crate for `core`") || stderr.contains("target may not be installed") {
            bail!("the wasm32-wasip2 target is missing: run `rustup target add wasm32-wasip2`");
        }
        bail!("cargo failed:\n{}", diagnostics(&stderr));
    }
    let manifest = tokio::fs::canonicalize(&manifest).await.unwrap_or(manifest);
    let stdout = String::from_utf8_lossy(&output.stdout);
    artifact(&stdout, &manifest)
        .with_context(|| format!("cargo built no component for {}: is its crate-type \"cdylib\"?", manifest.display()))
}

/// Ends `step` as the build tool's `output` says.
fn ended(step: Step, output: std::io::Result<Output>) -> std::io::Result<Output> {
    match &output {
        Ok(o) if o.status.success() => step.done(),
        _ => step.failed(),
    }
    output
}

/// Runs a build tool to completion, capturing its output; killed if wsh stops waiting (a
/// reload superseded, or shutdown).
async fn run(mut command: tokio::process::Command) -> std::io::Result<Output> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true).output().await
}

/// The `.wasm` that cargo reports for the package at `manifest` in its JSON messages.
fn artifact(messages: &str, manifest: &Path) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["manifest_path"].as_str().map(Path::new) == Some(manifest))
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
}

/// Cargo's stderr without its progress lines: what is left is the compiler's errors, with
/// their `file:line:column`.
fn diagnostics(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("Compiling ")
                || t.starts_with("Blocking ")
                || t.starts_with("Updating ")
                || t.starts_with("Locking ")
                || t.starts_with("Downloaded ")
                || t.starts_with("Downloading "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_hash_follows_content_and_skips_build_output() {
        let dir = std::env::temp_dir().join(format!("wsh-hash-{}", crate::ids::new_id()));
        std::fs::create_dir_all(dir.join("node_modules")).unwrap();
        std::fs::write(dir.join("index.mjs"), "a").unwrap();
        let dirs = [dir.clone()];
        let first = inputs_hash("javascript", &dirs).unwrap();
        std::fs::write(dir.join("node_modules/x.js"), "ignored").unwrap();
        std::fs::write(dir.join("old.wasm"), "ignored").unwrap();
        assert_eq!(inputs_hash("javascript", &dirs).unwrap(), first);
        assert_ne!(inputs_hash("python", &dirs).unwrap(), first);
        std::fs::write(dir.join("index.mjs"), "b").unwrap();
        assert_ne!(inputs_hash("javascript", &dirs).unwrap(), first);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn finds_the_cdylib_of_the_route_crate() {
        let msgs = r#"{"reason":"compiler-artifact","manifest_path":"/dep/Cargo.toml","filenames":["/t/libdep.rlib"]}
not json
{"reason":"compiler-artifact","manifest_path":"/app/src/ws/default/Cargo.toml","filenames":["/t/wasm32-wasip2/release/echo.wasm"]}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            artifact(msgs, Path::new("/app/src/ws/default/Cargo.toml")),
            Some(PathBuf::from("/t/wasm32-wasip2/release/echo.wasm"))
        );
        assert_eq!(artifact(msgs, Path::new("/other/Cargo.toml")), None);
    }
}
