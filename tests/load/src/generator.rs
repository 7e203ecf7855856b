//! The load: real WebSocket clients (tokio-tungstenite) on loopback. Each connection keeps one
//! message in flight — send, wait for the reply, check it, send the next — so replies come in
//! order and each one's latency is the round trip a client sees.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt, TryStreamExt, stream};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wsh_load::protocol;

use crate::report::Sample;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A server that takes longer than this to answer or to accept is broken, not slow.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How many connections are opened (or closed) at once while setting up or tearing down a
/// workload, so that a large `--connections` does not overflow the listen backlog.
const SETUP_AT_ONCE: usize = 100;

/// A pause after closing connections, for the server to finish with them.
pub const SETTLE: Duration = Duration::from_millis(200);

/// `connections` clients send for `duration`; every reply is checked.
pub async fn messages(url: &str, connections: usize, duration: Duration) -> Result<Sample> {
    let sockets: Vec<Socket> = stream::iter(0..connections)
        .map(|_| connect(url))
        .buffer_unordered(SETUP_AT_ONCE)
        .try_collect()
        .await
        .context("opening the connections")?;
    let start = Instant::now();
    let deadline = start + duration;
    let clients: Vec<_> =
        sockets.into_iter().enumerate().map(|(conn, socket)| tokio::spawn(client(socket, conn, deadline))).collect();
    let mut latencies = Vec::new();
    let mut end = start;
    let mut sockets = Vec::new();
    for client in clients {
        let (socket, finished, mut own) = client.await??;
        end = end.max(finished);
        latencies.append(&mut own);
        sockets.push(socket);
    }
    close_all(sockets).await;
    Ok(Sample::messages(latencies, end - start))
}

/// One connection's loop until `deadline`: returns its socket, when its last reply came, and
/// each message's round trip.
async fn client(mut socket: Socket, conn: usize, deadline: Instant) -> Result<(Socket, Instant, Vec<Duration>)> {
    let mut latencies = Vec::new();
    let mut seq = 0;
    while Instant::now() < deadline {
        let text = protocol::text(conn, seq);
        let sent = Instant::now();
        socket
            .send(Message::text(protocol::request(&text)))
            .await
            .with_context(|| format!("connection {conn}: send"))?;
        let reply = tokio::time::timeout(TIMEOUT, next_text(&mut socket))
            .await
            .map_err(|_| anyhow!("connection {conn}: no reply to message {seq} within {TIMEOUT:?}"))??;
        latencies.push(sent.elapsed());
        protocol::check(&reply, &text).map_err(|e| anyhow!("connection {conn}, message {seq}: {e}"))?;
        seq += 1;
    }
    Ok((socket, Instant::now(), latencies))
}

/// The next text frame; control frames are tungstenite's business.
async fn next_text(socket: &mut Socket) -> Result<String> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_string()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(frame))) => bail!("the server closed the connection: {frame:?}"),
            Some(Ok(other)) => bail!("expected a text frame, got {other:?}"),
            Some(Err(e)) => bail!("reading: {e}"),
            None => bail!("the connection ended"),
        }
    }
}

/// `rounds` rounds of `total` handshakes, `at_once` in flight at a time, each timed until its
/// last handshake completes; the connections stay open until then and are closed untimed
/// between rounds. One round on loopback takes tens of milliseconds, too short to measure
/// alone: the rate is over all rounds.
pub async fn handshakes(url: &str, total: usize, at_once: usize, rounds: usize) -> Result<Sample> {
    let rounds = rounds.max(1);
    let mut timed = Duration::ZERO;
    for _ in 0..rounds {
        let start = Instant::now();
        // Each handshake its own task, so that a multi-threaded client spreads them.
        let sockets: Vec<Socket> = stream::iter(0..total)
            .map(|_| {
                let url = url.to_string();
                async move { tokio::spawn(async move { connect(&url).await }).await? }
            })
            .buffer_unordered(at_once)
            .try_collect()
            .await?;
        timed += start.elapsed();
        close_all(sockets).await;
        // The server's side of those closes is not the next round's load.
        tokio::time::sleep(SETTLE).await;
    }
    Ok(Sample::handshakes(total * rounds, timed))
}

/// A handshake; tungstenite checks the server's `101` and `Sec-WebSocket-Accept`.
async fn connect(url: &str) -> Result<Socket> {
    // No Nagle: a message must not wait for the previous one's acknowledgement. A 4 KiB read
    // buffer, like the native server's: tungstenite zero-fills the whole buffer (128 KiB by
    // default) before every read, CPU the generator would take from the server it measures.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096);
    let handshake = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
    let (socket, _) = tokio::time::timeout(TIMEOUT, handshake)
        .await
        .map_err(|_| anyhow!("no handshake with {url} within {TIMEOUT:?}"))?
        .with_context(|| format!("handshake with {url}"))?;
    Ok(socket)
}

/// Closes each socket with the closing handshake, so that the server has finished with them
/// before the next measurement starts.
async fn close_all(sockets: Vec<Socket>) {
    stream::iter(sockets)
        .for_each_concurrent(SETUP_AT_ONCE, |mut socket| async move {
            let _ = tokio::time::timeout(TIMEOUT, async {
                let _ = socket.close(None).await;
                while let Some(Ok(_)) = socket.next().await {}
            })
            .await;
        })
        .await;
}
