//! Real dependencies for the proxy tests, each started on a free loopback port in a temporary
//! folder and stopped on drop: redis-server, nginx, PostgreSQL. Without the tool a test prints
//! why and returns (or fails under `GONOGO_REQUIRE_TOOLS=1`).
#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gonogo_fault::{FaultKind, LinkConfig, Proxy};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) until `port` accepts a connection; panics with `what` otherwise.
fn wait_listening(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited with {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not listen in 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn find(paths: &[&str]) -> Option<PathBuf> {
    paths.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// A redis-server of its own, no persistence.
pub struct Redis {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Redis {
    pub fn start(test: &str) -> Option<Redis> {
        let Some(binary) = find(&["/usr/bin/redis-server", "/usr/local/bin/redis-server"]) else {
            gonogo_io::testing::missing_tool("redis-server (apt-get install redis-server)", test);
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_listening(port, &mut child, "redis-server");
        Some(Redis {
            child,
            port,
            _dir: dir,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tiny RESP client: inline commands, one reply line.
pub struct RedisClient {
    pub stream: TcpStream,
}

impl RedisClient {
    pub fn connect(addr: SocketAddr) -> std::io::Result<RedisClient> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(RedisClient { stream })
    }

    /// Sends an inline command and reads one reply line.
    pub fn command(&mut self, command: &str) -> std::io::Result<String> {
        self.stream.write_all(format!("{command}\r\n").as_bytes())?;
        self.read_line()
    }

    pub fn read_line(&mut self) -> std::io::Result<String> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            let read = match self.stream.read(&mut byte) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => other?,
            };
            match read {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                _ if byte[0] == b'\n' => break,
                _ => line.push(byte[0]),
            }
        }
        Ok(String::from_utf8_lossy(&line).trim_end().to_owned())
    }

    /// The round trip of one PING.
    pub fn ping(&mut self) -> Duration {
        let start = Instant::now();
        assert_eq!(self.command("PING").unwrap(), "+PONG");
        start.elapsed()
    }
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// nginx serving `files` (name, bytes) from its root.
pub struct Nginx {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Nginx {
    pub fn start(test: &str, files: &[(&str, Vec<u8>)]) -> Option<Nginx> {
        let Some(binary) = find(&["/usr/sbin/nginx", "/usr/bin/nginx"]) else {
            gonogo_io::testing::missing_tool("nginx (apt-get install nginx-light)", test);
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("html");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        for (name, bytes) in files {
            std::fs::write(root.join(name), bytes).unwrap();
        }
        let port = free_port();
        let d = dir.path().display();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n  fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n\
             \x20 keepalive_requests 100000;\n  default_type application/octet-stream;\n\
             \x20 server {{\n    listen 127.0.0.1:{port};\n    root {d}/html;\n    location = /chunked {{ chunked_transfer_encoding on; gzip off; return 200 'ok'; }}\n  }}\n}}\n"
        );
        let config_path = dir.path().join("nginx.conf");
        std::fs::write(&config_path, config).unwrap();
        let mut child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&config_path)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_listening(port, &mut child, "nginx");
        Some(Nginx { child, port, dir })
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.dir.path();
    }
}

/// One HTTP/1.1 keep-alive GET on `stream`: (status, body).
pub fn http_get(stream: &mut TcpStream, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let status: u16 = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .expect("a content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    Ok((status, body))
}

/// PostgreSQL on a free loopback port: gonogo-history's test server (its `testing` feature).
pub use gonogo_history::testing::PgServer as Postgres;

/// Where the proxy reaches a test server.
pub fn pg_addr(pg: &Postgres) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], pg.port))
}

/// A runtime for the proxy; the test's clients are blocking, on the test's thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A proxy in front of `upstream`, on a free loopback port.
pub fn proxy(rt: &tokio::runtime::Runtime, upstream: SocketAddr, http: bool) -> Proxy {
    let mut config = LinkConfig::new("127.0.0.1:0".parse().unwrap(), upstream);
    config.http = http;
    rt.block_on(Proxy::start(config)).unwrap()
}

pub fn apply(rt: &tokio::runtime::Runtime, proxy: &Proxy, faults: Vec<FaultKind>) {
    rt.block_on(proxy.apply(faults)).unwrap();
}
