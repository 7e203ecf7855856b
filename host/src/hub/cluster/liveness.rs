//! Leases, loss and recovery.
//!
//! - Health: both connections to Redis are pinged every half second; the first failure marks
//!   Redis down (logged once) and every cross-node call fails at once from then on; the first
//!   success after marks it up, and the node joins again: lease, registrations, subscriptions.
//! - Lease: each node renews a 5 s lease every second. A node whose lease lapsed is lost.
//! - Loss: every second each node looks at the others' leases; the first to find one lapsed
//!   takes the lost node's connections over (atomically: only one survivor gets them), removes
//!   them from their rooms, tells every node, and hands them to the gateway for `$disconnect`
//!   (1006). Within ~7 s of the kill: the lease, a tick, and the handlers.
//! - After a recovery nobody is declared lost for a lease's length: every node's lease lapsed
//!   while Redis was away, and each needs a moment to renew it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use redis::AsyncCommands;

use super::protocol::{Header, encode};
use super::{Cluster, Orphan, scripts};
use crate::hub::Hub;

const HEALTH_EVERY: Duration = Duration::from_millis(500);
const LEASE: Duration = Duration::from_secs(5);
const RENEW_EVERY: Duration = Duration::from_secs(1);

pub(crate) fn spawn(hub: Arc<Hub>) {
    tokio::spawn(async move {
        let mut down_since: Option<Instant> = Some(Instant::now());
        let mut first = true;
        let mut grace_until = Instant::now();
        let mut renewed = Instant::now() - RENEW_EVERY;
        loop {
            let Some(cluster) = hub.cluster() else { return };
            match health(cluster).await {
                Err(why) if down_since.is_none() || first => {
                    cluster.link.up.store(false, Ordering::Release);
                    tracing::warn!(
                        "cluster: Redis at {} unreachable ({why}); serving this node's connections alone, \
                         cross-node calls fail until it returns",
                        cluster.link.server
                    );
                    down_since = Some(Instant::now());
                    first = false;
                }
                Err(_) => {}
                Ok(()) if down_since.is_some() => {
                    cluster.link.up.store(true, Ordering::Release);
                    match rejoin(&hub, cluster).await {
                        Ok(report) => {
                            let after = down_since.take().map(|t| t.elapsed()).unwrap_or_default();
                            match first {
                                true => tracing::info!(
                                    "cluster: node {} joined through {}; {report}",
                                    cluster.node,
                                    cluster.link.server
                                ),
                                false => tracing::info!(
                                    "cluster: Redis at {} reachable again after {after:.1?}; {report}",
                                    cluster.link.server
                                ),
                            }
                            first = false;
                            grace_until = Instant::now() + LEASE + RENEW_EVERY;
                            renewed = Instant::now();
                        }
                        Err(why) => {
                            cluster.link.up.store(false, Ordering::Release);
                            tracing::debug!("cluster: joining again failed ({why}); retrying");
                        }
                    }
                }
                Ok(()) => {
                    if renewed.elapsed() >= RENEW_EVERY {
                        renewed = Instant::now();
                        renew(&hub, cluster).await;
                        if Instant::now() >= grace_until {
                            find_lost(&hub, cluster).await;
                        }
                    }
                }
            }
            tokio::time::sleep(HEALTH_EVERY).await;
        }
    });
}

/// Both connections answer a ping.
async fn health(cluster: &Cluster) -> Result<(), String> {
    let ping = |mut con: redis::aio::ConnectionManager| async move {
        match tokio::time::timeout(Duration::from_secs(1), redis::cmd("PING").query_async::<String>(&mut con)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("no answer to a ping within 1 s".to_string()),
        }
    };
    ping(cluster.link.cmd.clone()).await?;
    ping(cluster.sub.clone()).await
}

/// Takes the lease, registers every live connection and its rooms, listens again, and tells
/// the others this node is back. Connections another node took over while this one was away
/// are closed here without their `$disconnect`: it ran there.
async fn rejoin(hub: &Hub, cluster: &Cluster) -> Result<String, String> {
    let n = &cluster.names;
    let node = cluster.node.as_str();
    let mut cmd = cluster.link.cmd.clone();
    let fail = |e: redis::RedisError| e.to_string();
    let _: () = cmd
        .set_options(
            n.heartbeat(node),
            "1",
            redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(LEASE.as_millis() as u64)),
        )
        .await
        .map_err(fail)?;
    let taken: Vec<String> = cmd.hkeys(n.reaped(node)).await.map_err(fail)?;
    let mut handed = 0;
    for id in &taken {
        if hub.local().hand_over(id) {
            handed += 1;
        }
    }
    let records = hub.records();
    let mut pipe = redis::pipe();
    pipe.del(n.connections(node)).ignore().del(n.memberships(node)).ignore();
    for (id, record) in &records {
        pipe.hset(n.connections(node), id, record).ignore();
        let rooms = hub.local().rooms_of(id);
        for room in &rooms {
            pipe.zadd(n.room_members(room), id, 0).ignore();
        }
        pipe.hset(n.memberships(node), id, serde_json::to_string(&rooms).unwrap_or_default()).ignore();
    }
    pipe.sadd(n.nodes(), node).ignore();
    let _: () = pipe.query_async(&mut cmd).await.map_err(fail)?;
    let mut sub = cluster.sub.clone();
    sub.subscribe(&[n.inbox(node), n.control()]).await.map_err(fail)?;
    let channels: Vec<String> = cluster.listening.lock().await.iter().cloned().collect();
    for channel in &channels {
        sub.subscribe(channel).await.map_err(fail)?;
    }
    let back = encode(&Header::Back { node: node.to_string() }, b"");
    let _: i64 = cmd.publish(n.control(), back).await.map_err(fail)?;
    let mut report = format!("registered {} connection(s), listening on {} room(s)", records.len(), channels.len());
    if handed > 0 {
        report.push_str(&format!(
            "; {handed} connection(s) were taken over by another node while this one was away, and are closed"
        ));
    }
    Ok(report)
}

/// Renews the lease; a lease found lapsed means this node was taken for lost: join again.
async fn renew(hub: &Hub, cluster: &Cluster) {
    let hb = cluster.names.heartbeat(&cluster.node);
    let renewed: Result<i64, String> = cluster
        .link
        .call(
            |mut cmd| async move { scripts::RENEW.key(hb).arg(LEASE.as_millis() as u64).invoke_async(&mut cmd).await },
        )
        .await;
    if renewed == Ok(0) {
        tracing::warn!("cluster: this node's lease had lapsed (taken for lost); joining again");
        if let Err(why) = rejoin(hub, cluster).await {
            tracing::warn!("cluster: joining again failed: {why}");
        }
    }
}

/// Looks at every other node's lease, and takes over the connections of one that lapsed.
async fn find_lost(hub: &Hub, cluster: &Cluster) {
    let names = cluster.names.clone();
    let Ok(nodes): Result<Vec<String>, String> =
        cluster.link.call(|mut cmd| async move { cmd.smembers(names.nodes()).await }).await
    else {
        return;
    };
    for node in nodes.into_iter().filter(|n| *n != cluster.node) {
        let hb = cluster.names.heartbeat(&node);
        let alive: Result<bool, String> = cluster.link.call(|mut cmd| async move { cmd.exists(hb).await }).await;
        if alive == Ok(false) {
            reap(hub, cluster, &node).await;
        }
    }
}

/// Node `node` is lost: take its connections over (if no other node did first).
async fn reap(hub: &Hub, cluster: &Cluster, node: &str) {
    let n = &cluster.names;
    let keys =
        [n.heartbeat(node), n.connections(node), n.memberships(node), n.reaped(node), n.reaped_memberships(node)];
    let taken: Result<i64, String> = cluster
        .link
        .call(|mut cmd| async move {
            let mut invocation = scripts::REAP.prepare_invoke();
            for key in keys {
                invocation.key(key);
            }
            invocation.invoke_async(&mut cmd).await
        })
        .await;
    cluster.mark_lost(node);
    let (reaped, reaped_rooms, nodes, control) = (n.reaped(node), n.reaped_memberships(node), n.nodes(), n.control());
    let lost = encode(&Header::Lost { node: node.to_string() }, b"");
    let node_id = node.to_string();
    let _: Result<(), String> = cluster
        .link
        .call(|mut cmd| async move {
            redis::pipe().srem(nodes, node_id).ignore().publish(control, lost).ignore().query_async(&mut cmd).await
        })
        .await;
    if taken != Ok(1) {
        return;
    }
    let connections: Result<HashMap<String, String>, String> =
        cluster.link.call(|mut cmd| async move { cmd.hgetall(reaped).await }).await;
    let rooms: HashMap<String, String> =
        cluster.link.call(|mut cmd| async move { cmd.hgetall(reaped_rooms).await }).await.unwrap_or_default();
    let Ok(connections) = connections else { return };
    tracing::info!("cluster: node {node} is lost; taking over its {} connection(s)", connections.len());
    for (id, context) in connections {
        let joined: Vec<String> = rooms.get(&id).and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default();
        // Out of their rooms at once; the `$disconnect` still sees them (`rooms-of`).
        let mut pipe = redis::pipe();
        for room in &joined {
            pipe.zrem(n.room_members(room), &id).ignore();
        }
        let _: Result<(), String> = cluster.link.call(|mut cmd| async move { pipe.query_async(&mut cmd).await }).await;
        hub.adopt(&id, joined);
        let _ = cluster.orphans.send(Orphan { id, context });
    }
}
