//! Several wsh nodes serving one app through one Redis, end to end: a real `redis-server` and
//! nginx (Debian's) on free ports, real nodes, real kills.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::services::{Nginx, Redis};
use support::*;

/// `n` nodes of the app at `manifest`, clustered through `redis`.
fn nodes(manifest: &Path, redis: &Redis, n: usize) -> Vec<Server> {
    let url = redis.url();
    (0..n).map(|_| Server::start_with(manifest, &["--cluster", &url, "--no-watch"], &[])).collect()
}

/// The node id a server printed at start.
fn node_id(server: &Server) -> String {
    let log = server.log();
    let line = log.lines().find(|l| l.starts_with("wsh: cluster node ")).expect("the node's id is printed");
    line.trim_start_matches("wsh: cluster node ").split_whitespace().next().unwrap().to_string()
}

/// Waits until every node has joined through Redis.
async fn joined(servers: &[Server]) {
    for server in servers {
        server.wait_for_log("joining the cluster", REPLY_TIMEOUT, |l| l.contains("cluster: node ")).await;
    }
}

/// A copy of the routes example's components, with its own manifest (and `settings`).
fn routes_app_with(name: &str, settings: &str) -> PathBuf {
    prebuild("routes");
    let routes: Vec<(&str, PathBuf)> =
        [("ws/whoami", "whoami"), ("ws/tell", "tell"), ("ws/disconnect", "$disconnect"), ("ws/ping", "ping")]
            .into_iter()
            .map(|(dir, route)| (dir, built_component("routes", route)))
            .collect();
    scratch_app(name, &format!("@app\n{name}\n@ws\nwhoami\ntell\nping\n@wsh\n{settings}\n"), &routes)
}

fn routes_app(name: &str) -> PathBuf {
    routes_app_with(name, "stage local")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_on_one_node_is_reached_from_another_by_handler_and_by_the_connections_api() {
    let redis = Redis::start("reach");
    let servers = nodes(&routes_app("cluster-reach"), &redis, 3);
    joined(&servers).await;
    let mut on1 = servers[0].connect().await;
    let mut on3 = servers[2].connect().await;
    let id3 = connection_id(&mut on3).await;
    assert!(id3.starts_with(&node_id(&servers[2])), "a connection id starts with its node's");

    // A handler on node 1 sends to a connection on node 3.
    send_json(&mut on1, json!({"action": "tell", "to": id3, "text": "from node 1"})).await;
    assert_eq!(recv_json(&mut on1).await["sent"], id3.as_str());
    assert_eq!(recv_json(&mut on3).await["text"], "from node 1");

    // The @connections API on node 2 reaches it too.
    let (status, _, _) = http(&servers[1].addr, "POST", &format!("/@connections/{id3}"), b"via node 2").await;
    assert_eq!(status, 200);
    assert_eq!(recv_text(&mut on3).await, "via node 2");
    let (status, _, body) = http(&servers[1].addr, "GET", &format!("/@connections/{id3}"), b"").await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["identity"]["sourceIp"], "127.0.0.1");

    // Gone is gone everywhere: a closed connection, an id no node gave out.
    let (status, _, _) = http(&servers[1].addr, "DELETE", &format!("/@connections/{id3}"), b"").await;
    assert_eq!(status, 204);
    assert_eq!(recv_close(&mut on3).await, Some(1000));
    servers[2]
        .wait_for_log("its disconnect", REPLY_TIMEOUT, |l| l.contains(&format!("disconnected {id3} code=1000")))
        .await;
    for id in [id3.clone(), "nobody-at-all-00".to_string()] {
        let (status, _, _) = http(&servers[0].addr, "POST", &format!("/@connections/{id}"), b"x").await;
        assert_eq!(status, 410, "{id}");
        send_json(&mut on1, json!({"action": "tell", "to": id, "text": "x"})).await;
        assert_eq!(recv_json(&mut on1).await["error"], "gone");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_room_spans_three_nodes() {
    prebuild("chat");
    let redis = Redis::start("chat");
    let servers = nodes(&example("chat"), &redis, 3);
    joined(&servers).await;
    let mut members = Vec::new();
    for (n, server) in servers.iter().enumerate() {
        let mut ws = server.connect().await;
        send_json(&mut ws, json!({"action": "join", "room": "spanning", "name": format!("n{n}")})).await;
        let joined = recv_json(&mut ws).await;
        assert_eq!(joined["members"], n + 1, "counted across nodes: {joined}");
        members.push(ws);
    }
    // Each earlier member hears each later one arrive.
    for (n, ws) in members.iter_mut().enumerate() {
        for later in n + 1..3 {
            assert_eq!(recv_json(ws).await["name"], format!("n{later}"));
        }
    }
    send_json(&mut members[1], json!({"action": "say", "room": "spanning", "text": "hello all"})).await;
    for ws in &mut members {
        let message = recv_json(ws).await;
        assert_eq!((message["from"].as_str(), message["text"].as_str()), (Some("n1"), Some("hello all")));
    }
    let (_, _, listed) = http(&servers[0].addr, "GET", "/@rooms/spanning", b"").await;
    assert_eq!(serde_json::from_str::<Value>(&listed).unwrap()["members"].as_array().unwrap().len(), 3);
    // Closing on node 3: the others, on nodes 1 and 2, hear it leave.
    drop(members.pop());
    for ws in &mut members {
        assert_eq!(
            recv_json(ws).await,
            json!({"event": "leave", "name": "n2", "room": "spanning", "type": "presence"})
        );
    }
    let (status, _, body) = http(&servers[2].addr, "POST", "/@rooms/spanning", b"from outside").await;
    assert_eq!((status, body.as_str()), (200, r#"{"queued":2}"#));
    for ws in &mut members {
        assert_eq!(recv_text(ws).await, "from outside");
    }
}

/// 3 nodes x 100 clients, each sending 100 messages through a handler to a client on another
/// node: every message arrives, each sender's in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cross_node_send_arrives_in_its_senders_order() {
    const CLIENTS: usize = 100;
    const SENDS: usize = 100;
    let redis = Redis::start("order");
    let servers = nodes(&routes_app("cluster-order"), &redis, 3);
    joined(&servers).await;
    let mut sockets = Vec::new();
    let mut ids = Vec::new();
    for i in 0..3 * CLIENTS {
        let mut ws = servers[i % 3].connect().await;
        ids.push(connection_id(&mut ws).await);
        sockets.push(ws);
    }
    // Client i tells client i+1 (on the next node) SENDS times; then reads what it was told.
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            let to = ids[(i + 1) % ids.len()].clone();
            let from = ids[(i + ids.len() - 1) % ids.len()].clone();
            tokio::spawn(async move {
                for n in 0..SENDS {
                    send_json(&mut ws, json!({"action": "tell", "to": to, "text": n.to_string()})).await;
                }
                let (mut acks, mut told) = (0, Vec::new());
                while acks < SENDS || told.len() < SENDS {
                    let message = recv_json(&mut ws).await;
                    match message.get("sent") {
                        Some(_) => acks += 1,
                        None => {
                            assert_eq!(message["from"], from.as_str());
                            told.push(message["text"].as_str().unwrap().parse::<usize>().unwrap());
                        }
                    }
                }
                told
            })
        })
        .collect();
    for task in tasks {
        let told = task.await.unwrap();
        assert_eq!(told, (0..SENDS).collect::<Vec<_>>(), "every message, in the order sent");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_incremented_from_every_node_are_exact() {
    prebuild("counter");
    let redis = Redis::start("counter");
    let routes: Vec<(&str, PathBuf)> = [("ws/visit", "visit"), ("ws/tally", "tally"), ("ws/default", "$default")]
        .into_iter()
        .map(|(dir, route)| (dir, built_component("counter", route)))
        .collect();
    let arc = std::fs::read_to_string(example("counter")).unwrap();
    let servers = nodes(&scratch_app("cluster-counter", &arc, &routes), &redis, 3);
    joined(&servers).await;
    let tasks: Vec<_> = (0..30)
        .map(|c| {
            let url = servers[c % 3].url();
            tokio::spawn(async move {
                let mut ws = connect(&url).await;
                for _ in 0..50 {
                    for action in ["visit", "tally"] {
                        send_json(&mut ws, json!({"action": action})).await;
                        recv_json(&mut ws).await;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for server in &servers {
        let mut ws = server.connect().await;
        send_json(&mut ws, json!({"action": "read"})).await;
        assert_eq!(
            recv_json(&mut ws).await,
            json!({"tally": 1500, "visits": 1500}),
            "the same exact count on every node"
        );
    }
}

/// Node 2 is killed (SIGKILL). Its clients' sockets drop and they reconnect through the
/// balancer to the others; within 10 s every node answers 410 for its connections, they have
/// left their rooms, and each one's `$disconnect` ran once, on a survivor, with 1006.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_node_is_found_out_and_its_connections_disconnected_once_elsewhere() {
    prebuild("chat");
    let redis = Redis::start("lost");
    let mut servers = nodes(&example("chat"), &redis, 3);
    joined(&servers).await;
    let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
    let nginx = Nginx::start("lost", &addrs.iter().map(String::as_str).collect::<Vec<_>>());
    let doomed = node_id(&servers[1]);

    // Clients through the balancer, all in one room; who is where is the balancer's choice.
    let mut clients = Vec::new();
    for n in 0..12 {
        let mut ws = connect(&nginx.url()).await;
        send_json(&mut ws, json!({"action": "join", "room": "r", "name": format!("c{n}")})).await;
        recv_json(&mut ws).await;
        clients.push(ws);
    }
    let (_, _, listed) = http(&addrs[0], "GET", "/@rooms/r", b"").await;
    let members: Vec<String> = serde_json::from_str::<Value>(&listed).unwrap()["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    let on_doomed: Vec<&String> = members.iter().filter(|id| id.starts_with(&doomed)).collect();
    assert_eq!(members.len(), 12);
    assert!(!on_doomed.is_empty(), "the balancer put some clients on node 2: {members:?}");

    let killed = Instant::now();
    servers.remove(1).kill();

    // The doomed node's clients see their sockets drop, and reconnect through the balancer.
    let survivors: Vec<String> = servers.iter().map(node_id).collect();
    let mut again = Vec::new();
    for n in 0..on_doomed.len() {
        let mut ws = connect(&nginx.url()).await;
        send_json(&mut ws, json!({"action": "join", "room": "back", "name": format!("again{n}")})).await;
        recv_json(&mut ws).await;
        again.push(ws);
    }
    let (_, _, listed) = http(&addrs[0], "GET", "/@rooms/back", b"").await;
    let back = serde_json::from_str::<Value>(&listed).unwrap()["members"].clone();
    let back: Vec<&str> = back.as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(back.len(), on_doomed.len());
    assert!(back.iter().all(|id| survivors.iter().any(|s| id.starts_with(s.as_str()))), "all on survivors: {back:?}");

    // Within 10 s: gone everywhere, out of the room, one `$disconnect` each, 1006.
    loop {
        let mut done = true;
        for id in &on_doomed {
            for addr in [&addrs[0], &addrs[2]] {
                let (status, _, _) = http(addr, "GET", &format!("/@connections/{id}"), b"").await;
                done &= status == 410;
            }
        }
        let (_, _, listed) = http(&addrs[2], "GET", "/@rooms/r", b"").await;
        done &= serde_json::from_str::<Value>(&listed).unwrap()["members"].as_array().unwrap().len()
            == 12 - on_doomed.len();
        if done {
            break;
        }
        assert!(killed.elapsed() < Duration::from_secs(10), "not settled within 10 s of the kill");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let settled = killed.elapsed();
    // Every surviving member heard each lost member leave, once ($disconnect ran once each).
    // (Read without closing: a dropped socket would be another member leaving.)
    let mut survivors_heard = Vec::new();
    for ws in clients.iter_mut() {
        let mut leaves = Vec::new();
        let mut dropped = false;
        loop {
            match tokio::time::timeout(Duration::from_secs(1), futures_util::StreamExt::next(ws)).await {
                Ok(Some(Ok(message))) if message.is_text() => {
                    let frame: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
                    if frame["event"] == "leave" {
                        leaves.push(frame["name"].as_str().unwrap().to_string());
                    }
                }
                Ok(Some(Ok(_))) => {}
                Ok(_) => {
                    dropped = true;
                    break;
                }
                Err(_) => break,
            }
        }
        if !dropped {
            survivors_heard.push(leaves);
        }
    }
    assert_eq!(survivors_heard.len(), 12 - on_doomed.len());
    for leaves in &survivors_heard {
        let mut distinct = leaves.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!((leaves.len(), distinct.len()), (on_doomed.len(), on_doomed.len()), "{leaves:?}");
    }
    let logs: String = servers.iter().map(|s| s.log()).collect();
    assert_eq!(logs.matches("taking over its").count(), 1, "one survivor took the lost node's connections:\n{logs}");
    assert_eq!(logs.matches("$disconnect (1006, node lost)").count(), on_doomed.len(), "{logs}");
    println!("node lost: settled {settled:?} after the kill; {} connection(s) taken over", on_doomed.len());
}

/// Redis is killed under load and started again: each node keeps serving its own connections,
/// cross-node calls fail at once with a clear error (logged once), and everything comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_redis_keeps_local_traffic_and_cross_node_calls_come_back() {
    let mut redis = Redis::start("outage");
    let servers = nodes(&routes_app("cluster-outage"), &redis, 2);
    joined(&servers).await;
    let mut a = servers[0].connect().await;
    let mut a2 = servers[0].connect().await;
    let mut b = servers[1].connect().await;
    let (a2_id, b_id) = (connection_id(&mut a2).await, connection_id(&mut b).await);

    redis.kill();
    for server in &servers {
        server.wait_for_log("the outage, noticed", REPLY_TIMEOUT, |l| l.contains("unreachable")).await;
    }
    for n in 0..20 {
        // Local traffic goes on: a two-way route, and a same-node send.
        send_json(&mut a, json!({"action": "ping", "n": n})).await;
        assert_eq!(recv_json(&mut a).await, json!({"pong": n}));
        send_json(&mut a, json!({"action": "tell", "to": a2_id, "text": "same node"})).await;
        assert_eq!(recv_json(&mut a).await["sent"], a2_id.as_str());
        assert_eq!(recv_json(&mut a2).await["text"], "same node");
    }
    // Cross-node fails fast, with an error that says why.
    let started = Instant::now();
    let (status, _, body) = http(&servers[0].addr, "POST", &format!("/@connections/{b_id}"), b"x").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("unreachable"), "{body}");
    send_json(&mut a, json!({"action": "tell", "to": b_id, "text": "x"})).await;
    let answer = recv_json(&mut a).await;
    assert!(started.elapsed() < Duration::from_secs(2), "no hang: {:?}", started.elapsed());
    assert_eq!(answer["error"], "unavailable", "{answer}");
    let log = servers[0].log();
    assert_eq!(log.matches("serving this node's connections alone").count(), 1, "said once:\n{log}");

    // Redis returns (empty): the nodes register again by themselves, and cross-node works.
    redis.restart();
    for server in &servers {
        server.wait_for_log("the recovery", Duration::from_secs(20), |l| l.contains("reachable again")).await;
    }
    send_json(&mut a, json!({"action": "tell", "to": b_id, "text": "back"})).await;
    assert_eq!(recv_json(&mut a).await["sent"], b_id.as_str());
    assert_eq!(recv_json(&mut b).await["text"], "back");
    let (status, _, _) = http(&servers[1].addr, "POST", &format!("/@connections/{a2_id}"), b"back too").await;
    assert_eq!(status, 200);
    assert_eq!(recv_text(&mut a2).await, "back too");
}

/// Redis's count of the commands it ran: all of them (a script's own commands included), and
/// the scripts alone (each one round trip from wsh).
fn redis_commands(redis: &Redis) -> (u64, u64) {
    let stats = redis.cli(&["INFO", "commandstats"]);
    let calls = |l: &str| l.split("calls=").nth(1)?.split(',').next()?.parse::<u64>().ok();
    let all = stats.lines().filter_map(calls).sum();
    let scripts = stats
        .lines()
        .filter(|l| l.starts_with("cmdstat_evalsha:") || l.starts_with("cmdstat_eval:"))
        .filter_map(calls)
        .sum();
    (all, scripts)
}

/// Seconds of CPU Redis has used, user and system.
fn redis_cpu(redis: &Redis) -> f64 {
    let info = redis.cli(&["INFO", "cpu"]);
    let field = |name: &str| -> f64 {
        info.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')?.trim().parse().ok()).unwrap_or(0.0)
    };
    field("used_cpu_user") + field("used_cpu_sys")
}

/// Benchmark (`make bench`): a send from a client on node 1 to a client on the same node and
/// to one on node 2, through the routes example's `tell` handler, in the same run: latency one
/// at a time (p50 / p99), throughput with 20 senders, and Redis commands per message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark; run with --ignored"]
async fn bench_cross_node_against_same_node_sends() {
    let secs: u64 = std::env::var("WSH_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let redis = Redis::start("bench");
    let servers = nodes(&routes_app_with("cluster-bench", "message-rate 1000000"), &redis, 2);
    joined(&servers).await;
    for (label, node) in [("same node", 0), ("cross node", 1)] {
        let mut sender = servers[0].connect().await;
        let mut receiver = servers[node].connect().await;
        let to = connection_id(&mut receiver).await;
        let mut samples = Vec::new();
        let before = redis_commands(&redis);
        for n in 0..2000 {
            let started = Instant::now();
            send_json(&mut sender, json!({"action": "tell", "to": to, "text": n.to_string()})).await;
            recv_json(&mut receiver).await;
            samples.push(started.elapsed());
            recv_json(&mut sender).await;
        }
        let after = redis_commands(&redis);
        let (commands, trips) = ((after.0 - before.0) as f64 / 2000.0, (after.1 - before.1) as f64 / 2000.0);
        samples.sort();
        let (p50, p99) = (samples[1000], samples[1980]);

        // Throughput: 20 senders on node 1, each to its own receiver on the node under test.
        let mut pairs = Vec::new();
        for _ in 0..20 {
            let sender = servers[0].connect().await;
            let mut receiver = servers[node].connect().await;
            let id = connection_id(&mut receiver).await;
            pairs.push((sender, receiver, id));
        }
        let stop = Instant::now() + Duration::from_secs(secs);
        let tasks: Vec<_> = pairs
            .into_iter()
            .map(|(mut sender, mut receiver, to)| {
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while Instant::now() < stop {
                        send_json(&mut sender, json!({"action": "tell", "to": to, "text": "x"})).await;
                        recv_json(&mut receiver).await;
                        recv_json(&mut sender).await;
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let cpu_before = redis_cpu(&redis);
        let mut total = 0;
        for task in tasks {
            total += task.await.unwrap();
        }
        let redis_us = (redis_cpu(&redis) - cpu_before) * 1e6 / total.max(1) as f64;
        println!(
            "{label}: p50 {p50:?}, p99 {p99:?} one at a time; {:.0} msg/s with 20 senders; per message, {trips:.2} round trip(s) to Redis, {commands:.2} commands run there, {redis_us:.1} µs of Redis CPU",
            total as f64 / secs as f64
        );
    }
}
