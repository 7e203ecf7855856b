//! `native-echo`: the ceiling wsh is measured against. A plain axum WebSocket server that does
//! what the echo apps' `$default` handler does — parse the JSON, reply with a timestamped
//! text — with no WebAssembly, no events and no limits in between.

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use clap::Parser;
use time::OffsetDateTime;
use wsh_load::protocol;

#[derive(Parser)]
#[command(name = "native-echo", about = "A native axum WebSocket echo server, the load benchmark's baseline")]
struct Args {
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
}

/// The baseline: "a plain axum WebSocket echo with a 4 KiB read buffer".
const READ_BUFFER: usize = 4096;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // No Nagle, as wsh: a reply must not wait for the client's acknowledgement.
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await?;
    // wsh-load reads this line to learn the port, as it does wsh's.
    println!("native-echo: listening on ws://{}", listener.local_addr()?);
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = Router::new().route("/", get(upgrade));
    axum::serve(listener, app).await?;
    Ok(())
}

async fn upgrade(ws: WebSocketUpgrade) -> Response {
    ws.read_buffer_size(READ_BUFFER).on_upgrade(echo)
}

async fn echo(mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        let body = match &message {
            Message::Text(text) => text.as_str(),
            // The handlers see a binary frame as a body with no text.
            Message::Binary(_) => "",
            Message::Close(_) => break,
            // tungstenite answers pings itself.
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        let reply = protocol::reply(body, OffsetDateTime::now_utc());
        if socket.send(Message::Text(reply.into())).await.is_err() {
            break;
        }
    }
}
