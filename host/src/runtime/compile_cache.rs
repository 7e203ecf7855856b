//! Compiled components on disk, keyed by what they were compiled from.
//!
//! Compiling a JavaScript or Python guest takes seconds and hundreds of MiB; loading its
//! compilation from disk takes milliseconds. The key is the component's content hash plus the
//! engine's compatibility hash (wasmtime version and settings that affect code), so a cached
//! file is never loaded into an engine that did not make it, and the same bytes are never
//! compiled twice.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use wasmtime::Engine;
use wasmtime::component::Component;

/// wsh's cache directory: `$WSH_CACHE_DIR`, else `$XDG_CACHE_HOME/wsh`, else `~/.cache/wsh`.
pub fn root() -> Option<PathBuf> {
    std::env::var_os("WSH_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("wsh")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("wsh")))
}

#[derive(Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
}

impl CompileCache {
    /// `components/` under [`root`].
    pub fn from_env() -> CompileCache {
        CompileCache { dir: root().map(|d| d.join("components")) }
    }

    /// The compiled form of `bytes`, from the cache when present. Blocking: call off the
    /// async threads.
    pub fn load_or_compile(&self, engine: &Engine, bytes: &[u8], hash: &str) -> Result<Component> {
        let Some(dir) = &self.dir else {
            return Component::new(engine, bytes).map_err(anyhow::Error::from);
        };
        let path = dir.join(format!("{hash}-{}.cwasm", engine_key(engine)));
        if path.exists() {
            super::cache_prune::touch_path(&path);
            // SAFETY: the file was written by `precompile_component` of an engine with the same
            // compatibility hash, into wsh's own cache directory.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok(component),
                Err(e) => tracing::warn!("ignoring unreadable cache entry {}: {e}", path.display()),
            }
        }
        let compiled = engine.precompile_component(bytes).map_err(anyhow::Error::from)?;
        if let Err(e) = write_atomically(dir, &path, &compiled) {
            tracing::warn!("cannot cache compiled component in {}: {e:#}", dir.display());
        }
        // SAFETY: `compiled` was just produced by this engine.
        unsafe { Component::deserialize(engine, &compiled) }.map_err(anyhow::Error::from)
    }
}

fn engine_key(engine: &Engine) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Concurrent wsh processes may compile the same component: each writes its own temporary file
/// and renames it into place, so a reader never sees half a file.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(".{}.{}.tmp", std::process::id(), rand::random::<u64>()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))
}
