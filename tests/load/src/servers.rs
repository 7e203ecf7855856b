//! The servers under load, each its own process on a free loopback port: the native echo
//! server, and `wsh serve` for each echo app with its limits raised so that none fires.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Starting serves already-built components: seconds at most, unless the compile cache is cold
/// (a Python component takes ~10 s to compile).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The benchmark measures the event path, not the limits in front of it: each is raised beyond
/// what the load reaches.
const RAISED_LIMITS: &str = "message-rate 1000000\nconnect-rate 1000000\nmax-connections 100000\n";

/// WebSocket routes whose components an echo app may have.
const WS_ROUTES: &[(&str, &str)] = &[("$connect", "connect"), ("$disconnect", "disconnect"), ("$default", "default")];

/// A running server, killed when dropped.
pub struct Server {
    /// What the report calls it: `native`, `wsh Rust`, ...
    pub name: String,
    /// `ws://127.0.0.1:PORT`
    pub url: String,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The native axum echo server, `native-echo` from beside `exe_dir`.
pub fn native(exe_dir: &Path, scratch: &Path) -> Result<Server> {
    let exe = exe_dir.join("native-echo");
    let mut command = Command::new(&exe);
    command.args(["--port", "0"]);
    start("native", command, "native-echo: listening on ws://", &scratch.join("native.log"))
}

/// `wsh serve` of the echo app `example`: builds it with `wsh build` (a no-op when fresh), then
/// serves what that built from a scratch app whose manifest raises the limits.
pub fn wsh(wsh: &Path, example: &Path, scratch: &Path) -> Result<Server> {
    let (kind, routes) = build(wsh, example)?;
    let app = example.parent().and_then(Path::file_name).context("an example lives in a folder")?.to_string_lossy();
    let manifest = scratch_app(&scratch.join(&*app), &app, &routes)?;
    let mut command = Command::new(wsh);
    command.arg("serve").arg(&manifest).args(["--port", "0", "--no-watch"]);
    start(&format!("wsh {kind}"), command, "wsh: listening on ws://", &scratch.join(format!("{app}.log")))
}

/// Runs `wsh build` on the example; returns its `$default`'s language and the component of each
/// WebSocket route that has one, as `wsh build` lists them:
/// `  $default       /path/to/component.wasm (rust, aadc850b7f83)`.
fn build(wsh: &Path, example: &Path) -> Result<(String, Vec<(&'static str, PathBuf)>)> {
    let out = Command::new(wsh)
        .arg("build")
        .arg(example)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", wsh.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("wsh build {} failed:\n{stdout}\n{}", example.display(), String::from_utf8_lossy(&out.stderr));
    }
    let mut kind = None;
    let mut routes = Vec::new();
    for line in stdout.lines() {
        let mut words = line.split_whitespace();
        let (Some(key), Some(path), Some(language)) = (words.next(), words.next(), words.next()) else { continue };
        let Some(&(_, dir)) = WS_ROUTES.iter().find(|(k, _)| *k == key) else { continue };
        if !path.ends_with(".wasm") {
            continue; // "no handler in ..."
        }
        if key == "$default" {
            kind = Some(language_name(language.trim_start_matches('(').trim_end_matches(',')));
        }
        routes.push((dir, PathBuf::from(path)));
    }
    let kind =
        kind.with_context(|| format!("wsh build {} lists no $default component:\n{stdout}", example.display()))?;
    Ok((kind, routes))
}

fn language_name(kind: &str) -> String {
    match kind {
        "rust" => "Rust".into(),
        "javascript" => "JavaScript".into(),
        "python" => "Python".into(),
        other => other.into(),
    }
}

/// A scratch app in `dir` serving the example's WebSocket components. The components are
/// copied rather than their sources linked: a Rust handler crate belongs to the
/// guest-examples workspace and builds only where it is. A copy is the same component, so wsh
/// finds its compilation in its cache and the event path is the example's own. (The examples'
/// `@http` and `@static` routes are not on that path and are left out.)
fn scratch_app(dir: &Path, name: &str, routes: &[(&str, PathBuf)]) -> Result<PathBuf> {
    let _ = std::fs::remove_dir_all(dir);
    for (route, component) in routes {
        let route_dir = dir.join("src/ws").join(route);
        std::fs::create_dir_all(&route_dir)?;
        std::fs::copy(component, route_dir.join("handler.wasm"))
            .with_context(|| format!("copying {}", component.display()))?;
    }
    let manifest = dir.join("app.arc");
    std::fs::write(&manifest, format!("@app\n{name}-load\n\n@ws\n\n@wsh\n{RAISED_LIMITS}"))?;
    Ok(manifest)
}

/// Spawns `command` and waits for the line `ready` + address on its stdout. Everything it
/// prints goes to `log`, which an error quotes.
fn start(name: &str, mut command: Command, ready: &'static str, log: &Path) -> Result<Server> {
    let file = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(file.try_clone()?)
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    let stdout = child.stdout.take().context("a piped stdout")?;
    let (addr_tx, addr_rx) = mpsc::channel();
    // Reads stdout for as long as the server runs, so that a full pipe never blocks it.
    std::thread::spawn(move || {
        let mut file = file;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix(ready) {
                let _ = addr_tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
            }
            let _ = writeln!(file, "{line}");
        }
    });
    let mut server = Server { name: name.to_string(), url: String::new(), child };
    match addr_rx.recv_timeout(START_TIMEOUT) {
        Ok(addr) => server.url = format!("ws://{addr}"),
        Err(_) => {
            drop(server); // the log is complete once it is gone
            let log_text = std::fs::read_to_string(log).unwrap_or_default();
            bail!("{name} did not start listening within {START_TIMEOUT:?}; its log ({}):\n{log_text}", log.display());
        }
    }
    Ok(server)
}
