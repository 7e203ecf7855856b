//! Where the SDKs and the WIT are: `$WSH_SDK_DIR`; else, for a wsh run from its source tree, that
//! tree's `sdk/` (so that edits to the SDKs apply at once); else the copy inside the binary,
//! unpacked into the cache as `sdk/<content hash>/{sdk,wit}`.
//!
//! A wsh in a `bin` folder (`cargo install`, a package) is an installed one and always uses
//! its own copy, even on the machine that has the source tree: the tree may have moved on.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::embedded::{self, SDK};
use crate::runtime::compile_cache;

/// The SDK folder (`js/`, `python/`, `ruby/`, the Rust crate); the WIT is its sibling `wit/`.
pub(crate) fn dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("WSH_SDK_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("sdk");
    if checkout.is_dir() && !installed() {
        return Ok(checkout);
    }
    static UNPACKED: OnceLock<PathBuf> = OnceLock::new();
    if let Some(dir) = UNPACKED.get() {
        return Ok(dir.clone());
    }
    let root = compile_cache::root().context("no cache directory to unpack the SDKs into (set WSH_CACHE_DIR)")?;
    let dir = unpack(&root.join("sdk"))?.join("sdk");
    Ok(UNPACKED.get_or_init(|| dir).clone())
}

/// The WIT folder beside the SDK folder `sdk`.
pub(crate) fn wit(sdk: &Path) -> PathBuf {
    sdk.join("..").join("wit")
}

fn installed() -> bool {
    std::env::current_exe().ok().and_then(|exe| exe.parent()?.file_name().map(|n| n == "bin")).unwrap_or(false)
}

/// The embedded files' hash: a new wsh with other SDK sources unpacks beside the old ones,
/// never over them (an app's `Cargo.toml` may point into the old).
fn content_hash() -> String {
    let mut hasher = blake3::Hasher::new();
    for file in SDK {
        hasher.update(file.path.as_bytes());
        hasher.update(&[0, file.executable as u8]);
        hasher.update(&(file.bytes.len() as u64).to_le_bytes());
        hasher.update(file.bytes);
    }
    hasher.finalize().to_hex()[..16].to_string()
}

/// `<parent>/<hash>`, written first when missing. The files go to a temporary folder renamed
/// into place, so no process ever uses half an unpack.
fn unpack(parent: &Path) -> Result<PathBuf> {
    let dir = parent.join(content_hash());
    if dir.is_dir() {
        return Ok(dir);
    }
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    remove_abandoned(parent);
    let tmp = parent.join(format!(".{}.{}.tmp", std::process::id(), rand::random::<u64>()));
    let written = SDK.iter().try_for_each(|file| embedded::write(&tmp.join(file.path), file));
    let renamed = written.and_then(|()| {
        std::fs::rename(&tmp, &dir).or_else(|e| {
            // Another wsh unpacked the same files first: use theirs.
            if dir.is_dir() { Ok(()) } else { Err(e).with_context(|| format!("renaming into {}", dir.display())) }
        })
    });
    let _ = std::fs::remove_dir_all(&tmp);
    renamed.with_context(|| format!("unpacking the SDKs into {}", dir.display()))?;
    tracing::info!("unpacked the SDKs and the WIT into {}", dir.display());
    Ok(dir)
}

/// Temporary folders of unpacks whose wsh was killed half-way: an unpack takes milliseconds,
/// so one an hour old is nobody's.
fn remove_abandoned(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let old = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
        if name.starts_with('.') && name.ends_with(".tmp") && old.is_some_and(|age| age > Duration::from_secs(3600)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpacks_once_and_completely() {
        let parent = std::env::temp_dir().join(format!("wsh-sdk-{}", crate::ids::new_id()));
        // What a wsh killed mid-unpack left, two hours ago; and one unpacking right now.
        let (abandoned, busy) = (parent.join(".1.2.tmp"), parent.join(".3.4.tmp"));
        for dir in [&abandoned, &busy] {
            std::fs::create_dir_all(dir.join("sdk")).unwrap();
        }
        let two_hours_ago = std::time::SystemTime::now() - Duration::from_secs(7200);
        std::fs::File::open(&abandoned).unwrap().set_modified(two_hours_ago).unwrap();
        let dir = unpack(&parent).unwrap();
        assert!(!abandoned.exists() && busy.exists());
        std::fs::remove_dir_all(&busy).unwrap();
        assert!(dir.join("sdk/js/build.mjs").is_file());
        assert!(dir.join("wit/handler.wit").is_file());
        assert!(!dir.join("sdk/js/node_modules").exists());
        // A second call finds it; no temporary folder is left behind.
        assert_eq!(unpack(&parent).unwrap(), dir);
        let entries: Vec<_> = std::fs::read_dir(&parent).unwrap().collect();
        assert_eq!(entries.len(), 1);
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
