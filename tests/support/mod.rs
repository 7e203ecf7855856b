//! Starting the real `wsh` binary and talking to it with a real WebSocket client.

#![allow(dead_code)]

pub mod services;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Generous: the first start of an app builds its guests from source.
const START_TIMEOUT: Duration = Duration::from_secs(600);
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

pub fn example(name: &str) -> PathBuf {
    repo().join("guest-examples").join(name).join("app.arc")
}

/// A scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn wsh() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wsh"));
    // One compile cache for the whole run: each component is compiled once.
    cmd.env("WSH_CACHE_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("wsh-cache"));
    cmd.env("WSH_LOG", "wsh=debug");
    cmd
}

/// Runs a `wsh` command to completion: (success, stdout, stderr).
pub fn run_wsh(args: &[&str]) -> (bool, String, String) {
    let out = wsh().args(args).stdin(Stdio::null()).output().expect("running wsh");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Runs `wsh build` on an example app once per test run, so that the tests which then start
/// servers on it find every handler built and compiled (a Python app's first build takes
/// minutes; concurrent servers would each start it).
pub fn prebuild(app: &str) -> PathBuf {
    built_component(app, "$connect");
    example(app)
}

/// The component `wsh build` made for one route of an example app (built once per run).
pub fn built_component(app: &str, route: &str) -> PathBuf {
    // One lock for all apps: builds of different apps share cargo's and the SDKs' caches.
    static BUILDS: OnceLock<Mutex<Vec<(String, String)>>> = OnceLock::new();
    let builds = BUILDS.get_or_init(Default::default);
    let mut builds = builds.lock().unwrap();
    if !builds.iter().any(|(a, _)| a == app) {
        let (ok, stdout, stderr) = run_wsh(&["build", example(app).to_str().unwrap()]);
        assert!(ok, "wsh build {app} failed:\n{stdout}\n{stderr}");
        builds.push((app.to_string(), stdout));
    }
    let stdout = &builds.iter().find(|(a, _)| a == app).unwrap().1;
    if route == "$connect" && !stdout.lines().any(|l| l.split_whitespace().next() == Some(route)) {
        return PathBuf::new();
    }
    // `  <route key, maybe with a space: GET /x>  <component path> (<kind>, <hash>)`
    let rest = stdout
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(route).filter(|rest| rest.starts_with(' ')))
        .unwrap_or_else(|| panic!("no route {route} in:\n{stdout}"));
    PathBuf::from(rest.split_whitespace().next().unwrap())
}

/// The component of a guest in tests/fixtures/ (built once per test run, with cargo, into the
/// tests' own target directory).
pub fn fixture_component(name: &str) -> PathBuf {
    static BUILDS: OnceLock<Mutex<()>> = OnceLock::new();
    let _one_at_a_time = BUILDS.get_or_init(Default::default).lock().unwrap();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
    let manifest = repo().join("tests/fixtures").join(name).join("Cargo.toml");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("running cargo");
    assert!(out.status.success(), "building fixture {name}:\n{}", String::from_utf8_lossy(&out.stderr));
    target.join("wasm32-wasip2/release").join(format!("fixture_{}.wasm", name.replace(['-', '.'], "_")))
}

/// A scratch app `name` with `manifest` and, for each `(route directory, component)`, the
/// component copied in (`("ws/default", path)` goes to `src/ws/default/`).
pub fn scratch_app(name: &str, manifest: &str, routes: &[(&str, PathBuf)]) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join("app.arc"), manifest).unwrap();
    for (route, component) in routes {
        let route_dir = dir.join("src").join(route);
        std::fs::create_dir_all(&route_dir).unwrap();
        std::fs::copy(component, route_dir.join("handler.wasm")).unwrap();
    }
    dir.join("app.arc")
}

/// A running `wsh serve`, killed on drop, whose output is kept for assertions.
pub struct Server {
    child: Child,
    pub addr: String,
    log: Arc<Mutex<String>>,
    /// The threads reading the server's stdout and stderr into `log`.
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(manifest: &Path) -> Server {
        Server::start_with(manifest, &[], &[])
    }

    pub fn start_with(manifest: &Path, args: &[&str], envs: &[(&str, &Path)]) -> Server {
        let mut command = wsh();
        command
            .args(["serve", manifest.to_str().unwrap(), "--port", "0"])
            .args(args)
            .envs(envs.iter().map(|(k, v)| (*k, *v)));
        Server::spawn(command)
    }

    /// Starts `command`, a `wsh serve` with `--port 0`, and waits for it to listen.
    pub fn spawn(mut command: Command) -> Server {
        let mut child =
            command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("starting wsh");
        let log = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let mut readers = Vec::new();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = log.clone();
            let addr_tx = addr_tx.clone();
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(rest) = line.strip_prefix("wsh: listening on ws://") {
                        let _ = addr_tx.send(rest.split_whitespace().next().unwrap().to_string());
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            }));
        }
        let addr = match addr_rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("wsh did not start:\n{}", log.lock().unwrap());
            }
        };
        Server { child, addr, log, readers }
    }

    /// The server's resident memory, from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log satisfies `pred`; panics with the log after `timeout`.
    /// Waits for the `n`th occurrence of `needle` in the log.
    pub async fn wait_for_nth(&self, needle: &str, n: usize, timeout: Duration) -> String {
        self.wait_for_log(&format!("{n} x {needle:?}"), timeout, |l| l.matches(needle).count() >= n).await
    }

    pub async fn wait_for_log(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let log = self.log();
            if pred(&log) {
                return log;
            }
            if started.elapsed() > timeout {
                panic!("timed out waiting for {what}; log:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn connect(&self) -> Socket {
        connect(&self.url()).await
    }

    /// Sends a signal (`TERM`, `INT`) to the server.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([&format!("-{signal}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the server to exit.
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().unwrap()
    }

    /// Shuts the server down (SIGTERM, which drains every connection) and returns its whole
    /// log once it has exited: nothing can be added to it after this, so a count taken from it
    /// is final.
    pub fn stop(mut self) -> String {
        self.signal("TERM");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "wsh exited with {status}:\n{}", self.log());
        for reader in std::mem::take(&mut self.readers) {
            let _ = reader.join();
        }
        self.log()
    }
}

impl Server {
    /// Kills the server at once (SIGKILL): nothing of it runs after this.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Replaces `path` the way editors and build tools do: write elsewhere, then rename over it.
pub fn replace_file(path: &Path, contents: &[u8]) {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, contents).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

pub async fn connect(url: &str) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(client_config()), false)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    socket
}

/// tungstenite zero-fills its whole read buffer (128 KiB by default) before every read: with
/// 10,000 test clients on the server's two cores, that memset alone took more CPU than the
/// server. 4 KiB, like the load benchmark's native server.
pub fn client_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096)
}

/// Connects offering subprotocols; returns the socket and the protocol the server chose.
pub async fn connect_with_protocol(url: &str, protocols: &str) -> (Socket, Option<String>) {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
    let (socket, response) =
        tokio_tungstenite::connect_async_with_config(request, Some(client_config()), false).await.expect("connecting");
    let chosen = response.headers().get("sec-websocket-protocol").map(|v| v.to_str().unwrap().to_string());
    (socket, chosen)
}

/// A handshake with extra request headers: the socket, or the HTTP status it was refused with.
pub async fn connect_with_headers(url: &str, headers: &[(&str, &str)]) -> Result<Socket, u16> {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    match tokio_tungstenite::connect_async_with_config(request, Some(client_config()), false).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("connection to {url} failed without an HTTP status: {e}"),
    }
}

/// The HTTP status of a refused handshake.
pub async fn refused_status(url: &str) -> u16 {
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => panic!("connection to {url} was accepted"),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("connection to {url} failed without an HTTP status: {e}"),
    }
}

pub async fn send(socket: &mut Socket, text: &str) {
    socket.send(Message::text(text)).await.expect("sending");
}

pub async fn send_json(socket: &mut Socket, value: serde_json::Value) {
    send(socket, &value.to_string()).await;
}

/// The next data message (text or binary), skipping control frames.
pub async fn recv(socket: &mut Socket) -> Message {
    loop {
        let message = tokio::time::timeout(REPLY_TIMEOUT, socket.next())
            .await
            .expect("timed out waiting for a message")
            .expect("socket closed while waiting for a message")
            .expect("socket error while waiting for a message");
        match message {
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            other => return other,
        }
    }
}

pub async fn recv_text(socket: &mut Socket) -> String {
    match recv(socket).await {
        Message::Text(t) => t.to_string(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

pub async fn recv_json(socket: &mut Socket) -> serde_json::Value {
    let text = recv_text(socket).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Reads until the server's close frame; returns its code.
pub async fn recv_close(socket: &mut Socket) -> Option<u16> {
    loop {
        match tokio::time::timeout(REPLY_TIMEOUT, socket.next()).await.expect("timed out waiting for close") {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code.into()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("socket error before close: {e}"),
            None => return None,
        }
    }
}

/// Asks the `whoami` route of the routes example for this socket's connection id.
pub async fn connection_id(socket: &mut Socket) -> String {
    send_json(socket, serde_json::json!({"action": "whoami"})).await;
    let reply = recv_json(socket).await;
    reply["info"]["connectionId"].as_str().expect("whoami reply has info.connectionId").to_string()
}

/// A plain HTTP/1.1 request to the server: (status, response head, body).
pub async fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, String, String) {
    http_with(addr, method, path, &[], body).await
}

/// `http` with request headers. The path is sent as given, not normalised.
pub async fn http_with(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, String) {
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let (addr, method, path, body) = (addr.to_string(), method.to_string(), path.to_string(), body.to_vec());
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}Content-Length: {}\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(&body).unwrap();
        let mut out = Vec::new();
        stream.read_to_end(&mut out).unwrap();
        let out = String::from_utf8_lossy(&out).to_string();
        let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, head.to_string(), body.to_string())
    })
    .await
    .unwrap()
}

/// A header's value from a response head, by case-insensitive name.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
}

/// This machine's address on its default route: not loopback, so a request to it comes from a
/// non-loopback peer.
pub fn non_loopback_ip() -> std::net::IpAddr {
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    // A UDP connect sends nothing; it only picks the route and so the local address.
    for target in ["192.0.2.1:9", "10.255.255.1:9", "8.8.8.8:9"] {
        if probe.connect(target).is_ok()
            && let Ok(addr) = probe.local_addr()
            && !addr.ip().is_loopback()
            && !addr.ip().is_unspecified()
        {
            return addr.ip();
        }
    }
    panic!("this test needs a network interface besides loopback");
}
