//! The servers a cluster test runs beside wsh: its own `redis-server` and nginx (Debian's),
//! each on a free port, stopped with the test; Redis can be killed and started again on the
//! same port, to test its loss.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::scratch;

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(20), "{what} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub struct Redis {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Redis {
    pub fn start(name: &str) -> Redis {
        let mut redis = Redis { port: free_port(), dir: scratch(&format!("redis-{name}")), child: None };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again) on its port: a fresh, empty Redis, as after a restart without
    /// persistence.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting redis-server (apt-get install redis-server; make test-setup does)");
        self.child = Some(child);
        let port = self.port;
        wait_until("redis-server", || ping(port));
    }

    /// Kills it (SIGKILL): connections drop at once, as when the machine goes.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Runs one command, `redis-cli`'s way: the reply as text.
    pub fn cli(&self, args: &[&str]) -> String {
        let out =
            Command::new("redis-cli").args(["-p", &self.port.to_string()]).args(args).output().expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

/// nginx in front of several wsh nodes, as a WebSocket proxy: a client connects to it and is
/// sent to one of them; when that one dies, its next connection goes to another.
pub struct Nginx {
    pub port: u16,
    child: Child,
}

impl Nginx {
    pub fn start(name: &str, upstreams: &[&str]) -> Nginx {
        let dir = scratch(&format!("nginx-{name}"));
        let port = free_port();
        let servers: String =
            upstreams.iter().map(|u| format!("    server {u} max_fails=1 fail_timeout=2s;\n")).collect();
        let conf = format!(
            "worker_processes 1;
error_log {dir}/error.log;
pid {dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  upstream wsh {{
{servers}  }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://wsh;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 3600s;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
    }}
  }}
}}
",
            dir = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        // Debian installs it in /usr/sbin, which a non-root PATH lacks.
        let nginx =
            ["/usr/sbin/nginx", "nginx"].into_iter().find(|p| std::path::Path::new(p).exists()).unwrap_or("nginx");
        let child = Command::new(nginx)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting nginx (apt-get install nginx; make test-setup does)");
        wait_until("nginx", || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        Nginx { port, child }
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
