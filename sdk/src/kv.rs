//! State that outlives the event: the app's key-value store (`wasi:keyvalue`), with JSON on top
//! of its byte values.
//!
//! ```ignore
//! use wsh_sdk::kv;
//!
//! let visits = kv::increment("visits", 1)?;                 // atomic, across events and nodes
//! kv::set_json("last-visitor", &serde_json::json!({"id": id}))?;
//! let last: Option<serde_json::Value> = kv::get_json("last-visitor")?;
//! let sessions = kv::open("sessions")?;                     // a bucket the app declares
//! ```
//!
//! The free functions act on the app's `default` bucket; [`open`] opens another one declared in
//! the manifest (`@wsh kv-buckets sessions`).

use std::fmt;

use crate::bindings::wasi::keyvalue::{atomics, batch, store};

/// Why a key-value call did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvError {
    /// No bucket of that name: declare it with `@wsh kv-buckets <name>`.
    NoSuchBucket(String),
    AccessDenied,
    /// The store's own word: a value over the size limit, a value `increment` cannot add to, ...
    Other(String),
    /// A value that is not the JSON the caller asked for.
    Json(String),
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvError::NoSuchBucket(name) => {
                write!(f, "no key-value bucket '{name}': declare it in app.arc with `@wsh kv-buckets {name}`")
            }
            KvError::AccessDenied => f.write_str("access to the key-value bucket is denied"),
            KvError::Other(why) => f.write_str(why),
            KvError::Json(why) => write!(f, "the stored value is not the JSON expected: {why}"),
        }
    }
}

impl std::error::Error for KvError {}

fn error(e: store::Error, bucket: &str) -> KvError {
    match e {
        store::Error::NoSuchStore => KvError::NoSuchBucket(bucket.to_string()),
        store::Error::AccessDenied => KvError::AccessDenied,
        store::Error::Other(why) => KvError::Other(why),
    }
}

/// One bucket of the store.
pub struct Bucket {
    name: String,
    bucket: store::Bucket,
}

/// Opens bucket `name` (`"default"` is the app's own).
pub fn open(name: &str) -> Result<Bucket, KvError> {
    let bucket = store::open(name).map_err(|e| error(e, name))?;
    Ok(Bucket { name: name.to_string(), bucket })
}

fn default_bucket() -> Result<Bucket, KvError> {
    open("default")
}

impl Bucket {
    fn err(&self, e: store::Error) -> KvError {
        error(e, &self.name)
    }

    /// The value at `key`, `None` when there is none.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.bucket.get(key).map_err(|e| self.err(e))
    }

    pub fn set(&self, key: &str, value: impl AsRef<[u8]>) -> Result<(), KvError> {
        self.bucket.set(key, value.as_ref()).map_err(|e| self.err(e))
    }

    /// The value at `key` parsed as JSON.
    pub fn get_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, KvError> {
        self.get(key)?.map(|bytes| serde_json::from_slice(&bytes).map_err(|e| KvError::Json(e.to_string()))).transpose()
    }

    /// Stores `value` as JSON text.
    pub fn set_json<T: serde::Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), KvError> {
        let text = serde_json::to_vec(value).map_err(|e| KvError::Json(e.to_string()))?;
        self.set(key, text)
    }

    /// Removes `key`; a key that is not there is no error.
    pub fn delete(&self, key: &str) -> Result<(), KvError> {
        self.bucket.delete(key).map_err(|e| self.err(e))
    }

    pub fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.bucket.exists(key).map_err(|e| self.err(e))
    }

    /// Every key of the bucket, in key order, read a page at a time.
    pub fn keys(&self) -> Result<Vec<String>, KvError> {
        let mut keys = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.keys_page(cursor.as_deref())?;
            keys.extend(page.0);
            match page.1 {
                Some(next) => cursor = Some(next),
                None => return Ok(keys),
            }
        }
    }

    /// One page of keys after `cursor` (`None`: from the start), and the cursor of the next
    /// page when there is one.
    pub fn keys_page(&self, cursor: Option<&str>) -> Result<(Vec<String>, Option<String>), KvError> {
        let page = self.bucket.list_keys(cursor).map_err(|e| self.err(e))?;
        Ok((page.keys, page.cursor))
    }

    /// Adds `delta` to the integer at `key` (0 when absent) atomically; the new value.
    pub fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        atomics::increment(&self.bucket, key, delta).map_err(|e| self.err(e))
    }

    /// Sets `key` to `new` if it holds `expected` (`None`: if absent), atomically. `Ok(false)`
    /// when it held something else.
    pub fn compare_and_swap(&self, key: &str, expected: Option<&[u8]>, new: impl AsRef<[u8]>) -> Result<bool, KvError> {
        let cas = atomics::Cas::new(&self.bucket, key).map_err(|e| self.err(e))?;
        if cas.current().map_err(|e| self.err(e))?.as_deref() != expected {
            return Ok(false);
        }
        match atomics::swap(cas, new.as_ref()) {
            Ok(()) => Ok(true),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(self.err(e)),
        }
    }

    /// Replaces the value at `key` with `f(current)`, retrying until no other writer came in
    /// between; the value written.
    pub fn update(&self, key: &str, mut f: impl FnMut(Option<&[u8]>) -> Vec<u8>) -> Result<Vec<u8>, KvError> {
        let mut cas = atomics::Cas::new(&self.bucket, key).map_err(|e| self.err(e))?;
        loop {
            let current = cas.current().map_err(|e| self.err(e))?;
            let next = f(current.as_deref());
            match atomics::swap(cas, &next) {
                Ok(()) => return Ok(next),
                Err(atomics::CasError::CasFailed(retry)) => cas = retry,
                Err(atomics::CasError::StoreError(e)) => return Err(self.err(e)),
            }
        }
    }

    /// The values of `keys`, in order, `None` where absent.
    pub fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        let found = batch::get_many(&self.bucket, keys).map_err(|e| self.err(e))?;
        Ok(found.into_iter().map(|pair| pair.map(|(_, value)| value)).collect())
    }

    pub fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        batch::set_many(&self.bucket, pairs).map_err(|e| self.err(e))
    }

    pub fn delete_many(&self, keys: &[String]) -> Result<(), KvError> {
        batch::delete_many(&self.bucket, keys).map_err(|e| self.err(e))
    }
}

/// [`Bucket::get`] on the default bucket.
pub fn get(key: &str) -> Result<Option<Vec<u8>>, KvError> {
    default_bucket()?.get(key)
}

/// [`Bucket::set`] on the default bucket.
pub fn set(key: &str, value: impl AsRef<[u8]>) -> Result<(), KvError> {
    default_bucket()?.set(key, value)
}

/// [`Bucket::get_json`] on the default bucket.
pub fn get_json<T: serde::de::DeserializeOwned>(key: &str) -> Result<Option<T>, KvError> {
    default_bucket()?.get_json(key)
}

/// [`Bucket::set_json`] on the default bucket.
pub fn set_json<T: serde::Serialize + ?Sized>(key: &str, value: &T) -> Result<(), KvError> {
    default_bucket()?.set_json(key, value)
}

/// [`Bucket::delete`] on the default bucket.
pub fn delete(key: &str) -> Result<(), KvError> {
    default_bucket()?.delete(key)
}

/// [`Bucket::exists`] on the default bucket.
pub fn exists(key: &str) -> Result<bool, KvError> {
    default_bucket()?.exists(key)
}

/// [`Bucket::keys`] of the default bucket.
pub fn keys() -> Result<Vec<String>, KvError> {
    default_bucket()?.keys()
}

/// [`Bucket::increment`] on the default bucket.
pub fn increment(key: &str, delta: i64) -> Result<i64, KvError> {
    default_bucket()?.increment(key, delta)
}

/// [`Bucket::compare_and_swap`] on the default bucket.
pub fn compare_and_swap(key: &str, expected: Option<&[u8]>, new: impl AsRef<[u8]>) -> Result<bool, KvError> {
    default_bucket()?.compare_and_swap(key, expected, new)
}

/// [`Bucket::update`] on the default bucket.
pub fn update(key: &str, f: impl FnMut(Option<&[u8]>) -> Vec<u8>) -> Result<Vec<u8>, KvError> {
    default_bucket()?.update(key, f)
}
