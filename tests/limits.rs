//! Limits, end to end: each one closes or refuses with API Gateway's code, runs `$disconnect`
//! where a connection was accepted, and is counted.

mod support;

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::json;
use support::*;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// The routes example's handlers under other limits.
fn limited_app(name: &str, settings: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("app.arc"), format!("@app\n{name}\n@ws\nping\ntell\nwhoami\n@wsh\n{settings}\n")).unwrap();
    for route in ["disconnect", "default", "ping", "tell", "whoami"] {
        let key = if ["disconnect", "default"].contains(&route) { format!("${route}") } else { route.to_string() };
        std::fs::create_dir_all(dir.join("src/ws").join(route)).unwrap();
        std::fs::copy(built_component("routes", &key), dir.join("src/ws").join(route).join("h.wasm")).unwrap();
    }
    dir.join("app.arc")
}

async fn stats(server: &Server) -> serde_json::Value {
    let (status, _, body) = http(&server.addr, "GET", "/_wsh/stats", b"").await;
    assert_eq!(status, 200);
    serde_json::from_str(&body).unwrap()
}

async fn expect_disconnect(server: &Server, id: &str, code: u16) {
    let needle = format!("disconnected {id} code={code}");
    server.wait_for_log("disconnect", REPLY_TIMEOUT, |l| l.contains(&needle)).await;
}

#[tokio::test]
async fn oversize_messages_close_with_1009() {
    let server = Server::start(&limited_app("too-big", "max-message-kb 4\nmax-frame-kb 2"));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    send(&mut ws, &"x".repeat(3000)).await; // one frame over max-frame-kb
    assert_eq!(recv_close(&mut ws).await, Some(1009));
    expect_disconnect(&server, &id, 1009).await;
    assert_eq!(stats(&server).await["closed_too_big"], 1);
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007_and_protocol_errors_with_1002() {
    let server = Server::start(&limited_app("bad-frames", ""));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    let frame = Frame::message(vec![0xff, 0xfe, 0x41], OpCode::Data(Data::Text), true);
    ws.send(Message::Frame(frame)).await.unwrap();
    assert_eq!(recv_close(&mut ws).await, Some(1007));
    expect_disconnect(&server, &id, 1007).await;

    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    // A continuation frame with no message to continue.
    ws.send(Message::Frame(Frame::message(b"x".to_vec(), OpCode::Data(Data::Continue), true))).await.unwrap();
    assert_eq!(recv_close(&mut ws).await, Some(1002));
    expect_disconnect(&server, &id, 1002).await;
    let s = stats(&server).await;
    assert_eq!((s["closed_invalid_utf8"].as_u64(), s["closed_protocol_error"].as_u64()), (Some(1), Some(1)));
}

#[tokio::test]
async fn idle_and_old_connections_are_closed_with_1001() {
    let server = Server::start(&limited_app("idle", "idle-timeout-s 1\nmax-lifetime-s 3"));
    let mut idle = server.connect().await;
    let idle_id = connection_id(&mut idle).await;
    assert_eq!(recv_close(&mut idle).await, Some(1001));
    expect_disconnect(&server, &idle_id, 1001).await;
    assert!(server.log().contains("idle timeout"));

    // Kept busy, it is still closed at its maximum age.
    let mut busy = server.connect().await;
    let busy_id = connection_id(&mut busy).await;
    let closed = loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if busy.send(Message::text(json!({"action": "ping", "n": 0}).to_string())).await.is_err() {
            break None;
        }
        match recv(&mut busy).await {
            Message::Close(frame) => break frame.map(|f| u16::from(f.code)),
            _ => continue,
        }
    };
    assert_eq!(closed, Some(1001));
    expect_disconnect(&server, &busy_id, 1001).await;
    let s = stats(&server).await;
    assert_eq!((s["closed_idle"].as_u64(), s["closed_lifetime"].as_u64()), (Some(1), Some(1)));
}

#[tokio::test]
async fn max_connections_refuses_with_503() {
    let server = Server::start(&limited_app("full", "max-connections 2"));
    let mut a = server.connect().await;
    let _b = server.connect().await;
    assert_eq!(refused_status(&server.url()).await, 503);
    let a_id = connection_id(&mut a).await;
    a.close(None).await.unwrap();
    expect_disconnect(&server, &a_id, 1005).await;
    let _c = server.connect().await; // room again
    assert_eq!(stats(&server).await["connections_refused_full"], 1);
}

#[tokio::test]
async fn connect_rate_refuses_with_429() {
    let server = Server::start(&limited_app("rate", "connect-rate 3"));
    let mut statuses = Vec::new();
    let mut open = Vec::new();
    for _ in 0..6 {
        match tokio_tungstenite::connect_async(server.url()).await {
            Ok((ws, _)) => open.push(ws),
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => statuses.push(r.status().as_u16()),
            Err(e) => panic!("{e}"),
        }
    }
    assert!(open.len() >= 3 && statuses.iter().all(|s| *s == 429) && !statuses.is_empty(), "{statuses:?}");
}

#[tokio::test]
async fn message_rate_refuses_out_loud_and_loses_nothing_silently() {
    let server = Server::start(&limited_app("msg-rate", "message-rate 5"));
    let mut ws = server.connect().await;
    for n in 0..20 {
        send_json(&mut ws, json!({"action": "ping", "n": n})).await;
    }
    let (mut answered, mut refused) = (0, 0);
    for _ in 0..20 {
        let reply = recv_json(&mut ws).await;
        if reply["message"] == "Too Many Requests" {
            refused += 1;
        } else {
            assert!(reply["pong"].is_number(), "{reply}");
            answered += 1;
        }
    }
    assert!(answered >= 5 && refused >= 1 && answered + refused == 20, "{answered} answered, {refused} refused");
    assert_eq!(stats(&server).await["messages_throttled"], refused);
}

#[tokio::test]
async fn a_client_that_does_not_read_is_closed_with_1008() {
    let server = Server::start(&limited_app("slow", "outbound-queue 16"));
    let mut ws = server.connect().await;
    let id = connection_id(&mut ws).await;
    // 40,000 pushes of 8 KiB to ourselves, and never a read: far beyond the socket buffers.
    send_json(&mut ws, json!({"action": "tell", "to": id, "text": "x".repeat(8192), "times": 40_000})).await;
    expect_disconnect(&server, &id, 1008).await;
    assert!(server.log().contains("slow consumer"), "{}", server.log());
    assert_eq!(stats(&server).await["closed_slow_consumer"], 1);
}

#[tokio::test]
async fn origins_outside_allowed_origins_are_refused_with_403() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let server = Server::start(&limited_app("origins", "allowed-origins http://good.example"));
    let with_origin = |origin: &str| {
        let mut request = server.url().into_client_request().unwrap();
        request.headers_mut().insert("origin", origin.parse().unwrap());
        request
    };
    match tokio_tungstenite::connect_async(with_origin("http://evil.example")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 403),
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(with_origin("http://good.example")).await.unwrap();
    // The connect event carries the Origin header, for handlers that decide for themselves.
    send_json(&mut ws, json!({"action": "ping", "n": 1})).await;
    assert_eq!(recv_json(&mut ws).await, json!({"pong": 1}));
    let _no_origin = server.connect().await; // not a browser: allowed
}

/// Benchmark (run by `make bench`): 19,500 idle connections (the test process, like the server,
/// may open 20,000 files here); memory per connection, and every one still answering after a
/// while.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark; run with --ignored"]
async fn bench_idle_connections() {
    const N: usize = 19_500;
    let server = Server::start(&limited_app("idle-many", "connect-rate 1000000\nmax-connections 20000"));
    // One connection first, so that the handlers' first instances and pools are counted out.
    let mut first = server.connect().await;
    send_json(&mut first, json!({"action": "ping", "n": 0})).await;
    recv_json(&mut first).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server.rss_kib();
    let started = std::time::Instant::now();
    let mut sockets = Vec::with_capacity(N);
    for _ in 0..N {
        sockets.push(server.connect().await);
    }
    let opened = started.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = server.rss_kib();
    tokio::time::sleep(Duration::from_secs(20)).await;
    let started = std::time::Instant::now();
    for (n, ws) in sockets.iter_mut().enumerate() {
        send_json(ws, json!({"action": "ping", "n": n})).await;
    }
    for (n, ws) in sockets.iter_mut().enumerate() {
        assert_eq!(recv_json(ws).await, json!({"pong": n}), "connection {n} did not answer");
    }
    let pinged = started.elapsed();
    let s = stats(&server).await;
    println!(
        "{N} idle connections: opened in {:.1} s; server RSS {} -> {} MiB, {:.1} KiB per connection; \
         after 25 s all {N} answered a ping ({:.1} s for the round); accepted {}, closed by limits {}",
        opened.as_secs_f64(),
        before / 1024,
        after / 1024,
        (after - before) as f64 / N as f64,
        pinged.as_secs_f64(),
        s["connections_accepted"],
        s["closed_idle"].as_u64().unwrap() + s["closed_lifetime"].as_u64().unwrap(),
    );
}

/// Reads from a raw connection until the server closes it; returns what it sent.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(REPLY_TIMEOUT, stream.read_to_end(&mut out)).await.expect("server never closed");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn slow_and_silent_handshakes_are_cut_off_while_others_connect() {
    use tokio::io::AsyncWriteExt;
    let server = Server::start(&limited_app("slowloris", "handshake-timeout-s 1"));
    let mut silent = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    let mut slow = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n").await.unwrap();
    // One header byte every 100 ms: the head would take a minute to arrive; the server must
    // hang up long before, on the head deadline, while serving everyone else.
    let trickle = async {
        for _ in 0..600 {
            if slow.write_all(b"X").await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    let others = async {
        let mut ws = server.connect().await;
        send_json(&mut ws, json!({"action": "ping"})).await;
        recv_text(&mut ws).await
    };
    let (cut_off, reply) = tokio::join!(trickle, others);
    assert!(cut_off, "a head sent one byte at a time was never cut off");
    assert!(reply.contains("pong"), "{reply}");
    assert_eq!(read_until_closed(&mut silent).await, "", "a silent connection is closed without a response");
    server.wait_for_log("the cut-off, logged", REPLY_TIMEOUT, |l| l.contains("request head not sent in time")).await;
}

#[tokio::test]
async fn oversized_and_header_flooded_handshakes_get_431() {
    use tokio::io::AsyncWriteExt;
    let server = Server::start(&limited_app("big-head", "max-header-kb 4"));
    let mut big = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    let cookie = "a".repeat(5000);
    let head =
        format!("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nCookie: {cookie}\r\n\r\n");
    big.write_all(head.as_bytes()).await.unwrap();
    let reply = read_until_closed(&mut big).await;
    assert!(reply.starts_with("HTTP/1.1 431"), "{reply}");

    let mut many = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    let headers: String = (0..150).map(|i| format!("X-{i}: {i}\r\n")).collect();
    many.write_all(format!("GET / HTTP/1.1\r\nHost: x\r\n{headers}\r\n").as_bytes()).await.unwrap();
    let reply = read_until_closed(&mut many).await;
    assert!(reply.starts_with("HTTP/1.1 431"), "{reply}");

    let mut garbage = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    garbage.write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n").await.unwrap();
    let reply = read_until_closed(&mut garbage).await;
    assert!(reply.is_empty() || reply.starts_with("HTTP/1.1 400"), "{reply}");

    // The server is unharmed.
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "ping"})).await;
    assert!(recv_text(&mut ws).await.contains("pong"));
}

/// Benchmark (run by `make bench`): a soak of continuous traffic, by default 10 minutes
/// (`WSH_SOAK_SECS`). 50 clients ping in a loop, every ping answered in order; a churn of short
/// connections opens, talks and closes; pushes arrive through `@connections`. Memory is sampled
/// every 10 s; it must stay flat (the end within 10% + 4 MiB of the level after the first
/// minute), and there must be no error at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark; run with --ignored"]
async fn bench_soak() {
    let secs: u64 = std::env::var("WSH_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(600);
    let server = std::sync::Arc::new(Server::start(&limited_app("soak", "connect-rate 1000000\nmessage-rate 1000000")));
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    let mut clients = Vec::new();
    for c in 0..50u64 {
        let server = server.clone();
        clients.push(tokio::spawn(async move {
            let mut ws = server.connect().await;
            let mut n = 0u64;
            while std::time::Instant::now() < deadline {
                send_json(&mut ws, json!({"action": "ping", "n": c * 1_000_000_000 + n})).await;
                assert_eq!(recv_json(&mut ws).await, json!({"pong": c * 1_000_000_000 + n}), "client {c}");
                n += 1;
            }
            n
        }));
    }
    let churn = {
        let server = server.clone();
        tokio::spawn(async move {
            let (mut opened, mut pushed) = (0u64, 0u64);
            while std::time::Instant::now() < deadline {
                let mut ws = server.connect().await;
                let id = connection_id(&mut ws).await;
                let (status, _, _) = http(&server.addr, "POST", &format!("/@connections/{id}"), b"push").await;
                assert_eq!(status, 200);
                assert_eq!(recv_text(&mut ws).await, "push");
                ws.close(None).await.unwrap();
                assert_eq!(recv_close(&mut ws).await, None);
                opened += 1;
                pushed += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (opened, pushed)
        })
    };
    let mut samples = Vec::new();
    while std::time::Instant::now() < deadline {
        samples.push(server.rss_kib());
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    let mut pings = 0;
    for client in clients {
        pings += client.await.expect("a client failed");
    }
    let (opened, pushed) = churn.await.expect("the churn failed");
    let s = stats(&server).await;
    let warm = samples[samples.len().min(6) - 1];
    let end = *samples.last().unwrap();
    let max = *samples.iter().max().unwrap();
    println!(
        "soak {secs} s: {pings} pings answered in order by 50 clients ({:.0}/s), {opened} short connections, \
         {pushed} @connections pushes; handler errors {}, closed by limits {}; RSS after 1 min {} MiB, max {} MiB, \
         end {} MiB",
        pings as f64 / secs as f64,
        s["handler_errors"],
        s["closed_too_big"].as_u64().unwrap() + s["closed_slow_consumer"].as_u64().unwrap(),
        warm / 1024,
        max / 1024,
        end / 1024,
    );
    assert_eq!(s["handler_errors"], 0);
    assert_eq!(s["messages_throttled"], 0);
    assert!(end <= warm + warm / 10 + 4096, "memory grew: {samples:?} KiB");
}

/// Benchmark (run by `make bench`): what runaway handlers cost everyone else. With the `routes`
/// example (`handler-timeout-ms 2000`), `n` connections each start a handler that loops until
/// its deadline while another connection pings in a loop for 2.6 s; the pings' latency, for as
/// many runaways as there are cores and twice that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark; run with --ignored"]
async fn bench_runaways_and_pings() {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let server = Server::start(&example("routes"));
    let mut pinger = server.connect().await;
    for n in [0, cores, 2 * cores] {
        let mut runaways = Vec::new();
        for _ in 0..n {
            let mut ws = server.connect().await;
            send_json(&mut ws, json!({"action": "crash", "how": "loop"})).await;
            runaways.push(ws);
        }
        let started = std::time::Instant::now();
        let mut latencies = Vec::new();
        // (ms, ms after the start) of pings over 20 ms.
        let mut slow = Vec::new();
        while started.elapsed() < Duration::from_millis(2600) {
            let sent = std::time::Instant::now();
            send_json(&mut pinger, json!({"action": "ping"})).await;
            recv_json(&mut pinger).await;
            latencies.push(sent.elapsed());
            if sent.elapsed() > Duration::from_millis(20) {
                slow.push((sent.elapsed().as_millis(), (sent - started).as_millis()));
            }
        }
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
        println!(
            "{n} runaway handlers on {cores} cores: {} pings in 2.6 s, p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; \
             over 20 ms (ms @ ms after the start): {slow:?}",
            latencies.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
        // Let the deadlines stop them before the next round.
        for mut ws in runaways {
            let _ = tokio::time::timeout(Duration::from_secs(5), recv_json(&mut ws)).await;
        }
    }
}
