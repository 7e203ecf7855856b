//! Keeps wsh's cache within a size budget: `WSH_CACHE_MAX_MB`, 4 GiB unless set.
//!
//! Every edit of a Python handler leaves a build (~19 MiB) and its compilation (~35 MiB)
//! behind; a day of editing would otherwise fill a disk. The files a build or compile reads
//! again are touched when read, so what goes first is what has not been used for longest
//! (`decide::cache_budget`). Pruning runs on a thread of its own, one at a time, once the app's
//! routes are loaded and after each reload: never between two routes' loads, where it could
//! remove an old entry the next route was about to use.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use super::compile_cache::root;
use crate::decide::cache_budget::{self, Entry};

/// The cache's folders whose files are whole entries, safe to remove at any time: a removed
/// entry is built or compiled again when next needed. (`sdk/` and Rust's cargo `target/` are
/// left alone: cargo and the SDK installer own them.)
const PRUNED: [(&str, usize); 4] = [("builds", 0), ("components", 0), ("ruby-preinit", 0), ("functions", 1)];

const DEFAULT_BUDGET_MB: u64 = 4096;

/// A read entry is touched at most this often: its modification time is then when it was last
/// used, give or take this much.
const TOUCH_AFTER: Duration = Duration::from_secs(3600);

/// A temporary file this old was left by a process that died mid-write.
const ABANDONED_TMP: Duration = Duration::from_secs(3600);

static PRUNING: AtomicBool = AtomicBool::new(false);

/// The cache's budget in bytes.
fn budget() -> u64 {
    let mb = match std::env::var("WSH_CACHE_MAX_MB") {
        Err(_) => DEFAULT_BUDGET_MB,
        Ok(text) => text.trim().parse::<u64>().unwrap_or_else(|_| {
            tracing::warn!("WSH_CACHE_MAX_MB={text:?} is not a whole number of MiB; keeping the cache within {DEFAULT_BUDGET_MB} MiB");
            DEFAULT_BUDGET_MB
        }),
    };
    mb << 20
}

/// Marks the entry open as `file` as just used, unless it was marked within the hour.
pub(crate) fn touch(file: &File) {
    let now = SystemTime::now();
    let stale = file
        .metadata()
        .and_then(|m| m.modified())
        .map_or(true, |t| now.duration_since(t).unwrap_or_default() >= TOUCH_AFTER);
    if stale {
        // A failed touch makes the entry look older than it is; it may go sooner, nothing worse.
        let _ = file.set_modified(now);
    }
}

/// The same, by path.
pub(crate) fn touch_path(path: &Path) {
    if let Ok(file) = File::open(path) {
        touch(&file);
    }
}

/// Prunes the cache on a thread of its own, unless a prune is under way.
pub(crate) fn prune_in_background() {
    let Some(root) = root() else { return };
    if PRUNING.swap(true, Ordering::AcqRel) {
        return;
    }
    let spawned = std::thread::Builder::new().name("wsh-cache-prune".into()).spawn(move || {
        prune(&root, budget(), SystemTime::now());
        PRUNING.store(false, Ordering::Release);
    });
    if spawned.is_err() {
        PRUNING.store(false, Ordering::Release);
    }
}

/// Removes abandoned temporary files, then the least recently used entries past `budget`.
fn prune(root: &Path, budget: u64, now: SystemTime) -> (usize, u64) {
    let mut entries = Vec::new();
    for (dir, depth) in PRUNED {
        collect(&root.join(dir), depth, now, &mut entries);
    }
    let (mut files, mut bytes) = (0, 0);
    for entry in cache_budget::over_budget(entries, budget, now) {
        match std::fs::remove_file(&entry.path) {
            Ok(()) => {
                files += 1;
                bytes += entry.bytes;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("cannot remove {} from the cache: {e}", entry.path.display()),
        }
    }
    if files > 0 {
        tracing::info!(
            "cache {}: removed {files} least recently used file(s), {} MiB, to stay within {} MiB (WSH_CACHE_MAX_MB)",
            root.display(),
            bytes >> 20,
            budget >> 20
        );
    }
    (files, bytes)
}

/// The entries under `dir`, `depth` folders down; removes abandoned temporary files on the way.
fn collect(dir: &Path, depth: usize, now: SystemTime, out: &mut Vec<Entry>) {
    let Ok(listing) = std::fs::read_dir(dir) else { return };
    for item in listing.flatten() {
        let path: PathBuf = item.path();
        let Ok(meta) = item.metadata() else { continue };
        if meta.is_dir() {
            if depth > 0 {
                collect(&path, depth - 1, now, out);
            }
            continue;
        }
        let used = meta.modified().unwrap_or(now);
        let temporary = item.file_name().to_string_lossy().ends_with(".tmp");
        if temporary {
            if now.duration_since(used).is_ok_and(|age| age >= ABANDONED_TMP) {
                let _ = std::fs::remove_file(&path);
            }
            continue;
        }
        out.push(Entry { path, bytes: meta.len(), used });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &Path, bytes: usize, hours_ago: u64) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, vec![0u8; bytes]).unwrap();
        let when = SystemTime::now() - Duration::from_secs(hours_ago * 3600);
        File::options().write(true).open(path).unwrap().set_modified(when).unwrap();
    }

    #[test]
    fn prunes_the_oldest_entries_of_every_folder_and_abandoned_temporaries() {
        let root = std::env::temp_dir().join(format!("wsh-cache-prune-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        file(&root.join("builds/old.wasm"), 3000, 48);
        file(&root.join("components/new.cwasm"), 3000, 1);
        file(&root.join("functions/ab/abcd"), 1000, 72);
        file(&root.join("functions/cd/cdef"), 1000, 2);
        file(&root.join("components/.1.2.tmp"), 10, 5);
        file(&root.join("sdk/keep/file"), 100_000, 500);
        // 8000 bytes of entries, 5000 allowed: the function entry of 72 h ago and the build of
        // 48 h ago go (4000), leaving 4000.
        assert_eq!(prune(&root, 5000, SystemTime::now()), (2, 4000));
        assert!(!root.join("functions/ab/abcd").exists() && !root.join("builds/old.wasm").exists());
        assert!(root.join("components/new.cwasm").exists() && root.join("functions/cd/cdef").exists());
        assert!(!root.join("components/.1.2.tmp").exists(), "an abandoned temporary file stays");
        assert!(root.join("sdk/keep/file").exists(), "pruning reached outside its folders");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn touching_marks_an_entry_used_now() {
        let path = std::env::temp_dir().join(format!("wsh-cache-touch-{}", std::process::id()));
        file(&path, 10, 5);
        touch_path(&path);
        let age = SystemTime::now().duration_since(std::fs::metadata(&path).unwrap().modified().unwrap()).unwrap();
        assert!(age < TOUCH_AFTER, "not touched: {age:?} old");
        std::fs::remove_file(&path).unwrap();
    }
}
