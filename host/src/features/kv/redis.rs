//! The key-value store of a cluster: Redis, which every node shares. A bucket is one hash tag
//! (`{kv:bucket}`), so each call is one command or one script on one slot (Redis Cluster runs
//! it unchanged), and `increment` and compare-and-swap are atomic across nodes. A bucket keeps
//! an index of its keys (a sorted set), so that `list-keys` pages in key order with a stable
//! cursor, on Cluster too (where `SCAN` is per shard). While Redis is unreachable every call
//! fails at once with an error value saying so: no fallback that would break atomicity.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use redis::AsyncCommands;

use super::backend::{Backend, KvResult, Swap};
use crate::hub::cluster::protocol::Names;
use crate::hub::cluster::{Link, scripts};

pub(crate) struct RedisStore {
    link: Arc<Link>,
    names: Names,
}

impl RedisStore {
    pub fn new(link: Arc<Link>, names: Names) -> RedisStore {
        RedisStore { link, names }
    }
}

impl Backend for RedisStore {
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, KvResult<Option<Vec<u8>>>> {
        let k = self.names.kv_value(bucket, key);
        Box::pin(self.link.call(|mut cmd| async move { cmd.get(k).await }))
    }

    fn set<'a>(&'a self, bucket: &'a str, key: &'a str, value: &'a [u8]) -> BoxFuture<'a, KvResult<()>> {
        let (k, idx) = (self.names.kv_value(bucket, key), self.names.kv_index(bucket));
        Box::pin(async move {
            let _: i64 = self
                .link
                .call(|mut cmd| async move {
                    scripts::KV_SET.key(k).key(idx).arg(value).arg(key).invoke_async(&mut cmd).await
                })
                .await?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, KvResult<()>> {
        let (k, idx) = (self.names.kv_value(bucket, key), self.names.kv_index(bucket));
        Box::pin(async move {
            let _: i64 = self
                .link
                .call(|mut cmd| async move { scripts::KV_DELETE.key(k).key(idx).arg(key).invoke_async(&mut cmd).await })
                .await?;
            Ok(())
        })
    }

    fn exists<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, KvResult<bool>> {
        let k = self.names.kv_value(bucket, key);
        Box::pin(self.link.call(|mut cmd| async move { cmd.exists(k).await }))
    }

    fn keys<'a>(
        &'a self,
        bucket: &'a str,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, KvResult<Vec<String>>> {
        let idx = self.names.kv_index(bucket);
        let start = after.map_or_else(|| "-".to_string(), |k| format!("({k}"));
        Box::pin(self.link.call(move |mut cmd| async move {
            redis::cmd("ZRANGE")
                .arg(idx)
                .arg(start)
                .arg("+")
                .arg("BYLEX")
                .arg("LIMIT")
                .arg(0)
                .arg(limit)
                .query_async(&mut cmd)
                .await
        }))
    }

    fn increment<'a>(&'a self, bucket: &'a str, key: &'a str, delta: i64) -> BoxFuture<'a, KvResult<i64>> {
        let (k, idx) = (self.names.kv_value(bucket, key), self.names.kv_index(bucket));
        Box::pin(async move {
            self.link
                .call(|mut cmd| async move {
                    scripts::KV_INCREMENT.key(k).key(idx).arg(delta).arg(key).invoke_async(&mut cmd).await
                })
                .await
                .map_err(|why| match why.contains("not an integer") {
                    true => format!("cannot increment key '{key}': its value is not a decimal integer ({why})"),
                    false => why,
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
        let (k, idx) = (self.names.kv_value(bucket, key), self.names.kv_index(bucket));
        Box::pin(async move {
            let answer: Vec<redis::Value> = self
                .link
                .call(|mut cmd| async move {
                    scripts::KV_SWAP
                        .key(k)
                        .key(idx)
                        .arg(if expected.is_some() { "1" } else { "0" })
                        .arg(expected.unwrap_or_default())
                        .arg(value)
                        .arg(key)
                        .invoke_async(&mut cmd)
                        .await
                })
                .await?;
            // `{0, current}`; a nil current ends the Lua table early: `{0}` means absent.
            Ok(match answer.as_slice() {
                [redis::Value::Int(1)] => Swap::Done,
                [_, redis::Value::BulkString(current)] => Swap::Conflict(Some(current.clone())),
                _ => Swap::Conflict(None),
            })
        })
    }

    fn get_many<'a>(&'a self, bucket: &'a str, keys: &'a [String]) -> BoxFuture<'a, KvResult<Vec<Option<Vec<u8>>>>> {
        let ks: Vec<String> = keys.iter().map(|k| self.names.kv_value(bucket, k)).collect();
        Box::pin(async move {
            if ks.is_empty() {
                return Ok(Vec::new());
            }
            self.link.call(|mut cmd| async move { redis::cmd("MGET").arg(ks).query_async(&mut cmd).await }).await
        })
    }

    fn set_many<'a>(&'a self, bucket: &'a str, pairs: &'a [(String, Vec<u8>)]) -> BoxFuture<'a, KvResult<()>> {
        let idx = self.names.kv_index(bucket);
        let ks: Vec<String> = pairs.iter().map(|(k, _)| self.names.kv_value(bucket, k)).collect();
        Box::pin(async move {
            let _: i64 = self
                .link
                .call(|mut cmd| async move {
                    let mut invocation = scripts::KV_SET_MANY.key(idx);
                    invocation.key(ks);
                    for (key, _) in pairs {
                        invocation.arg(key);
                    }
                    for (_, value) in pairs {
                        invocation.arg(value);
                    }
                    invocation.invoke_async(&mut cmd).await
                })
                .await?;
            Ok(())
        })
    }

    fn delete_many<'a>(&'a self, bucket: &'a str, keys: &'a [String]) -> BoxFuture<'a, KvResult<()>> {
        let idx = self.names.kv_index(bucket);
        let ks: Vec<String> = keys.iter().map(|k| self.names.kv_value(bucket, k)).collect();
        Box::pin(async move {
            let _: i64 = self
                .link
                .call(|mut cmd| async move {
                    let mut invocation = scripts::KV_DELETE_MANY.key(idx);
                    invocation.key(ks).arg(keys);
                    invocation.invoke_async(&mut cmd).await
                })
                .await?;
            Ok(())
        })
    }
}
