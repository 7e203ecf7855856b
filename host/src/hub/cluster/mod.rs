//! wsh on several nodes, over Redis: the same app served by every node, as if by one.
//!
//! Only Redis is shared. A connection's id starts with its node's id, so reaching it needs no
//! lookup: a send to another node's connection is one script on that node's slot (is it
//! registered there? then publish to its inbox), a send to this node's touches no Redis. A room
//! has a channel that a node listens on while it has members of the room. Each node holds a
//! lease; a node whose lease lapses is lost, and the first survivor to notice takes over its
//! connections, once, and runs their `$disconnect`. While Redis is unreachable every node serves
//! what it can alone and cross-node calls fail at once; when it returns, nodes register again
//! by themselves. Delivery between nodes is at most once, as Redis pub/sub is.
//!
//! `protocol` is the pure part (messages, names); `scripts` the Lua; `inbox` what a node does
//! with what it hears; `liveness` leases, loss and recovery.

mod inbox;
mod liveness;
pub(crate) mod protocol;
pub(crate) mod scripts;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::{mpsc, oneshot};

pub(crate) use self::inbox::spawn as spawn_inbox;
pub(crate) use self::liveness::spawn as spawn_liveness;
use self::protocol::{Answer, Ask, Header, Names, encode};
use crate::hub::registry::SendLimits;
use crate::stats::{Stats, stats};

/// The longest any cross-node call waits: a call fails rather than hang.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(1500);

/// The command connection to Redis, and whether Redis answers: shared with the key-value store.
pub(crate) struct Link {
    pub cmd: ConnectionManager,
    up: AtomicBool,
    /// `redis://host:port`, without a password, for messages.
    pub server: String,
}

impl Link {
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Why a call that needs Redis cannot be made now.
    pub fn unavailable(&self) -> String {
        format!("the cluster's Redis at {} is unreachable", self.server)
    }

    /// Runs `call` on the command connection, failing at once while Redis is known to be down,
    /// and after [`CALL_TIMEOUT`] at worst.
    pub async fn call<T, F>(&self, call: impl FnOnce(ConnectionManager) -> F) -> Result<T, String>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        if !self.is_up() {
            return Err(self.unavailable());
        }
        let outcome = tokio::time::timeout(CALL_TIMEOUT, call(self.cmd.clone())).await;
        if !matches!(outcome, Ok(Ok(_))) {
            Stats::add(&stats().redis_errors);
        }
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() => {
                Err(format!("{}: {e}", self.unavailable()))
            }
            Ok(Err(e)) => Err(format!("the cluster's Redis at {} answered: {e}", self.server)),
            Err(_) => Err(format!("{} (no answer within {CALL_TIMEOUT:?})", self.unavailable())),
        }
    }
}

/// A connection of a lost node, taken over by this one: its `$disconnect` is this node's to run.
#[derive(Debug, Clone)]
pub(crate) struct Orphan {
    /// The connection's facts, as its node registered them (a `ConnectionContext` in JSON).
    pub context: String,
    pub id: String,
}

pub(crate) struct Cluster {
    /// This node's id: the first characters of every connection id it gives out.
    pub node: String,
    pub names: Names,
    pub link: Arc<Link>,
    /// Subscriptions: this node's inbox, the control channel, the rooms it has members of.
    sub: ConnectionManager,
    /// Nodes found lost: their connections are gone without asking Redis.
    lost: Mutex<HashSet<String>>,
    /// Questions to other nodes awaiting their answer, by request number.
    asks: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    next_ask: AtomicU64,
    /// Room channels this node listens on: the rooms it has members of.
    listening: tokio::sync::Mutex<HashSet<String>>,
    /// Where connections taken over from lost nodes go, for their `$disconnect`.
    orphans: mpsc::UnboundedSender<Orphan>,
}

/// `redis://host:port[/db]` as the user gave it, checked, with RESP3 asked for (pub/sub
/// messages then arrive on the same connections that reconnect by themselves).
fn client(url: &str) -> Result<(redis::Client, String)> {
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        bail!("--cluster takes a Redis URL, redis://HOST:PORT, not '{url}'");
    }
    let with_resp3 = match url.contains('?') {
        true if url.contains("protocol=") => url.to_string(),
        true => format!("{url}&protocol=resp3"),
        false => format!("{url}?protocol=resp3"),
    };
    let client = redis::Client::open(with_resp3).with_context(|| format!("--cluster {url}"))?;
    let info = client.get_connection_info();
    let server = format!("redis://{}", info.addr());
    Ok((client, server))
}

fn manager_config() -> ConnectionManagerConfig {
    // Left at their defaults, a call on a dead Redis hangs for seconds while retries back off:
    // fail fast instead, and let the health loop's pings bring the connection back.
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(500)))
        .set_response_timeout(Some(Duration::from_millis(1000)))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(200))
}

impl Cluster {
    /// Connects (lazily: Redis may be down, and the node serves anyway) and picks a node id.
    /// The returned receivers carry what the node hears, and its orphans.
    pub fn connect(
        url: &str,
        app: &str,
    ) -> Result<(Cluster, mpsc::UnboundedReceiver<redis::PushInfo>, mpsc::UnboundedReceiver<Orphan>)> {
        let (client, server) = client(url)?;
        let (pushes_tx, pushes) = mpsc::unbounded_channel();
        let cmd = ConnectionManager::new_lazy_with_config(client.clone(), manager_config())
            .with_context(|| format!("connecting to {server}"))?;
        let sub = ConnectionManager::new_lazy_with_config(client, manager_config().set_push_sender(pushes_tx))
            .with_context(|| format!("connecting to {server}"))?;
        let (orphans, orphans_rx) = mpsc::unbounded_channel();
        let node = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 3]>());
        let cluster = Cluster {
            node,
            names: Names::new(app),
            link: Arc::new(Link { cmd, up: AtomicBool::new(false), server }),
            sub,
            lost: Mutex::default(),
            asks: Mutex::default(),
            next_ask: AtomicU64::new(1),
            listening: tokio::sync::Mutex::default(),
            orphans,
        };
        Ok((cluster, pushes, orphans_rx))
    }

    /// A new connection's id: this node's id, then 72 random bits.
    pub fn connection_id(&self) -> String {
        let random = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 9]>());
        format!("{}{random}", self.node)
    }

    pub fn is_local(&self, id: &str) -> bool {
        protocol::owner(id) == Some(self.node.as_str())
    }

    pub fn is_lost(&self, node: &str) -> bool {
        self.lost.lock().unwrap_or_else(|e| e.into_inner()).contains(node)
    }

    fn mark_lost(&self, node: &str) {
        self.lost.lock().unwrap_or_else(|e| e.into_inner()).insert(node.to_string());
    }

    fn mark_back(&self, node: &str) {
        self.lost.lock().unwrap_or_else(|e| e.into_inner()).remove(node);
    }

    /// Hands `header` (and `payload`) to the node of connection `to`, if it is registered
    /// there: one round trip. `Ok(false)` when it is gone.
    pub async fn deliver(&self, to: &str, header: &Header, payload: &[u8]) -> Result<bool, String> {
        let owner = protocol::owner(to).unwrap_or_default();
        if self.is_lost(owner) {
            return Ok(false);
        }
        let (conns, inbox) = (self.names.connections(owner), self.names.inbox(owner));
        let message = encode(header, payload);
        let reached: i64 = self
            .link
            .call(|mut cmd| async move {
                scripts::SEND.key(conns).key(inbox).arg(to).arg(message).invoke_async(&mut cmd).await
            })
            .await?;
        match reached {
            -1 => Ok(false),
            0 => Err(format!("the node of connection {to} is not listening (lost, or reconnecting to Redis)")),
            _ => Ok(true),
        }
    }

    /// Asks the node of connection `to`, and waits for its answer.
    pub async fn ask(&self, to: &str, ask: Ask) -> Result<Answer, String> {
        let req = self.next_ask.fetch_add(1, Ordering::Relaxed);
        let (answer_tx, answer) = oneshot::channel();
        self.asks.lock().unwrap_or_else(|e| e.into_inner()).insert(req, answer_tx);
        let header = Header::Ask { req, from: self.node.clone(), ask };
        let result = match self.deliver(to, &header, b"").await {
            Ok(true) => match tokio::time::timeout(CALL_TIMEOUT, answer).await {
                Ok(Ok(answer)) => Ok(answer),
                _ => Err(format!("the node of connection {to} did not answer within {CALL_TIMEOUT:?}")),
            },
            Ok(false) => Ok(Answer::Gone),
            Err(why) => Err(why),
        };
        self.asks.lock().unwrap_or_else(|e| e.into_inner()).remove(&req);
        result
    }

    fn answered(&self, req: u64, answer: Answer) {
        if let Some(waiting) = self.asks.lock().unwrap_or_else(|e| e.into_inner()).remove(&req) {
            let _ = waiting.send(answer);
        }
    }

    /// Answers a question from node `from`.
    async fn answer(&self, from: &str, req: u64, answer: Answer) {
        let message = encode(&Header::Answer { req, answer }, b"");
        let inbox = self.names.inbox(from);
        let sent: Result<i64, String> = self
            .link
            .call(|mut cmd| async move { redis::cmd("PUBLISH").arg(inbox).arg(message).query_async(&mut cmd).await })
            .await;
        if let Err(why) = sent {
            tracing::debug!("cluster: could not answer node {from}: {why}");
        }
    }

    /// Records connection `id` (and what a `$disconnect` elsewhere would need of it) as this
    /// node's. Skipped while Redis is down: the node registers everything again when it returns.
    pub async fn register(&self, id: &str, context: &str) {
        let conns = self.names.connections(&self.node);
        let recorded: Result<(), String> = self
            .link
            .call(
                |mut cmd| async move { redis::cmd("HSET").arg(conns).arg(id).arg(context).query_async(&mut cmd).await },
            )
            .await;
        if let Err(why) = recorded {
            tracing::debug!(connection = %id, "cluster: not registered now ({why}); will be when Redis returns");
        }
    }

    /// Forgets connection `id` (it closed here), and takes it out of `rooms` everywhere.
    pub async fn unregister(&self, id: &str, rooms: &[String]) {
        let mut pipe = redis::pipe();
        pipe.hdel(self.names.connections(&self.node), id).ignore();
        pipe.hdel(self.names.memberships(&self.node), id).ignore();
        for room in rooms {
            pipe.zrem(self.names.room_members(room), id).ignore();
        }
        let _: Result<(), String> = self.link.call(|mut cmd| async move { pipe.query_async(&mut cmd).await }).await;
    }

    /// Records connection `id`'s membership in `room` (`joined`: added, else removed), and the
    /// rooms it is in now, all of them (none: it left them all).
    pub async fn membership(&self, id: &str, room: &str, joined: bool, rooms: &[String]) -> Result<(), String> {
        let members = self.names.room_members(room);
        let memberships = self.names.memberships(&self.node);
        let rooms = (!rooms.is_empty()).then(|| serde_json::to_string(rooms).expect("names serialize"));
        self.link
            .call(|mut cmd| async move {
                let mut pipe = redis::pipe();
                match joined {
                    true => pipe.zadd(members, id, 0).ignore(),
                    false => pipe.zrem(members, id).ignore(),
                };
                match rooms {
                    Some(rooms) => pipe.hset(memberships, id, rooms).ignore(),
                    None => pipe.hdel(memberships, id).ignore(),
                };
                pipe.query_async(&mut cmd).await
            })
            .await
    }

    /// Listens on `room`'s channel (this node has members of it now), or stops.
    pub async fn listen(&self, room: &str, on: bool) -> Result<(), String> {
        let channel = self.names.room_channel(room);
        let mut listening = self.listening.lock().await;
        if listening.contains(&channel) == on {
            return Ok(());
        }
        let mut sub = self.sub.clone();
        let done = match on {
            true => tokio::time::timeout(CALL_TIMEOUT, sub.subscribe(&channel)).await,
            false => tokio::time::timeout(CALL_TIMEOUT, sub.unsubscribe(&channel)).await,
        };
        // Wanted or not, the set is what the next resubscription restores.
        match on {
            true => listening.insert(channel),
            false => listening.remove(&channel),
        };
        match done {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("{}: {e}", self.link.unavailable())),
            Err(_) => Err(self.link.unavailable()),
        }
    }

    /// Publishes `frame` to `room`'s members on every other node; how many members the room has
    /// everywhere but `except`.
    pub async fn publish(
        &self,
        room: &str,
        except: &[String],
        payload: &[u8],
        binary: bool,
        limits: SendLimits,
    ) -> Result<u32, String> {
        let header = Header::Publish {
            room: room.to_string(),
            origin: self.node.clone(),
            except: except.to_vec(),
            binary,
            limits,
        };
        let message = encode(&header, payload);
        let (members, channel) = (self.names.room_members(room), self.names.room_channel(room));
        self.link
            .call(|mut cmd| async move {
                let mut invocation = scripts::PUBLISH.key(members);
                invocation.key(channel).arg(message);
                for id in except {
                    invocation.arg(id);
                }
                invocation.invoke_async(&mut cmd).await
            })
            .await
    }

    /// A page of `room`'s members everywhere, after `cursor`.
    pub async fn members(&self, room: &str, cursor: Option<&str>, limit: usize) -> Result<Vec<String>, String> {
        let key = self.names.room_members(room);
        let start = cursor.map_or_else(|| "-".to_string(), |c| format!("({c}"));
        self.link
            .call(|mut cmd| async move {
                redis::cmd("ZRANGE")
                    .arg(key)
                    .arg(start)
                    .arg("+")
                    .arg("BYLEX")
                    .arg("LIMIT")
                    .arg(0)
                    .arg(limit)
                    .query_async(&mut cmd)
                    .await
            })
            .await
    }
}
