//! Debian's `redis-server`, no persistence, on a free loopback port.

use std::net::SocketAddr;

use crate::server::Server;

/// A redis-server of its own; stopped and its folder removed on drop.
pub struct Redis {
    server: Server,
    /// Its loopback port.
    pub port: u16,
}

impl Redis {
    /// `None` when redis-server is not installed (the test `test` is skipped, or failed under
    /// `GONOGO_REQUIRE_TOOLS=1`).
    #[track_caller]
    pub fn start(test: &str) -> Option<Redis> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let port = crate::free_port();
        let args = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            &dir.path().display().to_string(),
        ]
        .map(str::to_owned);
        let server = Server::start(test, "redis-server", &args, port, dir)?;
        Some(Redis { server, port })
    }

    /// 127.0.0.1:`port`.
    pub fn addr(&self) -> SocketAddr {
        self.server.address()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    #[test]
    fn answers_a_ping() {
        let Some(redis) = Redis::start("redis unit test") else {
            return;
        };
        let mut stream = std::net::TcpStream::connect(redis.addr()).unwrap();
        stream.write_all(b"PING\r\n").unwrap();
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"+PONG\r\n");
    }
}
