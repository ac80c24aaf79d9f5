//! What the proxy tests share beyond the test kit: the test kit (`gonogo-testkit`) starts the
//! real servers (redis-server, nginx, PostgreSQL) on free loopback ports and stops them on drop,
//! and a missing tool skips the test (or fails it under `GONOGO_REQUIRE_TOOLS=1`); here are the
//! clients that talk to them through the proxy, and the proxy's own set-up.
#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use gonogo_fault::{FaultKind, LinkConfig, Proxy};
pub use gonogo_testkit::Redis;
pub use gonogo_testkit::postgres::PgServer as Postgres;
use gonogo_testkit::{Nginx, nginx::NginxConfig};

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

/// nginx serving `files` (name, bytes) from its root, keeping a connection open for many
/// requests, with a chunked answer at `/chunked`.
pub fn nginx(test: &str, files: &[(&str, Vec<u8>)]) -> Option<Nginx> {
    let config = NginxConfig {
        http: "  keepalive_requests 100000;".into(),
        server:
            "    location = /chunked { chunked_transfer_encoding on; gzip off; return 200 'ok'; }"
                .into(),
        files: files
            .iter()
            .map(|(name, bytes)| ((*name).to_owned(), bytes.clone()))
            .collect(),
        ..NginxConfig::default()
    };
    Nginx::start(test, &config)
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
