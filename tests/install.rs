//! Install and start, as a user would: `cargo install` wsh into a scratch prefix, then, in empty
//! folders outside the checkout and with `WSH_SDK_DIR` unset, `wsh new` an app, `wsh serve` it
//! and talk to it over a WebSocket.
//!
//! The JavaScript echo runs with an empty cache (the SDK unpacked from the binary, `npm ci` from
//! the registry); the other apps share a cache kept across runs, so that only the first run pays
//! for the Python and Ruby toolchains and builds (about two minutes) and the Rust SDK's
//! dependencies.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::json;
use support::*;

/// The target folder of this build: `CARGO_TARGET_TMPDIR` is its `tmp/`.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf()
}

/// `wsh` as `cargo install --path host` installs it, once per run. The same target folder and
/// `--locked`: cargo reuses this build instead of compiling wasmtime again.
fn installed() -> &'static Path {
    static WSH: OnceLock<PathBuf> = OnceLock::new();
    WSH.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-root");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args(["install", "--locked", "--offline", "--path"])
            .arg(repo().join("host"))
            .arg("--root")
            .arg(&root)
            .env("CARGO_TARGET_DIR", target_dir())
            .stdin(Stdio::null())
            .output()
            .expect("running cargo install");
        assert!(out.status.success(), "cargo install failed:\n{}", String::from_utf8_lossy(&out.stderr));
        root.join("bin").join("wsh")
    })
}

/// A user's machine: an empty folder outside the checkout, and the cache wsh uses there.
struct Machine {
    home: PathBuf,
    cache_home: PathBuf,
}

impl Machine {
    fn new(name: &str, cache_home: PathBuf) -> Machine {
        let home = std::env::temp_dir().join(format!("wsh-install-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        assert!(!home.starts_with(repo()), "{} is inside the checkout", home.display());
        Machine { home, cache_home }
    }

    /// The installed wsh, run in `dir` with nothing of the checkout in its environment; the
    /// cache is the default one under `$XDG_CACHE_HOME`.
    fn wsh(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(installed());
        command
            .args(args)
            .current_dir(dir)
            .env_remove("WSH_SDK_DIR")
            .env_remove("WSH_CACHE_DIR")
            .env("XDG_CACHE_HOME", &self.cache_home)
            // Rust handlers' builds, kept warm across runs (the apps' folders are new each run).
            .env("CARGO_TARGET_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-handlers"));
        command
    }

    /// `wsh new <name> args…`; (success, stdout + stderr).
    fn new_app(&self, name: &str, args: &[&str]) -> (bool, String) {
        let out = self.wsh(&self.home, &[&["new", name], args].concat()).stdin(Stdio::null()).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    /// `wsh new`, then `wsh serve` in the new folder.
    fn serve_new(&self, name: &str, args: &[&str]) -> Server {
        let (ok, out) = self.new_app(name, args);
        assert!(ok, "wsh new {name} {args:?} failed:\n{out}");
        let app = self.home.join(name);
        for file in ["app.arc", ".gitignore"] {
            assert!(app.join(file).is_file(), "wsh new wrote no {file}:\n{out}");
        }
        Server::spawn(self.wsh(&app, &["serve", "--port", "0"]))
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// The cache the apps share across runs.
fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-cache")
}

/// The echo app answers, and its page is at /.
async fn echoes(server: &Server) {
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"text": "hello from a new app"})).await;
    let reply = recv_json(&mut ws).await;
    let text = reply["text"].as_str().unwrap_or_default();
    assert!(text.ends_with(" - Echoing hello from a new app"), "{reply}\n{}", server.log());
    let (status, _, body) = http(&server.url()["ws://".len()..], "GET", "/", b"").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<main>"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_javascript_echo_app_serves_from_an_empty_cache() {
    let cache = std::env::temp_dir().join(format!("wsh-install-cold-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let machine = Machine::new("js", cache.clone());
    let server = machine.serve_new("echo", &[]);
    echoes(&server).await;
    let log = server.stop();
    // The SDK came out of the binary, and its toolchain was installed there, saying so.
    let sdk = std::fs::read_dir(cache.join("wsh").join("sdk")).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>();
    assert_eq!(sdk.len(), 1, "{sdk:?}");
    assert!(sdk[0].join("sdk/js/node_modules/.package-lock.json").is_file());
    assert!(log.contains("installing the JavaScript toolchain (npm ci)"), "{log}");
    assert!(log.contains("building route $default (javascript)… done in"), "{log}");
    std::fs::remove_dir_all(&cache).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_python_echo_app_serves() {
    let machine = Machine::new("python", shared_cache());
    let server = machine.serve_new("echo", &["--lang", "python"]);
    echoes(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_ruby_echo_app_serves() {
    let machine = Machine::new("ruby", shared_cache());
    let server = machine.serve_new("echo", &["--lang", "ruby"]);
    echoes(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_rust_echo_app_builds_against_the_unpacked_sdk() {
    let machine = Machine::new("rust", shared_cache());
    let server = machine.serve_new("echo", &["--lang", "rust", "--template", "echo"]);
    echoes(&server).await;
    let manifest = std::fs::read_to_string(machine.home.join("echo/Cargo.toml")).unwrap();
    let sdk = shared_cache().join("wsh").join("sdk");
    assert!(manifest.contains(&format!("path = \"{}/", sdk.display())), "{manifest}");
}

/// The chat app relays what a member says to the room, and its page is at /.
async fn chats(server: &Server) {
    let mut ws = server.connect().await;
    send_json(&mut ws, json!({"action": "join", "room": "r1", "name": "ada"})).await;
    recv_json(&mut ws).await;
    send_json(&mut ws, json!({"action": "say", "room": "r1", "text": "hi there"})).await;
    let said = recv_json(&mut ws).await;
    assert!(said.to_string().contains("hi there"), "{said}\n{}", server.log());
    let (status, _, body) = http(&server.url()["ws://".len()..], "GET", "/", b"").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_javascript_chat_app_serves() {
    let machine = Machine::new("chat-js", shared_cache());
    chats(&machine.serve_new("chat", &["--template", "chat"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_python_chat_app_serves() {
    let machine = Machine::new("chat-py", shared_cache());
    chats(&machine.serve_new("chat", &["--template", "chat", "--lang", "python"])).await;
}

/// Five crates and a shared library in the workspace `wsh new` writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_rust_chat_app_serves() {
    let machine = Machine::new("chat-rust", shared_cache());
    chats(&machine.serve_new("chat", &["--template", "chat", "--lang", "rust"])).await;
}

#[test]
fn wsh_new_refuses_a_non_empty_folder_and_names_it() {
    let machine = Machine::new("refuse", shared_cache());
    let dir = machine.home.join("taken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let (ok, out) = machine.new_app("taken", &[]);
    assert!(!ok, "{out}");
    assert!(out.contains(&dir.display().to_string()) && out.contains("not empty"), "{out}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "wsh new wrote into a non-empty folder");
}
