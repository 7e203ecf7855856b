//! Cranelift's per-function compilation cache, on disk.
//!
//! Editing a JavaScript, Python or Ruby handler changes its component's data (the snapshot of
//! the interpreter with the handler loaded), not the interpreter's thousands of functions. The
//! whole-component cache (`compile_cache`) misses on any change, and compiling CPython again
//! takes ~9 s; with this cache only the functions whose code changed are compiled, the others
//! are read back. The same holds between routes of one language: their interpreters are the
//! same functions.
//!
//! An entry is one file named by Cranelift's key (a hash of the function, the target and the
//! compiler's settings); Cranelift checks its own version inside the value and recompiles an
//! entry it cannot read. Files are written whole and renamed into place, so concurrent wsh
//! processes never read half an entry.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::PathBuf;

use wasmtime::CacheStore;

#[derive(Debug)]
pub(super) struct FunctionCache {
    dir: PathBuf,
}

impl FunctionCache {
    /// `functions/` under wsh's cache directory; none when there is no cache directory.
    pub(super) fn from_env() -> Option<FunctionCache> {
        super::compile_cache::root().map(|root| FunctionCache { dir: root.join("functions") })
    }

    fn path(&self, key: &[u8]) -> PathBuf {
        let mut name = String::with_capacity(key.len() * 2);
        for byte in key {
            let _ = write!(name, "{byte:02x}");
        }
        // 256 folders, so that no folder holds every function of every interpreter.
        let fanout = name.get(..2).unwrap_or("00").to_string();
        self.dir.join(fanout).join(name)
    }
}

impl CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let mut file = std::fs::File::open(self.path(key)).ok()?;
        super::cache_prune::touch(&file);
        let mut value = Vec::new();
        file.read_to_end(&mut value).ok()?;
        Some(Cow::Owned(value))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let path = self.path(key);
        let Some(dir) = path.parent() else { return false };
        if std::fs::create_dir_all(dir).is_err() {
            return false;
        }
        let tmp = dir.join(format!(".{}.{}.tmp", std::process::id(), rand::random::<u64>()));
        // A failed write costs a recompilation next time, nothing else: not worth a log line per
        // function.
        let written = std::fs::write(&tmp, value).and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_misses_are_none() {
        let dir = std::env::temp_dir().join(format!("wsh-function-cache-{}", std::process::id()));
        let cache = FunctionCache { dir: dir.clone() };
        assert!(cache.get(b"\x01\x02").is_none());
        assert!(cache.insert(b"\x01\x02", b"code".to_vec()));
        assert_eq!(cache.get(b"\x01\x02").as_deref(), Some(&b"code"[..]));
        assert!(dir.join("01").join("0102").is_file());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
