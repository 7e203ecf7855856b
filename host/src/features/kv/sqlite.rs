//! The key-value store on one machine: one SQLite file in the app's folder (`.wsh/kv.sqlite`).
//!
//! Write-ahead log with `synchronous=NORMAL`: a write that returned is in the operating
//! system's hands, so it survives the process being killed (`kill -9`); a power cut may lose the
//! last moments of writes, as SQLite documents for that mode. Each call is one statement or one
//! `BEGIN IMMEDIATE` transaction, so `increment` and `swap` are atomic against every other
//! writer. Calls run on a handler worker (a handler that makes one on a thread serving sockets
//! moves first), each on a connection of its own from a small pool.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, Result, bail};
use futures_util::future::BoxFuture;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::backend::{Backend, KvResult, Swap, add};
use crate::io_thread;

/// `PRAGMA application_id` of a wsh store ("wsh" and format 1): a file that says otherwise is
/// somebody else's, and wsh will not write into it.
const APPLICATION_ID: i32 = 0x7773_6801;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS kv (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID";

pub(crate) struct Sqlite {
    path: PathBuf,
    /// Idle connections; one is taken per call and put back after it.
    pool: Mutex<Vec<Connection>>,
    /// The file exists and is a wsh store. Until a handler first uses the store, an app that
    /// has none gets no file (and no `.wsh/` folder in its source tree).
    ready: OnceLock<()>,
    /// Held while the file is created, so that two first calls create it once.
    creating: Mutex<()>,
}

impl Sqlite {
    /// The store at `path`. A file already there is checked now, and refused, naming it, if it
    /// is not a wsh store: wsh never starts empty over someone's data. A missing one is created
    /// (with its folder) by the first call that needs it.
    pub fn open(path: &Path) -> Result<Sqlite> {
        let store = Sqlite {
            path: path.to_path_buf(),
            pool: Mutex::new(Vec::new()),
            ready: OnceLock::new(),
            creating: Mutex::new(()),
        };
        if path.exists() {
            store.prepare()?;
        }
        Ok(store)
    }

    /// Whether the file exists yet (it is created on first use).
    pub fn created(&self) -> bool {
        self.ready.get().is_some()
    }

    /// Creates the file if needed and checks it is a wsh store.
    fn prepare(&self) -> Result<()> {
        let _creating = self.creating.lock().unwrap_or_else(|e| e.into_inner());
        if self.created() {
            return Ok(());
        }
        let path = &self.path;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            // The store is the app's data, not its source.
            let ignore = dir.join(".gitignore");
            if !ignore.exists() {
                let _ = std::fs::write(&ignore, "# wsh's local state (the key-value store)\n*\n");
            }
        }
        let conn = connect(path)?;
        let not_a_store = |why: &str| {
            format!(
                "{} is not a wsh key-value store ({why}); wsh will not start over it: move it away, \
                 or start the app from another folder",
                path.display()
            )
        };
        let id: i32 = match conn.query_row("PRAGMA application_id", [], |r| r.get(0)) {
            Ok(id) => id,
            Err(e) => bail!(not_a_store(&e.to_string())),
        };
        match id {
            APPLICATION_ID => {}
            0 => {
                let tables: i64 = conn
                    .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                    .map_err(|e| anyhow::anyhow!(not_a_store(&e.to_string())))?;
                if tables > 0 {
                    bail!(not_a_store("a SQLite database with tables of its own"));
                }
                conn.execute_batch(&format!("{SCHEMA}; PRAGMA application_id = {APPLICATION_ID};"))
                    .with_context(|| format!("creating the key-value store {}", path.display()))?;
            }
            other => bail!(not_a_store(&format!("a SQLite database with application id {other:#x}"))),
        }
        conn.execute_batch(SCHEMA).with_context(|| format!("opening the key-value store {}", path.display()))?;
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        let _ = self.ready.set(());
        Ok(())
    }

    /// Runs `f` on a pooled connection; its errors become the `other` error's message.
    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<KvResult<T>>) -> KvResult<T> {
        if !self.created() {
            self.prepare().map_err(|e| format!("{e:#}"))?;
        }
        let taken = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match taken {
            Some(conn) => conn,
            None => connect(&self.path).map_err(|e| format!("{e:#}"))?,
        };
        let result = f(&mut conn).map_err(|e| format!("key-value store {}: {e}", self.path.display()));
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
        result?
    }
}

fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    // A write waits for another connection's write rather than failing.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "wal")
        .and_then(|()| conn.pragma_update(None, "synchronous", "normal"))
        .map_err(|e| anyhow::anyhow!("{} is not a wsh key-value store ({e})", path.display()))?;
    Ok(conn)
}

fn get(conn: &Connection, bucket: &str, key: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT value FROM kv WHERE bucket = ?1 AND key = ?2")?
        .query_row(params![bucket, key], |r| r.get(0))
        .optional()
}

fn put(conn: &Connection, bucket: &str, key: &str, value: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO kv (bucket, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![bucket, key, value])
    .map(drop)
}

fn remove(conn: &Connection, bucket: &str, key: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM kv WHERE bucket = ?1 AND key = ?2")?.execute(params![bucket, key]).map(drop)
}

/// SQLite calls block: one made on a socket thread first moves the handler to a worker.
fn blocking<'a, T: Send + 'a>(work: impl FnOnce() -> KvResult<T> + Send + 'a) -> BoxFuture<'a, KvResult<T>> {
    Box::pin(async move {
        io_thread::leave().await;
        work()
    })
}

impl Backend for Sqlite {
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, KvResult<Option<Vec<u8>>>> {
        blocking(move || self.with(|c| get(c, bucket, key).map(Ok)))
    }

    fn set<'a>(&'a self, bucket: &'a str, key: &'a str, value: &'a [u8]) -> BoxFuture<'a, KvResult<()>> {
        blocking(move || self.with(|c| put(c, bucket, key, value).map(Ok)))
    }

    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, KvResult<()>> {
        blocking(move || self.with(|c| remove(c, bucket, key).map(Ok)))
    }

    fn exists<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, KvResult<bool>> {
        blocking(move || {
            self.with(|c| {
                c.prepare_cached("SELECT 1 FROM kv WHERE bucket = ?1 AND key = ?2")?
                    .exists(params![bucket, key])
                    .map(Ok)
            })
        })
    }

    fn keys<'a>(
        &'a self,
        bucket: &'a str,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, KvResult<Vec<String>>> {
        blocking(move || {
            self.with(|c| {
                let mut statement =
                    c.prepare_cached("SELECT key FROM kv WHERE bucket = ?1 AND key > ?2 ORDER BY key LIMIT ?3")?;
                let rows = statement.query_map(params![bucket, after.unwrap_or(""), limit as i64], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<Vec<String>>>().map(Ok)
            })
        })
    }

    fn increment<'a>(&'a self, bucket: &'a str, key: &'a str, delta: i64) -> BoxFuture<'a, KvResult<i64>> {
        blocking(move || {
            self.with(|c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let next = match add(get(&tx, bucket, key)?.as_deref(), delta, key) {
                    Ok(next) => next,
                    Err(why) => return Ok(Err(why)),
                };
                put(&tx, bucket, key, next.to_string().as_bytes())?;
                tx.commit()?;
                Ok(Ok(next))
            })
        })
    }

    fn swap<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        expected: Option<&'a [u8]>,
        value: &'a [u8],
    ) -> BoxFuture<'a, KvResult<Swap>> {
        blocking(move || {
            self.with(|c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let current = get(&tx, bucket, key)?;
                if current.as_deref() != expected {
                    return Ok(Ok(Swap::Conflict(current)));
                }
                put(&tx, bucket, key, value)?;
                tx.commit()?;
                Ok(Ok(Swap::Done))
            })
        })
    }

    fn get_many<'a>(&'a self, bucket: &'a str, keys: &'a [String]) -> BoxFuture<'a, KvResult<Vec<Option<Vec<u8>>>>> {
        blocking(move || {
            self.with(|c| {
                // One read transaction: the values are of one moment.
                let tx = c.transaction()?;
                let values = keys.iter().map(|k| get(&tx, bucket, k)).collect::<rusqlite::Result<_>>()?;
                tx.commit()?;
                Ok(Ok(values))
            })
        })
    }

    fn set_many<'a>(&'a self, bucket: &'a str, pairs: &'a [(String, Vec<u8>)]) -> BoxFuture<'a, KvResult<()>> {
        blocking(move || {
            self.with(|c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                for (key, value) in pairs {
                    put(&tx, bucket, key, value)?;
                }
                tx.commit().map(Ok)
            })
        })
    }

    fn delete_many<'a>(&'a self, bucket: &'a str, keys: &'a [String]) -> BoxFuture<'a, KvResult<()>> {
        blocking(move || {
            self.with(|c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                for key in keys {
                    remove(&tx, bucket, key)?;
                }
                tx.commit().map(Ok)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("wsh-kv-{}", crate::ids::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("kv.sqlite")
    }

    fn now<T>(f: BoxFuture<'_, T>) -> T {
        futures_util::FutureExt::now_or_never(f).expect("SQLite calls complete at once")
    }

    #[test]
    fn a_store_keeps_buckets_apart_and_survives_reopening() {
        let path = scratch();
        let kv = Sqlite::open(&path).unwrap();
        now(kv.set("default", "a", b"1")).unwrap();
        now(kv.set("other", "a", b"2")).unwrap();
        assert_eq!(now(kv.get("default", "a")).unwrap().as_deref(), Some(&b"1"[..]));
        assert!(now(kv.exists("other", "a")).unwrap());
        now(kv.delete("other", "a")).unwrap();
        assert!(!now(kv.exists("other", "a")).unwrap());
        drop(kv);
        let kv = Sqlite::open(&path).unwrap();
        assert_eq!(now(kv.get("default", "a")).unwrap().as_deref(), Some(&b"1"[..]));
        assert!(std::fs::read_to_string(path.with_file_name(".gitignore")).unwrap().contains('*'));
    }

    #[test]
    fn increments_swaps_and_pages() {
        let kv = Sqlite::open(&scratch()).unwrap();
        assert_eq!(now(kv.increment("b", "n", 2)).unwrap(), 2);
        assert_eq!(now(kv.increment("b", "n", 3)).unwrap(), 5);
        assert_eq!(now(kv.get("b", "n")).unwrap().as_deref(), Some(&b"5"[..]));
        assert_eq!(now(kv.swap("b", "n", Some(b"4"), b"9")).unwrap(), Swap::Conflict(Some(b"5".to_vec())));
        assert_eq!(now(kv.swap("b", "n", Some(b"5"), b"9")).unwrap(), Swap::Done);
        assert_eq!(now(kv.swap("b", "new", None, b"x")).unwrap(), Swap::Done);
        now(kv.set("b", "text", b"hello")).unwrap();
        assert!(now(kv.increment("b", "text", 1)).unwrap_err().contains("not a decimal integer"));
        let pairs: Vec<(String, Vec<u8>)> = (0..5).map(|i| (format!("k{i}"), vec![i])).collect();
        now(kv.set_many("p", &pairs)).unwrap();
        assert_eq!(now(kv.keys("p", None, 3)).unwrap(), ["k0", "k1", "k2"]);
        assert_eq!(now(kv.keys("p", Some("k2"), 3)).unwrap(), ["k3", "k4"]);
        let keys = vec!["k1".to_string(), "nope".to_string()];
        assert_eq!(now(kv.get_many("p", &keys)).unwrap(), vec![Some(vec![1]), None]);
        now(kv.delete_many("p", &keys)).unwrap();
        assert_eq!(now(kv.keys("p", None, 10)).unwrap(), ["k0", "k2", "k3", "k4"]);
    }

    #[test]
    fn the_file_is_created_by_the_first_call_not_at_open() {
        let path = scratch().parent().unwrap().join(".wsh").join("kv.sqlite");
        let kv = Sqlite::open(&path).unwrap();
        assert!(!path.parent().unwrap().exists(), "an unused store made its folder");
        assert_eq!(now(kv.get("default", "a")).unwrap(), None);
        assert!(path.is_file() && kv.created());
        now(kv.set("default", "a", b"1")).unwrap();
        drop(kv);
        assert_eq!(now(Sqlite::open(&path).unwrap().get("default", "a")).unwrap().as_deref(), Some(&b"1"[..]));
    }

    #[test]
    fn a_file_that_is_not_a_store_is_refused_by_name() {
        let path = scratch();
        std::fs::write(&path, b"these are somebody's notes, not a database").unwrap();
        let e = format!("{:#}", Sqlite::open(&path).err().expect("refused"));
        assert!(e.contains("kv.sqlite is not a wsh key-value store"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"these are somebody's notes, not a database");

        let other = scratch();
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE notes (t TEXT)").unwrap();
        let e = format!("{:#}", Sqlite::open(&other).err().expect("refused"));
        assert!(e.contains("tables of its own"), "{e}");
    }
}
