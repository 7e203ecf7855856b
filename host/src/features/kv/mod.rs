//! `wasi:keyvalue@0.2.0-draft2` (`store`, `atomics`, `batch`), the standard interfaces, over a
//! [`Backend`]: state for handlers that are fresh every event.
//!
//! Buckets are namespaces the app declares: `default` (also opened as `""`) always exists, and
//! `@wsh kv-buckets a b` adds others; `open` of anything else answers `no-such-store`, so a typo
//! cannot write into a new, empty namespace. Errors are values (`other` with a message saying what
//! to fix), never traps; only a handle the guest made up traps, as a resource misuse does.

mod backend;
mod redis;
mod sqlite;

use std::sync::Arc;

use anyhow::Result;
use wasmtime::component::{HasData, Linker, Resource, ResourceTable};

pub(crate) use self::backend::Backend;
use self::backend::Swap;
pub(crate) use self::redis::RedisStore;
pub(crate) use self::sqlite::Sqlite;
use crate::bindings::keyvalue::wasi::keyvalue::{atomics, batch, store};
use crate::bindings::keyvalue::{BucketRef, CasRef};
use crate::bindings::keyvalue_pr55::wasi::keyvalue::batch as batch_pr55;
use crate::metrics::{self, KvOp};

/// Keys a page of `list-keys` holds at most.
const PAGE: usize = 1000;

/// Bytes in a key at most (DynamoDB's limit for a partition key).
const MAX_KEY: usize = 2048;

/// What the app allows, from its settings: read per event, so a reload applies to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KvPolicy {
    /// Bucket names `open` accepts; `default` is always among them.
    pub buckets: Vec<String>,
    /// Bytes in one value at most.
    pub max_value: usize,
}

impl KvPolicy {
    fn bucket(&self, identifier: &str) -> Option<Arc<str>> {
        let name = if identifier.is_empty() { "default" } else { identifier };
        (name == "default" || self.buckets.iter().any(|b| b == name)).then(|| name.into())
    }

    fn check(&self, key: &str, value: Option<&[u8]>) -> Result<(), store::Error> {
        if key.len() > MAX_KEY {
            return Err(other(format!("the key is {} bytes; keys are at most {MAX_KEY}", key.len())));
        }
        match value {
            Some(v) if v.len() > self.max_value => Err(other(format!(
                "the value for key '{}' is {} bytes, over the {}-byte limit (@wsh kv-max-value-kb)",
                clip(key),
                v.len(),
                self.max_value
            ))),
            _ => Ok(()),
        }
    }
}

/// What the key-value calls of one event act on.
pub(crate) struct KvView<'a> {
    pub backend: &'a dyn Backend,
    pub policy: &'a KvPolicy,
    pub table: &'a mut ResourceTable,
}

fn other(message: String) -> store::Error {
    store::Error::Other(message)
}

fn clip(key: &str) -> &str {
    match key.char_indices().nth(64) {
        Some((i, _)) => &key[..i],
        None => key,
    }
}

impl KvView<'_> {
    fn bucket(&self, bucket: &Resource<BucketRef>) -> wasmtime::Result<Arc<str>> {
        Ok(self.table.get(bucket)?.name.clone())
    }

    /// The values of `keys`, in order, `None` where absent.
    async fn values(
        &mut self,
        bucket: &Resource<BucketRef>,
        keys: &[String],
    ) -> wasmtime::Result<KvOutcome<Vec<Option<Vec<u8>>>>> {
        let name = self.bucket(bucket)?;
        for key in keys {
            if let Err(e) = self.policy.check(key, None) {
                return Ok(Err(e));
            }
        }
        Ok(self.backend.get_many(&name, keys).await.map_err(other))
    }
}

type KvOutcome<T> = Result<T, store::Error>;

impl store::Host for KvView<'_> {
    async fn open(&mut self, identifier: String) -> wasmtime::Result<KvOutcome<Resource<BucketRef>>> {
        match self.policy.bucket(&identifier) {
            Some(name) => Ok(Ok(self.table.push(BucketRef { name })?)),
            None => Ok(Err(store::Error::NoSuchStore)),
        }
    }
}

impl store::HostBucket for KvView<'_> {
    async fn get(&mut self, bucket: Resource<BucketRef>, key: String) -> wasmtime::Result<KvOutcome<Option<Vec<u8>>>> {
        metrics::kv(KvOp::Get);
        let name = self.bucket(&bucket)?;
        if let Err(e) = self.policy.check(&key, None) {
            return Ok(Err(e));
        }
        Ok(self.backend.get(&name, &key).await.map_err(other))
    }

    async fn set(
        &mut self,
        bucket: Resource<BucketRef>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<KvOutcome<()>> {
        metrics::kv(KvOp::Set);
        let name = self.bucket(&bucket)?;
        if let Err(e) = self.policy.check(&key, Some(&value)) {
            return Ok(Err(e));
        }
        Ok(self.backend.set(&name, &key, &value).await.map_err(other))
    }

    async fn delete(&mut self, bucket: Resource<BucketRef>, key: String) -> wasmtime::Result<KvOutcome<()>> {
        metrics::kv(KvOp::Delete);
        let name = self.bucket(&bucket)?;
        Ok(self.backend.delete(&name, &key).await.map_err(other))
    }

    async fn exists(&mut self, bucket: Resource<BucketRef>, key: String) -> wasmtime::Result<KvOutcome<bool>> {
        metrics::kv(KvOp::Exists);
        let name = self.bucket(&bucket)?;
        Ok(self.backend.exists(&name, &key).await.map_err(other))
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<BucketRef>,
        cursor: Option<String>,
    ) -> wasmtime::Result<KvOutcome<store::KeyResponse>> {
        metrics::kv(KvOp::ListKeys);
        let name = self.bucket(&bucket)?;
        // One key more than a page tells whether another page follows, without an empty last one.
        Ok(self.backend.keys(&name, cursor.as_deref(), PAGE + 1).await.map_err(other).map(|mut keys| {
            let cursor = (keys.len() > PAGE).then(|| {
                keys.truncate(PAGE);
                keys[PAGE - 1].clone()
            });
            store::KeyResponse { keys, cursor }
        }))
    }

    async fn drop(&mut self, bucket: Resource<BucketRef>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for KvView<'_> {
    async fn increment(
        &mut self,
        bucket: Resource<BucketRef>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<KvOutcome<i64>> {
        metrics::kv(KvOp::Increment);
        let name = self.bucket(&bucket)?;
        if let Err(e) = self.policy.check(&key, None) {
            return Ok(Err(e));
        }
        Ok(self.backend.increment(&name, &key, delta).await.map_err(other))
    }

    async fn swap(&mut self, cas: Resource<CasRef>, value: Vec<u8>) -> wasmtime::Result<Result<(), atomics::CasError>> {
        metrics::kv(KvOp::Swap);
        // The operation is consumed whatever happens.
        let op = self.table.delete(cas)?;
        if let Err(e) = self.policy.check(&op.key, Some(&value)) {
            return Ok(Err(atomics::CasError::StoreError(e)));
        }
        match self.backend.swap(&op.bucket, &op.key, op.expected.as_deref(), &value).await {
            Ok(Swap::Done) => Ok(Ok(())),
            // As the interface asks: a new operation, already at the latest value.
            Ok(Swap::Conflict(current)) => {
                let retry = self.table.push(CasRef { expected: current, ..op })?;
                Ok(Err(atomics::CasError::CasFailed(retry)))
            }
            Err(why) => Ok(Err(atomics::CasError::StoreError(other(why)))),
        }
    }
}

impl atomics::HostCas for KvView<'_> {
    async fn new(&mut self, bucket: Resource<BucketRef>, key: String) -> wasmtime::Result<KvOutcome<Resource<CasRef>>> {
        let name = self.bucket(&bucket)?;
        if let Err(e) = self.policy.check(&key, None) {
            return Ok(Err(e));
        }
        // The value the swap will expect is read now: `current` answers from it.
        match self.backend.get(&name, &key).await {
            Ok(expected) => Ok(Ok(self.table.push(CasRef { bucket: name, key, expected })?)),
            Err(why) => Ok(Err(other(why))),
        }
    }

    async fn current(&mut self, cas: Resource<CasRef>) -> wasmtime::Result<KvOutcome<Option<Vec<u8>>>> {
        Ok(Ok(self.table.get(&cas)?.expected.clone()))
    }

    async fn drop(&mut self, cas: Resource<CasRef>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl batch::Host for KvView<'_> {
    async fn get_many(
        &mut self,
        bucket: Resource<BucketRef>,
        keys: Vec<String>,
    ) -> wasmtime::Result<KvOutcome<Vec<Option<(String, Vec<u8>)>>>> {
        metrics::kv(KvOp::GetMany);
        Ok(self
            .values(&bucket, &keys)
            .await?
            .map(|values| keys.into_iter().zip(values).map(|(key, value)| value.map(|v| (key, v))).collect()))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<BucketRef>,
        pairs: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<KvOutcome<()>> {
        metrics::kv(KvOp::SetMany);
        let name = self.bucket(&bucket)?;
        for (key, value) in &pairs {
            if let Err(e) = self.policy.check(key, Some(value)) {
                return Ok(Err(e));
            }
        }
        Ok(self.backend.set_many(&name, &pairs).await.map_err(other))
    }

    async fn delete_many(&mut self, bucket: Resource<BucketRef>, keys: Vec<String>) -> wasmtime::Result<KvOutcome<()>> {
        metrics::kv(KvOp::DeleteMany);
        let name = self.bucket(&bucket)?;
        Ok(self.backend.delete_many(&name, &keys).await.map_err(other))
    }
}

/// The same `batch`, with `get-many` answering a `(key, option<value>)` per key.
impl batch_pr55::Host for KvView<'_> {
    async fn get_many(
        &mut self,
        bucket: Resource<BucketRef>,
        keys: Vec<String>,
    ) -> wasmtime::Result<KvOutcome<Vec<(String, Option<Vec<u8>>)>>> {
        metrics::kv(KvOp::GetMany);
        Ok(self.values(&bucket, &keys).await?.map(|values| keys.into_iter().zip(values).collect()))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<BucketRef>,
        pairs: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<KvOutcome<()>> {
        batch::Host::set_many(self, bucket, pairs).await
    }

    async fn delete_many(&mut self, bucket: Resource<BucketRef>, keys: Vec<String>) -> wasmtime::Result<KvOutcome<()>> {
        batch::Host::delete_many(self, bucket, keys).await
    }
}

struct Kv;

impl HasData for Kv {
    type Data<'a> = KvView<'a>;
}

/// Which shape of `batch.get-many` a linker offers (both are `wasi:keyvalue/batch@0.2.0-draft2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchShape {
    /// As wit/deps/keyvalue publishes it: `list<option<tuple<key, value>>>`.
    Published,
    /// As Spin ships it: `list<tuple<key, option<value>>>`.
    Spin,
}

/// Links `store`, `atomics` and `batch` in `shape`, served through `view`.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    shape: BatchShape,
    view: fn(&mut T) -> KvView<'_>,
) -> Result<()> {
    store::add_to_linker::<T, Kv>(linker, view)?;
    atomics::add_to_linker::<T, Kv>(linker, view)?;
    match shape {
        BatchShape::Published => batch::add_to_linker::<T, Kv>(linker, view)?,
        BatchShape::Spin => batch_pr55::add_to_linker::<T, Kv>(linker, view)?,
    }
    Ok(())
}
