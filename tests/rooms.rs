//! Rooms, end to end: the chat example's protocol in all three languages (frame for frame
//! alike), presence when a socket closes, publishing from outside (`POST /@rooms`), a member
//! that does not read, and a member that vanished without closing (found by pings).

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;

/// A scratch copy of a chat example: its own store, and `settings` added under `@wsh`.
fn chat_app(name: &str, example: &str, settings: &str) -> PathBuf {
    prebuild(example);
    let routes: Vec<(&str, PathBuf)> =
        [("ws/join", "join"), ("ws/say", "say"), ("ws/leave", "leave"), ("ws/disconnect", "$disconnect")]
            .into_iter()
            .map(|(dir, route)| (dir, built_component(example, route)))
            .collect();
    let manifest = format!("@app\n{name}\n@ws\njoin\nsay\nleave\n@wsh\n{settings}\n");
    scratch_app(name, &manifest, &routes)
}

/// The next text frame with each `"ts":<epoch ms>` written `"ts":0`, so that runs compare
/// byte for byte (keys stay in the order the handler wrote them).
async fn frame(ws: &mut Socket) -> String {
    let text = recv_text(ws).await;
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("\"ts\":") {
        let (head, tail) = rest.split_at(at + 5);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        assert!(tail[..digits].parse::<u64>().unwrap() > 1_700_000_000_000, "ts is epoch ms: {text}");
        out.push_str(head);
        out.push('0');
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

async fn say(ws: &mut Socket, action: Value) {
    send_json(ws, action).await;
}

/// The protocol, driven step by step; the frames every socket got, in order.
async fn conversation(example: &str) -> Vec<String> {
    let server = Server::start(&chat_app(&format!("chat-{example}"), example, "stage local"));
    let mut seen = Vec::new();
    let (mut ada, mut bob, mut eve) = (server.connect().await, server.connect().await, server.connect().await);

    say(&mut ada, json!({"action": "join", "room": "r1", "name": "ada"})).await;
    seen.push(format!("ada: {}", frame(&mut ada).await));
    say(&mut bob, json!({"action": "join", "room": "r1", "name": "bob"})).await;
    seen.push(format!("bob: {}", frame(&mut bob).await));
    seen.push(format!("ada: {}", frame(&mut ada).await));

    say(&mut ada, json!({"action": "say", "room": "r1", "text": "hi, ünïcode \"quoted\""})).await;
    seen.push(format!("ada: {}", frame(&mut ada).await));
    seen.push(format!("bob: {}", frame(&mut bob).await));

    // A name that is not a room is answered, and leaves nothing behind.
    say(&mut eve, json!({"action": "join", "room": "", "name": "eve"})).await;
    seen.push(format!("eve: {}", frame(&mut eve).await));

    // Not a member: only the sender hears about it.
    say(&mut eve, json!({"action": "say", "room": "r1", "text": "let me in"})).await;
    seen.push(format!("eve: {}", frame(&mut eve).await));

    say(&mut bob, json!({"action": "leave", "room": "r1"})).await;
    seen.push(format!("ada: {}", frame(&mut ada).await));

    // A newcomer gets the history; the messages since include only what r1's members said.
    say(&mut eve, json!({"action": "join", "room": "r1", "name": "eve"})).await;
    seen.push(format!("eve: {}", frame(&mut eve).await));
    seen.push(format!("ada: {}", frame(&mut ada).await));

    // Closing the socket is leaving.
    drop(ada);
    seen.push(format!("eve: {}", frame(&mut eve).await));

    // The history keeps the last 20 messages, oldest first.
    for n in 0..25 {
        say(&mut eve, json!({"action": "say", "room": "r1", "text": format!("m{n}")})).await;
        frame(&mut eve).await;
    }
    let mut late = server.connect().await;
    say(&mut late, json!({"action": "join", "room": "r1", "name": "late"})).await;
    let joined: Value = serde_json::from_str(&frame(&mut late).await).unwrap();
    let texts: Vec<&str> = joined["history"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    let expected: Vec<String> = (5..25).map(|n| format!("m{n}")).collect();
    assert_eq!(texts, expected, "{example}");
    assert_eq!(joined["members"], 2, "{example}");
    seen.push(format!("late: {joined}"));
    seen.push(format!("eve: {}", frame(&mut eve).await));

    // Nothing else arrived anywhere: bob left, and nobody heard eve's refused message.
    for (who, ws) in [("bob", &mut bob), ("eve", &mut eve)] {
        send_json(ws, json!({"action": "nope"})).await;
        let next: Value = recv_json(ws).await;
        assert_eq!(next["message"], "Forbidden", "{example}: {who} got something else first: {next}");
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_protocol_is_the_same_in_every_language() {
    let rust = conversation("chat").await;
    let expected = [
        r#"ada: {"history":[],"members":1,"room":"r1","type":"joined"}"#,
        r#"bob: {"history":[],"members":2,"room":"r1","type":"joined"}"#,
        r#"ada: {"event":"join","name":"bob","room":"r1","type":"presence"}"#,
        r#"ada: {"from":"ada","room":"r1","text":"hi, ünïcode \"quoted\"","ts":0,"type":"message"}"#,
        r#"bob: {"from":"ada","room":"r1","text":"hi, ünïcode \"quoted\"","ts":0,"type":"message"}"#,
        r#"eve: {"message":"invalid room \"\"","type":"error"}"#,
        r#"eve: {"message":"not in room r1","type":"error"}"#,
        r#"ada: {"event":"leave","name":"bob","room":"r1","type":"presence"}"#,
        r#"eve: {"history":[{"from":"ada","room":"r1","text":"hi, ünïcode \"quoted\"","ts":0,"type":"message"}],"members":2,"room":"r1","type":"joined"}"#,
        r#"ada: {"event":"join","name":"eve","room":"r1","type":"presence"}"#,
        r#"eve: {"event":"leave","name":"ada","room":"r1","type":"presence"}"#,
    ];
    assert_eq!(&rust[..expected.len()], expected);
    for twin in ["chat-js", "chat-py"] {
        assert_eq!(conversation(twin).await, rust, "{twin} answers frame for frame as the Rust chat");
    }
}

#[tokio::test]
async fn publishing_from_outside_reaches_every_member() {
    let server = Server::start(&chat_app("rooms-api", "chat", "stage local"));
    let mut members = Vec::new();
    for name in ["a", "b", "c"] {
        let mut ws = server.connect().await;
        send_json(&mut ws, json!({"action": "join", "room": "news", "name": name})).await;
        recv_json(&mut ws).await;
        members.push(ws);
    }
    for ws in &mut members[..2] {
        recv_json(ws).await; // the later joiners' presence
    }
    recv_json(&mut members[0]).await;
    let (status, _, body) = http(&server.addr, "POST", "/@rooms/news", br#"{"headline":"wsh has rooms"}"#).await;
    assert_eq!((status, body.as_str()), (200, r#"{"queued":3}"#));
    for ws in &mut members {
        assert_eq!(recv_text(ws).await, r#"{"headline":"wsh has rooms"}"#);
    }
    let (status, _, body) = http(&server.addr, "GET", "/@rooms/news", b"").await;
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(listed["members"].as_array().unwrap().len(), 3);
    assert_eq!(listed["cursor"], Value::Null);
    let (status, _, body) = http(&server.addr, "GET", "/@rooms/news?limit=2", b"").await;
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, page["members"].as_array().unwrap().len()), (200, 2));
    let cursor = page["cursor"].as_str().unwrap();
    let (_, _, rest) = http(&server.addr, "GET", &format!("/@rooms/news?limit=2&cursor={cursor}"), b"").await;
    assert_eq!(serde_json::from_str::<Value>(&rest).unwrap()["members"].as_array().unwrap().len(), 1);
    let (status, _, _) = http(&server.addr, "POST", "/@rooms/nobody-here", b"x").await;
    assert_eq!(status, 200, "an empty room is no error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_does_not_read_is_closed_and_never_delays_the_others() {
    let server = Server::start(&chat_app("rooms-slow", "chat", "outbound-queue 64"));
    let mut fast = server.connect().await;
    send_json(&mut fast, json!({"action": "join", "room": "r", "name": "fast"})).await;
    recv_json(&mut fast).await;
    // A member whose socket is never read again: its kernel buffers fill, then its queue.
    let mut slow = server.connect().await;
    send_json(&mut slow, json!({"action": "join", "room": "r", "name": "slow"})).await;
    recv_json(&mut slow).await;
    recv_json(&mut fast).await;
    let big = "x".repeat(60_000);
    let started = Instant::now();
    for n in 0..200 {
        let (status, _, _) = http(&server.addr, "POST", "/@rooms/r", format!("{n} {big}").as_bytes()).await;
        assert_eq!(status, 200);
        let got = recv_text(&mut fast).await;
        assert!(got.starts_with(&format!("{n} ")), "the reader gets every publish, in order");
    }
    let took = started.elapsed();
    server.wait_for_log("the slow member's close", REPLY_TIMEOUT, |l| l.contains("slow consumer")).await;
    println!("200 publishes of 60 KB with a member not reading: {took:?}");
    drop(slow);
}

#[tokio::test]
async fn a_client_frozen_without_closing_leaves_its_rooms_within_interval_plus_timeout() {
    let server = Server::start(&chat_app("rooms-stale", "chat", "ping-interval-s 1\nping-timeout-s 1"));
    let mut watcher = server.connect().await;
    send_json(&mut watcher, json!({"action": "join", "room": "r", "name": "watcher"})).await;
    recv_json(&mut watcher).await;
    let mut still = Command::new("python3")
        .arg(repo().join("tests/clients/still.py"))
        .arg(server.url())
        .arg(json!({"action": "join", "room": "r", "name": "sleeper"}).to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(recv_json(&mut watcher).await["event"], "join");
    // Alive and answering pings: still a member after several intervals. (The watcher answers
    // its own pings only while it reads, as a browser's socket does by itself.)
    let quiet = tokio::time::timeout(Duration::from_secs(3), recv(&mut watcher)).await;
    assert!(quiet.is_err(), "nothing to hear while both answer pings: {quiet:?}");
    let (_, _, members) = http(&server.addr, "GET", "/@rooms/r", b"").await;
    assert_eq!(serde_json::from_str::<Value>(&members).unwrap()["members"].as_array().unwrap().len(), 2);

    Command::new("kill").args(["-STOP", &still.id().to_string()]).status().unwrap();
    let frozen = Instant::now();
    let left = recv_json(&mut watcher).await;
    let after = frozen.elapsed();
    assert_eq!(left, json!({"event": "leave", "name": "sleeper", "room": "r", "type": "presence"}));
    println!("a frozen client left its room {after:?} after it froze (ping interval 1 s + timeout 1 s)");
    assert!(after < Duration::from_secs(10), "{after:?}");
    let (_, _, stats) = http(&server.addr, "GET", "/_wsh/stats", b"").await;
    assert_eq!(serde_json::from_str::<Value>(&stats).unwrap()["closed_ping_timeout"], 1);
    server.wait_for_log("the disconnect, with 1006", REPLY_TIMEOUT, |l| l.contains("code=1006")).await;
    let _ = Command::new("kill").args(["-KILL", &still.id().to_string()]).status();
    let _ = still.wait();
}

/// An app whose `$default` is the fan-out fixture, for the benchmarks.
fn fanout_app(name: &str) -> PathBuf {
    let settings =
        "connect-rate 1000000\nmax-connections 20000\nmessage-rate 1000000\nping-interval-s 3600\nkv-buckets members";
    let manifest = format!("@app\n{name}\n@ws\n@wsh\n{settings}\n");
    scratch_app(name, &manifest, &[("ws/default", fixture_component("fanout"))])
}

/// `n` members of room `bench`, each read by a task that counts what it receives and reports
/// when each frame arrived.
async fn members(
    server: &Server,
    n: usize,
) -> (std::sync::Arc<std::sync::atomic::AtomicU64>, tokio::sync::mpsc::UnboundedReceiver<Instant>) {
    use futures_util::StreamExt;
    let received = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (arrived_tx, arrived) = tokio::sync::mpsc::unbounded_channel();
    let url = server.url();
    let joins = futures_util::stream::iter(0..n)
        .map(|_| {
            let url = url.clone();
            async move {
                let mut ws = connect(&url).await;
                send_json(&mut ws, json!({"op": "join", "room": "bench"})).await;
                assert_eq!(recv_json(&mut ws).await["reached"], 1);
                ws
            }
        })
        .buffer_unordered(100)
        .collect::<Vec<_>>()
        .await;
    for mut ws in joins {
        let (received, arrived_tx) = (received.clone(), arrived_tx.clone());
        tokio::spawn(async move {
            while let Some(Ok(message)) = ws.next().await {
                if message.is_text() {
                    received.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let _ = arrived_tx.send(Instant::now());
                }
            }
        });
    }
    (received, arrived)
}

/// Benchmark (`make bench`): one publish to a room of 10,000 idle connections, until the last
/// member has it; beside the same fan-out done the API Gateway way (scan the table of ids,
/// `ws.send` to each) from a handler, in the same run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark; run with --ignored"]
async fn bench_publish_to_10k_members() {
    const N: usize = 10_000;
    let server = Server::start(&fanout_app("fanout-10k"));
    let (_, mut arrived) = members(&server, N).await;
    let mut publisher = server.connect().await;
    for op in ["publish", "scan"] {
        let mut rounds = Vec::new();
        for round in 0..std::env::var("WSH_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(5) {
            let started = Instant::now();
            send_json(&mut publisher, json!({"op": op, "room": "bench", "text": format!("{op} {round}")})).await;
            assert_eq!(recv_json(&mut publisher).await["reached"], N);
            let queued = started.elapsed();
            let mut last = started;
            for _ in 0..N {
                last = last.max(tokio::time::timeout(REPLY_TIMEOUT, arrived.recv()).await.unwrap().unwrap());
            }
            rounds.push((last - started, queued));
        }
        rounds.sort();
        let (median, queued) = rounds[rounds.len() / 2];
        println!(
            "{op}: to the last of {N} members, median {median:?} (all queued and answered after {queued:?}), worst {:?} ({} rounds)",
            rounds[rounds.len() - 1].0,
            rounds.len()
        );
    }
}

/// Benchmark (`make bench`): sustained fan-out, 1,000 members and 10 publishers publishing as
/// fast as their answers come, rooms against the API Gateway way, 10 s each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark; run with --ignored"]
async fn bench_sustained_fanout() {
    const MEMBERS: usize = 1000;
    let secs: u64 = std::env::var("WSH_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let server = Server::start(&fanout_app("fanout-sustained"));
    let (received, _arrived) = members(&server, MEMBERS).await;
    let mut rates = Vec::new();
    for op in ["publish", "scan"] {
        let before = received.load(std::sync::atomic::Ordering::Relaxed);
        let stop = Instant::now() + Duration::from_secs(secs);
        let publishers: Vec<_> = (0..10)
            .map(|p| {
                let url = server.url();
                tokio::spawn(async move {
                    let mut ws = connect(&url).await;
                    let mut n = 0u64;
                    while Instant::now() < stop {
                        send_json(&mut ws, json!({"op": op, "room": "bench", "text": format!("{p}:{n}")})).await;
                        recv_json(&mut ws).await;
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let mut publishes = 0;
        for p in publishers {
            publishes += p.await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let frames = received.load(std::sync::atomic::Ordering::Relaxed) - before;
        let rate = frames as f64 / secs as f64;
        println!(
            "{op}: {publishes} publishes, {frames} frames delivered to {MEMBERS} members in {secs} s: {rate:.0} frames/s"
        );
        rates.push(rate);
    }
    println!("rooms / API Gateway way: {:.1}x", rates[0] / rates[1]);
}
