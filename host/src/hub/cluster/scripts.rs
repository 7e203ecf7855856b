//! The Lua scripts of the cluster: every check-then-act is one script, atomic in Redis, its
//! keys in one hash-tag slot (so it runs on Redis Cluster too). Connections to Redis are shared
//! and multiplexed, so `WATCH`/`MULTI` is not an option.

use std::sync::LazyLock;

use redis::Script;

/// Hands a message to a connection's node if the connection is registered there: one round
/// trip for the check and the delivery. KEYS: conns, inbox. ARGV: id, message.
/// Answers -1 (gone), 0 (its node is not listening: lost or reconnecting), or the listeners.
pub static SEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
          return redis.call('PUBLISH', KEYS[2], ARGV[2])",
    )
});

/// Renews this node's lease, if it still holds one. KEYS: hb. ARGV: ttl ms.
/// Answers 1, or 0 when the lease was lost (the node was taken for dead and must rejoin).
pub static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
          redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
          return 1",
    )
});

/// Takes over a lost node's connections, once: the first survivor to run it renames them away
/// (and their memberships), so no other one gets them. KEYS: hb, conns, memberships, reaped,
/// reaped memberships. Answers 1 to the survivor that took them, 0 to the others (or when the
/// node is alive after all).
pub static REAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
          if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
          redis.call('RENAME', KEYS[2], KEYS[4])
          redis.call('EXPIRE', KEYS[4], 86400)
          if redis.call('EXISTS', KEYS[3]) == 1 then
            redis.call('RENAME', KEYS[3], KEYS[5])
            redis.call('EXPIRE', KEYS[5], 86400)
          end
          return 1",
    )
});

/// A room publish: the members everywhere but the excepted, and the fan-out to the nodes that
/// have some. KEYS: members, channel. ARGV: message, then the excepted ids.
/// Answers the members it is meant for.
pub static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local n = redis.call('ZCARD', KEYS[1])
          for i = 2, #ARGV do
            if redis.call('ZSCORE', KEYS[1], ARGV[i]) then n = n - 1 end
          end
          redis.call('PUBLISH', KEYS[2], ARGV[1])
          return n",
    )
});

/// Key-value `set`, with the bucket's key index. KEYS: value, index. ARGV: value, key.
pub static KV_SET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"redis.call('SET', KEYS[1], ARGV[1])
          redis.call('ZADD', KEYS[2], 0, ARGV[2])
          return 1",
    )
});

/// Key-value `delete`. KEYS: value, index. ARGV: key.
pub static KV_DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"redis.call('DEL', KEYS[1])
          redis.call('ZREM', KEYS[2], ARGV[1])
          return 1",
    )
});

/// Key-value `increment`: decimal text, as the SQLite store keeps it. KEYS: value, index.
/// ARGV: delta, key. A value that is not an integer is Redis's error, unchanged.
pub static KV_INCREMENT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local n = redis.call('INCRBY', KEYS[1], ARGV[1])
          redis.call('ZADD', KEYS[2], 0, ARGV[2])
          return n",
    )
});

/// Key-value compare-and-swap. KEYS: value, index. ARGV: '1' if a value is expected (else
/// absence is), the expected value, the new value, the key.
/// Answers {1} when swapped, {0, current} when the value was something else.
pub static KV_SWAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local cur = redis.call('GET', KEYS[1])
          local same = (cur == false and ARGV[1] == '0') or (cur ~= false and ARGV[1] == '1' and cur == ARGV[2])
          if not same then return {0, cur} end
          redis.call('SET', KEYS[1], ARGV[3])
          redis.call('ZADD', KEYS[2], 0, ARGV[4])
          return {1}",
    )
});

/// Key-value `set-many`. KEYS: index, then each value key. ARGV: each key, then each value.
pub static KV_SET_MANY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local n = #KEYS - 1
          for i = 1, n do
            redis.call('SET', KEYS[i + 1], ARGV[n + i])
            redis.call('ZADD', KEYS[1], 0, ARGV[i])
          end
          return n",
    )
});

/// Key-value `delete-many`. KEYS: index, then each value key. ARGV: each key.
pub static KV_DELETE_MANY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"for i = 2, #KEYS do
            redis.call('DEL', KEYS[i])
            redis.call('ZREM', KEYS[1], ARGV[i - 1])
          end
          return #KEYS - 1",
    )
});
