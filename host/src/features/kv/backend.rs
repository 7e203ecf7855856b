//! What the key-value host functions need of a store. One implementation per engine: SQLite on
//! one machine (`sqlite`), Redis in a cluster. Errors are messages for `error::other`.

use futures_util::future::BoxFuture;

pub(crate) type KvResult<T> = Result<T, String>;

/// How a compare-and-swap ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Swap {
    Done,
    /// The value was not what the operation expected; this is what it is now.
    Conflict(Option<Vec<u8>>),
}

/// A bucket-namespaced store of byte values. Every method is atomic on its own; `increment` and
/// `swap` are atomic against every other writer, whichever node it runs on.
pub(crate) trait Backend: Send + Sync + 'static {
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, KvResult<Option<Vec<u8>>>>;
    fn set<'a>(&'a self, bucket: &'a str, key: &'a str, value: &'a [u8]) -> BoxFuture<'a, KvResult<()>>;
    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, KvResult<()>>;
    fn exists<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, KvResult<bool>>;
    /// Up to `limit` keys after `after` (all from the start when `None`), in key order.
    fn keys<'a>(
        &'a self,
        bucket: &'a str,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, KvResult<Vec<String>>>;
    /// Adds `delta` to the decimal integer stored at `key` (0 when absent); the new value.
    fn increment<'a>(&'a self, bucket: &'a str, key: &'a str, delta: i64) -> BoxFuture<'a, KvResult<i64>>;
    /// Sets `key` to `value` if it holds `expected` (`None`: if it is absent).
    fn swap<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        expected: Option<&'a [u8]>,
        value: &'a [u8],
    ) -> BoxFuture<'a, KvResult<Swap>>;
    fn get_many<'a>(&'a self, bucket: &'a str, keys: &'a [String]) -> BoxFuture<'a, KvResult<Vec<Option<Vec<u8>>>>>;
    fn set_many<'a>(&'a self, bucket: &'a str, pairs: &'a [(String, Vec<u8>)]) -> BoxFuture<'a, KvResult<()>>;
    fn delete_many<'a>(&'a self, bucket: &'a str, keys: &'a [String]) -> BoxFuture<'a, KvResult<()>>;
}

/// The new value of an `increment` over what a key held: decimal text, as Redis's `INCRBY`
/// keeps it, so that `get` reads a number and both engines agree.
pub(crate) fn add(current: Option<&[u8]>, delta: i64, key: &str) -> KvResult<i64> {
    let now = match current {
        None => 0,
        Some(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| t.trim().parse::<i64>().ok())
            .ok_or_else(|| format!("cannot increment key '{key}': its value is not a decimal integer"))?,
    };
    now.checked_add(delta).ok_or_else(|| format!("cannot increment key '{key}': {now} + {delta} overflows 64 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increments_decimal_text() {
        assert_eq!(add(None, 5, "k"), Ok(5));
        assert_eq!(add(Some(b"41"), 1, "k"), Ok(42));
        assert_eq!(add(Some(b"-3"), -4, "k"), Ok(-7));
        assert!(add(Some(b"\x01\x00"), 1, "k").unwrap_err().contains("not a decimal integer"));
        assert!(add(Some(b"9223372036854775807"), 1, "k").unwrap_err().contains("overflows"));
    }
}
